/*
 * Revision analysis: what changed after a signature.
 *
 * A signature signs the bytes up to the end of its second /ByteRange range;
 * that prefix must be a complete revision (ISO 32000-1 §7.5.6) that this
 * reader opens on its own. The document as it is now is then compared with
 * that revision object by object, over what is reachable from the trailer's
 * /Root, and each change is classified in the manner of ISO 32000-2
 * §12.8.2.2 (DocMDP) and §12.7.5.5 (FieldMDP) and of pyHanko's difference
 * analysis:
 *
 *   LTV    /DSS and what it holds, /Extensions, document timestamp fields
 *   SIG    new signature fields that hold a signature (a countersignature)
 *   FORM   field values and appearances, new empty signature fields
 *   NEWF   new fields or widgets that are not signature fields
 *   ANNOT  added or changed annotations that are not fields
 *   OTHER  anything else: page content, resources, the page tree, catalog
 *          entries, metadata, a signed signature field or its dictionary
 *
 * Each object gets the strictest role of all the paths that reach it: a
 * font an annotation and a page share is page content. An object rewritten
 * with identical content and objects nothing reaches change nothing. The
 * trailer's /Info is not compared (writers update /ModDate when signing).
 *
 * Bytes after the signed revision that no cross-reference section this
 * reader follows describes (an update without xref, or with the old
 * startxref; junk after the last %%EOF) are OTHER: another reader may
 * show them.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "pdf/pdf_int.h"

enum role { R_NONE = 0, R_LTV, R_SIG, R_FORM, R_ANNOT, R_OTHER };

#define K_PAGE 1u     /* a leaf of the page tree */
#define K_PAGES 2u    /* an inner node of the page tree */
#define K_ACROFORM 4u /* the interactive form dictionary */
#define K_LIST 8u     /* an indirect /Annots or /Fields array */

#define REV_WALK_BUDGET 4000000u

struct item {
	uint32_t num;
	uint8_t role;
	int32_t page;
};

struct walk {
	struct pdf_doc *a;   /* the signed revision */
	struct pdf_doc *b;   /* the document as it is now */
	uint8_t *role;       /* by object number (b's) */
	uint8_t *kind;
	int32_t *page;       /* 0-based page reaching it, -1 */
	struct item *st;
	size_t nst, cap;
	unsigned budget;
	int err;
};

static unsigned cat_of_role(int r)
{
	switch (r) {
	case R_LTV: return PDF_CHANGE_LTV;
	case R_SIG: return PDF_CHANGE_SIGNATURE;
	case R_FORM: return PDF_CHANGE_FORM;
	case R_ANNOT: return PDF_CHANGE_ANNOT;
	default: return PDF_CHANGE_OTHER;
	}
}

/* ---- equality of two objects, each read in its own document ---- */

static struct pdf_obj *dict_get_n(const struct pdf_obj *d, const uint8_t *k,
				  size_t n)
{
	if (d != NULL && d->t == PDF_STREAM)
		d = d->u.st.dict;
	if (d == NULL || d->t != PDF_DICT)
		return NULL;
	for (size_t i = d->u.d.n; i-- > 0;) {
		const struct pdf_obj *key = d->u.d.kv[i].key;

		if (key->u.s.len == n && memcmp(key->u.s.p, k, n) == 0)
			return d->u.d.kv[i].val;
	}
	return NULL;
}

static int obj_eq(const struct pdf_obj *x, const struct pdf_obj *y, int depth);

/* Every key of x has an equal value in y (last occurrence wins). */
static int dict_sub(const struct pdf_obj *x, const struct pdf_obj *y,
		    int depth)
{
	for (size_t i = 0; i < x->u.d.n; i++) {
		const struct pdf_obj *k = x->u.d.kv[i].key;

		if (!obj_eq(dict_get_n(x, k->u.s.p, k->u.s.len),
			    dict_get_n(y, k->u.s.p, k->u.s.len), depth + 1))
			return 0;
	}
	return 1;
}

