/**
 * The Fastify application, built from its dependencies so that tests inject real (or fake) repositories and the
 * composition root (cli/commands/api.command.ts) injects the production ones. No I/O happens here beyond what
 * the dependencies do.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppDeps } from './app.types.js';
import { authPlugin } from './auth/auth.plugin.js';
import { authRoutes } from './auth/auth.routes.js';
import { installErrorHandling } from './errors.js';
import { adminRoutes } from './routes/admin.routes.js';
import { analyticsRoutes } from './routes/analytics.routes.js';
import { cameraRoutes } from './routes/cameras.routes.js';
import { healthRoutes } from './routes/health.routes.js';
import { incidentRoutes } from './routes/incidents.routes.js';
import { metricsRoutes } from './routes/metrics.routes.js';
import { installQueueBoardCookieHook, registerQueueBoard } from './routes/queue-board.routes.js';
import { HttpMetrics } from './metrics/http-metrics.js';
import { webRoutes } from './routes/web.routes.js';

export type { AppDeps } from './app.types.js';

export const API_VERSION = '0.1.0';
const DEFAULT_WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'web');

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    // Strict input: unknown query/body keys fail instead of being silently dropped (Fastify's default strips them).
    // discriminator: tagged unions (camera zone rules) report only the errors of the variant their tag names.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true, discriminator: true } },
    routerOptions: { maxParamLength: 600 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  installErrorHandling(app);
  const httpMetrics = new HttpMetrics();
  httpMetrics.install(app);
  // The API description is documentation, not data: open like /health, whatever auth is installed.
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...(route.config ?? {}), public: true };
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ioc-vision API',
        version: API_VERSION,
        description:
          'Video analytics for an Intelligent Operations Centre: cameras, live status, line-crossing counts, crossings with snapshots, tracks. ' +
          'Errors are `{ "error": { "code", "message", "details"? } }` with stable IOCV_* codes.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'access token from /auth/login, or an API key' } } },
      security: [{ bearer: [] }],
      tags: [
        { name: 'cameras', description: 'Cameras and their live status' },
        { name: 'analytics', description: 'Counts, line crossings, tracks' },
        { name: 'incidents', description: 'Live incidents: list, acknowledge, resolve, SSE feed' },
        { name: 'system', description: 'Health' },
        { name: 'auth', description: 'Log in, refresh, log out' },
        { name: 'admin', description: 'Webhooks and the audit log' },
      ],
    },
  });
  // Global hooks (authentication, audit, metrics) and extra route plugins of the composition root: after the
  // OpenAPI collector so their routes are documented, before every route so their hooks cover all of them.
  if (deps.boardQueues?.length) installQueueBoardCookieHook(app);
  if (deps.auth) {
    // strictRoutes: a route declaring neither a permission nor `public` stops the app at start.
    await app.register(authPlugin, { auth: deps.auth.service, audit: deps.auth.audit, strictRoutes: true });
    await app.register(authRoutes({ auth: deps.auth.service, audit: deps.auth.audit }));
  }
  if (deps.extend) await deps.extend(app);
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(healthRoutes(deps));
  await app.register(cameraRoutes(deps));
  await app.register(analyticsRoutes(deps));
  if (deps.incidents) await app.register(incidentRoutes({ ...deps, incidents: deps.incidents }));
  await app.register(metricsRoutes(deps, httpMetrics));
  if (deps.webhooks || deps.auditLog) await app.register(adminRoutes(deps));
  if (deps.boardQueues?.length) await registerQueueBoard(app, deps.boardQueues);
  await app.register(webRoutes(deps.webDir ?? DEFAULT_WEB_DIR));
  return app;
}
