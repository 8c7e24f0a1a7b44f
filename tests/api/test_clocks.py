"""Clocks and notifications (issue 4), against the test-clock build of `cirs serve` (make's build/cirs-testclock),
a real SMTP server (aiosmtpd, Debian's python3-aiosmtpd) and a real HTTP webhook receiver.

The test clock: the service reads its time as the real time plus the offset in the file named by $CIRS_TEST_CLOCK,
so a test moves time forward by writing that file; only the test build does this.
"""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import pathlib
import signal
import subprocess
import threading
import time

import pytest
import requests
from aiosmtpd.controller import Controller

from apihelp import doc_grade, ok
from conftest import PG, PASSWORD, ROOT, free_port, new_db, sql, wait_up

BIN = os.environ.get("CIRS_TESTCLOCK_BIN", str(ROOT / "build" / "cirs-testclock"))
HOUR = 3600_000


class Mailbox:
    """The SMTP sink: every message received, with its recipients and headers."""
    def __init__(self):
        self.messages, self.lock = [], threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "subject": str(msg["Subject"]), "delivery": str(msg["X-CIRS-Delivery"]), "auto": str(msg["Auto-Submitted"]),
                                  "body": msg.get_content(), "at": time.time()})
        return "250 OK"

    def find(self, text):
        with self.lock:
            return [m for m in self.messages if text in m["subject"] or text in m["body"]]


class Hooks(http.server.ThreadingHTTPServer):
    """The webhook receiver: per path, fail the first N calls (500) or always ("dead"); records what it accepted."""
    def __init__(self):
        super().__init__(("127.0.0.1", 0), HookHandler)
        self.calls, self.accepted, self.fail_first, self.lock = [], [], {}, threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class HookHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        s = self.server
        with s.lock:
            s.calls.append(self.path)
            n = s.calls.count(self.path)
            fail = s.fail_first.get(self.path, 0)
            failing = fail == "always" or n <= fail
            if not failing:
                s.accepted.append({"path": self.path, "headers": dict(self.headers), "body": body, "at": time.time()})
        self.send_response(500 if failing else 204)
        self.end_headers()


class ClockServer:
    def __init__(self, tmp, smtp_port, env=None):
        self.tmp, self.db = tmp, new_db(tmp, "clocks.db")
        self.clock = tmp / "clock-offset"
        self.clock.write_text("0")
        subprocess.run([BIN, "init", "--db", self.db, "--demo"], check=True, capture_output=True)
        sql(self.db, "INSERT INTO users(username,name,role,authority_id,email,password_hash,created_ms) SELECT 'natcac','国家网信办值班员',"
                     "'authority_officer',(SELECT id FROM authorities WHERE code='national-cac'),'duty@cac.example.cn',password_hash,0 FROM users WHERE username='officer'")
        # The mail settings come from the config file's [notify] section, the retry settings from the environment.
        self.config = tmp / "cirs.ini"
        self.config.write_text(f"[notify]\nsmtp_url = smtp://127.0.0.1:{smtp_port}\nsmtp_from = cirs@test.example\nreminders = 50%,15m\n")
        self.env = dict(os.environ, CIRS_TEST_CLOCK=str(self.clock), CIRS_RETRY_BASE_MS="150", CIRS_RETRY_MAX="4", **(env or {}))
        self.start()

    def start(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(self.tmp / "serve.log", "a")
        self.proc = subprocess.Popen([BIN, "serve", "--config", self.config, "--db", self.db, "--listen", f"127.0.0.1:{self.port}", "--workers", "4"],
                                     stderr=self.log, stdout=self.log, env=self.env)
        wait_up(self.url)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)

    def set_now(self, ms):
        """Moves the service's clock so that it reads `ms` (epoch milliseconds) now."""
        self.clock.write_text(str(int(ms - time.time() * 1000)))

    def now(self):
        return time.time() * 1000 + int(self.clock.read_text())

    def login(self, username):
        s = requests.Session()
        r = s.post(self.url + "/api/v1/session", json={"username": username, "password": PASSWORD}, timeout=10)
        assert r.status_code == 201, r.text
        s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        return s


