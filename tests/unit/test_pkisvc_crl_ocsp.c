/*
 * Unit tests for pki/crl.c and pki/ocsp.c: requests made with OpenSSL's
 * own APIs, parsed by the front functions, copied as bytes (the IPC),
 * answered by the keeper functions and checked with X509_CRL_verify and
 * OCSP_basic_verify. Software keys (pkisvc_fixture.c).
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

/* ---- CRL ---- */

static void test_crl_reason_names_round_trip(void **state)
{
	int r = -2;

	(void)state;
	for (int i = 0; i <= 10; i++) {
		const char *n = pki_crl_reason_name(i);

		if (i == 7) {
			assert_null(n);
			continue;
		}
		assert_non_null(n);
		assert_int_equal(pki_crl_reason_parse(n, &r), 0);
		assert_int_equal(r, i);
	}
	assert_string_equal(pki_crl_reason_name(1), "keyCompromise");
	assert_string_equal(pki_crl_reason_name(10), "aACompromise");
	assert_int_equal(pki_crl_reason_parse("KEYCOMPROMISE", &r), 0);
	assert_int_equal(r, PKI_REASON_KEY_COMPROMISE);
	assert_null(pki_crl_reason_name(-1));
	assert_null(pki_crl_reason_name(11));
	assert_int_equal(pki_crl_reason_parse("", &r), ESD_EINVAL);
	assert_int_equal(pki_crl_reason_parse("keyCompromised", &r), ESD_EINVAL);
	assert_int_equal(pki_crl_reason_parse(NULL, &r), ESD_EINVAL);
}

static X509_CRL *crl_decode(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);

	assert_non_null(crl);
	assert_ptr_equal(p, der + len);
	return crl;
}

static int entry_reason(X509_REVOKED *rv)
{
	int crit = 0;
	ASN1_ENUMERATED *e = X509_REVOKED_get_ext_d2i(rv, NID_crl_reason,
						      &crit, NULL);
	int r = e ? (int)ASN1_ENUMERATED_get(e) : -1;

	ASN1_ENUMERATED_free(e);
	return r;
}

static void test_crl_issue_verifies_with_sorted_entries(void **state)
{
	struct pki_revoked rev[3] = {
		{ { 0x50, 0x01 }, 2, 1700000000, PKI_REASON_KEY_COMPROMISE },
		{ { 0x10 }, 1, 1700000100, PKI_REASON_NONE },
		{ { 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		    9 }, 20, 1700000200, PKI_REASON_UNSPECIFIED },
	};
	uint8_t *der = NULL;
	size_t len = 0;
	X509_CRL *crl;
	STACK_OF(X509_REVOKED) *sk;
	ASN1_INTEGER *num;
	AUTHORITY_KEYID *akid;
	int crit = -1;

	(void)state;
	assert_int_equal(pki_crl_issue(ca, ca_key, rev, 3, 1700000300,
				       1700086700, 1234567890123ULL, &der,
				       &len), 0);
	crl = crl_decode(der, len);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(ca)), 1);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	assert_int_equal(X509_CRL_get_signature_nid(crl), NID_ecdsa_with_SHA256);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(crl),
				       X509_get_subject_name(ca)), 0);
	num = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	assert_non_null(num);
	assert_int_equal(crit, 0);
	assert_int_equal(ASN1_INTEGER_get(num), 1234567890123L);
	ASN1_INTEGER_free(num);
	akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit,
				    NULL);
	assert_non_null(akid);
	assert_int_equal(ASN1_OCTET_STRING_cmp(akid->keyid,
					       X509_get0_subject_key_id(ca)), 0);
	AUTHORITY_KEYID_free(akid);

	sk = X509_CRL_get_REVOKED(crl);
	assert_int_equal(sk_X509_REVOKED_num(sk), 3);
	/* sorted by serial: 0x10, 0x5001, 0x30...09 */
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(
				 sk_X509_REVOKED_value(sk, 0))), 0x10);
	assert_int_equal(entry_reason(sk_X509_REVOKED_value(sk, 0)), -1);
	assert_int_equal(ASN1_INTEGER_get(X509_REVOKED_get0_serialNumber(
				 sk_X509_REVOKED_value(sk, 1))), 0x5001);
	assert_int_equal(entry_reason(sk_X509_REVOKED_value(sk, 1)), 1);
	assert_int_equal(ASN1_STRING_length(X509_REVOKED_get0_serialNumber(
				 sk_X509_REVOKED_value(sk, 2))), 20);
	/* unspecified: no reasonCode (RFC 5280 §5.3.1) */
	assert_int_equal(entry_reason(sk_X509_REVOKED_value(sk, 2)), -1);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_REVOKED_get0_revocationDate(
				 sk_X509_REVOKED_value(sk, 1)), 1700000000), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(crl),
					      1700000300), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(crl),
					      1700086700), 0);
	X509_CRL_free(crl);
	OPENSSL_free(der);
}

