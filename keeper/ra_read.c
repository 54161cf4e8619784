/*
 * The registration authority's reading operations (lists, records, the
 * SLA report), its administration (CRLs, API clients) and the dispatch
 * of MSG_RA: one table row per operation, naming who may call it and the
 * fields it takes. Changes are serialised by ra_mu, so a state read
 * before a token operation still holds when it is written.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/auth.h"
#include "keeper/ra_internal.h"
#include "pki/pki.h"
#include "pki/pkisvc.h"
#include "ra/ra.h"

static pthread_mutex_t ra_mu = PTHREAD_MUTEX_INITIALIZER;

/* ---- reading ---- */

struct list_walk {
	json_t *filter;     /* field -> wanted string value */
	const char *q;      /* substring of name, nik, email or id */
	json_t *out;
	size_t limit;
	json_t *(*view)(json_t *); /* what the answer shows of a record */
	const char *before; /* a page's cursor: only records keyed below it */
	int more;           /* matches older than those answered were left out */
};

static int list_cb(void *arg, const void *key, size_t klen, const void *val,
		   size_t vlen)
{
	struct list_walk *w = arg;
	json_t *o = json_loadb(val, vlen, 0, NULL), *v;
	const char *f;
	int keep = o != NULL;

	if (w->before != NULL) {
		size_t bl = strlen(w->before);
		int c = memcmp(key, w->before, klen < bl ? klen : bl);

		if (c > 0 || (c == 0 && klen >= bl)) {
			json_decref(o);
			return 1;       /* key order: every later key is too */
		}
	}
	json_object_foreach(w->filter, f, v)
		if (keep && (member_str(o, f) == NULL ||
			     !member_str_is(o, f, json_string_value(v))))
			keep = 0;
	if (keep && w->q != NULL) {
		static const char *const fields[] = { "id", "name", "nik", "email" };

		keep = 0;
		for (size_t i = 0; i < ESD_ARRAY_LEN(fields); i++)
			if (member_str(o, fields[i]) != NULL &&
			    strcasestr(member_str(o, fields[i]), w->q) != NULL)
				keep = 1;
	}
	if (keep && keeper_json_append(w->out, w->view != NULL ? w->view(o)
							       : json_incref(o)) != 0) {
		json_decref(o);
		return ESD_ENOMEM;
	}
	/* Newest last in the walk: keep the last limit of them. */
	if (keep && json_array_size(w->out) > w->limit) {
		json_array_remove(w->out, 0);
		w->more = 1;
	}
	json_decref(o);
	return 0;
}

static int list(struct keeper *k, json_t *a, enum store_db db,
		const char *const *filters, const char *name, struct reply *r)
{
	struct list_walk w = { json_object(), member_str(a, "q"), json_array(), 100,
			       db == DB_SUBSCRIBERS ? kra_sub_public
			       : db == DB_USERS ? keeper_user_public : NULL,
			       member_str(a, "before"), 0 };
	struct store_txn *t;
	uint64_t lim;
	int rc = w.filter && w.out ? 0 : ESD_ENOMEM;

	if (member_str(a, "limit") != NULL) {
		if (esd_parse_u64(member_str(a, "limit"), 1, 1000, &lim) != 0)
			rc = reply_error(r, ESD_EINVAL, "'limit' is 1..1000");
		w.limit = (size_t)lim;
	}
	for (size_t i = 0; rc == 0 && filters[i] != NULL; i++)
		if (member_str(a, filters[i]) != NULL)
			rc = keeper_json_set(w.filter, filters[i],
					     json_string(member_str(a, filters[i])));
	if (rc == 0)
		rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0) {
		rc = store_walk(t, db, list_cb, &w);
		if (rc == 1)
			rc = 0;
		store_txn_abort(t);
	}
	/* The next (older) page: the same query with before = next_before. */
	if (rc == 0) {
		r->json = json_pack("{s:O, s:s*}", name, w.out, "next_before",
				    w.more ? member_str(json_array_get(w.out, 0),
							"id") : NULL);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	json_decref(w.filter);
	json_decref(w.out);
	return rc;
}

static int op_request_list(struct keeper *k, struct caller *c, json_t *a,
			   struct reply *r)
{
	static const char *const f[] = { "state", "type", "service", "subscriber",
					 NULL };

	(void)c;
	return list(k, a, DB_REQUESTS, f, "requests", r);
}

