/** Helpers for the ingest integration tests: a private Redis key prefix, camera configs, condition polling. */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { parseCamerasConfig } from '../../pipeline/config/camera-config.js';
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { SourceFrame } from '../../pipeline/sources/frame-source.port.js';
import type { CameraSink } from '../../workers/ingest/ingest-coordinator.js';

export const REDIS_URL = process.env.IOCV_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Redis clients sharing one random key prefix, and a cleanup that deletes every key under it. */
export function redisSandbox() {
  const prefix = `iocv-test-${randomBytes(4).toString('hex')}:`;
  const clients: Redis[] = [];
  return {
    prefix,
    client(): Redis {
      const c = new Redis(REDIS_URL, { keyPrefix: prefix, maxRetriesPerRequest: 2, lazyConnect: false });
      clients.push(c);
      return c;
    },
    async cleanup(): Promise<void> {
      const admin = new Redis(REDIS_URL);
      try {
        const keys = await admin.keys(`${prefix}*`);
        if (keys.length) await admin.del(...keys);
      } finally {
        admin.disconnect();
        for (const c of clients) c.disconnect();
      }
    },
  };
}

/** A camera with every default applied by the real config parser (so new config fields need no test change). */
export function cameraConfig(id: string, url: string, over: Partial<CameraConfig> = {}): CameraConfig {
  // Parse with a valid URL, then override: some tests need URLs the config would reject (that is their point).
  const [c] = parseCamerasConfig({ cameras: [{ id, url: 'rtsp://127.0.0.1/x' }] }, 'test');
  return { ...c!, url, ...over };
}

/** A sink that counts frames per camera (stands in for the frame dispatcher). */
export class CountingSinks {
  readonly frames = new Map<string, number>();
  readonly closed: string[] = [];
  readonly last = new Map<string, SourceFrame>();
  open = (camera: CameraConfig): CameraSink => ({
    onFrame: (f) => {
      this.frames.set(camera.id, (this.frames.get(camera.id) ?? 0) + 1);
      this.last.set(camera.id, f);
    },
    stats: () => ({ droppedFrames: 0, analysedFps: 0 }),
    close: () => void this.closed.push(camera.id),
  });
  count(id: string): number {
    return this.frames.get(id) ?? 0;
  }
}

/** Polls `cond` until true; fails with `what` (and the last observed value) after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  cond: () => T | null | undefined | false | '' | Promise<T | null | undefined | false | ''>,
  { timeoutMs = 45_000, everyMs = 100, describe }: { timeoutMs?: number; everyMs?: number; describe?: () => unknown } = {},
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${describe ? ` (last: ${JSON.stringify(describe())})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A TCP port nothing listens on (bound then closed). */
export async function closedTcpPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
