/*
 * Unit tests for daemon/ipc.c: the framed front <-> keeper channel (ipc_send/ipc_recv over a real SOCK_STREAM
 * socketpair, including short reads and hostile headers) and the master's
 * The ibuf encoder and decoder are in test_ibuf.c, the master's control
 * channel in test_ipc_ctl.c.
 *
 * The executable is linked with -Wl,--wrap=read,--wrap=writev so that,
 * while fault_io is set, every third call fails with EINTR and the others
 * move at most a few bytes: short reads/writes and restarts become
 * deterministic instead of depending on the scheduler.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/err.h"
#include "daemon/ipc.h"
#include "tests/unit/unit_sock.h"

/* ---- fault injection (see the header comment) ----------------------- */

ssize_t __real_read(int fd, void *buf, size_t n);
ssize_t __real_writev(int fd, const struct iovec *iov, int cnt);
ssize_t __wrap_read(int fd, void *buf, size_t n);
ssize_t __wrap_writev(int fd, const struct iovec *iov, int cnt);

#define FAULT_READ_MAX 3
#define FAULT_WRITE_MAX 5

static int fault_io;
static unsigned fault_calls, fault_eintr;

ssize_t __wrap_read(int fd, void *buf, size_t n)
{
	if (!fault_io)
		return __real_read(fd, buf, n);
	if (fault_calls > 100000) {
		errno = EIO;
		return -1;
	}
	if (fault_calls++ % 3 == 0) {
		fault_eintr++;
		errno = EINTR;
		return -1;
	}
	return __real_read(fd, buf, n < FAULT_READ_MAX ? n : FAULT_READ_MAX);
}

ssize_t __wrap_writev(int fd, const struct iovec *iov, int cnt)
{
	struct iovec lim[4];
	size_t left = FAULT_WRITE_MAX;
	int k = 0;

	if (!fault_io)
		return __real_writev(fd, iov, cnt);
	/* A caller that loops without progress fails instead of hanging. */
	if (fault_calls > 100000) {
		errno = EIO;
		return -1;
	}
	if (fault_calls++ % 3 == 0) {
		fault_eintr++;
		errno = EINTR;
		return -1;
	}
	/* At most FAULT_WRITE_MAX bytes, possibly spanning both iovecs. */
	for (int i = 0; i < cnt && k < 4 && left > 0; i++) {
		lim[k] = iov[i];
		if (lim[k].iov_len > left)
			lim[k].iov_len = left;
		left -= lim[k].iov_len;
		k++;
	}
	return __real_writev(fd, lim, k);
}

static void fault_start(void)
{
	fault_calls = fault_eintr = 0;
	fault_io = 1;
}

static void fault_stop(void)
{
	fault_io = 0;
}

/* ---- helpers ---------------------------------------------------------- */



static void write_raw(int fd, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len > 0) {
		ssize_t n = write(fd, b, len);

		assert_true(n > 0);
		b += n;
		len -= (size_t)n;
	}
}

static void put_hdr(uint8_t hdr[IPC_HDR_LEN], uint32_t len, uint16_t type,
		    uint16_t status)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
	hdr[4] = (uint8_t)(type >> 8);
	hdr[5] = (uint8_t)type;
	hdr[6] = (uint8_t)(status >> 8);
	hdr[7] = (uint8_t)status;
}


/* ---- ipc_hdr_decode ---------------------------------------------------- */

static void test_ipc_hdr_decode_fields(void **state)
{
	uint8_t h[IPC_HDR_LEN] = { 0x00, 0x01, 0x02, 0x03, 0xbe, 0xef,
				   0xff, 0xf0 };
	uint32_t len;
	uint16_t type;
	int16_t st;

	(void)state;
	assert_int_equal(ipc_hdr_decode(h, 0x010203, &len, &type, &st), 0);
	assert_int_equal(len, 0x010203);
	assert_int_equal(type, 0xbeef);
	assert_int_equal(st, ESD_EPROTO);
	/* len == max is fine, max - 1 is not. */
	assert_int_equal(ipc_hdr_decode(h, 0x010202, &len, &type, &st),
			 ESD_EPROTO);
}

