"""Mail intake (`cirs mail ingest`): real messages built here (Python's email package or raw bytes) go through the real
binary into a real SQLite file; the outcome is read back with the CLI and the sqlite3 shell. Covers every charset and
transfer encoding, RFC 2047 headers, attachments, the Chinese report template becoming a graded report, free text
becoming a draft, ARF and X-ARF becoming tips, quarantine (oversized, broken MIME, no sender), Maildir runs, repeats,
receipt replies in the outbox, and -- when ../shared/fixtures is present -- the third-party abuse mails."""
import base64
import json
import os
import pathlib
import shutil
import subprocess
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, parseaddr

import pytest

from conftest import BIN, ROOT, cirs, sql

NOW = "2026-11-21T10:05:00+08:00"  # the clock of the template tests (the template's times are just before it)
FIXTURES = ROOT.parent / "shared" / "fixtures" / "mail"
KNOWN = "reporter@shanxi-grid.example.cn"  # a demo operator user of shanxi-grid
STRANGER = "someone@example.org"

TEMPLATE_ZH = """各位领导：

一、单位名称：国网山西省电力公司信息通信分公司
二、事件标题：勒索软件加密调度系统服务器
三、事件类型：勒索软件
四、发现时间：2026年11月21日 09:30
五、发生时间：2026-11-21 08:00
联系人：王晓明 0351-0000000
受影响系统：调度自动化系统（SCADA）主站服务器 12 台
事件描述：调度系统整体中断，
备用调度已接管。
中断时长：6小时40分钟
影响用户数：3万
已采取措施：隔离受感染主机，启用备用调度

-- 
王晓明
"""

# The same report as the API would take it (docs/report-format.md): the template must give the same grading.
TEMPLATE_DOC = {
    "title": "勒索软件加密调度系统服务器",
    "aware_at": "2026-11-21T09:30:00+08:00",
    "occurred_at": "2026-11-21T08:00:00+08:00",
    "category": "MPRANS",
    "facts": {"cii_outage_min": 400, "people_affected": 30000},
    "content": {"reporting_unit": "国网山西省电力公司信息通信分公司", "contact": "王晓明 0351-0000000",
                "affected_system": "调度自动化系统（SCADA）主站服务器 12 台", "impact": "调度系统整体中断，\n备用调度已接管。",
                "measures_taken": "隔离受感染主机，启用备用调度"},
}


def ingest(db, raw, *args, now=None, lang="en"):
    """Runs `cirs mail ingest --json` with `raw` (bytes) on stdin; returns (exit code, parsed stdout or None, stderr)."""
    env = dict(os.environ, LANG="en_US.UTF-8")
    env.pop("CIRS_NOW", None)
    if now:
        env["CIRS_NOW"] = now
    p = subprocess.run([BIN, "--lang", lang, "mail", "ingest", "--db", str(db), "--json", *map(str, args)], input=raw,
                       capture_output=True, timeout=120, env=env)
    out = p.stdout.decode()
    try:
        j = json.loads(out) if out.strip() else None
    except json.JSONDecodeError:
        j = None
    return p.returncode, j, p.stderr.decode()


def accepted(db, raw, kind, **kw):
    code, j, err = ingest(db, raw, **kw)
    assert code == 0, err
    assert j["status"] == "accepted", j
    assert j["kind"] == kind, j
    return j


def show(db, ref):
    r = cirs("mail", "show", "--db", db, "--json", ref)
    assert r.code == 0, r.err
    return r.json()


def count(db, table, where="1"):
    return int(sql(db, f"SELECT count(*) FROM {table} WHERE {where}"))


def plain(body, subject="来信", sender=STRANGER, charset="utf-8", cte=None, msgid=None, headers=None):
    """A one-part text mail as bytes; `body` is encoded in `charset`, then in `cte` (base64 / quoted-printable / 8bit)."""
    m = MIMEText(body, "plain", charset)
    if cte:
        del m["Content-Transfer-Encoding"]
        payload = body.encode(charset)
        if cte == "base64":
            m.set_payload(base64.encodebytes(payload).decode())
        elif cte == "quoted-printable":
            import quopri
            m.set_payload(quopri.encodestring(payload).decode())
        m["Content-Transfer-Encoding"] = cte
    m["From"] = formataddr(parseaddr(sender))  # a display name in RFC 2047, the address as it is
    m["To"] = "report@cirs.example.cn"
    m["Subject"] = Header(subject, "utf-8") if any(ord(c) > 127 for c in subject) else subject
    m["Message-ID"] = msgid or f"<{abs(hash((body, subject, sender, charset, cte)))}@test.example>"
    m["Date"] = "Sat, 21 Nov 2026 10:00:00 +0800"
    for k, v in (headers or {}).items():
        m[k] = v
    return m.as_bytes()


