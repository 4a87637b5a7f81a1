/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one way the core (conn.c, client.c) reaches a feature: each feature
 * that must hear about the connection or the client's end exports one const
 * ops table, and features.c lists them. The core calls the vuc_features_*
 * dispatchers below and never a feature by name, the way libevent's core
 * calls its backends through `struct eventop` and Linux a driver through
 * `struct file_operations`.
 */
#ifndef VUC_FEATURE_H
#define VUC_FEATURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vuc/protocol.h>

struct vuc_client;
struct vuc_chan;

/* Serve a request the server sent on ch. Server requests carry no fds; the
 * caller closes whatever came after this returns. */
typedef void (*vuc_serve_fn)(struct vuc_client *c, struct vuc_chan *ch,
                             const struct vfio_user_header *hdr,
                             const uint8_t *payload, size_t len, int *fds,
                             unsigned nfds);

/* Why messages that features hold back for batching may leave now. */
enum vuc_flush_point {
    VUC_FLUSH_WRITABLE, /* the socket drained and can take more */
    VUC_FLUSH_DISPATCH, /* control returns to the event loop */
    VUC_FLUSH_UNCORK,   /* the caller's outermost vuc_uncork() */
    VUC_FLUSH_WAIT,     /* a blocking call waits for the device */
};

/* Every hook is optional (NULL). */
struct vuc_feature {
    const char *name;
    /* A message is about to join the outgoing queue, or the socket can take
     * more: messages the feature holds back go out first, in the order they
     * were issued. 0, or a negative errno with the error text set. */
    int (*before_send)(struct vuc_client *c);
    /* A flush point: what the feature holds back to batch leaves now, unless
     * the caller corked the client and why allows holding on. 0, or a
     * negative errno with the error text set. */
    int (*flush)(struct vuc_client *c, enum vuc_flush_point why);
    /* The server answered a request queued after the first `noreply`
     * No_reply messages of the connection, so it processed them ("Command
     * Concurrency"). */
    void (*replied)(struct vuc_client *c, uint64_t noreply);
    /* A reply that answers no request in flight: true when it answers a
     * message the feature sent without awaiting a reply (then the core
     * drops it quietly). */
    bool (*stray_reply)(struct vuc_client *c,
                        const struct vfio_user_header *hdr);
    /* Server commands this feature serves (0 ends the list), and how. */
    uint16_t serves[2];
    vuc_serve_fn serve;
    /* The connection ended and the server forgot what it held for us;
     * requests in flight have not failed yet. */
    void (*conn_lost)(struct vuc_client *c);
    /* After every request in flight failed with err: operations made of
     * several requests fail too. */
    void (*conn_closed)(struct vuc_client *c, int err);
    /* The client is being freed: release everything. Runs in list order. */
    void (*release)(struct vuc_client *c);
};

int vuc_features_before_send(struct vuc_client *c);
int vuc_features_flush(struct vuc_client *c, enum vuc_flush_point why);
void vuc_features_replied(struct vuc_client *c, uint64_t noreply);
bool vuc_features_stray_reply(struct vuc_client *c,
                              const struct vfio_user_header *hdr);
/* The server's cmd's handler, or NULL when no feature serves it. */
vuc_serve_fn vuc_features_server(uint16_t cmd);
void vuc_features_conn_lost(struct vuc_client *c);
void vuc_features_conn_closed(struct vuc_client *c, int err);
void vuc_features_release(struct vuc_client *c);

#endif /* VUC_FEATURE_H */
