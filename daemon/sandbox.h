/*
 * Process hardening shared by the keeper and the front (docs/security.md).
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

/*
 * Confines the calling process (all its threads, present and future) to
 * the system calls the front needs once it serves: socket I/O on the
 * descriptors it has, memory, threads, time, signals. Opening a file
 * fails with EACCES, except an unnamed file (O_TMPFILE) in the directory
 * spool_dir (a descriptor; -1 for none); anything else (exec, socket,
 * connect, ptrace, ...) kills the process. Returns 0, or
 * ESD_EPERM if the filter cannot be loaded; a second call does nothing.
 * Sanitizer builds also allow readlink, which reports need.
 */
int sandbox_seccomp_front(int spool_dir);

#endif
