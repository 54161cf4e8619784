/*
 * POST /v1/seal: an organisation's electronic seal on a PDF, and
 * POST /v1/sign: an individual's signature, both as PAdES (ETSI EN
 * 319 142-1) B-B by incremental update. They differ in the key purpose
 * the keeper demands and in that a seal refuses a signed document while
 * an individual signature is added after the earlier ones.
 *
 * The front does everything but the private-key operation: it parses the
 * PDF and plans the update (pdf/), hashes the byte range, builds the CMS
 * signed attributes (pki/cms.c) and sends them to the keeper, which
 * checks the caller's grant, the key's certificate and that the
 * attributes name that certificate and the document digest authorised,
 * hashes them, signs on the token, writes the audit record and only then
 * answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "api/api.h"
#include "api/visible.h"
#include "api/keycache.h"
#include "api/keeper_client.h"
#include "api/multipart.h"
#include "api/spool.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "pdf/pdf.h"
#include "pki/cms.h"
#include "pki/pkisvc.h"

/* DER reserved for the CMS in /Contents: a certificate chain of three
 * RSA-3072 certificates and an RSA signature take about 5 kB; room is
 * left for a timestamp token later. */
#define CONTENTS_RESERVE 16384

void api_pdf_error(struct resp *out, int rc, int reason)
{
	static const struct {
		int reason, err;
		const char *msg;
	} map[] = {
		{ PDF_R_NOT_PDF, ESD_ENOTPDF, "the file is not a PDF" },
		{ PDF_R_TRUNCATED, ESD_EPDFTRUNC,
		  "the PDF is truncated (no startxref / %%EOF at its end)" },
		{ PDF_R_ENCRYPTED, ESD_EENCRYPTED,
		  "the PDF is encrypted; decrypt it before signing" },
		{ PDF_R_DAMAGED, ESD_EDAMAGED,
		  "the PDF's cross-reference data is damaged beyond repair" },
		{ PDF_R_UNSUPPORTED, ESD_EPDFUNSUPP,
		  "the PDF uses a structure esignd cannot update" },
		{ PDF_R_CONTENTS_TOO_SMALL, ESD_ECONTENTS,
		  "the signature does not fit the reserved /Contents" },
		{ PDF_R_ALREADY_SIGNED, ESD_ESIGNED,
		  "the document already carries a signature; a seal goes on "
		  "an unsigned document" },
		{ PDF_R_CERTIFIED, ESD_ESIGNED,
		  "the document is certified and its author forbids changes" },
		{ PDF_R_CERTIFY_SIGNED, ESD_ESIGNED,
		  "a certification signature must be the document's first "
		  "signature; this document is already signed" },
		{ PDF_R_FIELD_EXISTS, ESD_EEXIST,
		  "a signature field with that name exists" },
		{ PDF_R_NO_PAGE, ESD_EINVAL, "the document has no such page" },
		{ PDF_R_BAD_OPTION, ESD_EINVAL,
		  "invalid signature options (reason and location must be "
		  "UTF-8; 'text' printable ASCII, at most 5 lines and 512 "
		  "bytes)" },
	};

	for (size_t i = 0; i < ESD_ARRAY_LEN(map); i++)
		if (map[i].reason == reason) {
			resp_error(out, map[i].err, map[i].msg);
			return;
		}
	resp_error(out, rc, NULL);
}

/* Common name of the subject, for /Name. */
static void subject_cn(X509 *cert, char *out, size_t cap)
{
	out[0] = '\0';
	X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName,
				  out, (int)cap);
}

/*
 * The signing key the keeper grants for purpose, with its certificate and
 * chain: the one kept from an earlier request (keycache.c), or asked for
 * (fresh, or when there is none). On failure out holds the error
 * response.
 */
static int doc_key_get(struct req *r, struct resp *out, const char *purpose,
		       const char *want, int fresh, struct api_key *k)
{
	json_t *j = NULL;
	struct ibuf b;
	int rc;

	want = want ? want : "";
	if (!fresh && api_key_find(&r->cred, purpose, want, k) == 0)
		return 0;
	api_key_forget(&r->cred, purpose, want);
	kc_begin(&b, &r->cred);
	ibuf_put_str(&b, purpose);
	ibuf_put_str(&b, want);
	if (api_keeper_json(out, MSG_DOC_KEY, &b, &j) != 0)
		return ESD_EPERM;
	rc = api_key_parse(j, k);
	json_decref(j);
	if (rc != 0) {
		resp_error(out, rc, NULL);
		return rc;
	}
	api_key_keep(&r->cred, purpose, want, k);
	return 0;
}

