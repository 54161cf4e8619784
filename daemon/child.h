/*
 * What the keeper and the front share as children of the master: signal
 * handling and the control channel loop (new channels after a sibling's
 * restart, a new configuration after SIGHUP).
 */
#ifndef ESD_DAEMON_CHILD_H
#define ESD_DAEMON_CHILD_H

#include <stddef.h>
#include "daemon/config.h"

struct child_hooks {
	/* Takes ownership of the fds. */
	void (*channels)(void *arg, const int *fds, size_t n);
	/* One more channel, added to the current set (the front only). */
	void (*channel_add)(void *arg, int fd);
	/* The master's validated new configuration. */
	void (*config)(void *arg, const struct esd_config *cfg);
	void *arg;
};

/* SIGTERM/SIGINT end child_serve; SIGHUP is the master's business and
 * SIGPIPE is ignored. */
void child_signals(void);

/* Every block jansson frees is wiped first (OPENSSL_cleanse over its
 * usable size): JSON values in the keeper and the front may carry
 * passphrases, codes and tokens, on every path that frees them. Call
 * before the first JSON value is made. */
void child_json_wipe_on_free(void);

/* Tells the master this child serves. */
int child_ready(int ctl);

/* Serves ctl until SIGTERM/SIGINT or until the master is gone. */
void child_serve(int ctl, const struct child_hooks *h);

#endif
