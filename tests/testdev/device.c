/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device as the protocol sees it, whatever the personality: power-on
 * and reset, DEVICE_GET_INFO, DEVICE_GET_REGION_INFO, REGION_READ/WRITE,
 * REGION_WRITE_MULTI, DEVICE_RESET, deferred work and the test quirks.
 * Every check a request needs is made here, before a personality's op is
 * called, so that each device gets them right by construction.
 *
 * Reset semantics: DEVICE_RESET returns config space and the personality's
 * state (its reset op says which) to power-on values, like a PCI
 * function-level reset. DMA maps and IRQ eventfds belong to the client
 * and are untouched, and so are the INTx mask and pending state, which
 * are part of the client's interrupt setup. The migration state machine
 * returns to RUNNING, as a VFIO device reset makes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testdev.h"

int device_init(struct testdev *td)
{
    uint32_t i;
    int rc;

    for (i = 0; i < VFIO_USER_PCI_NUM_IRQS; i++)
        if (td->pers->irqs[i].count > TD_IRQ_MAX_VECTORS) {
            td_log("device %s: %s has %u vectors, more than the %u this "
                   "server keeps",
                   td->pers->name, irq_name(i), td->pers->irqs[i].count,
                   TD_IRQ_MAX_VECTORS);
            return -EINVAL;
        }
    if (td->pers->nioeventfds > TD_MAX_IOEVENTFDS) {
        td_log("device %s: %zu ioeventfds, more than the %u this server "
               "keeps",
               td->pers->name, td->pers->nioeventfds, TD_MAX_IOEVENTFDS);
        return -EINVAL;
    }
    for (i = 0; i < VFIO_USER_PCI_NUM_REGIONS; i++)
        td->regions[i] = (struct td_region){.mmap_fd = -1};
    rc = td->pers->init(td);
    if (rc < 0)
        return rc;
    td->regions[VFIO_USER_PCI_CONFIG_REGION_INDEX] = (struct td_region){
        .size = TD_CONFIG_SIZE,
        .flags =
            VFIO_USER_REGION_INFO_FLAG_READ | VFIO_USER_REGION_INFO_FLAG_WRITE,
        .mmap_fd = -1,
    };
    device_reset(td);
    return 0;
}

void device_fini(struct testdev *td)
{
    if (td->pers->fini)
        td->pers->fini(td);
}

void device_reset(struct testdev *td)
{
    pci_reset(td);
    td->pers->reset(td);
}

/* ---- Deferred work and quirks -------------------------------------------- */

void td_defer(struct testdev *td, const char *what)
{
    td->deferred = true;
    td->deferred_what = what;
}

int td_run_deferred(struct testdev *td)
{
    if (!td->deferred)
        return 0;
    td->deferred = false;
    return td->pers->run_deferred(td);
}

void td_quirk_stall(struct testdev *td, uint32_t ms)
{
    td->stall_ms = ms;
}

void td_quirk_vanish(struct testdev *td)
{
    td->vanish = true;
}

/* ---- Region access ------------------------------------------------------- */

/* @p cmd names the access in the error: the command, or an entry of one. */
static int check_access(const struct testdev *td,
                        const struct vfio_user_region_access *a, bool write,
                        const char *cmd)
{
    uint32_t need = write ? VFIO_USER_REGION_INFO_FLAG_WRITE
                          : VFIO_USER_REGION_INFO_FLAG_READ;
    const struct td_region *rd;

    if (a->region >= VFIO_USER_PCI_NUM_REGIONS)
        return td_fail(EINVAL, "%s: region %u does not exist (%u regions)", cmd,
                       a->region, VFIO_USER_PCI_NUM_REGIONS);
    rd = &td->regions[a->region];
    if (!(rd->flags & need))
        return td_fail(EINVAL, "%s: region %u is not %s", cmd, a->region,
                       write ? "writable" : "readable");
    if (a->count == 0)
        return td_fail(EINVAL, "%s: count is 0", cmd);
    if (a->count > td->opt.max_data_xfer_size)
        return td_fail(EINVAL, "%s: count %u exceeds max_data_xfer_size %u",
                       cmd, a->count, td->opt.max_data_xfer_size);
    if (a->offset > rd->size || a->count > rd->size - a->offset)
        return td_fail(EINVAL,
                       "%s: offset 0x%llx + count %u is beyond the end of "
                       "region %u (size 0x%llx)",
                       cmd, (unsigned long long)a->offset, a->count, a->region,
                       (unsigned long long)rd->size);
    /* Only after the bounds: offset + count cannot wrap here. */
    if (write && a->region != VFIO_USER_PCI_CONFIG_REGION_INDEX &&
        td->pers->write_check)
        return td->pers->write_check((struct testdev *)td, a, cmd);
    return 0;
}

