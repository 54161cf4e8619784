/*
 * The web console (docs/console.md): static HTML, CSS and JavaScript
 * embedded at build time by console/embed.py, served under /console/
 * with a strict Content-Security-Policy. Everything the pages show comes
 * from the JSON API in the browser; nothing here reads a file or asks
 * the keeper.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "common/err.h"
#include "console/console_files.h"

/* No inline script or style, nothing from another origin, no framing;
 * QR codes come as data: images (the login's enrolment). */
static const struct resp_hdr console_headers[] = {
	{ "Content-Security-Policy",
	  "default-src 'self'; script-src 'self'; style-src 'self'; "
	  "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
	  "form-action 'self'" },
	{ "X-Frame-Options", "DENY" },
	{ "Referrer-Policy", "no-referrer" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
	{ NULL, NULL },
};

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

	if (strcmp(r->url, "/") == 0 || strcmp(r->url, "/console") == 0) {
		redirect(out);
		return;
	}
	f = find(strcmp(r->url, "/console/") == 0 ? "index.html" : r->param[0]);
	if (f == NULL) {
		resp_error(out, ESD_ENOTFOUND, "no such console file");
		return;
	}
	/* The response owns its body (freed once sent). */
	body = malloc(f->len ? f->len : 1);
	if (body == NULL) {
		resp_error(out, ESD_ENOMEM, NULL);
		return;
	}
	memcpy(body, f->data, f->len);
	resp_text(out, 200, f->content_type, body, f->len);
	out->more = console_headers;
}
