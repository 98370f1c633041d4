/**
 * Resize + pad + normalise into a model input tensor in one pass over the output pixels (no intermediate images).
 * Bilinear sampling uses pixel centres like OpenCV's INTER_LINEAR, which is what YOLO-family models were trained on.
 */
import type { Box } from '../../pipeline/domain.types.js';
import type { RgbImage } from './rgb-image.js';

export interface TensorLayoutOptions {
  /** Channel order of the tensor (the image is RGB). */
  channelOrder: 'rgb' | 'bgr';
  /** `nchw` = planar [1,3,H,W]; `nhwc` = interleaved [1,H,W,3]. */
  layout: 'nchw' | 'nhwc';
  /** Per tensor channel (after `channelOrder`), on 0..255 values: value = (v − mean) / std. Default [0,0,0]. */
  mean?: [number, number, number];
  /** Per tensor channel, see `mean`. Default [1,1,1]. */
  std?: [number, number, number];
}

export interface LetterboxOptions extends TensorLayoutOptions {
  /** Tensor width in pixels. */
  width: number;
  /** Tensor height in pixels. */
  height: number;
  /** Where the resized image sits: YOLOX uses the top-left corner, YOLOv5 centres it. */
  align: 'top-left' | 'center';
  /** Raw 0..255 value of the padding (normalised like pixels), e.g. 114. */
  padValue: number;
}

export interface Letterboxed {
  tensor: Float32Array;
  /** Tensor width and height in pixels. */
  width: number;
  height: number;
  /** Tensor pixels per source pixel. */
  scale: number;
  /** Offset of the resized image inside the tensor, in tensor pixels. */
  padX: number;
  padY: number;
}

/** Where a source image of the given size lands inside the letterbox. */
export interface LetterboxGeometry {
  width: number;
  height: number;
  scale: number;
  /** Size of the resized image inside the tensor. */
  contentWidth: number;
  contentHeight: number;
  padX: number;
  padY: number;
}

export function letterboxGeometry(
  sourceWidth: number,
  sourceHeight: number,
  opts: Pick<LetterboxOptions, 'width' | 'height' | 'align'>,
): LetterboxGeometry {
  if (!(sourceWidth > 0 && sourceHeight > 0)) throw new RangeError(`empty source image ${sourceWidth}x${sourceHeight}`);
  if (!(opts.width > 0 && opts.height > 0)) throw new RangeError(`empty letterbox ${opts.width}x${opts.height}`);
  const scale = Math.min(opts.width / sourceWidth, opts.height / sourceHeight);
  const contentWidth = Math.max(1, Math.min(opts.width, Math.round(sourceWidth * scale)));
  const contentHeight = Math.max(1, Math.min(opts.height, Math.round(sourceHeight * scale)));
  const center = opts.align === 'center';
  return {
    width: opts.width,
    height: opts.height,
    scale,
    contentWidth,
    contentHeight,
    padX: center ? Math.floor((opts.width - contentWidth) / 2) : 0,
    padY: center ? Math.floor((opts.height - contentHeight) / 2) : 0,
  };
}

interface Writer {
  tensor: Float32Array;
  /** Distance between the same channel of neighbouring pixels. */
  pixelStride: number;
  /** Distance between channels of one pixel. */
  channelStride: number;
  /** Source channel (0=R,1=G,2=B) feeding tensor channel c. */
  srcChannel: [number, number, number];
  mul: [number, number, number];
  add: [number, number, number];
}

function makeWriter(width: number, height: number, opts: TensorLayoutOptions, tensor?: Float32Array): Writer {
  const n = width * height * 3;
  const out = tensor ?? new Float32Array(n);
  if (out.length !== n) throw new RangeError(`tensor length ${out.length} != ${n}`);
  const mean = opts.mean ?? [0, 0, 0];
  const std = opts.std ?? [1, 1, 1];
  const nchw = opts.layout === 'nchw';
  return {
    tensor: out,
    pixelStride: nchw ? 1 : 3,
    channelStride: nchw ? width * height : 1,
    srcChannel: opts.channelOrder === 'bgr' ? [2, 1, 0] : [0, 1, 2],
    // (v - mean) / std as one multiply-add per value.
    mul: [1 / std[0], 1 / std[1], 1 / std[2]],
    add: [-mean[0] / std[0], -mean[1] / std[1], -mean[2] / std[2]],
  };
}

