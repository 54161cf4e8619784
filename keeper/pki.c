/*
 * The PKI services the keeper signs for: RFC 3161 timestamps, RFC 6960
 * OCSP responses, RFC 5280 CRLs, the CA certificates, and revocation.
 * Requests arrive already parsed by the front into the plain structs of
 * pki/pkisvc.h; the keeper decides and signs on the token.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/internal.h"
#include "pki/pki.h"
#include "pki/pkisvc.h"

#define CRL_VALIDITY (24 * 3600)   /* nextUpdate - thisUpdate */
#define CRL_REFRESH (12 * 3600)    /* reissue when less than this is left */
#define OCSP_VALIDITY 3600
/* The demo TSA policy: an OID under the example arc 2.999 (X.660). Real
 * deployments set tsa_policy to the one in their CPS. */
#define TSA_DEFAULT_POLICY "2.999.3161.1"

/* A key usable for a PKI service: its label, certificate, token key. */
struct svc_key {
	char label[HSM_LABEL_MAX + 1];
	json_t *rec;
	X509 *cert;
	EVP_PKEY *key;
};

static void svc_key_free(struct svc_key *s)
{
	EVP_PKEY_free(s->key);
	X509_free(s->cert);
	json_decref(s->rec);
	memset(s, 0, sizeof(*s));
}

/* Loads the key labelled label (or, with label NULL, the first key with
 * purpose) and checks its purpose is one of the allowed ones. */
static int svc_key_get(struct keeper *k, const char *label, const char *purpose,
		       const char *const *allowed, struct svc_key *s)
{
	const char *p;
	int rc, ok = 0;

	memset(s, 0, sizeof(*s));
	if (label == NULL) {
		rc = keeper_key_by_purpose(k, purpose, s->label);
		if (rc != 0)
			return rc;
	} else {
		snprintf(s->label, sizeof(s->label), "%s", label);
	}
	rc = keeper_key_record(k, s->label, &s->rec);
	if (rc != 0)
		return rc;
	p = json_string_value(json_object_get(s->rec, "purpose"));
	for (size_t i = 0; p != NULL && allowed[i] != NULL; i++)
		ok |= strcmp(p, allowed[i]) == 0;
	if (!ok) {
		svc_key_free(s);
		return ESD_ENOTFOUND;
	}
	/* A service whose certificate was revoked no longer signs. */
	if (keeper_cert_revoked(k, json_string_value(json_object_get(s->rec,
								     "serial")))) {
		svc_key_free(s);
		return ESD_EPERM;
	}
	rc = keeper_record_cert(s->rec, &s->cert);
	if (rc == 0)
		rc = hsm_privkey(k->hsm, s->label, &s->key);
	if (rc != 0)
		svc_key_free(s);
	return rc;
}

static const char *const ca_purposes[] = { "root-ca", "issuing-ca", NULL };

