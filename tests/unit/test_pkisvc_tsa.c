/*
 * Unit tests for pki/tsa.c: RFC 3161 queries made with OpenSSL, parsed by
 * the front function, answered by the keeper function and checked with
 * TS_RESP_verify_response. Software keys (pkisvc_fixture.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/util.h"
#include "pki/pki.h"
#include "pki/pkisvc.h"

#include "tests/unit/pkisvc_fixture.h"

/* ---- RFC 3161 ---- */

struct tsq_opts {
	const EVP_MD *md;
	int imprint_len;         /* -1: md's size */
	int nonce_len;           /* 0: none */
	int nonce_neg;
	int cert_req;
	const char *policy;
	int version;
	int with_ext;
};

static uint8_t *tsq_make(const struct tsq_opts *o, size_t *len, TS_REQ **out)
{
	TS_REQ *req = TS_REQ_new();
	TS_MSG_IMPRINT *mi = TS_MSG_IMPRINT_new();
	X509_ALGOR *alg = X509_ALGOR_new();
	uint8_t digest[64], nonce[40];
	unsigned char *der = NULL;
	int dl = o->imprint_len >= 0 ? o->imprint_len : EVP_MD_get_size(o->md);
	int n;

	assert_true(req && mi && alg);
	assert_int_equal(esd_random(digest, sizeof(digest)), 0);
	X509_ALGOR_set_md(alg, o->md);
	assert_true(TS_MSG_IMPRINT_set_algo(mi, alg));
	assert_true(TS_MSG_IMPRINT_set_msg(mi, digest, dl));
	assert_true(TS_REQ_set_version(req, o->version ? o->version : 1));
	assert_true(TS_REQ_set_msg_imprint(req, mi));
	assert_true(TS_REQ_set_cert_req(req, o->cert_req));
	if (o->nonce_len > 0) {
		ASN1_INTEGER *i = ASN1_INTEGER_new();
		BIGNUM *bn;

		assert_int_equal(esd_random(nonce, sizeof(nonce)), 0);
		nonce[0] |= 0x80; /* exactly nonce_len bytes */
		bn = BN_bin2bn(nonce, o->nonce_len, NULL);
		BN_set_negative(bn, o->nonce_neg);
		assert_non_null(BN_to_ASN1_INTEGER(bn, i));
		assert_true(TS_REQ_set_nonce(req, i));
		BN_free(bn);
		ASN1_INTEGER_free(i);
	}
	if (o->policy != NULL) {
		ASN1_OBJECT *p = OBJ_txt2obj(o->policy, 1);

		assert_non_null(p);
		assert_true(TS_REQ_set_policy_id(req, p));
		ASN1_OBJECT_free(p);
	}
	if (o->with_ext) {
		ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
		X509_EXTENSION *e;

		assert_true(ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00", 2));
		e = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce, 0,
						 v);
		assert_true(TS_REQ_add_ext(req, e, -1));
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(v);
	}
	n = i2d_TS_REQ(req, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	X509_ALGOR_free(alg);
	TS_MSG_IMPRINT_free(mi);
	if (out != NULL)
		*out = req;
	else
		TS_REQ_free(req);
	return der;
}

static TS_RESP *tsr_decode(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	TS_RESP *r = d2i_TS_RESP(NULL, &p, (long)len);

	assert_non_null(r);
	assert_ptr_equal(p, der + len);
	return r;
}

static long tsr_status(TS_RESP *r)
{
	return ASN1_INTEGER_get(
		TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(r)));
}

