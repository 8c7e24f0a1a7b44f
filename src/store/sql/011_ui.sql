-- 011_ui.sql — covering indexes for the web UI's statistics (issue 6): GET /api/v1/statistics reads these instead of
-- the incident rows (titles) and the obligation rows, so a nationwide page over 100 000 incidents stays fast.
CREATE INDEX incidents_stats ON incidents(organisation_id, drill, aware_ms, category, grade, created_ms);
CREATE INDEX obligations_stats ON obligations(incident_id, kind, status, due_ms);
