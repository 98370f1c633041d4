/**
 * Inference lagging behind a live camera (real RTSP server, ffmpeg, Redis, BullMQ, Postgres, the real model): with no
 * worker running, the camera keeps at most `maxInFlightFrames` frames queued, drops the older waiting frames before
 * spending anything on them (no frame stored, no job) and counts the drops in its status; once a worker starts, the
 * camera is analysed again from fresh frames, not from a backlog.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { YoloxDetector } from '../models/vehicles/yolox.detector.js';
import { openStorage, type Storage } from '../storage/storage.factory.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import type { CameraPipeline } from '../workers/camera/camera-pipeline.js';
import { QueueName } from '../workers/queues/job-registry.js';
import { DetectWorker } from '../workers/runtime/detect-worker.js';
import { runIngestRoot } from '../workers/runtime/ingest-root.js';
import { loadSettings } from '../workers/runtime/settings.js';
import { RtspSimulator } from '../workers/sim/rtsp-sim.js';
import { REDIS_URL, waitFor } from './support/ingest-fixtures.js';
import { SHARED_DATA } from './support/shared-paths.js';

const CLIP = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video.avi');
const tag = randomBytes(3).toString('hex');
const camId = `bp-${tag}`;
const prefix = `iocv-test-${tag}`;
const logger = pino({ level: 'warn' });
const MAX_IN_FLIGHT = 3;

let db: TestDatabase;
let sim: RtspSimulator;
let storage: Storage;
let dir: string;
let redis: Redis;
let queue: Queue;
let worker: DetectWorker | null = null;
const ac = new AbortController();
let ingestDone: Promise<void>;
const pipelines: CameraPipeline[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-bp-'));
  sim = await RtspSimulator.start({ cameras: [{ name: camId, file: CLIP }] });
  const camerasFile = path.join(dir, 'cameras.json');
  writeFileSync(
    camerasFile,
    JSON.stringify({ cameras: [{ id: camId, url: sim.url(camId), fps: 10, maxInFlightFrames: MAX_IN_FLIGHT, lines: [{ id: 'L1', points: [[0.625, 0], [0.625, 1]] }] }] }),
  );
  const settings = loadSettings({ IOCV_REDIS_URL: REDIS_URL, IOCV_DATABASE_URL: db.url, IOCV_CAMERAS_FILE: camerasFile, IOCV_BULL_PREFIX: prefix });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queue = new Queue(QueueName.Detect, { connection: redis, prefix });
  ingestDone = runIngestRoot({ settings, logger, signal: ac.signal, objectStore: { kind: 'fs', root: path.join(dir, 'objects') }, onPipeline: (p) => pipelines.push(p) });
  ingestDone.catch(() => undefined);
  storage = await openStorage({ databaseUrl: db.url, objectStore: { kind: 'fs', root: path.join(dir, 'objects') } });
});

afterAll(async () => {
  ac.abort();
  await ingestDone?.catch(() => undefined);
  await worker?.close();
  await sim?.stop();
  await storage?.close();
  await db?.drop();
  await queue?.close();
  const keys = [...(await redis.keys(`${prefix}:*`)), ...(await redis.keys(`iocv:*${camId}*`))];
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('inference lagging behind a live camera', () => {
  it('bounds the frames in flight, drops and counts the rest unsent, and resumes from fresh frames', async () => {
    // No worker: frames pile up to the bound, then are dropped.
    const p = await waitFor('a pipeline dropping frames', () => (pipelines[0] && pipelines[0].stats().dropped >= 15 ? pipelines[0] : null), {
      timeoutMs: 60_000,
      describe: () => pipelines[0]?.stats(),
    });
    const counts = await queue.getJobCounts('waiting', 'active', 'prioritized');
    expect((counts.waiting ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0)).toBe(MAX_IN_FLIGHT);
    // Only the queued frames were ever stored.
    expect(await redis.keys(`iocv:frame:${camId}:*`)).toHaveLength(MAX_IN_FLIGHT);
    const st = p.stats();
    expect(st.inFlight).toBe(MAX_IN_FLIGHT);
    expect(st.framesIn).toBeGreaterThanOrEqual(st.dropped + MAX_IN_FLIGHT);
    expect(st.analysed).toBe(0);
    // The drops reach the camera status that the API serves.
    await waitFor('drops in the stored status', async () => ((await storage.cameras.getStatus(camId))?.droppedFrames ?? 0) > 0, { timeoutMs: 15_000 });

    // A worker starts: the backlog is only the bounded few, then fresh frames are analysed.
    worker = new DetectWorker({ redisUrl: REDIS_URL, bullPrefix: prefix, concurrency: 4, detector: await YoloxDetector.create(), logger });
    await worker.waitUntilReady();
    await waitFor('frames analysed again', () => p.stats().analysed >= MAX_IN_FLIGHT + 10, { timeoutMs: 60_000, describe: () => p.stats() });
    // Latency per analysed frame, in order: the bounded backlog waited for the worker; the frames after it were
    // captured while a worker was running (the held frame was the newest), so they waited far less.
    const lat = p.latencySamples();
    const backlog = lat.slice(0, MAX_IN_FLIGHT);
    const later = lat.slice(MAX_IN_FLIGHT + 1).sort((a, b) => a - b);
    const median = later[Math.floor(later.length / 2)]!;
    expect(Math.min(...backlog)).toBeGreaterThan(1500);
    expect(median).toBeLessThan(Math.min(...backlog) / 2);
  });
});
