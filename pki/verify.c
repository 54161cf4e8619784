/*
 * Verification of a detached CMS SignedData (RFC 5652 §5.4, §5.6) over
 * segmented content, with the signer's path built separately so that
 * "intact but not trusted" and "tampered" stay two different answers.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ess.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/ts.h>
#include <openssl/x509v3.h>

#include "common/err.h"
#include "pki/pki.h"
#include "pki/verify.h"
#include "pki/verify_int.h"

/* BIO_write takes an int: feed large segments in pieces. */
/* Hashed at a time: a mapped segment's pages go after each piece. */
#define CHUNK ((size_t)1 << 22)

const char *pki_chain_name(enum pki_chain c)
{
	switch (c) {
	case PKI_CHAIN_TRUSTED: return "trusted";
	case PKI_CHAIN_UNTRUSTED: return "untrusted";
	case PKI_CHAIN_EXPIRED: return "expired";
	case PKI_CHAIN_REVOKED: return "revoked";
	case PKI_CHAIN_INVALID: return "invalid";
	case PKI_CHAIN_NOT_CHECKED: break;
	}
	return "not_checked";
}

const char *pki_revocation_name(enum pki_revocation r)
{
	switch (r) {
	case PKI_REV_GOOD: return "good";
	case PKI_REV_REVOKED: return "revoked";
	case PKI_REV_UNKNOWN: break;
	}
	return "unknown";
}

