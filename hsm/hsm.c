#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <p11-kit/pkcs11.h>

#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "hsm/hsm_int.h"

struct key {
	char label[HSM_LABEL_MAX + 1];
	uint8_t id[64];
	size_t id_len;
	enum hsm_keytype type;
	int has_cert;
	EVP_PKEY *priv;
	EVP_PKEY *pub;
};

struct hsm {
	pthread_rwlock_t lock;
	pthread_mutex_t reconnect_mu;
	char *module;
	char label[33];
	char *pin;
	PKCS11_CTX *ctx;
	int loaded;       /* PKCS11_CTX_load succeeded: unload on disconnect */
	PKCS11_SLOT *slots;
	unsigned nslots;
	PKCS11_SLOT *slot;
	struct hsm_raw raw;   /* opened on first use, under the write lock */
	struct key *keys;
	size_t nkeys;
	atomic_int broken;
	uint64_t last_attempt_ns;
	uint64_t last_miss_refresh_ns; /* under the write lock */
	atomic_uint_fast64_t errors, reconnects;
};

static const struct {
	const char *name;
	enum hsm_keytype type;
} keytypes[] = {
	{ "rsa2048", HSM_KEY_RSA2048 },
	{ "rsa3072", HSM_KEY_RSA3072 },
	{ "ec-p256", HSM_KEY_EC_P256 },
};

int hsm_keytype_parse(const char *s, enum hsm_keytype *t)
{
	for (size_t i = 0; i < ESD_ARRAY_LEN(keytypes); i++)
		if (strcmp(s, keytypes[i].name) == 0) {
			*t = keytypes[i].type;
			return 0;
		}
	return ESD_EINVAL;
}

const char *hsm_keytype_name(enum hsm_keytype t)
{
	for (size_t i = 0; i < ESD_ARRAY_LEN(keytypes); i++)
		if (keytypes[i].type == t)
			return keytypes[i].name;
	return "unknown";
}

int hsm_alg_parse(const char *s, enum hsm_alg *a)
{
	if (strcmp(s, "rsa-pkcs1") == 0)
		*a = HSM_ALG_RSA_PKCS1;
	else if (strcmp(s, "rsa-pss") == 0)
		*a = HSM_ALG_RSA_PSS;
	else if (strcmp(s, "ecdsa") == 0)
		*a = HSM_ALG_ECDSA;
	else
		return ESD_EINVAL;
	return 0;
}

/*
 * Classifies the failure of a libp11 call from the OpenSSL error queue:
 * a CKR_* that means the token or session is gone is a token fault
 * (ESD_ETOKEN, reconnect next time); anything else is ESD_ECRYPTO.
 */
static int classify(struct hsm *h, const char *what)
{
	unsigned long e;
	int fault = 0, any_ckr = 0;

	while ((e = ERR_get_error()) != 0) {
		unsigned long rv;

		if (ERR_GET_LIB(e) != ERR_get_CKR_code())
			continue;
		any_ckr = 1;
		rv = (unsigned long)ERR_GET_REASON(e);
		log_err("hsm: %s: PKCS#11 error 0x%lx", what, rv);
		switch (rv) {
		case CKR_GENERAL_ERROR:
		case CKR_DEVICE_ERROR:
		case CKR_DEVICE_MEMORY:
		case CKR_DEVICE_REMOVED:
		case CKR_SESSION_CLOSED:
		case CKR_SESSION_HANDLE_INVALID:
		case CKR_SESSION_COUNT:
		case CKR_TOKEN_NOT_PRESENT:
		case CKR_TOKEN_NOT_RECOGNIZED:
		case CKR_USER_NOT_LOGGED_IN:
		case CKR_CRYPTOKI_NOT_INITIALIZED:
		case CKR_KEY_HANDLE_INVALID:
		case CKR_OBJECT_HANDLE_INVALID:
			fault = 1;
			break;
		default:
			break;
		}
	}
	if (fault || (!any_ckr && h->ctx == NULL)) {
		atomic_fetch_add(&h->errors, 1);
		atomic_store(&h->broken, 1);
		return ESD_ETOKEN;
	}
	if (!any_ckr)
		log_err("hsm: %s failed", what);
	atomic_fetch_add(&h->errors, 1);
	return ESD_ECRYPTO;
}

