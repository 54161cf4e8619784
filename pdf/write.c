/*
 * Writes a planned signature update: the signature (or document timestamp)
 * dictionary, the field, the appearance, the changed objects, the xref
 * section (update.c) and the patched /ByteRange.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "pdf/sign_int.h"

#define BR_WIDTH 64          /* "0 a b c" padded with spaces */

static void opt_entry(struct pdf_buf *b, const char *key,
		      const struct pdf_obj *v)
{
	if (v == NULL)
		return;
	pdf_buf_puts(b, key);
	pdf_obj_write(b, v);
}

/* Writes the signature dictionary; *br_pos and *hex_pos are positions in
 * u->b of the /ByteRange placeholder and the first hex digit. */
static void write_sig(struct pdf_upd *u, const struct sign_plan *pl,
		      size_t *br_pos, size_t *hex_pos)
{
	struct pdf_buf *b = &u->b;
	char date[64];
	struct tm tm;
	size_t hex = pl->contents * 2;

	pdf_upd_obj_begin(u, pl->sig_num, 0);
	/* The dictionary, the placeholder and what follows it in the update
	 * (the catalog, the field, the xref) fit without growing again. */
	pdf_buf_reserve(b, hex + 16384);
	if (pl->subfilter == PDF_SUBFILTER_RFC3161) {
		/* ETSI EN 319 142-1 §5.4.3: no /M, the token carries the time */
		pdf_buf_puts(b, "<</Type/DocTimeStamp/Filter/Adobe.PPKLite"
			     "/SubFilter/ETSI.RFC3161");
	} else {
		pdf_buf_printf(b, "<</Type/Sig/Filter/Adobe.PPKLite"
			       "/SubFilter/%s",
			       pl->subfilter == PDF_SUBFILTER_PKCS7 ?
			       "adbe.pkcs7.detached" : "ETSI.CAdES.detached");
		if (gmtime_r(&pl->time, &tm) != NULL &&
		    strftime(date, sizeof(date), "D:%Y%m%d%H%M%S+00'00'",
			     &tm) > 0)
			pdf_buf_printf(b, "/M(%s)", date);
		opt_entry(b, "/Name", pl->name);
		opt_entry(b, "/Reason", pl->reason);
		opt_entry(b, "/Location", pl->location);
		opt_entry(b, "/ContactInfo", pl->contact);
		/* ISO 32000-1 §12.8.2.2, Tables 253 and 254: a certification
		 * signature names its DocMDP transform */
		if (pl->docmdp != 0)
			pdf_buf_printf(b, "/Reference [<</Type/SigRef"
				       "/TransformMethod/DocMDP"
				       "/TransformParams<</Type/TransformParams"
				       "/P %d/V/1.2>>>>]", pl->docmdp);
	}
	pdf_buf_puts(b, "/ByteRange [");
	*br_pos = b->len;
	for (int i = 0; i < BR_WIDTH; i++)
		pdf_buf_put(b, " ", 1);
	pdf_buf_puts(b, "]/Contents <");
	*hex_pos = b->len;
	pdf_buf_fill(b, '0', hex);
	pdf_buf_puts(b, ">>>");
	pdf_upd_obj_end(u);
}

int pdf_sign_write(struct pdf_doc *d, struct sign_plan *pl,
		   struct pdf_prepared **out)
{
	struct pdf_upd u;
	struct pdf_prepared *p = NULL;
	size_t br_pos = 0, hex_pos = 0;
	uint32_t size;
	char br[BR_WIDTH + 1];
	int rc, n;

	pdf_upd_init(&u, d);
	write_sig(&u, pl, &br_pos, &hex_pos);
	pdf_upd_obj(&u, pl->field_num, 0, pl->field);
	if (pl->visible)
		pdf_ap_write(&u, pl);
	for (size_t i = 0; i < pl->nmods; i++)
		pdf_upd_obj(&u, pl->mods[i].num, pl->mods[i].gen,
			    pl->mods[i].o);
	size = pl->next > d->size ? pl->next : (uint32_t)d->size;
	rc = ESD_ENOMEM;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto out;
	rc = pdf_upd_finish(&u, size, pl->tail_only, &p->buf, &p->len);
	if (rc != 0)
		goto out;
	p->base = pl->tail_only ? d->len : 0;
	p->hex_off = (pl->tail_only ? 0 : d->len) + hex_pos;
	p->hex_len = pl->contents * 2;
	/* §12.8.1: the gap is exactly the hex string with its delimiters */
	p->br[0] = 0;
	p->br[1] = p->base + p->hex_off - 1;
	p->br[2] = p->base + p->hex_off + p->hex_len + 1;
	p->br[3] = p->base + p->len - p->br[2];
	n = snprintf(br, sizeof(br), "0 %llu %llu %llu",
		     (unsigned long long)p->br[1],
		     (unsigned long long)p->br[2],
		     (unsigned long long)p->br[3]);
	rc = ESD_EINTERNAL;
	if (n < 0 || n > BR_WIDTH)
		goto out;
	memcpy(p->buf + (p->hex_off - hex_pos) + br_pos, br, (size_t)n);
	*out = p;
	p = NULL;
	rc = 0;
out:
	pdf_prepared_free(p);
	pdf_upd_free(&u);
	return rc;
}
