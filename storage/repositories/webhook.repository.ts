/**
 * Webhook subscriptions and the durable delivery outbox (rows enqueued by a trigger for every incident event,
 * migration 011). Dispatchers claim the HEAD of each subscription's queue with FOR UPDATE SKIP LOCKED and a lease,
 * so any number of dispatchers on any machines never send the same row at once and each subscription receives
 * its events in order.
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';

type Pool = pg.Pool;

export const WEBHOOK_EVENT_TYPES = ['incident.created', 'incident.updated', 'incident.acknowledged', 'incident.resolved'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** NOTIFY channel raised when deliveries are enqueued (payload: event id). */
export const WEBHOOK_DELIVERIES_CHANNEL = 'iocv_webhook_deliveries';

export interface WebhookSubscription {
  id: string;
  url: string;
  /** HMAC key. */
  secret: string;
  /** Empty = every event type; 'incident.*' also matches all. */
  eventTypes: string[];
  enabled: boolean;
  description: string | null;
  createdAt: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** A claimed delivery with everything needed to send it. */
export interface ClaimedDelivery {
  id: number;
  subscriptionId: string;
  url: string;
  secret: string;
  eventId: number;
  eventType: string;
  /** Attempts made before this one. */
  attempts: number;
  createdAt: number;
  /** The JSON body, identical on every attempt. */
  body: string;
}

export interface DeliveryRecord {
  id: number;
  subscriptionId: string;
  eventId: number;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  deliveredAt: number | null;
}

interface SubRow {
  id: string;
  url: string;
  secret: string;
  event_types: string[];
  enabled: boolean;
  description: string | null;
  created_at: Date;
}

const toSub = (r: SubRow): WebhookSubscription => ({
  id: r.id,
  url: r.url,
  secret: r.secret,
  eventTypes: r.event_types,
  enabled: r.enabled,
  description: r.description,
  createdAt: r.created_at.getTime(),
});

/** The body every attempt sends: stable field order, built from the stored event. */
export function webhookBody(eventId: number, eventType: string, at: Date, incident: unknown): string {
  return JSON.stringify({ id: String(eventId), type: eventType, occurredAt: at.toISOString(), data: { incident } });
}

export class WebhookRepository {
  constructor(private readonly pool: Pool) {}

  /** A random secret is generated when none is given; events from now on are delivered (no backfill). */
  async createSubscription(input: { url: string; secret?: string; eventTypes?: string[]; enabled?: boolean; description?: string | null }): Promise<WebhookSubscription> {
    const { rows } = await this.pool.query<SubRow>(
      `INSERT INTO webhook_subscriptions (id, url, secret, event_types, enabled, description) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING id, url, secret, event_types, enabled, description, created_at`,
      [`whs_${randomBytes(10).toString('hex')}`, input.url, input.secret ?? randomBytes(32).toString('hex'), input.eventTypes ?? [], input.enabled ?? true, input.description ?? null],
    );
    return toSub(rows[0]!);
  }

  async updateSubscription(id: string, patch: { url?: string; secret?: string; eventTypes?: string[]; enabled?: boolean; description?: string | null }): Promise<WebhookSubscription | null> {
    const sets: string[] = [];
    const args: unknown[] = [id];
    const set = (col: string, v: unknown) => {
      args.push(v);
      sets.push(`${col} = $${args.length}`);
    };
    if (patch.url !== undefined) set('url', patch.url);
    if (patch.secret !== undefined) set('secret', patch.secret);
    if (patch.eventTypes !== undefined) set('event_types', patch.eventTypes);
    if (patch.enabled !== undefined) set('enabled', patch.enabled);
    if (patch.description !== undefined) set('description', patch.description);
    if (!sets.length) return this.getSubscription(id);
    const { rows } = await this.pool.query<SubRow>(
      `UPDATE webhook_subscriptions SET ${sets.join(', ')}, updated_at = now() WHERE id = $1 RETURNING id, url, secret, event_types, enabled, description, created_at`,
      args,
    );
    return rows[0] ? toSub(rows[0]) : null;
  }

  async getSubscription(id: string): Promise<WebhookSubscription | null> {
    const { rows } = await this.pool.query<SubRow>('SELECT id, url, secret, event_types, enabled, description, created_at FROM webhook_subscriptions WHERE id = $1', [id]);
    return rows[0] ? toSub(rows[0]) : null;
  }

  async listSubscriptions(): Promise<WebhookSubscription[]> {
    const { rows } = await this.pool.query<SubRow>('SELECT id, url, secret, event_types, enabled, description, created_at FROM webhook_subscriptions ORDER BY created_at');
    return rows.map(toSub);
  }

  /** Deletes the subscription and its deliveries. */
  async deleteSubscription(id: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM webhook_subscriptions WHERE id = $1', [id]);
    return (res.rowCount ?? 0) > 0;
  }

