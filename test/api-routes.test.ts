import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { CAMERA_DEFAULTS, type CameraConfig } from '../pipeline/config/camera-config.schema.js';
import type { CameraStatus, LineCrossing, TrackSummary } from '../pipeline/domain.types.js';
import { OBJECT_CLASSES } from '../pipeline/domain.types.js';
import { FsObjectStore } from '../storage/objects/fs-object.store.js';
import { objectKey } from '../storage/objects/object-keys.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { AnalyticsRepository } from '../storage/repositories/analytics.repository.js';
import { CameraRepository } from '../storage/repositories/camera.repository.js';
import { ObjectClassSchema } from '../api/schemas/common.schema.js';
import { authPlugin } from '../api/auth/auth.plugin.js';
import { AuthError } from '../api/auth/auth-errors.js';
import type { Principal } from '../api/auth/principal.js';

let db: TestDatabase;
let pool: Pool;
let dir: string;
let app: FastifyInstance;
let cameras: CameraRepository;
let analytics: AnalyticsRepository;
let objects: FsObjectStore;
const live = new Map<string, CameraStatus>();

const T0 = Date.UTC(2026, 10, 22, 8, 0, 0);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9, 9, 9, 0xff, 0xd9]);

function cam(id: string, over: Partial<CameraConfig> = {}): CameraConfig {
  return {
    id,
    name: `Ngã tư ${id}`,
    url: `rtsp://admin:s3cret@10.0.0.5:554/${id}`,
    enabled: true,
    group: 'district-1',
    ...CAMERA_DEFAULTS,
    lines: [{ id: 'L1', name: 'Stop line', points: [[0.1, 0.6], [0.9, 0.6]] }],
    zones: [],
    ...over,
  };
}

function crossing(i: number, over: Partial<LineCrossing> = {}): LineCrossing {
  return {
    id: `cam-1:e1:L1:cam-1:e1:${i}`,
    cameraId: 'cam-1',
    lineId: 'L1',
    trackId: `cam-1:e1:${i}`,
    cls: i % 3 === 0 ? 'motorcycle' : 'car',
    direction: i % 2 ? 'backward' : 'forward',
    frame: { cameraId: 'cam-1', epoch: 'e1', seq: i * 10, ptsMs: i * 2000, capturedAt: T0 + i * 20_000, width: 640, height: 360, frameKey: `f${i}` },
    box: { x: 10, y: 20, w: 30, h: 40 },
    ...over,
  };
}

function status(cameraId: string, over: Partial<CameraStatus> = {}): CameraStatus {
  return {
    cameraId,
    state: 'online',
    reason: null,
    inputFps: 5,
    analysedFps: 5,
    droppedFrames: 0,
    framesTotal: 100,
    reconnects: 0,
    lastFrameAt: T0,
    ownerId: 'host:1',
    updatedAt: T0,
    ...over,
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 4 });
  await runMigrations(pool);
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-api-'));
  cameras = new CameraRepository(pool);
  analytics = new AnalyticsRepository(pool);
  objects = new FsObjectStore(dir);
  await cameras.upsertMany([cam('cam-1'), cam('cam-2', { group: 'district-3', enabled: false }), cam('cam-3')]);
  await cameras.saveStatus(status('cam-1', { state: 'reconnecting', reason: 'no frame for 10000 ms', updatedAt: T0 }));
  await cameras.saveStatus(status('cam-2', { state: 'disabled', updatedAt: T0 }));
  // 6 crossings of cam-1 from 08:00:00 to 08:01:40, every other one with a snapshot
  for (let i = 0; i < 6; i++) {
    const c = crossing(i);
    let key: string | null = null;
    if (i % 2 === 0) {
      key = objectKey.crossingSnapshot(c);
      await objects.put(key, JPEG, 'image/jpeg');
    }
    await analytics.recordCrossing(c, key);
  }
  // a crossing whose snapshot key points at an object that was never written
  await analytics.recordCrossing(crossing(9, { id: 'dangling' }), 'snapshots/cam-1/2026/11/22/missing.jpg');
  const tracks: TrackSummary[] = [0, 1, 2].map((i) => ({
    trackId: `cam-1:e1:${i}`,
    cameraId: 'cam-1',
    cls: 'car',
    firstSeenAt: T0 + i * 1000,
    lastSeenAt: T0 + i * 1000 + 5000,
    frames: 25,
    path: [{ t: T0 + i * 1000, x: 1, y: 2 }, { t: T0 + i * 1000 + 5000, x: 3, y: 4 }],
    ended: true,
  }));
  await analytics.upsertTracks(tracks);
  app = await buildApp({ cameras, analytics, objects, liveStatus: async (id) => live.get(id) ?? null });
  // A body route only for this test: proves bad JSON and unknown body keys are rejected by the shared handlers.
  app.post('/test/echo', { schema: { body: Type.Object({ a: Type.Integer() }, { additionalProperties: false }) } }, async (req) => req.body);
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const get = (url: string) => app.inject({ method: 'GET', url });
const ids = (body: unknown): string[] => (body as { items: Array<{ id: string }> }).items.map((x) => x.id);
interface CrossingJson {
  id: string;
  snapshotUrl: string | null;
}

