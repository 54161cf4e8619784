/*
 * libFuzzer target: the writers of pdf/ on a document that opens — the
 * update planner (pdf_sign_prepare: signature field, widget, appearance
 * with text lines and a QR code, the new xref section), /ByteRange and
 * its digest, /Contents, and the /DSS update (pdf_dss_append). The last
 * input byte picks the options (a trailing byte after %%EOF does not
 * change how a PDF reads), so one input explores one combination and a
 * crash reproduces exactly; /M is fixed for the same reason. Refusals
 * are expected; only memory errors, UB, leaks, hangs and aborts are
 * findings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "pdf/pdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
	OPT_VISIBLE = 1 << 0,   /* a widget on the first page */
	OPT_TEXT = 1 << 1,      /* its own text lines */
	OPT_QR = 1 << 2,        /* a QR code */
	OPT_TAIL = 1 << 3,      /* the update alone */
	OPT_PKCS7 = 1 << 4,     /* adbe.pkcs7.detached, else CAdES */
	OPT_SEAL = 1 << 5,      /* refuse_if_signed */
	OPT_DSS_FLATE = 1 << 6,
	OPT_DSS_VRI = 1 << 7,
};

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
	if (o->tail_only) {
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		if (ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
			(void)pdf_prepared_digest_tail(p, ctx);
		EVP_MD_CTX_free(ctx);
	} else {
		(void)pdf_prepared_digest(p, EVP_sha256(), dg, sizeof(dg),
					  &dglen);
	}
	(void)pdf_prepared_set_contents(p, blob, sizeof(blob), &reason);
	pdf_prepared_free(p);
}

static void dss(struct pdf_doc *d, unsigned sel)
{
	/* not parsed by pdf/: any bytes stand for DER */
	static const uint8_t cert[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	static const uint8_t ocsp[] = { 0x30, 0x03, 0x0a, 0x01, 0x00 };
	const struct pdf_blob certs[2] = { { cert, sizeof(cert) },
					   { cert, sizeof(cert) } };
	const struct pdf_blob ocsps[1] = { { ocsp, sizeof(ocsp) } };
	struct pdf_dss_data v = {
		.certs = certs, .ncerts = 2, .ocsps = ocsps, .nocsps = 1,
		.flate = !!(sel & OPT_DSS_FLATE), .vri = !!(sel & OPT_DSS_VRI),
		.tail_only = !!(sel & OPT_TAIL),
	};
	uint8_t *out = NULL;
	size_t outlen = 0;
	int reason = 0;

	if (pdf_dss_append(d, &v, &out, &outlen, &reason) == 0)
		free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdf_doc *d = NULL;
	struct pdf_sign_opts o;
	unsigned sel = size > 0 ? data[size - 1] : 0;
	int reason = 0;

	if (pdf_doc_open(data, size, &d, &reason) != 0)
		return 0;
	memset(&o, 0, sizeof(o));
	o.signing_time = 1700000000;
	o.refuse_if_signed = !!(sel & OPT_SEAL);
	o.tail_only = !!(sel & OPT_TAIL);
	o.sub_filter = sel & OPT_PKCS7 ? PDF_SUBFILTER_PKCS7 :
		       PDF_SUBFILTER_CADES;
	o.contents_size = 64;
	/* the byte before: a certification signature (DocMDP P) or not */
	o.docmdp = size > 1 ? data[size - 2] % 4 : 0;
	if (sel & OPT_VISIBLE) {
		o.field_name = "Fuzz";
		o.rect[0] = 72;
		o.rect[1] = 72;
		o.rect[2] = 272;
		o.rect[3] = 142;
		o.reason = "fuzz";
		o.location = "J\xc3\xa4karta";
		if (sel & OPT_TEXT)
			o.text = "Sealed\nby fuzz";
		if (sel & OPT_QR)
			o.qr_text = "https://verify.example/1";
	}
	plan(d, &o);
	dss(d, sel);
	pdf_doc_free(d);
	return 0;
}
