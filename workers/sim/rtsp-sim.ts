/**
 * Simulated RTSP cameras that replay real footage, for tests, the demo and the benchmark.
 *
 * Per camera one ffmpeg "feeder" loops a video file in real time into loopback UDP MPEG-TS, and ONE GStreamer RTSP
 * server process (scripts/rtsp-sim-server.py) re-serves every feed as rtsp://127.0.0.1:PORT/NAME over TCP. This is
 * the combination verified on this machine (GUIDE, "RTSP server for simulated cameras"); pure-npm servers and
 * GStreamer's own file looping failed there.
 *
 * Server and feeders are separate processes on purpose: a test can kill the server (a camera site losing power:
 * clients see ffmpeg exit 0) or one feeder (one camera's encoder dying: only its clients end) independently.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface SimCameraOptions {
  /** Mount name: the camera is served at rtsp://127.0.0.1:PORT/<name>. Letters, digits, `_ . -`. */
  name: string;
  /** Video file to replay (any format ffmpeg reads). */
  file: string;
  /** Loop the file forever; when false the feed ends at the end of the file. @default true */
  loop?: boolean;
  /** Re-time the stream to this frame rate (frames dropped or repeated). @default the file's own rate */
  fps?: number;
  /** Re-scale to this width in pixels (height keeps the aspect ratio, rounded to even). @default the file's width */
  width?: number;
  /**
   * Encode the clip once to H.264 (1 s GOP) in a cache under os.tmpdir() and replay it with stream copy, so a camera
   * costs ~1 % of a core instead of a live x264 encode (~5–10 % per camera): the benchmark needs the CPU for
   * analysis. Clips longer than 15 minutes are encoded live instead (preparing them would delay the start).
   * @default true
   */
  encodeOnce?: boolean;
}

export interface RtspSimulatorOptions {
  /** RTSP TCP port. 0 or undefined picks a free one (kept across `stopServer`/`startServer`). @default 0 */
  port?: number;
  cameras: SimCameraOptions[];
  /** How long `start`/`startServer`/`startFeeder` wait for every mount to actually serve video. @default 30000 */
  readyTimeoutMs?: number;
  /** Directory for the server and feeder logs. @default a fresh `iocv-rtsp-sim-*` directory under os.tmpdir() */
  logDir?: string;
  /** @default 'ffmpeg' on PATH */
  ffmpegPath?: string;
  /** @default 'ffprobe' on PATH */
  ffprobePath?: string;
  /** Python with the GStreamer GI bindings; the system one, other builds may lack `gi`. @default '/usr/bin/python3' */
  pythonPath?: string;
}

/** The simulator could not start or a mount did not come up in time. */
export class RtspSimulatorError extends Error {
  readonly code = 'IOCV_RTSP_SIM_FAILED';
  constructor(message: string) {
    super(message);
    this.name = 'RtspSimulatorError';
  }
}

const HOST = '127.0.0.1';
const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const SERVER_SCRIPT = fileURLToPath(new URL('../../scripts/rtsp-sim-server.py', import.meta.url));
/**
 * Children die with us even on SIGKILL of Node: setpriv sets PR_SET_PDEATHSIG, which survives the exec of ffmpeg.
 * The 'exit' hook below covers normal exits; this covers crashes and kill -9 (no orphan feeders burning CPU).
 */
const SETPRIV = existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
}

function spawnTied(cmd: string, args: string[], stdio: Array<'ignore' | 'pipe' | number>): ChildProcess {
  const child = SETPRIV
    ? spawn(SETPRIV, ['--pdeathsig', 'SIGKILL', '--', cmd, ...args], { stdio })
    : spawn(cmd, args, { stdio });
  track(child);
  return child;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function terminate(child: ChildProcess | null, graceMs = 2000): Promise<void> {
  if (!child || exited(child)) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** A free loopback UDP port for one feed (the server binds it only when a client first plays the mount). */
async function freeUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, HOST, () => resolve());
  });
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Cam {
  opts: Required<Pick<SimCameraOptions, 'name' | 'file' | 'loop' | 'encodeOnce'>> & Pick<SimCameraOptions, 'fps' | 'width'>;
  udpPort: number;
  feeder: ChildProcess | null;
  /** The pre-encoded clip replayed with stream copy (encodeOnce). */
  prepared: string | null;
}

/** x264 settings shared by the live and the one-off encode: a keyframe every second whatever the frame rate, so a
 * new client waits at most ~1 s for its first picture. */
