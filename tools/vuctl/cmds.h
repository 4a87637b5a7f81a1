/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command table: the one description of every vuctl command, from which
 * dispatch, argument-count checks, `help`, `--help`, completion and the man
 * page are all derived. Also the helpers the handlers share.
 */
#ifndef VUCTL_CMDS_H
#define VUCTL_CMDS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vuc_dma_map;
struct vuctl;
struct vuctl_filemap;

/* What the arguments of a command are, for tab completion. */
enum vuctl_arg_kind {
    VUCTL_ARG_NONE,
    VUCTL_ARG_COMMAND,  /* the first is a command name (help) */
    VUCTL_ARG_CMDLINE,  /* they are a command line of their own (expect) */
    VUCTL_ARG_SET,      /* NAME, '=', then a command line (set) */
    VUCTL_ARG_REGION,   /* the first is a region */
    VUCTL_ARG_FILE,     /* the first is a file name */
    VUCTL_ARG_IRQ,      /* the first is an irq index */
    VUCTL_ARG_MIGSTATE, /* the first is a migration state */
};

/* Handlers return an enum vuctl_status, after vuctl_fail() on failure.
 * argv[0] is the command's last name word ("alloc" for "dma alloc"). */
typedef int (*vuctl_cmd_fn)(struct vuctl *v, int argc, char **argv);

/* max_args of commands that take any number of arguments. */
#define VUCTL_ANY_ARGS INT_MAX

struct vuctl_cmd {
    const char *name;
    const char *sub;     /* the sub-command ("alloc" of "dma alloc"), or NULL */
    const char *alias;   /* another name for it, or NULL */
    const char *args;    /* synopsis of the arguments ("" for none) */
    const char *summary; /* one line, no final period */
    const char *help;    /* a paragraph, lines ending in \n */
    const char *value;   /* what set and expect take from it ("the value
                            read"), or NULL when it produces no value */
    const char *example; /* one or more example lines, ending in \n */
    vuctl_cmd_fn fn;
    int min_args, max_args; /* not counting the name words */
    enum vuctl_arg_kind first_arg;
    /* Fixed words (options, modes) that completion offers for any
     * argument, blank-separated, or NULL. */
    const char *words;
};

extern const struct vuctl_cmd vuctl_cmds[];
extern const size_t vuctl_ncmds;

/* The command named name (or aliased), with sub-command sub (NULL for a
 * command that has none), or NULL. */
const struct vuctl_cmd *vuctl_cmd_find(const char *name, const char *sub);

/* Whether name is a group of sub-commands ("dma"). */
bool vuctl_cmd_is_group(const char *name);

/* "dma alloc", "peek": the name words of a command, in buf. */
const char *vuctl_cmd_fullname(const struct vuctl_cmd *c, char *buf,
                               size_t len);

/*
 * Find the command that argv names (one or two words), and check its
 * argument count. Records a usage failure and returns VUCTL_USAGE when
 * there is no such command or the count is wrong.
 * @param nwords receives how many words of argv name it (1 or 2).
 */
int vuctl_cmd_resolve(struct vuctl *v, int argc, char **argv,
                      const struct vuctl_cmd **cmd, int *nwords);

/*
 * Run one command (argv[0] is its name): expand variables in its arguments,
 * look it up, check its arguments, call it, and report a failure on stderr
 * (and stdout in JSON mode).
 * @param where names the command's source in messages ("file:line",
 *        "-c:N"), or is NULL.
 * @return its enum vuctl_status.
 */
int vuctl_cmd_run(struct vuctl *v, int argc, char **argv, const char *where);

/*
 * Run a command for its value, printing nothing (for set and expect).
 * A single word that starts with a digit is a number, not a command.
 * @return its status, VUCTL_USAGE for a command that produces no value.
 */
int vuctl_cmd_value(struct vuctl *v, int argc, char **argv, uint64_t *value);

/*
 * A command that produces a value calls this before printing it: when set
 * or expect runs the command, the value is recorded for them and true is
 * returned, and the command must then print nothing.
 */
bool vuctl_capture(struct vuctl *v, uint64_t value);

/* ---- Helpers for handlers ------------------------------------------------ */

/* A number of at most max; a usage failure naming tok otherwise. */
int vuctl_arg_u64(struct vuctl *v, const char *tok, uint64_t max,
                  uint64_t *out);

/* An access width: 1, 2, 4 or 8. */
int vuctl_arg_width(struct vuctl *v, const char *tok, unsigned *width);

/* Fail unless value fits in width bytes (tok is how the user wrote it). */
int vuctl_arg_fits(struct vuctl *v, const char *tok, uint64_t value,
                   unsigned width);

/* Fail unless a client exists; with connected, unless it is connected. */
int vuctl_need_client(struct vuctl *v, bool connected);

/* Milliseconds on the monotonic clock, for deadlines. */
uint64_t vuctl_now_ms(void);

