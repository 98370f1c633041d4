/** Who is calling: a person (user, via an access token) or a machine (API key). */
import type { Permission, Role } from './permissions.js';
import { roleHasPermission } from './permissions.js';

export interface Principal {
  kind: 'user' | 'api_key';
  /** users.id or api_keys.id */
  id: string;
  /** username, or the API key's name */
  name: string;
  role: Role;
  /** Camera groups this principal may see; null = every group. */
  cameraGroups: readonly string[] | null;
  /** Session id for users (refresh/logout), null for API keys. */
  sessionId: string | null;
}

export function can(principal: Principal, permission: Permission): boolean {
  return roleHasPermission(principal.role, permission);
}

/**
 * Whether the principal may see a camera of `cameraGroup`. A principal limited to groups does not see cameras
 * without a group: access is granted, never assumed.
 */
export function canAccessCameraGroup(principal: Pick<Principal, 'cameraGroups'>, cameraGroup: string | null): boolean {
  if (principal.cameraGroups === null) return true;
  return cameraGroup !== null && principal.cameraGroups.includes(cameraGroup);
}

/** The group filter to apply to camera queries: null = no filter, otherwise only these groups. */
export function cameraGroupScope(principal: Pick<Principal, 'cameraGroups'>): readonly string[] | null {
  return principal.cameraGroups;
}

/** Audit actor label: `user:alice`, `key:ingest-bot`. */
export function actorLabel(p: Pick<Principal, 'kind' | 'name'>): string {
  return `${p.kind === 'user' ? 'user' : 'key'}:${p.name}`;
}
