import { describe, expect, it } from 'vitest';
import { signAccessToken, verifyAccessToken, generateSigningKey } from './access-token.js';
import { apiKeyMatches, generateApiKey, parseApiKey } from './api-key.js';
import { redactAccessToken, redactSecrets } from './auth.plugin.js';
import { parseSecret, loadAuthSettings } from './auth-settings.js';
import { hashPassword, verifyPassword } from './password.js';
import { PERMISSIONS, ROLES, ROLE_PERMISSIONS, roleHasPermission, SENSITIVE_PERMISSIONS } from './permissions.js';
import { canAccessCameraGroup } from './principal.js';

describe('passwords (scrypt)', () => {
  it('round trips, rejects wrong and malformed hashes, salts every hash', async () => {
    const h = await hashPassword('correct horse battery', { N: 1024 });
    expect(h).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(await verifyPassword('correct horse battery', h)).toBe(true);
    expect(await verifyPassword('correct horse batterY', h)).toBe(false);
    expect(await hashPassword('correct horse battery', { N: 1024 })).not.toBe(h);
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$AA$AA')).toBe(false);
    // default cost parameters
    const d = await hashPassword('another secret!');
    expect(d.startsWith('scrypt$16384$8$1$')).toBe(true);
    expect(await verifyPassword('another secret!', d)).toBe(true);
  });
});

describe('API keys', () => {
  it('generates iocv_<id>_<secret>, parses the id, matches only the exact key', () => {
    const k = generateApiKey();
    expect(k.key).toMatch(/^iocv_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(k.key)).toEqual({ id: k.id });
    expect(apiKeyMatches(k.key, k.hash)).toBe(true);
    expect(apiKeyMatches(`${k.key.slice(0, -1)}${k.key.endsWith('A') ? 'B' : 'A'}`, k.hash)).toBe(false);
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(parseApiKey('iocv_short_x')).toBeNull();
    expect(generateApiKey().id).not.toBe(k.id);
  });
});

describe('access tokens (HS256)', () => {
  const key = generateSigningKey();
  const claims = { sub: 'usr_1', usr: 'alice', role: 'operator' as const, grp: ['district-1'], sid: 'ses_1' };
  it('round trips and expires', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    const { token, expiresAt } = signAccessToken(claims, key, { nowMs: now });
    expect(expiresAt).toBe(now + 15 * 60 * 1000);
    expect(verifyAccessToken(token, key, now + 60_000)).toMatchObject({ ...claims, iat: now / 1000, exp: now / 1000 + 900 });
    expect(() => verifyAccessToken(token, key, expiresAt - 1)).not.toThrow();
    expect(() => verifyAccessToken(token, key, expiresAt)).toThrow(expect.objectContaining({ code: 'IOCV_TOKEN_EXPIRED', statusCode: 401 }));
  });
  it('rejects a wrong key, a tampered payload and garbage', () => {
    const { token } = signAccessToken(claims, key, { ttlSeconds: 60 });
    expect(() => verifyAccessToken(token, generateSigningKey())).toThrow(expect.objectContaining({ code: 'IOCV_TOKEN_INVALID' }));
    const [h, p, s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), role: 'admin' })).toString('base64url');
    expect(() => verifyAccessToken(`${h}.${forged}.${s}`, key)).toThrow(expect.objectContaining({ code: 'IOCV_TOKEN_INVALID' }));
    expect(() => verifyAccessToken('a.b.c', key)).toThrow(expect.objectContaining({ code: 'IOCV_TOKEN_INVALID' }));
    expect(() => signAccessToken(claims, Buffer.alloc(8))).toThrow(expect.objectContaining({ code: 'IOCV_AUTH_CONFIG' }));
  });
});

describe('permission matrix', () => {
  it('is consistent data', () => {
    for (const role of ROLES) {
      for (const p of ROLE_PERMISSIONS[role]) expect(PERMISSIONS).toContain(p);
      expect(roleHasPermission(role, 'account:self')).toBe(true);
      expect(roleHasPermission(role, 'cameras:read')).toBe(true);
    }
    for (const p of PERMISSIONS) expect(roleHasPermission('admin', p)).toBe(true);
    for (const p of SENSITIVE_PERMISSIONS) expect(PERMISSIONS).toContain(p);
  });
  it('keeps administration to admins and searches away from analysts', () => {
    for (const role of ROLES.filter((r) => r !== 'admin')) {
      for (const p of ['cameras:write', 'users:admin', 'apikeys:admin', 'audit:read', 'webhooks:admin', 'queues:admin'] as const) expect(roleHasPermission(role, p)).toBe(false);
    }
    expect(roleHasPermission('analyst', 'plates:search')).toBe(false);
    expect(roleHasPermission('analyst', 'snapshots:read')).toBe(false);
    expect(roleHasPermission('analyst', 'incidents:ack')).toBe(false);
    expect(roleHasPermission('police', 'faces:search')).toBe(true);
    expect(roleHasPermission('operator', 'faces:search')).toBe(false);
    expect(roleHasPermission('security', 'incidents:ack')).toBe(true);
    expect(roleHasPermission('security', 'counts:read')).toBe(false);
  });
  it('per-camera-group access', () => {
    expect(canAccessCameraGroup({ cameraGroups: null }, 'd1')).toBe(true);
    expect(canAccessCameraGroup({ cameraGroups: null }, null)).toBe(true);
    expect(canAccessCameraGroup({ cameraGroups: ['d1'] }, 'd1')).toBe(true);
    expect(canAccessCameraGroup({ cameraGroups: ['d1'] }, 'd2')).toBe(false);
    expect(canAccessCameraGroup({ cameraGroups: ['d1'] }, null)).toBe(false);
    expect(canAccessCameraGroup({ cameraGroups: [] }, 'd1')).toBe(false);
  });
});

