"""Fixtures for the CLI suite: the binary under test and fresh database files."""
import json
import os
import subprocess
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = os.environ.get("CIRS_BIN", str(ROOT / "build" / "cirs"))


class Result:
    def __init__(self, p):
        self.code, self.out, self.err = p.returncode, p.stdout, p.stderr

    def json(self):
        return json.loads(self.out)


def cirs(*args, env=None, input=None):
    e = dict(os.environ, LANG="en_US.UTF-8")
    e.pop("CIRS_NOW", None)
    e.update(env or {})
    p = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, env=e, input=input, timeout=120)
    return Result(p)


def sql(db, statement):
    """Runs SQL through the sqlite3 shell, as an administrator (or an attacker) would."""
    p = subprocess.run(["sqlite3", str(db), statement], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout.strip()


@pytest.fixture
def demo_db(tmp_path):
    db = tmp_path / "demo.db"
    r = cirs("init", "--db", db, "--demo")
    assert r.code == 0, r.err
    return db


def report(tmp_path, name="r.json", **over):
    doc = json.loads((ROOT / "docs" / "examples" / "report-ransomware.json").read_text())
    if "aware_at" in over:
        doc.pop("occurred_at", None)  # the example's occurrence time belongs to its own awareness time
    doc.update(over)
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False))
    return path
