/*
 * The audit log seen from the keeper: verification of the hash chain and
 * of its signed checkpoints, export for a SIEM, and the thread that signs
 * checkpoints with the audit key on the token.
 *
 * A checkpoint signs (RSA PKCS#1 v1.5, SHA-256) the text
 *   "esignd audit checkpoint\n<seq>\n<hex H(seq)>\n"
 * so anyone with the audit certificate can check it without esignd.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/internal.h"

#define CHECKPOINT_PREFIX "esignd audit checkpoint\n"

static int checkpoint_text(uint64_t seq, const uint8_t hash[32], char *out,
			   size_t cap)
{
	char hex[65];

	esd_hex(hash, 32, hex);
	return snprintf(out, cap, CHECKPOINT_PREFIX "%llu\n%s\n",
			(unsigned long long)seq, hex);
}

/* Signs a checkpoint of the current head, unless one exists for it. */
static int checkpoint(struct keeper *k, uint64_t *last_seq)
{
	char label[HSM_LABEL_MAX + 1], text[160], *sig64 = NULL;
	uint8_t hash[32], dg[32], sig[1024], key[8];
	size_t siglen = sizeof(sig);
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	uint64_t seq;
	int rc, n;

	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0)
		rc = store_audit_head(t, &seq, hash);
	store_txn_abort(t);
	t = NULL;
	if (rc != 0 || seq == 0 || seq == *last_seq)
		return rc;
	rc = keeper_key_by_purpose(k, "audit", label);
	if (rc != 0)
		return rc;
	n = checkpoint_text(seq, hash, text, sizeof(text));
	rc = esd_sha256(text, (size_t)n, dg);
	if (rc != 0)
		return rc;
	rc = hsm_sign(k->hsm, label, HSM_ALG_RSA_PKCS1, EVP_sha256(), dg,
		      sizeof(dg), sig, &siglen);
	if (rc != 0)
		return rc;
	sig64 = esd_b64_encode(sig, siglen);
	esd_hex(hash, 32, text); /* reuse: the hash in hex */
	rec = sig64 ? json_pack("{s:I, s:s, s:I, s:s, s:s}", "seq", (json_int_t)seq,
				"hash", text, "time", (json_int_t)esd_now(),
				"key", label, "signature", sig64)
		    : NULL;
	free(sig64);
	if (rec == NULL)
		return ESD_ENOMEM;
	esd_be64_put(key, seq);
	rc = store_txn_begin(k->store, 1, &t);
	if (rc == 0) {
		char *js = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);

		rc = js ? store_put(t, DB_CHECKPOINTS, key, sizeof(key), js,
				    strlen(js), 1)
			: ESD_ENOMEM;
		free(js);
		if (rc == ESD_EEXIST)
			rc = 0;
		if (rc == 0)
			rc = store_txn_commit(t);
		else
			store_txn_abort(t);
	}
	json_decref(rec);
	if (rc == 0)
		*last_seq = seq;
	return rc;
}

static void *checkpoint_thread(void *arg)
{
	struct keeper *k = arg;
	uint64_t last = 0, last_ns = esd_mono_ns();

	for (;;) {
		struct store_txn *t;
		uint8_t hash[32];
		uint64_t seq = 0, every, secs;

		sleep(1);
		pthread_mutex_lock(&k->cfg_mu);
		every = k->cfg.audit_checkpoint_records;
		secs = k->cfg.audit_checkpoint_seconds;
		pthread_mutex_unlock(&k->cfg_mu);
		if (store_txn_begin(k->store, 0, &t) == 0) {
			store_audit_head(t, &seq, hash);
			store_txn_abort(t);
		}
		if (seq == last)
			continue;
		if (seq - last < every &&
		    esd_mono_ns() - last_ns < secs * 1000000000ull)
			continue;
		if (checkpoint(k, &last) != 0)
			log_warn("keeper: cannot sign an audit checkpoint now");
		last_ns = esd_mono_ns();
	}
	return NULL;
}

int keeper_checkpoints_start(struct keeper *k)
{
	pthread_t th;

	if (pthread_create(&th, NULL, checkpoint_thread, k) != 0)
		return ESD_ENOMEM;
	pthread_detach(th);
	return 0;
}

struct cp_walk {
	struct store_audit_mark *marks;
	size_t n, cap;
	EVP_PKEY *pub;       /* the audit key's, from its certificate */
	uint64_t bad;        /* first checkpoint whose signature fails */
};

