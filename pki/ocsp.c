/*
 * pki/ocsp: RFC 6960 requests parsed in the front, responses built and
 * signed in the keeper from the parsed fields.
 *
 * OCSP_CERTID is opaque in OpenSSL 3 and the only constructor,
 * OCSP_cert_id_new, hashes a name and a key itself; the keeper has the
 * requested hashes, not the certificate. So a CertID is rebuilt with a
 * local ASN.1 template of the RFC 6960 §4.1.1 CertID, encoded, and
 * decoded as an OCSP_CERTID: the keeper decodes only its own encoding of
 * checked fields. The front makes the same rebuild and compares it with
 * the request's CertID byte for byte, so what the keeper echoes is what
 * the client asked.
 */
#include <string.h>
#include <time.h>
#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "pki/pkisvc.h"

#define OCSP_REQ_MAX 16384

typedef struct {
	X509_ALGOR *alg;
	ASN1_OCTET_STRING *name_hash;
	ASN1_OCTET_STRING *key_hash;
	ASN1_INTEGER *serial;
} PKI_CERTID;

ASN1_SEQUENCE(PKI_CERTID) = {
	ASN1_SIMPLE(PKI_CERTID, alg, X509_ALGOR),
	ASN1_SIMPLE(PKI_CERTID, name_hash, ASN1_OCTET_STRING),
	ASN1_SIMPLE(PKI_CERTID, key_hash, ASN1_OCTET_STRING),
	ASN1_SIMPLE(PKI_CERTID, serial, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(PKI_CERTID)

static size_t hash_size(int nid)
{
	return nid == NID_sha1 ? 20 : nid == NID_sha256 ? 32 : 0;
}

static int single_ok(const struct pki_ocsp_single *s)
{
	return hash_size(s->hash_nid) != 0 &&
	       s->hash_len == hash_size(s->hash_nid) &&
	       (s->hash_params_null == 0 || s->hash_params_null == 1) &&
	       s->serial_len >= 1 && s->serial_len <= PKI_OCSP_SERIAL_MAX &&
	       (s->serial_len == 1 || s->serial[0] != 0);
}

/* DER of the CertID for s (new buffer), or -1. */
static int certid_der(const struct pki_ocsp_single *s, unsigned char **out)
{
	PKI_CERTID *c;
	int len = -1;

	c = (PKI_CERTID *)ASN1_item_new(ASN1_ITEM_rptr(PKI_CERTID));
	if (c == NULL)
		return -1;
	if (!X509_ALGOR_set0(c->alg, OBJ_nid2obj(s->hash_nid),
			     s->hash_params_null ? V_ASN1_NULL : V_ASN1_UNDEF,
			     NULL) ||
	    !ASN1_OCTET_STRING_set(c->name_hash, s->name_hash, (int)s->hash_len) ||
	    !ASN1_OCTET_STRING_set(c->key_hash, s->key_hash, (int)s->hash_len) ||
	    !ASN1_STRING_set(c->serial, s->serial, (int)s->serial_len))
		goto out;
	len = ASN1_item_i2d((ASN1_VALUE *)c, out, ASN1_ITEM_rptr(PKI_CERTID));
out:
	ASN1_item_free((ASN1_VALUE *)c, ASN1_ITEM_rptr(PKI_CERTID));
	return len;
}

static OCSP_CERTID *certid_new(const struct pki_ocsp_single *s)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	OCSP_CERTID *cid = NULL;
	int len = certid_der(s, &der);

	if (len > 0) {
		p = der;
		cid = d2i_OCSP_CERTID(NULL, &p, len);
	}
	OPENSSL_free(der);
	return cid;
}

/* 1 if rebuilding s gives exactly the DER of cid. */
static int certid_same(const struct pki_ocsp_single *s, OCSP_CERTID *cid)
{
	unsigned char *a = NULL, *b = NULL;
	int alen = certid_der(s, &a), blen = i2d_OCSP_CERTID(cid, &b);
	int same = alen > 0 && alen == blen && memcmp(a, b, (size_t)alen) == 0;

	OPENSSL_free(a);
	OPENSSL_free(b);
	return same;
}

static int parse_single(OCSP_ONEREQ *one, struct pki_ocsp_single *s)
{
	OCSP_CERTID *cid = OCSP_onereq_get0_id(one);
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	ASN1_OBJECT *alg = NULL;
	ASN1_INTEGER *serial = NULL;
	size_t hl;

	if (cid == NULL || !OCSP_id_get0_info(&nh, &alg, &kh, &serial, cid))
		return ESD_EINVAL;
	for (int i = 0; i < OCSP_ONEREQ_get_ext_count(one); i++)
		if (X509_EXTENSION_get_critical(OCSP_ONEREQ_get_ext(one, i)))
			return ESD_EUNSUPP;
	s->hash_nid = OBJ_obj2nid(alg);
	hl = hash_size(s->hash_nid);
	if (hl == 0)
		return ESD_EUNSUPP;
	if ((size_t)ASN1_STRING_length(nh) != hl ||
	    (size_t)ASN1_STRING_length(kh) != hl)
		return ESD_EINVAL;
	s->hash_len = hl;
	memcpy(s->name_hash, ASN1_STRING_get0_data(nh), hl);
	memcpy(s->key_hash, ASN1_STRING_get0_data(kh), hl);
	if (ASN1_STRING_type(serial) != V_ASN1_INTEGER)
		return ESD_EUNSUPP; /* negative: never one of ours */
	if (ASN1_STRING_length(serial) < 1 ||
	    ASN1_STRING_length(serial) > PKI_OCSP_SERIAL_MAX)
		return ESD_EINVAL;
	s->serial_len = (size_t)ASN1_STRING_length(serial);
	memcpy(s->serial, ASN1_STRING_get0_data(serial), s->serial_len);
	if (!single_ok(s))
		return ESD_EINVAL;
	/* parameters NULL (what OpenSSL and most clients send) or absent */
	s->hash_params_null = 1;
	if (certid_same(s, cid))
		return 0;
	s->hash_params_null = 0;
	if (certid_same(s, cid))
		return 0;
	return ESD_EINVAL;
}

/* RFC 8954: Nonce ::= OCTET STRING (SIZE(1..32)) inside extnValue; some
 * legacy clients put the raw bytes there. Either is echoed verbatim. */
static int parse_nonce(X509_EXTENSION *ext, struct pki_ocsp_query *q)
{
	ASN1_OCTET_STRING *v = X509_EXTENSION_get_data(ext), *in;
	const unsigned char *p;
	int vlen = ASN1_STRING_length(v), ilen;

	if (vlen < 1 || vlen > PKI_OCSP_NONCE_MAX)
		return ESD_EINVAL;
	p = ASN1_STRING_get0_data(v);
	in = d2i_ASN1_OCTET_STRING(NULL, &p, vlen);
	if (in != NULL && p == ASN1_STRING_get0_data(v) + vlen) {
		ilen = ASN1_STRING_length(in);
		ASN1_OCTET_STRING_free(in);
		if (ilen < 1 || ilen > 32)
			return ESD_EINVAL;
	} else {
		ASN1_OCTET_STRING_free(in);
		ERR_clear_error();
		if (vlen > 32)
			return ESD_EINVAL;
	}
	q->nonce_len = (size_t)vlen;
	memcpy(q->nonce, ASN1_STRING_get0_data(v), (size_t)vlen);
	return 0;
}

int pki_ocsp_parse(const uint8_t *der, size_t len, struct pki_ocsp_query *q)
{
	OCSP_REQUEST *req = NULL;
	const unsigned char *p = der;
	X509_EXTENSION *ext;
	int rc = ESD_EINVAL, n, nonces = 0;

	memset(q, 0, sizeof(*q));
	if (der == NULL || len == 0 || len > OCSP_REQ_MAX)
		return ESD_EINVAL;
	req = d2i_OCSP_REQUEST(NULL, &p, (long)len);
	if (req == NULL || p != der + len)
		goto out;
	n = OCSP_request_onereq_count(req);
	if (n < 1 || n > PKI_OCSP_MAX_SINGLE)
		goto out;
	for (int i = 0; i < n; i++) {
		rc = parse_single(OCSP_request_onereq_get0(req, i),
				  &q->single[i]);
		if (rc != 0)
			goto out;
	}
	q->n = (size_t)n;
	rc = ESD_EINVAL;
	for (int i = 0; i < OCSP_REQUEST_get_ext_count(req); i++) {
		ext = OCSP_REQUEST_get_ext(req, i);
		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) ==
		    NID_id_pkix_OCSP_Nonce) {
			if (nonces++ > 0 || parse_nonce(ext, q) != 0)
				goto out;
		} else if (X509_EXTENSION_get_critical(ext)) {
			rc = ESD_EUNSUPP;
			goto out;
		}
	}
	rc = 0;
