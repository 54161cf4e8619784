/*
 * esignctl's registration-authority and client commands: one table row
 * per command, naming the route and the options it takes. Options become
 * the JSON body (POST) or the query string (GET); "{name}" in a path is
 * filled from the option of that name. A verifier authenticates with
 * --token-file (or ESIGNCTL_TOKEN_FILE); without one, the Unix socket's
 * peer credential is used (an admin uid).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/util.h"

#define MAX_OPTS 8

static const struct cmd {
	const char *w0, *w1;
	const char *method;
	const char *path;          /* "{opt}" placeholders */
	const char *opts[MAX_OPTS]; /* accepted options (without "--") */
	const char *list;          /* answer's array to print as a table */
	const char *cols;          /* its columns, comma-separated */
	const char *raw;           /* or a text field to print as it is */
} cmds[] = {
	{ "user", "register", "POST", "/v1/ra/individuals",
	  { "name", "nik", "email", "unit", "org", "lang" }, NULL, NULL, NULL },
	{ "user", "activate", "POST", "/v1/ra/activate",
	  { "subscriber", "code", "passphrase-file" }, NULL, NULL, NULL },
	{ "seal", "register", "POST", "/v1/ra/seals",
	  { "name", "email", "letter", "org", "lang", "org-id" }, NULL, NULL, NULL },
	{ "request", "list", "GET", "/v1/ra/requests",
	  { "state", "type", "service", "subscriber", "limit", "before" }, "requests",
	  "id,type,service,subscriber,state,created_by", NULL },
	{ "request", "show", "GET", "/v1/ra/requests/{id}", { "id" }, NULL, NULL, NULL },
	{ "request", "approve", "POST", "/v1/ra/requests/{id}/approve", { "id" },
	  NULL, NULL, NULL },
	{ "request", "reject", "POST", "/v1/ra/requests/{id}/reject",
	  { "id", "reason" }, NULL, NULL, NULL },
	{ "subscriber", "list", "GET", "/v1/ra/subscribers",
	  { "kind", "status", "q", "limit", "before" }, "subscribers",
	  "id,kind,name,status,serial", NULL },
	{ "subscriber", "show", "GET", "/v1/ra/subscribers/{id}", { "id" },
	  NULL, NULL, NULL },
	{ "cert", "show", "GET", "/v1/ra/certs/{serial}", { "serial" }, NULL,
	  NULL, NULL },
	{ "cert", "renew", "POST", "/v1/ra/subscribers/{subscriber}/renew",
	  { "subscriber" }, NULL, NULL, NULL },
	/* A verifier asks for a subscriber's revocation; an admin revokes
	 * a certificate at once. */
	{ "cert", "revoke", "POST", "/v1/ra/subscribers/{subscriber}/revoke",
	  { "subscriber", "reason" }, NULL, NULL, NULL },
	{ "cert", "revoke", "POST", "/v1/certs/{serial}/revoke",
	  { "serial", "reason" }, NULL, NULL, NULL },
	{ "crl", "issue", "POST", "/v1/ra/crls/{ca}", { "ca" }, NULL, NULL, NULL },
	{ "sla", "report", "GET", "/v1/ra/sla", { "from", "to" }, NULL, NULL, NULL },
	{ "client", "add", "POST", "/v1/clients",
	  { "name", "role", "default-key", "key" }, NULL, NULL, NULL },
	{ "client", "list", "GET", "/v1/clients", { NULL }, "clients",
	  "name,role,default_key,created", NULL },
	{ "seal", "activate", "POST", "/v1/ra/seals/{id}/activation", { "id" },
	  NULL, NULL, NULL },
	{ "seal", "deactivate", "DELETE", "/v1/ra/seals/{id}/activation",
	  { "id" }, NULL, NULL, NULL },
	{ "seal", "code", "POST", "/v1/ra/seals/{id}/codes",
	  { "id", "activation-code", "totp", "documents", "seconds" }, NULL,
	  NULL, "seal_code" },
	{ "seal", "totp", "POST", "/v1/ra/seals/{id}/totp", { "id" }, NULL,
	  NULL, "uri" },
	{ "subscriber", "unlock", "POST", "/v1/ra/subscribers/{id}/unlock",
	  { "id" }, NULL, NULL, NULL },
	{ "subscriber", "reset", "POST", "/v1/ra/subscribers/{id}/reset",
	  { "id" }, NULL, NULL, NULL },
	{ "user", "otp", "POST", "/v1/ra/subscribers/{id}/otp",
	  { "id", "documents" }, NULL, NULL, NULL },
	{ "user", "passphrase", "POST", "/v1/ra/passphrase",
	  { "subscriber", "passphrase-file", "new-passphrase-file" }, NULL, NULL,
	  NULL },
	{ "user", "login", "POST", "/v1/login",
	  { "name", "password-file", "new-password-file", "totp" }, NULL, NULL,
	  "token" },
	{ "user", "logout", "POST", "/v1/logout", { NULL }, NULL, NULL, NULL },
	/* An officer's account names its seals: --seal ID, repeated. */
	{ "user", "create", "POST", "/v1/users",
	  { "name", "email", "role", "lang", "seal" }, NULL, NULL, NULL },
	{ "user", "list", "GET", "/v1/users", { "role", "limit", "before" },
	  "users", "name,role,email,enrolled,locked,disabled", NULL },
	{ "user", "disable", "POST", "/v1/users/{name}/disable", { "name" },
	  NULL, NULL, NULL },
	{ "user", "enable", "POST", "/v1/users/{name}/enable", { "name" },
	  NULL, NULL, NULL },
	{ "user", "unlock", "POST", "/v1/users/{name}/unlock", { "name" },
	  NULL, NULL, NULL },
	{ "user", "reset", "POST", "/v1/users/{name}/reset", { "name" },
	  NULL, NULL, NULL },
	{ "keys", "csr", "POST", "/v1/keys/{label}/csr", { "label", "subject" },
	  NULL, NULL, "csr" },
	{ "keys", "rotate", "POST", "/v1/keys/{label}/rotate", { "label" },
	  NULL, NULL, NULL },
	{ "keys", "import", "POST", "/v1/keys/{label}/certificate",
	  { "label", "cert", "chain", "purpose" }, NULL, NULL, NULL },
};

