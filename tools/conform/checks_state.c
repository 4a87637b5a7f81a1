/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device state: reset ("VFIO_USER_DEVICE_RESET"), dirty page logging
 * (the DMA_LOGGING device features) and migration (the MIGRATION and
 * MIG_DEVICE_STATE features, "VFIO_USER_MIG_DATA_READ"/"_WRITE"). Checks
 * on the shared session leave the device RUNNING with logging stopped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conform_int.h"

#define SEC_RESET "VFIO_USER_DEVICE_RESET"
#define SEC_LOG "VFIO_DEVICE_FEATURE_DMA_LOGGING_START"
#define SEC_REPORT "VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT"
#define SEC_MIG "VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE"
#define F_GET VFIO_USER_DEVICE_FEATURE_GET
#define F_SET VFIO_USER_DEVICE_FEATURE_SET
#define F_PROBE VFIO_USER_DEVICE_FEATURE_PROBE
#define IOVA 0x50000000ull
#define S_STOP VFIO_USER_DEVICE_STATE_STOP
#define S_RUNNING VFIO_USER_DEVICE_STATE_RUNNING
#define S_STOP_COPY VFIO_USER_DEVICE_STATE_STOP_COPY
#define S_RESUMING VFIO_USER_DEVICE_STATE_RESUMING
#define S_PRE_COPY VFIO_USER_DEVICE_STATE_PRE_COPY

static void reset(struct cf_t *t)
{
    struct vuc_wire_err werr;
    struct cf_msg m;

    if (!t->s->have_info ||
        !(t->s->info.flags & VFIO_USER_DEVICE_FLAGS_RESET)) {
        cf_skip(t, "the device does not set VFIO_DEVICE_FLAGS_RESET");
        return;
    }
    if (!cf_req_ok(t, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, &m,
                   "DEVICE_RESET"))
        return;
    if (vuc_wire_dec_empty_reply(VFIO_USER_DEVICE_RESET, m.len, m.nfds, &werr))
        cf_fail(t, "DEVICE_RESET: %s", werr.text);
    cf_msg_free(&m);
}

/* ---- Dirty page logging -------------------------------------------------- */

static size_t log_control(uint8_t *buf, size_t cap, uint64_t pgsize,
                          uint64_t iova, uint64_t len)
{
    struct vfio_user_dma_logging_range r = {.iova = iova, .length = len};
    ssize_t n = vuc_wire_enc_dma_logging_control(buf, cap, pgsize, &r, 1);

    return n < 0 ? 0 : (size_t)n;
}

/* Whether the device logs: a SET probe of LOGGING_START succeeds. Fails
 * the check when the probe's reply breaks the rules. */
static int logging_supported(struct cf_t *t)
{
    uint32_t flags =
        F_PROBE | F_SET | VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START;
    struct cf_msg m;
    int err = cf_feature(t, flags, NULL, 0, 8, &m);

    if (err < 0)
        return -1;
    if (err > 0)
        return 0;
    /* "The reply payload must be the same as the request payload for
     * setting or probing a feature." */
    if (m.len != 8 || ((uint32_t *)m.data)[1] != flags)
        cf_fail(t,
                "the probe of DMA_LOGGING_START was answered with %zu "
                "bytes, not the 8-byte request echoed",
                m.len);
    cf_msg_free(&m);
    return cf_failed(t) ? -1 : 1;
}

static bool need_logging(struct cf_t *t)
{
    int rc = logging_supported(t);

    if (rc == 0)
        cf_skip(t, "the device does not support DMA logging (its probe was "
                   "refused)");
    return rc == 1;
}

static void dirty_probe(struct cf_t *t)
{
    logging_supported(t);
}

static bool dma_window(struct cf_t *t, uint64_t size)
{
    int fd = cf_memfd(t, (size_t)size), err;

    if (fd < 0)
        return false;
    err = cf_dma_map(t, fd, IOVA, size);
    close(fd);
    if (err > 0)
        cf_fail(t, "DMA_MAP of the window to log: errno %d (%s)", err,
                strerror(err));
    return err == 0;
}

