import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { FaceAnalyzer } from '../../models/faces/face-analyzer.js';
import type { RgbImage } from '../../models/image/rgb-image.js';
import { UsageError, type CliCommand } from '../command.types.js';

const USAGE = `ioc-vision faces detect <image…> [--json]
ioc-vision faces embed <image…> [--json]
ioc-vision faces compare <imageA> <imageB> [--json]
  common options: [--min-score S] [--input-size N] [--min-quality Q] [--threads N]
  compare only:   [--threshold T] [--allow-low-quality]

YuNet face detection (5 landmarks), ArcFace-template alignment, MobileFaceNet 192-d embeddings (cosine similarity).
  detect   {"file":"…","faces":[{"box":[x,y,w,h],"score":0.95,"landmarks":[[x,y]×5]}]}            (largest face first)
  embed    {"file":"…","faces":[{"box":[x,y,w,h],"score":0.9,"quality":0.8,"usableForMatching":true,"embedding":[…192]}]}
  compare  {"similarity":0.71,"samePerson":true,"threshold":0.34}  (largest face of each image)
  --threshold     same-person cosine threshold (default: env IOCV_FACE_MATCH_THRESHOLD, else the calibrated constant)
  --min-quality   quality 0..1 from which a face is usable for matching (default 0.4)
  --input-size    long side of the detector input in pixels (default 640; raise for small faces in large frames)
  --json          one JSON object per input per line
A file that cannot be read gives {"file":"…","error":{"code":"…","message":"…"}}, exit code 1. compare exits 1 with a coded
error when either image has no face (IOCV_FACE_NOT_FOUND) or its largest face is too poor to match (IOCV_FACE_LOW_QUALITY).`;

type Box4 = [number, number, number, number];

interface FileError {
  code: string;
  message: string;
}

/** Coded, one-line reason (never a stack trace). */
function fileError(err: unknown, fallback: string): FileError {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' && e.code.startsWith('IOCV_') ? e.code : fallback;
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]! : String(err);
  return { code, message };
}

const r1 = (v: number) => Math.round(v * 10) / 10;
const r3 = (v: number) => Math.round(v * 1000) / 1000;
const box4 = (b: { x: number; y: number; w: number; h: number }): Box4 => [r1(b.x), r1(b.y), r1(b.w), r1(b.h)];

function numberOpt(name: string, raw: string | undefined, ok: (v: number) => boolean, expect: string): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!ok(v)) throw new UsageError(`--${name} "${raw}": expected ${expect}`);
  return v;
}

async function loadImage(file: string): Promise<RgbImage> {
  const st = await stat(file).catch(() => null);
  if (!st) throw Object.assign(new Error(`file not found: ${file}`), { code: 'IOCV_FILE_NOT_FOUND' });
  if (!st.isFile()) throw Object.assign(new Error(`not a file: ${file}`), { code: 'IOCV_FILE_NOT_FOUND' });
  const { decodeImage } = await import('../../models/image/rgb-image.js');
  return decodeImage(file);
}

