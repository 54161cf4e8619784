/*
 * pki/cms.c: a key's prepared CMS (pki_cms_tpl_*) gives, for any digest
 * and signature, byte for byte the signed attributes and the CMS that
 * OpenSSL builds the long way (pki_cms_begin ... pki_cms_finish); it
 * refuses values of another length and keys that are not RSA.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/err.h"
#include "pki/cms.h"
#include "pkisvc_fixture.h"

/* The long way, for dg and sig: the signed attributes and the CMS. */
static void long_way(X509 *signer, STACK_OF(X509) *chain, const uint8_t *dg,
		     const uint8_t *sig, size_t siglen, uint8_t **attrs,
		     size_t *alen, uint8_t **der, size_t *dlen)
{
	struct pki_cms *c = NULL;

	assert_int_equal(pki_cms_begin(signer, chain, EVP_sha256(), dg, 32, &c), 0);
	assert_int_equal(pki_cms_signed_attrs(c, attrs, alen), 0);
	assert_int_equal(pki_cms_finish(c, sig, siglen, der, dlen), 0);
	pki_cms_free(c);
}

static void check_chain(STACK_OF(X509) *chain)
{
	struct pki_cms_tpl *t = NULL, *t2;
	uint8_t dg[32], sig[256];

	assert_int_equal(pki_cms_tpl_new(rsa_ca, chain, EVP_sha256(), &t), 0);
	for (int i = 0; i < 20; i++) {
		uint8_t *a1, *a2, *d1, *d2;
		size_t al1, al2, dl1, dl2;

		assert_int_equal(RAND_bytes(dg, sizeof(dg)), 1);
		assert_int_equal(RAND_bytes(sig, sizeof(sig)), 1);
		long_way(rsa_ca, chain, dg, sig, sizeof(sig), &a1, &al1, &d1, &dl1);
		assert_int_equal(pki_cms_tpl_signed_attrs(t, dg, 32, &a2, &al2), 0);
		assert_int_equal(pki_cms_tpl_encode(t, dg, 32, sig, sizeof(sig),
						    &d2, &dl2), 0);
		assert_int_equal(al1, al2);
		assert_memory_equal(a1, a2, al1);
		assert_int_equal(dl1, dl2);
		assert_memory_equal(d1, d2, dl1);
		OPENSSL_free(a1);
		OPENSSL_free(a2);
		OPENSSL_free(d1);
		OPENSSL_free(d2);
	}
	{
		uint8_t *d = NULL;
		size_t dl;

		assert_int_equal(pki_cms_tpl_encode(t, dg, 32, sig, 255, &d, &dl),
				 ESD_EINVAL);
		assert_int_equal(pki_cms_tpl_encode(t, dg, 31, sig, 256, &d, &dl),
				 ESD_EINVAL);
		assert_int_equal(pki_cms_tpl_signed_attrs(t, dg, 48, &d, &dl),
				 ESD_EINVAL);
		assert_null(d);
	}
	t2 = pki_cms_tpl_ref(t);
	pki_cms_tpl_free(t);
	/* still usable through the other reference */
	{
		uint8_t *a;
		size_t al;

		assert_int_equal(pki_cms_tpl_signed_attrs(t2, dg, 32, &a, &al), 0);
		OPENSSL_free(a);
	}
	pki_cms_tpl_free(t2);
}

static void test_template_equals_long_way(void **state)
{
	STACK_OF(X509) *chain = sk_X509_new_null();

	(void)state;
	check_chain(NULL);
	assert_non_null(chain);
	assert_true(sk_X509_push(chain, ca));
	assert_true(sk_X509_push(chain, tsa_cert));
	check_chain(chain);
	sk_X509_free(chain);
}

static void test_template_only_for_rsa(void **state)
{
	struct pki_cms_tpl *t = NULL;

	(void)state;
	assert_int_equal(pki_cms_tpl_new(leaf, NULL, EVP_sha256(), &t),
			 ESD_EUNSUPP);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template_equals_long_way),
		cmocka_unit_test(test_template_only_for_rsa),
	};

	return cmocka_run_group_tests(tests, pkisvc_setup, pkisvc_teardown);
}
