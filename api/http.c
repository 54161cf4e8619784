/*
 * libmicrohttpd glue: request lifecycle, body limits, credentials,
 * routing, response headers, draining.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include <gnutls/gnutls.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include <netinet/in.h>

#include "api/api.h"
#include "api/bsre_int.h"
#include "api/edge.h"
#include "api/multipart.h"
#include "api/ratelimit.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

struct listener {
	struct api_server *srv;
	struct MHD_Daemon *d;
	struct edge *edge;    /* deadlines, headroom, strict parsing (edge.c) */
	int via_unix;
};

struct api_server {
	struct listener https, unix_;
	atomic_uint_fast64_t max_body;
	atomic_uint_fast64_t rate, burst;
	atomic_int inflight;
	char *cert_pem;
	char *key_pem;
	char *client_ca_pem;  /* tls_client_ca: mutual TLS, NULL = off */
};

static X509_STORE *trust;

X509_STORE *api_trust(void)
{
	return trust;
}

static int load_trust(const struct esd_config *cfg)
{
	trust = X509_STORE_new();
	if (trust == NULL)
		return ESD_ENOMEM;
	if (cfg->trust_anchors[0] != '\0' &&
	    X509_STORE_load_file(trust, cfg->trust_anchors) != 1) {
		ERR_clear_error();
		log_err("front: cannot load trust_anchors %s", cfg->trust_anchors);
		return ESD_ECONFIG;
	}
	return 0;
}

void api_set_max_body(struct api_server *s, uint64_t max_body)
{
	atomic_store(&s->max_body, max_body);
}

void api_set_rate(struct api_server *s, uint64_t rate, uint64_t burst)
{
	atomic_store(&s->rate, rate);
	atomic_store(&s->burst, burst);
}

/* The client a rate limit applies to: the peer's uid on the Unix socket,
 * its address on HTTPS (not the bearer token: an invented token would be
 * a fresh bucket before the keeper could refuse it). */
static uint64_t client_key(struct req *r)
{
	const union MHD_ConnectionInfo *ci;
	uint64_t k = 0;

	if (r->via_unix) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(
			r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct ucred uc;
		socklen_t len = sizeof(uc);

		if (fd != NULL && getsockopt(fd->connect_fd, SOL_SOCKET,
					     SO_PEERCRED, &uc, &len) == 0)
			return 2 | (uint64_t)uc.uid << 8;
		return 2;
	}
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL) {
		const struct sockaddr *sa = ci->client_addr;
		uint8_t h[32];

		/* A failed hash leaves h zero: one bucket, never a crash. */
		if (sa->sa_family == AF_INET)
			(void)!esd_sha256(&((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4, h);
		else if (sa->sa_family == AF_INET6)
			(void)!esd_sha256(&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16, h);
		else
			memset(h, 0, sizeof(h));
		memcpy(&k, h, sizeof(k));
	}
	return k | 4;
}

static int match(const char *pattern, const char *path, struct req *r)
{
	int np = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (*pattern == '*') {
			const char *end = strchr(path, '/');
			size_t n = end ? (size_t)(end - path) : strlen(path);

			if (n == 0 || n >= sizeof(r->param[0]) || np == 2)
				return 0;
			memcpy(r->param[np], path, n);
			r->param[np++][n] = '\0';
			path += n;
			pattern++;
			continue;
		}
		if (*pattern++ != *path++)
			return 0;
	}
	return *pattern == '\0' && *path == '\0';
}

