/*
 * esignctl: the security officer's and verifier's tool. Every command but
 * init talks to a running esignd over its Unix socket, where the daemon
 * knows the caller by SO_PEERCRED. See docs/esignctl.md.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <curl/curl.h>

#include "cli/cli.h"
#include "common/err.h"
#include "common/util.h"
#include "daemon/config.h"

struct ctx {
	char sock[PATH_MAX];
	int json;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: esignctl [-c CONF | -s SOCKET] [--json] COMMAND\n"
		"\n"
		"commands:\n"
		"  init --dir DIR [--https-port N] [--http-port N] [--module LIB] [--show-pins]\n"
		"       [--store postgresql://...]\n"
		"  status\n"
		"  keys list\n"
		"  keys generate --label L --type rsa2048|rsa3072|ec-p256\n"
		"  keys sign --key L --digest HEX [--alg rsa-pkcs1|rsa-pss|ecdsa]\n"
		"            [--hash sha256|sha384|sha512] [--out FILE]\n"
		"  audit verify\n"
		"  audit export [--since N]      JSON lines, one record each\n"
		"  backup --out FILE              a hot, compacted copy of the state\n"
		"  restore --from FILE --dir DIR  a new state directory from a backup\n"
		"  store migrate [--to WHERE]     a PostgreSQL store to this esignd's schema\n"
		"  store copy --from WHERE --to WHERE\n"
		"                                 an instance's state into a new store\n"
		"  diag --out FILE.tar.gz [--log FILE]  what support needs, no secret\n"
		"  cert list\n"
		"  cert revoke --serial HEX --reason keyCompromise|superseded|...\n"
		"\n"
		"registration authority (a verifier: --token-file FILE):\n"
		"  user register --name N --nik NIK --email E --unit U [--org O]\n"
		"                [--lang id|en]\n"
		"  user activate --subscriber ID --code CODE --passphrase-file F\n"
		"  seal register --name N --email OFFICER --letter PDF [--org O]\n"
		"  request list [--state S] [--type T] [--subscriber ID] [--before ID]\n"
		"  request show|approve --id R\n"
		"  request reject --id R --reason TEXT\n"
		"  subscriber list [--kind K] [--status S] [--q TEXT] [--before ID]\n"
		"  subscriber show --id ID\n"
		"  cert show --serial HEX\n"
		"  cert renew --subscriber ID\n"
		"  cert revoke --subscriber ID --reason REASON   (a request)\n"
		"  crl issue --ca LABEL                           (admin)\n"
		"  sla report --from YYYY-MM-DD --to YYYY-MM-DD [--csv]\n"
		"  client add --name N --role admin|verifier|client\n"
		"             [--key LABEL]... [--default-key LABEL]  (admin)\n"
		"  client list                                    (admin)\n"
		"  user create --name N --email E --role verifier|admin|officer\n"
		"              [--seal ID]... [--lang id|en]  (admin; an officer's seals)\n"
		"  user list [--role R] [--before NAME]           (admin)\n"
		"  user disable|enable|unlock|reset --name N      (admin)\n"
		"\n"
		"conformance kit (an API client, over HTTPS; docs/conformance.md):\n"
		"  conformance run --url URL --client NAME --token-file F\n"
		"                  --nik NIK --passphrase-file F --seal ID\n"
		"                  [--cacert PEM] [--maildir DIR --officer EMAIL]\n"
		"                  [--revoked-pdf PDF] [--sandbox] [--out PDF]\n"
		"\n"
		"The socket comes from -s, else from -c CONF (unix_socket), else\n"
		"from $ESIGND_CONF, else /etc/esignd/esignd.conf.\n"
		"Exit codes: 0 ok, 1 refused by esignd, 2 usage, 3 esignd\n"
		"unreachable or failing, 4 local failure.\n");
}

/* Prints the daemon's answer; returns the exit code it means. */
static int report(struct ctx *c, long status, json_t *j)
{
	json_t *err = json_object_get(j, "error");

	if (status >= 200 && status < 300 && err == NULL)
		return EXIT_OK;
	if (c->json && j != NULL) {
		char *s = json_dumps(j, JSON_INDENT(2));

		puts(s ? s : "");
		free(s);
	} else {
		fprintf(stderr, "esignctl: %s (%s, HTTP %ld)\n",
			json_string_value(json_object_get(err, "message")) ?: "error",
			json_string_value(json_object_get(err, "code")) ?: "?",
			status);
	}
	return status >= 500 || status == 0 ? EXIT_UNAVAILABLE : EXIT_REFUSED;
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	puts(s ? s : "null");
	free(s);
}