/* TS_RESP_verify_response with the request's checks, the CA as anchor. */
static int tsr_verify(TS_REQ *req, TS_RESP *resp, X509 *untrusted)
{
	TS_VERIFY_CTX *v = TS_REQ_to_TS_VERIFY_CTX(req, NULL);
	X509_STORE *store = X509_STORE_new();
	int ok;

	assert_non_null(v);
	assert_true(X509_STORE_add_cert(store, ca));
	TS_VERIFY_CTX_add_flags(v, TS_VFY_SIGNATURE);
	TS_VERIFY_CTX_set_store(v, store); /* v owns it (OpenSSL 3.0) */
	if (untrusted != NULL) {
		STACK_OF(X509) *sk = sk_X509_new_null();

		assert_true(sk_X509_push(sk, X509_dup(untrusted)));
		TS_VERIFY_CTX_set_certs(v, sk);
	}
	ok = TS_RESP_verify_response(v, resp);
	TS_VERIFY_CTX_free(v);
	ERR_clear_error();
	return ok;
}

static const uint8_t tsa_serial[] = { 0x01, 0x23, 0x45, 0x67, 0x89 };

static void test_tsq_parse_then_respond_verifies(void **state)
{
	const EVP_MD *mds[3] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	struct pki_tsq q, kq;
	uint8_t wire[sizeof(q)], *der, *resp = NULL;
	size_t len, rlen = 0;
	int64_t now = esd_now();

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct tsq_opts o = { mds[i], -1, 8 + (int)i * 12, (int)i == 1, 1,
				      i == 2 ? POLICY : NULL, 0, 0 };
		TS_REQ *req = NULL;
		TS_RESP *r;
		TS_TST_INFO *tst;
		const ASN1_INTEGER *sn;

		der = tsq_make(&o, &len, &req);
		assert_int_equal(pki_tsq_parse(der, len, &q, NULL), 0);
		assert_int_equal(q.md_nid, EVP_MD_get_type(mds[i]));
		assert_int_equal(q.imprint_len, (size_t)EVP_MD_get_size(mds[i]));
		assert_memory_equal(q.imprint,
				    ASN1_STRING_get0_data(TS_MSG_IMPRINT_get_msg(
					    TS_REQ_get_msg_imprint(req))),
				    q.imprint_len);
		assert_int_equal(q.has_nonce, 1);
		assert_int_equal(q.nonce_len, (size_t)o.nonce_len);
		assert_int_equal(q.nonce_neg, o.nonce_neg);
		assert_int_equal(q.cert_req, 1);
		assert_string_equal(q.policy, i == 2 ? POLICY : "");
		memcpy(wire, &q, sizeof(q));
		memcpy(&kq, wire, sizeof(kq));
		assert_int_equal(pki_tsa_respond(&kq, tsa_cert, tsa_key, NULL,
						 POLICY, tsa_serial,
						 sizeof(tsa_serial), now, &resp,
						 &rlen), 0);
		r = tsr_decode(resp, rlen);
		assert_int_equal(tsr_status(r), TS_STATUS_GRANTED);
		assert_int_equal(tsr_verify(req, r, NULL), 1);
		tst = TS_RESP_get_tst_info(r);
		assert_int_equal(ASN1_TIME_cmp_time_t(TS_TST_INFO_get_time(tst),
						      (time_t)now), 0);
		assert_int_equal(ASN1_INTEGER_get(TS_ACCURACY_get_seconds(
					 TS_TST_INFO_get_accuracy(tst))), 1);
		assert_int_equal(TS_TST_INFO_get_ordering(tst), 0);
		sn = TS_TST_INFO_get_serial(tst);
		assert_int_equal(ASN1_INTEGER_get(sn), 0x0123456789L);
		assert_int_equal(ASN1_INTEGER_cmp(TS_TST_INFO_get_nonce(tst),
						  TS_REQ_get_nonce(req)), 0);
		TS_RESP_free(r);
		OPENSSL_free(resp);
		resp = NULL;
		TS_REQ_free(req);
		OPENSSL_free(der);
	}
}