/* Finds the route; 0 ok, ESD_ENOTFOUND, or ESD_EMETHOD. */
static int route(struct req *r)
{
	int path_seen = 0;

	for (size_t i = 0; i < api_nroutes; i++) {
		const struct route *rt = &api_routes[i];

		if ((rt->flags & ROUTE_UNIX_ONLY) && !r->via_unix)
			continue;
		if (!match(rt->pattern, r->url, r))
			continue;
		path_seen = 1;
		{
			size_t n = strlen(r->allow);

			snprintf(r->allow + n, sizeof(r->allow) - n, "%s%s",
				 n ? ", " : "", rt->method);
		}
		/* HEAD is GET without the body (libmicrohttpd drops it). */
		if (strcmp(rt->method, r->method) == 0 ||
		    (strcmp(r->method, "HEAD") == 0 &&
		     strcmp(rt->method, "GET") == 0)) {
			r->route = (int)i;
			return 0;
		}
	}
	return path_seen ? ESD_EMETHOD : ESD_ENOTFOUND;
}

/*
 * "Authorization: Basic base64(name:token)", as BSrE eSign Client
 * integrations send it: the API client's name and its token as the
 * password. Only the token's SHA-256 goes on, with the name.
 */
static int basic(struct req *r, const char *b64)
{
	uint8_t *dec = NULL, tok[32];
	size_t n = 0, tn;
	char *colon;
	int rc = ESD_EAUTH;

	if (esd_b64_decode(b64, &dec, &n) != 0 || n < 66 || n > 64 + 1 + 64)
		goto out;
	colon = memchr(dec, ':', n);
	if (colon == NULL || (size_t)((uint8_t *)colon - dec) > 64 ||
	    (size_t)(dec + n - (uint8_t *)colon - 1) != 64 ||
	    esd_unhex(colon + 1, 64, tok, sizeof(tok), &tn) != 0)
		goto out;
	memcpy(r->cred.user, dec, (size_t)((uint8_t *)colon - dec));
	r->cred.user[(uint8_t *)colon - dec] = '\0';
	r->cred.kind = CRED_BASIC;
	rc = esd_sha256(tok, sizeof(tok), r->cred.token_hash) == 0 ? 0 : ESD_EAUTH;
	OPENSSL_cleanse(tok, sizeof(tok));
out:
	if (dec != NULL) {
		OPENSSL_cleanse(dec, n);
		free(dec);
	}
	return rc;
}

void api_csrf_of(const char *token_hex, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t h[32];

	out[0] = '\0';
	if (md != NULL && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	    EVP_DigestUpdate(md, "esignd csrf\0", 12) &&
	    EVP_DigestUpdate(md, token_hex, strlen(token_hex)) &&
	    EVP_DigestFinal_ex(md, h, NULL))
		esd_hex(h, sizeof(h), out);
	EVP_MD_CTX_free(md);
}

/* Reads "Authorization: Bearer <64 hex>" (or Basic, above), or a staff
 * login's session cookie on HTTPS, or, on the Unix socket, the peer's
 * uid/gid. ESD_EAUTH for a malformed header. */
static int credential(struct req *r)
{
	const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_AUTHORIZATION);

	int hrc;

	memset(&r->cred, 0, sizeof(r->cred));
	if (auth != NULL && strncasecmp(auth, "Basic ", 6) == 0)
		return basic(r, auth + 6);
	if (auth != NULL) {
		uint8_t tok[32];
		size_t n;

		if (strncasecmp(auth, "Bearer ", 7) != 0 ||
		    strlen(auth + 7) != 64 ||
		    esd_unhex(auth + 7, 64, tok, sizeof(tok), &n) != 0)
			return ESD_EAUTH;
		r->cred.kind = CRED_BEARER;
		hrc = esd_sha256(tok, sizeof(tok), r->cred.token_hash);
		OPENSSL_cleanse(tok, sizeof(tok));
		return hrc == 0 ? 0 : ESD_EAUTH;
	}
	/* A browser's session: the cookie the login set (HttpOnly, Secure,
	 * SameSite=Strict); state-changing calls must also echo its CSRF
	 * token (dispatch). */
	auth = r->via_unix ? NULL
		: MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND,
					      "esignd_session");
	if (auth != NULL) {
		uint8_t tok[32];
		size_t n;

		/* A cookie that is not one of ours is no credential. */
		if (strlen(auth) != 64 ||
		    esd_unhex(auth, 64, tok, sizeof(tok), &n) != 0)
			return 0;
		r->cred.kind = CRED_BEARER;
		hrc = esd_sha256(tok, sizeof(tok), r->cred.token_hash);
		OPENSSL_cleanse(tok, sizeof(tok));
		if (hrc != 0)
			return ESD_EAUTH;
		api_csrf_of(auth, r->csrf);
		return 0;
	}
	if (r->via_unix) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct ucred uc;
		socklen_t len = sizeof(uc);

		/* The keeper reads the peer's uid from the connection
		 * itself; the front's copy is for logs and rate limits. */
		if (ci != NULL &&
		    getsockopt(ci->connect_fd, SOL_SOCKET, SO_PEERCRED, &uc,
			       &len) == 0) {
			r->cred.kind = CRED_PEER;
			r->cred.uid = uc.uid;
			r->cred.gid = uc.gid;
			r->cred.peer_fd = ci->connect_fd;
		}
	}
	return 0;
}

