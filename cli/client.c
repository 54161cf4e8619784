#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "cli/cli.h"

size_t cli_body_append(char *d, size_t sz, size_t n, void *arg)
{
	struct cli_body *b = arg;
	size_t add = sz * n;
	char *np;

	if (b->len + add > b->max)
		return 0;
	np = realloc(b->p, b->len + add + 1);
	if (np == NULL)
		return 0;
	memcpy(np + b->len, d, add);
	b->p = np;
	b->len += add;
	b->p[b->len] = '\0';
	return add;
}

const char *cli_bearer;

int cli_http(const char *sock, const char *method, const char *path,
	     const char *body, long *status, json_t **out)
{
	struct curl_slist *hdr = NULL;
	struct cli_body b = { NULL, 0, 64u << 20 };
	char url[1024];
	CURL *c;
	CURLcode cr;

	*out = NULL;
	*status = 0;
	snprintf(url, sizeof(url), "http://localhost%s", path);
	c = curl_easy_init();
	if (c == NULL)
		return EXIT_LOCAL;
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cli_body_append);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	if (cli_bearer != NULL) {
		char auth[300];

		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", cli_bearer);
		hdr = curl_slist_append(hdr, auth);
		OPENSSL_cleanse(auth, sizeof(auth));
	}
	if (body != NULL) {
		hdr = curl_slist_append(hdr, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	}
	if (hdr != NULL)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	cr = curl_easy_perform(c);
	if (cr == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	if (cr != CURLE_OK) {
		fprintf(stderr, "esignctl: cannot reach %s: %s\n", sock,
			curl_easy_strerror(cr));
		free(b.p);
		return EXIT_UNAVAILABLE;
	}
	if (b.p != NULL)
		*out = json_loadb(b.p, b.len, 0, NULL);
	free(b.p);
	return 0;
}
