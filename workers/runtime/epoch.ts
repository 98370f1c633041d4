import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** A new epoch per owner start: base36 time + random, no ':' (BullMQ job ids) and sortable. */
export function newEpoch(now = Date.now()): string {
  return `${now.toString(36)}${randomBytes(3).toString('hex')}`;
}

/** host:pid, for status and diagnostics. */
export function processId(): string {
  return `${os.hostname()}:${process.pid}`;
}
