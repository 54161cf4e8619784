/*
 * pki/tsa: RFC 3161 time stamps. The front parses TimeStampReq into a
 * struct pki_tsq; the keeper answers with OpenSSL's TS_RESP_CTX, which
 * reads its request from a BIO only: it gets our own encoding of the
 * checked struct fields, never the client's bytes.
 */
#include <string.h>
#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "pki/pkisvc.h"

#define TSQ_MAX 4096

static size_t md_size(int nid)
{
	switch (nid) {
	case NID_sha256:
		return 32;
	case NID_sha384:
		return 48;
	case NID_sha512:
		return 64;
	default:
		return 0;
	}
}

/* A numeric OID of at most PKI_TSQ_POLICY_MAX characters, NUL inside. */
static int policy_ok(const char *p, size_t cap)
{
	ASN1_OBJECT *o;

	if (memchr(p, '\0', cap) == NULL)
		return 0;
	if (p[0] == '\0')
		return 1;
	o = OBJ_txt2obj(p, 1);
	ASN1_OBJECT_free(o);
	ERR_clear_error();
	return o != NULL;
}

static int tsq_ok(const struct pki_tsq *q)
{
	return md_size(q->md_nid) != 0 && q->imprint_len == md_size(q->md_nid) &&
	       (q->md_params_null == 0 || q->md_params_null == 1) &&
	       (q->has_nonce == 0 ||
		(q->has_nonce == 1 && q->nonce_len >= 1 &&
		 q->nonce_len <= PKI_TSQ_NONCE_MAX &&
		 (q->nonce_neg == 0 || q->nonce_neg == 1) &&
		 (q->nonce_len == 1 || q->nonce[0] != 0) &&
		 !(q->nonce_neg && q->nonce_len == 1 && q->nonce[0] == 0))) &&
	       (q->cert_req == 0 || q->cert_req == 1) &&
	       policy_ok(q->policy, sizeof(q->policy));
}

static int parse(TS_REQ *req, struct pki_tsq *q, int *fail)
{
	TS_MSG_IMPRINT *mi = TS_REQ_get_msg_imprint(req);
	X509_ALGOR *alg = mi ? TS_MSG_IMPRINT_get_algo(mi) : NULL;
	ASN1_OCTET_STRING *msg = mi ? TS_MSG_IMPRINT_get_msg(mi) : NULL;
	const ASN1_OBJECT *obj = NULL;
	const ASN1_INTEGER *nonce = TS_REQ_get_nonce(req);
	ASN1_OBJECT *policy = TS_REQ_get_policy_id(req);
	int ptype = V_ASN1_UNDEF, n;

	*fail = PKI_TS_BAD_REQUEST;
	if (TS_REQ_get_version(req) != 1 || alg == NULL || msg == NULL)
		return ESD_EINVAL;
	if (TS_REQ_get_ext_count(req) > 0) {
		*fail = PKI_TS_UNACCEPTED_EXTENSION;
		return ESD_EUNSUPP;
	}
	X509_ALGOR_get0(&obj, &ptype, NULL, alg);
	q->md_nid = OBJ_obj2nid(obj);
	if (md_size(q->md_nid) == 0) {
		*fail = PKI_TS_BAD_ALG;
		return ESD_EUNSUPP;
	}
	if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF)
		return ESD_EINVAL;
	q->md_params_null = ptype == V_ASN1_NULL;
	q->imprint_len = md_size(q->md_nid);
	if ((size_t)ASN1_STRING_length(msg) != q->imprint_len) {
		*fail = PKI_TS_BAD_DATA_FORMAT;
		return ESD_EINVAL;
	}
	memcpy(q->imprint, ASN1_STRING_get0_data(msg), q->imprint_len);
	if (nonce != NULL) {
		n = ASN1_STRING_length(nonce);
		if (n < 1 || n > PKI_TSQ_NONCE_MAX)
			return ESD_EINVAL;
		q->has_nonce = 1;
		q->nonce_neg = ASN1_STRING_type(nonce) == V_ASN1_NEG_INTEGER;
		q->nonce_len = (size_t)n;
		memcpy(q->nonce, ASN1_STRING_get0_data(nonce), (size_t)n);
	}
	q->cert_req = TS_REQ_get_cert_req(req) ? 1 : 0;
	if (policy != NULL) {
		n = OBJ_obj2txt(q->policy, sizeof(q->policy), policy, 1);
		if (n <= 0 || (size_t)n > PKI_TSQ_POLICY_MAX)
			return ESD_EINVAL;
	}
	return tsq_ok(q) ? 0 : ESD_EINVAL;
}

