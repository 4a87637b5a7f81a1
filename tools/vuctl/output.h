/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Everything vuctl prints about a command's result, as text for people or
 * as exactly one JSON object per command, on its own line, for programs.
 */
#ifndef VUCTL_OUTPUT_H
#define VUCTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vuctl;
struct vuctl_cmd;
struct vuc_dma_map;

/* The outcome of one expect. */
struct vuctl_expect {
    const char *command; /* its words, joined */
    uint64_t value;      /* after the mask */
    bool has_mask;
    uint64_t mask;
    const char *op;     /* "==" ... ">=", or "in" */
    uint64_t expected;  /* for an operator */
    uint64_t low, high; /* for "in" */
    bool ok;
};

/* "strict", "fenced", "posted": the name of an enum vuc_posting. */
const char *vuctl_posting_name(int policy);
/* "off", "logging", "legacy": the name of an enum vuc_dirty_mode. */
const char *vuctl_dirty_mode_name(int mode);

/*
 * Report v->err for command name (NULL when no command was identified) run
 * from where ("file:line", or NULL): a line on stderr, and in JSON mode the
 * error object on stdout.
 */
void out_error(struct vuctl *v, const char *name, const char *where);

/* Results of the commands; the client is v->client. */
void out_connect(struct vuctl *v);
void out_reconnect(struct vuctl *v, unsigned dma_maps, unsigned vectors);
void out_info(struct vuctl *v);
void out_regions(struct vuctl *v);
void out_irqs(struct vuctl *v, const char *name);
void out_peek(struct vuctl *v, uint32_t region, uint64_t offset, unsigned width,
              uint64_t value);
void out_poke(struct vuctl *v, uint32_t region, uint64_t offset, unsigned width,
              uint64_t value);
void out_dump(struct vuctl *v, uint32_t region, uint64_t offset,
              const uint8_t *data, size_t len);
void out_dma_map(struct vuctl *v, const char *cmd,
                 const struct vuc_dma_map *map);
void out_dma_unmap(struct vuctl *v, uint64_t iova, size_t size);
void out_dma_list(struct vuctl *v);
void out_dma_access(struct vuctl *v, const char *cmd, uint64_t iova,
                    unsigned width, uint64_t value, bool print_text);
void out_dma_dump(struct vuctl *v, uint64_t iova, const uint8_t *data,
                  size_t len);
void out_dma_fill(struct vuctl *v, uint64_t iova, uint64_t len, uint8_t byte);
/* output_dev.c: interrupts, reset, write ordering, dirty pages,
 * migration. */
struct vuc_irq_event;
/* irq enable, disable, mask, unmask, trigger (cmd): silent in text. */
void out_irq_set(struct vuctl *v, const char *cmd, uint32_t index,
                 uint32_t start, uint32_t count);
void out_irq_event(struct vuctl *v, const struct vuc_irq_event *ev);
void out_irq_count(struct vuctl *v, uint32_t index, uint32_t vector,
                   uint64_t total);
/* A command that only did something: reset, fence, dirty stop. */
void out_done(struct vuctl *v, const char *cmd);
void out_posting(struct vuctl *v, int policy);
void out_posted_safe(struct vuctl *v, uint32_t region, uint64_t offset,
                     uint64_t len);
void out_dirty_start(struct vuctl *v);
/* The pages of bitmap set: bit i is the page at iova + i * page_size. */
void out_dirty_report(struct vuctl *v, uint64_t iova, uint64_t page_size,
                      const uint64_t *bitmap, uint64_t pages, uint64_t dirty);
void out_mig_state(struct vuctl *v, uint32_t state, bool print_text);
/* migrate save (save) or load of size bytes of the file at path. */
void out_mig_file(struct vuctl *v, bool save, const char *path, uint64_t size);

/* output_pci.c */
struct vuctl_cfg;
void out_cfg(struct vuctl *v, const struct vuctl_cfg *cfg);
/* Config space in the layout `lspci -F` reads back. */
void out_cfg_raw(struct vuctl *v, const uint8_t *data, size_t len);

void out_set(struct vuctl *v, const char *name, uint64_t value);
void out_vars(struct vuctl *v);
/* A failed check also goes to stderr, naming v->where. */
void out_expect(struct vuctl *v, const struct vuctl_expect *e);
void out_echo(struct vuctl *v, const char *text);
void out_sleep(struct vuctl *v, uint64_t ms);
/* help for one command, for the sub-commands of group, or the list of all
 * when both are NULL. */
void out_help(struct vuctl *v, const struct vuctl_cmd *cmd, const char *group);
void out_quit(struct vuctl *v, const char *name);

/* The command list of --help (and of `help` in text mode); with group,
 * only its sub-commands. */
void out_command_list(FILE *f, const char *group);

/*
 * Write s to f with control characters and non-ASCII bytes escaped, so that
 * text from a server (its JSON, log messages) cannot drive the terminal.
 */
void out_sanitized(FILE *f, const char *s);

#endif /* VUCTL_OUTPUT_H */
