/*
 * Unit tests for daemon/config.c: defaults, the line syntax, every error
 * naming "FILE:LINE: ", path resolution, admin_uids, the cross-key checks
 * and config_load on real files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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
#include "common/log.h"
#include "daemon/config.h"

#define NAME "test.conf"
#define BASE "/etc/esignd"

/* The smallest valid file: the required keys and a TLS pair for the
 * default https_listen. Four lines. */
#define MINIMAL \
	"pin_file = pin\n" \
	"state_dir = /var/lib/esignd\n" \
	"tls_cert = tls/cert.pem\n" \
	"tls_key = tls/key.pem\n"

static struct esd_config cfg;   /* large (PATH_MAX fields): keep off the stack */
static char err[512];

static int parse_n(const char *text, size_t len)
{
	memset(err, 0, sizeof(err));
	return config_parse(text, len, NAME, BASE, &cfg, err, sizeof(err));
}

static int parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* Asserts that parsing fails with exactly this message. */
static void expect_error(const char *text, const char *want)
{
	int rc = parse(text);

	if (rc != ESD_ECONFIG || strcmp(err, want) != 0)
		fail_msg("parsing\n---\n%s---\nrc %d, error \"%s\"; want \"%s\"",
			 text, rc, err, want);
}

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- defaults and syntax ---------------------------------------------- */

static void test_config_defaults(void **state)
{
	(void)state;
	config_defaults(&cfg);
	assert_string_equal(cfg.pkcs11_module, "/usr/lib/softhsm/libsofthsm2.so");
	assert_string_equal(cfg.token_label, "esignd");
	assert_string_equal(cfg.pin_file, "");
	assert_string_equal(cfg.softhsm_conf, "");
	assert_string_equal(cfg.state_dir, "");
	assert_string_equal(cfg.https_listen, "127.0.0.1:8443");
	assert_string_equal(cfg.tls_cert, "");
	assert_string_equal(cfg.tls_key, "");
	assert_string_equal(cfg.unix_socket, "");
	assert_string_equal(cfg.user, "nobody");
	assert_int_equal(cfg.n_admin_uids, 1);
	assert_int_equal(cfg.admin_uids[0], 0);
	assert_true(cfg.max_body == 64ull << 20);
	assert_int_equal(cfg.max_connections, 1024);
	assert_int_equal(cfg.request_timeout, 60);
	assert_int_equal(cfg.keeper_threads, 0);
	assert_int_equal(cfg.drain_timeout, 30);
	assert_true(cfg.lmdb_map_size == 1ull << 30);
	assert_int_equal(cfg.log_level, LOG_LVL_INFO);
}

static void test_config_minimal_file_keeps_other_defaults(void **state)
{
	(void)state;
	assert_int_equal(parse(MINIMAL), 0);
	assert_string_equal(cfg.path, NAME);
	assert_string_equal(cfg.pin_file, BASE "/pin");
	assert_string_equal(cfg.state_dir, "/var/lib/esignd");
	assert_string_equal(cfg.tls_cert, BASE "/tls/cert.pem");
	assert_string_equal(cfg.tls_key, BASE "/tls/key.pem");
	assert_string_equal(cfg.https_listen, "127.0.0.1:8443");
	assert_string_equal(cfg.token_label, "esignd");
	assert_int_equal(cfg.max_connections, 1024);
	assert_int_equal(cfg.n_admin_uids, 1);
	assert_int_equal(cfg.log_level, LOG_LVL_INFO);
}

