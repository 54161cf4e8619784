/* Per-client token buckets (ratelimit.c). */
#ifndef ESD_API_RATELIMIT_H
#define ESD_API_RATELIMIT_H

#include <stdint.h>

/* 1 if the client identified by key may make a request now (rate per
 * second, bursts up to burst); rate <= 0 disables the limit. */
int rl_allow(uint64_t key, double rate, double burst);

#endif