static void test_tsq_parse_refuses_malformed_requests(void **state)
{
	struct tsq_opts o = { EVP_sha256(), -1, 8, 0, 1, NULL, 0, 0 };
	struct pki_tsq q;
	uint8_t *der;
	size_t len;
	int fail;
	char policy[80];

	(void)state;
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len - 1, &q, &fail), ESD_EINVAL);
	assert_int_equal(fail, PKI_TS_BAD_REQUEST);
	assert_int_equal(pki_tsq_parse(der, 5, &q, NULL), ESD_EINVAL);
	assert_int_equal(pki_tsq_parse(der, 0, &q, NULL), ESD_EINVAL);
	OPENSSL_free(der);

	o.imprint_len = 20; /* a SHA-1 length under SHA-256 */
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len, &q, &fail), ESD_EINVAL);
	assert_int_equal(fail, PKI_TS_BAD_DATA_FORMAT);
	OPENSSL_free(der);
	o.imprint_len = -1;

	o.nonce_len = 33;
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len, &q, &fail), ESD_EINVAL);
	OPENSSL_free(der);
	o.nonce_len = 32;
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len, &q, &fail), 0);
	OPENSSL_free(der);
	o.nonce_len = 8;

	o.md = EVP_sha1();
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len, &q, &fail), ESD_EUNSUPP);
	assert_int_equal(fail, PKI_TS_BAD_ALG);
	OPENSSL_free(der);
	o.md = EVP_sha256();

	o.with_ext = 1;
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len, &q, &fail), ESD_EUNSUPP);
	assert_int_equal(fail, PKI_TS_UNACCEPTED_EXTENSION);
	OPENSSL_free(der);
	o.with_ext = 0;

	o.version = 2;
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len, &q, NULL), ESD_EINVAL);
	OPENSSL_free(der);
	o.version = 0;

	/* 65 characters of dotted OID */
	strcpy(policy, "1.3.6.1.4.1.99999");
	while (strlen(policy) < 65)
		strcat(policy, ".1");
	policy[65] = '\0';
	if (policy[64] == '.')
		policy[64] = '2';
	o.policy = policy;
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len, &q, NULL), ESD_EINVAL);
	OPENSSL_free(der);
	policy[64] = '\0';
	if (policy[63] == '.')
		policy[63] = '\0';
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len, &q, NULL), 0);
	assert_string_equal(q.policy, policy);
	OPENSSL_free(der);
}

static void test_tsa_rejects_other_policy(void **state)
{
	struct tsq_opts o = { EVP_sha256(), -1, 8, 0, 1, "1.2.3.4", 0, 0 };
	struct pki_tsq q;
	uint8_t *der, *resp = NULL, *tok = NULL;
	size_t len, rlen = 0, tlen = 0;
	TS_RESP *r;

	(void)state;
	der = tsq_make(&o, &len, NULL);
	assert_int_equal(pki_tsq_parse(der, len, &q, NULL), 0);
	assert_int_equal(pki_tsa_respond(&q, tsa_cert, tsa_key, NULL, POLICY,
					 tsa_serial, sizeof(tsa_serial),
					 esd_now(), &resp, &rlen), 0);
	r = tsr_decode(resp, rlen);
	assert_int_equal(tsr_status(r), TS_STATUS_REJECTION);
	assert_int_equal(ASN1_BIT_STRING_get_bit(
				 TS_STATUS_INFO_get0_failure_info(
					 TS_RESP_get_status_info(r)),
				 TS_INFO_UNACCEPTED_POLICY), 1);
	assert_null(TS_RESP_get_token(r));
	assert_int_equal(pki_tst_from_resp(resp, rlen, &tok, &tlen), ESD_EPERM);
	TS_RESP_free(r);
	OPENSSL_free(resp);
	OPENSSL_free(der);
}

