/**
 * Line crossings, tracks and the count buckets derived from crossings. Writes are idempotent by construction:
 * a crossing's id is deterministic and the count buckets only move when its row is inserted for the first time,
 * in the same statement, so a retried or duplicated job never counts twice.
 */
import type { Box, Direction, LineCrossing, ObjectClass, TrackSummary } from '../../pipeline/domain.types.js';
import type { Pool } from '../postgres/database.js';
import { clampLimit, decodeCursor, encodeCursor, type Page } from './pagination.js';

export type CountBucket = '1m' | '15m' | '1h' | '1d';
export const COUNT_BUCKETS: readonly CountBucket[] = ['1m', '15m', '1h', '1d'];

const MINUTE_MS = 60_000;
const QUARTER_MS = 15 * MINUTE_MS;

export interface CountQuery {
  cameraId?: string;
  /** Only these cameras (access scoping); an empty list matches nothing. */
  cameraIds?: readonly string[];
  lineId?: string;
  cls?: ObjectClass;
  direction?: Direction;
  /** Inclusive start, epoch ms: buckets starting at or after it. */
  from: number;
  /** Exclusive end, epoch ms: buckets starting before it. */
  to: number;
  /** 1m and 15m read their own tables; 1h and 1d are summed from 15m buckets. */
  bucket: CountBucket;
  /** IANA time zone in which hours and days start (1h, 1d). @default 'UTC' */
  timeZone?: string;
  /** At most this many rows. @default 10000 */
  maxRows?: number;
}

export interface CountRow {
  /** Bucket start, epoch ms. */
  bucketStart: number;
  cameraId: string;
  lineId: string;
  cls: ObjectClass;
  direction: Direction;
  count: number;
}

export interface CountResult {
  rows: CountRow[];
  /** True when more rows matched than `maxRows`. */
  truncated: boolean;
}

export interface StoredCrossing {
  id: string;
  cameraId: string;
  lineId: string;
  trackId: string;
  cls: ObjectClass;
  direction: Direction;
  /** Capture time of the confirming frame, epoch ms. */
  at: number;
  frameEpoch: string;
  frameSeq: number;
  box: Box;
  snapshotKey: string | null;
}

export interface StoredTrack {
  id: string;
  cameraId: string;
  cls: ObjectClass;
  firstSeenAt: number;
  lastSeenAt: number;
  frames: number;
  path: Array<{ t: number; x: number; y: number }>;
  ended: boolean;
}

export interface CrossingQuery {
  cameraId?: string;
  /** Only these cameras (access scoping); an empty list matches nothing. */
  cameraIds?: readonly string[];
  lineId?: string;
  trackId?: string;
  cls?: ObjectClass;
  direction?: Direction;
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
  /** Page size, 1..500. @default 50 */
  limit?: number;
  cursor?: string;
}

export interface TrackQuery {
  cameraId?: string;
  /** Only these cameras (access scoping); an empty list matches nothing. */
  cameraIds?: readonly string[];
  cls?: ObjectClass;
  /** Tracks still seen at or after this time, epoch ms. */
  from?: number;
  /** Tracks first seen before this time, epoch ms. */
  to?: number;
  /** Page size, 1..500. @default 50 */
  limit?: number;
  cursor?: string;
}

/** Start of the UTC-aligned bucket holding `ms`. */
export function bucketStartMs(ms: number, bucket: '1m' | '15m'): number {
  const size = bucket === '1m' ? MINUTE_MS : QUARTER_MS;
  return Math.floor(ms / size) * size;
}

interface CrossingRow {
  id: string;
  camera_id: string;
  line_id: string;
  track_id: string;
  class: ObjectClass;
  direction: Direction;
  at: Date;
  frame_epoch: string;
  frame_seq: string;
  box: Box;
  snapshot_key: string | null;
}

interface TrackRow {
  id: string;
  camera_id: string;
  class: ObjectClass;
  first_seen_at: Date;
  last_seen_at: Date;
  frames: number;
  path: StoredTrack['path'];
  ended: boolean;
}

const CROSSING_COLUMNS = 'id, camera_id, line_id, track_id, class, direction, at, frame_epoch, frame_seq, box, snapshot_key';
const TRACK_COLUMNS = 'id, camera_id, class, first_seen_at, last_seen_at, frames, path, ended';

