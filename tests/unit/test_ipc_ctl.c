/*
 * Unit tests for daemon/ipc.c's control channel (ipc_ctl_send and
 * ipc_ctl_recv): a message type, a payload and file descriptors passed
 * with SCM_RIGHTS over a SOCK_SEQPACKET socketpair.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "daemon/ipc.h"
#include "tests/unit/unit_sock.h"

/* ---- ipc_ctl_send / ipc_ctl_recv -------------------------------------- */

static void test_ipc_ctl_roundtrip_type_payload_and_two_fds(void **state)
{
	int sv[2], p1[2], p2[2], fds[4] = { -1, -1, -1, -1 }, send_fds[2];
	uint8_t buf[64];
	char got[8];
	uint16_t type = 0;
	size_t len = 0, n = 0;

	(void)state;
	make_pair(SOCK_SEQPACKET, sv);
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	send_fds[0] = p1[1];
	send_fds[1] = p2[1];
	assert_int_equal(ipc_ctl_send(sv[0], 0xabcd, "payload", 7, send_fds, 2),
			 0);
	assert_int_equal(ipc_ctl_recv(sv[1], &type, buf, sizeof(buf), &len,
				      fds, 4, &n), 0);
	assert_int_equal(type, 0xabcd);
	assert_int_equal(len, 7);
	assert_memory_equal(buf, "payload", 7);
	assert_int_equal(n, 2);
	assert_true(fds[0] >= 0 && fds[1] >= 0);
	assert_true(fds[0] != p1[1] && fds[1] != p2[1]);
	/* Received with close-on-exec. */
	assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);

	/* The received descriptors are the pipes' write ends, in order. */
	assert_int_equal(write(fds[0], "one", 3), 3);
	assert_int_equal(write(fds[1], "two", 3), 3);
	assert_int_equal(read(p1[0], got, sizeof(got)), 3);
	assert_memory_equal(got, "one", 3);
	assert_int_equal(read(p2[0], got, sizeof(got)), 3);
	assert_memory_equal(got, "two", 3);

	close(fds[0]);
	close(fds[1]);
	close(p1[1]);
	close(p2[1]);
	close(p1[0]);
	close(p2[0]);
	close_pair(sv);
}

static void test_ipc_ctl_roundtrip_type_only(void **state)
{
	int sv[2], fds[1];
	uint8_t buf[16];
	uint16_t type = 0;
	size_t len = 99, n = 99;

	(void)state;
	make_pair(SOCK_SEQPACKET, sv);
	assert_int_equal(ipc_ctl_send(sv[0], 7, NULL, 0, NULL, 0), 0);
	assert_int_equal(ipc_ctl_recv(sv[1], &type, buf, sizeof(buf), &len,
				      fds, 1, &n), 0);
	assert_int_equal(type, 7);
	assert_int_equal(len, 0);
	assert_int_equal(n, 0);

	/* A payload of exactly cap bytes fits. */
	assert_int_equal(ipc_ctl_send(sv[0], 8, "0123456789abcdef", 16, NULL,
				      0), 0);
	assert_int_equal(ipc_ctl_recv(sv[1], &type, buf, sizeof(buf), &len,
				      fds, 1, &n), 0);
	assert_int_equal(type, 8);
	assert_int_equal(len, 16);
	assert_memory_equal(buf, "0123456789abcdef", 16);
	close_pair(sv);
}

static void test_ipc_ctl_recv_oversized_message_is_eproto_and_closes_fds(void **state)
{
	int sv[2], p1[2], p2[2], fds[4] = { -1, -1, -1, -1 }, send_fds[2];
	uint8_t payload[100], buf[10];
	uint16_t type;
	size_t len, n = 99;

	(void)state;
	memset(payload, 'p', sizeof(payload));
	make_pair(SOCK_SEQPACKET, sv);
	assert_int_equal(pipe(p1), 0);
	assert_int_equal(pipe(p2), 0);
	send_fds[0] = p1[1];
	send_fds[1] = p2[1];
	assert_int_equal(ipc_ctl_send(sv[0], 1, payload, sizeof(payload),
				      send_fds, 2), 0);
	/* Our copies of the write ends go; only the passed ones remain. */
	close(p1[1]);
	close(p2[1]);
	assert_int_equal(ipc_ctl_recv(sv[1], &type, buf, sizeof(buf), &len,
				      fds, 4, &n), ESD_EPROTO);
	assert_int_equal(n, 0);
	assert_int_equal(fds[0], -1);
	/* EOF on the read ends proves the passed write ends were closed. */
	assert_int_equal(probe_read(p1[0]), 0);
	assert_int_equal(probe_read(p2[0]), 0);
	close(p1[0]);
	close(p2[0]);
	close_pair(sv);
}

