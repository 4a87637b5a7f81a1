/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A small userspace NVMe driver on libvuc, for an NVMe controller served
 * over vfio-user. It does what a kernel or SPDK driver does for a local
 * PCIe controller, in the order the NVMe Base Specification gives
 * ("Controller Initialization", 7.6.1): PCI set-up, reset, CAP, admin
 * queues, enable, Identify, Number of Queues, I/O queue pairs with one
 * MSI-X vector each, and a CC.SHN shutdown at the end.
 *
 * It runs on the caller's libevent base, single-threaded like libvuc.
 * Commands complete through callbacks, from interrupts (libvuc's MSI-X or
 * INTx callbacks) or, with poll, from nvme_drv_process() reaping the
 * completion queues itself. A command the controller does not complete in
 * time is aborted (Abort command); if that does not bring it back either,
 * its callback gets -ETIMEDOUT and its slot stays out of use, since the
 * controller may still write to its buffer.
 */
#ifndef VUC_EXAMPLES_NVME_DRV_H
#define VUC_EXAMPLES_NVME_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nvme_spec.h"

struct event_base;
struct vuc_client;
struct vuc_dma_map;

struct nvme_drv_opts {
    unsigned nr_queues;  /* I/O queue pairs wanted (1..64) */
    unsigned qdepth;     /* entries per I/O queue, capped by CAP.MQES */
    bool poll;           /* reap completions by polling, no interrupts */
    bool intx;           /* INTx even where MSI-X is available */
    bool noshare;        /* DMA by DMA_READ/DMA_WRITE messages only */
    unsigned timeout_ms; /* per command before Abort; 0: 5000 */
    bool verbose;        /* log libvuc's warnings and errors to stderr */
};

struct nvme_drv;

/**
 * A command's end. err is 0 when the controller completed it (status then
 * holds the CQE status field without the phase bit, dw0 its DW0),
 * -ETIMEDOUT when it did not complete in time (aborted or abandoned),
 * -ECONNRESET when the connection was lost, -ECANCELED when the driver
 * was closed first. A callback may submit commands, but must not close
 * the driver.
 */
typedef void (*nvme_cmd_cb)(void *arg, int err, uint16_t status, uint32_t dw0);

/**
 * Connect to the socket and bring the controller up.
 * @param out receives the driver; on failure NULL, with the reason in err.
 * @return 0 or a negative errno.
 */
int nvme_drv_open(struct event_base *base, const char *socket,
                  const struct nvme_drv_opts *opts, struct nvme_drv **out,
                  char *err, size_t errlen);

/**
 * Shut the controller down (CC.SHN, waiting for CSTS.SHST within CAP.TO)
 * if the connection is alive, then free everything. Commands in flight get
 * -ECANCELED.
 * @return 0, or a negative errno when the shutdown did not complete (the
 * driver is freed anyway; nvme_drv_close_error() is gone with it, so the
 * reason is copied to err).
 */
int nvme_drv_close(struct nvme_drv *d, char *err, size_t errlen);

/** What failed last, in words. Owned by the driver. */
const char *nvme_drv_error(const struct nvme_drv *d);

/** The libvuc client, for statistics. */
struct vuc_client *nvme_drv_client(const struct nvme_drv *d);

/* What bring-up found. */
struct nvme_drv_info {
    uint64_t cap;
    uint32_t vs;
    uint32_t page_size;  /* the memory page size the driver chose */
    uint32_t max_xfer;   /* bytes per command: MDTS and the driver's cap */
    uint32_t nsid;       /* the namespace the driver uses: the first active */
    uint64_t nsze;       /* its size in blocks */
    uint32_t lba_size;   /* bytes */
    unsigned nr_queues;  /* I/O queue pairs created */
    unsigned qdepth;     /* entries per I/O queue */
    unsigned nr_vectors; /* MSI-X vectors in use; 0: INTx or polling */
    bool intx;
    bool write_zeroes;      /* ONCS says the controller has it */
    const uint8_t *id_ctrl; /* Identify Controller, 4096 bytes */
    const uint8_t *id_ns;   /* Identify Namespace of nsid, 4096 bytes */
};
const struct nvme_drv_info *nvme_drv_info(const struct nvme_drv *d);

/* ---- DMA buffers --------------------------------------------------------- */

struct nvme_buf {
    void *va;
    uint64_t iova;
    size_t size;
    struct vuc_dma_map *map;
};

/** Allocate zeroed DMA memory the controller may read and write. */
int nvme_buf_alloc(struct nvme_drv *d, size_t size, struct nvme_buf *b);
void nvme_buf_free(struct nvme_drv *d, struct nvme_buf *b);

/* ---- Commands ------------------------------------------------------------ */

/**
 * Submit an I/O command on queue pair q (0-based) for the driver's
 * namespace: opc NVME_CMD_READ, _WRITE, _FLUSH or _WRITE_ZEROES, nlb
 * blocks from slba, data [iova, iova + len) in a buffer from
 * nvme_buf_alloc() (len 0 for commands without data).
 * @return 0 (cb fires later), -EAGAIN when the queue is full, -EINVAL,
 * -ENOTCONN.
 */
int nvme_io_submit(struct nvme_drv *d, unsigned q, uint8_t opc, uint64_t slba,
                   uint32_t nlb, uint64_t iova, size_t len, nvme_cmd_cb cb,
                   void *arg);

/**
 * Submit an admin command (cid and PRPs are filled in here) with data
 * [iova, iova + len), len 0 for none.
 */
int nvme_admin_submit(struct nvme_drv *d, const struct nvme_sqe *cmd,
                      uint64_t iova, size_t len, nvme_cmd_cb cb, void *arg);

/**
 * Hold doorbell writes back until nvme_drv_unplug(), which writes one per
 * queue: a batch of submissions then reaches the controller as one (a
 * doorbell carries the tail it was written with, so a controller that
 * takes doorbells one at a time would otherwise see the batch one command
 * at a time). Commands submitted from completion callbacks are batched so
 * anyway.
 */
void nvme_drv_plug(struct nvme_drv *d);
void nvme_drv_unplug(struct nvme_drv *d);

/**
 * Let completions happen: run the event loop once (blocking until an
 * event when block is set and interrupts are used) and, when polling,
 * reap every completion queue.
 * @return 0, or -ECONNRESET once the connection is lost.
 */
int nvme_drv_process(struct nvme_drv *d, bool block);

/** Commands submitted and not yet ended, on every queue. */
unsigned nvme_drv_inflight(const struct nvme_drv *d);

/**
 * Blocking versions: submit, then process until the command ends.
 * @return 0 when the controller completed it with success, -EIO when it
 * completed it with an error (*status says which), or the callback's err.
 */
int nvme_admin_sync(struct nvme_drv *d, const struct nvme_sqe *cmd,
                    uint64_t iova, size_t len, uint16_t *status, uint32_t *dw0);
int nvme_io_sync(struct nvme_drv *d, unsigned q, uint8_t opc, uint64_t slba,
                 uint32_t nlb, uint64_t iova, size_t len, uint16_t *status);

/** A CQE status (without the phase bit) in words, e.g. "LBA Out of Range
 * (SCT 0, SC 0x80)". Static or thread-local storage. */
const char *nvme_status_str(uint16_t status);

/** How many Abort commands the driver sent, and how many completions the
 * controller returned that matched no outstanding command. */
struct nvme_drv_stats {
    uint64_t aborts_sent;
    uint64_t timeouts;
    uint64_t doorbells;
    uint64_t interrupts;
};
void nvme_drv_stats(const struct nvme_drv *d, struct nvme_drv_stats *out);

#endif