void pki_time_iso(time_t t, char *out, size_t cap)
{
	struct tm tm;

	if (cap == 0)
		return;
	out[0] = '\0';
	if (gmtime_r(&t, &tm) != NULL)
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Copies src (len bytes) as a NUL-terminated string into dst, cutting on
 * a UTF-8 character boundary when it does not fit. */
static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
	if (cap == 0)
		return;
	if (len >= cap) {
		len = cap - 1;
		while (len > 0 && ((unsigned char)src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

static void set_problem(struct pki_verify_result *res, const char *msg)
{
	if (res->problem[0] == '\0')
		copy_str(res->problem, sizeof(res->problem), msg, strlen(msg));
}

/* RFC 2253 form, UTF-8 kept as is (not \XX-escaped). */
static void name_str(const X509_NAME *n, char *out, size_t cap)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long len;

	out[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)
	    >= 0 && (len = BIO_get_mem_data(b, &p)) > 0)
		copy_str(out, cap, p, (size_t)len);
	BIO_free(b);
}

static int asn1_time(const ASN1_TIME *a, time_t *out)
{
	struct tm tm;

	if (a == NULL || ASN1_TIME_to_tm(a, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

static void cert_info(X509 *x, struct pki_cert_info *ci)
{
	ci->present = 1;
	name_str(X509_get_subject_name(x), ci->subject, sizeof(ci->subject));
	name_str(X509_get_issuer_name(x), ci->issuer, sizeof(ci->issuer));
	if (pki_cert_serial_hex(x, ci->serial, sizeof(ci->serial)) != 0)
		ci->serial[0] = '\0';
	(void)asn1_time(X509_get0_notBefore(x), &ci->not_before);
	(void)asn1_time(X509_get0_notAfter(x), &ci->not_after);
}

/* Long name of an algorithm OID ("sha256", "rsaEncryption"), else dotted. */
static void alg_name(const X509_ALGOR *alg, char *out, size_t cap)
{
	const ASN1_OBJECT *obj = NULL;

	out[0] = '\0';
	if (alg == NULL)
		return;
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	if (obj != NULL && OBJ_obj2txt(out, (int)cap, obj, 0) < 0)
		out[0] = '\0';
}

static const EVP_MD *alg_md(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj = NULL;

	if (alg == NULL)
		return NULL;
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	return obj ? EVP_get_digestbyobj(obj) : NULL;
}

/*
 * Path from leaf to an anchor, with the CMS certificates as untrusted
 * intermediates; any purpose (the seal and individual profiles differ and
 * key usage is the policy's business, not integrity's).
 */
static void check_chain(X509_STORE *anchors, X509 *leaf,
			STACK_OF(X509) *untrusted, time_t at,
			struct pki_chain_result *c)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *path;
	const char *txt;
	unsigned long flags;
	int ok;

	c->status = PKI_CHAIN_INVALID;
	c->revocation = PKI_REV_UNKNOWN;
	if (ctx == NULL || X509_STORE_CTX_init(ctx, anchors, leaf, untrusted) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY) != 1) {
		c->error = X509_V_ERR_UNSPECIFIED;
		copy_str(c->error_text, sizeof(c->error_text),
			 "cannot set up path building", 27);
		goto out;
	}
	if (at != 0)
		X509_STORE_CTX_set_time(ctx, 0, at);
	ok = X509_verify_cert(ctx);
	c->error = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	path = X509_STORE_CTX_get0_chain(ctx);
	c->depth = path ? sk_X509_num(path) : 0;
	flags = X509_VERIFY_PARAM_get_flags(X509_STORE_CTX_get0_param(ctx));
	if (ok == 1) {
		c->status = PKI_CHAIN_TRUSTED;
		if (flags & X509_V_FLAG_CRL_CHECK)
			c->revocation = PKI_REV_GOOD;
		goto out;
	}
	txt = X509_verify_cert_error_string(c->error);
	copy_str(c->error_text, sizeof(c->error_text), txt, strlen(txt));
	switch (c->error) {
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
	case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
	case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
	case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
	case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
	case X509_V_ERR_CERT_UNTRUSTED:
	case X509_V_ERR_CERT_REJECTED:
		c->status = PKI_CHAIN_UNTRUSTED;
		break;
	case X509_V_ERR_CERT_HAS_EXPIRED:
	case X509_V_ERR_CERT_NOT_YET_VALID:
		c->status = PKI_CHAIN_EXPIRED;
		break;
	case X509_V_ERR_CERT_REVOKED:
		c->status = PKI_CHAIN_REVOKED;
		c->revocation = PKI_REV_REVOKED;
		break;
	default:
		c->status = PKI_CHAIN_INVALID;
		break;
	}
out:
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
}

/* The value of a single-valued SEQUENCE attribute as DER (data + len). */
static int seq_attr(ASN1_STRING *s, const unsigned char **p, long *len)
{
	if (s == NULL)
		return -1;
	*p = ASN1_STRING_get0_data(s);
	*len = ASN1_STRING_length(s);
	return 0;
}

/*
 * ESS signing-certificate(-v2) (RFC 2634 §5.4, RFC 5035): the first
 * ESSCertID must be the hash of the signer certificate; further ones must
 * be among the other certificates. OSSL_ESS_check_signing_certs does the
 * hash (and issuerSerial) comparison.
 */
static void check_ess(CMS_SignerInfo *si, X509 *signer,
		      STACK_OF(X509) *certs, struct pki_verify_result *res)
{
	ESS_SIGNING_CERT *v1 = NULL;
	ESS_SIGNING_CERT_V2 *v2 = NULL;
	STACK_OF(X509) *chain = NULL;
	const unsigned char *p;
	long len;

	if (CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificateV2,
				       -1) >= 0)
		res->ess_version = 2;
	else if (CMS_signed_get_attr_by_NID(si, NID_id_smime_aa_signingCertificate,
					    -1) >= 0)
		res->ess_version = 1;
	else
		return;
	if (seq_attr(CMS_signed_get0_data_by_OBJ(si,
			OBJ_nid2obj(NID_id_smime_aa_signingCertificateV2), -3,
			V_ASN1_SEQUENCE), &p, &len) == 0)
		v2 = d2i_ESS_SIGNING_CERT_V2(NULL, &p, len);
	if (seq_attr(CMS_signed_get0_data_by_OBJ(si,
			OBJ_nid2obj(NID_id_smime_aa_signingCertificate), -3,
			V_ASN1_SEQUENCE), &p, &len) == 0)
		v1 = d2i_ESS_SIGNING_CERT(NULL, &p, len);
	if (signer == NULL || (v1 == NULL && v2 == NULL))
		goto out;
	chain = sk_X509_new_null();
	if (chain == NULL || !sk_X509_push(chain, signer))
		goto out;
	for (int i = 0; i < sk_X509_num(certs); i++) {
		X509 *x = sk_X509_value(certs, i);

		if (X509_cmp(x, signer) != 0 && !sk_X509_push(chain, x))
			goto out;
	}
	/* Each present attribute must match on its own (RFC 5035 §4). */
	res->ess_match = OSSL_ESS_check_signing_certs(v1, v2, chain, 1) == 1;
out:
	sk_X509_free(chain);
	ESS_SIGNING_CERT_free(v1);
	ESS_SIGNING_CERT_V2_free(v2);
	ERR_clear_error();
}

static void check_signing_time(CMS_SignerInfo *si,
			       struct pki_verify_result *res)
{
	int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
	X509_ATTRIBUTE *a;
	ASN1_TYPE *t;

	if (idx < 0 || (a = CMS_signed_get_attr(si, idx)) == NULL ||
	    X509_ATTRIBUTE_count(a) != 1 ||
	    (t = X509_ATTRIBUTE_get0_type(a, 0)) == NULL)
		return;
	if ((t->type == V_ASN1_UTCTIME || t->type == V_ASN1_GENERALIZEDTIME) &&
	    asn1_time((const ASN1_TIME *)t->value.asn1_string,
		      &res->signing_time) == 0)
		res->has_signing_time = 1;
}

/* Drops the hashed piece [p, p+n) of a mapped segment from memory. */
static void hashed(const struct pki_seg *s, const uint8_t *p, size_t n)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), a;

	if (!s->mapped || n == 0)
		return;
	a = (uintptr_t)p & ~(pg - 1);
	madvise((void *)a, (uintptr_t)(p + n) - a, MADV_DONTNEED);
}

