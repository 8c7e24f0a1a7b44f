"""The access matrix: every route × role (all 8 roles + anonymous) × relation to the incident (own / other
organisation, own / other jurisdiction, parent / child authority).

The rules (issue 3 and README): an operator sees its own organisation's incidents; an authority sees what was
routed to it and to the authorities below it; the national emergency office sees everything; auditor and system
admin see no incidents (403 on incident routes); anonymous callers get 401; an object outside the caller's scope is
a 404, exactly as if it did not exist (never a 403 that would confirm it exists).

The expected answers are computed here from a model of those rules — the routing of each incident written out by
hand from rules/cn-2025.json, and the authority tree of data/demo.json — never from the server's own answers. The
data set is built first (incidents of several organisations in several provinces, two escalated), then every
route is called for every user × incident. Every response is scanned for incident references (ids in list items,
incident_id anywhere, CIRS-… receipt numbers anywhere) and none may lie outside the caller's expected set.
"""
import json
import re

import pytest

from apihelp import Sessions, add_user, doc_especially_major, doc_grade, err, ok, walk
from conftest import ROOT, sql

OPS = {"operator_reporter", "operator_admin"}
STAFF = {"authority_officer", "authority_admin", "duty_officer"}
NATIONAL = "national_emergency_office"
NO_INCIDENTS = {"auditor", "system_admin"}

# user → (role, organisation, authority). Users marked SQL are added to the demo by the fixture.
USERS = {
    "reporter": ("operator_reporter", "shanxi-grid", None),
    "opadmin": ("operator_admin", "shanxi-grid", None),
    "reporter-jc": ("operator_reporter", "jc-hengtai", None),
    "opadmin-jc": ("operator_admin", "jc-hengtai", None),            # SQL
    "reporter-bj": ("operator_reporter", "bj-yunfan", None),
    "reporter-bank": ("operator_reporter", "huhai-bank", None),
    "reporter-mwr": ("operator_reporter", "mwr-info-center", None),
    "officer": ("authority_officer", None, "cac-140000"),
    "authadmin": ("authority_admin", None, "cac-140000"),
    "duty": ("duty_officer", None, "cac-140000"),
    "bjofficer": ("authority_officer", None, "cac-110000"),           # SQL: other jurisdiction
    "bjadmin": ("authority_admin", None, "cac-110000"),               # SQL
    "bjduty": ("duty_officer", None, "cac-110000"),                   # SQL
    "natcac": ("authority_officer", None, "national-cac"),            # conftest: parent of every provincial CAC
    "natadmin": ("authority_admin", None, "national-cac"),            # SQL
    "ciiofficer": ("authority_officer", None, "cii-energy"),          # SQL: no parent
    "psofficer": ("authority_officer", None, "ps-140000"),            # SQL: child of mps
    "mpsofficer": ("authority_admin", None, "mps"),                   # SQL: parent of ps-140000
    "national": (NATIONAL, None, "national-emergency-office"),
    "auditor": ("auditor", None, None),
    "admin": ("system_admin", None, None),
    None: ("anonymous", None, None),
}
SQL_USERS = ["opadmin-jc", "bjofficer", "bjadmin", "bjduty", "natadmin", "ciiofficer", "psofficer", "mpsofficer"]

