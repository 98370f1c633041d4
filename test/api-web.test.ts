/**
 * The operator page end to end in headless Chromium against the real API, real auth and real Postgres:
 * login form, camera cards with status, the latest snapshot (fetched with the token), per-line counts, the live
 * incident feed with acknowledge / resolve, and the language toggle (Vietnamese by default, English, remembered).
 * Screenshots for a look by eye: test-results/operator-page-{vi,en,wall}.png.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
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
let incidentSnapshotKey: string;

/** A stand-in for an annotated snapshot: a road, a counting line or a zone, and boxed objects. */
async function scene(width: number, height: number, kind: 'crossing' | 'incident'): Promise<Buffer> {
  const s = width / 320;
  const overlay =
    kind === 'crossing'
      ? `<line x1="0" y1="${90 * s}" x2="${width}" y2="${90 * s}" stroke="#fd0" stroke-width="${2 * s}"/>
         <rect x="${140 * s}" y="${70 * s}" width="${46 * s}" height="${34 * s}" fill="none" stroke="#0f6" stroke-width="${2 * s}"/>
         <text x="${140 * s}" y="${66 * s}" font-family="DejaVu Sans" font-size="${10 * s}" fill="#0f6">car 0.91</text>`
      : `<polygon points="0,${108 * s} ${96 * s},${108 * s} ${96 * s},${height} 0,${height}" fill="#f003" stroke="#f44" stroke-width="${2 * s}"/>
         <rect x="${30 * s}" y="${110 * s}" width="${16 * s}" height="${40 * s}" fill="none" stroke="#f44" stroke-width="${2 * s}"/>
         <rect x="${200 * s}" y="${100 * s}" width="${14 * s}" height="${36 * s}" fill="none" stroke="#0f6" stroke-width="${1.5 * s}"/>
         <rect x="0" y="0" width="${width}" height="${16 * s}" fill="#000a"/>
         <text x="${4 * s}" y="${12 * s}" font-family="DejaVu Sans" font-size="${10 * s}" fill="#fff">Ngã tư Lê Lợi · Loitering · Vỉa hè (Z1)</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <rect width="${width}" height="${height}" fill="#4a5560"/>
    <polygon points="${110 * s},0 ${210 * s},0 ${300 * s},${height} ${20 * s},${height}" fill="#2b3137"/>
    <line x1="${160 * s}" y1="0" x2="${160 * s}" y2="${height}" stroke="#ddd" stroke-width="${1.5 * s}" stroke-dasharray="${8 * s} ${8 * s}"/>
    ${overlay}
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/**
 * Every label of the other language that must not be on the screen: the fixed parts of its dictionary strings,
 * leaving out those that also occur inside a label of the shown language ("Camera" is in "Cameras").
 */
async function foreignLabels(page: Page, shown: 'vi' | 'en'): Promise<string[]> {
  const dict = await dictionaries(page);
  const leaves = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(leaves) : []);
  const own = leaves(dict[shown]).map((s) => s.toLowerCase());
  const parts = leaves(dict[shown === 'vi' ? 'en' : 'vi']).flatMap((s) => s.split(/\{\w+\}/)).map((p) => p.trim().toLowerCase());
  return [...new Set(parts)].filter((p) => /\p{L}{3}/u.test(p) && !own.some((o) => o.includes(p)));
}

/** The dictionaries as the page loads them (a string, so the test runner leaves its import() alone). */
async function dictionaries(page: Page): Promise<Record<'vi' | 'en', unknown>> {
  return page.evaluate<Record<'vi' | 'en', unknown>>("import('/web/i18n.js').then((m) => m.I18N)");
}

/** What is on the screen: the visible text (as rendered, so upper-cased labels come out upper case) and placeholders. */
async function screenText(page: Page): Promise<string> {
  return page.evaluate(() => {
    const placeholders = Array.from(document.querySelectorAll<HTMLInputElement>('input[placeholder]')).filter((i) => i.offsetParent !== null).map((i) => i.placeholder);
    return [document.title, document.body.innerText, ...placeholders].join('\n');
  });
}

async function expectOnlyLanguage(page: Page, shown: 'vi' | 'en'): Promise<void> {
  expect(await page.evaluate(() => document.documentElement.lang)).toBe(shown);
  const text = (await screenText(page)).toLowerCase();
  const leaked = (await foreignLabels(page, shown)).filter((p) => text.includes(p));
  expect(leaked).toEqual([]);
  expect(text).not.toMatch(/\S \/ \S/); // no "Label / Nhãn" pairs
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 6 });
  await runMigrations(pool);
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-web-'));
  const cameras = new CameraRepository(pool);
  const analytics = new AnalyticsRepository(pool);
  const objects = new FsObjectStore(dir);
  await cameras.upsertMany([
    {
      id: 'le-loi',
      name: 'Ngã tư Lê Lợi',
      url: 'rtsp://u:p@h/1',
      enabled: true,
      group: null,
      ...CAMERA_DEFAULTS,
      lines: [{ id: 'L1', name: 'Vạch dừng', points: [[0, 0.5], [1, 0.5]] }],
      zones: [{ id: 'Z1', name: 'Vỉa hè', polygon: [[0, 0.6], [0.3, 0.6], [0.3, 1], [0, 1]] }],
    },
    { id: 'cau-rong', name: 'Cầu Rồng', url: 'rtsp://h/2', enabled: true, group: null, ...CAMERA_DEFAULTS, lines: [], zones: [] },
    { id: 'bach-dang', name: 'Bạch Đằng', url: 'rtsp://h/3', enabled: true, group: null, ...CAMERA_DEFAULTS, lines: [{ id: 'L1', points: [[0.5, 0], [0.5, 1]] }], zones: [] },
  ]);
  const now = Date.now();
  await cameras.saveStatus({ cameraId: 'le-loi', state: 'online', reason: null, inputFps: 5, analysedFps: 5, droppedFrames: 0, framesTotal: 10, reconnects: 0, lastFrameAt: now, ownerId: 'h:1', updatedAt: now });
  await cameras.saveStatus({ cameraId: 'cau-rong', state: 'reconnecting', reason: 'no frame for 10000 ms', inputFps: 0, analysedFps: 0, droppedFrames: 0, framesTotal: 0, reconnects: 2, lastFrameAt: null, ownerId: 'h:1', updatedAt: now });
  await cameras.saveStatus({ cameraId: 'bach-dang', state: 'failed', reason: 'ffmpeg exited with code 1', inputFps: 0, analysedFps: 0, droppedFrames: 3, framesTotal: 900, reconnects: 5, lastFrameAt: now - 600_000, ownerId: 'h:1', updatedAt: now });
  const jpeg = await scene(320, 180, 'crossing');
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
  // the failed camera's last crossing, from before it went down: its card shows that picture greyed out
  const old: LineCrossing = {
    id: 'bach-dang:e:L1:0',
    cameraId: 'bach-dang',
    lineId: 'L1',
    trackId: 'bach-dang:e:0',
    cls: 'truck',
    direction: 'backward',
    frame: { cameraId: 'bach-dang', epoch: 'e', seq: 0, ptsMs: 0, capturedAt: now - 600_000, width: 320, height: 180, frameKey: 'k' },
    box: { x: 1, y: 1, w: 10, h: 10 },
  };
  await objects.put(objectKey.crossingSnapshot(old), jpeg, 'image/jpeg');
  await analytics.recordCrossing(old, objectKey.crossingSnapshot(old));
  const users = new UserRepository(pool);
  await createFirstAdmin(users, 'admin', 'admin-demo-pass');
  const service = new AuthService({ users, apiKeys: new ApiKeyRepository(pool), signingKey: randomBytes(32) });
  incidents = new IncidentRepository(pool);
  const hub = new IncidentEventHub();
  listener = await listenIncidentEvents(pool, (n) => hub.notify(n));
  // one incident already open before the page loads
  await incidents.recordSignal({ type: 'camera_offline', severity: 'critical', cameraId: 'cau-rong', at: Date.now() - 60_000, details: { reason: 'no frame' } });
  const incidentJpeg = await scene(640, 360, 'incident');
  incidentSnapshotKey = objectKey.eventSnapshot({ id: 'loitering-fixture', cameraId: 'le-loi', at: now });
  await objects.put(incidentSnapshotKey, incidentJpeg, 'image/jpeg');
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
  it('asks for a login, then shows cameras, status, the latest snapshot, counts and live incidents, in Vietnamese or English', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      // the 401s before logging in (and for the wrong password) are expected; nothing else may be logged as an error
      if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
    });
    await page.goto(`${base}/`);
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('#cameras').isVisible()).toBe(false);
    // Vietnamese by default, from the first screen on
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('vi');
    expect(await page.locator('#login h2').innerText()).toBe('Đăng nhập');
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('#login-error:not([hidden])');
    expect(await page.locator('#login-error').innerText()).toBe('Sai tên đăng nhập hoặc mật khẩu');
    await page.fill('input[name=password]', 'admin-demo-pass');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('article.card[data-camera="le-loi"]');
    expect(await page.locator('#login').isVisible()).toBe(false);

    expect(await page.locator('article.card').count()).toBe(3);
    expect(await page.locator('[data-camera="le-loi"] .badge').getAttribute('data-state')).toBe('online');
    expect(await page.locator('[data-camera="le-loi"] .badge').innerText()).toBe('Trực tuyến');
    expect(await page.locator('[data-camera="cau-rong"] .badge').getAttribute('data-state')).toBe('reconnecting');
    expect(await page.locator('[data-camera="cau-rong"] .meta').innerText()).toContain('no frame for 10000 ms');
    expect(await page.locator('[data-camera="bach-dang"] .badge').innerText()).toBe('Lỗi');
    expect(await page.locator('[data-camera="bach-dang"] .meta').innerText()).toContain('ffmpeg exited with code 1');
    // a camera that is down is marked as such (greyed picture area, "no signal")
    expect(await page.locator('article.card.down').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-camera')).sort())).toEqual(['bach-dang', 'cau-rong']);
    expect(await page.locator('[data-camera="bach-dang"] .signal').innerText()).toMatch(/mất tín hiệu/i);
    const row = page.locator('table[data-camera="le-loi"] tr[data-line="L1"]').locator('th, td');
    expect(await row.allInnerTexts()).toEqual(['Vạch dừng', '3', '2', '5']);
    // a line without a name shows its id
    expect(await page.locator('table[data-camera="bach-dang"] tr[data-line="L1"]').locator('th, td').allInnerTexts()).toEqual(['L1', '0', '1', '1']);
    expect(await page.locator('[data-camera="bach-dang"] .snap img').evaluate((i) => getComputedStyle(i).filter)).toContain('grayscale');
    // the snapshot is loaded with the token (blob URL) and decodes as an image
    const img = page.locator('[data-camera="le-loi"] .snap img');
    await img.waitFor();
    expect(await img.getAttribute('src')).toMatch(/^blob:/);
    await page.waitForFunction(() => {
      const el = document.querySelector<HTMLImageElement>('[data-camera="le-loi"] .snap img');
      return !!el && el.complete && el.naturalWidth === 320;
    });
    expect(await page.locator('[data-camera="le-loi"] .caption').innerText()).toContain('Lượt qua gần nhất');
    expect(await page.locator('#who').innerText()).toContain('admin');

    // incidents: the one opened before the page loaded is listed; a new one arrives live, without a reload
    await page.locator('li.incident').first().waitFor();
    expect(await page.locator('li.incident').count()).toBe(1);
    expect(await page.locator('li.incident').first().innerText()).toContain('Cầu Rồng');
    expect(await page.locator('li.incident').first().getAttribute('data-severity')).toBe('critical');
    const t0 = performance.now();
    const created = await incidents.recordSignal(
      { type: 'loitering', severity: 'warning', cameraId: 'le-loi', zoneId: 'Z1', at: Date.now(), details: { dwellSeconds: 42 } },
      { snapshotKey: incidentSnapshotKey },
    );
    const item = page.locator(`li.incident[data-incident="${created.incident.id}"]`);
    await item.waitFor();
    const latencyMs = performance.now() - t0;
    console.log(`incident latency, commit to screen: ${latencyMs.toFixed(0)} ms`);
    expect(await page.locator('#incident-count').innerText()).toBe('2');
    // newest first
    expect(await page.locator('li.incident').first().getAttribute('data-incident')).toBe(created.incident.id);
    const vi = (await item.innerText()).toLowerCase(); // as shown: the severity is upper case
    for (const text of ['Lảng vảng', 'Cảnh báo', 'Ngã tư Lê Lợi', 'Khu vực Vỉa hè (Z1)', 'Số lần: 1', 'Lưu lại 42 giây', 'Mới']) expect(vi).toContain(text.toLowerCase());
    expect(await item.locator('button.ack').innerText()).toBe('Xác nhận');
    expect(await item.locator('button.resolve').innerText()).toBe('Giải quyết');
    // its picture: the thumbnail opens large; it is also the camera's newest picture now
    await page.waitForFunction((id) => {
      const el = document.querySelector<HTMLImageElement>(`li.incident[data-incident="${id}"] img`);
      return !!el && el.complete && el.naturalWidth === 640;
    }, created.incident.id);
    await page.waitForFunction(() => document.querySelector<HTMLImageElement>('[data-camera="le-loi"] .snap img')?.naturalWidth === 640);
    expect(await page.locator('[data-camera="le-loi"] .caption').innerText()).toContain('Sự cố gần nhất');
    await item.locator('button.thumb').click();
    await page.locator('#viewer[open]').waitFor();
    expect(await page.locator('#viewer-caption').innerText()).toContain('Lảng vảng');
    await page.keyboard.press('Escape');
    await page.locator('#viewer[open]').waitFor({ state: 'detached' });
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur()); // no focus ring in the pictures
    await expectOnlyLanguage(page, 'vi');

    const outDir = path.join(REPO_ROOT, 'test-results');
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'operator-page-vi.png'), fullPage: true });
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.screenshot({ path: path.join(outDir, 'operator-page-wall.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    // English on the toggle: every label switches (incident type, severity, state, buttons, cards, header)
    await page.click('.lang button[data-lang="en"]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await page.locator('.lang button[data-lang="en"]').getAttribute('aria-pressed')).toBe('true');
    const en = (await item.innerText()).toLowerCase();
    for (const text of ['Loitering', 'Warning', 'Zone Vỉa hè (Z1)', 'Occurrences: 1', 'Stayed 42 s', 'Open']) expect(en).toContain(text.toLowerCase());
    expect(await item.locator('button.ack').innerText()).toBe('Acknowledge');
    expect(await item.locator('button.resolve').innerText()).toBe('Resolve');
    expect(await page.locator('[data-camera="le-loi"] .badge').innerText()).toBe('Online');
    expect(await page.locator('[data-camera="bach-dang"] .badge').innerText()).toBe('Failed');
    expect(await page.locator('table[data-camera="le-loi"] thead').innerText()).toMatch(/Forward[\s\S]*Backward[\s\S]*Total/);
    expect(await page.title()).toBe('ioc-vision · Camera and incident monitoring');
    await expectOnlyLanguage(page, 'en');
    await page.screenshot({ path: path.join(outDir, 'operator-page-en.png'), fullPage: true });

    // remembered across a reload (the session stays: no new login)
    await page.reload();
    await item.waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
    expect(await page.evaluate(() => window.localStorage.getItem('iocv.lang'))).toBe('en');
    expect(await item.locator('button.ack').innerText()).toBe('Acknowledge');
    expect(await item.locator('.title').innerText()).toBe('Loitering');
    await page.locator('table[data-camera="le-loi"]').waitFor();
    await expectOnlyLanguage(page, 'en');

    // acknowledge with a note, then resolve, from the page: recorded with the logged-in user, and the item leaves the feed
    await item.locator('input.note').fill('Đã cử tổ tuần tra');
    await item.locator('button.ack').click();
    await page.locator(`li.incident[data-incident="${created.incident.id}"][data-state="acknowledged"]`).waitFor();
    expect((await incidents.get(created.incident.id))!).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'user:admin', note: 'Đã cử tổ tuần tra' });
    await page.locator(`li.incident[data-incident="${created.incident.id}"] .acked`).waitFor();
    expect(await item.locator('.acked').innerText()).toContain('Acknowledged by admin');
    expect(await item.locator('button.ack').isVisible()).toBe(false);
    expect(await page.locator('#incident-count').innerText()).toBe('1');
    await page.locator(`li.incident[data-incident="${created.incident.id}"] button.resolve`).click();
    await item.waitFor({ state: 'detached' });
    expect((await incidents.get(created.incident.id))!.state).toBe('resolved');
    expect(await page.locator('#incident-count').innerText()).toBe('1');

    // and back to Vietnamese
    await page.click('.lang button[data-lang="vi"]');
    await page.waitForFunction(() => document.documentElement.lang === 'vi');
    expect(await page.locator('li.incident').first().locator('button.ack').innerText()).toBe('Xác nhận');
    await expectOnlyLanguage(page, 'vi');

    await page.click('#logout');
    await page.locator('#login').waitFor({ state: 'visible' });
    expect(await page.locator('article.card').first().isVisible()).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('has the same keys in both dictionaries', async () => {
    const page = await browser.newPage();
    await page.goto(`${base}/web/i18n.js`);
    const dict = await dictionaries(page);
    const paths = (v: unknown, at: string): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => paths(x, at ? `${at}.${k}` : k)) : [at]);
    const vi = paths(dict.vi, '').sort();
    expect(paths(dict.en, '').sort()).toEqual(vi);
    expect(vi.length).toBeGreaterThan(100);
    await page.close();
  });
});
