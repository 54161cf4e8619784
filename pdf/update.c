/*
 * One incremental update (ISO 32000-1 §7.5.6): objects appended after the
 * original bytes, then a new xref section in the form of the file's last
 * one (table §7.5.4 or stream §7.5.8) with /Prev to the previous one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "pdf/update_int.h"

void pdf_upd_init(struct pdf_upd *u, struct pdf_doc *d)
{
	memset(u, 0, sizeof(*u));
	u->d = d;
	/* the update starts on a fresh line */
	if (d->len > 0 && d->buf[d->len - 1] != '\n' &&
	    d->buf[d->len - 1] != '\r')
		pdf_buf_put(&u->b, "\n", 1);
}

void pdf_upd_free(struct pdf_upd *u)
{
	free(u->b.p);
	free(u->ent);
	memset(u, 0, sizeof(*u));
}

uint32_t pdf_upd_first_free(const struct pdf_doc *d)
{
	uint32_t next = d->size > PDF_MAX_OBJNUM ? PDF_MAX_OBJNUM + 1 :
			(uint32_t)d->size;

	for (uint32_t n = d->nx; n-- > next;)
		if (d->x[n].kind != XE_UNSET) {
			next = n + 1;
			break;
		}
	return next > PDF_MAX_OBJNUM ? 0 : next;
}

void pdf_upd_obj_begin(struct pdf_upd *u, uint32_t num, uint32_t gen)
{
	if (u->nent == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		struct upd_ent *ne = NULL;

		if (cap < SIZE_MAX / sizeof(*ne))
			ne = realloc(u->ent, cap * sizeof(*ne));
		if (ne == NULL) {
			u->b.err = ESD_ENOMEM;
			return;
		}
		u->ent = ne;
		u->cap = cap;
	}
	u->ent[u->nent].num = num;
	u->ent[u->nent].gen = gen;
	u->ent[u->nent].off = u->d->len + u->b.len;
	u->nent++;
	pdf_buf_printf(&u->b, "%u %u obj\n", num, gen);
}

void pdf_upd_obj_end(struct pdf_upd *u)
{
	pdf_buf_puts(&u->b, "\nendobj\n");
}

void pdf_upd_obj(struct pdf_upd *u, uint32_t num, uint32_t gen,
		 const struct pdf_obj *o)
{
	pdf_upd_obj_begin(u, num, gen);
	pdf_obj_write(&u->b, o);
	pdf_upd_obj_end(u);
}

void pdf_upd_stream(struct pdf_upd *u, uint32_t num,
		    const struct pdf_obj *dict, const uint8_t *data,
		    size_t len)
{
	pdf_upd_obj_begin(u, num, 0);
	/* the dict's own ">>" is replaced so /Length goes inside it */
	pdf_obj_write(&u->b, dict);
	if (u->b.err == 0 && u->b.len >= 2)
		u->b.len -= 2;
	pdf_buf_printf(&u->b, "/Length %zu>>stream\n", len);
	pdf_buf_put(&u->b, data, len);
	pdf_buf_puts(&u->b, "\nendstream");
	pdf_upd_obj_end(u);
}

/* ---- xref ---- */