static int op_subscriber_list(struct keeper *k, struct caller *c, json_t *a,
			      struct reply *r)
{
	static const char *const f[] = { "kind", "status", NULL };

	(void)c;
	return list(k, a, DB_SUBSCRIBERS, f, "subscribers", r);
}

static int op_user_list(struct keeper *k, struct caller *c, json_t *a,
			struct reply *r)
{
	static const char *const f[] = { "role", NULL };

	(void)c;
	return list(k, a, DB_USERS, f, "users", r);
}

static int show(struct keeper *k, enum store_db db, const char *id,
		const char *what, struct reply *r)
{
	struct store_txn *t;
	json_t *o = NULL, *sub = NULL, *certs;
	int rc = store_txn_begin(k->store, 0, &t);

	if (rc == 0)
		rc = load_record(t, db, id, what, &o, r);
	if (rc == 0 && db == DB_REQUESTS &&
	    store_get_json(t, DB_SUBSCRIBERS, member_str(o, "subscriber"), &sub) == 0) {
		rc = keeper_json_set(o, "subscriber_record", kra_sub_public(sub));
	} else if (rc == 0 && db == DB_SUBSCRIBERS) {
		json_t *full = o;
		size_t i;
		json_t *s;

		o = kra_sub_public(full);
		json_decref(full);
		/* Each certificate with its status. */
		certs = json_array();
		rc = o && certs ? 0 : ESD_ENOMEM;
		json_array_foreach(json_object_get(o, "certs"), i, s) {
			json_t *cr = NULL;

			if (rc == 0 && store_get_json(t, DB_CERTS,
						      json_string_value(s), &cr) == 0) {
				json_object_del(cr, "pem");
				rc = keeper_json_append(certs, cr);
			}
		}
		if (rc == 0)
			rc = keeper_json_set(o, "certificates", certs);
		else
			json_decref(certs);
	}
	store_txn_abort(t);
	json_decref(sub);
	if (rc == 0)
		r->json = o;
	else
		json_decref(o);
	return rc;
}

static int op_request_show(struct keeper *k, struct caller *c, json_t *a,
			   struct reply *r)
{
	(void)c;
	return show(k, DB_REQUESTS, member_str(a, "id"), "request", r);
}

static int op_subscriber_show(struct keeper *k, struct caller *c, json_t *a,
			      struct reply *r)
{
	(void)c;
	return show(k, DB_SUBSCRIBERS, member_str(a, "id"), "subscriber", r);
}

static int op_cert_show(struct keeper *k, struct caller *c, json_t *a,
			struct reply *r)
{
	char serial[64];

	(void)c;
	snprintf(serial, sizeof(serial), "%s", member_str(a, "id"));
	for (char *p = serial; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p + 32);
	return show(k, DB_CERTS, serial, "certificate", r);
}

static int op_letter(struct keeper *k, struct caller *c, json_t *a,
		     struct reply *r)
{
	struct store_txn *t = NULL;
	const void *v;
	size_t n;
	char *b64 = NULL;
	int rc = strlen(member_str(a, "id")) == 64 ? store_txn_begin(k->store, 0, &t)
					     : ESD_ENOTFOUND;

	(void)c;
	if (rc == 0)
		rc = store_get(t, DB_FILES, member_str(a, "id"), 64, &v, &n);
	if (rc == 0 && (b64 = esd_b64_encode(v, n)) == NULL)
		rc = ESD_ENOMEM;
	store_txn_abort(t);
	if (rc == ESD_ENOTFOUND)
		return reply_error(r, rc, "no letter with that SHA-256");
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s}", "sha256", member_str(a, "id"), "pdf", b64);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	free(b64);
	return rc;
}

/* A subscriber's state in BSrE's words (docs/bsre-compat.md): ref is an
 * id, "nik:NIK" or "email:ADDR". */
static int op_subscriber_status(struct keeper *k, struct caller *c, json_t *a,
				struct reply *r)
{
	struct store_txn *t;
	json_t *sub = NULL;
	char id[64];
	const char *st, *bsre;
	int rc = store_txn_begin(k->store, 0, &t);