static int call(struct ctx *c, const char *method, const char *path,
		json_t *body, json_t **out)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	long status;
	int rc = cli_http(c->sock, method, path, text, &status, out);

	free(text);
	if (rc != 0)
		return rc;
	rc = report(c, status, *out);
	if (rc != EXIT_OK) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static int cmd_status(struct ctx *c)
{
	json_t *j, *h = NULL;
	int rc = call(c, "GET", "/v1/status", NULL, &j);

	if (rc != EXIT_OK)
		return rc;
	{
		long st;

		cli_http(c->sock, "GET", "/v1/health", NULL, &st, &h);
		json_object_set_new(j, "health", h ? h : json_null());
	}
	if (c->json) {
		print_json(j);
	} else {
		json_t *tok = json_object_get(j, "token");
		json_t *st = json_object_get(j, "store");

		printf("esignd %s, up %llds, health %s\n",
		       json_string_value(json_object_get(j, "version")),
		       (long long)json_integer_value(json_object_get(j, "uptime")),
		       json_is_true(json_object_get(h, "ok")) ? "ok" : "FAILING");
		printf("token: %s (%s %s), %s\n",
		       json_string_value(json_object_get(tok, "label")),
		       json_string_value(json_object_get(tok, "manufacturer")),
		       json_string_value(json_object_get(tok, "model")),
		       json_is_true(json_object_get(tok, "ok")) ? "ok" : "FAILING");
		printf("store: %lld keys, %lld API clients, %lld audit records\n",
		       (long long)json_integer_value(json_object_get(st, "keys")),
		       (long long)json_integer_value(json_object_get(st, "clients")),
		       (long long)json_integer_value(
			       json_object_get(st, "audit_records")));
	}
	json_decref(j);
	return EXIT_OK;
}

static int cmd_keys_list(struct ctx *c)
{
	json_t *j, *k;
	size_t i;
	int rc = call(c, "GET", "/v1/keys", NULL, &j);

	if (rc != EXIT_OK)
		return rc;
	if (c->json) {
		print_json(j);
	} else {
		printf("%-24s %-8s %-12s %s\n", "LABEL", "TYPE", "PURPOSE",
		       "CERTIFICATE");
		json_array_foreach(json_object_get(j, "keys"), i, k)
			printf("%-24s %-8s %-12s %s\n",
			       json_string_value(json_object_get(k, "label")),
			       json_string_value(json_object_get(k, "type")),
			       json_string_value(json_object_get(k, "purpose")) ?: "-",
			       json_object_get(k, "certificate") ? "yes" : "no");
	}
	json_decref(j);
	return EXIT_OK;
}

static int cmd_keys_generate(struct ctx *c, const char *label, const char *type)
{
	json_t *j, *body;
	int rc;

	if (label == NULL || type == NULL) {
		fprintf(stderr, "esignctl: keys generate needs --label and --type\n");
		return EXIT_USAGE;
	}
	body = json_pack("{s:s, s:s}", "label", label, "type", type);
	rc = call(c, "POST", "/v1/keys", body, &j);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	if (c->json)
		print_json(j);
	else
		printf("generated %s key '%s'\n%s", type, label,
		       json_string_value(json_object_get(j, "public_key")) ?: "");
	json_decref(j);
	return EXIT_OK;
}

static int cmd_keys_sign(struct ctx *c, const char *key, const char *digest,
			 const char *alg, const char *hash, const char *outpath)
{
	char path[256];
	json_t *j, *body;
	const char *b64;
	int rc;

	if (key == NULL || digest == NULL) {
		fprintf(stderr, "esignctl: keys sign needs --key and --digest\n");
		return EXIT_USAGE;
	}
	if (snprintf(path, sizeof(path), "/v1/keys/%s/sign", key) >= (int)sizeof(path))
		return EXIT_USAGE;
	body = json_pack("{s:s, s:s, s:s}", "digest", digest, "alg",
			 alg ? alg : "rsa-pkcs1", "hash", hash ? hash : "sha256");
	rc = call(c, "POST", path, body, &j);
	json_decref(body);
	if (rc != EXIT_OK)
		return rc;
	b64 = json_string_value(json_object_get(j, "signature"));
	if (outpath != NULL && b64 != NULL) {
		uint8_t *raw = NULL;
		size_t len;

		if (esd_b64_decode(b64, &raw, &len) != 0 ||
		    esd_write_file(outpath, raw, len, 0644, 0) != 0) {
			fprintf(stderr, "esignctl: cannot write %s\n", outpath);
			free(raw);
			json_decref(j);
			return EXIT_LOCAL;
		}
		free(raw);
	}
	if (c->json)
		print_json(j);
	else if (outpath == NULL)
		printf("%s\n", b64 ? b64 : "");
	json_decref(j);
	return EXIT_OK;
}

