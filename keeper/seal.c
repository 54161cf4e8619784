/*
 * Seals' authorisations (docs/activation.md "Seals"): the activation the
 * officer asks for (an emailed code, or an enrolled authenticator app),
 * and the seal codes it buys, each good for N documents. The check of a
 * seal code at signing time is keeper/auth.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "keeper/auth.h"
#include "keeper/lockout.h"
#include "keeper/ra_internal.h"
#include "policy/policy.h"
#include "ra/ra.h"

#define SEAL_CODE_BYTES 16

/* The seal subscriber id for op by caller c, read in t into *sub: the
 * caller's role and grant, the seal's state, its activation and
 * enrolment decide (policy/seal.c pol_seal_may). */
static int seal_for(struct keeper *k, struct caller *c, enum pol_seal_op op,
		    const char *id, struct store_txn *t, json_t **sub,
		    struct reply *r)
{
	struct pol_seal_actor a;
	struct pol_seal_facts f;
	struct pol_verdict v;
	struct reply tmp;
	int rc;

	a.role = c->role;
	a.named = a.role == POL_ROLE_OFFICER ? kra_holds(c->seals, id)
		  : a.role == POL_ROLE_CLIENT ? kra_holds(c->keys, id) : 0;
	memset(&f, 0, sizeof(f));
	/* The grant is decided before the record is read, so that a caller
	 * without one learns nothing about the seal. */
	f.is_seal = f.active = 1;
	f.activation_expires = INT64_MAX;
	f.enrolled = 1;
	if (pol_seal_may(&a, op, &f, esd_now(), &v) == ESD_EPERM)
		return reply_error(r, ESD_EPERM, "%s", v.msg);
	rc = load_record(t, DB_SUBSCRIBERS, id, "subscriber", sub, r);
	if (rc != 0)
		return rc;
	f.is_seal = member_str_is(*sub, "kind", "seal");
	f.active = member_str_is(*sub, "status", "active");
	memset(&tmp, 0, sizeof(tmp));
	f.locked = keeper_lockout_state(k, LOCKOUT_SUBSCRIBER, *sub, &tmp) != 0;
	f.activation_expires = json_object_get(*sub, "seal_activation") == NULL ? 0
		: member_int(json_object_get(*sub, "seal_activation"), "expires");
	f.enrolled = json_object_get(*sub, "totp") != NULL;
	rc = pol_seal_may(&a, op, &f, esd_now(), &v);
	if (rc == ESD_ELOCKED)
		return reply_error(r, rc, "%s", tmp.msg);
	if (rc != 0)
		return reply_error(r, rc, "seal %.64s: %s", id, v.msg);
	return 0;
}

int op_seal_activate(struct keeper *k, struct caller *c, json_t *a,
		     struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *sub = NULL, *vars = NULL;
	struct auth_limits l;
	uint8_t nb[16];
	char nonce[33], exp[40];
	int64_t expires;
	int rc;

	auth_limits(k, &l);
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = seal_for(k, c, POL_SEAL_ACTIVATE, member_str(a, "id"), t, &sub, r);
	if (rc == 0)
		rc = esd_random(nb, sizeof(nb));
	if (rc != 0)
		goto out;
	esd_hex(nb, sizeof(nb), nonce);
	/* Never past the certificate. */
	expires = esd_now() + (int64_t)l.activation_hours * 3600;
	if (member_int(sub, "expires") > 0 && member_int(sub, "expires") < expires)
		expires = member_int(sub, "expires");
	rc = keeper_json_set(sub, "seal_activation",
			     json_pack("{s:s, s:I, s:I, s:s}", "nonce", nonce,
				       "expires", (json_int_t)expires, "created",
				       (json_int_t)esd_now(), "by", c->actor));
	if (rc != 0)
		goto out;
	kra_fmt_time(expires, exp, sizeof(exp));
	vars = json_pack("{s:s, s:s, s:s}", "name", member_str(sub, "name"),
			 "subscriber", member_str(sub, "id"), "expires", exp);
	rc = vars ? kra_outbox_add(t, member_str(sub, "email"), "seal_activation",
				   member_str(sub, "lang"), vars, member_str(sub, "id"), nonce)
		  : ESD_ENOMEM;
	if (rc == 0)
		rc = store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), sub, 0);
	if (rc == 0)
		rc = audit_record(t, c, "seal.activate", member_str(sub, "id"), NULL);
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:I, s:s}", "subscriber", member_str(sub, "id"),
				    "expires", (json_int_t)expires, "sent_to",
				    member_str(sub, "email"));
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	store_txn_abort(t);
	json_decref(vars);
	json_decref(sub);
	return rc;
}

/* A change that drops one member of a seal's record, if op is allowed
 * to the caller. */
struct seal_drop {
	enum pol_seal_op op;
	const char *member;
};

static int drop_member(struct keeper *k, struct caller *c, struct store_txn *t,
		       json_t *sub, void *arg, struct reply *r)
{
	const struct seal_drop *d = arg;
	json_t *tmp = NULL;
	int rc;

	rc = seal_for(k, c, d->op, member_str(sub, "id"), t, &tmp, r);
	json_decref(tmp);
	json_object_del(sub, d->member);
	return rc;
}

