/*
 * Per-client request rate limiting: a token bucket per client (the bearer
 * token's hash, the Unix peer's uid, or the TCP peer's address) in a small
 * fixed table; a full neighbourhood evicts its least recently used entry,
 * so memory stays bounded whatever the number of clients.
 */
#include <pthread.h>
#include <string.h>

#include "api/ratelimit.h"
#include "common/util.h"

#define SLOTS 4096
#define PROBE 8

struct bucket {
	uint64_t key;     /* 0 = free */
	double tokens;
	uint64_t last_ns;
};

static struct bucket table[SLOTS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

int rl_allow(uint64_t key, double rate, double burst)
{
	uint64_t now = esd_mono_ns();
	struct bucket *b = NULL, *lru = NULL;
	size_t h;
	int ok;

	if (rate <= 0)
		return 1;
	key |= 1; /* never 0 */
	h = (size_t)(key * 0x9e3779b97f4a7c15ull >> 52) % SLOTS;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < PROBE && b == NULL; i++) {
		struct bucket *c = &table[(h + i) % SLOTS];

		if (c->key == key)
			b = c;
		else if (lru == NULL || c->key == 0 ||
			 (lru->key != 0 && c->last_ns < lru->last_ns))
			lru = c;
	}
	if (b == NULL) {
		b = lru;
		b->key = key;
		b->tokens = burst;
		b->last_ns = now;
	}
	b->tokens += (double)(now - b->last_ns) / 1e9 * rate;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last_ns = now;
	ok = b->tokens >= 1.0;
	if (ok)
		b->tokens -= 1.0;
	pthread_mutex_unlock(&mu);
	return ok;
}
