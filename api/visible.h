/*
 * Where a visible signature goes (visible.c): the native "visible" field,
 * a rect on a page or a box placed at a text the document shows.
 */
#ifndef ESD_API_VISIBLE_H
#define ESD_API_VISIBLE_H

#include "api/api.h"
#include "pdf/pdf.h"

/* Where a visible signature goes when it is placed at a text: a box of
 * size w x h whose lower-left corner is offset (dx, dy) from the start of
 * the anchor's baseline, on the first page that shows it. */
struct anchor {
	char text[257];      /* "" = placed by page and rect */
	double w, h, dx, dy;
};

/* Parses "visible" into o (page, rect) or an (anchor); 0, or the error
 * response in out. */
int api_parse_visible(const char *text, struct pdf_sign_opts *o,
		      struct anchor *an, struct resp *out);
/* Sets o's page and rect from where an's text is first shown in doc; 0,
 * or the error response (422 anchor_not_found) in out. */
int api_place_at_anchor(struct pdf_doc *doc, const struct anchor *an,
			struct pdf_sign_opts *o, struct resp *out);

#endif
