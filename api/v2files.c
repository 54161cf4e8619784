/*
 * The documents of a BSrE v2 body, taken out of the raw JSON
 * (v2files.h).
 */
#include <stdlib.h>
#include <string.h>

#include "api/v2files.h"
#include "common/err.h"
#include "common/util.h"

void v2_files_free(struct v2_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->pdf[i]);
	memset(f, 0, sizeof(*f));
}

static const char *ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p at '"': just after the closing quote, or NULL; *esc if escapes. */
static const char *str_end(const char *p, const char *e, int *esc)
{
	const char *q = memchr(p + 1, '"', (size_t)(e - p - 1));

	/* The common case, a base64 string: no backslash before the quote. */
	if (q != NULL && memchr(p + 1, '\\', (size_t)(q - p - 1)) == NULL)
		return q + 1;
	for (p++; p < e; p++) {
		if (*p == '\\') {
			*esc = 1;
			p++;
		} else if (*p == '"') {
			return p + 1;
		}
	}
	return NULL;
}

/* p at a value: just after it, or NULL. */
static const char *skip_value(const char *p, const char *e)
{
	int depth = 0, esc = 0;

	do {
		p = ws(p, e);
		if (p >= e)
			return NULL;
		if (*p == '"') {
			if ((p = str_end(p, e, &esc)) == NULL)
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			if (--depth < 0)
				return NULL;
			p++;
		} else if (*p == ',' || *p == ':') {
			p++;
		} else {
			/* a number or literal: at least one character (a NUL
			 * too: memchr, unlike strchr, does not match it) */
			do
				p++;
			while (p < e && memchr(",:]} \t\r\n", *p, 8) == NULL);
		}
	} while (depth > 0);
	return p;
}

static int b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/* Decodes the base64 string between the quotes at q and end - 1. Raw
 * control characters are not JSON: a NUL, or white space at either end
 * (which OpenSSL's decoder would trim), refuses the string; OpenSSL
 * refuses any other character outside the alphabet. */
static int take_one(char *q, char *end, int esc, uint8_t **pdf, size_t *len)
{
	char *s = q + 1, save = end[-1], *tmp = NULL;
	size_t n = (size_t)(end - 1 - s), k = 0;
	int rc;

	if (n > 0 && (!b64_char(s[0]) || !b64_char(s[n - 1]) ||
		      memchr(s, '\0', n) != NULL))
		return ESD_EINVAL;
	if (esc) {
		/* Only "\/" (some encoders escape every slash). */
		if ((tmp = malloc(n + 1)) == NULL)
			return ESD_ENOMEM;
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '\\' && (i + 1 >= n || s[++i] != '/')) {
				free(tmp);
				return ESD_EINVAL;
			}
			tmp[k++] = s[i];
		}
		tmp[k] = '\0';
		rc = esd_b64_decode(tmp, pdf, len);
		free(tmp);
		return rc;
	}
	end[-1] = '\0';
	rc = esd_b64_decode(s, pdf, len);
	end[-1] = save;
	return rc;
}

void v2_files_take(char *b, size_t *len, struct v2_files *f)
{
	char *e, *p, *q[V2_MAX_FILES], *qe[V2_MAX_FILES];
	const char *c;
	size_t n = 0;
	int esc, single, qesc[V2_MAX_FILES];

	memset(f, 0, sizeof(*f));
	if (b == NULL)
		return;
	e = b + *len;
	if ((p = (char *)ws(b, e)) >= e || *p != '{')
		return;
	for (p++;;) {
		const char *k;

		esc = 0;
		p = (char *)ws(p, e);
		if (p >= e || *p != '"')
			return;
		k = p + 1;
		if ((c = str_end(p, e, &esc)) == NULL)
			return;
		p = (char *)ws(c, e);
		if (p >= e || *p != ':')
			return;
		p = (char *)ws(p + 1, e);
		if (!esc && c - 1 - k == 4 && memcmp(k, "file", 4) == 0)
			break;
		if ((c = skip_value(p, e)) == NULL)
			return;
		p = (char *)ws(c, e);
		if (p >= e || *p != ',')
			return;
		p++;
	}
	/* p at the value of "file" */
	single = p < e && *p == '"';
	if (!single) {
		if (p >= e || *p != '[')
			return;
		p = (char *)ws(p + 1, e);
	}
	while (p < e && *p == '"') {
		if (n == V2_MAX_FILES)
			return;
		qesc[n] = 0;
		if ((c = str_end(p, e, &qesc[n])) == NULL)
			return;
		q[n] = p;
		qe[n++] = (char *)c;
		p = (char *)ws(c, e);
		if (single)
			break;
		if (p < e && *p == ',')
			p = (char *)ws(p + 1, e);
		else
			break;
	}
	if (n == 0 || (!single && (p >= e || *p != ']')))
		return;
	for (size_t i = 0; i < n; i++, f->n = i)
		if (take_one(q[i], qe[i], qesc[i], &f->pdf[i], &f->len[i]) != 0) {
			v2_files_free(f);
			return;
		}
	/* Each string becomes "": the rest of the body moves up (jansson
	 * reads white space as slowly as strings). */
	p = q[0];
	c = q[0];
	for (size_t i = 0; i < n; i++) {
		memmove(p, c, (size_t)(q[i] - c));
		p += q[i] - c;
		*p++ = '"';
		*p++ = '"';
		c = qe[i];
	}
	memmove(p, c, (size_t)(e - c));
	p += e - c;
	*p = '\0';
	*len = (size_t)(p - b);
	f->taken = 1;
}
