"""The first end-to-end path without a server: init, report submit, incident/obligation queries,
audit verification (including tampering through the sqlite3 shell) and retention-guarded purge."""
import json

from conftest import cirs, sql, report


def counts(db):
    return {t: int(sql(db, f"SELECT count(*) FROM {t}")) for t in ("incidents", "report_versions", "obligations", "events")}


def test_init_demo_creates_reference_data(demo_db):
    assert sql(demo_db, "SELECT count(*) FROM authorities WHERE type='provincial_cac'") == "31"
    assert sql(demo_db, "PRAGMA journal_mode") == "wal"
    roles = sql(demo_db, "SELECT group_concat(DISTINCT role) FROM users").split(",")
    assert len(roles) == 8
    # Passwords are argon2id hashes, never plain text.
    assert sql(demo_db, "SELECT count(*) FROM users WHERE password_hash LIKE '$argon2id$%'") == sql(demo_db, "SELECT count(*) FROM users")
    # Every created record is in the audit log.
    assert int(sql(demo_db, "SELECT count(*) FROM events")) == int(sql(demo_db, "SELECT (SELECT count(*) FROM authorities)+(SELECT count(*) FROM organisations)+(SELECT count(*) FROM users)"))


def test_init_refuses_existing_file(demo_db):
    before = counts(demo_db)
    r = cirs("init", "--db", demo_db)
    assert r.code == 2 and "conflict" in r.err
    assert counts(demo_db) == before


