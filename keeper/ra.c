/*
 * The registration authority's workflow (docs/ra.md): verifiers register
 * individuals and seals, a second verifier approves or rejects, the
 * keeper generates the key in the token and issues the certificate,
 * renews and revokes. One message, MSG_RA, carries an operation name and
 * its JSON arguments; the table at the end names each operation, who may
 * call it and which fields it takes.
 *
 * Every change, its audit record and the emails it sends (DB_OUTBOX)
 * commit in one write transaction. Changes are serialised by ra_mu, so a
 * state read before a token operation still holds when it is written.
 * An illegal transition answers ESD_EEXIST (409) and changes nothing.
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
#include "keeper/lockout.h"
#include "policy/policy.h"
#include "keeper/ra_internal.h"
#include "pki/pki.h"
#include "pki/pkisvc.h"
#include "ra/ra.h"

#define LETTER_MAX (3u << 20)  /* decoded recommendation letter */
#define CODE_ATTEMPTS 5        /* wrong activation codes before it is void */

/* ---- operations ---- */

static int create_request(struct store_txn *t, struct caller *c, json_t *sub,
			  const char *type, const char *service, json_t *extra,
			  json_t **out)
{
	char rid[40], key[48];
	json_t *req;
	int rc = ra_new_id("r", rid, sizeof(rid));

	if (rc != 0)
		return rc;
	req = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "id", rid, "type",
			type, "service", service, "subscriber", member_str(sub, "id"),
			"state", "pending", "created", (json_int_t)esd_now(),
			"created_by", c->actor);
	if (req == NULL)
		return ESD_ENOMEM;
	if (extra != NULL && json_object_update(req, extra) != 0)
		rc = ESD_ENOMEM;
	snprintf(key, sizeof(key), "open_%s", type);
	if (rc == 0)
		rc = keeper_json_set(sub, key, json_string(rid));
	if (rc == 0)
		rc = store_put_json(t, DB_REQUESTS, rid, req, 1);
	if (rc == 0)
		rc = audit_record(t, c, "ra.request", rid,
			   json_pack("{s:s, s:s, s:s}", "type", type, "service",
				     service, "subscriber", member_str(sub, "id")));
	if (rc == 0)
		*out = req;
	else
		json_decref(req);
	return rc;
}

/* Common fields of a registration; lang defaults to Indonesian. */
static int check_common(json_t *a, struct reply *r)
{
	const char *lang = member_str(a, "lang");

	if (ra_check_text("name", member_str(a, "name"), 128, r->msg, sizeof(r->msg)) ||
	    ra_check_email(member_str(a, "email"), r->msg, sizeof(r->msg)) ||
	    (json_object_get(a, "org") != NULL &&
	     ra_check_text("org", member_str(a, "org"), 128, r->msg, sizeof(r->msg))))
		return ESD_EINVAL;
	if (lang != NULL && strcmp(lang, "id") != 0 && strcmp(lang, "en") != 0)
		return reply_error(r, ESD_EINVAL, "'lang' is 'id' or 'en'");
	return 0;
}

/* The profile of service names the roles that may register under it. */
static int profile_allows(struct keeper *k, struct caller *c,
			  const char *service, struct reply *r)
{
	char roles[64];
	struct pol_verdict v;

	pthread_mutex_lock(&k->cfg_mu);
	snprintf(roles, sizeof(roles), "%s", strcmp(service, "seal") == 0
		 ? k->cfg.profile_seal.roles : k->cfg.profile_individual.roles);
	pthread_mutex_unlock(&k->cfg_mu);
	if (pol_profile_allows(roles, c->role, service, &v) == 0)
		return 0;
	return reply_error(r, v.code, "%s", v.msg);
}

/* The living subscriber (not rejected or revoked) that ra_index key
 * names, into id and its status into st; both "" if none. */
static int living_holder(struct store_txn *t, const char *key, char *id,
			 size_t idcap, char *st, size_t stcap)
{
	const void *v;
	json_t *old = NULL;
	size_t vl;

	id[0] = st[0] = '\0';
	if (store_get(t, DB_RA_INDEX, key, strlen(key), &v, &vl) != 0 ||
	    vl >= idcap)
		return 0;
	memcpy(id, v, vl);
	id[vl] = '\0';
	if (store_get_json(t, DB_SUBSCRIBERS, id, &old) == 0 &&
	    member_str(old, "status") != NULL && !member_str_is(old, "status", "rejected") &&
	    !member_str_is(old, "status", "revoked"))
		snprintf(st, stcap, "%s", member_str(old, "status"));
	else
		id[0] = '\0';
	json_decref(old);
	return 0;
}

