import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegFrameSource } from '../pipeline/sources/ffmpeg-frame.source.js';
import type { FrameSource } from '../pipeline/sources/frame-source.port.js';
import { redisKey } from '../workers/queues/job-registry.js';
import { CameraLeaseManager } from '../workers/ingest/camera-lease.js';
import { IngestCoordinator } from '../workers/ingest/ingest-coordinator.js';
import { RtspSimulator } from '../workers/sim/rtsp-sim.js';
import { CountingSinks, cameraConfig, redisSandbox, waitFor } from './support/ingest-fixtures.js';
import { SHARED_DATA } from './support/shared-paths.js';

const CLIP_A = path.join(SHARED_DATA, 'traffic', 'intel_car-detection.mp4');
const CLIP_B = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video02_highway.avi');

describe('camera leases (real Redis)', () => {
  const redis = redisSandbox();
  afterAll(() => redis.cleanup());

  it('one holder at a time; only the holder renews or releases; expiry frees the camera', async () => {
    const r = redis.client();
    const a = new CameraLeaseManager(r, { ownerId: 'host-a:1', ttlMs: 400 });
    const b = new CameraLeaseManager(r, { ownerId: 'host-b:2', ttlMs: 400 });
    expect(await a.tryAcquire('c1')).toBe(true);
    expect(await a.tryAcquire('c1')).toBe(true); // re-entrant for the holder
    expect(await b.tryAcquire('c1')).toBe(false);
    expect(await b.renew('c1')).toBe(false);
    expect(await b.release('c1')).toBe(false);
    expect(await a.owner('c1')).toBe('host-a:1');
    expect(await a.renew('c1')).toBe(true);
    expect(await a.release('c1')).toBe(true);
    expect(await b.tryAcquire('c1')).toBe(true);
    // b stops renewing (dies): the lease expires by itself and a can take it.
    await waitFor('lease expiry', async () => a.tryAcquire('c1'), { timeoutMs: 5000, everyMs: 50 });
    expect(await b.renew('c1')).toBe(false);
    expect(await a.owner('c1')).toBe('host-a:1');
  });
});

describe('coordinator camera list changes (real Redis, in-memory sources)', () => {
  const redis = redisSandbox();
  afterAll(() => redis.cleanup());

  it('keeps unchanged cameras, restarts changed ones, gives up removed ones and releases their leases', async () => {
    // A source that yields a frame every 50 ms until aborted.
    const source = (): FrameSource => ({
      lastError: () => null,
      async *frames(signal) {
        for (let i = 0; !signal.aborted; i++) {
          await new Promise((r) => setTimeout(r, 50));
          if (!signal.aborted) yield { jpeg: Buffer.from([0xff, 0xd8]), width: 2, height: 2, ptsMs: i * 50, index: i, receivedAt: Date.now() };
        }
      },
    });
    const sinks = new CountingSinks();
    const r = redis.client();
    const c = new IngestCoordinator({ redis: r, cameras: [cameraConfig('x', 'rtsp://h/x'), cameraConfig('y', 'rtsp://h/y'), cameraConfig('z', 'rtsp://h/z', { enabled: false })], source, openCamera: sinks.open, leaseTtlMs: 3000 });
    try {
      await c.start();
      expect(c.ownedCameraIds().sort()).toEqual(['x', 'y']); // disabled cameras are not taken
      await waitFor('frames', () => sinks.count('x') > 2 && sinks.count('y') > 2);
      const supX = c.supervisor('x');
      const supY = c.supervisor('y');
      // Same configs with keys in another order: nothing restarts.
      await c.setCameras([{ ...cameraConfig('y', 'rtsp://h/y') }, Object.fromEntries(Object.entries(cameraConfig('x', 'rtsp://h/x')).reverse()) as any]);
      expect(c.supervisor('x')).toBe(supX);
      expect(c.supervisor('y')).toBe(supY);
      // y changes (fps), x is removed.
      await c.setCameras([cameraConfig('y', 'rtsp://h/y', { fps: 2 })]);
      expect(c.ownedCameraIds()).toEqual(['y']);
      expect(c.supervisor('y')).not.toBe(supY);
      expect(c.supervisor('y')!.camera.fps).toBe(2);
      expect(sinks.closed.sort()).toEqual(['x', 'y']);
      expect(await r.exists(redisKey.cameraLease('x'))).toBe(0);
      expect(await c.leases.owner('y')).toBe(c.ownerId);
      const st = await waitFor('x status says removed', async () => c.statusStore.read('x'));
      expect(st.reason).toMatch(/removed/);
      expect(await r.pttl(redisKey.cameraStatus('x'))).toBeGreaterThan(0); // expires by itself
    } finally {
      await c.stop();
    }
  });
});

