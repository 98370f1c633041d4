/**
 * The role → permission matrix, as data. Routes declare one permission (`config: { permission: 'cameras:read' }`);
 * a role either has it or not, and camera-scoped data is further limited to the principal's camera groups.
 *
 * | permission        | admin | operator | police | security | analyst |
 * |-------------------|:-----:|:--------:|:------:|:--------:|:-------:|
 * | account:self      |   ✓   |    ✓     |   ✓    |    ✓     |    ✓    |
 * | cameras:read      |   ✓   |    ✓     |   ✓    |    ✓     |    ✓    |
 * | cameras:write     |   ✓   |          |        |          |         |
 * | counts:read       |   ✓   |    ✓     |   ✓    |          |    ✓    |
 * | tracks:read       |   ✓   |    ✓     |   ✓    |          |    ✓    |
 * | snapshots:read    |   ✓   |    ✓     |   ✓    |    ✓     |         |
 * | incidents:read    |   ✓   |    ✓     |   ✓    |    ✓     |    ✓    |
 * | incidents:ack     |   ✓   |    ✓     |   ✓    |    ✓     |         |
 * | plates:search     |   ✓   |    ✓     |   ✓    |          |         |
 * | faces:search      |   ✓   |          |   ✓    |          |         |
 * | faces:manage      |   ✓   |          |   ✓    |          |         |
 * | webhooks:admin    |   ✓   |          |        |          |         |
 * | users:admin       |   ✓   |          |        |          |         |
 * | apikeys:admin     |   ✓   |          |        |          |         |
 * | audit:read        |   ✓   |          |        |          |         |
 * | system:read       |   ✓   |    ✓     |        |          |         |
 * | queues:admin      |   ✓   |          |        |          |         |
 *
 * Why: operators run the screen (incidents, plates for follow-up, system health); police additionally search and
 * manage face watch-lists; security guards see cameras and incidents of their own sites; analysts see aggregates
 * only (no snapshots of people, no searches). Only admins change configuration, users, keys and read the audit.
 */

export const ROLES = ['admin', 'operator', 'police', 'security', 'analyst'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'account:self',
  'cameras:read',
  'cameras:write',
  'counts:read',
  'tracks:read',
  'snapshots:read',
  'incidents:read',
  'incidents:ack',
  'plates:search',
  'faces:search',
  'faces:manage',
  'webhooks:admin',
  'users:admin',
  'apikeys:admin',
  'audit:read',
  'system:read',
  'queues:admin',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  operator: ['account:self', 'cameras:read', 'counts:read', 'tracks:read', 'snapshots:read', 'incidents:read', 'incidents:ack', 'plates:search', 'system:read'],
  police: ['account:self', 'cameras:read', 'counts:read', 'tracks:read', 'snapshots:read', 'incidents:read', 'incidents:ack', 'plates:search', 'faces:search', 'faces:manage'],
  security: ['account:self', 'cameras:read', 'snapshots:read', 'incidents:read', 'incidents:ack'],
  analyst: ['account:self', 'cameras:read', 'counts:read', 'tracks:read', 'incidents:read'],
};

/** Reads of these are recorded in the audit log (every change is recorded anyway). */
export const SENSITIVE_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>(['plates:search', 'faces:search', 'faces:manage', 'snapshots:read', 'audit:read', 'users:admin', 'apikeys:admin', 'webhooks:admin']);

const MATRIX: ReadonlyMap<Role, ReadonlySet<Permission>> = new Map(ROLES.map((r) => [r, new Set(ROLE_PERMISSIONS[r])]));

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export function isPermission(v: unknown): v is Permission {
  return typeof v === 'string' && (PERMISSIONS as readonly string[]).includes(v);
}

export function roleHasPermission(role: Role, permission: Permission): boolean {
  return MATRIX.get(role)?.has(permission) ?? false;
}
