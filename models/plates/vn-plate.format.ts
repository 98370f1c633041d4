/**
 * Vietnamese licence-plate format rules: parse a recognised plate into province code, series and number, fix
 * letter/digit confusions by position, score validity and print the plate the way people write it.
 *
 * Sources for the rules (Wikipedia "Vehicle registration plates of Vietnam"; Circular 24/2023/TT-BCA and its
 * Appendix 03 as summarised by the Vietnamese press):
 * - A plate starts with a 2-digit province/city code (the list below includes the codes kept after the 2025
 *   province merges and 80 for central agencies).
 * - The series follows: civilian series omit I, J, O, Q and W (R is reserved for trailers). Cars use one letter
 *   (`51A`), or a two-letter special series (`LD` foreign-invested companies, `NG` diplomatic, `NN` foreigners,
 *   `QT` international organisations, `KT` enterprises of the army, `DA` project vehicles, `R`/`RM` trailers,
 *   `T` temporary, `MK` tractors, `MĐ` electric motorbikes, `TĐ` domestically assembled, `HC` restricted use,
 *   `CV` consular). Motorbikes use a letter and a digit (`59-T1`), two letters (50 cc: `29-AA`) or two letters and
 *   a digit (`29-MĐ1`).
 * - The number is 4 digits (older plates, `5969`) or 5 digits written `NNN.NN`.
 * - Long car plates are one row (`51A-012.04`); motorbike and square car plates have two rows (`59-T1` over `599.73`).
 *
 * Why a template search rather than regexes: the recogniser's mistakes are letter/digit swaps (8↔B, 0↔D, 5↔S, …)
 * whose repair depends on where the character sits. Every template consistent with the row lengths is scored with
 * the character probabilities; positions that need the other kind of character are fixed, preferably with the
 * recogniser's own best candidate of that kind, else with the visual-confusion table, at a cost. The best-scoring
 * template wins; the province list and the number of fixes then decide validity.
 */
import type { FormattedPlate, RecognizedChar, RecognizedRow } from './plate-text.types.js';

/** Province/city codes in use (2025). Missing on purpose: 00–10, 13, 42, 44–46, 87, 91, 96 (never assigned or retired). */
export const VN_PROVINCE_CODES: ReadonlySet<string> = new Set([
  '11', '12', '14', '15', '16', '17', '18', '19', '20', '21', '22', '23', '24', '25', '26', '27', '28', '29',
  '30', '31', '32', '33', '34', '35', '36', '37', '38', '39', '40', '41', '43', '47', '48', '49',
  '50', '51', '52', '53', '54', '55', '56', '57', '58', '59', '60', '61', '62', '63', '64', '65', '66', '67',
  '68', '69', '70', '71', '72', '73', '74', '75', '76', '77', '78', '79', '80', '81', '82', '83', '84', '85',
  '86', '88', '89', '90', '92', '93', '94', '95', '97', '98', '99',
]);

/** Letters used in civilian series (no I, J, O, Q, W). Đ is read and normalised as D. */
export const VN_SERIES_LETTERS = 'ABCDEFGHKLMNPRSTUVXYZ';

/** Documented two-letter series found on one-row (car) plates. */
export const VN_SPECIAL_SERIES: ReadonlySet<string> = new Set([
  'LD', 'NG', 'NN', 'QT', 'KT', 'DA', 'RM', 'MK', 'MD', 'TD', 'HC', 'CV',
]);

/** Visual confusions used when a position needs a digit but a letter was read (and the reader gave no digit candidate). */
export const LETTER_TO_DIGIT: Readonly<Record<string, string>> = {
  B: '8', D: '0', O: '0', Q: '0', U: '0', I: '1', J: '1', L: '1', T: '1', S: '5', Z: '2', G: '6', A: '4',
};
/** Visual confusions used when a position needs a series letter but a digit (or an unused letter) was read. */
export const DIGIT_TO_LETTER: Readonly<Record<string, string>> = {
  '8': 'B', '0': 'D', O: 'D', Q: 'D', '5': 'S', '2': 'Z', '6': 'G', '4': 'A', '7': 'T', '3': 'B', I: 'T', J: 'T', W: 'V',
};

type Slot = 'D' | 'L';

/** A candidate layout: province (2 digits), series slots, number length, and which rows they sit on. */
interface Template {
  series: Slot[];
  numberLength: 4 | 5;
  rows: 1 | 2;
  /** Log-prior: how usual the layout is (0 = usual). */
  prior: number;
  /** Only the documented special two-letter series are allowed (one-row car plates). */
  specialOnly: boolean;
}

const SERIES_2ROW: Array<{ series: Slot[]; prior: number }> = [
  { series: ['L', 'D'], prior: 0 },
  { series: ['L'], prior: -0.2 },
  { series: ['L', 'L'], prior: -0.4 },
  { series: ['L', 'L', 'D'], prior: -0.6 },
];

