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

/* The digits at the start of tok (hex after "0x"): their value, their
 * base, how many there are and where they end. -ERANGE when the value does
 * not fit in 64 bits. */
static int scan_digits(const char *tok, const char **end, unsigned *base,
                       uint64_t *value, size_t *ndigits)
{
    const char *s = tok;
    uint64_t v = 0;

    *base = 10;
    *ndigits = 0;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        *base = 16;
        s += 2;
    }
    for (; *s; s++) {
        int d = digit_value(*s, *base);

        if (d < 0)
            break;
        if (v > (UINT64_MAX - (unsigned)d) / *base)
            return -ERANGE;
        v = v * *base + (unsigned)d;
        (*ndigits)++;
    }
    *end = s;
    *value = v;
    return 0;
}

int vuctl_parse_u64(const char *tok, uint64_t max, uint64_t *out, char *err,
                    size_t errlen)
{
    const char *s;
    unsigned base, shift;
    uint64_t v;
    size_t ndigits;

    if (scan_digits(tok, &s, &base, &v, &ndigits) < 0) {
        snprintf(err, errlen, "bad number '%s': does not fit in 64 bits", tok);
        return -ERANGE;
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

int vuctl_parse_duration(const char *tok, uint64_t max_ms, uint64_t *ms,
                         char *err, size_t errlen)
{
    const char *s;
    unsigned base;
    uint64_t v, scale = 1;
    size_t ndigits;

    if (scan_digits(tok, &s, &base, &v, &ndigits) < 0) {
        snprintf(err, errlen, "bad duration '%s': too long", tok);
        return -ERANGE;
    }
    if (ndigits == 0 || (*s && strcmp(s, "ms") && strcmp(s, "s"))) {
        snprintf(err, errlen,
                 "bad duration '%s': expected milliseconds, or a number "
                 "followed by ms or s",
                 tok);
        return -EINVAL;
    }
    if (!strcmp(s, "s"))
        scale = 1000;
    if (v > max_ms / scale) {
        snprintf(err, errlen,
                 "bad duration '%s': longer than the maximum of %" PRIu64 " ms",
                 tok, max_ms);
        return -ERANGE;
    }
    *ms = v * scale;
    return 0;
}

static bool name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

bool vuctl_var_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > VUCTL_VAR_NAME_MAX || !name_start(name[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!name_char(name[i]))
            return false;
    return true;
}

static int buf_puts(struct buf *b, const char *s)
{
    for (; *s; s++) {
        int rc = buf_put(b, *s);

        if (rc)
            return rc;
    }
    return 0;
}

int vuctl_expand(const char *word, vuctl_lookup_fn lookup, void *ctx,
                 char **out, char *err, size_t errlen)
{
    struct buf b = {0};
    const char *s = word;
    int rc = 0;

    err[0] = '\0';
    while (*s) {
        char name[VUCTL_VAR_NAME_MAX + 1], num[24];
        const char *start, *end;
        uint64_t value;

        if (*s != '$') {
            rc = buf_put(&b, *s++);
            if (rc)
                goto fail;
            continue;
        }
        if (s[1] == '$') {
            rc = buf_put(&b, '$');
            if (rc)
                goto fail;
            s += 2;
            continue;
        }
        if (s[1] == '{') {
            start = s + 2;
            end = strchr(start, '}');
            if (!end) {
                snprintf(err, errlen, "bad '${' in '%s': no closing '}'", word);
                rc = -EINVAL;
                goto fail;
            }
            s = end + 1;
        } else {
            start = end = s + 1;
            while (name_char(*end))
                end++;
            s = end;
        }
        if (!vuctl_var_name_ok(start, (size_t)(end - start))) {
            snprintf(err, errlen,
                     "bad '$' in '%s': expected $NAME, ${NAME} or $$ (a "
                     "name is a letter or '_', then letters, digits and "
                     "'_', at most %d of them)",
                     word, VUCTL_VAR_NAME_MAX);
            rc = -EINVAL;
            goto fail;
        }
        memcpy(name, start, (size_t)(end - start));
        name[end - start] = '\0';
        if (lookup(ctx, name, &value) < 0) {
            snprintf(err, errlen, "undefined variable '%s'", name);
            rc = -ENOENT;
            goto fail;
        }
        snprintf(num, sizeof(num), "0x%" PRIx64, value);
        rc = buf_puts(&b, num);
        if (rc)
            goto fail;
    }
    *out = b.p ? b.p : strdup("");
    if (!*out) {
        rc = -ENOMEM;
        goto fail;
    }
    return 0;

fail:
    if (rc == -ENOMEM)
        snprintf(err, errlen, "out of memory");
    free(b.p);
    return rc;
}
