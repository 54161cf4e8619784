/*
 * The PostgreSQL backend's parts (store/README.md): pg.c (transactions,
 * the store_ops table, gates, the key generation), pg_conn.c (the
 * connection pool, the prepared statements, migrations, open), pg_pipe.c
 * (a write transaction's pipeline and its own writes).
 */
#ifndef ESD_STORE_PG_INT_H
#define ESD_STORE_PG_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <libpq-fe.h>

#include "store/store_int.h"

/* The advisory lock every write transaction holds; migrations hold
 * WRITE_LOCK too, so no writer sees half a migration. */
#define WRITE_LOCK "7305218559113216001"
#define POOL_IDLE 16
#define WALK_BATCH 256

/* The statements prepared on every pooled connection (pg_conn.c). */
extern const char SQL_GET[], SQL_PUT[], SQL_PUT_NOOVER[], SQL_PUT_NEW[],
	SQL_DEL[], SQL_WALK[], SQL_WALK_FROM[], SQL_WALK_AFTER[], SQL_COUNT[],
	SQL_GEN[];
/* The name sql is prepared under ("esdN"), or NULL when it is not. */
const char *pg_prepared_name(const char *sql, char name[8]);

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
	int err;                 /* the last statement's pg_failure */
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

#define ENV(s) ((struct pg_env *)(s)->impl)
#define PGT(t) ((struct pg_txn *)(t))

/* pg_conn.c: the pool. pg_conn_get: an idle connection found alive, or
 * a new one with the statements prepared (NULL: out of reach);
 * pg_conn_put: back to the pool if idle and healthy, else closed;
 * pg_pool_flush: closes every idle one. */
PGconn *pg_conn_get(struct pg_env *e);
void pg_conn_put(struct pg_env *e, PGconn *c);
void pg_pool_flush(struct pg_env *e);
/* The error for a failed statement on c: ESD_EDBDOWN when the server
 * is out of reach, else ESD_ESTORE. */
int pg_failure(PGconn *c, const PGresult *r);
/* Runs sql (no parameters); 0 if it did what was asked. */
int pg_exec_ok(PGconn *c, const char *sql, const char *what);
void pg_close(struct store *s);

/* pg_pipe.c: a write transaction's pipeline. pg_pipe_send sends the
 * writes held unsent, then sql; pg_pipe_send_raw sends sql alone;
 * pg_pipe_sync reads every result (the last one's into *last). */
int pg_pipe_send(struct pg_txn *t, const char *sql, enum store_db db,
		 const void *p2, size_t l2, const void *p3, size_t l3,
		 int nparams);
int pg_pipe_send_raw(struct pg_txn *t, const char *sql, enum store_db db,
		     const void *p2, size_t l2, const void *p3, size_t l3,
		     int nparams);
int pg_pipe_sync(struct pg_txn *t, PGresult **last);
/* The transaction's own writes: the newest of (db, key), or NULL; and
 * one more (val NULL: a delete), held to send when unsent is not
 * UNSENT_NO; 1 if it was remembered. */
struct wset_entry *pg_wset_find(struct pg_txn *t, enum store_db db,
				const void *key, size_t klen);
int pg_wset_note(struct pg_txn *t, enum store_db db, const void *key,
		 size_t klen, const void *val, size_t vlen, int unsent);

#endif
