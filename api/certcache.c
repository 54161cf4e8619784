/*
 * Parsed certificates by their base64 DER, shared by the front's
 * threads. A seal gets its key's certificate and chain from the keeper
 * as base64 DER on every call; decoding them (OpenSSL 3's decoders find
 * the public key's type each time) was the largest single cost of a
 * small seal in the front (docs/performance.md). The keeper still
 * decides, on every call, which key and certificate apply; this only
 * remembers what a given DER parses to.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "api/api.h"
#include "common/util.h"

#define CERT_CACHE 32

static struct {
	char *b64;
	X509 *x;
} cache[CERT_CACHE];
static unsigned next;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static X509 *parse(const char *b64)
{
	const unsigned char *p;
	uint8_t *der = NULL;
	size_t len;
	X509 *x = NULL;

	if (esd_b64_decode(b64, &der, &len) == 0) {
		p = der;
		x = d2i_X509(NULL, &p, (long)len);
		if (x != NULL && p != der + len) {
			X509_free(x);   /* trailing bytes: not one certificate */
			x = NULL;
		}
	}
	free(der);
	return x;
}

X509 *api_cert_b64(const char *b64)
{
	X509 *x;

	if (b64 == NULL)
		return NULL;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < CERT_CACHE; i++)
		if (cache[i].b64 != NULL && strcmp(cache[i].b64, b64) == 0) {
			x = cache[i].x;
			X509_up_ref(x);
			pthread_mutex_unlock(&mu);
			return x;
		}
	pthread_mutex_unlock(&mu);
	x = parse(b64);
	if (x == NULL)
		return NULL;
	char *copy = strdup(b64);

	if (copy == NULL)
		return x;
	pthread_mutex_lock(&mu);
	unsigned i = next++ % CERT_CACHE;

	free(cache[i].b64);
	X509_free(cache[i].x);
	cache[i].b64 = copy;
	cache[i].x = x;
	X509_up_ref(x);
	pthread_mutex_unlock(&mu);
	return x;
}
