/*
 * Finding a text in the pages, for signatures placed at an anchor (the
 * BSrE API's tag_koordinat): a small content-stream interpreter that
 * follows the graphics and text matrices (ISO 32000-1 §8.4.4, §9.4.2) and
 * decodes each shown string through its font's /ToUnicode map (§9.10.3),
 * or byte by byte as Latin-1 for a simple font without one. It draws
 * nothing and reads only what positions need: q Q cm, BT Tf Td TD Tm T*
 * TL Tc Tw Tz, Tj TJ ' ", inline images (skipped) and Do of form XObjects
 * (nested up to FORM_DEPTH).
 *
 * Glyph advances use the font's /Widths (simple fonts) or /W and /DW
 * (composite fonts); a font without widths advances half an em. Matching
 * ignores white space on both sides, since PDF producers rarely show it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pdf/pdf_int.h"
#include "pdf/text_int.h"
#include "common/err.h"
#include "common/util.h"

#define FORM_DEPTH 4
#define GS_DEPTH 32
#define NOPS 16                    /* operands kept for one operator */
#define OP_BUDGET 20000000u        /* operators interpreted per search */
#define GLYPH_CAP (4u << 20)       /* glyphs remembered per page */

struct mtx {
	double a, b, c, d, e, f;
};

static const struct mtx ident = { 1, 0, 0, 1, 0, 0 };

/* m × n (row vectors, as in §8.3.4). */
static struct mtx mul(struct mtx m, struct mtx n)
{
	return (struct mtx){ m.a * n.a + m.b * n.c, m.a * n.b + m.b * n.d,
			     m.c * n.a + m.d * n.c, m.c * n.b + m.d * n.d,
			     m.e * n.a + m.f * n.c + n.e,
			     m.e * n.b + m.f * n.d + n.f };
}

static struct mtx shift(double tx, double ty)
{
	return (struct mtx){ 1, 0, 0, 1, tx, ty };
}

struct glyph {
	uint32_t cp;
	double x, y;
};

struct gstate {
	struct mtx ctm;
	struct font *font;
	double fs, tc, tw, th, tl;
};

struct finder {
	struct pdf_doc *d;
	struct font *fonts;
	struct glyph *g;
	size_t ng, capg;
	unsigned ops;
	struct gstate gs[GS_DEPTH];
	int top, lost;                 /* lost: q beyond GS_DEPTH */
	struct mtx tm, tlm;
};

/* ---- showing text ---- */

static int glyph_push(struct finder *fd, uint32_t cp, double x, double y)
{
	if (fd->ng == fd->capg) {
		size_t cap = fd->capg ? fd->capg * 2 : 256;
		struct glyph *g;

		if (cap > GLYPH_CAP)
			return 0;           /* a page with more text: the rest is not searched */
		g = realloc(fd->g, cap * sizeof(*g));
		if (g == NULL)
			return ESD_ENOMEM;
		fd->g = g;
		fd->capg = cap;
	}
	fd->g[fd->ng++] = (struct glyph){ cp, x, y };
	return 0;
}

static int show(struct finder *fd, const struct pdf_obj *s)
{
	struct gstate *gs = &fd->gs[fd->top];
	struct font *f = gs->font;
	int nb = f != NULL ? f->nbytes : 1;
	int rc = 0;

	for (size_t i = 0; i + (size_t)nb <= s->u.s.len && rc == 0; i += (size_t)nb) {
		uint32_t code = pdf_text_be(s->u.s.p + i, (size_t)nb);
		struct mtx trm = mul(fd->tm, gs->ctm);
		const struct rng *r = f != NULL ?
			pdf_rng_find(f->map, f->nmap, code) : NULL;

		if (r != NULL) {
			for (int k = 0; k < r->ncp && rc == 0; k++)
				rc = glyph_push(fd, r->cp[k] + (k == r->ncp - 1 ?
						code - r->lo : 0), trm.e, trm.f);
		} else {
			/* No map: a simple font's byte as Latin-1; a
			 * composite font's CID is no character. */
			rc = glyph_push(fd, nb == 1 ? code : 0xfffd, trm.e,
					trm.f);
		}
		double w = f != NULL ? pdf_font_width(fd->d, f, code) * f->wscale : 0.5;
		double tx = (w * gs->fs + gs->tc +
			     (nb == 1 && code == 32 ? gs->tw : 0)) * gs->th;

		fd->tm = mul(shift(tx, 0), fd->tm);
	}
	return rc;
}