static void test_crl_issue_rsa_key_signs_sha256_rsa(void **state)
{
	uint8_t *der = NULL;
	size_t len = 0;
	X509_CRL *crl;

	(void)state;
	assert_int_equal(pki_crl_issue(rsa_ca, rsa_key, NULL, 0, 1700000000,
				       1700003600, 1, &der, &len), 0);
	crl = crl_decode(der, len);
	assert_int_equal(X509_CRL_verify(crl, X509_get0_pubkey(rsa_ca)), 1);
	assert_int_equal(X509_CRL_get_signature_nid(crl),
			 NID_sha256WithRSAEncryption);
	assert_null(X509_CRL_get_REVOKED(crl));
	X509_CRL_free(crl);
	OPENSSL_free(der);
}

static void test_crl_issue_refuses_bad_entries(void **state)
{
	struct pki_revoked r = { { 1 }, 1, 1700000000, 1 }, two[2];
	uint8_t *der = NULL;
	size_t len = 0;
	int bad_reasons[] = { 7, 8, 11, -2 };

	(void)state;
	r.serial_len = 0;
	assert_int_equal(pki_crl_issue(ca, ca_key, &r, 1, 1, 2, 1, &der, &len),
			 ESD_EINVAL);
	r.serial_len = 21;
	assert_int_equal(pki_crl_issue(ca, ca_key, &r, 1, 1, 2, 1, &der, &len),
			 ESD_EINVAL);
	r.serial_len = 1;
	for (size_t i = 0; i < ESD_ARRAY_LEN(bad_reasons); i++) {
		r.reason = bad_reasons[i];
		assert_int_equal(pki_crl_issue(ca, ca_key, &r, 1, 1, 2, 1, &der,
					       &len), ESD_EINVAL);
	}
	r.reason = 1;
	assert_int_equal(pki_crl_issue(ca, ca_key, &r, 1, 2, 2, 1, &der, &len),
			 ESD_EINVAL);
	two[0] = r;
	two[1] = r;
	two[1].reason = PKI_REASON_SUPERSEDED;
	assert_int_equal(pki_crl_issue(ca, ca_key, two, 2, 1, 2, 1, &der, &len),
			 ESD_EINVAL);
	assert_int_equal(pki_crl_issue(ca, ca_key, NULL, 1, 1, 2, 1, &der, &len),
			 ESD_EINVAL);
	assert_null(der);
}

/* ---- OCSP ---- */

/* An OCSPRequest for certs (and extra serials), in DER; *reqp keeps the
 * request for nonce checks if not NULL. */
