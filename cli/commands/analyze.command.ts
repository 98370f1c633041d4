import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseCameraConfig, parseCamerasConfigText } from '../../pipeline/config/camera-config.js';
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import { UsageError, type CliCommand } from '../command.types.js';

const USAGE = `ioc-vision analyze --input <video file or rtsp URL> (--config <cameras.yaml> [--camera <id>] | --line x1,y1,x2,y2 [--line …] [--fps N]) [--input-size N] [--max-seconds S] [--incidents] [--json]

Runs the live stages (detect → track → count) over a file or stream in this process: no Redis, Postgres or S3.
Lines are normalised 0..1 image coordinates; ids L1, L2, … in the order given. "forward" is a crossing from the
left side to the right side of a line when looking from its first point towards its second.
Zone rules of a camera from --config run too; --incidents adds what they raised ("incidents": type, zone, time,
tracks, details), timed from the start of the recording. Prints one JSON object at the end with --json; progress
goes to stderr.`;

function parseLine(s: string, i: number): { id: string; points: [[number, number], [number, number]] } {
  const n = s.split(',').map((v) => Number(v.trim()));
  if (n.length !== 4 || n.some((v) => !Number.isFinite(v))) throw new UsageError(`--line "${s}": expected x1,y1,x2,y2 (normalised 0..1)`);
  return { id: `L${i + 1}`, points: [[n[0]!, n[1]!], [n[2]!, n[3]!]] };
}

async function cameraFrom(v: Record<string, string | string[] | boolean | undefined>, input: string): Promise<CameraConfig> {
  const num = (k: string) => (v[k] === undefined ? undefined : Number(v[k]));
  if (v.config) {
    if (v.line) throw new UsageError('give either --config or --line, not both');
    const file = String(v.config);
    const cams = parseCamerasConfigText(await readFile(file, 'utf8'), file);
    let cam: CameraConfig | undefined;
    if (v.camera) {
      cam = cams.find((c) => c.id === v.camera);
      if (!cam) throw new UsageError(`--camera ${String(v.camera)}: not in ${file} (cameras: ${cams.map((c) => c.id).join(', ')})`);
    } else if (cams.length === 1) cam = cams[0];
    else throw new UsageError(`${file} names ${cams.length} cameras: pick one with --camera <id>`);
    const fps = num('fps') ?? cam!.fps;
    const inputSize = num('input-size') ?? cam!.inputSize;
    // The same bounds as the camera schema's.
    if (!(fps > 0 && fps <= 30)) throw new UsageError('--fps must be > 0 and <= 30');
    if (!(Number.isInteger(inputSize) && inputSize >= 160 && inputSize <= 1280 && inputSize % 32 === 0)) throw new UsageError('--input-size must be a multiple of 32 in 160..1280');
    return { ...cam!, fps, inputSize };
  }
  const lines = ((v.line as string[] | undefined) ?? []).map(parseLine);
  if (!lines.length) throw new UsageError('give --config <file> or at least one --line x1,y1,x2,y2');
  return parseCameraConfig(
    {
      id: 'cli',
      // A bare file name is a path relative to where the command runs.
      url: /^[a-z][a-z0-9+.-]*:\/\//i.test(input) ? input : path.resolve(input),
      lines,
      ...(v.fps !== undefined ? { fps: num('fps') } : {}),
      ...(v['input-size'] !== undefined ? { inputSize: num('input-size') } : {}),
    },
    'command line',
  );
}

export const analyzeCommand: CliCommand = {
  name: 'analyze',
  summary: 'Count vehicles and people crossing lines in a video file or stream, offline, through the live stages.',
  usage: USAGE,
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        strict: true,
        options: {
          input: { type: 'string' },
          config: { type: 'string' },
          camera: { type: 'string' },
          line: { type: 'string', multiple: true },
          fps: { type: 'string' },
          'input-size': { type: 'string' },
          'max-seconds': { type: 'string' },
          threads: { type: 'string' },
          json: { type: 'boolean', default: false },
          incidents: { type: 'boolean', default: false },
        },
      });
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\nusage: ${USAGE}`);
    }
    const v = parsed.values;
    if (!v.input) throw new UsageError(`--input is required\n\nusage: ${USAGE}`);
    const input = v.input;
    const camera = await cameraFrom(v, input);
    const maxSeconds = v['max-seconds'] !== undefined ? Number(v['max-seconds']) : undefined;
    if (maxSeconds !== undefined && !(maxSeconds > 0)) throw new UsageError('--max-seconds must be > 0');

    const { YoloxDetector } = await import('../../models/vehicles/yolox.detector.js');
    const { analyzeVideo } = await import('../../workers/runtime/offline-analysis.js');
    const threads = v.threads !== undefined ? Number(v.threads) : undefined;
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 64)) throw new UsageError('--threads must be an integer 1..64');
    const detector = await YoloxDetector.create(threads ? { threads } : {});
    const raised: Array<{ type: string; zoneId: string | null; atSeconds: number; trackIds: string[]; details: Record<string, unknown> }> = [];
    const ac = new AbortController();
    const onSig = () => ac.abort();
    process.once('SIGINT', onSig);
    let lastReport = 0;
    const started = Date.now();
    const result = await analyzeVideo({
      camera,
      input,
      detector,
      signal: ac.signal,
      ...(maxSeconds !== undefined ? { maxDurationSeconds: maxSeconds } : {}),
      onFrame: (fd, o) => {
        for (const sig of o.signals ?? []) {
          raised.push({ type: sig.type, zoneId: sig.zoneId ?? null, atSeconds: Math.round((sig.at - fd.capturedAt + fd.ptsMs) / 100) / 10, trackIds: sig.trackIds ?? [], details: sig.details });
        }
      },
      onProgress: ({ framesAnalysed, ptsMs }) => {
        const t = Date.now();
        if (t - lastReport < 1000) return;
        lastReport = t;
        const fps = framesAnalysed / ((t - started) / 1000);
        process.stderr.write(`\ranalyze: ${framesAnalysed} frames, stream ${(ptsMs / 1000).toFixed(1)} s, ${fps.toFixed(1)} fps   `);
      },
    });
    process.off('SIGINT', onSig);
    process.stderr.write(`\ranalyze: ${result.framesAnalysed} frames analysed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    const out = {
      framesAnalysed: result.framesAnalysed,
      durationSeconds: result.durationSeconds,
      tracks: result.tracks,
      lines: result.lines,
      ...(v.incidents ? { incidents: raised } : {}),
    };
    if (v.json) console.log(JSON.stringify(out));
    else {
      console.log(`frames analysed: ${out.framesAnalysed}, duration: ${out.durationSeconds} s, tracks: ${out.tracks}`);
      for (const l of out.lines) {
        const cls = Object.entries(l.byClass).map(([k, n]) => `${k} ${n}`).join(', ');
        console.log(`  ${l.id}: ${l.total} (forward ${l.byDirection.forward}, backward ${l.byDirection.backward}${cls ? `; ${cls}` : ''})`);
      }
      if (v.incidents) for (const i of raised) console.log(`  ${i.atSeconds} s: ${i.type}${i.zoneId ? ` in ${i.zoneId}` : ''} (${i.trackIds.length} track(s))`);
    }
    return 0;
  },
};