function expectError(res: { statusCode: number; json: () => any; body: string }, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(res.body).not.toMatch(/at .*\.ts:\d+|stack/i);
}

describe('health', () => {
  it('reports the database and object store', async () => {
    const res = await get('/health');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    expect(body.checks.database.ok).toBe(true);
    expect(body.checks.objects.ok).toBe(true);
  });

  it('answers 503 naming the failing dependency, without its error text', async () => {
    const other = await buildApp({
      cameras,
      analytics,
      objects,
      healthChecks: { redis: async () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 10.1.2.3:6379'), { code: 'ECONNREFUSED' })) },
    });
    try {
      const res = await other.inject({ method: 'GET', url: '/health' });
      expect(res.statusCode).toBe(503);
      const body = res.json();
      expect(body.status).toBe('unavailable');
      expect(body.checks.redis).toMatchObject({ ok: false, error: 'ECONNREFUSED' });
      expect(body.checks.database.ok).toBe(true);
      expect(res.body).not.toContain('10.1.2.3');
    } finally {
      await other.close();
    }
  });
});

describe('cameras', () => {
  it('lists cameras with masked credentials and their status', async () => {
    const res = await get('/api/v1/cameras');
    expect(res.statusCode).toBe(200);
    const { items } = res.json();
    expect(ids(res.json())).toEqual(['cam-1', 'cam-2', 'cam-3']);
    expect(res.body).not.toContain('s3cret');
    expect(items[0].url).toBe('rtsp://admin:***@10.0.0.5:554/cam-1');
    expect(items[0].lines).toEqual([{ id: 'L1', name: 'Stop line', points: [[0.1, 0.6], [0.9, 0.6]] }]);
    expect(items[0].status).toMatchObject({ state: 'reconnecting', reason: 'no frame for 10000 ms', source: 'stored', updatedAt: new Date(T0).toISOString() });
    expect(items[2].status).toBeNull();
    const filtered = await get('/api/v1/cameras?group=district-3&enabled=false');
    expect(ids(filtered.json())).toEqual(['cam-2']);
  });

  it('prefers a newer live status over the stored one', async () => {
    live.set('cam-1', status('cam-1', { state: 'online', updatedAt: T0 + 5000, inputFps: 4.8 }));
    try {
      const res = await get('/api/v1/cameras/cam-1/status');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ cameraId: 'cam-1', state: 'online', inputFps: 4.8, source: 'live', lastFrameAt: new Date(T0).toISOString() });
      live.set('cam-1', status('cam-1', { state: 'online', updatedAt: T0 - 5000 }));
      expect((await get('/api/v1/cameras/cam-1/status')).json()).toMatchObject({ state: 'reconnecting', source: 'stored' });
    } finally {
      live.clear();
    }
  });

  it('gets one camera, and answers 404 / 400 with codes', async () => {
    const res = await get('/api/v1/cameras/cam-3');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 'cam-3', enabled: true, fps: CAMERA_DEFAULTS.fps, status: null });
    expectError(await get('/api/v1/cameras/nope'), 404, 'IOCV_NOT_FOUND');
    expectError(await get('/api/v1/cameras/nope/status'), 404, 'IOCV_NOT_FOUND');
    expectError(await get('/api/v1/cameras/cam-3/status'), 404, 'IOCV_NOT_FOUND');
    expectError(await get('/api/v1/cameras/%2e%2e%2Fetc'), 400, 'IOCV_VALIDATION');
    expectError(await get('/api/v1/cameras?colour=red'), 400, 'IOCV_VALIDATION');
  });
});

