import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { ConfigError, parseCameraConfig } from '../../pipeline/config/camera-config.js';
import { CameraSchema as CameraInputSchema, type CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { CameraRecord } from '../../storage/repositories/camera.repository.js';
import type { AppDeps } from '../app.types.js';
import { ApiError, ErrorResponseSchema, notFound } from '../errors.js';
import { presentCamera, redactUrl } from '../present.js';
import { CameraListQuery, CameraSchema, CameraStatusSchema } from '../schemas/cameras.schema.js';
import { IdParam } from '../schemas/common.schema.js';
import { mayAccessGroup } from '../access.js';
import { resolveStatus } from '../camera-status.js';

const IdParams = Type.Object({ id: IdParam }, { additionalProperties: false });

/** Validates a camera body semantically (duplicate line ids, URL scheme, ...) with defaults applied. */
function parseBody(body: unknown, existing: CameraRecord | null): CameraConfig {
  let cam: CameraConfig;
  try {
    cam = parseCameraConfig(body, 'body');
  } catch (err) {
    if (err instanceof ConfigError) throw new ApiError('IOCV_VALIDATION', err.issues.map((i) => `${i.path}: ${i.message}`).join('; '), err.issues.map((i) => ({ in: 'body', path: i.path, message: i.message })));
    throw err;
  }
  // A client editing what GET returned sends the masked URL back: keep the stored credentials.
  if (existing && cam.url === redactUrl(existing.url)) cam.url = existing.url;
  return cam;
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

    app.post(
      '/api/v1/cameras',
      {
        config: { permission: 'cameras:write' },
        schema: {
          tags: ['cameras'],
          summary: 'Add a camera (ingest picks it up within seconds, no restart)',
          body: CameraInputSchema,
          response: { 201: CameraSchema, 400: ErrorResponseSchema, 409: ErrorResponseSchema },
        },
      },
      async (req, reply) => {
        const cam = parseBody(req.body, null);
        if (!mayAccessGroup(req, cam.group)) throw new ApiError('IOCV_FORBIDDEN', `camera group ${cam.group ?? '(none)'} is outside your groups`);
        if (!(await deps.cameras.insert(cam))) throw new ApiError('IOCV_CONFLICT', `camera ${cam.id} already exists`);
        const stored = await deps.cameras.get(cam.id);
        return reply.status(201).send(presentCamera(stored!, null));
      },
    );

    app.put(
      '/api/v1/cameras/:id',
      {
        config: { permission: 'cameras:write' },
        schema: {
          tags: ['cameras'],
          summary: 'Create or replace a camera, lines and zones included (ingest applies it within seconds)',
          params: IdParams,
          body: CameraInputSchema,
          response: { 200: CameraSchema, 201: CameraSchema, 400: ErrorResponseSchema, 404: ErrorResponseSchema },
        },
      },
      async (req, reply) => {
        if (req.body.id !== req.params.id) throw new ApiError('IOCV_BAD_REQUEST', `body id "${req.body.id}" differs from the path id "${req.params.id}"`);
        const existing = await deps.cameras.get(req.params.id);
        if (existing && !mayAccessGroup(req, existing.group)) throw notFound(`camera ${req.params.id}`);
        const cam = parseBody(req.body, existing);
        if (!mayAccessGroup(req, cam.group)) throw new ApiError('IOCV_FORBIDDEN', `camera group ${cam.group ?? '(none)'} is outside your groups`);
        await deps.cameras.upsertMany([cam]);
        const stored = await deps.cameras.get(cam.id);
        const status = await resolveStatus(deps, cam.id, await deps.cameras.getStatus(cam.id));
        return reply.status(existing ? 200 : 201).send(presentCamera(stored!, status));
      },
    );

    app.delete(
      '/api/v1/cameras/:id',
      {
        config: { permission: 'cameras:write' },
        schema: {
          tags: ['cameras'],
          summary: 'Remove a camera (ingest stops it within seconds); its counts and crossings stay',
          params: IdParams,
          response: { 204: Type.Null({ description: 'removed' }), 404: ErrorResponseSchema },
        },
      },
      async (req, reply) => {
        const existing = await deps.cameras.get(req.params.id);
        if (!existing || !mayAccessGroup(req, existing.group)) throw notFound(`camera ${req.params.id}`);
        await deps.cameras.remove(req.params.id);
        return reply.status(204).send(null);
      },
    );
  };
}
