/*
 * External CA mode (docs/ra.md "External CA"): a key generated in the
 * token gets its certificate from another CA. The keeper writes a
 * PKCS#10 request signed by the token key; the admin imports the
 * certificate the CA issued, with its chain, and the keeper refuses one
 * whose public key is not the token key's or whose chain does not verify.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/internal.h"
#include "keeper/ra_internal.h"
#include "pki/pki.h"
#include "ra/ra.h"

#define CHAIN_MAX 4

int op_key_csr(struct keeper *k, struct caller *c, json_t *a, struct reply *r)
{
	EVP_PKEY *pub = NULL, *key = NULL;
	char *pem = NULL;
	int rc;

	rc = hsm_pubkey(k->hsm, member_str(a, "id"), &pub);
	if (rc == 0)
		rc = hsm_privkey(k->hsm, member_str(a, "id"), &key);
	if (rc == ESD_ENOTFOUND)
		snprintf(r->msg, sizeof(r->msg), "no key labelled '%.64s'",
			 member_str(a, "id"));
	if (rc == 0) {
		rc = pki_csr_make(member_str(a, "subject"), pub, key, &pem);
		if (rc == ESD_EINVAL)
			snprintf(r->msg, sizeof(r->msg), "'subject' must be "
				 "/K=V/K=V..., e.g. /C=ID/O=Agency/CN=Agency CA");
	}
	keeper_audit(k, c, "key.csr", member_str(a, "id"), rc, NULL);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s}", "key", member_str(a, "id"), "csr", pem);
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
		if (!sk_X509_push(untrusted, chain[i]))
			goto out;
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
	const char *label = member_str(a, "id"), *purpose = member_str(a, "purpose");
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
	if (read_pems(member_str(a, "cert"), cert, 1, &nc) != 0 ||
	    read_pems(member_str(a, "chain"), chain, CHAIN_MAX, &n) != 0) {
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
	if (rc == 0 && arr == NULL)
		rc = ESD_ENOMEM;
	for (i = 0; rc == 0 && i < n; i++) {
		char *ip = NULL;

		rc = pki_cert_pem(chain[i], &ip);
		if (rc == 0)
			rc = keeper_json_append(arr, json_string(ip));
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

		if (ASN1_TIME_to_tm(X509_get0_notAfter(cert[0]), &tm) != 1) {
			rc = ESD_EINVAL;
			snprintf(r->msg, sizeof(r->msg), "the certificate's notAfter cannot be read");
			goto out;
		}
		rc = keeper_json_update(rec, json_pack("{s:s, s:s, s:O, s:s, s:b}",
				"cert", pem, "serial", serial, "chain", arr,
				"purpose", purpose, "external", 1));
		if (rc != 0)
			goto out;
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

/* ---- rotation ---- */

static const struct {
	const char *purpose;
	enum pki_profile profile;
} rotatable[] = {
	{ "seal", PKI_PROFILE_SEAL }, { "individual", PKI_PROFILE_INDIVIDUAL },
	{ "issuing-ca", PKI_PROFILE_ISSUING_CA }, { "tsa", PKI_PROFILE_TSA },
	{ "ocsp", PKI_PROFILE_OCSP }, { "audit", PKI_PROFILE_AUDIT },
};

void keeper_current_label(struct store_txn *t, const char *label, char *out)
{
	char key[HSM_LABEL_MAX + 8];
	const void *v;
	size_t n;

	snprintf(key, sizeof(key), "alias:%s", label);
	if (store_get(t, DB_RA_INDEX, key, strlen(key), &v, &n) == 0 &&
	    n <= HSM_LABEL_MAX) {
		memcpy(out, v, n);
		out[n] = '\0';
	} else {
		snprintf(out, HSM_LABEL_MAX + 1, "%s", label);
	}
}

/*
 * esignctl keys rotate: a new key in the token for the label, its
 * certificate issued like the old one (subject, profile, validity) by the
 * issuer's current key, and the switch in one transaction: the label then
 * names the new key ("alias:LABEL"), grants on it follow, and the old key
 * stays, superseded, for what is under way and for verification.
 */
