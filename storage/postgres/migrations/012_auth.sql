-- Authentication (issue 4): people (scrypt password hashes), machine API keys (SHA-256 of the key), refresh
-- sessions (SHA-256 of the opaque refresh token). camera_groups NULL = every group; an empty array = none.

CREATE TABLE users (
  id             text PRIMARY KEY,
  username       text NOT NULL UNIQUE,
  password_hash  text NOT NULL,
  role           text NOT NULL CHECK (role IN ('admin', 'operator', 'police', 'security', 'analyst')),
  camera_groups  text[],
  disabled       boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  last_login_at  timestamptz
);

CREATE TABLE api_keys (
  -- the public prefix id embedded in the key (iocv_<id>_<secret>)
  id             text PRIMARY KEY,
  name           text NOT NULL,
  key_hash       text NOT NULL,
  role           text NOT NULL CHECK (role IN ('admin', 'operator', 'police', 'security', 'analyst')),
  camera_groups  text[],
  created_by     text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz,
  revoked_at     timestamptz,
  last_used_at   timestamptz
);

CREATE TABLE auth_sessions (
  id            text PRIMARY KEY,
  user_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  refresh_hash  text NOT NULL UNIQUE,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz,
  last_used_at  timestamptz,
  ip            text,
  user_agent    text
);
CREATE INDEX auth_sessions_user_idx ON auth_sessions (user_id);
