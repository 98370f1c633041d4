/**
 * Evidence pictures for operators: the frame with every tracked box drawn, the objects involved highlighted and the
 * counting line or zone of the event shown. SVG overlay composited by sharp (libvips), so no canvas dependency.
 */
import sharp from 'sharp';
import type { Box, TrackedObject } from '../../pipeline/domain.types.js';

export interface SnapshotOverlay {
  tracks: TrackedObject[];
  /** The track to highlight (e.g. the one that crossed). */
  highlightTrackId?: string;
  /** More tracks to highlight (e.g. everyone counted in a crowd). */
  highlightTrackIds?: readonly string[];
  /** Lines in pixels of the frame. */
  lines?: Array<{ id: string; a: { x: number; y: number }; b: { x: number; y: number } }>;
  /** Zone polygons in pixels of the frame (e.g. the zone of an incident), outlined and lightly filled. */
  zones?: Array<{ id: string; points: ReadonlyArray<{ x: number; y: number }> }>;
  /** Caption drawn at the top-left (camera, time, event). */
  caption?: string;
}

const COLOURS: Record<string, string> = {
  person: '#ffd400',
  bicycle: '#00e0ff',
  car: '#36d13f',
  motorcycle: '#ff8c00',
  bus: '#c86bff',
  truck: '#4aa3ff',
};

/** Rough width of DejaVu Sans text, px: enough to keep labels and captions inside the frame. */
const textWidth = (text: string, font: number): number => text.length * font * 0.62;

/**
 * The caption in as few lines as fit the frame's width, breaking between its ` · ` parts (a small camera picture
 * would otherwise cut off the event and the time, the parts an operator needs).
 */
export function captionLines(caption: string, width: number, font: number): string[] {
  const room = width - 12;
  const lines: string[] = [];
  let cur = '';
  for (const part of caption.split(' · ')) {
    const next = cur ? `${cur} · ${part}` : part;
    if (cur && textWidth(next, font) > room) {
      lines.push(cur);
      cur = part;
    } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function overlaySvg(width: number, height: number, o: SnapshotOverlay): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 240));
  const font = Math.max(11, Math.round(height / 36));
  const parts: string[] = [];
  const caption = o.caption ? captionLines(o.caption, width, font) : [];
  const captionHeight = caption.length ? caption.length * (font + 4) + 6 : 0;
  // Zones first: boxes drawn after them stay readable on top of the fill.
  for (const z of o.zones ?? []) {
    if (z.points.length < 3) continue;
    const pts = z.points.map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(' ');
    const top = z.points.reduce((a, p) => (p.y < a.y ? p : a), z.points[0]!);
    const labelX = Math.min(Math.max(top.x + 4, 2), Math.max(2, width - textWidth(z.id, font) - 4));
    parts.push(
      `<polygon points="${pts}" fill="#ff2d55" fill-opacity="0.18" stroke="#ff2d55" stroke-width="${stroke}" stroke-linejoin="round"/>`,
      // Inside the frame, and below the caption bar when the zone reaches the top of the frame.
      `<text x="${labelX.toFixed(1)}" y="${Math.min(height - 4, Math.max(captionHeight + font + 2, top.y + font + 2)).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#ff2d55">${esc(z.id)}</text>`,
    );
  }
  const highlighted = new Set(o.highlightTrackIds ?? []);
  if (o.highlightTrackId) highlighted.add(o.highlightTrackId);
  for (const l of o.lines ?? []) {
    parts.push(
      `<line x1="${l.a.x}" y1="${l.a.y}" x2="${l.b.x}" y2="${l.b.y}" stroke="#ff2d55" stroke-width="${stroke}" stroke-dasharray="${stroke * 4},${stroke * 2}"/>`,
      `<text x="${l.b.x + 4}" y="${l.b.y - 4}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#ff2d55">${esc(l.id)}</text>`,
    );
  }
  for (const t of o.tracks) {
    const hi = highlighted.has(t.trackId);
    const c = hi ? '#ff2d55' : (COLOURS[t.cls] ?? '#ffffff');
    const b: Box = t.box;
    const label = `${t.cls} #${t.trackId.split(':').at(-1) ?? ''}`;
    parts.push(
      `<rect x="${b.x.toFixed(1)}" y="${b.y.toFixed(1)}" width="${b.w.toFixed(1)}" height="${b.h.toFixed(1)}" fill="none" stroke="${c}" stroke-width="${hi ? stroke * 2 : stroke}"/>`,
      `<rect x="${b.x.toFixed(1)}" y="${Math.max(0, b.y - font - 4).toFixed(1)}" width="${(label.length * font * 0.62 + 6).toFixed(1)}" height="${font + 4}" fill="${c}" opacity="0.85"/>`,
      `<text x="${(b.x + 3).toFixed(1)}" y="${Math.max(font, b.y - 4).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#000">${esc(label)}</text>`,
    );
  }
  if (caption.length) {
    parts.push(`<rect x="0" y="0" width="${width}" height="${captionHeight}" fill="#000" opacity="0.55"/>`);
    caption.forEach((line, i) => {
      parts.push(`<text x="6" y="${(i + 1) * (font + 4) - 1}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="#fff">${esc(line)}</text>`);
    });
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Draws the overlay on a JPEG frame and returns a JPEG. */
export async function renderSnapshot(jpeg: Buffer, width: number, height: number, o: SnapshotOverlay, quality = 82): Promise<Buffer> {
  return sharp(jpeg)
    .composite([{ input: Buffer.from(overlaySvg(width, height, o)), top: 0, left: 0 }])
    .jpeg({ quality })
    .toBuffer();
}
