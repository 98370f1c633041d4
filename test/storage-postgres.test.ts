import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAMERA_DEFAULTS, type CameraConfig } from '../pipeline/config/camera-config.schema.js';
import type { CameraStatus, LineCrossing, TrackSummary } from '../pipeline/domain.types.js';
import { createPool, ensureDatabase, loadMigrations, runMigrations, StorageError, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, TEST_PG_ADMIN_URL, type TestDatabase } from '../storage/postgres/test-database.js';
import { AnalyticsRepository, bucketStartMs } from '../storage/repositories/analytics.repository.js';
import { CameraRepository } from '../storage/repositories/camera.repository.js';
import { InvalidCursorError } from '../storage/repositories/pagination.js';

let db: TestDatabase;
let pool: Pool;
let analytics: AnalyticsRepository;
let cameras: CameraRepository;

const T0 = Date.UTC(2026, 10, 22, 7, 44, 0); // 07:44:00Z, one minute before a 15-minute boundary

function crossing(n: number, atMs: number, over: Partial<LineCrossing> = {}): LineCrossing {
  return {
    id: `cam-a:e1:L1:cam-a:e1:${n}`,
    cameraId: 'cam-a',
    lineId: 'L1',
    trackId: `cam-a:e1:${n}`,
    cls: 'car',
    direction: 'forward',
    frame: { cameraId: 'cam-a', epoch: 'e1', seq: n, ptsMs: n * 200, capturedAt: atMs, width: 640, height: 360, frameKey: `k${n}` },
    box: { x: 1, y: 2, w: 30, h: 20 },
    ...over,
  };
}

function camera(id: string, over: Partial<CameraConfig> = {}): CameraConfig {
  return {
    id,
    name: `Camera ${id}`,
    url: `rtsp://127.0.0.1:8554/${id}`,
    enabled: true,
    group: null,
    ...CAMERA_DEFAULTS,
    lines: [{ id: 'L1', points: [[0.1, 0.5], [0.9, 0.5]] }],
    zones: [],
    ...over,
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 6 });
  analytics = new AnalyticsRepository(pool);
  cameras = new CameraRepository(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('migrations', () => {
  it('run safely from several processes at once and only once', async () => {
    const pools = [createPool(db.url, { max: 1 }), createPool(db.url, { max: 1 }), createPool(db.url, { max: 1 })];
    try {
      const results = await Promise.all(pools.map((p) => runMigrations(p)));
      const appliedCounts = results.map((r) => r.applied.length).sort();
      const all = loadMigrations();
      // exactly one runner applied everything, the others found nothing to do
      expect(appliedCounts).toEqual([0, 0, all.length]);
      expect(results.every((r) => r.current === all.at(-1)!.version)).toBe(true);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
    const again = await runMigrations(pool);
    expect(again.applied).toEqual([]);
    const { rows } = await pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(loadMigrations().map((m) => m.version));
    const tables = await pool.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`);
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining(['cameras', 'camera_status', 'tracks', 'line_crossings', 'counts_1m', 'counts_15m', 'events', 'schema_migrations']),
    );
  });

  it('refuses a migration edited after it was applied', async () => {
    const edited = loadMigrations().map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited`, checksum: 'different' } : m));
    await expect(runMigrations(pool, edited)).rejects.toMatchObject({ code: 'IOCV_MIGRATION_CHANGED' });
  });

  it('rolls back a failing migration and records nothing', async () => {
    const bad = [...loadMigrations(), { version: 999, name: 'broken', sql: 'CREATE TABLE half_done (x int); SELECT no_such_function();', checksum: 'x' }];
    await expect(runMigrations(pool, bad)).rejects.toBeInstanceOf(StorageError);
    const t = await pool.query(`SELECT to_regclass('public.half_done') AS t`);
    expect(t.rows[0].t).toBeNull();
    const v = await pool.query('SELECT count(*)::int AS n FROM schema_migrations WHERE version = 999');
    expect(v.rows[0].n).toBe(0);
  });

  it('ensureDatabase creates a missing database and is a no-op when it exists', async () => {
    const u = new URL(TEST_PG_ADMIN_URL);
    u.pathname = `/${db.name}_extra`;
    try {
      expect(await ensureDatabase(u.toString())).toBe(true);
      expect(await ensureDatabase(u.toString())).toBe(false);
    } finally {
      const admin = createPool(TEST_PG_ADMIN_URL, { max: 1 });
      await admin.query(`DROP DATABASE IF EXISTS ${db.name}_extra WITH (FORCE)`);
      await admin.end();
    }
  });
});

