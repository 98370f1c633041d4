import type { Queue } from 'bullmq';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { CameraStatus } from '../pipeline/domain.types.js';
import type { ObjectStore } from '../storage/objects/object-store.port.js';
import type { AnalyticsRepository } from '../storage/repositories/analytics.repository.js';
import type { CameraRepository } from '../storage/repositories/camera.repository.js';
import type { IncidentRepository } from '../storage/repositories/incident.repository.js';
import type { IncidentFeed } from './live/incident-feed.js';
import type { QueueMetricsSource } from './metrics/queue-metrics.js';
import type { AuditReader, WebhookAdmin } from './routes/admin.routes.js';
import type { AuditSink } from './auth/auth.plugin.js';
import type { AuthService } from './auth/auth.service.js';

/** What the API reads; the composition root passes the real repositories, tests may pass real or fake ones. */
export type CameraReader = Pick<CameraRepository, 'list' | 'get' | 'getStatus' | 'listStatus' | 'insert' | 'upsertMany' | 'remove'>;
export type AnalyticsReader = Pick<AnalyticsRepository, 'counts' | 'listCrossings' | 'getCrossing' | 'listTracks' | 'getTrack' | 'ping'>;

export type IncidentReader = Pick<IncidentRepository, 'list' | 'get' | 'acknowledge' | 'resolve' | 'listEventsAfter' | 'lastEventId'>;

export interface AppDeps {
  cameras: CameraReader;
  analytics: AnalyticsReader;
  objects: ObjectStore;
  /**
   * Authentication for every route but /health, the page shell, /docs and login (deny by default, role
   * permissions, camera groups, audit), plus the session routes under /auth. Without it the API is open: tests
   * and trusted single-user setups only.
   */
  auth?: { service: AuthService; audit?: AuditSink };
  /** Queue and inference figures for /metrics (BullMQ); without it /metrics has camera, HTTP and process figures. */
  queueMetrics?: Pick<QueueMetricsSource, 'collect'>;
  /** Webhook subscription administration (webhooks:admin). */
  webhooks?: WebhookAdmin;
  /** Audit log reading and chain verification (audit:read). */
  auditLog?: AuditReader;
  /** BullMQ queues shown by bull-board at /admin/queues (admins only); none → no board. */
  boardQueues?: readonly Queue[];
  /** Incident routes (list, acknowledge, resolve, live SSE feed) are served when given. */
  incidents?: IncidentReader;
  /** Wake-ups for the live incident feed (one LISTEN per process); without it the feed polls every 2 s. */
  incidentFeed?: IncidentFeed;
  /** Live status from Redis, supplied by the composition root; newer than the stored one when both exist. */
  liveStatus?: (cameraId: string) => Promise<CameraStatus | null>;
  /**
   * Extra checks for GET /health, by name (e.g. `redis`). The database (`analytics.ping`) and the object store
   * (`objects.ping`, when it has one) are always checked.
   */
  healthChecks?: Record<string, () => Promise<void>>;
  logger?: FastifyBaseLogger;
  /** Directory of the static web page. @default <repo>/web */
  webDir?: string;
  /** Per-check timeout of /health, ms. @default 2000 */
  healthTimeoutMs?: number;
  /**
   * Called once on the root instance after the OpenAPI collector and before the built-in routes: register the
   * auth plugin (its hooks then cover every route) and further route plugins (incidents, admin, ...) here.
   */
  extend?: (app: FastifyInstance) => Promise<void>;
}
