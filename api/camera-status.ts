import type { CameraStatus } from '../pipeline/domain.types.js';
import type { AppDeps } from './app.types.js';
import { presentStatus, type StatusSource } from './present.js';

/** The newer of the live (Redis) and stored (Postgres) status; live wins ties. Redis failures fall back to stored. */
export async function currentStatus(deps: AppDeps, cameraId: string, stored: CameraStatus | null): Promise<{ status: CameraStatus; source: StatusSource } | null> {
  let live: CameraStatus | null = null;
  if (deps.liveStatus) {
    try {
      live = await deps.liveStatus(cameraId);
    } catch {
      live = null;
    }
  }
  if (live && (!stored || live.updatedAt >= stored.updatedAt)) return { status: live, source: 'live' };
  return stored ? { status: stored, source: 'stored' } : null;
}

/** currentStatus, presented for the API. */
export async function resolveStatus(deps: AppDeps, cameraId: string, stored: CameraStatus | null) {
  const s = await currentStatus(deps, cameraId, stored);
  return s ? presentStatus(s.status, s.source) : null;
}
