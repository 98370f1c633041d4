import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { BullQueueMetrics } from '../api/metrics/queue-metrics.js';
import { MetricsText, quantile } from '../api/metrics/prometheus.js';
import { CAMERA_DEFAULTS } from '../pipeline/config/camera-config.schema.js';
import type { DetectFramePayload } from '../workers/queues/job-registry.js';
import { QueueName } from '../workers/queues/job-registry.js';
import { BullFrameQueue } from '../workers/queues/frame-queue.js';
import { FsObjectStore } from '../storage/objects/fs-object.store.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { AnalyticsRepository } from '../storage/repositories/analytics.repository.js';
import { CameraRepository } from '../storage/repositories/camera.repository.js';

const REDIS_URL = process.env.IOCV_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `iocv-test-${randomBytes(4).toString('hex')}`;
let db: TestDatabase;
let pool: Pool;
let dir: string;
let redis: Redis;
let app: FastifyInstance;
let frameQueue: BullFrameQueue;
let metrics: BullQueueMetrics;

const payload = (cameraId: string, seq: number): DetectFramePayload => ({
  frame: { cameraId, epoch: 'e1', seq, ptsMs: seq * 200, capturedAt: Date.now(), width: 640, height: 360, frameKey: `k${seq}` },
  inputSize: 416,
  minScore: 0.3,
});

/** value of one series in a Prometheus text page */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 4 });
  await runMigrations(pool);
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-metrics-'));
  const cameras = new CameraRepository(pool);
  await cameras.upsertMany(['cam-a', 'cam-b'].map((id) => ({ id, name: id, url: `rtsp://h/${id}`, enabled: true, group: null, ...CAMERA_DEFAULTS, lines: [], zones: [] })));
  const now = Date.now();
  await cameras.saveStatus({ cameraId: 'cam-a', state: 'online', reason: null, inputFps: 5, analysedFps: 4.5, droppedFrames: 7, framesTotal: 500, reconnects: 2, lastFrameAt: now - 1000, ownerId: 'h:1', updatedAt: now });
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  frameQueue = new BullFrameQueue({ connection: redis, prefix });
  // 4 frames of cam-a processed by a worker that reports known inference times, then 3 of cam-b left waiting
  const done = new Promise<void>((resolve) => {
    let n = 0;
    const worker = new Worker(
      QueueName.Detect,
      async (job) => ({ detections: 0, inferenceMs: [10, 20, 30, 40][(job.data as DetectFramePayload).frame.seq]! }),
      { connection: redis.duplicate(), prefix },
    );
    worker.on('completed', () => {
      if (++n === 4) void worker.close().then(resolve);
    });
  });
  for (let i = 0; i < 4; i++) await frameQueue.add(payload('cam-a', i));
  await done;
  for (let i = 0; i < 3; i++) await frameQueue.add(payload('cam-b', 100 + i));
  metrics = new BullQueueMetrics({ connection: redis, prefix });
  app = await buildApp({ cameras, analytics: new AnalyticsRepository(pool), objects: new FsObjectStore(dir), queueMetrics: metrics });
});

afterAll(async () => {
  await app?.close();
  await metrics?.close();
  await frameQueue?.queue.obliterate({ force: true });
  await frameQueue?.close();
  redis?.disconnect();
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('GET /metrics', () => {
  it('exposes camera, queue, inference and HTTP figures in Prometheus format', async () => {
    await app.inject({ method: 'GET', url: '/api/v1/cameras' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const t = res.body;
    expect(value(t, 'iocv_camera_up{camera="cam-a"}')).toBe(1);
    expect(value(t, 'iocv_camera_up{camera="cam-b"}')).toBe(0);
    expect(value(t, 'iocv_camera_state{camera="cam-a",state="online"}')).toBe(1);
    expect(value(t, 'iocv_camera_input_fps{camera="cam-a"}')).toBe(5);
    expect(value(t, 'iocv_camera_analysed_fps{camera="cam-a"}')).toBe(4.5);
    expect(value(t, 'iocv_camera_dropped_frames_total{camera="cam-a"}')).toBe(7);
    expect(value(t, 'iocv_camera_reconnects_total{camera="cam-a"}')).toBe(2);
    expect(value(t, 'iocv_camera_input_fps{camera="cam-b"}')).toBeUndefined(); // never reported
    expect(value(t, 'iocv_queue_metrics_up')).toBe(1);
    expect(value(t, 'iocv_queue_jobs{queue="iocv-detect",state="waiting"}')).toBe(3);
    expect(value(t, 'iocv_queue_jobs{queue="iocv-detect",state="completed"}')).toBe(4);
    expect(value(t, 'iocv_camera_queue_waiting{camera="cam-b"}')).toBe(3);
    expect(value(t, 'iocv_camera_queue_lag_seconds{camera="cam-b"}')).toBeGreaterThanOrEqual(0);
    // inference 10, 20, 30, 40 ms: nearest-rank p50 = 20 ms, p95 = 40 ms
    expect(value(t, 'iocv_inference_duration_seconds{quantile="0.5"}')).toBeCloseTo(0.02, 6);
    expect(value(t, 'iocv_inference_duration_seconds{quantile="0.95"}')).toBeCloseTo(0.04, 6);
    expect(value(t, 'iocv_inference_duration_seconds_count')).toBe(4);
    expect(value(t, 'iocv_camera_inference_duration_seconds_count{camera="cam-a"}')).toBe(4);
    expect(value(t, 'iocv_http_requests_total{method="GET",route="/api/v1/cameras",status="2xx"}')).toBe(1);
    expect(t).toContain('# TYPE iocv_http_request_duration_seconds histogram');
    // every sample line is "name{labels} number"
    for (const line of t.trim().split('\n')) {
      if (!line.startsWith('#')) expect(line).toMatch(/^[a-z_:]+(\{[^}]*\})? (-?[0-9.e+-]+|NaN|\+Inf)$/);
    }
  });

  it('formats and validates metric families', () => {
    const m = new MetricsText().gauge('x_g', 'a "gauge"', [{ labels: { a: 'q"u\\o\nte' }, value: 1.5 }]);
    expect(m.toString()).toContain('x_g{a="q\\"u\\\\o\\nte"} 1.5');
    expect(() => new MetricsText().counter('x', 'no suffix', [])).toThrow();
    expect(() => new MetricsText().gauge('1bad', 'h', [])).toThrow();
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95)).toBe(10);
    expect(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5)).toBe(5);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });
});
