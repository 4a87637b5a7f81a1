/* SPDX-License-Identifier: BSD-3-Clause */
#include "doc.h"

#include <ctype.h>
#include <getopt.h>
#include <string.h>

#include "cmds.h"
#include "output.h"

const struct vuctl_option vuctl_options[] = {
    {"command", required_argument, 'c', "CMDS",
     "run CMDS (separated by ';' or newlines)", false},
    {"file", required_argument, 'f', "FILE",
     "run the commands in FILE ('-' is stdin)", false},
    {"json", no_argument, 'j', NULL,
     "print one JSON object per command and line", false},
    {"timeout", required_argument, 't', "MS",
     "request timeout (0: wait for ever; default 5000)", false},
    {"spawn", required_argument, VUCTL_OPT_SPAWN, "CMD",
     "start the server CMD and connect to it", false},
    {"no-share", no_argument, VUCTL_OPT_NO_SHARE, NULL,
     "pass no fd with DMA maps (every connection)", false},
    {"no-twin", no_argument, VUCTL_OPT_NO_TWIN, NULL,
     "ask for no twin socket (every connection)", false},
    {"trace", optional_argument, VUCTL_OPT_TRACE, "FILE",
     "print every vfio-user message to FILE (=FILE) or stderr", false},
    {"verbose", no_argument, 'v', NULL,
     "also print libvuc's info and debug messages", false},
    {"help", no_argument, 'h', NULL, "print this help and exit", false},
    {"version", no_argument, 'V', NULL, "print the version and exit", false},
    {"man", no_argument, VUCTL_OPT_MAN, NULL,
     "print the manual page (roff) and exit", true},
};

const size_t vuctl_noptions = sizeof(vuctl_options) / sizeof(vuctl_options[0]);

/* ---- The prose ----------------------------------------------------------- */
/* Lines end in \n and fit 78 columns; roff refills them for the man page. */

static const char summary[] = "a shell for vfio-user devices, built on libvuc";

static const char description[] =
    "With SOCKET, vuctl first runs 'connect SOCKET'; with --spawn it starts a\n"
    "server and connects to that. Commands then come from -c and -f (both\n"
    "repeatable) in the order given, or else from stdin: with a prompt,\n"
    "history and tab completion when stdin is a terminal. Outside the prompt,\n"
    "the first failing command ends the run.\n";

static const char syntax[] =
    "Numbers are decimal or 0x hex, with an optional k, m or g suffix (powers\n"
    "of 1024). Words are separated by blanks, commands by ';' or newlines; "
    "'#'\n"
    "starts a comment; \"...\" quotes. $NAME and ${NAME} stand for the value "
    "of\n"
    "a variable (see set), in 0x hex; $$ for a '$'.\n";

static const char scripts[] =
    "Messages about a failing command say where it came from: FILE:LINE for\n"
    "-f and stdin, -c:N for the Nth command given with -c (counting across\n"
    "all -c options). A failed expect prints the command and both values and\n"
    "ends the run with status 1. With --json every command prints one JSON\n"
    "object on a line of its own, an error too (with \"error\" and "
    "\"errno\").\n";

static const char spawn[] =
    "--spawn CMD runs CMD with /bin/sh -c in a process group of its own, with\n"
    "{} replaced by the path of a socket in a new private directory, or {fd}\n"
    "by the number of a connected socket CMD inherits (then no socket file is\n"
    "made). vuctl waits up to 10 s for the socket to appear, then connects.\n"
    "The server's stdin is /dev/null and its stdout goes to vuctl's stderr.\n"
    "At exit, after an error or a failed expect too, vuctl closes the\n"
    "connection, sends SIGTERM to the server's process group and after 5 s\n"
    "SIGKILL, removes the directory and reports on stderr how the server\n"
    "ended; on SIGINT, SIGTERM, SIGHUP or SIGPIPE it does the same and then\n"
    "dies of that signal. A server that exits with a non-zero status, or dies\n"
    "of a signal other than vuctl's SIGTERM, turns an exit status 0 into 3.\n";