int h_tsa(struct keeper *k, struct caller *c, struct ibuf *in, struct reply *r)
{
	static const char *const tsa_purpose[] = { "tsa", NULL };
	struct pki_tsq q;
	struct svc_key s;
	STACK_OF(X509) *chain = NULL;
	const uint8_t *p;
	uint8_t serial[16];
	char imprint[2 * PKI_TSQ_IMPRINT_MAX + 1];
	json_t *detail;
	uint8_t internal = 0;
	size_t n;
	int rc;

	if (ibuf_get_bytes(in, &p, &n) != 0 || n != sizeof(q))
		return ESD_EINVAL;
	/* A trailing 1: a stamp for a signature the front is making (B-T),
	 * which an outside TSA gives when tsa_url is set. */
	if (ibuf_done(in) != 0 &&
	    (ibuf_get_u8(in, &internal) != 0 || ibuf_done(in) != 0))
		return ESD_EINVAL;
	memcpy(&q, p, sizeof(q));
	if (q.imprint_len > sizeof(q.imprint))
		return ESD_EINVAL;
	if (internal && k->cfg.tsa_url[0] != '\0')
		return keeper_outside_tsa(k, c, &q, r);
	rc = keeper_clock_check(k, r);
	if (rc != 0)
		return rc;
	rc = svc_key_get(k, NULL, "tsa", tsa_purpose, &s);
	if (rc != 0) {
		snprintf(r->msg, sizeof(r->msg), "no time-stamping key");
		return rc == ESD_ENOTFOUND ? ESD_EUNAVAIL : rc;
	}
	rc = keeper_record_chain(s.rec, &chain);
	if (rc == 0)
		rc = esd_random(serial, sizeof(serial));
	/* Positive and 16 bytes long: a zero first byte would not be the
	 * minimal encoding pki_tsa_respond insists on (1 in 128 stamps
	 * failed before this). */
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
	if (rc == 0)
		rc = pki_tsa_respond(&q, s.cert, s.key, chain,
				     k->cfg.tsa_policy[0] ? k->cfg.tsa_policy
							  : TSA_DEFAULT_POLICY,
				     serial, sizeof(serial), esd_now(), &r->bin,
				     &r->bin_len);
	if (rc == ESD_ECRYPTO)
		rc = ESD_ETOKEN == hsm_health(k->hsm) ? ESD_ETOKEN : rc;
	/* A timestamp is only released once it is in the audit log. */
	esd_hex(q.imprint, q.imprint_len, imprint);
	detail = json_pack("{s:s}", "imprint", imprint);
	if (keeper_audit(k, c, "tsa.stamp", s.label, rc, detail) != 0 && rc == 0)
		rc = ESD_ESTORE;
	json_decref(detail);
	sk_X509_pop_free(chain, X509_free);
	svc_key_free(&s);
	if (rc != 0)
		log_warn("keeper: timestamp refused: %s", esd_err_name(rc));
	return rc;
}

/* What the store says of the certificate with this serial from issuer. */
static void cert_status(struct store_txn *t, const char *issuer,
			const uint8_t *serial, size_t len,
			struct pki_ocsp_status *st)
{
	char key[64];
	json_t *rec = NULL;
	const char *s, *iss;

	st->status = PKI_OCSP_UNKNOWN;
	if (pki_serial_hex(serial, len, key, sizeof(key)) != 0 ||
	    store_get_json(t, DB_CERTS, key, &rec) != 0)
		return;
	s = json_string_value(json_object_get(rec, "status"));
	iss = json_string_value(json_object_get(rec, "issuer"));
	if (iss != NULL && strcmp(iss, issuer) == 0 && s != NULL) {
		if (strcmp(s, "revoked") == 0) {
			st->status = PKI_OCSP_REVOKED;
			st->revoked_at = json_integer_value(json_object_get(rec, "revoked_at"));
			st->reason = (int)json_integer_value(json_object_get(rec, "reason"));
		} else {
			st->status = PKI_OCSP_GOOD;
		}
	}
	json_decref(rec);
}