static int obj_eq(const struct pdf_obj *x, const struct pdf_obj *y, int depth)
{
	if (x == NULL || y == NULL)
		return x == y ||
		       (x == NULL && y->t == PDF_NULL) ||
		       (y == NULL && x->t == PDF_NULL);
	if (depth > PDF_MAX_DEPTH || x->t != y->t)
		return 0;
	switch (x->t) {
	case PDF_NULL:
		return 1;
	case PDF_BOOL:
		return x->u.b == y->u.b;
	case PDF_INT:
		return x->u.i == y->u.i;
	case PDF_REAL:
		return x->u.real.len == y->u.real.len &&
		       memcmp(x->u.real.p, y->u.real.p, x->u.real.len) == 0;
	case PDF_STR:
	case PDF_NAME:
		return x->u.s.len == y->u.s.len &&
		       (x->u.s.len == 0 ||
			memcmp(x->u.s.p, y->u.s.p, x->u.s.len) == 0);
	case PDF_ARRAY:
		if (x->u.a.n != y->u.a.n)
			return 0;
		for (size_t i = 0; i < x->u.a.n; i++)
			if (!obj_eq(x->u.a.v[i], y->u.a.v[i], depth + 1))
				return 0;
		return 1;
	case PDF_DICT:
		return dict_sub(x, y, depth) && dict_sub(y, x, depth);
	case PDF_REF:
		return x->u.r.num == y->u.r.num && x->u.r.gen == y->u.r.gen;
	case PDF_STREAM:
		return x->u.st.len == y->u.st.len &&
		       (x->u.st.len == 0 || x->u.st.data == y->u.st.data ||
			memcmp(x->u.st.data, y->u.st.data, x->u.st.len) == 0) &&
		       obj_eq(x->u.st.dict, y->u.st.dict, depth + 1);
	}
	return 0;
}

/* An object as one document has it; NULL when free, absent or broken. */
static struct pdf_obj *get(struct pdf_doc *d, uint32_t num)
{
	struct pdf_obj *o = NULL;

	if (pdf_get_obj(d, num, &o) != 0)
		return NULL;
	return o;
}

static struct pdf_obj *resolve(struct pdf_doc *d, struct pdf_obj *o)
{
	struct pdf_obj *r = NULL;

	if (pdf_resolve(d, o, &r) != 0)
		return NULL;
	return r;
}

/* ---- what an object is ---- */

/* A signature field (or its widget) whose value is a document timestamp
 * (ETSI EN 319 142-1 §5.4.3). */
static int is_doc_ts_field(struct pdf_doc *d, const struct pdf_obj *o)
{
	struct pdf_obj *v;

	if (o == NULL || o->t != PDF_DICT ||
	    !pdf_name_is(pdf_dict_get(o, "FT"), "Sig"))
		return 0;
	v = resolve(d, pdf_dict_get(o, "V"));
	return v != NULL && v->t == PDF_DICT &&
	       (pdf_name_is(pdf_dict_get(v, "Type"), "DocTimeStamp") ||
		pdf_name_is(pdf_dict_get(v, "SubFilter"), "ETSI.RFC3161"));
}

/* A signature dictionary: what a signed field's /V is. */
static int is_sig_dict(const struct pdf_obj *o)
{
	return o != NULL && o->t == PDF_DICT &&
	       (pdf_dict_get(o, "ByteRange") != NULL ||
		pdf_name_is(pdf_dict_get(o, "Type"), "Sig") ||
		pdf_name_is(pdf_dict_get(o, "Type"), "DocTimeStamp"));
}

/* A signature field that holds a signature. */
static int is_signed_field(struct pdf_doc *d, const struct pdf_obj *o)
{
	return o != NULL && o->t == PDF_DICT &&
	       pdf_name_is(pdf_dict_get(o, "FT"), "Sig") &&
	       is_sig_dict(resolve(d, pdf_dict_get(o, "V")));
}

