/*
 * Logins of verifiers, admins and seal officers (docs/activation.md
 * "Staff logins"): an admin creates the account (an officer's names its
 * seals) and its initial password is emailed (derived
 * in the token, never stored); the first login changes it and enrols an
 * authenticator app; every later login needs the password and a current
 * TOTP, and answers a session token with an idle and an absolute expiry.
 * The keeper authenticates a session like an API client's bearer token.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include "common/log.h"
#include "keeper/auth.h"
#include "keeper/lockout.h"
#include "keeper/ra_internal.h"
#include "ra/ra.h"

static const char *const staff_roles[] = { "verifier", "admin", "officer",
					   NULL };

#define OFFICER_SEALS_MAX 16

/* The seals an account names: an officer 1..OFFICER_SEALS_MAX distinct
 * ids of seal subscribers that exist in t, any other role none. 0, or
 * the error with r->msg (400, or 404 for an unknown subscriber). */
static int check_seals(struct store_txn *t, const char *role, json_t *seals,
		       struct reply *r)
{
	json_t *v, *sub = NULL;
	size_t i;
	int rc = 0;

	if (strcmp(role, "officer") != 0)
		return seals == NULL ? 0 : reply_error(r, ESD_EINVAL, "only an officer's "
						"account names 'seals'");
	if (!json_is_array(seals) || json_array_size(seals) == 0 ||
	    json_array_size(seals) > OFFICER_SEALS_MAX)
		return reply_error(r, ESD_EINVAL, "an officer names 1..%d seal subscribers "
			    "('seals', an array of ids)", OFFICER_SEALS_MAX);
	json_array_foreach(seals, i, v) {
		const char *id = json_string_value(v);

		if (id == NULL || strlen(id) > 64)
			return reply_error(r, ESD_EINVAL, "'seals' holds subscriber ids");
		for (size_t j = 0; j < i; j++)
			if (strcmp(json_string_value(json_array_get(seals, j)),
				   id) == 0)
				return reply_error(r, ESD_EINVAL, "seal %s is named twice",
					    id);
		rc = load_record(t, DB_SUBSCRIBERS, id, "subscriber", &sub, r);
		if (rc == 0 && !member_str_is(sub, "kind", "seal"))
			rc = reply_error(r, ESD_EINVAL, "subscriber %s is not a seal", id);
		json_decref(sub);
		sub = NULL;
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int check_role(const char *role, struct reply *r)
{
	for (size_t i = 0; role != NULL && staff_roles[i] != NULL; i++)
		if (strcmp(role, staff_roles[i]) == 0)
			return 0;
	return reply_error(r, ESD_EINVAL, "'role' is verifier, admin or officer");
}

int op_user_create(struct keeper *k, struct caller *c, json_t *a,
		   struct reply *r)
{
	const char *name = member_str(a, "name"), *role = member_str(a, "role");
	json_t *seals = json_object_get(a, "seals");
	struct store_txn *t = NULL;
	json_t *u = NULL, *vars = NULL;
	uint8_t nb[16];
	char nonce[33], who[96];
	int rc;

	if (ra_check_text("name", name, 64, r->msg, sizeof(r->msg)) != 0 ||
	    ra_check_email(member_str(a, "email"), r->msg, sizeof(r->msg)) != 0)
		return ESD_EINVAL;
	if ((rc = check_role(role, r)) != 0)
		return rc;
	if ((rc = esd_random(nb, sizeof(nb))) != 0)
		return rc;
	esd_hex(nb, sizeof(nb), nonce);
	u = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:s}", "name", name,
		      "email", member_str(a, "email"), "role", role, "lang",
		      member_str(a, "lang") ?: "id", "initial", nonce, "must_change", 1,
		      "created", (json_int_t)esd_now(), "created_by", c->actor);
	if (u != NULL && seals != NULL &&
	    keeper_json_set(u, "seals", json_incref(seals)) != 0) {
		json_decref(u);
		u = NULL;
	}
	snprintf(who, sizeof(who), "user:%s", name);
	vars = json_pack("{s:s, s:s}", "name", name, "role", role);
	rc = u && vars ? store_txn_begin(k->store, 1, &t) : ESD_ENOMEM;
	if (rc == 0)
		rc = check_seals(t, role, seals, r);
	if (rc == 0) {
		rc = store_put_json(t, DB_USERS, name, u, 1);
		if (rc == ESD_EEXIST)
			reply_error(r, rc, "a user named '%s' exists", name);
	}
	/* The initial password is derived from the nonce, like an
	 * activation code: the email carries it, the store does not. */
	if (rc == 0)
		rc = kra_outbox_add(t, member_str(a, "email"), "account", member_str(a, "lang"),
				    vars, who, nonce);
	if (rc == 0)
		rc = audit_record(t, c, "user.create", name,
			   json_pack("{s:s, s:O*}", "role", role, "seals", seals));
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s, s:s, s:O*}", "name", name, "role",
				    role, "sent_to", member_str(a, "email"), "seals", seals);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	store_txn_abort(t);
	json_decref(vars);
	json_decref(u);
	return rc;
}

