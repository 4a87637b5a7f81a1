/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --spawn: a server under test that vuctl starts, connects to, and stops
 * at exit whatever happens (error, failed check, SIGINT, SIGTERM).
 */
#ifndef VUCTL_SPAWN_H
#define VUCTL_SPAWN_H

#include <stdbool.h>

struct vuctl;

/*
 * Start cmd through /bin/sh -c in a process group of its own, with {}
 * replaced by a socket path in a new private directory or {fd} by the
 * number of an inherited connected socket, and connect v to it.
 * @return an enum vuctl_status, after reporting any failure; whatever it
 * returns, call vuctl_spawn_stop() before exiting.
 */
int vuctl_spawn_start(struct vuctl *v, const char *cmd, bool noshare,
                      bool twin);

/*
 * Stop the spawned server (SIGTERM to its group, SIGKILL after 5 s), remove
 * its directory and report how it ended on stderr. Nothing when no server
 * was spawned.
 * @return VUCTL_CONN when the server failed (non-zero exit status, or a
 * signal other than vuctl's SIGTERM), else VUCTL_OK.
 */
int vuctl_spawn_stop(void);

#endif /* VUCTL_SPAWN_H */
