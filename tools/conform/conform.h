/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio-user server conformance suite as a module, shared by the
 * vuc-conform program and vuctl's `conform` command: both hand it their
 * command line and it does the rest (options, reaching the server, the
 * checks, the report).
 */
#ifndef VUC_CONFORM_H
#define VUC_CONFORM_H

/* Exit statuses, as the man page lists them. */
enum vuc_conform_status {
    VUC_CONFORM_OK = 0,          /* every MUST check passed */
    VUC_CONFORM_FAILED = 1,      /* a MUST check failed */
    VUC_CONFORM_USAGE = 2,       /* bad command line */
    VUC_CONFORM_UNREACHABLE = 3, /* the server could not be reached */
};

/**
 * Run the suite as its command line @p argv (argv[0] is the program or
 * command name, used in messages) asks. Reports go to stdout (or the
 * --junit file), diagnostics to stderr.
 * @return an enum vuc_conform_status.
 */
int vuc_conform_main(int argc, char **argv);

/** The option summary printed by --help, for vuctl's help text. */
extern const char vuc_conform_usage[];

#endif /* VUC_CONFORM_H */