/* A spooled answer over TLS: read in 64 KiB pieces (libmicrohttpd's own
 * file reader takes 4 KiB, a TLS record and a system call each). */
#define FILE_BLOCK (64u << 10)

static ssize_t file_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	int fd = (int)(intptr_t)cls;
	ssize_t n;

	do
		n = pread(fd, buf, max, (off_t)pos);
	while (n < 0 && errno == EINTR);
	return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void file_close(void *cls)
{
	close((int)(intptr_t)cls);
}

static void free_both(void *cls)
{
	char **both = cls;

	free(both[0]);
	free(both[1]);
	free(both);
}

static enum MHD_Result send_resp(struct req *r, struct resp *out)
{
	struct MHD_Response *mr;
	enum MHD_Result ret;

	if (out->file) {
		/* A spooled document: MHD reads it from the file and closes
		 * it; on the Unix socket with sendfile. */
		free(out->body);
		out->body = NULL;
		if (r->via_unix)
			mr = MHD_create_response_from_fd64(out->len, out->fd);
		else
			mr = MHD_create_response_from_callback(
				out->len, FILE_BLOCK, file_read,
				(void *)(intptr_t)out->fd, file_close);
		if (mr == NULL) {
			close(out->fd);
			return MHD_NO;
		}
	} else if (out->head != NULL) {
		/* The document as it came, then the update. */
		const struct MHD_IoVec iov[2] = { { out->head, out->head_len },
						  { out->body, out->len } };
		char **both = malloc(2 * sizeof(char *));

		if (both == NULL) {
			free(out->head);
			free(out->body);
			out->head = out->body = NULL;
			return MHD_NO;
		}
		both[0] = out->head;
		both[1] = out->body;
		out->head = out->body = NULL;
		mr = MHD_create_response_from_iovec(iov, 2, free_both, both);
		if (mr == NULL) {
			free_both(both);
			return MHD_NO;
		}
	} else {
		mr = MHD_create_response_from_buffer(out->len, out->body,
						     MHD_RESPMEM_MUST_FREE);
		if (mr == NULL) {
			free(out->body);
			return MHD_NO;
		}
	}
	out->body = NULL;
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
				out->content_type ? out->content_type
						  : "application/json");
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	if (out->header[0][0] != '\0')
		MHD_add_response_header(mr, out->header[0], out->header[1]);
	for (const struct resp_hdr *h = out->more; h != NULL && h->name != NULL;
	     h++)
		MHD_add_response_header(mr, h->name, h->value);
	edge_headers(r, mr);
	if (out->status == 405 && r->allow[0] != '\0')
		MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, r->allow);
	/* 503: the token or keeper is coming back; 429: slow down. */
	if (out->status == 503 || out->status == 429)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	ret = MHD_queue_response(r->conn, out->status, mr);
	MHD_destroy_response(mr);
	metrics_request(r->route, out->status, esd_mono_ns() - r->t0);
	return ret;
}

/* The TLS peer sent a certificate that verifies against tls_client_ca
 * (GnuTLS checks it against the trust MHD gave it), valid now. */
