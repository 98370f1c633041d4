/**
 * Runs ioc-vision roles (api, ingest, worker) as child processes with their output prefixed, and stops them all
 * together. Used by `demo` and the benchmark; a real deployment runs the roles under systemd or docker-compose.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(REPO_ROOT, 'bin', 'ioc-vision.mjs');

export interface RoleProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

export class ProcessGroup {
  readonly procs: RoleProcess[] = [];

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly out: (line: string) => void = (l) => process.stdout.write(`${l}\n`),
    private readonly quiet = false,
  ) {}

  start(name: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): RoleProcess {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...this.env, ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const pad = name.padEnd(9);
    for (const s of [child.stdout, child.stderr]) {
      if (!s) continue;
      createInterface({ input: s }).on('line', (l) => {
        if (!this.quiet) this.out(`${pad}| ${l}`);
      });
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const p = { name, child, exited };
    this.procs.push(p);
    return p;
  }

  /** SIGTERM, then SIGKILL after the grace period. */
  async stopAll(graceMs = 8000): Promise<void> {
    await Promise.all(
      this.procs.map(async (p) => {
        if (p.child.exitCode !== null || p.child.signalCode !== null) return;
        p.child.kill('SIGTERM');
        const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
        await p.exited;
        clearTimeout(t);
      }),
    );
  }
}
