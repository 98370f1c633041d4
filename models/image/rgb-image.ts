/**
 * The one in-memory image type every model pre-processor takes, and its conversions to and from encoded bytes.
 * Decoding goes through sharp (libvips): it applies EXIF orientation, converts any colourspace (grey, CMYK, 16-bit)
 * to 8-bit sRGB and drops alpha, so model code can assume 3 interleaved RGB bytes per pixel.
 */
import sharp from 'sharp';
import type { Metadata, OutputInfo, Sharp } from 'sharp';
import type { Box } from '../../pipeline/domain.types.js';

export interface RgbImage {
  /** RGB interleaved, HWC, no alpha; length = width × height × 3. */
  data: Uint8Array;
  width: number;
  height: number;
}

/** The bytes are not a decodable image (or the file cannot be read). */
export class ImageDecodeError extends Error {
  readonly code = 'IOCV_IMAGE_INVALID';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImageDecodeError';
  }
}

function describe(input: Buffer | string): string {
  return typeof input === 'string' ? `file ${input}` : `${input.length}-byte buffer`;
}

/** Wrap sharp's output: always 3 channels (sharp gives 1 for some greys even after toColourspace). */
function toRgb(data: Buffer, info: OutputInfo): RgbImage {
  const { width, height, channels } = info;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (channels === 3) return { data: bytes, width, height };
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const r = bytes[j]!;
    out[i * 3] = r;
    out[i * 3 + 1] = channels >= 3 ? bytes[j + 1]! : r;
    out[i * 3 + 2] = channels >= 3 ? bytes[j + 2]! : r;
  }
  return { data: out, width, height };
}

function pipelineFor(input: Buffer | string): Sharp {
  // failOn 'error' (sharp's default is the stricter 'warning') still rejects truncated JPEGs, which would decode with
  // grey bottoms that look like "no objects", but tolerates the harmless warnings some camera encoders trigger.
  return sharp(input, { failOn: 'error' }).rotate().flatten().removeAlpha().toColourspace('srgb');
}

/** Decode JPEG/PNG/WebP/... bytes or a file path to RGB, applying EXIF rotation. */
export async function decodeImage(input: Buffer | string): Promise<RgbImage> {
  try {
    const { data, info } = await pipelineFor(input).raw().toBuffer({ resolveWithObject: true });
    return toRgb(data, info);
  } catch (err) {
    throw new ImageDecodeError(`cannot decode image (${describe(input)}): ${(err as Error).message}`, { cause: err });
  }
}

/** Size of an encoded image after EXIF rotation, read from its header only. */
export async function probeImageSize(input: Buffer | string): Promise<{ width: number; height: number }> {
  let meta: Metadata;
  try {
    meta = await sharp(input).metadata();
  } catch (err) {
    throw new ImageDecodeError(`cannot read image header (${describe(input)}): ${(err as Error).message}`, { cause: err });
  }
  if (!meta.width || !meta.height) throw new ImageDecodeError(`image has no size (${describe(input)})`);
  // EXIF orientations 5..8 are rotations by 90°: the decoded image is transposed.
  const swap = (meta.orientation ?? 1) >= 5;
  return swap ? { width: meta.height, height: meta.width } : { width: meta.width, height: meta.height };
}

/**
 * Decode and resize in one libvips pipeline (JPEG shrink-on-load makes a 1080p → 416 px decode several times faster
 * than a full decode followed by a resize). `target` picks the output size from the rotated source size.
 */
export async function decodeImageResized(
  input: Buffer | string,
  target: (sourceWidth: number, sourceHeight: number) => { width: number; height: number },
): Promise<{ image: RgbImage; sourceWidth: number; sourceHeight: number }> {
  const src = await probeImageSize(input);
  const size = target(src.width, src.height);
  try {
    const { data, info } = await pipelineFor(input)
      .resize(size.width, size.height, { fit: 'fill', kernel: 'linear' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { image: toRgb(data, info), sourceWidth: src.width, sourceHeight: src.height };
  } catch (err) {
    throw new ImageDecodeError(`cannot decode image (${describe(input)}): ${(err as Error).message}`, { cause: err });
  }
}

/** Integer pixel rectangle covering `box`, clamped to the image; at least 1×1 for a non-empty image. */
export function clampBoxToPixels(box: Box, width: number, height: number): { x: number; y: number; w: number; h: number } {
  const x1 = Math.min(Math.max(Math.floor(box.x), 0), Math.max(width - 1, 0));
  const y1 = Math.min(Math.max(Math.floor(box.y), 0), Math.max(height - 1, 0));
  const x2 = Math.min(Math.max(Math.ceil(box.x + box.w), x1 + 1), width);
  const y2 = Math.min(Math.max(Math.ceil(box.y + box.h), y1 + 1), height);
  return { x: x1, y: y1, w: Math.max(0, x2 - x1), h: Math.max(0, y2 - y1) };
}

/**
 * Copy the pixels under `box` (in pixels; rounded outwards, clamped to the image). A box outside the image or of
 * zero size yields the nearest 1×1 pixel, so callers never get an empty image to feed a model.
 */
export function cropImage(img: RgbImage, box: Box): RgbImage {
  const r = clampBoxToPixels(box, img.width, img.height);
  const out = new Uint8Array(r.w * r.h * 3);
  const rowBytes = r.w * 3;
  for (let y = 0; y < r.h; y++) {
    const from = ((r.y + y) * img.width + r.x) * 3;
    out.set(img.data.subarray(from, from + rowBytes), y * rowBytes);
  }
  return { data: out, width: r.w, height: r.h };
}

/** Encode to JPEG. `quality` 1..100, default 85. */
export async function encodeJpeg(img: RgbImage, quality = 85): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality, mozjpeg: false })
    .toBuffer();
}

/** Encode to PNG (lossless; debug overlays and test fixtures). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}
