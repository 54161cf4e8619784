/*
 * Signing documents: which key a caller may use for a seal or an
 * individual signature (grant, purpose, certificate validity), and the
 * signature itself with its audit record.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/auth.h"
#include "keeper/internal.h"
#include "keeper/ra.h"
#include "pki/pki.h"
#include "pki/signedattrs.h"

/* PEM certificate text -> new JSON string of base64 DER. */
static json_t *pem_to_b64(const char *pem)
{
	X509 *x = NULL;
	unsigned char *der = NULL;
	json_t *j = NULL;
	char *s;
	int n;

	if (pem == NULL || pki_cert_from_pem(pem, strlen(pem), &x) != 0)
		return NULL;
	n = i2d_X509(x, &der);
	if (n > 0 && (s = esd_b64_encode(der, (size_t)n)) != NULL) {
		j = json_string(s);
		free(s);
	}
	OPENSSL_free(der);
	X509_free(x);
	return j;
}

/*
 * Resolves which document-signing key the caller may use: the label it
 * names or, for a seal with none named, its default seal key. An admin
 * may use any key; an API client only those granted to it. The key's
 * record must carry the purpose asked for ("seal" or "individual") and a
 * certificate valid now. *rec gets the key's record.
 */
/*
 * Key records and their parsed certificates, cached: a seal would
 * otherwise read and parse the record's JSON and PEM certificates, its
 * alias and its certificate's status on each of its keeper calls (the
 * largest keeper cost beyond the signature in docs/performance.md).
 * An entry holds what was read at one key generation (store_keys_gen:
 * it changes with every committed write of a key record, a certificate
 * record, an API client or a key alias, on any node of a cluster) and is
 * used only while
 * the generation is still that one: on LMDB a counter in memory, on
 * PostgreSQL one read. Revocation is read anew whenever the generation
 * moved: a revocation writes the certificate's record.
 */
#define KEY_CACHE 16

/* What the keeper knows of a key's certificate, from the key's record. */
struct key_facts {
	time_t not_before, not_after;     /* both 0: no usable certificate */
	uint8_t cert_id[32];              /* certs_id() of the record */
	uint8_t ess[PKI_SATTRS_ESS_MAX];  /* the signingCertificateV2 value
					   * that names the certificate */
	size_t ess_len;
	int revoked;                      /* keeper_cert_revoked(serial) */
	/* Signed attributes pki_sattrs_check accepted for this key, with
	 * the message digest (at sa_off) zeroed: sa_len 0 until one was. */
	uint8_t sa[PKI_SATTRS_MAX];
	size_t sa_len, sa_off;
};

static struct key_cache {
	char want[HSM_LABEL_MAX + 1];   /* the label asked for */
	char label[HSM_LABEL_MAX + 1];  /* the key it names (after an alias) */
	uint64_t gen;                   /* store_keys_gen when read */
	json_t *rec;
	struct key_facts f;
	json_t *reply;       /* MSG_DOC_KEY's answer, built once */
} cache[KEY_CACHE];
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned cache_next;

static void cache_drop(struct key_cache *e)
{
	json_decref(e->rec);
	json_decref(e->reply);
	memset(e, 0, sizeof(*e));
}

void keeper_keys_changed(void)
{
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < KEY_CACHE; i++)
		cache_drop(&cache[i]);
	pthread_mutex_unlock(&cache_mu);
}

/*
 * What identifies the certificates a key signs with: SHA-256 over the DER
 * of its certificate, then of each chain certificate. The front computes
 * the same over what MSG_DOC_KEY answered (api/keycache.c), and
 * MSG_DOC_SIGN compares the two.
 */