static uint8_t *ocsp_req(const EVP_MD *md, X509 **certs, int ncerts,
			 int nserials, int nonce_len, size_t *len,
			 OCSP_REQUEST **reqp)
{
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	int n;

	assert_non_null(req);
	for (int i = 0; i < ncerts; i++)
		assert_non_null(OCSP_request_add0_id(
			req, OCSP_cert_to_id(md, certs[i], ca)));
	for (int i = 0; i < nserials; i++) {
		ASN1_INTEGER *s = ASN1_INTEGER_new();

		assert_true(ASN1_INTEGER_set(s, 1000 + i));
		assert_non_null(OCSP_request_add0_id(
			req, OCSP_cert_id_new(md, X509_get_subject_name(ca),
					      X509_get0_pubkey_bitstr(ca), s)));
		ASN1_INTEGER_free(s);
	}
	if (nonce_len > 0)
		assert_int_equal(OCSP_request_add1_nonce(req, NULL, nonce_len), 1);
	n = i2d_OCSP_REQUEST(req, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	if (reqp != NULL)
		*reqp = req;
	else
		OCSP_REQUEST_free(req);
	return der;
}

static void test_ocsp_parse_extracts_cert_ids_and_nonce(void **state)
{
	X509 *certs[2] = { leaf, leaf2 };
	OCSP_REQUEST *req = NULL;
	struct pki_ocsp_query q;
	size_t len;
	uint8_t *der = ocsp_req(EVP_sha256(), certs, 2, 1, 32, &len, &req);
	ASN1_OCTET_STRING *nh, *kh;
	ASN1_INTEGER *serial;
	X509_EXTENSION *ext;

	(void)state;
	assert_int_equal(pki_ocsp_parse(der, len, &q), 0);
	assert_int_equal(q.n, 3);
	for (size_t i = 0; i < 3; i++) {
		OCSP_CERTID *cid = OCSP_onereq_get0_id(
			OCSP_request_onereq_get0(req, (int)i));

		assert_true(OCSP_id_get0_info(&nh, NULL, &kh, &serial, cid));
		assert_int_equal(q.single[i].hash_nid, NID_sha256);
		assert_int_equal(q.single[i].hash_params_null, 1);
		assert_int_equal(q.single[i].hash_len, 32);
		assert_memory_equal(q.single[i].name_hash,
				    ASN1_STRING_get0_data(nh), 32);
		assert_memory_equal(q.single[i].key_hash,
				    ASN1_STRING_get0_data(kh), 32);
		assert_int_equal(q.single[i].serial_len,
				 (size_t)ASN1_STRING_length(serial));
		assert_memory_equal(q.single[i].serial,
				    ASN1_STRING_get0_data(serial),
				    q.single[i].serial_len);
		assert_int_equal(pki_ocsp_id_matches_issuer(&q.single[i], ca), 1);
		assert_int_equal(pki_ocsp_id_matches_issuer(&q.single[i], rsa_ca),
				 0);
	}
	assert_int_equal(q.single[2].serial_len, 2); /* 1002 = 0x03ea */
	assert_int_equal(q.single[2].serial[0], 0x03);
	ext = OCSP_REQUEST_get_ext(req, OCSP_REQUEST_get_ext_by_NID(
						  req, NID_id_pkix_OCSP_Nonce, -1));
	assert_int_equal(q.nonce_len, 34);
	assert_memory_equal(q.nonce,
			    ASN1_STRING_get0_data(X509_EXTENSION_get_data(ext)),
			    34);
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);

	der = ocsp_req(EVP_sha1(), certs, 1, 0, 0, &len, NULL);
	assert_int_equal(pki_ocsp_parse(der, len, &q), 0);
	assert_int_equal(q.n, 1);
	assert_int_equal(q.single[0].hash_nid, NID_sha1);
	assert_int_equal(q.single[0].hash_len, 20);
	assert_int_equal(q.nonce_len, 0);
	assert_int_equal(pki_ocsp_id_matches_issuer(&q.single[0], ca), 1);
	OPENSSL_free(der);
}

static void test_ocsp_parse_refuses_malformed_requests(void **state)
{
	X509 *certs[1] = { leaf };
	struct pki_ocsp_query q;
	uint8_t *der, *big;
	size_t len;

	(void)state;
	der = ocsp_req(EVP_sha256(), certs, 1, 0, 16, &len, NULL);
	assert_int_equal(pki_ocsp_parse(der, len - 1, &q), ESD_EINVAL);
	assert_int_equal(pki_ocsp_parse(der, len / 2, &q), ESD_EINVAL);
	assert_int_equal(pki_ocsp_parse(der, 0, &q), ESD_EINVAL);
	assert_int_equal(pki_ocsp_parse(NULL, 10, &q), ESD_EINVAL);
	big = malloc(len + 1);
	assert_non_null(big);
	memcpy(big, der, len);
	big[len] = 0;
	assert_int_equal(pki_ocsp_parse(big, len + 1, &q), ESD_EINVAL);
	assert_int_equal(q.n, 0); /* left zeroed */
	free(big);
	OPENSSL_free(der);

	der = ocsp_req(EVP_sha256(), NULL, 0, 8, 0, &len, NULL);
	assert_int_equal(pki_ocsp_parse(der, len, &q), 0);
	assert_int_equal(q.n, 8);
	OPENSSL_free(der);
	der = ocsp_req(EVP_sha256(), NULL, 0, 9, 0, &len, NULL);
	assert_int_equal(pki_ocsp_parse(der, len, &q), ESD_EINVAL);
	OPENSSL_free(der);
	der = ocsp_req(EVP_sha256(), NULL, 0, 0, 16, &len, NULL);
	assert_int_equal(pki_ocsp_parse(der, len, &q), ESD_EINVAL); /* none */
	OPENSSL_free(der);

	der = ocsp_req(EVP_sha256(), certs, 1, 0, 33, &len, NULL);
	assert_int_equal(pki_ocsp_parse(der, len, &q), ESD_EINVAL);
	OPENSSL_free(der);
	der = ocsp_req(EVP_sha384(), certs, 1, 0, 16, &len, NULL);
	assert_int_equal(pki_ocsp_parse(der, len, &q), ESD_EUNSUPP);
	OPENSSL_free(der);
	der = ocsp_req(EVP_md5(), certs, 1, 0, 0, &len, NULL);
	assert_int_equal(pki_ocsp_parse(der, len, &q), ESD_EUNSUPP);
	OPENSSL_free(der);
}

