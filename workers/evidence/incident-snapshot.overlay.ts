/**
 * What an incident's evidence picture shows: the zone of the rule outlined, every track of the frame with the ones
 * the rule counted highlighted, and a caption an operator can read without opening the incident (camera, what,
 * where, the rule's figure, UTC time). Pure: the sink renders it with snapshot.renderer.ts.
 */
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { TrackedObject } from '../../pipeline/domain.types.js';
import type { IncidentSignal, IncidentType } from '../../pipeline/incidents/incident.types.js';
import { polygonToPixels } from '../../pipeline/zones/zone-geometry.js';
import type { SnapshotOverlay } from './snapshot.renderer.js';

/** English labels, as on the dashboard (operators also see the Vietnamese one there). */
export const INCIDENT_LABELS: Record<IncidentType, string> = {
  zone_intrusion: 'Zone intrusion',
  loitering: 'Loitering',
  crowding: 'Crowding',
  camera_offline: 'Camera offline',
  camera_online: 'Camera back online',
};

/** The rule's own figure, when it has one (people counted, dwell time). */
function figure(signal: IncidentSignal): string | null {
  const d = signal.details;
  if (signal.type === 'crowding' && typeof d.count === 'number') {
    return `${d.count} in zone (max ${typeof d.maxPeople === 'number' ? d.maxPeople : '?'})`;
  }
  if (signal.type === 'loitering' && typeof d.dwellSeconds === 'number') return `dwell ${Math.round(d.dwellSeconds)} s`;
  if (signal.type === 'zone_intrusion' && Array.isArray(d.classes)) return d.classes.join(', ');
  return null;
}

export function incidentCaption(camera: Pick<CameraConfig, 'name' | 'zones'>, signal: IncidentSignal): string {
  const zone = signal.zoneId ? camera.zones.find((z) => z.id === signal.zoneId) : undefined;
  const parts = [camera.name, INCIDENT_LABELS[signal.type]];
  if (signal.zoneId) parts.push(zone?.name ? `${zone.name} (${signal.zoneId})` : signal.zoneId);
  const f = figure(signal);
  if (f) parts.push(f);
  parts.push(`${new Date(signal.at).toISOString().replace('T', ' ').slice(0, 19)}Z`);
  return parts.join(' · ');
}

/** The overlay for a signal raised on a frame of `width` × `height` pixels showing `tracks`. */
export function incidentOverlay(
  camera: Pick<CameraConfig, 'name' | 'zones'>,
  signal: IncidentSignal,
  frame: { width: number; height: number },
  tracks: TrackedObject[],
): SnapshotOverlay {
  const zone = signal.zoneId ? camera.zones.find((z) => z.id === signal.zoneId) : undefined;
  return {
    tracks,
    highlightTrackIds: signal.trackIds ?? [],
    zones: zone ? [{ id: zone.name ?? zone.id, points: polygonToPixels(zone.polygon, frame.width, frame.height) }] : [],
    caption: incidentCaption(camera, signal),
  };
}
