/**
 * The walking skeleton end to end with real parts: a looping RTSP camera (GStreamer server fed by ffmpeg) →
 * ingest (lease, supervisor, frame store in Redis, BullMQ) → an inference worker (YOLOX-nano) → the camera's
 * ordered stage (reorder, tracker, lines) → Postgres rows + snapshots in object storage → the Fastify API.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { YoloxDetector } from '../models/vehicles/yolox.detector.js';
import { openStorage, type Storage } from '../storage/storage.factory.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import type { CameraPipeline } from '../workers/camera/camera-pipeline.js';
import { DetectWorker } from '../workers/runtime/detect-worker.js';
import { runIngestRoot } from '../workers/runtime/ingest-root.js';
import { loadSettings } from '../workers/runtime/settings.js';
import { RtspSimulator } from '../workers/sim/rtsp-sim.js';
import { REDIS_URL, waitFor } from './support/ingest-fixtures.js';
import { SHARED_DATA } from './support/shared-paths.js';

const CLIP = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video02_highway.avi');
const tag = randomBytes(3).toString('hex');
const camId = `live-${tag}`;
const prefix = `iocv-test-${tag}`;
const logger = pino({ level: 'warn' });

let db: TestDatabase;
let sim: RtspSimulator;
let storage: Storage;
let worker: DetectWorker;
let dir: string;
const ac = new AbortController();
let ingestDone: Promise<void>;
const pipelines: CameraPipeline[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-live-'));
  sim = await RtspSimulator.start({ cameras: [{ name: camId, file: CLIP }] });
  const camerasFile = path.join(dir, 'cameras.json');
  writeFileSync(
    camerasFile,
    JSON.stringify({ cameras: [{ id: camId, url: sim.url(camId), fps: 5, lines: [{ id: 'L1', points: [[0.5, 0.625], [1, 0.625]] }] }] }),
  );
  const settings = loadSettings({ IOCV_REDIS_URL: REDIS_URL, IOCV_DATABASE_URL: db.url, IOCV_CAMERAS_FILE: camerasFile, IOCV_BULL_PREFIX: prefix });
  worker = new DetectWorker({ redisUrl: REDIS_URL, bullPrefix: prefix, concurrency: 2, detector: await YoloxDetector.create(), logger });
  await worker.waitUntilReady();
  ingestDone = runIngestRoot({
    settings,
    logger,
    signal: ac.signal,
    objectStore: { kind: 'fs', root: path.join(dir, 'objects') },
    onPipeline: (p) => pipelines.push(p),
  });
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
  const r = new Redis(REDIS_URL);
  const keys = [...(await r.keys(`${prefix}:*`)), ...(await r.keys(`iocv:*${camId}*`))];
  if (keys.length) await r.del(...keys);
  r.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('live pipeline: RTSP → BullMQ → worker → tracker → Postgres → API', () => {
  it('counts vehicles crossing the line, with snapshots, status and API access', async () => {
    const rows = await waitFor(
      'three crossings stored',
      async () => {
        const r = await storage.pool.query<{ id: string; snapshot_key: string | null; class: string }>(
          'SELECT id, snapshot_key, class FROM line_crossings WHERE camera_id = $1',
          [camId],
        );
        return r.rows.length >= 3 ? r.rows : null;
      },
      { timeoutMs: 120_000, everyMs: 500, describe: () => pipelines[0]?.stats() },
    );
    // every stored crossing has its annotated snapshot in object storage
    for (const row of rows) {
      expect(row.snapshot_key).toBeTruthy();
      const jpeg = await storage.objects.get(row.snapshot_key!);
      expect(jpeg).not.toBeNull();
      const meta = await sharp(jpeg!).metadata();
      expect(meta.format).toBe('jpeg');
      expect(meta.width).toBe(320);
    }
    // counts were bumped exactly once per stored crossing
    const sums = await storage.pool.query<{ c1: string; c15: string; n: string }>(
      `SELECT (SELECT coalesce(sum(count),0) FROM counts_1m WHERE camera_id=$1) c1,
              (SELECT coalesce(sum(count),0) FROM counts_15m WHERE camera_id=$1) c15,
              (SELECT count(*) FROM line_crossings WHERE camera_id=$1) n`,
      [camId],
    );
    expect(Number(sums.rows[0]!.c1)).toBe(Number(sums.rows[0]!.n));
    expect(Number(sums.rows[0]!.c15)).toBe(Number(sums.rows[0]!.n));

    // the camera is online with a measured input rate
    const status = await waitFor('status online', async () => {
      const s = await storage.cameras.getStatus(camId);
      return s?.state === 'online' && s.inputFps > 0 ? s : null;
    });
    expect(status.inputFps).toBeGreaterThan(3);

    // and the API serves what was stored
    const app = await buildApp({ cameras: storage.cameras, analytics: storage.analytics, objects: storage.objects, logger });
    try {
      const from = new Date(Date.now() - 3_600_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      const counts = await app.inject({ url: `/api/v1/counts?cameraId=${camId}&from=${from}&to=${to}&bucket=15m` });
      expect(counts.statusCode).toBe(200);
      const body = counts.json<{ total: number }>();
      expect(body.total).toBeGreaterThanOrEqual(rows.length);
      const snap = await app.inject({ url: `/api/v1/crossings/${encodeURIComponent(rows[0]!.id)}/snapshot` });
      expect(snap.statusCode).toBe(200);
      expect(snap.headers['content-type']).toMatch(/image\/jpeg/);
      const cams = await app.inject({ url: `/api/v1/cameras/${camId}/status` });
      expect(cams.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const st = pipelines[0]!.stats();
    expect(st.analysed).toBeGreaterThan(20);
  });
});
