/*
 * The audit log: append-only records in one hash chain. Record n is
 * stored as H(n) || JSON, where the JSON carries prev = hex(H(n-1)) and
 * H(n) = SHA-256(H(n-1) || JSON), H(0) = 32 zero bytes. A record whose
 * bytes change no longer matches its own H(n), so verification names it;
 * a record replaced together with its hash breaks the next one's prev and
 * the signed checkpoints (keeper). meta "audit_head" keeps (n, H(n)) so
 * appending is O(1).
 */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "common/util.h"
#include "store/store_int.h"

#define HEAD_KEY "audit_head"

static void chain_hash(const uint8_t prev[32], const void *rec, size_t len,
		       uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned n = 32;

	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, prev, 32);
	EVP_DigestUpdate(c, rec, len);
	EVP_DigestFinal_ex(c, out, &n);
	EVP_MD_CTX_free(c);
}

static int head_get(struct store_txn *t, uint64_t *seq, uint8_t hash[32])
{
	const void *v;
	size_t vlen;
	int rc = store_get(t, DB_META, HEAD_KEY, strlen(HEAD_KEY), &v, &vlen);

	if (rc == ESD_ENOTFOUND) {
		*seq = 0;
		memset(hash, 0, 32);
		return 0;
	}
	if (rc != 0)
		return rc;
	if (vlen != 40)
		return ESD_ESTORE;
	*seq = esd_be64_get(v);
	memcpy(hash, (const uint8_t *)v + 8, 32);
	return 0;
}

int store_audit(struct store_txn *t, const char *actor, const char *action,
		const char *target, int result, json_t *detail)
{
	uint8_t prev[32], hash[32], key[8], head[40];
	char prev_hex[65];
	json_t *rec = NULL;
	char *text = NULL;
	uint8_t *stored = NULL;
	uint64_t seq;
	int rc;

	if (!t->write)
		return ESD_EINTERNAL;
	rc = head_get(t, &seq, prev);
	if (rc != 0)
		return rc;
	seq++;
	esd_hex(prev, 32, prev_hex);
	rec = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s}",
			"seq", (json_int_t)seq, "time", (json_int_t)esd_now(),
			"actor", actor ? actor : "", "action", action,
			"target", target ? target : "",
			"result", esd_err_name(result), "prev", prev_hex);
	if (rec == NULL)
		return ESD_ENOMEM;
	if (detail != NULL)
		json_object_set(rec, "detail", detail);
	text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	if (text == NULL) {
		rc = ESD_ENOMEM;
		goto out;
	}
	chain_hash(prev, text, strlen(text), hash);
	esd_be64_put(key, seq);
	stored = malloc(32 + strlen(text));
	if (stored == NULL) {
		rc = ESD_ENOMEM;
		goto out;
	}
	memcpy(stored, hash, 32);
	memcpy(stored + 32, text, strlen(text));
	rc = store_put(t, DB_AUDIT, key, sizeof(key), stored, 32 + strlen(text),
		       STORE_NEW);
	if (rc != 0)
		goto out;
	esd_be64_put(head, seq);
	memcpy(head + 8, hash, 32);
	rc = store_put(t, DB_META, HEAD_KEY, strlen(HEAD_KEY), head,
		       sizeof(head), 0);
out:
	free(stored);
	free(text);
	json_decref(rec);
	return rc;
}

int store_audit_head(struct store_txn *t, uint64_t *seq, uint8_t hash[32])
{
	return head_get(t, seq, hash);
}

struct audit_pending {
	const char *actor, *action, *target;
	int result;
	json_t *detail;
	store_apply_fn apply;
	void *arg;
	int rc;
	int arc;           /* the apply function's result */
	int done;
	struct audit_pending *next;
};

/* Writes a batch (oldest first) in one transaction; sets every rc. */
static void commit_batch(struct store *s, struct audit_pending *batch)
{
	struct store_txn *t = NULL;
	struct audit_pending *p;
	int rc = store_txn_begin(s, 1, &t);

	for (p = batch; rc == 0 && p != NULL; p = p->next) {
		/* A refused change is recorded as a refusal; it writes
		 * nothing else, so the batch goes on. */
		p->arc = p->apply != NULL ? p->apply(t, p->arg) : 0;
		rc = store_audit(t, p->actor, p->action, p->target,
				 p->arc ? p->arc : p->result, p->detail);
	}
	if (rc == 0)
		rc = store_txn_commit(t);
	else
		store_txn_abort(t);
	for (p = batch; p != NULL; p = p->next)
		p->rc = rc != 0 ? rc : p->arc;
}

int store_audit_sync(struct store *s, const char *actor, const char *action,
		     const char *target, int result, json_t *detail)
{
	return store_audit_sync_apply(s, NULL, NULL, actor, action, target,
				      result, detail);
}

