/**
 * Slows password guessing: after `maxFailures` failed logins for one (username, client address) within `windowMs`,
 * further attempts are refused for `lockoutMs` (429) without checking the password. In memory, per API process.
 */
import { AuthError } from './auth-errors.js';

export interface LoginThrottleOptions {
  /** Failures allowed in the window. @default 5 */
  maxFailures?: number;
  /** Window over which failures count, ms. @default 900000 (15 min) */
  windowMs?: number;
  /** Refusal time once the limit is hit, ms. @default 900000 (15 min) */
  lockoutMs?: number;
  /** Entries kept at most (oldest dropped) so that a flood of usernames cannot exhaust memory. @default 10000 */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  failures: number[];
  lockedUntil: number;
}

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly maxFailures: number;
  private readonly windowMs: number;
  private readonly lockoutMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: LoginThrottleOptions = {}) {
    this.maxFailures = opts.maxFailures ?? 5;
    this.windowMs = opts.windowMs ?? 900_000;
    this.lockoutMs = opts.lockoutMs ?? 900_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  static key(username: string, ip: string | null | undefined): string {
    return `${username.toLowerCase()}|${ip ?? ''}`;
  }

  /** Throws IOCV_RATE_LIMITED (429) while the key is locked out. */
  check(key: string): void {
    const e = this.entries.get(key);
    if (e && e.lockedUntil > this.now()) {
      throw new AuthError('IOCV_RATE_LIMITED', `too many failed logins; try again in ${Math.ceil((e.lockedUntil - this.now()) / 1000)} s`);
    }
  }

  fail(key: string): void {
    const now = this.now();
    let e = this.entries.get(key);
    if (!e) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      e = { failures: [], lockedUntil: 0 };
      this.entries.set(key, e);
    }
    e.failures = e.failures.filter((t) => now - t < this.windowMs);
    e.failures.push(now);
    if (e.failures.length >= this.maxFailures) {
      e.lockedUntil = now + this.lockoutMs;
      e.failures = [];
    }
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }
}