static const struct {
    int status;
    const char *text;
} exit_statuses[] = {
    {0, "every command succeeded"},
    {1, "a command failed, or an expect check"},
    {2, "usage error: bad option, unknown command, bad number or argument,\n"
        "undefined variable, unreadable script"},
    {3, "connection or protocol error: connect failed, connection lost,\n"
        "protocol violation, timeout; a spawned server failed"},
};

static const char example[] =
    "vuctl --spawn 'vuc-testdev --socket-path={}' -f check.vuc\n"
    "\n"
    "# check.vuc\n"
    "expect peek BAR0 0 == 0x56554344\n"
    "set buf = dma alloc 4k\n"
    "dma fill $buf 4k 0xa5\n"
    "expect dma read $buf 1 == 0xa5\n"
    "echo buffer at $buf\n";

/* ---- --help -------------------------------------------------------------- */

/* "a, b and c": the commands that produce a value, from the table. */
static void value_commands(FILE *f)
{
    const struct vuctl_cmd *c;
    size_t n = 0, total = 0;

    for (size_t i = 0; (c = vuctl_cmd_at(i)); i++)
        total += c->value != NULL;
    for (size_t i = 0; (c = vuctl_cmd_at(i)); i++) {
        char name[64];

        if (!c->value)
            continue;
        n++;
        fprintf(f, "%s%s",
                n == 1       ? ""
                : n == total ? " and "
                             : ", ",
                vuctl_cmd_fullname(c, name, sizeof(name)));
    }
}

static const char value_intro[] =
    "Commands that give set and expect a value:\n";

void vuctl_doc_usage(FILE *f)
{
    fprintf(f, "usage: vuctl [OPTIONS] [SOCKET]\nvuctl: %s.\n\n%s\nOptions:\n",
            summary, description);
    for (size_t i = 0; i < vuctl_noptions; i++) {
        const struct vuctl_option *o = &vuctl_options[i];
        char left[40], shortopt[8] = "    ";

        if (o->hidden)
            continue;
        if (o->val < 256)
            snprintf(shortopt, sizeof(shortopt), "-%c, ", o->val);
        snprintf(left, sizeof(left), "%s--%s%s%s", shortopt, o->name,
                 o->arg ? "=" : "", o->arg ? o->arg : "");
        fprintf(f, "  %-20s  %s\n", left, o->help);
    }
    fputs("\nCommands ('help COMMAND' explains one):\n", f);
    out_command_list(f, NULL);
    fprintf(f, "\n%s\n%s\n%s  ", syntax, scripts, value_intro);
    value_commands(f);
    fprintf(f, ".\n\n%s\nExit status:\n", spawn);
    for (size_t i = 0; i < sizeof(exit_statuses) / sizeof(exit_statuses[0]);
         i++) {
        fprintf(f, "  %d  ", exit_statuses[i].status);
        for (const char *p = exit_statuses[i].text; *p; p++) {
            fputc(*p, f);
            if (*p == '\n')
                fputs("     ", f);
        }
        fputc('\n', f);
    }
}

/* ---- The man page -------------------------------------------------------- */

/*
 * Text for roff: backslashes and dashes escaped (\- is the ASCII minus that
 * options need), and a line that would start with a control character
 * made safe with \&.
 */
static void roff_text(FILE *f, const char *s)
{
    bool line_start = true;

    for (; *s; s++) {
        if (line_start && (*s == '.' || *s == '\''))
            fputs("\\&", f);
        line_start = *s == '\n';
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
    }
}

/* A synopsis: words in capitals (the arguments) in italics. */
static void roff_args(FILE *f, const char *s)
{
    while (*s) {
        if (isupper((unsigned char)*s)) {
            const char *e = s;

            while (isupper((unsigned char)*e) || *e == '_' || *e == '-')
                e++;
            fputs("\\fI", f);
            for (; s < e; s++) {
                if (*s == '-')
                    fputc('\\', f);
                fputc(*s, f);
            }
            fputs("\\fR", f);
            continue;
        }
        if (*s == '-')
            fputs("\\-", f);
        else if (*s == '\\')
            fputs("\\e", f);
        else
            fputc(*s, f);
        s++;
    }
}

