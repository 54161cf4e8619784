/*
 * The PostgreSQL backend: one table, esd_kv (db, key, value), for every
 * enum store_db (store/README.md says why), on a small pool of libpq
 * connections, one per transaction in flight, each with the statements
 * prepared. Write transactions are pipelined: their writes travel with
 * the next statement that needs an answer (store/README.md).
 *
 * Exactness across nodes (docs/architecture.md "Cluster"): a write
 * transaction takes one transaction-scoped advisory lock before its
 * first read, so writers run one at a time across every node as LMDB's
 * single writer does on one. It runs READ COMMITTED: each statement
 * then sees everything the previous lock holder committed (a REPEATABLE
 * READ snapshot would be taken by the lock statement itself, before
 * the wait, and miss it). Readers are REPEATABLE READ snapshots.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "store/pg_int.h"

static int pg_txn_begin(struct store *s, int write, struct store_txn **out)
{
	struct pg_txn *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL)
		return ESD_ENOMEM;
	t->base.s = s;
	t->base.write = write;
	/* A write transaction's BEGIN and lock travel with its first read
	 * or its commit (pg_conn_get found the connection alive). */
	if (write) {
		t->c = pg_conn_get(ENV(s));
		if (t->c == NULL) {
			free(t);
			return ESD_EDBDOWN;
		}
		if (PQenterPipelineMode(t->c) != 1) {
			log_err("store: pipeline mode: %s", PQerrorMessage(t->c));
			PQfinish(t->c);
			free(t);
			return ESD_ESTORE;
		}
		t->piped = 1;
		rc = pg_pipe_send(t, "BEGIN ISOLATION LEVEL READ COMMITTED",
			       DB_META, NULL, 0, NULL, 0, 0);
		if (rc == 0)
			rc = pg_pipe_send(t, "SELECT pg_advisory_xact_lock("
				       WRITE_LOCK ")", DB_META, NULL, 0, NULL, 0, 0);
		if (rc != 0) {
			PQfinish(t->c);
			free(t);
			return rc;
		}
		*out = &t->base;
		return 0;
	}
	/* A pooled connection may have died with a server restart that
	 * pg_conn_get could not see: the pool is emptied and the begin tried
	 * once on a new connection. No statement of the transaction ran
	 * yet, so this repeats nothing. */
	for (int attempt = 0;; attempt++) {
		t->c = pg_conn_get(ENV(s));
		if (t->c == NULL) {
			free(t);
			return ESD_EDBDOWN;
		}
		rc = pg_exec_ok(t->c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			     "begin");
		if (rc == 0)
			break;
		PQfinish(t->c);
		if (rc != ESD_EDBDOWN || attempt > 0) {
			free(t);
			return rc;
		}
		pg_pool_flush(ENV(s));
	}
	*out = &t->base;
	return 0;
}

static void txn_free(struct pg_txn *t)
{
	for (size_t i = 0; i < t->nkeep; i++)
		PQclear(t->keep[i]);
	free(t->keep);
	for (size_t i = 0; i < t->nws; i++)
		free(t->ws[i].kv);
	/* Pooled connections are out of pipeline mode; one that cannot
	 * leave it (results unread after a failure) is closed. */
	if (t->piped && PQexitPipelineMode(t->c) != 1) {
		PQfinish(t->c);
		t->c = NULL;
	}
	pg_conn_put(ENV(t->base.s), t->c);
	free(t);
}

static int pg_txn_commit(struct store_txn *bt)
{
	struct pg_txn *t = PGT(bt);
	PGresult *r = NULL;
	int rc = 0;

	if (t->piped) {
		rc = pg_pipe_send(t, "COMMIT", DB_META, NULL, 0, NULL, 0, 0);
		if (rc == 0)
			rc = pg_pipe_sync(t, &r);
	} else {
		r = PQexec(t->c, "COMMIT");
	}
	/* A transaction that failed earlier "commits" as ROLLBACK. */
	if (rc == 0 && (PQresultStatus(r) != PGRES_COMMAND_OK ||
			strcmp(PQcmdStatus(r), "COMMIT") != 0)) {
		log_err("store: commit: %s", PQerrorMessage(t->c));
		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? ESD_ESTORE
			 : pg_failure(t->c, r);
	}
	PQclear(r);
	/* Still in a transaction after a failure: closed, not pooled. */
	if (rc != 0 && PQtransactionStatus(t->c) != PQTRANS_IDLE) {
		PQfinish(t->c);
		t->c = NULL;
		t->piped = 0;
	}
	txn_free(t);
	return rc;
}

