/*
 * Authorising a subscriber's signature (docs/activation.md): an
 * individual's passphrase, checked against its Argon2id hash each time;
 * a seal's seal code, bound to a number of documents and a lifetime, got
 * in exchange for the activation code emailed to the seal's officer.
 * Wrong passphrases and codes are counted and lock the subscriber; a
 * verifier unlocks. Keys without a subscriber (the demo keys) are used
 * on the API client's grant alone, as before.
 *
 * A seal code is consumed in the same LMDB transaction as the seal's
 * audit record (store_audit_sync_apply), so the N+1th document is
 * refused even across a crash, and sealing keeps its group commit.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include "common/log.h"
#include "keeper/auth.h"
#include "keeper/lockout.h"
#include "keeper/ra_internal.h"
#include "policy/policy.h"
#include "ra/ra.h"


void auth_limits(struct keeper *k, struct auth_limits *l)
{
	pthread_mutex_lock(&k->cfg_mu);
	l->max_failures = k->cfg.auth_max_failures;
	l->lock_seconds = k->cfg.auth_lock_seconds;
	l->activation_hours = k->cfg.seal_activation_hours;
	l->max_docs = k->cfg.seal_code_max_documents;
	l->max_secs = k->cfg.seal_code_max_seconds;
	pthread_mutex_unlock(&k->cfg_mu);
}

/* The passphrase of the individual sub; counts a wrong one. The check
 * and its count are one step of the subject's lockout (keeper/lockout.h). */
static int check_pass(struct keeper *k, struct caller *c, json_t *sub,
		      const char *pass, struct reply *r)
{
	const char *hash = member_str(sub, "passphrase");
	struct lockout lo;
	int rc;

	if (hash == NULL)
		return reply_error(r, ESD_EPERM, "subscriber %s has no passphrase: it "
			    "is set at activation", member_str(sub, "id"));
	if (pass == NULL || pass[0] == '\0')
		return reply_error(r, ESD_EAUTHZ, "the signer's passphrase is required");
	rc = keeper_lockout_enter(k, &lo, LOCKOUT_SUBSCRIBER, member_str(sub, "id"), 0, r);
	if (rc != 0)
		return rc;
	if (crypto_pwhash_str_verify(hash, pass, strlen(pass)) != 0) {
		keeper_lockout_failed(k, c, &lo, "auth.passphrase", ESD_EAUTHZ);
		rc = reply_error(r, ESD_EAUTHZ, "wrong passphrase");
	} else {
		keeper_lockout_succeeded(k, &lo);
	}
	keeper_lockout_leave(&lo);
	return rc;
}

/* An individual's emailed one-time code: a live batch (sub.otp) with
 * uses left, and the code derived from its nonce; counts a wrong one. */
static int check_otp(struct keeper *k, struct caller *c, json_t *sub,
		     const char *code, struct auth_ticket *tk,
		     struct reply *r)
{
	json_t *otp = json_object_get(sub, "otp");
	struct lockout lo;
	int rc;

	if (otp == NULL || member_int(otp, "expires") <= esd_now() ||
	    member_int(otp, "remaining") <= 0)
		return reply_error(r, ESD_EAUTHZ, "no live one-time code: ask for one");
	rc = keeper_lockout_enter(k, &lo, LOCKOUT_SUBSCRIBER, member_str(sub, "id"), 0, r);
	if (rc != 0)
		return rc;
	if (!keeper_code_matches(k, member_str(sub, "id"), member_str(otp, "nonce"), code)) {
		keeper_lockout_failed(k, c, &lo, "auth.otp", ESD_EAUTHZ);
		rc = reply_error(r, ESD_EAUTHZ, "wrong one-time code");
	} else {
		keeper_lockout_succeeded(k, &lo);
	}
	keeper_lockout_leave(&lo);
	if (rc != 0)
		return rc;
	tk->otp = 1;
	snprintf(tk->sub, sizeof(tk->sub), "%s", member_str(sub, "id"));
	snprintf(tk->nonce, sizeof(tk->nonce), "%s", member_str(otp, "nonce"));
	return 0;
}