static void test_ocsp_parse_refuses_critical_unknown_extension(void **state)
{
	X509 *certs[1] = { leaf };
	OCSP_REQUEST *req = NULL;
	struct pki_ocsp_query q;
	unsigned char *der2 = NULL;
	size_t len;
	uint8_t *der = ocsp_req(EVP_sha256(), certs, 1, 0, 0, &len, &req);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;
	int n;

	(void)state;
	assert_true(ASN1_OCTET_STRING_set(v, (const unsigned char *)"\x05\x00",
					  2));
	e = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_serviceLocator,
					 1, v);
	assert_non_null(e);
	assert_true(OCSP_REQUEST_add_ext(req, e, -1));
	n = i2d_OCSP_REQUEST(req, &der2);
	assert_true(n > 0);
	assert_int_equal(pki_ocsp_parse(der2, (size_t)n, &q), ESD_EUNSUPP);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	OPENSSL_free(der2);
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);
}

static OCSP_BASICRESP *ocsp_decode_basic(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	OCSP_BASICRESP *bs;

	assert_non_null(resp);
	assert_ptr_equal(p, der + len);
	assert_int_equal(OCSP_response_status(resp),
			 OCSP_RESPONSE_STATUS_SUCCESSFUL);
	bs = OCSP_response_get1_basic(resp);
	assert_non_null(bs);
	OCSP_RESPONSE_free(resp);
	return bs;
}

static void test_ocsp_respond_round_trip_verifies(void **state)
{
	X509 *certs[2] = { leaf, leaf2 };
	OCSP_REQUEST *req = NULL;
	struct pki_ocsp_query q, kq;
	struct pki_ocsp_status st[3] = {
		{ PKI_OCSP_GOOD, 0, 0 },
		{ PKI_OCSP_REVOKED, 1700000000, PKI_REASON_CA_COMPROMISE },
		{ PKI_OCSP_UNKNOWN, 0, 0 },
	};
	uint8_t wire[sizeof(q)], *der, *resp = NULL;
	size_t len, rlen = 0;
	OCSP_BASICRESP *bs;
	X509_STORE *store = X509_STORE_new();
	int64_t now = esd_now();
	int status, reason;
	ASN1_GENERALIZEDTIME *rev, *thisupd, *nextupd;

	(void)state;
	der = ocsp_req(EVP_sha1(), certs, 2, 1, 16, &len, &req);
	assert_int_equal(pki_ocsp_parse(der, len, &q), 0);
	memcpy(wire, &q, sizeof(q));
	memcpy(&kq, wire, sizeof(kq));
	assert_int_equal(pki_ocsp_respond(&kq, st, ca, ocsp_cert, ocsp_key, now,
					  now + 3600, &resp, &rlen), 0);
	bs = ocsp_decode_basic(resp, rlen);
	assert_int_equal(OCSP_check_nonce(req, bs), 1);
	assert_true(X509_STORE_add_cert(store, ca));
	assert_int_equal(OCSP_basic_verify(bs, NULL, store, 0), 1);
	assert_int_equal(OCSP_resp_count(bs), 3);
	for (int i = 0; i < 3; i++) {
		OCSP_CERTID *cid = OCSP_onereq_get0_id(
			OCSP_request_onereq_get0(req, i));

		assert_int_equal(OCSP_resp_find_status(bs, cid, &status,
						       &reason, &rev, &thisupd,
						       &nextupd), 1);
		assert_int_equal(status, st[i].status);
		assert_int_equal(OCSP_check_validity(thisupd, nextupd, 300, -1),
				 1);
		if (st[i].status == PKI_OCSP_REVOKED) {
			assert_int_equal(reason, PKI_REASON_CA_COMPROMISE);
			assert_int_equal(ASN1_TIME_cmp_time_t(rev, 1700000000), 0);
		}
	}
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(resp);
	X509_STORE_free(store);
	OCSP_REQUEST_free(req);
	OPENSSL_free(der);
}