out:
	ERR_clear_error();
	OCSP_REQUEST_free(req);
	if (rc != 0)
		memset(q, 0, sizeof(*q));
	return rc;
}

static int hash_issuer(const EVP_MD *md, X509 *issuer, uint8_t *name_hash,
		       uint8_t *key_hash)
{
	const ASN1_BIT_STRING *key = X509_get0_pubkey_bitstr(issuer);
	unsigned int n = 0, k = 0;

	/* RFC 6960 §4.1.1: hash of the DER issuer Name and of the value
	 * (excluding tag, length and unused-bits count) of its key BIT
	 * STRING */
	return key != NULL &&
	       X509_NAME_digest(X509_get_subject_name(issuer), md, name_hash,
				&n) &&
	       EVP_Digest(ASN1_STRING_get0_data(key),
			  (size_t)ASN1_STRING_length(key), key_hash, &k, md,
			  NULL) &&
	       n == (unsigned)EVP_MD_get_size(md) && k == n;
}

int pki_ocsp_id_matches_issuer(const struct pki_ocsp_single *s, X509 *issuer)
{
	uint8_t nh[EVP_MAX_MD_SIZE], kh[EVP_MAX_MD_SIZE];
	const EVP_MD *md;

	if (s == NULL || issuer == NULL || !single_ok(s))
		return ESD_EINVAL;
	md = EVP_get_digestbynid(s->hash_nid);
	if (md == NULL || !hash_issuer(md, issuer, nh, kh)) {
		log_openssl("pki: OCSP issuer hashes");
		return ESD_ECRYPTO;
	}
	return (CRYPTO_memcmp(nh, s->name_hash, s->hash_len) |
		CRYPTO_memcmp(kh, s->key_hash, s->hash_len)) == 0;
}

