/*
 * PDF object model: arena allocation, dictionaries and arrays, and the
 * serialiser used for the objects of an incremental update.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "pdf/pdf_int.h"

#define ARENA_BLK 65536

struct pdf_arena_blk {
	struct pdf_arena_blk *next;
	size_t used, cap;
	max_align_t data[];
};

void *pdf_arena_alloc(struct pdf_arena *a, size_t n)
{
	struct pdf_arena_blk *b = a->head;
	size_t al = _Alignof(max_align_t);

	n = (n + al - 1) / al * al;
	if (n == 0)
		n = al;
	if (b == NULL || b->cap - b->used < n) {
		size_t cap = n > ARENA_BLK / 2 ? n : ARENA_BLK;

		if (cap > SIZE_MAX - sizeof(*b))
			return NULL;
		b = malloc(sizeof(*b) + cap);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		if (n > ARENA_BLK / 2 && a->head != NULL) {
			/* big block: keep the current block as head */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	void *p = (char *)b->data + b->used;

	b->used += n;
	memset(p, 0, n);
	return p;
}

void pdf_arena_free(struct pdf_arena *a)
{
	struct pdf_arena_blk *b = a->head, *n;

	while (b != NULL) {
		n = b->next;
		free(b);
		b = n;
	}
	a->head = NULL;
}

char *pdf_arena_strdup(struct pdf_arena *a, const char *s)
{
	return s ? pdf_arena_strndup(a, s, strlen(s)) : NULL;
}

