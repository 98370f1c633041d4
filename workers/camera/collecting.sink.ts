import type { FrameDetections, LineCrossing, ObjectClass, TrackSummary } from '../../pipeline/domain.types.js';
import type { AnalysisSink, StageOutput } from './camera-pipeline.js';

export interface LineTotals {
  id: string;
  total: number;
  byClass: Partial<Record<ObjectClass, number>>;
  byDirection: { forward: number; backward: number };
}

/** Keeps everything in memory: what offline analysis reports. */
export class CollectingSink implements AnalysisSink {
  readonly crossings: LineCrossing[] = [];
  readonly endedTracks: TrackSummary[] = [];
  private readonly trackIds = new Set<string>();
  framesAnalysed = 0;
  lastPtsMs = 0;

  constructor(private readonly onFrame?: (fd: FrameDetections, out: StageOutput) => void) {}

  async onAnalysed(fd: FrameDetections, out: StageOutput): Promise<void> {
    this.framesAnalysed++;
    this.lastPtsMs = Math.max(this.lastPtsMs, fd.ptsMs);
    this.collect(out);
    this.onFrame?.(fd, out);
  }

  async onFinish(out: StageOutput): Promise<void> {
    this.collect(out);
  }

  private collect(out: StageOutput): void {
    this.crossings.push(...out.crossings);
    this.endedTracks.push(...out.endedTracks);
    for (const t of out.tracks) if (t.state === 'confirmed') this.trackIds.add(t.trackId);
  }

  /** Confirmed tracks seen. */
  get trackCount(): number {
    return this.trackIds.size;
  }

  lineTotals(lineIds: string[]): LineTotals[] {
    return lineIds.map((id) => {
      const mine = this.crossings.filter((c) => c.lineId === id);
      const byClass: Partial<Record<ObjectClass, number>> = {};
      for (const c of mine) byClass[c.cls] = (byClass[c.cls] ?? 0) + 1;
      return {
        id,
        total: mine.length,
        byClass,
        byDirection: {
          forward: mine.filter((c) => c.direction === 'forward').length,
          backward: mine.filter((c) => c.direction === 'backward').length,
        },
      };
    });
  }
}
