/* SPDX-License-Identifier: BSD-3-Clause */
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable byte string for the word being built. */
struct buf {
    char *p;
    size_t len, cap;
};

static int buf_put(struct buf *b, char c)
{
    if (b->len + 1 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char *p = realloc(b->p, cap);

        if (!p)
            return -ENOMEM;
        b->p = p;
        b->cap = cap;
    }
    b->p[b->len++] = c;
    b->p[b->len] = '\0';
    return 0;
}

static void words_free(struct vuctl_words *w)
{
    for (int i = 0; i < w->argc; i++)
        free(w->argv[i]);
    free(w->argv);
    w->argv = NULL;
    w->argc = 0;
}

void vuctl_line_free(struct vuctl_line *line)
{
    for (size_t i = 0; i < line->n; i++)
        words_free(&line->cmds[i]);
    free(line->cmds);
    line->cmds = NULL;
    line->n = 0;
}

/* Move the finished word into cmd; argv stays NULL-terminated. */
static int words_add(struct vuctl_words *cmd, struct buf *word)
{
    char **argv = realloc(cmd->argv, (cmd->argc + 2) * sizeof(*argv));
    char *s;

    if (!argv)
        return -ENOMEM;
    cmd->argv = argv;
    s = word->p ? word->p : strdup("");
    if (!s)
        return -ENOMEM;
    argv[cmd->argc++] = s;
    argv[cmd->argc] = NULL;
    word->p = NULL;
    word->len = word->cap = 0;
    return 0;
}

/* Move a non-empty command into line; an empty one is simply dropped. */
static int line_add(struct vuctl_line *line, struct vuctl_words *cmd)
{
    struct vuctl_words *cmds;

    if (cmd->argc == 0)
        return 0;
    cmds = realloc(line->cmds, (line->n + 1) * sizeof(*cmds));
    if (!cmds)
        return -ENOMEM;
    line->cmds = cmds;
    line->cmds[line->n++] = *cmd;
    cmd->argc = 0;
    cmd->argv = NULL;
    return 0;
}

int vuctl_parse_line(const char *text, struct vuctl_line *out, char *err,
                     size_t errlen)
{
    struct vuctl_words cmd = {0};
    struct buf word = {0};
    bool in_word = false; /* distinguishes "" (an empty word) from nothing */
    const char *s = text;
    int rc = 0;

    out->n = 0;
    out->cmds = NULL;
    err[0] = '\0';

    for (;;) {
        char c = *s;

        if (c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
            c == ';' || c == '#') {
            if (in_word) {
                rc = words_add(&cmd, &word);
                if (rc)
                    goto fail;
                in_word = false;
            }
            if (c == '\0' || c == '\n' || c == ';') {
                rc = line_add(out, &cmd);
                if (rc)
                    goto fail;
            }
            if (c == '\0')
                break;
            if (c == '#') {
                while (*s && *s != '\n')
                    s++;
                continue;
            }
            s++;
            continue;
        }

        in_word = true;
        if (c != '"') {
            rc = buf_put(&word, c);
            if (rc)
                goto fail;
            s++;
            continue;
        }

        const char *open = s++;

        for (;;) {
            c = *s;
            if (c == '\0' || c == '\n') {
                snprintf(err, errlen,
                         "unterminated string: no closing '\"' for the one "
                         "at column %zu",
                         (size_t)(open - text) + 1);
                rc = -EINVAL;
                goto fail;
            }
            s++;
            if (c == '"')
                break;
            if (c == '\\' && (*s == '"' || *s == '\\'))
                c = *s++;
            rc = buf_put(&word, c);
            if (rc)
                goto fail;
        }
    }
    return 0;

fail:
    if (rc == -ENOMEM && !err[0])
        snprintf(err, errlen, "out of memory");
    free(word.p);
    words_free(&cmd);
    vuctl_line_free(out);
    return rc;
}

static int digit_value(char c, unsigned base)
{
    int d;

    if (c >= '0' && c <= '9')
        d = c - '0';
    else if (c >= 'a' && c <= 'f')
        d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
        d = c - 'A' + 10;
    else
        return -1;
    return (unsigned)d < base ? d : -1;
}

static unsigned suffix_shift(char c)
{
    switch (c) {
    case 'k':
    case 'K':
        return 10;
    case 'm':
    case 'M':
        return 20;
    case 'g':
    case 'G':
        return 30;
    default:
        return 0;
    }
}

int vuctl_parse_u64(const char *tok, uint64_t max, uint64_t *out, char *err,
                    size_t errlen)
{
    const char *s = tok;
    unsigned base = 10;
    uint64_t v = 0;
    unsigned shift;
    size_t ndigits = 0;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    for (; *s; s++) {
        int d = digit_value(*s, base);

        if (d < 0)
            break;
        if (v > (UINT64_MAX - (unsigned)d) / base) {
            snprintf(err, errlen, "bad number '%s': does not fit in 64 bits",
                     tok);
            return -ERANGE;
        }
        v = v * base + (unsigned)d;
        ndigits++;
    }
    if (ndigits == 0) {
        if (!*tok)
            snprintf(err, errlen, "bad number '': empty");
        else if (base == 16)
            snprintf(err, errlen, "bad number '%s': no hex digits after '0x'",
                     tok);
        else
            snprintf(err, errlen, "bad number '%s': not a number", tok);
        return -EINVAL;
    }
    if (*s) {
        shift = suffix_shift(*s);
        if (!shift || s[1]) {
            unsigned char bad = (unsigned char)(shift ? s[1] : s[0]);

            if (bad >= 0x20 && bad < 0x7f)
                snprintf(err, errlen,
                         "bad number '%s': unexpected '%c' (suffixes are k, "
                         "m and g)",
                         tok, bad);
            else
                snprintf(err, errlen, "bad number '%s': unexpected byte 0x%02x",
                         tok, bad);
            return -EINVAL;
        }
        if (v > UINT64_MAX >> shift) {
            snprintf(err, errlen, "bad number '%s': does not fit in 64 bits",
                     tok);
            return -ERANGE;
        }
        v <<= shift;
    }
    if (v > max) {
        if (base == 16)
            snprintf(err, errlen,
                     "bad number '%s': 0x%" PRIx64 " is above the maximum "
                     "0x%" PRIx64,
                     tok, v, max);
        else
            snprintf(err, errlen,
                     "bad number '%s': %" PRIu64 " is above the maximum "
                     "%" PRIu64,
                     tok, v, max);
        return -ERANGE;
    }
    *out = v;
    return 0;
}
