/*
 * Unit tests for pdf/: the parser on small hand-made documents, and the
 * shape of the incremental update. Real-world files and third-party
 * judges (qpdf, pdfsig) are in tests/pdf/run_corpus.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <zlib.h>

#include "common/err.h"
#include "pdf/pdf.h"
#include "tests/unit/pdf_build.h"

/* An xref-stream document with /W [1 2 1], PNG Up predictor and /Index;
 * with objstm, catalog/pages/page live in object stream 4. */
static void build_stream_pdf(struct mbuf *b, int objstm)
{
	uint8_t z[512];
	size_t off[5] = { 0 }, x;
	uLongf zl = sizeof(z);

	memset(b, 0, sizeof(*b));
	puts_(b, "%PDF-1.5\n");
	if (!objstm) {
		for (int i = 0; i < 3; i++) {
			off[i + 1] = b->len;
			printf_(b, "%d 0 obj\n%s\nendobj\n", i + 1,
				basic_obj(i));
		}
	} else {
		char hdr[64], body[512];
		int hl, bl = 0;
		size_t o1 = 0, o2, o3;

		o2 = strlen(basic_obj(0)) + 1;
		o3 = o2 + strlen(basic_obj(1)) + 1;
		hl = snprintf(hdr, sizeof(hdr), "1 %zu 2 %zu 3 %zu ", o1, o2, o3);
		for (int i = 0; i < 3; i++)
			bl += snprintf(body + bl, sizeof(body) - (size_t)bl,
				       "%s\n", basic_obj(i));
		uint8_t plain[600];
		memcpy(plain, hdr, (size_t)hl);
		memcpy(plain + hl, body, (size_t)bl);
		zl = sizeof(z);
		assert_int_equal(compress(z, &zl, plain, (uLong)(hl + bl)), Z_OK);
		off[4] = b->len;
		printf_(b, "4 0 obj\n<</Type/ObjStm/N 3/First %d/Filter"
			"/FlateDecode/Length %lu>>stream\n", hl,
			(unsigned long)zl);
		put(b, z, zl);
		puts_(b, "\nendstream\nendobj\n");
	}
	x = b->len;
	/* rows: type, offset(2), gen-or-index(1); the xref stream lists
	 * itself in a second /Index subsection */
	int nrows = objstm ? 6 : 5, xnum = nrows - 1;
	uint8_t raw[6][4], rows[6 * 5];

	memset(raw, 0, sizeof(raw));
	raw[0][3] = 255;
	for (int i = 1; i <= 3; i++) {
		raw[i][0] = objstm ? 2 : 1;
		raw[i][1] = (uint8_t)((objstm ? 4 : off[i]) >> 8);
		raw[i][2] = (uint8_t)(objstm ? 4 : off[i]);
		raw[i][3] = (uint8_t)(objstm ? i - 1 : 0);
	}
	if (objstm) {
		raw[4][0] = 1;
		raw[4][1] = (uint8_t)(off[4] >> 8);
		raw[4][2] = (uint8_t)off[4];
	}
	raw[xnum][0] = 1;
	raw[xnum][1] = (uint8_t)(x >> 8);
	raw[xnum][2] = (uint8_t)x;
	for (int r = 0; r < nrows; r++) {
		rows[r * 5] = 2; /* PNG Up */
		for (int k = 0; k < 4; k++)
			rows[r * 5 + 1 + k] = (uint8_t)(raw[r][k] -
						       (r ? raw[r - 1][k] : 0));
	}
	zl = sizeof(z);
	assert_int_equal(compress(z, &zl, rows, (uLong)nrows * 5), Z_OK);
	printf_(b, "%d 0 obj\n<</Type/XRef/Size %d/W[1 2 1]/Index[0 %d %d 1]"
		"/Root 1 0 R/Filter/FlateDecode/DecodeParms<</Predictor 12"
		"/Columns 4>>/Length %lu>>stream\n", xnum, nrows, xnum, xnum,
		(unsigned long)zl);
	put(b, z, zl);
	printf_(b, "\nendstream\nendobj\nstartxref\n%zu\n%%%%EOF\n", x);
}

static int open_reason(const struct mbuf *b, int *reason)
{
	struct pdf_doc *d = NULL;
	int rc = pdf_doc_open(b->p, b->len, &d, reason);

	pdf_doc_free(d);
	return rc;
}

static void test_open_refuses_not_pdf(void **state)
{
	struct mbuf b = { (uint8_t *)"hello, this is text\n", 20, 0 };
	int reason = 0;

	(void)state;
	assert_int_equal(open_reason(&b, &reason), ESD_EINVAL);
	assert_int_equal(reason, PDF_R_NOT_PDF);
}

