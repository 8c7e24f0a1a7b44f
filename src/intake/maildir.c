/* maildir.c — a Maildir run: every message in DIR/new is taken in, then moved (rename, same file system) to
 * DIR/cur/NAME:2,S when it was accepted or is a repeat, or to the Maildir++ folder DIR/.Quarantine/new/NAME when it
 * was quarantined. The database row is committed before the file moves, so a crash between the two leaves the file
 * in new/ and the next run sees it as a repeat. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "intake_int.h"

#define MAILDIR_PATH_MAX 4096
#define MAILDIR_FILES_MAX 1000000 /* names read from new/ in one run; the rest wait for the next run */

static int io_fail(cirs_err *e, const char *what, const char *path) {
  char m[ERR_MSG_MAX];
  snprintf(m, sizeof m, "%s %.400s: %s", what, path, strerror(errno));
  return err_set(e, "io_error", "maildir", m);
}

static int is_dir(const char *path) {
  struct stat s;
  return !stat(path, &s) && S_ISDIR(s.st_mode);
}

static int mkdir_p(const char *path, cirs_err *e) {
  if (is_dir(path)) return 0;
  if (mkdir(path, 0700) && errno != EEXIST) return io_fail(e, "mkdir", path);
  return 0;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Reads a message file: the whole of it up to INTAKE_MAIL_MAX bytes, else its first INTAKE_HEAD_MAX bytes; *size is
 * the file's size. */
static unsigned char *read_message(const char *path, size_t *len, size_t *size, cirs_err *e) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_fail(e, "open", path), NULL;
  struct stat s;
  if (fstat(fd, &s)) {
    io_fail(e, "stat", path);
    close(fd);
    return NULL;
  }
  *size = (size_t)s.st_size;
  size_t want = *size > INTAKE_MAIL_MAX ? INTAKE_HEAD_MAX : *size;
  unsigned char *buf = malloc(want + 1);
  size_t n = 0;
  while (buf && n < want) {
    ssize_t r = read(fd, buf + n, want - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      io_fail(e, "read", path);
      free(buf);
      close(fd);
      return NULL;
    }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  if (!buf) return err_set(e, "internal", "", "out of memory"), NULL;
  if (*size <= INTAKE_MAIL_MAX) *size = n; /* the file may have changed size since fstat */
  buf[n] = 0;
  *len = n;
  return buf;
}

int intake_maildir(store *st, const rules_set *rs, const char *dir, intake_progress_fn fn, void *ctx, intake_counts *c, cirs_err *e) {
  memset(c, 0, sizeof *c);
  char newd[MAILDIR_PATH_MAX], curd[MAILDIR_PATH_MAX], qdir[MAILDIR_PATH_MAX], qsub[MAILDIR_PATH_MAX + 8];
  if (snprintf(newd, sizeof newd, "%s/new", dir) >= (int)sizeof newd || snprintf(curd, sizeof curd, "%s/cur", dir) >= (int)sizeof curd ||
      snprintf(qdir, sizeof qdir, "%s/.Quarantine", dir) >= (int)sizeof qdir)
    return err_set(e, "usage", "maildir", L("路径过长", "path too long"));
  if (!is_dir(newd) || !is_dir(curd)) {
    char m[ERR_MSG_MAX];
    snprintf(m, sizeof m, L("%.400s 不是 Maildir（缺少 new/ 或 cur/）", "%.400s is not a Maildir (new/ or cur/ missing)"), dir);
    return err_set_msg(e, "not_found", "maildir", m);
  }
  if (mkdir_p(qdir, e)) return -1;
  static const char *const subs[] = {"tmp", "new", "cur"};
  for (int i = 0; i < 3; i++) {
    snprintf(qsub, sizeof qsub, "%s/%s", qdir, subs[i]);
    if (mkdir_p(qsub, e)) return -1;
  }
  DIR *d = opendir(newd);
  if (!d) return io_fail(e, "opendir", newd);
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  while ((de = readdir(d)) && n < MAILDIR_FILES_MAX) {
    if (de->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **t = realloc(names, cap * sizeof *t);
      if (!t) break;
      names = t;
    }
    names[n++] = strdup(de->d_name);
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  c->total = (int)n;
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    char path[MAILDIR_PATH_MAX + 300], to[MAILDIR_PATH_MAX + 320];
    if (!names[i] || snprintf(path, sizeof path, "%s/%s", newd, names[i]) >= (int)sizeof path) continue;
    struct stat s;
    if (lstat(path, &s) || !S_ISREG(s.st_mode)) { /* gone meanwhile (another run), or not a message file */
      c->total--;
      continue;
    }
    size_t len = 0, size = 0;
    unsigned char *data = read_message(path, &len, &size, e);
    if (!data) {
      c->failed++;
      rc = -1;
      break;
    }
    char source[300];
    snprintf(source, sizeof source, "maildir:%.280s", names[i]);
    intake_outcome o;
    if (intake_mail(st, rs, data, len, size, source, &o, e)) {
      free(data);
      c->failed++;
      rc = -1;
      break;
    }
    free(data);
    c->seen++;
    /* Maildir names: "unique:2,FLAGS" in cur/; a name already carrying an info part keeps only its unique part. */
    char base[300];
    snprintf(base, sizeof base, "%.280s", names[i]);
    char *colon = strchr(base, ':');
    if (colon) *colon = 0;
    if (!strcmp(o.status, "quarantined")) {
      c->quarantined++;
      snprintf(to, sizeof to, "%s/new/%s", qdir, base);
    } else {
      if (!strcmp(o.status, "duplicate")) c->duplicate++;
      else if (!strcmp(o.kind, "report")) c->report++;
      else if (!strcmp(o.kind, "tip")) c->tip++;
      else c->draft++;
      snprintf(to, sizeof to, "%s/%s:2,S", curd, base);
    }
    if (rename(path, to)) {
      rc = io_fail(e, "rename", path);
      break;
    }
    if (fn) fn(ctx, names[i], &o, c);
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}