def raw_mail(headers, body):
    """A mail from raw header lines and body bytes (no encoding applied: for undeclared 8-bit text and broken MIME)."""
    return b"\r\n".join(h.encode() if isinstance(h, str) else h for h in headers) + b"\r\n\r\n" + body


# ---- charsets and transfer encodings ---------------------------------------------------------------------------------

CHINESE = "我单位门户网站于今日上午发现异常访问，疑似遭到攻击，现将情况报告如下。"


@pytest.mark.parametrize("charset", ["utf-8", "gb2312", "gbk", "gb18030"])
@pytest.mark.parametrize("cte", ["8bit", "base64", "quoted-printable"])
def test_charsets_and_transfer_encodings(demo_db, charset, cte):
    raw = plain(CHINESE, charset=charset, cte=None if cte == "8bit" else cte, msgid=f"<cs-{charset}-{cte}@test.example>")
    if cte == "8bit":
        raw = raw.replace(b"Content-Transfer-Encoding: base64", b"Content-Transfer-Encoding: 8bit")
        head, _, _ = raw.partition(b"\n\n")
        raw = head + b"\n\n" + CHINESE.encode(charset)
    j = accepted(demo_db, raw, "draft")
    m = show(demo_db, j["mail_ref"])
    assert CHINESE in m["draft"]["text"]
    assert m["charset"] == ("utf-8" if charset == "utf-8" else "gb18030")


def test_gbk_characters_in_a_mail_labelled_gb2312(demo_db):
    text = "朱镕基同志、赵丽颖及𠀀"  # 镕 and 颖 are GBK, not GB2312; 𠀀 needs GB18030's four-byte form
    raw = raw_mail(["From: a@example.org", "Subject: gbk", "Message-ID: <gbk@test>", "MIME-Version: 1.0",
                    "Content-Type: text/plain; charset=gb2312"], text.encode("gb18030"))
    j = accepted(demo_db, raw, "draft")
    assert show(demo_db, j["mail_ref"])["draft"]["text"].strip() == text


def test_undeclared_8bit_chinese_falls_back_to_gb18030(demo_db):
    """No charset anywhere, 8-bit GB18030 in the subject and the body: read as GB18030 (not UTF-8, not Latin-1)."""
    subject = "关于网站被篡改的情况说明"
    raw = raw_mail([b"From: " + "值班员".encode("gb18030") + b" <duty@example.org>", b"Subject: " + subject.encode("gb18030"),
                    b"Message-ID: <undeclared@test>", b"MIME-Version: 1.0", b"Content-Type: text/plain",
                    b"Content-Transfer-Encoding: 8bit"], CHINESE.encode("gb18030"))
    j = accepted(demo_db, raw, "draft")
    m = show(demo_db, j["mail_ref"])
    assert m["subject"] == subject
    assert m["sender_name"] == "值班员"
    assert CHINESE in m["draft"]["text"]
    assert m["charset"] == "gb18030"


def test_undeclared_8bit_utf8_stays_utf8(demo_db):
    raw = raw_mail(["From: a@example.org", "Subject: utf8", "Message-ID: <u8@test>"], CHINESE.encode())
    j = accepted(demo_db, raw, "draft")
    m = show(demo_db, j["mail_ref"])
    assert CHINESE in m["draft"]["text"] and m["charset"] == "utf-8"


@pytest.mark.parametrize("encoded,expected", [
    ("=?GB2312?B?" + base64.b64encode("网络安全事件报告".encode("gb2312")).decode() + "?=", "网络安全事件报告"),
    ("=?UTF-8?Q?=E4=BA=8B=E4=BB=B6_report?=", "事件 report"),
    ("=?GBK?B?" + base64.b64encode("赵丽颖".encode("gbk")).decode() + "?= =?utf-8?b?" + base64.b64encode("：线索".encode()).decode() + "?=",
     "赵丽颖：线索"),
])
def test_rfc2047_subjects(demo_db, encoded, expected):
    raw = raw_mail(["From: a@example.org", f"Subject: {encoded}", f"Message-ID: <{abs(hash(encoded))}@test>"], b"some text here")
    j = accepted(demo_db, raw, "draft")
    assert show(demo_db, j["mail_ref"])["subject"] == expected


def test_html_only_mail_becomes_text(demo_db):
    m = MIMEText("<html><head><style>p{color:red}</style></head><body><p>网站首页被篡改</p><p>请尽快处理&amp;回复</p></body></html>", "html", "utf-8")
    m["From"], m["Subject"], m["Message-ID"] = STRANGER, "html", "<html@test>"
    j = accepted(demo_db, m.as_bytes(), "draft")
    text = show(demo_db, j["mail_ref"])["draft"]["text"]
    assert "网站首页被篡改" in text and "请尽快处理&回复" in text and "color" not in text and "<p>" not in text