static void test_open_refuses_truncated(void **state)
{
	struct mbuf b;
	int reason = 0;

	(void)state;
	build_table_pdf(&b, "", 0);
	b.len = b.len * 2 / 3;
	assert_int_equal(open_reason(&b, &reason), ESD_EINVAL);
	assert_int_equal(reason, PDF_R_TRUNCATED);
	free(b.p);
}

static void test_open_refuses_encrypted_trailer(void **state)
{
	struct mbuf b;
	int reason = 0;

	(void)state;
	build_table_pdf(&b, "/Encrypt<</Filter/Standard/V 5/R 6>>", 0);
	assert_int_equal(open_reason(&b, &reason), ESD_EUNSUPP);
	assert_int_equal(reason, PDF_R_ENCRYPTED);
	free(b.p);
}

static void test_open_reads_classic_table(void **state)
{
	struct pdf_doc *d = NULL;
	struct mbuf b;
	unsigned n = 9;
	int reason = -1;

	(void)state;
	build_table_pdf(&b, "", 0);
	assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
	assert_int_equal(reason, PDF_R_NONE);
	assert_int_equal(pdf_doc_repaired(d), 0);
	assert_int_equal(pdf_doc_page_count(d, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pdf_doc_signature_count(d, &n), 0);
	assert_int_equal(n, 0);
	pdf_doc_free(d);
	free(b.p);
}

static void test_open_repairs_shifted_offsets(void **state)
{
	struct pdf_doc *d = NULL;
	struct mbuf b;
	unsigned n = 0;
	int reason = -1;

	(void)state;
	build_table_pdf(&b, "", 7);
	assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
	assert_int_equal(pdf_doc_repaired(d), 1);
	assert_int_equal(pdf_doc_page_count(d, &n), 0);
	assert_int_equal(n, 1);
	pdf_doc_free(d);
	free(b.p);
}

/* The size of a seal's output for the document b (0 if it does not
 * open or cannot be prepared). */
static size_t sealed_len(const struct mbuf *b)
{
	struct pdf_sign_opts o;
	struct pdf_doc *d = NULL;
	struct pdf_prepared *p = NULL;
	const uint8_t *buf;
	size_t len = 0;
	int reason;

	memset(&o, 0, sizeof(o));
	o.signing_time = 1700000000;
	o.contents_size = 64;
	if (pdf_doc_open(b->p, b->len, &d, &reason) == 0 &&
	    pdf_sign_prepare(d, &o, &p, &reason) == 0)
		pdf_prepared_output(p, &buf, &len);
	pdf_prepared_free(p);
	pdf_doc_free(d);
	return len;
}

/* The xref table is an array by object number, and a repaired file's
 * update lists every number: an object numbered 6553500 or a /Size of
 * 8388608 in a 1 KB file made a 130 MB update (and 300 MB of tables).
 * Numbers past the file's length are not taken from it. */
static void test_object_numbers_past_the_file_are_ignored(void **state)
{
	struct mbuf b;
	size_t len;

	(void)state;
	build_table_pdf(&b, "", 7);    /* damaged: repaired by scanning */
	puts_(&b, "6553500 0 obj\n<</Type/Catalog>>\nendobj\n");
	len = sealed_len(&b);
	assert_true(len > b.len && len < b.len + 8192);
	free(b.p);

	/* a valid table whose trailer claims 8388608 objects */
	build_table_pdf(&b, "", 0);
	{
		uint8_t *t = memmem(b.p, b.len, "/Size 4/", 8);
		struct mbuf c = { 0 };

		assert_non_null(t);
		put(&c, b.p, (size_t)(t - b.p));
		puts_(&c, "/Size 8388608/");
		put(&c, t + 8, b.len - (size_t)(t + 8 - b.p));
		free(b.p);
		b = c;
	}
	len = sealed_len(&b);
	assert_true(len > b.len && len < b.len + 8192);
	free(b.p);
}

static void test_open_reads_xref_stream_with_png_predictor(void **state)
{
	struct pdf_doc *d = NULL;
	struct mbuf b;
	unsigned n = 0;
	int reason = -1;

	(void)state;
	build_stream_pdf(&b, 0);
	assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
	assert_int_equal(pdf_doc_repaired(d), 0);
	assert_int_equal(pdf_doc_page_count(d, &n), 0);
	assert_int_equal(n, 1);
	pdf_doc_free(d);
	free(b.p);
}

static void test_open_reads_object_stream(void **state)
{
	struct pdf_doc *d = NULL;
	struct mbuf b;
	unsigned n = 0;
	int reason = -1;

	(void)state;
	build_stream_pdf(&b, 1);
	assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
	assert_int_equal(pdf_doc_repaired(d), 0);
	assert_int_equal(pdf_doc_page_count(d, &n), 0);
	assert_int_equal(n, 1);
	pdf_doc_free(d);
	free(b.p);
}

/* A tiny DER SEQUENCE stands in for the CMS: the layer never parses it. */
static const uint8_t fake_der[] = { 0x30, 0x03, 0x02, 0x01, 0x05 };

static void sign_once(const uint8_t *in, size_t len, const char *reason_s,
		      uint8_t **out, size_t *outlen)
{
	struct pdf_sign_opts o;
	struct pdf_doc *d = NULL;
	struct pdf_prepared *p = NULL;
	const uint8_t *buf;
	int reason;

	memset(&o, 0, sizeof(o));
	o.reason = reason_s;
	o.contents_size = 64;
	o.signing_time = 1700000000;
	assert_int_equal(pdf_doc_open(in, len, &d, &reason), 0);
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), 0);
	assert_int_equal(pdf_prepared_set_contents(p, fake_der,
						   sizeof(fake_der), &reason), 0);
	pdf_prepared_output(p, &buf, outlen);
	*out = malloc(*outlen);
	assert_non_null(*out);
	memcpy(*out, buf, *outlen);
	pdf_prepared_free(p);
	pdf_doc_free(d);
}

