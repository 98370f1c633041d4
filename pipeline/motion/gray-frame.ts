/**
 * Small grayscale frames for the motion detector. Motion needs neither colour nor resolution: a 160–320 px wide
 * gray image keeps vehicles and people of a city camera several pixels large while the per-pixel work stays tiny.
 */
import sharp from 'sharp';

/** 8-bit single-channel image, row-major, `data.length === width * height`. */
export interface GrayImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/**
 * Decodes a JPEG (or any image sharp reads) straight to a small grayscale image `width` pixels wide, keeping the
 * aspect ratio. libvips uses JPEG shrink-on-load (DCT scaling by 1/2, 1/4, 1/8) before the final resize, so a 720p
 * frame is never decoded at full size. Images narrower than `width` are not enlarged.
 */
export async function decodeGraySmall(jpeg: Buffer, width: number): Promise<GrayImage> {
  if (!Number.isInteger(width) || width < 8) throw new RangeError(`decodeGraySmall: width must be an integer >= 8, got ${width}`);
  const { data, info } = await sharp(jpeg, { failOn: 'none' })
    .resize({ width, withoutEnlargement: true, kernel: 'linear' })
    .grayscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const n = info.width * info.height;
  if (info.channels === 1) return { data: new Uint8Array(data.buffer, data.byteOffset, n), width: info.width, height: info.height };
  // grayscale() with an alpha channel keeps the alpha: take the first channel only.
  const out = new Uint8Array(n);
  for (let i = 0, j = 0; i < n; i++, j += info.channels) out[i] = data[j]!;
  return { data: out, width: info.width, height: info.height };
}

/** Wraps raw gray pixels (e.g. a synthetic test frame) after checking the size. */
export function grayImage(data: Uint8Array, width: number, height: number): GrayImage {
  if (data.length !== width * height) throw new RangeError(`grayImage: expected ${width * height} bytes, got ${data.length}`);
  return { data, width, height };
}
