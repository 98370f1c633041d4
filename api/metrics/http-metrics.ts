/** Request counts and latency of this API process, by route template (never the raw URL: bounded labels). */
import type { FastifyInstance } from 'fastify';
import type { MetricsText } from './prometheus.js';

const BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

interface Series {
  method: string;
  route: string;
  status: string;
  count: number;
  sum: number;
  buckets: number[];
}

export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    const status = `${Math.floor(statusCode / 100)}xx`;
    const key = `${method} ${route} ${status}`;
    let s = this.series.get(key);
    if (!s) {
      s = { method, route, status, count: 0, sum: 0, buckets: BUCKETS_SECONDS.map(() => 0) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    BUCKETS_SECONDS.forEach((le, i) => {
      if (seconds <= le) s.buckets[i]!++;
    });
  }

  /** Observes every answered request of `app` (SSE streams are counted when they end). */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (req, reply) => {
      const route = req.routeOptions.url ?? (reply.statusCode === 404 ? '(unmatched)' : '(unknown)');
      this.observe(req.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });
  }

  write(out: MetricsText): void {
    const all = [...this.series.values()];
    const labels = (s: Series) => ({ method: s.method, route: s.route, status: s.status });
    out.counter('iocv_http_requests_total', 'HTTP requests answered by this API process', all.map((s) => ({ labels: labels(s), value: s.count })));
    out.histogram(
      'iocv_http_request_duration_seconds',
      'HTTP request duration in this API process',
      all.map((s) => ({ labels: labels(s), buckets: BUCKETS_SECONDS, counts: s.buckets, sum: s.sum, count: s.count })),
    );
  }
}
