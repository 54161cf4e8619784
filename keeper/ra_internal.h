/*
 * Internal to the registration authority's keeper files (keeper/ra.c, ra_read.c, ra_util.c,
 * keeper/auth.c, keeper/ca.c): small helpers, the outbox, and the
 * operations the dispatch table in keeper/ra_read.c names.
 */
#ifndef ESD_KEEPER_RA_INTERNAL_H
#define ESD_KEEPER_RA_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "common/err.h"
#include "common/util.h"
#include "keeper/internal.h"
#include "keeper/ra.h"
#include "hsm/hsm.h"
#include <openssl/x509.h>

static inline const char *member_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Whether o's member key is the string want (NULL-safe: a missing or
 * non-string member, or a NULL want, is never equal). */
static inline int member_str_is(json_t *o, const char *key, const char *want)
{
	const char *v = member_str(o, key);

	return v != NULL && want != NULL && strcmp(v, want) == 0;
}

static inline int reply_error(struct reply *r, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static inline int reply_error(struct reply *r, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return rc;
}

/* Loads id from db in t; a missing record is ESD_ENOTFOUND with a
 * message naming what. */
static inline int load_record(struct store_txn *t, enum store_db db,
		       const char *id, const char *what, json_t **out,
		       struct reply *r)
{
	int rc = store_get_json(t, db, id, out);

	if (rc == ESD_ENOTFOUND)
		reply_error(r, rc, "no %s '%.64s'", what, id);
	return rc;
}

/* A subscriber as the API shows it: without its secrets. */
json_t *kra_sub_public(json_t *sub);

/* 1 if arr, an array of strings (or NULL), holds id. */
int kra_holds(json_t *arr, const char *id);

static inline int64_t member_int(json_t *o, const char *key)
{
	return (int64_t)json_integer_value(json_object_get(o, key));
}

/* Sets key to now: 0 or ESD_ENOMEM. */
static inline int __attribute__((warn_unused_result))
stamp_now(json_t *o, const char *key)
{
	return keeper_json_set(o, key, json_integer(esd_now()));
}

/* store_audit with a detail object it takes over (NULL: none). */
static inline int audit_record(struct store_txn *t, struct caller *c,
			const char *action, const char *target, json_t *detail)
{
	int rc = store_audit(t, c->actor, action, target, 0, detail);

	json_decref(detail);
	return rc;
}

/* Commits, then wakes the mail worker for what the change queued. */
static inline int commit_and_mail(struct store_txn **t)
{
	int rc = store_txn_commit(*t);

	*t = NULL;
	if (rc == 0)
		keeper_mail_kick();
	return rc;
}

/* Queues an email in t. vars are the template's fields (borrowed); with
 * code_sub set, the worker derives the activation code of that
 * subscriber at delivery, so the code itself is never stored. */
int kra_outbox_add(struct store_txn *t, const char *to, const char *tpl,
		   const char *lang, json_t *vars, const char *code_sub,
		   const char *code_nonce);
/* A new bearer token (32 random bytes as hex) and the hex SHA-256 the
 * store keeps of it. */
int kra_new_token(char token[65], char hash_hex[65]);
/* "YYYY-MM-DD HH:MM UTC" */
void kra_fmt_time(int64_t t, char *out, size_t cap);

/* A change to a subscriber record, in the write transaction t; non-zero
 * (with r->msg) refuses it. */
typedef int (*kra_sub_fn)(struct keeper *k, struct caller *c,
			  struct store_txn *t, json_t *sub, void *arg,
			  struct reply *r);
/* Loads subscriber id, applies fn, stores it with an audit record
 * (action) in one transaction, and answers {"subscriber": public view}. */
int kra_change_sub(struct keeper *k, struct caller *c, const char *id,
		   const char *action, kra_sub_fn fn, void *arg,
		   struct reply *r);

/* keeper/issue.c: what a renewal, a seal's approval or an individual's
 * activation issues. */
struct issued {
	char label[HSM_LABEL_MAX + 1];
	char type[16];
	char ca_label[HSM_LABEL_MAX + 1];
	X509 *cert;
	X509 *chain[4];
	size_t nchain;
};
void kra_issued_free(struct issued *is);
/* Generates a key for sub in the token and issues its certificate under
 * the subscriber's profile; nothing is written to the store. */
int kra_issue(struct keeper *k, json_t *sub, struct issued *is,
	      struct reply *r);
/* Records what kra_issue made in t and points sub at it. */
int kra_record_issued(struct store_txn *t, struct caller *c, json_t *sub,
		      struct issued *is, char *serial, size_t cap);
/* The "issued" email for sub, with what the subscriber does next. */
int kra_mail_issued(struct store_txn *t, json_t *sub, const char *serial);

typedef int (*kra_op_fn)(struct keeper *k, struct caller *c, json_t *a,
			 struct reply *r);
/* keeper/ra.c: the workflow. */
int op_register_individual(struct keeper *k, struct caller *c, json_t *a,
			   struct reply *r);
int op_register_seal(struct keeper *k, struct caller *c, json_t *a,
		     struct reply *r);
int op_apply_individual(struct keeper *k, struct caller *c, json_t *a,
			struct reply *r);
int op_approve(struct keeper *k, struct caller *c, json_t *a, struct reply *r);
int op_reject(struct keeper *k, struct caller *c, json_t *a, struct reply *r);
int op_renew(struct keeper *k, struct caller *c, json_t *a, struct reply *r);
int op_revoke(struct keeper *k, struct caller *c, json_t *a, struct reply *r);
int op_activate(struct keeper *k, struct caller *c, json_t *a, struct reply *r);
int op_reset(struct keeper *k, struct caller *c, json_t *a, struct reply *r);

#endif
