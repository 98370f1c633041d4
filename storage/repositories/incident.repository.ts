/**
 * Incidents in Postgres: signals → deduplicated incidents (cooldown per camera|type|zone), validated state changes,
 * and the ordered event feed (incident_events) with LISTEN/NOTIFY for live push. Webhook deliveries for each event
 * are enqueued by a trigger in the same transaction (migration 011).
 */
import type pg from 'pg';
import {
  DEFAULT_COOLDOWN_MS,
  assertTransition,
  dedupKey,
  mergeSignal,
  openIncident,
  shouldMerge,
  signalId,
} from '../../pipeline/incidents/incident-rules.js';
import {
  IncidentNotFoundError,
  type Incident,
  type IncidentEvent,
  type IncidentEventKind,
  type IncidentSignal,
  type IncidentState,
  type IncidentType,
} from '../../pipeline/incidents/incident.types.js';

type Pool = pg.Pool;
type Queryable = Pick<pg.PoolClient, 'query'>;

/** Channel of the NOTIFY sent for every incident event (payload: IncidentEventNotice as JSON). */
export const INCIDENT_EVENTS_CHANNEL = 'iocv_incident_events';
/** Advisory lock taken before inserting an event so that event ids commit in id order. */
const EVENTS_LOCK_KEY = 0x696f6365; // "ioce"

export interface IncidentEventNotice {
  id: number;
  incidentId: string;
  cameraId: string;
  kind: IncidentEventKind;
}

export interface RecordSignalOptions {
  /** Signals within this time after a resolution re-join the resolved incident, ms. @default 300000 */
  cooldownMs?: number;
  /** Object key of a snapshot for a newly opened incident. */
  snapshotKey?: string | null;
}

export interface RecordSignalResult {
  incident: Incident;
  /** 'duplicate': this signal id was recorded before (retried job); nothing changed. */
  outcome: 'created' | 'merged' | 'duplicate';
  /** Id of the event written, null for a duplicate. */
  eventId: number | null;
}

export interface IncidentListFilter {
  /** Only these cameras; null/undefined = all. */
  cameraIds?: readonly string[] | null;
  /** Only cameras of these groups (cameras.camera_group; a principal's cameraGroups); null/undefined = all. */
  cameraGroups?: readonly string[] | null;
  states?: readonly IncidentState[];
  types?: readonly IncidentType[];
  /** opened_at >= since (epoch ms) */
  since?: number;
  /** opened_at < until (epoch ms) */
  until?: number;
  /** Keyset paging: incidents strictly older than this (openedAt, id). */
  before?: { openedAt: number; id: string };
  /** @default 100 (max 1000) */
  limit?: number;
}

interface IncidentRow {
  id: string;
  type: IncidentType;
  severity: Incident['severity'];
  camera_id: string;
  zone_id: string | null;
  opened_at: Date;
  last_seen_at: Date;
  state: IncidentState;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  resolved_by: string | null;
  resolved_at: Date | null;
  note: string | null;
  snapshot_key: string | null;
  details: Record<string, unknown>;
  occurrences: number;
}

const ms = (d: Date | null): number | null => (d ? d.getTime() : null);

function toIncident(r: IncidentRow): Incident {
  return {
    id: r.id,
    type: r.type,
    severity: r.severity,
    cameraId: r.camera_id,
    zoneId: r.zone_id,
    openedAt: r.opened_at.getTime(),
    lastSeenAt: r.last_seen_at.getTime(),
    state: r.state,
    acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: ms(r.acknowledged_at),
    resolvedBy: r.resolved_by,
    resolvedAt: ms(r.resolved_at),
    note: r.note,
    snapshotKey: r.snapshot_key,
    details: r.details,
    occurrences: r.occurrences,
  };
}

const COLUMN_NAMES = ['id', 'type', 'severity', 'camera_id', 'zone_id', 'opened_at', 'last_seen_at', 'state', 'acknowledged_by',
  'acknowledged_at', 'resolved_by', 'resolved_at', 'note', 'snapshot_key', 'details', 'occurrences'];
