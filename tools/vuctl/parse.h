/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuctl command-line syntax: words, commands and numbers. Nothing here knows
 * about libvuc, so the unit tests link this file alone.
 */
#ifndef VUCTL_PARSE_H
#define VUCTL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One command: argv[0] is its name, argv[argc] is NULL. */
struct vuctl_words {
    int argc;
    char **argv;
};

/* The commands of one line (or of one -c string). */
struct vuctl_line {
    size_t n;
    struct vuctl_words *cmds;
};

/*
 * Split text into commands. Words are separated by blanks; ';' and newline
 * end a command; '#' outside quotes starts a comment that runs to the end of
 * the line; "..." quotes blanks, ';' and '#', and inside quotes \" and \\
 * stand for " and \. Empty commands are dropped.
 * @return 0, -EINVAL with a message in err (unterminated quote), or -ENOMEM.
 * On failure out is empty; on success free it with vuctl_line_free().
 */
int vuctl_parse_line(const char *text, struct vuctl_line *out, char *err,
                     size_t errlen);

void vuctl_line_free(struct vuctl_line *line);

/*
 * Parse an unsigned number: decimal, or hex after 0x/0X, optionally followed
 * by one size suffix k/K, m/M or g/G (times 1024, 1024^2, 1024^3).
 * @param max the largest accepted value.
 * @return 0, or -EINVAL / -ERANGE with "bad number 'TOKEN': why" in err.
 */
int vuctl_parse_u64(const char *tok, uint64_t max, uint64_t *out, char *err,
                    size_t errlen);

/*
 * Parse a duration: a decimal or 0x hex number of milliseconds, or a number
 * followed by "ms" or "s". No k/m/g suffixes: "1m" would read as a minute.
 * @param max_ms the longest accepted duration.
 * @return 0, or -EINVAL / -ERANGE with "bad duration 'TOKEN': why" in err.
 */
int vuctl_parse_duration(const char *tok, uint64_t max_ms, uint64_t *ms,
                         char *err, size_t errlen);

/* Longest variable name, in bytes. */
#define VUCTL_VAR_NAME_MAX 64

/*
 * Whether the len bytes at name are a variable name: a letter or '_', then
 * letters, digits and '_', at most VUCTL_VAR_NAME_MAX bytes.
 */
bool vuctl_var_name_ok(const char *name, size_t len);

/* The value of variable name (NUL-terminated): 0, or -ENOENT when undefined. */
typedef int (*vuctl_lookup_fn)(void *ctx, const char *name, uint64_t *value);

/*
 * Expand variables in word: $NAME and ${NAME} become the variable's value
 * in 0x hex, $$ becomes one '$'; any other '$' is an error, so that a typo
 * never passes through silently.
 * @return 0 with *out a new string (free() it), -EINVAL (bad '$') or -ENOENT
 * (undefined variable, "undefined variable 'NAME'") with a message in err,
 * or -ENOMEM.
 */
int vuctl_expand(const char *word, vuctl_lookup_fn lookup, void *ctx,
                 char **out, char *err, size_t errlen);

#endif /* VUCTL_PARSE_H */