/* Streams the segments through an md BIO (no copy of the content). */
static int feed(BIO *chain, const struct pki_seg *segs, size_t nsegs)
{
	for (size_t i = 0; i < nsegs; i++) {
		const uint8_t *p = segs[i].p;
		size_t left = segs[i].len;

		while (left > 0) {
			size_t n = left < CHUNK ? left : CHUNK;

			if (BIO_write(chain, p, (int)n) != (int)n)
				return ESD_ECRYPTO;
			hashed(&segs[i], p, n);
			p += n;
			left -= n;
		}
	}
	return 0;
}

/* The same into a digest context. */
static int digest_segs(EVP_MD_CTX *c, const struct pki_seg *segs,
		       size_t nsegs)
{
	for (size_t i = 0; i < nsegs; i++)
		for (size_t off = 0; off < segs[i].len; off += CHUNK) {
			size_t n = segs[i].len - off < CHUNK ? segs[i].len - off
							     : CHUNK;

			if (EVP_DigestUpdate(c, segs[i].p + off, n) != 1)
				return 0;
			hashed(&segs[i], segs[i].p + off, n);
		}
	return 1;
}

/*
 * A TimeStampToken (DER ContentInfo at p): a SignedData whose eContent is
 * a TSTInfo. Its messageImprint must be the hash of data (a signature
 * value) or, with data NULL, of the segments (a document timestamp).
 */
