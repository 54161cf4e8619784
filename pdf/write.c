/*
 * Writes a planned signature update: the objects, a new xref section in
 * the form of the file's last one (table or stream, §7.5.4 / §7.5.8) with
 * /Prev to the previous one, and the patched /ByteRange.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "pdf/sign_int.h"

#define BR_WIDTH 64          /* "0 a b c" padded with spaces */
#define MAX_ENTS (SIGN_MAX_MODS + 8)

struct went {
	uint32_t num, gen;
	uint64_t off;
};

struct wctx {
	struct pdf_doc *d;
	struct sign_plan *pl;
	struct pdf_buf b;
	size_t base;                 /* original length (+ EOL we add) */
	struct went ent[MAX_ENTS];
	size_t nent;
	size_t br_pos, hex_pos;      /* positions in b */
};

static void begin_obj(struct wctx *w, uint32_t num, uint32_t gen)
{
	if (w->nent < MAX_ENTS) {
		w->ent[w->nent].num = num;
		w->ent[w->nent].gen = gen;
		w->ent[w->nent].off = w->base + w->b.len;
		w->nent++;
	} else {
		w->b.err = ESD_EINTERNAL;
	}
	pdf_buf_printf(&w->b, "%u %u obj\n", num, gen);
}

static void end_obj(struct wctx *w)
{
	pdf_buf_puts(&w->b, "\nendobj\n");
}

static void opt_entry(struct pdf_buf *b, const char *key,
		      const struct pdf_obj *v)
{
	if (v == NULL)
		return;
	pdf_buf_puts(b, key);
	pdf_obj_write(b, v);
}

static void write_sig(struct wctx *w)
{
	struct sign_plan *pl = w->pl;
	char date[64];
	struct tm tm;
	size_t hex = pl->contents * 2;

	begin_obj(w, pl->sig_num, 0);
	pdf_buf_printf(&w->b, "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/%s",
		       pl->subfilter == PDF_SUBFILTER_PKCS7 ?
		       "adbe.pkcs7.detached" : "ETSI.CAdES.detached");
	if (gmtime_r(&pl->time, &tm) != NULL &&
	    strftime(date, sizeof(date), "D:%Y%m%d%H%M%S+00'00'", &tm) > 0)
		pdf_buf_printf(&w->b, "/M(%s)", date);
	opt_entry(&w->b, "/Name", pl->name);
	opt_entry(&w->b, "/Reason", pl->reason);
	opt_entry(&w->b, "/Location", pl->location);
	opt_entry(&w->b, "/ContactInfo", pl->contact);
	pdf_buf_puts(&w->b, "/ByteRange [");
	w->br_pos = w->b.len;
	for (int i = 0; i < BR_WIDTH; i++)
		pdf_buf_put(&w->b, " ", 1);
	pdf_buf_puts(&w->b, "]/Contents <");
	w->hex_pos = w->b.len;
	while (hex > 0 && w->b.err == 0) {
		static const char zeros[64] =
			"0000000000000000000000000000000000000000000000000000"
			"000000000000";
		size_t n = hex < sizeof(zeros) ? hex : sizeof(zeros);

		pdf_buf_put(&w->b, zeros, n);
		hex -= n;
	}
	pdf_buf_puts(&w->b, ">>>");
	end_obj(w);
}

/* ASCII-only text for the appearance; anything else is left out. */
static int ascii_text(const struct pdf_obj *s)
{
	if (s == NULL || s->t != PDF_STR)
		return 0;
	for (size_t i = 0; i < s->u.s.len; i++)
		if (s->u.s.p[i] < 0x20 || s->u.s.p[i] > 0x7e)
			return 0;
	return 1;
}

static void put_line(struct pdf_buf *b, const char *pre,
		     const struct pdf_obj *s)
{
	pdf_buf_put(b, "(", 1);
	pdf_buf_puts(b, pre);
	if (s != NULL) {
		for (size_t i = 0; i < s->u.s.len; i++) {
			uint8_t c = s->u.s.p[i];

			if (c == '(' || c == ')' || c == '\\')
				pdf_buf_put(b, "\\", 1);
			pdf_buf_put(b, &c, 1);
		}
	}
	pdf_buf_puts(b, ") Tj T*\n");
}

