/** A sampled frame as it leaves the capture stage: JPEG bytes plus timing. */
export interface SourceFrame {
  jpeg: Buffer;
  width: number;
  height: number;
  /** Presentation time from the first sampled frame of this connection, ms (index / fps). */
  ptsMs: number;
  /** 0-based index of the sampled frame within this connection. */
  index: number;
  /** Wall-clock epoch ms when the frame reached Node. */
  receivedAt: number;
}

/**
 * Where frames come from: a camera (RTSP) or a file, through the same interface so offline and live analysis share
 * one code path. The iterable ends when the source ends or disconnects (ffmpeg exits 0 when an RTSP server dies).
 */
export interface FrameSource {
  frames(signal: AbortSignal): AsyncIterable<SourceFrame>;
  /** The last meaningful error line of the underlying decoder, for status reasons. */
  lastError(): string | null;
}

/** The source could not be opened or failed (non-zero exit). `reason` is a short human-readable cause. */
export class FrameSourceError extends Error {
  readonly code = 'IOCV_SOURCE_FAILED';
  constructor(
    readonly reason: string,
    readonly exitCode: number | null,
  ) {
    super(reason);
    this.name = 'FrameSourceError';
  }
}
