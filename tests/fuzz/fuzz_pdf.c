/*
 * libFuzzer target: the PDF reader and the update planner (pdf/pdf.h).
 *
 * Opens the input as a document; if it opens, counts signatures and
 * pages, lists the signatures, plans an update three ways (default
 * options, refuse_if_signed as a seal does, and a visible widget on the
 * first page), digests the byte range and fills /Contents with a small
 * blob. Refusals are expected; only memory errors, UB, leaks, hangs and
 * aborts are findings. /M is fixed so that a crash reproduces exactly.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

#include "pdf/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_sigs(const struct pdf_sig_info *s, size_t n)
{
	volatile size_t sink = 0;

	/* Touch every pointer the reader hands out so ASan sees bad ones. */
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

static void plan(struct pdf_doc *d, const struct pdf_sign_opts *o)
{
	static const uint8_t blob[] = { 0x30, 0x82, 0x00, 0x04, 0x02, 0x01,
					0x01, 0x05, 0x00 };
	struct pdf_prepared *p = NULL;
	uint8_t dg[EVP_MAX_MD_SIZE];
	const uint8_t *out;
	uint64_t br[4];
	size_t dglen, outlen;
	int reason = 0;

	if (pdf_sign_prepare(d, o, &p, &reason) != 0)
		return;
	pdf_prepared_output(p, &out, &outlen);
	pdf_prepared_byte_range(p, br);
	(void)pdf_prepared_contents_cap(p);
	(void)pdf_prepared_digest(p, EVP_sha256(), dg, sizeof(dg), &dglen);
	(void)pdf_prepared_set_contents(p, blob, sizeof(blob), &reason);
	pdf_prepared_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_doc *d = NULL;
	const struct pdf_sig_info *sigs;
	struct pdf_sign_opts o;
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
	/* Content streams, fonts and /ToUnicode maps: the text finder (on
	 * small inputs: it reads every page of a large corpus file). */
	if (size <= 65536) {
		struct pdf_text_pos pos;

		(void)pdf_find_text(d, "#ttd#", &pos, &reason);
	}

	memset(&o, 0, sizeof(o));
	o.signing_time = 1700000000;
	plan(d, &o);
	o.refuse_if_signed = 1;
	plan(d, &o);

	memset(&o, 0, sizeof(o));
	o.signing_time = 1700000000;
	o.field_name = "Fuzz";
	o.rect[0] = 72;
	o.rect[1] = 72;
	o.rect[2] = 272;
	o.rect[3] = 142;
	o.reason = "fuzz";
	o.sub_filter = PDF_SUBFILTER_PKCS7;
	o.contents_size = 64;
	plan(d, &o);

	pdf_doc_free(d);
	return 0;
}