static bool logging(struct cf_t *t, bool start, uint64_t p, uint64_t len)
{
    uint32_t feat = start ? VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_START
                          : VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_STOP;
    uint8_t buf[64];
    size_t n = log_control(buf, sizeof(buf), p, IOVA, len);
    struct cf_msg m;
    int err = cf_feature(t, F_SET | feat, buf, n, (uint32_t)(8 + n), &m);

    if (err > 0)
        cf_fail(t, "DMA_LOGGING_%s: errno %d (%s)", start ? "START" : "STOP",
                err, strerror(err));
    if (err)
        return false;
    cf_msg_free(&m);
    return true;
}

/* REPORT of [iova, +len) at page size p; @return the reply's errno, the
 * reply in m on success. */
static int report(struct cf_t *t, uint64_t iova, uint64_t len, uint64_t p,
                  struct cf_msg *m)
{
    struct vfio_user_dma_logging_report r = {
        .iova = iova, .length = len, .page_size = p};
    uint64_t bm = (len / p + 63) / 64 * 8;

    return cf_feature(t, F_GET | VFIO_USER_DEVICE_FEATURE_DMA_LOGGING_REPORT,
                      &r, sizeof(r), (uint32_t)(8 + sizeof(r) + bm), m);
}

/*
 * The frame every report check shares: a DMA window of 4 pages mapped,
 * logging started on it when @p start, @p body asked for the report it
 * judges, and everything undone after.
 */
static void with_window(struct cf_t *t, bool start,
                        void (*body)(struct cf_t *t, uint64_t p))
{
    uint64_t p = cf_page_size(t->s);

    if (!need_logging(t) || !dma_window(t, 4 * p))
        return;
    if (!start) {
        body(t, p);
    } else if (logging(t, true, p, 4 * p)) {
        body(t, p);
        logging(t, false, p, 4 * p);
    }
    if (!t->s->dead)
        cf_dma_unmap(t, IOVA, 4 * p, 0);
}

/* REPORT of [iova, +4p) that must succeed with a well-formed bitmap,
 * which @p clean wants all zero. */
static void report_ok(struct cf_t *t, uint64_t iova, uint64_t p, bool clean,
                      const char *what)
{
    struct vuc_wire_err werr;
    const uint8_t *bitmap;
    struct cf_msg m;
    size_t bml;
    int err = report(t, iova, 4 * p, p, &m);

    if (err > 0 && !clean)
        cf_fail(t, "%s: errno %d (%s)", what, err, strerror(err));
    if (err)
        return; /* refusing a range never logged is allowed */
    if (m.len < 8 ||
        vuc_wire_dec_dma_logging_report(m.data + 8, m.len - 8, iova, 4 * p, p,
                                        &bitmap, &bml, &werr))
        cf_fail(t, "%s: %s", what,
                m.len < 8 ? "reply shorter than 8 bytes" : werr.text);
    else
        for (size_t i = 0; clean && i < bml; i++)
            if (bitmap[i])
                cf_fail(t,
                        "%s reports dirty pages where nothing was logged "
                        "or written",
                        what);
    cf_msg_free(&m);
}

static void cycle_body(struct cf_t *t, uint64_t p)
{
    report_ok(t, IOVA, p, false, "DMA_LOGGING_REPORT while logging");
}

static void dirty_cycle(struct cf_t *t)
{
    with_window(t, true, cycle_body);
}

/* A REPORT that must be refused, of page size @p report_p. */
static void refused_report(struct cf_t *t, uint64_t p, uint64_t report_p,
                           const char *what)
{
    struct cf_msg m;

    if (report(t, IOVA, 4 * p, report_p, &m) == 0) {
        cf_fail(t, "DMA_LOGGING_REPORT %s succeeded", what);
        cf_msg_free(&m);
    }
}

static void unstarted_body(struct cf_t *t, uint64_t p)
{
    refused_report(t, p, p, "without DMA_LOGGING_START");
}

static void report_unstarted(struct cf_t *t)
{
    with_window(t, false, unstarted_body);
}

static void bad_pgsize_body(struct cf_t *t, uint64_t p)
{
    refused_report(t, p, p - 1, "with a page size that is not a power of two");
}

