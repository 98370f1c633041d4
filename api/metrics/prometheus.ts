/**
 * Prometheus text exposition (format 0.0.4) without a client library: the API computes its gauges at scrape
 * time from the stores, so only formatting is needed. Label values are escaped; names are validated.
 */

export type Labels = Record<string, string>;
export interface Sample {
  labels?: Labels;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function fmtLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (!entries.length) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

export class MetricsText {
  private readonly lines: string[] = [];
  private readonly seen = new Set<string>();

  private family(name: string, type: 'gauge' | 'counter' | 'summary' | 'histogram', help: string): void {
    if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
    if (this.seen.has(name)) throw new Error(`metric ${name} written twice`);
    this.seen.add(name);
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
  }

  gauge(name: string, help: string, samples: Sample[]): this {
    this.family(name, 'gauge', help);
    for (const s of samples) this.lines.push(`${name}${fmtLabels(s.labels)} ${fmtValue(s.value)}`);
    return this;
  }

  counter(name: string, help: string, samples: Sample[]): this {
    if (!name.endsWith('_total')) throw new Error(`counter ${name} must end in _total`);
    this.family(name, 'counter', help);
    for (const s of samples) this.lines.push(`${name}${fmtLabels(s.labels)} ${fmtValue(s.value)}`);
    return this;
  }

  /** A summary with precomputed quantiles (e.g. over the last minute) plus _sum and _count. */
  summary(name: string, help: string, series: Array<{ labels?: Labels; quantiles: Record<string, number>; sum: number; count: number }>): this {
    this.family(name, 'summary', help);
    for (const s of series) {
      for (const [q, v] of Object.entries(s.quantiles)) this.lines.push(`${name}${fmtLabels({ ...s.labels, quantile: q })} ${fmtValue(v)}`);
      this.lines.push(`${name}_sum${fmtLabels(s.labels)} ${fmtValue(s.sum)}`, `${name}_count${fmtLabels(s.labels)} ${fmtValue(s.count)}`);
    }
    return this;
  }

  /** A cumulative histogram: `buckets` are upper bounds, `counts[i]` observations ≤ buckets[i]. */
  histogram(name: string, help: string, series: Array<{ labels?: Labels; buckets: readonly number[]; counts: readonly number[]; sum: number; count: number }>): this {
    this.family(name, 'histogram', help);
    for (const s of series) {
      s.buckets.forEach((le, i) => this.lines.push(`${name}_bucket${fmtLabels({ ...s.labels, le: fmtValue(le) })} ${s.counts[i] ?? 0}`));
      this.lines.push(`${name}_bucket${fmtLabels({ ...s.labels, le: '+Inf' })} ${s.count}`);
      this.lines.push(`${name}_sum${fmtLabels(s.labels)} ${fmtValue(s.sum)}`, `${name}_count${fmtLabels(s.labels)} ${s.count}`);
    }
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

/** Nearest-rank quantile of an ascending array; NaN when empty. */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx]!;
}
