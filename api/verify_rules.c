/*
 * The judgement of one signature (docs/verify.md "Results"): structure,
 * what changed after it against its DocMDP permissions, its path and
 * revocation against the time its timestamp proves, in ETSI EN 319 102-1
 * indications. api/verify.c gathers the findings and shapes the answer.
 */
#include <stddef.h>

#include "api/verify_int.h"

const char *verify_ind_name(int v)
{
	return v == IND_PASSED ? "TOTAL_PASSED" :
	       v == IND_INDETERMINATE ? "INDETERMINATE" : "TOTAL_FAILED";
}

const char *verify_verdict_name(int v)
{
	return v == 0 ? "valid" : v == 1 ? "indeterminate" : "invalid";
}

/* The changes a certification signature with DocMDP P permits (ISO
 * 32000-1 §12.8.2.2 Table 254); validation data and document timestamps
 * are permitted at every level (ISO 32000-2 §12.8.2.2.2, PAdES). 0 for an
 * approval signature. */
unsigned verify_docmdp_allows(int p)
{
	switch (p) {
	case 1: return PDF_CHANGE_LTV;
	case 2: return PDF_CHANGE_LTV | PDF_CHANGE_FORM | PDF_CHANGE_SIGNATURE;
	case 3: return PDF_CHANGE_LTV | PDF_CHANGE_FORM | PDF_CHANGE_SIGNATURE |
		       PDF_CHANGE_ANNOT;
	default: return 0;
	}
}

/* The structural checks every signature passes before its CMS counts
 * (ISO 32000-1 §12.8.1, ISO 32000-2 §12.8.2.2); the stable reason of the
 * first that fails, NULL if none. */
const char *verify_structure_problem(const struct pdf_sig_info *s,
				     const struct pdf_rev_diff *rd,
				     const char **text)
{
	if (s->dict_broken) {
		*text = "the signature field's /V is not a signature "
			"dictionary that can be read";
		return "signature_dictionary_unparsable";
	}
	if (s->byte_range_malformed) {
		*text = "/ByteRange is not four non-negative integers";
		return "byte_range_malformed";
	}
	if (!s->byte_range_ok) {
		*text = "the /ByteRange does not start at 0, overlaps, leaves "
			"the file, or its gap is not one hex string";
		return "byte_range_invalid";
	}
	if (!rd->complete) {
		*text = "the signed bytes do not end a complete revision "
			"(%%EOF after a cross-reference section) that opens "
			"on its own";
		return "signed_range_not_a_revision";
	}
	if (!rd->sig_found) {
		*text = "the signature dictionary is not part of the revision "
			"it signs";
		return "signature_not_in_signed_revision";
	}
	if (!rd->gap_is_contents) {
		*text = "the /ByteRange gap is not exactly this dictionary's "
			"/Contents string";
		return "byte_range_gap_not_contents";
	}
	if (s->padding_not_zero) {
		*text = "/Contents holds non-zero bytes after the signature "
			"(room for hidden data)";
		return "contents_padding_not_zero";
	}
	return NULL;
}

void verify_set_outcome(struct outcome *o, int ind, const char *sub,
			const char *reason, const char *text)
{
	if (o->reason != NULL && o->ind >= ind)
		return; /* the first, worst finding stands */
	*o = (struct outcome){ ind, sub, reason, text };
}

/* What the chain says, for an intact signature or timestamp. */
void verify_chain_outcome(const struct pki_chain_result *c,
			  struct outcome *o)
{
	switch (c->status) {
	case PKI_CHAIN_TRUSTED:
		break;
	case PKI_CHAIN_UNTRUSTED:
		verify_set_outcome(o, IND_INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND",
			    "untrusted_signer", "the signer's certificate "
			    "does not lead to a trust anchor of this "
			    "appliance");
		break;
	case PKI_CHAIN_EXPIRED:
		verify_set_outcome(o, IND_INDETERMINATE, "OUT_OF_BOUNDS_NO_POE",
			    "certificate_expired", "a certificate of the path "
			    "is outside its validity period and nothing proves "
			    "the signature existed while it was valid");
		break;
	case PKI_CHAIN_REVOKED:
		verify_set_outcome(o, IND_INDETERMINATE, "REVOKED_NO_POE",
			    "signer_revoked", "a certificate of the path is "
			    "revoked");
		break;
	case PKI_CHAIN_NOT_CHECKED:
		verify_set_outcome(o, IND_INDETERMINATE,
			    "NO_SIGNING_CERTIFICATE_FOUND",
			    "no_signer_certificate", "the CMS does not carry "
			    "the signer's certificate");
		break;
	default:
		verify_set_outcome(o, IND_INDETERMINATE,
			    "CERTIFICATE_CHAIN_GENERAL_FAILURE",
			    "chain_invalid", "the signer's certificate path "
			    "does not validate");
		break;
	}
}

