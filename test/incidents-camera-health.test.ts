/**
 * Camera offline/online incidents with real parts: a real RTSP camera (GStreamer server + ffmpeg feeder), ffmpeg
 * ingest, Redis (leases, live status, the health monitor's leader lease) and Postgres (incidents).
 *  1. The real ingest process: the camera's feeder is killed → camera_offline after the grace period → the feeder
 *     comes back → the offline incident is resolved by "system" and camera_online is recorded (resolved at once).
 *  2. Several ingest processes: the process that owns the camera AND leads the health monitor dies (nothing is
 *     published any more, its leases run out) → another process's monitor takes the lead and raises the outage →
 *     a third process takes the camera over → resolved.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../pipeline/incidents/incident.types.js';
import { FfmpegFrameSource } from '../pipeline/sources/ffmpeg-frame.source.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { IncidentRepository } from '../storage/repositories/incident.repository.js';
import { CameraHealthMonitor } from '../workers/ingest/camera-health.monitor.js';
import { RedisCameraStatusStore } from '../workers/ingest/camera-status.store.js';
import { IngestCoordinator } from '../workers/ingest/ingest-coordinator.js';
import { RedisLeaderLease } from '../workers/ingest/leader-lease.js';
import { redisKey } from '../workers/queues/job-registry.js';
import { runIngestRoot } from '../workers/runtime/ingest-root.js';
import { loadSettings } from '../workers/runtime/settings.js';
import { RtspSimulator } from '../workers/sim/rtsp-sim.js';
import { CountingSinks, REDIS_URL, cameraConfig, redisSandbox, waitFor } from './support/ingest-fixtures.js';
import { SHARED_DATA } from './support/shared-paths.js';

const CLIP = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video.avi');
const tag = randomBytes(3).toString('hex');
const CAM_A = `health-a-${tag}`;
const CAM_B = `health-b-${tag}`;
// Longer than a camera takes to connect (first frame 2–3 s after connect): starting up is not an outage.
const GRACE_MS = 8000;
const logger = pino({ level: 'warn' });

let sim: RtspSimulator;
let db: TestDatabase;
let pool: Pool;
let incidents: IncidentRepository;

beforeAll(async () => {
  sim = await RtspSimulator.start({ cameras: [{ name: CAM_A, file: CLIP }, { name: CAM_B, file: CLIP }] });
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 4 });
  await runMigrations(pool);
  incidents = new IncidentRepository(pool);
});

afterAll(async () => {
  await sim?.stop();
  await pool?.end();
  await db?.drop();
});

const of = async (cameraId: string, type: Incident['type']) => (await incidents.list({ cameraIds: [cameraId], types: [type] }));

describe('camera offline/online incidents', () => {
  const prefix = `iocv-test-${tag}`;
  let dir: string;
  const ac = new AbortController();
  let ingestDone: Promise<void> | null = null;

  afterAll(async () => {
    ac.abort();
    await ingestDone?.catch(() => undefined);
    const r = new Redis(REDIS_URL);
    const keys = [...(await r.keys(`${prefix}:*`)), ...(await r.keys(`iocv:*${CAM_A}*`)), redisKey.cameraHealthLeader(prefix)];
    await r.del(...keys);
    r.disconnect();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ingest: feeder killed → offline after the grace period → back → resolved by system, camera_online recorded', async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-health-'));
    const camerasFile = path.join(dir, 'cameras.json');
    // No worker runs: this test is about the camera's health, frames are queued and dropped.
    writeFileSync(camerasFile, JSON.stringify({ cameras: [{ id: CAM_A, url: sim.url(CAM_A), fps: 2, motionAssist: false, noFrameTimeoutMs: 3000 }] }));
    const settings = loadSettings({ IOCV_REDIS_URL: REDIS_URL, IOCV_DATABASE_URL: db.url, IOCV_CAMERAS_FILE: camerasFile, IOCV_BULL_PREFIX: prefix, IOCV_LEASE_TTL_MS: '3000' });
    ingestDone = runIngestRoot({
      settings,
      logger,
      signal: ac.signal,
      objectStore: { kind: 'fs', root: path.join(dir, 'objects') },
      cameraHealth: { graceMs: GRACE_MS, pollMs: 300, staleStatusMs: 5000 },
    });
    ingestDone.catch(() => undefined);
    const live = new RedisCameraStatusStore(new Redis(REDIS_URL));
    try {
      await waitFor('camera online', async () => (await live.read(CAM_A))?.state === 'online', { timeoutMs: 60_000 });
      // a healthy camera raises nothing
      expect(await of(CAM_A, 'camera_offline')).toEqual([]);

      const killedAt = Date.now();
      await sim.stopFeeder(CAM_A);
      const offline = await waitFor('camera_offline incident', async () => (await of(CAM_A, 'camera_offline'))[0], { timeoutMs: 60_000, describe: () => null });
      expect(offline).toMatchObject({ state: 'open', severity: 'critical', resolvedAt: null });
      // raised only once the camera had stayed down for the grace period
      const downSince = offline.details.downSince as number;
      expect(downSince).toBeGreaterThanOrEqual(killedAt - 1000);
      expect(offline.openedAt - downSince).toBeGreaterThanOrEqual(GRACE_MS);
      expect(typeof offline.details.reason).toBe('string');

      await sim.startFeeder(CAM_A);
      const resolved = await waitFor('offline incident resolved', async () => {
        const i = await incidents.get(offline.id);
        return i?.state === 'resolved' ? i : null;
      }, { timeoutMs: 60_000 });
      expect(resolved).toMatchObject({ resolvedBy: 'system', note: 'camera back online' });
      // The recovery is recorded for the feed and webhooks, and needs no operator action: resolved by the system.
      // (recorded right after the outage is resolved: wait for it rather than race it)
      const online = await waitFor('camera_online recorded and resolved', async () => {
        const rows = await of(CAM_A, 'camera_online');
        return rows.length && rows.every((r) => r.state === 'resolved') ? rows : null;
      }, { timeoutMs: 15_000 });
      expect(online).toEqual([expect.objectContaining({ state: 'resolved', resolvedBy: 'system', severity: 'info' })]);
      // one outage, one incident; the event feed tells the story in order
      expect(await of(CAM_A, 'camera_offline')).toHaveLength(1);
      const events = (await incidents.listEventsAfter(0, 100, [CAM_A])).map((e) => `${e.incident.type}:${e.kind}`);
      expect(events).toEqual(['camera_offline:created', 'camera_offline:resolved', 'camera_online:created', 'camera_online:resolved']);
    } finally {
      await sim.startFeeder(CAM_A).catch(() => undefined);
    }
  });
});

describe('camera health with several ingest processes', () => {
  const redis = redisSandbox();
  const leaderKey = redisKey.cameraHealthLeader('deployment');
  const stops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await redis.cleanup();
  });

  /** One ingest process: a coordinator owning cameras (optional) and its health monitor. */
  function ingestProcess(name: string, withCoordinator: boolean) {
    const r = redis.client();
    const camera = cameraConfig(CAM_B, sim.url(CAM_B), { fps: 2, noFrameTimeoutMs: 3000 });
    const coordinator = withCoordinator
      ? new IngestCoordinator({
          redis: r,
          cameras: [camera],
          ownerId: name,
          source: (c) => new FfmpegFrameSource({ url: c.url, fps: c.fps, ioTimeoutMs: 3000 }),
          openCamera: new CountingSinks().open,
          leaseTtlMs: 2000,
          supervisor: { statusIntervalMs: 500 },
        })
      : null;
    const monitor = new CameraHealthMonitor({
      leader: new RedisLeaderLease(r, { key: leaderKey, ownerId: name, ttlMs: 2000 }),
      statuses: new RedisCameraStatusStore(r),
      cameras: async () => [camera],
      incidents,
      graceMs: GRACE_MS,
      staleStatusMs: 2500,
      pollMs: 300,
      logger,
    });
    stops.push(async () => {
      await monitor.stop();
      await coordinator?.stop();
    });
    return { coordinator, monitor };
  }

  it('the owner and leader dies → another process raises the outage → a new owner → resolved', async () => {
    const a = ingestProcess('host-a:1', true);
    await a.coordinator!.start();
    a.monitor.start();
    await waitFor('A leads', () => a.monitor.isLeader, { timeoutMs: 10_000 });
    const b = ingestProcess('host-b:2', false);
    b.monitor.start();
    const status = new RedisCameraStatusStore(redis.client());
    await waitFor('camera online, owned by A', async () => {
      const s = await status.read(CAM_B);
      return s?.state === 'online' && s.ownerId === 'host-a:1';
    }, { timeoutMs: 60_000 });
    // two monitors, one leader; a healthy camera raises nothing
    expect(b.monitor.isLeader).toBe(false);
    expect(await of(CAM_B, 'camera_offline')).toEqual([]);

    // A dies: no graceful shutdown, nothing published any more, its leases run out by themselves
    await a.coordinator!.abandon();
    await a.monitor.stop({ release: false });
    const offline = await waitFor('camera_offline raised by B', async () => (await of(CAM_B, 'camera_offline'))[0], { timeoutMs: 60_000 });
    expect(b.monitor.isLeader).toBe(true);
    expect(offline.state).toBe('open');
    expect(String(offline.details.reason)).toMatch(/no status from host-a:1|no ingest process reports/);

    // a replacement ingest process takes the camera over
    const c = ingestProcess('host-c:3', true);
    await c.coordinator!.start();
    await waitFor('camera owned by C', async () => (await status.read(CAM_B))?.ownerId === 'host-c:3', { timeoutMs: 60_000 });
    const resolved = await waitFor('outage resolved', async () => {
      const i = await incidents.get(offline.id);
      return i?.state === 'resolved' ? i : null;
    }, { timeoutMs: 60_000 });
    expect(resolved.resolvedBy).toBe('system');
    expect(await of(CAM_B, 'camera_offline')).toHaveLength(1);
    await waitFor('camera_online recorded', async () => (await of(CAM_B, 'camera_online')).length === 1, { timeoutMs: 15_000 });
  });
});