static int certs_id(json_t *rec, uint8_t id[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	json_t *chain = json_object_get(rec, "chain");
	int rc = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
		 ? 0 : ESD_ECRYPTO;

	for (size_t i = 0; rc == 0 && i <= json_array_size(chain); i++) {
		json_t *v = i == 0 ? json_object_get(rec, "cert")
				   : json_array_get(chain, i - 1);
		const char *pem = json_string_value(v);
		unsigned char *der = NULL;
		X509 *x = NULL;
		int n = -1;

		if (pem != NULL && pki_cert_from_pem(pem, strlen(pem), &x) == 0)
			n = i2d_X509(x, &der);
		if (n <= 0 || EVP_DigestUpdate(ctx, der, (size_t)n) != 1)
			rc = ESD_ECRYPTO;
		OPENSSL_free(der);
		X509_free(x);
	}
	if (rc == 0 && EVP_DigestFinal_ex(ctx, id, NULL) != 1)
		rc = ESD_ECRYPTO;
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* From the store: the key a rotated label now names ("alias:LABEL" in
 * ra_index; label unchanged when it was never rotated) and its record.
 * *rec is a new reference. */
static int key_read(struct keeper *k, char *label, json_t **rec)
{
	struct store_txn *t;
	char cur[HSM_LABEL_MAX + 1];
	int rc = store_txn_begin(k->store, 0, &t);

	if (rc != 0)
		return rc;
	keeper_current_label(t, label, cur);
	snprintf(label, HSM_LABEL_MAX + 1, "%s", cur);
	rc = store_get_json(t, DB_KEYS, label, rec);
	store_txn_abort(t);
	return rc;
}

/* The record of the key label names now (label is changed to it when
 * the label was rotated) and the facts of its certificate (all zero
 * without one), from the cache while the key generation is the one it
 * was read at, else from the store (then cached). *rec is a new
 * reference. */
static int key_lookup(struct keeper *k, const struct caller *c, char *label,
		      json_t **rec, struct key_facts *f)
{
	struct key_cache *e;
	char want[HSM_LABEL_MAX + 1];
	const char *pem;
	uint64_t gen;
	struct tm tm;
	X509 *x = NULL;
	int rc;

	/* The generation the caller's authentication read, if it did. */
	gen = c->gen;
	rc = c->gen_read ? 0 : store_keys_gen(k->store, &gen);
	if (rc != 0)
		return rc;
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < KEY_CACHE; i++) {
		if (cache[i].rec == NULL || strcmp(cache[i].want, label) != 0)
			continue;
		if (cache[i].gen == gen) {
			memcpy(label, cache[i].label, sizeof(cache[i].label));
			*rec = json_incref(cache[i].rec);
			*f = cache[i].f;
			pthread_mutex_unlock(&cache_mu);
			return 0;
		}
		cache_drop(&cache[i]);
	}
	pthread_mutex_unlock(&cache_mu);
	snprintf(want, sizeof(want), "%s", label);
	rc = key_read(k, label, rec);
	if (rc != 0)
		return rc;
	memset(f, 0, sizeof(*f));
	pem = json_string_value(json_object_get(*rec, "cert"));
	if (pem != NULL && pki_cert_from_pem(pem, strlen(pem), &x) == 0) {
		if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &tm) == 1)
			f->not_before = timegm(&tm);
		if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
			f->not_after = timegm(&tm);
		if (certs_id(*rec, f->cert_id) != 0 ||
		    pki_sattrs_ess_for(x, f->ess, sizeof(f->ess),
				       &f->ess_len) != 0)
			f->not_before = f->not_after = 0; /* "not valid now" */
		X509_free(x);
	}
	f->revoked = keeper_cert_revoked(k, json_string_value(
		json_object_get(*rec, "serial")));
	pthread_mutex_lock(&cache_mu);
	e = &cache[cache_next++ % KEY_CACHE];
	cache_drop(e);
	snprintf(e->want, sizeof(e->want), "%s", want);
	snprintf(e->label, sizeof(e->label), "%s", label);
	e->gen = gen;
	e->rec = json_incref(*rec);
	e->f = *f;
	pthread_mutex_unlock(&cache_mu);
	return 0;
}

/*
 * The signed attributes the keeper accepts for a key and a document
 * digest are one byte string: exactly content-type id-data, the
 * message-digest and the key's signing-certificate-v2, each with one
 * value, in DER (pki_sattrs_check). Once the full check accepted them for
 * this key, the same bytes with another digest in the message-digest's
 * place are accepted by comparison (sattrs_same): the order of the SET OF
 * is decided by the attributes' OIDs, before the digest, and the digest
 * is always 32 bytes. Anything else goes through the full check.
 */