# The data set. key → (filed by, document, extra). `routes` is where the rules send the report, read off
# rules/cn-2025.json by hand: route CII → cii_protection_dept + public_security of the province (+ SECTOR's
# sector_regulator for finance); OTHER → provincial_cac; CENTRAL → the department's CAC body; POLICE (suspected
# crime, any grade) → public_security; 一般 without crime → nowhere. Escalation adds the escalation's recipients.
# The Jincheng overlay (rules/cn-jincheng.json) adds the city command office jc-command for jc-hengtai (city 140500)
# from 较大 up.
INCIDENTS = {
    "grid-esp": ("reporter", lambda: doc_especially_major("矩阵 电网 特别重大"), {"cii-energy", "ps-140000", "national-cac", "mps"}),
    "grid-rel": ("opadmin", lambda: doc_grade("矩阵 电网 较大", "较大"), {"cii-energy", "ps-140000"}),
    "jc-major": ("reporter-jc", lambda: doc_grade("矩阵 恒泰 重大", "重大"), {"cac-140000", "jc-command", "national-cac"}),
    "jc-rel": ("opadmin-jc", lambda: doc_grade("矩阵 恒泰 较大", "较大"), {"cac-140000", "jc-command"}),
    "jc-gen": ("reporter-jc", lambda: doc_grade("矩阵 恒泰 一般", "一般"), set()),
    "jc-phone": ("duty", lambda: doc_grade("矩阵 恒泰 电话", "较大", organisation="jc-hengtai", channel="phone"), {"cac-140000", "jc-command"}),
    "bj-major": ("reporter-bj", lambda: doc_grade("矩阵 云帆 重大", "重大"), {"cac-110000", "national-cac"}),
    "bj-crime": ("reporter-bj", lambda: doc_grade("矩阵 云帆 涉嫌犯罪", "一般", suspected_crime=True), {"ps-110000"}),
    "bank-rel": ("reporter-bank", lambda: doc_grade("矩阵 银行 较大", "较大"), {"cii-finance", "ps-310000", "reg-finance"}),
    "mwr-rel": ("reporter-mwr", lambda: doc_grade("矩阵 水利 较大", "较大"), {"dept-cac-mwr"}),
}
ORG_OF = {"grid-esp": "shanxi-grid", "grid-rel": "shanxi-grid", "jc-major": "jc-hengtai", "jc-rel": "jc-hengtai", "jc-gen": "jc-hengtai",
          "jc-phone": "jc-hengtai", "bj-major": "bj-yunfan", "bj-crime": "bj-yunfan", "bank-rel": "huhai-bank", "mwr-rel": "mwr-info-center"}
# Where a 较大 report of each organisation goes (same reading of the rules), for incidents filed during the matrix.
ROUTES_OF_RELATIVELY_MAJOR = {"shanxi-grid": {"cii-energy", "ps-140000"}, "jc-hengtai": {"cac-140000", "jc-command"}, "bj-yunfan": {"cac-110000"},
                              "huhai-bank": {"cii-finance", "ps-310000", "reg-finance"}, "mwr-info-center": {"dept-cac-mwr"}}
# Escalated in the data set (by which user), and the escalation recipients the rules name.
ESCALATED = {"grid-esp": ("ciiofficer", {"national-cac", "mps"}), "jc-major": ("officer", {"national-cac"}), "bj-major": ("bjofficer", {"national-cac"})}
# Obligations that bind an authority (escalate/notify; from_authority), by incident: 重大 and above only.
AUTHORITY_OBLIGATIONS = {"grid-esp": {"cii-energy"}, "jc-major": {"cac-140000"}, "bj-major": {"cac-110000"}}
# Incidents with operator obligations: every reportable one, and the suspected crime (POLICE applies at any grade).
OPERATOR_OBLIGATIONS = {k for k in INCIDENTS if k != "jc-gen"}

PARENT = {a["code"]: a["parent"] for a in json.loads((ROOT / "data" / "demo.json").read_text())["authorities"]}


def above_or_self(code):
    while code:
        yield code
        code = PARENT[code]


class Model:
    """What each user may see, by the rules. Incidents filed during the matrix (the create route) are added."""

    def __init__(self):
        self.routes = {k: set(v[2]) for k, v in INCIDENTS.items()}
        self.org = dict(ORG_OF)
        self.ids, self.refs = {}, {}

    def sees(self, user, key):
        role, org, auth = USERS[user]
        if role in OPS:
            return self.org[key] == org
        if role == NATIONAL:
            return True
        if role in STAFF:
            return any(auth in set(above_or_self(r)) for r in self.routes[key])
        return False

    def visible_ids(self, user):
        return {self.ids[k] for k in self.ids if self.sees(user, k)}

    def visible_refs(self, user):
        return {self.refs[k] for k in self.refs if self.sees(user, k)}

    def routed_to_own(self, user, key):
        return USERS[user][2] in self.routes[key]

    def obligation_ids_expected(self, user):
        role, org, auth = USERS[user]
        if role in OPS:
            return {self.ids[k] for k in self.ids if self.org[k] == org and k in OPERATOR_OBLIGATIONS}
        if role == NATIONAL:
            return {self.ids[k] for k in self.ids if k in OPERATOR_OBLIGATIONS}
        if role in STAFF:
            below = {a for a in PARENT if auth in set(above_or_self(a))}
            return {self.ids[k] for k in self.ids if AUTHORITY_OBLIGATIONS.get(k, set()) & below}
        return set()


