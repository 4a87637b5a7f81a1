/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVMe controller of vuc-testdev --device=nvme: an NVMe 1.4 controller
 * with one namespace, written from the NVMe Base Specification alone and
 * kept apart from the server by the small host interface below, so that
 * its logic (registers, queues, commands, PRPs, status codes) does not
 * depend on how the server frames messages.
 *
 *   nvme_ctrl.h   this interface and the controller's state
 *   nvme_defs.h   the specification's numbers, as the device uses them
 *   nvme_regs.c   BAR0: registers, CC/CSTS, doorbells, MSI-X table, PBA,
 *                 interrupt delivery
 *   nvme_queue.c  fetching commands, posting completions, the error log,
 *                 the run loop that the doorbells start
 *   nvme_admin.c  admin commands
 *   nvme_features.c  Get/Set Features and asynchronous events
 *   nvme_io.c     the namespace, its backing store, PRP walking and the
 *                 I/O commands
 *   dev_nvme.c    the binding to vuc-testdev's personality framework
 *
 * Work is never done inside a register write: a doorbell only records the
 * new value and asks for nvme_ctrl_run(), which the server calls once the
 * write has been answered (the commands it runs may DMA through messages,
 * which need the client to be listening).
 */
#ifndef VUC_TESTDEV_NVME_CTRL_H
#define VUC_TESTDEV_NVME_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Geometry of the device, for its PCI config space -------------------- */

#define NVMEC_MAX_IOQ 16u             /* I/O queue pairs */
#define NVMEC_NQ (NVMEC_MAX_IOQ + 1u) /* with the admin pair */
#define NVMEC_MSIX_VECTORS NVMEC_NQ   /* one per queue pair */
#define NVMEC_BAR0_SIZE 0x4000u       /* 16 KiB, a power of two */
#define NVMEC_MSIX_TABLE 0x3000u      /* BAR0 offset */
#define NVMEC_MSIX_PBA 0x3800u        /* BAR0 offset */
#define NVMEC_MAX_DSTRD 4u            /* doorbells end below the table */
#define NVMEC_MQES 1023u              /* largest queue: 1024 entries */
#define NVMEC_MDTS 9u                 /* 2 MiB transfers (4 KiB pages) */
#define NVMEC_HELD_MAX 64u            /* commands a quirk holds back */
#define NVMEC_ERRLOG 16u              /* error log entries kept */
#define NVMEC_AERL 3u                 /* 4 Asynchronous Event Requests */
#define NVMEC_AEN_MAX 4u
#define NVMEC_BURST 32u /* commands taken from an SQ at a time */

/* ---- What the controller needs of its host ------------------------------- */

/* PCI state the server owns (config space), as the controller needs it. */
struct nvmec_pci_state {
    bool memory;       /* COMMAND.MSE: BAR0 decodes */
    bool bus_master;   /* COMMAND.BME: the device may DMA */
    bool intx_disable; /* COMMAND.ID */
    bool msix_enable;
    bool msix_fmask; /* MSI-X function mask */
};

struct nvmec_host {
    void *ctx;
    /* Copy client memory. 0; a positive errno when this access failed (the
     * command ends with Data Transfer Error); a negative errno when the
     * connection must end. */
    int (*dma_read)(void *ctx, uint64_t iova, void *buf, uint32_t len);
    int (*dma_write)(void *ctx, uint64_t iova, const void *buf, uint32_t len);
    /* Whether [iova, + len) would be written through a shared mapping,
     * which the client may read concurrently (so order matters). */
    bool (*dma_direct)(void *ctx, uint64_t iova, uint32_t len);
    /* Signal MSI-X vector n, or INTx (vector 0) when msix is false. */
    void (*irq)(void *ctx, bool msix, uint32_t vector);
    void (*pci_state)(void *ctx, struct nvmec_pci_state *st);
    uint64_t (*now_ns)(void);
    void (*log)(void *ctx, const char *msg); /* verbose detail */
};

/* ---- Options
 * ----------------------------------------------------------------- */

enum nvmec_quirk {
    NVMEC_QUIRK_NONE = 0,
    /* I/O commands are fetched and never completed; Abort finds them and
     * completes them with Command Abort Requested. */
    NVMEC_QUIRK_STALL_IO,
    /* The same, but Abort never finds them (the controller lost them). */
    NVMEC_QUIRK_LOSE_IO,
};

