#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "common/err.h"
#include "common/log.h"
#include "daemon/child.h"
#include "daemon/ipc.h"
#include "daemon/proto.h"

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void child_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
}

static void json_free_wiped(void *p)
{
	if (p != NULL)
		OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

void child_json_wipe_on_free(void)
{
	json_set_alloc_funcs(malloc, json_free_wiped);
}

int child_ready(int ctl)
{
	return ipc_ctl_send(ctl, CTL_READY, NULL, 0, NULL, 0);
}

void child_serve(int ctl, const struct child_hooks *h)
{
	struct esd_config *cfg = malloc(sizeof(*cfg));

	while (!stop_requested && cfg != NULL) {
		struct pollfd p = { ctl, POLLIN, 0 };
		int fds[64];
		size_t n, len;
		uint16_t type;
		int rc;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		rc = ipc_ctl_recv(ctl, &type, cfg, sizeof(*cfg), &len, fds, 64, &n);
		if (rc == ESD_EIO) {
			log_info("master gone, exiting");
			break;
		}
		if (rc == 0 && type == CTL_CHANNELS && n > 0) {
			h->channels(h->arg, fds, n);
			continue;
		}
		if (rc == 0 && type == CTL_CHANNEL_ADD && n == 1 &&
		    h->channel_add != NULL) {
			h->channel_add(h->arg, fds[0]);
			continue;
		}
		if (rc == 0 && type == CTL_CONFIG && len == sizeof(*cfg)) {
			cfg->path[sizeof(cfg->path) - 1] = '\0';
			h->config(h->arg, cfg);
		}
		for (size_t i = 0; i < n; i++)
			close(fds[i]);
	}
	free(cfg);
}