static void test_prepare_byte_range_and_contents(void **state)
{
	struct pdf_sign_opts o;
	struct pdf_doc *d = NULL;
	struct pdf_prepared *p = NULL;
	struct mbuf b;
	const uint8_t *buf;
	uint8_t big[200], md[EVP_MAX_MD_SIZE], md2[EVP_MAX_MD_SIZE], *copy;
	size_t len, mdlen;
	uint64_t br[4];
	unsigned mdlen2;
	EVP_MD_CTX *ctx;
	int reason;

	(void)state;
	build_table_pdf(&b, "", 0);
	memset(&o, 0, sizeof(o));
	o.contents_size = 100;
	assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), 0);
	pdf_prepared_output(p, &buf, &len);
	pdf_prepared_byte_range(p, br);
	assert_memory_equal(buf, b.p, b.len);     /* append only */
	assert_int_equal(br[0], 0);
	assert_int_equal(br[2] - br[1], 2 * 100 + 2);
	assert_int_equal(br[2] + br[3], len);
	assert_int_equal(buf[br[1]], '<');
	assert_int_equal(buf[br[2] - 1], '>');
	assert_int_equal(pdf_prepared_contents_cap(p), 100);

	/* digest == SHA-256 over the two ranges */
	assert_int_equal(pdf_prepared_digest(p, EVP_sha256(), md, sizeof(md),
					     &mdlen), 0);
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, buf, br[1]);
	EVP_DigestUpdate(ctx, buf + br[2], br[3]);
	EVP_DigestFinal_ex(ctx, md2, &mdlen2);
	EVP_MD_CTX_free(ctx);
	assert_int_equal(mdlen, 32);
	assert_memory_equal(md, md2, 32);

	/* too big: refused, nothing changes */
	copy = malloc(len);
	memcpy(copy, buf, len);
	memset(big, 0xab, sizeof(big));
	assert_int_equal(pdf_prepared_set_contents(p, big, 101, &reason),
			 ESD_ETOOBIG);
	assert_int_equal(reason, PDF_R_CONTENTS_TOO_SMALL);
	assert_memory_equal(buf, copy, len);
	assert_int_equal(pdf_prepared_set_contents(p, big, 100, &reason), 0);
	assert_memory_equal(buf + br[1] + 1, "ABAB", 4);
	free(copy);
	pdf_prepared_free(p);
	pdf_doc_free(d);
	free(b.p);
}

