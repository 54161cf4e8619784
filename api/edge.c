/*
 * The HTTP edge: deadlines, connection headroom, strict parsing and
 * mid-body refusals that libmicrohttpd 0.9.75 leaves to the application
 * (docs/security.md, "HTTP edge").
 *
 * Each connection has a record from MHD_CONNECTION_NOTIFY_STARTED to
 * MHD_CONNECTION_NOTIFY_CLOSED (its socket context). A watchdog thread
 * per listener looks at them ten times a second and shuts down (never
 * closes: the descriptor stays libmicrohttpd's, which closes it after
 * NOTIFY_CLOSED) the sockets of connections past their deadline; the
 * connection's own thread then sees the end of its stream and cleans up.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <netinet/in.h>
#include <gnutls/gnutls.h>

#include "api/api.h"
#include "api/edge.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

/* An address holding this many connections or more is "busy": it may not
 * take the last connection_reserve slots. */
#define EDGE_BUSY 4u

struct edge_conn {
	struct edge_conn *prev, *next;
	int fd;
	int family;             /* AF_INET, AF_INET6, else no address */
	uint8_t addr[16];
	atomic_int stage;       /* enum edge_stage */
	atomic_uint_fast64_t since;   /* ns, when the stage began */
	atomic_uint_fast64_t body;    /* body bytes in this stage */
	atomic_int bad_target;  /* the request target had a NUL or control */
	int shut;
};

struct edge {
	pthread_mutex_t mu;
	struct edge_conn *head;
	size_t n;
	int tcp;
	uint64_t header_ns;
	uint64_t min_rate;
	uint64_t max_conn, reserve;
	pthread_t wd;
	int wd_started;
	atomic_int stop;
};

static struct edge_conn *conn_rec(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static int same_addr(const struct edge_conn *a, int family,
		     const uint8_t *addr)
{
	size_t n = family == AF_INET ? 4 : 16;

	return a->family == family && memcmp(a->addr, addr, n) == 0;
}

static int addr_of(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa == NULL)
		return 0;
	if (sa->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, 16);
		return AF_INET6;
	}
	return 0;
}