static void next_line(struct finder *fd, double tx, double ty)
{
	fd->tlm = mul(shift(tx, ty), fd->tlm);
	fd->tm = fd->tlm;
}

/* ---- the interpreter ---- */

static int run(struct finder *fd, const uint8_t *data, size_t len,
	       const struct pdf_obj *res, int depth);

static int do_form(struct finder *fd, const struct pdf_obj *res,
		   const struct pdf_obj *name, int depth)
{
	struct pdf_obj *xo, *m, *fres;
	uint8_t *data = NULL;
	size_t len = 0, n;
	char key[128];
	int rc;

	if (name == NULL || name->t != PDF_NAME || depth >= FORM_DEPTH ||
	    fd->top + 1 >= GS_DEPTH)
		return 0;
	n = name->u.s.len < sizeof(key) - 1 ? name->u.s.len : sizeof(key) - 1;
	memcpy(key, name->u.s.p, n);
	key[n] = '\0';
	xo = pdf_text_get(fd->d, pdf_text_get(fd->d, res, "XObject"), key);
	if (xo == NULL || xo->t != PDF_STREAM ||
	    !pdf_name_is(pdf_text_get(fd->d, xo, "Subtype"), "Form") ||
	    pdf_stream_decode(fd->d, xo, &data, &len) != 0)
		return 0;
	fd->gs[fd->top + 1] = fd->gs[fd->top];
	fd->top++;
	m = pdf_text_get(fd->d, xo, "Matrix");
	if (m != NULL && m->t == PDF_ARRAY && m->u.a.n == 6)
		fd->gs[fd->top].ctm = mul((struct mtx){ pdf_num_value(m->u.a.v[0]),
			pdf_num_value(m->u.a.v[1]), pdf_num_value(m->u.a.v[2]), pdf_num_value(m->u.a.v[3]),
			pdf_num_value(m->u.a.v[4]), pdf_num_value(m->u.a.v[5]) }, fd->gs[fd->top].ctm);
	fres = pdf_text_get(fd->d, xo, "Resources");
	rc = run(fd, data, len, fres != NULL ? fres : res, depth + 1);
	fd->top--;
	free(data);
	return rc;
}

/* ---- operators ---- */

/*
 * Each handler gets exactly its operator's operands, a[0..nargs-1], the
 * last nargs on the stack (§7.8.2: operands precede their operator).
 * Extra operands before them are a producer's error and ignored; with
 * fewer, the operator is skipped. No handler sees the stack's count, so
 * none can index past what it was given.
 */
struct text_op {
	const char *name;
	int nargs;
	int (*fn)(struct finder *fd, struct pdf_obj *const *a,
		  const struct pdf_obj *res, int depth);
};

static struct mtx mtx_of(struct pdf_obj *const *a)
{
	return (struct mtx){ pdf_num_value(a[0]), pdf_num_value(a[1]), pdf_num_value(a[2]), pdf_num_value(a[3]),
			     pdf_num_value(a[4]), pdf_num_value(a[5]) };
}

static int op_q(struct finder *fd, struct pdf_obj *const *a,
		const struct pdf_obj *res, int depth)
{
	(void)a, (void)res, (void)depth;
	if (fd->top + 1 < GS_DEPTH) {
		fd->gs[fd->top + 1] = fd->gs[fd->top];
		fd->top++;
	} else {
		fd->lost++;
	}
	return 0;
}

