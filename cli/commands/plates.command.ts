import { stat } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Box } from '../../pipeline/domain.types.js';
import type { PlateDetectorKind, PlateReaderKind } from '../../models/plates/plate-reader.js';
import { UsageError, type CliCommand } from '../command.types.js';

const USAGE = `ioc-vision plates read <image…> [--crop] [--generic] [--detector ppocr|vn-yolo] [--reader ppocr|vn-chars]
                         [--region x,y,w,h] [--min-score S] [--threads N] [--no-glyph-check] [--json]

Finds and reads licence plates in images. Default models are Apache-2.0 (PP-OCRv4 text detector + recogniser);
--detector vn-yolo and --reader vn-chars use the Vietnamese YOLO models, which have no licence (evaluation only).
  --crop        each image is already a plate crop (no detection)
  --generic     foreign plates: A–Z0–9 without the Vietnamese format rules
  --region      look only inside this box (pixels), e.g. a vehicle
  --no-glyph-check  read detected text lines as found: no cut to the character band, no dropping of
                characters that sit on no character-height glyph (separator emblems, small stacked letters)
  --json        one JSON object per input per line:
                {"file":"…","plates":[{"text":"79-D1/158.14","normalized":"79D115814","confidence":0.97,"box":[x,y,w,h],"rows":2,"valid":true}]}
A file that cannot be read gives {"file":"…","error":{"code":"…","message":"…"}}; the others are still read, exit code 1.`;

interface FileResult {
  file: string;
  plates?: Array<{ text: string; normalized: string; confidence: number; box: [number, number, number, number]; rows: 1 | 2; valid: boolean }>;
  error?: { code: string; message: string };
}

function parseRegion(s: string): Box {
  const n = s.split(',').map((v) => Number(v.trim()));
  if (n.length !== 4 || n.some((v) => !Number.isFinite(v)) || n[2]! <= 0 || n[3]! <= 0) throw new UsageError(`--region "${s}": expected x,y,w,h in pixels (w, h > 0)`);
  return { x: n[0]!, y: n[1]!, w: n[2]!, h: n[3]! };
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!(allowed as readonly string[]).includes(v)) throw new UsageError(`--${name} "${v}": expected one of ${allowed.join(', ')}`);
  return v as T;
}

/** Coded, one-line reason for a file that could not be read (never a stack trace). */
function fileError(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' && e.code.startsWith('IOCV_') ? e.code : 'IOCV_PLATE_READ_FAILED';
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]! : String(err);
  return { code, message };
}

export const platesCommand: CliCommand = {
  name: 'plates',
  summary: 'Read licence plates in images (Vietnamese format rules, or --generic for foreign plates).',
  usage: USAGE,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'read') throw new UsageError(sub ? `plates: unknown sub-command "${sub}" (expected "read")\n\nusage: ${USAGE}` : `usage: ${USAGE}`);
    let parsed;
    try {
      parsed = parseArgs({
        args: rest,
        allowPositionals: true,
        strict: true,
        options: {
          crop: { type: 'boolean' },
          generic: { type: 'boolean' },
          detector: { type: 'string' },
          reader: { type: 'string' },
          region: { type: 'string' },
          'min-score': { type: 'string' },
          threads: { type: 'string' },
          'no-glyph-check': { type: 'boolean' },
          json: { type: 'boolean' },
        },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const v = parsed.values;
    const files = parsed.positionals;
    if (files.length === 0) throw new UsageError(`plates read: give at least one image\n\nusage: ${USAGE}`);
    const detector = oneOf<PlateDetectorKind>('detector', v.detector, ['ppocr', 'vn-yolo'], 'ppocr');
    const reader = oneOf<PlateReaderKind>('reader', v.reader, ['ppocr', 'vn-chars'], 'ppocr');
    const region = v.region ? parseRegion(v.region) : undefined;
    const minScore = v['min-score'] === undefined ? undefined : Number(v['min-score']);
    if (minScore !== undefined && !(minScore >= 0 && minScore <= 1)) throw new UsageError(`--min-score "${v['min-score']}": expected a number in 0..1`);
    const threads = v.threads === undefined ? undefined : Number(v.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new UsageError(`--threads "${v.threads}": expected an integer ≥ 1`);

    // Loaded only now: `ioc-vision plates --help` must not load ONNX Runtime.
    const { PlateReader } = await import('../../models/plates/plate-reader.js');
    const { decodeImage } = await import('../../models/image/rgb-image.js');
    const plateReader = await PlateReader.create({ detector, reader, mode: v.generic ? 'generic' : 'vn', threads, glyphCheck: !v['no-glyph-check'], ...(minScore !== undefined ? { minScore } : {}) });

    let failed = 0;
    for (const file of files) {
      let result: FileResult;
      try {
        const st = await stat(file).catch(() => null);
        if (!st) throw Object.assign(new Error(`file not found: ${file}`), { code: 'IOCV_FILE_NOT_FOUND' });
        if (!st.isFile()) throw Object.assign(new Error(`not a file: ${file}`), { code: 'IOCV_FILE_NOT_FOUND' });
        const img = await decodeImage(file);
        const reads = await plateReader.readImage(img, { crop: v.crop ?? false, region });
        result = {
          file,
          plates: reads.map((r) => ({ text: r.text, normalized: r.normalized, confidence: r.confidence, box: [r.box.x, r.box.y, r.box.w, r.box.h], rows: r.rows, valid: r.valid })),
        };
      } catch (err) {
        failed++;
        result = { file, error: fileError(err) };
      }
      if (v.json) console.log(JSON.stringify(result));
      else if (result.error) console.error(`${file}: error [${result.error.code}] ${result.error.message}`);
      else if (result.plates!.length === 0) console.log(`${file}: no plate`);
      else for (const p of result.plates!) console.log(`${file}: ${p.text} (${p.normalized}) confidence ${p.confidence.toFixed(2)}${p.valid ? '' : ' [format not valid]'} box ${p.box.join(',')} rows ${p.rows}`);
    }
    return failed > 0 ? 1 : 0;
  },
};
