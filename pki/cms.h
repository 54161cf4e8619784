/*
 * CMS SignedData for PAdES (ETSI EN 319 142-1, CAdES-BES profile) built
 * with OpenSSL's CMS API around a signature made elsewhere: the front
 * builds the signed attributes, the keeper signs their digest on the
 * token, the front puts the signature in and encodes.
 *
 *   pki_cms_begin     signed attributes: content-type (id-data),
 *                     message-digest, ESS signing-certificate-v2; no
 *                     signing-time (PAdES carries it in /M)
 *   pki_cms_tbs       the DER of the signed attributes, as signed
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

/* Digest (with the same md) of the DER SignedAttributes: what the key
 * signs. out must hold EVP_MAX_MD_SIZE bytes. */
int pki_cms_tbs_digest(struct pki_cms *c, uint8_t *out, size_t *outlen);

/* Sets the signature value and encodes ContentInfo as DER into a new
 * buffer (*der, caller frees with OPENSSL_free). */
int pki_cms_finish(struct pki_cms *c, const uint8_t *sig, size_t siglen,
		   uint8_t **der, size_t *derlen);

void pki_cms_free(struct pki_cms *c);

#endif
