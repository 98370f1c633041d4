-- Audit log (issue 4): append-only and hash-chained. hash = sha256(prev_hash || canonical JSON of the row), computed
-- by the writer under an advisory lock. A trigger refuses UPDATE, DELETE and TRUNCATE even for the superuser
-- (who could still disable it: the chain then shows the change, see verifyAuditChain).

CREATE TABLE audit_log (
  seq        bigserial PRIMARY KEY,
  at         timestamptz NOT NULL,
  actor      text NOT NULL,
  role       text,
  action     text NOT NULL,
  target     text,
  ip         text,
  -- the query, route params, outcome (status code), ...
  details    jsonb NOT NULL DEFAULT '{}'::jsonb,
  prev_hash  text NOT NULL,
  hash       text NOT NULL
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, seq DESC);

CREATE FUNCTION iocv_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION iocv_audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION iocv_audit_append_only();
