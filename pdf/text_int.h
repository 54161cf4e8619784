/*
 * Internal to the text finder (pdf/text.c) and its fonts (pdf/font.c):
 * the content-stream tokenizer they share, and what a font gives the
 * finder (code length, /ToUnicode map, widths).
 */
#ifndef ESD_PDF_TEXT_INT_H
#define ESD_PDF_TEXT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pdf/pdf_int.h"

/* A code range of a /ToUnicode map or of composite widths. */
struct rng {
	uint32_t lo, hi;
	uint32_t cp[4];    /* code points of lo (the last one counts up) */
	uint8_t ncp;
	double w;          /* width, for width ranges */
};

struct font {
	struct font *next;
	const struct pdf_obj *dict;
	int nbytes;                    /* code length: 1, or 2 for Type0 */
	struct rng *map, *wid;
	size_t nmap, nwid;
	int64_t first;                 /* simple fonts: /FirstChar */
	const struct pdf_obj *widths;  /* simple fonts: /Widths */
	double dw;                     /* default width (glyph space) */
	char base[40];                 /* /BaseFont, for standard widths */
	double wscale;                 /* glyph space to text space: 1/1000,
					* or a Type3 font's /FontMatrix */
};


/* dict[key], resolved; NULL if absent or dict is no dictionary. */
struct pdf_obj *pdf_text_get(struct pdf_doc *d, const struct pdf_obj *dict,
			     const char *key);
/* The big-endian value of n bytes. */
uint32_t pdf_text_be(const uint8_t *p, size_t n);

/* 1 and an operand in *obj or an operator in op (NUL-terminated, at most
 * 23 bytes) for each token; 0 at the end. */
int pdf_text_tok(struct pdf_lex *l, struct pdf_obj **obj, char op[24]);
/* After "ID": the image data up to white space, "EI", white space. */
void pdf_text_skip_inline_image(struct pdf_lex *l);

/* The range of r[0..n) (sorted) that holds code, or NULL. */
const struct rng *pdf_rng_find(const struct rng *r, size_t n, uint32_t code);
/* The font of dict, from the list *fonts or read and added to it. */
int pdf_font_get(struct pdf_doc *d, struct font **fonts,
		 const struct pdf_obj *dict, struct font **out);
/* The width of code in glyph space (times f->wscale: text space). */
double pdf_font_width(struct pdf_doc *d, const struct font *f, uint32_t code);
void pdf_fonts_free(struct font *f);

#endif