/* The role of an entry of /Annots or /AcroForm /Fields. */
static int entry_role(struct pdf_doc *d, struct pdf_obj *e)
{
	struct pdf_obj *o = resolve(d, e);

	if (o == NULL || o->t != PDF_DICT)
		return R_ANNOT;
	if (is_doc_ts_field(d, o))
		return R_LTV;
	if (is_signed_field(d, o))
		return R_SIG;
	if (pdf_name_is(pdf_dict_get(o, "Subtype"), "Widget") ||
	    pdf_dict_get(o, "FT") != NULL || pdf_dict_get(o, "T") != NULL ||
	    pdf_dict_get(o, "Kids") != NULL)
		return R_FORM;
	return R_ANNOT;
}

/* ---- the walk over the current document ---- */

static void push(struct walk *w, uint32_t num, int role, int32_t page)
{
	if (w->err != 0 || num == 0 || num >= w->b->nx ||
	    w->role[num] >= role)
		return;
	w->role[num] = (uint8_t)role;
	if (w->page[num] < 0)
		w->page[num] = page;
	if (w->nst == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct item *n = realloc(w->st, cap * sizeof(*n));

		if (n == NULL) {
			w->err = ESD_ENOMEM;
			return;
		}
		w->st = n;
		w->cap = cap;
	}
	w->st[w->nst++] = (struct item){ num, (uint8_t)role, page };
}

/* Pushes every reference inside o (direct objects followed) with role. */
static void refs(struct walk *w, const struct pdf_obj *o, int role,
		 int32_t page, int depth)
{
	if (o == NULL || depth > PDF_MAX_DEPTH || w->budget == 0)
		return;
	w->budget--;
	switch (o->t) {
	case PDF_REF:
		push(w, o->u.r.num, role, page);
		break;
	case PDF_ARRAY:
		for (size_t i = 0; i < o->u.a.n; i++)
			refs(w, o->u.a.v[i], role, page, depth + 1);
		break;
	case PDF_STREAM:
		refs(w, o->u.st.dict, role, page, depth + 1);
		break;
	case PDF_DICT:
		for (size_t i = 0; i < o->u.d.n; i++)
			refs(w, o->u.d.kv[i].val, role, page, depth + 1);
		break;
	default:
		break;
	}
}

/* Entries of /Annots or /Fields: each by what it is. */
static void list_entries(struct walk *w, const struct pdf_obj *arr,
			 int32_t page)
{
	if (arr == NULL || arr->t != PDF_ARRAY)
		return;
	for (size_t i = 0; i < arr->u.a.n; i++)
		refs(w, arr->u.a.v[i], entry_role(w->b, arr->u.a.v[i]), page,
		     1);
}

/* A list value (/Annots, /Fields): direct, or an indirect array. */
static void list_value(struct walk *w, struct pdf_obj *v, int role,
		       int32_t page)
{
	if (v != NULL && v->t == PDF_REF && v->u.r.num < w->b->nx) {
		w->kind[v->u.r.num] |= K_LIST;
		push(w, v->u.r.num, role, page);
	} else {
		list_entries(w, v, page);
	}
}

static void acroform_children(struct walk *w, const struct pdf_obj *af,
			      int role)
{
	for (size_t i = 0; af != NULL && af->t == PDF_DICT && i < af->u.d.n;
	     i++) {
		const struct pdf_kv *kv = &af->u.d.kv[i];

		if (pdf_name_is(kv->key, "Fields"))
			list_value(w, kv->val, R_FORM, -1);
		else if (pdf_name_is(kv->key, "DR"))
			refs(w, kv->val, R_FORM, -1, 1);
		else
			refs(w, kv->val, role, -1, 1);
	}
}

