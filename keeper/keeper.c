#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/resource.h>
#include <sys/timex.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <jansson.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/child.h"
#include "daemon/ipc.h"
#include "keeper/keeper.h"
#include "keeper/internal.h"
#include "keeper/auth.h"
#include "keeper/ra.h"
#include <sodium.h>
#include "daemon/proto.h"
#include "daemon/sandbox.h"
#include "hsm/hsm.h"
#include "pki/pki.h"
#include "store/store.h"



static int h_health(struct keeper *k, struct caller *c, struct ibuf *in,
		    struct reply *r);
static int h_status(struct keeper *k, struct caller *c, struct ibuf *in,
		    struct reply *r);

/* The dispatch table: adding a message is one row and one function.
 * Lengths are of the whole payload, credential included. */
static const struct {
	uint16_t type;
	handler_fn fn;
	size_t min_len, max_len;
	enum pol_need need;      /* who may send it (policy/access.c) */
	const char *name;
} dispatch[] = {
	{ MSG_HEALTH, h_health, 1, 64, POL_NEED_ANYONE, "health" },
	{ MSG_STATUS, h_status, 1, 64, POL_NEED_ADMIN, "status" },
	{ MSG_KEYS_LIST, h_keys_list, 1, 64, POL_NEED_ADMIN, "keys.list" },
	{ MSG_KEY_GENERATE, h_key_generate, 9, 256, POL_NEED_ADMIN, "keys.generate" },
	{ MSG_KEY_SIGN, h_key_sign, 17, 512, POL_NEED_ADMIN_PEER, "keys.sign" },
	{ MSG_AUDIT_VERIFY, h_audit_verify, 1, 64, POL_NEED_ADMIN, "audit.verify" },
	{ MSG_AUDIT_EXPORT, h_audit_export, 13, 64, POL_NEED_ADMIN, "audit.export" },
	{ MSG_DOC_KEY, h_doc_key, 9, 512, POL_NEED_CLIENT, "doc.key" },
	{ MSG_DOC_SIGN, h_doc_sign, 17, 4096, POL_NEED_CLIENT, "doc.sign" },
	{ MSG_TSA, h_tsa, 5, 512, POL_NEED_ANYONE, "tsa" },
	{ MSG_OCSP, h_ocsp, 5, 2048, POL_NEED_ANYONE, "ocsp" },
	{ MSG_CRL, h_crl, 5, 256, POL_NEED_ANYONE, "crl" },
	{ MSG_CA_CERT, h_ca_cert, 5, 256, POL_NEED_ANYONE, "ca.cert" },
	{ MSG_LT_DATA, h_lt_data, 5, 128, POL_NEED_ANYONE, "lt.data" },
	{ MSG_CERT_LIST, h_cert_list, 1, 64, POL_NEED_ADMIN, "certs.list" },
	{ MSG_CERT_REVOKE, h_cert_revoke, 9, 256, POL_NEED_ADMIN, "certs.revoke" },
	/* The RA checks roles per operation (keeper/ra.c). */
	{ MSG_RA, h_ra, 9, IPC_MAX_PAYLOAD, POL_NEED_ANYONE, "ra" },
	{ MSG_CERT_EXPIRY, h_cert_expiry, 1, 64, POL_NEED_ANYONE, "certs.expiry" },
	{ MSG_RESULT_PUT, h_result_put, 9, IPC_MAX_PAYLOAD, POL_NEED_CLIENT,
	  "result.put" },
	{ MSG_RESULT_GET, h_result_get, 5, 256, POL_NEED_CLIENT, "result.get" },
};