static void test_config_all_keys_are_parsed(void **state)
{
	(void)state;
	assert_int_equal(parse(MINIMAL
		"pkcs11_module = /usr/lib/x/libp11mod.so\n"
		"token_label = prod-token\n"
		"softhsm_conf = softhsm2.conf\n"
		"https_listen = 0.0.0.0:443\n"
		"unix_socket = /run/esignd/api.sock\n"
		"user = esignd\n"
		"admin_uids = 0, 1000\n"
		"max_body = 1024\n"
		"max_connections = 100000\n"
		"request_timeout = 3600\n"
		"keeper_threads = 64\n"
		"drain_timeout = 0\n"
		"lmdb_map_size = 1099511627776\n"
		"log_level = debug\n"), 0);
	assert_string_equal(cfg.pkcs11_module, "/usr/lib/x/libp11mod.so");
	assert_string_equal(cfg.token_label, "prod-token");
	assert_string_equal(cfg.softhsm_conf, BASE "/softhsm2.conf");
	assert_string_equal(cfg.https_listen, "0.0.0.0:443");
	assert_string_equal(cfg.unix_socket, "/run/esignd/api.sock");
	assert_string_equal(cfg.user, "esignd");
	assert_int_equal(cfg.n_admin_uids, 2);
	assert_int_equal(cfg.admin_uids[0], 0);
	assert_int_equal(cfg.admin_uids[1], 1000);
	assert_int_equal(cfg.max_body, 1024);
	assert_int_equal(cfg.max_connections, 100000);
	assert_int_equal(cfg.request_timeout, 3600);
	assert_int_equal(cfg.keeper_threads, 64);
	assert_int_equal(cfg.drain_timeout, 0);
	assert_true(cfg.lmdb_map_size == 1ull << 40);
	assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
}

static void test_config_comments_and_blank_lines_are_ignored(void **state)
{
	(void)state;
	assert_int_equal(parse(
		"# esignd.conf\n"
		"\n"
		"   \n"
		"\t\n"
		"   # indented comment with key = value inside\n"
		MINIMAL
		"token_label = lab # trailing comment\n"
		"#max_connections = 0\n"
		"user = alice#no space before the comment\n"
		"\n"), 0);
	assert_string_equal(cfg.token_label, "lab");
	assert_string_equal(cfg.user, "alice");
	assert_int_equal(cfg.max_connections, 1024);
}

static void test_config_whitespace_around_key_and_value_is_trimmed(void **state)
{
	(void)state;
	assert_int_equal(parse(
		"  pin_file\t=\t pin \t\n"
		"state_dir=/var/lib/esignd\n"
		"\ttls_cert =tls/cert.pem\r\n"      /* CRLF line end */
		"tls_key= tls/key.pem   \n"
		"token_label =  two words  "),     /* no final newline */
		0);
	assert_string_equal(cfg.pin_file, BASE "/pin");
	assert_string_equal(cfg.state_dir, "/var/lib/esignd");
	assert_string_equal(cfg.tls_cert, BASE "/tls/cert.pem");
	assert_string_equal(cfg.tls_key, BASE "/tls/key.pem");
	assert_string_equal(cfg.token_label, "two words");
}

static void test_config_value_may_contain_equals_sign(void **state)
{
	(void)state;
	assert_int_equal(parse(MINIMAL "token_label = a=b\n"), 0);
	assert_string_equal(cfg.token_label, "a=b");
}

static void test_config_empty_string_value_is_allowed(void **state)
{
	(void)state;
	/* https_listen = "" turns HTTPS off; then no TLS pair is needed. */
	assert_int_equal(parse("pin_file = /p\nstate_dir = /s\n"
			       "https_listen =\nunix_socket = api.sock\n"), 0);
	assert_string_equal(cfg.https_listen, "");
	assert_string_equal(cfg.unix_socket, BASE "/api.sock");
	assert_string_equal(cfg.tls_cert, "");
	/* An empty path stays empty, not "BASE/". */
	assert_int_equal(parse(MINIMAL "softhsm_conf =\n"), 0);
	assert_string_equal(cfg.softhsm_conf, "");
}

/* ---- errors: "FILE:LINE: what" ---------------------------------------- */

static void test_config_error_unknown_key_names_file_and_line(void **state)
{
	(void)state;
	expect_error(MINIMAL "\n# comment\nbogus = 1\n",
		     NAME ":7: unknown key 'bogus'");
	/* Keys are case-sensitive. */
	expect_error("PIN_FILE = x\n", NAME ":1: unknown key 'PIN_FILE'");
	expect_error(" = x\n", NAME ":1: unknown key ''");
}

