/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receiving (rx.c): one message at a time from a socket, without blocking,
 * and the queue of client commands that a DMA job holds back.
 */
#ifndef VUC_TESTDEV_RX_H
#define VUC_TESTDEV_RX_H

#include <stdbool.h>

#include "testdev.h"

enum td_rx_result {
    TD_RX_AGAIN, /* nothing more to read for now */
    TD_RX_MSG,   /* a whole message is in rx->m */
    TD_RX_EOF,   /* the peer closed between messages */
};

/** Start receiving on @p fd (-1: no such socket). */
void td_rx_init(struct td_rx *rx, int fd);
/** Drop the message under way (its payload and fds); the socket is not
 * closed, only forgotten. */
void td_rx_fini(struct td_rx *rx);
/** Move the whole message in @p rx to @p m and start the next one. */
void td_rx_take(struct td_rx *rx, struct td_msg *m);
/**
 * Read what the socket has of the message under way, without blocking.
 * @return an enum td_rx_result, or a negative errno when the connection
 * must end.
 */
int td_rx_step(const struct testdev *td, struct td_rx *rx);

/** Queue @p m behind the commands held back: takes its payload and fds,
 * or leaves them in @p m and returns a negative errno. */
int td_queue_push(struct td_conn *c, struct td_msg *m);
/** The oldest held-back command, into @p m; false when there is none. */
bool td_queue_pop(struct td_conn *c, struct td_msg *m);
void td_queue_clear(struct td_conn *c);

#endif /* VUC_TESTDEV_RX_H */
