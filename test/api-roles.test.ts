/**
 * The role matrix over the REAL application: every route that buildApp registers (taken from the auth plugin's
 * route table, so a new route cannot be forgotten) × every role (and no credentials) → answered, or refused with
 * 401/403 exactly as the permission matrix says.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../api/app.js';
import { AuthError } from '../api/auth/auth-errors.js';
import type { AuthService } from '../api/auth/auth.service.js';
import { ROLES, roleHasPermission, type Role } from '../api/auth/permissions.js';
import type { Principal } from '../api/auth/principal.js';
import { IncidentEventHub } from '../api/live/incident-feed.js';
import { CAMERA_DEFAULTS } from '../pipeline/config/camera-config.schema.js';
import { FsObjectStore } from '../storage/objects/fs-object.store.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { AnalyticsRepository } from '../storage/repositories/analytics.repository.js';
import { CameraRepository } from '../storage/repositories/camera.repository.js';
import { IncidentRepository } from '../storage/repositories/incident.repository.js';
import { AuditRepository } from '../storage/repositories/audit.repository.js';
import { WebhookRepository } from '../storage/repositories/webhook.repository.js';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';

let db: TestDatabase;
let pool: Pool;
let dir: string;
let app: FastifyInstance;
let base: string;
let redis: Redis;
let queue: Queue;

const principal = (role: Role): Principal => ({ kind: 'user', id: role, name: role, role, cameraGroups: null, sessionId: `s-${role}` });

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 4 });
  await runMigrations(pool);
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-roles-'));
  const cameras = new CameraRepository(pool);
  await cameras.upsertMany([{ id: 'cam-1', name: 'c', url: 'rtsp://h/1', enabled: true, group: null, ...CAMERA_DEFAULTS, lines: [], zones: [] }]);
  // Tokens are the role names; the real AuthService is tested by the auth tests, here only the route table matters.
  const service = {
    authenticate: async (c: { kind: string; token?: string }) => {
      if (c.kind === 'bearer' && (ROLES as readonly string[]).includes(c.token ?? '')) return principal(c.token as Role);
      throw new AuthError('IOCV_TOKEN_INVALID', 'unknown token');
    },
    login: async () => {
      throw new AuthError('IOCV_BAD_CREDENTIALS', 'no');
    },
    refresh: async () => {
      throw new AuthError('IOCV_TOKEN_INVALID', 'no');
    },
    logout: async () => undefined,
  } as unknown as AuthService;
  redis = new Redis(process.env.IOCV_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  queue = new Queue('iocv-detect', { connection: redis, prefix: `iocv-test-${randomBytes(4).toString('hex')}` });
  app = await buildApp({
    boardQueues: [queue],
    webhooks: new WebhookRepository(pool),
    auditLog: new AuditRepository(pool),
    cameras,
    analytics: new AnalyticsRepository(pool),
    objects: new FsObjectStore(dir),
    incidents: new IncidentRepository(pool),
    incidentFeed: new IncidentEventHub(),
    queueMetrics: { collect: async () => ({ queues: [], cameras: new Map(), inference: { samplesMs: [] }, queueWait: { samplesMs: [] } }) },
    auth: { service },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await queue?.obliterate({ force: true });
  await queue?.close();
  redis?.disconnect();
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Status of a streaming route: read the head, then hang up. */
function streamStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${url}`, { headers }, (res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
    req.on('error', reject);
  });
}

describe('every route × every role', () => {
  it('answers exactly the roles the permission matrix allows', async () => {
    const table = app.authRouteTable.filter((r) => r.method !== 'HEAD');
    // the route table really is the application's (a sample of what must be in it)
    const urls = new Set(table.map((r) => `${r.method} ${r.url}`));
    for (const must of ['GET /api/v1/cameras', 'POST /api/v1/cameras', 'GET /api/v1/counts', 'GET /api/v1/crossings/:id/snapshot', 'GET /api/v1/incidents/stream', 'POST /api/v1/incidents/:id/acknowledge', 'GET /metrics', 'GET /health', 'GET /admin/queues/api/queues', 'POST /admin/queues-session', 'POST /api/v1/webhooks', 'GET /api/v1/audit/verify']) {
      expect(urls.has(must), must).toBe(true);
    }
    const checked: string[] = [];
    for (const r of table) {
      const url = r.url.replace(/:[A-Za-z]+/g, 'x1').replace(/\*$/, 'index.html');
      for (const who of [null, ...ROLES] as Array<Role | null>) {
        const headers: Record<string, string> = who ? { authorization: `Bearer ${who}` } : {};
        let status: number;
        if (r.url === '/api/v1/incidents/stream') status = await streamStatus(url, headers);
        else {
          const res = await app.inject({ method: r.method as 'GET', url, headers, ...(r.method === 'GET' || r.method === 'DELETE' ? {} : { payload: {} }) });
          status = res.statusCode;
        }
        const allowed = r.public || (who !== null && r.permission !== null && roleHasPermission(who, r.permission));
        const label = `${r.method} ${r.url} as ${who ?? 'anonymous'} → ${status}`;
        if (allowed) expect([401, 403], label).not.toContain(status);
        else expect(status, label).toBe(who === null ? 401 : 403);
        checked.push(label);
      }
    }
    // every classified route was exercised for 6 callers
    expect(checked.length).toBe(table.length * (ROLES.length + 1));
    expect(table.every((r) => r.public || r.permission !== null)).toBe(true);
  });
});

describe('bull-board at /admin/queues', () => {
  it('opens for an admin through the session cookie and for nobody else', async () => {
    const session = await app.inject({ method: 'POST', url: '/admin/queues-session', headers: { authorization: 'Bearer admin' } });
    expect(session.statusCode).toBe(204);
    const setCookie = String(session.headers['set-cookie']);
    expect(setCookie).toMatch(/^iocv_board=admin; Path=\/admin\/queues; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const cookie = setCookie.split(';')[0]!;
    const page = await app.inject({ method: 'GET', url: '/admin/queues', headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    const api = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie } });
    expect(api.statusCode).toBe(200);
    expect(api.body).toContain('iocv-detect');
    const anonymous = await app.inject({ method: 'GET', url: '/admin/queues/api/queues' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('IOCV_UNAUTHORIZED');
    const operator = await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { cookie: 'iocv_board=operator' } });
    expect(operator.statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/admin/queues-session', headers: { authorization: 'Bearer operator' } })).statusCode).toBe(403);
    // the board stays out of the public API description
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(Object.keys(doc.paths).some((p: string) => p.startsWith('/admin/queues'))).toBe(false);
  });
});

describe('administration routes', () => {
  const admin = { authorization: 'Bearer admin' };
  it('manages webhook subscriptions, showing the secret only once', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: admin, payload: { url: 'http://127.0.0.1:9/hook', eventTypes: ['incident.created'] } });
    expect(created.statusCode, created.body).toBe(201);
    const sub = created.json<{ id: string; secret: string; secretHint: string }>();
    expect(sub.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(sub.secretHint).toBe(`…${sub.secret.slice(-4)}`);
    const list = (await app.inject({ method: 'GET', url: '/api/v1/webhooks', headers: admin })).json();
    expect(list.items).toHaveLength(1);
    expect(list.items[0].secret).toBeUndefined();
    expect(JSON.stringify(list)).not.toContain(sub.secret);
    const patched = await app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${sub.id}`, headers: admin, payload: { enabled: false } });
    expect(patched.json()).toMatchObject({ id: sub.id, enabled: false });
    expect((await app.inject({ method: 'GET', url: `/api/v1/webhooks/${sub.id}/deliveries`, headers: admin })).json()).toEqual({ items: [] });
    expect((await app.inject({ method: 'POST', url: `/api/v1/webhooks/${sub.id}/requeue-dead`, headers: admin })).json()).toEqual({ requeued: 0 });
    expect((await app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: admin, payload: { url: 'ftp://x/y' } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${sub.id}`, headers: admin })).statusCode).toBe(204);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${sub.id}`, headers: admin })).statusCode).toBe(404);
  });

  it('reads and verifies the audit chain', async () => {
    const audit = new AuditRepository(pool);
    await audit.appendAudit({ actor: 'user:admin', role: 'admin', action: 'test.one', target: 'x' });
    await audit.appendAudit({ actor: 'user:admin', role: 'admin', action: 'test.two', target: 'y' });
    const list = (await app.inject({ method: 'GET', url: '/api/v1/audit?action=test.two', headers: admin })).json<{ items: Array<{ action: string }> }>();
    expect(list.items.map((e) => e.action)).toEqual(['test.two']);
    const verify = (await app.inject({ method: 'GET', url: '/api/v1/audit/verify', headers: admin })).json();
    expect(verify).toMatchObject({ ok: true, firstBrokenSeq: null });
    expect(verify.checked).toBeGreaterThanOrEqual(2);
  });
});