static int read_cred(struct ibuf *in, struct cred *c)
{
	uint8_t kind;
	const uint8_t *p;
	size_t n;

	memset(c, 0, sizeof(*c));
	if (ibuf_get_u8(in, &kind) != 0)
		return ESD_EPROTO;
	switch (kind) {
	case CRED_NONE:
		return 0;
	case CRED_BEARER:
	case CRED_BASIC:
		if (ibuf_get_bytes(in, &p, &n) != 0 || n != 32)
			return ESD_EPROTO;
		c->kind = kind;
		memcpy(c->token_hash, p, 32);
		if (kind == CRED_BASIC &&
		    ibuf_get_str(in, c->user, sizeof(c->user)) != 0)
			return ESD_EPROTO;
		return 0;
	case CRED_PEER:
		/* Who the peer is comes from its connection (peer_cred),
		 * never from the frame. */
		c->kind = CRED_PEER;
		return 0;
	default:
		return ESD_EPROTO;
	}
}

/*
 * The uid and gid of a Unix-socket client, read by the keeper from the
 * connection the front handed over (peer, SCM_RIGHTS). The descriptor
 * must be a connection accepted on the configured unix_socket: a
 * stream socket, not listening, whose own address is that path. A
 * client's end of a connection (whose SO_PEERCRED names the listener)
 * or a socketpair the front made itself has another address and is
 * refused. ESD_EAUTH when there is no such connection.
 */
static int peer_cred(struct keeper *k, int peer, struct cred *out)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	struct ucred uc;
	int v = 0, ok;
	socklen_t vl = sizeof(v);

	if (peer < 0)
		return ESD_EAUTH;
	if (getsockopt(peer, SOL_SOCKET, SO_DOMAIN, &v, &vl) != 0 || v != AF_UNIX)
		return ESD_EAUTH;
	vl = sizeof(v);
	if (getsockopt(peer, SOL_SOCKET, SO_TYPE, &v, &vl) != 0 ||
	    v != SOCK_STREAM)
		return ESD_EAUTH;
	vl = sizeof(v);
	if (getsockopt(peer, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl) != 0 || v != 0)
		return ESD_EAUTH;
	memset(&sa, 0, sizeof(sa));
	if (getsockname(peer, (struct sockaddr *)&sa, &len) != 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path) ||
	    sa.sun_family != AF_UNIX)
		return ESD_EAUTH;
	pthread_mutex_lock(&k->cfg_mu);
	ok = k->cfg.unix_socket[0] != '\0' &&
	     strnlen(sa.sun_path, sizeof(sa.sun_path)) ==
	     strlen(k->cfg.unix_socket) &&
	     strncmp(sa.sun_path, k->cfg.unix_socket, sizeof(sa.sun_path)) == 0;
	pthread_mutex_unlock(&k->cfg_mu);
	len = sizeof(uc);
	if (!ok || getsockopt(peer, SOL_SOCKET, SO_PEERCRED, &uc, &len) != 0)
		return ESD_EAUTH;
	out->uid = uc.uid;
	out->gid = uc.gid;
	return 0;
}

/*
 * API clients' records, cached under the store's key generation, which
 * every committed write of a client's record moves (store_keys_gen): a
 * record read after generation G was read is the client's while the
 * generation is G, on every node. An API client's message then costs a
 * generation read (none on LMDB), which the key lookup of a signing
 * message shares (caller.gen), instead of a read transaction.
 */
#define CLIENT_CACHE 16
static struct client_cache {
	char key[65];         /* SHA-256 of the token, hex */
	uint64_t gen;
	json_t *rec;
} clients[CLIENT_CACHE];
static pthread_mutex_t clients_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned clients_next;

/* The cached record of key at generation gen (a new reference), or NULL. */
static json_t *client_cached(const char *key, uint64_t gen)
{
	json_t *rec = NULL;

	pthread_mutex_lock(&clients_mu);
	for (size_t i = 0; i < CLIENT_CACHE && rec == NULL; i++)
		if (clients[i].rec != NULL && clients[i].gen == gen &&
		    strcmp(clients[i].key, key) == 0)
			rec = json_incref(clients[i].rec);
	pthread_mutex_unlock(&clients_mu);
	return rec;
}

