/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command line of vuc-conform and vuctl's `conform`, and the run from
 * the first connection to the report and exit status.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conform.h"
#include "runner.h"
#include "target.h"

#define MAX_CHECKS 256
#define MAX_GLOBS 64
#define DEFAULT_TIMEOUT_MS 3000

const char vuc_conform_usage[] =
    "Usage: vuc-conform [options] SOCKET\n"
    "       vuc-conform [options] --fd N\n"
    "       vuc-conform [options] --spawn 'CMD --socket-path={}'\n"
    "\n"
    "Run the vfio-user conformance checks against a server.\n"
    "\n"
    "  SOCKET             connect to the server's UNIX socket (anew for\n"
    "                     every check that needs its own connection)\n"
    "  --fd N             use the connected socket N (one connection: the\n"
    "                     checks that need their own are skipped)\n"
    "  --spawn CMD        start CMD through /bin/sh with {} replaced by a\n"
    "                     socket path, or {fd} by a connected socket; a\n"
    "                     fresh server for each check that needs one\n"
    "  --list             list the checks (with --json as JSON) and exit\n"
    "  --only GLOB        run only checks whose id matches (repeatable)\n"
    "  --skip GLOB        do not run checks whose id matches (repeatable)\n"
    "  --timeout MS       wait at most MS ms for each reply (default 3000)\n"
    "  --tap              TAP 14 on stdout (default when it is not a "
    "terminal)\n"
    "  --table            a table on stdout (default on a terminal)\n"
    "  --json             JSON on stdout\n"
    "  --junit FILE       also write JUnit XML to FILE\n"
    "  -v, --verbose      let a spawned server write to stderr\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 when every MUST check passed, 1 when one failed, 2 on a\n"
    "usage error, 3 when the server could not be reached.\n";

struct cli {
    struct cf_target tg;
    char *only[MAX_GLOBS], *skip[MAX_GLOBS];
    size_t n_only, n_skip;
    int timeout_ms;
    bool list, fmt_set;
    enum cf_format fmt;
    const char *junit;
};

static int usage_error(const char *prog, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", prog);
    return VUC_CONFORM_USAGE;
}