static void test_signatures_read_back(void **state)
{
	struct pdf_doc *d = NULL;
	const struct pdf_sig_info *s;
	struct mbuf b;
	uint8_t *o1, *o2;
	size_t l1, l2, n;
	int reason;

	(void)state;
	build_stream_pdf(&b, 1);
	sign_once(b.p, b.len, "Persetujuan \xc3\xbc", &o1, &l1);
	assert_non_null(memmem(o1, l1, "<FEFF0050", 9)); /* UTF-16BE + BOM */
	assert_non_null(memmem(o1, l1, "/Type/XRef", 10)); /* same xref form */
	sign_once(o1, l1, "second", &o2, &l2);
	assert_int_equal(pdf_doc_open(o2, l2, &d, &reason), 0);
	assert_int_equal(pdf_doc_signatures(d, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(s[0].field_name, "Signature1");
	assert_string_equal(s[1].field_name, "Signature2");
	assert_string_equal(s[0].reason, "Persetujuan \xc3\xbc");
	assert_string_equal(s[0].sub_filter, "ETSI.CAdES.detached");
	assert_int_equal(s[0].signing_time, 1700000000);
	assert_int_equal(s[0].contents_len, sizeof(fake_der));
	assert_memory_equal(s[0].contents, fake_der, sizeof(fake_der));
	assert_true(s[0].byte_range_ok);
	assert_false(s[0].covers_whole_file);
	assert_true(s[1].byte_range_ok);
	assert_true(s[1].covers_whole_file);
	pdf_doc_free(d);
	free(o1);
	free(o2);
	free(b.p);
}

/* A copy of buf with the first "from" replaced by "to" (lengths may
 * differ: the xref is then repaired on open). */
static uint8_t *replaced(const uint8_t *buf, size_t len, const char *from,
			 const char *to, size_t *outlen)
{
	const uint8_t *at = memmem(buf, len, from, strlen(from));
	size_t pre, fl = strlen(from), tl = strlen(to);
	uint8_t *o;

	assert_non_null(at);
	pre = (size_t)(at - buf);
	o = malloc(len - fl + tl);
	assert_non_null(o);
	memcpy(o, buf, pre);
	memcpy(o + pre, to, tl);
	memcpy(o + pre + tl, at + fl, len - pre - fl);
	*outlen = len - fl + tl;
	return o;
}

static void test_revision_diff_classifies_later_updates(void **state)
{
	struct pdf_doc *d = NULL;
	const struct pdf_sig_info *s;
	struct pdf_rev_diff rd;
	struct mbuf b;
	uint8_t *o1, *o2;
	size_t l1, l2, n;
	int reason;

	(void)state;
	build_table_pdf(&b, "", 0);
	sign_once(b.p, b.len, "one", &o1, &l1);
	assert_int_equal(pdf_doc_open(o1, l1, &d, &reason), 0);
	assert_int_equal(pdf_doc_signatures_all(d, &s, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pdf_revision_diff(d, &s[0], &rd), 0);
	assert_true(rd.complete && rd.sig_found && rd.gap_is_contents);
	assert_int_equal(rd.later, 0);
	assert_int_equal(rd.changes, 0);
	assert_string_equal(rd.sig.reason, "one");
	pdf_doc_free(d);
	/* a countersignature is "signatures", nothing else */
	sign_once(o1, l1, "two", &o2, &l2);
	assert_int_equal(pdf_doc_open(o2, l2, &d, &reason), 0);
	assert_int_equal(pdf_doc_signatures_all(d, &s, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pdf_revision_diff(d, &s[0], &rd), 0);
	assert_true(rd.complete && rd.sig_found);
	assert_int_equal(rd.later, 1);
	assert_int_equal(rd.changes, PDF_CHANGE_SIGNATURE);
	pdf_doc_free(d);
	free(o2);
	/* white space appended: no update at all */
	o2 = malloc(l1 + 3);
	assert_non_null(o2);
	memcpy(o2, o1, l1);
	memcpy(o2 + l1, "\r\n\n", 3);
	assert_int_equal(pdf_doc_open(o2, l1 + 3, &d, &reason), 0);
	assert_int_equal(pdf_doc_signatures(d, &s, &n), 0);
	assert_int_equal(pdf_revision_diff(d, &s[0], &rd), 0);
	assert_true(rd.complete && rd.sig_found);
	assert_int_equal(rd.changes, 0);
	pdf_doc_free(d);
	free(o2);
	/* bytes appended without an xref section: OTHER, unfollowed */
	o2 = malloc(l1 + 40);
	assert_non_null(o2);
	memcpy(o2, o1, l1);
	memcpy(o2 + l1, "\n3 0 obj\n<< /Type /Page >>\nendobj\n", 35);
	assert_int_equal(pdf_doc_open(o2, l1 + 35, &d, &reason), 0);
	assert_int_equal(pdf_doc_signatures(d, &s, &n), 0);
	assert_int_equal(pdf_revision_diff(d, &s[0], &rd), 0);
	assert_true(rd.unfollowed);
	assert_true(rd.changes & PDF_CHANGE_OTHER);
	pdf_doc_free(d);
	free(o2);
	free(o1);
	free(b.p);
}

static void test_pdf_dates_are_strict(void **state)
{
	static const struct { const char *m; int ok; time_t t; } cases[] = {
		{ "D:20231114221320+00'00'", 1, 1700000000 },
		{ "D:20231114231320+01'00'", 1, 1700000000 },
		{ "D:20231114221320Z", 1, 1700000000 },
		{ "D:2023", 1, 1672531200 },
		{ "D:200120261207172826+00'00'", 0, 0 },  /* month 20 */
		{ "D:20230229000000Z", 0, 0 },            /* not a leap year */
		{ "D:20231114221360Z", 0, 0 },            /* second 60 */
		{ "20231114221320Z", 0, 0 },              /* no D: */
		{ "D:20231114221320+00'00'x", 0, 0 },     /* trailing junk */
		{ "D:202311142213", 1, 1699999980 },
	};
	struct pdf_doc *d = NULL;
	const struct pdf_sig_info *s;
	struct mbuf b;
	uint8_t *o1, *o2;
	size_t l1, l2, n;
	int reason;
	char m[64];

	(void)state;
	build_table_pdf(&b, "", 0);
	sign_once(b.p, b.len, "x", &o1, &l1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(m, sizeof(m), "/M(%s)", cases[i].m);
		o2 = replaced(o1, l1, "/M(D:20231114221320+00'00')", m, &l2);
		assert_int_equal(pdf_doc_open(o2, l2, &d, &reason), 0);
		assert_int_equal(pdf_doc_signatures(d, &s, &n), 0);
		assert_int_equal(n, 1);
		assert_int_equal(s[0].m_malformed, !cases[i].ok);
		assert_int_equal(s[0].signing_time, cases[i].t);
		pdf_doc_free(d);
		free(o2);
	}
	free(o1);
	free(b.p);
}

static void test_seal_refuses_signed_pdf(void **state)
{
	struct pdf_sign_opts o;
	struct pdf_doc *d = NULL;
	struct pdf_prepared *p = NULL;
	struct mbuf b;
	uint8_t *o1;
	size_t l1;
	unsigned n = 0;
	int reason;

	(void)state;
	build_table_pdf(&b, "", 0);
	sign_once(b.p, b.len, NULL, &o1, &l1);
	assert_non_null(memmem(o1 + b.len, l1 - b.len, "\nxref\n", 6));
	assert_int_equal(pdf_doc_open(o1, l1, &d, &reason), 0);
	assert_int_equal(pdf_doc_signature_count(d, &n), 0);
	assert_int_equal(n, 1);
	memset(&o, 0, sizeof(o));
	o.refuse_if_signed = 1;
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), ESD_EEXIST);
	assert_int_equal(reason, PDF_R_ALREADY_SIGNED);
	assert_null(p);
	o.refuse_if_signed = 0;
	o.field_name = "Signature1";
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), ESD_EEXIST);
	assert_int_equal(reason, PDF_R_FIELD_EXISTS);
	o.field_name = NULL;
	o.page = 1;
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), ESD_EINVAL);
	assert_int_equal(reason, PDF_R_NO_PAGE);
	pdf_doc_free(d);
	free(o1);
	free(b.p);
}