static int client_cert_ok(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	unsigned status = 1;

	if (ci == NULL || ci->tls_session == NULL)
		return 0;
	if (gnutls_certificate_verify_peers2(
		    (gnutls_session_t)ci->tls_session, &status) != 0)
		return 0;
	return status == 0 &&
	       gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session,
					    &(unsigned){ 0 }) != NULL;
}

/* The front's checks, on the request's head only: route, client
 * certificate, credential form, CSRF token, rate, media type. 0 when the
 * handler may run, else out holds the refusal. */
static int precheck(struct req *r, struct resp *out)
{
	int rc;

	rc = route(r);
	if (rc != 0) {
		resp_error(out, rc, NULL);
		return rc;
	}
	/* With tls_client_ca, HTTPS callers of the routes that take a
	 * credential also prove themselves with a certificate from it;
	 * public routes (probes, verification, TSA, OCSP, CRLs, CA
	 * certificates for relying parties) stay open. */
	if (!r->via_unix && r->srv->client_ca_pem != NULL &&
	    (api_routes[r->route].flags & ROUTE_AUTH) &&
	    !client_cert_ok(r->conn)) {
		resp_error(out, ESD_EAUTH, "a client certificate from the "
			   "configured CA (tls_client_ca) is required");
		return ESD_EAUTH;
	}
	rc = credential(r);
	/* A public route takes no session: a browser's cookie (perhaps
	 * expired, or of a keeper restored from a backup) is ignored there,
	 * so it neither needs the CSRF token nor blocks a new login; a
	 * login that does not set a new cookie clears it. */
	if (!(api_routes[r->route].flags & ROUTE_AUTH) && r->csrf[0] != '\0') {
		memset(&r->cred, 0, sizeof(r->cred));
		r->csrf[0] = '\0';
		r->stale_cookie = strcmp(api_routes[r->route].name, "login") == 0;
		rc = 0;
	}
	if (rc == 0 && (api_routes[r->route].flags & ROUTE_AUTH) &&
	    r->cred.kind == CRED_NONE)
		rc = ESD_EAUTH;
	/* Cookie sessions: anything but a read needs the CSRF token, which
	 * only the page that logged in knows (a cross-site form cannot set
	 * the header, nor read the token). */
	if (rc == 0 && r->csrf[0] != '\0' && strcmp(r->method, "GET") != 0 &&
	    strcmp(r->method, "HEAD") != 0) {
		const char *x = MHD_lookup_connection_value(r->conn,
							    MHD_HEADER_KIND,
							    "X-CSRF-Token");

		if (x == NULL || strlen(x) != 64 || CRYPTO_memcmp(x, r->csrf, 64) != 0) {
			resp_error(out, ESD_EPERM, "a session cookie needs the "
				   "X-CSRF-Token the login answered");
			return ESD_EPERM;
		}
	}
	if (rc != 0) {
		resp_error(out, rc, NULL);
		return rc;
	}
	if (!(api_routes[r->route].flags & ROUTE_NO_LIMIT) &&
	    !rl_allow(client_key(r), (double)atomic_load(&r->srv->rate),
		      (double)atomic_load(&r->srv->burst))) {
		resp_error(out, ESD_ELIMIT, "too many requests from this client; "
			   "slow down");
		return ESD_ELIMIT;
	}
	return edge_media_type(r, out);
}

static void dispatch_route(struct req *r, struct resp *out)
{
	if (r->too_big) {
		resp_error(out, ESD_ETOOBIG, NULL);
		return;
	}
	if (!r->prechecked && precheck(r, out) != 0)
		return;
	api_routes[r->route].fn(r, out);
	if (r->stale_cookie && out->header[0][0] == '\0') {
		snprintf(out->header[0], sizeof(out->header[0]), "Set-Cookie");
		snprintf(out->header[1], sizeof(out->header[1]),
			 "esignd_session=; Path=/; Secure; HttpOnly; "
			 "SameSite=Strict; Max-Age=0");
	}
}

