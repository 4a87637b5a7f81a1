/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reconnecting. At a disconnect the server drops our DMA maps and interrupt
 * eventfds but keeps the device's state, and "when a client reconnects, it
 * will re-establish IRQ and client memory mappings" (the spec's "Client
 * Disconnection"). So while a reconnect discovers the device anew, what the
 * old connection had is held here: the device's shape and the vectors'
 * eventfds (the DMA maps stay in the map table). Once the device is known to
 * be the same one, the vectors go back and discover.c sets both up again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "discover.h"
#include "irq.h"
#include "reconnect.h"

/* The old connection's view of the device: what vuc_get_*_info() showed,
 * and the vectors with their eventfds (not read while held). */
struct vuc_held {
    struct vuc_device_info dev;
    struct vuc_region *regions; /* infos only: fds, mmaps, doorbells gone */
    struct vuc_irq_info *irqs;
    struct vuc_irq_state *irqst;
};

/* What a region must keep for a driver's view of it to stay true. */
#define REGION_FLAGS_KEPT                                                      \
    (VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE)

int vuc_held_take(struct vuc_client *c)
{
    if (c->irqs == NULL || c->regions == NULL) {
        return 0; /* never connected: nothing to set up again */
    }
    struct vuc_held *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        return vuc_fail(c, -ENOMEM, "reconnect: out of memory");
    }
    /* The mappings and fds were the old server's; only the infos stay. */
    vuc_regions_release(c);
    h->dev = c->dev;
    h->regions = c->regions;
    h->irqst = vuc_irq_hold(c);
    h->irqs = c->irqs;
    c->regions = NULL;
    c->irqs = NULL;
    c->held = h;
    return 0;
}

static void held_free(struct vuc_client *c)
{
    struct vuc_held *h = c->held;

    if (h == NULL) {
        return;
    }
    vuc_irq_state_free(h->irqst, h->irqs, h->dev.num_irqs);
    free(h->irqs);
    free(h->regions);
    free(h);
    c->held = NULL;
}

void vuc_held_restore(struct vuc_client *c)
{
    struct vuc_held *h = c->held;

    if (h == NULL) {
        return;
    }
    /* What the failed attempt found goes; the old view comes back. */
    vuc_discovery_clear(c);
    c->dev = h->dev;
    c->regions = h->regions;
    c->irqs = h->irqs;
    c->irqst = NULL;
    vuc_irq_adopt(c, h->irqst);
    free(h);
    c->held = NULL;
}

/* Fail unless the device discovered now is the one held. */
static int same_device(struct vuc_client *c, const struct vuc_held *h)
{
    const struct vuc_device_info *d = &c->dev;

    if (d->flags != h->dev.flags) {
        return vuc_fail(c, -ENODEV,
                        "reconnect: not the same device: its flags were "
                        "0x%x, are 0x%x",
                        h->dev.flags, d->flags);
    }
    if (d->num_regions != h->dev.num_regions ||
        d->num_irqs != h->dev.num_irqs) {
        return vuc_fail(c, -ENODEV,
                        "reconnect: not the same device: it had %u regions "
                        "and %u irq indexes, has %u and %u",
                        h->dev.num_regions, h->dev.num_irqs, d->num_regions,
                        d->num_irqs);
    }
    for (uint32_t i = 0; i < d->num_regions; i++) {
        const struct vuc_region_info *now = &c->regions[i].info;
        const struct vuc_region_info *was = &h->regions[i].info;
        if (now->size != was->size || (now->flags & REGION_FLAGS_KEPT) !=
                                          (was->flags & REGION_FLAGS_KEPT)) {
            return vuc_fail(c, -ENODEV,
                            "reconnect: not the same device: %s was 0x%" PRIx64
                            " bytes (flags 0x%x), is 0x%" PRIx64
                            " (flags 0x%x)",
                            vuc_region_name(i), was->size, was->flags,
                            now->size, now->flags);
        }
    }
    for (uint32_t i = 0; i < d->num_irqs; i++) {
        const struct vuc_irq_info *now = &c->irqs[i], *was = &h->irqs[i];
        if (now->count != was->count || now->flags != was->flags) {
            return vuc_fail(c, -ENODEV,
                            "reconnect: not the same device: %s had %u "
                            "vectors (flags 0x%x), has %u (flags 0x%x)",
                            vuc_irq_name(i), was->count, was->flags, now->count,
                            now->flags);
        }
    }
    return 0;
}

int vuc_held_return(struct vuc_client *c)
{
    struct vuc_held *h = c->held;

    if (h == NULL) {
        return 0;
    }
    int rc = same_device(c, h);
    if (rc < 0) {
        return rc; /* the failed connect puts the old view back */
    }
    vuc_irq_adopt(c, h->irqst);
    h->irqst = NULL;
    free(h->irqs);
    free(h->regions);
    free(h);
    c->held = NULL;
    return 0;
}

const struct vuc_feature vuc_reconnect_feature = {
    .name = "reconnect",
    .release = held_free,
};
