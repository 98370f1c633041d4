import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegFrameSource } from '../pipeline/sources/ffmpeg-frame.source.js';
import { IngestCoordinator } from '../workers/ingest/ingest-coordinator.js';
import { RtspSimulator } from '../workers/sim/rtsp-sim.js';
import { CountingSinks, cameraConfig, closedTcpPort, redisSandbox, waitFor } from './support/ingest-fixtures.js';
import { SHARED_DATA } from './support/shared-paths.js';

const CLIP = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video02_highway.avi');

describe('ingest with bad cameras beside a good one (real RTSP server, ffmpeg, Redis)', () => {
  let sim: RtspSimulator;
  const redis = redisSandbox();
  let coordinator: IngestCoordinator | null = null;

  beforeAll(async () => {
    sim = await RtspSimulator.start({ cameras: [{ name: 'good', file: CLIP }] });
  });
  afterAll(async () => {
    await coordinator?.stop();
    await sim?.stop();
    await redis.cleanup();
  });

  it('marks each bad camera with its reason while the good one keeps delivering frames', async () => {
    const closedPort = await closedTcpPort();
    const sinks = new CountingSinks();
    coordinator = new IngestCoordinator({
      redis: redis.client(),
      cameras: [
        cameraConfig('good', sim.url('good')),
        cameraConfig('closed-port', `rtsp://127.0.0.1:${closedPort}/cam`),
        cameraConfig('no-mount', `rtsp://admin:s3cret@127.0.0.1:${sim.port}/does-not-exist`),
        cameraConfig('bad-scheme', 'rtmp://127.0.0.1/live'),
      ],
      source: (c) => new FfmpegFrameSource({ url: c.url, fps: c.fps, ioTimeoutMs: 5000 }),
      openCamera: sinks.open,
      leaseTtlMs: 3000,
      supervisor: { backoff: { initialMs: 200, maxMs: 1000 }, permanentFailureThreshold: 3, statusIntervalMs: 500 },
    });
    await coordinator.start();
    expect(coordinator.ownedCameraIds().sort()).toEqual(['bad-scheme', 'closed-port', 'good', 'no-mount']);
    const st = (id: string) => coordinator!.supervisor(id)!.status();
    const all = () => Object.fromEntries(['good', 'closed-port', 'no-mount', 'bad-scheme'].map((id) => [id, st(id)]));

    await waitFor('good camera online', () => st('good').state === 'online', { describe: all });
    await waitFor('closed port: reconnecting, connection refused', () => st('closed-port').state === 'reconnecting' && /refused/i.test(st('closed-port').reason ?? ''), { describe: all });
    await waitFor('missing mount: failed with 404 after repeated tries', () => st('no-mount').state === 'failed', { describe: all });
    expect(st('no-mount').reason).toMatch(/404/);
    expect(st('no-mount').reason).not.toContain('s3cret');
    expect(st('no-mount').reconnects).toBeGreaterThanOrEqual(2);
    expect(st('bad-scheme')).toMatchObject({ state: 'failed', reconnects: 0 });
    expect(st('bad-scheme').reason).toMatch(/unsupported URL scheme "rtmp:"/);

    for (const id of ['closed-port', 'no-mount', 'bad-scheme']) console.log(`ingest-bad-camera: ${id}: ${st(id).state} — ${st(id).reason}`);
    // The good camera was never disturbed, and still delivers while the bad ones keep retrying.
    const before = sinks.count('good');
    await waitFor('good camera keeps delivering', () => sinks.count('good') >= before + 10, { describe: all });
    expect(st('good')).toMatchObject({ state: 'online', reconnects: 0, reason: null });
    expect(st('closed-port').state).toBe('reconnecting');
    expect(sinks.count('closed-port') + sinks.count('no-mount') + sinks.count('bad-scheme')).toBe(0);

    // The same facts are visible to any process through Redis.
    const published = await waitFor('statuses in Redis', async () => {
      const m = await coordinator!.statusStore.readMany(['good', 'closed-port', 'no-mount', 'bad-scheme']);
      return m.size === 4 && m.get('good')?.state === 'online' && m.get('no-mount')?.state === 'failed' ? m : null;
    });
    expect(published.get('closed-port')!.reason).toMatch(/refused/i);
    expect(published.get('bad-scheme')!.state).toBe('failed');
  });
});
