"""`cirs export` and `cirs import`, black-box: real SQLite files, the real binary, the output read back with Python's csv
and json modules; STIX and MISP validated against the third-party schemas in ../shared/fixtures (ajv from npm under
tests/export/), skipped with a message when the fixtures are absent."""
import csv
import io
import json
import pathlib
import shutil
import subprocess
import time

import pytest

from conftest import ROOT, cirs, sql

FIXTURES = ROOT.parent / "shared" / "fixtures"
EXPORT_TOOLS = ROOT / "tests" / "export"
BOM = b"\xef\xbb\xbf"


def now_minus(minutes):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60 * minutes))


def doc(**over):
    d = json.loads((ROOT / "docs" / "examples" / "report-ransomware.json").read_text())
    d.pop("occurred_at")
    d["aware_at"] = now_minus(30)
    d.update(over)
    return d


TRICKY_TITLE = '勒索软件，"加密"调度\n第二行, with comma'
TRICKY_IMPACT = '调度中断 6 小时，影响 "华北" 电网\r\n运行；损失待查'


def submit(db, tmp_path, org, name, **over):
    p = tmp_path / name
    p.write_text(json.dumps(doc(**over), ensure_ascii=False))
    r = cirs("report", "submit", "--db", db, "--org", org, "--json", p)
    assert r.code == 0, r.err
    return r.json()["ref"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A demo database with incidents of three operators; the first carries every awkward kind of text."""
    tmp = tmp_path_factory.mktemp("export")
    db = tmp / "x.db"
    assert cirs("init", "--db", db, "--demo").code == 0
    content = dict(doc()["content"], impact=TRICKY_IMPACT, measures_taken="=HYPERLINK(\"http://evil.example/\",\"点我\")",
                   attacker="C2 地址 203.0.113.7 与 http://evil.example.com/payload?id=1'x，样本 MD5 d41d8cd98f00b204e9800998ecf8427e；"
                            "SHA256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                   cause="+cmd|' /C calc'!A0", contact="@SUM(1+1)", place="-2+3")
    facts = {"cii_outage_min": 400, "pi_leaked_persons": 12000, "direct_loss_cny": 2500000, "people_affected": 3000,
             "ransom": {"amount": 50, "currency": "BTC", "method": "比特币钱包", "demanded_at": now_minus(40)}}
    refs = {
        "grid": submit(db, tmp, "shanxi-grid", "a.json", title=TRICKY_TITLE, content=content, facts=facts),
        "grid2": submit(db, tmp, "shanxi-grid", "b.json", title="调度主站异常登录", category="NACRED", facts={}, declared_grade="较大",
                        declared_reason="影响调度安全"),
        "bj": submit(db, tmp, "bj-yunfan", "c.json", title="北京云帆网页篡改", category="NAWEBMOD", facts={}, declared_grade="较大",
                     declared_reason="首页被篡改"),
        "bank": submit(db, tmp, "huhai-bank", "d.json", title="沪海银行数据泄露", category="DSDATALEAK", facts={"pi_leaked_persons": 5000}, drill=True),
    }
    return {"db": db, "tmp": tmp, "refs": refs}


def export(world, *args, out=None):
    out = out or world["tmp"] / "out.bin"
    r = cirs("export", "--db", world["db"], *args, "-o", out)
    assert r.code == 0, r.err
    return out.read_bytes()


def rows(data):
    assert data.startswith(BOM)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def routed_refs(db, authority):
    return set(sql(db, "SELECT DISTINCT i.ref FROM incident_routes r JOIN incidents i ON i.id = r.incident_id JOIN authorities a ON a.id = r.authority_id"
                       f" WHERE a.code = '{authority}'").split())


# ---- command line ---------------------------------------------------------------------------------------------

def test_help_in_both_languages():
    for cmd in ("export", "import"):
        zh = cirs(cmd, "--help", env={"LANG": "zh_CN.UTF-8"})
        en = cirs(cmd, "--help", "--lang", "en")
        assert zh.code == 0 and en.code == 0
        assert "用法" in zh.out and "Usage" in en.out
    assert "STIX 2.1" in en.out or "STIX" in cirs("export", "--help", "--lang", "en").out
    assert "--format" in cirs("export", "--help").out and "--dry-run" in cirs("import", "--help").out


@pytest.mark.parametrize("args,field", [
    ((), "format"),
    (("--format", "xml"), "format"),
    (("--format", "stix", "--what", "obligations"), "what"),
    (("--format", "csv", "--what", "things"), "what"),
    (("--format", "csv", "--org", "shanxi-grid", "--authority", "cac-140000"), "authority"),
    (("--format", "csv", "--subtree"), "subtree"),
    (("--format", "csv", "--status", "done"), "status"),
    (("--format", "csv", "--grade", "huge"), "grade"),
    (("--format", "csv", "--drill", "maybe"), "drill"),
    (("--format", "csv", "--from", "yesterday"), "from"),
    (("--format", "csv", "--org", "nobody"), "org"),
    (("--format", "csv", "--authority", "nobody"), "authority"),
    (("--format", "csv", "--incident", "CIRS-1999-000001"), "incident"),
])
def test_usage_errors_name_the_option(world, args, field):
    r = cirs("export", "--db", world["db"], *args)
    assert r.code == 2, (r.out, r.err)
    assert f" {field}:" in r.err, r.err
    assert r.out == ""


def test_failed_export_leaves_no_file(world):
    out = world["tmp"] / "none.csv"
    r = cirs("export", "--db", world["db"], "--format", "stix", "--what", "obligations", "-o", out)
    assert r.code == 2 and not out.exists()
    assert not list(world["tmp"].glob("none.csv.tmp-*"))


# ---- scope ----------------------------------------------------------------------------------------------------

def test_operator_export_holds_only_its_own_incidents(world):
    got = rows(export(world, "--format", "csv", "--org", "shanxi-grid", "--lang", "en"))
    assert {r["ref"] for r in got} == {world["refs"]["grid"], world["refs"]["grid2"]}
    assert {r["organisation"] for r in got} == {"shanxi-grid"}
    j = json.loads(export(world, "--format", "json", "--org", "bj-yunfan"))
    assert [i["ref"] for i in j["items"]] == [world["refs"]["bj"]] and j["count"] == 1


def test_authority_export_holds_what_was_routed_to_it(world):
    db = world["db"]
    for code in ("cii-energy", "cac-110000", "ps-140000"):
        got = {r["ref"] for r in rows(export(world, "--format", "csv", "--authority", code, "--lang", "en"))}
        assert got == routed_refs(db, code) and got, code
    assert world["refs"]["bj"] not in {r["ref"] for r in rows(export(world, "--format", "csv", "--authority", "cii-energy", "--lang", "en"))}


def test_subtree_adds_the_authorities_below(world):
    db = world["db"]
    below = set(sql(db, "SELECT i.ref FROM incidents i WHERE EXISTS (SELECT 1 FROM incident_routes r JOIN authorities a ON a.id = r.authority_id"
                        " WHERE r.incident_id = i.id AND a.parent_id = (SELECT id FROM authorities WHERE code = 'national-cac'))").split())
    assert below, "some incident reached a provincial CAC"
    direct = {r["ref"] for r in rows(export(world, "--format", "csv", "--authority", "national-cac", "--lang", "en"))}
    sub = {r["ref"] for r in rows(export(world, "--format", "csv", "--authority", "national-cac", "--subtree", "--lang", "en"))}
    assert direct == routed_refs(db, "national-cac")
    assert below <= sub and direct <= sub and sub - direct


def test_filters(world):
    def refs(*a):
        return [r["ref"] for r in rows(export(world, "--format", "csv", "--lang", "en", *a))]
    assert refs("--category", "NA") == [world["refs"]["grid2"], world["refs"]["bj"]]
    assert refs("--drill", "only") == [world["refs"]["bank"]]
    assert world["refs"]["bank"] not in refs("--drill", "real")
    assert refs("--from", "2000-01-01", "--to", "2000-01-02") == []
    assert refs("--status", "open") == list(world["refs"].values())
    assert refs("--incident", world["refs"]["bj"]) == [world["refs"]["bj"]]
    assert refs("--grade", "特别重大", "--org", "shanxi-grid") == [r["ref"] for r in rows(export(world, "--format", "csv", "--lang", "en", "--org", "shanxi-grid")) if r["grade"] == "特别重大"]


# ---- CSV ------------------------------------------------------------------------------------------------------

def test_csv_bom_quoting_and_round_trip(world):
    data = export(world, "--format", "csv", "--org", "shanxi-grid", "--lang", "en")
    assert data.startswith(BOM) and b"\r\n" in data
    got = {r["ref"]: r for r in rows(data)}
    row = got[world["refs"]["grid"]]
    assert row["title"] == TRICKY_TITLE                                  # comma, quotes, newline, Chinese
    assert row["impact"] == TRICKY_IMPACT                                # CRLF inside a cell survives
    assert row["organisation_name"] == "国网山西省电力公司"
    assert row["aware_at"].endswith("+08:00") and row["versions"] == "1"
    assert json.loads(row["facts"])["pi_leaked_persons"] == 12000
    assert 'rsit:malicious-code="infected-system"' in row["rsit"]
    # the raw text quotes exactly the cells that need it, quotes doubled
    assert '"勒索软件，""加密""调度\n第二行, with comma"'.encode() in data


def test_csv_guards_against_formula_injection(world):
    row = {r["ref"]: r for r in rows(export(world, "--format", "csv", "--org", "shanxi-grid", "--lang", "en"))}[world["refs"]["grid"]]
    assert row["measures_taken"] == "'=HYPERLINK(\"http://evil.example/\",\"点我\")"
    assert row["cause"] == "'+cmd|' /C calc'!A0"
    assert row["contact"] == "'@SUM(1+1)"
    assert row["place"] == "'-2+3"
    for r in rows(export(world, "--format", "csv", "--lang", "en")):
        for v in r.values():
            assert not v or v[0] not in "=+-@\t\r", v


def test_csv_headers_follow_the_language(world):
    zh = rows(export(world, "--format", "csv", "--org", "bj-yunfan", "--lang", "zh"))
    assert {"事件编号", "事件名称", "报告单位", "发现时间"} <= set(zh[0])
    assert zh[0]["事件名称"] == "北京云帆网页篡改"


def test_csv_one_row_per_obligation(world):
    db = world["db"]
    got = rows(export(world, "--format", "csv", "--what", "obligations", "--org", "shanxi-grid", "--lang", "en"))
    n = int(sql(db, "SELECT count(*) FROM obligations b JOIN incidents i ON i.id = b.incident_id JOIN organisations o ON o.id = i.organisation_id"
                    " WHERE o.code = 'shanxi-grid'"))
    assert len(got) == n and n > 0
    assert {r["incident_ref"] for r in got} == {world["refs"]["grid"], world["refs"]["grid2"]}
    assert {r["status"] for r in got} <= {"pending", "met", "late", "overdue", "waived"}
    assert all(r["kind"] and r["regime"] for r in got)
    j = json.loads(export(world, "--format", "json", "--what", "obligations", "--org", "shanxi-grid"))
    assert j["what"] == "obligations" and j["count"] == n and len(j["items"]) == n


def test_json_export_to_stdout(world):
    r = cirs("export", "--db", world["db"], "--format", "json")
    assert r.code == 0, r.err
    j = json.loads(r.out)
    assert j["format"] == "cirs-export" and j["count"] == 4 == len(j["items"])
    grid = next(i for i in j["items"] if i["ref"] == world["refs"]["grid"])
    assert grid["title"] == TRICKY_TITLE and grid["reports"][0]["content"]["impact"] == TRICKY_IMPACT
    assert grid["rsit"] and grid["obligations"]


# ---- STIX and MISP ----------------------------------------------------------------------------------------------

def need_fixtures():
    if not (FIXTURES / "stix2" / "schemas").is_dir():
        pytest.skip(f"third-party fixtures not found at {FIXTURES} (a clone without ../shared/fixtures): schema validation skipped")


def node_validate(kind, *files):
    need_fixtures()
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node/npm not installed: schema validation skipped")
    if not (EXPORT_TOOLS / "node_modules" / "ajv").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=EXPORT_TOOLS, check=True, capture_output=True, timeout=600)
    p = subprocess.run(["node", str(EXPORT_TOOLS / "validate.js"), kind, str(FIXTURES), *map(str, files)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_stix_bundle_validates_and_carries_the_incident_extension(world):
    out = world["tmp"] / "b.stix.json"
    b = json.loads(export(world, "--format", "stix", out=out))
    assert "ok 1" in node_validate("stix", out)
    assert b["type"] == "bundle"
    by_type = {}
    for o in b["objects"]:
        by_type.setdefault(o["type"], []).append(o)
    assert len(by_type["incident"]) == 4
    orgs = {o["name"] for o in by_type["identity"]}
    assert {"国网山西省电力公司", "北京云帆网络科技有限公司", "沪海商业银行股份有限公司"} <= orgs
    inc = next(o for o in by_type["incident"] if o["external_references"][0]["external_id"] == world["refs"]["grid"])
    assert inc["name"] == TRICKY_TITLE
    ext = inc["extensions"]["extension-definition--ef765651-680c-498d-9894-99799f2fa126"]
    assert ext["extension_type"] == "property-extension"
    assert ext["determination"] in {"blocked", "failed-attempt", "false-positive", "low-value", "successful-attempt", "suspected"}
    assert ext["investigation_status"] == "open" and ext["criticality"] == 100
    assert ext["impacted_entity_counts"] == {"individuals": 3000}
    assert ext["confidentiality_impacts"][0] == {**ext["confidentiality_impacts"][0], "information_type": "pii", "record_count": 12000}
    money = {m["variety"]: m for m in ext["monetary_impacts"]}
    assert money["direct-loss"]["currency"] == "CNY" and money["direct-loss"]["max_amount"] == 2500000
    assert money["ransom-demand"]["currency"] == "BTC" and money["ransom-demand"]["min_amount"] == 50
    assert ext["availability_impacts"][0]["availability_impact"] == 100
    assert inc["created_by_ref"] in {o["id"] for o in by_type["identity"]}
    # indicators from the report, each related to its incident
    patterns = {o["pattern"] for o in by_type["indicator"]}
    assert "[ipv4-addr:value = '203.0.113.7']" in patterns
    assert "[url:value = 'http://evil.example.com/payload?id=1\\'x']" in patterns
    assert "[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']" in patterns
    assert "[file:hashes.'SHA-256' = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']" in patterns
    rels = {(r["source_ref"], r["target_ref"]) for r in by_type["relationship"]}
    assert all((i["id"], inc["id"]) in rels for i in by_type["indicator"])
    drill = next(o for o in by_type["incident"] if o["external_references"][0]["external_id"] == world["refs"]["bank"])
    assert "drill" in drill["labels"] and 'rsit:test="test"' in drill["labels"]


def test_stix_ids_are_deterministic(world):
    a = json.loads(export(world, "--format", "stix"))
    b = json.loads(export(world, "--format", "stix"))
    assert [o["id"] for o in a["objects"]] == [o["id"] for o in b["objects"]]
    assert a["objects"] == b["objects"]
    one = json.loads(export(world, "--format", "stix", "--incident", world["refs"]["grid"]))
    inc = [o for o in one["objects"] if o["type"] == "incident"]
    assert len(inc) == 1 and inc[0] in a["objects"]
    # UUID v5 (RFC 9562) in the CIRS namespace: recomputable by anyone
    import uuid
    ns = uuid.UUID("9164103c-09b1-40d6-8b0e-a58fc689590f")
    assert inc[0]["id"] == "incident--" + str(uuid.uuid5(ns, f"incident:shanxi-grid:{world['refs']['grid']}"))


def test_empty_stix_bundle_is_still_valid(world):
    out = world["tmp"] / "empty.stix.json"
    b = json.loads(export(world, "--format", "stix", "--from", "2000-01-01", "--to", "2000-01-02", out=out))
    assert [o["type"] for o in b["objects"]] == ["identity"]
    node_validate("stix", out)


def rsit_tags():
    t = json.loads((FIXTURES / "misp" / "taxonomies" / "rsit" / "machinetag.json").read_text())
    return {f'rsit:{v["predicate"]}="{e["value"]}"' for v in t["values"] for e in v["entry"]}


def test_misp_events_validate_and_tags_exist(world):
    out = world["tmp"] / "m.misp.json"
    m = json.loads(export(world, "--format", "misp", out=out))
    assert "ok 4" in node_validate("misp", out)
    known = rsit_tags()
    events = [e["Event"] for e in m["response"]]
    assert len(events) == 4
    for ev in events:
        tags = [t["name"] for t in ev["Tag"]]
        rs = [t for t in tags if t.startswith("rsit:")]
        assert rs and set(rs) <= known, rs
        assert "tlp:amber" in tags
        assert int(ev["attribute_count"]) == len(ev["Attribute"])
    grid = next(e for e in events if world["refs"]["grid"] in e["info"])
    vals = {(a["type"], a["value"]) for a in grid["Attribute"]}
    assert ("ip-src", "203.0.113.7") in vals and ("md5", "d41d8cd98f00b204e9800998ecf8427e") in vals
    assert grid["threat_level_id"] == "1" and grid["Orgc"]["name"] == "国网山西省电力公司"
    bank = next(e for e in events if world["refs"]["bank"] in e["info"])
    assert {"name": 'rsit:information-content-security="data-leak"'} in bank["Tag"] and {"name": 'rsit:test="test"'} in bank["Tag"]


def test_misp_single_incident_is_one_event(world):
    out = world["tmp"] / "one.misp.json"
    m = json.loads(export(world, "--format", "misp", "--incident", world["refs"]["bj"], out=out))
    assert set(m) == {"Event"} and world["refs"]["bj"] in m["Event"]["info"]
    node_validate("misp", out)


def test_rsit_map_covers_every_category_with_real_tags():
    m = json.loads((ROOT / "data" / "rsit-map.json").read_text())
    tax = json.loads((ROOT / "rules" / "taxonomy-gbt20986.json").read_text())
    codes = {c["code"] for c in tax["categories"]} | {s["code"] for c in tax["categories"] for s in c.get("subcategories", [])}
    legacy = {x["code"] for x in tax["legacy"]["mappings"]}  # the GB/Z 20986-2007 names land on these codes
    assert codes | legacy <= set(m["categories"])
    need_fixtures()
    known = rsit_tags()
    for code, tags in m["categories"].items():
        assert tags and set(tags) <= known, (code, tags)
    assert set(m["default"]) <= known and set(m["drill"]) <= known


# ---- import ---------------------------------------------------------------------------------------------------

@pytest.fixture
def fresh(tmp_path):
    db = tmp_path / "i.db"
    assert cirs("init", "--db", db, "--demo").code == 0
    return db


def count(db):
    return int(sql(db, "SELECT count(*) FROM incidents"))


def write_jsonl(path, docs):
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs))
    return path


def test_import_jsonl_stores_every_row(fresh, tmp_path):
    f = write_jsonl(tmp_path / "good.jsonl", [doc(title=f"导入 {i}") for i in range(5)])
    r = cirs("import", "--db", fresh, "--org", "shanxi-grid", "--json", f)
    assert r.code == 0, r.err
    rep = r.json()
    assert rep["ok"] and rep["imported"] == 5 and count(fresh) == 5
    assert [i["row"] for i in rep["incidents"]] == [1, 2, 3, 4, 5]
    assert sql(fresh, "SELECT DISTINCT channel FROM report_versions") == "import"
    assert cirs("audit", "verify", "--db", fresh).code == 0


def test_import_with_one_bad_row_stores_nothing(fresh, tmp_path):
    docs = [doc(title="好的 1"), doc(title="坏的", aware_at="2025-13-01T00:00:00+08:00"), doc(title="好的 2")]
    bad = doc(title="缺影响")
    del bad["content"]["impact"]
    docs.append(bad)
    f = write_jsonl(tmp_path / "bad.jsonl", docs)
    r = cirs("import", "--db", fresh, "--org", "shanxi-grid", f)
    assert r.code == 2 and count(fresh) == 0
    assert "row 2 (line 2) aware_at: [bad_time]" in r.err, r.err
    assert "row 4 (line 4) content.impact: [missing_field]" in r.err
    r = cirs("import", "--db", fresh, "--org", "shanxi-grid", "--json", f)
    assert r.code == 2 and count(fresh) == 0
    rep = r.json()
    assert not rep["ok"] and rep["imported"] == 0 and rep["errors_total"] == 2
    assert [(e["row"], e["field"], e["code"]) for e in rep["errors"]] == [(2, "aware_at", "bad_time"), (4, "content.impact", "missing_field")]
    assert all(e["message"] for e in rep["errors"])
    assert int(sql(fresh, "SELECT count(*) FROM events WHERE type = 'incident.created'")) == 0


def test_import_rows_checked_like_the_api(fresh, tmp_path):
    f = tmp_path / "odd.jsonl"
    f.write_text("\n".join([
        json.dumps(doc(organisation="bj-yunfan")),         # only a duty officer names the organisation: unknown here
        "{not json",
        "[1, 2]",
        json.dumps(doc(category="NOSUCH")),
        "",                                                 # blank lines are skipped, not rows
        json.dumps(doc(title="x" * 201)),
        json.dumps(dict(doc(), **{"a": 1}, b=2)),
    ]) + "\n")
    rep = cirs("import", "--db", fresh, "--org", "shanxi-grid", "--json", f).json()
    got = [(e["row"], e["line"], e["code"], e["field"]) for e in rep["errors"]]
    assert got == [(1, 1, "unknown_field", "organisation"), (2, 2, "invalid_json", ""), (3, 3, "wrong_type", ""),
                   (4, 4, "unknown_category", "category"), (5, 6, "too_large", "title"), (6, 7, "unknown_field", "a")]
    assert count(fresh) == 0


CSV_TEXT = ("\ufeff事件名称,aware_at,category,受影响的设施、系统、平台,impact,facts.cii_outage_min,facts.ransom.amount,facts.ransom.currency,drill\r\n"
            '"勒索，""加密""\n两行",{t},MPRANS,调度主站,"中断 6 小时, 恢复中",400,50,BTC,否\r\n'
            "门户被篡改,{t},NAWEBMOD,门户网站,首页被篡改,,,,是\r\n"
            "\r\n")


def test_import_csv(fresh, tmp_path):
    f = tmp_path / "r.csv"
    f.write_text(CSV_TEXT.format(t=now_minus(20)), encoding="utf-8")
    r = cirs("import", "--db", fresh, "--org", "shanxi-grid", "--json", f)
    assert r.code == 0, r.out + r.err
    assert r.json()["imported"] == 2 and r.json()["format"] == "csv"
    titles = sql(fresh, "SELECT title || '|' || drill FROM incidents ORDER BY id")
    assert titles == '勒索，"加密"\n两行|0\n门户被篡改|1'
    facts = json.loads(sql(fresh, "SELECT json_extract(content, '$.facts') FROM report_versions ORDER BY id LIMIT 1"))
    assert facts == {"cii_outage_min": 400, "ransom": {"amount": 50, "currency": "BTC"}}
    # exported again, the CSV round-trips what was imported
    out = tmp_path / "back.csv"
    assert cirs("export", "--db", fresh, "--format", "csv", "--lang", "en", "-o", out).code == 0
    back = rows(out.read_bytes())
    assert [b["title"] for b in back] == ['勒索，"加密"\n两行', "门户被篡改"] and back[0]["impact"] == "中断 6 小时, 恢复中"


def test_import_csv_errors_name_row_and_column(fresh, tmp_path):
    f = tmp_path / "bad.csv"
    t = now_minus(20)
    f.write_text(f"title,aware_at,category,affected_system,impact\n好,{t},MPRANS,系统,影响\n坏,{t},MPRANS,系统\n"
                 f"坏2,not-a-time,MPRANS,系统,影响\n\"未闭合,{t},MPRANS,系统,影响\n", encoding="utf-8")
    rep = cirs("import", "--db", fresh, "--org", "shanxi-grid", "--json", f).json()
    assert [(e["row"], e["line"], e["code"], e["field"]) for e in rep["errors"]] == [
        (2, 3, "invalid_csv", ""), (3, 4, "bad_time", "aware_at"), (4, 5, "invalid_csv", "")]
    assert count(fresh) == 0
    f.write_text("title,colour\nx,y\n")
    r = cirs("import", "--db", fresh, "--org", "shanxi-grid", "--json", f)
    assert r.code == 2 and r.json()["errors"][0]["field"] == "colour" and r.json()["errors"][0]["code"] == "unknown_field"


def test_import_dry_run_and_file_errors(fresh, tmp_path):
    f = write_jsonl(tmp_path / "g.jsonl", [doc(), doc()])
    r = cirs("import", "--db", fresh, "--org", "shanxi-grid", "--dry-run", f)
    assert r.code == 0 and "2" in r.out and count(fresh) == 0
    r = cirs("import", "--db", fresh, "--org", "no-such-org", f)
    assert r.code == 2 and " org:" in r.err
    empty = tmp_path / "e.jsonl"
    empty.write_text("\n\n")
    r = cirs("import", "--db", fresh, "--org", "shanxi-grid", empty)
    assert r.code == 2 and " file:" in r.err
    assert cirs("import", "--db", fresh, "--org", "shanxi-grid").code == 2
    big = tmp_path / "many.jsonl"
    big.write_text("{}\n" * 10001)
    r = cirs("import", "--db", fresh, "--org", "shanxi-grid", big)
    assert r.code == 2 and "too_large" in r.err and count(fresh) == 0


def test_large_export_streams_with_progress(fresh, tmp_path):
    n = 1100
    f = write_jsonl(tmp_path / "many.jsonl", [doc(title=f"批量 {i}", facts={}, category="NASCAN") for i in range(n)])
    r = cirs("import", "--db", fresh, "--org", "jc-hengtai", f)
    assert r.code == 0, r.err
    out = tmp_path / "all.csv"
    r = cirs("export", "--db", fresh, "--format", "csv", "--lang", "en", "-o", out)
    assert r.code == 0 and "1000 incidents exported" in r.err and f"{n} incidents exported" in r.err
    assert len(rows(out.read_bytes())) == n
