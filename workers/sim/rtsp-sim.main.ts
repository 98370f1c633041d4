/**
 * Serves video files as looping RTSP cameras until Ctrl-C, for trying ingest by hand:
 *
 *   npx tsx workers/sim/rtsp-sim.main.ts [--port 8554] [--fps N] [--width W] [--live-encode] FILE [FILE ...]
 *
 * Each file becomes rtsp://127.0.0.1:PORT/<file name without extension>; the URLs are printed once serving.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { RtspSimulator } from './rtsp-sim.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '8554' },
      fps: { type: 'string' },
      width: { type: 'string' },
      'live-encode': { type: 'boolean', default: false },
    },
  });
  if (positionals.length === 0) {
    console.error('usage: rtsp-sim.main.ts [--port 8554] [--fps N] [--width W] [--live-encode] FILE [FILE ...]');
    process.exit(2);
  }
  const used = new Set<string>();
  const cameras = positionals.map((file) => {
    let name = path.basename(file).replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60) || 'cam';
    for (let i = 2; used.has(name); i++) name = `${name}-${i}`;
    used.add(name);
    return {
      name,
      file,
      ...(values.fps ? { fps: Number(values.fps) } : {}),
      ...(values.width ? { width: Number(values.width) } : {}),
      encodeOnce: !values['live-encode'],
    };
  });
  const sim = await RtspSimulator.start({ port: Number(values.port), cameras });
  for (const c of cameras) console.log(sim.url(c.name));
  console.log(`logs: ${sim.logDir}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.stop();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