static void keys_free(struct hsm *h)
{
	for (size_t i = 0; i < h->nkeys; i++) {
		EVP_PKEY_free(h->keys[i].priv);
		EVP_PKEY_free(h->keys[i].pub);
	}
	free(h->keys);
	h->keys = NULL;
	h->nkeys = 0;
}

static int type_of(EVP_PKEY *pub, enum hsm_keytype *t)
{
	switch (EVP_PKEY_get_base_id(pub)) {
	case EVP_PKEY_RSA:
		*t = EVP_PKEY_get_bits(pub) >= 3072 ? HSM_KEY_RSA3072
						    : HSM_KEY_RSA2048;
		return 0;
	case EVP_PKEY_EC:
		*t = HSM_KEY_EC_P256;
		return 0;
	default:
		return ESD_EUNSUPP;
	}
}

/* Rebuilds the label -> key cache. Caller holds the write lock. */
static int keys_refresh(struct hsm *h)
{
	PKCS11_KEY *pk;
	unsigned n, npub = 0;
	struct key *keys;
	size_t nk = 0;
	uint8_t (*pub_ids)[64] = NULL;
	size_t *pub_len = NULL;

	/* The public keys' IDs first (copied: the next enumeration may move
	 * libp11's arrays). A private key without its public key is what an
	 * interrupted C_GenerateKeyPair leaves, and libp11 cannot build an
	 * EVP_PKEY for it (it crashes on an EC one): such keys are skipped. */
	if (PKCS11_enumerate_public_keys(h->slot->token, &pk, &n) != 0)
		return classify(h, "enumerate public keys");
	pub_ids = calloc(n ? n : 1, sizeof(*pub_ids));
	pub_len = calloc(n ? n : 1, sizeof(*pub_len));
	if (pub_ids == NULL || pub_len == NULL) {
		free(pub_ids);
		free(pub_len);
		return ESD_ENOMEM;
	}
	for (unsigned i = 0; i < n; i++)
		if (pk[i].id_len <= sizeof(pub_ids[0])) {
			memcpy(pub_ids[npub], pk[i].id, pk[i].id_len);
			pub_len[npub++] = pk[i].id_len;
		}
	if (PKCS11_enumerate_keys(h->slot->token, &pk, &n) != 0) {
		free(pub_ids);
		free(pub_len);
		return classify(h, "enumerate keys");
	}
	keys = calloc(n ? n : 1, sizeof(*keys));
	if (keys == NULL) {
		free(pub_ids);
		free(pub_len);
		return ESD_ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		struct key *k = &keys[nk];

		int has_pub = 0;

		if (pk[i].label == NULL || strlen(pk[i].label) > HSM_LABEL_MAX ||
		    pk[i].id_len > sizeof(k->id))
			continue;
		for (unsigned j = 0; j < npub && !has_pub; j++)
			has_pub = pub_len[j] == pk[i].id_len &&
				  memcmp(pub_ids[j], pk[i].id, pk[i].id_len) == 0;
		if (!has_pub) {
			log_warn("hsm: key '%s' has no public key object (an "
				 "interrupted generation?); ignored", pk[i].label);
			continue;
		}
		k->pub = PKCS11_get_public_key(&pk[i]);
		k->priv = PKCS11_get_private_key(&pk[i]);
		if (k->pub == NULL || k->priv == NULL ||
		    type_of(k->pub, &k->type) != 0) {
			EVP_PKEY_free(k->pub);
			EVP_PKEY_free(k->priv);
			memset(k, 0, sizeof(*k));
			ERR_clear_error();
			continue;
		}
		memcpy(k->label, pk[i].label, strlen(pk[i].label) + 1);
		memcpy(k->id, pk[i].id, pk[i].id_len);
		k->id_len = pk[i].id_len;
		k->has_cert = PKCS11_find_certificate(&pk[i]) != NULL;
		nk++;
	}
	ERR_clear_error();
	free(pub_ids);
	free(pub_len);
	keys_free(h);
	h->keys = keys;
	h->nkeys = nk;
	return 0;
}

static void disconnect(struct hsm *h)
{
	keys_free(h);
	hsm_raw_close(&h->raw);
	if (h->ctx != NULL) {
		if (h->slots != NULL)
			PKCS11_release_all_slots(h->ctx, h->slots, h->nslots);
		/* libp11 crashes unloading a module whose load failed. */
		if (h->loaded)
			PKCS11_CTX_unload(h->ctx);
		PKCS11_CTX_free(h->ctx);
	}
	h->loaded = 0;
	h->ctx = NULL;
	h->slots = NULL;
	h->slot = NULL;
	h->nslots = 0;
}