static int op_Q(struct finder *fd, struct pdf_obj *const *a,
		const struct pdf_obj *res, int depth)
{
	(void)a, (void)res, (void)depth;
	if (fd->lost > 0)
		fd->lost--;
	else if (fd->top > 0)
		fd->top--;
	return 0;
}

static int op_cm(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	struct gstate *gs = &fd->gs[fd->top];

	(void)res, (void)depth;
	gs->ctm = mul(mtx_of(a), gs->ctm);
	return 0;
}

static int op_BT(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	(void)a, (void)res, (void)depth;
	fd->tm = fd->tlm = ident;
	return 0;
}

static int op_Tf(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	struct gstate *gs = &fd->gs[fd->top];
	struct pdf_obj *fo;
	char key[128];
	size_t len;

	(void)depth;
	if (a[0]->t != PDF_NAME)
		return 0;
	gs->fs = pdf_num_value(a[1]);
	len = a[0]->u.s.len < sizeof(key) - 1 ? a[0]->u.s.len : sizeof(key) - 1;
	memcpy(key, a[0]->u.s.p, len);
	key[len] = '\0';
	gs->font = NULL;
	fo = pdf_text_get(fd->d, pdf_text_get(fd->d, res, "Font"), key);
	if (fo == NULL || fo->t != PDF_DICT)
		return 0;
	return pdf_font_get(fd->d, &fd->fonts, fo, &gs->font);
}

static int op_Td(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	(void)res, (void)depth;
	next_line(fd, pdf_num_value(a[0]), pdf_num_value(a[1]));
	return 0;
}

static int op_TD(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	fd->gs[fd->top].tl = -pdf_num_value(a[1]);
	return op_Td(fd, a, res, depth);
}

static int op_Tm(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	(void)res, (void)depth;
	fd->tm = fd->tlm = mtx_of(a);
	return 0;
}

static int op_Tstar(struct finder *fd, struct pdf_obj *const *a,
		    const struct pdf_obj *res, int depth)
{
	(void)a, (void)res, (void)depth;
	next_line(fd, 0, -fd->gs[fd->top].tl);
	return 0;
}

static int op_TL(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	(void)res, (void)depth;
	fd->gs[fd->top].tl = pdf_num_value(a[0]);
	return 0;
}

static int op_Tc(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	(void)res, (void)depth;
	fd->gs[fd->top].tc = pdf_num_value(a[0]);
	return 0;
}

static int op_Tw(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	(void)res, (void)depth;
	fd->gs[fd->top].tw = pdf_num_value(a[0]);
	return 0;
}

static int op_Tz(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	(void)res, (void)depth;
	fd->gs[fd->top].th = pdf_num_value(a[0]) / 100;
	return 0;
}

static int op_Tj(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	(void)res, (void)depth;
	return a[0]->t == PDF_STR ? show(fd, a[0]) : 0;
}

/* ' : T* then Tj */
static int op_quote(struct finder *fd, struct pdf_obj *const *a,
		    const struct pdf_obj *res, int depth)
{
	if (a[0]->t != PDF_STR)
		return 0;
	op_Tstar(fd, a, res, depth);
	return show(fd, a[0]);
}

/* aw ac string " : Tw, Tc, then ' */
static int op_dquote(struct finder *fd, struct pdf_obj *const *a,
		     const struct pdf_obj *res, int depth)
{
	if (a[2]->t != PDF_STR)
		return 0;
	fd->gs[fd->top].tw = pdf_num_value(a[0]);
	fd->gs[fd->top].tc = pdf_num_value(a[1]);
	return op_quote(fd, a + 2, res, depth);
}