describe('CameraRepository', () => {
  it('upserts cameras, reads them back with defaults, and only touches changed rows', async () => {
    const a = camera('cam-a', { group: 'district-1', zones: [{ id: 'Z1', polygon: [[0, 0], [1, 0], [1, 1]] }] });
    const b = camera('cam-b', { enabled: false, fps: 2 });
    expect(await cameras.upsertMany([a, b])).toBe(2);
    expect(await cameras.upsertMany([a, b])).toBe(0);
    expect(await cameras.upsertMany([{ ...b, name: 'Renamed' }])).toBe(1);
    const list = await cameras.list();
    expect(list.map((c) => c.id)).toEqual(['cam-a', 'cam-b']);
    const gotA = await cameras.get('cam-a');
    expect(gotA).toMatchObject({ ...a });
    expect(gotA!.createdAt).toBeGreaterThan(0);
    expect((await cameras.get('cam-b'))!).toMatchObject({ name: 'Renamed', enabled: false, fps: 2 });
    expect(await cameras.get('nope')).toBeNull();
  });

  it('keeps the newest status and ignores a late older report', async () => {
    const s: CameraStatus = {
      cameraId: 'cam-a',
      state: 'online',
      reason: null,
      inputFps: 5,
      analysedFps: 4.9,
      droppedFrames: 3,
      framesTotal: 12_345_678_901,
      reconnects: 1,
      lastFrameAt: T0,
      ownerId: 'host:1',
      updatedAt: T0 + 1000,
    };
    await cameras.saveStatus(s);
    expect(await cameras.getStatus('cam-a')).toEqual(s);
    await cameras.saveStatus({ ...s, state: 'reconnecting', reason: 'old', updatedAt: T0 });
    expect((await cameras.getStatus('cam-a'))!.state).toBe('online');
    const newer = { ...s, state: 'reconnecting' as const, reason: 'no frame for 10000 ms', lastFrameAt: null, updatedAt: T0 + 2000 };
    await cameras.saveStatus(newer);
    expect(await cameras.getStatus('cam-a')).toEqual(newer);
    expect((await cameras.listStatus()).map((x) => x.cameraId)).toEqual(['cam-a']);
    expect(await cameras.getStatus('cam-b')).toBeNull();
  });

  it('removes a camera and its status', async () => {
    await cameras.upsertMany([camera('cam-z')]);
    await cameras.saveStatus({ cameraId: 'cam-z', state: 'starting', reason: null, inputFps: 0, analysedFps: 0, droppedFrames: 0, framesTotal: 0, reconnects: 0, lastFrameAt: null, ownerId: null, updatedAt: T0 });
    expect(await cameras.remove('cam-z')).toBe(true);
    expect(await cameras.get('cam-z')).toBeNull();
    expect(await cameras.getStatus('cam-z')).toBeNull();
    expect(await cameras.remove('cam-z')).toBe(false);
  });
});

