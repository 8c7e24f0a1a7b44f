-- 009_deadline_index.sql (PostgreSQL) — the scheduler's start-up read from the index alone; mirrors ../009_deadline_index.sql.
DROP INDEX obligations_due;
CREATE INDEX obligations_due ON obligations(status, due_ms) INCLUDE (max);
