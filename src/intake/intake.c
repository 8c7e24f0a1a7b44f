/* intake.c — what one message becomes (see intake.h), stored in one transaction with its audit event and reply. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/chain.h"
#include "../common/timeutil.h"
#include "../model/commands.h"
#include "intake_int.h"

#define OFFSET_CN 480 /* times in replies: Beijing */

/* An error of the model that is about the document (validation), not about the database. */
static int operational(const cirs_err *e) {
  return !strcmp(e->code, "db_error") || !strcmp(e->code, "internal") || !strcmp(e->code, "io_error") || !strcmp(e->code, "rules_invalid");
}

static void set_reason(intake_outcome *o, const char *code, const char *msg) {
  snprintf(o->reason_code, sizeof o->reason_code, "%s", code);
  snprintf(o->reason, sizeof o->reason, "%s", msg);
}

/* The receipt reply: Chinese first, then English. Returns a malloc'd body; *subject is written. */
static char *reply_text(const intake_msg *m, const intake_outcome *o, const char *grade, char *subject, size_t sn) {
  const char *what_zh = !strcmp(o->kind, "report") ? "网络安全事件报告（初报），已按规则定级并转报主管部门"
                        : !strcmp(o->kind, "tip") ? "滥用举报线索"
                                                  : "待值班人员分诊的来信";
  const char *what_en = !strcmp(o->kind, "report") ? "incident report (initial report), graded and routed to the competent authorities"
                        : !strcmp(o->kind, "tip") ? "abuse report (tip)"
                                                  : "a message for the duty officer to triage";
  snprintf(subject, sn, "[CIRS] 已受理 受理编号 %s / Received, receipt number %s", o->ref, o->ref);
  char grade_line[200] = "";
  if (grade) snprintf(grade_line, sizeof grade_line, "事件级别 / Grade: %s (%s)\n", grade, model_grade_en(grade));
  char reason_line[ERR_MSG_MAX + 64] = "";
  if (!strcmp(o->kind, "draft") && o->reason_code[0]) snprintf(reason_line, sizeof reason_line, "说明 / Note: %s\n", o->reason);
  const char *subj = m->subject ? m->subject : "";
  size_t n = strlen(subj) + strlen(grade_line) + strlen(reason_line) + 1200;
  char *t = malloc(n);
  if (!t)
    return NULL;
  snprintf(t, n,
           "您的邮件已收到并受理，请保存受理编号以便查询。\n"
           "Your mail was received and accepted; keep the receipt number for any enquiry.\n\n"
           "受理编号 / Receipt number: %s\n"
           "受理类型 / Accepted as: %s / %s\n"
           "%s%s"
           "来信编号 / Mail reference: %s\n"
           "来信主题 / Subject: %s\n\n"
           "本邮件由系统自动发送，请勿直接回复。\nThis message was sent automatically; please do not reply to it.\n",
           o->ref, what_zh, what_en, grade_line, reason_line, o->mail_ref, subj);
  return t;
}

