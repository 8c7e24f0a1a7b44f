"""`cirs export pdf`: the official incident report form and the final report, checked with poppler-utils
(pdftotext, pdfinfo, pdffonts, pdftoppm) on real files made from a demo database."""
import json
import re
import shutil
import subprocess

import pytest

from conftest import BIN, ROOT, cirs, report

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils missing (scripts/install-deps.sh installs it)")

FORM_LABELS = ["报告单位", "报告时间", "事发单位", "事件起始时间", "填报人", "审核人", "事件分类", "事件级别", "危害表象", "事件描述",
               "处置措施", "事件后果的初步估计", "有关意见和建议"]

PARA = "攻击者通过钓鱼邮件获取运维人员凭据，随后横向移动至调度自动化系统主站，利用未修补的远程桌面漏洞部署勒索软件，加密了历史数据库与实时数据服务器上的文件。"
LONG_CAUSE = "".join(f"第{i}段：{PARA}\n" for i in range(1, 80)) + "原因分析至此结束（尾部标记）"
IMPACT = "调度系统整体中断 6 小时 40 分钟，备用调度接管前 3 座变电站监控数据缺失。"
SUPPORT = "请求省网信办协调国家网络安全应急技术支撑单位协助样本分析。"


def run(*args):
    p = subprocess.run(list(map(str, args)), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return p.stdout


def text_of(pdf, first=None, last=None):
    args = ["pdftotext", "-raw", "-enc", "UTF-8"]  # content-stream order: each cell's lines stay together
    if first:
        args += ["-f", first]
    if last:
        args += ["-l", last]
    return run(*args, pdf, "-")


def flat(s):
    """Text without whitespace: wrapped lines of a cell join up again."""
    return re.sub(r"\s+", "", s)


def pages(pdf):
    return int(re.search(r"^Pages:\s+(\d+)", run("pdfinfo", pdf), re.M).group(1))


@pytest.fixture
def filed(tmp_path, demo_db):
    """A report in Chinese with a very long cause analysis (about 18 KB), filed for shanxi-grid."""
    doc = report(tmp_path, title="调度系统勒索软件事件（长文本）")
    d = json.loads(doc.read_text())
    d["content"].update(cause=LONG_CAUSE, impact=IMPACT, support_requested=SUPPORT, place="山西省太原市", development="存在向生产控制大区扩散的风险")
    doc.write_text(json.dumps(d, ensure_ascii=False))
    r = cirs("report", "submit", "--db", demo_db, "--org", "shanxi-grid", doc)
    assert r.code == 0, r.err
    return demo_db


def test_report_form_has_every_label_and_the_report_text(tmp_path, filed):
    out = tmp_path / "form.pdf"
    r = cirs("export", "pdf", "--db", filed, "1", "-o", out)
    assert r.code == 0, r.err
    assert out.read_bytes()[:5] == b"%PDF-"
    info = run("pdfinfo", out)
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
    n = pages(out)
    assert n > 1
    assert f"({n} pages" in r.out
    text = flat(text_of(out))
    for label in FORM_LABELS:
        assert label in text, label
    assert "网络安全事件报告表" in text
    # The values, in Chinese: reporting unit, organisation, grade box, category box, times, contact, the free texts.
    for value in ["国网山西省电力公司信息通信分公司", "国网山西省电力公司", "■特别重大网络与信息安全事件", "■有害程序类事件", "勒索软件事件",
                  "2026年11月21日08时00分", "王晓明0351-0000000", "山西省太原市", flat(IMPACT), flat(SUPPORT), "隔离受感染主机，启用备用调度",
                  "调度系统勒索软件事件（长文本）", "CIRS-2026-000001"]:
        assert value in text, value
    # Every paragraph of the long text is there, none clipped, and its end is on a later page.
    for i in range(1, 80):
        assert f"第{i}段：" in text, i
    assert flat(PARA) in text
    assert "原因分析至此结束（尾部标记）" not in flat(text_of(out, last=1))
    assert "原因分析至此结束（尾部标记）" in flat(text_of(out, first=2))
    # Page numbers "第 N 页 共 M 页" on every page.
    for p in range(1, n + 1):
        assert f"第{p}页共{n}页" in flat(text_of(out, first=p, last=p))
    # The fonts are embedded Noto CJK subsets.
    fonts = run("pdffonts", out).splitlines()[2:]
    cjk = [f for f in fonts if "CJK" in f]
    assert cjk, fonts
    for f in fonts:
        cols = f.split()
        assert cols[-5] == "yes" and cols[-4] == "yes", f  # emb, sub
        assert re.match(r"[A-Z]{6}\+Noto", cols[0]), f
    # A rendered page for people to look at (issue 7, acceptance 3).
    shots = ROOT / "build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    run("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", out, shots / "pdf-report-form")
    assert (shots / "pdf-report-form.png").stat().st_size > 10_000


def test_final_report_has_summary_content_timeline_and_obligations(tmp_path, filed):
    out = tmp_path / "final.pdf"
    r = cirs("export", "pdf", "--db", filed, "--form", "final", "CIRS-2026-000001", "-o", out)
    assert r.code == 0, r.err
    text = flat(text_of(out))
    for s in ["网络安全事件总结报告", "一、事件概况", "二、总结报告内容", "三、事件经过", "四、报告义务履行情况",
              # no final version yet: the latest version stands in, and the document says so
              "尚未提交总结报告", "初步原因分析", "原因分析至此结束（尾部标记）",
              # the timeline: events of the incident with time and actor
              "事件登记（初报受理）", "提交报告", "生成报告义务", "cli:",
              # obligations with their recipients, deadlines and status
              "初报", "续报", "总结报告", "关键信息基础设施保护工作部门", "公安机关", "cii-energy", "ps-140000", "1小时", "待履行", "未起算"]:
        assert s in text, s
    assert "已履行" in text or "迟报" in text  # the initial report (met on time or late: the example's awareness time is fixed)
    assert pages(out) >= 2
    run("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", out, ROOT / "build" / "screenshots" / "pdf-final-report")


def test_drill_is_marked_on_every_page(tmp_path, demo_db):
    doc = report(tmp_path, title="应急演练：调度系统勒索", drill=True)
    d = json.loads(doc.read_text())
    d["content"]["cause"] = LONG_CAUSE
    doc.write_text(json.dumps(d, ensure_ascii=False))
    assert cirs("report", "submit", "--db", demo_db, "--org", "shanxi-grid", doc).code == 0
    for form in ("report", "final"):
        out = tmp_path / f"{form}.pdf"
        assert cirs("export", "pdf", "--db", demo_db, "--form", form, "1", "-o", out).code == 0
        n = pages(out)
        for p in range(1, n + 1):
            assert "【演练】" in text_of(out, first=p, last=p), (form, p)


def test_default_name_and_stdout(tmp_path, filed):
    p = subprocess.run([BIN, "export", "pdf", "--db", str(filed), "1"], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "CIRS-2026-000001-report.pdf").read_bytes()[:5] == b"%PDF-"
    p = subprocess.run([BIN, "export", "pdf", "--db", str(filed), "--form", "final", "1", "-o", "-"], capture_output=True, timeout=60)
    assert p.returncode == 0 and p.stdout[:5] == b"%PDF-" and p.stdout.rstrip().endswith(b"%%EOF")


def test_markup_in_user_text_is_text(tmp_path, demo_db):
    doc = report(tmp_path, title="<b>标题</b> & 特殊字符")
    d = json.loads(doc.read_text())
    d["content"]["other"] = "含控制字符\u0001与 <span>标签</span> & 实体 &amp;"
    doc.write_text(json.dumps(d, ensure_ascii=False))
    assert cirs("report", "submit", "--db", demo_db, "--org", "shanxi-grid", doc).code == 0
    out = tmp_path / "m.pdf"
    assert cirs("export", "pdf", "--db", demo_db, "1", "-o", out).code == 0
    text = flat(text_of(out))
    assert "<b>标题</b>&特殊字符" in text
    assert "<span>标签</span>&实体&amp;" in text


def test_errors_and_help(tmp_path, demo_db):
    r = cirs("export", "pdf", "--db", demo_db, "99")
    assert r.code == 2 and "not_found" in r.err
    r = cirs("export", "pdf", "--db", demo_db, "--form", "annual", "1")
    assert r.code == 2 and "--form" in r.err
    r = cirs("export", "pdf", "--db", demo_db)
    assert r.code == 2
    r = cirs("export", "pdf", "1")
    assert r.code == 2 and "--db" in r.err
    r = cirs("export", "pdf", "--db", tmp_path / "missing.db", "1")
    assert r.code != 0
    r = cirs("export", "pdf", "--help")
    assert r.code == 0 and "export pdf" in r.out and "--form report|final" in r.out and "final report" in r.out
    r = cirs("export", "pdf", "--help", "--lang", "zh")
    assert r.code == 0 and "总结报告" in r.out and "网络安全事件报告表" in r.out
    r = cirs("--help")
    assert "export pdf" in r.out
