/* The fixture of pkisvc_fixture.h. */
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

EVP_PKEY *ca_key, *rsa_key, *ocsp_key, *tsa_key, *leaf_key;
X509 *ca, *rsa_ca, *ocsp_cert, *tsa_cert, *leaf, *leaf2;

static int add_ext(X509 *x, X509 *issuer, int nid, const char *v)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v);
	ok = e != NULL && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* pki_cert_issue has no OCSP or TSA profile: raw OpenSSL. */
static X509 *issue_ee(EVP_PKEY *key, const char *cn, long serial,
		      const char *eku)
{
	X509 *x = X509_new();

	assert_non_null(x);
	assert_true(X509_set_version(x, X509_VERSION_3));
	assert_true(ASN1_INTEGER_set(X509_get_serialNumber(x), serial));
	assert_true(X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
					       MBSTRING_UTF8,
					       (const unsigned char *)cn, -1,
					       -1, 0));
	assert_true(X509_set_issuer_name(x, X509_get_subject_name(ca)));
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 86400));
	assert_true(X509_set_pubkey(x, key));
	assert_true(add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE"));
	assert_true(add_ext(x, ca, NID_key_usage, "critical,digitalSignature"));
	assert_true(add_ext(x, ca, NID_ext_key_usage, eku));
	assert_true(add_ext(x, ca, NID_authority_key_identifier, "keyid:always"));
	assert_true(X509_sign(x, ca_key, EVP_sha256()) > 0);
	return x;
}

static X509 *issue(enum pki_profile p, const char *subject, EVP_PKEY *pub,
		   X509 *issuer, EVP_PKEY *issuer_key)
{
	struct pki_cert_req r = { 0 };
	X509 *x = NULL;

	r.profile = p;
	r.subject = subject;
	r.pubkey = pub;
	r.issuer = issuer;
	r.issuer_key = issuer_key;
	r.days = 2;
	assert_int_equal(pki_cert_issue(&r, &x), 0);
	return x;
}

int pkisvc_setup(void **state)
{
	(void)state;
	ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	rsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ocsp_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	tsa_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!ca_key || !rsa_key || !ocsp_key || !tsa_key || !leaf_key)
		return -1;
	ca = issue(PKI_PROFILE_ROOT_CA, "/C=ID/O=esignd/CN=Unit CA", ca_key,
		   NULL, ca_key);
	rsa_ca = issue(PKI_PROFILE_ROOT_CA, "/C=ID/O=esignd/CN=Unit RSA CA",
		       rsa_key, NULL, rsa_key);
	leaf = issue(PKI_PROFILE_SEAL, "/C=ID/O=esignd/CN=Leaf", leaf_key, ca,
		     ca_key);
	leaf2 = issue(PKI_PROFILE_SEAL, "/C=ID/O=esignd/CN=Leaf 2", leaf_key,
		      ca, ca_key);
	ocsp_cert = issue_ee(ocsp_key, "Unit OCSP", 7, "OCSPSigning");
	tsa_cert = issue_ee(tsa_key, "Unit TSA", 8, "critical,timeStamping");
	return 0;
}

int pkisvc_teardown(void **state)
{
	(void)state;
	X509_free(leaf2);
	X509_free(leaf);
	X509_free(tsa_cert);
	X509_free(ocsp_cert);
	X509_free(rsa_ca);
	X509_free(ca);
	EVP_PKEY_free(leaf_key);
	EVP_PKEY_free(tsa_key);
	EVP_PKEY_free(ocsp_key);
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(ca_key);
	return 0;
}