static void test_ocsp_respond_refuses_what_it_cannot_vouch_for(void **state)
{
	X509 *certs[1] = { leaf };
	struct pki_ocsp_query q, bad;
	struct pki_ocsp_status good = { PKI_OCSP_GOOD, 0, 0 };
	struct pki_ocsp_status unknown = { PKI_OCSP_UNKNOWN, 0, 0 };
	struct pki_ocsp_status weird = { 3, 0, 0 };
	uint8_t *der, *resp = NULL;
	size_t len, rlen = 0;
	int64_t now = esd_now();

	(void)state;
	der = ocsp_req(EVP_sha256(), certs, 1, 0, 0, &len, NULL);
	assert_int_equal(pki_ocsp_parse(der, len, &q), 0);
	/* a CertID of another issuer: good is a lie, unknown is fine */
	assert_int_equal(pki_ocsp_respond(&q, &good, rsa_ca, rsa_ca, rsa_key,
					  now, 0, &resp, &rlen), ESD_EINVAL);
	assert_int_equal(pki_ocsp_respond(&q, &unknown, rsa_ca, rsa_ca, rsa_key,
					  now, 0, &resp, &rlen), 0);
	OPENSSL_free(resp);
	resp = NULL;
	/* a signer that is neither the CA nor its OCSP delegate */
	assert_int_equal(pki_ocsp_respond(&q, &good, ca, tsa_cert, tsa_key, now,
					  0, &resp, &rlen), ESD_EINVAL);
	assert_int_equal(pki_ocsp_respond(&q, &weird, ca, ca, ca_key, now, 0,
					  &resp, &rlen), ESD_EINVAL);
	/* the keeper checks the struct the front sent */
	bad = q;
	bad.n = 9;
	assert_int_equal(pki_ocsp_respond(&bad, &good, ca, ca, ca_key, now, 0,
					  &resp, &rlen), ESD_EINVAL);
	bad = q;
	bad.single[0].hash_len = 33;
	assert_int_equal(pki_ocsp_respond(&bad, &good, ca, ca, ca_key, now, 0,
					  &resp, &rlen), ESD_EINVAL);
	bad = q;
	bad.single[0].serial_len = 21;
	assert_int_equal(pki_ocsp_respond(&bad, &good, ca, ca, ca_key, now, 0,
					  &resp, &rlen), ESD_EINVAL);
	bad = q;
	bad.nonce_len = 35;
	assert_int_equal(pki_ocsp_respond(&bad, &good, ca, ca, ca_key, now, 0,
					  &resp, &rlen), ESD_EINVAL);
	assert_null(resp);
	/* the CA signing its own answers */
	assert_int_equal(pki_ocsp_respond(&q, &good, ca, ca, ca_key, now, 0,
					  &resp, &rlen), 0);
	OPENSSL_free(resp);
	OPENSSL_free(der);
}

/* A CertID without AlgorithmIdentifier parameters and a legacy raw nonce
 * are echoed byte for byte. */
