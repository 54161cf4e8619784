#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/keeper_client.h"
#include "common/err.h"
#include "common/log.h"
#include "common/util.h"

struct chanset {
	int *fds;
	unsigned char *busy;
	size_t n;
	unsigned borrowed;
	int retired;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int ctl_fd = -1;
static unsigned max_wait_ms = 30000;

void kc_set_timeout(unsigned ms)
{
	max_wait_ms = ms;
}
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct chanset *cur;
static unsigned waiting;

static void set_free(struct chanset *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->fds[i] >= 0)
			close(s->fds[i]);
	free(s->fds);
	free(s->busy);
	free(s);
}

int kc_set_channels(const int *fds, size_t n)
{
	struct chanset *s = calloc(1, sizeof(*s)), *old;

	if (s == NULL)
		return ESD_ENOMEM;
	s->fds = malloc(n * sizeof(int));
	s->busy = calloc(n, 1);
	if (s->fds == NULL || s->busy == NULL) {
		free(s->fds);
		free(s->busy);
		free(s);
		return ESD_ENOMEM;
	}
	memcpy(s->fds, fds, n * sizeof(int));
	s->n = n;
	pthread_mutex_lock(&mu);
	old = cur;
	cur = s;
	if (old != NULL) {
		old->retired = 1;
		if (old->borrowed == 0)
			set_free(old);
	}
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	return 0;
}

void kc_set_ctl(int ctl)
{
	ctl_fd = ctl;
}

int kc_add_channel(int fd)
{
	int *nf;
	unsigned char *nb;
	int rc = ESD_ENOMEM;

	pthread_mutex_lock(&mu);
	if (cur == NULL)
		goto out;
	nf = realloc(cur->fds, (cur->n + 1) * sizeof(int));
	if (nf == NULL)
		goto out;
	cur->fds = nf;
	nb = realloc(cur->busy, cur->n + 1);
	if (nb == NULL)
		goto out;
	cur->busy = nb;
	cur->fds[cur->n] = fd;
	cur->busy[cur->n] = 0;
	cur->n++;
	pthread_cond_signal(&cv);
	rc = 0;
out:
	pthread_mutex_unlock(&mu);
	return rc;
}

/* The Unix-socket connection the next kc_call of this thread hands the
 * keeper (a request is served by one thread from kc_begin to kc_call). */
static __thread int peer_fd = -1;

void kc_begin(struct ibuf *b, const struct cred *c)
{
	ibuf_init(b);
	ibuf_put_u8(b, (uint8_t)c->kind);
	if (c->kind == CRED_BEARER || c->kind == CRED_BASIC)
		ibuf_put_bytes(b, c->token_hash, 32);
	if (c->kind == CRED_BASIC)
		ibuf_put_str(b, c->user);
	peer_fd = c->kind == CRED_PEER ? c->peer_fd : -1;
}

/* Takes a free channel of the current set: the set, its index and its
 * descriptor. The descriptor is read here, under the lock, because
 * kc_add_channel may move the set's arrays (realloc) while the channel
 * is in use; the descriptor itself stays open until give_back. */
static int borrow(unsigned timeout_ms, struct chanset **sp, size_t *ip,
		  int *fdp)
{
	struct timespec dl;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&mu);
	waiting++;
	for (;;) {
		if (cur != NULL)
			for (size_t i = 0; i < cur->n; i++)
				if (!cur->busy[i] && cur->fds[i] >= 0) {
					cur->busy[i] = 1;
					cur->borrowed++;
					*sp = cur;
					*ip = i;
					*fdp = cur->fds[i];
					goto out;
				}
		if (pthread_cond_timedwait(&cv, &mu, &dl) == ETIMEDOUT) {
			rc = ESD_EUNAVAIL;
			goto out;
		}
	}
out:
	waiting--;
	pthread_mutex_unlock(&mu);
	return rc;
}

/* Returns a channel; broken marks it unusable (closed at once). */
static void give_back(struct chanset *s, size_t i, int broken)
{
	pthread_mutex_lock(&mu);
	s->busy[i] = 0;
	s->borrowed--;
	if (broken && s->fds[i] >= 0) {
		close(s->fds[i]);
		s->fds[i] = -1;
		/* Ask the master for a replacement (the keeper may still be
		 * fine: only this channel's reply is lost). */
		if (!s->retired && ctl_fd >= 0)
			ipc_ctl_send(ctl_fd, CTL_CHANNEL_LOST, NULL, 0, NULL, 0);
	}
	if (s->retired && s->borrowed == 0)
		set_free(s);
	else
		pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

int kc_call(uint16_t type, const struct ibuf *payload, struct ipc_msg *rep,
	    unsigned timeout_ms)
{
	struct chanset *s;
	struct pollfd p;
	size_t i;
	int rc, fd, pass;

	memset(rep, 0, sizeof(*rep));
	if (payload->err != 0)
		return payload->err;
	if (timeout_ms == 0 || timeout_ms > max_wait_ms)
		timeout_ms = max_wait_ms;
	pass = peer_fd;
	peer_fd = -1;
	rc = borrow(timeout_ms, &s, &i, &fd);
	if (rc != 0)
		return rc;
	rc = ipc_send_fd(fd, type, 0, payload->data, payload->len, pass);
	if (rc == 0) {
		uint64_t deadline = esd_mono_ns() + (uint64_t)timeout_ms * 1000000ull;
		int n;

		p.fd = fd;
		p.events = POLLIN;
		do {
			uint64_t now = esd_mono_ns();

			p.revents = 0;
			n = now >= deadline ? 0
					    : poll(&p, 1, (int)((deadline - now) / 1000000ull) + 1);
		} while (n < 0 && errno == EINTR);
		if (n != 1)
			rc = ESD_EUNAVAIL;
		else
			rc = ipc_recv(fd, rep, IPC_MAX_PAYLOAD);
	}
	if (rc == 0 && rep->type != type) {
		ipc_msg_clear(rep);
		rc = ESD_EPROTO;
	}
	give_back(s, i, rc != 0);
	if (rc != 0) {
		log_warn("front: keeper call failed: %s", esd_err_name(rc));
		return ESD_EUNAVAIL;
	}
	return 0;
}

void kc_depth(unsigned *w, unsigned *busy)
{
	pthread_mutex_lock(&mu);
	*w = waiting;
	*busy = cur ? cur->borrowed : 0;
	pthread_mutex_unlock(&mu);
}