static void eval_token(const unsigned char *p, long len, X509_STORE *anchors,
		       time_t at, const uint8_t *data, size_t dlen,
		       const struct pki_seg *segs, size_t nsegs,
		       const struct pki_vdata *vd, struct pki_tst_result *t)
{
	CMS_ContentInfo *tok = NULL;
	TS_TST_INFO *tst = NULL;
	STACK_OF(X509) *certs = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	ASN1_OCTET_STRING **pos, *imp;
	TS_MSG_IMPRINT *mi;
	const EVP_MD *md;
	unsigned char h[EVP_MAX_MD_SIZE];
	unsigned int hl = 0;
	int have = 0;

	if ((tok = d2i_CMS_ContentInfo(NULL, &p, len)) == NULL ||
	    OBJ_obj2nid(CMS_get0_type(tok)) != NID_pkcs7_signed ||
	    OBJ_obj2nid(CMS_get0_eContentType(tok)) != NID_id_smime_ct_TSTInfo ||
	    (pos = CMS_get0_content(tok)) == NULL || *pos == NULL)
		goto out;
	p = ASN1_STRING_get0_data(*pos);
	tst = d2i_TS_TST_INFO(NULL, &p, ASN1_STRING_length(*pos));
	if (tst == NULL)
		goto out;
	t->parsed = 1;
	(void)asn1_time(TS_TST_INFO_get_time(tst), &t->gen_time);
	mi = TS_TST_INFO_get_msg_imprint(tst);
	alg_name(TS_MSG_IMPRINT_get_algo(mi), t->digest_alg,
		 sizeof(t->digest_alg));
	md = alg_md(TS_MSG_IMPRINT_get_algo(mi));
	imp = TS_MSG_IMPRINT_get_msg(mi);
	if (md != NULL && data != NULL)
		have = EVP_Digest(data, dlen, h, &hl, md, NULL) == 1;
	else if (md != NULL) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();

		have = c != NULL && EVP_DigestInit_ex(c, md, NULL) == 1 &&
		       digest_segs(c, segs, nsegs) &&
		       EVP_DigestFinal_ex(c, h, &hl) == 1;
		EVP_MD_CTX_free(c);
	}
	if (have && imp != NULL)
		t->imprint_ok = (unsigned)ASN1_STRING_length(imp) == hl &&
				CRYPTO_memcmp(ASN1_STRING_get0_data(imp), h,
					      hl) == 0;
	/* The token's own signature, its certificate path judged apart. */
	t->signature_ok = CMS_verify(tok, NULL, NULL, NULL, NULL,
				     CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) == 1;
	ERR_clear_error();
	certs = CMS_get1_certs(tok);
	sis = CMS_get0_SignerInfos(tok);
	if (sk_CMS_SignerInfo_num(sis) >= 1) {
		X509 *tsa = NULL;

		(void)CMS_set1_signers_certs(tok, NULL, 0);
		CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL,
					 &tsa, NULL, NULL);
		if (tsa != NULL) {
			cert_info(tsa, &t->tsa);
			check_chain(anchors, tsa, certs, at, &t->chain);
			/* the TSA's status from the document's validation
			 * data, like the signer's */
			if (vd != NULL &&
			    t->chain.revocation == PKI_REV_UNKNOWN) {
				time_t issued = 0;

				t->chain.revocation = pki_vd_revocation(
					tsa, certs, anchors, vd,
					&t->chain.revoked_at, &issued);
				/* good only from an answer issued at or
				 * after the time the token proves */
				if (t->chain.revocation == PKI_REV_GOOD &&
				    issued + PKI_REV_GRACE < t->gen_time) {
					t->chain.revocation = PKI_REV_UNKNOWN;
					t->chain.revocation_stale = 1;
				}
			}
		}
	}
out:
	sk_X509_pop_free(certs, X509_free);
	TS_TST_INFO_free(tst);
	CMS_ContentInfo_free(tok);
	ERR_clear_error();
}

/*
 * id-aa-signatureTimeStampToken (RFC 3161 appendix A): its
 * messageImprint is the hash of the SignerInfo's signature value.
 */
static void check_tst(CMS_SignerInfo *si, X509_STORE *anchors, time_t at,
		      const struct pki_vdata *vd, struct pki_tst_result *t)
{
	ASN1_OCTET_STRING *sig;
	const unsigned char *p;
	long len;

	if (CMS_unsigned_get_attr_by_NID(si, NID_id_smime_aa_timeStampToken,
					 -1) < 0)
		return;
	t->present = 1;
	sig = CMS_SignerInfo_get0_signature(si);
	if (sig == NULL ||
	    seq_attr(CMS_unsigned_get0_data_by_OBJ(si,
			OBJ_nid2obj(NID_id_smime_aa_timeStampToken), -3,
			V_ASN1_SEQUENCE), &p, &len) != 0) {
		ERR_clear_error();
		return;
	}
	eval_token(p, len, anchors, at, ASN1_STRING_get0_data(sig),
		   (size_t)ASN1_STRING_length(sig), NULL, 0, vd, t);
}

int pki_verify_doc_timestamp(const uint8_t *der, size_t len,
			     const struct pki_seg *segs, size_t nsegs,
			     X509_STORE *anchors, time_t at,
			     const struct pki_vdata *vd,
			     struct pki_tst_result *t)
{
	memset(t, 0, sizeof(*t));
	if (der == NULL || len == 0 || len > LONG_MAX)
		return ESD_EINVAL;
	t->present = 1;
	eval_token(der, (long)len, anchors, at, NULL, 0, segs, nsegs, vd, t);
	return 0;
}


int pki_verify_detached(const uint8_t *der, size_t len,
			const struct pki_seg *segs, size_t nsegs,
			X509_STORE *anchors, time_t at,
			struct pki_verify_result *res)
{
	return pki_verify_detached_vd(der, len, segs, nsegs, anchors, at, NULL,
				      res);
}

