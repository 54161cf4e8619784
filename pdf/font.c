/*
 * The fonts of the text finder (pdf/text.c): a font's code length, its
 * /ToUnicode CMap (ISO 32000-1 §9.10.3) as sorted code ranges, and glyph
 * widths from /Widths (simple fonts), /W and /DW (composite fonts), a
 * Type 3 /FontMatrix or the standard 14 fonts' metrics. Also the
 * tokenizer that content streams and CMaps share.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "pdf/text_int.h"

#define CMAP_CAP 65536u            /* ranges in one /ToUnicode map */

struct pdf_obj *pdf_text_get(struct pdf_doc *d, const struct pdf_obj *dict,
			     const char *key)
{
	struct pdf_obj *o = NULL;

	if (dict == NULL || (dict->t != PDF_DICT && dict->t != PDF_STREAM) ||
	    pdf_resolve(d, pdf_dict_get(dict, key), &o) != 0)
		return NULL;
	return o;
}

uint32_t pdf_text_be(const uint8_t *p, size_t n)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* ---- tokens of content streams and CMaps ---- */

/* 1 and an operand in *obj or an operator in op (NUL-terminated, at most
 * 23 bytes) for each token; 0 at the end. */
int pdf_text_tok(struct pdf_lex *l, struct pdf_obj **obj, char op[24])
{
	for (;;) {
		pdf_lex_skip_ws(l);
		if (l->p >= l->end)
			return 0;
		uint8_t c = *l->p;

		*obj = NULL;
		op[0] = '\0';
		if (c == '/' || c == '(' || c == '<' || c == '[' ||
		    (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.') {
			const uint8_t *at = l->p;

			l->depth = 0;
			if (pdf_parse_obj(l, obj) == 0)
				return 1;
			l->p = at + 1;          /* not an object: skip a byte */
			continue;
		}
		if (pdf_is_delim(c)) {          /* stray ) ] > { } */
			l->p++;
			continue;
		}
		size_t n = 0;

		while (l->p < l->end && !pdf_is_ws(*l->p) && !pdf_is_delim(*l->p)) {
			if (n < 23)
				op[n++] = (char)*l->p;
			l->p++;
		}
		op[n] = '\0';
		return 1;
	}
}

/* After "ID": the image data up to white space, "EI", white space. */
void pdf_text_skip_inline_image(struct pdf_lex *l)
{
	const uint8_t *p = l->p + 1;

	for (; p + 2 <= l->end; p++)
		if (p[0] == 'E' && p[1] == 'I' && pdf_is_ws(p[-1]) &&
		    (p + 2 == l->end || pdf_is_ws(p[2]) || pdf_is_delim(p[2]))) {
			l->p = p + 2;
			return;
		}
	l->p = l->end;
}

/* ---- fonts ---- */

static int rng_cmp(const void *a, const void *b)
{
	const struct rng *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

const struct rng *pdf_rng_find(const struct rng *r, size_t n, uint32_t code)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r[mid].lo > code)
			hi = mid;
		else if (r[mid].hi < code)
			lo = mid + 1;
		else
			return &r[mid];
	}
	return NULL;
}

static int rng_push(struct rng **r, size_t *n, struct rng v)
{
	struct rng *nr;

	if (*n >= CMAP_CAP)
		return 0;          /* the rest of a huge map is ignored */
	if ((*n & (*n - 1)) == 0 || *n == 0) {
		nr = realloc(*r, (*n ? *n * 2 : 16) * sizeof(**r));
		if (nr == NULL)
			return ESD_ENOMEM;
		*r = nr;
	}
	(*r)[(*n)++] = v;
	return 0;
}

/* A UTF-16BE destination string into code points. */
static void utf16_cps(const struct pdf_obj *s, struct rng *v)
{
	v->ncp = 0;
	for (size_t i = 0; i + 1 < s->u.s.len && v->ncp < 4; i += 2) {
		uint32_t u = pdf_text_be(s->u.s.p + i, 2);

		if (u >= 0xd800 && u < 0xdc00 && i + 3 < s->u.s.len) {
			uint32_t lo = pdf_text_be(s->u.s.p + i + 2, 2);

			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		}
		v->cp[v->ncp++] = u;
	}
}

