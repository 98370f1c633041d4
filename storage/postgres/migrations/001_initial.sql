-- ioc-vision initial schema: cameras, their live status, tracks, line crossings, count buckets, events.
-- Times are timestamptz (UTC on the wire); ids of analytics rows are deterministic so retried jobs are harmless.

-- Trigram search for plates later; tolerated when the extension is not installed on the server.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pg_trgm unavailable (%), plate search will fall back to plain matching', SQLERRM;
END
$$;

CREATE TABLE cameras (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  url           text NOT NULL,
  enabled       boolean NOT NULL DEFAULT true,
  camera_group  text,
  -- lines, zones and tuning (fps, inputSize, ...), as in the camera config file
  config        jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cameras_group_idx ON cameras (camera_group);

-- One row per camera, written by its owning ingest process; no foreign key so that status can be
-- reported for a camera before (or after) its config row exists.
CREATE TABLE camera_status (
  camera_id       text PRIMARY KEY,
  state           text NOT NULL CHECK (state IN ('starting', 'online', 'reconnecting', 'failed', 'disabled')),
  reason          text,
  input_fps       double precision NOT NULL DEFAULT 0,
  analysed_fps    double precision NOT NULL DEFAULT 0,
  dropped_frames  bigint NOT NULL DEFAULT 0,
  frames_total    bigint NOT NULL DEFAULT 0,
  reconnects      integer NOT NULL DEFAULT 0,
  last_frame_at   timestamptz,
  owner_id        text,
  updated_at      timestamptz NOT NULL
);

CREATE TABLE tracks (
  id             text PRIMARY KEY,
  camera_id      text NOT NULL,
  class          text NOT NULL,
  first_seen_at  timestamptz NOT NULL,
  last_seen_at   timestamptz NOT NULL,
  frames         integer NOT NULL,
  -- [{t, x, y}] reference points in pixels of the analysed frame
  path           jsonb NOT NULL DEFAULT '[]'::jsonb,
  ended          boolean NOT NULL DEFAULT false
);
CREATE INDEX tracks_camera_first_seen_idx ON tracks (camera_id, first_seen_at DESC, id DESC);
CREATE INDEX tracks_first_seen_idx ON tracks (first_seen_at DESC, id DESC);

CREATE TABLE line_crossings (
  id            text PRIMARY KEY,
  camera_id     text NOT NULL,
  line_id       text NOT NULL,
  track_id      text NOT NULL,
  class         text NOT NULL,
  direction     text NOT NULL CHECK (direction IN ('forward', 'backward')),
  at            timestamptz NOT NULL,
  frame_epoch   text NOT NULL,
  frame_seq     bigint NOT NULL,
  box           jsonb NOT NULL,
  snapshot_key  text,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX line_crossings_camera_at_idx ON line_crossings (camera_id, at DESC, id DESC);
CREATE INDEX line_crossings_camera_line_at_idx ON line_crossings (camera_id, line_id, at DESC, id DESC);
CREATE INDEX line_crossings_at_idx ON line_crossings (at DESC, id DESC);
CREATE INDEX line_crossings_track_idx ON line_crossings (track_id);

CREATE TABLE counts_1m (
  camera_id     text NOT NULL,
  line_id       text NOT NULL,
  class         text NOT NULL,
  direction     text NOT NULL,
  bucket_start  timestamptz NOT NULL,
  count         bigint NOT NULL,
  PRIMARY KEY (camera_id, line_id, bucket_start, class, direction)
);
CREATE INDEX counts_1m_bucket_idx ON counts_1m (bucket_start);

CREATE TABLE counts_15m (
  camera_id     text NOT NULL,
  line_id       text NOT NULL,
  class         text NOT NULL,
  direction     text NOT NULL,
  bucket_start  timestamptz NOT NULL,
  count         bigint NOT NULL,
  PRIMARY KEY (camera_id, line_id, bucket_start, class, direction)
);
CREATE INDEX counts_15m_bucket_idx ON counts_15m (bucket_start);

-- Incidents (issue 4 extends this table: acknowledgement, resolution, dedup keys).
CREATE TABLE events (
  id            text PRIMARY KEY,
  camera_id     text,
  type          text NOT NULL,
  severity      text NOT NULL DEFAULT 'info',
  at            timestamptz NOT NULL,
  payload       jsonb NOT NULL DEFAULT '{}'::jsonb,
  snapshot_key  text,
  state         text NOT NULL DEFAULT 'open',
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_at_idx ON events (at DESC, id DESC);
CREATE INDEX events_camera_at_idx ON events (camera_id, at DESC, id DESC);
CREATE INDEX events_open_idx ON events (state, at DESC) WHERE state <> 'resolved';
