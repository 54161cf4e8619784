/*
 * The front's side of the keeper channels: a pool of socketpairs, one
 * request in flight on each. A caller takes a free channel (waiting if all
 * are busy; the wait is the "queue depth" metric), sends a request, reads
 * the reply and gives the channel back. When the keeper is restarted the
 * master hands over a new set; the old set is closed once its last
 * borrower returns.
 */
#ifndef ESD_API_KEEPER_CLIENT_H
#define ESD_API_KEEPER_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include "daemon/ipc.h"
#include "daemon/proto.h"

/* Installs a new set of channel fds (takes ownership). */
int kc_set_channels(const int *fds, size_t n);

/* The longest wait for a keeper reply (config keeper_timeout). */
void kc_set_timeout(unsigned ms);

/* Adds one channel to the current set (takes ownership). */
int kc_add_channel(int fd);
/* The control channel to the master, to ask for a channel when one
 * breaks (a keeper call that timed out leaves its channel unusable). */
void kc_set_ctl(int ctl);

/* Payload writer with the caller's credential already in it. For
 * CRED_PEER the next kc_call of this thread also hands the keeper the
 * connection c->peer_fd (SCM_RIGHTS), from which the keeper reads the
 * peer's uid itself. */
void kc_begin(struct ibuf *b, const struct cred *c);

/*
 * Sends type + payload and waits for the reply. Returns 0 with the reply
 * in *rep (status may be negative: the keeper's verdict), or ESD_EUNAVAIL
 * when no keeper answers (restarting) or the wait passes timeout_ms
 * (0 = the configured keeper_timeout; never more than it).
 */
int kc_call(uint16_t type, const struct ibuf *payload, struct ipc_msg *rep,
	    unsigned timeout_ms);

/* Requests waiting for a free channel right now, and channels busy. */
void kc_depth(unsigned *waiting, unsigned *busy);

#endif
