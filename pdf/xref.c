/*
 * Cross-reference: startxref, xref tables and xref streams (ISO 32000-1
 * §7.5.4, §7.5.8), /Prev chains, hybrid files (/XRefStm), object streams
 * (§7.5.7), stream decoding (FlateDecode, PNG/TIFF predictors) and indirect
 * object lookup. The whole table is read (it is small); objects are parsed
 * only on demand. Repair (rebuilding the table by scanning) is in repair.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "pdf/pdf_int.h"

#define MAX_SECTIONS 512
#define MAX_RESOLVE 16

int pdf_xref_grow(struct pdf_doc *d, uint64_t need)
{
	struct pdf_xent *nx;
	uint64_t n;

	if (need <= d->nx)
		return 0;
	if (need > (uint64_t)PDF_MAX_OBJNUM + 1)
		return ESD_EINVAL;
	n = d->nx ? d->nx : 64;
	while (n < need)
		n *= 2;
	if (n > (uint64_t)PDF_MAX_OBJNUM + 1)
		n = (uint64_t)PDF_MAX_OBJNUM + 1;
	nx = realloc(d->x, (size_t)n * sizeof(*nx));
	if (nx == NULL)
		return ESD_ENOMEM;
	memset(nx + d->nx, 0, (size_t)(n - d->nx) * sizeof(*nx));
	d->x = nx;
	d->nx = (uint32_t)n;
	return 0;
}

/* Sets entry num unless a newer section already decided it. */
static int set_entry(struct pdf_doc *d, uint64_t num, uint8_t kind,
		     uint64_t off, uint32_t gen, uint32_t section, int hybrid)
{
	struct pdf_xent *e;
	int rc;

	/* Numbers past the file's length: see pdf_xref_load */
	if (num > PDF_MAX_OBJNUM || num >= d->len)
		return 0;
	rc = pdf_xref_grow(d, num + 1);
	if (rc != 0)
		return rc;
	e = &d->x[num];
	if (e->kind != XE_UNSET &&
	    !(hybrid && e->kind == XE_FREE && e->section == section))
		return 0;
	e->kind = kind;
	e->off = off;
	e->gen = gen;
	e->section = section;
	return 0;
}

uint32_t pdf_obj_gen(const struct pdf_doc *d, uint32_t num)
{
	if (num < d->nx && d->x[num].kind == XE_OFFSET)
		return d->x[num].gen;
	return 0;
}

/* ---- indirect objects ---- */

static const uint8_t *find_mem(const uint8_t *h, size_t hl, const char *n)
{
	return memmem(h, hl, n, strlen(n));
}

/* Searches "endstream" from data. In the file itself the last answer is
 * remembered, so a repair scan over many broken streams stays linear. */
static const uint8_t *find_endstream(struct pdf_doc *d, struct pdf_lex *l,
				     const uint8_t *data)
{
	size_t from = (size_t)(data - l->base);
	const uint8_t *e;

	if (l->base != d->buf)
		return find_mem(data, (size_t)(l->end - data), "endstream");
	if (d->es_valid && from >= d->es_from &&
	    (d->es_at == SIZE_MAX || from <= d->es_at))
		return d->es_at == SIZE_MAX ? NULL : d->buf + d->es_at;
	e = find_mem(data, (size_t)(l->end - data), "endstream");
	d->es_valid = 1;
	d->es_from = from;
	d->es_at = e ? (size_t)(e - d->buf) : SIZE_MAX;
	return e;
}

/* After "stream": locates the data using /Length, or "endstream". */
static int read_stream(struct pdf_doc *d, struct pdf_lex *l,
		       struct pdf_obj *dict, struct pdf_obj **out)
{
	const uint8_t *data, *e;
	struct pdf_obj *lenobj = pdf_dict_get(dict, "Length"), *st;
	int64_t n = -1;

