/*
 * The signatures of every revision of a document: those the document as
 * it is now lists (pdf_doc_signatures), and those only an earlier
 * revision has (a field removed, a /Root swapped), so that no signature
 * can be hidden from the verifier by an update. Each earlier revision is
 * opened on its own, without repair (pdf_doc_open_exact).
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "pdf/pdf_int.h"

#define MAX_REVISIONS 256
#define SCAN_ALL (32u << 20)   /* files scanned whole for %%EOF */
#define SCAN_TAIL (1u << 20)   /* how far after an xref section */

static int same_sig(const struct pdf_sig_info *x, const struct pdf_sig_info *y)
{
	return x->obj_num == y->obj_num &&
	       x->has_byte_range == y->has_byte_range &&
	       memcmp(x->byte_range, y->byte_range, sizeof(x->byte_range)) == 0;
}

int pdf_doc_signatures_all(struct pdf_doc *d, const struct pdf_sig_info **out,
			   size_t *n)
{
	const struct pdf_sig_info *cur;
	struct pdf_sig_info *v;
	size_t ncur, nv = 0, cap;
	const uint8_t *p = d->buf, *e = d->buf + d->len;
	unsigned revs = 0;
	int rc;

	if (d->allsigs_done) {
		*out = d->allsigs;
		*n = d->nallsigs;
		return 0;
	}
	rc = pdf_doc_signatures(d, &cur, &ncur);
	if (rc != 0)
		return rc;
	cap = ncur + 8;
	v = pdf_arena_alloc(&d->arena, cap * sizeof(*v));
	if (v == NULL)
		return ESD_ENOMEM;
	if (ncur > 0)
		memcpy(v, cur, ncur * sizeof(*v));
	nv = ncur;
	/* every earlier revision that opens on its own: a signature it has
	 * and the document no longer lists (its field removed, the /Root
	 * swapped) is listed all the same. The revisions: each %%EOF of a
	 * file up to SCAN_ALL bytes; of a larger one (spooled, whose pages
	 * are not all read in), the %%EOF after each xref section the
	 * reader follows. */
	for (;;) {
		size_t end;
		struct pdf_doc *a = NULL;
		const struct pdf_sig_info *as;
		size_t na;

		if (revs >= MAX_REVISIONS)
			break;
		if (d->len <= SCAN_ALL) {
			p = memmem(p, (size_t)(e - p), "%%EOF", 5);
		} else {
			size_t s;

			if (revs >= d->nsections)
				break;
			s = (size_t)d->sections[d->nsections - 1 - revs];
			p = s < d->len ? memmem(d->buf + s, (d->len - s) < SCAN_TAIL ?
					 d->len - s : SCAN_TAIL, "%%EOF", 5) :
					 NULL;
			if (p == NULL) {
				revs++;
				continue;
			}
		}
		if (p == NULL)
			break;
		end = (size_t)(p + 5 - d->buf);
		p += 5;
		if (end < d->len && d->buf[end] == '\r')
			end++;
		if (end < d->len && d->buf[end] == '\n')
			end++;
		revs++;
		if (end >= d->len) {
			if (d->len <= SCAN_ALL)
				break;
			continue;
		}
		rc = pdf_doc_open_exact(d->buf, end, &a);
		if (rc == ESD_ENOMEM)
			return rc;
		if (rc != 0)
			continue;
		rc = pdf_doc_signatures(a, &as, &na);
		for (size_t i = 0; rc == 0 && !a->repaired && i < na; i++) {
			int seen = 0;
			size_t k, at = nv;

			for (k = 0; k < nv && !seen; k++)
				seen = same_sig(&v[k], &as[i]);
			if (seen)
				continue;
			/* the same dictionary re-declared with another
			 * /ByteRange: what counts is the version signed */
			for (k = 0; k < nv && at == nv; k++)
				if (as[i].obj_num != 0 &&
				    v[k].obj_num == as[i].obj_num &&
				    !v[k].removed && k < ncur)
					at = k;
			if (at == nv && nv == cap) {
				struct pdf_sig_info *nn;

				cap *= 2;
				nn = pdf_arena_alloc(&d->arena,
						     cap * sizeof(*nn));
				if (nn == NULL) {
					rc = ESD_ENOMEM;
					break;
				}
				memcpy(nn, v, nv * sizeof(*nn));
				v = nn;
			}
			v[at] = as[i];
			v[at].field_name = pdf_arena_strdup(&d->arena, as[i].field_name);
			v[at].sub_filter = pdf_arena_strdup(&d->arena, as[i].sub_filter);
			v[at].filter = pdf_arena_strdup(&d->arena, as[i].filter);
			v[at].m = pdf_arena_strdup(&d->arena, as[i].m);
			v[at].reason = pdf_arena_strdup(&d->arena, as[i].reason);
			v[at].location = pdf_arena_strdup(&d->arena, as[i].location);
			v[at].name = pdf_arena_strdup(&d->arena, as[i].name);
			v[at].contact_info = pdf_arena_strdup(&d->arena, as[i].contact_info);
			v[at].covers_whole_file = 0;
			v[at].widget = NULL;    /* a's, freed below */
			v[at].contents = NULL;
			if (as[i].contents != NULL) {
				uint8_t *c = pdf_arena_alloc(
					&d->arena, as[i].contents_raw_len + 1);

				if (c == NULL) {
					rc = ESD_ENOMEM;
					break;
				}
				memcpy(c, as[i].contents, as[i].contents_raw_len);
				v[at].contents = c;
			}
			v[at].removed = at == nv;
			if (at == nv)
				nv++;
		}
		pdf_doc_free(a);
		if (rc == ESD_ENOMEM)
			return rc;
	}
	d->allsigs = v;
	d->nallsigs = nv;
	d->allsigs_done = 1;
	*out = v;
	*n = nv;
	return 0;
}
