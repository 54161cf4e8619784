/*
 * Unit tests for daemon/ipc.c's ibuf: the payload encoder and decoder
 * (big-endian integers, length-prefixed byte strings, bounds checks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "daemon/ipc.h"

/* ---- ibuf ------------------------------------------------------------- */

static void test_ibuf_roundtrip_all_types(void **state)
{
	struct ibuf w, r;
	uint8_t u8a, u8b;
	uint32_t u32a, u32b;
	uint64_t u64a, u64b;
	const uint8_t *p;
	size_t n;
	char s[16];
	static const uint8_t blob[] = { 0x00, 0xff, 0x00, 0x7f, 0x80 };

	(void)state;
	ibuf_init(&w);
	ibuf_put_u8(&w, 0);
	ibuf_put_u8(&w, 0xff);
	ibuf_put_u32(&w, 0);
	ibuf_put_u32(&w, 0xdeadbeefu);
	ibuf_put_u64(&w, 0x0102030405060708ull);
	ibuf_put_u64(&w, UINT64_MAX);
	ibuf_put_bytes(&w, blob, sizeof(blob));
	ibuf_put_bytes(&w, NULL, 0);
	ibuf_put_str(&w, "hello");
	ibuf_put_str(&w, "");
	ibuf_put_str(&w, NULL);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 1 + 1 + 4 + 4 + 8 + 8 + (4 + 5) + 4 +
			 (4 + 5) + 4 + 4);

	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_u8(&r, &u8a), 0);
	assert_int_equal(ibuf_get_u8(&r, &u8b), 0);
	assert_int_equal(u8a, 0);
	assert_int_equal(u8b, 0xff);
	assert_int_equal(ibuf_get_u32(&r, &u32a), 0);
	assert_int_equal(ibuf_get_u32(&r, &u32b), 0);
	assert_int_equal(u32a, 0);
	assert_int_equal(u32b, 0xdeadbeefu);
	assert_int_equal(ibuf_get_u64(&r, &u64a), 0);
	assert_int_equal(ibuf_get_u64(&r, &u64b), 0);
	assert_true(u64a == 0x0102030405060708ull);
	assert_true(u64b == UINT64_MAX);
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), 0);
	assert_int_equal(n, sizeof(blob));
	assert_memory_equal(p, blob, sizeof(blob));
	/* Points into the buffer, no copy. */
	assert_true(p > w.data && p < w.data + w.len);
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(ibuf_done(&r), ESD_EPROTO);
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), 0);
	assert_string_equal(s, "");
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), 0);
	assert_string_equal(s, "");
	assert_int_equal(ibuf_done(&r), 0);
	ibuf_free(&r);          /* a view: must not free w's data */
	ibuf_free(&w);
	assert_null(w.data);
	assert_int_equal(w.len, 0);
	assert_int_equal(w.cap, 0);
}

static void test_ibuf_encoding_is_big_endian_with_u32_length_prefix(void **state)
{
	struct ibuf w;
	static const uint8_t want[] = {
		0xab,
		0x01, 0x02, 0x03, 0x04,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x00, 0x00, 0x00, 0x02, 'h', 'i',
	};

	(void)state;
	ibuf_init(&w);
	ibuf_put_u8(&w, 0xab);
	ibuf_put_u32(&w, 0x01020304u);
	ibuf_put_u64(&w, 0x0102030405060708ull);
	ibuf_put_str(&w, "hi");
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(w.data, want, sizeof(want));
	ibuf_free(&w);
}

static void test_ibuf_grows_past_initial_capacity(void **state)
{
	struct ibuf w, r;
	uint32_t v;

	(void)state;
	ibuf_init(&w);
	for (uint32_t i = 0; i < 10000; i++)
		ibuf_put_u32(&w, i * 2654435761u);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 40000);
	assert_true(w.cap >= w.len);
	ibuf_view(&r, w.data, w.len);
	for (uint32_t i = 0; i < 10000; i++) {
		assert_int_equal(ibuf_get_u32(&r, &v), 0);
		assert_int_equal(v, i * 2654435761u);
	}
	assert_int_equal(ibuf_done(&r), 0);
	ibuf_free(&w);
}

static void test_ibuf_read_past_end_is_eproto_and_consumes_nothing(void **state)
{
	static const uint8_t three[] = { 1, 2, 3 };
	static const uint8_t seven[] = { 1, 2, 3, 4, 5, 6, 7 };
	struct ibuf r;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	ibuf_view(&r, three, sizeof(three));
	assert_int_equal(ibuf_get_u32(&r, &u32), ESD_EPROTO);
	assert_int_equal(r.pos, 0);
	assert_int_equal(ibuf_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 1);
	assert_int_equal(ibuf_get_u8(&r, &u8), 0);
	assert_int_equal(ibuf_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 3);
	assert_int_equal(ibuf_get_u8(&r, &u8), ESD_EPROTO);
	assert_int_equal(ibuf_done(&r), 0);

	ibuf_view(&r, seven, sizeof(seven));
	assert_int_equal(ibuf_get_u64(&r, &u64), ESD_EPROTO);
	assert_int_equal(r.pos, 0);

	ibuf_view(&r, NULL, 0);
	assert_int_equal(ibuf_get_u8(&r, &u8), ESD_EPROTO);
	assert_int_equal(ibuf_done(&r), 0);
}