/* The BSrE-compatible routes answer every refusal in their own form
 * ({"error": message, "status_code": N}), those the front makes before
 * the route's handler runs (credential, size, rate) included. */
static void bsre_form(struct req *r, struct resp *out)
{
	if (strncmp(r->url, "/api/", 5) == 0 && out->status >= 400 &&
	    out->body != NULL && out->len >= 10 &&
	    strncmp(out->body, "{\"error\":{", 10) == 0)
		bsre_translate(out, "front");
	bsre_v2_error_fields(r->url, out);
}

static void dispatch(struct req *r, struct resp *out)
{
	dispatch_route(r, out);
	bsre_form(r, out);
}

/* Content-Length + 1 if the request announces at most max bytes, else
 * dflt. */
static size_t content_length(struct MHD_Connection *conn, uint64_t max,
			     size_t dflt)
{
	const char *v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t n;

	if (v == NULL || esd_parse_u64(v, 1, max, &n) != 0)
		return dflt;
	return (size_t)n + 1;
}

/* Answers err now and closes, where libmicrohttpd cannot queue an
 * answer (edge_answer_now). */
static void answer_now(struct req *r, int err)
{
	struct resp out = { 0 };

	resp_error(&out, err, NULL);
	bsre_form(r, &out);
	edge_answer_now(r->conn, !r->via_unix, out.status,
			out.body != NULL ? out.body : "{}");
	metrics_request(r->route, out.status, esd_mono_ns() - r->t0);
	free(out.body);
	r->too_big = 1;
	mp_stream_free(r);
	api_body_drop(r);
}

/* Answers out now, before the body: libmicrohttpd then reads no body and
 * closes the connection after the answer. */
static enum MHD_Result answer_early(struct req *r, struct resp *out)
{
	r->close = 1;
	bsre_form(r, out);
	edge_stage(r->conn, EDGE_HANDLER);
	return send_resp(r, out);
}

/*
 * A refusal decided from the head (credential, CSRF, rate, media type).
 * A client that sends a small body without waiting for 100 Continue has
 * it on the wire already: closing with it unread makes the kernel reset
 * the connection, and the client may see the reset instead of the
 * answer. So a body of at most DRAIN_MAX announced bytes is read and
 * dropped (at the edge's minimum rate) and the refusal sent after it;
 * a larger or chunked one, or one that waits for 100 Continue, is
 * answered at once and the connection closed.
 */
#define DRAIN_MAX (256 * 1024)

static enum MHD_Result refuse_before_body(struct req *r, struct resp *out,
					  uint64_t announced)
{
	const char *expect = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_EXPECT);

	if (announced > DRAIN_MAX || expect != NULL ||
	    (r->refused = malloc(sizeof(*r->refused))) == NULL)
		return answer_early(r, out);
	*r->refused = *out;
	edge_stage(r->conn, EDGE_BODY);
	return MHD_YES;
}

/* The first call, with the request's head only (RFC 9112 §6.3 and the
 * size limit decided here, before any body byte is read or a 100 Continue
 * is sent). */