def wait_for(what, check, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        v = check()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    box = Mailbox()
    smtp = Controller(box, hostname="127.0.0.1", port=free_port())
    smtp.start()
    hooks = Hooks()
    srv = ClockServer(tmp_path_factory.mktemp("clocks"), smtp.port)
    yield srv, box, hooks
    srv.stop()
    smtp.stop()
    hooks.shutdown()


def events(srv, type_, obligation=None):
    where = f" AND entity_id = {obligation}" if obligation else ""
    rows = sql(srv.db, f"SELECT entity_id, payload FROM events WHERE type = '{type_}'{where} ORDER BY id")
    return [(int(r.split("|", 1)[0]), json.loads(r.split("|", 1)[1])) for r in rows.splitlines() if r]


def obligation(srv, s, incident_id, kind, authority=None):
    inc = ok(s.get(srv.url + f"/api/v1/incidents/{incident_id}"))
    obs = [o for o in inc["obligations"] if o["kind"] == kind and (authority is None or o.get("from_authority") == authority)]
    assert obs, (kind, [(o["kind"], o.get("from_authority")) for o in inc["obligations"]])
    return obs[0]


def test_escalation_chain_notifies_each_authority_once(env):
    srv, box, hooks = env
    admin = srv.login("authadmin")
    cac_hook = ok(admin.post(srv.url + "/api/v1/webhooks", json={"url": hooks.url("/cac-140000")}), 201)
    assert len(cac_hook["secret"]) == 48 and cac_hook["authority"] == "cac-140000"
    sql(srv.db, "INSERT INTO webhooks(authority_id, url, secret, created_by, created_ms) SELECT id, '" + hooks.url("/national") +
        "', 'national-secret', 'test', 0 FROM authorities WHERE code = 'national-cac'")
    op, officer, natcac = srv.login("reporter-jc"), srv.login("officer"), srv.login("natcac")
    filed = ok(op.post(srv.url + "/api/v1/incidents", json=doc_grade("晋城恒泰 数据泄露 链路测试", "重大")), 201)
    ref = filed["ref"]
    assert filed["grade"] == "重大"
    # 1. The provincial CAC hears of it: a mail to each of its users with an address, one webhook call.
    mails = wait_for("provincial mails", lambda: len(box.find(ref)) >= 3 and box.find(ref))
    assert sorted(m["to"][0] for m in mails) == ["authadmin@cac-shanxi.example.cn", "duty@cac-shanxi.example.cn", "officer@cac-shanxi.example.cn"]
    assert all("事件报告" in m["subject"] and "Incident report" in m["subject"] for m in mails)
    assert all("重大" in m["body"] and "major" in m["body"] for m in mails)   # Chinese first, then English
    assert all(m["auto"] == "auto-generated" for m in mails)                   # RFC 3834: not to be answered automatically
    hook = wait_for("provincial webhook", lambda: [a for a in hooks.accepted if a["path"] == "/cac-140000"])[0]
    h = {k.lower(): v for k, v in hook["headers"].items()}
    expected = hmac.new(cac_hook["secret"].encode(), (h["x-cirs-timestamp"] + ".").encode() + hook["body"], hashlib.sha256).hexdigest()
    assert h["x-cirs-signature"] == "sha256=" + expected and h["x-cirs-event"] == "report.received"
    payload = json.loads(hook["body"])
    assert payload["incident"]["ref"] == ref and payload["type"] == "report.received" and payload["drill"] is False
    # ... and in-app.
    inbox = ok(officer.get(srv.url + "/api/v1/notifications"))["items"]
    assert any(n["incident_id"] == filed["id"] and n["kind"] == "report.received" and n["read_ms"] is None for n in inbox)
    # 2. Receipt: starts the escalation clock, due = receipt + the rule's window (1 h for 重大).
    t_receipt = time.time()
    rec = ok(officer.post(srv.url + f"/api/v1/incidents/{filed['id']}/receipts", json={}), 201)
    esc = obligation(srv, officer, filed["id"], "escalation", "cac-140000")
    assert esc["status"] == "pending" and esc["max"] == "PT1H" and esc["due_ms"] == rec["received_ms"] + HOUR
    wait_for("receipt mail to the operator", lambda: [m for m in box.find(ref) if m["to"] == ["reporter@hengtai-jc.example.cn"]])
    # 3. Forwarding: the national level hears of it and sees it.
    assert not [m for m in box.find(ref) if m["to"] == ["duty@cac.example.cn"]]   # nothing national before forwarding
    t_escalate = time.time()
    ok(officer.post(srv.url + f"/api/v1/incidents/{filed['id']}/escalations", json={"note": "按时限上报"}), 201)
    wait_for("national mail", lambda: [m for m in box.find(ref) if m["to"] == ["duty@cac.example.cn"]])
    wait_for("national webhook", lambda: [a for a in hooks.accepted if a["path"] == "/national"])
    assert ok(natcac.get(srv.url + f"/api/v1/incidents/{filed['id']}"))["ref"] == ref
    # In order, and each exactly once (one message per recipient per event).
    time.sleep(1.0)
    national = [m for m in box.find(ref) if m["to"] == ["duty@cac.example.cn"]]
    assert max(m["at"] for m in mails) < t_receipt < t_escalate < national[0]["at"]   # in order
    assert len(national) == 1
    deliveries = [m["delivery"] for m in box.find(ref)]
    assert len(deliveries) == len(set(deliveries)) == 5   # 3 provincial users, the operator, the national officer
    calls = [a["path"] for a in hooks.accepted if json.loads(a["body"])["incident"]["ref"] == ref]
    assert sorted(calls) == ["/cac-140000", "/national"]
    assert ok(srv.login("national").get(srv.url + "/api/v1/outbox", params={"incident": filed["id"], "status": "pending"}))["items"] == []


def test_reminders_overdue_late_and_final_clock(env):
    srv, box, hooks = env
    op, officer = srv.login("reporter-jc"), srv.login("officer")
    filed = ok(op.post(srv.url + "/api/v1/incidents", json=doc_grade("晋城恒泰 时钟测试", "重大")), 201)
    rec = ok(officer.post(srv.url + f"/api/v1/incidents/{filed['id']}/receipts", json={}), 201)
    esc = obligation(srv, officer, filed["id"], "escalation", "cac-140000")
    due, start, oid = esc["due_ms"], rec["received_ms"], esc["id"]
    # Just before half of the window: nothing; just after: the 50 % reminder, once.
    srv.set_now(start + HOUR // 2 - 2000)
    time.sleep(0.6)
    assert events(srv, "obligation.reminder", oid) == []
    srv.set_now(start + HOUR // 2 + 200)
    wait_for("50 % reminder", lambda: events(srv, "obligation.reminder", oid), 3)
    srv.set_now(due - 15 * 60_000 + 200)
    wait_for("15 min reminder", lambda: len(events(srv, "obligation.reminder", oid)) == 2, 3)
    steps = [p["step"] for _, p in events(srv, "obligation.reminder", oid)]
    assert steps == ["50%", "15m"]
    wait_for("reminder mail", lambda: [m for m in box.find(filed["ref"]) if "提醒" in m["subject"] and m["to"] == ["officer@cac-shanxi.example.cn"]])
    # Overdue exactly at the due instant (± 1 s): not before, and fired within a second after.
    srv.set_now(due - 1500)
    time.sleep(0.5)
    assert obligation(srv, officer, filed["id"], "escalation", "cac-140000")["status"] == "pending"
    srv.set_now(due)
    ev = wait_for("overdue", lambda: events(srv, "obligation.overdue", oid), 3)
    assert len(ev) == 1 and 0 <= ev[0][1]["fired_ms"] - due <= 1000
    assert obligation(srv, officer, filed["id"], "escalation", "cac-140000")["status"] == "overdue"
    wait_for("overdue mail", lambda: [m for m in box.find(filed["ref"]) if "超时" in m["subject"]])
    # Met after the deadline: late.
    ok(officer.post(srv.url + f"/api/v1/incidents/{filed['id']}/escalations", json={}), 201)
    assert obligation(srv, officer, filed["id"], "escalation", "cac-140000")["status"] == "late"
    # The final report's clock: 30 days after the operator marks handling ended.
    ended = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(srv.now() / 1000 - 60))
    ok(op.post(srv.url + f"/api/v1/incidents/{filed['id']}/reports", json={"kind": "supplement", "handling_ended_at": ended,
                                                                             "content": {"measures_taken": "已处置完毕"}}), 201)
    final = obligation(srv, op, filed["id"], "final")
    ended_ms = int(time.mktime(time.strptime(ended, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone) * 1000
    assert final["status"] == "pending" and final["due_ms"] == ended_ms + 30 * 24 * HOUR
    srv.set_now(final["due_ms"] + 200)
    op = srv.login("reporter-jc")   # 30 days later: the old session has expired
    wait_for("final report overdue", lambda: obligation(srv, op, filed["id"], "final")["status"] == "overdue", 3)
    srv.set_now(time.time() * 1000)


def test_kill9_with_pending_deadlines_and_undelivered_outbox(env):
    srv, box, hooks = env
    srv.set_now(time.time() * 1000)
    sql(srv.db, "INSERT INTO webhooks(organisation_id, url, secret, created_by, created_ms) SELECT id, '" + hooks.url("/operator-jc") +
        "', 'op-secret', 'test', 0 FROM organisations WHERE code = 'jc-hengtai'")
    hooks.fail_first["/operator-jc"] = "always"        # the operator's receiver is down: its messages stay in the outbox
    op, officer = srv.login("reporter-jc"), srv.login("officer")
    ids = []
    for i in range(3):
        filed = ok(op.post(srv.url + "/api/v1/incidents", json=doc_grade(f"晋城恒泰 崩溃测试 {i}", "重大")), 201)
        ok(officer.post(srv.url + f"/api/v1/incidents/{filed['id']}/receipts", json={}), 201)   # receipt -> operator webhook (failing)
        ids.append(filed["id"])
    obls = [obligation(srv, officer, i, "escalation", "cac-140000") for i in ids]
    wait_for("failed attempts", lambda: hooks.calls.count("/operator-jc") >= 3)
    srv.kill9()
    # Time moves past every deadline while the service is down; the receiver comes back.
    srv.set_now(max(o["due_ms"] for o in obls) + 5000)
    hooks.fail_first["/operator-jc"] = 0
    srv.start()
    for o in obls:
        wait_for("overdue after restart", lambda o=o: events(srv, "obligation.overdue", o["id"]), 5)
    wait_for("deliveries after restart", lambda: len([a for a in hooks.accepted if a["path"] == "/operator-jc"]) >= 3, 10)
    time.sleep(1.5)
    for o in obls:
        assert len(events(srv, "obligation.overdue", o["id"])) == 1
    got = [a["headers"]["X-CIRS-Delivery"] for a in hooks.accepted if a["path"] == "/operator-jc"]
    assert len(got) == len(set(got)), got                        # none twice
    pending = sql(srv.db, "SELECT count(*) FROM outbox WHERE status = 'pending' AND target = (SELECT CAST(id AS TEXT) FROM webhooks WHERE url LIKE '%operator-jc')")
    assert pending == "0"
    srv.set_now(time.time() * 1000)


def test_retries_then_delivery_and_dead_letter_visible(env):
    srv, box, hooks = env
    srv.set_now(time.time() * 1000)
    hooks.fail_first["/flaky"], hooks.fail_first["/dead"] = 3, "always"
    admin = srv.login("authadmin")
    ok(admin.post(srv.url + "/api/v1/webhooks", json={"url": hooks.url("/flaky")}), 201)
    dead = ok(admin.post(srv.url + "/api/v1/webhooks", json={"url": hooks.url("/dead")}), 201)
    filed = ok(srv.login("reporter-jc").post(srv.url + "/api/v1/incidents", json=doc_grade("晋城恒泰 重试测试", "较大")), 201)
    got = wait_for("4th attempt", lambda: [a for a in hooks.accepted if a["path"] == "/flaky" and json.loads(a["body"])["incident"]["id"] == filed["id"]], 10)
    assert len(got) == 1 and hooks.calls.count("/flaky") >= 4
    rows = wait_for("dead letter", lambda: ok(admin.get(srv.url + "/api/v1/outbox", params={"status": "dead", "incident": filed["id"]}))["items"], 10)
    assert len(rows) == 1 and rows[0]["target"] == str(dead["id"]) and rows[0]["attempts"] == 4 and "HTTP 500" in rows[0]["last_error"]
    assert [a["ok"] for a in rows[0]["attempt_log"]] == [0, 0, 0, 0]
    flaky = ok(admin.get(srv.url + "/api/v1/outbox", params={"status": "delivered", "incident": filed["id"]}))["items"]
    assert any(r["channel"] == "webhook" and r["attempts"] == 4 and [a["ok"] for a in r["attempt_log"]] == [0, 0, 0, 1] for r in flaky)
    # The operator cannot see the authority's deliveries; bad filters are 400.
    assert ok(srv.login("reporter-jc").get(srv.url + "/api/v1/outbox", params={"status": "dead"}))["items"] == []
    assert admin.get(srv.url + "/api/v1/outbox", params={"status": "lost"}).status_code == 400


def test_waive_and_notification_read(env):
    srv, box, hooks = env
    op, officer, admin = srv.login("reporter-jc"), srv.login("officer"), srv.login("authadmin")
    filed = ok(op.post(srv.url + "/api/v1/incidents", json=doc_grade("晋城恒泰 免除测试", "重大")), 201)
    esc = obligation(srv, officer, filed["id"], "escalation", "cac-140000")
    assert officer.post(srv.url + f"/api/v1/obligations/{esc['id']}/waive", json={"reason": "测试"}).status_code == 403
    r = admin.post(srv.url + f"/api/v1/obligations/{esc['id']}/waive", json={})
    assert r.status_code == 400 and r.json()["error"]["field"] == "reason"
    w = ok(admin.post(srv.url + f"/api/v1/obligations/{esc['id']}/waive", json={"reason": "经核实为演练误报"}))
    assert w["status"] == "waived" and w["waived_reason"] == "经核实为演练误报" and w["waived_by"] == "authadmin"
    assert admin.post(srv.url + f"/api/v1/obligations/{esc['id']}/waive", json={"reason": "再次"}).status_code == 409
    assert srv.login("reporter-bj").post(srv.url + f"/api/v1/obligations/{esc['id']}/waive", json={"reason": "x1"}).status_code == 403
    assert srv.login("national").post(srv.url + "/api/v1/obligations/999999/waive", json={"reason": "不存在"}).status_code == 404
    n = ok(officer.get(srv.url + "/api/v1/notifications", params={"unread": "true"}))["items"][0]
    ok(officer.post(srv.url + f"/api/v1/notifications/{n['id']}/read", json={}))
    assert n["id"] not in [x["id"] for x in ok(officer.get(srv.url + "/api/v1/notifications", params={"unread": "true"}))["items"]]
    assert op.post(srv.url + f"/api/v1/notifications/{n['id']}/read", json={}).status_code == 404   # not the operator's


def test_compliance_ledger_over_the_api(env):
    srv, box, hooks = env
    srv.set_now(time.time() * 1000)
    admin, op, nat = srv.login("authadmin"), srv.login("reporter-jc"), srv.login("national")
    mine = ok(admin.get(srv.url + "/api/v1/compliance"))
    assert mine["scope"] == {"authority": "cac-140000", "subtree": False}
    o = mine["obligations"]
    assert o["late"] >= 1 and o["waived"] >= 1 and o["overdue"] >= 3       # from the tests above (order: this file's)
    assert o["total"] == o["met"] + o["late"] + o["overdue"] + o["pending"] + o["waived"]
    assert any(x["kind"] == "escalation" and x["late_by_s"] >= 0 and x["met_at"] > x["due"] for x in mine["late"]), mine["late"]
    org = ok(op.get(srv.url + "/api/v1/compliance"))
    assert org["scope"] == {"organisation": "jc-hengtai"} and org["mean_time_to_report_s"] is not None
    r = op.get(srv.url + "/api/v1/compliance", params={"organisation": "bj-yunfan"})
    assert r.status_code == 403 and r.json()["error"]["field"] == "organisation"
    assert admin.get(srv.url + "/api/v1/compliance", params={"authority": "cac-110000"}).status_code == 403
    assert nat.get(srv.url + "/api/v1/compliance").status_code == 400
    assert ok(nat.get(srv.url + "/api/v1/compliance", params={"organisation": "jc-hengtai"}))["obligations"] == org["obligations"]
    assert nat.get(srv.url + "/api/v1/compliance", params={"organisation": "nope"}).status_code == 404


def test_notice_to_same_level_departments_meets_the_notify_obligation(env):
    srv, box, hooks = env
    srv.set_now(time.time() * 1000)
    sql(srv.db, "INSERT INTO users(username,name,role,authority_id,email,password_hash,created_ms) SELECT 'ps-officer','山西省公安厅值班员',"
                "'authority_officer',(SELECT id FROM authorities WHERE code='ps-140000'),'duty@ps-shanxi.example.cn',password_hash,0 FROM users WHERE username='officer'")
    op, officer, ps = srv.login("reporter-jc"), srv.login("officer"), srv.login("ps-officer")
    filed = ok(op.post(srv.url + "/api/v1/incidents", json=doc_grade("晋城恒泰 通报测试", "重大")), 201)
    url = srv.url + f"/api/v1/incidents/{filed['id']}/notices"
    notify = obligation(srv, officer, filed["id"], "notify", "cac-140000")
    assert notify["status"] == "pending" and notify["due_ms"] is None and notify["max"] == "PT1H"   # runs from receipt
    assert ps.get(srv.url + f"/api/v1/incidents/{filed['id']}").status_code == 404                 # not the department's yet
    # Bad notices are refused with the field; only a receiving authority sends one.
    for body, field in [({}, "departments"), ({"departments": []}, "departments"), ({"departments": ["cac-140000"]}, "departments[0]"),
                        ({"departments": ["省通信管理局", "省通信管理局"]}, "departments[1]"), ({"departments": ["x" * 201]}, "departments[0]"),
                        ({"departments": ["省通信管理局"], "how": "pigeon"}, "how"), ({"departments": ["a"], "to": "b"}, "to")]:
        r = officer.post(url, json=body)
        assert r.status_code == (413 if "x" * 201 in str(body) else 400) and r.json()["error"]["field"] == field, (body, r.text)
    assert op.post(url, json={"departments": ["ps-140000"]}).status_code == 403
    assert srv.login("natcac").post(url, json={"departments": ["ps-140000"]}).status_code in (403, 404)
    assert obligation(srv, officer, filed["id"], "notify", "cac-140000")["status"] == "pending"   # nothing half-done
    # The notice: a registered department gets the incident and a notification; a named one is recorded.
    t0 = time.time() * 1000
    n = ok(officer.post(url, json={"departments": ["ps-140000", "山西省通信管理局"], "how": "phone", "note": "电话通报值班室"}), 201)
    assert n["routed"] == ["ps-140000"] and n["departments"] == ["ps-140000", "山西省通信管理局"] and n["how"] == "phone"
    met = [o for o in n["obligations"] if o["kind"] == "notify"][0]
    assert met["status"] == "met" and t0 - 1000 <= met["met_ms"] <= met["due_ms"]   # the notice implied the receipt
    esc = [o for o in n["obligations"] if o["kind"] == "escalation"][0]
    assert esc["status"] == "pending" and esc["due_ms"] == met["due_ms"]            # both clocks run from that receipt
    assert sql(srv.db, f"SELECT how FROM receipts WHERE incident_id = {filed['id']}") == "officer"
    wait_for("department mail", lambda: [m for m in box.find(filed["ref"]) if m["to"] == ["duty@ps-shanxi.example.cn"] and "通报" in m["subject"]])
    assert ok(ps.get(srv.url + f"/api/v1/incidents/{filed['id']}"))["ref"] == filed["ref"]
    assert any(x["kind"] == "incident.notice" for x in ok(ps.get(srv.url + "/api/v1/notifications"))["items"])
    ev = events(srv, "incident.noticed")
    assert ev[-1][0] == filed["id"] and ev[-1][1]["departments"] == ["ps-140000", "山西省通信管理局"] and ev[-1][1]["obligations_met"] == [met["id"]]
    # A second notice is recorded too; the department is not told twice.
    ok(officer.post(url, json={"departments": ["ps-140000"]}), 201)
    time.sleep(0.5)
    assert len([m for m in box.find(filed["ref"]) if m["to"] == ["duty@ps-shanxi.example.cn"]]) == 1


def test_receipt_recorded_on_delivery_to_a_confirming_webhook(env):
    srv, box, hooks = env
    srv.set_now(time.time() * 1000)
    admin, officer = srv.login("authadmin"), srv.login("officer")
    r = srv.login("opadmin").post(srv.url + "/api/v1/webhooks", json={"url": hooks.url("/op"), "confirms_receipt": True})
    assert r.status_code == 400 and r.json()["error"]["field"] == "confirms_receipt"
    r = admin.post(srv.url + "/api/v1/webhooks", json={"url": hooks.url("/duty"), "confirms_receipt": "yes"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "confirms_receipt"
    hooks.fail_first["/duty"] = 1   # the duty system is briefly down: no receipt until it answers 2xx
    hook = ok(admin.post(srv.url + "/api/v1/webhooks", json={"url": hooks.url("/duty"), "confirms_receipt": True}), 201)
    assert hook["confirms_receipt"] is True
    try:
        filed = ok(srv.login("reporter-jc").post(srv.url + "/api/v1/incidents", json=doc_grade("晋城恒泰 投递即接收", "重大")), 201)
        got = wait_for("duty-system webhook", lambda: [a for a in hooks.accepted if a["path"] == "/duty" and json.loads(a["body"])["incident"]["id"] == filed["id"]])
        row = wait_for("receipt", lambda: sql(srv.db, f"SELECT how, at_ms, coalesce(user_id, 0) FROM receipts WHERE incident_id = {filed['id']}"))
        how, at_ms, user = row.split("|")
        assert how == "delivery" and user == "0"
        assert got[0]["at"] * 1000 - 1000 <= int(at_ms) <= time.time() * 1000   # at delivery, after the failed first attempt
        esc = obligation(srv, officer, filed["id"], "escalation", "cac-140000")
        assert esc["status"] == "pending" and esc["due_ms"] == int(at_ms) + HOUR
        assert officer.post(srv.url + f"/api/v1/incidents/{filed['id']}/receipts", json={}).status_code == 409
        wait_for("receipt mail to the operator", lambda: [m for m in box.find(filed["ref"]) if m["to"] == ["reporter@hengtai-jc.example.cn"]])
    finally:
        ok(admin.delete(srv.url + f"/api/v1/webhooks/{hook['id']}"))


def test_deadlines_committed_by_another_process_fire(env):
    """An MTA pipe runs `cirs mail ingest` and an administrator runs `cirs import` while `cirs serve` runs: the incidents
    they store have deadlines the service's scheduler must hold without a restart (it reads new obligations every 2 s)."""
    srv, box, hooks = env
    srv.set_now(time.time() * 1000)
    now = srv.now()
    polled = lambda: sum(int(l.split()[1]) for l in requests.get(srv.url + "/metrics", timeout=5).text.splitlines() if l.startswith("cirs_clock_polled_total"))
    before = polled()
    doc = doc_grade("另一进程写入的事件", "较大")
    doc["aware_at"] = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now / 1000 - 600))
    path = srv.tmp / "other-process.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    p = subprocess.run([BIN, "report", "submit", "--db", srv.db, "--org", "shanxi-grid", "--json", path], capture_output=True, text=True, env=srv.env, timeout=60)
    assert p.returncode == 0, p.stderr
    inc = json.loads(p.stdout)["id"]
    sup = [o for o in json.loads(p.stdout)["obligations"] if o["kind"] == "supplement"][0]
    due = int(sql(srv.db, f"SELECT due_ms FROM obligations WHERE id = {sup['id']}"))
    assert due > now
    # Held within a poll interval (on PostgreSQL the database's notice usually brings it first, and the poll skips it) ...
    if PG:
        time.sleep(2.5)
    else:
        wait_for("the poll", lambda: polled() > before, timeout=8)
    # ... so it goes overdue when its time comes, once.
    srv.set_now(due + 1000)
    wait_for("overdue", lambda: events(srv, "obligation.overdue", sup["id"]), timeout=8)
    time.sleep(2.5)
    assert len(events(srv, "obligation.overdue", sup["id"])) == 1
    assert sql(srv.db, f"SELECT status FROM obligations WHERE id = {sup['id']}") == "overdue"
    assert sql(srv.db, f"SELECT count(*) FROM obligations WHERE incident_id = {inc}") != "0"