/* An RFC 3161 token from the keeper's TSA over a SHA-256 digest. *tst
 * is OPENSSL_malloc'ed. On failure out holds the error response. */
static int tsa_token(struct resp *out, const uint8_t dg[32], uint8_t **tst,
		     size_t *tst_len)
{
	struct cred none = { 0 };
	struct pki_tsq q;
	struct ipc_msg rep;
	struct ibuf b;
	uint8_t nonce[8];
	int rc;

	rc = esd_random(nonce, sizeof(nonce));
	nonce[0] |= 1; /* a nonce is a positive INTEGER without a zero lead */
	if (rc == 0)
		rc = pki_tsq_build(EVP_sha256(), dg, 32, nonce, sizeof(nonce), &q);
	if (rc != 0) {
		resp_error(out, rc, NULL);
		return rc;
	}
	q.cert_req = 1;
	kc_begin(&b, &none);
	ibuf_put_bytes(&b, &q, sizeof(q));
	ibuf_put_u8(&b, 1);     /* for a signature: tsa_url may serve it */
	rc = kc_call(MSG_TSA, &b, &rep, 0);
	ibuf_free(&b);
	if (rc != 0) {
		resp_error(out, ESD_EUNAVAIL, "the keeper is not answering");
		return rc;
	}
	rc = rep.status != 0 ? rep.status
			     : pki_tst_from_resp(rep.data, rep.len, tst, tst_len);
	ipc_msg_clear(&rep);
	if (rc != 0) {
		char msg[128];

		snprintf(msg, sizeof(msg), "the time-stamping authority did not "
			 "grant a timestamp (%s)", esd_err_name(rc));
		log_warn("front: %s", msg);
		resp_error(out, rc == ESD_ETOKEN ? rc : ESD_EUNAVAIL, msg);
	}
	return rc;
}

/* A signature timestamp over the CMS's signature value (PAdES B-T). */
static int add_timestamp(struct resp *out, struct pki_cms *cms)
{
	uint8_t dg[32], *tst = NULL;
	size_t tst_len;
	int rc = pki_cms_signature_digest(cms, dg);

	if (rc != 0) {
		resp_error(out, rc, NULL);
		return rc;
	}
	rc = tsa_token(out, dg, &tst, &tst_len);
	if (rc == 0 && (rc = pki_cms_add_timestamp(cms, tst, tst_len)) != 0)
		resp_error(out, rc, NULL);
	OPENSSL_free(tst);
	return rc;
}

/*
 * The signed document as it grows: the input, then each update after it
 * (the signature; the /DSS of B-LT; the document timestamp of B-LTA). A
 * spooled input grows in its file and is read through a new mapping,
 * whose pages are dropped once read, and hashed with pread: the front's
 * memory does not depend on the document's size. One in memory is copied
 * once, at the first update, into a buffer that then grows.
 */
struct grow {
	const uint8_t *p;     /* the whole document so far */
	size_t len;
	int fd;               /* spooled: the file; else -1 */
	int own_map;          /* p is a mapping of ours */
	uint8_t *buf;         /* in memory, after the first update */
};

static void grow_init(struct grow *g, const struct sign_input *in)
{
	memset(g, 0, sizeof(*g));
	g->p = in->pdf;
	g->len = in->pdf_len;
	g->fd = in->spooled ? in->fd : -1;
}

static void grow_free(struct grow *g)
{
	if (g->own_map)
		spool_unmap(g->p, g->len);
	free(g->buf);
	memset(g, 0, sizeof(*g));
	g->fd = -1;
}

/* Pages the reader touched need not stay in memory. */
static void grow_drop(const struct grow *g)
{
	if (g->fd >= 0)
		spool_drop(g->p, g->len);
}

