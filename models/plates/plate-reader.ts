/**
 * Licence-plate reading: find plates in an image (or inside a vehicle box, or take the image as a plate crop),
 * read them, apply the plate-format rules and return scored reads.
 *
 * Default path (Apache-2.0 models only): PP-OCRv4 text detector → plate-like lines and stacked line pairs →
 * PP-OCRv4 recogniser per row → format rules. The Vietnamese YOLO plate detector and character reader have no
 * licence and are opt-in (`detector: 'vn-yolo'`, `reader: 'vn-chars'`).
 *
 * ```ts
 * const reader = await PlateReader.create();                          // Apache-2.0 models, Vietnamese rules
 * const reads = await reader.readImage(frame, { region: vehicleBox }); // or { crop: true } for a plate crop
 * // per track: combinePlateReads(readsOfTheTrack) (plate-read.voter.ts) votes per character, weighted by confidence
 * ```
 */
import type { Box } from '../../pipeline/domain.types.js';
import type { ModelLookupOptions } from '../catalogue/model-catalogue.js';
import { resizeTo } from '../image/letterbox.js';
import { cropImage, decodeImage, type RgbImage } from '../image/rgb-image.js';
import { plateCandidates, padBox, selectPlates, unionBox, type PlateCandidate, type ScoredCandidate } from './plate-box.selector.js';
import { splitRowsByProfile } from './plate-rows.splitter.js';
import type { FormattedPlate, PlateTextMode, RecognizedRow } from './plate-text.types.js';
import type { CtcChar } from './ctc.decoder.js';
import { analyzeGlyphs, characterBand, grayThumbnail, trimToGlyphs } from './plate-glyphs.js';
import { PpocrLineRecognizer, PPOCR_REC_STEP_PX } from './ppocr-line.recognizer.js';
import { clampBox, PpocrTextDetector } from './ppocr-text.detector.js';
import { VnCharsReader } from './vn-chars.reader.js';
import { VnPlateDetector } from './vn-plate.detector.js';
import { normalizeChar, parseGenericPlate, parseVnPlate } from './vn-plate.format.js';

export type PlateDetectorKind = 'ppocr' | 'vn-yolo';
export type PlateReaderKind = 'ppocr' | 'vn-chars';

export interface PlateReaderOptions {
  /** How plates are found: PP-OCR text lines (Apache-2.0) or the Vietnamese YOLO plate detector (no licence). @default 'ppocr' */
  detector?: PlateDetectorKind;
  /** How plates are read: PP-OCR recogniser (Apache-2.0) or the Vietnamese character detector (no licence). @default 'ppocr' */
  reader?: PlateReaderKind;
  /** Vietnamese format rules, or generic A–Z0–9 for foreign plates. @default 'vn' */
  mode?: PlateTextMode;
  /** ONNX Runtime intra-op threads per model. @default env IOCV_ORT_THREADS, else 2 */
  threads?: number;
  /** Where model files are looked up. @default the catalogue's lookup order */
  lookup?: ModelLookupOptions;
  /** Reads scoring below this (confidence, halved when the format is invalid) are not reported. @default 0.3 */
  minScore?: number;
  /** Long side of the text detector's input for whole images and vehicle boxes, pixels. @default 960 */
  detMaxSidePx?: number;
  /** Long side of the text detector's input when splitting a plate crop into rows, pixels. @default 192 */
  cropDetMaxSidePx?: number;
  /** At most this many candidate lines/pairs are read per image (largest first), bounding the cost. @default 24 */
  maxCandidates?: number;
  /**
   * Also report found text that breaks the format rules (detection modes only; a given crop is always read).
   * Off by default: on a whole car, text that is not a plate (make, dealer, state name) is what breaks the rules.
   * @default false
   */
  reportInvalid?: boolean;
  /**
   * Margin added around a detected text line before it is recognised, as shares of its width and height: DB boxes
   * hug the glyphs and a clipped first or last character is lost. @default [0.03, 0.08]
   */
  linePadding?: [number, number];
  /**
   * Glyph check of detected text lines (PP-OCR reader): each line is cut to the band its plate characters occupy
   * before it is read, and read characters that sit on no glyph of the plate-character height are dropped
   * (separator emblems, small stacked letters, frame text; see plate-glyphs.ts). Given crops are read as they are.
   * @default true
   */
  glyphCheck?: boolean;
}

export interface ReadImageOptions {
  /** The image is already a plate crop: no detection, one read. @default false */
  crop?: boolean;
  /** Look for plates only inside this box (image pixels), e.g. a vehicle box from the tracker. */
  region?: Box;
  /** Override the reader's mode for this image. */
  mode?: PlateTextMode;
}

