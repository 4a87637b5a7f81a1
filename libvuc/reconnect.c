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

struct held_region {
    uint64_t size;
    uint32_t flags;
};

struct vuc_held {
    struct vuc_device_info dev;
    struct held_region *regions;
    struct vuc_irq_info *irqs;
    struct vuc_irq_state *irqst;
};

/* What a region must keep for a driver's view of it to stay true. */
#define REGION_FLAGS_KEPT                                                      \
    (VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE)

int vuc_held_take(struct vuc_client *c)
{
    if (c->held != NULL) {
        /* An earlier reconnect failed: what it found is not what we hold. */
        return 0;
    }
    if (c->irqs == NULL) {
        return 0; /* never connected: nothing to set up again */
    }
    struct vuc_held *h = calloc(1, sizeof(*h));
    uint32_t nreg = c->dev.num_regions;
    if (h == NULL ||
        (h->regions = calloc(nreg ? nreg : 1, sizeof(*h->regions))) == NULL) {
        free(h);
        return vuc_fail(c, -ENOMEM, "reconnect: out of memory");
    }
    h->dev = c->dev;
    for (uint32_t i = 0; i < nreg; i++) {
        h->regions[i].size = c->regions[i].info.size;
        h->regions[i].flags = c->regions[i].info.flags;
    }
    h->irqst = vuc_irq_hold(c);
    h->irqs = c->irqs;
    c->irqs = NULL;
    c->held = h;
    return 0;
}

void vuc_held_free(struct vuc_client *c)
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
        const struct held_region *was = &h->regions[i];
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
        return rc; /* still held, for another try */
    }
    vuc_irq_adopt(c, h->irqst);
    h->irqst = NULL;
    free(h->irqs);
    free(h->regions);
    free(h);
    c->held = NULL;
    return 0;
}