/* Stores a new subscriber with its registration request. */
static int register_sub(struct keeper *k, struct caller *c, json_t *sub,
			const char *service, struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *req = NULL;
	const char *nik = member_str(sub, "nik");
	char ikey[40], oid[64] = "", st[24] = "";
	struct pol_verdict v;
	int rc;

	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0 && nik != NULL) {
		snprintf(ikey, sizeof(ikey), "nik:%s", nik);
		rc = living_holder(t, ikey, oid, sizeof(oid), st, sizeof(st));
		if (rc == 0)
			rc = store_put(t, DB_RA_INDEX, ikey, strlen(ikey),
				       member_str(sub, "id"), strlen(member_str(sub, "id")), 0);
	}
	/* An individual is also found by email (BSrE v2): one living person
	 * per official address, so that lookup names one person. */
	if (rc == 0 && member_str_is(sub, "kind", "individual")) {
		char ekey[300], eid[64] = "", est[24] = "";
		size_t i;

		i = (size_t)snprintf(ekey, sizeof(ekey), "email:%s",
				     member_str(sub, "email"));
		for (size_t j = 6; j < i && j < sizeof(ekey); j++)
			if (ekey[j] >= 'A' && ekey[j] <= 'Z')
				ekey[j] = (char)(ekey[j] + 32);
		rc = living_holder(t, ekey, eid, sizeof(eid), est, sizeof(est));
		if (rc == 0 && pol_register_individual(oid[0] != '\0',
						       eid[0] != '\0', &v) != 0)
			rc = reply_error(r, v.code, "%s: subscriber %s (%s)", v.msg,
				  oid[0] ? oid : eid, oid[0] ? st : est);
		if (rc == 0)
			rc = store_put(t, DB_RA_INDEX, ekey, strlen(ekey),
				       member_str(sub, "id"), strlen(member_str(sub, "id")), 0);
	} else if (rc == 0 && oid[0] != '\0') {
		rc = reply_error(r, ESD_EEXIST, "NIK already registered as subscriber "
			  "%s (%s)", oid, st);
	}
	if (rc == 0)
		rc = create_request(t, c, sub, "register", service, NULL, &req);
	if (rc == 0)
		rc = keeper_json_set(sub, "request",
				     json_incref(json_object_get(req, "id")));
	if (rc == 0)
		rc = store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), sub, 1);
	if (rc == 0)
		rc = audit_record(t, c, "ra.register", member_str(sub, "id"),
			   json_pack("{s:s}", "kind", member_str(sub, "kind")));
	if (rc == 0)
		rc = commit_and_mail(&t);
	store_txn_abort(t);
	if (rc == 0) {
		r->json = json_pack("{s:o, s:O}", "subscriber", kra_sub_public(sub),
				    "request", req);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	json_decref(req);
	return rc;
}

static json_t *new_sub(const char *prefix, const char *kind, json_t *a,
		       struct caller *c)
{
	char id[40];
	json_t *sub;

	if (ra_new_id(prefix, id, sizeof(id)) != 0)
		return NULL;
	sub = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:[]}", "id",
			id, "kind", kind, "name", member_str(a, "name"), "email",
			member_str(a, "email"), "lang", member_str(a, "lang") ?: "id", "status",
			"pending", "created", (json_int_t)esd_now(),
			"registered_by", c->actor, "certs");
	if (sub != NULL && member_str(a, "org") != NULL &&
	    keeper_json_set(sub, "org", json_string(member_str(a, "org"))) != 0) {
		json_decref(sub);
		sub = NULL;
	}
	return sub;
}

/* A registration of a person: by a verifier (the profile's roles), or
 * asked for by an agency application (apply: BSrE's user/register, with
 * NIK and unit optional); either way a verifier decides it. */
