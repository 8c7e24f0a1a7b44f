"""`cirs compliance`: the compliance ledger. Reports are filed with `cirs report submit`; obligation outcomes and
later report versions are then set through the sqlite3 shell so that every case (met, late, overdue, waived,
pending, raised facts, drills) is present with known numbers."""
import datetime
import json

import pytest

from conftest import cirs, sql, report

CN = datetime.timezone(datetime.timedelta(hours=8))
NOW = "2026-11-25T10:00:00+08:00"  # the ledger's "as of" in every query below
ORG = "bj-yunfan"  # route OTHER: initial report to cac-110000 within 4 h; cac-110000 escalates (重大)


def ms(t):
    return int(datetime.datetime.fromisoformat(t).timestamp() * 1000)


def submit(db, tmp_path, name, aware, at, drill=False, facts=None):
    doc = {"aware_at": aware, "facts": facts or {"direct_loss_cny": 60000000, "people_affected": 100}}
    if drill:
        doc["drill"] = True
    r = cirs("report", "submit", "--db", db, "--org", ORG, "--json", report(tmp_path, name, **doc), env={"CIRS_NOW": at})
    assert r.code == 0, r.err
    assert r.json()["grade"] == "重大"
    return r.json()["ref"]


def ob(db, ref, kind):
    """Id of the obligation `kind` of incident `ref` (escalation/notify: the authority's, else the operator's)."""
    return int(sql(db, f"SELECT b.id FROM obligations b JOIN incidents i ON i.id = b.incident_id WHERE i.ref = '{ref}' AND b.kind = '{kind}'"))


def set_ob(db, oid, status, due=None, met=None):
    due_sql = "due_ms" if due is None else str(due)
    met_sql = "NULL" if met is None else str(met)
    sql(db, f"UPDATE obligations SET status = '{status}', due_ms = {due_sql}, met_ms = {met_sql} WHERE id = {oid}")


def add_version(db, ref, version, kind, facts, at):
    content = json.dumps({"affected_system": "x", "impact": "y", "facts": facts}, ensure_ascii=False)
    sql(db, "INSERT INTO report_versions(incident_id, version, kind, submitted_ms, submitted_by, channel, content, assessment,"
            f" content_sha256) SELECT id, {version}, '{kind}', {ms(at)}, 'test', 'cli', '{content}', '{{}}', 'x' FROM incidents WHERE ref = '{ref}'")


def ledger(db, *args):
    r = cirs("compliance", "--db", db, "--json", *args, env={"CIRS_NOW": NOW})
    assert r.code == 0, r.err
    return r.json()


@pytest.fixture
def ledger_db(demo_db, tmp_path):
    """Four incidents of bj-yunfan; returns {name: ref}.

    A  aware 11-21 09:00, filed 09:30 (1800 s): initial met; supplement pending, due 11-22 09:30 → overdue at NOW.
       Versions 2 and 3 change the facts (raised_facts). cac-110000's escalation: met.
    B  aware 11-21 01:00, filed 10:00 (32400 s): initial late by 5 h; supplement waived. cac-110000's escalation: late by 30 min.
       Version 2 only lowers a fact.
    C  aware 11-22 08:00, filed 09:00 (3600 s): supplement met; final marked overdue, due 2 h before NOW.
       cac-110000's escalation: pending, due 1 min before NOW → overdue.
    D  a drill, aware 11-23 08:00, filed 08:10 (600 s): supplement pending, due 11-24 08:10 → overdue at NOW.
    """
    db = demo_db
    refs = {
        "A": submit(db, tmp_path, "a.json", "2026-11-21T09:00:00+08:00", "2026-11-21T09:30:00+08:00"),
        "B": submit(db, tmp_path, "b.json", "2026-11-21T01:00:00+08:00", "2026-11-21T10:00:00+08:00"),
        "C": submit(db, tmp_path, "c.json", "2026-11-22T08:00:00+08:00", "2026-11-22T09:00:00+08:00"),
        "D": submit(db, tmp_path, "d.json", "2026-11-23T08:00:00+08:00", "2026-11-23T08:10:00+08:00", drill=True),
    }
    A, B, C = refs["A"], refs["B"], refs["C"]
    assert sql(db, f"SELECT status FROM obligations WHERE id = {ob(db, B, 'initial')}") == "late"
    set_ob(db, ob(db, B, "supplement"), "waived")
    sup_c = ob(db, C, "supplement")
    set_ob(db, sup_c, "met", met=f"(SELECT due_ms - 1000 FROM obligations WHERE id = {sup_c})")
    set_ob(db, ob(db, C, "final"), "overdue", due=ms(NOW) - 7200 * 1000)
    set_ob(db, ob(db, A, "escalation"), "met", due=ms("2026-11-21T11:00:00+08:00"), met=ms("2026-11-21T10:40:00+08:00"))
    set_ob(db, ob(db, B, "escalation"), "late", due=ms("2026-11-21T12:00:00+08:00"), met=ms("2026-11-21T12:30:00+08:00"))
    set_ob(db, ob(db, C, "escalation"), "pending", due=ms(NOW) - 60 * 1000)
    # A: direct loss 60M → 50M → 55M (largest rise v2→v3); people 100 → 5000 → 3000 (v1→v2);
    # personal-information leak first given in v2: 10 → 20 (v2→v3). B: a later version only lowers.
    add_version(db, A, 2, "supplement", {"direct_loss_cny": 50000000, "people_affected": 5000, "pi_leaked_persons": 10}, "2026-11-21T15:00:00+08:00")
    add_version(db, A, 3, "supplement", {"direct_loss_cny": 55000000, "people_affected": 3000, "pi_leaked_persons": 20}, "2026-11-22T15:00:00+08:00")
    add_version(db, B, 2, "final", {"direct_loss_cny": 1000, "people_affected": 100}, "2026-11-22T15:00:00+08:00")
    return refs