int pki_tsq_parse(const uint8_t *der, size_t len, struct pki_tsq *q,
		  int *fail)
{
	const unsigned char *p = der;
	TS_REQ *req = NULL;
	int rc = ESD_EINVAL, f = PKI_TS_BAD_REQUEST;

	memset(q, 0, sizeof(*q));
	if (der == NULL || len == 0 || len > TSQ_MAX)
		goto out;
	req = d2i_TS_REQ(NULL, &p, (long)len);
	if (req == NULL || p != der + len)
		goto out;
	rc = parse(req, q, &f);
out:
	ERR_clear_error();
	TS_REQ_free(req);
	if (rc != 0) {
		memset(q, 0, sizeof(*q));
		if (fail != NULL)
			*fail = f;
	}
	return rc;
}

int pki_tsq_encode(const struct pki_tsq *q, uint8_t **der, size_t *len)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	BIGNUM *bn = NULL;
	unsigned char *out = NULL;
	int n, rc = ESD_ECRYPTO;

	*der = NULL;
	if (req == NULL || mi == NULL || alg == NULL ||
	    !TS_REQ_set_version(req, 1) ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(q->md_nid), V_ASN1_NULL, NULL) ||
	    !TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)q->imprint,
				    (int)q->imprint_len) ||
	    !TS_REQ_set_msg_imprint(req, mi) ||
	    !TS_REQ_set_cert_req(req, q->cert_req))
		goto out;
	if (q->has_nonce) {
		bn = BN_bin2bn(q->nonce, (int)q->nonce_len, NULL);
		nonce = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
		if (nonce == NULL || !TS_REQ_set_nonce(req, nonce))
			goto out;
	}
	n = i2d_TS_REQ(req, &out);
	if (n <= 0)
		goto out;
	*der = out;
	*len = (size_t)n;
	rc = 0;
out:
	ASN1_INTEGER_free(nonce);
	BN_free(bn);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	ERR_clear_error();
	return rc;
}

int pki_tsr_matches(const uint8_t *der, size_t len, const struct pki_tsq *q)
{
	const unsigned char *p = der;
	TS_RESP *resp = d2i_TS_RESP(NULL, &p, (long)len);
	TS_TST_INFO *info = resp ? TS_RESP_get_tst_info(resp) : NULL;
	ASN1_OCTET_STRING *imp;
	const ASN1_INTEGER *nonce;
	int ok = 0;

	if (info != NULL) {
		imp = TS_MSG_IMPRINT_get_msg(TS_TST_INFO_get_msg_imprint(info));
		nonce = TS_TST_INFO_get_nonce(info);
		ok = imp != NULL && (size_t)ASN1_STRING_length(imp) == q->imprint_len &&
		     memcmp(ASN1_STRING_get0_data(imp), q->imprint, q->imprint_len) == 0;
		if (ok && q->has_nonce) {
			BIGNUM *bn = nonce ? ASN1_INTEGER_to_BN(nonce, NULL) : NULL;
			uint8_t buf[PKI_TSQ_NONCE_MAX];

			ok = bn != NULL && (size_t)BN_num_bytes(bn) == q->nonce_len &&
			     BN_bn2bin(bn, buf) == (int)q->nonce_len &&
			     memcmp(buf, q->nonce, q->nonce_len) == 0;
			BN_free(bn);
		}
	}
	TS_RESP_free(resp);
	ERR_clear_error();
	return ok;
}