static void client_cache_put(const char *key, uint64_t gen, json_t *rec)
{
	struct client_cache *e = NULL;

	pthread_mutex_lock(&clients_mu);
	for (size_t i = 0; i < CLIENT_CACHE && e == NULL; i++)
		if (clients[i].rec != NULL && strcmp(clients[i].key, key) == 0)
			e = &clients[i];
	if (e == NULL)
		e = &clients[clients_next++ % CLIENT_CACHE];
	json_decref(e->rec);
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->gen = gen;
	e->rec = json_incref(rec);
	pthread_mutex_unlock(&clients_mu);
}

/* Decides who the caller is. A bearer token is looked up by its SHA-256
 * (a 256-bit random token needs no slow hash); the lookup key is itself
 * the comparison, and the stored record repeats it for a constant-time
 * check. */
static int authenticate(struct keeper *k, struct caller *c, int peer)
{
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	char key[65];
	int rc = 0;

	switch (c->cred.kind) {
	case CRED_NONE:
		snprintf(c->actor, sizeof(c->actor), "anonymous");
		return 0;
	case CRED_PEER:
		rc = peer_cred(k, peer, &c->cred);
		if (rc != 0)
			return rc;
		snprintf(c->actor, sizeof(c->actor), "uid:%u",
			 (unsigned)c->cred.uid);
		pthread_mutex_lock(&k->cfg_mu);
		for (size_t i = 0; i < k->cfg.n_admin_uids; i++)
			if (k->cfg.admin_uids[i] == c->cred.uid)
				c->admin = 1;
		c->role = pol_role_parse("", c->admin);
		pthread_mutex_unlock(&k->cfg_mu);
		return 0;
	case CRED_BEARER:
	case CRED_BASIC:
		break;
	}
	esd_hex(c->cred.token_hash, 32, key);
	rc = store_keys_gen(k->store, &c->gen);
	if (rc != 0)
		return rc;
	c->gen_read = 1;
	rec = client_cached(key, c->gen);
	if (rec == NULL) {
		rc = store_txn_begin(k->store, 0, &t);
		if (rc != 0)
			return rc;
		rc = store_get_json(t, DB_CLIENTS, key, &rec);
		if (rc == ESD_ENOTFOUND) {
			/* Or a verifier's or admin's login session (bearer
			 * only). */
			rc = c->cred.kind == CRED_BEARER
				     ? keeper_session_auth(k, t, key, c)
				     : ESD_EAUTH;
			goto out;
		}
		if (rc != 0)
			goto out;
		client_cache_put(key, c->gen, rec);
	}
	{
		const char *h = json_string_value(json_object_get(rec, "hash"));
		const char *name = json_string_value(json_object_get(rec, "name"));
		const char *role = json_string_value(json_object_get(rec, "role"));

		/* Basic names the client too: both must match. */
		if (h == NULL || strlen(h) != 64 ||
		    CRYPTO_memcmp(h, key, 64) != 0 || name == NULL ||
		    (c->cred.kind == CRED_BASIC && strcmp(name, c->cred.user) != 0)) {
			rc = ESD_EAUTH;
			goto out;
		}
		snprintf(c->actor, sizeof(c->actor), "client:%s", name);
		c->role = pol_role_parse(role, 0);
		c->admin = c->role == POL_ROLE_ADMIN;
		snprintf(c->default_key, sizeof(c->default_key), "%s",
			 json_string_value(json_object_get(rec, "default_key")) ?: "");
		c->keys = json_incref(json_object_get(rec, "keys"));
	}
out:
	json_decref(rec);
	store_txn_abort(t);
	return rc;
}

void keeper_clock_state(int *synced, long *max_error_us)
{
	struct timex tx;
	int st;

	memset(&tx, 0, sizeof(tx));
	st = adjtimex(&tx);
	*synced = st >= 0 && st != TIME_ERROR && !(tx.status & STA_UNSYNC);
	*max_error_us = tx.maxerror;
}

