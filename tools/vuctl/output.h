/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Everything vuctl prints about a command's result, as text for people or
 * as exactly one JSON object per command, on its own line, for programs.
 */
#ifndef VUCTL_OUTPUT_H
#define VUCTL_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vuctl;
struct vuctl_cmd;

/*
 * Report v->err for command name (NULL when no command was identified) run
 * from where ("file:line", or NULL): a line on stderr, and in JSON mode the
 * error object on stdout.
 */
void out_error(struct vuctl *v, const char *name, const char *where);

/* Results of the commands; the client is v->client. */
void out_connect(struct vuctl *v);
void out_info(struct vuctl *v);
void out_regions(struct vuctl *v);
void out_irqs(struct vuctl *v);
void out_peek(struct vuctl *v, uint32_t region, uint64_t offset, unsigned width,
              uint64_t value);
void out_poke(struct vuctl *v, uint32_t region, uint64_t offset, unsigned width,
              uint64_t value);
void out_dump(struct vuctl *v, uint32_t region, uint64_t offset,
              const uint8_t *data, size_t len);
/* help for one command, or the list of all when cmd is NULL. */
void out_help(struct vuctl *v, const struct vuctl_cmd *cmd);
void out_quit(struct vuctl *v, const char *name);

/* The command list of --help (and of `help` in text mode). */
void out_command_list(FILE *f);

/*
 * Write s to f with control characters and non-ASCII bytes escaped, so that
 * text from a server (its JSON, log messages) cannot drive the terminal.
 */
void out_sanitized(FILE *f, const char *s);

#endif /* VUCTL_OUTPUT_H */
