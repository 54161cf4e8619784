/*
 * Using a key to sign a document: the grant, the purpose, the
 * certificate's validity and revocation; and the clock gate every
 * signature, timestamp and CRL passes first.
 */
#include "common/err.h"
#include "policy/verdict.h"

int pol_key_use(const struct pol_key_facts *f, const char *label,
		enum pol_key_purpose want, int64_t now, struct pol_verdict *v)
{
	/* Not granted comes first, so a caller learns nothing of keys it
	 * may not use, not even whether they exist. */
	if (!f->granted)
		return pol_refuse(v, ESD_EPERM, "this client may not use key "
				  "'%.64s'", label);
	if (!f->found)
		return pol_refuse(v, ESD_ENOTFOUND, "no key labelled '%.64s'",
				  label);
	if (f->purpose != want || !f->has_cert)
		return pol_refuse(v, ESD_EPERM, "key '%.64s' is not %s key with "
				  "a certificate", label, want == POL_KEY_SEAL
				  ? "a seal" : "an individual's");
	if (f->not_after == 0)
		return pol_refuse(v, ESD_ESTORE, "the certificate of key '%.64s' "
				  "cannot be read", label);
	if (now < f->not_before || now > f->not_after)
		return pol_refuse(v, ESD_EPERM, "the certificate of key '%.64s' "
				  "is not valid now", label);
	if (f->revoked)
		return pol_refuse(v, ESD_EPERM, "the certificate of key '%.64s' "
				  "is revoked", label);
	return pol_allow(v);
}

int pol_clock_gate(const struct pol_clock *c, struct pol_verdict *v)
{
	if (!c->required || (c->synced && c->max_error_us >= 0 &&
			     (uint64_t)c->max_error_us <= c->limit_ms * 1000))
		return pol_allow(v);
	return pol_refuse(v, ESD_EUNAVAIL, "the clock is not synchronised to a "
			  "time source (NTP); signatures and timestamps are "
			  "refused until it is");
}