function encodeArgs(fps: number | undefined, width: number | undefined, preset: string): string[] {
  const filters: string[] = [];
  if (fps) filters.push(`fps=${fps}`);
  if (width) filters.push(`scale=${width}:-2`);
  return [
    '-an',
    ...(filters.length ? ['-vf', filters.join(',')] : []),
    '-c:v', 'libx264', '-preset', preset, '-tune', 'zerolatency',
    '-g', '50', '-force_key_frames', 'expr:gte(t,n_forced*1)', '-pix_fmt', 'yuv420p',
  ];
}

const MAX_PREPARED_SECONDS = 15 * 60;

/** Container duration in seconds, or null when ffprobe cannot tell (then the clip is encoded live). */
function durationSeconds(file: string, ffprobePath: string): number | null {
  const r = spawnSync(ffprobePath, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8', timeout: 20_000 });
  const d = Number.parseFloat(r.stdout ?? '');
  return r.status === 0 && Number.isFinite(d) && d > 0 ? d : null;
}

const CACHE_DIR = path.join(os.tmpdir(), 'iocv-rtsp-sim-cache');

/** Encodes `file` once per (file, size, mtime, fps, width) into the shared cache; concurrent callers share the work. */
const preparing = new Map<string, Promise<string>>();
async function prepareClip(file: string, fps: number | undefined, width: number | undefined, ffmpegPath: string, logFile: string): Promise<string> {
  const st = statSync(file);
  const key = createHash('sha256').update(JSON.stringify([path.resolve(file), st.size, st.mtimeMs, fps ?? null, width ?? null])).digest('hex').slice(0, 20);
  const out = path.join(CACHE_DIR, `${key}.ts`);
  if (existsSync(out)) return out;
  const pending = preparing.get(out);
  if (pending) return pending;
  const job = (async () => {
    mkdirSync(CACHE_DIR, { recursive: true });
    const tmp = `${out}.${process.pid}.${Date.now()}.part`;
    const fd = openSync(logFile, 'a');
    const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-i', file, ...encodeArgs(fps, width, 'ultrafast'), '-f', 'mpegts', tmp];
    writeSync(fd, `--- ${new Date().toISOString()} prepare: ffmpeg ${args.join(' ')}\n`);
    const child = spawnTied(ffmpegPath, args, ['ignore', fd, fd]);
    closeSync(fd);
    const code = await new Promise<number | null>((resolve) => {
      child.once('error', () => resolve(-1));
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0 || !existsSync(tmp)) {
      rmSync(tmp, { force: true });
      throw new RtspSimulatorError(`could not encode ${file} for the simulator (ffmpeg exit ${code}, log: ${logFile})`);
    }
    renameSync(tmp, out);
    return out;
  })().finally(() => preparing.delete(out));
  preparing.set(out, job);
  return job;
}

export class RtspSimulator {
  /** Where server.log and feeder-<name>.log are written. */
  readonly logDir: string;
  private readonly cams = new Map<string, Cam>();
  private server: ChildProcess | null = null;
  private rtspPort: number;
  private stopped = false;

  private constructor(
    private readonly o: RtspSimulatorOptions,
    cams: Cam[],
  ) {
    this.rtspPort = o.port ?? 0;
    this.logDir = o.logDir ?? mkdtempSync(path.join(os.tmpdir(), 'iocv-rtsp-sim-'));
    for (const c of cams) this.cams.set(c.opts.name, c);
  }

  /** Starts every feeder and the server, and resolves once every mount serves video. */
  static async start(opts: RtspSimulatorOptions): Promise<RtspSimulator> {
    if (opts.cameras.length === 0) throw new RtspSimulatorError('no cameras to simulate');
    const cams: Cam[] = [];
    for (const c of opts.cameras) {
      if (!NAME_RE.test(c.name)) throw new RtspSimulatorError(`bad camera name "${c.name}": letters, digits, _ . - only`);
      if (cams.some((x) => x.opts.name === c.name)) throw new RtspSimulatorError(`duplicate camera name "${c.name}"`);
      if (!existsSync(c.file)) throw new RtspSimulatorError(`no such video file: ${c.file}`);
      cams.push({ opts: { loop: true, encodeOnce: true, ...c }, udpPort: await freeUdpPort(), feeder: null, prepared: null });
    }
    const sim = new RtspSimulator(opts, cams);
    try {
      await Promise.all(
        cams
          .filter((c) => c.opts.encodeOnce)
          .filter((c) => {
            const d = durationSeconds(c.opts.file, opts.ffprobePath ?? 'ffprobe');
            return d !== null && d <= MAX_PREPARED_SECONDS;
          })
          .map(async (c) => {
            c.prepared = await prepareClip(c.opts.file, c.opts.fps, c.opts.width, opts.ffmpegPath ?? 'ffmpeg', path.join(sim.logDir, `feeder-${c.opts.name}.log`));
          }),
      );
      for (const c of cams) sim.spawnFeeder(c);
      await sim.spawnServer();
      await sim.waitServing([...sim.cams.keys()]);
    } catch (err) {
      await sim.stop();
      throw err;
    }
    return sim;
  }

  /** The RTSP TCP port actually bound. */
  get port(): number {
    return this.rtspPort;
  }

  url(name: string): string {
    if (!this.cams.has(name)) throw new RtspSimulatorError(`unknown simulated camera "${name}"`);
    return `rtsp://${HOST}:${this.rtspPort}/${name}`;
  }

  /** OS pid of a camera's running feeder (to simulate a crash), or null. */
  feederPid(name: string): number | null {
    const f = this.cam(name).feeder;
    return f && !exited(f) ? (f.pid ?? null) : null;
  }

  names(): string[] {
    return [...this.cams.keys()];
  }

  /** Kills the RTSP server (clients see the connection drop; ffmpeg exits 0). Feeders keep running. */
  async stopServer(): Promise<void> {
    const s = this.server;
    this.server = null;
    await terminate(s);
  }

  /** Restarts the RTSP server on the same port and waits until every mount with a running feeder serves again. */
  async startServer(): Promise<void> {
    if (this.stopped) throw new RtspSimulatorError('simulator stopped');
    if (this.server && !exited(this.server)) return;
    await this.spawnServer();
    await this.waitServing([...this.cams.values()].filter((c) => c.feeder && !exited(c.feeder)).map((c) => c.opts.name));
  }

  /** Stops one camera's feeder: its clients end quietly, other cameras are unaffected. */
  async stopFeeder(name: string): Promise<void> {
    const cam = this.cam(name);
    const f = cam.feeder;
    cam.feeder = null;
    await terminate(f);
  }

  /** (Re)starts one camera's feeder and waits until its mount serves (when the server runs). */
  async startFeeder(name: string): Promise<void> {
    if (this.stopped) throw new RtspSimulatorError('simulator stopped');
    const cam = this.cam(name);
    if (cam.feeder && !exited(cam.feeder)) return;
    this.spawnFeeder(cam);
    if (this.server && !exited(this.server)) await this.waitServing([name]);
  }

  /** Stops the server and every feeder. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    const all = [this.server, ...[...this.cams.values()].map((c) => c.feeder)];
    this.server = null;
    for (const c of this.cams.values()) c.feeder = null;
    await Promise.all(all.map((c) => terminate(c)));
  }

  private cam(name: string): Cam {
    const cam = this.cams.get(name);
    if (!cam) throw new RtspSimulatorError(`unknown simulated camera "${name}"`);
    return cam;
  }

  private logFd(file: string): number {
    return openSync(path.join(this.logDir, file), 'a');
  }

  private spawnFeeder(cam: Cam): void {
    const { file, loop, fps, width } = cam.opts;
    // The shared cache lives in tmp and may be cleaned under us: then encode live rather than fail to respawn.
    if (cam.prepared && !existsSync(cam.prepared)) cam.prepared = null;
    const input = cam.prepared ?? file;
    const args = [
      '-nostdin', '-hide_banner', '-loglevel', 'warning',
      '-re',
      ...(loop ? ['-stream_loop', '-1'] : []),
      '-i', input,
      ...(cam.prepared ? ['-an', '-c:v', 'copy'] : encodeArgs(fps, width, 'ultrafast')),
      '-f', 'mpegts', `udp://${HOST}:${cam.udpPort}?pkt_size=1316`,
    ];
    const fd = this.logFd(`feeder-${cam.opts.name}.log`);
    writeSync(fd, `--- ${new Date().toISOString()} ffmpeg ${args.join(' ')}\n`);
    const child = spawnTied(this.o.ffmpegPath ?? 'ffmpeg', args, ['ignore', fd, fd]);
    closeSync(fd);
    cam.feeder = child;
    child.once('exit', (code, sig) => {
      // A looping camera should never end: if its feeder dies on its own (not through stopFeeder/stop), respawn it
      // after a pause, as a real camera would come back after a reboot.
      const unexpected = cam.opts.loop && cam.feeder === child && !this.stopped;
      const f = this.logFd(`feeder-${cam.opts.name}.log`);
      writeSync(f, `--- ${new Date().toISOString()} feeder exited code=${code} signal=${sig}${unexpected ? ', respawning in 1 s' : ''}\n`);
      closeSync(f);
      if (!unexpected) return;
      setTimeout(() => {
        if (cam.feeder === child && !this.stopped) this.spawnFeeder(cam);
      }, 1000).unref();
    });
  }

  private async spawnServer(): Promise<void> {
    const mounts = Object.fromEntries([...this.cams.values()].map((c) => [c.opts.name, c.udpPort]));
    const deadline = Date.now() + (this.o.readyTimeoutMs ?? 30_000);
    // A restart right after a kill may find the port briefly unavailable: retry until the deadline.
    for (let attempt = 1; ; attempt++) {
      const res = await this.trySpawnServer(mounts);
      if (typeof res !== 'string') {
        this.server = res;
        return;
      }
      if (Date.now() > deadline) throw new RtspSimulatorError(`RTSP server did not start: ${res} (log: ${this.logDir})`);
      await sleep(Math.min(200 * attempt, 1000));
    }
  }

  private trySpawnServer(mounts: Record<string, number>): Promise<ChildProcess | string> {
    const fd = this.logFd('server.log');
    const args = [SERVER_SCRIPT, '--port', String(this.rtspPort), '--mounts', JSON.stringify(mounts)];
    writeSync(fd, `--- ${new Date().toISOString()} ${args.join(' ')}\n`);
    const child = spawnTied(this.o.pythonPath ?? '/usr/bin/python3', args, ['ignore', 'pipe', fd]);
    closeSync(fd);
    return new Promise((resolve) => {
      let out = '';
      let settled = false;
      const onData = (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const m = /READY port=(\d+)/.exec(out);
        if (m && !settled) {
          settled = true;
          this.rtspPort = Number(m[1]);
          resolve(child);
        }
      };
      child.stdout?.on('data', onData);
      child.once('error', (err) => {
        if (settled) return;
        settled = true;
        resolve(err.message);
      });
      child.once('exit', (code) => {
        if (settled) return;
        settled = true;
        resolve(`server exited with code ${code}`);
      });
    });
  }

  /** Waits until each named mount answers DESCRIBE and yields stream info: proof that its feed reaches the server. */
  private async waitServing(names: string[]): Promise<void> {
    const deadline = Date.now() + (this.o.readyTimeoutMs ?? 30_000);
    await Promise.all(
      names.map(async (name) => {
        let last = '';
        while (Date.now() < deadline) {
          if (!this.server || exited(this.server)) throw new RtspSimulatorError(`RTSP server exited (log: ${this.logDir})`);
          const cam = this.cam(name);
          if (!cam.feeder || exited(cam.feeder)) {
            throw new RtspSimulatorError(`feeder of "${name}" exited (log: ${path.join(this.logDir, `feeder-${name}.log`)})`);
          }
          const r = await probeRtsp(this.url(name), { ffprobePath: this.o.ffprobePath, timeoutMs: 8000 });
          if (r.ok) return;
          last = r.error;
          await sleep(300);
        }
        throw new RtspSimulatorError(`mount "${name}" not serving after ${this.o.readyTimeoutMs ?? 30_000} ms: ${last}`);
      }),
    );
  }
}

export interface ProbeResult {
  ok: boolean;
  /** "h264 768x432" when ok. */
  info: string;
  /** ffprobe's last error line when not ok. */
  error: string;
}

/** One short RTSP probe (DESCRIBE + a little analysis) over TCP. Never throws. */
export async function probeRtsp(url: string, opts: { ffprobePath?: string; timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 8000;
  const args = [
    '-v', 'error', '-rtsp_transport', 'tcp', '-timeout', String(timeoutMs * 1000),
    '-analyzeduration', '1000000', '-probesize', '100000',
    '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height', '-of', 'csv=p=0', url,
  ];
  const child = spawnTied(opts.ffprobePath ?? 'ffprobe', args, ['ignore', 'pipe', 'pipe']);
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs + 2000);
  const code = await new Promise<number | null>((resolve) => {
    child.once('error', () => resolve(-1));
    child.once('exit', (c) => resolve(c));
  });
  clearTimeout(timer);
  const line = out.trim().split('\n')[0] ?? '';
  if (code === 0 && line) {
    const [codec, w, h] = line.split(',');
    return { ok: true, info: `${codec} ${w}x${h}`, error: '' };
  }
  return { ok: false, info: '', error: err.trim().split('\n').at(-1) ?? `ffprobe exited ${code}` };
}
