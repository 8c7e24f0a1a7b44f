-- 010_emergency.sql — warnings, emergency responses, investigations (issue 5); cities of organisations and
-- authorities (municipal overlays); obligations that belong to a warning or a response rather than an incident.

ALTER TABLE organisations ADD COLUMN city TEXT;   -- prefecture-level city (GB/T 2260, e.g. 140500), or NULL
ALTER TABLE authorities ADD COLUMN city TEXT;     -- a city-level authority's city, or NULL

-- 预警: issued by an authority the rule pack allows for its level and scope; lifted by its issuer (or a superior).
CREATE TABLE warnings (
  id           INTEGER PRIMARY KEY,
  ref          TEXT NOT NULL UNIQUE,                          -- WARN-2026-000001
  issuer_id    INTEGER NOT NULL REFERENCES authorities(id),
  scheme       TEXT NOT NULL,                                 -- the pack whose rules allowed it (CN-2025, CN-JINCHENG-2019)
  level        TEXT NOT NULL,                                 -- red | orange | yellow | blue
  category     TEXT,                                          -- GB/T 20986-2023 code, or NULL
  title        TEXT NOT NULL,
  matters      TEXT NOT NULL,                                 -- 预警事项
  measures     TEXT NOT NULL CHECK (json_valid(measures)),    -- [{text, within}] 应采取的措施和时限
  scope        TEXT NOT NULL CHECK (json_valid(scope)),       -- {provinces, sectors, departments} 可能影响范围
  starts_ms    INTEGER NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('active','lifted')),
  drill        INTEGER NOT NULL DEFAULT 0,
  version      INTEGER NOT NULL DEFAULT 1,
  created_by   TEXT NOT NULL,
  created_ms   INTEGER NOT NULL,
  updated_ms   INTEGER NOT NULL,
  lifted_ms    INTEGER,
  lifted_by    TEXT,
  lift_reason  TEXT
) STRICT;
CREATE INDEX warnings_issuer ON warnings(issuer_id, id);

-- Who a warning reached (operators and authorities in its scope) and who acknowledged it.
CREATE TABLE warning_recipients (
  warning_id      INTEGER NOT NULL REFERENCES warnings(id),
  authority_id    INTEGER REFERENCES authorities(id),
  organisation_id INTEGER REFERENCES organisations(id),
  acked_ms        INTEGER,
  acked_by        TEXT,
  CHECK ((authority_id IS NULL) <> (organisation_id IS NULL))
) STRICT;
CREATE UNIQUE INDEX warning_recipients_key ON warning_recipients(warning_id, coalesce(authority_id, 0), coalesce(organisation_id, 0));
CREATE INDEX warning_recipients_org ON warning_recipients(organisation_id, warning_id);
CREATE INDEX warning_recipients_auth ON warning_recipients(authority_id, warning_id);