describe('balancing cameras across ingest processes (real Redis, in-memory sources)', () => {
  const redis = redisSandbox();
  afterAll(() => redis.cleanup());

  it('a process that joins gets its share; when one leaves, the other takes everything', async () => {
    const source = (): FrameSource => ({
      lastError: () => null,
      async *frames(signal) {
        for (let i = 0; !signal.aborted; i++) {
          await new Promise((r) => setTimeout(r, 50));
          if (!signal.aborted) yield { jpeg: Buffer.from([0xff, 0xd8]), width: 2, height: 2, ptsMs: i * 50, index: i, receivedAt: Date.now() };
        }
      },
    });
    const cameras = ['c1', 'c2', 'c3', 'c4', 'c5'].map((id) => cameraConfig(id, `rtsp://h/${id}`));
    const sinksP = new CountingSinks();
    const sinksQ = new CountingSinks();
    const opts = { cameras, source, leaseTtlMs: 1500 };
    const p = new IngestCoordinator({ ...opts, redis: redis.client(), ownerId: 'p:1', openCamera: sinksP.open });
    const q = new IngestCoordinator({ ...opts, redis: redis.client(), ownerId: 'q:2', openCamera: sinksQ.open });
    try {
      await p.start();
      expect(p.ownedCameraIds()).toHaveLength(5); // alone: everything
      await q.start();
      await waitFor('3 + 2 split', () => p.ownedCameraIds().length === 3 && q.ownedCameraIds().length === 2, {
        timeoutMs: 20_000,
        describe: () => [p.ownedCameraIds(), q.ownedCameraIds()],
      });
      expect([...p.ownedCameraIds(), ...q.ownedCameraIds()].sort()).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
      const handed = q.ownedCameraIds()[0]!;
      expect(sinksP.closed).toContain(handed);
      // Stable: no camera moves again while both live.
      const before = [p.ownedCameraIds().sort(), q.ownedCameraIds().sort()];
      await new Promise((r) => setTimeout(r, 2000));
      expect([p.ownedCameraIds().sort(), q.ownedCameraIds().sort()]).toEqual(before);
      await p.stop();
      await waitFor('q takes everything', () => q.ownedCameraIds().length === 5, { timeoutMs: 20_000, describe: () => q.ownedCameraIds() });
    } finally {
      await p.stop();
      await q.stop();
    }
  });
});

describe('coordinator when Redis stops answering (real Redis, in-memory source)', () => {
  const redis = redisSandbox();
  afterAll(() => redis.cleanup());

  it('stops a camera whose lease it can no longer renew, before the lease could have passed to another owner', async () => {
    const source = (): FrameSource => ({
      lastError: () => null,
      async *frames(signal) {
        for (let i = 0; !signal.aborted; i++) {
          await new Promise((r) => setTimeout(r, 50));
          if (!signal.aborted) yield { jpeg: Buffer.from([0xff, 0xd8]), width: 2, height: 2, ptsMs: i * 50, index: i, receivedAt: Date.now() };
        }
      },
    });
    const sinks = new CountingSinks();
    const c = new IngestCoordinator({ redis: redis.client(), cameras: [cameraConfig('x', 'rtsp://h/x')], source, openCamera: sinks.open, leaseTtlMs: 1500 });
    try {
      await c.start();
      await waitFor('frames', () => sinks.count('x') > 2);
      // Renewals now hang (a client queueing commands while Redis is unreachable) or fail.
      let calls = 0;
      (c.leases as any).renew = () => (++calls % 2 ? new Promise(() => undefined) : Promise.reject(new Error('Connection is closed.')));
      await waitFor('camera stopped', () => c.ownedCameraIds().length === 0 && sinks.closed.includes('x'), { timeoutMs: 10_000 });
      expect(calls).toBeGreaterThanOrEqual(1);
    } finally {
      await c.abandon();
    }
  });
});

