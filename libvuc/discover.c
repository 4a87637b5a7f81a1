/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Connecting: socket, VERSION, then DEVICE_GET_INFO and every region's and
 * irq index's info, pipelined, into the client's cache. The connect
 * completes once, when all of it is known (and mappable regions are mapped,
 * unless the user said otherwise). Also the getters of what it found.
 * It runs past 800 lines because every phase, from the server's accept to
 * the last region's info, shares the one connect op defined here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "conn.h"
#include "connector.h"
#include "discover.h"
#include "dma.h"
#include "irq.h"
#include "negotiate.h"
#include "reconnect.h"
#include "region.h"
#include "wire.h"

/* Enough for a region with a sparse cap of a dozen areas and a type cap, so
 * that one round trip usually does it; larger replies ask again. */
#define REGION_INFO_ARGSZ 512u
/* A server that keeps raising argsz is not converging. */
#define REGION_INFO_TRIES 3u

enum connect_phase {
    PHASE_SOCKET,  /* waiting for the server to accept the connection */
    PHASE_INFO,    /* device, region and irq info */
    PHASE_POSTING, /* BAR types and ioeventfds, once region info is known */
    PHASE_RESTORE, /* a reconnect: DMA maps and eventfds set up again */
};

struct vuc_connect_op {
    vuc_done_cb cb;
    void *arg;
    unsigned outstanding;
    enum connect_phase phase;
    bool restore;
    struct vuc_connector sock; /* PHASE_SOCKET only */
    int timeout_ms;
};

#define CFG VFIO_USER_PCI_CONFIG_REGION_INDEX
#define PCI_BASE_ADDRESS_0 0x10u
/* ioeventfds taken per region; more are ignored with a log line. */
#define IOFDS_MAX 64u
#define IOFDS_ARGSZ (16u + 16u * 48u)

static int send_phase2(struct vuc_client *c);

static void connect_finish(struct vuc_client *c, int rc)
{
    struct vuc_connect_op *op = c->connecting;

    if (op == NULL) {
        return;
    }
    c->connecting = NULL;
    vuc_connector_cancel(&op->sock);
    if (rc < 0) {
        /* Closing completes the other discovery requests; keep the text of
         * what went wrong first. */
        char cause[sizeof(c->errbuf)];
        memcpy(cause, c->errbuf, sizeof(cause));
        vuc_conn_close(c, rc);
        vuc_held_restore(c);
        memcpy(c->errbuf, cause, sizeof(cause));
    } else {
        c->connected = true;
        c->errbuf[0] = '\0';
    }
    op->cb(c, rc, op->arg);
    free(op);
}

static void connect_abort(struct vuc_client *c, int err)
{
    connect_finish(c, err);
}

static void restore_step_done(struct vuc_client *c, int rc, void *arg);

static void restore_irqs_done(struct vuc_client *c, int rc, void *arg)
{
    if (rc < 0 && c->connecting != NULL) {
        char cause[sizeof(c->errbuf)];
        memcpy(cause, c->errbuf, sizeof(cause));
        vuc_fail(c, rc,
                 "reconnect: giving the vectors their eventfds again "
                 "failed: %s",
                 cause);
    }
    restore_step_done(c, rc, arg);
}

/* A reconnect: once the device is known to be the same one, map every DMA
 * map and give every vector its eventfd again; both go out at once. */
static int send_restore(struct vuc_client *c)
{
    struct vuc_connect_op *op = c->connecting;
    int rc = vuc_held_return(c);

    if (rc < 0) {
        return rc;
    }
    rc = vuc_dma_restore(c, restore_step_done, NULL);
    if (rc < 0) {
        return rc;
    }
    op->outstanding += rc == 0;
    rc = vuc_irq_reapply(c, true, restore_irqs_done, NULL);
    if (rc < 0) {
        return rc;
    }
    op->outstanding += rc == 0;
    return 0;
}

