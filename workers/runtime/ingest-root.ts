/**
 * Composition root of an ingest process: owns cameras through leases (any number of ingest processes on any
 * machines), pulls their frames, queues them for the workers, and runs each owned camera's ordered stage
 * (reorder → tracker → lines → zone rules) with its results (crossings, incidents) going to Postgres and object
 * storage. Every ingest process also runs the camera health monitor; the one holding its leader lease raises the
 * camera offline/online incidents of the whole deployment.
 */
import { readFile } from 'node:fs/promises';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { parseCamerasConfigText } from '../../pipeline/config/camera-config.js';
import type { CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { CameraStatus } from '../../pipeline/domain.types.js';
import { FfmpegFrameSource } from '../../pipeline/sources/ffmpeg-frame.source.js';
import { CameraAnalysisStage } from '../../pipeline/stages/camera-analysis.stage.js';
import { parseObjectStoreSettings, type ObjectStoreSettings } from '../../storage/objects/object-store.factory.js';
import { openStorage, type Storage } from '../../storage/storage.factory.js';
import { CameraPipeline } from '../camera/camera-pipeline.js';
import { CameraHealthMonitor, type CameraHealthMonitorOptions } from '../ingest/camera-health.monitor.js';
import { RedisCameraStatusStore } from '../ingest/camera-status.store.js';
import { RedisLeaderLease } from '../ingest/leader-lease.js';
import { redisKey } from '../queues/job-registry.js';
import { PersistingSink } from '../camera/persisting.sink.js';
import { RedisFrameStore } from '../frames/frame-store.js';
import type { CameraSink } from '../ingest/ingest-coordinator.js';
import { runIngest } from '../ingest/ingest-process.js';
import { BullFrameQueue } from '../queues/frame-queue.js';
import { RedisResultSubscriber } from '../results/result-channel.js';
import { newEpoch, processId } from './epoch.js';
import type { Settings } from './settings.js';

export interface IngestRootOptions {
  settings: Settings;
  logger: Logger;
  signal?: AbortSignal;
  /** How often the camera list is re-read from Postgres (cameras added/changed/removed at runtime). @default 5000 */
  cameraRefreshMs?: number;
  /** @default from the environment (IOCV_OBJECT_STORE, ...) */
  objectStore?: ObjectStoreSettings;
  /** Lets tests observe pipelines. */
  onPipeline?: (p: CameraPipeline) => void;
  /** Camera health monitor tuning (grace period, staleness, poll), for tests and embedding. @default the monitor's */
  cameraHealth?: Partial<Pick<CameraHealthMonitorOptions, 'graceMs' | 'staleStatusMs' | 'pollMs' | 'onSignal'>>;
}

export async function runIngestRoot(o: IngestRootOptions): Promise<void> {
  const s = o.settings;
  const log = o.logger;
  // A bad cameras file must stop the process at start with the key's path, before anything connects.
  const fileCameras = s.camerasFile ? parseCamerasConfigText(await readFile(s.camerasFile, 'utf8'), s.camerasFile) : null;
  const storage: Storage = await openStorage({
    databaseUrl: s.databaseUrl,
    objectStore: o.objectStore ?? parseObjectStoreSettings(process.env),
    applicationName: 'ioc-vision ingest',
  });
  if (fileCameras) {
    const changed = await storage.cameras.upsertMany(fileCameras);
    log.info({ cameras: fileCameras.length, changed, file: s.camerasFile }, 'cameras loaded');
  }
  const enabled = async (): Promise<CameraConfig[]> => (await storage.cameras.list()).filter((c) => c.enabled);

  const redis = new Redis(s.redisUrl, { maxRetriesPerRequest: null });
  // XREAD BLOCK holds its connection: results get their own.
  const resultsRedis = new Redis(s.redisUrl, { maxRetriesPerRequest: null });
  const frames = new RedisFrameStore(redis);
  const queue = new BullFrameQueue({ connection: redis, prefix: s.bullPrefix });
  const results = new RedisResultSubscriber(resultsRedis, { onError: (err) => log.warn({ err: (err as Error).message }, 'result stream read failed') });

  const openCamera = (camera: CameraConfig): CameraSink => {
    const epoch = newEpoch();
    const sink = new PersistingSink({ camera, analytics: storage.analytics, incidents: storage.incidents, objects: storage.objects, frames, logger: log });
    const pipeline = new CameraPipeline({
      camera,
      epoch,
      frames,
      queue,
      results,
      // The camera's zone rules run inside its ordered stage (frames in order), and nowhere else.
      stage: new CameraAnalysisStage(camera, epoch),
      sink,
      policy: 'drop-oldest',
      frameTtlMs: s.frameTtlMs,
      onError: (err) => log.error({ camera: camera.id, err: (err as Error).message }, 'camera pipeline error'),
    });
    pipeline.start();
    o.onPipeline?.(pipeline);
    log.info({ camera: camera.id, epoch }, 'camera taken');
    return {
      onFrame: (f) => pipeline.dispatch(f),
      stats: () => {
        const st = pipeline.stats();
        return { droppedFrames: st.dropped, analysedFps: Math.round(st.analysedFps * 100) / 100 };
      },
      close: async () => {
        await pipeline.stop();
        await sink.flushTracks().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'track flush failed'));
        log.info({ camera: camera.id, ...pipeline.stats() }, 'camera released');
      },
    };
  };

  // Status goes to Postgres at most every 2 s per camera (and on every state change).
  const lastSaved = new Map<string, { at: number; state: string }>();
  const onStatus = (st: CameraStatus) => {
    const prev = lastSaved.get(st.cameraId);
    if (prev && prev.state === st.state && st.updatedAt - prev.at < 2000) return;
    lastSaved.set(st.cameraId, { at: st.updatedAt, state: st.state });
    if (!prev || prev.state !== st.state) log.info({ camera: st.cameraId, state: st.state, reason: st.reason }, 'camera status');
    storage.cameras.saveStatus(st).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'status save failed'));
  };

  // One leader per deployment: the ingest processes of a deployment share its BullMQ prefix (they feed the same
  // workers), so the prefix scopes the lease and unrelated deployments on one Redis do not silence each other.
  const health = new CameraHealthMonitor({
    leader: new RedisLeaderLease(redis, { key: redisKey.cameraHealthLeader(s.bullPrefix), ownerId: processId(), ttlMs: s.leaseTtlMs }),
    statuses: new RedisCameraStatusStore(redis),
    cameras: enabled,
    incidents: storage.incidents,
    graceMs: s.cameraOfflineGraceMs,
    logger: log,
    ...o.cameraHealth,
  });

  let refresh: NodeJS.Timeout | null = null;
  try {
    await runIngest({
      redis,
      cameras: await enabled(),
      ownerId: processId(),
      leaseTtlMs: s.leaseTtlMs,
      ...(s.ingestMaxCameras ? { maxCameras: s.ingestMaxCameras } : {}),
      source: (camera) => new FfmpegFrameSource({ url: camera.url, fps: camera.fps, ioTimeoutMs: Math.max(2000, camera.noFrameTimeoutMs) }),
      openCamera,
      onStatus,
      logger: log,
      ...(o.signal ? { signal: o.signal } : {}),
      onReady: (coordinator) => {
        log.info({ owner: coordinator.ownerId }, 'ingest ready');
        health.start();
        refresh = setInterval(() => {
          enabled()
            .then((cams) => coordinator.setCameras(cams))
            .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'camera refresh failed'));
        }, o.cameraRefreshMs ?? 5000);
      },
    });
  } finally {
    if (refresh) clearInterval(refresh);
    await health.stop();
    await results.close();
    await queue.close();
    redis.disconnect();
    resultsRedis.disconnect();
    await storage.close();
  }
}
