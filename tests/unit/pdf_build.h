/*
 * Small hand-made PDFs for the pdf/ unit tests (test_pdf.c,
 * test_pdf_image.c): a growing byte buffer and a classic-xref document.
 */
#ifndef ESD_TESTS_PDF_BUILD_H
#define ESD_TESTS_PDF_BUILD_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mbuf {
	uint8_t *p;
	size_t len, cap;
};

static inline void put(struct mbuf *b, const void *s, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static inline void puts_(struct mbuf *b, const char *s)
{
	put(b, s, strlen(s));
}

static inline void printf_(struct mbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void printf_(struct mbuf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(tmp));
	put(b, tmp, (size_t)n);
}

/* Objects 1-3 of the small documents: catalog, pages, one page. */
static inline const char *basic_obj(int i)
{
	static const char *const objs[] = {
		"<</Type/Catalog/Pages 2 0 R>>",
		"<</Type/Pages/Kids[3 0 R]/Count 1>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
	};

	return objs[i];
}

/* A classic-xref document; extra goes into the trailer. With shift, every
 * offset in the table is wrong by that much (a damaged file). */
static inline void build_table_pdf(struct mbuf *b, const char *extra, long shift)
{
	size_t off[3];

	memset(b, 0, sizeof(*b));
	puts_(b, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
	for (int i = 0; i < 3; i++) {
		off[i] = b->len;
		printf_(b, "%d 0 obj\n%s\nendobj\n", i + 1, basic_obj(i));
	}
	size_t x = b->len;

	puts_(b, "xref\n0 4\n0000000000 65535 f \n");
	for (int i = 0; i < 3; i++)
		printf_(b, "%010ld 00000 n \n", (long)off[i] + shift);
	printf_(b, "trailer\n<</Size 4/Root 1 0 R%s>>\nstartxref\n%zu\n%%%%EOF\n",
		extra, x);
}

#endif
