/*
 * The shapes of POST /v1/verify's answer (docs/verify.md "The answer"):
 * certificates, paths, timestamps, what changed after a signature, and
 * the members of one signature. api/verify.c decides; this file only
 * writes down what it decided.
 */
#include <string.h>

#include "api/verify_int.h"

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

json_t *verify_mods_json(const struct pdf_rev_diff *rd, int docmdp)
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

json_t *verify_signature_json(const struct pdf_sig_info *s,
			      const struct pki_tst_result *doc_tst,
			      json_t *integrity, const char *level,
			      const struct outcome *oc, json_t *mods)
{
	json_t *j = json_object();
	int doc_ts = doc_tst != NULL, bad = 0;

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
	if (doc_ts)
		bad |= put(j, "timestamp", jtst(doc_tst));
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

json_t *verify_integrity_json(int ok, int digest_ok, int signature_ok,
			      const char *problem)
{
	return json_pack("{s:b, s:b, s:b, s:o}", "ok", ok, "digest_ok",
			 digest_ok, "signature_ok", signature_ok, "problem",
			 jstr(ok ? NULL : problem));
}

int verify_cms_members(json_t *j, const struct pki_verify_result *v)
{
	json_t *cms;

	if (v == NULL)
		return put(j, "cms", json_null()) | put(j, "signer", json_null()) |
		       put(j, "chain", json_null()) |
		       put(j, "timestamp", json_null());
	cms = json_pack("{s:I, s:o, s:o, s:b, s:b, s:o, s:o, s:b}",
			"signer_count", (json_int_t)v->signer_count,
			"digest_algorithm", jstr(v->digest_alg[0] ?
						 v->digest_alg : NULL),
			"signature_algorithm", jstr(v->signature_alg[0] ?
						    v->signature_alg : NULL),
			"signed_attributes", v->has_signed_attrs,
			"content_type_attribute", v->has_content_type,
			"signing_time_attribute",
			v->has_signing_time ? jtime(v->signing_time) : json_null(),
			"ess_signing_certificate",
			v->ess_version == 2 ? json_string("v2") :
			v->ess_version == 1 ? json_string("v1") : json_null(),
			"ess_match", v->ess_match);
	return put(j, "cms", cms) | put(j, "signer", jcert(&v->signer)) |
	       put(j, "chain", v->signer.present ? jchain(&v->chain)
						 : json_null()) |
	       put(j, "timestamp", jtst(&v->tst));
}

void verify_lta(json_t *list)
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
