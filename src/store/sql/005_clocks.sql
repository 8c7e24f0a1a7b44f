-- 005_clocks.sql — clocks and notifications (issue 4).
-- Reminders fired (once per obligation and step, also across restarts); waivers; webhooks; the outbox of
-- e-mails and webhook calls written in the same transaction as the event that causes them, with every delivery
-- attempt; the in-app notification list per user.
ALTER TABLE obligations ADD COLUMN waived_reason TEXT;
ALTER TABLE obligations ADD COLUMN waived_by TEXT;

CREATE TABLE reminders (
  obligation_id INTEGER NOT NULL REFERENCES obligations(id),
  step          TEXT NOT NULL,                 -- the configured offset that fired: "50%", "15m", ...
  at_ms         INTEGER NOT NULL,
  PRIMARY KEY (obligation_id, step)
) STRICT;

CREATE TABLE webhooks (
  id              INTEGER PRIMARY KEY,
  authority_id    INTEGER REFERENCES authorities(id),
  organisation_id INTEGER REFERENCES organisations(id),
  url             TEXT NOT NULL,
  secret          TEXT NOT NULL,               -- HMAC-SHA256 key of the X-CIRS-Signature header
  active          INTEGER NOT NULL DEFAULT 1,
  created_by      TEXT NOT NULL,
  created_ms      INTEGER NOT NULL,
  CHECK ((authority_id IS NULL) <> (organisation_id IS NULL))
) STRICT;

CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  event_id        INTEGER NOT NULL,            -- the event that caused it (events.id)
  kind            TEXT NOT NULL,               -- template: report.received, obligation.reminder, ...
  channel         TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
  target          TEXT NOT NULL,               -- e-mail address, or webhook id
  idem_key        TEXT NOT NULL UNIQUE,        -- event:channel:target — one message per recipient per event
  authority_id    INTEGER REFERENCES authorities(id),
  organisation_id INTEGER REFERENCES organisations(id),
  incident_id     INTEGER,
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,               -- mail text, or the webhook's JSON
  status          TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_ms         INTEGER NOT NULL,
  last_error      TEXT,
  created_ms      INTEGER NOT NULL,
  delivered_ms    INTEGER
) STRICT;
CREATE INDEX outbox_due ON outbox(status, next_ms);
CREATE INDEX outbox_authority ON outbox(authority_id, id);
CREATE INDEX outbox_organisation ON outbox(organisation_id, id);

CREATE TABLE outbox_attempts (
  id        INTEGER PRIMARY KEY,
  outbox_id INTEGER NOT NULL REFERENCES outbox(id),
  at_ms     INTEGER NOT NULL,
  ok        INTEGER NOT NULL,
  detail    TEXT NOT NULL
) STRICT;
CREATE INDEX outbox_attempts_outbox ON outbox_attempts(outbox_id);

CREATE TABLE notifications (
  id          INTEGER PRIMARY KEY,
  user_id     INTEGER NOT NULL REFERENCES users(id),
  event_id    INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  incident_id INTEGER,
  title       TEXT NOT NULL,
  body        TEXT NOT NULL,
  created_ms  INTEGER NOT NULL,
  read_ms     INTEGER,
  UNIQUE (user_id, event_id)
) STRICT;
CREATE INDEX notifications_user ON notifications(user_id, id);
