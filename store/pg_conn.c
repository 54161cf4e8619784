/*
 * The PostgreSQL backend's connections (store/pg_int.h): a pool of
 * libpq connections, each with the statements of transactions prepared,
 * the versioned migrations, and opening a store (the schema check).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "common/err.h"
#include "common/log.h"
#include "store/pg_int.h"

#define WALK_LIMIT " ORDER BY key LIMIT 256"

/* The statements of transactions and of store_keys_gen, prepared on
 * each pooled connection when it opens (pool_prepare): the server
 * parses and plans each once per connection, not once per call. */
const char SQL_GET[] = "SELECT value FROM esd_kv WHERE db = $1 AND key = $2";
const char SQL_PUT[] = "INSERT INTO esd_kv (db, key, value) VALUES ($1, $2, $3) "
	"ON CONFLICT (db, key) DO UPDATE SET value = EXCLUDED.value";
/* ON CONFLICT DO NOTHING: an existing key is an answer, not an error
 * that would abort the whole transaction. */
const char SQL_PUT_NOOVER[] = "INSERT INTO esd_kv (db, key, value) VALUES ($1, $2, $3) "
	"ON CONFLICT DO NOTHING";
/* STORE_NEW: an existing key fails the transaction. */
const char SQL_PUT_NEW[] = "INSERT INTO esd_kv (db, key, value) VALUES ($1, $2, $3)";
const char SQL_DEL[] = "DELETE FROM esd_kv WHERE db = $1 AND key = $2";
const char SQL_WALK[] = "SELECT key, value FROM esd_kv WHERE db = $1" WALK_LIMIT;
const char SQL_WALK_FROM[] = "SELECT key, value FROM esd_kv WHERE db = $1 "
	"AND key >= $2" WALK_LIMIT;
const char SQL_WALK_AFTER[] = "SELECT key, value FROM esd_kv WHERE db = $1 "
	"AND key > $2" WALK_LIMIT;
const char SQL_COUNT[] = "SELECT count(*) FROM esd_kv WHERE db = $1";
const char SQL_GEN[] = "SELECT value FROM esd_kv WHERE db = 0 AND key = $1";
static const char *const prepared[] = {
	SQL_GET, SQL_PUT, SQL_PUT_NOOVER, SQL_PUT_NEW, SQL_DEL, SQL_WALK,
	SQL_WALK_FROM, SQL_WALK_AFTER, SQL_COUNT, SQL_GEN,
};

/* The name sql is prepared under ("esdN"), or NULL when it is not. */
const char *pg_prepared_name(const char *sql, char name[8])
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

/* Prepares the statements of prepared[] on c (of a database at this
 * esignd's schema); 0 or the failure. */
static int pool_prepare(PGconn *c)
{
	char name[8];

	for (size_t i = 0; i < sizeof(prepared) / sizeof(prepared[0]); i++) {
		PGresult *r = PQprepare(c, pg_prepared_name(prepared[i], name),
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

PGconn *pg_conn_get(struct pg_env *e)
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
		pg_pool_flush(e);
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
void pg_pool_flush(struct pg_env *e)
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
int pg_failure(PGconn *c, const PGresult *r)
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
void pg_conn_put(struct pg_env *e, PGconn *c)
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
int pg_exec_ok(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0
		 : pg_failure(c, r);

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
	rc = pg_exec_ok(c, "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK "); "
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
		rc = pg_exec_ok(c, "INSERT INTO esd_schema VALUES (0)", "migrate");
	for (; rc == 0 && v < SCHEMA_VERSION; v++) {
		rc = pg_exec_ok(c, migrations[v], "migration");
		snprintf(sql, sizeof(sql), "UPDATE esd_schema SET version = %d",
			 v + 1);
		if (rc == 0)
			rc = pg_exec_ok(c, sql, "migrate");
	}
	if (rc == 0)
		rc = pg_exec_ok(c, "COMMIT", "migrate");
	if (rc == 0)
		*to = v;
	PQfinish(c);
	return rc;
}

void pg_close(struct store *s)
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
		pg_conn_put(e, c);
	else
		PQfinish(c);
	if (rc != 0)
		pg_close(s);
	return rc;
}
