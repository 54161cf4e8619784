/*
 * The keeper: the only process that loads the PKCS#11 module, knows the
 * token PIN and writes LMDB. It serves the front over the channel
 * socketpairs (one worker thread each) and takes new channels from the
 * master over ctl when the front is restarted.
 */
#ifndef ESD_DAEMON_KEEPER_H
#define ESD_DAEMON_KEEPER_H

#include <stddef.h>
#include "daemon/config.h"

/* Exit status of a keeper that must not be restarted (the token refused
 * the PIN, the state store's location or schema is wrong): the master
 * stops too. */
#define KEEPER_EXIT_FATAL 78
/* EX_TEMPFAIL: something the keeper needs is out of reach for now (the
 * database of a cluster): the master starts it again, also before the
 * daemon ever served. */
#define KEEPER_EXIT_TEMPFAIL 75

/* Runs the keeper; returns the process exit status. */
int keeper_main(const struct esd_config *cfg, int ctl, const int *chans,
		size_t nchans);

#endif