MODEL = Model()
REF = re.compile(r"CIRS-\d{4}-\d{6}")


def uid(user):
    role, org, auth = USERS[user]
    return f"{user or 'anonymous'}[{role}@{org or auth or '-'}]"


def no_leak(user, body):
    """No incident id or receipt number outside the caller's expected set, anywhere in the response."""
    text = json.dumps(body, ensure_ascii=False)
    refs = set(REF.findall(text))
    assert refs <= MODEL.visible_refs(user), (user, refs - MODEL.visible_refs(user))
    ids = set()

    def scan(x):
        if isinstance(x, dict):
            for k, v in x.items():
                if k == "incident_id" and isinstance(v, int):
                    ids.add(v)
                scan(v)
        elif isinstance(x, list):
            for v in x:
                scan(v)
    scan(body)
    assert ids <= MODEL.visible_ids(user), (user, ids - MODEL.visible_ids(user))


@pytest.fixture(scope="module")
def world(server):
    for u in SQL_USERS:
        role, org, auth = USERS[u]
        add_user(server.db, u, role, authority=auth, organisation=org)
    S = Sessions(server)
    for key, (who, make, _) in INCIDENTS.items():
        res = ok(S(who).post(server.url + "/api/v1/incidents", json=make()), 201)
        assert res["organisation"] == ORG_OF[key]
        MODEL.ids[key], MODEL.refs[key] = res["id"], res["ref"]
    # Escalations (each records its authority's receipt on the way).
    for key, (who, to) in ESCALATED.items():
        esc = ok(S(who).post(f"{server.url}/api/v1/incidents/{MODEL.ids[key]}/escalations", json={}), 201)
        assert set(esc["to"]) == to
    # Every other authority of our users that an incident was routed to records its receipt now, so that in the
    # matrix a receipt by a receiving authority is always the second one (409): the answers do not depend on order.
    first_user = {}
    for u, (role, _, auth) in USERS.items():
        if role in STAFF:
            first_user.setdefault(auth, u)
    for key in INCIDENTS:
        for auth in sorted(MODEL.routes[key]):
            if auth in first_user and not (key in ESCALATED and USERS[ESCALATED[key][0]][2] == auth):
                ok(S(first_user[auth]).post(f"{server.url}/api/v1/incidents/{MODEL.ids[key]}/receipts", json={}), 201)
    return S


def test_routes_are_what_the_rules_say(server, world):
    """The server routed each incident exactly where the model (read off the rules) says."""
    for key, i in MODEL.ids.items():
        got = set(sql(server.db, f"SELECT a.code FROM incident_routes r JOIN authorities a ON a.id = r.authority_id WHERE r.incident_id = {i}").split())
        assert got == MODEL.routes[key], (key, got)


def test_relations_covered():
    """The data set holds each relation the matrix is about, for some user and incident."""
    # own / other organisation
    assert MODEL.org["grid-esp"] == USERS["reporter"][1] == USERS["opadmin"][1] and MODEL.org["jc-major"] != USERS["reporter"][1]
    # own / other jurisdiction: same incident, Shanxi CAC vs Beijing CAC
    assert "cac-140000" in INCIDENTS["jc-rel"][2] and "cac-110000" not in INCIDENTS["jc-rel"][2]
    # parent / child: national-cac above cac-140000, mps above ps-140000; an incident routed only to the parent
    assert PARENT["cac-140000"] == "national-cac" and PARENT["ps-140000"] == "mps" and PARENT["cii-energy"] is None
    assert "national-cac" in INCIDENTS["grid-esp"][2] and "cac-140000" not in INCIDENTS["grid-esp"][2]


