#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "api/multipart.h"
#include "common/err.h"

struct mp_state {
	struct mp_field *fields;
	char *msg;
	size_t msglen;
	int err;
	struct mp_field *cur;   /* field being filled (values come in pieces) */
};

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *filename,
			       const char *ctype, const char *enc,
			       const char *data, uint64_t off, size_t size)
{
	struct mp_state *st = cls;
	struct mp_field *f;
	char *nd;

	(void)kind;
	(void)filename;
	(void)ctype;
	(void)enc;
	for (f = st->fields; f->name != NULL; f++)
		if (strcmp(f->name, key) == 0)
			break;
	if (f->name == NULL) {
		snprintf(st->msg, st->msglen, "unknown field '%.64s'", key);
		st->err = ESD_EINVAL;
		return MHD_NO;
	}
	if (off == 0 && f != st->cur) {
		if (f->seen) {
			snprintf(st->msg, st->msglen, "field '%s' given twice",
				 f->name);
			st->err = ESD_EINVAL;
			return MHD_NO;
		}
		f->seen = 1;
		st->cur = f;
	}
	if (off != f->len || f != st->cur) {
		snprintf(st->msg, st->msglen, "malformed multipart body");
		st->err = ESD_EINVAL;
		return MHD_NO;
	}
	if (size > f->max || f->len + size > f->max) {
		snprintf(st->msg, st->msglen, "field '%s' exceeds %zu bytes",
			 f->name, f->max);
		st->err = ESD_ETOOBIG;
		return MHD_NO;
	}
	if (size == 0)
		return MHD_YES;
	nd = realloc(f->data, f->len + size + 1);
	if (nd == NULL) {
		st->err = ESD_ENOMEM;
		return MHD_NO;
	}
	memcpy(nd + f->len, data, size);
	f->data = nd;
	f->len += size;
	f->data[f->len] = '\0';
	return MHD_YES;
}

int mp_parse(struct req *r, struct mp_field *fields, char *msg, size_t msglen)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	struct mp_state st = { fields, msg, msglen, 0, NULL };
	struct MHD_PostProcessor *pp;
	enum MHD_Result ok;

	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0) {
		snprintf(msg, msglen, "the body must be multipart/form-data");
		return ESD_EMEDIA;
	}
	pp = MHD_create_post_processor(r->conn, 65536, on_part, &st);
	if (pp == NULL) {
		snprintf(msg, msglen, "malformed multipart/form-data header");
		return ESD_EINVAL;
	}
	ok = MHD_post_process(pp, r->body ? r->body : "", r->body_len);
	if (MHD_destroy_post_processor(pp) != MHD_YES && ok == MHD_YES &&
	    st.err == 0) {
		snprintf(msg, msglen, "truncated multipart body");
		st.err = ESD_EINVAL;
	}
	if (ok != MHD_YES && st.err == 0) {
		snprintf(msg, msglen, "malformed multipart body");
		st.err = ESD_EINVAL;
	}
	for (struct mp_field *f = fields; st.err == 0 && f->name; f++)
		if (f->seen && f->data == NULL) {
			f->data = calloc(1, 1);
			if (f->data == NULL)
				st.err = ESD_ENOMEM;
		}
	if (st.err != 0)
		mp_free(fields);
	return st.err;
}

void mp_free(struct mp_field *fields)
{
	for (struct mp_field *f = fields; f->name != NULL; f++) {
		if (f->data != NULL) {
			OPENSSL_cleanse(f->data, f->len);
			free(f->data);
		}
		f->data = NULL;
		f->len = 0;
		f->seen = 0;
	}
}

const struct mp_field *mp_get(const struct mp_field *fields, const char *name)
{
	for (const struct mp_field *f = fields; f->name != NULL; f++)
		if (strcmp(f->name, name) == 0)
			return f->seen ? f : NULL;
	return NULL;
}