static void test_ipc_hdr_decode_rejects_length_over_payload_limit(void **state)
{
	uint8_t h[IPC_HDR_LEN];
	uint32_t len;
	uint16_t type;
	int16_t st;

	(void)state;
	put_hdr(h, IPC_MAX_PAYLOAD, 1, 0);
	assert_int_equal(ipc_hdr_decode(h, SIZE_MAX, &len, &type, &st), 0);
	assert_int_equal(len, IPC_MAX_PAYLOAD);
	put_hdr(h, IPC_MAX_PAYLOAD + 1, 1, 0);
	assert_int_equal(ipc_hdr_decode(h, SIZE_MAX, &len, &type, &st),
			 ESD_EPROTO);
	put_hdr(h, UINT32_MAX, 1, 0);
	assert_int_equal(ipc_hdr_decode(h, SIZE_MAX, &len, &type, &st),
			 ESD_EPROTO);
}

static void test_ipc_hdr_decode_status_range(void **state)
{
	uint8_t h[IPC_HDR_LEN];
	uint32_t len;
	uint16_t type;
	int16_t st;

	(void)state;
	put_hdr(h, 0, 1, 0);
	assert_int_equal(ipc_hdr_decode(h, 0, &len, &type, &st), 0);
	assert_int_equal(st, 0);
	put_hdr(h, 0, 1, (uint16_t)ESD_ERR_MIN);
	assert_int_equal(ipc_hdr_decode(h, 0, &len, &type, &st), 0);
	assert_int_equal(st, ESD_ERR_MIN);
	put_hdr(h, 0, 1, (uint16_t)(ESD_ERR_MIN - 1));
	assert_int_equal(ipc_hdr_decode(h, 0, &len, &type, &st), ESD_EPROTO);
	put_hdr(h, 0, 1, 1);
	assert_int_equal(ipc_hdr_decode(h, 0, &len, &type, &st), ESD_EPROTO);
	put_hdr(h, 0, 1, 0x7fff);
	assert_int_equal(ipc_hdr_decode(h, 0, &len, &type, &st), ESD_EPROTO);
	put_hdr(h, 0, 1, 0x8000);
	assert_int_equal(ipc_hdr_decode(h, 0, &len, &type, &st), ESD_EPROTO);
}

/* ---- ipc_send / ipc_recv ---------------------------------------------- */

static void test_ipc_roundtrip_with_payload(void **state)
{
	int sv[2];
	struct ipc_msg m;

	(void)state;
	make_pair(SOCK_STREAM, sv);
	assert_int_equal(ipc_send(sv[0], 42, 0, "hello", 5), 0);
	assert_int_equal(ipc_recv(sv[1], &m, 1024), 0);
	assert_int_equal(m.type, 42);
	assert_int_equal(m.status, 0);
	assert_int_equal(m.len, 5);
	assert_memory_equal(m.data, "hello", 5);
	ipc_msg_clear(&m);
	assert_null(m.data);
	assert_int_equal(m.len, 0);
	close_pair(sv);
}

static void test_ipc_roundtrip_without_payload_and_error_status(void **state)
{
	int sv[2];
	struct ipc_msg m;

	(void)state;
	make_pair(SOCK_STREAM, sv);
	assert_int_equal(ipc_send(sv[0], 3, ESD_ENOTFOUND, NULL, 0), 0);
	assert_int_equal(ipc_recv(sv[1], &m, 0), 0);
	assert_int_equal(m.type, 3);
	assert_int_equal(m.status, ESD_ENOTFOUND);
	assert_int_equal(m.len, 0);
	ipc_msg_clear(&m);
	close_pair(sv);
}