describe('AnalyticsRepository', () => {
  it('records a crossing once even when the job is retried or runs twice concurrently', async () => {
    const c = crossing(1, T0 + 5_000);
    expect(await analytics.recordCrossing(c, 'snapshots/cam-a/x.jpg')).toBe(true);
    expect(await analytics.recordCrossing(c, 'snapshots/cam-a/x.jpg')).toBe(false);
    const c2 = crossing(2, T0 + 6_000);
    const both = await Promise.all([analytics.recordCrossing(c2, null), analytics.recordCrossing(c2, null)]);
    expect(both.filter(Boolean)).toHaveLength(1);
    const r = await analytics.counts({ cameraId: 'cam-a', from: T0, to: T0 + 60_000, bucket: '1m' });
    expect(r.rows).toEqual([{ bucketStart: T0, cameraId: 'cam-a', lineId: 'L1', cls: 'car', direction: 'forward', count: 2 }]);
    const got = await analytics.getCrossing(c.id);
    expect(got).toMatchObject({ id: c.id, at: T0 + 5_000, frameSeq: 1, frameEpoch: 'e1', box: c.box, snapshotKey: 'snapshots/cam-a/x.jpg' });
    expect(await analytics.getCrossing('missing')).toBeNull();
    expect(await analytics.setCrossingSnapshot(c2.id, 'snapshots/cam-a/y.jpg')).toBe(true);
    expect((await analytics.getCrossing(c2.id))!.snapshotKey).toBe('snapshots/cam-a/y.jpg');
  });

  it('puts crossings in the right 1-minute, 15-minute, hour and day buckets across boundaries', async () => {
    const cam = 'cam-b';
    const times = [
      Date.UTC(2026, 10, 22, 7, 44, 59, 999), // last ms of 07:44 and of the 07:30 quarter
      Date.UTC(2026, 10, 22, 7, 45, 0, 0), // first ms of 07:45 and of the 07:45 quarter
      Date.UTC(2026, 10, 22, 7, 59, 30), // 07:59, 07:45 quarter
      Date.UTC(2026, 10, 22, 8, 0, 0), // 08:00, next hour
      Date.UTC(2026, 10, 22, 16, 59, 0), // 23:59 in Ho Chi Minh City (UTC+7)
      Date.UTC(2026, 10, 22, 17, 0, 0), // 00:00 next day in Ho Chi Minh City
    ];
    for (const [i, t] of times.entries()) {
      await analytics.recordCrossing(crossing(100 + i, t, { id: `b-${i}`, cameraId: cam, direction: i % 2 ? 'backward' : 'forward' }), null);
    }
    const from = Date.UTC(2026, 10, 22, 0, 0);
    const to = Date.UTC(2026, 10, 24, 0, 0);
    const sum = (rows: Array<{ bucketStart: number; count: number }>) => {
      const m = new Map<string, number>();
      for (const r of rows) m.set(new Date(r.bucketStart).toISOString(), (m.get(new Date(r.bucketStart).toISOString()) ?? 0) + r.count);
      return Object.fromEntries(m);
    };
    const m1 = await analytics.counts({ cameraId: cam, from, to, bucket: '1m' });
    expect(sum(m1.rows)).toEqual({
      '2026-11-22T07:44:00.000Z': 1,
      '2026-11-22T07:45:00.000Z': 1,
      '2026-11-22T07:59:00.000Z': 1,
      '2026-11-22T08:00:00.000Z': 1,
      '2026-11-22T16:59:00.000Z': 1,
      '2026-11-22T17:00:00.000Z': 1,
    });
    const m15 = await analytics.counts({ cameraId: cam, from, to, bucket: '15m' });
    expect(sum(m15.rows)).toEqual({
      '2026-11-22T07:30:00.000Z': 1,
      '2026-11-22T07:45:00.000Z': 2,
      '2026-11-22T08:00:00.000Z': 1,
      '2026-11-22T16:45:00.000Z': 1,
      '2026-11-22T17:00:00.000Z': 1,
    });
    const h = await analytics.counts({ cameraId: cam, from, to, bucket: '1h' });
    expect(sum(h.rows)).toEqual({
      '2026-11-22T07:00:00.000Z': 3,
      '2026-11-22T08:00:00.000Z': 1,
      '2026-11-22T16:00:00.000Z': 1,
      '2026-11-22T17:00:00.000Z': 1,
    });
    const dUtc = await analytics.counts({ cameraId: cam, from, to, bucket: '1d' });
    expect(sum(dUtc.rows)).toEqual({ '2026-11-22T00:00:00.000Z': 6 });
    const dVn = await analytics.counts({ cameraId: cam, from, to, bucket: '1d', timeZone: 'Asia/Ho_Chi_Minh' });
    expect(sum(dVn.rows)).toEqual({ '2026-11-21T17:00:00.000Z': 5, '2026-11-22T17:00:00.000Z': 1 });
    // filters and the half-open range
    const back = await analytics.counts({ cameraId: cam, direction: 'backward', from, to, bucket: '15m' });
    expect(back.rows.every((r) => r.direction === 'backward')).toBe(true);
    expect(back.rows.reduce((a, r) => a + r.count, 0)).toBe(3);
    const edge = await analytics.counts({ cameraId: cam, from: Date.UTC(2026, 10, 22, 7, 45), to: Date.UTC(2026, 10, 22, 8, 0), bucket: '1m' });
    expect(edge.rows.reduce((a, r) => a + r.count, 0)).toBe(2);
    const few = await analytics.counts({ cameraId: cam, from, to, bucket: '1m', maxRows: 4 });
    expect(few.rows).toHaveLength(4);
    expect(few.truncated).toBe(true);
    expect(m1.truncated).toBe(false);
    expect(bucketStartMs(times[0]!, '15m')).toBe(Date.UTC(2026, 10, 22, 7, 30));
  });

  it('pages crossings newest first with a keyset cursor, with ties on time broken by id', async () => {
    const cam = 'cam-p';
    const at = Date.UTC(2026, 10, 20, 10, 0);
    // 7 crossings: 3 share one timestamp, so the cursor must use the id as well
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const id = `p-${i}`;
      ids.push(id);
      await analytics.recordCrossing(crossing(200 + i, i < 3 ? at : at + i * 1000, { id, cameraId: cam, lineId: i % 2 ? 'L2' : 'L1' }), null);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await analytics.listCrossings({ cameraId: cam, limit: 3, cursor });
      seen.push(...page.items.map((c) => c.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(['p-6', 'p-5', 'p-4', 'p-3', 'p-2', 'p-1', 'p-0']);
    const l2 = await analytics.listCrossings({ cameraId: cam, lineId: 'L2' });
    expect(l2.items.map((c) => c.id)).toEqual(['p-5', 'p-3', 'p-1']);
    expect(l2.nextCursor).toBeNull();
    const ranged = await analytics.listCrossings({ cameraId: cam, from: at + 4000, to: at + 6000 });
    expect(ranged.items.map((c) => c.id)).toEqual(['p-5', 'p-4']);
    await expect(analytics.listCrossings({ cursor: 'not-a-cursor!' })).rejects.toBeInstanceOf(InvalidCursorError);
    await expect(analytics.listCrossings({ cursor: Buffer.from('{"a":1}').toString('base64url') })).rejects.toBeInstanceOf(InvalidCursorError);
    const latest = await analytics.latestCrossingPerCamera([cam, 'cam-b']);
    expect(latest.map((c) => [c.cameraId, c.id])).toEqual([['cam-b', 'b-5'], ['cam-p', 'p-6']]);
  });

  it('merges track summaries idempotently, in any order, and pages them', async () => {
    const base: TrackSummary = {
      trackId: 'cam-t:e1:1',
      cameraId: 'cam-t',
      cls: 'car',
      firstSeenAt: T0,
      lastSeenAt: T0 + 2000,
      frames: 10,
      path: [{ t: T0, x: 1, y: 1 }],
      ended: false,
    };
    const later = { ...base, cls: 'truck' as const, lastSeenAt: T0 + 5000, frames: 25, path: [{ t: T0, x: 1, y: 1 }, { t: T0 + 5000, x: 9, y: 9 }], ended: true };
    await analytics.upsertTracks([later]);
    await analytics.upsertTracks([base]); // an older report arriving late changes nothing
    await analytics.upsertTracks([later, base]); // duplicates within a batch are merged
    const t = await analytics.getTrack(base.trackId);
    expect(t).toEqual({ id: base.trackId, cameraId: 'cam-t', cls: 'truck', firstSeenAt: T0, lastSeenAt: T0 + 5000, frames: 25, path: later.path, ended: true });
    const many: TrackSummary[] = Array.from({ length: 5 }, (_, i) => ({ ...base, trackId: `cam-t:e1:${10 + i}`, firstSeenAt: T0 + i * 1000, lastSeenAt: T0 + i * 1000 + 500 }));
    await analytics.upsertTracks(many);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await analytics.listTracks({ cameraId: 'cam-t', limit: 2, cursor });
      seen.push(...page.items.map((x) => x.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    expect(seen[0]).toBe('cam-t:e1:14');
    // overlap filter: alive at some point in [from, to)
    const window = await analytics.listTracks({ cameraId: 'cam-t', from: T0 + 3400, to: T0 + 3600 });
    expect(window.items.map((x) => x.id).sort()).toEqual(['cam-t:e1:1', 'cam-t:e1:13']);
  });
});
