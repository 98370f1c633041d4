/**
 * The ingest process loop: runs an IngestCoordinator until SIGTERM/SIGINT (or `signal`), then shuts down gracefully
 * (stops cameras, releases leases so another process takes over at once instead of after the lease TTL).
 * The composition root (the `ingest` CLI command) builds the Redis client, the frame source and the dispatcher.
 */
import { IngestCoordinator, type IngestCoordinatorOptions } from './ingest-coordinator.js';

export interface RunIngestOptions extends IngestCoordinatorOptions {
  /** Process signals that trigger a graceful shutdown. @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
  /** Another way to stop (tests, embedding). */
  signal?: AbortSignal;
  /** Called once the coordinator runs (e.g. to print "ingest ready"). */
  onReady?: (c: IngestCoordinator) => void;
  /** A second signal during shutdown, or shutdown taking longer than this, exits hard. @default 20000 */
  shutdownTimeoutMs?: number;
}

export async function runIngest(opts: RunIngestOptions): Promise<void> {
  const coordinator = new IngestCoordinator(opts);
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  let stopRequested!: () => void;
  const stopRequestedP = new Promise<void>((r) => (stopRequested = r));
  let shuttingDown = false;
  let firstSignalAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // Ctrl-C in a terminal signals the whole process group and a supervisor (demo, systemd) then sends SIGTERM too:
    // a repeat within a second is that echo, not an operator insisting.
    if (shuttingDown && Date.now() - firstSignalAt < 1000) return;
    if (shuttingDown) {
      opts.logger?.warn({ signal: sig }, 'second signal during shutdown: exiting now');
      process.exit(130);
    }
    shuttingDown = true;
    firstSignalAt = Date.now();
    opts.logger?.info({ signal: sig }, 'ingest shutting down');
    stopRequested();
  };
  for (const s of signals) process.on(s, onSignal);
  if (opts.signal?.aborted) stopRequested();
  opts.signal?.addEventListener('abort', () => stopRequested(), { once: true });
  try {
    await coordinator.start();
    opts.onReady?.(coordinator);
    await stopRequestedP;
    const hard = setTimeout(() => {
      opts.logger?.error({ timeoutMs: opts.shutdownTimeoutMs ?? 20_000 }, 'ingest shutdown timed out: exiting');
      process.exit(1);
    }, opts.shutdownTimeoutMs ?? 20_000);
    hard.unref();
    await coordinator.stop();
    clearTimeout(hard);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
