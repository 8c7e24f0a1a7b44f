-- 003_service.sql — routing of incidents to authorities, receipts, public tips, idempotent retries, the access
-- log of authority reads, and full-text search that works for Chinese.

-- Which authorities an incident has reached: by the operator's report (via 'report') or forwarded upward by an
-- authority (via 'escalation'). An authority sees the incidents routed to it or to any authority below it.
CREATE TABLE incident_routes (
  incident_id   INTEGER NOT NULL REFERENCES incidents(id),
  authority_id  INTEGER NOT NULL REFERENCES authorities(id),
  via           TEXT NOT NULL CHECK (via IN ('report','escalation')),
  from_authority_id INTEGER REFERENCES authorities(id),   -- who forwarded it (escalation)
  at_ms         INTEGER NOT NULL,
  PRIMARY KEY (incident_id, authority_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX incident_routes_authority ON incident_routes(authority_id, incident_id);

INSERT OR IGNORE INTO incident_routes(incident_id, authority_id, via, at_ms)
  SELECT b.incident_id, au.id, 'report', b.created_ms
  FROM obligations b, json_each(b.to_authorities) j JOIN authorities au ON au.code = json_extract(j.value, '$.authority')
  WHERE b.from_party = 'operator';

-- An authority's acknowledgement that a report reached it; starts its own clocks (relative_to = receipt).
CREATE TABLE receipts (
  id            INTEGER PRIMARY KEY,
  incident_id   INTEGER NOT NULL REFERENCES incidents(id),
  authority_id  INTEGER NOT NULL REFERENCES authorities(id),
  user_id       INTEGER REFERENCES users(id),
  how           TEXT NOT NULL CHECK (how IN ('officer','delivery')),
  at_ms         INTEGER NOT NULL,
  note          TEXT,
  UNIQUE (incident_id, authority_id)
) STRICT;

-- Anonymous public tips (举报线索).
CREATE TABLE tips (
  id            INTEGER PRIMARY KEY,
  ref           TEXT NOT NULL UNIQUE,                 -- TIP-2026-000001, given to the tipster
  received_ms   INTEGER NOT NULL,
  content       TEXT NOT NULL CHECK (json_valid(content)),
  addr_hash     TEXT NOT NULL,                        -- keyed hash of the sender's address (rate limits, abuse)
  status        TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','triaged','closed'))
) STRICT;

-- The first answer to a POST carrying an Idempotency-Key, returned again on retries.
CREATE TABLE idempotency (
  user_id       INTEGER NOT NULL,                     -- 0 for anonymous callers
  key           TEXT NOT NULL,
  request_hash  TEXT NOT NULL,                        -- SHA-256 of method, path and body
  status        INTEGER NOT NULL,
  response      TEXT NOT NULL,
  created_ms    INTEGER NOT NULL,
  PRIMARY KEY (user_id, key)
) STRICT;
CREATE INDEX idempotency_created ON idempotency(created_ms);

-- Who of an authority looked at which incident, when (reports may only be used for security purposes).
CREATE TABLE access_log (
  id            INTEGER PRIMARY KEY,
  at_ms         INTEGER NOT NULL,
  user_id       INTEGER NOT NULL REFERENCES users(id),
  username      TEXT NOT NULL,
  authority_id  INTEGER REFERENCES authorities(id),
  incident_id   INTEGER NOT NULL,
  what          TEXT NOT NULL,                        -- incident | history | export ...
  req_id        TEXT NOT NULL
) STRICT;
CREATE INDEX access_log_incident ON access_log(incident_id, at_ms);
CREATE INDEX access_log_user ON access_log(user_id, at_ms);

-- Title and every text item of every report version, searchable by any substring: trigram for queries of three
-- characters or more, a scan of the same table for shorter ones (two Chinese characters are a common query).
CREATE VIRTUAL TABLE incident_fts USING fts5(body, tokenize = 'trigram');
INSERT INTO incident_fts(rowid, body)
  SELECT i.id, i.title || char(10) || coalesce((SELECT group_concat(j.value, char(10))
    FROM report_versions r, json_each(r.content) j WHERE r.incident_id = i.id AND j.type = 'text'), '')
  FROM incidents i;

-- Events of one incident: its own, and those of its reports and obligations (payload.incident_id).
CREATE INDEX events_incident ON events(json_extract(payload, '$.incident_id')) WHERE json_extract(payload, '$.incident_id') IS NOT NULL;

-- The authority an obligation binds (for obligations of authorities: escalate, notify), so "my obligations" and
-- receipts find them without re-resolving recipients.
ALTER TABLE obligations ADD COLUMN from_authority_id INTEGER REFERENCES authorities(id);
UPDATE obligations SET from_authority_id = (
  SELECT au.id FROM obligations b2, json_each(b2.to_authorities) j JOIN authorities au ON au.code = json_extract(j.value, '$.authority')
  WHERE b2.incident_id = obligations.incident_id AND b2.from_party = 'operator' AND json_extract(j.value, '$.recipient') = obligations.from_party
  LIMIT 1) WHERE from_party <> 'operator';
CREATE INDEX obligations_from_authority ON obligations(from_authority_id, status);
