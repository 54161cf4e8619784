/*
 * The BSrE v2 bodies signbench sends and checks (tests/bench only):
 * base64 without a library, the request of N files built once, and the
 * reply's "file" strings checked in place.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "v2body.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding; a malloc'ed string or NULL. */
char *b64_encode(const unsigned char *p, size_t n, size_t *out_len)
{
	size_t len = (n + 2) / 3 * 4, i, k = 0;
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		s[k++] = b64_alphabet[v >> 18];
		s[k++] = b64_alphabet[v >> 12 & 63];
		s[k++] = b64_alphabet[v >> 6 & 63];
		s[k++] = b64_alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 |
			     (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		s[k++] = b64_alphabet[v >> 18];
		s[k++] = b64_alphabet[v >> 12 & 63];
		s[k++] = i + 1 < n ? b64_alphabet[v >> 6 & 63] : '=';
		s[k++] = '=';
	}
	s[k] = '\0';
	if (out_len != NULL)
		*out_len = k;
	return s;
}

static int b64_val(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

/* Decodes n characters of base64 (n a multiple of 4, '=' only as the
 * last one or two) into out, which holds n / 4 * 3 bytes; the number of
 * bytes written, or -1 if it is not base64. */
static long b64_decode(const char *s, size_t n, unsigned char *out)
{
	size_t i, k = 0;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
			} else if (pad > 0 || (v[j] = b64_val(s[i + j])) < 0) {
				return -1;
			}
		}
		out[k++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[k++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (pad < 1)
			out[k++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (long)k;
}

/* The strings of the "file" array of a v2 reply, in place: sets *at to
 * the next one's first character and *len to its length; 1 if there is
 * one, 0 at the array's end, -1 if the reply is not of that shape.
 * *pos starts at 0. Base64 needs no JSON escapes except "\/", which
 * jansson does not write. */
static int next_file(const char *body, size_t *pos, const char **at,
		     size_t *len)
{
	const char *p = body + *pos, *q;

	if (*pos == 0) {
		if ((p = strstr(body, "\"file\":")) == NULL)
			return -1;
		p += 7;
		while (*p == ' ')
			p++;
		if (*p++ != '[')
			return -1;
	}
	while (*p == ' ' || *p == ',')
		p++;
	if (*p == ']')
		return 0;
	if (*p++ != '"' || (q = strchr(p, '"')) == NULL)
		return -1;
	*at = p;
	*len = (size_t)(q - p);
	*pos = (size_t)(q + 1 - body);
	return 1;
}

const char *v2_reply_problem(const char *body, unsigned files,
			     size_t sent_len)
{
	const char *f;
	unsigned char head[6], tail[18];
	size_t pos = 0, len;
	unsigned n = 0;
	long k;
	int more;

	while ((more = next_file(body, &pos, &f, &len)) == 1) {
		n++;
		if (len < 32 || len % 4 != 0 || b64_decode(f, 8, head) != 6 ||
		    memcmp(head, "%PDF-", 5) != 0)
			return "a file does not start with %PDF-";
		if ((k = b64_decode(f + len - 24, 24, tail)) < 5 ||
		    memmem(tail, (size_t)k, "%%EOF", 5) == NULL)
			return "a file does not end with %%EOF";
		if (len / 4 * 3 - (f[len - 1] == '=') - (f[len - 2] == '=') <=
		    sent_len)
			return "a file is not longer than the document sent";
	}
	if (more < 0)
		return "the body has no \"file\" array of strings";
	if (n != files)
		return "the \"file\" array does not hold one PDF per file sent";
	return NULL;
}

/* Writes the files of a v2 reply, decoded, to PREFIX.K.pdf; 0 or -1. */
int save_v2(const char *prefix, const char *body)
{
	const char *f;
	size_t pos = 0, len;
	unsigned k = 0;
	int more, rc = 0;

	while (rc == 0 && (more = next_file(body, &pos, &f, &len)) == 1) {
		unsigned char *pdf = malloc(len / 4 * 3 + 3);
		char path[600];
		long n = pdf ? b64_decode(f, len, pdf) : -1;
		FILE *out;

		snprintf(path, sizeof(path), "%s.%u.pdf", prefix, k++);
		if (n < 0 || (out = fopen(path, "wb")) == NULL)
			rc = -1;
		else if (fwrite(pdf, 1, (size_t)n, out) != (size_t)n ||
			 fclose(out) != 0)
			rc = -1;
		free(pdf);
	}
	return rc;
}

char *v2_request(const char *subscriber, const char *code, const char *pdf,
		 size_t pdf_len, unsigned files, size_t *out_len)
{
	static const char prop[] = "{\"tampilan\":\"INVISIBLE\"}";
	size_t b64_len, cap, k;
	char *b64 = b64_encode((const unsigned char *)pdf, pdf_len, &b64_len);
	char *p;
	int n;

	if (b64 == NULL)
		return NULL;
	cap = 200 + strlen(subscriber) + strlen(code) +
	      files * (sizeof(prop) + 1 + b64_len + 3);
	if ((p = malloc(cap)) == NULL) {
		free(b64);
		return NULL;
	}
	n = snprintf(p, cap, "{\"idSubscriber\":\"%s\",\"totp\":\"%s\","
		     "\"signatureProperties\":[", subscriber, code);
	k = (size_t)n;
	for (unsigned i = 0; i < files; i++) {
		memcpy(p + k, prop, sizeof(prop) - 1);
		k += sizeof(prop) - 1;
		p[k++] = i + 1 < files ? ',' : ']';
	}
	memcpy(p + k, ",\"file\":[", 9);
	k += 9;
	for (unsigned i = 0; i < files; i++) {
		p[k++] = '"';
		memcpy(p + k, b64, b64_len);
		k += b64_len;
		p[k++] = '"';
		p[k++] = i + 1 < files ? ',' : ']';
	}
	p[k++] = '}';
	p[k] = '\0';
	free(b64);
	*out_len = k;
	return p;
}
