/*
 * The public distribution point: what certificates' CRL distribution
 * points and authority information access name (RFC 5280 §4.2.1.13,
 * §4.2.2.1), over plain HTTP as relying parties expect (the data is
 * signed; an HTTPS URL would make revocation checking depend on
 * revocation checking, and NSS's OCSP client does not speak it).
 *
 *   GET  /crl/LABEL.crl      the CA's current CRL (application/pkix-crl)
 *   GET  /ca/LABEL.crt       the CA's certificate (application/pkix-cert)
 *   POST /ocsp               RFC 6960 OCSP (application/ocsp-request)
 *   GET  /ocsp/BASE64        the same, RFC 6960 Appendix A.1
 *
 * Nothing else is routed here: no credential is read, and the admin API
 * and signing routes are not reachable on this listener. Answers carry
 * Cache-Control and Expires from the CRL's or OCSP response's nextUpdate
 * (RFC 5019 §6.2), so a caching proxy in front can serve them.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <microhttpd.h>
#include <openssl/crypto.h>
#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "api/api.h"
#include "api/keeper_client.h"
#include "api/public.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "pki/pkisvc.h"

/* An OCSP request is a few hundred bytes; PKI_OCSP_MAX_SINGLE of them
 * fit well below this. */
#define PUBLIC_MAX_BODY 16384

struct public_server {
	struct MHD_Daemon *d;
	atomic_int inflight;
};

struct pub_req {
	char body[PUBLIC_MAX_BODY];
	size_t len;
	int too_big;
};

/* "/PREFIX/LABEL.SUFFIX" -> LABEL into out; 0 if it is that form. */
static int path_label(const char *url, const char *prefix, const char *suffix,
		      char *out, size_t cap)
{
	size_t pl = strlen(prefix), sl = strlen(suffix), n = strlen(url);

	if (n <= pl + sl || strncmp(url, prefix, pl) != 0 ||
	    strcmp(url + n - sl, suffix) != 0 || n - pl - sl >= cap ||
	    !esd_label_ok(url + pl, n - pl - sl, 64))
		return -1;
	memcpy(out, url + pl, n - pl - sl);
	out[n - pl - sl] = '\0';
	return 0;
}

static void http_date(time_t t, char *out, size_t cap)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* RFC 5019 §6.2: cacheable until nextUpdate. */
static void add_cache_headers(struct MHD_Response *mr, const ASN1_TIME *this_upd,
			      const ASN1_TIME *next_upd)
{
	char v[96];
	time_t now = time(NULL);
	struct tm tm;
	long age = 0;

	if (next_upd != NULL && ASN1_TIME_to_tm(next_upd, &tm) == 1) {
		time_t nu = timegm(&tm);

		age = nu > now ? (long)(nu - now) : 0;
		http_date(nu, v, sizeof(v));
		MHD_add_response_header(mr, MHD_HTTP_HEADER_EXPIRES, v);
	}
	if (this_upd != NULL && ASN1_TIME_to_tm(this_upd, &tm) == 1) {
		http_date(timegm(&tm), v, sizeof(v));
		MHD_add_response_header(mr, MHD_HTTP_HEADER_LAST_MODIFIED, v);
	}
	snprintf(v, sizeof(v), "public, no-transform, must-revalidate, max-age=%ld",
		 age);
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, v);
}

/* thisUpdate and nextUpdate of the keeper's DER, by what it is. */
static void cache_from_der(struct MHD_Response *mr, const char *ctype,
			   const uint8_t *der, size_t len)
{
	const unsigned char *p = der;

	if (strcmp(ctype, "application/pkix-crl") == 0) {
		X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);

		if (crl != NULL)
			add_cache_headers(mr, X509_CRL_get0_lastUpdate(crl),
					  X509_CRL_get0_nextUpdate(crl));
		X509_CRL_free(crl);
	} else if (strcmp(ctype, "application/ocsp-response") == 0) {
		OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
		OCSP_BASICRESP *bs = resp ? OCSP_response_get1_basic(resp) : NULL;
		OCSP_SINGLERESP *one = bs ? OCSP_resp_get0(bs, 0) : NULL;
		ASN1_GENERALIZEDTIME *rev = NULL, *tu = NULL, *nu = NULL;
		int reason;

		if (one != NULL &&
		    OCSP_single_get0_status(one, &reason, &rev, &tu, &nu) >= 0)
			add_cache_headers(mr, tu, nu);
		else /* an error status: not worth keeping */
			MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL,
						"no-store");
		OCSP_BASICRESP_free(bs);
		OCSP_RESPONSE_free(resp);
	} else {
		/* A CA certificate changes only when the CA is replaced. */
		MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL,
					"public, max-age=86400");
	}
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status,
			      const char *ctype, const void *data, size_t len,
			      const char *allow)
{
	struct MHD_Response *mr = MHD_create_response_from_buffer(
		len, (void *)data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (mr == NULL)
		return MHD_NO;
	MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
	if (allow != NULL)
		MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, allow);
	if (status == 200)
		cache_from_der(mr, ctype, data, len);
	rc = MHD_queue_response(c, status, mr);
	MHD_destroy_response(mr);
	return rc;
}

