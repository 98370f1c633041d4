/**
 * Authentication, authorisation and audit for every route, as one Fastify plugin registered first:
 *
 *   await app.register(authPlugin, { auth, audit });
 *   app.get('/cameras', { config: { permission: 'cameras:read' } }, handler);
 *   app.get('/health', { config: { public: true } }, handler);
 *
 * One global onRequest hook reads the route's `config`: `public: true` routes are open (credentials, if sent, are
 * still read); every other route must declare a `permission` held by the caller's role — a route declaring
 * neither is DENIED (403) for everyone, so a new route cannot be exposed by omission. Credentials:
 * `Authorization: Bearer <access token | API key>` or `X-API-Key: <key>`; routes with `allowQueryToken: true`
 * (SSE, where EventSource cannot set headers) also accept `?access_token=`.
 *
 * Audit (onSend, before the answer leaves): every change (non-GET), every read of a sensitive permission, every denial of an
 * authenticated caller and routes with `audit: true | '<action name>'` are appended to the hash-chained log.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from './auth-errors.js';
import type { AuthService, Credentials } from './auth.service.js';
import { SENSITIVE_PERMISSIONS, isPermission, roleHasPermission, type Permission } from './permissions.js';
import { actorLabel, type Principal } from './principal.js';

/** What a route may declare in its `config`. */
export interface AuthRouteConfig {
  /** Permission required to call the route. */
  permission?: Permission;
  /** Open to everyone (health, login, static dashboard shell). */
  public?: boolean;
  /** Audit this route even if it is a non-sensitive read; a string names the action. */
  audit?: boolean | string;
  /** Accept `?access_token=` (for EventSource). @default false */
  allowQueryToken?: boolean;
}

declare module 'fastify' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface FastifyContextConfig extends AuthRouteConfig {}
  interface FastifyRequest {
    /** The authenticated caller, null on public routes without credentials. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** Every route registered after the auth plugin with its declared access (for the role-matrix test). */
    authRouteTable: AuthRouteEntry[];
  }
}

export interface AuthRouteEntry {
  method: string;
  url: string;
  permission: Permission | null;
  public: boolean;
}

/** Where audit entries go (AuditRepository satisfies it). */
export interface AuditSink {
  appendAudit(entry: {
    actor: string;
    role?: string | null;
    action: string;
    target?: string | null;
    ip?: string | null;
    details?: Record<string, unknown>;
  }): Promise<unknown>;
}

export interface AuthPluginOptions {
  auth: Pick<AuthService, 'authenticate'>;
  audit?: AuditSink;
  /** Throw at registration for a route declaring neither permission nor public (fail at start). @default false */
  strictRoutes?: boolean;
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SECRET_KEY_RE = /pass|secret|token|api[-_]?key|authorization/i;

/** Copies plain JSON, replacing values of secret-looking keys. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = SECRET_KEY_RE.test(k) ? '[redacted]' : redactSecrets(v, depth + 1);
  return out;
}

/**
 * Hides `access_token` query values (SSE clients pass their token in the URL) for logs; use in the logger's
 * request serializer: `serializers: { req: (r) => ({ method: r.method, url: redactAccessToken(r.url) }) }`.
 */
export function redactAccessToken(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[redacted]');
}

/** Credentials on a request, or null. */
export function extractCredentials(request: FastifyRequest, allowQueryToken = false): Credentials | null {
  const authz = request.headers.authorization;
  if (typeof authz === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authz);
    if (m) return { kind: 'bearer', token: m[1]! };
  }
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return { kind: 'api_key', key: apiKey };
  if (allowQueryToken) {
    const q = request.query as Record<string, unknown> | undefined;
    if (q && typeof q.access_token === 'string' && q.access_token) return { kind: 'bearer', token: q.access_token };
  }
  return null;
}

function routeConfig(request: FastifyRequest): AuthRouteConfig {
  return request.routeOptions.config ?? {};
}

