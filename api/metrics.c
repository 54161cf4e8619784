/*
 * Prometheus text exposition of the front's counters: requests by route
 * and status, keeper sign latency histogram, token errors, queue depth.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/keeper_client.h"
#include "common/err.h"
#include "common/util.h"

#define MAX_ROUTES 128

static const unsigned statuses[] = { 200, 201, 400, 401, 403, 404, 405, 409,
				     413, 415, 429, 500, 503, 0 /* other */ };
#define NSTATUS ESD_ARRAY_LEN(statuses)

/* Upper bounds in seconds. */
static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				  0.05, 0.1, 0.25, 0.5, 1, 2.5 };
#define NBUCKET ESD_ARRAY_LEN(buckets)

static atomic_uint_fast64_t requests[MAX_ROUTES + 1][NSTATUS];
static atomic_uint_fast64_t sign_hist[NBUCKET + 1];
static atomic_uint_fast64_t sign_sum_ns, sign_count, token_errors;

void metrics_request(int route, unsigned status, uint64_t ns)
{
	size_t r = route < 0 || (size_t)route >= api_nroutes ||
			   route >= MAX_ROUTES
		       ? MAX_ROUTES : (size_t)route;
	size_t s;

	(void)ns;
	for (s = 0; s < NSTATUS - 1; s++)
		if (statuses[s] == status)
			break;
	atomic_fetch_add(&requests[r][s], 1);
}

void metrics_sign(uint64_t ns)
{
	double sec = (double)ns / 1e9;
	size_t b;

	for (b = 0; b < NBUCKET; b++)
		if (sec <= buckets[b])
			break;
	atomic_fetch_add(&sign_hist[b], 1);
	atomic_fetch_add(&sign_sum_ns, ns);
	atomic_fetch_add(&sign_count, 1);
}

void metrics_token_error(void)
{
	atomic_fetch_add(&token_errors, 1);
}

struct out {
	char *buf;
	size_t len, cap;
	int err;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->err)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->err = 1;
			return;
		}
		if ((size_t)n < o->cap - o->len) {
			o->len += (size_t)n;
			return;
		}
		{
			char *nb = realloc(o->buf, o->cap * 2);

			if (nb == NULL) {
				o->err = 1;
				return;
			}
			o->buf = nb;
			o->cap *= 2;
		}
	}
}

/* When each valid certificate expires (the keeper's store), so that an
 * alert can fire weeks ahead: time() - not_after < 30 days. */
static void expiry(struct out *o)
{
	struct cred none = { 0 };
	struct ipc_msg rep;
	struct ibuf b;
	json_t *j = NULL, *c;
	size_t i;

	kc_begin(&b, &none);
	if (kc_call(MSG_CERT_EXPIRY, &b, &rep, 2000) == 0) {
		if (rep.status == 0)
			j = json_loadb((const char *)rep.data, rep.len, 0, NULL);
		ipc_msg_clear(&rep);
	}
	ibuf_free(&b);
	if (j == NULL)
		return;
	put(o, "# HELP esignd_certificate_not_after_seconds When a valid "
	       "certificate expires (Unix time).\n"
	       "# TYPE esignd_certificate_not_after_seconds gauge\n");
	json_array_foreach(json_object_get(j, "certs"), i, c) {
		const char *key = json_string_value(json_object_get(c, "key"));
		const char *serial = json_string_value(json_object_get(c, "serial"));

		/* Labels and serials are [A-Za-z0-9._-] and hex: no escaping. */
		if (key != NULL && serial != NULL)
			put(o, "esignd_certificate_not_after_seconds{key=\"%s\","
			       "serial=\"%s\"} %lld\n", key, serial,
			    (long long)json_integer_value(json_object_get(c,
								      "not_after")));
	}
	json_decref(j);
}

int metrics_render(char **text, size_t *len)
{
	struct out o = { malloc(8192), 0, 8192, 0 };
	unsigned waiting, busy;
	uint64_t cum = 0;

	if (o.buf == NULL)
		return ESD_ENOMEM;
	o.buf[0] = '\0';
	put(&o, "# HELP esignd_http_requests_total HTTP requests by route and status.\n"
		"# TYPE esignd_http_requests_total counter\n");
	for (size_t r = 0; r <= MAX_ROUTES; r++) {
		const char *name = r < api_nroutes ? api_routes[r].name : "none";

		if (r >= api_nroutes && r != MAX_ROUTES)
			continue;
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t v = atomic_load(&requests[r][s]);

			if (v == 0)
				continue;
			if (statuses[s] != 0)
				put(&o, "esignd_http_requests_total{route=\"%s\",code=\"%u\"} %llu\n",
				    name, statuses[s], (unsigned long long)v);
			else
				put(&o, "esignd_http_requests_total{route=\"%s\",code=\"other\"} %llu\n",
				    name, (unsigned long long)v);
		}
	}
	put(&o, "# HELP esignd_sign_seconds Time for the keeper to sign, seen by the front.\n"
		"# TYPE esignd_sign_seconds histogram\n");
	for (size_t b = 0; b <= NBUCKET; b++) {
		cum += atomic_load(&sign_hist[b]);
		if (b < NBUCKET)
			put(&o, "esignd_sign_seconds_bucket{le=\"%g\"} %llu\n",
			    buckets[b], (unsigned long long)cum);
		else
			put(&o, "esignd_sign_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cum);
	}
	put(&o, "esignd_sign_seconds_sum %.6f\nesignd_sign_seconds_count %llu\n",
	    (double)atomic_load(&sign_sum_ns) / 1e9,
	    (unsigned long long)atomic_load(&sign_count));
	put(&o, "# HELP esignd_token_errors_total Requests answered with a token fault.\n"
		"# TYPE esignd_token_errors_total counter\n"
		"esignd_token_errors_total %llu\n",
	    (unsigned long long)atomic_load(&token_errors));
	kc_depth(&waiting, &busy);
	put(&o, "# HELP esignd_keeper_queue_depth Requests waiting for a keeper channel.\n"
		"# TYPE esignd_keeper_queue_depth gauge\n"
		"esignd_keeper_queue_depth %u\n"
		"# HELP esignd_keeper_busy_channels Keeper channels in use.\n"
		"# TYPE esignd_keeper_busy_channels gauge\n"
		"esignd_keeper_busy_channels %u\n",
	    waiting, busy);
	expiry(&o);
	if (o.err) {
		free(o.buf);
		return ESD_ENOMEM;
	}
	*text = o.buf;
	*len = o.len;
	return 0;
}
