/*
 * Unit tests for ra/: the SLA's working-day calendar on a fixed calendar
 * (weekends, holidays, the time zone, met/breached/open), the templates
 * and the message format, subjects from profile templates and the input
 * checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/util.h"
#include "ra/ra.h"
#include "tests/unit/unit_tmpdir.h"

#define WIB (7 * 60)
#define H 3600

/* Seconds since the epoch of a local (WIB) time. */
static time_t wib(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi };

	return timegm(&tm) - WIB * 60;
}

static struct sla_calendar cal;
#define dir tmpdir

static int count_files(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void load(const char *holidays)
{
	char path[128], err[200] = "";

	snprintf(path, sizeof(path), "%s/holidays", dir);
	assert_int_equal(esd_write_file(path, holidays, strlen(holidays), 0600, 0), 0);
	assert_int_equal(sla_calendar_load(path, WIB, &cal, err, sizeof(err)), 0);
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(unit_tmpdir_make("ra"), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sla_calendar_free(&cal);
	unit_tmpdir_remove();
	return 0;
}

/* November 2026: Mon 2, Fri 6, Mon 9, ... Tue 17 is a holiday here. */
static void test_weekdays_and_holidays(void **state)
{
	(void)state;
	load("# national holidays\n\n2026-11-17\n2026-12-25  # Christmas\n");
	assert_int_equal(cal.n, 2);
	/* Mon 2026-11-16 works, Tue 17 is a holiday, Sat 21 and Sun 22 rest. */
	assert_true(sla_working_day(&cal, (wib(2026, 11, 16, 12, 0) + WIB * 60) / 86400));
	assert_false(sla_working_day(&cal, (wib(2026, 11, 17, 12, 0) + WIB * 60) / 86400));
	assert_false(sla_working_day(&cal, (wib(2026, 11, 21, 12, 0) + WIB * 60) / 86400));
	assert_false(sla_working_day(&cal, (wib(2026, 11, 22, 12, 0) + WIB * 60) / 86400));
}

static void test_deadline(void **state)
{
	(void)state;
	load("2026-11-17\n");
	/* Arrived Monday 16th 09:00: 3 working days are Wed 18, Thu 19,
	 * Fri 20 (Tue 17 is a holiday): the deadline is Fri 24:00 WIB. */
	assert_int_equal(sla_deadline(&cal, wib(2026, 11, 16, 9, 0), 3),
			 wib(2026, 11, 21, 0, 0));
	/* Arrived Friday 20th 23:30 WIB (16:30 UTC, still Friday in UTC
	 * too): 4 working days are Mon 23 .. Thu 26. */
	assert_int_equal(sla_deadline(&cal, wib(2026, 11, 20, 23, 30), 4),
			 wib(2026, 11, 27, 0, 0));
	/* Arrived Saturday 21st 01:00 WIB, which is Friday 18:00 UTC: the
	 * calendar counts from the local Saturday: Mon 23 is day 1. */
	assert_int_equal(sla_deadline(&cal, wib(2026, 11, 21, 1, 0), 1),
			 wib(2026, 11, 24, 0, 0));
}

static void test_judge(void **state)
{
	time_t in = wib(2026, 11, 16, 9, 0);

	(void)state;
	load("2026-11-17\n");
	assert_int_equal(sla_judge(&cal, in, wib(2026, 11, 20, 23, 59), 0, 3), SLA_MET);
	assert_int_equal(sla_judge(&cal, in, wib(2026, 11, 21, 0, 0), 0, 3), SLA_MET);
	assert_int_equal(sla_judge(&cal, in, wib(2026, 11, 23, 8, 0), 0, 3),
			 SLA_BREACHED);
	assert_int_equal(sla_judge(&cal, in, 0, wib(2026, 11, 19, 8, 0), 3), SLA_OPEN);
	assert_int_equal(sla_judge(&cal, in, 0, wib(2026, 11, 23, 8, 0), 3),
			 SLA_BREACHED);
}

/* A report over a fixed set of requests: what the keeper's sla.report
 * does per request. */
static void test_report_counts(void **state)
{
	static const struct { int d_in, h_in, d_out, h_out; unsigned days; } rq[] = {
		{ 16, 9, 18, 10, 3 },   /* met */
		{ 16, 9, 23, 10, 3 },   /* breached (holiday counted out) */
		{ 19, 15, 24, 17, 3 },  /* met: Fri, Mon, Tue */
		{ 20, 8, 26, 9, 3 },    /* breached: Mon, Tue, Wed */
		{ 23, 8, 0, 0, 4 },     /* open on the 25th */
		{ 10, 8, 0, 0, 4 },     /* breached, still open */
	};
	int met = 0, breached = 0, open = 0;
	time_t now = wib(2026, 11, 25, 12, 0);

	(void)state;
	load("2026-11-17\n");
	for (size_t i = 0; i < sizeof(rq) / sizeof(rq[0]); i++) {
		time_t out = rq[i].d_out ? wib(2026, 11, rq[i].d_out, rq[i].h_out, 0) : 0;

		switch (sla_judge(&cal, wib(2026, 11, rq[i].d_in, rq[i].h_in, 0), out,
				  now, rq[i].days)) {
		case SLA_MET: met++; break;
		case SLA_BREACHED: breached++; break;
		case SLA_OPEN: open++; break;
		}
	}
	assert_int_equal(met, 2);
	assert_int_equal(breached, 3);
	assert_int_equal(open, 1);
}

static void test_bad_holidays(void **state)
{
	char path[128], err[200] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/bad", dir);
	assert_int_equal(esd_write_file(path, "2026-11-17\n2026-02-30\n", 22, 0600, 0), 0);
	assert_int_not_equal(sla_calendar_load(path, WIB, &cal, err, sizeof(err)), 0);
	assert_non_null(strstr(err, ":2: expected a date"));
	assert_int_not_equal(sla_calendar_load("/nonexistent/h", WIB, &cal, err,
					       sizeof(err)), 0);
	assert_int_equal(sla_calendar_load("", WIB, &cal, err, sizeof(err)), 0);
	assert_int_equal(cal.n, 0);
}

static void test_parse_day(void **state)
{
	time_t t;

	(void)state;
	load("");
	assert_int_equal(sla_parse_day(&cal, "2026-11-16", &t), 0);
	assert_int_equal(t, wib(2026, 11, 16, 0, 0));
	assert_int_not_equal(sla_parse_day(&cal, "2026-13-01", &t), 0);
	assert_int_not_equal(sla_parse_day(&cal, "2027-02-29", &t), 0);
	assert_int_equal(sla_parse_day(&cal, "2028-02-29", &t), 0);
	assert_int_not_equal(sla_parse_day(&cal, "2026-11-16x", &t), 0);
	assert_int_not_equal(sla_parse_day(&cal, NULL, &t), 0);
}

static void test_templates(void **state)
{
	json_t *v = json_pack("{s:s, s:s, s:s}", "name", "Budi", "code",
			      "ABCDE-FGHJK", "subscriber", "ind-1");
	char *subject, *body, *msg;
	size_t len;

	(void)state;
	assert_int_equal(ra_mail_render("activation", "en", v, &subject, &body), 0);
	assert_string_equal(subject, "Activate your electronic certificate");
	assert_non_null(strstr(body, "Dear Budi,"));
	assert_non_null(strstr(body, "Activation code: ABCDE-FGHJK"));
	/* A field without a value renders as nothing. */
	assert_null(strstr(body, "{{"));
	free(subject);
	free(body);
	/* Indonesian is the default language. */
	assert_int_equal(ra_mail_render("activation", "xx", v, &subject, &body), 0);
	assert_non_null(strstr(body, "Kode aktivasi: ABCDE-FGHJK"));
	assert_int_equal(ra_mail_message("ra@x.test", "budi@x.test", "Sertifikat é",
					 body, 0, "m1", &msg, &len), 0);
	assert_non_null(strstr(msg, "Subject: =?UTF-8?B?"));
	assert_non_null(strstr(msg, "\r\n\r\nYth. Budi,\r\n"));
	assert_non_null(strstr(msg, "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"));
	free(msg);
	/* Header injection through an address is refused. */
	assert_int_equal(ra_mail_message("ra@x.test", "a@x.test\r\nBcc: e@x.test",
					 "s", "b", 0, "m2", &msg, &len), ESD_EINVAL);
	free(subject);
	free(body);
	assert_int_equal(ra_mail_render("nothing", "en", v, &subject, &body),
			 ESD_ENOTFOUND);
	json_decref(v);
}

static void test_maildir(void **state)
{
	char md[128], path[160];

	(void)state;
	snprintf(md, sizeof(md), "%s/mail", dir);
	assert_int_equal(ra_maildir_deliver(md, "To: a\r\n\r\nx\r\n", 12), 0);
	snprintf(path, sizeof(path), "%s/new", md);
	assert_int_equal(count_files(path), 1);
	snprintf(path, sizeof(path), "%s/tmp", md);
	assert_int_equal(count_files(path), 0);
}

static void test_subject(void **state)
{
	json_t *v = json_pack("{s:s, s:s, s:s}", "name", "Budi", "org",
			      "Kementerian", "nik", "3171000000000001");
	char out[300];

	(void)state;
	assert_int_equal(ra_subject("/C=ID/O={org}/OU={unit}/CN={name}", v, out,
				    sizeof(out)), 0);
	/* An RDN whose value is empty is left out. */
	assert_string_equal(out, "/C=ID/O=Kementerian/CN=Budi");
	assert_int_equal(ra_subject("/CN={name} ({nik})/serialNumber=NIK:{nik}", v,
				    out, sizeof(out)), 0);
	assert_string_equal(out, "/CN=Budi (3171000000000001)/serialNumber=NIK:3171000000000001");
	assert_int_not_equal(ra_subject("CN={name}", v, out, sizeof(out)), 0);
	assert_int_not_equal(ra_subject("/OU={unit}", v, out, sizeof(out)), 0);
	json_decref(v);
}

/* libpwquality with its cracklib dictionary (cracklib-runtime) judges
 * new passwords: a dictionary word with digits, a sequence, a palindrome
 * and the user's name are refused whatever their length, and a score
 * under the minimum is refused; a phrase of several words is accepted. */
static void test_password_refuses_dictionary_words_accepts_phrases(void **state)
{
	/* The old hand-written list, each refused by libpwquality now. */
	static const char *const weak[] = {
		"password12", "password123", "password1234", "1234567890",
		"12345678910", "qwertyuiop", "passw0rd123", "iloveyou123",
		"bismillah123", "indonesia123", "indonesia1945", "merdeka1945",
		"administrator", "0123456789", "1234512345", "1q2w3e4r5t",
		"qwerty12345", "aaaaaaaaaaaa",
	};
	char m[256];
	int score;

	(void)state;
	for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
		m[0] = '\0';
		assert_int_equal(ra_check_password(weak[i], NULL, 10, 50, NULL, m,
						   sizeof(m)), ESD_EINVAL);
		assert_non_null(strstr(m, "too weak"));
	}
	assert_int_equal(ra_check_password("password12", NULL, 10, 50, &score, m,
					   sizeof(m)), ESD_EINVAL);
	assert_non_null(strstr(m, "dictionary word"));
	/* A score under the minimum, then under a lower minimum. */
	assert_int_equal(ra_check_password("merdeka1945", NULL, 10, 50, &score, m,
					   sizeof(m)), ESD_EINVAL);
	assert_true(score >= 0 && score < 50);
	assert_non_null(strstr(m, "password_min_quality"));
	assert_int_equal(ra_check_password("merdeka1945", NULL, 10, (unsigned)score,
					   NULL, m, sizeof(m)), 0);
	assert_int_equal(ra_check_password("sitisiti1234", "siti", 10, 0, NULL, m,
					   sizeof(m)), ESD_EINVAL);
	assert_non_null(strstr(m, "user name"));
	assert_int_equal(ra_check_password("short", NULL, 10, 0, NULL, m,
					   sizeof(m)), ESD_EINVAL);
	assert_int_equal(ra_check_password(NULL, NULL, 10, 0, NULL, m,
					   sizeof(m)), ESD_EINVAL);
	assert_int_equal(ra_check_password("nasi goreng pedas 99", "siti", 10, 50,
					   &score, m, sizeof(m)), 0);
	assert_true(score >= 50);
	assert_int_equal(ra_check_password("kopi tubruk manis 42", NULL, 10, 100,
					   NULL, m, sizeof(m)), 0);
}

static void test_checks(void **state)
{
	char m[128];

	(void)state;
	assert_int_equal(ra_check_nik("3171000000000001", m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_nik("317100000000001", m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_nik("31710000000000012", m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_nik("317100000000000a", m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_nik(NULL, m, sizeof(m)), 0);
	assert_int_equal(ra_check_email("budi@agency.go.id", m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_email("budi@localhost", m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_email("a b@x.id", m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_email("a@b@x.id", m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_email("a@x.id\r\n", m, sizeof(m)), 0);
	assert_int_equal(ra_check_text("name", "Siti Nurhaliza", 128, m, sizeof(m)), 0);
	assert_int_equal(ra_check_text("name", "Dinas Pendidikan — Provinsi", 128, m,
				       sizeof(m)), 0);
	assert_int_not_equal(ra_check_text("name", "a/CN=b", 128, m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_text("name", "a\nb", 128, m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_text("name", "\xc3\x28", 128, m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_text("name", "", 128, m, sizeof(m)), 0);
	assert_int_not_equal(ra_check_text("name", "abcd", 3, m, sizeof(m)), 0);
}

static void test_ids(void **state)
{
	char a[40], b[40];

	(void)state;
	assert_int_equal(ra_new_id("r", a, sizeof(a)), 0);
	assert_int_equal(strlen(a), 17);
	assert_int_equal(ra_new_id("r", b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	assert_int_not_equal(ra_new_id("r", a, 10), 0);
}

/* RFC 4226 appendix D and RFC 6238 appendix B (SHA-1, last 6 digits). */
static void test_totp_vectors(void **state)
{
	static const uint8_t key[] = "12345678901234567890";
	static const struct { int64_t t; const char *code; } v[] = {
		{ 59, "287082" }, { 1111111109, "081804" },
		{ 1111111111, "050471" }, { 1234567890, "005924" },
		{ 2000000000, "279037" },
	};
	char out[7];
	int64_t step;

	(void)state;
	assert_int_equal(ra_hotp(key, 20, 0, out), 0);
	assert_string_equal(out, "755224");
	assert_int_equal(ra_hotp(key, 20, 9, out), 0);
	assert_string_equal(out, "520489");
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		assert_int_equal(ra_totp_check(key, 20, v[i].t, v[i].code, 0, &step), 1);
		assert_int_equal(step, v[i].t / 30);
	}
	/* One step of drift either way; not two. */
	assert_int_equal(ra_totp_check(key, 20, 1111111111 + 30, "050471", 0, &step), 1);
	assert_int_equal(ra_totp_check(key, 20, 1111111111 - 30, "050471", 0, &step), 1);
	assert_int_equal(ra_totp_check(key, 20, 1111111111 + 60, "050471", 0, &step), 0);
	/* A step already used is a replay. */
	assert_int_equal(ra_totp_check(key, 20, 1111111111, "050471",
				       1111111111 / 30, &step), 0);
	assert_int_equal(ra_totp_check(key, 20, 1111111111, "05047", 0, &step), 0);
	assert_int_equal(ra_totp_check(key, 20, 1111111111, NULL, 0, &step), 0);
}

static void test_base32_and_png(void **state)
{
	static const uint8_t in[] = "foobar";
	char out[16];
	uint8_t *png = NULL;
	size_t len = 0;

	(void)state;
	/* RFC 4648 §10, without padding. */
	ra_base32(in, 1, out);
	assert_string_equal(out, "MY");
	ra_base32(in, 6, out);
	assert_string_equal(out, "MZXW6YTBOI");
	assert_int_equal(ra_qr_png("otpauth://totp/x?secret=MZXW6YTBOI", 4, &png,
				   &len), 0);
	assert_true(len > 8 + 25 + 12 + 12);
	assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(png + 12, "IHDR", 4);
	assert_memory_equal(png + len - 8, "IEND", 4);
	free(png);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_weekdays_and_holidays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_judge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_report_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_holidays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_day, setup, teardown),
		cmocka_unit_test(test_templates),
		cmocka_unit_test_setup_teardown(test_maildir, setup, teardown),
		cmocka_unit_test(test_subject),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_password_refuses_dictionary_words_accepts_phrases),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_totp_vectors),
		cmocka_unit_test(test_base32_and_png),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