/* Only called after check_access(): offset and count fit the region. */
static void region_access(struct testdev *td,
                          const struct vfio_user_region_access *a, uint8_t *buf,
                          bool write)
{
    if (a->region == VFIO_USER_PCI_CONFIG_REGION_INDEX) {
        if (write)
            pci_write(&td->pci, (uint32_t)a->offset, a->count, buf);
        else
            pci_read(&td->pci, (uint32_t)a->offset, a->count, buf);
    } else if (write) {
        td->pers->region_write(td, a->region, a->offset, a->count, buf);
    } else {
        td->pers->region_read(td, a->region, a->offset, a->count, buf);
    }
}

int handle_region_read(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    struct vfio_user_region_access a;
    uint8_t *out;
    int err;

    if (m->len != sizeof(a))
        return td_fail(EINVAL,
                       "REGION_READ: payload of %zu bytes, expected "
                       "%zu",
                       m->len, sizeof(a));
    memcpy(&a, m->data, sizeof(a));
    err = check_access(td, &a, false, "REGION_READ");
    if (err)
        return err;
    out = td_reply_alloc(r, sizeof(a) + a.count);
    if (!out)
        return td_fail(ENOMEM, "REGION_READ: out of memory for %u bytes",
                       a.count);
    memcpy(out, &a, sizeof(a));
    region_access(td, &a, out + sizeof(a), false);
    return 0;
}

int handle_region_write(struct testdev *td, struct td_msg *m,
                        struct td_reply *r)
{
    struct vfio_user_region_access a;
    int err;

    if (m->len < sizeof(a))
        return td_fail(EINVAL,
                       "REGION_WRITE: payload of %zu bytes, less "
                       "than %zu",
                       m->len, sizeof(a));
    memcpy(&a, m->data, sizeof(a));
    if (m->len - sizeof(a) != a.count)
        return td_fail(EINVAL, "REGION_WRITE: count %u but %zu data bytes",
                       a.count, m->len - sizeof(a));
    err = check_access(td, &a, true, "REGION_WRITE");
    if (err)
        return err;
    region_access(td, &a, m->data + sizeof(a), true);

    if (td->vanish) {
        /* No reply, and so no deferred work either: the connection ends. */
        td->vanish = false;
        td->deferred = false;
        r->vanish = true;
        return 0;
    }
    if (td->deferred)
        td_note("%s: runs after this reply", td->deferred_what);
    memcpy(td_reply_alloc(r, sizeof(a)), &a, sizeof(a));
    return 0;
}

#define ENTRY_SIZE sizeof(struct vfio_user_write_multi_entry)

/*
 * Validation is all-or-nothing: every entry is checked before any is
 * applied, so that a refused message leaves the device exactly as it was
 * and the client's error (when it gets one) covers the whole message.
 */