static PKCS11_SLOT *find_slot(PKCS11_SLOT *slots, unsigned n, const char *label)
{
	for (unsigned i = 0; i < n; i++)
		if (slots[i].token != NULL && slots[i].token->initialized &&
		    strcmp(slots[i].token->label, label) == 0)
			return &slots[i];
	return NULL;
}

/* ESD_EAUTH if the error queue says the PIN was refused (incorrect,
 * locked, malformed): retrying would only lock the token. */
static int pin_refused(void)
{
	unsigned long e;
	int refused = 0;

	while ((e = ERR_get_error()) != 0) {
		if (ERR_GET_LIB(e) != ERR_get_CKR_code())
			continue;
		switch ((unsigned long)ERR_GET_REASON(e)) {
		case CKR_PIN_INCORRECT:
		case CKR_PIN_INVALID:
		case CKR_PIN_LEN_RANGE:
		case CKR_PIN_EXPIRED:
		case CKR_PIN_LOCKED:
			refused = 1;
			break;
		default:
			break;
		}
	}
	return refused ? ESD_EAUTH : ESD_ETOKEN;
}

/* Loads the module, finds the token and logs in. Caller holds the write
 * lock (or is the only user). ESD_EAUTH when the PIN is refused,
 * ESD_ETOKEN when the module or token is not usable now. */
static int connect_token(struct hsm *h)
{
	int rc = ESD_ETOKEN;

	h->ctx = PKCS11_CTX_new();
	if (h->ctx == NULL)
		return ESD_ENOMEM;
	if (PKCS11_CTX_load(h->ctx, h->module) != 0) {
		log_err("hsm: cannot load PKCS#11 module %s", h->module);
		goto fail;
	}
	h->loaded = 1;
	if (PKCS11_enumerate_slots(h->ctx, &h->slots, &h->nslots) != 0)
		goto fail;
	h->slot = find_slot(h->slots, h->nslots, h->label);
	if (h->slot == NULL) {
		log_err("hsm: no token labelled '%s'", h->label);
		goto fail;
	}
	if (PKCS11_open_session(h->slot, 1) != 0)
		goto fail;
	if (PKCS11_login(h->slot, 0, h->pin) != 0) {
		rc = pin_refused();
		log_err("hsm: login to token '%s' failed%s", h->label,
			rc == ESD_EAUTH ? ": the PIN was refused" : "");
		goto fail;
	}
	rc = keys_refresh(h);
	if (rc != 0)
		goto fail;
	atomic_store(&h->broken, 0);
	return 0;
fail:
	ERR_clear_error();
	disconnect(h);
	return rc;
}

int hsm_open(const char *module, const char *label, const char *pin,
	     struct hsm **out)
{
	struct hsm *h;
	int rc;

	if (strlen(label) >= sizeof(h->label))
		return ESD_EINVAL;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return ESD_ENOMEM;
	pthread_rwlock_init(&h->lock, NULL);
	pthread_mutex_init(&h->reconnect_mu, NULL);
	memcpy(h->label, label, strlen(label) + 1);
	h->module = strdup(module);
	h->pin = strdup(pin);
	if (h->module == NULL || h->pin == NULL) {
		hsm_close(h);
		return ESD_ENOMEM;
	}
	rc = connect_token(h);
	if (rc == ESD_ETOKEN) {
		/* Not usable now: hand out the handle; calls answer
		 * ESD_ETOKEN and reconnect by themselves. */
		atomic_store(&h->broken, 1);
		h->last_attempt_ns = esd_mono_ns();
		*out = h;
		return rc;
	}
	if (rc != 0) {
		hsm_close(h);
		return rc;
	}
	*out = h;
	return 0;
}

void hsm_close(struct hsm *h)
{
	if (h == NULL)
		return;
	disconnect(h);
	if (h->pin != NULL) {
		OPENSSL_cleanse(h->pin, strlen(h->pin));
		free(h->pin);
	}
	free(h->module);
	pthread_rwlock_destroy(&h->lock);
	pthread_mutex_destroy(&h->reconnect_mu);
	free(h);
}

