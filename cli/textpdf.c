/*
 * Plain-text PDFs for esignctl (the conformance kit's sample document and
 * its report): A4 pages of Helvetica lines, 48 to a page, written in one
 * pass with a classic xref table. Text outside printable ASCII becomes
 * '?' (the standard font's WinAnsi encoding would misread UTF-8).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"

#define LINES_PER_PAGE 48

struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (p == NULL) {
			b->err = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void putf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void putf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		b->err = 1;
	else
		put(b, tmp, (size_t)n);
}

/* One line as a PDF literal string: ASCII, ( ) \ escaped. */
static void put_line(struct buf *b, const char *s)
{
	put(b, "(", 1);
	for (; *s != '\0'; s++) {
		char c = *s >= 0x20 && *s <= 0x7e ? *s : '?';

		if (c == '(' || c == ')' || c == '\\')
			put(b, "\\", 1);
		put(b, &c, 1);
	}
	put(b, ") Tj T*\n", 8);
}

/* Object n begins here. */
static void obj_start(struct buf *b, size_t *offs, size_t n)
{
	offs[n] = b->len;
	putf(b, "%zu 0 obj\n", n);
}

int cli_text_pdf(const char *const *lines, size_t n, uint8_t **out,
		 size_t *len)
{
	size_t pages = n ? (n + LINES_PER_PAGE - 1) / LINES_PER_PAGE : 1;
	size_t nobj = 3 + 2 * pages, *offs = calloc(nobj + 1, sizeof(*offs));
	struct buf b = { NULL, 0, 0, 0 }, c;
	size_t xref;

	if (offs == NULL)
		return ESD_ENOMEM;
	put(&b, "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 15);
	obj_start(&b, offs, 1);
	putf(&b, "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	obj_start(&b, offs, 2);
	putf(&b, "<< /Type /Pages /Count %zu /Kids [", pages);
	for (size_t p = 0; p < pages; p++)
		putf(&b, " %zu 0 R", 4 + 2 * p);
	putf(&b, " ] >>\nendobj\n");
	obj_start(&b, offs, 3);
	putf(&b, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
	     "/Encoding /WinAnsiEncoding >>\nendobj\n");
	for (size_t p = 0; p < pages; p++) {
		c = (struct buf){ NULL, 0, 0, 0 };
		putf(&c, "BT /F1 10 Tf 13 TL 56 790 Td\n");
		for (size_t i = p * LINES_PER_PAGE;
		     i < n && i < (p + 1) * LINES_PER_PAGE; i++)
			put_line(&c, lines[i]);
		putf(&c, "ET\n");
		obj_start(&b, offs, 4 + 2 * p);
		putf(&b, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
		     "/Resources << /Font << /F1 3 0 R >> >> /Contents %zu 0 R >>"
		     "\nendobj\n", 5 + 2 * p);
		obj_start(&b, offs, 5 + 2 * p);
		putf(&b, "<< /Length %zu >>\nstream\n", c.len);
		put(&b, c.p ? c.p : "", c.len);
		putf(&b, "\nendstream\nendobj\n");
		b.err |= c.err;
		free(c.p);
	}
	xref = b.len;
	putf(&b, "xref\n0 %zu\n0000000000 65535 f \n", nobj + 1);
	for (size_t i = 1; i <= nobj; i++)
		putf(&b, "%010zu 00000 n \n", offs[i]);
	putf(&b, "trailer\n<< /Size %zu /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	     nobj + 1, xref);
	free(offs);
	if (b.err) {
		free(b.p);
		return ESD_ENOMEM;
	}
	*out = (uint8_t *)b.p;
	*len = b.len;
	return 0;
}
