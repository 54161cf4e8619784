/*
 * store_copy: every database of one store into another, empty one, in
 * one write transaction of the destination (all or nothing), read from
 * one snapshot of the source; then the copy's audit chain is checked.
 */
#include "common/err.h"
#include "common/log.h"
#include "store/store_int.h"

struct copy_state {
	struct store_txn *to;
	enum store_db db;
	uint64_t n;
};

static int copy_one(void *arg, const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	struct copy_state *c = arg;

	c->n++;
	return store_put(c->to, c->db, key, klen, val, vlen, 1);
}

static int is_empty(struct store_txn *t)
{
	uint64_t n = 0;

	for (int db = 0; db < DB__COUNT; db++)
		if (store_count(t, (enum store_db)db, &n) != 0 || n != 0)
			return 0;
	return 1;
}

int store_copy(struct store *from, struct store *to, uint64_t counts[DB__COUNT],
	       uint64_t *audit_records)
{
	struct store_txn *rt = NULL, *wt = NULL;
	struct copy_state c = { NULL, DB_META, 0 };
	uint64_t bad = 0, mark = 0;
	int rc;

	rc = store_txn_begin(from, 0, &rt);
	if (rc == 0)
		rc = store_txn_begin(to, 1, &wt);
	if (rc == 0 && !is_empty(wt)) {
		log_err("store: the destination is not empty: nothing copied");
		rc = ESD_EEXIST;
	}
	c.to = wt;
	for (int db = 0; rc == 0 && db < DB__COUNT; db++) {
		c.db = (enum store_db)db;
		c.n = 0;
		rc = store_walk(rt, c.db, copy_one, &c);
		counts[db] = c.n;
	}
	/* The chain as the destination now holds it, before it is kept. */
	if (rc == 0 &&
	    store_audit_verify(wt, NULL, 0, audit_records, &bad, &mark) != 0) {
		log_err("store: the copy's audit chain breaks at record %llu: "
			"nothing copied", (unsigned long long)bad);
		rc = ESD_ESTORE;
	}
	/* The destination was empty: no node holds anything read from it
	 * to invalidate, and its key generation (store_keys_gen) is the
	 * one copied, if any: the copy holds exactly the source's records. */
	if (rc == 0)
		wt->keys_changed = 0;
	if (rc == 0) {
		rc = store_txn_commit(wt);
		wt = NULL;
	}
	store_txn_abort(wt);
	store_txn_abort(rt);
	return rc;
}