const COLUMNS = COLUMN_NAMES.join(', ');
const I_COLUMNS = COLUMN_NAMES.map((c) => `i.${c}`).join(', ');

async function inTransaction<T>(pool: Pool, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function insertEvent(c: Queryable, kind: IncidentEventKind, incident: Incident): Promise<number> {
  await c.query('SELECT pg_advisory_xact_lock($1)', [EVENTS_LOCK_KEY]);
  const { rows } = await c.query<{ id: string }>(
    'INSERT INTO incident_events (incident_id, camera_id, kind, payload) VALUES ($1, $2, $3, $4) RETURNING id',
    [incident.id, incident.cameraId, kind, JSON.stringify(incident)],
  );
  return Number(rows[0]!.id);
}

export class IncidentRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Records one rule signal: creates an incident, or merges into the latest one of the same key while it is live
   * or within the cooldown after its resolution. Idempotent per deterministic signal id.
   */
  async recordSignal(signal: IncidentSignal, opts: RecordSignalOptions = {}): Promise<RecordSignalResult> {
    const cooldownMs = opts.cooldownMs ?? DEFAULT_COOLDOWN_MS;
    const key = dedupKey(signal);
    const sid = signalId(signal);
    return inTransaction(this.pool, async (c) => {
      // One writer per key at a time: two workers raising the same incident must not both create one.
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [key]);
      const dup = await c.query<IncidentRow>(
        `SELECT ${I_COLUMNS} FROM incident_signals s JOIN incidents i ON i.id = s.incident_id WHERE s.signal_id = $1`,
        [sid],
      );
      if (dup.rows[0]) return { incident: toIncident(dup.rows[0]), outcome: 'duplicate' as const, eventId: null };

      const latestRes = await c.query<IncidentRow>(
        `SELECT ${COLUMNS} FROM incidents WHERE dedup_key = $1 ORDER BY opened_at DESC, created_at DESC LIMIT 1 FOR UPDATE`,
        [key],
      );
      const latest = latestRes.rows[0] ? toIncident(latestRes.rows[0]) : null;
      let incident: Incident;
      let outcome: 'created' | 'merged';
      if (latest && shouldMerge(latest, signal, { cooldownMs })) {
        incident = mergeSignal(latest, signal);
        outcome = 'merged';
        await c.query(
          `UPDATE incidents SET last_seen_at = $2, severity = $3, details = $4, occurrences = $5, updated_at = now() WHERE id = $1`,
          [incident.id, new Date(incident.lastSeenAt), incident.severity, JSON.stringify(incident.details), incident.occurrences],
        );
      } else {
        incident = openIncident(signal, opts.snapshotKey ?? null);
        outcome = 'created';
        await c.query(
          `INSERT INTO incidents (id, type, severity, camera_id, zone_id, dedup_key, opened_at, last_seen_at, state, snapshot_key, details, occurrences)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $7, 'open', $8, $9, 1)`,
          [incident.id, incident.type, incident.severity, incident.cameraId, incident.zoneId, key, new Date(incident.openedAt), incident.snapshotKey, JSON.stringify(incident.details)],
        );
      }
      await c.query('INSERT INTO incident_signals (signal_id, incident_id, at) VALUES ($1, $2, $3)', [sid, incident.id, new Date(signal.at)]);
      const eventId = await insertEvent(c, outcome === 'created' ? 'created' : 'updated', incident);
      return { incident, outcome, eventId };
    });
  }

  /** open → acknowledged; throws IncidentStateError (IOCV_INCIDENT_STATE) otherwise. */
  async acknowledge(id: string, actor: string, note?: string | null, at: number = Date.now()): Promise<Incident> {
    return this.transition(id, 'acknowledged', actor, note ?? null, at);
  }

  /** open|acknowledged → resolved; throws IncidentStateError (IOCV_INCIDENT_STATE) otherwise. */
  async resolve(id: string, actor: string, note?: string | null, at: number = Date.now()): Promise<Incident> {
    return this.transition(id, 'resolved', actor, note ?? null, at);
  }

  /**
   * Resolves the live (open or acknowledged) incident of a dedup key, if any — e.g. the camera_offline incident
   * when the camera is back online. Returns the resolved incident or null.
   */
  async resolveLive(key: { cameraId: string; type: IncidentType; zoneId?: string | null }, actor: string, note?: string | null, at: number = Date.now()): Promise<Incident | null> {
    const { rows } = await this.pool.query<{ id: string }>(
      "SELECT id FROM incidents WHERE dedup_key = $1 AND state <> 'resolved'",
      [dedupKey({ cameraId: key.cameraId, type: key.type, zoneId: key.zoneId ?? undefined })],
    );
    if (!rows[0]) return null;
    try {
      return await this.resolve(rows[0].id, actor, note, at);
    } catch (err) {
      // Resolved concurrently by someone else: nothing left to do.
      if ((err as { code?: string }).code === 'IOCV_INCIDENT_STATE') return null;
      throw err;
    }
  }

  /** Attaches a snapshot (written after the incident opened) without an event. */
  async setSnapshotKey(id: string, snapshotKey: string): Promise<void> {
    const res = await this.pool.query('UPDATE incidents SET snapshot_key = $2, updated_at = now() WHERE id = $1', [id, snapshotKey]);
    if (!res.rowCount) throw new IncidentNotFoundError(id);
  }

  private async transition(id: string, to: 'acknowledged' | 'resolved', actor: string, note: string | null, at: number): Promise<Incident> {
    return inTransaction(this.pool, async (c) => {
      const { rows } = await c.query<IncidentRow>(`SELECT ${COLUMNS} FROM incidents WHERE id = $1 FOR UPDATE`, [id]);
      if (!rows[0]) throw new IncidentNotFoundError(id);
      const cur = toIncident(rows[0]);
      assertTransition(cur.state, to);
      const next: Incident =
        to === 'acknowledged'
          ? { ...cur, state: to, acknowledgedBy: actor, acknowledgedAt: at, note: note ?? cur.note }
          : { ...cur, state: to, resolvedBy: actor, resolvedAt: at, note: note ?? cur.note };
      await c.query(
        `UPDATE incidents SET state = $2, acknowledged_by = $3, acknowledged_at = $4, resolved_by = $5, resolved_at = $6, note = $7, updated_at = now()
         WHERE id = $1`,
        [id, next.state, next.acknowledgedBy, ms2date(next.acknowledgedAt), next.resolvedBy, ms2date(next.resolvedAt), next.note],
      );
      await insertEvent(c, to, next);
      return next;
    });
  }

  async get(id: string): Promise<Incident | null> {
    const { rows } = await this.pool.query<IncidentRow>(`SELECT ${COLUMNS} FROM incidents WHERE id = $1`, [id]);
    return rows[0] ? toIncident(rows[0]) : null;
  }

  /** Newest first (openedAt desc, id desc). */
  async list(filter: IncidentListFilter = {}): Promise<Incident[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => {
      args.push(v);
      return `$${args.length}`;
    };
    if (filter.cameraIds) where.push(`camera_id = ANY(${arg(filter.cameraIds)}::text[])`);
    if (filter.cameraGroups) where.push(`camera_id IN (SELECT id FROM cameras WHERE camera_group = ANY(${arg(filter.cameraGroups)}::text[]))`);
    if (filter.states?.length) where.push(`state = ANY(${arg(filter.states)}::text[])`);
    if (filter.types?.length) where.push(`type = ANY(${arg(filter.types)}::text[])`);
    if (filter.since !== undefined) where.push(`opened_at >= ${arg(new Date(filter.since))}`);
    if (filter.until !== undefined) where.push(`opened_at < ${arg(new Date(filter.until))}`);
    if (filter.before) where.push(`(opened_at, id) < (${arg(new Date(filter.before.openedAt))}, ${arg(filter.before.id)})`);
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 1000);
    const { rows } = await this.pool.query<IncidentRow>(
      `SELECT ${COLUMNS} FROM incidents ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY opened_at DESC, id DESC LIMIT ${limit}`,
      args,
    );
    return rows.map(toIncident);
  }

  /** Events with id > afterId in id order (SSE resume: pass the Last-Event-ID). */
  async listEventsAfter(afterId: number, limit = 100, cameraIds?: readonly string[] | null): Promise<IncidentEvent[]> {
    const lim = Math.min(Math.max(limit, 1), 1000);
    const args: unknown[] = [afterId];
    let camera = '';
    if (cameraIds) {
      args.push(cameraIds);
      camera = 'AND camera_id = ANY($2::text[])';
    }
    const { rows } = await this.pool.query<{ id: string; incident_id: string; kind: IncidentEventKind; at: Date; payload: Incident }>(
      `SELECT id, incident_id, kind, at, payload FROM incident_events WHERE id > $1 ${camera} ORDER BY id LIMIT ${lim}`,
      args,
    );
    return rows.map((r) => ({ id: Number(r.id), incidentId: r.incident_id, kind: r.kind, at: r.at.getTime(), incident: r.payload }));
  }

  /** Id of the newest event (0 when none): where a new live client starts. */
  async lastEventId(): Promise<number> {
    const { rows } = await this.pool.query<{ id: string | null }>('SELECT max(id) AS id FROM incident_events');
    return Number(rows[0]?.id ?? 0);
  }
}

