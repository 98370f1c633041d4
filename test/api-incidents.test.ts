import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { IncidentEventHub } from '../api/live/incident-feed.js';
import { CAMERA_DEFAULTS } from '../pipeline/config/camera-config.schema.js';
import type { IncidentSignal } from '../pipeline/incidents/incident.types.js';
import { FsObjectStore } from '../storage/objects/fs-object.store.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { AnalyticsRepository } from '../storage/repositories/analytics.repository.js';
import { CameraRepository } from '../storage/repositories/camera.repository.js';
import { IncidentRepository, listenIncidentEvents, type IncidentListener } from '../storage/repositories/incident.repository.js';

let db: TestDatabase;
let pool: Pool;
let dir: string;
let app: FastifyInstance;
let base: string;
let incidents: IncidentRepository;
let listener: IncidentListener;
const hub = new IncidentEventHub();
const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);

const signal = (cameraId: string, at: number, over: Partial<IncidentSignal> = {}): IncidentSignal => ({
  type: 'zone_intrusion',
  severity: 'warning',
  cameraId,
  zoneId: 'Z1',
  trackIds: [`${cameraId}:e:${at}`],
  at,
  details: { rule: 'test' },
  ...over,
});

interface SseEvent {
  id: number;
  event: string;
  data: { eventId: number; kind: string; incident: { id: string; state: string; cameraId: string } };
}