static void children(struct walk *w, uint32_t num, const struct pdf_obj *o,
		     int role, int32_t page, int is_root)
{
	const struct pdf_obj *d = o->t == PDF_STREAM ? o->u.st.dict : o;

	if (w->kind[num] & K_LIST) {
		list_entries(w, o, page);
		return;
	}
	if (d->t != PDF_DICT ||
	    (!is_root && !(w->kind[num] & (K_PAGE | K_ACROFORM)))) {
		/* a document timestamp's field, widget and appearance are
		 * validation data */
		refs(w, o, is_doc_ts_field(w->b, o) ? R_LTV : role, page, 0);
		return;
	}
	for (size_t i = 0; i < d->u.d.n; i++) {
		const struct pdf_kv *kv = &d->u.d.kv[i];

		if (is_root && (pdf_name_is(kv->key, "DSS") ||
				pdf_name_is(kv->key, "Extensions"))) {
			refs(w, kv->val, R_LTV, -1, 1);
		} else if (is_root && pdf_name_is(kv->key, "AcroForm")) {
			if (kv->val->t == PDF_REF) {
				if (kv->val->u.r.num < w->b->nx)
					w->kind[kv->val->u.r.num] |= K_ACROFORM;
				push(w, kv->val->u.r.num, R_OTHER, -1);
			} else {
				acroform_children(w, kv->val, R_OTHER);
			}
		} else if ((w->kind[num] & K_PAGE) &&
			   pdf_name_is(kv->key, "Annots")) {
			list_value(w, kv->val, R_ANNOT, page);
		} else if ((w->kind[num] & K_ACROFORM) && !is_root) {
			continue; /* below */
		} else {
			refs(w, kv->val, role, page, 1);
		}
	}
	if ((w->kind[num] & K_ACROFORM) && !is_root)
		acroform_children(w, d, role);
}

/* Marks the page tree of b: leaves with their index. */
static void mark_pages(struct walk *w, struct pdf_obj *ref, int depth,
		       int32_t *index)
{
	struct pdf_obj *node, *kids;
	uint32_t num;

	if (ref == NULL || ref->t != PDF_REF || depth > PDF_MAX_DEPTH ||
	    w->budget == 0)
		return;
	w->budget--;
	num = ref->u.r.num;
	if (num >= w->b->nx || (w->kind[num] & (K_PAGE | K_PAGES)))
		return;
	node = get(w->b, num);
	if (node == NULL || node->t != PDF_DICT)
		return;
	kids = resolve(w->b, pdf_dict_get(node, "Kids"));
	if (pdf_name_is(pdf_dict_get(node, "Type"), "Page") || kids == NULL ||
	    kids->t != PDF_ARRAY) {
		w->kind[num] |= K_PAGE;
		w->page[num] = (*index)++;
		return;
	}
	w->kind[num] |= K_PAGES;
	for (size_t i = 0; i < kids->u.a.n; i++)
		mark_pages(w, kids->u.a.v[i], depth + 1, index);
}

/* ---- classifying one change ---- */

/* A signature field, or a widget whose parent is one. */
static int is_sig_field_entry(struct pdf_doc *d, struct pdf_obj *e)
{
	struct pdf_obj *o = resolve(d, e), *parent;

	if (o == NULL || o->t != PDF_DICT)
		return 0;
	if (pdf_name_is(pdf_dict_get(o, "FT"), "Sig"))
		return 1;
	parent = resolve(d, pdf_dict_get(o, "Parent"));
	return parent != NULL && parent->t == PDF_DICT &&
	       pdf_name_is(pdf_dict_get(parent, "FT"), "Sig");
}

/* The category of an entry added to /Annots or /Fields: a form entry
 * that is not a signature field is a new field, not filling in. */
static unsigned added_cat(struct walk *w, struct pdf_obj *e)
{
	int r = entry_role(w->b, e);

	if (r == R_FORM && !is_sig_field_entry(w->b, e))
		return PDF_CHANGE_NEW_FIELD;
	return cat_of_role(r);
}

/* Entries removed from a list: OTHER; entries added: by what they are. */
static unsigned list_diff(struct walk *w, struct pdf_obj *la,
			  struct pdf_obj *lb)
{
	unsigned c = 0;
	size_t na = la && la->t == PDF_ARRAY ? la->u.a.n : 0;
	size_t nb = lb && lb->t == PDF_ARRAY ? lb->u.a.n : 0;

	if ((la != NULL && la->t != PDF_ARRAY) ||
	    (lb != NULL && lb->t != PDF_ARRAY))
		return PDF_CHANGE_OTHER;
	for (size_t i = 0; i < na; i++) {
		int found = 0;

		for (size_t j = 0; j < nb && !found; j++)
			found = obj_eq(la->u.a.v[i], lb->u.a.v[j], 0);
		if (!found)
			return PDF_CHANGE_OTHER;
	}
	for (size_t j = 0; j < nb; j++) {
		int found = 0;

		for (size_t i = 0; i < na && !found; i++)
			found = obj_eq(la->u.a.v[i], lb->u.a.v[j], 0);
		if (!found)
			c |= added_cat(w, lb->u.a.v[j]);
	}
	return c;
}

