/**
 * Combine several reads of one vehicle (one track, several frames) into one plate text: a vote per character
 * position weighted by each read's confidence. Reads of the most supported length vote directly; reads of other
 * lengths (a dropped or doubled character) are aligned to that consensus by edit distance and vote with half weight
 * on the positions they align to.
 */

/** One read to combine (a PlateRead fits). */
export interface PlateVoteInput {
  normalized: string;
  /** 0..1 */
  confidence: number;
  text?: string;
  rows?: 1 | 2;
}

export interface PlateVoteResult {
  normalized: string;
  /** Human form from a read that equals the consensus, else the normalised text. */
  text: string;
  rows: 1 | 2;
  /** 0..1, see `combinePlateReads`. */
  confidence: number;
  /** Number of reads that took part. */
  reads: number;
  /** Reads exactly equal to the consensus. */
  agreeing: number;
  /** Per position: the winning character and its share of all the weight (0..1). */
  positions: Array<{ ch: string; share: number }>;
}

export interface PlateVoteOptions {
  /** Reads below this confidence are ignored. @default 0 */
  minConfidence?: number;
  /** Weight factor of reads whose length differs from the consensus length. @default 0.5 */
  misalignedWeight?: number;
}

/**
 * For each position of `ref`, the character of `s` aligned to it (match or substitution), or null when `s`
 * has a gap there. Plain Levenshtein with unit costs; ties prefer substitution (keeps positions in step).
 */
export function alignToReference(ref: string, s: string): Array<string | null> {
  const n = ref.length;
  const m = s.length;
  const d: number[][] = Array.from({ length: n + 1 }, (_, i) => Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= n; i++) {
    for (let j = 1; j <= m; j++) {
      const sub = d[i - 1]![j - 1]! + (ref[i - 1] === s[j - 1] ? 0 : 1);
      d[i]![j] = Math.min(sub, d[i - 1]![j]! + 1, d[i]![j - 1]! + 1);
    }
  }
  const out: Array<string | null> = new Array<string | null>(n).fill(null);
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    const sub = d[i - 1]![j - 1]! + (ref[i - 1] === s[j - 1] ? 0 : 1);
    if (d[i]![j] === sub) {
      out[i - 1] = s[j - 1]!;
      i--;
      j--;
    } else if (d[i]![j] === d[i - 1]![j]! + 1) i--;
    else j--;
  }
  return out;
}

/** Levenshtein distance (unit costs). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur.push(Math.min(prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1), prev[j]! + 1, cur[j - 1]! + 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function vote(weights: Array<Map<string, number>>): string {
  return weights.map((m) => [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]?.[0] ?? '').join('');
}

/**
 * Combine reads; null when none is usable. Confidence: when some reads equal the consensus, 1 − Π(1 − cᵢ) over
 * them (independent agreeing evidence adds up), capped by the weakest position's share of the vote; otherwise
 * (a mosaic of partial reads) the weakest share × the mean confidence.
 */
export function combinePlateReads(reads: readonly PlateVoteInput[], opts: PlateVoteOptions = {}): PlateVoteResult | null {
  const minConf = opts.minConfidence ?? 0;
  const offWeight = opts.misalignedWeight ?? 0.5;
  const usable = reads.filter((r) => r.normalized.length > 0 && r.confidence >= minConf);
  if (usable.length === 0) return null;
  const w = (r: PlateVoteInput): number => Math.max(r.confidence, 1e-3);
  const byLength = new Map<number, number>();
  for (const r of usable) byLength.set(r.normalized.length, (byLength.get(r.normalized.length) ?? 0) + w(r));
  const length = [...byLength.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0];
  const weights = Array.from({ length }, () => new Map<string, number>());
  const add = (pos: number, ch: string, weight: number): void => {
    const m = weights[pos]!;
    m.set(ch, (m.get(ch) ?? 0) + weight);
  };
  const same = usable.filter((r) => r.normalized.length === length);
  for (const r of same) for (let i = 0; i < length; i++) add(i, r.normalized[i]!, w(r));
  const anchor = vote(weights);
  for (const r of usable) {
    if (r.normalized.length === length) continue;
    alignToReference(anchor, r.normalized).forEach((ch, i) => {
      if (ch !== null) add(i, ch, w(r) * offWeight);
    });
  }
  const consensus = vote(weights);
  const totalWeight = same.reduce((s, r) => s + w(r), 0) + usable.filter((r) => r.normalized.length !== length).reduce((s, r) => s + w(r) * offWeight, 0);
  const positions = [...consensus].map((ch, i) => ({ ch, share: (weights[i]!.get(ch) ?? 0) / totalWeight }));
  const minShare = positions.reduce((m, p) => Math.min(m, p.share), 1);
  const agreeing = usable.filter((r) => r.normalized === consensus);
  const confidence = agreeing.length
    ? Math.min(minShare, 1 - agreeing.reduce((p, r) => p * (1 - Math.min(r.confidence, 0.999)), 1))
    : minShare * (usable.reduce((s, r) => s + r.confidence, 0) / usable.length);
  const best = [...agreeing].sort((a, b) => b.confidence - a.confidence)[0];
  const rowsVotes = usable.reduce((s, r) => s + (r.rows === 2 ? w(r) : -w(r)), 0);
  return {
    normalized: consensus,
    text: best?.text ?? consensus,
    rows: best?.rows ?? (rowsVotes > 0 ? 2 : 1),
    confidence,
    reads: usable.length,
    agreeing: agreeing.length,
    positions,
  };
}
