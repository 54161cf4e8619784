/*
 * The public PKI services: RFC 3161 timestamps (POST /tsa), RFC 6960 OCSP
 * (POST /ocsp), CRLs (GET /crl/LABEL.crl) and CA certificates
 * (GET /ca/LABEL.crt); and the admin's certificate list and revocation.
 * Requests are parsed here; the keeper decides and signs.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "api/api.h"
#include "api/keeper_client.h"
#include "common/err.h"
#include "pki/pkisvc.h"

/* Calls the keeper and answers its binary payload with ctype (api.h). */
void api_keeper_bin(struct resp *out, uint16_t type, struct ibuf *payload,
		       const char *ctype)
{
	struct ipc_msg rep;
	char *body;

	if (kc_call(type, payload, &rep, 0) != 0) {
		ibuf_free(payload);
		resp_error(out, ESD_EUNAVAIL, "the keeper is not answering");
		return;
	}
	ibuf_free(payload);
	if (rep.status != 0) {
		char msg[257];
		size_t n = rep.len < 256 ? rep.len : 256;

		memcpy(msg, rep.data, n);
		msg[n] = '\0';
		if (rep.status == ESD_ETOKEN)
			metrics_token_error();
		resp_error(out, rep.status, msg);
	} else if ((body = malloc(rep.len ? rep.len : 1)) == NULL) {
		resp_error(out, ESD_ENOMEM, NULL);
	} else {
		memcpy(body, rep.data, rep.len);
		resp_text(out, 200, ctype, body, rep.len);
	}
	ipc_msg_clear(&rep);
}

static int has_ctype(struct req *r, const char *want)
{
	const char *ct = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);

	return ct != NULL && strncasecmp(ct, want, strlen(want)) == 0;
}

/* Answers a DER error document (TSA rejection / OCSP error status). */
static void der_answer(struct resp *out, uint8_t *der, size_t len,
		       const char *ctype)
{
	char *body = malloc(len ? len : 1);

	if (body == NULL) {
		resp_error(out, ESD_ENOMEM, NULL);
	} else {
		memcpy(body, der, len);
		resp_text(out, 200, ctype, body, len);
	}
	OPENSSL_free(der);
}

void api_tsa(struct req *r, struct resp *out)
{
	struct pki_tsq q;
	struct cred none = { 0 };
	struct ibuf b;
	uint8_t *der;
	size_t len;
	int fail = PKI_TS_BAD_REQUEST;

	if (!has_ctype(r, "application/timestamp-query")) {
		resp_error(out, ESD_EMEDIA,
			   "the body must be application/timestamp-query");
		return;
	}
	if (pki_tsq_parse((const uint8_t *)r->body, r->body_len, &q, &fail) != 0) {
		/* RFC 3161 §2.4.2: a rejection, not an HTTP error. */
		if (pki_tsa_error_response(fail, &der, &len) != 0)
			resp_error(out, ESD_EINVAL, "malformed time-stamp query");
		else
			der_answer(out, der, len, "application/timestamp-reply");
		return;
	}
	kc_begin(&b, &none);
	ibuf_put_bytes(&b, &q, sizeof(q));
	api_keeper_bin(out, MSG_TSA, &b, "application/timestamp-reply");
}

void api_ocsp(struct req *r, struct resp *out)
{
	struct pki_ocsp_query q;
	struct cred none = { 0 };
	struct ibuf b;
	uint8_t *der;
	size_t len;

	if (!has_ctype(r, "application/ocsp-request")) {
		resp_error(out, ESD_EMEDIA,
			   "the body must be application/ocsp-request");
		return;
	}
	if (pki_ocsp_parse((const uint8_t *)r->body, r->body_len, &q) != 0) {
		/* RFC 6960 §2.3: malformedRequest. */
		if (pki_ocsp_error_response(PKI_OCSP_MALFORMED_REQUEST, &der, &len) != 0)
			resp_error(out, ESD_EINVAL, "malformed OCSP request");
		else
			der_answer(out, der, len, "application/ocsp-response");
		return;
	}
	kc_begin(&b, &none);
	ibuf_put_bytes(&b, &q, sizeof(q));
	api_keeper_bin(out, MSG_OCSP, &b, "application/ocsp-response");
}

/* "/crl/issuing-ca.crl" -> "issuing-ca" (param[0] without suffix). */
static int strip(char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	if (n <= m || strcmp(s + n - m, suffix) != 0)
		return -1;
	s[n - m] = '\0';
	return 0;
}

void api_crl(struct req *r, struct resp *out)
{
	struct cred none = { 0 };
	struct ibuf b;

	if (strip(r->param[0], ".crl") != 0) {
		resp_error(out, ESD_ENOTFOUND, NULL);
		return;
	}
	kc_begin(&b, &none);
	ibuf_put_str(&b, r->param[0]);
	api_keeper_bin(out, MSG_CRL, &b, "application/pkix-crl");
}

void api_ca_cert(struct req *r, struct resp *out)
{
	struct cred none = { 0 };
	struct ibuf b;

	if (strip(r->param[0], ".crt") != 0) {
		resp_error(out, ESD_ENOTFOUND, NULL);
		return;
	}
	kc_begin(&b, &none);
	ibuf_put_str(&b, r->param[0]);
	api_keeper_bin(out, MSG_CA_CERT, &b, "application/pkix-cert");
}

void api_certs_list(struct req *r, struct resp *out)
{
	struct ibuf b;

	kc_begin(&b, &r->cred);
	api_keeper_reply(r, out, MSG_CERT_LIST, &b);
}

void api_cert_revoke(struct req *r, struct resp *out)
{
	static const char *const allowed[] = { "reason", NULL };
	json_t *j = api_body_object(r, out, allowed);
	const char *reason;
	struct ibuf b;

	if (j == NULL)
		return;
	reason = json_string_value(json_object_get(j, "reason"));
	if (reason == NULL) {
		resp_error(out, ESD_EINVAL, "'reason' (an RFC 5280 CRLReason name) "
			   "is required");
	} else {
		kc_begin(&b, &r->cred);
		ibuf_put_str(&b, r->param[0]);
		ibuf_put_str(&b, reason);
		api_keeper_reply(r, out, MSG_CERT_REVOKE, &b);
	}
	json_decref(j);
}
