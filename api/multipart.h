/*
 * multipart/form-data bodies (RFC 7578), parsed by libmicrohttpd's post
 * processor into a fixed list of expected fields.
 */
#ifndef ESD_API_MULTIPART_H
#define ESD_API_MULTIPART_H

#include <stddef.h>
#include "api/api.h"

struct mp_field {
	const char *name;   /* NULL ends the list */
	size_t max;         /* longest accepted value, bytes */
	char *data;         /* after mp_parse: NUL-terminated, owned; or a
			     * spooled value's read-only mapping */
	size_t len;
	int seen;
	int spooled;        /* the value is in the spool file fd (spool.h) */
	int fd;
	char filename[256]; /* a file part's name (Content-Disposition
			     * filename, cut at a character boundary); "" */
};

/* An entry of a handler's field list, and its end. */
#define MP_FIELD(name, max) { (name), (max), NULL, 0, 0, 0, -1, "" }
#define MP_END MP_FIELD(NULL, 0)

/*
 * The body of a multipart/form-data request is parsed while it arrives
 * (http.c calls mp_stream_feed for each piece): values are kept in
 * memory, or in a spool file once longer than SPOOL_ABOVE, so no copy of
 * the whole body is ever held. mp_stream_free releases what a request
 * collected and no handler took.
 */
struct mp_stream;
/* 0 when r's body is multipart (taken, errors kept for mp_parse), -1 when
 * it is not (the caller keeps it), ESD_ENOMEM. */
int mp_stream_feed(struct req *r, const char *data, size_t n);
void mp_stream_free(struct req *r);

/*
 * Hands r's body over as fields. A field not in the list, a value over its
 * max, a repeated field or a body that is not multipart/form-data is
 * refused: ESD_EINVAL (ESD_EMEDIA for another media type, ESD_ETOOBIG for a value
 * over its max, ESD_EIO when the spool could not be written) with a
 * message in msg. Fields not sent keep seen == 0.
 */
int mp_parse(struct req *r, struct mp_field *fields, char *msg, size_t msglen);

/* mp_parse, with leniency for callers that speak another product's
 * dialect (the BSrE routes): MP_EXTRA_IGNORE drops fields not in the list
 * (their names, comma-separated, in extra), MP_REPEAT_FIRST keeps the
 * first of a repeated field. The native API calls mp_parse (strict). */
#define MP_EXTRA_IGNORE 1u
#define MP_REPEAT_FIRST 2u
int mp_parse_flags(struct req *r, struct mp_field *fields, unsigned flags,
		   char *extra, size_t extralen, char *msg, size_t msglen);

/* Frees every field's data, wiping values up to 4 KiB (passphrases,
 * codes; not documents); unmaps and closes spooled ones. */
void mp_free(struct mp_field *fields);

/* The field named name, or NULL if absent or not sent. */
const struct mp_field *mp_get(const struct mp_field *fields, const char *name);

#endif
