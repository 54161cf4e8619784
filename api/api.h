/*
 * The front's HTTP layer (libmicrohttpd): one daemon for HTTPS, one for the
 * Unix socket, the route table, JSON in and out, and the metrics.
 */
#ifndef ESD_API_H
#define ESD_API_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "daemon/config.h"
#include "daemon/ipc.h"
#include "daemon/proto.h"

struct MHD_Connection;

/* One request, as the handlers see it. */
struct req {
	struct MHD_Connection *conn;
	const char *method;
	const char *url;
	int via_unix;
	char csrf[65];        /* a session cookie's CSRF token ("" = no cookie) */
	struct cred cred;
	char param[2][128];   /* path segments matched by '*' in the route */
	char *body;           /* NUL-terminated; not kept for multipart bodies */
	size_t body_len;
	size_t body_cap;
	uint64_t upload_len;  /* bytes received */
	struct mp_stream *mp; /* a multipart body being parsed (multipart.c) */
	int too_big;
	int prechecked;       /* the front's checks passed at the header stage */
	int stale_cookie;     /* a login that came with a session cookie:
			       * the answer clears it unless it sets one */
	int close;            /* answered before the body: Connection: close */
	struct resp *refused; /* a refusal decided at the header stage, sent
			       * once the small body on its way is dropped */
	int route;            /* index in the route table, -1 = none */
	struct api_server *srv;
	char allow[48];       /* methods the path has, for a 405's Allow */
	uint64_t t0;
};

/* A response header whose name and value outlive the response. */
struct resp_hdr {
	const char *name, *value;
};

struct resp {
	unsigned status;
	const char *content_type;
	char *body;           /* owned */
	size_t len;
	char *head;           /* owned, or NULL: sent before body (a signed
			       * document's original bytes, not copied) */
	size_t head_len;
	char header[2][160];  /* one extra header: name, value ("" = none) */
	int file;             /* 1: the body is the first len bytes of file fd
			       * (owned), not body */
	int fd;
	const struct resp_hdr *more;  /* static headers, {NULL} ends; or NULL */
};

#define ROUTE_AUTH 1u        /* needs a credential (bearer or Unix peer) */
#define ROUTE_UNIX_ONLY 2u   /* not served on HTTPS at all */
#define ROUTE_NO_LIMIT 4u    /* exempt from the per-client rate limit */
#define ROUTE_MULTIPART 8u   /* takes multipart/form-data only: another
			      * Content-Type is refused (415) before the body */

typedef void (*route_fn)(struct req *r, struct resp *out);

struct route {
	const char *method;
	const char *pattern;  /* '*' matches one path segment */
	route_fn fn;
	unsigned flags;
	const char *name;     /* metric label */
};

extern const struct route api_routes[];
extern const size_t api_nroutes;

/* The CSRF token of a login session token (64 hex): what a browser must
 * echo in X-CSRF-Token with the session cookie (http.c). */
void api_csrf_of(const char *token_hex, char out[65]);

/* Response helpers (routes.c). */
void resp_json(struct resp *out, unsigned status, json_t *body); /* steals */
void resp_error(struct resp *out, int err, const char *msg);
void resp_text(struct resp *out, unsigned status, const char *ctype,
	       char *body, size_t len);                          /* steals */

/* Calls the keeper and turns its reply into a response. */
void api_keeper_reply(struct req *r, struct resp *out, uint16_t type,
		      struct ibuf *payload);
/* Calls the keeper; on success (0) *rep holds its answer (the caller
 * clears it), otherwise out holds the error response and the error is
 * returned. Frees payload. */
int api_keeper_call(struct resp *out, uint16_t type, struct ibuf *payload,
		    struct ipc_msg *rep);
/* Calls the keeper; on success *j is its JSON answer (caller decrefs) and
 * 0 is returned; otherwise out holds the error response. Frees payload. */
int api_keeper_json(struct resp *out, uint16_t type, struct ibuf *payload,
		    json_t **j);

/* Calls the keeper and answers its binary payload (DER, a PDF) with
 * ctype, or the error (services.c). Frees payload. */
void api_keeper_bin(struct resp *out, uint16_t type, struct ibuf *payload,
		    const char *ctype);

/* Wipes and frees the request body once a handler has parsed it (the
 * fields keep what they need): a document is not held twice (http.c). */
void api_body_drop(struct req *r);

/* Turns a pdf/ refusal reason into an error response (seal.c). */
void api_pdf_error(struct resp *out, int rc, int reason);

/* What a signature of a whole PDF takes (seal.c): the document, the key
 * (label or subscriber id), its authorisation (passphrase or seal code,
 * the keeper checks it), the level and the optional appearance. */
/* What authorises a signature with a subscriber's key: its kind and the
 * value ("" for keys without a subscriber). */
enum { AUTH_PASSPHRASE = 'P', AUTH_OTP = 'O', AUTH_SEAL_CODE = 'S',
       AUTH_BATCH = 'B' };
