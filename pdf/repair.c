/*
 * Xref repair: when the xref chain is broken or lies (offsets that do not
 * point at "N G obj"), rebuild the table by scanning the file for object
 * headers, like qpdf's reconstruction. The trailer is the last "trailer"
 * dictionary or xref-stream dictionary that names a /Root. A repaired
 * document is written with a complete xref section and no /Prev, so no
 * reader ever needs the broken one.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "pdf/pdf_int.h"

static int is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static int is_regular(uint8_t c)
{
	return !pdf_is_ws(c) && !pdf_is_delim(c);
}

static void reset(struct pdf_doc *d)
{
	if (d->stm != NULL) {
		for (uint32_t i = 0; i < d->nx; i++) {
			if (d->stm[i] != NULL) {
				free(d->stm[i]->data);
				free(d->stm[i]->offs);
				free(d->stm[i]);
			}
		}
	}
	free(d->stm);
	free(d->cache);
	free(d->x);
	d->stm = NULL;
	d->cache = NULL;
	d->x = NULL;
	d->nx = 0;
	d->trailer = NULL;
	d->size = 0;
	d->sections = NULL;
	d->nsections = 0;
}

/* Offset of the "N G" that precedes the "obj" at q, or -1. */
static long long header_start(const uint8_t *buf, const uint8_t *q)
{
	const uint8_t *p = q, *e;

	if (p == buf || !pdf_is_ws(p[-1]))
		return -1;
	while (p > buf && pdf_is_ws(p[-1]))
		p--;
	e = p;
	while (p > buf && is_digit(p[-1]))
		p--;
	if (p == e || p == buf || !pdf_is_ws(p[-1]))
		return -1;
	while (p > buf && pdf_is_ws(p[-1]))
		p--;
	e = p;
	while (p > buf && is_digit(p[-1]))
		p--;
	if (p == e || (p > buf && is_regular(p[-1])))
		return -1;
	return (long long)(p - buf);
}

struct scan {
	uint32_t *stms;
	size_t nstms, capstms;
	struct pdf_obj *tr;
	size_t tr_off;
	int tr_is_stream;
};

static int push_stm(struct scan *s, uint32_t num)
{
	if (s->nstms == s->capstms) {
		size_t cap = s->capstms ? s->capstms * 2 : 16;
		uint32_t *n = realloc(s->stms, cap * sizeof(*n));

		if (n == NULL)
			return ESD_ENOMEM;
		s->stms = n;
		s->capstms = cap;
	}
	s->stms[s->nstms++] = num;
	return 0;
}

static int scan_objects(struct pdf_doc *d, struct scan *s)
{
	const uint8_t *buf = d->buf, *end = d->buf + d->len, *q, *oe;
	size_t pos = 0;
	int rc;

	while (pos < d->len &&
	       (q = memmem(buf + pos, d->len - pos, "obj", 3)) != NULL) {
		long long off;
		struct pdf_obj *o;
		uint32_t num;

		pos = (size_t)(q - buf) + 3;
		if (q + 3 < end && is_regular(q[3]))
			continue;
		off = header_start(buf, q);
		if (off < 0 ||
		    pdf_read_indirect(d, (uint64_t)off, &num, &o, &oe) != 0)
			continue;
		/* The table gets an entry for every number up to the largest
		 * (and a repaired file's update writes them all, 20 bytes
		 * each): more object numbers than the file has bytes is no
		 * damage a writer made, and a 1 KB file must not cost 300 MB. */
		if (num >= d->len)
			continue;
		rc = pdf_xref_grow(d, (uint64_t)num + 1);
		if (rc != 0)
			return rc;
		/* later in the file means newer: overwrite */
		d->x[num].kind = XE_OFFSET;
		d->x[num].off = (uint64_t)off;
		d->x[num].gen = 0;
		{
			struct pdf_lex l = { buf + off, end, buf, &d->arena, 0 };
			uint32_t n2, g2;

			if (pdf_parse_obj_header(&l, &n2, &g2) == 0)
				d->x[num].gen = g2;
		}
		if (o->t == PDF_STREAM) {
			struct pdf_obj *type = pdf_dict_get(o, "Type");

			if (pdf_name_is(type, "ObjStm") &&
			    (rc = push_stm(s, num)) != 0)
				return rc;
			if (pdf_name_is(type, "XRef") &&
			    pdf_dict_get(o, "Root") != NULL &&
			    (size_t)off >= s->tr_off) {
				s->tr = o->u.st.dict;
				s->tr_off = (size_t)off;
				s->tr_is_stream = 1;
			}
		}
		pos = (size_t)(oe - buf);
	}
	return 0;
}

