/** The first admin: from IOCV_ADMIN_USER/IOCV_ADMIN_PASSWORD at start, or a one-time command. Never overwrites. */
import type { UserRecord, UserRepository } from '../../storage/repositories/user.repository.js';
import { BadPasswordError } from './auth.service.js';
import { hashPassword, passwordProblem } from './password.js';

export type BootstrapOutcome = { outcome: 'created'; user: UserRecord } | { outcome: 'users_exist' } | { outcome: 'not_configured' };

/** Creates `username` as admin only if the users table is empty (safe when several processes start at once). */
export async function createFirstAdmin(users: UserRepository, username: string, password: string): Promise<BootstrapOutcome> {
  const problem = passwordProblem(password);
  if (problem) throw new BadPasswordError(`admin password ${problem}`);
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(username)) throw new BadPasswordError('admin username must be 1–64 of letters, digits, _ . @ -');
  if ((await users.count()) > 0) return { outcome: 'users_exist' };
  const user = await users.createFirstUser({ username, passwordHash: await hashPassword(password), role: 'admin', cameraGroups: null });
  return user ? { outcome: 'created', user } : { outcome: 'users_exist' };
}

/** Start-up hook for the API: uses IOCV_ADMIN_USER / IOCV_ADMIN_PASSWORD when both are set. */
export async function bootstrapAdminFromEnv(users: UserRepository, env: NodeJS.ProcessEnv = process.env): Promise<BootstrapOutcome> {
  const u = env.IOCV_ADMIN_USER;
  const p = env.IOCV_ADMIN_PASSWORD;
  if (!u || !p) return { outcome: 'not_configured' };
  return createFirstAdmin(users, u, p);
}
