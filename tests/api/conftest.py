"""Starts the real `cirs serve` on a fresh demo database and a free port; talks to it over HTTP."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CIRS_BIN", str(ROOT / "build" / "cirs"))
PASSWORD = "cirs-demo"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sql(db, statement):
    p = subprocess.run(["sqlite3", str(db), statement], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def wait_up(url):
    """Waits until a started `cirs serve` answers /healthz."""
    for _ in range(200):
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


class Server:
    def __init__(self, tmp):
        self.db = tmp / "api.db"
        subprocess.run([BIN, "init", "--db", self.db, "--demo"], check=True, capture_output=True)
        # A national-CAC officer: the parent of every provincial CAC (same demo password hash).
        sql(self.db, "INSERT INTO users(username,name,role,authority_id,password_hash,created_ms) SELECT 'natcac','国家网信办值班员',"
                     "'authority_officer',(SELECT id FROM authorities WHERE code='national-cac'),password_hash,0 FROM users WHERE username='officer'")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(tmp / "serve.log", "w+")
        self.proc = subprocess.Popen([BIN, "serve", "--db", self.db, "--listen", f"127.0.0.1:{self.port}", "--workers", "4"],
                                     stderr=self.log, stdout=self.log)
        wait_up(self.url)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)

    def login(self, username, password=PASSWORD):
        s = requests.Session()
        r = s.post(self.url + "/api/v1/session", json={"username": username, "password": password}, timeout=10)
        assert r.status_code == 201, r.text
        s.headers["X-CSRF-Token"] = r.json()["csrf_token"]
        s.base = self.url
        return s

    def token(self, username):
        p = subprocess.run([BIN, "token", "create", "--db", self.db, "--user", username, "--name", "test"], capture_output=True, text=True, check=True)
        return p.stdout.strip()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("api"))
    yield s
    s.stop()


def report_doc(**over):
    doc = json.loads((ROOT / "docs" / "examples" / "report-ransomware.json").read_text())
    doc.pop("occurred_at", None)
    doc["aware_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
    doc.update(over)
    return doc
