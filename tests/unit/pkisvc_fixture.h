/*
 * Shared fixture of the pki/ service unit tests (test_pkisvc_*.c): a
 * software EC CA, an RSA CA, a delegated OCSP responder, a TSA and two
 * end-entity certificates, made once per test program.
 */
#ifndef ESD_TESTS_PKISVC_FIXTURE_H
#define ESD_TESTS_PKISVC_FIXTURE_H

#include <openssl/evp.h>
#include <openssl/x509.h>

#define POLICY "1.3.6.1.4.1.99999.1.1"

extern EVP_PKEY *ca_key, *rsa_key, *ocsp_key, *tsa_key, *leaf_key;
extern X509 *ca, *rsa_ca, *ocsp_cert, *tsa_cert, *leaf, *leaf2;

/* cmocka group setup and teardown. */
int pkisvc_setup(void **state);
int pkisvc_teardown(void **state);

#endif