static void test_config_error_unknown_key_is_truncated_in_message(void **state)
{
	char text[300], want[200];

	(void)state;
	memset(text, 'k', 100);
	snprintf(text + 100, sizeof(text) - 100, " = 1\n");
	snprintf(want, sizeof(want), NAME ":1: unknown key '%.64s'", text);
	expect_error(text, want);
}

static void test_config_error_duplicate_key(void **state)
{
	(void)state;
	expect_error(MINIMAL "token_label = a\ntoken_label = b\n",
		     NAME ":6: 'token_label' given twice");
	expect_error("pin_file = a\npin_file = a\n",
		     NAME ":2: 'pin_file' given twice");
}

static void test_config_error_missing_equals(void **state)
{
	(void)state;
	expect_error("pin_file = p\nstate_dir /var/lib/esignd\n",
		     NAME ":2: expected 'key = value'");
	/* An '=' inside a comment does not count. */
	expect_error("pin_file # = p\n", NAME ":1: expected 'key = value'");
}

static void test_config_error_integer_out_of_range(void **state)
{
	(void)state;
	expect_error("max_connections = 0\n",
		     NAME ":1: 'max_connections' must be an integer in [1, 100000]");
	expect_error("\nmax_connections = 100001\n",
		     NAME ":2: 'max_connections' must be an integer in [1, 100000]");
	expect_error("max_body = 1023\n",
		     NAME ":1: 'max_body' must be an integer in [1024, 4294967296]");
	expect_error("request_timeout = 3601\n",
		     NAME ":1: 'request_timeout' must be an integer in [1, 3600]");
	expect_error("keeper_threads = 65\n",
		     NAME ":1: 'keeper_threads' must be an integer in [0, 64]");
	expect_error("lmdb_map_size = 1048575\n",
		     NAME ":1: 'lmdb_map_size' must be an integer in [1048576, 1099511627776]");
	expect_error("drain_timeout = 18446744073709551616\n",
		     NAME ":1: 'drain_timeout' must be an integer in [0, 3600]");
	/* The bounds themselves are accepted. */
	assert_int_equal(parse(MINIMAL "max_body = 4294967296\n"
			       "lmdb_map_size = 1048576\n"), 0);
	assert_true(cfg.max_body == 1ull << 32);
	assert_true(cfg.lmdb_map_size == 1ull << 20);
}

static void test_config_error_non_integer(void **state)
{
	static const char *const bad[] = {
		"12k", "-1", "+5", "0x10", "1.5", "ten", "1 000", "",
	};
	char text[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "max_connections = %s\n", bad[i]);
		expect_error(text, NAME ":1: 'max_connections' must be an "
			     "integer in [1, 100000]");
	}
}

static void test_config_error_value_too_long(void **state)
{
	char text[256];

	(void)state;
	/* token_label holds 32 bytes. */
	snprintf(text, sizeof(text), MINIMAL "token_label = %s\n",
		 "0123456789abcdef0123456789abcdef");
	assert_int_equal(parse(text), 0);
	assert_string_equal(cfg.token_label, "0123456789abcdef0123456789abcdef");
	snprintf(text, sizeof(text), MINIMAL "token_label = %s\n",
		 "0123456789abcdef0123456789abcdefX");
	expect_error(text, NAME ":5: value of 'token_label' too long");
}

static void test_config_error_path_too_long_after_joining_base(void **state)
{
	static char base[PATH_MAX], text[PATH_MAX];
	int rc;

	(void)state;
	/* Base of 3000 bytes plus a 2000-byte relative value: over PATH_MAX. */
	base[0] = '/';
	memset(base + 1, 'b', 2999);
	base[3000] = '\0';
	memcpy(text, "pin_file = ", 11);
	memset(text + 11, 'p', 2000);
	memcpy(text + 2011, "\n", 2);
	rc = config_parse(text, strlen(text), NAME, base, &cfg, err,
			  sizeof(err));
	assert_int_equal(rc, ESD_ECONFIG);
	assert_string_equal(err, NAME ":1: value of 'pin_file' too long");
}

