/**
 * Chooses and configures the object store from the environment, strictly: a missing or contradictory
 * variable stops the process with its name (ConfigError), instead of silently writing evidence elsewhere.
 */
import path from 'node:path';
import { ConfigError } from '../../pipeline/config/camera-config.js';
import { FsObjectStore } from './fs-object.store.js';
import type { ObjectStore } from './object-store.port.js';
import { S3ObjectStore } from './s3-object.store.js';

export type ObjectStoreSettings =
  | { kind: 'fs'; /** Absolute directory. */ root: string }
  | { kind: 's3'; endpoint: string; accessKey: string; secretKey: string; bucket: string; region: string };

/** Default directory of the filesystem store, relative to the working directory. */
export const DEFAULT_FS_ROOT = 'var/objects';

const S3_VARS = ['IOCV_S3_ENDPOINT', 'IOCV_S3_ACCESS_KEY', 'IOCV_S3_SECRET_KEY', 'IOCV_S3_BUCKET', 'IOCV_S3_REGION'] as const;

/**
 * IOCV_OBJECT_STORE=fs (default) with IOCV_FS_ROOT (default var/objects), or IOCV_OBJECT_STORE=s3 with
 * IOCV_S3_ENDPOINT (http(s)://host[:port]), IOCV_S3_ACCESS_KEY, IOCV_S3_SECRET_KEY, IOCV_S3_BUCKET and optional
 * IOCV_S3_REGION (default us-east-1).
 */
export function parseObjectStoreSettings(env: Record<string, string | undefined> = process.env): ObjectStoreSettings {
  const v = (k: string): string | undefined => (env[k] === undefined || env[k] === '' ? undefined : env[k]);
  const issues: Array<{ path: string; message: string }> = [];
  const kind = v('IOCV_OBJECT_STORE') ?? 'fs';
  if (kind === 'fs') {
    for (const k of S3_VARS) if (v(k) !== undefined) issues.push({ path: k, message: 'is set but IOCV_OBJECT_STORE is not "s3"' });
    if (issues.length) throw new ConfigError('environment', issues);
    return { kind: 'fs', root: path.resolve(v('IOCV_FS_ROOT') ?? DEFAULT_FS_ROOT) };
  }
  if (kind !== 's3') throw new ConfigError('environment', [{ path: 'IOCV_OBJECT_STORE', message: `must be "fs" or "s3", got "${kind}"` }]);
  if (v('IOCV_FS_ROOT') !== undefined) issues.push({ path: 'IOCV_FS_ROOT', message: 'is set but IOCV_OBJECT_STORE is "s3"' });
  const endpoint = v('IOCV_S3_ENDPOINT');
  if (endpoint === undefined) issues.push({ path: 'IOCV_S3_ENDPOINT', message: 'is required when IOCV_OBJECT_STORE=s3' });
  else {
    let u: URL | null = null;
    try {
      u = new URL(endpoint);
    } catch {
      /* reported below */
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:') || (u.pathname !== '/' && u.pathname !== '') || u.search || u.username) {
      issues.push({ path: 'IOCV_S3_ENDPOINT', message: `must be http(s)://host[:port] without path or credentials, got "${endpoint}"` });
    }
  }
  for (const k of ['IOCV_S3_ACCESS_KEY', 'IOCV_S3_SECRET_KEY'] as const) {
    if (v(k) === undefined) issues.push({ path: k, message: 'is required when IOCV_OBJECT_STORE=s3' });
  }
  const bucket = v('IOCV_S3_BUCKET');
  if (bucket === undefined) issues.push({ path: 'IOCV_S3_BUCKET', message: 'is required when IOCV_OBJECT_STORE=s3' });
  else if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    issues.push({ path: 'IOCV_S3_BUCKET', message: `is not a valid S3 bucket name: "${bucket}"` });
  }
  const region = v('IOCV_S3_REGION') ?? 'us-east-1';
  if (!/^[a-z0-9-]{1,32}$/.test(region)) issues.push({ path: 'IOCV_S3_REGION', message: `is not a valid region: "${region}"` });
  if (issues.length) throw new ConfigError('environment', issues);
  return {
    kind: 's3',
    endpoint: endpoint!,
    accessKey: v('IOCV_S3_ACCESS_KEY')!,
    secretKey: v('IOCV_S3_SECRET_KEY')!,
    bucket: bucket!,
    region,
  };
}

export function createObjectStore(settings: ObjectStoreSettings): ObjectStore {
  return settings.kind === 'fs' ? new FsObjectStore(settings.root) : new S3ObjectStore(settings);
}