static const uint8_t md_head[15] = {   /* id-messageDigest, SET, OCTET STRING */
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04,
	0x31, 0x22, 0x04, 0x20
};

static int sattrs_same(const struct key_facts *f, const uint8_t *a,
		       size_t alen, const uint8_t doc[32])
{
	return f->sa_len != 0 && alen == f->sa_len &&
	       memcmp(a, f->sa, f->sa_off) == 0 &&
	       memcmp(a + f->sa_off, doc, 32) == 0 &&
	       memcmp(a + f->sa_off + 32, f->sa + f->sa_off + 32,
		      alen - f->sa_off - 32) == 0;
}

/* Keeps attributes the full check accepted (for doc) in the cache entry
 * of rec, the digest's place found as the one message-digest naming doc. */
static void sattrs_learn(json_t *rec, const uint8_t *a, size_t alen,
			 const uint8_t doc[32])
{
	size_t off = 0, hits = 0;

	if (alen > PKI_SATTRS_MAX || alen < sizeof(md_head) + 32)
		return;
	for (size_t i = 0; i + sizeof(md_head) + 32 <= alen; i++)
		if (memcmp(a + i, md_head, sizeof(md_head)) == 0 &&
		    memcmp(a + i + sizeof(md_head), doc, 32) == 0) {
			off = i + sizeof(md_head);
			hits++;
		}
	if (hits != 1)
		return;
	pthread_mutex_lock(&cache_mu);
	for (size_t i = 0; i < KEY_CACHE; i++) {
		struct key_facts *f = &cache[i].f;

		if (cache[i].rec != rec || f->sa_len != 0)
			continue;
		memcpy(f->sa, a, alen);
		memset(f->sa + off, 0, 32);
		f->sa_off = off;
		f->sa_len = alen;
	}
	pthread_mutex_unlock(&cache_mu);
}

/* The current key of the subscriber id, into label. */
static int subscriber_key(struct keeper *k, const char *id, char *label)
{
	struct store_txn *t;
	json_t *sub = NULL;
	const char *key, *st;
	char sid[64];
	int rc = store_txn_begin(k->store, 0, &t);

	if (rc == 0) {
		rc = keeper_subscriber_find(t, id, sid, sizeof(sid));
		if (rc == 0)
			rc = store_get_json(t, DB_SUBSCRIBERS, sid, &sub);
		store_txn_abort(t);
	}
	key = json_string_value(json_object_get(sub, "key"));
	st = json_string_value(json_object_get(sub, "status"));
	if (rc == 0 && (key == NULL || st == NULL || strcmp(st, "active") != 0))
		rc = ESD_ENOTFOUND;
	if (rc == 0)
		snprintf(label, HSM_LABEL_MAX + 1, "%s", key);
	json_decref(sub);
	return rc;
}

/*
 * A rotated label is followed to its current key. f gets the facts of the
 * key's certificate: MSG_DOC_SIGN compares its cert_id, and the label,
 * with those the front built its CMS for, and the signed attributes'
 * signing-certificate-v2 with its ess.
 */
static int doc_key(struct keeper *k, struct caller *c, const char *purpose_want,
		   const char *want, char *label, json_t **rec,
		   struct key_facts *f, struct reply *r)
{
	struct pol_key_facts kf;
	struct pol_verdict pv;
	json_t *v;
	size_t i;
	int rc, seal = strcmp(purpose_want, "seal") == 0;