static void test_ipc_ctl_recv_payload_with_zero_cap_is_eproto(void **state)
{
	int sv[2], fds[1];
	uint16_t type;
	size_t len, n;

	(void)state;
	make_pair(SOCK_SEQPACKET, sv);
	assert_int_equal(ipc_ctl_send(sv[0], 1, "x", 1, NULL, 0), 0);
	assert_int_equal(ipc_ctl_recv(sv[1], &type, NULL, 0, &len, fds, 1, &n),
			 ESD_EPROTO);
	close_pair(sv);
}

static void test_ipc_ctl_recv_closes_fds_beyond_max(void **state)
{
	int sv[2], p[3][2], fds[1] = { -1 }, send_fds[3];
	uint8_t buf[8];
	uint16_t type;
	size_t len, n;

	(void)state;
	make_pair(SOCK_SEQPACKET, sv);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pipe(p[i]), 0);
		send_fds[i] = p[i][1];
	}
	assert_int_equal(ipc_ctl_send(sv[0], 2, NULL, 0, send_fds, 3), 0);
	for (int i = 0; i < 3; i++)
		close(p[i][1]);
	assert_int_equal(ipc_ctl_recv(sv[1], &type, buf, sizeof(buf), &len,
				      fds, 1, &n), 0);
	assert_int_equal(type, 2);
	assert_int_equal(n, 1);
	assert_true(fds[0] >= 0);
	/* The first is kept, the other two are closed. */
	assert_int_equal(probe_read(p[0][0]), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	assert_int_equal(probe_read(p[1][0]), 0);
	assert_int_equal(probe_read(p[2][0]), 0);
	close(fds[0]);
	assert_int_equal(probe_read(p[0][0]), 0);
	for (int i = 0; i < 3; i++)
		close(p[i][0]);
	close_pair(sv);
}

static void test_ipc_ctl_recv_short_message_is_eproto(void **state)
{
	int sv[2], fds[1];
	uint8_t buf[8];
	uint16_t type;
	size_t len, n;

	(void)state;
	make_pair(SOCK_SEQPACKET, sv);
	assert_int_equal(send(sv[0], "x", 1, 0), 1);
	assert_int_equal(ipc_ctl_recv(sv[1], &type, buf, sizeof(buf), &len,
				      fds, 1, &n), ESD_EPROTO);
	assert_int_equal(n, 0);
	close_pair(sv);
}

static void test_ipc_ctl_recv_peer_gone_is_eio(void **state)
{
	int sv[2], fds[1];
	uint8_t buf[8];
	uint16_t type;
	size_t len, n;

	(void)state;
	make_pair(SOCK_SEQPACKET, sv);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(ipc_ctl_recv(sv[1], &type, buf, sizeof(buf), &len,
				      fds, 1, &n), ESD_EIO);
	close_pair(sv);
}

static void test_ipc_ctl_send_limits(void **state)
{
	int sv[2], fds[65];
	uint8_t dummy = 0;

	(void)state;
	make_pair(SOCK_SEQPACKET, sv);
	for (int i = 0; i < 65; i++)
		fds[i] = sv[0];
	assert_int_equal(ipc_ctl_send(sv[0], 1, NULL, 0, fds, 65), ESD_EINVAL);
	assert_int_equal(ipc_ctl_send(sv[0], 1, &dummy,
				      (size_t)IPC_CTL_MAX + 1, NULL, 0),
			 ESD_EINVAL);
	/* Peer gone: ESD_EIO, and no SIGPIPE (MSG_NOSIGNAL). */
	close(sv[1]);
	sv[1] = -1;
	assert_int_equal(ipc_ctl_send(sv[0], 1, "x", 1, NULL, 0), ESD_EIO);
	close_pair(sv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipc_ctl_roundtrip_type_payload_and_two_fds),
		cmocka_unit_test(test_ipc_ctl_roundtrip_type_only),
		cmocka_unit_test(test_ipc_ctl_recv_oversized_message_is_eproto_and_closes_fds),
		cmocka_unit_test(test_ipc_ctl_recv_payload_with_zero_cap_is_eproto),
		cmocka_unit_test(test_ipc_ctl_recv_closes_fds_beyond_max),
		cmocka_unit_test(test_ipc_ctl_recv_short_message_is_eproto),
		cmocka_unit_test(test_ipc_ctl_recv_peer_gone_is_eio),
		cmocka_unit_test(test_ipc_ctl_send_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