/* Lines shown as they are (examples), indented a little more than the
 * text around; nested, inside the paragraph of a tagged item. */
static void roff_literal(FILE *f, const char *s, bool nested)
{
    fputs(nested ? ".RS\n.RS 4\n.nf\n" : ".RS 4\n.nf\n", f);
    roff_text(f, s);
    fputs(nested ? ".fi\n.RE\n.RE\n" : ".fi\n.RE\n", f);
}

void vuctl_doc_man(FILE *f, const char *version)
{
    fputs(".\\\" Generated by vuctl --man from its command table; do not "
          "edit.\n",
          f);
    fprintf(f, ".TH VUCTL 1 \"\" \"vuctl %s\" \"User Commands\"\n", version);
    fputs(".SH NAME\nvuctl \\- ", f);
    roff_text(f, summary);
    fputs("\n.SH SYNOPSIS\n.B vuctl\n[\\fIOPTIONS\\fR] [\\fISOCKET\\fR]\n", f);
    fputs(".SH DESCRIPTION\n", f);
    roff_text(f, description);
    fputs(".PP\n", f);
    roff_text(f, syntax);

    fputs(".SH OPTIONS\n", f);
    for (size_t i = 0; i < vuctl_noptions; i++) {
        const struct vuctl_option *o = &vuctl_options[i];

        if (o->hidden)
            continue;
        fputs(".TP\n", f);
        if (o->val < 256)
            fprintf(f, "\\fB\\-%c\\fR, ", o->val);
        fputs("\\fB\\-\\-", f);
        roff_text(f, o->name);
        fputs("\\fR", f);
        if (o->arg)
            fprintf(f, "=\\fI%s\\fR", o->arg);
        fputc('\n', f);
        roff_text(f, o->help);
        fputc('\n', f);
    }

    fputs(".SH COMMANDS\n", f);
    const struct vuctl_cmd *c;

    for (size_t i = 0; (c = vuctl_cmd_at(i)); i++) {
        char name[64];

        fprintf(f, ".TP\n\\fB%s\\fR",
                vuctl_cmd_fullname(c, name, sizeof(name)));
        if (c->args[0]) {
            fputc(' ', f);
            roff_args(f, c->args);
        }
        fputc('\n', f);
        /* The summary as a sentence of its own, then the details. */
        fputc(toupper((unsigned char)c->summary[0]), f);
        roff_text(f, c->summary + 1);
        fputs(".\n.IP\n", f);
        roff_text(f, c->help);
        if (c->alias)
            fprintf(f, "Also called \\fB%s\\fR.\n", c->alias);
        if (c->value) {
            fputs("Value for \\fBset\\fR and \\fBexpect\\fR: ", f);
            roff_text(f, c->value);
            fputs(".\n", f);
        }
        fputs(".IP\n", f);
        fputs(strchr(c->example, '\n') != strrchr(c->example, '\n')
                  ? "Examples:\n"
                  : "Example:\n",
              f);
        roff_literal(f, c->example, true);
    }

    fputs(".SH SCRIPTS\n", f);
    roff_text(f, scripts);
    fputs(".PP\n", f);
    roff_text(f, value_intro);
    value_commands(f);
    fputs(".\n.SH SERVERS UNDER TEST\n", f);
    roff_text(f, spawn);
    fputs(".SH EXIT STATUS\n", f);
    for (size_t i = 0; i < sizeof(exit_statuses) / sizeof(exit_statuses[0]);
         i++) {
        fprintf(f, ".TP\n.B %d\n", exit_statuses[i].status);
        roff_text(f, exit_statuses[i].text);
        fputc('\n', f);
    }
    fputs(".SH EXAMPLES\n", f);
    roff_literal(f, example, false);
    fputs(".SH SEE ALSO\n"
          "The vfio\\-user protocol specification, "
          "docs/interop/vfio\\-user.rst in QEMU.\n",
          f);
}