# ---- incident routes: one user × one incident ------------------------------------------------------------------

USER_KEYS = [u for u in USERS]
PAIRS = [pytest.param(u, k, id=f"{uid(u)}-{k}") for u in USER_KEYS for k in INCIDENTS]


@pytest.mark.parametrize("user,key", PAIRS)
def test_get_incident(server, world, user, key):
    role = USERS[user][0]
    sess = world(user)
    for ident in (MODEL.ids[key], MODEL.refs[key]):
        for suffix in ("", "/history"):
            r = sess.get(f"{server.url}/api/v1/incidents/{ident}{suffix}")
            if user is None:
                err(r, 401, "unauthenticated")
            elif role in NO_INCIDENTS:
                err(r, 403, "forbidden")
            elif MODEL.sees(user, key):
                body = ok(r)
                assert body["id"] == MODEL.ids[key] and body["ref"] == MODEL.refs[key]
                no_leak(user, body)
                if suffix:
                    for e in body["events"]:
                        assert (e["entity"] == "incident" and e["entity_id"] == MODEL.ids[key]) or e["payload"].get("incident_id") == MODEL.ids[key]
                else:
                    assert body["organisation"] == MODEL.org[key]
            else:
                err(r, 404, "not_found", "id")
                assert r.json() == sess.get(f"{server.url}/api/v1/incidents/999999{suffix}").json()


@pytest.mark.parametrize("user,key", PAIRS)
def test_followup_report(server, world, user, key):
    role = USERS[user][0]
    sess = world(user)
    url = f"{server.url}/api/v1/incidents/{MODEL.ids[key]}/reports"
    i = MODEL.ids[key]
    versions = sql(server.db, f"SELECT count(*) FROM report_versions WHERE incident_id={i}")
    r = sess.post(url, json={"kind": "supplement", "content": {"other": f"矩阵续报 {user}"}})
    if user is None:
        err(r, 401, "unauthenticated")
    elif role not in OPS:
        err(r, 403, "forbidden")
    elif MODEL.sees(user, key):
        body = ok(r, 201)
        assert body["id"] == i and body["kind"] == "supplement"
        no_leak(user, body)
        return
    else:
        err(r, 404, "not_found", "id")
        assert r.json() == sess.post(f"{server.url}/api/v1/incidents/999999/reports", json={"kind": "supplement", "content": {"other": "x"}}).json()
    assert sql(server.db, f"SELECT count(*) FROM report_versions WHERE incident_id={i}") == versions


@pytest.mark.parametrize("action", ["receipts", "escalations"])
@pytest.mark.parametrize("user,key", PAIRS)
def test_receipt_and_escalation(server, world, user, key, action):
    role = USERS[user][0]
    sess = world(user)
    i = MODEL.ids[key]
    state = lambda: sql(server.db, f"SELECT (SELECT count(*) FROM receipts WHERE incident_id={i}) || '/' || "
                                   f"(SELECT count(*) FROM incident_routes WHERE incident_id={i})") + "/" + \
        ",".join(sql(server.db, f"SELECT status FROM obligations WHERE incident_id={i} ORDER BY id").split())
    before = state()
    r = sess.post(f"{server.url}/api/v1/incidents/{i}/{action}", json={"note": f"矩阵 {user}"})
    if user is None:
        err(r, 401, "unauthenticated")
    elif role not in STAFF:
        err(r, 403, "forbidden")
    elif not MODEL.sees(user, key):
        err(r, 404, "not_found", "id")
        assert r.json() == sess.post(f"{server.url}/api/v1/incidents/999999/{action}", json={}).json()
    elif not MODEL.routed_to_own(user, key):
        err(r, 403, "forbidden")  # visible (through an authority below), but not sent to the caller's authority
    else:
        # Routed here: every receiving authority already recorded receipt, every escalation duty was met when the
        # data set was built — the second receipt and any further escalation are conflicts.
        err(r, 409, "conflict")
    assert state() == before


