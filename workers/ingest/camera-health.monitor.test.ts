import { describe, expect, it } from 'vitest';
import type { CameraStatus } from '../../pipeline/domain.types.js';
import { openIncident } from '../../pipeline/incidents/incident-rules.js';
import type { Incident, IncidentSignal } from '../../pipeline/incidents/incident.types.js';
import type { IncidentRepository } from '../../storage/repositories/incident.repository.js';
import { CameraHealthMonitor, type CameraHealthMonitorOptions } from './camera-health.monitor.js';
import type { Clock } from './ingest.types.js';

/** The incident store's behaviour that matters here: one live incident per camera and type. */
class FakeIncidents implements Pick<IncidentRepository, 'recordSignal' | 'resolveLive' | 'list'> {
  readonly all: Incident[] = [];
  readonly log: string[] = [];
  failNext = 0;

  async recordSignal(signal: IncidentSignal, opts: { cooldownMs?: number } = {}) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('db down');
    }
    this.log.push(`${signal.type}:${signal.cameraId}@${signal.at}${opts.cooldownMs !== undefined ? ` cooldown=${opts.cooldownMs}` : ''}`);
    const live = this.all.find((i) => i.cameraId === signal.cameraId && i.type === signal.type && i.state !== 'resolved');
    if (live) {
      live.occurrences++;
      return { incident: live, outcome: 'merged' as const, eventId: 1 };
    }
    const incident = { ...openIncident(signal), id: `inc-${this.all.length + 1}` };
    this.all.push(incident);
    return { incident, outcome: 'created' as const, eventId: 1 };
  }

  async resolveLive(key: { cameraId: string; type: Incident['type'] }, actor: string, note?: string | null, at = 0) {
    const live = this.all.find((i) => i.cameraId === key.cameraId && i.type === key.type && i.state !== 'resolved');
    if (!live) return null;
    Object.assign(live, { state: 'resolved', resolvedBy: actor, resolvedAt: at, note: note ?? null });
    this.log.push(`resolved ${live.type}:${live.cameraId} by ${actor} (${note})`);
    return live;
  }

  async list(f: { types?: readonly string[]; states?: readonly string[] } = {}) {
    return this.all.filter((i) => (!f.types || f.types.includes(i.type)) && (!f.states || f.states.includes(i.state)));
  }
}

function setup(over: Partial<CameraHealthMonitorOptions> = {}) {
  let now = 1_000_000;
  const clock: Clock = { now: () => now, setTimeout: () => null, clearTimeout: () => undefined };
  const statuses = new Map<string, CameraStatus>();
  const incidents = new FakeIncidents();
  const leader = { leads: true, released: 0, tryAcquire: async () => leader.leads, release: async () => (leader.released++, true) };
  const cameras = ['cam1'];
  const monitor = new CameraHealthMonitor({
    leader,
    statuses: { readMany: async (ids: string[]) => new Map([...statuses].filter(([id]) => ids.includes(id))) },
    cameras: async () => cameras.map((id) => ({ id })),
    incidents,
    graceMs: 10_000,
    staleStatusMs: 6000,
    clock,
    ...over,
  });
  /** The camera's owner publishing a status now. */
  const publish = (id: string, state: CameraStatus['state'], reason: string | null = state === 'online' ? null : 'ffmpeg exited') =>
    statuses.set(id, { cameraId: id, state, reason, inputFps: 5, analysedFps: 5, droppedFrames: 0, framesTotal: 0, reconnects: 0, lastFrameAt: null, ownerId: 'h:1', updatedAt: now });
  /** Advances time by `ms` in 2 s rounds; `owner` (if given) publishes before each round, as a live owner does. */
  const run = async (ms: number, owner?: () => void) => {
    for (let t = 0; t < ms; t += 2000) {
      now += 2000;
      owner?.();
      await monitor.round();
    }
  };
  return { monitor, incidents, statuses, leader, cameras, publish, run, now: () => now };
}