/* Every seal code names its activation: they end with it. An enrolled
 * authenticator stays (it is the officer's; an admin removes it). */
int op_seal_deactivate(struct keeper *k, struct caller *c, json_t *a,
		       struct reply *r)
{
	static const struct seal_drop d = { POL_SEAL_DEACTIVATE,
					    "seal_activation" };

	return kra_change_sub(k, c, member_str(a, "id"), "seal.deactivate",
			      drop_member, (void *)&d, r);
}

/* An admin removes a seal's enrolled authenticator (a lost phone, an
 * officer who left): audited; the officer enrols again. */
int op_seal_totp_reset(struct keeper *k, struct caller *c, json_t *a,
		       struct reply *r)
{
	static const struct seal_drop d = { POL_SEAL_ENROL_RESET, "totp" };

	return kra_change_sub(k, c, member_str(a, "id"), "seal.totp.reset",
			      drop_member, (void *)&d, r);
}

/*
 * Checks the officer's proof for a new seal code: the emailed activation
 * code of the live activation, or a current authenticator code (TOTP) of
 * the enrolled authenticator, each TOTP step accepted once. Either way
 * the seal code belongs to the live activation (seal_for checked it is
 * live): *nonce gets it, *until its expiry, *step the TOTP step to
 * record (0: none). ESD_EAUTHZ with no message: a wrong secret.
 */
static int seal_proof(struct keeper *k, json_t *sub, json_t *a, char *nonce,
		      int64_t *until, int64_t *step, struct reply *r)
{
	json_t *act = json_object_get(sub, "seal_activation");
	json_t *totp = json_object_get(sub, "totp");
	const char *id = member_str(sub, "id");
	uint8_t secret[64];
	size_t n;
	int ok = 0;

	*step = 0;
	if (act == NULL || member_int(act, "expires") <= esd_now())
		return reply_error(r, ESD_EAUTHZ, "seal %s has no live activation: "
			    "its officer asks for one", id);
	snprintf(nonce, 33, "%s", member_str(act, "nonce"));
	*until = member_int(act, "expires");
	if (member_str(a, "totp") != NULL) {
		if (totp == NULL)
			return reply_error(r, ESD_EAUTHZ, "seal %s has no authenticator "
				    "enrolled", id);
		if (keeper_secret_open(k, id, member_str(totp, "secret"), secret,
				       sizeof(secret), &n) != 0)
			return reply_error(r, ESD_EINTERNAL, "the enrolment of seal %s "
				    "cannot be read", id);
		ok = ra_totp_check(secret, n, esd_now(), member_str(a, "totp"),
				   member_int(totp, "last_step"), step);
		OPENSSL_cleanse(secret, sizeof(secret));
	} else {
		ok = keeper_code_matches(k, id, member_str(act, "nonce"),
					 member_str(a, "activation_code"));
	}
	return ok ? 0 : ESD_EAUTHZ;
}

