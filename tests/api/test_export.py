"""GET /api/v1/export against the real `cirs serve`: each caller's export is exactly what GET /api/v1/incidents shows it
(the same scope, no rule of its own), with the right Content-Type and Content-Disposition; STIX and MISP answers validate
against the third-party schemas in ../shared/fixtures (skipped with a message when absent); authority exports are
access-logged; the route is in the OpenAPI document."""
import csv
import io
import json
import shutil
import subprocess
import time

import pytest

from apihelp import add_user, doc_grade, err, ok, walk
from conftest import ROOT, report_doc

FIXTURES = ROOT.parent / "shared" / "fixtures"
TOOLS = ROOT / "tests" / "export"
TITLE = '导出，"引号"\n换行'


@pytest.fixture(scope="module")
def W(server):
    add_user(server.db, "bjofficer", "authority_officer", authority="cac-110000")
    S = {u: server.login(u) for u in ("reporter", "reporter-bj", "reporter-jc", "officer", "bjofficer", "natcac", "national", "auditor")}
    refs = {}
    for who, d in (("reporter", report_doc(title=TITLE)), ("reporter-bj", doc_grade("北京数据泄露", "较大")),
                   ("reporter-jc", doc_grade("晋城数据泄露", "较大")), ("reporter-jc", doc_grade("晋城小事", "一般"))):
        r = ok(S[who].post(server.url + "/api/v1/incidents", json=d), 201)
        refs.setdefault(who, []).append(r["ref"])
    return {"S": S, "refs": refs, "url": server.url + "/api/v1/export"}


def listed(W, user):
    return [i["ref"] for i in walk(W["S"][user], W["url"].replace("/export", "/incidents"), 200)]


def csv_rows(r):
    assert r.content.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"), newline="")))


def get(W, user, **params):
    return W["S"][user].get(W["url"], params=params, headers={"Accept-Language": "en"})


@pytest.mark.parametrize("user", ["reporter", "reporter-bj", "reporter-jc", "officer", "bjofficer", "natcac", "national"])
def test_each_caller_exports_exactly_what_it_may_list(W, user):
    r = get(W, user, format="csv")
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/csv; charset=utf-8")
    assert r.headers["Content-Disposition"].startswith('attachment; filename="cirs-incidents-') and r.headers["Content-Disposition"].endswith('.csv"')
    assert [x["ref"] for x in csv_rows(r)] == listed(W, user)
    j = ok(get(W, user, format="json"))
    assert [i["ref"] for i in j["items"]] == listed(W, user)


def test_operator_sees_only_its_own_and_authority_what_was_routed(W):
    assert {x["organisation"] for x in csv_rows(get(W, "reporter", format="csv"))} == {"shanxi-grid"}
    bj = [x["ref"] for x in csv_rows(get(W, "bjofficer", format="csv"))]
    assert W["refs"]["reporter-bj"][0] in bj and not set(bj) & set(W["refs"]["reporter-jc"] + W["refs"]["reporter"])
    national = {x["ref"] for x in csv_rows(get(W, "national", format="csv"))}
    assert {r for v in W["refs"].values() for r in v} <= national


def test_csv_text_round_trips(W):
    row = csv_rows(get(W, "reporter", format="csv"))[-1]
    assert row["title"] == TITLE and row["ref"] == W["refs"]["reporter"][0]


def test_roles_and_errors(W):
    err(get(W, "auditor", format="csv"), 403, "forbidden")
    err(W["S"]["reporter"].get(W["url"]), 400, "missing_field", "format")
    err(get(W, "reporter", format="xlsx"), 400, "bad_value", "format")
    err(get(W, "reporter", format="stix", what="obligations"), 400, "bad_value", "what")
    err(get(W, "reporter", format="csv", status="gone"), 400, "bad_value", "status")
    err(get(W, "reporter", format="csv", **{"from": "yesterday"}), 400, "bad_time", "from")
    # another operator's incident is not there, exactly like one that does not exist
    err(get(W, "reporter", format="misp", ref=W["refs"]["reporter-bj"][0]), 404, "not_found")
    err(get(W, "reporter", format="misp", ref="CIRS-1999-000001"), 404, "not_found")


def test_obligations_csv(W):
    rows = csv_rows(get(W, "reporter", format="csv", what="obligations"))
    assert rows and {r["incident_ref"] for r in rows} == set(W["refs"]["reporter"])
    assert get(W, "reporter", format="csv", what="obligations").headers["Content-Disposition"].startswith('attachment; filename="cirs-obligations-')


def validate(kind, path):
    if not (FIXTURES / "stix2").is_dir():
        pytest.skip(f"third-party fixtures not found at {FIXTURES}: schema validation skipped")
    if not shutil.which("node"):
        pytest.skip("node not installed: schema validation skipped")
    if not (TOOLS / "node_modules" / "ajv").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TOOLS, check=True, capture_output=True, timeout=600)
    p = subprocess.run(["node", str(TOOLS / "validate.js"), kind, str(FIXTURES), str(path)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr


def test_stix_and_misp_answers_validate(W, tmp_path):
    r = get(W, "national", format="stix")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/stix+json;version=2.1"
    assert r.headers["Content-Disposition"].endswith('.stix.json"')
    (tmp_path / "b.json").write_bytes(r.content)
    validate("stix", tmp_path / "b.json")
    b = r.json()
    assert len([o for o in b["objects"] if o["type"] == "incident"]) == len(listed(W, "national"))
    m = get(W, "officer", format="misp")
    assert m.status_code == 200 and m.headers["Content-Type"].startswith("application/json")
    (tmp_path / "m.json").write_bytes(m.content)
    validate("misp", tmp_path / "m.json")
    assert len(m.json()["response"]) == len(listed(W, "officer"))
    one = get(W, "reporter-bj", format="misp", ref=W["refs"]["reporter-bj"][0])
    assert set(one.json()) == {"Event"} and W["refs"]["reporter-bj"][0] in one.json()["Event"]["info"]
    tags = {t["name"] for t in one.json()["Event"]["Tag"]}
    assert 'rsit:information-content-security="data-leak"' in tags


def test_authority_exports_are_access_logged(W):
    ref = W["refs"]["reporter-bj"][0]
    iid = next(i["id"] for i in ok(get(W, "bjofficer", format="json"))["items"] if i["ref"] == ref)
    for _ in range(50):
        rows = walk(W["S"]["auditor"], W["url"].replace("/export", "/access-log"), 200, incident=iid)
        if any(x["what"] == "export" and x["username"] == "bjofficer" for x in rows):
            break
        time.sleep(0.1)
    else:
        pytest.fail("no access-log entry for the export")


def test_openapi_documents_the_export(W):
    doc = ok(W["S"]["reporter"].get(W["url"].replace("/export", "/openapi.json")))
    op = doc["paths"]["/api/v1/export"]["get"]
    assert {"text/csv", "application/json", "application/stix+json;version=2.1"} <= set(op["responses"]["200"]["content"])
    assert {p["name"] for p in op["parameters"]} >= {"format", "what", "ref", "from", "to", "status", "grade", "category", "drill"}
