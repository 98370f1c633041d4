/**
 * THE one module that builds object-store keys. Every key is `<kind>/<cameraId>/<yyyy>/<mm>/<dd>/<id>.<ext>`
 * (UTC date of the event), so a camera's evidence for a day can be listed or expired by prefix.
 * Ids are escaped injectively into safe characters: letters, digits, `.` and `-` stay; every other character
 * (including `_` itself) becomes `_xx_` with its UTF-8 bytes in hex, so two different ids never share a key.
 */
import type { LineCrossing } from '../../pipeline/domain.types.js';

/** Escapes one path segment (never empty, never starting with a dot). */
export function safeSegment(s: string): string {
  if (s.length === 0) return '_empty_';
  let out = '';
  for (const ch of s) {
    if (/^[A-Za-z0-9.-]$/.test(ch)) out += ch;
    else out += `_${Buffer.from(ch, 'utf8').toString('hex')}_`;
  }
  return out.startsWith('.') ? `_2e_${out.slice(1)}` : out;
}

function datePath(epochMs: number): string {
  const d = new Date(epochMs);
  if (Number.isNaN(d.getTime())) throw new RangeError(`bad timestamp for an object key: ${epochMs}`);
  const yyyy = String(d.getUTCFullYear()).padStart(4, '0');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${yyyy}/${mm}/${dd}`;
}

function build(kind: string, cameraId: string, atMs: number, id: string, ext: string): string {
  return `${kind}/${safeSegment(cameraId)}/${datePath(atMs)}/${safeSegment(id)}.${ext}`;
}

export const objectKey = {
  /** JPEG of the frame that confirmed a line crossing, boxes drawn. */
  crossingSnapshot: (c: Pick<LineCrossing, 'id' | 'cameraId' | 'frame'>): string =>
    build('snapshots', c.cameraId, c.frame.capturedAt, c.id, 'jpg'),
  /** JPEG for an incident (event) of a camera. */
  eventSnapshot: (e: { id: string; cameraId: string; at: number }): string => build('events', e.cameraId, e.at, e.id, 'jpg'),
  /** Evidence video clip (MP4) around an event. */
  clip: (e: { id: string; cameraId: string; at: number }): string => build('clips', e.cameraId, e.at, e.id, 'mp4'),
  /** Plate crop (JPEG) of a plate read. */
  plateCrop: (p: { id: string; cameraId: string; at: number }): string => build('plates', p.cameraId, p.at, p.id, 'jpg'),
  /** Face crop (JPEG) of a face sighting. */
  faceCrop: (f: { id: string; cameraId: string; at: number }): string => build('faces', f.cameraId, f.at, f.id, 'jpg'),
} as const;