struct nvmec_config {
    const char *backing; /* file, or NULL for memory */
    uint64_t size;       /* bytes; 0 with a file: the file's size */
    uint32_t lba_shift;  /* 9 or 12 */
    uint32_t dstrd;      /* CAP.DSTRD */
    uint32_t ready_ms;   /* CC.EN to CSTS.RDY, bounded by CAP.TO */
    enum nvmec_quirk quirk;
};

/* ---- State
 * -------------------------------------------------------------------- */

struct nvmec_sq {
    bool valid;
    uint64_t base;
    uint16_t size; /* entries */
    uint16_t head, tail;
    uint16_t cqid;
};

struct nvmec_cq {
    bool valid;
    bool ien;
    uint64_t base;
    uint16_t size;
    uint16_t head, tail;
    uint16_t phase;
    uint16_t iv;
    uint16_t nsq; /* SQs that complete into it */
    bool notify;  /* entries posted since its interrupt was last raised */
};

/* A command fetched and not completed (a quirk holds it). */
struct nvmec_held {
    uint16_t sqid, cid;
    bool aer; /* an Asynchronous Event Request, waiting for an event */
};

struct nvmec_errlog_entry {
    uint64_t count;
    uint16_t sqid, cid, status; /* status: the CQE field, phase bit 0 */
    uint64_t lba;
    uint32_t nsid;
};

struct nvmec_smart {
    uint64_t units_read, units_written; /* 512-byte units, unrounded */
    uint64_t host_reads, host_writes;
    uint64_t media_errors;
};

struct nvmec {
    struct nvmec_config cfg;
    const struct nvmec_host *host;
    /* The namespace. */
    uint64_t nsze;   /* blocks */
    int backing_fd;  /* -1: memory */
    uint8_t *mem;    /* memory backing */
    uint8_t *bounce; /* one largest transfer, for file backing */
    /* Registers. */
    uint64_t cap;
    uint32_t cc, csts, aqa, intms;
    uint64_t asq, acq;
    uint64_t ready_at_ns; /* CC.EN set: RDY reads 1 from then on */
    bool enabling;
    /* Queues; index 0 is the admin pair. */
    struct nvmec_sq sq[NVMEC_NQ];
    struct nvmec_cq cq[NVMEC_NQ];
    uint16_t nsqa, ncqa; /* allocated I/O queues, 0-based */
    bool queues_set;     /* Number of Queues was set since the reset */
    /* Features by FID (nvme_features.c), and per-vector configuration. */
    uint32_t feat[0x0c];
    uint32_t ivc[NVMEC_MSIX_VECTORS];
    uint32_t temp_over, temp_under; /* Kelvin */
    /* Asynchronous events waiting for a request (DW0 of its completion). */
    uint32_t aen[NVMEC_AEN_MAX];
    unsigned naen;
    bool aen_masked; /* an error event stands until the error log is read */
    bool work;       /* a doorbell asked for nvme_ctrl_run() */
    /* MSI-X table and pending bits. */
    uint32_t msix[NVMEC_MSIX_VECTORS][4];
    uint64_t pba;
    /* Completions not yet written, for CQs reached by messages: one
     * DMA_WRITE carries a run of adjacent entries. */
    struct {
        uint16_t cqid;
        unsigned n;
        uint64_t iova;
        uint8_t e[NVMEC_BURST * 16];
    } cqe_batch;
    /* Commands a quirk keeps. */
    struct nvmec_held held[NVMEC_HELD_MAX];
    unsigned nheld;
    /* Log pages. */
    struct nvmec_errlog_entry errlog[NVMEC_ERRLOG]; /* ring */
    uint64_t error_count;
    struct nvmec_smart smart;
    uint64_t power_on_ns;
    uint32_t power_cycles;
};

/* ---- Entry points
 * ---------------------------------------------------------------- */

/**
 * Create the namespace's backing store from @p cfg and power on.
 * @return 0, or a negative errno with the reason in @p err.
 */
int nvme_ctrl_init(struct nvmec *c, const struct nvmec_config *cfg,
                   const struct nvmec_host *host, char *err, size_t errlen);
void nvme_ctrl_fini(struct nvmec *c);
/** Power-on state of every register, queue and vector (a function reset);
 * the namespace's data stays. */
void nvme_ctrl_reset(struct nvmec *c);

/**
 * Whether an access of @p count bytes at BAR0 @p off is one the
 * controller decodes: 4 bytes aligned anywhere, 8 bytes aligned on a
 * 64-bit register or MSI-X entry. Others are refused, not half-applied.
 * @return NULL if so, else why not.
 */