/* A batch authorisation (kind 'B'): the passphrase was checked once for a
 * list of document digests; this document's digest must be one of them,
 * not used yet. */
static int check_sad(struct keeper *k, json_t *sub, const char *sad,
		     const uint8_t dg[32], struct auth_ticket *tk,
		     struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL, *v;
	size_t i;
	int rc, found = 0;

	if ((rc = keeper_lockout_state(k, LOCKOUT_SUBSCRIBER, sub, r)) != 0)
		return rc;
	if ((rc = auth_code_key(sad, tk->code_key)) != 0)
		return rc;
	memcpy(tk->code_key, "sad:", 4);    /* "sad:" + 64 hex, not "sealcode:" */
	memmove(tk->code_key + 4, tk->code_key + 9, strlen(tk->code_key + 9) + 1);
	esd_hex(dg, 32, tk->digest);
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0 && store_get_json(t, DB_RA_INDEX, tk->code_key, &rec) != 0)
		rc = ESD_EAUTHZ;
	store_txn_abort(t);
	if (rc == 0 && (!member_str_is(rec, "subscriber", member_str(sub, "id")) ||
			member_int(rec, "expires") <= esd_now()))
		rc = ESD_EAUTHZ;
	json_array_foreach(json_object_get(rec, "digests"), i, v)
		if (rc == 0 && strcmp(json_string_value(v), tk->digest) == 0)
			found = 1;
	json_decref(rec);
	if (rc != 0 || !found)
		return reply_error(r, ESD_EAUTHZ, "the authorisation is unknown, expired "
			    "or does not cover this document");
	tk->sad = 1;
	return 0;
}

int auth_code_key(const char *code, char key[80])
{
	uint8_t h[32];
	char hex[65];

	if (esd_sha256(code, strlen(code), h) != 0)
		return ESD_ECRYPTO;
	esd_hex(h, sizeof(h), hex);
	snprintf(key, 80, "sealcode:%s", hex);
	return 0;
}

/* The role of the caller, for the rules in policy/. */
static enum pol_role role_of(const struct caller *c)
{
	return c->role;
}

int keeper_auth_prepare(struct keeper *k, struct caller *c, json_t *keyrec,
			const char *auth, const uint8_t doc_digest[32],
			struct auth_ticket *tk, struct reply *r)
{
	const char *id = member_str(keyrec, "subscriber");
	struct store_txn *t = NULL;
	json_t *sub = NULL, *code = NULL, *act;
	struct pol_authz az;
	struct pol_verdict v;
	enum pol_subject_kind kind;
	int rc;

	memset(tk, 0, sizeof(*tk));
	if (id == NULL)
		return 0;
	pol_authz_parse(auth, &az);
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0)
		rc = load_record(t, DB_SUBSCRIBERS, id, "subscriber", &sub, r);
	if (rc != 0)
		goto out;
	kind = member_str_is(sub, "kind", "individual") ? POL_SUBJECT_INDIVIDUAL
							   : POL_SUBJECT_SEAL;
	/* Any key of an active subscriber: after a renewal, a signature
	 * already under way with the previous key still completes. */
	rc = pol_authz_fits(kind, member_str_is(sub, "status", "active"), &az,
			    &v);
	if (rc == 0 && kind == POL_SUBJECT_INDIVIDUAL)
		rc = pol_sign_for_individual(role_of(c), &v);
	if (rc != 0) {
		rc = reply_error(r, rc, "%s", v.msg);
		goto out;
	}
	if (kind == POL_SUBJECT_INDIVIDUAL) {
		store_txn_abort(t);
		t = NULL;
		if (az.kind == POL_AUTHZ_PASSPHRASE)
			rc = check_pass(k, c, sub, az.value, r);
		else if (az.kind == POL_AUTHZ_OTP)
			rc = check_otp(k, c, sub, az.value, tk, r);
		else
			rc = check_sad(k, sub, az.value, doc_digest, tk, r);
		goto out;
	}
	rc = keeper_lockout_state(k, LOCKOUT_SUBSCRIBER, sub, r);
	if (rc == 0) {
		struct pol_seal_code_facts f;

		rc = auth_code_key(az.value, tk->code_key);
		act = json_object_get(sub, "seal_activation");
		memset(&f, 0, sizeof(f));
		if (store_get_json(t, DB_RA_INDEX, tk->code_key, &code) == 0) {
			f.same_subscriber = member_str_is(code, "subscriber", id);
			f.names_current_activation = act != NULL &&
				member_str_is(code, "activation", member_str(act, "nonce") ?: "-");
			f.activation_expires = member_int(act, "expires");
			f.code_expires = member_int(code, "expires");
			f.remaining = member_int(code, "remaining");
		}
		rc = pol_seal_code_use(&f, esd_now(), &v);
		if (rc != 0)
			rc = reply_error(r, rc, "%s", v.msg);
	}
	if (rc == 0)
		tk->seal = 1;
