/*
 * Seals (docs/activation.md "Seals"): the officer answers for a seal;
 * an activation that the officer's emailed code proves is what any seal
 * code hangs on.
 */
#include "common/err.h"
#include "policy/verdict.h"

static const char *const op_names[] = {
	[POL_SEAL_ACTIVATE] = "ask for an activation of",
	[POL_SEAL_DEACTIVATE] = "revoke the activation of",
	[POL_SEAL_ENROL] = "enrol an authenticator for",
	[POL_SEAL_ENROL_RESET] = "remove the authenticator of",
	[POL_SEAL_CODE_BY_ACTIVATION] = "get a seal code for",
	[POL_SEAL_CODE_BY_TOTP] = "get a seal code by authenticator for",
};

static int actor_may(const struct pol_seal_actor *a, enum pol_seal_op op)
{
	switch (a->role) {
	case POL_ROLE_OFFICER:
		return a->named && op != POL_SEAL_ENROL_RESET;
	case POL_ROLE_CLIENT:
		return a->named && (op == POL_SEAL_ACTIVATE ||
				    op == POL_SEAL_DEACTIVATE ||
				    op == POL_SEAL_CODE_BY_ACTIVATION);
	case POL_ROLE_ADMIN:
		return op == POL_SEAL_ENROL_RESET;
	case POL_ROLE_VERIFIER:
	case POL_ROLE_NONE:
		break;
	}
	return 0;
}

int pol_seal_may(const struct pol_seal_actor *a, enum pol_seal_op op,
		 const struct pol_seal_facts *f, int64_t now,
		 struct pol_verdict *v)
{
	if (!actor_may(a, op))
		return pol_refuse(v, ESD_EPERM, "only the seal's officer may %s a "
				  "seal%s", op_names[op],
				  a->role == POL_ROLE_CLIENT
				  ? " (an application asks for and revokes "
				    "activations, and exchanges the officer's "
				    "emailed code)" : "");
	if (!f->is_seal || (!f->active && op != POL_SEAL_DEACTIVATE &&
			    op != POL_SEAL_ENROL_RESET))
		return pol_refuse(v, ESD_EEXIST, "not an active seal");
	if (f->locked && (op == POL_SEAL_ACTIVATE || op == POL_SEAL_ENROL ||
			  op == POL_SEAL_CODE_BY_ACTIVATION ||
			  op == POL_SEAL_CODE_BY_TOTP))
		return pol_refuse(v, ESD_ELOCKED, "the seal is locked after too "
				  "many wrong codes; a verifier unlocks it");
	if (op == POL_SEAL_DEACTIVATE && f->activation_expires == 0)
		return pol_refuse(v, ESD_EEXIST, "the seal is not activated");
	if (op == POL_SEAL_ENROL_RESET && !f->enrolled)
		return pol_refuse(v, ESD_EEXIST, "the seal has no authenticator "
				  "enrolled");
	if ((op == POL_SEAL_CODE_BY_ACTIVATION || op == POL_SEAL_CODE_BY_TOTP) &&
	    f->activation_expires <= now)
		return pol_refuse(v, ESD_EAUTHZ, "the seal has no live activation: "
				  "its officer asks for one (activation code by "
				  "email)");
	if (op == POL_SEAL_CODE_BY_TOTP && !f->enrolled)
		return pol_refuse(v, ESD_EAUTHZ, "the seal has no authenticator "
				  "enrolled");
	return pol_allow(v);
}

int pol_seal_code_use(const struct pol_seal_code_facts *f, int64_t now,
		      struct pol_verdict *v)
{
	if (!f->same_subscriber || !f->names_current_activation ||
	    f->activation_expires <= now || f->code_expires <= now ||
	    f->remaining <= 0)
		return pol_refuse(v, ESD_EAUTHZ, "the seal code is unknown, used "
				  "up, expired, or its activation was revoked");
	return pol_allow(v);
}
