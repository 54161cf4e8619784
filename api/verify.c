/*
 * POST /v1/verify: for each signature of a PDF, what was signed (byte
 * range, later revisions), by whom (signer certificate and its path to the
 * configured trust anchors), when (/M, signing-time, timestamp), at which
 * PAdES level, and a verdict (ETSI EN 319 102-1 vocabulary: valid,
 * indeterminate, invalid).
 *
 * The PDF layer finds the signatures, pki/verify checks each CMS over its
 * byte range in place (the document is never copied per signature); this
 * file only shapes the report. docs/verify.md describes the answer.
 */
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

/* A JSON string, or null when absent or not UTF-8. */
static json_t *jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	return j ? j : json_null();
}

static json_t *jtime(time_t t)
{
	char iso[32];

	if (t == 0)
		return json_null();
	pki_time_iso(t, iso, sizeof(iso));
	return jstr(iso);
}

static json_t *jcert(const struct pki_cert_info *c)
{
	if (!c->present)
		return json_null();
	return json_pack("{s:o, s:o, s:o, s:o, s:o}",
			 "subject", jstr(c->subject), "issuer", jstr(c->issuer),
			 "serial", jstr(c->serial),
			 "not_before", jtime(c->not_before),
			 "not_after", jtime(c->not_after));
}

static json_t *jchain(const struct pki_chain_result *c)
{
	return json_pack("{s:s, s:o, s:s, s:o, s:i}",
			 "status", pki_chain_name(c->status),
			 "error", c->error_text[0] ? jstr(c->error_text)
						   : json_null(),
			 "revocation", pki_revocation_name(c->revocation),
			 "revoked_at", c->revocation == PKI_REV_REVOKED ?
				       jtime(c->revoked_at) : json_null(),
			 "depth", c->depth);
}

static json_t *jtst(const struct pki_tst_result *t)
{
	if (!t->present)
		return json_null();
	return json_pack("{s:b, s:o, s:o, s:b, s:b, s:o, s:o}",
			 "parsed", t->parsed,
			 "time", t->parsed ? jtime(t->gen_time) : json_null(),
			 "digest_algorithm",
			 t->digest_alg[0] ? jstr(t->digest_alg) : json_null(),
			 "imprint_ok", t->imprint_ok,
			 "signature_ok", t->signature_ok,
			 "tsa", jcert(&t->tsa),
			 "chain", t->tsa.present ? jchain(&t->chain)
						 : json_null());
}

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

