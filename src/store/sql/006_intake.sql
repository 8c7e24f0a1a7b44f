-- 006_intake.sql — mail intake (issue 7): every message `cirs mail ingest` read, what it became (report, tip, draft)
-- or why it was quarantined; its attachments; drafts for a duty officer to triage; the sender addresses and domains
-- that identify an organisation.

-- One row per message read (accepted or quarantined). A Message-ID is accepted at most once; a quarantined message
-- keeps its raw bytes so that it can be looked at, repaired and fed in again.
CREATE TABLE intake_mails (
  id              INTEGER PRIMARY KEY,
  ref             TEXT NOT NULL UNIQUE,              -- MAIL-2026-000001
  message_id      TEXT NOT NULL,                     -- Message-ID without <>, or "sha256:<hex>" of the raw bytes when absent;
                                                     -- "<id>#<content hash prefix>" when another content came with that id before
  received_ms     INTEGER NOT NULL,
  source          TEXT NOT NULL,                     -- "stdin" or "maildir:<file name>"
  sender          TEXT,                              -- From address (lower case), NULL when none could be read
  sender_name     TEXT,
  subject         TEXT,                              -- decoded (RFC 2047), UTF-8
  size            INTEGER NOT NULL,                  -- bytes as received
  sha256          TEXT NOT NULL,                     -- of the bytes as received
  content_sha256  TEXT NOT NULL,                     -- of sender, subject, date and body: a repeat differs only in trace headers
  charset         TEXT,                              -- charset the body text was decoded from
  status          TEXT NOT NULL CHECK (status IN ('accepted','quarantined')),
  kind            TEXT CHECK (kind IN ('report','tip','draft')),  -- what an accepted message became
  organisation_id INTEGER REFERENCES organisations(id),           -- the sender's organisation, when matched
  incident_id     INTEGER,                           -- no foreign key: `cirs purge` may delete the incident
  tip_id          INTEGER,
  result_ref      TEXT,                              -- the receipt number sent back: incident, tip, or this row's ref (draft)
  reason_code     TEXT,                              -- quarantined: why; draft from a report template: why it is not a report
  reason          TEXT,
  reply           TEXT NOT NULL,                     -- queued | skipped (RFC 3834 auto-submitted, no usable address) | none (quarantined)
  raw             BLOB,                              -- quarantined: the bytes as received (oversized: the first 64 KiB)
  CHECK ((status = 'accepted') = (kind IS NOT NULL))
) STRICT;
CREATE UNIQUE INDEX intake_mails_accepted ON intake_mails(message_id) WHERE status = 'accepted';
CREATE INDEX intake_mails_message ON intake_mails(message_id, sha256);
CREATE INDEX intake_mails_status ON intake_mails(status, id);

-- Attachments of accepted messages, decoded (limits: src/intake/intake.h).
CREATE TABLE intake_attachments (
  id              INTEGER PRIMARY KEY,
  mail_id         INTEGER NOT NULL REFERENCES intake_mails(id),
  filename        TEXT,
  content_type    TEXT NOT NULL,
  size            INTEGER NOT NULL,
  sha256          TEXT NOT NULL,
  data            BLOB NOT NULL
) STRICT;
CREATE INDEX intake_attachments_mail ON intake_attachments(mail_id);

-- Free-text mails (and report templates that could not be filed) waiting for a duty officer.
CREATE TABLE intake_drafts (
  id              INTEGER PRIMARY KEY,
  mail_id         INTEGER NOT NULL UNIQUE REFERENCES intake_mails(id),
  status          TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new','triaged')),
  organisation_id INTEGER REFERENCES organisations(id),  -- the sender's organisation, NULL when unknown
  sender          TEXT,
  subject         TEXT,
  text            TEXT NOT NULL,                     -- body text, UTF-8
  parsed          TEXT CHECK (parsed IS NULL OR json_valid(parsed)),  -- the report document read from a template
  created_ms      INTEGER NOT NULL,
  triaged_ms      INTEGER,
  triaged_by      TEXT,
  note            TEXT
) STRICT;
CREATE INDEX intake_drafts_status ON intake_drafts(status, id);

-- Addresses ("soc@example.cn") and domains ("@example.cn") whose mail speaks for an organisation, besides its
-- contact_email and its users' addresses.
CREATE TABLE org_senders (
  address         TEXT PRIMARY KEY,                  -- lower case
  organisation_id INTEGER NOT NULL REFERENCES organisations(id),
  created_ms      INTEGER NOT NULL
) STRICT;
