/**
 * Pure incident logic shared by every store: state transitions, dedup keys, deterministic signal ids and the
 * merge-or-create decision with a cooldown.
 */
import { createHash } from 'node:crypto';
import { IncidentStateError, type Incident, type IncidentSignal, type IncidentState } from './incident.types.js';

const TRANSITIONS: Record<IncidentState, readonly IncidentState[]> = {
  open: ['acknowledged', 'resolved'],
  acknowledged: ['resolved'],
  resolved: [],
};

/** Throws IncidentStateError (IOCV_INCIDENT_STATE) unless `from → to` is allowed. */
export function assertTransition(from: IncidentState, to: IncidentState): void {
  if (!TRANSITIONS[from].includes(to)) throw new IncidentStateError(from, to);
}

export function canTransition(from: IncidentState, to: IncidentState): boolean {
  return TRANSITIONS[from].includes(to);
}

/**
 * Dedup key: one live incident per (camera, type, zone). Camera health incidents share one key per camera so
 * that "offline" and "online" are separate streams but neither floods.
 */
export function dedupKey(signal: Pick<IncidentSignal, 'cameraId' | 'type' | 'zoneId'>): string {
  return `${signal.cameraId}|${signal.type}|${signal.zoneId ?? ''}`;
}

/**
 * Deterministic id of a signal: a retried job that re-emits the same signal (same camera, type, zone, time,
 * frame and tracks) maps to the same id, so the store can ignore it.
 */
export function signalId(signal: IncidentSignal): string {
  const tracks = [...(signal.trackIds ?? [])].sort().join(',');
  const basis = [signal.cameraId, signal.type, signal.zoneId ?? '', signal.at, signal.frameSeq ?? '', tracks].join('|');
  return createHash('sha256').update(basis).digest('hex').slice(0, 32);
}

/** Deterministic incident id derived from the first signal that opened it. */
export function incidentIdFor(signal: IncidentSignal): string {
  return `inc_${signalId(signal).slice(0, 24)}`;
}

export interface DedupOptions {
  /** After an incident of the same key is resolved, new signals within this window re-join it. @default 300000 */
  cooldownMs: number;
}

export const DEFAULT_COOLDOWN_MS = 300_000;

/**
 * Decides whether a signal joins `latest` (the most recent incident of the same dedup key, or null):
 * it joins while that incident is open or acknowledged, or within the cooldown after it was resolved.
 */
export function shouldMerge(latest: Pick<Incident, 'state' | 'resolvedAt'> | null, signal: Pick<IncidentSignal, 'at'>, opts: DedupOptions): boolean {
  if (!latest) return false;
  if (latest.state !== 'resolved') return true;
  return latest.resolvedAt !== null && signal.at - latest.resolvedAt < opts.cooldownMs;
}

const SEVERITY_RANK = { info: 0, warning: 1, critical: 2 } as const;

/** The incident after merging one more signal (severity only escalates; details keep the latest). */
export function mergeSignal(incident: Incident, signal: IncidentSignal): Incident {
  return {
    ...incident,
    lastSeenAt: Math.max(incident.lastSeenAt, signal.at),
    severity: SEVERITY_RANK[signal.severity] > SEVERITY_RANK[incident.severity] ? signal.severity : incident.severity,
    details: { ...incident.details, ...signal.details },
    occurrences: incident.occurrences + 1,
  };
}

/** A new open incident from its first signal. */
export function openIncident(signal: IncidentSignal, snapshotKey: string | null = null): Incident {
  return {
    id: incidentIdFor(signal),
    type: signal.type,
    severity: signal.severity,
    cameraId: signal.cameraId,
    zoneId: signal.zoneId ?? null,
    openedAt: signal.at,
    lastSeenAt: signal.at,
    state: 'open',
    acknowledgedBy: null,
    acknowledgedAt: null,
    resolvedBy: null,
    resolvedAt: null,
    note: null,
    snapshotKey,
    details: { ...signal.details, ...(signal.trackIds ? { trackIds: signal.trackIds } : {}) },
    occurrences: 1,
  };
}