static int add_warning(json_t *warnings, const char *msg)
{
	return json_array_append_new(warnings, json_string(msg));
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

/* What happened after the signed revision, as the answer shows it;
 * docmdp: the signature's DocMDP P (0: approval). */
static json_t *jmods(const struct pdf_rev_diff *rd, int docmdp)
{
	json_t *ch = json_array(), *objs = json_array(), *pages = json_array();
	static const unsigned bits[] = { PDF_CHANGE_LTV, PDF_CHANGE_SIGNATURE,
					 PDF_CHANGE_FORM, PDF_CHANGE_NEW_FIELD,
					 PDF_CHANGE_ANNOT, PDF_CHANGE_OTHER };
	const char *summary;

	if (ch == NULL || objs == NULL || pages == NULL)
		goto fail;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if ((rd->changes & bits[i]) &&
		    json_array_append_new(ch, json_string(
				pdf_change_name(bits[i]))) != 0)
			goto fail;
	for (size_t i = 0; i < rd->nobjs; i++)
		if (rd->objs[i] != 0 &&
		    json_array_append_new(objs, json_integer(rd->objs[i])) != 0)
			goto fail;
	for (size_t i = 0; i < rd->npages; i++)
		if (json_array_append_new(pages, json_integer(rd->pages[i])) != 0)
			goto fail;
	if (rd->later == 0)
		summary = "nothing was added after this signature";
	else if (docmdp != 0 && (rd->changes & ~verify_docmdp_allows(docmdp)) &&
		 !(rd->changes & PDF_CHANGE_OTHER))
		summary = "the document was changed after this certification "
			  "signature in a way its permissions (DocMDP) forbid";
	else if (docmdp != 0 && (rd->changes & (PDF_CHANGE_FORM |
						PDF_CHANGE_ANNOT |
						PDF_CHANGE_SIGNATURE)) &&
		 !(rd->changes & PDF_CHANGE_OTHER))
		summary = "form fields were filled, signatures or annotations "
			  "added after this certification signature, as its "
			  "permissions (DocMDP) allow; the certified content is "
			  "unchanged";
	else if (rd->changes & PDF_CHANGE_OTHER)
		summary = rd->unfollowed ?
			  "the document was modified after signing: bytes "
			  "were appended that are not a proper incremental "
			  "update" :
			  "the document was modified after signing: the "
			  "content shown is not the content signed";
	else if (rd->changes & PDF_CHANGE_NEW_FIELD)
		summary = "form fields were added after signing; the signed "
			  "content is unchanged but what they show on top of it "
			  "is not signed";
	else if (rd->changes & (PDF_CHANGE_FORM | PDF_CHANGE_ANNOT))
		summary = (rd->changes & PDF_CHANGE_ANNOT) ?
			  "annotations were added or changed after signing; "
			  "the signed content is unchanged but what is shown "
			  "on top of it is not signed" :
			  "form fields were filled after signing; the signed "
			  "content is unchanged but the field values shown "
			  "are not signed";
	else if (rd->changes & PDF_CHANGE_SIGNATURE)
		summary = "further signatures were added after this one; the "
			  "signed content is unchanged";
	else if (rd->changes & PDF_CHANGE_LTV)
		summary = "validation data and timestamps were added after "
			  "signing; the signed content is unchanged";
	else
		summary = "later revisions change nothing in the document";
	return json_pack("{s:I, s:o, s:o, s:o, s:s}",
			 "revisions_after", (json_int_t)rd->later,
			 "changes", ch, "objects", objs, "pages", pages,
			 "summary", summary);
fail:
	json_decref(ch);
	json_decref(objs);
	json_decref(pages);
	return NULL;
}

/* A certification signature's permissions, null for an approval. */
static json_t *jcertification(const struct pdf_sig_info *s)
{
	static const char *const permits[] = {
		NULL, "no_changes", "form_filling_and_signing",
		"form_filling_signing_and_annotations" };

	if (s->docmdp_p < 1 || s->docmdp_p > 3)
		return json_null();
	return json_pack("{s:i, s:s, s:b}", "docmdp_p", s->docmdp_p,
			 "permits", permits[s->docmdp_p],
			 "in_catalog", s->docmdp_in_perms);
}

/* The widget's rectangle as the signed revision has it, or null. */
static json_t *jrect(const struct pdf_sig_info *s)
{
	if (!s->has_rect)
		return json_null();
	return json_pack("[f,f,f,f]", s->rect[0], s->rect[1], s->rect[2],
			 s->rect[3]);
}

/* Sets key to v in j; v is taken whatever happens (also when j is NULL).
 * -1 when anything is missing. */
static int put(json_t *j, const char *key, json_t *v)
{
	if (j == NULL || v == NULL) {
		json_decref(v);
		return -1;
	}
	return json_object_set_new(j, key, v) != 0 ? -1 : 0;
}

/*
 * The members a signature and a document timestamp share, in the order
 * the answer shows them, with a signature's own ones (filter, /M and the
 * texts) in between; s as its signed revision has it. Takes integrity,
 * tst (a document timestamp's token, NULL for a signature) and mods.
 */
static json_t *signature_json(const struct pdf_sig_info *s, int doc_ts,
			      json_t *integrity, json_t *tst,
			      const char *level, const struct outcome *oc,
			      json_t *mods)
{
	json_t *j = json_object();
	int bad = 0;

	bad |= put(j, "field", jstr(s->field_name));
	bad |= put(j, "type", json_string(doc_ts ? "document_timestamp" :
						   "signature"));
	if (!doc_ts)
		bad |= put(j, "filter", jstr(s->filter));
	bad |= put(j, "sub_filter", jstr(s->sub_filter));
	if (!doc_ts) {
		bad |= put(j, "signing_time", jtime(s->signing_time));
		bad |= put(j, "m", jstr(s->m));
		bad |= put(j, "reason", jstr(s->reason));
		bad |= put(j, "location", jstr(s->location));
		bad |= put(j, "name", jstr(s->name));
		bad |= put(j, "contact_info", jstr(s->contact_info));
	}
	bad |= put(j, "byte_range", json_pack("[I,I,I,I]",
					      (json_int_t)s->byte_range[0],
					      (json_int_t)s->byte_range[1],
					      (json_int_t)s->byte_range[2],
					      (json_int_t)s->byte_range[3]));
	bad |= put(j, "byte_range_ok", json_boolean(s->byte_range_ok));
	bad |= put(j, "covers_whole_document",
		   json_boolean(s->covers_whole_file));
	/* the widget where the signed revision has it */
	bad |= put(j, "rect", jrect(s));
	bad |= put(j, "page", s->page ? json_integer(s->page) : json_null());
	bad |= put(j, "integrity", integrity);
	if (tst != NULL)
		bad |= put(j, "timestamp", tst);
	bad |= put(j, "certification", jcertification(s));
	bad |= put(j, "pades_level", json_string(level));
	bad |= put(j, "verdict", json_string(verify_verdict_name(oc->ind)));
	bad |= put(j, "indication", json_string(verify_ind_name(oc->ind)));
	bad |= put(j, "sub_indication", jstr(oc->sub));
	bad |= put(j, "failure", jstr(oc->reason));
	bad |= put(j, "modifications", mods ? mods : json_null());
	if (bad) {
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
	struct pki_verify_result *v = calloc(1, sizeof(*v));
	struct pki_tst_result t;
	struct pki_seg seg[2];
	struct outcome oc = { IND_PASSED, NULL, NULL, NULL };
	json_t *j = NULL, *warnings = json_array(), *integrity, *mods;
	const char *level = "none", *problem = NULL, *reason;
	int doc_ts = is_sub(s, "ETSI.RFC3161"), ran = 0, ran_ts = 0;
	int after_poe = 0, stale = 0, expired_after = 0, tsa_expired_after = 0;
	int intact = 0, rc;
	time_t poe = 0;
	char msg[320];

	memset(&t, 0, sizeof(t));
	*proves = 0;
	if (v == NULL || warnings == NULL)
		goto fail;
	reason = verify_structure_problem(s, rd, &problem);
	if (reason == NULL && !range_in_file(s, len)) {
		reason = "byte_range_invalid";
		problem = "the /ByteRange lies outside the file";
	}
	if (reason != NULL) {
		verify_set_outcome(&oc, IND_FAILED, "FORMAT_FAILURE", reason,
			    problem);
	} else if (!doc_ts && !is_sub(s, "ETSI.CAdES.detached") &&
		   !is_sub(s, "adbe.pkcs7.detached")) {
		snprintf(msg, sizeof(msg),
			 "sub-filter %s is not verified by this version",
			 s->sub_filter ? s->sub_filter : "(none)");
		if (add_warning(warnings, msg) != 0)
			goto fail;
		verify_set_outcome(&oc, IND_INDETERMINATE, "FORMAT_FAILURE",
			    "sub_filter_unsupported", "this sub-filter is not "
			    "verified by this version");
	} else if (s->contents == NULL || s->contents_len == 0) {
		verify_set_outcome(&oc, IND_FAILED, "FORMAT_FAILURE",
			    "contents_missing", "the signature has no "
			    "/Contents");
	} else if (doc_ts) {
		byte_range_segs(s, buf, mapped, seg);
		pki_verify_doc_timestamp(s->contents, s->contents_len, seg, 2,
					 anchors, 0, vd, &t);
		ran_ts = 1;
		intact = t.parsed && t.imprint_ok && t.signature_ok;
		/* Archive timestamps (ETSI EN 319 142-1 §5.5): a TSA
		 * certificate that expired after a later document timestamp
		 * proves this one existed is judged at that time. */
		if (intact && doc_poe != 0 && t.chain.status == PKI_CHAIN_EXPIRED &&
		    t.tsa.present && doc_poe >= t.tsa.not_before &&
		    doc_poe <= t.tsa.not_after) {
			struct pki_tst_result then;

			byte_range_segs(s, buf, mapped, seg);
			if (pki_verify_doc_timestamp(s->contents, s->contents_len,
						     seg, 2, anchors, doc_poe, vd,
						     &then) == 0 &&
			    then.imprint_ok && then.signature_ok &&
			    then.chain.status == PKI_CHAIN_TRUSTED) {
				t = then;
				tsa_expired_after = 1;
			}
		}
		if (!t.parsed)
			verify_set_outcome(&oc, IND_FAILED, "FORMAT_FAILURE",
				    "cms_unparsable", "the /Contents is not a "
				    "TimeStampToken");
		else if (!t.imprint_ok)
			verify_set_outcome(&oc, IND_FAILED, "HASH_FAILURE",
				    "digest_mismatch", "the token's imprint is "
				    "not the hash of the byte range");
		else if (!t.signature_ok)
			verify_set_outcome(&oc, IND_FAILED, "SIG_CRYPTO_FAILURE",
				    "signature_mismatch", "the token's "
				    "signature does not verify");
	} else {
		byte_range_segs(s, buf, mapped, seg);
		rc = pki_verify_detached_vd(s->contents, s->contents_len, seg, 2,
					    anchors, 0, vd, v);
		if (rc != 0)
			goto fail;
		ran = 1;
		intact = v->parsed && v->digest_ok && v->signature_ok;
		if (!v->parsed)
			verify_set_outcome(&oc, IND_FAILED, "FORMAT_FAILURE",
				    "cms_unparsable", v->problem[0] ? v->problem :
				    "the /Contents is not a CMS SignedData");
		else if (!v->digest_ok)
			verify_set_outcome(&oc, IND_FAILED, "HASH_FAILURE",
				    "digest_mismatch", v->problem[0] ? v->problem :
				    "the signed digest is not the hash of the "
				    "byte range");
		else if (!v->signature_ok)
			verify_set_outcome(&oc, IND_FAILED, "SIG_CRYPTO_FAILURE",
				    "signature_mismatch", v->problem[0] ?
				    v->problem : "the signature value does not "
				    "verify with the signer's key");
	}
	if (intact)
		verify_mods_outcome(rd, s->docmdp_p, &oc);
	if (ran) {
		/* the signature's proof of existence: its own timestamp or
		 * a document timestamp over it (ETSI EN 319 102-1 §5.6.2.1),
		 * the earlier */
		time_t sig_poe = verify_signature_poe(v), need;
		const char *by;
		char when[32] = "an unknown time", at[32];

		poe = verify_poe_min(sig_poe, doc_poe);
		by = poe == sig_poe ? "the signature timestamp" :
		     "a document timestamp";
		pki_time_iso(poe, at, sizeof(at));
		/* Past signature validation: a certificate that expired
		 * after the proof of existence is judged as it was then. */
		if (intact && poe != 0 && v->chain.status == PKI_CHAIN_EXPIRED &&
		    v->signer.present && poe >= v->signer.not_before &&
		    poe <= v->signer.not_after) {
			struct pki_verify_result *w = calloc(1, sizeof(*w));

			if (w == NULL)
				goto fail;
			byte_range_segs(s, buf, mapped, seg);
			if (pki_verify_detached_vd(s->contents, s->contents_len,
						   seg, 2, anchors, poe, vd,
						   w) == 0 &&
			    w->digest_ok && w->signature_ok &&
			    w->chain.status == PKI_CHAIN_TRUSTED) {
				*v = *w;
				expired_after = 1;
			}
			free(w);
		}
		/* the revocation data must speak for the time the signature
		 * was made: its timestamp, else its claimed /M (a later
		 * document timestamp proves it existed by then, not when it
		 * was made, and must not make old evidence worthless) */
		need = sig_poe != 0 ? sig_poe : s->signing_time;
		verify_revocation_judge(v, poe, need, &after_poe, &stale);
		level = pades_level(s, v);
		if (expired_after) {
			pki_time_iso(v->signer.not_after, when, sizeof(when));
			snprintf(msg, sizeof(msg), "the signer's certificate "
				 "expired at %s, after %s (%s) proves the "
				 "signature existed: it stays valid", when, by,
				 at);
			if (add_warning(warnings, msg) != 0)
				goto fail;
		}
		if (stale) {
			char issued[32], needs[32];

			pki_time_iso(v->dss_issued, issued, sizeof(issued));
			pki_time_iso(need, needs, sizeof(needs));
			snprintf(msg, sizeof(msg), "the signer's revocation "
				 "data in the document (/DSS) was issued at %s, "
				 "before the time it must prove (%s): it is not "
				 "counted", issued, needs);
			if (add_warning(warnings, msg) != 0)
				goto fail;
		}
		if (v->chain.revocation == PKI_REV_REVOKED) {
			if (v->chain.revoked_at != 0)
				pki_time_iso(v->chain.revoked_at, when,
					     sizeof(when));
			else
				snprintf(when, sizeof(when), "an unknown time");
			if (after_poe)
				snprintf(msg, sizeof(msg), "the signer's "
					 "certificate was revoked at %s, after "
					 "%s (%s) proves the signature existed: "
					 "it stays valid", when, by, at);
			else
				snprintf(msg, sizeof(msg), "the signer's "
					 "certificate is revoked (at %s; %s)",
					 when, v->issuer_revocation ==
					 PKI_REV_REVOKED ? "its issuer, this "
					 "appliance, lists it in its current CRL"
					 : "validation data the document "
					 "carries (/DSS) says so");
			if (add_warning(warnings, msg) != 0)
				goto fail;
		}
	}
	if (ran && intact) {
		/* the path itself (a revoked status excused by the
		 * timestamp only) */
		if (!(after_poe && v->chain.status == PKI_CHAIN_REVOKED))
			verify_chain_outcome(&v->chain, &oc);
		/* A revoked signer is not a valid signature unless a
		 * timestamp proves it signed before the revocation (ETSI
		 * EN 319 102-1 past signature validation); a proof from
		 * after it is a failure. */
		if (v->chain.revocation == PKI_REV_REVOKED && !after_poe) {
			if (poe != 0 && v->chain.revoked_at != 0)
				verify_set_outcome(&oc, IND_FAILED, "REVOKED",
					    "signer_revoked", "the signer's "
					    "certificate was revoked before "
					    "the signature's proof of "
					    "existence");
			else
				verify_set_outcome(&oc, IND_INDETERMINATE,
					    "REVOKED_NO_POE", "signer_revoked",
					    "the signer's certificate is "
					    "revoked and nothing proves the "
					    "signature existed before");
		}
		/* revocation data that could only have said "good"
		 * before the signature existed (EN 319 102-1 §5.2.5:
		 * fresh status information is missing) */
		if (stale && v->chain.revocation == PKI_REV_UNKNOWN)
			verify_set_outcome(&oc, IND_INDETERMINATE, "TRY_LATER",
				    "revocation_data_stale", "the revocation "
				    "data the document carries for the signer "
				    "was issued before the signature existed; "
				    "nothing shows the certificate was good "
				    "when it signed");
		if (v->ess_version != 0 && !v->ess_match)
			verify_set_outcome(&oc, IND_INDETERMINATE,
				    "SIG_CONSTRAINTS_FAILURE", "ess_mismatch",
				    "the ESS signing-certificate attribute "
				    "does not match the signer certificate");
		if (v->signer_count != 1)
			verify_set_outcome(&oc, IND_INDETERMINATE,
				    "SIG_CONSTRAINTS_FAILURE", "several_signers",
				    "the CMS has more than one SignerInfo");
	}
	if (ran_ts && intact) {
		verify_chain_outcome(&t.chain, &oc);
		/* revoked after a later document timestamp proves this one
		 * existed: it stands */
		if (t.chain.revocation == PKI_REV_REVOKED &&
		    !(doc_poe != 0 && t.chain.revoked_at != 0 &&
		      doc_poe < t.chain.revoked_at))
			verify_set_outcome(&oc, IND_INDETERMINATE, "REVOKED_NO_POE",
				    "tsa_revoked", "the TSA's certificate is "
				    "revoked in validation data the document "
				    "carries");
	}
	*verdict = oc.ind;
	if (ran_ts && oc.ind == IND_PASSED)
		*proves = t.gen_time;
	if (tsa_expired_after) {
		char when[32], at[32];

		pki_time_iso(t.tsa.not_after, when, sizeof(when));
		pki_time_iso(doc_poe, at, sizeof(at));
		snprintf(msg, sizeof(msg), "the TSA's certificate expired at "
			 "%s, after a later document timestamp (%s) proves this "
			 "one existed: it stays valid", when, at);
		if (add_warning(warnings, msg) != 0)
			goto fail;
	}

	/* a warning for what is not signed, unless a certification's
	 * permissions allow it */
	if (((rd->changes & (PDF_CHANGE_OTHER | PDF_CHANGE_FORM |
			     PDF_CHANGE_ANNOT | PDF_CHANGE_NEW_FIELD)) &&
	     (rd->changes & ~verify_docmdp_allows(s->docmdp_p))) || rd->unfollowed) {
		mods = jmods(rd, s->docmdp_p);
		if (mods == NULL ||
		    add_warning(warnings, json_string_value(
				json_object_get(mods, "summary"))) != 0) {
			json_decref(mods);
			goto fail;
		}
		json_decref(mods);
	}
	if (s->m_malformed) {
		snprintf(msg, sizeof(msg), "/M is not a PDF date (ISO 32000-1 "
			 "§7.9.4): %.200s", s->m);
		if (add_warning(warnings, msg) != 0)
			goto fail;
	}
	if (ran && v->signer_count > 1) {
		snprintf(msg, sizeof(msg), "the CMS has %u SignerInfos; only "
			 "the first was checked", v->signer_count);
		if (add_warning(warnings, msg) != 0)
			goto fail;
	}
	if (ran && v->ess_version != 0 && !v->ess_match &&
	    add_warning(warnings, "the ESS signing-certificate attribute "
			"does not match the signer certificate") != 0)
		goto fail;
	if (ran && intact && v->chain.status != PKI_CHAIN_TRUSTED) {
		snprintf(msg, sizeof(msg), "certificate chain %s: %s",
			 pki_chain_name(v->chain.status),
			 v->chain.error_text[0] ? v->chain.error_text :
			 "no signer certificate");
		if (add_warning(warnings, msg) != 0)
			goto fail;
	}
	if (ran && v->tst.present && !(v->tst.parsed && v->tst.imprint_ok &&
				       v->tst.signature_ok) &&
	    add_warning(warnings, "the signature timestamp does not verify "
			"or does not match the signature") != 0)
		goto fail;
	if (is_sub(s, "ETSI.CAdES.detached") && ran && v->has_signing_time &&
	    add_warning(warnings, "PAdES forbids the CMS signing-time "
			"attribute (EN 319 142-1 §5.4.3); /M is the claimed "
			"time") != 0)
		goto fail;

	integrity = json_pack("{s:b, s:b, s:b, s:o}",
			      "ok", intact,
			      "digest_ok", ran ? v->digest_ok :
					   ran_ts && t.imprint_ok,
			      "signature_ok", ran ? v->signature_ok :
					      ran_ts && t.signature_ok,
			      "problem", jstr(intact ? NULL : oc.text));
	mods = jmods(rd, s->docmdp_p);
	j = signature_json(s, doc_ts, integrity, doc_ts ? jtst(&t) : NULL,
			   doc_ts ? "document timestamp" : level, &oc, mods);
	if (j == NULL)
		goto fail;
	if (doc_ts) {
		/* nothing more */
	} else if (ran) {
		json_t *cms = json_pack(
			"{s:I, s:o, s:o, s:b, s:b, s:o, s:o, s:b}",
			"signer_count", (json_int_t)v->signer_count,
			"digest_algorithm", jstr(v->digest_alg[0] ?
						 v->digest_alg : NULL),
			"signature_algorithm", jstr(v->signature_alg[0] ?
						    v->signature_alg : NULL),
			"signed_attributes", v->has_signed_attrs,
			"content_type_attribute", v->has_content_type,
			"signing_time_attribute",
			v->has_signing_time ? jtime(v->signing_time)
					    : json_null(),
			"ess_signing_certificate",
			v->ess_version == 2 ? json_string("v2") :
			v->ess_version == 1 ? json_string("v1") : json_null(),
			"ess_match", v->ess_match);

		if (cms == NULL ||
		    json_object_set_new(j, "cms", cms) != 0 ||
		    json_object_set_new(j, "signer", jcert(&v->signer)) != 0 ||
		    json_object_set_new(j, "chain",
					v->signer.present ? jchain(&v->chain)
							  : json_null()) != 0 ||
		    json_object_set_new(j, "timestamp", jtst(&v->tst)) != 0)
			goto fail;
	} else if (json_object_set_new(j, "cms", json_null()) != 0 ||
		   json_object_set_new(j, "signer", json_null()) != 0 ||
		   json_object_set_new(j, "chain", json_null()) != 0 ||
		   json_object_set_new(j, "timestamp", json_null()) != 0) {
		goto fail;
	}
	if (json_object_set_new(j, "warnings", warnings) != 0) {
		warnings = NULL;
		goto fail;
	}
	free(v);
	return j;
fail:
	json_decref(warnings);
	json_decref(j);
	free(v);
	return NULL;
}

/* B-LTA (ETSI EN 319 142-1 §6.5): a B-LT signature followed by a valid
 * document timestamp over the document with its validation data. */
static void lta(json_t *list)
{
	json_t *s, *t;
	size_t i, j;

	json_array_foreach(list, i, s) {
		const char *lvl = json_string_value(json_object_get(s, "pades_level"));
		json_t *br = json_object_get(s, "byte_range");
		json_int_t end = json_integer_value(json_array_get(br, 2)) +
				 json_integer_value(json_array_get(br, 3));

		if (lvl == NULL || strcmp(lvl, "B-LT") != 0)
			continue;
		json_array_foreach(list, j, t) {
			json_t *tb = json_object_get(t, "byte_range");
			const char *ty = json_string_value(json_object_get(t, "type"));
			const char *vd = json_string_value(json_object_get(t, "verdict"));

			if (ty != NULL && strcmp(ty, "document_timestamp") == 0 &&
			    vd != NULL && strcmp(vd, "valid") == 0 &&
			    json_integer_value(json_array_get(tb, 2)) +
			    json_integer_value(json_array_get(tb, 3)) > end) {
				json_object_set_new(s, "pades_level",
						    json_string("B-LTA"));
				break;
			}
		}
	}
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
	lta(list);
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
