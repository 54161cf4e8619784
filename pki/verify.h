/*
 * pki/verify: checking one detached CMS SignedData (RFC 5652) against the
 * bytes it signs, the way a PAdES / CAdES validator does (ETSI EN 319 102-1
 * basic validation, without revocation fetching). Knows nothing of PDF or
 * HTTP: the caller hands the CMS DER, the signed content as a list of
 * segments (a PDF byte range without copying the document), the trust
 * anchors and the validation time.
 *
 * The outcome is a plain struct filled by value (no allocation to free);
 * strings are NUL-terminated UTF-8, truncated to their array size.
 */
#ifndef ESD_PKI_VERIFY_H
#define ESD_PKI_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/x509.h>

/* One piece of the signed content, borrowed. mapped: p lies in a
 * read-only file mapping whose pages are dropped from memory once hashed
 * (a spooled document: memory does not grow with its size). */
struct pki_seg {
	const uint8_t *p;
	size_t len;
	int mapped;
};

/* Certificate path status (X509_verify_cert from the signer certificate,
 * with the CMS certificates as untrusted intermediates, purpose any). */
enum pki_chain {
	PKI_CHAIN_NOT_CHECKED = 0, /* no signer certificate to start from */
	PKI_CHAIN_TRUSTED,         /* a path to a trust anchor, all valid */
	PKI_CHAIN_UNTRUSTED,       /* no path to a trust anchor */
	PKI_CHAIN_EXPIRED,         /* path found, a certificate out of validity */
	PKI_CHAIN_REVOKED,         /* a certificate revoked (CRL in the store) */
	PKI_CHAIN_INVALID,         /* any other failure (bad cert signature..) */
};

/* Revocation status: only what the store's CRLs can say; no OCSP/CRL
 * fetching yet. */
enum pki_revocation {
	PKI_REV_UNKNOWN = 0,   /* not checked (no CRL checking configured) */
	PKI_REV_GOOD,          /* CRL checking on and the path passed */
	PKI_REV_REVOKED,
};

/* Revocation data proves a certificate good at time T only when it was
 * issued (CRL thisUpdate, OCSP producedAt) at T minus this allowance for
 * clock skew between a TSA and a CA, or later (docs/verify.md). */
#define PKI_REV_GRACE 120

/* Stable lowercase names ("trusted", "untrusted", ...); never NULL. */
const char *pki_chain_name(enum pki_chain c);
const char *pki_revocation_name(enum pki_revocation r);

struct pki_cert_info {
	int present;
	char subject[512];     /* RFC 2253 form, UTF-8 */
	char issuer[512];
	char serial[80];       /* lowercase hex */
	time_t not_before, not_after;
};

struct pki_chain_result {
	enum pki_chain status;
	enum pki_revocation revocation;
	int error;             /* X509_V_* code, 0 if trusted */
	char error_text[128];  /* X509_verify_cert_error_string, "" if ok */
	int depth;             /* length of the built path, 0 if none */
	time_t revoked_at;     /* revoked: when, as the CRL or OCSP says */
	/* a TSA's: good answers in the validation data that were all issued
	 * before the time the token proves (minus PKI_REV_GRACE), so they
	 * were not counted (revocation stays unknown) */
	int revocation_stale;
};

struct pki_tst_result {
	int present;           /* an id-aa-signatureTimeStampToken attribute */
	int parsed;            /* a TSTInfo could be read from it */
	time_t gen_time;       /* TSTInfo genTime (seconds, UTC) */
	char digest_alg[32];   /* messageImprint hash algorithm */
	/* messageImprint == hash of the SignerInfo's signature value
	 * (RFC 3161 appendix A / ETSI EN 319 122-1 §5.3) */
	int imprint_ok;
	int signature_ok;      /* the token's own CMS signature verifies */
	struct pki_cert_info tsa;
	struct pki_chain_result chain; /* TSA certificate to the anchors */
};

/*
 * A document timestamp (PAdES /ETSI.RFC3161): der is the TimeStampToken
 * from /Contents, segs the byte range. Fills t (imprint over the segments,
 * the token's signature, the TSA chain and, from vd (may be NULL), the
 * TSA certificate's status in a CRL of its issuer that vd carries);
 * returns 0 whenever it ran.
 */
struct pki_seg;
struct pki_vdata;
int pki_verify_doc_timestamp(const uint8_t *der, size_t len,
			     const struct pki_seg *segs, size_t nsegs,
			     X509_STORE *anchors, time_t at,
			     const struct pki_vdata *vd,
			     struct pki_tst_result *t);

struct pki_verify_result {
	/* Structure */
	int parsed;            /* DER is a CMS SignedData, detached, 1+ signer */
	unsigned signer_count; /* only the first SignerInfo is checked */
	char problem[256];     /* first reason integrity failed, "" if none */

