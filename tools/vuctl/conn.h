/* SPDX-License-Identifier: BSD-3-Clause */
/* Making and dropping the session's connection (conn.c). */
#ifndef VUCTL_CONN_H
#define VUCTL_CONN_H

#include <stdbool.h>

struct vuctl;

/*
 * Replace the client by a new one connected to path, or to the connected
 * socket fd when path is NULL (the client then owns fd), and print the
 * result.
 * @param label the connection's name in messages and the prompt.
 * @param refused when not NULL, a refused connect() sets it and returns
 *        VUCTL_CONN without recording a failure, for a caller that retries.
 */
int vuctl_connect(struct vuctl *v, const char *label, const char *path, int fd,
                  bool noshare, bool twin, bool *refused);

/* vuctl_connect() to a path, printing nothing: to connect again after a
 * command let go of the connection. */
int vuctl_connect_quiet(struct vuctl *v, const char *label, const char *path,
                        bool noshare, bool twin);

/* Free the client and what vuctl mapped for it. */
void vuctl_disconnect(struct vuctl *v);

/* Fence posted writes still unconfirmed before the connection closes, so
 * that a failed one is reported (VUCTL_FAIL) rather than dropped. */
int vuctl_fence_at_exit(struct vuctl *v);

#endif /* VUCTL_CONN_H */