# ---- attachments ------------------------------------------------------------------------------------------------------

def test_multipart_attachments_stored_with_size(demo_db):
    m = MIMEMultipart()
    m["From"], m["To"], m["Subject"], m["Message-ID"] = STRANGER, "report@cirs.example.cn", "日志附件", "<att@test>"
    m.attach(MIMEText("附件是防火墙日志和样本。", "plain", "utf-8"))
    log = ("2026-11-21 09:00:01 DROP 203.0.113.5 -> 10.0.0.8:445\n" * 200).encode()
    sample = bytes(range(256)) * 40
    a1 = MIMEText(log.decode(), "plain", "utf-8")
    a1.add_header("Content-Disposition", "attachment", filename="防火墙日志.txt")
    m.attach(a1)
    a2 = MIMEApplication(sample, "octet-stream")
    a2.add_header("Content-Disposition", "attachment", filename="sample.bin")
    m.attach(a2)
    j = accepted(demo_db, m.as_bytes(), "draft")
    assert j["attachments"] == 2
    rows = sql(demo_db, "SELECT filename, content_type, size, length(data), sha256 FROM intake_attachments ORDER BY id").splitlines()
    import hashlib
    assert rows == [f"防火墙日志.txt|text/plain|{len(log)}|{len(log)}|{hashlib.sha256(log).hexdigest()}",
                    f"sample.bin|application/octet-stream|{len(sample)}|{len(sample)}|{hashlib.sha256(sample).hexdigest()}"]
    assert [a["size"] for a in show(demo_db, j["mail_ref"])["attachments"]] == [len(log), len(sample)]


def test_too_many_attachments_quarantined(demo_db):
    m = MIMEMultipart()
    m["From"], m["Subject"], m["Message-ID"] = STRANGER, "many", "<many@test>"
    m.attach(MIMEText("text", "plain"))
    for i in range(21):
        a = MIMEApplication(b"x" * 10)
        a.add_header("Content-Disposition", "attachment", filename=f"f{i}.bin")
        m.attach(a)
    code, j, _ = ingest(demo_db, m.as_bytes())
    assert code == 0 and j["status"] == "quarantined" and j["reason_code"] == "too_many_attachments"
    assert "20" in j["reason"]


# ---- the report template --------------------------------------------------------------------------------------------

def test_chinese_template_becomes_a_graded_report(demo_db, tmp_path):
    raw = plain(TEMPLATE_ZH, subject="事件报告", sender=f"王晓明 <{KNOWN}>", charset="gb18030", cte="base64", msgid="<tpl@shanxi-grid>")
    j = accepted(demo_db, raw, "report", now=NOW)
    assert j["organisation"] == "shanxi-grid" and j["receipt"].startswith("CIRS-") and j["reply_queued"]
    r = cirs("incident", "show", "--db", demo_db, "--json", j["receipt"])
    assert r.code == 0, r.err
    inc = r.json()
    # The same grading and obligations as the same report filed through the model's other paths.
    (tmp_path / "doc.json").write_text(json.dumps(TEMPLATE_DOC, ensure_ascii=False))
    env = {"CIRS_NOW": NOW}
    db2 = tmp_path / "api.db"
    assert cirs("init", "--db", db2, "--demo").code == 0
    r2 = cirs("report", "submit", "--db", db2, "--org", "shanxi-grid", "--json", tmp_path / "doc.json", env=env)
    assert r2.code == 0, r2.err
    # Both read back the same way (statuses are read against the clock, so compare like with like).
    ref = cirs("incident", "show", "--db", db2, "--json", r2.json()["ref"]).json()
    assert inc["grade"] == ref["grade"] == "特别重大"
    assert inc["category"] == "MPRANS"
    assert sorted((o["kind"], o["route"], o["status"]) for o in inc["obligations"]) == \
        sorted((o["kind"], o["route"], o["status"]) for o in ref["obligations"])
    v1 = inc["reports"][0]
    assert v1["channel"] == "email" and v1["submitted_by"] == f"mail:{KNOWN}"
    c = v1["content"]
    assert c["facts"] == {"cii_outage_min": 400, "people_affected": 30000}
    assert c["impact"] == "调度系统整体中断，\n备用调度已接管。" and c["reporting_unit"] == "国网山西省电力公司信息通信分公司"
    assert c["aware_at"] == "2026-11-21T09:30:00+08:00" and c["occurred_at"] == "2026-11-21T08:00:00+08:00"
    # The receipt reply: in the outbox, same transaction, addressed to the sender, with the receipt number.
    row = sql(demo_db, "SELECT kind, channel, target, status, organisation_id IS NOT NULL, incident_id FROM outbox WHERE kind = 'mail.receipt'")
    assert row == f"mail.receipt|email|{KNOWN}|pending|1|{inc['id']}"
    body = sql(demo_db, "SELECT subject || body FROM outbox WHERE kind = 'mail.receipt'")
    assert j["receipt"] in body and "受理编号" in body and "Receipt number" in body
    # The report reached its authorities as any report does, and the audit chain covers the intake.
    assert count(demo_db, "incident_routes", f"incident_id = {inc['id']}") >= 2
    assert count(demo_db, "events", "type = 'mail.received'") == 1
    assert cirs("audit", "verify", "--db", demo_db).code == 0


