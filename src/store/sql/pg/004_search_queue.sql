-- 004_search_queue.sql (PostgreSQL) — mirrors ../004_search_queue.sql. PostgreSQL writes incident_search
-- directly (003); the version number is kept so both backends count schema versions alike.
SELECT 1;
