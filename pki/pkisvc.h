/*
 * pki/pkisvc: the CA's online services, CRL (RFC 5280 §5), OCSP
 * (RFC 6960) and time stamps (RFC 3161), split along the privsep line.
 *
 *   front   pki_ocsp_parse, pki_tsq_parse: untrusted DER in, a plain
 *           struct out (fixed arrays, no pointers: memcpy it over IPC).
 *           pki_tst_from_resp: token out of a TimeStampResp.
 *   keeper  pki_crl_issue, pki_ocsp_respond, pki_tsa_respond: build and
 *           sign from those structs with a token-backed EVP_PKEY. They
 *           never see the client's bytes, and they check every struct
 *           field again (the front is the less trusted side).
 *
 * Functions return 0 or a negative ESD_E* code: ESD_EINVAL for malformed
 * or oversized input, ESD_EUNSUPP for well-formed input we do not serve
 * (a hash algorithm, a critical extension), ESD_ECRYPTO for an OpenSSL
 * failure (logged). DER outputs (*der, *resp_der, *token_der) are new
 * buffers the caller frees with OPENSSL_free. Certificates, keys and
 * chains are borrowed. Times are seconds since the epoch.
 */
#ifndef ESD_PKI_PKISVC_H
#define ESD_PKI_PKISVC_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

/* ---- CRL (RFC 5280 §5) ---------------------------------------------- */

/* CRLReason (RFC 5280 §5.3.1); 7 is not assigned. */
enum pki_crl_reason {
	PKI_REASON_NONE = -1,  /* no reasonCode entry extension */
	PKI_REASON_UNSPECIFIED = 0,
	PKI_REASON_KEY_COMPROMISE = 1,
	PKI_REASON_CA_COMPROMISE = 2,
	PKI_REASON_AFFILIATION_CHANGED = 3,
	PKI_REASON_SUPERSEDED = 4,
	PKI_REASON_CESSATION_OF_OPERATION = 5,
	PKI_REASON_CERTIFICATE_HOLD = 6,
	PKI_REASON_REMOVE_FROM_CRL = 8,
	PKI_REASON_PRIVILEGE_WITHDRAWN = 9,
	PKI_REASON_AA_COMPROMISE = 10,
};

struct pki_revoked {
	uint8_t serial[20];    /* positive serial, big-endian magnitude */
	size_t serial_len;     /* 1..20 */
	int64_t revoked_at;
	int reason;            /* enum pki_crl_reason, -1 = none */
};

/*
 * Issues a full CRL v2 signed by ca_key with SHA-256 (ECDSA or RSA
 * PKCS#1 v1.5, after the key): issuer = ca's subject, thisUpdate,
 * nextUpdate (> thisUpdate), extensions cRLNumber (crl_number) and
 * authorityKeyIdentifier (ca's subjectKeyIdentifier, else the SHA-1 of
 * its public key), entries sorted by serial, each with a reasonCode
 * extension. RFC 5280 §5.3.1: unspecified (0) is written as no reasonCode
 * and removeFromCRL (8), a delta-CRL-only reason, is refused (ESD_EINVAL),
 * as are a duplicate serial and a bad serial length. n may be 0 (rev
 * NULL).
 */
int pki_crl_issue(X509 *ca, EVP_PKEY *ca_key, const struct pki_revoked *rev,
		  size_t n, int64_t this_update, int64_t next_update,
		  uint64_t crl_number, uint8_t **der, size_t *len);

/* RFC 5280 name ("keyCompromise", case-insensitive) to its code;
 * ESD_EINVAL for an unknown name. */
int pki_crl_reason_parse(const char *name, int *reason);
/* RFC 5280 name of a code; NULL for -1, 7 or out of range. */
const char *pki_crl_reason_name(int reason);

/* ---- OCSP (RFC 6960) ------------------------------------------------ */

#define PKI_OCSP_MAX_SINGLE 8
#define PKI_OCSP_HASH_MAX 32     /* SHA-256 */
#define PKI_OCSP_SERIAL_MAX 20   /* RFC 5280 §4.1.2.2 */
#define PKI_OCSP_NONCE_MAX 34    /* DER OCTET STRING of 32 (RFC 8954) */

/* One CertID, exactly as requested: rebuilding it from these fields
 * gives the requested DER back (pki_ocsp_parse checks that). */
struct pki_ocsp_single {
	int hash_nid;            /* NID_sha1 or NID_sha256 */
	int hash_params_null;    /* 1: AlgorithmIdentifier parameters NULL,
				  * 0: absent */
	size_t hash_len;         /* 20 or 32, after hash_nid */
	uint8_t name_hash[PKI_OCSP_HASH_MAX];  /* issuerNameHash */
	uint8_t key_hash[PKI_OCSP_HASH_MAX];   /* issuerKeyHash */
	size_t serial_len;       /* 1..20, minimal (no leading zero byte) */
	uint8_t serial[PKI_OCSP_SERIAL_MAX];   /* positive, big-endian */
};

