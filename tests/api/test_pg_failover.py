"""Two `cirs serve` on one PostgreSQL database (issue 8, acceptance 2).

Both serve the API under load; exactly one leads (runs the scheduler and the deliverer, /metrics cirs_leader 1).
The leader is killed with SIGKILL in the middle of the load; the other takes over the scheduler within 10 s. Then
the test clock moves past every deadline: each acknowledged incident is in the database, each deadline fires once
(one obligation.overdue event), and each message of the outbox reaches the SMTP sink (python3-aiosmtpd) once.

Delivery over SMTP is at-least-once at the wire: a message whose SMTP transaction completed just before the kill,
but whose "delivered" record had not committed yet, is sent again by the new leader with the same Message-ID and
X-CIRS-Delivery key (the receiver's idempotency key). The test therefore checks exactly-once by that key, and
bounds the raw repeats by the messages in flight at the kill (one deliverer sends one message at a time).
Runs only with CIRS_TEST_PG (make apitest-pg starts a throwaway cluster)."""
import collections
import concurrent.futures
import os
import re
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import PG, ROOT, free_port, new_db, sql, wait_up
from apihelp import doc_grade

pytestmark = pytest.mark.skipif(not PG, reason="several instances share a database only on PostgreSQL (CIRS_TEST_PG)")

BIN = os.environ.get("CIRS_TESTCLOCK_BIN", str(ROOT / "build" / "cirs-testclock"))


class Instance:
    def __init__(self, name, tmp, db, config, env):
        self.name, self.port = name, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / f"serve-{name}.log", "a")
        self.proc = subprocess.Popen([BIN, "serve", "--config", config, "--db", db, "--listen", f"127.0.0.1:{self.port}", "--workers", "8"],
                                     stderr=self.log, stdout=self.log, env=env)
        wait_up(self.url)

    def metric(self, name):
        text = requests.get(self.url + "/metrics", timeout=5).text
        m = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
        return float(m.group(1)) if m else None

    def leader(self):
        try:
            return self.metric("cirs_leader") == 1
        except requests.RequestException:
            return False

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


def wait_for(what, check, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        v = check()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def token(db, user):
    return subprocess.run([BIN, "token", "create", "--db", db, "--user", user], check=True, capture_output=True, text=True).stdout.strip()


def test_leader_killed_under_load(tmp_path):
    from aiosmtpd.controller import Controller

    class Sink:
        def __init__(self):
            self.keys, self.lock = [], threading.Lock()

        async def handle_DATA(self, server, session, envelope):
            m = re.search(rb"^X-CIRS-Delivery: (\S+)", envelope.content, re.M)
            with self.lock:
                self.keys.append(m.group(1).decode() if m else "?")
            return "250 OK"

    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    db = new_db(tmp_path, "failover.db")
    subprocess.run([BIN, "init", "--db", db, "--demo"], check=True, capture_output=True)
    clock = tmp_path / "clock-offset"
    clock.write_text("0")
    config = tmp_path / "cirs.ini"
    config.write_text(f"[notify]\nsmtp_url = smtp://127.0.0.1:{smtp.port}\nsmtp_from = cirs@test.example\n")
    env = dict(os.environ, CIRS_TEST_CLOCK=str(clock), CIRS_RETRY_BASE_MS="200")
    writers = [token(db, "reporter-jc"), token(db, "reporter-bj"), token(db, "reporter")]
    a = Instance("a", tmp_path, db, config, env)
    wait_for("a leads", a.leader)
    b = Instance("b", tmp_path, db, config, env)
    try:
        time.sleep(1.5)
        assert a.leader() and not b.leader(), "exactly one leader"

        acked, stop, lock = {}, threading.Event(), threading.Lock()

        def load(k):
            inst = (a, b)[k % 2]
            s = requests.Session()
            s.headers["Authorization"] = "Bearer " + writers[k % len(writers)]
            n = 0
            while not stop.is_set():
                n += 1
                title = f"故障切换 {k}-{n}"
                try:
                    r = s.post(inst.url + "/api/v1/incidents", json=doc_grade(title, "较大" if n % 2 else "重大"), timeout=10)
                except requests.RequestException:
                    if inst is a and a.proc.poll() is not None:
                        inst = b  # the load balancer notices the dead instance
                    continue
                if r.status_code == 201:
                    with lock:
                        acked[r.json()["id"]] = title

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            futs = [pool.submit(load, k) for k in range(6)]
            time.sleep(3.0)
            before_kill = len(acked)
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait(timeout=10)
            killed = time.time()
            took = wait_for("b takes over", b.leader, timeout=10.0)
            takeover = time.time() - killed
            time.sleep(2.0)
            stop.set()
            for f in futs:
                f.result()
        print(f"acknowledged {len(acked)} incidents ({before_kill} before the kill); takeover after {takeover:.2f} s")
        assert took and takeover < 10.0
        assert before_kill > 0 and len(acked) > before_kill, "load ran through both instances, before and after the kill"

        # Every acknowledged incident is present (with its title).
        rows = dict(line.split("|", 1) for line in sql(db, "SELECT id, title FROM incidents").splitlines())
        missing = [i for i, t in acked.items() if rows.get(str(i)) != t]
        assert not missing, missing[:10]

        # Move past every deadline: each pending one fires once, on the new leader.
        pending = int(sql(db, "SELECT count(*) FROM obligations WHERE status = 'pending' AND due_ms IS NOT NULL"))
        assert pending > 0
        clock.write_text(str(40 * 86400 * 1000))
        wait_for("every deadline fired", lambda: sql(db, "SELECT count(*) FROM obligations WHERE status = 'pending' AND due_ms IS NOT NULL") == "0",
                 timeout=60.0)
        dup = sql(db, "SELECT entity_id FROM events WHERE type = 'obligation.overdue' GROUP BY entity_id HAVING count(*) > 1")
        assert dup == "", f"deadlines fired twice: {dup[:200]}"
        assert int(sql(db, "SELECT count(*) FROM events WHERE type = 'obligation.overdue'")) >= pending

        # Every message of the outbox delivered, and received once by its idempotency key.
        # One deliverer sends the mails one after another: allow time in proportion to their number.
        total = int(sql(db, "SELECT count(*) FROM outbox WHERE channel = 'email'"))
        wait_for("outbox drained", lambda: sql(db, "SELECT count(*) FROM outbox WHERE channel = 'email' AND status <> 'delivered'") == "0",
                 timeout=max(90.0, 0.1 * total))
        keys = sql(db, "SELECT idem_key FROM outbox WHERE channel = 'email'").split()
        time.sleep(0.5)
        with sink.lock:
            got = collections.Counter(sink.keys)
        assert set(keys) <= set(got), f"never received: {sorted(set(keys) - set(got))[:10]}"
        assert set(got) <= set(keys), "a message that is not in the outbox"
        repeats = {k: n for k, n in got.items() if n > 1}
        print(f"{len(keys)} messages, received {sum(got.values())}; repeated at the wire (in flight at the kill): {repeats}")
        assert len(repeats) <= 1 and all(n == 2 for n in repeats.values()), repeats
        # The chain is whole after two writers and a kill.
        v = subprocess.run([BIN, "audit", "verify", "--db", db], capture_output=True, text=True, timeout=120)
        assert v.returncode == 0, v.stderr
    finally:
        for inst in (a, b):
            inst.stop()
        smtp.stop()