function toCrossing(r: CrossingRow): StoredCrossing {
  return {
    id: r.id,
    cameraId: r.camera_id,
    lineId: r.line_id,
    trackId: r.track_id,
    cls: r.class,
    direction: r.direction,
    at: r.at.getTime(),
    frameEpoch: r.frame_epoch,
    frameSeq: Number(r.frame_seq),
    box: r.box,
    snapshotKey: r.snapshot_key,
  };
}

function toTrack(r: TrackRow): StoredTrack {
  return {
    id: r.id,
    cameraId: r.camera_id,
    cls: r.class,
    firstSeenAt: r.first_seen_at.getTime(),
    lastSeenAt: r.last_seen_at.getTime(),
    frames: r.frames,
    path: r.path,
    ended: r.ended,
  };
}

/** Builds "a = $n AND ..." with numbered parameters. */
class Where {
  readonly parts: string[] = [];
  readonly params: unknown[] = [];
  add(sqlWithPlaceholder: (p: string) => string, value: unknown): this {
    this.params.push(value);
    this.parts.push(sqlWithPlaceholder(`$${this.params.length}`));
    return this;
  }
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
  sql(): string {
    return this.parts.length ? `WHERE ${this.parts.join(' AND ')}` : '';
  }
}

export class AnalyticsRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Stores a crossing once. Returns true when this call inserted it (and so incremented the 1-minute and
   * 15-minute buckets), false when the id was already stored. One statement, hence one transaction.
   */
  async recordCrossing(c: LineCrossing, snapshotKey: string | null): Promise<boolean> {
    const at = c.frame.capturedAt;
    const { rows } = await this.pool.query<{ inserted: string }>(
      `WITH ins AS (
         INSERT INTO line_crossings (id, camera_id, line_id, track_id, class, direction, at, frame_epoch, frame_seq, box, snapshot_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO NOTHING
         RETURNING camera_id, line_id, class, direction
       ), c1 AS (
         INSERT INTO counts_1m (camera_id, line_id, class, direction, bucket_start, count)
         SELECT camera_id, line_id, class, direction, $12, 1 FROM ins
         ON CONFLICT (camera_id, line_id, bucket_start, class, direction) DO UPDATE SET count = counts_1m.count + 1
         RETURNING 1
       ), c15 AS (
         INSERT INTO counts_15m (camera_id, line_id, class, direction, bucket_start, count)
         SELECT camera_id, line_id, class, direction, $13, 1 FROM ins
         ON CONFLICT (camera_id, line_id, bucket_start, class, direction) DO UPDATE SET count = counts_15m.count + 1
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM ins) AS inserted, (SELECT count(*) FROM c1) AS c1, (SELECT count(*) FROM c15) AS c15`,
      [
        c.id,
        c.cameraId,
        c.lineId,
        c.trackId,
        c.cls,
        c.direction,
        new Date(at),
        c.frame.epoch,
        c.frame.seq,
        JSON.stringify(c.box),
        snapshotKey,
        new Date(bucketStartMs(at, '1m')),
        new Date(bucketStartMs(at, '15m')),
      ],
    );
    return Number(rows[0]?.inserted ?? 0) > 0;
  }

  /** Sets (or replaces) the snapshot of a stored crossing, for snapshots written after the crossing. */
  async setCrossingSnapshot(crossingId: string, snapshotKey: string): Promise<boolean> {
    const res = await this.pool.query('UPDATE line_crossings SET snapshot_key = $2 WHERE id = $1', [crossingId, snapshotKey]);
    return (res.rowCount ?? 0) > 0;
  }

  /**
   * Inserts or merges track summaries in one statement. Merging keeps the earliest first-seen, the latest
   * last-seen and the most frames, and takes the path and class of the most recent report, so summaries may be
   * written repeatedly while a track lives and again when it ends, in any order.
   */
  async upsertTracks(tracks: readonly TrackSummary[]): Promise<void> {
    if (!tracks.length) return;
    const byId = new Map<string, TrackSummary>();
    for (const t of tracks) {
      const prev = byId.get(t.trackId);
      if (!prev || t.lastSeenAt >= prev.lastSeenAt) byId.set(t.trackId, { ...t, ended: t.ended || (prev?.ended ?? false) });
    }
    const rows = [...byId.values()].map((t) => ({
      id: t.trackId,
      camera_id: t.cameraId,
      class: t.cls,
      first_seen_at: new Date(t.firstSeenAt).toISOString(),
      last_seen_at: new Date(t.lastSeenAt).toISOString(),
      frames: t.frames,
      path: t.path,
      ended: t.ended,
    }));
    await this.pool.query(
      `INSERT INTO tracks (id, camera_id, class, first_seen_at, last_seen_at, frames, path, ended)
       SELECT x.id, x.camera_id, x.class, x.first_seen_at, x.last_seen_at, x.frames, x.path, x.ended
         FROM jsonb_to_recordset($1::jsonb)
           AS x(id text, camera_id text, class text, first_seen_at timestamptz, last_seen_at timestamptz, frames integer, path jsonb, ended boolean)
       ON CONFLICT (id) DO UPDATE SET
         first_seen_at = LEAST(tracks.first_seen_at, EXCLUDED.first_seen_at),
         last_seen_at = GREATEST(tracks.last_seen_at, EXCLUDED.last_seen_at),
         frames = GREATEST(tracks.frames, EXCLUDED.frames),
         path = CASE WHEN EXCLUDED.last_seen_at >= tracks.last_seen_at THEN EXCLUDED.path ELSE tracks.path END,
         class = CASE WHEN EXCLUDED.last_seen_at >= tracks.last_seen_at THEN EXCLUDED.class ELSE tracks.class END,
         ended = tracks.ended OR EXCLUDED.ended`,
      [JSON.stringify(rows)],
    );
  }

  /** Counts per bucket × camera × line × class × direction, oldest bucket first. */
  async counts(q: CountQuery): Promise<CountResult> {
    const maxRows = q.maxRows ?? 10_000;
    const w = new Where();
    w.add((p) => `bucket_start >= ${p}`, new Date(q.from));
    w.add((p) => `bucket_start < ${p}`, new Date(q.to));
    if (q.cameraId !== undefined) w.add((p) => `camera_id = ${p}`, q.cameraId);
    if (q.cameraIds !== undefined) w.add((p) => `camera_id = ANY(${p}::text[])`, q.cameraIds);
    if (q.lineId !== undefined) w.add((p) => `line_id = ${p}`, q.lineId);
    if (q.cls !== undefined) w.add((p) => `class = ${p}`, q.cls);
    if (q.direction !== undefined) w.add((p) => `direction = ${p}`, q.direction);
    let table: string;
    let bucketExpr: string;
    switch (q.bucket) {
      case '1m':
        table = 'counts_1m';
        bucketExpr = 'bucket_start';
        break;
      case '15m':
        table = 'counts_15m';
        bucketExpr = 'bucket_start';
        break;
      case '1h':
      case '1d': {
        table = 'counts_15m';
        const tz = w.param(q.timeZone ?? 'UTC');
        bucketExpr = `date_trunc('${q.bucket === '1h' ? 'hour' : 'day'}', bucket_start, ${tz}::text)`;
        break;
      }
    }
    const limit = w.param(maxRows + 1);
    const { rows } = await this.pool.query<{
      bucket_start: Date;
      camera_id: string;
      line_id: string;
      class: ObjectClass;
      direction: Direction;
      count: string;
    }>(
      `SELECT ${bucketExpr} AS bucket_start, camera_id, line_id, class, direction, SUM(count)::bigint AS count
         FROM ${table} ${w.sql()}
        GROUP BY 1, 2, 3, 4, 5
        ORDER BY 1, 2, 3, 4, 5
        LIMIT ${limit}`,
      w.params,
    );
    const truncated = rows.length > maxRows;
    return {
      truncated,
      rows: rows.slice(0, maxRows).map((r) => ({
        bucketStart: r.bucket_start.getTime(),
        cameraId: r.camera_id,
        lineId: r.line_id,
        cls: r.class,
        direction: r.direction,
        count: Number(r.count),
      })),
    };
  }

  /** Crossings, newest first, keyset-paged by (at, id). */
  async listCrossings(q: CrossingQuery): Promise<Page<StoredCrossing>> {
    const limit = clampLimit(q.limit);
    const w = new Where();
    if (q.cameraId !== undefined) w.add((p) => `camera_id = ${p}`, q.cameraId);
    if (q.cameraIds !== undefined) w.add((p) => `camera_id = ANY(${p}::text[])`, q.cameraIds);
    if (q.lineId !== undefined) w.add((p) => `line_id = ${p}`, q.lineId);
    if (q.trackId !== undefined) w.add((p) => `track_id = ${p}`, q.trackId);
    if (q.cls !== undefined) w.add((p) => `class = ${p}`, q.cls);
    if (q.direction !== undefined) w.add((p) => `direction = ${p}`, q.direction);
    if (q.from !== undefined) w.add((p) => `at >= ${p}`, new Date(q.from));
    if (q.to !== undefined) w.add((p) => `at < ${p}`, new Date(q.to));
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      const t = w.param(new Date(c.t));
      w.add((p) => `(at, id) < (${t}, ${p})`, c.id);
    }
    const lim = w.param(limit + 1);
    const { rows } = await this.pool.query<CrossingRow>(
      `SELECT ${CROSSING_COLUMNS} FROM line_crossings ${w.sql()} ORDER BY at DESC, id DESC LIMIT ${lim}`,
      w.params,
    );
    const items = rows.slice(0, limit).map(toCrossing);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ t: last.at, id: last.id }) : null };
  }

  async getCrossing(id: string): Promise<StoredCrossing | null> {
    const { rows } = await this.pool.query<CrossingRow>(`SELECT ${CROSSING_COLUMNS} FROM line_crossings WHERE id = $1`, [id]);
    return rows[0] ? toCrossing(rows[0]) : null;
  }

  /** The most recent crossing of each camera (optionally of the given cameras). */
  async latestCrossingPerCamera(cameraIds?: readonly string[]): Promise<StoredCrossing[]> {
    const w = new Where();
    if (cameraIds) w.add((p) => `camera_id = ANY(${p}::text[])`, cameraIds);
    const { rows } = await this.pool.query<CrossingRow>(
      `SELECT DISTINCT ON (camera_id) ${CROSSING_COLUMNS} FROM line_crossings ${w.sql()} ORDER BY camera_id, at DESC, id DESC`,
      w.params,
    );
    return rows.map(toCrossing);
  }

  /** Tracks overlapping [from, to), most recently born first, keyset-paged by (first_seen_at, id). */
  async listTracks(q: TrackQuery): Promise<Page<StoredTrack>> {
    const limit = clampLimit(q.limit);
    const w = new Where();
    if (q.cameraId !== undefined) w.add((p) => `camera_id = ${p}`, q.cameraId);
    if (q.cameraIds !== undefined) w.add((p) => `camera_id = ANY(${p}::text[])`, q.cameraIds);
    if (q.cls !== undefined) w.add((p) => `class = ${p}`, q.cls);
    if (q.from !== undefined) w.add((p) => `last_seen_at >= ${p}`, new Date(q.from));
    if (q.to !== undefined) w.add((p) => `first_seen_at < ${p}`, new Date(q.to));
    if (q.cursor !== undefined) {
      const c = decodeCursor(q.cursor);
      const t = w.param(new Date(c.t));
      w.add((p) => `(first_seen_at, id) < (${t}, ${p})`, c.id);
    }
    const lim = w.param(limit + 1);
    const { rows } = await this.pool.query<TrackRow>(
      `SELECT ${TRACK_COLUMNS} FROM tracks ${w.sql()} ORDER BY first_seen_at DESC, id DESC LIMIT ${lim}`,
      w.params,
    );
    const items = rows.slice(0, limit).map(toTrack);
    const last = items.at(-1);
    return { items, nextCursor: rows.length > limit && last ? encodeCursor({ t: last.firstSeenAt, id: last.id }) : null };
  }

  async getTrack(id: string): Promise<StoredTrack | null> {
    const { rows } = await this.pool.query<TrackRow>(`SELECT ${TRACK_COLUMNS} FROM tracks WHERE id = $1`, [id]);
    return rows[0] ? toTrack(rows[0]) : null;
  }

  /** Round trip to the database, for health checks. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }
}
