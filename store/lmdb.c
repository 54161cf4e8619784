/*
 * The LMDB backend: one environment (a directory), one named database
 * per enum store_db, one writer at a time (LMDB's own lock), readers
 * on snapshots. Every LMDB return is checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <lmdb.h>

#include "common/err.h"
#include "common/log.h"
#include "store/store_int.h"

struct lmdb_env {
	MDB_env *env;
	MDB_dbi dbi[DB__COUNT];
};

struct lmdb_txn {
	struct store_txn base;
	MDB_txn *txn;
};

#define ENV(s) ((struct lmdb_env *)(s)->impl)
#define TXN(t) (((struct lmdb_txn *)(t))->txn)
#define DBI(t, db) (ENV((t)->s)->dbi[db])

static int map_err(int rc, const char *what)
{
	if (rc == 0)
		return 0;
	if (rc == MDB_NOTFOUND)
		return ESD_ENOTFOUND;
	if (rc == MDB_KEYEXIST)
		return ESD_EEXIST;
	if (rc == MDB_MAP_FULL)
		log_err("store: %s: map full (raise lmdb_map_size)", what);
	else
		log_err("store: %s: %s", what, mdb_strerror(rc));
	return ESD_ESTORE;
}

static void lmdb_close(struct store *s)
{
	struct lmdb_env *e = ENV(s);

	if (e == NULL)
		return;
	if (e->env != NULL)
		mdb_env_close(e->env);
	free(e);
	s->impl = NULL;
}

int store_lmdb_open(struct store *s, const char *dir, uint64_t map_size,
		    int create)
{
	struct lmdb_env *e;
	MDB_txn *txn = NULL;
	int rc;

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ESD_EIO;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return ESD_ENOMEM;
	s->impl = e;
	rc = mdb_env_create(&e->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(e->env, DB__COUNT + 4);
	if (rc == 0)
		rc = mdb_env_set_mapsize(e->env, map_size);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(e->env, 256);
	/* MDB_NOTLS: read transactions are used from worker threads that
	 * are not tied to one transaction each. */
	if (rc == 0)
		rc = mdb_env_open(e->env, dir, MDB_NOTLS, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(e->env, NULL, 0, &txn);
	for (int i = 0; rc == 0 && i < DB__COUNT; i++)
		/* Created when missing: a state directory from an older
		 * version gains the databases added since. */
		rc = mdb_dbi_open(txn, store_db_names[i], MDB_CREATE, &e->dbi[i]);
	if (rc == 0) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (rc != 0) {
		if (txn != NULL)
			mdb_txn_abort(txn);
		rc = map_err(rc, dir);
		lmdb_close(s);
		return rc == ESD_ENOTFOUND ? ESD_ESTORE : rc;
	}
	return 0;
}

static int lmdb_txn_begin(struct store *s, int write, struct store_txn **out)
{
	struct lmdb_txn *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL)
		return ESD_ENOMEM;
	rc = mdb_txn_begin(ENV(s)->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc != 0) {
		free(t);
		return map_err(rc, "begin");
	}
	t->base.s = s;
	t->base.write = write;
	*out = &t->base;
	return 0;
}

static int lmdb_txn_commit(struct store_txn *t)
{
	int rc = mdb_txn_commit(TXN(t));

	free(t);
	return map_err(rc, "commit");
}

static void lmdb_txn_abort(struct store_txn *t)
{
	mdb_txn_abort(TXN(t));
	free(t);
}

static int lmdb_get(struct store_txn *t, enum store_db db, const void *key,
		    size_t klen, const void **val, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_get(TXN(t), DBI(t, db), &k, &v);

	if (rc != 0)
		return rc == MDB_NOTFOUND ? ESD_ENOTFOUND : map_err(rc, "get");
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

static int lmdb_put(struct store_txn *t, enum store_db db, const void *key,
		    size_t klen, const void *val, size_t vlen, int noover)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc = mdb_put(TXN(t), DBI(t, db), &k, &v,
			 noover ? MDB_NOOVERWRITE : 0);

	if (rc == MDB_KEYEXIST)
		return ESD_EEXIST;
	return map_err(rc, "put");
}

static int lmdb_del(struct store_txn *t, enum store_db db, const void *key,
		    size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_del(TXN(t), DBI(t, db), &k, NULL);

	if (rc == MDB_NOTFOUND)
		return ESD_ENOTFOUND;
	return map_err(rc, "del");
}

static int lmdb_walk(struct store_txn *t, enum store_db db, const void *key,
		     size_t klen, store_walk_cb cb, void *arg)
{
	MDB_cursor *cur;
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_cursor_open(TXN(t), DBI(t, db), &cur);

	if (rc != 0)
		return map_err(rc, "cursor");
	for (rc = mdb_cursor_get(cur, &k, &v, key ? MDB_SET_RANGE : MDB_FIRST);
	     rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int r = cb(arg, k.mv_data, k.mv_size, v.mv_data, v.mv_size);

		if (r != 0) {
			mdb_cursor_close(cur);
			return r;
		}
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : map_err(rc, "walk");
}

static int lmdb_count(struct store_txn *t, enum store_db db, uint64_t *n)
{
	MDB_stat st;
	int rc = mdb_stat(TXN(t), DBI(t, db), &st);

	if (rc != 0)
		return map_err(rc, "stat");
	*n = st.ms_entries;
	return 0;
}

const struct store_ops store_lmdb_ops = {
	"lmdb", lmdb_txn_begin, lmdb_txn_commit, lmdb_txn_abort, lmdb_get,
	lmdb_put, lmdb_del, lmdb_walk, lmdb_count, lmdb_close, NULL, NULL,
	NULL,
};

int store_backup(const char *dir, int fd)
{
	MDB_env *env = NULL;
	int rc = mdb_env_create(&env);

	if (rc == 0)
		rc = mdb_env_set_maxdbs(env, DB__COUNT + 4);
	/* A reader like any other: writers go on while the copy is made
	 * from one read transaction (a consistent snapshot). */
	if (rc == 0)
		rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600);
	if (rc == 0)
		rc = mdb_env_copyfd2(env, fd, MDB_CP_COMPACT);
	if (env != NULL)
		mdb_env_close(env);
	return map_err(rc, dir);
}