int keeper_clock_check(struct keeper *k, struct reply *r)
{
	struct pol_clock pc = { 0 };
	struct pol_verdict v;
	int rc;

	pthread_mutex_lock(&k->cfg_mu);
	pc.required = k->cfg.require_synced_clock;
	pc.limit_ms = k->cfg.max_clock_error_ms;
	pthread_mutex_unlock(&k->cfg_mu);
	if (pc.required)
		keeper_clock_state(&pc.synced, &pc.max_error_us);
	rc = pol_clock_gate(&pc, &v);
	if (rc != 0)
		snprintf(r->msg, sizeof(r->msg), "%s", v.msg);
	return rc;
}

/* 1 if the store says the certificate with this serial is revoked (or
 * cannot tell: a signature is never made on an unknown status). */
int keeper_cert_revoked(struct keeper *k, const char *serial)
{
	struct store_txn *t;
	json_t *rec = NULL;
	const char *st;
	int revoked = 1;

	if (serial == NULL || store_txn_begin(k->store, 0, &t) != 0)
		return 1;
	if (store_get_json(t, DB_CERTS, serial, &rec) == 0) {
		st = json_string_value(json_object_get(rec, "status"));
		revoked = st == NULL || strcmp(st, "valid") != 0;
	}
	store_txn_abort(t);
	json_decref(rec);
	return revoked;
}

int keeper_key_record(struct keeper *k, const char *label, json_t **rec)
{
	struct store_txn *t;
	int rc = store_txn_begin(k->store, 0, &t);

	if (rc != 0)
		return rc;
	rc = store_get_json(t, DB_KEYS, label, rec);
	store_txn_abort(t);
	return rc;
}

struct find_purpose {
	const char *purpose;
	char *label;
	size_t skip;       /* matches to pass over first */
	int current;       /* pass over keys a rotation superseded */
};

static int find_purpose_cb(void *arg, const void *key, size_t klen,
			   const void *val, size_t vlen)
{
	struct find_purpose *f = arg;
	json_t *rec = json_loadb(val, vlen, 0, NULL);
	const char *p = json_string_value(json_object_get(rec, "purpose"));
	int found = p != NULL && strcmp(p, f->purpose) == 0 &&
		    klen <= HSM_LABEL_MAX &&
		    !(f->current && json_object_get(rec, "superseded_by") != NULL);

	if (found && f->skip > 0) {
		f->skip--;
		found = 0;
	} else if (found) {
		memcpy(f->label, key, klen);
		f->label[klen] = '\0';
	}
	json_decref(rec);
	return found;
}

static int by_purpose(struct keeper *k, const char *purpose, size_t n,
		      int current, char *label)
{
	struct find_purpose f = { purpose, label, n, current };
	struct store_txn *t;
	int rc = store_txn_begin(k->store, 0, &t);

	if (rc != 0)
		return rc;
	rc = store_walk(t, DB_KEYS, find_purpose_cb, &f);
	store_txn_abort(t);
	return rc == 1 ? 0 : rc == 0 ? ESD_ENOTFOUND : rc;
}

int keeper_key_by_purpose(struct keeper *k, const char *purpose, char *label)
{
	return by_purpose(k, purpose, 0, 1, label);
}

int keeper_key_by_purpose_nth(struct keeper *k, const char *purpose, size_t n,
			      char *label)
{
	return by_purpose(k, purpose, n, 0, label);
}

int keeper_record_cert(json_t *rec, X509 **out)
{
	const char *pem = json_string_value(json_object_get(rec, "cert"));

	if (pem == NULL)
		return ESD_ENOTFOUND;
	return pki_cert_from_pem(pem, strlen(pem), out) == 0 ? 0 : ESD_ESTORE;
}

int keeper_record_chain(json_t *rec, STACK_OF(X509) **out)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	json_t *v;
	size_t i;

	if (sk == NULL)
		return ESD_ENOMEM;
	json_array_foreach(json_object_get(rec, "chain"), i, v) {
		const char *pem = json_string_value(v);
		X509 *x = NULL;

		if (pem == NULL || pki_cert_from_pem(pem, strlen(pem), &x) != 0 ||
		    !sk_X509_push(sk, x)) {
			X509_free(x);
			sk_X509_pop_free(sk, X509_free);
			return ESD_ESTORE;
		}
	}
	*out = sk;
	return 0;
}