/* Keys whose value differs between da (in a) and db (in b): calls
 * key_cat for each. */
typedef unsigned (*key_cat_fn)(struct walk *w, const struct pdf_obj *key,
			       struct pdf_obj *va, struct pdf_obj *vb);

static unsigned keys_diff(struct walk *w, const struct pdf_obj *da,
			  const struct pdf_obj *db, key_cat_fn fn)
{
	const struct pdf_obj *side[2] = { da, db };
	unsigned c = 0;

	for (int s = 0; s < 2; s++) {
		const struct pdf_obj *d = side[s];

		for (size_t i = 0; d != NULL && d->t == PDF_DICT &&
		     i < d->u.d.n; i++) {
			const struct pdf_obj *k = d->u.d.kv[i].key;
			struct pdf_obj *va = dict_get_n(da, k->u.s.p,
							k->u.s.len);
			struct pdf_obj *vb = dict_get_n(db, k->u.s.p,
							k->u.s.len);

			if (s == 1 && va != NULL)
				continue; /* seen from da */
			if (!obj_eq(va, vb, 0))
				c |= fn(w, k, va, vb);
		}
	}
	return c;
}

static unsigned acroform_key(struct walk *w, const struct pdf_obj *k,
			     struct pdf_obj *va, struct pdf_obj *vb)
{
	if (pdf_name_is(k, "Fields"))
		return list_diff(w, resolve(w->a, va), resolve(w->b, vb));
	if (pdf_name_is(k, "SigFlags"))
		return PDF_CHANGE_LTV;
	if (pdf_name_is(k, "DR") || pdf_name_is(k, "DA") ||
	    pdf_name_is(k, "NeedAppearances"))
		return PDF_CHANGE_FORM;
	return PDF_CHANGE_OTHER;
}

static unsigned acroform_diff(struct walk *w, struct pdf_obj *fa,
			      struct pdf_obj *fb)
{
	if ((fa != NULL && fa->t != PDF_DICT) ||
	    (fb == NULL || fb->t != PDF_DICT))
		return PDF_CHANGE_OTHER;
	return keys_diff(w, fa, fb, acroform_key);
}

static unsigned catalog_key(struct walk *w, const struct pdf_obj *k,
			    struct pdf_obj *va, struct pdf_obj *vb)
{
	if (pdf_name_is(k, "DSS") || pdf_name_is(k, "Extensions"))
		return PDF_CHANGE_LTV;
	if (pdf_name_is(k, "AcroForm"))
		return acroform_diff(w, resolve(w->a, va), resolve(w->b, vb));
	return PDF_CHANGE_OTHER;
}

static unsigned page_key(struct walk *w, const struct pdf_obj *k,
			 struct pdf_obj *va, struct pdf_obj *vb)
{
	if (pdf_name_is(k, "Annots"))
		return list_diff(w, resolve(w->a, va), resolve(w->b, vb));
	return PDF_CHANGE_OTHER;
}

/* The category of a change to object num (oa in a, ob in b). */
static unsigned classify(struct walk *w, uint32_t num, struct pdf_obj *oa,
			 struct pdf_obj *ob)
{
	/* the signed signature fields and their dictionaries stay as they
	 * were signed (a re-declared /Reason, /M or /ByteRange is forgery) */
	if (is_sig_dict(oa) || is_signed_field(w->a, oa))
		return PDF_CHANGE_OTHER;
	if (w->kind[num] & K_PAGE) {
		if (oa == NULL || oa->t != PDF_DICT || ob == NULL ||
		    ob->t != PDF_DICT)
			return PDF_CHANGE_OTHER;
		return keys_diff(w, oa, ob, page_key);
	}
	if (w->kind[num] & K_ACROFORM)
		return acroform_diff(w, oa, ob);
	if (w->kind[num] & K_LIST)
		return list_diff(w, oa, ob);
	return cat_of_role(w->role[num]);
}