static void test_config_error_nul_byte(void **state)
{
	static const char text[] = "pin_file = p\nstate_dir = /a\0b\n";

	(void)state;
	assert_int_equal(parse_n(text, sizeof(text) - 1), ESD_ECONFIG);
	assert_string_equal(err, NAME ":2: NUL byte");
	/* Also inside a comment. */
	assert_int_equal(parse_n("# a\0b\n", 6), ESD_ECONFIG);
	assert_string_equal(err, NAME ":1: NUL byte");
}

static void test_config_error_line_too_long(void **state)
{
	static char text[8192];
	size_t n;

	(void)state;
	/* A 4095-byte line (comment) fits the 4096-byte line buffer. */
	n = (size_t)snprintf(text, sizeof(text), MINIMAL);
	text[n++] = '#';
	memset(text + n, 'x', 4094);
	n += 4094;
	text[n++] = '\n';
	assert_int_equal(parse_n(text, n), 0);

	/* 4096 bytes do not. */
	n = (size_t)snprintf(text, sizeof(text), MINIMAL);
	text[n++] = '#';
	memset(text + n, 'x', 4095);
	n += 4095;
	text[n++] = '\n';
	assert_int_equal(parse_n(text, n), ESD_ECONFIG);
	assert_string_equal(err, NAME ":5: line too long");

	/* Without a final newline too. */
	memset(text, 'x', 5000);
	assert_int_equal(parse_n(text, 5000), ESD_ECONFIG);
	assert_string_equal(err, NAME ":1: line too long");
}

static void test_config_error_is_truncated_to_err_buffer(void **state)
{
	char small[12];
	int rc;

	(void)state;
	memset(small, 'Z', sizeof(small));
	rc = config_parse("bogus = 1\n", 10, NAME, BASE, &cfg, small,
			  sizeof(small));
	assert_int_equal(rc, ESD_ECONFIG);
	assert_string_equal(small, "test.conf:1");
}

/* ---- paths ------------------------------------------------------------ */

static void test_config_relative_paths_resolve_against_base(void **state)
{
	(void)state;
	assert_int_equal(parse("pin_file = secrets/pin\n"
			       "state_dir = ./state\n"
			       "tls_cert = ../tls/cert.pem\n"
			       "tls_key = /abs/key.pem\n"
			       "pkcs11_module = libsofthsm2.so\n"), 0);
	assert_string_equal(cfg.pin_file, BASE "/secrets/pin");
	assert_string_equal(cfg.state_dir, BASE "/./state");
	assert_string_equal(cfg.tls_cert, BASE "/../tls/cert.pem");
	assert_string_equal(cfg.tls_key, "/abs/key.pem");
	assert_string_equal(cfg.pkcs11_module, BASE "/libsofthsm2.so");
}

