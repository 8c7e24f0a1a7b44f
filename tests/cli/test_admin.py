"""The administration commands scripts drive (org add, authority add, user add --password-stdin, token list|revoke)
and the configuration of `cirs serve` (INI file < environment < flags), down to a real server answering over HTTP."""
import contextlib
import json
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

from conftest import BIN, cirs, sql, report

PASSWORD = "correct horse battery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def events(db, type_):
    return int(sql(db, f"SELECT count(*) FROM events WHERE type='{type_}'"))


def add_org(db, code="acme-power", *extra, **kw):
    args = ["org", "add", "--db", db, "--code", code, "--name", "晋能测试电力有限公司", "--kind", "cii", "--province", "140000",
            "--sector", "energy", *extra]
    return cirs(*args, **kw)


def add_user(db, username="alice", role="operator_reporter", *extra, password=PASSWORD + "\n", **kw):
    return cirs("user", "add", "--db", db, "--username", username, "--name", "测试用户", "--role", role, "--password-stdin", *extra,
                input=password, **kw)


@contextlib.contextmanager
def serve(tmp_path, url_port, *args, env=None):
    """Runs `cirs serve ARGS` with a clean CIRS_* environment plus `env`; yields the base URL once /healthz answers.
    Stops it with SIGTERM and checks that it exited cleanly."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("CIRS_")}
    e["LANG"] = "en_US.UTF-8"
    e.update(env or {})
    log = open(tmp_path / f"serve-{url_port}.log", "w+")
    proc = subprocess.Popen([BIN, "serve", *map(str, args)], stdout=log, stderr=log, env=e)
    url = f"http://127.0.0.1:{url_port}"
    try:
        for _ in range(400):
            if proc.poll() is not None:
                log.seek(0)
                raise AssertionError(f"serve exited with {proc.returncode}: {log.read()}")
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(0.05)
        else:
            raise AssertionError("serve did not answer /healthz")
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        log.close()
    assert proc.returncode == 0


# ---- org add ----------------------------------------------------------------------------------------------------------

def test_org_add_writes_record_and_event_and_is_usable(demo_db, tmp_path):
    before = events(demo_db, "organisation.created")
    r = add_org(demo_db, "acme-power", "--name-en", "Acme Power", "--kind", "central_organ", "--regimes", "CN,NIS2",
                "--email", "soc@acme.example.cn", "--json")
    assert r.code == 0, r.err
    out = r.json()
    assert out["code"] == "acme-power" and out["kinds"] == ["cii", "central_organ"] and out["regimes"] == ["CN", "NIS2"]
    assert sql(demo_db, f"SELECT id, kinds, province, sector, contact_email FROM organisations WHERE code='acme-power'") == \
        f'{out["id"]}|["cii","central_organ"]|140000|energy|soc@acme.example.cn'
    assert events(demo_db, "organisation.created") == before + 1
    ev = json.loads(sql(demo_db, "SELECT payload FROM events WHERE type='organisation.created' ORDER BY id DESC LIMIT 1"))
    assert ev["code"] == "acme-power" and ev["name"] == "晋能测试电力有限公司"
    assert sql(demo_db, "SELECT actor FROM events ORDER BY id DESC LIMIT 1").startswith("cli")
    assert cirs("audit", "verify", "--db", demo_db).code == 0
    # Usable: a report filed for it is routed to the authorities of its province and sector.
    s = cirs("report", "submit", "--db", demo_db, "--org", "acme-power", "--json", report(tmp_path, aware_at="2026-11-21T09:30:00+08:00"),
             env={"CIRS_NOW": "2026-11-21T10:00:00+08:00"})
    assert s.code == 0, s.err
    ini = [o for o in s.json()["obligations"] if o["kind"] == "initial"][0]
    assert "cii-energy" in [a["authority"] for a in ini["to_authorities"]]


def test_org_add_defaults_and_plain_output(demo_db):
    r = cirs("org", "add", "--db", demo_db, "--code", "small-shop", "--name", "小店", "--kind", "other", "--province", "110000")
    assert r.code == 0, r.err
    assert "small-shop" in r.out
    assert sql(demo_db, "SELECT regimes, kinds FROM organisations WHERE code='small-shop'") == '["CN"]|["other"]'


def test_org_add_duplicate_code_is_conflict(demo_db):
    n = events(demo_db, "organisation.created")
    r = add_org(demo_db, "shanxi-grid")
    assert r.code == 2 and "[conflict] code" in r.err and "shanxi-grid" in r.err
    assert events(demo_db, "organisation.created") == n


@pytest.mark.parametrize("args, field", [
    (["--province", "990000"], "province"),
    (["--province", "14000"], "province"),
    (["--province", "abcdef"], "province"),
    (["--kind", "other"], "kind"),           # other with cii
    (["--kind", "bank"], "kind"),
    (["--regimes", "CN,XX"], "regimes"),
    (["--regimes", "CN,,NIS2"], "regimes"),
    (["--email", "not-an-address"], "email"),
    (["--code", "has space"], "code"),
    (["--code", "x" * 64], "code"),
    (["--name", "n" * 201], "name"),
    (["--parent", "national-cac"], "parent"),  # not an option of org add
])
def test_org_add_rejects_bad_input(demo_db, args, field):
    n = int(sql(demo_db, "SELECT count(*) FROM organisations"))
    r = add_org(demo_db, "acme-x", *args)
    assert r.code == 2, r.err
    assert f"] {field}:" in r.err, r.err
    assert int(sql(demo_db, "SELECT count(*) FROM organisations")) == n


@pytest.mark.parametrize("missing", ["--code", "--name", "--kind", "--province", "--db"])
def test_org_add_missing_required_flag(demo_db, missing):
    opts = {"--db": str(demo_db), "--code": "acme-y", "--name": "Y", "--kind": "cii", "--province": "140000"}
    opts.pop(missing)
    r = cirs("org", "add", *[x for kv in opts.items() for x in kv], env={"CIRS_DB": ""})
    assert r.code == 2
    assert f"[missing_field] {missing[2:]}" in r.err, r.err


# ---- authority add ------------------------------------------------------------------------------------------------------

def test_authority_add_with_parent(demo_db):
    r = cirs("authority", "add", "--db", demo_db, "--code", "energy-regulator-sx", "--type", "sector_regulator", "--name", "山西能源监管办",
             "--name-en", "Shanxi Energy Regulatory Office", "--province", "140000", "--sector", "energy", "--parent", "national-cac", "--json")
    assert r.code == 0, r.err
    aid = r.json()["id"]
    assert sql(demo_db, f"SELECT a.type, p.code FROM authorities a JOIN authorities p ON p.id = a.parent_id WHERE a.id={aid}") == \
        "sector_regulator|national-cac"
    assert sql(demo_db, "SELECT type, entity, entity_id FROM events ORDER BY id DESC LIMIT 1") == f"authority.created|authority|{aid}"
    assert cirs("audit", "verify", "--db", demo_db).code == 0


@pytest.mark.parametrize("args, code, field", [
    (["--code", "cac-140000", "--type", "provincial_cac"], "conflict", "code"),
    (["--code", "x-1", "--type", "police"], "bad_value", "type"),
    (["--code", "x-1", "--type", "provincial_cac", "--parent", "no-such-body"], "not_found", "parent"),
    (["--code", "x-1", "--type", "provincial_cac", "--province", "1400"], "bad_value", "province"),
    (["--code", "x-1"], "missing_field", "type"),
])
def test_authority_add_errors(demo_db, args, code, field):
    n = int(sql(demo_db, "SELECT count(*) FROM authorities"))
    r = cirs("authority", "add", "--db", demo_db, "--name", "某机构", *args)
    assert r.code == 2, r.err
    assert f"[{code}] {field}:" in r.err, r.err
    assert int(sql(demo_db, "SELECT count(*) FROM authorities")) == n


# ---- user add ---------------------------------------------------------------------------------------------------------------

def test_user_add_hashes_password_and_records_event(demo_db):
    r = add_user(demo_db, "alice", "operator_admin", "--org", "shanxi-grid", "--email", "alice@shanxi-grid.example.cn", "--json")
    assert r.code == 0, r.err
    u = r.json()
    assert u["username"] == "alice" and u["organisation"] == "shanxi-grid" and u["authority"] is None and "password" not in r.out
    h = sql(demo_db, "SELECT password_hash FROM users WHERE username='alice'")
    assert h.startswith("$argon2id$") and PASSWORD not in h
    payload = sql(demo_db, "SELECT payload FROM events WHERE type='user.created' ORDER BY id DESC LIMIT 1")
    assert "alice" in payload and PASSWORD not in payload and "argon2" not in payload
    # Authority roles take --authority; auditor and system_admin take neither.
    assert add_user(demo_db, "bob", "duty_officer", "--authority", "cac-110000").code == 0
    assert add_user(demo_db, "carol", "auditor").code == 0
    assert sql(demo_db, "SELECT a.code FROM users u JOIN authorities a ON a.id = u.authority_id WHERE username='bob'") == "cac-110000"


@pytest.mark.parametrize("role, extra, password, code, field", [
    ("king", [], PASSWORD, "bad_value", "role"),
    ("operator_reporter", [], PASSWORD, "missing_field", "org"),
    ("authority_officer", [], PASSWORD, "missing_field", "authority"),
    ("auditor", ["--org", "shanxi-grid"], PASSWORD, "bad_value", "org"),
    ("operator_reporter", ["--org", "shanxi-grid", "--authority", "cac-140000"], PASSWORD, "bad_value", "authority"),
    ("operator_reporter", ["--org", "no-such-org"], PASSWORD, "not_found", "org"),
    ("duty_officer", ["--authority", "no-such-body"], PASSWORD, "not_found", "authority"),
    ("operator_reporter", ["--org", "shanxi-grid"], "short-pw1", "bad_value", "password"),  # 9 characters
    ("operator_reporter", ["--org", "shanxi-grid"], "", "missing_field", "password"),
    ("operator_reporter", ["--org", "shanxi-grid"], "p" * 300, "too_large", "password"),
    ("operator_reporter", ["--org", "shanxi-grid", "--email", "x@"], PASSWORD, "bad_value", "email"),
])
def test_user_add_rejects(demo_db, role, extra, password, code, field):
    n = int(sql(demo_db, "SELECT count(*) FROM users"))
    r = add_user(demo_db, "dave", role, *extra, password=password + "\n")
    assert r.code == 2, r.err
    assert f"[{code}] {field}:" in r.err, r.err
    assert int(sql(demo_db, "SELECT count(*) FROM users")) == n


def test_user_add_duplicate_username_is_conflict(demo_db):
    n = events(demo_db, "user.created")
    r = add_user(demo_db, "reporter", "operator_reporter", "--org", "shanxi-grid")
    assert r.code == 2 and "[conflict] username" in r.err
    assert events(demo_db, "user.created") == n


def test_user_add_needs_password_stdin(demo_db):
    r = cirs("user", "add", "--db", demo_db, "--username", "erin", "--name", "Erin", "--role", "auditor")
    assert r.code == 2 and "[missing_field] password-stdin" in r.err


def test_password_ten_characters_counted_not_bytes(demo_db):
    # Nine Chinese characters are 27 bytes but still too short; ten are enough.
    assert add_user(demo_db, "frank", "auditor", password="一二三四五六七八九\n").code == 2
    assert add_user(demo_db, "frank", "auditor", password="一二三四五六七八九十\r\n").code == 0


# ---- help -----------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cmd", [["org", "add"], ["authority", "add"], ["user", "add"], ["token", "revoke"], ["token", "list"], ["serve"]])
def test_help_in_both_languages(cmd):
    zh = cirs(*cmd, "--help", env={"LANG": "zh_CN.UTF-8"})
    en = cirs(*cmd, "--help")
    assert zh.code == 0 and en.code == 0
    assert "用法" in zh.out and "Usage" in en.out and "--db" in en.out


# ---- the records in use: token create, serve with a config file, login, revoke ---------------------------------------------

def test_added_user_gets_token_logs_in_over_http_and_revoke_locks_token_out(demo_db, tmp_path):
    assert add_org(demo_db, "acme-power").code == 0
    assert add_user(demo_db, "alice", "operator_reporter", "--org", "acme-power").code == 0
    tok = cirs("token", "create", "--db", demo_db, "--user", "alice", "--name", "siem")
    assert tok.code == 0, tok.err
    token = tok.out.strip()
    port = free_port()
    ini = tmp_path / "cirs.ini"
    ini.write_text(f"; test configuration\n[server]\nlisten = 127.0.0.1:{port}\ndb = {demo_db}\nworkers = 2\n")
    with serve(tmp_path, port, "--config", ini) as url:
        r = requests.post(url + "/api/v1/session", json={"username": "alice", "password": PASSWORD}, timeout=30)
        assert r.status_code == 201, r.text
        assert r.json()["user"]["organisation"] == "acme-power"
        assert requests.post(url + "/api/v1/session", json={"username": "alice", "password": PASSWORD + "x"}, timeout=30).status_code == 401
        bearer = {"Authorization": "Bearer " + token}
        r = requests.get(url + "/api/v1/session", headers=bearer, timeout=10)
        assert r.status_code == 200 and r.json()["user"]["username"] == "alice", r.text
        listed = cirs("token", "list", "--db", demo_db, "--user", "alice", "--json").json()
        assert [(t["id"], t["name"], t["revoked_ms"]) for t in listed] == [(listed[0]["id"], "siem", None)]
        assert token not in cirs("token", "list", "--db", demo_db).out
        rv = cirs("token", "revoke", "--db", demo_db, "--id", listed[0]["id"], "--json")
        assert rv.code == 0, rv.err
        assert rv.json()["username"] == "alice"
        r = requests.get(url + "/api/v1/session", headers=bearer, timeout=10)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    listed = cirs("token", "list", "--db", demo_db, "--json").json()
    assert isinstance(listed[0]["revoked_ms"], int)
    assert "revoked" in cirs("token", "list", "--db", demo_db).out
    # A second revoke, an unknown id and a malformed id.
    assert "[not_found] id" in cirs("token", "revoke", "--db", demo_db, "--id", listed[0]["id"]).err
    assert "[not_found] id" in cirs("token", "revoke", "--db", demo_db, "--id", 99999).err
    assert "[bad_value] id" in cirs("token", "revoke", "--db", demo_db, "--id", "1x").err
    assert "[not_found] user" in cirs("token", "list", "--db", demo_db, "--user", "ghost").err
    assert events(demo_db, "token.revoked") == 1
    assert cirs("audit", "verify", "--db", demo_db).code == 0


# ---- serve configuration ---------------------------------------------------------------------------------------------------

def test_flag_and_environment_override_config_file(demo_db, tmp_path):
    ports = set()
    while len(ports) < 3:   # three different ports (the kernel may hand out a freed one again)
        ports.add(free_port())
    file_port, env_port, flag_port = sorted(ports)
    ini = tmp_path / "cirs.ini"
    ini.write_text(f"[server]\nlisten = 127.0.0.1:{file_port}\ndb = {tmp_path / 'absent.db'}\nworkers = 3\n")
    # The environment beats the file (db, listen); a flag beats both (listen).
    env = {"CIRS_CONFIG": str(ini), "CIRS_DB": str(demo_db), "CIRS_LISTEN": f"127.0.0.1:{env_port}"}
    with serve(tmp_path, flag_port, "--listen", f"127.0.0.1:{flag_port}", env=env) as url:
        assert requests.get(url + "/healthz", timeout=5).status_code == 200
        for p in (file_port, env_port):
            with pytest.raises(requests.ConnectionError):
                requests.get(f"http://127.0.0.1:{p}/healthz", timeout=2)
    # --config beats CIRS_CONFIG; the file's own values apply when nothing overrides them.
    ini2 = tmp_path / "other.ini"
    ini2.write_text(f"[server]\nlisten = 127.0.0.1:{file_port}\ndb = {demo_db}\n")
    with serve(tmp_path, file_port, "--config", ini2, env={"CIRS_CONFIG": str(tmp_path / "missing.ini")}) as url:
        assert requests.get(url + "/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize("text, line, code", [
    ("[server]\nlisten = 127.0.0.1:8080\ncolour = blue\n", 3, "unknown_field"),
    ("; comment\n[database]\npath = x\n", 2, "unknown_field"),
    ("db = x.db\n", 1, "unknown_field"),
    ("[server]\nworkers = 0\n", 2, "bad_value"),
    ("[server]\nworkers = 4x\n", 2, "bad_value"),
    ("[server]\nlisten = localhost\n", 2, "bad_value"),
    ("[server]\ndb = a.db\ndb = b.db\n", 3, "bad_value"),
    ("[server]\n\nthis is not ini\n", 3, "bad_value"),
    ("[server]\ndb = " + "x" * 300 + "\n", 2, "too_large"),
    ("[notify]\nsmtp_url = http://mail.example.cn\n", 2, "bad_value"),
    ("[notify]\nlisten = 127.0.0.1:8080\n", 2, "unknown_field"),
    ("[server]\nsmtp_url = smtp://mail.example.cn:25\n", 2, "unknown_field"),
    ("[notify]\nreminders = 50%,soon\n", 2, "bad_value"),
    ("[notify]\nretry_max = 0\n", 2, "bad_value"),
    ("[notify]\nsmtp_starttls = maybe\n", 2, "bad_value"),
    ("[notify]\nsmtp_from = cirs@example.cn\nsmtp_from = b@example.cn\n", 3, "bad_value"),
])
def test_config_file_errors_name_file_and_line(tmp_path, demo_db, text, line, code):
    ini = tmp_path / "bad.ini"
    ini.write_text(text)
    r = cirs("serve", "--config", ini, "--db", demo_db, "--listen", f"127.0.0.1:{free_port()}")
    assert r.code == 2, r.err
    assert f"[{code}] {ini}:{line}:" in r.err, r.err


def test_bad_values_from_flags_and_environment_name_their_source(demo_db):
    r = cirs("serve", "--db", demo_db, "--workers", "129")
    assert r.code == 2 and "[bad_value] --workers:" in r.err
    r = cirs("serve", "--db", demo_db, env={"CIRS_LISTEN": "127.0.0.1:99999"})
    assert r.code == 2 and "[bad_value] CIRS_LISTEN:" in r.err
    r = cirs("serve", "--config", "/nonexistent/cirs.ini", "--db", demo_db)
    assert r.code == 1 and "/nonexistent/cirs.ini" in r.err


def test_notify_settings_from_flags_and_environment_are_checked(demo_db):
    r = cirs("serve", "--db", demo_db, "--reminders", "50%,15x")
    assert r.code == 2 and "[bad_value] --reminders:" in r.err, r.err
    r = cirs("serve", "--db", demo_db, env={"CIRS_SMTP_STARTTLS": "perhaps"})
    assert r.code == 2 and "[bad_value] CIRS_SMTP_STARTTLS:" in r.err, r.err
    r = cirs("serve", "--db", demo_db, "--smtp-url", "ftp://x")
    assert r.code == 2 and "[bad_value] --smtp-url:" in r.err, r.err


def test_example_config_is_valid(tmp_path, demo_db):
    """docs/cirs.example.ini parses; only its db and listen are replaced by flags."""
    from conftest import ROOT
    port = free_port()
    with serve(tmp_path, port, "--config", ROOT / "docs" / "cirs.example.ini", "--db", demo_db, "--listen", f"127.0.0.1:{port}") as url:
        assert requests.get(url + "/healthz", timeout=5).json()["status"] == "ok"
