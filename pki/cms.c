#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>

#include "common/err.h"
#include "common/log.h"
#include "pki/cms.h"

struct pki_cms {
	CMS_ContentInfo *cms;
	CMS_SignerInfo *si;
	const EVP_MD *md;
};

void pki_cms_free(struct pki_cms *c)
{
	if (c == NULL)
		return;
	CMS_ContentInfo_free(c->cms);
	OPENSSL_free(c);
}

int pki_cms_begin(X509 *signer, STACK_OF(X509) *chain, const EVP_MD *md,
		  const uint8_t *content_digest, size_t dlen,
		  struct pki_cms **out)
{
	const unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL |
			       CMS_NOSMIMECAP | CMS_CADES;
	struct pki_cms *c;
	EVP_PKEY *pub = X509_get0_pubkey(signer);
	int rc = ESD_ECRYPTO;

	if (pub == NULL || (size_t)EVP_MD_get_size(md) != dlen)
		return ESD_EINVAL;
	c = OPENSSL_zalloc(sizeof(*c));
	if (c == NULL)
		return ESD_ENOMEM;
	c->md = md;
	c->cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (c->cms == NULL)
		goto out;
	/* With CMS_PARTIAL the key is only matched against the certificate
	 * and used to choose the signature algorithm: the public key does. */
	c->si = CMS_add1_signer(c->cms, signer, pub, md, flags);
	if (c->si == NULL)
		goto out;
	if (CMS_signed_add1_attr_by_NID(c->si, NID_pkcs9_contentType,
					V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data),
					-1) <= 0 ||
	    CMS_signed_add1_attr_by_NID(c->si, NID_pkcs9_messageDigest,
					V_ASN1_OCTET_STRING, content_digest,
					(int)dlen) <= 0)
		goto out;
	for (int i = 0; chain != NULL && i < sk_X509_num(chain); i++)
		if (!CMS_add1_cert(c->cms, sk_X509_value(chain, i)))
			goto out;
	*out = c;
	c = NULL;
	rc = 0;
out:
	if (rc != 0)
		log_openssl("pki: cms begin");
	pki_cms_free(c);
	return rc;
}

/*
 * The signature covers the DER of the signed attributes with the SET OF
 * tag (RFC 5652 §5.4). PKCS7_ATTR_SIGN is that same SET OF X509_ATTRIBUTE
 * in DER (sorted) order, which is how OpenSSL encodes it in the output.
 */
int pki_cms_signed_attrs(struct pki_cms *c, uint8_t **der, size_t *len)
{
	STACK_OF(X509_ATTRIBUTE) *attrs = sk_X509_ATTRIBUTE_new_null();
	unsigned char *p = NULL;
	int n, rc = ESD_ECRYPTO;

	if (attrs == NULL)
		return ESD_ENOMEM;
	for (int i = 0; i < CMS_signed_get_attr_count(c->si); i++)
		if (!sk_X509_ATTRIBUTE_push(attrs, CMS_signed_get_attr(c->si, i)))
			goto out;
	n = ASN1_item_i2d((ASN1_VALUE *)attrs, &p,
			  ASN1_ITEM_rptr(PKCS7_ATTR_SIGN));
	if (n <= 0)
		goto out;
	*der = p;
	*len = (size_t)n;
	rc = 0;
out:
	sk_X509_ATTRIBUTE_free(attrs); /* the attributes belong to si */
	return rc;
}

int pki_cms_set_signature(struct pki_cms *c, const uint8_t *sig, size_t siglen)
{
	ASN1_OCTET_STRING *os = CMS_SignerInfo_get0_signature(c->si);

	if (os == NULL || !ASN1_STRING_set(os, sig, (int)siglen))
		return ESD_ECRYPTO;
	return 0;
}

int pki_cms_signature_digest(struct pki_cms *c, uint8_t out[32])
{
	ASN1_OCTET_STRING *os = CMS_SignerInfo_get0_signature(c->si);
	unsigned int n = 32;

	if (os == NULL || ASN1_STRING_length(os) <= 0 ||
	    !EVP_Digest(ASN1_STRING_get0_data(os), (size_t)ASN1_STRING_length(os),
			out, &n, EVP_sha256(), NULL))
		return ESD_ECRYPTO;
	return 0;
}

int pki_cms_add_timestamp(struct pki_cms *c, const uint8_t *tst, size_t len)
{
	/* The attribute value is the token itself: a ContentInfo SEQUENCE. */
	ASN1_TYPE *v = NULL;
	const unsigned char *p = tst;
	int ok;

	v = d2i_ASN1_TYPE(NULL, &p, (long)len);
	if (v == NULL || p != tst + len || ASN1_TYPE_get(v) != V_ASN1_SEQUENCE) {
		ASN1_TYPE_free(v);
		return ESD_EINVAL;
	}
	ok = CMS_unsigned_add1_attr_by_NID(c->si, NID_id_smime_aa_timeStampToken,
					   V_ASN1_SEQUENCE, v->value.sequence,
					   -1) > 0;
	ASN1_TYPE_free(v);
	return ok ? 0 : ESD_ECRYPTO;
}

int pki_cms_finish(struct pki_cms *c, const uint8_t *sig, size_t siglen,
		   uint8_t **der, size_t *derlen)
{
	int rc = pki_cms_set_signature(c, sig, siglen);

	return rc != 0 ? rc : pki_cms_encode(c, der, derlen);
}

int pki_cms_encode(struct pki_cms *c, uint8_t **der, size_t *derlen)
{
	unsigned char *p = NULL;
	int len;

	len = i2d_CMS_ContentInfo(c->cms, &p);
	if (len <= 0) {
		log_openssl("pki: cms encode");
		return ESD_ECRYPTO;
	}
	*der = p;
	*derlen = (size_t)len;
	return 0;
}
