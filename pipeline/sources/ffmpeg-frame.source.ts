import { PassThrough } from 'node:stream';
import ffmpeg from 'fluent-ffmpeg';
import { FrameSourceError, type FrameSource, type SourceFrame } from './frame-source.port.js';
import { JpegStreamSplitter, jpegSize } from './jpeg-stream.js';

export interface FfmpegFrameSourceOptions {
  /** rtsp://, rtsps://, http(s)://, udp://, file:// or a plain file path. */
  url: string;
  /** Sampled frames per second (ffmpeg's fps filter: constant rate, frames dropped or repeated). */
  fps: number;
  /** Frames wider than this are scaled down (keeps JPEGs and the frame store small). @default 1280 */
  maxWidth?: number;
  /** Read a file at its native rate (`-re`), as a camera would deliver it. @default false */
  realtime?: boolean;
  /** Network I/O timeout: ffmpeg gives up (and exits) when the server stops answering. @default 10000 */
  ioTimeoutMs?: number;
  /** MJPEG quality, ffmpeg `-q:v` 2 (best) .. 31. @default 4 */
  jpegQuality?: number;
  /** @default 'ffmpeg' on PATH */
  ffmpegPath?: string;
}

/** Lines of ffmpeg's stderr that explain a failure better than its final "exited with code" line. */
const MEANINGFUL = /(refused|not found|404|401|403|unauthori[sz]ed|timed? ?out|no such file|invalid data|unreachable|could not|cannot|failed|error|unsupported|denied|reset by peer|end of file)/i;

function inputOptionsFor(url: string, o: Required<Omit<FfmpegFrameSourceOptions, 'ffmpegPath'>>): string[] {
  const opts = ['-hide_banner', '-nostats'];
  const us = String(o.ioTimeoutMs * 1000);
  if (/^rtsps?:\/\//i.test(url)) {
    opts.push('-rtsp_transport', 'tcp', '-timeout', us, '-fflags', 'nobuffer', '-flags', 'low_delay');
  } else if (/^https?:\/\//i.test(url)) {
    opts.push('-rw_timeout', us);
  } else if (/^(udp|srt):\/\//i.test(url)) {
    opts.push('-timeout', us);
  } else if (o.realtime) {
    opts.push('-re');
  }
  return opts;
}

/**
 * Frames from any source ffmpeg can open, sampled at `fps` and delivered as JPEG. Encoding to JPEG happens inside
 * ffmpeg (C, ~1–2 ms per 720p frame), so Node never touches raw pixels and frames travel to workers compactly.
 */
export class FfmpegFrameSource implements FrameSource {
  private readonly o: Required<Omit<FfmpegFrameSourceOptions, 'ffmpegPath'>> & { ffmpegPath?: string };
  private errorLine: string | null = null;

  constructor(opts: FfmpegFrameSourceOptions) {
    if (!(opts.fps > 0)) throw new RangeError('fps must be > 0');
    this.o = {
      maxWidth: 1280,
      realtime: false,
      ioTimeoutMs: 10_000,
      jpegQuality: 4,
      ...opts,
    };
  }

  lastError(): string | null {
    return this.errorLine;
  }

  async *frames(signal: AbortSignal): AsyncGenerator<SourceFrame> {
    const url = this.o.url.startsWith('file://') ? decodeURIComponent(new URL(this.o.url).pathname) : this.o.url;
    const cmd = ffmpeg(url)
      .inputOptions(inputOptionsFor(url, this.o))
      .outputOptions([
        '-an',
        '-vf', `fps=${this.o.fps},scale='min(iw,${this.o.maxWidth})':-2`,
        '-c:v', 'mjpeg',
        '-q:v', String(this.o.jpegQuality),
        '-f', 'image2pipe',
      ]);
    if (this.o.ffmpegPath) cmd.setFfmpegPath(this.o.ffmpegPath);

    const out = new PassThrough({ highWaterMark: 1 << 22 });
    let stderrTail: string[] = [];
    cmd.on('stderr', (line: string) => {
      const l = line.trim();
      if (!l) return;
      stderrTail = [...stderrTail.slice(-19), l];
      if (MEANINGFUL.test(l)) this.errorLine = l;
    });
    const done = new Promise<Error | null>((resolve) => {
      cmd.on('end', () => {
        out.end();
        resolve(null);
      });
      cmd.on('error', (err: Error) => {
        if (!out.writableEnded) out.end();
        resolve(err);
      });
    });
    const kill = () => cmd.kill('SIGKILL');
    if (signal.aborted) return;
    signal.addEventListener('abort', kill, { once: true });
    cmd.pipe(out, { end: true });

    const splitter = new JpegStreamSplitter();
    let index = 0;
    let size: { width: number; height: number } | null = null;
    let finished = false;
    try {
      for await (const chunk of out as AsyncIterable<Buffer>) {
        for (const jpeg of splitter.push(chunk)) {
          size ??= jpegSize(jpeg);
          if (!size) continue;
          yield {
            jpeg,
            width: size.width,
            height: size.height,
            ptsMs: Math.round((index * 1000) / this.o.fps),
            index,
            receivedAt: Date.now(),
          };
          index++;
        }
      }
      finished = true;
    } finally {
      signal.removeEventListener('abort', kill);
      // The consumer stopped early (break/throw): do not leave ffmpeg running.
      if (!finished) kill();
    }
    const err = await done;
    if (err && !signal.aborted) {
      const m = /exited with code (\d+)/.exec(err.message);
      const exitCode = m ? Number(m[1]) : null;
      const reason = this.errorLine ?? stderrTail.at(-1) ?? err.message.split('\n')[0] ?? 'ffmpeg failed';
      this.errorLine = reason;
      throw new FrameSourceError(reason, exitCode);
    }
  }
}