static int register_individual(struct keeper *k, struct caller *c, json_t *a,
			       int apply, struct reply *r)
{
	json_t *sub;
	int rc;

	if (!apply && (rc = profile_allows(k, c, "individual", r)) != 0)
		return rc;
	if (check_common(a, r) != 0 ||
	    ((!apply || member_str(a, "nik") != NULL) &&
	     ra_check_nik(member_str(a, "nik"), r->msg, sizeof(r->msg)) != 0) ||
	    ((!apply || member_str(a, "unit") != NULL) &&
	     ra_check_text("unit", member_str(a, "unit"), 128, r->msg, sizeof(r->msg))))
		return ESD_EINVAL;
	sub = new_sub("ind-", "individual", a, c);
	if (sub == NULL)
		return ESD_ENOMEM;
	rc = 0;
	if (member_str(a, "nik") != NULL)
		rc = keeper_json_set(sub, "nik", json_string(member_str(a, "nik")));
	if (rc == 0 && member_str(a, "unit") != NULL)
		rc = keeper_json_set(sub, "unit", json_string(member_str(a, "unit")));
	if (rc == 0)
		rc = register_sub(k, c, sub, "individual", r);
	json_decref(sub);
	return rc;
}

int op_register_individual(struct keeper *k, struct caller *c,
				  json_t *a, struct reply *r)
{
	return register_individual(k, c, a, 0, r);
}

int op_apply_individual(struct keeper *k, struct caller *c, json_t *a,
			struct reply *r)
{
	return register_individual(k, c, a, 1, r);
}

int op_register_seal(struct keeper *k, struct caller *c, json_t *a,
			    struct reply *r)
{
	struct store_txn *t = NULL;
	uint8_t *pdf = NULL, h[32];
	char hex[65];
	size_t n = 0;
	json_t *sub = NULL;
	int rc;

	if ((rc = profile_allows(k, c, "seal", r)) != 0)
		return rc;
	if (check_common(a, r) != 0 || (json_object_get(a, "org_id") != NULL &&
	    ra_check_org_id(member_str(a, "org_id"), r->msg, sizeof(r->msg)) != 0))
		return ESD_EINVAL;
	if (member_str(a, "letter") == NULL ||
	    esd_b64_decode(member_str(a, "letter"), &pdf, &n) != 0 || n < 5 ||
	    n > LETTER_MAX || memcmp(pdf, "%PDF-", 5) != 0) {
		free(pdf);
		return reply_error(r, ESD_EINVAL, "'letter' must be the recommendation "
			    "letter, a PDF of at most 3 MiB, in base64");
	}
	rc = esd_sha256(pdf, n, h);
	esd_hex(h, sizeof(h), hex);
	/* The letter is kept by its hash; the registration names it. */
	if (rc == 0)
		rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0) {
		rc = store_put(t, DB_FILES, hex, 64, pdf, n, 1);
		if (rc == ESD_EEXIST)
			rc = 0;
	}
	if (rc == 0)
		rc = commit_and_mail(&t);
	store_txn_abort(t);
	free(pdf);
	sub = rc == 0 ? new_sub("seal-", "seal", a, c) : NULL;
	if (rc == 0 && sub == NULL)
		rc = ESD_ENOMEM;
	if (rc == 0)
		rc = keeper_json_set(sub, "letter_sha256", json_string(hex));
	if (rc == 0 && member_str(a, "org_id") != NULL)
		rc = keeper_json_set(sub, "org_id", json_string(member_str(a, "org_id")));
	if (rc == 0)
		rc = register_sub(k, c, sub, "seal", r);
	json_decref(sub);
	return rc;
}

/* Loads request id and its subscriber for a decision by c: pending, and
 * not made by c (four eyes). */
static int load_pending(struct store_txn *t, struct caller *c, const char *id,
			json_t **req, json_t **sub, struct reply *r)
{
	struct pol_verdict v;
	int rc = load_record(t, DB_REQUESTS, id, "request", req, r);

	if (rc == 0 && !member_str_is(*req, "state", "pending"))
		rc = reply_error(r, ESD_EEXIST, "request %s is %s, not pending", id,
			  member_str(*req, "state"));
	if (rc == 0 && pol_four_eyes(member_str_is(*req, "created_by", c->actor),
				     id, &v) != 0)
		rc = reply_error(r, v.code, "%s", v.msg);
	if (rc == 0)
		rc = load_record(t, DB_SUBSCRIBERS, member_str(*req, "subscriber"), "subscriber",
			  sub, r);
	return rc;
}

