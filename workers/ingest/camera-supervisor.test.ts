import { describe, expect, it } from 'vitest';
import { parseCamerasConfig } from '../../pipeline/config/camera-config.js';
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { CameraStatus } from '../../pipeline/domain.types.js';
import { FrameSourceError, type FrameSource, type SourceFrame } from '../../pipeline/sources/frame-source.port.js';
import { Backoff } from './backoff.js';
import { CameraSupervisor } from './camera-supervisor.js';
import { classifyReason, cleanReason, urlProblem } from './failure-reason.js';
import type { Clock } from './ingest.types.js';

/** Timers that fire only when the test advances time. */
class ManualClock implements Clock {
  t = 1_000_000;
  private timers: Array<{ id: number; at: number; fn: () => void }> = [];
  private nextId = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers = this.timers.filter((x) => x.id !== h);
  };
  /** Pending timer delays from now, sorted. */
  pending(): number[] {
    return this.timers.map((x) => x.at - this.t).sort((a, b) => a - b);
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = Math.max(this.t, end);
    await flush();
  }
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

type Step =
  | { kind: 'frames'; n: number; then: 'end' | 'hang' | { fail: string }; everyMs?: number }
  | { kind: 'fail'; reason: string }
  | { kind: 'hang' };

/** A source whose successive connections follow a script; frames come one per test `advance`. */
class ScriptedSource {
  connections = 0;
  aborted = 0;
  constructor(
    private readonly script: Step[],
    private readonly clock: ManualClock,
  ) {}
  factory = (): FrameSource => {
    const step = this.script[Math.min(this.connections, this.script.length - 1)]!;
    this.connections++;
    let last: string | null = null;
    const onAbort = () => this.aborted++;
    const clock = this.clock;
    return {
      lastError: () => last,
      async *frames(signal: AbortSignal): AsyncGenerator<SourceFrame> {
        const hang = () =>
          new Promise<void>((r) => {
            if (signal.aborted) r();
            signal.addEventListener('abort', () => r(), { once: true });
          });
        try {
          if (step.kind === 'fail') {
            last = step.reason;
            throw new FrameSourceError(step.reason, 1);
          }
          if (step.kind === 'hang') return await hang();
          for (let i = 0; i < step.n; i++) {
            if (signal.aborted) return;
            // Time passes between frames (timers are not fired: the watchdog is re-armed per frame anyway).
            if (step.everyMs) clock.t += step.everyMs;
            yield { jpeg: Buffer.from([0xff, 0xd8]), width: 4, height: 4, ptsMs: i * 200, index: i, receivedAt: clock.now() };
          }
          if (step.then === 'hang') return await hang();
          if (step.then !== 'end') {
            last = step.then.fail;
            throw new FrameSourceError(step.then.fail, 1);
          }
        } finally {
          if (signal.aborted) onAbort();
        }
      },
    };
  };
}

const camera = (over: Partial<CameraConfig> = {}): CameraConfig => {
  const [c] = parseCamerasConfig({ cameras: [{ id: 'cam1', url: 'rtsp://127.0.0.1:8554/cam1' }] }, 'test');
  return { ...c!, ...over };
};

function setup(script: Step[], over: Partial<CameraConfig> = {}, opts: { healthyResetMs?: number } = {}) {
  const clock = new ManualClock();
  const src = new ScriptedSource(script, clock);
  const statuses: CameraStatus[] = [];
  const frames: SourceFrame[] = [];
  const sup = new CameraSupervisor({
    camera: camera(over),
    source: src.factory,
    onFrame: (f) => void frames.push(f),
    onStatus: (s) => statuses.push(s),
    clock,
    ownerId: 'test:1',
    backoff: { initialMs: 500, maxMs: 4000, jitter: 0 },
    statusIntervalMs: 1e9,
    ...opts,
  });
  return { clock, src, statuses, frames, sup };
}

