/**
 * Live sink: every counted crossing becomes a row (idempotent, counts bumped once) with an annotated snapshot in
 * object storage; ended tracks are summarised into the tracks table.
 */
import type { Logger } from 'pino';
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { FrameDetections, TrackSummary } from '../../pipeline/domain.types.js';
import { objectKey } from '../../storage/objects/object-keys.js';
import type { ObjectStore } from '../../storage/objects/object-store.port.js';
import type { AnalyticsRepository } from '../../storage/repositories/analytics.repository.js';
import { renderSnapshot } from '../evidence/snapshot.renderer.js';
import type { FrameStore } from '../frames/frame-store.js';
import type { AnalysisSink, StageOutput } from './camera-pipeline.js';

export interface PersistingSinkDeps {
  camera: CameraConfig;
  analytics: Pick<AnalyticsRepository, 'recordCrossing' | 'upsertTracks'>;
  objects: ObjectStore;
  frames: FrameStore;
  logger: Logger;
  /** Called after a crossing was stored for the first time (live push, metrics). */
  onCrossingStored?: (crossingId: string, atMs: number) => void;
}

export class PersistingSink implements AnalysisSink {
  private pendingTracks: TrackSummary[] = [];

  constructor(private readonly d: PersistingSinkDeps) {}

  async onAnalysed(fd: FrameDetections, out: StageOutput): Promise<void> {
    for (const c of out.crossings) {
      let key: string | null = objectKey.crossingSnapshot(c);
      // The snapshot goes first: a stored crossing never points at a picture that was not written.
      try {
        const jpeg = await this.d.frames.get(fd.frameKey);
        if (!jpeg) key = null;
        else {
          const line = this.d.camera.lines.find((l) => l.id === c.lineId);
          const pic = await renderSnapshot(jpeg, fd.width, fd.height, {
            tracks: out.tracks,
            highlightTrackId: c.trackId,
            lines: line
              ? [{ id: line.id, a: { x: line.points[0][0] * fd.width, y: line.points[0][1] * fd.height }, b: { x: line.points[1][0] * fd.width, y: line.points[1][1] * fd.height } }]
              : [],
            caption: `${this.d.camera.name} · ${c.lineId} · ${c.cls} ${c.direction} · ${new Date(fd.capturedAt).toISOString().replace('T', ' ').slice(0, 19)}Z`,
          });
          await this.d.objects.put(key, pic, 'image/jpeg');
        }
      } catch (err) {
        this.d.logger.warn({ err: (err as Error).message, crossing: c.id }, 'snapshot failed; storing the crossing without it');
        key = null;
      }
      const inserted = await this.d.analytics.recordCrossing(c, key);
      if (inserted) this.d.onCrossingStored?.(c.id, fd.capturedAt);
    }
    if (out.endedTracks.length) {
      this.pendingTracks.push(...out.endedTracks);
      if (this.pendingTracks.length >= 20) await this.flushTracks();
    }
  }

  async onFinish(out: StageOutput): Promise<void> {
    this.pendingTracks.push(...out.endedTracks);
    await this.flushTracks();
  }

  async flushTracks(): Promise<void> {
    if (!this.pendingTracks.length) return;
    const batch = this.pendingTracks;
    this.pendingTracks = [];
    await this.d.analytics.upsertTracks(batch);
  }
}
