/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The benchmark's baseline: a minimal blocking vfio-user client. One
 * AF_UNIX socket, hand-built messages from <vuc/protocol.h>, blocking
 * send/recv, no event loop, and no checking beyond what keeps it in step
 * with the stream (sizes, ids, commands). It is the cheapest way to put a
 * message on the wire and get its answer back: what libvuc is compared
 * with.
 *
 * Every call returns 0 or a negative errno, with the reason in b->err.
 */
#ifndef VUC_BENCH_WIRE_H
#define VUC_BENCH_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_MAX_AREAS 4

/* Memory the baseline serves DMA_READ/DMA_WRITE from (never shared). */
struct bw_area {
    uint64_t iova;
    uint8_t *mem;
    uint64_t size;
};

struct bw {
    int fd;
    uint16_t next_id;
    uint32_t server_max_xfer; /* from the VERSION reply, else the default */
    bool write_multiple;      /* the VERSION reply granted it */
    char *server_json;        /* the VERSION reply's JSON, or NULL */
    /* The smaller of the two sides' max_data_xfer_size: the most data a
     * message may carry either way (libvuc's transfer size). */
    uint32_t xfer;
    /* Received bytes not consumed yet: rbuf[rhead, rtail). */
    uint8_t *rbuf;
    size_t rhead, rtail, rcap;
    struct bw_area areas[BW_MAX_AREAS];
    unsigned nareas;
    uint64_t dma_served;    /* DMA_READ/DMA_WRITE requests answered */
    uint64_t posted_errors; /* error replies to No_reply messages, dropped */
    char err[256];
};

/* Connect and negotiate (VERSION). timeout_ms bounds every later wait.
 * Call bw_close() afterwards even when this fails. */
int bw_connect(struct bw *b, const char *path, int timeout_ms);
void bw_close(struct bw *b);

/* One REGION_READ / REGION_WRITE message (count at most server_max_xfer):
 * send it, and separately wait for its reply, so that callers can keep
 * several in flight. Replies are expected in the order of the requests. */
int bw_read_send(struct bw *b, uint32_t region, uint64_t offset, uint32_t count,
                 uint16_t *id);
int bw_read_recv(struct bw *b, uint16_t id, void *buf, uint32_t count);
int bw_write_send(struct bw *b, uint32_t region, uint64_t offset,
                  const void *buf, uint32_t count, uint16_t *id);
int bw_write_recv(struct bw *b, uint16_t id);

/* Whole transfers, split at the server's max_data_xfer_size, one message
 * at a time. */
int bw_region_read(struct bw *b, uint32_t region, uint64_t offset, void *buf,
                   size_t len);
int bw_region_write(struct bw *b, uint32_t region, uint64_t offset,
                    const void *buf, size_t len);

/* Posted (No_reply) writes: one message, or a transfer split at the
 * server's max_data_xfer_size; nothing is waited for. */
int bw_write_post(struct bw *b, uint32_t region, uint64_t offset,
                  const void *buf, uint32_t count);
int bw_region_write_posted(struct bw *b, uint32_t region, uint64_t offset,
                           const void *buf, size_t len);
/* Posted REGION_WRITE_MULTI of n (1..VFIO_USER_MULTI_MAX) entries. */
struct vfio_user_write_multi_entry;
int bw_write_multi_post(struct bw *b,
                        const struct vfio_user_write_multi_entry *e,
                        unsigned n);
/* A round trip that confirms every earlier message was processed, the
 * same one libvuc's fence makes: a 2-byte read of config space, or
 * DEVICE_GET_INFO where there is none. */
int bw_confirm(struct bw *b, bool config);

/* DMA_MAP (fd -1 for none; flags VFIO_USER_F_DMA_REGION_*) and DMA_UNMAP. */
int bw_dma_map(struct bw *b, int fd, uint64_t iova, uint64_t size,
               uint32_t flags);
int bw_dma_unmap(struct bw *b, uint64_t iova, uint64_t size);

/* Serve DMA requests for [iova, iova + size) from mem (up to BW_MAX_AREAS). */
int bw_add_area(struct bw *b, uint64_t iova, void *mem, uint64_t size);

/* SET_IRQS: trigger eventfd efd for one vector. */
int bw_irq_set_eventfd(struct bw *b, uint32_t index, uint32_t vector, int efd);

/* DEVICE_FEATURE DMA_LOGGING_START of one range, and DMA_LOGGING_STOP, as
 * libvuc sends them (STOP carries the page size and no ranges). */
int bw_dirty_start(struct bw *b, uint64_t page_size, uint64_t iova,
                   uint64_t length);
int bw_dirty_stop(struct bw *b, uint64_t page_size);

/* DEVICE_FEATURE GET DMA_LOGGING_REPORT of [iova, iova + length): send it,
 * and separately receive its bitmap, which must be exactly bytes long
 * (8 * ceil(pages / 64)), straight into bitmap. Replies come in the order
 * of the requests. */
int bw_dirty_report_send(struct bw *b, uint64_t iova, uint64_t length,
                         uint64_t page_size, uint16_t *id);
int bw_dirty_report_recv(struct bw *b, uint16_t id, void *bitmap, size_t bytes);

/* DEVICE_FEATURE GET MIG_DEVICE_STATE, and SET of one arc of the state
 * machine (the caller walks paths). */
int bw_mig_get_state(struct bw *b, uint32_t *state);
int bw_mig_set_state(struct bw *b, uint32_t state);

/* One MIG_DATA_READ of size (1..xfer) bytes into buf; *got < size means
 * the end of the data. */
int bw_mig_read(struct bw *b, void *buf, uint32_t size, uint32_t *got);

#endif /* VUC_BENCH_WIRE_H */