/* The signed OCSPResponse for a parsed query (DER, OPENSSL_malloc'ed). */
static int ocsp_answer(struct keeper *k, const struct pki_ocsp_query *qp,
		       uint8_t **der, size_t *len)
{
	static const char *const ocsp_purpose[] = { "ocsp", NULL };
	struct pki_ocsp_status st[PKI_OCSP_MAX_SINGLE];
	const struct pki_ocsp_query q = *qp;
	struct svc_key ca = { 0 }, signer = { 0 };
	struct store_txn *t = NULL;
	int rc, found = 0;

	if (q.n == 0 || q.n > PKI_OCSP_MAX_SINGLE)
		return ESD_EINVAL;
	/* Which of our CAs the first CertID names (any number of each
	 * purpose: an imported external issuing CA besides the demo one). */
	for (size_t i = 0; ca_purposes[i] != NULL && !found; i++) {
		char label[HSM_LABEL_MAX + 1];

		for (size_t n = 0; !found && keeper_key_by_purpose_nth(
				   k, ca_purposes[i], n, label) == 0; n++) {
			if (svc_key_get(k, label, NULL, ca_purposes, &ca) != 0)
				continue;
			if (pki_ocsp_id_matches_issuer(&q.single[0], ca.cert) == 1)
				found = 1;
			else
				svc_key_free(&ca);
		}
	}
	if (!found)
		return pki_ocsp_error_response(PKI_OCSP_UNAUTHORIZED, der, len);
	/* The delegated responder answers for the CA that issued it; the
	 * root answers for itself. */
	if (strcmp(json_string_value(json_object_get(ca.rec, "purpose")),
		   "issuing-ca") != 0 ||
	    svc_key_get(k, NULL, "ocsp", ocsp_purpose, &signer) != 0 ||
	    X509_check_issued(ca.cert, signer.cert) != X509_V_OK) {
		svc_key_free(&signer);
		signer.cert = ca.cert;
		signer.key = ca.key;
	}
	rc = store_txn_begin(k->store, 0, &t);
	for (size_t i = 0; rc == 0 && i < q.n; i++) {
		memset(&st[i], 0, sizeof(st[i]));
		if (pki_ocsp_id_matches_issuer(&q.single[i], ca.cert) == 1)
			cert_status(t, ca.label, q.single[i].serial,
				    q.single[i].serial_len, &st[i]);
		else
			st[i].status = PKI_OCSP_UNKNOWN;
	}
	store_txn_abort(t);
	if (rc == 0)
		rc = pki_ocsp_respond(&q, st, ca.cert, signer.cert, signer.key,
				      esd_now(), esd_now() + OCSP_VALIDITY, der,
				      len);
	if (signer.cert != ca.cert)
		svc_key_free(&signer);
	svc_key_free(&ca);
	return rc;
}

int h_ocsp(struct keeper *k, struct caller *c, struct ibuf *in, struct reply *r)
{
	struct pki_ocsp_query q;
	const uint8_t *p;
	size_t n;

	(void)c;
	if (ibuf_get_bytes(in, &p, &n) != 0 || n != sizeof(q) || ibuf_done(in) != 0)
		return ESD_EINVAL;
	memcpy(&q, p, sizeof(q));
	if (keeper_clock_check(k, r) != 0)
		return pki_ocsp_error_response(PKI_OCSP_TRY_LATER, &r->bin,
					       &r->bin_len);
	return ocsp_answer(k, &q, &r->bin, &r->bin_len);
}

/*
 * Our own OCSP response for cert (issued by issuer), for a /DSS: the
 * request is built here with OpenSSL and read back through the same
 * parser the front uses, so the answer is exactly what /ocsp would give.
 */
static int ocsp_for_cert(struct keeper *k, X509 *cert, X509 *issuer,
			 uint8_t **der, size_t *len)
{
	struct pki_ocsp_query q;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
	unsigned char *rd = NULL;
	int n, rc = ESD_ECRYPTO;

	if (req == NULL || id == NULL || OCSP_request_add0_id(req, id) == NULL) {
		OCSP_CERTID_free(id);
		goto out;
	}
	n = i2d_OCSP_REQUEST(req, &rd);
	if (n > 0 && pki_ocsp_parse(rd, (size_t)n, &q) == 0)
		rc = ocsp_answer(k, &q, der, len);
out:
	OPENSSL_free(rd);
	OCSP_REQUEST_free(req);
	return rc;
}

/* Appends base64 of an OCSP response for the certificate of key label
 * (whose record lists its issuer first in "chain") to arr. */
static int add_key_ocsp(struct keeper *k, const char *label, json_t *arr)
{
	int rc = 0;
	json_t *rec = NULL;
	STACK_OF(X509) *chain = NULL;
	X509 *cert = NULL;
	uint8_t *der = NULL;
	size_t len;
	char *b64;

	if (keeper_key_record(k, label, &rec) == 0 &&
	    keeper_record_cert(rec, &cert) == 0 &&
	    keeper_record_chain(rec, &chain) == 0 && sk_X509_num(chain) > 0 &&
	    ocsp_for_cert(k, cert, sk_X509_value(chain, 0), &der, &len) == 0 &&
	    (b64 = esd_b64_encode(der, len)) != NULL) {
		rc = keeper_json_append(arr, json_string(b64));
		free(b64);
	}
	OPENSSL_free(der);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	json_decref(rec);
	return rc;
}

