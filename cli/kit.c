/*
 * The conformance kit's HTTP client (kit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "cli/cli.h"
#include "cli/kit.h"

#define KIT_MAX_BODY (256u << 20)

/* The Date and id_dokumen headers. */
static size_t on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct kit_resp *r = arg;
	size_t len = sz * n;
	char line[256];

	if (len >= sizeof(line))
		return len;
	memcpy(line, p, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strncasecmp(line, "Date:", 5) == 0)
		r->date = curl_getdate(line + 5, NULL);
	else if (strncasecmp(line, "id_dokumen:", 11) == 0)
		snprintf(r->id_dokumen, sizeof(r->id_dokumen), "%s",
			 line + 11 + strspn(line + 11, " "));
	return len;
}

int kit_open(struct kit_conn *c)
{
	c->curl = curl_easy_init();
	return c->curl != NULL ? 0 : -1;
}

void kit_close(struct kit_conn *c)
{
	if (c->curl != NULL)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

void kit_resp_free(struct kit_resp *r)
{
	free(r->body);
	json_decref(r->json);
	r->body = NULL;
	r->json = NULL;
}

/* The server certificate's subject and expiry, from CURLINFO_CERTINFO. */
static void peer_info(CURL *h, struct kit_resp *r)
{
	struct curl_certinfo *ci = NULL;

	if (curl_easy_getinfo(h, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    ci == NULL || ci->num_of_certs < 1)
		return;
	for (struct curl_slist *s = ci->certinfo[0]; s != NULL; s = s->next) {
		if (strncmp(s->data, "Subject:", 8) == 0)
			snprintf(r->peer_subject, sizeof(r->peer_subject), "%s",
				 s->data + 8);
		else if (strncmp(s->data, "Expire date:", 12) == 0)
			snprintf(r->peer_expiry, sizeof(r->peer_expiry), "%s",
				 s->data + 12);
	}
}

/* Sends what the caller set on the handle; fills r. */
static int perform(struct kit_conn *c, const char *path, struct kit_resp *r)
{
	CURL *h = c->curl;
	struct cli_body b = { NULL, 0, KIT_MAX_BODY };
	char url[1024];
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", c->url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->cacert != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	curl_easy_setopt(h, CURLOPT_CERTINFO, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	curl_easy_setopt(h, CURLOPT_USERNAME, c->client);
	curl_easy_setopt(h, CURLOPT_PASSWORD, c->wrong_password ?
			 "not-the-token" : c->token);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cli_body_append);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->err);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
	rc = curl_easy_perform(h);
	r->body = b.p;
	r->len = b.len;
	if (rc != CURLE_OK) {
		if (r->err[0] == '\0')
			snprintf(r->err, sizeof(r->err), "%s",
				 curl_easy_strerror(rc));
		curl_easy_reset(h);
		return -1;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	peer_info(h, r);
	if (r->body != NULL && r->body[0] == '{')
		r->json = json_loadb(r->body, r->len, 0, NULL);
	curl_easy_reset(h);
	return 0;
}

int kit_get(struct kit_conn *c, const char *path, struct kit_resp *r)
{
	memset(r, 0, sizeof(*r));
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	return perform(c, path, r);
}

int kit_json(struct kit_conn *c, const char *path, json_t *body,
	     struct kit_resp *r)
{
	char *text = json_dumps(body, JSON_COMPACT);
	struct curl_slist *hdr;
	int rc;

	memset(r, 0, sizeof(*r));
	if (text == NULL) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		return -1;
	}
	hdr = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text);
	rc = perform(c, path, r);
	curl_slist_free_all(hdr);
	free(text);
	return rc;
}

int kit_multipart(struct kit_conn *c, const char *path,
		  const struct kit_field *f, struct kit_resp *r)
{
	curl_mime *m = curl_mime_init(c->curl);
	int rc;

	memset(r, 0, sizeof(*r));
	for (; f->name != NULL; f++) {
		curl_mimepart *p = curl_mime_addpart(m);

		curl_mime_name(p, f->name);
		curl_mime_data(p, f->data, f->len ? f->len : CURL_ZERO_TERMINATED);
		if (f->type != NULL) {
			curl_mime_type(p, f->type);
			curl_mime_filename(p, "document.pdf");
		}
	}
	curl_easy_setopt(c->curl, CURLOPT_MIMEPOST, m);
	rc = perform(c, path, r);
	curl_mime_free(m);
	return rc;
}

json_t *kit_jpath(json_t *j, const char *path)
{
	char key[64];

	while (j != NULL && *path != '\0') {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (json_is_array(j))
			j = json_array_get(j, (size_t)strtoul(key, NULL, 10));
		else
			j = json_object_get(j, key);
		path += n + (path[n] == '.');
	}
	return j;
}