	if (l->p < l->end && *l->p == '\r')
		l->p++;
	if (l->p < l->end && *l->p == '\n')
		l->p++;
	data = l->p;
	if (lenobj != NULL && lenobj->t == PDF_REF && !d->scanning &&
	    d->resolving < MAX_RESOLVE)
		pdf_resolve(d, lenobj, &lenobj);
	if (lenobj != NULL && lenobj->t == PDF_INT)
		n = lenobj->u.i;
	if (n >= 0 && n <= l->end - data) {
		struct pdf_lex t = *l;

		t.p = data + n;
		if (pdf_lex_keyword(&t, "endstream")) {
			l->p = t.p;
			goto found;
		}
	}
	/* §7.3.8.1 says /Length is right; real files disagree */
	e = find_endstream(d, l, data);
	if (e == NULL)
		return ESD_EINVAL;
	l->p = e + 9;
	while (e > data && (e[-1] == '\n' || e[-1] == '\r'))
		e--;
	n = e - data;
found:
	st = pdf_obj_new(l->arena, PDF_STREAM);
	if (st == NULL)
		return ESD_ENOMEM;
	st->u.st.dict = dict;
	st->u.st.data = data;
	st->u.st.len = (size_t)n;
	*out = st;
	return 0;
}

/* Parses "num gen obj ... [stream]" at off; *num_out gets the number. */
int pdf_read_indirect(struct pdf_doc *d, uint64_t off, uint32_t *num_out,
		      struct pdf_obj **out, const uint8_t **end)
{
	struct pdf_lex l = { d->buf + off, d->buf + d->len, d->buf,
			     &d->arena, 0 };
	uint32_t num, gen;
	struct pdf_obj *o;
	int rc;

	if (off >= d->len)
		return ESD_EINVAL;
	rc = pdf_parse_obj_header(&l, &num, &gen);
	if (rc == 0)
		rc = pdf_parse_obj(&l, &o);
	if (rc != 0)
		return rc;
	if (o->t == PDF_DICT && pdf_lex_keyword(&l, "stream")) {
		rc = read_stream(d, &l, o, &o);
		if (rc != 0)
			return rc;
	}
	*num_out = num;
	*out = o;
	if (end != NULL)
		*end = l.p;
	return 0;
}

int pdf_objstm_load(struct pdf_doc *d, uint32_t snum,
		       struct pdf_objstm **out)
{
	struct pdf_objstm *s = NULL;
	struct pdf_obj *st;
	struct pdf_lex l;
	int64_t n, first;
	int rc;

	if (d->stm[snum] != NULL) {
		*out = d->stm[snum];
		return 0;
	}
	rc = pdf_get_obj(d, snum, &st);
	if (rc != 0)
		return rc;
	if (st == NULL || st->t != PDF_STREAM ||
	    !pdf_name_is(pdf_dict_get(st, "Type"), "ObjStm"))
		return ESD_EINVAL;
	n = pdf_dict_int(d, st, "N", -1);
	first = pdf_dict_int(d, st, "First", -1);
	if (n < 0 || n > 1000000 || first < 0)
		return ESD_EINVAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ESD_ENOMEM;
	rc = pdf_stream_decode(d, st, &s->data, &s->len);
	if (rc != 0)
		goto out;
	rc = ESD_EINVAL;
	if ((uint64_t)first > s->len)
		goto out;
	s->first = (size_t)first;
	s->n = (uint32_t)n;
	s->offs = calloc((size_t)n * 2 + 1, sizeof(*s->offs));
	if (s->offs == NULL) {
		rc = ESD_ENOMEM;
		goto out;
	}
	l = (struct pdf_lex){ s->data, s->data + s->first, s->data,
			      &d->arena, 0 };
	for (int64_t i = 0; i < n * 2; i++)
		if (pdf_lex_uint(&l, &s->offs[i]) != 0)
			goto out;
	d->stm[snum] = s;
	*out = s;
	s = NULL;
	rc = 0;
out:
	if (s != NULL) {
		free(s->data);
		free(s->offs);
		free(s);
	}
	return rc;
}

