-- 001_init.sql — the first schema of CIRS (SQLite dialect; the PostgreSQL driver keeps its own copy).
-- Times are epoch milliseconds UTC. JSON columns are checked with json_valid. Tables are STRICT.

CREATE TABLE authorities (
  id          INTEGER PRIMARY KEY,
  code        TEXT NOT NULL UNIQUE,                 -- stable id, e.g. cac-140000
  type        TEXT NOT NULL CHECK (type IN ('national_cac','mps','national_emergency_office','provincial_cac',
                'public_security','cii_protection_dept','department_cac_body','sector_regulator','city_command_office')),
  name        TEXT NOT NULL,
  name_en     TEXT,
  province    TEXT,                                 -- jurisdiction: GB/T 2260 code, NULL = national
  sector      TEXT,                                 -- jurisdiction: sector, NULL = all
  department  TEXT,                                 -- jurisdiction: central department, NULL = none
  parent_id   INTEGER REFERENCES authorities(id),
  created_ms  INTEGER NOT NULL
) STRICT;

CREATE TABLE organisations (
  id            INTEGER PRIMARY KEY,
  code          TEXT NOT NULL UNIQUE,
  name          TEXT NOT NULL,
  name_en       TEXT,
  kinds         TEXT NOT NULL CHECK (json_valid(kinds)),   -- JSON array of cii | central_organ | other
  province      TEXT,
  sector        TEXT,
  department    TEXT,
  regimes       TEXT NOT NULL DEFAULT '["CN"]' CHECK (json_valid(regimes)),
  contact_email TEXT,
  created_ms    INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
  id              INTEGER PRIMARY KEY,
  username        TEXT NOT NULL UNIQUE,
  name            TEXT NOT NULL,
  role            TEXT NOT NULL CHECK (role IN ('operator_reporter','operator_admin','authority_officer','authority_admin',
                    'national_emergency_office','duty_officer','auditor','system_admin')),
  organisation_id INTEGER REFERENCES organisations(id),
  authority_id    INTEGER REFERENCES authorities(id),
  email           TEXT,
  password_hash   TEXT,                               -- argon2id (libsodium crypto_pwhash_str)
  disabled        INTEGER NOT NULL DEFAULT 0,
  created_ms      INTEGER NOT NULL
) STRICT;

CREATE TABLE incidents (
  id               INTEGER PRIMARY KEY,
  ref              TEXT NOT NULL UNIQUE,              -- receipt number shown to people: CIRS-2025-000001
  organisation_id  INTEGER NOT NULL REFERENCES organisations(id),
  title            TEXT NOT NULL,
  category         TEXT NOT NULL,                     -- GB/T 20986-2023 code
  grade            TEXT NOT NULL,                     -- current grade (of the latest report version)
  reportable       INTEGER NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('open','handling_ended','closed')),
  aware_ms         INTEGER NOT NULL,
  occurred_ms      INTEGER,
  handling_end_ms  INTEGER,
  drill            INTEGER NOT NULL DEFAULT 0,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL
) STRICT;
CREATE INDEX incidents_org ON incidents(organisation_id, id);

-- Immutable: a correction is a new version. Deletion only by `cirs purge` after the retention period.
CREATE TABLE report_versions (
  id              INTEGER PRIMARY KEY,
  incident_id     INTEGER NOT NULL REFERENCES incidents(id),
  version         INTEGER NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('initial','supplement','final')),
  submitted_ms    INTEGER NOT NULL,
  submitted_by    TEXT NOT NULL,
  channel         TEXT NOT NULL,                      -- cli | api | web | email | phone | fax
  content         TEXT NOT NULL CHECK (json_valid(content)),     -- the report items of Measures art. 7
  assessment      TEXT NOT NULL CHECK (json_valid(assessment)),  -- engine input + output at submission
  content_sha256  TEXT NOT NULL,
  UNIQUE (incident_id, version)
) STRICT;

CREATE TABLE obligations (
  id              INTEGER PRIMARY KEY,
  incident_id     INTEGER NOT NULL REFERENCES incidents(id),
  regime          TEXT NOT NULL,
  route           TEXT NOT NULL,
  kind            TEXT NOT NULL,
  from_party      TEXT NOT NULL,                      -- operator | recipient id of the pack
  to_parties      TEXT NOT NULL CHECK (json_valid(to_parties)),      -- recipient ids of the pack
  to_authorities  TEXT NOT NULL CHECK (json_valid(to_authorities)),  -- [{recipient, authority code or null}]
  max             TEXT,                               -- ISO 8601 duration or NULL (no fixed limit)
  relative_to     TEXT NOT NULL,                      -- aware_at | receipt | handling_end | initial_report | notification
  due_ms          INTEGER,                            -- NULL until the starting event is known
  hard            INTEGER NOT NULL,
  policy          INTEGER NOT NULL DEFAULT 0,
  status          TEXT NOT NULL CHECK (status IN ('pending','met','late','overdue','waived')),
  met_ms          INTEGER,
  source          TEXT NOT NULL,
  confidence      TEXT NOT NULL,
  created_ms      INTEGER NOT NULL
) STRICT;
CREATE INDEX obligations_due ON obligations(status, due_ms);
CREATE INDEX obligations_incident ON obligations(incident_id);

-- The append-only, hash-chained event log. hash = SHA-256 over the row's content and prev_hash (src/audit/chain.c).
CREATE TABLE events (
  id         INTEGER PRIMARY KEY,
  at_ms      INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  type       TEXT NOT NULL,
  entity     TEXT NOT NULL,
  entity_id  INTEGER,
  payload    TEXT NOT NULL CHECK (json_valid(payload)),
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
) STRICT;
CREATE INDEX events_entity ON events(entity, entity_id);

-- Where the chain starts after a purge: the id and hash of the last purged event.
CREATE TABLE chain_anchor (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  last_purged_id   INTEGER NOT NULL,
  last_purged_hash TEXT NOT NULL
) STRICT;

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_retention BEFORE DELETE ON events
WHEN old.at_ms > (unixepoch('now') - 180 * 86400) * 1000
BEGIN SELECT RAISE(ABORT, 'retention: events younger than 180 days cannot be deleted (Cybersecurity Law art. 21)'); END;
CREATE TRIGGER reports_no_update BEFORE UPDATE ON report_versions
BEGIN SELECT RAISE(ABORT, 'report versions are immutable'); END;
CREATE TRIGGER reports_retention BEFORE DELETE ON report_versions
WHEN old.submitted_ms > (unixepoch('now') - 180 * 86400) * 1000
BEGIN SELECT RAISE(ABORT, 'retention: report versions younger than 180 days cannot be deleted (Cybersecurity Law art. 21)'); END;