/* ISO 32000-1 §12.8.2.2: a certification signature names DocMDP in its
 * /Reference and in the catalog's /Perms, comes first, and P=1 refuses a
 * later signature but not a document timestamp. */
static void certify(const uint8_t *in, size_t len, int docmdp,
		    enum pdf_subfilter sf, int want_rc, int want_reason,
		    uint8_t **out, size_t *outlen)
{
	struct pdf_sign_opts o;
	struct pdf_doc *d = NULL;
	struct pdf_prepared *p = NULL;
	const uint8_t *buf;
	int reason = -1;

	memset(&o, 0, sizeof(o));
	o.contents_size = 64;
	o.signing_time = 1700000000;
	o.docmdp = docmdp;
	o.sub_filter = sf;
	assert_int_equal(pdf_doc_open(in, len, &d, &reason), 0);
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), want_rc);
	assert_int_equal(reason, want_reason);
	if (out != NULL) {
		assert_int_equal(pdf_prepared_set_contents(
			p, fake_der, sizeof(fake_der), &reason), 0);
		pdf_prepared_output(p, &buf, outlen);
		*out = malloc(*outlen);
		assert_non_null(*out);
		memcpy(*out, buf, *outlen);
	}
	pdf_prepared_free(p);
	pdf_doc_free(d);
}

