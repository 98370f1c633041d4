import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LineCrossing } from '../pipeline/domain.types.js';
import { FsObjectStore } from '../storage/objects/fs-object.store.js';
import { objectKey, safeSegment } from '../storage/objects/object-keys.js';
import { createObjectStore, parseObjectStoreSettings } from '../storage/objects/object-store.factory.js';
import { InvalidObjectKeyError, isValidObjectKey, type ObjectStore } from '../storage/objects/object-store.port.js';
import { S3ObjectStore } from '../storage/objects/s3-object.store.js';

const REPO_ROOT = path.resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
}

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 0xff, 0xd9]);

function sampleCrossing(over: Partial<LineCrossing> = {}): LineCrossing {
  const capturedAt = Date.UTC(2026, 0, 2, 23, 59, 59);
  return {
    id: 'cam 1:e/1:L1:cam 1:e/1:7',
    cameraId: 'cam 1',
    lineId: 'L1',
    trackId: 'cam 1:e/1:7',
    cls: 'car',
    direction: 'forward',
    frame: { cameraId: 'cam 1', epoch: 'e/1', seq: 3, ptsMs: 600, capturedAt, width: 640, height: 360, frameKey: 'f' },
    box: { x: 0, y: 0, w: 1, h: 1 },
    ...over,
  };
}

describe('object keys', () => {
  it('builds dated, safe, collision-free snapshot keys', () => {
    const key = objectKey.crossingSnapshot(sampleCrossing());
    expect(key).toMatch(/^snapshots\/cam_20_1\/2026\/01\/02\/[A-Za-z0-9._-]+\.jpg$/);
    expect(isValidObjectKey(key)).toBe(true);
    // ids differing only in characters that get escaped must not share a key
    const ids = ['a:b', 'a_b', 'a/b', 'a b', 'a_3a_b', '..', '.hidden', 'ê', 'x'.repeat(3)];
    const segs = ids.map(safeSegment);
    expect(new Set(segs).size).toBe(ids.length);
    for (const s of segs) expect(isValidObjectKey(`k/${s}`)).toBe(true);
    for (const k of [objectKey.eventSnapshot({ id: 'e:1', cameraId: '../etc', at: 0 }), objectKey.clip({ id: '1', cameraId: 'c', at: 0 })]) {
      expect(isValidObjectKey(k)).toBe(true);
      expect(k.split('/')).not.toContain('..');
    }
  });

  it('rejects unsafe keys', () => {
    for (const bad of ['', '/abs', 'a//b', '../x', 'a/../../x', 'a/./b', '.hidden/x', 'a\\b', 'a b', 'x/', 'a/\u0000']) {
      expect(isValidObjectKey(bad), bad).toBe(false);
    }
  });
});

describe('object store settings', () => {
  it('defaults to the filesystem store and validates S3 variables strictly', () => {
    expect(parseObjectStoreSettings({})).toEqual({ kind: 'fs', root: path.resolve('var/objects') });
    expect(parseObjectStoreSettings({ IOCV_FS_ROOT: '/data/objects' })).toEqual({ kind: 'fs', root: '/data/objects' });
    expect(() => parseObjectStoreSettings({ IOCV_S3_ENDPOINT: 'http://minio:9000' })).toThrow(/IOCV_S3_ENDPOINT/);
    expect(() => parseObjectStoreSettings({ IOCV_OBJECT_STORE: 'ftp' })).toThrow(/IOCV_OBJECT_STORE/);
    let err: { code?: string; issues: Array<{ path: string }> } | undefined;
    try {
      parseObjectStoreSettings({ IOCV_OBJECT_STORE: 's3', IOCV_S3_ENDPOINT: 'minio:9000/x', IOCV_S3_BUCKET: 'Bad_Bucket' });
    } catch (e) {
      err = e as typeof err;
    }
    expect(err!.code).toBe('IOCV_CONFIG_INVALID');
    expect(err!.issues.map((i) => i.path).sort()).toEqual(['IOCV_S3_ACCESS_KEY', 'IOCV_S3_BUCKET', 'IOCV_S3_ENDPOINT', 'IOCV_S3_SECRET_KEY']);
    expect(
      parseObjectStoreSettings({ IOCV_OBJECT_STORE: 's3', IOCV_S3_ENDPOINT: 'http://127.0.0.1:9000', IOCV_S3_ACCESS_KEY: 'a', IOCV_S3_SECRET_KEY: 'b', IOCV_S3_BUCKET: 'ioc-vision' }),
    ).toEqual({ kind: 's3', endpoint: 'http://127.0.0.1:9000', accessKey: 'a', secretKey: 'b', bucket: 'ioc-vision', region: 'us-east-1' });
  });
});

