
#include <openssl/rand.h>

#include <malloc.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/front.h"
#include "api/keeper_client.h"
#include "api/public.h"
#include "api/spool.h"
#include "common/err.h"
#include "common/log.h"
#include "daemon/child.h"
#include "daemon/proto.h"
#include "daemon/sandbox.h"

static void on_channels(void *arg, const int *fds, size_t n)
{
	(void)arg;
	if (kc_set_channels(fds, n) == 0)
		log_info("front: %zu new keeper channels", n);
}

static void on_channel_add(void *arg, int fd)
{
	(void)arg;
	if (kc_add_channel(fd) != 0)
		close(fd);
}

static void on_config(void *arg, const struct esd_config *nc)
{
	api_set_max_body(arg, nc->max_body);
	api_set_rate(arg, nc->rate_limit, nc->rate_burst);
	log_set_level(nc->log_level);
	log_info("front: configuration reloaded");
}

int front_main(const struct esd_config *cfg, int ctl, const int *chans,
	       size_t nchans, int https_fd, int unix_fd, int public_fd)
{
	struct api_server *srv = NULL;
	struct public_server *pub = NULL;
	struct child_hooks hooks = { on_channels, on_channel_add, on_config, NULL };
	unsigned char seed;

	log_init("front", cfg->log_level);
	log_set_format(strcmp(cfg->log_format, "json") == 0);
	child_json_wipe_on_free();
	child_signals();
	if (kc_set_channels(chans, nchans) != 0)
		return 2;
	kc_set_ctl(ctl);
	kc_set_timeout((unsigned)cfg->keeper_timeout * 1000);
	/* Document buffers (up to SPOOL_ABOVE, and the signed file) come
	 * from the heap and stay there for the next request: as fresh
	 * mappings each would cost a page fault per 4 KiB, twice per seal
	 * (a quarter of the front's CPU for a 2 MB seal). Arenas: one per
	 * CPU at most, so that kept memory stays bounded. */
	mallopt(M_MMAP_THRESHOLD, 2 * SPOOL_ABOVE + (1 << 20));
	mallopt(M_TRIM_THRESHOLD, 4 * SPOOL_ABOVE);
	mallopt(M_ARENA_MAX, (int)sysconf(_SC_NPROCESSORS_ONLN));
	api_bsre_init(cfg);
	/* The TLS key is read before privileges are dropped. */
	if (api_start(cfg, https_fd, unix_fd, &srv) != 0)
		return 2;
	if (public_fd >= 0 && public_start(cfg, public_fd, &pub) != 0)
		return 2;
	/* Large uploads go to unnamed files there (api/spool.h). */
	spool_init(cfg->state_dir, cfg->user);
	if (sandbox_drop_to(cfg->user) != 0)
		return 2;
	spool_check();
	sandbox_no_dumps();
	/* Seed OpenSSL's DRBG now: its first use opens the random device,
	 * which the filter would forbid later. */
	if (RAND_bytes(&seed, 1) != 1)
		return 2;
	if (cfg->seccomp && sandbox_seccomp_front(spool_dirfd()) != 0)
		return 2;
	hooks.arg = srv;
	child_ready(ctl);
	log_info("front: ready");
	child_serve(ctl, &hooks);
	log_info("front: draining");
	public_stop(pub);
	api_drain_and_stop(srv, (unsigned)cfg->drain_timeout);
	log_info("front: stopped");
	return 0;
}
