"""Starts the real `cirs serve` on a fresh demo database and a free port; talks to it over HTTP."""
import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import uuid

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CIRS_BIN", str(ROOT / "build" / "cirs"))
PASSWORD = "cirs-demo"
# With CIRS_TEST_PG (a cluster's base URL, postgresql://USER@HOST:PORT; `make apitest-pg` starts a throwaway one),
# every server of the suite runs on a fresh PostgreSQL database instead of an SQLite file.
PG_URL = os.environ.get("CIRS_TEST_PG", "")
PG = bool(PG_URL)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def new_db(tmp, name):
    """A database for one server: the file tmp/name (SQLite), or a new empty PostgreSQL database (its URL)."""
    if not PG:
        return tmp / name
    db = "cirs_" + uuid.uuid4().hex[:16]
    p = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", PG_URL + "/postgres", "-c", f"CREATE DATABASE {db}"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return f"{PG_URL}/{db}"


def sql(db, statement):
    """Runs SQL on a server's database and returns its output: rows by line, columns separated by |, NULL as
    nothing (the same for sqlite3 and psql -At). Statements should be portable; see json_field for JSON."""
    if str(db).startswith("postgres"):
        cmd = ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", str(db), "-c", statement]
    else:
        cmd = ["sqlite3", str(db), statement]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


def json_field(db, column, key):
    """SQL for the text of top-level `key` of the JSON text in `column`, on the backend of `db`."""
    if str(db).startswith("postgres"):
        return f"(({column})::json ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


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
        self.db = new_db(tmp, "api.db")
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
