/*
 * Issuing a subscriber's key and certificate (docs/ra.md): the key is
 * generated in the token, the certificate issued under the subscriber's
 * profile by the issuing CA, then recorded with the subscriber and
 * announced by email.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/crypto.h>

#include "common/log.h"
#include "keeper/ra_internal.h"
#include "pki/pki.h"
#include "ra/ra.h"


void kra_issued_free(struct issued *is)
{
	X509_free(is->cert);
	for (size_t i = 0; i < is->nchain; i++)
		X509_free(is->chain[i]);
	memset(is, 0, sizeof(*is));
}

/* The subject from the profile's template. Besides the registration's
 * fields, {given} and {surname} split the name at its last space (a
 * single word is a surname: EN 319 412-2 §4.2.4 wants one of them). */
static int subject_of(const struct esd_profile *prof, json_t *sub, char *out,
		      size_t cap)
{
	const char *name = member_str(sub, "name") ?: "";
	const char *sp = strrchr(name, ' ');
	json_t *vars = json_deep_copy(sub);
	int rc = ESD_ENOMEM;

	if (vars == NULL)
		return rc;
	if (sp != NULL && sp != name && sp[1] != '\0') {
		rc = keeper_json_set(vars, "given",
				     json_stringn(name, (size_t)(sp - name)));
		if (rc == 0)
			rc = keeper_json_set(vars, "surname", json_string(sp + 1));
	} else {
		rc = keeper_json_set(vars, "surname", json_string(name));
	}
	if (rc == 0)
		rc = ra_subject(prof->subject, vars, out, cap);
	json_decref(vars);
	return rc;
}

/* Generates a key for sub in the token and issues its certificate under
 * the subscriber's profile; nothing is written to the store. */
int kra_issue(struct keeper *k, json_t *sub, struct issued *is,
	      struct reply *r)
{
	const char *kind = member_str(sub, "kind");
	int seal = kind != NULL && strcmp(kind, "seal") == 0;
	struct esd_profile prof;
	enum hsm_keytype type;
	char subject[600], base[300], crl[400], ocsp[400], aia[400];
	EVP_PKEY *pub = NULL, *ca_key = NULL;
	json_t *ca_rec = NULL;
	STACK_OF(X509) *up = NULL;
	X509 *ca = NULL;
	int rc;

