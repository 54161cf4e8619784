/*
 * Unit tests for api/keeper_client.c, the front's pool of keeper
 * channels, over real socketpairs with a thread playing the keeper.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/keeper_client.h"
#include "common/err.h"
#include "daemon/ipc.h"
#include "tests/unit/unit_sock.h"

enum { ADDED = 64 };

struct keeper {
	int fd;                 /* the keeper's end of the one channel */
	int added[ADDED];       /* the keeper's ends of the added channels */
};

/* Reads one request; while the caller waits for the answer, the master
 * hands the front replacement channels (kc_add_channel grows the set's
 * arrays, moving them); then answers "ok". */
static void *keeper_adding(void *arg)
{
	struct keeper *k = arg;
	struct ipc_msg m = { 0 };
	int sv[2];

	if (ipc_recv(k->fd, &m, IPC_MAX_PAYLOAD) != 0)
		return NULL;
	for (int i = 0; i < ADDED; i++) {
		make_pair(SOCK_STREAM, sv);
		k->added[i] = sv[1];
		if (kc_add_channel(sv[0]) != 0)
			return NULL;
	}
	ipc_send(k->fd, m.type, 0, "ok", 2);
	ipc_msg_clear(&m);
	return NULL;
}

static void *keeper_once(void *arg)
{
	int fd = *(int *)arg;
	struct ipc_msg m = { 0 };

	if (ipc_recv(fd, &m, IPC_MAX_PAYLOAD) == 0)
		ipc_send(fd, m.type, 0, "ok", 2);
	ipc_msg_clear(&m);
	return NULL;
}

/* A call in flight keeps its channel while channels are added (the
 * set's arrays grow and move): the reply is read from the channel the
 * request went out on, and the added channels serve afterwards. */
static void test_call_in_flight_survives_added_channels(void **state)
{
	struct keeper k = { .fd = -1 };
	struct ipc_msg rep = { 0 };
	struct ibuf b;
	pthread_t th;
	int sv[2];

	(void)state;
	make_pair(SOCK_STREAM, sv);
	k.fd = sv[1];
	assert_int_equal(kc_set_channels(&sv[0], 1), 0);
	assert_int_equal(pthread_create(&th, NULL, keeper_adding, &k), 0);
	ibuf_init(&b);
	ibuf_put_str(&b, "request");
	assert_int_equal(kc_call(7, &b, &rep, 2000), 0);
	assert_int_equal(rep.type, 7);
	assert_int_equal(rep.len, 2);
	assert_memory_equal(rep.data, "ok", 2);
	ipc_msg_clear(&rep);
	pthread_join(th, NULL);

	/* The added channels are in the set and usable: with the first
	 * channel's keeper gone, a call fails on it and marks it broken,
	 * and the next call goes out on the first added channel. */
	close(k.fd);
	assert_int_equal(kc_call(8, &b, &rep, 2000), ESD_EUNAVAIL);
	assert_int_equal(pthread_create(&th, NULL, keeper_once, &k.added[0]), 0);
	assert_int_equal(kc_call(9, &b, &rep, 2000), 0);
	assert_int_equal(rep.type, 9);
	assert_memory_equal(rep.data, "ok", 2);
	ipc_msg_clear(&rep);
	pthread_join(th, NULL);
	ibuf_free(&b);
	for (int i = 0; i < ADDED; i++)
		close(k.added[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_call_in_flight_survives_added_channels),
	};

	signal(SIGPIPE, SIG_IGN);  /* as in esignd: a gone peer is an error */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
