/*
 * libFuzzer target: the PDF reader (pdf/pdf.h) alone. Opens the input
 * (xref tables and streams, /Prev chains, object streams, filters and
 * predictors, and the repair scan when the xref lies), then reads what
 * a verify or a seal reads before planning: signatures (every string
 * and /Contents byte touched so ASan sees a bad pointer) and the page
 * tree. Refusals are expected; only memory errors, UB, leaks, hangs and
 * aborts are findings.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pdf/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sigs(const struct pdf_sig_info *s, size_t n)
{
	volatile size_t sink = 0;

	for (size_t i = 0; i < n; i++) {
		const char *str[] = { s[i].field_name, s[i].sub_filter,
				      s[i].filter, s[i].m, s[i].reason,
				      s[i].location, s[i].name,
				      s[i].contact_info };

		for (size_t k = 0; k < sizeof(str) / sizeof(str[0]); k++)
			if (str[k] != NULL)
				sink += strlen(str[k]);
		for (size_t k = 0; k < s[i].contents_len; k++)
			sink += s[i].contents[k];
	}
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_doc *d = NULL;
	const struct pdf_sig_info *sigs;
	unsigned n;
	size_t nsigs;
	int reason = 0;

	if (pdf_doc_open(data, size, &d, &reason) != 0)
		return 0;
	(void)pdf_doc_repaired(d);
	(void)pdf_doc_signature_count(d, &n);
	if (pdf_doc_signatures(d, &sigs, &nsigs) == 0)
		check_sigs(sigs, nsigs);
	(void)pdf_doc_page_count(d, &n);
	pdf_doc_free(d);
	return 0;
}