static void discovery_step_done(struct vuc_client *c)
{
    struct vuc_connect_op *op = c->connecting;

    if (op == NULL || --op->outstanding > 0) {
        return;
    }
    if (op->phase == PHASE_INFO) {
        op->phase = PHASE_POSTING;
        op->outstanding = 1; /* held while phase 2 is being sent */
        int rc = send_phase2(c);
        if (rc < 0) {
            connect_finish(c, rc);
            return;
        }
        if (--op->outstanding > 0) {
            return;
        }
    }
    if (op->phase == PHASE_POSTING && c->held != NULL) {
        op->phase = PHASE_RESTORE;
        op->outstanding = 1; /* held while the restore is being sent */
        int rc = send_restore(c);
        if (rc < 0) {
            connect_finish(c, rc);
            return;
        }
        if (--op->outstanding > 0) {
            return;
        }
    }
    if (c->opts.auto_mmap) {
        for (uint32_t i = 0; i < c->dev.num_regions; i++) {
            const struct vuc_region_info *ri = &c->regions[i].info;
            if ((ri->flags & VFIO_USER_REGION_INFO_FLAG_MMAP) && ri->has_fd &&
                ri->size > 0 && vuc_region_mmap(c, i) < 0) {
                /* Messages still reach the region; say why it is slower. */
                vuc_log(c, VUC_LOG_WARNING, "%s not mapped: %s",
                        vuc_region_name(i), c->errbuf);
            }
        }
    }
    connect_finish(c, 0);
}

static void restore_step_done(struct vuc_client *c, int rc, void *arg)
{
    if (c->connecting == NULL) {
        return; /* the reconnect already failed */
    }
    if (rc < 0) {
        connect_finish(c, rc);
        return;
    }
    discovery_step_done(c);
}

/* ---- Region and irq info ------------------------------------------------- */

static int send_region_info(struct vuc_client *c, uint32_t index,
                            uint32_t argsz, uint32_t tries);

static void region_info_reply(struct vuc_client *c, struct vuc_req *req,
                              struct vuc_reply *r)
{
    struct vuc_wire_err err;
    struct vuc_region_info info;
    uint32_t need = 0;
    uint32_t index = req->index;

    if (c->connecting == NULL) {
        return; /* the connect already failed */
    }
    if (r->err < 0) {
        connect_finish(c, r->err);
        return;
    }
    int rc = vuc_wire_dec_region_info_reply(r->payload, r->len, r->nfds, index,
                                            req->argsz, &info, &need, &err);
    if (rc < 0) {
        connect_finish(c, vuc_fail(c, rc, "%s", err.text));
        return;
    }
    if (rc == 1) {
        /* The short reply's fd (if any) is closed by conn.c on return. */
        if (req->count + 1 >= REGION_INFO_TRIES) {
            connect_finish(c,
                           vuc_fail(c, -EPROTO,
                                    "DEVICE_GET_REGION_INFO for %s: the "
                                    "server asked for a larger reply %u "
                                    "times",
                                    vuc_region_name(index), REGION_INFO_TRIES));
            return;
        }
        rc = send_region_info(c, index, need, req->count + 1);
        if (rc < 0) {
            connect_finish(c, rc);
        }
        return; /* still outstanding */
    }
    /* Flags are output-only and grow (a write-combining hint was proposed
     * for vfio's): bits we do not know are reported, not refused. */
    uint32_t unknown = info.flags & ~(VFIO_USER_REGION_INFO_FLAG_READ |
                                      VFIO_USER_REGION_INFO_FLAG_WRITE |
                                      VFIO_USER_REGION_INFO_FLAG_MMAP |
                                      VFIO_USER_REGION_INFO_FLAG_CAPS);
    if (unknown != 0 && !c->region_flags_logged) {
        c->region_flags_logged = true;
        vuc_log(c, VUC_LOG_INFO,
                "DEVICE_GET_REGION_INFO for %s: flags 0x%x are unknown to "
                "libvuc and ignored (logged once per client)",
                vuc_region_name(index), unknown);
    }
    struct vuc_region *reg = &c->regions[index];
    reg->info = info;
    if (info.has_fd) {
        reg->fd = r->fds[0];
        r->fds[0] = -1;
    }
    discovery_step_done(c);
}