/*
 * Takes the read lock, reconnecting first if the token was marked broken
 * (at most one attempt per 500 ms, so a dead token does not turn every
 * request into a module reload).
 */
static int acquire(struct hsm *h)
{
	if (atomic_load(&h->broken)) {
		int rc = 0;

		pthread_mutex_lock(&h->reconnect_mu);
		if (atomic_load(&h->broken)) {
			uint64_t now = esd_mono_ns();

			if (now - h->last_attempt_ns < 500000000ull) {
				rc = ESD_ETOKEN;
			} else {
				h->last_attempt_ns = now;
				pthread_rwlock_wrlock(&h->lock);
				disconnect(h);
				rc = connect_token(h);
				pthread_rwlock_unlock(&h->lock);
				if (rc == 0) {
					atomic_fetch_add(&h->reconnects, 1);
					log_info("hsm: reconnected to token '%s'",
						 h->label);
				} else {
					/* A refused PIN stays refused: never
					 * retry it (it would lock the token). */
					if (rc == ESD_EAUTH)
						h->last_attempt_ns = UINT64_MAX / 2;
					rc = ESD_ETOKEN;
				}
			}
		}
		pthread_mutex_unlock(&h->reconnect_mu);
		if (rc != 0)
			return rc;
	}
	pthread_rwlock_rdlock(&h->lock);
	if (h->ctx == NULL) {
		pthread_rwlock_unlock(&h->lock);
		atomic_store(&h->broken, 1);
		return ESD_ETOKEN;
	}
	return 0;
}

static void release(struct hsm *h)
{
	pthread_rwlock_unlock(&h->lock);
}

static struct key *find_key(struct hsm *h, const char *label)
{
	for (size_t i = 0; i < h->nkeys; i++)
		if (strcmp(h->keys[i].label, label) == 0)
			return &h->keys[i];
	return NULL;
}

/*
 * find_key, and on a miss the key cache rebuilt from the token once (at
 * most every 200 ms): another process on the same token (a second node
 * of a cluster, docs/cluster.md) may have made the key since. Called
 * with the read lock (acquire); returns with a lock held either way,
 * which release() drops.
 */
static struct key *find_key_fresh(struct hsm *h, const char *label)
{
	struct key *k = find_key(h, label);
	uint64_t now;

	if (k != NULL)
		return k;
	pthread_rwlock_unlock(&h->lock);
	pthread_rwlock_wrlock(&h->lock);
	if (h->ctx == NULL)
		return NULL;
	k = find_key(h, label);
	now = esd_mono_ns();
	if (k == NULL && now - h->last_miss_refresh_ns >= 200000000ull) {
		h->last_miss_refresh_ns = now;
		if (keys_refresh(h) == 0)
			k = find_key(h, label);
	}
	return k;
}

int hsm_health(struct hsm *h)
{
	int rc = acquire(h);
	int logged_in = 0;

	if (rc != 0)
		return rc;
	if (PKCS11_is_logged_in(h->slot, 0, &logged_in) != 0 || !logged_in) {
		classify(h, "login state");
		atomic_store(&h->broken, 1);
		rc = ESD_ETOKEN;
	}
	release(h);
	return rc;
}

int hsm_token_info(struct hsm *h, char *label, char *manuf, char *model,
		   size_t cap)
{
	int rc = acquire(h);

	if (rc != 0)
		return rc;
	snprintf(label, cap, "%s", h->slot->token->label);
	snprintf(manuf, cap, "%s", h->slot->token->manufacturer);
	snprintf(model, cap, "%s", h->slot->token->model);
	release(h);
	return 0;
}

int hsm_keys_list(struct hsm *h, struct hsm_key_info **out, size_t *n)
{
	struct hsm_key_info *v;
	int rc = acquire(h);

	if (rc != 0)
		return rc;
	v = calloc(h->nkeys ? h->nkeys : 1, sizeof(*v));
	if (v == NULL) {
		release(h);
		return ESD_ENOMEM;
	}
	for (size_t i = 0; i < h->nkeys; i++) {
		struct key *k = &h->keys[i];

		memcpy(v[i].label, k->label, sizeof(k->label));
		esd_hex(k->id, k->id_len > 32 ? 32 : k->id_len, v[i].id_hex);
		v[i].type = k->type;
		v[i].has_cert = k->has_cert;
	}
	*n = h->nkeys;
	*out = v;
	release(h);
	return 0;
}