struct vuc_region_info;

/* A region index or name (BAR0, CONFIG, ...); a usage failure otherwise.
 * Whether the region exists is vuctl_region_get()'s business. */
int vuctl_arg_region(struct vuctl *v, const char *tok, uint32_t *index);

/* The connected device's region index, after checking that it exists; tok
 * is how the user named it. */
int vuctl_region_get(struct vuctl *v, uint32_t index, const char *tok,
                     const struct vuc_region_info **info);

/* Fail unless len bytes at offset lie inside the region and it has
 * need_flag (VFIO_USER_REGION_INFO_FLAG_READ or _WRITE; 0 for neither). */
int vuctl_region_check(struct vuctl *v, const struct vuc_region_info *info,
                       uint32_t need_flag, uint64_t offset, uint64_t len);

/* Little-endian values of 1, 2, 4 or 8 bytes (PCI and DMA memory are
 * little-endian whatever the host is). */
uint64_t vuctl_le_get(const uint8_t *b, unsigned width);
void vuctl_le_put(uint8_t *b, uint64_t value, unsigned width);

/*
 * Replace the client by a new one connected to path, or to the connected
 * socket fd when path is NULL (the client then owns fd), and print the
 * result.
 * @param label the connection's name in messages and the prompt.
 * @param refused when not NULL, a refused connect() sets it and returns
 *        VUCTL_CONN without recording a failure, for a caller that retries.
 */
int vuctl_connect(struct vuctl *v, const char *label, const char *path, int fd,
                  bool noshare, bool twin, bool *refused);

/* vuctl_connect() to a path, printing nothing: to connect again after a
 * command let go of the connection. */
int vuctl_connect_quiet(struct vuctl *v, const char *label, const char *path,
                        bool noshare, bool twin);

/* Free the client and what vuctl mapped for it. */
void vuctl_disconnect(struct vuctl *v);

/* Fence posted writes still unconfirmed before the connection closes, so
 * that a failed one is reported (VUCTL_FAIL) rather than dropped. */
int vuctl_fence_at_exit(struct vuctl *v);

/* ---- Handlers, by file --------------------------------------------------- */

/* cmd_dma.c */
int vuctl_cmd_dma_alloc(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_dma_map(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_dma_unmap(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_dma_list(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_dma_read(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_dma_write(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_dma_dump(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_dma_fill(struct vuctl *v, int argc, char **argv);
/* Release what `dma map` mapped from files (after the client is freed). */
void vuctl_dma_files_release(struct vuctl *v);
/* The file a map was made from by `dma map`, or NULL. */
const struct vuctl_filemap *vuctl_dma_file(const struct vuctl *v,
                                           const struct vuc_dma_map *map);

/* cmd_irq.c */
int vuctl_cmd_irq_enable(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_irq_disable(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_irq_wait(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_irq_action(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_irq_count(struct vuctl *v, int argc, char **argv);
/* An irq index or name (INTX, MSI, MSIX, ERR, REQ); a usage failure
 * otherwise. */
int vuctl_arg_irq(struct vuctl *v, const char *tok, uint32_t *index);
/* Forget which vectors vuctl enabled: of one index, or of all (UINT32_MAX)
 * when the connection goes or something else disabled them. */
void vuctl_irq_forget(struct vuctl *v, uint32_t index);

/* cmd_pci.c */
int vuctl_cmd_cfg(struct vuctl *v, int argc, char **argv);

/* cmd_dev.c */
int vuctl_cmd_reset(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_fence(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_posted_safe(struct vuctl *v, int argc, char **argv);
/* `set posting MODE` (argv[2] is the mode). */
int vuctl_set_posting(struct vuctl *v, const char *mode);
int vuctl_cmd_dirty_start(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_dirty_stop(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_dirty_report(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_migrate_state(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_migrate_save(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_migrate_load(struct vuctl *v, int argc, char **argv);
/* "strict", "fenced", "posted": the name of an enum vuc_posting. */
const char *vuctl_posting_name(int policy);
/* "off", "logging", "legacy": the name of an enum vuc_dirty_mode. */
const char *vuctl_dirty_mode_name(int mode);

/* cmd_bench.c, when the benchmark module is built (VUCTL_HAVE_BENCH) */
int vuctl_cmd_bench(struct vuctl *v, int argc, char **argv);

/* cmd_script.c */
int vuctl_cmd_set(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_vars(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_expect(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_echo(struct vuctl *v, int argc, char **argv);
int vuctl_cmd_sleep(struct vuctl *v, int argc, char **argv);
/* The value of a variable: 0, or -ENOENT (a vuctl_lookup_fn). */
int vuctl_var_get(void *v, const char *name, uint64_t *value);
void vuctl_vars_free(struct vuctl *v);

#endif /* VUCTL_CMDS_H */