int op_key_rotate(struct keeper *k, struct caller *c, json_t *a,
		  struct reply *r)
{
	const char *want = member_str(a, "id"), *purpose;
	char logical[HSM_LABEL_MAX + 1], cur[HSM_LABEL_MAX + 1];
	char fresh[HSM_LABEL_MAX + 1], ca[HSM_LABEL_MAX + 1], serial[64];
	char base[300], crl[400], ocsp[400], aia[400], ikey[HSM_LABEL_MAX + 8];
	struct store_txn *t = NULL;
	json_t *old = NULL, *crec = NULL, *carec = NULL, *nrec = NULL;
	X509 *oldcert = NULL, *cacert = NULL, *cert = NULL, *chain[4] = { NULL };
	STACK_OF(X509) *up = NULL;
	EVP_PKEY *pub = NULL, *cakey = NULL;
	enum hsm_keytype type;
	size_t nchain = 0, i;
	char *subj = NULL;
	unsigned days;
	int rc;

	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0 && (rc = store_get_json(t, DB_KEYS, want, &old)) == ESD_ENOTFOUND)
		reply_error(r, rc, "no key labelled '%.64s'", want);
	if (rc != 0)
		goto out;
	/* Rotating "demo-seal.2" rotates "demo-seal". */
	snprintf(logical, sizeof(logical), "%s", member_str(old, "alias_of") ?: want);
	keeper_current_label(t, logical, cur);
	json_decref(old);
	old = NULL;
	rc = store_get_json(t, DB_KEYS, cur, &old);
	purpose = member_str(old, "purpose");
	for (i = 0; rc == 0 && i < ESD_ARRAY_LEN(rotatable); i++)
		if (purpose != NULL && strcmp(purpose, rotatable[i].purpose) == 0)
			break;
	if (rc == 0 && (i == ESD_ARRAY_LEN(rotatable) ||
			member_str(old, "subscriber") != NULL || member_str(old, "cert") == NULL))
		rc = reply_error(r, ESD_EINVAL, "key '%s' is not rotated here: a "
			  "subscriber's key is renewed through the registration "
			  "authority, a root is not rotated, and the key needs a "
			  "certificate", logical);
	if (rc == 0)
		rc = store_get_json(t, DB_CERTS, member_str(old, "serial"), &crec);
	if (rc == 0) {
		keeper_current_label(t, member_str(crec, "issuer") ?: "", ca);
		rc = store_get_json(t, DB_KEYS, ca, &carec);
		if (rc != 0 || member_str_is(crec, "issuer", "external"))
			rc = reply_error(r, ESD_EINVAL, "the issuer of '%s' is not a key "
				  "here", logical);
	}
	/* The new label: "LABEL.N", the first free N from 2. */
	for (unsigned n = 2; rc == 0; n++) {
		const void *v;
		size_t vl;

		snprintf(fresh, sizeof(fresh), "%.56s.%u", logical, n);
		if (store_get(t, DB_KEYS, fresh, strlen(fresh), &v, &vl) != 0)
			break;
	}
	store_txn_abort(t);
	t = NULL;
	if (rc != 0)
		goto out;
	rc = keeper_record_cert(old, &oldcert);
	if (rc == 0)
		rc = keeper_record_cert(carec, &cacert);
	if (rc == 0)
		rc = keeper_record_chain(carec, &up);
	if (rc == 0)
		rc = hsm_key_type(k->hsm, cur, &type);
	if (rc != 0)
		goto out;
	subj = X509_NAME_oneline(X509_get_subject_name(oldcert), NULL, 0);
	{
		struct tm a1 = { 0 }, a2 = { 0 };

		if (ASN1_TIME_to_tm(X509_get0_notBefore(oldcert), &a1) != 1 ||
		    ASN1_TIME_to_tm(X509_get0_notAfter(oldcert), &a2) != 1)
			days = 1;
		else
			days = (unsigned)((timegm(&a2) - timegm(&a1)) / 86400);
		days = days < 1 ? 1 : days;
	}
	pthread_mutex_lock(&k->cfg_mu);
	if (k->cfg.pki_base_url[0] != '\0')
		snprintf(base, sizeof(base), "%s", k->cfg.pki_base_url);
	else if (k->cfg.public_listen[0] != '\0')
		snprintf(base, sizeof(base), "http://%s", k->cfg.public_listen);
	else
		snprintf(base, sizeof(base), "https://%s", k->cfg.https_listen);
	pthread_mutex_unlock(&k->cfg_mu);
	snprintf(crl, sizeof(crl), "%s/crl/%s.crl", base, ca);
	snprintf(ocsp, sizeof(ocsp), "%s/ocsp", base);
	snprintf(aia, sizeof(aia), "%s/ca/%s.crt", base, ca);
	rc = subj ? hsm_keygen(k->hsm, fresh, type) : ESD_ENOMEM;
	if (rc == 0)
		rc = hsm_pubkey(k->hsm, fresh, &pub);
	if (rc == 0)
		rc = hsm_privkey(k->hsm, ca, &cakey);
	if (rc == 0) {
		struct pki_cert_req req = {
			.profile = rotatable[i].profile, .subject = subj,
			.pubkey = pub, .issuer = cacert, .issuer_key = cakey,
			.days = days, .crl_url = crl, .ca_issuers_url = aia,
			.ocsp_url = rotatable[i].profile == PKI_PROFILE_OCSP ? NULL
									  : ocsp,
		};

		rc = pki_cert_issue(&req, &cert);
	}
	if (rc == 0)
		rc = hsm_store_cert(k->hsm, fresh, cert);
	if (rc != 0) {
		if (r->msg[0] == '\0')
			reply_error(r, rc, "rotating '%s' failed: %s", logical,
			     esd_err_msg(rc));
		goto out;
	}
	chain[nchain++] = cacert;
	X509_up_ref(cacert);
	for (int j = 0; j < sk_X509_num(up) && nchain < 4; j++) {
		chain[nchain] = sk_X509_value(up, j);
		X509_up_ref(chain[nchain++]);
	}
	/* The switch: new key recorded, the label pointing at it, the old
	 * one marked, and the audit record, together. */
	snprintf(ikey, sizeof(ikey), "alias:%s", logical);
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = ra_record_cert(t, c->actor, fresh, hsm_keytype_name(type),
				    purpose, cert, ca, chain, nchain, NULL, serial,
				    sizeof(serial));
	if (rc == 0)
		rc = store_get_json(t, DB_KEYS, fresh, &nrec);
	if (rc == 0)
		rc = keeper_json_set(nrec, "alias_of", json_string(logical));
	if (rc == 0)
		rc = store_put_json(t, DB_KEYS, fresh, nrec, 0);
	if (rc == 0)
		rc = keeper_json_update(old, json_pack("{s:s, s:I}", "superseded_by",
				fresh, "superseded_at", (json_int_t)esd_now()));
	if (rc == 0)
		rc = store_put_json(t, DB_KEYS, cur, old, 0);
	if (rc == 0)
		rc = store_put(t, DB_RA_INDEX, ikey, strlen(ikey), fresh,
			       strlen(fresh), 0);
	if (rc == 0)
		rc = store_audit(t, c->actor, "keys.rotate", logical, 0,
				 json_pack("{s:s, s:s, s:s}", "from", cur, "to",
					   fresh, "serial", serial));
	if (rc == 0) {
		rc = store_txn_commit(t);
		t = NULL;
	}
	keeper_keys_changed();
	if (rc != 0) {
		log_err("keeper: key '%s' generated to rotate '%s' but not "
			"recorded: %s", fresh, logical, esd_err_name(rc));
		goto out;
	}
	log_info("keeper: key '%s' rotated: now '%s' (certificate %s)", logical,
		 fresh, serial);
	r->json = json_pack("{s:s, s:s, s:s, s:s}", "key", logical, "previous",
			    cur, "current", fresh, "serial", serial);
	rc = r->json ? 0 : ESD_ENOMEM;
out:
	store_txn_abort(t);
	for (i = 0; i < nchain; i++)
		X509_free(chain[i]);
	sk_X509_pop_free(up, X509_free);
	X509_free(cert);
	X509_free(cacert);
	X509_free(oldcert);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(cakey);
	OPENSSL_free(subj);
	json_decref(nrec);
	json_decref(carec);
	json_decref(crec);
	json_decref(old);
	return rc;
}