struct revoked_walk {
	const char *issuer;
	struct pki_revoked *v;
	size_t n, cap;
	int err;
};

static int revoked_cb(void *arg, const void *key, size_t klen,
		      const void *val, size_t vlen)
{
	struct revoked_walk *w = arg;
	json_t *rec = json_loadb(val, vlen, 0, NULL);
	const char *s = json_string_value(json_object_get(rec, "status"));
	const char *iss = json_string_value(json_object_get(rec, "issuer"));
	char hex[64];
	size_t n;

	if (s != NULL && iss != NULL && strcmp(s, "revoked") == 0 &&
	    strcmp(iss, w->issuer) == 0 && klen < sizeof(hex)) {
		struct pki_revoked *e;

		if (w->n == w->cap) {
			size_t nc = w->cap ? w->cap * 2 : 16;
			struct pki_revoked *nv = realloc(w->v, nc * sizeof(*nv));

			if (nv == NULL) {
				w->err = ESD_ENOMEM;
				json_decref(rec);
				return 1;
			}
			w->v = nv;
			w->cap = nc;
		}
		e = &w->v[w->n];
		memcpy(hex, key, klen);
		hex[klen] = '\0';
		if (klen % 2 == 1) { /* BN hex may have an odd digit count */
			memmove(hex + 1, hex, klen + 1);
			hex[0] = '0';
		}
		if (esd_unhex(hex, strlen(hex), e->serial, sizeof(e->serial), &n) == 0) {
			e->serial_len = n;
			e->revoked_at = json_integer_value(json_object_get(rec, "revoked_at"));
			e->reason = (int)json_integer_value(json_object_get(rec, "reason"));
			w->n++;
		}
	}
	json_decref(rec);
	return 0;
}

/*
 * Issues the CRL of CA label in the write transaction t, caches it in
 * DB_META ("crl:LABEL" = u64 nextUpdate BE || DER) and bumps its number.
 */
static int crl_issue(struct keeper *k, struct store_txn *t, struct svc_key *ca,
		     uint8_t **der, size_t *len)
{
	struct revoked_walk w = { ca->label, NULL, 0, 0, 0 };
	char key[96];
	const void *v;
	size_t vlen;
	uint64_t number = 0;
	uint8_t nb[8], *cache = NULL;
	int64_t now = esd_now();
	int rc;

	(void)k;
	rc = store_walk(t, DB_CERTS, revoked_cb, &w);
	if (rc == 1)
		rc = w.err;
	if (rc != 0)
		goto out;
	snprintf(key, sizeof(key), "crl_number:%s", ca->label);
	if (store_get(t, DB_META, key, strlen(key), &v, &vlen) == 0 && vlen == 8)
		for (int i = 0; i < 8; i++)
			number = number << 8 | ((const uint8_t *)v)[i];
	number++;
	for (int i = 7; i >= 0; i--)
		nb[i] = (uint8_t)(number >> (8 * (7 - i)));
	rc = store_put(t, DB_META, key, strlen(key), nb, 8, 0);
	if (rc == 0)
		rc = pki_crl_issue(ca->cert, ca->key, w.v, w.n, now,
				   now + CRL_VALIDITY, number, der, len);
	if (rc != 0)
		goto out;
	cache = malloc(*len + 8);
	if (cache == NULL) {
		rc = ESD_ENOMEM;
		goto out;
	}
	for (int i = 0; i < 8; i++)
		cache[i] = (uint8_t)((uint64_t)(now + CRL_VALIDITY) >> (8 * (7 - i)));
	memcpy(cache + 8, *der, *len);
	snprintf(key, sizeof(key), "crl:%s", ca->label);
	rc = store_put(t, DB_META, key, strlen(key), cache, *len + 8, 0);
out:
	free(cache);
	free(w.v);
	return rc;
}

