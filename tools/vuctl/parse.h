/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuctl command-line syntax: words, commands and numbers. Nothing here knows
 * about libvuc, so the unit tests link this file alone.
 */
#ifndef VUCTL_PARSE_H
#define VUCTL_PARSE_H

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

#endif /* VUCTL_PARSE_H */
