/* SPDX-License-Identifier: BSD-3-Clause */
/* Migration data: save, load and raw MIG_DATA_READ (--only mig); see
 * bench_dirty.c for how both device-state phases run. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "bench_int.h"

/* ---- Migration ------------------------------------------------------------
 *
 * The raw rate: from STOP_COPY, MIG_DATA_READs of the size vuc_mig_save()
 * reads (the transfer size less 64 bytes of headers) until a short one;
 * the walks into STOP_COPY and back to RUNNING are outside the clock. The
 * baseline sends the same reads and walks the states itself, one SET per
 * arc. Save and load are the whole calls, which a wire client would have
 * to make of the same pieces: they have no baseline, and the notes say
 * what they include.
 *
 * Rates are per-session samples normalised to 10^6 bytes, as the amount
 * of device state may differ from one session to the next on a server
 * that is running.
 */

/* A device sending more than this is not one this benchmark is for. */
#define MIG_MAX_BYTES (4 * GIB)

enum { M_RLAT, M_RRATE, M_SLAT, M_SRATE, M_LLAT, M_LRATE, M_N };

struct mig_arg {
    uint32_t chunk;    /* per read, both sides (the smaller transfer size) */
    unsigned sessions; /* timed read sessions per round */
    unsigned saves;    /* timed save + load pairs per round */
    uint8_t *buf;      /* chunk bytes */
    /* What the last libvuc session and save saw, for the notes. */
    uint64_t state_bytes, reads, file_bytes;
    uint64_t wire_bytes;
    struct series lib[M_N], base[M_N];
};

static void add_rate(struct series *s, uint64_t ns, uint64_t bytes)
{
    if (bytes > 0)
        series_add(s, (double)ns * 1e6 / (double)bytes);
}

/* Best effort after a failure: the device must not stay stopped. */
static void lib_restore(struct vuc_client *c)
{
    if (vuc_is_connected(c))
        vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_RUNNING);
}

/* RUNNING -> STOP_COPY, the reads, back to RUNNING. */
static int mig_lib_session(struct vuc_client *c, struct mig_arg *a, bool timed,
                           char *why)
{
    uint64_t total = 0, reads = 0, t0, t;
    uint32_t got = 0;
    int rc = vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_STOP_COPY);

    if (rc < 0)
        return lib_err(c, rc, why, "migration to STOP_COPY");
    t0 = t = now_ns();
    do {
        rc = vuc_mig_read(c, a->buf, a->chunk, &got);
        if (rc < 0) {
            lib_err(c, rc, why, "MIG_DATA_READ");
            break;
        }
        uint64_t t1 = now_ns();
        if (timed)
            series_add(&a->lib[M_RLAT], (double)(t1 - t));
        t = t1;
        total += got;
        reads++;
        if (total > MIG_MAX_BYTES) {
            snprintf(why, WHY_LEN,
                     "the device sent more than 4 GiB of migration data");
            rc = -EFBIG;
        }
    } while (rc == 0 && got == a->chunk);
    if (rc == 0 && timed)
        add_rate(&a->lib[M_RRATE], t - t0, total);
    if (rc == 0) {
        rc = vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_RUNNING);
        if (rc < 0)
            lib_err(c, rc, why, "migration back to RUNNING");
    }
    a->state_bytes = total;
    a->reads = reads;
    return rc;
}

/* An unlinked file in $TMPDIR (or /tmp): the save's output. */
static int tmp_fd(char *why)
{
    const char *dir = getenv("TMPDIR");
    char path[PATH_MAX];
    int fd;

    if (dir == NULL || *dir == '\0')
        dir = "/tmp";
    fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    /* File systems without O_TMPFILE: a named file, unlinked at once. */
    snprintf(path, sizeof(path), "%s/vuc-bench-XXXXXX", dir);
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        fd = -errno;
        snprintf(why, WHY_LEN, "temporary file in %.150s: %s", dir,
                 strerror(errno));
        return fd;
    }
    unlink(path);
    return fd;
}