/* The current CRL of CA label: the cached one while it has more than
 * CRL_REFRESH to live, else a new one. *der is OPENSSL_malloc'ed. */
static int crl_get(struct keeper *k, struct caller *c, const char *label,
		   uint8_t **der, size_t *len)
{
	char key[96];
	struct svc_key ca;
	struct store_txn *t;
	const void *v;
	size_t vlen;
	int rc;

	*der = NULL;
	rc = svc_key_get(k, label, NULL, ca_purposes, &ca);
	if (rc != 0)
		return rc == ESD_ENOTFOUND || rc == ESD_EINVAL ? ESD_ENOTFOUND : rc;
	snprintf(key, sizeof(key), "crl:%s", label);
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0 && store_get(t, DB_META, key, strlen(key), &v, &vlen) == 0 &&
	    vlen > 8) {
		int64_t next = 0;

		for (int i = 0; i < 8; i++)
			next = next << 8 | ((const uint8_t *)v)[i];
		if (next - esd_now() > CRL_REFRESH) {
			*der = OPENSSL_malloc(vlen - 8);
			if (*der != NULL) {
				memcpy(*der, (const uint8_t *)v + 8, vlen - 8);
				*len = vlen - 8;
			}
		}
	}
	if (rc == 0)
		store_txn_abort(t);
	if (rc == 0 && *der == NULL) {
		struct reply tmp;

		/* A new CRL carries thisUpdate: only on a trusted clock. */
		rc = keeper_clock_check(k, &tmp);
		if (rc != 0) {
			svc_key_free(&ca);
			return rc;
		}
		rc = store_txn_begin(k->store, 1, &t);
		if (rc == 0)
			rc = crl_issue(k, t, &ca, der, len);
		if (rc == 0)
			rc = store_audit(t, c->actor, "crl.issue", label, 0, NULL);
		if (rc == 0)
			rc = store_txn_commit(t);
		else if (t != NULL)
			store_txn_abort(t);
		if (rc != 0) {
			OPENSSL_free(*der);
			*der = NULL;
		}
	}
	svc_key_free(&ca);
	return rc;
}

int h_crl(struct keeper *k, struct caller *c, struct ibuf *in, struct reply *r)
{
	char label[HSM_LABEL_MAX + 1];

	if (ibuf_get_str(in, label, sizeof(label)) != 0 || ibuf_done(in) != 0)
		return ESD_EINVAL;
	return crl_get(k, c, label, &r->bin, &r->bin_len);
}

struct lt_walk {
	struct keeper *k;
	struct caller *c;
	json_t *certs, *crls;
	int rc;
};

static int add_b64(json_t *arr, const uint8_t *p, size_t n)
{
	char *s = esd_b64_encode(p, n);
	int rc = s ? keeper_json_append(arr, json_string(s)) : ESD_ENOMEM;

	free(s);
	return rc;
}

static int lt_one(void *arg, const void *key, size_t klen, const void *val,
		  size_t vlen)
{
	struct lt_walk *w = arg;
	json_t *rec = json_loadb(val, vlen, 0, NULL);
	const char *purpose = json_string_value(json_object_get(rec, "purpose"));
	char label[HSM_LABEL_MAX + 1];
	X509 *x = NULL;
	unsigned char *der = NULL;
	int n, ca;

	if (purpose == NULL || klen > HSM_LABEL_MAX)
		goto out;
	ca = strcmp(purpose, "root-ca") == 0 || strcmp(purpose, "issuing-ca") == 0;
	if (!ca && strcmp(purpose, "tsa") != 0)
		goto out;
	memcpy(label, key, klen);
	label[klen] = '\0';
	if (keeper_record_cert(rec, &x) == 0 && (n = i2d_X509(x, &der)) > 0 &&
	    add_b64(w->certs, der, (size_t)n) != 0)
		w->rc = ESD_ENOMEM;
	if (ca) {
		uint8_t *crl = NULL;
		size_t len;

		if (crl_get(w->k, w->c, label, &crl, &len) != 0)
			w->rc = ESD_ETOKEN;
		else if (add_b64(w->crls, crl, len) != 0)
			w->rc = ESD_ENOMEM;
		OPENSSL_free(crl);
	}
out:
	OPENSSL_free(der);
	X509_free(x);
	json_decref(rec);
	return 0;
}

