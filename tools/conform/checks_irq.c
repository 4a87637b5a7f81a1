/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Interrupts ("VFIO_USER_DEVICE_SET_IRQS"): requests the server must refuse,
 * and eventfds assigned, signalled and released.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "conform_int.h"

#define SEC "VFIO_USER_DEVICE_SET_IRQS"
#define D_NONE VFIO_USER_IRQ_SET_DATA_NONE
#define D_BOOL VFIO_USER_IRQ_SET_DATA_BOOL
#define D_EVENTFD VFIO_USER_IRQ_SET_DATA_EVENTFD
#define A_MASK VFIO_USER_IRQ_SET_ACTION_MASK
#define A_TRIGGER VFIO_USER_IRQ_SET_ACTION_TRIGGER

/* An irq index with eventfd support and at least @p min vectors, or -1. */
static int eventfd_index(struct cf_t *t, uint32_t min)
{
    for (uint32_t i = 0; t->s->have_info && i < t->s->info.num_irqs; i++) {
        const struct cf_irq *q = &t->s->irqs[i];

        if (q->ok && q->ii.count >= min &&
            (q->ii.flags & VFIO_USER_IRQ_INFO_EVENTFD))
            return (int)i;
    }
    cf_skip(t, "no irq index supports eventfds with %u or more vectors", min);
    return -1;
}

/* A SET_IRQS payload written by hand: the encoder refuses what these
 * checks must send. */
static size_t set_irqs(uint8_t *buf, uint32_t flags, uint32_t index,
                       uint32_t start, uint32_t count, uint32_t nbools)
{
    struct vfio_user_irq_set s = {
        .argsz = (uint32_t)(sizeof(s) + nbools),
        .flags = flags,
        .index = index,
        .start = start,
        .count = count,
    };

    memcpy(buf, &s, sizeof(s));
    memset(buf + sizeof(s), 1, nbools);
    return sizeof(s) + nbools;
}

static void refused(struct cf_t *t, uint32_t flags, uint32_t index,
                    uint32_t start, uint32_t count, const int *fds,
                    unsigned nfds, const char *what)
{
    uint8_t buf[64];
    size_t n = set_irqs(buf, flags, index, start, count, 0);
    char text[192];

    snprintf(text, sizeof(text),
             "SET_IRQS flags 0x%x index %u start %u count %u with %u fds (%s)",
             flags, index, start, count, nfds, what);
    cf_req_refused(t, VFIO_USER_DEVICE_SET_IRQS, buf, n, fds, nfds, text);
}

static bool set_ok(struct cf_t *t, uint32_t flags, uint32_t index,
                   uint32_t start, uint32_t count, const int *fds,
                   unsigned nfds, const char *what)
{
    uint8_t buf[64];
    size_t n = set_irqs(buf, flags, index, start, count, 0);
    struct cf_msg m;
    struct vuc_wire_err werr;
    bool ok;

    if (!cf_req_ok(t, VFIO_USER_DEVICE_SET_IRQS, buf, n, fds, nfds, &m, what))
        return false;
    ok = vuc_wire_dec_empty_reply(VFIO_USER_DEVICE_SET_IRQS, m.len, m.nfds,
                                  &werr) == 0;
    if (!ok)
        cf_fail(t, "%s: %s", what, werr.text);
    cf_msg_free(&m);
    return ok;
}

static void bad_index(struct cf_t *t)
{
    if (!t->s->have_info) {
        cf_skip(t, "no device info");
        return;
    }
    refused(t, D_NONE | A_TRIGGER, t->s->info.num_irqs + 3, 0, 1, NULL, 0,
            "no such index");
}

static void beyond_count(struct cf_t *t)
{
    int i = eventfd_index(t, 1), efd;

    if (i < 0)
        return;
    efd = eventfd(0, EFD_CLOEXEC);
    refused(t, D_EVENTFD | A_TRIGGER, (uint32_t)i, t->s->irqs[i].ii.count, 1,
            &efd, 1, "start at the index's count");
    close(efd);
}

static void start_overflow(struct cf_t *t)
{
    int i = eventfd_index(t, 1);

    if (i >= 0)
        refused(t, D_NONE | A_TRIGGER, (uint32_t)i, UINT32_MAX, 2, NULL, 0,
                "start + count overflows");
}

static void fd_count(struct cf_t *t)
{
    int i = eventfd_index(t, 2), efd;

    if (i < 0)
        return;
    efd = eventfd(0, EFD_CLOEXEC);
    refused(t, D_EVENTFD | A_TRIGGER, (uint32_t)i, 0, 2, &efd, 1,
            "count 2 with one eventfd");
    close(efd);
}

static void two_data(struct cf_t *t)
{
    int i = eventfd_index(t, 1);

    if (i >= 0)
        refused(t, D_NONE | D_BOOL | A_TRIGGER, (uint32_t)i, 0, 1, NULL, 0,
                "two DATA flags");
}

static void two_actions(struct cf_t *t)
{
    int i = eventfd_index(t, 1);

    if (i >= 0)
        refused(t, D_NONE | A_MASK | A_TRIGGER, (uint32_t)i, 0, 1, NULL, 0,
                "two ACTION flags");
}

static void bool_short(struct cf_t *t)
{
    int i = eventfd_index(t, 2);

    if (i >= 0)
        refused(t, D_BOOL | A_TRIGGER, (uint32_t)i, 0, 2, NULL, 0,
                "DATA_BOOL without its booleans");
}