struct opt {
	const char *name, *value;
};

static int takes_value(const char *a)
{
	return strcmp(a, "--json") != 0 && strcmp(a, "-j") != 0 &&
	       strcmp(a, "--csv") != 0 && strcmp(a, "--help") != 0 &&
	       strcmp(a, "-h") != 0;
}

static const char *opt_get(const struct opt *o, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(o[i].name, name) == 0)
			return o[i].value;
	return NULL;
}

static int known(const struct cmd *c, const char *name)
{
	for (size_t i = 0; i < MAX_OPTS && c->opts[i] != NULL; i++)
		if (strcmp(c->opts[i], name) == 0)
			return 1;
	return 0;
}

/* The path with its placeholders filled (URL-escaped). */
static int fill_path(const struct cmd *c, const struct opt *o, size_t n,
		     char *out, size_t cap)
{
	const char *p = c->path;
	size_t len = 0;

	while (*p != '\0' && len + 1 < cap) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			char name[32];
			const char *v;
			char *esc;

			snprintf(name, sizeof(name), "%.*s", (int)(close - p - 1), p + 1);
			v = opt_get(o, n, name);
			if (v == NULL)
				return 0;
			esc = curl_easy_escape(NULL, v, 0);
			len += (size_t)snprintf(out + len, cap - len, "%s", esc ? esc : "");
			curl_free(esc);
			p = close + 1;
		} else {
			out[len++] = *p++;
		}
	}
	out[len < cap ? len : cap - 1] = '\0';
	return len < cap;
}

/* Options named "X-file" hold a secret (a passphrase, a password) in
 * a file, so that it stays out of the command line: field "X". */