static void note_other(struct pdf_rev_diff *out, uint32_t num, int32_t page)
{
	if (num != 0 && out->nobjs < PDF_REV_LIST)
		out->objs[out->nobjs++] = num;
	out->nobjs_total++;
	if (page < 0)
		return;
	for (size_t i = 0; i < out->npages; i++)
		if (out->pages[i] == (unsigned)page + 1)
			return;
	if (out->npages < PDF_REV_LIST)
		out->pages[out->npages++] = (unsigned)page + 1;
}

/* ---- the bytes after the signed revision ---- */

static const uint8_t *find_last(const uint8_t *h, size_t hl, const char *n)
{
	size_t nl = strlen(n);
	const uint8_t *p = h, *hit = NULL;

	while (hl >= nl && (p = memmem(p, (size_t)(h + hl - p), n, nl)) !=
	       NULL) {
		hit = p;
		p += nl;
		if ((size_t)(p - h) > hl - nl)
			break;
	}
	return hit;
}

static int in_chain(const struct pdf_doc *b, uint64_t off)
{
	for (size_t i = 0; i < b->nsections; i++)
		if (b->sections[i] == off)
			return 1;
	return 0;
}

/* Later revisions (%%EOF markers after end) and whether every byte there
 * belongs to an update this reader follows. */
static void tail_check(struct pdf_doc *b, uint64_t end,
		       struct pdf_rev_diff *out)
{
	const uint8_t *p = b->buf + end, *e = b->buf + b->len, *last;
	int followed = 0;

	for (size_t i = 0; i < b->nsections; i++)
		if (b->sections[i] >= end)
			followed = 1;
	while ((p = memmem(p, (size_t)(e - p), "%%EOF", 5)) != NULL) {
		out->later++;
		p += 5;
	}
	p = b->buf + end;
	while ((p = memmem(p, (size_t)(e - p), "startxref", 9)) != NULL) {
		struct pdf_lex l = { p + 9, e, b->buf, &b->arena, 0 };
		uint64_t off;

		if (pdf_lex_uint(&l, &off) != 0 || !in_chain(b, off))
			followed = 0;
		p += 9;
	}
	last = find_last(b->buf + end, (size_t)(e - b->buf - end), "%%EOF");
	if (last != NULL)
		for (p = last + 5; p < e; p++)
			if (!pdf_is_ws(*p))
				followed = 0;
	if (b->repaired || last == NULL)
		followed = 0;
	if (!followed) {
		out->unfollowed = 1;
		out->changes |= PDF_CHANGE_OTHER;
		note_other(out, 0, -1);
	}
}

/* ---- the signed revision ---- */

/* The prefix ends with %%EOF and at most an end-of-line. */
static int ends_revision(const uint8_t *buf, uint64_t end)
{
	uint64_t e = end;

	while (e > 0 && end - e < 2 && (buf[e - 1] == '\n' ||
					buf[e - 1] == '\r'))
		e--;
	return e >= 5 && memcmp(buf + e - 5, "%%EOF", 5) == 0;
}

/* The span [*s, *e) of the /Contents value of signature dictionary num
 * where d's xref places it; 0 if it is not one direct dictionary with
 * exactly one /Contents. */
static int contents_span(struct pdf_doc *d, uint32_t num, uint64_t *s,
			 uint64_t *e)
{
	struct pdf_lex l;
	uint32_t n, g;
	unsigned found = 0;

	if (num == 0 || num >= d->nx || d->x[num].kind != XE_OFFSET ||
	    d->x[num].off >= d->len)
		return 0;
	l = (struct pdf_lex){ d->buf + d->x[num].off, d->buf + d->len, d->buf,
			      &d->arena, 0 };
	if (pdf_parse_obj_header(&l, &n, &g) != 0 || n != num)
		return 0;
	pdf_lex_skip_ws(&l);
	if (l.end - l.p < 2 || l.p[0] != '<' || l.p[1] != '<')
		return 0;
	l.p += 2;
	for (unsigned i = 0; i < 4096; i++) {
		struct pdf_obj *k, *v;
		size_t vs;

		pdf_lex_skip_ws(&l);
		if (l.end - l.p >= 2 && l.p[0] == '>' && l.p[1] == '>')
			return found == 1;
		if (pdf_parse_obj(&l, &k) != 0 || k->t != PDF_NAME)
			return 0;
		pdf_lex_skip_ws(&l);
		vs = pdf_lex_pos(&l);
		if (pdf_parse_obj(&l, &v) != 0)
			return 0;
		if (pdf_name_is(k, "Contents")) {
			*s = vs;
			*e = pdf_lex_pos(&l);
			found++;
		}
	}
	return 0;
}

