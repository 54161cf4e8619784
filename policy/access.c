/*
 * Who may send which keeper message (role x operation), the four-eyes
 * rule of registration decisions, and which roles a CPS profile takes.
 * The keeper's dispatch table (keeper/keeper.c) and the RA's operation
 * table (keeper/ra_read.c) name a pol_need per row; this file is
 * the only place that reads it.
 */
#include <string.h>

#include "common/err.h"
#include "policy/verdict.h"

static const char *need_name(enum pol_need need)
{
	switch (need) {
	case POL_NEED_VERIFIER: return "the verifier role";
	case POL_NEED_STAFF: return "the verifier or admin role";
	case POL_NEED_STAFF_SEAL: return "the verifier or admin role, or the "
					 "seal's officer";
	case POL_NEED_ADMIN: return "the admin role";
	case POL_NEED_ADMIN_PEER: return "an admin on the Unix socket";
	default: return "a credential";
	}
}

int pol_may_call(const struct pol_caller *c, enum pol_need need,
		 const char *what, struct pol_verdict *v)
{
	int seal_op = need == POL_NEED_SEAL || need == POL_NEED_STAFF_SEAL;

	if (need == POL_NEED_ANYONE)
		return pol_allow(v);
	if (!c->authenticated)
		return pol_refuse(v, ESD_EAUTH, "%s needs a credential", what);
	if (c->role == POL_ROLE_OFFICER) {
		/* An officer manages the activation of the seals their account
		 * names: their own session, and those seals, nothing else. */
		if (need == POL_NEED_SESSION || (seal_op && c->names_seal != 0))
			return pol_allow(v);
		if (seal_op)
			return pol_refuse(v, ESD_EPERM, "this officer may not act "
					  "for this seal");
		return pol_refuse(v, ESD_EPERM, "%s is not for a seal officer, "
				  "who manages the activation of their seals",
				  what);
	}
	switch (need) {
	case POL_NEED_CLIENT:
	case POL_NEED_SESSION:
	case POL_NEED_SEAL:
		return pol_allow(v);
	case POL_NEED_VERIFIER:
		if (c->role == POL_ROLE_VERIFIER)
			return pol_allow(v);
		break;
	case POL_NEED_STAFF:
	case POL_NEED_STAFF_SEAL:
		if (c->role == POL_ROLE_VERIFIER || c->role == POL_ROLE_ADMIN)
			return pol_allow(v);
		break;
	case POL_NEED_ADMIN:
		if (c->role == POL_ROLE_ADMIN)
			return pol_allow(v);
		break;
	case POL_NEED_ADMIN_PEER:
		if (c->role == POL_ROLE_ADMIN && c->peer)
			return pol_allow(v);
		break;
	case POL_NEED_ANYONE:
		break;
	}
	return pol_refuse(v, ESD_EPERM, "%s needs %s", what, need_name(need));
}

int pol_four_eyes(int made_by_caller, const char *request,
		  struct pol_verdict *v)
{
	if (!made_by_caller)
		return pol_allow(v);
	return pol_refuse(v, ESD_EPERM, "request %.64s was made with this "
			  "credential: a second verifier decides it", request);
}

int pol_own_account(int own, const char *what, struct pol_verdict *v)
{
	if (!own)
		return pol_allow(v);
	return pol_refuse(v, ESD_EPERM, "%s is not for one's own account: "
			  "another admin does it", what);
}

/* 1 if name is an item of the comma- or space-separated list. */
static int listed(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; n > 0 && (p = strstr(p, name)) != NULL; p++)
		if ((p == list || p[-1] == ',' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return 1;
	return 0;
}

int pol_profile_allows(const char *roles, enum pol_role role,
		       const char *profile, struct pol_verdict *v)
{
	if (role != POL_ROLE_NONE && listed(roles, pol_role_name(role)))
		return pol_allow(v);
	return pol_refuse(v, ESD_EPERM, "the %s profile is not for the %s role",
			  profile, role == POL_ROLE_NONE ? "anonymous"
							 : pol_role_name(role));
}
