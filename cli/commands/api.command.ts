import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.types.js';

export const apiCommand: CliCommand = {
  name: 'api',
  summary: 'Serve the REST API, OpenAPI docs (/docs) and the operator page (/).',
  usage:
    'ioc-vision api [--port N] [--host H] [--insecure-no-auth]   (settings: IOCV_ADMIN_USER + IOCV_ADMIN_PASSWORD (first admin), IOCV_AUTH_SECRET, IOCV_API_PORT=8080, IOCV_API_HOST=127.0.0.1, IOCV_DATABASE_URL, IOCV_REDIS_URL, ' +
    'IOCV_OBJECT_STORE=fs|s3 with IOCV_FS_ROOT or IOCV_S3_*, IOCV_CAMERAS_FILE to load cameras at start)',
  async run(argv) {
    let v;
    try {
      v = parseArgs({ args: argv, strict: true, options: { port: { type: 'string' }, host: { type: 'string' }, 'insecure-no-auth': { type: 'boolean' } } }).values;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const port = v.port !== undefined ? Number(v.port) : undefined;
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError(`--port must be 0..65535, got "${v.port}"`);

    const { readFile } = await import('node:fs/promises');
    const { pino } = await import('pino');
    const { Redis } = await import('ioredis');
    const { loadSettings } = await import('../../workers/runtime/settings.js');
    const { parseObjectStoreSettings } = await import('../../storage/objects/object-store.factory.js');
    const { openStorage } = await import('../../storage/storage.factory.js');
    const { RedisCameraStatusStore } = await import('../../workers/ingest/camera-status.store.js');
    const { parseCamerasConfigText } = await import('../../pipeline/config/camera-config.js');
    const { buildApp } = await import('../../api/app.js');
    const { IncidentEventHub } = await import('../../api/live/incident-feed.js');
    const { BullQueueMetrics } = await import('../../api/metrics/queue-metrics.js');
    const { AuthService } = await import('../../api/auth/auth.service.js');
    const { loadAuthSettings, resolveSigningKey } = await import('../../api/auth/auth-settings.js');
    const { bootstrapAdminFromEnv } = await import('../../api/auth/bootstrap-admin.js');
    const { UserRepository } = await import('../../storage/repositories/user.repository.js');
    const { ApiKeyRepository } = await import('../../storage/repositories/api-key.repository.js');
    const { AuditRepository } = await import('../../storage/repositories/audit.repository.js');
    const { WebhookRepository } = await import('../../storage/repositories/webhook.repository.js');
    const { IncidentRepository, listenIncidentEvents } = await import('../../storage/repositories/incident.repository.js');

    const s = loadSettings();
    const objectStore = parseObjectStoreSettings(process.env);
    const { redactAccessToken } = await import('../../api/auth/auth.plugin.js');
    const logger = pino({
      level: s.logLevel,
      base: { role: 'api', pid: process.pid },
      // SSE clients may carry their token in the query string: it never reaches the logs.
      serializers: {
        req: (r: { method?: string; url?: string; ip?: string }) => ({ method: r.method, url: redactAccessToken(r.url ?? ''), remoteAddress: r.ip }),
      },
    });
    const cameras = s.camerasFile ? parseCamerasConfigText(await readFile(s.camerasFile, 'utf8'), s.camerasFile) : null;

    const storage = await openStorage({ databaseUrl: s.databaseUrl, objectStore, applicationName: 'ioc-vision api' });
    if (cameras) {
      const changed = await storage.cameras.upsertMany(cameras);
      logger.info({ cameras: cameras.length, changed, file: s.camerasFile }, 'cameras loaded');
    }
    // Status reads must fail fast when Redis is down: the API then falls back to the stored status.
    const redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, lazyConnect: true });
    redis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis error'));
    redis.connect().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'redis unavailable; serving stored camera status'));
    const live = new RedisCameraStatusStore(redis);

    let auth: { service: InstanceType<typeof AuthService>; audit: InstanceType<typeof AuditRepository> } | undefined;
    if (v['insecure-no-auth']) {
      logger.warn('authentication is OFF (--insecure-no-auth): every route is open to anyone who can reach this port');
    } else {
      const authSettings = loadAuthSettings();
      const users = new UserRepository(storage.pool);
      const boot = await bootstrapAdminFromEnv(users);
      if (boot.outcome === 'created') logger.info({ user: boot.user.username }, 'first admin created from IOCV_ADMIN_USER');
      if ((await users.count()) === 0) {
        logger.warn('no users yet: set IOCV_ADMIN_USER and IOCV_ADMIN_PASSWORD, or run `ioc-vision users bootstrap-admin`, to be able to log in');
      }
      const service = new AuthService({
        users,
        apiKeys: new ApiKeyRepository(storage.pool),
        signingKey: await resolveSigningKey(authSettings, users),
        accessTokenTtlSeconds: authSettings.accessTokenTtlSeconds,
        refreshTokenTtlSeconds: authSettings.refreshTokenTtlSeconds,
      });
      auth = { service, audit: new AuditRepository(storage.pool) };
    }

    // One LISTEN connection per process wakes every live incident client.
    const hub = new IncidentEventHub();
    const listener = await listenIncidentEvents(storage.pool, (n) => hub.notify(n), {
      onError: (err) => logger.warn({ err: (err as Error).message }, 'incident LISTEN connection lost; reconnecting'),
    });

    // Its own connection: BullMQ reads may block briefly and must not delay status reads.
    const metricsRedis = new Redis(s.redisUrl, { maxRetriesPerRequest: 1 });
    metricsRedis.on('error', (err: Error) => logger.debug({ err: err.message }, 'redis (metrics) error'));
    const queueMetrics = new BullQueueMetrics({ connection: metricsRedis, prefix: s.bullPrefix });

    const app = await buildApp({
      queueMetrics,
      boardQueues: queueMetrics.queues,
      webhooks: new WebhookRepository(storage.pool),
      auditLog: new AuditRepository(storage.pool),
      ...(auth ? { auth } : {}),
      cameras: storage.cameras,
      incidents: new IncidentRepository(storage.pool),
      incidentFeed: hub,
      analytics: storage.analytics,
      objects: storage.objects,
      liveStatus: (id) => live.read(id),
      healthChecks: {
        redis: async () => {
          await redis.ping();
        },
      },
      logger,
    });
    const address = await app.listen({ port: port ?? s.raw.IOCV_API_PORT ?? 8080, host: v.host ?? s.raw.IOCV_API_HOST ?? '127.0.0.1' });
    logger.info({ address, docs: `${address}/docs` }, 'api listening');
    console.log(`ioc-vision api listening on ${address} (OpenAPI: ${address}/docs)`);

    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    logger.info('api stopping');
    // In-flight requests finish; new connections are refused (503 while closing).
    await app.close();
    await listener.close();
    await queueMetrics.close();
    metricsRedis.disconnect();
    redis.disconnect();
    await storage.close();
    return 0;
  },
};
