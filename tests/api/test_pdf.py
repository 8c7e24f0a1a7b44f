"""GET /api/v1/incidents/{id}/pdf: the official PDF documents over HTTP, with the access scope of reading the incident."""
import concurrent.futures
import re
import shutil
import subprocess

import pytest
import requests

from apihelp import add_user, doc_grade, err, ok

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing (scripts/install-deps.sh installs it)")

LONG = "".join(f"第{i}条：备用调度接管后逐台核查主站服务器，恢复历史数据库并比对实时数据完整性。\n" for i in range(1, 70))


def pdf_text(tmp_path, body, name="x.pdf"):
    f = tmp_path / name
    f.write_bytes(body)
    p = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(f), "-"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return re.sub(r"\s+", "", p.stdout)


@pytest.fixture(scope="module")
def filed(server):
    """A 较大 incident of jc-hengtai (an ordinary operator in Shanxi): routed to Shanxi's provincial CAC (officer)."""
    add_user(server.db, "reporter-jc2", "operator_reporter", organisation="jc-hengtai")
    rep = server.login("reporter-jc")
    doc = doc_grade("客户信息泄露事件（PDF）", "较大")
    doc["content"]["cause"] = "员工邮箱被钓鱼，攻击者导出客户信息表"
    r = ok(rep.post(rep.base + "/api/v1/incidents", json=doc), 201)
    return {"id": r["id"], "ref": r["ref"], "reporter": rep}


def get_pdf(sess, key, form=None):
    url = f"{sess.base}/api/v1/incidents/{key}/pdf" + (f"?form={form}" if form else "")
    return sess.get(url, timeout=60)


def test_operator_and_routed_authority_download_the_form(server, filed, tmp_path):
    for who in ("reporter-jc", "reporter-jc2", "officer", "national"):
        s = filed["reporter"] if who == "reporter-jc" else server.login(who)
        r = get_pdf(s, filed["id"])
        assert r.status_code == 200, (who, r.text[:300])
        assert r.headers["Content-Type"] == "application/pdf"
        assert r.content[:5] == b"%PDF-"
        cd = r.headers["Content-Disposition"]
        assert cd == f'attachment; filename="{filed["ref"]}-report.pdf"', cd
        text = pdf_text(tmp_path, r.content)
        for s_ in ("网络安全事件报告表", "报告单位", "事件分类", "■较大网络与信息安全事件", "■信息破坏类事件", "■数据泄密", "客户信息管理系统",
                   "员工邮箱被钓鱼，攻击者导出客户信息表", filed["ref"]):
            assert s_ in text, (who, s_)
    # By receipt number as well.
    assert get_pdf(filed["reporter"], filed["ref"], "report").status_code == 200


def test_reads_by_authorities_are_in_the_access_log(server, filed):
    assert get_pdf(server.login("officer"), filed["id"]).status_code == 200
    aud = server.login("auditor")
    for _ in range(50):
        items = ok(aud.get(aud.base + "/api/v1/access-log", params={"incident": filed["id"]}))["items"]
        if any(i.get("what") == "pdf" and i.get("username") == "officer" for i in items):
            return
        import time
        time.sleep(0.1)
    raise AssertionError(items)


def test_outside_the_scope_is_404(server, filed):
    for who in ("reporter-bj", "reporter"):  # another operator; shanxi-grid's reporter
        err(get_pdf(server.login(who), filed["id"]), 404, "not_found", "id")
        err(get_pdf(server.login(who), filed["id"], "final"), 404, "not_found", "id")
    err(get_pdf(server.login("auditor"), filed["id"]), 403, "forbidden")
    err(requests.get(f"{server.url}/api/v1/incidents/{filed['id']}/pdf", timeout=10), 401, "unauthenticated")
    err(get_pdf(filed["reporter"], 999999), 404, "not_found", "id")


def test_bad_form(server, filed):
    err(get_pdf(filed["reporter"], filed["id"], "annual"), 400, "bad_value", "form")
    err(get_pdf(filed["reporter"], filed["id"], "x" * 50), 400, "bad_value", "form")


def test_final_report_after_the_final_version(server, filed, tmp_path):
    rep = filed["reporter"]
    ok(rep.post(f"{rep.base}/api/v1/incidents/{filed['id']}/reports",
                json={"kind": "final", "content": {"measures_effect": "全部客户已通知，泄露渠道已封堵", "further_measures": LONG}}), 201)
    for who in ("reporter-jc", "officer"):
        s = rep if who == "reporter-jc" else server.login(who)
        r = get_pdf(s, filed["id"], "final")
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/pdf" and r.content[:5] == b"%PDF-"
        assert r.headers["Content-Disposition"] == f'attachment; filename="{filed["ref"]}-final.pdf"'
        text = pdf_text(tmp_path, r.content)
        for s_ in ("网络安全事件总结报告", "全部客户已通知，泄露渠道已封堵", "第69条：", "三、事件经过", "事件登记（初报受理）", "提交报告", "总结报告",
                   "处置结束", "四、报告义务履行情况", "省级网信部门", "cac-140000"):
            assert s_ in text, (who, s_)
        assert "尚未提交总结报告" not in text
    # The report form now carries the final version's content.
    text = pdf_text(tmp_path, get_pdf(rep, filed["id"]).content)
    assert "第2版（总结报告）" in text
    assert "全部客户已通知，泄露渠道已封堵" in text


def test_concurrent_downloads(server, filed):
    sessions = [server.login("officer") for _ in range(4)]

    def one(i):
        r = get_pdf(sessions[i % 4], filed["id"], "final" if i % 2 else "report")
        return r.status_code, r.content[:5]

    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        results = list(ex.map(one, range(16)))
    assert all(r == (200, b"%PDF-") for r in results), results