int op_seal_code(struct keeper *k, struct caller *c, json_t *a,
		 struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *sub = NULL, *rec = NULL, *cur = NULL;
	struct auth_limits l;
	uint8_t raw[SEAL_CODE_BYTES];
	char code[2 * SEAL_CODE_BYTES + 1], key[80], nonce[33] = "";
	uint64_t docs, secs;
	int64_t expires, until = 0, step = 0;
	struct lockout lo = { LOCKOUT_SUBSCRIBER, "", 0, NULL };
	int rc;

	auth_limits(k, &l);
	if (esd_parse_u64(member_str(a, "documents"), 1, l.max_docs, &docs) != 0)
		return reply_error(r, ESD_EINVAL, "'documents' is 1..%llu",
			    (unsigned long long)l.max_docs);
	secs = l.max_secs;
	if (member_str(a, "seconds") != NULL &&
	    esd_parse_u64(member_str(a, "seconds"), 1, l.max_secs, &secs) != 0)
		return reply_error(r, ESD_EINVAL, "'seconds' is 1..%llu",
			    (unsigned long long)l.max_secs);
	if ((member_str(a, "activation_code") == NULL) == (member_str(a, "totp") == NULL))
		return reply_error(r, ESD_EINVAL, "give 'activation_code' or 'totp'");
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0)
		rc = seal_for(k, c, member_str(a, "totp") != NULL ? POL_SEAL_CODE_BY_TOTP
			      : POL_SEAL_CODE_BY_ACTIVATION, member_str(a, "id"), t,
			      &sub, r);
	store_txn_abort(t);
	t = NULL;
	/* The proof and its count are one step of the seal's lockout. */
	if (rc == 0)
		rc = keeper_lockout_enter(k, &lo, LOCKOUT_SUBSCRIBER, member_str(sub, "id"),
					  0, r);
	if (rc == 0)
		rc = seal_proof(k, sub, a, nonce, &until, &step, r);
	if (rc == ESD_EAUTHZ && r->msg[0] == '\0') {
		keeper_lockout_failed(k, c, &lo, "seal.code", ESD_EAUTHZ);
		rc = reply_error(r, ESD_EAUTHZ, "wrong %s", member_str(a, "totp") ?
			  "or reused authenticator code" : "activation code");
	}
	if (rc != 0)
		goto out;
	if ((rc = esd_random(raw, sizeof(raw))) != 0)
		goto out;
	esd_hex(raw, sizeof(raw), code);
	OPENSSL_cleanse(raw, sizeof(raw));
	if ((rc = auth_code_key(code, key)) != 0)
		goto out;
	expires = esd_now() + (int64_t)secs;
	if (until > 0 && expires > until)
		expires = until;
	rec = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:s}", "subscriber",
			member_str(sub, "id"), "activation", nonce, "documents",
			(json_int_t)docs, "remaining", (json_int_t)docs, "expires",
			(json_int_t)expires, "created", (json_int_t)esd_now(),
			"by", c->actor);
	rc = rec ? store_txn_begin(k->store, 1, &t) : ESD_ENOMEM;
	/* A TOTP step counts once, even against a concurrent request. */
	if (rc == 0 && step != 0) {
		rc = store_get_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), &cur);
		if (rc == 0 && member_int(json_object_get(cur, "totp"), "last_step") >= step)
			rc = reply_error(r, ESD_EAUTHZ, "that authenticator code was used");
		if (rc == 0)
			rc = keeper_json_set(json_object_get(cur, "totp"),
					     "last_step", json_integer(step));
		if (rc == 0) {
			json_object_del(cur, "failures");
			rc = store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), cur, 0);
		}
	}
	if (rc == 0)
		rc = store_put_json(t, DB_RA_INDEX, key, rec, 1);
	if (rc == 0)
		rc = audit_record(t, c, "seal.code", member_str(sub, "id"),
			   json_pack("{s:I, s:I, s:s}", "documents", (json_int_t)docs,
				     "expires", (json_int_t)expires, "by",
				     step ? "totp" : "activation_code"));
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0)
		keeper_lockout_succeeded(k, &lo);
	/* The code is answered once; the store keeps its SHA-256. */
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s, s:I, s:I}", "subscriber",
				    member_str(sub, "id"), "seal_code", code, "documents",
				    (json_int_t)docs, "expires", (json_int_t)expires);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	keeper_lockout_leave(&lo);
	OPENSSL_cleanse(code, sizeof(code));
	store_txn_abort(t);
	json_decref(cur);
	json_decref(rec);
	json_decref(sub);
	return rc;
}

/* Enrols an authenticator app for a seal: a new secret (encrypted in
 * the token), answered once as an otpauth:// URI, its base32
 * text and a QR code. Enrolling again replaces it. */
int op_seal_totp(struct keeper *k, struct caller *c, json_t *a,
		 struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *sub = NULL;
	uint8_t secret[20], nb[16], *png = NULL;
	char b32[40], nonce[33], uri[300], *enc = NULL, *png64 = NULL;
	size_t plen = 0;
	int rc = store_txn_begin(k->store, 1, &t);

	if (rc == 0)
		rc = seal_for(k, c, POL_SEAL_ENROL, member_str(a, "id"), t, &sub, r);
	if (rc == 0)
		rc = esd_random(secret, sizeof(secret));
	if (rc == 0)
		rc = esd_random(nb, sizeof(nb));
	if (rc == 0)
		rc = keeper_secret_seal(k, member_str(sub, "id"), secret, sizeof(secret),
					&enc);
	if (rc != 0)
		goto out;
	esd_hex(nb, sizeof(nb), nonce);
	ra_base32(secret, sizeof(secret), b32);
	snprintf(uri, sizeof(uri), "otpauth://totp/esignd:%s?secret=%s"
		 "&issuer=esignd&algorithm=SHA1&digits=6&period=%d",
		 member_str(sub, "id"), b32, RA_TOTP_PERIOD);
	rc = ra_qr_png(uri, 4, &png, &plen);
	if (rc == 0 && (png64 = esd_b64_encode(png, plen)) == NULL)
		rc = ESD_ENOMEM;
	if (rc == 0)
		rc = keeper_json_set(sub, "totp", json_pack(
			"{s:s, s:s, s:I, s:i, s:s}", "secret", enc, "nonce", nonce,
			"enrolled", (json_int_t)esd_now(), "last_step", 0, "by",
			c->actor));
	if (rc == 0)
		rc = store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), sub, 0);
	if (rc == 0)
		rc = audit_record(t, c, "seal.totp.enrol", member_str(sub, "id"), NULL);
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s, s:s, s:s}", "subscriber",
				    member_str(sub, "id"), "secret", b32, "uri", uri,
				    "qr_png", png64);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(b32, sizeof(b32));
	OPENSSL_cleanse(uri, sizeof(uri));
	store_txn_abort(t);
	free(enc);
	free(png);
	free(png64);
	json_decref(sub);
	return rc;
}

