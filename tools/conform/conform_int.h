/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internals of the conformance suite:
 *
 *   cli.c        options, and the run from start to report
 *   target.c     reaching the server: SOCKET, --fd, --spawn (fresh servers)
 *   raw.c        a raw connection: framing, fds, exchanges, negotiation
 *   session.c    a negotiated connection with the device's description
 *   runner.c     the catalogue, selection, running one check, survival
 *   helpers.c    requests many checks make, judged the same way
 *   report.c     TAP 14, table, JUnit XML and JSON
 *   checks_*.c   the checks, one file per part of the specification
 *
 * The checks talk to the server on raw sockets with messages built by
 * libvuc's wire codec (libvuc/wire.h): many must send what libvuc's API
 * refuses to send, and all must see exactly what came back.
 */
#ifndef VUC_CONFORM_INT_H
#define VUC_CONFORM_INT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <vuc/protocol.h>
#include <vuc/vuc.h>

#include "wire.h"

#define CF_MAX_FDS                                                             \
    253u /* SCM_MAX_FD: a control buffer this big never truncates */
/* Messages larger than this are not read: no reply we ask for comes near. */
#define CF_MAX_MSG (VFIO_USER_HDR_SIZE + 16u + 64u * 1024u * 1024u)
/* What we propose in VERSION. */
#define CF_OUR_MAX_MSG_FDS 16u
#define CF_OUR_MAX_DATA_XFER (1024u * 1024u)
/* The kernel's VFIO_DMA_UNMAP_FLAG_ALL; the 0.9.2 text says flags are unused.
 */
#define CF_DMA_UNMAP_FLAG_ALL (1u << 1)

enum cf_level { CF_MUST, CF_SHOULD };
enum cf_outcome { CF_PASS, CF_FAIL, CF_SKIP };

/* ---- Raw connections (raw.c) --------------------------------------------- */

struct cf_conn {
    int fd;
    uint16_t next_id;
    int timeout_ms; /* for a send the server does not read */
};

struct cf_msg {
    struct vfio_user_header hdr;
    uint8_t *data; /* hdr.msg_size - 16 bytes, NULL when none */
    size_t len;
    int fds[CF_MAX_FDS];
    unsigned nfds;
};

void cf_msg_init(struct cf_msg *m);
/** Close the message's fds and free its payload; the message is reusable. */
void cf_msg_free(struct cf_msg *m);
void cf_conn_close(struct cf_conn *c);

/** Send @p len bytes as they are, with @p nfds fds on the first byte.
 * @return 0, -ETIMEDOUT when the server stops reading for the connection's
 * timeout, or -errno. */
int cf_send_bytes(struct cf_conn *c, const void *buf, size_t len,
                  const int *fds, unsigned nfds);
/** A whole message: a header with @p id, @p cmd, @p flags and the right
 * msg_size, then @p payload. */
int cf_send_msg(struct cf_conn *c, uint16_t id, uint16_t cmd, uint32_t flags,
                const void *payload, size_t len, const int *fds, unsigned nfds);
/**
 * Receive one message within @p timeout_ms.
 * @return 0, -ETIMEDOUT, -ECONNRESET when the server closed the connection,
 * -EPROTO for a header whose size cannot be a message, or another -errno.
 */
int cf_recv(struct cf_conn *c, int timeout_ms, struct cf_msg *m);

/* ---- Reaching the server (target.c) -------------------------------------- */

struct cf_target;

/** A connected socket to the server (starting one with --spawn if none is
 * running). @return the fd, or -errno with the reason in @p why. */
int cf_target_connect(struct cf_target *tg, char *why, size_t whylen);
/** Whether the target can give connections after the first. */
bool cf_target_reconnects(const struct cf_target *tg);
bool cf_target_spawns(const struct cf_target *tg);
/** With --spawn: stop the current server and start a new one. */
int cf_target_restart(struct cf_target *tg, char *why, size_t whylen);
/**
 * With --spawn, after our connection closed: whether the server process
 * ended within @p timeout_ms, and how. @return 1 with a sentence in @p how
 * when it died of a signal (a crash), 0 when it exited or still runs, -1
 * without --spawn.
 */
