/*
 * Signed results kept for a while (BSrE v1's GET /api/sign/download/
 * {id_dokumen}, docs/bsre-compat.md): the document by its SHA-256 in
 * DB_FILES ("r:ID"), and in ra_index "result:ID" -> {client, expires,
 * size}. Only the client that signed fetches it; after
 * bsre_retention_seconds it is gone, swept as new results come in.
 */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "keeper/ra_internal.h"

#define SWEEP_MAX 64          /* expired results removed per new one */

static int hex64(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return i == 64;
}

struct sweep {
	int64_t now;
	char ids[SWEEP_MAX][65];
	size_t n;
};

static int sweep_cb(void *arg, const void *key, size_t klen, const void *val,
		    size_t vlen)
{
	struct sweep *w = arg;
	json_t *rec;

	if (klen != 7 + 64 || memcmp(key, "result:", 7) != 0)
		return 1;
	rec = json_loadb(val, vlen, 0, NULL);
	if (rec != NULL && member_int(rec, "expires") <= w->now && w->n < SWEEP_MAX) {
		memcpy(w->ids[w->n], (const char *)key + 7, 64);
		w->ids[w->n++][64] = '\0';
	}
	json_decref(rec);
	return w->n == SWEEP_MAX;
}

int h_result_put(struct keeper *k, struct caller *c, struct ibuf *in,
		 struct reply *r)
{
	char id[65], key[80];
	const uint8_t *pdf;
	struct sweep w = { .now = esd_now() };
	struct store_txn *t = NULL;
	uint64_t keep;
	uint8_t h[32];
	char hh[65];
	json_t *rec;
	size_t n;
	int rc;

	if (ibuf_get_str(in, id, sizeof(id)) != 0 ||
	    ibuf_get_bytes(in, &pdf, &n) != 0 || ibuf_done(in) != 0 || !hex64(id))
		return ESD_EINVAL;
	/* The id is the document's SHA-256: checked, not trusted. */
	if (esd_sha256(pdf, n, h) != 0)
		return ESD_ECRYPTO;
	esd_hex(h, sizeof(h), hh);
	if (strcmp(hh, id) != 0)
		return ESD_EINVAL;
	pthread_mutex_lock(&k->cfg_mu);
	keep = k->cfg.bsre_retention_seconds;
	pthread_mutex_unlock(&k->cfg_mu);
	if (keep == 0) {
		r->json = json_pack("{s:b}", "kept", 0);
		return r->json ? 0 : ESD_ENOMEM;
	}
	rec = json_pack("{s:s, s:I, s:I}", "client", c->actor, "expires",
			(json_int_t)(esd_now() + (int64_t)keep), "size",
			(json_int_t)n);
	rc = rec ? store_txn_begin(k->store, 1, &t) : ESD_ENOMEM;
	if (rc == 0)
		rc = store_walk_from(t, DB_RA_INDEX, "result:", 7, sweep_cb, &w);
	for (size_t i = 0; rc == 0 && i < w.n; i++) {
		snprintf(key, sizeof(key), "r:%s", w.ids[i]);
		store_del(t, DB_FILES, key, strlen(key));
		snprintf(key, sizeof(key), "result:%s", w.ids[i]);
		store_del(t, DB_RA_INDEX, key, strlen(key));
	}
	snprintf(key, sizeof(key), "r:%s", id);
	if (rc == 0)
		rc = store_put(t, DB_FILES, key, strlen(key), pdf, n, 0);
	snprintf(key, sizeof(key), "result:%s", id);
	if (rc == 0)
		rc = store_put_json(t, DB_RA_INDEX, key, rec, 0);
	if (rc == 0) {
		rc = store_txn_commit(t);
		t = NULL;
	}
	store_txn_abort(t);
	json_decref(rec);
	if (rc == 0) {
		r->json = json_pack("{s:b}", "kept", 1);
		rc = r->json ? 0 : ESD_ENOMEM;
	}
	return rc;
}

int h_result_get(struct keeper *k, struct caller *c, struct ibuf *in,
		 struct reply *r)
{
	char id[65], key[80];
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	const void *v;
	size_t n;
	int rc;

	if (ibuf_get_str(in, id, sizeof(id)) != 0 || ibuf_done(in) != 0 ||
	    !hex64(id))
		return reply_error(r, ESD_ENOTFOUND, "no document with that id");
	snprintf(key, sizeof(key), "result:%s", id);
	rc = store_txn_begin(k->store, 0, &t);
	/* Another client's result, or an expired one, is not found. */
	if (rc == 0 && (store_get_json(t, DB_RA_INDEX, key, &rec) != 0 ||
			!member_str_is(rec, "client", c->actor) ||
			member_int(rec, "expires") <= esd_now()))
		rc = reply_error(r, ESD_ENOTFOUND, "no document with that id (or it "
			  "is past its retention)");
	snprintf(key, sizeof(key), "r:%s", id);
	if (rc == 0 && store_get(t, DB_FILES, key, strlen(key), &v, &n) != 0)
		rc = reply_error(r, ESD_ENOTFOUND, "no document with that id");
	if (rc == 0) {
		r->bin = OPENSSL_malloc(n ? n : 1);
		if (r->bin == NULL)
			rc = ESD_ENOMEM;
		else {
			memcpy(r->bin, v, n);
			r->bin_len = n;
		}
	}
	store_txn_abort(t);
	json_decref(rec);
	return rc;
}