/* The password: the emailed initial one until it is changed, then the
 * Argon2id hash. */
static int password_ok(struct keeper *k, json_t *u, const char *pw)
{
	char who[96];

	if (pw == NULL)
		return 0;
	if (json_is_true(json_object_get(u, "must_change"))) {
		snprintf(who, sizeof(who), "user:%s", member_str(u, "name"));
		return keeper_code_matches(k, who, member_str(u, "initial"), pw);
	}
	return member_str(u, "password") != NULL &&
	       crypto_pwhash_str_verify(member_str(u, "password"), pw, strlen(pw)) == 0;
}

static int new_session(struct keeper *k, struct caller *c, struct store_txn *t,
		       json_t *u, struct reply *r)
{
	char token[65], hex[65];
	uint64_t idle, max;
	json_t *s;
	int rc;

	pthread_mutex_lock(&k->cfg_mu);
	idle = k->cfg.session_idle_seconds;
	max = k->cfg.session_max_seconds;
	pthread_mutex_unlock(&k->cfg_mu);
	if ((rc = kra_new_token(token, hex)) != 0)
		return rc;
	/* An officer's session carries the seals the account names. */
	s = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:O*}", "user",
		      member_str(u, "name"), "role", member_str(u, "role"), "hash", hex,
		      "created", (json_int_t)esd_now(), "seen",
		      (json_int_t)esd_now(), "expires",
		      (json_int_t)(esd_now() + (int64_t)max), "idle",
		      (json_int_t)idle, "seals", json_object_get(u, "seals"));
	rc = s ? store_put_json(t, DB_SESSIONS, hex, s, 1) : ESD_ENOMEM;
	if (rc == 0)
		rc = store_audit(t, c->actor, "login", member_str(u, "name"), 0, NULL);
	if (rc == 0) {
		r->json = json_pack("{s:s, s:s, s:s, s:I, s:I, s:O*}", "user",
				    member_str(u, "name"), "role", member_str(u, "role"),
				    "token", token, "expires",
				    (json_int_t)(esd_now() + (int64_t)max),
				    "idle_seconds", (json_int_t)idle, "seals",
				    json_object_get(u, "seals"));
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	OPENSSL_cleanse(token, sizeof(token));
	json_decref(s);
	return rc;
}

/* Enrolment on the first login: a new secret, answered once. */
static int enrol(struct keeper *k, struct store_txn *t, json_t *u,
		 struct reply *r)
{
	uint8_t secret[20], *png = NULL;
	char b32[40], uri[300], *enc = NULL, *png64 = NULL;
	size_t plen = 0;
	int rc = esd_random(secret, sizeof(secret));