static int query_ok(const struct pki_ocsp_query *q)
{
	if (q->n < 1 || q->n > PKI_OCSP_MAX_SINGLE ||
	    q->nonce_len > PKI_OCSP_NONCE_MAX)
		return 0;
	for (size_t i = 0; i < q->n; i++)
		if (!single_ok(&q->single[i]))
			return 0;
	return 1;
}

static int status_ok(const struct pki_ocsp_status *st)
{
	switch (st->status) {
	case PKI_OCSP_GOOD:
	case PKI_OCSP_UNKNOWN:
		return 1;
	case PKI_OCSP_REVOKED:
		return st->reason == PKI_REASON_NONE ||
		       pki_crl_reason_name(st->reason) != NULL;
	default:
		return 0;
	}
}

/* The signer is the CA or its delegate (RFC 6960 §4.2.2.2). */
static int signer_ok(X509 *issuer, X509 *signer)
{
	if (X509_cmp(issuer, signer) == 0)
		return 1;
	return X509_check_issued(issuer, signer) == X509_V_OK &&
	       (X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) &&
	       (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN);
}

static int add_single(OCSP_BASICRESP *bs, const struct pki_ocsp_single *s,
		      const struct pki_ocsp_status *st, ASN1_TIME *thisupd,
		      ASN1_TIME *nextupd)
{
	OCSP_CERTID *cid = certid_new(s);
	ASN1_TIME *rev = NULL;
	int ok = 0;

	if (cid == NULL)
		return 0;
	if (st->status == PKI_OCSP_REVOKED &&
	    (rev = ASN1_GENERALIZEDTIME_set(NULL, (time_t)st->revoked_at)) ==
		    NULL)
		goto out;
	/* OCSP_REVOKED_STATUS_NOSTATUS is -1, PKI_REASON_NONE */
	ok = OCSP_basic_add1_status(bs, cid, st->status,
				    st->status == PKI_OCSP_REVOKED ? st->reason
								   : 0,
				    rev, thisupd, nextupd) != NULL;
out:
	ASN1_TIME_free(rev);
	OCSP_CERTID_free(cid);
	return ok;
}

