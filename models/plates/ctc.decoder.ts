/**
 * Greedy CTC decoding for the PP-OCR recogniser: per time step take the best class, merge repeats, drop blanks.
 * Each kept character carries its probability (the best step of its run) and the top candidates at that step, so
 * that the plate rules can swap a letter for a digit using the model's own second choice.
 */
import type { CharAlternative, RecognizedChar } from './plate-text.types.js';

/** A decoded character plus where it sits along the line (time steps, for diagnostics and row layout). */
export interface CtcChar extends RecognizedChar {
  /** First and last time step of the character's run (inclusive). */
  stepStart: number;
  stepEnd: number;
}

export interface CtcDecodeOptions {
  /** Index of the blank class. @default 0 */
  blankIndex?: number;
  /** How many alternatives to keep per character. @default 4 */
  topK?: number;
}

/**
 * Decode one sequence. `probs` holds `steps × classes` softmax outputs, row-major (one row per time step);
 * `charset[i]` is the character of class i (the blank's entry is ignored).
 */
export function ctcGreedyDecode(probs: ArrayLike<number>, steps: number, classes: number, charset: readonly string[], opts: CtcDecodeOptions = {}): CtcChar[] {
  const blank = opts.blankIndex ?? 0;
  const topK = opts.topK ?? 4;
  if (probs.length < steps * classes) throw new RangeError(`ctcGreedyDecode: ${probs.length} values for ${steps}×${classes}`);
  const out: CtcChar[] = [];
  let prev = -1;
  for (let t = 0; t < steps; t++) {
    const base = t * classes;
    let best = 0;
    let bestP = -Infinity;
    for (let c = 0; c < classes; c++) {
      const p = probs[base + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== blank) {
      const last = out[out.length - 1];
      if (best === prev && last) {
        // Same class on consecutive steps is one character (CTC repeat); keep the best step's evidence.
        last.stepEnd = t;
        if (bestP > last.p) {
          last.p = bestP;
          last.alts = topAlternatives(probs, base, classes, charset, blank, topK);
        }
      } else {
        out.push({ ch: charset[best] ?? '', p: bestP, alts: topAlternatives(probs, base, classes, charset, blank, topK), stepStart: t, stepEnd: t });
      }
    }
    prev = best;
  }
  return out;
}

function topAlternatives(probs: ArrayLike<number>, base: number, classes: number, charset: readonly string[], blank: number, k: number): CharAlternative[] {
  const top: CharAlternative[] = [];
  for (let c = 0; c < classes; c++) {
    if (c === blank) continue;
    const p = probs[base + c]!;
    if (top.length === k && p <= top[k - 1]!.p) continue;
    const entry = { ch: charset[c] ?? '', p };
    let i = top.length;
    while (i > 0 && top[i - 1]!.p < p) i--;
    top.splice(i, 0, entry);
    if (top.length > k) top.pop();
  }
  return top;
}

/**
 * The PP-OCR charset from a keys file's text: class 0 is the blank, then one class per line, then a space
 * (PaddleOCR's `use_space_char`).
 */
export function ppocrCharset(keysFileText: string): string[] {
  const lines = keysFileText.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return ['', ...lines, ' '];
}
