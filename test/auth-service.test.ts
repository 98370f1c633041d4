/**
 * Auth against a real PostgreSQL and a real Fastify instance: bootstrap, login/refresh/logout, API keys, the
 * deny-by-default hook, the role matrix over every registered route × every role, camera groups, audit entries.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authPlugin, roleMatrix } from '../api/auth/auth.plugin.js';
import { authRoutes } from '../api/auth/auth.routes.js';
import { AuthService } from '../api/auth/auth.service.js';
import { bootstrapAdminFromEnv, createFirstAdmin } from '../api/auth/bootstrap-admin.js';
import { ROLES, type Role } from '../api/auth/permissions.js';
import { canAccessCameraGroup } from '../api/auth/principal.js';
import { installErrorHandling } from '../api/errors.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { ApiKeyRepository } from '../storage/repositories/api-key.repository.js';
import { AuditRepository } from '../storage/repositories/audit.repository.js';
import { UserRepository } from '../storage/repositories/user.repository.js';

let db: TestDatabase;
let pool: Pool;
let users: UserRepository;
let apiKeys: ApiKeyRepository;
let audit: AuditRepository;
let auth: AuthService;
let clock = Date.now();
let app: FastifyInstance;

const CAMERAS = [
  { id: 'c1', group: 'district-1' },
  { id: 'c2', group: 'district-2' },
  { id: 'c3', group: null },
];

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 8 });
  await runMigrations(pool);
  users = new UserRepository(pool);
  apiKeys = new ApiKeyRepository(pool);
  audit = new AuditRepository(pool);
  auth = new AuthService({ users, apiKeys, signingKey: await users.getOrCreateSigningKey(), now: () => clock });

  app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
  installErrorHandling(app);
  await app.register(authPlugin, { auth, audit });
  await app.register(authRoutes({ auth, audit }));
  app.get('/health', { config: { public: true } }, async (req) => ({ ok: true, caller: req.principal?.name ?? null }));
  app.get('/cameras', { config: { permission: 'cameras:read' } }, async (req) => CAMERAS.filter((c) => canAccessCameraGroup(req.principal!, c.group)).map((c) => c.id));
  app.post('/cameras', { config: { permission: 'cameras:write' } }, async (_req, reply) => reply.status(201).send({ ok: true }));
  app.get('/counts', { config: { permission: 'counts:read' } }, async () => ({ ok: true }));
  app.get('/plates/search', { config: { permission: 'plates:search' } }, async () => ({ ok: true }));
  app.get('/faces/search', { config: { permission: 'faces:search' } }, async () => ({ ok: true }));
  app.post('/incidents/:id/ack', { config: { permission: 'incidents:ack' } }, async () => ({ ok: true }));
  app.get('/incidents/stream', { config: { permission: 'incidents:read', allowQueryToken: true } }, async () => ({ ok: true }));
  app.get('/audit', { config: { permission: 'audit:read' } }, async () => ({ ok: true }));
  app.get('/forgotten', async () => ({ leaked: true }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await pool?.end();
  await db?.drop();
});

const PASSWORD = 'a long enough password';

describe('first admin', () => {
  it('comes from the environment once, racing processes create exactly one', async () => {
    expect(await bootstrapAdminFromEnv(users, {})).toEqual({ outcome: 'not_configured' });
    await expect(createFirstAdmin(users, 'root', 'short')).rejects.toMatchObject({ code: 'IOCV_BAD_PASSWORD' });
    const results = await Promise.all([
      bootstrapAdminFromEnv(users, { IOCV_ADMIN_USER: 'root', IOCV_ADMIN_PASSWORD: PASSWORD }),
      createFirstAdmin(users, 'root2', PASSWORD),
      createFirstAdmin(users, 'root3', PASSWORD),
    ]);
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    expect(await users.count()).toBe(1);
    expect(await bootstrapAdminFromEnv(users, { IOCV_ADMIN_USER: 'other', IOCV_ADMIN_PASSWORD: PASSWORD })).toEqual({ outcome: 'users_exist' });
    const admin = (await users.list())[0]!;
    expect(admin.role).toBe('admin');
    // whichever racer won, call it root for the rest of the file
    await pool.query("UPDATE users SET username = 'root' WHERE id = $1", [admin.id]);
  });
});

describe('sessions', () => {
  it('login, refresh with rotation, reuse detection, logout, expiry', async () => {
    await expect(auth.login('root', 'wrong password!!')).rejects.toMatchObject({ code: 'IOCV_BAD_CREDENTIALS', statusCode: 401 });
    await expect(auth.login('nobody', PASSWORD)).rejects.toMatchObject({ code: 'IOCV_BAD_CREDENTIALS' });
    const pair = await auth.login('root', PASSWORD, { ip: '10.1.1.1' });
    expect(pair.user).toMatchObject({ username: 'root', role: 'admin', cameraGroups: null });
    expect(auth.principalFromAccessToken(pair.accessToken)).toMatchObject({ kind: 'user', name: 'root', role: 'admin' });

    const next = await auth.refresh(pair.refreshToken);
    expect(next.refreshToken).not.toBe(pair.refreshToken);
    // The old refresh token is single-use: replaying it revokes the session, so the new one dies too.
    await expect(auth.refresh(pair.refreshToken)).rejects.toMatchObject({ code: 'IOCV_TOKEN_INVALID' });
    await expect(auth.refresh(next.refreshToken)).rejects.toMatchObject({ code: 'IOCV_TOKEN_INVALID' });

    const p2 = await auth.login('root', PASSWORD);
    const saved = clock;
    clock += 15 * 60 * 1000;
    expect(() => auth.principalFromAccessToken(p2.accessToken)).toThrow(expect.objectContaining({ code: 'IOCV_TOKEN_EXPIRED' }));
    clock = saved;
    await auth.logout(auth.principalFromAccessToken(p2.accessToken).sessionId!);
    await expect(auth.refresh(p2.refreshToken)).rejects.toMatchObject({ code: 'IOCV_TOKEN_INVALID' });
  });

  it('disabled users cannot log in; role changes reach the next refresh', async () => {
    const u = await auth.createUser({ username: 'dora', password: PASSWORD, role: 'analyst' });
    const pair = await auth.login('dora', PASSWORD);
    await users.update(u.id, { role: 'operator', cameraGroups: ['district-1'] });
    const refreshed = await auth.refresh(pair.refreshToken);
    expect(refreshed.user).toMatchObject({ role: 'operator', cameraGroups: ['district-1'] });
    await users.update(u.id, { disabled: true });
    await expect(auth.login('dora', PASSWORD)).rejects.toMatchObject({ code: 'IOCV_BAD_CREDENTIALS' });
    await expect(auth.refresh(refreshed.refreshToken)).rejects.toMatchObject({ code: 'IOCV_TOKEN_INVALID' });
  });

  it('throttles password guessing per username and address', async () => {
    await auth.createUser({ username: 'erin', password: PASSWORD, role: 'security' });
    for (let i = 0; i < 5; i++) await expect(auth.login('erin', `guess number ${i}`, { ip: '10.9.9.9' })).rejects.toMatchObject({ code: 'IOCV_BAD_CREDENTIALS' });
    await expect(auth.login('erin', PASSWORD, { ip: '10.9.9.9' })).rejects.toMatchObject({ code: 'IOCV_RATE_LIMITED', statusCode: 429 });
    expect((await auth.login('erin', PASSWORD, { ip: '10.9.9.10' })).user.username).toBe('erin');
  });

  it('API keys: shown once, stored hashed, revocable, expiring', async () => {
    const { key, record } = await auth.createApiKey({ name: 'ingest-bot', role: 'operator', cameraGroups: ['district-2'], createdBy: 'user:root' });
    const { rows } = await pool.query<{ key_hash: string }>('SELECT key_hash FROM api_keys WHERE id = $1', [record.id]);
    expect(rows[0]!.key_hash).not.toContain(key);
    expect(await auth.authenticate({ kind: 'api_key', key })).toMatchObject({ kind: 'api_key', name: 'ingest-bot', role: 'operator', cameraGroups: ['district-2'] });
    await expect(auth.authenticate({ kind: 'api_key', key: `${key.slice(0, -2)}xx` })).rejects.toMatchObject({ code: 'IOCV_API_KEY_INVALID' });
    await apiKeys.revoke(record.id);
    await expect(auth.authenticate({ kind: 'bearer', token: key })).rejects.toMatchObject({ code: 'IOCV_API_KEY_INVALID' });
    const exp = await auth.createApiKey({ name: 'temp', role: 'analyst', expiresAt: clock + 1000 });
    expect((await auth.authenticate({ kind: 'api_key', key: exp.key })).name).toBe('temp');
    clock += 2000;
    await expect(auth.authenticate({ kind: 'api_key', key: exp.key })).rejects.toMatchObject({ code: 'IOCV_API_KEY_INVALID' });
    clock -= 2000;
  });
});

describe('the Fastify hook', () => {
  const tokens = new Map<Role, string>();
  beforeAll(async () => {
    for (const role of ROLES) {
      if (role !== 'admin') await auth.createUser({ username: `u-${role}`, password: PASSWORD, role });
      const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: role === 'admin' ? 'root' : `u-${role}`, password: PASSWORD } });
      expect(res.statusCode).toBe(200);
      tokens.set(role, res.json<{ accessToken: string }>().accessToken);
    }
  });

  it('every route × every role follows the matrix; undeclared routes are denied to all', async () => {
    const table = app.authRouteTable.filter((r) => r.method !== 'HEAD' && !r.url.startsWith('/auth/'));
    expect(table.map((r) => `${r.method} ${r.url}`)).toContain('GET /forgotten');
    const matrix = roleMatrix(table, ROLES);
    expect(matrix).toHaveLength(table.length * ROLES.length);
    for (const cell of matrix) {
      const url = cell.url.replace(':id', 'inc1');
      const res = await app.inject({ method: cell.method as 'GET', url, headers: { authorization: `Bearer ${tokens.get(cell.role)!}` } });
      const allowed = res.statusCode < 400;
      expect({ route: `${cell.method} ${cell.url}`, role: cell.role, allowed }).toEqual({ route: `${cell.method} ${cell.url}`, role: cell.role, allowed: cell.allowed });
      if (!allowed) {
        expect(res.statusCode).toBe(403);
        expect(['IOCV_FORBIDDEN', 'IOCV_ROUTE_NOT_CLASSIFIED']).toContain(res.json().error.code);
      }
    }
    expect(matrix.filter((c) => c.url === '/forgotten').every((c) => !c.allowed)).toBe(true);
  });

  it('401 without or with bad credentials; public routes stay open; query tokens only where allowed', async () => {
    const noCreds = await app.inject({ method: 'GET', url: '/cameras' });
    expect(noCreds.statusCode).toBe(401);
    expect(noCreds.json().error.code).toBe('IOCV_UNAUTHORIZED');
    expect((await app.inject({ method: 'GET', url: '/cameras', headers: { authorization: 'Bearer a.b.c' } })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/forgotten' })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ ok: true, caller: null });
    expect((await app.inject({ method: 'GET', url: '/health', headers: { authorization: `Bearer ${tokens.get('analyst')!}` } })).json()).toEqual({ ok: true, caller: 'u-analyst' });
    const t = tokens.get('security')!;
    expect((await app.inject({ method: 'GET', url: `/incidents/stream?access_token=${t}` })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/cameras?access_token=${t}` })).statusCode).toBe(401);
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404);
  });

  it('camera groups limit what a principal sees; API keys work through X-API-Key', async () => {
    await auth.createUser({ username: 'guard1', password: PASSWORD, role: 'security', cameraGroups: ['district-1'] });
    const login = await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'guard1', password: PASSWORD } });
    const guard = login.json<{ accessToken: string }>().accessToken;
    expect((await app.inject({ method: 'GET', url: '/cameras', headers: { authorization: `Bearer ${guard}` } })).json()).toEqual(['c1']);
    expect((await app.inject({ method: 'GET', url: '/cameras', headers: { authorization: `Bearer ${tokens.get('operator')!}` } })).json()).toEqual(['c1', 'c2', 'c3']);
    const { key } = await auth.createApiKey({ name: 'wall-display', role: 'analyst', cameraGroups: ['district-2'] });
    expect((await app.inject({ method: 'GET', url: '/cameras', headers: { 'x-api-key': key } })).json()).toEqual(['c2']);
    expect((await app.inject({ method: 'GET', url: '/plates/search', headers: { 'x-api-key': key } })).statusCode).toBe(403);
    const me = await app.inject({ method: 'GET', url: '/auth/me', headers: { authorization: `Bearer ${key}` } });
    expect(me.json()).toMatchObject({ kind: 'api_key', name: 'wall-display', role: 'analyst', cameraGroups: ['district-2'] });
  });

  it('audits changes, sensitive reads, denials and logins, redacting secrets; plain reads are not audited', async () => {
    const before = (await audit.list({ limit: 1 }))[0]?.seq ?? 0;
    const op = tokens.get('operator')!;
    await app.inject({ method: 'GET', url: '/counts', headers: { authorization: `Bearer ${op}` } });
    await app.inject({ method: 'GET', url: '/plates/search?plate=51F12345', headers: { authorization: `Bearer ${op}` } });
    await app.inject({ method: 'POST', url: '/incidents/inc9/ack', headers: { authorization: `Bearer ${op}` }, payload: { note: 'seen', password: 'x' } });
    await app.inject({ method: 'POST', url: '/cameras', headers: { authorization: `Bearer ${op}` }, payload: {} });
    await app.inject({ method: 'POST', url: '/auth/login', payload: { username: 'root', password: 'not the password' } });
    const entries = (await audit.list({ limit: 100 })).filter((e) => e.seq > before).reverse();
    expect(entries.map((e) => [e.actor, e.action, e.target])).toEqual([
      ['user:u-operator', 'GET /plates/search', null],
      ['user:u-operator', 'POST /incidents/:id/ack', 'inc9'],
      ['user:u-operator', 'POST /cameras', null],
      ['anonymous', 'auth.login_failed', 'root'],
    ]);
    expect(entries[0]!.details).toMatchObject({ statusCode: 200, query: { plate: '51F12345' } });
    expect(entries[1]!.details).toMatchObject({ statusCode: 200, params: { id: 'inc9' }, body: { note: 'seen', password: '[redacted]' } });
    expect(entries[2]!.details).toMatchObject({ statusCode: 403, denied: true });
    expect(entries[0]!.ip).toBe('127.0.0.1');
    expect((await audit.verifyAuditChain()).ok).toBe(true);
  });

  it('strict mode refuses an unclassified route at registration', async () => {
    const strict = Fastify({ logger: false });
    await strict.register(authPlugin, { auth, strictRoutes: true });
    strict.get('/ok', { config: { public: true } }, async () => 'ok');
    expect(() => strict.get('/bad', async () => 'bad')).toThrow(/neither config.permission nor config.public/);
    await strict.close();
  });
});
