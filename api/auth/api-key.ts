/**
 * Machine API keys: `iocv_<id>_<secret>` where id is a public 16-hex prefix (the row id) and secret 32 random
 * bytes (base64url). Only SHA-256 of the whole key is stored; the key is shown once at creation.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface GeneratedApiKey {
  id: string;
  /** The full key: give it to the machine, never store it. */
  key: string;
  /** SHA-256 hex of the key, stored. */
  hash: string;
}

const KEY_RE = /^iocv_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export function generateApiKey(): GeneratedApiKey {
  const id = randomBytes(8).toString('hex');
  const key = `iocv_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** The id of a well-formed key, or null. */
export function parseApiKey(key: string): { id: string } | null {
  const m = KEY_RE.exec(key);
  return m ? { id: m[1]! } : null;
}

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith('iocv_');
}

/** Constant-time comparison of a presented key with a stored hash. */
export function apiKeyMatches(key: string, storedHash: string): boolean {
  const a = Buffer.from(hashApiKey(key), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
