import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Box } from '../../pipeline/domain.types.js';
import { UsageError, type CliCommand } from '../command.types.js';

const USAGE = `ioc-vision pose <image…> [--single] [--box x,y,w,h] [--min-score S] [--input-size N] [--threads N] [--json]

MoveNet Lightning human pose: 17 COCO keypoints (nose, eyes, ears, shoulders, elbows, wrists, hips, knees, ankles)
with scores, in image pixels.
  (default)     multi-pose on the whole image, up to 6 people
  --single      single-pose: one person, on the --box crop (squared with context) or on the whole image
  --box         the person's box in pixels (implies --single), e.g. from the detector; the output then has
                "inBoxFraction": the share of confident keypoints inside the box (low = the model followed a neighbour)
  --min-score   multi-pose instance score threshold 0..1 (default 0.25)
  --input-size  multi-pose long side in pixels, a multiple of 32 (default 256; 512–768 finds small people in CCTV
                frames at 2–4× the cost)
  --json        one JSON object per input per line:
                {"file":"…","poses":[{"box":[x,y,w,h],"score":0.6,"keypoints":[{"name":"nose","x":394.1,"y":185.7,"score":0.56},…]}]}
A file that cannot be read gives {"file":"…","error":{"code":"…","message":"…"}}; the others are still read, exit code 1.`;

function parseBox(s: string): Box {
  const n = s.split(',').map((v) => Number(v.trim()));
  if (n.length !== 4 || n.some((v) => !Number.isFinite(v)) || n[2]! <= 0 || n[3]! <= 0) throw new UsageError(`--box "${s}": expected x,y,w,h in pixels (w, h > 0)`);
  return { x: n[0]!, y: n[1]!, w: n[2]!, h: n[3]! };
}

function fileError(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' && e.code.startsWith('IOCV_') ? e.code : 'IOCV_POSE_FAILED';
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]! : String(err);
  return { code, message };
}

const r1 = (v: number) => Math.round(v * 10) / 10;
const r3 = (v: number) => Math.round(v * 1000) / 1000;

export const poseCommand: CliCommand = {
  name: 'pose',
  summary: 'Estimate human poses (17 keypoints) in images.',
  usage: USAGE,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
          single: { type: 'boolean' },
          box: { type: 'string' },
          'min-score': { type: 'string' },
          'input-size': { type: 'string' },
          threads: { type: 'string' },
          json: { type: 'boolean' },
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const v = parsed.values;
    const files = parsed.positionals;
    if (files.length === 0) throw new UsageError(`pose: give at least one image\n\nusage: ${USAGE}`);
    const box = v.box ? parseBox(v.box) : undefined;
    const single = (v.single ?? false) || box !== undefined;
    const minScore = v['min-score'] === undefined ? undefined : Number(v['min-score']);
    if (minScore !== undefined && !(minScore >= 0 && minScore <= 1)) throw new UsageError(`--min-score "${v['min-score']}": expected a number in 0..1`);
    const inputSize = v['input-size'] === undefined ? undefined : Number(v['input-size']);
    if (inputSize !== undefined && !(Number.isInteger(inputSize) && inputSize >= 32 && inputSize % 32 === 0)) {
      throw new UsageError(`--input-size "${v['input-size']}": expected a multiple of 32`);
    }
    const threads = v.threads === undefined ? undefined : Number(v.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`--threads "${v.threads}": expected an integer ≥ 1`);

    // Loaded only now: `ioc-vision pose --help` must not load ONNX Runtime.
    const { PoseEstimator } = await import('../../models/pose/pose-estimator.js');
    const { decodeImage } = await import('../../models/image/rgb-image.js');
    const estimator = await PoseEstimator.create({ threads, ...(inputSize !== undefined ? { multiLongSide: inputSize } : {}) });

    let failed = 0;
    for (const file of files) {
      let result: Record<string, unknown>;
      try {
        const st = await stat(file).catch(() => null);
        if (!st) throw Object.assign(new Error(`file not found: ${file}`), { code: 'IOCV_FILE_NOT_FOUND' });
        if (!st.isFile()) throw Object.assign(new Error(`not a file: ${file}`), { code: 'IOCV_FILE_NOT_FOUND' });
        const img = await decodeImage(file);
        const poses = single ? [await estimator.estimateSingle(img, box)] : await estimator.estimateMulti(img, minScore !== undefined ? { minScore } : {});
        result = {
          file,
          poses: poses.map((p) => ({
            box: [r1(p.box.x), r1(p.box.y), r1(p.box.w), r1(p.box.h)],
            score: r3(p.score),
            ...(p.inBoxFraction !== undefined ? { inBoxFraction: r3(p.inBoxFraction) } : {}),
            keypoints: p.keypoints.map((k) => ({ name: k.name, x: r1(k.x), y: r1(k.y), score: r3(k.score) })),
          })),
        };
      } catch (err) {
        failed++;
        result = { file, error: fileError(err) };
      }
      if (v.json) {
        console.log(JSON.stringify(result));
        continue;
      }
      const err = result.error as { code: string; message: string } | undefined;
      const poses = (result.poses ?? []) as Array<{ box: number[]; score: number; keypoints: Array<{ name: string; x: number; y: number; score: number }> }>;
      if (err) console.error(`${file}: error [${err.code}] ${err.message}`);
      else if (poses.length === 0) console.log(`${file}: no person`);
      else {
        for (const p of poses) {
          const seen = p.keypoints.filter((k) => k.score >= 0.3).length;
          console.log(`${file}: person box ${p.box.join(',')} score ${p.score} (${seen}/17 keypoints with score ≥ 0.3)`);
        }
      }
    }
    return failed > 0 ? 1 : 0;
  },
};
