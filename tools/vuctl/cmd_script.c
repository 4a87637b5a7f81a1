/* SPDX-License-Identifier: BSD-3-Clause */
/* Commands for scripts: variables, checks, notes and waiting. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "args.h"
#include "cmds.h"
#include "output.h"
#include "parse.h"
#include "run.h"
#include "vuctl.h"

/* The longest sleep: a day, far beyond any test, short of a typo's years. */
#define SLEEP_MAX_MS (24ull * 3600 * 1000)

static int cmd_set(struct vuctl *v, int argc, char **argv)
{
    const char *name = argv[1];
    uint64_t value;
    int status;

    /* `set posting MODE` has no '=': never a variable named posting. */
    if (argc == 3 && !strcmp(name, "posting") && strcmp(argv[2], "="))
        return vuctl_set_posting(v, argv[2]);
    if (!vuctl_var_name_ok(name, strlen(name)))
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad variable name '%s': a name is a letter or "
                          "'_', then letters, digits and '_', at most %d of "
                          "them",
                          name, VUCTL_VAR_NAME_MAX);
    if (strcmp(argv[2], "="))
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "expected '=' after '%s', got '%s' (usage: set "
                          "NAME = COMMAND [ARGS...], set NAME = NUMBER, or "
                          "set posting MODE)",
                          name, argv[2]);
    if (argc < 4)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "expected a command or a number after '='");
    status = vuctl_cmd_value(v, argc - 3, argv + 3, &value);
    if (status)
        return status;
    if (vuctl_var_set(v, name, value) < 0)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    out_set(v, name, value);
    return VUCTL_OK;
}

static int cmd_vars(struct vuctl *v, int argc, char **argv)
{
    out_vars(v);
    return VUCTL_OK;
}

/* ---- Text --------------------------------------------------------------- */

/*
 * The words joined by blanks, as a script would spell them: a word that
 * would not come back as one word is quoted.
 */
static char *join_words(int argc, char **argv)
{
    size_t len = 1;
    char *s, *p;

    for (int i = 0; i < argc; i++)
        len += 2 * strlen(argv[i]) + 3;
    s = malloc(len);
    if (!s)
        return NULL;
    p = s;
    for (int i = 0; i < argc; i++) {
        const char *w = argv[i];
        bool quote = !w[0] || strpbrk(w, " \t\r\n;#\"") != NULL;

        if (i)
            *p++ = ' ';
        if (quote)
            *p++ = '"';
        for (; *w; w++) {
            if (quote && (*w == '"' || *w == '\\'))
                *p++ = '\\';
            *p++ = *w;
        }
        if (quote)
            *p++ = '"';
    }
    *p = '\0';
    return s;
}

static int cmd_echo(struct vuctl *v, int argc, char **argv)
{
    size_t len = 1;
    char *text, *p;

    /* Plain words, not join_words(): echo prints text, not a command. */
    for (int i = 1; i < argc; i++)
        len += strlen(argv[i]) + 1;
    text = malloc(len);
    if (!text)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    p = text;
    *p = '\0';
    for (int i = 1; i < argc; i++)
        p += sprintf(p, "%s%s", i > 1 ? " " : "", argv[i]);
    out_echo(v, text);
    free(text);
    return VUCTL_OK;
}

/* ---- expect ------------------------------------------------------------- */

static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};

static int op_index(const char *w)
{
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (!strcmp(w, ops[i]))
            return (int)i;
    return -1;
}

static bool compare(uint64_t a, int op, uint64_t b)
{
    switch (op) {
    case 0:
        return a == b;
    case 1:
        return a != b;
    case 2:
        return a < b;
    case 3:
        return a <= b;
    case 4:
        return a > b;
    default:
        return a >= b;
    }
}