	memset(is, 0, sizeof(*is));
	pthread_mutex_lock(&k->cfg_mu);
	prof = seal ? k->cfg.profile_seal : k->cfg.profile_individual;
	snprintf(is->ca_label, sizeof(is->ca_label), "%s", k->cfg.ra_issuing_ca);
	if (k->cfg.pki_base_url[0] != '\0')
		snprintf(base, sizeof(base), "%s", k->cfg.pki_base_url);
	else if (k->cfg.public_listen[0] != '\0')
		snprintf(base, sizeof(base), "http://%s", k->cfg.public_listen);
	else
		snprintf(base, sizeof(base), "https://%s", k->cfg.https_listen);
	pthread_mutex_unlock(&k->cfg_mu);
	snprintf(is->type, sizeof(is->type), "%s", prof.key_type);
	if (hsm_keytype_parse(prof.key_type, &type) != 0)
		return reply_error(r, ESD_ECONFIG, "profile key type '%s' unknown",
			    prof.key_type);
	if (subject_of(&prof, sub, subject, sizeof(subject)) != 0)
		return reply_error(r, ESD_ECONFIG, "the profile's subject template "
			    "does not give a subject");
	rc = is->ca_label[0] != '\0' ? 0
	     : keeper_key_by_purpose(k, "issuing-ca", is->ca_label);
	if (rc == 0)
		rc = keeper_key_record(k, is->ca_label, &ca_rec);
	if (rc == 0 && !member_str_is(ca_rec, "purpose", "issuing-ca"))
		rc = ESD_ENOTFOUND;
	if (rc == 0)
		rc = keeper_record_cert(ca_rec, &ca);
	if (rc == 0)
		rc = keeper_record_chain(ca_rec, &up);
	if (rc != 0) {
		reply_error(r, rc == ESD_ENOTFOUND ? ESD_ECONFIG : rc, "no issuing CA "
		     "key '%s' with a certificate", is->ca_label);
		rc = rc == ESD_ENOTFOUND ? ESD_ECONFIG : rc;
		goto out;
	}
	if (keeper_cert_revoked(k, member_str(ca_rec, "serial"))) {
		rc = reply_error(r, ESD_EPERM, "the issuing CA's certificate is revoked");
		goto out;
	}
	/* A label per certificate: "<subscriber>-<n>". */
	snprintf(is->label, sizeof(is->label), "%s-%zu", member_str(sub, "id"),
		 json_array_size(json_object_get(sub, "certs")) + 1);
	snprintf(crl, sizeof(crl), "%s/crl/%s.crl", base, is->ca_label);
	snprintf(ocsp, sizeof(ocsp), "%s/ocsp", base);
	snprintf(aia, sizeof(aia), "%s/ca/%s.crt", base, is->ca_label);
	rc = hsm_keygen(k->hsm, is->label, type);
	if (rc == ESD_EEXIST)
		rc = reply_error(r, ESD_EEXIST, "the token already has a key '%s'",
			  is->label);
	if (rc == 0)
		rc = hsm_pubkey(k->hsm, is->label, &pub);
	if (rc == 0)
		rc = hsm_privkey(k->hsm, is->ca_label, &ca_key);
	if (rc == 0) {
		struct pki_cert_req req = {
			.profile = seal ? PKI_PROFILE_SEAL : PKI_PROFILE_INDIVIDUAL,
			.subject = subject, .pubkey = pub, .issuer = ca,
			.issuer_key = ca_key, .days = (unsigned)prof.days,
			.crl_url = crl, .ocsp_url = ocsp, .ca_issuers_url = aia,
			.policies = prof.policies, .email = member_str(sub, "email"),
			.eku = prof.eku, .cps_url = prof.cps_url,
			.key_usage = prof.key_usage, .qc = prof.qc_statements,
			.qualified = prof.qualified, .pds_url = prof.pds_url,
		};

		rc = pki_cert_issue(&req, &is->cert);
	}
	if (rc == 0)
		rc = hsm_store_cert(k->hsm, is->label, is->cert);
	if (rc == 0) {
		is->chain[is->nchain++] = ca;
		ca = NULL;
		for (int i = 0; i < sk_X509_num(up) && is->nchain < 4; i++) {
			is->chain[is->nchain] = sk_X509_value(up, i);
			X509_up_ref(is->chain[is->nchain++]);
		}
	}
	if (rc != 0 && r->msg[0] == '\0')
		reply_error(r, rc, "issuing the certificate failed: %s", esd_err_msg(rc));
out:
	if (rc != 0)
		kra_issued_free(is);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(ca_key);
	X509_free(ca);
	sk_X509_pop_free(up, X509_free);
	json_decref(ca_rec);
	return rc;
}

/* Records what issue() made in t and points sub at it. */
int kra_record_issued(struct store_txn *t, struct caller *c, json_t *sub,
		      struct issued *is, char *serial, size_t cap)
{
	const char *kind = member_str(sub, "kind");
	struct tm tm;
	int rc;

	rc = ra_record_cert(t, c->actor, is->label, is->type, kind, is->cert,
			    is->ca_label, is->chain, is->nchain, member_str(sub, "id"),
			    serial, cap);
	if (rc != 0)
		return rc;
	if (ASN1_TIME_to_tm(X509_get0_notAfter(is->cert), &tm) != 1)
		return ESD_ECRYPTO;
	rc = keeper_json_update(sub, json_pack("{s:s, s:s, s:I, s:s}", "key",
			is->label, "serial", serial, "expires",
			(json_int_t)timegm(&tm), "status", "active"));
	if (rc == 0)
		rc = keeper_json_append(json_object_get(sub, "certs"),
					json_string(serial));
	return rc;
}

/* The "issued" email for sub, with what the subscriber does next. */
int kra_mail_issued(struct store_txn *t, json_t *sub, const char *serial)
{
	const char *lang = member_str(sub, "lang");
	int seal = member_str_is(sub, "kind", "seal");
	int en = lang != NULL && strcmp(lang, "en") == 0;
	char na[40];
	json_t *vars;
	int rc;

	kra_fmt_time(member_int(sub, "expires"), na, sizeof(na));
	vars = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", member_str(sub, "name"),
			 "subject", member_str(sub, "name"), "subscriber", member_str(sub, "id"),
			 "serial", serial, "not_after", na);
	if (vars == NULL)
		return ESD_ENOMEM;
	rc = keeper_json_set(vars, "next", json_string(
		seal ? (en ? "Ask for the seal's activation to start sealing."
			   : "Ajukan aktivasi segel untuk mulai menyegel.")
		     : (en ? "You can now sign documents with your passphrase."
			   : "Anda sekarang dapat menandatangani dokumen dengan "
			     "passphrase Anda.")));
	if (rc != 0) {
		json_decref(vars);
		return rc;
	}
	rc = kra_outbox_add(t, member_str(sub, "email"), "issued", lang, vars, NULL, NULL);
	json_decref(vars);
	return rc;
}

