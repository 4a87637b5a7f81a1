/* SPDX-License-Identifier: BSD-3-Clause */
/* vuctl: options, choice of mode, exit status. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <vuc/vuc.h>

#include "cmds.h"
#include "output.h"
#include "parse.h"
#include "vuctl.h"

#ifndef VUCTL_VERSION
#define VUCTL_VERSION "unknown"
#endif

/* One table for getopt_long() and for --help, so they cannot disagree. */
static const struct {
    const char *name;
    int has_arg;
    int val;
    const char *arg;
    const char *help;
} options[] = {
    {"command", required_argument, 'c', "CMDS",
     "run CMDS (separated by ';' or newlines)"},
    {"file", required_argument, 'f', "FILE",
     "run the commands in FILE ('-' is stdin)"},
    {"json", no_argument, 'j', NULL,
     "print one JSON object per command and line"},
    {"timeout", required_argument, 't', "MS",
     "request timeout (0: wait for ever; default 5000)"},
    {"verbose", no_argument, 'v', NULL,
     "also print libvuc's info and debug messages"},
    {"help", no_argument, 'h', NULL, "print this help and exit"},
    {"version", no_argument, 'V', NULL, "print the version and exit"},
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void usage(FILE *f)
{
    fputs("usage: vuctl [OPTIONS] [SOCKET]\n"
          "A shell for vfio-user devices, built on libvuc.\n"
          "\n"
          "With SOCKET, vuctl first runs 'connect SOCKET'. Commands then\n"
          "come from -c and -f (both repeatable) in the order given, or else\n"
          "from stdin: with a prompt, history and tab completion when stdin\n"
          "is a terminal. Outside the prompt, the first failing command ends\n"
          "the run.\n"
          "\n"
          "Options:\n",
          f);
    for (size_t i = 0; i < NOPTIONS; i++) {
        char left[40];

        snprintf(left, sizeof(left), "-%c, --%s%s%s", options[i].val,
                 options[i].name, options[i].arg ? "=" : "",
                 options[i].arg ? options[i].arg : "");
        fprintf(f, "  %-20s  %s\n", left, options[i].help);
    }
    fputs("\nCommands:\n", f);
    out_command_list(f);
    fputs("\n"
          "Numbers are decimal or 0x hex, with an optional k, m or g suffix\n"
          "(powers of 1024). Words are separated by blanks, commands by ';'\n"
          "or newlines; '#' starts a comment; \"...\" quotes.\n"
          "\n"
          "Exit status:\n"
          "  0  every command succeeded\n"
          "  1  a command failed\n"
          "  2  usage error: bad option, unknown command, bad number or\n"
          "     argument, unreadable script\n"
          "  3  connection or protocol error: connect failed, connection\n"
          "     lost, protocol violation, timeout\n",
          f);
}

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

int main(int argc, char **argv)
{
    struct option longopts[NOPTIONS + 1];
    char shortopts[2 * NOPTIONS + 2];
    struct source *sources;
    size_t nsources = 0, n = 0;
    struct vuctl v = {0};
    uint64_t timeout = 0;
    bool have_timeout = false;
    int status = VUCTL_OK;
    int opt;

    /* Leading ':' and opterr = 0: report bad options as "vuctl: ..." like
     * every other message, not under the full path of argv[0]. */
    shortopts[n++] = ':';
    opterr = 0;
    for (size_t i = 0; i < NOPTIONS; i++) {
        longopts[i] = (struct option){options[i].name, options[i].has_arg, NULL,
                                      options[i].val};
        shortopts[n++] = (char)options[i].val;
        if (options[i].has_arg)
            shortopts[n++] = ':';
    }
    memset(&longopts[NOPTIONS], 0, sizeof(longopts[0]));
    shortopts[n] = '\0';

    /* At most one source per argument, so argc bounds them. */
    sources = calloc((size_t)argc, sizeof(*sources));
    if (!sources) {
        fputs("vuctl: out of memory\n", stderr);
        return VUCTL_FAIL;
    }

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
                free(sources);
                return VUCTL_USAGE;
            }
            have_timeout = true;
            break;
        case 'v':
            v.verbose++;
            break;
        case 'h':
            usage(stdout);
            free(sources);
            return VUCTL_OK;
        case 'V':
            printf("vuctl %s (libvuc API %d.%d.%d, vfio-user %d.%d)\n",
                   VUCTL_VERSION, VUC_VERSION_MAJOR, VUC_VERSION_MINOR,
                   VUC_VERSION_PATCH, VUC_PROTO_MAJOR, VUC_PROTO_MINOR);
            free(sources);
            return VUCTL_OK;
        case ':':
            fprintf(stderr, "vuctl: option '%s' needs an argument\n",
                    argv[optind - 1]);
            fputs("Try 'vuctl --help'.\n", stderr);
            free(sources);
            return VUCTL_USAGE;
        default:
            if (optopt)
                fprintf(stderr, "vuctl: unknown option '-%c'\n", optopt);
            else
                fprintf(stderr, "vuctl: unknown option '%s'\n",
                        argv[optind - 1]);
            fputs("Try 'vuctl --help'.\n", stderr);
            free(sources);
            return VUCTL_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr,
                "vuctl: unexpected argument '%s'\n"
                "Try 'vuctl --help'.\n",
                argv[optind + 1]);
        free(sources);
        return VUCTL_USAGE;
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

    if (optind < argc) {
        char *connect_argv[] = {"connect", argv[optind], NULL};

        status = vuctl_cmd_run(&v, 2, connect_argv, NULL);
        if (status != VUCTL_OK)
            goto out;
    }

    for (size_t i = 0; i < nsources && status == VUCTL_OK && !v.quit; i++) {
        if (sources[i].kind == 'c')
            status = vuctl_run_text(&v, sources[i].arg);
        else
            status = vuctl_run_file(&v, sources[i].arg);
    }
    if (nsources == 0) {
        if (isatty(STDIN_FILENO))
            status = vuctl_interactive(&v);
        else
            status = vuctl_run_file(&v, "-");
    }

out:
    vuc_client_free(v.client);
    free(v.path);
    vuc_options_free(v.opts);
    if (v.base)
        event_base_free(v.base);
    free(sources);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "vuctl: error writing output: %s\n", strerror(errno));
        if (status == VUCTL_OK)
            status = VUCTL_FAIL;
    }
    return status;
}
