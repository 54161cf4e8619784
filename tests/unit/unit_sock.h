/*
 * Socket helpers shared by the IPC unit tests (static inline: each test
 * program takes what it uses). Include after <cmocka.h>.
 */
#ifndef ESD_TESTS_UNIT_SOCK_H
#define ESD_TESTS_UNIT_SOCK_H

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A socketpair whose reads give up after 2 s, so a bug cannot hang us. */
static inline void make_pair(int type, int sv[2])
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

static inline void close_pair(int sv[2])
{
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	sv[0] = sv[1] = -1;
}

/* Sets fd non-blocking and returns what one read() says: bytes read, 0 at
 * EOF, -1 (errno EAGAIN) when a writer is still open but nothing is there. */
static inline ssize_t probe_read(int fd)
{
	char c;
	ssize_t n;

	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
	n = read(fd, &c, 1);
	return n;
}

#endif