static void test_config_relative_paths_kept_without_base(void **state)
{
	(void)state;
	assert_int_equal(config_parse(MINIMAL, strlen(MINIMAL), NAME, NULL,
				      &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.pin_file, "pin");
	assert_string_equal(cfg.tls_cert, "tls/cert.pem");
	assert_string_equal(cfg.state_dir, "/var/lib/esignd");
}

static void test_config_string_keys_are_not_resolved_as_paths(void **state)
{
	(void)state;
	assert_int_equal(parse(MINIMAL "user = esignd\ntoken_label = t/x\n"),
			 0);
	assert_string_equal(cfg.user, "esignd");
	assert_string_equal(cfg.token_label, "t/x");
}

/* ---- admin_uids ------------------------------------------------------- */

static void test_config_admin_uids_numbers_and_names(void **state)
{
	(void)state;
	assert_int_equal(parse(MINIMAL "admin_uids = 1000,root, 65534 ,42\n"),
			 0);
	assert_int_equal(cfg.n_admin_uids, 4);
	assert_int_equal(cfg.admin_uids[0], 1000);
	assert_int_equal(cfg.admin_uids[1], 0);
	assert_int_equal(cfg.admin_uids[2], 65534);
	assert_int_equal(cfg.admin_uids[3], 42);

	assert_int_equal(parse(MINIMAL "admin_uids = root\n"), 0);
	assert_int_equal(cfg.n_admin_uids, 1);
	assert_int_equal(cfg.admin_uids[0], 0);
}

static void test_config_admin_uids_unknown_user_is_error(void **state)
{
	(void)state;
	expect_error(MINIMAL "admin_uids = 0, esd-no-such-user-x9\n",
		     NAME ":5: invalid value for 'admin_uids'");
}

static void test_config_admin_uids_rejects_bad_lists(void **state)
{
	(void)state;
	/* Empty list. */
	expect_error("admin_uids =\n", NAME ":1: invalid value for 'admin_uids'");
	expect_error("admin_uids = , ,\n",
		     NAME ":1: invalid value for 'admin_uids'");
	/* (uid_t)-1 is "no uid", never an admin. */
	expect_error("admin_uids = 4294967295\n",
		     NAME ":1: invalid value for 'admin_uids'");
	expect_error("admin_uids = -1\n",
		     NAME ":1: invalid value for 'admin_uids'");
	/* At most CONF_MAX_UIDS (16). */
	assert_int_equal(parse(MINIMAL "admin_uids = 1,2,3,4,5,6,7,8,9,10,11,"
			       "12,13,14,15,16\n"), 0);
	assert_int_equal(cfg.n_admin_uids, CONF_MAX_UIDS);
	assert_int_equal(cfg.admin_uids[15], 16);
	expect_error("admin_uids = 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17\n",
		     NAME ":1: invalid value for 'admin_uids'");
}

/* ---- cross-key checks ------------------------------------------------- */

static void test_config_https_without_tls_cert_is_error(void **state)
{
	(void)state;
	assert_int_equal(parse("pin_file = p\nstate_dir = s\n"
			       "tls_key = k\n"), ESD_ECONFIG);
	assert_true(starts_with(err, NAME ":"));
	assert_non_null(strstr(err, "https_listen needs tls_cert and tls_key"));
	/* Nor without tls_key. */
	assert_int_equal(parse("pin_file = p\nstate_dir = s\n"
			       "https_listen = [::1]:8443\ntls_cert = c\n"),
			 ESD_ECONFIG);
	assert_non_null(strstr(err, "https_listen needs tls_cert and tls_key"));
}

static void test_config_neither_listener_is_error(void **state)
{
	(void)state;
	assert_int_equal(parse("pin_file = p\nstate_dir = s\n"
			       "https_listen =\n"), ESD_ECONFIG);
	assert_true(starts_with(err, NAME ":"));
	assert_non_null(strstr(err,
			       "neither https_listen nor unix_socket is set"));
}

static void test_config_unix_socket_only_needs_no_tls(void **state)
{
	(void)state;
	assert_int_equal(parse("pin_file = p\nstate_dir = s\n"
			       "https_listen =\nunix_socket = /run/e.sock\n"),
			 0);
	assert_string_equal(cfg.unix_socket, "/run/e.sock");
}

static void test_config_store_names_lmdb_or_postgresql(void **state)
{
	(void)state;
	assert_int_equal(parse(MINIMAL), 0);
	assert_string_equal(config_store(&cfg), "/var/lib/esignd");
	assert_int_equal(parse(MINIMAL "store = postgresql://esignd@db/esignd\n"), 0);
	assert_string_equal(config_store(&cfg), "postgresql://esignd@db/esignd");
	assert_int_equal(parse(MINIMAL "store = host=db dbname=esignd\n"), 0);
	assert_string_equal(config_store(&cfg), "host=db dbname=esignd");
	assert_int_equal(parse(MINIMAL "store = lmdb:/srv/state\n"), 0);
	assert_int_equal(parse(MINIMAL "store = /srv/state\n"), ESD_ECONFIG);
	assert_non_null(strstr(err, "store is lmdb:/ABSOLUTE/PATH"));
	assert_int_equal(parse(MINIMAL "store = lmdb:relative\n"), ESD_ECONFIG);
	assert_int_equal(parse(MINIMAL "store = mysql://x\n"), ESD_ECONFIG);
}

static void test_config_missing_pin_file_or_state_dir_is_error(void **state)
{
	(void)state;
	assert_int_equal(parse("state_dir = s\ntls_cert = c\ntls_key = k\n"),
			 ESD_ECONFIG);
	assert_true(starts_with(err, NAME ":"));
	assert_non_null(strstr(err, "pin_file and state_dir are required"));
	assert_int_equal(parse("pin_file = p\ntls_cert = c\ntls_key = k\n"),
			 ESD_ECONFIG);
	assert_non_null(strstr(err, "pin_file and state_dir are required"));
	/* An explicitly empty value is as good as missing. */
	assert_int_equal(parse("pin_file =\nstate_dir = s\ntls_cert = c\n"
			       "tls_key = k\n"), ESD_ECONFIG);
	assert_non_null(strstr(err, "pin_file and state_dir are required"));
}

static void test_config_empty_text_is_error(void **state)
{
	(void)state;
	assert_int_equal(parse(""), ESD_ECONFIG);
	assert_true(starts_with(err, NAME ":"));
}

/* ---- bsre_level --------------------------------------------------------- */

static void test_config_bsre_level_defaults_to_b_t_and_takes_the_four_levels(void **state)
{
	static const char *const levels[] = { "B-B", "B-T", "B-LT", "B-LTA" };
	char text[256];

	(void)state;
	assert_int_equal(parse(MINIMAL), 0);
	assert_string_equal(cfg.bsre_level, "B-T");
	for (size_t i = 0; i < 4; i++) {
		snprintf(text, sizeof(text), MINIMAL "bsre_level = %s\n", levels[i]);
		assert_int_equal(parse(text), 0);
		assert_string_equal(cfg.bsre_level, levels[i]);
	}
}

static void test_config_bsre_level_refuses_what_is_no_level(void **state)
{
	(void)state;
	expect_error(MINIMAL "bsre_level = B-X\n",
		     NAME ":5: bsre_level is B-B, B-T, B-LT or B-LTA");
	expect_error(MINIMAL "bsre_level = b-t\n",
		     NAME ":5: bsre_level is B-B, B-T, B-LT or B-LTA");
	expect_error(MINIMAL "bsre_level =\n",
		     NAME ":5: bsre_level is B-B, B-T, B-LT or B-LTA");
}

/* ---- log_level -------------------------------------------------------- */

static void test_config_log_level_names(void **state)
{
	static const struct {
		const char *name;
		int level;
	} ok[] = {
		{ "error", LOG_LVL_ERR }, { "warn", LOG_LVL_WARN },
		{ "info", LOG_LVL_INFO }, { "debug", LOG_LVL_DEBUG },
		{ "DEBUG", LOG_LVL_DEBUG }, { "Warn", LOG_LVL_WARN },
	};
	static const char *const bad[] = { "verbose", "warning", "err", "3",
					   "" };
	char text[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), MINIMAL "log_level = %s\n",
			 ok[i].name);
		assert_int_equal(parse(text), 0);
		assert_int_equal(cfg.log_level, ok[i].level);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), MINIMAL "log_level = %s\n",
			 bad[i]);
		expect_error(text, NAME ":5: invalid value for 'log_level'");
	}
}

