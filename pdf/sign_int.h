/*
 * Private to pdf/sign.c and pdf/write.c: the planned incremental update.
 */
#ifndef ESD_PDF_SIGN_INT_H
#define ESD_PDF_SIGN_INT_H

#include <time.h>

#include "pdf/pdf_int.h"

#define SIGN_MAX_MODS 8

struct sign_mod {
	uint32_t num, gen;
	struct pdf_obj *o;    /* dict or array, written as "num gen obj" */
};

struct sign_plan {
	enum pdf_subfilter subfilter;
	time_t time;
	size_t contents;      /* DER bytes reserved */
	struct pdf_obj *reason, *location, *name, *contact; /* text strings */
	uint32_t sig_num, field_num, ap_num, next;
	struct pdf_obj *field;
	int visible;
	double w, h;
	struct sign_mod mods[SIGN_MAX_MODS];
	size_t nmods;
};

struct pdf_prepared {
	uint8_t *buf;
	size_t len;
	size_t hex_off, hex_len;  /* hex digits inside "<...>" */
	uint64_t br[4];
};

/* Serialises the plan after the original bytes; write.c. */
int pdf_sign_write(struct pdf_doc *d, struct sign_plan *pl,
		   struct pdf_prepared **out);

#endif