export interface PlateRead {
  /** Human form, e.g. `79-D1/158.14` (rows joined by `/`) or `51A-012.04`. */
  text: string;
  /** A–Z0–9 only, e.g. `79D115814`. */
  normalized: string;
  /** 0..1: geometric mean of character probabilities × format factor. */
  confidence: number;
  /** Plate box in image pixels. */
  box: Box;
  rows: 1 | 2;
  /** The text satisfies the mode's format rules. */
  valid: boolean;
  /** Which reader produced it: `ppocr` or `vn-chars`. */
  reader: PlateReaderKind;
  /** Which detector found it: `ppocr`, `vn-yolo`, or `crop` (given as a crop). */
  detector: PlateDetectorKind | 'crop';
}

/** Plates whose aspect (width/height) is at least this are read as one row without looking (VN 1-row ≈ 4.3). */
const ONE_ROW_ASPECT = 3;
/** Height of the copy a crop's ink profile is computed on, pixels. */
const PROFILE_HEIGHT_PX = 96;
/** Padding around a detected plate before reading it as a crop. */
const PLATE_PAD: [number, number] = [0.04, 0.08];
/**
 * A line cut to its character band keeps this share of the character height above and below: characters then fill
 * about 60 % of the recogniser's 48 px, the proportion of ordinary text lines. Measured on the development half
 * of plates_openalpr: 0.2–0.45 all gave the same reads within ±1 plate; the middle is taken.
 */
const BAND_MARGIN = 0.3;
/** Glyph geometry is measured on a grey copy at most this tall. */
const GLYPH_THUMB_HEIGHT_PX = 64;

/** Score used to rank and filter reads: confidence, halved when the text breaks the format rules. */
export function plateScore(f: Pick<FormattedPlate, 'confidence' | 'valid'>): number {
  return f.confidence * (f.valid ? 1 : 0.5);
}

export class PlateReader {
  private constructor(
    private readonly opts: Required<Omit<PlateReaderOptions, 'threads' | 'lookup'>>,
    private readonly textDetector: PpocrTextDetector | null,
    private readonly recognizer: PpocrLineRecognizer | null,
    private readonly plateDetector: VnPlateDetector | null,
    private readonly charsReader: VnCharsReader | null,
  ) {}

  /** Load the models the chosen detector/reader need (sessions are shared process-wide). */
  static async create(opts: PlateReaderOptions = {}): Promise<PlateReader> {
    const full = {
      detector: opts.detector ?? 'ppocr',
      reader: opts.reader ?? 'ppocr',
      mode: opts.mode ?? 'vn',
      minScore: opts.minScore ?? 0.3,
      detMaxSidePx: opts.detMaxSidePx ?? 960,
      cropDetMaxSidePx: opts.cropDetMaxSidePx ?? 192,
      maxCandidates: opts.maxCandidates ?? 24,
      reportInvalid: opts.reportInvalid ?? false,
      linePadding: opts.linePadding ?? [0.03, 0.08],
      glyphCheck: opts.glyphCheck ?? true,
    } satisfies Required<Omit<PlateReaderOptions, 'threads' | 'lookup'>>;
    const load = { threads: opts.threads, lookup: opts.lookup };
    // The PP-OCR text detector also splits plate crops into rows for the PP-OCR recogniser.
    const needText = full.detector === 'ppocr' || full.reader === 'ppocr';
    const [textDetector, recognizer, plateDetector, charsReader] = await Promise.all([
      needText ? PpocrTextDetector.create(load) : null,
      full.reader === 'ppocr' ? PpocrLineRecognizer.create(load) : null,
      full.detector === 'vn-yolo' ? VnPlateDetector.create(load) : null,
      full.reader === 'vn-chars' ? VnCharsReader.create(load) : null,
    ]);
    return new PlateReader(full, textDetector, recognizer, plateDetector, charsReader);
  }

  get options(): Readonly<Required<Omit<PlateReaderOptions, 'threads' | 'lookup'>>> {
    return this.opts;
  }

