/*
 * libFuzzer target: revision analysis (pdf_doc_signatures_all and
 * pdf_revision_diff, pdf/revision.c).
 *
 * Opens the input as a document, lists the signatures of every revision
 * and compares each signature's signed revision with the document. Every
 * string and the decoded /Contents handed back are touched so that ASan
 * sees a dangling one (they are copied out of the signed revision's
 * arena). Refusals are expected; only memory errors, UB, leaks, hangs and
 * aborts are findings. Seeds: any signed PDF (tests/fuzz/seeds/pdf) and
 * the files tests/integration/attacks.py writes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pdf/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const struct pdf_sig_info *s)
{
	const char *str[] = { s->field_name, s->sub_filter, s->filter, s->m,
			      s->reason, s->location, s->name,
			      s->contact_info };
	size_t sink = 0;

	for (size_t k = 0; k < sizeof(str) / sizeof(str[0]); k++)
		if (str[k] != NULL)
			sink += strlen(str[k]);
	for (size_t k = 0; s->contents != NULL && k < s->contents_raw_len; k++)
		sink += s->contents[k];
	sink += (size_t)s->docmdp_p + (size_t)s->docmdp_in_perms + s->page;
	if (s->has_rect)
		sink += s->rect[0] + s->rect[3] > 0;
	return sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pdf_sig_info *sigs;
	struct pdf_rev_diff rd;
	struct pdf_doc *d = NULL;
	volatile size_t sink = 0;
	size_t n = 0;

	if (size > (4u << 20))
		return 0;
	if (pdf_doc_open(data, size, &d, NULL) != 0)
		return 0;
	if (pdf_doc_signatures_all(d, &sigs, &n) == 0) {
		for (size_t i = 0; i < n && i < 8; i++) {
			sink += touch(&sigs[i]);
			if (pdf_revision_diff(d, &sigs[i], &rd) != 0)
				break;
			sink += rd.changes + rd.nobjs + rd.npages;
			for (size_t k = 0; k < rd.nobjs; k++)
				sink += rd.objs[k];
			if (rd.sig_found)
				sink += touch(&rd.sig);
			(void)pdf_change_name(rd.changes & 63);
		}
	}
	(void)sink;
	pdf_doc_free(d);
	return 0;
}