int pki_verify_detached_vd(const uint8_t *der, size_t len,
			   const struct pki_seg *segs, size_t nsegs,
			   X509_STORE *anchors, time_t at,
			   const struct pki_vdata *vd,
			   struct pki_verify_result *res)
{
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	STACK_OF(X509) *certs = NULL;
	CMS_SignerInfo *si;
	X509 *signer = NULL;
	X509_ALGOR *digalg = NULL, *sigalg = NULL;
	ASN1_OCTET_STRING **pos, *mdattr;
	EVP_MD_CTX *mctx = NULL, *copy = NULL;
	BIO *mdbio = NULL, *sink = NULL;
	const EVP_MD *md;
	const unsigned char *p = der;
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	char msg[160];
	int rc = 0, n;

	if (der == NULL || res == NULL || anchors == NULL ||
	    (segs == NULL && nsegs > 0))
		return ESD_EINVAL;
	memset(res, 0, sizeof(*res));
	if (len == 0 || len > LONG_MAX ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL) {
		set_problem(res, "the signature is not a CMS ContentInfo");
		goto out;
	}
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		set_problem(res, "the CMS is not SignedData");
		goto out;
	}
	pos = CMS_get0_content(cms);
	if (pos != NULL && *pos != NULL) {
		set_problem(res, "the SignedData is not detached");
		goto out;
	}
	sis = CMS_get0_SignerInfos(cms);
	n = sk_CMS_SignerInfo_num(sis);
	if (n <= 0) {
		set_problem(res, "the SignedData has no SignerInfo");
		goto out;
	}
	res->parsed = 1;
	res->signer_count = (unsigned)n;
	si = sk_CMS_SignerInfo_value(sis, 0);

	/* The signer certificate comes from the CMS certificates only. */
	certs = CMS_get1_certs(cms);
	(void)CMS_set1_signers_certs(cms, NULL, 0);
	ERR_clear_error();
	CMS_SignerInfo_get0_algs(si, NULL, &signer, &digalg, &sigalg);
	alg_name(digalg, res->digest_alg, sizeof(res->digest_alg));
	alg_name(sigalg, res->signature_alg, sizeof(res->signature_alg));
	if (signer != NULL)
		cert_info(signer, &res->signer);

	md = alg_md(digalg);
	if (md == NULL) {
		snprintf(msg, sizeof(msg), "unsupported digest algorithm %s",
			 res->digest_alg);
		set_problem(res, msg);
		goto out;
	}
	mdbio = BIO_new(BIO_f_md());
	sink = BIO_new(BIO_s_null());
	copy = EVP_MD_CTX_new();
	if (mdbio == NULL || sink == NULL || copy == NULL) {
		rc = ESD_ENOMEM;
		goto out;
	}
	BIO_push(mdbio, sink);
	sink = NULL;             /* freed with the chain */
	if (BIO_set_md(mdbio, md) != 1) {
		rc = ESD_ECRYPTO;
		goto out;
	}
	if ((rc = feed(mdbio, segs, nsegs)) != 0)
		goto out;
	if (BIO_get_md_ctx(mdbio, &mctx) != 1 || mctx == NULL ||
	    EVP_MD_CTX_copy_ex(copy, mctx) != 1 ||
	    EVP_DigestFinal_ex(copy, dig, &dlen) != 1) {
		rc = ESD_ECRYPTO;
		goto out;
	}

	res->has_signed_attrs = CMS_signed_get_attr_count(si) > 0;
	if (res->has_signed_attrs) {
		/* RFC 5652 §5.4: messageDigest is the content digest, and the
		 * signature is over the DER of the signed attributes. */
		res->has_content_type =
			CMS_signed_get_attr_by_NID(si, NID_pkcs9_contentType,
						   -1) >= 0;
		mdattr = CMS_signed_get0_data_by_OBJ(si,
				OBJ_nid2obj(NID_pkcs9_messageDigest), -3,
				V_ASN1_OCTET_STRING);
		if (mdattr == NULL)
			set_problem(res, "no single messageDigest attribute");
		else if ((unsigned)ASN1_STRING_length(mdattr) == dlen &&
			 CRYPTO_memcmp(ASN1_STRING_get0_data(mdattr), dig,
				       dlen) == 0)
			res->digest_ok = 1;
		else
			set_problem(res, "the messageDigest does not match the "
				    "signed bytes (changed after signing)");
		if (signer == NULL)
			set_problem(res, "the signer certificate is not in "
				    "the CMS");
		else if (CMS_SignerInfo_verify(si) == 1)
			res->signature_ok = 1;
		else
			set_problem(res, "the signature over the signed "
				    "attributes does not verify");
		check_signing_time(si, res);
		check_ess(si, signer, certs, res);
	} else if (signer == NULL) {
		set_problem(res, "the signer certificate is not in the CMS");
	} else {
		/* No signed attributes: the signature is over the content
		 * digest itself, so the two checks are one. */
		if (CMS_SignerInfo_verify_content(si, mdbio) == 1) {
			res->digest_ok = 1;
			res->signature_ok = 1;
		} else {
			set_problem(res, "the signature does not verify over "
				    "the signed bytes");
		}
	}
	ERR_clear_error();

	check_tst(si, anchors, at, vd, &res->tst);
	if (signer != NULL)
		check_chain(anchors, signer, certs, at, &res->chain);
	if (signer != NULL && vd != NULL)
		res->dss_revocation = pki_vd_revocation(signer, certs, anchors,
							vd, &res->dss_revoked_at,
							&res->dss_issued);
	if (signer != NULL && vd != NULL && vd->crl_at != NULL)
		res->issuer_revocation = pki_issuer_revocation(
			signer, certs, anchors, vd, &res->issuer_revoked_at);
