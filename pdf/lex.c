/*
 * Lexer and direct-object parser (ISO 32000-1 §7.2, §7.3). Works on any
 * byte range: the file itself or a decoded object stream. Strings and names
 * are decoded into the arena; reals keep their source text.
 */
#include <string.h>

#include "common/err.h"
#include "pdf/pdf_int.h"

int pdf_is_ws(uint8_t c)
{
	return c == 0 || c == '\t' || c == '\n' || c == '\f' || c == '\r' ||
	       c == ' ';
}

int pdf_is_delim(uint8_t c)
{
	return c == '(' || c == ')' || c == '<' || c == '>' || c == '[' ||
	       c == ']' || c == '{' || c == '}' || c == '/' || c == '%';
}

static int is_regular(uint8_t c)
{
	return !pdf_is_ws(c) && !pdf_is_delim(c);
}

void pdf_lex_skip_ws(struct pdf_lex *l)
{
	while (l->p < l->end) {
		if (pdf_is_ws(*l->p)) {
			l->p++;
		} else if (*l->p == '%') {
			while (l->p < l->end && *l->p != '\r' && *l->p != '\n')
				l->p++;
		} else {
			break;
		}
	}
}

int pdf_lex_keyword(struct pdf_lex *l, const char *kw)
{
	size_t n = strlen(kw);

	pdf_lex_skip_ws(l);
	if ((size_t)(l->end - l->p) < n || memcmp(l->p, kw, n) != 0)
		return 0;
	if (l->p + n < l->end && is_regular(l->p[n]))
		return 0;
	l->p += n;
	return 1;
}

int pdf_lex_uint(struct pdf_lex *l, uint64_t *v)
{
	uint64_t x = 0;
	const uint8_t *s;

	pdf_lex_skip_ws(l);
	s = l->p;
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
		if (x > (UINT64_MAX - 9) / 10)
			return ESD_EINVAL;
		x = x * 10 + (uint64_t)(*l->p - '0');
		l->p++;
	}
	if (l->p == s || (l->p < l->end && is_regular(*l->p))) {
		l->p = s;
		return ESD_EINVAL;
	}
	*v = x;
	return 0;
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t pdf_hex_decode(const uint8_t *s, const uint8_t *e, uint8_t *out)
{
	size_t n = 0;
	int hi = -1;

	for (const uint8_t *q = s; q < e; q++) {
		int v = hexval(*q);

		if (v < 0) {
			if (pdf_is_ws(*q))
				continue;
			return SIZE_MAX;
		}
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		out[n++] = (uint8_t)(hi << 4);
	return n;
}

static int parse_hexstr(struct pdf_lex *l, struct pdf_obj *o)
{
	const uint8_t *s = ++l->p, *e;
	size_t n;
	uint8_t *out;

	e = memchr(s, '>', (size_t)(l->end - s));
	if (e == NULL)
		return ESD_EINVAL;
	out = pdf_arena_alloc(l->arena, (size_t)(e - s) / 2 + 2);
	if (out == NULL)
		return ESD_ENOMEM;
	n = pdf_hex_decode(s, e, out);
	if (n == SIZE_MAX)
		return ESD_EINVAL;
	o->t = PDF_STR;
	o->u.s.p = out;
	o->u.s.len = n;
	l->p = e + 1;
	return 0;
}

static int parse_litstr(struct pdf_lex *l, struct pdf_obj *o)
{
	const uint8_t *q = ++l->p;
	size_t n = 0, depth = 1;
	uint8_t *out;

	/* decoded length never exceeds the source length */
	{
		const uint8_t *e = q;
		size_t dd = 1;

		while (e < l->end && dd > 0) {
			if (*e == '\\')
				e++;
			else if (*e == '(')
				dd++;
			else if (*e == ')')
				dd--;
			e++;
		}
		if (dd > 0)
			return ESD_EINVAL;
		out = pdf_arena_alloc(l->arena, (size_t)(e - q) + 1);
		if (out == NULL)
			return ESD_ENOMEM;
	}
	while (q < l->end) {
		uint8_t c = *q++;

		if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (--depth == 0)
				break;
		} else if (c == '\r') {
			/* §7.3.4.2: an EOL inside a string reads as \n */
			if (q < l->end && *q == '\n')
				q++;
			c = '\n';
		} else if (c == '\\' && q < l->end) {
			c = *q++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '\r':
				if (q < l->end && *q == '\n')
					q++;
				continue;
			case '\n':
				continue;
			default:
				if (c >= '0' && c <= '7') {
					unsigned v = (unsigned)(c - '0');

					for (int k = 0; k < 2 && q < l->end &&
					     *q >= '0' && *q <= '7'; k++)
						v = v * 8 + (unsigned)(*q++ - '0');
					c = (uint8_t)v;
				}
				break;
			}
		}
		out[n++] = c;
	}
	if (depth != 0)
		return ESD_EINVAL;
	o->t = PDF_STR;
	o->u.s.p = out;
	o->u.s.len = n;
	l->p = q;
	return 0;
}

static int parse_name(struct pdf_lex *l, struct pdf_obj *o)
{
	const uint8_t *s = ++l->p, *e = s;
	uint8_t *out;
	size_t n = 0;

	while (e < l->end && is_regular(*e))
		e++;
	out = pdf_arena_alloc(l->arena, (size_t)(e - s) + 1);
	if (out == NULL)
		return ESD_ENOMEM;
	for (const uint8_t *q = s; q < e; q++) {
		if (*q == '#' && e - q >= 3 && hexval(q[1]) >= 0 &&
		    hexval(q[2]) >= 0) {
			out[n++] = (uint8_t)(hexval(q[1]) << 4 | hexval(q[2]));
			q += 2;
		} else {
			out[n++] = *q;
		}
	}
	o->t = PDF_NAME;
	o->u.s.p = out;
	o->u.s.len = n;
	l->p = e;
	return 0;
}

