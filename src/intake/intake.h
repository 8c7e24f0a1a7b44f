/* intake.h — e-mail intake: one RFC 5322 message (an MTA pipe) or every message of a Maildir becomes a report, an
 * abuse tip or a draft for a duty officer, or is quarantined with the reason. Nothing is dropped.
 *
 *   bytes --intake_parse (mime.c, GMime 3)--> intake_msg: headers, body text in UTF-8, attachments, ARF/X-ARF fields
 *         --intake_mail (intake.c)--> classify:
 *             ARF (RFC 5965) or X-ARF (v0.2/v3 YAML, v3/v4 JSON)      -> tip (abuse.c)
 *             report template (template.c) from a known organisation -> report (model_report_submit, channel email)
 *             anything else, unknown sender, template not fileable     -> draft (intake_drafts)
 *             too large, broken MIME, no sender, over a limit          -> quarantined (reason, raw bytes kept)
 *         in one transaction with the intake_mails row, the attachments, the audit event and the receipt reply (outbox).
 *
 * The limits below are the documented contract (README "Mail intake"). */
#ifndef CIRS_INTAKE_H
#define CIRS_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../rules/rules.h"
#include "../store/store.h"

#define INTAKE_MAIL_MAX (10 * 1024 * 1024)      /* bytes of one message as received; larger: quarantined (too_large) */
#define INTAKE_HEAD_MAX (64 * 1024)             /* of an oversized message: bytes read for its headers and kept as raw */
#define INTAKE_ATTACH_MAX 20                    /* attachments per message; more: quarantined */
#define INTAKE_ATTACH_BYTES (5 * 1024 * 1024)   /* one attachment, decoded; larger: quarantined */
#define INTAKE_PARTS_MAX 100                    /* MIME parts of one message (all levels); more: quarantined */
#define INTAKE_DEPTH_MAX 8                      /* MIME nesting (multipart in multipart, attached messages); deeper: quarantined */
#define INTAKE_TEXT_MAX (256 * 1024)            /* body text kept (UTF-8 bytes); the rest is cut at a character boundary */
#define INTAKE_TIP_TEXT_MAX 10000               /* description of a tip (as the API's tips) */
#define INTAKE_HEADER_MAX 500                   /* subject, sender name and other header values kept */
#define INTAKE_FIELDS_MAX 100                   /* ARF / X-ARF fields kept per report; columns of a CSV feed */
#define INTAKE_FEED_ROWS_MAX 100                /* rows of a CSV abuse feed kept in the tip (all are counted) */
#define INTAKE_ADDRESS_MAX 120                  /* longest sender address answered (NOTIFY_ADDRESS_MAX) */

/* What became of one message. */
typedef struct intake_outcome {
  char status[16];             /* accepted | quarantined | duplicate */
  char kind[8];                /* report | tip | draft; "" when quarantined */
  char mail_ref[40];           /* MAIL-YYYY-NNNNNN (of the earlier row for a duplicate) */
  char ref[40];                /* receipt number sent back: incident (CIRS-…), tip (TIP-…) or the draft's mail ref */
  char reason_code[ERR_CODE_MAX]; /* quarantined: why; a draft from a report template: why it is not a report */
  char reason[ERR_MSG_MAX];
  char organisation[64];       /* the sender's organisation code, "" when unknown */
  int attachments;             /* stored */
  int replied;                 /* a receipt reply was queued */
} intake_outcome;

/* Once per process, before anything else here (GMime). */
void intake_init(void);
void intake_shutdown(void);

/* Takes in one message: `data` holds its first `len` bytes, `size` is its real size (> len only when the caller
 * stopped reading an oversized message; then len >= INTAKE_HEAD_MAX or the whole message). `source` names where it
 * came from ("stdin", "maildir:NAME"). `actor_fallback` is the audit actor when the sender is unknown.
 * Returns 0 when the message was recorded (accepted, quarantined) or recognised as a repeat (duplicate); -1 on an
 * operational failure (database), with nothing stored: the caller keeps the message for a retry. */
int intake_mail(store *st, const rules_set *rs, const unsigned char *data, size_t len, size_t size, const char *source, intake_outcome *out,
                cirs_err *e);

/* Counts of a Maildir run. */
typedef struct intake_counts {
  int total;  /* messages found in new/ */
  int seen, report, tip, draft, duplicate, quarantined, failed;
} intake_counts;
/* Called after each message of a Maildir run (name = file name in new/). */
typedef void (*intake_progress_fn)(void *ctx, const char *name, const intake_outcome *o, const intake_counts *c);
/* Takes in every message in DIR/new (sorted by name): accepted and duplicate ones move to DIR/cur/NAME:2,S, quarantined
 * ones to DIR/.Quarantine/new/NAME (a Maildir++ folder, created when needed). A message whose intake failed (database)
 * stays in new/ and the run stops. Returns 0, or -1 (e set) when the Maildir is unusable or a failure stopped the run. */
int intake_maildir(store *st, const rules_set *rs, const char *dir, intake_progress_fn fn, void *ctx, intake_counts *c, cirs_err *e);

#endif
