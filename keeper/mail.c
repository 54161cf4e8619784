/*
 * The outbox worker: delivers the emails the registration authority
 * committed to DB_OUTBOX, over SMTP (smtp_url) or into a maildir
 * (mail_maildir), with retries and backoff. A delivered email and its
 * "mail.sent" audit record leave the outbox in one transaction; a crash
 * between delivery and that commit sends the email again (at least
 * once). Activation codes are derived in the token at delivery and never
 * stored.
 *
 * Several keepers on one store (a cluster's nodes, docs/cluster.md) each
 * run this worker: an email is claimed before it is delivered, in a
 * write transaction that sets its "claim_until" (a lease of LEASE
 * seconds), so one node delivers it and the others pass it by. A node
 * that dies holding a claim leaves it to expire; another node then
 * delivers the email (at least once still holds).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/internal.h"
#include "keeper/ra.h"
#include "ra/ra.h"

#define BATCH 16
#define MAX_ATTEMPTS 12        /* then the email stays, marked failed */
#define BACKOFF_MAX 3600       /* seconds between attempts, at most */
#define LEASE 300              /* seconds a claim holds an email: longer
				* than one delivery's timeouts */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int kicked;

void keeper_mail_kick(void)
{
	pthread_mutex_lock(&mu);
	kicked = 1;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

struct due {
	json_t *list;
	int64_t now;
};

/* Not failed, its next attempt due and no other worker's claim on it. */
static int due_now(json_t *m, int64_t now)
{
	return !json_is_true(json_object_get(m, "failed")) &&
	       json_integer_value(json_object_get(m, "next_attempt")) <= now &&
	       json_integer_value(json_object_get(m, "claim_until")) <= now;
}

static int due_cb(void *arg, const void *key, size_t klen, const void *val,
		  size_t vlen)
{
	struct due *d = arg;
	json_t *m = json_loadb(val, vlen, 0, NULL);

	(void)key;
	(void)klen;
	if (m != NULL && due_now(m, d->now) &&
	    json_array_append(d->list, m) != 0) {
		json_decref(m);
		return ESD_ENOMEM;
	}
	json_decref(m);
	return json_array_size(d->list) >= BATCH;
}

/* Renders and delivers m; err gets the reason of a failure. */
static int deliver(struct keeper *k, json_t *m, char *err, size_t errlen)
{
	struct esd_config *cfg = &k->cfg;
	json_t *vars = json_deep_copy(json_object_get(m, "vars"));
	json_t *code = json_object_get(m, "code");
	char *subject = NULL, *body = NULL, *msg = NULL, *pass = NULL;
	char c[RA_CODE_LEN + 1], link[800];
	size_t len = 0, plen = 0;
	int rc = vars ? 0 : ESD_ENOMEM;

	if (rc == 0 && code != NULL) {
		const char *sub = json_string_value(json_object_get(code, "subscriber"));

		rc = keeper_ra_code(k, sub, json_string_value(json_object_get(code,
								      "nonce")), c);
		if (rc == 0) {
			snprintf(link, sizeof(link), "%s&code=%s",
				 json_string_value(json_object_get(vars, "link")) ?: "",
				 c);
			rc = keeper_json_update(vars, json_pack("{s:s, s:s}",
					"code", c, "link", link));
			if (rc != 0)
				snprintf(err, errlen, "out of memory");
		} else {
			snprintf(err, errlen, "cannot derive the activation code: %s",
				 esd_err_msg(rc));
		}
	}
	if (rc == 0)
		rc = ra_mail_render(json_string_value(json_object_get(m, "template")),
				    json_string_value(json_object_get(m, "lang")),
				    vars, &subject, &body);
	if (rc == 0)
		rc = ra_mail_message(cfg->mail_from,
				     json_string_value(json_object_get(m, "to")),
				     subject, body, time(NULL),
				     json_string_value(json_object_get(m, "id")),
				     &msg, &len);
	if (rc == 0 && cfg->smtp_url[0] != '\0') {
		struct ra_smtp s = { cfg->smtp_url, cfg->smtp_user, NULL,
				     cfg->smtp_require_tls, cfg->smtp_ca_file };

		if (cfg->smtp_password_file[0] != '\0' &&
		    esd_read_file(cfg->smtp_password_file, 1024, &pass, &plen) == 0)
			s.password = esd_trim(pass);
		rc = ra_smtp_send(&s, cfg->mail_from,
				  json_string_value(json_object_get(m, "to")), msg,
				  len, err, errlen);
	} else if (rc == 0) {
		rc = ra_maildir_deliver(cfg->mail_maildir, msg, len);
		if (rc != 0)
			snprintf(err, errlen, "maildir %s: %s", cfg->mail_maildir,
				 esd_err_msg(rc));
	}
	if (rc != 0 && err[0] == '\0')
		snprintf(err, errlen, "%s", esd_err_msg(rc));
	/* The rendered text may hold an activation code. */
	if (msg != NULL)
		OPENSSL_cleanse(msg, len);
	if (body != NULL)
		OPENSSL_cleanse(body, strlen(body));
	if (pass != NULL)
		OPENSSL_cleanse(pass, plen);
	OPENSSL_cleanse(c, sizeof(c));
	OPENSSL_cleanse(link, sizeof(link));
	free(pass);
	free(msg);
	free(body);
	free(subject);
	if (vars != NULL && json_object_get(vars, "code") != NULL) {
		json_t *cv2 = json_object_get(vars, "code");

		OPENSSL_cleanse((char *)json_string_value(cv2),
				strlen(json_string_value(cv2)));
	}
	json_decref(vars);
	return rc;
}

/*
 * Claims the emails of list that are still due, in one write transaction
 * (the writers' lock orders it against every other node's claim);
 * returns those claimed, as stored with their claim. NULL if none.
 */
static json_t *claim(struct keeper *k, json_t *list)
{
	json_t *mine = json_array(), *m, *cur;
	struct store_txn *t = NULL;
	int64_t now = esd_now();
	size_t i;
	int rc = mine != NULL ? store_txn_begin(k->store, 1, &t) : ESD_ENOMEM;

	json_array_foreach(list, i, m) {
		const char *id = json_string_value(json_object_get(m, "id"));

		if (rc != 0 || id == NULL)
			break;
		cur = NULL;
		if (store_get_json(t, DB_OUTBOX, id, &cur) != 0 ||
		    !due_now(cur, now)) {
			json_decref(cur);
			continue;   /* delivered or claimed by another node */
		}
		rc = keeper_json_set(cur, "claim_until",
				     json_integer(now + LEASE));
		if (rc == 0)
			rc = store_put_json(t, DB_OUTBOX, id, cur, 0);
		if (rc == 0)
			rc = json_array_append_new(mine, cur) == 0 ? 0
			     : ESD_ENOMEM;
		else
			json_decref(cur);
	}
	if (rc == 0 && t != NULL) {
		rc = store_txn_commit(t);
		t = NULL;
	}
	store_txn_abort(t);
	if (rc != 0 || json_array_size(mine) == 0) {
		json_decref(mine);
		return NULL;
	}
	return mine;
}

/* Records the outcome of one delivery. */
static void settle(struct keeper *k, json_t *m, int rc, const char *err)
{
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *tpl = json_string_value(json_object_get(m, "template"));
	struct store_txn *t = NULL;
	json_t *detail = json_pack("{s:s}", "template", tpl);
	int64_t n = json_integer_value(json_object_get(m, "attempts")) + 1;
	int wrc = store_txn_begin(k->store, 1, &t);

	if (wrc == 0 && rc == 0) {
		wrc = store_del(t, DB_OUTBOX, id, strlen(id));
		if (wrc == 0)
			wrc = store_audit(t, "keeper:mail", "mail.sent", id, 0, detail);
	} else if (wrc == 0) {
		int64_t wait = 30;

		for (int64_t i = 1; i < n && wait < BACKOFF_MAX; i++)
			wait *= 2;
		if (wait > BACKOFF_MAX)
			wait = BACKOFF_MAX;
		wrc = keeper_json_update(m, json_pack("{s:I, s:I, s:s, s:I}",
				"attempts", (json_int_t)n, "next_attempt",
				(json_int_t)(esd_now() + wait), "last_error", err,
				"claim_until", (json_int_t)0));
		if (wrc == 0 && n >= MAX_ATTEMPTS)
			wrc = keeper_json_set(m, "failed", json_true());
		if (wrc == 0)
			wrc = store_put_json(t, DB_OUTBOX, id, m, 0);
		if (wrc == 0 && n >= MAX_ATTEMPTS)
			wrc = store_audit(t, "keeper:mail", "mail.failed", id, rc,
					  detail);
	}
	if (wrc == 0) {
		wrc = store_txn_commit(t);
		t = NULL;
	}
	store_txn_abort(t);
	json_decref(detail);
	if (wrc != 0)
		log_err("keeper: outbox %s: cannot record the delivery", id);
	else if (rc != 0)
		log_warn("keeper: email %s (%s) not delivered (attempt %lld): %s",
			 id, tpl, (long long)n, err);
	else
		log_info("keeper: email %s (%s) delivered", id, tpl);
}

static void *mail_main(void *p)
{
	struct keeper *k = p;
	int warned = 0;

	for (;;) {
		struct due d = { json_array(), esd_now() };
		struct store_txn *t;
		json_t *mine;
		struct timespec until;
		size_t i;
		json_t *m;

		pthread_mutex_lock(&mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 5;
		while (!kicked &&
		       pthread_cond_timedwait(&cv, &mu, &until) == 0)
			;
		kicked = 0;
		pthread_mutex_unlock(&mu);
		if (d.list == NULL)
			continue;
		if (k->cfg.smtp_url[0] == '\0' && k->cfg.mail_maildir[0] == '\0') {
			if (!warned++)
				log_warn("keeper: neither smtp_url nor mail_maildir "
					 "is set: emails stay in the outbox");
			json_decref(d.list);
			continue;
		}
		if (store_txn_begin(k->store, 0, &t) == 0) {
			store_walk(t, DB_OUTBOX, due_cb, &d);
			store_txn_abort(t);
		}
		mine = json_array_size(d.list) > 0 ? claim(k, d.list) : NULL;
		json_array_foreach(mine, i, m) {
			char err[256] = "";
			int rc = deliver(k, m, err, sizeof(err));

			settle(k, m, rc, err);
		}
		json_decref(mine);
		/* A full batch: more may be due at once. */
		if (json_array_size(d.list) >= BATCH)
			keeper_mail_kick();
		json_decref(d.list);
	}
	return NULL;
}

int keeper_mail_start(struct keeper *k)
{
	pthread_t th;

	if (pthread_create(&th, NULL, mail_main, k) != 0)
		return ESD_ENOMEM;
	pthread_detach(th);
	keeper_mail_kick();
	return 0;
}