struct pki_ocsp_query {
	size_t n;                /* 1..PKI_OCSP_MAX_SINGLE */
	struct pki_ocsp_single single[PKI_OCSP_MAX_SINGLE];
	/* extnValue of the id-pkix-ocsp-nonce extension as received, echoed
	 * verbatim: a DER OCTET STRING of 1..32 bytes (RFC 8954), or for
	 * legacy clients 1..32 raw bytes. nonce_len 0: no nonce. */
	size_t nonce_len;
	uint8_t nonce[PKI_OCSP_NONCE_MAX];
};

/* CertStatus (RFC 6960 §4.2.1), same values as V_OCSP_CERTSTATUS_*. */
enum pki_ocsp_cert_status {
	PKI_OCSP_GOOD = 0,
	PKI_OCSP_REVOKED = 1,
	PKI_OCSP_UNKNOWN = 2,
};

/* The keeper's answer for one single request. */
struct pki_ocsp_status {
	int status;              /* enum pki_ocsp_cert_status */
	int64_t revoked_at;      /* REVOKED only */
	int reason;              /* REVOKED only: enum pki_crl_reason */
};

/* OCSPResponseStatus values answered without a body (RFC 6960 §4.2.1). */
enum pki_ocsp_resp_status {
	PKI_OCSP_MALFORMED_REQUEST = 1,
	PKI_OCSP_INTERNAL_ERROR = 2,
	PKI_OCSP_TRY_LATER = 3,
	PKI_OCSP_SIG_REQUIRED = 5,
	PKI_OCSP_UNAUTHORIZED = 6,
};

/*
 * Front: parses an OCSPRequest (at most 16 KiB) into *q (zeroed first, so
 * struct padding carries nothing over IPC). 1..8 single requests with
 * SHA-1 or SHA-256 CertIDs, positive serials of at most 20 bytes. A
 * request signature and requestorName are ignored (not checked), as are
 * non-critical extensions other than the nonce. ESD_EINVAL: not exactly
 * one DER OCSPRequest, 0 or more than 8 singles, a nonce too long or
 * empty, a serial too long; ESD_EUNSUPP: another hash algorithm, a
 * critical extension we do not know. Answer either with
 * pki_ocsp_error_response(PKI_OCSP_MALFORMED_REQUEST).
 */
int pki_ocsp_parse(const uint8_t *der, size_t len, struct pki_ocsp_query *q);

/*
 * Keeper: a successful OCSPResponse holding a BasicOCSPResponse signed by
 * signer_key with SHA-256: responderID byKey, one SingleResponse per
 * single request in order (st[i] answers q->single[i]), its CertID
 * echoing the request's, thisUpdate = now, nextUpdate = next_update
 * (omitted if 0), the nonce extension echoed, the signer certificate in
 * certs. producedAt is OpenSSL's clock at signing time.
 *
 * signer must be issuer itself or a delegated responder issued by it
 * with extendedKeyUsage id-kp-OCSPSigning (RFC 6960 §4.2.2.2); a good or
 * revoked status for a CertID that does not name issuer is refused
 * (ESD_EINVAL: say unknown instead). q and st are checked field by field.
 */
int pki_ocsp_respond(const struct pki_ocsp_query *q,
		     const struct pki_ocsp_status *st, X509 *issuer,
		     X509 *signer, EVP_PKEY *signer_key, int64_t now,
		     int64_t next_update, uint8_t **der, size_t *len);

/* An unsigned OCSPResponse with only a status (enum pki_ocsp_resp_status;
 * ESD_EINVAL for successful or an unknown value). */
int pki_ocsp_error_response(int status, uint8_t **der, size_t *len);

/* 1 if s's issuerNameHash and issuerKeyHash are those of issuer (hashed
 * with s's algorithm, compared in constant time), 0 if not, negative
 * ESD_E* on a bad s. */
int pki_ocsp_id_matches_issuer(const struct pki_ocsp_single *s, X509 *issuer);

/* ---- Time stamps (RFC 3161) ----------------------------------------- */

#define PKI_TSQ_IMPRINT_MAX 64   /* SHA-512 */
#define PKI_TSQ_NONCE_MAX 32
#define PKI_TSQ_POLICY_MAX 64    /* dotted text, without the NUL */