static enum MHD_Result on_head(struct listener *l, struct MHD_Connection *conn,
			       const char *url, const char *method,
			       void **con_cls)
{
	uint64_t max = atomic_load(&l->srv->max_body);
	struct resp out = { 0 };
	const char *cl, *te, *why;
	struct req *r;
	uint64_t n = 0;
	int body;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return MHD_NO;
	r->conn = conn;
	r->url = url;
	r->method = method;
	r->via_unix = l->via_unix;
	r->srv = l->srv;
	r->route = -1;
	r->t0 = esd_mono_ns();
	*con_cls = r;
	atomic_fetch_add(&l->srv->inflight, 1);
	if (edge_check_head(conn, method, &why) != 0) {
		resp_error(&out, ESD_EINVAL, why);
		return answer_early(r, &out);
	}
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_LENGTH);
	te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_TRANSFER_ENCODING);
	if (cl != NULL && esd_parse_u64(cl, 0, UINT64_MAX, &n) != 0) {
		resp_error(&out, ESD_EINVAL, "Content-Length is not a number");
		return answer_early(r, &out);
	}
	body = te != NULL || n > 0;
	if (!body) {
		edge_stage(conn, EDGE_HANDLER);
		return MHD_YES;
	}
	/* A body comes: refuse now what would be refused after it. */
	if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
		/* Nothing reads it; and a chunk line past libmicrohttpd's
		 * buffer would otherwise end in its 500 page. */
		resp_error(&out, ESD_EINVAL, "a GET or HEAD request takes no body");
		return answer_early(r, &out);
	}
	if (n > max) {
		resp_error(&out, ESD_ETOOBIG, "the declared Content-Length "
			   "exceeds max_body");
		return answer_early(r, &out);
	}
	if (precheck(r, &out) != 0)
		return refuse_before_body(r, &out, te == NULL ? n : UINT64_MAX);
	r->prechecked = 1;
	edge_stage(conn, EDGE_BODY);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct listener *l = cls;
	struct req *r = *con_cls;
	struct resp out = { 0 };
	uint64_t max = atomic_load(&l->srv->max_body);

	(void)version;
	if (r == NULL)
		return on_head(l, conn, url, method, con_cls);
	if (*upload_size > 0) {
		size_t n = *upload_size;
		int rc;

		*upload_size = 0;
		edge_body_bytes(conn, n);
		if (r->too_big || r->refused != NULL)
			return MHD_YES;
		r->upload_len += n;
		if (r->upload_len > max) {
			/* A chunked body past max_body: refused as it
			 * arrives, not after its last byte. */
			answer_now(r, ESD_ETOOBIG);
			return MHD_NO;
		}
		/* A form is parsed as it comes, its document spooled. */
		rc = mp_stream_feed(r, upload, n);
		if (rc == 0)
			return MHD_YES;
		if (rc != -1) {
			r->too_big = 1;
			return MHD_YES;
		}
		/* The announced length, when it fits: one allocation of the
		 * right size instead of doubling past it. */
		if (esd_append(&r->body, &r->body_len, &r->body_cap, upload, n,
			       r->body_cap ? 0 : content_length(conn, max, 4096)) != 0)
			r->too_big = 1;
		return MHD_YES;
	}
	edge_stage(conn, EDGE_HANDLER);
	if (r->refused != NULL) {
		out = *r->refused;
		free(r->refused);
		r->refused = NULL;
		bsre_form(r, &out);
	} else {
		dispatch(r, &out);
	}
	return send_resp(r, &out);
}

void api_body_drop(struct req *r)
{
	if (r->body != NULL) {
		OPENSSL_cleanse(r->body, r->body_len);
		free(r->body);
	}
	r->body = NULL;
	r->body_len = r->body_cap = 0;
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct req *r = *con_cls;

	(void)toe;
	/* A kept-alive connection now waits for its next header block. */
	edge_stage(conn, EDGE_HEADERS);
	if (r == NULL)
		return;
	api_body_drop(r);
	mp_stream_free(r);
	if (r->refused != NULL) {
		free(r->refused->body);
		free(r->refused);
	}
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&l->srv->inflight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	edge_mhd_message(buf);
	log_debug("http: %s", buf);
}

