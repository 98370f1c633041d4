/**
 * Keyset pagination: a page ends at the last row's (time, id); the next page starts strictly after it in the
 * same order. Cursors are opaque to clients (base64url JSON) and validated when decoded.
 */

export class InvalidCursorError extends Error {
  readonly code = 'IOCV_BAD_CURSOR';
  constructor() {
    super('cursor is not one this server returned');
    this.name = 'InvalidCursorError';
  }
}

export interface KeysetCursor {
  /** Sort time of the last row of the previous page, epoch ms. */
  t: number;
  id: string;
}

export interface Page<T> {
  items: T[];
  /** Pass back to get the next page; null when this was the last page. */
  nextCursor: string | null;
}

export function encodeCursor(c: KeysetCursor): string {
  return Buffer.from(JSON.stringify([c.t, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(s: string): KeysetCursor {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(s)) throw new InvalidCursorError();
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!Array.isArray(v) || v.length !== 2 || !Number.isSafeInteger(v[0]) || typeof v[1] !== 'string') throw new InvalidCursorError();
  return { t: v[0] as number, id: v[1] };
}

/** Page size bounds shared by every paged query. */
export const PAGE_LIMIT = { default: 50, max: 500 } as const;

export function clampLimit(limit: number | undefined): number {
  if (limit === undefined) return PAGE_LIMIT.default;
  return Math.max(1, Math.min(PAGE_LIMIT.max, Math.floor(limit)));
}
