/*
 * Unit tests for daemon/ipc.c: the ibuf encoder/decoder, the framed
 * front <-> keeper channel (ipc_send/ipc_recv over a real SOCK_STREAM
 * socketpair, including short reads and hostile headers) and the master's
 * SOCK_SEQPACKET control channel with SCM_RIGHTS.
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

/* A socketpair whose reads give up after 2 s, so a bug cannot hang us. */
static void make_pair(int type, int sv[2])
{
	struct timeval tv = { .tv_sec = 2, .tv_usec = 0 };

	assert_int_equal(socketpair(AF_UNIX, type, 0, sv), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(setsockopt(sv[i], SOL_SOCKET, SO_RCVTIMEO,
					    &tv, sizeof(tv)), 0);
		assert_int_equal(setsockopt(sv[i], SOL_SOCKET, SO_SNDTIMEO,
					    &tv, sizeof(tv)), 0);
	}
}

static void close_pair(int sv[2])
{
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	sv[0] = sv[1] = -1;
}

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

/* Sets fd non-blocking and returns what one read() says: bytes read, 0 at
 * EOF, -1 (errno EAGAIN) when a writer is still open but nothing is there. */
static ssize_t probe_read(int fd)
{
	char c;
	ssize_t n;

	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	n = read(fd, &c, 1);
	return n;
}

/* ---- ibuf ------------------------------------------------------------- */

static void test_ibuf_roundtrip_all_types(void **state)
{
	struct ibuf w, r;
	uint8_t u8a, u8b;
	uint32_t u32a, u32b;
	uint64_t u64a, u64b;
	const uint8_t *p;
	size_t n;
	char s[16];
	static const uint8_t blob[] = { 0x00, 0xff, 0x00, 0x7f, 0x80 };

	(void)state;
	ibuf_init(&w);
	ibuf_put_u8(&w, 0);
	ibuf_put_u8(&w, 0xff);
	ibuf_put_u32(&w, 0);
	ibuf_put_u32(&w, 0xdeadbeefu);
	ibuf_put_u64(&w, 0x0102030405060708ull);
	ibuf_put_u64(&w, UINT64_MAX);
	ibuf_put_bytes(&w, blob, sizeof(blob));
	ibuf_put_bytes(&w, NULL, 0);
	ibuf_put_str(&w, "hello");
	ibuf_put_str(&w, "");
	ibuf_put_str(&w, NULL);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 1 + 1 + 4 + 4 + 8 + 8 + (4 + 5) + 4 +
			 (4 + 5) + 4 + 4);

	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_u8(&r, &u8a), 0);
	assert_int_equal(ibuf_get_u8(&r, &u8b), 0);
	assert_int_equal(u8a, 0);
	assert_int_equal(u8b, 0xff);
	assert_int_equal(ibuf_get_u32(&r, &u32a), 0);
	assert_int_equal(ibuf_get_u32(&r, &u32b), 0);
	assert_int_equal(u32a, 0);
	assert_int_equal(u32b, 0xdeadbeefu);
	assert_int_equal(ibuf_get_u64(&r, &u64a), 0);
	assert_int_equal(ibuf_get_u64(&r, &u64b), 0);
	assert_true(u64a == 0x0102030405060708ull);
	assert_true(u64b == UINT64_MAX);
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), 0);
	assert_int_equal(n, sizeof(blob));
	assert_memory_equal(p, blob, sizeof(blob));
	/* Points into the buffer, no copy. */
	assert_true(p > w.data && p < w.data + w.len);
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(ibuf_done(&r), ESD_EPROTO);
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), 0);
	assert_string_equal(s, "");
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), 0);
	assert_string_equal(s, "");
	assert_int_equal(ibuf_done(&r), 0);
	ibuf_free(&r);          /* a view: must not free w's data */
	ibuf_free(&w);
	assert_null(w.data);
	assert_int_equal(w.len, 0);
	assert_int_equal(w.cap, 0);
}

