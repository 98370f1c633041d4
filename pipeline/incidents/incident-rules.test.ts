import { describe, expect, it } from 'vitest';
import type { CameraStatus } from '../domain.types.js';
import { CameraHealthRule } from './camera-health.rule.js';
import { assertTransition, dedupKey, mergeSignal, openIncident, shouldMerge, signalId } from './incident-rules.js';
import { IncidentStateError, type IncidentSignal } from './incident.types.js';

const sig = (over: Partial<IncidentSignal> = {}): IncidentSignal => ({
  type: 'loitering',
  severity: 'warning',
  cameraId: 'cam1',
  zoneId: 'Z1',
  trackIds: ['t2', 't1'],
  at: 1000,
  frameSeq: 10,
  details: { dwellSeconds: 60 },
  ...over,
});

describe('incident rules', () => {
  it('validates state transitions with a coded error', () => {
    assertTransition('open', 'acknowledged');
    assertTransition('open', 'resolved');
    assertTransition('acknowledged', 'resolved');
    for (const [from, to] of [['resolved', 'open'], ['resolved', 'acknowledged'], ['acknowledged', 'open'], ['open', 'open'], ['resolved', 'resolved']] as const) {
      try {
        assertTransition(from, to);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(IncidentStateError);
        expect((err as IncidentStateError).code).toBe('IOCV_INCIDENT_STATE');
      }
    }
  });
  it('signal ids are deterministic and independent of track order', () => {
    expect(signalId(sig())).toBe(signalId(sig({ trackIds: ['t1', 't2'] })));
    expect(signalId(sig())).not.toBe(signalId(sig({ at: 1001 })));
    expect(dedupKey(sig())).toBe('cam1|loitering|Z1');
    expect(dedupKey(sig({ zoneId: undefined, type: 'camera_offline' }))).toBe('cam1|camera_offline|');
  });
  it('merges while open or within the cooldown after resolution', () => {
    const opts = { cooldownMs: 60_000 };
    expect(shouldMerge(null, sig(), opts)).toBe(false);
    expect(shouldMerge({ state: 'open', resolvedAt: null }, sig({ at: 10_000_000 }), opts)).toBe(true);
    expect(shouldMerge({ state: 'acknowledged', resolvedAt: null }, sig(), opts)).toBe(true);
    expect(shouldMerge({ state: 'resolved', resolvedAt: 1000 }, sig({ at: 60_999 }), opts)).toBe(true);
    expect(shouldMerge({ state: 'resolved', resolvedAt: 1000 }, sig({ at: 61_000 }), opts)).toBe(false);
    const inc = openIncident(sig());
    expect(inc).toMatchObject({ state: 'open', occurrences: 1, openedAt: 1000, lastSeenAt: 1000, zoneId: 'Z1' });
    const merged = mergeSignal(inc, sig({ at: 5000, severity: 'critical', details: { dwellSeconds: 90 } }));
    expect(merged).toMatchObject({ occurrences: 2, lastSeenAt: 5000, severity: 'critical', openedAt: 1000 });
    expect(merged.details.dwellSeconds).toBe(90);
    expect(mergeSignal(merged, sig({ at: 3000, severity: 'info' }))).toMatchObject({ lastSeenAt: 5000, severity: 'critical', occurrences: 3 });
  });
});

describe('CameraHealthRule', () => {
  const st = (state: CameraStatus['state'], updatedAt: number): CameraStatus => ({
    cameraId: 'cam1', state, reason: state === 'online' ? null : 'ffmpeg exited', inputFps: 5, analysedFps: 5,
    droppedFrames: 0, framesTotal: 0, reconnects: 0, lastFrameAt: null, ownerId: 'h:1', updatedAt,
  });
  it('offline only after the grace period, online after an offline', () => {
    const rule = new CameraHealthRule({ graceMs: 10_000 });
    expect(rule.update(st('online', 0))).toEqual([]);
    expect(rule.update(st('reconnecting', 1000))).toEqual([]);
    expect(rule.update(st('online', 5000))).toEqual([]); // quick reconnect: nothing
    expect(rule.update(st('reconnecting', 6000))).toEqual([]);
    expect(rule.tick(15_999)).toEqual([]);
    const off = rule.tick(16_000);
    expect(off).toEqual([{ type: 'camera_offline', severity: 'critical', cameraId: 'cam1', at: 16_000, details: { downSince: 6000, reason: 'ffmpeg exited' } }]);
    expect(rule.update(st('failed', 17_000))).toEqual([]); // reported once
    expect(rule.update(st('online', 20_000))).toMatchObject([{ type: 'camera_online', at: 20_000 }]);
    expect(rule.update(st('online', 21_000))).toEqual([]);
  });
  it('takes over a reported outage from an earlier instance, and re-emits one that could not be stored', () => {
    const rule = new CameraHealthRule({ graceMs: 10_000 });
    // an earlier instance raised camera_offline: this one reports the recovery only
    rule.setOfflineReported('cam1', true);
    expect(rule.cameraIds()).toEqual(['cam1']);
    expect(rule.update(st('reconnecting', 0))).toEqual([]);
    expect(rule.tick(60_000)).toEqual([]);
    expect(rule.update(st('online', 61_000))).toMatchObject([{ type: 'camera_online' }]);
    expect(rule.isOfflineReported('cam1')).toBe(false);
    // emitted but not stored: flagged back, emitted again on the next check of the same outage
    rule.update(st('failed', 70_000));
    expect(rule.tick(80_000)).toMatchObject([{ type: 'camera_offline', details: { downSince: 70_000 } }]);
    rule.setOfflineReported('cam1', false);
    expect(rule.tick(82_000)).toMatchObject([{ type: 'camera_offline', details: { downSince: 70_000 } }]);
  });
});
