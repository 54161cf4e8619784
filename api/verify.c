/*
 * POST /v1/verify: for each signature of a PDF, what was signed (byte
 * range, later revisions), by whom (signer certificate and its path to the
 * configured trust anchors), when (/M, signing-time, timestamp), at which
 * PAdES level, and a verdict (ETSI EN 319 102-1 vocabulary: valid,
 * indeterminate, invalid).
 *
 * The PDF layer finds the signatures and what changed after each,
 * pki/verify checks each CMS over its byte range in place (the document is
 * never copied per signature); this file judges each signature in steps
 * (structure, cryptography, time, signer, warnings), verify_rules.c holds
 * the rules they share and verify_json.c writes the answer down.
 * docs/verify.md describes it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/keeper_client.h"
#include "api/multipart.h"
#include "api/verify.h"
#include "api/verify_int.h"
#include "common/err.h"
#include "common/util.h"
#include "pdf/pdf.h"
#include "pki/verify.h"

/* Each signature hashes up to the whole document: bound the work a single
 * request can ask for. */
#define MAX_SIGNATURES 32

static int is_sub(const struct pdf_sig_info *s, const char *name)
{
	return s->sub_filter != NULL && strcmp(s->sub_filter, name) == 0;
}

/*
 * PAdES baseline level (ETSI EN 319 142-1 §6): B-B is a CAdES detached
 * signature with a matching ESS signing-certificate(-v2); B-T adds a valid
 * signature timestamp. B-LT needs the document's /DSS (validation data),
 * which pdf/pdf.h does not expose yet, so B-T is the highest level
 * reported; "none" for adbe.pkcs7.detached and for CAdES that misses B-B.
 */
static const char *pades_level(const struct pdf_sig_info *s,
			       const struct pki_verify_result *v)
{
	if (!is_sub(s, "ETSI.CAdES.detached") || !v->parsed ||
	    !v->has_signed_attrs || v->ess_version == 0 || !v->ess_match)
		return "none";
	if (!(v->tst.present && v->tst.parsed && v->tst.imprint_ok &&
	      v->tst.signature_ok))
		return "B-B";
	/* B-LT: the document carries validation data that answers for the
	 * signer (its issuer's CRL in the /DSS). B-LTA is decided over the
	 * whole document (api_verify_pdf: a valid document timestamp after
	 * it). */
	if (v->dss_revocation != PKI_REV_UNKNOWN)
		return "B-LT";
	return "B-T";
}

/* The byte range lies inside the file (even if byte_range_ok says the gap
 * is not one hex string): then it can be hashed for the report. */
static int range_in_file(const struct pdf_sig_info *s, size_t len)
{
	const uint64_t *br = s->byte_range;

	return s->has_byte_range && br[0] <= len && br[1] <= len - br[0] &&
	       br[2] <= len && br[3] <= len - br[2];
}

/* The two pieces /ByteRange covers (range_in_file checked). */
static void byte_range_segs(const struct pdf_sig_info *s, const uint8_t *buf,
			    int mapped, struct pki_seg seg[2])
{
	seg[0] = (struct pki_seg){ buf + s->byte_range[0],
				   (size_t)s->byte_range[1], mapped };
	seg[1] = (struct pki_seg){ buf + s->byte_range[2],
				   (size_t)s->byte_range[3], mapped };
}

/* One signature's or document timestamp's judgement as it is made. */
struct judge {
	const struct pdf_sig_info *s; /* as its signed revision has it */
	const struct pdf_rev_diff *rd; /* what changed since */
	const uint8_t *buf;
	int mapped;
	X509_STORE *anchors;
	const struct pki_vdata *vd;
	time_t doc_poe; /* the earliest valid document timestamp over it */
	int doc_ts; /* a document timestamp, not a signature */
	int ran; /* a signature's CMS was checked: v */
	int ran_ts; /* a document timestamp's token was checked: t */
	int intact; /* it parsed and its hash and signature verify */
	struct pki_verify_result *v;
	struct pki_tst_result t;
	struct outcome oc;
	json_t *warnings;
	const char *level;
	/* the time side: a proof of existence and what it excuses */
	time_t poe;
	int after_poe, stale, expired_after, tsa_expired_after;
};