int h_lt_data(struct keeper *k, struct caller *c, struct ibuf *in,
	      struct reply *r)
{
	struct lt_walk w = { k, c, json_array(), json_array(), 0 };
	char key[HSM_LABEL_MAX + 1], tsa[HSM_LABEL_MAX + 1];
	json_t *ocsps = json_array();
	struct store_txn *t;
	int rc;

	if (ibuf_get_str(in, key, sizeof(key)) != 0 || ibuf_done(in) != 0 ||
	    w.certs == NULL || w.crls == NULL || ocsps == NULL) {
		json_decref(w.certs);
		json_decref(w.crls);
		json_decref(ocsps);
		return ESD_EINVAL;
	}
	/* OCSP responses for the signer's and the TSA's certificates. */
	rc = key[0] != '\0' ? add_key_ocsp(k, key, ocsps) : 0;
	if (rc == 0 && keeper_key_by_purpose(k, "tsa", tsa) == 0)
		rc = add_key_ocsp(k, tsa, ocsps);
	if (rc == 0)
		rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0) {
		/* crl_get writes in its own transactions: walk a snapshot. */
		rc = store_walk(t, DB_KEYS, lt_one, &w);
		store_txn_abort(t);
	}
	if (rc == 0)
		rc = w.rc;
	if (rc == 0)
		r->json = json_pack("{s:O, s:O, s:O}", "certs", w.certs, "crls",
				    w.crls, "ocsps", ocsps);
	json_decref(w.certs);
	json_decref(w.crls);
	json_decref(ocsps);
	return rc != 0 ? rc : r->json ? 0 : ESD_ENOMEM;
}

int h_ca_cert(struct keeper *k, struct caller *c, struct ibuf *in,
	      struct reply *r)
{
	char label[HSM_LABEL_MAX + 1];
	json_t *rec = NULL;
	X509 *x = NULL;
	const char *p;
	unsigned char *der = NULL;
	int n, rc, ok = 0;

	(void)c;
	if (ibuf_get_str(in, label, sizeof(label)) != 0 || ibuf_done(in) != 0)
		return ESD_EINVAL;
	rc = keeper_key_record(k, label, &rec);
	if (rc != 0)
		return rc;
	p = json_string_value(json_object_get(rec, "purpose"));
	for (size_t i = 0; p != NULL && ca_purposes[i] != NULL; i++)
		ok |= strcmp(p, ca_purposes[i]) == 0;
	rc = ok ? keeper_record_cert(rec, &x) : ESD_ENOTFOUND;
	if (rc == 0 && (n = i2d_X509(x, &der)) > 0) {
		r->bin = der;
		r->bin_len = (size_t)n;
	} else if (rc == 0) {
		rc = ESD_ECRYPTO;
	}
	X509_free(x);
	json_decref(rec);
	return rc;
}

static int list_cb(void *arg, const void *key, size_t klen, const void *val,
		   size_t vlen)
{
	json_t *rec = json_loadb(val, vlen, 0, NULL);

	(void)key;
	(void)klen;
	if (rec != NULL) {
		json_object_del(rec, "pem");
		return keeper_json_append(arg, rec);
	}
	return 0;
}

/* Valid certificates' key, serial and notAfter: public facts, for the
 * expiry gauges of /metrics. */
