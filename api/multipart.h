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
	char *data;         /* NUL-terminated after mp_parse; owned */
	size_t len;
	int seen;
};

/*
 * Parses r's body into fields. A field not in the list, a value over its
 * max, a repeated field or a body that is not multipart/form-data is
 * refused: ESD_EINVAL (ESD_EMEDIA for another media type, ESD_ETOOBIG for a value
 * over its max) with a
 * message in msg. Fields not sent keep seen == 0.
 */
int mp_parse(struct req *r, struct mp_field *fields, char *msg, size_t msglen);

/* Frees (and wipes) every field's data. */
void mp_free(struct mp_field *fields);

/* The field named name, or NULL if absent or not sent. */
const struct mp_field *mp_get(const struct mp_field *fields, const char *name);

#endif
