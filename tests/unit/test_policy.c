/*
 * Unit tests for policy/: every rule as a table of facts and the verdict
 * they must give, each refusal code included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "policy/policy.h"

#define NOW 1800000000

static void test_role_parse_names_each_role(void **state)
{
	(void)state;
	assert_int_equal(pol_role_parse("client", 0), POL_ROLE_CLIENT);
	assert_int_equal(pol_role_parse("verifier", 0), POL_ROLE_VERIFIER);
	assert_int_equal(pol_role_parse("officer", 0), POL_ROLE_OFFICER);
	assert_int_equal(pol_role_parse("admin", 0), POL_ROLE_ADMIN);
	assert_int_equal(pol_role_parse("", 1), POL_ROLE_ADMIN);
	assert_int_equal(pol_role_parse("root", 0), POL_ROLE_NONE);
	assert_int_equal(pol_role_parse(NULL, 0), POL_ROLE_NONE);
	assert_string_equal(pol_role_name(POL_ROLE_OFFICER), "officer");
}

static const struct {
	const char *what;
	struct pol_lockout_state s;
	unsigned inflight;
	int forever;
	int want;
} admit_rows[] = {
	{ "fresh subject, nothing running", { 0, 0 }, 0, 0, 0 },
	{ "4 running of 5 allowed", { 0, 0 }, 4, 0, 0 },
	{ "5 running: the 6th waits", { 0, 0 }, 5, 0, 1 },
	{ "3 failures, 2 running: waits", { 3, 0 }, 2, 0, 1 },
	{ "3 failures, 1 running: starts", { 3, 0 }, 1, 0, 0 },
	{ "locked for a while", { 5, NOW + 60 }, 0, 0, ESD_ELOCKED },
	{ "locked forever (a seal)", { 5, POL_LOCK_FOREVER }, 0, 1, ESD_ELOCKED },
	{ "lock ran out: one at a time", { 5, NOW - 1 }, 0, 0, 0 },
	{ "lock ran out, one running: waits", { 5, NOW - 1 }, 1, 0, 1 },
};

static void test_lockout_admits_no_more_than_can_fail(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(admit_rows) / sizeof(admit_rows[0]); i++) {
		struct pol_lockout_limits l = { 5, 300, admit_rows[i].forever };
		struct pol_verdict v;
		int rc = pol_lockout_admit(&admit_rows[i].s, admit_rows[i].inflight,
					   &l, NOW, "subscriber x", &v);

		if (rc != admit_rows[i].want)
			fail_msg("%s: got %d, want %d", admit_rows[i].what, rc,
				 admit_rows[i].want);
		if (rc == ESD_ELOCKED)
			assert_non_null(strstr(v.msg, "locked"));
	}
}

static void test_lockout_locks_at_the_limit(void **state)
{
	struct pol_lockout_limits l = { 5, 300, 0 }, seal = { 5, 300, 1 };
	struct pol_lockout_state s = { 0, 0 };

	(void)state;
	for (int i = 1; i <= 4; i++) {
		pol_lockout_failed(&s, &l, NOW);
		assert_int_equal(s.failures, i);
		assert_int_equal(s.locked_until, 0);
	}
	pol_lockout_failed(&s, &l, NOW);
	assert_int_equal(s.failures, 5);
	assert_int_equal(s.locked_until, NOW + 300);
	s.failures = 4;
	s.locked_until = 0;
	pol_lockout_failed(&s, &seal, NOW);
	assert_true(s.locked_until == POL_LOCK_FOREVER);
}

/* Run the lockout as the keeper does, with checks that all fail and
 * arrive together: no more start than the limit. */
