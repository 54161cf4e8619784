#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <seccomp.h>
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

/*
 * Sanitizer builds (ASan, UBSan) must print a report under the filter,
 * or a memory error in the front shows as SIGSYS and nothing else. A
 * report names each frame by module and offset (tests/integration/lib.sh
 * sets symbolize=0 and names them afterwards), and the module list needs
 * the executable's name from readlink("/proc/self/exe"). ASan reads its
 * options at start and its sandbox hook, called before the filter, reads
 * the name and the memory map. UBSan in GCC is a library of its own that
 * initialises on its first report, in the front under the filter: it
 * cannot open /proc/self/environ for UBSAN_OPTIONS (so it would ask
 * isatty for colours and start a symbolizer, both killed), and it reads
 * the name again. So sanitizer builds, and only they, allow readlink and
 * give UBSan the options below as defaults (UBSAN_OPTIONS, where it can
 * be read, still overrides them).
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || \
	__has_feature(undefined_behavior_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

#ifdef SANITIZER_BUILD
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "print_stacktrace=1:halt_on_error=1:color=never:symbolize=0";
}
#endif

/* NULL without a sanitizer runtime */
struct __sanitizer_sandbox_arguments;
void __sanitizer_sandbox_on_notify(struct __sanitizer_sandbox_arguments *args)
	__attribute__((weak));

static void sanitizer_before_filter(void)
{
	if (__sanitizer_sandbox_on_notify != NULL)
		__sanitizer_sandbox_on_notify(NULL);
}

int sandbox_seccomp_front(int spool_dir)
{
	/* What libmicrohttpd (thread per connection), GnuTLS, OpenSSL,
	 * jansson and glibc use while serving; found with strace -ff over
	 * the integration tests and kept as small as that allows. */
	static const int allow[] = {
		/* I/O on descriptors the front already holds */
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv),
		SCMP_SYS(writev), SCMP_SYS(close), SCMP_SYS(lseek),
		/* spool files: written, hashed, answered (sendfile on the
		 * Unix socket), handed to libmicrohttpd as a new descriptor */
		SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(sendfile),
		SCMP_SYS(dup),
		SCMP_SYS(fcntl), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
		SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select),
		SCMP_SYS(pselect6), SCMP_SYS(epoll_create1),
		SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
		SCMP_SYS(epoll_pwait), SCMP_SYS(eventfd2), SCMP_SYS(pipe2),
		/* sockets: accept on the listeners, talk on what it accepted */
		SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(recvfrom),
		SCMP_SYS(recvmsg), SCMP_SYS(sendto), SCMP_SYS(sendmsg),
		SCMP_SYS(shutdown), SCMP_SYS(getsockopt),
		SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
		SCMP_SYS(getpeername),
		/* memory */
		SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap),
		SCMP_SYS(mremap), SCMP_SYS(mprotect), SCMP_SYS(madvise),
		/* glibc's qsort asks for the physical memory size */
		SCMP_SYS(sysinfo),
		/* threads */
		SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(set_robust_list),
		SCMP_SYS(rseq), SCMP_SYS(futex), SCMP_SYS(sched_yield),
		SCMP_SYS(sched_getaffinity), SCMP_SYS(gettid),
		SCMP_SYS(getpid), SCMP_SYS(prctl), SCMP_SYS(exit),
		SCMP_SYS(exit_group),
		/* signals, time, randomness */
		SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigaction),
		SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
		SCMP_SYS(tgkill), SCMP_SYS(restart_syscall),
		SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
		SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
		SCMP_SYS(getrandom),
#ifdef SANITIZER_BUILD
		SCMP_SYS(readlink),
#endif
	};
	static int loaded;
	scmp_filter_ctx ctx;
	int rc = ESD_EPERM;

	/* Once per process: a second load would itself be a seccomp(2)
	 * call, which the first filter kills. */
	if (loaded)
		return 0;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return ESD_EPERM;
	/* All threads: libmicrohttpd's are already running. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allow[i], 0) != 0)
			goto out;
	/* Opening a file fails instead of killing: libraries probe files
	 * lazily (OpenSSL the random device, glibc's malloc
	 * /proc/sys/vm/overcommit_memory) and cope with a refusal. The one
	 * open allowed makes an unnamed file in the spool directory. */
	if (spool_dir >= 0) {
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 2,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)spool_dir),
				     SCMP_A2(SCMP_CMP_MASKED_EQ, O_TMPFILE,
					     O_TMPFILE)) != 0 ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 1,
				     SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)spool_dir)) != 0 ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 2,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)spool_dir),
				     SCMP_A2(SCMP_CMP_MASKED_EQ,
					     O_TMPFILE & ~O_DIRECTORY, 0)) != 0)
			goto out;
	} else if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
				    SCMP_SYS(openat), 0) != 0) {
		goto out;
	}
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) != 0)
		goto out;
	sanitizer_before_filter();
	if (seccomp_load(ctx) != 0)
		goto out;
	loaded = 1;
	rc = 0;
out:
	if (rc != 0)
		log_err("cannot load the seccomp filter");
	seccomp_release(ctx);
	return rc;
}
