/** Retry schedule for webhook deliveries: exponential with "equal jitter" (half fixed, half random), capped. */

export interface BackoffOptions {
  /** Delay before the 2nd attempt, ms. @default 1000 */
  baseDelayMs?: number;
  /** Cap of any delay, ms. @default 600000 (10 min) */
  maxDelayMs?: number;
  /** Source of randomness in [0, 1). @default Math.random */
  random?: () => number;
}

/** Delay after the `failedAttempts`-th failure (1-based): base·2^(n-1), capped, then jittered into [d/2, d]. */
export function backoffDelayMs(failedAttempts: number, opts: BackoffOptions = {}): number {
  const base = opts.baseDelayMs ?? 1000;
  const max = opts.maxDelayMs ?? 600_000;
  const exp = Math.min(max, base * 2 ** Math.min(Math.max(failedAttempts - 1, 0), 40));
  const r = (opts.random ?? Math.random)();
  return Math.round(exp / 2 + (exp / 2) * r);
}