async function contract(store: ObjectStore): Promise<void> {
  const key = objectKey.crossingSnapshot(sampleCrossing());
  expect(await store.get(key)).toBeNull();
  expect(await store.stat(key)).toBeNull();
  await store.put(key, JPEG, 'image/jpeg');
  expect(await store.get(key)).toEqual(JPEG);
  expect(await store.stat(key)).toEqual({ size: JPEG.length, contentType: 'image/jpeg' });
  // replace
  const bigger = Buffer.alloc(300_000, 7);
  await store.put(key, bigger, 'application/octet-stream');
  expect((await store.get(key))!.equals(bigger)).toBe(true);
  expect(await store.stat(key)).toEqual({ size: bigger.length, contentType: 'application/octet-stream' });
  // an empty object is still an object
  await store.put('misc/empty.bin', Buffer.alloc(0), 'application/octet-stream');
  expect(await store.stat('misc/empty.bin')).toEqual({ size: 0, contentType: 'application/octet-stream' });
  await store.delete(key);
  await store.delete(key); // deleting twice is fine
  expect(await store.get(key)).toBeNull();
  expect(await store.stat(key)).toBeNull();
  await expect(store.put('../escape.jpg', JPEG, 'image/jpeg')).rejects.toBeInstanceOf(InvalidObjectKeyError);
  await expect(store.get('a/../../etc/passwd')).rejects.toBeInstanceOf(InvalidObjectKeyError);
  await store.ping?.();
}

describe('FsObjectStore', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-objects-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stores, replaces, stats and deletes objects under its root only', async () => {
    const root = path.join(dir, 'root');
    const store = createObjectStore({ kind: 'fs', root });
    expect(store).toBeInstanceOf(FsObjectStore);
    await contract(store);
    // nothing was written outside the root, and no temp files are left behind
    expect(readdirSync(dir)).toEqual(['root']);
    expect(readdirSync(path.join(root, '.tmp'))).toEqual([]);
    expect(existsSync(path.join(dir, 'escape.jpg'))).toBe(false);
  });

  it('lets concurrent writers of one key leave one whole object', async () => {
    const store = new FsObjectStore(path.join(dir, 'race'));
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.alloc(100_000 + i, i));
    await Promise.all(bodies.map((b) => store.put('race/k.bin', b, 'application/octet-stream')));
    const got = (await store.get('race/k.bin'))!;
    expect(bodies.some((b) => b.equals(got))).toBe(true);
  });
});

describe('S3ObjectStore against a real s3rver process', () => {
  let child: ChildProcess | undefined;
  let dir: string;
  let endpoint: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'iocv-s3rver-'));
    const port = await freePort();
    child = spawn(process.execPath, [path.join(REPO_ROOT, 'node_modules', 's3rver', 'bin', 's3rver.js'), '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent'], {
      stdio: 'ignore',
    });
    endpoint = `http://127.0.0.1:${port}`;
    await waitForPort(port, 15_000);
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates its bucket and honours the store contract', async () => {
    const settings = parseObjectStoreSettings({
      IOCV_OBJECT_STORE: 's3',
      IOCV_S3_ENDPOINT: endpoint,
      IOCV_S3_ACCESS_KEY: 'S3RVER',
      IOCV_S3_SECRET_KEY: 'S3RVER',
      IOCV_S3_BUCKET: `iocv-test-${process.pid}`,
    });
    const store = createObjectStore(settings);
    expect(store).toBeInstanceOf(S3ObjectStore);
    await contract(store);
    // a second client (another process) finds the bucket already there
    const other = createObjectStore(settings);
    await other.put('misc/second.bin', JPEG, 'image/jpeg');
    expect(await store.get('misc/second.bin')).toEqual(JPEG);
  });

  it('stores an object larger than the client default 64 MiB part size (s3rver has no multipart upload)', async () => {
    const store = new S3ObjectStore({ endpoint, accessKey: 'S3RVER', secretKey: 'S3RVER', bucket: 'iocv-big' });
    const big = Buffer.alloc(65 * 1024 * 1024, 3);
    await store.put('clips/c/2026/01/01/big.mp4', big, 'video/mp4');
    expect(await store.stat('clips/c/2026/01/01/big.mp4')).toEqual({ size: big.length, contentType: 'video/mp4' });
  });
});
