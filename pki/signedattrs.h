/*
 * The CMS signed attributes of a PAdES signature, as the keeper reads
 * them before it signs (RFC 5652 §5.3, §5.4; ETSI EN 319 142-1 §5.2.2).
 *
 * The front builds the attributes (pki_cms_begin) and sends their DER;
 * the keeper parses them here, checks them against what it knows itself
 * (the document digest the caller authorised, the key's certificate),
 * hashes the same bytes and signs that digest. Nothing else is signed for
 * a document, so a front cannot spend a caller's passphrase or seal code
 * on attributes that name another document or another certificate.
 */
#ifndef ESD_PKI_SIGNEDATTRS_H
#define ESD_PKI_SIGNEDATTRS_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>

/* Longest signed attributes accepted, and longest signingCertificateV2
 * value: three attributes whose only variable part is the issuer's name
 * in the ESSCertIDv2's issuerSerial. */
#define PKI_SATTRS_MAX 2048
#define PKI_SATTRS_ESS_MAX 1536

/* What pki_sattrs_parse found. */
struct pki_sattrs {
	uint8_t digest[32];               /* messageDigest: SHA-256 */
	uint8_t ess[PKI_SATTRS_ESS_MAX];  /* signingCertificateV2, DER */
	size_t ess_len;
};

/*
 * Parses der, which must be exactly the DER of a SignedAttributes in its
 * SET OF form (tag 0x31: what the signature covers, RFC 5652 §5.4; not
 * the [0] IMPLICIT form it has inside a SignerInfo), in DER order,
 * holding exactly three attributes, each with one value:
 *   contentType            id-data (RFC 5652 §11.1)
 *   messageDigest          an OCTET STRING of 32 bytes (SHA-256)
 *   signingCertificateV2   a SigningCertificateV2 (RFC 5035)
 * and nothing else: no signingTime (PAdES puts the time in /M), no
 * second value, no other attribute. On a refusal returns ESD_EINVAL and
 * points *why (if not NULL) at a static phrase naming the fault.
 */
int pki_sattrs_parse(const uint8_t *der, size_t len, struct pki_sattrs *out,
		     const char **why);

/*
 * The signingCertificateV2 value that names cert, as pki_cms_begin
 * writes it (one ESSCertIDv2: SHA-256 of the certificate, the default
 * hash algorithm left out, and issuerSerial), into ess (cap bytes).
 */
int pki_sattrs_ess_for(X509 *cert, uint8_t *ess, size_t cap, size_t *len);

/*
 * Parses der as above and checks it against what the signer knows: the
 * messageDigest equals digest (the document digest the caller
 * authorised), and the signingCertificateV2 value equals ess (from
 * pki_sattrs_ess_for of the key's certificate). Then tbs gets the SHA-256
 * of der: the digest the key signs. ESD_EINVAL with *why on a refusal.
 */
int pki_sattrs_check(const uint8_t *der, size_t len, const uint8_t digest[32],
		     const uint8_t *ess, size_t ess_len, uint8_t tbs[32],
		     const char **why);

#endif
