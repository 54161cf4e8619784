/*
 * The master: opens the listeners, forks the keeper and the front, wires
 * them with socketpairs, restarts a child that dies, forwards SIGHUP
 * (reload) and turns SIGTERM into an orderly drain.
 */
#ifndef ESD_DAEMON_MASTER_H
#define ESD_DAEMON_MASTER_H

#include "daemon/config.h"

/* Runs until SIGTERM; returns the process exit status. ready_fd, if >= 0,
 * gets one byte when both children serve (for the daemonizing parent). */
int master_run(const struct esd_config *cfg, int ready_fd);

#endif
