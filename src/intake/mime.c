/* mime.c — one RFC 5322 message into an intake_msg with GMime 3: headers (RFC 2047; undeclared 8-bit as UTF-8, else
 * GB18030), the body text in UTF-8 from any charset and transfer encoding, attachments decoded, ARF and X-ARF parts.
 *
 * GMime repairs what it can; the issues it reports as critical (a multipart without boundary, parts without headers
 * or content, nesting overflow, invalid header names) and multiparts without any part make the message "broken MIME":
 * quarantined rather than taken in half-read. */
#include <ctype.h>
#include <gmime/gmime.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/model.h"
#include "intake_int.h"

void intake_init(void) { g_mime_init(); }
void intake_shutdown(void) { g_mime_shutdown(); }

void intake_reject(intake_msg *m, const char *code, const char *zh, const char *en) {
  if (m->reason_code[0]) return;
  snprintf(m->reason_code, sizeof m->reason_code, "%s", code);
  snprintf(m->reason, sizeof m->reason, "%.250s / %.250s", zh, en);
}

/* strcasestr for ASCII needles (not in C17 or POSIX). */
static const char *ci_find(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (!g_ascii_strncasecmp(hay, needle, n)) return hay;
  return NULL;
}

void intake_msg_free(intake_msg *m) {
  free(m->message_id);
  free(m->from_addr);
  free(m->from_name);
  free(m->subject);
  free(m->text);
  free(m->charset);
  for (size_t i = 0; i < m->natt; i++) {
    free(m->att[i].filename);
    free(m->att[i].content_type);
    free(m->att[i].data);
  }
  free(m->att);
  json_decref(m->arf);
  json_decref(m->xarf);
  memset(m, 0, sizeof *m);
}

void intake_utf8_cut(char *s, size_t max) {
  size_t n = strlen(s);
  if (n <= max) return;
  while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80) max--; /* back to the start of a character */
  s[max] = 0;
}

/* Charset names of the Chinese national family that are read as GB18030 (their superset: mails labelled GB2312
 * routinely carry GBK characters). */
static int gb_family(const char *cs) {
  static const char *const names[] = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "windows-936", "euc-cn", "x-euc-cn", "csgb2312", "gb_2312-80",
                                      "gb18030", "chinese", "hz-gb-2312", NULL};
  for (const char *const *n = names; *n; n++)
    if (!g_ascii_strcasecmp(cs, *n)) return strcmp(*n, "hz-gb-2312") ? 1 : 0;
  return 0;
}

/* g_convert into a malloc'd copy, or NULL when the bytes are not valid in `from`. */
static char *convert(const char *in, size_t len, const char *from) {
  gsize out_len = 0;
  GError *err = NULL;
  gchar *g = g_convert(in, (gssize)len, "UTF-8", from, NULL, &out_len, &err);
  if (!g) {
    g_clear_error(&err);
    return NULL;
  }
  char *s = malloc(out_len + 1);
  if (s) {
    memcpy(s, g, out_len);
    s[out_len] = 0;
  }
  g_free(g);
  return s;
}

char *intake_to_utf8(const unsigned char *data, size_t len, const char *declared, char *used) {
  /* NUL would end the text early; CRLF becomes LF (after conversion: UTF-16 and the like have no CR bytes). */
  char *in = malloc(len + 1);
  if (!in) return NULL;
  for (size_t i = 0; i < len; i++) in[i] = data[i] ? (char)data[i] : ' ';
  in[len] = 0;
  char *out = NULL;
  const char *cs = declared && *declared ? declared : NULL;
  if (cs && gb_family(cs)) cs = "GB18030";
  if (cs && g_ascii_strcasecmp(cs, "us-ascii") && g_ascii_strcasecmp(cs, "ascii")) {
    const char *iconv_name = g_mime_charset_iconv_name(cs);
    out = convert(in, len, iconv_name ? iconv_name : cs);
    if (out) snprintf(used, 32, "%s", g_ascii_strcasecmp(cs, "GB18030") ? cs : "gb18030");
  }
  if (!out && g_utf8_validate(in, (gssize)len, NULL)) {
    out = strdup(in);
    int ascii = 1;
    for (size_t i = 0; i < len; i++)
      if (data[i] & 0x80) ascii = 0;
    snprintf(used, 32, "%s", ascii ? "us-ascii" : "utf-8");
  }
  if (!out && (out = convert(in, len, "GB18030"))) snprintf(used, 32, "gb18030");
  if (!out && (out = convert(in, len, "ISO-8859-1"))) snprintf(used, 32, "iso-8859-1");
  free(in);
  if (!out) return NULL;
  char *w = out;
  for (const char *r = out; *r; r++)
    if (!(r[0] == '\r' && r[1] == '\n')) *w++ = *r == '\r' ? '\n' : *r;
  *w = 0;
  for (char *p = out; *p; p++) /* a NUL-free text: conversions cannot produce one from NUL-free input, but be sure */
    if (*p == 0) *p = ' ';
  return out;
}

