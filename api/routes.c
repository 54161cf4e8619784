/*
 * The native JSON API (docs/api.md). Handlers validate their input, ask
 * the keeper, and shape the answer; they decide nothing about keys or
 * credentials themselves.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <microhttpd.h>

#include "api/api.h"
#include "api/verify.h"
#include "api/keeper_client.h"
#include "common/err.h"
#include "common/util.h"

void resp_text(struct resp *out, unsigned status, const char *ctype,
	       char *body, size_t len)
{
	if (out->file) {          /* an error after all: not the file */
		close(out->fd);
		out->file = 0;
	}
	free(out->body);
	free(out->head);
	out->head = NULL;
	out->head_len = 0;
	out->status = status;
	out->content_type = ctype;
	out->body = body;
	out->len = len;
}

void resp_json(struct resp *out, unsigned status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);

	json_decref(body);
	if (text == NULL) {
		resp_text(out, 500, "application/json",
			  strdup("{\"error\":{\"code\":\"internal_error\"}}"), 36);
		return;
	}
	resp_text(out, status, "application/json", text, strlen(text));
}

void resp_error(struct resp *out, int err, const char *msg)
{
	resp_json(out, esd_err_http(err),
		  json_pack("{s:{s:s, s:s}}", "error", "code", esd_err_name(err),
			    "message", msg ? msg : esd_err_msg(err)));
}

int api_keeper_call(struct resp *out, uint16_t type, struct ibuf *payload,
		    struct ipc_msg *rep)
{
	uint64_t t0 = esd_mono_ns();
	int rc = kc_call(type, payload, rep, 0);

	ibuf_free(payload);
	if (rc != 0) {
		resp_error(out, ESD_EUNAVAIL, "the keeper is not answering");
		return ESD_EUNAVAIL;
	}
	if (type == MSG_KEY_SIGN || type == MSG_DOC_SIGN)
		metrics_sign(esd_mono_ns() - t0);
	if (rep->status == ESD_ETOKEN)
		metrics_token_error();
	if (rep->status != 0) {
		char msg[257];
		size_t n = rep->len < 256 ? rep->len : 256;

		memcpy(msg, rep->data, n);
		msg[n] = '\0';
		resp_error(out, rep->status, msg);
		rc = rep->status;
		ipc_msg_clear(rep);
	}
	return rc;
}

int api_keeper_json(struct resp *out, uint16_t type, struct ibuf *payload,
		    json_t **j)
{
	struct ipc_msg rep;
	int rc = api_keeper_call(out, type, payload, &rep);

	*j = NULL;
	if (rc != 0)
		return rc;
	*j = json_loadb((const char *)rep.data, rep.len, 0, NULL);
	if (*j == NULL) {
		resp_error(out, ESD_EPROTO, NULL);
		rc = ESD_EPROTO;
	}
	ipc_msg_clear(&rep);
	return rc;
}

void api_keeper_reply(struct req *r, struct resp *out, uint16_t type,
		      struct ibuf *payload)
{
	json_t *j;

	if (api_keeper_json(out, type, payload, &j) == 0)
		resp_json(out, strcmp(r->method, "POST") == 0 &&
				       type == MSG_KEY_GENERATE ? 201 : 200, j);
}

json_t *api_body_object(struct req *r, struct resp *out,
			const char *const *allowed)
{
	json_error_t e;
	json_t *j, *v;
	const char *key;
	char msg[256];

	if (r->body_len == 0) {
		resp_error(out, ESD_EJSON, "a JSON object body is required");
		return NULL;
	}
	j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
	if (j == NULL || !json_is_object(j)) {
		if (j == NULL)
			snprintf(msg, sizeof(msg), "invalid JSON at line %d: %s",
				 e.line, e.text);
		else
			snprintf(msg, sizeof(msg), "the body must be a JSON object");
		json_decref(j);
		resp_error(out, ESD_EJSON, msg);
		return NULL;
	}
	json_object_foreach(j, key, v) {
		size_t i;

		for (i = 0; allowed[i] != NULL; i++)
			if (strcmp(allowed[i], key) == 0)
				break;
		if (allowed[i] == NULL) {
			snprintf(msg, sizeof(msg), "unknown field '%.64s'", key);
			json_decref(j);
			resp_error(out, ESD_EINVAL, msg);
			return NULL;
		}
	}
	return j;
}

/* A required string field; sets a 400 and returns NULL if absent. */
static const char *need_str(json_t *o, const char *key, struct resp *out)
{
	const char *s = json_string_value(json_object_get(o, key));
	char msg[96];

	if (s == NULL || s[0] == '\0') {
		snprintf(msg, sizeof(msg), "'%s' must be a non-empty string", key);
		resp_error(out, ESD_EINVAL, msg);
	}
	return s;
}