describe('settings and redaction', () => {
  it('parses secrets and TTLs strictly', () => {
    expect(parseSecret('ab'.repeat(32))).toHaveLength(32);
    expect(() => parseSecret('abcd')).toThrow(expect.objectContaining({ code: 'IOCV_AUTH_CONFIG' }));
    expect(loadAuthSettings({})).toMatchObject({ secret: null, accessTokenTtlSeconds: 900, adminUser: null });
    expect(loadAuthSettings({ IOCV_ACCESS_TOKEN_TTL_SECONDS: '60', IOCV_ADMIN_USER: 'root', IOCV_ADMIN_PASSWORD: 'pw' })).toMatchObject({ accessTokenTtlSeconds: 60, adminUser: 'root' });
    expect(() => loadAuthSettings({ IOCV_ACCESS_TOKEN_TTL_SECONDS: 'soon' })).toThrow(/IOCV_ACCESS_TOKEN_TTL_SECONDS/);
  });
  it('redacts access tokens in URLs', () => {
    expect(redactAccessToken('/incidents/stream?access_token=abc.def.ghi&after=5')).toBe('/incidents/stream?access_token=[redacted]&after=5');
    expect(redactAccessToken('/x?a=1&ACCESS_TOKEN=zzz')).toBe('/x?a=1&ACCESS_TOKEN=[redacted]');
    expect(redactAccessToken('/cameras')).toBe('/cameras');
  });
  it('redacts secret-looking keys at any depth', () => {
    expect(redactSecrets({ username: 'a', password: 'p', nested: { apiKey: 'k', refreshToken: 't', ok: [1, { secret: 's' }] } })).toEqual({
      username: 'a', password: '[redacted]', nested: { apiKey: '[redacted]', refreshToken: '[redacted]', ok: [1, { secret: '[redacted]' }] },
    });
  });
});

describe('login throttle', () => {
  it('locks a username+address out after maxFailures within the window, then lets it try again', async () => {
    const { LoginThrottle } = await import('./login-throttle.js');
    let now = 0;
    const t = new LoginThrottle({ maxFailures: 3, windowMs: 10_000, lockoutMs: 60_000, now: () => now });
    const k = LoginThrottle.key('Alice', '10.0.0.1');
    expect(k).toBe(LoginThrottle.key('alice', '10.0.0.1'));
    t.fail(k);
    now = 11_000; // the first failure leaves the window
    t.fail(k);
    t.fail(k);
    expect(() => t.check(k)).not.toThrow();
    t.fail(k);
    expect(() => t.check(k)).toThrow(expect.objectContaining({ code: 'IOCV_RATE_LIMITED', statusCode: 429 }));
    expect(() => t.check(LoginThrottle.key('alice', '10.0.0.2'))).not.toThrow();
    now += 60_000;
    expect(() => t.check(k)).not.toThrow();
    t.fail(k);
    t.succeed(k);
    t.fail(k);
    t.fail(k);
    expect(() => t.check(k)).not.toThrow();
  });
});

describe('the documented matrix', () => {
  it('the table in permissions.ts TSDoc matches ROLE_PERMISSIONS exactly', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(new URL('./permissions.ts', import.meta.url), 'utf8');
    const header = /\* \| permission +\|(.+)\|/.exec(text)![1]!.split('|').map((c) => c.trim());
    expect(header).toEqual([...ROLES]);
    const rows = [...text.matchAll(/^ \* \| ([a-z]+:[a-z]+) +\|(.+)\|$/gm)];
    expect(rows.map((r) => r[1])).toEqual([...PERMISSIONS]);
    for (const r of rows) {
      const cells = r[2]!.split('|').map((c) => c.trim() === '✓');
      ROLES.forEach((role, i) => expect({ role, perm: r[1], granted: cells[i] }).toEqual({ role, perm: r[1], granted: roleHasPermission(role, r[1] as never) }));
    }
  });
});
