/** Exponential reconnect delays with jitter, so that many cameras behind one failed link do not retry in lockstep. */
export interface BackoffOptions {
  /** First delay, ms. @default 500 */
  initialMs?: number;
  /** Upper bound of a delay, ms. @default 30000 */
  maxMs?: number;
  /** Growth per attempt. @default 2 */
  factor?: number;
  /** Fraction of the delay drawn at random and removed (0 = none, 1 = "full jitter"). @default 0.2 */
  jitter?: number;
  /** Random source in [0, 1). @default Math.random */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly o: Required<BackoffOptions>;

  constructor(opts: BackoffOptions = {}) {
    this.o = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.2, random: Math.random, ...opts };
  }

  /** The delay before the next attempt; grows until `maxMs`. */
  next(): number {
    const base = Math.min(this.o.maxMs, this.o.initialMs * this.o.factor ** this.attempt);
    this.attempt++;
    return Math.max(0, Math.round(base * (1 - this.o.jitter * this.o.random())));
  }

  /** Back to `initialMs` (after a healthy period). */
  reset(): void {
    this.attempt = 0;
  }

  get attempts(): number {
    return this.attempt;
  }
}