/* A plain visible appearance: frame and a few lines of Helvetica. */
static void write_ap(struct wctx *w)
{
	struct sign_plan *pl = w->pl;
	struct pdf_buf c = { 0 };
	char date[64] = "";
	struct tm tm;
	int lines = 2;
	double fs;

	if (ascii_text(pl->name))
		lines++;
	if (ascii_text(pl->reason))
		lines++;
	if (ascii_text(pl->location))
		lines++;
	fs = (pl->h - 4) / (lines * 1.2);
	fs = fs > 10 ? 10 : fs < 1 ? 1 : fs;
	if (gmtime_r(&pl->time, &tm) != NULL)
		strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
	pdf_buf_printf(&c, "q 0.5 w 0.25 0.25 %.2f %.2f re S Q\n",
		       pl->w - 0.5, pl->h - 0.5);
	pdf_buf_printf(&c, "BT /Helv %.2f Tf %.2f TL 2 %.2f Td\n", fs,
		       fs * 1.2, pl->h - 2 - fs);
	put_line(&c, "Digitally signed", NULL);
	if (ascii_text(pl->name))
		put_line(&c, "by ", pl->name);
	put_line(&c, date, NULL);
	if (ascii_text(pl->reason))
		put_line(&c, "Reason: ", pl->reason);
	if (ascii_text(pl->location))
		put_line(&c, "Location: ", pl->location);
	pdf_buf_puts(&c, "ET\n");
	if (c.err != 0) {
		w->b.err = c.err;
		free(c.p);
		return;
	}
	begin_obj(w, pl->ap_num, 0);
	pdf_buf_printf(&w->b, "<</Type/XObject/Subtype/Form/BBox [0 0 %.2f "
		       "%.2f]/Resources <</Font <</Helv <</Type/Font/Subtype"
		       "/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>"
		       ">>>>/Length %zu>>stream\n", pl->w, pl->h, c.len);
	pdf_buf_put(&w->b, c.p, c.len);
	pdf_buf_puts(&w->b, "\nendstream");
	end_obj(w);
	free(c.p);
}

/* ---- xref ---- */

static int went_cmp(const void *a, const void *b)
{
	const struct went *x = a, *y = b;

	return x->num < y->num ? -1 : x->num > y->num;
}

/* Entry for num: 0 free, 1 offset, 2 compressed; f2/f3 per §7.5.8.3. */
static int entry_of(struct wctx *w, uint32_t num, uint64_t *f2, uint64_t *f3)
{
	struct pdf_doc *d = w->d;

	for (size_t i = 0; i < w->nent; i++) {
		if (w->ent[i].num == num) {
			*f2 = w->ent[i].off;
			*f3 = w->ent[i].gen;
			return 1;
		}
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
static uint32_t *section_nums(struct wctx *w, uint32_t size, size_t *n)
{
	uint32_t *v;

	if (w->d->repaired) {
		v = calloc(size, sizeof(*v));
		if (v == NULL)
			return NULL;
		for (uint32_t i = 0; i < size; i++)
			v[i] = i;
		*n = size;
		return v;
	}
	qsort(w->ent, w->nent, sizeof(w->ent[0]), went_cmp);
	v = calloc(w->nent + 1, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < w->nent; i++)
		v[i] = w->ent[i].num;
	*n = w->nent;
	return v;
}

static void write_table(struct wctx *w, uint32_t size)
{
	size_t n = 0, i, j;
	uint32_t *nums = section_nums(w, size, &n);
	uint64_t xoff = w->base + w->b.len;

	if (nums == NULL) {
		w->b.err = ESD_ENOMEM;
		return;
	}
	pdf_buf_puts(&w->b, "xref\n");
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && nums[j] == nums[j - 1] + 1; j++)
			;
		pdf_buf_printf(&w->b, "%u %zu\n", nums[i], j - i);
		for (size_t k = i; k < j; k++) {
			uint64_t f2, f3;
			int t = entry_of(w, nums[k], &f2, &f3);

			if (t == 2)
				w->b.err = ESD_EINTERNAL;
			pdf_buf_printf(&w->b, "%010llu %05llu %c\r\n",
				       (unsigned long long)f2,
				       (unsigned long long)f3,
				       t == 1 ? 'n' : 'f');
		}
	}
	pdf_buf_printf(&w->b, "trailer\n<</Size %u", size);
	copy_trailer(&w->b, w->d->trailer, !w->d->last_is_stream);
	if (!w->d->repaired)
		pdf_buf_printf(&w->b, "/Prev %llu",
			       (unsigned long long)w->d->startxref);
	pdf_buf_printf(&w->b, ">>\nstartxref\n%llu\n%%%%EOF\n",
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

static void write_xref_stream(struct wctx *w, uint32_t xnum)
{
	uint32_t size = xnum + 1, *nums;
	uint64_t xoff = w->base + w->b.len, max2 = xoff, max3 = 65535;
	struct pdf_buf data = { 0 };
	size_t n = 0, i, j;
	int w2, w3;

	begin_obj(w, xnum, 0);  /* lists itself */
	nums = section_nums(w, size, &n);
	if (nums == NULL) {
		w->b.err = ESD_ENOMEM;
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t f2, f3;

		entry_of(w, nums[i], &f2, &f3);
		max2 = f2 > max2 ? f2 : max2;
		max3 = f3 > max3 ? f3 : max3;
	}
	w2 = width_of(max2);
	w3 = width_of(max3);
	for (i = 0; i < n; i++) {
		uint64_t f2, f3;
		uint8_t row[1 + 8 + 8];
		int t = entry_of(w, nums[i], &f2, &f3), k = 0;

		row[k++] = (uint8_t)t;
		for (int b = w2 - 1; b >= 0; b--)
			row[k++] = (uint8_t)(f2 >> (8 * b));
		for (int b = w3 - 1; b >= 0; b--)
			row[k++] = (uint8_t)(f3 >> (8 * b));
		pdf_buf_put(&data, row, (size_t)k);
	}
	pdf_buf_printf(&w->b, "<</Type/XRef/Size %u/W [1 %d %d]/Index [", size,
		       w2, w3);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && nums[j] == nums[j - 1] + 1; j++)
			;
		pdf_buf_printf(&w->b, "%s%u %zu", i ? " " : "", nums[i], j - i);
	}
	pdf_buf_puts(&w->b, "]");
	copy_trailer(&w->b, w->d->trailer, 0);
	if (!w->d->repaired)
		pdf_buf_printf(&w->b, "/Prev %llu",
			       (unsigned long long)w->d->startxref);
	pdf_buf_printf(&w->b, "/Length %zu>>stream\n", data.len);
	if (data.err != 0)
		w->b.err = data.err;
	else
		pdf_buf_put(&w->b, data.p, data.len);
	pdf_buf_puts(&w->b, "\nendstream");
	end_obj(w);
	pdf_buf_printf(&w->b, "startxref\n%llu\n%%%%EOF\n",
		       (unsigned long long)xoff);
	free(data.p);
	free(nums);
}