static int send_region_info(struct vuc_client *c, uint32_t index,
                            uint32_t argsz, uint32_t tries)
{
    uint8_t p[sizeof(struct vfio_user_region_info)];
    ssize_t n = vuc_wire_enc_region_info(p, sizeof(p), index, argsz);
    int rc;
    struct vuc_req *req = vuc_req_send(c, VFIO_USER_DEVICE_GET_REGION_INFO, p,
                                       n, VUC_TIMEOUT_DEFAULT,
                                       region_info_reply, NULL, NULL, 0, &rc);
    if (req == NULL) {
        return rc;
    }
    req->index = index;
    req->argsz = argsz;
    req->count = tries;
    return 0;
}

static void irq_info_reply(struct vuc_client *c, struct vuc_req *req,
                           struct vuc_reply *r)
{
    struct vuc_wire_err err;

    if (c->connecting == NULL) {
        return;
    }
    if (r->err < 0) {
        connect_finish(c, r->err);
        return;
    }
    int rc = vuc_wire_dec_irq_info_reply(
        r->payload, r->len, r->nfds, req->index, &c->irqs[req->index], &err);
    if (rc < 0) {
        connect_finish(c, vuc_fail(c, rc, "%s", err.text));
        return;
    }
    discovery_step_done(c);
}

static int send_irq_info(struct vuc_client *c, uint32_t index)
{
    uint8_t p[sizeof(struct vfio_user_irq_info)];
    ssize_t n = vuc_wire_enc_irq_info(p, sizeof(p), index);
    int rc;
    struct vuc_req *req =
        vuc_req_send(c, VFIO_USER_DEVICE_GET_IRQ_INFO, p, n,
                     VUC_TIMEOUT_DEFAULT, irq_info_reply, NULL, NULL, 0, &rc);
    if (req == NULL) {
        return rc;
    }
    req->index = index;
    return 0;
}

/* ---- Phase 2: what posting needs ----------------------------------------- */

static void bars_reply(struct vuc_client *c, struct vuc_req *req,
                       struct vuc_reply *r)
{
    struct vuc_wire_err err;
    const uint8_t *data;

    if (c->connecting == NULL) {
        return;
    }
    if (r->err < 0 && r->hdr == NULL) {
        connect_finish(c, r->err);
        return;
    }
    if (r->err < 0) {
        /* Unknown BAR types: no BAR write will be posted. */
        vuc_log(c, VUC_LOG_INFO, "cannot read the BAR registers: %s",
                strerror(-r->err));
    } else if (vuc_wire_dec_region_read_reply(r->payload, r->len, r->nfds, CFG,
                                              PCI_BASE_ADDRESS_0, 24, &data,
                                              &err) < 0) {
        connect_finish(c, vuc_fail(c, -EPROTO, "%s", err.text));
        return;
    } else {
        for (unsigned i = 0; i < 6 && i < c->dev.num_regions; i++) {
            uint32_t bar;
            memcpy(&bar, data + 4 * i, 4);
            /* Bit 0 set is I/O space; the upper half of a 64-bit BAR is
             * a region of size 0 and never written. */
            c->post.bar_mem[i] = !(bar & 1) && c->regions[i].info.size > 0;
            /* Bit 3 of a memory BAR: prefetchable (PCI 3.0, 6.2.5.1). */
            c->wc.bar_prefetch[i] = c->post.bar_mem[i] && (bar & 8);
        }
    }
    discovery_step_done(c);
}

static int send_io_fds(struct vuc_client *c, uint32_t index, uint32_t argsz,
                       uint32_t tries);

