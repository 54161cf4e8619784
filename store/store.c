/*
 * The store's interface over its backends (store_int.h): LMDB (lmdb.c)
 * or PostgreSQL (pg.c), chosen by the location store_open is given.
 */
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/util.h"
#include "store/store_int.h"

const char *const store_db_names[DB__COUNT] = {
	"meta", "keys", "certs", "clients", "audit", "checkpoints",
	"subscribers", "requests", "outbox", "files", "ra_index", "users",
	"sessions"
};

int store_is_pg(const char *where)
{
	if (strncmp(where, "lmdb:", 5) == 0)
		return 0;
	return strncmp(where, "postgresql://", 13) == 0 ||
	       strncmp(where, "postgres://", 11) == 0 ||
	       strchr(where, '=') != NULL;
}

const char *store_lmdb_dir(const char *where)
{
	return strncmp(where, "lmdb:", 5) == 0 ? where + 5 : where;
}

int store_open(const char *where, uint64_t map_size, int create,
	       struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	int rc;

	if (s == NULL)
		return ESD_ENOMEM;
	pthread_mutex_init(&s->gc_mu, NULL);
	pthread_cond_init(&s->gc_cv, NULL);
	if (store_is_pg(where)) {
		s->ops = &store_pg_ops;
		rc = store_pg_open(s, where);
	} else {
		s->ops = &store_lmdb_ops;
		rc = store_lmdb_open(s, store_lmdb_dir(where), map_size, create);
	}
	if (rc != 0) {
		s->impl = NULL;
		store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->impl != NULL)
		s->ops->close(s);
	pthread_mutex_destroy(&s->gc_mu);
	pthread_cond_destroy(&s->gc_cv);
	free(s);
}

const char *store_backend(const struct store *s)
{
	return s->ops->name;
}

int store_migrate(const char *where, int *from, int *to)
{
	if (!store_is_pg(where)) {
		/* LMDB creates a missing database when it opens. */
		*from = *to = 0;
		return 0;
	}
	return store_pg_migrate(where, from, to);
}

int store_txn_begin(struct store *s, int write, struct store_txn **out)
{
	int rc = s->ops->txn_begin(s, write, out);

	if (rc == 0)
		(*out)->keys_changed = 0;
	return rc;
}

/* Whether a write to (db, key) changes what store_keys_gen guards. */
static int guarded(enum store_db db, const void *key, size_t klen)
{
	return db == DB_KEYS || db == DB_CERTS || db == DB_CLIENTS ||
	       (db == DB_RA_INDEX && klen >= 6 && memcmp(key, "alias:", 6) == 0);
}

/* A shared store's generation + 1, in t (a write transaction). */
static int keys_gen_bump(struct store_txn *t)
{
	const void *v;
	size_t n;
	uint8_t buf[8];
	uint64_t gen = 0;
	int rc = t->s->ops->get(t, DB_META, STORE_KEYS_GEN,
				strlen(STORE_KEYS_GEN), &v, &n);

	if (rc == 0 && n == 8)
		gen = esd_be64_get(v);
	else if (rc != 0 && rc != ESD_ENOTFOUND)
		return rc;
	esd_be64_put(buf, gen + 1);
	return t->s->ops->put(t, DB_META, STORE_KEYS_GEN,
			      strlen(STORE_KEYS_GEN), buf, sizeof(buf), 0);
}

int store_txn_commit(struct store_txn *t)
{
	struct store *s = t->s;
	int changed = t->keys_changed, rc = 0;

	if (changed && s->ops->keys_gen != NULL)
		rc = keys_gen_bump(t);
	if (rc != 0) {
		s->ops->txn_abort(t);
		return rc;
	}
	rc = s->ops->txn_commit(t);
	/* After the commit (a reader that saw the old generation reads
	 * again), and also when it failed: whether it is durable is then
	 * unknown, and a needless reread is harmless. */
	if (changed)
		atomic_fetch_add(&s->keys_gen, 1);
	return rc;
}

int store_keys_gen(struct store *s, uint64_t *gen)
{
	if (s->ops->keys_gen != NULL)
		return s->ops->keys_gen(s, gen);
	*gen = atomic_load(&s->keys_gen);
	return 0;
}

void store_txn_abort(struct store_txn *t)
{
	if (t != NULL)
		t->s->ops->txn_abort(t);
}

int store_get(struct store_txn *t, enum store_db db, const void *key,
	      size_t klen, const void **val, size_t *vlen)
{
	return t->s->ops->get(t, db, key, klen, val, vlen);
}

int store_put(struct store_txn *t, enum store_db db, const void *key,
	      size_t klen, const void *val, size_t vlen, int noover)
{
	if (!t->write)
		return ESD_EINTERNAL;
	if (guarded(db, key, klen))
		t->keys_changed = 1;
	return t->s->ops->put(t, db, key, klen, val, vlen, noover);
}

int store_del(struct store_txn *t, enum store_db db, const void *key,
	      size_t klen)
{
	if (!t->write)
		return ESD_EINTERNAL;
	if (guarded(db, key, klen))
		t->keys_changed = 1;
	return t->s->ops->del(t, db, key, klen);
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

int store_walk(struct store_txn *t, enum store_db db, store_walk_cb cb,
	       void *arg)
{
	return t->s->ops->walk(t, db, NULL, 0, cb, arg);
}

int store_walk_from(struct store_txn *t, enum store_db db, const void *key,
		    size_t klen, store_walk_cb cb, void *arg)
{
	int rc = t->s->ops->walk(t, db, key, klen, cb, arg);

	return rc == 1 ? 0 : rc;
}

int store_count(struct store_txn *t, enum store_db db, uint64_t *n)
{
	return t->s->ops->count(t, db, n);
}

int store_gate_take(struct store *s, const char *key, struct store_gate **out,
		    unsigned *held)
{
	*out = NULL;
	*held = 0;
	if (s->ops->gate_take == NULL)
		return 0;
	return s->ops->gate_take(s, key, out, held);
}

void store_gate_leave(struct store_gate *g)
{
	if (g != NULL)
		g->s->ops->gate_leave(g);
}
