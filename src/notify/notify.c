/* notify.c — see notify.h. */
#include "notify.h"
#include "../common/jdump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/embedded.h"
#include "../common/timeutil.h"

static json_t *templates(void) {
  static json_t *t;
  static int loaded;
  if (!loaded) { /* the first call happens on the writer thread before any other (read-only afterwards) */
    const embedded_file *f = embedded_find("data/notify-templates.json");
    if (f) t = json_loadb((const char *)f->data, f->len, 0, NULL);
    loaded = 1;
  }
  return t;
}

const char *notify_kind_zh(const char *kind) {
  static const char *const names[][2] = {{"initial", "初报"}, {"supplement", "续报"}, {"final", "总结报告"}, {"escalation", "向上级报告"},
                                         {"notify", "通报同级部门"}, {"police", "向公安机关报告"}, {NULL, NULL}};
  for (int i = 0; names[i][0]; i++)
    if (kind && !strcmp(kind, names[i][0])) return names[i][1];
  return kind ? kind : "";
}

char *notify_render(const char *text, const json_t *vars) {
  size_t cap = strlen(text) + 256, len = 0;
  char *out = malloc(cap);
  for (const char *p = text; *p;) {
    const char *add = p;
    size_t n = 1;
    char buf[64];
    const char *close = *p == '{' ? strchr(p, '}') : NULL;
    if (close && close - p - 1 > 0 && close - p - 1 < 40) {
      char name[48];
      memcpy(name, p + 1, (size_t)(close - p - 1));
      name[close - p - 1] = 0;
      json_t *v = json_object_get(vars, name);
      if (json_is_string(v)) {
        add = json_string_value(v);
        n = json_string_length(v);
        p = close + 1;
        goto append;
      }
      if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        add = buf;
        n = strlen(buf);
        p = close + 1;
        goto append;
      }
    }
    p++;
  append:
    if (len + n + 1 > cap) out = realloc(out, cap = 2 * (len + n + 1));
    memcpy(out + len, add, n);
    len += n;
  }
  out[len] = 0;
  return out;
}

static int send_one(store *st, int64_t event_id, const char *kind, int64_t incident_id, const notify_target *t, const char *subject,
                    const char *text, const json_t *payload, int64_t now, cirs_err *e) {
  json_t *r;
  if (store_recipients(st, t->authority_id, t->organisation_id, &r, e)) return -1;
  size_t i;
  json_t *u;
  int rc = 0;
  json_array_foreach(json_object_get(r, "users"), i, u) {
    store_notification n = {json_integer_value(json_object_get(u, "id")), event_id, incident_id, now, kind, subject, text};
    if ((rc = store_notification_add(st, &n, e))) break;
    const char *mail = json_string_value(json_object_get(u, "email"));
    if (mail && *mail && strchr(mail, '@') && strlen(mail) < NOTIFY_ADDRESS_MAX) {
      store_outbox_row o = {event_id, t->authority_id, t->organisation_id, incident_id, now, kind, "email", mail, subject, text};
      if ((rc = store_outbox_add(st, &o, e))) break;
    }
  }
  json_t *w;
  if (!rc) {
    char *body = jdump(payload);
    json_array_foreach(json_object_get(r, "webhooks"), i, w) {
      char target[24];
      snprintf(target, sizeof target, "%lld", (long long)json_integer_value(json_object_get(w, "id")));
      store_outbox_row o = {event_id, t->authority_id, t->organisation_id, incident_id, now, kind, "webhook", target, subject, body};
      if ((rc = store_outbox_add(st, &o, e))) break;
    }
    free(body);
  }
  json_decref(r);
  return rc;
}

int notify_send(store *st, int64_t event_id, const char *kind, int64_t incident_id, const notify_target *targets, int n, const json_t *vars,
                cirs_err *e) {
  json_t *tpl = json_object_get(templates(), kind);
  if (!tpl) return err_set(e, "internal", "", "no notification template");
  if (n == 0) return 0;
  int64_t now = time_now_ms();
  int drill = json_is_true(json_object_get(vars, "drill"));
  json_t *v = json_deep_copy(vars);
  if (!json_object_get(v, "kind_zh")) json_object_set_new(v, "kind_zh", json_string(notify_kind_zh(json_string_value(json_object_get(v, "kind")))));
  char *sz = notify_render(json_string_value(json_object_get(tpl, "subject_zh")), v),
       *se = notify_render(json_string_value(json_object_get(tpl, "subject_en")), v),
       *bz = notify_render(json_string_value(json_object_get(tpl, "body_zh")), v),
       *be = notify_render(json_string_value(json_object_get(tpl, "body_en")), v);
  size_t cap = strlen(sz) + strlen(se) + strlen(bz) + strlen(be) + 512;
  char *subject = malloc(cap), *text = malloc(cap);
  snprintf(subject, cap, "%s%s / %s", drill ? "【演练 DRILL】" : "", sz, se);
  snprintf(text, cap, "%s%s\n\n%s%s\n\n-- \nCIRS 网络安全事件报告与应急处置系统 / cybersecurity incident reporting system\n",
           drill ? "【演练】本消息属于演练，不是真实事件。\n" : "", bz, drill ? "[DRILL] This message belongs to an exercise, not a real incident.\n" : "", be);
  char at[TIME_STR_MAX];
  json_t *payload = json_pack("{s:s, s:I, s:s, s:b, s:{s:I, s:O?, s:O?, s:O?}, s:O, s:{s:s, s:s}, s:{s:s, s:s}}", "type", kind, "event_id",
                              (json_int_t)event_id, "at", time_format(now, 480, at), "drill", drill, "incident", "id", (json_int_t)incident_id,
                              "ref", json_object_get(vars, "ref"), "title", json_object_get(vars, "title"), "grade", json_object_get(vars, "grade"),
                              "vars", v, "subject", "zh", sz, "en", se, "text", "zh", bz, "en", be);
  int rc = 0;
  for (int i = 0; i < n && !rc; i++) rc = send_one(st, event_id, kind, incident_id, &targets[i], subject, text, payload, now, e);
  json_decref(payload);
  json_decref(v);
  free(sz);
  free(se);
  free(bz);
  free(be);
  free(subject);
  free(text);
  return rc;
}

int notify_routed(store *st, int64_t event_id, const char *kind, int64_t incident_id, const char *via, int64_t since_ms, const json_t *vars,
                  cirs_err *e) {
  json_t *auths;
  if (store_incident_authorities(st, incident_id, via, &auths, e)) return -1;
  size_t n = json_array_size(auths), k = 0, i;
  notify_target *t = calloc(n ? n : 1, sizeof *t);
  json_t *a;
  json_array_foreach(auths, i, a) {
    if (json_integer_value(json_object_get(a, "at_ms")) < since_ms) continue;
    t[k++].authority_id = json_integer_value(json_object_get(a, "id"));
  }
  int rc = notify_send(st, event_id, kind, incident_id, t, (int)k, vars, e);
  free(t);
  json_decref(auths);
  return rc;
}
