import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../pipeline/config/camera-config.js';
import { loadSettings } from './settings.js';

describe('settings', () => {
  it('uses defaults and ignores other variables', () => {
    const s = loadSettings({ PATH: '/bin', HOME: '/root' });
    expect(s.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(s.workerConcurrency).toBe(12);
  });

  it('parses integers', () => {
    expect(loadSettings({ IOCV_WORKER_CONCURRENCY: '4' }).workerConcurrency).toBe(4);
    expect(loadSettings({}).cameraOfflineGraceMs).toBe(15_000);
    expect(loadSettings({ IOCV_CAMERA_OFFLINE_GRACE_MS: '60000' }).cameraOfflineGraceMs).toBe(60_000);
    expect(() => loadSettings({ IOCV_CAMERA_OFFLINE_GRACE_MS: '10' })).toThrow(/IOCV_CAMERA_OFFLINE_GRACE_MS/);
  });

  it('names unknown and bad variables', () => {
    try {
      loadSettings({ IOCV_REDIS_ULR: 'redis://x', IOCV_WORKER_CONCURRENCY: 'many', IOCV_OBJECT_STORE: 'ftp' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const paths = (e as ConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['IOCV_REDIS_ULR', 'IOCV_WORKER_CONCURRENCY', 'IOCV_OBJECT_STORE']));
    }
  });
});