static int get_pkey(struct hsm *h, const char *label, int priv, EVP_PKEY **out)
{
	struct key *k;
	int rc = acquire(h);

	if (rc != 0)
		return rc;
	k = find_key_fresh(h, label);
	if (k == NULL) {
		rc = ESD_ENOTFOUND;
	} else {
		*out = priv ? k->priv : k->pub;
		EVP_PKEY_up_ref(*out);
	}
	release(h);
	return rc;
}

int hsm_pubkey(struct hsm *h, const char *label, EVP_PKEY **out)
{
	return get_pkey(h, label, 0, out);
}

int hsm_privkey(struct hsm *h, const char *label, EVP_PKEY **out)
{
	return get_pkey(h, label, 1, out);
}

int hsm_key_type(struct hsm *h, const char *label, enum hsm_keytype *t)
{
	struct key *k;
	int rc = acquire(h);

	if (rc != 0)
		return rc;
	k = find_key_fresh(h, label);
	if (k == NULL)
		rc = ESD_ENOTFOUND;
	else
		*t = k->type;
	release(h);
	return rc;
}

/* The raw function list (hsm_int.h), opened on first use. Caller holds
 * the write lock and h->ctx is set. */
static int raw(struct hsm *h)
{
	if (h->raw.f != NULL)
		return 0;
	return hsm_raw_open(&h->raw, h->module,
			    PKCS11_get_slotid_from_slot(h->slot), h->pin);
}

int hsm_keygen(struct hsm *h, const char *label, enum hsm_keytype type)
{
	uint8_t id[16];
	int rc;

	if (label[0] == '\0' || strlen(label) > HSM_LABEL_MAX)
		return ESD_EINVAL;
	rc = esd_random(id, sizeof(id));
	if (rc != 0)
		return rc;
	rc = acquire(h);
	if (rc != 0)
		return rc;
	/* Upgrade to the write lock: keygen refreshes the key cache. */
	release(h);
	pthread_rwlock_wrlock(&h->lock);
	if (h->ctx == NULL) {
		rc = ESD_ETOKEN;
		goto out;
	}
	/* The token as it is now: another process on it may have made
	 * a key with this label since the cache was built. */
	rc = keys_refresh(h);
	if (rc != 0)
		goto out;
	if (find_key(h, label) != NULL) {
		rc = ESD_EEXIST;
		goto out;
	}
	rc = raw(h);
	if (rc == 0)
		rc = hsm_raw_keygen(&h->raw, PKCS11_get_slotid_from_slot(h->slot),
				    label, id, sizeof(id), type);
	if (rc != 0)
		goto out;
	rc = keys_refresh(h);
	if (rc == 0 && find_key(h, label) == NULL)
		rc = ESD_ETOKEN;
out:
	pthread_rwlock_unlock(&h->lock);
	return rc;
}

int hsm_aes_gcm(struct hsm *h, const char *label, int encrypt,
		const uint8_t iv[12], const uint8_t *aad, size_t aad_len,
		const uint8_t *in, size_t in_len, uint8_t *out, size_t *out_len)
{
	int rc = acquire(h);

	if (rc != 0)
		return rc;
	/* The write lock: a first use makes the key. */
	release(h);
	pthread_rwlock_wrlock(&h->lock);
	rc = h->ctx == NULL ? ESD_ETOKEN : raw(h);
	if (rc == 0)
		rc = hsm_raw_aes_gcm(&h->raw, PKCS11_get_slotid_from_slot(h->slot),
				     label, encrypt, iv, aad, aad_len, in,
				     in_len, out, out_len);
	pthread_rwlock_unlock(&h->lock);
	return rc;
}