def test_english_template_with_registered_domain(demo_db):
    assert cirs("mail", "sender-add", "--db", demo_db, "--org", "bj-yunfan", "@Yunfan-Ops.example.cn").code == 0
    r = cirs("mail", "senders", "--db", demo_db, "--json")
    assert r.json()[0]["address"] == "@yunfan-ops.example.cn" and r.json()[0]["organisation"] == "bj-yunfan"
    body = """Organisation: Beijing Yunfan
Title: Web page defacement of the customer portal
Category: NAWEBMOD
Discovered: 2026-11-21 09:00
Affected system: customer portal www.yunfan.example.cn
Impact: home page replaced for 40 minutes
People affected: 1,200
"""
    j = accepted(demo_db, plain(body, subject="report", sender="noc@yunfan-ops.example.cn"), "report", now=NOW)
    assert j["organisation"] == "bj-yunfan"
    inc = cirs("incident", "show", "--db", demo_db, "--json", j["receipt"]).json()
    assert inc["category"] == "NAWEBMOD" and inc["reports"][0]["content"]["facts"] == {"people_affected": 1200}


def test_template_from_unknown_sender_goes_to_triage(demo_db):
    j = accepted(demo_db, plain(TEMPLATE_ZH, sender=STRANGER), "draft", now=NOW)
    assert j["reason_code"] == "unknown_sender" and j["organisation"] is None
    assert count(demo_db, "incidents") == 0
    d = show(demo_db, j["mail_ref"])["draft"]
    assert d["status"] == "new" and d["organisation"] is None
    assert d["parsed"]["category"] == "MPRANS" and d["parsed"]["facts"]["cii_outage_min"] == 400


def test_template_that_cannot_be_filed_is_a_draft_with_the_reason(demo_db):
    body = TEMPLATE_ZH.replace("三、事件类型：勒索软件", "三、事件类型：外星人入侵")
    j = accepted(demo_db, plain(body, sender=KNOWN), "draft", now=NOW)
    assert j["reason_code"] == "template_invalid" and "unknown_category" in j["reason"] and j["organisation"] == "shanxi-grid"
    assert count(demo_db, "incidents") == 0
    assert "外星人入侵" in sql(demo_db, "SELECT body FROM outbox WHERE kind = 'mail.receipt'")  # the reply says why
    d = show(demo_db, j["mail_ref"])["draft"]
    assert d["organisation"] == "shanxi-grid"


def test_failed_authentication_is_not_trusted_as_the_operator(demo_db):
    raw = plain(TEMPLATE_ZH, sender=KNOWN, headers={"Authentication-Results": "mx.cirs.example.cn; spf=fail smtp.mailfrom=shanxi-grid.example.cn; dmarc=fail"})
    j = accepted(demo_db, raw, "draft", now=NOW)
    assert j["reason_code"] == "sender_not_authenticated" and count(demo_db, "incidents") == 0


# ---- free text, triage, replies -----------------------------------------------------------------------------------------

def test_free_text_becomes_a_draft_for_triage(demo_db):
    j = accepted(demo_db, plain("你好，我们发现贵单位网站存在异常跳转，请核实。", sender="citizen@example.org"), "draft")
    assert j["receipt"] == j["mail_ref"] and j["reason_code"] is None
    r = cirs("mail", "list", "--db", demo_db, "--drafts", "--open", "--json")
    items = r.json()["items"]
    assert len(items) == 1 and items[0]["ref"] == j["mail_ref"] and items[0]["status"] == "new" and items[0]["sender"] == "citizen@example.org"
    assert "异常跳转" in items[0]["excerpt"]
    assert sql(demo_db, "SELECT target FROM outbox WHERE kind = 'mail.receipt'") == "citizen@example.org"
    assert j["mail_ref"] in sql(demo_db, "SELECT body FROM outbox WHERE kind = 'mail.receipt'")
    r = cirs("mail", "triage", "--db", demo_db, "--draft", items[0]["id"], "--note", "已电话联系，转网站运营方")
    assert r.code == 0, r.err
    assert cirs("mail", "list", "--db", demo_db, "--drafts", "--open", "--json").json()["items"] == []
    assert cirs("mail", "triage", "--db", demo_db, "--draft", items[0]["id"]).code == 2  # conflict: already triaged
    assert count(demo_db, "events", "type = 'mail.draft_triaged'") == 1