static void h_health(struct req *r, struct resp *out)
{
	struct ipc_msg rep;
	struct ibuf b;
	struct cred none = { 0 };
	json_t *j = NULL;
	int rc;

	(void)r;
	kc_begin(&b, &none);
	rc = kc_call(MSG_HEALTH, &b, &rep, 5000);
	ibuf_free(&b);
	if (rc == 0 && rep.status == 0)
		j = json_loadb((const char *)rep.data, rep.len, 0, NULL);
	if (rc == 0)
		ipc_msg_clear(&rep);
	if (j == NULL) {
		resp_json(out, 503, json_pack("{s:b, s:{s:{s:b}}}", "ok", 0,
					      "checks", "keeper", "ok", 0));
		return;
	}
	resp_json(out, json_is_true(json_object_get(j, "ok")) ? 200 : 503, j);
}

static void h_metrics(struct req *r, struct resp *out)
{
	char *text;
	size_t len;

	(void)r;
	if (metrics_render(&text, &len) != 0) {
		resp_error(out, ESD_ENOMEM, NULL);
		return;
	}
	resp_text(out, 200, "text/plain; version=0.0.4", text, len);
}

static void simple(struct req *r, struct resp *out, uint16_t type)
{
	struct ibuf b;

	kc_begin(&b, &r->cred);
	api_keeper_reply(r, out, type, &b);
}

static void h_status(struct req *r, struct resp *out)
{
	simple(r, out, MSG_STATUS);
}

static void h_keys_list(struct req *r, struct resp *out)
{
	simple(r, out, MSG_KEYS_LIST);
}

static void h_audit_verify(struct req *r, struct resp *out)
{
	simple(r, out, MSG_AUDIT_VERIFY);
}

/* GET /v1/audit?since=SEQ&limit=N: records from SEQ on, as JSON. */
static void h_audit_export(struct req *r, struct resp *out)
{
	const char *since = MHD_lookup_connection_value(r->conn,
							MHD_GET_ARGUMENT_KIND, "since");
	const char *limit = MHD_lookup_connection_value(r->conn,
							MHD_GET_ARGUMENT_KIND, "limit");
	uint64_t s = 1, l = 1000;
	struct ibuf b;

	if ((since != NULL && esd_parse_u64(since, 0, UINT64_MAX, &s) != 0) ||
	    (limit != NULL && esd_parse_u64(limit, 1, 10000, &l) != 0)) {
		resp_error(out, ESD_EINVAL,
			   "'since' is a record number, 'limit' 1..10000");
		return;
	}
	kc_begin(&b, &r->cred);
	ibuf_put_u64(&b, s);
	ibuf_put_u32(&b, (uint32_t)l);
	api_keeper_reply(r, out, MSG_AUDIT_EXPORT, &b);
}

static void h_keys_generate(struct req *r, struct resp *out)
{
	static const char *const allowed[] = { "label", "type", NULL };
	json_t *j = api_body_object(r, out, allowed);
	const char *label, *type;
	struct ibuf b;

	if (j == NULL)
		return;
	label = need_str(j, "label", out);
	type = label ? need_str(j, "type", out) : NULL;
	if (type != NULL) {
		kc_begin(&b, &r->cred);
		ibuf_put_str(&b, label);
		ibuf_put_str(&b, type);
		api_keeper_reply(r, out, MSG_KEY_GENERATE, &b);
	}
	json_decref(j);
}

static void h_key_sign(struct req *r, struct resp *out)
{
	static const char *const allowed[] = { "digest", "alg", "hash", NULL };
	json_t *j = api_body_object(r, out, allowed);
	const char *hex, *alg, *hash;
	uint8_t dgst[64];
	size_t dlen;
	struct ibuf b;

	if (j == NULL)
		return;
	hex = need_str(j, "digest", out);
	alg = hex ? need_str(j, "alg", out) : NULL;
	hash = json_string_value(json_object_get(j, "hash"));
	if (alg != NULL && hash == NULL && json_object_get(j, "hash") != NULL) {
		resp_error(out, ESD_EINVAL, "'hash' must be a string");
		alg = NULL;
	} else if (hash == NULL) {
		hash = "sha256";
	}
	if (alg != NULL &&
	    esd_unhex(hex, strlen(hex), dgst, sizeof(dgst), &dlen) != 0) {
		resp_error(out, ESD_EINVAL, "'digest' must be hex");
		alg = NULL;
	}
	if (alg != NULL) {
		kc_begin(&b, &r->cred);
		ibuf_put_str(&b, r->param[0]);
		ibuf_put_str(&b, alg);
		ibuf_put_str(&b, hash);
		ibuf_put_bytes(&b, dgst, dlen);
		api_keeper_reply(r, out, MSG_KEY_SIGN, &b);
	}
	json_decref(j);
}

