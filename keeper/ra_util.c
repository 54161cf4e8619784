/*
 * The registration authority's shared parts in the keeper: the outbox,
 * activation codes derived in the token, and the public view of a
 * subscriber.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/ra_internal.h"
#include "pki/pki.h"
#include "pki/pkisvc.h"
#include "ra/ra.h"

/* The members of src named in keys (NULL-terminated), copied; NULL
 * when src is not an object or on allocation failure. */
static json_t *pick(json_t *src, const char *const *keys)
{
	json_t *o;

	if (!json_is_object(src) || (o = json_object()) == NULL)
		return NULL;
	for (; *keys != NULL; keys++)
		if (json_object_get(src, *keys) != NULL &&
		    json_object_set(o, *keys, json_object_get(src, *keys)) != 0) {
			json_decref(o);
			return NULL;
		}
	return o;
}

/* A subscriber as the API shows it: without its secrets. A seal's
 * activation and authenticator enrolment show only when and by whom
 * (the console's seal officer page), never their nonce or secret. */
json_t *kra_sub_public(json_t *sub)
{
	static const char *const act[] = { "expires", "created", "by", NULL };
	static const char *const enr[] = { "enrolled", "by", NULL };
	json_t *p = json_deep_copy(sub);
	int rc = p ? 0 : ESD_ENOMEM;

	if (rc == 0) {
		json_object_del(p, "passphrase");
		json_object_del(p, "activation");
		json_object_del(p, "seal_activation");
		json_object_del(p, "totp");
		json_object_del(p, "otp");
		if (json_object_get(sub, "seal_activation") != NULL)
			rc = keeper_json_set(p, "seal_activation", pick(
				json_object_get(sub, "seal_activation"), act));
		if (rc == 0 && json_object_get(sub, "totp") != NULL)
			rc = keeper_json_set(p, "authenticator", pick(
				json_object_get(sub, "totp"), enr));
	}
	if (rc != 0) {
		json_decref(p);
		return NULL;
	}
	return p;
}

int kra_holds(json_t *arr, const char *id)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (id != NULL && json_is_string(v) &&
		    strcmp(json_string_value(v), id) == 0)
			return 1;
	return 0;
}

/* ---- the outbox ---- */

int kra_outbox_add(struct store_txn *t, const char *to, const char *tpl,
		   const char *lang, json_t *vars, const char *code_sub,
		   const char *code_nonce)
{
	char id[40];
	json_t *m;
	int rc = ra_new_id("m", id, sizeof(id));

	if (rc != 0)
		return rc;
	m = json_pack("{s:s, s:s, s:s, s:s, s:O, s:I, s:i, s:I}", "id", id,
		      "to", to, "template", tpl, "lang", lang ? lang : "id",
		      "vars", vars, "created", (json_int_t)esd_now(),
		      "attempts", 0, "next_attempt", (json_int_t)0);
	if (m == NULL)
		return ESD_ENOMEM;
	if (code_sub != NULL)
		rc = keeper_json_set(m, "code", json_pack("{s:s, s:s}", "subscriber",
							  code_sub, "nonce",
							  code_nonce));
	if (rc == 0)
		rc = store_put_json(t, DB_OUTBOX, id, m, 1);
	json_decref(m);
	return rc;
}

/* ---- activation codes, derived in the token ---- */

static pthread_mutex_t codes_mu = PTHREAD_MUTEX_INITIALIZER;
static char codes_label[HSM_LABEL_MAX + 1];

/* The token key activation codes are derived with (purpose "codes"),
 * generated on first use. */
static int codes_key(struct keeper *k, char *label)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL, *made = NULL;
	int rc = 0;

	pthread_mutex_lock(&codes_mu);
	if (codes_label[0] == '\0') {
		rc = keeper_key_by_purpose(k, "codes", codes_label);
		if (rc == ESD_ENOTFOUND) {
			/* Under the store's write transaction, the cluster's
			 * one writer: a node that finds the key made by
			 * another meanwhile uses it (docs/cluster.md). */
			snprintf(codes_label, sizeof(codes_label), "ra-codes");
			rec = json_pack("{s:s, s:s, s:I, s:s}", "label", codes_label,
					"type", "rsa2048", "created",
					(json_int_t)esd_now(), "purpose", "codes");
			rc = rec ? store_txn_begin(k->store, 1, &t) : ESD_ENOMEM;
			if (rc == 0 && store_get_json(t, DB_KEYS, codes_label,
						      &made) == 0)
				rc = 1;
			if (rc == 0)
				rc = hsm_keygen(k->hsm, codes_label, HSM_KEY_RSA2048);
			if (rc == 0)
				rc = store_put_json(t, DB_KEYS, codes_label, rec, 1);
			if (rc == 0)
				rc = store_audit(t, "keeper", "keys.generate",
						 codes_label, 0, NULL);
			if (rc == 0)
				rc = commit_and_mail(&t);
			store_txn_abort(t);
			json_decref(rec);
			json_decref(made);
			keeper_keys_changed();
			if (rc == 1) /* another node made it */
				rc = 0;
		}
		if (rc != 0)
			codes_label[0] = '\0';
	}
	snprintf(label, HSM_LABEL_MAX + 1, "%s", codes_label);
	pthread_mutex_unlock(&codes_mu);
	return rc;
}