static void test_certification_signature(void **state)
{
	const struct pdf_sig_info *si;
	struct pdf_doc *d = NULL;
	struct mbuf b;
	uint8_t *c1, *c2, *ts;
	size_t l1, l2, lts, n;
	int reason;

	(void)state;
	build_table_pdf(&b, "", 0);
	certify(b.p, b.len, 4, PDF_SUBFILTER_CADES, ESD_EINVAL,
		PDF_R_BAD_OPTION, NULL, NULL);
	certify(b.p, b.len, 1, PDF_SUBFILTER_RFC3161, ESD_EINVAL,
		PDF_R_BAD_OPTION, NULL, NULL);
	certify(b.p, b.len, 1, PDF_SUBFILTER_CADES, 0, PDF_R_NONE, &c1, &l1);
	assert_non_null(memmem(c1 + b.len, l1 - b.len,
			       "/TransformMethod/DocMDP", 23));
	assert_non_null(memmem(c1 + b.len, l1 - b.len, "/P 1/V/1.2", 10));
	assert_non_null(memmem(c1 + b.len, l1 - b.len, "/Perms", 6));
	assert_int_equal(pdf_doc_open(c1, l1, &d, &reason), 0);
	assert_int_equal(pdf_doc_signatures(d, &si, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(si[0].docmdp_p, 1);
	assert_int_equal(si[0].docmdp_in_perms, 1);
	pdf_doc_free(d);
	/* it must come first */
	certify(c1, l1, 2, PDF_SUBFILTER_CADES, ESD_EEXIST,
		PDF_R_CERTIFY_SIGNED, NULL, NULL);
	/* P=1: no further signature, but a document timestamp */
	certify(c1, l1, 0, PDF_SUBFILTER_CADES, ESD_EPERM, PDF_R_CERTIFIED,
		NULL, NULL);
	certify(c1, l1, 0, PDF_SUBFILTER_RFC3161, 0, PDF_R_NONE, &ts, &lts);
	/* P=2: a later approval signature is made; not a certification */
	certify(b.p, b.len, 2, PDF_SUBFILTER_CADES, 0, PDF_R_NONE, &c2, &l2);
	certify(c2, l2, 0, PDF_SUBFILTER_CADES, 0, PDF_R_NONE, NULL, NULL);
	free(ts);
	free(c2);
	free(c1);
	free(b.p);
}

static void test_timestamp_dictionary_and_read_back(void **state)
{
	struct pdf_sign_opts o;
	struct pdf_doc *d = NULL, *d2 = NULL;
	struct pdf_prepared *p = NULL;
	const struct pdf_sig_info *s;
	struct mbuf b;
	const uint8_t *out;
	size_t len, n;
	int reason;

	(void)state;
	build_stream_pdf(&b, 0);
	assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
	memset(&o, 0, sizeof(o));
	o.sub_filter = PDF_SUBFILTER_RFC3161;
	o.contents_size = 64;
	o.reason = "not written";
	assert_int_equal(pdf_sign_prepare(d, &o, &p, &reason), 0);
	assert_int_equal(pdf_prepared_set_contents(p, fake_der,
						   sizeof(fake_der), &reason), 0);
	pdf_prepared_output(p, &out, &len);
	assert_non_null(memmem(out, len, "<</Type/DocTimeStamp/Filter"
			       "/Adobe.PPKLite/SubFilter/ETSI.RFC3161", 62));
	assert_null(memmem(out + b.len, len - b.len, "/M(", 3));
	assert_null(memmem(out + b.len, len - b.len, "/Reason", 7));
	assert_null(memmem(out + b.len, len - b.len, "/AP", 3));
	assert_int_equal(pdf_doc_open(out, len, &d2, &reason), 0);
	assert_int_equal(pdf_doc_signatures(d2, &s, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(s[0].sub_filter, "ETSI.RFC3161");
	assert_true(s[0].covers_whole_file);
	assert_int_equal(s[0].contents_len, sizeof(fake_der));
	assert_int_equal(s[0].contents_raw_len, 64);
	pdf_doc_free(d2);
	pdf_prepared_free(p);
	pdf_doc_free(d);
	free(b.p);
}

/* Number of "N G R" in the array after key in the last /DSS of buf. */
static size_t dss_count(const uint8_t *buf, size_t len, const char *key)
{
	const uint8_t *dss = NULL, *q = buf, *k, *end;
	size_t n = 0;

	while ((q = memmem(q, len - (size_t)(q - buf), "/Type /DSS", 10)))
		dss = q++;
	assert_non_null(dss);
	while (dss > buf && memcmp(dss, "<<", 2) != 0)
		dss--;
	k = memmem(dss, len - (size_t)(dss - buf), key, strlen(key));
	assert_non_null(k);
	end = memchr(k, ']', len - (size_t)(k - buf));
	assert_non_null(end);
	for (q = k; q < end; q++)
		n += *q == 'R';
	return n;
}

static void test_dss_append_merges_and_keeps_bytes(void **state)
{
	static const uint8_t c1[] = { 0x30, 0x01, 0x01 }, c2[] = { 0x30, 0x01,
		0x02 }, c3[] = { 0x30, 0x01, 0x03 }, oc[] = { 0x30, 0x01, 0x04 };
	struct pdf_blob certs[3] = { { c1, 3 }, { c2, 3 }, { c1, 3 } };
	struct pdf_blob certs2[2] = { { c2, 3 }, { c3, 3 } };
	struct pdf_blob ocsp = { oc, 3 }, empty = { c1, 0 };
	struct pdf_dss_data v;
	struct pdf_doc *d = NULL;
	struct mbuf b;
	uint8_t *s1, *o1 = NULL, *o2 = NULL;
	size_t l1, ol1, ol2;
	unsigned n;
	int reason;

	(void)state;
	build_stream_pdf(&b, 1);
	sign_once(b.p, b.len, NULL, &s1, &l1);
	assert_int_equal(pdf_doc_open(s1, l1, &d, &reason), 0);
	memset(&v, 0, sizeof(v));
	assert_int_equal(pdf_dss_append(d, &v, &o1, &ol1, &reason),
			 ESD_EINVAL);                  /* nothing to add */
	assert_int_equal(reason, PDF_R_BAD_OPTION);
	v.certs = &empty;
	v.ncerts = 1;
	assert_int_equal(pdf_dss_append(d, &v, &o1, &ol1, &reason),
			 ESD_EINVAL);
	v.certs = certs;
	v.ncerts = 3;                             /* c1 twice: stored once */
	v.ocsps = &ocsp;
	v.nocsps = 1;
	v.vri = 1;
	assert_int_equal(pdf_dss_append(d, &v, &o1, &ol1, &reason), 0);
	pdf_doc_free(d);
	assert_memory_equal(o1, s1, l1);          /* append only */
	assert_non_null(memmem(o1 + l1, ol1 - l1, "/Type/XRef", 10));
	assert_int_equal(dss_count(o1, ol1, "/Certs"), 2);
	assert_int_equal(dss_count(o1, ol1, "/OCSPs"), 1);
	assert_non_null(memmem(o1 + l1, ol1 - l1, "/VRI <</", 8));
	/* second round: c2 is already there, c3 is new; still 1 signature */
	assert_int_equal(pdf_doc_open(o1, ol1, &d, &reason), 0);
	v.certs = certs2;
	v.ncerts = 2;
	v.ocsps = NULL;
	v.nocsps = 0;
	v.flate = 1;
	assert_int_equal(pdf_dss_append(d, &v, &o2, &ol2, &reason), 0);
	pdf_doc_free(d);
	assert_memory_equal(o2, o1, ol1);
	assert_int_equal(dss_count(o2, ol2, "/Certs"), 3);
	assert_int_equal(dss_count(o2, ol2, "/OCSPs"), 1);
	assert_non_null(memmem(o2 + ol1, ol2 - ol1, "/Filter /FlateDecode", 20));
	assert_int_equal(pdf_doc_open(o2, ol2, &d, &reason), 0);
	assert_int_equal(pdf_doc_signature_count(d, &n), 0);
	assert_int_equal(n, 1);
	pdf_doc_free(d);
	free(o2);
	free(o1);
	free(s1);
	free(b.p);
}

/* tail_only: the same update as the whole-file mode, without the
 * document's bytes; the same byte range and digest, for a signature and
 * for a /DSS. */
static void test_tail_only_matches_whole_file(void **state)
{
	static const uint8_t c1[] = { 0x30, 0x01, 0x01 };
	struct pdf_blob cert = { c1, 3 };
	struct pdf_sign_opts o;
	struct pdf_dss_data v;
	struct pdf_doc *d = NULL;
	struct pdf_prepared *whole = NULL, *tail = NULL;
	struct mbuf b;
	const uint8_t *wb, *tb;
	uint8_t md[EVP_MAX_MD_SIZE], md2[EVP_MAX_MD_SIZE], *w2, *t2;
	size_t wl, tl, mdlen, wl2, tl2;
	uint64_t br[4], br2[4];
	unsigned mdlen2;
	EVP_MD_CTX *ctx;
	int reason;

	(void)state;
	for (int stream = 0; stream < 2; stream++) {
		if (stream)
			build_stream_pdf(&b, 1);
		else
			build_table_pdf(&b, "", 0);
		memset(&o, 0, sizeof(o));
		o.contents_size = 100;
		o.signing_time = 1700000000;
		assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
		assert_int_equal(pdf_sign_prepare(d, &o, &whole, &reason), 0);
		pdf_doc_free(d);
		o.tail_only = 1;
		assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
		assert_int_equal(pdf_sign_prepare(d, &o, &tail, &reason), 0);
		pdf_doc_free(d);
		pdf_prepared_output(whole, &wb, &wl);
		pdf_prepared_output(tail, &tb, &tl);
		assert_int_equal(pdf_prepared_base(whole), 0);
		assert_int_equal(pdf_prepared_base(tail), b.len);
		assert_int_equal(wl, b.len + tl);
		assert_memory_equal(wb + b.len, tb, tl);
		pdf_prepared_byte_range(whole, br);
		pdf_prepared_byte_range(tail, br2);
		assert_memory_equal(br, br2, sizeof(br));
		/* a tail has no whole-file digest; fed the document first, the
		 * same one */
		assert_int_equal(pdf_prepared_digest(tail, EVP_sha256(), md,
						     sizeof(md), &mdlen),
				 ESD_EINVAL);
		assert_int_equal(pdf_prepared_digest(whole, EVP_sha256(), md,
						     sizeof(md), &mdlen), 0);
		ctx = EVP_MD_CTX_new();
		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
		EVP_DigestUpdate(ctx, b.p, b.len);
		assert_int_equal(pdf_prepared_digest_tail(tail, ctx), 0);
		EVP_DigestFinal_ex(ctx, md2, &mdlen2);
		EVP_MD_CTX_free(ctx);
		assert_memory_equal(md, md2, 32);
		assert_int_equal(pdf_prepared_set_contents(tail, fake_der,
							   sizeof(fake_der),
							   &reason), 0);
		assert_int_equal(pdf_prepared_set_contents(whole, fake_der,
							   sizeof(fake_der),
							   &reason), 0);
		assert_memory_equal(wb + b.len, tb, tl);

		/* a /DSS after the signed file, both ways */
		memset(&v, 0, sizeof(v));
		v.certs = &cert;
		v.ncerts = 1;
		assert_int_equal(pdf_doc_open(wb, wl, &d, &reason), 0);
		assert_int_equal(pdf_dss_append(d, &v, &w2, &wl2, &reason), 0);
		pdf_doc_free(d);
		v.tail_only = 1;
		assert_int_equal(pdf_doc_open(wb, wl, &d, &reason), 0);
		assert_int_equal(pdf_dss_append(d, &v, &t2, &tl2, &reason), 0);
		pdf_doc_free(d);
		assert_int_equal(wl2, wl + tl2);
		assert_memory_equal(w2 + wl, t2, tl2);
		free(w2);
		free(t2);
		pdf_prepared_free(whole);
		pdf_prepared_free(tail);
		free(b.p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_refuses_not_pdf),
		cmocka_unit_test(test_certification_signature),
		cmocka_unit_test(test_open_refuses_truncated),
		cmocka_unit_test(test_open_refuses_encrypted_trailer),
		cmocka_unit_test(test_open_reads_classic_table),
		cmocka_unit_test(test_open_repairs_shifted_offsets),
		cmocka_unit_test(test_object_numbers_past_the_file_are_ignored),
		cmocka_unit_test(test_open_reads_xref_stream_with_png_predictor),
		cmocka_unit_test(test_open_reads_object_stream),
		cmocka_unit_test(test_prepare_byte_range_and_contents),
		cmocka_unit_test(test_signatures_read_back),
		cmocka_unit_test(test_seal_refuses_signed_pdf),
		cmocka_unit_test(test_timestamp_dictionary_and_read_back),
		cmocka_unit_test(test_dss_append_merges_and_keeps_bytes),
		cmocka_unit_test(test_tail_only_matches_whole_file),
		cmocka_unit_test(test_revision_diff_classifies_later_updates),
		cmocka_unit_test(test_pdf_dates_are_strict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