static void report_bad_pgsize(struct cf_t *t)
{
    with_window(t, true, bad_pgsize_body);
}

static void outside_body(struct cf_t *t, uint64_t p)
{
    report_ok(t, IOVA + 64 * p, p, true,
              "DMA_LOGGING_REPORT outside the logged range");
}

static void report_outside(struct cf_t *t)
{
    with_window(t, true, outside_body);
}

/* ---- Migration ----------------------------------------------------------- */

/* The MIGRATION feature's flags; 0 (after cf_skip) without migration. */
static uint64_t mig_flags(struct cf_t *t)
{
    struct vuc_wire_err werr;
    struct cf_msg m;
    uint64_t flags = 0;
    int err = cf_feature(t, F_GET | VFIO_USER_DEVICE_FEATURE_MIGRATION, NULL, 0,
                         16, &m);

    if (err > 0)
        cf_skip(t, "the device does not support migration (GET of the "
                   "MIGRATION feature was refused)");
    if (err)
        return 0;
    if (m.len < 8 ||
        vuc_wire_dec_feature_migration(m.data + 8, m.len - 8, &flags, &werr)) {
        cf_fail(t, "MIGRATION feature: %s",
                m.len < 8 ? "reply shorter than 8 bytes" : werr.text);
        flags = 0;
    }
    cf_msg_free(&m);
    return flags;
}

static int mig_set(struct cf_t *t, uint32_t state)
{
    struct vfio_user_device_feature_mig_state d = {.device_state = state};
    struct cf_msg m;
    int err = cf_feature(t, F_SET | VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE,
                         &d, sizeof(d), 8 + sizeof(d), &m);

    if (err == 0)
        cf_msg_free(&m);
    return err;
}

static bool mig_get(struct cf_t *t, uint32_t *state)
{
    struct vuc_wire_err werr;
    struct cf_msg m;
    int err = cf_feature(t, F_GET | VFIO_USER_DEVICE_FEATURE_MIG_DEVICE_STATE,
                         NULL, 0, 16, &m);

    if (err > 0)
        cf_fail(t, "GET of MIG_DEVICE_STATE: errno %d (%s)", err,
                strerror(err));
    if (err)
        return false;
    if (m.len < 8 ||
        vuc_wire_dec_feature_mig_state(m.data + 8, m.len - 8, state, &werr)) {
        cf_fail(t, "MIG_DEVICE_STATE: %s",
                m.len < 8 ? "reply shorter than 8 bytes" : werr.text);
        err = -1;
    }
    cf_msg_free(&m);
    return err == 0;
}

/* Take the arc from @p from and confirm it with GET. */
static bool arc(struct cf_t *t, uint32_t from, uint32_t to)
{
    uint32_t now;
    int err = mig_set(t, to);

    if (err > 0)
        cf_fail(t, "SET MIG_DEVICE_STATE %s -> %s: errno %d (%s)",
                vuc_mig_state_name(from), vuc_mig_state_name(to), err,
                strerror(err));
    if (err || !mig_get(t, &now))
        return false;
    if (now != to)
        cf_fail(t, "after SET %s -> %s, GET says %s", vuc_mig_state_name(from),
                vuc_mig_state_name(to), vuc_mig_state_name(now));
    return now == to;
}

/* Take the arcs along @p path (path[0] is where the device is). */
static bool arcs(struct cf_t *t, const uint32_t *path, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (!arc(t, path[i - 1], path[i]))
            return false;
    return true;
}

/* Back to RUNNING whatever happened, quietly: the arc, else through STOP,
 * else a reset (the way out of ERROR). */
static void back_to_running(struct cf_t *t)
{
    struct cf_msg m;

    if (t->s->dead || mig_set(t, S_RUNNING) == 0)
        return;
    if (mig_set(t, S_STOP) == 0 && mig_set(t, S_RUNNING) == 0)
        return;
    if (!t->s->dead &&
        cf_req(t, VFIO_USER_DEVICE_RESET, NULL, 0, NULL, 0, &m, "reset"))
        cf_msg_free(&m);
}

