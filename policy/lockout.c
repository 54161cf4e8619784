/*
 * Lockout: one rule for every guessable secret (an individual's
 * passphrase and one-time codes, a seal's activation and authenticator
 * codes, a staff password and TOTP). The keeper (keeper/lockout.c)
 * keeps the count in LMDB and the checks running in memory; this file
 * decides.
 */
#include "common/err.h"
#include "policy/verdict.h"

int pol_lockout_admit(const struct pol_lockout_state *s, unsigned inflight,
		      const struct pol_lockout_limits *l, int64_t now,
		      const char *subject, struct pol_verdict *v)
{
	uint64_t max = l->max_failures ? l->max_failures : 1;
	uint64_t budget;

	if (s->locked_until == POL_LOCK_FOREVER)
		return pol_refuse(v, ESD_ELOCKED, "%s is locked after too many "
				  "wrong codes; a verifier unlocks it", subject);
	if (s->locked_until > now)
		return pol_refuse(v, ESD_ELOCKED, "%s is locked for %lld more "
				  "seconds after too many wrong secrets", subject,
				  (long long)(s->locked_until - now));
	/* Checks that may still fail before the lock: those running count
	 * as failures until they end. */
	budget = s->failures < 0 ? max
		 : (uint64_t)s->failures >= max ? 1
						 : max - (uint64_t)s->failures;
	if (inflight >= budget)
		return 1;
	return pol_allow(v);
}

void pol_lockout_failed(struct pol_lockout_state *s,
			const struct pol_lockout_limits *l, int64_t now)
{
	uint64_t max = l->max_failures ? l->max_failures : 1;

	s->failures = (s->failures < 0 ? 0 : s->failures) + 1;
	if ((uint64_t)s->failures >= max)
		s->locked_until = l->forever ? POL_LOCK_FOREVER
			: now + (int64_t)(l->lock_seconds > INT32_MAX
					  ? INT32_MAX : l->lock_seconds);
}