/* HTML to plain text, roughly: tags out (br, p, div, li, tr, headings end lines), script and style dropped, the
 * common entities decoded. Works on UTF-8 in place. */
static void html_to_text(char *s) {
  static const struct {
    const char *name, *text;
  } ent[] = {{"&nbsp;", " "}, {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&apos;", "'"}, {NULL, NULL}};
  char *w = s;
  const char *r = s;
  while (*r) {
    if (*r == '<') {
      const char *end = strchr(r, '>');
      if (!end) { /* a lone "<" in the text: kept as it is */
        *w++ = *r++;
        continue;
      }
      char tag[16] = "";
      size_t i = 0;
      const char *t = r + 1;
      if (*t == '/') t++;
      while (i < sizeof tag - 1 && isalnum((unsigned char)*t)) tag[i++] = (char)tolower((unsigned char)*t++);
      tag[i] = 0;
      if ((!strcmp(tag, "script") || !strcmp(tag, "style")) && r[1] != '/') {
        char close[sizeof tag + 2];
        snprintf(close, sizeof close, "</%s", tag);
        const char *c = ci_find(end, close);
        end = c ? strchr(c, '>') : NULL;
        if (!end) break;
      } else if (!strcmp(tag, "br") || !strcmp(tag, "p") || !strcmp(tag, "div") || !strcmp(tag, "li") || !strcmp(tag, "tr") ||
                 (tag[0] == 'h' && isdigit((unsigned char)tag[1]))) {
        *w++ = '\n';
      }
      r = end + 1;
      continue;
    }
    if (*r == '&') {
      int done = 0;
      for (int k = 0; ent[k].name; k++) {
        size_t n = strlen(ent[k].name);
        if (!g_ascii_strncasecmp(r, ent[k].name, n)) {
          size_t tn = strlen(ent[k].text);
          memmove(w, ent[k].text, tn);
          w += tn;
          r += n;
          done = 1;
          break;
        }
      }
      if (done) continue;
    }
    *w++ = *r++;
  }
  *w = 0;
}

/* ---- the walk over the MIME tree ---------------------------------------------------------------------------- */

#define WALK_BOUNDARIES 32 /* boundaries of the outer multiparts remembered (to tell outer from inner parser warnings) */
#define WALK_WARNINGS 32   /* parser warnings remembered */

typedef struct warning {
  gint64 offset;
  GMimeParserWarning code;
  char item[96];
} warning;

typedef struct walk {
  intake_msg *m;
  char *html;       /* first inline text/html, as a fallback body */
  char html_cs[32];
  int have_body;
  char *boundary[WALK_BOUNDARIES]; /* of the multiparts of the outer structure */
  int nboundary;
  warning warn[WALK_WARNINGS];
  int nwarn;
} walk;

static char *lower_dup(const char *s) {
  if (!s) return NULL;
  char *d = strdup(s);
  for (char *p = d; p && *p; p++) *p = (char)tolower((unsigned char)*p);
  return d;
}

/* Decoded content of a leaf part (transfer encoding undone), malloc'd with a NUL after it. */
static unsigned char *part_bytes(GMimePart *part, size_t *len) {
  GMimeDataWrapper *w = g_mime_part_get_content(part);
  GMimeStream *mem = g_mime_stream_mem_new();
  if (w) g_mime_data_wrapper_write_to_stream(w, mem);
  GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  unsigned char *d = malloc(ba->len + 1);
  if (d) {
    if (ba->len) memcpy(d, ba->data, ba->len);
    d[ba->len] = 0;
    *len = ba->len;
  }
  g_object_unref(mem);
  return d;
}

/* The whole of an object (an attached message) as bytes. */
static unsigned char *object_bytes(GMimeObject *o, size_t *len) {
  GMimeStream *mem = g_mime_stream_mem_new();
  g_mime_object_write_to_stream(o, NULL, mem);
  GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
  unsigned char *d = malloc(ba->len + 1);
  if (d) {
    if (ba->len) memcpy(d, ba->data, ba->len);
    d[ba->len] = 0;
    *len = ba->len;
  }
  g_object_unref(mem);
  return d;
}

static void add_att(walk *w, const char *filename, const char *ctype, unsigned char *data, size_t size) {
  intake_msg *m = w->m;
  if (size > INTAKE_ATTACH_BYTES) {
    char zh[160], en[160];
    snprintf(zh, sizeof zh, "附件 %.60s 超过 %d 字节上限（%zu 字节）", filename ? filename : ctype, INTAKE_ATTACH_BYTES, size);
    snprintf(en, sizeof en, "attachment %.60s exceeds the limit of %d bytes (%zu bytes)", filename ? filename : ctype, INTAKE_ATTACH_BYTES, size);
    intake_reject(m, "attachment_too_large", zh, en);
    free(data);
    return;
  }
  if (m->natt >= INTAKE_ATTACH_MAX) {
    char zh[120], en[120];
    snprintf(zh, sizeof zh, "附件超过 %d 个", INTAKE_ATTACH_MAX);
    snprintf(en, sizeof en, "more than %d attachments", INTAKE_ATTACH_MAX);
    intake_reject(m, "too_many_attachments", zh, en);
    free(data);
    return;
  }
  if (m->natt == m->catt) {
    size_t c = m->catt ? m->catt * 2 : 4;
    intake_att *a = realloc(m->att, c * sizeof *a);
    if (!a) {
      free(data);
      return;
    }
    m->att = a;
    m->catt = c;
  }
  char *fn = filename ? strdup(filename) : NULL;
  if (fn) intake_utf8_cut(fn, 255);
  m->att[m->natt++] = (intake_att){fn, lower_dup(ctype), data, size};
}

/* An X-ARF JSON document (v3: "Version" + "Report"; v4: "xarf_version") in `data`, or NULL. */
static json_t *xarf_json(const unsigned char *data, size_t len) {
  size_t i = 0;
  while (i < len && isspace(data[i])) i++;
  if (i == len || data[i] != '{') return NULL;
  json_t *j = json_loadb((const char *)data, len, 0, NULL);
  if (j && (json_object_get(j, "xarf_version") || (json_object_get(j, "Version") && json_object_get(j, "Report")))) return j;
  json_decref(j);
  return NULL;
}

static void walk_object(walk *w, GMimeObject *o, int depth);

static void walk_leaf(walk *w, GMimePart *part) {
  intake_msg *m = w->m;
  GMimeObject *o = GMIME_OBJECT(part);
  GMimeContentType *ct = g_mime_object_get_content_type(o);
  char *mime = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("text/plain");
  const char *charset = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
  const char *filename = g_mime_part_get_filename(part);
  int attachment = g_mime_part_is_attachment(part);
  size_t len = 0;
  unsigned char *data = part_bytes(part, &len);
  if (!data) goto out;
  if (!g_ascii_strcasecmp(mime, "message/feedback-report")) {
    /* RFC 5965: "Key: value" fields; kept as an attachment as well (the evidence as sent). */
    if (!m->arf) {
      char cs[32];
      char *t = intake_to_utf8(data, len, charset, cs);
      m->arf = t ? intake_fields(t) : NULL;
      free(t);
    }
  } else if (!w->have_body && !attachment && !g_ascii_strcasecmp(mime, "text/plain")) {
    char cs[32];
    m->text = intake_to_utf8(data, len, charset, cs);
    m->charset = strdup(cs);
    w->have_body = m->text != NULL;
    free(data);
    goto out;
  } else if (!attachment && !g_ascii_strcasecmp(mime, "text/html")) {
    if (!w->html) {
      w->html = intake_to_utf8(data, len, charset, w->html_cs);
      free(data);
      goto out;
    }
  }
  /* X-ARF: a YAML report.txt (v0.2, v3 "PLAIN") or a JSON report (v3 JSON, v4). */
  if (!m->xarf) {
    json_t *j = xarf_json(data, len);
    if (j) {
      m->xarf = j;
      snprintf(m->xarf_format, sizeof m->xarf_format, "json");
    } else if (m->xarf_header && len > 3 && (!g_ascii_strncasecmp(mime, "text/", 5)) &&
               (!strncmp((const char *)data, "---", 3) || (filename && !g_ascii_strcasecmp(filename, "report.txt")))) {
      char cs[32];
      char *t = intake_to_utf8(data, len, charset, cs);
      json_t *f = t ? intake_fields(!strncmp(t, "---", 3) ? t + 3 : t) : NULL;
      free(t);
      if (f && json_object_size(f) >= 2) {
        m->xarf = f;
        snprintf(m->xarf_format, sizeof m->xarf_format, "yaml");
      } else json_decref(f);
    }
  }
  add_att(w, filename, mime, data, len);
out:
  g_free(mime);
}

static void walk_object(walk *w, GMimeObject *o, int depth) {
  intake_msg *m = w->m;
  if (m->reason_code[0]) return;
  if (++m->nparts > INTAKE_PARTS_MAX) {
    char zh[80], en[80];
    snprintf(zh, sizeof zh, "MIME 部分超过 %d 个", INTAKE_PARTS_MAX);
    snprintf(en, sizeof en, "more than %d MIME parts", INTAKE_PARTS_MAX);
    intake_reject(m, "too_many_parts", zh, en);
    return;
  }
  if (depth > INTAKE_DEPTH_MAX) {
    char zh[80], en[80];
    snprintf(zh, sizeof zh, "MIME 嵌套超过 %d 层", INTAKE_DEPTH_MAX);
    snprintf(en, sizeof en, "MIME nesting deeper than %d levels", INTAKE_DEPTH_MAX);
    intake_reject(m, "too_deep", zh, en);
    return;
  }
  if (GMIME_IS_MULTIPART(o)) {
    GMimeMultipart *mp = GMIME_MULTIPART(o);
    int n = g_mime_multipart_get_count(mp);
    if (n == 0) {
      intake_reject(m, "broken_mime", "MIME 结构损坏：多部分（multipart）中没有任何部分（boundary 缺失或从未出现）",
                    "broken MIME structure: a multipart without any part (boundary missing or never found)");
      return;
    }
    const char *b = g_mime_multipart_get_boundary(mp);
    if (b && w->nboundary < WALK_BOUNDARIES) w->boundary[w->nboundary++] = strdup(b);
    for (int i = 0; i < n && !m->reason_code[0]; i++) walk_object(w, g_mime_multipart_get_part(mp, i), depth + 1);
  } else if (GMIME_IS_MESSAGE_PART(o)) {
    /* An attached message (message/rfc822: forwarded mail, the original of an ARF report): kept whole. */
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    char *mime = ct ? g_mime_content_type_get_mime_type(ct) : g_strdup("message/rfc822");
    GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
    size_t len = 0;
    unsigned char *data = inner ? object_bytes(GMIME_OBJECT(inner), &len) : calloc(1, 1);
    if (!g_ascii_strcasecmp(mime, "message/feedback-report") && inner && !m->arf) {
      /* Some parsers see the feedback report as a message: its fields are then the headers. */
      char cs[32];
      char *t = intake_to_utf8(data, len, NULL, cs);
      m->arf = t ? intake_fields(t) : NULL;
      free(t);
    }
    const char *fn = g_mime_object_get_content_disposition_parameter(o, "filename");
    if (data) add_att(w, fn, mime, data, len);
    g_free(mime);
  } else if (GMIME_IS_PART(o)) {
    walk_leaf(w, GMIME_PART(o));
  }
}

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer user) {
  walk *w = user;
  if (w->nwarn == WALK_WARNINGS) return;
  warning *x = &w->warn[w->nwarn++];
  x->offset = offset;
  x->code = code;
  snprintf(x->item, sizeof x->item, "%s", item ? item : "");
  intake_utf8_cut(x->item, 80);
  for (char *p = x->item; *p; p++) /* one line in reasons and listings */
    if ((unsigned char)*p < 0x20) *p = ' ';
  for (size_t n = strlen(x->item); n && x->item[n - 1] == ' ';) x->item[--n] = 0;
}

/* Whether byte `off` lies in an attached message (message/..., text/rfc822-headers): from its Content-Type line to
 * the end of the next boundary line of the outer structure. Problems in there are the attached message's (ARF
 * reports carry truncated originals), kept as they are. */
static int in_attached_message(const unsigned char *data, size_t len, const walk *w, gint64 off) {
  if (off < 0) return 0;
  size_t i = 0;
  while (i < len) {
    const unsigned char *nl = memchr(data + i, '\n', len - i);
    size_t eol = nl ? (size_t)(nl - data) + 1 : len;
    static const char ct[] = "content-type:";
    if (eol - i > sizeof ct && !g_ascii_strncasecmp((const char *)data + i, ct, sizeof ct - 1)) {
      size_t v = i + sizeof ct - 1;
      while (v < eol && (data[v] == ' ' || data[v] == '\t')) v++;
      if (!g_ascii_strncasecmp((const char *)data + v, "message/", 8) || !g_ascii_strncasecmp((const char *)data + v, "text/rfc822-headers", 19)) {
        size_t start = i, j = eol, end = len;
        while (j < len) { /* the next outer boundary line ends the attached message */
          const unsigned char *nl2 = memchr(data + j, '\n', len - j);
          size_t eol2 = nl2 ? (size_t)(nl2 - data) + 1 : len;
          int hit = 0;
          for (int b = 0; b < w->nboundary && !hit; b++) {
            size_t bl = strlen(w->boundary[b]);
            hit = eol2 - j >= bl + 2 && data[j] == '-' && data[j + 1] == '-' && !memcmp(data + j + 2, w->boundary[b], bl);
          }
          if (hit) {
            end = eol2;
            break;
          }
          j = eol2;
        }
        if ((size_t)off >= start && (size_t)off <= end) return 1;
        i = end > eol ? end : eol;
        continue;
      }
    }
    i = eol;
  }
  return 0;
}

/* The parser's findings about the outer structure that lose content make the message broken MIME: a multipart without
 * boundary or without parts, a truncated multipart, parts without headers or content, nesting overflow, invalid
 * header names, conflicting headers. What GMime repairs (duplicated headers, 8-bit headers, bad RFC 2047 words,
 * invalid parameters and addresses) passes. */
static void judge_warnings(const unsigned char *data, size_t len, const walk *w, intake_msg *m) {
  for (int i = 0; i < w->nwarn && !m->reason_code[0]; i++) {
    const warning *x = &w->warn[i];
    const char *what_zh = NULL, *what_en = NULL;
    switch (x->code) {
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY: what_zh = "多部分邮件缺少 boundary 参数"; what_en = "a multipart without its boundary parameter"; break;
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT: what_zh = "MIME 部分既无头部也无内容"; what_en = "a MIME part without headers or content"; break;
    case GMIME_CRIT_NESTING_OVERFLOW: what_zh = "MIME 嵌套过深"; what_en = "MIME nesting overflow"; break;
    case GMIME_CRIT_INVALID_HEADER_NAME: what_zh = "无效的头部字段名"; what_en = "an invalid header name"; break;
    case GMIME_CRIT_CONFLICTING_HEADER: what_zh = "相互冲突的头部字段"; what_en = "conflicting headers"; break;
    case GMIME_CRIT_CONFLICTING_PARAMETER: what_zh = "相互冲突的头部参数"; what_en = "conflicting header parameters"; break;
    case GMIME_WARN_MALFORMED_MULTIPART: what_zh = "多部分邮件中未找到任何部分"; what_en = "no part found in a multipart"; break;
    case GMIME_WARN_TRUNCATED_MESSAGE: what_zh = "邮件被截断（多部分未结束）"; what_en = "the message is truncated (a multipart never ends)"; break;
    default: continue;
    }
    if (in_attached_message(data, len, w, x->offset)) continue;
    char zh[300], en[300];
    snprintf(zh, sizeof zh, "MIME 结构损坏：%s%s%s", what_zh, x->item[0] ? "：" : "", x->item);
    snprintf(en, sizeof en, "broken MIME structure: %s%s%s", what_en, x->item[0] ? ": " : "", x->item);
    intake_reject(m, "broken_mime", zh, en);
  }
}

static char *header_value(GMimeObject *o, const char *name) {
  const char *v = g_mime_object_get_header(o, name);
  if (!v) return NULL;
  char *d = strdup(v);
  if (d) intake_utf8_cut(d, INTAKE_HEADER_MAX);
  return d;
}

void intake_parse(const unsigned char *data, size_t len, int headers_only, intake_msg *m) {
  m->date_ms = MODEL_NO_TIME;
  /* A message saved from an mbox starts with its "From sender date" separator line: not a header. */
  if (len > 5 && !memcmp(data, "From ", 5)) {
    const unsigned char *nl = memchr(data, '\n', len);
    if (nl) {
      len -= (size_t)(nl + 1 - data);
      data = nl + 1;
    }
  }
  GMimeParserOptions *opts = g_mime_parser_options_new();
  static const char *fallback[] = {"UTF-8", "GB18030", NULL};
  g_mime_parser_options_set_fallback_charsets(opts, fallback);
  walk w = {.m = m};
  g_mime_parser_options_set_warning_callback(opts, on_warning, &w);
  GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)data, len);
  GMimeParser *parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage *msg = g_mime_parser_construct_message(parser, opts);
  g_object_unref(parser);
  g_object_unref(stream);
  if (!msg) {
    intake_reject(m, "broken_mime", "不是 RFC 5322 邮件（无法读出头部）", "not an RFC 5322 message (no headers could be read)");
    g_mime_parser_options_free(opts);
    return;
  }
  GMimeObject *mo = GMIME_OBJECT(msg);
  const char *mid = g_mime_message_get_message_id(msg);
  if (mid && *mid) {
    m->message_id = strdup(mid);
    intake_utf8_cut(m->message_id, INTAKE_HEADER_MAX);
  }
  InternetAddressList *from = g_mime_message_get_from(msg);
  for (int i = 0; from && i < internet_address_list_length(from) && !m->from_addr; i++) {
    InternetAddress *a = internet_address_list_get_address(from, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      InternetAddressList *members = internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a));
      a = members && internet_address_list_length(members) ? internet_address_list_get_address(members, 0) : NULL;
    }
    if (a && INTERNET_ADDRESS_IS_MAILBOX(a)) {
      const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
      if (addr && strchr(addr, '@') && strlen(addr) <= 320) m->from_addr = lower_dup(addr);
      const char *name = internet_address_get_name(a);
      if (name && *name) {
        m->from_name = strdup(name);
        intake_utf8_cut(m->from_name, INTAKE_HEADER_MAX);
      }
    }
  }
  const char *subj = g_mime_message_get_subject(msg);
  if (subj) {
    m->subject = strdup(subj);
    intake_utf8_cut(m->subject, INTAKE_HEADER_MAX);
  }
  GDateTime *date = g_mime_message_get_date(msg);
  if (date) m->date_ms = (int64_t)g_date_time_to_unix(date) * 1000;
  char *v = header_value(mo, "Auto-Submitted");
  if (v && g_ascii_strncasecmp(v, "no", 2)) m->auto_submitted = 1;
  free(v);
  v = header_value(mo, "Precedence");
  if (v && (ci_find(v, "bulk") || ci_find(v, "junk") || ci_find(v, "list"))) m->auto_submitted = 1;
  free(v);
  if (m->from_addr && (!strncmp(m->from_addr, "mailer-daemon@", 14) || !strncmp(m->from_addr, "postmaster@", 11))) m->auto_submitted = 1;
  v = header_value(mo, "Authentication-Results");
  if (v && (ci_find(v, "dmarc=fail") || ci_find(v, "spf=fail"))) m->auth_failed = 1;
  free(v);
  const char *x = g_mime_object_get_header(mo, "X-XARF");
  if (!x) x = g_mime_object_get_header(mo, "X-ARF");
  m->xarf_header = x != NULL;
  if (!headers_only) {
    GMimeObject *body = g_mime_message_get_mime_part(msg);
    if (body) walk_object(&w, body, 1);
    judge_warnings(data, len, &w, m);
    if (!w.have_body && w.html) {
      html_to_text(w.html);
      m->text = w.html;
      m->charset = strdup(w.html_cs);
      w.html = NULL;
    }
    free(w.html);
  }
  for (int i = 0; i < w.nboundary; i++) free(w.boundary[i]);
  if (!m->text) m->text = strdup("");
  intake_utf8_cut(m->text, INTAKE_TEXT_MAX);
  g_object_unref(msg);
  g_mime_parser_options_free(opts);
}
