/**
 * Incidents: list (keyset-paged), one, acknowledge / resolve (by the authenticated caller), snapshot, and a live
 * Server-Sent Events feed that resumes from the last event id after a reconnect (Last-Event-ID).
 */
import type http from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Incident } from '../../pipeline/incidents/incident.types.js';
import { clampLimit, decodeCursor, encodeCursor } from '../../storage/repositories/pagination.js';
import { assertCameraVisible, visibleCameraIds } from '../access.js';
import type { AppDeps, IncidentReader } from '../app.types.js';
import type { Principal } from '../auth/principal.js';
import { actorLabel } from '../auth/principal.js';
import { ApiError, ErrorResponseSchema, notFound } from '../errors.js';
import { iso, isoOrNull } from '../present.js';
import {
  INCIDENT_STATE_VALUES,
  INCIDENT_TYPE_VALUES,
  IncidentActionBody,
  IncidentSchema,
  IncidentsQuery,
  IncidentsResponse,
  IncidentStreamQuery,
} from '../schemas/incidents.schema.js';
import { RecordIdParam } from '../schemas/common.schema.js';

const Params = Type.Object({ id: RecordIdParam }, { additionalProperties: false });
/** Comment line that keeps proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;
const STREAM_BATCH = 200;

export function presentIncident(i: Incident) {
  return {
    id: i.id,
    type: i.type,
    severity: i.severity,
    cameraId: i.cameraId,
    zoneId: i.zoneId,
    openedAt: iso(i.openedAt),
    lastSeenAt: iso(i.lastSeenAt),
    state: i.state,
    acknowledgedBy: i.acknowledgedBy,
    acknowledgedAt: isoOrNull(i.acknowledgedAt),
    resolvedBy: i.resolvedBy,
    resolvedAt: isoOrNull(i.resolvedAt),
    note: i.note,
    occurrences: i.occurrences,
    details: i.details,
    snapshotUrl: i.snapshotKey ? `/api/v1/incidents/${encodeURIComponent(i.id)}/snapshot` : null,
  };
}

function splitList<T extends string>(name: string, values: readonly T[], raw: string[] | undefined): T[] | undefined {
  if (!raw) return undefined;
  const out = raw.flatMap((r) => r.split(','));
  for (const v of out) {
    if (!(values as readonly string[]).includes(v)) {
      throw new ApiError('IOCV_VALIDATION', `querystring.${name} must be one of ${values.join(', ')}`, [{ in: 'querystring', path: `/${name}`, message: `unknown value "${v}"` }]);
    }
  }
  return out as T[];
}

function actor(req: FastifyRequest): string {
  const p = (req as unknown as { principal?: Principal | null }).principal;
  return p ? actorLabel(p) : 'anonymous';
}

function time(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new ApiError('IOCV_VALIDATION', `querystring.${name} is not a valid time`);
  return ms;
}

export function incidentRoutes(deps: AppDeps & { incidents: IncidentReader }): FastifyPluginAsyncTypebox {
  const incidents = deps.incidents;
  const visibleIncident = async (req: FastifyRequest, id: string): Promise<Incident> => {
    const inc = await incidents.get(id);
    if (!inc) throw notFound(`incident ${id}`);
    await assertCameraVisible(deps, req, inc.cameraId, `incident ${id}`);
    return inc;
  };

  return async (app) => {
    // Open streams would hold the server open forever on shutdown: end them first.
    const streams = new Set<http.ServerResponse>();
    app.addHook('preClose', async () => {
      for (const res of streams) res.end();
    });

    app.get(
      '/api/v1/incidents',
      {
        config: { permission: 'incidents:read' },
        schema: { tags: ['incidents'], summary: 'Incidents, newest first, paged with a cursor', querystring: IncidentsQuery, response: { 200: IncidentsResponse, 400: ErrorResponseSchema, 404: ErrorResponseSchema } },
      },
      async (req) => {
        const q = req.query;
        const limit = clampLimit(q.limit);
        let cameraIds: string[] | null;
        if (q.cameraId !== undefined) {
          await assertCameraVisible(deps, req, q.cameraId);
          cameraIds = [q.cameraId];
        } else cameraIds = await visibleCameraIds(deps, req);
        const since = time('from', q.from);
        const until = time('to', q.to);
        if (since !== undefined && until !== undefined && since >= until) throw new ApiError('IOCV_BAD_REQUEST', '`from` must be before `to`');
        const c = q.cursor !== undefined ? decodeCursor(q.cursor) : undefined;
        const rows = await incidents.list({
          cameraIds,
          states: splitList('state', INCIDENT_STATE_VALUES, q.state),
          types: splitList('type', INCIDENT_TYPE_VALUES, q.type),
          since,
          until,
          before: c ? { openedAt: c.t, id: c.id } : undefined,
          limit: limit + 1,
        });
        const items = rows.slice(0, limit);
        const last = items.at(-1);
        return { items: items.map(presentIncident), nextCursor: rows.length > limit && last ? encodeCursor({ t: last.openedAt, id: last.id }) : null };
      },
    );

    app.get(
      '/api/v1/incidents/stream',
      {
        config: { permission: 'incidents:read', allowQueryToken: true },
        schema: {
          tags: ['incidents'],
          summary: 'Live incident events (Server-Sent Events): `event: incident`, `id:` = event id; reconnecting clients resume after Last-Event-ID',
          querystring: IncidentStreamQuery,
          produces: ['text/event-stream'],
          response: { 200: { description: 'an endless text/event-stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, 404: ErrorResponseSchema },
        },
      },
      async (req, reply) => {
        const q = req.query;
        let cameraIds: string[] | null;
        if (q.cameraId !== undefined) {
          await assertCameraVisible(deps, req, q.cameraId);
          cameraIds = [q.cameraId];
        } else cameraIds = await visibleCameraIds(deps, req);
        const header = req.headers['last-event-id'];
        const fromHeader = typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : undefined;
        const start = q.lastEventId ?? fromHeader ?? (await incidents.lastEventId());
        await streamEvents(reply, req, deps, incidents, cameraIds, start, streams);
      },
    );

    app.get(
      '/api/v1/incidents/:id',
      { config: { permission: 'incidents:read' }, schema: { tags: ['incidents'], summary: 'One incident', params: Params, response: { 200: IncidentSchema, 404: ErrorResponseSchema } } },
      async (req) => presentIncident(await visibleIncident(req, req.params.id)),
    );

    for (const action of ['acknowledge', 'resolve'] as const) {
      app.post(
        `/api/v1/incidents/:id/${action}`,
        {
          config: { permission: 'incidents:ack', audit: `incident.${action}` },
          schema: {
            tags: ['incidents'],
            summary: action === 'acknowledge' ? 'Acknowledge an open incident' : 'Resolve an incident (from open or acknowledged)',
            params: Params,
            body: IncidentActionBody,
            response: { 200: IncidentSchema, 400: ErrorResponseSchema, 404: ErrorResponseSchema, 409: ErrorResponseSchema },
          },
        },
        async (req) => {
          await visibleIncident(req, req.params.id);
          const note = req.body?.note ?? null;
          try {
            const inc = action === 'acknowledge' ? await incidents.acknowledge(req.params.id, actor(req), note) : await incidents.resolve(req.params.id, actor(req), note);
            return presentIncident(inc);
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (code === 'IOCV_INCIDENT_STATE') throw new ApiError('IOCV_CONFLICT', (err as Error).message);
            if (code === 'IOCV_INCIDENT_NOT_FOUND') throw notFound(`incident ${req.params.id}`);
            throw err;
          }
        },
      );
    }

    app.get(
      '/api/v1/incidents/:id/snapshot',
      {
        config: { permission: 'snapshots:read' },
        schema: {
          tags: ['incidents'],
          summary: 'JPEG of the incident',
          params: Params,
          produces: ['image/jpeg'],
          response: { 200: { description: 'the JPEG bytes', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } }, 404: ErrorResponseSchema },
        },
      },
      async (req, reply) => {
        const inc = await visibleIncident(req, req.params.id);
        const body = inc.snapshotKey ? await deps.objects.get(inc.snapshotKey) : null;
        if (!body) throw notFound(`snapshot of incident ${req.params.id}`);
        return (reply as unknown as FastifyReply).type('image/jpeg').header('cache-control', 'private, max-age=3600').header('x-content-type-options', 'nosniff').send(body);
      },
    );
  };
}

/**
 * Writes every event after `cursor` (in id order), then waits for notices and repeats, until the client goes.
 * One pump at a time per client; a notice during a pump schedules one more pass, so nothing is skipped.
 */
