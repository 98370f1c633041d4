-- Shared signing key for access tokens when IOCV_AUTH_SECRET is not set: the first API process creates it and
-- every other process (any machine sharing the database) reads the same key.
CREATE TABLE auth_signing_keys (
  id          text PRIMARY KEY,
  key         bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