static int objstm_get(struct pdf_doc *d, uint32_t snum, uint32_t idx,
		      uint32_t num, struct pdf_obj **out)
{
	struct pdf_objstm *s;
	struct pdf_lex l;
	uint64_t off;
	int rc;

	if (snum >= d->nx)
		return ESD_EINVAL;
	rc = pdf_objstm_load(d, snum, &s);
	if (rc != 0)
		return rc;
	if (idx >= s->n || s->offs[2 * idx] != num) {
		/* index disagrees with the stream: look the number up */
		for (idx = 0; idx < s->n; idx++)
			if (s->offs[2 * idx] == num)
				break;
		if (idx == s->n)
			return ESD_EINVAL;
	}
	off = s->offs[2 * idx + 1];
	if (off > s->len - s->first)
		return ESD_EINVAL;
	l = (struct pdf_lex){ s->data + s->first + off, s->data + s->len,
			      s->data, &d->arena, 0 };
	return pdf_parse_obj(&l, out);
}

int pdf_get_obj(struct pdf_doc *d, uint32_t num, struct pdf_obj **out)
{
	struct pdf_xent *e;
	struct pdf_obj *o = NULL;
	uint32_t got;
	int rc = 0;

	*out = NULL;
	if (d->cache == NULL || d->scanning)
		return ESD_EINVAL;
	if (num >= d->nx)
		return 0;
	if (d->cache[num] != NULL) {
		*out = d->cache[num];
		return 0;
	}
	if (d->resolving >= MAX_RESOLVE)
		return ESD_EINVAL;
	d->resolving++;
	e = &d->x[num];
	if (e->kind == XE_OFFSET) {
		rc = pdf_read_indirect(d, e->off, &got, &o, NULL);
		if (rc == 0 && got != num)
			rc = ESD_EINVAL;
	} else if (e->kind == XE_COMPRESSED) {
		rc = objstm_get(d, (uint32_t)e->off, e->gen, num, &o);
	}
	d->resolving--;
	if (rc != 0)
		return rc;
	d->cache[num] = o;
	*out = o;
	return 0;
}

int pdf_resolve(struct pdf_doc *d, struct pdf_obj *o, struct pdf_obj **out)
{
	int rc;

	for (int hop = 0; o != NULL && o->t == PDF_REF; hop++) {
		if (hop >= 8)
			return ESD_EINVAL;
		rc = pdf_get_obj(d, o->u.r.num, &o);
		if (rc != 0)
			return rc;
	}
	*out = o;
	return 0;
}

/* ---- sections ---- */

static int load_table(struct pdf_doc *d, struct pdf_lex *l, uint32_t sec,
		      struct pdf_obj **trailer)
{
	uint64_t first, count, off, gen;
	int rc;

	for (;;) {
		if (pdf_lex_keyword(l, "trailer"))
			break;
		if (pdf_lex_uint(l, &first) != 0 ||
		    pdf_lex_uint(l, &count) != 0 ||
		    first > (uint64_t)PDF_MAX_OBJNUM ||
		    count > (uint64_t)PDF_MAX_OBJNUM + 1 - first)
			return ESD_EINVAL;
		for (uint64_t i = 0; i < count; i++) {
			uint8_t kind;

			if (pdf_lex_uint(l, &off) != 0 ||
			    pdf_lex_uint(l, &gen) != 0)
				return ESD_EINVAL;
			pdf_lex_skip_ws(l);
			if (l->p >= l->end || (*l->p != 'n' && *l->p != 'f'))
				return ESD_EINVAL;
			kind = *l->p == 'n' ? XE_OFFSET : XE_FREE;
			l->p++;
			/* a broken writer's "0 N" table starting at 1 */
			if (first + i == 0 && kind == XE_OFFSET)
				return ESD_EINVAL;
			rc = set_entry(d, first + i, kind, off,
				       (uint32_t)gen, sec, 0);
			if (rc != 0)
				return rc;
		}
	}
	return pdf_parse_obj(l, trailer) != 0 || (*trailer)->t != PDF_DICT ?
	       ESD_EINVAL : 0;
}

