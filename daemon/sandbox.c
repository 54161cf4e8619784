#include <grp.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "daemon/sandbox.h"

void sandbox_no_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int sandbox_drop_to(const char *user)
{
	struct passwd *pw;

	if (geteuid() == 0) {
		pw = getpwnam(user);
		if (pw == NULL) {
			log_err("no such user '%s' to run the front as", user);
			return ESD_EPERM;
		}
		if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 ||
		    setuid(pw->pw_uid) != 0 || setuid(0) == 0) {
			log_err("cannot drop privileges to '%s'", user);
			return ESD_EPERM;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return ESD_EPERM;
	return 0;
}
