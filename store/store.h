/*
 * store: the appliance's state, in LMDB (one environment, named databases)
 * or in PostgreSQL (one table for every database, shared by the nodes of
 * a cluster): store/README.md.
 *
 * Only the keeper opens the store for writing. A state change and its
 * audit record are written in the same write transaction, so after a crash
 * either both are there or neither is (LMDB commits are durable: no
 * MDB_NOSYNC; PostgreSQL's synchronous commit). Values are JSON documents (jansson) unless said otherwise.
 *
 *   meta     "audit_head" (u64 seq BE + 32-byte chain hash),
 *            "crl:LABEL" (u64 nextUpdate BE + CRL DER), "crl_number:LABEL",
 *            "keys_gen" (u64 BE, PostgreSQL: store_keys_gen)
 *   keys     label -> {label, type, purpose, created, cert (PEM), serial,
 *            chain (issuer PEMs, nearest first)}
 *   certs    serial (lowercase hex) -> {serial, subject, key, issuer,
 *            status "valid"|"revoked", revoked_at, reason, not_after, pem}
 *   clients  hex SHA-256(bearer token) -> {name, role, hash, created,
 *            default_key, keys (granted labels)}
 *   audit    u64 seq BE -> H(seq) (32 bytes) || {seq, time, actor, action,
 *            target, result, prev, detail}
 *   checkpoints u64 seq BE -> {seq, hash, time, key, signature}: H(seq)
 *            signed with the audit key on the token
 *
 * The registration authority's (docs/ra.md gives the fields):
 *   subscribers id ("ind-…", "seal-…") -> a person or a seal and its state
 *   requests  id (time-ordered hex) -> a registration, renewal or
 *            revocation request and its state
 *   outbox    id (time-ordered hex) -> an email to deliver
 *   files     hex SHA-256 -> the bytes (recommendation letters)
 *   ra_index  "nik:NIK" -> subscriber id (one registration per NIK),
 *            "sealcode:HEX" -> a seal code (docs/activation.md)
 *   users     name -> a verifier's or admin's login (docs/activation.md)
 *   sessions  hex SHA-256(session token) -> {user, role, created, seen,
 *            expires}
 */
#ifndef ESD_STORE_H
#define ESD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct store;
struct store_txn;

enum store_db { DB_META = 0, DB_KEYS, DB_CERTS, DB_CLIENTS, DB_AUDIT,
		DB_CHECKPOINTS, DB_SUBSCRIBERS, DB_REQUESTS, DB_OUTBOX,
		DB_FILES, DB_RA_INDEX, DB_USERS, DB_SESSIONS, DB__COUNT };

/*
 * Where the state lives: "postgresql://…", "postgres://…" or a libpq
 * keyword string ("host=… dbname=…") is PostgreSQL; "lmdb:PATH" or a
 * bare PATH is an LMDB environment.
 */
int store_is_pg(const char *where);
/* The LMDB directory of where (where without "lmdb:"). */
const char *store_lmdb_dir(const char *where);

/*
 * Opens the store at where (creating an LMDB environment with create=1;
 * map_size is LMDB's). A PostgreSQL database must carry this esignd's
 * schema version: an unmigrated or newer one is refused (ESD_ESTORE,
 * with the reason logged).
 */
int store_open(const char *where, uint64_t map_size, int create,
	       struct store **out);
void store_close(struct store *s);
/* "lmdb" or "postgresql". */
const char *store_backend(const struct store *s);

/* Brings a PostgreSQL database to this esignd's schema (versioned
 * migrations, each applied once, under the writers' lock); the versions
 * before and after. Nothing to do for LMDB. */
int store_migrate(const char *where, int *from, int *to);

/*
 * Copies every database of from into to, which must be empty (else
 * ESD_EEXIST), in one write transaction of to; the copy's audit chain
 * is verified before it commits. counts gets the records per database.
 */
int store_copy(struct store *from, struct store *to,
	       uint64_t counts[DB__COUNT], uint64_t *audit_records);

/* A consistent, compacted copy of the environment in dir (data.mdb) to
 * fd, taken while the daemon runs (a read transaction). */
int store_backup(const char *dir, int fd);

int store_txn_begin(struct store *s, int write, struct store_txn **out);
/* Commits and frees t; on failure the transaction is aborted. */
int store_txn_commit(struct store_txn *t);
void store_txn_abort(struct store_txn *t);

/* *val points into the store's memory; valid until the transaction ends. */
int store_get(struct store_txn *t, enum store_db db, const void *key,
	      size_t klen, const void **val, size_t *vlen);
/* With noover, ESD_EEXIST if the key exists. With noover STORE_NEW the
 * key must be new too, but its absence may be checked only at commit
 * (PostgreSQL sends the write with the next statement that needs an
 * answer): a duplicate fails the transaction, for a write that never
 * meets one unless the store is damaged (an audit record's number). */