static void test_ibuf_encoding_is_big_endian_with_u32_length_prefix(void **state)
{
	struct ibuf w;
	static const uint8_t want[] = {
		0xab,
		0x01, 0x02, 0x03, 0x04,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x00, 0x00, 0x00, 0x02, 'h', 'i',
	};

	(void)state;
	ibuf_init(&w);
	ibuf_put_u8(&w, 0xab);
	ibuf_put_u32(&w, 0x01020304u);
	ibuf_put_u64(&w, 0x0102030405060708ull);
	ibuf_put_str(&w, "hi");
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(w.data, want, sizeof(want));
	ibuf_free(&w);
}

static void test_ibuf_grows_past_initial_capacity(void **state)
{
	struct ibuf w, r;
	uint32_t v;

	(void)state;
	ibuf_init(&w);
	for (uint32_t i = 0; i < 10000; i++)
		ibuf_put_u32(&w, i * 2654435761u);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, 40000);
	assert_true(w.cap >= w.len);
	ibuf_view(&r, w.data, w.len);
	for (uint32_t i = 0; i < 10000; i++) {
		assert_int_equal(ibuf_get_u32(&r, &v), 0);
		assert_int_equal(v, i * 2654435761u);
	}
	assert_int_equal(ibuf_done(&r), 0);
	ibuf_free(&w);
}

static void test_ibuf_read_past_end_is_eproto_and_consumes_nothing(void **state)
{
	static const uint8_t three[] = { 1, 2, 3 };
	static const uint8_t seven[] = { 1, 2, 3, 4, 5, 6, 7 };
	struct ibuf r;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;

	(void)state;
	ibuf_view(&r, three, sizeof(three));
	assert_int_equal(ibuf_get_u32(&r, &u32), ESD_EPROTO);
	assert_int_equal(r.pos, 0);
	assert_int_equal(ibuf_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 1);
	assert_int_equal(ibuf_get_u8(&r, &u8), 0);
	assert_int_equal(ibuf_get_u8(&r, &u8), 0);
	assert_int_equal(u8, 3);
	assert_int_equal(ibuf_get_u8(&r, &u8), ESD_EPROTO);
	assert_int_equal(ibuf_done(&r), 0);

	ibuf_view(&r, seven, sizeof(seven));
	assert_int_equal(ibuf_get_u64(&r, &u64), ESD_EPROTO);
	assert_int_equal(r.pos, 0);

	ibuf_view(&r, NULL, 0);
	assert_int_equal(ibuf_get_u8(&r, &u8), ESD_EPROTO);
	assert_int_equal(ibuf_done(&r), 0);
}

static void test_ibuf_get_bytes_rejects_length_past_end(void **state)
{
	static const uint8_t short_body[] = { 0, 0, 0, 5, 'a', 'b' };
	static const uint8_t huge_len[] = { 0xff, 0xff, 0xff, 0xff, 'a' };
	static const uint8_t short_prefix[] = { 0, 0, 0 };
	struct ibuf r;
	const uint8_t *p = NULL;
	size_t n = 1234;

	(void)state;
	ibuf_view(&r, short_body, sizeof(short_body));
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), ESD_EPROTO);
	assert_null(p);
	assert_int_equal(n, 1234);
	ibuf_view(&r, huge_len, sizeof(huge_len));
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), ESD_EPROTO);
	ibuf_view(&r, short_prefix, sizeof(short_prefix));
	assert_int_equal(ibuf_get_bytes(&r, &p, &n), ESD_EPROTO);
}

static void test_ibuf_get_str_rejects_embedded_nul(void **state)
{
	struct ibuf w, r;
	char s[16] = "untouched";

	(void)state;
	ibuf_init(&w);
	ibuf_put_bytes(&w, "ab\0cd", 5);
	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), ESD_EINVAL);
	assert_string_equal(s, "untouched");
	ibuf_free(&w);
}

static void test_ibuf_get_str_rejects_string_not_fitting_cap(void **state)
{
	struct ibuf w, r;
	char s[8] = "sentinl";

	(void)state;
	ibuf_init(&w);
	ibuf_put_str(&w, "hello");
	/* 5 bytes need cap 6 (NUL); cap 5 is too small. */
	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_str(&r, s, 5), ESD_EINVAL);
	assert_string_equal(s, "sentinl");
	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_str(&r, s, 0), ESD_EINVAL);
	ibuf_view(&r, w.data, w.len);
	assert_int_equal(ibuf_get_str(&r, s, 6), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(ibuf_done(&r), 0);
	ibuf_free(&w);
}