int pki_tsq_build(const EVP_MD *md, const uint8_t *digest, size_t dlen,
		  const uint8_t *nonce, size_t nonce_len, struct pki_tsq *q)
{
	int rc;

	memset(q, 0, sizeof(*q));
	if (md == NULL || digest == NULL || (nonce == NULL && nonce_len > 0) ||
	    nonce_len > PKI_TSQ_NONCE_MAX)
		return ESD_EINVAL;
	q->md_nid = EVP_MD_get_type(md);
	q->imprint_len = md_size(q->md_nid);
	if (q->imprint_len == 0 || dlen != q->imprint_len) {
		rc = q->imprint_len == 0 ? ESD_EUNSUPP : ESD_EINVAL;
		memset(q, 0, sizeof(*q));
		return rc;
	}
	q->md_params_null = 1;
	memcpy(q->imprint, digest, dlen);
	q->cert_req = 1;
	if (nonce_len > 0) {
		/* minimal magnitude: drop leading zero bytes, keep one */
		while (nonce_len > 1 && nonce[0] == 0) {
			nonce++;
			nonce_len--;
		}
		q->has_nonce = 1;
		q->nonce_len = nonce_len;
		memcpy(q->nonce, nonce, nonce_len);
	}
	return 0;
}

/* Our own DER TimeStampReq for q, in a new memory BIO. */
static BIO *tsq_encode(const struct pki_tsq *q)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	ASN1_INTEGER *nonce = NULL;
	ASN1_OBJECT *policy = NULL;
	BIO *b = NULL;
	int ok = 0;

	if (req == NULL || mi == NULL || alg == NULL ||
	    !X509_ALGOR_set0(alg, OBJ_nid2obj(q->md_nid),
			     q->md_params_null ? V_ASN1_NULL : V_ASN1_UNDEF,
			     NULL) ||
	    !TS_MSG_IMPRINT_set_algo(mi, alg) ||
	    !TS_MSG_IMPRINT_set_msg(mi, (unsigned char *)q->imprint,
				    (int)q->imprint_len) ||
	    !TS_REQ_set_version(req, 1) || !TS_REQ_set_msg_imprint(req, mi) ||
	    !TS_REQ_set_cert_req(req, q->cert_req))
		goto out;
	if (q->has_nonce) {
		nonce = ASN1_STRING_type_new(q->nonce_neg ? V_ASN1_NEG_INTEGER
							  : V_ASN1_INTEGER);
		if (nonce == NULL ||
		    !ASN1_STRING_set(nonce, q->nonce, (int)q->nonce_len) ||
		    !TS_REQ_set_nonce(req, nonce))
			goto out;
	}
	if (q->policy[0] != '\0') {
		policy = OBJ_txt2obj(q->policy, 1);
		if (policy == NULL || !TS_REQ_set_policy_id(req, policy))
			goto out;
	}
	b = BIO_new(BIO_s_mem());
	ok = b != NULL && i2d_TS_REQ_bio(b, req) > 0;
out:
	ASN1_OBJECT_free(policy);
	ASN1_INTEGER_free(nonce);
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	TS_REQ_free(req);
	if (!ok) {
		BIO_free(b);
		b = NULL;
	}
	return b;
}

struct resp_args {
	const uint8_t *serial;
	size_t serial_len;
	int64_t now;
};

static ASN1_INTEGER *serial_cb(TS_RESP_CTX *ctx, void *data)
{
	const struct resp_args *a = data;
	ASN1_INTEGER *s = ASN1_INTEGER_new();

	if (s != NULL && !ASN1_STRING_set(s, a->serial, (int)a->serial_len)) {
		ASN1_INTEGER_free(s);
		s = NULL;
	}
	if (s == NULL)
		TS_RESP_CTX_set_status_info(ctx, TS_STATUS_REJECTION,
					    "Error during serial number generation.");
	return s;
}

static int time_cb(TS_RESP_CTX *ctx, void *data, long *sec, long *usec)
{
	const struct resp_args *a = data;

	(void)ctx;
	*sec = (long)a->now;
	*usec = 0;
	return 1;
}

static int tsa_ctx_setup(TS_RESP_CTX *ctx, const struct pki_tsq *q,
			 X509 *tsa_cert, EVP_PKEY *tsa_key,
			 STACK_OF(X509) *chain, const char *policy_oid,
			 struct resp_args *a)
{
	ASN1_OBJECT *policy = OBJ_txt2obj(policy_oid, 1);
	int ok;