static int secret_file(const char *opt)
{
	size_t n = strlen(opt);

	return n > 5 && strcmp(opt + n - 5, "-file") == 0;
}

/* An option's JSON field: "default-key" -> "default_key",
 * "passphrase-file" -> "passphrase". */
static void field_name(const char *opt, char *out, size_t cap)
{
	snprintf(out, cap, "%.*s", (int)(secret_file(opt) ? strlen(opt) - 5
							   : strlen(opt)), opt);
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = '_';
}

/* Options whose value names a file. */
static int is_file_opt(const char *opt)
{
	return strcmp(opt, "letter") == 0 || strcmp(opt, "cert") == 0 ||
	       strcmp(opt, "chain") == 0 || secret_file(opt);
}

/* Reads a file's text for an option that names one; base64 for the
 * letter, trimmed text for a secret, PEM as it is. */
static char *file_value(const char *opt, const char *path)
{
	char *data = NULL, *v = NULL;
	size_t len;

	if (esd_read_file(path, 4u << 20, &data, &len) != 0) {
		fprintf(stderr, "esignctl: cannot read %s\n", path);
		return NULL;
	}
	if (strcmp(opt, "letter") == 0)
		v = esd_b64_encode((const uint8_t *)data, len);
	else if (secret_file(opt))
		v = strdup(esd_trim(data));
	else
		v = strdup(data);
	OPENSSL_cleanse(data, len);
	free(data);
	return v;
}

/* Options that may repeat, each one an element of an array field:
 * "--key A --key B" -> "keys": ["A", "B"]. NULL for the others. */
static const char *list_field(const char *opt)
{
	if (strcmp(opt, "key") == 0)
		return "keys";
	if (strcmp(opt, "seal") == 0)
		return "seals";
	return NULL;
}

static int build(const struct cmd *c, const struct opt *o, size_t n,
		 char *path, size_t cap, char **body)
{
	json_t *j = json_object();
	size_t len;
	int rc = 0;

	*body = NULL;
	if (!fill_path(c, o, n, path, cap))
		return EXIT_USAGE;
	len = strlen(path);
	for (size_t i = 0; i < n && rc == 0; i++) {
		char field[40], *fv = NULL;
		const char *v = o[i].value;

		if (strstr(c->path, "{") != NULL) {
			char ph[48];

			snprintf(ph, sizeof(ph), "{%s}", o[i].name);
			if (strstr(c->path, ph) != NULL)
				continue;
		}
		field_name(o[i].name, field, sizeof(field));
		if (is_file_opt(o[i].name)) {
			fv = file_value(o[i].name, v);
			if (fv == NULL)
				rc = EXIT_LOCAL;
			v = fv;
		}
		if (rc == 0 && strcmp(c->method, "GET") == 0) {
			char *esc = curl_easy_escape(NULL, v, 0);

			len += (size_t)snprintf(path + len, len < cap ? cap - len : 0,
						"%c%s=%s", strchr(path, '?') ? '&' : '?',
						field, esc ? esc : "");
			curl_free(esc);
		} else if (rc == 0 && list_field(o[i].name) != NULL) {
			const char *lf = list_field(o[i].name);
			json_t *arr = json_object_get(j, lf);

			if (arr == NULL)
				json_object_set_new(j, lf, arr = json_array());
			json_array_append_new(arr, json_string(v));
		} else if (rc == 0) {
			json_object_set_new(j, field, json_string(v));
		}
		if (fv != NULL) {
			OPENSSL_cleanse(fv, strlen(fv));
			free(fv);
		}
	}
	if (rc == 0 && len >= cap)
		rc = EXIT_USAGE;
	if (rc == 0 && strcmp(c->method, "GET") != 0)
		*body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return rc;
}

static void print_cell(json_t *v)
{
	if (json_is_string(v))
		printf("%s", json_string_value(v));
	else if (json_is_integer(v))
		printf("%lld", (long long)json_integer_value(v));
	else if (json_is_true(v) || json_is_false(v))
		printf("%s", json_is_true(v) ? "yes" : "no");
	else if (v == NULL || json_is_null(v))
		printf("-");
	else
		printf("(%zu)", json_is_array(v) ? json_array_size(v)
						 : json_object_size(v));
}

