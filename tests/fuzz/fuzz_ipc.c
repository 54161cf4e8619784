/*
 * libFuzzer target: IPC framing (daemon/ipc.h).
 *
 * The first 8 bytes go through ipc_hdr_decode; the rest is read with an
 * ibuf view, each read chosen by the next input byte; then the whole input
 * is fed through a socketpair to ipc_recv until it fails.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "daemon/ipc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input is written in one go only if it fits; see LLVMFuzzerTestOneInput. */
#define SOCK_FEED_MAX (64u << 10)

static void read_ibuf(const uint8_t *data, size_t size)
{
	struct ibuf b;
	const uint8_t *p;
	char str[64];
	uint64_t u64;
	uint32_t u32;
	uint8_t op, u8;
	size_t len;
	int rc = 0;

	ibuf_view(&b, data, size);
	/* Every op byte itself comes from the buffer: the reader is its
	 * own script, so the order of reads is input-chosen. */
	while (rc == 0 && ibuf_get_u8(&b, &op) == 0) {
		switch (op % 6) {
		case 0:
			rc = ibuf_get_u8(&b, &u8);
			break;
		case 1:
			rc = ibuf_get_u32(&b, &u32);
			break;
		case 2:
			rc = ibuf_get_u64(&b, &u64);
			break;
		case 3:
			rc = ibuf_get_bytes(&b, &p, &len);
			if (rc == 0 && len > 0 &&
			    (p < data || p + len > data + size))
				abort();
			break;
		case 4:
			rc = ibuf_get_str(&b, str, sizeof(str));
			if (rc == 0 && strlen(str) >= sizeof(str))
				abort();
			if (rc == ESD_EINVAL) /* consumed; keep reading */
				rc = 0;
			break;
		default:
			/* A short destination exercises the cap check. */
			rc = ibuf_get_str(&b, str, 1 + (op >> 4));
			break;
		}
	}
	(void)ibuf_done(&b);
	ibuf_free(&b);
}

static void read_socket(const uint8_t *data, size_t size)
{
	struct ipc_msg m;
	int sv[2];
	size_t off = 0;

	if (size > SOCK_FEED_MAX)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return;
	{
		int sz = (int)SOCK_FEED_MAX * 2;

		(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		(void)setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
	while (off < size) {
		ssize_t n = send(sv[0], data + off, size - off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			break; /* buffer full: read what got through */
		off += (size_t)n;
	}
	close(sv[0]);
	for (;;) {
		if (ipc_recv(sv[1], &m, IPC_MAX_PAYLOAD) != 0)
			break;
		ipc_msg_clear(&m);
	}
	close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t len;
	uint16_t type;
	int16_t status;

	if (size >= IPC_HDR_LEN) {
		(void)ipc_hdr_decode(data, IPC_MAX_PAYLOAD, &len, &type,
				     &status);
		(void)ipc_hdr_decode(data, 16, &len, &type, &status);
		read_ibuf(data + IPC_HDR_LEN, size - IPC_HDR_LEN);
	}
	read_socket(data, size);
	return 0;
}