static int expiry_cb(void *arg, const void *key, size_t klen, const void *val,
		     size_t vlen)
{
	json_t *rec = json_loadb(val, vlen, 0, NULL);
	const char *st = json_string_value(json_object_get(rec, "status"));
	json_t *k = json_object_get(rec, "key"), *sn = json_object_get(rec, "serial");
	json_t *na = json_object_get(rec, "not_after");
	int rc = 0;

	(void)key;
	(void)klen;
	if (st != NULL && strcmp(st, "valid") == 0 && k && sn && na)
		rc = keeper_json_append(arg, json_pack("{s:O, s:O, s:O}", "key",
						       k, "serial", sn,
						       "not_after", na));
	json_decref(rec);
	return rc;
}

int h_cert_expiry(struct keeper *k, struct caller *c, struct ibuf *in,
		  struct reply *r)
{
	struct store_txn *t;
	json_t *arr = json_array();
	int rc = arr != NULL && ibuf_done(in) == 0 ? 0 : ESD_EINVAL;

	(void)c;
	if (rc == 0)
		rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0) {
		rc = store_walk(t, DB_CERTS, expiry_cb, arr);
		store_txn_abort(t);
	}
	if (rc == 0)
		r->json = json_pack("{s:O}", "certs", arr);
	json_decref(arr);
	return rc != 0 ? rc : r->json ? 0 : ESD_ENOMEM;
}

int h_cert_list(struct keeper *k, struct caller *c, struct ibuf *in,
		struct reply *r)
{
	struct store_txn *t;
	json_t *arr = json_array();
	int rc;

	(void)c;
	if (arr == NULL || ibuf_done(in) != 0) {
		json_decref(arr);
		return ESD_EINVAL;
	}
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0) {
		rc = store_walk(t, DB_CERTS, list_cb, arr);
		store_txn_abort(t);
	}
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	r->json = json_pack("{s:o}", "certs", arr);
	return r->json ? 0 : ESD_ENOMEM;
}

int keeper_revoke_in(struct keeper *k, struct store_txn *t, const char *actor,
		     const char *serial, int reason, char *msg, size_t msglen)
{
	struct svc_key ca = { 0 };
	json_t *rec = NULL, *detail = NULL;
	const char *status, *issuer;
	uint8_t *der = NULL;
	size_t len;
	int rc;

	rc = store_get_json(t, DB_CERTS, serial, &rec);
	if (rc == ESD_ENOTFOUND)
		snprintf(msg, msglen, "no certificate with serial %s", serial);
	if (rc != 0)
		goto out;
	status = json_string_value(json_object_get(rec, "status"));
	issuer = json_string_value(json_object_get(rec, "issuer"));
	if (status != NULL && strcmp(status, "revoked") == 0) {
		snprintf(msg, msglen, "certificate %s is already revoked", serial);
		rc = ESD_EEXIST;
		goto out;
	}
	if (issuer == NULL || strcmp(json_string_value(json_object_get(rec, "key")) ?: "",
				     issuer) == 0) {
		snprintf(msg, msglen,
			 "a root certificate is not revoked by a CRL it signs");
		rc = ESD_EPERM;
		goto out;
	}
	rc = keeper_json_update(rec, json_pack("{s:s, s:I, s:i}", "status",
			"revoked", "revoked_at", (json_int_t)esd_now(),
			"reason", reason));
	/* Status, audit record and the CA's new CRL commit together. */
	if (rc == 0)
		rc = store_put_json(t, DB_CERTS, serial, rec, 0);
	detail = json_pack("{s:s}", "reason", pki_crl_reason_name(reason));
	if (rc == 0)
		rc = store_audit(t, actor, "cert.revoke", serial, 0, detail);
	if (rc == 0)
		rc = svc_key_get(k, issuer, NULL, ca_purposes, &ca);
	if (rc == 0)
		rc = crl_issue(k, t, &ca, &der, &len);
out:
	OPENSSL_free(der);
	svc_key_free(&ca);
	json_decref(detail);
	json_decref(rec);
	return rc;
}

