-- 007_notices.sql (PostgreSQL) — routes via 'notice'; webhooks that confirm receipt; mirrors ../007_notices.sql.
ALTER TABLE incident_routes DROP CONSTRAINT incident_routes_via;
ALTER TABLE incident_routes ADD CONSTRAINT incident_routes_via CHECK (via IN ('report','escalation','notice'));
ALTER TABLE webhooks ADD COLUMN confirms_receipt INTEGER NOT NULL DEFAULT 0 CHECK (confirms_receipt IN (0, 1));