def test_no_reply_to_automatic_mail(demo_db):
    j = accepted(demo_db, plain("自动通知：检测到异常流量。", headers={"Auto-Submitted": "auto-generated"}), "draft")
    assert not j["reply_queued"]
    assert count(demo_db, "outbox") == 0
    assert sql(demo_db, "SELECT reply FROM intake_mails") == "skipped"


# ---- abuse reports -------------------------------------------------------------------------------------------------------

def test_arf_becomes_a_tip_with_its_fields(demo_db):
    m = MIMEMultipart("report", report_type="feedback-report")
    m["From"], m["Subject"], m["Message-ID"] = "fbl@isp.example.net", "Abuse report", "<arf@test>"
    m.attach(MIMEText("This is an email abuse report for an email received from IP 192.0.2.1.", "plain"))
    fr = MIMEText("", "plain")
    fr.set_type("message/feedback-report")
    fr.set_payload("Feedback-Type: abuse\nUser-Agent: ExampleFBL/1.0\nVersion: 1\nOriginal-Mail-From: <spammer@example.com>\n"
                   "Arrival-Date: Thu, 8 Mar 2026 14:00:00 +0000\nSource-IP: 192.0.2.1\nReported-Domain: example.com\n"
                   "Reported-URI: http://example.com/bad\n")
    m.attach(fr)
    orig = MIMEText("From: spammer@example.com\nSubject: buy now\n\nspam", "plain")
    orig.set_type("text/rfc822-headers")
    m.attach(orig)
    j = accepted(demo_db, m.as_bytes(), "tip")
    assert j["receipt"].startswith("TIP-")
    tip = json.loads(sql(demo_db, "SELECT content FROM tips"))
    assert tip["category"] == "ICSPAM" and tip["url"] == "http://example.com/bad" and tip["contact"] == "fbl@isp.example.net"
    assert tip["observed_at"] == "2026-03-08T22:00:00+08:00"
    assert tip["abuse"]["format"] == "arf" and tip["abuse"]["source"] == "192.0.2.1"
    assert tip["abuse"]["fields"]["original-mail-from"] == "<spammer@example.com>"
    assert "192.0.2.1" in tip["description"]
    assert count(demo_db, "events", "type = 'tip.received'") == 1


def test_csv_abuse_feed_becomes_a_tip_with_every_row_counted(demo_db):
    m = MIMEMultipart()
    m["From"], m["Subject"], m["Message-ID"] = "feeds@cert.example.org", "[Feed] 2 incidents", "<feed@test>"
    m.attach(MIMEText("Attached are the drones seen in your network.", "plain"))
    csv_text = ("\ufeffReport_Type,src_ip,Event_Date,Event_Time,Infection_Type,Note\r\n"
                "\"Botnet Drone\",198.51.100.7,2026-03-01,10:20:30,Mirai,\"seen, twice\"\r\n"
                "Botnet Drone,198.51.100.8,2026-03-01,11:00:00,Mirai,\"a \"\"quoted\"\" note\"\r\n")
    att = MIMEText(csv_text, "csv", "utf-8")
    att.add_header("Content-Disposition", "attachment", filename="drones.csv")
    m.attach(att)
    accepted(demo_db, m.as_bytes(), "tip")
    tip = json.loads(sql(demo_db, "SELECT content FROM tips"))
    feed = tip["abuse"]
    assert feed["format"] == "csv" and feed["rows"] == 2 and feed["file"] == "drones.csv"
    assert feed["source"] == "198.51.100.7" and feed["type"] == "Botnet Drone"
    assert feed["fields"][0]["note"] == "seen, twice" and feed["fields"][1]["note"] == 'a "quoted" note'
    assert tip["observed_at"] == "2026-03-01T18:20:30+08:00"
    # A CSV attachment without an address and a type column is no feed: the mail stays free text (a draft).
    m2 = MIMEMultipart()
    m2["From"], m2["Subject"], m2["Message-ID"] = "someone@example.org", "price list", "<prices@test>"
    m2.attach(MIMEText("see attached", "plain"))
    a2 = MIMEText("item,price\r\napple,3\r\n", "csv", "utf-8")
    a2.add_header("Content-Disposition", "attachment", filename="prices.csv")
    m2.attach(a2)
    accepted(demo_db, m2.as_bytes(), "draft")