	(void)c;
	if (rc != 0)
		return rc;
	if (keeper_subscriber_find(t, member_str(a, "id"), id, sizeof(id)) != 0 ||
	    store_get_json(t, DB_SUBSCRIBERS, id, &sub) != 0) {
		store_txn_abort(t);
		r->json = json_pack("{s:n, s:s}", "subscriber", "status",
				    "NOT_REGISTERED");
		return r->json ? 0 : ESD_ENOMEM;
	}
	store_txn_abort(t);
	st = member_str(sub, "status");
	if (strcmp(st, "pending") == 0)
		bsre = "WAITING_FOR_VERIFICATION";
	else if (strcmp(st, "awaiting_activation") == 0)
		bsre = "NEW";
	else if (strcmp(st, "rejected") == 0)
		bsre = "NOT_REGISTERED";
	else if (strcmp(st, "revoked") == 0)
		bsre = "REVOKE";
	else if (member_str(sub, "key") == NULL)
		bsre = "NO_CERTIFICATE";
	else if (member_int(sub, "locked_until") > esd_now())
		bsre = "SUSPEND";
	else if (member_int(sub, "expires") > 0 && member_int(sub, "expires") < esd_now())
		bsre = "EXPIRED";
	else if (member_str(sub, "open_renew") != NULL)
		bsre = "RENEW";
	else
		bsre = "ISSUE";
	r->json = json_pack("{s:s, s:s, s:s}", "subscriber", id, "state", st,
			    "status", bsre);
	json_decref(sub);
	return r->json ? 0 : ESD_ENOMEM;
}

/* ---- SLA ---- */

struct sla_walk {
	struct sla_calendar cal;
	time_t from, to, now;
	uint64_t days[4];
	json_t *out;
};

static const char *const services[] = { "individual", "seal", "renewal",
					"revocation" };

static int sla_cb(void *arg, const void *key, size_t klen, const void *val,
		  size_t vlen)
{
	struct sla_walk *w = arg;
	json_t *o = json_loadb(val, vlen, 0, NULL), *s;
	const char *svc = member_str(o, "service");
	time_t created = (time_t)member_int(o, "created");
	static const char *const res[] = { "open", "met", "breached" };
	enum sla_result x;

	(void)key;
	(void)klen;
	for (size_t i = 0; o != NULL && svc != NULL && i < 4; i++) {
		if (strcmp(svc, services[i]) != 0 || created < w->from ||
		    created >= w->to)
			continue;
		x = sla_judge(&w->cal, created, (time_t)member_int(o, "decided_at"),
			      w->now, (unsigned)w->days[i]);
		s = json_object_get(w->out, svc);
		if (keeper_json_set(s, res[x], json_integer(member_int(s, res[x]) + 1)) != 0 ||
		    keeper_json_set(s, "total", json_integer(member_int(s, "total") + 1)) != 0) {
			json_decref(o);
			return ESD_ENOMEM;
		}
	}
	json_decref(o);
	return 0;
}

static int op_sla(struct keeper *k, struct caller *c, json_t *a,
		  struct reply *r)
{
	struct sla_walk w = { .now = (time_t)esd_now(), .out = json_object() };
	struct store_txn *t;
	char holidays[512], err[256];
	int off, rc;

	(void)c;
	pthread_mutex_lock(&k->cfg_mu);
	snprintf(holidays, sizeof(holidays), "%s", k->cfg.sla_holidays);
	off = (int)k->cfg.sla_utc_offset_minutes;
	w.days[0] = k->cfg.sla_individual_days;
	w.days[1] = k->cfg.sla_seal_days;
	w.days[2] = k->cfg.sla_renewal_days;
	w.days[3] = k->cfg.sla_revocation_days;
	pthread_mutex_unlock(&k->cfg_mu);
	rc = sla_calendar_load(holidays, off, &w.cal, err, sizeof(err));
	if (rc != 0) {
		json_decref(w.out);
		return reply_error(r, ESD_ECONFIG, "sla_holidays: %s", err);
	}
	if (sla_parse_day(&w.cal, member_str(a, "from"), &w.from) != 0 ||
	    sla_parse_day(&w.cal, member_str(a, "to"), &w.to) != 0 || w.to < w.from) {
		rc = reply_error(r, ESD_EINVAL, "'from' and 'to' are dates YYYY-MM-DD, "
			  "from <= to");
		goto out;
	}
	w.to += 86400; /* the whole last day */
	rc = 0;
	for (size_t i = 0; rc == 0 && i < 4; i++)
		rc = keeper_json_set(w.out, services[i],
				     json_pack("{s:I, s:i, s:i, s:i, s:i}",
					       "target_days", (json_int_t)w.days[i],
					       "total", 0, "met", 0, "breached", 0,
					       "open", 0));
	if (rc == 0)
		rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0) {
		rc = store_walk(t, DB_REQUESTS, sla_cb, &w);
		store_txn_abort(t);
	}
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s, s:i, s:O}", "from", member_str(a, "from"),
				    "to", member_str(a, "to"), "utc_offset_minutes", off,
				    "services", w.out);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	sla_calendar_free(&w.cal);
	json_decref(w.out);
	return rc;
}