	/* TS_RESP_CTX_set_signer_cert checks X509_PURPOSE_TIMESTAMP_SIGN:
	 * extendedKeyUsage critical, timeStamping only (RFC 3161 §2.3) */
	ok = policy != NULL && TS_RESP_CTX_set_signer_cert(ctx, tsa_cert) &&
	     TS_RESP_CTX_set_signer_key(ctx, tsa_key) &&
	     TS_RESP_CTX_set_signer_digest(ctx, EVP_sha256()) &&
	     TS_RESP_CTX_set_ess_cert_id_digest(ctx, EVP_sha256()) &&
	     TS_RESP_CTX_set_def_policy(ctx, policy) &&
	     TS_RESP_CTX_add_md(ctx, EVP_sha256()) &&
	     TS_RESP_CTX_add_md(ctx, EVP_sha384()) &&
	     TS_RESP_CTX_add_md(ctx, EVP_sha512()) &&
	     TS_RESP_CTX_set_accuracy(ctx, 1, 0, 0) &&
	     (chain == NULL || !q->cert_req || TS_RESP_CTX_set_certs(ctx, chain));
	ASN1_OBJECT_free(policy);
	if (!ok)
		return 0;
	TS_RESP_CTX_set_serial_cb(ctx, serial_cb, a);
	TS_RESP_CTX_set_time_cb(ctx, time_cb, a);
	return 1;
}

int pki_tsa_respond(const struct pki_tsq *q, X509 *tsa_cert,
		    EVP_PKEY *tsa_key, STACK_OF(X509) *chain,
		    const char *policy_oid, const uint8_t *serial,
		    size_t serial_len, int64_t now, uint8_t **resp_der,
		    size_t *resp_len)
{
	struct resp_args a = { serial, serial_len, now };
	TS_RESP_CTX *ctx = NULL;
	TS_RESP *resp = NULL;
	BIO *req = NULL;
	unsigned char *out = NULL;
	ASN1_OBJECT *ours = NULL;
	TS_STATUS_INFO *si;
	int rc = ESD_EINVAL, olen;

	if (q == NULL || tsa_cert == NULL || tsa_key == NULL ||
	    policy_oid == NULL || serial == NULL || serial_len == 0 ||
	    serial_len > 20 || (serial_len > 1 && serial[0] == 0) ||
	    resp_der == NULL || resp_len == NULL || now <= 0 || !tsq_ok(q))
		goto out;
	ours = OBJ_txt2obj(policy_oid, 1);
	if (ours == NULL)
		goto out;
	rc = ESD_ECRYPTO;
	ctx = TS_RESP_CTX_new();
	if (ctx == NULL)
		goto out;
	if (!tsa_ctx_setup(ctx, q, tsa_cert, tsa_key, chain, policy_oid, &a)) {
		rc = ESD_EINVAL;
		goto out;
	}
	/* TS_RESP_create_response answers a policy other than ours with
	 * rejection / unacceptedPolicy, an unlisted digest with badAlg */
	req = tsq_encode(q);
	if (req == NULL)
		goto out;
	resp = TS_RESP_create_response(ctx, req);
	if (resp == NULL)
		goto out;
	/* With q checked, the one refusal is a policy; any other means
	 * signing failed (the token): an error, not a response. */
	si = TS_RESP_get_status_info(resp);
	if (ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(si)) !=
		    TS_STATUS_GRANTED &&
	    !ASN1_BIT_STRING_get_bit(TS_STATUS_INFO_get0_failure_info(si),
				     TS_INFO_UNACCEPTED_POLICY))
		goto out;
	olen = i2d_TS_RESP(resp, &out);
	if (olen <= 0)
		goto out;
	*resp_der = out;
	*resp_len = (size_t)olen;
	rc = 0;
out:
	if (rc == ESD_ECRYPTO)
		log_openssl("pki: time stamp response");
	else
		ERR_clear_error();
	ASN1_OBJECT_free(ours);
	BIO_free(req);
	TS_RESP_free(resp);
	TS_RESP_CTX_free(ctx);
	return rc;
}