function templatesFor(rows: 1 | 2): Template[] {
  const out: Template[] = [];
  for (const n of [5, 4] as const) {
    const numPrior = n === 5 ? 0 : -0.1;
    if (rows === 1) {
      out.push({ series: ['L'], numberLength: n, rows: 1, prior: numPrior, specialOnly: false });
      out.push({ series: ['L', 'L'], numberLength: n, rows: 1, prior: numPrior - 0.3, specialOnly: true });
    } else {
      for (const s of SERIES_2ROW) out.push({ series: s.series, numberLength: n, rows: 2, prior: numPrior + s.prior, specialOnly: false });
    }
  }
  return out;
}

/** Characters of one row with punctuation removed; `hyphenAt` = alnum index after which a '-' was read. */
interface CleanRow {
  chars: RecognizedChar[];
  hyphenAt: number[];
  dotAt: number[];
}

/** Upper-case, Đ→D, keep A–Z/0–9; remember where '-' and '.' were seen (layout hints). */
export function cleanRow(row: RecognizedRow): CleanRow {
  const chars: RecognizedChar[] = [];
  const hyphenAt: number[] = [];
  const dotAt: number[] = [];
  for (const c of row) {
    const ch = normalizeChar(c.ch);
    if (ch === null) {
      if (c.ch === '-' || c.ch === '—' || c.ch === '_') hyphenAt.push(chars.length);
      else if (c.ch === '.' || c.ch === '·' || c.ch === ',') dotAt.push(chars.length);
      continue;
    }
    chars.push({ ...c, ch, alts: c.alts?.map((a) => ({ ch: normalizeChar(a.ch) ?? '', p: a.p })).filter((a) => a.ch !== '') });
  }
  return { chars, hyphenAt, dotAt };
}

/** Upper-case A–Z/0–9 character, Đ mapped to D; null for anything else. */
export function normalizeChar(ch: string): string | null {
  if (ch === 'Đ' || ch === 'đ') return 'D';
  const u = ch.toUpperCase();
  return /^[A-Z0-9]$/.test(u) ? u : null;
}

const isDigit = (ch: string): boolean => ch >= '0' && ch <= '9';
const isSeriesLetter = (ch: string): boolean => VN_SERIES_LETTERS.includes(ch);

/** Cost model for a fix: a confusion-table fix keeps this share of the read character's probability. */
const TABLE_FIX_FACTOR = 0.5;
/** Log-penalty per fix on top of the probability of the chosen class. */
const FIX_PENALTY = Math.log(0.8);
/** Log-penalty when a province code is not in the list. */
const BAD_PROVINCE_PENALTY = Math.log(0.2);
/** Log-penalty when a '-' or '.' the reader saw contradicts the template. */
const PUNCT_PENALTY = Math.log(0.6);

interface SlotChoice {
  ch: string;
  p: number;
  fixed: boolean;
}

/** Best character of the wanted kind for one position, or null when the position cannot hold it. */
export function fitSlot(c: RecognizedChar, slot: Slot): SlotChoice | null {
  const ok = slot === 'D' ? isDigit : isSeriesLetter;
  if (ok(c.ch)) return { ch: c.ch, p: c.p, fixed: false };
  // The recogniser's own candidates first: its second choice of the right kind is better evidence than a fixed table.
  const alt = c.alts?.find((a) => ok(a.ch) && a.p > 0);
  const table = slot === 'D' ? LETTER_TO_DIGIT[c.ch] : DIGIT_TO_LETTER[c.ch];
  const fromAlt: SlotChoice | null = alt ? { ch: alt.ch, p: alt.p, fixed: true } : null;
  const fromTable: SlotChoice | null = table !== undefined ? { ch: table, p: c.p * TABLE_FIX_FACTOR, fixed: true } : null;
  if (fromAlt && fromTable && fromAlt.ch === fromTable.ch) return { ch: fromAlt.ch, p: Math.max(fromAlt.p, fromTable.p), fixed: true };
  if (fromAlt && fromTable) return fromAlt.p >= fromTable.p ? fromAlt : fromTable;
  return fromAlt ?? fromTable;
}

interface Fit {
  template: Template;
  province: string;
  series: string;
  number: string;
  probs: number[];
  fixes: number;
  provinceValid: boolean;
  logScore: number;
}

function fitTemplate(chars: RecognizedChar[], t: Template, row1Len: number | null, hints: { hyphenAt: number[]; dotAt: number[] }): Fit | null {
  const slots: Slot[] = ['D', 'D', ...t.series, ...Array<Slot>(t.numberLength).fill('D')];
  if (slots.length !== chars.length) return null;
  if (row1Len !== null && row1Len !== 2 + t.series.length) return null;
  let logScore = t.prior;
  let fixes = 0;
  const out: string[] = [];
  const probs: number[] = [];
  for (let i = 0; i < slots.length; i++) {
    const choice = fitSlot(chars[i]!, slots[i]!);
    if (!choice) return null;
    out.push(choice.ch);
    probs.push(choice.p);
    logScore += Math.log(Math.max(choice.p, 1e-6));
    if (choice.fixed) {
      fixes++;
      logScore += FIX_PENALTY;
    }
  }
  const province = out.slice(0, 2).join('');
  const series = out.slice(2, 2 + t.series.length).join('');
  const number = out.slice(2 + t.series.length).join('');
  if (t.specialOnly && !VN_SPECIAL_SERIES.has(series)) return null;
  const provinceValid = VN_PROVINCE_CODES.has(province);
  if (!provinceValid) logScore += BAD_PROVINCE_PENALTY;
  // Layout hints: on one-row plates the hyphen ends the series; the dot sits before the last two digits of 5.
  const seriesEnd = 2 + t.series.length;
  for (const h of hints.hyphenAt) if (h !== seriesEnd && h !== 2) logScore += PUNCT_PENALTY;
  for (const d of hints.dotAt) if (t.numberLength !== 5 || d !== chars.length - 2) logScore += PUNCT_PENALTY;
  return { template: t, province, series, number, probs, fixes, provinceValid, logScore };
}

