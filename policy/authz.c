/*
 * A signature's authorisation, typed: the front sends it as one string
 * whose first letter says what it is (api/seal.c); the keeper reads it
 * here once, and every rule after that sees the kind.
 */
#include <string.h>

#include "common/err.h"
#include "policy/verdict.h"

void pol_authz_parse(const char *wire, struct pol_authz *out)
{
	out->kind = POL_AUTHZ_NONE;
	out->value = "";
	if (wire == NULL || wire[0] == '\0' || wire[1] == '\0')
		return;
	switch (wire[0]) {
	case 'P': out->kind = POL_AUTHZ_PASSPHRASE; break;
	case 'O': out->kind = POL_AUTHZ_OTP; break;
	case 'B': out->kind = POL_AUTHZ_BATCH; break;
	case 'S': out->kind = POL_AUTHZ_SEAL_CODE; break;
	default: return;
	}
	out->value = wire + 1;
}

int pol_authz_fits(enum pol_subject_kind subject, int subject_active,
		   const struct pol_authz *a, struct pol_verdict *v)
{
	if (subject == POL_SUBJECT_NONE)
		return pol_allow(v);
	if (!subject_active)
		return pol_refuse(v, ESD_EPERM, "the key belongs to a subscriber "
				  "that is not active");
	if (subject == POL_SUBJECT_INDIVIDUAL) {
		if (a->kind == POL_AUTHZ_PASSPHRASE || a->kind == POL_AUTHZ_OTP ||
		    a->kind == POL_AUTHZ_BATCH)
			return pol_allow(v);
		return pol_refuse(v, ESD_EAUTHZ, "the signer's passphrase (or a "
				  "one-time code) is required");
	}
	if (a->kind != POL_AUTHZ_SEAL_CODE)
		return pol_refuse(v, ESD_EAUTHZ, "a seal code is required "
				  "('seal_code')");
	return pol_allow(v);
}

int pol_sign_for_individual(enum pol_role role, struct pol_verdict *v)
{
	/* An admin may: it can make an application's credential at will,
	 * so a refusal would protect nothing, and the audit names it. */
	if (role == POL_ROLE_CLIENT || role == POL_ROLE_ADMIN)
		return pol_allow(v);
	return pol_refuse(v, ESD_EPERM, "a %s's credential does not sign for "
			  "a subscriber: the application the person uses does",
			  role == POL_ROLE_NONE ? "caller" : pol_role_name(role));
}

int pol_register_individual(int nik_taken, int email_taken,
			    struct pol_verdict *v)
{
	if (nik_taken)
		return pol_refuse(v, ESD_EEXIST, "NIK already registered as a "
				  "living subscriber");
	if (email_taken)
		return pol_refuse(v, ESD_EEXIST, "this official email is another "
				  "person's; each person registers with their own");
	return pol_allow(v);
}