static int mig_lib(struct bctx *b, struct vuc_client *c, void *arg, char *why)
{
    struct mig_arg *a = arg;
    uint32_t state;
    struct stat st;
    int fd = -1, rc;

    rc = mig_lib_session(c, a, false, why);
    for (unsigned k = 0; k < a->sessions && rc == 0; k++)
        rc = mig_lib_session(c, a, true, why);
    if (rc == 0) {
        fd = tmp_fd(why);
        if (fd < 0)
            rc = fd;
    }
    /* Save ends in STOP, load in RUNNING; the first pair warms up. */
    for (unsigned k = 0; k <= a->saves && rc == 0; k++) {
        uint64_t t0 = now_ns(), t1, t2;

        rc = vuc_mig_save(c, fd);
        t1 = now_ns();
        if (rc < 0) {
            lib_err(c, rc, why, "migration save");
            break;
        }
        rc = vuc_mig_load(c, fd);
        t2 = now_ns();
        if (rc < 0) {
            lib_err(c, rc, why, "migration load");
            break;
        }
        if (k == 0)
            continue;
        series_add(&a->lib[M_SLAT], (double)(t1 - t0));
        add_rate(&a->lib[M_SRATE], t1 - t0, a->state_bytes);
        series_add(&a->lib[M_LLAT], (double)(t2 - t1));
        add_rate(&a->lib[M_LRATE], t2 - t1, a->state_bytes);
    }
    if (rc == 0 && fstat(fd, &st) == 0)
        a->file_bytes = (uint64_t)st.st_size;
    if (fd >= 0)
        close(fd);
    if (rc == 0) {
        rc = vuc_mig_get_state(c, &state);
        if (rc < 0)
            lib_err(c, rc, why, "migration state");
        else if (state != VFIO_USER_DEVICE_STATE_RUNNING) {
            snprintf(why, WHY_LEN, "the device ended in %s after the load",
                     vuc_mig_state_name(state));
            rc = -EIO;
        }
    }
    if (rc < 0)
        lib_restore(c);
    return rc;
}