static void test_lockout_sixty_at_once_checks_exactly_the_limit(void **state)
{
	struct pol_lockout_limits l = { 5, 300, 0 };
	struct pol_lockout_state s = { 0, 0 };
	unsigned running = 0, checked = 0, refused = 0, waiting = 60;

	(void)state;
	while (waiting > 0) {
		int rc = pol_lockout_admit(&s, running, &l, NOW, "x", NULL);

		if (rc == 0) {
			running++;
			waiting--;
			continue;
		}
		if (rc == ESD_ELOCKED) {
			refused++;
			waiting--;
			continue;
		}
		assert_true(running > 0);    /* a wait needs a running check */
		running--;
		checked++;
		pol_lockout_failed(&s, &l, NOW);
	}
	checked += running;
	assert_int_equal(checked, 5);
	assert_int_equal(refused, 55);
}

static void test_authz_parse_is_typed(void **state)
{
	static const struct {
		const char *wire;
		enum pol_authz_kind kind;
		const char *value;
	} rows[] = {
		{ "Popen sesame", POL_AUTHZ_PASSPHRASE, "open sesame" },
		{ "O12345", POL_AUTHZ_OTP, "12345" },
		{ "Babc", POL_AUTHZ_BATCH, "abc" },
		{ "Sdeadbeef", POL_AUTHZ_SEAL_CODE, "deadbeef" },
		{ "S", POL_AUTHZ_NONE, "" },
		{ "Xsomething", POL_AUTHZ_NONE, "" },
		{ "", POL_AUTHZ_NONE, "" },
		{ NULL, POL_AUTHZ_NONE, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pol_authz a;

		pol_authz_parse(rows[i].wire, &a);
		assert_int_equal(a.kind, rows[i].kind);
		assert_string_equal(a.value, rows[i].value);
	}
}

static void test_authz_fits_the_subscriber(void **state)
{
	static const struct {
		enum pol_subject_kind subject;
		int active;
		enum pol_authz_kind kind;
		int want;
	} rows[] = {
		{ POL_SUBJECT_NONE, 1, POL_AUTHZ_NONE, 0 },
		{ POL_SUBJECT_INDIVIDUAL, 1, POL_AUTHZ_PASSPHRASE, 0 },
		{ POL_SUBJECT_INDIVIDUAL, 1, POL_AUTHZ_OTP, 0 },
		{ POL_SUBJECT_INDIVIDUAL, 1, POL_AUTHZ_BATCH, 0 },
		{ POL_SUBJECT_INDIVIDUAL, 1, POL_AUTHZ_SEAL_CODE, ESD_EAUTHZ },
		{ POL_SUBJECT_INDIVIDUAL, 1, POL_AUTHZ_NONE, ESD_EAUTHZ },
		{ POL_SUBJECT_INDIVIDUAL, 0, POL_AUTHZ_PASSPHRASE, ESD_EPERM },
		{ POL_SUBJECT_SEAL, 1, POL_AUTHZ_SEAL_CODE, 0 },
		{ POL_SUBJECT_SEAL, 1, POL_AUTHZ_PASSPHRASE, ESD_EAUTHZ },
		{ POL_SUBJECT_SEAL, 0, POL_AUTHZ_SEAL_CODE, ESD_EPERM },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct pol_authz a = { rows[i].kind, "x" };

		if (pol_authz_fits(rows[i].subject, rows[i].active, &a, NULL) !=
		    rows[i].want)
			fail_msg("row %zu", i);
	}
}

static void test_a_verifier_does_not_sign_for_an_individual(void **state)
{
	struct pol_verdict v;

	(void)state;
	assert_int_equal(pol_sign_for_individual(POL_ROLE_CLIENT, &v), 0);
	assert_int_equal(pol_sign_for_individual(POL_ROLE_VERIFIER, &v), ESD_EPERM);
	assert_non_null(strstr(v.msg, "verifier"));
	assert_int_equal(pol_sign_for_individual(POL_ROLE_ADMIN, &v), 0);
	assert_int_equal(pol_sign_for_individual(POL_ROLE_OFFICER, &v), ESD_EPERM);
	assert_int_equal(pol_sign_for_individual(POL_ROLE_NONE, &v), ESD_EPERM);
}

/* Who may do what with a seal, on a live, active, enrolled seal: the
 * whole role x operation matrix. */
static void test_seal_role_by_operation(void **state)
{
	static const enum pol_seal_op ops[] = {
		POL_SEAL_ACTIVATE, POL_SEAL_DEACTIVATE, POL_SEAL_ENROL,
		POL_SEAL_ENROL_RESET, POL_SEAL_CODE_BY_ACTIVATION,
		POL_SEAL_CODE_BY_TOTP,
	};
	static const struct {
		struct pol_seal_actor a;
		int allowed[6];     /* in the order of ops[] */
	} rows[] = {
		{ { POL_ROLE_OFFICER, 1 }, { 1, 1, 1, 0, 1, 1 } },
		{ { POL_ROLE_OFFICER, 0 }, { 0, 0, 0, 0, 0, 0 } },
		{ { POL_ROLE_CLIENT, 1 }, { 1, 1, 0, 0, 1, 0 } },
		{ { POL_ROLE_CLIENT, 0 }, { 0, 0, 0, 0, 0, 0 } },
		{ { POL_ROLE_ADMIN, 0 }, { 0, 0, 0, 1, 0, 0 } },
		{ { POL_ROLE_VERIFIER, 0 }, { 0, 0, 0, 0, 0, 0 } },
		{ { POL_ROLE_VERIFIER, 1 }, { 0, 0, 0, 0, 0, 0 } },
		{ { POL_ROLE_NONE, 0 }, { 0, 0, 0, 0, 0, 0 } },
	};
	struct pol_seal_facts live = { 1, 1, 0, NOW + 3600, 1 };

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (size_t j = 0; j < 6; j++) {
			struct pol_verdict v;
			int rc = pol_seal_may(&rows[i].a, ops[j], &live, NOW, &v);

			if (rc != (rows[i].allowed[j] ? 0 : ESD_EPERM))
				fail_msg("%s (named %d), op %zu: got %d",
					 pol_role_name(rows[i].a.role),
					 rows[i].a.named, j, rc);
		}
}

/* The seal's state: every refusal the officer can meet. */
static void test_seal_state_refusals(void **state)
{
	static const struct {
		const char *what;
		enum pol_seal_op op;
		struct pol_seal_facts f;
		int want;
	} rows[] = {
		{ "not a seal", POL_SEAL_ACTIVATE, { 0, 1, 0, 0, 0 }, ESD_EEXIST },
		{ "a revoked seal is not activated", POL_SEAL_ACTIVATE,
		  { 1, 0, 0, 0, 0 }, ESD_EEXIST },
		{ "a revoked seal enrols nothing", POL_SEAL_ENROL,
		  { 1, 0, 0, 0, 0 }, ESD_EEXIST },
		{ "a revoked seal mints nothing", POL_SEAL_CODE_BY_ACTIVATION,
		  { 1, 0, 0, NOW + 60, 0 }, ESD_EEXIST },
		{ "a locked seal is not activated", POL_SEAL_ACTIVATE,
		  { 1, 1, 1, 0, 0 }, ESD_ELOCKED },
		{ "a locked seal mints nothing", POL_SEAL_CODE_BY_TOTP,
		  { 1, 1, 1, NOW + 60, 1 }, ESD_ELOCKED },
		{ "deactivating what is not active", POL_SEAL_DEACTIVATE,
		  { 1, 1, 0, 0, 0 }, ESD_EEXIST },
		{ "a revoked seal's activation still ends", POL_SEAL_DEACTIVATE,
		  { 1, 0, 0, NOW + 60, 0 }, 0 },
		{ "no activation: no code by activation",
		  POL_SEAL_CODE_BY_ACTIVATION, { 1, 1, 0, 0, 0 }, ESD_EAUTHZ },
		{ "no activation: no code by TOTP either", POL_SEAL_CODE_BY_TOTP,
		  { 1, 1, 0, 0, 1 }, ESD_EAUTHZ },
		{ "an expired activation mints nothing", POL_SEAL_CODE_BY_TOTP,
		  { 1, 1, 0, NOW, 1 }, ESD_EAUTHZ },
		{ "TOTP without an enrolment", POL_SEAL_CODE_BY_TOTP,
		  { 1, 1, 0, NOW + 60, 0 }, ESD_EAUTHZ },
		{ "a live activation mints", POL_SEAL_CODE_BY_ACTIVATION,
		  { 1, 1, 0, NOW + 60, 0 }, 0 },
		{ "a live activation and an enrolment mint by TOTP",
		  POL_SEAL_CODE_BY_TOTP, { 1, 1, 0, NOW + 60, 1 }, 0 },
	};
	struct pol_seal_actor officer = { POL_ROLE_OFFICER, 1 };
	struct pol_seal_actor admin = { POL_ROLE_ADMIN, 0 };
	struct pol_seal_facts none = { 1, 1, 0, 0, 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int rc = pol_seal_may(&officer, rows[i].op, &rows[i].f, NOW, NULL);

		if (rc != rows[i].want)
			fail_msg("%s: got %d, want %d", rows[i].what, rc,
				 rows[i].want);
	}
	assert_int_equal(pol_seal_may(&admin, POL_SEAL_ENROL_RESET, &none, NOW,
				      NULL), ESD_EEXIST);
}

static void test_seal_code_use(void **state)
{
	static const struct {
		const char *what;
		struct pol_seal_code_facts f;
		int want;
	} rows[] = {
		{ "good", { 1, 1, NOW + 60, NOW + 60, 3 }, 0 },
		{ "another seal's code", { 0, 1, NOW + 60, NOW + 60, 3 }, ESD_EAUTHZ },
		{ "of a revoked activation", { 1, 0, NOW + 60, NOW + 60, 3 },
		  ESD_EAUTHZ },
		{ "its activation expired", { 1, 1, NOW, NOW + 60, 3 }, ESD_EAUTHZ },
		{ "expired", { 1, 1, NOW + 60, NOW, 3 }, ESD_EAUTHZ },
		{ "used up", { 1, 1, NOW + 60, NOW + 60, 0 }, ESD_EAUTHZ },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (pol_seal_code_use(&rows[i].f, NOW, NULL) != rows[i].want)
			fail_msg("%s", rows[i].what);
}

static void test_register_one_living_person_per_nik_and_email(void **state)
{
	struct pol_verdict v;

	(void)state;
	assert_int_equal(pol_register_individual(0, 0, &v), 0);
	assert_int_equal(pol_register_individual(1, 0, &v), ESD_EEXIST);
	assert_non_null(strstr(v.msg, "NIK"));
	assert_int_equal(pol_register_individual(0, 1, &v), ESD_EEXIST);
	assert_non_null(strstr(v.msg, "email"));
	assert_int_equal(pol_register_individual(1, 1, &v), ESD_EEXIST);
}

/* The whole role x operation matrix: every kind of caller against every
 * need a keeper message or RA operation can name. */
static void test_role_by_operation_matrix(void **state)
{
	static const struct pol_caller callers[] = {
		{ POL_ROLE_NONE, 0, 0, 0 },      /* anonymous */
		{ POL_ROLE_NONE, 1, 1, 0 },      /* a Unix-socket peer, no admin */
		{ POL_ROLE_CLIENT, 1, 0, 0 },
		{ POL_ROLE_VERIFIER, 1, 0, 0 },
		{ POL_ROLE_ADMIN, 1, 0, 0 },     /* an admin's token or session */
		{ POL_ROLE_ADMIN, 1, 1, 0 },     /* an admin on the Unix socket */
		{ POL_ROLE_OFFICER, 1, 0, 1 },   /* an officer, for their seal */
		{ POL_ROLE_OFFICER, 1, 0, 0 },   /* an officer, another seal */
	};
	enum { O = 0, A = ESD_EAUTH, P = ESD_EPERM };
	static const struct {
		enum pol_need need;
		int want[8];
	} rows[] = {
		{ POL_NEED_ANYONE,     { O, O, O, O, O, O, O, O } },
		{ POL_NEED_CLIENT,     { A, O, O, O, O, O, P, P } },
		{ POL_NEED_SESSION,    { A, O, O, O, O, O, O, O } },
		{ POL_NEED_SEAL,       { A, O, O, O, O, O, O, P } },
		{ POL_NEED_VERIFIER,   { A, P, P, O, P, P, P, P } },
		{ POL_NEED_STAFF,      { A, P, P, O, O, O, P, P } },
		{ POL_NEED_STAFF_SEAL, { A, P, P, O, O, O, O, P } },
		{ POL_NEED_ADMIN,      { A, P, P, P, O, O, P, P } },
		{ POL_NEED_ADMIN_PEER, { A, P, P, P, P, O, P, P } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (size_t j = 0; j < 8; j++) {
			struct pol_verdict v;
			int rc = pol_may_call(&callers[j], rows[i].need, "op", &v);

			if (rc != rows[i].want[j])
				fail_msg("need %d, caller %zu: got %d, want %d",
					 (int)rows[i].need, j, rc, rows[i].want[j]);
			if (rc != 0 && (v.code != rc || v.msg[0] == '\0'))
				fail_msg("need %d, caller %zu: no message",
					 (int)rows[i].need, j);
		}
}

static void test_an_officer_before_the_seal_is_known(void **state)
{
	struct pol_caller c = { POL_ROLE_OFFICER, 1, 0, -1 };

	(void)state;
	/* The role check before the arguments are read lets a seal
	 * operation through; the second check, with the seal, decides. */
	assert_int_equal(pol_may_call(&c, POL_NEED_SEAL, "seal.code", NULL), 0);
	assert_int_equal(pol_may_call(&c, POL_NEED_CLIENT, "doc.sign", NULL),
			 ESD_EPERM);
}

static void test_four_eyes(void **state)
{
	struct pol_verdict v;

	(void)state;
	assert_int_equal(pol_four_eyes(0, "req-1", &v), 0);
	assert_int_equal(pol_four_eyes(1, "req-1", &v), ESD_EPERM);
	assert_non_null(strstr(v.msg, "second verifier"));
}

static void test_an_admin_does_not_disable_their_own_account(void **state)
{
	struct pol_verdict v;

	(void)state;
	assert_int_equal(pol_own_account(0, "user.disable", &v), 0);
	assert_int_equal(pol_own_account(1, "user.disable", &v), ESD_EPERM);
	assert_non_null(strstr(v.msg, "another admin"));
}

static void test_profile_takes_the_roles_it_lists(void **state)
{
	static const struct {
		const char *roles;
		enum pol_role role;
		int want;
	} rows[] = {
		{ "client,verifier", POL_ROLE_CLIENT, 0 },
		{ "client,verifier", POL_ROLE_VERIFIER, 0 },
		{ "client, verifier", POL_ROLE_VERIFIER, 0 },
		{ "verifier", POL_ROLE_CLIENT, ESD_EPERM },
		{ "verifier", POL_ROLE_ADMIN, ESD_EPERM },
		{ "verifiers", POL_ROLE_VERIFIER, ESD_EPERM },
		{ "client", POL_ROLE_NONE, ESD_EPERM },
		{ "", POL_ROLE_NONE, ESD_EPERM },
		{ "admin", POL_ROLE_ADMIN, 0 },
	};
	struct pol_verdict v;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (pol_profile_allows(rows[i].roles, rows[i].role, "seal", &v) !=
		    rows[i].want)
			fail_msg("row %zu", i);
	pol_profile_allows("verifier", POL_ROLE_NONE, "seal", &v);
	assert_string_equal(v.msg, "the seal profile is not for the anonymous role");
}

static void test_key_use(void **state)
{
	static const struct {
		const char *what;
		struct pol_key_facts f;
		int want;
	} rows[] = {
		{ "good", { 1, 1, POL_KEY_SEAL, 1, NOW - 9, NOW + 9, 0 }, 0 },
		{ "not granted", { 0, 1, POL_KEY_SEAL, 1, NOW - 9, NOW + 9, 0 },
		  ESD_EPERM },
		{ "not granted, absent: still 403",
		  { 0, 0, POL_KEY_OTHER, 0, 0, 0, 0 }, ESD_EPERM },
		{ "absent", { 1, 0, POL_KEY_OTHER, 0, 0, 0, 0 }, ESD_ENOTFOUND },
		{ "an individual's key", { 1, 1, POL_KEY_INDIVIDUAL, 1, NOW - 9,
					    NOW + 9, 0 }, ESD_EPERM },
		{ "an audit or CA key", { 1, 1, POL_KEY_OTHER, 1, NOW - 9,
					  NOW + 9, 0 }, ESD_EPERM },
		{ "no certificate", { 1, 1, POL_KEY_SEAL, 0, 0, 0, 0 }, ESD_EPERM },
		{ "certificate unreadable", { 1, 1, POL_KEY_SEAL, 1, 0, 0, 0 },
		  ESD_ESTORE },
		{ "not yet valid", { 1, 1, POL_KEY_SEAL, 1, NOW + 1, NOW + 9, 0 },
		  ESD_EPERM },
		{ "expired", { 1, 1, POL_KEY_SEAL, 1, NOW - 9, NOW - 1, 0 },
		  ESD_EPERM },
		{ "revoked", { 1, 1, POL_KEY_SEAL, 1, NOW - 9, NOW + 9, 1 },
		  ESD_EPERM },
	};
	struct pol_verdict v;

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (pol_key_use(&rows[i].f, "k", POL_KEY_SEAL, NOW, &v) !=
		    rows[i].want)
			fail_msg("%s", rows[i].what);
}

static void test_clock_gate(void **state)
{
	static const struct {
		struct pol_clock c;
		int want;
	} rows[] = {
		{ { 0, 0, -1, 500 }, 0 },            /* not required */
		{ { 1, 1, 400000, 500 }, 0 },        /* synced within 0.5 s */
		{ { 1, 1, 600000, 500 }, ESD_EUNAVAIL },
		{ { 1, 0, 0, 500 }, ESD_EUNAVAIL },  /* not synced */
		{ { 1, 1, -1, 500 }, ESD_EUNAVAIL }, /* error unknown */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (pol_clock_gate(&rows[i].c, NULL) != rows[i].want)
			fail_msg("row %zu", i);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_role_parse_names_each_role),
		cmocka_unit_test(test_lockout_admits_no_more_than_can_fail),
		cmocka_unit_test(test_lockout_locks_at_the_limit),
		cmocka_unit_test(test_lockout_sixty_at_once_checks_exactly_the_limit),
		cmocka_unit_test(test_authz_parse_is_typed),
		cmocka_unit_test(test_authz_fits_the_subscriber),
		cmocka_unit_test(test_a_verifier_does_not_sign_for_an_individual),
		cmocka_unit_test(test_seal_role_by_operation),
		cmocka_unit_test(test_seal_state_refusals),
		cmocka_unit_test(test_seal_code_use),
		cmocka_unit_test(test_register_one_living_person_per_nik_and_email),
		cmocka_unit_test(test_role_by_operation_matrix),
		cmocka_unit_test(test_an_officer_before_the_seal_is_known),
		cmocka_unit_test(test_four_eyes),
		cmocka_unit_test(test_an_admin_does_not_disable_their_own_account),
		cmocka_unit_test(test_profile_takes_the_roles_it_lists),
		cmocka_unit_test(test_key_use),
		cmocka_unit_test(test_clock_gate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
