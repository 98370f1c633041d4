import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');
let db: TestDatabase;
let dir: string;

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-api-cmd-'));
});

afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ioc-vision api (composition root)', () => {
  it('migrates, loads cameras, serves, and stops cleanly on SIGTERM', async () => {
    const camerasFile = path.join(dir, 'cameras.yaml');
    writeFileSync(
      camerasFile,
      ['cameras:', '  - id: gate-1', '    name: Cổng 1', '    url: rtsp://user:pw@127.0.0.1:8554/gate', '    lines:', '      - id: L1', '        points: [[0.1, 0.5], [0.9, 0.5]]', ''].join('\n'),
    );
    // Only the variables this test means: an inherited IOCV_* would change what is being tested.
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IOCV_')));
    Object.assign(env, {
      IOCV_DATABASE_URL: db.url,
      IOCV_FS_ROOT: path.join(dir, 'objects'),
      IOCV_CAMERAS_FILE: camerasFile,
      IOCV_LOG_LEVEL: 'info',
      IOCV_ADMIN_USER: 'admin',
      IOCV_ADMIN_PASSWORD: 'correct horse battery',
    });
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'ioc-vision.mjs'), 'api', '--port', '0'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const base = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /listening on (http:\/\/\S+)/.exec(stdout);
          if (m) resolve(m[1]!);
        });
        void exited.then((code) => reject(new Error(`api exited early (${code}): ${stderr}`)));
      });
      const health = await fetch(`${base}/health`);
      const hb = (await health.json()) as { checks: Record<string, { ok: boolean }> };
      expect(hb.checks.database!.ok).toBe(true);
      expect(hb.checks.objects!.ok).toBe(true);
      expect(Object.keys(hb.checks)).toContain('redis');
      // every data route needs a login; the first admin came from the environment
      expect((await fetch(`${base}/api/v1/cameras`)).status).toBe(401);
      const login = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: 'correct horse battery' }),
      });
      expect(login.status).toBe(200);
      const { accessToken } = (await login.json()) as { accessToken: string };
      const cams = (await (await fetch(`${base}/api/v1/cameras`, { headers: { authorization: `Bearer ${accessToken}` } })).json()) as {
        items: Array<{ id: string; name: string; url: string }>;
      };
      expect(cams.items).toEqual([expect.objectContaining({ id: 'gate-1', name: 'Cổng 1', url: 'rtsp://user:***@127.0.0.1:8554/gate' })]);
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(200);
      // a token in a query string (SSE clients) never reaches the logs
      await fetch(`${base}/health?access_token=topsecret123`);
      await new Promise((r) => setTimeout(r, 200));
      expect(stdout).toContain('access_token=[redacted]');
      expect(stdout).not.toContain('topsecret123');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('fails at start with the name of a bad variable', async () => {
    const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('IOCV_')));
    Object.assign(env, { IOCV_DATABASE_URL: db.url, IOCV_OBJECT_STORE: 's3', IOCV_S3_BUCKET: 'x' });
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'ioc-vision.mjs'), 'api', '--port', '0'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr).toContain('IOCV_S3_ENDPOINT');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
