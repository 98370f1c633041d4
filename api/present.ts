/** Domain records → API JSON: ISO times, no secrets, links to related resources. */
import type { CameraStatus } from '../pipeline/domain.types.js';
import type { StoredCrossing, StoredTrack } from '../storage/repositories/analytics.repository.js';
import type { CameraRecord } from '../storage/repositories/camera.repository.js';

export const iso = (ms: number): string => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : iso(ms));

/** Camera URLs often embed credentials (rtsp://user:pass@host); they never leave the server. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//***@');
  }
  if (u.password) u.password = '***';
  if (u.username && !u.password) u.username = '***';
  for (const k of [...u.searchParams.keys()]) {
    if (/pass|pwd|token|secret|key|auth/i.test(k)) u.searchParams.set(k, '***');
  }
  return u.toString();
}

export type StatusSource = 'live' | 'stored';

export function presentStatus(s: CameraStatus, source: StatusSource) {
  return {
    cameraId: s.cameraId,
    state: s.state,
    reason: s.reason,
    inputFps: s.inputFps,
    analysedFps: s.analysedFps,
    droppedFrames: s.droppedFrames,
    framesTotal: s.framesTotal,
    reconnects: s.reconnects,
    lastFrameAt: isoOrNull(s.lastFrameAt),
    ownerId: s.ownerId,
    updatedAt: iso(s.updatedAt),
    source,
  };
}

export function presentCamera(c: CameraRecord, status: ReturnType<typeof presentStatus> | null) {
  return {
    id: c.id,
    name: c.name,
    url: redactUrl(c.url),
    enabled: c.enabled,
    group: c.group,
    fps: c.fps,
    inputSize: c.inputSize,
    maxInFlightFrames: c.maxInFlightFrames,
    noFrameTimeoutMs: c.noFrameTimeoutMs,
    minScore: c.minScore,
    crossingConfirmFrames: c.crossingConfirmFrames,
    motionAssist: c.motionAssist,
    lines: c.lines,
    zones: c.zones,
    rules: c.rules ?? [],
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    status,
  };
}

export function snapshotPath(crossingId: string): string {
  return `/api/v1/crossings/${encodeURIComponent(crossingId)}/snapshot`;
}

export function presentCrossing(c: StoredCrossing) {
  return {
    id: c.id,
    cameraId: c.cameraId,
    lineId: c.lineId,
    trackId: c.trackId,
    class: c.cls,
    direction: c.direction,
    at: iso(c.at),
    frame: { epoch: c.frameEpoch, seq: c.frameSeq },
    box: c.box,
    snapshotUrl: c.snapshotKey ? snapshotPath(c.id) : null,
  };
}

export function presentTrack(t: StoredTrack, includePath: boolean) {
  return {
    id: t.id,
    cameraId: t.cameraId,
    class: t.cls,
    firstSeenAt: iso(t.firstSeenAt),
    lastSeenAt: iso(t.lastSeenAt),
    frames: t.frames,
    ended: t.ended,
    ...(includePath ? { path: t.path.map((p) => ({ t: iso(p.t), x: p.x, y: p.y })) } : {}),
  };
}