describe('counts', () => {
  it('sums buckets with filters', async () => {
    const from = new Date(T0).toISOString();
    const to = new Date(T0 + 3600_000).toISOString();
    const res = await get(`/api/v1/counts?cameraId=cam-1&from=${from}&to=${to}&bucket=1m`);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ bucket: '1m', timeZone: 'UTC', from, to, total: 7, truncated: false });
    // 08:00:00, :20, :40 → minute 08:00; 08:01:00, :20, :40 → minute 08:01; the 'dangling' one at 08:03:00
    const perMinute: Record<string, number> = {};
    for (const r of body.rows) perMinute[r.bucketStart] = (perMinute[r.bucketStart] ?? 0) + r.count;
    expect(perMinute).toEqual({ '2026-11-22T08:00:00.000Z': 3, '2026-11-22T08:01:00.000Z': 3, '2026-11-22T08:03:00.000Z': 1 });
    const cars = await get(`/api/v1/counts?cameraId=cam-1&class=car&direction=forward&from=${from}&to=${to}&bucket=1h&timeZone=Asia/Ho_Chi_Minh`);
    expect(cars.json()).toMatchObject({ total: 2, rows: [{ bucketStart: '2026-11-22T08:00:00.000Z', class: 'car', direction: 'forward', count: 2, lineId: 'L1' }] });
    const none = await get(`/api/v1/counts?cameraId=cam-2&from=${from}&to=${to}`);
    expect(none.json()).toMatchObject({ bucket: '15m', total: 0, rows: [] });
  });

  it('rejects unknown keys, bad dates, reversed ranges, bad buckets and zones with 400', async () => {
    const ok = '2026-11-22T08:00:00Z';
    const unknown = await get(`/api/v1/counts?from=${ok}&camera=cam-1`);
    expectError(unknown, 400, 'IOCV_VALIDATION');
    expect(unknown.json().error.details).toEqual([expect.objectContaining({ in: 'querystring', path: '/camera' })]);
    expectError(await get('/api/v1/counts?from=yesterday'), 400, 'IOCV_VALIDATION');
    expectError(await get('/api/v1/counts?from=2026-13-45T08:00:00Z'), 400, 'IOCV_VALIDATION');
    expectError(await get('/api/v1/counts?from=2026-11-22T08:00:00'), 400, 'IOCV_VALIDATION'); // no zone
    expectError(await get(`/api/v1/counts?from=${ok}&to=${ok}`), 400, 'IOCV_BAD_REQUEST');
    expectError(await get('/api/v1/counts?bucket=5m'), 400, 'IOCV_VALIDATION');
    expectError(await get('/api/v1/counts?class=tank'), 400, 'IOCV_VALIDATION');
    expectError(await get('/api/v1/counts?bucket=1d&timeZone=Mars/Olympus'), 400, 'IOCV_VALIDATION');
  });
});

