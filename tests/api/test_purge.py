"""`cirs purge` on the suite's backend (SQLite, or PostgreSQL under `make apitest-pg`), next to a running service:
an incident older than the cut goes with everything that points at it (reminders, notifications, messages and their
delivery attempts), an old quarantined mail goes, the audit chain still verifies, and the service answers 404 for
the purged incident. (tests/cli/test_cli.py covers the same on SQLite in more detail.)"""
import json
import os
import subprocess

from conftest import BIN, Server, report_doc, sql

OLD = {"CIRS_NOW": "2025-12-01T12:00:00+08:00"}


def cirs(*args, env=None, input=None):
    e = dict(os.environ, LANG="en_US.UTF-8")
    e.pop("CIRS_NOW", None)
    e.update(env or {})
    return subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, env=e, input=input, timeout=120)


def test_purge_on_this_backend(tmp_path):
    srv = Server(tmp_path)
    try:
        doc = report_doc(aware_at="2025-12-01T10:00:00+08:00")
        (tmp_path / "old.json").write_text(json.dumps(doc, ensure_ascii=False))
        r = cirs("report", "submit", "--db", srv.db, "--org", "shanxi-grid", tmp_path / "old.json", "--json", env=OLD)
        assert r.returncode == 0, r.stderr
        inc = json.loads(r.stdout)["id"]
        assert cirs("mail", "ingest", "--db", srv.db, env=OLD, input="Subject: no sender\r\n\r\nhello\r\n").returncode == 0
        # What the service's scheduler and notifier write for an incident.
        sql(srv.db, f"INSERT INTO reminders(obligation_id, step, at_ms) SELECT min(id), '50%', 1764561600000 FROM obligations WHERE incident_id = {inc}")
        sql(srv.db, f"INSERT INTO notifications(user_id, event_id, kind, incident_id, title, body, created_ms)"
                    f" SELECT id, 1, 'report.received', {inc}, 't', 'b', 1764561600000 FROM users WHERE username = 'officer'")
        sql(srv.db, f"INSERT INTO outbox(event_id, kind, channel, target, idem_key, incident_id, subject, body, status, next_ms, created_ms)"
                    f" VALUES(1, 'report.received', 'email', 'x@example.cn', 'purge-test', {inc}, 's', 'b', 'delivered', 1764561600000, 1764561600000)")
        sql(srv.db, "INSERT INTO outbox_attempts(outbox_id, at_ms, ok, detail) SELECT id, 1764561600000, 1, '' FROM outbox WHERE idem_key = 'purge-test'")
        own = srv.login("reporter")  # shanxi-grid's reporter: its own organisation's incidents
        assert own.get(f"{srv.url}/api/v1/incidents/{inc}").status_code == 200

        pre = {t: int(sql(srv.db, f"SELECT count(*) FROM {t} WHERE incident_id = {inc}")) for t in ("notifications", "outbox")}
        young = cirs("purge", "--db", srv.db, "--before", "2026-05-01", env={"CIRS_NOW": "2026-06-01T00:00:00+08:00"})
        assert young.returncode == 2 and "retention" in young.stderr
        assert sql(srv.db, f"SELECT count(*) FROM incidents WHERE id = {inc}") == "1"

        r = cirs("purge", "--db", srv.db, "--before", "2026-01-01", "--json", env={"CIRS_NOW": "2026-11-01T00:00:00+08:00"})
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        # On PostgreSQL the running service also hears of the CLI's obligations (LISTEN/NOTIFY) and, their deadlines
        # long past, notifies them as overdue: more rows about the incident than the ones inserted above.
        assert (got["incidents"], got["reports"], got["mails"]) == (1, 1, 1)
        assert got["notifications"] >= pre["notifications"] >= 1 and got["messages"] >= pre["outbox"] >= 1
        for table, where in (("incidents", f"id = {inc}"), ("obligations", f"incident_id = {inc}"), ("notifications", f"incident_id = {inc}"),
                             ("outbox", f"incident_id = {inc}"), ("outbox_attempts", "1 = 1"), ("reminders", "1 = 1"), ("intake_mails", "1 = 1")):
            assert sql(srv.db, f"SELECT count(*) FROM {table} WHERE {where}") == "0", table
        assert cirs("audit", "verify", "--db", srv.db).returncode == 0
        assert own.get(f"{srv.url}/api/v1/incidents/{inc}").status_code == 404
        # The service goes on: a new report is accepted and chains on.
        assert own.get(f"{srv.url}/api/v1/incidents").status_code == 200
        assert own.post(srv.url + "/api/v1/incidents", json=report_doc(), timeout=10).status_code == 201
        assert cirs("audit", "verify", "--db", srv.db).returncode == 0
    finally:
        srv.stop()
