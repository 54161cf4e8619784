/*
 * Private to pdf/sign.c, write.c, appearance.c and image.c: the planned
 * signature update.
 */
#ifndef ESD_PDF_SIGN_INT_H
#define ESD_PDF_SIGN_INT_H

#include <time.h>

#include "pdf/update_int.h"

#define SIGN_MAX_MODS 8

struct sign_mod {
	uint32_t num, gen;
	struct pdf_obj *o;    /* dict or array, written as "num gen obj" */
};

/* An image ready to embed as an XObject. */
struct pdf_img {
	struct pdf_image_info info;
	const uint8_t *data;  /* JPEG: the input; PNG: IDAT data (arena) */
	size_t len;
	int inverted;         /* Adobe CMYK JPEG: /Decode [1 0 ...] */
};

struct sign_plan {
	enum pdf_subfilter subfilter;
	time_t time;
	size_t contents;      /* DER bytes reserved */
	struct pdf_obj *reason, *location, *name, *contact; /* text strings */
	uint32_t sig_num, field_num, ap_num, img_num, next;
	struct pdf_obj *field;
	int visible;
	double w, h;
	int has_img;
	struct pdf_img img;
	struct pdf_obj *lines[5]; /* the caller's appearance text, or none */
	int nlines;
	uint8_t *qr;          /* qr_w * qr_w modules, 1 = dark (arena) */
	unsigned qr_w;
	struct sign_mod mods[SIGN_MAX_MODS];
	size_t nmods;
	int tail_only;        /* the prepared file is the update alone */
	int docmdp;           /* certification: DocMDP P (1-3), else 0 */
};

struct pdf_prepared {
	uint8_t *buf;             /* the file, or only the update (tail_only) */
	size_t len;
	uint64_t base;            /* file offset of buf[0]: 0, or the input's length */
	size_t hex_off, hex_len;  /* hex digits inside "<...>", in buf */
	uint64_t br[4];           /* file offsets */
};

/* Serialises the plan after the original bytes; write.c. */
int pdf_sign_write(struct pdf_doc *d, struct sign_plan *pl,
		   struct pdf_prepared **out);

/* appearance.c: checks and loads opts->image, opts->qr_text and
 * opts->text into the plan (PDF_R_BAD_OPTION in *why when refused). */
int pdf_ap_prepare(struct pdf_arena *a, struct sign_plan *pl,
		   const struct pdf_sign_opts *o, int *why);
/* Writes the appearance stream (ap_num) and the image (img_num). */
void pdf_ap_write(struct pdf_upd *u, const struct sign_plan *pl);

/* image.c: like pdf_image_probe, and fills img for embedding. */
int pdf_image_load(struct pdf_arena *a, const uint8_t *p, size_t len,
		   struct pdf_img *img, const char **why);

#endif