static bool parse_int(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    if (!*s || *s == '+' || *s == '-')
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* @return -1 to go on, or an exit status. */
static int parse(int argc, char **argv, struct cli *o)
{
    const char *prog = argv[0];

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
        long n;

        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(vuc_conform_usage, stdout);
            return VUC_CONFORM_OK;
        }
        if (!strcmp(a, "--list")) {
            o->list = true;
            continue;
        }
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->tg.verbose = true;
            continue;
        }
        if (!strcmp(a, "--tap") || !strcmp(a, "--table") ||
            !strcmp(a, "--json")) {
            if (o->fmt_set)
                return usage_error(prog, "give one of --tap, --table, --json");
            o->fmt_set = true;
            o->fmt = a[2] == 't' && a[3] == 'a' && a[4] == 'p' ? CF_FMT_TAP
                     : a[2] == 't'                             ? CF_FMT_TABLE
                                                               : CF_FMT_JSON;
            continue;
        }
        if (a[0] != '-') {
            if (o->tg.path)
                return usage_error(prog, "unexpected argument '%s'", a);
            o->tg.path = a;
            continue;
        }
        if (strcmp(a, "--fd") && strcmp(a, "--spawn") && strcmp(a, "--only") &&
            strcmp(a, "--skip") && strcmp(a, "--timeout") &&
            strcmp(a, "--junit"))
            return usage_error(prog, "unknown option '%s'", a);
        if (i + 1 >= argc)
            return usage_error(prog, "%s needs a value", a);
        val = argv[++i];
        if (!strcmp(a, "--fd")) {
            if (!parse_int(val, 0, INT_MAX, &n))
                return usage_error(prog, "--fd: '%s' is not an fd number", val);
            o->tg.fd = (int)n;
        } else if (!strcmp(a, "--spawn")) {
            if (!strstr(val, "{}") && !strstr(val, "{fd}"))
                return usage_error(prog,
                                   "--spawn: the command has neither {} (the "
                                   "socket path) nor {fd}");
            o->tg.spawn = val;
        } else if (!strcmp(a, "--timeout")) {
            if (!parse_int(val, 1, 600000, &n))
                return usage_error(prog,
                                   "--timeout: '%s' is not a number of ms in "
                                   "[1, 600000]",
                                   val);
            o->timeout_ms = (int)n;
        } else if (!strcmp(a, "--junit")) {
            o->junit = val;
        } else {
            bool only = !strcmp(a, "--only");
            size_t *k = only ? &o->n_only : &o->n_skip;

            if (*k == MAX_GLOBS)
                return usage_error(prog, "more than %d %s patterns", MAX_GLOBS,
                                   a);
            (only ? o->only : o->skip)[(*k)++] = (char *)val;
        }
    }
    if (o->list)
        return -1;
    if (!!o->tg.path + (o->tg.fd >= 0) + !!o->tg.spawn != 1)
        return usage_error(prog,
                           "give exactly one of SOCKET, --fd N or --spawn CMD");
    return -1;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(struct cli *o, const char *prog, const struct cf_check **all,
               size_t n_all)
{
    static struct cf_result results[MAX_CHECKS];
    struct cf_runner rn = {.tg = &o->tg, .timeout_ms = o->timeout_ms};
    const char *server = o->tg.spawn ? o->tg.spawn : o->tg.path;
    char label[64], why[256];
    size_t n = 0;
    int status = VUC_CONFORM_OK, fd, rc;
    double t0 = now_s();

    if (o->tg.fd >= 0) {
        snprintf(label, sizeof(label), "fd %d", o->tg.fd);
        server = label;
    }
    rc = cf_target_init(&o->tg);
    if (rc) {
        fprintf(stderr, "%s: cannot create a private directory: %s\n", prog,
                strerror(-rc));
        return VUC_CONFORM_UNREACHABLE;
    }
    /* Reachable at all? Then that connection is the first shared session. */
    fd = cf_target_connect(&o->tg, why, sizeof(why));
    if (fd < 0) {
        fprintf(stderr, "%s: cannot reach the server: %s\n", prog, why);
        cf_target_fini(&o->tg);
        return VUC_CONFORM_UNREACHABLE;
    }
    rn.shared = cf_session_open(fd, o->timeout_ms, why, sizeof(why));
    if (!rn.shared)
        snprintf(rn.no_session, sizeof(rn.no_session), "no session: %s", why);

    for (size_t i = 0; i < n_all; i++) {
        if (!cf_selected(all[i], o->only, o->n_only, o->skip, o->n_skip))
            continue;
        cf_run_one(&rn, all[i], &results[n]);
        if (results[n].outcome == CF_FAIL && all[i]->level == CF_MUST)
            status = VUC_CONFORM_FAILED;
        n++;
    }
    cf_session_close(rn.shared);
    cf_target_fini(&o->tg);

    cf_report(stdout, o->fmt, server, results, n, now_s() - t0);
    if (o->junit) {
        rc = cf_report_junit(o->junit, server, results, n, now_s() - t0);
        if (rc) {
            fprintf(stderr, "%s: writing %s: %s\n", prog, o->junit,
                    strerror(-rc));
            if (status == VUC_CONFORM_OK)
                status = VUC_CONFORM_FAILED;
        }
    }
    return status;
}

int vuc_conform_main(int argc, char **argv)
{
    static const struct cf_check *all[MAX_CHECKS];
    struct cli o = {.tg = {.fd = -1, .pid = -1, .pgid = -1, .conn_fd = -1},
                    .timeout_ms = DEFAULT_TIMEOUT_MS};
    const char *prog = argc > 0 ? argv[0] : "vuc-conform";
    size_t n_all = cf_catalogue(all, MAX_CHECKS);
    void (*old_pipe)(int);
    int rc;

    o.fmt = isatty(STDOUT_FILENO) ? CF_FMT_TABLE : CF_FMT_TAP;
    rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (o.list) {
        size_t k = 0;

        for (size_t i = 0; i < n_all; i++)
            if (cf_selected(all[i], o.only, o.n_only, o.skip, o.n_skip))
                all[k++] = all[i];
        cf_report_list(stdout, o.fmt_set && o.fmt == CF_FMT_JSON, all, k);
        return VUC_CONFORM_OK;
    }
    /* A server that closes on us must not kill the run. */
    old_pipe = signal(SIGPIPE, SIG_IGN);
    rc = run(&o, prog, all, n_all);
    signal(SIGPIPE, old_pipe);
    return rc;
}
