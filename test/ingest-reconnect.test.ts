import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegFrameSource } from '../pipeline/sources/ffmpeg-frame.source.js';
import type { CameraStatus } from '../pipeline/domain.types.js';
import { IngestCoordinator } from '../workers/ingest/ingest-coordinator.js';
import { RtspSimulator } from '../workers/sim/rtsp-sim.js';
import { CountingSinks, cameraConfig, redisSandbox, waitFor } from './support/ingest-fixtures.js';
import { SHARED_DATA } from './support/shared-paths.js';

const CLIP = path.join(SHARED_DATA, 'traffic', 'intel_car-detection.mp4');

describe('ingest reconnect (real RTSP server, ffmpeg, Redis)', () => {
  let sim: RtspSimulator;
  const redis = redisSandbox();
  let coordinator: IngestCoordinator | null = null;

  beforeAll(async () => {
    sim = await RtspSimulator.start({ cameras: [{ name: 'cam1', file: CLIP }] });
  });
  afterAll(async () => {
    await coordinator?.stop();
    await sim?.stop();
    await redis.cleanup();
  });

  it('RTSP server killed → reconnecting with a reason → restarted → online again, same ingest', async () => {
    const sinks = new CountingSinks();
    const seen: CameraStatus[] = [];
    coordinator = new IngestCoordinator({
      redis: redis.client(),
      cameras: [cameraConfig('cam1', sim.url('cam1'), { noFrameTimeoutMs: 8000 })],
      source: (c) => new FfmpegFrameSource({ url: c.url, fps: c.fps, ioTimeoutMs: 5000 }),
      openCamera: sinks.open,
      onStatus: (s) => seen.push(s),
      leaseTtlMs: 3000,
      supervisor: { backoff: { initialMs: 250, maxMs: 2000 }, statusIntervalMs: 500 },
    });
    await coordinator.start();
    const sup = coordinator.supervisor('cam1')!;
    expect(sup).toBeDefined();

    await waitFor('cam1 online with frames', () => sup.status().state === 'online' && sinks.count('cam1') >= 5, {
      describe: () => sup.status(),
    });
    const published = await waitFor('online status in Redis', async () => {
      const s = await coordinator!.statusStore.read('cam1');
      return s?.state === 'online' ? s : null;
    });
    expect(published.ownerId).toBe(coordinator.ownerId);
    expect(published.inputFps).toBeGreaterThan(0);

    const killedAt = Date.now();
    await sim.stopServer();
    await waitFor('cam1 reconnecting with a reason', () => sup.status().state === 'reconnecting' && sup.status().reason, {
      describe: () => sup.status(),
    });
    // While the server is down every attempt is refused: the reason says so.
    await waitFor('reason "Connection refused"', () => /refused/i.test(sup.status().reason ?? ''), { describe: () => sup.status() });
    const reconnecting = await waitFor('reconnecting status in Redis', async () => {
      const s = await coordinator!.statusStore.read('cam1');
      return s?.state === 'reconnecting' ? s : null;
    });
    expect(reconnecting.reason).toMatch(/refused|ended/i);
    const framesWhileDown = sinks.count('cam1');
    const firstReason = seen.find((x) => x.state === 'reconnecting' && x.updatedAt >= killedAt)?.reason;
    const noticedMs = (seen.find((x) => x.state === 'reconnecting' && x.updatedAt >= killedAt)?.updatedAt ?? NaN) - killedAt;

    await sim.startServer();
    const restartedAt = Date.now();
    await waitFor('cam1 online again', () => sup.status().state === 'online', { describe: () => sup.status() });
    console.log(
      `ingest-reconnect: server kill noticed after ${noticedMs} ms (first reason "${firstReason}"), ` +
        `online again ${Date.now() - restartedAt} ms after the server served again`,
    );
    await waitFor('cam1 online again with new frames', () => sup.status().state === 'online' && sinks.count('cam1') > framesWhileDown + 5, {
      describe: () => ({ status: sup.status(), frames: sinks.count('cam1') }),
    });
    // Same process, same supervisor: it reconnected by itself.
    expect(coordinator.supervisor('cam1')).toBe(sup);
    expect(sup.status().reconnects).toBeGreaterThanOrEqual(1);
    expect(sup.status().reason).toBeNull();
    expect(seen.map((s) => s.state)).toEqual(expect.arrayContaining(['online', 'reconnecting']));
    await waitFor('online status in Redis again', async () => (await coordinator!.statusStore.read('cam1'))?.state === 'online');
  });
});
