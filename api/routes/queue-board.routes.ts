/**
 * bull-board for the queues, admins only (permission queues:admin). A browser cannot add the Bearer header to
 * a page it navigates to, so an admin first calls POST /admin/queues-session with the header: it sets an
 * HttpOnly, SameSite=Strict cookie (path /admin/queues, as long as the access token lives) that a hook turns back
 * into the Authorization header for the board's own requests, before authentication runs.
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, toErrorResponse } from '../errors.js';

export const QUEUE_BOARD_PATH = '/admin/queues';
const COOKIE = 'iocv_board';
/** Lifetime of the board cookie, s (the token inside expires on its own schedule anyway). */
const COOKIE_MAX_AGE_SECONDS = 900;

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

const isBoardUrl = (url: string) => url === QUEUE_BOARD_PATH || url.startsWith(`${QUEUE_BOARD_PATH}/`) || url.startsWith(`${QUEUE_BOARD_PATH}?`);

/** Must run before the auth plugin registers its hooks: board requests carry their token in the cookie. */
export function installQueueBoardCookieHook(app: FastifyInstance): void {
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (req.headers.authorization || !isBoardUrl(req.url)) return;
    const token = cookieValue(req.headers.cookie, COOKIE);
    if (token && /^[A-Za-z0-9._~+/=-]{1,4096}$/.test(token)) req.headers.authorization = `Bearer ${token}`;
  });
  // Every board route (UI, static files, its JSON API) is for admins and stays out of the OpenAPI document.
  app.addHook('onRoute', (route) => {
    if (isBoardUrl(route.url) || route.url === `${QUEUE_BOARD_PATH}-session`) {
      route.config = { ...(route.config ?? {}), permission: 'queues:admin' };
      route.schema = { ...(route.schema ?? {}), hide: true };
    }
  });
}

export async function registerQueueBoard(app: FastifyInstance, queues: readonly Queue[]): Promise<void> {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: false })), serverAdapter: adapter });
  // The board installs its own error handler in its scope: make it answer like every other route (coded, no details on 5xx).
  adapter.setErrorHandler((error: Error) => {
    const { statusCode, body } = toErrorResponse(error);
    return { status: statusCode as 500, body };
  });
  await app.register(adapter.registerPlugin(), { prefix: QUEUE_BOARD_PATH });

  app.post(`${QUEUE_BOARD_PATH}-session`, async (req: FastifyRequest, reply: FastifyReply) => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) throw new ApiError('IOCV_BAD_REQUEST', 'send the access token as Authorization: Bearer');
    const secure = req.protocol === 'https' ? '; Secure' : '';
    return reply
      .header('set-cookie', `${COOKIE}=${encodeURIComponent(m[1]!)}; Path=${QUEUE_BOARD_PATH}; HttpOnly; SameSite=Strict; Max-Age=${COOKIE_MAX_AGE_SECONDS}${secure}`)
      .status(204)
      .send();
  });
}