describe('CameraHealthMonitor', () => {
  it('raises camera_offline after the grace period, then resolves it and records camera_online (resolved at once) on recovery', async () => {
    const t = setup();
    await t.run(4000, () => t.publish('cam1', 'online'));
    await t.run(8000, () => t.publish('cam1', 'reconnecting'));
    expect(t.incidents.log).toEqual([]); // within the grace period
    await t.run(4000, () => t.publish('cam1', 'reconnecting'));
    expect(t.incidents.log).toEqual([expect.stringMatching(/^camera_offline:cam1@\d+ cooldown=0$/)]);
    expect(t.incidents.all[0]!.details).toMatchObject({ reason: 'ffmpeg exited' });
    await t.run(20_000, () => t.publish('cam1', 'failed'));
    expect(t.incidents.log).toHaveLength(1); // once per outage
    await t.run(2000, () => t.publish('cam1', 'online'));
    expect(t.incidents.log.slice(1)).toEqual([
      'resolved camera_offline:cam1 by system (camera back online)',
      expect.stringMatching(/^camera_online:cam1@\d+ cooldown=0$/),
      'resolved camera_online:cam1 by system (informational: the camera recovered)',
    ]);
    await t.run(10_000, () => t.publish('cam1', 'online'));
    expect(t.incidents.log).toHaveLength(4); // nothing more while it stays online
  });

  it('a quick reconnect is not an incident', async () => {
    const t = setup();
    await t.run(4000, () => t.publish('cam1', 'online'));
    await t.run(6000, () => t.publish('cam1', 'reconnecting'));
    await t.run(20_000, () => t.publish('cam1', 'online'));
    expect(t.incidents.log).toEqual([]);
  });

  it('an owner that died (status no longer refreshed, then gone) makes the camera offline', async () => {
    const t = setup();
    await t.run(4000, () => t.publish('cam1', 'online'));
    // the owner dies: its last "online" stays in Redis until its TTL
    await t.run(14_000);
    expect(t.incidents.log).toEqual([]); // stale after 6 s + grace 10 s
    await t.run(4000);
    expect(t.incidents.log).toHaveLength(1);
    expect(String(t.incidents.all[0]!.details.reason)).toMatch(/^no status from h:1 for \d+ s$/);
    // the status expires: still the same outage
    t.statuses.delete('cam1');
    await t.run(10_000);
    expect(t.incidents.log).toHaveLength(1);
    // another process takes the camera over
    await t.run(2000, () => t.publish('cam1', 'online'));
    expect(t.incidents.all.find((i) => i.type === 'camera_offline')!).toMatchObject({ state: 'resolved', resolvedBy: 'system' });
  });

  it('a camera nobody reports is offline after the grace period', async () => {
    const t = setup();
    await t.run(8000);
    expect(t.incidents.log).toEqual([]);
    await t.run(4000);
    expect(t.incidents.all.map((i) => [i.type, i.details.reason])).toEqual([['camera_offline', 'no ingest process reports this camera']]);
  });

  it('only the leader acts; a new leader resolves outages raised by the previous one and does not raise them again', async () => {
    const t = setup();
    t.leader.leads = false;
    await t.run(30_000, () => t.publish('cam1', 'reconnecting'));
    expect(t.incidents.log).toEqual([]);
    expect(t.monitor.isLeader).toBe(false);
    // the previous leader had raised the outage of cam1
    await t.incidents.recordSignal({ type: 'camera_offline', severity: 'critical', cameraId: 'cam1', at: t.now(), details: {} });
    t.incidents.log.length = 0;
    t.leader.leads = true;
    await t.run(30_000, () => t.publish('cam1', 'reconnecting'));
    expect(t.monitor.isLeader).toBe(true);
    expect(t.incidents.log).toEqual([]);
    await t.run(2000, () => t.publish('cam1', 'online'));
    expect(t.incidents.log).toEqual([
      'resolved camera_offline:cam1 by system (camera back online)',
      expect.stringMatching(/^camera_online:cam1@\d+ cooldown=0$/),
      'resolved camera_online:cam1 by system (informational: the camera recovered)',
    ]);
    // a graceful stop hands leadership on at once
    await t.monitor.stop();
    expect(t.leader.released).toBe(1);
  });

  it('an outage that could not be stored is raised again next round; an operator-resolved one is not', async () => {
    const t = setup();
    await t.run(10_000, () => t.publish('cam1', 'reconnecting'));
    expect(t.incidents.log).toEqual([]);
    t.incidents.failNext = 1;
    await t.run(2000, () => t.publish('cam1', 'reconnecting'));
    expect(t.incidents.log).toEqual([]);
    await t.run(2000, () => t.publish('cam1', 'reconnecting'));
    expect(t.incidents.log).toHaveLength(1);
    // an operator resolves it while the camera is still down: not raised again for this outage
    await t.incidents.resolveLive({ cameraId: 'cam1', type: 'camera_offline' }, 'user:op', 'technician sent', t.now());
    await t.run(30_000, () => t.publish('cam1', 'reconnecting'));
    expect(t.incidents.all.filter((i) => i.type === 'camera_offline')).toHaveLength(1);
  });

  it('resolves the outage of a camera removed or disabled while offline', async () => {
    const t = setup();
    await t.run(14_000, () => t.publish('cam1', 'failed'));
    expect(t.incidents.all[0]!.state).toBe('open');
    t.cameras.length = 0;
    await t.run(2000);
    expect(t.incidents.all[0]!).toMatchObject({ state: 'resolved', resolvedBy: 'system', note: 'camera removed or disabled' });
  });

  it('stop does not hang on a round stuck on an unreachable Redis', async () => {
    const timers: Array<() => void> = [];
    const clock: Clock = { now: () => 0, setTimeout: (fn) => timers.push(fn), clearTimeout: () => undefined };
    const hung = new Promise<boolean>(() => undefined);
    const monitor = new CameraHealthMonitor({
      leader: { tryAcquire: () => hung, release: () => hung },
      statuses: { readMany: async () => new Map() },
      cameras: async () => [],
      incidents: new FakeIncidents(),
      clock,
      stopTimeoutMs: 1000,
    });
    monitor.start();
    const stopped = monitor.stop();
    // the stop timeout fires (the round never ends)
    await new Promise((r) => setImmediate(r));
    for (const fire of timers.splice(0)) fire();
    await expect(stopped).resolves.toBeUndefined();
  });
});