static int cmd_audit_verify(struct ctx *c)
{
	json_t *j;
	int rc = call(c, "GET", "/v1/audit/verify", NULL, &j), ok;

	if (rc != EXIT_OK)
		return rc;
	ok = json_is_true(json_object_get(j, "ok"));
	if (c->json)
		print_json(j);
	else if (ok)
		printf("audit chain intact: %lld records, %lld signed checkpoints\n",
		       (long long)json_integer_value(json_object_get(j, "records")),
		       (long long)json_integer_value(json_object_get(j, "checkpoints")));
	else if (json_object_get(j, "first_bad") != NULL)
		printf("audit chain BROKEN at record %lld\n",
		       (long long)json_integer_value(json_object_get(j, "first_bad")));
	else
		printf("audit checkpoint %lld does not verify\n",
		       (long long)json_integer_value(json_object_get(j, "bad_checkpoint")));
	json_decref(j);
	return ok ? EXIT_OK : EXIT_REFUSED;
}

/* JSON lines, one record each, from --since on (paging by 1000). */
static int cmd_audit_export(struct ctx *c, const char *since)
{
	uint64_t from = 1;
	char path[96];

	if (since != NULL && esd_parse_u64(since, 1, UINT64_MAX, &from) != 0) {
		fprintf(stderr, "esignctl: --since takes a record number\n");
		return EXIT_USAGE;
	}
	for (;;) {
		json_t *j, *rec;
		size_t i, n;
		int rc;

		snprintf(path, sizeof(path), "/v1/audit?since=%llu&limit=1000",
			 (unsigned long long)from);
		rc = call(c, "GET", path, NULL, &j);
		if (rc != EXIT_OK)
			return rc;
		n = json_array_size(json_object_get(j, "records"));
		json_array_foreach(json_object_get(j, "records"), i, rec) {
			char *line = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);

			if (line != NULL)
				puts(line);
			free(line);
			from = (uint64_t)json_integer_value(json_object_get(rec, "seq")) + 1;
		}
		json_decref(j);
		if (n < 1000)
			return EXIT_OK;
	}
}

static int cmd_cert_list(struct ctx *c)
{
	json_t *j, *x;
	size_t i;
	int rc = call(c, "GET", "/v1/certs", NULL, &j);

	if (rc != EXIT_OK)
		return rc;
	if (c->json) {
		print_json(j);
	} else {
		printf("%-34s %-8s %-16s %-12s %s\n", "SERIAL", "STATUS", "KEY",
		       "ISSUER", "SUBJECT");
		json_array_foreach(json_object_get(j, "certs"), i, x)
			printf("%-34s %-8s %-16s %-12s %s\n",
			       json_string_value(json_object_get(x, "serial")) ?: "",
			       json_string_value(json_object_get(x, "status")) ?: "",
			       json_string_value(json_object_get(x, "key")) ?: "",
			       json_string_value(json_object_get(x, "issuer")) ?: "",
			       json_string_value(json_object_get(x, "subject")) ?: "");
	}
	json_decref(j);
	return EXIT_OK;
}