def test_submit_cii_report_resolves_recipients_and_clocks(demo_db, tmp_path):
    # Aware 30 minutes ago: the 1-hour CII clock is still running, so the initial obligation is met on time.
    r = cirs("report", "submit", "--db", demo_db, "--org", "shanxi-grid", "--json",
             report(tmp_path, aware_at="2026-11-21T09:30:00+08:00"), env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"})
    assert r.code == 0, r.err
    res = r.json()
    assert res["grade"] == "特别重大" and res["reportable"] is True
    assert res["ref"].startswith("CIRS-2026-")
    by_kind = {o["kind"]: o for o in res["obligations"]}
    assert set(by_kind) == {"initial", "supplement", "escalation", "final"}
    ini = by_kind["initial"]
    assert ini["due"] == "2026-11-21T10:30:00+08:00" and ini["status"] == "met"
    assert [a["authority"] for a in ini["to_authorities"]] == ["cii-energy", "ps-140000"]
    assert [a["authority"] for a in by_kind["escalation"]["to_authorities"]] == ["national-cac", "mps"]
    assert by_kind["escalation"]["due"] is None and by_kind["escalation"]["status"] == "pending"
    # The supplement clock (policy: 1 day) starts at this submission.
    assert by_kind["supplement"]["due"] == "2026-11-22T10:00:00+08:00"
    assert "development" in res["items_to_supplement"]
    shown = cirs("incident", "show", "--db", demo_db, "--json", res["ref"]).json()
    assert shown["reports"][0]["version"] == 1 and shown["reports"][0]["kind"] == "initial"
    content = shown["reports"][0]["content"]
    assert content["affected_system"].startswith("调度自动化系统")
    # Item 2 of art. 7 in the stored version: times, type and the ransom demand.
    assert content["aware_at"] == "2026-11-21T09:30:00+08:00" and content["category"] == "MPRANS"
    assert content["ransom"] == {"amount": 50, "currency": "BTC", "method": "比特币钱包", "demanded_at": "2026-11-21T09:00:00+08:00"}
    assert shown["reports"][0]["assessment"]["result"]["grade"] == "特别重大"
    assert cirs("audit", "verify", "--db", demo_db).code == 0


def test_late_initial_report_is_recorded_late_and_listed(demo_db, tmp_path):
    r = cirs("report", "submit", "--db", demo_db, "--org", "bj-yunfan", "--json",
             report(tmp_path, aware_at="2026-11-21T01:00:00+08:00"), env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"})
    assert r.code == 0, r.err
    ini = [o for o in r.json()["obligations"] if o["kind"] == "initial"][0]
    assert ini["route"] == "OTHER" and ini["status"] == "late"
    assert ini["to_authorities"] == [{"recipient": "provincial_cac", "authority": "cac-110000"}]
    # Two days later the supplement (due one day after the report) is overdue; the late initial is not "overdue".
    rows = cirs("obligation", "list", "--db", demo_db, "--overdue", "--json", env={"CIRS_NOW": "2026-11-23T10:00:00+08:00"}).json()
    assert [o["kind"] for o in rows] == ["supplement"]
    assert rows[0]["status"] == "overdue"
    assert cirs("obligation", "list", "--db", demo_db, "--overdue", "--json", env={"CIRS_NOW": "2026-11-21T10:05:00+08:00"}).json() == []


def test_general_incident_has_no_mandatory_obligation(demo_db, tmp_path):
    r = cirs("report", "submit", "--db", demo_db, "--org", "jc-hengtai", "--json",
             report(tmp_path, facts={"pi_leaked_persons": 999999}, aware_at="2026-11-21T09:00:00+08:00"),
             env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"})
    assert r.code == 0, r.err
    assert r.json()["grade"] == "一般" and r.json()["obligations"] == []


def test_nis2_subsidiary_gets_both_regimes(demo_db, tmp_path):
    r = cirs("report", "submit", "--db", demo_db, "--org", "eurolink-sh", "--json",
             report(tmp_path, facts={"pi_leaked_persons": 1000000, "nis2_significant": True}, aware_at="2026-11-21T09:00:00+08:00"),
             env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"})
    assert r.code == 0, r.err
    kinds = {(o["regime"], o["kind"]) for o in r.json()["obligations"]}
    assert ("NIS2", "early_warning") in kinds and ("CN", "initial") in kinds
    ew = [o for o in r.json()["obligations"] if o["kind"] == "early_warning"][0]
    assert ew["due"] == "2026-11-22T09:00:00+08:00" and ew["status"] == "pending"


def test_invalid_reports_are_refused_and_store_nothing(demo_db, tmp_path):
    good = json.loads(report(tmp_path).read_text())
    before = counts(demo_db)
    cases = [
        ({"severity": 3}, "unknown_field", "severity"),
        ({"content": {"impact": "x"}}, "missing_field", "content.affected_system"),
        ({"content": {"affected_system": "a", "impact": "b", "colour": "red"}}, "unknown_field", "content.colour"),
        ({"aware_at": "2099-01-01T00:00:00+08:00"}, "bad_time", "aware_at"),
        ({"occurred_at": "2026-11-21T11:00:00+08:00"}, "bad_time", "occurred_at"),
        ({"category": "NOPE"}, "unknown_category", "category"),
        ({"facts": {"cii_outage_min": -3}}, "negative_number", "facts.cii_outage_min"),
        ({"title": "x" * 201}, "too_large", "title"),
    ]
    for over, code, field in cases:
        doc = dict(good, **over)
        p = tmp_path / "bad.json"
        p.write_text(json.dumps(doc, ensure_ascii=False))
        r = cirs("report", "submit", "--db", demo_db, "--org", "shanxi-grid", p, env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"})
        assert r.code == 2, (over, r.err)
        assert f"[{code}] {field}:" in r.err, (over, r.err)
    r = cirs("report", "submit", "--db", demo_db, "--org", "no-such-org", report(tmp_path), env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"})
    assert r.code == 2 and "[not_found] org" in r.err
    p = tmp_path / "broken.json"
    p.write_text('{"title": "x",')
    assert cirs("report", "submit", "--db", demo_db, "--org", "shanxi-grid", p).code == 2
    big = tmp_path / "big.json"
    big.write_text(json.dumps(dict(good, content=dict(good["content"], other="长" * 400000)), ensure_ascii=False))
    r = cirs("report", "submit", "--db", demo_db, "--org", "shanxi-grid", big)
    assert r.code == 2 and "too_large" in r.err
    assert counts(demo_db) == before
    assert cirs("audit", "verify", "--db", demo_db).code == 0


def test_reports_and_events_cannot_be_changed_through_sql(demo_db, tmp_path):
    assert cirs("report", "submit", "--db", demo_db, "--org", "shanxi-grid", report(tmp_path),
                env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"}).code == 0
    for stmt in ("UPDATE report_versions SET content='{}'", "DELETE FROM report_versions", "UPDATE events SET actor='x' WHERE id=1",
                 "DELETE FROM events WHERE id=(SELECT max(id) FROM events)"):
        p = __import__("subprocess").run(["sqlite3", str(demo_db), stmt], capture_output=True, text=True)
        assert p.returncode != 0, stmt
    assert cirs("audit", "verify", "--db", demo_db).code == 0


def test_tampering_with_any_event_row_is_detected_and_named(demo_db, tmp_path):
    assert cirs("report", "submit", "--db", demo_db, "--org", "shanxi-grid", report(tmp_path),
                env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"}).code == 0
    n = int(sql(demo_db, "SELECT max(id) FROM events"))
    created = int(sql(demo_db, "SELECT id FROM events WHERE type='incident.created'"))
    # The attacker first removes the protective triggers, then edits.
    sql(demo_db, "DROP TRIGGER events_no_update; DROP TRIGGER events_retention;")
    assert cirs("audit", "verify", "--db", demo_db).code == 0
    for row, stmt in [
        (created, f"UPDATE events SET payload=replace(payload, '特别重大', '一般') WHERE id={created}"),
        (5, "UPDATE events SET actor='someone-else' WHERE id=5"),
        (n, f"UPDATE events SET at_ms=at_ms+1 WHERE id={n}"),
        (1, "UPDATE events SET type='user.created' WHERE id=1"),
    ]:
        backup = sql(demo_db, f"SELECT json_object('actor',actor,'at',at_ms,'type',type,'payload',payload) FROM events WHERE id={row}")
        sql(demo_db, stmt)
        r = cirs("audit", "verify", "--db", demo_db, "--json")
        assert r.code == 3, stmt
        assert r.json()["ok"] is False and r.json()["row"] == row, (stmt, r.out)
        r = cirs("audit", "verify", "--db", demo_db)
        assert r.code == 3 and f"row {row}" in r.err
        b = json.loads(backup)
        sql(demo_db, "UPDATE events SET actor=json_extract('%s','$.actor'), at_ms=%d, type='%s', payload=json_extract('%s','$.payload') WHERE id=%d"
            % (backup.replace("'", "''"), b["at"], b["type"], backup.replace("'", "''"), row))
        assert cirs("audit", "verify", "--db", demo_db).code == 0, "restoring the row restores the chain"
    # Deleting a row in the middle breaks the chain at the next row.
    sql(demo_db, "DELETE FROM events WHERE id=10")
    r = cirs("audit", "verify", "--db", demo_db, "--json")
    assert r.code == 3 and r.json()["row"] == 11


def test_purge_respects_retention(tmp_path):
    db = tmp_path / "old.db"
    old = {"CIRS_NOW": "2025-12-01T12:00:00+08:00"}
    young = {"CIRS_NOW": "2026-03-01T12:00:00+08:00"}
    junk = "Subject: no sender\r\n\r\nhello\r\n"  # quarantined (no From): its bytes are kept as received
    assert cirs("init", "--db", db, "--demo", env=old).code == 0
    assert cirs("report", "submit", "--db", db, "--org", "shanxi-grid", report(tmp_path, aware_at="2025-12-01T10:00:00+08:00"), env=old).code == 0
    assert cirs("mail", "ingest", "--db", db, env=old, input=junk).code == 0
    assert sql(db, "SELECT status FROM intake_mails") == "quarantined"
    # A reminder that fired and a response that links the incident: rows that point at what the purge deletes.
    sql(db, "INSERT INTO reminders(obligation_id, step, at_ms) SELECT min(id), '50%', 1764561600000 FROM obligations")
    sql(db, "INSERT INTO responses(ref, starter_id, scheme, level, title, status, started_by, started_ms)"
            " SELECT 'RESP-TEST', id, 'national', 'IV', 't', 'ended', 'officer', 1764561600000 FROM authorities WHERE code = 'cac-140000'")
    sql(db, "INSERT INTO response_incidents(response_id, incident_id) SELECT max(id), 1 FROM responses")
    # Younger records stay: an incident of March (with its notifications and messages) and a mail of March.
    assert cirs("report", "submit", "--db", db, "--org", "shanxi-grid", report(tmp_path, aware_at="2026-03-01T10:00:00+08:00"), env=young).code == 0
    assert cirs("mail", "ingest", "--db", db, env=young, input=junk.replace("hello", "hello again")).code == 0
    # What the service writes for each incident (`cirs report submit` notifies nobody): in-app notifications, and
    # messages with their delivery attempts; one of March still pending, one of a year ago that was never about an incident.
    for inc, ms in ((1, 1764561600000), (2, 1772337600000)):
        for k in range(2):
            sql(db, f"INSERT INTO notifications(user_id, event_id, kind, incident_id, title, body, created_ms)"
                    f" SELECT id, {inc * 10 + k}, 'report.received', {inc}, 't', 'b', {ms} FROM users WHERE username = 'officer'")
            sql(db, f"INSERT INTO outbox(event_id, kind, channel, target, idem_key, incident_id, subject, body, status, next_ms, created_ms)"
                    f" VALUES({inc * 10 + k}, 'report.received', 'email', 'x@example.cn', 'k{inc}{k}', {inc}, 's', 'b', '{'delivered' if k else 'pending'}', {ms}, {ms})")
        sql(db, f"INSERT INTO outbox_attempts(outbox_id, at_ms, ok, detail) SELECT max(id), {ms}, 1, '' FROM outbox")
    sql(db, "INSERT INTO outbox(event_id, kind, channel, target, idem_key, subject, body, status, next_ms, created_ms)"
            " VALUES(99, 'warning.issued', 'email', 'x@example.cn', 'old-warning', 's', 'b', 'dead', 1764561600000, 1764561600000)")
    per_incident = {t: {i: int(sql(db, f"SELECT count(*) FROM {t} WHERE incident_id = {i}")) for i in (1, 2)} for t in ("notifications", "outbox")}
    before = counts(db)
    # Young data: refused, nothing deleted (180 days after 2026-05-01 is later than "now" 2026-06-01).
    r = cirs("purge", "--db", db, "--before", "2026-05-01", env={"CIRS_NOW": "2026-06-01T00:00:00+08:00"})
    assert r.code == 2 and "retention" in r.err
    assert counts(db) == before
    # Old enough: deleted, the chain still verifies from its anchor, and new events chain on.
    r = cirs("purge", "--db", db, "--before", "2026-01-01", "--json", env={"CIRS_NOW": "2026-11-01T00:00:00+08:00"})
    assert r.code == 0, r.err
    old_events = int(sql(db, "SELECT count(*) FROM events")) - 1  # what is left besides the purge record ...
    assert r.json() == {"events": before["events"] - old_events, "incidents": 1, "reports": 1,
                        "obligations": before["obligations"] - int(sql(db, "SELECT count(*) FROM obligations")),
                        "notifications": 2, "messages": 3, "mails": 1, "tips": 0}
    after = counts(db)
    assert after["incidents"] == 1 and int(sql(db, "SELECT id FROM incidents")) == 2  # ... is the March incident's
    for t in ("notifications", "outbox"):
        assert int(sql(db, f"SELECT count(*) FROM {t} WHERE incident_id = 1")) == 0
        assert int(sql(db, f"SELECT count(*) FROM {t} WHERE incident_id = 2")) == per_incident[t][2] > 0
    assert sql(db, "SELECT count(*) FROM outbox") == "2" and sql(db, "SELECT count(*) FROM outbox_attempts") == "1"
    assert sql(db, "SELECT count(*) FROM intake_mails") == "1" and sql(db, "SELECT count(*) FROM reminders") == "0"
    assert sql(db, "SELECT count(*) FROM response_incidents") == "0" and sql(db, "SELECT count(*) FROM responses") == "1"
    assert sql(db, "PRAGMA foreign_key_check") == ""
    assert cirs("audit", "verify", "--db", db).code == 0
    assert cirs("report", "submit", "--db", db, "--org", "shanxi-grid", report(tmp_path, aware_at="2026-11-01T09:00:00+08:00"),
                env={"CIRS_NOW": "2026-11-01T10:00:00+08:00"}).code == 0
    assert cirs("audit", "verify", "--db", db).code == 0
    assert "notifications" in cirs("purge", "--help").out


def test_incident_list_pages(demo_db, tmp_path):
    for i in range(5):
        assert cirs("report", "submit", "--db", demo_db, "--org", "bj-yunfan", report(tmp_path, title=f"事件 {i}"),
                    env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"}).code == 0
    p1 = cirs("incident", "list", "--db", demo_db, "--limit", "2", "--json").json()
    assert [x["title"] for x in p1["items"]] == ["事件 0", "事件 1"] and p1["next_after"] == 2
    p3 = cirs("incident", "list", "--db", demo_db, "--limit", "2", "--after", "4", "--json").json()
    assert [x["title"] for x in p3["items"]] == ["事件 4"] and p3["next_after"] is None
    assert cirs("incident", "list", "--db", demo_db, "--org", "shanxi-grid", "--json").json()["items"] == []
    assert cirs("incident", "list", "--db", demo_db, "--limit", "0").code == 2
    assert cirs("incident", "list", "--db", demo_db, "--after", "abc").code == 2
    assert cirs("incident", "show", "--db", demo_db, "999").code == 2


def test_every_command_has_help_in_both_languages():
    for cmd in (["assess"], ["rules", "check"], ["rules", "list"], ["init"], ["report", "submit"], ["incident", "list"],
                ["incident", "show"], ["obligation", "list"], ["audit", "verify"], ["purge"]):
        en = cirs(*cmd, "--help")
        zh = cirs(*cmd, "--help", env={"LANG": "zh_CN.UTF-8"})
        assert en.code == 0 and "Usage: cirs " + cmd[0] in en.out, cmd
        assert zh.code == 0 and "用法" in zh.out, cmd
    assert cirs("bogus").code == 2
    assert "用法错误" in cirs("incident", "list", "--nope", "--db", "x", "--lang", "zh").err


def test_rules_check_reports_file_path_reason(tmp_path):
    import shutil
    from conftest import ROOT
    d = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", d)
    assert cirs("rules", "check", d).code == 0
    pack = json.loads((d / "cn-2025.json").read_text())
    pack["criteria"][0]["threshhold"] = pack["criteria"][0].pop("threshold")
    pack["obligations"][0]["max"] = "4 hours"
    (d / "cn-2025.json").write_text(json.dumps(pack, ensure_ascii=False))
    r = cirs("rules", "check", d)
    assert r.code == 2
    assert "cn-2025.json: $.criteria[0].threshhold: unknown key" in r.err
    assert "cn-2025.json: $.criteria[0].threshold: must be a non-negative number" in r.err
    assert "cn-2025.json: $.obligations[0].max:" in r.err
    # The engine refuses to run on a broken pack rather than grade with half the rules.
    r = cirs("assess", "--rules", d, ROOT / "docs" / "examples" / "assess-ransomware.json")
    assert r.code == 1 and json.loads(r.out)["error"]["code"] == "rules_invalid"