# ---- list routes: one user -------------------------------------------------------------------------------------

@pytest.mark.parametrize("user", [pytest.param(u, id=uid(u)) for u in USER_KEYS])
def test_incident_list(server, world, user):
    role = USERS[user][0]
    sess = world(user)
    url = server.url + "/api/v1/incidents"
    if user is None:
        err(sess.get(url), 401, "unauthenticated")
        return
    if role in NO_INCIDENTS:
        err(sess.get(url), 403, "forbidden")
        return
    items = walk(sess, url, 3)
    ids = [x["id"] for x in items]
    assert len(ids) == len(set(ids))
    assert set(ids) == MODEL.visible_ids(user), (user, set(ids) ^ MODEL.visible_ids(user))
    no_leak(user, items)
    # Filters never widen the scope.
    for params in ({"q": "矩阵"}, {"q": "恒泰"}, {"q": "矩阵 云帆 重大"}, {"grade": "较大"}, {"grade": "重大"}, {"province": "140000"},
                   {"province": "110000"}, {"overdue": "false"}, {"drill": "real"}, {"category": "DS"}, {"status": "open"},
                   {"from": "2025-11-01T00:00:00+08:00"}):
        got = walk(sess, url, 200, **params)
        no_leak(user, got)
        assert {x["id"] for x in got} <= MODEL.visible_ids(user), params
    assert {x["id"] for x in walk(sess, url, 200, q="矩阵")} == MODEL.visible_ids(user)


@pytest.mark.parametrize("user", [pytest.param(u, id=uid(u)) for u in USER_KEYS])
def test_obligation_list(server, world, user):
    role, org, auth = USERS[user]
    sess = world(user)
    url = server.url + "/api/v1/obligations"
    if user is None:
        err(sess.get(url), 401, "unauthenticated")
        return
    if role in NO_INCIDENTS:
        err(sess.get(url), 403, "forbidden")
        return
    items = walk(sess, url, 4)
    no_leak(user, items)
    assert {o["incident_id"] for o in items} == MODEL.obligation_ids_expected(user), user
    if role in OPS:
        assert all(o["from"] == "operator" for o in items)
    elif role in STAFF:
        assert all(auth in set(above_or_self(o["from_authority"])) for o in items)
    for params in ({"status": "pending"}, {"status": "met"}, {"overdue": "true"}, {"due_within_min": 60}, {"drill": "only"}):
        got = walk(sess, url, 200, **params)
        no_leak(user, got)
        assert {o["incident_id"] for o in got} <= MODEL.obligation_ids_expected(user)


# ---- routes that are not about one incident: who may call them -----------------------------------------------

OTHER_ROUTES = {  # name → (method, path, body, roles allowed; None = anyone, even anonymous)
    "healthz": ("GET", "/healthz", None, None),
    "openapi": ("GET", "/api/v1/openapi.json", None, None),
    "metrics": ("GET", "/metrics", None, None),  # loopback: open
    "whoami": ("GET", "/api/v1/session", None, OPS | STAFF | NO_INCIDENTS | {NATIONAL}),
    "assess": ("POST", "/api/v1/assess", {"aware_at": "2025-12-01T10:00:00+08:00", "category": "DSDATALEAK", "operator": {"kind": "other"},
                                          "facts": {"pi_leaked_persons": 10}}, OPS | STAFF | NO_INCIDENTS | {NATIONAL}),
    "tips-list": ("GET", "/api/v1/tips", None, {NATIONAL, "duty_officer"}),
    "access-log": ("GET", "/api/v1/access-log", None, NO_INCIDENTS),
}