describe('crossings', () => {
  it('pages newest first with a cursor and links snapshots', async () => {
    const seen: CrossingJson[] = [];
    let url = '/api/v1/crossings?cameraId=cam-1&limit=3';
    for (let guard = 0; guard < 10; guard++) {
      const res = await get(url);
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      seen.push(...(body.items as CrossingJson[]));
      if (!body.nextCursor) break;
      url = `/api/v1/crossings?cameraId=cam-1&limit=3&cursor=${encodeURIComponent(body.nextCursor)}`;
    }
    expect(seen.map((c) => c.id)).toEqual(['dangling', ...[5, 4, 3, 2, 1, 0].map((i) => `cam-1:e1:L1:cam-1:e1:${i}`)]);
    const first = seen.find((c) => c.id.endsWith(':4'))!;
    expect(first).toMatchObject({ cameraId: 'cam-1', lineId: 'L1', class: 'car', direction: 'forward', at: new Date(T0 + 80_000).toISOString(), frame: { epoch: 'e1', seq: 40 } });
    expect(first.snapshotUrl).toBe(`/api/v1/crossings/${encodeURIComponent(first.id)}/snapshot`);
    expect(seen.find((c) => c.id.endsWith(':5'))!.snapshotUrl).toBeNull();
    const ranged = await get(`/api/v1/crossings?from=${new Date(T0 + 20_000).toISOString()}&to=${new Date(T0 + 60_000).toISOString()}`);
    expect(ids(ranged.json())).toEqual(['cam-1:e1:L1:cam-1:e1:2', 'cam-1:e1:L1:cam-1:e1:1']);
  });

  it('gets one crossing and its snapshot', async () => {
    const id = 'cam-1:e1:L1:cam-1:e1:2';
    const one = await get(`/api/v1/crossings/${encodeURIComponent(id)}`);
    expect(one.statusCode).toBe(200);
    expect(one.json().id).toBe(id);
    const snap = await get(`/api/v1/crossings/${encodeURIComponent(id)}/snapshot`);
    expect(snap.statusCode).toBe(200);
    expect(snap.headers['content-type']).toBe('image/jpeg');
    expect(snap.rawPayload.equals(JPEG)).toBe(true);
  });

  it('answers 404 for a missing crossing, a crossing without snapshot, and a lost object; 400 for bad paging', async () => {
    expectError(await get('/api/v1/crossings/nope'), 404, 'IOCV_NOT_FOUND');
    expectError(await get('/api/v1/crossings/nope/snapshot'), 404, 'IOCV_NOT_FOUND');
    expectError(await get(`/api/v1/crossings/${encodeURIComponent('cam-1:e1:L1:cam-1:e1:5')}/snapshot`), 404, 'IOCV_NOT_FOUND');
    expectError(await get('/api/v1/crossings/dangling/snapshot'), 404, 'IOCV_NOT_FOUND');
    expectError(await get('/api/v1/crossings?cursor=garbage'), 400, 'IOCV_BAD_CURSOR');
    expectError(await get('/api/v1/crossings?limit=0'), 400, 'IOCV_VALIDATION');
    expectError(await get('/api/v1/crossings?limit=501'), 400, 'IOCV_VALIDATION');
    expectError(await get('/api/v1/crossings?limit=ten'), 400, 'IOCV_VALIDATION');
    expectError(await get('/api/v1/crossings?lineid=L1'), 400, 'IOCV_VALIDATION');
  });
});

describe('tracks', () => {
  it('pages tracks and returns paths on request', async () => {
    const res = await get('/api/v1/tracks?cameraId=cam-1&limit=2');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(ids(body)).toEqual(['cam-1:e1:2', 'cam-1:e1:1']);
    expect(body.items[0].path).toBeUndefined();
    const next = await get(`/api/v1/tracks?cameraId=cam-1&limit=2&includePath=true&cursor=${encodeURIComponent(body.nextCursor)}`);
    expect(next.json()).toMatchObject({
      nextCursor: null,
      items: [{ id: 'cam-1:e1:0', class: 'car', frames: 25, ended: true, path: [{ t: new Date(T0).toISOString(), x: 1, y: 2 }, { t: new Date(T0 + 5000).toISOString(), x: 3, y: 4 }] }],
    });
    const one = await get(`/api/v1/tracks/${encodeURIComponent('cam-1:e1:1')}`);
    expect(one.json()).toMatchObject({ id: 'cam-1:e1:1', firstSeenAt: new Date(T0 + 1000).toISOString() });
    expect(one.json().path).toHaveLength(2);
    expectError(await get('/api/v1/tracks/nope'), 404, 'IOCV_NOT_FOUND');
    expectError(await get('/api/v1/tracks?includePath=maybe'), 400, 'IOCV_VALIDATION');
  });
});