static void test_tsa_respond_refuses_bad_inputs(void **state)
{
	struct pki_tsq q, bad;
	uint8_t digest[32] = { 1 }, *resp = NULL;
	size_t rlen = 0;
	int64_t now = esd_now();

	(void)state;
	assert_int_equal(pki_tsq_build(EVP_sha256(), digest, 32, NULL, 0, &q), 0);
	/* not a TSA certificate (no critical timeStamping EKU) */
	assert_int_equal(pki_tsa_respond(&q, ocsp_cert, ocsp_key, NULL, POLICY,
					 tsa_serial, sizeof(tsa_serial), now,
					 &resp, &rlen), ESD_EINVAL);
	assert_int_equal(pki_tsa_respond(&q, tsa_cert, tsa_key, NULL, "x.y",
					 tsa_serial, sizeof(tsa_serial), now,
					 &resp, &rlen), ESD_EINVAL);
	assert_int_equal(pki_tsa_respond(&q, tsa_cert, tsa_key, NULL, POLICY,
					 (const uint8_t *)"\0\1", 2, now, &resp,
					 &rlen), ESD_EINVAL);
	bad = q;
	bad.imprint_len = 31;
	assert_int_equal(pki_tsa_respond(&bad, tsa_cert, tsa_key, NULL, POLICY,
					 tsa_serial, sizeof(tsa_serial), now,
					 &resp, &rlen), ESD_EINVAL);
	bad = q;
	bad.has_nonce = 1;
	bad.nonce_len = 33;
	assert_int_equal(pki_tsa_respond(&bad, tsa_cert, tsa_key, NULL, POLICY,
					 tsa_serial, sizeof(tsa_serial), now,
					 &resp, &rlen), ESD_EINVAL);
	bad = q;
	memset(bad.policy, '1', sizeof(bad.policy));
	assert_int_equal(pki_tsa_respond(&bad, tsa_cert, tsa_key, NULL, POLICY,
					 tsa_serial, sizeof(tsa_serial), now,
					 &resp, &rlen), ESD_EINVAL);
	bad = q;
	bad.md_nid = NID_sha1;
	bad.imprint_len = 20;
	assert_int_equal(pki_tsa_respond(&bad, tsa_cert, tsa_key, NULL, POLICY,
					 tsa_serial, sizeof(tsa_serial), now,
					 &resp, &rlen), ESD_EINVAL);
	assert_null(resp);
	assert_int_equal(pki_tsq_build(EVP_sha256(), digest, 20, NULL, 0, &q),
			 ESD_EINVAL);
	assert_int_equal(pki_tsq_build(EVP_sha1(), digest, 20, NULL, 0, &q),
			 ESD_EUNSUPP);
}

