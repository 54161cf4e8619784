/* Internal to store/. */
#ifndef ESD_STORE_INT_H
#define ESD_STORE_INT_H

#include <lmdb.h>
#include "store/store.h"

struct store {
	MDB_env *env;
	MDB_dbi dbi[DB__COUNT];
};

struct store_txn {
	struct store *s;
	MDB_txn *txn;
	int write;
};

#endif