char *pdf_arena_strndup(struct pdf_arena *a, const void *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX)
		return NULL;
	p = pdf_arena_alloc(a, n + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* ---- buffer ---- */

/* Room for n more bytes in b: 0, or -1 with b->err set. */
static int buf_room(struct pdf_buf *b, size_t n)
{
	if (b->err != 0)
		return -1;
	if (n > SIZE_MAX / 2 - b->len) {
		b->err = ESD_ENOMEM;
		return -1;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *p;

		while (cap < b->len + n)
			cap *= 2;
		p = realloc(b->p, cap);
		if (p == NULL) {
			b->err = ESD_ENOMEM;
			return -1;
		}
		b->p = p;
		b->cap = cap;
	}
	return 0;
}

void pdf_buf_reserve(struct pdf_buf *b, size_t n)
{
	(void)buf_room(b, n);
}

void pdf_buf_fill(struct pdf_buf *b, int c, size_t n)
{
	if (n == 0 || buf_room(b, n) != 0)
		return;
	memset(b->p + b->len, c, n);
	b->len += n;
}

void pdf_buf_put(struct pdf_buf *b, const void *s, size_t n)
{
	/* nothing: b->p may still be NULL */
	if (n == 0 || buf_room(b, n) != 0)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

void pdf_buf_puts(struct pdf_buf *b, const char *s)
{
	pdf_buf_put(b, s, strlen(s));
}

void pdf_buf_printf(struct pdf_buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		b->err = ESD_EINTERNAL;
		return;
	}
	pdf_buf_put(b, tmp, (size_t)n);
}

/* ---- objects ---- */

struct pdf_obj *pdf_obj_new(struct pdf_arena *a, enum pdf_type t)
{
	struct pdf_obj *o = pdf_arena_alloc(a, sizeof(*o));

	if (o != NULL)
		o->t = t;
	return o;
}

struct pdf_obj *pdf_obj_int(struct pdf_arena *a, int64_t v)
{
	struct pdf_obj *o = pdf_obj_new(a, PDF_INT);

	if (o != NULL)
		o->u.i = v;
	return o;
}

struct pdf_obj *pdf_obj_ref(struct pdf_arena *a, uint32_t num, uint32_t gen)
{
	struct pdf_obj *o = pdf_obj_new(a, PDF_REF);

	if (o != NULL) {
		o->u.r.num = num;
		o->u.r.gen = gen;
	}
	return o;
}

static struct pdf_obj *bytes_obj(struct pdf_arena *a, enum pdf_type t,
				 const void *s, size_t n)
{
	struct pdf_obj *o = pdf_obj_new(a, t);

	if (o == NULL)
		return NULL;
	o->u.s.p = (uint8_t *)pdf_arena_strndup(a, s, n);
	if (o->u.s.p == NULL)
		return NULL;
	o->u.s.len = n;
	return o;
}

struct pdf_obj *pdf_obj_name(struct pdf_arena *a, const char *s)
{
	return bytes_obj(a, PDF_NAME, s, strlen(s));
}

struct pdf_obj *pdf_obj_str(struct pdf_arena *a, const void *s, size_t n)
{
	return bytes_obj(a, PDF_STR, s, n);
}

int pdf_array_push(struct pdf_arena *a, struct pdf_obj *arr,
		   struct pdf_obj *v)
{
	if (arr->u.a.n == arr->u.a.cap) {
		size_t cap = arr->u.a.cap ? arr->u.a.cap * 2 : 8;
		struct pdf_obj **nv;

		if (cap > SIZE_MAX / sizeof(*nv))
			return ESD_ENOMEM;
		nv = pdf_arena_alloc(a, cap * sizeof(*nv));
		if (nv == NULL)
			return ESD_ENOMEM;
		if (arr->u.a.n > 0)
			memcpy(nv, arr->u.a.v, arr->u.a.n * sizeof(*nv));
		arr->u.a.v = nv;
		arr->u.a.cap = cap;
	}
	arr->u.a.v[arr->u.a.n++] = v;
	return 0;
}

int pdf_name_is(const struct pdf_obj *o, const char *s)
{
	size_t n = strlen(s);

	return o != NULL && o->t == PDF_NAME && o->u.s.len == n &&
	       memcmp(o->u.s.p, s, n) == 0;
}

struct pdf_obj *pdf_dict_get(const struct pdf_obj *d, const char *key)
{
	if (d == NULL)
		return NULL;
	if (d->t == PDF_STREAM)
		d = d->u.st.dict;
	if (d->t != PDF_DICT)
		return NULL;
	/* last occurrence wins, like most readers */
	for (size_t i = d->u.d.n; i-- > 0;)
		if (pdf_name_is(d->u.d.kv[i].key, key))
			return d->u.d.kv[i].val;
	return NULL;
}

int pdf_dict_set(struct pdf_arena *a, struct pdf_obj *d, const char *key,
		 struct pdf_obj *v)
{
	struct pdf_obj *k;

	if (v == NULL)
		return ESD_ENOMEM;
	for (size_t i = 0; i < d->u.d.n; i++) {
		if (pdf_name_is(d->u.d.kv[i].key, key)) {
			d->u.d.kv[i].val = v;
			return 0;
		}
	}
	k = pdf_obj_name(a, key);
	if (k == NULL)
		return ESD_ENOMEM;
	if (d->u.d.n == d->u.d.cap) {
		size_t cap = d->u.d.cap ? d->u.d.cap * 2 : 8;
		struct pdf_kv *nkv;

		if (cap > SIZE_MAX / sizeof(*nkv))
			return ESD_ENOMEM;
		nkv = pdf_arena_alloc(a, cap * sizeof(*nkv));
		if (nkv == NULL)
			return ESD_ENOMEM;
		if (d->u.d.n > 0)
			memcpy(nkv, d->u.d.kv, d->u.d.n * sizeof(*nkv));
		d->u.d.kv = nkv;
		d->u.d.cap = cap;
	}
	d->u.d.kv[d->u.d.n].key = k;
	d->u.d.kv[d->u.d.n].val = v;
	d->u.d.n++;
	return 0;
}

void pdf_dict_del(struct pdf_obj *d, const char *key)
{
	size_t j = 0;

	for (size_t i = 0; i < d->u.d.n; i++)
		if (!pdf_name_is(d->u.d.kv[i].key, key))
			d->u.d.kv[j++] = d->u.d.kv[i];
	d->u.d.n = j;
}

struct pdf_obj *pdf_obj_shallow(struct pdf_arena *a, const struct pdf_obj *o)
{
	struct pdf_obj *c = pdf_obj_new(a, o->t);

	if (c == NULL)
		return NULL;
	if (o->t == PDF_DICT) {
		for (size_t i = 0; i < o->u.d.n; i++) {
			const struct pdf_kv *kv = &o->u.d.kv[i];
			char *k = pdf_arena_strndup(a, kv->key->u.s.p,
						    kv->key->u.s.len);

			if (k == NULL || pdf_dict_set(a, c, k, kv->val) != 0)
				return NULL;
		}
	} else if (o->t == PDF_ARRAY) {
		for (size_t i = 0; i < o->u.a.n; i++)
			if (pdf_array_push(a, c, o->u.a.v[i]) != 0)
				return NULL;
	} else {
		*c = *o;
	}
	return c;
}

/* ---- serialiser ---- */

static void write_name(struct pdf_buf *b, const uint8_t *p, size_t n)
{
	pdf_buf_put(b, "/", 1);
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c < 0x21 || c > 0x7e || c == '#' || pdf_is_delim(c))
			pdf_buf_printf(b, "#%02X", c);
		else
			pdf_buf_put(b, &c, 1);
	}
}