static void test_ipc_send_wire_format(void **state)
{
	static const uint8_t want[] = { 0, 0, 0, 3, 0x12, 0x34, 0xff, 0xf2,
					'a', 'b', 'c' };
	uint8_t got[sizeof(want) + 1];
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	assert_int_equal(ipc_send(sv[0], 0x1234, ESD_EIO, "abc", 3), 0);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(recv(sv[1], got, sizeof(got), MSG_WAITALL),
			 (ssize_t)sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
	close_pair(sv);
}

static void test_ipc_back_to_back_frames_are_not_merged(void **state)
{
	int sv[2];
	struct ipc_msg m;

	(void)state;
	make_pair(SOCK_STREAM, sv);
	assert_int_equal(ipc_send(sv[0], 1, 0, "first", 5), 0);
	assert_int_equal(ipc_send(sv[0], 2, 0, NULL, 0), 0);
	assert_int_equal(ipc_send(sv[0], 3, 0, "third!", 6), 0);
	assert_int_equal(ipc_recv(sv[1], &m, 64), 0);
	assert_int_equal(m.type, 1);
	assert_int_equal(m.len, 5);
	assert_memory_equal(m.data, "first", 5);
	ipc_msg_clear(&m);
	assert_int_equal(ipc_recv(sv[1], &m, 64), 0);
	assert_int_equal(m.type, 2);
	assert_int_equal(m.len, 0);
	ipc_msg_clear(&m);
	assert_int_equal(ipc_recv(sv[1], &m, 64), 0);
	assert_int_equal(m.type, 3);
	assert_int_equal(m.len, 6);
	assert_memory_equal(m.data, "third!", 6);
	ipc_msg_clear(&m);
	close_pair(sv);
}

static void test_ipc_recv_passes_unknown_types_through(void **state)
{
	static const uint16_t types[] = { 0, 0x7fff, 0x8000, 0xfffe, 0xffff };
	int sv[2];
	struct ipc_msg m;

	(void)state;
	make_pair(SOCK_STREAM, sv);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		assert_int_equal(ipc_send(sv[0], types[i], 0, "x", 1), 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_int_equal(ipc_recv(sv[1], &m, 16), 0);
		assert_int_equal(m.type, types[i]);
		assert_int_equal(m.len, 1);
		ipc_msg_clear(&m);
	}
	close_pair(sv);
}

static void test_ipc_send_rejects_payload_over_limit(void **state)
{
	uint8_t dummy = 0;
	int sv[2];
	char c;

	(void)state;
	make_pair(SOCK_STREAM, sv);
	assert_int_equal(ipc_send(sv[0], 1, 0, &dummy,
				  (size_t)IPC_MAX_PAYLOAD + 1), ESD_ETOOBIG);
	/* Nothing went out. */
	assert_int_equal(recv(sv[1], &c, 1, MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	close_pair(sv);
}

static void test_ipc_send_restarts_on_eintr_and_short_writes(void **state)
{
	uint8_t want[IPC_HDR_LEN + 23], got[sizeof(want) + 1];
	int sv[2];

	(void)state;
	put_hdr(want, 23, 0x0a0b, (uint16_t)ESD_ETOKEN);
	for (size_t i = 0; i < 23; i++)
		want[IPC_HDR_LEN + i] = (uint8_t)(0xc0 + i);
	make_pair(SOCK_STREAM, sv);
	fault_start();
	assert_int_equal(ipc_send(sv[0], 0x0a0b, ESD_ETOKEN,
				  want + IPC_HDR_LEN, 23), 0);
	fault_stop();
	/* 31 bytes in 5-byte pieces (one spanning header and payload), with
	 * an EINTR before every other piece. */
	assert_true(fault_eintr >= 3);
	assert_true(fault_calls >= 9);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(recv(sv[1], got, sizeof(got), MSG_WAITALL),
			 (ssize_t)sizeof(want));
	assert_memory_equal(got, want, sizeof(want));
	close_pair(sv);
}

static void test_ipc_recv_restarts_on_eintr_and_short_reads(void **state)
{
	uint8_t frame[IPC_HDR_LEN + 17];
	struct ipc_msg m;
	int sv[2];

	(void)state;
	put_hdr(frame, 17, 0x0102, (uint16_t)ESD_EUNAVAIL);
	for (size_t i = 0; i < 17; i++)
		frame[IPC_HDR_LEN + i] = (uint8_t)(i * 13);
	make_pair(SOCK_STREAM, sv);
	write_raw(sv[0], frame, sizeof(frame));
	/* The next frame must stay in the socket: reads never overshoot. */
	write_raw(sv[0], frame, sizeof(frame));
	fault_start();
	assert_int_equal(ipc_recv(sv[1], &m, 64), 0);
	fault_stop();
	assert_true(fault_eintr >= 3);
	assert_int_equal(m.type, 0x0102);
	assert_int_equal(m.status, ESD_EUNAVAIL);
	assert_int_equal(m.len, 17);
	assert_memory_equal(m.data, frame + IPC_HDR_LEN, 17);
	ipc_msg_clear(&m);
	assert_int_equal(ipc_recv(sv[1], &m, 64), 0);
	assert_int_equal(m.len, 17);
	assert_memory_equal(m.data, frame + IPC_HDR_LEN, 17);
	ipc_msg_clear(&m);
	close_pair(sv);
}

static void test_ipc_recv_truncated_payload_with_short_reads_is_eproto(void **state)
{
	uint8_t frame[IPC_HDR_LEN + 7];
	struct ipc_msg m;
	int sv[2];

	(void)state;
	put_hdr(frame, 10, 1, 0);
	memcpy(frame + IPC_HDR_LEN, "abcdefg", 7);
	make_pair(SOCK_STREAM, sv);
	write_raw(sv[0], frame, sizeof(frame));
	close(sv[0]);
	sv[0] = -1;
	fault_start();
	assert_int_equal(ipc_recv(sv[1], &m, 64), ESD_EPROTO);
	fault_stop();
	assert_null(m.data);
	close_pair(sv);
}

struct dribble {
	int fd;
	const uint8_t *p;
	size_t len;
	size_t chunk;     /* bytes per write */
	useconds_t pause;
	int close_after;
};

static void *dribble_main(void *arg)
{
	struct dribble *d = arg;
	size_t off = 0;

	while (off < d->len) {
		size_t n = d->len - off < d->chunk ? d->len - off : d->chunk;
		ssize_t w = write(d->fd, d->p + off, n);

		if (w <= 0)
			break;
		off += (size_t)w;
		if (d->pause)
			usleep(d->pause);
	}
	if (d->close_after)
		close(d->fd);
	return NULL;
}

static void test_ipc_recv_assembles_frame_from_one_byte_writes(void **state)
{
	uint8_t frame[IPC_HDR_LEN + 40];
	struct dribble d;
	pthread_t th;
	struct ipc_msg m;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	put_hdr(frame, 40, 0x0102, (uint16_t)ESD_EAUTH);
	for (size_t i = 0; i < 40; i++)
		frame[IPC_HDR_LEN + i] = (uint8_t)(i * 7 + 1);
	d = (struct dribble){ sv[0], frame, sizeof(frame), 1, 300, 0 };
	assert_int_equal(pthread_create(&th, NULL, dribble_main, &d), 0);
	assert_int_equal(ipc_recv(sv[1], &m, 40), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(m.type, 0x0102);
	assert_int_equal(m.status, ESD_EAUTH);
	assert_int_equal(m.len, 40);
	assert_memory_equal(m.data, frame + IPC_HDR_LEN, 40);
	ipc_msg_clear(&m);
	close_pair(sv);
}

static void test_ipc_recv_assembles_frame_from_odd_pieces(void **state)
{
	uint8_t frame[IPC_HDR_LEN + 1000];
	struct dribble d;
	pthread_t th;
	struct ipc_msg m;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	put_hdr(frame, 1000, 9, 0);
	for (size_t i = 0; i < 1000; i++)
		frame[IPC_HDR_LEN + i] = (uint8_t)(i ^ 0x5a);
	/* 3-byte pieces split the header 3+3+2 and the payload unevenly. */
	d = (struct dribble){ sv[0], frame, sizeof(frame), 3, 20, 0 };
	assert_int_equal(pthread_create(&th, NULL, dribble_main, &d), 0);
	assert_int_equal(ipc_recv(sv[1], &m, 4096), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(m.type, 9);
	assert_int_equal(m.len, 1000);
	assert_memory_equal(m.data, frame + IPC_HDR_LEN, 1000);
	ipc_msg_clear(&m);
	close_pair(sv);
}

struct sender {
	int fd;
	const uint8_t *p;
	size_t len;
	int rc;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;

	s->rc = ipc_send(s->fd, 77, 0, s->p, s->len);
	return NULL;
}

static void test_ipc_large_frame_roundtrip_through_small_socket_buffer(void **state)
{
	size_t len = 3u << 20;
	uint8_t *payload = malloc(len);
	int sndbuf = 4096;
	struct sender s;
	struct ipc_msg m;
	pthread_t th;
	int sv[2];

	(void)state;
	assert_non_null(payload);
	for (size_t i = 0; i < len; i++)
		payload[i] = (uint8_t)(i * 31 + (i >> 12));
	make_pair(SOCK_STREAM, sv);
	/* Far more than a small socket buffer: sender and receiver take
	 * turns many times. */
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf,
				    sizeof(sndbuf)), 0);
	s = (struct sender){ sv[0], payload, len, 1 };
	assert_int_equal(pthread_create(&th, NULL, sender_main, &s), 0);
	assert_int_equal(ipc_recv(sv[1], &m, IPC_MAX_PAYLOAD), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(s.rc, 0);
	assert_int_equal(m.type, 77);
	assert_int_equal(m.len, len);
	assert_memory_equal(m.data, payload, len);
	ipc_msg_clear(&m);
	close_pair(sv);
	free(payload);
}

static void test_ipc_recv_rejects_length_over_max(void **state)
{
	uint8_t frame[IPC_HDR_LEN + 100];
	struct ipc_msg m;
	int sv[2];

	(void)state;
	memset(frame, 'x', sizeof(frame));
	make_pair(SOCK_STREAM, sv);
	put_hdr(frame, 100, 1, 0);
	write_raw(sv[0], frame, sizeof(frame));
	assert_int_equal(ipc_recv(sv[1], &m, 99), ESD_EPROTO);
	assert_null(m.data);
	close_pair(sv);

	/* The same frame with max == length is accepted. */
	make_pair(SOCK_STREAM, sv);
	write_raw(sv[0], frame, sizeof(frame));
	assert_int_equal(ipc_recv(sv[1], &m, 100), 0);
	assert_int_equal(m.len, 100);
	ipc_msg_clear(&m);
	close_pair(sv);
}

static void test_ipc_recv_rejects_length_over_payload_limit(void **state)
{
	uint8_t hdr[IPC_HDR_LEN];
	struct ipc_msg m;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	put_hdr(hdr, IPC_MAX_PAYLOAD + 1, 1, 0);
	write_raw(sv[0], hdr, sizeof(hdr));
	assert_int_equal(ipc_recv(sv[1], &m, SIZE_MAX), ESD_EPROTO);
	assert_null(m.data);
	close_pair(sv);

	make_pair(SOCK_STREAM, sv);
	put_hdr(hdr, UINT32_MAX, 1, 0);
	write_raw(sv[0], hdr, sizeof(hdr));
	assert_int_equal(ipc_recv(sv[1], &m, SIZE_MAX), ESD_EPROTO);
	assert_null(m.data);
	close_pair(sv);
}

static void test_ipc_recv_truncated_payload_is_eproto(void **state)
{
	uint8_t frame[IPC_HDR_LEN + 4];
	struct ipc_msg m;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	put_hdr(frame, 10, 1, 0);
	memcpy(frame + IPC_HDR_LEN, "abcd", 4);
	write_raw(sv[0], frame, sizeof(frame));
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(ipc_recv(sv[1], &m, 64), ESD_EPROTO);
	assert_null(m.data);
	assert_int_equal(m.len, 0);
	close_pair(sv);
}

static void test_ipc_recv_header_then_eof_is_eproto(void **state)
{
	uint8_t hdr[IPC_HDR_LEN];
	struct ipc_msg m;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	put_hdr(hdr, 10, 1, 0);
	write_raw(sv[0], hdr, sizeof(hdr));
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(ipc_recv(sv[1], &m, 64), ESD_EPROTO);
	assert_null(m.data);
	close_pair(sv);
}

static void test_ipc_recv_truncated_header_is_eproto(void **state)
{
	uint8_t hdr[IPC_HDR_LEN];
	struct ipc_msg m;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	put_hdr(hdr, 0, 1, 0);
	write_raw(sv[0], hdr, 5);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(ipc_recv(sv[1], &m, 64), ESD_EPROTO);
	close_pair(sv);
}

static void test_ipc_recv_clean_eof_at_frame_boundary_is_eio(void **state)
{
	struct ipc_msg m;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(ipc_recv(sv[1], &m, 64), ESD_EIO);
	assert_null(m.data);
	close_pair(sv);

	/* After a complete frame as well. */
	make_pair(SOCK_STREAM, sv);
	assert_int_equal(ipc_send(sv[0], 5, 0, "ok", 2), 0);
	close(sv[0]);
	sv[0] = -1;
	assert_int_equal(ipc_recv(sv[1], &m, 64), 0);
	ipc_msg_clear(&m);
	assert_int_equal(ipc_recv(sv[1], &m, 64), ESD_EIO);
	close_pair(sv);
}

static void test_ipc_recv_rejects_positive_status(void **state)
{
	uint8_t hdr[IPC_HDR_LEN];
	struct ipc_msg m;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	put_hdr(hdr, 0, 1, 1);
	write_raw(sv[0], hdr, sizeof(hdr));
	assert_int_equal(ipc_recv(sv[1], &m, 64), ESD_EPROTO);
	assert_null(m.data);
	close_pair(sv);
}

static void test_ipc_recv_rejects_status_below_err_min(void **state)
{
	uint8_t hdr[IPC_HDR_LEN];
	struct ipc_msg m;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	put_hdr(hdr, 0, 1, (uint16_t)(ESD_ERR_MIN - 1));
	write_raw(sv[0], hdr, sizeof(hdr));
	assert_int_equal(ipc_recv(sv[1], &m, 64), ESD_EPROTO);
	assert_null(m.data);
	close_pair(sv);

	/* ESD_ERR_MIN itself is a valid status. */
	make_pair(SOCK_STREAM, sv);
	assert_int_equal(ipc_send(sv[0], 1, ESD_ERR_MIN, NULL, 0), 0);
	assert_int_equal(ipc_recv(sv[1], &m, 64), 0);
	assert_int_equal(m.status, ESD_ERR_MIN);
	ipc_msg_clear(&m);
	close_pair(sv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipc_hdr_decode_fields),
		cmocka_unit_test(test_ipc_hdr_decode_rejects_length_over_payload_limit),
		cmocka_unit_test(test_ipc_hdr_decode_status_range),
		cmocka_unit_test(test_ipc_roundtrip_with_payload),
		cmocka_unit_test(test_ipc_roundtrip_without_payload_and_error_status),
		cmocka_unit_test(test_ipc_send_wire_format),
		cmocka_unit_test(test_ipc_back_to_back_frames_are_not_merged),
		cmocka_unit_test(test_ipc_recv_passes_unknown_types_through),
		cmocka_unit_test(test_ipc_send_rejects_payload_over_limit),
		cmocka_unit_test(test_ipc_send_restarts_on_eintr_and_short_writes),
		cmocka_unit_test(test_ipc_recv_restarts_on_eintr_and_short_reads),
		cmocka_unit_test(test_ipc_recv_truncated_payload_with_short_reads_is_eproto),
		cmocka_unit_test(test_ipc_recv_assembles_frame_from_one_byte_writes),
		cmocka_unit_test(test_ipc_recv_assembles_frame_from_odd_pieces),
		cmocka_unit_test(test_ipc_large_frame_roundtrip_through_small_socket_buffer),
		cmocka_unit_test(test_ipc_recv_rejects_length_over_max),
		cmocka_unit_test(test_ipc_recv_rejects_length_over_payload_limit),
		cmocka_unit_test(test_ipc_recv_truncated_payload_is_eproto),
		cmocka_unit_test(test_ipc_recv_header_then_eof_is_eproto),
		cmocka_unit_test(test_ipc_recv_truncated_header_is_eproto),
		cmocka_unit_test(test_ipc_recv_clean_eof_at_frame_boundary_is_eio),
		cmocka_unit_test(test_ipc_recv_rejects_positive_status),
		cmocka_unit_test(test_ipc_recv_rejects_status_below_err_min),
	};

	/* A test that writes to a dead peer must fail, not die. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