struct pki_tsq {
	int md_nid;              /* NID_sha256, NID_sha384 or NID_sha512 */
	int md_params_null;      /* 1: AlgorithmIdentifier parameters NULL */
	size_t imprint_len;      /* the digest size of md_nid */
	uint8_t imprint[PKI_TSQ_IMPRINT_MAX];
	int has_nonce;
	int nonce_neg;           /* the INTEGER is negative */
	size_t nonce_len;        /* 1..32, minimal magnitude */
	uint8_t nonce[PKI_TSQ_NONCE_MAX];
	int cert_req;
	char policy[PKI_TSQ_POLICY_MAX + 1]; /* reqPolicy, "" if absent */
};

/* PKIFailureInfo bits (RFC 3161 §2.4.2), same values as TS_INFO_*. */
enum pki_ts_fail {
	PKI_TS_BAD_ALG = 0,
	PKI_TS_BAD_REQUEST = 2,
	PKI_TS_BAD_DATA_FORMAT = 5,
	PKI_TS_TIME_NOT_AVAILABLE = 14,
	PKI_TS_UNACCEPTED_POLICY = 15,
	PKI_TS_UNACCEPTED_EXTENSION = 16,
	PKI_TS_ADD_INFO_NOT_AVAILABLE = 17,
	PKI_TS_SYSTEM_FAILURE = 25,
};

/*
 * Front: parses a TimeStampReq (at most 4 KiB) into *q (zeroed first, and
 * left zeroed on failure). On failure *fail, if fail is not NULL, gets
 * the PKIFailureInfo bit to answer with pki_tsa_error_response:
 *   ESD_EINVAL   not exactly one DER TimeStampReq, version not 1, digest
 *                parameters neither NULL nor absent, nonce longer than
 *                32 bytes, reqPolicy longer than 64 characters
 *                (PKI_TS_BAD_REQUEST); imprint length not the digest's
 *                (PKI_TS_BAD_DATA_FORMAT)
 *   ESD_EUNSUPP  a digest other than SHA-256/384/512 (PKI_TS_BAD_ALG),
 *                any extension (PKI_TS_UNACCEPTED_EXTENSION)
 */
int pki_tsq_parse(const uint8_t *der, size_t len, struct pki_tsq *q,
		  int *fail);

/*
 * Internal requests (the keeper stamping a signature it just made): *q
 * for digest (dlen must be md's size; SHA-256/384/512), certReq set, no
 * policy, nonce (big-endian, positive, up to 32 bytes) if nonce_len > 0.
 */
int pki_tsq_build(const EVP_MD *md, const uint8_t *digest, size_t dlen,
		  const uint8_t *nonce, size_t nonce_len, struct pki_tsq *q);

/* The DER TimeStampReq of q (an outside TSA's request); *der is
 * OPENSSL_malloc'ed. */
int pki_tsq_encode(const struct pki_tsq *q, uint8_t **der, size_t *len);
/* 1 if the TimeStampResp der grants a token for q's imprint and nonce. */
int pki_tsr_matches(const uint8_t *der, size_t len, const struct pki_tsq *q);

/*
 * Keeper: a TimeStampResp for q. Granted: a TSTInfo with policy_oid (the
 * TSA's, dotted), q's messageImprint and nonce, serialNumber from serial
 * (positive big-endian, 1..20 bytes, the caller keeps it unique), genTime
 * now, accuracy 1 s, ordering false; a SignedData signed by tsa_key with
 * SHA-256 carrying ESS signing-certificate-v2 (SHA-256), and tsa_cert
 * plus chain (may be NULL) if q asked for certificates. tsa_cert must
 * have the only, critical, extendedKeyUsage timeStamping (RFC 3161
 * §2.3), else ESD_EINVAL. Rejection (a valid response, rc 0): q names a
 * policy other than policy_oid (unacceptedPolicy).
 *
 * OpenSSL's responder (TS_RESP_CTX) reads the request from a BIO only:
 * we encode a fresh TimeStampReq from the checked fields of q and give it
 * that, so the keeper only ever decodes its own encoding.
 */
int pki_tsa_respond(const struct pki_tsq *q, X509 *tsa_cert,
		    EVP_PKEY *tsa_key, STACK_OF(X509) *chain,
		    const char *policy_oid, const uint8_t *serial,
		    size_t serial_len, int64_t now, uint8_t **resp_der,
		    size_t *resp_len);

/* An unsigned TimeStampResp with status rejection and one failure bit
 * (enum pki_ts_fail), for a request the front could not parse. */
int pki_tsa_error_response(int fail, uint8_t **der, size_t *len);

/*
 * Front: the TimeStampToken (ContentInfo of SignedData, DER) of a
 * TimeStampResp, to embed as an unsigned attribute (the PDF signature
 * timestamp). ESD_EINVAL: not exactly one DER TimeStampResp; ESD_EPERM:
 * status not granted(WithMods) or no token. The token is not verified.
 */
int pki_tst_from_resp(const uint8_t *resp, size_t len, uint8_t **token_der,
		      size_t *token_len);

#endif