/* The entries collected before "endbfchar" or "endbfrange". */
static int cmap_entries(struct font *f, struct pdf_obj **a, size_t n,
			int range)
{
	size_t step = range ? 3 : 2;

	for (size_t i = 0; i + step <= n; i += step) {
		struct pdf_obj *lo = a[i], *hi = a[i + 1], *dst = a[i + step - 1];
		struct rng v = { 0 };
		int rc = 0;

		if (lo->t != PDF_STR || hi->t != PDF_STR || lo->u.s.len > 4 ||
		    hi->u.s.len > 4)
			continue;
		v.lo = pdf_text_be(lo->u.s.p, lo->u.s.len);
		v.hi = range ? pdf_text_be(hi->u.s.p, hi->u.s.len) : v.lo;
		if (v.hi < v.lo || v.hi - v.lo > 0xffff)
			continue;
		if (dst->t == PDF_STR) {
			utf16_cps(dst, &v);
			rc = rng_push(&f->map, &f->nmap, v);
		} else if (dst->t == PDF_ARRAY && range) {
			for (size_t k = 0; k < dst->u.a.n && rc == 0 &&
			     v.lo + k <= v.hi; k++) {
				struct rng one = { v.lo + (uint32_t)k,
						   v.lo + (uint32_t)k, { 0 }, 0, 0 };

				if (dst->u.a.v[k]->t == PDF_STR) {
					utf16_cps(dst->u.a.v[k], &one);
					rc = rng_push(&f->map, &f->nmap, one);
				}
			}
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int cmap_parse(struct pdf_doc *d, struct font *f,
		      const struct pdf_obj *st)
{
	struct pdf_arena ar = { NULL };
	struct pdf_obj *a[3 * 100 + 3], *o;
	uint8_t *data = NULL;
	size_t len = 0, n = 0;
	char op[24];
	int rc;

	if (pdf_stream_decode(d, st, &data, &len) != 0)
		return 0;          /* an unreadable map: codes stay unknown */
	struct pdf_lex l = { data, data + len, data, &ar, 0 };

	rc = 0;
	while (rc == 0 && pdf_text_tok(&l, &o, op) == 1) {
		if (o != NULL) {
			if (n < ESD_ARRAY_LEN(a))
				a[n++] = o;
			continue;
		}
		if (strcmp(op, "endcodespacerange") == 0 && n >= 1 &&
		    a[0]->t == PDF_STR && a[0]->u.s.len >= 1 &&
		    a[0]->u.s.len <= 2)
			f->nbytes = (int)a[0]->u.s.len;
		else if (strcmp(op, "endbfchar") == 0)
			rc = cmap_entries(f, a, n, 0);
		else if (strcmp(op, "endbfrange") == 0)
			rc = cmap_entries(f, a, n, 1);
		n = 0;
	}
	pdf_arena_free(&ar);
	free(data);
	if (rc == 0 && f->nmap > 1)
		qsort(f->map, f->nmap, sizeof(*f->map), rng_cmp);
	return rc;
}

/* Composite widths (§9.7.4.3): [c [w1 w2 …] c1 c2 w …]. */
static int cid_widths(struct pdf_doc *d, struct font *f,
		      const struct pdf_obj *w)
{
	int rc = 0;

	for (size_t i = 0; w != NULL && w->t == PDF_ARRAY && i + 1 < w->u.a.n &&
	     rc == 0;) {
		struct pdf_obj *c = w->u.a.v[i], *x = NULL;

		if (pdf_resolve(d, w->u.a.v[i + 1], &x) != 0 || x == NULL)
			return 0;
		if (x->t == PDF_ARRAY) {
			for (size_t k = 0; k < x->u.a.n && rc == 0; k++) {
				uint32_t code = (uint32_t)pdf_num_value(c) + (uint32_t)k;

				rc = rng_push(&f->wid, &f->nwid, (struct rng){
					code, code, { 0 }, 0, pdf_num_value(x->u.a.v[k]) });
			}
			i += 2;
		} else if (i + 2 < w->u.a.n) {
			double lo = pdf_num_value(c), hi = pdf_num_value(x);

			if (lo >= 0 && hi >= lo && hi <= 0xffff)
				rc = rng_push(&f->wid, &f->nwid, (struct rng){
					(uint32_t)lo, (uint32_t)hi, { 0 }, 0,
					pdf_num_value(w->u.a.v[i + 2]) });
			i += 3;
		} else {
			break;
		}
	}
	if (rc == 0 && f->nwid > 1)
		qsort(f->wid, f->nwid, sizeof(*f->wid), rng_cmp);
	return rc;
}

int pdf_font_get(struct pdf_doc *d, struct font **fonts,
		 const struct pdf_obj *dict, struct font **out)
{
	struct font *f;
	struct pdf_obj *x;
	int rc = 0;

	for (f = *fonts; f != NULL; f = f->next)
		if (f->dict == dict) {
			*out = f;
			return 0;
		}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return ESD_ENOMEM;
	f->dict = dict;
	f->nbytes = 1;
	f->dw = 500;
	f->wscale = 0.001;
	x = pdf_text_get(d, dict, "BaseFont");
	if (x != NULL && x->t == PDF_NAME)
		snprintf(f->base, sizeof(f->base), "%.*s",
			 (int)(x->u.s.len < 39 ? x->u.s.len : 39), x->u.s.p);
	x = pdf_text_get(d, dict, "FontMatrix");
	if (x != NULL && x->t == PDF_ARRAY && x->u.a.n == 6 &&
	    pdf_num_value(x->u.a.v[0]) > 0) {
		f->wscale = pdf_num_value(x->u.a.v[0]);
		f->dw = 0.5 / f->wscale;
	}
	f->next = *fonts;
	*fonts = f;
	if (pdf_name_is(pdf_text_get(d, dict, "Subtype"), "Type0")) {
		struct pdf_obj *desc = pdf_text_get(d, dict, "DescendantFonts");

		f->nbytes = 2;
		if (desc != NULL && desc->t == PDF_ARRAY && desc->u.a.n > 0 &&
		    pdf_resolve(d, desc->u.a.v[0], &desc) == 0) {
			x = pdf_text_get(d, desc, "DW");
			f->dw = x != NULL ? pdf_num_value(x) : 1000;
			rc = cid_widths(d, f, pdf_text_get(d, desc, "W"));
		}
	} else {
		f->widths = pdf_text_get(d, dict, "Widths");
		f->first = (int64_t)pdf_num_value(pdf_text_get(d, dict, "FirstChar"));
	}
	x = pdf_text_get(d, dict, "ToUnicode");
	if (rc == 0 && x != NULL && x->t == PDF_STREAM)
		rc = cmap_parse(d, f, x);
	*out = f;
	return rc;
}

double pdf_font_width(struct pdf_doc *d, const struct font *f, uint32_t code)
{
	struct pdf_obj *w = NULL;

	if (f->nbytes == 2) {
		const struct rng *r = pdf_rng_find(f->wid, f->nwid, code);

		return r != NULL ? r->w : f->dw;
	}
	if (f->widths != NULL && f->widths->t == PDF_ARRAY &&
	    (int64_t)code >= f->first &&
	    (int64_t)code - f->first < (int64_t)f->widths->u.a.n &&
	    pdf_resolve(d, f->widths->u.a.v[code - f->first], &w) == 0)
		return pdf_num_value(w);
	double std = pdf_std_width(f->base, code);

	return std >= 0 ? std : f->dw;
}

void pdf_fonts_free(struct font *f)
{
	while (f != NULL) {
		struct font *next = f->next;

		free(f->map);
		free(f->wid);
		free(f);
		f = next;
	}
}
