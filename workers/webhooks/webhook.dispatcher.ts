/**
 * Delivers the webhook outbox: claims due deliveries (one per subscription at a time, so each receiver gets its
 * events in order), POSTs them signed, and records the outcome: delivered, retry later (exponential backoff with
 * jitter), or dead-lettered after `maxAttempts` or `maxAgeMs`. Rows live in Postgres, so nothing is lost when the
 * receiver or the dispatcher is down; several dispatchers may run on several machines.
 * Delivery is at-least-once (a dispatcher dying after the receiver answered re-sends once the lease expires):
 * receivers dedupe on X-IOCV-Event-Id.
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import { WEBHOOK_DELIVERIES_CHANNEL, type ClaimedDelivery, type WebhookRepository } from '../../storage/repositories/webhook.repository.js';
import { backoffDelayMs } from './webhook-backoff.js';
import { signWebhook } from './webhook-signature.js';

export interface WebhookDispatcherOptions {
  repo: WebhookRepository;
  /** Identifies this dispatcher in leases. @default host:pid:random */
  workerId?: string;
  /** Deliveries claimed (and sent in parallel) per round. @default 8 */
  batchSize?: number;
  /** Sleep between rounds when nothing is due, ms (NOTIFY wakes it earlier when `listenPool` is given). @default 1000 */
  pollIntervalMs?: number;
  /** Per-request timeout, ms. @default 10000 */
  requestTimeoutMs?: number;
  /** Attempts before dead-lettering. @default 20 */
  maxAttempts?: number;
  /** Age after which a failing delivery is dead-lettered, ms. @default 86400000 (24 h) */
  maxAgeMs?: number;
  /** Delay before the 2nd attempt, ms. @default 1000 */
  baseDelayMs?: number;
  /** Cap of the retry delay, ms. @default 600000 */
  maxDelayMs?: number;
  /** Pool to LISTEN for new deliveries on (one connection held while running). */
  listenPool?: pg.Pool;
  fetch?: typeof fetch;
  now?: () => number;
  onError?: (err: unknown) => void;
  /** Called after each attempt (metrics, logs). */
  onAttempt?: (a: { delivery: ClaimedDelivery; ok: boolean; httpStatus: number | null; error: string | null; dead: boolean; durationMs: number }) => void;
}

export class WebhookDispatcher {
  readonly workerId: string;
  private readonly o: Required<Omit<WebhookDispatcherOptions, 'listenPool' | 'onError' | 'onAttempt' | 'workerId'>> & Pick<WebhookDispatcherOptions, 'listenPool' | 'onError' | 'onAttempt'>;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private listenClient: pg.PoolClient | null = null;

  constructor(opts: WebhookDispatcherOptions) {
    this.workerId = opts.workerId ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
    this.o = {
      repo: opts.repo,
      batchSize: opts.batchSize ?? 8,
      pollIntervalMs: opts.pollIntervalMs ?? 1000,
      requestTimeoutMs: opts.requestTimeoutMs ?? 10_000,
      maxAttempts: opts.maxAttempts ?? 20,
      maxAgeMs: opts.maxAgeMs ?? 86_400_000,
      baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 600_000,
      fetch: opts.fetch ?? fetch,
      now: opts.now ?? Date.now,
      listenPool: opts.listenPool,
      onError: opts.onError,
      onAttempt: opts.onAttempt,
    };
  }

  /** The lease outlives one request by a margin, so a slow receiver is never sent the same row twice at once. */
  private get leaseMs(): number {
    return this.o.requestTimeoutMs + 5000;
  }

  /** Claims and sends one batch; returns how many deliveries were attempted. */
  async runOnce(): Promise<number> {
    const batch = await this.o.repo.claimDue(this.o.batchSize, this.workerId, this.leaseMs);
    await Promise.all(batch.map((d) => this.deliver(d)));
    return batch.length;
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const started = this.o.now();
    const ts = Math.floor(started / 1000);
    let httpStatus: number | null = null;
    let error: string | null = null;
    try {
      const res = await this.o.fetch(d.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.o.requestTimeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'ioc-vision-webhooks/1',
          'x-iocv-event-id': String(d.eventId),
          'x-iocv-event-type': d.eventType,
          'x-iocv-timestamp': String(ts),
          'x-iocv-signature': signWebhook(d.secret, ts, d.body),
          'x-iocv-delivery-attempt': String(d.attempts + 1),
        },
        body: d.body,
      });
      httpStatus = res.status;
      // Drain the body so the connection can be reused; its content does not matter.
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
    } catch (err) {
      const e = err as { name?: string; message?: string; cause?: { code?: string } };
      error = e.name === 'TimeoutError' ? `timeout after ${this.o.requestTimeoutMs} ms` : (e.cause?.code ?? e.message ?? String(err));
    }
    const now = this.o.now();
    const durationMs = now - started;
    try {
      if (error === null) {
        await this.o.repo.markDelivered(d.id, this.workerId, httpStatus!);
        this.o.onAttempt?.({ delivery: d, ok: true, httpStatus, error: null, dead: false, durationMs });
        return;
      }
      const failed = d.attempts + 1;
      const dead = failed >= this.o.maxAttempts || now - d.createdAt >= this.o.maxAgeMs;
      const nextAttemptAt = now + backoffDelayMs(failed, { baseDelayMs: this.o.baseDelayMs, maxDelayMs: this.o.maxDelayMs });
      await this.o.repo.markFailed(d.id, this.workerId, { httpStatus, error, nextAttemptAt, dead });
      this.o.onAttempt?.({ delivery: d, ok: false, httpStatus, error, dead, durationMs });
    } catch (err) {
      // The row keeps its lease and is retried after it expires.
      this.o.onError?.(err);
    }
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the current round; in-flight requests finish (or time out) first. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
    this.loop = null;
  }

  private async run(): Promise<void> {
    await this.listen();
    try {
      while (this.running) {
        let n = 0;
        try {
          n = await this.runOnce();
        } catch (err) {
          this.o.onError?.(err);
        }
        if (n === 0 && this.running) await this.sleep(this.o.pollIntervalMs);
      }
    } finally {
      await this.unlisten();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async listen(): Promise<void> {
    if (!this.o.listenPool) return;
    try {
      const c = await this.o.listenPool.connect();
      c.on('notification', (m) => {
        if (m.channel === WEBHOOK_DELIVERIES_CHANNEL) this.wake?.();
      });
      c.on('error', (err) => this.o.onError?.(err));
      await c.query(`LISTEN ${WEBHOOK_DELIVERIES_CHANNEL}`);
      this.listenClient = c;
    } catch (err) {
      // Polling still delivers; NOTIFY only shortens the wait.
      this.o.onError?.(err);
    }
  }

  private async unlisten(): Promise<void> {
    const c = this.listenClient;
    this.listenClient = null;
    if (!c) return;
    await c.query(`UNLISTEN ${WEBHOOK_DELIVERIES_CHANNEL}`).catch(() => undefined);
    c.release();
  }
}