/** The audit target: the first route param that looks like an id. */
function auditTarget(params: unknown): string | null {
  if (!params || typeof params !== 'object') return null;
  const p = params as Record<string, unknown>;
  for (const k of ['id', 'cameraId', 'incidentId', 'userId', 'keyId', 'plate']) if (typeof p[k] === 'string') return p[k];
  const first = Object.values(p).find((v) => typeof v === 'string');
  return typeof first === 'string' ? first : null;
}

const plugin: FastifyPluginAsync<AuthPluginOptions> = async (app: FastifyInstance, opts: AuthPluginOptions) => {
  const table: AuthRouteEntry[] = [];
  app.decorate('authRouteTable', table);
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const cfg = (route.config ?? {}) as AuthRouteConfig;
    if (cfg.permission !== undefined && !isPermission(cfg.permission)) throw new Error(`route ${route.url}: unknown permission "${String(cfg.permission)}"`);
    if (opts.strictRoutes && !cfg.public && !cfg.permission) throw new Error(`route ${String(route.method)} ${route.url} declares neither config.permission nor config.public`);
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      table.push({ method, url: route.url, permission: cfg.permission ?? null, public: cfg.public === true });
    }
  });

  app.addHook('onRequest', async (request: FastifyRequest) => {
    // Unknown routes fall through to the 404 handler.
    if (request.is404) return;
    const cfg = routeConfig(request);
    const creds = extractCredentials(request, cfg.allowQueryToken === true);
    if (cfg.public) {
      if (creds) request.principal = await opts.auth.authenticate(creds).catch(() => null);
      return;
    }
    if (!creds) throw new AuthError('IOCV_UNAUTHORIZED', 'authentication required');
    const principal = await opts.auth.authenticate(creds);
    request.principal = principal;
    if (!cfg.permission) throw new AuthError('IOCV_ROUTE_NOT_CLASSIFIED', 'this route declares no permission and is denied by default');
    if (!roleHasPermission(principal.role, cfg.permission)) throw new AuthError('IOCV_FORBIDDEN', `role ${principal.role} lacks ${cfg.permission}`);
  });

  const audit = opts.audit;
  if (audit) {
    // onSend, not onResponse: the entry is durable before the caller sees the answer, and entries of one
    // client's sequential requests are chained in request order.
    app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const p = request.principal;
      if (!p || request.is404) return payload;
      const cfg = routeConfig(request);
      const change = !READ_METHODS.has(request.method);
      const sensitive = cfg.permission !== undefined && SENSITIVE_PERMISSIONS.has(cfg.permission);
      const denied = reply.statusCode === 403;
      if (!change && !sensitive && !denied && !cfg.audit) return payload;
      const url = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
      await audit
        .appendAudit({
          actor: actorLabel(p),
          role: p.role,
          action: typeof cfg.audit === 'string' ? cfg.audit : `${request.method} ${url}`,
          target: auditTarget(request.params),
          ip: request.ip,
          details: {
            statusCode: reply.statusCode,
            query: redactSecrets(request.query ?? {}),
            params: request.params ?? {},
            ...(change && request.body !== undefined ? { body: redactSecrets(request.body) } : {}),
            ...(denied ? { denied: true } : {}),
          },
        })
        .catch((err: unknown) => request.log.error({ err }, 'audit append failed'));
      return payload;
    });
  }
};

// Hooks must apply to the whole application, not only to this plugin's scope (what fastify-plugin does).
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'iocv-auth';

export const authPlugin = plugin;

/** Every (route × role) → allowed, from the route table: the data behind the role-matrix test. */
export function roleMatrix(table: readonly AuthRouteEntry[], roles: readonly Principal['role'][]): Array<AuthRouteEntry & { role: Principal['role']; allowed: boolean }> {
  return table.flatMap((r) => roles.map((role) => ({ ...r, role, allowed: r.public || (r.permission !== null && roleHasPermission(role, r.permission)) })));
}