	if (!seal && strcmp(purpose_want, "individual") != 0)
		return ESD_EINVAL;
	if (want[0] == '\0' && seal)
		want = c->default_key;
	if (want[0] == '\0') {
		snprintf(r->msg, sizeof(r->msg), "name the signing key ('key')");
		return ESD_EINVAL;
	}
	/* A subscriber ("ind-HEX", "seal-HEX"; its keys are "ID-N"), or
	 * one found by "nik:NIK" or "email:ADDR", names its current key. */
	if ((strncmp(want, "ind-", 4) == 0 && strchr(want + 4, '-') == NULL) ||
	    (strncmp(want, "seal-", 5) == 0 && strchr(want + 5, '-') == NULL) ||
	    strncmp(want, "nik:", 4) == 0 || strncmp(want, "email:", 6) == 0) {
		rc = subscriber_key(k, want, label);
		if (rc != 0) {
			snprintf(r->msg, sizeof(r->msg), "no active subscriber "
				 "'%.200s'", want);
			return rc;
		}
	} else if (strlen(want) > HSM_LABEL_MAX) {
		snprintf(r->msg, sizeof(r->msg), "no key labelled '%.64s...'", want);
		return ESD_ENOTFOUND;
	} else {
		snprintf(label, HSM_LABEL_MAX + 1, "%s", want);
	}
	/* The facts of the key, then policy/key.c decides. A grant names
	 * the label the client knows, before any rotation. */
	memset(&kf, 0, sizeof(kf));
	kf.granted = c->admin;
	json_array_foreach(c->keys, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), label) == 0)
			kf.granted = 1;
	memset(f, 0, sizeof(*f));
	rc = key_lookup(k, c, label, rec, f);
	if (rc != 0 && rc != ESD_ENOTFOUND)
		return rc;
	kf.found = rc == 0;
	if (kf.found) {
		const char *purpose = json_string_value(json_object_get(*rec,
								       "purpose"));
		const char *alias = json_string_value(json_object_get(*rec,
								     "alias_of"));
		const char *sub = json_string_value(json_object_get(*rec,
								   "subscriber"));

		/* A key made by rotating a granted label is granted too; an
		 * individual's key answers to its passphrase, checked at
		 * signing; a seal's to a client granted the seal. */
		json_array_foreach(c->keys, i, v)
			if (json_is_string(v) &&
			    (strcmp(json_string_value(v), alias ?: "") == 0 ||
			     strcmp(json_string_value(v), sub ?: "") == 0))
				kf.granted = 1;
		if (sub != NULL && c->cred.kind != CRED_NONE && !seal)
			kf.granted = 1;
		kf.purpose = purpose == NULL ? POL_KEY_OTHER
			     : strcmp(purpose, "seal") == 0 ? POL_KEY_SEAL
			     : strcmp(purpose, "individual") == 0
				     ? POL_KEY_INDIVIDUAL : POL_KEY_OTHER;
		kf.has_cert = json_string_value(json_object_get(*rec, "cert")) != NULL;
		kf.not_before = f->not_before;
		kf.not_after = f->not_after;
		kf.revoked = kf.granted && f->revoked;
	}
	rc = pol_key_use(&kf, label, seal ? POL_KEY_SEAL : POL_KEY_INDIVIDUAL,
			 esd_now(), &pv);
	if (rc != 0) {
		snprintf(r->msg, sizeof(r->msg), "%s", pv.msg);
		json_decref(*rec);
		*rec = NULL;
	}
	return rc;
}

int h_doc_key(struct keeper *k, struct caller *c, struct ibuf *in,
		     struct reply *r)
{
	char want[300], label[HSM_LABEL_MAX + 1], purpose[16];
	json_t *rec = NULL, *chain = NULL, *v;
	enum hsm_keytype type;
	struct key_facts f;
	size_t i;
	int rc;

	if (ibuf_get_str(in, purpose, sizeof(purpose)) != 0 ||
	    ibuf_get_str(in, want, sizeof(want)) != 0 || ibuf_done(in) != 0)
		return ESD_EINVAL;
	rc = doc_key(k, c, purpose, want, label, &rec, &f, r);
	if (rc != 0)
		return rc;
	/* The answer for this key, built once per record read (grant,
	 * purpose, validity and revocation were just checked by doc_key). */
	pthread_mutex_lock(&cache_mu);
	for (i = 0; i < KEY_CACHE && r->json == NULL; i++)
		if (cache[i].reply != NULL && cache[i].rec == rec)
			r->json = json_incref(cache[i].reply);
	pthread_mutex_unlock(&cache_mu);
	if (r->json != NULL) {
		json_decref(rec);
		return 0;
	}
	rc = hsm_key_type(k->hsm, label, &type);
	if (rc == 0) {
		chain = json_array();
		rc = chain ? 0 : ESD_ENOMEM;
		json_array_foreach(json_object_get(rec, "chain"), i, v)
			if (rc == 0)
				rc = keeper_json_append(chain,
					pem_to_b64(json_string_value(v)));
	}
	if (rc != 0)
		json_decref(chain);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s, s:o*, s:o}", "key", label, "alg",
				    type == HSM_KEY_EC_P256 ? "ecdsa" : "rsa-pkcs1",
				    "cert",
				    pem_to_b64(json_string_value(json_object_get(rec, "cert"))),
				    "chain", chain);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	if (rc == 0) {
		pthread_mutex_lock(&cache_mu);
		for (i = 0; i < KEY_CACHE; i++)
			if (cache[i].rec == rec && cache[i].reply == NULL)
				cache[i].reply = json_incref(r->json);
		pthread_mutex_unlock(&cache_mu);
	}
	json_decref(rec);
	return rc;
}

