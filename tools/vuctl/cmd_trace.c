/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `trace on|off|FILE` and --trace[=FILE]: libvuc's trace callback, formatted
 * by its tracer, one line per message, so that a failing CI script shows the
 * exchange that led to the failure.
 */
#include "cmd_trace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vuc/vuc.h>

#include "cmds.h"
#include "vuctl.h"

struct vuctl_trace {
    struct vuc_tracer *tracer;
    FILE *out;
    bool own; /* out is a file vuctl opened */
    char line[VUC_TRACER_LINE_MAX];
};

static void trace_line(void *arg, const struct vuc_trace_msg *msg)
{
    struct vuctl_trace *t = arg;

    if (vuc_tracer_format(t->tracer, msg, t->line, sizeof(t->line)) < 0)
        return;
    fputs(t->line, t->out);
    fputc('\n', t->out);
    /* Line by line: what led to a crash or a kill must be on record. */
    fflush(t->out);
}

/* The callback for this client and every later one. */
static void trace_install(struct vuctl *v, vuc_trace_fn fn, void *arg)
{
    vuc_options_set_trace(v->opts, fn, arg);
    if (v->client)
        vuc_set_trace(v->client, fn, arg);
}

void vuctl_trace_stop(struct vuctl *v)
{
    struct vuctl_trace *t = v->trace;

    if (t == NULL)
        return;
    trace_install(v, NULL, NULL);
    if (t->own)
        fclose(t->out);
    vuc_tracer_free(t->tracer);
    free(t);
    v->trace = NULL;
}

int vuctl_trace_start(struct vuctl *v, const char *dest)
{
    bool to_stderr = dest == NULL || strcmp(dest, "-") == 0;
    struct vuctl_trace *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    t->tracer = vuc_tracer_new(v->json ? VUC_TRACER_JSON : 0);
    if (t->tracer == NULL) {
        free(t);
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    }
    t->out = to_stderr ? stderr : fopen(dest, "we");
    if (t->out == NULL) {
        int err = errno;
        vuc_tracer_free(t->tracer);
        free(t);
        return vuctl_fail(v, VUCTL_FAIL, err, "cannot open trace file %s: %s",
                          dest, strerror(err));
    }
    t->own = !to_stderr;
    vuctl_trace_stop(v);
    v->trace = t;
    trace_install(v, trace_line, t);
    return VUCTL_OK;
}

static int cmd_trace(struct vuctl *v, int argc, char **argv)
{
    (void)argc;
    if (strcmp(argv[1], "off") == 0) {
        vuctl_trace_stop(v);
        return VUCTL_OK;
    }
    return vuctl_trace_start(v, strcmp(argv[1], "on") == 0 ? NULL : argv[1]);
}

static const struct vuctl_cmd trace_cmds[] = {
    {
        .name = "trace",
        .args = "on|off|FILE",
        .summary = "print every vfio-user message",
        .help = "Print one decoded line per message sent or received, from\n"
                "now on and for later connections: on writes to stderr, FILE\n"
                "to a file (./on names a file called on), off stops. With\n"
                "--json the lines are JSON objects. Replies name the request\n"
                "they answer and how long it took.\n",
        .example = "trace on\ntrace /tmp/session.trace\n",
        .fn = cmd_trace,
        .min_args = 1,
        .max_args = 1,
        .first_arg = VUCTL_ARG_FILE,
        .words = "on off",
    },
};

const struct vuctl_cmd_table vuctl_trace_table = {
    trace_cmds, sizeof(trace_cmds) / sizeof(trace_cmds[0])};