function ms2date(v: number | null): Date | null {
  return v === null ? null : new Date(v);
}

export interface IncidentListener {
  close(): Promise<void>;
}

/**
 * LISTENs on the incident events channel on a dedicated connection, reconnecting after errors (events in between
 * are not lost: clients catch up with listEventsAfter). `onNotice` runs for every event committed anywhere.
 */
export async function listenIncidentEvents(
  pool: Pool,
  onNotice: (n: IncidentEventNotice) => void,
  opts: { reconnectDelayMs?: number; onError?: (err: unknown) => void } = {},
): Promise<IncidentListener> {
  let closed = false;
  let client: pg.PoolClient | null = null;
  let timer: NodeJS.Timeout | null = null;
  const onNotification = (msg: pg.Notification) => {
    if (msg.channel !== INCIDENT_EVENTS_CHANNEL || !msg.payload) return;
    try {
      onNotice(JSON.parse(msg.payload) as IncidentEventNotice);
    } catch (err) {
      opts.onError?.(err);
    }
  };
  const connect = async (): Promise<void> => {
    const c = await pool.connect();
    c.on('notification', onNotification);
    c.on('error', (err) => {
      opts.onError?.(err);
      c.removeListener('notification', onNotification);
      c.release(err);
      if (client === c) client = null;
      if (!closed) timer = setTimeout(retry, opts.reconnectDelayMs ?? 1000);
    });
    await c.query(`LISTEN ${INCIDENT_EVENTS_CHANNEL}`);
    client = c;
  };
  const retry = () => {
    timer = null;
    connect().catch((err: unknown) => {
      opts.onError?.(err);
      if (!closed) timer = setTimeout(retry, opts.reconnectDelayMs ?? 1000);
    });
  };
  await connect();
  return {
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = null;
      if (c) {
        c.removeListener('notification', onNotification);
        await c.query(`UNLISTEN ${INCIDENT_EVENTS_CHANNEL}`).catch(() => undefined);
        c.release();
      }
    },
  };
}