def test_xarf_v4_json_becomes_a_tip(demo_db):
    doc = {"xarf_version": "4.2.0", "report_id": "9ac39cd1", "timestamp": "2026-01-11T09:21:23Z",
           "reporter": {"org": "DDoS Protection Service", "contact": "ddos@ddos-monitor.example", "domain": "ddos-monitor.example"},
           "source_identifier": "192.0.2.155", "category": "connection", "type": "ddos", "destination_ip": "203.0.113.100"}
    m = MIMEMultipart()
    m["From"], m["Subject"], m["Message-ID"], m["X-XARF"] = "ddos@ddos-monitor.example", "abuse report", "<xarf4@test>", "PLAIN"
    m.attach(MIMEText("DDoS from your network.", "plain"))
    a = MIMEApplication(json.dumps(doc).encode(), "json")
    a.add_header("Content-Disposition", "attachment", filename="xarf.json")
    m.attach(a)
    accepted(demo_db, m.as_bytes(), "tip")
    tip = json.loads(sql(demo_db, "SELECT content FROM tips"))
    assert tip["category"] == "NADOS" and tip["abuse"]["format"] == "x-arf" and tip["abuse"]["version"] == "4.2.0"
    assert tip["abuse"]["source"] == "192.0.2.155" and tip["abuse"]["reporter"] == "DDoS Protection Service"
    assert tip["observed_at"] == "2026-01-11T17:21:23+08:00"


# ---- quarantine -------------------------------------------------------------------------------------------------------

def test_oversized_mail_quarantined_without_reply(demo_db):
    big = plain("x" * (10 * 1024 * 1024 + 100), subject="huge", msgid="<huge@test>")
    code, j, _ = ingest(demo_db, big)
    assert code == 0 and j["status"] == "quarantined" and j["reason_code"] == "too_large"
    assert "10485760" in j["reason"]
    row = sql(demo_db, "SELECT status, subject, sender, length(raw), size > 10485760, reply FROM intake_mails")
    assert row == f"quarantined|huge|{STRANGER}|65536|1|none"
    assert count(demo_db, "outbox") == 0 and count(demo_db, "intake_drafts") == 0
    r = cirs("mail", "list", "--db", demo_db, "--quarantined")
    assert "too_large" in r.out and j["mail_ref"] in r.out


@pytest.mark.parametrize("name,headers,body", [
    ("boundary never found", ["Content-Type: multipart/mixed; boundary=\"abc\""],
     b"--xyz\r\nContent-Type: text/plain\r\n\r\nlost\r\n--xyz--\r\n"),
    ("no boundary parameter", ["Content-Type: multipart/mixed"],
     b"--abc\r\nContent-Type: text/plain\r\n\r\nlost\r\n--abc--\r\n"),
    ("nested multipart without parts", ["Content-Type: multipart/mixed; boundary=\"outer\""],
     b"--outer\r\nContent-Type: text/plain\r\n\r\nhello there\r\n--outer\r\nContent-Type: multipart/alternative; boundary=\"inner\"\r\n\r\n"
     b"no parts here\r\n--outer--\r\n"),
])
def test_broken_mime_quarantined_with_reason(demo_db, name, headers, body):
    raw = raw_mail(["From: a@example.org", "Subject: broken", f"Message-ID: <{abs(hash(name))}@test>", "MIME-Version: 1.0", *headers], body)
    code, j, _ = ingest(demo_db, raw)
    assert code == 0 and j["status"] == "quarantined", (name, j)
    assert j["reason_code"] == "broken_mime" and "MIME" in j["reason"]
    m = show(demo_db, j["mail_ref"])
    assert m["status"] == "quarantined" and m["reply"] == "none" and m["raw_size"] == len(raw)
    r = subprocess.run([BIN, "mail", "show", "--db", str(demo_db), "--raw", j["mail_ref"]], capture_output=True)
    assert r.returncode == 0 and r.stdout == raw  # the bytes as received, for repair and a second try
    assert count(demo_db, "outbox") == 0


def test_mail_without_sender_quarantined(demo_db):
    code, j, _ = ingest(demo_db, raw_mail(["Subject: anonymous", "Message-ID: <nosender@test>"], b"who am I"))
    assert j["status"] == "quarantined" and j["reason_code"] == "no_sender"
    code, j, _ = ingest(demo_db, b"this is not a mail at all, just a line of text without headers\n")
    assert code == 0 and j["status"] == "quarantined"
    assert count(demo_db, "intake_mails", "status = 'quarantined'") == 2
    assert count(demo_db, "events", "type = 'mail.quarantined'") == 2


# ---- repeats --------------------------------------------------------------------------------------------------------------

