/*
 * The admin's key operations: the key list (token and store), a new key
 * in the token, and raw digest signing for an admin on the Unix socket.
 */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "keeper/internal.h"
#include "pki/pki.h"

static json_t *key_json(struct keeper *k, const char *label,
			enum hsm_keytype type, const char *id_hex,
			struct store_txn *t)
{
	EVP_PKEY *pub = NULL;
	char *pem = NULL;
	json_t *o = json_pack("{s:s, s:s}", "label", label, "type",
			      hsm_keytype_name(type)), *rec = NULL;

	int rc = o ? 0 : ESD_ENOMEM;

	if (rc == 0 && id_hex != NULL)
		rc = keeper_json_set(o, "id", json_string(id_hex));
	if (rc == 0 && hsm_pubkey(k->hsm, label, &pub) == 0 &&
	    pki_pubkey_pem(pub, &pem) == 0)
		rc = keeper_json_set(o, "public_key", json_string(pem));
	if (rc == 0 && t != NULL && store_get_json(t, DB_KEYS, label, &rec) == 0) {
		json_t *cert = json_object_get(rec, "cert");
		json_t *purpose = json_object_get(rec, "purpose");

		if (cert != NULL)
			rc = keeper_json_set(o, "certificate", json_incref(cert));
		if (rc == 0 && purpose != NULL)
			rc = keeper_json_set(o, "purpose", json_incref(purpose));
	}
	json_decref(rec);
	free(pem);
	EVP_PKEY_free(pub);
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int h_keys_list(struct keeper *k, struct caller *c, struct ibuf *in,
		struct reply *r)
{
	struct hsm_key_info *keys = NULL;
	struct store_txn *t = NULL;
	size_t n = 0;
	json_t *arr;
	int rc;

	(void)c;
	if (ibuf_done(in) != 0)
		return ESD_EINVAL;
	rc = hsm_keys_list(k->hsm, &keys, &n);
	if (rc != 0)
		return rc;
	arr = json_array();
	rc = arr ? 0 : ESD_ENOMEM;
	if (rc == 0)
		rc = store_txn_begin(k->store, 0, &t);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = keeper_json_append(arr, key_json(k, keys[i].label,
						      keys[i].type,
						      keys[i].id_hex, t));
	store_txn_abort(t);
	free(keys);
	if (rc != 0) {
		json_decref(arr);
		return rc;
	}
	r->json = json_pack("{s:o}", "keys", arr);
	return r->json ? 0 : ESD_ENOMEM;
}

int h_key_generate(struct keeper *k, struct caller *c, struct ibuf *in,
		   struct reply *r)
{
	char label[HSM_LABEL_MAX + 1], tname[16];
	enum hsm_keytype type;
	struct store_txn *t = NULL;
	json_t *rec = NULL;
	const void *old;
	size_t oldlen;
	int rc;