int pdf_sign_write(struct pdf_doc *d, struct sign_plan *pl,
		   struct pdf_prepared **out)
{
	struct wctx w;
	struct pdf_prepared *p = NULL;
	uint32_t size;
	char br[BR_WIDTH + 1];
	int rc, n;

	memset(&w, 0, sizeof(w));
	w.d = d;
	w.pl = pl;
	w.base = d->len;
	/* the update starts on a fresh line */
	if (d->len > 0 && d->buf[d->len - 1] != '\n' &&
	    d->buf[d->len - 1] != '\r') {
		pdf_buf_put(&w.b, "\n", 1);
	}
	write_sig(&w);
	begin_obj(&w, pl->field_num, 0);
	pdf_obj_write(&w.b, pl->field);
	end_obj(&w);
	if (pl->visible)
		write_ap(&w);
	for (size_t i = 0; i < pl->nmods; i++) {
		begin_obj(&w, pl->mods[i].num, pl->mods[i].gen);
		pdf_obj_write(&w.b, pl->mods[i].o);
		end_obj(&w);
	}
	size = pl->next > d->size ? pl->next : (uint32_t)d->size;
	if (d->last_is_stream)
		write_xref_stream(&w, size);
	else
		write_table(&w, size);
	rc = w.b.err;
	if (rc != 0)
		goto out;
	rc = ESD_ENOMEM;
	p = calloc(1, sizeof(*p));
	if (p == NULL || d->len > SIZE_MAX - w.b.len)
		goto out;
	p->len = d->len + w.b.len;
	p->buf = malloc(p->len);
	if (p->buf == NULL)
		goto out;
	memcpy(p->buf, d->buf, d->len);
	memcpy(p->buf + d->len, w.b.p, w.b.len);
	p->hex_off = w.base + w.hex_pos;
	p->hex_len = pl->contents * 2;
	/* §12.8.1: the gap is exactly the hex string with its delimiters */
	p->br[0] = 0;
	p->br[1] = p->hex_off - 1;
	p->br[2] = p->hex_off + p->hex_len + 1;
	p->br[3] = p->len - p->br[2];
	n = snprintf(br, sizeof(br), "0 %llu %llu %llu",
		     (unsigned long long)p->br[1],
		     (unsigned long long)p->br[2],
		     (unsigned long long)p->br[3]);
	rc = ESD_EINTERNAL;
	if (n < 0 || n > BR_WIDTH)
		goto out;
	memcpy(p->buf + w.base + w.br_pos, br, (size_t)n);
	*out = p;
	p = NULL;
	rc = 0;
out:
	pdf_prepared_free(p);
	free(w.b.p);
	return rc;
}
