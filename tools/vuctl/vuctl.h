/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuctl: state shared by the shell's files, exit statuses and the error
 * record a failing command leaves for whoever reports it.
 */
#ifndef VUCTL_VUCTL_H
#define VUCTL_VUCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct vuc_client;
struct vuc_dma_map;
struct vuc_options;
struct vuctl_trace;

/* Exit statuses; --help documents them, scripts depend on them. */
enum vuctl_status {
    VUCTL_OK = 0,
    VUCTL_FAIL = 1,  /* a command failed */
    VUCTL_USAGE = 2, /* bad option, unknown command, bad argument */
    VUCTL_CONN = 3,  /* connection or protocol error */
};

/* Largest dump; a bound so that a typo cannot ask for gigabytes. */
#define VUCTL_MAX_DUMP (16u * 1024 * 1024)

/* A variable of a script (set, $NAME). */
struct vuctl_var {
    char *name;
    uint64_t value;
};

/* Memory `dma map` mapped from a file; vuctl unmaps it once libvuc has let
 * go of the DMA map (which holds its address). */
struct vuctl_filemap {
    const struct vuc_dma_map *map;
    void *addr;
    size_t len;
    bool writable; /* opened read-write, mapped PROT_WRITE */
    uint64_t offset;
    char *path;
};

/* Vectors [start, start + count) of an irq index that vuctl enabled with
 * eventfds libvuc owns: irq wait and irq count refuse others at once
 * rather than wait for what cannot come. */
struct vuctl_irq_range {
    uint32_t index, start, count;
};

struct vuctl {
    struct event_base *base;
    struct vuc_options *opts;  /* template for every client vuctl creates */
    struct vuc_client *client; /* NULL when not connected by `connect` */
    char *path;                /* name of the client's connection */
    char *sock; /* its socket path; NULL when connected by fd (--spawn {fd}) */
    bool noshare, twin; /* what the client was asked for */
    /* --no-share, --no-twin: for every connection; connect adds its own. */
    bool all_noshare, all_notwin;

    bool json;
    int verbose;
    bool quit; /* set by quit/exit: stop reading commands */

    /* Where the running command came from ("file:line", "-c:N"), or NULL. */
    const char *where;
    /* Numbers the commands of -c arguments, for "-c:N". */
    unsigned long c_commands;

    /* set and expect run a command for its value: see vuctl_capture(). */
    struct {
        bool on, got;
        uint64_t value;
    } capture;

    struct vuctl_var *vars;
    size_t nvars;

    struct vuctl_filemap *files;
    size_t nfiles;

    struct vuctl_irq_range *irqs;
    size_t nirqs;

    struct vuctl_trace *trace; /* cmd_trace.c; NULL when not tracing */

    /* What the last failing command left for out_error(). */
    struct {
        int status;    /* enum vuctl_status */
        int err;       /* positive errno, for JSON */
        bool reported; /* the command printed its own failure */
        char msg[1024];
    } err;
};

/*
 * Record why the running command failed; returns status so that a handler
 * can write "return vuctl_fail(...)".
 */
int vuctl_fail(struct vuctl *v, int status, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Record a libvuc failure of client: the client's own explanation when it
 * has one, else strerror(-rc), prefixed with "ctx: " when ctx is not NULL.
 * The status (see vuctl_status_of()) says whether the connection is at fault.
 */
int vuctl_fail_lib(struct vuctl *v, struct vuc_client *client, int rc,
                   const char *ctx);

/* The exit status a libvuc result maps to. */
int vuctl_status_of(int rc);

/*
 * A command that produces a value calls this before printing it: when set
 * or expect runs the command, the value is recorded for them and true is
 * returned, and the command must then print nothing.
 */
bool vuctl_capture(struct vuctl *v, uint64_t value);

/* Milliseconds on the monotonic clock, for deadlines. */
uint64_t vuctl_now_ms(void);

/* The value of a variable: 0, or -ENOENT (a vuctl_lookup_fn). */
int vuctl_var_get(void *v, const char *name, uint64_t *value);
/* Set a variable, creating it: 0, or -ENOMEM. */
int vuctl_var_set(struct vuctl *v, const char *name, uint64_t value);
void vuctl_vars_free(struct vuctl *v);

/* Unmap a file `dma map` mapped and free its name. */
void vuctl_filemap_free(struct vuctl_filemap *f);
/* Release what `dma map` mapped from files (after the client is freed). */
void vuctl_dma_files_release(struct vuctl *v);
/* The file a map was made from by `dma map`, or NULL. */
const struct vuctl_filemap *vuctl_dma_file(const struct vuctl *v,
                                           const struct vuc_dma_map *map);

/* Forget which vectors vuctl enabled: of one index, or of all (UINT32_MAX)
 * when the connection goes or something else disabled them. */
void vuctl_irq_forget(struct vuctl *v, uint32_t index);

/*
 * Run one line of commands (';'-separated, '#' comments). Stops at the first
 * failing command; returns its status (0 when all succeeded). where names
 * the source for error messages ("file:line"), or is NULL; with cmdno, each
 * command is named "-c:N" instead, N counting on from *cmdno.
 */
int vuctl_exec_line(struct vuctl *v, const char *line, const char *where,
                    unsigned long *cmdno);

/* Run the commands of a -c argument; stops at the first failure. Commands
 * are named "-c:N" in messages, N counting across all -c arguments. */
int vuctl_run_text(struct vuctl *v, const char *text);

/*
 * Run the commands of a file, line by line ("-" is stdin); stops at the first
 * failure, naming file:line.
 */
int vuctl_run_file(struct vuctl *v, const char *path);

/* Read commands from the terminal with libedit until EOF or quit. */
int vuctl_interactive(struct vuctl *v);

#endif /* VUCTL_VUCTL_H */