/* ---- config_load ------------------------------------------------------ */

static int setup_tmpdir(void **state)
{
	(void)state;
	return unit_tmpdir_make("config");
}

static int teardown_tmpdir(void **state)
{
	(void)state;
	return unit_tmpdir_remove();
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void test_config_load_resolves_against_file_directory(void **state)
{
	char path[PATH_MAX], sub[PATH_MAX], real[PATH_MAX], want[PATH_MAX + 32];

	(void)state;
	snprintf(sub, sizeof(sub), "%s/etc", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof(path), "%s/esignd.conf", sub);
	write_file(path, MINIMAL "token_label = loaded\n");
	assert_non_null(realpath(sub, real));
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.token_label, "loaded");
	snprintf(want, sizeof(want), "%s/pin", real);
	assert_string_equal(cfg.pin_file, want);
	snprintf(want, sizeof(want), "%s/tls/cert.pem", real);
	assert_string_equal(cfg.tls_cert, want);
	assert_string_equal(cfg.state_dir, "/var/lib/esignd");
}

static void test_config_load_error_names_the_path(void **state)
{
	char path[PATH_MAX], want[PATH_MAX + 32];

	(void)state;
	snprintf(path, sizeof(path), "%s/bad.conf", tmpdir);
	write_file(path, "# header\nnot a key value line\n");
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)),
			 ESD_ECONFIG);
	snprintf(want, sizeof(want), "%s:2: expected 'key = value'", path);
	assert_string_equal(err, want);
}

