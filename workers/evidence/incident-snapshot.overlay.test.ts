import { describe, expect, it } from 'vitest';
import type { IncidentSignal } from '../../pipeline/incidents/incident.types.js';
import { incidentCaption, incidentOverlay } from './incident-snapshot.overlay.js';

const camera = { name: 'Ngã tư Lê Lợi', zones: [{ id: 'Z1', name: 'Vỉa hè', polygon: [[0, 0], [0.5, 0], [0.5, 1], [0, 1]] as Array<[number, number]> }, { id: 'Z2', polygon: [[0.5, 0], [1, 0], [1, 1]] as Array<[number, number]> }] };
const at = Date.UTC(2026, 10, 22, 15, 4, 5);
const sig = (over: Partial<IncidentSignal>): IncidentSignal => ({ type: 'crowding', severity: 'warning', cameraId: 'c', zoneId: 'Z1', trackIds: ['c:e:1', 'c:e:2'], at, details: {}, ...over });

describe('incident snapshot overlay', () => {
  it('captions camera, type, zone, the rule figure and UTC time', () => {
    expect(incidentCaption(camera, sig({ details: { count: 7, maxPeople: 4 } }))).toBe('Ngã tư Lê Lợi · Crowding · Vỉa hè (Z1) · 7 in zone (max 4) · 2026-11-22 15:04:05Z');
    expect(incidentCaption(camera, sig({ type: 'loitering', zoneId: 'Z2', details: { dwellSeconds: 61.2 } }))).toBe('Ngã tư Lê Lợi · Loitering · Z2 · dwell 61 s · 2026-11-22 15:04:05Z');
    expect(incidentCaption(camera, sig({ type: 'zone_intrusion', details: { classes: ['person', 'bicycle'] } }))).toContain('Zone intrusion · Vỉa hè (Z1) · person, bicycle ·');
    expect(incidentCaption(camera, sig({ type: 'camera_offline', zoneId: undefined }))).toBe('Ngã tư Lê Lợi · Camera offline · 2026-11-22 15:04:05Z');
  });

  it('outlines the zone in pixels and highlights the tracks of the signal', () => {
    const tracks = [{ trackId: 'c:e:1', cls: 'person' as const, box: { x: 1, y: 2, w: 3, h: 4 }, score: 0.9, state: 'confirmed' as const }];
    const o = incidentOverlay(camera, sig({}), { width: 640, height: 360 }, tracks);
    expect(o.zones).toEqual([{ id: 'Vỉa hè', points: [{ x: 0, y: 0 }, { x: 320, y: 0 }, { x: 320, y: 360 }, { x: 0, y: 360 }] }]);
    expect(o.highlightTrackIds).toEqual(['c:e:1', 'c:e:2']);
    expect(o.tracks).toBe(tracks);
    // a zone removed from the config since: no outline, still a picture
    expect(incidentOverlay(camera, sig({ zoneId: 'Z7' }), { width: 640, height: 360 }, []).zones).toEqual([]);
  });
});