describe('errors', () => {
  it('hides 5xx details and never sends a stack trace', async () => {
    const broken = await buildApp({
      cameras,
      analytics: {
        ...analytics,
        ping: () => analytics.ping(),
        counts: async () => {
          throw new Error('password authentication failed for user "iocv" at postgres://iocv:hunter2@db');
        },
        listCrossings: (q) => analytics.listCrossings(q),
        getCrossing: (id) => analytics.getCrossing(id),
        listTracks: (q) => analytics.listTracks(q),
        getTrack: (id) => analytics.getTrack(id),
      },
      objects,
    });
    try {
      const res = await broken.inject({ method: 'GET', url: '/api/v1/counts' });
      expectError(res, 500, 'IOCV_INTERNAL');
      expect(res.json().error.message).toBe('internal error');
      expect(res.body).not.toContain('hunter2');
      expect(res.body).not.toContain('password');
      expect(res.json().error.details.requestId).toEqual(expect.any(String));
    } finally {
      await broken.close();
    }
  });

  it('answers unknown routes, bad JSON and unknown body keys with coded errors', async () => {
    expectError(await get('/api/v1/nothing-here'), 404, 'IOCV_NOT_FOUND');
    const badJson = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'application/json' }, payload: '{"a": 1,' });
    expectError(badJson, 400, 'IOCV_BAD_JSON');
    const extra = await app.inject({ method: 'POST', url: '/test/echo', payload: { a: 1, b: 2 } });
    expectError(extra, 400, 'IOCV_VALIDATION');
    const wrongType = await app.inject({ method: 'POST', url: '/test/echo', headers: { 'content-type': 'text/csv' }, payload: 'a,b' });
    expectError(wrongType, 415, 'IOCV_UNSUPPORTED_MEDIA_TYPE');
    const good = await app.inject({ method: 'POST', url: '/test/echo', payload: { a: 1 } });
    expect(good.json()).toEqual({ a: 1 });
  });

  it('keeps the API object-class schema in step with the domain', () => {
    const literals = (ObjectClassSchema as unknown as { anyOf: Array<{ const: string }> }).anyOf.map((s) => s.const);
    expect(literals).toEqual([...OBJECT_CLASSES]);
  });
});

describe('OpenAPI and the web page', () => {
  it('serves a valid OpenAPI document listing every route', async () => {
    const res = await get('/docs/json');
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/v1/cameras',
        '/api/v1/cameras/{id}',
        '/api/v1/cameras/{id}/status',
        '/api/v1/counts',
        '/api/v1/crossings',
        '/api/v1/crossings/{id}',
        '/api/v1/crossings/{id}/snapshot',
        '/api/v1/tracks',
        '/api/v1/tracks/{id}',
        '/health',
        '/metrics',
        '/test/echo',
      ].sort(),
    );
    const countParams = (doc.paths['/api/v1/counts'].get.parameters as Array<{ name: string }>).map((p) => p.name).sort();
    expect(countParams).toEqual(['bucket', 'cameraId', 'class', 'direction', 'from', 'lineId', 'timeZone', 'to']);
    expect(doc.paths['/api/v1/cameras/{id}'].get.responses['404']).toBeDefined();
    const ui = await get('/docs');
    expect(ui.statusCode).toBeLessThan(400);
  });

  it('serves the operator page and its script, nothing else from disk', async () => {
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<html lang="vi">'); // Vietnamese by default; English on the page's toggle
    expect(page.body).toContain('/web/app.js');
    const js = await get('/web/app.js');
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expectError(await get('/web/..%2Fpackage.json'), 404, 'IOCV_NOT_FOUND');
    expectError(await get('/web/nope.js'), 404, 'IOCV_NOT_FOUND');
  });
});