/* TimeStampResp without a token (RFC 3161 §2.4.2): OpenSSL offers no
 * setter for PKIStatusInfo.failInfo outside TS_RESP_CTX, so a two-field
 * template encodes it. */
typedef struct {
	ASN1_INTEGER *status;
	ASN1_BIT_STRING *fail_info;
} PKI_TS_STATUS;

ASN1_SEQUENCE(PKI_TS_STATUS) = {
	ASN1_SIMPLE(PKI_TS_STATUS, status, ASN1_INTEGER),
	ASN1_OPT(PKI_TS_STATUS, fail_info, ASN1_BIT_STRING),
} static_ASN1_SEQUENCE_END(PKI_TS_STATUS)

typedef struct {
	PKI_TS_STATUS *status;
} PKI_TS_REJECT;

ASN1_SEQUENCE(PKI_TS_REJECT) = {
	ASN1_SIMPLE(PKI_TS_REJECT, status, PKI_TS_STATUS),
} static_ASN1_SEQUENCE_END(PKI_TS_REJECT)

int pki_tsa_error_response(int fail, uint8_t **der, size_t *len)
{
	PKI_TS_REJECT *r;
	unsigned char *out = NULL;
	int olen = -1;

	switch (fail) {
	case PKI_TS_BAD_ALG:
	case PKI_TS_BAD_REQUEST:
	case PKI_TS_BAD_DATA_FORMAT:
	case PKI_TS_TIME_NOT_AVAILABLE:
	case PKI_TS_UNACCEPTED_POLICY:
	case PKI_TS_UNACCEPTED_EXTENSION:
	case PKI_TS_ADD_INFO_NOT_AVAILABLE:
	case PKI_TS_SYSTEM_FAILURE:
		break;
	default:
		return ESD_EINVAL;
	}
	if (der == NULL || len == NULL)
		return ESD_EINVAL;
	r = (PKI_TS_REJECT *)ASN1_item_new(ASN1_ITEM_rptr(PKI_TS_REJECT));
	if (r == NULL)
		return ESD_ENOMEM;
	r->status->fail_info = ASN1_BIT_STRING_new();
	if (r->status->fail_info != NULL &&
	    ASN1_INTEGER_set(r->status->status, TS_STATUS_REJECTION) &&
	    ASN1_BIT_STRING_set_bit(r->status->fail_info, fail, 1))
		olen = ASN1_item_i2d((ASN1_VALUE *)r, &out,
				     ASN1_ITEM_rptr(PKI_TS_REJECT));
	ASN1_item_free((ASN1_VALUE *)r, ASN1_ITEM_rptr(PKI_TS_REJECT));
	if (olen <= 0) {
		log_openssl("pki: time stamp rejection");
		return ESD_ECRYPTO;
	}
	*der = out;
	*len = (size_t)olen;
	return 0;
}

int pki_tst_from_resp(const uint8_t *resp, size_t len, uint8_t **token_der,
		      size_t *token_len)
{
	const unsigned char *p = resp;
	TS_RESP *r = NULL;
	PKCS7 *tok;
	unsigned char *out = NULL;
	long status;
	int rc = ESD_EINVAL, olen;

	if (resp == NULL || len == 0 || len > INT32_MAX || token_der == NULL ||
	    token_len == NULL)
		return ESD_EINVAL;
	r = d2i_TS_RESP(NULL, &p, (long)len);
	if (r == NULL || p != resp + len)
		goto out;
	rc = ESD_EPERM;
	status = ASN1_INTEGER_get(
		TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r)));
	tok = TS_RESP_get_token(r);
	if ((status != TS_STATUS_GRANTED &&
	     status != TS_STATUS_GRANTED_WITH_MODS) || tok == NULL)
		goto out;
	rc = ESD_ECRYPTO;
	olen = i2d_PKCS7(tok, &out);
	if (olen <= 0)
		goto out;
	*token_der = out;
	*token_len = (size_t)olen;
	rc = 0;
out:
	ERR_clear_error();
	TS_RESP_free(r);
	return rc;
}