/* The walks the baseline makes by hand, one arc per SET. */
static int wire_walk(struct bw *w, const uint32_t *states, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        int rc = bw_mig_set_state(w, states[i]);

        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Best effort after a failure, from wherever the walk stopped. */
static void wire_restore(struct bw *w)
{
    bw_mig_set_state(w, VFIO_USER_DEVICE_STATE_STOP);
    bw_mig_set_state(w, VFIO_USER_DEVICE_STATE_RUNNING);
}

static int mig_wire_session(struct bw *w, struct mig_arg *a, bool timed)
{
    static const uint32_t in[] = {VFIO_USER_DEVICE_STATE_STOP,
                                  VFIO_USER_DEVICE_STATE_STOP_COPY};
    static const uint32_t out[] = {VFIO_USER_DEVICE_STATE_STOP,
                                   VFIO_USER_DEVICE_STATE_RUNNING};
    uint64_t total = 0, t0, t;
    uint32_t got = 0;
    int rc = wire_walk(w, in, 2);

    t0 = t = now_ns();
    while (rc == 0) {
        rc = bw_mig_read(w, a->buf, a->chunk, &got);
        if (rc < 0)
            break;
        uint64_t t1 = now_ns();
        if (timed)
            series_add(&a->base[M_RLAT], (double)(t1 - t));
        t = t1;
        total += got;
        if (total > MIG_MAX_BYTES) {
            snprintf(w->err, sizeof(w->err),
                     "the device sent more than 4 GiB of migration data");
            rc = -EFBIG;
        }
        if (got < a->chunk)
            break;
    }
    if (rc == 0 && timed)
        add_rate(&a->base[M_RRATE], t - t0, total);
    if (rc == 0)
        rc = wire_walk(w, out, 2);
    a->wire_bytes = total;
    return rc;
}

static int mig_wire(struct bctx *b, struct bw *w, void *arg, char *why)
{
    struct mig_arg *a = arg;
    uint32_t state;
    int rc;

    if (w->xfer < a->chunk + 64u) {
        snprintf(why, WHY_LEN,
                 "the baseline's transfer size %u is below libvuc's %u",
                 w->xfer, a->chunk + 64u);
        return -EPROTO;
    }
    rc = bw_mig_get_state(w, &state);
    if (rc < 0)
        return wire_err(w, rc, why);
    if (state != VFIO_USER_DEVICE_STATE_RUNNING) {
        snprintf(why, WHY_LEN, "the device is in %s, not RUNNING",
                 vuc_mig_state_name(state));
        return -EIO;
    }
    rc = mig_wire_session(w, a, false);
    for (unsigned k = 0; k < a->sessions && rc == 0; k++)
        rc = mig_wire_session(w, a, true);
    if (rc < 0) {
        wire_err(w, rc, why); /* before the restore's own errors */
        wire_restore(w);
    }
    return rc;
}

/* On a connection of its own: migration there, from RUNNING, with
 * STOP_COPY? why says why not. On success a->buf is allocated. */
static enum setup_result mig_setup(struct bctx *b, struct mig_arg *a, char *why)
{
    enum setup_result res = SETUP_OK;
    struct vuc_client *c;
    uint64_t flags;
    uint32_t state;
    int rc = lib_open(b, &c, why);

    if (rc < 0)
        return SETUP_FAIL;
    rc = vuc_mig_probe(c, &flags);
    if (rc == -ENOTSUP) {
        snprintf(why, WHY_LEN, "skipped: server has no migration (%.160s)",
                 vuc_strerror(c));
        res = SETUP_SKIP;
    } else if (rc < 0) {
        lib_err(c, rc, why, "migration probe");
        res = SETUP_FAIL;
    } else if (!(flags & VFIO_USER_MIGRATION_STOP_COPY)) {
        snprintf(why, WHY_LEN, "skipped: the device has no STOP_COPY state");
        res = SETUP_SKIP;
    } else if ((rc = vuc_mig_get_state(c, &state)) < 0) {
        lib_err(c, rc, why, "migration state");
        res = SETUP_FAIL;
    } else if (state != VFIO_USER_DEVICE_STATE_RUNNING) {
        /* It would be left RUNNING, which is not how it was found. */
        snprintf(why, WHY_LEN, "skipped: the device is in %s, not RUNNING",
                 vuc_mig_state_name(state));
        res = SETUP_SKIP;
    } else if (lib_xfer(b) <= 64) {
        snprintf(why, WHY_LEN,
                 "skipped: a transfer size of %u bytes holds no migration "
                 "data",
                 lib_xfer(b));
        res = SETUP_SKIP;
    } else {
        /* One session to see how many reads the device takes. */
        a->chunk = lib_xfer(b) - 64;
        a->buf = malloc(a->chunk);
        if (a->buf == NULL) {
            snprintf(why, WHY_LEN, "out of memory");
            res = SETUP_FAIL;
        } else if (mig_lib_session(c, a, false, why) < 0) {
            lib_restore(c);
            res = SETUP_FAIL;
        }
    }
    lib_close(b, c);
    return res;
}

void phase_mig(struct bctx *b)
{
    static const char *const ids[M_N] = {
        "mig.read.latency", "mig.read.rate",    "mig.save.latency",
        "mig.save.rate",    "mig.load.latency", "mig.load.rate",
    };
    struct mig_arg a = {
        .sessions = at_least(b->iterations / 20, 5),
        .saves = at_least(b->iterations / 100, 3),
    };
    char why[WHY_LEN] = "", ck[32];
    struct row *rows[M_N];
    enum setup_result res = mig_setup(b, &a, why);

    size_str(res == SETUP_OK ? a.chunk + 64u : MIB, ck, sizeof(ck));
    rows[M_RLAT] =
        row_new(b, ids[M_RLAT], "us", false, "wire",
                "migration: MIG_DATA_READ of up to %s - 64 B: latency", ck);
    rows[M_RRATE] = row_new(b, ids[M_RRATE], "MB/s", true, "wire",
                            "migration: all device state by MIG_DATA_READ");
    rows[M_SLAT] = row_new(b, ids[M_SLAT], "us", false, NULL,
                           "migration save to a file: latency");
    rows[M_SRATE] = row_new(b, ids[M_SRATE], "MB/s", true, NULL,
                            "migration save: MB/s of device state");
    rows[M_LLAT] = row_new(b, ids[M_LLAT], "us", false, NULL,
                           "migration load of that file: latency");
    rows[M_LRATE] = row_new(b, ids[M_LRATE], "MB/s", true, NULL,
                            "migration load: MB/s of device state");
    if (res == SETUP_SKIP) {
        skip_rows(rows, M_N, why);
        return;
    }
    if (res == SETUP_FAIL) {
        setup_failed(b, rows, M_N, why);
        goto out;
    }
    /* Room for the reads a session took at the setup and some more (the
     * state of a running device may grow); reads beyond that are not
     * sampled for their latency. */
    for (unsigned k = 0; k < M_N; k++) {
        size_t n = (size_t)b->rounds * (k == M_RLAT
                                            ? a.sessions * (size_t)(a.reads + 2)
                                        : k == M_RRATE ? a.sessions
                                                       : a.saves);
        if (!reserve_all(b, rows, M_N, &a.lib[k], 1, n) ||
            !reserve_all(b, rows, M_N, &a.base[k], 1, n))
            goto out;
    }
    run_rounds(b, rows, M_N, mig_wire, mig_lib, &a);
    side_latency(&rows[M_RLAT]->lib, &a.lib[M_RLAT]);
    side_latency(&rows[M_RLAT]->base, &a.base[M_RLAT]);
    side_rate(&rows[M_RRATE]->lib, &a.lib[M_RRATE], 1e6, 1e6);
    side_rate(&rows[M_RRATE]->base, &a.base[M_RRATE], 1e6, 1e6);
    side_latency(&rows[M_SLAT]->lib, &a.lib[M_SLAT]);
    side_rate(&rows[M_SRATE]->lib, &a.lib[M_SRATE], 1e6, 1e6);
    side_latency(&rows[M_LLAT]->lib, &a.lib[M_LLAT]);
    side_rate(&rows[M_LRATE]->lib, &a.lib[M_LRATE], 1e6, 1e6);
    if (rows[M_RLAT]->lib.state == SIDE_OK)
        snprintf(rows[M_RLAT]->lib.note, WHY_LEN,
                 "%llu bytes of device state in %llu read%s a session; the "
                 "state walks are outside the clock",
                 (unsigned long long)a.state_bytes, (unsigned long long)a.reads,
                 a.reads == 1 ? "" : "s");
    if (rows[M_SLAT]->lib.state == SIDE_OK)
        snprintf(rows[M_SLAT]->lib.note, WHY_LEN,
                 "vuc_mig_save(): probe, PCI ids, walk to STOP_COPY, reads, "
                 "CRC-32, walk to STOP, a file of %llu bytes",
                 (unsigned long long)a.file_bytes);
    if (rows[M_LLAT]->lib.state == SIDE_OK)
        snprintf(rows[M_LLAT]->lib.note, WHY_LEN,
                 "vuc_mig_load(): file read and checked, PCI ids, walk to "
                 "RESUMING, writes, walk to RUNNING");
    if (rows[M_RRATE]->base.state == SIDE_OK && a.wire_bytes != a.state_bytes)
        snprintf(rows[M_RRATE]->base.note, WHY_LEN,
                 "the baseline's last session read %llu bytes, libvuc's %llu",
                 (unsigned long long)a.wire_bytes,
                 (unsigned long long)a.state_bytes);
out:
    free_all(a.lib, M_N);
    free_all(a.base, M_N);
    free(a.buf);
}
