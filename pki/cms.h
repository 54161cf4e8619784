/*
 * CMS SignedData for PAdES (ETSI EN 319 142-1, CAdES-BES profile) built
 * with OpenSSL's CMS API around a signature made elsewhere: the front
 * builds the signed attributes, the keeper signs their digest on the
 * token, the front puts the signature in and encodes.
 *
 *   pki_cms_begin     signed attributes: content-type (id-data),
 *                     message-digest, ESS signing-certificate-v2; no
 *                     signing-time (PAdES carries it in /M)
 *   pki_cms_signed_attrs  the DER of the signed attributes, as signed:
 *                     what the front sends the keeper (pki/signedattrs.h)
 *   pki_cms_finish    signature in, DER out
 */
#ifndef ESD_PKI_CMS_H
#define ESD_PKI_CMS_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

struct pki_cms;

/* signer and chain are borrowed (chain may be NULL); md is the digest
 * of the content (dlen bytes of content_digest). */
int pki_cms_begin(X509 *signer, STACK_OF(X509) *chain, const EVP_MD *md,
		  const uint8_t *content_digest, size_t dlen,
		  struct pki_cms **out);

/* The DER of the SignedAttributes in their SET OF form (RFC 5652 §5.4):
 * what the key signs the digest of. *der is new (OPENSSL_free). */
int pki_cms_signed_attrs(struct pki_cms *c, uint8_t **der, size_t *len);

/* Sets the signature value and encodes ContentInfo as DER into a new
 * buffer (*der, caller frees with OPENSSL_free). */
int pki_cms_finish(struct pki_cms *c, const uint8_t *sig, size_t siglen,
		   uint8_t **der, size_t *derlen);

/* Sets the signature value (before pki_cms_add_timestamp). */
int pki_cms_set_signature(struct pki_cms *c, const uint8_t *sig, size_t siglen);
/* SHA-256 of the signature value: what a signature timestamp stamps
 * (RFC 3161 Appendix A, ETSI EN 319 122-1 §5.3). */
int pki_cms_signature_digest(struct pki_cms *c, uint8_t out[32]);
/* Adds a TimeStampToken (ContentInfo DER) as the unsigned attribute
 * id-aa-signatureTimeStampToken (PAdES B-T). */
int pki_cms_add_timestamp(struct pki_cms *c, const uint8_t *tst, size_t len);
/* Encodes ContentInfo as DER (*der: OPENSSL_free). */
int pki_cms_encode(struct pki_cms *c, uint8_t **der, size_t *derlen);

void pki_cms_free(struct pki_cms *c);

/*
 * A B-B CMS prepared once per RSA key: OpenSSL builds one around marker
 * values, and the template keeps its DER and where the message digest,
 * the signed attributes and the signature are in it. Per document it is
 * then two copies and three patches instead of building and encoding a
 * CMS, byte for byte what pki_cms_begin ... pki_cms_encode give for the
 * same values (tests/unit/test_cms.c). An RSA PKCS#1 v1.5 signature has
 * the modulus's length; one of another length is ESD_EINVAL (build it
 * the long way then).
 */
struct pki_cms_tpl;

/* ESD_EUNSUPP for a key that is not RSA. signer and chain as in
 * pki_cms_begin; the template keeps nothing of them. */
int pki_cms_tpl_new(X509 *signer, STACK_OF(X509) *chain, const EVP_MD *md,
		    struct pki_cms_tpl **out);
/* One more reference (shared between threads); pki_cms_tpl_free drops
 * one. */
struct pki_cms_tpl *pki_cms_tpl_ref(struct pki_cms_tpl *t);
void pki_cms_tpl_free(struct pki_cms_tpl *t);
/* As pki_cms_signed_attrs, for content digest dg (the md's size). */
int pki_cms_tpl_signed_attrs(const struct pki_cms_tpl *t, const uint8_t *dg,
			     size_t dlen, uint8_t **der, size_t *len);
/* As pki_cms_finish, for dg and the signature over the signed
 * attributes; *der: OPENSSL_free. */
int pki_cms_tpl_encode(const struct pki_cms_tpl *t, const uint8_t *dg,
		       size_t dlen, const uint8_t *sig, size_t siglen,
		       uint8_t **der, size_t *derlen);

#endif
