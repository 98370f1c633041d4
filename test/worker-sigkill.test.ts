/**
 * A worker killed with SIGKILL in the middle of a job: BullMQ's stalled-job check hands the job to another worker,
 * the frame is analysed (late, but in order) and nothing is counted twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { openStorage, type Storage } from '../storage/storage.factory.js';
import type { CameraPipeline } from '../workers/camera/camera-pipeline.js';
import { QueueName } from '../workers/queues/job-registry.js';
import { runIngestRoot } from '../workers/runtime/ingest-root.js';
import { loadSettings } from '../workers/runtime/settings.js';
import { RtspSimulator } from '../workers/sim/rtsp-sim.js';
import { REDIS_URL, waitFor } from './support/ingest-fixtures.js';
import { REPO_ROOT, SHARED_DATA } from './support/shared-paths.js';

const CLIP = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video02_highway.avi');
const tag = randomBytes(3).toString('hex');
const camId = `kill-${tag}`;
const prefix = `iocv-test-${tag}`;
const logger = pino({ level: 'warn' });

let db: TestDatabase;
let sim: RtspSimulator;
let storage: Storage;
let dir: string;
let queue: Queue;
const children: ChildProcess[] = [];
const ac = new AbortController();
let ingestDone: Promise<void>;
const pipelines: CameraPipeline[] = [];

function startWorker(): ChildProcess {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'ioc-vision.mjs'), 'worker'], {
    cwd: REPO_ROOT,
    env: { ...process.env, IOCV_REDIS_URL: REDIS_URL, IOCV_BULL_PREFIX: prefix, IOCV_WORKER_CONCURRENCY: '1', IOCV_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-kill-'));
  sim = await RtspSimulator.start({ cameras: [{ name: camId, file: CLIP }] });
  const camerasFile = path.join(dir, 'cameras.json');
  // No drops: every frame must be analysed, so the killed worker's frame has to come back.
  writeFileSync(
    camerasFile,
    JSON.stringify({ cameras: [{ id: camId, url: sim.url(camId), fps: 5, maxInFlightFrames: 1000, lines: [{ id: 'L1', points: [[0.5, 0.625], [1, 0.625]] }] }] }),
  );
  const settings = loadSettings({ IOCV_REDIS_URL: REDIS_URL, IOCV_DATABASE_URL: db.url, IOCV_CAMERAS_FILE: camerasFile, IOCV_BULL_PREFIX: prefix });
  const objectStore = { kind: 'fs' as const, root: path.join(dir, 'objects') };
  ingestDone = runIngestRoot({ settings, logger, signal: ac.signal, objectStore, onPipeline: (p) => pipelines.push(p) });
  ingestDone.catch(() => undefined);
  storage = await openStorage({ databaseUrl: db.url, objectStore });
  queue = new Queue(QueueName.Detect, { connection: { url: REDIS_URL }, prefix });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  ac.abort();
  await ingestDone?.catch(() => undefined);
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await sim?.stop();
  await storage?.close();
  await db?.drop();
  const r = new Redis(REDIS_URL);
  const keys = [...(await r.keys(`${prefix}:*`)), ...(await r.keys(`iocv:*${camId}*`))];
  if (keys.length) await r.del(...keys);
  r.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('worker killed with SIGKILL mid-job', () => {
  it('retries the job on another worker and counts nothing twice', async () => {
    // Kill a worker while a job is in progress. A job takes tens of ms, so it may finish between looking and
    // killing: then try again with a fresh worker.
    const killedIds: string[] = [];
    for (let attempt = 0; attempt < 5 && !killedIds.length; attempt++) {
      const a = startWorker();
      await waitFor('worker analysing', () => (pipelines[0]?.stats().analysed ?? 0) > 10 * (attempt + 1), { timeoutMs: 90_000 });
      const active = await waitFor('a job in progress', async () => {
        const jobs = await queue.getActive();
        return jobs.length ? jobs : null;
      });
      a.kill('SIGKILL');
      await new Promise((r) => a.once('exit', r));
      for (const j of active) if ((await queue.getJobState(j.id!)) === 'active') killedIds.push(j.id!);
    }
    expect(killedIds.length).toBeGreaterThan(0);

    startWorker();
    for (const id of killedIds) {
      await waitFor(
        `job ${id} completed by the second worker`,
        async () => {
          const j = await Job.fromId(queue, id);
          return j ? await j.isCompleted() : false;
        },
        { timeoutMs: 90_000, everyMs: 500 },
      );
      const j = (await Job.fromId(queue, id))!;
      expect(j.stalledCounter).toBeGreaterThanOrEqual(1);
    }
    // let the pipeline take the retried results and a few more frames
    const before = pipelines[0]!.stats().analysed;
    await waitFor('more frames analysed', () => pipelines[0]!.stats().analysed > before + 10, { timeoutMs: 60_000 });
    const st = pipelines[0]!.stats();
    expect(st.lost).toBe(0); // the killed frame was not given up: it was retried and analysed
    expect(st.dropped).toBe(0);

    const r = await storage.pool.query<{ n: string; c1: string; c15: string; dup: string }>(
      `SELECT (SELECT count(*) FROM line_crossings WHERE camera_id=$1) n,
              (SELECT coalesce(sum(count),0) FROM counts_1m WHERE camera_id=$1) c1,
              (SELECT coalesce(sum(count),0) FROM counts_15m WHERE camera_id=$1) c15,
              (SELECT count(*) FROM (SELECT track_id, line_id FROM line_crossings WHERE camera_id=$1 GROUP BY 1,2 HAVING count(*) > 1) d) dup`,
      [camId],
    );
    const row = r.rows[0]!;
    expect(Number(row.n)).toBeGreaterThan(0);
    expect(Number(row.c1)).toBe(Number(row.n));
    expect(Number(row.c15)).toBe(Number(row.n));
    expect(Number(row.dup)).toBe(0);
  });
});
