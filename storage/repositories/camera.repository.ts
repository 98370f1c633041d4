/**
 * Cameras (their configuration, as loaded from the config file or changed at runtime) and their last reported
 * status. The only place that knows the SQL shape of `cameras` and `camera_status`.
 */
import type { CameraStatus, CameraState } from '../../pipeline/domain.types.js';
import { CAMERA_DEFAULTS, type CameraConfig } from '../../pipeline/config/camera-config.schema.js';
import type { Pool } from '../postgres/database.js';

/** A stored camera: its config plus bookkeeping times (epoch ms). */
export interface CameraRecord extends CameraConfig {
  createdAt: number;
  updatedAt: number;
}

interface CameraRow {
  id: string;
  name: string;
  url: string;
  enabled: boolean;
  camera_group: string | null;
  config: Partial<Omit<CameraConfig, 'id' | 'name' | 'url' | 'enabled' | 'group'>>;
  created_at: Date;
  updated_at: Date;
}

interface StatusRow {
  camera_id: string;
  state: CameraState;
  reason: string | null;
  input_fps: number;
  analysed_fps: number;
  dropped_frames: string;
  frames_total: string;
  reconnects: number;
  last_frame_at: Date | null;
  owner_id: string | null;
  updated_at: Date;
}

/** Everything but the identity columns goes to `config`, so new tuning keys need no migration. */
function configJson(c: CameraConfig): CameraRow['config'] {
  const { id: _id, name: _name, url: _url, enabled: _enabled, group: _group, ...config } = c;
  return config;
}

function toCamera(r: CameraRow): CameraRecord {
  return {
    ...CAMERA_DEFAULTS,
    lines: [],
    zones: [],
    // Cameras stored before zone rules existed have none.
    rules: [],
    ...(r.config ?? {}),
    id: r.id,
    name: r.name,
    url: r.url,
    enabled: r.enabled,
    group: r.camera_group,
    createdAt: r.created_at.getTime(),
    updatedAt: r.updated_at.getTime(),
  };
}

function toStatus(r: StatusRow): CameraStatus {
  return {
    cameraId: r.camera_id,
    state: r.state,
    reason: r.reason,
    inputFps: r.input_fps,
    analysedFps: r.analysed_fps,
    droppedFrames: Number(r.dropped_frames),
    framesTotal: Number(r.frames_total),
    reconnects: r.reconnects,
    lastFrameAt: r.last_frame_at ? r.last_frame_at.getTime() : null,
    ownerId: r.owner_id,
    updatedAt: r.updated_at.getTime(),
  };
}

const CAMERA_COLUMNS = 'id, name, url, enabled, camera_group, config, created_at, updated_at';
const STATUS_COLUMNS =
  'camera_id, state, reason, input_fps, analysed_fps, dropped_frames, frames_total, reconnects, last_frame_at, owner_id, updated_at';

export class CameraRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Inserts or updates cameras by id in one statement. `updated_at` only moves when something changed, so
   * re-loading an unchanged config file is a no-op. Returns how many rows were inserted or changed.
   */
  async upsertMany(cams: readonly CameraConfig[]): Promise<number> {
    if (!cams.length) return 0;
    const rows = cams.map((c) => ({ id: c.id, name: c.name, url: c.url, enabled: c.enabled, camera_group: c.group, config: configJson(c) }));
    const res = await this.pool.query(
      `INSERT INTO cameras (id, name, url, enabled, camera_group, config)
       SELECT x.id, x.name, x.url, x.enabled, x.camera_group, x.config
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, name text, url text, enabled boolean, camera_group text, config jsonb)
       ON CONFLICT (id) DO UPDATE
         SET name = EXCLUDED.name, url = EXCLUDED.url, enabled = EXCLUDED.enabled,
             camera_group = EXCLUDED.camera_group, config = EXCLUDED.config, updated_at = now()
       WHERE (cameras.name, cameras.url, cameras.enabled, cameras.camera_group, cameras.config)
             IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.url, EXCLUDED.enabled, EXCLUDED.camera_group, EXCLUDED.config)`,
      [JSON.stringify(rows)],
    );
    return res.rowCount ?? 0;
  }

  /** Inserts a camera unless its id exists. Returns whether it was inserted. */
  async insert(c: CameraConfig): Promise<boolean> {
    const res = await this.pool.query(
      `INSERT INTO cameras (id, name, url, enabled, camera_group, config) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`,
      [c.id, c.name, c.url, c.enabled, c.group, JSON.stringify(configJson(c))],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async list(): Promise<CameraRecord[]> {
    const { rows } = await this.pool.query<CameraRow>(`SELECT ${CAMERA_COLUMNS} FROM cameras ORDER BY id`);
    return rows.map(toCamera);
  }

  async get(id: string): Promise<CameraRecord | null> {
    const { rows } = await this.pool.query<CameraRow>(`SELECT ${CAMERA_COLUMNS} FROM cameras WHERE id = $1`, [id]);
    return rows[0] ? toCamera(rows[0]) : null;
  }

  /** Removes a camera's config and status; its analytics history stays. Returns whether it existed. */
  async remove(id: string): Promise<boolean> {
    const res = await this.pool.query('WITH s AS (DELETE FROM camera_status WHERE camera_id = $1) DELETE FROM cameras WHERE id = $1', [id]);
    return (res.rowCount ?? 0) > 0;
  }

  /** Stores the latest status; an older report (by `updatedAt`) never overwrites a newer one. */
  async saveStatus(s: CameraStatus): Promise<void> {
    await this.pool.query(
      `INSERT INTO camera_status (${STATUS_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (camera_id) DO UPDATE
         SET state = EXCLUDED.state, reason = EXCLUDED.reason, input_fps = EXCLUDED.input_fps,
             analysed_fps = EXCLUDED.analysed_fps, dropped_frames = EXCLUDED.dropped_frames,
             frames_total = EXCLUDED.frames_total, reconnects = EXCLUDED.reconnects,
             last_frame_at = EXCLUDED.last_frame_at, owner_id = EXCLUDED.owner_id, updated_at = EXCLUDED.updated_at
       WHERE camera_status.updated_at <= EXCLUDED.updated_at`,
      [
        s.cameraId,
        s.state,
        s.reason,
        s.inputFps,
        s.analysedFps,
        s.droppedFrames,
        s.framesTotal,
        s.reconnects,
        s.lastFrameAt === null ? null : new Date(s.lastFrameAt),
        s.ownerId,
        new Date(s.updatedAt),
      ],
    );
  }

  async getStatus(cameraId: string): Promise<CameraStatus | null> {
    const { rows } = await this.pool.query<StatusRow>(`SELECT ${STATUS_COLUMNS} FROM camera_status WHERE camera_id = $1`, [cameraId]);
    return rows[0] ? toStatus(rows[0]) : null;
  }

  async listStatus(): Promise<CameraStatus[]> {
    const { rows } = await this.pool.query<StatusRow>(`SELECT ${STATUS_COLUMNS} FROM camera_status ORDER BY camera_id`);
    return rows.map(toStatus);
  }
}