void edge_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		 enum MHD_ConnectionNotificationCode code)
{
	struct edge *e = cls;
	struct edge_conn *c;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(
			conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		const union MHD_ConnectionInfo *ad = MHD_get_connection_info(
			conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		*socket_ctx = NULL;
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return;  /* not timed: MHD's idle timeout still applies */
		c->fd = fd != NULL ? fd->connect_fd : -1;
		c->family = ad != NULL ? addr_of(ad->client_addr, c->addr) : 0;
		atomic_store(&c->stage, EDGE_HEADERS);
		atomic_store(&c->since, esd_mono_ns());
		pthread_mutex_lock(&e->mu);
		c->next = e->head;
		if (e->head != NULL)
			e->head->prev = c;
		e->head = c;
		e->n++;
		pthread_mutex_unlock(&e->mu);
		*socket_ctx = c;
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_CLOSED || (c = *socket_ctx) == NULL)
		return;
	pthread_mutex_lock(&e->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		e->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	e->n--;
	pthread_mutex_unlock(&e->mu);
	*socket_ctx = NULL;
	free(c);
}

/* Headroom: once max_connections - connection_reserve connections are
 * open, only addresses holding fewer than EDGE_BUSY get in. A flood from
 * a few addresses thus cannot take the last slots; MHD's own limits
 * (max_connections, max_connections_per_ip) were checked before. */
enum MHD_Result edge_accept(void *cls, const struct sockaddr *addr,
			    socklen_t addrlen)
{
	struct edge *e = cls;
	uint8_t a[16] = { 0 };
	int family = addr_of(addr, a);
	size_t held = 0;
	enum MHD_Result ok = MHD_YES;

	(void)addrlen;
	if (!e->tcp || family == 0)
		return MHD_YES;
	pthread_mutex_lock(&e->mu);
	if (e->n + e->reserve >= e->max_conn) {
		for (const struct edge_conn *c = e->head; c != NULL; c = c->next)
			if (same_addr(c, family, a) && ++held >= EDGE_BUSY) {
				ok = MHD_NO;
				break;
			}
	}
	pthread_mutex_unlock(&e->mu);
	return ok;
}

void edge_stage(struct MHD_Connection *conn, enum edge_stage st)
{
	struct edge_conn *c = conn_rec(conn);

	if (c == NULL)
		return;
	atomic_store(&c->body, 0);
	atomic_store(&c->since, esd_mono_ns());
	atomic_store(&c->stage, (int)st);
}

void edge_body_bytes(struct MHD_Connection *conn, size_t n)
{
	struct edge_conn *c = conn_rec(conn);

	if (c != NULL)
		atomic_fetch_add(&c->body, n);
}

/* Past its deadline: the header block (and TLS handshake, and the wait
 * for a kept-alive connection's next request) has header_timeout; a body
 * has header_timeout plus one second per body_min_rate bytes received. */
static int overdue(const struct edge *e, struct edge_conn *c, uint64_t now)
{
	uint64_t since = atomic_load(&c->since), age = now > since ? now - since : 0;

	switch (atomic_load(&c->stage)) {
	case EDGE_HEADERS:
		return age > e->header_ns;
	case EDGE_BODY:
		return e->min_rate != 0 &&
		       age > e->header_ns + atomic_load(&c->body) *
						    1000000000ull / e->min_rate;
	default:
		return 0;
	}
}

static void *watchdog(void *arg)
{
	struct edge *e = arg;
	const struct timespec tick = { 0, 100 * 1000 * 1000 };
	uint64_t logged = 0;
	unsigned shed = 0;

	while (!atomic_load(&e->stop)) {
		uint64_t now = esd_mono_ns();

		pthread_mutex_lock(&e->mu);
		for (struct edge_conn *c = e->head; c != NULL; c = c->next)
			if (!c->shut && c->fd >= 0 && overdue(e, c, now)) {
				/* The thread blocked in poll/recv wakes up
				 * and closes the connection. */
				shutdown(c->fd, SHUT_RDWR);
				c->shut = 1;
				shed++;
			}
		pthread_mutex_unlock(&e->mu);
		/* At most one line in 10 s, however long a flood lasts. */
		if (shed > 0 && now - logged >= 10000000000ull) {
			log_info("front: closed %u connection(s) past the header "
				 "deadline or below the body rate", shed);
			shed = 0;
			logged = now;
		}
		nanosleep(&tick, NULL);
	}
	return NULL;
}

struct edge *edge_new(const struct esd_config *cfg, int tcp)
{
	struct edge *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	pthread_mutex_init(&e->mu, NULL);
	e->tcp = tcp;
	e->header_ns = cfg->header_timeout * 1000000000ull;
	e->min_rate = cfg->body_min_rate;
	e->max_conn = cfg->max_connections;
	/* At most half of the slots are reserved. */
	e->reserve = cfg->connection_reserve < cfg->max_connections / 2
			     ? cfg->connection_reserve : cfg->max_connections / 2;
	if (pthread_create(&e->wd, NULL, watchdog, e) != 0) {
		pthread_mutex_destroy(&e->mu);
		free(e);
		return NULL;
	}
	e->wd_started = 1;
	return e;
}

void edge_free(struct edge *e)
{
	if (e == NULL)
		return;
	atomic_store(&e->stop, 1);
	if (e->wd_started)
		pthread_join(e->wd, NULL);
	/* The listener has stopped: every record was freed at NOTIFY_CLOSED. */
	pthread_mutex_destroy(&e->mu);
	free(e);
}

/* The connection this thread serves (one thread per connection), set
 * when its request line is parsed, for edge_mhd_message. */
static __thread struct MHD_Connection *cur_conn;
static __thread int cur_tls;

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static int is_ctl(unsigned char ch)
{
	return ch < 0x20 || ch == 0x7f;
}

/* libmicrohttpd's percent-decoding (for the path and each query
 * argument), noting a NUL or control byte, raw or encoded, which would
 * otherwise cut the string short ("/console/app.js%00.png" reached the
 * handler as "/console/app.js"). edge_check_head refuses the request. */
size_t edge_unescape(void *cls, struct MHD_Connection *conn, char *uri)
{
	const struct edge *e = cls;
	char *w = uri;
	int bad = 0;

	cur_conn = conn;
	cur_tls = e->tcp;
	for (const char *p = uri; *p != '\0'; p++) {
		int hi, lo;
		unsigned char ch = (unsigned char)*p;

		if (ch == '%' && (hi = hexval(p[1])) >= 0 &&
		    (lo = hexval(p[2])) >= 0) {
			ch = (unsigned char)(hi << 4 | lo);
			p += 2;
		}
		if (is_ctl(ch)) {
			bad = 1;
			ch = '_';
		}
		*w++ = (char)ch;
	}
	*w = '\0';
	if (bad) {
		struct edge_conn *c = conn_rec(conn);

		if (c != NULL)
			atomic_store(&c->bad_target, 1);
	}
	return (size_t)(w - uri);
}

struct head_scan {
	const char *start, *end;  /* the header block in MHD's read buffer */
	const char *prev_end;     /* where the previous header's value ended */
	unsigned n_cl, n_te, n_host;
	const char *cl;
	size_t cl_len;
	int conflict;
	const char *why;
};

/* Only zero bytes (the CR and LF libmicrohttpd overwrote) between a
 * header's value and what follows: anything else means the value held a
 * NUL, which libmicrohttpd's strlen cut the value at. */
static int only_line_end(const char *from, const char *to, size_t max)
{
	if (to < from || (size_t)(to - from) > max)
		return 0;
	for (const char *p = from; p < to; p++)
		if (*p != '\0')
			return 0;
	return 1;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind,
				   const char *key, size_t key_size,
				   const char *value, size_t value_size)
{
	struct head_scan *s = cls;

	(void)kind;
	if (value == NULL)
		value = "", value_size = 0;
	for (size_t i = 0; i < key_size; i++)
		if (is_ctl((unsigned char)key[i]) || key[i] == ' ') {
			s->why = "a header name holds a control byte";
			return MHD_NO;
		}
	for (size_t i = 0; i < value_size; i++)
		if (is_ctl((unsigned char)value[i]) && value[i] != '\t') {
			s->why = "a header value holds a control byte";
			return MHD_NO;
		}
	/* The bytes around this header in the block (libmicrohttpd 0.9.75
	 * parses in place: the name, its colon zeroed, blanks, the value,
	 * the zeroed CR LF). */
	if (s->start != NULL && key >= s->start && value >= key &&
	    value + value_size <= s->end) {
		if (s->prev_end != NULL && !only_line_end(s->prev_end, key, 2)) {
			s->why = "a header value holds a NUL byte";
			return MHD_NO;
		}
		for (const char *p = key + key_size + 1; p < value; p++)
			if (*p != ' ' && *p != '\t') {
				s->why = "a header name holds a NUL byte";
				return MHD_NO;
			}
		s->prev_end = value + value_size;
	}
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (s->n_cl++ > 0 && (value_size != s->cl_len ||
				      memcmp(value, s->cl, value_size) != 0))
			s->conflict = 1;
		s->cl = value;
		s->cl_len = value_size;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		s->n_te++;
		if (strcasecmp(value, "chunked") != 0)
			s->conflict = 2;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
		s->n_host++;
	}
	return MHD_YES;
}

int edge_check_head(struct MHD_Connection *conn, const char *method,
		    const char **why)
{
	struct edge_conn *c = conn_rec(conn);
	const union MHD_ConnectionInfo *hs = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	struct head_scan s = { 0 };

	*why = NULL;
	if (c != NULL && atomic_exchange(&c->bad_target, 0)) {
		*why = "the request target holds a NUL or control byte";
		return ESD_EINVAL;
	}
	/* The block starts at the method, in place (0.9.75). */
	if (hs != NULL && method != NULL) {
		s.start = method;
		s.end = method + hs->header_size;
	}
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_header, &s);
	if (s.why == NULL && s.prev_end != NULL &&
	    !only_line_end(s.prev_end, s.end, 4))
		s.why = "a header value holds a NUL byte";
	if (s.why != NULL) {
		*why = s.why;
		return ESD_EINVAL;
	}
	/* RFC 9112 §6.3: a message with both is an attack or a broken
	 * intermediary; conflicting lengths are unrecoverable. */
	if (s.n_te > 0 && s.n_cl > 0)
		*why = "Content-Length and Transfer-Encoding together";
	else if (s.n_cl > 1)
		*why = s.conflict ? "conflicting Content-Length headers"
				  : "repeated Content-Length header";
	else if (s.n_te > 1 || s.conflict == 2)
		*why = "Transfer-Encoding must be exactly 'chunked'";
	else if (s.n_host > 1)
		*why = "repeated Host header";
	return *why != NULL ? ESD_EINVAL : 0;
}