/* Scalars of an object as "prefix.key: value" lines, one level down. */
static void print_object(json_t *o, const char *prefix)
{
	const char *k;
	json_t *v;

	json_object_foreach(o, k, v) {
		if (json_is_object(v) && prefix[0] == '\0') {
			print_object(v, k);
			continue;
		}
		printf("%s%s%s: ", prefix, prefix[0] ? "." : "", k);
		print_cell(v);
		printf("\n");
	}
}

static void print_table(json_t *arr, const char *cols)
{
	char buf[200], *save = NULL, *c;
	size_t i;
	json_t *row;

	snprintf(buf, sizeof(buf), "%s", cols);
	for (c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save))
		printf("%s\t", c);
	printf("\n");
	json_array_foreach(arr, i, row) {
		snprintf(buf, sizeof(buf), "%s", cols);
		for (c = strtok_r(buf, ",", &save); c;
		     c = strtok_r(NULL, ",", &save)) {
			print_cell(json_object_get(row, c));
			printf("\t");
		}
		printf("\n");
	}
}

static void print_sla(json_t *j, int csv)
{
	const char *svc;
	json_t *s;

	printf(csv ? "service,target_days,total,met,breached,open\n"
		   : "service\ttarget\ttotal\tmet\tbreached\topen\n");
	json_object_foreach(json_object_get(j, "services"), svc, s)
		printf(csv ? "%s,%lld,%lld,%lld,%lld,%lld\n"
			   : "%s\t%lld\t%lld\t%lld\t%lld\t%lld\n", svc,
		       (long long)json_integer_value(json_object_get(s, "target_days")),
		       (long long)json_integer_value(json_object_get(s, "total")),
		       (long long)json_integer_value(json_object_get(s, "met")),
		       (long long)json_integer_value(json_object_get(s, "breached")),
		       (long long)json_integer_value(json_object_get(s, "open")));
}

static int run(const struct cmd *c, const char *sock, const struct opt *o,
	       size_t n, int json, int csv)
{
	char path[2048], *body = NULL;
	json_t *ans = NULL;
	long status = 0;
	int rc = build(c, o, n, path, sizeof(path), &body);

	if (rc != 0)
		return rc;
	rc = cli_http(sock, c->method, path, body, &status, &ans);
	if (body != NULL) {
		OPENSSL_cleanse(body, strlen(body));
		free(body);
	}
	if (rc != 0)
		return rc;
	if (status < 200 || status >= 300) {
		json_t *e = json_object_get(ans, "error");

		/* As every esignctl command reports a refusal (esignctl.md). */
		if (json && ans != NULL) {
			char *t = json_dumps(ans, JSON_INDENT(2));

			printf("%s\n", t ? t : "");
			free(t);
		} else {
			fprintf(stderr, "esignctl: %s (%s, HTTP %ld)\n",
				json_string_value(json_object_get(e, "message")) ?: "error",
				json_string_value(json_object_get(e, "code")) ?: "?",
				status);
		}
		json_decref(ans);
		return status >= 500 ? EXIT_UNAVAILABLE : EXIT_REFUSED;
	}
	if (json) {
		char *t = json_dumps(ans, JSON_INDENT(2));

		printf("%s\n", t ? t : "null");
		free(t);
	} else if (strcmp(c->w0, "sla") == 0) {
		print_sla(ans, csv);
	} else if (c->raw != NULL && json_object_get(ans, c->raw) != NULL) {
		printf("%s", json_string_value(json_object_get(ans, c->raw)) ?: "");
	} else if (c->list != NULL) {
		print_table(json_object_get(ans, c->list), c->cols);
	} else {
		print_object(ans, "");
	}
	json_decref(ans);
	return EXIT_OK;
}

