import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { MODEL_CATALOGUE, ModelNotFoundError, defaultSharedModelDir } from '../catalogue/model-catalogue.js';
import { loadOnnxModel, releaseAllOnnxModels, resolveThreads } from './onnx-session.js';

afterEach(() => vi.unstubAllEnvs());
afterAll(async () => releaseAllOnnxModels());

describe('resolveThreads', () => {
  it('uses the option, then IOCV_ORT_THREADS, then 1', () => {
    vi.stubEnv('IOCV_ORT_THREADS', '');
    expect(resolveThreads()).toBe(1);
    expect(resolveThreads(3)).toBe(3);
    vi.stubEnv('IOCV_ORT_THREADS', '2');
    expect(resolveThreads()).toBe(2);
    expect(resolveThreads(4)).toBe(4);
  });

  it('rejects nonsense', () => {
    expect(() => resolveThreads(0)).toThrow(RangeError);
    expect(() => resolveThreads(Number.NaN)).toThrow(RangeError);
  });
});

const yunetPresent = existsSync(path.join(defaultSharedModelDir(), MODEL_CATALOGUE.yunet.file));

describe('loadOnnxModel', () => {
  it.skipIf(!yunetPresent)('shares one session per (file, threads)', async () => {
    const a = await loadOnnxModel('yunet', { threads: 1 });
    const b = await loadOnnxModel('yunet', { threads: 1 });
    const c = await loadOnnxModel('yunet', { threads: 2 });
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(a.session.inputNames).toEqual(['input']);
    expect(a.path).toBe(path.join(defaultSharedModelDir(), MODEL_CATALOGUE.yunet.file));
    expect(a.spec.id).toBe('yunet');
  });

  it('passes lookup errors through', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'iocv-ort-'));
    try {
      vi.stubEnv('IOCV_MODEL_DIR', '');
      await expect(loadOnnxModel('yunet', { lookup: { sharedDir: empty, cacheDir: empty, allowDownload: false } })).rejects.toBeInstanceOf(ModelNotFoundError);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