/* ---- administration: CRLs and API clients ---- */

static int op_crl_issue(struct keeper *k, struct caller *c, json_t *a,
			struct reply *r)
{
	int rc = keeper_crl_reissue(k, c, member_str(a, "id"), r->msg, sizeof(r->msg));

	if (rc == 0) {
		r->json = json_pack("{s:s, s:b}", "ca", member_str(a, "id"), "issued", 1);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	return rc;
}

struct name_walk {
	const char *name;
	json_t *out;
};

static int client_cb(void *arg, const void *key, size_t klen, const void *val,
		     size_t vlen)
{
	struct name_walk *w = arg;
	json_t *o = json_loadb(val, vlen, 0, NULL);
	int found = 0;

	(void)key;
	(void)klen;
	if (o != NULL && w->name != NULL)
		found = member_str_is(o, "name", w->name);
	if (o != NULL && w->out != NULL) {
		json_object_del(o, "hash");
		if (json_array_append(w->out, o) != 0)
			found = ESD_ENOMEM;
	}
	json_decref(o);
	return found;
}

static const char *const roles[] = { "admin", "verifier", "client", NULL };

static int op_client_add(struct keeper *k, struct caller *c, json_t *a,
			 struct reply *r)
{
	struct name_walk w = { member_str(a, "name"), NULL };
	struct store_txn *t = NULL;
	char token[65], hex[65];
	json_t *rec = NULL, *keys = json_object_get(a, "keys");
	const char *role = member_str(a, "role");
	size_t i;
	int rc;

	if (ra_check_text("name", w.name, 64, r->msg, sizeof(r->msg)) != 0)
		return ESD_EINVAL;
	for (i = 0; role != NULL && roles[i] != NULL; i++)
		if (strcmp(roles[i], role) == 0)
			break;
	if (role == NULL || roles[i] == NULL)
		return reply_error(r, ESD_EINVAL, "'role' is admin, verifier or client");
	if (keys != NULL && !json_is_array(keys))
		return reply_error(r, ESD_EINVAL, "'keys' is an array of key labels");
	if ((rc = kra_new_token(token, hex)) != 0)
		return rc;
	rec = json_pack("{s:s, s:s, s:s, s:I, s:s, s:O}", "name", w.name, "role",
			role, "hash", hex, "created", (json_int_t)esd_now(),
			"default_key", member_str(a, "default_key") ?: "", "keys",
			keys ? keys : json_array());
	rc = rec ? store_txn_begin(k->store, 1, &t) : ESD_ENOMEM;
	if (rc == 0 && store_walk(t, DB_CLIENTS, client_cb, &w) == 1)
		rc = reply_error(r, ESD_EEXIST, "a client named '%s' exists", w.name);
	if (rc == 0)
		rc = store_put_json(t, DB_CLIENTS, hex, rec, 1);
	if (rc == 0)
		rc = audit_record(t, c, "client.create", w.name,
			   json_pack("{s:s}", "role", role));
	if (rc == 0)
		rc = commit_and_mail(&t);
	store_txn_abort(t);
	json_decref(rec);
	/* The token is shown once; only its hash is kept. */
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s, s:s}", "name", w.name, "role", role,
				    "token", token);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

static int op_client_list(struct keeper *k, struct caller *c, json_t *a,
			  struct reply *r)
{
	struct name_walk w = { NULL, json_array() };
	struct store_txn *t;
	int rc = w.out ? store_txn_begin(k->store, 0, &t) : ESD_ENOMEM;

