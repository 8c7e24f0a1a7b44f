-- 004_search_queue.sql — the full-text index is filled off the write path.
-- A write queues the incident's searchable text here (one plain row); the service's writer moves the queue into
-- incident_fts in bulk about once a second. Searches read both, so a new incident is findable at once.
CREATE TABLE search_queue (
  seq INTEGER PRIMARY KEY,
  incident_id INTEGER NOT NULL,
  body TEXT NOT NULL
) STRICT;