int keeper_ra_derive(struct keeper *k, const char *domain, const char *a,
		     const char *b, uint8_t out[32])
{
	char label[HSM_LABEL_MAX + 1];
	uint8_t dgst[32], sig[512];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = md ? codes_key(k, label) : ESD_ENOMEM;

	/* RSA PKCS#1 v1.5 signatures are deterministic: the same input
	 * always gives the same value, and only the token can make it. */
	if (rc == 0 &&
	    (!EVP_DigestInit_ex(md, EVP_sha256(), NULL) ||
	     !EVP_DigestUpdate(md, domain, strlen(domain) + 1) ||
	     !EVP_DigestUpdate(md, a, strlen(a) + 1) ||
	     !EVP_DigestUpdate(md, b, strlen(b)) ||
	     !EVP_DigestFinal_ex(md, dgst, NULL)))
		rc = ESD_ECRYPTO;
	EVP_MD_CTX_free(md);
	if (rc == 0)
		rc = hsm_sign(k->hsm, label, HSM_ALG_RSA_PKCS1, EVP_sha256(), dgst,
			      sizeof(dgst), sig, &siglen);
	if (rc == 0)
		rc = esd_sha256(sig, siglen, out);
	OPENSSL_cleanse(sig, sizeof(sig));
	return rc;
}

int keeper_ra_code(struct keeper *k, const char *subscriber, const char *nonce,
		   char out[RA_CODE_LEN + 1])
{
	static const char b32[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
	uint8_t h[32];
	int rc = keeper_ra_derive(k, "esignd activation code", subscriber, nonce,
				  h);

	if (rc != 0)
		return rc;
	/* 10 characters of a 32-symbol alphabet: 50 bits, as XXXXX-XXXXX. */
	for (size_t i = 0, o = 0; i < 10; i++) {
		if (i == 5)
			out[o++] = '-';
		out[o++] = b32[h[i] & 31];
	}
	out[RA_CODE_LEN] = '\0';
	OPENSSL_cleanse(h, sizeof(h));
	return 0;
}

void kra_fmt_time(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}


/* ---- secrets at rest ---- */

/* The token's secret key for them: AES-256, sensitive, not extractable,
 * made on first use (hsm/secret.c). */
#define SECRETS_KEY "esignd-secrets"

int keeper_secret_seal(struct keeper *k, const char *aad, const uint8_t *pt,
		       size_t n, char **b64)
{
	uint8_t *buf = malloc(12 + n + 16);
	size_t len = n + 16;
	int rc = buf ? esd_random(buf, 12) : ESD_ENOMEM;

	if (rc == 0)
		rc = hsm_aes_gcm(k->hsm, SECRETS_KEY, 1, buf, (const uint8_t *)aad,
				 strlen(aad), pt, n, buf + 12, &len);
	if (rc == 0 && (*b64 = esd_b64_encode(buf, 12 + len)) == NULL)
		rc = ESD_ENOMEM;
	if (buf != NULL)
		OPENSSL_cleanse(buf, 12 + n + 16);
	free(buf);
	return rc;
}

int keeper_secret_open(struct keeper *k, const char *aad, const char *b64,
		       uint8_t *out, size_t cap, size_t *n)
{
	uint8_t *buf = NULL;
	size_t blen = 0;
	int rc;

	if (b64 == NULL || esd_b64_decode(b64, &buf, &blen) != 0 ||
	    blen < 12 + 16 || blen - 28 > cap) {
		free(buf);
		return ESD_ECRYPTO;
	}
	*n = cap;
	rc = hsm_aes_gcm(k->hsm, SECRETS_KEY, 0, buf, (const uint8_t *)aad,
			 strlen(aad), buf + 12, blen - 12, out, n);
	if (rc != 0)
		OPENSSL_cleanse(out, cap);
	free(buf);
	return rc;
}

int keeper_subscriber_find(struct store_txn *t, const char *ref, char *id,
			   size_t cap)
{
	char key[300];
	const void *v;
	size_t vl, n;
	int rc;

	if (strncmp(ref, "nik:", 4) != 0 && strncmp(ref, "email:", 6) != 0) {
		snprintf(id, cap, "%s", ref);
		return 0;
	}
	n = (size_t)snprintf(key, sizeof(key), "%s", ref);
	for (size_t i = 6; i < n && i < sizeof(key) && key[0] == 'e'; i++)
		if (key[i] >= 'A' && key[i] <= 'Z')
			key[i] = (char)(key[i] + 32);
	rc = store_get(t, DB_RA_INDEX, key, strlen(key), &v, &vl);
	if (rc != 0)
		return rc;
	if (vl >= cap)
		return ESD_ESTORE;
	memcpy(id, v, vl);
	id[vl] = '\0';
	return 0;
}

int kra_change_sub(struct keeper *k, struct caller *c, const char *id,
		   const char *action, kra_sub_fn fn, void *arg,
		   struct reply *r)
{
	struct store_txn *t = NULL;
	json_t *sub = NULL;
	int rc = store_txn_begin(k->store, 1, &t);

	if (rc == 0)
		rc = load_record(t, DB_SUBSCRIBERS, id, "subscriber", &sub, r);
	if (rc == 0)
		rc = fn(k, c, t, sub, arg, r);
	if (rc == 0)
		rc = store_put_json(t, DB_SUBSCRIBERS, member_str(sub, "id"), sub, 0);
	if (rc == 0)
		rc = audit_record(t, c, action, member_str(sub, "id"), NULL);
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0) {
		r->json = json_pack("{s:o}", "subscriber", kra_sub_public(sub));
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	store_txn_abort(t);
	json_decref(sub);
	return rc;
}

int kra_new_token(char token[65], char hash_hex[65])
{
	uint8_t tok[32], h[32];
	int rc = esd_random(tok, sizeof(tok));

	if (rc != 0)
		return rc;
	esd_hex(tok, sizeof(tok), token);
	rc = esd_sha256(tok, sizeof(tok), h);
	esd_hex(h, sizeof(h), hash_hex);
	OPENSSL_cleanse(tok, sizeof(tok));
	return rc;
}
