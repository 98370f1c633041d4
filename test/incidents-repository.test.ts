/** Incident store against a real PostgreSQL: dedup + cooldown, idempotent signals, transitions, ordered feed, NOTIFY. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IncidentStateError, type IncidentSignal } from '../pipeline/incidents/incident.types.js';
import { createPool, runMigrations, type Pool } from '../storage/postgres/database.js';
import { createTestDatabase, type TestDatabase } from '../storage/postgres/test-database.js';
import { IncidentFeed, IncidentRepository, listenIncidentEvents, type IncidentEventNotice } from '../storage/repositories/incident.repository.js';
import type { IncidentEvent } from '../pipeline/incidents/incident.types.js';

let db: TestDatabase;
let pool: Pool;
let repo: IncidentRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = createPool(db.url, { max: 8 });
  await runMigrations(pool);
  repo = new IncidentRepository(pool);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const T = Date.parse('2026-11-22T10:00:00Z');
const sig = (over: Partial<IncidentSignal> = {}): IncidentSignal => ({
  type: 'loitering', severity: 'warning', cameraId: 'cam1', zoneId: 'Z1', trackIds: ['t1'], at: T, details: { dwellSeconds: 61 }, ...over,
});

describe('IncidentRepository', () => {
  it('creates, merges while live, ignores duplicates, and honours the cooldown after resolution', async () => {
    const a = await repo.recordSignal(sig(), { cooldownMs: 60_000, snapshotKey: 'snap/1.jpg' });
    expect(a.outcome).toBe('created');
    expect(a.incident).toMatchObject({ state: 'open', occurrences: 1, cameraId: 'cam1', zoneId: 'Z1', snapshotKey: 'snap/1.jpg', openedAt: T });
    // Same signal again (a retried job): nothing changes.
    const dup = await repo.recordSignal(sig(), { cooldownMs: 60_000 });
    expect(dup).toMatchObject({ outcome: 'duplicate', eventId: null });
    expect(dup.incident.occurrences).toBe(1);
    // Another track, same camera/type/zone: merged.
    const b = await repo.recordSignal(sig({ trackIds: ['t2'], at: T + 5000, severity: 'critical' }), { cooldownMs: 60_000 });
    expect(b).toMatchObject({ outcome: 'merged', incident: { id: a.incident.id, occurrences: 2, lastSeenAt: T + 5000, severity: 'critical' } });
    // Another zone: its own incident.
    const z2 = await repo.recordSignal(sig({ zoneId: 'Z2', trackIds: ['t3'] }));
    expect(z2.outcome).toBe('created');
    expect(z2.incident.id).not.toBe(a.incident.id);

    await repo.acknowledge(a.incident.id, 'op1', 'looking', T + 6000);
    const merged = await repo.recordSignal(sig({ trackIds: ['t4'], at: T + 7000 }), { cooldownMs: 60_000 });
    expect(merged.incident).toMatchObject({ id: a.incident.id, occurrences: 3, state: 'acknowledged' });
    const resolved = await repo.resolve(a.incident.id, 'op2', 'moved on', T + 10_000);
    expect(resolved).toMatchObject({ state: 'resolved', resolvedBy: 'op2', resolvedAt: T + 10_000, acknowledgedBy: 'op1', note: 'moved on' });
    // Within the cooldown after resolution: re-joins the resolved incident.
    const inCooldown = await repo.recordSignal(sig({ trackIds: ['t5'], at: T + 69_999 }), { cooldownMs: 60_000 });
    expect(inCooldown).toMatchObject({ outcome: 'merged', incident: { id: a.incident.id, occurrences: 4, state: 'resolved' } });
    // After it: a new incident.
    const fresh = await repo.recordSignal(sig({ trackIds: ['t6'], at: T + 70_000 }), { cooldownMs: 60_000 });
    expect(fresh.outcome).toBe('created');
    expect(fresh.incident.id).not.toBe(a.incident.id);
    expect((await repo.get(a.incident.id))!.occurrences).toBe(4);
  });

  it('validates state transitions with IOCV_INCIDENT_STATE', async () => {
    const { incident } = await repo.recordSignal(sig({ cameraId: 'cam-t', type: 'crowding' }));
    await repo.resolve(incident.id, 'admin');
    await expect(repo.acknowledge(incident.id, 'op')).rejects.toBeInstanceOf(IncidentStateError);
    await expect(repo.resolve(incident.id, 'op')).rejects.toMatchObject({ code: 'IOCV_INCIDENT_STATE' });
    await expect(repo.acknowledge('nope', 'op')).rejects.toMatchObject({ code: 'IOCV_INCIDENT_NOT_FOUND' });
  });

  it('resolves the live incident of a key (camera back online)', async () => {
    const off = await repo.recordSignal(sig({ cameraId: 'cam-r', type: 'camera_offline', zoneId: undefined, trackIds: undefined }));
    expect(await repo.resolveLive({ cameraId: 'cam-r', type: 'camera_offline' }, 'system', 'camera back online', T + 5)).toMatchObject({
      id: off.incident.id, state: 'resolved', resolvedBy: 'system', resolvedAt: T + 5, note: 'camera back online',
    });
    expect(await repo.resolveLive({ cameraId: 'cam-r', type: 'camera_offline' }, 'system')).toBeNull();
    expect(await repo.resolveLive({ cameraId: 'cam-none', type: 'camera_offline' }, 'system')).toBeNull();
  });

  it('concurrent signals of one key make one incident', async () => {
    const n = 12;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => repo.recordSignal(sig({ cameraId: 'cam-c', type: 'zone_intrusion', trackIds: [`c${i}`], at: T + i }))),
    );
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(1);
    const list = await repo.list({ cameraIds: ['cam-c'] });
    expect(list).toHaveLength(1);
    expect(list[0]!.occurrences).toBe(n);
  });

  it('keeps an ordered event feed, resumable by id, and notifies listeners', async () => {
    const notices: IncidentEventNotice[] = [];
    const listener = await listenIncidentEvents(pool, (n) => notices.push(n));
    try {
      const start = await repo.lastEventId();
      const a = await repo.recordSignal(sig({ cameraId: 'cam-e', type: 'camera_offline', zoneId: undefined, trackIds: undefined }));
      await repo.recordSignal(sig({ cameraId: 'cam-e', type: 'camera_offline', zoneId: undefined, trackIds: undefined, at: T + 1 }));
      await repo.acknowledge(a.incident.id, 'op');
      await repo.resolve(a.incident.id, 'op');
      await repo.recordSignal(sig({ cameraId: 'cam-other', type: 'camera_offline', zoneId: undefined }));
      const events = await repo.listEventsAfter(start, 100);
      expect(events.map((e) => e.kind)).toEqual(['created', 'updated', 'acknowledged', 'resolved', 'created']);
      expect(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id)).toBe(true);
      expect(events[3]!.incident).toMatchObject({ state: 'resolved', occurrences: 2 });
      // resume after the second
      const rest = await repo.listEventsAfter(events[1]!.id, 2);
      expect(rest.map((e) => e.id)).toEqual([events[2]!.id, events[3]!.id]);
      // camera-restricted feed
      expect((await repo.listEventsAfter(start, 100, ['cam-other'])).map((e) => e.incident.cameraId)).toEqual(['cam-other']);
      await expect.poll(() => notices.length, { timeout: 5000 }).toBeGreaterThanOrEqual(5);
      expect(notices.slice(-5).map((n) => n.id)).toEqual(events.map((e) => e.id));
      expect(notices.at(-1)).toMatchObject({ cameraId: 'cam-other', kind: 'created' });
    } finally {
      await listener.close();
    }
  });

  it('lists with filters and keyset paging', async () => {
    for (let i = 0; i < 5; i++) await repo.recordSignal(sig({ cameraId: 'cam-l', zoneId: `Z${i}`, at: T + i * 1000 }));
    const page1 = await repo.list({ cameraIds: ['cam-l'], limit: 3 });
    expect(page1.map((x) => x.zoneId)).toEqual(['Z4', 'Z3', 'Z2']);
    const page2 = await repo.list({ cameraIds: ['cam-l'], limit: 3, before: { openedAt: page1[2]!.openedAt, id: page1[2]!.id } });
    expect(page2.map((x) => x.zoneId)).toEqual(['Z1', 'Z0']);
    expect(await repo.list({ cameraIds: ['cam-l'], states: ['resolved'] })).toEqual([]);
    expect((await repo.list({ types: ['crowding'] })).every((x) => x.type === 'crowding')).toBe(true);
    // Group scoping through the cameras table (migration 001).
    await pool.query("INSERT INTO cameras (id, name, url, camera_group) VALUES ('cam-l', 'L', 'rtsp://x', 'district-7'), ('cam-c', 'C', 'rtsp://y', 'district-8')");
    expect(new Set((await repo.list({ cameraGroups: ['district-7'] })).map((x) => x.cameraId))).toEqual(new Set(['cam-l']));
    expect(new Set((await repo.list({ cameraGroups: ['district-7', 'district-8'] })).map((x) => x.cameraId))).toEqual(new Set(['cam-l', 'cam-c']));
    expect(await repo.list({ cameraGroups: [] })).toEqual([]);
  });

  it('fans the feed out to live clients: catch-up from a cursor, camera filter, then live, gapless and once', async () => {
    const feed = new IncidentFeed(repo, pool, { pollIntervalMs: 200, batchSize: 3 });
    await feed.start();
    try {
      const start = feed.lastEventId;
      // History before the clients connect.
      for (let i = 0; i < 4; i++) await repo.recordSignal(sig({ cameraId: i % 2 ? 'cam-f1' : 'cam-f2', type: 'crowding', zoneId: `F${i}` }));
      const all: IncidentEvent[] = [];
      const only1: IncidentEvent[] = [];
      const fresh: IncidentEvent[] = [];
      await feed.subscribe({ afterId: start, onEvent: (e) => all.push(e) });
      await feed.subscribe({ afterId: start, cameraIds: ['cam-f1'], onEvent: (e) => only1.push(e) });
      await feed.subscribe({ onEvent: (e) => fresh.push(e) });
      expect(all).toHaveLength(4);
      expect(fresh).toHaveLength(0);
      // Live events, some concurrent.
      await Promise.all(Array.from({ length: 6 }, (_, i) => repo.recordSignal(sig({ cameraId: i % 2 ? 'cam-f1' : 'cam-f2', type: 'loitering', zoneId: `G${i}` }))));
      const expected = await repo.listEventsAfter(start, 100);
      expect(expected).toHaveLength(10);
      await expect.poll(() => all.length, { timeout: 10_000 }).toBe(10);
      expect(all.map((e) => e.id)).toEqual(expected.map((e) => e.id));
      await expect.poll(() => only1.length, { timeout: 10_000 }).toBe(5);
      expect(only1.map((e) => e.id)).toEqual(expected.filter((e) => e.incident.cameraId === 'cam-f1').map((e) => e.id));
      await expect.poll(() => fresh.length, { timeout: 10_000 }).toBe(6);
      expect(fresh.map((e) => e.id)).toEqual(expected.slice(4).map((e) => e.id));
      expect(feed.subscriberCount).toBe(3);
    } finally {
      await feed.stop();
    }
  });
});