/* Writes a request and its subscriber back in t. */
static int save_request(struct store_txn *t, json_t *req, json_t *sub)
{
	int rc = store_put_json(t, DB_REQUESTS, member_str(req, "id"), req, 0);

	return rc == 0 ? store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), sub, 0)
		       : rc;
}

/* Marks req decided (state) by c, clears the subscriber's open request. */
static int decide(json_t *req, json_t *sub, struct caller *c,
		  const char *state)
{
	char key[48];
	int rc;

	rc = keeper_json_update(req, json_pack("{s:s, s:s, s:I}", "state", state,
			"decided_by", c->actor, "decided_at", (json_int_t)esd_now()));
	if (rc == 0 && strcmp(state, "approved") != 0) {
		rc = stamp_now(req, "done_at");
		snprintf(key, sizeof(key), "open_%s", member_str(req, "type") ?: "");
		json_object_del(sub, key);
	}
	return rc;
}

/* Puts a new activation (a nonce and an expiry) on sub and queues the
 * email whose code is derived from it; reset marks a passphrase reset
 * of an active subscriber. */
static int send_activation(struct keeper *k, struct store_txn *t, json_t *sub,
			   int reset)
{
	uint8_t nb[16];
	char nonce[33], exp[40], link[600];
	uint64_t hours;
	json_t *vars;
	int64_t expires;
	int rc;

	pthread_mutex_lock(&k->cfg_mu);
	hours = k->cfg.activation_hours;
	if (k->cfg.console_url[0] != '\0')
		snprintf(link, sizeof(link), "%s/console/#activate?subscriber=%s",
			 k->cfg.console_url, member_str(sub, "id"));
	else
		snprintf(link, sizeof(link), "https://%s/console/#activate?subscriber=%s",
			 k->cfg.https_listen, member_str(sub, "id"));
	pthread_mutex_unlock(&k->cfg_mu);
	if ((rc = esd_random(nb, sizeof(nb))) != 0)
		return rc;
	esd_hex(nb, sizeof(nb), nonce);
	expires = esd_now() + (int64_t)hours * 3600;
	rc = keeper_json_set(sub, "activation",
			     json_pack("{s:s, s:I, s:i, s:b}", "nonce", nonce,
				       "expires", (json_int_t)expires,
				       "attempts", 0, "reset", reset));
	if (rc != 0)
		return rc;
	kra_fmt_time(expires, exp, sizeof(exp));
	vars = json_pack("{s:s, s:s, s:s, s:s}", "name", member_str(sub, "name"),
			 "subscriber", member_str(sub, "id"), "expires", exp, "link",
			 link);
	rc = vars ? kra_outbox_add(t, member_str(sub, "email"), "activation",
				   member_str(sub, "lang"), vars, member_str(sub, "id"), nonce)
		  : ESD_ENOMEM;
	json_decref(vars);
	return rc;
}

static int approve_individual(struct keeper *k, struct caller *c,
			      struct store_txn *t, json_t *req, json_t *sub)
{
	int rc = decide(req, sub, c, "approved");

	if (rc == 0)
		rc = keeper_json_set(sub, "status",
				     json_string("awaiting_activation"));
	return rc ? rc : send_activation(k, t, sub, 0);
}

/* A verifier resets an individual's passphrase: the old one stops
 * working at once and an activation code to set a new one is emailed. */
static int reset(struct keeper *k, struct caller *c, struct store_txn *t,
		 json_t *sub, void *arg, struct reply *r)
{
	(void)c;
	(void)arg;
	if (!member_str_is(sub, "kind", "individual") ||
	    !member_str_is(sub, "status", "active"))
		return reply_error(r, ESD_EEXIST, "%s is not an active individual",
			    member_str(sub, "id"));
	json_object_del(sub, "passphrase");
	return send_activation(k, t, sub, 1);
}

int op_reset(struct keeper *k, struct caller *c, json_t *a, struct reply *r)
{
	return kra_change_sub(k, c, member_str(a, "id"), "passphrase.reset.request",
			      reset, NULL, r);
}

