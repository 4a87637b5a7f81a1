/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file bench.h
 * The libvuc benchmark as a module: vuc-bench is a thin main() around it,
 * and vuctl's `bench` command calls the same function.
 *
 * Every libvuc figure is printed beside a baseline measured in the same run:
 * a minimal blocking vfio-user client built into the module (plain AF_UNIX
 * send/recv of hand-built messages, no event loop), plus memcpy() for
 * message-based DMA and a bare eventfd round trip for interrupts. The ratio
 * libvuc/baseline says how much of the time is the library's and how much
 * the wire's. Nothing here asserts a timing.
 *
 * Link: the static library target `vuc_bench` links the shared libvuc
 * (target `vuc`), libevent, jansson and pthreads.
 */
#ifndef VUC_BENCH_H
#define VUC_BENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vuc_client;

/** The measurements, for vuc_bench_opts.phases. */
enum vuc_bench_phase {
    VUC_BENCH_READ = 1u << 0,     /**< "read": synchronous 4-byte reads */
    VUC_BENCH_PIPELINE = 1u << 1, /**< "pipeline": 1, 8, 64 reads in flight */
    VUC_BENCH_WRITE = 1u << 2,    /**< "write": synchronous 4-byte writes */
    VUC_BENCH_BULK = 1u << 3,     /**< "bulk": 4 KiB..1 MiB read and write */
    VUC_BENCH_DMA = 1u << 4,      /**< "dma": message DMA served by libvuc */
    VUC_BENCH_MAP = 1u << 5,      /**< "map": DMA map + unmap pairs */
    VUC_BENCH_IRQ = 1u << 6,      /**< "irq": device eventfd to callback */
    VUC_BENCH_ALLOC = 1u << 7,    /**< "alloc": heap allocations per access */
    /** "dirty": dirty-page reports of a 64 GiB DMA map at 4 KiB pages */
    VUC_BENCH_DIRTY = 1u << 8,
    /** "mig": migration save, load and raw MIG_DATA_READ */
    VUC_BENCH_MIG = 1u << 9,
    /** "wc": 64 x 4-byte writes to a prefetchable BAR, combining on/off */
    VUC_BENCH_WC = 1u << 10,
    VUC_BENCH_ALL = 0x7ffu,
};

/** A region field left at this value means "the default for the server". */
#define VUC_BENCH_REGION_AUTO UINT32_MAX

struct vuc_bench_opts {
    /** VUC_BENCH_* bits; 0 means all. */
    unsigned phases;
    /** CI smoke mode: few rounds and iterations (a few seconds in all). */
    bool quick;
    /** Rounds, each measuring the baseline and then libvuc; 0: default
     * (7, or 2 with quick). Medians and p99 are over all rounds. */
    unsigned rounds;
    /** Operations per round of a latency measurement (other measurements
     * scale from it); 0: default (5000, or 100 with quick). */
    unsigned iterations;
    /** Synchronous and pipelined reads: default CONFIG offset 0. */
    uint32_t read_region;
    uint64_t read_offset;
    /** Synchronous writes: default BAR0 offset 0x10 of vuc-testdev (a
     * scratch register). On another server the write measurements run only
     * when a region is given here, as no register is safe to write blindly. */
    uint32_t write_region;
    uint64_t write_offset;
    /** The read phase also times synchronous reads with libvuc's busy
     * polling (vuc_set_busy_poll()) of this many microseconds, beside the
     * same blocking baseline; default 100, 0 skips that row. Meant for
     * client and server on different CPUs. */
    unsigned busy_poll_us;
    /** Bulk reads and writes: default BAR1 offset 0 of vuc-testdev. On
     * another server bulk runs only when a region is given. Transfers
     * larger than the region from the offset are made of region-sized
     * pieces, and the output says so. */
    uint32_t bulk_region;
    uint64_t bulk_offset;
    /**
     * Counts heap allocations of the whole process (malloc, calloc,
     * realloc, the memalign family), or NULL when the program has no such
     * counter: the "alloc" measurement is then reported as unavailable.
     * vuc-bench provides one by interposing the allocator.
     */
    uint64_t (*alloc_count)(void);
    /** Where fatal errors are explained (one line each); NULL: stderr. */
    FILE *log;
};