/* Audits a doc.sign frame the keeper could not read: a front that sends
 * one is broken or hostile, and the log says it tried. */
static int unreadable(struct keeper *k, struct caller *c, const char *purpose)
{
	json_t *detail = json_pack("{s:s}", "refused", "the frame is not a "
				   "doc.sign request (fields, lengths)");
	const char *action = strcmp(purpose, "seal") == 0 ? "seal"
			     : strcmp(purpose, "individual") == 0 ? "sign"
								  : "doc.sign";

	keeper_audit(k, c, action, "", ESD_EINVAL, detail);
	json_decref(detail);
	return ESD_EINVAL;
}

/*
 * The front names the key as its caller did (want), and the label and
 * the certs_id it built the CMS with, from an MSG_DOC_KEY answer it may
 * have kept. The key is resolved and checked again here; if it is no
 * longer that label or those certificates (a rotation or a renewal
 * since), the answer is ESD_ESTALE and nothing is signed,
 * consumed or audited: the front asks MSG_DOC_KEY again.
 *
 * The front sends the signed attributes themselves, not their digest.
 * They must be PAdES's three, name the document digest doc (the one the
 * authorisation and the audit record bind to) and the key's certificate
 * as the keeper holds it (pki/signedattrs.h); else ESD_ESATTRS, and
 * nothing is signed or consumed, nor a passphrase counted. The token
 * signs the keeper's own SHA-256 of those bytes. Every answer past the
 * key checks, a signature or a refusal, is audited.
 */
int h_doc_sign(struct keeper *k, struct caller *c, struct ibuf *in,
		      struct reply *r)
{
	char want[300], label[HSM_LABEL_MAX + 1], name[256];
	char purpose[16] = "", auth[257], front_label[HSM_LABEL_MAX + 1];
	char tbs_hex[65], doc_hex[65];
	struct auth_ticket tk;
	const uint8_t *attrs, *doc, *front_id;
	const char *why = NULL;
	size_t alen, dlen, idlen, siglen;
	uint8_t sig[1024], tbs[32];
	struct key_facts f;
	enum hsm_keytype type;
	json_t *rec = NULL, *detail = NULL;
	int rc;