export const facesCommand: CliCommand = {
  name: 'faces',
  summary: 'Detect faces, compute face embeddings, compare two faces.',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'detect' && sub !== 'embed' && sub !== 'compare') {
      throw new UsageError(sub ? `faces: unknown sub-command "${sub}" (expected detect, embed or compare)\n\nusage: ${USAGE}` : `usage: ${USAGE}`);
    }
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        allowPositionals: true,
        strict: true,
        options: {
          json: { type: 'boolean' },
          threshold: { type: 'string' },
          'min-score': { type: 'string' },
          'min-quality': { type: 'string' },
          'input-size': { type: 'string' },
          threads: { type: 'string' },
          'allow-low-quality': { type: 'boolean' },
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const v = parsed.values;
    const files = parsed.positionals;
    if (sub === 'compare' && files.length !== 2) throw new UsageError(`faces compare: give exactly two images\n\nusage: ${USAGE}`);
    if (files.length === 0) throw new UsageError(`faces ${sub}: give at least one image\n\nusage: ${USAGE}`);
    const threshold = numberOpt('threshold', v.threshold, (x) => Number.isFinite(x) && x >= -1 && x <= 1, 'a cosine similarity in -1..1');
    const minScore = numberOpt('min-score', v['min-score'], (x) => x >= 0 && x <= 1, 'a number in 0..1');
    const minQuality = numberOpt('min-quality', v['min-quality'], (x) => x >= 0 && x <= 1, 'a number in 0..1');
    const inputSize = numberOpt('input-size', v['input-size'], (x) => Number.isInteger(x) && x >= 32, 'an integer ≥ 32');
    const threads = numberOpt('threads', v.threads, (x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1');

    // Loaded only now: `ioc-vision faces --help` must not load ONNX Runtime.
    const { FaceAnalyzer } = await import('../../models/faces/face-analyzer.js');
    const analyzer: FaceAnalyzer = await FaceAnalyzer.create({
      threads,
      matchThreshold: threshold,
      minQuality,
      detect: { ...(minScore !== undefined ? { minScore } : {}), ...(inputSize !== undefined ? { maxInputSide: inputSize } : {}) },
    });

    if (sub === 'compare') {
      const [fa, fb] = files as [string, string];
      const mains = [];
      for (const file of [fa, fb]) {
        try {
          mains.push(await analyzer.mainFace(await loadImage(file), { allowLowQuality: v['allow-low-quality'] ?? false, label: file }));
        } catch (err) {
          const e = fileError(err, 'IOCV_FACE_COMPARE_FAILED');
          if (v.json) console.log(JSON.stringify({ file, error: e }));
          else console.error(`${file}: error [${e.code}] ${e.message}`);
          return 1;
        }
      }
      const c = analyzer.compare(mains[0]!.embedding, mains[1]!.embedding);
      const out = { similarity: r3(c.similarity), samePerson: c.samePerson, threshold: c.threshold };
      if (v.json) console.log(JSON.stringify(out));
      else console.log(`${fa} vs ${fb}: similarity ${out.similarity} → ${out.samePerson ? 'same person' : 'different people'} (threshold ${out.threshold})`);
      return 0;
    }

    let failed = 0;
    for (const file of files) {
      let result: Record<string, unknown>;
      try {
        const img = await loadImage(file);
        const faces = await analyzer.detect(img);
        if (sub === 'detect') {
          result = { file, faces: faces.map((f) => ({ box: box4(f.box), score: r3(f.score), landmarks: f.landmarks.map((p) => [r1(p.x), r1(p.y)]) })) };
        } else {
          const emb = await analyzer.embed(img, faces);
          result = {
            file,
            faces: emb.map((e) => ({
              box: box4(e.box),
              score: r3(e.score),
              quality: r3(e.quality),
              usableForMatching: e.usableForMatching,
              embedding: Array.from(e.embedding, (x) => Math.round(x * 1e6) / 1e6),
            })),
          };
        }
      } catch (err) {
        failed++;
        result = { file, error: fileError(err, 'IOCV_FACE_FAILED') };
      }
      if (v.json) {
        console.log(JSON.stringify(result));
        continue;
      }
      const err = result.error as FileError | undefined;
      const faces = (result.faces ?? []) as Array<{ box: Box4; score: number; quality?: number; usableForMatching?: boolean }>;
      if (err) console.error(`${file}: error [${err.code}] ${err.message}`);
      else if (faces.length === 0) console.log(`${file}: no face`);
      else {
        for (const f of faces) {
          const q = f.quality === undefined ? '' : ` quality ${f.quality}${f.usableForMatching ? '' : ' (not usable for matching)'}`;
          console.log(`${file}: face box ${f.box.join(',')} score ${f.score}${q}`);
        }
      }
    }
    return failed > 0 ? 1 : 0;
  },
};