static void mig_probe(struct cf_t *t)
{
    uint64_t f = mig_flags(t);

    if (!cf_failed(t) && !(f & VFIO_USER_MIGRATION_STOP_COPY))
        cf_fail(t, "MIGRATION flags 0x%llx lack STOP_COPY",
                (unsigned long long)f);
}

static void mig_state(struct cf_t *t)
{
    uint32_t s;

    if (mig_flags(t) && mig_get(t, &s) && s != S_RUNNING)
        cf_fail(t, "a device in use reports state %s, not RUNNING",
                vuc_mig_state_name(s));
}

static void mig_arcs(struct cf_t *t)
{
    /* RESUMING -> STOP must fail without data: mig.save-load takes it. */
    static const uint32_t path[] = {S_RUNNING, S_STOP, S_STOP_COPY, S_STOP,
                                    S_RUNNING};

    if (!mig_flags(t))
        return;
    arcs(t, path, sizeof(path) / sizeof(path[0]));
    back_to_running(t);
}

static void mig_pre_copy(struct cf_t *t)
{
    static const uint32_t path[] = {S_RUNNING,  S_PRE_COPY,  S_RUNNING,
                                    S_PRE_COPY, S_STOP_COPY, S_STOP,
                                    S_RUNNING};
    uint64_t f = mig_flags(t);

    if (!f)
        return;
    if (!(f & VFIO_USER_MIGRATION_PRE_COPY)) {
        cf_skip(t, "the device does not support PRE_COPY");
        return;
    }
    arcs(t, path, sizeof(path) / sizeof(path[0]));
    back_to_running(t);
}

static void mig_refused_arc(struct cf_t *t)
{
    if (!mig_flags(t))
        return;
    if (mig_set(t, S_STOP) == 0 && mig_set(t, S_STOP_COPY) == 0 &&
        mig_set(t, S_PRE_COPY) == 0)
        cf_fail(t, "the arc STOP_COPY -> PRE_COPY was taken");
    back_to_running(t);
}

static void mig_set_refused(struct cf_t *t, uint32_t state, const char *what)
{
    int err;

    if (!mig_flags(t))
        return;
    err = mig_set(t, state);
    if (err == 0)
        cf_fail(t, "SET MIG_DEVICE_STATE to %s succeeded", what);
    back_to_running(t);
}

static void mig_set_error(struct cf_t *t)
{
    mig_set_refused(t, VFIO_USER_DEVICE_STATE_ERROR, "ERROR");
}

static void mig_set_invalid(struct cf_t *t)
{
    mig_set_refused(t, 99, "99, no state");
}

static void mig_data_running(struct cf_t *t, bool write)
{
    uint8_t buf[8 + 64] = {0};
    ssize_t n = write
                    ? vuc_wire_enc_mig_data_write(buf, sizeof(buf), buf + 8, 64)
                    : vuc_wire_enc_mig_data_read(buf, sizeof(buf), 64);

    if (!mig_flags(t))
        return;
    cf_req_refused(
        t, write ? VFIO_USER_MIG_DATA_WRITE : VFIO_USER_MIG_DATA_READ, buf,
        (size_t)n, NULL, 0,
        write ? "MIG_DATA_WRITE while RUNNING" : "MIG_DATA_READ while RUNNING");
}

static void mig_read_running(struct cf_t *t)
{
    mig_data_running(t, false);
}

static void mig_write_running(struct cf_t *t)
{
    mig_data_running(t, true);
}

#define CHUNK 65536u
#define MAX_STATE (64u * 1024u * 1024u)