@pytest.mark.parametrize("route", sorted(OTHER_ROUTES))
@pytest.mark.parametrize("user", [pytest.param(u, id=uid(u)) for u in USER_KEYS])
def test_other_routes(server, world, user, route):
    method, path, body, allowed = OTHER_ROUTES[route]
    role = USERS[user][0]
    r = world(user).request(method, server.url + path, json=body)
    if allowed is None:
        assert r.status_code == 200, r.text
    elif user is None:
        err(r, 401, "unauthenticated")
    elif role in allowed:
        assert r.status_code == 200, r.text
        if route == "access-log":
            body = r.json()
            # The access log is about incidents by design; its readers are auditors. It must at least only name
            # incidents that exist.
            assert {x["incident_id"] for x in body["items"]} <= set(MODEL.ids.values()) | {int(x) for x in sql(server.db, "SELECT id FROM incidents").split()}
        else:
            no_leak(user, r.json())
    else:
        err(r, 403, "forbidden")


# ---- filing: operators for themselves, duty officers for operators of their jurisdiction -------------------------
# (last in the module: it adds incidents, which the model then learns about)

CREATE_CASES = [pytest.param(u, org, id=f"{uid(u)}-for-{org or 'self'}") for u in USER_KEYS for org in
                ((None, "jc-hengtai", "bj-yunfan") if USERS[u][0] == "duty_officer" else (None,))]


@pytest.mark.parametrize("user,org", CREATE_CASES)
def test_create_incident(server, world, user, org):
    role, own_org, auth = USERS[user]
    sess = world(user)
    title = f"矩阵 新建 {user} {org}"
    doc = doc_grade(title, "较大")
    if org:
        doc.update(organisation=org, channel="fax")
    r = sess.post(server.url + "/api/v1/incidents", json=doc)
    if user is None:
        err(r, 401, "unauthenticated")
    elif role in OPS:
        body = ok(r, 201)
        assert body["organisation"] == own_org
        key = f"new-{user}"
        MODEL.ids[key], MODEL.refs[key], MODEL.org[key] = body["id"], body["ref"], own_org
        MODEL.routes[key] = set(ROUTES_OF_RELATIVELY_MAJOR[own_org])
        # Afterwards: exactly the users the rules name can read it.
        for other in USER_KEYS:
            if other is not None and USERS[other][0] not in NO_INCIDENTS:
                st = world(other).get(f"{server.url}/api/v1/incidents/{body['id']}").status_code
                assert st == (200 if MODEL.sees(other, key) else 404), (other, st)
    elif role == "duty_officer" and org is None:
        err(r, 400, "missing_field", "organisation")
    elif role == "duty_officer":
        # A duty officer enters reports for operators whose reports reach its authority: Shanxi's for jc-hengtai,
        # Beijing's for bj-yunfan; never across.
        jurisdiction = {"cac-140000": "jc-hengtai", "cac-110000": "bj-yunfan"}[auth]
        if org == jurisdiction:
            body = ok(r, 201)
            assert body["organisation"] == org and body["entered_by"] == user and body["channel"] == "fax"
            key = f"new-{user}-{org}"
            MODEL.ids[key], MODEL.refs[key], MODEL.org[key] = body["id"], body["ref"], org
            MODEL.routes[key] = set(ROUTES_OF_RELATIVELY_MAJOR[org])
            assert world(user).get(f"{server.url}/api/v1/incidents/{body['id']}").status_code == 200
        else:
            err(r, 403, "forbidden", "organisation")
            assert sql(server.db, f"SELECT count(*) FROM incidents WHERE title='{title}'") == "0"
    else:
        err(r, 403, "forbidden")
        assert sql(server.db, f"SELECT count(*) FROM incidents WHERE title='{title}'") == "0"


def test_everything_seen_by_national_only_in_scope_of_others(server, world):
    """Closing check: national sees every incident in the database; each other reader's list is its model set."""
    all_ids = {int(x) for x in sql(server.db, "SELECT id FROM incidents").split()}
    assert {x["id"] for x in walk(world("national"), server.url + "/api/v1/incidents", 200)} == all_ids == set(MODEL.ids.values())
    for user in USER_KEYS:
        if user is not None and USERS[user][0] not in NO_INCIDENTS:
            assert {x["id"] for x in walk(world(user), server.url + "/api/v1/incidents", 200)} == MODEL.visible_ids(user), user