int cf_target_died(struct cf_target *tg, int timeout_ms, bool *exited,
                   char *how, size_t howlen);

/* ---- Sessions (session.c) ------------------------------------------------ */

struct cf_region {
    bool ok;       /* the info reply decoded */
    char err[256]; /* why not */
    struct vuc_region_info ri;
    uint32_t argsz; /* the argsz of the full reply */
};

struct cf_irq {
    bool ok;
    char err[256];
    struct vuc_irq_info ii;
};

/* A negotiated connection and what the server said about its device. */
struct cf_session {
    struct cf_conn c;
    bool dead; /* the stream can no longer be trusted */
    uint16_t major, minor;
    uint8_t *ver; /* the VERSION reply's payload as it came */
    size_t ver_len;
    unsigned ver_nfds;
    char *json; /* the server's VERSION JSON, or NULL */
    uint32_t max_msg_fds, max_data_xfer_size, max_dma_maps;
    uint64_t pgsizes;
    bool write_multiple;
    bool have_info;
    char info_err[256];
    struct vuc_device_info info;
    struct cf_region regions[VUC_MAX_REGIONS];
    struct cf_irq irqs[VUC_MAX_IRQ_INDEXES];
};

struct cf_t;

/** The VERSION proposal every session makes (NUL-terminated JSON). */
extern const char cf_proposal_json[];

/** Negotiate on @p fd (taken) and discover the device. On failure the
 * reason is in @p why and the fd is closed. */
struct cf_session *cf_session_open(int fd, int timeout_ms, char *why,
                                   size_t whylen);
void cf_session_close(struct cf_session *s);

/* ---- Checks and their context (runner.c) --------------------------------- */

/* What a check needs besides the shared session. */
#define CF_FRESH 1u /* its own connection, which it may break */
#define CF_TWO 2u   /* a second, fresh server (--spawn only) */

struct cf_check {
    const char *id;
    const char *section; /* heading of vfio-user.rst */
    enum cf_level level;
    unsigned needs;
    const char *rule; /* the sentence tested; a SHOULD says why it is one */
    void (*run)(struct cf_t *t);
};

struct cf_t {
    const struct cf_check *check;
    struct cf_target *tg;
    struct cf_session *s; /* the shared session; NULL for CF_FRESH checks */
    int timeout_ms;
    enum cf_outcome outcome;
    char text[2048]; /* why it failed or was skipped */
};

