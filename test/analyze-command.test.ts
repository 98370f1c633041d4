/**
 * `ioc-vision analyze` as a user runs it (the real binary, ffmpeg, the model): the JSON it prints, the choice of a
 * camera from a config, zone rules with --incidents, and clear errors. Counts are checked against
 * ../shared/data/traffic/GROUND_TRUTH.json.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHARED_DATA } from './support/shared-paths.js';

const run = promisify(execFile);
const BIN = path.resolve(import.meta.dirname, '..', 'bin', 'ioc-vision.mjs');
const CLIP = path.join(SHARED_DATA, 'traffic', 'bgslibrary_video.avi');
const PETS = path.join(SHARED_DATA, 'people_pets09', 'pets09_s2l1_vtest.mp4');
const gt = JSON.parse(readFileSync(path.join(SHARED_DATA, 'traffic', 'GROUND_TRUTH.json'), 'utf8')) as {
  videos: { 'bgslibrary_video.avi': { vehicles_crossing_vertical_line_x400: number } };
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-analyze-'));
  copyFileSync(CLIP, path.join(dir, 'clip.avi'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function analyze(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [BIN, 'analyze', ...args], { cwd: dir, maxBuffer: 16 << 20 });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('ioc-vision analyze', () => {
  it('prints one JSON object with the counts of a quick --line run on a file named relative to the working directory', async () => {
    const r = await analyze(['--input', 'clip.avi', '--line', '0.625,0,0.625,1', '--fps', '5', '--json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!) as { framesAnalysed: number; durationSeconds: number; tracks: number; lines: Array<{ id: string; total: number; byClass: Record<string, number>; byDirection: { forward: number; backward: number } }> };
    expect(Object.keys(out)).toEqual(['framesAnalysed', 'durationSeconds', 'tracks', 'lines']);
    expect(out.durationSeconds).toBeGreaterThan(11);
    expect(out.framesAnalysed).toBeGreaterThanOrEqual(Math.floor(out.durationSeconds * 5) - 1);
    expect(out.lines.map((l) => l.id)).toEqual(['L1']);
    const l1 = out.lines[0]!;
    const truth = gt.videos['bgslibrary_video.avi'].vehicles_crossing_vertical_line_x400;
    expect(Math.abs(l1.total - truth)).toBeLessThanOrEqual(1);
    // All traffic moves left → right; this line is drawn top → bottom, so that is "backward" (README).
    expect(l1.byDirection.backward).toBe(l1.total);
    expect(Object.values(l1.byClass).reduce((a, b) => a + b, 0)).toBe(l1.total);
  });

  it('picks a camera of a config with --camera and runs its zone rules; --incidents lists what they raised', async () => {
    const config = path.join(dir, 'cameras.yaml');
    writeFileSync(
      config,
      [
        'cameras:',
        `  - { id: road, url: ${JSON.stringify(CLIP)}, lines: [{ id: L1, points: [[0.625, 0], [0.625, 1]] }] }`,
        `  - id: square`,
        `    url: ${JSON.stringify(PETS)}`,
        '    zones: [{ id: ALL, polygon: [[0, 0], [1, 0], [1, 1], [0, 1]], classes: [person] }]',
        '    rules: [{ type: crowding, zone: ALL, maxPeople: 2, minDurationSeconds: 2 }]',
      ].join('\n'),
    );
    const which = await analyze(['--input', PETS, '--config', config, '--json']);
    expect(which.code).toBe(2);
    expect(which.stderr).toMatch(/names 2 cameras: pick one with --camera/);
    const r = await analyze(['--input', PETS, '--config', config, '--camera', 'square', '--max-seconds', '15', '--incidents', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { lines: unknown[]; incidents: Array<{ type: string; zoneId: string; atSeconds: number; trackIds: string[] }> };
    expect(out.lines).toEqual([]);
    // The ground truth (MOT boxes) has 3 to 8 people in view in every frame of the first 15 s: a crowd of > 2 for 2 s.
    const crowd = out.incidents.filter((i) => i.type === 'crowding');
    expect(crowd.length).toBeGreaterThanOrEqual(1);
    expect(crowd[0]).toMatchObject({ zoneId: 'ALL' });
    expect(crowd[0]!.trackIds.length).toBeGreaterThan(2);
    expect(crowd[0]!.atSeconds).toBeGreaterThanOrEqual(2);
    expect(crowd[0]!.atSeconds).toBeLessThanOrEqual(15);
  });

  it('rejects bad input with the path of the bad value, or names a missing file, without a stack trace', async () => {
    const badLine = await analyze(['--input', 'clip.avi', '--line', '0.5,0,1.5,1', '--json']);
    expect(badLine.code).not.toBe(0);
    expect(badLine.stderr).toMatch(/lines\[0\]\.points\[1\]\[0\]/);
    const missing = await analyze(['--input', 'no-such.mp4', '--line', '0.5,0,0.5,1', '--json']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/IOCV_SOURCE_FAILED.*no-such\.mp4/);
    for (const r of [badLine, missing]) expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });
});