static enum MHD_Result answer_error(struct MHD_Connection *c, int err,
				    const char *msg, const char *allow)
{
	char body[300];
	int n = snprintf(body, sizeof(body),
			 "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}\n",
			 esd_err_name(err), msg ? msg : esd_err_msg(err));

	return answer(c, esd_err_http(err), "application/json", body,
		      n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0, allow);
}

/* Asks the keeper for DER and answers it as ctype. */
static enum MHD_Result keeper_der(struct MHD_Connection *c, uint16_t type,
				  struct ibuf *b, const char *ctype)
{
	struct ipc_msg rep;
	enum MHD_Result rc;

	if (kc_call(type, b, &rep, 0) != 0) {
		ibuf_free(b);
		return answer_error(c, ESD_EUNAVAIL, "the keeper is not answering",
				    NULL);
	}
	ibuf_free(b);
	if (rep.status != 0) {
		char msg[200];
		size_t n = rep.len < sizeof(msg) - 1 ? rep.len : sizeof(msg) - 1;

		/* The keeper's messages are plain text without quotes. */
		for (size_t i = 0; i < n; i++)
			msg[i] = rep.data[i] == '"' || rep.data[i] == '\\' ||
				 rep.data[i] < 0x20 ? '\'' : (char)rep.data[i];
		msg[n] = '\0';
		rc = answer_error(c, rep.status, msg, NULL);
	} else {
		rc = answer(c, 200, ctype, rep.data, rep.len, NULL);
	}
	ipc_msg_clear(&rep);
	return rc;
}

static enum MHD_Result by_label(struct MHD_Connection *c, uint16_t type,
				const char *label, const char *ctype)
{
	struct cred none = { 0 };
	struct ibuf b;

	kc_begin(&b, &none);
	ibuf_put_str(&b, label);
	return keeper_der(c, type, &b, ctype);
}

static enum MHD_Result ocsp(struct MHD_Connection *c, const uint8_t *der,
			    size_t len)
{
	struct pki_ocsp_query q;
	struct cred none = { 0 };
	struct ibuf b;
	uint8_t *resp;
	size_t rlen;
	enum MHD_Result rc;

	if (pki_ocsp_parse(der, len, &q) != 0) {
		/* RFC 6960 §2.3: malformedRequest, not an HTTP error. */
		if (pki_ocsp_error_response(PKI_OCSP_MALFORMED_REQUEST, &resp,
					    &rlen) != 0)
			return answer_error(c, ESD_EINVAL, "malformed OCSP request",
					    NULL);
		rc = answer(c, 200, "application/ocsp-response", resp, rlen, NULL);
		OPENSSL_free(resp);
		return rc;
	}
	kc_begin(&b, &none);
	ibuf_put_bytes(&b, &q, sizeof(q));
	return keeper_der(c, MSG_OCSP, &b, "application/ocsp-response");
}

/* GET /ocsp/BASE64: the URL is already percent-decoded; a '+' that
 * became a space is put back. */
static enum MHD_Result ocsp_get(struct MHD_Connection *c, const char *b64)
{
	char buf[PUBLIC_MAX_BODY];
	uint8_t *der = NULL;
	size_t n = strlen(b64), len = 0;
	enum MHD_Result rc;

