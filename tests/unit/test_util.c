/*
 * Unit tests for common/util.c (hex, numbers, trimming, files, digests)
 * and common/err.c (the stable error names and HTTP statuses).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "tests/unit/unit_tmpdir.h"
#include "common/util.h"

static int setup_tmpdir(void **state)
{
	(void)state;
	return unit_tmpdir_make("util");
}

static int teardown_tmpdir(void **state)
{
	(void)state;
	return unit_tmpdir_remove();
}

static void tmp_path(char *out, size_t cap, const char *name)
{
	assert_true((size_t)snprintf(out, cap, "%s/%s", tmpdir, name) < cap);
}

static void put_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Number of directory entries whose name starts with prefix. */
static int count_entries(const char *prefix)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strncmp(e->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* ---- hex -------------------------------------------------------------- */

static void test_hex_encodes_lowercase(void **state)
{
	static const uint8_t in[] = { 0x00, 0x01, 0xab, 0xff, 0x7f, 0x80 };
	char out[2 * sizeof(in) + 2];

	(void)state;
	memset(out, 'Z', sizeof(out));
	esd_hex(in, sizeof(in), out);
	assert_string_equal(out, "0001abff7f80");
	assert_int_equal(out[2 * sizeof(in) + 1], 'Z');
	esd_hex(in, 0, out);
	assert_string_equal(out, "");
}

static void test_unhex_accepts_either_case(void **state)
{
	static const uint8_t want[] = { 0x00, 0x01, 0xab, 0xff, 0xcd };
	uint8_t out[8];
	size_t n = 0;

	(void)state;
	assert_int_equal(esd_unhex("0001ABffCd", 10, out, sizeof(out), &n), 0);
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(esd_unhex("", 0, out, 0, &n), 0);
	assert_int_equal(n, 0);
}

static void test_unhex_roundtrips_every_byte(void **state)
{
	uint8_t in[256], back[256];
	char hex[513];
	size_t n;

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	esd_hex(in, sizeof(in), hex);
	assert_int_equal(strlen(hex), 512);
	assert_int_equal(esd_unhex(hex, 512, back, sizeof(back), &n), 0);
	assert_int_equal(n, 256);
	assert_memory_equal(in, back, 256);
}

static void test_unhex_rejects_odd_length(void **state)
{
	uint8_t out[8];
	size_t n = 77;

	(void)state;
	assert_int_equal(esd_unhex("abc", 3, out, sizeof(out), &n), ESD_EINVAL);
	assert_int_equal(esd_unhex("a", 1, out, sizeof(out), &n), ESD_EINVAL);
	assert_int_equal(n, 77);
}

static void test_unhex_rejects_bad_digit(void **state)
{
	static const char *const bad[] = { "0g", "g0", " 0", "0 ", "-1", "0x",
					   "\xc3\xa9" };
	uint8_t out[8];
	size_t n = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(esd_unhex(bad[i], 2, out, sizeof(out), &n),
				 ESD_EINVAL);
	/* A bad digit late in the string, too. */
	assert_int_equal(esd_unhex("00112z", 6, out, sizeof(out), &n),
			 ESD_EINVAL);
	/* Only inlen bytes are looked at. */
	assert_int_equal(esd_unhex("abzz", 2, out, sizeof(out), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(out[0], 0xab);
}

static void test_unhex_respects_capacity(void **state)
{
	uint8_t out[4] = { 0xee, 0xee, 0xee, 0xee };
	size_t n = 77;

	(void)state;
	assert_int_equal(esd_unhex("aabbcc", 6, out, 2, &n), ESD_EINVAL);
	assert_int_equal(n, 77);
	/* Nothing was written past (or before) the check. */
	assert_int_equal(out[0], 0xee);
	assert_int_equal(out[2], 0xee);
	assert_int_equal(esd_unhex("aabbcc", 6, out, 3, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(out[2], 0xcc);
	assert_int_equal(out[3], 0xee);
}

/* ---- esd_parse_u64 ---------------------------------------------------- */

static void test_parse_u64_accepts_plain_decimal(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(esd_parse_u64("0", 0, 10, &v), 0);
	assert_true(v == 0);
	assert_int_equal(esd_parse_u64("42", 0, 100, &v), 0);
	assert_true(v == 42);
	assert_int_equal(esd_parse_u64("007", 0, 100, &v), 0);
	assert_true(v == 7);
	assert_int_equal(esd_parse_u64("18446744073709551615", 0, UINT64_MAX,
				       &v), 0);
	assert_true(v == UINT64_MAX);
}

static void test_parse_u64_rejects_empty_and_null(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(esd_parse_u64("", 0, UINT64_MAX, &v), ESD_EINVAL);
	assert_int_equal(esd_parse_u64(NULL, 0, UINT64_MAX, &v), ESD_EINVAL);
	assert_true(v == 99);
}

static void test_parse_u64_rejects_sign_and_leading_space(void **state)
{
	uint64_t v = 99;

	(void)state;
	/* strtoull alone would accept these ("-1" as UINT64_MAX). */
	assert_int_equal(esd_parse_u64("-1", 0, UINT64_MAX, &v), ESD_EINVAL);
	assert_int_equal(esd_parse_u64("+1", 0, UINT64_MAX, &v), ESD_EINVAL);
	assert_int_equal(esd_parse_u64(" 1", 0, UINT64_MAX, &v), ESD_EINVAL);
	assert_int_equal(esd_parse_u64("\t1", 0, UINT64_MAX, &v), ESD_EINVAL);
	assert_int_equal(esd_parse_u64("-0", 0, UINT64_MAX, &v), ESD_EINVAL);
	assert_true(v == 99);
}

static void test_parse_u64_rejects_trailing_junk(void **state)
{
	static const char *const bad[] = { "1 ", "12abc", "1.0", "0x10", "1e3",
					   "10\n", "5-" };
	uint64_t v = 99;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(esd_parse_u64(bad[i], 0, UINT64_MAX, &v),
				 ESD_EINVAL);
	assert_true(v == 99);
}

static void test_parse_u64_rejects_overflow(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(esd_parse_u64("18446744073709551616", 0, UINT64_MAX,
				       &v), ESD_EINVAL);
	assert_int_equal(esd_parse_u64("99999999999999999999999", 0,
				       UINT64_MAX, &v), ESD_EINVAL);
	assert_true(v == 99);
}

static void test_parse_u64_enforces_range(void **state)
{
	uint64_t v = 99;

	(void)state;
	assert_int_equal(esd_parse_u64("5", 6, 10, &v), ESD_EINVAL);
	assert_int_equal(esd_parse_u64("11", 6, 10, &v), ESD_EINVAL);
	assert_true(v == 99);
	assert_int_equal(esd_parse_u64("6", 6, 10, &v), 0);
	assert_true(v == 6);
	assert_int_equal(esd_parse_u64("10", 6, 10, &v), 0);
	assert_true(v == 10);
}

/* ---- esd_trim --------------------------------------------------------- */

static void test_trim_strips_ascii_whitespace_in_place(void **state)
{
	char a[] = " \t\r\n a b \t\r\n";
	char b[] = "";
	char c[] = " \t \r\n";
	char d[] = "x";
	char *p;

	(void)state;
	p = esd_trim(a);
	assert_string_equal(p, "a b");
	assert_true(p >= a && p < a + sizeof(a));
	assert_string_equal(esd_trim(b), "");
	p = esd_trim(c);
	assert_string_equal(p, "");
	assert_true(p >= c && p < c + sizeof(c));
	assert_true(esd_trim(d) == d);
	assert_string_equal(d, "x");
}

/* ---- esd_read_file ---------------------------------------------------- */

static void test_read_file_missing_is_enotfound(void **state)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t len = 77;

	(void)state;
	tmp_path(path, sizeof(path), "no-such-file");
	assert_int_equal(esd_read_file(path, 1024, &buf, &len), ESD_ENOTFOUND);
	assert_null(buf);
	assert_int_equal(len, 77);
}

static void test_read_file_over_max_is_etoobig(void **state)
{
	char path[PATH_MAX];
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	tmp_path(path, sizeof(path), "ten");
	put_file(path, "0123456789", 10);
	assert_int_equal(esd_read_file(path, 9, &buf, &len), ESD_ETOOBIG);
	assert_null(buf);
	/* Exactly max is fine, and the buffer is NUL-terminated. */
	assert_int_equal(esd_read_file(path, 10, &buf, &len), 0);
	assert_int_equal(len, 10);
	assert_string_equal(buf, "0123456789");
	free(buf);
}

static void test_read_file_binary_and_empty(void **state)
{
	static const uint8_t bin[] = { 'a', 0, 'b', 0xff, 0 };
	char path[PATH_MAX];
	char *buf = NULL;
	size_t len = 0;

	(void)state;
	tmp_path(path, sizeof(path), "bin");
	put_file(path, bin, sizeof(bin));
	assert_int_equal(esd_read_file(path, 100, &buf, &len), 0);
	assert_int_equal(len, sizeof(bin));
	assert_memory_equal(buf, bin, sizeof(bin));
	assert_int_equal(buf[len], '\0');
	free(buf);

	tmp_path(path, sizeof(path), "empty");
	put_file(path, "", 0);
	buf = NULL;
	/* len may be NULL. */
	assert_int_equal(esd_read_file(path, 0, &buf, NULL), 0);
	assert_non_null(buf);
	assert_string_equal(buf, "");
	free(buf);
}

static void test_read_file_directory_is_eio(void **state)
{
	char *buf = NULL;
	size_t len;

	(void)state;
	assert_int_equal(esd_read_file(tmpdir, 1 << 20, &buf, &len), ESD_EIO);
	assert_null(buf);
}

/* ---- esd_write_file --------------------------------------------------- */

static void test_write_file_creates_with_mode_despite_umask(void **state)
{
	char path[PATH_MAX], *buf = NULL;
	struct stat st;
	mode_t old;
	size_t len;

	(void)state;
	tmp_path(path, sizeof(path), "w-mode");
	old = umask(077);
	assert_int_equal(esd_write_file(path, "secret", 6, 0644, 1), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(esd_read_file(path, 100, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "secret");
	free(buf);

	tmp_path(path, sizeof(path), "w-mode2");
	old = umask(0);
	assert_int_equal(esd_write_file(path, "x", 1, 0600, 0), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* No temp file left behind. */
	assert_int_equal(count_entries("w-mode"), 2);
}

static void test_write_file_excl_refuses_existing_file(void **state)
{
	char path[PATH_MAX], *buf = NULL;
	struct stat st;
	size_t len;

	(void)state;
	tmp_path(path, sizeof(path), "w-excl");
	assert_int_equal(esd_write_file(path, "first", 5, 0600, 1), 0);
	assert_int_equal(esd_write_file(path, "second", 6, 0644, 1),
			 ESD_EEXIST);
	assert_int_equal(esd_read_file(path, 100, &buf, &len), 0);
	assert_string_equal(buf, "first");
	free(buf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(count_entries("w-excl"), 1);
}

static void test_write_file_without_excl_replaces_content_and_mode(void **state)
{
	char path[PATH_MAX], *buf = NULL;
	struct stat st;
	size_t len;

	(void)state;
	tmp_path(path, sizeof(path), "w-replace");
	assert_int_equal(esd_write_file(path, "a long first version", 20,
					0600, 0), 0);
	assert_int_equal(esd_write_file(path, "v2", 2, 0640, 0), 0);
	assert_int_equal(esd_read_file(path, 100, &buf, &len), 0);
	assert_int_equal(len, 2);
	assert_string_equal(buf, "v2");
	free(buf);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	/* Empty content. */
	assert_int_equal(esd_write_file(path, NULL, 0, 0600, 0), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(count_entries("w-replace"), 1);
}

static void test_write_file_into_missing_directory_is_eio(void **state)
{
	char path[PATH_MAX];

	(void)state;
	tmp_path(path, sizeof(path), "no-such-dir/file");
	assert_int_equal(esd_write_file(path, "x", 1, 0600, 0), ESD_EIO);
	assert_int_equal(esd_write_file(path, "x", 1, 0600, 1), ESD_EIO);
}

/* ---- digests, random -------------------------------------------------- */

static void test_sha256_matches_fips_180_vectors(void **state)
{
	uint8_t d[32];
	char hex[65];

	(void)state;
	/* FIPS 180-2 Appendix B.1 and the empty string. */
	assert_int_equal(esd_sha256("abc", 3, d), 0);
	esd_hex(d, 32, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(esd_sha256("", 0, d), 0);
	esd_hex(d, 32, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb924"
				 "27ae41e4649b934ca495991b7852b855");
}

static void test_random_fills_buffer(void **state)
{
	uint8_t a[32], b[32];

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	assert_int_equal(esd_random(a, sizeof(a)), 0);
	assert_int_equal(esd_random(b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

/* ---- err.c ------------------------------------------------------------ */

static void test_err_names_and_http_statuses_are_stable(void **state)
{
	static const struct {
		int err;
		const char *name;
		unsigned http;
	} tab[] = {
		{ ESD_OK, "ok", 200 },
		{ ESD_EINVAL, "bad_request", 400 },
		{ ESD_EJSON, "malformed_json", 400 },
		{ ESD_EAUTH, "unauthorized", 401 },
		{ ESD_EPERM, "forbidden", 403 },
		{ ESD_ENOTFOUND, "not_found", 404 },
		{ ESD_EMETHOD, "method_not_allowed", 405 },
		{ ESD_EEXIST, "conflict", 409 },
		{ ESD_ETOOBIG, "payload_too_large", 413 },
		{ ESD_ETOKEN, "token_unavailable", 503 },
		{ ESD_EUNAVAIL, "unavailable", 503 },
		{ ESD_EINTERNAL, "internal_error", 500 },
		{ ESD_EPROTO, "protocol_error", 500 },
		{ ESD_ELIMIT, "rate_limited", 429 },
		{ ESD_EUNSUPP, "unsupported", 400 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		assert_string_equal(esd_err_name(tab[i].err), tab[i].name);
		assert_int_equal(esd_err_http(tab[i].err), tab[i].http);
	}
	assert_string_equal(esd_err_msg(ESD_ENOTFOUND), "no such resource");
}

static void test_err_every_code_has_distinct_name_and_message(void **state)
{
	(void)state;
	for (int e = 0; e >= ESD_ERR_MIN; e--) {
		const char *name = esd_err_name(e);
		unsigned http = esd_err_http(e);

		assert_non_null(name);
		assert_true(name[0] != '\0');
		assert_non_null(esd_err_msg(e));
		assert_true(esd_err_msg(e)[0] != '\0');
		assert_true(http >= 200 && http <= 599);
		for (int f = e - 1; f >= ESD_ERR_MIN; f--)
			assert_string_not_equal(name, esd_err_name(f));
	}
}

static void test_err_out_of_range_maps_to_internal_error(void **state)
{
	static const int bad[] = { 1, 42, ESD_ERR_MIN - 1, -1000, INT_MIN,
				   INT_MAX };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_string_equal(esd_err_name(bad[i]), "internal_error");
		assert_string_equal(esd_err_msg(bad[i]), "internal error");
		assert_int_equal(esd_err_http(bad[i]), 500);
	}
}

/* esd_append: NUL-terminated, doubling, or one jump to the hint. */
static void test_append_grows_by_hint_or_doubling(void **state)
{
	char *p = NULL, pad[44];
	size_t len = 0, cap = 0;

	(void)state;
	memset(pad, 'x', sizeof(pad));
	assert_int_equal(esd_append(&p, &len, &cap, "ab", 2, 0), 0);
	assert_int_equal(cap, 256);
	assert_string_equal(p, "ab");
	assert_int_equal(esd_append(&p, &len, &cap, "cd", 2, 100000), 0);
	assert_int_equal(cap, 256);          /* fits: the hint is not used */
	for (int i = 0; i < 200; i++)
		assert_int_equal(esd_append(&p, &len, &cap, "0123456789", 10, 0), 0);
	assert_int_equal(len, 2004);
	assert_int_equal(cap, 2048);         /* doubled */
	assert_int_equal(p[len], '\0');
	assert_int_equal(esd_append(&p, &len, &cap, pad, sizeof(pad), 100000), 0);
	assert_int_equal(cap, 100000);       /* one jump to the hint */
	assert_int_equal(esd_append(&p, &len, &cap, pad, SIZE_MAX / 2, 0),
			 ESD_ENOMEM);
	assert_int_equal(len, 2048);         /* unchanged */
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_encodes_lowercase),
		cmocka_unit_test(test_unhex_accepts_either_case),
		cmocka_unit_test(test_unhex_roundtrips_every_byte),
		cmocka_unit_test(test_unhex_rejects_odd_length),
		cmocka_unit_test(test_unhex_rejects_bad_digit),
		cmocka_unit_test(test_unhex_respects_capacity),
		cmocka_unit_test(test_parse_u64_accepts_plain_decimal),
		cmocka_unit_test(test_parse_u64_rejects_empty_and_null),
		cmocka_unit_test(test_parse_u64_rejects_sign_and_leading_space),
		cmocka_unit_test(test_parse_u64_rejects_trailing_junk),
		cmocka_unit_test(test_parse_u64_rejects_overflow),
		cmocka_unit_test(test_parse_u64_enforces_range),
		cmocka_unit_test(test_trim_strips_ascii_whitespace_in_place),
		cmocka_unit_test(test_read_file_missing_is_enotfound),
		cmocka_unit_test(test_read_file_over_max_is_etoobig),
		cmocka_unit_test(test_read_file_binary_and_empty),
		cmocka_unit_test(test_read_file_directory_is_eio),
		cmocka_unit_test(test_write_file_creates_with_mode_despite_umask),
		cmocka_unit_test(test_write_file_excl_refuses_existing_file),
		cmocka_unit_test(test_write_file_without_excl_replaces_content_and_mode),
		cmocka_unit_test(test_write_file_into_missing_directory_is_eio),
		cmocka_unit_test(test_sha256_matches_fips_180_vectors),
		cmocka_unit_test(test_random_fills_buffer),
		cmocka_unit_test(test_err_names_and_http_statuses_are_stable),
		cmocka_unit_test(test_err_every_code_has_distinct_name_and_message),
		cmocka_unit_test(test_err_out_of_range_maps_to_internal_error),
		cmocka_unit_test(test_append_grows_by_hint_or_doubling),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