out:
	store_txn_abort(t);
	json_decref(code);
	json_decref(sub);
	return rc;
}

/* Takes one use off the individual's one-time code batch in t. */
static int consume_otp(struct store_txn *t, struct auth_ticket *tk)
{
	json_t *sub = NULL, *otp;
	int rc = store_get_json(t, DB_SUBSCRIBERS, tk->sub, &sub);

	otp = json_object_get(sub, "otp");
	if (rc == 0 && (otp == NULL || !member_str_is(otp, "nonce", tk->nonce) ||
			member_int(otp, "remaining") <= 0 || member_int(otp, "expires") <= esd_now()))
		rc = ESD_EAUTHZ;
	if (rc == 0)
		rc = keeper_json_set(otp, "remaining",
				     json_integer(member_int(otp, "remaining") - 1));
	if (rc == 0) {
		rc = store_put_json(t, DB_SUBSCRIBERS, tk->sub, sub, 0);
	}
	json_decref(sub);
	return rc == ESD_ENOTFOUND ? ESD_EAUTHZ : rc;
}

/* Takes the document's digest off the batch authorisation in t. */
static int consume_sad(struct store_txn *t, struct auth_ticket *tk)
{
	json_t *rec = NULL, *left = json_array(), *v;
	size_t i;
	int rc = store_get_json(t, DB_RA_INDEX, tk->code_key, &rec), found = 0;

	if (rc == 0 && left == NULL)
		rc = ESD_ENOMEM;
	json_array_foreach(json_object_get(rec, "digests"), i, v) {
		const char *d = json_string_value(v);

		if (rc != 0)
			break;
		if (!found && d != NULL && strcmp(d, tk->digest) == 0)
			found = 1;
		else if (json_array_append(left, v) != 0)
			rc = ESD_ENOMEM;
	}
	if (rc == 0 && (!found || member_int(rec, "expires") <= esd_now()))
		rc = ESD_EAUTHZ;
	if (rc == 0)
		rc = keeper_json_set(rec, "digests", json_incref(left));
	if (rc == 0)
		rc = store_put_json(t, DB_RA_INDEX, tk->code_key, rec, 0);
	json_decref(left);
	json_decref(rec);
	return rc == ESD_ENOTFOUND ? ESD_EAUTHZ : rc;
}

int keeper_auth_consume(struct store_txn *t, void *arg)
{
	struct auth_ticket *tk = arg;
	json_t *code = NULL;
	int rc;

	if (tk->otp)
		return consume_otp(t, tk);
	if (tk->sad)
		return consume_sad(t, tk);
	rc = store_get_json(t, DB_RA_INDEX, tk->code_key, &code);

	/* Checked again inside the transaction that makes it count. */
	if (rc == 0 && (member_int(code, "remaining") <= 0 ||
			member_int(code, "expires") <= esd_now()))
		rc = ESD_EAUTHZ;
	if (rc == ESD_ENOTFOUND)
		rc = ESD_EAUTHZ;
	if (rc == 0)
		rc = keeper_json_set(code, "remaining",
				     json_integer(member_int(code, "remaining") - 1));
	if (rc == 0) {
		rc = store_put_json(t, DB_RA_INDEX, tk->code_key, code, 0);
	}
	json_decref(code);
	return rc;
}