static void test_config_load_missing_file_is_config_error(void **state)
{
	char path[PATH_MAX], want[PATH_MAX + 32];

	(void)state;
	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	assert_int_equal(config_load(path, &cfg, err, sizeof(err)),
			 ESD_ECONFIG);
	snprintf(want, sizeof(want), "%s: cannot read: ", path);
	assert_true(starts_with(err, want));
}

/* The registration authority's keys: profiles by dotted name, defaults,
 * a key type outside the three the token makes is refused. */
static void test_ra_keys(void **state)
{
	(void)state;
	assert_int_equal(parse(MINIMAL), 0);
	assert_string_equal(cfg.profile_individual.key_type, "rsa2048");
	assert_int_equal(cfg.profile_seal.days, 730);
	assert_int_equal(cfg.sla_individual_days, 3);
	assert_int_equal(cfg.sla_seal_days, 4);
	assert_int_equal(cfg.activation_hours, 72);
	assert_int_equal(cfg.smtp_require_tls, 1);
	assert_int_equal(cfg.argon2_opslimit, 2);
	assert_int_equal(cfg.argon2_memlimit_kib, 65536);
	assert_int_equal(parse(MINIMAL "profile.seal.key_type = ec-p256\n"
			       "profile.seal.days = 365\n"
			       "profile.seal.policies = 2.16.360.1.1.1, 1.2.3\n"
			       "profile.individual.subject = /CN={name}\n"
			       "sla_holidays = holidays.txt\n"
			       "mail_maildir = mail\n"), 0);
	assert_string_equal(cfg.profile_seal.key_type, "ec-p256");
	assert_int_equal(cfg.profile_seal.days, 365);
	assert_string_equal(cfg.profile_seal.policies, "2.16.360.1.1.1, 1.2.3");
	assert_string_equal(cfg.profile_individual.subject, "/CN={name}");
	assert_string_equal(cfg.sla_holidays, BASE "/holidays.txt");
	assert_string_equal(cfg.mail_maildir, BASE "/mail");
	assert_int_equal(parse(MINIMAL "profile.seal.key_type = dsa1024\n"),
			 ESD_ECONFIG);
	assert_string_equal(err, NAME ":5: invalid value for 'profile.seal.key_type'");
	assert_int_equal(parse(MINIMAL "profile.seal.days = 0\n"), ESD_ECONFIG);
	assert_int_equal(parse(MINIMAL "profile.other.days = 1\n"), ESD_ECONFIG);
	assert_string_equal(err, NAME ":5: unknown key 'profile.other.days'");
}

/* The CPS profile keys and the distribution point: defaults (the EKU
 * NSS needs), parsed values, and QcCompliance only with QCStatements. */