static void mask_unmaskable(struct cf_t *t)
{
    for (uint32_t i = 0; t->s->have_info && i < t->s->info.num_irqs; i++) {
        const struct cf_irq *q = &t->s->irqs[i];

        if (q->ok && q->ii.count > 0 &&
            !(q->ii.flags & VFIO_USER_IRQ_INFO_MASKABLE)) {
            refused(t, D_NONE | A_MASK, i, 0, 1, NULL, 0,
                    "the index is not MASKABLE");
            return;
        }
    }
    cf_skip(t, "every irq index with vectors is maskable");
}

/* An eventfd assigned to vector 0, then @p flags with @p count. */
static void assign_then(struct cf_t *t, uint32_t flags, uint32_t count,
                        const char *what)
{
    int i = eventfd_index(t, 1), efd;

    if (i < 0)
        return;
    efd = eventfd(0, EFD_CLOEXEC);
    if (set_ok(t, D_EVENTFD | A_TRIGGER, (uint32_t)i, 0, 1, &efd, 1,
               "SET_IRQS assigning an eventfd to vector 0"))
        set_ok(t, flags, (uint32_t)i, 0, count, NULL, 0, what);
    close(efd);
}

static void assign_release(struct cf_t *t)
{
    assign_then(t, D_EVENTFD | A_TRIGGER, 1,
                "SET_IRQS de-assigning vector 0 (DATA_EVENTFD, no fd)");
}

static bool signalled(int efd, int ms)
{
    struct pollfd p = {.fd = efd, .events = POLLIN};
    uint64_t v;

    if (poll(&p, 1, ms) != 1)
        return false;
    return read(efd, &v, sizeof(v)) == sizeof(v) && v > 0;
}

static void trigger_signals(struct cf_t *t)
{
    int i = eventfd_index(t, 1), efd;

    if (i < 0)
        return;
    efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!set_ok(t, D_EVENTFD | A_TRIGGER, (uint32_t)i, 0, 1, &efd, 1,
                "SET_IRQS assigning an eventfd to vector 0")) {
        close(efd);
        return;
    }
    if (set_ok(t, D_NONE | A_TRIGGER, (uint32_t)i, 0, 1, NULL, 0,
               "SET_IRQS DATA_NONE|ACTION_TRIGGER of vector 0") &&
        !signalled(efd, t->timeout_ms))
        cf_fail(t,
                "triggering vector 0 of irq index %d did not signal its "
                "eventfd",
                i);
    if (set_ok(t, D_EVENTFD | A_TRIGGER, (uint32_t)i, 0, 1, NULL, 0,
               "SET_IRQS de-assigning vector 0") &&
        set_ok(t, D_NONE | A_TRIGGER, (uint32_t)i, 0, 1, NULL, 0,
               "SET_IRQS triggering vector 0 after de-assigning") &&
        signalled(efd, 50))
        cf_fail(t,
                "after its eventfd was de-assigned, vector 0 of irq index "
                "%d still signals it",
                i);
    close(efd);
}

static void disable_all(struct cf_t *t)
{
    assign_then(t, D_NONE | A_TRIGGER, 0,
                "SET_IRQS DATA_NONE with start 0 and count 0 (disable all)");
}

static const struct cf_check checks[] = {
    {"irq.set-bad-index", SEC, CF_MUST, 0,
     "index is the index of IRQ type being setup: an index the device does "
     "not have is refused.",
     bad_index},
    {"irq.set-beyond-count", SEC, CF_MUST, 0,
     "start is the start of the sub-index being set: vectors beyond the "
     "index's count are refused.",
     beyond_count},
    {"irq.set-start-overflow", SEC, CF_MUST, 0,
     "start and count describe sub-indexes: a range that overflows 32 bits "
     "is refused.",
     start_overflow},
    {"irq.set-fd-count", SEC, CF_MUST, 0,
     "VFIO_IRQ_SET_DATA_EVENTFD indicates an array of event file "
     "descriptors: count 2 with one eventfd is refused.",
     fd_count},
    {"irq.set-two-data-flags", SEC, CF_MUST, 0,
     "The flags are mutually exclusive for both sets: two DATA flags are "
     "refused.",
     two_data},
    {"irq.set-two-action-flags", SEC, CF_MUST, 0,
     "The flags are mutually exclusive for both sets: two ACTION flags are "
     "refused.",
     two_actions},
    {"irq.set-bool-missing", SEC, CF_MUST, 0,
     "argsz is the size of the VFIO IRQ set request payload, including any "
     "data field: DATA_BOOL without its booleans is refused.",
     bool_short},
    {"irq.mask-unmaskable", "VFIO_USER_DEVICE_GET_IRQ_INFO", CF_SHOULD, 0,
     "VFIO_IRQ_INFO_MASKABLE indicates that the IRQ type supports the MASK "
     "and UNMASK actions: MASK on an index without it is refused. SHOULD: "
     "the text also says the client must know what an index supports.",
     mask_unmaskable},
    {"irq.eventfd-assign-release", SEC, CF_MUST, 0,
     "DATA_EVENTFD associates the IRQ with an eventfd; if no file "
     "descriptors are provided, this de-assigns the specified previously "
     "configured interrupts.",
     assign_release},
    {"irq.trigger-signals", SEC, CF_SHOULD, 0,
     "A client may trigger a device IRQ itself [...] The server may trigger "
     "the IRQ by writing 1 to the eventfd; de-assigned, it writes no more. "
     "SHOULD: the text says may.",
     trigger_signals},
    {"irq.disable-all", SEC, CF_MUST, 0,
     "As a special case, a count (and start) of 0, with data flags of "
     "VFIO_IRQ_SET_DATA_NONE disables all interrupts of the index.",
     disable_all},
};

const struct cf_group cf_irq_checks = {checks,
                                       sizeof(checks) / sizeof(checks[0])};
