/* SPDX-License-Identifier: BSD-3-Clause */
/* vuctl: options, choice of mode, exit status. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <vuc/vuc.h>

#include "cmd_trace.h"
#include "conn.h"
#include "cmds.h"
#include "doc.h"
#include "output.h"
#include "parse.h"
#include "spawn.h"
#include "vuctl.h"

#ifndef VUCTL_VERSION
#define VUCTL_VERSION "unknown"
#endif

static void log_fn(void *arg, enum vuc_log_level level, const char *msg)
{
    fputs("vuctl: libvuc: ", stderr);
    /* Log lines can quote what a server sent. */
    out_sanitized(stderr, msg);
    fputc('\n', stderr);
}

struct source {
    char kind; /* 'c' or 'f' */
    const char *arg;
};

static int __attribute__((format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("vuctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'vuctl --help'.\n", stderr);
    return VUCTL_USAGE;
}

int main(int argc, char **argv)
{
    struct option *longopts;
    char *shortopts;
    struct source *sources;
    size_t nsources = 0, n = 0;
    struct vuctl v = {0};
    const char *spawn = NULL;
    const char *trace = NULL;
    uint64_t timeout = 0;
    bool have_timeout = false;
    int status = VUCTL_OK;
    int opt;

    /* From the one option table that --help and the man page print. At
     * most one source per argument, so argc bounds them. */
    longopts = calloc(vuctl_noptions + 1, sizeof(*longopts));
    shortopts = malloc(2 * vuctl_noptions + 2);
    sources = calloc((size_t)argc, sizeof(*sources));
    if (!longopts || !shortopts || !sources) {
        fputs("vuctl: out of memory\n", stderr);
        status = VUCTL_FAIL;
        goto out;
    }

    /* Leading ':' and opterr = 0: report bad options as "vuctl: ..." like
     * every other message, not under the full path of argv[0]. */
    shortopts[n++] = ':';
    opterr = 0;
    for (size_t i = 0; i < vuctl_noptions; i++) {
        const struct vuctl_option *o = &vuctl_options[i];

        longopts[i] = (struct option){o->name, o->has_arg, NULL, o->val};
        if (o->val >= 256)
            continue;
        shortopts[n++] = (char)o->val;
        if (o->has_arg)
            shortopts[n++] = ':';
    }
    shortopts[n] = '\0';

    while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
        char err[256];

        switch (opt) {
        case 'c':
        case 'f':
            sources[nsources].kind = (char)opt;
            sources[nsources++].arg = optarg;
            break;
        case 'j':
            v.json = true;
            break;
        case 't':
            if (vuctl_parse_u64(optarg, INT_MAX, &timeout, err, sizeof(err))) {
                fprintf(stderr, "vuctl: --timeout: %s\n", err);
                status = VUCTL_USAGE;
                goto out;
            }
            have_timeout = true;
            break;
        case VUCTL_OPT_SPAWN:
            if (spawn) {
                status = usage_error("--spawn given twice");
                goto out;
            }
            spawn = optarg;
            break;
        case VUCTL_OPT_NO_SHARE:
            v.all_noshare = true;
            break;
        case VUCTL_OPT_NO_TWIN:
            v.all_notwin = true;
            break;
        case VUCTL_OPT_TRACE:
            trace = optarg ? optarg : "-";
            break;
        case 'v':
            v.verbose++;
            break;
        case 'h':
            vuctl_doc_usage(stdout);
            goto out;
        case VUCTL_OPT_MAN:
            vuctl_doc_man(stdout, VUCTL_VERSION);
            goto out;
        case 'V':
            printf("vuctl %s (libvuc %s, API %d.%d.%d, vfio-user %d.%d)\n",
                   VUCTL_VERSION, vuc_version(), VUC_VERSION_MAJOR,
                   VUC_VERSION_MINOR, VUC_VERSION_PATCH, VUC_PROTO_MAJOR,
                   VUC_PROTO_MINOR);
            goto out;
        case ':':
            status =
                usage_error("option '%s' needs an argument", argv[optind - 1]);
            goto out;
        default:
            if (optopt > 0 && optopt < 256)
                status = usage_error("unknown option '-%c'", optopt);
            else
                status = usage_error("unknown option '%s'", argv[optind - 1]);
            goto out;
        }
    }
    if (spawn && optind < argc) {
        status = usage_error("unexpected argument '%s': --spawn connects to "
                             "the server it starts",
                             argv[optind]);
        goto out;
    }
    if (argc - optind > 1) {
        status = usage_error("unexpected argument '%s'", argv[optind + 1]);
        goto out;
    }

    v.base = event_base_new();
    v.opts = vuc_options_new();
    if (!v.base || !v.opts) {
        fputs("vuctl: cannot set up the event loop or client options\n",
              stderr);
        status = VUCTL_FAIL;
        goto out;
    }
    vuc_options_set_log(v.opts, log_fn, &v,
                        v.verbose ? VUC_LOG_DEBUG : VUC_LOG_WARNING);
    if (have_timeout && vuc_options_set_timeout(v.opts, (int)timeout) < 0) {
        fprintf(stderr, "vuctl: --timeout: libvuc refused %d ms\n",
                (int)timeout);
        status = VUCTL_USAGE;
        goto out;
    }

    if (trace && (status = vuctl_trace_start(&v, trace)) != VUCTL_OK) {
        out_error(&v, "--trace", NULL);
        goto out;
    }
    if (spawn) {
        status = vuctl_spawn_start(&v, spawn, v.all_noshare, !v.all_notwin);
        if (status != VUCTL_OK)
            goto out;
    } else if (optind < argc) {
        /* The connect command's own path, so that a failure reads alike. */
        status = vuctl_connect(&v, argv[optind], argv[optind], -1,
                               v.all_noshare, !v.all_notwin, NULL);
        if (status != VUCTL_OK) {
            out_error(&v, "connect", NULL);
            goto out;
        }
    }

    for (size_t i = 0; i < nsources && status == VUCTL_OK && !v.quit; i++) {
        if (sources[i].kind == 'c')
            status = vuctl_run_text(&v, sources[i].arg);
        else
            status = vuctl_run_file(&v, sources[i].arg);
    }
    if (nsources == 0 && status == VUCTL_OK) {
        if (isatty(STDIN_FILENO))
            status = vuctl_interactive(&v);
        else
            status = vuctl_run_file(&v, "-");
    }
    /* At the end of the script or at quit: closing would drop posted writes
     * unconfirmed, and a failure of one of them unreported. */
    if (vuctl_fence_at_exit(&v) != VUCTL_OK && status == VUCTL_OK)
        status = VUCTL_FAIL;

out:
    fflush(stdout);
    vuctl_disconnect(&v);
    /* After the connection is closed: a server that serves one client may
     * then exit by itself, cleanly. */
    if (vuctl_spawn_stop() != VUCTL_OK && status == VUCTL_OK)
        status = VUCTL_CONN;
    vuctl_vars_free(&v);
    vuctl_trace_stop(&v);
    vuc_options_free(v.opts);
    if (v.base)
        event_base_free(v.base);
    free(sources);
    free(shortopts);
    free(longopts);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "vuctl: error writing output: %s\n", strerror(errno));
        if (status == VUCTL_OK)
            status = VUCTL_FAIL;
    }
    return status;
}
