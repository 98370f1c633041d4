-- Webhooks (issue 4): subscriptions and a durable outbox. Every incident event enqueues one delivery per matching
-- subscription in the same transaction (trigger), so an event can never be committed without its deliveries.

CREATE TABLE webhook_subscriptions (
  id           text PRIMARY KEY,
  url          text NOT NULL,
  -- HMAC key; shown to the admin who creates the subscription
  secret       text NOT NULL,
  -- 'incident.created', 'incident.updated', 'incident.acknowledged', 'incident.resolved' or 'incident.*'; empty = all
  event_types  text[] NOT NULL DEFAULT '{}',
  enabled      boolean NOT NULL DEFAULT true,
  description  text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  id               bigserial PRIMARY KEY,
  subscription_id  text NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
  event_id         bigint NOT NULL REFERENCES incident_events (id) ON DELETE CASCADE,
  event_type       text NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- a dispatcher owns the row until lease_until (fenced by leased_by when it reports the outcome)
  lease_until      timestamptz,
  leased_by        text,
  last_status      integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  UNIQUE (subscription_id, event_id)
);
-- the head of each subscription's queue (deliveries go out in event order per subscription)
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (subscription_id, event_id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_status_idx ON webhook_deliveries (status, created_at);

CREATE FUNCTION iocv_enqueue_webhook_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  event_type text := 'incident.' || NEW.kind;
  n integer;
BEGIN
  INSERT INTO webhook_deliveries (subscription_id, event_id, event_type)
  SELECT s.id, NEW.id, event_type
  FROM webhook_subscriptions s
  WHERE s.enabled
    AND (cardinality(s.event_types) = 0 OR event_type = ANY (s.event_types) OR 'incident.*' = ANY (s.event_types))
  ON CONFLICT DO NOTHING;
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n > 0 THEN
    PERFORM pg_notify('iocv_webhook_deliveries', NEW.id::text);
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER incident_events_enqueue_webhooks AFTER INSERT ON incident_events
  FOR EACH ROW EXECUTE FUNCTION iocv_enqueue_webhook_deliveries();
