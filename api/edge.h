/*
 * The HTTP edge (edge.c): what libmicrohttpd 0.9.75 does not decide for
 * us before a handler runs. Deadlines for a request's header block and
 * for its body's progress, connection caps with headroom for addresses
 * that hold few connections, strict request parsing (RFC 9112 §6.3), and
 * a refusal in the middle of a body. docs/security.md, "HTTP edge".
 */
#ifndef ESD_API_EDGE_H
#define ESD_API_EDGE_H

#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>

#include "daemon/config.h"

struct edge;

/* Creates the edge state for one listener and starts its watchdog thread
 * (tcp: apply the per-address headroom). NULL when out of memory. */
struct edge *edge_new(const struct esd_config *cfg, int tcp);
/* Stops the watchdog and frees; call after the listener stopped. */
void edge_free(struct edge *e);

/* libmicrohttpd callbacks; cls is the struct edge. */
void edge_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		 enum MHD_ConnectionNotificationCode code);
enum MHD_Result edge_accept(void *cls, const struct sockaddr *addr,
			    socklen_t addrlen);
size_t edge_unescape(void *cls, struct MHD_Connection *conn, char *uri);

/* The stages of a connection the watchdog times. */
enum edge_stage {
	EDGE_HEADERS,   /* TLS handshake, request line and headers */
	EDGE_BODY,      /* the body is arriving */
	EDGE_HANDLER,   /* a handler or the answer: MHD's idle timeout only */
};
/* Marks the connection's stage (and restarts its clock). */
void edge_stage(struct MHD_Connection *conn, enum edge_stage st);
/* Counts n more body bytes for the rate floor. */
void edge_body_bytes(struct MHD_Connection *conn, size_t n);

/* Checks a request's head at the first handler call, before any body
 * byte is read: NUL or control bytes in the request target or a header,
 * conflicting or repeated Content-Length, Content-Length with
 * Transfer-Encoding, a Transfer-Encoding other than chunked, repeated
 * Host. method is the one the handler was given (libmicrohttpd's
 * header block starts there). 0, or ESD_EINVAL with *why set to a static message. */
int edge_check_head(struct MHD_Connection *conn, const char *method,
		    const char **why);

/* Answers status with a JSON body and closes, in the middle of a body
 * (libmicrohttpd 0.9.75 cannot queue a response then): writes the answer
 * on the connection itself (TLS record or socket) from the connection's
 * own thread. The caller then returns MHD_NO, which closes it. */
void edge_answer_now(struct MHD_Connection *conn, int tls, unsigned status,
		     const char *json);

/* Called with each libmicrohttpd log line: answers the Content-Length
 * refusals libmicrohttpd would answer with a doubled header block. */
void edge_mhd_message(const char *msg);

struct req;
struct resp;
/* The edge's response headers: Strict-Transport-Security on HTTPS,
 * Connection: close for an answer given before the body (r->close). */
void edge_headers(const struct req *r, struct MHD_Response *mr);
/* A ROUTE_MULTIPART route with another Content-Type: 415
 * unsupported_media_type in out, returned; else 0. */
int edge_media_type(struct req *r, struct resp *out);

#endif