static void write_str(struct pdf_buf *b, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	int printable = 1;

	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			printable = 0;
	if (printable) {
		pdf_buf_put(b, "(", 1);
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '(' || p[i] == ')' || p[i] == '\\')
				pdf_buf_put(b, "\\", 1);
			pdf_buf_put(b, &p[i], 1);
		}
		pdf_buf_put(b, ")", 1);
		return;
	}
	pdf_buf_put(b, "<", 1);
	for (size_t i = 0; i < n; i++) {
		char h[2] = { hex[p[i] >> 4], hex[p[i] & 15] };

		pdf_buf_put(b, h, 2);
	}
	pdf_buf_put(b, ">", 1);
}

void pdf_obj_write(struct pdf_buf *b, const struct pdf_obj *o)
{
	if (o == NULL) {
		pdf_buf_puts(b, "null");
		return;
	}
	switch (o->t) {
	case PDF_NULL:
		pdf_buf_puts(b, "null");
		break;
	case PDF_BOOL:
		pdf_buf_puts(b, o->u.b ? "true" : "false");
		break;
	case PDF_INT:
		pdf_buf_printf(b, "%lld", (long long)o->u.i);
		break;
	case PDF_REAL:
		pdf_buf_put(b, o->u.real.p, o->u.real.len);
		break;
	case PDF_STR:
		write_str(b, o->u.s.p, o->u.s.len);
		break;
	case PDF_NAME:
		write_name(b, o->u.s.p, o->u.s.len);
		break;
	case PDF_ARRAY:
		pdf_buf_put(b, "[", 1);
		for (size_t i = 0; i < o->u.a.n; i++) {
			if (i > 0)
				pdf_buf_put(b, " ", 1);
			pdf_obj_write(b, o->u.a.v[i]);
		}
		pdf_buf_put(b, "]", 1);
		break;
	case PDF_DICT:
		pdf_buf_put(b, "<<", 2);
		for (size_t i = 0; i < o->u.d.n; i++) {
			const struct pdf_kv *kv = &o->u.d.kv[i];

			write_name(b, kv->key->u.s.p, kv->key->u.s.len);
			pdf_buf_put(b, " ", 1);
			pdf_obj_write(b, kv->val);
		}
		pdf_buf_put(b, ">>", 2);
		break;
	case PDF_REF:
		pdf_buf_printf(b, "%u %u R", o->u.r.num, o->u.r.gen);
		break;
	case PDF_STREAM:
		/* never rewritten: callers refuse streams before this */
		b->err = ESD_EINTERNAL;
		break;
	}
}

double pdf_num_value(const struct pdf_obj *o)
{
	char tmp[64];
	double v;
	size_t n;

	if (o == NULL)
		return 0;
	if (o->t == PDF_INT)
		return (double)o->u.i;
	if (o->t != PDF_REAL)
		return 0;
	n = o->u.real.len < sizeof(tmp) - 1 ? o->u.real.len : sizeof(tmp) - 1;
	memcpy(tmp, o->u.real.p, n);
	tmp[n] = '\0';
	v = strtod(tmp, NULL);
	return isfinite(v) ? v : 0;
}
