/*
 * Private to pdf/: writing one incremental update (ISO 32000-1 §7.5.6).
 * Used by signatures (write.c), the DSS (dss.c) and appearances.
 */
#ifndef ESD_PDF_UPDATE_INT_H
#define ESD_PDF_UPDATE_INT_H

#include "pdf/pdf_int.h"

struct upd_ent {
	uint32_t num, gen;
	uint64_t off;
};

/* The bytes appended after the original file, and the objects in them. */
struct pdf_upd {
	struct pdf_doc *d;
	struct pdf_buf b;         /* b.p[0] is at file offset d->len */
	struct upd_ent *ent;
	size_t nent, cap;
};

/* Starts an update (on a fresh line after the original bytes). */
void pdf_upd_init(struct pdf_upd *u, struct pdf_doc *d);
void pdf_upd_free(struct pdf_upd *u);
/* "num gen obj" ... "endobj" around whatever the caller writes. */
void pdf_upd_obj_begin(struct pdf_upd *u, uint32_t num, uint32_t gen);
void pdf_upd_obj_end(struct pdf_upd *u);
/* A whole object (dict, array, ...; no stream). */
void pdf_upd_obj(struct pdf_upd *u, uint32_t num, uint32_t gen,
		 const struct pdf_obj *o);
/* A stream object: dict (without /Length, which is added) and raw data. */
void pdf_upd_stream(struct pdf_upd *u, uint32_t num,
		    const struct pdf_obj *dict, const uint8_t *data,
		    size_t len);
/* Ends the update with an xref section in the form of the file's last one
 * (/Prev to it; complete and without /Prev for a repaired file); size is
 * the new /Size before an xref stream takes number `size` for itself.
 * *out (malloc) is the original bytes followed by the update, or with
 * tail_only the update alone (to be written after the original bytes). */
int pdf_upd_finish(struct pdf_upd *u, uint32_t size, int tail_only,
		   uint8_t **out, size_t *outlen);
/* First object number free for an update: above /Size and above anything
 * in use. 0 when the file has no room left. */
uint32_t pdf_upd_first_free(const struct pdf_doc *d);

#endif