out:
	EVP_MD_CTX_free(copy);
	BIO_free_all(mdbio);
	BIO_free(sink);
	sk_X509_pop_free(certs, X509_free);
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}

int pki_cms_signed_values(const uint8_t *der, size_t len,
			  struct pki_signed_values *out)
{
	const unsigned char *p = der;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_SignerInfo) *sis;
	CMS_SignerInfo *si;
	ASN1_OCTET_STRING *md;
	size_t body = 0, hl;
	int n, rc = ESD_EINVAL;

	memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0 || len > LONG_MAX ||
	    (cms = d2i_CMS_ContentInfo(NULL, &p, (long)len)) == NULL ||
	    (sis = CMS_get0_SignerInfos(cms)) == NULL ||
	    sk_CMS_SignerInfo_num(sis) < 1)
		goto out;
	si = sk_CMS_SignerInfo_value(sis, 0);
	md = CMS_signed_get0_data_by_OBJ(si, OBJ_nid2obj(NID_pkcs9_messageDigest),
					 -3, V_ASN1_OCTET_STRING);
	n = md != NULL ? ASN1_STRING_length(md) : 0;
	if (n > 0 && (size_t)n <= sizeof(out->digest)) {
		memcpy(out->digest, ASN1_STRING_get0_data(md), (size_t)n);
		out->digest_len = (size_t)n;
	}
	/* RFC 5652 §5.4: what the signature covers is the attributes as a
	 * DER SET OF (tag 0x31); they were parsed in their encoded order, so
	 * encoding each again rebuilds those bytes. */
	n = CMS_signed_get_attr_count(si);
	for (int i = 0; i < n; i++) {
		int l = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), NULL);

		if (l <= 0 || (size_t)l > sizeof(out->attrs))
			goto done;
		body += (size_t)l;
	}
	hl = body < 0x80 ? 2 : body < 0x100 ? 3 : 4;
	if (n <= 0 || body > 0xFFFF || hl + body > sizeof(out->attrs))
		goto done;
	out->attrs[0] = 0x31;
	if (hl == 2) {
		out->attrs[1] = (uint8_t)body;
	} else if (hl == 3) {
		out->attrs[1] = 0x81;
		out->attrs[2] = (uint8_t)body;
	} else {
		out->attrs[1] = 0x82;
		out->attrs[2] = (uint8_t)(body >> 8);
		out->attrs[3] = (uint8_t)body;
	}
	out->attrs_len = hl;
	for (int i = 0; i < n; i++) {
		unsigned char *q = out->attrs + out->attrs_len;
		int l = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &q);

		if (l <= 0) {
			out->attrs_len = 0;
			goto done;
		}
		out->attrs_len += (size_t)l;
	}
done:
	rc = 0;
out:
	CMS_ContentInfo_free(cms);
	ERR_clear_error();
	return rc;
}