/** Mark the check failed (the first reason is kept). */
void cf_fail(struct cf_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/** Mark the check skipped, unless it already failed. */
void cf_skip(struct cf_t *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline bool cf_failed(const struct cf_t *t)
{
    return t->outcome != CF_PASS;
}

/** For CF_FRESH/CF_TWO checks: a new raw connection (not negotiated).
 * @return false after cf_fail/cf_skip. */
bool cf_connect_raw(struct cf_t *t, struct cf_conn *c);
/** A new negotiated session of the check's own (free with
 * cf_session_close). @return NULL after cf_fail/cf_skip. */
struct cf_session *cf_open_session(struct cf_t *t);
/** Another session on the server already running (never a new server);
 * NULL after cf_skip when that server is gone or takes one connection. */
struct cf_session *cf_reopen_session(struct cf_t *t);
/** With --spawn, replace the server by a fresh one; else skip. */
bool cf_fresh_server(struct cf_t *t);
/**
 * After a check abused its connection @p c (closed here): fail the check
 * unless the server still serves a new connection, or, with --spawn,
 * exited rather than died of a signal (a server that serves one client
 * exits).
 */
void cf_expect_survival(struct cf_t *t, struct cf_conn *c);

/* ---- Exchanges (raw.c) --------------------------------------------------- */

/**
 * Send a command with the next id and receive its reply into @p m.
 * @return 0 with the reply (an error reply included), or -errno when none
 * came. A reply with another id is -EPROTO, after cf_fail naming both ids.
 */
int cf_call(struct cf_t *t, struct cf_conn *c, uint16_t cmd, uint32_t flags,
            const void *payload, size_t len, const int *fds, unsigned nfds,
            struct cf_msg *m);
/** Describe a transport result: "no reply within 2000 ms", ... */
const char *cf_io_text(int rc);
/** "an error reply (errno 22, Invalid argument)" / "a reply of 16 bytes". */
const char *cf_reply_text(const struct cf_msg *m);
static inline bool cf_is_error(const struct cf_msg *m)
{
    return (m->hdr.flags & VFIO_USER_F_ERROR) != 0;
}

/**
 * The shared session's call: on a transport failure the check fails
 * (naming @p what) and the session is marked dead. @return true when a
 * reply arrived.
 */
bool cf_req(struct cf_t *t, uint16_t cmd, const void *payload, size_t len,
            const int *fds, unsigned nfds, struct cf_msg *m, const char *what);
/** cf_req, and the reply must not be an error. */
bool cf_req_ok(struct cf_t *t, uint16_t cmd, const void *payload, size_t len,
               const int *fds, unsigned nfds, struct cf_msg *m,
               const char *what);
/** cf_req, and the reply must be an error reply; @return true if so. */
bool cf_req_refused(struct cf_t *t, uint16_t cmd, const void *payload,
                    size_t len, const int *fds, unsigned nfds,
                    const char *what);

/* ---- Helpers shared by the checks ---------------------------------------- */

/** A region that behaves as plain memory: readable, writable, mappable;
 * -1 when the device has none. */
int cf_memory_region(const struct cf_session *s);
/** The first region with size > 0 and the READ flag, or -1. */
int cf_readable_region(const struct cf_session *s);
/** REGION_READ/WRITE on the shared session; false after cf_fail. */
bool cf_region_read(struct cf_t *t, uint32_t region, uint64_t off, void *buf,
                    uint32_t count);
bool cf_region_write(struct cf_t *t, uint32_t region, uint64_t off,
                     const void *buf, uint32_t count);
/** A sealed memfd of @p size bytes, or -1 after cf_fail. */
int cf_memfd(struct cf_t *t, size_t size);
/** DMA_MAP of @p fd (or none when < 0) at @p iova; @return the reply's
 * errno (0 on success), or -1 after cf_fail for a transport failure. */
int cf_dma_map(struct cf_t *t, int fd, uint64_t iova, uint64_t size);
int cf_dma_unmap(struct cf_t *t, uint64_t iova, uint64_t size, uint32_t flags);
/** DEVICE_FEATURE; @return the reply's errno or -1 as cf_dma_map. On
 * success the reply stays in @p m for the caller to free. */
int cf_feature(struct cf_t *t, uint32_t flags, const void *data,
               size_t data_len, uint32_t argsz, struct cf_msg *m);
/**
 * Judge what a malformed or refused request got: an error reply (kept in
 * nothing; freed) or the connection closed pass; a success reply, silence
 * for the whole timeout, or a broken reply fail, naming @p what.
 * @p rc and @p m are what cf_call returned.
 */
void cf_expect_refusal(struct cf_t *t, int rc, struct cf_msg *m,
                       const char *what);
/** Page size for DMA maps: the smallest the server advertised. */
uint64_t cf_page_size(const struct cf_session *s);

/* ---- The catalogue ------------------------------------------------------- */

struct cf_group {
    const struct cf_check *checks;
    size_t n;
};

extern const struct cf_group cf_version_checks, cf_device_checks,
    cf_region_checks, cf_dma_checks, cf_irq_checks, cf_state_checks,
    cf_msg_checks;

/* ---- Results and reports (report.c) -------------------------------------- */

struct cf_result {
    const struct cf_check *check;
    enum cf_outcome outcome;
    char text[2048];
    double seconds;
};

enum cf_format { CF_FMT_TAP, CF_FMT_TABLE, CF_FMT_JSON };

void cf_report(FILE *out, enum cf_format fmt, const char *server,
               const struct cf_result *r, size_t n, double seconds);
int cf_report_junit(const char *path, const char *server,
                    const struct cf_result *r, size_t n, double seconds);
void cf_report_list(FILE *out, bool json, const struct cf_check *const *c,
                    size_t n);

#endif /* VUC_CONFORM_INT_H */
