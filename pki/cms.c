#include <stdatomic.h>
#include <string.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>

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

struct pki_cms_tpl {
	atomic_uint refs;
	uint8_t *der;         /* the CMS with the marker values */
	size_t len;
	size_t dlen, siglen;
	size_t dg_off;        /* the message digest's value in der */
	size_t attrs_off;     /* the signed attributes ([0] IMPLICIT) */
	size_t attrs_len;
	size_t sig_off;       /* the signature value */
};

/* The one place of needle in hay, or (size_t)-1 when it is not there
 * exactly once. */
static size_t find_once(const uint8_t *hay, size_t hlen, const uint8_t *needle,
			size_t nlen)
{
	const uint8_t *p = memmem(hay, hlen, needle, nlen), *q;

	if (p == NULL)
		return (size_t)-1;
	q = memmem(p + 1, hlen - (size_t)(p + 1 - hay), needle, nlen);
	return q == NULL ? (size_t)(p - hay) : (size_t)-1;
}

int pki_cms_tpl_new(X509 *signer, STACK_OF(X509) *chain, const EVP_MD *md,
		    struct pki_cms_tpl **out)
{
	EVP_PKEY *pub = X509_get0_pubkey(signer);
	uint8_t dg[EVP_MAX_MD_SIZE], *sig = NULL, *attrs = NULL;
	size_t alen, none = (size_t)-1;
	struct pki_cms *c = NULL;
	struct pki_cms_tpl *t;
	int rc;

	if (pub == NULL || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA ||
	    EVP_MD_get_size(md) <= 0 || EVP_PKEY_get_size(pub) <= 0)
		return ESD_EUNSUPP;
	t = OPENSSL_zalloc(sizeof(*t));
	if (t == NULL)
		return ESD_ENOMEM;
	atomic_init(&t->refs, 1);
	t->dlen = (size_t)EVP_MD_get_size(md);
	t->siglen = (size_t)EVP_PKEY_get_size(pub);
	sig = OPENSSL_malloc(t->siglen);
	/* Random markers: each is found once in the DER, nowhere else. */
	rc = sig != NULL ? 0 : ESD_ENOMEM;
	if (rc == 0 && (RAND_bytes(dg, (int)t->dlen) != 1 ||
			RAND_bytes(sig, (int)t->siglen) != 1))
		rc = ESD_ECRYPTO;
	if (rc == 0)
		rc = pki_cms_begin(signer, chain, md, dg, t->dlen, &c);
	if (rc == 0)
		rc = pki_cms_signed_attrs(c, &attrs, &alen);
	if (rc == 0)
		rc = pki_cms_finish(c, sig, t->siglen, &t->der, &t->len);
	if (rc == 0) {
		t->dg_off = find_once(t->der, t->len, dg, t->dlen);
		t->sig_off = find_once(t->der, t->len, sig, t->siglen);
		/* In the CMS the attributes are [0] IMPLICIT, not SET OF:
		 * the same bytes after the tag. */
		t->attrs_off = alen > 1 ? find_once(t->der, t->len, attrs + 1,
						    alen - 1) : none;
		t->attrs_len = alen;
		if (t->dg_off == none || t->sig_off == none ||
		    t->attrs_off == none || t->attrs_off == 0 ||
		    attrs[0] != 0x31 || t->der[--t->attrs_off] != 0xa0 ||
		    t->dg_off < t->attrs_off ||
		    t->dg_off + t->dlen > t->attrs_off + alen)
			rc = ESD_ECRYPTO;
	}
	OPENSSL_free(attrs);
	OPENSSL_free(sig);
	pki_cms_free(c);
	if (rc != 0) {
		pki_cms_tpl_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

struct pki_cms_tpl *pki_cms_tpl_ref(struct pki_cms_tpl *t)
{
	if (t != NULL)
		atomic_fetch_add(&t->refs, 1);
	return t;
}

void pki_cms_tpl_free(struct pki_cms_tpl *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	OPENSSL_free(t->der);
	OPENSSL_free(t);
}

int pki_cms_tpl_signed_attrs(const struct pki_cms_tpl *t, const uint8_t *dg,
			     size_t dlen, uint8_t **der, size_t *len)
{
	uint8_t *a;

	if (dlen != t->dlen)
		return ESD_EINVAL;
	a = OPENSSL_malloc(t->attrs_len);
	if (a == NULL)
		return ESD_ENOMEM;
	memcpy(a, t->der + t->attrs_off, t->attrs_len);
	a[0] = 0x31;  /* SET OF */
	memcpy(a + (t->dg_off - t->attrs_off), dg, dlen);
	*der = a;
	*len = t->attrs_len;
	return 0;
}

int pki_cms_tpl_encode(const struct pki_cms_tpl *t, const uint8_t *dg,
		       size_t dlen, const uint8_t *sig, size_t siglen,
		       uint8_t **der, size_t *derlen)
{
	uint8_t *d;

	if (dlen != t->dlen || siglen != t->siglen)
		return ESD_EINVAL;
	d = OPENSSL_malloc(t->len);
	if (d == NULL)
		return ESD_ENOMEM;
	memcpy(d, t->der, t->len);
	memcpy(d + t->dg_off, dg, dlen);
	memcpy(d + t->sig_off, sig, siglen);
	*der = d;
	*derlen = t->len;
	return 0;
}