/** Opens an SSE stream and collects events until `count` arrived (or the timeout). */
function readSse(url: string, headers: Record<string, string>, count: number, timeoutMs = 15_000): Promise<SseEvent[]> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    let buf = '';
    const req = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const fields = Object.fromEntries(block.split('\n').filter((l) => !l.startsWith(':') && l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
          if (fields.data) events.push({ id: Number(fields.id), event: fields.event!, data: JSON.parse(fields.data) });
          if (events.length >= count) {
            clearTimeout(timer);
            req.destroy();
            resolve(events);
            return;
          }
        }
      });
    });
    req.on('error', (err) => {
      if (events.length < count) reject(err);
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve(events);
    }, timeoutMs);
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 6 });
  await runMigrations(pool);
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-api-inc-'));
  const cameras = new CameraRepository(pool);
  await cameras.upsertMany(
    ['cam-a', 'cam-b'].map((id) => ({ id, name: id, url: `rtsp://h/${id}`, enabled: true, group: id === 'cam-a' ? 'g-a' : 'g-b', ...CAMERA_DEFAULTS, lines: [], zones: [] })),
  );
  incidents = new IncidentRepository(pool);
  listener = await listenIncidentEvents(pool, (n) => hub.notify(n));
  app = await buildApp({ cameras, analytics: new AnalyticsRepository(pool), objects: new FsObjectStore(dir), incidents, incidentFeed: hub });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await listener?.close();
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('incident routes', () => {
  it('lists, pages, filters, acknowledges and resolves incidents', async () => {
    const a = await incidents.recordSignal(signal('cam-a', T0));
    await incidents.recordSignal(signal('cam-b', T0 + 1000, { type: 'crowding', zoneId: 'Z2' }));
    await incidents.recordSignal(signal('cam-b', T0 + 2000, { type: 'loitering', zoneId: 'Z3' }));
    const page1 = await app.inject({ method: 'GET', url: '/api/v1/incidents?limit=2' });
    expect(page1.statusCode, page1.body).toBe(200);
    const b1 = page1.json();
    expect(b1.items).toHaveLength(2);
    expect(b1.items[0]).toMatchObject({ type: 'loitering', cameraId: 'cam-b', state: 'open', openedAt: new Date(T0 + 2000).toISOString() });
    const page2 = (await app.inject({ method: 'GET', url: `/api/v1/incidents?limit=2&cursor=${encodeURIComponent(b1.nextCursor)}` })).json();
    expect((page2.items as Array<{ id: string }>).map((i) => i.id)).toEqual([a.incident.id]);
    expect(page2.nextCursor).toBeNull();
    const filtered = (await app.inject({ method: 'GET', url: '/api/v1/incidents?type=crowding,loitering&cameraId=cam-b' })).json();
    expect(filtered.items).toHaveLength(2);
    expect((await app.inject({ method: 'GET', url: '/api/v1/incidents?state=tired' })).json().error.code).toBe('IOCV_VALIDATION');
    expect((await app.inject({ method: 'GET', url: '/api/v1/incidents?colour=red' })).json().error.code).toBe('IOCV_VALIDATION');

    const id = encodeURIComponent(a.incident.id);
    const ack = await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/acknowledge`, payload: { note: 'đã xem' } });
    expect(ack.statusCode, ack.body).toBe(200);
    expect(ack.json()).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'anonymous', note: 'đã xem' });
    const again = await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/acknowledge`, payload: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('IOCV_CONFLICT');
    const res = await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/resolve`, payload: {} });
    expect(res.json()).toMatchObject({ state: 'resolved', resolvedBy: 'anonymous' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/incidents?state=open,acknowledged' })).json().items).toHaveLength(2);
    expect((await app.inject({ method: 'POST', url: '/api/v1/incidents/nope/resolve', payload: {} })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: `/api/v1/incidents/${id}/resolve`, payload: { extra: 1 } })).json().error.code).toBe('IOCV_VALIDATION');
    expect((await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}` })).json().id).toBe(a.incident.id);
    expect((await app.inject({ method: 'GET', url: `/api/v1/incidents/${id}/snapshot` })).statusCode).toBe(404);
  });

  it('streams new events live and resumes after the last seen id', async () => {
    const startId = await incidents.lastEventId();
    // a live client from "now": sees only what happens after it connected
    const live = readSse(`${base}/api/v1/incidents/stream`, {}, 2);
    await new Promise((r) => setTimeout(r, 300));
    const x = await incidents.recordSignal(signal('cam-a', T0 + 60_000, { type: 'crowding', zoneId: 'Z9' }));
    await incidents.acknowledge(x.incident.id, 'user:op');
    const got = await live;
    expect(got.map((e) => e.data.kind)).toEqual(['created', 'acknowledged']);
    expect(got.every((e) => e.id > startId && e.event === 'incident')).toBe(true);
    expect(got[1]!.data.incident).toMatchObject({ id: x.incident.id, state: 'acknowledged' });
    // a client that saw the first event reconnects with Last-Event-ID and gets the rest, nothing twice
    const resumed = await readSse(`${base}/api/v1/incidents/stream`, { 'last-event-id': String(got[0]!.id) }, 1, 3000);
    expect(resumed.map((e) => e.id)).toEqual([got[1]!.id]);
    // the whole history from 0 with a camera filter
    const camB = await readSse(`${base}/api/v1/incidents/stream?lastEventId=0&cameraId=cam-b`, {}, 100, 3000);
    expect(camB.length).toBeGreaterThanOrEqual(2);
    expect(camB.every((e) => e.data.incident.cameraId === 'cam-b')).toBe(true);
    const ids = camB.map((e) => e.id);
    expect([...ids].sort((p, q) => p - q)).toEqual(ids);
    expect(hub.size).toBeLessThanOrEqual(1); // closed clients unsubscribe
  });

  it('ends open streams when the server closes (shutdown never hangs on live clients)', async () => {
    const other = await buildApp({ cameras: new CameraRepository(pool), analytics: new AnalyticsRepository(pool), objects: new FsObjectStore(dir), incidents, incidentFeed: hub });
    const url = await other.listen({ port: 0, host: '127.0.0.1' });
    const ended = new Promise<boolean>((resolve) => {
      http.get(`${url}/api/v1/incidents/stream`, (res) => {
        res.resume();
        res.on('end', () => resolve(true));
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(hub.size).toBeGreaterThanOrEqual(1);
    await other.close();
    expect(await ended).toBe(true);
  });
});
