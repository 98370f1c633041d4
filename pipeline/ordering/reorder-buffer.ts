/**
 * Puts per-frame results back in `seq` order. Parallel inference workers finish out of order, but the tracker and
 * the counting lines need frames in order; one lost job must not stall the camera for ever, so a missing seq is
 * given up once a later result has waited `gapTimeoutMs`.
 */

export interface ReorderBufferOptions {
  /**
   * How long a later result may wait for a missing earlier one before the missing seqs are given up, ms.
   * The wait starts when the first result after the gap arrives. @default 20000
   */
  gapTimeoutMs?: number;
  /**
   * Most results held while waiting for a gap; beyond it the oldest gap is given up at once, so memory stays
   * bounded even when the clock is not advancing. @default 1024
   */
  maxBuffered?: number;
  /** The first seq expected. @default 0 */
  startSeq?: number;
  /** Clock used when `push`/`drain` get no explicit time, ms. @default Date.now */
  now?: () => number;
}

export type PushOutcome = 'accepted' | 'duplicate' | 'late';

export interface ReorderBufferStats {
  /** The next seq the buffer waits for. */
  nextSeq: number;
  /** Results (and skip marks) held. */
  buffered: number;
  /** Pushes of a seq already held (a retried job answering twice). */
  duplicates: number;
  /** Pushes or skips of a seq already released or given up. */
  late: number;
  /** Seqs given up by the gap timeout or the size bound. */
  givenUp: number;
  /** Seqs skipped on purpose (frames dropped before inference). */
  skipped: number;
  released: number;
}

interface Entry<T> {
  /** undefined = skip mark */
  item: T | undefined;
  skip: boolean;
  arrivedAt: number;
}

export class ReorderBuffer<T> {
  private readonly gapTimeoutMs: number;
  private readonly maxBuffered: number;
  private readonly clock: () => number;
  private nextSeq: number;
  private readonly held = new Map<number, Entry<T>>();
  private ready: T[] = [];
  private givenUpSeqs: number[] = [];
  private counters = { duplicates: 0, late: 0, givenUp: 0, skipped: 0, released: 0 };

  constructor(opts: ReorderBufferOptions = {}) {
    this.gapTimeoutMs = opts.gapTimeoutMs ?? 20_000;
    this.maxBuffered = Math.max(1, opts.maxBuffered ?? 1024);
    this.nextSeq = opts.startSeq ?? 0;
    this.clock = opts.now ?? Date.now;
  }

  /** Adds the result of frame `seq`. Duplicates and results for seqs already passed are ignored (and counted). */
  push(seq: number, item: T, nowMs: number = this.clock()): PushOutcome {
    return this.add(seq, { item, skip: false, arrivedAt: nowMs });
  }

  /** Marks frame `seq` as never coming (dropped before inference): the buffer moves past it without waiting. */
  skip(seq: number, nowMs: number = this.clock()): PushOutcome {
    return this.add(seq, { item: undefined, skip: true, arrivedAt: nowMs });
  }

  /** Returns, in seq order, every result that is ready now (giving up gaps older than the timeout). */
  drain(nowMs: number = this.clock()): T[] {
    this.advance(nowMs);
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** Seqs given up (timeout or bound) since the last call, ascending. */
  takeGivenUp(): number[] {
    const out = this.givenUpSeqs;
    this.givenUpSeqs = [];
    return out;
  }

  /** The next seq the buffer waits for. */
  get expectedSeq(): number {
    return this.nextSeq;
  }

  stats(): ReorderBufferStats {
    return { nextSeq: this.nextSeq, buffered: this.held.size, ...this.counters };
  }

  private add(seq: number, entry: Entry<T>): PushOutcome {
    if (!Number.isInteger(seq)) throw new RangeError(`seq must be an integer, got ${seq}`);
    if (seq < this.nextSeq) {
      this.counters.late++;
      return 'late';
    }
    if (this.held.has(seq)) {
      this.counters.duplicates++;
      return 'duplicate';
    }
    this.held.set(seq, entry);
    if (entry.skip) this.counters.skipped++;
    // Move the in-order run to `ready` at once; this also enforces the size bound without waiting for drain().
    this.advance(entry.arrivedAt, false);
    return 'accepted';
  }

  private advance(nowMs: number, applyTimeout = true): void {
    for (;;) {
      const e = this.held.get(this.nextSeq);
      if (e) {
        this.held.delete(this.nextSeq);
        this.nextSeq++;
        if (!e.skip) {
          this.ready.push(e.item as T);
          this.counters.released++;
        }
        continue;
      }
      if (this.held.size === 0) return;
      // The head is missing while later results wait.
      let minSeq = Infinity;
      let firstArrival = Infinity;
      for (const [s, h] of this.held) {
        if (s < minSeq) minSeq = s;
        if (h.arrivedAt < firstArrival) firstArrival = h.arrivedAt;
      }
      const overBound = this.held.size > this.maxBuffered;
      const timedOut = applyTimeout && nowMs - firstArrival >= this.gapTimeoutMs;
      if (!overBound && !timedOut) return;
      // Every missing seq before the first held one has been overdue at least as long: give them all up.
      for (let s = this.nextSeq; s < minSeq; s++) {
        this.givenUpSeqs.push(s);
        this.counters.givenUp++;
      }
      this.nextSeq = minSeq;
    }
  }
}
