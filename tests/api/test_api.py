"""Black-box tests of the JSON API: the real binary, a real SQLite file, HTTP over loopback."""
import subprocess

import requests

from conftest import BIN, report_doc, sql


def err(r, status, code, field=None):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()["error"]
    assert body["code"] == code, body
    assert body["message"]
    if field is not None:
        assert body["field"] == field, body
    return body


def test_health_and_request_id(server):
    r = requests.get(server.url + "/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok" and r.json()["schema"] >= 2
    assert r.headers["X-Request-Id"]


def test_openapi_lists_every_route_the_server_answers(server):
    doc = requests.get(server.url + "/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    reporter = server.login("reporter")
    for path, ops in doc["paths"].items():
        for method in ops:
            r = reporter.request(method.upper(), server.url + path.replace("{id}", "1"), json={} if method == "post" else None)
            # Routed: neither "no such route" (404 without a field) nor 405. A missing object is a 404 on field "id".
            routed = r.status_code != 405 and not (r.status_code == 404 and r.json()["error"]["field"] == "")
            assert routed, (method, path, r.status_code, r.text)
    err(requests.get(server.url + "/api/v1/nothing-here"), 404, "not_found")
    err(requests.put(server.url + "/api/v1/incidents"), 405, "method_not_allowed")


def test_login_failures_look_the_same(server):
    u = server.url + "/api/v1/session"
    a = err(requests.post(u, json={"username": "reporter", "password": "wrong-password"}), 401, "unauthenticated")
    b = err(requests.post(u, json={"username": "nobody-at-all", "password": "wrong-password"}), 401, "unauthenticated")
    assert a == b
    err(requests.post(u, json={"username": "reporter"}), 400, "missing_field", "password")
    err(requests.post(u, json={"password": "x"}), 400, "missing_field", "username")
    err(requests.post(u, data="username=reporter", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415, "unsupported_media_type")
    err(requests.post(u, data="{bad", headers={"Content-Type": "application/json"}), 400, "invalid_json")
    err(requests.post(u, data=b'{"username":"\xff\xfe","password":"x"}', headers={"Content-Type": "application/json"}), 400, "invalid_json")
    err(requests.post(u, data="[1]", headers={"Content-Type": "application/json"}), 400, "wrong_type")
    err(requests.post(u, data=b"{" + b" " * (1024 * 1024 + 10) + b"}", headers={"Content-Type": "application/json"}), 413, "too_large")
    assert int(sql(server.db, "SELECT count(*) FROM events WHERE type='user.login_failed'")) >= 2


def test_session_lifecycle_and_csrf(server):
    logouts = int(sql(server.db, "SELECT count(*) FROM events WHERE type='user.logout'"))
    s = server.login("reporter")
    me = s.get(server.url + "/api/v1/session").json()
    assert me["user"]["username"] == "reporter" and me["user"]["organisation"] == "shanxi-grid"
    assert "password_hash" not in me["user"]
    # A cookie without the CSRF header cannot change anything.
    bare = requests.Session()
    bare.cookies.update(s.cookies)
    err(bare.post(server.url + "/api/v1/incidents", json=report_doc()), 403, "forbidden", "X-CSRF-Token")
    err(bare.post(server.url + "/api/v1/incidents", json=report_doc(), headers={"X-CSRF-Token": "0" * 64}), 403, "forbidden")
    assert s.delete(server.url + "/api/v1/session").status_code == 204
    err(s.get(server.url + "/api/v1/session"), 401, "unauthenticated")
    err(requests.get(server.url + "/api/v1/incidents"), 401, "unauthenticated")
    assert int(sql(server.db, "SELECT count(*) FROM events WHERE type='user.logout'")) == logouts + 1


def test_bearer_token_for_machines(server):
    tok = server.token("reporter-bj")
    assert len(tok) == 64 and sql(server.db, f"SELECT count(*) FROM api_tokens WHERE token_hash LIKE '%{tok}%'") == "0"
    h = {"Authorization": "Bearer " + tok}
    r = requests.post(server.url + "/api/v1/incidents", json=report_doc(title="SIEM 自动上报"), headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["organisation"] == "bj-yunfan"
    err(requests.get(server.url + "/api/v1/incidents", headers={"Authorization": "Bearer " + "f" * 64}), 401, "unauthenticated")
    err(requests.get(server.url + "/api/v1/incidents", headers={"Authorization": "Basic abc"}), 401, "unauthenticated")
    sql(server.db, "UPDATE api_tokens SET revoked_ms=1")
    err(requests.get(server.url + "/api/v1/incidents", headers=h), 401, "unauthenticated")


def test_create_incident_and_validation(server):
    s = server.login("reporter")
    r = s.post(server.url + "/api/v1/incidents", json=report_doc())
    assert r.status_code == 201, r.text
    res = r.json()
    assert res["grade"] == "特别重大" and res["ref"].startswith("CIRS-")
    assert {o["kind"] for o in res["obligations"]} == {"initial", "supplement", "escalation", "final"}
    assert [o["status"] for o in res["obligations"] if o["kind"] == "initial"] == ["met"]
    got = s.get(f"{server.url}/api/v1/incidents/{res['id']}").json()
    # A browser session is the web form; a token is the API (the channel is part of the record an authority reads).
    assert got["reports"][0]["channel"] == "web" and got["reports"][0]["submitted_by"] == "reporter"
    tok = {"Authorization": "Bearer " + server.token("reporter")}
    r2 = requests.post(server.url + "/api/v1/incidents", json=report_doc(), headers=tok, timeout=10)
    assert r2.status_code == 201, r2.text
    sup = requests.post(f"{server.url}/api/v1/incidents/{res['id']}/reports", headers=tok, timeout=10,
                        json={"kind": "supplement", "content": {"measures_taken": "已隔离受感染主机"}})
    assert sup.status_code == 201, sup.text
    got2 = requests.get(f"{server.url}/api/v1/incidents/{r2.json()['id']}", headers=tok, timeout=10).json()
    assert got2["reports"][0]["channel"] == "api"
    got = s.get(f"{server.url}/api/v1/incidents/{res['id']}").json()
    assert [v["channel"] for v in got["reports"]] == ["web", "api"]
    for over, code, field in [({"category": "XX"}, "unknown_category", "category"), ({"facts": {"cii_outage_min": -1}}, "negative_number", "facts.cii_outage_min"),
                              ({"bogus": 1}, "unknown_field", "bogus"), ({"content": {"impact": "x"}}, "missing_field", "content.affected_system"),
                              ({"aware_at": "tomorrow"}, "bad_time", "aware_at"), ({"title": ""}, "wrong_type", "title")]:
        err(s.post(server.url + "/api/v1/incidents", json=report_doc(**over)), 400, code, field)
    # English messages on request.
    body = err(s.post(server.url + "/api/v1/incidents", json=report_doc(category="XX"), headers={"Accept-Language": "en-US"}), 400, "unknown_category")
    assert "unknown incident category" in body["message"]
    body = err(s.post(server.url + "/api/v1/incidents", json=report_doc(category="XX")), 400, "unknown_category")
    assert "未知的事件类别" in body["message"]


def test_roles_that_may_not_file_or_read(server):
    doc = report_doc()
    for user in ("officer", "national", "auditor", "admin"):
        err(server.login(user).post(server.url + "/api/v1/incidents", json=doc), 403, "forbidden")
    for user in ("auditor", "admin"):
        err(server.login(user).get(server.url + "/api/v1/incidents"), 403, "forbidden")
    err(requests.post(server.url + "/api/v1/incidents", json=doc), 401, "unauthenticated")


def test_jurisdiction_scoping(server):
    # shanxi-grid (CII, energy, Shanxi) → cii-energy + ps-140000; jc-hengtai (other, Shanxi) → cac-140000;
    # bj-yunfan (other, Beijing) → cac-110000.
    ids = {}
    for user, org in (("reporter", "shanxi-grid"), ("reporter-jc", "jc-hengtai"), ("reporter-bj", "bj-yunfan")):
        r = server.login(user).post(server.url + "/api/v1/incidents", json=report_doc(title=f"范围测试 {org}"))
        assert r.status_code == 201, r.text
        ids[org] = r.json()["id"]

    def visible(user):
        s = server.login(user)
        seen = set()
        for org, i in ids.items():
            r = s.get(f"{server.url}/api/v1/incidents/{i}")
            if r.status_code == 200:
                seen.add(org)
            else:
                err(r, 404, "not_found")  # denied looks exactly like absent
        listed = {x["organisation"] for x in s.get(server.url + "/api/v1/incidents?limit=200").json()["items"]} & set(ids)
        assert listed == seen, (user, listed, seen)
        return seen

    assert visible("reporter") == {"shanxi-grid"}
    assert visible("reporter-bj") == {"bj-yunfan"}
    assert visible("officer") == {"jc-hengtai"}        # Shanxi provincial CAC: routed to it
    assert visible("duty") == {"jc-hengtai"}
    assert visible("natcac") == {"jc-hengtai", "bj-yunfan"}  # parent of every provincial CAC
    assert visible("national") == set(ids)             # national emergency office: nationwide
    err(server.login("reporter").get(server.url + "/api/v1/incidents/CIRS-9999-999999"), 404, "not_found")


def test_pagination_and_filters(server):
    s = server.login("reporter-jc")
    for i in range(3):
        assert s.post(server.url + "/api/v1/incidents", json=report_doc(title=f"分页 {i}", facts={"pi_leaked_persons": 10})).status_code == 201
    all_items = s.get(server.url + "/api/v1/incidents?limit=200").json()["items"]
    seen, after = [], 0
    while True:
        page = s.get(f"{server.url}/api/v1/incidents?limit=2&after={after}").json()
        seen += page["items"]
        assert len(page["items"]) <= 2
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert [x["id"] for x in seen] == [x["id"] for x in all_items]
    general = s.get(server.url + "/api/v1/incidents?grade=一般").json()["items"]
    assert len(general) == 3 and all(x["grade"] == "一般" for x in general)
    assert all(x["category"].startswith("MP") for x in s.get(server.url + "/api/v1/incidents?category=MP").json()["items"])
    err(s.get(server.url + "/api/v1/incidents?limit=0"), 400, "bad_value", "limit")
    err(s.get(server.url + "/api/v1/incidents?limit=abc"), 400, "bad_value", "limit")
    err(s.get(server.url + "/api/v1/incidents?after=-1"), 400, "bad_value", "after")


def test_assess_endpoint(server):
    before = sql(server.db, "SELECT count(*) FROM incidents")
    s = server.login("reporter")
    r = s.post(server.url + "/api/v1/assess", json={"aware_at": "2025-12-01T10:00:00+08:00", "operator": {"kind": "other"}, "category": "MP",
                                                     "facts": {"pi_leaked_persons": 10000000}})
    assert r.status_code == 200 and r.json()["grade"] == "重大"
    err(s.post(server.url + "/api/v1/assess", json={"aware_at": "2025-12-01T10:00:00+08:00", "operator": {"kind": "other"}, "category": "MP",
                                                      "facts": {"nope": 1}}), 400, "unknown_fact", "facts.nope")
    assert sql(server.db, "SELECT count(*) FROM incidents") == before  # the engine stores nothing



def test_audit_chain_intact_after_api_traffic(server):
    p = subprocess.run([BIN, "audit", "verify", "--db", server.db], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr


def test_sigterm_stops_cleanly(server):
    server.stop()
    assert server.proc.returncode == 0
    server.log.seek(0)
    log = server.log.read()
    assert "msg=stopped" in log and "req_id=" in log and "status=201" in log
