import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppDeps } from '../app.types.js';

const CheckSchema = Type.Object({
  ok: Type.Boolean(),
  latencyMs: Type.Number(),
  error: Type.Optional(Type.String({ description: 'short reason (error code), never a stack' })),
});
const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Record(Type.String(), CheckSchema),
});

async function runCheck(fn: () => Promise<void>, timeoutMs: number): Promise<{ ok: boolean; latencyMs: number; error?: string }> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return { ok: false, latencyMs: Math.round((performance.now() - started) * 10) / 10, error: typeof code === 'string' ? code : 'failed' };
  } finally {
    clearTimeout(timer);
  }
}

export function healthRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const checks: Record<string, () => Promise<void>> = { database: () => deps.analytics.ping() };
  if (deps.objects.ping) {
    const objects = deps.objects;
    checks.objects = () => objects.ping!();
  }
  Object.assign(checks, deps.healthChecks ?? {});
  const timeoutMs = deps.healthTimeoutMs ?? 2000;
  return async (app) => {
    app.get(
      '/health',
      {
        config: { public: true },
        schema: {
          tags: ['system'],
          summary: 'Liveness and dependencies (database, object store, Redis); 503 when one is down. No authentication.',
          response: { 200: HealthSchema, 503: HealthSchema },
        },
      },
      async (_req, reply) => {
        const names = Object.keys(checks);
        const results = await Promise.all(names.map((n) => runCheck(checks[n]!, timeoutMs)));
        const out = Object.fromEntries(names.map((n, i) => [n, results[i]!]));
        const ok = results.every((r) => r.ok);
        return reply.status(ok ? 200 : 503).header('cache-control', 'no-store').send({ status: ok ? 'ok' : 'unavailable', checks: out });
      },
    );
  };
}
