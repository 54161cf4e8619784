/*
 * External CA mode (docs/ra.md "External CA"): a key generated in the
 * token gets its certificate from another CA. The keeper writes a
 * PKCS#10 request signed by the token key; the admin imports the
 * certificate the CA issued, with its chain, and the keeper refuses one
 * whose public key is not the token key's or whose chain does not verify.
 */
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/keeper_int.h"
#include "daemon/keeper_ra.h"
#include "pki/pki.h"
#include "ra/ra.h"

#define CHAIN_MAX 4

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

int op_key_csr(struct keeper *k, struct caller *c, json_t *a, struct reply *r)
{
	EVP_PKEY *pub = NULL, *key = NULL;
	char *pem = NULL;
	int rc;

	rc = hsm_pubkey(k->hsm, str(a, "id"), &pub);
	if (rc == 0)
		rc = hsm_privkey(k->hsm, str(a, "id"), &key);
	if (rc == ESD_ENOTFOUND)
		snprintf(r->msg, sizeof(r->msg), "no key labelled '%.64s'",
			 str(a, "id"));
	if (rc == 0) {
		rc = pki_csr_make(str(a, "subject"), pub, key, &pem);
		if (rc == ESD_EINVAL)
			snprintf(r->msg, sizeof(r->msg), "'subject' must be "
				 "/K=V/K=V..., e.g. /C=ID/O=Agency/CN=Agency CA");
	}
	keeper_audit(k, c, "key.csr", str(a, "id"), rc, NULL);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s}", "key", str(a, "id"), "csr", pem);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	free(pem);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
	return rc;
}

/* Every certificate in a PEM text, at most max. */
static int read_pems(const char *text, X509 **out, size_t max, size_t *n)
{
	BIO *b = BIO_new_mem_buf(text, -1);
	X509 *x;

	*n = 0;
	if (b == NULL)
		return ESD_ENOMEM;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (*n == max) {
			X509_free(x);
			BIO_free(b);
			return ESD_ETOOBIG;
		}
		out[(*n)++] = x;
	}
	ERR_clear_error();
	BIO_free(b);
	return *n > 0 ? 0 : ESD_EINVAL;
}

/* cert verifies up to the last certificate of chain, taken as the
 * trust anchor, now. */
static int chain_ok(X509 *cert, X509 **chain, size_t n, char *msg, size_t cap)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	int ok = 0;

	if (st == NULL || ctx == NULL || untrusted == NULL ||
	    !X509_STORE_add_cert(st, chain[n - 1]))
		goto out;
	for (size_t i = 0; i + 1 < n; i++)
		sk_X509_push(untrusted, chain[i]);
	if (!X509_STORE_CTX_init(ctx, st, cert, untrusted))
		goto out;
	ok = X509_verify_cert(ctx) == 1;
	if (!ok)
		snprintf(msg, cap, "the certificate does not verify with the "
			 "chain given: %s",
			 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	sk_X509_free(untrusted);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	ERR_clear_error();
	return ok;
}

static const char *const import_purposes[] = { "issuing-ca", "seal",
					       "individual", "tsa", "ocsp",
					       NULL };

int op_key_import(struct keeper *k, struct caller *c, json_t *a,
		  struct reply *r)
{
	const char *label = str(a, "id"), *purpose = str(a, "purpose");
	X509 *cert[1] = { NULL }, *chain[CHAIN_MAX] = { NULL };
	EVP_PKEY *pub = NULL;
	struct store_txn *t = NULL;
	json_t *rec = NULL, *arr = NULL;
	char serial[64], *pem = NULL, *subj = NULL;
	size_t n = 0, nc = 0, i;
	int rc;

