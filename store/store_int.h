/* Internal to store/: the backend table and the shared handles. */
#ifndef ESD_STORE_INT_H
#define ESD_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/store.h"

struct audit_pending;

/*
 * One backend (lmdb.c, pg.c). Every function returns 0 or an ESD_E*
 * code; get's *val stays valid until the transaction ends; put with
 * noover returns ESD_EEXIST for an existing key and writes nothing;
 * walk calls cb in key order (bytewise, shorter first on a tie) from
 * key on (key NULL: from the first) and returns cb's first non-zero.
 */
struct store_ops {
	const char *name;
	int (*txn_begin)(struct store *s, int write, struct store_txn **out);
	int (*txn_commit)(struct store_txn *t);   /* frees t */
	void (*txn_abort)(struct store_txn *t);   /* frees t */
	int (*get)(struct store_txn *t, enum store_db db, const void *key,
		   size_t klen, const void **val, size_t *vlen);
	int (*put)(struct store_txn *t, enum store_db db, const void *key,
		   size_t klen, const void *val, size_t vlen, int noover);
	int (*del)(struct store_txn *t, enum store_db db, const void *key,
		   size_t klen);
	int (*walk)(struct store_txn *t, enum store_db db, const void *key,
		    size_t klen, store_walk_cb cb, void *arg);
	int (*count)(struct store_txn *t, enum store_db db, uint64_t *n);
	void (*close)(struct store *s);
	/* NULL: the backend is one node's (store_gate_take then admits). */
	int (*gate_take)(struct store *s, const char *key,
			 struct store_gate **out, unsigned *held);
	void (*gate_leave)(struct store_gate *g);
	/* NULL: only this process writes (LMDB), and the key generation
	 * is its counter in memory. Else the generation as the shared
	 * store holds it (STORE_KEYS_GEN in meta), read in one statement
	 * outside any transaction; 0 when the row is not there yet. */
	int (*keys_gen)(struct store *s, uint64_t *gen);
};

/* The meta record of the key generation on a shared store: u64 BE,
 * written in the transaction that changes what it guards. */
#define STORE_KEYS_GEN "keys_gen"

struct store {
	const struct store_ops *ops;
	void *impl;                  /* the backend's environment */
	/* Group commit of audit records (audit.c). */
	pthread_mutex_t gc_mu;
	pthread_cond_t gc_cv;
	struct audit_pending *gc_queue;
	int gc_committing;
	/* Commits that changed what store_keys_gen guards (store.c). */
	_Atomic uint64_t keys_gen;
};

/* The head of every backend's gate slot. */
struct store_gate {
	struct store *s;
};

/* The head of every backend's transaction. */
struct store_txn {
	struct store *s;
	int write;
	int keys_changed;    /* a put or del that store_keys_gen guards */
};

/* The databases' names (store.c), as LMDB names them. */
extern const char *const store_db_names[DB__COUNT];

/* Backends: open the environment into s->impl (s->ops set by the caller). */
extern const struct store_ops store_lmdb_ops;
int store_lmdb_open(struct store *s, const char *dir, uint64_t map_size,
		    int create);
extern const struct store_ops store_pg_ops;
int store_pg_open(struct store *s, const char *conninfo);
int store_pg_migrate(const char *conninfo, int *from, int *to);

#endif