	if (rc == 0)
		rc = keeper_secret_seal(k, member_str(u, "name"), secret, sizeof(secret),
					&enc);
	ra_base32(secret, sizeof(secret), b32);
	snprintf(uri, sizeof(uri), "otpauth://totp/esignd:%s?secret=%s"
		 "&issuer=esignd&algorithm=SHA1&digits=6&period=%d",
		 member_str(u, "name"), b32, RA_TOTP_PERIOD);
	if (rc == 0)
		rc = ra_qr_png(uri, 4, &png, &plen);
	if (rc == 0 && (png64 = esd_b64_encode(png, plen)) == NULL)
		rc = ESD_ENOMEM;
	if (rc == 0)
		rc = keeper_json_set(u, "totp", json_pack("{s:s, s:i, s:b}", "secret",
							  enc, "last_step", 0,
							  "confirmed", 0));
	if (rc == 0) {
		rc = store_put_json(t, DB_USERS, member_str(u, "name"), u, 0);
	}
	if (rc == 0) {
		r->json = json_pack("{s:s, s:b, s:{s:s, s:s, s:s}}", "user",
				    member_str(u, "name"), "enrol_required", 1, "totp",
				    "secret", b32, "uri", uri, "qr_png", png64);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(b32, sizeof(b32));
	OPENSSL_cleanse(uri, sizeof(uri));
	free(enc);
	free(png);
	free(png64);
	return rc;
}

/*
 * POST /v1/login {name, password, new_password?, totp?}. The first login
 * must give new_password; without an authenticator the answer enrols
 * one (no session yet); with one, a current TOTP (each step once) opens
 * a session. Unknown users and wrong passwords answer alike.
 */
int op_login(struct keeper *k, struct caller *c, json_t *a, struct reply *r)
{
	const char *name = member_str(a, "name");
	struct store_txn *t = NULL;
	json_t *u = NULL, *totp;
	char hash[crypto_pwhash_STRBYTES];
	uint8_t secret[64];
	size_t n;
	int64_t step = 0;
	struct lockout lo;
	int rc;

	/* The password and TOTP checks and their count are one step of the
	 * account's lockout (keeper/lockout.h). A locked account answers as
	 * an unknown name or a wrong password do, right password or not: a
	 * distinct "locked" would tell which names exist (docs/security.md).
	 * The lock shows in the audit log and to the admin. */
	rc = keeper_lockout_enter(k, &lo, LOCKOUT_USER, name, 0, r);
	if (rc == ESD_ELOCKED)
		rc = reply_error(r, ESD_EAUTH, "wrong user name or password");
	if (rc != 0)
		return rc;
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0 && store_get_json(t, DB_USERS, name, &u) != 0)
		rc = reply_error(r, ESD_EAUTH, "wrong user name or password");
	/* A disabled account answers as an unknown one, counting nothing. */
	if (rc == 0 && json_is_true(json_object_get(u, "disabled")))
		rc = reply_error(r, ESD_EAUTH, "wrong user name or password");
	if (rc == 0 && !password_ok(k, u, member_str(a, "password"))) {
		store_txn_abort(t);
		t = NULL;
		keeper_lockout_failed(k, c, &lo, "login", ESD_EAUTH);
		rc = reply_error(r, ESD_EAUTH, "wrong user name or password");
	}
	if (rc != 0)
		goto out;
	if (json_is_true(json_object_get(u, "must_change"))) {
		if (member_str(a, "new_password") == NULL) {
			rc = reply_error(r, ESD_EPERM, "the initial password must be "
				  "changed: give 'new_password'");
			goto out;
		}
		if ((rc = keeper_passphrase_hash(k, member_str(a, "new_password"), hash,
						 r)) != 0)
			goto out;
		rc = keeper_json_set(u, "password", json_string(hash));
		sodium_memzero(hash, sizeof(hash));
		if (rc != 0)
			goto out;
		json_object_del(u, "must_change");
		json_object_del(u, "initial");
	}
	json_object_del(u, "failures");
	json_object_del(u, "locked_until");
	totp = json_object_get(u, "totp");
	if (totp == NULL) {
		rc = enrol(k, t, u, r);
		goto done;
	}
	if (keeper_secret_open(k, name, member_str(totp, "secret"), secret,
			       sizeof(secret), &n) != 0) {
		rc = reply_error(r, ESD_EINTERNAL, "the enrolment cannot be read");
		goto out;
	}
	rc = ra_totp_check(secret, n, esd_now(), member_str(a, "totp"),
			   member_int(totp, "last_step"), &step) ? 0 : ESD_EAUTH;
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc != 0) {
		store_txn_abort(t);
		t = NULL;
		keeper_lockout_failed(k, c, &lo, "login", ESD_EAUTH);
		rc = reply_error(r, ESD_EAUTH, "a current authenticator code ('totp') "
			  "is required");
		goto out;
	}
	rc = keeper_json_update(totp, json_pack("{s:I, s:b}", "last_step",
				(json_int_t)step, "confirmed", 1));
	if (rc == 0)
		rc = store_put_json(t, DB_USERS, name, u, 0);
	if (rc == 0)
		rc = new_session(k, c, t, u, r);
done:
	if (rc == 0)
		rc = commit_and_mail(&t);
	if (rc != 0) {
		json_decref(r->json);
		r->json = NULL;
	}
