#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "api/multipart.h"
#include "api/spool.h"
#include "common/err.h"
#include "common/util.h"

#define MP_MAX_PARTS 32
/* Values up to this size are wiped when freed: passphrases, codes. A
 * document is not a secret, and wiping megabytes costs. */
#define MP_WIPE_MAX 4096

/* One value as it arrives: in memory, or in a spool file (fd >= 0). */
struct mp_part {
	char name[64];
	char filename[256];
	char *data;
	size_t len, cap;
	int fd;
};

struct mp_stream {
	struct MHD_PostProcessor *pp;
	size_t hint;            /* Content-Length, if it is under SPOOL_ABOVE */
	struct mp_part part[MP_MAX_PARTS];
	size_t n;
	int err;
	char msg[128];
};

static void part_free(struct mp_part *p)
{
	if (p->data != NULL) {
		if (p->len <= MP_WIPE_MAX)
			OPENSSL_cleanse(p->data, p->len);
		free(p->data);
	}
	if (p->fd >= 0)
		close(p->fd);
	p->data = NULL;
	p->fd = -1;
}

static int fail(struct mp_stream *st, int err, const char *msg)
{
	if (st->err == 0) {
		st->err = err;
		snprintf(st->msg, sizeof(st->msg), "%s", msg);
	}
	return MHD_NO;
}

/* Appends to a value: in memory up to SPOOL_ABOVE, then in a file. */
static int part_add(struct mp_stream *st, struct mp_part *p, const char *data,
		    size_t size)
{
	if (p->fd < 0 && p->len + size > SPOOL_ABOVE) {
		int fd = spool_file();

		if (fd >= 0) {
			if (spool_write(fd, p->data ? p->data : "", p->len) != 0) {
				close(fd);
				return fail(st, ESD_EIO, "cannot store the upload");
			}
			free(p->data);
			p->data = NULL;
			p->cap = 0;
			p->fd = fd;
		}
	}
	if (p->fd >= 0) {
		if (spool_write(p->fd, data, size) != 0)
			return fail(st, ESD_EIO, "cannot store the upload");
		p->len += size;
		return MHD_YES;
	}
	/* A value past 4 KiB is most likely the document: its buffer is
	 * sized by the body's length at once. */
	if (esd_append(&p->data, &p->len, &p->cap, data, size,
		       p->len + size + 1 > 4096 ? st->hint : 0) != 0)
		return fail(st, ESD_ENOMEM, "out of memory");
	return MHD_YES;
}

/* A file part's name, cut at a UTF-8 character boundary when long. */
static void set_filename(char *dst, size_t cap, const char *name)
{
	size_t n = strlen(name);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, name, n);
	dst[n] = '\0';
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *filename,
			       const char *ctype, const char *enc,
			       const char *data, uint64_t off, size_t size)
{
	struct mp_stream *st = cls;
	struct mp_part *p = st->n ? &st->part[st->n - 1] : NULL;

	(void)kind;
	(void)ctype;
	(void)enc;
	/* A value comes in pieces at growing offsets; offset 0 after data
	 * (or another name) starts the next one. */
	if (p == NULL || strcmp(p->name, key) != 0 || (off == 0 && p->len > 0)) {
		if (st->n == MP_MAX_PARTS)
			return fail(st, ESD_EINVAL, "too many fields");
		if (strlen(key) >= sizeof(p->name)) {
			char m[128];

			snprintf(m, sizeof(m), "unknown field '%.64s'", key);
			return fail(st, ESD_EINVAL, m);
		}
		p = &st->part[st->n++];
		snprintf(p->name, sizeof(p->name), "%s", key);
		if (filename != NULL)
			set_filename(p->filename, sizeof(p->filename), filename);
	}
	if (off != p->len)
		return fail(st, ESD_EINVAL, "malformed multipart body");
	return size == 0 ? MHD_YES : part_add(st, p, data, size);
}

static struct mp_stream *stream_new(struct req *r)
{
	struct mp_stream *st = calloc(1, sizeof(*st));
	const char *cl;
	uint64_t n;

	if (st == NULL)
		return NULL;
	for (size_t i = 0; i < MP_MAX_PARTS; i++)
		st->part[i].fd = -1;
	cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL && esd_parse_u64(cl, 1, SPOOL_ABOVE, &n) == 0)
		st->hint = (size_t)n + 1;
	st->pp = MHD_create_post_processor(r->conn, 65536, on_part, st);
	if (st->pp == NULL)
		fail(st, ESD_EINVAL, "malformed multipart/form-data header");
	return st;
}

static int is_multipart(struct req *r)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);

	return ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0;
}

int mp_stream_feed(struct req *r, const char *data, size_t n)
{
	if (r->mp == NULL) {
		if (!is_multipart(r))
			return -1;
		if ((r->mp = stream_new(r)) == NULL)
			return ESD_ENOMEM;
	}
	if (r->mp->err == 0 && MHD_post_process(r->mp->pp, data, n) != MHD_YES)
		fail(r->mp, ESD_EINVAL, "malformed multipart body");
	return 0;
}

