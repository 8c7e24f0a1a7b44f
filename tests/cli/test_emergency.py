"""`cirs warning …`, `cirs response …`, `cirs contacts …` (issue 5): the same powers as the API, and the duty contact
lists (seed 002 appendix 8.4 as demo data) in and out as CSV."""
import csv
import io
import json

from conftest import cirs, report, sql


def read_csv(text):
    assert text.startswith("\ufeff")   # BOM: Excel opens the Chinese correctly
    return list(csv.reader(io.StringIO(text[1:])))


def test_demo_contacts_are_the_seed_table(demo_db):
    r = cirs("contacts", "export", "--db", demo_db, "--authority", "jc-command")
    assert r.code == 0, r.err
    rows = read_csv(r.out)
    assert rows[0] == ["单位", "值班电话", "联系人", "手机", "邮箱", "备注"]
    assert len(rows) == 29 and rows[1][:2] == ["省委办公室", "0351-4045001"] and ["市公安局", "3010100", "", "", "", ""] in rows


def test_import_seed_layout_round_trips_and_bad_rows_import_nothing(demo_db, tmp_path):
    # The appendix's layout: two (unit, phone) pairs per row.
    seed = tmp_path / "seed.csv"
    seed.write_text("单位,值班电话,单位,值班电话\n市委办公室,2062298,市外事办,2198848\n\"市政府办公室\",2198345,市市场监管局,2022239\n", encoding="utf-8")
    r = cirs("contacts", "import", "--db", demo_db, "--authority", "cac-140000", seed, "--json")
    assert r.code == 0 and r.json()["imported"] == 4, r.err
    out = tmp_path / "out.csv"
    assert cirs("contacts", "export", "--db", demo_db, "--authority", "cac-140000", "-o", out).code == 0
    rows = read_csv(out.read_text(encoding="utf-8"))
    assert [r[:2] for r in rows[1:]] == [["市委办公室", "2062298"], ["市外事办", "2198848"], ["市政府办公室", "2198345"], ["市市场监管局", "2022239"]]
    # Re-importing the export (English header also accepted) gives the same list; a bad row imports nothing.
    assert cirs("contacts", "import", "--db", demo_db, "--authority", "cac-140000", out).code == 0
    assert sql(demo_db, "SELECT count(*) FROM duty_contacts WHERE authority_id = (SELECT id FROM authorities WHERE code = 'cac-140000')") == "4"
    bad = tmp_path / "bad.csv"
    bad.write_text("unit,duty_phone,note\n值班室,0351-1234567,\"有逗号, 和引号\"\"\"\n指挥部,call me,\n", encoding="utf-8")
    r = cirs("contacts", "import", "--db", demo_db, "--authority", "cac-140000", bad)
    assert r.code == 2 and "contacts[1].duty_phone" in r.err, r.err
    assert sql(demo_db, "SELECT count(*) FROM duty_contacts WHERE authority_id = (SELECT id FROM authorities WHERE code = 'cac-140000')") == "4"
    r = cirs("contacts", "import", "--db", demo_db, "--authority", "cac-140000", tmp_path / "seed.csv", "--json")
    unknown = tmp_path / "unknown.csv"
    unknown.write_text("单位,传真\nx,1\n", encoding="utf-8")
    r = cirs("contacts", "import", "--db", demo_db, "--authority", "cac-140000", unknown)
    assert r.code == 2 and "传真" in r.err
    assert cirs("contacts", "export", "--db", demo_db, "--authority", "nope").code == 2


