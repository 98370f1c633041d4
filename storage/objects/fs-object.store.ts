/**
 * Object store on a local directory: the embedded default. Writes go to a temp file in the same filesystem and
 * are renamed into place, so readers see the old object or the new one, never a partial one. Keys are validated
 * (see isValidObjectKey) and the resolved path is checked to stay under the root, so traversal is impossible.
 * The content type lives in a sidecar under `<root>/.meta/`, a directory no valid key can reach.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assertValidObjectKey, type ObjectStat, type ObjectStore } from './object-store.port.js';

const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

function isNotFound(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export class FsObjectStore implements ObjectStore {
  private readonly root: string;
  private readonly tmpDir: string;
  private readonly metaDir: string;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.tmpDir = path.join(this.root, '.tmp');
    this.metaDir = path.join(this.root, '.meta');
  }

  private resolve(base: string, key: string, suffix = ''): string {
    assertValidObjectKey(key);
    const p = path.join(base, ...key.split('/')) + suffix;
    const rel = path.relative(base, p);
    // Defence in depth: the key rules already exclude '..' and absolute segments.
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`object key escapes the store root: ${key}`);
    return p;
  }

  private async writeAtomic(target: string, data: Buffer | string): Promise<void> {
    await mkdir(this.tmpDir, { recursive: true });
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = path.join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    try {
      await writeFile(tmp, data);
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    const file = this.resolve(this.root, key);
    const meta = this.resolve(this.metaDir, key, '.json');
    await this.writeAtomic(meta, JSON.stringify({ contentType }));
    await this.writeAtomic(file, body);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.resolve(this.root, key));
    } catch (err) {
      if (isNotFound(err) || (err as { code?: string }).code === 'EISDIR') return null;
      throw err;
    }
  }

  async stat(key: string): Promise<ObjectStat | null> {
    let size: number;
    try {
      const st = await stat(this.resolve(this.root, key));
      if (!st.isFile()) return null;
      size = st.size;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
    let contentType = DEFAULT_CONTENT_TYPE;
    try {
      const meta = JSON.parse(await readFile(this.resolve(this.metaDir, key, '.json'), 'utf8')) as { contentType?: unknown };
      if (typeof meta.contentType === 'string' && meta.contentType) contentType = meta.contentType;
    } catch {
      // A missing or damaged sidecar only loses the content type.
    }
    return { size, contentType };
  }

  async delete(key: string): Promise<void> {
    const file = this.resolve(this.root, key);
    const meta = this.resolve(this.metaDir, key, '.json');
    await rm(file, { force: true });
    await rm(meta, { force: true });
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }
}