/* What changed after the signed revision; docmdp: the signature's
 * DocMDP P, 0 for an approval signature. */
void verify_mods_outcome(const struct pdf_rev_diff *rd, int docmdp,
			 struct outcome *o)
{
	if (rd->changes & PDF_CHANGE_OTHER)
		verify_set_outcome(o, IND_FAILED, "HASH_FAILURE",
			    "modified_after_signing", "the document was "
			    "modified after signing: what it shows now is "
			    "not what was signed");
	else if (docmdp != 0 && (rd->changes & ~verify_docmdp_allows(docmdp)))
		verify_set_outcome(o, IND_FAILED, "HASH_FAILURE",
			    "changes_not_permitted", "the document was "
			    "changed after this certification signature in "
			    "a way its permissions (DocMDP P) forbid");
	else if (docmdp == 0 &&
		 (rd->changes & (PDF_CHANGE_FORM | PDF_CHANGE_ANNOT |
				 PDF_CHANGE_NEW_FIELD)))
		verify_set_outcome(o, IND_INDETERMINATE, "SIG_CONSTRAINTS_FAILURE",
			    "changed_after_signing", "annotations or form "
			    "field values were added after signing; they are "
			    "not signed");
}


/* The time a valid signature timestamp whose TSA is trusted and not
 * revoked proves the signature existed at (ETSI EN 319 102-1 §5.6.2.1
 * proof of existence), 0 if none. */
time_t verify_signature_poe(const struct pki_verify_result *v)
{
	const struct pki_tst_result *t = &v->tst;

	return t->present && t->parsed && t->imprint_ok && t->signature_ok &&
	       t->chain.status == PKI_CHAIN_TRUSTED &&
	       t->chain.revocation != PKI_REV_REVOKED ? t->gen_time : 0;
}

time_t verify_poe_min(time_t a, time_t b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

/* The signer's revocation from every source into v->chain: the path
 * check, the document's /DSS (CRLs and OCSP), its issuer's current CRL
 * when that is this appliance; revoked wins, the earliest time stands.
 * A /DSS answer that says good must have been issued when the signature
 * already existed (ETSI EN 319 102-1 §5.6.2.4: revocation data issued
 * after the best signature time); an older one proves nothing about it.
 * A revocation stands whenever it was published. The issuer's current
 * CRL is fresh by definition: good now is good at any earlier time. */
void verify_revocation_judge(struct pki_verify_result *v, time_t poe,
			     time_t need, int *after_poe, int *stale)
{
	struct pki_chain_result *c = &v->chain;

	*stale = 0;
	if (v->dss_revocation == PKI_REV_GOOD && need != 0 &&
	    v->dss_issued + PKI_REV_GRACE < need) {
		v->dss_revocation = PKI_REV_UNKNOWN;
		*stale = 1;
	}
	if (v->dss_revocation == PKI_REV_REVOKED ||
	    c->revocation == PKI_REV_UNKNOWN) {
		c->revocation = v->dss_revocation;
		c->revoked_at = v->dss_revoked_at;
	}
	if (v->issuer_revocation == PKI_REV_REVOKED) {
		if (c->revocation != PKI_REV_REVOKED || c->revoked_at == 0 ||
		    (v->issuer_revoked_at != 0 &&
		     v->issuer_revoked_at < c->revoked_at))
			c->revoked_at = v->issuer_revoked_at;
		c->revocation = PKI_REV_REVOKED;
	} else if (c->revocation == PKI_REV_UNKNOWN) {
		c->revocation = v->issuer_revocation;
	}
	*after_poe = c->revocation == PKI_REV_REVOKED && poe != 0 &&
		     c->revoked_at != 0 && poe < c->revoked_at;
}