void mp_stream_free(struct req *r)
{
	struct mp_stream *st = r->mp;

	if (st == NULL)
		return;
	if (st->pp != NULL)
		MHD_destroy_post_processor(st->pp);
	for (size_t i = 0; i < st->n; i++)
		part_free(&st->part[i]);
	free(st);
	r->mp = NULL;
}

/* Ends the parse: the body must have been complete. */
static void stream_end(struct mp_stream *st)
{
	if (st->pp != NULL && MHD_destroy_post_processor(st->pp) != MHD_YES)
		fail(st, ESD_EINVAL, "truncated multipart body");
	st->pp = NULL;
}

/* Moves part p into field f; spooled values are mapped. */
static int take(struct mp_stream *st, struct mp_part *p, struct mp_field *f,
		unsigned flags)
{
	char m[128];

	if (f->seen && (flags & MP_REPEAT_FIRST))
		return MHD_YES;
	if (f->seen) {
		snprintf(m, sizeof(m), "field '%s' given twice", f->name);
		return fail(st, ESD_EINVAL, m);
	}
	if (p->len > f->max) {
		snprintf(m, sizeof(m), "field '%s' exceeds %zu bytes", f->name,
			 f->max);
		return fail(st, ESD_ETOOBIG, m);
	}
	f->seen = 1;
	f->len = p->len;
	memcpy(f->filename, p->filename, sizeof(f->filename));
	if (p->fd >= 0) {
		const uint8_t *map;

		if (spool_map(p->fd, p->len, &map) != 0)
			return fail(st, ESD_ENOMEM, "cannot map the upload");
		f->data = (char *)map;
		f->spooled = 1;
		f->fd = p->fd;
		p->fd = -1;
		return MHD_YES;
	}
	f->data = p->data ? p->data : calloc(1, 1);
	p->data = NULL;
	return f->data != NULL ? MHD_YES : fail(st, ESD_ENOMEM, "out of memory");
}

int mp_parse(struct req *r, struct mp_field *fields, char *msg, size_t msglen)
{
	return mp_parse_flags(r, fields, 0, NULL, 0, msg, msglen);
}

int mp_parse_flags(struct req *r, struct mp_field *fields, unsigned flags,
		   char *extra, size_t extralen, char *msg, size_t msglen)
{
	struct mp_stream *st;
	size_t xl = 0;
	int err;

	if (extra != NULL && extralen > 0)
		extra[0] = '\0';

	for (struct mp_field *f = fields; f->name != NULL; f++) {
		f->data = NULL;
		f->len = 0;
		f->seen = f->spooled = 0;
		f->fd = -1;
		f->filename[0] = '\0';
	}
	if (!is_multipart(r)) {
		snprintf(msg, msglen, "the body must be multipart/form-data");
		return ESD_EMEDIA;
	}
	/* A body that never came (or came before the route was known). */
	if (r->mp == NULL)
		(void)mp_stream_feed(r, r->body ? r->body : "", r->body_len);
	st = r->mp;
	if (st == NULL) {
		snprintf(msg, msglen, "out of memory");
		return ESD_ENOMEM;
	}
	stream_end(st);
	for (size_t i = 0; st->err == 0 && i < st->n; i++) {
		struct mp_field *f;

		for (f = fields; f->name != NULL; f++)
			if (strcmp(f->name, st->part[i].name) == 0)
				break;
		if (f->name == NULL && (flags & MP_EXTRA_IGNORE)) {
			if (extra != NULL && xl + 1 < extralen &&
			    strstr(extra, st->part[i].name) == NULL) {
				int n = snprintf(extra + xl, extralen - xl, "%s%s",
						 xl ? "," : "", st->part[i].name);

				xl = n > 0 && (size_t)n < extralen - xl ? xl + (size_t)n
									: extralen - 1;
			}
		} else if (f->name == NULL) {
			char m[128];

			snprintf(m, sizeof(m), "unknown field '%.64s'",
				 st->part[i].name);
			fail(st, ESD_EINVAL, m);
		} else {
			take(st, &st->part[i], f, flags);
		}
	}
	err = st->err;
	if (err != 0) {
		snprintf(msg, msglen, "%s", st->msg);
		mp_free(fields);
	}
	mp_stream_free(r);
	return err;
}

void mp_free(struct mp_field *fields)
{
	for (struct mp_field *f = fields; f->name != NULL; f++) {
		if (f->spooled) {
			spool_unmap((const uint8_t *)f->data, f->len);
			close(f->fd);
		} else if (f->data != NULL) {
			if (f->len <= MP_WIPE_MAX)
				OPENSSL_cleanse(f->data, f->len);
			free(f->data);
		}
		f->data = NULL;
		f->len = 0;
		f->seen = f->spooled = 0;
		f->fd = -1;
	}
}

const struct mp_field *mp_get(const struct mp_field *fields, const char *name)
{
	for (const struct mp_field *f = fields; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f->seen ? f : NULL;
	return NULL;
}