static int check_multi(const struct testdev *td, const struct td_msg *m,
                       uint64_t *wr_cnt)
{
    struct vfio_user_write_multi h;
    size_t want;
    uint64_t i;

    if (!td->conn.write_multiple)
        return td_fail(EINVAL,
                       "REGION_WRITE_MULTI: write_multiple was not "
                       "negotiated%s",
                       td->opt.no_write_multiple ? " (--no-write-multiple)"
                                                 : "");
    if (m->len < sizeof(h))
        return td_fail(EINVAL,
                       "REGION_WRITE_MULTI: payload of %zu bytes, less "
                       "than %zu",
                       m->len, sizeof(h));
    memcpy(&h, m->data, sizeof(h));
    if (h.wr_cnt == 0 || h.wr_cnt > VFIO_USER_MULTI_MAX)
        return td_fail(EINVAL,
                       "REGION_WRITE_MULTI: wr_cnt %llu is outside [1, %u]",
                       (unsigned long long)h.wr_cnt, VFIO_USER_MULTI_MAX);
    want = sizeof(h) + (size_t)h.wr_cnt * ENTRY_SIZE;
    if (m->len != want)
        return td_fail(EINVAL,
                       "REGION_WRITE_MULTI: payload of %zu bytes, expected "
                       "%zu for wr_cnt %llu",
                       m->len, want, (unsigned long long)h.wr_cnt);
    for (i = 0; i < h.wr_cnt; i++) {
        struct vfio_user_write_multi_entry e;
        struct vfio_user_region_access a;
        char what[64];
        int err;

        memcpy(&e, m->data + sizeof(h) + i * sizeof(e), sizeof(e));
        snprintf(what, sizeof(what), "REGION_WRITE_MULTI entry %llu",
                 (unsigned long long)i);
        if (e.count > VFIO_USER_MULTI_DATA)
            return td_fail(EINVAL, "%s: count %u is above %u", what, e.count,
                           VFIO_USER_MULTI_DATA);
        a = (struct vfio_user_region_access){
            .offset = e.offset,
            .region = e.region,
            .count = e.count,
        };
        err = check_access(td, &a, true, what);
        if (err)
            return err;
    }
    *wr_cnt = h.wr_cnt;
    return 0;
}

int handle_region_write_multi(struct testdev *td, struct td_msg *m,
                              struct td_reply *r)
{
    struct vfio_user_write_multi *out;
    uint64_t wr_cnt = 0, i;
    int err = check_multi(td, m, &wr_cnt);

    if (err)
        return err;
    for (i = 0; i < wr_cnt; i++) {
        struct vfio_user_write_multi_entry e;
        struct vfio_user_region_access a;

        /* Work an earlier entry deferred runs before this one, as it
         * would between two REGION_WRITEs; the last entry's runs after the
         * reply, like a REGION_WRITE's. */
        if (td->deferred) {
            int rc = td_run_deferred(td);

            if (rc < 0) {
                td_note("the deferred work of entry %llu broke the "
                        "connection; "
                        "entries %llu.. not applied",
                        (unsigned long long)(i - 1), (unsigned long long)i);
                r->vanish = true;
                return 0;
            }
        }
        memcpy(&e,
               m->data + sizeof(struct vfio_user_write_multi) + i * sizeof(e),
               sizeof(e));
        a = (struct vfio_user_region_access){
            .offset = e.offset,
            .region = e.region,
            .count = e.count,
        };
        region_access(td, &a, e.data, true);
        if (td->vanish) {
            td->vanish = false;
            td->deferred = false;
            td_note("entry %llu crashed the device; entries after it not "
                    "applied",
                    (unsigned long long)i);
            r->vanish = true;
            return 0;
        }
    }
    if (td->deferred)
        td_note("%s in the last entry: runs after this reply",
                td->deferred_what);
    out = td_reply_alloc(r, sizeof(*out));
    out->wr_cnt = wr_cnt;
    return 0;
}

/* ---- Device and region information --------------------------------------- */

int handle_device_get_info(struct testdev *td, struct td_msg *m,
                           struct td_reply *r)
{
    struct vfio_user_device_info req, *info;

    if (m->len != sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_INFO: payload of %zu bytes, "
                       "expected %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.argsz < sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_INFO: argsz %u is smaller than "
                       "the %zu-byte reply",
                       req.argsz, sizeof(req));
    if (req.flags || req.num_regions || req.num_irqs)
        return td_fail(EINVAL, "DEVICE_GET_INFO: flags, num_regions and "
                               "num_irqs must be zero in a request");

    info = td_reply_alloc(r, sizeof(*info));
    info->argsz = sizeof(*info);
    info->flags = VFIO_USER_DEVICE_FLAGS_PCI |
                  (td->pers->device_flags & VFIO_USER_DEVICE_FLAGS_RESET);
    if (td->opt.no_reset)
        info->flags &= ~(uint32_t)VFIO_USER_DEVICE_FLAGS_RESET;
    info->num_regions = VFIO_USER_PCI_NUM_REGIONS;
    info->num_irqs = VFIO_USER_PCI_NUM_IRQS;
    return 0;
}