  /** Read the plates in an image (decoded RGB or encoded bytes), best first. */
  async readImage(input: RgbImage | Buffer, opts: ReadImageOptions = {}): Promise<PlateRead[]> {
    const img = Buffer.isBuffer(input) ? await decodeImage(input) : input;
    const mode = opts.mode ?? this.opts.mode;
    const region = clampBox(opts.region ?? { x: 0, y: 0, w: img.width, h: img.height }, img.width, img.height);
    if (region.w < 2 || region.h < 2) return [];
    if (opts.crop) {
      const crop = region.w === img.width && region.h === img.height ? img : cropImage(img, region);
      const [read] = await this.readCrops([crop], mode);
      return read && read.normalized.length > 0 ? [{ ...read, box: region, detector: 'crop' }] : [];
    }
    return this.opts.detector === 'vn-yolo' ? this.readWithPlateDetector(img, region, mode) : this.readWithTextDetector(img, region, mode);
  }

  /**
   * Read plate crops (one read per crop, same order). Rows of all crops go through the recogniser together,
   * in width-sorted batches.
   */
  async readCrops(crops: readonly RgbImage[], mode: PlateTextMode = this.opts.mode): Promise<Array<Omit<PlateRead, 'box' | 'detector'>>> {
    if (this.opts.reader === 'vn-chars') {
      const out: Array<Omit<PlateRead, 'box' | 'detector'>> = [];
      for (const c of crops) out.push(this.toRead(this.format(await this.charsReader!.read(c), mode)));
      return out;
    }
    const rowSets = await Promise.all(crops.map((c) => this.rowsOfCrop(c)));
    const flat = rowSets.flat();
    const texts = await this.recognizer!.recognize(flat);
    let k = 0;
    return rowSets.map((rows) => {
      const rowTexts = rows.map(() => texts[k++]!);
      return this.toRead(this.format(rowTexts, mode));
    });
  }

  /**
   * Split a plate crop into row images. The ink profile is tried first (no model, ≈ 1 ms); a squarish crop
   * it cannot split (rows touching, dark vehicle parts at the sides) goes to the text detector, whose lines
   * separate the rows; long crops are one row.
   */
  async rowsOfCrop(crop: RgbImage): Promise<RgbImage[]> {
    const byProfile = this.rowsByProfile(crop);
    if (byProfile.length === 2 || crop.width / crop.height >= ONE_ROW_ASPECT || !this.textDetector) return byProfile;
    const lines = await this.textDetector.detect(crop, { maxSidePx: this.opts.cropDetMaxSidePx, maxUpscale: 2 });
    const cands = plateCandidates(
      lines.map((l) => l.box),
      { minLineHeightPx: Math.max(4, crop.height * 0.15) },
    );
    if (cands.length === 0) return byProfile;
    // The plate is the candidate covering most of the crop; a pair beats one of its own rows by area.
    const best = cands.reduce((a, b) => (b.box.w * b.box.h > a.box.w * a.box.h ? b : a));
    if (best.rows.length === 2) return best.rows.map((b) => cropImage(crop, padBox(b, this.opts.linePadding[0], this.opts.linePadding[1], crop.width, crop.height)));
    return byProfile;
  }

  private rowsByProfile(img: RgbImage): RgbImage[] {
    // The profile needs only a few pixels per text row: work on a small copy of large crops.
    const scale = Math.min(1, PROFILE_HEIGHT_PX / img.height);
    const small = scale < 1 ? resizeTo(img, Math.max(8, Math.round(img.width * scale)), PROFILE_HEIGHT_PX) : img;
    const gray = new Uint8Array(small.width * small.height);
    for (let i = 0; i < gray.length; i++) gray[i] = (small.data[i * 3]! * 299 + small.data[i * 3 + 1]! * 587 + small.data[i * 3 + 2]! * 114) / 1000;
    const split = splitRowsByProfile(gray, small.width, small.height);
    if (split.rows === 1) return [img];
    const splitY = Math.round((split.splitY + 0.5) / scale);
    return [cropImage(img, { x: 0, y: 0, w: img.width, h: splitY }), cropImage(img, { x: 0, y: splitY, w: img.width, h: img.height - splitY })];
  }

  private async readWithPlateDetector(img: RgbImage, region: Box, mode: PlateTextMode): Promise<PlateRead[]> {
    const plates = await this.plateDetector!.detect(img, { region });
    if (plates.length === 0) return [];
    const crops = plates.map((p) => cropImage(img, padBox(p.box, PLATE_PAD[0], PLATE_PAD[1], img.width, img.height)));
    const reads = await this.readCrops(crops, mode);
    const scored: Array<ScoredCandidate<PlateRead>> = reads.map((r, i) => ({
      box: plates[i]!.box,
      score: plateScore(r),
      value: { ...r, box: roundBox(plates[i]!.box), detector: 'vn-yolo' as const },
    }));
    return selectPlates(scored.filter((s) => this.reportable(s.value)), this.opts.minScore).map((s) => s.value);
  }