void edge_answer_now(struct MHD_Connection *conn, int tls, unsigned status,
		     const char *json)
{
	const union MHD_ConnectionInfo *ci;
	char buf[1024];
	int n = snprintf(buf, sizeof(buf),
			 "HTTP/1.1 %u %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\nCache-Control: no-store\r\n"
			 "X-Content-Type-Options: nosniff\r\nConnection: close\r\n"
			 "%s\r\n%s",
			 status, status == 413 ? "Content Too Large" : "Bad Request",
			 strlen(json),
			 tls ? "Strict-Transport-Security: max-age=31536000\r\n" : "",
			 json);
	size_t off = 0;

	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	if (tls) {
		gnutls_session_t ss;

		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
		if (ci == NULL || ci->tls_session == NULL)
			return;
		ss = (gnutls_session_t)ci->tls_session;
		for (int tries = 0; off < (size_t)n && tries < 50; tries++) {
			ssize_t w = gnutls_record_send(ss, buf + off, (size_t)n - off);

			if (w > 0)
				off += (size_t)w;
			else if (w != GNUTLS_E_AGAIN && w != GNUTLS_E_INTERRUPTED)
				return;
			else
				poll(&(struct pollfd){ .fd = -1 }, 0, 10);
		}
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci == NULL)
		return;
	for (int tries = 0; off < (size_t)n && tries < 50; tries++) {
		ssize_t w = send(ci->connect_fd, buf + off, (size_t)n - off,
				 MSG_NOSIGNAL);

		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EAGAIN && errno != EINTR)
			return;
		else
			poll(&(struct pollfd){ .fd = -1 }, 0, 10);
	}
}