int hsm_sign(struct hsm *h, const char *label, enum hsm_alg alg,
	     const EVP_MD *md, const uint8_t *dgst, size_t dlen, uint8_t *sig,
	     size_t *siglen)
{
	EVP_PKEY_CTX *pc = NULL;
	struct key *k;
	int rc;

	if (md == NULL || (size_t)EVP_MD_get_size(md) != dlen)
		return ESD_EINVAL;
	rc = acquire(h);
	if (rc != 0)
		return rc;
	k = find_key_fresh(h, label);
	if (k == NULL) {
		rc = ESD_ENOTFOUND;
		goto out;
	}
	if ((alg == HSM_ALG_ECDSA) != (k->type == HSM_KEY_EC_P256)) {
		rc = ESD_EINVAL;
		goto out;
	}
	rc = ESD_ECRYPTO;
	pc = EVP_PKEY_CTX_new(k->priv, NULL);
	if (pc == NULL || EVP_PKEY_sign_init(pc) <= 0)
		goto fail;
	if (alg == HSM_ALG_RSA_PKCS1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) <= 0)
		goto fail;
	if (alg == HSM_ALG_RSA_PSS &&
	    (EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) <= 0 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) <= 0))
		goto fail;
	if (EVP_PKEY_CTX_set_signature_md(pc, md) <= 0)
		goto fail;
	if (EVP_PKEY_sign(pc, sig, siglen, dgst, dlen) <= 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	rc = classify(h, "sign");
out:
	EVP_PKEY_CTX_free(pc);
	release(h);
	return rc;
}

int hsm_store_cert(struct hsm *h, const char *label, X509 *cert)
{
	struct key *k;
	int rc = acquire(h);

	if (rc != 0)
		return rc;
	release(h);
	pthread_rwlock_wrlock(&h->lock);
	k = h->ctx != NULL ? find_key(h, label) : NULL;
	if (k == NULL) {
		rc = h->ctx != NULL ? ESD_ENOTFOUND : ESD_ETOKEN;
	} else if (PKCS11_store_certificate(h->slot->token, cert,
					    (char *)label, k->id, k->id_len,
					    NULL) != 0) {
		rc = classify(h, "store certificate");
	} else {
		k->has_cert = 1;
	}
	pthread_rwlock_unlock(&h->lock);
	return rc;
}

void hsm_counters(struct hsm *h, uint64_t *errors, uint64_t *reconnects)
{
	*errors = atomic_load(&h->errors);
	*reconnects = atomic_load(&h->reconnects);
}

int hsm_token_init(const char *module, const char *label, const char *so_pin,
		   const char *user_pin)
{
	PKCS11_CTX *ctx = PKCS11_CTX_new();
	PKCS11_SLOT *slots = NULL, *slot = NULL;
	unsigned n = 0;
	int rc = ESD_ETOKEN;

	if (ctx == NULL)
		return ESD_ENOMEM;
	if (PKCS11_CTX_load(ctx, module) != 0) {
		log_err("hsm: cannot load PKCS#11 module %s", module);
		goto out_free;
	}
	if (PKCS11_enumerate_slots(ctx, &slots, &n) != 0)
		goto out;
	if (find_slot(slots, n, label) != NULL) {
		rc = ESD_EEXIST;
		goto out;
	}
	for (unsigned i = 0; i < n && slot == NULL; i++)
		if (slots[i].token != NULL && !slots[i].token->initialized)
			slot = &slots[i];
	if (slot == NULL) {
		log_err("hsm: no free slot to initialise a token in");
		goto out;
	}
	/* C_InitToken reads exactly 32 bytes of label, blank padded
	 * (PKCS#11 §5.6); libp11 passes the string through as is. */
	{
		char padded[33];

		memset(padded, ' ', 32);
		padded[32] = '\0';
		memcpy(padded, label, strlen(label) > 32 ? 32 : strlen(label));
		if (PKCS11_init_token(slot->token, so_pin, padded) != 0)
			goto out;
	}
	/* SoftHSM moves a new token to a new slot: enumerate again. */
	PKCS11_release_all_slots(ctx, slots, n);
	slots = NULL;
	if (PKCS11_enumerate_slots(ctx, &slots, &n) != 0)
		goto out;
	slot = find_slot(slots, n, label);
	if (slot == NULL || PKCS11_open_session(slot, 1) != 0 ||
	    PKCS11_login(slot, 1, so_pin) != 0 ||
	    PKCS11_init_pin(slot->token, user_pin) != 0)
		goto out;
	PKCS11_logout(slot);
	rc = 0;
out:
	if (rc != 0)
		log_openssl("hsm: token init");
	if (slots != NULL)
		PKCS11_release_all_slots(ctx, slots, n);
	PKCS11_CTX_unload(ctx);
out_free:
	PKCS11_CTX_free(ctx);
	return rc;
}