describe('with the auth plugin installed (deny by default, camera groups)', () => {
  const principals: Record<string, Principal> = {
    analyst: { kind: 'user', id: '1', name: 'ana', role: 'analyst', cameraGroups: null, sessionId: 's1' },
    op1: { kind: 'user', id: '2', name: 'op1', role: 'operator', cameraGroups: ['district-1'], sessionId: 's2' },
    op3: { kind: 'api_key', id: '3', name: 'op3', role: 'operator', cameraGroups: ['district-3'], sessionId: null },
  };
  let secured: FastifyInstance;
  const as = (who: string | null, url: string) =>
    secured.inject({ method: 'GET', url, headers: who ? { authorization: `Bearer ${who}` } : {} });

  beforeAll(async () => {
    secured = await buildApp({
      cameras,
      analytics,
      objects,
      // strictRoutes: registration fails if any built-in route declares neither a permission nor public.
      extend: async (a) => {
        await a.register(authPlugin, {
          strictRoutes: true,
          auth: {
            authenticate: async (c) => {
              const p = c.kind === 'bearer' ? principals[c.token] : undefined;
              if (!p) throw new AuthError('IOCV_TOKEN_INVALID', 'unknown token');
              return p;
            },
          },
        });
      },
    });
    await secured.ready();
  });
  afterAll(async () => secured?.close());

  it('leaves health, the page and the API description open and requires credentials elsewhere', async () => {
    expect((await as(null, '/health')).statusCode).toBe(200);
    expect((await as(null, '/')).statusCode).toBe(200);
    expect((await as(null, '/docs/json')).statusCode).toBe(200);
    expectError(await as(null, '/api/v1/cameras'), 401, 'IOCV_UNAUTHORIZED');
    expectError(await as('forged', '/api/v1/cameras'), 401, 'IOCV_TOKEN_INVALID');
  });

  it('applies the role permissions of each route', async () => {
    expect((await as('analyst', '/api/v1/counts')).statusCode).toBe(200);
    expectError(await as('analyst', `/api/v1/crossings/${encodeURIComponent('cam-1:e1:L1:cam-1:e1:2')}/snapshot`), 403, 'IOCV_FORBIDDEN');
    expect((await as('op1', `/api/v1/crossings/${encodeURIComponent('cam-1:e1:L1:cam-1:e1:2')}/snapshot`)).statusCode).toBe(200);
    const add = await secured.inject({ method: 'POST', url: '/api/v1/cameras', headers: { authorization: 'Bearer op1' }, payload: { id: 'x', url: 'rtsp://h/x' } });
    expectError(add, 403, 'IOCV_FORBIDDEN');
  });

  it('limits every data route to the cameras of the caller\'s groups', async () => {
    const from = new Date(T0).toISOString();
    expect(ids((await as('op1', '/api/v1/cameras')).json())).toEqual(['cam-1', 'cam-3']);
    expect(ids((await as('op3', '/api/v1/cameras')).json())).toEqual(['cam-2']);
    expectError(await as('op3', '/api/v1/cameras/cam-1'), 404, 'IOCV_NOT_FOUND');
    expectError(await as('op3', '/api/v1/cameras/cam-1/status'), 404, 'IOCV_NOT_FOUND');
    expect((await as('op1', `/api/v1/counts?from=${from}`)).json().total).toBe(7);
    expect((await as('op3', `/api/v1/counts?from=${from}`)).json().total).toBe(0);
    expectError(await as('op3', `/api/v1/counts?cameraId=cam-1&from=${from}`), 404, 'IOCV_NOT_FOUND');
    expect((await as('op3', '/api/v1/crossings')).json().items).toEqual([]);
    expect((await as('op1', '/api/v1/crossings?limit=2')).json().items).toHaveLength(2);
    expectError(await as('op3', '/api/v1/crossings/dangling'), 404, 'IOCV_NOT_FOUND');
    expectError(await as('op3', `/api/v1/crossings/${encodeURIComponent('cam-1:e1:L1:cam-1:e1:2')}/snapshot`), 404, 'IOCV_NOT_FOUND');
    expect((await as('op3', '/api/v1/tracks')).json().items).toEqual([]);
    expectError(await as('op3', `/api/v1/tracks/${encodeURIComponent('cam-1:e1:1')}`), 404, 'IOCV_NOT_FOUND');
    expect((await as('analyst', '/api/v1/tracks')).json().items).toHaveLength(3);
  });
});