static void pg_txn_abort(struct store_txn *bt)
{
	struct pg_txn *t = PGT(bt);

	if (t->piped) {
		t->err = 0;
		/* The writes not sent yet are dropped. */
		for (size_t i = 0; i < t->nws; i++)
			t->ws[i].unsent = UNSENT_NO;
		if (pg_pipe_send_raw(t, "ROLLBACK", DB_META, NULL, 0, NULL, 0, 0) == 0)
			pg_pipe_sync(t, NULL);
		if (PQtransactionStatus(t->c) != PQTRANS_IDLE) {
			PQfinish(t->c);
			t->c = NULL;
			t->piped = 0;
		}
	} else {
		PQclear(PQexec(t->c, "ROLLBACK"));
	}
	txn_free(t);
}

/* Runs sql with db ($1, text) and up to two binary parameters; binary
 * results. NULL (logged) unless the statement succeeded. */
static PGresult *run(struct pg_txn *t, const char *sql, enum store_db db,
		     const void *p2, size_t l2, const void *p3, size_t l3,
		     int nparams)
{
	char dbs[8], name[8];
	const char *vals[3] = { dbs, p2, p3 };
	int lens[3] = { 0, (int)l2, (int)l3 }, fmts[3] = { 0, 1, 1 };
	PGresult *r;
	ExecStatusType st;

	if (t->piped) {
		/* Sent after the writes before it, which it may read. A
		 * pg_failure stays in t->err: the transaction is lost. */
		if (pg_pipe_send(t, sql, db, p2, l2, p3, l3, nparams) != 0 ||
		    pg_pipe_sync(t, &r) != 0)
			return NULL;
		return r;
	}
	t->err = ESD_ESTORE;
	if (l2 > 0x7fffffff || l3 > 0x7fffffff)
		return NULL;
	snprintf(dbs, sizeof(dbs), "%d", (int)db);
	/* A zero-length bytea parameter must not be a NULL pointer. */
	if (vals[1] == NULL)
		vals[1] = "";
	if (vals[2] == NULL)
		vals[2] = "";
	r = pg_prepared_name(sql, name) != NULL
		    ? PQexecPrepared(t->c, name, nparams, vals, lens, fmts, 1)
		    : PQexecParams(t->c, sql, nparams, NULL, vals, lens, fmts, 1);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		log_err("store: %s: %s", store_db_names[db],
			PQerrorMessage(t->c));
		t->err = pg_failure(t->c, r);
		PQclear(r);
		return NULL;
	}
	return r;
}

static int pg_get(struct store_txn *bt, enum store_db db, const void *key,
		  size_t klen, const void **val, size_t *vlen)
{
	struct pg_txn *t = PGT(bt);
	struct wset_entry *w = t->piped ? pg_wset_find(t, db, key, klen) : NULL;
	PGresult *r;

	/* Read back from this transaction's own writes. */
	if (w != NULL) {
		if (w->deleted)
			return ESD_ENOTFOUND;
		*val = w->kv + w->klen;
		*vlen = w->vlen;
		return 0;
	}
	if (t->nkeep == t->capkeep) {
		size_t cap = t->capkeep ? 2 * t->capkeep : 8;
		PGresult **k = realloc(t->keep, cap * sizeof(*k));

		if (k == NULL)
			return ESD_ENOMEM;
		t->keep = k;
		t->capkeep = cap;
	}
	r = run(t, SQL_GET, db, key, klen, NULL, 0, 2);
	if (r == NULL)
		return PGT(bt)->err;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return ESD_ENOTFOUND;
	}
	/* The value lives as long as the transaction, as LMDB's does. */
	t->keep[t->nkeep++] = r;
	*val = PQgetvalue(r, 0, 0);
	*vlen = (size_t)PQgetlength(r, 0, 0);
	return 0;
}

static int affected(PGresult *r)
{
	const char *n = PQcmdTuples(r);

	return n[0] != '\0' && strcmp(n, "0") != 0;
}

static int pg_put(struct store_txn *bt, enum store_db db, const void *key,
		  size_t klen, const void *val, size_t vlen, int noover)
{
	struct pg_txn *t = PGT(bt);
	PGresult *r;
	int rc;

	/* A write that needs no answer is held, then sent with the next
	 * statement, and not waited for. */
	if (t->piped && noover != 1) {
		struct wset_entry *w = pg_wset_find(t, db, key, klen);

		if (t->err != 0)
			return t->err;
		/* An overwrite of an overwrite not sent yet replaces it. */
		if (w != NULL && w->unsent == UNSENT_PUT && noover == 0)
			w->unsent = UNSENT_NO;
		if (pg_wset_note(t, db, key, klen, val != NULL ? val : "", vlen,
			      noover == STORE_NEW ? UNSENT_NEW : UNSENT_PUT))
			return 0;
		return pg_pipe_send(t, noover == STORE_NEW ? SQL_PUT_NEW : SQL_PUT,
				 db, key, klen, val, vlen, 3);
	}
	r = run(t, noover ? SQL_PUT_NOOVER : SQL_PUT, db, key, klen, val,
		vlen, 3);
	if (r == NULL)
		return t->err;
	rc = affected(r) ? 0 : ESD_EEXIST;
	PQclear(r);
	if (rc == 0 && t->piped)
		pg_wset_note(t, db, key, klen, val != NULL ? val : "", vlen,
			  UNSENT_NO);
	return rc;
}

