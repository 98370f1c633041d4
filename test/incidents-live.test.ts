/**
 * Live zone incidents end to end with real parts: a looping RTSP camera playing PETS09-S2L1 (a campus crossroads,
 * 5–8 people most of the time) → ingest (lease, ffmpeg, frame store, BullMQ) → a real inference worker (YOLOX-nano)
 * → the camera's ordered stage (tracker + a crowding rule from the camera config) → an incident row in Postgres with
 * its annotated snapshot in object storage → the API's live incident feed (SSE) → a client and the operator page in
 * headless Chromium (frame → screen latency).
 * Then the camera's rules are changed in the database: ingest restarts the camera (new epoch, new tracks, fresh rule
 * state), the rule raises again, and the signal joins the live incident instead of duplicating it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import sharp from 'sharp';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { IncidentEventHub } from '../api/live/incident-feed.js';
import { YoloxDetector } from '../models/vehicles/yolox.detector.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { listenIncidentEvents, type IncidentListener } from '../storage/repositories/incident.repository.js';
import { openStorage, type Storage } from '../storage/storage.factory.js';
import type { CameraPipeline } from '../workers/camera/camera-pipeline.js';
import { redisKey } from '../workers/queues/job-registry.js';
import { DetectWorker } from '../workers/runtime/detect-worker.js';
import { runIngestRoot } from '../workers/runtime/ingest-root.js';
import { loadSettings } from '../workers/runtime/settings.js';
import { RtspSimulator } from '../workers/sim/rtsp-sim.js';
import { REDIS_URL, waitFor } from './support/ingest-fixtures.js';
import { REPO_ROOT, SHARED_DATA } from './support/shared-paths.js';
import { SseClient } from './support/sse-client.js';

const CLIP = path.join(SHARED_DATA, 'people_pets09', 'pets09_s2l1_vtest.mp4');
const tag = randomBytes(3).toString('hex');
const camId = `pets-${tag}`;
const prefix = `iocv-test-${tag}`;
const logger = pino({ level: 'warn' });
const crowding = { type: 'crowding' as const, zone: 'VIEW', maxPeople: 3, minDurationSeconds: 3 };

interface FeedEvent {
  eventId: number;
  kind: string;
  incident: { id: string; type: string; cameraId: string; openedAt: string; occurrences: number; snapshotUrl: string | null; details: Record<string, unknown> };
}

let db: TestDatabase;
let sim: RtspSimulator;
let storage: Storage;
let worker: DetectWorker;
let dir: string;
let app: FastifyInstance;
let listener: IncidentListener;
let feed: SseClient<FeedEvent>;
let browser: Browser;
let page: Page;
const ac = new AbortController();
let ingestDone: Promise<void>;
const pipelines: CameraPipeline[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-inc-live-'));
  const objectStore = { kind: 'fs' as const, root: path.join(dir, 'objects') };
  storage = await openStorage({ databaseUrl: db.url, objectStore });
  // The API first, with its live feed, and a client on it before anything happens: the incident must arrive live.
  const hub = new IncidentEventHub();
  listener = await listenIncidentEvents(storage.pool, (n) => hub.notify(n));
  app = await buildApp({ cameras: storage.cameras, analytics: storage.analytics, objects: storage.objects, incidents: storage.incidents, incidentFeed: hub, logger });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  feed = await SseClient.open<FeedEvent>(`${base}/api/v1/incidents/stream?cameraId=${camId}`);
  browser = await chromium.launch({
    executablePath: process.env.IOCV_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // When each incident item first appears on the page (the page's clock is this machine's clock).
  await page.addInitScript(() => {
    const seen: Record<string, number> = {};
    (window as unknown as { __seen: Record<string, number> }).__seen = seen;
    new MutationObserver(() => {
      document.querySelectorAll('li.incident').forEach((el) => {
        const id = el.getAttribute('data-incident');
        if (id && !(id in seen)) seen[id] = Date.now();
      });
    }).observe(document, { childList: true, subtree: true });
  });
  await page.goto(`${base}/`);
  // This server has no auth: no login; the page's live feed must be connected before anything happens.
  await page.waitForFunction(() => document.getElementById('feed-state')?.dataset.state === 'live', undefined, { timeout: 30_000 });

  sim = await RtspSimulator.start({ cameras: [{ name: camId, file: CLIP }] });
  const camerasFile = path.join(dir, 'cameras.json');
  writeFileSync(
    camerasFile,
    JSON.stringify({
      cameras: [{ id: camId, name: 'PETS09 crossroads', url: sim.url(camId), fps: 5, zones: [{ id: 'VIEW', name: 'Whole view', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] }], rules: [crowding] }],
    }),
  );
  const settings = loadSettings({ IOCV_REDIS_URL: REDIS_URL, IOCV_DATABASE_URL: db.url, IOCV_CAMERAS_FILE: camerasFile, IOCV_BULL_PREFIX: prefix });
  worker = new DetectWorker({ redisUrl: REDIS_URL, bullPrefix: prefix, concurrency: 2, detector: await YoloxDetector.create(), logger });
  await worker.waitUntilReady();
  ingestDone = runIngestRoot({ settings, logger, signal: ac.signal, objectStore, cameraRefreshMs: 1000, onPipeline: (p) => pipelines.push(p) });
  ingestDone.catch(() => undefined);
});

afterAll(async () => {
  feed?.close();
  await browser?.close();
  ac.abort();
  await ingestDone?.catch(() => undefined);
  await worker?.close();
  await sim?.stop();
  await app?.close();
  await listener?.close();
  await storage?.close();
  await db?.drop();
  const r = new Redis(REDIS_URL);
  const keys = [...(await r.keys(`${prefix}:*`)), ...(await r.keys(`iocv:*${camId}*`)), redisKey.cameraHealthLeader(prefix)];
  await r.del(...keys);
  r.disconnect();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('live zone incidents: RTSP → worker → zone rule → Postgres + snapshot → SSE', () => {
  it('raises a crowding incident with a snapshot, pushes it live, and does not duplicate it after a restart', async () => {
    const created = await feed.next((e) => e.data.kind === 'created' && e.data.incident.type === 'crowding', 150_000);
    const pushed = created.data.incident;
    // frame → client: from the capture of the frame that raised it to the event reaching the SSE client
    const latencyMs = created.receivedAt - Date.parse(pushed.openedAt);
    console.log(`incident latency, frame capture → SSE client: ${latencyMs} ms (pipeline p50 ${pipelines[0]?.stats().latencyP50Ms} ms capture → stage)`);
    expect(pushed).toMatchObject({ cameraId: camId, occurrences: 1 });
    expect(pushed.details).toMatchObject({ ruleId: 'crowding:VIEW', maxPeople: 3 });
    expect(Number(pushed.details.count)).toBeGreaterThan(3);
    expect(pushed.details.trackIds).toHaveLength(Number(pushed.details.count));
    // the first event already carries the picture
    expect(pushed.snapshotUrl).toBe(`/api/v1/incidents/${encodeURIComponent(pushed.id)}/snapshot`);
    // and the operator page shows it live, with its picture
    const item = page.locator(`li.incident[data-incident="${pushed.id}"]`);
    await item.waitFor({ timeout: 30_000 });
    const seenAt = await page.evaluate((id) => (window as unknown as { __seen: Record<string, number> }).__seen[id], pushed.id);
    console.log(`incident latency, frame capture → on screen (Chromium, snapshot loaded): ${seenAt! - Date.parse(pushed.openedAt)} ms`);
    expect(await item.innerText()).toContain('PETS09 crossroads');
    expect(await item.locator('img').count()).toBe(1);

    const row = (await storage.incidents.get(pushed.id))!;
    expect(row).toMatchObject({ type: 'crowding', zoneId: 'VIEW', state: 'open' });
    const jpeg = await storage.objects.get(row.snapshotKey!);
    const meta = await sharp(jpeg!).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 768, 576]);
    // kept for a look by eye (test-results/ is ignored by git)
    mkdirSync(path.join(REPO_ROOT, 'test-results'), { recursive: true });
    writeFileSync(path.join(REPO_ROOT, 'test-results', 'incident-crowding.jpg'), jpeg!);
    const snap = await app.inject({ url: pushed.snapshotUrl! });
    expect(snap.statusCode).toBe(200);
    expect(snap.headers['content-type']).toMatch(/image\/jpeg/);

    // A rules change is a config change: ingest restarts the camera (new epoch, tracker and rule state) within
    // its refresh. The fresh rule raises again; the signal joins the live incident.
    const cam = (await storage.cameras.get(camId))!;
    const { createdAt: _c, updatedAt: _u, ...config } = cam;
    await storage.cameras.upsertMany([{ ...config, rules: [{ ...crowding, minDurationSeconds: 2 }] }]);
    await waitFor('camera restarted with the new rules', () => pipelines.length >= 2, { timeoutMs: 60_000 });
    const updated = await feed.next((e) => e.data.kind === 'updated' && e.data.incident.id === pushed.id, 120_000);
    expect(updated.data.incident.occurrences).toBeGreaterThanOrEqual(2);
    const rows = await storage.pool.query<{ id: string; occurrences: number }>("SELECT id, occurrences FROM incidents WHERE camera_id = $1 AND type = 'crowding'", [camId]);
    expect(rows.rows.map((r) => r.id)).toEqual([pushed.id]);
    const signals = await storage.pool.query<{ incident_id: string }>('SELECT incident_id FROM incident_signals WHERE incident_id = $1', [pushed.id]);
    expect(signals.rows.length).toBe(rows.rows[0]!.occurrences);
    // nothing else on the feed but this incident's events
    expect(new Set(feed.events.map((e) => e.data.incident.id))).toEqual(new Set([pushed.id]));
    expect(feed.events.filter((e) => e.data.kind === 'created')).toHaveLength(1);
  });
});
