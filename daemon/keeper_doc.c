/*
 * Signing documents: which key a caller may use for a seal or an
 * individual signature (grant, purpose, certificate validity), and the
 * signature itself with its audit record.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/util.h"
#include "daemon/keeper_int.h"
#include "pki/pki.h"

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
static int doc_key(struct keeper *k, struct caller *c, const char *purpose_want,
		   const char *want, char *label, json_t **rec, struct reply *r)
{
	struct store_txn *t;
	const char *purpose, *pem;
	json_t *v;
	size_t i;
	int rc, granted = c->admin;
	X509 *x = NULL;

	if (strcmp(purpose_want, "seal") != 0 &&
	    strcmp(purpose_want, "individual") != 0)
		return ESD_EINVAL;
	snprintf(label, HSM_LABEL_MAX + 1, "%s",
		 want[0] || strcmp(purpose_want, "seal") != 0 ? want
							      : c->default_key);
	if (label[0] == '\0') {
		snprintf(r->msg, sizeof(r->msg), "name the signing key ('key')");
		return ESD_EINVAL;
	}
	json_array_foreach(c->keys, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), label) == 0)
			granted = 1;
	if (!granted) {
		snprintf(r->msg, sizeof(r->msg), "this client may not use key '%s'",
			 label);
		return ESD_EPERM;
	}
	rc = store_txn_begin(k->store, 0, &t);
	if (rc != 0)
		return rc;
	rc = store_get_json(t, DB_KEYS, label, rec);
	store_txn_abort(t);
	if (rc == ESD_ENOTFOUND) {
		snprintf(r->msg, sizeof(r->msg), "no key labelled '%s'", label);
		return rc;
	}
	if (rc != 0)
		return rc;
	purpose = json_string_value(json_object_get(*rec, "purpose"));
	pem = json_string_value(json_object_get(*rec, "cert"));
	if (purpose == NULL || strcmp(purpose, purpose_want) != 0 || pem == NULL) {
		snprintf(r->msg, sizeof(r->msg),
			 "key '%s' is not %s key with a certificate", label,
			 strcmp(purpose_want, "seal") == 0 ? "a seal"
							   : "an individual's");
		rc = ESD_EPERM;
	} else if (pki_cert_from_pem(pem, strlen(pem), &x) != 0) {
		rc = ESD_ESTORE;
	} else if (X509_cmp_current_time(X509_get0_notBefore(x)) > 0 ||
		   X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
		snprintf(r->msg, sizeof(r->msg),
			 "the certificate of key '%s' is not valid now", label);
		rc = ESD_EPERM;
	} else if (keeper_cert_revoked(k, json_string_value(json_object_get(*rec, "serial")))) {
		snprintf(r->msg, sizeof(r->msg),
			 "the certificate of key '%s' is revoked", label);
		rc = ESD_EPERM;
	}
	X509_free(x);
	if (rc != 0) {
		json_decref(*rec);
		*rec = NULL;
	}
	return rc;
}

int h_doc_key(struct keeper *k, struct caller *c, struct ibuf *in,
		     struct reply *r)
{
	char want[HSM_LABEL_MAX + 1], label[HSM_LABEL_MAX + 1], purpose[16];
	json_t *rec = NULL, *chain, *v;
	enum hsm_keytype type;
	size_t i;
	int rc;

	if (ibuf_get_str(in, purpose, sizeof(purpose)) != 0 ||
	    ibuf_get_str(in, want, sizeof(want)) != 0 || ibuf_done(in) != 0)
		return ESD_EINVAL;
	rc = doc_key(k, c, purpose, want, label, &rec, r);
	if (rc != 0)
		return rc;
	rc = hsm_key_type(k->hsm, label, &type);
	if (rc == 0) {
		chain = json_array();
		json_array_foreach(json_object_get(rec, "chain"), i, v)
			json_array_append_new(chain, pem_to_b64(json_string_value(v)));
		r->json = json_pack("{s:s, s:s, s:o*, s:o}", "key", label, "alg",
				    type == HSM_KEY_EC_P256 ? "ecdsa" : "rsa-pkcs1",
				    "cert",
				    pem_to_b64(json_string_value(json_object_get(rec, "cert"))),
				    "chain", chain);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	json_decref(rec);
	return rc;
}

int h_doc_sign(struct keeper *k, struct caller *c, struct ibuf *in,
		      struct reply *r)
{
	char want[HSM_LABEL_MAX + 1], label[HSM_LABEL_MAX + 1], name[256];
	char purpose[16];
	char tbs_hex[65], doc_hex[65], *sig64 = NULL;
	const uint8_t *tbs, *doc;
	size_t tlen, dlen, siglen;
	uint8_t sig[1024];
	enum hsm_keytype type;
	json_t *rec = NULL, *detail = NULL;
	int rc;

	if (ibuf_get_str(in, purpose, sizeof(purpose)) != 0 ||
	    ibuf_get_str(in, want, sizeof(want)) != 0 ||
	    ibuf_get_bytes(in, &tbs, &tlen) != 0 ||
	    ibuf_get_bytes(in, &doc, &dlen) != 0 ||
	    ibuf_get_str(in, name, sizeof(name)) != 0 || ibuf_done(in) != 0 ||
	    tlen != 32 || dlen != 32)
		return ESD_EINVAL;
	rc = keeper_clock_check(k, r);
	if (rc != 0)
		return rc;
	rc = doc_key(k, c, purpose, want, label, &rec, r);
	if (rc != 0)
		return rc;
	rc = hsm_key_type(k->hsm, label, &type);
	siglen = sizeof(sig);
	if (rc == 0)
		rc = hsm_sign(k->hsm, label,
			      type == HSM_KEY_EC_P256 ? HSM_ALG_ECDSA
						      : HSM_ALG_RSA_PKCS1,
			      EVP_sha256(), tbs, tlen, sig, &siglen);
	/* The seal is released only once its audit record is durable. */
	esd_hex(tbs, 32, tbs_hex);
	esd_hex(doc, 32, doc_hex);
	detail = json_pack("{s:s, s:s, s:s, s:s*}", "document_sha256", doc_hex,
			   "signed_attrs_sha256", tbs_hex, "name", name,
			   "serial", json_string_value(json_object_get(rec, "serial")));
	if (detail == NULL ||
	    keeper_audit(k, c, strcmp(purpose, "seal") == 0 ? "seal" : "sign", label,
		  rc, detail) != 0)
		rc = rc ? rc : ESD_ESTORE;
	if (rc == 0) {
		sig64 = esd_b64_encode(sig, siglen);
		r->json = sig64 ? json_pack("{s:s}", "signature", sig64) : NULL;
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	free(sig64);
	json_decref(detail);
	json_decref(rec);
	return rc;
}

