/**
 * Face alignment: the least-squares similarity transform (rotation + uniform scale + translation) that maps the
 * detector's 5 landmarks onto the ArcFace 112×112 template, and the warp that samples the aligned crop.
 *
 * The embedding model was trained on crops made exactly this way (insightface `norm_crop`: skimage
 * `SimilarityTransform.estimate` = Umeyama, then `cv2.warpAffine` bilinear, border 0), so any other crop geometry
 * costs accuracy. Coordinates follow OpenCV: pixel (i, j) has its centre at (i, j).
 */
import type { Point } from '../../pipeline/domain.types.js';
import type { RgbImage } from '../image/rgb-image.js';

/** Side of the aligned crop in pixels. */
export const ALIGNED_FACE_SIZE = 112;

/**
 * ArcFace reference landmarks for a 112×112 crop, in the detector's order: the eye on the image's left (the
 * subject's right eye), the other eye, the nose tip, the mouth corner on the image's left, the other mouth corner.
 */
export const ARCFACE_TEMPLATE_112: readonly Point[] = Object.freeze([
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
]);

/**
 * A 2-D similarity transform: x' = a·x − b·y + tx, y' = b·x + a·y + ty.
 * Scale = √(a² + b²), rotation = atan2(b, a).
 */
export interface SimilarityTransform {
  a: number;
  b: number;
  tx: number;
  ty: number;
}

export function applySimilarity(t: SimilarityTransform, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

export function invertSimilarity(t: SimilarityTransform): SimilarityTransform {
  const d = t.a * t.a + t.b * t.b;
  if (!(d > 0)) throw new RangeError('degenerate similarity transform (zero scale)');
  const a = t.a / d;
  const b = -t.b / d;
  // Inverse translation: −R⁻¹·t.
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}

export function similarityScale(t: SimilarityTransform): number {
  return Math.hypot(t.a, t.b);
}

/**
 * Least-squares similarity mapping `src[i]` onto `dst[i]` (Umeyama 1991 without reflection). In 2-D the optimum
 * has a closed form: with centred points, a = Σ(p·q)/Σ|p|², b = Σ(p×q)/Σ|p|² — the same result as Umeyama's SVD
 * when reflections are excluded, without the SVD.
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): SimilarityTransform {
  const n = src.length;
  if (n < 2 || dst.length !== n) throw new RangeError(`need ≥ 2 point pairs of equal count, got ${n} and ${dst.length}`);
  let sx = 0;
  let sy = 0;
  let dx = 0;
  let dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i]!.x;
    sy += src[i]!.y;
    dx += dst[i]!.x;
    dy += dst[i]!.y;
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  let dot = 0;
  let cross = 0;
  let norm = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i]!.x - sx;
    const py = src[i]!.y - sy;
    const qx = dst[i]!.x - dx;
    const qy = dst[i]!.y - dy;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
    norm += px * px + py * py;
  }
  if (!(norm > 1e-12)) throw new RangeError('source points coincide: no similarity transform');
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: dx - (a * sx - b * sy), ty: dy - (b * sx + a * sy) };
}

/** Root-mean-square distance between the mapped source points and the destination points, in destination pixels. */
export function similarityResidual(t: SimilarityTransform, src: readonly Point[], dst: readonly Point[]): number {
  let s = 0;
  for (let i = 0; i < src.length; i++) {
    const p = applySimilarity(t, src[i]!);
    s += (p.x - dst[i]!.x) ** 2 + (p.y - dst[i]!.y) ** 2;
  }
  return Math.sqrt(s / Math.max(1, src.length));
}

/**
 * Sample `img` through a transform that maps SOURCE pixels to OUTPUT pixels (like `cv2.warpAffine(img, M, size)`):
 * bilinear, neighbours outside the image count as black.
 */
export function warpSimilarity(img: RgbImage, srcToDst: SimilarityTransform, width: number, height: number): RgbImage {
  const inv = invertSimilarity(srcToDst);
  const out = new Uint8Array(width * height * 3);
  const { data, width: sw, height: sh } = img;
  const row = sw * 3;
  for (let v = 0; v < height; v++) {
    // Walk the row incrementally: the source point moves by (inv.a, inv.b) per output pixel.
    let x = -inv.b * v + inv.tx;
    let y = inv.a * v + inv.ty;
    let o = v * width * 3;
    for (let u = 0; u < width; u++, x += inv.a, y += inv.b, o += 3) {
      const x0 = Math.floor(x);
      const y0 = Math.floor(y);
      const fx = x - x0;
      const fy = y - y0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < sw && y0 + 1 < sh) {
        // All four neighbours inside: the common case, without bounds checks.
        const i = y0 * row + x0 * 3;
        const w00 = (1 - fx) * (1 - fy);
        const w10 = fx * (1 - fy);
        const w01 = (1 - fx) * fy;
        const w11 = fx * fy;
        out[o] = data[i]! * w00 + data[i + 3]! * w10 + data[i + row]! * w01 + data[i + row + 3]! * w11 + 0.5;
        out[o + 1] = data[i + 1]! * w00 + data[i + 4]! * w10 + data[i + row + 1]! * w01 + data[i + row + 4]! * w11 + 0.5;
        out[o + 2] = data[i + 2]! * w00 + data[i + 5]! * w10 + data[i + row + 2]! * w01 + data[i + row + 5]! * w11 + 0.5;
        continue;
      }
      if (x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh) continue; // all four neighbours outside: stays black
      const inX0 = x0 >= 0;
      const inX1 = x0 + 1 < sw;
      const inY0 = y0 >= 0;
      const inY1 = y0 + 1 < sh;
      const w00 = inX0 && inY0 ? (1 - fx) * (1 - fy) : 0;
      const w10 = inX1 && inY0 ? fx * (1 - fy) : 0;
      const w01 = inX0 && inY1 ? (1 - fx) * fy : 0;
      const w11 = inX1 && inY1 ? fx * fy : 0;
      const i00 = y0 * row + x0 * 3;
      for (let c = 0; c < 3; c++) {
        const val =
          (w00 ? data[i00 + c]! * w00 : 0) +
          (w10 ? data[i00 + 3 + c]! * w10 : 0) +
          (w01 ? data[i00 + row + c]! * w01 : 0) +
          (w11 ? data[i00 + row + 3 + c]! * w11 : 0);
        out[o + c] = val + 0.5;
      }
    }
  }
  return { data: out, width, height };
}