/* Writes what became of an accepted message: the intake_mails row, attachments, draft, event and reply. */
static int record_accepted(store *st, intake_msg *m, const store_mail *base, const char *actor, int64_t org_id, int64_t incident_id, int64_t tip_id,
                           const char *grade, json_t *parsed, intake_outcome *o, cirs_err *e) {
  int reply = !m->auto_submitted && m->from_addr && strlen(m->from_addr) <= INTAKE_ADDRESS_MAX;
  store_mail row = *base;
  row.status = "accepted";
  row.kind = o->kind;
  row.organisation_id = org_id;
  row.incident_id = incident_id;
  row.tip_id = tip_id;
  row.result_ref = strcmp(o->kind, "draft") ? o->ref : NULL;
  row.reason_code = o->reason_code[0] ? o->reason_code : NULL;
  row.reason = o->reason_code[0] ? o->reason : NULL;
  row.reply = reply ? "queued" : "skipped";
  const char *key = row.message_id, *sha = row.sha256, *source = row.source;
  int64_t size = row.size, now = row.received_ms;
  int64_t mail_id;
  if (store_mail_insert(st, &row, &mail_id, o->mail_ref, e)) return -1;
  if (!strcmp(o->kind, "draft")) snprintf(o->ref, sizeof o->ref, "%s", o->mail_ref);
  for (size_t i = 0; i < m->natt; i++) {
    char h[AUDIT_HASH_HEX];
    audit_sha256_hex(m->att[i].data, m->att[i].size, h);
    if (store_mail_attachment_add(st, mail_id, m->att[i].filename, m->att[i].content_type, m->att[i].data, m->att[i].size, h, e)) return -1;
    o->attachments++;
  }
  if (!strcmp(o->kind, "draft")) {
    store_mail_draft d = {mail_id, org_id, now, m->from_addr, m->subject, m->text, parsed};
    int64_t did;
    if (store_mail_draft_add(st, &d, &did, e)) return -1;
  }
  json_t *payload = json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:s, s:s, s:s, s:s?, s:i, s:s?, s:s}", "ref", o->mail_ref, "message_id", key, "sender",
                              m->from_addr, "subject", m->subject, "size", (json_int_t)size, "sha256", sha, "kind", o->kind, "receipt", o->ref,
                              "organisation", o->organisation[0] ? o->organisation : NULL, "attachments", o->attachments, "reason",
                              o->reason_code[0] ? o->reason_code : NULL, "source", source);
  if (incident_id) json_object_set_new(payload, "incident_id", json_integer(incident_id));
  if (model_event_add(st, actor, "mail.received", "mail", mail_id, payload, e)) return -1;
  if (reply) {
    char subject[200];
    char *body = reply_text(m, o, grade, subject, sizeof subject);
    if (!body) return err_set(e, "internal", "", "out of memory");
    store_outbox_row r = {.event_id = model_last_event_id(), .organisation_id = org_id, .incident_id = incident_id, .at_ms = now,
                          .kind = "mail.receipt", .channel = "email", .target = m->from_addr, .subject = subject, .body = body};
    int rc = store_outbox_add(st, &r, e);
    free(body);
    if (rc) return -1;
    o->replied = 1;
  }
  return 0;
}

/* SHA-256 over sender, subject, date and the body (the bytes after the header block). */
static void content_hash(const intake_msg *m, const unsigned char *data, size_t len, char out[AUDIT_HASH_HEX]) {
  size_t body = len;
  for (size_t i = 0; i + 1 < len; i++)
    if (data[i] == '\n' && (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < len && data[i + 2] == '\n'))) {
      body = i + 1;
      break;
    }
  char head[INTAKE_HEADER_MAX * 2 + 400];
  int n = snprintf(head, sizeof head, "%s\n%s\n%lld\n", m->from_addr ? m->from_addr : "", m->subject ? m->subject : "", (long long)m->date_ms);
  size_t hn = n < 0 ? 0 : (size_t)n >= sizeof head ? sizeof head - 1 : (size_t)n;
  unsigned char *buf = malloc(hn + (len - body) + 1);
  if (!buf) {
    audit_sha256_hex(data, len, out);
    return;
  }
  memcpy(buf, head, hn);
  if (len > body) memcpy(buf + hn, data + body, len - body);
  audit_sha256_hex(buf, hn + (len - body), out);
  free(buf);
}