static void test_ibuf_get_str_past_end_is_eproto(void **state)
{
	static const uint8_t trunc[] = { 0, 0, 0, 4, 'a', 'b' };
	struct ibuf r;
	char s[16];

	(void)state;
	ibuf_view(&r, trunc, sizeof(trunc));
	assert_int_equal(ibuf_get_str(&r, s, sizeof(s)), ESD_EPROTO);
}

static void test_ibuf_done_requires_whole_buffer_read(void **state)
{
	static const uint8_t two[] = { 1, 2 };
	struct ibuf r;
	uint8_t v;

	(void)state;
	ibuf_view(&r, two, sizeof(two));
	assert_int_equal(ibuf_done(&r), ESD_EPROTO);
	assert_int_equal(ibuf_get_u8(&r, &v), 0);
	assert_int_equal(ibuf_done(&r), ESD_EPROTO);
	assert_int_equal(ibuf_get_u8(&r, &v), 0);
	assert_int_equal(ibuf_done(&r), 0);
}

static void test_ibuf_writer_error_is_sticky_at_payload_limit(void **state)
{
	struct ibuf w;
	uint8_t dummy = 0;
	size_t len;

	(void)state;
	ibuf_init(&w);
	/* The length is checked before the pointer is touched. */
	ibuf_put_bytes(&w, &dummy, (size_t)IPC_MAX_PAYLOAD + 1);
	assert_int_equal(w.err, ESD_ETOOBIG);
	len = w.len;
	ibuf_put_u8(&w, 1);
	ibuf_put_u32(&w, 1);
	assert_int_equal(w.len, len);
	assert_int_equal(w.err, ESD_ETOOBIG);
	ibuf_free(&w);

	/* Exactly IPC_MAX_PAYLOAD bytes fit; one more does not. */
	ibuf_init(&w);
	for (size_t i = 0; i < IPC_MAX_PAYLOAD / 8; i++)
		ibuf_put_u64(&w, i);
	assert_int_equal(w.err, 0);
	assert_int_equal(w.len, IPC_MAX_PAYLOAD);
	ibuf_put_u8(&w, 0);
	assert_int_equal(w.err, ESD_ETOOBIG);
	assert_int_equal(w.len, IPC_MAX_PAYLOAD);
	ibuf_free(&w);
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
		cmocka_unit_test(test_ibuf_roundtrip_all_types),
		cmocka_unit_test(test_ibuf_encoding_is_big_endian_with_u32_length_prefix),
		cmocka_unit_test(test_ibuf_grows_past_initial_capacity),
		cmocka_unit_test(test_ibuf_read_past_end_is_eproto_and_consumes_nothing),
		cmocka_unit_test(test_ibuf_get_bytes_rejects_length_past_end),
		cmocka_unit_test(test_ibuf_get_str_rejects_embedded_nul),
		cmocka_unit_test(test_ibuf_get_str_rejects_string_not_fitting_cap),
		cmocka_unit_test(test_ibuf_get_str_past_end_is_eproto),
		cmocka_unit_test(test_ibuf_done_requires_whole_buffer_read),
		cmocka_unit_test(test_ibuf_writer_error_is_sticky_at_payload_limit),
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
		cmocka_unit_test(test_ipc_ctl_roundtrip_type_payload_and_two_fds),
		cmocka_unit_test(test_ipc_ctl_roundtrip_type_only),
		cmocka_unit_test(test_ipc_ctl_recv_oversized_message_is_eproto_and_closes_fds),
		cmocka_unit_test(test_ipc_ctl_recv_payload_with_zero_cap_is_eproto),
		cmocka_unit_test(test_ipc_ctl_recv_closes_fds_beyond_max),
		cmocka_unit_test(test_ipc_ctl_recv_short_message_is_eproto),
		cmocka_unit_test(test_ipc_ctl_recv_peer_gone_is_eio),
		cmocka_unit_test(test_ipc_ctl_send_limits),
	};

	/* A test that writes to a dead peer must fail, not die. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