export interface FeedSubscription {
  /** Resume after this event id (SSE Last-Event-ID); null/undefined = only events from now on. */
  afterId?: number | null;
  /** Only incidents of these cameras (per-group access); null/undefined = all. */
  cameraIds?: readonly string[] | null;
  /** Called in id order, each event at most once. */
  onEvent: (e: IncidentEvent) => void;
}

interface FeedSubscriber {
  cursor: number;
  cameras: ReadonlySet<string> | null;
  onEvent: (e: IncidentEvent) => void;
  /** Events pumped while the subscriber was still catching up. */
  buffer: IncidentEvent[] | null;
}

export interface IncidentFeedOptions {
  /** Safety poll in case a NOTIFY is missed (listener reconnecting), ms. @default 5000 */
  pollIntervalMs?: number;
  /** Events read per query. @default 500 */
  batchSize?: number;
  onError?: (err: unknown) => void;
}

/**
 * One per API process: fans the incident event feed out to live clients (SSE/WebSocket). A single LISTEN
 * connection and a single reader per process, whatever the number of clients; every client gets the events after
 * its cursor in id order, gapless, without duplicates (catch-up from Postgres on subscribe, then live).
 */
export class IncidentFeed {
  private readonly subscribers = new Set<FeedSubscriber>();
  private head = 0;
  private listener: IncidentListener | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private dirty = false;
  private readonly pollIntervalMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly repo: IncidentRepository,
    private readonly pool: Pool,
    private readonly opts: IncidentFeedOptions = {},
  ) {
    this.pollIntervalMs = opts.pollIntervalMs ?? 5000;
    this.batchSize = opts.batchSize ?? 500;
  }

  /** Id of the newest event this process has fanned out. */
  get lastEventId(): number {
    return this.head;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  async start(): Promise<void> {
    this.head = await this.repo.lastEventId();
    this.listener = await listenIncidentEvents(this.pool, () => this.kick(), { onError: this.opts.onError });
    this.timer = setInterval(() => this.kick(), this.pollIntervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.listener?.close();
    this.listener = null;
    await this.pumping;
    this.subscribers.clear();
  }

  /**
   * Registers a client; resolves once every event committed before the call (after its cursor) has been delivered.
   * Call the returned function to leave.
   */
  async subscribe(sub: FeedSubscription): Promise<() => void> {
    // Registered first with a buffer so that nothing pumped meanwhile is missed; the cursor dedupes.
    const s: FeedSubscriber = {
      cursor: sub.afterId ?? Number.MAX_SAFE_INTEGER,
      cameras: sub.cameraIds ? new Set(sub.cameraIds) : null,
      onEvent: sub.onEvent,
      buffer: [],
    };
    this.subscribers.add(s);
    const unsubscribe = () => void this.subscribers.delete(s);
    try {
      const target = await this.repo.lastEventId();
      if (sub.afterId === undefined || sub.afterId === null) s.cursor = target;
      while (s.cursor < target && this.subscribers.has(s)) {
        const batch = await this.repo.listEventsAfter(s.cursor, this.batchSize, sub.cameraIds ?? null);
        for (const e of batch) this.deliver(s, e);
        if (batch.length < this.batchSize) break;
      }
      // The camera-filtered query skips other cameras' ids: everything up to target has been seen.
      if (s.cursor < target) s.cursor = target;
    } finally {
      const buffered = s.buffer ?? [];
      s.buffer = null;
      for (const e of buffered) this.deliver(s, e);
    }
    return unsubscribe;
  }

  private deliver(s: FeedSubscriber, e: IncidentEvent): void {
    if (e.id <= s.cursor) return;
    if (s.cameras && !s.cameras.has(e.incident.cameraId)) {
      s.cursor = e.id;
      return;
    }
    s.cursor = e.id;
    try {
      s.onEvent(e);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  private kick(): void {
    if (this.pumping) {
      this.dirty = true;
      return;
    }
    this.pumping = this.pump()
      .catch((err: unknown) => this.opts.onError?.(err))
      .finally(() => {
        this.pumping = null;
        if (this.dirty) {
          this.dirty = false;
          this.kick();
        }
      });
  }

  private async pump(): Promise<void> {
    for (;;) {
      const batch = await this.repo.listEventsAfter(this.head, this.batchSize);
      for (const e of batch) {
        this.head = e.id;
        for (const s of this.subscribers) {
          if (s.buffer) s.buffer.push(e);
          else this.deliver(s, e);
        }
      }
      if (batch.length < this.batchSize) return;
    }
  }
}
