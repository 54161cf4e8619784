/*
 * The conformance kit's HTTP client (kit.c): one libcurl handle kept
 * alive over HTTPS (TLS 1.2 or later, the server certificate verified),
 * HTTP Basic with the API client's name and token, as agency
 * integrations call the BSrE-compatible API.
 */
#ifndef ESD_CLI_KIT_H
#define ESD_CLI_KIT_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

struct kit_conn {
	const char *url, *client, *cacert;  /* cacert: NULL = system CAs */
	char token[256];
	int wrong_password;   /* send a wrong token (the refusal check) */
	void *curl;
};

struct kit_resp {
	long status;          /* 0: no HTTP answer (err says why) */
	char *body;
	size_t len;
	json_t *json;         /* the body parsed, when it is JSON */
	time_t date;          /* the Date header, 0 if none */
	char id_dokumen[80];  /* the id_dokumen header */
	char peer_subject[200], peer_expiry[64];
	char err[256];
};

/* A multipart field: data of len bytes (0: strlen), type non-NULL for a
 * file part. */
struct kit_field {
	const char *name, *data;
	size_t len;
	const char *type;
};

int kit_open(struct kit_conn *c);
void kit_close(struct kit_conn *c);
/* Each returns 0 when an HTTP answer came (any status), -1 otherwise;
 * r is always filled and must be freed. */
int kit_get(struct kit_conn *c, const char *path, struct kit_resp *r);
int kit_json(struct kit_conn *c, const char *path, json_t *body,
	     struct kit_resp *r);
int kit_multipart(struct kit_conn *c, const char *path,
		  const struct kit_field *f, struct kit_resp *r);
void kit_resp_free(struct kit_resp *r);
/* The value at a dotted path ("details.0.info_signer"), or NULL. */
json_t *kit_jpath(json_t *j, const char *path);

#endif
