/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * conform: the conformance suite of tools/conform (conform.h), as
 * vuc-conform runs it, against the server vuctl is connected to or any
 * other given as vuc-conform takes it. Built only when that module is.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cmds.h"
#include "conform.h"
#include "conn.h"
#include "vuctl.h"

#define MAX_ARGS 64

/* Whether the arguments name the server (or need none), and the format. */
static void scan(int argc, char **argv, bool *target, bool *format)
{
    static const char *const valued[] = {"--only", "--skip", "--timeout",
                                         "--junit"};

    *target = *format = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];

        bool takes_value = false;

        for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++)
            takes_value |= !strcmp(a, valued[k]);
        if (takes_value) {
            i++; /* its value is no SOCKET */
            continue;
        }
        if (a[0] != '-' || !strcmp(a, "--fd") || !strcmp(a, "--spawn") ||
            !strcmp(a, "--list") || !strcmp(a, "-h") || !strcmp(a, "--help"))
            *target = true;
        if (!strcmp(a, "--tap") || !strcmp(a, "--table") ||
            !strcmp(a, "--json"))
            *format = true;
    }
}

/* Run the module with its stdout read back, as one line of vuctl JSON. */
static int run_json(int argc, char **argv)
{
    FILE *tmp = tmpfile();
    json_t *doc = NULL, *obj;
    int saved, status;

    if (!tmp)
        return -errno;
    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    if (saved < 0 || dup2(fileno(tmp), STDOUT_FILENO) < 0) {
        if (saved >= 0)
            close(saved);
        fclose(tmp);
        return -EIO;
    }
    status = vuc_conform_main(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    rewind(tmp);
    doc = json_loadf(tmp, 0, NULL);
    fclose(tmp);
    obj = doc ? json_pack("{s:s,s:o}", "cmd", "conform", "result", doc) : NULL;
    if (obj && json_dumpf(obj, stdout, JSON_COMPACT) == 0)
        fputc('\n', stdout);
    json_decref(obj);
    return status;
}

static int cmd_conform(struct vuctl *v, int argc, char **argv)
{
    char *args[MAX_ARGS + 3];
    struct vuctl_away away = {0};
    bool target, format;
    int n = 0, status, rc = VUCTL_OK;

    if (argc > MAX_ARGS)
        return vuctl_fail(v, VUCTL_USAGE, E2BIG, "more than %d arguments",
                          MAX_ARGS);
    scan(argc, argv, &target, &format);
    if (v->json && format)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "with --json, conform reports in JSON: leave out "
                          "--tap, --table and --json");
    args[n++] = "conform";
    for (int i = 1; i < argc; i++)
        args[n++] = argv[i];
    if (v->json)
        args[n++] = "--json";
    if (!target) {
        /* vuctl's server: it may serve one client at a time, so vuctl's
         * own connection is closed for the run and made again after. */
        if (!v->sock)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "conform needs a server: connect by a socket "
                              "path, or give SOCKET, --fd N or --spawn CMD");
        if ((rc = vuctl_step_away(v, &away)))
            return rc;
        args[n++] = away.path;
    }
    args[n] = NULL;
    fflush(stdout);
    status = v->json ? run_json(n, args) : vuc_conform_main(n, args);
    fflush(stdout);
    rc = vuctl_come_back(v, &away);
    if (status < 0)
        return vuctl_fail(v, VUCTL_FAIL, -status,
                          "cannot capture the report: %s", strerror(-status));
    switch (status) {
    case VUC_CONFORM_OK:
        return rc;
    case VUC_CONFORM_FAILED:
        return vuctl_fail(v, VUCTL_FAIL, EPROTO,
                          "a MUST check failed (the report says which)");
    case VUC_CONFORM_USAGE:
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "bad conform arguments");
    default:
        return vuctl_fail(v, VUCTL_CONN, ECONNREFUSED,
                          "the server could not be reached");
    }
}

static const struct vuctl_cmd conform_cmds[] = {
    {
        .name = "conform",
        .args = "[OPTIONS] [SOCKET | --fd N | --spawn CMD]",
        .summary = "check the server against the vfio-user specification",
        .help = "Run the conformance suite (as vuc-conform does; see\n"
                "vuc-conform(1)) against the server vuctl is connected to by\n"
                "a socket path, or the one given. vuctl closes its own\n"
                "connection for the run and connects again after: DMA maps,\n"
                "enabled interrupts and the posting policy start afresh.\n"
                "OPTIONS: --only GLOB, --skip GLOB, --timeout MS, --list,\n"
                "--tap, --table, --json, --junit FILE. It fails when a MUST\n"
                "check fails. In JSON the suite's document is \"result\".\n",
        .example = "conform\nconform --only dma.* --junit dma.xml\n"
                   "conform --spawn \"vuc-testdev --socket-path={}\"\n",
        .fn = cmd_conform,
        .min_args = 0,
        .max_args = VUCTL_ANY_ARGS,
        .words = "--only --skip --timeout --list --tap --table --json "
                 "--junit --fd --spawn",
    },
};

const struct vuctl_cmd_table vuctl_conform_table = {
    conform_cmds, sizeof(conform_cmds) / sizeof(conform_cmds[0])};
