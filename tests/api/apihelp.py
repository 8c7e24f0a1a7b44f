"""Helpers shared by test_routes.py, test_matrix.py and test_crash.py (not a test module)."""
import re
import time

import requests
from requests.adapters import HTTPAdapter

from conftest import report_doc, sql


def err(r, status, code, field=None):
    """Asserts an error answer {"error":{code,message,field}} and returns its body."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    body = r.json()["error"]
    assert set(body) == {"code", "message", "field"}, body
    if code is not None:
        assert body["code"] == code, body
    assert body["message"], body
    if field is not None:
        assert body["field"] == field, body
    return body


def ok(r, status=200):
    assert r.status_code == status, (r.status_code, r.text[:800])
    return r.json() if r.content else None


def utc(seconds_ago):
    """RFC 3339 (UTC) for now minus `seconds_ago`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - seconds_ago))


CJK = re.compile(r"[\u4e00-\u9fff]")


# --- report documents of known grade (grades from tests/assess/cases: pi_leak 1M = 较大, 10M = 重大) ------------------

def doc_especially_major(title, **over):
    """docs/examples/report-ransomware.json: cii_outage_min 400 → 特别重大."""
    return report_doc(title=title, **over)


def doc_grade(title, grade, **over):
    persons = {"重大": 10_000_000, "较大": 1_000_000, "一般": 10}[grade]
    d = report_doc(title=title, category="DSDATALEAK", facts={"pi_leaked_persons": persons})
    d["content"] = {"affected_system": "客户信息管理系统", "impact": f"个人信息泄露 {persons} 条", "reporting_unit": "信息安全部"}
    d.update(over)
    return d


# --- users ---------------------------------------------------------------------------------------------------------

def add_user(db, username, role, authority=None, organisation=None):
    """A user with the demo password (the demo users' hash), created by SQL as conftest does for natcac."""
    auth = f"(SELECT id FROM authorities WHERE code='{authority}')" if authority else "NULL"
    org = f"(SELECT id FROM organisations WHERE code='{organisation}')" if organisation else "NULL"
    sql(db, "INSERT INTO users(username,name,role,organisation_id,authority_id,password_hash,created_ms) "
            f"SELECT '{username}','测试用户 {username}','{role}',{org},{auth},password_hash,0 FROM users WHERE username='officer'")


class Sessions:
    """Logged-in sessions, one per user, made on first use (argon2id makes a login cost ~0.1 s)."""

    def __init__(self, server):
        self.server = server
        self.cache = {}

    def __call__(self, user):
        if user is None:
            s = requests.Session()
            s.base = self.server.url
            return s
        if user not in self.cache:
            self.cache[user] = self.server.login(user)
        return self.cache[user]


class _SourceAddress(HTTPAdapter):
    def __init__(self, addr, **kw):
        self._addr = addr
        super().__init__(**kw)

    def init_poolmanager(self, *a, **kw):
        kw["source_address"] = (self._addr, 0)
        super().init_poolmanager(*a, **kw)


def from_address(addr):
    """A session whose connections come from another loopback address (127.0.0.x): per-address limits are then
    counted apart from every other test's."""
    s = requests.Session()
    s.mount("http://", _SourceAddress(addr))
    return s


def walk(session, url, limit, **params):
    """Every item of a cursor-paged list, following next_after; asserts the page contract on the way."""
    items, after, pages = [], None, 0
    while True:
        q = dict(params, limit=limit)
        if after is not None:
            q["after"] = after
        page = ok(session.get(url, params=q))
        assert len(page["items"]) <= limit
        items += page["items"]
        pages += 1
        assert pages < 10_000
        if page["next_after"] is None:
            assert len(page["items"]) < limit, "a full page must carry next_after"
            return items
        assert page["next_after"] == page["items"][-1]["id"], page["next_after"]
        after = page["next_after"]
