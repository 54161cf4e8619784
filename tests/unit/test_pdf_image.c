/*
 * Unit tests for pdf/: images for visible signatures (pdf_image_probe on
 * hand-made PNG and JPEG headers) and the appearance options refused
 * with them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "common/err.h"
#include "pdf/pdf.h"
#include "tests/unit/pdf_build.h"

static void png_chunk(struct mbuf *b, const char *type, const void *data,
		      size_t n)
{
	uint8_t be[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16),
			  (uint8_t)(n >> 8), (uint8_t)n };
	uLong crc = crc32(0, (const Bytef *)type, 4);

	crc = crc32(crc, data, (uInt)n);
	put(b, be, 4);
	put(b, type, 4);
	if (n > 0)
		put(b, data, n);
	be[0] = (uint8_t)(crc >> 24);
	be[1] = (uint8_t)(crc >> 16);
	be[2] = (uint8_t)(crc >> 8);
	be[3] = (uint8_t)crc;
	put(b, be, 4);
}

/* A w x h PNG; rows = h (fewer makes the IDAT data short). */
static void build_png(struct mbuf *b, uint32_t w, uint32_t h, uint8_t depth,
		      uint8_t ctype, uint8_t interlace, uint32_t rows)
{
	static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', 0x0d, 0x0a,
					0x1a, 0x0a };
	uint8_t ihdr[13] = { (uint8_t)(w >> 24), (uint8_t)(w >> 16),
			     (uint8_t)(w >> 8), (uint8_t)w,
			     (uint8_t)(h >> 24), (uint8_t)(h >> 16),
			     (uint8_t)(h >> 8), (uint8_t)h,
			     depth, ctype, 0, 0, interlace };
	unsigned n = ctype == 2 ? 3 : ctype == 6 ? 4 : ctype == 4 ? 2 : 1;
	size_t row = (size_t)w * n * (depth / 8) + 1, raw_len = row * rows;
	uint8_t *raw = calloc(1, raw_len + 1), z[4096];
	uLongf zl = sizeof(z);

	assert_non_null(raw);
	for (size_t r = 0; r < rows; r++) {
		raw[r * row] = (uint8_t)(r % 5);      /* filter types 0..4 */
		for (size_t i = 1; i < row; i++)
			raw[r * row + i] = (uint8_t)(r * 31 + i);
	}
	assert_int_equal(compress(z, &zl, raw, (uLong)raw_len), Z_OK);
	memset(b, 0, sizeof(*b));
	put(b, sig, 8);
	png_chunk(b, "IHDR", ihdr, 13);
	/* two IDAT chunks: the data is their concatenation */
	png_chunk(b, "IDAT", z, zl / 2);
	png_chunk(b, "IDAT", z + zl / 2, zl - zl / 2);
	png_chunk(b, "IEND", "", 0);
	free(raw);
}

static void test_image_probe_reads_png_gray_and_rgb(void **state)
{
	struct pdf_image_info ii;
	const char *why = "x";
	struct mbuf b;

	(void)state;
	build_png(&b, 7, 5, 8, 2, 0, 5);
	assert_int_equal(pdf_image_probe(b.p, b.len, &ii, &why), 0);
	assert_int_equal(ii.kind, PDF_IMAGE_PNG);
	assert_int_equal(ii.width, 7);
	assert_int_equal(ii.height, 5);
	assert_int_equal(ii.components, 3);
	assert_null(why);
	free(b.p);
	build_png(&b, 3, 9, 8, 0, 0, 9);
	assert_int_equal(pdf_image_probe(b.p, b.len, &ii, &why), 0);
	assert_int_equal(ii.components, 1);
	assert_int_equal(ii.height, 9);
	free(b.p);
}

