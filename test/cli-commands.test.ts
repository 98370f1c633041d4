/**
 * The `ioc-vision` binary routes every command a user or an operator runbook names (the processes of a deployment,
 * the operator commands, the model tools). A command whose module exists but is not registered fails here.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'ioc-vision.mjs');
const COMMANDS = ['analyze', 'api', 'audit', 'demo', 'faces', 'ingest', 'migrate', 'plates', 'pose', 'users', 'webhooks', 'worker'];

describe('ioc-vision command router', () => {
  it('lists every command in its help', async () => {
    const { stdout } = await run(process.execPath, [BIN, '--help']);
    const listed = stdout.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim());
    expect(listed).toEqual(COMMANDS);
  });

  it.each(COMMANDS)('%s --help answers with its usage', async (cmd) => {
    const { stdout } = await run(process.execPath, [BIN, cmd, '--help']);
    expect(stdout).toMatch(/usage: ioc-vision /);
  });

  it('an unknown command is a usage error (exit 2) naming it', async () => {
    const err = await run(process.execPath, [BIN, 'frobnicate']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/unknown command "frobnicate"/);
  });
});
