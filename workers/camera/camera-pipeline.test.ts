import { describe, expect, it } from 'vitest';
import { parseCameraConfig } from '../../pipeline/config/camera-config.js';
import type { FrameDetections } from '../../pipeline/domain.types.js';
import type { SourceFrame } from '../../pipeline/sources/frame-source.port.js';
import { MemoryFrameStore } from '../frames/frame-store.js';
import type { FrameQueue } from '../queues/frame-queue.js';
import type { DetectFramePayload } from '../queues/job-registry.js';
import { MemoryResultChannel } from '../results/result-channel.js';
import { CameraPipeline, type AnalysisSink, type AnalysisStage, type StageOutput } from './camera-pipeline.js';

const EMPTY: StageOutput = { tracks: [], crossings: [], endedTracks: [] };

/** A queue that holds jobs until the test answers them, in any order: stands in for parallel workers. */
class ManualQueue implements FrameQueue {
  waiting: DetectFramePayload[] = [];
  taken: DetectFramePayload[] = [];
  failNext = false;
  async add(p: DetectFramePayload) {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('redis down');
    }
    this.waiting.push(p);
  }
  take(n: number) {
    const t = this.waiting.splice(0, n);
    this.taken.push(...t);
    return t;
  }
  async close() {}
}

function setup(policy: 'wait' | 'drop-oldest', maxInFlightFrames = 4) {
  const camera = parseCameraConfig({ id: 'cam', url: 'rtsp://127.0.0.1/x', maxInFlightFrames, motionAssist: false });
  const channel = new MemoryResultChannel();
  const queue = new ManualQueue();
  const seen: number[] = [];
  const stage: AnalysisStage = {
    process: (fd) => {
      seen.push(fd.seq);
      return EMPTY;
    },
    finish: () => EMPTY,
  };
  const sink: AnalysisSink = { onAnalysed: async () => undefined, onFinish: async () => undefined };
  let t = 1000;
  const pipeline = new CameraPipeline({
    camera,
    epoch: 'e1',
    frames: new MemoryFrameStore(),
    queue,
    results: channel,
    stage,
    sink,
    policy,
    gapTimeoutMs: 5000,
    now: () => t,
  });
  pipeline.start();
  const answer = (p: DetectFramePayload, extra: Partial<FrameDetections> = {}) =>
    channel.publish({ ...p.frame, detections: [], inferenceMs: 1, workerId: 'w', ...extra });
  return { pipeline, queue, seen, answer, advance: (ms: number) => (t += ms), failNextAdd: () => (queue.failNext = true) };
}

const frame = (i: number): SourceFrame => ({ jpeg: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), width: 64, height: 48, ptsMs: i * 200, index: i, receivedAt: 1000 });

describe('CameraPipeline', () => {
  it('puts results that come back out of order into frame order', async () => {
    const { pipeline, queue, seen, answer } = setup('drop-oldest', 10);
    for (let i = 0; i < 5; i++) await pipeline.dispatch(frame(i));
    const jobs = queue.take(5);
    for (const j of [jobs[3]!, jobs[1]!, jobs[4]!, jobs[0]!, jobs[2]!]) await answer(j);
    await pipeline.drain(1000);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    await pipeline.stop();
  });

  it('ignores a second result for the same frame (a retried job)', async () => {
    const { pipeline, queue, seen, answer } = setup('drop-oldest', 10);
    await pipeline.dispatch(frame(0));
    await pipeline.dispatch(frame(1));
    const [a, b] = queue.take(2);
    await answer(a!);
    await answer(a!);
    await answer(b!);
    await answer(a!);
    await pipeline.drain(1000);
    expect(seen).toEqual([0, 1]);
    await pipeline.stop();
  });

  it('beyond the in-flight bound keeps only the newest frame waiting, drops the older ones unsent, and does not block the source', async () => {
    const { pipeline, queue, seen, answer } = setup('drop-oldest', 3);
    for (let i = 0; i < 6; i++) await pipeline.dispatch(frame(i));
    // 0, 1, 2 are queued (the bound); 3 waited, then 4 replaced it, then 5 replaced 4.
    expect(queue.waiting.map((p) => p.frame.ptsMs)).toEqual([0, 200, 400]);
    expect(pipeline.stats()).toMatchObject({ framesIn: 6, dropped: 2, inFlight: 3 });
    await answer(queue.take(1)[0]!); // a slot frees: the newest waiting frame (5) goes out
    await new Promise((r) => setTimeout(r, 10));
    expect(queue.waiting.map((p) => p.frame.ptsMs)).toEqual([200, 400, 1000]);
    for (const j of queue.take(10)) await answer(j);
    await pipeline.drain(1000);
    expect(seen).toEqual([0, 1, 2, 3]); // seqs stay consecutive: dropped frames never got one
    expect(pipeline.stats()).toMatchObject({ analysed: 4, dropped: 2, inFlight: 0 });
    await pipeline.stop();
  });

  it('a frame that could not be stored or queued does not stall the frames after it', async () => {
    const { pipeline, queue, seen, answer, failNextAdd } = setup('drop-oldest', 10);
    await pipeline.dispatch(frame(0));
    failNextAdd();
    await expect(pipeline.dispatch(frame(1))).rejects.toThrow('redis down');
    await pipeline.dispatch(frame(2));
    for (const j of queue.take(10)) await answer(j);
    await pipeline.drain(1000);
    expect(seen).toEqual([0, 2]);
    expect(pipeline.stats()).toMatchObject({ lost: 1, inFlight: 0 });
    await pipeline.stop();
  });

  it('gives a missing result up after the gap timeout', async () => {
    const { pipeline, queue, seen, answer, advance } = setup('drop-oldest', 10);
    for (let i = 0; i < 3; i++) await pipeline.dispatch(frame(i));
    const jobs = queue.take(3);
    await answer(jobs[0]!);
    await answer(jobs[2]!); // frame 1 was lost (e.g. failed for good)
    expect(seen).toEqual([0]);
    advance(6000);
    await pipeline.drain(100);
    expect(seen).toEqual([0, 2]);
    expect(pipeline.stats().lost).toBe(1);
    await pipeline.stop();
  });

  it('with the wait policy, holds the source instead of dropping', async () => {
    const { pipeline, queue, seen, answer } = setup('wait', 2);
    await pipeline.dispatch(frame(0));
    await pipeline.dispatch(frame(1));
    let third = false;
    const p = pipeline.dispatch(frame(2)).then(() => (third = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    for (const j of queue.take(2)) await answer(j);
    await p;
    for (const j of queue.take(1)) await answer(j);
    await pipeline.drain(1000);
    expect(seen).toEqual([0, 1, 2]);
    expect(pipeline.stats().dropped).toBe(0);
    await pipeline.stop();
  });
});