def test_organisation_ledger_counts_lists_and_rates(ledger_db, demo_db):
    A, B, C = ledger_db["A"], ledger_db["B"], ledger_db["C"]
    led = ledger(demo_db, "--org", ORG)
    assert led["scope"] == {"organisation": ORG}
    assert led["period"] == {"from": None, "to": None}
    assert led["as_of"] == NOW and led["drills_included"] is False
    assert led["incidents"] == 3
    # The operator's own obligations only (initial, supplement, final of A, B, C); escalation/notify are cac-110000's.
    assert led["obligations"] == {"total": 9, "met": 3, "late": 1, "overdue": 2, "pending": 2, "waived": 1, "on_time_rate": 0.5}
    assert led["late"] == [{"obligation_id": ob(demo_db, B, "initial"), "incident_id": 2, "ref": B, "kind": "initial",
                            "due": "2026-11-21T05:00:00+08:00", "met_at": "2026-11-21T10:00:00+08:00", "late_by_s": 5 * 3600}]
    assert led["overdue"] == [
        {"obligation_id": ob(demo_db, A, "supplement"), "incident_id": 1, "ref": A, "kind": "supplement",
         "due": "2026-11-22T09:30:00+08:00", "overdue_by_s": 3 * 86400 + 1800},
        {"obligation_id": ob(demo_db, C, "final"), "incident_id": 3, "ref": C, "kind": "final",
         "due": "2026-11-25T08:00:00+08:00", "overdue_by_s": 7200},
    ]
    assert led["mean_time_to_report_s"] == pytest.approx((1800 + 32400 + 3600) / 3)
    assert led["raised_facts"] == [
        {"incident_id": 1, "ref": A, "fact": "direct_loss_cny", "earlier_version": 2, "earlier_value": 50000000,
         "later_version": 3, "later_value": 55000000},
        {"incident_id": 1, "ref": A, "fact": "people_affected", "earlier_version": 1, "earlier_value": 100,
         "later_version": 2, "later_value": 5000},
        {"incident_id": 1, "ref": A, "fact": "pi_leaked_persons", "earlier_version": 2, "earlier_value": 10,
         "later_version": 3, "later_value": 20},
    ]
    assert led["truncated"] is False


def test_drills_are_excluded_by_default_and_included_on_request(ledger_db, demo_db):
    D = ledger_db["D"]
    led = ledger(demo_db, "--org", ORG, "--drills")
    assert led["drills_included"] is True and led["incidents"] == 4
    assert led["obligations"] == {"total": 12, "met": 4, "late": 1, "overdue": 3, "pending": 3, "waived": 1, "on_time_rate": 0.5}
    assert led["overdue"][-1] == {"obligation_id": ob(demo_db, D, "supplement"), "incident_id": 4, "ref": D, "kind": "supplement",
                                  "due": "2026-11-24T08:10:00+08:00", "overdue_by_s": 86400 + 6600}
    assert led["mean_time_to_report_s"] == pytest.approx((1800 + 32400 + 3600 + 600) / 4)
    assert D not in json.dumps(ledger(demo_db, "--org", ORG))


def test_period_selects_incidents_by_aware_time(ledger_db, demo_db):
    led = ledger(demo_db, "--org", ORG, "--from", "2026-11-21T08:00:00+08:00")
    assert led["period"] == {"from": "2026-11-21T08:00:00+08:00", "to": None}
    assert led["incidents"] == 2  # A and C; B was aware at 01:00
    assert led["obligations"] == {"total": 6, "met": 3, "late": 0, "overdue": 2, "pending": 1, "waived": 0, "on_time_rate": 0.6}
    assert led["late"] == [] and led["mean_time_to_report_s"] == pytest.approx((1800 + 3600) / 2)
    led = ledger(demo_db, "--org", ORG, "--from", "2026-11-21", "--to", "2026-11-22T00:00:00Z")
    assert led["period"] == {"from": "2026-11-21T00:00:00+08:00", "to": "2026-11-22T08:00:00+08:00"}
    assert led["incidents"] == 2  # A and B (C was aware at 08:00 +08:00 exactly: the end is exclusive)
    assert [x["ref"] for x in led["late"]] == [ledger_db["B"]]
    # A period with nothing in it: no rate, no mean.
    led = ledger(demo_db, "--org", ORG, "--from", "2027-01-01")
    assert led["incidents"] == 0 and led["obligations"]["total"] == 0
    assert led["obligations"]["on_time_rate"] is None and led["mean_time_to_report_s"] is None