	if (n == 0 || n >= sizeof(buf))
		return answer_error(c, ESD_EINVAL, "the OCSP request in the "
				    "path must be base64 DER of at most 12 KiB",
				    NULL);
	for (size_t i = 0; i <= n; i++)
		buf[i] = b64[i] == ' ' ? '+' : b64[i];
	if (esd_b64_decode(buf, &der, &len) != 0)
		return answer_error(c, ESD_EINVAL, "the OCSP request in the path "
				    "is not base64", NULL);
	rc = ocsp(c, der, len);
	free(der);
	return rc;
}

static enum MHD_Result route(struct MHD_Connection *c, const char *url,
			     const char *method, struct pub_req *pr)
{
	int get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	int post = strcmp(method, "POST") == 0;
	char label[80];

	if (strncmp(url, "/crl/", 5) == 0 || strncmp(url, "/ca/", 4) == 0 ||
	    (strncmp(url, "/ocsp/", 6) == 0 && url[6] != '\0')) {
		if (!get)
			return answer_error(c, ESD_EMETHOD, NULL, "GET, HEAD");
		if (url[1] == 'o')
			return ocsp_get(c, url + 6);
		if (path_label(url, "/crl/", ".crl", label, sizeof(label)) == 0)
			return by_label(c, MSG_CRL, label, "application/pkix-crl");
		if (path_label(url, "/ca/", ".crt", label, sizeof(label)) == 0)
			return by_label(c, MSG_CA_CERT, label,
					"application/pkix-cert");
		return answer_error(c, ESD_ENOTFOUND, NULL, NULL);
	}
	if (strcmp(url, "/ocsp") == 0 || strcmp(url, "/ocsp/") == 0) {
		const char *ct = MHD_lookup_connection_value(
			c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

		if (!post)
			return answer_error(c, ESD_EMETHOD, NULL, "POST");
		if (pr->too_big)
			return answer_error(c, ESD_ETOOBIG, "an OCSP request is "
					    "at most 16 KiB", NULL);
		if (ct == NULL || strncasecmp(ct, "application/ocsp-request", 24) != 0)
			return answer_error(c, ESD_EMEDIA, "the body must be "
					    "application/ocsp-request", NULL);
		return ocsp(c, (const uint8_t *)pr->body, pr->len);
	}
	return answer_error(c, ESD_ENOTFOUND, "this address serves only "
			    "/crl/*.crl, /ca/*.crt and /ocsp", NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_len, void **con_cls)
{
	struct public_server *s = cls;
	struct pub_req *pr = *con_cls;

	(void)version;
	if (pr == NULL) {
		pr = calloc(1, sizeof(*pr));
		if (pr == NULL)
			return MHD_NO;
		*con_cls = pr;
		atomic_fetch_add(&s->inflight, 1);
		return MHD_YES;
	}
	if (*upload_len > 0) {
		if (pr->len + *upload_len > sizeof(pr->body))
			pr->too_big = 1;
		else
			memcpy(pr->body + pr->len, upload, *upload_len);
		if (!pr->too_big)
			pr->len += *upload_len;
		*upload_len = 0;
		return MHD_YES;
	}
	return route(c, url, method, pr);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct public_server *s = cls;

	(void)c;
	(void)toe;
	if (*con_cls != NULL) {
		free(*con_cls);
		*con_cls = NULL;
		atomic_fetch_sub(&s->inflight, 1);
	}
}

int public_start(const struct esd_config *cfg, int fd,
		 struct public_server **out)
{
	struct public_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return ESD_ENOMEM;
	s->d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
		MHD_USE_ITC | MHD_USE_POLL, 0, NULL, NULL, on_request, s,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)cfg->max_connections_per_ip,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)cfg->request_timeout,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->max_header_size,
		MHD_OPTION_END);
	if (s->d == NULL) {
		log_err("front: cannot start the distribution point on %s",
			cfg->public_listen);
		free(s);
		return ESD_EIO;
	}
	*out = s;
	return 0;
}

void public_stop(struct public_server *s)
{
	if (s == NULL)
		return;
	MHD_quiesce_daemon(s->d);
	/* Its answers take one keeper call each: a few seconds at most. */
	for (int i = 0; i < 500 && atomic_load(&s->inflight) > 0; i++)
		usleep(10000);
	MHD_stop_daemon(s->d);
	free(s);
}
