/* SPDX-License-Identifier: BSD-3-Clause */
/* The server under test as target.c reaches it (see conform_int.h). */
#ifndef VUC_CONFORM_TARGET_H
#define VUC_CONFORM_TARGET_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "conform_int.h"

struct cf_target {
    const char *path; /* SOCKET */
    int fd;           /* --fd, or -1 */
    bool fd_used;
    const char *spawn; /* --spawn command, or NULL */
    bool verbose;      /* the spawned server keeps its stderr */
    char dir[64];      /* private directory for {} */
    char sock[96];
    pid_t pid;  /* the running server (its shell), or -1 */
    pid_t pgid; /* its process group, until all of it is gone; or -1 */
    bool reaped;
    int status;  /* its wait status, once reaped */
    int conn_fd; /* {fd}: our end, until handed out */
    unsigned starts;
    int was_subreaper;               /* PR_GET_CHILD_SUBREAPER before init */
    struct sigaction old_actions[3]; /* of SIGINT, SIGTERM, SIGHUP */
};

/** Create the private directory (--spawn) and, until cf_target_fini(),
 * stop the server on SIGINT, SIGTERM and SIGHUP. @return 0 or -errno. */
int cf_target_init(struct cf_target *tg);
/** As cf_target_connect(), but to the server already running: never
 * starts one. */
int cf_target_connect_existing(struct cf_target *tg, char *why, size_t whylen);
/** Stop the server and remove what init made. */
void cf_target_fini(struct cf_target *tg);

#endif /* VUC_CONFORM_TARGET_H */