def test_warning_and_response_commands_act_with_the_users_powers(demo_db, tmp_path):
    w = tmp_path / "w.json"
    w.write_text(json.dumps({"level": "red", "title": "命令行预警", "matters": "测试", "scope": {"provinces": ["140000"]}}, ensure_ascii=False))
    r = cirs("warning", "issue", "--db", demo_db, "--user", "officer", w)
    assert r.code != 0 and "[forbidden]" in r.err, r.err              # a province issues orange at most
    w.write_text(json.dumps({"level": "orange", "title": "命令行预警", "matters": "测试", "scope": {"provinces": ["140000"]}}, ensure_ascii=False))
    r = cirs("warning", "issue", "--db", demo_db, "--user", "officer", w)
    assert r.code == 0, r.err
    ref = r.json()["ref"]
    r = cirs("warning", "list", "--db", demo_db)
    assert r.code == 0 and ref in r.out and "orange" in r.out
    assert cirs("warning", "lift", "--db", demo_db, "--user", "national", ref).code == 2          # --reason is required
    r = cirs("warning", "lift", "--db", demo_db, "--user", "reporter-jc", "--reason", "x", ref)
    assert r.code != 0 and "[forbidden]" in r.err
    r = cirs("warning", "lift", "--db", demo_db, "--user", "officer", "--reason", "已处置", ref)
    assert r.code == 0 and r.json()["status"] == "lifted"
    assert cirs("warning", "show", "--db", demo_db, ref).json()["lift_reason"] == "已处置"
    # A response over an incident the officer's authority received.
    r = cirs("report", "submit", "--db", demo_db, "--org", "jc-hengtai", report(tmp_path))
    assert r.code == 0, r.err
    inc = sql(demo_db, "SELECT ref FROM incidents ORDER BY id DESC LIMIT 1")
    body = tmp_path / "r.json"
    body.write_text(json.dumps({"level": "II", "title": "命令行响应", "incidents": [inc]}, ensure_ascii=False))
    r = cirs("response", "start", "--db", demo_db, "--user", "officer", body)
    assert r.code == 0, r.err
    resp = r.json()["ref"]
    r = cirs("response", "end", "--db", demo_db, "--user", "national", "--summary", "x", resp)
    assert r.code != 0 and "[forbidden]" in r.err                    # whoever starts it ends it
    r = cirs("response", "end", "--db", demo_db, "--user", "officer", "--summary", "处置完毕", resp)
    assert r.code == 0 and r.json()["status"] == "ended"
    shown = cirs("response", "show", "--db", demo_db, resp).json()
    assert shown["incidents"][0]["ref"] == inc and shown["summary"] == "处置完毕"
    assert sql(demo_db, f"SELECT count(*) FROM obligations WHERE kind = 'investigation' AND response_id = {shown['id']}") == "1"
    assert cirs("audit", "verify", "--db", demo_db).code == 0


def test_help_in_both_languages():
    for cmd in (["warning", "issue"], ["response", "end"], ["contacts", "import"]):
        zh = cirs(*cmd, "--help", env={"LANG": "zh_CN.UTF-8"})
        en = cirs(*cmd, "--help")
        assert zh.code == en.code == 0 and zh.out != en.out and "--db" in en.out


def test_city_of_organisations_and_authorities(demo_db):
    r = cirs("org", "add", "--db", demo_db, "--code", "jc-new", "--name", "晋城新运营者", "--kind", "other", "--province", "140000", "--city", "140500")
    assert r.code == 0, r.err
    assert sql(demo_db, "SELECT city FROM organisations WHERE code = 'jc-new'") == "140500"
    assert sql(demo_db, "SELECT json_extract(payload, '$.city') FROM events WHERE type = 'organisation.created' ORDER BY id DESC LIMIT 1") == "140500"
    for city in ("110100", "140000", "140502", "14050"):   # another province, a province, a county, too short
        r = cirs("org", "add", "--db", demo_db, "--code", "jc-bad", "--name", "x", "--kind", "other", "--province", "140000", "--city", city)
        assert r.code == 2 and "city" in r.err, (city, r.err)
    r = cirs("authority", "add", "--db", demo_db, "--code", "ty-command", "--type", "city_command_office", "--name", "太原市指挥部办公室",
             "--province", "140000", "--city", "140100", "--parent", "cac-140000")
    assert r.code == 0, r.err
    assert sql(demo_db, "SELECT city FROM authorities WHERE code = 'ty-command'") == "140100"