static int add_nonce(OCSP_BASICRESP *bs, const struct pki_ocsp_query *q)
{
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = 0;

	if (v != NULL && ASN1_OCTET_STRING_set(v, q->nonce, (int)q->nonce_len))
		ext = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce,
						   0, v);
	ok = ext != NULL && OCSP_BASICRESP_add_ext(bs, ext, -1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(v);
	return ok;
}

static int encode_response(int status, OCSP_BASICRESP *bs, uint8_t **der,
			   size_t *len)
{
	OCSP_RESPONSE *resp = OCSP_response_create(status, bs);
	unsigned char *out = NULL;
	int olen = resp ? i2d_OCSP_RESPONSE(resp, &out) : -1;

	OCSP_RESPONSE_free(resp);
	if (olen <= 0)
		return ESD_ECRYPTO;
	*der = out;
	*len = (size_t)olen;
	return 0;
}

int pki_ocsp_respond(const struct pki_ocsp_query *q,
		     const struct pki_ocsp_status *st, X509 *issuer,
		     X509 *signer, EVP_PKEY *signer_key, int64_t now,
		     int64_t next_update, uint8_t **der, size_t *len)
{
	OCSP_BASICRESP *bs = NULL;
	ASN1_TIME *thisupd = NULL, *nextupd = NULL;
	int rc = ESD_EINVAL, m;

	if (q == NULL || st == NULL || issuer == NULL || signer == NULL ||
	    signer_key == NULL || der == NULL || len == NULL || !query_ok(q) ||
	    (next_update != 0 && next_update <= now) ||
	    !signer_ok(issuer, signer))
		goto out;
	for (size_t i = 0; i < q->n; i++) {
		if (!status_ok(&st[i]))
			goto out;
		if (st[i].status == PKI_OCSP_UNKNOWN)
			continue;
		m = pki_ocsp_id_matches_issuer(&q->single[i], issuer);
		if (m != 1) {
			rc = m < 0 ? m : ESD_EINVAL;
			goto out;
		}
	}
	rc = ESD_ECRYPTO;
	bs = OCSP_BASICRESP_new();
	thisupd = ASN1_GENERALIZEDTIME_set(NULL, (time_t)now);
	if (next_update != 0)
		nextupd = ASN1_GENERALIZEDTIME_set(NULL, (time_t)next_update);
	if (bs == NULL || thisupd == NULL || (next_update != 0 && nextupd == NULL))
		goto out;
	for (size_t i = 0; i < q->n; i++)
		if (!add_single(bs, &q->single[i], &st[i], thisupd, nextupd))
			goto out;
	if (q->nonce_len > 0 && !add_nonce(bs, q))
		goto out;
	if (!OCSP_basic_sign(bs, signer, signer_key, EVP_sha256(), NULL,
			     OCSP_RESPID_KEY))
		goto out;
	rc = encode_response(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs, der, len);
out:
	if (rc == ESD_ECRYPTO)
		log_openssl("pki: OCSP response");
	ASN1_TIME_free(nextupd);
	ASN1_TIME_free(thisupd);
	OCSP_BASICRESP_free(bs);
	return rc;
}

int pki_ocsp_error_response(int status, uint8_t **der, size_t *len)
{
	switch (status) {
	case PKI_OCSP_MALFORMED_REQUEST:
	case PKI_OCSP_INTERNAL_ERROR:
	case PKI_OCSP_TRY_LATER:
	case PKI_OCSP_SIG_REQUIRED:
	case PKI_OCSP_UNAUTHORIZED:
		break;
	default:
		return ESD_EINVAL;
	}
	if (der == NULL || len == NULL)
		return ESD_EINVAL;
	return encode_response(status, NULL, der, len);
}
