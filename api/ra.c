/*
 * The registration authority's routes (docs/ra.md): each maps to one
 * keeper operation (MSG_RA). The front only gathers the arguments: the
 * JSON body, the path's identifier and the query string. The keeper
 * checks the fields, the caller's role and the state.
 */
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "api/api.h"
#include "api/keeper_client.h"
#include "common/err.h"
#include "common/util.h"

static const struct {
	const char *route;      /* api_routes[].name */
	const char *op;
	unsigned status;        /* on success */
} ops[] = {
	{ "ra_individual_register", "individual.register", 201 },
	{ "ra_seal_register", "seal.register", 201 },
	{ "ra_requests", "request.list", 200 },
	{ "ra_request", "request.show", 200 },
	{ "ra_request_approve", "request.approve", 200 },
	{ "ra_request_reject", "request.reject", 200 },
	{ "ra_subscribers", "subscriber.list", 200 },
	{ "ra_subscriber", "subscriber.show", 200 },
	{ "ra_subscriber_renew", "subscriber.renew", 201 },
	{ "ra_subscriber_revoke", "subscriber.revoke", 201 },
	{ "ra_activate", "individual.activate", 200 },
	{ "ra_cert", "cert.show", 200 },
	{ "ra_letter", "letter.get", 200 },
	{ "ra_sla", "sla.report", 200 },
	{ "ra_crl_issue", "crl.issue", 200 },
	{ "clients_add", "client.add", 201 },
	{ "clients_list", "client.list", 200 },
	{ "keys_csr", "key.csr", 200 },
	{ "keys_rotate", "key.rotate", 200 },
	{ "ra_seal_activate", "seal.activate", 200 },
	{ "ra_seal_deactivate", "seal.deactivate", 200 },
	{ "ra_seal_code", "seal.code", 201 },
	{ "ra_seal_totp", "seal.totp", 201 },
	{ "ra_seal_totp_reset", "seal.totp.reset", 200 },
	{ "users_add", "user.create", 201 },
	{ "users_list", "user.list", 200 },
	{ "users_disable", "user.disable", 200 },
	{ "users_enable", "user.enable", 200 },
	{ "users_unlock", "user.unlock", 200 },
	{ "users_reset", "user.reset", 200 },
	{ "login", "login", 200 },
	{ "logout", "logout", 200 },
	{ "ra_subscriber_unlock", "subscriber.unlock", 200 },
	{ "ra_subscriber_reset", "subscriber.reset", 200 },
	{ "ra_subscriber_otp", "individual.otp", 201 },
	{ "ra_subscriber_authorize", "individual.authorize", 200 },
	{ "ra_passphrase", "individual.passphrase", 200 },
	{ "keys_import", "key.import", 200 },
};

static enum MHD_Result add_query(void *arg, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	json_t *a = arg;

	(void)kind;
	if (key != NULL && value != NULL && json_object_get(a, key) == NULL)
		json_object_set_new(a, key, json_string(value));
	return MHD_YES;
}

/* The operation's arguments: body, then the path id and the query. */
static json_t *arguments(struct req *r, struct resp *out)
{
	json_error_t e;
	json_t *a;

	if (r->body_len == 0) {
		a = json_object();
	} else {
		a = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
		if (a == NULL || !json_is_object(a)) {
			char msg[200];

			snprintf(msg, sizeof(msg), a ? "the body must be a JSON object"
						     : "invalid JSON at line %d: %s",
				 e.line, e.text);
			json_decref(a);
			resp_error(out, ESD_EJSON, msg);
			return NULL;
		}
	}
	if (r->param[0][0] != '\0' && json_object_get(a, "id") == NULL)
		json_object_set_new(a, "id", json_string(r->param[0]));
	if (strcmp(r->method, "GET") == 0)
		MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, add_query,
					  a);
	return a;
}

/* A login's "session": "cookie" (the console): the front takes it out of
 * the keeper's arguments and answers the token only as the HttpOnly
 * cookie, so no script ever sees it. 0, or a 400 in out. */
static int login_mode(json_t *a, struct resp *out, int *cookie_only)
{
	json_t *v = json_object_get(a, "session");

	*cookie_only = 0;
	if (v == NULL)
		return 0;
	if (!json_is_string(v) || strcmp(json_string_value(v), "cookie") != 0) {
		resp_error(out, ESD_EINVAL, "'session' may only be \"cookie\"");
		return ESD_EINVAL;
	}
	*cookie_only = 1;
	json_object_del(a, "session");
	return 0;
}

void api_ra(struct req *r, struct resp *out)
{
	const char *name = api_routes[r->route].name;
	json_t *a, *j;
	char *text;
	size_t i;
	int cookie_only = 0;
	struct ibuf b;

	for (i = 0; i < ESD_ARRAY_LEN(ops); i++)
		if (strcmp(ops[i].route, name) == 0)
			break;
	if (i == ESD_ARRAY_LEN(ops)) {
		resp_error(out, ESD_EINTERNAL, NULL);
		return;
	}
	if (r->body_len > IPC_MAX_PAYLOAD - 1024) {
		resp_error(out, ESD_ETOOBIG, "the request is larger than the "
			   "registration authority takes (4 MiB)");
		return;
	}
	a = arguments(r, out);
	if (a == NULL)
		return;
	if (strcmp(ops[i].op, "login") == 0 &&
	    login_mode(a, out, &cookie_only) != 0) {
		json_decref(a);
		return;
	}
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	if (text == NULL) {
		resp_error(out, ESD_ENOMEM, NULL);
		return;
	}
	kc_begin(&b, &r->cred);
	ibuf_put_str(&b, ops[i].op);
	ibuf_put_bytes(&b, text, strlen(text));
	/* Arguments may carry a passphrase or an activation code. */
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	if (api_keeper_json(out, MSG_RA, &b, &j) != 0)
		return;
	/* A letter is answered as the PDF itself. */
	if (strcmp(ops[i].op, "letter.get") == 0) {
		uint8_t *pdf = NULL;
		size_t n = 0;

		if (esd_b64_decode(json_string_value(json_object_get(j, "pdf")) ?: "",
				   &pdf, &n) != 0) {
			json_decref(j);
			resp_error(out, ESD_EPROTO, NULL);
			return;
		}
		json_decref(j);
		resp_text(out, 200, "application/pdf", (char *)pdf, n);
		return;
	}
	/* A login answers its token as a cookie for browsers too, with the
	 * CSRF token their scripts echo; a logout clears the cookie. */
	if (strcmp(ops[i].op, "login") == 0 &&
	    json_string_value(json_object_get(j, "token")) != NULL) {
		char csrf[65];

		api_csrf_of(json_string_value(json_object_get(j, "token")), csrf);
		json_object_set_new(j, "csrf", json_string(csrf));
		snprintf(out->header[0], sizeof(out->header[0]), "Set-Cookie");
		snprintf(out->header[1], sizeof(out->header[1]),
			 "esignd_session=%s; Path=/; Secure; HttpOnly; "
			 "SameSite=Strict",
			 json_string_value(json_object_get(j, "token")));
		if (cookie_only)
			json_object_del(j, "token");
	} else if (strcmp(ops[i].op, "logout") == 0) {
		snprintf(out->header[0], sizeof(out->header[0]), "Set-Cookie");
		snprintf(out->header[1], sizeof(out->header[1]),
			 "esignd_session=; Path=/; Secure; HttpOnly; "
			 "SameSite=Strict; Max-Age=0");
	}
	resp_json(out, ops[i].status, j);
}