static void test_ibuf_get_bytes_rejects_length_past_end(void **state)
{
	static const uint8_t short_body[] = { 0, 0, 0, 5, 'a', 'b' };
	static const uint8_t huge_len[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t short_prefix[] = { 0, 0, 0 };
	struct ibuf r;
	const uint8_t *p = NULL;
	size_t n = 1234;

	(void)state;
	ibuf_view(&r, short_body, sizeof(short_body));
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), ESD_EPROTO);
	assert_null(p);
	assert_int_equal(n, 1234);
	ibuf_view(&r, huge_len, sizeof(huge_len));
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), ESD_EPROTO);
	ibuf_view(&r, short_prefix, sizeof(short_prefix));
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), ESD_EPROTO);
}

static void test_ibuf_get_str_rejects_embedded_nul(void **state)
{
	struct ibuf w, r;
	char s[16] = "untouched";

	(void)state;
	ibuf_init(&w);
	ibuf_put_bytes(&w, "ab\0cd", 5);
	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), ESD_EINVAL);
	assert_string_equal(s, "untouched");
	ibuf_free(&w);
}

static void test_ibuf_get_str_rejects_string_not_fitting_cap(void **state)
{
	struct ibuf w, r;
	char s[8] = "sentinl";

	(void)state;
	ibuf_init(&w);
	ibuf_put_str(&w, "hello");
	/* 5 bytes need cap 6 (NUL); cap 5 is too small. */
	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_str(&r, s, 5), ESD_EINVAL);
	assert_string_equal(s, "sentinl");
	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_str(&r, s, 0), ESD_EINVAL);
	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_str(&r, s, 6), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(ibuf_done(&r), 0);
	ibuf_free(&w);
}

static void test_ibuf_get_str_past_end_is_eproto(void **state)
{
	static const uint8_t trunc[] = { 0, 0, 0, 4, 'a', 'b' };
	struct ibuf r;
	char s[16];

	(void)state;
	ibuf_view(&r, trunc, sizeof(trunc));
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), ESD_EPROTO);
}

static void test_ibuf_done_requires_whole_buffer_read(void **state)
{
	static const uint8_t two[] = { 1, 2 };
	struct ibuf r;
	uint8_t v;

	(void)state;
	ibuf_view(&r, two, sizeof(two));
	assert_int_equal(ibuf_done(&r), ESD_EPROTO);
	assert_int_equal(ibuf_get_u8(&r, &v), 0);
	assert_int_equal(ibuf_done(&r), ESD_EPROTO);
	assert_int_equal(ibuf_get_u8(&r, &v), 0);
	assert_int_equal(ibuf_done(&r), 0);
}

static void test_ibuf_writer_error_is_sticky_at_payload_limit(void **state)
{
	struct ibuf w;
	uint8_t dummy = 0;
	size_t len;

	(void)state;
	ibuf_init(&w);
	/* The length is checked before the pointer is touched. */
	ibuf_put_bytes(&w, &dummy, (size_t)IPC_MAX_PAYLOAD + 1);
	assert_int_equal(w.err, ESD_ETOOBIG);
	len = w.len;
	ibuf_put_u8(&w, 1);
	ibuf_put_u32(&w, 1);
	assert_int_equal(w.len, len);
	assert_int_equal(w.err, ESD_ETOOBIG);
	ibuf_free(&w);

	/* Exactly IPC_MAX_PAYLOAD bytes fit; one more does not. */
	ibuf_init(&w);
	for (size_t i = 0; i < IPC_MAX_PAYLOAD / 8; i++)
		ibuf_put_u64(&w, i);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, IPC_MAX_PAYLOAD);
	ibuf_put_u8(&w, 0);
	assert_int_equal(w.err, ESD_ETOOBIG);
	assert_int_equal(w.len, IPC_MAX_PAYLOAD);
	ibuf_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ibuf_roundtrip_all_types),
		cmocka_unit_test(test_ibuf_encoding_is_big_endian_with_u32_length_prefix),
		cmocka_unit_test(test_ibuf_grows_past_initial_capacity),
		cmocka_unit_test(test_ibuf_read_past_end_is_eproto_and_consumes_nothing),
		cmocka_unit_test(test_ibuf_get_bytes_rejects_length_past_end),
		cmocka_unit_test(test_ibuf_get_str_rejects_embedded_nul),
		cmocka_unit_test(test_ibuf_get_str_rejects_string_not_fitting_cap),
		cmocka_unit_test(test_ibuf_get_str_past_end_is_eproto),
		cmocka_unit_test(test_ibuf_done_requires_whole_buffer_read),
		cmocka_unit_test(test_ibuf_writer_error_is_sticky_at_payload_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