static int op_TJ(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	const struct pdf_obj *arr = a[0];
	struct gstate *gs = &fd->gs[fd->top];
	int rc = 0;

	(void)res, (void)depth;
	if (arr->t != PDF_ARRAY)
		return 0;
	for (size_t i = 0; i < arr->u.a.n && rc == 0; i++) {
		if (arr->u.a.v[i]->t == PDF_STR)
			rc = show(fd, arr->u.a.v[i]);
		else
			fd->tm = mul(shift(-pdf_num_value(arr->u.a.v[i]) / 1000 *
					   gs->fs * gs->th, 0), fd->tm);
	}
	return rc;
}

static int op_Do(struct finder *fd, struct pdf_obj *const *a,
		 const struct pdf_obj *res, int depth)
{
	return do_form(fd, res, a[0], depth);
}

static const struct text_op text_ops[] = {
	{ "q", 0, op_q },	{ "Q", 0, op_Q },	{ "cm", 6, op_cm },
	{ "BT", 0, op_BT },	{ "Tf", 2, op_Tf },	{ "Td", 2, op_Td },
	{ "TD", 2, op_TD },	{ "Tm", 6, op_Tm },	{ "T*", 0, op_Tstar },
	{ "TL", 1, op_TL },	{ "Tc", 1, op_Tc },	{ "Tw", 1, op_Tw },
	{ "Tz", 1, op_Tz },	{ "Tj", 1, op_Tj },	{ "'", 1, op_quote },
	{ "\"", 3, op_dquote }, { "TJ", 1, op_TJ },	{ "Do", 1, op_Do },
};

/* One operator with the n operands before it, a[0..n-1]. */
static int op_apply(struct finder *fd, const char *op, struct pdf_obj **a,
		    int n, const struct pdf_obj *res, int depth)
{
	for (size_t i = 0; i < ESD_ARRAY_LEN(text_ops); i++) {
		const struct text_op *t = &text_ops[i];

		if (strcmp(op, t->name) != 0)
			continue;
		if (n < t->nargs)
			return 0;
		return t->fn(fd, a + (n - t->nargs), res, depth);
	}
	return 0;          /* an operator positions do not depend on */
}

static int run(struct finder *fd, const uint8_t *data, size_t len,
	       const struct pdf_obj *res, int depth)
{
	struct pdf_arena ar = { NULL };
	struct pdf_lex l = { data, data, data, &ar, 0 };
	struct pdf_obj *a[NOPS], *o;
	char op[24];
	int n = 0, rc = 0, base = fd->top;

	if (data == NULL)
		return 0;
	l.end = data + len;
	while (rc == 0 && pdf_text_tok(&l, &o, op) == 1) {
		if (o != NULL) {
			if (n == NOPS) {
				memmove(a, a + 1, (NOPS - 1) * sizeof(*a));
				n--;
			}
			a[n++] = o;
			continue;
		}
		if (++fd->ops > OP_BUDGET)
			break;
		if (strcmp(op, "ID") == 0)
			pdf_text_skip_inline_image(&l);
		else
			rc = op_apply(fd, op, a, n, res, depth);
		n = 0;
	}
	fd->top = base;            /* unbalanced q inside a stream */
	pdf_arena_free(&ar);
	return rc;
}

/* ---- pages ---- */

/* The page's /Resources, inherited from its ancestors (§7.7.3.4). */
static const struct pdf_obj *page_resources(struct pdf_doc *d,
					    const struct pdf_obj *page)
{
	for (int i = 0; i < PDF_MAX_DEPTH && page != NULL; i++) {
		struct pdf_obj *r = pdf_text_get(d, page, "Resources");

		if (r != NULL)
			return r;
		page = pdf_text_get(d, page, "Parent");
	}
	return NULL;
}

/* The page's content streams, decoded and joined by newlines. */
static int page_contents(struct pdf_doc *d, const struct pdf_obj *page,
			 struct pdf_buf *b)
{
	struct pdf_obj *c = pdf_text_get(d, page, "Contents"), *one;
	size_t n = c == NULL ? 0 : c->t == PDF_ARRAY ? c->u.a.n : 1;