def test_same_mail_twice_is_not_duplicated(demo_db):
    raw = plain(TEMPLATE_ZH, sender=KNOWN, msgid="<twice@shanxi-grid>")
    first = accepted(demo_db, raw, "report", now=NOW)
    tables = ["intake_mails", "incidents", "report_versions", "obligations", "outbox", "events", "intake_drafts", "tips"]
    before = {t: count(demo_db, t) for t in tables}
    # A second delivery: the MTA added a trace header; the content is the same.
    code, j, _ = ingest(demo_db, b"Received: from mx2 by mx1; Sat, 21 Nov 2026 10:06:00 +0800\r\n" + raw, now=NOW)
    assert code == 0 and j["status"] == "duplicate" and j["receipt"] == first["receipt"] and j["mail_ref"] == first["mail_ref"]
    assert {t: count(demo_db, t) for t in tables} == before
    # A quarantined mail sent again is not recorded twice either.
    broken = raw_mail(["From: a@example.org", "Message-ID: <brk@test>", "Content-Type: multipart/mixed"], b"x")
    assert ingest(demo_db, broken)[1]["status"] == "quarantined"
    assert ingest(demo_db, broken)[1]["status"] == "duplicate"
    assert count(demo_db, "intake_mails", "status = 'quarantined'") == 1


def test_reused_message_id_with_other_content_is_kept(demo_db):
    a = accepted(demo_db, plain("第一封：网站异常。", msgid="<same@test>"), "draft")
    b = accepted(demo_db, plain("第二封：另一起事件，内容不同。", msgid="<same@test>"), "draft")
    assert a["mail_ref"] != b["mail_ref"] and b["reason_code"] == "message_id_reused"
    assert ingest(demo_db, plain("第二封：另一起事件，内容不同。", msgid="<same@test>"))[1]["status"] == "duplicate"
    assert count(demo_db, "intake_mails") == 2


# ---- Maildir --------------------------------------------------------------------------------------------------------------

def make_maildir(path, mails):
    for d in ("new", "cur", "tmp"):
        (path / d).mkdir(parents=True, exist_ok=True)
    for name, raw in mails.items():
        (path / "new" / name).write_bytes(raw)


def test_maildir_run(demo_db, tmp_path):
    md = tmp_path / "Maildir"
    mails = {
        "1700000001.M1P1.mx": plain(TEMPLATE_ZH, sender=KNOWN, msgid="<md-report@test>"),
        "1700000002.M2P1.mx": plain("随便写的一段话，没有模板。", msgid="<md-free@test>"),
        "1700000003.M3P1.mx": raw_mail(["From: a@example.org", "Message-ID: <md-broken@test>", "Content-Type: multipart/mixed; boundary=q"], b"nothing"),
        "1700000004.M4P1.mx": raw_mail(["From: fbl@isp.example.net", "Message-ID: <md-arf@test>", "MIME-Version: 1.0",
                                        "Content-Type: multipart/report; report-type=feedback-report; boundary=b"],
                                       b"--b\r\nContent-Type: text/plain\r\n\r\nabuse report about 192.0.2.9\r\n--b\r\n"
                                       b"Content-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nUser-Agent: x/1\r\nVersion: 1\r\n"
                                       b"Source-IP: 192.0.2.9\r\n--b--\r\n"),
    }
    make_maildir(md, mails)
    env = dict(os.environ, LANG="en_US.UTF-8", CIRS_NOW=NOW)
    p = subprocess.run([BIN, "--lang", "en", "mail", "ingest", "--db", str(demo_db), "--maildir", str(md)], capture_output=True, text=True, env=env)
    assert p.returncode == 0, p.stderr
    assert "[4/4] reports 1, tips 1, drafts 1, repeats 0, quarantined 1" in p.stderr
    assert "quarantined" in p.stderr and "1700000003.M3P1.mx" in p.stderr
    assert "4 messages, 4 processed" in p.stdout
    assert list((md / "new").iterdir()) == []
    assert sorted(f.name for f in (md / "cur").iterdir()) == [n + ":2,S" for n in sorted(mails) if not n.startswith("1700000003")]
    assert [f.name for f in (md / ".Quarantine" / "new").iterdir()] == ["1700000003.M3P1.mx"]
    assert (md / ".Quarantine" / "cur").is_dir() and (md / ".Quarantine" / "tmp").is_dir()
    assert sql(demo_db, "SELECT group_concat(coalesce(kind, status), ',') FROM intake_mails") == "report,draft,quarantined,tip"
    assert sql(demo_db, "SELECT source FROM intake_mails WHERE id = 1") == "maildir:1700000001.M1P1.mx"
    # The same files delivered again: every one a repeat, nothing new in the database.
    make_maildir(md, mails)
    before = count(demo_db, "intake_mails"), count(demo_db, "incidents"), count(demo_db, "outbox")
    p = subprocess.run([BIN, "--lang", "en", "mail", "ingest", "--db", str(demo_db), "--maildir", str(md), "--json"], capture_output=True, text=True,
                       env=env)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert (res["total"], res["duplicates"], res["reports"], res["quarantined"]) == (4, 4, 0, 0)
    assert (count(demo_db, "intake_mails"), count(demo_db, "incidents"), count(demo_db, "outbox")) == before


