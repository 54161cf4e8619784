/*
 * The web console (docs/console.md): static HTML, CSS and JavaScript
 * embedded at build time by console/embed.py, served under /console/
 * with a strict Content-Security-Policy. Everything the pages show comes
 * from the JSON API in the browser; nothing here reads a file or asks
 * the keeper.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>

#include "api/api.h"
#include "common/err.h"
#include "console/console_files.h"

/* No inline script or style, nothing from another origin, no framing;
 * QR codes come as data: images (the login's enrolment). */
#define CONSOLE_HEADERS \
	{ "Content-Security-Policy", \
	  "default-src 'self'; script-src 'self'; style-src 'self'; " \
	  "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; " \
	  "form-action 'self'" }, \
	{ "X-Frame-Options", "DENY" }, \
	{ "Referrer-Policy", "no-referrer" }, \
	{ "Cross-Origin-Opener-Policy", "same-origin" }, \
	{ "Vary", "Accept-Encoding" }

static const struct resp_hdr console_headers[] = {
	CONSOLE_HEADERS, { NULL, NULL },
};
/* The same, for the gzip copy of a file. */
static const struct resp_hdr console_headers_gz[] = {
	CONSOLE_HEADERS, { "Content-Encoding", "gzip" }, { NULL, NULL },
};

/* Whether Accept-Encoding (RFC 9110 §12.5.3) takes gzip: a "gzip" or
 * "*" item whose q is not zero. */
static int accepts_gzip(const char *ae)
{
	while (ae != NULL && *ae != '\0') {
		size_t n;
		const char *q, *end = strchr(ae, ',');

		ae += strspn(ae, " \t");
		n = strcspn(ae, " \t;,");
		if ((n == 4 && strncasecmp(ae, "gzip", 4) == 0) ||
		    (n == 1 && *ae == '*')) {
			q = strchr(ae, ';');
			if (q == NULL || (end != NULL && q > end))
				return 1;
			q += 1 + strspn(q + 1, " \t");
			return !(strncasecmp(q, "q=0", 3) == 0 &&
				 strspn(q + 3, ".0") == strcspn(q + 3, " \t,"));
		}
		ae = end != NULL ? end + 1 : NULL;
	}
	return 0;
}

static const struct console_file *find(const char *name)
{
	for (size_t i = 0; i < console_nfiles; i++)
		if (strcmp(console_files[i].name, name) == 0)
			return &console_files[i];
	return NULL;
}

static void redirect(struct resp *out)
{
	static const char body[] = "See /console/\n";
	char *b = strdup(body);

	if (b == NULL) {
		resp_error(out, ESD_ENOMEM, NULL);
		return;
	}
	resp_text(out, 303, "text/plain; charset=utf-8", b, sizeof(body) - 1);
	snprintf(out->header[0], sizeof(out->header[0]), "Location");
	snprintf(out->header[1], sizeof(out->header[1]), "/console/");
}

void api_console(struct req *r, struct resp *out)
{
	const struct console_file *f;
	char *body;
	size_t len;
	int gz;

	if (strcmp(r->url, "/") == 0 || strcmp(r->url, "/console") == 0) {
		redirect(out);
		return;
	}
	f = find(strcmp(r->url, "/console/") == 0 ? "index.html" : r->param[0]);
	if (f == NULL) {
		resp_error(out, ESD_ENOTFOUND, "no such console file");
		return;
	}
	gz = f->gz != NULL && accepts_gzip(MHD_lookup_connection_value(
				      r->conn, MHD_HEADER_KIND,
				      MHD_HTTP_HEADER_ACCEPT_ENCODING));
	/* The response owns its body (freed once sent). */
	len = gz ? f->gz_len : f->len;
	body = malloc(len ? len : 1);
	if (body == NULL) {
		resp_error(out, ESD_ENOMEM, NULL);
		return;
	}
	memcpy(body, gz ? f->gz : f->data, len);
	resp_text(out, 200, f->content_type, body, len);
	out->more = gz ? console_headers_gz : console_headers;
}