/* ---- operations ---- */

/* The activation code as the officer may type it: case and the dash
 * do not matter. Into out (RA_CODE_LEN + 1), zero-filled. */
static void normalise(const char *g, char *out)
{
	memset(out, 0, RA_CODE_LEN + 1);
	for (size_t i = 0, o = 0; g != NULL && g[i] != '\0' && o < RA_CODE_LEN; i++) {
		if (o == 5 && g[i] != '-')
			out[o++] = '-';
		out[o++] = (char)(g[i] >= 'a' && g[i] <= 'z' ? g[i] - 32 : g[i]);
	}
}

int keeper_code_matches(struct keeper *k, const char *id, const char *nonce,
			const char *given)
{
	char want[RA_CODE_LEN + 1], got[RA_CODE_LEN + 1];
	int ok;

	if (given == NULL || strlen(given) > RA_CODE_LEN + 2 ||
	    keeper_ra_code(k, id, nonce, want) != 0)
		return 0;
	normalise(given, got);
	ok = CRYPTO_memcmp(want, got, RA_CODE_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

static int unlock(struct keeper *k, struct caller *c, struct store_txn *t,
		  json_t *sub, void *arg, struct reply *r)
{
	(void)k;
	(void)c;
	(void)t;
	(void)arg;
	if (member_int(sub, "locked_until") == 0 && member_int(sub, "failures") == 0)
		return reply_error(r, ESD_EEXIST, "subscriber %s is not locked",
			    member_str(sub, "id"));
	json_object_del(sub, "locked_until");
	json_object_del(sub, "failures");
	return 0;
}

int op_unlock(struct keeper *k, struct caller *c, json_t *a, struct reply *r)
{
	return kra_change_sub(k, c, member_str(a, "id"), "subscriber.unlock", unlock,
			      NULL, r);
}

int op_passphrase_change(struct keeper *k, struct caller *c, json_t *a,
			 struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *sub = NULL;
	char hash[crypto_pwhash_STRBYTES];
	int rc = store_txn_begin(k->store, 0, &t);

	if (rc == 0 && store_get_json(t, DB_SUBSCRIBERS, member_str(a, "subscriber"),
				      &sub) != 0)
		rc = reply_error(r, ESD_EAUTH, "wrong subscriber or passphrase");
	store_txn_abort(t);
	t = NULL;
	if (rc == 0 && (!member_str_is(sub, "kind", "individual") ||
			!member_str_is(sub, "status", "active")))
		rc = reply_error(r, ESD_EAUTH, "wrong subscriber or passphrase");
	if (rc == 0)
		rc = check_pass(k, c, sub, member_str(a, "passphrase"), r);
	if (rc == 0)
		rc = keeper_passphrase_hash(k, member_str(a, "new_passphrase"), hash, r);
	if (rc == 0)
		rc = keeper_json_set(sub, "passphrase", json_string(hash));
	if (rc == 0)
		rc = stamp_now(sub, "passphrase_changed");
	if (rc == 0)
		rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), sub, 0);
	if (rc == 0)
		rc = audit_record(t, c, "passphrase.change", member_str(sub, "id"), NULL);
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:b}", "subscriber", member_str(sub, "id"),
				    "changed", 1);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	store_txn_abort(t);
	sodium_memzero(hash, sizeof(hash));
	json_decref(sub);
	return rc;
}

/* Common passphrases refused whatever their length. */
static const char *const weak[] = {
	"password123", "password1234", "1234567890", "12345678910",
	"qwertyuiop", "passw0rd123", "iloveyou123", "bismillah123",
	"indonesia123", "indonesia1945", "merdeka1945", "administrator",
	"0123456789", "1234512345", "1q2w3e4r5t", "qwerty12345",
};