static void test_tsq_build_stamps_a_digest_and_token_extracts(void **state)
{
	uint8_t digest[48], nonce[12] = { 0, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	struct pki_tsq q;
	uint8_t *resp = NULL, *tok = NULL;
	size_t rlen = 0, tlen = 0;
	const unsigned char *p;
	TS_RESP *r;
	TS_VERIFY_CTX *v;
	X509_STORE *store = X509_STORE_new();
	PKCS7 *p7;
	BIGNUM *bn;
	ASN1_INTEGER *want;

	(void)state;
	assert_int_equal(esd_random(digest, sizeof(digest)), 0);
	assert_int_equal(pki_tsq_build(EVP_sha384(), digest, sizeof(digest),
				       nonce, sizeof(nonce), &q), 0);
	assert_int_equal(q.nonce_len, 10); /* leading zeros dropped */
	assert_int_equal(pki_tsa_respond(&q, tsa_cert, tsa_key, NULL, POLICY,
					 tsa_serial, sizeof(tsa_serial),
					 esd_now(), &resp, &rlen), 0);
	r = tsr_decode(resp, rlen);
	assert_int_equal(tsr_status(r), TS_STATUS_GRANTED);

	v = TS_VERIFY_CTX_new();
	assert_true(X509_STORE_add_cert(store, ca));
	TS_VERIFY_CTX_set_store(v, store);
	TS_VERIFY_CTX_set_flags(v, TS_VFY_VERSION | TS_VFY_SIGNATURE |
				   TS_VFY_IMPRINT);
	assert_non_null(TS_VERIFY_CTX_set_imprint(v, OPENSSL_memdup(digest, 48),
						  48));
	assert_int_equal(TS_RESP_verify_response(v, r), 1);
	TS_VERIFY_CTX_free(v);
	bn = BN_bin2bn(nonce, sizeof(nonce), NULL);
	want = BN_to_ASN1_INTEGER(bn, NULL); /* no TS_VERIFY_CTX setter */
	assert_int_equal(ASN1_INTEGER_cmp(want, TS_TST_INFO_get_nonce(
						  TS_RESP_get_tst_info(r))), 0);
	ASN1_INTEGER_free(want);
	BN_free(bn);

	assert_int_equal(pki_tst_from_resp(resp, rlen, &tok, &tlen), 0);
	p = tok;
	p7 = d2i_PKCS7(NULL, &p, (long)tlen);
	assert_non_null(p7);
	assert_ptr_equal(p, tok + tlen);
	assert_true(PKCS7_type_is_signed(p7));
	PKCS7_free(p7);
	assert_int_equal(pki_tst_from_resp(resp, rlen - 1, &tok, &tlen),
			 ESD_EINVAL);
	assert_int_equal(pki_tst_from_resp(resp, 0, &tok, &tlen), ESD_EINVAL);
	OPENSSL_free(tok);
	TS_RESP_free(r);
	OPENSSL_free(resp);
}

static void test_tsa_without_cert_req_needs_untrusted_cert(void **state)
{
	struct tsq_opts o = { EVP_sha256(), -1, 0, 0, 0, NULL, 0, 0 };
	struct pki_tsq q;
	TS_REQ *req = NULL;
	uint8_t *der, *resp = NULL;
	size_t len, rlen = 0;
	TS_RESP *r;

	(void)state;
	der = tsq_make(&o, &len, &req);
	assert_int_equal(pki_tsq_parse(der, len, &q, NULL), 0);
	assert_int_equal(q.has_nonce, 0);
	assert_int_equal(q.cert_req, 0);
	assert_int_equal(pki_tsa_respond(&q, tsa_cert, tsa_key, NULL, POLICY,
					 tsa_serial, sizeof(tsa_serial),
					 esd_now(), &resp, &rlen), 0);
	r = tsr_decode(resp, rlen);
	assert_int_equal(tsr_verify(req, r, NULL), 0);
	assert_int_equal(tsr_verify(req, r, tsa_cert), 1);
	TS_RESP_free(r);
	OPENSSL_free(resp);
	TS_REQ_free(req);
	OPENSSL_free(der);
}

static void test_tsa_error_response_carries_failure(void **state)
{
	uint8_t *der = NULL;
	size_t len = 0;
	TS_RESP *r;

	(void)state;
	assert_int_equal(pki_tsa_error_response(PKI_TS_BAD_ALG, &der, &len), 0);
	r = tsr_decode(der, len);
	assert_int_equal(tsr_status(r), TS_STATUS_REJECTION);
	assert_int_equal(ASN1_BIT_STRING_get_bit(
				 TS_STATUS_INFO_get0_failure_info(
					 TS_RESP_get_status_info(r)),
				 TS_INFO_BAD_ALG), 1);
	assert_null(TS_RESP_get_token(r));
	TS_RESP_free(r);
	OPENSSL_free(der);
	assert_int_equal(pki_tsa_error_response(3, &der, &len), ESD_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tsq_parse_then_respond_verifies),
		cmocka_unit_test(test_tsq_parse_refuses_malformed_requests),
		cmocka_unit_test(test_tsa_rejects_other_policy),
		cmocka_unit_test(test_tsa_respond_refuses_bad_inputs),
		cmocka_unit_test(test_tsq_build_stamps_a_digest_and_token_extracts),
		cmocka_unit_test(test_tsa_without_cert_req_needs_untrusted_cert),
		cmocka_unit_test(test_tsa_error_response_carries_failure),
	};

	return cmocka_run_group_tests(tests, pkisvc_setup, pkisvc_teardown);
}