static int pg_del(struct store_txn *bt, enum store_db db, const void *key,
		  size_t klen)
{
	struct pg_txn *t = PGT(bt);
	PGresult *r = run(t, SQL_DEL, db, key, klen, NULL, 0, 2);
	int rc;

	if (r == NULL)
		return t->err;
	rc = affected(r) ? 0 : ESD_ENOTFOUND;
	PQclear(r);
	if (t->piped)
		pg_wset_note(t, db, key, klen, NULL, 0, UNSENT_NO);
	return rc;
}

/* In batches of WALK_BATCH rows in key order (bytea compares bytewise,
 * shorter first, as LMDB's default order does). */
static int pg_walk(struct store_txn *bt, enum store_db db, const void *key,
		   size_t klen, store_walk_cb cb, void *arg)
{
	struct pg_txn *t = PGT(bt);
	char *last = NULL;
	size_t lastlen = 0;
	int first = 1, rc = 0;

	for (;;) {
		PGresult *r;
		int n;

		if (first && key == NULL)
			r = run(t, SQL_WALK, db, NULL, 0, NULL, 0, 1);
		else if (first)
			r = run(t, SQL_WALK_FROM, db, key, klen, NULL, 0, 2);
		else
			r = run(t, SQL_WALK_AFTER, db, last, lastlen, NULL, 0, 2);
		first = 0;
		if (r == NULL) {
			rc = t->err;
			break;
		}
		n = PQntuples(r);
		for (int i = 0; rc == 0 && i < n; i++)
			rc = cb(arg, PQgetvalue(r, i, 0),
				(size_t)PQgetlength(r, i, 0),
				PQgetvalue(r, i, 1),
				(size_t)PQgetlength(r, i, 1));
		if (rc == 0 && n == WALK_BATCH) {
			free(last);
			lastlen = (size_t)PQgetlength(r, n - 1, 0);
			last = malloc(lastlen + 1);
			if (last == NULL)
				rc = ESD_ENOMEM;
			else
				memcpy(last, PQgetvalue(r, n - 1, 0), lastlen);
		}
		PQclear(r);
		if (rc != 0 || n < WALK_BATCH)
			break;
	}
	free(last);
	return rc;
}