  private async readWithTextDetector(img: RgbImage, region: Box, mode: PlateTextMode): Promise<PlateRead[]> {
    const lines = await this.textDetector!.detect(img, { region, maxSidePx: this.opts.detMaxSidePx });
    const cands: PlateCandidate[] = plateCandidates(lines.map((l) => l.box))
      .sort((a, b) => b.box.w * b.box.h - a.box.w * a.box.h)
      .slice(0, this.opts.maxCandidates);
    if (cands.length === 0) return [];
    let formatted: FormattedPlate[];
    if (this.opts.reader === 'vn-chars') {
      formatted = [];
      for (const c of cands) formatted.push(this.format(await this.charsReader!.read(cropImage(img, padBox(unionBox(c.rows), PLATE_PAD[0], PLATE_PAD[1], img.width, img.height))), mode));
    } else {
      const pad = (b: Box): RgbImage => cropImage(img, padBox(b, this.opts.linePadding[0], this.opts.linePadding[1], img.width, img.height));
      // A squarish single line may be both rows of a plate merged by the detector (rows nearly touching).
      const rowSets = cands.map((c) => (c.rows.length === 1 && c.box.w / c.box.h < ONE_ROW_ASPECT ? this.rowsByProfile(pad(c.box)) : c.rows.map(pad)));
      const lines = this.opts.glyphCheck ? rowSets.flat().map((l) => this.cutToCharacterBand(l)) : rowSets.flat();
      const read = await this.recognizer!.recognize(lines);
      const texts = this.opts.glyphCheck ? read.map((chars, i) => this.dropNonCharacterGlyphs(lines[i]!, chars)) : read;
      let k = 0;
      formatted = rowSets.map((rows) => this.format(rows.map(() => texts[k++]!), mode));
    }
    const scored: Array<ScoredCandidate<PlateRead>> = cands.map((c, i) => ({
      box: c.box,
      score: plateScore(formatted[i]!),
      value: { ...this.toRead(formatted[i]!), box: roundBox(c.box), detector: 'ppocr' as const },
    }));
    return selectPlates(
      scored.filter((s) => this.reportable(s.value)),
      this.opts.minScore,
    ).map((s) => s.value);
  }

  /** The line cut (vertically) to the band of its plate characters plus a margin; unchanged when no band is found. */
  private cutToCharacterBand(line: RgbImage): RgbImage {
    const thumb = grayThumbnail(line, GLYPH_THUMB_HEIGHT_PX);
    const band = characterBand(analyzeGlyphs(thumb));
    if (!band) return line;
    const margin = BAND_MARGIN * band.heightPx;
    const y0 = Math.max(0, Math.floor((band.y0 - margin) / thumb.scale));
    const y1 = Math.min(line.height, Math.ceil((band.y1 + 1 + margin) / thumb.scale));
    return y1 - y0 >= line.height - 1 ? line : cropImage(line, { x: 0, y: y0, w: line.width, h: y1 - y0 });
  }

  /** Characters of a read line that sit on plate-character glyphs (punctuation is kept: it is a layout hint). */
  private dropNonCharacterGlyphs(line: RgbImage, chars: CtcChar[]): CtcChar[] {
    const thumb = grayThumbnail(line, GLYPH_THUMB_HEIGHT_PX);
    // Step s of the recogniser's input starts at x = s × 8 input px; the line was resized to lineWidth() px wide.
    const xPerStep = (PPOCR_REC_STEP_PX * line.width * thumb.scale) / this.recognizer!.lineWidth(line);
    return trimToGlyphs(chars, analyzeGlyphs(thumb), (s) => s * xPerStep, { keep: (c) => normalizeChar(c.ch) === null });
  }

  private reportable(r: Pick<PlateRead, 'normalized' | 'valid'>): boolean {
    return r.normalized.length > 0 && (r.valid || this.opts.reportInvalid);
  }

  private format(rows: RecognizedRow[], mode: PlateTextMode): FormattedPlate {
    return mode === 'vn' ? parseVnPlate(rows) : parseGenericPlate(rows);
  }

  private toRead(f: FormattedPlate): Omit<PlateRead, 'box' | 'detector'> {
    return { text: f.text, normalized: f.normalized, confidence: round3(f.confidence), rows: f.rows, valid: f.valid, reader: this.opts.reader };
  }
}

function round3(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function roundBox(b: Box): Box {
  return { x: Math.round(b.x), y: Math.round(b.y), w: Math.round(b.w), h: Math.round(b.h) };
}
