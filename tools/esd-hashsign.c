/*
 * esd-hashsign: seal or sign a PDF through esignd's hash-only API, so the
 * document never leaves this machine. It prepares the incremental update
 * locally (pdf/), sends the SHA-256 of the byte range to
 * POST /v1/seal/hash (or /v1/sign/hash), and writes the returned CMS into
 * /Contents.
 *
 *   esd-hashsign --url https://HOST:PORT --cacert CA.pem --token-file F
 *                [--key LABEL] [--individual] [--reason R] [--location L]
 *                IN.pdf OUT.pdf
 *   (--unix-socket PATH instead of --cacert for the local socket)
 *
 * Exit: 0 written, 1 refused by esignd (message on stderr), 2 usage,
 * 3 esignd unreachable, 4 local failure (reading, PDF refused, writing).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "common/util.h"
#include "pdf/pdf.h"

struct buf {
	char *p;
	size_t len;
};

static size_t on_data(char *d, size_t sz, size_t n, void *arg)
{
	struct buf *b = arg;
	char *np;

	if (b->len + sz * n > (1u << 20))
		return 0;
	np = realloc(b->p, b->len + sz * n + 1);
	if (np == NULL)
		return 0;
	memcpy(np + b->len, d, sz * n);
	b->p = np;
	b->len += sz * n;
	b->p[b->len] = '\0';
	return sz * n;
}

static void usage(void)
{
	fprintf(stderr, "usage: esd-hashsign --url URL (--cacert CA | --unix-socket PATH)\n"
			"       [--token-file F] [--key LABEL] [--individual]\n"
			"       [--reason R] [--location L] IN.pdf OUT.pdf\n");
	exit(2);
}

/* POSTs {"digest","key"} and returns the decoded CMS. */
static int remote_cms(const char *url, const char *cacert, const char *sock,
		      const char *token, const char *key, int individual,
		      const uint8_t dg[32], uint8_t **cms, size_t *cms_len)
{
	char hex[65], full[1024], auth[128];
	struct curl_slist *h = NULL;
	struct buf b = { NULL, 0 };
	json_t *req, *rep = NULL;
	char *body;
	long status = 0;
	CURL *c;
	int rc = 3;

	esd_hex(dg, 32, hex);
	req = json_pack("{s:s}", "digest", hex);
	if (key != NULL)
		json_object_set_new(req, "key", json_string(key));
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	snprintf(full, sizeof(full), "%s/v1/%s/hash", url,
		 individual ? "sign" : "seal");
	c = curl_easy_init();
	if (c == NULL || body == NULL) {
		free(body);
		return 4;
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
		OPENSSL_cleanse(auth, sizeof(auth));
	}
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	if (cacert != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, cacert);
	if (sock != NULL)
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	if (curl_easy_perform(c) != CURLE_OK) {
		fprintf(stderr, "esd-hashsign: cannot reach %s\n", full);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	rep = b.p ? json_loadb(b.p, b.len, 0, NULL) : NULL;
	if (status != 200) {
		json_t *e = json_object_get(rep, "error");

		fprintf(stderr, "esd-hashsign: %s (%s, HTTP %ld)\n",
			json_string_value(json_object_get(e, "message")) ?: "refused",
			json_string_value(json_object_get(e, "code")) ?: "?", status);
		rc = status >= 500 ? 3 : 1;
		goto out;
	}
	if (json_string_value(json_object_get(rep, "cms")) == NULL ||
	    esd_b64_decode(json_string_value(json_object_get(rep, "cms")), cms,
			   cms_len) != 0) {
		fprintf(stderr, "esd-hashsign: malformed answer\n");
		goto out;
	}
	rc = 0;
out:
	json_decref(rep);
	free(b.p);
	free(body);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "cacert", required_argument, NULL, 'c' },
		{ "unix-socket", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "key", required_argument, NULL, 'k' },
		{ "individual", no_argument, NULL, 'i' },
		{ "reason", required_argument, NULL, 'r' },
		{ "location", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *cacert = NULL, *sock = NULL, *tokf = NULL;
	const char *key = NULL;
	struct pdf_sign_opts o = { 0 };
	struct pdf_doc *doc = NULL;
	struct pdf_prepared *prep = NULL;
	char *in = NULL, *token = NULL;
	uint8_t dg[EVP_MAX_MD_SIZE], *cms = NULL;
	size_t in_len, dlen, cms_len, out_len;
	const uint8_t *outp;
	int individual = 0, opt, rc = 4, reason = 0;

	while ((opt = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (opt) {
		case 'u': url = optarg; break;
		case 'c': cacert = optarg; break;
		case 's': sock = optarg; break;
		case 't': tokf = optarg; break;
		case 'k': key = optarg; break;
		case 'i': individual = 1; break;
		case 'r': o.reason = optarg; break;
		case 'l': o.location = optarg; break;
		default: usage();
		}
	}
	if (url == NULL || argc - optind != 2)
		usage();
	if (tokf != NULL) {
		if (esd_read_file(tokf, 4096, &token, NULL) != 0) {
			fprintf(stderr, "esd-hashsign: cannot read %s\n", tokf);
			return 4;
		}
		esd_trim(token);
	}
	if (esd_read_file(argv[optind], (size_t)1 << 34, &in, &in_len) != 0) {
		fprintf(stderr, "esd-hashsign: cannot read %s\n", argv[optind]);
		goto out;
	}
	o.signing_time = time(NULL);
	o.sub_filter = PDF_SUBFILTER_CADES;
	o.contents_size = 16384;
	o.refuse_if_signed = !individual;
	if (pdf_doc_open((uint8_t *)in, in_len, &doc, &reason) != 0 ||
	    pdf_sign_prepare(doc, &o, &prep, &reason) != 0 ||
	    pdf_prepared_digest(prep, EVP_sha256(), dg, sizeof(dg), &dlen) != 0) {
		fprintf(stderr, "esd-hashsign: %s: %s\n", argv[optind],
			pdf_reason_name(reason));
		goto out;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = remote_cms(url, cacert, sock, token, key, individual, dg, &cms,
			&cms_len);
	curl_global_cleanup();
	if (rc != 0)
		goto out;
	rc = 4;
	if (pdf_prepared_set_contents(prep, cms, cms_len, &reason) != 0) {
		fprintf(stderr, "esd-hashsign: %s\n", pdf_reason_name(reason));
		goto out;
	}
	pdf_prepared_output(prep, &outp, &out_len);
	if (esd_write_file(argv[optind + 1], outp, out_len, 0644, 0) != 0) {
		fprintf(stderr, "esd-hashsign: cannot write %s\n", argv[optind + 1]);
		goto out;
	}
	rc = 0;
out:
	if (token != NULL) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	free(cms);
	pdf_prepared_free(prep);
	pdf_doc_free(doc);
	free(in);
	return rc;
}
