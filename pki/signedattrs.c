#include <string.h>
#include <openssl/asn1.h>
#include <openssl/crypto.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>

#include "common/err.h"
#include "pki/signedattrs.h"

/* The one value of attribute a, of ASN.1 type type, or NULL. */
static const ASN1_TYPE *only_value(X509_ATTRIBUTE *a, int type)
{
	const ASN1_TYPE *v;

	if (X509_ATTRIBUTE_count(a) != 1)
		return NULL;
	v = X509_ATTRIBUTE_get0_type(a, 0);
	return v != NULL && v->type == type ? v : NULL;
}

/* A SigningCertificateV2 in DER, nothing after it, copied into out. */
static int ess_take(const ASN1_STRING *s, struct pki_sattrs *out)
{
	const unsigned char *p = ASN1_STRING_get0_data(s);
	const unsigned char *start = p;
	long n = ASN1_STRING_length(s);
	ESS_SIGNING_CERT_V2 *sc = NULL;
	unsigned char *re = NULL;
	int relen, rc = ESD_EINVAL;

	if (n <= 0 || (size_t)n > sizeof(out->ess))
		return ESD_EINVAL;
	sc = d2i_ESS_SIGNING_CERT_V2(NULL, &p, n);
	if (sc == NULL || p != start + n)
		goto out;
	relen = i2d_ESS_SIGNING_CERT_V2(sc, &re);
	if (relen != n || memcmp(re, start, (size_t)n) != 0)
		goto out;
	memcpy(out->ess, start, (size_t)n);
	out->ess_len = (size_t)n;
	rc = 0;
out:
	OPENSSL_free(re);
	ESS_SIGNING_CERT_V2_free(sc);
	return rc;
}

int pki_sattrs_parse(const uint8_t *der, size_t len, struct pki_sattrs *out,
		     const char **why)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = NULL;
	const unsigned char *p = der;
	unsigned char *re = NULL;
	const char *bad = NULL;
	int relen, seen_ct = 0, seen_md = 0, seen_ess = 0;

	memset(out, 0, sizeof(*out));
	if (der == NULL || len < 2 || len > PKI_SATTRS_MAX) {
		bad = "the signed attributes are empty or longer than 2048 bytes";
		goto out;
	}
	if (der[0] != 0x31) {
		bad = "the signed attributes are not in their SET OF form "
		      "(RFC 5652 5.4)";
		goto out;
	}
	attrs = (STACK_OF(X509_ATTRIBUTE) *)ASN1_item_d2i(NULL, &p, (long)len,
				ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	if (attrs == NULL || p != der + len) {
		bad = "the signed attributes are not one SET OF Attribute";
		goto out;
	}
	/* DER: definite minimal lengths and the SET OF sorted (X.690
	 * 11.6), which re-encoding reproduces only for a DER input. */
	relen = ASN1_item_i2d((ASN1_VALUE *)attrs, &re,
			      ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	if (relen < 0 || (size_t)relen != len || memcmp(re, der, len) != 0) {
		bad = "the signed attributes are not DER";
		goto out;
	}
	if (sk_X509_ATTRIBUTE_num(attrs) != 3) {
		bad = "the signed attributes are not exactly content-type, "
		      "message-digest and signing-certificate-v2";
		goto out;
	}
	for (int i = 0; i < 3 && bad == NULL; i++) {
		X509_ATTRIBUTE *a = sk_X509_ATTRIBUTE_value(attrs, i);
		const ASN1_TYPE *v;

		switch (OBJ_obj2nid(X509_ATTRIBUTE_get0_object(a))) {
		case NID_pkcs9_contentType:
			v = only_value(a, V_ASN1_OBJECT);
			if (seen_ct++ || v == NULL ||
			    OBJ_obj2nid(v->value.object) != NID_pkcs7_data)
				bad = "the content-type is not one id-data";
			break;
		case NID_pkcs9_messageDigest:
			v = only_value(a, V_ASN1_OCTET_STRING);
			if (seen_md++ || v == NULL ||
			    ASN1_STRING_length(v->value.octet_string) != 32)
				bad = "the message-digest is not one SHA-256 digest";
			else
				memcpy(out->digest, ASN1_STRING_get0_data(
					       v->value.octet_string), 32);
			break;
		case NID_id_smime_aa_signingCertificateV2:
			v = only_value(a, V_ASN1_SEQUENCE);
			if (seen_ess++ || v == NULL ||
			    ess_take(v->value.sequence, out) != 0)
				bad = "the signing-certificate-v2 is not one "
				      "SigningCertificateV2";
			break;
		default:
			bad = "the signed attributes hold an attribute other than "
			      "content-type, message-digest and "
			      "signing-certificate-v2";
		}
	}
out:
	OPENSSL_free(re);
	ASN1_item_free((ASN1_VALUE *)attrs, ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	if (bad != NULL) {
		memset(out, 0, sizeof(*out));
		if (why != NULL)
			*why = bad;
		return ESD_EINVAL;
	}
	return 0;
}

int pki_sattrs_ess_for(X509 *cert, uint8_t *ess, size_t cap, size_t *len)
{
	ESS_SIGNING_CERT_V2 *sc;
	unsigned char *der = NULL;
	int n, rc = ESD_ECRYPTO;

	/* pki_cms_begin's CMS_CADES: OpenSSL's CMS_add1_signer makes the
	 * same value with the signer's digest and issuerSerial. */
	sc = OSSL_ESS_signing_cert_v2_new_init(EVP_sha256(), cert, NULL, 1);
	if (sc == NULL)
		return ESD_ECRYPTO;
	n = i2d_ESS_SIGNING_CERT_V2(sc, &der);
	if (n > 0 && (size_t)n <= cap) {
		memcpy(ess, der, (size_t)n);
		*len = (size_t)n;
		rc = 0;
	} else if (n > 0) {
		rc = ESD_EINVAL;
	}
	OPENSSL_free(der);
	ESS_SIGNING_CERT_V2_free(sc);
	return rc;
}

int pki_sattrs_check(const uint8_t *der, size_t len, const uint8_t digest[32],
		     const uint8_t *ess, size_t ess_len, uint8_t tbs[32],
		     const char **why)
{
	struct pki_sattrs sa;
	unsigned int n = 32;
	int rc = pki_sattrs_parse(der, len, &sa, why);

	if (rc != 0)
		return rc;
	if (memcmp(sa.digest, digest, 32) != 0) {
		if (why != NULL)
			*why = "the message-digest is not the document digest "
			       "the caller authorised";
		return ESD_EINVAL;
	}
	if (ess_len == 0 || sa.ess_len != ess_len ||
	    memcmp(sa.ess, ess, ess_len) != 0) {
		if (why != NULL)
			*why = "the signing-certificate-v2 does not name the "
			       "key's certificate";
		return ESD_EINVAL;
	}
	/* What the signature covers: these very bytes, the SET OF form. */
	if (!EVP_Digest(der, len, tbs, &n, EVP_sha256(), NULL) || n != 32)
		return ESD_ECRYPTO;
	return 0;
}