static int load_xref_stream(struct pdf_doc *d, uint64_t off, uint32_t sec,
			    int hybrid, struct pdf_obj **trailer)
{
	struct pdf_obj *st, *w, *idx;
	uint32_t num;
	uint8_t *data = NULL;
	size_t len, pos = 0, rowlen;
	int64_t wv[3], size;
	int rc;

	rc = pdf_read_indirect(d, off, &num, &st, NULL);
	if (rc != 0)
		return rc;
	rc = ESD_EINVAL;
	if (st->t != PDF_STREAM ||
	    !pdf_name_is(pdf_dict_get(st, "Type"), "XRef"))
		return rc;
	w = pdf_dict_get(st, "W");
	idx = pdf_dict_get(st, "Index");
	size = pdf_dict_int(d, st, "Size", -1);
	if (w == NULL || w->t != PDF_ARRAY || w->u.a.n != 3 || size < 0)
		return rc;
	for (int i = 0; i < 3; i++) {
		if (w->u.a.v[i]->t != PDF_INT || w->u.a.v[i]->u.i < 0 ||
		    w->u.a.v[i]->u.i > 8)
			return rc;
		wv[i] = w->u.a.v[i]->u.i;
	}
	rowlen = (size_t)(wv[0] + wv[1] + wv[2]);
	if (rowlen == 0 ||
	    (idx != NULL && (idx->t != PDF_ARRAY || idx->u.a.n % 2 != 0)))
		return rc;
	rc = pdf_stream_decode(d, st, &data, &len);
	if (rc != 0)
		return rc == ESD_EUNSUPP ? rc : ESD_EINVAL;
	rc = ESD_EINVAL;
	for (size_t s = 0; s < (idx ? idx->u.a.n : 2); s += 2) {
		int64_t first = 0, count = size;

		if (idx != NULL) {
			if (idx->u.a.v[s]->t != PDF_INT ||
			    idx->u.a.v[s + 1]->t != PDF_INT)
				goto out;
			first = idx->u.a.v[s]->u.i;
			count = idx->u.a.v[s + 1]->u.i;
		}
		/* both up to INT64_MAX: compare without adding them */
		if (first < 0 || count < 0 || first > (int64_t)PDF_MAX_OBJNUM ||
		    count > (int64_t)PDF_MAX_OBJNUM + 1 - first)
			goto out;
		for (int64_t i = 0; i < count; i++) {
			uint64_t f[3] = { wv[0] ? 0 : 1, 0, 0 };

			if (len - pos < rowlen)
				goto out;
			for (int k = 0; k < 3; k++) {
				uint64_t v = 0;

				for (int64_t b = 0; b < wv[k]; b++)
					v = v << 8 | data[pos++];
				if (wv[k] > 0)
					f[k] = v;
			}
			if (f[0] > 2)
				continue; /* §7.5.8.3: treat as null ref */
			if (f[2] > UINT32_MAX)
				goto out;
			rc = set_entry(d, (uint64_t)(first + i),
				       f[0] == 0 ? XE_FREE : f[0] == 1 ?
				       XE_OFFSET : XE_COMPRESSED,
				       f[1], (uint32_t)f[2], sec, hybrid);
			if (rc != 0)
				goto out;
			rc = ESD_EINVAL;
		}
	}
	*trailer = st->u.st.dict;
	rc = 0;
out:
	free(data);
	return rc;
}

static int find_startxref(struct pdf_doc *d, uint64_t *off)
{
	size_t tail = d->len < 8192 ? d->len : 8192;
	const uint8_t *base = d->buf + d->len - tail, *hit = NULL, *p = base;
	struct pdf_lex l;

	while ((p = find_mem(p, (size_t)(d->buf + d->len - p),
			     "startxref")) != NULL) {
		hit = p;
		p += 9;
	}
	if (hit == NULL ||
	    find_mem(hit, (size_t)(d->buf + d->len - hit), "%%EOF") == NULL)
		return ESD_EINVAL;
	l = (struct pdf_lex){ hit + 9, d->buf + d->len, d->buf, &d->arena, 0 };
	return pdf_lex_uint(&l, off);
}

/* Every in-use entry must point at its own "N G obj": cheap, and it is
 * what keeps us from appending to a file whose xref lies. */
