/*
 * Unit tests for the text finder (pdf/text.c, pdf_find_text) on hostile
 * content streams: operators with more or fewer operands than they take,
 * and ASCII85 content made mostly of 'z' groups. Positions on real text
 * are judged by poppler in tests/pdf/findtext.py; these pin the
 * interpreter's bounds. The fuzzer's regression input for the first case
 * is tests/fuzz/regress/pdf/text-td-more-than-six-operands.pdf.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "pdf/pdf.h"
#include "tests/unit/pdf_build.h"

/* A one-page document whose content stream is content (len bytes) with
 * the given filter ("" for none). */
static void build_content_pdf(struct mbuf *b, const void *content, size_t len,
			      const char *filter)
{
	const char *objs[3] = {
		"<</Type/Catalog/Pages 2 0 R>>",
		"<</Type/Pages/Kids[3 0 R]/Count 1>>",
		"<</Type/Page/Parent 2 0 R/MediaBox[0 0 600 800]"
		"/Contents 4 0 R>>",
	};
	size_t off[4], x;

	memset(b, 0, sizeof(*b));
	puts_(b, "%PDF-1.4\n");
	for (int i = 0; i < 3; i++) {
		off[i] = b->len;
		printf_(b, "%d 0 obj\n%s\nendobj\n", i + 1, objs[i]);
	}
	off[3] = b->len;
	printf_(b, "4 0 obj\n<</Length %zu%s>>stream\n", len, filter);
	put(b, content, len);
	puts_(b, "\nendstream\nendobj\n");
	x = b->len;
	puts_(b, "xref\n0 5\n0000000000 65535 f \n");
	for (int i = 0; i < 4; i++)
		printf_(b, "%010zu 00000 n \n", off[i]);
	printf_(b, "trailer\n<</Size 5/Root 1 0 R>>\nstartxref\n%zu\n%%%%EOF\n",
		x);
}

/* pdf_find_text's result for needle in a document showing content. */
static int find_in(const void *content, size_t len, const char *filter,
		   const char *needle, struct pdf_text_pos *pos)
{
	struct pdf_doc *d = NULL;
	struct mbuf b;
	int reason = 0, rc;

	build_content_pdf(&b, content, len, filter);
	assert_int_equal(pdf_doc_open(b.p, b.len, &d, &reason), 0);
	memset(pos, 0, sizeof(*pos));
	rc = pdf_find_text(d, needle, pos, &reason);
	pdf_doc_free(d);
	free(b.p);
	return rc;
}

static int find_str(const char *content, struct pdf_text_pos *pos)
{
	return find_in(content, strlen(content), "", "#ttd#", pos);
}

/* More numbers than the operand array of the old interpreter held (6)
 * before Td: Td takes the last two. */
static void test_find_text_td_takes_its_last_two_operands(void **state)
{
	struct pdf_text_pos pos;

	(void)state;
	assert_int_equal(find_str("BT 1 2 3 4 5 6 7 8 9 10 11 12 13 14 "
				  "100 200 Td (#ttd#) Tj ET", &pos), 0);
	assert_true(pos.x == 100 && pos.y == 200);
	assert_int_equal(find_str("BT 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 9 "
				  "9 30 -40 TD (#ttd#) Tj ET", &pos), 0);
	assert_true(pos.x == 30 && pos.y == -40);
}

/* cm and Tm with extra operands in front use the last six. */
static void test_find_text_matrices_take_their_last_six(void **state)
{
	struct pdf_text_pos pos;

	(void)state;
	assert_int_equal(find_str("7 7 7 7 7 7 7 1 0 0 1 10 20 cm BT "
				  "5 5 5 1 0 0 1 50 60 Tm (#ttd#) Tj ET",
				  &pos), 0);
	assert_true(pos.x == 60 && pos.y == 80);
}

/* Operators short of operands do nothing; the text is still found where
 * the well-formed operators put it. */
static void test_find_text_skips_operators_short_of_operands(void **state)
{
	struct pdf_text_pos pos;

	(void)state;
	assert_int_equal(find_str("BT 10 20 Td 5 Td 1 0 0 1 Tm 3 cm Tf "
				  "(#ttd#) Tj ET", &pos), 0);
	assert_true(pos.x == 10 && pos.y == 20);
	/* " takes aw ac string: with the string alone it shows nothing */
	assert_int_equal(find_str("BT 10 20 Td (#ttd#) \" ET", &pos),
			 ESD_ENOTFOUND);
	assert_int_equal(find_str("BT 10 20 Td 0 0 (#ttd#) \" ET", &pos), 0);
}

/* Every operand on the stack is dropped once its operator has run, even
 * when far more were pushed than the interpreter keeps. */
static void test_find_text_survives_a_long_operand_run(void **state)
{
	struct mbuf c = { 0 };
	struct pdf_text_pos pos;

	(void)state;
	puts_(&c, "BT ");
	for (int i = 0; i < 5000; i++)
		printf_(&c, "%d /N (s) [1] ", i);
	puts_(&c, "70 80 Td (#ttd#) Tj ET");
	assert_int_equal(find_in(c.p, c.len, "", "#ttd#", &pos), 0);
	assert_true(pos.x == 70 && pos.y == 80);
	free(c.p);
}

/* ASCII85 (§7.4.3): 'z' is one byte for four zeros, so the decoded
 * content is up to four times the encoded length. NUL is white space
 * (§7.2.2), so the zeros are blank content before the text. */
static void test_find_text_ascii85_mostly_z(void **state)
{
	static const char text[] = "BT 90 95 Td (#ttd#) Tj ET   ";
	struct mbuf c = { 0 };
	struct pdf_text_pos pos;
	size_t n = sizeof(text) - 1;

	(void)state;
	assert_int_equal(n % 4, 0);
	for (int i = 0; i < 4096; i++)
		puts_(&c, "z");
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = (uint32_t)(uint8_t)text[i] << 24 |
			     (uint32_t)(uint8_t)text[i + 1] << 16 |
			     (uint32_t)(uint8_t)text[i + 2] << 8 |
			     (uint8_t)text[i + 3];
		char g[5];

		for (int k = 4; k >= 0; k--) {
			g[k] = (char)('!' + v % 85);
			v /= 85;
		}
		put(&c, g, 5);
	}
	puts_(&c, "~>");
	assert_int_equal(find_in(c.p, c.len, "/Filter/ASCII85Decode", "#ttd#",
				 &pos), 0);
	assert_true(pos.x == 90 && pos.y == 95);
	free(c.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_text_td_takes_its_last_two_operands),
		cmocka_unit_test(test_find_text_matrices_take_their_last_six),
		cmocka_unit_test(test_find_text_skips_operators_short_of_operands),
		cmocka_unit_test(test_find_text_survives_a_long_operand_run),
		cmocka_unit_test(test_find_text_ascii85_mostly_z),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