/**
 * Resample `src` (bilinear, pixel centres) into the rectangle (x0, y0, w, h) of the tensor of width `tensorWidth`.
 * Same-size sources are copied exactly.
 */
function resampleInto(src: RgbImage, wr: Writer, tensorWidth: number, x0: number, y0: number, w: number, h: number): void {
  // An RGBA or stale buffer would silently shear the image; fail instead.
  if (src.data.length !== src.width * src.height * 3 || src.width < 1 || src.height < 1) {
    throw new RangeError(`RgbImage ${src.width}x${src.height} needs ${src.width * src.height * 3} bytes, has ${src.data.length}`);
  }
  const { tensor, pixelStride, channelStride } = wr;
  const [s0, s1, s2] = wr.srcChannel;
  const [m0, m1, m2] = wr.mul;
  const [a0, a1, a2] = wr.add;
  const c1 = channelStride;
  const c2 = channelStride * 2;
  const d = src.data;
  const sw = src.width;
  const sh = src.height;

  if (sw === w && sh === h) {
    for (let y = 0; y < h; y++) {
      let si = y * sw * 3;
      let ti = ((y0 + y) * tensorWidth + x0) * pixelStride;
      for (let x = 0; x < w; x++, si += 3, ti += pixelStride) {
        tensor[ti] = d[si + s0]! * m0 + a0;
        tensor[ti + c1] = d[si + s1]! * m1 + a1;
        tensor[ti + c2] = d[si + s2]! * m2 + a2;
      }
    }
    return;
  }

  const xLeft = new Int32Array(w);
  const xRight = new Int32Array(w);
  const xFrac = new Float32Array(w);
  const rx = sw / w;
  for (let x = 0; x < w; x++) {
    const sx = Math.min(Math.max((x + 0.5) * rx - 0.5, 0), sw - 1);
    const i = Math.floor(sx);
    xLeft[x] = i * 3;
    xRight[x] = Math.min(i + 1, sw - 1) * 3;
    xFrac[x] = sx - i;
  }
  const ry = sh / h;
  for (let y = 0; y < h; y++) {
    const sy = Math.min(Math.max((y + 0.5) * ry - 0.5, 0), sh - 1);
    const iy = Math.floor(sy);
    const fy = sy - iy;
    const rowA = iy * sw * 3;
    const rowB = Math.min(iy + 1, sh - 1) * sw * 3;
    let ti = ((y0 + y) * tensorWidth + x0) * pixelStride;
    for (let x = 0; x < w; x++, ti += pixelStride) {
      const l = xLeft[x]!;
      const r = xRight[x]!;
      const fx = xFrac[x]!;
      const wa = (1 - fx) * (1 - fy);
      const wb = fx * (1 - fy);
      const wc = (1 - fx) * fy;
      const wd = fx * fy;
      const v0 = d[rowA + l + s0]! * wa + d[rowA + r + s0]! * wb + d[rowB + l + s0]! * wc + d[rowB + r + s0]! * wd;
      const v1 = d[rowA + l + s1]! * wa + d[rowA + r + s1]! * wb + d[rowB + l + s1]! * wc + d[rowB + r + s1]! * wd;
      const v2 = d[rowA + l + s2]! * wa + d[rowA + r + s2]! * wb + d[rowB + l + s2]! * wc + d[rowB + r + s2]! * wd;
      tensor[ti] = v0 * m0 + a0;
      tensor[ti + c1] = v1 * m1 + a1;
      tensor[ti + c2] = v2 * m2 + a2;
    }
  }
}