out:
	store_txn_abort(t);
	keeper_lockout_leave(&lo);
	json_decref(u);
	return rc;
}

int op_logout(struct keeper *k, struct caller *c, json_t *a, struct reply *r)
{
	struct store_txn *t = NULL;
	char hex[65];
	int rc;

	(void)a;
	if (strncmp(c->actor, "user:", 5) != 0 || c->cred.kind != CRED_BEARER)
		return reply_error(r, ESD_EINVAL, "logout ends a login session; this "
			    "credential is not one");
	esd_hex(c->cred.token_hash, 32, hex);
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = store_del(t, DB_SESSIONS, hex, 64);
	if (rc == 0)
		rc = store_audit(t, c->actor, "logout", c->actor + 5, 0, NULL);
	if (rc == 0)
		rc = commit_and_mail(&t);
	store_txn_abort(t);
	if (rc == 0) {
		r->json = json_pack("{s:b}", "logged_out", 1);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	return rc;
}

int keeper_session_auth(struct keeper *k, struct store_txn *t, const char *hex,
			struct caller *c)
{
	json_t *s = NULL;
	int64_t now = esd_now();
	int rc = store_get_json(t, DB_SESSIONS, hex, &s);

	if (rc == ESD_ENOTFOUND)
		return ESD_EAUTH;
	if (rc != 0)
		return rc;
	if (CRYPTO_memcmp(member_str(s, "hash") ?: "", hex, 64) != 0 ||
	    member_int(s, "expires") <= now || member_int(s, "seen") + member_int(s, "idle") <= now) {
		json_decref(s);
		return ESD_EAUTH;
	}
	snprintf(c->actor, sizeof(c->actor), "user:%s", member_str(s, "user"));
	c->role = pol_role_parse(member_str(s, "role"), 0);
	c->admin = c->role == POL_ROLE_ADMIN;
	c->seals = json_incref(json_object_get(s, "seals"));
	/* Activity moves the idle deadline; a write at most each minute. */
	if (member_int(s, "seen") + 60 <= now) {
		struct store_txn *w = NULL;

		if (keeper_json_set(s, "seen", json_integer(now)) == 0 &&
		    store_txn_begin(k->store, 1, &w) == 0 &&
		    store_put_json(w, DB_SESSIONS, hex, s, 0) == 0)
			store_txn_commit(w);
		else if (w != NULL)
			store_txn_abort(w);
	}
	json_decref(s);
	return 0;
}

/* ---- staff management (an admin's: the console's staff page) ---- */

json_t *keeper_user_public(json_t *u)
{
	return json_pack("{s:s?, s:s?, s:s?, s:s?, s:O*, s:O*, s:s?, s:b, s:b, "
			 "s:b, s:b}", "name", member_str(u, "name"), "email",
			 member_str(u, "email"), "role", member_str(u, "role"),
			 "lang", member_str(u, "lang"), "seals",
			 json_object_get(u, "seals"), "created",
			 json_object_get(u, "created"), "created_by",
			 member_str(u, "created_by"), "disabled",
			 json_is_true(json_object_get(u, "disabled")), "enrolled",
			 json_object_get(u, "totp") != NULL, "must_change",
			 json_is_true(json_object_get(u, "must_change")), "locked",
			 member_int(u, "locked_until") > esd_now());
}

struct drop_sessions {
	struct store_txn *t;
	const char *user;
	char keys[64][65];
	size_t n;
};

static int session_of(void *arg, const void *key, size_t klen,
		      const void *val, size_t vlen)
{
	struct drop_sessions *d = arg;
	json_t *s = json_loadb(val, vlen, 0, NULL);
	int mine = member_str_is(s, "user", d->user);

	json_decref(s);
	if (mine && klen == 64 && d->n < ESD_ARRAY_LEN(d->keys)) {
		memcpy(d->keys[d->n], key, 64);
		d->keys[d->n++][64] = '\0';
	}
	return 0;
}

/* Ends every session of user in t (the walk, then the deletes). */
static int drop_user_sessions(struct store_txn *t, const char *user)
{
	struct drop_sessions d = { .t = t, .user = user };
	int rc;

	do {
		d.n = 0;
		rc = store_walk(t, DB_SESSIONS, session_of, &d);
		for (size_t i = 0; rc == 0 && i < d.n; i++)
			rc = store_del(t, DB_SESSIONS, d.keys[i], 64);
	} while (rc == 0 && d.n == ESD_ARRAY_LEN(d.keys));
	return rc;
}

enum user_change { USER_DISABLE, USER_ENABLE, USER_UNLOCK, USER_RESET };

static const char *const user_change_name[] = {
	[USER_DISABLE] = "user.disable", [USER_ENABLE] = "user.enable",
	[USER_UNLOCK] = "user.unlock", [USER_RESET] = "user.reset",
};

/* The change itself on the account record u, in t. */
static int apply_change(struct store_txn *t, json_t *u, const char *name,
			enum user_change what)
{
	json_t *vars;
	char who[96], nonce[33];
	uint8_t nb[16];
	int rc;

	switch (what) {
	case USER_DISABLE:
		rc = keeper_json_set(u, "disabled", json_true());
		return rc == 0 ? drop_user_sessions(t, name) : rc;
	case USER_ENABLE:
		json_object_del(u, "disabled");
		return 0;
	case USER_UNLOCK:
		json_object_del(u, "failures");
		json_object_del(u, "locked_until");
		return 0;
	case USER_RESET:
		break;
	}
	/* Reset: as on the first day, with a new initial password. */
	if ((rc = esd_random(nb, sizeof(nb))) != 0)
		return rc;
	esd_hex(nb, sizeof(nb), nonce);
	snprintf(who, sizeof(who), "user:%s", name);
	json_object_del(u, "password");
	json_object_del(u, "totp");
	json_object_del(u, "failures");
	json_object_del(u, "locked_until");
	rc = keeper_json_update(u, json_pack("{s:s, s:b}", "initial", nonce,
					     "must_change", 1));
	if (rc == 0)
		rc = drop_user_sessions(t, name);
	vars = json_pack("{s:s, s:s}", "name", name, "role",
			 member_str(u, "role") ?: "");
	if (rc == 0)
		rc = vars == NULL ? ESD_ENOMEM
		     : kra_outbox_add(t, member_str(u, "email"), "account",
				      member_str(u, "lang"), vars, who, nonce);
	json_decref(vars);
	return rc;
}

/*
 * One change to a staff account, with its audit record, in one
 * transaction: disable (and end its sessions), enable, unlock (clear the
 * lockout), reset (a new initial password by email, the enrolment and
 * the password removed, sessions ended: the person starts again as on
 * the first day). An admin does not disable or reset their own account.
 */
static int user_change(struct keeper *k, struct caller *c, json_t *a,
		       enum user_change what, struct reply *r)
{
	const char *name = member_str(a, "id");
	struct store_txn *t = NULL;
	json_t *u = NULL;
	struct pol_verdict v;
	char who[96];
	int rc;

	snprintf(who, sizeof(who), "user:%s", name);
	if ((what == USER_DISABLE || what == USER_RESET) &&
	    pol_own_account(strcmp(c->actor, who) == 0, user_change_name[what],
			    &v) != 0)
		return reply_error(r, v.code, "%s", v.msg);
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0)
		rc = load_record(t, DB_USERS, name, "user", &u, r);
	if (rc == 0)
		rc = apply_change(t, u, name, what);
	if (rc == 0)
		rc = store_put_json(t, DB_USERS, name, u, 0);
	if (rc == 0)
		rc = audit_record(t, c, user_change_name[what], name, NULL);
	if (rc == 0)
		rc = commit_and_mail(&t);
	store_txn_abort(t);
	if (rc == 0) {
		r->json = json_pack("{s:o}", "user", keeper_user_public(u));
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	json_decref(u);
	return rc;
}

int op_user_disable(struct keeper *k, struct caller *c, json_t *a,
		    struct reply *r)
{
	return user_change(k, c, a, USER_DISABLE, r);
}

int op_user_enable(struct keeper *k, struct caller *c, json_t *a,
		   struct reply *r)
{
	return user_change(k, c, a, USER_ENABLE, r);
}

int op_user_unlock(struct keeper *k, struct caller *c, json_t *a,
		   struct reply *r)
{
	return user_change(k, c, a, USER_UNLOCK, r);
}

int op_user_reset(struct keeper *k, struct caller *c, json_t *a,
		  struct reply *r)
{
	return user_change(k, c, a, USER_RESET, r);
}