static void usage_of(const char *w0, const char *w1)
{
	fprintf(stderr, "usage:");
	for (size_t i = 0; i < ESD_ARRAY_LEN(cmds); i++) {
		if (strcmp(cmds[i].w0, w0) != 0 || strcmp(cmds[i].w1, w1) != 0)
			continue;
		fprintf(stderr, "\n  esignctl %s %s", w0, w1);
		for (size_t k = 0; k < MAX_OPTS && cmds[i].opts[k]; k++)
			fprintf(stderr, " --%s X", cmds[i].opts[k]);
	}
	fprintf(stderr, "\n");
}

int cli_ra_main(int argc, char **argv, int *handled)
{
	const char *words[2] = { NULL, NULL }, *conf = NULL, *sock_opt = NULL;
	const char *token_file = getenv("ESIGNCTL_TOKEN_FILE");
	struct opt o[16];
	size_t n = 0, nw = 0, best = 0;
	const struct cmd *c = NULL;
	int json = 0, csv = 0, rc;
	char sock[PATH_MAX], *token = NULL;

	*handled = 0;
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-') {
			i += takes_value(argv[i]);
			continue;
		}
		if (nw < 2)
			words[nw] = argv[i];
		nw++;
	}
	if (nw != 2)
		return 0;
	for (size_t i = 0; i < ESD_ARRAY_LEN(cmds); i++)
		if (strcmp(cmds[i].w0, words[0]) == 0 &&
		    strcmp(cmds[i].w1, words[1]) == 0)
			break;
		else if (i + 1 == ESD_ARRAY_LEN(cmds))
			return 0;
	*handled = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-')
			continue;
		if (strcmp(a, "--json") == 0 || strcmp(a, "-j") == 0) {
			json = 1;
		} else if (strcmp(a, "--csv") == 0) {
			csv = 1;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage_of(words[0], words[1]);
			return EXIT_OK;
		} else if (i + 1 >= argc) {
			fprintf(stderr, "esignctl: %s needs a value\n", a);
			return EXIT_USAGE;
		} else if (strcmp(a, "-c") == 0 || strcmp(a, "--conf") == 0) {
			conf = argv[++i];
		} else if (strcmp(a, "-s") == 0 || strcmp(a, "--socket") == 0) {
			sock_opt = argv[++i];
		} else if (strcmp(a, "--token-file") == 0) {
			token_file = argv[++i];
		} else if (strncmp(a, "--", 2) == 0 && n < ESD_ARRAY_LEN(o)) {
			o[n].name = a + 2;
			o[n++].value = argv[++i];
		} else {
			fprintf(stderr, "esignctl: unknown option %s\n", a);
			return EXIT_USAGE;
		}
	}
	/* The row whose options fit: every option known, every path
	 * placeholder given; the one filling the most placeholders wins. */
	for (size_t i = 0; i < ESD_ARRAY_LEN(cmds); i++) {
		const struct cmd *k = &cmds[i];
		char tmp[2048];
		size_t ok = 1, ph = 0;

		if (strcmp(k->w0, words[0]) != 0 || strcmp(k->w1, words[1]) != 0)
			continue;
		for (size_t j = 0; j < n; j++)
			ok &= (size_t)known(k, o[j].name);
		for (const char *p = k->path; (p = strchr(p, '{')) != NULL; p++)
			ph++;
		if (ok && fill_path(k, o, n, tmp, sizeof(tmp)) && (c == NULL || ph > best)) {
			c = k;
			best = ph;
		}
	}
	if (c == NULL) {
		usage_of(words[0], words[1]);
		return EXIT_USAGE;
	}
	rc = cli_socket(sock_opt, conf, sock, sizeof(sock));
	if (rc != 0)
		return rc;
	if (token_file != NULL) {
		size_t len;

		if (esd_read_file(token_file, 256, &token, &len) != 0) {
			fprintf(stderr, "esignctl: cannot read %s\n", token_file);
			return EXIT_LOCAL;
		}
		cli_bearer = esd_trim(token);
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = run(c, sock, o, n, json, csv);
	curl_global_cleanup();
	if (token != NULL) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	cli_bearer = NULL;
	return rc;
}
