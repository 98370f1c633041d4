/**
 * Webhook commands (wire into cli/main.ts):
 *   ioc-vision webhooks dispatch                      run a dispatcher until SIGINT/SIGTERM (any number, any machine)
 *   ioc-vision webhooks add --url U [--events incident.created,incident.resolved] [--description D]   (prints the secret)
 *   ioc-vision webhooks list
 *   ioc-vision webhooks requeue-dead [--subscription ID]
 */
import { parseArgs } from 'node:util';
import type { CliCommand } from '../../cli/command.types.js';
import { UsageError } from '../../cli/command.types.js';
import type { Pool } from '../../storage/postgres/database.js';

async function openPool(): Promise<Pool> {
  const { loadSettings } = await import('../runtime/settings.js');
  const { createPool, ensureDatabase, runMigrations } = await import('../../storage/postgres/database.js');
  const s = loadSettings();
  await ensureDatabase(s.databaseUrl);
  const pool = createPool(s.databaseUrl, { max: 4, applicationName: 'ioc-vision webhooks' });
  await runMigrations(pool);
  return pool;
}

function parse(argv: string[], options: Record<string, { type: 'string' | 'boolean' }>): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({ args: argv, strict: true, options }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const webhooksCommand: CliCommand = {
  name: 'webhooks',
  summary: 'Deliver incident webhooks (dispatch) and manage subscriptions (add, list, requeue-dead).',
  usage: 'ioc-vision webhooks dispatch | add --url U [--events a,b] [--description D] | list | requeue-dead [--subscription ID]',
  async run(argv) {
    const [sub, ...rest] = argv;
    const { WebhookRepository, WEBHOOK_EVENT_TYPES } = await import('../../storage/repositories/webhook.repository.js');
    if (sub === 'add') {
      const v = parse(rest, { url: { type: 'string' }, events: { type: 'string' }, description: { type: 'string' } });
      if (typeof v.url !== 'string' || !/^https?:\/\//.test(v.url)) throw new UsageError('--url must be an http(s) URL');
      const events = typeof v.events === 'string' ? v.events.split(',').map((e) => e.trim()).filter(Boolean) : [];
      for (const e of events) {
        if (e !== 'incident.*' && !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e)) throw new UsageError(`unknown event type ${e} (${WEBHOOK_EVENT_TYPES.join(', ')}, incident.*)`);
      }
      const pool = await openPool();
      try {
        const s = await new WebhookRepository(pool).createSubscription({ url: v.url, eventTypes: events, description: typeof v.description === 'string' ? v.description : null });
        console.log(`${s.id}\t${s.url}\nsecret: ${s.secret}`);
        return 0;
      } finally {
        await pool.end();
      }
    }
    if (sub === 'list') {
      parse(rest, {});
      const pool = await openPool();
      try {
        const repo = new WebhookRepository(pool);
        for (const s of await repo.listSubscriptions()) console.log(`${s.id}\t${s.enabled ? 'enabled' : 'disabled'}\t${s.eventTypes.join(',') || '*'}\t${s.url}`);
        console.log(JSON.stringify(await repo.stats()));
        return 0;
      } finally {
        await pool.end();
      }
    }
    if (sub === 'requeue-dead') {
      const v = parse(rest, { subscription: { type: 'string' } });
      const pool = await openPool();
      try {
        console.log(`requeued ${await new WebhookRepository(pool).requeueDead(typeof v.subscription === 'string' ? v.subscription : undefined)}`);
        return 0;
      } finally {
        await pool.end();
      }
    }
    if (sub === 'dispatch') {
      parse(rest, {});
      const { WebhookDispatcher } = await import('./webhook.dispatcher.js');
      const pool = await openPool();
      const d = new WebhookDispatcher({
        repo: new WebhookRepository(pool),
        listenPool: pool,
        onError: (err) => console.error(`webhooks: ${(err as Error).message}`),
        onAttempt: (a) => {
          if (!a.ok) console.error(`webhooks: ${a.delivery.url} event ${a.delivery.eventId} attempt ${a.delivery.attempts + 1}: ${a.error}${a.dead ? ' (dead-lettered)' : ''}`);
        },
      });
      d.start();
      console.log(`webhook dispatcher ${d.workerId} running`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await d.stop();
      await pool.end();
      return 0;
    }
    throw new UsageError(`usage: ${webhooksCommand.usage}`);
  },
};
