/* Internal to store/. */
#ifndef ESD_STORE_INT_H
#define ESD_STORE_INT_H

#include <lmdb.h>
#include "store/store.h"

#include <pthread.h>

struct audit_pending;

struct store {
	MDB_env *env;
	MDB_dbi dbi[DB__COUNT];
	/* Group commit of audit records (audit.c). */
	pthread_mutex_t gc_mu;
	pthread_cond_t gc_cv;
	struct audit_pending *gc_queue;
	int gc_committing;
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	int write;
};

#endif