static void expect_png_refused(struct mbuf *b, const char *needle)
{
	struct pdf_image_info ii;
	const char *why = NULL;

	assert_int_equal(pdf_image_probe(b->p, b->len, &ii, &why), ESD_EINVAL);
	assert_non_null(why);
	if (strstr(why, needle) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", why, needle);
	free(b->p);
}

static void test_image_probe_refuses_unsupported_png(void **state)
{
	struct mbuf b;

	(void)state;
	build_png(&b, 4, 4, 8, 6, 0, 4);
	expect_png_refused(&b, "alpha");
	build_png(&b, 4, 4, 8, 4, 0, 4);
	expect_png_refused(&b, "alpha");
	build_png(&b, 4, 4, 8, 3, 0, 4);
	expect_png_refused(&b, "palette");
	build_png(&b, 4, 4, 16, 2, 0, 4);
	expect_png_refused(&b, "8-bit");
	build_png(&b, 4, 4, 8, 2, 1, 4);
	expect_png_refused(&b, "interlaced");
	build_png(&b, 4, 4, 8, 2, 0, 3);          /* one row short */
	expect_png_refused(&b, "corrupt");
	build_png(&b, 4, 4, 8, 2, 0, 4);
	b.p[b.len - 20] ^= 1;                     /* in an IDAT: CRC */
	expect_png_refused(&b, "CRC");
	build_png(&b, 4, 4, 8, 2, 0, 4);
	b.len -= 12;                              /* no IEND */
	expect_png_refused(&b, "truncated");
}

/* SOI, APP0, SOF (marker sof, precision, 3x2... ), SOS header, EOI. */
static void build_jpeg(struct mbuf *b, uint8_t sof, uint8_t precision,
		       uint8_t comps)
{
	static const uint8_t app0[] = { 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I',
					'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0 };
	uint8_t f[2 + 2 + 6 + 3 * 4];
	size_t n = 0;

	memset(b, 0, sizeof(*b));
	put(b, "\xff\xd8", 2);
	put(b, app0, sizeof(app0));
	f[n++] = 0xff;
	f[n++] = sof;
	f[n++] = 0;
	f[n++] = (uint8_t)(8 + 3 * comps);
	f[n++] = precision;
	f[n++] = 0x01; f[n++] = 0x2c;             /* height 300 */
	f[n++] = 0x01; f[n++] = 0x90;             /* width 400 */
	f[n++] = comps;
	for (uint8_t i = 0; i < comps; i++) {
		f[n++] = (uint8_t)(i + 1);
		f[n++] = 0x11;
		f[n++] = 0;
	}
	put(b, f, n);
	put(b, "\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00", 10);
	put(b, "\x12\x34\xff\xd9", 4);
}

static void test_image_probe_reads_jpeg_sof(void **state)
{
	struct pdf_image_info ii;
	struct mbuf b;

	(void)state;
	build_jpeg(&b, 0xc0, 8, 3);
	assert_int_equal(pdf_image_probe(b.p, b.len, &ii, NULL), 0);
	assert_int_equal(ii.kind, PDF_IMAGE_JPEG);
	assert_int_equal(ii.width, 400);
	assert_int_equal(ii.height, 300);
	assert_int_equal(ii.components, 3);
	free(b.p);
	build_jpeg(&b, 0xc2, 8, 1);               /* progressive, gray */
	assert_int_equal(pdf_image_probe(b.p, b.len, &ii, NULL), 0);
	assert_int_equal(ii.components, 1);
	free(b.p);
}

static void test_image_probe_refuses_unsupported_jpeg(void **state)
{
	static const uint8_t gif[] = "GIF89a\x01\x00\x01\x00";
	struct mbuf b;

	(void)state;
	build_jpeg(&b, 0xc3, 8, 3);
	expect_png_refused(&b, "lossless");
	build_jpeg(&b, 0xc9, 8, 3);
	expect_png_refused(&b, "arithmetic");
	build_jpeg(&b, 0xc1, 12, 3);
	expect_png_refused(&b, "8-bit");
	build_jpeg(&b, 0xc0, 8, 2);
	expect_png_refused(&b, "components");
	build_jpeg(&b, 0xc0, 8, 3);
	b.len = 2 + 18 + 6;                       /* inside the SOF */
	expect_png_refused(&b, "truncated");
	memset(&b, 0, sizeof(b));
	put(&b, gif, sizeof(gif) - 1);
	expect_png_refused(&b, "neither JPEG nor PNG");
}

static void test_prepare_refuses_bad_appearance_options(void **state)
{
	struct pdf_sign_opts o;
	struct pdf_doc *d = NULL;
	struct pdf_prepared *p = NULL;
	struct mbuf b, png;
	int reason;

	(void)state;
	build_table_pdf(&b, "", 0);
	assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
	build_png(&png, 4, 4, 8, 6, 0, 4);        /* RGBA: refused */
	memset(&o, 0, sizeof(o));
	o.rect[0] = 10; o.rect[1] = 10; o.rect[2] = 190; o.rect[3] = 70;
	o.image = png.p;
	o.image_len = png.len;
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), ESD_EINVAL);
	assert_int_equal(reason, PDF_R_BAD_OPTION);
	assert_null(p);
	free(png.p);
	build_png(&png, 4, 4, 8, 2, 0, 4);        /* fine, but no rect */
	o.image = png.p;
	o.image_len = png.len;
	memset(o.rect, 0, sizeof(o.rect));
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), ESD_EINVAL);
	assert_int_equal(reason, PDF_R_BAD_OPTION);
	o.image = NULL;
	o.qr_text = "";                           /* empty QR text */
	o.rect[2] = 100; o.rect[3] = 100;
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), ESD_EINVAL);
	assert_int_equal(reason, PDF_R_BAD_OPTION);
	o.qr_text = NULL;
	o.sub_filter = PDF_SUBFILTER_RFC3161;     /* timestamp + rect */
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), ESD_EINVAL);
	assert_int_equal(reason, PDF_R_BAD_OPTION);
	/* a good image and QR make an image XObject */
	o.sub_filter = PDF_SUBFILTER_CADES;
	o.image = png.p;
	o.qr_text = "https://example.org/v/1";
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), 0);
	{
		const uint8_t *out;
		size_t len;

		pdf_prepared_output(p, &out, &len);
		assert_non_null(memmem(out + b.len, len - b.len,
				       "/Subtype/Image/Width 4/Height 4", 31));
		assert_non_null(memmem(out + b.len, len - b.len,
				       "/Predictor 15/Colors 3", 22));
		assert_non_null(memmem(out + b.len, len - b.len, "/Im1 Do",
				       7));
	}
	pdf_prepared_free(p);
	free(png.p);
	pdf_doc_free(d);
	free(b.p);
}

/* ---- document timestamp and DSS ---- */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_probe_reads_png_gray_and_rgb),
		cmocka_unit_test(test_image_probe_refuses_unsupported_png),
		cmocka_unit_test(test_image_probe_reads_jpeg_sof),
		cmocka_unit_test(test_image_probe_refuses_unsupported_jpeg),
		cmocka_unit_test(test_prepare_refuses_bad_appearance_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
