/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Running checks: the catalogue in order, the shared session most checks
 * use, connections and fresh servers for the checks that need their own,
 * and the test every abusive check ends with: does the server still serve?
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner.h"
#include "target.h"

static const struct cf_group *const groups[] = {
    &cf_version_checks, &cf_device_checks, &cf_region_checks, &cf_dma_checks,
    &cf_irq_checks,     &cf_state_checks,  &cf_msg_checks,
};

size_t cf_catalogue(const struct cf_check **out, size_t cap)
{
    size_t n = 0;

    for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
        for (size_t i = 0; i < groups[g]->n; i++)
            if (n < cap)
                out[n++] = &groups[g]->checks[i];
    return n;
}

static void vtext(struct cf_t *t, const char *fmt, va_list ap)
{
    vsnprintf(t->text, sizeof(t->text), fmt, ap);
}

void cf_fail(struct cf_t *t, const char *fmt, ...)
{
    va_list ap;

    if (t->outcome == CF_FAIL)
        return;
    t->outcome = CF_FAIL;
    va_start(ap, fmt);
    vtext(t, fmt, ap);
    va_end(ap);
}

void cf_skip(struct cf_t *t, const char *fmt, ...)
{
    va_list ap;

    if (t->outcome != CF_PASS)
        return;
    t->outcome = CF_SKIP;
    va_start(ap, fmt);
    vtext(t, fmt, ap);
    va_end(ap);
}

bool cf_connect_raw(struct cf_t *t, struct cf_conn *c)
{
    char why[256];
    int fd = cf_target_connect(t->tg, why, sizeof(why));

    c->fd = -1;
    c->next_id = 1;
    if (fd < 0) {
        cf_fail(t, "could not connect: %s", why);
        return false;
    }
    c->fd = fd;
    c->timeout_ms = t->timeout_ms;
    return true;
}

static struct cf_session *open_on(struct cf_t *t, int fd, const char *why)
{
    struct cf_session *s;
    char err[256];

    if (fd < 0) {
        cf_fail(t, "could not connect: %s", why);
        return NULL;
    }
    s = cf_session_open(fd, t->timeout_ms, err, sizeof(err));
    if (!s)
        cf_fail(t, "could not negotiate a session: %s", err);
    return s;
}

struct cf_session *cf_open_session(struct cf_t *t)
{
    char why[256];

    return open_on(t, cf_target_connect(t->tg, why, sizeof(why)), why);
}

struct cf_session *cf_reopen_session(struct cf_t *t)
{
    char why[256], how[128];
    int fd = cf_target_connect_existing(t->tg, why, sizeof(why));
    struct cf_session *s;
    bool exited;

    if (fd == -ECHILD) {
        cf_skip(t, "cannot reconnect to the same server: %s", why);
        return NULL;
    }
    if (fd >= 0) {
        s = cf_session_open(fd, t->timeout_ms, why, sizeof(why));
        if (s)
            return s;
    }
    /* A server that serves one client may take a connection on its way
     * out; its exit says so. */
    if (cf_target_died(t->tg, t->timeout_ms, &exited, how, sizeof(how)) >= 0 &&
        exited) {
        cf_skip(t, "the server serves one client (%s once its client left)",
                how);
        return NULL;
    }
    cf_fail(t, "could not reconnect: %s", why);
    return NULL;
}

bool cf_fresh_server(struct cf_t *t)
{
    char why[256];

    if (cf_target_restart(t->tg, why, sizeof(why))) {
        cf_fail(t, "could not start a fresh server: %s", why);
        return false;
    }
    return true;
}

void cf_expect_survival(struct cf_t *t, struct cf_conn *c)
{
    char why[256], how[256];
    struct cf_session *s;
    bool exited;
    int fd;

    cf_conn_close(c);
    if (t->outcome == CF_FAIL)
        return;
    fd = cf_target_connect_existing(t->tg, why, sizeof(why));
    if (fd >= 0) {
        s = cf_session_open(fd, t->timeout_ms, why, sizeof(why));
        if (s) {
            cf_session_close(s);
            return;
        }
    }
    switch (cf_target_died(t->tg, t->timeout_ms, &exited, how, sizeof(how))) {
    case 1:
        cf_fail(t, "afterwards %s", how);
        return;
    case 0:
        /* A server that serves one client exits once it is gone. */
        if (exited || strstr(t->tg->spawn, "{fd}"))
            return;
        cf_fail(t,
                "afterwards the server still runs but serves no new "
                "connection: %s",
                why);
        return;
    default:
        cf_fail(t,
                "afterwards the server serves no new connection: %s (a "
                "server that serves one client needs --spawn)",
                why);
    }
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

bool cf_selected(const struct cf_check *c, char **only, size_t n_only,
                 char **skip, size_t n_skip)
{
    bool in = n_only == 0;

    for (size_t i = 0; i < n_only && !in; i++)
        in = fnmatch(only[i], c->id, 0) == 0;
    for (size_t i = 0; i < n_skip && in; i++)
        in = fnmatch(skip[i], c->id, 0) != 0;
    return in;
}

/* The shared session, anew. With --spawn, a server that took its one
 * client already (it accepts, then closes) is replaced once. */
static void open_shared(struct cf_runner *rn)
{
    for (int attempt = 0; attempt < 2 && !rn->shared; attempt++) {
        char why[256], err[256];
        int fd;

        if (attempt && (!cf_target_spawns(rn->tg) ||
                        cf_target_restart(rn->tg, why, sizeof(why))))
            return;
        fd = cf_target_connect(rn->tg, why, sizeof(why));
        if (fd < 0) {
            snprintf(rn->no_session, sizeof(rn->no_session),
                     "no connection: %s", why);
            continue;
        }
        rn->shared = cf_session_open(fd, rn->timeout_ms, err, sizeof(err));
        if (!rn->shared)
            snprintf(rn->no_session, sizeof(rn->no_session), "no session: %s",
                     err);
    }
}

void cf_run_one(struct cf_runner *rn, const struct cf_check *c,
                struct cf_result *res)
{
    struct cf_t t = {
        .check = c,
        .tg = rn->tg,
        .timeout_ms = rn->timeout_ms,
        .outcome = CF_PASS,
    };
    double t0 = now_s();

    if ((c->needs & CF_TWO) && !cf_target_spawns(rn->tg)) {
        cf_skip(&t, "needs a second server: run with --spawn");
    } else if (c->needs & (CF_FRESH | CF_TWO)) {
        if (!cf_target_reconnects(rn->tg)) {
            cf_skip(&t, "needs a connection of its own: give SOCKET or "
                        "--spawn instead of --fd");
        } else {
            cf_session_close(rn->shared);
            rn->shared = NULL;
            if (!cf_target_spawns(rn->tg) || cf_fresh_server(&t))
                c->run(&t);
        }
    } else {
        if (rn->shared && rn->shared->dead) {
            cf_session_close(rn->shared);
            rn->shared = NULL;
        }
        if (!rn->shared)
            open_shared(rn);
        if (rn->shared) {
            t.s = rn->shared;
            c->run(&t);
        } else {
            cf_skip(&t, "%s", rn->no_session);
        }
    }
    res->check = c;
    res->outcome = t.outcome;
    snprintf(res->text, sizeof(res->text), "%s", t.text);
    res->seconds = now_s() - t0;
}