def test_authority_ledger_and_subtree(ledger_db, demo_db):
    A, B, C = ledger_db["A"], ledger_db["B"], ledger_db["C"]
    led = ledger(demo_db, "--authority", "cac-110000")
    assert led["scope"] == {"authority": "cac-110000", "subtree": False}
    assert led["incidents"] == 3
    # cac-110000's own obligations: escalation and notify of A, B, C.
    assert led["obligations"] == {"total": 6, "met": 1, "late": 1, "overdue": 1, "pending": 3, "waived": 0,
                                  "on_time_rate": pytest.approx(1 / 3)}
    assert led["late"] == [{"obligation_id": ob(demo_db, B, "escalation"), "incident_id": 2, "ref": B, "kind": "escalation",
                            "due": "2026-11-21T12:00:00+08:00", "met_at": "2026-11-21T12:30:00+08:00", "late_by_s": 1800}]
    assert led["overdue"] == [{"obligation_id": ob(demo_db, C, "escalation"), "incident_id": 3, "ref": C, "kind": "escalation",
                               "due": "2026-11-25T09:59:00+08:00", "overdue_by_s": 60}]
    assert led["mean_time_to_report_s"] is None  # an operator measure
    assert [(x["ref"], x["fact"]) for x in led["raised_facts"]] == [(A, "direct_loss_cny"), (A, "people_affected"), (A, "pi_leaked_persons")]
    # The national CAC has no obligation of its own here and nothing reached it; with --subtree it sees cac-110000's.
    top = ledger(demo_db, "--authority", "national-cac")
    assert top["incidents"] == 0 and top["obligations"]["total"] == 0
    sub = ledger(demo_db, "--authority", "national-cac", "--subtree")
    assert sub["scope"] == {"authority": "national-cac", "subtree": True}
    assert sub["obligations"] == led["obligations"] and sub["late"] == led["late"] and sub["overdue"] == led["overdue"]
    # Another province's CAC: nothing.
    assert ledger(demo_db, "--authority", "cac-140000", "--subtree")["obligations"]["total"] == 0


def test_human_summary(ledger_db, demo_db):
    r = cirs("compliance", "--db", demo_db, "--org", ORG, env={"CIRS_NOW": NOW})
    assert r.code == 0, r.err
    assert "Compliance ledger — organisation bj-yunfan" in r.out
    assert "50.0%" in r.out and ledger_db["B"] in r.out and "pi_leaked_persons" in r.out
    r = cirs("compliance", "--db", demo_db, "--org", ORG, env={"CIRS_NOW": NOW, "LANG": "zh_CN.UTF-8"})
    assert r.code == 0, r.err
    assert "合规台账" in r.out and "按时率" in r.out and "迟报" in r.out


def test_errors_and_usage(demo_db):
    r = cirs("compliance", "--db", demo_db, "--org", "no-such-org")
    assert r.code == 2 and "not_found" in r.err and "no-such-org" in r.err and r.out == ""
    r = cirs("compliance", "--db", demo_db, "--authority", "no-such-authority")
    assert r.code == 2 and "not_found" in r.err and "no-such-authority" in r.err
    for args in (["--db", demo_db], ["--db", demo_db, "--org", ORG, "--authority", "cac-110000"],
                 ["--db", demo_db, "--org", ORG, "--subtree"], ["--org", ORG], ["--db", demo_db, "--org", ORG, "extra"],
                 ["--db", demo_db, "--org", ORG, "--nope"], ["--db", demo_db, "--org", "x" * 200]):
        r = cirs("compliance", *args, env={"CIRS_DB": ""})
        assert r.code == 2, (args, r.err)
        assert r.err.startswith("cirs: ")
    r = cirs("compliance", "--db", demo_db, "--org", ORG, "--from", "yesterday")
    assert r.code == 2 and "bad_time" in r.err
    r = cirs("compliance", "--db", demo_db, "--org", ORG, "--from", "2026-12-01", "--to", "2026-11-01")
    assert r.code == 2 and "bad_value" in r.err
    r = cirs("compliance", "--db", demo_db.parent / "missing.db", "--org", ORG)
    assert r.code != 0 and r.err


def test_help_in_both_languages():
    zh = cirs("compliance", "--help", env={"LANG": "zh_CN.UTF-8"})
    en = cirs("compliance", "--help")
    assert zh.code == 0 and en.code == 0
    assert "用法" in zh.out and "合规台账" in zh.out and "--authority CODE" in zh.out
    assert "Usage" in en.out and "Compliance ledger" in en.out and "--subtree" in en.out and "on-time rate" in en.out.lower()
    assert "compliance" in cirs("--help").out