static void test_ocsp_echoes_cert_id_and_nonce_verbatim(void **state)
{
	uint8_t cid_der[58] = { 0x30, 0x38, 0x30, 0x07, 0x06, 0x05, 0x2b, 0x0e,
				0x03, 0x02, 0x1a, 0x04, 0x14 };
	const unsigned char *p = cid_der;
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	OCSP_CERTID *cid;
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;
	unsigned char *der = NULL, *a = NULL, *b = NULL;
	uint8_t *resp = NULL, raw[16];
	struct pki_ocsp_query q;
	struct pki_ocsp_status st = { PKI_OCSP_GOOD, 0, 0 };
	size_t rlen = 0;
	unsigned int n = 0;
	int len, alen, blen;
	OCSP_BASICRESP *bs;

	(void)state;
	/* SEQUENCE { {sha1} nameHash keyHash INTEGER 5 } of ca */
	assert_true(X509_NAME_digest(X509_get_subject_name(ca), EVP_sha1(),
				     cid_der + 13, &n));
	cid_der[33] = 0x04;
	cid_der[34] = 0x14;
	assert_true(EVP_Digest(ASN1_STRING_get0_data(X509_get0_pubkey_bitstr(ca)),
			       (size_t)ASN1_STRING_length(X509_get0_pubkey_bitstr(ca)),
			       cid_der + 35, &n, EVP_sha1(), NULL));
	cid_der[55] = 0x02;
	cid_der[56] = 0x01;
	cid_der[57] = 0x05;
	cid = d2i_OCSP_CERTID(NULL, &p, sizeof(cid_der));
	assert_non_null(cid);
	assert_non_null(OCSP_request_add0_id(req, cid));
	assert_int_equal(esd_random(raw, sizeof(raw)), 0);
	raw[0] = 0x55; /* not an OCTET STRING tag */
	assert_true(ASN1_OCTET_STRING_set(v, raw, sizeof(raw)));
	e = X509_EXTENSION_create_by_NID(NULL, NID_id_pkix_OCSP_Nonce, 0, v);
	assert_true(OCSP_REQUEST_add_ext(req, e, -1));
	len = i2d_OCSP_REQUEST(req, &der);
	assert_true(len > 0);

	assert_int_equal(pki_ocsp_parse(der, (size_t)len, &q), 0);
	assert_int_equal(q.single[0].hash_params_null, 0);
	assert_int_equal(q.nonce_len, sizeof(raw));
	assert_int_equal(pki_ocsp_id_matches_issuer(&q.single[0], ca), 1);
	assert_int_equal(pki_ocsp_respond(&q, &st, ca, ocsp_cert, ocsp_key,
					  esd_now(), 0, &resp, &rlen), 0);
	bs = ocsp_decode_basic(resp, rlen);
	assert_int_equal(OCSP_check_nonce(req, bs), 1);
	alen = i2d_OCSP_CERTID((OCSP_CERTID *)OCSP_SINGLERESP_get0_id(
				       OCSP_resp_get0(bs, 0)), &a);
	blen = i2d_OCSP_CERTID(cid, &b);
	assert_int_equal(alen, sizeof(cid_der));
	assert_int_equal(blen, sizeof(cid_der));
	assert_memory_equal(a, cid_der, sizeof(cid_der));
	assert_memory_equal(b, cid_der, sizeof(cid_der));
	OPENSSL_free(b);
	OPENSSL_free(a);
	OCSP_BASICRESP_free(bs);
	OPENSSL_free(resp);
	OPENSSL_free(der);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	OCSP_REQUEST_free(req);
}

static void test_ocsp_error_response_carries_status(void **state)
{
	uint8_t *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	OCSP_RESPONSE *r;

	(void)state;
	assert_int_equal(pki_ocsp_error_response(PKI_OCSP_MALFORMED_REQUEST,
						 &der, &len), 0);
	p = der;
	r = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
	assert_non_null(r);
	assert_int_equal(OCSP_response_status(r),
			 OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
	assert_null(OCSP_response_get1_basic(r));
	ERR_clear_error();
	OCSP_RESPONSE_free(r);
	OPENSSL_free(der);
	assert_int_equal(pki_ocsp_error_response(0, &der, &len), ESD_EINVAL);
	assert_int_equal(pki_ocsp_error_response(4, &der, &len), ESD_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crl_reason_names_round_trip),
		cmocka_unit_test(test_crl_issue_verifies_with_sorted_entries),
		cmocka_unit_test(test_crl_issue_rsa_key_signs_sha256_rsa),
		cmocka_unit_test(test_crl_issue_refuses_bad_entries),
		cmocka_unit_test(test_ocsp_parse_extracts_cert_ids_and_nonce),
		cmocka_unit_test(test_ocsp_parse_refuses_malformed_requests),
		cmocka_unit_test(test_ocsp_parse_refuses_critical_unknown_extension),
		cmocka_unit_test(test_ocsp_respond_round_trip_verifies),
		cmocka_unit_test(test_ocsp_respond_refuses_what_it_cannot_vouch_for),
		cmocka_unit_test(test_ocsp_echoes_cert_id_and_nonce_verbatim),
		cmocka_unit_test(test_ocsp_error_response_carries_status),
	};

	return cmocka_run_group_tests(tests, pkisvc_setup, pkisvc_teardown);
}
