/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VFIO_USER_DEVICE_FEATURE: what every feature shares (the head, the
 * operations, argsz and the shape of the reply) and the dispatch to the
 * features themselves, in migration.c and dirty.c.
 *
 * The checks follow "VFIO_USER_DEVICE_FEATURE" and, where it is silent,
 * the kernel's VFIO_DEVICE_FEATURE that it is "analogous to": GET and SET
 * are exclusive unless PROBE is set too, PROBE alone asks whether the
 * feature exists at all, an operation a feature does not have fails the
 * whole request. A SET or PROBE is answered with its own payload, a GET
 * with the head and the feature's data, argsz then counting both.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "testdev.h"

#define HEAD sizeof(struct vfio_user_device_feature)
#define OP_GET VFIO_USER_DEVICE_FEATURE_GET
#define OP_SET VFIO_USER_DEVICE_FEATURE_SET
#define OP_PROBE VFIO_USER_DEVICE_FEATURE_PROBE
#define KNOWN_FLAGS (VFIO_USER_DEVICE_FEATURE_MASK | OP_GET | OP_SET | OP_PROBE)

enum feature_group {
    GROUP_MIGRATION, /* off with --no-migration or a device without it */
    GROUP_LOGGING,   /* off with --no-dirty or --legacy-dirty */
};

static const struct feature {
    uint32_t index;
    const char *name;
    enum feature_group group;
    td_feature_get *get;
    td_feature_set *set;
} features[] = {
    {VFIO_USER_DEVICE_FEATURE_MIGRATION, "MIGRATION", GROUP_MIGRATION,
     mig_get_migration, NULL},
    {VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE, "MIG_DEVICE_STATE",
     GROUP_MIGRATION, mig_get_state, mig_set_state},
    {VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START, "DMA_LOGGING_START",
     GROUP_LOGGING, NULL, dirty_set_start},
    {VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP, "DMA_LOGGING_STOP",
     GROUP_LOGGING, NULL, dirty_set_stop},
    {VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT, "DMA_LOGGING_REPORT",
     GROUP_LOGGING, dirty_get_report, NULL},
};

int feature_check_get_argsz(const struct td_feature_req *q, size_t dlen)
{
    if (q->head.argsz < HEAD + dlen)
        return td_fail(EINVAL,
                       "%s: argsz %u is smaller than the %zu-byte reply "
                       "(8-byte head and %zu bytes of data)",
                       q->name, q->head.argsz, HEAD + dlen, dlen);
    return 0;
}

uint8_t *feature_get_reply(struct td_reply *r, const struct td_feature_req *q,
                           size_t dlen)
{
    struct vfio_user_device_feature head = {
        .argsz = (uint32_t)(HEAD + dlen),
        .flags = q->head.flags,
    };
    uint8_t *out = td_reply_alloc(r, HEAD + dlen);

    if (!out)
        return NULL;
    memcpy(out, &head, sizeof(head));
    return out + HEAD;
}

/* @return NULL when the device offers the feature, else why not. */
static const char *unavailable(const struct testdev *td,
                               const struct feature *f)
{
    if (f->group == GROUP_MIGRATION)
        return mig_unavailable(td);
    if (td->opt.no_dirty)
        return "dirty page logging is off (--no-dirty)";
    if (td->opt.legacy_dirty)
        return "this device logs dirty pages the 0.9.1 way, with "
               "VFIO_USER_DIRTY_PAGES (--legacy-dirty)";
    return NULL;
}

static const char *ops_name(uint32_t ops)
{
    switch (ops & (OP_GET | OP_SET)) {
    case OP_GET:
        return "GET";
    case OP_SET:
        return "SET";
    default:
        return "GET and SET";
    }
}

int handle_device_feature(struct testdev *td, struct td_msg *m,
                          struct td_reply *r)
{
    const struct feature *f = NULL;
    struct td_feature_req q;
    char name[64];
    uint32_t index, ops, have;
    const char *why;
    uint8_t *out;
    size_t i;

    if (m->len < HEAD)
        return td_fail(EINVAL,
                       "DEVICE_FEATURE: payload of %zu bytes, less than %zu",
                       m->len, HEAD);
    memcpy(&q.head, m->data, HEAD);
    q.data = m->data + HEAD;
    q.len = m->len - HEAD;
    index = q.head.flags & VFIO_USER_DEVICE_FEATURE_MASK;
    ops = q.head.flags & (OP_GET | OP_SET | OP_PROBE);

    if (q.head.flags & ~KNOWN_FLAGS)
        return td_fail(EINVAL, "DEVICE_FEATURE: unknown flags 0x%x",
                       q.head.flags & ~KNOWN_FLAGS);
    if (!ops)
        return td_fail(EINVAL,
                       "DEVICE_FEATURE: flags 0x%x ask for no "
                       "operation (GET, SET or PROBE)",
                       q.head.flags);
    if ((ops & OP_GET) && (ops & OP_SET) && !(ops & OP_PROBE))
        return td_fail(EINVAL, "DEVICE_FEATURE: GET and SET together are "
                               "only valid with PROBE");
    for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
        if (features[i].index == index)
            f = &features[i];
    if (!f)
        return td_fail(EINVAL,
                       "DEVICE_FEATURE: feature %u is not one this "
                       "device has",
                       index);
    snprintf(name, sizeof(name), "DEVICE_FEATURE %s", f->name);
    q.name = name;
    why = unavailable(td, f);
    if (why)
        return td_fail(EINVAL, "%s: %s", name, why);
    have = (f->get ? OP_GET : 0) | (f->set ? OP_SET : 0);
    if (ops & (OP_GET | OP_SET) & ~have)
        return td_fail(EINVAL, "%s: the feature has no %s", name,
                       ops_name(ops & (OP_GET | OP_SET) & ~have));

    if (!(ops & OP_PROBE) && (ops & OP_GET))
        return f->get(td, &q, r);
    /* SET and PROBE: the reply is the request, argsz and all. */
    if (q.head.argsz < m->len)
        return td_fail(EINVAL,
                       "%s: argsz %u is smaller than the %zu-byte reply "
                       "(the request's own payload)",
                       name, q.head.argsz, m->len);
    /* Made first, so that a SET that acted is not then refused. */
    out = td_reply_alloc(r, m->len);
    if (!out)
        return td_fail(ENOMEM, "%s: out of memory", name);
    memcpy(out, m->data, m->len);
    if (ops & OP_PROBE) {
        td_note("PROBE%s%s: supported", ops & OP_GET ? " GET" : "",
                ops & OP_SET ? " SET" : "");
        return 0;
    }
    return f->set(td, &q);
}
