/**
 * Administration over the API: webhook subscriptions (webhooks:admin) and the audit log (audit:read). The
 * webhook secret is shown once, when created; lists show only its last four characters.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AuditRepository } from '../../storage/repositories/audit.repository.js';
import type { WebhookRepository, WebhookSubscription } from '../../storage/repositories/webhook.repository.js';
import { WEBHOOK_EVENT_TYPES } from '../../storage/repositories/webhook.repository.js';
import { ApiError, ErrorResponseSchema, notFound } from '../errors.js';
import { iso } from '../present.js';

export type WebhookAdmin = Pick<
  WebhookRepository,
  'createSubscription' | 'updateSubscription' | 'getSubscription' | 'listSubscriptions' | 'deleteSubscription' | 'listDeliveries' | 'requeueDead'
>;
export type AuditReader = Pick<AuditRepository, 'list' | 'verifyAuditChain'>;

const SubId = Type.Object({ id: Type.String({ pattern: '^whs_[0-9a-f]{1,64}$' }) }, { additionalProperties: false });
const EventTypes = Type.Array(Type.Union([...WEBHOOK_EVENT_TYPES.map((t) => Type.Literal(t)), Type.Literal('incident.*')]), {
  uniqueItems: true,
  maxItems: 10,
  description: 'empty = every event',
});
const HttpUrl = Type.String({ minLength: 8, maxLength: 2048, pattern: '^https?://', description: 'http(s) URL receiving POSTs signed with HMAC-SHA256' });
const SubscriptionSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  eventTypes: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  description: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  secretHint: Type.String({ description: 'last 4 characters of the signing secret' }),
  secret: Type.Optional(Type.String({ description: 'only in the answer to POST: store it, it is not shown again' })),
});

function presentSub(s: WebhookSubscription, withSecret = false) {
  return {
    id: s.id,
    url: s.url,
    eventTypes: s.eventTypes,
    enabled: s.enabled,
    description: s.description,
    createdAt: iso(s.createdAt),
    secretHint: `…${s.secret.slice(-4)}`,
    ...(withSecret ? { secret: s.secret } : {}),
  };
}

function checkUrl(url: string): void {
  try {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new ApiError('IOCV_VALIDATION', `not an http(s) URL: ${url.slice(0, 100)}`, [{ in: 'body', path: '/url', message: 'must be an http(s) URL' }]);
  }
}

export function adminRoutes(deps: { webhooks?: WebhookAdmin; auditLog?: AuditReader }): FastifyPluginAsyncTypebox {
  return async (app) => {
    const webhooks = deps.webhooks;
    if (webhooks) {
      const perm = { config: { permission: 'webhooks:admin' as const } };
      app.get('/api/v1/webhooks', { ...perm, schema: { tags: ['admin'], summary: 'Webhook subscriptions', response: { 200: Type.Object({ items: Type.Array(SubscriptionSchema) }) } } }, async () => ({
        items: (await webhooks.listSubscriptions()).map((s) => presentSub(s)),
      }));

      app.post(
        '/api/v1/webhooks',
        {
          ...perm,
          schema: {
            tags: ['admin'],
            summary: 'Subscribe a URL to incident events (the signing secret is returned once)',
            body: Type.Object(
              {
                url: HttpUrl,
                eventTypes: Type.Optional(EventTypes),
                description: Type.Optional(Type.String({ maxLength: 500 })),
                enabled: Type.Optional(Type.Boolean()),
                secret: Type.Optional(Type.String({ minLength: 16, maxLength: 256, description: 'default: 32 random bytes' })),
              },
              { additionalProperties: false },
            ),
            response: { 201: SubscriptionSchema, 400: ErrorResponseSchema },
          },
        },
        async (req, reply) => {
          checkUrl(req.body.url);
          const sub = await webhooks.createSubscription(req.body);
          return reply.status(201).send(presentSub(sub, true));
        },
      );

      app.patch(
        '/api/v1/webhooks/:id',
        {
          ...perm,
          schema: {
            tags: ['admin'],
            summary: 'Change a subscription',
            params: SubId,
            body: Type.Object(
              { url: Type.Optional(HttpUrl), eventTypes: Type.Optional(EventTypes), description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])), enabled: Type.Optional(Type.Boolean()) },
              { additionalProperties: false },
            ),
            response: { 200: SubscriptionSchema, 400: ErrorResponseSchema, 404: ErrorResponseSchema },
          },
        },
        async (req) => {
          if (req.body.url !== undefined) checkUrl(req.body.url);
          const sub = await webhooks.updateSubscription(req.params.id, req.body);
          if (!sub) throw notFound(`webhook ${req.params.id}`);
          return presentSub(sub);
        },
      );

      app.delete(
        '/api/v1/webhooks/:id',
        { ...perm, schema: { tags: ['admin'], summary: 'Remove a subscription and its deliveries', params: SubId, response: { 204: Type.Null(), 404: ErrorResponseSchema } } },
        async (req, reply) => {
          if (!(await webhooks.deleteSubscription(req.params.id))) throw notFound(`webhook ${req.params.id}`);
          return reply.status(204).send(null);
        },
      );

      app.get(
        '/api/v1/webhooks/:id/deliveries',
        {
          ...perm,
          schema: {
            tags: ['admin'],
            summary: 'Recent deliveries of a subscription',
            params: SubId,
            querystring: Type.Object(
              { status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('dead')])), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })) },
              { additionalProperties: false },
            ),
            response: {
              200: Type.Object({
                items: Type.Array(
                  Type.Object({
                    id: Type.Integer(),
                    eventId: Type.Integer(),
                    eventType: Type.String(),
                    status: Type.String(),
                    attempts: Type.Integer(),
                    nextAttemptAt: Type.String(),
                    lastStatus: Type.Union([Type.Integer(), Type.Null()]),
                    lastError: Type.Union([Type.String(), Type.Null()]),
                    createdAt: Type.String(),
                    deliveredAt: Type.Union([Type.String(), Type.Null()]),
                  }),
                ),
              }),
              404: ErrorResponseSchema,
            },
          },
        },
        async (req) => {
          if (!(await webhooks.getSubscription(req.params.id))) throw notFound(`webhook ${req.params.id}`);
          const rows = await webhooks.listDeliveries({ subscriptionId: req.params.id, status: req.query.status, limit: req.query.limit ?? 50 });
          return {
            items: rows.map((d) => ({
              id: d.id,
              eventId: d.eventId,
              eventType: d.eventType,
              status: d.status,
              attempts: d.attempts,
              nextAttemptAt: iso(d.nextAttemptAt),
              lastStatus: d.lastStatus,
              lastError: d.lastError,
              createdAt: iso(d.createdAt),
              deliveredAt: d.deliveredAt === null ? null : iso(d.deliveredAt),
            })),
          };
        },
      );

      app.post(
        '/api/v1/webhooks/:id/requeue-dead',
        { ...perm, schema: { tags: ['admin'], summary: 'Retry the deliveries that gave up', params: SubId, response: { 200: Type.Object({ requeued: Type.Integer() }), 404: ErrorResponseSchema } } },
        async (req) => {
          if (!(await webhooks.getSubscription(req.params.id))) throw notFound(`webhook ${req.params.id}`);
          return { requeued: await webhooks.requeueDead(req.params.id) };
        },
      );
    }

    const audit = deps.auditLog;
    if (audit) {
      const perm = { config: { permission: 'audit:read' as const } };
      app.get(
        '/api/v1/audit',
        {
          ...perm,
          schema: {
            tags: ['admin'],
            summary: 'The audit log, newest first (page with beforeSeq)',
            querystring: Type.Object(
              {
                actor: Type.Optional(Type.String({ maxLength: 200 })),
                action: Type.Optional(Type.String({ maxLength: 200 })),
                beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
                limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
              },
              { additionalProperties: false },
            ),
            response: {
              200: Type.Object({
                items: Type.Array(
                  Type.Object({
                    seq: Type.Integer(),
                    at: Type.String(),
                    actor: Type.String(),
                    role: Type.Union([Type.String(), Type.Null()]),
                    action: Type.String(),
                    target: Type.Union([Type.String(), Type.Null()]),
                    ip: Type.Union([Type.String(), Type.Null()]),
                    details: Type.Record(Type.String(), Type.Unknown()),
                    hash: Type.String(),
                  }),
                ),
              }),
            },
          },
        },
        async (req) => ({
          items: (await audit.list({ actor: req.query.actor, action: req.query.action, beforeSeq: req.query.beforeSeq, limit: req.query.limit ?? 100 })).map((e) => ({
            seq: e.seq,
            at: iso(e.at),
            actor: e.actor,
            role: e.role,
            action: e.action,
            target: e.target,
            ip: e.ip,
            details: e.details,
            hash: e.hash,
          })),
        }),
      );
      app.get(
        '/api/v1/audit/verify',
        {
          ...perm,
          schema: {
            tags: ['admin'],
            summary: 'Verify the hash chain of the audit log',
            response: {
              200: Type.Object({ ok: Type.Boolean(), checked: Type.Integer(), firstBrokenSeq: Type.Union([Type.Integer(), Type.Null()]), reason: Type.Union([Type.String(), Type.Null()]), headHash: Type.String() }),
            },
          },
        },
        async () => audit.verifyAuditChain(),
      );
    }
  };
}
