import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { CameraStatus } from '../../pipeline/domain.types.js';
import type { AppDeps } from '../app.types.js';
import { ErrorResponseSchema, notFound } from '../errors.js';
import { presentCamera, presentStatus } from '../present.js';
import { CameraListQuery, CameraSchema, CameraStatusSchema } from '../schemas/cameras.schema.js';
import { IdParam } from '../schemas/common.schema.js';
import { mayAccessGroup } from '../access.js';

const IdParams = Type.Object({ id: IdParam }, { additionalProperties: false });

/** The newer of the live (Redis) and stored (Postgres) status; live wins ties. */
async function resolveStatus(deps: AppDeps, cameraId: string, stored: CameraStatus | null) {
  let live: CameraStatus | null = null;
  if (deps.liveStatus) {
    try {
      live = await deps.liveStatus(cameraId);
    } catch {
      // Redis down: the stored status is still worth showing.
      live = null;
    }
  }
  if (live && (!stored || live.updatedAt >= stored.updatedAt)) return presentStatus(live, 'live');
  return stored ? presentStatus(stored, 'stored') : null;
}

export function cameraRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/api/v1/cameras',
      {
        config: { permission: 'cameras:read' },
        schema: {
          tags: ['cameras'],
          summary: 'List cameras with their current status',
          querystring: CameraListQuery,
          response: { 200: Type.Object({ items: Type.Array(CameraSchema) }), 400: ErrorResponseSchema },
        },
      },
      async (req) => {
        const [cams, statuses] = await Promise.all([deps.cameras.list(), deps.cameras.listStatus()]);
        const stored = new Map(statuses.map((s) => [s.cameraId, s]));
        const wanted = cams.filter(
          (c) =>
            mayAccessGroup(req, c.group) &&
            (req.query.group === undefined || c.group === req.query.group) && (req.query.enabled === undefined || c.enabled === req.query.enabled),
        );
        const items = await Promise.all(wanted.map(async (c) => presentCamera(c, await resolveStatus(deps, c.id, stored.get(c.id) ?? null))));
        return { items };
      },
    );

    app.get(
      '/api/v1/cameras/:id',
      {
        config: { permission: 'cameras:read' },
        schema: {
          tags: ['cameras'],
          summary: 'One camera with its configuration and status',
          params: IdParams,
          response: { 200: CameraSchema, 404: ErrorResponseSchema },
        },
      },
      async (req) => {
        const cam = await deps.cameras.get(req.params.id);
        if (!cam || !mayAccessGroup(req, cam.group)) throw notFound(`camera ${req.params.id}`);
        return presentCamera(cam, await resolveStatus(deps, cam.id, await deps.cameras.getStatus(cam.id)));
      },
    );

    app.get(
      '/api/v1/cameras/:id/status',
      {
        config: { permission: 'cameras:read' },
        schema: {
          tags: ['cameras'],
          summary: 'Live status of a camera (online / reconnecting / failed with the reason, fps, drops, last frame)',
          params: IdParams,
          response: { 200: CameraStatusSchema, 404: ErrorResponseSchema },
        },
      },
      async (req) => {
        const [cam, stored] = await Promise.all([deps.cameras.get(req.params.id), deps.cameras.getStatus(req.params.id)]);
        if (!cam || !mayAccessGroup(req, cam.group)) throw notFound(`camera ${req.params.id}`);
        const status = await resolveStatus(deps, cam.id, stored);
        if (!status) throw notFound(`status of camera ${req.params.id} (not reported yet)`);
        return status;
      },
    );
  };
}