const char *nvme_bar_check(const struct nvmec *c, uint64_t off, uint32_t count);
void nvme_bar_read(struct nvmec *c, uint64_t off, uint32_t count, uint8_t *buf);
/** @return true when nvme_ctrl_run() must follow (after the reply). */
bool nvme_bar_write(struct nvmec *c, uint64_t off, uint32_t count,
                    const uint8_t *buf);

/**
 * Do what the doorbells asked: run the submission queues, post the
 * completions and raise their interrupts; deliver interrupts that a mask
 * held back. @return 0, or a negative errno when the connection must end.
 */
int nvme_ctrl_run(struct nvmec *c);

/* ---- Internals shared by the controller's files
 * ----------------------------------- */

/* A command's outcome: the CQE status field without the phase bit. */
#define NVMEC_ST(sct, sc) ((uint16_t)(((sct) << 9) | ((sc) << 1)))
#define NVMEC_DNR ((uint16_t)1u << 15)

/* A command being executed. */
struct nvmec_cmd {
    uint8_t sqe[64];
    uint16_t sqid;
    uint32_t dw0; /* completion DW0 */
    uint64_t lba; /* for the error log */
    bool hold;    /* no completion now: a quirk keeps it, or an AER */
    bool aer;     /* an Asynchronous Event Request */
    int fatal;    /* a negative errno: the connection must end */
};

/* nvme_queue.c */
uint32_t nvmec_dw(const struct nvmec_cmd *cmd, unsigned n); /* CDWn */
uint64_t nvmec_qw(const struct nvmec_cmd *cmd, unsigned off);
/** Post a completion for (sqid, cid) with @p status and @p dw0; the CQ
 * must have room. @return 0 or a negative errno (connection ends). */
int nvmec_post(struct nvmec *c, uint16_t sqid, uint16_t cid, uint16_t status,
               uint32_t dw0);
/** Write the completions nvmec_post() batched. @return as nvmec_post(). */
int nvmec_flush_cqes(struct nvmec *c);
void nvmec_log(struct nvmec *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Add an entry to the error log. */
void nvmec_errlog(struct nvmec *c, uint16_t sqid, uint16_t cid, uint16_t status,
                  uint64_t lba, uint32_t nsid);
/** Forget queue @p qid's SQ; held commands of it complete as aborted by
 * the deletion when @p post. */
int nvmec_delete_sq(struct nvmec *c, uint16_t qid, bool post);

/* nvme_regs.c */
/** Raise CQ @p cqid's interrupt, as MSI-X or INTx allow. */
void nvmec_raise(struct nvmec *c, uint16_t cqid);
void nvmec_msix_reset(struct nvmec *c);
/** Raise the vectors whose mask went away while they were pending. */
void nvmec_deliver_pending(struct nvmec *c);
/** CSTS.RDY once the ready delay after CC.EN has passed. */
void nvmec_update_ready(struct nvmec *c);
/** The controller reset of CC.EN 1 -> 0: queues gone, RDY clear. */
void nvmec_ctrl_disable(struct nvmec *c);

/* nvme_admin.c */
uint16_t nvmec_admin(struct nvmec *c, struct nvmec_cmd *cmd);

/* nvme_features.c */
uint16_t nvmec_set_features(struct nvmec *c, struct nvmec_cmd *cmd);
uint16_t nvmec_get_features(struct nvmec *c, struct nvmec_cmd *cmd);
uint16_t nvmec_async_event(struct nvmec *c, struct nvmec_cmd *cmd);
/** Features to their defaults, pending events dropped (controller reset). */
void nvmec_features_reset(struct nvmec *c);
/** Report an asynchronous event (from a register write: it is posted by
 * the next nvme_ctrl_run()). */
void nvmec_event(struct nvmec *c, uint8_t type, uint8_t info, uint8_t log);
/** Complete held AERs with waiting events. @return 0 or a negative errno. */
int nvmec_deliver_events(struct nvmec *c);

/* nvme_io.c */
uint16_t nvmec_io(struct nvmec *c, struct nvmec_cmd *cmd);
/** Move @p len bytes between the command's PRPs and @p buf (to the host
 * when @p to_host). @return 0 or a status (Invalid PRP Offset, Data
 * Transfer Error); cmd->fatal set when the connection must end. */
uint16_t nvmec_prp_xfer(struct nvmec *c, struct nvmec_cmd *cmd, uint8_t *buf,
                        uint32_t len, bool to_host);
int nvmec_backing_open(struct nvmec *c, char *err, size_t errlen);
void nvmec_backing_close(struct nvmec *c);

#endif