int op_approve(struct keeper *k, struct caller *c, json_t *a,
		      struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *req = NULL, *sub = NULL;
	struct issued is = { 0 };
	char serial[64] = "";
	const char *type, *kind;
	int rc, reason = 0;

	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0)
		rc = load_pending(t, c, member_str(a, "id"), &req, &sub, r);
	store_txn_abort(t);
	t = NULL;
	if (rc != 0)
		goto out;
	type = member_str(req, "type");
	kind = member_str(sub, "kind");
	if (strcmp(type, "register") != 0 &&
	    !member_str_is(sub, "status", "active")) {
		rc = reply_error(r, ESD_EEXIST, "subscriber %s is %s, not active",
			  member_str(sub, "id"), member_str(sub, "status"));
		goto out;
	}
	/* Token work first; its result is recorded with the decision. */
	if ((strcmp(type, "register") == 0 && strcmp(kind, "seal") == 0) ||
	    strcmp(type, "renew") == 0) {
		rc = kra_issue(k, sub, &is, r);
		if (rc != 0)
			goto out;
	}
	rc = store_txn_begin(k->store, 1, &t);
	if (rc != 0)
		goto out;
	if (strcmp(type, "register") == 0 && strcmp(kind, "individual") == 0) {
		rc = approve_individual(k, c, t, req, sub);
	} else if (strcmp(type, "revoke") == 0) {
		reason = (int)member_int(req, "reason_code");
		rc = keeper_revoke_in(k, t, c->actor, member_str(sub, "serial"), reason,
				      r->msg, sizeof(r->msg));
		if (rc == 0)
			rc = decide(req, sub, c, "done");
		if (rc == 0)
			rc = keeper_json_update(sub, json_pack("{s:s, s:I}", "status",
					"revoked", "revoked_at", (json_int_t)esd_now()));
		if (rc == 0) {
			char when[40];
			json_t *vars;

			kra_fmt_time(esd_now(), when, sizeof(when));
			vars = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name",
					 member_str(sub, "name"), "subscriber",
					 member_str(sub, "id"), "serial", member_str(sub, "serial"),
					 "time", when, "reason",
					 pki_crl_reason_name(reason));
			rc = vars ? kra_outbox_add(t, member_str(sub, "email"), "revoked",
					       member_str(sub, "lang"), vars, NULL, NULL)
				  : ESD_ENOMEM;
			json_decref(vars);
		}
	} else {
		rc = decide(req, sub, c, "done");
		if (rc == 0)
			rc = kra_record_issued(t, c, sub, &is, serial,
					       sizeof(serial));
		if (rc == 0)
			rc = kra_mail_issued(t, sub, serial);
	}
	if (rc == 0)
		rc = save_request(t, req, sub);
	if (rc == 0)
		rc = audit_record(t, c, "ra.approve", member_str(req, "id"),
			   json_pack("{s:s, s:s}", "subscriber", member_str(sub, "id"),
				     "type", type));
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc != 0 && is.cert != NULL)
		log_err("keeper: key '%s' generated for %s but not recorded: %s",
			is.label, member_str(sub, "id"), esd_err_name(rc));
	if (rc == 0 && is.cert != NULL)
		keeper_keys_changed();
	if (rc == 0) {
		log_info("keeper: request %s approved by %s", member_str(req, "id"),
			 c->actor);
		r->json = json_pack("{s:O, s:o}", "request", req, "subscriber",
				    kra_sub_public(sub));
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	store_txn_abort(t);
	kra_issued_free(&is);
	json_decref(req);
	json_decref(sub);
	return rc;
}