/* "LO..HI", both numbers, LO <= HI. */
static int arg_range(struct vuctl *v, const char *tok, uint64_t *lo,
                     uint64_t *hi)
{
    const char *dots = strstr(tok, "..");
    char *low;
    int rc;

    if (!dots)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad range '%s': expected LO..HI", tok);
    low = strndup(tok, (size_t)(dots - tok));
    if (!low)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    rc = vuctl_arg_u64(v, low, UINT64_MAX, lo);
    free(low);
    if (rc || (rc = vuctl_arg_u64(v, dots + 2, UINT64_MAX, hi)))
        return rc;
    if (*lo > *hi)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad range '%s': 0x%" PRIx64 " is above 0x%" PRIx64,
                          tok, *lo, *hi);
    return 0;
}

static int cmd_expect(struct vuctl *v, int argc, char **argv)
{
    struct vuctl_expect e = {0};
    int end = argc - 2; /* argv[end] is the operator */
    int op = -1, status;
    char *command;

    if (!strcmp(argv[end], "in")) {
        e.op = "in";
        status = arg_range(v, argv[end + 1], &e.low, &e.high);
    } else if ((op = op_index(argv[end])) >= 0) {
        e.op = ops[op];
        status = vuctl_arg_u64(v, argv[end + 1], UINT64_MAX, &e.expected);
    } else {
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "expected 'OP VALUE' or 'in LO..HI' at the end, "
                          "got '%s %s' (OP is ==, !=, <, <=, > or >=)",
                          argv[end], argv[end + 1]);
    }
    if (status)
        return status;
    if (end >= 3 && !strcmp(argv[end - 2], "&")) {
        status = vuctl_arg_u64(v, argv[end - 1], UINT64_MAX, &e.mask);
        if (status)
            return status;
        e.has_mask = true;
        end -= 2;
    }
    if (end < 2)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "expected a command or a number before '%s'",
                          argv[end]);

    status = vuctl_cmd_value(v, end - 1, argv + 1, &e.value);
    if (status)
        return status;
    if (e.has_mask)
        e.value &= e.mask;
    e.ok = op >= 0 ? compare(e.value, op, e.expected)
                   : e.value >= e.low && e.value <= e.high;

    command = join_words(end - 1, argv + 1);
    if (!command)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    e.command = command;
    if (!e.ok) {
        char expected[64];

        if (op >= 0)
            snprintf(expected, sizeof(expected), "%s 0x%" PRIx64, e.op,
                     e.expected);
        else
            snprintf(expected, sizeof(expected), "in 0x%" PRIx64 "..0x%" PRIx64,
                     e.low, e.high);
        if (e.has_mask)
            vuctl_fail(v, VUCTL_FAIL, 0,
                       "expect failed: %s & 0x%" PRIx64 " = 0x%" PRIx64
                       ", expected %s",
                       command, e.mask, e.value, expected);
        else
            vuctl_fail(v, VUCTL_FAIL, 0,
                       "expect failed: %s = 0x%" PRIx64 ", expected %s",
                       command, e.value, expected);
        v->err.reported = true;
    }
    out_expect(v, &e);
    free(command);
    return e.ok ? VUCTL_OK : VUCTL_FAIL;
}

/* ---- sleep -------------------------------------------------------------- */

static void wake(evutil_socket_t fd, short what, void *arg)
{
    *(bool *)arg = true;
}

static int cmd_sleep(struct vuctl *v, int argc, char **argv)
{
    char err[256];
    uint64_t ms;
    bool done = false;
    struct timeval tv;
    struct event *ev;
    int rc;

    rc = vuctl_parse_duration(argv[1], SLEEP_MAX_MS, &ms, err, sizeof(err));
    if (rc)
        return vuctl_fail(v, VUCTL_USAGE, -rc, "%s", err);
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    ev = evtimer_new(v->base, wake, &done);
    if (!ev || evtimer_add(ev, &tv) < 0) {
        if (ev)
            event_free(ev);
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "cannot set up a timer");
    }
    /* The loop, not a plain sleep: a connected device may send DMA
     * requests meanwhile, and they must be served. */
    while (!done)
        if (event_base_loop(v->base, EVLOOP_ONCE) < 0)
            break;
    event_free(ev);
    if (!done)
        return vuctl_fail(v, VUCTL_FAIL, EIO, "the event loop failed");
    out_sleep(v, ms);
    return VUCTL_OK;
}

