/**
 * Camera offline/online incidents for a whole deployment. Every ingest process runs one monitor, but only the holder
 * of a leader lease in Redis acts, so each outage is raised once however many ingest processes there are. The leader
 * reads every enabled camera's live status (published by whichever process owns it) rather than listening to its own
 * cameras: a camera whose owner died — nobody publishes its status any more — is seen too, as a status that stopped
 * being refreshed, then a status that expired. If the leader itself dies, the next process takes the lease over,
 * learns the outages already raised from the incident store and carries on (resolving them when cameras return).
 *
 * Decisions (grace period, one camera_offline per outage, camera_online on recovery) are CameraHealthRule's; this
 * class only turns I/O into its input and its signals into incidents: camera_offline is recorded, and on recovery
 * the live camera_offline incident is resolved by "system" and a camera_online (info) incident recorded, resolved at once.
 */
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { CameraStatus } from '../../pipeline/domain.types.js';
import { CameraHealthRule } from '../../pipeline/incidents/camera-health.rule.js';
import type { Incident, IncidentSignal } from '../../pipeline/incidents/incident.types.js';
import type { IncidentRepository, RecordSignalResult } from '../../storage/repositories/incident.repository.js';
import type { RedisCameraStatusStore } from './camera-status.store.js';
import { silentLogger, systemClock, type Clock, type IngestLogger } from './ingest.types.js';
import type { LeaderLease } from './leader-lease.js';

/** Who resolves incidents that the system itself closes. */
export const SYSTEM_ACTOR = 'system';

export interface CameraHealthMonitorOptions {
  /** Leadership among the ingest processes of one deployment. */
  leader: LeaderLease;
  /** Live statuses, as published by the cameras' owners on any machine. */
  statuses: Pick<RedisCameraStatusStore, 'readMany'>;
  /** The cameras that should be running (the enabled ones), re-read every round. */
  cameras: () => Promise<ReadonlyArray<Pick<CameraConfig, 'id'>>>;
  incidents: Pick<IncidentRepository, 'recordSignal' | 'resolveLive' | 'list'>;
  /** Time a camera must stay not-online before camera_offline is raised, ms. @default 15000 */
  graceMs?: number;
  /**
   * A status not refreshed for this long counts as down (its owner died or hangs), ms. Owners refresh every 2 s.
   * Measured on this process's clock from when the status last changed, so clock skew between machines is harmless.
   * @default 10000
   */
  staleStatusMs?: number;
  /** Time between rounds, ms. @default 2000 */
  pollMs?: number;
  /**
   * Cooldown of camera_offline dedup, ms. 0: an outage after a resolved one is a new incident, whatever the gap —
   * the grace period already absorbs flapping, and a repeated outage must not hide inside a resolved incident.
   * @default 0
   */
  offlineCooldownMs?: number;
  clock?: Clock;
  logger?: IngestLogger;
  /** Called after each signal was recorded (tests, metrics). */
  onSignal?: (signal: IncidentSignal, result: RecordSignalResult) => void;
  /**
   * Longest `stop` waits for a running round and the lease release, ms: with Redis or Postgres unreachable a round
   * can hang (the ingest Redis client queues commands while offline), and shutdown must not. @default 5000
   */
  stopTimeoutMs?: number;
}

const LIVE_PAGE = 1000;