int keeper_audit(struct keeper *k, struct caller *c, const char *action,
		 const char *target, int result, json_t *detail)
{
	return store_audit_sync(k->store, c->actor, action, target, result,
				detail);
}

static int h_health(struct keeper *k, struct caller *c, struct ibuf *in,
		    struct reply *r)
{
	struct store_txn *t;
	struct reply tmp;
	int tok, st, synced;
	long max_error;
	int64_t now = esd_now();
	/* After 2023-11 (not a reset RTC), and synchronised if required. */
	int clock_ok = now > 1700000000 && keeper_clock_check(k, &tmp) == 0;

	(void)c;
	if (ibuf_done(in) != 0)
		return ESD_EINVAL;
	keeper_clock_state(&synced, &max_error);
	tok = hsm_health(k->hsm);
	st = store_txn_begin(k->store, 0, &t);
	if (st == 0)
		store_txn_abort(t);
	r->json = json_pack("{s:b, s:{s:{s:b, s:s}, s:{s:b, s:s, s:s}, s:{s:b, s:I, s:b, s:I}}}",
			    "ok", tok == 0 && st == 0 && clock_ok,
			    "checks",
			    "token", "ok", tok == 0, "error", esd_err_name(tok),
			    "store", "ok", st == 0, "backend",
			    store_backend(k->store), "error", esd_err_name(st),
			    "clock", "ok", clock_ok, "time", (json_int_t)now,
			    "synchronised", synced,
			    "max_error_us", (json_int_t)max_error);
	return r->json ? 0 : ESD_ENOMEM;
}

static int h_status(struct keeper *k, struct caller *c, struct ibuf *in,
		    struct reply *r)
{
	char label[64], manuf[64], model[64];
	uint64_t nkeys = 0, nclients = 0, naudit = 0, errors, reconnects;
	struct store_txn *t;
	int tok, rc;

	(void)c;
	if (ibuf_done(in) != 0)
		return ESD_EINVAL;
	tok = hsm_token_info(k->hsm, label, manuf, model, sizeof(label));
	rc = store_txn_begin(k->store, 0, &t);
	if (rc != 0)
		return rc;
	store_count(t, DB_KEYS, &nkeys);
	store_count(t, DB_CLIENTS, &nclients);
	store_count(t, DB_AUDIT, &naudit);
	store_txn_abort(t);
	hsm_counters(k->hsm, &errors, &reconnects);
	r->json = json_pack("{s:s, s:I, s:{s:b, s:s, s:s, s:s, s:I, s:I},"
			    " s:{s:I, s:I, s:I}}",
			    "version", ESD_VERSION,
			    "uptime", (json_int_t)(esd_now() - k->started),
			    "token", "ok", tok == 0, "label", tok ? "" : label,
			    "manufacturer", tok ? "" : manuf,
			    "model", tok ? "" : model,
			    "errors", (json_int_t)errors,
			    "reconnects", (json_int_t)reconnects,
			    "store", "keys", (json_int_t)nkeys,
			    "clients", (json_int_t)nclients,
			    "audit_records", (json_int_t)naudit);
	return r->json ? 0 : ESD_ENOMEM;
}