/* Full region info: the structure and its sparse mmap capability. */
struct full_info {
    struct vfio_user_region_info info;
    struct vfio_user_info_cap_header cap;
    struct vfio_user_region_info_cap_sparse_mmap sparse;
    struct vfio_user_region_sparse_mmap_area area[TD_MAX_SPARSE_AREAS];
} __attribute__((packed));

int handle_region_info(struct testdev *td, struct td_msg *m, struct td_reply *r)
{
    struct vfio_user_region_info req;
    struct full_info full;
    const struct td_region *rg;
    size_t full_len = sizeof(full.info), reply_len;
    bool mappable;
    uint32_t i;

    if (m->len != sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_INFO: payload of %zu "
                       "bytes, expected %zu",
                       m->len, sizeof(req));
    memcpy(&req, m->data, sizeof(req));
    if (req.argsz < sizeof(req))
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_INFO: argsz %u is smaller "
                       "than the %zu-byte region info",
                       req.argsz, sizeof(req));
    if (req.flags || req.cap_offset || req.size || req.offset)
        return td_fail(EINVAL, "DEVICE_GET_REGION_INFO: fields other than "
                               "argsz and index must be zero");
    if (req.index >= VFIO_USER_PCI_NUM_REGIONS)
        return td_fail(EINVAL,
                       "DEVICE_GET_REGION_INFO: region %u does not "
                       "exist (%u regions)",
                       req.index, VFIO_USER_PCI_NUM_REGIONS);

    /* A client that takes no fds cannot map anything: the region is then
     * offered as a trapped one rather than sending an fd it did not allow. */
    rg = &td->regions[req.index];
    mappable = rg->mmap_fd >= 0 && td->conn.peer_max_msg_fds >= 1;

    memset(&full, 0, sizeof(full));
    full.info.flags = rg->flags;
    full.info.index = req.index;
    full.info.size = rg->size;
    if (mappable) {
        full.info.flags |= VFIO_USER_REGION_INFO_FLAG_MMAP;
        full.info.offset = 0;
        r->fds[0] = rg->mmap_fd;
        r->nfds = 1;
    }
    if (mappable && rg->nareas) {
        full_len = sizeof(full) -
                   (TD_MAX_SPARSE_AREAS - rg->nareas) * sizeof(full.area[0]);
        full.info.flags |= VFIO_USER_REGION_INFO_FLAG_CAPS;
        full.cap.id = VFIO_USER_REGION_INFO_CAP_SPARSE_MMAP;
        full.cap.version = 1;
        full.cap.next = 0;
        full.sparse.nr_areas = rg->nareas;
        for (i = 0; i < rg->nareas; i++)
            full.area[i] = rg->areas[i];
    }
    full.info.argsz = (uint32_t)full_len;
    /* "Message sizes": when argsz is too small, the reply says in argsz how
     * much is needed and is cut to the client's argsz. The capability is
     * then left out (zeros, cap_offset 0, as vfio-pci does) rather than
     * sent in part, but the fd still comes along: the client must close it
     * before retrying. */
    if (req.argsz >= full_len) {
        if (full_len > sizeof(full.info))
            full.info.cap_offset = sizeof(full.info);
        reply_len = full_len;
    } else {
        memset(&full.cap, 0, full_len - sizeof(full.info));
        reply_len = req.argsz;
    }
    memcpy(td_reply_alloc(r, reply_len), &full, reply_len);
    return 0;
}

int handle_device_reset(struct testdev *td, struct td_msg *m,
                        struct td_reply *r)
{
    if (m->len)
        return td_fail(EINVAL, "DEVICE_RESET: unexpected %zu-byte payload",
                       m->len);
    if (td->opt.no_reset)
        return td_fail(ENOTSUP, "DEVICE_RESET: this device does not "
                                "support reset (--no-reset)");
    if (!(td->pers->device_flags & VFIO_USER_DEVICE_FLAGS_RESET))
        return td_fail(ENOTSUP,
                       "DEVICE_RESET: device %s does not support "
                       "reset",
                       td->pers->name);
    device_reset(td);
    /* As a VFIO device reset does: any migration data session ends and the
     * device runs again, which is also the one way out of ERROR. */
    if (td->mig.state != VFIO_USER_DEVICE_STATE_RUNNING)
        td_note("migration state %s -> RUNNING", mig_state_name(td->mig.state));
    mig_release(&td->mig);
    td_reply_alloc(r, 0);
    return 0;
}