static int cp_one(void *arg, const void *key, size_t klen, const void *val,
		  size_t vlen)
{
	struct cp_walk *w = arg;
	json_t *rec = json_loadb(val, vlen, 0, NULL);
	const char *hex = json_string_value(json_object_get(rec, "hash"));
	const char *sig64 = json_string_value(json_object_get(rec, "signature"));
	uint64_t seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
	struct store_audit_mark *m;
	uint8_t *sig = NULL, dg[32];
	size_t siglen, n;
	char text[160];
	int ok = 0, tl;

	(void)key;
	(void)klen;
	if (w->n == w->cap) {
		size_t nc = w->cap ? w->cap * 2 : 64;
		struct store_audit_mark *nm = realloc(w->marks, nc * sizeof(*nm));

		if (nm == NULL) {
			json_decref(rec);
			return ESD_ENOMEM;
		}
		w->marks = nm;
		w->cap = nc;
	}
	m = &w->marks[w->n];
	memset(m, 0, sizeof(*m));
	if (rec != NULL && hex != NULL && sig64 != NULL && w->pub != NULL &&
	    esd_unhex(hex, strlen(hex), m->hash, 32, &n) == 0 && n == 32 &&
	    esd_b64_decode(sig64, &sig, &siglen) == 0) {
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(w->pub, NULL);

		tl = checkpoint_text(seq, m->hash, text, sizeof(text));
		ok = esd_sha256(text, (size_t)tl, dg) == 0 && pc != NULL &&
		     EVP_PKEY_verify_init(pc) > 0 &&
		     EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) > 0 &&
		     EVP_PKEY_verify(pc, sig, siglen, dg, sizeof(dg)) == 1;
		EVP_PKEY_CTX_free(pc);
	}
	free(sig);
	json_decref(rec);
	m->seq = seq;
	w->n++;
	if (!ok && w->bad == 0)
		w->bad = seq ? seq : 1;
	return 0;
}

int h_audit_verify(struct keeper *k, struct caller *c, struct ibuf *in,
		   struct reply *r)
{
	struct cp_walk w = { NULL, 0, 0, NULL, 0 };
	char label[HSM_LABEL_MAX + 1];
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	X509 *cert = NULL;
	uint64_t count = 0, bad = 0, bad_mark = 0;
	int rc, ok;

	(void)c;
	if (ibuf_done(in) != 0)
		return ESD_EINVAL;
	/* The audit key's public key from its certificate: verification
	 * works even while the token is away. */
	if (keeper_key_by_purpose(k, "audit", label) == 0 &&
	    keeper_key_record(k, label, &rec) == 0 &&
	    keeper_record_cert(rec, &cert) == 0)
		w.pub = X509_get_pubkey(cert);
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0)
		rc = store_walk(t, DB_CHECKPOINTS, cp_one, &w);
	if (rc == 0) {
		ok = store_audit_verify(t, w.marks, w.n, &count, &bad,
					&bad_mark) == 0 && w.bad == 0;
		r->json = json_pack("{s:b, s:I, s:I}", "ok", ok, "records",
				    (json_int_t)count, "checkpoints",
				    (json_int_t)w.n);
		rc = r->json ? 0 : ESD_ENOMEM;
		if (rc == 0 && w.n > 0)
			rc = keeper_json_update(r->json, json_pack("{s:I, s:I}",
				"first_checkpoint", (json_int_t)w.marks[0].seq,
				"last_checkpoint", (json_int_t)w.marks[w.n - 1].seq));
		if (rc == 0 && bad != 0)
			rc = keeper_json_set(r->json, "first_bad",
					     json_integer((json_int_t)bad));
		if (rc == 0 && (bad_mark || w.bad))
			rc = keeper_json_set(r->json, "bad_checkpoint",
					     json_integer((json_int_t)(w.bad ? w.bad : bad_mark)));
	}
	store_txn_abort(t);
	free(w.marks);
	EVP_PKEY_free(w.pub);
	X509_free(cert);
	json_decref(rec);
	return rc;
}

int h_audit_export(struct keeper *k, struct caller *c, struct ibuf *in,
		   struct reply *r)
{
	struct store_txn *t;
	uint64_t since;
	uint32_t limit;
	json_t *arr;
	int rc;

	(void)c;
	if (ibuf_get_u64(in, &since) != 0 || ibuf_get_u32(in, &limit) != 0 ||
	    ibuf_done(in) != 0 || limit == 0 || limit > 10000)
		return ESD_EINVAL;
	arr = json_array();
	if (arr == NULL)
		return ESD_ENOMEM;
	rc = store_txn_begin(k->store, 0, &t);
	if (rc == 0) {
		rc = store_audit_export(t, since, limit, arr);
		store_txn_abort(t);
	}
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	r->json = json_pack("{s:o}", "records", arr);
	return r->json ? 0 : ESD_ENOMEM;
}
