/*
 * IPC between the front and the keeper (and the master's control
 * channel): length-prefixed, type-tagged frames over a socketpair.
 *
 *   u32 length (big endian, payload bytes, <= IPC_MAX_PAYLOAD)
 *   u16 type
 *   i16 status (0 in requests; 0 or a negative ESD_E* in replies)
 *   payload
 *
 * Payloads are built and read with struct ibuf: u8/u32/u64 big endian and
 * byte strings as u32 length + bytes. Every read is bounds-checked; a
 * reader that runs past the end gets ESD_EPROTO.
 */
#ifndef ESD_DAEMON_IPC_H
#define ESD_DAEMON_IPC_H

#include <stddef.h>
#include <stdint.h>

#define IPC_HDR_LEN 8
#define IPC_MAX_PAYLOAD (4u << 20)

struct ibuf {
	uint8_t *data;
	size_t len;   /* bytes written */
	size_t cap;
	size_t pos;   /* read cursor */
	int err;      /* sticky: first error of a writer */
};

/* Growable writer; ibuf_free wipes and frees. */
void ibuf_init(struct ibuf *b);
void ibuf_free(struct ibuf *b);
/* A read-only view of existing bytes (not freed by ibuf_free). */
void ibuf_view(struct ibuf *b, const void *data, size_t len);

void ibuf_put_u8(struct ibuf *b, uint8_t v);
void ibuf_put_u32(struct ibuf *b, uint32_t v);
void ibuf_put_u64(struct ibuf *b, uint64_t v);
void ibuf_put_bytes(struct ibuf *b, const void *p, size_t len);
void ibuf_put_str(struct ibuf *b, const char *s);

int ibuf_get_u8(struct ibuf *b, uint8_t *v);
int ibuf_get_u32(struct ibuf *b, uint32_t *v);
int ibuf_get_u64(struct ibuf *b, uint64_t *v);
/* Points *p into the buffer (no copy); valid while the buffer lives. */
int ibuf_get_bytes(struct ibuf *b, const uint8_t **p, size_t *len);
/* Copies a string of at most cap-1 bytes with no NUL inside into out. */
int ibuf_get_str(struct ibuf *b, char *out, size_t cap);
/* ESD_EPROTO unless the whole buffer has been read. */
int ibuf_done(const struct ibuf *b);

struct ipc_msg {
	uint16_t type;
	int16_t status;
	uint8_t *data;   /* owned; freed by ipc_msg_clear (wiped first) */
	size_t len;
};

void ipc_msg_clear(struct ipc_msg *m);

/*
 * Sends one frame, restarting on EINTR and short writes. Returns 0,
 * ESD_ETOOBIG for a payload over the limit, or ESD_EIO.
 */
int ipc_send(int fd, uint16_t type, int16_t status, const void *payload,
	     size_t len);

/*
 * Receives one frame into m (m->data is allocated). Returns 0, ESD_EIO on
 * EOF (clean close at a frame boundary included) or error, ESD_EPROTO on
 * a truncated frame or a length over max (the channel is then unusable).
 */
int ipc_recv(int fd, struct ipc_msg *m, size_t max);

/*
 * The same, with one descriptor passed along (SCM_RIGHTS) on the frame:
 * the front hands the keeper a Unix-socket client's connection, so that
 * the keeper reads SO_PEERCRED itself. ipc_send_fd sends pass_fd (< 0:
 * none); ipc_recv_fd puts it in *pass_fd (-1: none; the caller closes
 * it), and a frame with more than one is ESD_EPROTO.
 */
int ipc_send_fd(int fd, uint16_t type, int16_t status, const void *payload,
		size_t len, int pass_fd);
int ipc_recv_fd(int fd, struct ipc_msg *m, size_t max, int *pass_fd);

/* Decodes a header; used by ipc_recv and by the unit tests. */
int ipc_hdr_decode(const uint8_t hdr[IPC_HDR_LEN], size_t max, uint32_t *len,
		   uint16_t *type, int16_t *status);

/*
 * The master's control channel (SOCK_SEQPACKET): one message is a u16
 * type, an optional payload of at most IPC_CTL_MAX bytes and 0..64 file
 * descriptors (SCM_RIGHTS).
 */
#define IPC_CTL_MAX (64u << 10)
int ipc_ctl_send(int sock, uint16_t type, const void *data, size_t len,
		 const int *fds, size_t n);
/* Receives one message: payload into data (cap bytes; *len gets its
 * length) and up to max fds (*n gets the count; extra ones are closed).
 * ESD_EIO when the peer is gone, ESD_EPROTO for a malformed message. */
int ipc_ctl_recv(int sock, uint16_t *type, void *data, size_t cap,
		 size_t *len, int *fds, size_t max, size_t *n);

#endif
