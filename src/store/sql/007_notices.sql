-- 007_notices.sql — notices to same-level departments, and receipt recorded on delivery (issue 4).
-- An authority that notifies other departments (通报同级有关部门) may route the incident to registered ones
-- (via 'notice'); the route table is rebuilt to accept that value.
CREATE TABLE incident_routes_new (
  incident_id   INTEGER NOT NULL REFERENCES incidents(id),
  authority_id  INTEGER NOT NULL REFERENCES authorities(id),
  via           TEXT NOT NULL CHECK (via IN ('report','escalation','notice')),
  from_authority_id INTEGER REFERENCES authorities(id),   -- who forwarded it (escalation, notice)
  at_ms         INTEGER NOT NULL,
  PRIMARY KEY (incident_id, authority_id)
) STRICT, WITHOUT ROWID;
INSERT INTO incident_routes_new SELECT incident_id, authority_id, via, from_authority_id, at_ms FROM incident_routes;
DROP TABLE incident_routes;
ALTER TABLE incident_routes_new RENAME TO incident_routes;
CREATE INDEX incident_routes_authority ON incident_routes(authority_id, incident_id);

-- A webhook that feeds an authority's own duty system: its 2xx answer to a new report (report.received,
-- incident.forwarded) records the authority's receipt (how = 'delivery'), which starts the authority's clocks.
ALTER TABLE webhooks ADD COLUMN confirms_receipt INTEGER NOT NULL DEFAULT 0 CHECK (confirms_receipt IN (0, 1));