static int ent_cmp(const void *a, const void *b)
{
	const struct upd_ent *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

/* Entry for num: 0 free, 1 offset, 2 compressed; f2/f3 per §7.5.8.3. */
static int entry_of(const struct pdf_upd *u, uint32_t num, uint64_t *f2,
		    uint64_t *f3)
{
	const struct pdf_doc *d = u->d;
	size_t lo = 0, hi = u->nent;

	/* u->ent is sorted by then */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (u->ent[mid].num == num) {
			*f2 = u->ent[mid].off;
			*f3 = u->ent[mid].gen;
			return 1;
		}
		if (u->ent[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (num < d->nx && d->x[num].kind == XE_OFFSET) {
		*f2 = d->x[num].off;
		*f3 = d->x[num].gen;
		return 1;
	}
	if (num < d->nx && d->x[num].kind == XE_COMPRESSED) {
		*f2 = d->x[num].off;
		*f3 = d->x[num].gen;
		return 2;
	}
	*f2 = 0;
	*f3 = num == 0 ? 65535 : 0;
	return 0;
}

/* Trailer keys carried over (§7.5.6: all but /Prev, from a table). */
static void copy_trailer(struct pdf_buf *b, const struct pdf_obj *t,
			 int all)
{
	static const char *const keep[] = { "Root", "Info", "ID" };
	const struct pdf_obj *dict = t->t == PDF_STREAM ? t->u.st.dict : t;

	if (pdf_name_is(pdf_dict_get(dict, "Type"), "XRef"))
		all = 0;
	for (size_t i = 0; i < dict->u.d.n; i++) {
		const struct pdf_kv *kv = &dict->u.d.kv[i];
		int ok = 0;

		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			ok |= pdf_name_is(kv->key, keep[k]);
		if (all)
			ok = !pdf_name_is(kv->key, "Prev") &&
			     !pdf_name_is(kv->key, "XRefStm") &&
			     !pdf_name_is(kv->key, "Size");
		if (!ok)
			continue;
		pdf_obj_write(b, kv->key);
		pdf_buf_put(b, " ", 1);
		pdf_obj_write(b, kv->val);
	}
}

/* The numbers the new section lists: all (repaired) or the update's. */
static uint32_t *section_nums(struct pdf_upd *u, uint32_t size, size_t *n)
{
	uint32_t *v;

	if (u->d->repaired) {
		v = calloc(size ? size : 1, sizeof(*v));
		if (v == NULL)
			return NULL;
		for (uint32_t i = 0; i < size; i++)
			v[i] = i;
		*n = size;
		return v;
	}
	v = calloc(u->nent + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < u->nent; i++)
		v[i] = u->ent[i].num;
	*n = u->nent;
	return v;
}

static void write_table(struct pdf_upd *u, uint32_t size)
{
	size_t n = 0, i, j;
	uint32_t *nums = section_nums(u, size, &n);
	uint64_t xoff = u->d->len + u->b.len;

	if (nums == NULL) {
		u->b.err = ESD_ENOMEM;
		return;
	}
	pdf_buf_puts(&u->b, "xref\n");
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && nums[j] == nums[j - 1] + 1; j++)
			;
		pdf_buf_printf(&u->b, "%u %zu\n", nums[i], j - i);
		for (size_t k = i; k < j; k++) {
			uint64_t f2, f3;
			int t = entry_of(u, nums[k], &f2, &f3);

			if (t == 2)
				u->b.err = ESD_EINTERNAL;
			pdf_buf_printf(&u->b, "%010llu %05llu %c\r\n",
				       (unsigned long long)f2,
				       (unsigned long long)f3,
				       t == 1 ? 'n' : 'f');
		}
	}
	pdf_buf_printf(&u->b, "trailer\n<</Size %u", size);
	copy_trailer(&u->b, u->d->trailer, !u->d->last_is_stream);
	if (!u->d->repaired)
		pdf_buf_printf(&u->b, "/Prev %llu",
			       (unsigned long long)u->d->startxref);
	pdf_buf_printf(&u->b, ">>\nstartxref\n%llu\n%%%%EOF\n",
		       (unsigned long long)xoff);
	free(nums);
}

static int width_of(uint64_t v)
{
	int n = 1;

	while (v > 0xff) {
		v >>= 8;
		n++;
	}
	return n;
}

static void write_xref_stream(struct pdf_upd *u, uint32_t xnum)
{
	uint32_t size = xnum + 1, *nums;
	uint64_t xoff = u->d->len + u->b.len, max2 = xoff, max3 = 65535;
	struct pdf_buf data = { 0 };
	size_t n = 0, i, j;
	int w2, w3;

	pdf_upd_obj_begin(u, xnum, 0);  /* lists itself */
	qsort(u->ent, u->nent, sizeof(u->ent[0]), ent_cmp);
	nums = section_nums(u, size, &n);
	if (nums == NULL) {
		u->b.err = ESD_ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t f2, f3;

		entry_of(u, nums[i], &f2, &f3);
		max2 = f2 > max2 ? f2 : max2;
		max3 = f3 > max3 ? f3 : max3;
	}
	w2 = width_of(max2);
	w3 = width_of(max3);
	for (i = 0; i < n; i++) {
		uint64_t f2, f3;
		uint8_t row[1 + 8 + 8];
		int t = entry_of(u, nums[i], &f2, &f3), k = 0;

		row[k++] = (uint8_t)t;
		for (int b = w2 - 1; b >= 0; b--)
			row[k++] = (uint8_t)(f2 >> (8 * b));
		for (int b = w3 - 1; b >= 0; b--)
			row[k++] = (uint8_t)(f3 >> (8 * b));
		pdf_buf_put(&data, row, (size_t)k);
	}
	pdf_buf_printf(&u->b, "<</Type/XRef/Size %u/W [1 %d %d]/Index [",
		       size, w2, w3);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && nums[j] == nums[j - 1] + 1; j++)
			;
		pdf_buf_printf(&u->b, "%s%u %zu", i ? " " : "", nums[i],
			       j - i);
	}
	pdf_buf_puts(&u->b, "]");
	copy_trailer(&u->b, u->d->trailer, 0);
	if (!u->d->repaired)
		pdf_buf_printf(&u->b, "/Prev %llu",
			       (unsigned long long)u->d->startxref);
	pdf_buf_printf(&u->b, "/Length %zu>>stream\n", data.len);
	if (data.err != 0)
		u->b.err = data.err;
	else
		pdf_buf_put(&u->b, data.p, data.len);
	pdf_buf_puts(&u->b, "\nendstream");
	pdf_upd_obj_end(u);
	pdf_buf_printf(&u->b, "startxref\n%llu\n%%%%EOF\n",
		       (unsigned long long)xoff);
	free(data.p);
	free(nums);
}

int pdf_upd_finish(struct pdf_upd *u, uint32_t size, int tail_only,
		   uint8_t **out, size_t *outlen)
{
	struct pdf_doc *d = u->d;
	uint8_t *p;
	size_t len;

	*out = NULL;
	if (size < d->size)
		size = (uint32_t)d->size;
	if (size > PDF_MAX_OBJNUM)
		return ESD_EUNSUPP;
	qsort(u->ent, u->nent, sizeof(u->ent[0]), ent_cmp);
	for (size_t i = 1; i < u->nent; i++)
		if (u->ent[i].num == u->ent[i - 1].num)
			return ESD_EINTERNAL; /* one object written twice */
	if (d->last_is_stream)
		write_xref_stream(u, size);
	else
		write_table(u, size);
	if (u->b.err != 0)
		return u->b.err;
	if (tail_only) {
		/* The update alone: the buffer is handed over. */
		*out = u->b.p;
		*outlen = u->b.len;
		u->b.p = NULL;
		u->b.len = u->b.cap = 0;
		return 0;
	}
	if (d->len > SIZE_MAX - u->b.len)
		return ESD_ENOMEM;
	len = d->len + u->b.len;
	p = malloc(len);
	if (p == NULL)
		return ESD_ENOMEM;
	memcpy(p, d->buf, d->len);
	memcpy(p + d->len, u->b.p, u->b.len);
	*out = p;
	*outlen = len;
	return 0;
}