describe('two ingest coordinators sharing cameras (real RTSP server, ffmpeg, Redis)', () => {
  let sim: RtspSimulator;
  const redis = redisSandbox();
  const coordinators: IngestCoordinator[] = [];

  beforeAll(async () => {
    sim = await RtspSimulator.start({ cameras: [{ name: 'a', file: CLIP_A }, { name: 'b', file: CLIP_B }] });
  });
  afterAll(async () => {
    for (const c of coordinators) await c.stop();
    await sim?.stop();
    await redis.cleanup();
  });

  it('exactly one owner per camera; a dead owner is taken over after the TTL; a lost lease stops the camera', async () => {
    const cameras = [cameraConfig('a', sim.url('a')), cameraConfig('b', sim.url('b'))];
    const leaseTtlMs = 3000;
    const make = (ownerId: string, sinks: CountingSinks, maxCameras?: number) => {
      const c = new IngestCoordinator({
        redis: redis.client(),
        cameras,
        ownerId,
        maxCameras,
        leaseTtlMs,
        source: (cam) => new FfmpegFrameSource({ url: cam.url, fps: cam.fps, ioTimeoutMs: 5000 }),
        openCamera: sinks.open,
        supervisor: { backoff: { initialMs: 250, maxMs: 2000 }, statusIntervalMs: 500 },
      });
      coordinators.push(c);
      return c;
    };
    const sinksP = new CountingSinks();
    const sinksQ = new CountingSinks();
    const p = make('proc-p:1', sinksP, 1);
    const q = make('proc-q:2', sinksQ);
    // p (capped at one camera) starts first, then q takes whatever is left.
    await p.start();
    await q.start();
    await waitFor('both cameras owned', () => p.ownedCameraIds().length + q.ownedCameraIds().length === 2, {
      describe: () => [p.ownedCameraIds(), q.ownedCameraIds()],
    });
    const ownedByP = p.ownedCameraIds();
    const ownedByQ = q.ownedCameraIds();
    expect(ownedByP).toHaveLength(1); // its cap
    expect([...ownedByP, ...ownedByQ].sort()).toEqual(['a', 'b']); // each camera exactly once
    const pCam = ownedByP[0]!;
    const qCam = ownedByQ[0]!;
    expect(await p.leases.owner(pCam)).toBe('proc-p:1');
    expect(await q.leases.owner(qCam)).toBe('proc-q:2');
    await waitFor('frames flow in both processes', () => sinksP.count(pCam) > 3 && sinksQ.count(qCam) > 3);
    expect(sinksQ.count(pCam)).toBe(0);
    expect(sinksP.count(qCam)).toBe(0);

    // p dies: it stops renewing but never releases. Its lease still names it until the TTL runs out.
    await p.abandon();
    expect(sinksP.closed).toEqual([pCam]);
    expect(await q.leases.owner(pCam)).toBe('proc-p:1');
    await waitFor('q takes over the dead owner\'s camera', () => q.ownedCameraIds().includes(pCam), {
      timeoutMs: leaseTtlMs * 5,
      describe: () => q.ownedCameraIds(),
    });
    expect(await q.leases.owner(pCam)).toBe('proc-q:2');
    await waitFor('taken-over camera delivers frames in q', () => sinksQ.count(pCam) > 3);
    await waitFor('status names the new owner', async () => (await q.statusStore.read(pCam))?.ownerId === 'proc-q:2');

    // Someone else holds q's lease now (q was paused past its TTL, say): q must stop that camera at once.
    const admin = redis.client();
    await admin.set(redisKey.cameraLease(qCam), 'proc-r:3#beef', 'PX', 60_000);
    // The camera leaves the owned set at once; its ffmpeg and sink are closed right after (the close awaits ffmpeg's exit).
    await waitFor('q stops the camera whose lease it lost', () => !q.ownedCameraIds().includes(qCam) && sinksQ.closed.includes(qCam), {
      timeoutMs: leaseTtlMs * 3,
    });
    const framesAfterLoss = sinksQ.count(qCam);
    // q does not write the status of a camera it no longer owns (the write is guarded by the lease).
    expect(await q.statusStore.publish({ ...(await q.statusStore.read(qCam))!, state: 'online' }, q.leases.token)).toBe(false);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sinksQ.count(qCam)).toBe(framesAfterLoss);

    // Graceful stop releases: the lease key of q's remaining camera disappears at once.
    await q.stop();
    expect(await admin.exists(redisKey.cameraLease(pCam))).toBe(0);
    const last = await q.statusStore.read(pCam);
    expect(last?.state).toBe('reconnecting');
    expect(last?.reason).toMatch(/shut down/);
  });
});
