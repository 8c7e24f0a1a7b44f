-- 011_ui.sql (PostgreSQL) — covering indexes for the web UI's statistics; mirrors ../011_ui.sql.
CREATE INDEX incidents_stats ON incidents(organisation_id, drill, aware_ms, category, grade, created_ms);
CREATE INDEX obligations_stats ON obligations(incident_id, kind, status, due_ms);