describe('CameraSupervisor', () => {
  it('goes online, and reconnects with growing delays when the stream ends (ffmpeg exit 0)', async () => {
    const { clock, src, statuses, frames, sup } = setup([
      { kind: 'frames', n: 3, then: 'end' },
      { kind: 'fail', reason: '[tcp @ 0x55d1] Connection to tcp://127.0.0.1:8554?timeout=0 failed: Connection refused' },
      { kind: 'fail', reason: 'Connection to tcp://127.0.0.1:8554 failed: Connection refused' },
      { kind: 'frames', n: 2, then: 'hang' },
    ]);
    sup.start();
    await clock.advance(0);
    expect(frames).toHaveLength(3);
    expect(statuses.map((s) => s.state)).toEqual(['starting', 'online', 'reconnecting']);
    expect(sup.status()).toMatchObject({ state: 'reconnecting', reason: 'stream ended', framesTotal: 3, reconnects: 0 });
    expect(clock.pending()[0]).toBe(500);

    await clock.advance(500); // attempt 2: refused
    expect(sup.status()).toMatchObject({ state: 'reconnecting', reconnects: 1 });
    expect(sup.status().reason).toBe('Connection to tcp://127.0.0.1:8554?timeout=0 failed: Connection refused');
    expect(clock.pending()[0]).toBe(1000);
    await clock.advance(1000); // attempt 3: refused
    expect(clock.pending()[0]).toBe(2000);
    await clock.advance(2000); // attempt 4: frames flow again
    expect(src.connections).toBe(4);
    expect(sup.status()).toMatchObject({ state: 'online', reason: null, framesTotal: 5, reconnects: 3, ownerId: 'test:1' });
    expect(sup.status().lastFrameAt).toBe(clock.now());
    await sup.stop();
    expect(src.aborted).toBeGreaterThanOrEqual(1);
  });

  it('kills a silent connection after noFrameTimeoutMs and says so', async () => {
    const { clock, src, sup } = setup([{ kind: 'frames', n: 1, then: 'hang' }, { kind: 'hang' }], { noFrameTimeoutMs: 3000 });
    sup.start();
    await clock.advance(0);
    expect(sup.status().state).toBe('online');
    await clock.advance(2999);
    expect(sup.status().state).toBe('online');
    await clock.advance(1);
    expect(src.aborted).toBe(1);
    expect(sup.status()).toMatchObject({ state: 'reconnecting', reason: 'no frame for 3000 ms' });
    // A connection that never yields a frame is killed too, after the (longer) first-frame timeout.
    await clock.advance(500 + 3000);
    expect(src.connections).toBe(2);
    expect(src.aborted).toBe(1);
    await clock.advance(15_000 - 3000);
    expect(src.aborted).toBe(2);
    expect(sup.status().reason).toBe('no frame within 15000 ms of connecting');
    await sup.stop();
  });

  it('marks a camera failed after repeated permanent errors, keeps retrying slowly, recovers', async () => {
    const notFound = 'rtsp://user:secret@127.0.0.1:8554/nope: Server returned 404 Not Found';
    const { clock, src, sup, statuses } = setup([
      { kind: 'fail', reason: notFound },
      { kind: 'fail', reason: notFound },
      { kind: 'fail', reason: notFound },
      { kind: 'fail', reason: notFound },
      { kind: 'frames', n: 1, then: 'hang' },
    ]);
    sup.start();
    await clock.advance(0);
    expect(sup.status().state).toBe('reconnecting');
    await clock.advance(500);
    expect(sup.status().state).toBe('reconnecting');
    await clock.advance(1000);
    expect(sup.status()).toMatchObject({ state: 'failed', reason: 'rtsp://***@127.0.0.1:8554/nope: Server returned 404 Not Found' });
    expect(statuses.every((s) => !s.reason?.includes('secret'))).toBe(true);
    expect(clock.pending()[0]).toBe(60_000);
    await clock.advance(60_000);
    expect(src.connections).toBe(4);
    expect(sup.status().state).toBe('failed');
    await clock.advance(60_000);
    expect(sup.status()).toMatchObject({ state: 'online', reason: null });
    await sup.stop();
  });

  it('fails at once, without opening the source, for a URL that can never work', async () => {
    for (const url of ['ftp://cam.example/stream', 'camera-7', 'rtsp://:8554/x']) {
      const { clock, src, sup } = setup([{ kind: 'hang' }], { url });
      sup.start();
      await clock.advance(100_000);
      expect(src.connections).toBe(0);
      expect(sup.status().state).toBe('failed');
      expect(sup.status().reason).toMatch(/unsupported URL scheme|malformed URL/);
      await sup.stop();
    }
  });

  it('resets the backoff after a healthy period, not after a short one', async () => {
    const refused = { kind: 'fail', reason: 'Connection refused' } as const;
    for (const [n, expected] of [[40, 500], [3, 2000]] as const) {
      const { clock, sup } = setup([refused, refused, { kind: 'frames', n, then: 'end', everyMs: 1000 }, refused]);
      sup.start();
      await clock.advance(0); // refused → 500
      await clock.advance(500); // refused → 1000
      await clock.advance(1000); // n frames over n seconds, then the stream ends
      expect(sup.status().reason).toBe('stream ended');
      expect(clock.pending()[0]).toBe(expected);
      await sup.stop();
    }
    const b = new Backoff({ initialMs: 500, maxMs: 4000, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([500, 1000, 2000, 4000, 4000]);
    b.reset();
    expect(b.next()).toBe(500);
    const j = new Backoff({ initialMs: 1000, jitter: 0.5, random: () => 0.5 });
    expect(j.next()).toBe(750);
  });

  it('stop() cancels a pending reconnect and resolves', async () => {
    const { clock, src, sup } = setup([{ kind: 'fail', reason: 'Connection refused' }]);
    sup.start();
    await clock.advance(0);
    expect(clock.pending().length).toBeGreaterThan(0);
    await sup.stop();
    await clock.advance(100_000);
    expect(src.connections).toBe(1);
  });

  it('keeps the connection when the frame handler throws', async () => {
    const clock = new ManualClock();
    const src = new ScriptedSource([{ kind: 'frames', n: 4, then: 'hang' }], clock);
    let calls = 0;
    const sup = new CameraSupervisor({
      camera: camera(),
      source: src.factory,
      onFrame: () => {
        calls++;
        if (calls === 2) throw new Error('store down');
      },
      clock,
    });
    sup.start();
    await clock.advance(0);
    expect(calls).toBe(4);
    expect(sup.frameErrorCount).toBe(1);
    expect(sup.status()).toMatchObject({ state: 'online', framesTotal: 4 });
    sup.patchStatus({ droppedFrames: 7, analysedFps: 4.5 });
    expect(sup.status()).toMatchObject({ droppedFrames: 7, analysedFps: 4.5 });
    await sup.stop();
  });

  it('reports input fps over the window and decays to 0 when frames stop', async () => {
    const clock = new ManualClock();
    let push: ((f: SourceFrame) => void) | null = null;
    const queue: SourceFrame[] = [];
    const src: FrameSource = {
      lastError: () => null,
      async *frames(signal) {
        while (!signal.aborted) {
          const f = queue.shift();
          if (f) yield f;
          else await new Promise<void>((r) => {
            push = (x) => { queue.push(x); r(); };
            signal.addEventListener('abort', () => r(), { once: true });
          });
        }
      },
    };
    const sup = new CameraSupervisor({ camera: camera({ noFrameTimeoutMs: 60_000 }), source: () => src, onFrame: () => undefined, clock, fpsWindowMs: 5000 });
    sup.start();
    for (let i = 0; i < 50; i++) {
      await clock.advance(200);
      push!({ jpeg: Buffer.alloc(2), width: 1, height: 1, ptsMs: i * 200, index: i, receivedAt: clock.now() });
    }
    await clock.advance(0);
    expect(sup.status().inputFps).toBeCloseTo(5, 0);
    await clock.advance(6000);
    expect(sup.status().inputFps).toBe(0);
    await sup.stop();
  });

  it('disabled cameras do not connect', async () => {
    const { clock, src, sup } = setup([{ kind: 'hang' }], { enabled: false });
    sup.start();
    await clock.advance(10_000);
    expect(src.connections).toBe(0);
    expect(sup.status().state).toBe('disabled');
    await sup.stop();
  });
});

describe('failure reasons', () => {
  it('classifies permanent and transient errors', () => {
    expect(classifyReason('rtsp://h/x: Server returned 404 Not Found')).toBe('permanent');
    expect(classifyReason('method DESCRIBE failed: 401 Unauthorized')).toBe('permanent');
    expect(classifyReason('/no/file.mp4: No such file or directory')).toBe('permanent');
    expect(classifyReason('Connection to tcp://127.0.0.1:1 failed: Connection refused')).toBe('transient');
    expect(classifyReason('method DESCRIBE failed: 503 Service Unavailable')).toBe('transient');
    expect(classifyReason('no frame for 10000 ms')).toBe('transient');
  });

  it('checks URLs', () => {
    expect(urlProblem('rtsp://10.0.0.5:554/Streaming/Channels/101')).toBeNull();
    expect(urlProblem('rtsp://admin:pa%40ss@cam.local/live')).toBeNull();
    expect(urlProblem('/data/clip.mp4')).toBeNull();
    expect(urlProblem('file:///data/clip.mp4')).toBeNull();
    expect(urlProblem('rtmp://x/y')).toMatch(/unsupported URL scheme "rtmp:"/);
    expect(urlProblem('rtsp://')).toMatch(/malformed/);
    expect(urlProblem('rtsp://host:/x')).toMatch(/empty port/);
  });

  it('cleans ffmpeg lines', () => {
    expect(cleanReason('[rtsp @ 0x5633c1a0] method DESCRIBE failed: 404 Not Found')).toBe('method DESCRIBE failed: 404 Not Found');
    expect(cleanReason('rtsp://admin:hunter2@10.0.0.5/live: Connection refused')).toBe('rtsp://***@10.0.0.5/live: Connection refused');
    expect(cleanReason('')).toBeNull();
    expect(cleanReason('x'.repeat(500))!.length).toBe(300);
  });
});