int keeper_crl_reissue(struct keeper *k, struct caller *c, const char *label,
		       char *msg, size_t msglen)
{
	struct svc_key ca;
	struct store_txn *t = NULL;
	uint8_t *der = NULL;
	size_t len;
	int rc;

	rc = svc_key_get(k, label, NULL, ca_purposes, &ca);
	if (rc != 0) {
		snprintf(msg, msglen, "no CA key labelled '%s'", label);
		return ESD_ENOTFOUND;
	}
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = crl_issue(k, t, &ca, &der, &len);
	if (rc == 0)
		rc = store_audit(t, c->actor, "crl.issue", label, 0, NULL);
	if (rc == 0) {
		rc = store_txn_commit(t);
		t = NULL;
	}
	store_txn_abort(t);
	OPENSSL_free(der);
	svc_key_free(&ca);
	return rc;
}

/* A subscriber whose current certificate is serial is revoked with it,
 * in the same transaction t: its activation and one-time codes end, and
 * nothing more is signed, activated or enrolled for it (docs/ra.md). */
static int revoke_subscriber_of(struct store_txn *t, struct caller *c,
				const char *serial)
{
	json_t *cert = NULL, *sub = NULL, *detail = NULL;
	const char *id, *st;
	int rc = store_get_json(t, DB_CERTS, serial, &cert);

	id = json_string_value(json_object_get(cert, "subscriber"));
	if (rc != 0 || id == NULL)
		goto out;
	rc = store_get_json(t, DB_SUBSCRIBERS, id, &sub);
	if (rc == ESD_ENOTFOUND) {
		rc = 0;
		goto out;
	}
	st = json_string_value(json_object_get(sub, "status"));
	if (rc != 0 || st == NULL || strcmp(st, "revoked") == 0 ||
	    strcmp(json_string_value(json_object_get(sub, "serial")) ?: "",
		   serial) != 0)
		goto out;
	rc = keeper_json_update(sub, json_pack("{s:s, s:I}", "status", "revoked",
			"revoked_at", (json_int_t)esd_now()));
	if (rc != 0)
		goto out;
	json_object_del(sub, "seal_activation");
	json_object_del(sub, "otp");
	rc = store_put_json(t, DB_SUBSCRIBERS, id, sub, 0);
	detail = json_pack("{s:s}", "serial", serial);
	if (rc == 0)
		rc = store_audit(t, c->actor, "subscriber.revoke", id, 0, detail);
out:
	json_decref(detail);
	json_decref(sub);
	json_decref(cert);
	return rc;
}

int h_cert_revoke(struct keeper *k, struct caller *c, struct ibuf *in,
		  struct reply *r)
{
	char serial[64], reason_name[40];
	struct store_txn *t = NULL;
	int rc, reason;

	if (ibuf_get_str(in, serial, sizeof(serial)) != 0 ||
	    ibuf_get_str(in, reason_name, sizeof(reason_name)) != 0 ||
	    ibuf_done(in) != 0)
		return ESD_EINVAL;
	for (char *p = serial; *p; p++)
		if (*p >= 'A' && *p <= 'F')
			*p = (char)(*p + 32);
	if (pki_crl_reason_parse(reason_name, &reason) != 0 ||
	    reason == PKI_REASON_REMOVE_FROM_CRL) {
		snprintf(r->msg, sizeof(r->msg),
			 "reason must be an RFC 5280 CRLReason name, e.g. "
			 "keyCompromise, superseded, cessationOfOperation");
		return ESD_EINVAL;
	}
	rc = store_txn_begin(k->store, 1, &t);
	if (rc != 0)
		return rc;
	rc = keeper_revoke_in(k, t, c->actor, serial, reason, r->msg,
			      sizeof(r->msg));
	if (rc == 0)
		rc = revoke_subscriber_of(t, c, serial);
	if (rc == 0) {
		rc = store_txn_commit(t);
		t = NULL;
	}
	store_txn_abort(t);
	if (rc == 0) {
		log_info("keeper: certificate %s revoked (%s) by %s", serial,
			 pki_crl_reason_name(reason), c->actor);
		r->json = json_pack("{s:s, s:s, s:s}", "serial", serial, "status",
				    "revoked", "reason", pki_crl_reason_name(reason));
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	return rc;
}