	if (ibuf_get_str(in, label, sizeof(label)) != 0 ||
	    ibuf_get_str(in, tname, sizeof(tname)) != 0 || ibuf_done(in) != 0 ||
	    !esd_label_ok(label, strlen(label), HSM_LABEL_MAX)) {
		snprintf(r->msg, sizeof(r->msg),
			 "label must be 1-%d characters of [A-Za-z0-9._-]",
			 HSM_LABEL_MAX);
		return ESD_EINVAL;
	}
	if (hsm_keytype_parse(tname, &type) != 0) {
		snprintf(r->msg, sizeof(r->msg),
			 "type must be rsa2048, rsa3072 or ec-p256");
		return ESD_EINVAL;
	}
	/* The store's write transaction first: it is the cluster's one
	 * writer (docs/cluster.md), so two nodes cannot both find the label
	 * free and make two keys of one label on the shared token. */
	rec = json_pack("{s:s, s:s, s:I, s:s}", "label", label, "type", tname,
			"created", (json_int_t)esd_now(), "purpose", "general");
	rc = rec ? store_txn_begin(k->store, 1, &t) : ESD_ENOMEM;
	if (rc == 0 && store_get(t, DB_KEYS, label, strlen(label), &old,
				 &oldlen) == 0)
		rc = ESD_EEXIST;
	if (rc == 0)
		rc = hsm_keygen(k->hsm, label, type);
	if (rc == ESD_EEXIST)
		snprintf(r->msg, sizeof(r->msg), "a key labelled '%s' exists",
			 label);
	if (rc != 0) {
		store_txn_abort(t);
		json_decref(rec);
		keeper_audit(k, c, "keys.generate", label, rc, NULL);
		return rc;
	}
	/* The key record and its audit record commit together. */
	rc = store_put_json(t, DB_KEYS, label, rec, 0);
	if (rc == 0)
		rc = store_audit(t, c->actor, "keys.generate", label, 0, NULL);
	if (rc == 0) {
		rc = store_txn_commit(t);
		t = NULL;
	}
	keeper_keys_changed();
	store_txn_abort(t);
	json_decref(rec);
	if (rc != 0) {
		log_err("keeper: key '%s' generated on the token but not "
			"recorded: %s", label, esd_err_name(rc));
		return rc;
	}
	log_info("keeper: generated %s key '%s' for %s", tname, label,
		 c->actor);
	r->json = key_json(k, label, type, NULL, NULL);
	return r->json ? 0 : ESD_ENOMEM;
}

int h_key_sign(struct keeper *k, struct caller *c, struct ibuf *in,
	       struct reply *r)
{
	char label[HSM_LABEL_MAX + 1], alg_name[16], md_name[16];
	char dgst_hex[2 * EVP_MAX_MD_SIZE + 1], *b64 = NULL;
	const uint8_t *dgst;
	uint8_t sig[1024];
	size_t dlen, siglen = sizeof(sig);
	enum hsm_alg alg;
	const EVP_MD *md;
	json_t *detail;
	int rc;

	if (ibuf_get_str(in, label, sizeof(label)) != 0 ||
	    ibuf_get_str(in, alg_name, sizeof(alg_name)) != 0 ||
	    ibuf_get_str(in, md_name, sizeof(md_name)) != 0 ||
	    ibuf_get_bytes(in, &dgst, &dlen) != 0 || ibuf_done(in) != 0)
		return ESD_EINVAL;
	if (hsm_alg_parse(alg_name, &alg) != 0) {
		snprintf(r->msg, sizeof(r->msg),
			 "alg must be rsa-pkcs1, rsa-pss or ecdsa");
		return ESD_EINVAL;
	}
	md = strcmp(md_name, "sha256") == 0   ? EVP_sha256()
	     : strcmp(md_name, "sha384") == 0 ? EVP_sha384()
	     : strcmp(md_name, "sha512") == 0 ? EVP_sha512()
					      : NULL;
	if (md == NULL || (size_t)EVP_MD_get_size(md) != dlen) {
		snprintf(r->msg, sizeof(r->msg),
			 "hash must be sha256, sha384 or sha512 and the digest "
			 "its length");
		return ESD_EINVAL;
	}
	rc = keeper_clock_check(k, r);
	if (rc == 0)
		rc = hsm_sign(k->hsm, label, alg, md, dgst, dlen, sig, &siglen);
	if (rc == ESD_ENOTFOUND)
		snprintf(r->msg, sizeof(r->msg), "no key labelled '%s'", label);
	else if (rc == ESD_EINVAL)
		snprintf(r->msg, sizeof(r->msg),
			 "algorithm %s does not fit key '%s'", alg_name, label);
	esd_hex(dgst, dlen, dgst_hex);
	detail = json_pack("{s:s, s:s, s:s}", "alg", alg_name, "hash", md_name,
			   "digest", dgst_hex);
	/* A signature is only released once its audit record is durable. */
	if (keeper_audit(k, c, "keys.sign", label, rc, detail) != 0 && rc == 0)
		rc = ESD_ESTORE;
	json_decref(detail);
	if (rc != 0)
		return rc;
	b64 = esd_b64_encode(sig, siglen);
	if (b64 == NULL)
		return ESD_ENOMEM;
	r->json = json_pack("{s:s, s:s, s:s, s:s}", "key", label, "alg",
			    alg_name, "hash", md_name, "signature", b64);
	free(b64);
	return r->json ? 0 : ESD_ENOMEM;
}