async function streamEvents(
  reply: FastifyReply,
  req: FastifyRequest,
  deps: AppDeps,
  incidents: IncidentReader,
  cameraIds: string[] | null,
  start: number,
  streams: Set<http.ServerResponse>,
): Promise<void> {
  let cursor = start;
  reply.hijack();
  const res = reply.raw;
  streams.add(res);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Tell the client where it starts and how soon to come back after a drop.
  res.write(`retry: 2000\n: resume after ${cursor}\n\n`);
  let closed = false;
  let running = false;
  let again = false;
  const pump = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        for (;;) {
          const events = await incidents.listEventsAfter(cursor, STREAM_BATCH, cameraIds);
          if (closed) return;
          for (const e of events) {
            res.write(`id: ${e.id}\nevent: incident\ndata: ${JSON.stringify({ eventId: e.id, kind: e.kind, at: iso(e.at), incident: presentIncident(e.incident) })}\n\n`);
            cursor = e.id;
          }
          if (events.length < STREAM_BATCH) break;
        }
      } while (again && !closed);
    } catch (err) {
      req.log.warn({ err }, 'incident stream failed');
      res.end();
    } finally {
      running = false;
    }
  };
  const kick = () => void pump();
  const unsubscribe = deps.incidentFeed?.subscribe(kick) ?? (() => undefined);
  // Without a feed (no LISTEN connection) the stream still works by polling.
  const poll = deps.incidentFeed ? null : setInterval(kick, 2000);
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  const done = new Promise<void>((resolve) => {
    const finish = () => {
      if (closed) return;
      closed = true;
      streams.delete(res);
      unsubscribe();
      clearInterval(heartbeat);
      if (poll) clearInterval(poll);
      resolve();
    };
    res.on('close', finish);
    res.on('error', finish);
  });
  await pump();
  await done;
}
