import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { captionLines, overlaySvg, renderSnapshot } from './snapshot.renderer.js';

describe('snapshot renderer', () => {
  const track = { trackId: 'cam:e:7', cls: 'car' as const, box: { x: 10, y: 20, w: 50, h: 30 }, score: 0.9, state: 'confirmed' as const };

  it('escapes captions and labels the tracks', () => {
    const svg = overlaySvg(320, 240, { tracks: [track], caption: 'cam <1> & "x"' });
    expect(svg).toContain('car #7');
    expect(svg).toContain('cam &#60;1&#62; &#38; &#34;x&#34;');
    expect(svg).not.toContain('<1>');
  });

  it('draws the highlighted box in red on the frame', async () => {
    const frame = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 0, g: 0, b: 0 } } }).jpeg().toBuffer();
    const out = await renderSnapshot(frame, 320, 240, { tracks: [track], highlightTrackId: 'cam:e:7' });
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(320);
    // left edge of the box at x=10, mid height y=35: red-ish
    const i = (35 * 320 + 10) * 3;
    expect(data[i]!).toBeGreaterThan(150);
    expect(data[i + 1]!).toBeLessThan(120);
    // inside the box stays dark
    const j = (35 * 320 + 35) * 3;
    expect(data[j]!).toBeLessThan(60);
  });

  it('outlines an incident zone and highlights every involved track', async () => {
    const other = { ...track, trackId: 'cam:e:8', cls: 'person' as const, box: { x: 200, y: 100, w: 20, h: 60 } };
    const bystander = { ...track, trackId: 'cam:e:9', cls: 'person' as const, box: { x: 260, y: 100, w: 20, h: 60 } };
    const zone = { id: 'Z1 <gate>', points: [{ x: 150, y: 50 }, { x: 300, y: 50 }, { x: 300, y: 230 }, { x: 150, y: 230 }] };
    const svg = overlaySvg(320, 240, { tracks: [track, other, bystander], highlightTrackIds: ['cam:e:7', 'cam:e:8'], zones: [zone] });
    expect(svg).toContain('<polygon points="150.0,50.0 300.0,50.0 300.0,230.0 150.0,230.0"');
    expect(svg).toContain('Z1 &#60;gate&#62;');
    expect(svg.match(/stroke="#ff2d55" stroke-width="4"/g)).toHaveLength(2); // two highlighted boxes (double stroke)
    const frame = await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 0, g: 0, b: 0 } } }).jpeg().toBuffer();
    const { data } = await sharp(await renderSnapshot(frame, 320, 240, { tracks: [], zones: [zone] })).raw().toBuffer({ resolveWithObject: true });
    const at = (x: number, y: number) => (y * 320 + x) * 3;
    // the zone's left edge is drawn, its inside is tinted, the outside stays dark
    expect(data[at(150, 140)]!).toBeGreaterThan(150);
    expect(data[at(225, 140)]!).toBeGreaterThan(20);
    expect(data[at(225, 140)]!).toBeLessThan(120);
    expect(data[at(60, 140)]!).toBeLessThan(20);
  });

  it('wraps a long caption between its parts to fit a small frame, and keeps zone labels inside the frame', () => {
    const caption = 'highway.avi · Zone intrusion · Hard shoulder (SHOULDER) · person · 2026-11-22 15:04:05Z';
    expect(captionLines(caption, 1280, 20)).toEqual([caption]);
    const lines = captionLines(caption, 320, 11);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join(' · ')).toBe(caption);
    for (const l of lines) expect(l.length * 11 * 0.62).toBeLessThanOrEqual(308);
    const svg = overlaySvg(320, 240, { tracks: [], caption, zones: [{ id: 'SHOULDER', points: [{ x: 300, y: 0 }, { x: 320, y: 0 }, { x: 320, y: 240 }] }] });
    expect(svg.match(/<text x="6"/g)).toHaveLength(lines.length);
    const label = /<text x="([\d.]+)" y="([\d.]+)"[^>]*>SHOULDER</.exec(svg)!;
    expect(Number(label[1]) + 8 * 11 * 0.62).toBeLessThanOrEqual(320);
    expect(Number(label[2])).toBeGreaterThan(lines.length * 15 + 6); // below the caption bar
  });
});