int intake_mail(store *st, const rules_set *rs, const unsigned char *data, size_t len, size_t size, const char *source, intake_outcome *o,
                cirs_err *e) {
  memset(o, 0, sizeof *o);
  intake_msg m = {0};
  char sha[AUDIT_HASH_HEX], zh[160], en[160];
  audit_sha256_hex(data, len, sha);
  int oversized = size > INTAKE_MAIL_MAX;
  if (oversized) {
    snprintf(zh, sizeof zh, "邮件大小 %zu 字节，超过 %d 字节上限", size, INTAKE_MAIL_MAX);
    snprintf(en, sizeof en, "the message has %zu bytes, more than the limit of %d bytes", size, INTAKE_MAIL_MAX);
    intake_reject(&m, "too_large", zh, en);
  }
  intake_parse(data, len, oversized, &m);
  if (!m.reason_code[0] && !m.from_addr)
    intake_reject(&m, "no_sender", "没有可读的发件人地址（From）", "no readable sender address (From)");
  if (!m.reason_code[0] && !m.natt && !m.arf && !m.xarf) {
    int blank = 1;
    for (const char *p = m.text; *p && blank; p++)
      if (!isspace((unsigned char)*p)) blank = 0;
    if (blank) intake_reject(&m, "empty", "邮件没有正文也没有附件", "the message has neither text nor attachments");
  }
  /* What identifies a repeat: the Message-ID (or the bytes' hash when there is none) and the content without the trace
   * headers an MTA adds on a second delivery (Received, Delivered-To, ...). */
  char key[INTAKE_HEADER_MAX + 80], csha[AUDIT_HASH_HEX];
  if (m.message_id) snprintf(key, sizeof key, "%s", m.message_id);
  else snprintf(key, sizeof key, "sha256:%s", sha);
  content_hash(&m, data, len, csha);
  int reused = 0;
  /* The check and the writing share one write transaction (BEGIN IMMEDIATE): two deliveries of one mail at the
   * same time cannot both be taken in. */
  if (store_begin(st, e)) {
    intake_msg_free(&m);
    return -1;
  }
  for (int pass = 0; pass < 2; pass++) {
    json_t *seen = NULL;
    cirs_err e2 = {0};
    if (store_mail_seen(st, key, sha, &seen, &e2)) {
      if (strcmp(e2.code, "not_found")) {
        *e = e2;
        store_rollback(st);
        intake_msg_free(&m);
        return -1;
      }
      break;
    }
    const char *st_ = json_string_value(json_object_get(seen, "status")), *c = json_string_value(json_object_get(seen, "content_sha256"));
    if (!strcmp(st_, "quarantined") || (c && !strcmp(c, csha)) || pass == 1) {
      /* The same message again (or, on the second pass, the same reused id with this content): nothing changes. */
      snprintf(o->status, sizeof o->status, "duplicate");
      snprintf(o->mail_ref, sizeof o->mail_ref, "%s", json_string_value(json_object_get(seen, "ref")));
      const char *k = json_string_value(json_object_get(seen, "kind")), *r = json_string_value(json_object_get(seen, "result_ref"));
      snprintf(o->kind, sizeof o->kind, "%s", k ? k : "");
      snprintf(o->ref, sizeof o->ref, "%s", r ? r : "");
      json_decref(seen);
      store_rollback(st); /* nothing was written */
      intake_msg_free(&m);
      return 0;
    }
    json_decref(seen);
    /* Another message came with this Message-ID before: this one is kept under the id plus its content hash. */
    size_t kl = strlen(key);
    snprintf(key + kl, sizeof key - kl, "#%.16s", csha);
    reused = 1;
  }

  int64_t now = time_now_ms();
  char actor[INTAKE_ADDRESS_MAX + 400];
  snprintf(actor, sizeof actor, "mail:%s", m.from_addr ? m.from_addr : "unknown");
  intake_utf8_cut(actor, 200);
  store_mail base = {.message_id = key, .source = source, .sender = m.from_addr, .sender_name = m.from_name, .subject = m.subject,
                     .charset = m.charset, .sha256 = sha, .content_sha256 = csha, .received_ms = now, .size = (int64_t)size};
  int rc = 0;
  if (m.reason_code[0]) {
    /* Quarantined: recorded with the reason and the bytes, never answered. */
    snprintf(o->status, sizeof o->status, "quarantined");
    set_reason(o, m.reason_code, m.reason);
    store_mail row = base;
    row.status = "quarantined";
    row.reason_code = m.reason_code;
    row.reason = m.reason;
    row.reply = "none";
    row.raw = data;
    row.raw_len = oversized && len > INTAKE_HEAD_MAX ? INTAKE_HEAD_MAX : len;
    int64_t id;
    rc = store_mail_insert(st, &row, &id, o->mail_ref, e) ||
         model_event_add(st, actor, "mail.quarantined", "mail", id,
                         json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:s, s:s, s:s, s:s}", "ref", o->mail_ref, "message_id", key, "sender", m.from_addr,
                                   "subject", m.subject, "size", (json_int_t)size, "sha256", sha, "reason_code", m.reason_code, "reason", m.reason,
                                   "source", source),
                         e);
  } else {
    snprintf(o->status, sizeof o->status, "accepted");
    if (reused)
      set_reason(o, "message_id_reused", "此前已收到 Message-ID 相同但内容不同的邮件，本邮件另行受理 / another message came with this Message-ID before; this one is taken in on its own");
    int64_t org_id = 0, incident_id = 0, tip_id = 0;
    const char *grade_p = NULL;
    char grade[32] = "";
    json_t *parsed = NULL, *tip = intake_abuse_tip(&m);
    if (tip) {
      /* ARF / X-ARF: an abuse tip, whoever sent it. */
      char hash_in[INTAKE_ADDRESS_MAX + 400], addr_hash[AUDIT_HASH_HEX];
      snprintf(hash_in, sizeof hash_in, "mail|%s", m.from_addr);
      audit_sha256_hex(hash_in, strlen(hash_in), addr_hash);
      snprintf(o->kind, sizeof o->kind, "tip");
      rc = store_tip_insert(st, tip, addr_hash, now, &tip_id, o->ref, e) ||
           model_event_add(st, actor, "tip.received", "tip", tip_id, json_pack("{s:s, s:s, s:O?}", "ref", o->ref, "channel", "email", "format",
                                                                               json_object_get(json_object_get(tip, "abuse"), "format")),
                           e);
      json_decref(tip);
    } else {
      char code[MODEL_CODE_MAX] = "";
      int match = 0;
      if (m.auth_failed) set_reason(o, "sender_not_authenticated", "发件人未通过 SPF/DMARC 验证，不视为运营者来信 / the sender failed SPF/DMARC and is not taken as an operator");
      else if ((match = store_mail_sender_org(st, m.from_addr, code, e)) < 0) rc = -1;
      else if (match == 2) set_reason(o, "sender_ambiguous", "发件地址对应多个运营者 / the sender address belongs to more than one organisation");
      if (match == 1) {
        snprintf(o->organisation, sizeof o->organisation, "%s", code);
        org_id = store_id_of(st, "organisation", code);
      }
      json_t *doc = rc ? NULL : intake_template(rs, m.text, m.subject);
      if (doc && match == 1) {
        json_t *res = NULL;
        cirs_err ve = {0};
        if (!model_report_submit(st, rs, code, doc, actor, "email", &res, &ve)) {
          snprintf(o->kind, sizeof o->kind, "report");
          snprintf(o->ref, sizeof o->ref, "%s", json_string_value(json_object_get(res, "ref")));
          incident_id = json_integer_value(json_object_get(res, "id"));
          snprintf(grade, sizeof grade, "%s", json_string_value(json_object_get(res, "grade")));
          grade_p = grade;
          json_decref(res);
        } else if (operational(&ve)) {
          *e = ve;
          rc = -1;
        } else {
          char msg[ERR_MSG_MAX];
          /* The model's message is in the current language; the stored reason names the field for either reader. */
          snprintf(msg, sizeof msg, "报告模板未能提交 / the report template could not be filed: [%.40s]%s%.80s %.250s", ve.code, ve.field[0] ? " " : "",
                   ve.field, ve.msg);
          set_reason(o, "template_invalid", msg);
        }
      } else if (doc && match == 0 && !m.auth_failed) {
        set_reason(o, "unknown_sender", "发件地址未登记为任何运营者，报告模板转值班员分诊 / the sender is not registered for any organisation; the report template goes to triage");
      }
      if (!rc && !o->kind[0]) {
        snprintf(o->kind, sizeof o->kind, "draft");
        parsed = doc ? json_incref(doc) : NULL;
      }
      json_decref(doc);
    }
    if (!rc) rc = record_accepted(st, &m, &base, actor, org_id, incident_id, tip_id, grade_p, parsed, o, e);
    json_decref(parsed);
  }
  if (!rc) rc = store_commit(st, e);
  if (rc) {
    store_rollback(st);
    memset(o, 0, sizeof *o);
  }
  intake_msg_free(&m);
  return rc ? -1 : 0;
}