const struct route api_routes[] = {
	{ "GET", "/v1/health", h_health, ROUTE_NO_LIMIT, "health" },
	{ "GET", "/metrics", h_metrics, ROUTE_NO_LIMIT, "metrics" },
	{ "GET", "/v1/openapi.json", api_openapi, ROUTE_NO_LIMIT, "openapi" },
	{ "GET", "/v1/status", h_status, ROUTE_AUTH, "status" },
	{ "GET", "/v1/keys", h_keys_list, ROUTE_AUTH, "keys_list" },
	{ "POST", "/v1/keys", h_keys_generate, ROUTE_AUTH, "keys_generate" },
	{ "GET", "/v1/audit/verify", h_audit_verify, ROUTE_AUTH, "audit_verify" },
	{ "GET", "/v1/audit", h_audit_export, ROUTE_AUTH, "audit_export" },
	{ "POST", "/v1/seal", api_seal, ROUTE_AUTH, "seal" },
	{ "POST", "/v1/sign", api_sign, ROUTE_AUTH, "sign" },
	{ "POST", "/v1/seal/hash", api_seal_hash, ROUTE_AUTH, "seal_hash" },
	{ "POST", "/v1/sign/hash", api_sign_hash, ROUTE_AUTH, "sign_hash" },
	{ "POST", "/v1/verify", api_verify, 0, "verify" },
	{ "GET", "/v1/certs", api_certs_list, ROUTE_AUTH, "certs_list" },
	{ "POST", "/v1/certs/*/revoke", api_cert_revoke, ROUTE_AUTH, "certs_revoke" },
	{ "POST", "/tsa", api_tsa, 0, "tsa" },
	{ "POST", "/ocsp", api_ocsp, 0, "ocsp" },
	{ "GET", "/crl/*", api_crl, 0, "crl" },
	{ "GET", "/ca/*", api_ca_cert, 0, "ca_cert" },
	{ "POST", "/v1/keys/*/sign", h_key_sign, ROUTE_AUTH | ROUTE_UNIX_ONLY,
	  "keys_sign" },
	{ "POST", "/v1/ra/individuals", api_ra, ROUTE_AUTH, "ra_individual_register" },
	{ "POST", "/v1/ra/seals", api_ra, ROUTE_AUTH, "ra_seal_register" },
	{ "GET", "/v1/ra/requests", api_ra, ROUTE_AUTH, "ra_requests" },
	{ "GET", "/v1/ra/requests/*", api_ra, ROUTE_AUTH, "ra_request" },
	{ "POST", "/v1/ra/requests/*/approve", api_ra, ROUTE_AUTH,
	  "ra_request_approve" },
	{ "POST", "/v1/ra/requests/*/reject", api_ra, ROUTE_AUTH,
	  "ra_request_reject" },
	{ "GET", "/v1/ra/subscribers", api_ra, ROUTE_AUTH, "ra_subscribers" },
	{ "GET", "/v1/ra/subscribers/*", api_ra, ROUTE_AUTH, "ra_subscriber" },
	{ "POST", "/v1/ra/subscribers/*/renew", api_ra, ROUTE_AUTH,
	  "ra_subscriber_renew" },
	{ "POST", "/v1/ra/subscribers/*/revoke", api_ra, ROUTE_AUTH,
	  "ra_subscriber_revoke" },
	{ "POST", "/v1/ra/activate", api_ra, 0, "ra_activate" },
	{ "GET", "/v1/ra/certs/*", api_ra, ROUTE_AUTH, "ra_cert" },
	{ "GET", "/v1/ra/letters/*", api_ra, ROUTE_AUTH, "ra_letter" },
	{ "GET", "/v1/ra/sla", api_ra, ROUTE_AUTH, "ra_sla" },
	{ "POST", "/v1/ra/crls/*", api_ra, ROUTE_AUTH, "ra_crl_issue" },
	{ "POST", "/v1/clients", api_ra, ROUTE_AUTH, "clients_add" },
	{ "GET", "/v1/clients", api_ra, ROUTE_AUTH, "clients_list" },
	{ "POST", "/v1/keys/*/csr", api_ra, ROUTE_AUTH, "keys_csr" },
	{ "POST", "/v1/keys/*/rotate", api_ra, ROUTE_AUTH, "keys_rotate" },
	{ "POST", "/v1/ra/seals/*/activation", api_ra, ROUTE_AUTH,
	  "ra_seal_activate" },
	{ "DELETE", "/v1/ra/seals/*/activation", api_ra, ROUTE_AUTH,
	  "ra_seal_deactivate" },
	{ "POST", "/v1/ra/seals/*/codes", api_ra, ROUTE_AUTH, "ra_seal_code" },
	{ "POST", "/v1/ra/seals/*/totp", api_ra, ROUTE_AUTH, "ra_seal_totp" },
	{ "DELETE", "/v1/ra/seals/*/totp", api_ra, ROUTE_AUTH,
	  "ra_seal_totp_reset" },
	{ "POST", "/v1/ra/subscribers/*/unlock", api_ra, ROUTE_AUTH,
	  "ra_subscriber_unlock" },
	{ "POST", "/v1/ra/subscribers/*/reset", api_ra, ROUTE_AUTH,
	  "ra_subscriber_reset" },
	{ "POST", "/v1/ra/subscribers/*/otp", api_ra, ROUTE_AUTH,
	  "ra_subscriber_otp" },
	{ "POST", "/v1/ra/subscribers/*/authorize", api_ra, ROUTE_AUTH,
	  "ra_subscriber_authorize" },
	{ "POST", "/v1/ra/passphrase", api_ra, 0, "ra_passphrase" },
	{ "POST", "/v1/users", api_ra, ROUTE_AUTH, "users_add" },
	{ "GET", "/v1/users", api_ra, ROUTE_AUTH, "users_list" },
	{ "POST", "/v1/users/*/disable", api_ra, ROUTE_AUTH, "users_disable" },
	{ "POST", "/v1/users/*/enable", api_ra, ROUTE_AUTH, "users_enable" },
	{ "POST", "/v1/users/*/unlock", api_ra, ROUTE_AUTH, "users_unlock" },
	{ "POST", "/v1/users/*/reset", api_ra, ROUTE_AUTH, "users_reset" },
	{ "POST", "/v1/login", api_ra, 0, "login" },
	{ "POST", "/v1/logout", api_ra, ROUTE_AUTH, "logout" },
	/* The BSrE eSign Client API (docs/bsre-compat.md). */
	{ "POST", "/api/sign/pdf", api_bsre_sign_v1, ROUTE_AUTH | ROUTE_MULTIPART,
	  "bsre_sign_v1" },
	{ "POST", "/api/sign/verify", api_bsre_verify_v1, ROUTE_AUTH | ROUTE_MULTIPART,
	  "bsre_verify_v1" },
	{ "GET", "/api/user/status/*", api_bsre_user_status, ROUTE_AUTH,
	  "bsre_user_status" },
	{ "GET", "/api/sign/download/*", api_bsre_download, ROUTE_AUTH,
	  "bsre_download" },
	{ "POST", "/api/v2/sign/pdf", api_bsre_sign_v2, ROUTE_AUTH, "bsre_sign_v2" },
	{ "POST", "/api/v2/sign/get/totp", api_bsre_sign_totp, ROUTE_AUTH,
	  "bsre_sign_totp" },
	{ "POST", "/api/v2/user/check/status", api_bsre_check_status, ROUTE_AUTH,
	  "bsre_check_status" },
	{ "POST", "/api/v2/user/register", api_bsre_register, ROUTE_AUTH,
	  "bsre_register" },
	/* The same, at the path the TypeScript client uses. */
	{ "POST", "/api/v2/user/registration", api_bsre_register, ROUTE_AUTH,
	  "bsre_registration" },
	{ "POST", "/api/v2/seal/get/activation", api_bsre_seal_activation,
	  ROUTE_AUTH, "bsre_seal_activation" },
	{ "POST", "/api/v2/seal/get/totp", api_bsre_seal_totp, ROUTE_AUTH,
	  "bsre_seal_totp" },
	{ "POST", "/api/v2/seal/pdf", api_bsre_seal_v2, ROUTE_AUTH, "bsre_seal_v2" },
	{ "POST", "/api/v2/seal/revoke/activation", api_bsre_seal_revoke,
	  ROUTE_AUTH, "bsre_seal_revoke" },
	{ "POST", "/api/v2/verify/pdf", api_bsre_verify_v2, ROUTE_AUTH,
	  "bsre_verify_v2" },
	{ "POST", "/v1/keys/*/certificate", api_ra, ROUTE_AUTH, "keys_import" },
	/* The web console's static files (console.c, docs/console.md). */
	{ "GET", "/", api_console, ROUTE_NO_LIMIT, "console_root" },
	{ "GET", "/console", api_console, ROUTE_NO_LIMIT, "console_redirect" },
	{ "GET", "/console/", api_console, ROUTE_NO_LIMIT, "console_index" },
	{ "GET", "/console/*", api_console, ROUTE_NO_LIMIT, "console_file" },
};
const size_t api_nroutes = ESD_ARRAY_LEN(api_routes);
