/*
 * pki/crl: full CRLs (RFC 5280 §5) signed in the keeper.
 */
#include <string.h>
#include <strings.h>
#include <time.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "common/log.h"
#include "pki/pkisvc.h"

/* Indexed by CRLReason; 7 is unassigned. */
static const char *const reason_names[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

const char *pki_crl_reason_name(int reason)
{
	if (reason < 0 || (size_t)reason >= sizeof(reason_names) /
					     sizeof(reason_names[0]))
		return NULL;
	return reason_names[reason];
}

int pki_crl_reason_parse(const char *name, int *reason)
{
	if (name == NULL)
		return ESD_EINVAL;
	for (size_t i = 0; i < sizeof(reason_names) / sizeof(reason_names[0]);
	     i++) {
		if (reason_names[i] != NULL &&
		    strcasecmp(name, reason_names[i]) == 0) {
			*reason = (int)i;
			return 0;
		}
	}
	return ESD_EINVAL;
}

/* authorityKeyIdentifier (RFC 5280 §4.2.1.1): the CA's subjectKeyIdentifier,
 * or, if it has none, the SHA-1 of its subjectPublicKey (method 1 of
 * §4.2.1.2, what an SKI "hash" would have been). */
static int add_akid(X509_CRL *crl, X509 *ca)
{
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(ca);
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok = 0;

	if (akid == NULL)
		return 0;
	if (ski != NULL)
		akid->keyid = ASN1_OCTET_STRING_dup(ski);
	else if (X509_pubkey_digest(ca, EVP_sha1(), md, &mdlen) &&
		 (akid->keyid = ASN1_OCTET_STRING_new()) != NULL &&
		 !ASN1_OCTET_STRING_set(akid->keyid, md, (int)mdlen))
		goto out;
	ok = akid->keyid != NULL &&
	     X509_CRL_add1_ext_i2d(crl, NID_authority_key_identifier, akid, 0,
				   0) == 1;
out:
	AUTHORITY_KEYID_free(akid);
	return ok;
}

static int add_entry(X509_CRL *crl, const struct pki_revoked *r)
{
	X509_REVOKED *rv = X509_REVOKED_new();
	BIGNUM *bn = BN_bin2bn(r->serial, (int)r->serial_len, NULL);
	ASN1_INTEGER *serial = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	ASN1_TIME *when = ASN1_TIME_set(NULL, (time_t)r->revoked_at);
	ASN1_ENUMERATED *code = NULL;
	int ok = 0;

	if (rv == NULL || serial == NULL || when == NULL ||
	    !X509_REVOKED_set_serialNumber(rv, serial) ||
	    !X509_REVOKED_set_revocationDate(rv, when))
		goto out;
	if (r->reason > 0) {
		code = ASN1_ENUMERATED_new();
		if (code == NULL || !ASN1_ENUMERATED_set(code, r->reason) ||
		    X509_REVOKED_add1_ext_i2d(rv, NID_crl_reason, code, 0,
					      0) != 1)
			goto out;
	}
	if (!X509_CRL_add0_revoked(crl, rv))
		goto out;
	rv = NULL;
	ok = 1;
out:
	ASN1_ENUMERATED_free(code);
	ASN1_TIME_free(when);
	ASN1_INTEGER_free(serial);
	BN_free(bn);
	X509_REVOKED_free(rv);
	return ok;
}

static int check_entry(const struct pki_revoked *r)
{
	if (r->serial_len == 0 || r->serial_len > sizeof(r->serial))
		return 0;
	/* removeFromCRL only in delta CRLs (RFC 5280 §5.3.1) */
	if (r->reason == PKI_REASON_REMOVE_FROM_CRL)
		return 0;
	return r->reason == PKI_REASON_NONE ||
	       pki_crl_reason_name(r->reason) != NULL;
}

int pki_crl_issue(X509 *ca, EVP_PKEY *ca_key, const struct pki_revoked *rev,
		  size_t n, int64_t this_update, int64_t next_update,
		  uint64_t crl_number, uint8_t **der, size_t *len)
{
	X509_CRL *crl = NULL;
	ASN1_TIME *t1 = NULL, *t2 = NULL;
	ASN1_INTEGER *num = NULL;
	STACK_OF(X509_REVOKED) *sk;
	unsigned char *out = NULL;
	int rc = ESD_EINVAL, olen;

	if (ca == NULL || ca_key == NULL || der == NULL || len == NULL ||
	    (n > 0 && rev == NULL) || n > INT32_MAX ||
	    next_update <= this_update)
		return ESD_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!check_entry(&rev[i]))
			return ESD_EINVAL;
	rc = ESD_ECRYPTO;
	crl = X509_CRL_new();
	t1 = ASN1_TIME_set(NULL, (time_t)this_update);
	t2 = ASN1_TIME_set(NULL, (time_t)next_update);
	num = ASN1_INTEGER_new();
	if (crl == NULL || t1 == NULL || t2 == NULL || num == NULL ||
	    !X509_CRL_set_version(crl, X509_CRL_VERSION_2) ||
	    !X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca)) ||
	    !X509_CRL_set1_lastUpdate(crl, t1) ||
	    !X509_CRL_set1_nextUpdate(crl, t2) ||
	    !ASN1_INTEGER_set_uint64(num, crl_number) ||
	    X509_CRL_add1_ext_i2d(crl, NID_crl_number, num, 0, 0) != 1 ||
	    !add_akid(crl, ca))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!add_entry(crl, &rev[i]))
			goto out;
	if (!X509_CRL_sort(crl))
		goto out;
	/* sorted: a duplicate serial sits next to its twin */
	sk = X509_CRL_get_REVOKED(crl);
	for (int i = 1; i < sk_X509_REVOKED_num(sk); i++) {
		if (ASN1_INTEGER_cmp(
			    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(sk, i - 1)),
			    X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(sk, i))) == 0) {
			rc = ESD_EINVAL;
			goto out;
		}
	}
	if (X509_CRL_sign(crl, ca_key, EVP_sha256()) <= 0)
		goto out;
	olen = i2d_X509_CRL(crl, &out);
	if (olen <= 0)
		goto out;
	*der = out;
	*len = (size_t)olen;
	rc = 0;
out:
	if (rc == ESD_ECRYPTO)
		log_openssl("pki: issue CRL");
	ASN1_INTEGER_free(num);
	ASN1_TIME_free(t2);
	ASN1_TIME_free(t1);
	X509_CRL_free(crl);
	return rc;
}