describe('cameras at runtime (write routes)', () => {
  const body = (id: string, over: Record<string, unknown> = {}) => ({
    id,
    name: 'Cầu Sài Gòn',
    url: 'rtsp://ops:p4ss@10.0.0.9:554/live',
    group: 'district-9',
    fps: 4,
    lines: [{ id: 'L1', points: [[0.1, 0.5], [0.9, 0.5]] }],
    ...over,
  });

  it('adds a camera once, with defaults, and masks its credentials', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/cameras', payload: body('cam-9') });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({ id: 'cam-9', fps: 4, inputSize: CAMERA_DEFAULTS.inputSize, enabled: true, url: 'rtsp://ops:***@10.0.0.9:554/live', status: null });
    expect((await cameras.get('cam-9'))!.url).toBe('rtsp://ops:p4ss@10.0.0.9:554/live');
    expectError(await app.inject({ method: 'POST', url: '/api/v1/cameras', payload: body('cam-9') }), 409, 'IOCV_CONFLICT');
  });

  it('rejects unknown keys and semantic errors with the path of the bad key', async () => {
    expectError(await app.inject({ method: 'POST', url: '/api/v1/cameras', payload: body('cam-8', { colour: 'red' }) }), 400, 'IOCV_VALIDATION');
    const dup = await app.inject({
      method: 'POST',
      url: '/api/v1/cameras',
      payload: body('cam-8', { lines: [{ id: 'L1', points: [[0, 0], [1, 1]] }, { id: 'L1', points: [[0, 1], [1, 0]] }] }),
    });
    expectError(dup, 400, 'IOCV_VALIDATION');
    expect(dup.json().error.details).toEqual([expect.objectContaining({ path: 'lines[1].id' })]);
    expectError(await app.inject({ method: 'POST', url: '/api/v1/cameras', payload: body('cam-8', { url: 'ftp://x/y' }) }), 400, 'IOCV_VALIDATION');
    expect(await cameras.get('cam-8')).toBeNull();
  });

  it('replaces a camera, keeping stored credentials when the masked URL is sent back', async () => {
    const current = (await get('/api/v1/cameras/cam-9')).json();
    const res = await app.inject({ method: 'PUT', url: '/api/v1/cameras/cam-9', payload: body('cam-9', { url: current.url, fps: 2, lines: [] }) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ fps: 2, lines: [] });
    expect((await cameras.get('cam-9'))!.url).toBe('rtsp://ops:p4ss@10.0.0.9:554/live');
    expectError(await app.inject({ method: 'PUT', url: '/api/v1/cameras/cam-9', payload: body('cam-7') }), 400, 'IOCV_BAD_REQUEST');
    const created = await app.inject({ method: 'PUT', url: '/api/v1/cameras/cam-7', payload: body('cam-7') });
    expect(created.statusCode).toBe(201);
  });

  it('removes cameras', async () => {
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/cameras/cam-9' })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/cameras/cam-7' })).statusCode).toBe(204);
    expectError(await app.inject({ method: 'DELETE', url: '/api/v1/cameras/cam-9' }), 404, 'IOCV_NOT_FOUND');
    expectError(await get('/api/v1/cameras/cam-9'), 404, 'IOCV_NOT_FOUND');
  });
});