#define STORE_NEW 2
int store_put(struct store_txn *t, enum store_db db, const void *key,
	      size_t klen, const void *val, size_t vlen, int noover);
int store_del(struct store_txn *t, enum store_db db, const void *key,
	      size_t klen);

/* JSON convenience: value of key as a new json_t (caller decrefs). */
int store_get_json(struct store_txn *t, enum store_db db, const char *key,
		   json_t **out);
int store_put_json(struct store_txn *t, enum store_db db, const char *key,
		   json_t *val, int noover);

/* Calls cb for each record in key order (bytewise, a prefix first); a
 * non-zero return stops the walk and is returned. key and val are valid
 * during the call only. */
typedef int (*store_walk_cb)(void *arg, const void *key, size_t klen,
			     const void *val, size_t vlen);
int store_walk(struct store_txn *t, enum store_db db, store_walk_cb cb,
	       void *arg);

/* The same, from the first key >= key (a non-zero return of cb other
 * than an error code stops the walk and is not an error: 1 = stop). */
int store_walk_from(struct store_txn *t, enum store_db db, const void *key,
		    size_t klen, store_walk_cb cb, void *arg);

/*
 * The key generation: a number that changes with every committed
 * transaction that wrote a key's record (keys), a certificate's (certs),
 * an API client's (clients) or a key alias ("alias:" in ra_index), on
 * any node sharing the store.
 * What was read from those records after reading generation G is
 * current while store_keys_gen still answers G: read the generation
 * first, then the records. LMDB (only this process writes): a counter in
 * memory, no read. PostgreSQL: the meta record "keys_gen", written in
 * the same transaction as the change, read in one statement.
 */
int store_keys_gen(struct store *s, uint64_t *gen);

/* Number of records in db. */
int store_count(struct store_txn *t, enum store_db db, uint64_t *n);

/*
 * A gate across the nodes sharing the store: store_gate_take takes a
 * free slot of the gate named key (0, *out to pass to store_gate_leave;
 * ESD_EEXIST when all STORE_GATE_SLOTS are held) and then counts the
 * slots of key held now, its own included, into *held. A slot is held
 * until store_gate_leave or the end of the process (a node that dies
 * frees its slots). A caller that decides by *held reads the state it
 * decides on after the count: what a holder committed before it left
 * is then seen. On LMDB (one node) there is nothing to share: 0 with
 * *out NULL and *held 0; the caller's own in-process count is the gate.
 */
#define STORE_GATE_SLOTS 128
struct store_gate;
int store_gate_take(struct store *s, const char *key, struct store_gate **out,
		    unsigned *held);
void store_gate_leave(struct store_gate *g);

/*
 * Appends an audit record in t (a write transaction): actor, action and
 * target are free text without secrets, result an ESD_E* code, detail an
 * optional JSON object (borrowed). The record carries the hash of the
 * previous one (hash chain over the stored bytes).
 */
int store_audit(struct store_txn *t, const char *actor, const char *action,
		const char *target, int result, json_t *detail);

/*
 * Appends an audit record in a transaction of its own and returns once it
 * is durable. Concurrent callers share one transaction and one fsync
 * (group commit): the first caller to find no commit running commits
 * everything queued so far while the others wait for their record.
 */
int store_audit_sync(struct store *s, const char *actor, const char *action,
		     const char *target, int result, json_t *detail);

/*
 * The same, with a change that must be durable with the record: apply
 * runs in the shared transaction just before the record is added. If it
 * returns non-zero it must have written nothing; the record is then
 * written with that result and store_audit_sync_apply returns it.
 */
typedef int (*store_apply_fn)(struct store_txn *t, void *arg);
int store_audit_sync_apply(struct store *s, store_apply_fn apply, void *arg,
			   const char *actor, const char *action,
			   const char *target, int result, json_t *detail);

/* The last record's sequence number and chain hash (0 and zeros: none). */
int store_audit_head(struct store_txn *t, uint64_t *seq, uint8_t hash[32]);

/* A checkpoint the verifier must find in the chain: H(seq) == hash. */
struct store_audit_mark {
	uint64_t seq;
	uint8_t hash[32];
};

/*
 * Walks the audit chain; returns 0 if intact, else ESD_ESTORE with the
 * first broken sequence number in *bad (and, if a checkpoint disagrees
 * with the chain, its sequence number in *bad_mark). marks must be in
 * ascending seq order.
 */
int store_audit_verify(struct store_txn *t, const struct store_audit_mark *marks,
		       size_t nmarks, uint64_t *count, uint64_t *bad,
		       uint64_t *bad_mark);

/* Appends up to limit records from seq since on, as JSON objects, to the
 * array out. */
int store_audit_export(struct store_txn *t, uint64_t since, size_t limit,
		       json_t *out);

#endif
