/*
 * Internal to the keeper (the files of keeper/): its state, the caller of a
 * request, the reply being built, and the handlers the dispatch table in
 * keeper.c names. Each keeper/ file holds the handlers of one concern.
 */
#ifndef ESD_KEEPER_INTERNAL_H
#define ESD_KEEPER_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <jansson.h>

#include "common/err.h"
#include "daemon/config.h"
#include "daemon/ipc.h"
#include "daemon/proto.h"
#include "hsm/hsm.h"
#include "policy/policy.h"
#include "store/store.h"


struct keeper {
	struct esd_config cfg;
	pthread_mutex_t cfg_mu;
	struct hsm *hsm;
	struct store *store;
	int64_t started;
};

/* Who is asking, after authentication. */
struct caller {
	struct cred cred;
	char actor[96];    /* for the audit log: "uid:1000", "client:admin" */
	int admin;         /* role == POL_ROLE_ADMIN */
	enum pol_role role;
	char default_key[HSM_LABEL_MAX + 1];
	json_t *keys;      /* the client's key grants (array of labels) */
	json_t *seals;     /* an officer's seals (array of subscriber ids):
			    * activation and codes only, never key grants */
	uint64_t gen;      /* store_keys_gen read for this message ... */
	int gen_read;      /* ... when 1 (an API client's credential) */
};

struct reply {
	json_t *json;      /* success payload (JSON) */
	uint8_t *bin;      /* or a binary payload (DER), OPENSSL_free'd */
	size_t bin_len;
	char msg[256];     /* error message (no secrets) */
};

typedef int (*handler_fn)(struct keeper *k, struct caller *c,
			  struct ibuf *in, struct reply *r);

/*
 * The kernel's view of the clock (adjtimex): synchronised to a time source
 * and its maximum error. 0 when signing may go on, ESD_EUNAVAIL (with
 * r->msg set) when require_synced_clock is on and the clock is not
 * trustworthy.
 */
int keeper_clock_check(struct keeper *k, struct reply *r);
void keeper_clock_state(int *synced, long *max_error_us);

/* Appends one audit record and returns once it is durable (group commit
 * with concurrent callers). */
int keeper_audit(struct keeper *k, struct caller *c, const char *action,
		 const char *target, int result, json_t *detail);

/* 1 if the store says the certificate with this serial is revoked (or
 * cannot tell). */
int keeper_cert_revoked(struct keeper *k, const char *serial);

/* The record of the key labelled label (DB_KEYS); caller decrefs. */
int keeper_key_record(struct keeper *k, const char *label, json_t **rec);
/* The label of the first key whose purpose is purpose, into label (a
 * key a rotation superseded is passed over). */
int keeper_key_by_purpose(struct keeper *k, const char *purpose, char *label);
/* The same for the n-th such key (from 0), in label order, superseded
 * ones included (they still answer for what they issued). */
int keeper_key_by_purpose_nth(struct keeper *k, const char *purpose, size_t n,
			      char *label);
/* Certificate of a key's record (its "cert" PEM); new X509. */
int keeper_record_cert(json_t *rec, X509 **out);
/* The issuers in a key's record ("chain" PEMs, nearest first); new stack. */
int keeper_record_chain(json_t *rec, STACK_OF(X509) **out);

/* keeper/keys.c: the key list, key generation, raw signing. */
int h_keys_list(struct keeper *k, struct caller *c, struct ibuf *in,
		struct reply *r);
int h_key_generate(struct keeper *k, struct caller *c, struct ibuf *in,
		   struct reply *r);
int h_key_sign(struct keeper *k, struct caller *c, struct ibuf *in,
	       struct reply *r);

/* keeper/audit.c: verification, export, signed checkpoints. */
int h_audit_verify(struct keeper *k, struct caller *c, struct ibuf *in,
		   struct reply *r);
int h_audit_export(struct keeper *k, struct caller *c, struct ibuf *in,
		   struct reply *r);
/* Starts the thread that signs a checkpoint of the audit chain every
 * audit_checkpoint_records records or audit_checkpoint_seconds. */
int keeper_checkpoints_start(struct keeper *k);

/* keeper/doc.c: signing documents (seal, individual signature). */
/* Forgets cached key records: call after any change to DB_KEYS. */
void keeper_keys_changed(void);
int h_doc_key(struct keeper *k, struct caller *c, struct ibuf *in,
	      struct reply *r);
int h_doc_sign(struct keeper *k, struct caller *c, struct ibuf *in,
	       struct reply *r);

/* keeper/ca.c: the key label names now, its rotation alias
 * ("alias:LABEL" in ra_index) or label itself, into out (HSM_LABEL_MAX + 1
 * bytes, not label's). */
void keeper_current_label(struct store_txn *t, const char *label, char *out);

/* keeper/pki.c: TSA, OCSP, CRL, CA certificates, revocation. */
int h_tsa(struct keeper *k, struct caller *c, struct ibuf *in,
	  struct reply *r);
int h_ocsp(struct keeper *k, struct caller *c, struct ibuf *in,
	   struct reply *r);
int h_crl(struct keeper *k, struct caller *c, struct ibuf *in,
	  struct reply *r);
int h_ca_cert(struct keeper *k, struct caller *c, struct ibuf *in,
	      struct reply *r);
int h_lt_data(struct keeper *k, struct caller *c, struct ibuf *in,
	      struct reply *r);
/* keeper/tsa.c: the stamp for q from the TSA at tsa_url (binary reply). */
struct pki_tsq;
int keeper_outside_tsa(struct keeper *k, struct caller *c,
		       const struct pki_tsq *q, struct reply *r);
int h_cert_list(struct keeper *k, struct caller *c, struct ibuf *in,
		struct reply *r);
int h_cert_revoke(struct keeper *k, struct caller *c, struct ibuf *in,
		  struct reply *r);
int h_cert_expiry(struct keeper *k, struct caller *c, struct ibuf *in,
		  struct reply *r);
/* keeper/results.c: signed documents kept for BSrE's download route. */
int h_result_put(struct keeper *k, struct caller *c, struct ibuf *in,
		 struct reply *r);
int h_result_get(struct keeper *k, struct caller *c, struct ibuf *in,
		 struct reply *r);
/* Revokes the certificate serial in the write transaction t: its status,
 * the audit record and the issuer's new CRL. ESD_EEXIST if already
 * revoked (msg says why). */
int keeper_revoke_in(struct keeper *k, struct store_txn *t, const char *actor,
		     const char *serial, int reason, char *msg, size_t msglen);
/* Issues a new CRL of the CA labelled label now. */
int keeper_crl_reissue(struct keeper *k, struct caller *c, const char *label,
		       char *msg, size_t msglen);

/* jansson's setters with their failure reported: 0, or ESD_ENOMEM when
 * the value could not be made (v or upd NULL) or not added. They take
 * the value either way. keeper_json_update sets every member of upd
 * (typically a json_pack) in o. */
static inline int keeper_json_set(json_t *o, const char *key, json_t *v)
{
	return json_object_set_new(o, key, v) == 0 ? 0 : ESD_ENOMEM;
}

static inline int keeper_json_append(json_t *a, json_t *v)
{
	return json_array_append_new(a, v) == 0 ? 0 : ESD_ENOMEM;
}

static inline int keeper_json_update(json_t *o, json_t *upd)
{
	return json_object_update_new(o, upd) == 0 ? 0 : ESD_ENOMEM;
}

#endif