int op_reject(struct keeper *k, struct caller *c, json_t *a,
		     struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *req = NULL, *sub = NULL, *vars = NULL;
	const char *reason = member_str(a, "reason");
	int rc;

	if (reason == NULL || reason[0] == '\0' || strlen(reason) > 500)
		return reply_error(r, ESD_EINVAL, "'reason' (1-500 bytes) says why");
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = load_pending(t, c, member_str(a, "id"), &req, &sub, r);
	if (rc != 0)
		goto out;
	rc = decide(req, sub, c, "rejected");
	if (rc == 0)
		rc = keeper_json_set(req, "reason", json_string(reason));
	if (rc == 0 && member_str_is(req, "type", "register"))
		rc = keeper_json_set(sub, "status", json_string("rejected"));
	if (rc != 0)
		goto out;
	vars = json_pack("{s:s, s:s, s:s, s:s}", "name", member_str(sub, "name"),
			 "subscriber", member_str(sub, "id"), "request", member_str(req, "type"),
			 "reason", reason);
	rc = vars ? kra_outbox_add(t, member_str(sub, "email"), "rejected", member_str(sub, "lang"),
			       vars, NULL, NULL)
		  : ESD_ENOMEM;
	if (rc == 0)
		rc = save_request(t, req, sub);
	if (rc == 0)
		rc = audit_record(t, c, "ra.reject", member_str(req, "id"),
			   json_pack("{s:s}", "subscriber", member_str(sub, "id")));
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0) {
		r->json = json_pack("{s:O, s:o}", "request", req, "subscriber",
				    kra_sub_public(sub));
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	store_txn_abort(t);
	json_decref(vars);
	json_decref(req);
	json_decref(sub);
	return rc;
}

/* Renewal and revocation requests on an active subscriber. */
static int lifecycle_request(struct keeper *k, struct caller *c, json_t *a,
			     const char *type, const char *service,
			     json_t *extra, struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *sub = NULL, *req = NULL;
	char key[48];
	int rc;

	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = load_record(t, DB_SUBSCRIBERS, member_str(a, "id"), "subscriber", &sub, r);
	if (rc != 0)
		goto out;
	snprintf(key, sizeof(key), "open_%s", type);
	if (!member_str_is(sub, "status", "active"))
		rc = reply_error(r, ESD_EEXIST, "subscriber %s is %s, not active",
			  member_str(sub, "id"), member_str(sub, "status"));
	else if (member_str(sub, key) != NULL)
		rc = reply_error(r, ESD_EEXIST, "subscriber %s already has a %s "
			  "request pending: %s", member_str(sub, "id"), type,
			  member_str(sub, key));
	if (rc == 0)
		rc = create_request(t, c, sub, type, service, extra, &req);
	if (rc == 0)
		rc = store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), sub, 0);
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0) {
		r->json = json_pack("{s:O}", "request", req);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	store_txn_abort(t);
	json_decref(req);
	json_decref(sub);
	return rc;
}

int op_renew(struct keeper *k, struct caller *c, json_t *a,
		    struct reply *r)
{
	return lifecycle_request(k, c, a, "renew", "renewal", NULL, r);
}

int op_revoke(struct keeper *k, struct caller *c, json_t *a,
		     struct reply *r)
{
	json_t *extra;
	int reason, rc;

	if (member_str(a, "reason") == NULL ||
	    pki_crl_reason_parse(member_str(a, "reason"), &reason) != 0 ||
	    reason == PKI_REASON_REMOVE_FROM_CRL)
		return reply_error(r, ESD_EINVAL, "'reason' is an RFC 5280 CRLReason "
			    "name, e.g. keyCompromise, superseded, "
			    "cessationOfOperation");
	extra = json_pack("{s:i, s:s}", "reason_code", reason, "reason",
			  pki_crl_reason_name(reason));
	rc = lifecycle_request(k, c, a, "revoke", "revocation", extra, r);
	json_decref(extra);
	return rc;
}

/* The subscriber's activation: the emailed code (derived in the token,
 * compared in constant time) sets the passphrase; the key and the
 * certificate follow. Wrong codes count; after CODE_ATTEMPTS the code is
 * void. Unknown subscribers, wrong states and wrong codes answer alike. */
