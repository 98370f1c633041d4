import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/** SHA-256 of a file as lowercase hex, streamed (model files are several MB; never read them whole twice). */
export async function sha256File(filePath: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(filePath)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// One hash per (path, mtime, size): a process loads the same model many times (several sessions, tests), and
// hashing 20 MB costs ~50 ms; a changed file (new mtime or size) is hashed again.
const verified = new Map<string, Promise<string>>();

/**
 * SHA-256 of `filePath`, memoised per process by path + mtime + size. Concurrent callers share one computation;
 * a failed read is not memoised.
 */
export async function cachedSha256(filePath: string): Promise<string> {
  const st = await stat(filePath);
  const key = `${filePath}\0${st.mtimeMs}\0${st.size}`;
  let pending = verified.get(key);
  if (!pending) {
    pending = sha256File(filePath);
    verified.set(key, pending);
    pending.catch(() => verified.delete(key));
  }
  return pending;
}

/** Forget memoised hashes (tests that rewrite a file within one mtime tick). */
export function clearChecksumCache(): void {
  verified.clear();
}
