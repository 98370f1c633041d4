/** Counts, crossings (with their snapshots) and tracks. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AppDeps } from '../app.types.js';
import { ApiError, ErrorResponseSchema, notFound } from '../errors.js';
import { iso, presentCrossing, presentTrack } from '../present.js';
import { CountsQuery, CountsResponse, CrossingSchema, CrossingsQuery, CrossingsResponse, TrackSchema, TracksQuery, TracksResponse } from '../schemas/analytics.schema.js';
import { RecordIdParam } from '../schemas/common.schema.js';
import { assertCameraVisible, visibleCameraIds } from '../access.js';

const DAY_MS = 86_400_000;
const RecordParams = Type.Object({ id: RecordIdParam }, { additionalProperties: false });
const errors = { 400: ErrorResponseSchema, 404: ErrorResponseSchema };

/** ISO text (already format-checked by the schema) → epoch ms; a calendar-impossible date is a 400. */
function parseTime(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new ApiError('IOCV_VALIDATION', `querystring.${name} is not a valid time`, [{ in: 'querystring', path: `/${name}`, message: 'invalid time' }]);
  return ms;
}

function checkRange(from: number | undefined, to: number | undefined): void {
  if (from !== undefined && to !== undefined && from >= to) throw new ApiError('IOCV_BAD_REQUEST', '`from` must be before `to`');
}

function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new ApiError('IOCV_VALIDATION', `unknown time zone "${tz}"`, [{ in: 'querystring', path: '/timeZone', message: 'unknown IANA time zone' }]);
  }
}

export function analyticsRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  /** The camera filter for a list query: the asked camera (if visible) or every visible camera. */
  const scope = async (req: FastifyRequest, cameraId: string | undefined): Promise<{ cameraId?: string; cameraIds?: string[] }> => {
    if (cameraId !== undefined) {
      await assertCameraVisible(deps, req, cameraId);
      return { cameraId };
    }
    const ids = await visibleCameraIds(deps, req);
    return ids === null ? {} : { cameraIds: ids };
  };
  return async (app) => {
    app.get(
      '/api/v1/counts',
      {
        config: { permission: 'counts:read' },
        schema: {
          tags: ['analytics'],
          summary: 'Line-crossing counts per bucket × camera × line × class × direction',
          description: 'Buckets start in [from, to). 1m and 15m are stored; 1h and 1d are summed from 15-minute buckets in `timeZone`.',
          querystring: CountsQuery,
          response: { 200: CountsResponse, 400: ErrorResponseSchema },
        },
      },
      async (req) => {
        const q = req.query;
        const to = parseTime('to', q.to) ?? Date.now();
        const from = parseTime('from', q.from) ?? to - DAY_MS;
        checkRange(from, to);
        const bucket = q.bucket ?? '15m';
        const timeZone = q.timeZone ?? 'UTC';
        checkTimeZone(timeZone);
        let res;
        try {
          res = await deps.analytics.counts({ ...(await scope(req, q.cameraId)), lineId: q.lineId, cls: q.class, direction: q.direction, from, to, bucket, timeZone });
        } catch (err) {
          // A zone ICU knows but this PostgreSQL does not (22023 invalid_parameter_value).
          if ((err as { code?: string }).code === '22023') throw new ApiError('IOCV_VALIDATION', `time zone "${timeZone}" is not known to the database`);
          throw err;
        }
        return {
          bucket,
          timeZone,
          from: iso(from),
          to: iso(to),
          total: res.rows.reduce((a, r) => a + r.count, 0),
          truncated: res.truncated,
          rows: res.rows.map((r) => ({ bucketStart: iso(r.bucketStart), cameraId: r.cameraId, lineId: r.lineId, class: r.cls, direction: r.direction, count: r.count })),
        };
      },
    );

    app.get(
      '/api/v1/crossings',
      {
        config: { permission: 'tracks:read' },
        schema: {
          tags: ['analytics'],
          summary: 'Line crossings, newest first, paged with a cursor',
          querystring: CrossingsQuery,
          response: { 200: CrossingsResponse, 400: ErrorResponseSchema },
        },
      },
      async (req) => {
        const q = req.query;
        const from = parseTime('from', q.from);
        const to = parseTime('to', q.to);
        checkRange(from, to);
        const page = await deps.analytics.listCrossings({
          ...(await scope(req, q.cameraId)),
          lineId: q.lineId,
          trackId: q.trackId,
          cls: q.class,
          direction: q.direction,
          from,
          to,
          limit: q.limit,
          cursor: q.cursor,
        });
        return { items: page.items.map(presentCrossing), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/api/v1/crossings/:id',
      { config: { permission: 'tracks:read' }, schema: { tags: ['analytics'], summary: 'One line crossing', params: RecordParams, response: { 200: CrossingSchema, ...errors } } },
      async (req) => {
        const c = await deps.analytics.getCrossing(req.params.id);
        if (!c) throw notFound(`crossing ${req.params.id}`);
        await assertCameraVisible(deps, req, c.cameraId, `crossing ${req.params.id}`);
        return presentCrossing(c);
      },
    );

    app.get(
      '/api/v1/crossings/:id/snapshot',
      {
        config: { permission: 'snapshots:read' },
        schema: {
          tags: ['analytics'],
          summary: 'JPEG of the frame that confirmed the crossing, boxes drawn',
          params: RecordParams,
          produces: ['image/jpeg'],
          response: { 200: { description: 'the JPEG bytes', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } }, ...errors },
        },
      },
      async (req, reply) => {
        const c = await deps.analytics.getCrossing(req.params.id);
        if (!c) throw notFound(`crossing ${req.params.id}`);
        await assertCameraVisible(deps, req, c.cameraId, `crossing ${req.params.id}`);
        if (!c.snapshotKey) throw notFound(`snapshot of crossing ${req.params.id}`);
        const [st, body] = await Promise.all([deps.objects.stat(c.snapshotKey), deps.objects.get(c.snapshotKey)]);
        if (!body) throw notFound(`snapshot of crossing ${req.params.id}`);
        // The typed reply only knows the JSON error bodies; the image goes out through the untyped one.
        return (reply as unknown as FastifyReply)
          .type(st?.contentType ?? 'image/jpeg')
          .header('cache-control', 'private, max-age=3600')
          .header('x-content-type-options', 'nosniff')
          .send(body);
      },
    );

    app.get(
      '/api/v1/tracks',
      {
        config: { permission: 'tracks:read' },
        schema: {
          tags: ['analytics'],
          summary: 'Tracks alive at some time in [from, to), most recently born first, paged with a cursor',
          querystring: TracksQuery,
          response: { 200: TracksResponse, 400: ErrorResponseSchema },
        },
      },
      async (req) => {
        const q = req.query;
        const from = parseTime('from', q.from);
        const to = parseTime('to', q.to);
        checkRange(from, to);
        const page = await deps.analytics.listTracks({ ...(await scope(req, q.cameraId)), cls: q.class, from, to, limit: q.limit, cursor: q.cursor });
        return { items: page.items.map((t) => presentTrack(t, q.includePath ?? false)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/api/v1/tracks/:id',
      { config: { permission: 'tracks:read' }, schema: { tags: ['analytics'], summary: 'One track with its path', params: RecordParams, response: { 200: TrackSchema, ...errors } } },
      async (req) => {
        const t = await deps.analytics.getTrack(req.params.id);
        if (!t) throw notFound(`track ${req.params.id}`);
        await assertCameraVisible(deps, req, t.cameraId, `track ${req.params.id}`);
        return presentTrack(t, true);
      },
    );
  };
}