/* Read the STOP_COPY stream to its end into *data. */
static bool save(struct cf_t *t, uint8_t **data, size_t *len)
{
    uint8_t req[8];

    *data = NULL;
    *len = 0;
    for (;;) {
        struct vuc_wire_err werr;
        const uint8_t *d;
        uint32_t size;
        struct cf_msg m;
        uint8_t *grown;

        vuc_wire_enc_mig_data_read(req, sizeof(req), CHUNK);
        if (!cf_req_ok(t, VFIO_USER_MIG_DATA_READ, req, sizeof(req), NULL, 0,
                       &m, "MIG_DATA_READ in STOP_COPY"))
            return false;
        if (vuc_wire_dec_mig_data_read_reply(m.data, m.len, m.nfds, CHUNK, &d,
                                             &size, &werr)) {
            cf_fail(t, "MIG_DATA_READ: %s", werr.text);
            cf_msg_free(&m);
            return false;
        }
        grown =
            *len + size > MAX_STATE ? NULL : realloc(*data, *len + size + 1);
        if (!grown) {
            cf_fail(t, "the migration stream exceeds %u bytes", MAX_STATE);
            cf_msg_free(&m);
            return false;
        }
        *data = grown;
        memcpy(*data + *len, d, size);
        *len += size;
        cf_msg_free(&m);
        if (size < CHUNK)
            return true;
    }
}

static bool load(struct cf_t *t, const uint8_t *data, size_t len)
{
    uint32_t chunk =
        t->s->max_data_xfer_size < CHUNK ? t->s->max_data_xfer_size : CHUNK;
    uint8_t *req = malloc(8 + (size_t)chunk);

    if (!req) {
        cf_fail(t, "out of memory");
        return false;
    }
    for (size_t off = 0; off < len && !cf_failed(t);) {
        uint32_t n = len - off < chunk ? (uint32_t)(len - off) : chunk;
        ssize_t sz =
            vuc_wire_enc_mig_data_write(req, 8 + (size_t)chunk, data + off, n);
        struct cf_msg m;

        if (cf_req_ok(t, VFIO_USER_MIG_DATA_WRITE, req, (size_t)sz, NULL, 0, &m,
                      "MIG_DATA_WRITE in RESUMING"))
            cf_msg_free(&m);
        off += n;
    }
    free(req);
    return !cf_failed(t);
}

static void save_load(struct cf_t *t)
{
    uint8_t *data = NULL;
    size_t len = 0;

    t->s = cf_open_session(t);
    if (!t->s)
        return;
    if (mig_flags(t) && arc(t, S_RUNNING, S_STOP) &&
        arc(t, S_STOP, S_STOP_COPY) && save(t, &data, &len) &&
        arc(t, S_STOP_COPY, S_STOP)) {
        cf_session_close(t->s);
        t->s = NULL;
        if (!cf_fresh_server(t) || !(t->s = cf_open_session(t)))
            goto out;
        if (mig_flags(t) && arc(t, S_RUNNING, S_STOP) &&
            arc(t, S_STOP, S_RESUMING) && load(t, data, len) &&
            arc(t, S_RESUMING, S_STOP))
            arc(t, S_STOP, S_RUNNING);
    }
out:
    free(data);
    cf_session_close(t->s);
    t->s = NULL;
}

static void resume_garbage(struct cf_t *t)
{
    uint8_t junk[64], req[8 + sizeof(junk)];
    ssize_t n;
    struct cf_msg m;

    t->s = cf_open_session(t);
    if (!t->s)
        return;
    memset(junk, 0x5a, sizeof(junk));
    n = vuc_wire_enc_mig_data_write(req, sizeof(req), junk, sizeof(junk));
    /* Refusing the data as it comes is as good as refusing it at STOP. */
    if (mig_flags(t) && arc(t, S_RUNNING, S_STOP) &&
        arc(t, S_STOP, S_RESUMING) &&
        cf_req(t, VFIO_USER_MIG_DATA_WRITE, req, (size_t)n, NULL, 0, &m,
               "MIG_DATA_WRITE in RESUMING")) {
        if (!cf_is_error(&m) && mig_set(t, S_STOP) == 0)
            cf_fail(t, "RESUMING -> STOP succeeded after 64 bytes of 0x5a "
                       "as migration data");
        cf_msg_free(&m);
    }
    cf_session_close(t->s);
    t->s = NULL;
}

