/*
 * The front process: untrusted bytes end here. It serves HTTP on the
 * listeners it is given, asks the keeper over the channels, and runs as an
 * unprivileged user without core dumps.
 */
#ifndef ESD_API_FRONT_H
#define ESD_API_FRONT_H

#include <stddef.h>
#include "daemon/config.h"

/* Runs the front; returns the process exit status. public_fd is the
 * distribution point's listener (api/public.c), or -1. */
int front_main(const struct esd_config *cfg, int ctl, const int *chans,
	       size_t nchans, int https_fd, int unix_fd, int public_fd);

#endif
