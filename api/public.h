/*
 * The public distribution point (api/public.c): plain HTTP on
 * public_listen for relying parties, serving CRLs, CA certificates and
 * OCSP and nothing else.
 */
#ifndef ESD_API_PUBLIC_H
#define ESD_API_PUBLIC_H

#include "daemon/config.h"

struct public_server;

/* Starts serving on the listening socket fd. 0 or an ESD_E* code. */
int public_start(const struct esd_config *cfg, int fd,
		 struct public_server **out);
/* Stops accepting, waits for the requests in flight, frees s (NULL: no-op). */
void public_stop(struct public_server *s);

#endif
