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

/* A connection let go of for the length of a command whose module makes
 * connections of its own (bench, conform): a server that serves one client
 * at a time would never answer them while vuctl holds its own. */
struct vuctl_away {
    char *label; /* NULL: nothing was let go of */
    char *path;
    bool noshare, twin;
};

/* Close the session's connection, keeping in a how to make it again; a
 * session connected by fd has none to keep and is left alone (a->label
 * stays NULL). Returns VUCTL_OK, or a failure with the connection kept. */
int vuctl_step_away(struct vuctl *v, struct vuctl_away *a);

/* Connect again as before vuctl_step_away() and forget a. Returns
 * VUCTL_OK (also when nothing was let go of) or the connect's failure. */
int vuctl_come_back(struct vuctl *v, struct vuctl_away *a);

/* Fence posted writes still unconfirmed before the connection closes, so
 * that a failed one is reported (VUCTL_FAIL) rather than dropped. */
int vuctl_fence_at_exit(struct vuctl *v);

#endif /* VUCTL_CONN_H */
