/**
 * Per-camera-group scoping of the data routes. The auth plugin (api/auth) authenticates and checks the route's
 * permission; here each route limits what it returns to the cameras of the caller's groups. Without the auth
 * plugin (tests, embedded single-user setups) there is no principal and nothing is filtered.
 */
import type { FastifyRequest } from 'fastify';
import type { Principal } from './auth/principal.js';
import { canAccessCameraGroup } from './auth/principal.js';
import type { AppDeps } from './app.types.js';
import { notFound } from './errors.js';

function groupsOf(req: FastifyRequest): readonly string[] | null {
  const p = (req as unknown as { principal?: Principal | null }).principal;
  return p ? p.cameraGroups : null;
}

/** Whether the caller may see a camera of this group. */
export function mayAccessGroup(req: FastifyRequest, group: string | null): boolean {
  const groups = groupsOf(req);
  return groups === null || canAccessCameraGroup({ cameraGroups: groups }, group);
}

/** Ids of the cameras the caller may see, or null when the caller may see every camera. */
export async function visibleCameraIds(deps: AppDeps, req: FastifyRequest): Promise<string[] | null> {
  if (groupsOf(req) === null) return null;
  const cams = await deps.cameras.list();
  return cams.filter((c) => mayAccessGroup(req, c.group)).map((c) => c.id);
}

/**
 * Throws 404 (not 403: a caller outside the group must not learn that the camera exists) unless the caller
 * may see the camera. Data of cameras since removed from the config is visible only to unscoped callers.
 */
export async function assertCameraVisible(deps: AppDeps, req: FastifyRequest, cameraId: string, what = `camera ${cameraId}`): Promise<void> {
  if (groupsOf(req) === null) return;
  const cam = await deps.cameras.get(cameraId);
  if (!cam || !mayAccessGroup(req, cam.group)) throw notFound(what);
}