/* si as the signed revision a has it: the same signature dictionary
 * (object number) with the same /ByteRange. */
static int signed_copy(struct pdf_doc *a, struct pdf_doc *b,
		       const struct pdf_sig_info *si, struct pdf_sig_info *o)
{
	const struct pdf_sig_info *v;
	size_t n;

	if (pdf_doc_signatures(a, &v, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const struct pdf_sig_info *s = &v[i];

		if (s->obj_num != si->obj_num || !s->has_byte_range ||
		    memcmp(s->byte_range, si->byte_range,
			   sizeof(s->byte_range)) != 0)
			continue;
		*o = *s;
		o->covers_whole_file = si->covers_whole_file;
		o->field_name = pdf_arena_strdup(&b->arena, s->field_name);
		o->sub_filter = pdf_arena_strdup(&b->arena, s->sub_filter);
		o->filter = pdf_arena_strdup(&b->arena, s->filter);
		o->m = pdf_arena_strdup(&b->arena, s->m);
		o->reason = pdf_arena_strdup(&b->arena, s->reason);
		o->location = pdf_arena_strdup(&b->arena, s->location);
		o->name = pdf_arena_strdup(&b->arena, s->name);
		o->contact_info = pdf_arena_strdup(&b->arena, s->contact_info);
		/* the widget's place as the signed revision has it: a later
		 * /Rect or /Annots cannot move it */
		o->page = pdf_sig_page(a, s);
		o->widget = NULL;
		/* the decoded /Contents lives in a's arena: copy it */
		o->contents = NULL;
		if (s->contents != NULL) {
			uint8_t *c = pdf_arena_alloc(&b->arena,
						     s->contents_raw_len + 1);

			if (c == NULL)
				return -1;
			memcpy(c, s->contents, s->contents_raw_len);
			o->contents = c;
		}
		return 1;
	}
	return 0;
}

int pdf_revision_diff(struct pdf_doc *b, const struct pdf_sig_info *si,
		      struct pdf_rev_diff *out)
{
	struct walk w = { 0 };
	struct pdf_doc *a = NULL;
	struct pdf_obj *ra, *rb, *rootb;
	uint64_t end;
	int32_t npages = 0;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!si->has_byte_range || si->byte_range[2] > b->len ||
	    si->byte_range[3] > b->len - si->byte_range[2])
		return 0;
	end = si->byte_range[2] + si->byte_range[3];
	if (!ends_revision(b->buf, end))
		return 0;
	rc = pdf_doc_open_exact(b->buf, (size_t)end, &a);
	if (rc == ESD_ENOMEM)
		return rc;
	if (rc != 0 || a->repaired) {
		rc = 0;
		goto out;
	}
	out->complete = 1;
	out->sig_found = signed_copy(a, b, si, &out->sig);
	if (out->sig_found < 0) {
		rc = ESD_ENOMEM;
		out->sig_found = 0;
		goto out;
	}
	if (out->sig_found) {
		uint64_t cs = 0, ce = 0;

		out->gap_is_contents =
			contents_span(a, si->obj_num, &cs, &ce) &&
			cs == si->byte_range[1] && ce == si->byte_range[2] &&
			b->buf[cs] == '<' && b->buf[ce - 1] == '>';
	}
	/* white space after the last revision (a transfer that added an
	 * end of line) is no update */
	{
		uint64_t i = end;

		while (i < b->len && pdf_is_ws(b->buf[i]))
			i++;
		if (i == b->len)
			goto out;
	}
	tail_check(b, end, out);

	w.a = a;
	w.b = b;
	w.budget = REV_WALK_BUDGET;
	w.role = calloc(b->nx, 1);
	w.kind = calloc(b->nx, 1);
	w.page = malloc(b->nx * sizeof(*w.page));
	rc = ESD_ENOMEM;
	if (b->nx == 0 || w.role == NULL || w.kind == NULL || w.page == NULL)
		goto out;
	for (uint32_t i = 0; i < b->nx; i++)
		w.page[i] = -1;
	rb = pdf_dict_get(b->trailer, "Root");
	ra = pdf_dict_get(a->trailer, "Root");
	rootb = resolve(b, rb);
	rc = 0;
	if (rb == NULL || rb->t != PDF_REF || rootb == NULL ||
	    rootb->t != PDF_DICT) {
		out->changes |= PDF_CHANGE_OTHER;
		note_other(out, 0, -1);
		goto out;
	}
	mark_pages(&w, pdf_dict_get(rootb, "Pages"), 0, &npages);
	/* the catalog: compared with the signed revision's, whatever its
	 * number */
	{
		struct pdf_obj *roota = resolve(a, ra);

		if (!obj_eq(roota, rootb, 0)) {
			unsigned c = roota == NULL || roota->t != PDF_DICT ?
				     PDF_CHANGE_OTHER :
				     keys_diff(&w, roota, rootb, catalog_key);

			out->changes |= c;
			if (c & PDF_CHANGE_OTHER)
				note_other(out, rb->u.r.num, -1);
		}
		w.role[rb->u.r.num] = R_OTHER;
		children(&w, rb->u.r.num, rootb, R_OTHER, -1, 1);
	}
	while (w.nst > 0 && w.err == 0 && w.budget > 0) {
		struct item it = w.st[--w.nst];
		struct pdf_obj *o;

		if (it.role < w.role[it.num])
			continue; /* superseded by a stricter path */
		o = get(b, it.num);
		if (o != NULL)
			children(&w, it.num, o, it.role,
				 (w.kind[it.num] & K_PAGE) ? w.page[it.num]
							   : it.page, 0);
	}
	if (w.err != 0) {
		rc = w.err;
		goto out;
	}
	if (w.budget == 0) {
		/* too large to compare: not proven unchanged */
		out->changes |= PDF_CHANGE_OTHER;
		note_other(out, 0, -1);
	}
	for (uint32_t n = 1; n < b->nx; n++) {
		struct pdf_obj *oa, *ob;
		unsigned c;

		if (w.role[n] == R_NONE || n == rb->u.r.num)
			continue;
		/* the same bytes in both: equal without parsing (a spooled
		 * document's pages are not read back in) */
		if (n < a->nx && a->x[n].kind == XE_OFFSET &&
		    b->x[n].kind == XE_OFFSET && a->x[n].off == b->x[n].off &&
		    a->x[n].gen == b->x[n].gen)
			continue;
		ob = get(b, n);
		oa = get(a, n);
		if (obj_eq(oa, ob, 0) &&
		    (oa != NULL || (n < a->nx && a->x[n].kind == b->x[n].kind &&
				    a->x[n].off == b->x[n].off)))
			continue;
		c = classify(&w, n, oa, ob);
		out->changes |= c;
		if (c & PDF_CHANGE_OTHER)
			note_other(out, n, w.page[n]);
	}
out:
	free(w.st);
	free(w.page);
	free(w.kind);
	free(w.role);
	pdf_doc_free(a);
	return rc;
}

const char *pdf_change_name(unsigned bit)
{
	switch (bit) {
	case PDF_CHANGE_LTV: return "validation_data";
	case PDF_CHANGE_SIGNATURE: return "signatures";
	case PDF_CHANGE_FORM: return "form_filling";
	case PDF_CHANGE_ANNOT: return "annotations";
	case PDF_CHANGE_OTHER: return "other";
	case PDF_CHANGE_NEW_FIELD: return "new_fields";
	default: return "unknown";
	}
}