int cli_socket(const char *sock, const char *conf, char *out, size_t cap)
{
	struct esd_config cfg;
	char err[512];

	if (sock != NULL) {
		snprintf(out, cap, "%s", sock);
		return 0;
	}
	if (conf == NULL)
		conf = getenv("ESIGND_CONF");
	if (conf == NULL)
		conf = "/etc/esignd/esignd.conf";
	if (config_load(conf, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "esignctl: %s\n", err);
		return EXIT_USAGE;
	}
	if (cfg.unix_socket[0] == '\0') {
		fprintf(stderr, "esignctl: %s has no unix_socket\n", conf);
		return EXIT_USAGE;
	}
	snprintf(out, cap, "%s", cfg.unix_socket);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "conf", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ "https-port", required_argument, NULL, 'p' },
		{ "http-port", required_argument, NULL, 'q' },
		{ "module", required_argument, NULL, 'm' },
		{ "show-pins", no_argument, NULL, 'P' },
		{ "label", required_argument, NULL, 'l' },
		{ "type", required_argument, NULL, 't' },
		{ "key", required_argument, NULL, 'k' },
		{ "digest", required_argument, NULL, 'D' },
		{ "alg", required_argument, NULL, 'a' },
		{ "hash", required_argument, NULL, 'H' },
		{ "out", required_argument, NULL, 'o' },
		{ "since", required_argument, NULL, 'F' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 'T' },
		{ "log", required_argument, NULL, 'L' },
		{ "store", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctx c = { "", 0 };
	struct init_opts io = { NULL, 8443, 0, 0, "/usr/lib/softhsm/libsofthsm2.so", NULL, 0, NULL };
	const char *conf = NULL, *sock = NULL, *label = NULL, *type = NULL;
	const char *key = NULL, *digest = NULL, *alg = NULL, *hash = NULL;
	const char *out = NULL, *since = NULL, *from = NULL, *logf = NULL;
	const char *to = NULL;
	uint64_t port;
	char **words;
	int opt, rc, nw, handled;

	/* The registration authority's and client commands (ra.c). */
	rc = cli_ra_main(argc, argv, &handled);
	if (handled)
		return rc;
	/* The integration checklist against a deployment (conformance.c). */
	rc = cli_conformance_main(argc, argv, &handled);
	if (handled)
		return rc;

	/* GNU getopt permutes: options may come before or after the words. */
	while ((opt = getopt_long(argc, argv, "c:s:jh", lopts, NULL)) != -1) {
		switch (opt) {
		case 'j': c.json = 1; break;
		case 'c': conf = optarg; break;
		case 's': sock = optarg; break;
		case 'd': io.dir = optarg; break;
		case 'p':
			if (esd_parse_u64(optarg, 1, 65535, &port) != 0) {
				fprintf(stderr, "esignctl: bad --https-port\n");
				return EXIT_USAGE;
			}
			io.https_port = (unsigned)port;
			io.https_port_given = 1;
			break;
		case 'q':
			if (esd_parse_u64(optarg, 1, 65535, &port) != 0) {
				fprintf(stderr, "esignctl: bad --http-port\n");
				return EXIT_USAGE;
			}
			io.http_port = (unsigned)port;
			break;
		case 'm': io.module = optarg; break;
		case 'P': io.show_pins = 1; break;
		case 'l': label = optarg; break;
		case 't': type = optarg; break;
		case 'k': key = optarg; break;
		case 'D': digest = optarg; break;
		case 'a': alg = optarg; break;
		case 'H': hash = optarg; break;
		case 'o': out = optarg; break;
		case 'F': since = optarg; break;
		case 'f': from = optarg; break;
		case 'T': to = optarg; break;
		case 'S': io.store = optarg; break;
		case 'L': logf = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	words = argv + optind;
	nw = argc - optind;
	if (nw == 1 && strcmp(words[0], "init") == 0) {
		if (io.dir == NULL) {
			fprintf(stderr, "esignctl: init needs --dir DIR\n");
			return EXIT_USAGE;
		}
		io.conf = conf ? conf : getenv("ESIGND_CONF");
		if (io.conf == NULL)
			io.conf = "/etc/esignd/esignd.conf";
		return cli_init(&io);
	}
	if (nw == 1 && strcmp(words[0], "backup") == 0)
		return cli_backup(conf, out);
	if (nw == 1 && strcmp(words[0], "restore") == 0)
		return cli_restore(from, io.dir);
	if (nw == 2 && strcmp(words[0], "store") == 0 &&
	    strcmp(words[1], "migrate") == 0)
		return cli_store_migrate(conf, to);
	if (nw == 2 && strcmp(words[0], "store") == 0 &&
	    strcmp(words[1], "copy") == 0)
		return cli_store_copy(from, to);
	if (nw < 1 || nw > 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = cli_socket(sock, conf, c.sock, sizeof(c.sock));
	if (rc != 0)
		return rc;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (nw == 1 && strcmp(words[0], "status") == 0)
		rc = cmd_status(&c);
	else if (nw == 1 && strcmp(words[0], "diag") == 0)
		rc = cli_diag(conf, c.sock, out, logf);
	else if (nw == 2 && strcmp(words[0], "keys") == 0 &&
		 strcmp(words[1], "list") == 0)
		rc = cmd_keys_list(&c);
	else if (nw == 2 && strcmp(words[0], "keys") == 0 &&
		 strcmp(words[1], "generate") == 0)
		rc = cmd_keys_generate(&c, label, type);
	else if (nw == 2 && strcmp(words[0], "cert") == 0 &&
		 strcmp(words[1], "list") == 0)
		rc = cmd_cert_list(&c);
	else if (nw == 2 && strcmp(words[0], "audit") == 0 &&
		 strcmp(words[1], "export") == 0)
		rc = cmd_audit_export(&c, since);
	else if (nw == 2 && strcmp(words[0], "audit") == 0 &&
		 strcmp(words[1], "verify") == 0)
		rc = cmd_audit_verify(&c);
	else if (nw == 2 && strcmp(words[0], "keys") == 0 &&
		 strcmp(words[1], "sign") == 0)
		rc = cmd_keys_sign(&c, key, digest, alg, hash, out);
	else {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	curl_global_cleanup();
	return rc;
}