export class CameraHealthMonitor {
  private readonly graceMs: number;
  private readonly staleMs: number;
  private readonly pollMs: number;
  private readonly clock: Clock;
  private readonly log: IngestLogger;
  private rule: CameraHealthRule;
  /** Per camera: the status updatedAt last seen and when (our clock) it was first seen. */
  private readonly seen = new Map<string, { updatedAt: number; at: number }>();
  private leading = false;
  private timer: unknown = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: CameraHealthMonitorOptions) {
    this.graceMs = o.graceMs ?? 15_000;
    this.staleMs = o.staleStatusMs ?? 10_000;
    this.pollMs = o.pollMs ?? 2000;
    this.clock = o.clock ?? systemClock;
    this.log = o.logger ?? silentLogger;
    this.rule = new CameraHealthRule({ graceMs: this.graceMs });
  }

  /** Whether this process led in its last round. */
  get isLeader(): boolean {
    return this.leading;
  }

  /** Runs a round now and then every pollMs after each round ends. */
  start(): void {
    if (this.running || this.timer !== null || this.stopped) return;
    this.loop();
  }

  /**
   * Stops the rounds. With `release` (a graceful shutdown) the lease is given up so that another process leads at
   * once; without it (tests simulating a crash) the lease runs out on its own.
   */
  async stop(opts: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    const limitMs = this.o.stopTimeoutMs ?? 5000;
    if (this.running && !(await this.within(this.running, limitMs))) this.log.warn({ limitMs }, 'health monitor: round still running at stop; leaving it');
    if (this.leading && (opts.release ?? true)) {
      const released = this.o.leader.release().then(
        () => undefined,
        (err: unknown) => this.log.warn({ err }, 'health monitor: lease release failed; it will expire'),
      );
      if (!(await this.within(released, limitMs))) this.log.warn({ limitMs }, 'health monitor: lease release timed out; it will expire');
    }
    this.leading = false;
  }

  /** Whether `p` settled within `ms`. */
  private within(p: Promise<unknown>, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const t = this.clock.setTimeout(() => resolve(false), ms);
      void p.finally(() => {
        this.clock.clearTimeout(t);
        resolve(true);
      });
    });
  }

  private loop(): void {
    this.running = this.round()
      .catch((err: unknown) => this.log.warn({ err }, 'health monitor round failed'))
      .finally(() => {
        this.running = null;
        if (!this.stopped) this.timer = this.clock.setTimeout(() => this.loop(), this.pollMs);
      });
  }

  /** One round: lead or follow; when leading, check every camera. Exposed for tests. */
  async round(): Promise<void> {
    if (!(await this.o.leader.tryAcquire())) {
      if (this.leading) this.log.info({}, 'health monitor: no longer leading');
      this.follow();
      return;
    }
    if (!this.leading) {
      this.leading = true;
      this.log.info({}, 'health monitor: leading');
    }
    const now = this.clock.now();
    const cameras = await this.o.cameras();
    const ids = cameras.map((c) => c.id);
    const wanted = new Set(ids);
    const [statuses, live] = await Promise.all([this.o.statuses.readMany(ids), this.liveOffline()]);
    for (const id of this.rule.cameraIds()) {
      if (!wanted.has(id)) {
        this.rule.remove(id);
        this.seen.delete(id);
      }
    }
    // A camera removed or disabled while offline: its outage is over by definition.
    for (const id of live.keys()) if (!wanted.has(id)) await this.resolveOffline(id, 'camera removed or disabled', now);
    for (const id of ids) {
      // Raised earlier by another leader, or by us before a restart: report its recovery, do not raise it again.
      if (live.has(id) && !this.rule.isOfflineReported(id)) this.rule.setOfflineReported(id, true);
      for (const signal of this.rule.update(this.effectiveStatus(id, statuses.get(id) ?? null, now), now)) await this.handle(signal, now);
    }
  }

  /** Not leading: forget everything, the next leadership starts from the incident store. */
  private follow(): void {
    this.leading = false;
    this.rule = new CameraHealthRule({ graceMs: this.graceMs });
    this.seen.clear();
  }

  /** The status as the rule should see it: a missing or no longer refreshed status means the camera is down. */
  private effectiveStatus(cameraId: string, st: CameraStatus | null, now: number): CameraStatus {
    if (!st) {
      this.seen.delete(cameraId);
      return {
        cameraId, state: 'starting', reason: 'no ingest process reports this camera', inputFps: 0, analysedFps: 0,
        droppedFrames: 0, framesTotal: 0, reconnects: 0, lastFrameAt: null, ownerId: null, updatedAt: now,
      };
    }
    let seen = this.seen.get(cameraId);
    if (!seen || seen.updatedAt !== st.updatedAt) {
      seen = { updatedAt: st.updatedAt, at: now };
      this.seen.set(cameraId, seen);
    }
    const silentMs = now - seen.at;
    if (silentMs > this.staleMs && st.state !== 'disabled') {
      return { ...st, state: 'reconnecting', reason: `no status from ${st.ownerId ?? 'its owner'} for ${Math.round(silentMs / 1000)} s` };
    }
    return st;
  }

  private async handle(signal: IncidentSignal, now: number): Promise<void> {
    const id = signal.cameraId;
    if (signal.type === 'camera_offline') {
      try {
        const r = await this.o.incidents.recordSignal(signal, { cooldownMs: this.o.offlineCooldownMs ?? 0 });
        this.log.warn({ cameraId: id, reason: signal.details.reason, incident: r.incident.id }, 'camera offline');
        this.o.onSignal?.(signal, r);
      } catch (err) {
        // Not stored: raise it again next round.
        this.rule.setOfflineReported(id, false);
        this.log.warn({ err, cameraId: id }, 'camera_offline incident not recorded; retrying next round');
      }
      return;
    }
    if (signal.type !== 'camera_online') return;
    try {
      await this.resolveOffline(id, 'camera back online', now, true);
    } catch (err) {
      // The outage stays live: report the recovery (and resolve) again next round.
      this.rule.setOfflineReported(id, true);
      this.log.warn({ err, cameraId: id }, 'camera_offline incident not resolved; retrying next round');
      return;
    }
    try {
      // Every recovery is its own record (no cooldown merge), and it asks nothing of the operator: it reaches the
      // feed and the webhooks, and is resolved by the system at once so that it never waits for an acknowledgement.
      const r = await this.o.incidents.recordSignal(signal, { cooldownMs: 0 });
      await this.o.incidents.resolveLive({ cameraId: id, type: 'camera_online' }, SYSTEM_ACTOR, 'informational: the camera recovered', signal.at);
      this.log.info({ cameraId: id, incident: r.incident.id }, 'camera back online');
      this.o.onSignal?.(signal, r);
    } catch (err) {
      this.log.warn({ err, cameraId: id }, 'camera_online incident not recorded');
    }
  }

  private async resolveOffline(cameraId: string, note: string, at: number, rethrow = false): Promise<void> {
    try {
      await this.o.incidents.resolveLive({ cameraId, type: 'camera_offline' }, SYSTEM_ACTOR, note, at);
    } catch (err) {
      if (rethrow) throw err;
      this.log.warn({ err, cameraId }, 'camera_offline incident not resolved');
    }
  }

  /** The live (open or acknowledged) camera_offline incidents by camera: at most one per camera. */
  private async liveOffline(): Promise<Map<string, Incident>> {
    const out = new Map<string, Incident>();
    let before: { openedAt: number; id: string } | undefined;
    for (;;) {
      const page = await this.o.incidents.list({ types: ['camera_offline'], states: ['open', 'acknowledged'], limit: LIVE_PAGE, ...(before ? { before } : {}) });
      for (const i of page) out.set(i.cameraId, i);
      if (page.length < LIVE_PAGE) return out;
      const last = page[page.length - 1]!;
      before = { openedAt: last.openedAt, id: last.id };
    }
  }
}
