/**
 * The operator page end to end in headless Chromium against the real API, real auth and real Postgres:
 * login form, camera cards with status, the latest snapshot (fetched with the token), per-line counts.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { AuthService } from '../api/auth/auth.service.js';
import { createFirstAdmin } from '../api/auth/bootstrap-admin.js';
import { IncidentEventHub } from '../api/live/incident-feed.js';
import { IncidentRepository, listenIncidentEvents, type IncidentListener } from '../storage/repositories/incident.repository.js';
import { CAMERA_DEFAULTS } from '../pipeline/config/camera-config.schema.js';
import type { LineCrossing } from '../pipeline/domain.types.js';
import { FsObjectStore } from '../storage/objects/fs-object.store.js';
import { objectKey } from '../storage/objects/object-keys.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { AnalyticsRepository } from '../storage/repositories/analytics.repository.js';
import { ApiKeyRepository } from '../storage/repositories/api-key.repository.js';
import { AuditRepository } from '../storage/repositories/audit.repository.js';
import { CameraRepository } from '../storage/repositories/camera.repository.js';
import { UserRepository } from '../storage/repositories/user.repository.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
let db: TestDatabase;
let pool: Pool;
let dir: string;
let app: FastifyInstance;
let base: string;
let browser: Browser;
let incidents: IncidentRepository;
let listener: IncidentListener;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 6 });
  await runMigrations(pool);
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-web-'));
  const cameras = new CameraRepository(pool);
  const analytics = new AnalyticsRepository(pool);
  const objects = new FsObjectStore(dir);
  await cameras.upsertMany([
    { id: 'le-loi', name: 'Ngã tư Lê Lợi', url: 'rtsp://u:p@h/1', enabled: true, group: null, ...CAMERA_DEFAULTS, lines: [{ id: 'L1', name: 'Vạch dừng', points: [[0, 0.5], [1, 0.5]] }], zones: [] },
    { id: 'cau-rong', name: 'Cầu Rồng', url: 'rtsp://h/2', enabled: true, group: null, ...CAMERA_DEFAULTS, lines: [], zones: [] },
  ]);
  const now = Date.now();
  await cameras.saveStatus({ cameraId: 'le-loi', state: 'online', reason: null, inputFps: 5, analysedFps: 5, droppedFrames: 0, framesTotal: 10, reconnects: 0, lastFrameAt: now, ownerId: 'h:1', updatedAt: now });
  await cameras.saveStatus({ cameraId: 'cau-rong', state: 'reconnecting', reason: 'no frame for 10000 ms', inputFps: 0, analysedFps: 0, droppedFrames: 0, framesTotal: 0, reconnects: 2, lastFrameAt: null, ownerId: 'h:1', updatedAt: now });
  const jpeg = await sharp({ create: { width: 320, height: 180, channels: 3, background: '#2a6' } }).jpeg().toBuffer();
  // 3 forward + 2 backward crossings on L1 within the last few minutes
  for (let i = 0; i < 5; i++) {
    const c: LineCrossing = {
      id: `le-loi:e:L1:${i}`,
      cameraId: 'le-loi',
      lineId: 'L1',
      trackId: `le-loi:e:${i}`,
      cls: i % 2 ? 'motorcycle' : 'car',
      direction: i < 3 ? 'forward' : 'backward',
      frame: { cameraId: 'le-loi', epoch: 'e', seq: i, ptsMs: 0, capturedAt: now - i * 30_000, width: 320, height: 180, frameKey: 'k' },
      box: { x: 1, y: 1, w: 10, h: 10 },
    };
    const key = objectKey.crossingSnapshot(c);
    await objects.put(key, jpeg, 'image/jpeg');
    await analytics.recordCrossing(c, key);
  }
  const users = new UserRepository(pool);
  await createFirstAdmin(users, 'admin', 'admin-demo-pass');
  const service = new AuthService({ users, apiKeys: new ApiKeyRepository(pool), signingKey: randomBytes(32) });
  incidents = new IncidentRepository(pool);
  const hub = new IncidentEventHub();
  listener = await listenIncidentEvents(pool, (n) => hub.notify(n));
  // one incident already open before the page loads
  await incidents.recordSignal({ type: 'camera_offline', severity: 'critical', cameraId: 'cau-rong', at: Date.now() - 60_000, details: { reason: 'no frame' } });
  app = await buildApp({ cameras, analytics, objects, incidents, incidentFeed: hub, auth: { service, audit: new AuditRepository(pool) } });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  browser = await chromium.launch({
    executablePath: process.env.IOCV_CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
  await listener?.close();
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('operator page in Chromium', () => {
  it('asks for a login, then shows cameras, status, the latest snapshot and counts', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/`);
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('#cameras').isVisible()).toBe(false);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login-error:not([hidden])');
    await page.fill('input[name=password]', 'admin-demo-pass');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('article.card[data-camera="le-loi"]');
    expect(await page.locator('#login').isVisible()).toBe(false);

    expect(await page.locator('article.card').count()).toBe(2);
    expect(await page.locator('[data-camera="le-loi"] .badge').getAttribute('data-state')).toBe('online');
    expect(await page.locator('[data-camera="cau-rong"] .badge').getAttribute('data-state')).toBe('reconnecting');
    expect(await page.locator('[data-camera="cau-rong"] .meta').innerText()).toContain('no frame for 10000 ms');
    const row = page.locator('table[data-camera="le-loi"] tr[data-line="L1"] td');
    expect(await row.allInnerTexts()).toEqual(['Vạch dừng', '3', '2', '5']);
    // the snapshot is loaded with the token (blob URL) and decodes as an image
    const img = page.locator('[data-camera="le-loi"] .snap img');
    await img.waitFor();
    expect(await img.getAttribute('src')).toMatch(/^blob:/);
    await page.waitForFunction(() => {
      const el = document.querySelector<HTMLImageElement>('[data-camera="le-loi"] .snap img');
      return !!el && el.complete && el.naturalWidth === 320;
    });
    expect(await page.locator('#who').innerText()).toContain('admin');

    // incidents: the one opened before the page loaded is listed; a new one arrives live, without a reload
    await page.locator('li.incident').first().waitFor();
    expect(await page.locator('li.incident').count()).toBe(1);
    expect(await page.locator('li.incident').first().innerText()).toContain('Cầu Rồng');
    const t0 = performance.now();
    const created = await incidents.recordSignal({ type: 'loitering', severity: 'warning', cameraId: 'le-loi', zoneId: 'Z1', at: Date.now(), details: { dwellSeconds: 42 } });
    const item = page.locator(`li.incident[data-incident="${created.incident.id}"]`);
    await item.waitFor();
    const latencyMs = performance.now() - t0;
    console.log(`incident latency, commit to screen: ${latencyMs.toFixed(0)} ms`);
    expect(await page.locator('#incident-count').innerText()).toBe('2');
    expect(await item.innerText()).toContain('Loitering / Lảng vảng');

    const outDir = path.join(REPO_ROOT, 'test-results');
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'operator-page.png'), fullPage: true });

    // acknowledge, then resolve, from the page: recorded with the logged-in user, and the item leaves the feed
    await item.locator('button.ack').click();
    await page.locator(`li.incident[data-incident="${created.incident.id}"][data-state="acknowledged"]`).waitFor();
    expect((await incidents.get(created.incident.id))!).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'user:admin' });
    await page.locator(`li.incident[data-incident="${created.incident.id}"] button.resolve`).click();
    await item.waitFor({ state: 'detached' });
    expect((await incidents.get(created.incident.id))!.state).toBe('resolved');
    expect(await page.locator('#incident-count').innerText()).toBe('1');

    await page.click('#logout');
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('article.card').first().isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });
});
