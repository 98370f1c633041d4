-- Incidents (issue 4): live flags with acknowledgement/resolution, dedup per (camera, type, zone) with a cooldown,
-- idempotent signals, and an ordered event feed (incident_events.id) that live clients resume from.

CREATE TABLE incidents (
  id               text PRIMARY KEY,
  type             text NOT NULL CHECK (type IN ('zone_intrusion', 'loitering', 'crowding', 'camera_offline', 'camera_online')),
  severity         text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  camera_id        text NOT NULL,
  zone_id          text,
  -- camera|type|zone: one live incident per key
  dedup_key        text NOT NULL,
  opened_at        timestamptz NOT NULL,
  last_seen_at     timestamptz NOT NULL,
  state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
  acknowledged_by  text,
  acknowledged_at  timestamptz,
  resolved_by      text,
  resolved_at      timestamptz,
  note             text,
  snapshot_key     text,
  details          jsonb NOT NULL DEFAULT '{}'::jsonb,
  occurrences      integer NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX incidents_one_live_per_key ON incidents (dedup_key) WHERE state <> 'resolved';
CREATE INDEX incidents_dedup_idx ON incidents (dedup_key, opened_at DESC);
CREATE INDEX incidents_opened_idx ON incidents (opened_at DESC, id DESC);
CREATE INDEX incidents_camera_opened_idx ON incidents (camera_id, opened_at DESC, id DESC);
CREATE INDEX incidents_live_idx ON incidents (last_seen_at DESC) WHERE state <> 'resolved';

-- Every signal merged into an incident, by its deterministic id: a retried job re-sending it is a no-op.
CREATE TABLE incident_signals (
  signal_id    text PRIMARY KEY,
  incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  at           timestamptz NOT NULL
);
CREATE INDEX incident_signals_incident_idx ON incident_signals (incident_id);

-- The live feed. Writers take an advisory lock before inserting so that ids commit in order (a client reading
-- "after id N" can never miss a smaller id that commits later).
CREATE TABLE incident_events (
  id           bigserial PRIMARY KEY,
  incident_id  text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  camera_id    text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('created', 'updated', 'acknowledged', 'resolved')),
  at           timestamptz NOT NULL DEFAULT now(),
  -- the incident as it was right after this event
  payload      jsonb NOT NULL
);
CREATE INDEX incident_events_camera_idx ON incident_events (camera_id, id);
CREATE INDEX incident_events_incident_idx ON incident_events (incident_id, id);

CREATE FUNCTION iocv_incident_event_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('iocv_incident_events',
    json_build_object('id', NEW.id, 'incidentId', NEW.incident_id, 'cameraId', NEW.camera_id, 'kind', NEW.kind)::text);
  RETURN NEW;
END
$$;
CREATE TRIGGER incident_events_notify AFTER INSERT ON incident_events
  FOR EACH ROW EXECUTE FUNCTION iocv_incident_event_notify();