static void test_config_profile_extensions_and_public_listen(void **state)
{
	(void)state;
	assert_int_equal(parse(MINIMAL), 0);
	assert_string_equal(cfg.public_listen, "");
	assert_string_equal(cfg.profile_seal.eku, "emailProtection,documentSigning");
	assert_string_equal(cfg.profile_individual.key_usage,
			    "digitalSignature,nonRepudiation");
	assert_int_equal(cfg.profile_seal.qc_statements, 0);
	assert_int_equal(cfg.profile_seal.qualified, 0);
	assert_int_equal(parse(MINIMAL "public_listen = 0.0.0.0:80\n"
			       "profile.seal.cps_url = http://pki.example/cps\n"
			       "profile.seal.qc_statements = yes\n"
			       "profile.seal.qualified = yes\n"
			       "profile.seal.pds_url = http://pki.example/pds\n"
			       "profile.individual.key_usage = nonRepudiation\n"), 0);
	assert_string_equal(cfg.public_listen, "0.0.0.0:80");
	assert_string_equal(cfg.profile_seal.cps_url, "http://pki.example/cps");
	assert_int_equal(cfg.profile_seal.qc_statements, 1);
	assert_int_equal(cfg.profile_seal.qualified, 1);
	assert_string_equal(cfg.profile_seal.pds_url, "http://pki.example/pds");
	assert_string_equal(cfg.profile_individual.key_usage, "nonRepudiation");
	assert_int_equal(parse(MINIMAL "profile.individual.qualified = yes\n"),
			 ESD_ECONFIG);
	assert_true(strstr(err, "a qualified profile needs qc_statements = yes") != NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		cmocka_unit_test(test_config_bsre_level_defaults_to_b_t_and_takes_the_four_levels),
		cmocka_unit_test(test_config_bsre_level_refuses_what_is_no_level),
		cmocka_unit_test(test_config_minimal_file_keeps_other_defaults),
		cmocka_unit_test(test_config_all_keys_are_parsed),
		cmocka_unit_test(test_config_comments_and_blank_lines_are_ignored),
		cmocka_unit_test(test_config_whitespace_around_key_and_value_is_trimmed),
		cmocka_unit_test(test_config_value_may_contain_equals_sign),
		cmocka_unit_test(test_config_empty_string_value_is_allowed),
		cmocka_unit_test(test_config_error_unknown_key_names_file_and_line),
		cmocka_unit_test(test_config_error_unknown_key_is_truncated_in_message),
		cmocka_unit_test(test_config_error_duplicate_key),
		cmocka_unit_test(test_config_error_missing_equals),
		cmocka_unit_test(test_config_error_integer_out_of_range),
		cmocka_unit_test(test_config_error_non_integer),
		cmocka_unit_test(test_config_error_value_too_long),
		cmocka_unit_test(test_config_error_path_too_long_after_joining_base),
		cmocka_unit_test(test_config_error_nul_byte),
		cmocka_unit_test(test_config_error_line_too_long),
		cmocka_unit_test(test_config_error_is_truncated_to_err_buffer),
		cmocka_unit_test(test_config_relative_paths_resolve_against_base),
		cmocka_unit_test(test_config_relative_paths_kept_without_base),
		cmocka_unit_test(test_config_string_keys_are_not_resolved_as_paths),
		cmocka_unit_test(test_config_admin_uids_numbers_and_names),
		cmocka_unit_test(test_config_admin_uids_unknown_user_is_error),
		cmocka_unit_test(test_config_admin_uids_rejects_bad_lists),
		cmocka_unit_test(test_config_https_without_tls_cert_is_error),
		cmocka_unit_test(test_config_neither_listener_is_error),
		cmocka_unit_test(test_config_unix_socket_only_needs_no_tls),
		cmocka_unit_test(test_config_missing_pin_file_or_state_dir_is_error),
		cmocka_unit_test(test_config_store_names_lmdb_or_postgresql),
		cmocka_unit_test(test_config_empty_text_is_error),
		cmocka_unit_test(test_config_log_level_names),
		cmocka_unit_test(test_config_load_resolves_against_file_directory),
		cmocka_unit_test(test_config_load_error_names_the_path),
		cmocka_unit_test(test_config_load_missing_file_is_config_error),
		cmocka_unit_test(test_ra_keys),
		cmocka_unit_test(test_config_profile_extensions_and_public_listen),
	};

	return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