def test_maildir_missing(demo_db, tmp_path):
    r = cirs("mail", "ingest", "--db", demo_db, "--maildir", tmp_path / "nope")
    assert r.code == 2 and "Maildir" in r.err


# ---- command line ---------------------------------------------------------------------------------------------------------

def test_help_in_both_languages():
    zh = cirs("--lang", "zh", "mail", "ingest", "--help")
    en = cirs("--lang", "en", "mail", "ingest", "--help")
    assert zh.code == en.code == 0
    assert "收取邮件" in zh.out and "隔离" in zh.out and "--maildir DIR" in zh.out
    assert "Take in e-mail" in en.out and "quarantined" in en.out and "10 MiB" in en.out
    r = cirs("mail")
    assert r.code == 2 and "mail ingest" in r.err and "mail list" in r.err


def test_usage_errors(demo_db):
    assert cirs("mail", "ingest", "--db", demo_db, "--bogus").code == 2
    assert cirs("mail", "ingest", "--db", demo_db, input="").code == 2  # nothing on stdin
    assert cirs("mail", "list", "--db", demo_db, "--quarantined", "--drafts").code == 2
    assert cirs("mail", "sender-add", "--db", demo_db, "--org", "shanxi-grid", "not-an-address").code == 2
    assert cirs("mail", "sender-add", "--db", demo_db, "--org", "nope", "@x.example.cn").code == 2
    assert cirs("mail", "ingest", "--db", demo_db.parent / "missing.db", input="x").code == 2  # not_found, as every command


# ---- third-party fixtures -----------------------------------------------------------------------------------------------

def test_shared_fixture_mails_none_dropped(demo_db, tmp_path):
    """Every mail under ../shared/fixtures/mail becomes a tip or a report, or is quarantined with a reason (issue 7)."""
    if not FIXTURES.is_dir():
        pytest.skip(f"third-party fixtures not present ({FIXTURES}); CI has them, see ../shared/fixtures/README.md")
    files = sorted(p for p in FIXTURES.rglob("*.eml") if p.is_file())
    assert files
    md = tmp_path / "fixtures"
    make_maildir(md, {f"{i:04d}.{p.parent.name}.{p.stem}": p.read_bytes() for i, p in enumerate(files)})
    p = subprocess.run([BIN, "--lang", "en", "mail", "ingest", "--db", str(demo_db), "--maildir", str(md), "--json"], capture_output=True, text=True,
                       env=dict(os.environ, LANG="en_US.UTF-8"))
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res["total"] == res["processed"] == len(files)
    assert res["duplicates"] == 0 and res["failed"] == 0
    assert res["tips"] + res["reports"] + res["quarantined"] == len(files) and res["drafts"] == 0  # count in == count out
    rows = sql(demo_db, "SELECT status, kind, result_ref, reason_code FROM intake_mails").splitlines()
    assert len(rows) == len(files)
    for r in rows:
        status, kind, ref, reason = r.split("|")
        assert (status == "accepted" and kind in ("tip", "report") and ref) or (status == "quarantined" and reason), r
    assert len(list((md / "cur").iterdir())) + len(list((md / ".Quarantine" / "new").iterdir())) == len(files)
    assert list((md / "new").iterdir()) == []
    # The ARF feedback loops and the X-ARF reports are tips with their fields.
    arf = [p for p in files if p.parent.name in ("arf-feedback-loop", "blocklistde", "spamexperts")]
    assert res["tips"] >= len(arf) - res["quarantined"]
    tips = [json.loads(c) for c in sql(demo_db, "SELECT content FROM tips").splitlines()]
    for tip in tips:
        assert tip["abuse"]["format"] in ("arf", "x-arf", "csv") and tip["abuse"]["fields"] and len(tip["description"]) >= 10
    # The AbuseHub mail carries its incident as a CSV feed (AbuseHubCsv): a tip with the row's fields.
    hub = [t for t in tips if t["abuse"]["format"] == "csv"]
    assert len(hub) == len([p for p in files if p.parent.name == "abusehub"])
    assert all(t["abuse"]["source"] == "172.16.10.13" and t["abuse"]["type"] == "Shadowserver Botnet Drone" and t["abuse"]["rows"] == 1
               and t["abuse"]["fields"][0]["infection_type"] == "ZeroAccess" and t["observed_at"].startswith("2015-03-02") for t in hub), hub
    assert cirs("audit", "verify", "--db", demo_db).code == 0