/**
 * Average `k × k` blocks of the rectangle (x0, y0, w, h) of `img` (w, h multiples of k not required: the last
 * partial block averages what it has). Pixel i of the result has its centre at x0 + i·k + (k − 1)/2 in `img`.
 */
export function boxDownsample(img: RgbImage, x0: number, y0: number, w: number, h: number, k: number): RgbImage {
  const ow = Math.max(1, Math.ceil(w / k));
  const oh = Math.max(1, Math.ceil(h / k));
  const out = new Uint8Array(ow * oh * 3);
  const sw = img.width;
  for (let oy = 0; oy < oh; oy++) {
    const ya = y0 + oy * k;
    const yb = Math.min(ya + k, y0 + h, img.height);
    for (let ox = 0; ox < ow; ox++) {
      const xa = x0 + ox * k;
      const xb = Math.min(xa + k, x0 + w, sw);
      let r = 0;
      let g = 0;
      let b = 0;
      let n = 0;
      for (let y = ya; y < yb; y++) {
        let i = (y * sw + xa) * 3;
        for (let x = xa; x < xb; x++, i += 3) {
          r += img.data[i]!;
          g += img.data[i + 1]!;
          b += img.data[i + 2]!;
          n++;
        }
      }
      const o = (oy * ow + ox) * 3;
      if (n > 0) {
        out[o] = Math.round(r / n);
        out[o + 1] = Math.round(g / n);
        out[o + 2] = Math.round(b / n);
      }
    }
  }
  return { data: out, width: ow, height: oh };
}

export interface AlignedFace {
  /** The aligned crop, `size × size` RGB. */
  image: RgbImage;
  /** Maps source-image pixels to crop pixels. */
  transform: SimilarityTransform;
  /** RMS distance of the mapped landmarks from the template, in crop pixels (large = odd landmark geometry). */
  residualPx: number;
}

/**
 * {@link warpSimilarity} that does not alias when it shrinks: when the output is more than 2× smaller
 * than the source (a 600 px face to 112 px, a 1080p frame to 256 px), the source region is first averaged down by an
 * integer factor so that the final bilinear warp shrinks by at most 2×, like an area-interpolated resize.
 */
export function warpSimilaritySmooth(img: RgbImage, srcToDst: SimilarityTransform, width: number, height: number): RgbImage {
  const factor = Math.floor(1 / similarityScale(srcToDst));
  if (factor < 2) return warpSimilarity(img, srcToDst, width, height);
  // Source rectangle that the output sees (inverse-mapped corners), with a block of margin for the bilinear taps.
  const inv = invertSimilarity(srcToDst);
  const corners = [
    applySimilarity(inv, { x: -1, y: -1 }),
    applySimilarity(inv, { x: width, y: -1 }),
    applySimilarity(inv, { x: -1, y: height }),
    applySimilarity(inv, { x: width, y: height }),
  ];
  const x0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c.x))) - factor);
  const y0 = Math.max(0, Math.floor(Math.min(...corners.map((c) => c.y))) - factor);
  const x1 = Math.min(img.width, Math.ceil(Math.max(...corners.map((c) => c.x))) + factor);
  const y1 = Math.min(img.height, Math.ceil(Math.max(...corners.map((c) => c.y))) + factor);
  if (x1 - x0 < factor || y1 - y0 < factor) return warpSimilarity(img, srcToDst, width, height);
  const small = boxDownsample(img, x0, y0, x1 - x0, y1 - y0, factor);
  // Source X = x0 + (factor − 1)/2 + factor·x', so the transform from small-image pixels is A·factor, A·offset + t.
  const ox = x0 + (factor - 1) / 2;
  const oy = y0 + (factor - 1) / 2;
  const fromSmall: SimilarityTransform = {
    a: srcToDst.a * factor,
    b: srcToDst.b * factor,
    tx: srcToDst.a * ox - srcToDst.b * oy + srcToDst.tx,
    ty: srcToDst.b * ox + srcToDst.a * oy + srcToDst.ty,
  };
  return warpSimilarity(small, fromSmall, width, height);
}

/** Align a face to the ArcFace template (see {@link warpSimilaritySmooth} for large faces). */
export function alignFace(img: RgbImage, landmarks: readonly Point[], size = ALIGNED_FACE_SIZE): AlignedFace {
  if (landmarks.length !== 5) throw new RangeError(`alignFace needs 5 landmarks, got ${landmarks.length}`);
  const k = size / ALIGNED_FACE_SIZE;
  const template = ARCFACE_TEMPLATE_112.map((p) => ({ x: p.x * k, y: p.y * k }));
  const transform = estimateSimilarity(landmarks, template);
  const residualPx = similarityResidual(transform, landmarks, template);
  return { image: warpSimilaritySmooth(img, transform, size, size), transform, residualPx };
}
