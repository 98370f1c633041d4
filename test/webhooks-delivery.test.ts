/**
 * Webhook outbox end to end: real PostgreSQL, real HTTP receiver that is first down (closed port), then answers
 * 503, then 200. Every event must arrive exactly once per matching subscription, in order, correctly signed,
 * across a dispatcher restart and with two dispatchers competing. A receiver that hangs is dead-lettered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncidentSignal } from '../pipeline/incidents/incident.types.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { IncidentRepository } from '../storage/repositories/incident.repository.js';
import { WebhookRepository, type WebhookSubscription } from '../storage/repositories/webhook.repository.js';
import { verifyWebhookSignature } from '../workers/webhooks/webhook-signature.js';
import { WebhookDispatcher } from '../workers/webhooks/webhook.dispatcher.js';

let db: TestDatabase;
let pool: Pool;
let incidents: IncidentRepository;
let webhooks: WebhookRepository;
let server: http.Server | null = null;
const dispatchers: WebhookDispatcher[] = [];

interface Received {
  path: string;
  eventId: number;
  type: string;
  status: number;
  signatureOk: boolean;
  body: { id: string; type: string; data: { incident: { id: string; state: string } } };
}
const received: Received[] = [];
let unavailableLeft = 0;
let slowMode: 'hang' | 'ok' = 'hang';
const secrets = new Map<string, string>();
const hanging: http.ServerResponse[] = [];

function startReceiver(port: number): Promise<void> {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      if (path === '/slow' && slowMode === 'hang') {
        hanging.push(res);
        return;
      }
      let status = 200;
      if (unavailableLeft > 0 && path !== '/slow') {
        unavailableLeft--;
        status = 503;
      }
      const sigOk = verifyWebhookSignature(secrets.get(path)!, req.headers['x-iocv-signature'] as string, req.headers['x-iocv-timestamp'] as string, raw);
      received.push({ path, eventId: Number(req.headers['x-iocv-event-id']), type: String(req.headers['x-iocv-event-type']), status, signatureOk: sigOk, body: JSON.parse(raw) });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'busy');
    });
  });
  return new Promise((resolve) => server!.listen(port, '127.0.0.1', () => resolve()));
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

function dispatcher(extra: Partial<ConstructorParameters<typeof WebhookDispatcher>[0]> = {}): WebhookDispatcher {
  const d = new WebhookDispatcher({ repo: webhooks, baseDelayMs: 50, maxDelayMs: 300, pollIntervalMs: 50, requestTimeoutMs: 2000, maxAttempts: 1000, listenPool: pool, ...extra });
  dispatchers.push(d);
  return d;
}

let port = 0;
const subs: Record<string, WebhookSubscription> = {};
const T = Date.parse('2026-11-22T10:00:00Z');
const sig = (over: Partial<IncidentSignal>): IncidentSignal => ({ type: 'crowding', severity: 'warning', cameraId: 'cam1', zoneId: 'Z1', at: T, details: {}, ...over });

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 10 });
  await runMigrations(pool);
  incidents = new IncidentRepository(pool);
  webhooks = new WebhookRepository(pool);
  port = await freePort();
  const url = (p: string) => `http://127.0.0.1:${port}${p}`;
  subs.A = await webhooks.createSubscription({ url: url('/A'), description: 'all events' });
  subs.B = await webhooks.createSubscription({ url: url('/B'), eventTypes: ['incident.resolved'] });
  subs.C = await webhooks.createSubscription({ url: url('/C'), enabled: false });
  for (const k of ['A', 'B', 'C']) secrets.set(`/${k}`, subs[k]!.secret);
});

afterAll(async () => {
  await Promise.all(dispatchers.map((d) => d.stop()));
  for (const r of hanging) r.destroy();
  server?.closeAllConnections();
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  await pool?.end();
  await db?.drop();
});

describe('webhook delivery', () => {
  it('survives a receiver that is down, then unavailable, then up: exactly once, in order, signed', async () => {
    const d1 = dispatcher({ workerId: 'd1' });
    d1.start();
    // Events while the receiver's port is closed.
    const a = await incidents.recordSignal(sig({ at: T }));
    await incidents.recordSignal(sig({ at: T + 1000, trackIds: ['x'] }));
    const b = await incidents.recordSignal(sig({ cameraId: 'cam2', type: 'camera_offline', zoneId: undefined }));
    await incidents.acknowledge(a.incident.id, 'op');
    await incidents.resolve(a.incident.id, 'op');
    await incidents.resolve(b.incident.id, 'op');
    // d1 keeps failing against the closed port (connection refused) and backs off.
    await expect
      .poll(async () => (await webhooks.listDeliveries({ subscriptionId: subs.A!.id }))[0]?.attempts ?? 0, { timeout: 20_000, interval: 50 })
      .toBeGreaterThanOrEqual(3);
    const head = (await webhooks.listDeliveries({ subscriptionId: subs.A!.id }))[0]!;
    expect(head).toMatchObject({ status: 'pending', lastStatus: null });
    expect(head.lastError).toMatch(/ECONNREFUSED|fetch failed/);
    // Order: nothing behind the head was attempted.
    expect((await webhooks.listDeliveries({ subscriptionId: subs.A!.id })).slice(1).every((x) => x.attempts === 0)).toBe(true);
    // The dispatcher process "restarts": rows stay in Postgres.
    await d1.stop();
    expect(received).toHaveLength(0);

    // Receiver comes up but answers 503 to its first 5 requests; two dispatchers compete.
    unavailableLeft = 5;
    await startReceiver(port);
    dispatcher({ workerId: 'd2' }).start();
    dispatcher({ workerId: 'd3' }).start();
    // More events while up (NOTIFY wakes the dispatchers).
    const c = await incidents.recordSignal(sig({ cameraId: 'cam3', type: 'loitering' }));
    await incidents.resolve(c.incident.id, 'op2');

    await expect.poll(async () => (await webhooks.stats()).pending, { timeout: 30_000, interval: 100 }).toBe(0);

    const events = await incidents.listEventsAfter(0, 1000);
    expect(events).toHaveLength(8);
    const accepted = (path: string) => received.filter((r) => r.path === path && r.status === 200).map((r) => r.eventId);
    expect(accepted('/A')).toEqual(events.map((e) => e.id));
    expect(accepted('/B')).toEqual(events.filter((e) => e.kind === 'resolved').map((e) => e.id));
    expect(received.filter((r) => r.path === '/C')).toHaveLength(0);
    expect(received.filter((r) => r.status === 503)).toHaveLength(5);
    expect(received.every((r) => r.signatureOk)).toBe(true);
    // Bodies describe the event and the incident as it was then.
    const resolvedBody = received.find((r) => r.path === '/B' && r.status === 200)!.body;
    expect(resolvedBody).toMatchObject({ type: 'incident.resolved', data: { incident: { id: a.incident.id, state: 'resolved' } } });
    expect(received.every((r) => r.body.id === String(r.eventId) && r.body.type === r.type)).toBe(true);
    expect(await webhooks.stats()).toEqual({ pending: 0, delivered: 8 + 3, dead: 0 });
  });

  it('dead-letters a receiver that keeps timing out, without blocking other subscriptions; requeue delivers it', async () => {
    await Promise.all(dispatchers.map((d) => d.stop()));
    const D = await webhooks.createSubscription({ url: `http://127.0.0.1:${port}/slow`, eventTypes: ['incident.created'] });
    secrets.set('/slow', D.secret);
    const before = received.length;
    dispatcher({ workerId: 'd4', requestTimeoutMs: 300, maxAttempts: 3, baseDelayMs: 20 }).start();
    const e = await incidents.recordSignal(sig({ cameraId: 'cam9', type: 'zone_intrusion' }));
    await expect.poll(async () => (await webhooks.listDeliveries({ subscriptionId: D.id }))[0]?.status, { timeout: 30_000, interval: 100 }).toBe('dead');
    const dead = (await webhooks.listDeliveries({ subscriptionId: D.id }))[0]!;
    expect(dead).toMatchObject({ attempts: 3, status: 'dead' });
    expect(dead.lastError).toMatch(/timeout after 300 ms/);
    // A got the same event meanwhile.
    await expect.poll(() => received.slice(before).filter((r) => r.path === '/A' && r.status === 200).map((r) => r.eventId), { timeout: 10_000 }).toEqual([
      (await incidents.listEventsAfter(0, 1000)).find((x) => x.incidentId === e.incident.id)!.id,
    ]);
    slowMode = 'ok';
    expect(await webhooks.requeueDead(D.id)).toBe(1);
    await expect.poll(async () => (await webhooks.listDeliveries({ subscriptionId: D.id }))[0]?.status, { timeout: 10_000, interval: 50 }).toBe('delivered');
    expect(received.filter((r) => r.path === '/slow' && r.status === 200 && r.signatureOk)).toHaveLength(1);
  });

  it('a disabled subscription keeps its queue and resumes when enabled again', async () => {
    await Promise.all(dispatchers.map((d) => d.stop()));
    const E = await webhooks.createSubscription({ url: `http://127.0.0.1:${port}/E` });
    secrets.set('/E', E.secret);
    await incidents.recordSignal(sig({ cameraId: 'cam-e', type: 'loitering' }));
    await webhooks.updateSubscription(E.id, { enabled: false });
    const d = dispatcher({ workerId: 'd5' });
    while ((await d.runOnce()) > 0);
    expect(received.filter((r) => r.path === '/E')).toHaveLength(0);
    expect((await webhooks.listDeliveries({ subscriptionId: E.id })).map((x) => x.status)).toEqual(['pending']);
    await webhooks.updateSubscription(E.id, { enabled: true });
    expect(await d.runOnce()).toBe(1);
    expect(received.filter((r) => r.path === '/E' && r.status === 200 && r.signatureOk)).toHaveLength(1);
  });
});
