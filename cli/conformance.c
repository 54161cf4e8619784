/*
 * esignctl conformance run: the integration checklist an agency runs
 * before going live ("Surat Pengesahan Sistem"), over the BSrE-compatible
 * API exactly as its application will call it (HTTP Basic, multipart v1,
 * base64 JSON v2). Each check prints one line; the results go into a
 * report PDF that the deployment itself seals, so the report is the
 * evidence. See docs/conformance.md.
 */
#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "cli/kit.h"
#include "common/util.h"

#define MAX_STEPS 32
#define MAIL_WAIT_S 30

struct step {
	char result[5];           /* PASS, FAIL, SKIP */
	char name[48];
	char detail[160];
	long ms;
};

struct kit {
	struct kit_conn conn;
	const char *nik, *seal, *maildir, *officer, *revoked_pdf, *out;
	int sandbox;
	char pass[257];
	char last_code[16];
	struct step steps[MAX_STEPS];
	size_t nsteps;
	unsigned passed, failed, skipped;
	uint64_t t0;
	char started[32];
};

/* Now as "YYYY-MM-DDTHH:MM:SSZ". */
static void utc_now(char *out, size_t cap)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- results ---- */

static void rec(struct kit *k, int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* ok: 1 PASS, 0 FAIL, -1 SKIP; the time since the last record. */
static void rec(struct kit *k, int ok, const char *name, const char *fmt, ...)
{
	struct step *s = &k->steps[k->nsteps < MAX_STEPS ? k->nsteps : MAX_STEPS - 1];
	uint64_t now = esd_mono_ns();
	va_list ap;

	snprintf(s->result, sizeof(s->result), "%s",
		 ok > 0 ? "PASS" : ok == 0 ? "FAIL" : "SKIP");
	snprintf(s->name, sizeof(s->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
	s->ms = (long)((now - k->t0) / 1000000);
	k->t0 = now;
	if (k->nsteps < MAX_STEPS)
		k->nsteps++;
	if (ok > 0)
		k->passed++;
	else if (ok == 0)
		k->failed++;
	else
		k->skipped++;
	printf("%s  %-28s %s (%ld ms)\n", s->result, s->name, s->detail, s->ms);
	fflush(stdout);
}

/* "status_code" of a BSrE answer, or -1. */
static long sc(json_t *j)
{
	json_t *v = json_object_get(j, "status_code");

	return json_is_integer(v) ? (long)json_integer_value(v) : -1;
}

static const char *js(json_t *j, const char *path)
{
	json_t *v = kit_jpath(j, path);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* ---- codes from the officer's mail ---- */

/* The first activation code in s (five of A-Z 0-9, a dash, five more). */
static int find_code(const char *s, char code[12])
{
	for (const char *p = s; *p != '\0'; p++) {
		int ok = 1;

		for (int i = 0; i < 11 && ok; i++) {
			char c = p[i];

			ok = i == 5 ? c == '-' :
			     (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		}
		if (ok && (p == s || !isalnum((unsigned char)p[-1])) &&
		    !isalnum((unsigned char)p[11])) {
			memcpy(code, p, 11);
			code[11] = '\0';
			return 0;
		}
	}
	return -1;
}

/* The code in the newest mail to the officer in DIR/new since t; 0 if
 * found. */
static int scan_maildir(struct kit *k, time_t since, char code[12])
{
	char dir[PATH_MAX], path[PATH_MAX + 256], to[300], best[12] = "";
	time_t newest = 0;
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/new", k->maildir);
	snprintf(to, sizeof(to), "\nTo: %s", k->officer);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		char *text = NULL, c[12];
		size_t len;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (e->d_name[0] == '.' || stat(path, &st) != 0 ||
		    !S_ISREG(st.st_mode) || st.st_mtime < since - 1 ||
		    st.st_mtime < newest ||
		    esd_read_file(path, 1u << 20, &text, &len) != 0)
			continue;
		if (strcasestr(text, to) != NULL && find_code(text, c) == 0 &&
		    strcmp(c, k->last_code) != 0) {
			memcpy(best, c, sizeof(best));
			newest = st.st_mtime;
		}
		free(text);
	}
	closedir(d);
	if (best[0] == '\0')
		return -1;
	memcpy(code, best, 12);
	return 0;
}

/* The activation code the seal's officer received: from the maildir
 * (waiting up to MAIL_WAIT_S), else typed on the terminal. */
static int officer_code(struct kit *k, time_t since, char code[12])
{
	if (k->maildir != NULL) {
		for (int i = 0; i < MAIL_WAIT_S * 10; i++) {
			if (scan_maildir(k, since, code) == 0)
				goto got;
			usleep(100000);
		}
		return -1;
	}
	FILE *tty = fopen("/dev/tty", "r+");
	char line[64];

	if (tty == NULL)
		return -1;
	fprintf(tty, "Activation code emailed to the seal's officer "
		"(kode aktivasi): ");
	fflush(tty);
	if (fgets(line, sizeof(line), tty) == NULL || find_code(line, code) != 0) {
		fclose(tty);
		return -1;
	}
	fclose(tty);
got:
	snprintf(k->last_code, sizeof(k->last_code), "%s", code);
	return 0;
}

/* ---- the checks ---- */

static void check_tls(struct kit *k)
{
	struct kit_resp r;
	char path[128];
	long skew;

	snprintf(path, sizeof(path), "/api/user/status/%s", k->nik);
	if (kit_get(&k->conn, path, &r) != 0) {
		rec(k, 0, "tls and clock", "%s", r.err);
		kit_resp_free(&r);
		return;
	}
	skew = r.date > 0 ? (long)(r.date - time(NULL)) : 0;
	rec(k, r.date > 0 && labs(skew) <= 60, "tls and clock",
	    "TLS >= 1.2, certificate verified (%s, until %s); server clock %+lds",
	    r.peer_subject, r.peer_expiry, skew);
	kit_resp_free(&r);
}

static void check_auth(struct kit *k)
{
	struct kit_resp r;
	char path[128];
	long code;

	snprintf(path, sizeof(path), "/api/user/status/%s", k->nik);
	k->conn.wrong_password = 1;
	kit_get(&k->conn, path, &r);
	k->conn.wrong_password = 0;
	code = sc(r.json);
	rec(k, r.status == 401 && code == 2011, "wrong client password",
	    "HTTP %ld, status_code %ld (expected 401, 2011)", r.status, code);
	kit_resp_free(&r);
}

static void check_status(struct kit *k)
{
	struct kit_resp r;
	char path[128];

	snprintf(path, sizeof(path), "/api/user/status/%s", k->nik);
	kit_get(&k->conn, path, &r);
	rec(k, r.status == 200 && strcmp(js(r.json, "status"), "ISSUE") == 0,
	    "user status", "HTTP %ld, status %s (expected ISSUE)", r.status,
	    js(r.json, "status"));
	kit_resp_free(&r);
}

/* POST /api/sign/pdf; *signed gets the PDF on 200. */
static long sign_v1(struct kit *k, const uint8_t *pdf, size_t len,
		    const char *pass, struct kit_resp *r)
{
	const struct kit_field f[] = {
		{ "file", (const char *)pdf, len, "application/pdf" },
		{ "nik", k->nik, 0, NULL }, { "passphrase", pass, 0, NULL },
		{ "tampilan", "visible", 0, NULL },
		{ "tag_koordinat", "#ttd#", 0, NULL },
		{ "width", "170", 0, NULL }, { "height", "50", 0, NULL },
		{ "text", "Ditandatangani secara elektronik\n(uji kesesuaian)",
		  0, NULL },
		{ "reason", "Uji kesesuaian integrasi", 0, NULL },
		{ NULL, NULL, 0, NULL },
	};

	kit_multipart(&k->conn, "/api/sign/pdf", f, r);
	return r->status;
}

/* v1 verify: summary and the first signer's DN into dn. */
static int verify_v1(struct kit *k, const uint8_t *pdf, size_t len,
		     char *summary, size_t scap, char *dn, size_t dcap)
{
	const struct kit_field f[] = {
		{ "signed_file", (const char *)pdf, len, "application/pdf" },
		{ NULL, NULL, 0, NULL },
	};
	struct kit_resp r;

	kit_multipart(&k->conn, "/api/sign/verify", f, &r);
	snprintf(summary, scap, "%s", r.status == 200 ?
		 js(r.json, "summary") : "(no answer)");
	snprintf(dn, dcap, "%s", js(r.json, "details.0.info_signer.signer_dn"));
	kit_resp_free(&r);
	return r.status == 200 ? 0 : -1;
}

/* v1 verify's summary of a valid document, as BSrE answers it. */
#define V1_VALID "DOCUMENT VALID !!!"

/* The sandbox rule: a testing certificate says SANDBOX in its subject. */
static int marked(const char *dn)
{
	return strcasestr(dn, "SANDBOX") != NULL;
}

static void check_v1(struct kit *k, const uint8_t *sample, size_t slen,
		     uint8_t **signed_pdf, size_t *signed_len)
{
	struct kit_resp r, d;
	char wrong[33], path[200], summary[32], dn[300];
	uint8_t rnd[16];

	esd_random(rnd, sizeof(rnd));
	esd_hex(rnd, sizeof(rnd), wrong);
	sign_v1(k, sample, slen, wrong, &r);
	rec(k, r.status == 400 && sc(r.json) == 2031, "v1 wrong passphrase",
	    "HTTP %ld, status_code %ld (expected 400, 2031)", r.status,
	    sc(r.json));
	kit_resp_free(&r);
	sign_v1(k, sample, slen, k->pass, &r);
	if (r.status != 200 || r.len < 5 || memcmp(r.body, "%PDF-", 5) != 0) {
		rec(k, 0, "v1 sign (visible at tag)", "HTTP %ld, status_code %ld",
		    r.status, sc(r.json));
		kit_resp_free(&r);
		return;
	}
	rec(k, r.id_dokumen[0] != '\0', "v1 sign (visible at tag)",
	    "HTTP 200, %zu bytes, id_dokumen %.16s...", r.len, r.id_dokumen);
	snprintf(path, sizeof(path), "/api/sign/download/%s", r.id_dokumen);
	kit_get(&k->conn, path, &d);
	rec(k, d.status == 200 && d.len == r.len &&
	    memcmp(d.body, r.body, r.len) == 0, "v1 download",
	    "HTTP %ld, %s", d.status, d.len == r.len ? "the same bytes" :
	    "different bytes");
	kit_resp_free(&d);
	verify_v1(k, (const uint8_t *)r.body, r.len, summary, sizeof(summary),
		  dn, sizeof(dn));
	rec(k, strcmp(summary, V1_VALID) == 0 && (!k->sandbox || marked(dn)),
	    "v1 verify", "summary %s, signer %s%s", summary, dn,
	    k->sandbox && !marked(dn) ? " (NOT a sandbox certificate)" : "");
	*signed_pdf = (uint8_t *)r.body;
	*signed_len = r.len;
	r.body = NULL;
	kit_resp_free(&r);
}

/* A v2 sign or seal body for files (base64 each). */
static json_t *v2_body(const char *who_key, const char *who, const char *auth_key,
		       const char *auth, char *const *b64, size_t n)
{
	json_t *j = json_pack("{s:s, s:s, s:[], s:[]}", who_key, who, auth_key,
			      auth, "signatureProperties", "file");

	for (size_t i = 0; j != NULL && i < n; i++) {
		json_array_append_new(json_object_get(j, "signatureProperties"),
				      json_pack("{s:s, s:s}", "tampilan", "INVISIBLE",
						"reason", "Uji kesesuaian"));
		json_array_append_new(json_object_get(j, "file"), json_string(b64[i]));
	}
	return j;
}

/* The verdict of /api/v2/verify/pdf; trusted: the first signature's. */
static void verify_v2(struct kit *k, const char *b64, char *concl, size_t cap,
		      int *trusted)
{
	struct kit_resp r;
	json_t *j = json_pack("{s:s}", "file", b64);

	kit_json(&k->conn, "/api/v2/verify/pdf", j, &r);
	json_decref(j);
	snprintf(concl, cap, "%s", r.status == 200 ?
		 js(r.json, "conclusion") : "(no answer)");
	*trusted = json_is_true(kit_jpath(r.json,
					  "signatureInformations.0.certificateTrusted"));
	kit_resp_free(&r);
}

static void check_v2(struct kit *k, char *b64)
{
	char *files[2] = { b64, b64 }, concl[32];
	json_t *j = v2_body("nik", k->nik, "passphrase", k->pass, files, 2);
	struct kit_resp r;
	int trusted = 0;

	kit_json(&k->conn, "/api/v2/sign/pdf", j, &r);
	json_decref(j);
	rec(k, r.status == 200 && json_array_size(kit_jpath(r.json, "file")) == 2,
	    "v2 sign (2 files)", "HTTP %ld, %zu files", r.status,
	    json_array_size(kit_jpath(r.json, "file")));
	if (r.status == 200 && json_array_size(kit_jpath(r.json, "file")) == 2) {
		verify_v2(k, js(r.json, "file.1"), concl, sizeof(concl), &trusted);
		rec(k, strcmp(concl, "VALID") == 0 && trusted, "v2 verify",
		    "conclusion %s, certificate %s", concl,
		    trusted ? "trusted" : "not trusted");
	} else {
		rec(k, -1, "v2 verify", "nothing signed to verify");
	}
	kit_resp_free(&r);
}

/* get/activation, the officer's code, get/totp for n files: the seal
 * code into code (""), 0 on success. */
static int seal_code(struct kit *k, int n, char act[12], char *code,
		     size_t cap, int record)
{
	json_t *j = json_pack("{s:s}", "idSubscriber", k->seal);
	time_t since = time(NULL);
	struct kit_resp r;
	int ok;

	code[0] = '\0';
	kit_json(&k->conn, "/api/v2/seal/get/activation", j, &r);
	json_decref(j);
	ok = r.status == 200 && sc(r.json) == 1111;
	if (record)
		rec(k, ok, "seal activation", "HTTP %ld, status_code %ld; the "
		    "code goes to the officer by email", r.status, sc(r.json));
	kit_resp_free(&r);
	if (!ok)
		return -1;
	if (officer_code(k, since, act) != 0) {
		if (record)
			rec(k, 0, "officer's activation code", "%s",
			    k->maildir ? "no email with a code arrived" :
			    "no code typed");
		return -1;
	}
	j = json_pack("{s:s, s:i, s:s}", "idSubscriber", k->seal, "data", n,
		      "totp", act);
	kit_json(&k->conn, "/api/v2/seal/get/totp", j, &r);
	json_decref(j);
	snprintf(code, cap, "%s", js(r.json, "totp"));
	ok = r.status == 200 && code[0] != '\0';
	if (record)
		rec(k, ok, "seal code (2 files)", "HTTP %ld, status_code %ld",
		    r.status, sc(r.json));
	kit_resp_free(&r);
	return ok ? 0 : -1;
}

/* POST /api/v2/seal/pdf with n files; the answer in r. */
static void seal_files(struct kit *k, const char *code, char *const *b64,
		       size_t n, struct kit_resp *r)
{
	json_t *j = v2_body("idSubscriber", k->seal, "totp", code, b64, n);

	kit_json(&k->conn, "/api/v2/seal/pdf", j, r);
	json_decref(j);
}

static void check_seal(struct kit *k, char *b64)
{
	char act[12], code[64], summary[32], dn[300], *files[2] = { b64, b64 };
	struct kit_resp r;
	uint8_t *pdf = NULL;
	size_t len = 0;

	if (seal_code(k, 2, act, code, sizeof(code), 1) != 0) {
		rec(k, -1, "seal (2 files)", "no seal code");
		return;
	}
	seal_files(k, code, files, 2, &r);
	rec(k, r.status == 200 && json_array_size(kit_jpath(r.json, "file")) == 2,
	    "seal (2 files)", "HTTP %ld, %zu files, status_code %ld", r.status,
	    json_array_size(kit_jpath(r.json, "file")), sc(r.json));
	if (r.status == 200 &&
	    esd_b64_decode(js(r.json, "file.0"), &pdf, &len) == 0) {
		verify_v1(k, pdf, len, summary, sizeof(summary), dn, sizeof(dn));
		rec(k, strcmp(summary, V1_VALID) == 0 && (!k->sandbox || marked(dn)),
		    "sealed document verifies", "summary %s, seal %s%s", summary,
		    dn, k->sandbox && !marked(dn) ?
		    " (NOT a sandbox certificate)" : "");
		free(pdf);
	}
	kit_resp_free(&r);
	seal_files(k, code, files, 1, &r);
	rec(k, r.status == 400 && sc(r.json) == 2041, "seal code used up",
	    "a third file: HTTP %ld, status_code %ld (expected 400, 2041)",
	    r.status, sc(r.json));
	kit_resp_free(&r);
	/* Ending the activation stops its codes. */
	json_t *j = json_pack("{s:s, s:s}", "idSubscriber", k->seal, "totp", act);

	kit_json(&k->conn, "/api/v2/seal/revoke/activation", j, &r);
	json_decref(j);
	rec(k, r.status == 200, "revoke activation", "HTTP %ld, status_code %ld",
	    r.status, sc(r.json));
	kit_resp_free(&r);
	j = json_pack("{s:s, s:i, s:s}", "idSubscriber", k->seal, "data", 1,
		      "totp", act);
	kit_json(&k->conn, "/api/v2/seal/get/totp", j, &r);
	json_decref(j);
	rec(k, r.status == 400 && sc(r.json) == 2041, "revoked activation refused",
	    "a new seal code with it: HTTP %ld, status_code %ld (expected 400, "
	    "2041)", r.status, sc(r.json));
	kit_resp_free(&r);
}

static void check_revoked(struct kit *k)
{
	char *text = NULL, *b64, concl[32];
	size_t len;
	int trusted = 1;

	if (k->revoked_pdf == NULL) {
		rec(k, -1, "revocation visible in verify",
		    "no --revoked-pdf given");
		return;
	}
	if (esd_read_file(k->revoked_pdf, 64u << 20, &text, &len) != 0 ||
	    (b64 = esd_b64_encode((uint8_t *)text, len)) == NULL) {
		free(text);
		rec(k, 0, "revocation visible in verify", "cannot read %s",
		    k->revoked_pdf);
		return;
	}
	free(text);
	verify_v2(k, b64, concl, sizeof(concl), &trusted);
	free(b64);
	/* The certificate is shown as not trusted. The conclusion may stay
	 * VALID: a timestamped signature made before the revocation is
	 * proven to predate it (ETSI EN 319 102-1 proof of existence). */
	rec(k, strcmp(concl, "(no answer)") != 0 && !trusted,
	    "revocation visible in verify",
	    "a document signed with a since revoked certificate: conclusion "
	    "%s, certificate %s", concl, trusted ? "trusted" : "not trusted");
}

/* ---- the report ---- */

static int write_report(struct kit *k)
{
	const char *lines[MAX_STEPS * 2 + 24];
	char hdr[14][200], row[MAX_STEPS * 2][200], now[32], code[64], act[12];
	size_t n = 0, h = 0;
	uint8_t *pdf = NULL, *sealed = NULL;
	size_t len, slen = 0;
	struct kit_resp r;
	char *b64, summary[32], dn[300];
	int rc = EXIT_LOCAL;

	utc_now(now, sizeof(now));
#define H(...) (snprintf(hdr[h], sizeof(hdr[h]), __VA_ARGS__), lines[n++] = hdr[h++])
	H("Laporan Uji Kesesuaian Integrasi eSign / eSign integration "
	  "conformance report");
	H("esignd %s, esignctl conformance run", ESD_VERSION);
	lines[n++] = "";
	H("Deployment: %s", k->conn.url);
	H("API client: %s", k->conn.client);
	H("Started %s, finished %s", k->started, now);
	H("Individual (NIK): %s   Seal (idSubscriber): %s", k->nik, k->seal);
	H("Sandbox: %s", k->sandbox ? "yes, every certificate checked for "
	  "SANDBOX in its subject" : "not checked");
	H("Result: %u passed, %u failed, %u skipped: %s", k->passed, k->failed,
	  k->skipped, k->failed ? "DOES NOT CONFORM / TIDAK SESUAI" :
	  "CONFORMS / SESUAI");
	lines[n++] = "";
	for (size_t i = 0; i < k->nsteps; i++) {
		snprintf(row[2 * i], sizeof(row[0]), "%2zu. %s  %s (%ld ms)", i + 1,
			 k->steps[i].result, k->steps[i].name, k->steps[i].ms);
		snprintf(row[2 * i + 1], sizeof(row[0]), "      %s",
			 k->steps[i].detail);
		lines[n++] = row[2 * i];
		lines[n++] = row[2 * i + 1];
	}
	lines[n++] = "";
	H("Sealed by the deployment under test: #segel#");
#undef H
	if (cli_text_pdf(lines, n, &pdf, &len) != 0 ||
	    (b64 = esd_b64_encode(pdf, len)) == NULL) {
		free(pdf);
		fprintf(stderr, "esignctl: cannot build the report\n");
		return EXIT_LOCAL;
	}
	free(pdf);
	/* The report is sealed like any document: a fresh activation. */
	if (seal_code(k, 1, act, code, sizeof(code), 0) == 0) {
		json_t *j = json_pack("{s:s, s:s, s:[{s:s, s:s, s:i, s:i, s:s}], "
				      "s:[s]}", "idSubscriber", k->seal, "totp",
				      code, "signatureProperties", "tampilan",
				      "VISIBLE", "tag_koordinat", "#segel#",
				      "width", 180, "height", 50, "reason",
				      "Laporan uji kesesuaian", "file", b64);

		kit_json(&k->conn, "/api/v2/seal/pdf", j, &r);
		json_decref(j);
		if (r.status == 200)
			esd_b64_decode(js(r.json, "file.0"), &sealed, &slen);
		kit_resp_free(&r);
	}
	free(b64);
	if (sealed == NULL) {
		fprintf(stderr, "esignctl: the deployment did not seal the "
			"report\n");
		return EXIT_UNAVAILABLE;
	}
	verify_v1(k, sealed, slen, summary, sizeof(summary), dn, sizeof(dn));
	if (strcmp(summary, V1_VALID) != 0)
		fprintf(stderr, "esignctl: the sealed report verifies as %s\n",
			summary);
	else if (esd_write_file(k->out, sealed, slen, 0644, 0) != 0)
		fprintf(stderr, "esignctl: cannot write %s\n", k->out);
	else {
		printf("report: %s (sealed by %s)\n", k->out, dn);
		rc = k->failed ? EXIT_REFUSED : EXIT_OK;
	}
	free(sealed);
	return rc;
}

/* ---- the command ---- */

static int run(struct kit *k)
{
	const char *sample_lines[] = {
		"Dokumen uji kesesuaian integrasi eSign",
		"Conformance test document: signed and sealed by the kit.",
		"", "Tanda tangan / signature:", "#ttd#",
	};
	uint8_t *sample = NULL, *signed_pdf = NULL;
	size_t slen = 0, sigl = 0;
	char *b64;
	int rc;

	k->t0 = esd_mono_ns();
	utc_now(k->started, sizeof(k->started));
	check_tls(k);
	if (k->failed) {
		printf("0 passed, 1 failed: the deployment is not reachable\n");
		return EXIT_UNAVAILABLE;
	}
	check_auth(k);
	check_status(k);
	if (cli_text_pdf(sample_lines, ESD_ARRAY_LEN(sample_lines), &sample,
			 &slen) != 0 || (b64 = esd_b64_encode(sample, slen)) == NULL) {
		free(sample);
		return EXIT_LOCAL;
	}
	check_v1(k, sample, slen, &signed_pdf, &sigl);
	check_v2(k, b64);
	if (k->sandbox && k->failed) {
		printf("stopping: with --sandbox nothing is sealed after a "
		       "failed check\n");
	} else {
		check_seal(k, b64);
		check_revoked(k);
	}
	free(b64);
	free(sample);
	free(signed_pdf);
	printf("%u passed, %u failed, %u skipped\n", k->passed, k->failed,
	       k->skipped);
	rc = write_report(k);
	return rc;
}

int cli_conformance_main(int argc, char **argv, int *handled)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "client", required_argument, NULL, 'C' },
		{ "token-file", required_argument, NULL, 'T' },
		{ "cacert", required_argument, NULL, 'A' },
		{ "nik", required_argument, NULL, 'n' },
		{ "passphrase-file", required_argument, NULL, 'p' },
		{ "seal", required_argument, NULL, 'S' },
		{ "maildir", required_argument, NULL, 'M' },
		{ "officer", required_argument, NULL, 'O' },
		{ "revoked-pdf", required_argument, NULL, 'R' },
		{ "out", required_argument, NULL, 'o' },
		{ "sandbox", no_argument, NULL, 'X' },
		{ NULL, 0, NULL, 0 },
	};
	struct kit k = { .out = "conformance-report.pdf" };
	const char *token_file = NULL, *pass_file = NULL;
	char *text = NULL;
	size_t len;
	int opt, rc;

	*handled = 0;
	if (argc < 3 || strcmp(argv[1], "conformance") != 0 ||
	    strcmp(argv[2], "run") != 0)
		return 0;
	*handled = 1;
	optind = 3;
	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'u': k.conn.url = optarg; break;
		case 'C': k.conn.client = optarg; break;
		case 'T': token_file = optarg; break;
		case 'A': k.conn.cacert = optarg; break;
		case 'n': k.nik = optarg; break;
		case 'p': pass_file = optarg; break;
		case 'S': k.seal = optarg; break;
		case 'M': k.maildir = optarg; break;
		case 'O': k.officer = optarg; break;
		case 'R': k.revoked_pdf = optarg; break;
		case 'o': k.out = optarg; break;
		case 'X': k.sandbox = 1; break;
		default: return EXIT_USAGE;
		}
	}
	if (optind != argc || k.conn.url == NULL || k.conn.client == NULL ||
	    token_file == NULL || k.nik == NULL || pass_file == NULL ||
	    k.seal == NULL || (k.maildir != NULL) != (k.officer != NULL)) {
		fprintf(stderr, "usage: esignctl conformance run --url URL --client "
			"NAME --token-file F --nik NIK --passphrase-file F --seal "
			"ID [--cacert PEM] [--maildir DIR --officer EMAIL] "
			"[--revoked-pdf PDF] [--sandbox] [--out PDF]\n");
		return EXIT_USAGE;
	}
	if (esd_read_file(token_file, 4096, &text, &len) != 0) {
		fprintf(stderr, "esignctl: cannot read %s\n", token_file);
		return EXIT_LOCAL;
	}
	snprintf(k.conn.token, sizeof(k.conn.token), "%s", esd_trim(text));
	OPENSSL_cleanse(text, len);
	free(text);
	if (esd_read_file(pass_file, 4096, &text, &len) != 0) {
		fprintf(stderr, "esignctl: cannot read %s\n", pass_file);
		return EXIT_LOCAL;
	}
	snprintf(k.pass, sizeof(k.pass), "%s", esd_trim(text));
	OPENSSL_cleanse(text, len);
	free(text);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = kit_open(&k.conn) != 0 ? EXIT_LOCAL : run(&k);
	kit_close(&k.conn);
	curl_global_cleanup();
	OPENSSL_cleanse(k.pass, sizeof(k.pass));
	OPENSSL_cleanse(k.conn.token, sizeof(k.conn.token));
	return rc;
}