int store_audit_sync_apply(struct store *s, store_apply_fn apply, void *arg,
			   const char *actor, const char *action,
			   const char *target, int result, json_t *detail)
{
	struct audit_pending me = { actor, action, target, result, detail,
				    apply, arg, 0, 0, 0, NULL }, **tail;

	pthread_mutex_lock(&s->gc_mu);
	for (tail = &s->gc_queue; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = &me;
	while (!me.done) {
		struct audit_pending *batch, *p;

		if (s->gc_committing) {
			pthread_cond_wait(&s->gc_cv, &s->gc_mu);
			continue;
		}
		/* Lead: take the whole queue (it includes me). */
		s->gc_committing = 1;
		batch = s->gc_queue;
		s->gc_queue = NULL;
		pthread_mutex_unlock(&s->gc_mu);
		commit_batch(s, batch);
		pthread_mutex_lock(&s->gc_mu);
		for (p = batch; p != NULL; p = p->next)
			p->done = 1;
		s->gc_committing = 0;
		pthread_cond_broadcast(&s->gc_cv);
	}
	pthread_mutex_unlock(&s->gc_mu);
	return me.rc;
}

struct verify_state {
	uint8_t hash[32];
	uint64_t expect;
	uint64_t bad;
	const struct store_audit_mark *marks;
	size_t nmarks, next_mark;
	uint64_t bad_mark;
};

static int verify_one(void *arg, const void *key, size_t klen,
		      const void *val, size_t vlen)
{
	struct verify_state *st = arg;
	const uint8_t *v = val;
	uint8_t h[32];
	char prev_hex[65];
	json_t *rec;
	const char *prev;
	int ok;

	st->expect++;
	if (klen != 8 || esd_be64_get(key) != st->expect || vlen <= 32)
		goto bad;
	chain_hash(st->hash, v + 32, vlen - 32, h);
	if (CRYPTO_memcmp(h, v, 32) != 0)
		goto bad;
	rec = json_loadb((const char *)v + 32, vlen - 32, 0, NULL);
	if (rec == NULL)
		goto bad;
	prev = json_string_value(json_object_get(rec, "prev"));
	esd_hex(st->hash, 32, prev_hex);
	ok = prev != NULL && strlen(prev) == 64 &&
	     CRYPTO_memcmp(prev, prev_hex, 64) == 0 &&
	     json_integer_value(json_object_get(rec, "seq")) ==
		     (json_int_t)st->expect;
	json_decref(rec);
	if (!ok)
		goto bad;
	memcpy(st->hash, h, 32);
	/* A signed checkpoint at this record must name this hash. */
	while (st->next_mark < st->nmarks &&
	       st->marks[st->next_mark].seq <= st->expect) {
		const struct store_audit_mark *m = &st->marks[st->next_mark];

		if (m->seq != st->expect || CRYPTO_memcmp(m->hash, h, 32) != 0) {
			st->bad_mark = m->seq;
			goto bad;
		}
		st->next_mark++;
	}
	return 0;
bad:
	st->bad = st->expect;
	return ESD_ESTORE;
}

int store_audit_verify(struct store_txn *t, const struct store_audit_mark *marks,
		       size_t nmarks, uint64_t *count, uint64_t *bad,
		       uint64_t *bad_mark)
{
	struct verify_state st;
	uint8_t head_hash[32];
	uint64_t head_seq;
	int rc;

	memset(&st, 0, sizeof(st));
	st.marks = marks;
	st.nmarks = nmarks;
	*bad_mark = 0;
	rc = head_get(t, &head_seq, head_hash);
	if (rc != 0)
		return rc;
	rc = store_walk(t, DB_AUDIT, verify_one, &st);
	*count = st.expect - (rc != 0);
	if (rc != 0) {
		*bad = st.bad;
		*bad_mark = st.bad_mark;
		return ESD_ESTORE;
	}
	if (st.next_mark < st.nmarks) {
		/* A checkpoint names a record that is gone. */
		*bad_mark = marks[st.next_mark].seq;
		*bad = st.expect + 1;
		return ESD_ESTORE;
	}
	if (st.expect != head_seq ||
	    CRYPTO_memcmp(st.hash, head_hash, 32) != 0) {
		/* Records missing at the end (or the head was changed). */
		*bad = st.expect + 1;
		return ESD_ESTORE;
	}
	*bad = 0;
	return 0;
}

static int export_one(void *arg, const void *key, size_t klen,
		      const void *val, size_t vlen)
{
	struct { json_t *out; size_t left; } *st = arg;
	json_t *rec;

	(void)key;
	(void)klen;
	if (st->left == 0)
		return 1;
	if (vlen <= 32)
		return ESD_ESTORE;
	rec = json_loadb((const char *)val + 32, vlen - 32, 0, NULL);
	if (rec == NULL)
		return ESD_ESTORE;
	json_array_append_new(st->out, rec);
	st->left--;
	return 0;
}

int store_audit_export(struct store_txn *t, uint64_t since, size_t limit,
		       json_t *out)
{
	uint8_t k[8];
	struct export_state { json_t *out; size_t left; } st = { out, limit };

	esd_be64_put(k, since);
	return store_walk_from(t, DB_AUDIT, k, sizeof(k), export_one, &st);
}
