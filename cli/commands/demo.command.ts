import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand } from '../command.types.js';

const USAGE = `ioc-vision demo [--port 8080] [--workers N] [--videos a.mp4,b.avi]

Embedded default: uses IOCV_REDIS_URL / IOCV_DATABASE_URL when set, otherwise starts a private redis-server and an
embedded PostgreSQL (data in var/demo); serves each video (default: ../shared/data/traffic and the PETS09 people
clip) as a looping RTSP camera; runs the API, one ingest process, N inference workers (default: one per core, up to 4) and the webhook dispatcher;
prints the dashboard URL.
The shipped clips come with zone rules, so incidents (a person on the motorway's hard shoulder, loitering, crowding)
appear within a minute or two. Ctrl-C stops everything.`;

export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'Run the whole platform locally on simulated cameras playing real footage.',
  usage: USAGE,
  async run(argv) {
    let v;
    try {
      v = parseArgs({
        args: argv,
        strict: true,
        options: { port: { type: 'string' }, workers: { type: 'string' }, videos: { type: 'string' }, 'exit-after-seconds': { type: 'string' } },
      }).values;
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const { loadSettings } = await import('../../workers/runtime/settings.js');
    const { startLocalPostgres, startLocalRedis, portOpen } = await import('../demo/local-services.js');
    const { ProcessGroup, REPO_ROOT } = await import('../demo/process-group.js');
    const { demoCamerasConfig, cameraIdFor, DEMO_PEOPLE_CLIP } = await import('../demo/demo-cameras.js');
    const { RtspSimulator } = await import('../../workers/sim/rtsp-sim.js');

    const s = loadSettings();
    const port = Number(v.port ?? s.raw.IOCV_API_PORT ?? 8080);
    // One single-threaded inference worker per core (up to 4): the throughput docs/benchmarks.md measures.
    const workers = Number(v.workers ?? s.raw.IOCV_DEMO_WORKERS ?? Math.min(4, availableParallelism()));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new UsageError('--port must be a TCP port');
    if (!Number.isInteger(workers) || workers < 1 || workers > 16) throw new UsageError('--workers must be 1..16');
    if (await portOpen(port)) throw new UsageError(`port ${port} is already in use: pass --port`);
    const dir = path.resolve(s.raw.IOCV_DEMO_DIR ?? path.join(REPO_ROOT, 'var', 'demo'));
    mkdirSync(dir, { recursive: true });

    const videoList = v.videos ?? s.raw.IOCV_DEMO_VIDEOS;
    let videos: string[];
    if (videoList) videos = videoList.split(',').map((f) => path.resolve(f.trim())).filter(Boolean);
    else {
      const dataDir = path.join(s.raw.IOCV_SHARED_DIR ?? path.resolve(REPO_ROOT, '..', 'shared'), 'data');
      const trafficDir = path.join(dataDir, 'traffic');
      if (!existsSync(trafficDir)) throw new UsageError(`no footage: ${trafficDir} does not exist; set IOCV_DEMO_VIDEOS=a.mp4,b.mp4`);
      videos = readdirSync(trafficDir).filter((f) => /\.(mp4|avi|mkv|mov|ts)$/i.test(f)).sort().map((f) => path.join(trafficDir, f));
      // People on a campus crossroads: the demo's loitering and crowding incidents.
      const people = path.join(dataDir, DEMO_PEOPLE_CLIP);
      if (existsSync(people)) videos.push(people);
    }
    for (const f of videos) if (!existsSync(f)) throw new UsageError(`no such video: ${f}`);
    if (!videos.length) throw new UsageError('no videos to play');

    const log = (m: string) => console.log(`demo     | ${m}`);
    const stops: Array<() => Promise<void>> = [];
    const stopAll = async () => {
      for (const f of stops.reverse()) await f().catch((e: unknown) => log(`stop failed: ${(e as Error).message}`));
    };
    try {
      let redisUrl = s.raw.IOCV_REDIS_URL;
      if (!redisUrl) {
        log('starting a private redis-server on 127.0.0.1:63790');
        const r = await startLocalRedis(63790, path.join(dir, 'redis'));
        stops.push(() => r.stop());
        redisUrl = r.url;
      }
      let dbUrl = s.raw.IOCV_DATABASE_URL;
      if (!dbUrl) {
        log('starting an embedded PostgreSQL on 127.0.0.1:54329 (data in var/demo/pg)');
        const p = await startLocalPostgres(54329, path.join(dir, 'pg'));
        stops.push(() => p.stop());
        dbUrl = p.url;
      }
      log(`serving ${videos.length} video(s) as looping RTSP cameras`);
      const sim = await RtspSimulator.start({ cameras: videos.map((file) => ({ name: cameraIdFor(file), file })) });
      stops.push(() => sim.stop());
      const camerasFile = path.join(dir, 'cameras.json');
      writeFileSync(camerasFile, JSON.stringify(demoCamerasConfig(videos.map((file) => ({ file, url: sim.url(cameraIdFor(file)) }))), null, 2));

      const env: NodeJS.ProcessEnv = {
        ...process.env,
        IOCV_REDIS_URL: redisUrl,
        IOCV_DATABASE_URL: dbUrl,
        IOCV_OBJECT_STORE: s.raw.IOCV_OBJECT_STORE ?? 'fs',
        IOCV_FS_ROOT: s.raw.IOCV_FS_ROOT ?? path.join(dir, 'objects'),
        IOCV_CAMERAS_FILE: camerasFile,
        IOCV_API_PORT: String(port),
        IOCV_API_HOST: s.raw.IOCV_API_HOST ?? '127.0.0.1',
        IOCV_ADMIN_USER: s.raw.IOCV_ADMIN_USER ?? 'admin',
        IOCV_ADMIN_PASSWORD: s.raw.IOCV_ADMIN_PASSWORD ?? 'admin-demo',
      };
      const group = new ProcessGroup(env);
      stops.push(() => group.stopAll());
      // migrations run under an advisory lock in each role, so the order of start does not matter
      group.start('api', ['api']);
      group.start('ingest', ['ingest']);
      for (let i = 0; i < workers; i++) group.start(`worker-${i + 1}`, ['worker']);
      // Incidents reach webhook subscribers (added in the API or with `ioc-vision webhooks add`).
      group.start('webhooks', ['webhooks', 'dispatch']);

      const url = `http://127.0.0.1:${port}/`;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline && !(await portOpen(port))) await new Promise((r) => setTimeout(r, 250));
      log('');
      log(`ioc-vision is up: dashboard ${url}  ·  API docs ${url}docs  ·  login ${env.IOCV_ADMIN_USER} / ${env.IOCV_ADMIN_PASSWORD}`);
      log(`cameras: ${videos.map((f) => cameraIdFor(f)).join(', ')}; counts appear within a few seconds, incidents within a minute or two. Ctrl-C to stop.`);
      log('');
      const exitAfter = v['exit-after-seconds'] ? Number(v['exit-after-seconds']) * 1000 : null;
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
        if (exitAfter) setTimeout(resolve, exitAfter).unref();
        for (const p of group.procs) void p.exited.then((code) => code !== 0 && code !== null && log(`${p.name} exited with code ${code}`));
      });
      log('stopping…');
    } finally {
      await stopAll();
    }
    return 0;
  },
};
