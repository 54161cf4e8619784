/*
 * pki: X.509 certificates, issued with OpenSSL and signed by whatever
 * EVP_PKEY the caller gives (a token-backed key from hsm/ in the keeper).
 * CRL, OCSP, RFC 3161 and CMS building come with the ra-pki and
 * pdf-engine work.
 */
#ifndef ESD_PKI_H
#define ESD_PKI_H

#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

enum pki_profile {
	PKI_PROFILE_ROOT_CA = 1,   /* CA:TRUE, keyCertSign cRLSign */
	PKI_PROFILE_ISSUING_CA,    /* CA:TRUE pathlen:0 */
	PKI_PROFILE_SEAL,          /* digitalSignature nonRepudiation */
	PKI_PROFILE_INDIVIDUAL,    /* digitalSignature nonRepudiation */
	PKI_PROFILE_TLS_SERVER,    /* digitalSignature keyEncipherment, serverAuth */
	PKI_PROFILE_TSA,           /* digitalSignature, critical timeStamping */
	PKI_PROFILE_OCSP,          /* digitalSignature, OCSPSigning, ocsp-nocheck */
	PKI_PROFILE_AUDIT,         /* digitalSignature: audit checkpoints */
};

struct pki_cert_req {
	enum pki_profile profile;
	/* Subject as "/C=ID/O=Org/CN=Name" (OpenSSL one-line form, UTF-8). */
	const char *subject;
	EVP_PKEY *pubkey;          /* subject's public key */
	X509 *issuer;              /* NULL: self-signed (issuer = subject) */
	EVP_PKEY *issuer_key;      /* signs the certificate */
	unsigned days;
	const char *const *dns;    /* NULL-terminated, TLS server only */
	const char *const *ips;
	/* RFC 5280 §4.2.1.13 / §4.2.2.1: where relying parties find the
	 * issuer's CRL, its OCSP responder and its certificate (NULL: none). */
	const char *crl_url;
	const char *ocsp_url;
	const char *ca_issuers_url;
	/* certificatePolicies: comma-separated OIDs (NULL or "": none), and
	 * an rfc822Name for the subjectAltName (NULL: none). */
	const char *policies;
	const char *email;
	/* extendedKeyUsage for the seal and individual profiles: names
	 * (emailProtection, documentSigning = RFC 9336's id-kp-documentSigning,
	 * ...) or OIDs, comma-separated; NULL or "": none. */
	const char *eku;
	/* The CPS URI (RFC 5280 §4.2.1.4 id-qt-cps) qualifying the first
	 * policy OID of policies; NULL or "": none. */
	const char *cps_url;
	/* keyUsage (critical) for the seal and individual profiles: OpenSSL
	 * names, comma-separated; NULL or "": digitalSignature,nonRepudiation. */
	const char *key_usage;
	/* ETSI EN 319 412-5 QCStatements for the seal and individual
	 * profiles: qc = 0 adds none; otherwise QcType (eseal for a seal,
	 * esign for an individual), QcCompliance when qualified, and QcPDS
	 * (in English) when pds_url is set. */
	int qc;
	int qualified;
	const char *pds_url;
};

/* Issues a certificate with a random 128-bit serial. *out is new. */
int pki_cert_issue(const struct pki_cert_req *req, X509 **out);

/* A PKCS#10 request for pubkey with subject ("/K=V/..."), signed with
 * key (SHA-256), as PEM into a new buffer (caller frees). */
int pki_csr_make(const char *subject, EVP_PKEY *pubkey, EVP_PKEY *key,
		 char **pem);

/* PEM text of cert into a new NUL-terminated buffer (caller frees). */
int pki_cert_pem(X509 *cert, char **out);
/* Parses one PEM certificate. */
int pki_cert_from_pem(const char *pem, size_t len, X509 **out);
/* Serial as lowercase hex without leading zeros into out (cap >= 41):
 * the form DB_CERTS is keyed by. */
int pki_cert_serial_hex(X509 *cert, char *out, size_t cap);
/* The same for a serial given as big-endian bytes. */
int pki_serial_hex(const uint8_t *serial, size_t len, char *out, size_t cap);
/* Public key as PEM (SubjectPublicKeyInfo) into a new buffer. */
int pki_pubkey_pem(EVP_PKEY *key, char **out);

#endif
