/*
 * Process hardening shared by the keeper and the front. The seccomp
 * allowlist for the front comes with the hardening work (docs/security.md).
 */
#ifndef ESD_DAEMON_SANDBOX_H
#define ESD_DAEMON_SANDBOX_H

/* No core dumps and no ptrace by other processes of the same user:
 * RLIMIT_CORE 0 and PR_SET_DUMPABLE 0. */
void sandbox_no_dumps(void);

/* When running as root: switch to user (its uid, gid, no supplementary
 * groups) and set PR_SET_NO_NEW_PRIVS. A no-op for other users.
 * Returns 0 or ESD_EPERM. */
int sandbox_drop_to(const char *user);

#endif