static int grow_append(struct grow *g, const uint8_t *tail, size_t n)
{
	const uint8_t *np;
	uint8_t *nb;
	int rc;

	if (n > SIZE_MAX - g->len)
		return ESD_ENOMEM;
	if (g->fd >= 0) {
		if ((rc = spool_pwrite(g->fd, tail, n, g->len)) != 0 ||
		    (rc = spool_map(g->fd, g->len + n, &np)) != 0)
			return rc;
		if (g->own_map)
			spool_unmap(g->p, g->len);
		g->own_map = 1;
		g->p = np;
		g->len += n;
		return 0;
	}
	nb = realloc(g->buf, g->len + n);
	if (nb == NULL)
		return ESD_ENOMEM;
	if (g->buf == NULL)
		memcpy(nb, g->p, g->len);
	memcpy(nb + g->len, tail, n);
	g->buf = nb;
	g->p = nb;
	g->len += n;
	return 0;
}

/* SHA-256 over prep's byte range: g's bytes, then the update's. */
static int grow_digest(const struct grow *g, const struct pdf_prepared *prep,
		       uint8_t dg[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = ESD_ECRYPTO;

	if (ctx == NULL || pdf_prepared_base(prep) != g->len ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	rc = g->fd >= 0 ? spool_digest(g->fd, g->len, ctx)
			: EVP_DigestUpdate(ctx, g->p, g->len) == 1 ? 0
								   : ESD_ECRYPTO;
	if (rc == 0)
		rc = pdf_prepared_digest_tail(prep, ctx);
	if (rc == 0 && EVP_DigestFinal_ex(ctx, dg, NULL) != 1)
		rc = ESD_ECRYPTO;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* The answer: the file (a new descriptor of it, which MHD closes) or the
 * buffer, taken over. */
static int grow_answer(struct grow *g, struct resp *out)
{
	static const char ctype[] = "application/pdf";

	if (g->fd >= 0) {
		int fd = dup(g->fd);

		if (fd < 0)
			return ESD_EIO;
		resp_text(out, 200, ctype, NULL, 0);
		out->file = 1;
		out->fd = fd;
		out->len = g->len;
		return 0;
	}
	resp_text(out, 200, ctype, (char *)g->buf, g->len);
	g->buf = NULL;
	return 0;
}

/* A B-B or B-T answer of a document in memory whose buffer the caller
 * lets go (in->own): that buffer, then a copy of the update; the
 * document itself is not copied. 1 if answered so, 0 if the caller
 * appends and answers as usual. */
static int answer_parts(struct resp *out, const struct sign_input *in,
			const uint8_t *tail, size_t n)
{
	char *copy;

	if (in->spooled || in->own == NULL ||
	    *in->own != (const char *)in->pdf || (copy = malloc(n)) == NULL)
		return 0;
	memcpy(copy, tail, n);
	resp_text(out, 200, "application/pdf", copy, n);
	out->head = *in->own;
	out->head_len = in->pdf_len;
	*in->own = NULL;
	return 1;
}

/* Appends the base64 strings of arr, decoded, to blobs (and the buffers
 * to owned, for freeing), as far as both have room. */
static void decode_blobs(json_t *arr, struct pdf_blob *blobs, size_t *n,
			 size_t cap, uint8_t **owned, size_t *nowned,
			 size_t owned_cap)
{
	json_t *e;
	size_t i;

	json_array_foreach(arr, i, e) {
		uint8_t *p;
		size_t l;

		if (*n < cap && *nowned < owned_cap &&
		    esd_b64_decode(json_string_value(e) ?: "", &p, &l) == 0) {
			owned[(*nowned)++] = p;
			blobs[(*n)++] = (struct pdf_blob){ p, l };
		}
	}
}

/*
 * PAdES B-LT: an incremental update with a /DSS holding what a validator
 * needs: the signer's chain, the TSA's certificate, every CA's current
 * CRL and OCSP responses for the signer's and the TSA's certificates
 * (ETSI EN 319 142-1 §5.4.2), appended to g.
 */
static int add_lt(struct resp *out, const struct api_key *k, struct grow *g)
{
	struct pdf_blob certs[32], crls[16], ocsps[8];
	uint8_t *der[48] = { NULL };
	size_t nder = 0, nx509, ncerts = 0, ncrls = 0, nocsps = 0;
	struct pdf_dss_data v = { 0 };
	struct pdf_doc *doc = NULL;
	struct cred none = { 0 };
	json_t *j = NULL;
	struct ibuf b;
	uint8_t *lt = NULL;
	size_t i, lt_len = 0;
	int rc, reason = 0, n;

	kc_begin(&b, &none);
	ibuf_put_str(&b, k->label);
	if (api_keeper_json(out, MSG_LT_DATA, &b, &j) != 0)
		return ESD_EUNAVAIL;
	/* The signer's certificate and chain, then the keeper's CA and TSA
	 * certificates (the PDF layer stores each distinct one once). */
	for (int c = -1; c < sk_X509_num(k->chain) && nder < 8; c++) {
		unsigned char *p = NULL;

		n = i2d_X509(c < 0 ? k->cert : sk_X509_value(k->chain, c), &p);
		if (n <= 0)
			continue;
		der[nder] = p;
		certs[ncerts++] = (struct pdf_blob){ p, (size_t)n };
		nder++;
	}
	nx509 = nder; /* der[0..nx509) are OpenSSL's, the rest malloc's */
	decode_blobs(json_object_get(j, "certs"), certs, &ncerts,
		     ESD_ARRAY_LEN(certs), der, &nder, ESD_ARRAY_LEN(der));
	decode_blobs(json_object_get(j, "crls"), crls, &ncrls,
		     ESD_ARRAY_LEN(crls), der, &nder, ESD_ARRAY_LEN(der));
	decode_blobs(json_object_get(j, "ocsps"), ocsps, &nocsps,
		     ESD_ARRAY_LEN(ocsps), der, &nder, ESD_ARRAY_LEN(der));
	v.certs = certs;
	v.ncerts = ncerts;
	v.crls = crls;
	v.ncrls = ncrls;
	v.ocsps = ocsps;
	v.nocsps = nocsps;
	v.flate = 1;
	v.vri = 1;
	v.tail_only = 1;
	rc = pdf_doc_open(g->p, g->len, &doc, &reason);
	if (rc == 0)
		rc = pdf_dss_append(doc, &v, &lt, &lt_len, &reason);
	pdf_doc_free(doc);
	if (rc != 0)
		api_pdf_error(out, rc, reason);
	else if ((rc = grow_append(g, lt, lt_len)) != 0)
		resp_error(out, rc, "cannot store the signed document");
	free(lt);
	for (i = 0; i < nder; i++) {
		if (i < nx509)
			OPENSSL_free(der[i]);
		else
			free(der[i]);
	}
	json_decref(j);
	return rc;
}

/*
 * PAdES B-LTA: a document timestamp (/DocTimeStamp, /ETSI.RFC3161) over
 * the whole B-LT document (ETSI EN 319 142-1 §5.4.3), appended to g.
 */
static int add_doc_timestamp(struct resp *out, struct grow *g)
{
	struct pdf_sign_opts o = { 0 };
	struct pdf_doc *doc = NULL;
	struct pdf_prepared *prep = NULL;
	uint8_t dg[32], *tst = NULL;
	const uint8_t *p;
	size_t tst_len, plen;
	int rc, reason = 0;

	o.sub_filter = PDF_SUBFILTER_RFC3161;
	o.tail_only = 1;
	rc = pdf_doc_open(g->p, g->len, &doc, &reason);
	if (rc == 0)
		rc = pdf_sign_prepare(doc, &o, &prep, &reason);
	pdf_doc_free(doc);
	if (rc != 0) {
		api_pdf_error(out, rc, reason);
		goto out;
	}
	if ((rc = grow_digest(g, prep, dg)) != 0) {
		resp_error(out, rc, NULL);
		goto out;
	}
	rc = tsa_token(out, dg, &tst, &tst_len);
	if (rc != 0)
		goto out;
	rc = pdf_prepared_set_contents(prep, tst, tst_len, &reason);
	if (rc != 0) {
		api_pdf_error(out, rc, reason);
		goto out;
	}
	pdf_prepared_output(prep, &p, &plen);
	if ((rc = grow_append(g, p, plen)) != 0)
		resp_error(out, rc, "cannot store the signed document");
out:
	OPENSSL_free(tst);
	pdf_prepared_free(prep);
	return rc;
}

/*
 * The CMS for digest dg with key k (want: the caller's "key", as given),
 * signed by the keeper; auth (struct sign_input) is what authorises it,
 * the keeper checks it. ESD_ESTALE, with out untouched, when k was kept
 * from an earlier request and the keeper no longer signs with that label
 * or certificate: the caller asks for the key again and starts over.
 */
static int doc_cms(struct req *r, struct resp *out, const char *purpose,
		   const char *want, const struct api_key *k,
		   const struct sign_auth *auth, const uint8_t *dg, size_t dlen,
		   int stamp, uint8_t **der, size_t *der_len)
{
	char typed[300];
	struct pki_cms *cms = NULL;
	uint8_t *attrs = NULL;
	size_t attrs_len;
	struct ipc_msg rep = { 0 };
	struct resp stale = { 0 };
	struct ibuf b;
	int rc;

	/* B-B with an RSA key: from the key's prepared CMS (pki/cms.h). */
	if (k->tpl != NULL && !stamp) {
		rc = pki_cms_tpl_signed_attrs(k->tpl, dg, dlen, &attrs, &attrs_len);
	} else {
		rc = pki_cms_begin(k->cert, k->chain, EVP_sha256(), dg, dlen, &cms);
		if (rc == 0)
			rc = pki_cms_signed_attrs(cms, &attrs, &attrs_len);
	}
	if (rc != 0) {
		resp_error(out, rc, NULL);
		goto out;
	}
	kc_begin(&b, &r->cred);
	ibuf_put_str(&b, purpose);
	ibuf_put_str(&b, want ? want : "");
	ibuf_put_str(&b, k->label);
	ibuf_put_bytes(&b, k->cert_id, sizeof(k->cert_id));
	/* The attributes themselves: the keeper checks their digest and
	 * certificate against its own, and hashes them (signedattrs.h). */
	ibuf_put_bytes(&b, attrs, attrs_len);
	ibuf_put_bytes(&b, dg, dlen);
	ibuf_put_str(&b, "");
	/* The kind letter, then the value (docs/activation.md). */
	snprintf(typed, sizeof(typed), "%s", "");
	if (auth != NULL && auth->kind != 0 && auth->value != NULL)
		snprintf(typed, sizeof(typed), "%c%s", auth->kind, auth->value);
	ibuf_put_str(&b, typed);
	OPENSSL_cleanse(typed, sizeof(typed));
	rc = api_keeper_call(k->kept ? &stale : out, MSG_DOC_SIGN, &b, &rep);
	if (rc != 0 && k->kept) {
		if (rc == ESD_ESTALE) {
			free(stale.body);
			goto out;
		}
		resp_text(out, stale.status, stale.content_type, stale.body,
			  stale.len);
	}
	if (rc != 0)
		goto out;
	/* The answer is the signature value itself. A template takes only
	 * a signature of the key's length: otherwise the long way, over the
	 * same signed attributes. */
	if (cms == NULL) {
		rc = pki_cms_tpl_encode(k->tpl, dg, dlen, rep.data, rep.len, der,
					der_len);
		if (rc != ESD_EINVAL)
			goto encoded;
		rc = pki_cms_begin(k->cert, k->chain, EVP_sha256(), dg, dlen, &cms);
		if (rc != 0)
			goto encoded;
	}
	rc = pki_cms_set_signature(cms, rep.data, rep.len);
	if (rc == 0 && stamp && add_timestamp(out, cms) != 0) {
		rc = ESD_EUNAVAIL;
		goto out;
	}
	if (rc == 0)
		rc = pki_cms_encode(cms, der, der_len);
encoded:
	if (rc != 0)
		resp_error(out, rc, NULL);
out:
	ipc_msg_clear(&rep);
	OPENSSL_free(attrs);
	pki_cms_free(cms);
	return rc;
}

enum level { LVL_B = 0, LVL_T, LVL_LT, LVL_LTA };

/* 'level' (default B-B). With whole_doc 0 (hash-only calls, where the
 * document stays with the client) only B-B and B-T can be made here. */
static int check_level(const char *level, int whole_doc, struct resp *out,
		       int *lvl)
{
	static const char *const names[] = { "B-B", "B-T", "B-LT", "B-LTA" };

	*lvl = LVL_B;
	if (level == NULL)
		return 0;
	for (int i = 0; i < 4; i++)
		if (strcmp(level, names[i]) == 0)
			*lvl = i;
	if (*lvl == LVL_B && strcmp(level, "B-B") != 0) {
		resp_error(out, ESD_EINVAL,
			   "'level' must be B-B, B-T, B-LT or B-LTA");
		return ESD_EINVAL;
	}
	if (!whole_doc && *lvl >= LVL_LT) {
		resp_error(out, ESD_EUNSUPP,
			   "B-LT and B-LTA add to the document itself: use "
			   "/v1/seal or /v1/sign (hash-only calls give B-B or B-T)");
		return ESD_EUNSUPP;
	}
	return 0;
}

/* The authorisation fields of the request: a seal's seal code; an
 * individual's one-time code, else passphrase. */
static struct sign_auth doc_auth(const struct mp_field *f, const char *purpose)
{
	const struct mp_field *a;
	struct sign_auth au = { 0, NULL };

	if (strcmp(purpose, "seal") == 0 && (a = mp_get(f, "seal_code")) != NULL)
		au = (struct sign_auth){ AUTH_SEAL_CODE, a->data };
	else if (strcmp(purpose, "seal") != 0 && (a = mp_get(f, "otp")) != NULL)
		au = (struct sign_auth){ AUTH_OTP, a->data };
	else if (strcmp(purpose, "seal") != 0 &&
		 (a = mp_get(f, "passphrase")) != NULL)
		au = (struct sign_auth){ AUTH_PASSPHRASE, a->data };
	return au;
}

void api_sign_pdf(struct req *r, struct resp *out, const char *purpose,
		  const struct sign_input *in)
{
	struct pdf_sign_opts o = { 0 };
	struct anchor an = { "", 0, 0, 0, 0 };
	struct pdf_doc *doc = NULL;
	struct pdf_prepared *prep = NULL;
	struct api_key k = { 0 };
	struct grow g;
	uint8_t dg[32], *der = NULL;
	size_t der_len, tail_len;
	const uint8_t *tail;
	char msg[256], cn[256];
	int rc, reason = 0, lvl, fresh = 0;

	grow_init(&g, in);
	if (in->pdf == NULL || in->pdf_len == 0) {
		resp_error(out, ESD_EINVAL, "field 'file' (the PDF) is required");
		goto out;
	}
	if (check_level(in->level, 1, out, &lvl) != 0)
		goto out;
	if (in->visible != NULL &&
	    api_parse_visible(in->visible, &o, &an, out) != 0)
		goto out;
	if ((in->image != NULL || in->qr != NULL || in->text != NULL) &&
	    in->visible == NULL) {
		resp_error(out, ESD_EINVAL,
			   "'image', 'qr' and 'text' go into a visible signature: "
			   "give 'visible' too");
		goto out;
	}
	if (in->image != NULL) {
		struct pdf_image_info info;
		const char *why = NULL;

		if (pdf_image_probe(in->image, in->image_len, &info, &why) != 0) {
			snprintf(msg, sizeof(msg), "'image': %s",
				 why ? why : "not a JPEG or PNG");
			resp_error(out, ESD_EINVAL, msg);
			goto out;
		}
		o.image = in->image;
		o.image_len = in->image_len;
	}
	o.qr_text = in->qr;
	o.text = in->text;
	if (in->certify != NULL) {
		/* ISO 32000-1 §12.8.2.2 Table 254: P; "0" is an approval */
		if (strlen(in->certify) != 1 || in->certify[0] < '0' ||
		    in->certify[0] > '3') {
			resp_error(out, ESD_EINVAL, "'certify' must be 1 (no "
				   "changes), 2 (form filling and signing), 3 "
				   "(also annotations) or 0 (an approval "
				   "signature)");
			goto out;
		}
		if (in->certify[0] != '0' && strcmp(purpose, "seal") != 0) {
			resp_error(out, ESD_EINVAL, "'certify' is for seals "
				   "(/v1/seal)");
			goto out;
		}
		o.docmdp = in->certify[0] - '0';
	}
	/* Once more, with the key asked for again, if the one kept from an
	 * earlier request changed (doc_cms). */
again:
	rc = pdf_doc_open(g.p, g.len, &doc, &reason);
	if (rc != 0) {
		api_pdf_error(out, rc, reason);
		goto out;
	}
	if (an.text[0] != '\0' && api_place_at_anchor(doc, &an, &o, out) != 0)
		goto out;
	if (doc_key_get(r, out, purpose, in->key, fresh, &k) != 0)
		goto out;
	subject_cn(k.cert, cn, sizeof(cn));
	o.reason = in->reason;
	o.location = in->location;
	o.name = cn[0] ? cn : NULL;
	o.signing_time = (time_t)esd_now();
	o.sub_filter = PDF_SUBFILTER_CADES;
	o.contents_size = CONTENTS_RESERVE;
	o.refuse_if_signed = strcmp(purpose, "seal") == 0;
	/* The update alone: the document is never copied for it. */
	o.tail_only = 1;
	rc = pdf_sign_prepare(doc, &o, &prep, &reason);
	pdf_doc_free(doc);
	doc = NULL;
	grow_drop(&g);
	if (rc != 0) {
		api_pdf_error(out, rc, reason);
		goto out;
	}
	if ((rc = grow_digest(&g, prep, dg)) != 0) {
		resp_error(out, rc, NULL);
		goto out;
	}
	rc = doc_cms(r, out, purpose, in->key, &k, &in->auth, dg, sizeof(dg),
		     lvl >= LVL_T, &der, &der_len);
	if (rc == ESD_ESTALE && !fresh) {
		api_key_free(&k);
		pdf_prepared_free(prep);
		prep = NULL;
		fresh = 1;
		goto again;
	}
	if (rc != 0)
		goto out;
	rc = pdf_prepared_set_contents(prep, der, der_len, &reason);
	if (rc != 0) {
		api_pdf_error(out, rc, reason);
		goto out;
	}
	pdf_prepared_output(prep, &tail, &tail_len);
	if (lvl < LVL_LT && answer_parts(out, in, tail, tail_len))
		goto out;
	if ((rc = grow_append(&g, tail, tail_len)) != 0) {
		resp_error(out, rc, "cannot store the signed document");
		goto out;
	}
	if (lvl >= LVL_LT && add_lt(out, &k, &g) != 0)
		goto out;
	if (lvl == LVL_LTA && add_doc_timestamp(out, &g) != 0)
		goto out;
	grow_drop(&g);
	if ((rc = grow_answer(&g, out)) != 0)
		resp_error(out, rc, "cannot answer the signed document");
out:
	OPENSSL_free(der);
	api_key_free(&k);
	pdf_prepared_free(prep);
	pdf_doc_free(doc);
	grow_free(&g);
}

/* purpose: "seal" or "individual" (the keeper's key purpose). The
 * native multipart form, fields as in docs/api.md. */
static void sign_document(struct req *r, struct resp *out, const char *purpose)
{
	struct mp_field f[] = {
		MP_FIELD("file", SIZE_MAX),
		MP_FIELD("key", 300),
		MP_FIELD("level", 8),
		MP_FIELD("reason", 512),
		MP_FIELD("location", 512),
		MP_FIELD("visible", 512),
		MP_FIELD("image", 2u << 20),
		MP_FIELD("qr", 512),
		MP_FIELD("text", 600),
		MP_FIELD("passphrase", 256),
		MP_FIELD("seal_code", 128),
		MP_FIELD("otp", 32),
		MP_FIELD("certify", 8),
		MP_END,
	};
	const struct mp_field *x;
	struct sign_input in = { 0 };
	char msg[256];
	int rc = mp_parse(r, f, msg, sizeof(msg));

	api_body_drop(r);
	if (rc != 0) {
		resp_error(out, rc, msg);
		return;
	}
#define FIELD(name) ((x = mp_get(f, name)) != NULL ? x->data : NULL)
	if ((x = mp_get(f, "file")) != NULL) {
		in.pdf = (const uint8_t *)x->data;
		in.pdf_len = x->len;
		in.spooled = x->spooled;
		in.fd = x->fd;
		in.own = &f[x - f].data;        /* the answer may take it */
	}
	if ((x = mp_get(f, "image")) != NULL) {
		in.image = (const uint8_t *)x->data;
		in.image_len = x->len;
	}
	in.key = FIELD("key");
	in.level = FIELD("level");
	in.reason = FIELD("reason");
	in.location = FIELD("location");
	in.visible = FIELD("visible");
	in.qr = FIELD("qr");
	in.text = FIELD("text");
	in.certify = FIELD("certify");
	in.auth = doc_auth(f, purpose);
#undef FIELD
	api_sign_pdf(r, out, purpose, &in);
	mp_free(f);
}

void api_seal(struct req *r, struct resp *out)
{
	sign_document(r, out, "seal");
}

void api_sign(struct req *r, struct resp *out)
{
	sign_document(r, out, "individual");
}

/*
 * POST /v1/seal/hash and /v1/sign/hash: the client prepares the PDF,
 * sends the SHA-256 of its byte range and gets the CMS for /Contents
 * (the CSC API's signHash idea): the document never leaves the client.
 * JSON {"digest": hex, "key": label?, "level": "B-B"?} ->
 * {"key": label, "cms": base64 DER}.
 */
static void hash_sign(struct req *r, struct resp *out, const char *purpose)
{
	static const char *const allowed[] = { "digest", "key", "level",
					       "passphrase", "seal_code", "otp",
					       "sad", NULL };
	json_t *j = api_body_object(r, out, allowed);
	const char *hex, *key, *level, *pass;
	struct sign_auth auth = { 0, NULL };
	struct api_key k = { 0 };
	uint8_t dg[32], *der = NULL;
	size_t dlen, der_len;
	char *b64;
	int lvl, rc, fresh = 0;

	if (j == NULL)
		return;
	hex = json_string_value(json_object_get(j, "digest"));
	key = json_string_value(json_object_get(j, "key"));
	level = json_string_value(json_object_get(j, "level"));
	if ((json_object_get(j, "key") && key == NULL) ||
	    (json_object_get(j, "level") && level == NULL)) {
		resp_error(out, ESD_EINVAL, "'key' and 'level' are strings");
		goto out;
	}
	if (hex == NULL || strlen(hex) != 64 ||
	    esd_unhex(hex, 64, dg, sizeof(dg), &dlen) != 0) {
		resp_error(out, ESD_EINVAL,
			   "'digest' must be the SHA-256 of the byte range, 64 hex digits");
		goto out;
	}
	if (strcmp(purpose, "seal") == 0)
		auth = (struct sign_auth){ AUTH_SEAL_CODE,
			json_string_value(json_object_get(j, "seal_code")) };
	else if (json_string_value(json_object_get(j, "otp")) != NULL)
		auth = (struct sign_auth){ AUTH_OTP,
			json_string_value(json_object_get(j, "otp")) };
	else if (json_string_value(json_object_get(j, "sad")) != NULL)
		auth = (struct sign_auth){ AUTH_BATCH,
			json_string_value(json_object_get(j, "sad")) };
	else
		auth = (struct sign_auth){ AUTH_PASSPHRASE,
			json_string_value(json_object_get(j, "passphrase")) };
	if (check_level(level, 0, out, &lvl) != 0)
		goto out;
	do {
		api_key_free(&k);
		if (doc_key_get(r, out, purpose, key, fresh, &k) != 0)
			goto out;
		rc = doc_cms(r, out, purpose, key, &k, &auth, dg, dlen,
			     lvl >= LVL_T, &der, &der_len);
	} while (rc == ESD_ESTALE && !fresh++);
	if (rc != 0)
		goto out;
	b64 = esd_b64_encode(der, der_len);
	resp_json(out, 200, json_pack("{s:s, s:s*}", "key", k.label, "cms", b64));
	free(b64);
out:
	OPENSSL_free(der);
	api_key_free(&k);
	/* A passphrase is not left in freed memory. */
	if ((pass = json_string_value(json_object_get(j, "passphrase"))) != NULL)
		OPENSSL_cleanse((char *)pass, strlen(pass));
	json_decref(j);
}

void api_seal_hash(struct req *r, struct resp *out)
{
	hash_sign(r, out, "seal");
}

void api_sign_hash(struct req *r, struct resp *out)
{
	hash_sign(r, out, "individual");
}