int keeper_passphrase_hash(struct keeper *k, const char *p, char *hash,
			   struct reply *r)
{
	uint64_t min, ops, mem;

	pthread_mutex_lock(&k->cfg_mu);
	min = k->cfg.passphrase_min_length;
	ops = k->cfg.argon2_opslimit;
	mem = k->cfg.argon2_memlimit_kib;
	pthread_mutex_unlock(&k->cfg_mu);
	if (p == NULL || strlen(p) < min || strlen(p) > 256)
		return reply_error(r, ESD_EINVAL, "the passphrase must be %llu to 256 "
			    "bytes", (unsigned long long)min);
	for (size_t i = 0; i < ESD_ARRAY_LEN(weak); i++)
		if (strcasecmp(p, weak[i]) == 0)
			return reply_error(r, ESD_EINVAL, "that passphrase is too common");
	/* Argon2id with the configured limits (the defaults, libsodium's
	 * interactive ones, take ~50-100 ms here); the hash string records
	 * them, so a change applies to new passphrases only. */
	if (crypto_pwhash_str(hash, p, strlen(p), (unsigned long long)ops,
			      (size_t)mem * 1024) != 0)
		return ESD_ENOMEM;
	return 0;
}

/* An individual asks for a one-time code for N documents, emailed to
 * them (BSrE v2's sign/get/totp): any API client may ask; only the
 * person's mailbox receives the code. A new request replaces the batch. */
int op_individual_otp(struct keeper *k, struct caller *c, json_t *a,
		      struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *sub = NULL, *vars = NULL;
	struct auth_limits l;
	uint8_t nb[16];
	char id[64], nonce[33], exp[40], docs_s[24];
	uint64_t docs;
	int64_t expires;
	int rc;

	auth_limits(k, &l);
	if (esd_parse_u64(member_str(a, "documents"), 1, l.max_docs, &docs) != 0)
		return reply_error(r, ESD_EINVAL, "'documents' is 1..%llu",
			    (unsigned long long)l.max_docs);
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0 && keeper_subscriber_find(t, member_str(a, "id"), id, sizeof(id)) != 0)
		rc = reply_error(r, ESD_ENOTFOUND, "no subscriber '%.64s'", member_str(a, "id"));
	if (rc == 0)
		rc = load_record(t, DB_SUBSCRIBERS, id, "subscriber", &sub, r);
	if (rc == 0 && (!member_str_is(sub, "kind", "individual") ||
			!member_str_is(sub, "status", "active")))
		rc = reply_error(r, ESD_EEXIST, "%s is not an active individual", id);
	if (rc == 0)
		rc = keeper_lockout_state(k, LOCKOUT_SUBSCRIBER, sub, r);
	if (rc == 0)
		rc = esd_random(nb, sizeof(nb));
	if (rc != 0)
		goto out;
	esd_hex(nb, sizeof(nb), nonce);
	expires = esd_now() + (int64_t)l.max_secs;
	rc = keeper_json_set(sub, "otp", json_pack("{s:s, s:I, s:I, s:I}", "nonce",
						   nonce, "documents", (json_int_t)docs,
						   "remaining", (json_int_t)docs,
						   "expires", (json_int_t)expires));
	if (rc != 0)
		goto out;
	kra_fmt_time(expires, exp, sizeof(exp));
	snprintf(docs_s, sizeof(docs_s), "%llu", (unsigned long long)docs);
	vars = json_pack("{s:s, s:s, s:s, s:s}", "name", member_str(sub, "name"),
			 "subscriber", id, "expires", exp, "documents", docs_s);
	rc = vars ? kra_outbox_add(t, member_str(sub, "email"), "otp", member_str(sub, "lang"),
				   vars, id, nonce)
		  : ESD_ENOMEM;
	if (rc == 0)
		rc = store_put_json(t, DB_SUBSCRIBERS, id, sub, 0);
	if (rc == 0)
		rc = audit_record(t, c, "auth.otp.issue", id,
			   json_pack("{s:I}", "documents", (json_int_t)docs));
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:I, s:I}", "subscriber", id, "documents",
				    (json_int_t)docs, "expires", (json_int_t)expires);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	store_txn_abort(t);
	json_decref(vars);
	json_decref(sub);
	return rc;
}