static int keep_io_fds(struct vuc_client *c, uint32_t index,
                       const struct vuc_wire_io_fd *e, uint32_t n,
                       const int *fds)
{
    struct vuc_region *reg = &c->regions[index];

    reg->ioev = calloc(n ? n : 1, sizeof(*reg->ioev));
    reg->ioev_fd = calloc(n ? n : 1, sizeof(*reg->ioev_fd));
    if (reg->ioev == NULL || reg->ioev_fd == NULL) {
        return vuc_fail(c, -ENOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < n; i++) {
        if (e[i].type != VFIO_USER_IO_FD_TYPE_IOEVENTFD ||
            (e[i].flags & (VFIO_USER_IOEVENTFD_FLAG_PIO |
                           VFIO_USER_IOEVENTFD_FLAG_VIRTIO_CCW_NOTIFY))) {
            /* ioregionfd has no settled protocol to speak ("FIXME" in the
             * specification) and PIO/CCW notify do not apply to a region
             * accessed by offset: these stay on the socket. */
            vuc_log(c, VUC_LOG_INFO,
                    "%s: ignoring io fd %u (type %u, flags 0x%x) at 0x%llx",
                    vuc_region_name(index), i, e[i].type, e[i].flags,
                    (unsigned long long)e[i].offset);
            continue;
        }
        int fd = fcntl(fds[e[i].fd_index], F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
            return vuc_fail(c, -errno, "%s: ioeventfd: %s",
                            vuc_region_name(index), strerror(errno));
        }
        unsigned k = reg->niofds++;
        reg->ioev_fd[k] = fd;
        reg->ioev[k] = (struct vuc_ioeventfd){
            e[i].offset, e[i].size,
            (e[i].flags & VFIO_USER_IOEVENTFD_FLAG_DATAMATCH) != 0,
            e[i].datamatch};
    }
    return 0;
}

static void io_fds_reply(struct vuc_client *c, struct vuc_req *req,
                         struct vuc_reply *r)
{
    struct vuc_wire_io_fd e[IOFDS_MAX];
    struct vuc_wire_err err;
    uint32_t n = 0, need = 0, index = req->index;

    if (c->connecting == NULL) {
        return;
    }
    if (r->err < 0 && r->hdr == NULL) {
        connect_finish(c, r->err);
        return;
    }
    if (r->err < 0) {
        /* An optional feature: a server without it says so. */
        vuc_log(c, VUC_LOG_DEBUG, "%s: no io fds (%s)", vuc_region_name(index),
                strerror(-r->err));
        discovery_step_done(c);
        return;
    }
    int rc = vuc_wire_dec_region_io_fds_reply(
        r->payload, r->len, r->nfds, index, c->regions[index].info.size,
        req->argsz, e, IOFDS_MAX, &n, &need, &err);
    if (rc == 1) {
        rc = req->count + 1 >= 3
                 ? vuc_fail(c, -EPROTO,
                            "DEVICE_GET_REGION_IO_FDS for %s: the server "
                            "asked for a larger reply 3 times",
                            vuc_region_name(index))
                 : send_io_fds(c, index, need, req->count + 1);
        if (rc < 0) {
            connect_finish(c, rc);
        }
        return;
    }
    if (rc < 0) {
        connect_finish(c, vuc_fail(c, rc, "%s", err.text));
        return;
    }
    rc = keep_io_fds(c, index, e, n, r->fds);
    if (rc < 0) {
        connect_finish(c, rc);
        return;
    }
    discovery_step_done(c);
}

static int send_io_fds(struct vuc_client *c, uint32_t index, uint32_t argsz,
                       uint32_t tries)
{
    uint8_t p[sizeof(struct vfio_user_region_io_fds_request)];
    ssize_t n = vuc_wire_enc_region_io_fds(p, sizeof(p), index, argsz);
    int rc;
    struct vuc_req *req =
        vuc_req_send(c, VFIO_USER_DEVICE_GET_REGION_IO_FDS, p, n,
                     VUC_TIMEOUT_DEFAULT, io_fds_reply, NULL, NULL, 0, &rc);
    if (req == NULL) {
        return rc;
    }
    req->index = index;
    req->argsz = argsz;
    req->count = tries;
    if (tries == 0) {
        c->connecting->outstanding++;
    }
    return 0;
}

static int send_phase2(struct vuc_client *c)
{
    const struct vuc_region_info *cfg =
        CFG < c->dev.num_regions ? &c->regions[CFG].info : NULL;
    int rc;

    if ((c->dev.flags & VFIO_USER_DEVICE_FLAGS_PCI) && cfg != NULL &&
        (cfg->flags & VFIO_USER_REGION_INFO_FLAG_READ) &&
        cfg->size >= PCI_BASE_ADDRESS_0 + 24) {
        uint8_t p[sizeof(struct vfio_user_region_access)];
        ssize_t n =
            vuc_wire_enc_region_read(p, sizeof(p), CFG, PCI_BASE_ADDRESS_0, 24);
        if (vuc_req_send(c, VFIO_USER_REGION_READ, p, n, VUC_TIMEOUT_DEFAULT,
                         bars_reply, NULL, NULL, 0, &rc) == NULL) {
            return rc;
        }
        c->connecting->outstanding++;
    }
    for (uint32_t i = 0;
         i <= VFIO_USER_PCI_BAR5_REGION_INDEX && i < c->dev.num_regions; i++) {
        if (c->regions[i].info.size > 0 &&
            (rc = send_io_fds(c, i, IOFDS_ARGSZ, 0)) < 0) {
            return rc;
        }
    }
    return 0;
}

/* ---- Device info -------------------------------------------------------- */

static void device_info_reply(struct vuc_client *c, struct vuc_req *req,
                              struct vuc_reply *r)
{
    struct vuc_wire_err err;
    struct vuc_device_info dev;

    if (c->connecting == NULL) {
        return;
    }
    if (r->err < 0) {
        connect_finish(c, r->err);
        return;
    }
    int rc =
        vuc_wire_dec_device_info_reply(r->payload, r->len, r->nfds, &dev, &err);
    if (rc < 0) {
        connect_finish(c, vuc_fail(c, rc, "%s", err.text));
        return;
    }
    c->regions =
        calloc(dev.num_regions ? dev.num_regions : 1, sizeof(*c->regions));
    c->irqs = calloc(dev.num_irqs ? dev.num_irqs : 1, sizeof(*c->irqs));
    if (c->regions == NULL || c->irqs == NULL ||
        vuc_irq_setup(c, dev.num_irqs) < 0) {
        connect_finish(c, vuc_fail(c, -ENOMEM, "out of memory"));
        return;
    }
    c->dev = dev;
    for (uint32_t i = 0; i < dev.num_regions; i++) {
        c->regions[i].fd = -1;
    }

    /* One step for this reply, so that the count cannot reach zero while
     * the requests below are still being sent. */
    c->connecting->outstanding = 1 + dev.num_regions + dev.num_irqs;
    for (uint32_t i = 0; i < dev.num_regions; i++) {
        rc = send_region_info(c, i, REGION_INFO_ARGSZ, 0);
        if (rc < 0) {
            connect_finish(c, rc);
            return;
        }
    }
    for (uint32_t i = 0; i < dev.num_irqs; i++) {
        rc = send_irq_info(c, i);
        if (rc < 0) {
            connect_finish(c, rc);
            return;
        }
    }
    discovery_step_done(c);
}

void vuc_connect_negotiated(struct vuc_client *c, int rc)
{
    if (c->connecting == NULL) {
        return;
    }
    if (rc < 0) {
        connect_finish(c, rc);
        return;
    }
    uint8_t p[sizeof(struct vfio_user_device_info)];
    ssize_t n = vuc_wire_enc_device_info(p, sizeof(p));
    if (vuc_req_send(c, VFIO_USER_DEVICE_GET_INFO, p, n, VUC_TIMEOUT_DEFAULT,
                     device_info_reply, NULL, NULL, 0, &rc) == NULL) {
        connect_finish(c, rc);
    }
}

/* ---- Cached state ------------------------------------------------------- */

const struct vuc_caps *vuc_get_caps(const struct vuc_client *client)
{
    return client->negotiated || client->connected ? &client->caps : NULL;
}

const char *vuc_server_json(const struct vuc_client *client)
{
    return client->server_json ? client->server_json : "";
}

const struct vuc_device_info *
vuc_get_device_info(const struct vuc_client *client)
{
    return client->connected ? &client->dev : NULL;
}

const struct vuc_region_info *
vuc_get_region_info(const struct vuc_client *client, uint32_t index)
{
    if (!client->connected || index >= client->dev.num_regions) {
        return NULL;
    }
    return &client->regions[index].info;
}

const struct vuc_irq_info *vuc_get_irq_info(const struct vuc_client *client,
                                            uint32_t index)
{
    if (!client->connected || index >= client->dev.num_irqs) {
        return NULL;
    }
    return &client->irqs[index];
}

const char *vuc_region_name(uint32_t index)
{
    static const char *const names[VFIO_USER_PCI_NUM_REGIONS] = {
        "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA",
    };
    static const char *const extra[] = {
        "REGION9",  "REGION10", "REGION11", "REGION12",
        "REGION13", "REGION14", "REGION15", "REGION16",
    };
    if (index < VFIO_USER_PCI_NUM_REGIONS) {
        return names[index];
    }
    if (index - VFIO_USER_PCI_NUM_REGIONS < sizeof(extra) / sizeof(extra[0])) {
        return extra[index - VFIO_USER_PCI_NUM_REGIONS];
    }
    return "REGION";
}

const char *vuc_irq_name(uint32_t index)
{
    static const char *const names[VFIO_USER_PCI_NUM_IRQS] = {
        "INTX", "MSI", "MSIX", "ERR", "REQ",
    };
    return index < VFIO_USER_PCI_NUM_IRQS ? names[index] : "IRQ";
}

/* ---- Connect ------------------------------------------------------------- */

void vuc_regions_release(struct vuc_client *c)
{
    vuc_region_unmap_all(c);
    for (uint32_t i = 0; c->regions != NULL && i < c->dev.num_regions; i++) {
        struct vuc_region *reg = &c->regions[i];
        if (reg->fd >= 0) {
            close(reg->fd);
            reg->fd = -1;
        }
        for (unsigned k = 0; k < reg->niofds; k++) {
            close(reg->ioev_fd[k]);
        }
        free(reg->ioev);
        free(reg->ioev_fd);
        reg->ioev = NULL;
        reg->ioev_fd = NULL;
        reg->niofds = 0;
    }
}

void vuc_discovery_clear(struct vuc_client *c)
{
    vuc_regions_release(c);
    vuc_irq_release_all(c);
    memset(c->post.bar_mem, 0, sizeof(c->post.bar_mem));
    memset(c->wc.bar_prefetch, 0, sizeof(c->wc.bar_prefetch));
    c->mig.probed = false;
    free(c->regions);
    free(c->irqs);
    c->regions = NULL;
    c->irqs = NULL;
    memset(&c->dev, 0, sizeof(c->dev));
}

static struct vuc_connect_op *connect_op_new(struct vuc_client *c, bool restore,
                                             vuc_done_cb cb, void *arg)
{
    struct vuc_connect_op *op = calloc(1, sizeof(*op));
    if (op == NULL) {
        vuc_fail(c, -ENOMEM, "out of memory");
        return NULL;
    }
    op->cb = cb;
    op->arg = arg;
    op->restore = restore;
    vuc_connector_init(&op->sock);
    return op;
}

/* The socket is connected: negotiate on it. On failure op is the caller's
 * again, and what a reconnect held is back in place. */
static int connect_on_fd(struct vuc_client *c, struct vuc_connect_op *op,
                         int fd)
{
    /* A new connection starts from nothing: the old one's mappings and
     * cached info describe a device we no longer talk to. A reconnect
     * holds what it will set up again first. */
    int rc = op->restore ? vuc_held_take(c) : 0;
    if (rc < 0) {
        close(fd);
        return rc;
    }
    vuc_conn_release(c);
    vuc_discovery_clear(c);
    free(c->server_json);
    c->server_json = NULL;
    memset(&c->caps, 0, sizeof(c->caps));

    rc = vuc_conn_open(c, fd);
    if (rc == 0 && (rc = vuc_negotiate_start(c)) < 0) {
        vuc_conn_close(c, rc);
    }
    if (rc < 0) {
        vuc_held_restore(c);
        return rc;
    }
    op->phase = PHASE_INFO;
    op->outstanding = 1;
    c->connecting = op;
    return 0;
}

int vuc_connect_begin(struct vuc_client *c, int fd, bool restore,
                      vuc_done_cb cb, void *arg)
{
    if (c->connecting != NULL || c->connected) {
        close(fd);
        return vuc_fail(c, -EISCONN, "already connected");
    }
    if (cb == NULL) {
        close(fd);
        return vuc_fail(c, -EINVAL, "connect needs a completion callback");
    }
    struct vuc_connect_op *op = connect_op_new(c, restore, cb, arg);
    if (op == NULL) {
        close(fd);
        return -ENOMEM;
    }
    int rc = connect_on_fd(c, op, fd);
    if (rc < 0) {
        free(op);
    }
    return rc;
}

/* The server accepted, refused, or did not accept in time (from the loop). */
static void sock_connected(void *arg, int fd, int err)
{
    struct vuc_client *c = arg;
    struct vuc_connect_op *op = c->connecting;
    const char *path = op->sock.sa.sun_path;

    vuc_enter(c);
    c->connecting = NULL;
    if (err == -ETIMEDOUT) {
        vuc_fail(c, err,
                 "the server at %s did not accept the connection within "
                 "%d ms (its listen backlog is full: it is busy, hung, or "
                 "serves another client)",
                 path, op->timeout_ms);
    } else if (err < 0) {
        vuc_fail(c, err, "cannot connect to %s: %s", path, strerror(-err));
    } else if ((err = connect_on_fd(c, op, fd)) == 0) {
        vuc_leave(c);
        return;
    }
    op->cb(c, err, op->arg);
    free(op);
    vuc_leave(c);
}

static int connect_fd(struct vuc_client *c, int fd, bool restore,
                      vuc_done_cb cb, void *arg)
{
    vuc_begin(c);
    if (fd < 0) {
        return vuc_fail(c, -EBADF, "connect: invalid fd %d", fd);
    }
    return vuc_connect_begin(c, fd, restore, cb, arg);
}

static int connect_path(struct vuc_client *c, const char *path, bool restore,
                        vuc_done_cb cb, void *arg)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};

    vuc_begin(c);
    if (c->connecting != NULL || c->connected) {
        return vuc_fail(c, -EISCONN, "already connected");
    }
    if (path == NULL || path[0] == '\0') {
        return vuc_fail(c, -EINVAL, "connect: empty socket path");
    }
    if (strlen(path) >= sizeof(sa.sun_path)) {
        return vuc_fail(c, -ENAMETOOLONG,
                        "connect: socket path is longer than %zu bytes",
                        sizeof(sa.sun_path) - 1);
    }
    if (cb == NULL) {
        return vuc_fail(c, -EINVAL, "connect needs a completion callback");
    }
    strcpy(sa.sun_path, path);
    struct vuc_connect_op *op = connect_op_new(c, restore, cb, arg);
    if (op == NULL) {
        return -ENOMEM;
    }
    /* Even the socket's connect waits in the loop: a server that does not
     * accept must not stall the caller's other work. */
    op->timeout_ms = vuc_timeout_ms(c, VUC_TIMEOUT_DEFAULT);
    int rc = vuc_connector_start(&op->sock, c->base, &sa, op->timeout_ms,
                                 sock_connected, c);
    if (rc >= 0) {
        int fd = rc;
        rc = connect_on_fd(c, op, fd);
    } else if (rc == -EINPROGRESS) {
        op->phase = PHASE_SOCKET;
        c->connecting = op;
        return 0;
    } else {
        vuc_fail(c, rc, "cannot connect to %s: %s", path, strerror(-rc));
    }
    if (rc < 0) {
        free(op);
    }
    return rc;
}

