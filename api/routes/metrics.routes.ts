/**
 * GET /metrics for Prometheus (scrape with an API key of a role holding system:read). Camera figures come from
 * the live/stored status, queue and inference figures from BullMQ when the composition root supplies them, HTTP
 * figures from this process.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import type { CameraState } from '../../pipeline/domain.types.js';
import { mayAccessGroup } from '../access.js';
import type { AppDeps } from '../app.types.js';
import { currentStatus } from '../camera-status.js';
import type { HttpMetrics } from '../metrics/http-metrics.js';
import { MetricsText, quantile, type Sample } from '../metrics/prometheus.js';
import type { LatencyStats } from '../metrics/queue-metrics.js';

const STATES: CameraState[] = ['starting', 'online', 'reconnecting', 'failed', 'disabled'];

function summarySeconds(stats: LatencyStats, labels?: Record<string, string>) {
  const s = stats.samplesMs;
  return {
    ...(labels ? { labels } : {}),
    quantiles: { '0.5': quantile(s, 0.5) / 1000, '0.95': quantile(s, 0.95) / 1000 },
    sum: s.reduce((a, b) => a + b, 0) / 1000,
    count: s.length,
  };
}

export function metricsRoutes(deps: AppDeps, http: HttpMetrics): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/metrics',
      {
        config: { permission: 'system:read' },
        schema: {
          tags: ['system'],
          summary: 'Prometheus metrics: cameras (fps, drops, reconnects, queue lag, inference latency), queues, HTTP, process',
          produces: ['text/plain'],
          response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      async (req, reply) => {
        const now = Date.now();
        const out = new MetricsText();
        const mem = process.memoryUsage();
        out.gauge('iocv_process_resident_memory_bytes', 'Resident memory of this API process', [{ value: mem.rss }]);
        out.gauge('iocv_process_heap_used_bytes', 'V8 heap in use in this API process', [{ value: mem.heapUsed }]);
        out.gauge('iocv_process_uptime_seconds', 'Uptime of this API process', [{ value: Math.round(process.uptime()) }]);

        const [cams, stored] = await Promise.all([deps.cameras.list(), deps.cameras.listStatus()]);
        const byId = new Map(stored.map((s) => [s.cameraId, s]));
        const visible = cams.filter((c) => mayAccessGroup(req, c.group));
        const rows = await Promise.all(visible.map(async (c) => ({ camera: c, cur: await currentStatus(deps, c.id, byId.get(c.id) ?? null) })));
        const g = (pick: (r: (typeof rows)[number]) => number | null): Sample[] =>
          rows.flatMap((r) => {
            const v = pick(r);
            return v === null ? [] : [{ labels: { camera: r.camera.id }, value: v }];
          });
        out.gauge('iocv_camera_enabled', 'Camera enabled in the configuration', g((r) => (r.camera.enabled ? 1 : 0)));
        out.gauge('iocv_camera_up', 'Camera online (frames arriving)', g((r) => (r.cur?.status.state === 'online' ? 1 : 0)));
        out.gauge(
          'iocv_camera_state',
          'Camera state, one series per state (1 = current)',
          rows.flatMap((r) => STATES.map((state) => ({ labels: { camera: r.camera.id, state }, value: r.cur?.status.state === state ? 1 : 0 }))),
        );
        out.gauge('iocv_camera_input_fps', 'Frames per second received from the camera (after sampling)', g((r) => r.cur?.status.inputFps ?? null));
        out.gauge('iocv_camera_analysed_fps', 'Frames per second through detection and tracking', g((r) => r.cur?.status.analysedFps ?? null));
        out.counter('iocv_camera_dropped_frames_total', 'Sampled frames dropped because inference lagged (resets when the owner changes)', g((r) => r.cur?.status.droppedFrames ?? null));
        out.counter('iocv_camera_frames_total', 'Sampled frames received (resets when the owner changes)', g((r) => r.cur?.status.framesTotal ?? null));
        out.counter('iocv_camera_reconnects_total', 'Reconnections to the camera (resets when the owner changes)', g((r) => r.cur?.status.reconnects ?? null));
        out.gauge('iocv_camera_last_frame_age_seconds', 'Seconds since the last frame of the camera', g((r) => (r.cur?.status.lastFrameAt ? Math.max(0, (now - r.cur.status.lastFrameAt) / 1000) : null)));
        out.gauge('iocv_camera_status_age_seconds', 'Seconds since the owner last reported the status', g((r) => (r.cur ? Math.max(0, (now - r.cur.status.updatedAt) / 1000) : null)));

        let q = null;
        if (deps.queueMetrics) {
          try {
            q = await deps.queueMetrics.collect(now);
          } catch (err) {
            req.log.warn({ err: (err as Error).message }, 'queue metrics unavailable');
          }
          out.gauge('iocv_queue_metrics_up', 'Whether the queue figures could be read (Redis reachable)', [{ value: q ? 1 : 0 }]);
        }
        if (q) {
          out.gauge(
            'iocv_queue_jobs',
            'Jobs per queue and state',
            q.queues.flatMap((x) => (['waiting', 'active', 'delayed', 'failed', 'completed'] as const).map((state) => ({ labels: { queue: x.name, state }, value: x[state] }))),
          );
          out.gauge('iocv_queue_oldest_waiting_age_seconds', 'Age of the oldest waiting job (queue lag)', q.queues.map((x) => ({ labels: { queue: x.name }, value: x.oldestWaitingAgeSeconds })));
          const camQ = [...q.cameras.entries()].filter(([id]) => visible.some((c) => c.id === id));
          out.gauge('iocv_camera_queue_lag_seconds', 'Age of the camera’s oldest frame waiting for inference', camQ.map(([id, c]) => ({ labels: { camera: id }, value: c.oldestWaitingAgeSeconds })));
          out.gauge('iocv_camera_queue_waiting', 'Frames of the camera waiting for inference', camQ.map(([id, c]) => ({ labels: { camera: id }, value: c.waiting })));
          out.summary('iocv_inference_duration_seconds', 'Detector time per frame over the recently completed jobs (about a minute)', [summarySeconds(q.inference)]);
          out.summary('iocv_queue_wait_seconds', 'Time a frame waited in the queue before a worker took it (recent jobs)', [summarySeconds(q.queueWait)]);
          out.summary('iocv_camera_inference_duration_seconds', 'Detector time per frame of each camera (recent jobs)', camQ.filter(([, c]) => c.inference.samplesMs.length).map(([id, c]) => summarySeconds(c.inference, { camera: id })));
        }
        http.write(out);
        return (reply as unknown as FastifyReply).type('text/plain; version=0.0.4; charset=utf-8').header('cache-control', 'no-store').send(out.toString());
      },
    );
  };
}
