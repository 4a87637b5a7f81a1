/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuctl's documentation: the option table and the prose that --help and the
 * man page (--man) both print, so that neither can say something the other
 * does not. Commands are documented by their table in cmds.c.
 */
#ifndef VUCTL_DOC_H
#define VUCTL_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Long-only options take values above any character. */
enum {
    VUCTL_OPT_SPAWN = 256,
    VUCTL_OPT_NO_SHARE,
    VUCTL_OPT_NO_TWIN,
    VUCTL_OPT_MAN,
    VUCTL_OPT_TRACE,
};

struct vuctl_option {
    const char *name;
    int has_arg;      /* getopt_long's no_argument / required_argument */
    int val;          /* the short option letter, or a VUCTL_OPT_* value */
    const char *arg;  /* the argument's name, or NULL */
    const char *help; /* one line */
    bool hidden;      /* left out of --help and the man page */
};

extern const struct vuctl_option vuctl_options[];
extern const size_t vuctl_noptions;

/* The --help text. */
void vuctl_doc_usage(FILE *f);

/* The man page, in roff (man macros). */
void vuctl_doc_man(FILE *f, const char *version);

#endif /* VUCTL_DOC_H */