	if (ibuf_get_str(in, purpose, sizeof(purpose)) != 0 ||
	    ibuf_get_str(in, want, sizeof(want)) != 0 ||
	    ibuf_get_str(in, front_label, sizeof(front_label)) != 0 ||
	    ibuf_get_bytes(in, &front_id, &idlen) != 0 ||
	    ibuf_get_bytes(in, &attrs, &alen) != 0 ||
	    ibuf_get_bytes(in, &doc, &dlen) != 0 ||
	    ibuf_get_str(in, name, sizeof(name)) != 0 ||
	    ibuf_get_str(in, auth, sizeof(auth)) != 0 || ibuf_done(in) != 0 ||
	    idlen != 32 || dlen != 32) {
		OPENSSL_cleanse(auth, sizeof(auth));
		return unreadable(k, c, purpose);
	}
	memset(&tk, 0, sizeof(tk));
	rc = keeper_clock_check(k, r);
	if (rc == 0)
		rc = doc_key(k, c, purpose, want, label, &rec, &f, r);
	if (rc == 0 && (strcmp(label, front_label) != 0 ||
			CRYPTO_memcmp(f.cert_id, front_id, 32) != 0)) {
		snprintf(r->msg, sizeof(r->msg), "key '%s' or its certificate "
			 "changed during the request", label);
		log_info("keeper: doc.sign: the front named key '%s' for '%s'; "
			 "it is now '%s' or has new certificates, so the front "
			 "asks again", front_label, want, label);
		rc = ESD_ESTALE;
	}
	if (rc != 0) {
		OPENSSL_cleanse(auth, sizeof(auth));
		json_decref(rec);
		return rc;
	}
	/* What is to be signed, before the authorisation is spent on it. */
	if (sattrs_same(&f, attrs, alen, doc)) {
		if (esd_sha256(attrs, alen, tbs) != 0)
			rc = ESD_ECRYPTO;
	} else if (pki_sattrs_check(attrs, alen, doc, f.ess, f.ess_len, tbs,
				    &why) != 0) {
		snprintf(r->msg, sizeof(r->msg), "refused to sign: %s",
			 why ? why : "the signed attributes are not usable");
		log_warn("keeper: doc.sign for key '%s' refused: %s", label,
			 why ? why : "crypto error");
		rc = ESD_ESATTRS;
	} else {
		sattrs_learn(rec, attrs, alen, doc);
	}
	/* The signer's passphrase or the seal code, for a subscriber's key. */
	if (rc == 0)
		rc = keeper_auth_prepare(k, c, rec, auth, doc, &tk, r);
	OPENSSL_cleanse(auth, sizeof(auth));
	if (rc == 0)
		rc = hsm_key_type(k->hsm, label, &type);
	siglen = sizeof(sig);
	if (rc == 0)
		rc = hsm_sign(k->hsm, label,
			      type == HSM_KEY_EC_P256 ? HSM_ALG_ECDSA
						      : HSM_ALG_RSA_PKCS1,
			      EVP_sha256(), tbs, sizeof(tbs), sig, &siglen);
	/* The seal is released only once its audit record is durable. It
	 * names the digests the keeper checked (messageDigest = doc) and
	 * computed (signed_attrs_sha256), or why it refused. */
	esd_hex(doc, 32, doc_hex);
	if (rc == ESD_ESATTRS) {
		detail = json_pack("{s:s, s:s, s:s, s:s*}", "document_sha256",
				   doc_hex, "refused", why ? why : "crypto error",
				   "name", name, "serial", json_string_value(
					   json_object_get(rec, "serial")));
	} else {
		esd_hex(tbs, 32, tbs_hex);
		detail = json_pack("{s:s, s:s, s:s, s:s*}", "document_sha256",
				   doc_hex, "signed_attrs_sha256", tbs_hex,
				   "name", name, "serial", json_string_value(
					   json_object_get(rec, "serial")));
	}
	/* A seal code is consumed with the audit record, durably, before the
	 * signature leaves; the N+1th document finds it used up. */
	if (detail == NULL) {
		rc = rc ? rc : ESD_ENOMEM;
	} else {
		int arc = store_audit_sync_apply(k->store, rc == 0 &&
						 (tk.seal || tk.otp || tk.sad) ?
						 keeper_auth_consume : NULL, &tk,
						 c->actor, strcmp(purpose, "seal") == 0
						 ? "seal" : "sign", label, rc, detail);

		if (arc == ESD_EAUTHZ && rc == 0)
			snprintf(r->msg, sizeof(r->msg), "the %s is used up or "
				 "expired", tk.otp ? "one-time code" : tk.sad
				 ? "authorisation" : "seal code");
		if (arc != 0 && rc == 0)
			rc = arc == ESD_EAUTHZ || arc == ESD_EDBDOWN ? arc : ESD_ESTORE;
	}
	/* The signature itself is the answer (no JSON). */
	if (rc == 0) {
		r->bin = OPENSSL_memdup(sig, siglen);
		r->bin_len = siglen;
		rc = r->bin ? 0 : ESD_ENOMEM;
	}
	OPENSSL_cleanse(sig, sizeof(sig));
	json_decref(detail);
	json_decref(rec);
	return rc;
}
