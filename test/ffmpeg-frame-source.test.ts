import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FfmpegFrameSource } from '../pipeline/sources/ffmpeg-frame.source.js';
import { FrameSourceError } from '../pipeline/sources/frame-source.port.js';
import { SHARED_DATA } from './support/shared-paths.js';

describe('FfmpegFrameSource (real ffmpeg)', () => {
  it('samples a file at the requested fps as JPEG frames', async () => {
    // bgslibrary_video.avi: 640x360, about 12 s → about 60 frames at 5 fps
    const src = new FfmpegFrameSource({ url: path.join(SHARED_DATA, 'traffic', 'bgslibrary_video.avi'), fps: 5 });
    const frames = [];
    for await (const f of src.frames(new AbortController().signal)) frames.push(f);
    expect(frames.length).toBeGreaterThan(50);
    expect(frames.length).toBeLessThan(70);
    expect(frames[0]!.width).toBe(640);
    expect(frames[0]!.height).toBe(360);
    expect(frames[0]!.jpeg.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    expect(frames[10]!.ptsMs).toBe(2000);
    expect(frames.map((f) => f.index)).toEqual(frames.map((_, i) => i));
  });

  it('stops ffmpeg when aborted', async () => {
    const ac = new AbortController();
    const src = new FfmpegFrameSource({ url: path.join(SHARED_DATA, 'traffic', 'bgslibrary_video.avi'), fps: 5, realtime: true });
    let n = 0;
    for await (const _f of src.frames(ac.signal)) {
      if (++n === 3) ac.abort();
    }
    expect(n).toBe(3);
  });

  it('fails with a reason for a missing file', async () => {
    const src = new FfmpegFrameSource({ url: '/nonexistent/clip.mp4', fps: 5 });
    const run = async () => {
      for await (const _f of src.frames(new AbortController().signal)) {
        /* none */
      }
    };
    await expect(run()).rejects.toBeInstanceOf(FrameSourceError);
    expect(src.lastError()).toMatch(/No such file/i);
  });
});
