#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/err.h"
#include "common/log.h"
#include "store/store_int.h"

static const char *const db_names[DB__COUNT] = {
	"meta", "keys", "certs", "clients", "audit", "checkpoints",
	"subscribers", "requests", "outbox", "files", "ra_index", "users",
	"sessions"
};

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

int store_open(const char *dir, uint64_t map_size, int create,
	       struct store **out)
{
	struct store *s;
	MDB_txn *txn = NULL;
	int rc;

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return ESD_EIO;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return ESD_ENOMEM;
	pthread_mutex_init(&s->gc_mu, NULL);
	pthread_cond_init(&s->gc_cv, NULL);
	rc = mdb_env_create(&s->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(s->env, DB__COUNT + 4);
	if (rc == 0)
		rc = mdb_env_set_mapsize(s->env, map_size);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(s->env, 256);
	/* MDB_NOTLS: read transactions are used from worker threads that
	 * are not tied to one transaction each. */
	if (rc == 0)
		rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	for (int i = 0; rc == 0 && i < DB__COUNT; i++)
		/* Created when missing: a state directory from an older
		 * version gains the databases added since. */
		rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &s->dbi[i]);
	if (rc == 0) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (rc != 0) {
		if (txn != NULL)
			mdb_txn_abort(txn);
		rc = map_err(rc, dir);
		store_close(s);
		return rc == ESD_ENOTFOUND ? ESD_ESTORE : rc;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->env != NULL)
		mdb_env_close(s->env);
	pthread_mutex_destroy(&s->gc_mu);
	pthread_cond_destroy(&s->gc_cv);
	free(s);
}

int store_txn_begin(struct store *s, int write, struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL)
		return ESD_ENOMEM;
	rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc != 0) {
		free(t);
		return map_err(rc, "begin");
	}
	t->s = s;
	t->write = write;
	*out = t;
	return 0;
}

int store_txn_commit(struct store_txn *t)
{
	int rc = mdb_txn_commit(t->txn);

	free(t);
	return map_err(rc, "commit");
}

void store_txn_abort(struct store_txn *t)
{
	if (t == NULL)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

int store_get(struct store_txn *t, enum store_db db, const void *key,
	      size_t klen, const void **val, size_t *vlen)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_get(t->txn, t->s->dbi[db], &k, &v);

	if (rc != 0)
		return rc == MDB_NOTFOUND ? ESD_ENOTFOUND : map_err(rc, "get");
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

int store_put(struct store_txn *t, enum store_db db, const void *key,
	      size_t klen, const void *val, size_t vlen, int noover)
{
	MDB_val k = { klen, (void *)key }, v = { vlen, (void *)val };
	int rc;

	if (!t->write)
		return ESD_EINTERNAL;
	rc = mdb_put(t->txn, t->s->dbi[db], &k, &v,
		     noover ? MDB_NOOVERWRITE : 0);
	if (rc == MDB_KEYEXIST)
		return ESD_EEXIST;
	return map_err(rc, "put");
}

int store_del(struct store_txn *t, enum store_db db, const void *key,
	      size_t klen)
{
	MDB_val k = { klen, (void *)key };
	int rc = mdb_del(t->txn, t->s->dbi[db], &k, NULL);

	if (rc == MDB_NOTFOUND)
		return ESD_ENOTFOUND;
	return map_err(rc, "del");
}

int store_get_json(struct store_txn *t, enum store_db db, const char *key,
		   json_t **out)
{
	const void *v;
	size_t vlen;
	int rc = store_get(t, db, key, strlen(key), &v, &vlen);

	if (rc != 0)
		return rc;
	*out = json_loadb(v, vlen, JSON_REJECT_DUPLICATES, NULL);
	return *out != NULL ? 0 : ESD_ESTORE;
}

int store_put_json(struct store_txn *t, enum store_db db, const char *key,
		   json_t *val, int noover)
{
	char *text = json_dumps(val, JSON_COMPACT | JSON_SORT_KEYS);
	int rc;

	if (text == NULL)
		return ESD_ENOMEM;
	rc = store_put(t, db, key, strlen(key), text, strlen(text), noover);
	free(text);
	return rc;
}

/* The records from key on (or from the first, with key NULL), to cb;
 * cb's first non-zero return stops the walk and is returned. */
static int walk(struct store_txn *t, enum store_db db, const void *key,
		size_t klen, store_walk_cb cb, void *arg)
{
	MDB_cursor *cur;
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_cursor_open(t->txn, t->s->dbi[db], &cur);

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

int store_walk(struct store_txn *t, enum store_db db, store_walk_cb cb,
	       void *arg)
{
	return walk(t, db, NULL, 0, cb, arg);
}

int store_walk_from(struct store_txn *t, enum store_db db, const void *key,
		    size_t klen, store_walk_cb cb, void *arg)
{
	int rc = walk(t, db, key, klen, cb, arg);

	return rc == 1 ? 0 : rc;
}

int store_count(struct store_txn *t, enum store_db db, uint64_t *n)
{
	MDB_stat st;
	int rc = mdb_stat(t->txn, t->s->dbi[db], &st);

	if (rc != 0)
		return map_err(rc, "stat");
	*n = st.ms_entries;
	return 0;
}

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
