/*
 * The signing keys the keeper named for the front's callers, kept
 * between requests. A seal used to ask the keeper (MSG_DOC_KEY) for its
 * key's certificate and chain, parse that JSON and decode three
 * certificates on every call: the largest share of a small seal's cost
 * in the front (docs/performance.md).
 *
 * The keeper stays the authority. MSG_DOC_SIGN carries the caller's
 * "key" as given, the label the front used and the SHA-256 of the
 * certificate and chain it put in the CMS; the keeper resolves the key
 * again, checks grant, purpose, validity and revocation, and answers
 * ESD_ESTALE, signing nothing, when the label or the certificates are
 * no longer those (a rotation, a renewal).
 * The front then forgets the entry and asks MSG_DOC_KEY again (seal.c).
 * An entry is used for KEY_TTL seconds at most, then asked for again.
 *
 * Entries are per credential: the kind, the Unix peer's ids, the user
 * name and the SHA-256 of the token or password that every request
 * carries to the keeper anyway (never the secret itself); it is wiped
 * when the entry goes.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "api/api.h"
#include "api/keycache.h"
#include "pki/cms.h"
#include "common/err.h"
#include "common/util.h"

#define KEY_CACHE 32
#define KEY_TTL 300

static struct entry {
	struct cred cred;
	char purpose[16];
	char want[300];
	uint64_t at;          /* when the keeper answered, monotonic seconds */
	struct api_key k;     /* k.cert == NULL: a free slot */
} cache[KEY_CACHE];
static unsigned next;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t now_s(void)
{
	return esd_mono_ns() / 1000000000u;
}

/* One certificate from base64 DER; its DER goes into ctx too. */
static X509 *parse_b64(const char *b64, EVP_MD_CTX *ctx)
{
	const unsigned char *p;
	uint8_t *der = NULL;
	size_t len;
	X509 *x = NULL;

	if (b64 != NULL && esd_b64_decode(b64, &der, &len) == 0) {
		p = der;
		x = d2i_X509(NULL, &p, (long)len);
		if (x != NULL && (p != der + len ||
				  EVP_DigestUpdate(ctx, der, len) != 1)) {
			X509_free(x);   /* trailing bytes: not one certificate */
			x = NULL;
		}
	}
	free(der);
	return x;
}

void api_key_free(struct api_key *k)
{
	sk_X509_pop_free(k->chain, X509_free);
	X509_free(k->cert);
	pki_cms_tpl_free(k->tpl);
	memset(k, 0, sizeof(*k));
}

/* cert_id: SHA-256 over the DER of the certificate, then of each chain
 * certificate, as the keeper computes it (keeper/doc.c). */
int api_key_parse(json_t *answer, struct api_key *k)
{
	const char *label = json_string_value(json_object_get(answer, "key"));
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	json_t *v;
	size_t i;
	int rc = ESD_EPROTO;

	memset(k, 0, sizeof(*k));
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    label == NULL || strlen(label) >= sizeof(k->label))
		goto out;
	memcpy(k->label, label, strlen(label) + 1);
	k->cert = parse_b64(json_string_value(json_object_get(answer, "cert")),
			    ctx);
	k->chain = sk_X509_new_null();
	if (k->cert == NULL || k->chain == NULL)
		goto out;
	json_array_foreach(json_object_get(answer, "chain"), i, v) {
		X509 *x = parse_b64(json_string_value(v), ctx);

		if (x == NULL || !sk_X509_push(k->chain, x)) {
			X509_free(x);
			goto out;
		}
	}
	if (EVP_DigestFinal_ex(ctx, k->cert_id, NULL) == 1)
		rc = 0;
	/* Without a template (not RSA) the CMS is built the long way. */
	if (rc == 0 &&
	    pki_cms_tpl_new(k->cert, k->chain, EVP_sha256(), &k->tpl) != 0)
		k->tpl = NULL;
out:
	EVP_MD_CTX_free(ctx);
	if (rc != 0)
		api_key_free(k);
	return rc;
}

/* dst gets its own references to src's certificates. */
static int key_ref(const struct api_key *src, struct api_key *dst)
{
	*dst = *src;
	dst->chain = X509_chain_up_ref(src->chain);
	if (dst->chain == NULL || !X509_up_ref(src->cert)) {
		sk_X509_pop_free(dst->chain, X509_free);
		memset(dst, 0, sizeof(*dst));
		return ESD_ENOMEM;
	}
	dst->tpl = pki_cms_tpl_ref(src->tpl);
	return 0;
}

static int same_cred(const struct cred *a, const struct cred *b)
{
	return a->kind == b->kind && a->uid == b->uid && a->gid == b->gid &&
	       strcmp(a->user, b->user) == 0 &&
	       CRYPTO_memcmp(a->token_hash, b->token_hash,
			     sizeof(a->token_hash)) == 0;
}

/* The entry for (c, purpose, want), or NULL. Under mu. */
static struct entry *lookup(const struct cred *c, const char *purpose,
			    const char *want)
{
	for (size_t i = 0; i < KEY_CACHE; i++) {
		struct entry *e = &cache[i];

		if (e->k.cert != NULL && strcmp(e->want, want) == 0 &&
		    strcmp(e->purpose, purpose) == 0 && same_cred(&e->cred, c))
			return e;
	}
	return NULL;
}

static void drop(struct entry *e)
{
	api_key_free(&e->k);
	OPENSSL_cleanse(e, sizeof(*e));
}

int api_key_find(const struct cred *c, const char *purpose, const char *want,
		 struct api_key *k)
{
	struct entry *e;
	int rc = ESD_ENOTFOUND;

	memset(k, 0, sizeof(*k));
	pthread_mutex_lock(&mu);
	e = lookup(c, purpose, want);
	if (e != NULL && now_s() - e->at >= KEY_TTL)
		drop(e);
	else if (e != NULL && (rc = key_ref(&e->k, k)) == 0)
		k->kept = 1;
	pthread_mutex_unlock(&mu);
	return rc == 0 ? 0 : ESD_ENOTFOUND;
}

void api_key_keep(const struct cred *c, const char *purpose, const char *want,
		  const struct api_key *k)
{
	struct entry *e;
	struct api_key copy;

	if (strlen(purpose) >= sizeof(e->purpose) ||
	    strlen(want) >= sizeof(e->want) || key_ref(k, &copy) != 0)
		return;
	copy.kept = 0;
	pthread_mutex_lock(&mu);
	e = lookup(c, purpose, want);
	if (e == NULL) {
		for (size_t i = 0; e == NULL && i < KEY_CACHE; i++)
			if (cache[i].k.cert == NULL)
				e = &cache[i];
		if (e == NULL)
			e = &cache[next++ % KEY_CACHE];
	}
	drop(e);
	e->cred = *c;
	memcpy(e->purpose, purpose, strlen(purpose) + 1);
	memcpy(e->want, want, strlen(want) + 1);
	e->at = now_s();
	e->k = copy;
	pthread_mutex_unlock(&mu);
}

void api_key_forget(const struct cred *c, const char *purpose,
		    const char *want)
{
	struct entry *e;

	pthread_mutex_lock(&mu);
	if ((e = lookup(c, purpose, want)) != NULL)
		drop(e);
	pthread_mutex_unlock(&mu);
}
