/**
 * Zone rules through the camera API against real Postgres: stored and returned with the camera, strict validation
 * with the path of the bad key (schema errors from Fastify, semantic ones from the config parser), documented in
 * OpenAPI, and a rules change is a config change the ingest refresh sees.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { FsObjectStore } from '../storage/objects/fs-object.store.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { AnalyticsRepository } from '../storage/repositories/analytics.repository.js';
import { CameraRepository } from '../storage/repositories/camera.repository.js';

let db: TestDatabase;
let pool: Pool;
let dir: string;
let app: FastifyInstance;
let cameras: CameraRepository;

const body = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  url: 'rtsp://h/live',
  zones: [
    { id: 'Z1', name: 'Lối vào', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] },
    { id: 'Z2', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] },
  ],
  rules: [
    { type: 'zone_intrusion', zone: 'Z1', classes: ['person'], schedule: { windows: [{ start: '22:00', end: '05:00' }] } },
    { type: 'crowding', zone: 'Z2', maxPeople: 10, minDurationSeconds: 30 },
  ],
  ...over,
});

function details(res: { statusCode: number; json: () => unknown; body: string }): string[] {
  expect(res.statusCode, res.body).toBe(400);
  const b = res.json() as { error: { code: string; details: Array<{ path: string; message: string }> } };
  expect(b.error.code).toBe('IOCV_VALIDATION');
  return b.error.details.map((d) => `${d.path}: ${d.message}`);
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 4 });
  await runMigrations(pool);
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-api-rules-'));
  cameras = new CameraRepository(pool);
  app = await buildApp({ cameras, analytics: new AnalyticsRepository(pool), objects: new FsObjectStore(dir) });
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('camera zone rules over the API', () => {
  it('stores rules with the camera and returns them', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/cameras', payload: body('cam-r1') });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().rules).toEqual(body('cam-r1').rules);
    expect((await cameras.get('cam-r1'))!.rules).toEqual(body('cam-r1').rules);
    // a camera without rules reads back with none
    expect((await app.inject({ method: 'POST', url: '/api/v1/cameras', payload: { id: 'cam-r0', url: 'rtsp://h/0' } })).json().rules).toEqual([]);
  });

  it('rejects unknown keys and bad values with the path of the bad key, against the rule type given', async () => {
    const unknownKey = body('cam-r2', { rules: [{ type: 'loitering', zone: 'Z1', minDwellSeconds: 60, colour: 'red' }] });
    expect(details(await app.inject({ method: 'POST', url: '/api/v1/cameras', payload: unknownKey }))).toEqual(['/rules/0/colour: must NOT have additional properties']);
    const unknownType = body('cam-r2', { rules: [{ type: 'teleport', zone: 'Z1' }] });
    expect(details(await app.inject({ method: 'POST', url: '/api/v1/cameras', payload: unknownType }))).toEqual([expect.stringMatching(/^\/rules\/0\/type: /)]);
    const missing = body('cam-r2', { rules: [{ type: 'crowding', zone: 'Z1' }] });
    expect(details(await app.inject({ method: 'POST', url: '/api/v1/cameras', payload: missing }))).toEqual([expect.stringMatching(/^\/rules\/0: must have required property 'maxPeople'/)]);
    expect(await cameras.get('cam-r2')).toBeNull();
  });

  it('rejects rules naming unknown zones (semantic check) with the key path', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/api/v1/cameras/cam-r1',
      payload: body('cam-r1', { rules: [{ type: 'loitering', zone: 'Z9', minDwellSeconds: 30 }, { type: 'crowding', zone: 'Z2', maxPeople: 3, clearAtOrBelow: 4 }] }),
    });
    expect(details(res)).toEqual(['rules[0].zone: unknown zone "Z9"', 'rules[1].clearAtOrBelow: must not exceed maxPeople']);
    // removing a zone that a rule still names is refused too
    const dangling = await app.inject({ method: 'PUT', url: '/api/v1/cameras/cam-r1', payload: body('cam-r1', { zones: [] }) });
    expect(details(dangling)).toEqual(['rules[0].zone: unknown zone "Z1"', 'rules[1].zone: unknown zone "Z2"']);
    expect((await cameras.get('cam-r1'))!.rules).toHaveLength(2);
  });

  it('a rules change is a stored config change (ingest restarts the camera on it)', async () => {
    const before = (await cameras.get('cam-r1'))!;
    const rules = [{ type: 'loitering', zone: 'Z1', minDwellSeconds: 45 }];
    const res = await app.inject({ method: 'PUT', url: '/api/v1/cameras/cam-r1', payload: body('cam-r1', { rules }) });
    expect(res.statusCode, res.body).toBe(200);
    const after = (await cameras.get('cam-r1'))!;
    expect(after.rules).toEqual(rules);
    expect(after.updatedAt).toBeGreaterThanOrEqual(before.updatedAt);
    // The ingest refresh compares whole camera records: a rules-only change differs.
    expect(JSON.stringify({ ...after, updatedAt: 0 })).not.toBe(JSON.stringify({ ...before, updatedAt: 0 }));
    // re-sending the same config changes nothing
    const { createdAt: _c, updatedAt: _u, ...config } = after;
    expect(await cameras.upsertMany([config])).toBe(0);
  });

  it('documents rules as a tagged union in OpenAPI', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json();
    const cam = doc.components?.schemas ? JSON.stringify(doc) : JSON.stringify(doc.paths['/api/v1/cameras'].post);
    expect(cam).toContain('"discriminator":{"propertyName":"type"}');
    expect(cam).toContain('minDwellSeconds');
  });
});
