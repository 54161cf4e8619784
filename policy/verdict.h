/* Internal to policy/: filling a verdict. */
#ifndef ESD_POLICY_VERDICT_H
#define ESD_POLICY_VERDICT_H

#include "policy/policy.h"

/* Sets v (may be NULL) to code and the formatted message; returns code. */
int pol_refuse(struct pol_verdict *v, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Clears v; returns 0. */
int pol_allow(struct pol_verdict *v);

#endif