int vuc_connect_fd_async(struct vuc_client *client, int fd, vuc_done_cb cb,
                         void *arg)
{
    return connect_fd(client, fd, false, cb, arg);
}

int vuc_connect_path_async(struct vuc_client *client, const char *path,
                           vuc_done_cb cb, void *arg)
{
    return connect_path(client, path, false, cb, arg);
}

int vuc_disconnect(struct vuc_client *client)
{
    struct vuc_client *c = client;

    vuc_begin(c);
    if (!c->connected && c->connecting == NULL) {
        return vuc_fail(c, -ENOTCONN, "disconnect: not connected");
    }
    /* Completions may free the client: hold it until they have run. */
    vuc_enter(c);
    vuc_fail(c, -ECANCELED, "disconnected by the caller");
    vuc_conn_close(c, -ECANCELED);
    vuc_leave(c);
    return 0;
}

int vuc_reconnect_fd_async(struct vuc_client *client, int fd, vuc_done_cb cb,
                           void *arg)
{
    return connect_fd(client, fd, true, cb, arg);
}

int vuc_reconnect_path_async(struct vuc_client *client, const char *path,
                             vuc_done_cb cb, void *arg)
{
    return connect_path(client, path, true, cb, arg);
}

static void discover_release(struct vuc_client *c)
{
    vuc_discovery_clear(c);
    free(c->server_json);
    c->server_json = NULL;
}

const struct vuc_feature vuc_discover_feature = {
    .name = "discover",
    .conn_closed = connect_abort,
    .release = discover_release,
};
