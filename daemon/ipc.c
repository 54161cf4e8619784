#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "common/err.h"
#include "daemon/ipc.h"

void ibuf_init(struct ibuf *b)
{
	memset(b, 0, sizeof(*b));
}

void ibuf_free(struct ibuf *b)
{
	if (b->cap > 0) {
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	memset(b, 0, sizeof(*b));
}

void ibuf_view(struct ibuf *b, const void *data, size_t len)
{
	memset(b, 0, sizeof(*b));
	b->data = (uint8_t *)data;
	b->len = len;
}

static uint8_t *reserve(struct ibuf *b, size_t n)
{
	if (b->err != 0)
		return NULL;
	if (n > IPC_MAX_PAYLOAD || b->len + n > IPC_MAX_PAYLOAD) {
		b->err = ESD_ETOOBIG;
		return NULL;
	}
	if (b->len + n > b->cap) {
		size_t ncap = b->cap ? b->cap : 256;
		uint8_t *nd;

		while (ncap < b->len + n)
			ncap *= 2;
		nd = malloc(ncap);
		if (nd == NULL) {
			b->err = ESD_ENOMEM;
			return NULL;
		}
		if (b->cap > 0) {
			memcpy(nd, b->data, b->len);
			OPENSSL_cleanse(b->data, b->cap);
			free(b->data);
		}
		b->data = nd;
		b->cap = ncap;
	}
	b->len += n;
	return b->data + b->len - n;
}

static void be_put(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t be_get(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void ibuf_put_u8(struct ibuf *b, uint8_t v)
{
	uint8_t *p = reserve(b, 1);

	if (p)
		*p = v;
}

void ibuf_put_u32(struct ibuf *b, uint32_t v)
{
	uint8_t *p = reserve(b, 4);

	if (p)
		be_put(p, v, 4);
}

void ibuf_put_u64(struct ibuf *b, uint64_t v)
{
	uint8_t *p = reserve(b, 8);

	if (p)
		be_put(p, v, 8);
}

void ibuf_put_bytes(struct ibuf *b, const void *data, size_t len)
{
	uint8_t *p;

	if (len > IPC_MAX_PAYLOAD) {
		if (b->err == 0)
			b->err = ESD_ETOOBIG;
		return;
	}
	ibuf_put_u32(b, (uint32_t)len);
	p = reserve(b, len);
	if (p && len)
		memcpy(p, data, len);
}

void ibuf_put_str(struct ibuf *b, const char *s)
{
	ibuf_put_bytes(b, s, s ? strlen(s) : 0);
}

static const uint8_t *take(struct ibuf *b, size_t n)
{
	if (b->pos > b->len || n > b->len - b->pos)
		return NULL;
	b->pos += n;
	return b->data + b->pos - n;
}

int ibuf_get_u8(struct ibuf *b, uint8_t *v)
{
	const uint8_t *p = take(b, 1);

	if (p == NULL)
		return ESD_EPROTO;
	*v = *p;
	return 0;
}

int ibuf_get_u32(struct ibuf *b, uint32_t *v)
{
	const uint8_t *p = take(b, 4);

	if (p == NULL)
		return ESD_EPROTO;
	*v = (uint32_t)be_get(p, 4);
	return 0;
}

int ibuf_get_u64(struct ibuf *b, uint64_t *v)
{
	const uint8_t *p = take(b, 8);

	if (p == NULL)
		return ESD_EPROTO;
	*v = be_get(p, 8);
	return 0;
}

int ibuf_get_bytes(struct ibuf *b, const uint8_t **out, size_t *len)
{
	uint32_t n;
	const uint8_t *p;

	if (ibuf_get_u32(b, &n) != 0)
		return ESD_EPROTO;
	p = take(b, n);
	if (p == NULL)
		return ESD_EPROTO;
	*out = p;
	*len = n;
	return 0;
}

int ibuf_get_str(struct ibuf *b, char *out, size_t cap)
{
	const uint8_t *p;
	size_t n;

	if (ibuf_get_bytes(b, &p, &n) != 0)
		return ESD_EPROTO;
	if (n >= cap || memchr(p, '\0', n) != NULL)
		return ESD_EINVAL;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int ibuf_done(const struct ibuf *b)
{
	return b->pos == b->len ? 0 : ESD_EPROTO;
}

void ipc_msg_clear(struct ipc_msg *m)
{
	if (m->data != NULL) {
		OPENSSL_cleanse(m->data, m->len);
		free(m->data);
	}
	memset(m, 0, sizeof(*m));
}

static int write_all(int fd, const struct iovec *iov_in, int cnt)
{
	struct iovec iov[2];
	int i = 0;

	memcpy(iov, iov_in, sizeof(struct iovec) * (size_t)cnt);
	while (i < cnt) {
		ssize_t n = writev(fd, iov + i, cnt - i);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ESD_EIO;
		while (i < cnt && (size_t)n >= iov[i].iov_len) {
			n -= (ssize_t)iov[i].iov_len;
			i++;
		}
		if (i < cnt) {
			iov[i].iov_base = (char *)iov[i].iov_base + n;
			iov[i].iov_len -= (size_t)n;
		}
	}
	return 0;
}

int ipc_send(int fd, uint16_t type, int16_t status, const void *payload,
	     size_t len)
{
	return ipc_send_fd(fd, type, status, payload, len, -1);
}

int ipc_send_fd(int fd, uint16_t type, int16_t status, const void *payload,
		size_t len, int pass_fd)
{
	uint8_t hdr[IPC_HDR_LEN];
	struct iovec iov[2];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg;
	struct cmsghdr *c;
	ssize_t n;

	if (len > IPC_MAX_PAYLOAD)
		return ESD_ETOOBIG;
	be_put(hdr, len, 4);
	be_put(hdr + 4, type, 2);
	be_put(hdr + 6, (uint16_t)status, 2);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = len;
	if (pass_fd < 0)
		return write_all(fd, iov, len ? 2 : 1);
	/* The descriptor rides on the header's first byte; the rest of the
	 * frame follows as usual. */
	memset(&u, 0, sizeof(u));
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = iov;
	msg.msg_iovlen = 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ESD_EIO;
	iov[0].iov_base = hdr + n;
	iov[0].iov_len = sizeof(hdr) - (size_t)n;
	if (iov[0].iov_len == 0)
		return len ? write_all(fd, iov + 1, 1) : 0;
	return write_all(fd, iov, len ? 2 : 1);
}

/* Reads exactly len bytes. 1 = EOF before the first byte, 0 = ok. With
 * fdp, descriptors passed along (SCM_RIGHTS) are taken: the first into
 * *fdp, and any more make the frame ESD_EPROTO (closed). */
static int read_full_fd(int fd, uint8_t *p, size_t len, int *fdp)
{
	size_t got = 0;
	int rc = 0;

	while (got < len) {
		ssize_t n;

		if (fdp == NULL) {
			n = read(fd, p + got, len - got);
		} else {
			union {
				struct cmsghdr h;
				char buf[CMSG_SPACE(sizeof(int) * 4)];
			} u;
			struct iovec iov = { p + got, len - got };
			struct msghdr msg;
			struct cmsghdr *c;

			memset(&msg, 0, sizeof(msg));
			msg.msg_iov = &iov;
			msg.msg_iovlen = 1;
			msg.msg_control = u.buf;
			msg.msg_controllen = sizeof(u.buf);
			n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
			if (n >= 0 && (msg.msg_flags & MSG_CTRUNC))
				rc = ESD_EPROTO;
			for (c = n >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; c != NULL;
			     c = CMSG_NXTHDR(&msg, c)) {
				size_t cnt;

				if (c->cmsg_level != SOL_SOCKET ||
				    c->cmsg_type != SCM_RIGHTS)
					continue;
				cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				for (size_t i = 0; i < cnt; i++) {
					int pfd;

					memcpy(&pfd, CMSG_DATA(c) + i * sizeof(int),
					       sizeof(int));
					if (*fdp < 0 && rc == 0) {
						*fdp = pfd;
					} else {
						close(pfd);
						rc = ESD_EPROTO;
					}
				}
			}
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return ESD_EIO;
		if (n == 0)
			return got == 0 && rc == 0 ? 1 : ESD_EPROTO;
		got += (size_t)n;
	}
	return rc;
}

static int read_full(int fd, uint8_t *p, size_t len)
{
	return read_full_fd(fd, p, len, NULL);
}

int ipc_hdr_decode(const uint8_t hdr[IPC_HDR_LEN], size_t max, uint32_t *len,
		   uint16_t *type, int16_t *status)
{
	uint32_t l = (uint32_t)be_get(hdr, 4);
	uint16_t st = (uint16_t)be_get(hdr + 6, 2);

	if (l > max || l > IPC_MAX_PAYLOAD)
		return ESD_EPROTO;
	*len = l;
	*type = (uint16_t)be_get(hdr + 4, 2);
	*status = (int16_t)st;
	if (*status > 0 || *status < ESD_ERR_MIN)
		return ESD_EPROTO;
	return 0;
}

int ipc_recv(int fd, struct ipc_msg *m, size_t max)
{
	return ipc_recv_fd(fd, m, max, NULL);
}

int ipc_recv_fd(int fd, struct ipc_msg *m, size_t max, int *pass_fd)
{
	uint8_t hdr[IPC_HDR_LEN];
	uint32_t len;
	int rc;

	memset(m, 0, sizeof(*m));
	if (pass_fd != NULL)
		*pass_fd = -1;
	rc = read_full_fd(fd, hdr, sizeof(hdr), pass_fd);
	if (rc == 0)
		rc = ipc_hdr_decode(hdr, max, &len, &m->type, &m->status);
	if (rc == 0) {
		m->data = malloc(len ? len : 1);
		if (m->data == NULL)
			rc = ESD_ENOMEM;
	}
	if (rc == 0) {
		m->len = len;
		rc = read_full(fd, m->data, len);
		if (rc == 1)
			rc = ESD_EPROTO;
	}
	if (rc != 0) {
		ipc_msg_clear(m);
		if (pass_fd != NULL && *pass_fd >= 0) {
			close(*pass_fd);
			*pass_fd = -1;
		}
		return rc == 1 ? ESD_EIO : rc;
	}
	return 0;
}

int ipc_ctl_send(int sock, uint16_t type, const void *data, size_t len,
		 const int *fds, size_t n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 64)];
	} u;
	uint8_t t[2];
	struct iovec iov[2] = { { t, sizeof(t) }, { (void *)data, len } };
	struct msghdr msg = { 0 };
	struct cmsghdr *c;

	if (n > 64 || len > IPC_CTL_MAX)
		return ESD_EINVAL;
	be_put(t, type, 2);
	memset(&u, 0, sizeof(u));
	msg.msg_iov = iov;
	msg.msg_iovlen = len ? 2 : 1;
	if (n > 0) {
		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return ESD_EIO;
	return 0;
}

int ipc_ctl_recv(int sock, uint16_t *type, void *data, size_t cap,
		 size_t *len, int *fds, size_t max, size_t *n)
{
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int) * 64)];
	} u;
	uint8_t t[2];
	struct iovec iov[2] = { { t, sizeof(t) }, { data, cap } };
	struct msghdr msg = { 0 };
	struct cmsghdr *c;
	ssize_t r;
	int rc = 0;

	msg.msg_iov = iov;
	msg.msg_iovlen = cap ? 2 : 1;
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	do
		r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return ESD_EIO;
	if (r < (ssize_t)sizeof(t) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		rc = ESD_EPROTO;
	*type = r >= (ssize_t)sizeof(t) ? (uint16_t)be_get(t, 2) : 0;
	if (len != NULL)
		*len = r > 2 ? (size_t)r - 2 : 0;
	*n = 0;
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
		size_t cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < cnt; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*n < max && rc == 0)
				fds[(*n)++] = fd;
			else
				close(fd);
		}
	}
	return rc;
}
