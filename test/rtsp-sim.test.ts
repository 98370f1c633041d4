import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegFrameSource } from '../pipeline/sources/ffmpeg-frame.source.js';
import type { SourceFrame } from '../pipeline/sources/frame-source.port.js';
import { RtspSimulator, probeRtsp } from '../workers/sim/rtsp-sim.js';
import { SHARED_DATA } from './support/shared-paths.js';

const CLIP_A = path.join(SHARED_DATA, 'traffic', 'intel_car-detection.mp4'); // 768x432, 12.5 fps
const CLIP_B = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video02_highway.avi'); // 320x240, 25 fps
const CLIP_SHORT = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video.avi'); // 640x360, 12.5 s

async function take(url: string, n: number, fps = 5): Promise<SourceFrame[]> {
  const src = new FfmpegFrameSource({ url, fps, ioTimeoutMs: 10_000 });
  const ac = new AbortController();
  const frames: SourceFrame[] = [];
  for await (const f of src.frames(ac.signal)) {
    frames.push(f);
    if (frames.length >= n) ac.abort();
  }
  return frames;
}

describe('RtspSimulator (GStreamer RTSP server + ffmpeg feeders, real footage)', () => {
  let sim: RtspSimulator;

  beforeAll(async () => {
    sim = await RtspSimulator.start({
      cameras: [
        { name: 'intel', file: CLIP_A },
        { name: 'highway', file: CLIP_B },
        // Live x264 encode instead of the pre-encoded replay: both feeder modes are exercised.
        { name: 'scaled', file: CLIP_A, width: 384, fps: 10, encodeOnce: false },
        { name: 'short', file: CLIP_SHORT },
      ],
    });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('serves mounts to concurrent TCP clients at about real time, looping without stalls', async () => {
    expect(sim.url('intel')).toBe(`rtsp://127.0.0.1:${sim.port}/intel`);
    const t0 = Date.now();
    // 'short' is a 12.5 s clip: 70 frames at 5 fps cross at least one loop boundary.
    const [a, b, c, [scaled]] = await Promise.all([
      take(sim.url('intel'), 25),
      take(sim.url('highway'), 25),
      take(sim.url('short'), 70),
      take(sim.url('scaled'), 1),
    ]);
    expect([scaled!.width, scaled!.height]).toEqual([384, 216]); // re-scaled, live x264 feeder
    expect(c).toHaveLength(70);
    expect([c[0]!.width, c[0]!.height]).toEqual([640, 360]);
    const gaps = c.slice(1).map((f, i) => f.receivedAt - c[i]!.receivedAt);
    console.log(`rtsp-sim: looping clip, 69 intervals in ${c.at(-1)!.receivedAt - c[0]!.receivedAt} ms, largest gap ${Math.max(...gaps)} ms`);
    // A stall at the loop boundary would show as a gap of seconds (200 ms is nominal; generous bound for a busy box).
    expect(Math.max(...gaps)).toBeLessThan(3000);
    expect(a).toHaveLength(25);
    expect(b).toHaveLength(25);
    expect([a[0]!.width, a[0]!.height]).toEqual([768, 432]);
    expect([b[0]!.width, b[0]!.height]).toEqual([320, 240]);
    // The feeders replay with -re: 24 intervals at 5 fps cannot arrive much faster than 4.8 s of stream time.
    // (Only the "too fast" side is checked: a loaded machine may be slower, never faster.)
    for (const frames of [a, b]) {
      const spanMs = frames.at(-1)!.receivedAt - frames[0]!.receivedAt;
      console.log(`rtsp-sim: 24 frame intervals at 5 fps in ${spanMs} ms (stream time 4800 ms), total ${Date.now() - t0} ms`);
      expect(spanMs).toBeGreaterThan(4800 / 1.5);
    }
  });

  it('answers 404 for an unknown mount and refuses on a closed port', async () => {
    const missing = await probeRtsp(`rtsp://127.0.0.1:${sim.port}/nope`);
    expect(missing.ok).toBe(false);
    expect(missing.error).toMatch(/404/);
    expect(() => sim.url('nope')).toThrow(/unknown/);
  });

  it('restarts the server on the same port, and a feeder independently', async () => {
    const port = sim.port;
    await sim.stopServer();
    const down = await probeRtsp(sim.url('intel'), { timeoutMs: 3000 });
    expect(down.ok).toBe(false);
    expect(down.error).toMatch(/refused/i);
    await sim.startServer();
    expect(sim.port).toBe(port);
    expect((await take(sim.url('intel'), 2)).length).toBe(2);

    // Stopping one feeder leaves the other cameras serving; restarting it brings its mount back.
    await sim.stopFeeder('highway');
    expect((await probeRtsp(sim.url('intel'))).ok).toBe(true);
    await sim.startFeeder('highway'); // resolves once the mount serves again (probed)
    expect((await probeRtsp(sim.url('highway'))).info).toBe('h264 320x240');

    // A feeder that dies on its own (crash) is respawned.
    const pid = sim.feederPid('short')!;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    while (!(sim.feederPid('short') && sim.feederPid('short') !== pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(sim.feederPid('short')).not.toBe(pid);
    const back = await (async () => {
      for (let i = 0; i < 50; i++) {
        const r = await probeRtsp(sim.url('short'));
        if (r.ok) return r;
        await new Promise((res) => setTimeout(res, 300));
      }
      return null;
    })();
    expect(back?.info).toBe('h264 640x360');
  });
});
