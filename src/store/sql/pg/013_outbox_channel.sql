-- 013_outbox_channel.sql — the deliverer's poll without an SMTP server: it may send only webhooks, and read them through
-- this index instead of stepping over every e-mail waiting in 'pending' (a scan that grew with each report queued).
CREATE INDEX outbox_due_channel ON outbox(status, channel, next_ms);
-- Authority matching (each recipient of each obligation of each report) reads the authorities of one type only,
-- not the whole table (thousands of rows nationwide: every province, city and regulator).
CREATE INDEX authorities_type ON authorities(type, province);
-- The retention guard read OLD.submitted_ms in the same expression as OLD.at_ms, which PL/pgSQL cannot plan for a
-- table that lacks either column: every DELETE on events failed, so `cirs purge` could not work on PostgreSQL.
-- Each table's column is now read in its own branch.
CREATE OR REPLACE FUNCTION cirs_retention() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE t bigint;
BEGIN
  IF TG_TABLE_NAME = 'events' THEN
    t := OLD.at_ms;
  ELSE
    t := OLD.submitted_ms;
  END IF;
  IF t > (extract(epoch FROM now())::bigint - 180 * 86400) * 1000 THEN
    RAISE EXCEPTION 'retention: % younger than 180 days cannot be deleted (Cybersecurity Law art. 21)', TG_TABLE_NAME;
  END IF;
  RETURN OLD;
END $$;