/* Scripts: variables, checks, notes and waiting. */
static const struct vuctl_cmd script_cmds[] = {
    {
        .name = "set",
        .args = "{NAME = {COMMAND [ARGS...] | NUMBER} | posting MODE}",
        .summary = "store a value in a variable, or set the posting policy",
        .help = "Run COMMAND for the value it produces, printing nothing,\n"
                "and store it in the variable NAME; or store NUMBER. A\n"
                "command's help says which value it produces; one that\n"
                "produces none is an error. Variables hold unsigned 64-bit\n"
                "numbers. $NAME or ${NAME} in any later argument stands for\n"
                "the value in 0x hex, $$ for a '$'; an undefined variable is\n"
                "an error. A NAME is a letter or '_', then letters, digits\n"
                "and '_'.\n"
                "Without '=', 'set posting MODE' chooses how region writes\n"
                "are ordered (info shows it): strict (the default: PCI\n"
                "ordering; memory BAR writes are posted only while nothing\n"
                "is mapped), fenced (memory BAR writes are posted, and\n"
                "libvuc fences before anything that could see the device\n"
                "another way: mapped access, interrupts, DMA reads) or\n"
                "posted (memory BAR writes are posted, and ordering is up\n"
                "to you: see fence). A stricter policy fences first.\n"
                "'set posting = ...' is a variable named posting.\n",
        .example = "set magic = peek BAR0 0\n"
                   "set buf = dma alloc 4k\n"
                   "set n = 16\n"
                   "poke BAR0 0x10 $magic\n"
                   "set posting fenced\n",
        .fn = cmd_set,
        .min_args = 2,
        .max_args = VUCTL_ANY_ARGS,
        .first_arg = VUCTL_ARG_SET,
    },
    {
        .name = "vars",
        .args = "",
        .summary = "list the variables",
        .help = "List every variable and its value, in the order they were\n"
                "first set.\n",
        .example = "vars\n",
        .fn = cmd_vars,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "expect",
        .args = "COMMAND [ARGS...] [& MASK] {OP VALUE | in LO..HI}",
        .summary = "check a value; a failed check ends the script",
        .help = "Run COMMAND for its value as set does (a single NUMBER\n"
                "works too), AND it with MASK when given, and compare it:\n"
                "OP is ==, !=, <, <=, > or >=; 'in LO..HI' holds when\n"
                "LO <= value <= HI. A failed check prints where it is, the\n"
                "command and both values, and ends the run with exit status\n"
                "1. A check that holds prints nothing (in JSON an object\n"
                "with \"ok\": true).\n",
        .example = "expect peek BAR0 0 == 0x56554344\n"
                   "expect peek CONFIG 0 4 & 0xffff == 0x1b36\n"
                   "expect dma read $buf in 1..100\n"
                   "expect $n != 0\n",
        .fn = cmd_expect,
        .min_args = 3,
        .max_args = VUCTL_ANY_ARGS,
        .first_arg = VUCTL_ARG_CMDLINE,
    },
    {
        .name = "echo",
        .args = "[TEXT...]",
        .summary = "print text",
        .help = "Print the words of TEXT, after variable expansion,\n"
                "separated by single blanks: a note in a CI log.\n",
        .example = "echo magic is $magic\n",
        .fn = cmd_echo,
        .min_args = 0,
        .max_args = VUCTL_ANY_ARGS,
    },
    {
        .name = "sleep",
        .args = "DURATION",
        .summary = "wait, serving the device's DMA requests",
        .help = "Wait for DURATION: milliseconds, or a number followed by ms\n"
                "or s; at most one day. The server's DMA requests are served\n"
                "meanwhile.\n",
        .example = "sleep 100\nsleep 2s\n",
        .fn = cmd_sleep,
        .min_args = 1,
        .max_args = 1,
    },
};

const struct vuctl_cmd_table vuctl_script_table = {
    script_cmds, sizeof(script_cmds) / sizeof(script_cmds[0])};
