#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>

#include "api/front.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"
#include "daemon/ipc.h"
#include "keeper/keeper.h"
#include "daemon/master.h"
#include "daemon/proto.h"

#define MAX_CHANS 64

enum { KEEPER = 0, FRONT = 1 };
static const char *const child_name[2] = { "keeper", "front" };

struct child {
	pid_t pid;
	int ctl;          /* master's end of the control channel */
	int ready;
	uint64_t started_ns;
	uint64_t restart_at_ns;  /* 0 = no restart pending */
	unsigned backoff_ms;
	int tempfail;     /* it last exited with KEEPER_EXIT_TEMPFAIL */
};

struct master {
	struct esd_config cfg;
	int https_fd, unix_fd;
	int public_fd;    /* the plain-HTTP distribution point, or -1 */
	size_t nchans;
	pid_t pid;        /* the master's own */
	struct child c[2];
	int stopping;
	int served;       /* both children have been ready at least once */
	int fatal;        /* stop with a failure status */
};

static int listen_tcp(const char *hostport)
{
	char host[128], *colon;
	struct addrinfo hints = { 0 }, *ai = NULL;
	int fd = -1, one = 1;

	snprintf(host, sizeof(host), "%s", hostport);
	colon = strrchr(host, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	if (host[0] == '[' && colon[-1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 512) != 0) {
		log_err("master: cannot listen on %s: %s", hostport,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, probe, bound;
	mode_t old_mask;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	/* A socket file left by a crash is removed; a live one is not. */
	probe = socket(AF_UNIX, SOCK_STREAM, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		log_err("master: %s is in use by a running esignd", path);
		return -1;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	/* Created 0660 from the start: no window with wider permissions. */
	old_mask = umask(0117);
	bound = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	umask(old_mask);
	if (!bound || chmod(path, 0660) != 0 || listen(fd, 512) != 0) {
		log_err("master: cannot listen on %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* In a new child: closes every descriptor above 2 not in keep. */
static void close_others(const int *keep, size_t n)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int dfd = d ? dirfd(d) : -1;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		int fd = atoi(e->d_name), k = 0;

		if (e->d_name[0] == '.' || fd <= 2 || fd == dfd)
			continue;
		for (size_t i = 0; i < n; i++)
			k |= keep[i] == fd;
		if (!k)
			close(fd);
	}
	closedir(d);
}

static int make_pairs(size_t n, int *a, int *b)
{
	for (size_t i = 0; i < n; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
			while (i-- > 0) {
				close(a[i]);
				close(b[i]);
			}
			return ESD_EIO;
		}
		a[i] = sv[0];
		b[i] = sv[1];
	}
	return 0;
}

static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/* Forks child `which` with its channel ends. */
static int spawn(struct master *m, int which, const int *chans)
{
	struct child *c = &m->c[which];
	int sv[2], keep[MAX_CHANS + 4];
	size_t nk = 0;
	sigset_t all;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return ESD_EIO;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return ESD_EIO;
	}
	if (pid == 0) {
		int rc;

		/* If the master dies, so do its children at once: they hold
		 * the listeners, and a new master must be able to bind. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != m->pid)
			_exit(1);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		keep[nk++] = sv[1];
		for (size_t i = 0; i < m->nchans; i++)
			keep[nk++] = chans[i];
		if (which == FRONT) {
			keep[nk++] = m->https_fd;
			keep[nk++] = m->unix_fd;
			keep[nk++] = m->public_fd;
		}
		close_others(keep, nk);
		if (which == KEEPER)
			rc = keeper_main(&m->cfg, sv[1], chans, m->nchans);
		else
			rc = front_main(&m->cfg, sv[1], chans, m->nchans,
					m->https_fd, m->unix_fd, m->public_fd);
		_exit(rc);
	}
	close(sv[1]);
	if (c->ctl >= 0)
		close(c->ctl);
	c->ctl = sv[0];
	c->pid = pid;
	c->ready = 0;
	c->started_ns = esd_mono_ns();
	c->restart_at_ns = 0;
	log_info("master: started %s (pid %d)", child_name[which], (int)pid);
	return 0;
}

/*
 * (Re)starts child `which` with a fresh set of channels, and hands the
 * other ends to its sibling if that one is running.
 */
static int restart(struct master *m, int which)
{
	int mine[MAX_CHANS], theirs[MAX_CHANS];
	struct child *other = &m->c[!which];
	int rc;

	rc = make_pairs(m->nchans, mine, theirs);
	if (rc != 0)
		return rc;
	rc = spawn(m, which, mine);
	if (rc == 0 && other->pid > 0)
		rc = ipc_ctl_send(other->ctl, CTL_CHANNELS, NULL, 0, theirs,
				  m->nchans);
	close_all(mine, m->nchans);
	close_all(theirs, m->nchans);
	return rc;
}

static void reap(struct master *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int w = 0; w < 2; w++) {
			struct child *c = &m->c[w];
			uint64_t lived;

			if (c->pid != pid)
				continue;
			c->pid = 0;
			if (m->stopping)
				continue;
			if (WIFSIGNALED(status))
				log_err("master: %s (pid %d) killed by signal %d",
					child_name[w], (int)pid, WTERMSIG(status));
			else
				log_err("master: %s (pid %d) exited with %d",
					child_name[w], (int)pid,
					WEXITSTATUS(status));
			c->tempfail = w == KEEPER && WIFEXITED(status) &&
				      WEXITSTATUS(status) == KEEPER_EXIT_TEMPFAIL;
			if (w == KEEPER && WIFEXITED(status) &&
			    WEXITSTATUS(status) == KEEPER_EXIT_FATAL) {
				log_err("master: the keeper cannot work with this "
					"configuration; stopping");
				m->fatal = 1;
				m->stopping = 1;
				continue;
			}
			/* Restart at once a child that was serving; one that
			 * dies before it is ready is in a crash loop: growing
			 * delays, up to 5 s. */
			lived = esd_mono_ns() - c->started_ns;
			if (c->ready || lived > 10000000000ull)
				c->backoff_ms = 0;
			else
				c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : 100;
			if (c->backoff_ms > 5000)
				c->backoff_ms = 5000;
			c->restart_at_ns = esd_mono_ns() +
					   (uint64_t)c->backoff_ms * 1000000ull;
		}
	}
}

static void stop_child(struct master *m, int which, unsigned timeout_s)
{
	struct child *c = &m->c[which];
	uint64_t deadline = esd_mono_ns() + (uint64_t)timeout_s * 1000000000ull;
	int status;

	if (c->pid <= 0)
		return;
	kill(c->pid, SIGTERM);
	while (esd_mono_ns() < deadline) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			c->pid = 0;
			return;
		}
		usleep(10000);
	}
	log_warn("master: %s did not stop in %us, killing it",
		 child_name[which], timeout_s);
	kill(c->pid, SIGKILL);
	waitpid(c->pid, &status, 0);
	c->pid = 0;
}

static void on_ctl(struct master *m, int which, int *ready_fd)
{
	struct child *c = &m->c[which];
	int fds[MAX_CHANS];
	size_t n;
	uint16_t type;

	if (ipc_ctl_recv(c->ctl, &type, NULL, 0, NULL, fds, MAX_CHANS, &n) != 0) {
		close(c->ctl);
		c->ctl = -1;
		return;
	}
	close_all(fds, n);
	if (type == CTL_CHANNEL_LOST && which == FRONT && m->c[KEEPER].pid > 0) {
		int a, b;

		/* One fresh channel: an end to each. */
		if (make_pairs(1, &a, &b) == 0) {
			ipc_ctl_send(m->c[KEEPER].ctl, CTL_CHANNELS, NULL, 0, &a, 1);
			ipc_ctl_send(c->ctl, CTL_CHANNEL_ADD, NULL, 0, &b, 1);
			close(a);
			close(b);
			log_warn("master: replaced a broken keeper channel");
		}
		return;
	}
	if (type != CTL_READY)
		return;
	c->ready = 1;
	if (m->c[KEEPER].ready && m->c[FRONT].ready) {
		if (!m->served) {
			m->served = 1;
			log_info("master: serving%s%s%s%s%s%s",
				 m->https_fd >= 0 ? " https://" : "",
				 m->https_fd >= 0 ? m->cfg.https_listen : "",
				 m->unix_fd >= 0 ? " unix:" : "",
				 m->unix_fd >= 0 ? m->cfg.unix_socket : "",
				 m->public_fd >= 0 ? " http://" : "",
				 m->public_fd >= 0 ? m->cfg.public_listen : "");
		}
		if (*ready_fd >= 0) {
			if (write(*ready_fd, "R", 1) < 0)
				log_warn("master: cannot signal readiness");
			close(*ready_fd);
			*ready_fd = -1;
		}
		sd_notify(0, "READY=1");
	}
}

static void reload(struct master *m)
{
	struct esd_config nc;
	char err[512];

	sd_notify(0, "RELOADING=1");
	if (config_load(m->cfg.path, &nc, err, sizeof(err)) != 0) {
		log_err("master: reload refused, keeping the running "
			"configuration: %s", err);
	} else {
		if (strcmp(nc.https_listen, m->cfg.https_listen) != 0 ||
		    strcmp(nc.unix_socket, m->cfg.unix_socket) != 0 ||
		    strcmp(nc.public_listen, m->cfg.public_listen) != 0)
			log_warn("master: listener changes need a restart");
		/* What changes without a restart: limits, log level and
		 * admin uids. Children get the parsed file from here (the
		 * front may no longer be able to read it). */
		m->cfg.log_level = nc.log_level;
		m->cfg.max_body = nc.max_body;
		m->cfg.rate_limit = nc.rate_limit;
		m->cfg.require_synced_clock = nc.require_synced_clock;
		m->cfg.max_clock_error_ms = nc.max_clock_error_ms;
		m->cfg.rate_burst = nc.rate_burst;
		memcpy(m->cfg.admin_uids, nc.admin_uids, sizeof(nc.admin_uids));
		m->cfg.n_admin_uids = nc.n_admin_uids;
		log_set_level(nc.log_level);
		for (int w = 0; w < 2; w++)
			if (m->c[w].pid > 0 && m->c[w].ctl >= 0)
				ipc_ctl_send(m->c[w].ctl, CTL_CONFIG, &m->cfg,
					     sizeof(m->cfg), NULL, 0);
		log_info("master: configuration reloaded");
	}
	sd_notify(0, "READY=1");
}

int master_run(const struct esd_config *cfg, int ready_fd)
{
	struct master m;
	sigset_t mask;
	int sfd, rc = 1;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	log_init("master", cfg->log_level);
	log_set_format(strcmp(cfg->log_format, "json") == 0);
	memset(&m, 0, sizeof(m));
	memcpy(&m.cfg, cfg, sizeof(*cfg));
	m.c[0].ctl = m.c[1].ctl = -1;
	m.pid = getpid();
	m.https_fd = m.unix_fd = m.public_fd = -1;
	/* Four per CPU: a worker waiting for the audit commit's fsync
	 * leaves its CPU to another's C_Sign, and the waiting ones share
	 * one commit (docs/performance.md, "Keeper threads"). */
	m.nchans = cfg->keeper_threads ? cfg->keeper_threads
				       : (size_t)(ncpu > 0 ? 4 * ncpu : 8);
	if (m.nchans > MAX_CHANS)
		m.nchans = MAX_CHANS;
	signal(SIGPIPE, SIG_IGN);

	if (cfg->https_listen[0] != '\0') {
		m.https_fd = listen_tcp(cfg->https_listen);
		if (m.https_fd < 0)
			goto out;
	}
	if (cfg->unix_socket[0] != '\0') {
		m.unix_fd = listen_unix(cfg->unix_socket);
		if (m.unix_fd < 0)
			goto out;
	}
	if (cfg->public_listen[0] != '\0') {
		m.public_fd = listen_tcp(cfg->public_listen);
		if (m.public_fd < 0)
			goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sfd < 0)
		goto out;

	/* First start: both children; one set of channels between them. */
	{
		int a[MAX_CHANS], b[MAX_CHANS];

		if (make_pairs(m.nchans, a, b) != 0)
			goto out;
		if (spawn(&m, KEEPER, a) != 0 || spawn(&m, FRONT, b) != 0)
			goto out;
		close_all(a, m.nchans);
		close_all(b, m.nchans);
	}

	while (!m.stopping) {
		struct pollfd p[3] = {
			{ sfd, POLLIN, 0 },
			{ m.c[KEEPER].ctl, POLLIN, 0 },
			{ m.c[FRONT].ctl, POLLIN, 0 },
		};
		uint64_t now = esd_mono_ns();

		for (int w = 0; w < 2; w++) {
			struct child *c = &m.c[w];

			/* A child that dies before the first start completed
			 * has a setup problem (bad PIN, missing token, TLS
			 * files): give up, the reason is in the log. Not a
			 * keeper waiting for its database. */
			if (c->pid == 0 && c->restart_at_ns && !m.served &&
			    !c->tempfail) {
				log_err("master: the %s could not start",
					child_name[w]);
				goto stop;
			}
			if (c->pid == 0 && c->restart_at_ns && now >= c->restart_at_ns) {
				if (restart(&m, w) != 0)
					c->restart_at_ns = now + 1000000000ull;
			}
		}
		if (poll(p, 3, 100) <= 0)
			continue;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap(&m);
				else if (si.ssi_signo == SIGHUP)
					reload(&m);
				else
					m.stopping = 1;
			}
		}
		for (int w = 0; w < 2; w++)
			if (p[w + 1].revents & (POLLIN | POLLHUP))
				if (m.c[w].ctl >= 0)
					on_ctl(&m, w, &ready_fd);
	}
	rc = m.fatal ? 1 : 0;
stop:
	m.stopping = 1;
	sd_notify(0, "STOPPING=1");
	log_info("master: stopping (drain up to %us)",
		 (unsigned)cfg->drain_timeout);
	stop_child(&m, FRONT, (unsigned)cfg->drain_timeout + 5);
	stop_child(&m, KEEPER, 10);
	log_info("master: stopped");
out:
	if (m.unix_fd >= 0) {
		close(m.unix_fd);
		unlink(cfg->unix_socket);
	}
	if (m.https_fd >= 0)
		close(m.https_fd);
	if (m.public_fd >= 0)
		close(m.public_fd);
	return rc;
}
