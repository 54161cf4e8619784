/*
 * A PostgreSQL write transaction's pipeline (store/pg_int.h, libpq's
 * pipeline mode): statements sent without waiting, results read at the
 * next sync, and the transaction's own writes, read back without a
 * round trip and, for writes that need no answer, held until the next
 * statement goes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "common/err.h"
#include "common/log.h"
#include "store/pg_int.h"

/* Sends sql into t's pipeline (db as $1, text; up to two binary
 * parameters; binary results); its result is read by the next
 * pg_pipe_sync. 0, or the failure (then the transaction is lost:
 * t->err). Syncs by itself when PIPE_MAX results are unread. */
int pg_pipe_send_raw(struct pg_txn *t, const char *sql, enum store_db db,
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
	if ((pg_prepared_name(sql, name) != NULL ?
	     PQsendQueryPrepared(t->c, name, nparams, nparams ? vals : NULL,
				 nparams ? lens : NULL, nparams ? fmts : NULL, 1) :
	     PQsendQueryParams(t->c, sql, nparams, NULL, nparams ? vals : NULL,
			       nparams ? lens : NULL, nparams ? fmts : NULL,
			       1)) != 1) {
		log_err("store: %s: %s", store_db_names[db],
			PQerrorMessage(t->c));
		return t->err = pg_failure(t->c, NULL);
	}
	t->pending++;
	return t->pending >= PIPE_MAX ? pg_pipe_sync(t, NULL) : 0;
}

/* Sends the writes held unsent, in the order they were made. */
static int send_unsent(struct pg_txn *t)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < t->nws; i++) {
		struct wset_entry *w = &t->ws[i];

		if (w->unsent != UNSENT_NO)
			rc = pg_pipe_send_raw(t, w->unsent == UNSENT_NEW ? SQL_PUT_NEW
					   : SQL_PUT, w->db, w->kv, w->klen,
					   w->kv + w->klen, w->vlen, 3);
		w->unsent = UNSENT_NO;
	}
	return rc;
}

int pg_pipe_send(struct pg_txn *t, const char *sql, enum store_db db,
		     const void *p2, size_t l2, const void *p3, size_t l3,
		     int nparams)
{
	int rc = send_unsent(t);

	return rc != 0 ? rc : pg_pipe_send_raw(t, sql, db, p2, l2, p3, l3, nparams);
}

/*
 * Ends t's pipeline with a sync and reads every result: 0 when each
 * statement did what was asked (a command, rows, or, for the last one
 * when last is not NULL, its result is handed over in *last).
 * A pg_failure is logged, kept in t->err and returned; the transaction is
 * then lost (its later statements were not run).
 */
int pg_pipe_sync(struct pg_txn *t, PGresult **last)
{
	PGresult *r;
	int rc = t->err;

	if (last != NULL)
		*last = NULL;
	if (PQpipelineSync(t->c) != 1) {
		log_err("store: sync: %s", PQerrorMessage(t->c));
		return t->err = pg_failure(t->c, NULL);
	}
	for (; t->pending > 0; t->pending--) {
		PGresult *keep = NULL;

		/* One statement's results, then NULL. */
		while ((r = PQgetResult(t->c)) != NULL) {
			ExecStatusType st = PQresultStatus(r);

			if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
				if (rc == 0 && st != PGRES_PIPELINE_ABORTED) {
					log_err("store: %s", PQresultErrorMessage(r));
					rc = pg_failure(t->c, r);
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

/* The newest remembered write of (db, key), or NULL. */
struct wset_entry *pg_wset_find(struct pg_txn *t, enum store_db db,
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
int pg_wset_note(struct pg_txn *t, enum store_db db, const void *key,
		     size_t klen, const void *val, size_t vlen, int unsent)
{
	struct wset_entry *w = pg_wset_find(t, db, key, klen);

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