int op_activate(struct keeper *k, struct caller *c, json_t *a,
		       struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *sub = NULL, *act, *req = NULL;
	char hash[crypto_pwhash_STRBYTES], serial[64];
	const char *g = member_str(a, "code"), *pass = member_str(a, "passphrase");
	struct issued is = { 0 };
	struct lockout lo;
	int rc, reset;

	/* The code's check and its count are one step per subscriber
	 * (keeper/lockout.h); its own count voids the code. */
	rc = keeper_lockout_enter(k, &lo, LOCKOUT_SUBSCRIBER, member_str(a, "subscriber"),
				  LOCKOUT_ONE_AT_A_TIME, r);
	if (rc != 0)
		return rc;
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0 && store_get_json(t, DB_SUBSCRIBERS, member_str(a, "subscriber"),
				      &sub) != 0)
		rc = ESD_EAUTH;
	store_txn_abort(t);
	t = NULL;
	act = json_object_get(sub, "activation");
	/* A first activation, or a passphrase reset a verifier started. */
	reset = act != NULL && json_is_true(json_object_get(act, "reset"));
	if (rc == 0 && (!member_str_is(sub, "status", reset ? "active"
					: "awaiting_activation") ||
			act == NULL || member_int(act, "attempts") >= CODE_ATTEMPTS))
		rc = ESD_EAUTH;
	if (rc == ESD_EAUTH)
		reply_error(r, rc, "no activation pending for that subscriber and code");
	if (rc != 0)
		goto out;
	if (!keeper_code_matches(k, member_str(sub, "id"), member_str(act, "nonce"), g)) {
		rc = keeper_json_set(act, "attempts",
				     json_integer(member_int(act, "attempts") + 1));
		if (rc == 0)
			rc = store_txn_begin(k->store, 1, &t);
		if (rc == 0)
			rc = store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), sub, 0);
		if (rc == 0)
			rc = store_audit(t, c->actor, "ra.activate", member_str(sub, "id"),
					 ESD_EAUTH, NULL);
		if (rc == 0)
			rc = commit_and_mail(&t);
		rc = reply_error(r, ESD_EAUTH, "no activation pending for that "
			  "subscriber and code");
		goto out;
	}
	if (member_int(act, "expires") < esd_now()) {
		rc = reply_error(r, ESD_EAUTH, "the activation code expired; a "
			  "verifier can send a new one");
		goto out;
	}
	if ((rc = keeper_passphrase_hash(k, pass, hash, r)) != 0)
		goto out;
	if (reset) {
		json_object_del(sub, "activation");
		json_object_del(sub, "failures");
		json_object_del(sub, "locked_until");
		rc = keeper_json_update(sub, json_pack("{s:s, s:I}", "passphrase",
				hash, "passphrase_changed", (json_int_t)esd_now()));
		if (rc == 0)
			rc = store_txn_begin(k->store, 1, &t);
		if (rc == 0)
			rc = store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), sub, 0);
		if (rc == 0)
			rc = store_audit(t, c->actor, "passphrase.reset",
					 member_str(sub, "id"), 0, NULL);
		if (rc == 0)
			rc = commit_and_mail(&t);
		if (rc == 0) {
			r->json = json_pack("{s:o}", "subscriber", kra_sub_public(sub));
			rc = r->json ? 0 : ESD_ENOMEM;
		}
		goto out;
	}
	rc = kra_issue(k, sub, &is, r);
	if (rc != 0)
		goto out;
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = load_record(t, DB_REQUESTS, member_str(sub, "request"), "request", &req, r);
	if (rc == 0)
		rc = keeper_json_update(req, json_pack("{s:s, s:I}", "state", "done",
				"done_at", (json_int_t)esd_now()));
	if (rc == 0) {
		json_object_del(sub, "open_register");
		json_object_del(sub, "activation");
		rc = keeper_json_update(sub, json_pack("{s:s, s:I}", "passphrase",
				hash, "activated_at", (json_int_t)esd_now()));
	}
	if (rc == 0)
		rc = kra_record_issued(t, c, sub, &is, serial, sizeof(serial));
	if (rc == 0)
		rc = kra_mail_issued(t, sub, serial);
	if (rc == 0)
		rc = save_request(t, req, sub);
	if (rc == 0)
		rc = store_audit(t, c->actor, "ra.activate", member_str(sub, "id"), 0,
				 NULL);
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc != 0)
		log_err("keeper: key '%s' generated for %s but not recorded: %s",
			is.label, member_str(sub, "id"), esd_err_name(rc));
	if (rc == 0) {
		keeper_keys_changed();
		r->json = json_pack("{s:o}", "subscriber", kra_sub_public(sub));
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	sodium_memzero(hash, sizeof(hash));
	store_txn_abort(t);
	keeper_lockout_leave(&lo);
	kra_issued_free(&is);
	json_decref(req);
	json_decref(sub);
	return rc;
}

