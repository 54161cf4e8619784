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
#include "store/store_int.h"

/* The advisory lock every write transaction holds; migrations hold
 * WRITE_LOCK too, so no writer sees half a migration. */
#define WRITE_LOCK "7305218559113216001"
#define POOL_IDLE 16
#define WALK_BATCH 256
#define WALK_LIMIT " ORDER BY key LIMIT 256"

/* The statements of transactions and of store_keys_gen, prepared on
 * each pooled connection when it opens (pool_prepare): the server
 * parses and plans each once per connection, not once per call. */
static const char SQL_GET[] = "SELECT value FROM esd_kv WHERE db = $1 AND key = $2";
static const char SQL_PUT[] = "INSERT INTO esd_kv (db, key, value) VALUES ($1, $2, $3) "
	"ON CONFLICT (db, key) DO UPDATE SET value = EXCLUDED.value";
/* ON CONFLICT DO NOTHING: an existing key is an answer, not an error
 * that would abort the whole transaction. */
static const char SQL_PUT_NOOVER[] = "INSERT INTO esd_kv (db, key, value) VALUES ($1, $2, $3) "
	"ON CONFLICT DO NOTHING";
/* STORE_NEW: an existing key fails the transaction. */
static const char SQL_PUT_NEW[] = "INSERT INTO esd_kv (db, key, value) VALUES ($1, $2, $3)";
static const char SQL_DEL[] = "DELETE FROM esd_kv WHERE db = $1 AND key = $2";
static const char SQL_WALK[] = "SELECT key, value FROM esd_kv WHERE db = $1" WALK_LIMIT;
static const char SQL_WALK_FROM[] = "SELECT key, value FROM esd_kv WHERE db = $1 "
	"AND key >= $2" WALK_LIMIT;
static const char SQL_WALK_AFTER[] = "SELECT key, value FROM esd_kv WHERE db = $1 "
	"AND key > $2" WALK_LIMIT;
static const char SQL_COUNT[] = "SELECT count(*) FROM esd_kv WHERE db = $1";
static const char SQL_GEN[] = "SELECT value FROM esd_kv WHERE db = 0 AND key = $1";
static const char *const prepared[] = {
	SQL_GET, SQL_PUT, SQL_PUT_NOOVER, SQL_PUT_NEW, SQL_DEL, SQL_WALK,
	SQL_WALK_FROM, SQL_WALK_AFTER, SQL_COUNT, SQL_GEN,
};

/* The name sql is prepared under ("esdN"), or NULL when it is not. */
static const char *prepared_name(const char *sql, char name[8])
{
	for (size_t i = 0; i < sizeof(prepared) / sizeof(prepared[0]); i++)
		if (sql == prepared[i]) {
			snprintf(name, 8, "esd%zu", i);
			return name;
		}
	return NULL;
}

/* Migration n (1-based) takes the schema from version n-1 to n. Never
 * edit one that has shipped: add the next. */