struct sign_auth {
	char kind;
	const char *value;
};

struct sign_input {
	const uint8_t *pdf;
	size_t pdf_len;
	/* spooled: pdf maps the first pdf_len bytes of spool file fd
	 * (multipart.h); the signed file is written there after them and
	 * answered from it (out->file), so memory does not grow with the
	 * document. Otherwise the answer is a buffer. */
	int spooled;
	int fd;
	/* Not spooled: where the caller keeps pdf's malloc'ed buffer, or
	 * NULL. A B-B or B-T answer then takes the buffer over (*own set to
	 * NULL) and sends it with the update after it, without copying the
	 * document; otherwise the document is copied into the answer. */
	char **own;
	struct sign_auth auth;
	const char *key, *level, *reason, *location;
	const char *visible;          /* {"page": N, "rect": [x1,y1,x2,y2]}
				       * or {"anchor": T, "size": [w,h], ...} */
	const uint8_t *image;
	size_t image_len;
	const char *qr;
	const char *text;             /* the appearance's lines, or NULL */
	/* A certification seal: "1", "2" or "3", the DocMDP P
	 * (docs/api.md); NULL or "0" for an approval signature. */
	const char *certify;
};
/* Signs in->pdf for purpose ("seal", "individual"); out gets the signed
 * PDF (200) or the error response. */
void api_sign_pdf(struct req *r, struct resp *out, const char *purpose,
		  const struct sign_input *in);

/* Verifies every signature of a PDF (verify.c): 0 and the report in
 * *result (docs/verify.md), or an error response in out. mapped: pdf is
 * a spooled document's mapping, whose pages are dropped once hashed. */
int api_verify_pdf(const uint8_t *pdf, size_t len, int mapped,
		   struct resp *out, json_t **result);

/* Document routes (seal.c, verify.c). */
void api_seal(struct req *r, struct resp *out);
void api_sign(struct req *r, struct resp *out);
void api_seal_hash(struct req *r, struct resp *out);
/* PKI services (services.c). */
void api_tsa(struct req *r, struct resp *out);
void api_ocsp(struct req *r, struct resp *out);
void api_crl(struct req *r, struct resp *out);
void api_ca_cert(struct req *r, struct resp *out);
void api_certs_list(struct req *r, struct resp *out);
void api_cert_revoke(struct req *r, struct resp *out);
void api_sign_hash(struct req *r, struct resp *out);
/* The BSrE eSign Client API (bsre.c, bsre_v2.c; docs/bsre-compat.md). */
/* Takes the BSrE routes' settings (bsre_level) from cfg, at start. */
void api_bsre_init(const struct esd_config *cfg);
void api_bsre_sign_v1(struct req *r, struct resp *out);
void api_bsre_verify_v1(struct req *r, struct resp *out);
void api_bsre_user_status(struct req *r, struct resp *out);
void api_bsre_download(struct req *r, struct resp *out);
void api_bsre_sign_v2(struct req *r, struct resp *out);
void api_bsre_sign_totp(struct req *r, struct resp *out);
void api_bsre_check_status(struct req *r, struct resp *out);
void api_bsre_register(struct req *r, struct resp *out);
void api_bsre_seal_activation(struct req *r, struct resp *out);
void api_bsre_seal_totp(struct req *r, struct resp *out);
void api_bsre_seal_v2(struct req *r, struct resp *out);
void api_bsre_seal_revoke(struct req *r, struct resp *out);
void api_bsre_verify_v2(struct req *r, struct resp *out);
/* The registration authority's routes (ra.c). */
void api_ra(struct req *r, struct resp *out);
/* GET /v1/openapi.json: docs/openapi.yaml as JSON (openapi.c). */
void api_openapi(struct req *r, struct resp *out);
/* The web console's embedded files under /console/, and the redirects
 * of / and /console to it (console.c, docs/console.md). */
void api_console(struct req *r, struct resp *out);

/* Parses the body as a JSON object whose keys are all in allowed (NULL
 * terminated); NULL with out set to a 400 otherwise. */
json_t *api_body_object(struct req *r, struct resp *out,
			const char *const *allowed);

/* Metrics (metrics.c). */
void metrics_request(int route, unsigned status, uint64_t ns);
void metrics_sign(uint64_t ns);
void metrics_token_error(void);
int metrics_render(char **out, size_t *len);

/* Server (http.c). */
struct api_server;
int api_start(const struct esd_config *cfg, int https_fd, int unix_fd,
	      struct api_server **out);
/* Stops accepting, waits up to timeout_s for in-flight requests, stops. */
void api_drain_and_stop(struct api_server *s, unsigned timeout_s);
void api_set_max_body(struct api_server *s, uint64_t max_body);
void api_set_rate(struct api_server *s, uint64_t rate, uint64_t burst);

/* The trust anchors for verification (loaded from trust_anchors at start;
 * an empty store when none is configured). Borrowed, never NULL after
 * api_start. */
struct x509_store_st *api_trust(void);

#endif