  /**
   * Claims up to `limit` due deliveries, at most one per subscription (the oldest pending one, so order holds),
   * skipping rows locked or leased by other dispatchers. The lease must outlast one request.
   */
  async claimDue(limit: number, workerId: string, leaseMs: number): Promise<ClaimedDelivery[]> {
    const { rows } = await this.pool.query<{
      id: string;
      subscription_id: string;
      url: string;
      secret: string;
      event_id: string;
      event_type: string;
      attempts: number;
      created_at: Date;
      event_at: Date;
      payload: unknown;
    }>(
      `WITH heads AS (
         SELECT DISTINCT ON (subscription_id) id FROM webhook_deliveries
         WHERE status = 'pending' ORDER BY subscription_id, event_id
       ), claimable AS (
         SELECT d.id FROM webhook_deliveries d JOIN heads h ON h.id = d.id
         WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.lease_until IS NULL OR d.lease_until < now())
           -- a disabled subscription keeps its queue (nothing is lost) but nothing is sent until it is enabled again
           AND EXISTS (SELECT 1 FROM webhook_subscriptions s WHERE s.id = d.subscription_id AND s.enabled)
         ORDER BY d.next_attempt_at LIMIT $1
         FOR UPDATE OF d SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_deliveries d SET lease_until = now() + ($3::double precision * interval '1 millisecond'), leased_by = $2
         FROM claimable c WHERE d.id = c.id
         RETURNING d.id, d.subscription_id, d.event_id, d.event_type, d.attempts, d.created_at
       )
       SELECT c.id, c.subscription_id, s.url, s.secret, c.event_id, c.event_type, c.attempts, c.created_at, e.at AS event_at, e.payload
       FROM claimed c JOIN webhook_subscriptions s ON s.id = c.subscription_id JOIN incident_events e ON e.id = c.event_id`,
      [limit, workerId, leaseMs],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      subscriptionId: r.subscription_id,
      url: r.url,
      secret: r.secret,
      eventId: Number(r.event_id),
      eventType: r.event_type,
      attempts: r.attempts,
      createdAt: r.created_at.getTime(),
      body: webhookBody(Number(r.event_id), r.event_type, r.event_at, r.payload),
    }));
  }

  /** Records success; false when the lease was lost (another dispatcher took the row over). */
  async markDelivered(id: number, workerId: string, httpStatus: number): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = now(), last_status = $3, last_error = NULL,
         lease_until = NULL, leased_by = NULL
       WHERE id = $1 AND leased_by = $2 AND status = 'pending'`,
      [id, workerId, httpStatus],
    );
    return (res.rowCount ?? 0) === 1;
  }

  /** Records a failed attempt: retry at `nextAttemptAt`, or dead-letter when `dead`. */
  async markFailed(id: number, workerId: string, outcome: { httpStatus: number | null; error: string; nextAttemptAt: number; dead: boolean }): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE webhook_deliveries SET attempts = attempts + 1, last_status = $3, last_error = $4, next_attempt_at = $5,
         status = CASE WHEN $6 THEN 'dead' ELSE 'pending' END, lease_until = NULL, leased_by = NULL
       WHERE id = $1 AND leased_by = $2 AND status = 'pending'`,
      [id, workerId, outcome.httpStatus, outcome.error.slice(0, 1000), new Date(outcome.nextAttemptAt), outcome.dead],
    );
    return (res.rowCount ?? 0) === 1;
  }

  /** Puts dead-lettered deliveries back in the queue (after the receiver is fixed). Returns how many. */
  async requeueDead(subscriptionId?: string): Promise<number> {
    const res = await this.pool.query(
      `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), created_at = now(), last_error = NULL
       WHERE status = 'dead' AND ($1::text IS NULL OR subscription_id = $1)`,
      [subscriptionId ?? null],
    );
    return res.rowCount ?? 0;
  }

  async listDeliveries(filter: { subscriptionId?: string; status?: DeliveryStatus; limit?: number } = {}): Promise<DeliveryRecord[]> {
    const { rows } = await this.pool.query<{
      id: string;
      subscription_id: string;
      event_id: string;
      event_type: string;
      status: DeliveryStatus;
      attempts: number;
      next_attempt_at: Date;
      last_status: number | null;
      last_error: string | null;
      created_at: Date;
      delivered_at: Date | null;
    }>(
      `SELECT id, subscription_id, event_id, event_type, status, attempts, next_attempt_at, last_status, last_error, created_at, delivered_at
       FROM webhook_deliveries WHERE ($1::text IS NULL OR subscription_id = $1) AND ($2::text IS NULL OR status = $2)
       ORDER BY id LIMIT $3`,
      [filter.subscriptionId ?? null, filter.status ?? null, Math.min(Math.max(filter.limit ?? 100, 1), 10_000)],
    );
    return rows.map((r) => ({
      id: Number(r.id),
      subscriptionId: r.subscription_id,
      eventId: Number(r.event_id),
      eventType: r.event_type,
      status: r.status,
      attempts: r.attempts,
      nextAttemptAt: r.next_attempt_at.getTime(),
      lastStatus: r.last_status,
      lastError: r.last_error,
      createdAt: r.created_at.getTime(),
      deliveredAt: r.delivered_at ? r.delivered_at.getTime() : null,
    }));
  }

  /** Counts per status (for /metrics). */
  async stats(): Promise<Record<DeliveryStatus, number>> {
    const { rows } = await this.pool.query<{ status: DeliveryStatus; n: string }>('SELECT status, count(*) AS n FROM webhook_deliveries GROUP BY status');
    const out: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, dead: 0 };
    for (const r of rows) out[r.status] = Number(r.n);
    return out;
  }
}
