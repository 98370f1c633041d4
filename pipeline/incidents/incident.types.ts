/**
 * Incidents: live flags raised by rules (zones, camera health) that operators acknowledge and resolve.
 * A rule emits an `IncidentSignal`; the incident store turns signals into deduplicated `Incident`s.
 */

export const INCIDENT_TYPES = ['zone_intrusion', 'loitering', 'crowding', 'camera_offline', 'camera_online'] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export const INCIDENT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export const INCIDENT_STATES = ['open', 'acknowledged', 'resolved'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/** What a rule emits; it carries no identity of the incident it will join (the store decides). */
export interface IncidentSignal {
  type: IncidentType;
  severity: IncidentSeverity;
  cameraId: string;
  zoneId?: string;
  trackIds?: string[];
  /** Time of the frame (or status change) that raised the signal, epoch ms. */
  at: number;
  frameSeq?: number;
  /** Rule-specific facts (dwell seconds, people count, rule id, ...); stored as JSON. */
  details: Record<string, unknown>;
}

export interface Incident {
  id: string;
  type: IncidentType;
  severity: IncidentSeverity;
  cameraId: string;
  zoneId: string | null;
  /** epoch ms */
  openedAt: number;
  /** epoch ms of the latest signal merged into this incident */
  lastSeenAt: number;
  state: IncidentState;
  acknowledgedBy: string | null;
  acknowledgedAt: number | null;
  resolvedBy: string | null;
  resolvedAt: number | null;
  note: string | null;
  snapshotKey: string | null;
  details: Record<string, unknown>;
  /** Number of signals merged into this incident (1 when created). */
  occurrences: number;
}

export const INCIDENT_EVENT_KINDS = ['created', 'updated', 'acknowledged', 'resolved'] as const;
export type IncidentEventKind = (typeof INCIDENT_EVENT_KINDS)[number];

/** One entry of the live feed; `id` grows monotonically so clients resume with "after id". */
export interface IncidentEvent {
  id: number;
  incidentId: string;
  kind: IncidentEventKind;
  /** epoch ms */
  at: number;
  /** The incident as it was right after this event. */
  incident: Incident;
}

/** Invalid incident state change (e.g. resolved → acknowledged). */
export class IncidentStateError extends Error {
  readonly code = 'IOCV_INCIDENT_STATE';
  constructor(
    readonly from: IncidentState,
    readonly to: IncidentState,
  ) {
    super(`incident cannot go from ${from} to ${to}`);
    this.name = 'IncidentStateError';
  }
}

/** Unknown incident id. */
export class IncidentNotFoundError extends Error {
  readonly code = 'IOCV_INCIDENT_NOT_FOUND';
  constructor(readonly incidentId: string) {
    super(`incident ${incidentId} not found`);
    this.name = 'IncidentNotFoundError';
  }
}