/* Handles one request frame; always produces a reply. */
static void handle(struct keeper *k, int fd, struct ipc_msg *m, int peer)
{
	struct reply r = { NULL, NULL, 0, { 0 } };
	struct caller c;
	struct ibuf in;
	size_t i;
	int rc;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < ESD_ARRAY_LEN(dispatch); i++)
		if (dispatch[i].type == m->type)
			break;
	if (i == ESD_ARRAY_LEN(dispatch)) {
		rc = ESD_EPROTO;
		snprintf(r.msg, sizeof(r.msg), "unknown message type %u",
			 (unsigned)m->type);
		goto reply;
	}
	if (m->len < dispatch[i].min_len || m->len > dispatch[i].max_len) {
		rc = ESD_EINVAL;
		goto reply;
	}
	ibuf_view(&in, m->data, m->len);
	rc = read_cred(&in, &c.cred);
	if (rc == 0)
		rc = authenticate(k, &c, peer);
	if (rc != 0)
		goto reply;
	{
		struct pol_caller pc = { c.role, c.cred.kind != CRED_NONE,
					 c.cred.kind == CRED_PEER, 0 };
		struct pol_verdict v;

		rc = pol_may_call(&pc, dispatch[i].need, dispatch[i].name, &v);
		if (rc != 0) {
			snprintf(r.msg, sizeof(r.msg), "%s", v.msg);
			goto reply;
		}
	}
	rc = dispatch[i].fn(k, &c, &in, &r);
reply:
	if (rc == 0 && r.bin != NULL) {
		if (ipc_send(fd, m->type, 0, r.bin, r.bin_len) != 0)
			log_warn("keeper: cannot send reply");
	} else if (rc == 0) {
		char *text = json_dumps(r.json, JSON_COMPACT);

		if (text == NULL || ipc_send(fd, m->type, 0, text, strlen(text)) != 0)
			log_warn("keeper: cannot send reply");
		/* A reply may carry a new secret (a token, a TOTP seed). */
		if (text != NULL)
			OPENSSL_cleanse(text, strlen(text));
		free(text);
	} else {
		const char *msg = r.msg[0] ? r.msg : esd_err_msg(rc);

		if (ipc_send(fd, m->type, (int16_t)rc, msg, strlen(msg)) != 0)
			log_warn("keeper: cannot send reply");
	}
	json_decref(r.json);
	OPENSSL_free(r.bin);
	json_decref(c.keys);
	json_decref(c.seals);
	OPENSSL_cleanse(&c, sizeof(c));
}

/* Worker threads alive; a hung token must not make them pile up as the
 * front replaces the channels it gave up on. */
#define MAX_WORKERS 256
static atomic_int nworkers;

struct worker_arg {
	struct keeper *k;
	int fd;
};

static void *worker(void *p)
{
	struct worker_arg *a = p;
	struct ipc_msg m;

	for (;;) {
		int peer = -1;
		int rc = ipc_recv_fd(a->fd, &m, IPC_MAX_PAYLOAD, &peer);

		if (rc != 0) {
			if (rc != ESD_EIO)
				log_warn("keeper: dropping channel: %s",
					 esd_err_name(rc));
			break;
		}
		handle(a->k, a->fd, &m, peer);
		if (peer >= 0)
			close(peer);
		ipc_msg_clear(&m);
	}
	close(a->fd);
	free(a);
	atomic_fetch_sub(&nworkers, 1);
	return NULL;
}

static int start_workers(struct keeper *k, const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct worker_arg *a;
		pthread_t th;

		if (atomic_fetch_add(&nworkers, 1) >= MAX_WORKERS) {
			atomic_fetch_sub(&nworkers, 1);
			log_warn("keeper: %d workers busy; refusing a channel",
				 MAX_WORKERS);
			close(fds[i]);
			continue;
		}
		a = malloc(sizeof(*a));
		if (a == NULL) {
			atomic_fetch_sub(&nworkers, 1);
			close(fds[i]);
			return ESD_ENOMEM;
		}
		a->k = k;
		a->fd = fds[i];
		if (pthread_create(&th, NULL, worker, a) != 0) {
			atomic_fetch_sub(&nworkers, 1);
			close(fds[i]);
			free(a);
			return ESD_ENOMEM;
		}
		pthread_detach(th);
	}
	return 0;
}