static int start_one(struct listener *l, const struct esd_config *cfg, int fd,
		     int tls)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_USE_POLL;
	struct edge *edge = l->edge = edge_new(cfg, tls);
	struct MHD_OptionItem opts[] = {
		{ MHD_OPTION_LISTEN_SOCKET, fd, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, l },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)edge_notify, edge },
		{ MHD_OPTION_UNESCAPE_CALLBACK, (intptr_t)edge_unescape, edge },
		/* Host required on HTTP/1.1, no blanks in the target. */
		{ MHD_OPTION_STRICT_FOR_CLIENT, 1, NULL },
		{ MHD_OPTION_CONNECTION_LIMIT, (intptr_t)cfg->max_connections, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->request_timeout, NULL },
		/* Request line + headers must fit: bigger ones get 431/413. */
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)cfg->max_header_size, NULL },
		{ MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)cfg->max_connections_per_ip, NULL },
		/* TLS 1.2 and 1.3 only, with GnuTLS's secure suites. */
		{ MHD_OPTION_HTTPS_PRIORITIES, 0,
		  (void *)"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-SHA1:-RSA:%SAFE_RENEGOTIATION" },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, l->srv->cert_pem },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, l->srv->key_pem },
		/* Mutual TLS: ask for a client certificate from these CAs. */
		{ l->srv->client_ca_pem ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END,
		  0, l->srv->client_ca_pem },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (tls)
		flags |= MHD_USE_TLS;
	else /* no per-IP limit or TLS on the Unix socket */
		opts[9].option = MHD_OPTION_END;
	if (edge == NULL)
		return ESD_ENOMEM;
	l->d = MHD_start_daemon(flags, 0, edge_accept, edge, on_request, l,
				MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	return l->d != NULL ? 0 : ESD_EIO;
}

int api_start(const struct esd_config *cfg, int https_fd, int unix_fd,
	      struct api_server **out)
{
	struct api_server *s = calloc(1, sizeof(*s));
	int rc = 0;

	if (s == NULL)
		return ESD_ENOMEM;
	atomic_store(&s->max_body, cfg->max_body);
	api_set_rate(s, cfg->rate_limit, cfg->rate_burst);
	s->https.srv = s->unix_.srv = s;
	if (trust == NULL && (rc = load_trust(cfg)) != 0) {
		free(s);
		return rc;
	}
	s->unix_.via_unix = 1;
	if (https_fd >= 0) {
		rc = esd_read_file(cfg->tls_cert, 1 << 20, &s->cert_pem, NULL);
		if (rc == 0)
			rc = esd_read_file(cfg->tls_key, 1 << 20, &s->key_pem, NULL);
		if (rc == 0 && cfg->tls_client_ca[0] != '\0')
			rc = esd_read_file(cfg->tls_client_ca, 1 << 20,
					   &s->client_ca_pem, NULL);
		if (rc != 0) {
			log_err("front: cannot read tls_cert/tls_key: %s",
				esd_err_msg(rc));
			goto fail;
		}
		rc = start_one(&s->https, cfg, https_fd, 1);
		if (rc != 0) {
			log_err("front: cannot start the HTTPS listener");
			goto fail;
		}
	}
	if (unix_fd >= 0) {
		rc = start_one(&s->unix_, cfg, unix_fd, 0);
		if (rc != 0) {
			log_err("front: cannot start the Unix socket listener");
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	api_drain_and_stop(s, 0);
	return rc;
}

void api_drain_and_stop(struct api_server *s, unsigned timeout_s)
{
	uint64_t deadline = esd_mono_ns() + (uint64_t)timeout_s * 1000000000ull;
	struct listener *ls[2] = { &s->https, &s->unix_ };

	for (int i = 0; i < 2; i++)
		if (ls[i]->d != NULL)
			MHD_quiesce_daemon(ls[i]->d);
	while (atomic_load(&s->inflight) > 0 && esd_mono_ns() < deadline)
		usleep(10000);
	if (atomic_load(&s->inflight) > 0)
		log_warn("front: %d requests still in flight at shutdown",
			 (int)atomic_load(&s->inflight));
	for (int i = 0; i < 2; i++) {
		if (ls[i]->d != NULL)
			MHD_stop_daemon(ls[i]->d);
		edge_free(ls[i]->edge);
	}
	free(s->client_ca_pem);
	if (s->key_pem != NULL) {
		OPENSSL_cleanse(s->key_pem, strlen(s->key_pem));
		free(s->key_pem);
	}
	free(s->cert_pem);
	free(s);
}
