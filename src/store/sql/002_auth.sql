-- 002_auth.sql — browser sessions and machine API tokens. Secrets are stored as SHA-256 hashes only.

CREATE TABLE sessions (
  id          INTEGER PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,        -- SHA-256 of the cookie value
  user_id     INTEGER NOT NULL REFERENCES users(id),
  csrf        TEXT NOT NULL,               -- the CSRF token the browser must echo in X-CSRF-Token
  created_ms  INTEGER NOT NULL,
  expires_ms  INTEGER NOT NULL
) STRICT;

CREATE TABLE api_tokens (
  id          INTEGER PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,        -- SHA-256 of the bearer token
  user_id     INTEGER NOT NULL REFERENCES users(id),
  name        TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  revoked_ms  INTEGER
) STRICT;