void edge_headers(const struct req *r, struct MHD_Response *mr)
{
	/* HTTPS only, and only over TLS: a year, as browsers expect. */
	if (!r->via_unix)
		MHD_add_response_header(mr, "Strict-Transport-Security",
					"max-age=31536000");
	if (r->close)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
}

int edge_media_type(struct req *r, struct resp *out)
{
	const char *ct;

	if (r->route < 0 || !(api_routes[r->route].flags & ROUTE_MULTIPART))
		return 0;
	ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
					 MHD_HTTP_HEADER_CONTENT_TYPE);
	if (ct != NULL && strncasecmp(ct, "multipart/form-data", 19) == 0 &&
	    (ct[19] == ';' || ct[19] == ' ' || ct[19] == '\0'))
		return 0;
	resp_error(out, ESD_EMEDIA, "this route takes multipart/form-data");
	return ESD_EMEDIA;
}

/* libmicrohttpd 0.9.75 answers some requests itself, before or while the
 * body arrives, and badly: a Content-Length it cannot parse or an
 * HTTP/1.1 request without Host with its header block twice (its error
 * path builds the header, then its state machine builds it again), and
 * a chunk line longer than its read buffer with its 500 page. Its log
 * line, printed before it queues that answer, is the only sign we get,
 * in the connection's own thread: answer once here, then end our side of
 * the stream so that its copy goes nowhere. Not once a handler runs or
 * an answer is on its way (EDGE_HANDLER). */
void edge_mhd_message(const char *msg)
{
	static const char pfx[] = "Error processing request (HTTP response code is ";
	struct resp out = { 0 };
	const union MHD_ConnectionInfo *ci;
	struct edge_conn *c;
	unsigned long code;
	int err;

	if (cur_conn == NULL || strncmp(msg, pfx, sizeof(pfx) - 1) != 0)
		return;
	c = conn_rec(cur_conn);
	if (c == NULL || atomic_load(&c->stage) == EDGE_HANDLER)
		return;
	code = strtoul(msg + sizeof(pfx) - 1, NULL, 10);
	if (code == 413)
		err = ESD_ETOOBIG;
	else if (code == 400 || (code == 500 && atomic_load(&c->stage) == EDGE_BODY))
		err = ESD_EINVAL;   /* 500: a chunk line past the read buffer */
	else
		return;
	resp_error(&out, err, err == ESD_ETOOBIG
		   ? "the body is larger than the server accepts"
		   : code == 500 ? "a chunk line is longer than the server reads"
				 : "the request is malformed (RFC 9112)");
	edge_answer_now(cur_conn, cur_tls, out.status,
			out.body != NULL ? out.body : "{}");
	free(out.body);
	ci = MHD_get_connection_info(cur_conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci != NULL)
		shutdown(ci->connect_fd, SHUT_WR);
	atomic_store(&c->stage, EDGE_HANDLER);
	cur_conn = NULL;
}
