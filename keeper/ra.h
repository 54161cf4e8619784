/*
 * The keeper's registration authority (keeper/ra.c) and its mail worker
 * (keeper/mail.c).
 */
#ifndef ESD_KEEPER_RA_H
#define ESD_KEEPER_RA_H

#include "keeper/internal.h"

#define RA_CODE_LEN 11   /* "XXXXX-XXXXX" */

/* MSG_RA: str operation, str JSON object of arguments -> JSON. */
int h_ra(struct keeper *k, struct caller *c, struct ibuf *in,
	 struct reply *r);

/* The activation code of subscriber for nonce, derived by a signature of
 * the token's "codes" key (generated on first use). */
int keeper_ra_code(struct keeper *k, const char *subscriber, const char *nonce,
		   char out[RA_CODE_LEN + 1]);

/* External CA mode (keeper/ca.c), operations of MSG_RA: a PKCS#10
 * request for a token key, and the import of its certificate. */
int op_key_csr(struct keeper *k, struct caller *c, json_t *a, struct reply *r);
int op_key_import(struct keeper *k, struct caller *c, json_t *a,
		  struct reply *r);
/* keys.rotate: a new key and certificate for a label, switched at once. */
int op_key_rotate(struct keeper *k, struct caller *c, json_t *a,
		  struct reply *r);

/* SHA-256 of a token signature (the "codes" key, RSA PKCS#1 v1.5, so
 * deterministic) over SHA-256(domain NUL a NUL b): a value only the
 * token can make. */
int keeper_ra_derive(struct keeper *k, const char *domain, const char *a,
		     const char *b, uint8_t out[32]);
/* AES-256-GCM inside the token (its secret key "esignd-secrets"), for
 * secrets the keeper must read back; aad binds the ciphertext to its
 * record. *b64 is new (IV || ciphertext || tag). */
int keeper_secret_seal(struct keeper *k, const char *aad, const uint8_t *pt,
		       size_t n, char **b64);
int keeper_secret_open(struct keeper *k, const char *aad, const char *b64,
		       uint8_t *out, size_t cap, size_t *n);

/* The subscriber id ref names: "nik:NIK", "email:ADDR" (through
 * ra_index) or the id itself. */
int keeper_subscriber_find(struct store_txn *t, const char *ref, char *id,
			   size_t cap);

/* Starts the thread that delivers DB_OUTBOX (docs/ra.md "Email"). */
int keeper_mail_start(struct keeper *k);
/* Wakes it: call after committing an email. */
void keeper_mail_kick(void);

#endif