static int validate(struct pdf_doc *d)
{
	for (uint32_t n = 1; n < d->nx; n++) {
		struct pdf_xent *e = &d->x[n];

		if (e->kind == XE_OFFSET) {
			struct pdf_lex l = { d->buf + e->off, d->buf + d->len,
					     d->buf, &d->arena, 0 };
			uint32_t num, gen;

			if (e->off >= d->len ||
			    pdf_parse_obj_header(&l, &num, &gen) != 0 ||
			    num != n)
				return ESD_EINVAL;
		} else if (e->kind == XE_COMPRESSED) {
			if (e->off >= d->nx || d->x[e->off].kind != XE_OFFSET)
				return ESD_EINVAL;
		}
	}
	return 0;
}

int pdf_xref_load(struct pdf_doc *d, int *reason)
{
	uint64_t off, seen[MAX_SECTIONS];
	struct pdf_obj *tr = NULL, *prev, *xs;
	size_t nseen = 0;
	int rc;

	if (find_startxref(d, &off) != 0) {
		*reason = PDF_R_TRUNCATED;
		return ESD_EINVAL;
	}
	d->startxref = off;
	*reason = PDF_R_DAMAGED;
	for (uint32_t sec = 1;; sec++) {
		struct pdf_lex l = { d->buf + off, d->buf + d->len, d->buf,
				     &d->arena, 0 };

		for (size_t i = 0; i < nseen; i++)
			if (seen[i] == off)
				return ESD_EINVAL;
		if (nseen == MAX_SECTIONS || off >= d->len)
			return ESD_EINVAL;
		seen[nseen++] = off;
		if (pdf_lex_keyword(&l, "xref")) {
			rc = load_table(d, &l, sec, &tr);
			if (rc != 0)
				return rc;
			if (sec == 1)
				d->last_is_stream = 0;
			xs = pdf_dict_get(tr, "XRefStm");
			if (xs != NULL && xs->t == PDF_INT && xs->u.i >= 0) {
				struct pdf_obj *ign;

				rc = load_xref_stream(d, (uint64_t)xs->u.i,
						      sec, 1, &ign);
				if (rc != 0)
					return rc;
			}
		} else {
			rc = load_xref_stream(d, off, sec, 0, &tr);
			if (rc == ESD_EUNSUPP)
				*reason = PDF_R_UNSUPPORTED;
			if (rc != 0)
				return rc;
			if (sec == 1)
				d->last_is_stream = 1;
		}
		if (sec == 1) {
			struct pdf_obj *sz = pdf_dict_get(tr, "Size");

			d->trailer = tr;
			/* The table is an array indexed by object number
			 * (about 40 bytes an entry with the caches): more
			 * numbers than the file has bytes is not a real
			 * file, and would make a small one cost hundreds of
			 * MB; repair (repair.c) keeps the same bound. */
			if (sz == NULL || sz->t != PDF_INT || sz->u.i < 1 ||
			    sz->u.i > (int64_t)PDF_MAX_OBJNUM + 1 ||
			    (uint64_t)sz->u.i > d->len)
				return ESD_EINVAL;
			d->size = (uint64_t)sz->u.i;
		}
		prev = pdf_dict_get(tr, "Prev");
		if (prev == NULL)
			break;
		if (prev->t != PDF_INT || prev->u.i < 0)
			return ESD_EINVAL;
		off = (uint64_t)prev->u.i;
	}
	d->sections = pdf_arena_alloc(&d->arena, nseen * sizeof(*d->sections));
	if (d->sections == NULL)
		return ESD_ENOMEM;
	memcpy(d->sections, seen, nseen * sizeof(*d->sections));
	d->nsections = nseen;
	rc = pdf_xref_grow(d, d->size);
	if (rc != 0)
		return rc;
	d->cache = calloc(d->nx, sizeof(*d->cache));
	d->stm = calloc(d->nx, sizeof(*d->stm));
	if (d->cache == NULL || d->stm == NULL)
		return ESD_ENOMEM;
	if (pdf_dict_get(d->trailer, "Encrypt") != NULL) {
		*reason = PDF_R_ENCRYPTED;
		return ESD_EUNSUPP;
	}
	rc = validate(d);
	if (rc != 0)
		return rc;
	*reason = PDF_R_NONE;
	return 0;
}
