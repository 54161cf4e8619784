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

#endif