static int warnf(struct judge *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int warnf(struct judge *g, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_array_append_new(g->warnings, json_string(msg));
}

/* The structure every signature must have before its CMS counts, and a
 * sub-filter this version reads: 1 when the cryptography may run, 0 when
 * the outcome is already decided, -1 on ENOMEM. */
static int judge_structure(struct judge *g, size_t len)
{
	const struct pdf_sig_info *s = g->s;
	const char *problem = NULL, *reason;

	reason = verify_structure_problem(s, g->rd, &problem);
	if (reason == NULL && !range_in_file(s, len)) {
		reason = "byte_range_invalid";
		problem = "the /ByteRange lies outside the file";
	}
	if (reason != NULL) {
		verify_set_outcome(&g->oc, IND_FAILED, "FORMAT_FAILURE", reason,
			    problem);
		return 0;
	}
	if (!g->doc_ts && !is_sub(s, "ETSI.CAdES.detached") &&
	    !is_sub(s, "adbe.pkcs7.detached")) {
		if (warnf(g, "sub-filter %s is not verified by this version",
			  s->sub_filter ? s->sub_filter : "(none)") != 0)
			return -1;
		verify_set_outcome(&g->oc, IND_INDETERMINATE, "FORMAT_FAILURE",
			    "sub_filter_unsupported", "this sub-filter is not "
			    "verified by this version");
		return 0;
	}
	if (s->contents == NULL || s->contents_len == 0) {
		verify_set_outcome(&g->oc, IND_FAILED, "FORMAT_FAILURE",
			    "contents_missing", "the signature has no /Contents");
		return 0;
	}
	return 1;
}

/* A document timestamp's token over its byte range. */
static void judge_doc_timestamp(struct judge *g)
{
	const struct pdf_sig_info *s = g->s;
	struct pki_seg seg[2];

	byte_range_segs(s, g->buf, g->mapped, seg);
	pki_verify_doc_timestamp(s->contents, s->contents_len, seg, 2,
				 g->anchors, 0, g->vd, &g->t);
	g->ran_ts = 1;
	g->intact = g->t.parsed && g->t.imprint_ok && g->t.signature_ok;
	/* Archive timestamps (ETSI EN 319 142-1 §5.5): a TSA certificate
	 * that expired after a later document timestamp proves this one
	 * existed is judged at that time. */
	if (g->intact && g->doc_poe != 0 &&
	    g->t.chain.status == PKI_CHAIN_EXPIRED && g->t.tsa.present &&
	    g->doc_poe >= g->t.tsa.not_before && g->doc_poe <= g->t.tsa.not_after) {
		struct pki_tst_result then;

		if (pki_verify_doc_timestamp(s->contents, s->contents_len, seg,
					     2, g->anchors, g->doc_poe, g->vd,
					     &then) == 0 &&
		    then.imprint_ok && then.signature_ok &&
		    then.chain.status == PKI_CHAIN_TRUSTED) {
			g->t = then;
			g->tsa_expired_after = 1;
		}
	}
	if (!g->t.parsed)
		verify_set_outcome(&g->oc, IND_FAILED, "FORMAT_FAILURE",
			    "cms_unparsable", "the /Contents is not a "
			    "TimeStampToken");
	else if (!g->t.imprint_ok)
		verify_set_outcome(&g->oc, IND_FAILED, "HASH_FAILURE",
			    "digest_mismatch", "the token's imprint is not the "
			    "hash of the byte range");
	else if (!g->t.signature_ok)
		verify_set_outcome(&g->oc, IND_FAILED, "SIG_CRYPTO_FAILURE",
			    "signature_mismatch", "the token's signature does "
			    "not verify");
}

/* A signature's CMS over its byte range. -1 on ENOMEM. */
static int judge_cms(struct judge *g)
{
	const struct pdf_sig_info *s = g->s;
	struct pki_verify_result *v = g->v;
	struct pki_seg seg[2];

	byte_range_segs(s, g->buf, g->mapped, seg);
	if (pki_verify_detached_vd(s->contents, s->contents_len, seg, 2,
				   g->anchors, 0, g->vd, v) != 0)
		return -1;
	g->ran = 1;
	g->intact = v->parsed && v->digest_ok && v->signature_ok;
	if (!v->parsed)
		verify_set_outcome(&g->oc, IND_FAILED, "FORMAT_FAILURE",
			    "cms_unparsable", v->problem[0] ? v->problem :
			    "the /Contents is not a CMS SignedData");
	else if (!v->digest_ok)
		verify_set_outcome(&g->oc, IND_FAILED, "HASH_FAILURE",
			    "digest_mismatch", v->problem[0] ? v->problem :
			    "the signed digest is not the hash of the byte "
			    "range");
	else if (!v->signature_ok)
		verify_set_outcome(&g->oc, IND_FAILED, "SIG_CRYPTO_FAILURE",
			    "signature_mismatch", v->problem[0] ? v->problem :
			    "the signature value does not verify with the "
			    "signer's key");
	return 0;
}

/* Past signature validation: a signer certificate that expired after the
 * proof of existence is judged as it was then. -1 on ENOMEM. */
static int judge_expired_at_poe(struct judge *g)
{
	const struct pdf_sig_info *s = g->s;
	struct pki_verify_result *v = g->v, *w;
	struct pki_seg seg[2];

	if (!g->intact || g->poe == 0 || v->chain.status != PKI_CHAIN_EXPIRED ||
	    !v->signer.present || g->poe < v->signer.not_before ||
	    g->poe > v->signer.not_after)
		return 0;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	byte_range_segs(s, g->buf, g->mapped, seg);
	if (pki_verify_detached_vd(s->contents, s->contents_len, seg, 2,
				   g->anchors, g->poe, g->vd, w) == 0 &&
	    w->digest_ok && w->signature_ok &&
	    w->chain.status == PKI_CHAIN_TRUSTED) {
		*v = *w;
		g->expired_after = 1;
	}
	free(w);
	return 0;
}

/* A signature in time: its proof of existence (its own timestamp or a
 * document timestamp over it, the earlier: ETSI EN 319 102-1 §5.6.2.1),
 * a certificate expired or revoked only after it, revocation data too
 * old to speak for it, and the warnings that say so. -1 on ENOMEM. */
static int judge_time(struct judge *g)
{
	struct pki_verify_result *v = g->v;
	time_t sig_poe = verify_signature_poe(v), need;
	const char *by;
	char when[32] = "an unknown time", at[32];

	g->poe = verify_poe_min(sig_poe, g->doc_poe);
	by = g->poe == sig_poe ? "the signature timestamp" : "a document timestamp";
	pki_time_iso(g->poe, at, sizeof(at));
	if (judge_expired_at_poe(g) != 0)
		return -1;
	/* the revocation data must speak for the time the signature was
	 * made: its timestamp, else its claimed /M (a later document
	 * timestamp proves it existed by then, not when it was made, and
	 * must not make old evidence worthless) */
	need = sig_poe != 0 ? sig_poe : g->s->signing_time;
	verify_revocation_judge(v, g->poe, need, &g->after_poe, &g->stale);
	g->level = pades_level(g->s, v);
	if (g->expired_after) {
		pki_time_iso(v->signer.not_after, when, sizeof(when));
		if (warnf(g, "the signer's certificate expired at %s, after %s "
			  "(%s) proves the signature existed: it stays valid",
			  when, by, at) != 0)
			return -1;
	}
	if (g->stale) {
		char issued[32], needs[32];

		pki_time_iso(v->dss_issued, issued, sizeof(issued));
		pki_time_iso(need, needs, sizeof(needs));
		if (warnf(g, "the signer's revocation data in the document "
			  "(/DSS) was issued at %s, before the time it must "
			  "prove (%s): it is not counted", issued, needs) != 0)
			return -1;
	}
	if (v->chain.revocation != PKI_REV_REVOKED)
		return 0;
	if (v->chain.revoked_at != 0)
		pki_time_iso(v->chain.revoked_at, when, sizeof(when));
	else
		snprintf(when, sizeof(when), "an unknown time");
	if (g->after_poe)
		return warnf(g, "the signer's certificate was revoked at %s, "
			     "after %s (%s) proves the signature existed: it "
			     "stays valid", when, by, at);
	return warnf(g, "the signer's certificate is revoked (at %s; %s)", when,
		     v->issuer_revocation == PKI_REV_REVOKED ?
		     "its issuer, this appliance, lists it in its current CRL" :
		     "validation data the document carries (/DSS) says so");
}

/* The signer's path, revocation and CMS rules, for an intact signature. */
static void judge_signer(struct judge *g)
{
	struct pki_verify_result *v = g->v;
	struct outcome *oc = &g->oc;

	/* the path itself (a revoked status excused by the timestamp only) */
	if (!(g->after_poe && v->chain.status == PKI_CHAIN_REVOKED))
		verify_chain_outcome(&v->chain, oc);
	/* A revoked signer is not a valid signature unless a timestamp
	 * proves it signed before the revocation (ETSI EN 319 102-1 past
	 * signature validation); a proof from after it is a failure. */
	if (v->chain.revocation == PKI_REV_REVOKED && !g->after_poe) {
		if (g->poe != 0 && v->chain.revoked_at != 0)
			verify_set_outcome(oc, IND_FAILED, "REVOKED",
				    "signer_revoked", "the signer's certificate "
				    "was revoked before the signature's proof "
				    "of existence");
		else
			verify_set_outcome(oc, IND_INDETERMINATE,
				    "REVOKED_NO_POE", "signer_revoked",
				    "the signer's certificate is revoked and "
				    "nothing proves the signature existed "
				    "before");
	}
	/* revocation data that could only have said "good" before the
	 * signature existed (EN 319 102-1 §5.2.5: fresh status information
	 * is missing) */
	if (g->stale && v->chain.revocation == PKI_REV_UNKNOWN)
		verify_set_outcome(oc, IND_INDETERMINATE, "TRY_LATER",
			    "revocation_data_stale", "the revocation data the "
			    "document carries for the signer was issued "
			    "before the signature existed; nothing shows the "
			    "certificate was good when it signed");
	if (v->ess_version != 0 && !v->ess_match)
		verify_set_outcome(oc, IND_INDETERMINATE,
			    "SIG_CONSTRAINTS_FAILURE", "ess_mismatch",
			    "the ESS signing-certificate attribute does not "
			    "match the signer certificate");
	if (v->signer_count != 1)
		verify_set_outcome(oc, IND_INDETERMINATE,
			    "SIG_CONSTRAINTS_FAILURE", "several_signers",
			    "the CMS has more than one SignerInfo");
}

/* The TSA's path and revocation, for an intact document timestamp. */
static void judge_tsa(struct judge *g)
{
	const struct pki_tst_result *t = &g->t;

	verify_chain_outcome(&t->chain, &g->oc);
	/* revoked after a later document timestamp proves this one
	 * existed: it stands */
	if (t->chain.revocation == PKI_REV_REVOKED &&
	    !(g->doc_poe != 0 && t->chain.revoked_at != 0 &&
	      g->doc_poe < t->chain.revoked_at))
		verify_set_outcome(&g->oc, IND_INDETERMINATE, "REVOKED_NO_POE",
			    "tsa_revoked", "the TSA's certificate is revoked "
			    "in validation data the document carries");
}

/* The warnings that do not change the verdict. -1 on ENOMEM. */
static int judge_warnings(struct judge *g)
{
	const struct pdf_sig_info *s = g->s;
	const struct pdf_rev_diff *rd = g->rd;
	const struct pki_verify_result *v = g->v;
	int rc = 0;

	if (g->tsa_expired_after) {
		char when[32], at[32];

		pki_time_iso(g->t.tsa.not_after, when, sizeof(when));
		pki_time_iso(g->doc_poe, at, sizeof(at));
		rc |= warnf(g, "the TSA's certificate expired at %s, after a "
			    "later document timestamp (%s) proves this one "
			    "existed: it stays valid", when, at);
	}
	/* what is not signed, unless a certification's permissions allow it */
	if (((rd->changes & (PDF_CHANGE_OTHER | PDF_CHANGE_FORM |
			     PDF_CHANGE_ANNOT | PDF_CHANGE_NEW_FIELD)) &&
	     (rd->changes & ~verify_docmdp_allows(s->docmdp_p))) || rd->unfollowed) {
		json_t *mods = verify_mods_json(rd, s->docmdp_p);

		rc |= mods == NULL ||
		      warnf(g, "%s", json_string_value(
				    json_object_get(mods, "summary"))) != 0;
		json_decref(mods);
	}
	if (s->m_malformed)
		rc |= warnf(g, "/M is not a PDF date (ISO 32000-1 §7.9.4): %.200s",
			    s->m);
	if (!g->ran)
		return rc ? -1 : 0;
	if (v->signer_count > 1)
		rc |= warnf(g, "the CMS has %u SignerInfos; only the first was "
			    "checked", v->signer_count);
	if (v->ess_version != 0 && !v->ess_match)
		rc |= warnf(g, "the ESS signing-certificate attribute does not "
			    "match the signer certificate");
	if (g->intact && v->chain.status != PKI_CHAIN_TRUSTED)
		rc |= warnf(g, "certificate chain %s: %s",
			    pki_chain_name(v->chain.status),
			    v->chain.error_text[0] ? v->chain.error_text :
			    "no signer certificate");
	if (v->tst.present &&
	    !(v->tst.parsed && v->tst.imprint_ok && v->tst.signature_ok))
		rc |= warnf(g, "the signature timestamp does not verify or does "
			    "not match the signature");
	if (is_sub(s, "ETSI.CAdES.detached") && v->has_signing_time)
		rc |= warnf(g, "PAdES forbids the CMS signing-time attribute "
			    "(EN 319 142-1 §5.4.3); /M is the claimed time");
	return rc ? -1 : 0;
}

/* The answer for the judgement g made. NULL on ENOMEM. */
static json_t *judge_json(struct judge *g)
{
	json_t *integrity, *j;

	integrity = verify_integrity_json(
		g->intact,
		g->ran ? g->v->digest_ok : g->ran_ts && g->t.imprint_ok,
		g->ran ? g->v->signature_ok : g->ran_ts && g->t.signature_ok,
		g->oc.text);
	j = verify_signature_json(g->s, g->doc_ts ? &g->t : NULL, integrity,
				  g->doc_ts ? "document timestamp" : g->level,
				  &g->oc, verify_mods_json(g->rd, g->s->docmdp_p));
	if (j != NULL && !g->doc_ts &&
	    verify_cms_members(j, g->ran ? g->v : NULL) != 0) {
		json_decref(j);
		return NULL;
	}
	if (j != NULL && json_object_set(j, "warnings", g->warnings) != 0) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* One signature or document timestamp (s as its signed revision has it,
 * rd what changed since). doc_poe: the earliest valid document timestamp
 * that covers this signature, 0 none. *verdict gets 0 valid,
 * 1 indeterminate, 2 invalid; *proves the time a valid document timestamp
 * proves (else 0). NULL on allocation failure. */
static json_t *one(const struct pdf_sig_info *s,
		   const struct pdf_rev_diff *rd, const uint8_t *buf,
		   size_t len, int mapped, X509_STORE *anchors,
		   const struct pki_vdata *vd, time_t doc_poe, int *verdict,
		   time_t *proves)
{
	struct judge g = {
		.s = s, .rd = rd, .buf = buf, .mapped = mapped,
		.anchors = anchors, .vd = vd, .doc_poe = doc_poe,
		.doc_ts = is_sub(s, "ETSI.RFC3161"),
		.oc = { IND_PASSED, NULL, NULL, NULL }, .level = "none",
	};
	json_t *j = NULL;
	int rc;

	*proves = 0;
	g.v = calloc(1, sizeof(*g.v));
	g.warnings = json_array();
	if (g.v == NULL || g.warnings == NULL)
		goto out;
	rc = judge_structure(&g, len);
	if (rc < 0)
		goto out;
	if (rc > 0 && g.doc_ts)
		judge_doc_timestamp(&g);
	else if (rc > 0 && judge_cms(&g) != 0)
		goto out;
	if (g.intact)
		verify_mods_outcome(rd, s->docmdp_p, &g.oc);
	if (g.ran && judge_time(&g) != 0)
		goto out;
	if (g.ran && g.intact)
		judge_signer(&g);
	if (g.ran_ts && g.intact)
		judge_tsa(&g);
	*verdict = g.oc.ind;
	if (g.ran_ts && g.oc.ind == IND_PASSED)
		*proves = g.t.gen_time;
	if (judge_warnings(&g) == 0)
		j = judge_json(&g);
out:
	json_decref(g.warnings);
	free(g.v);
	return j;
}

/* pki_vdata.crl_at: the appliance's own CRL when the URI names one
 * ("…/crl/LABEL.crl", as pki_base_url makes them), from the keeper. */
static int own_crl(void *arg, const char *uri, uint8_t **der, size_t *len)
{
	const char *p = strstr(uri, "/crl/");
	struct cred none = { 0 };
	struct ipc_msg rep;
	struct ibuf b;
	char label[65];
	size_t n;
	int rc;

	(void)arg;
	if (p == NULL)
		return -1;
	p += 5;
	n = strlen(p);
	if (n <= 4 || n - 4 >= sizeof(label) || strcmp(p + n - 4, ".crl") != 0 ||
	    strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789._-") != n)
		return -1;
	memcpy(label, p, n - 4);
	label[n - 4] = '\0';
	kc_begin(&b, &none);
	ibuf_put_str(&b, label);
	rc = kc_call(MSG_CRL, &b, &rep, 0);
	ibuf_free(&b);
	if (rc != 0)
		return -1;
	rc = -1;
	if (rep.status == 0 && rep.len > 0 && (*der = malloc(rep.len)) != NULL) {
		memcpy(*der, rep.data, rep.len);
		*len = rep.len;
		rc = 0;
	}
	ipc_msg_clear(&rep);
	return rc;
}

int api_verify_pdf(const uint8_t *pdf, size_t len, int mapped,
		   struct resp *out, json_t **result)
{
	const struct pdf_sig_info *sigs = NULL;
	struct pdf_doc *doc = NULL;
	struct pdf_vdata dss = { 0 };
	struct pki_der vcerts[PDF_VDATA_MAX], vcrls[PDF_VDATA_MAX];
	struct pki_der vocsps[PDF_VDATA_MAX];
	struct pki_vdata vd = { .crl_at = own_crl };
	json_t *list = NULL, **ans = NULL;
	uint64_t *ends = NULL;
	time_t *proves = NULL;
	size_t n = 0;
	char msg[256];
	int rc, reason = 0, worst = 0, v;

	*result = NULL;
	rc = pdf_doc_open(pdf, len, &doc, &reason);
	if (rc == 0)
		rc = pdf_doc_signatures_all(doc, &sigs, &n);
	if (rc != 0) {
		api_pdf_error(out, rc, reason);
		goto out;
	}
	if (n > MAX_SIGNATURES) {
		snprintf(msg, sizeof(msg), "the document has %zu signatures; "
			 "at most %d are verified", n, MAX_SIGNATURES);
		rc = ESD_EUNSUPP;
		resp_error(out, rc, msg);
		goto out;
	}
	list = json_array();
	if (list == NULL)
		goto nomem;
	/* The /DSS: validation data for B-LT. */
	if (pdf_dss_read(doc, &dss) == 0) {
		for (size_t i = 0; i < dss.certs.n; i++)
			vcerts[i] = (struct pki_der){ dss.certs.v[i].p, dss.certs.v[i].len };
		for (size_t i = 0; i < dss.crls.n; i++)
			vcrls[i] = (struct pki_der){ dss.crls.v[i].p, dss.crls.v[i].len };
		for (size_t i = 0; i < dss.ocsps.n; i++)
			vocsps[i] = (struct pki_der){ dss.ocsps.v[i].p,
						      dss.ocsps.v[i].len };
		vd = (struct pki_vdata){ .certs = vcerts, .ncerts = dss.certs.n,
					 .crls = vcrls, .ncrls = dss.crls.n,
					 .crl_at = own_crl, .ocsps = vocsps,
					 .nocsps = dss.ocsps.n };
	}
	/* Document timestamps first: a valid one is a proof of existence
	 * for every signature in the revision it covers. */
	if ((ans = calloc(n ? n : 1, sizeof(*ans))) == NULL ||
	    (ends = calloc(n ? n : 1, sizeof(*ends))) == NULL ||
	    (proves = calloc(n ? n : 1, sizeof(*proves))) == NULL)
		goto nomem;
	for (int pass = 0; pass < 2; pass++)
		for (size_t j = 0; j < n; j++) {
			/* timestamps from the last: a later one proves an
			 * earlier one existed (archive timestamps) */
			size_t i = pass == 0 ? n - 1 - j : j;
			int ts = sigs[i].sub_filter != NULL &&
				 strcmp(sigs[i].sub_filter, "ETSI.RFC3161") == 0;
			struct pdf_rev_diff *rd;
			time_t doc_poe = 0;

			if (ts != (pass == 0))
				continue;
			/* the signed revision's end; a timestamp covers a
			 * signature (or an earlier timestamp) that ends no
			 * later */
			ends[i] = sigs[i].byte_range[2] + sigs[i].byte_range[3];
			for (size_t k = 0; k < n; k++)
				if (k != i && proves[k] != 0 &&
				    (ts ? ends[k] > ends[i] : ends[k] >= ends[i]))
					doc_poe = verify_poe_min(doc_poe, proves[k]);
			/* the signature as the revision it signs has it, and
			 * what changed since */
			rd = calloc(1, sizeof(*rd));
			if (rd == NULL || pdf_revision_diff(doc, &sigs[i], rd) != 0) {
				free(rd);
				goto nomem;
			}
			ans[i] = one(rd->sig_found ? &rd->sig : &sigs[i], rd, pdf,
				     len, mapped, api_trust(), &vd, doc_poe, &v,
				     &proves[i]);
			free(rd);
			if (ans[i] == NULL)
				goto nomem;
			if (v > worst)
				worst = v;
		}
	for (size_t i = 0; i < n; i++) {
		json_t *a = ans[i];

		ans[i] = NULL;
		if (json_array_append_new(list, a) != 0)
			goto nomem;
	}
	verify_lta(list);
	/* ETSI EN 319 102-1: the document's result is its worst
	 * signature's */
	*result = json_pack("{s:s, s:o, s:I, s:o}",
			    "verdict", n == 0 ? "unsigned" : verify_verdict_name(worst),
			    "indication", n == 0 ? json_null() :
					  json_string(verify_ind_name(worst)),
			    "signature_count", (json_int_t)n, "signatures", list);
	list = NULL;
	if (*result != NULL)
		goto out;
nomem:
	rc = ESD_ENOMEM;
	resp_error(out, rc, NULL);
out:
	for (size_t i = 0; ans != NULL && i < n; i++)
		json_decref(ans[i]);
	free(ans);
	free(ends);
	free(proves);
	json_decref(list);
	pdf_vdata_free(&dss);
	pdf_doc_free(doc);
	return rc;
}

void api_verify(struct req *r, struct resp *out)
{
	struct mp_field f[] = {
		MP_FIELD("file", SIZE_MAX),
		MP_END,
	};
	const struct mp_field *file;
	json_t *j;
	char msg[256];
	int rc;

	/* The body is already bounded by max_body (http.c); a large document
	 * is read from its spool file's mapping. */
	rc = mp_parse(r, f, msg, sizeof(msg));
	api_body_drop(r);
	if (rc != 0) {
		resp_error(out, rc, msg);
		return;
	}
	file = mp_get(f, "file");
	if (file == NULL || file->len == 0)
		resp_error(out, ESD_EINVAL, "field 'file' (the PDF) is required");
	else if (api_verify_pdf((const uint8_t *)file->data, file->len,
				file->spooled, out,
				&j) == 0)
		resp_json(out, 200, j);
	mp_free(f);
}