/** Fill opts with the defaults (all phases, auto regions, no counter). */
void vuc_bench_opts_init(struct vuc_bench_opts *opts);

/** The phase names vuc_bench_parse_phases() accepts, comma-separated. */
const char *vuc_bench_phase_names(void);

/**
 * Parse a comma-separated list of phase names ("read,bulk").
 * @param mask receives the VUC_BENCH_* bits.
 * @param err receives the reason on failure (may be NULL).
 * @return 0, or -EINVAL for an empty list or an unknown name.
 */
int vuc_bench_parse_phases(const char *list, unsigned *mask, char *err,
                           size_t errlen);

/**
 * Run the benchmark and print its results. Exactly one target:
 *
 *  - path (client NULL, fd -1): the module makes its own connections, one
 *    at a time, so a server that serves one client after another (as
 *    vuc-testdev does) works. Each round connects the blocking baseline
 *    client, measures, disconnects, then connects a fresh libvuc client
 *    (own event base, auto-mmap off so region data travels in messages),
 *    measures and disconnects: libvuc and its baseline alternate.
 *  - fd (client NULL, path NULL): a connected socket, which the module owns
 *    from the call on. One libvuc client is used for every round; the wire
 *    baselines need a connection of their own and are skipped (the output
 *    says so). memcpy and eventfd baselines still run.
 *  - client: a connected client, used as it is on its own event base (do
 *    not call this from one of its callbacks). Wire baselines are skipped as
 *    for fd. The bulk phase unmaps its region for the duration if the client
 *    mapped it (so that data travels in messages) and maps it again after:
 *    pointers from vuc_region_ptr() to it do not survive the call. The irq
 *    phase enables MSI-X vector 0 and disables the MSI-X index at the end.
 *    The write phase switches to VUC_POSTING_POSTED for its bursts and
 *    restores the client's policy after; every phase ends with a fence.
 *    DMA maps made by the module are unmapped before it returns.
 *
 * Writes are measured as libvuc sends them under the client's posting
 * policy (see vuc_set_posting()), with a fence wherever a figure means
 * "done", and the wire baseline sends the same messages: posted where
 * libvuc posts (seen by probing once), acknowledged where it does not.
 *
 * What runs by default against a server that is not vuc-testdev: reads of
 * config space only; writes, bulk transfers, the DMA engine and interrupt
 * hooks need vuc-testdev's registers (or, for writes and bulk, a region
 * named in opts). Every measurement that does not run says why.
 *
 * The device-state measurements run against any server that offers them:
 *  - dirty: maps 64 GiB of sparse memfd memory (nothing is touched; the
 *    largest power of two the system accepts when it refuses that, and
 *    the output says so), starts DMA logging of it and times reports of
 *    the whole range at 4 KiB pages, against the wire client sending the
 *    same DMA_LOGGING_REPORT pieces; logging is stopped and the memory
 *    unmapped after. With vuc-testdev's DMA engine it also times a report
 *    after the device wrote pages, and checks the pages reported.
 *  - mig: stops the device to STOP_COPY and reads its migration data
 *    (libvuc and the wire client alike), saves it to an unlinked temporary
 *    file and loads that back. The device is left RUNNING (the phase runs
 *    only when it finds it RUNNING), also after a failure where the
 *    connection still works.
 * Servers without DMA logging or migration get those rows skipped with the
 * reason.
 *
 * @param out where the results go: an aligned text table, or with json one
 *        JSON document (jansson) with every figure, the machine, the date
 *        and the server's VERSION JSON.
 * @return 0 when every requested measurement ran or was skipped for a
 *         stated reason; -EINVAL for bad arguments; -ECONNREFUSED,
 *         -ENOENT, ... when the server cannot be reached at all; -EIO when
 *         some measurement failed (the output names it and why; the others
 *         are still printed).
 */
int vuc_bench_run(struct vuc_client *client, const char *path, int fd,
                  const struct vuc_bench_opts *opts, FILE *out, bool json);

#endif /* VUC_BENCH_H */
