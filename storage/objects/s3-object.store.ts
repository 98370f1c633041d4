/**
 * Object store on any S3 endpoint (MinIO in docker-compose, AWS, s3rver in tests) through the `minio` client,
 * path-style, creating the bucket on first use. Objects are always sent in one PUT: the part size is set to the
 * S3 maximum (5 GiB) because some servers (s3rver) do not implement multipart uploads.
 */
import { Client } from 'minio';
import { assertValidObjectKey, type ObjectStat, type ObjectStore } from './object-store.port.js';

export interface S3ObjectStoreOptions {
  /** http(s)://host[:port] of the S3 API. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  bucket: string;
  /** @default 'us-east-1' */
  region?: string;
}

/** Largest single-PUT part the S3 protocol allows; above our largest object so multipart is never used. */
const SINGLE_PUT_PART_SIZE_BYTES = 5 * 1024 * 1024 * 1024;

function errCode(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

export class S3ObjectStore implements ObjectStore {
  private readonly client: Client;
  private readonly bucket: string;
  private readonly region: string;
  private bucketReady: Promise<void> | null = null;

  constructor(opts: S3ObjectStoreOptions) {
    const u = new URL(opts.endpoint);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`S3 endpoint must be http(s): ${opts.endpoint}`);
    this.bucket = opts.bucket;
    this.region = opts.region ?? 'us-east-1';
    const useSSL = u.protocol === 'https:';
    this.client = new Client({
      endPoint: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port ? Number(u.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: opts.accessKey,
      secretKey: opts.secretKey,
      region: this.region,
      pathStyle: true,
      partSize: SINGLE_PUT_PART_SIZE_BYTES,
    });
  }

  /** Creates the bucket once per process; concurrent creators (other processes) are tolerated. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      if (await this.client.bucketExists(this.bucket)) return;
      try {
        await this.client.makeBucket(this.bucket, this.region);
      } catch (err) {
        const code = errCode(err);
        if (code !== 'BucketAlreadyOwnedByYou' && code !== 'BucketAlreadyExists') throw err;
      }
    })().catch((err: unknown) => {
      this.bucketReady = null; // retry on the next call (e.g. the server was still starting)
      throw err;
    });
    return this.bucketReady;
  }

  async put(key: string, body: Buffer, contentType: string): Promise<void> {
    assertValidObjectKey(key);
    await this.ensureBucket();
    await this.client.putObject(this.bucket, key, body, body.length, { 'Content-Type': contentType });
  }

  async get(key: string): Promise<Buffer | null> {
    assertValidObjectKey(key);
    await this.ensureBucket();
    let stream;
    try {
      stream = await this.client.getObject(this.bucket, key);
    } catch (err) {
      if (errCode(err) === 'NoSuchKey' || errCode(err) === 'NotFound') return null;
      throw err;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async stat(key: string): Promise<ObjectStat | null> {
    assertValidObjectKey(key);
    await this.ensureBucket();
    try {
      const st = await this.client.statObject(this.bucket, key);
      const meta = st.metaData as Record<string, unknown>;
      const ct = meta['content-type'] ?? meta['Content-Type'];
      return { size: st.size, contentType: typeof ct === 'string' && ct ? ct : 'application/octet-stream' };
    } catch (err) {
      if (errCode(err) === 'NotFound' || errCode(err) === 'NoSuchKey') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidObjectKey(key);
    await this.ensureBucket();
    await this.client.removeObject(this.bucket, key);
  }

  async ping(): Promise<void> {
    await this.ensureBucket();
  }
}