static int open_token(struct keeper *k)
{
	char *pin = NULL;
	size_t len;
	int rc;

	if (k->cfg.softhsm_conf[0] != '\0')
		setenv("SOFTHSM2_CONF", k->cfg.softhsm_conf, 1);
	rc = esd_read_file(k->cfg.pin_file, 256, &pin, &len);
	if (rc != 0) {
		log_err("keeper: cannot read pin_file %s: %s", k->cfg.pin_file,
			esd_err_msg(rc));
		return rc;
	}
	rc = hsm_open(k->cfg.pkcs11_module, k->cfg.token_label, esd_trim(pin),
		      &k->hsm);
	OPENSSL_cleanse(pin, len);
	free(pin);
	if (rc == ESD_ETOKEN) {
		log_warn("keeper: the token is not usable now; serving with "
			 "token_unavailable until it is");
		return 0;
	}
	return rc;
}

static void on_channels(void *arg, const int *fds, size_t n)
{
	struct keeper *k = arg;

	if (start_workers(k, fds, n) != 0)
		log_err("keeper: cannot start workers for new channels");
	else
		log_info("keeper: %zu new channels", n);
}

static void on_config(void *arg, const struct esd_config *nc)
{
	struct keeper *k = arg;

	pthread_mutex_lock(&k->cfg_mu);
	memcpy(k->cfg.admin_uids, nc->admin_uids, sizeof(nc->admin_uids));
	k->cfg.n_admin_uids = nc->n_admin_uids;
	k->cfg.log_level = nc->log_level;
	k->cfg.require_synced_clock = nc->require_synced_clock;
	k->cfg.max_clock_error_ms = nc->max_clock_error_ms;
	pthread_mutex_unlock(&k->cfg_mu);
	log_set_level(nc->log_level);
	log_info("keeper: configuration reloaded");
}

int keeper_main(const struct esd_config *cfg, int ctl, const int *chans,
		size_t nchans)
{
	struct keeper k;
	struct child_hooks hooks = { on_channels, NULL, on_config, &k };
	int rc;

	log_init("keeper", cfg->log_level);
	log_set_format(strcmp(cfg->log_format, "json") == 0);
	child_json_wipe_on_free();
	memset(&k, 0, sizeof(k));
	memcpy(&k.cfg, cfg, sizeof(*cfg));
	pthread_mutex_init(&k.cfg_mu, NULL);
	k.started = esd_now();
	sandbox_no_dumps();
	child_signals();

	if (sodium_init() < 0)
		return KEEPER_EXIT_FATAL;
	rc = open_token(&k);
	if (rc == ESD_EAUTH)
		return KEEPER_EXIT_FATAL;
	if (rc != 0)
		return 2;
	rc = store_open(config_store(cfg), cfg->lmdb_map_size, 0, &k.store);
	if (rc != 0) {
		/* Not the store setting itself: it may hold a password. */
		log_err("keeper: cannot open the state store %s%s",
			cfg->store[0] != '\0' ? "(the store setting)" : cfg->state_dir,
			rc == ESD_EDBDOWN ? ": the database is out of reach; "
			"trying again" : "");
		hsm_close(k.hsm);
		/* Out of reach: the master starts the keeper again, after
		 * growing delays (up to 5 s), until the database is back. */
		return rc == ESD_EDBDOWN ? KEEPER_EXIT_TEMPFAIL : KEEPER_EXIT_FATAL;
	}
	if (start_workers(&k, chans, nchans) != 0)
		return 2;
	if (keeper_checkpoints_start(&k) != 0)
		log_warn("keeper: no audit checkpoint thread");
	if (keeper_mail_start(&k) != 0)
		log_warn("keeper: no mail thread: emails stay in the outbox");
	child_ready(ctl);
	log_info("keeper: ready, %zu channels", nchans);
	child_serve(ctl, &hooks);
	/* Worker threads may be inside a transaction or a token call:
	 * exit without tearing down what they use. LMDB commits are
	 * atomic, so nothing acknowledged is lost and nothing half-done
	 * is visible. */
	log_info("keeper: stopping");
	return 0;
}