	(void)c;
	(void)a;
	if (rc == 0) {
		rc = store_walk(t, DB_CLIENTS, client_cb, &w);
		store_txn_abort(t);
	}
	if (rc == 0) {
		r->json = json_pack("{s:O}", "clients", w.out);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	json_decref(w.out);
	return rc;
}

/* ---- dispatch ---- */

static const struct ra_op {
	const char *name;
	int (*fn)(struct keeper *, struct caller *, json_t *, struct reply *);
	enum pol_need who;            /* policy/access.c */
	int changes;                  /* serialised by ra_mu */
	const char *fields[8];        /* allowed; the first ones up to the
				       * first "?"-prefixed are required */
} ops[] = {
	{ "individual.register", op_register_individual, POL_NEED_CLIENT, 1,
	  { "name", "nik", "email", "unit", "?org", "?lang" } },
	{ "individual.apply", op_apply_individual, POL_NEED_CLIENT, 1,
	  { "name", "email", "?nik", "?unit", "?org", "?lang" } },
	{ "seal.register", op_register_seal, POL_NEED_CLIENT, 1,
	  { "name", "email", "letter", "?org", "?lang", "?org_id" } },
	{ "request.approve", op_approve, POL_NEED_VERIFIER, 1, { "id" } },
	{ "request.reject", op_reject, POL_NEED_VERIFIER, 1, { "id", "reason" } },
	{ "subscriber.renew", op_renew, POL_NEED_VERIFIER, 1, { "id" } },
	{ "subscriber.revoke", op_revoke, POL_NEED_VERIFIER, 1, { "id", "reason" } },
	{ "individual.activate", op_activate, POL_NEED_ANYONE, 1,
	  { "subscriber", "code", "passphrase" } },
	{ "request.list", op_request_list, POL_NEED_STAFF, 0,
	  { "?state", "?type", "?service", "?subscriber", "?limit", "?before" } },
	{ "request.show", op_request_show, POL_NEED_STAFF, 0, { "id" } },
	{ "subscriber.list", op_subscriber_list, POL_NEED_STAFF, 0,
	  { "?kind", "?status", "?q", "?limit", "?before" } },
	{ "subscriber.show", op_subscriber_show, POL_NEED_STAFF_SEAL, 0, { "id" } },
	{ "cert.show", op_cert_show, POL_NEED_STAFF, 0, { "id" } },
	{ "letter.get", op_letter, POL_NEED_STAFF, 0, { "id" } },
	{ "sla.report", op_sla, POL_NEED_STAFF, 0, { "from", "to" } },
	{ "crl.issue", op_crl_issue, POL_NEED_ADMIN, 1, { "id" } },
	{ "client.add", op_client_add, POL_NEED_ADMIN, 1,
	  { "name", "role", "?keys", "?default_key" } },
	{ "client.list", op_client_list, POL_NEED_ADMIN, 0, { NULL } },
	{ "key.csr", op_key_csr, POL_NEED_ADMIN, 0, { "id", "subject" } },
	{ "key.rotate", op_key_rotate, POL_NEED_ADMIN, 1, { "id" } },
	{ "subscriber.unlock", op_unlock, POL_NEED_VERIFIER, 1, { "id" } },
	{ "subscriber.reset", op_reset, POL_NEED_VERIFIER, 1, { "id" } },
	{ "individual.passphrase", op_passphrase_change, POL_NEED_ANYONE, 1,
	  { "subscriber", "passphrase", "new_passphrase" } },
	{ "seal.activate", op_seal_activate, POL_NEED_SEAL, 1, { "id" } },
	{ "seal.deactivate", op_seal_deactivate, POL_NEED_SEAL, 1, { "id" } },
	{ "seal.code", op_seal_code, POL_NEED_SEAL, 1,
	  { "id", "documents", "?activation_code", "?totp", "?seconds" } },
	{ "seal.totp", op_seal_totp, POL_NEED_SEAL, 1, { "id" } },
	{ "seal.totp.reset", op_seal_totp_reset, POL_NEED_SEAL, 1, { "id" } },
	{ "individual.otp", op_individual_otp, POL_NEED_CLIENT, 1,
	  { "id", "documents" } },
	{ "individual.authorize", op_individual_authorize, POL_NEED_CLIENT, 1,
	  { "id", "passphrase", "?digests" } },
	{ "subscriber.status", op_subscriber_status, POL_NEED_CLIENT, 0, { "id" } },
	{ "user.create", op_user_create, POL_NEED_ADMIN, 1,
	  { "name", "email", "role", "?lang", "?seals" } },
	{ "user.list", op_user_list, POL_NEED_ADMIN, 0,
	  { "?role", "?limit", "?before" } },
	{ "user.disable", op_user_disable, POL_NEED_ADMIN, 1, { "id" } },
	{ "user.enable", op_user_enable, POL_NEED_ADMIN, 1, { "id" } },
	{ "user.unlock", op_user_unlock, POL_NEED_ADMIN, 1, { "id" } },
	{ "user.reset", op_user_reset, POL_NEED_ADMIN, 1, { "id" } },
	{ "login", op_login, POL_NEED_ANYONE, 1,
	  { "name", "password", "?new_password", "?totp" } },
	{ "logout", op_logout, POL_NEED_SESSION, 1, { NULL } },
	{ "key.import", op_key_import, POL_NEED_ADMIN, 1,
	  { "id", "cert", "chain", "purpose" } },
};

/* Every field known to op, the required ones present, and every value a
 * string (but "keys", "digests" and "seals", arrays). */
static int check_fields(const struct ra_op *op, json_t *a, struct reply *r)
{
	const char *key;
	json_t *v;

	for (size_t i = 0; i < 8 && op->fields[i] != NULL; i++) {
		const char *f = op->fields[i];

		if (f[0] != '?' && member_str(a, f) == NULL)
			return reply_error(r, ESD_EINVAL, "'%s' is required (a string)", f);
	}
	json_object_foreach(a, key, v) {
		size_t i;

		for (i = 0; i < 8 && op->fields[i] != NULL; i++)
			if (strcmp(op->fields[i] + (op->fields[i][0] == '?'),
				   key) == 0)
				break;
		if (i == 8 || op->fields[i] == NULL)
			return reply_error(r, ESD_EINVAL, "unknown field '%.64s'", key);
		if (!json_is_string(v) && strcmp(key, "keys") != 0 &&
		    strcmp(key, "digests") != 0 && strcmp(key, "seals") != 0)
			return reply_error(r, ESD_EINVAL, "'%.64s' must be a string", key);
	}
	return 0;
}

/* Whether c may call op (policy/access.c): before its arguments are
 * read (a = NULL), its role; after, for an officer, whether the seal
 * ("id") is one their account names. */
static int may_call(const struct ra_op *op, struct caller *c, json_t *a,
		    struct reply *r)
{
	struct pol_caller pc = { c->role, c->cred.kind != CRED_NONE,
				 c->cred.kind == CRED_PEER, -1 };
	struct pol_verdict v;
	int rc;

