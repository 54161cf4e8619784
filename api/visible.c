/*
 * The native "visible" field (docs/api.md): a rect on a page, or a box
 * placed at a text the document shows (BSrE's tag_koordinat).
 */
#include <stdio.h>
#include <string.h>
#include <jansson.h>

#include "api/visible.h"
#include "common/err.h"


/* A pair of numbers in [lo, 14400]. */
static int num_pair(json_t *a, double lo, double v[2])
{
	if (!json_is_array(a) || json_array_size(a) != 2)
		return ESD_EINVAL;
	for (size_t i = 0; i < 2; i++) {
		json_t *x = json_array_get(a, i);

		if (!json_is_number(x) || json_number_value(x) < lo ||
		    json_number_value(x) > 14400)
			return ESD_EINVAL;
		v[i] = json_number_value(x);
	}
	return 0;
}

/* {"anchor": "#ttd#", "size": [w, h], "offset": [dx, dy]} */
static int parse_anchor(json_t *j, struct anchor *an)
{
	const char *t = json_string_value(json_object_get(j, "anchor"));
	double sz[2], off[2] = { 0, 0 };

	if (t == NULL || t[0] == '\0' || strlen(t) >= sizeof(an->text) ||
	    json_object_get(j, "rect") != NULL ||
	    json_object_get(j, "page") != NULL ||
	    num_pair(json_object_get(j, "size"), 1, sz) != 0 ||
	    (json_object_get(j, "offset") != NULL &&
	     num_pair(json_object_get(j, "offset"), -14400, off) != 0))
		return ESD_EINVAL;
	snprintf(an->text, sizeof(an->text), "%s", t);
	an->w = sz[0];
	an->h = sz[1];
	an->dx = off[0];
	an->dy = off[1];
	return 0;
}

/* "visible": {"page": 1, "rect": [x1, y1, x2, y2]} (PDF points, page 1 =
 * the first page), or placed at a text (parse_anchor). */
int api_parse_visible(const char *text, struct pdf_sign_opts *o,
			 struct anchor *an, struct resp *out)
{
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, NULL), *rect;
	json_int_t page;
	int rc = ESD_EINVAL;

	if (j == NULL || !json_is_object(j))
		goto out;
	if (json_object_get(j, "anchor") != NULL) {
		rc = parse_anchor(j, an);
		goto out;
	}
	page = json_integer_value(json_object_get(j, "page"));
	rect = json_object_get(j, "rect");
	if (json_object_get(j, "page") != NULL &&
	    (!json_is_integer(json_object_get(j, "page")) || page < 1 ||
	     page > 100000))
		goto out;
	if (!json_is_array(rect) || json_array_size(rect) != 4)
		goto out;
	for (size_t i = 0; i < 4; i++) {
		json_t *v = json_array_get(rect, i);

		if (!json_is_number(v) || json_number_value(v) < 0 ||
		    json_number_value(v) > 14400)
			goto out;
		o->rect[i] = json_number_value(v);
	}
	if (o->rect[2] <= o->rect[0] || o->rect[3] <= o->rect[1])
		goto out;
	o->page = page > 0 ? (unsigned)page - 1 : 0;
	rc = 0;
out:
	if (rc != 0)
		resp_error(out, ESD_EINVAL,
			   "'visible' must be {\"page\": N, \"rect\": [x1, y1, "
			   "x2, y2]} with x2 > x1, y2 > y1, in points, or "
			   "{\"anchor\": TEXT, \"size\": [w, h], \"offset\": "
			   "[dx, dy]}");
	json_decref(j);
	return rc;
}

/* Places the box at the anchor's first appearance in the document. */
int api_place_at_anchor(struct pdf_doc *doc, const struct anchor *an,
			   struct pdf_sign_opts *o, struct resp *out)
{
	struct pdf_text_pos pos;
	int reason = 0, rc = pdf_find_text(doc, an->text, &pos, &reason);

	if (rc == ESD_ENOTFOUND) {
		resp_error(out, ESD_EANCHOR, "the anchor text is not shown in "
			   "any page of the document");
		return rc;
	}
	if (rc != 0) {
		api_pdf_error(out, rc, reason);
		return rc;
	}
	o->page = pos.page;
	o->rect[0] = pos.x + an->dx;
	o->rect[1] = pos.y + an->dy;
	o->rect[2] = o->rect[0] + an->w;
	o->rect[3] = o->rect[1] + an->h;
	return 0;
}