	/* Integrity: both must be 1 for the signature to be intact. */
	int digest_ok;         /* messageDigest attr == digest of content (or,
	                        * without signed attributes, the signature over
	                        * the content digest verifies) */
	int signature_ok;      /* signature over the signed attributes (or over
	                        * the content digest) verifies with the signer
	                        * certificate's public key */

	char digest_alg[32];   /* e.g. "sha256" */
	char signature_alg[48];/* e.g. "rsaEncryption", "ecdsa-with-SHA256" */
	struct pki_cert_info signer;

	/* Signed attributes */
	int has_signed_attrs;
	int has_content_type;  /* content-type attribute present (RFC 5652) */
	int has_signing_time;
	time_t signing_time;   /* pkcs9 signing-time attribute */
	int ess_version;       /* 2 signing-certificate-v2, 1 v1, 0 none */
	int ess_match;         /* the ESS cert hash matches the signer cert */

	struct pki_tst_result tst;
	struct pki_chain_result chain;

	/* From validation data the document carries (PAdES /DSS), when
	 * given: the signer certificate's status in a CRL of its issuer
	 * that verifies with the issuer's key, or in an OCSP response its
	 * issuer (or a responder it delegated to) signed. */
	enum pki_revocation dss_revocation;
	time_t dss_revoked_at;     /* revoked: the revocation time given */
	time_t dss_issued;         /* good: the latest issuance (thisUpdate,
	                            * producedAt) among the answers saying so;
	                            * the caller judges it against the time
	                            * it must prove */
	/* From the CRL vd->crl_at gave for the signer's distribution point
	 * (verified with the issuer's key, like the /DSS CRLs). */
	enum pki_revocation issuer_revocation;
	time_t issuer_revoked_at;
};

/* DER blobs: a document's validation data (PAdES /DSS). */
struct pki_der {
	const uint8_t *p;
	size_t len;
};
struct pki_vdata {
	const struct pki_der *certs;
	size_t ncerts;
	const struct pki_der *crls;
	size_t ncrls;
	/* Optional: the CRL at the signer certificate's first CRL
	 * distribution point (a URI), as the caller can get it (esignd asks
	 * its keeper for its own CRLs; nothing is fetched from the network).
	 * Returns 0 and a malloc'd DER, or non-zero for none. */
	int (*crl_at)(void *arg, const char *uri, uint8_t **der, size_t *len);
	void *crl_arg;
	/* DER OCSPResponses (RFC 6960); a response counts when it is
	 * successful, its signature verifies and its responder is the
	 * issuer or a delegated OCSP signer with a path to the anchors. It
	 * is historical evidence: its nextUpdate may be past. */
	const struct pki_der *ocsps;
	size_t nocsps;
};

/*
 * Verifies the detached CMS in der[0..len) over the concatenation of
 * segs[0..nsegs) (hashed in place with EVP, never copied) and builds the
 * signer's certificate path to anchors at time at (0 = now). anchors is
 * borrowed and only read (safe to share between threads).
 *
 * Returns 0 when the check ran, whatever its outcome: *res says what was
 * found (a malformed or tampered signature is a result, not an error).
 * Returns ESD_ENOMEM / ESD_EINVAL (NULL argument) / ESD_ECRYPTO only when
 * the check itself could not be carried out; *res is then undefined.
 */
int pki_verify_detached(const uint8_t *der, size_t len,
			const struct pki_seg *segs, size_t nsegs,
			X509_STORE *anchors, time_t at,
			struct pki_verify_result *res);
/* The same, also judging the signer's revocation from vd (may be NULL):
 * res->dss_revocation, and the signature timestamp's TSA (its
 * chain.revocation). */
int pki_verify_detached_vd(const uint8_t *der, size_t len,
			   const struct pki_seg *segs, size_t nsegs,
			   X509_STORE *anchors, time_t at,
			   const struct pki_vdata *vd,
			   struct pki_verify_result *res);

/* What a CMS SignedData's first SignerInfo signs, as BSrE-style
 * reports show it: its messageDigest attribute and the DER of its
 * signed attributes (the SET OF the signature covers). Lengths are 0
 * when absent or too long. */
struct pki_signed_values {
	uint8_t digest[64];
	size_t digest_len;
	uint8_t attrs[4096];
	size_t attrs_len;
};
/* Fills out from der (a CMS ContentInfo; bytes after it, such as a PDF
 * /Contents' zero padding, are ignored): 0, or ESD_EINVAL when der is no
 * SignedData with a SignerInfo. Says nothing of validity. */
int pki_cms_signed_values(const uint8_t *der, size_t len,
			  struct pki_signed_values *out);

/* ISO 8601 UTC ("2024-05-01T10:20:30Z") of t into out (cap >= 21). */
void pki_time_iso(time_t t, char *out, size_t cap);

#endif
