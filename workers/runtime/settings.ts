/**
 * Process settings from the environment, validated strictly at start: a misspelt IOCV_* variable or a bad value
 * stops the process with the variable's name, instead of silently running on a default.
 */
import { Type, type Static } from 'typebox';
import { Ajv } from 'ajv';
import { ConfigError, ajvIssues } from '../../pipeline/config/camera-config.js';

const Url = Type.String({ minLength: 1 });
const Int = (min: number, max: number) => Type.Integer({ minimum: min, maximum: max });

export const SettingsSchema = Type.Object(
  {
    IOCV_REDIS_URL: Type.Optional(Url),
    IOCV_DATABASE_URL: Type.Optional(Url),
    IOCV_CAMERAS_FILE: Type.Optional(Type.String({ minLength: 1 })),
    IOCV_BULL_PREFIX: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' })),
    IOCV_WORKER_CONCURRENCY: Type.Optional(Int(1, 64)),
    IOCV_DETECT_MAX_BATCH: Type.Optional(Int(1, 64)),
    IOCV_ORT_THREADS: Type.Optional(Int(1, 64)),
    IOCV_MODEL_DIR: Type.Optional(Type.String()),
    IOCV_MODEL_CACHE: Type.Optional(Type.String()),
    IOCV_MODEL_DOWNLOAD: Type.Optional(Type.Union([Type.Literal('0'), Type.Literal('1')])),
    IOCV_OBJECT_STORE: Type.Optional(Type.Union([Type.Literal('fs'), Type.Literal('s3')])),
    IOCV_FS_ROOT: Type.Optional(Type.String()),
    IOCV_S3_ENDPOINT: Type.Optional(Url),
    IOCV_S3_ACCESS_KEY: Type.Optional(Type.String()),
    IOCV_S3_SECRET_KEY: Type.Optional(Type.String()),
    IOCV_S3_BUCKET: Type.Optional(Type.String()),
    IOCV_S3_REGION: Type.Optional(Type.String()),
    IOCV_API_PORT: Type.Optional(Int(0, 65535)),
    IOCV_API_HOST: Type.Optional(Type.String()),
    IOCV_LOG_LEVEL: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)))),
    IOCV_LEASE_TTL_MS: Type.Optional(Int(1000, 600_000)),
    IOCV_INGEST_MAX_CAMERAS: Type.Optional(Int(1, 10_000)),
    IOCV_FRAME_TTL_MS: Type.Optional(Int(1000, 3_600_000)),
    IOCV_CAMERA_OFFLINE_GRACE_MS: Type.Optional(Int(1000, 3_600_000)),
    IOCV_SHARED_DIR: Type.Optional(Type.String()),
    IOCV_DEMO_VIDEOS: Type.Optional(Type.String()),
    IOCV_DEMO_DIR: Type.Optional(Type.String()),
    IOCV_DEMO_WORKERS: Type.Optional(Int(1, 16)),
    IOCV_ADMIN_PASSWORD: Type.Optional(Type.String()),
    IOCV_ADMIN_USER: Type.Optional(Type.String()),
    IOCV_AUTH_SECRET: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export type RawSettings = Static<typeof SettingsSchema>;

export interface Settings {
  redisUrl: string;
  databaseUrl: string;
  camerasFile: string | null;
  bullPrefix: string;
  /** Detect jobs a worker holds at once: enough to fill a batch while the previous one runs. */
  workerConcurrency: number;
  /** Most frames per model run. */
  detectMaxBatch: number;
  leaseTtlMs: number;
  ingestMaxCameras: number | null;
  frameTtlMs: number;
  /** Time a camera must stay not-online before a camera_offline incident is raised, ms. */
  cameraOfflineGraceMs: number;
  logLevel: string;
  raw: RawSettings;
}

const INT_KEYS = new Set(['IOCV_WORKER_CONCURRENCY', 'IOCV_DETECT_MAX_BATCH', 'IOCV_ORT_THREADS', 'IOCV_API_PORT', 'IOCV_LEASE_TTL_MS', 'IOCV_INGEST_MAX_CAMERAS', 'IOCV_FRAME_TTL_MS', 'IOCV_CAMERA_OFFLINE_GRACE_MS', 'IOCV_DEMO_WORKERS']);

const validate = new Ajv({ allErrors: true, strict: false }).compile<RawSettings>(SettingsSchema);

/** Reads IOCV_* variables; throws ConfigError naming each bad or unknown variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const raw: Record<string, unknown> = {};
  const issues: Array<{ path: string; message: string }> = [];
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('IOCV_') || v === undefined || v === '') continue;
    if (INT_KEYS.has(k)) {
      const n = Number(v);
      if (!Number.isInteger(n)) issues.push({ path: k, message: `must be an integer, got "${v}"` });
      raw[k] = n;
    } else raw[k] = v;
  }
  if (!validate(raw)) issues.push(...ajvIssues(validate.errors));
  if (issues.length) throw new ConfigError('environment', issues);
  const r = raw as RawSettings;
  return {
    redisUrl: r.IOCV_REDIS_URL ?? 'redis://127.0.0.1:6379',
    databaseUrl: r.IOCV_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/iocvision',
    camerasFile: r.IOCV_CAMERAS_FILE ?? null,
    bullPrefix: r.IOCV_BULL_PREFIX ?? 'iocv',
    workerConcurrency: r.IOCV_WORKER_CONCURRENCY ?? 12,
    detectMaxBatch: r.IOCV_DETECT_MAX_BATCH ?? 8,
    leaseTtlMs: r.IOCV_LEASE_TTL_MS ?? 15_000,
    ingestMaxCameras: r.IOCV_INGEST_MAX_CAMERAS ?? null,
    frameTtlMs: r.IOCV_FRAME_TTL_MS ?? 60_000,
    cameraOfflineGraceMs: r.IOCV_CAMERA_OFFLINE_GRACE_MS ?? 15_000,
    logLevel: r.IOCV_LOG_LEVEL ?? 'info',
    raw: r,
  };
}
