#!/usr/bin/env bash
# bench/ui/gen-incidents.sh DB N — loads N incidents straight into a demo database with SQL (seconds, not hours of API
# calls), for the web UI's inbox and statistics at scale (bench/ui/run.sh: 100 000; the browser suite: a smaller smoke).
#
# One operator per province (31, code ui-org-PROVINCE) so that statistics spread over provinces; per incident: report
# version 1, the route to its provincial CAC, the initial obligation (met, or late when filed after 4 h), a supplement
# obligation (overdue when its day has passed, as the scheduler would have recorded it, else pending 1–30 days ahead)
# and, for 较大 and above, the provincial CAC's escalation (pending, not started, until a receipt). Aware times spread
# over the last 365 days; 2 % are drills. The newest 40 incidents of Shanxi are received by cac-140000 with their
# escalation due 5..45 min from now (some within 15 minutes), and 10 more are overdue.
set -euo pipefail
DB=$1
N=${2:-100000}
NOW_MS=${3:-$(( $(date +%s) * 1000 ))}
sqlite3 "$DB" <<SQL
PRAGMA journal_mode=WAL;
PRAGMA synchronous=OFF;
BEGIN;
INSERT OR IGNORE INTO organisations(code, name, name_en, kinds, province, sector, regimes, contact_email, created_ms)
  SELECT 'ui-org-' || a.province, a.name || '测试运营者', 'UI test operator ' || a.province, '["other"]', a.province, 'internet', '["CN"]', NULL, $NOW_MS
  FROM authorities a WHERE a.type = 'provincial_cac';
CREATE TEMP TABLE orgs AS SELECT row_number() OVER (ORDER BY o.province) - 1 AS k, o.id, o.province,
  (SELECT id FROM authorities a WHERE a.type = 'provincial_cac' AND a.province = o.province) AS cac
  FROM organisations o WHERE o.code LIKE 'ui-org-%';
CREATE TEMP TABLE cats(k INTEGER PRIMARY KEY, code TEXT);
INSERT INTO cats(code) VALUES ('MPRANS'),('MPTROJ'),('MPZOMB'),('NADOS'),('NAEXPLOIT'),('DSDATALEAK'),('DSDATAALTER'),('ICFAKENEWS'),('DETECH'),('MPMINER'),('NAAPT'),('OTH');
CREATE TEMP TABLE gen AS
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $N)
SELECT i,
  (SELECT id FROM orgs WHERE k = i % 31) AS org, (SELECT cac FROM orgs WHERE k = i % 31) AS cac,
  (SELECT code FROM cats WHERE k = 1 + (i * 7) % 12) AS category,
  CASE WHEN i % 97 = 0 THEN '特别重大' WHEN i % 11 = 0 THEN '重大' WHEN i % 3 = 0 THEN '较大' ELSE '一般' END AS grade,
  $NOW_MS - 3600000 - ((i * 2654435761) % (365 * 86400000)) AS aware,
  ((i * 40503) % 360) * 60000 AS lag,
  CASE WHEN i % 50 = 0 THEN 1 ELSE 0 END AS drill
FROM n;
INSERT INTO incidents(ref, organisation_id, title, category, grade, reportable, status, aware_ms, drill, created_ms, updated_ms)
  SELECT printf('UI-%07d', i), org, '界面压测事件 ' || i || ' <b>markup</b>', category, grade, grade <> '一般', 'open', aware, drill, aware + lag, aware + lag FROM gen;
CREATE TEMP TABLE ids AS SELECT g.*, i.id AS id FROM gen g JOIN incidents i ON i.ref = printf('UI-%07d', g.i);
INSERT INTO report_versions(incident_id, version, kind, submitted_ms, submitted_by, channel, content, assessment, content_sha256)
  SELECT id, 1, 'initial', aware + lag, 'bench', 'api', json_object('affected_system', '业务系统', 'impact', '压测'), '{}', 'bench' FROM ids;
INSERT OR IGNORE INTO incident_routes(incident_id, authority_id, via, at_ms) SELECT id, cac, 'report', aware + lag FROM ids;
INSERT INTO obligations(incident_id, regime, route, kind, from_party, to_parties, to_authorities, max, relative_to, due_ms, hard, status, met_ms, source, confidence, created_ms)
  SELECT id, 'CN', 'OTHER', 'initial', 'operator', '["provincial_cac"]', '[]', 'PT4H', 'aware_at', aware + 14400000, 1,
         CASE WHEN lag > 14400000 THEN 'late' ELSE 'met' END, aware + lag, 'bench/ui', 'bench', aware + lag FROM ids WHERE grade <> '一般';
INSERT INTO obligations(incident_id, regime, route, kind, from_party, to_parties, to_authorities, max, relative_to, due_ms, hard, policy, status, source, confidence, created_ms)
  SELECT id, 'CN', 'OTHER', 'supplement', 'operator', '["provincial_cac"]', '[]', 'P1D', 'initial_report',
         CASE WHEN aware + lag + 86400000 < $NOW_MS AND i % 4 <> 0 THEN aware + lag + 86400000 ELSE $NOW_MS + 86400000 + (i * 7919) % (29 * 86400000) END, 0, 1,
         CASE WHEN aware + lag + 86400000 < $NOW_MS AND i % 4 <> 0 THEN 'overdue' ELSE 'pending' END, 'bench/ui', 'bench', aware + lag FROM ids WHERE grade <> '一般';
INSERT INTO obligations(incident_id, regime, route, kind, from_party, to_parties, to_authorities, max, relative_to, due_ms, hard, status, source, confidence, created_ms, from_authority_id)
  SELECT id, 'CN', 'OTHER', 'escalation', 'provincial_cac', '["national_cac"]', '[]', 'PT1H', 'receipt', NULL, 1, 'pending', 'bench/ui', 'bench', aware + lag, cac
  FROM ids WHERE grade IN ('重大', '特别重大');
-- The newest Shanxi incidents: received, escalation running (due 5..45 min ahead), 10 of them overdue.
CREATE TEMP TABLE hot AS SELECT id, row_number() OVER (ORDER BY id DESC) AS r FROM ids WHERE cac = (SELECT id FROM authorities WHERE code = 'cac-140000') ORDER BY id DESC LIMIT 50;
INSERT OR IGNORE INTO receipts(incident_id, authority_id, user_id, how, at_ms, note) SELECT id, (SELECT id FROM authorities WHERE code = 'cac-140000'), NULL, 'officer', $NOW_MS - 600000, 'bench' FROM hot;
INSERT INTO obligations(incident_id, regime, route, kind, from_party, to_parties, to_authorities, max, relative_to, due_ms, hard, status, source, confidence, created_ms, from_authority_id)
  SELECT id, 'CN', 'OTHER', 'escalation', 'provincial_cac', '["national_cac"]', '[]', NULL, 'receipt',
         CASE WHEN r <= 10 THEN $NOW_MS - r * 60000 ELSE $NOW_MS + (r - 10) * 60000 + 240000 END, 1,
         CASE WHEN r <= 10 THEN 'overdue' ELSE 'pending' END, 'bench/ui', 'bench', $NOW_MS - 600000, (SELECT id FROM authorities WHERE code = 'cac-140000') FROM hot;
COMMIT;
ANALYZE;
SQL
