/*
 * hostile_peer CONF: plays a compromised front against the real keeper.
 * It starts keeper_main() of this build on the instance CONF names (the
 * real token and LMDB; esignd must not be running), listens on the
 * configured unix_socket itself, and sends the keeper forged frames over
 * a real channel socketpair. One line per check, "ok - ..." or
 * "not ok - ...", for tests/integration/t_hostile_peer.sh. Exit 0 when
 * every check passed.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "daemon/config.h"
#include "daemon/ipc.h"
#include "keeper/keeper.h"
#include "daemon/proto.h"

static int failed;

static void report(int ok, const char *what, int got)
{
	printf("%s - %s (status %s)\n", ok ? "ok" : "not ok", what,
	       got == 0 ? "ok" : esd_err_name(got));
	if (!ok)
		failed = 1;
}

/* Sends type with payload (and pass_fd, < 0: none); the reply's status,
 * or ESD_EIO when the channel broke. */
static int call(int chan, uint16_t type, const struct ibuf *b, int pass_fd)
{
	struct ipc_msg m;
	struct pollfd p = { chan, POLLIN, 0 };
	int rc;

	if (ipc_send_fd(chan, type, 0, b->data, b->len, pass_fd) != 0)
		return ESD_EIO;
	if (poll(&p, 1, 20000) != 1)
		return ESD_EIO;
	if (ipc_recv(chan, &m, IPC_MAX_PAYLOAD) != 0)
		return ESD_EIO;
	rc = m.status;
	ipc_msg_clear(&m);
	return rc;
}

/* CRED_PEER as the front once sent it: kind, then a claimed uid and gid. */
static void claim(struct ibuf *b, uid_t uid)
{
	ibuf_init(b);
	ibuf_put_u8(b, CRED_PEER);
	ibuf_put_u32(b, (uint32_t)uid);
	ibuf_put_u32(b, (uint32_t)uid);
}

int main(int argc, char **argv)
{
	struct esd_config cfg;
	struct sockaddr_un sa;
	struct ibuf b;
	char err[256];
	int chan[2], ctl[2], lsn = -1, cli = -1, acc = -1, pair[2], admin = 0;
	uid_t admin_uid;
	pid_t pid;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: hostile_front CONF\n");
		return 2;
	}
	if (config_load(argv[1], &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "hostile_front: %s\n", err);
		return 2;
	}
	if (cfg.n_admin_uids == 0 || cfg.unix_socket[0] == '\0') {
		fprintf(stderr, "hostile_front: the instance needs admin_uids and "
			"unix_socket\n");
		return 2;
	}
	admin_uid = cfg.admin_uids[0];
	for (size_t i = 0; i < cfg.n_admin_uids; i++)
		if (cfg.admin_uids[i] == getuid())
			admin = 1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, chan) != 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) != 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
		return 2;
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		close(chan[0]);
		close(ctl[0]);
		_exit(keeper_main(&cfg, ctl[1], &chan[1], 1));
	}
	close(chan[1]);
	close(ctl[1]);
	{
		struct pollfd p = { ctl[0], POLLIN, 0 };
		uint16_t type = 0;
		size_t n = 0, nf = 0;

		if (poll(&p, 1, 30000) != 1 ||
		    ipc_ctl_recv(ctl[0], &type, NULL, 0, &n, NULL, 0, &nf) != 0 ||
		    type != CTL_READY) {
			fprintf(stderr, "hostile_front: the keeper did not start\n");
			kill(pid, SIGKILL);
			return 2;
		}
	}
	/* The listener a real front would have inherited. */
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", cfg.unix_socket);
	unlink(cfg.unix_socket);
	lsn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsn < 0 || bind(lsn, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(lsn, 4) != 0)
		return 2;
	cli = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (cli < 0 || connect(cli, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (acc = accept4(lsn, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return 2;

	claim(&b, admin_uid);
	rc = call(chan[0], MSG_STATUS, &b, -1);
	report(rc == ESD_EAUTH || rc == ESD_EINVAL,
	       "a CRED_PEER frame claiming an admin uid is refused (status)", rc);
	ibuf_free(&b);

	claim(&b, admin_uid);
	ibuf_put_str(&b, "any-key");
	ibuf_put_str(&b, "rsa-pkcs1");
	ibuf_put_str(&b, "sha256");
	ibuf_put_bytes(&b, "0123456789abcdef0123456789abcdef", 32);
	rc = call(chan[0], MSG_KEY_SIGN, &b, -1);
	report(rc == ESD_EAUTH || rc == ESD_EINVAL,
	       "... and claiming it for raw signing (keys.sign) is refused", rc);
	ibuf_free(&b);

	ibuf_init(&b);
	ibuf_put_u8(&b, CRED_PEER);
	rc = call(chan[0], MSG_STATUS, &b, -1);
	report(rc == ESD_EAUTH, "CRED_PEER without a connection is refused", rc);
	rc = call(chan[0], MSG_STATUS, &b, pair[0]);
	report(rc == ESD_EAUTH, "CRED_PEER with a socketpair the front made is "
	       "refused", rc);
	rc = call(chan[0], MSG_STATUS, &b, cli);
	report(rc == ESD_EAUTH, "CRED_PEER with a client's end (SO_PEERCRED "
	       "would name the listener) is refused", rc);
	rc = call(chan[0], MSG_STATUS, &b, lsn);
	report(rc == ESD_EAUTH, "CRED_PEER with the listening socket is refused",
	       rc);
	rc = call(chan[0], MSG_STATUS, &b, 0);
	report(rc == ESD_EAUTH, "CRED_PEER with a descriptor that is no socket "
	       "is refused", rc);
	rc = call(chan[0], MSG_STATUS, &b, acc);
	if (admin)
		report(rc == 0, "a connection accepted on unix_socket by an admin "
		       "uid is admin", rc);
	else
		report(rc == ESD_EPERM, "a connection accepted on unix_socket by a "
		       "uid that is not admin is no admin", rc);
	ibuf_free(&b);

	/* The keeper stops when its control channel closes. */
	close(ctl[0]);
	close(chan[0]);
	waitpid(pid, NULL, 0);
	unlink(cfg.unix_socket);
	return failed;
}