	for (i = 0; import_purposes[i] != NULL; i++)
		if (strcmp(import_purposes[i], purpose) == 0)
			break;
	if (import_purposes[i] == NULL) {
		snprintf(r->msg, sizeof(r->msg), "'purpose' is issuing-ca, seal, "
			 "individual, tsa or ocsp");
		return ESD_EINVAL;
	}
	if (read_pems(str(a, "cert"), cert, 1, &nc) != 0 ||
	    read_pems(str(a, "chain"), chain, CHAIN_MAX, &n) != 0) {
		snprintf(r->msg, sizeof(r->msg), "'cert' must be one PEM "
			 "certificate, 'chain' 1-%d PEM certificates (issuer "
			 "first, root last)", CHAIN_MAX);
		rc = ESD_EINVAL;
		goto out;
	}
	rc = hsm_pubkey(k->hsm, label, &pub);
	if (rc == ESD_ENOTFOUND)
		snprintf(r->msg, sizeof(r->msg), "no key labelled '%.64s'", label);
	if (rc != 0)
		goto out;
	if (EVP_PKEY_eq(X509_get0_pubkey(cert[0]), pub) != 1) {
		snprintf(r->msg, sizeof(r->msg), "the certificate's public key is "
			 "not the one of key '%.64s'", label);
		rc = ESD_EINVAL;
		goto out;
	}
	if (!chain_ok(cert[0], chain, n, r->msg, sizeof(r->msg))) {
		rc = ESD_EINVAL;
		goto out;
	}
	if (strcmp(purpose, "issuing-ca") == 0 &&
	    (X509_check_ca(cert[0]) < 1 ||
	     !(X509_get_key_usage(cert[0]) & KU_KEY_CERT_SIGN))) {
		snprintf(r->msg, sizeof(r->msg), "an issuing CA's certificate "
			 "needs CA:TRUE and keyCertSign");
		rc = ESD_EINVAL;
		goto out;
	}
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = store_get_json(t, DB_KEYS, label, &rec);
	if (rc == ESD_ENOTFOUND)
		snprintf(r->msg, sizeof(r->msg), "key '%.64s' is not recorded; "
			 "generate it with esignctl keys generate", label);
	if (rc == 0 && json_object_get(rec, "cert") != NULL) {
		snprintf(r->msg, sizeof(r->msg), "key '%.64s' already has a "
			 "certificate", label);
		rc = ESD_EEXIST;
	}
	arr = json_array();
	for (i = 0; rc == 0 && i < n; i++) {
		char *ip = NULL;

		rc = pki_cert_pem(chain[i], &ip);
		if (rc == 0)
			json_array_append_new(arr, json_string(ip));
		free(ip);
	}
	if (rc == 0)
		rc = pki_cert_pem(cert[0], &pem);
	if (rc == 0)
		rc = pki_cert_serial_hex(cert[0], serial, sizeof(serial));
	if (rc == 0 && (subj = X509_NAME_oneline(X509_get_subject_name(cert[0]),
						 NULL, 0)) == NULL)
		rc = ESD_ENOMEM;
	if (rc == 0) {
		struct tm tm = { 0 };
		json_t *crec;

		ASN1_TIME_to_tm(X509_get0_notAfter(cert[0]), &tm);
		json_object_set_new(rec, "cert", json_string(pem));
		json_object_set_new(rec, "serial", json_string(serial));
		json_object_set(rec, "chain", arr);
		json_object_set_new(rec, "purpose", json_string(purpose));
		json_object_set_new(rec, "external", json_true());
		crec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "serial",
				 serial, "subject", subj, "key", label, "status",
				 "valid", "pem", pem, "issuer", "external",
				 "not_after", (json_int_t)timegm(&tm));
		rc = crec ? store_put_json(t, DB_CERTS, serial, crec, 1) : ESD_ENOMEM;
		if (rc == ESD_EEXIST)
			snprintf(r->msg, sizeof(r->msg), "a certificate with "
				 "serial %s is recorded", serial);
		if (rc == 0)
			rc = store_put_json(t, DB_KEYS, label, rec, 0);
		if (rc == 0)
			rc = store_audit(t, c->actor, "cert.import", serial, 0, crec);
		json_decref(crec);
	}
	/* The token keeps the certificate beside its key, as for the
	 * others; a failure here leaves the store unchanged. */
	if (rc == 0)
		rc = hsm_store_cert(k->hsm, label, cert[0]);
	if (rc == 0) {
		rc = store_txn_commit(t);
		t = NULL;
	}
	if (rc == 0) {
		keeper_keys_changed();
		log_info("keeper: imported certificate %s for key '%s' (%s)",
			 serial, label, purpose);
		r->json = json_pack("{s:s, s:s, s:s, s:s}", "key", label, "serial",
				    serial, "subject", subj, "purpose", purpose);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
out:
	store_txn_abort(t);
	OPENSSL_free(subj);
	free(pem);
	json_decref(arr);
	json_decref(rec);
	EVP_PKEY_free(pub);
	X509_free(cert[0]);
	for (i = 0; i < n; i++)
		X509_free(chain[i]);
	return rc;
}
