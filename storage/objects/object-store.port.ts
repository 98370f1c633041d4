/**
 * Where evidence bytes live (crossing snapshots, later clips, plate and face crops). Keys come only from
 * ./object-keys.ts; implementations: the filesystem (embedded default) and any S3 endpoint.
 */

export interface ObjectStat {
  /** Bytes. */
  size: number;
  contentType: string;
}

export interface ObjectStore {
  /** Writes (or replaces) an object; readers never see a partial object. */
  put(key: string, body: Buffer, contentType: string): Promise<void>;
  /** The object's bytes, or null when there is none. */
  get(key: string): Promise<Buffer | null>;
  stat(key: string): Promise<ObjectStat | null>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
  /** Checks the store is reachable (health). */
  ping?(): Promise<void>;
}

/** A key that the key rules forbid (traversal, empty segments, odd characters). */
export class InvalidObjectKeyError extends Error {
  readonly code = 'IOCV_BAD_OBJECT_KEY';
  constructor(key: string) {
    super(`invalid object key: ${JSON.stringify(key.slice(0, 200))}`);
    this.name = 'InvalidObjectKeyError';
  }
}

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Keys are `/`-separated segments of letters, digits, `_ . -`, none starting with a dot, at most 512 characters:
 * safe as file paths (no traversal, no hidden files) and as S3 keys without escaping.
 */
export function isValidObjectKey(key: string): boolean {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512) return false;
  return key.split('/').every((s) => SEGMENT.test(s));
}

export function assertValidObjectKey(key: string): void {
  if (!isValidObjectKey(key)) throw new InvalidObjectKeyError(key);
}
