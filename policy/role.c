/* Roles: the one place where a role's name becomes an enum pol_role. */
#include <string.h>

#include "policy/policy.h"

static const char *const names[] = {
	[POL_ROLE_NONE] = "",
	[POL_ROLE_CLIENT] = "client",
	[POL_ROLE_VERIFIER] = "verifier",
	[POL_ROLE_ADMIN] = "admin",
	[POL_ROLE_OFFICER] = "officer",
};

enum pol_role pol_role_parse(const char *name, int admin)
{
	if (admin)
		return POL_ROLE_ADMIN;
	for (size_t i = 1; name != NULL && i < sizeof(names) / sizeof(names[0]);
	     i++)
		if (strcmp(name, names[i]) == 0)
			return (enum pol_role)i;
	return POL_ROLE_NONE;
}

const char *pol_role_name(enum pol_role role)
{
	return (size_t)role < sizeof(names) / sizeof(names[0]) ? names[role] : "";
}