	for (size_t i = 0; i < n; i++) {
		uint8_t *data = NULL;
		size_t len = 0;

		one = c;
		if (c->t == PDF_ARRAY &&
		    pdf_resolve(d, c->u.a.v[i], &one) != 0)
			continue;
		if (pdf_stream_decode(d, one, &data, &len) != 0)
			continue;   /* a filter we do not read: no text from it */
		if (b->len + len > PDF_MAX_STREAM) {
			free(data);
			break;
		}
		pdf_buf_put(b, data, len);
		pdf_buf_put(b, "\n", 1);
		free(data);
	}
	return b->err;
}

/* UTF-8 into code points without white space; n the count, -1 if bad. */
static long needle_cps(const char *s, uint32_t *out, size_t cap)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t n = 0;

	while (*p != '\0') {
		uint32_t cp;
		int k;

		if (*p < 0x80) {
			cp = *p;
			k = 0;
		} else if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			k = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			k = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			k = 3;
		} else {
			return -1;
		}
		p++;
		for (int i = 0; i < k; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (*p & 0x3f);
		}
		if (cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n')
			continue;
		if (n == cap)
			return -1;
		out[n++] = cp;
	}
	return (long)n;
}

static int is_space(uint32_t cp)
{
	return cp == ' ' || cp == '\t' || cp == '\r' || cp == '\n' || cp == 0xa0;
}

/* Index of the first glyph where the needle starts, or -1. */
static long match(const struct glyph *g, size_t ng, const uint32_t *nd,
		  size_t nn)
{
	for (size_t i = 0; i < ng; i++) {
		size_t k = 0, j = i;

		if (is_space(g[i].cp))
			continue;
		while (j < ng && k < nn) {
			if (is_space(g[j].cp)) {
				j++;
				continue;
			}
			if (g[j].cp != nd[k])
				break;
			j++;
			k++;
		}
		if (k == nn)
			return (long)i;
	}
	return -1;
}

int pdf_find_text(struct pdf_doc *d, const char *text,
		  struct pdf_text_pos *pos, int *reason)
{
	struct finder fd = { .d = d };
	uint32_t nd[256];
	unsigned pages = 0;
	long nn = needle_cps(text != NULL ? text : "", nd, ESD_ARRAY_LEN(nd));
	int rc;

	if (reason != NULL)
		*reason = PDF_R_NONE;
	if (nn <= 0) {
		if (reason != NULL)
			*reason = PDF_R_BAD_OPTION;
		return ESD_EINVAL;
	}
	rc = pdf_doc_page_count(d, &pages);
	for (unsigned p = 0; rc == 0 && p < pages; p++) {
		struct pdf_obj *page = NULL;
		struct pdf_buf b = { NULL, 0, 0, 0 };
		long at;

		if ((rc = pdf_find_page(d, p, &page)) != 0 ||
		    (rc = pdf_resolve(d, page, &page)) != 0)
			break;
		fd.ng = 0;
		fd.top = fd.lost = 0;
		fd.gs[0] = (struct gstate){ ident, NULL, 0, 0, 0, 1, 0 };
		rc = page_contents(d, page, &b);
		if (rc == 0)
			rc = run(&fd, b.p, b.len, page_resources(d, page), 0);
		free(b.p);
		if (rc != 0)
			break;
		at = match(fd.g, fd.ng, nd, (size_t)nn);
		if (at >= 0) {
			pos->page = p;
			pos->x = fd.g[at].x;
			pos->y = fd.g[at].y;
			goto out;
		}
	}
	if (rc == 0) {
		rc = ESD_ENOTFOUND;
		if (reason != NULL)
			*reason = PDF_R_TEXT_NOT_FOUND;
	}
out:
	pdf_fonts_free(fd.fonts);
	free(fd.g);
	return rc;
}