static const struct cf_check checks[] = {
    {"reset.supported", SEC_RESET, CF_MUST, 0,
     "VFIO_DEVICE_FLAGS_RESET indicates that the device supports the "
     "VFIO_USER_DEVICE_RESET message: it succeeds, with no payload.",
     reset},
    {"dirty.probe", "VFIO_USER_DEVICE_FEATURE", CF_MUST, 0,
     "The reply payload must be the same as the request payload for setting "
     "or probing a feature (probing DMA_LOGGING_START).",
     dirty_probe},
    {"dirty.start-report-stop", SEC_REPORT, CF_MUST, 0,
     "Upon VFIO_DEVICE_FEATURE_GET, returns the dirty bitmap for a specific "
     "IOVA range: start, a report echoing iova, length and page_size with "
     "the bitmap, stop.",
     dirty_cycle},
    {"dirty.report-not-started", SEC_REPORT, CF_MUST, 0,
     "This operation is only valid if logging of dirty pages has been "
     "previously started by setting VFIO_DEVICE_FEATURE_DMA_LOGGING_START.",
     report_unstarted},
    {"dirty.report-bad-page-size", SEC_REPORT, CF_MUST, 0,
     "page_size is the unit of granularity of the bitmap, and must be a "
     "power of two.",
     report_bad_pgsize},
    {"dirty.report-outside-range", SEC_LOG, CF_SHOULD, 0,
     "the device can optimize its logging to cover only the IOVA range "
     "given. SHOULD: the text does not say how a range never logged is "
     "reported; an error or a clean bitmap passes.",
     report_outside},
    {"mig.probe", "VFIO_DEVICE_FEATURE_MIGRATION", CF_MUST, 0,
     "Support for additional states is indicated via the flags field; at "
     "least VFIO_MIGRATION_STOP_COPY must be set.",
     mig_probe},
    {"mig.state-running", SEC_MIG, CF_SHOULD, 0,
     "device_state is the current state of the device (for GET). SHOULD: a "
     "device in use is RUNNING; the text names no initial state.",
     mig_state},
    {"mig.arcs", "Direct State Transitions", CF_MUST, 0,
     "The following transitions need to be supported by the server: RUNNING "
     "-> STOP -> STOP_COPY -> STOP -> RUNNING, each confirmed by GET.",
     mig_arcs},
    {"mig.pre-copy-arcs", "Direct State Transitions", CF_MUST, 0,
     "RUNNING -> PRE_COPY, PRE_COPY -> RUNNING, PRE_COPY -> STOP_COPY, for a "
     "device that supports PRE_COPY.",
     mig_pre_copy},
    {"mig.stop-copy-to-pre-copy", "Direct State Transitions", CF_SHOULD, 0,
     "The STOP_COPY -> PRE_COPY transition is explicitly not allowed and "
     "should return an error if requested.",
     mig_refused_arc},
    {"mig.set-error-state", "Direct State Transitions", CF_MUST, 0,
     "ERROR cannot be specified as a device state.", mig_set_error},
    {"mig.set-invalid-state", SEC_MIG, CF_MUST, 0,
     "device_state is defined by the vfio_device_mig_state enum: a value "
     "outside it is refused.",
     mig_set_invalid},
    {"mig.data-read-running", "VFIO_USER_MIG_DATA_READ", CF_SHOULD, 0,
     "This command is used to read data from the source migration server "
     "while it is in a saving group state. SHOULD: the text does not say "
     "that a read in RUNNING is refused.",
     mig_read_running},
    {"mig.data-write-running", "VFIO_USER_MIG_DATA_WRITE", CF_SHOULD, 0,
     "This command is used to write data to the destination migration "
     "server while it is in the RESUMING state. SHOULD: as for reads.",
     mig_write_running},
    {"mig.save-load", "VFIO_USER_MIG_DATA_READ", CF_MUST, CF_TWO,
     "the client must continue reading until no more migration data remains; "
     "the data read in STOP_COPY loads into a fresh server: STOP -> "
     "RESUMING, MIG_DATA_WRITE, RESUMING -> STOP succeed.",
     save_load},
    {"mig.resume-garbage", "Direct State Transitions", CF_SHOULD, CF_FRESH,
     "If the delivered data is found to be incomplete, inconsistent, or "
     "otherwise invalid, fail the SET command. SHOULD: bytes of 0x5a may "
     "happen to be valid for some device.",
     resume_garbage},
};

const struct cf_group cf_state_checks = {checks,
                                         sizeof(checks) / sizeof(checks[0])};