/*
 * One passphrase check for a batch of documents (the CSC API's SAD with
 * numSignatures and hashes): {id, passphrase, digests: [SHA-256 hex of
 * each document's byte range]} -> a batch authorisation good for exactly
 * those digests, each once, for seal_code_max_seconds at most 300 s. It
 * fits the hash-only routes, where the client knows the digests first.
 */
int op_individual_authorize(struct keeper *k, struct caller *c, json_t *a,
			    struct reply *r)
{
	json_t *digests = json_object_get(a, "digests"), *sub = NULL, *rec = NULL,
	       *v;
	struct store_txn *t = NULL;
	struct auth_limits l;
	uint8_t raw[16];
	char id[64], sad[33], key[80];
	int64_t expires;
	size_t i;
	int rc;

	auth_limits(k, &l);
	if (!json_is_array(digests) || json_array_size(digests) == 0 ||
	    json_array_size(digests) > l.max_docs)
		return reply_error(r, ESD_EINVAL, "'digests' is an array of 1..%llu "
			    "SHA-256 digests in hex", (unsigned long long)l.max_docs);
	json_array_foreach(digests, i, v) {
		const char *d = json_string_value(v);
		size_t j = 0;

		while (d != NULL && ((d[j] >= '0' && d[j] <= '9') ||
				     (d[j] >= 'a' && d[j] <= 'f')))
			j++;
		if (d == NULL || j != 64 || d[64] != '\0')
			return reply_error(r, ESD_EINVAL, "'digests' are 64 lowercase hex "
				    "digits each");
	}
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0 && keeper_subscriber_find(t, member_str(a, "id"), id, sizeof(id)) != 0)
		rc = ESD_EAUTHZ;
	if (rc == 0 && store_get_json(t, DB_SUBSCRIBERS, id, &sub) != 0)
		rc = ESD_EAUTHZ;
	store_txn_abort(t);
	t = NULL;
	if (rc == 0 && (!member_str_is(sub, "kind", "individual") ||
			!member_str_is(sub, "status", "active")))
		rc = ESD_EAUTHZ;
	if (rc == ESD_EAUTHZ)
		reply_error(r, rc, "no active individual '%.64s'", member_str(a, "id"));
	if (rc == 0)
		rc = check_pass(k, c, sub, member_str(a, "passphrase"), r);
	if (rc == 0)
		rc = esd_random(raw, sizeof(raw));
	if (rc != 0)
		goto out;
	esd_hex(raw, sizeof(raw), sad);
	OPENSSL_cleanse(raw, sizeof(raw));
	if ((rc = auth_code_key(sad, key)) != 0)
		goto out;
	memcpy(key, "sad:", 4);
	memmove(key + 4, key + 9, strlen(key + 9) + 1);
	expires = esd_now() + (int64_t)(l.max_secs < 300 ? l.max_secs : 300);
	rec = json_pack("{s:s, s:O, s:I, s:s}", "subscriber", id, "digests",
			digests, "expires", (json_int_t)expires, "by", c->actor);
	rc = rec ? store_txn_begin(k->store, 1, &t) : ESD_ENOMEM;
	if (rc == 0)
		rc = store_put_json(t, DB_RA_INDEX, key, rec, 1);
	if (rc == 0)
		rc = audit_record(t, c, "auth.batch", id,
			   json_pack("{s:I}", "documents",
				     (json_int_t)json_array_size(digests)));
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s, s:I, s:I}", "subscriber", id, "sad",
				    sad, "documents",
				    (json_int_t)json_array_size(digests), "expires",
				    (json_int_t)expires);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	OPENSSL_cleanse(sad, sizeof(sad));
	store_txn_abort(t);
	json_decref(rec);
	json_decref(sub);
	return rc;
}