static int pg_count(struct store_txn *bt, enum store_db db, uint64_t *n)
{
	PGresult *r = run(PGT(bt), SQL_COUNT, db, NULL, 0, NULL, 0, 1);

	if (r == NULL)
		return PGT(bt)->err;
	/* int8 in binary: 8 bytes, big endian. */
	if (PQntuples(r) != 1 || PQgetlength(r, 0, 0) != 8) {
		PQclear(r);
		return ESD_ESTORE;
	}
	*n = esd_be64_get((const uint8_t *)PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

/*
 * Gates: session advisory locks on (hash of the key, slot), held on a
 * connection of their own, so the server frees them when the node dies.
 * The two-int4 key space is apart from WRITE_LOCK's bigint one; two keys
 * of one hash share slots (fewer at once, never more).
 */
struct pg_gate {
	struct store_gate base;
	PGconn *c;
	char k1[16], k2[16];
};

static int gate_try(PGconn *c, const char *k1, const char *k2, int *got)
{
	const char *vals[2] = { k1, k2 };
	PGresult *r = PQexecParams(c, "SELECT pg_try_advisory_lock($1::int4, $2::int4)",
				   2, NULL, vals, NULL, NULL, 0);
	int rc = 0;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		log_err("store: gate: %s", PQerrorMessage(c));
		rc = pg_failure(c, r);
	} else {
		*got = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	}
	PQclear(r);
	return rc;
}

/* The slots of the key held now, in this database (the int4-pair form
 * shows key1 as classid, read as unsigned, with objsubid 2). */
static int gate_count(PGconn *c, uint32_t key1, unsigned *held)
{
	char k1[16];
	const char *vals[1] = { k1 };
	PGresult *r;
	char *end;
	unsigned long n;
	int rc = ESD_ESTORE;

	snprintf(k1, sizeof(k1), "%u", key1);
	r = PQexecParams(c, "SELECT count(*) FROM pg_locks WHERE "
				   "locktype = 'advisory' AND granted AND "
				   "objsubid = 2 AND classid = $1::oid "
				   "AND database = (SELECT oid FROM pg_database "
				   "WHERE datname = current_database())",
				   1, NULL, vals, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		errno = 0;
		n = strtoul(PQgetvalue(r, 0, 0), &end, 10);
		if (errno == 0 && *end == '\0' && n <= STORE_GATE_SLOTS) {
			*held = (unsigned)n;
			rc = 0;
		}
	}
	if (rc != 0)
		log_err("store: gate count: %s", PQerrorMessage(c));
	PQclear(r);
	return rc;
}

static int pg_gate_take(struct store *s, const char *key,
			struct store_gate **out, unsigned *held)
{
	struct pg_gate *g = calloc(1, sizeof(*g));
	uint32_t h = 2166136261u;   /* FNV-1a */
	int rc = 0, got = 0;

	if (g == NULL)
		return ESD_ENOMEM;
	for (const char *p = key; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(g->k1, sizeof(g->k1), "%d", (int32_t)h);
	g->base.s = s;
	g->c = pg_conn_get(ENV(s));
	if (g->c == NULL)
		rc = ESD_EDBDOWN;
	for (unsigned i = 0; rc == 0 && !got && i < STORE_GATE_SLOTS; i++) {
		snprintf(g->k2, sizeof(g->k2), "%u", i);
		rc = gate_try(g->c, g->k1, g->k2, &got);
	}
	if (rc == 0 && got) {
		rc = gate_count(g->c, h, held);
		if (rc == 0) {
			*out = &g->base;
			return 0;
		}
	}
	if (rc == ESD_EDBDOWN)
		pg_pool_flush(ENV(s));
	if (g->c != NULL) {
		/* Closed when a slot may be held: that frees it. */
		if (rc != 0 || got)
			PQfinish(g->c);
		else
			pg_conn_put(ENV(s), g->c);
	}
	free(g);
	return rc != 0 ? rc : ESD_EEXIST;
}

static void pg_gate_leave(struct store_gate *bg)
{
	struct pg_gate *g = (struct pg_gate *)bg;
	const char *vals[2] = { g->k1, g->k2 };
	PGresult *r = PQexecParams(g->c, "SELECT pg_advisory_unlock($1::int4, $2::int4)",
				   2, NULL, vals, NULL, NULL, 0);

	/* A connection that could not unlock is closed: that frees it. */
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "t") == 0)
		pg_conn_put(ENV(g->base.s), g->c);
	else
		PQfinish(g->c);
	PQclear(r);
	free(g);
}

/* One statement, no transaction: the generation another node's
 * committed change wrote is seen at once. Like a begin, tried once more
 * on a new connection when a pooled one was found dead (a server
 * restart); ESD_EDBDOWN when the server is out of reach. */
static int pg_keys_gen(struct store *s, uint64_t *gen)
{
	const char *vals[1] = { STORE_KEYS_GEN };
	char name[8];
	int lens[1] = { (int)strlen(STORE_KEYS_GEN) }, fmts[1] = { 1 };
	int rc = ESD_EDBDOWN;

	for (int attempt = 0; attempt < 2; attempt++) {
		PGconn *c = pg_conn_get(ENV(s));
		PGresult *r;

		if (c == NULL)
			return ESD_EDBDOWN;
		r = PQexecPrepared(c, pg_prepared_name(SQL_GEN, name), 1, vals,
				   lens, fmts, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = pg_failure(c, r);
			log_err("store: keys_gen: %s", PQerrorMessage(c));
		} else if (PQntuples(r) == 0) {
			*gen = 0;
			rc = 0;
		} else if (PQgetlength(r, 0, 0) == 8) {
			*gen = esd_be64_get((const uint8_t *)PQgetvalue(r, 0, 0));
			rc = 0;
		} else {
			rc = ESD_ESTORE;
		}
		PQclear(r);
		if (rc == ESD_EDBDOWN) {
			PQfinish(c);
			pg_pool_flush(ENV(s));
			continue;
		}
		pg_conn_put(ENV(s), c);
		break;
	}
	return rc;
}

const struct store_ops store_pg_ops = {
	"postgresql", pg_txn_begin, pg_txn_commit, pg_txn_abort, pg_get,
	pg_put, pg_del, pg_walk, pg_count, pg_close, pg_gate_take,
	pg_gate_leave, pg_keys_gen,
};