static const char *const migrations[] = {
	/* 1: every database in one table, keys in bytewise order */
	"CREATE TABLE esd_kv (db smallint NOT NULL, key bytea NOT NULL, "
	"value bytea NOT NULL, PRIMARY KEY (db, key))",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

struct pg_env {
	char *conninfo;
	pthread_mutex_t mu;
	PGconn *idle[POOL_IDLE];
	size_t nidle;
};

/* A write of this transaction, remembered so that reading it back
 * costs no round trip (WSET_MAX of them, WSET_BYTES in all; a write
 * past that is read from the server, which has it first). A write that
 * needs no answer is also held here unsent until another statement
 * goes (in order, before it); an overwrite of a key whose last write is
 * such an unsent overwrite replaces it, so that a group commit's audit
 * head goes once, not once per record. */
#define WSET_MAX 64
#define WSET_BYTES 131072
enum { UNSENT_NO, UNSENT_PUT, UNSENT_NEW };
struct wset_entry {
	enum store_db db;
	int live;                /* 0: a later write of the key followed */
	int deleted;
	int unsent;              /* UNSENT_PUT, UNSENT_NEW: still to send */
	size_t klen, vlen;
	uint8_t *kv;             /* key, then value */
};

struct pg_txn {
	struct store_txn base;
	PGconn *c;
	int err;                 /* the last statement's failure */
	PGresult **keep;         /* get results, freed when t ends */
	size_t nkeep, capkeep;
	/* Write transactions run in libpq's pipeline mode: a write whose
	 * answer nobody needs is sent and not waited for; the next
	 * statement that needs an answer (a read, the commit) syncs, and
	 * the results of every write before it are read then. */
	int piped;
	unsigned pending;        /* statements sent, results not yet read */
	struct wset_entry ws[WSET_MAX];
	size_t nws, wsbytes;
};
/* Results a pipeline may hold unread before it is synced: the server
 * must never block on sending results the client does not read. */
#define PIPE_MAX 128
static int pipe_send(struct pg_txn *t, const char *sql, enum store_db db,
		     const void *p2, size_t l2, const void *p3, size_t l3,
		     int nparams);

#define ENV(s) ((struct pg_env *)(s)->impl)
#define PGT(t) ((struct pg_txn *)(t))

/* libpq's notices (a NOTICE from CREATE ... IF NOT EXISTS) go to our log. */
static void on_notice(void *arg, const char *msg)
{
	(void)arg;
	log_debug("store: postgresql: %s", msg);
}

/*
 * A connection attempt gives up after CONNECT_TIMEOUT seconds unless the
 * location sets its own connect_timeout (the location's keywords come
 * after ours and win), so a database host that drops packets costs a
 * request a bounded wait, never a hang.
 */
#define CONNECT_TIMEOUT "3"

static PGconn *connect_db(const char *conninfo)
{
	const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *const vals[] = { CONNECT_TIMEOUT, conninfo, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);

	if (c == NULL) {
		log_err("store: postgresql: out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		/* libpq's message names the server, never the password. */
		log_err("store: cannot connect to PostgreSQL: %s",
			PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, on_notice, NULL);
	return c;
}

static void pool_flush(struct pg_env *e);

/* Prepares the statements of prepared[] on c (of a database at this
 * esignd's schema); 0 or the failure. */
static int pool_prepare(PGconn *c)
{
	char name[8];

	for (size_t i = 0; i < sizeof(prepared) / sizeof(prepared[0]); i++) {
		PGresult *r = PQprepare(c, prepared_name(prepared[i], name),
					prepared[i], 0, NULL);
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;

		PQclear(r);
		if (!ok) {
			log_err("store: preparing a statement: %s",
				PQerrorMessage(c));
			return PQstatus(c) == CONNECTION_OK ? ESD_ESTORE
							   : ESD_EDBDOWN;
		}
	}
	return 0;
}

static PGconn *conn_get(struct pg_env *e)
{
	PGconn *c = NULL;

	pthread_mutex_lock(&e->mu);
	if (e->nidle > 0)
		c = e->idle[--e->nidle];
	pthread_mutex_unlock(&e->mu);
	/* A server that restarted closed its connections: reading what is
	 * there (without waiting) finds the end of one, and then the
	 * others in the pool are as dead. */
	if (c != NULL && (PQconsumeInput(c) != 1 ||
			  PQstatus(c) != CONNECTION_OK)) {
		PQfinish(c);
		c = NULL;
		pool_flush(e);
	}
	if (c == NULL) {
		c = connect_db(e->conninfo);
		if (c != NULL && pool_prepare(c) != 0) {
			PQfinish(c);
			c = NULL;
		}
	}
	return c;
}

/* Closes every idle connection: after one was found dead (the server
 * restarted, a failover), the others are dead too. */
static void pool_flush(struct pg_env *e)
{
	PGconn *dead[POOL_IDLE];
	size_t n;

	pthread_mutex_lock(&e->mu);
	n = e->nidle;
	memcpy(dead, e->idle, n * sizeof(dead[0]));
	e->nidle = 0;
	pthread_mutex_unlock(&e->mu);
	for (size_t i = 0; i < n; i++)
		PQfinish(dead[i]);
}

/* The error for a failed statement on c: ESD_EDBDOWN when the server
 * is out of reach (the connection broke, or it is shutting down or
 * starting: SQLSTATE class 08 and 57P0x), else ESD_ESTORE. */
static int failure(PGconn *c, const PGresult *r)
{
	const char *st = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
				   : NULL;

	if (c == NULL || PQstatus(c) != CONNECTION_OK)
		return ESD_EDBDOWN;
	if (st != NULL && (strncmp(st, "08", 2) == 0 ||
			   strncmp(st, "57P0", 4) == 0))
		return ESD_EDBDOWN;
	return ESD_ESTORE;
}

/* Back to the pool if it is idle and healthy, else closed. */
static void conn_put(struct pg_env *e, PGconn *c)
{
	if (c == NULL)
		return;
	if (PQstatus(c) == CONNECTION_OK &&
	    PQtransactionStatus(c) == PQTRANS_IDLE) {
		pthread_mutex_lock(&e->mu);
		if (e->nidle < POOL_IDLE) {
			e->idle[e->nidle++] = c;
			c = NULL;
		}
		pthread_mutex_unlock(&e->mu);
	}
	if (c != NULL)
		PQfinish(c);
}

/* Runs sql (no parameters); 0 if it did what was asked. */
static int exec_ok(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0
		 : failure(c, r);

	if (rc != 0)
		log_err("store: %s: %s", what, PQerrorMessage(c));
	PQclear(r);
	return rc;
}

/* The schema version in the database: 0 when it has none yet. */
static int schema_version(PGconn *c, int *version)
{
	PGresult *r = PQexec(c, "SELECT version FROM esd_schema");
	const char *state;
	int rc = 0;

	*version = 0;
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (PQntuples(r) == 1) {
			/* an int4 column, as text */
			char *end;
			long v;

			errno = 0;
			v = strtol(PQgetvalue(r, 0, 0), &end, 10);
			if (errno != 0 || *end != '\0' || v < 0 || v > 1000000)
				rc = ESD_ESTORE;
			else
				*version = (int)v;
		} else if (PQntuples(r) != 0) {
			rc = ESD_ESTORE;
		}
	} else {
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		/* 42P01 undefined_table: a database never migrated. */
		if (state == NULL || strcmp(state, "42P01") != 0) {
			log_err("store: reading the schema version: %s",
				PQerrorMessage(c));
			rc = ESD_ESTORE;
		}
	}
	PQclear(r);
	return rc;
}

int store_pg_migrate(const char *conninfo, int *from, int *to)
{
	PGconn *c = connect_db(conninfo);
	char sql[160];
	int rc, v = 0;

	*from = *to = 0;
	if (c == NULL)
		return ESD_ESTORE;
	rc = exec_ok(c, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK "); "
		     "CREATE TABLE IF NOT EXISTS esd_schema (version integer NOT NULL)",
		     "migrate");
	if (rc == 0)
		rc = schema_version(c, &v);
	*from = *to = v;
	if (rc == 0 && v > SCHEMA_VERSION) {
		log_err("store: the database's schema (version %d) is newer "
			"than this esignd's (%d): upgrade esignd", v,
			SCHEMA_VERSION);
		rc = ESD_ESTORE;
	}
	if (rc == 0 && v == 0)
		rc = exec_ok(c, "INSERT INTO esd_schema VALUES (0)", "migrate");
	for (; rc == 0 && v < SCHEMA_VERSION; v++) {
		rc = exec_ok(c, migrations[v], "migration");
		snprintf(sql, sizeof(sql), "UPDATE esd_schema SET version = %d",
			 v + 1);
		if (rc == 0)
			rc = exec_ok(c, sql, "migrate");
	}
	if (rc == 0)
		rc = exec_ok(c, "COMMIT", "migrate");
	if (rc == 0)
		*to = v;
	PQfinish(c);
	return rc;
}

static void pg_close(struct store *s)
{
	struct pg_env *e = ENV(s);

	if (e == NULL)
		return;
	for (size_t i = 0; i < e->nidle; i++)
		PQfinish(e->idle[i]);
	pthread_mutex_destroy(&e->mu);
	free(e->conninfo);
	free(e);
	s->impl = NULL;
}

int store_pg_open(struct store *s, const char *conninfo)
{
	struct pg_env *e = calloc(1, sizeof(*e));
	PGconn *c;
	int rc, v = 0;

	if (e == NULL)
		return ESD_ENOMEM;
	pthread_mutex_init(&e->mu, NULL);
	s->impl = e;
	e->conninfo = strdup(conninfo);
	if (e->conninfo == NULL) {
		pg_close(s);
		return ESD_ENOMEM;
	}
	c = connect_db(conninfo);
	/* A server out of reach may come back: not the error of a wrong
	 * location or schema. */
	rc = c != NULL ? schema_version(c, &v) : ESD_EDBDOWN;
	if (rc == 0 && v != SCHEMA_VERSION) {
		if (v < SCHEMA_VERSION)
			log_err("store: the PostgreSQL schema is at version %d, "
				"this esignd needs %d: run `esignctl store "
				"migrate` first", v, SCHEMA_VERSION);
		else
			log_err("store: the PostgreSQL schema (version %d) is "
				"newer than this esignd's (%d): upgrade esignd",
				v, SCHEMA_VERSION);
		rc = ESD_ESTORE;
	}
	if (rc == 0)
		rc = pool_prepare(c);
	if (rc == 0)
		conn_put(e, c);
	else
		PQfinish(c);
	if (rc != 0)
		pg_close(s);
	return rc;
}

static int pg_txn_begin(struct store *s, int write, struct store_txn **out)
{
	struct pg_txn *t = calloc(1, sizeof(*t));
	int rc;

	if (t == NULL)
		return ESD_ENOMEM;
	t->base.s = s;
	t->base.write = write;
	/* A write transaction's BEGIN and lock travel with its first read
	 * or its commit (conn_get found the connection alive). */
	if (write) {
		t->c = conn_get(ENV(s));
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
		rc = pipe_send(t, "BEGIN ISOLATION LEVEL READ COMMITTED",
			       DB_META, NULL, 0, NULL, 0, 0);
		if (rc == 0)
			rc = pipe_send(t, "SELECT pg_advisory_xact_lock("
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
	 * conn_get could not see: the pool is emptied and the begin tried
	 * once on a new connection. No statement of the transaction ran
	 * yet, so this repeats nothing. */
	for (int attempt = 0;; attempt++) {
		t->c = conn_get(ENV(s));
		if (t->c == NULL) {
			free(t);
			return ESD_EDBDOWN;
		}
		rc = exec_ok(t->c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
			     "begin");
		if (rc == 0)
			break;
		PQfinish(t->c);
		if (rc != ESD_EDBDOWN || attempt > 0) {
			free(t);
			return rc;
		}
		pool_flush(ENV(s));
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
	conn_put(ENV(t->base.s), t->c);
	free(t);
}

/*
 * Sends sql into t's pipeline (db as $1, text; up to two binary
 * parameters; binary results); its result is read by the next
 * pipe_sync. 0, or the failure (then the transaction is lost: t->err).
 */
static int pipe_sync(struct pg_txn *t, PGresult **last);

static int pipe_send_raw(struct pg_txn *t, const char *sql, enum store_db db,
			 const void *p2, size_t l2, const void *p3, size_t l3,
			 int nparams)
{
	char dbs[8], name[8];
	const char *vals[3] = { dbs, p2 != NULL ? p2 : "", p3 != NULL ? p3 : "" };
	int lens[3] = { 0, (int)l2, (int)l3 }, fmts[3] = { 0, 1, 1 };

	if (t->err != 0)
		return t->err;
	if (l2 > 0x7fffffff || l3 > 0x7fffffff)
		return t->err = ESD_ESTORE;
	snprintf(dbs, sizeof(dbs), "%d", (int)db);
	if ((prepared_name(sql, name) != NULL ?
	     PQsendQueryPrepared(t->c, name, nparams, nparams ? vals : NULL,
				 nparams ? lens : NULL, nparams ? fmts : NULL, 1) :
	     PQsendQueryParams(t->c, sql, nparams, NULL, nparams ? vals : NULL,
			       nparams ? lens : NULL, nparams ? fmts : NULL,
			       1)) != 1) {
		log_err("store: %s: %s", store_db_names[db],
			PQerrorMessage(t->c));
		return t->err = failure(t->c, NULL);
	}
	t->pending++;
	return t->pending >= PIPE_MAX ? pipe_sync(t, NULL) : 0;
}

/* Sends the writes held unsent, in the order they were made. */
static int send_unsent(struct pg_txn *t)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < t->nws; i++) {
		struct wset_entry *w = &t->ws[i];

		if (w->unsent != UNSENT_NO)
			rc = pipe_send_raw(t, w->unsent == UNSENT_NEW ? SQL_PUT_NEW
					   : SQL_PUT, w->db, w->kv, w->klen,
					   w->kv + w->klen, w->vlen, 3);
		w->unsent = UNSENT_NO;
	}
	return rc;
}

static int pipe_send(struct pg_txn *t, const char *sql, enum store_db db,
		     const void *p2, size_t l2, const void *p3, size_t l3,
		     int nparams)
{
	int rc = send_unsent(t);

	return rc != 0 ? rc : pipe_send_raw(t, sql, db, p2, l2, p3, l3, nparams);
}

/*
 * Ends t's pipeline with a sync and reads every result: 0 when each
 * statement did what was asked (a command, rows, or, for the last one
 * when last is not NULL, its result is handed over in *last).
 * A failure is logged, kept in t->err and returned; the transaction is
 * then lost (its later statements were not run).
 */
static int pipe_sync(struct pg_txn *t, PGresult **last)
{
	PGresult *r;
	int rc = t->err;

	if (last != NULL)
		*last = NULL;
	if (PQpipelineSync(t->c) != 1) {
		log_err("store: sync: %s", PQerrorMessage(t->c));
		return t->err = failure(t->c, NULL);
	}
	for (; t->pending > 0; t->pending--) {
		PGresult *keep = NULL;

		/* One statement's results, then NULL. */
		while ((r = PQgetResult(t->c)) != NULL) {
			ExecStatusType st = PQresultStatus(r);

			if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
				if (rc == 0 && st != PGRES_PIPELINE_ABORTED) {
					log_err("store: %s", PQresultErrorMessage(r));
					rc = failure(t->c, r);
					/* 23505 unique_violation: a STORE_NEW
					 * key that existed. */
					if (rc == ESD_ESTORE &&
					    PQresultErrorField(r, PG_DIAG_SQLSTATE) &&
					    strcmp(PQresultErrorField(r, PG_DIAG_SQLSTATE),
						   "23505") == 0)
						rc = ESD_EEXIST;
				} else if (rc == 0) {
					rc = ESD_ESTORE;
				}
				PQclear(r);
			} else if (last != NULL && t->pending == 1 && keep == NULL) {
				keep = r;
			} else {
				PQclear(r);
			}
		}
		if (PQstatus(t->c) != CONNECTION_OK && rc == 0)
			rc = ESD_EDBDOWN;
		if (PQstatus(t->c) != CONNECTION_OK) {
			PQclear(keep);
			t->pending = 0;
			break;
		}
		if (last != NULL && t->pending == 1)
			*last = keep;
		else
			PQclear(keep);
	}
	if (PQstatus(t->c) == CONNECTION_OK) {
		r = PQgetResult(t->c);
		if (PQresultStatus(r) != PGRES_PIPELINE_SYNC && rc == 0)
			rc = ESD_ESTORE;
		PQclear(r);
	}
	if (rc != 0 && last != NULL) {
		PQclear(*last);
		*last = NULL;
	}
	return t->err = rc;
}

static int pg_txn_commit(struct store_txn *bt)
{
	struct pg_txn *t = PGT(bt);
	PGresult *r = NULL;
	int rc = 0;

	if (t->piped) {
		rc = pipe_send(t, "COMMIT", DB_META, NULL, 0, NULL, 0, 0);
		if (rc == 0)
			rc = pipe_sync(t, &r);
	} else {
		r = PQexec(t->c, "COMMIT");
	}
	/* A transaction that failed earlier "commits" as ROLLBACK. */
	if (rc == 0 && (PQresultStatus(r) != PGRES_COMMAND_OK ||
			strcmp(PQcmdStatus(r), "COMMIT") != 0)) {
		log_err("store: commit: %s", PQerrorMessage(t->c));
		rc = PQresultStatus(r) == PGRES_COMMAND_OK ? ESD_ESTORE
			 : failure(t->c, r);
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
		if (pipe_send_raw(t, "ROLLBACK", DB_META, NULL, 0, NULL, 0, 0) == 0)
			pipe_sync(t, NULL);
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

/* The newest remembered write of (db, key), or NULL. */
static struct wset_entry *wset_find(struct pg_txn *t, enum store_db db,
				    const void *key, size_t klen)
{
	for (size_t i = t->nws; i-- > 0;) {
		struct wset_entry *w = &t->ws[i];

		if (w->live && w->db == db && w->klen == klen &&
		    memcmp(w->kv, key, klen) == 0)
			return w;
	}
	return NULL;
}

/* Remembers a write (val NULL: a delete) when there is room, to be
 * sent later when unsent is not UNSENT_NO; an earlier one of the key is
 * forgotten either way. 1 if it was remembered. */
static int wset_note(struct pg_txn *t, enum store_db db, const void *key,
		     size_t klen, const void *val, size_t vlen, int unsent)
{
	struct wset_entry *w = wset_find(t, db, key, klen);

	if (w != NULL)
		w->live = 0;
	if (t->nws == WSET_MAX || t->wsbytes + klen + vlen > WSET_BYTES)
		return 0;
	w = &t->ws[t->nws];
	w->kv = malloc(klen + vlen + 1);
	if (w->kv == NULL)
		return 0;
	memcpy(w->kv, key, klen);
	if (vlen > 0)
		memcpy(w->kv + klen, val, vlen);
	w->db = db;
	w->klen = klen;
	w->vlen = vlen;
	w->deleted = val == NULL;
	w->live = 1;
	w->unsent = unsent;
	t->nws++;
	t->wsbytes += klen + vlen;
	return 1;
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
		 * failure stays in t->err: the transaction is lost. */
		if (pipe_send(t, sql, db, p2, l2, p3, l3, nparams) != 0 ||
		    pipe_sync(t, &r) != 0)
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
	r = prepared_name(sql, name) != NULL
		    ? PQexecPrepared(t->c, name, nparams, vals, lens, fmts, 1)
		    : PQexecParams(t->c, sql, nparams, NULL, vals, lens, fmts, 1);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		log_err("store: %s: %s", store_db_names[db],
			PQerrorMessage(t->c));
		t->err = failure(t->c, r);
		PQclear(r);
		return NULL;
	}
	return r;
}

static int pg_get(struct store_txn *bt, enum store_db db, const void *key,
		  size_t klen, const void **val, size_t *vlen)
{
	struct pg_txn *t = PGT(bt);
	struct wset_entry *w = t->piped ? wset_find(t, db, key, klen) : NULL;
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
		struct wset_entry *w = wset_find(t, db, key, klen);

		if (t->err != 0)
			return t->err;
		/* An overwrite of an overwrite not sent yet replaces it. */
		if (w != NULL && w->unsent == UNSENT_PUT && noover == 0)
			w->unsent = UNSENT_NO;
		if (wset_note(t, db, key, klen, val != NULL ? val : "", vlen,
			      noover == STORE_NEW ? UNSENT_NEW : UNSENT_PUT))
			return 0;
		return pipe_send(t, noover == STORE_NEW ? SQL_PUT_NEW : SQL_PUT,
				 db, key, klen, val, vlen, 3);
	}
	r = run(t, noover ? SQL_PUT_NOOVER : SQL_PUT, db, key, klen, val,
		vlen, 3);
	if (r == NULL)
		return t->err;
	rc = affected(r) ? 0 : ESD_EEXIST;
	PQclear(r);
	if (rc == 0 && t->piped)
		wset_note(t, db, key, klen, val != NULL ? val : "", vlen,
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
		wset_note(t, db, key, klen, NULL, 0, UNSENT_NO);
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
	const uint8_t *p;
	uint64_t v = 0;

	if (r == NULL)
		return PGT(bt)->err;
	/* int8 in binary: 8 bytes, big endian. */
	if (PQntuples(r) != 1 || PQgetlength(r, 0, 0) != 8) {
		PQclear(r);
		return ESD_ESTORE;
	}
	p = (const uint8_t *)PQgetvalue(r, 0, 0);
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	PQclear(r);
	*n = v;
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
		rc = failure(c, r);
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
	g->c = conn_get(ENV(s));
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
		pool_flush(ENV(s));
	if (g->c != NULL) {
		/* Closed when a slot may be held: that frees it. */
		if (rc != 0 || got)
			PQfinish(g->c);
		else
			conn_put(ENV(s), g->c);
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
		conn_put(ENV(g->base.s), g->c);
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
		PGconn *c = conn_get(ENV(s));
		PGresult *r;
		const uint8_t *v;

		if (c == NULL)
			return ESD_EDBDOWN;
		r = PQexecPrepared(c, prepared_name(SQL_GEN, name), 1, vals,
				   lens, fmts, 1);
		if (PQresultStatus(r) != PGRES_TUPLES_OK) {
			rc = failure(c, r);
			log_err("store: keys_gen: %s", PQerrorMessage(c));
		} else if (PQntuples(r) == 0) {
			*gen = 0;
			rc = 0;
		} else if (PQgetlength(r, 0, 0) == 8) {
			v = (const uint8_t *)PQgetvalue(r, 0, 0);
			*gen = 0;
			for (int i = 0; i < 8; i++)
				*gen = *gen << 8 | v[i];
			rc = 0;
		} else {
			rc = ESD_ESTORE;
		}
		PQclear(r);
		if (rc == ESD_EDBDOWN) {
			PQfinish(c);
			pool_flush(ENV(s));
			continue;
		}
		conn_put(ENV(s), c);
		break;
	}
	return rc;
}

const struct store_ops store_pg_ops = {
	"postgresql", pg_txn_begin, pg_txn_commit, pg_txn_abort, pg_get,
	pg_put, pg_del, pg_walk, pg_count, pg_close, pg_gate_take,
	pg_gate_leave, pg_keys_gen,
};