	if (a != NULL)
		pc.names_seal = kra_holds(c->seals, member_str(a, "id"));
	rc = pol_may_call(&pc, op->who, op->name, &v);
	if (rc != 0)
		snprintf(r->msg, sizeof(r->msg), "%s", v.msg);
	return rc;
}

int h_ra(struct keeper *k, struct caller *c, struct ibuf *in, struct reply *r)
{
	char name[32];
	const uint8_t *p;
	size_t n, i;
	json_t *a = NULL;
	int rc;

	if (ibuf_get_str(in, name, sizeof(name)) != 0 ||
	    ibuf_get_bytes(in, &p, &n) != 0 || ibuf_done(in) != 0)
		return ESD_EINVAL;
	for (i = 0; i < ESD_ARRAY_LEN(ops); i++)
		if (strcmp(ops[i].name, name) == 0)
			break;
	if (i == ESD_ARRAY_LEN(ops))
		return reply_error(r, ESD_ENOTFOUND, "no operation '%s'", name);
	if ((rc = may_call(&ops[i], c, NULL, r)) != 0)
		return rc;
	a = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
	if (a == NULL || !json_is_object(a)) {
		json_decref(a);
		return reply_error(r, ESD_EJSON, "the arguments must be a JSON object");
	}
	rc = c->role == POL_ROLE_OFFICER ? may_call(&ops[i], c, a, r) : 0;
	if (rc == 0)
		rc = check_fields(&ops[i], a, r);
	if (rc == 0 && ops[i].changes) {
		pthread_mutex_lock(&ra_mu);
		rc = ops[i].fn(k, c, a, r);
		pthread_mutex_unlock(&ra_mu);
	} else if (rc == 0) {
		rc = ops[i].fn(k, c, a, r);
	}
	/* Passphrases and codes are not left in freed memory. */
	{
		static const char *const secret[] = { "passphrase",
			"new_passphrase", "code", "activation_code", "totp",
			"password", "new_password" };

		for (size_t s = 0; s < ESD_ARRAY_LEN(secret); s++)
			if (member_str(a, secret[s]) != NULL)
				sodium_memzero((char *)member_str(a, secret[s]),
					       strlen(member_str(a, secret[s])));
	}
	json_decref(a);
	return rc;
}
