/**
 * Splits a concatenated MJPEG byte stream (ffmpeg `-f image2pipe -c:v mjpeg`) into single JPEG images.
 * Walks the marker segments (whose payloads are not byte-stuffed and may contain FF D9) and scans only the
 * entropy-coded data for EOI, where every 0xFF is followed by 0x00 or a restart marker.
 */
export class JpegStreamSplitter {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds bytes; returns every JPEG completed by them. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const soi = this.buf.indexOf(SOI, start);
      if (soi < 0) {
        // keep a trailing 0xFF: it may be the first half of the next SOI
        start = this.buf.length && this.buf[this.buf.length - 1] === 0xff ? this.buf.length - 1 : this.buf.length;
        break;
      }
      const end = findEnd(this.buf, soi);
      if (end < 0) {
        start = soi;
        break;
      }
      out.push(Buffer.from(this.buf.subarray(soi, end)));
      start = end;
    }
    this.buf = start >= this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(start));
    return out;
  }
}

const SOI = Buffer.from([0xff, 0xd8]);

/** Index just past the EOI of the JPEG starting at `soi`, or -1 if the data is incomplete. */
function findEnd(b: Buffer, soi: number): number {
  let i = soi + 2;
  for (;;) {
    if (i + 1 >= b.length) return -1;
    if (b[i] !== 0xff) {
      i++; // tolerate garbage between segments
      continue;
    }
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++;
      continue;
    }
    if (m === 0xd9) return i + 2;
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2;
      continue;
    }
    if (i + 3 >= b.length) return -1;
    const len = b.readUInt16BE(i + 2);
    i += 2 + len;
    if (m !== 0xda) continue;
    // entropy-coded data of a scan: runs until a marker other than FF00 / RSTn
    for (;;) {
      // Native memchr over the scan data: per-byte JavaScript here costs real CPU at hundreds of frames per second.
      const ff = b.indexOf(0xff, i);
      if (ff < 0 || ff + 1 >= b.length) return -1;
      i = ff;
      const n = b[i + 1]!;
      if (n === 0x00 || (n >= 0xd0 && n <= 0xd7) || n === 0xff) {
        i += n === 0xff ? 1 : 2;
        continue;
      }
      break;
    }
  }
}

/** Reads width and height from a baseline/progressive JPEG's SOF marker without decoding it. */
export function jpegSize(jpeg: Buffer): { width: number; height: number } | null {
  let i = 2;
  while (i + 9 < jpeg.length) {
    if (jpeg[i] !== 0xff) return null;
    const marker = jpeg[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const len = jpeg.readUInt16BE(i + 2);
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  return null;
}
