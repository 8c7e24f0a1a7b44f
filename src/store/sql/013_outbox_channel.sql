-- 013_outbox_channel.sql — the deliverer's poll without an SMTP server: it may send only webhooks, and read them through
-- this index instead of stepping over every e-mail waiting in 'pending' (a scan that grew with each report queued).
CREATE INDEX outbox_due_channel ON outbox(status, channel, next_ms);
-- Authority matching (each recipient of each obligation of each report) reads the authorities of one type only,
-- not the whole table (thousands of rows nationwide: every province, city and regulator).
CREATE INDEX authorities_type ON authorities(type, province);