/* Number token; after an unsigned integer, looks ahead for "G R". */
static int parse_number(struct pdf_lex *l, struct pdf_obj *o)
{
	const uint8_t *s = l->p, *q = s;
	int real = 0, digits = 0, neg = 0;
	uint64_t v = 0;

	if (*q == '+' || *q == '-') {
		neg = *q == '-';
		q++;
	}
	while (q < l->end && ((*q >= '0' && *q <= '9') || *q == '.')) {
		if (*q == '.') {
			real = 1;
		} else {
			digits++;
			if (!real && v < (UINT64_MAX / 10 - 10))
				v = v * 10 + (uint64_t)(*q - '0');
		}
		q++;
	}
	if (digits == 0 || (q < l->end && is_regular(*q)))
		return ESD_EINVAL;
	l->p = q;
	if (real || v > INT64_MAX) {
		o->t = PDF_REAL;
		o->u.real.p = (const char *)s;
		o->u.real.len = (size_t)(q - s);
		return 0;
	}
	o->t = PDF_INT;
	o->u.i = neg ? -(int64_t)v : (int64_t)v;
	if (!neg && *s != '+' && v <= PDF_MAX_OBJNUM) {
		struct pdf_lex save = *l;
		uint64_t gen;

		if (pdf_lex_uint(l, &gen) == 0 && gen <= 65535 &&
		    pdf_lex_keyword(l, "R")) {
			o->t = PDF_REF;
			o->u.r.num = (uint32_t)v;
			o->u.r.gen = (uint32_t)gen;
			return 0;
		}
		*l = save;
	}
	return 0;
}

int pdf_parse_obj(struct pdf_lex *l, struct pdf_obj **out)
{
	struct pdf_obj *o, *k, *v;
	int rc = ESD_EINVAL;

	pdf_lex_skip_ws(l);
	if (l->p >= l->end)
		return ESD_EINVAL;
	if (l->depth >= PDF_MAX_DEPTH)
		return ESD_EINVAL;
	o = pdf_obj_new(l->arena, PDF_NULL);
	if (o == NULL)
		return ESD_ENOMEM;
	l->depth++;
	switch (*l->p) {
	case '/':
		rc = parse_name(l, o);
		break;
	case '(':
		rc = parse_litstr(l, o);
		break;
	case '[':
		o->t = PDF_ARRAY;
		l->p++;
		for (;;) {
			pdf_lex_skip_ws(l);
			if (l->p >= l->end)
				goto out;
			if (*l->p == ']') {
				l->p++;
				break;
			}
			rc = pdf_parse_obj(l, &v);
			if (rc == 0)
				rc = pdf_array_push(l->arena, o, v);
			if (rc != 0)
				goto out;
		}
		rc = 0;
		break;
	case '<':
		if (l->p + 1 < l->end && l->p[1] != '<') {
			rc = parse_hexstr(l, o);
			break;
		}
		if (l->p + 1 >= l->end)
			goto out;          /* a lone '<' at the end */
		o->t = PDF_DICT;
		l->p += 2;
		for (;;) {
			pdf_lex_skip_ws(l);
			if (l->end - l->p >= 2 && l->p[0] == '>' &&
			    l->p[1] == '>') {
				l->p += 2;
				break;
			}
			rc = ESD_EINVAL;
			if (l->p >= l->end || *l->p != '/')
				goto out;
			rc = pdf_parse_obj(l, &k);
			if (rc == 0)
				rc = pdf_parse_obj(l, &v);
			if (rc != 0)
				goto out;
			rc = ESD_ENOMEM;
			if (o->u.d.n == o->u.d.cap) {
				size_t cap = o->u.d.cap ? o->u.d.cap * 2 : 8;
				struct pdf_kv *nkv;

				nkv = pdf_arena_alloc(l->arena,
						      cap * sizeof(*nkv));
				if (nkv == NULL)
					goto out;
				if (o->u.d.n > 0)
					memcpy(nkv, o->u.d.kv,
					       o->u.d.n * sizeof(*nkv));
				o->u.d.kv = nkv;
				o->u.d.cap = cap;
			}
			o->u.d.kv[o->u.d.n].key = k;
			o->u.d.kv[o->u.d.n].val = v;
			o->u.d.n++;
		}
		rc = 0;
		break;
	default:
		if ((*l->p >= '0' && *l->p <= '9') || *l->p == '+' ||
		    *l->p == '-' || *l->p == '.') {
			rc = parse_number(l, o);
		} else if (pdf_lex_keyword(l, "true")) {
			o->t = PDF_BOOL;
			o->u.b = 1;
			rc = 0;
		} else if (pdf_lex_keyword(l, "false")) {
			o->t = PDF_BOOL;
			rc = 0;
		} else if (pdf_lex_keyword(l, "null")) {
			rc = 0;
		}
		break;
	}
out:
	l->depth--;
	if (rc == 0)
		*out = o;
	return rc;
}

int pdf_parse_obj_header(struct pdf_lex *l, uint32_t *num, uint32_t *gen)
{
	uint64_t n, g;

	if (pdf_lex_uint(l, &n) != 0 || pdf_lex_uint(l, &g) != 0 ||
	    !pdf_lex_keyword(l, "obj"))
		return ESD_EINVAL;
	if (n > PDF_MAX_OBJNUM || g > 65535)
		return ESD_EINVAL;
	*num = (uint32_t)n;
	*gen = (uint32_t)g;
	return 0;
}