/** Fill the whole tensor with the normalised pad value (cheaper than padding only the borders, and simpler). */
function fillPad(wr: Writer, padValue: number, planeSize: number): void {
  const { tensor } = wr;
  if (wr.channelStride === 1) {
    const v0 = padValue * wr.mul[0] + wr.add[0];
    const v1 = padValue * wr.mul[1] + wr.add[1];
    const v2 = padValue * wr.mul[2] + wr.add[2];
    for (let i = 0; i < tensor.length; i += 3) {
      tensor[i] = v0;
      tensor[i + 1] = v1;
      tensor[i + 2] = v2;
    }
  } else {
    for (let c = 0; c < 3; c++) tensor.fill(padValue * wr.mul[c]! + wr.add[c]!, c * planeSize, (c + 1) * planeSize);
  }
}

/**
 * Letterbox an image that is already `geom.contentWidth × geom.contentHeight` (e.g. resized by sharp while decoding)
 * or any other size (resampled). `geom` was computed from the ORIGINAL source size, so `scale` maps tensor pixels
 * back to the original image.
 */
export function letterboxInto(img: RgbImage, geom: LetterboxGeometry, opts: LetterboxOptions, tensor?: Float32Array): Letterboxed {
  const wr = makeWriter(geom.width, geom.height, opts, tensor);
  const needsPad = geom.contentWidth < geom.width || geom.contentHeight < geom.height;
  if (needsPad) fillPad(wr, opts.padValue, geom.width * geom.height);
  resampleInto(img, wr, geom.width, geom.padX, geom.padY, geom.contentWidth, geom.contentHeight);
  return { tensor: wr.tensor, width: geom.width, height: geom.height, scale: geom.scale, padX: geom.padX, padY: geom.padY };
}

/** Resize keeping aspect ratio, pad to `width × height`, lay out and normalise. */
export function letterbox(img: RgbImage, opts: LetterboxOptions): Letterboxed {
  return letterboxInto(img, letterboxGeometry(img.width, img.height, opts), opts);
}

/** Map a box in tensor pixels back to source pixels, clamped to the source image. */
export function unletterboxBox(box: Box, lb: Pick<Letterboxed, 'scale' | 'padX' | 'padY'>, imgW: number, imgH: number): Box {
  const clampX = (v: number) => Math.min(Math.max(v, 0), imgW);
  const clampY = (v: number) => Math.min(Math.max(v, 0), imgH);
  const x1 = clampX((box.x - lb.padX) / lb.scale);
  const y1 = clampY((box.y - lb.padY) / lb.scale);
  const x2 = clampX((box.x + box.w - lb.padX) / lb.scale);
  const y2 = clampY((box.y + box.h - lb.padY) / lb.scale);
  return { x: x1, y: y1, w: Math.max(0, x2 - x1), h: Math.max(0, y2 - y1) };
}

/** Bilinear resize (pixel centres), no aspect-ratio preservation. */
export function resizeTo(img: RgbImage, width: number, height: number): RgbImage {
  if (!(width > 0 && height > 0)) throw new RangeError(`empty target size ${width}x${height}`);
  const wr = makeWriter(width, height, { channelOrder: 'rgb', layout: 'nhwc' });
  resampleInto(img, wr, width, 0, 0, width, height);
  const out = new Uint8Array(width * height * 3);
  const t = wr.tensor;
  for (let i = 0; i < out.length; i++) out[i] = Math.round(t[i]!);
  return { data: out, width, height };
}

/** The image as a tensor without resizing: [1,3,H,W] or [1,H,W,3] in `channelOrder`, normalised. */
export function toTensor(img: RgbImage, opts: TensorLayoutOptions): Float32Array {
  const wr = makeWriter(img.width, img.height, opts);
  resampleInto(img, wr, img.width, 0, 0, img.width, img.height);
  return wr.tensor;
}