-- 应急响应: started at a level by an authority the rule pack allows; ended only by whoever started it.
CREATE TABLE responses (
  id               INTEGER PRIMARY KEY,
  ref              TEXT NOT NULL UNIQUE,                      -- RESP-2026-000001
  starter_id       INTEGER NOT NULL REFERENCES authorities(id),
  scheme           TEXT NOT NULL,
  level            TEXT NOT NULL,
  title            TEXT NOT NULL,
  decider          TEXT CHECK (decider IS NULL OR json_valid(decider)),   -- {role, name} where the plan names deciders
  status           TEXT NOT NULL CHECK (status IN ('active','end_proposed','ended')),
  drill            INTEGER NOT NULL DEFAULT 0,
  warning_id       INTEGER REFERENCES warnings(id),
  started_by       TEXT NOT NULL,
  started_ms       INTEGER NOT NULL,
  end_proposed_by  TEXT,
  end_proposed_ms  INTEGER,
  ended_by         TEXT,
  ended_ms         INTEGER,
  summary          TEXT
) STRICT;
CREATE INDEX responses_starter ON responses(starter_id, id);
CREATE TABLE response_incidents (
  response_id  INTEGER NOT NULL REFERENCES responses(id),
  incident_id  INTEGER NOT NULL REFERENCES incidents(id),
  PRIMARY KEY (response_id, incident_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX response_incidents_incident ON response_incidents(incident_id);
-- 事态发展, 处置进展 (also written as events).
CREATE TABLE response_updates (
  id           INTEGER PRIMARY KEY,
  response_id  INTEGER NOT NULL REFERENCES responses(id),
  kind         TEXT NOT NULL CHECK (kind IN ('situation','progress')),
  text         TEXT NOT NULL,
  at_ms        INTEGER NOT NULL,
  by_user      TEXT NOT NULL
) STRICT;
CREATE INDEX response_updates_response ON response_updates(response_id, id);
-- 调查评估报告, submitted against the investigation obligation a response's end creates.
CREATE TABLE investigations (
  id            INTEGER PRIMARY KEY,
  response_id   INTEGER NOT NULL UNIQUE REFERENCES responses(id),
  content       TEXT NOT NULL CHECK (json_valid(content)),
  submitted_by  TEXT NOT NULL,
  submitted_ms  INTEGER NOT NULL
) STRICT;

-- Obligations of warnings (measures with time limits, per recipient) and of responses (the investigation) need
-- no incident: incident_id becomes nullable (SQLite rebuilds the table; migrations run with foreign keys
-- checked at the end).
CREATE TABLE obligations_new (
  id                INTEGER PRIMARY KEY,
  incident_id       INTEGER REFERENCES incidents(id),
  regime            TEXT NOT NULL,
  route             TEXT NOT NULL,
  kind              TEXT NOT NULL,
  from_party        TEXT NOT NULL,
  to_parties        TEXT NOT NULL CHECK (json_valid(to_parties)),
  to_authorities    TEXT NOT NULL CHECK (json_valid(to_authorities)),
  max               TEXT,
  relative_to       TEXT NOT NULL,
  due_ms            INTEGER,
  hard              INTEGER NOT NULL,
  policy            INTEGER NOT NULL DEFAULT 0,
  status            TEXT NOT NULL CHECK (status IN ('pending','met','late','overdue','waived')),
  met_ms            INTEGER,
  source            TEXT NOT NULL,
  confidence        TEXT NOT NULL,
  created_ms        INTEGER NOT NULL,
  from_authority_id INTEGER REFERENCES authorities(id),
  waived_reason     TEXT,
  waived_by         TEXT,
  warning_id        INTEGER REFERENCES warnings(id),
  response_id       INTEGER REFERENCES responses(id),
  organisation_id   INTEGER REFERENCES organisations(id),   -- an operator's obligation without an incident (warning measures)
  CHECK (incident_id IS NOT NULL OR warning_id IS NOT NULL OR response_id IS NOT NULL)
) STRICT;
INSERT INTO obligations_new(id, incident_id, regime, route, kind, from_party, to_parties, to_authorities, max, relative_to, due_ms, hard,
                            policy, status, met_ms, source, confidence, created_ms, from_authority_id, waived_reason, waived_by)
  SELECT id, incident_id, regime, route, kind, from_party, to_parties, to_authorities, max, relative_to, due_ms, hard,
         policy, status, met_ms, source, confidence, created_ms, from_authority_id, waived_reason, waived_by FROM obligations;
DROP TABLE obligations;
ALTER TABLE obligations_new RENAME TO obligations;
CREATE INDEX obligations_due ON obligations(status, due_ms, max);
CREATE INDEX obligations_incident ON obligations(incident_id);
CREATE INDEX obligations_from_authority ON obligations(from_authority_id, status);
CREATE INDEX obligations_organisation ON obligations(organisation_id, status);
CREATE INDEX obligations_warning ON obligations(warning_id);
CREATE INDEX obligations_response ON obligations(response_id);