static void scan_trailers(struct pdf_doc *d, struct scan *s)
{
	const uint8_t *q;
	size_t pos = 0;

	while (pos < d->len &&
	       (q = memmem(d->buf + pos, d->len - pos, "trailer", 7)) != NULL) {
		struct pdf_lex l = { q + 7, d->buf + d->len, d->buf,
				     &d->arena, 0 };
		struct pdf_obj *o;

		pos = (size_t)(q - d->buf) + 7;
		if (pdf_parse_obj(&l, &o) == 0 && o->t == PDF_DICT &&
		    pdf_dict_get(o, "Root") != NULL &&
		    (size_t)(q - d->buf) >= s->tr_off) {
			s->tr = o;
			s->tr_off = (size_t)(q - d->buf);
			s->tr_is_stream = 0;
		}
	}
}

int pdf_xref_repair(struct pdf_doc *d, int *reason)
{
	struct scan s = { 0 };
	struct pdf_obj *sz, *root;
	int rc, compressed = 0;

	*reason = PDF_R_DAMAGED;
	reset(d);
	d->scanning = 1;
	rc = scan_objects(d, &s);
	d->scanning = 0;
	if (rc != 0)
		goto out;
	scan_trailers(d, &s);
	rc = ESD_EINVAL;
	if (s.tr == NULL || d->nx == 0)
		goto out;
	d->trailer = s.tr;
	sz = pdf_dict_get(s.tr, "Size");
	d->size = 1;
	for (uint32_t n = d->nx; n-- > 0;)
		if (d->x[n].kind != XE_UNSET) {
			d->size = (uint64_t)n + 1;
			break;
		}
	if (sz != NULL && sz->t == PDF_INT && sz->u.i > 0 &&
	    (uint64_t)sz->u.i > d->size && sz->u.i <= PDF_MAX_OBJNUM + 1 &&
	    (uint64_t)sz->u.i <= d->len)
		d->size = (uint64_t)sz->u.i;
	if ((rc = pdf_xref_grow(d, d->size)) != 0)
		goto out;
	rc = ESD_ENOMEM;
	d->cache = calloc(d->nx, sizeof(*d->cache));
	d->stm = calloc(d->nx, sizeof(*d->stm));
	if (d->cache == NULL || d->stm == NULL)
		goto out;
	/* objects found directly win over copies inside object streams */
	for (size_t i = 0; i < s.nstms; i++) {
		struct pdf_objstm *st;

		if (pdf_objstm_load(d, s.stms[i], &st) != 0)
			continue;
		for (uint32_t k = 0; k < st->n; k++) {
			uint64_t num = st->offs[2 * k];

			if (num == 0 || num >= d->nx ||
			    d->x[num].kind != XE_UNSET)
				continue;
			d->x[num].kind = XE_COMPRESSED;
			d->x[num].off = s.stms[i];
			d->x[num].gen = k;
			compressed = 1;
		}
	}
	if (pdf_dict_get(d->trailer, "Encrypt") != NULL) {
		*reason = PDF_R_ENCRYPTED;
		rc = ESD_EUNSUPP;
		goto out;
	}
	rc = ESD_EINVAL;
	if (pdf_resolve(d, pdf_dict_get(d->trailer, "Root"), &root) != 0 ||
	    root == NULL || root->t != PDF_DICT ||
	    pdf_dict_get(root, "Pages") == NULL)
		goto out;
	d->repaired = 1;
	d->last_is_stream = compressed || s.tr_is_stream;
	*reason = PDF_R_NONE;
	rc = 0;
out:
	free(s.stms);
	return rc;
}