/** Print a parsed plate the way it is written on the plate. */
export function formatVnPlate(province: string, series: string, number: string, rows: 1 | 2): string {
  const num = number.length === 5 ? `${number.slice(0, 3)}.${number.slice(3)}` : number;
  if (rows === 1) return `${province}${series}-${num}`;
  // Motorbike series end with a digit and are written after a hyphen (59-T1); car series are letters (30F).
  const top = /\d$/.test(series) ? `${province}-${series}` : `${province}${series}`;
  return `${top}/${num}`;
}

/** Geometric mean of probabilities (length-independent, one bad character pulls it down). */
export function geometricMean(ps: number[]): number {
  if (ps.length === 0) return 0;
  let s = 0;
  for (const p of ps) s += Math.log(Math.max(p, 1e-6));
  return Math.exp(s / ps.length);
}

/** Confidence from character probabilities and format fit (formatScore 1 keeps the probability, 0 halves it). */
export function plateConfidence(charProbs: number[], formatScore: number): number {
  return geometricMean(charProbs) * (0.5 + 0.5 * formatScore);
}

/**
 * Apply the Vietnamese rules to 1 or 2 recognised rows. With 2 rows the first must hold province + series and the
 * second the number. With 1 row the text may still be a 2-row plate read as one line (a crop that was not split):
 * one-row car layouts and two-row layouts are both tried and the best-scoring wins.
 */
export function parseVnPlate(rows: RecognizedRow[]): FormattedPlate {
  const clean = rows.map(cleanRow);
  const all = clean.flatMap((r) => r.chars);
  const row1Len = clean.length >= 2 ? clean[0]!.chars.length : null;
  const hints = clean.length === 1 ? { hyphenAt: clean[0]!.hyphenAt, dotAt: clean[0]!.dotAt } : { hyphenAt: [], dotAt: [] };
  const candidates = clean.length >= 2 ? templatesFor(2) : [...templatesFor(1), ...templatesFor(2).map((t) => ({ ...t, prior: t.prior - 0.5 }))];
  let best: Fit | null = null;
  for (const t of candidates) {
    const fit = fitTemplate(all, t, row1Len, hints);
    if (fit && (!best || fit.logScore > best.logScore)) best = fit;
  }
  const layoutRows: 1 | 2 = clean.length >= 2 ? 2 : 1;
  if (!best) {
    const normalized = all.map((c) => c.ch).join('');
    const charProbs = all.map((c) => c.p);
    const formatScore = 0;
    return {
      text: clean.map((r) => r.chars.map((c) => c.ch).join('')).filter((s) => s.length > 0).join('/'),
      normalized,
      charProbs,
      rows: layoutRows,
      valid: false,
      formatScore,
      fixes: 0,
      confidence: plateConfidence(charProbs, formatScore),
    };
  }
  const rowsOut = clean.length >= 2 ? 2 : best.template.rows;
  const formatScore = (best.provinceValid ? 1 : 0.4) * 0.9 ** best.fixes;
  return {
    text: formatVnPlate(best.province, best.series, best.number, rowsOut),
    normalized: best.province + best.series + best.number,
    charProbs: best.probs,
    rows: rowsOut,
    valid: best.provinceValid,
    formatScore,
    fixes: best.fixes,
    confidence: plateConfidence(best.probs, formatScore),
  };
}

/**
 * Generic rules for foreign plates: A–Z/0–9 only, no position fixes. Valid when 4–10 characters with at least one
 * digit: nearly every plate scheme has digits, while the other text on a car (make, model, state name, dealer) has
 * none. Vanity plates without digits are still read, with valid=false and a lower confidence.
 */
export function parseGenericPlate(rows: RecognizedRow[]): FormattedPlate {
  const clean = rows.map(cleanRow).filter((r) => r.chars.length > 0);
  const all = clean.flatMap((r) => r.chars);
  const charProbs = all.map((c) => c.p);
  const normalized = all.map((c) => c.ch).join('');
  const valid = normalized.length >= 4 && normalized.length <= 10 && /\d/.test(normalized);
  const formatScore = valid ? 1 : 0.3;
  return {
    text: clean.map((r) => r.chars.map((c) => c.ch).join('')).join('/'),
    normalized,
    charProbs,
    rows: clean.length >= 2 ? 2 : 1,
    valid,
    formatScore,
    fixes: 0,
    confidence: plateConfidence(charProbs, formatScore),
  };
}
