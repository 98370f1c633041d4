/**
 * Types shared by the plate readers, the format rules and the vote combiner. Kept free of any model code so that
 * the rules can be tested and reused (per-track voting in the pipeline) without loading ONNX.
 */

/** One alternative class for a character position, as given by the recogniser's probability distribution. */
export interface CharAlternative {
  ch: string;
  /** Probability 0..1. */
  p: number;
}

/** One recognised character with its probability and (optionally) the recogniser's other candidates. */
export interface RecognizedChar {
  /** A single upper-case character (A–Z, 0–9) or punctuation the reader saw ('-', '.'). */
  ch: string;
  /** Probability of `ch`, 0..1. */
  p: number;
  /** Other candidates for this position, best first (may include `ch` itself). Used to fix letters/digits by position. */
  alts?: CharAlternative[];
}

/** The characters of one plate row, left to right. */
export type RecognizedRow = RecognizedChar[];

/** Plate-text rules: Vietnamese format rules, or generic (A–Z0–9, no rules) for foreign plates. */
export type PlateTextMode = 'vn' | 'generic';

/** A plate text after the format rules ran. */
export interface FormattedPlate {
  /** Human form: `79-D1/158.14` (2-row, rows joined by `/`), `51A-012.04` (1-row); generic: rows joined by `/`. */
  text: string;
  /** Only A–Z and 0–9: `79D115814`. */
  normalized: string;
  /** Per character of `normalized`: its probability after fixes (a fixed character keeps the probability of the chosen class). */
  charProbs: number[];
  /** 1 or 2 rows. */
  rows: 1 | 2;
  /** True when the text satisfies the mode's rules (VN: province, series and number; generic: 4–10 characters). */
  valid: boolean;
  /** How well the text fits the rules, 0..1 (1: valid without fixes). */
  formatScore: number;
  /** Number of characters changed by position-based letter/digit fixes. */
  fixes: number;
  /** Confidence 0..1: geometric mean of the character probabilities × a format factor. */
  confidence: number;
}
