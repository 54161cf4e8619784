/*
 * Authorising subscribers' signatures (keeper/auth.c, docs/activation.md):
 * passphrases of individuals, activations and seal codes of seals,
 * lockouts.
 */
#ifndef ESD_KEEPER_AUTH_H
#define ESD_KEEPER_AUTH_H

#include "keeper/internal.h"

/* What a signature consumes once it is made. */
struct auth_ticket {
	int seal;              /* a seal code is consumed */
	char code_key[80];     /* its DB_RA_INDEX key */
	int otp;               /* an individual's one-time code is consumed */
	char sub[64];          /* its subscriber */
	char nonce[33];        /* and the batch it belongs to */
	int sad;               /* a batch authorisation's digest is consumed */
	char digest[65];       /* (code_key holds the authorisation's key) */
};

/*
 * Checks the authorisation of a signature with the key whose record is
 * keyrec: none for a key without a subscriber; an individual's passphrase
 * (auth), counting a wrong one; a seal's seal code (auth), to consume
 * with keeper_auth_consume in the audit record's transaction.
 */
int keeper_auth_prepare(struct keeper *k, struct caller *c, json_t *keyrec,
			const char *auth, const uint8_t doc_digest[32],
			struct auth_ticket *tk, struct reply *r);
/* store_apply_fn: takes one document off the ticket's seal code. */
int keeper_auth_consume(struct store_txn *t, void *tk);

/* Shared by keeper/auth.c and keeper/seal.c. */
struct auth_limits {
	uint64_t max_failures, lock_seconds, activation_hours, max_docs, max_secs;
};
void auth_limits(struct keeper *k, struct auth_limits *l);
/* ra_index key of a seal code or batch authorisation: "sealcode:" +
 * hex SHA-256 of code. */
int auth_code_key(const char *code, char key[80])
	__attribute__((warn_unused_result));

/* 1 if given is the activation code of subscriber id for nonce. */
int keeper_code_matches(struct keeper *k, const char *id, const char *nonce,
			const char *given);
/* Checks a new passphrase (length, common ones) and hashes it with
 * Argon2id into hash (crypto_pwhash_STRBYTES). */
int keeper_passphrase_hash(struct keeper *k, const char *pass, char *hash,
			   struct reply *r);

/* MSG_RA operations. */
int op_individual_otp(struct keeper *k, struct caller *c, json_t *a,
		      struct reply *r);
int op_individual_authorize(struct keeper *k, struct caller *c, json_t *a,
			    struct reply *r);
int op_seal_activate(struct keeper *k, struct caller *c, json_t *a,
		     struct reply *r);
int op_seal_deactivate(struct keeper *k, struct caller *c, json_t *a,
		       struct reply *r);
int op_seal_code(struct keeper *k, struct caller *c, json_t *a,
		 struct reply *r);
int op_seal_totp(struct keeper *k, struct caller *c, json_t *a,
		 struct reply *r);
int op_seal_totp_reset(struct keeper *k, struct caller *c, json_t *a,
		       struct reply *r);
/* keeper/users.c: staff logins and sessions. */
int op_user_create(struct keeper *k, struct caller *c, json_t *a,
		   struct reply *r);
int op_login(struct keeper *k, struct caller *c, json_t *a, struct reply *r);
int op_logout(struct keeper *k, struct caller *c, json_t *a, struct reply *r);
/* Staff management (admin): the account without its secrets, and its
 * changes (keeper/users.c). */
json_t *keeper_user_public(json_t *u);
int op_user_disable(struct keeper *k, struct caller *c, json_t *a,
		    struct reply *r);
int op_user_enable(struct keeper *k, struct caller *c, json_t *a,
		   struct reply *r);
int op_user_unlock(struct keeper *k, struct caller *c, json_t *a,
		   struct reply *r);
int op_user_reset(struct keeper *k, struct caller *c, json_t *a,
		  struct reply *r);
/* Authenticates the bearer whose SHA-256 is hex as a live session (read
 * in t), filling c; ESD_EAUTH if there is none. */
int keeper_session_auth(struct keeper *k, struct store_txn *t, const char *hex,
			struct caller *c);
int op_unlock(struct keeper *k, struct caller *c, json_t *a, struct reply *r);
int op_passphrase_change(struct keeper *k, struct caller *c, json_t *a,
			 struct reply *r);

#endif
