/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reaching the server. SOCKET: connect anew each time (a server that serves
 * clients one after another). --fd N: that one connection, once. --spawn:
 * a server we start through /bin/sh in a process group of its own, with {}
 * replaced by a socket path in a private directory or {fd} by an inherited
 * connected socket; it is replaced by a fresh one when a check needs that
 * or when it is gone, and stopped (SIGTERM, then SIGKILL) at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "target.h"

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (long)(ms % 1000) * 1000000L};

    nanosleep(&ts, NULL);
}

static int connect_path(const char *path, char *why, size_t whylen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd;

    if (strlen(path) >= sizeof(a.sun_path)) {
        snprintf(why, whylen, "socket path '%s' is too long", path);
        return -ENAMETOOLONG;
    }
    strcpy(a.sun_path, path);
    /* Non-blocking: a server that stopped accepting leaves its backlog
     * full, and a blocking connect() would wait for ever. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        int rc = -errno;

        snprintf(why, whylen, "socket: %s", strerror(errno));
        return rc;
    }
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int rc = errno == EAGAIN ? -ECONNREFUSED : -errno;

        snprintf(why, whylen, "connect to '%s': %s", path,
                 errno == EAGAIN ? "the server accepts no more connections"
                                 : strerror(errno));
        close(fd);
        return rc;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
}

/* The command with {} or {fd} replaced; NULL when out of memory. */
static char *expand(const char *cmd, const char *with, bool fd_form)
{
    const char *key = fd_form ? "{fd}" : "{}";
    size_t klen = strlen(key), n = 1;
    const char *p;
    char *out, *o;

    for (p = cmd; *p; p++)
        n += strncmp(p, key, klen) ? 1 : strlen(with);
    out = malloc(n);
    if (!out)
        return NULL;
    for (p = cmd, o = out; *p;) {
        if (!strncmp(p, key, klen)) {
            o = stpcpy(o, with);
            p += klen;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* Wait up to ms for the child; true once it is reaped. */
static bool reap(struct cf_target *tg, int ms)
{
    for (int waited = 0;; waited += 5) {
        pid_t r = waitpid(tg->pid, &tg->status, WNOHANG);

        if (r == tg->pid || (r < 0 && errno == ECHILD)) {
            tg->pid = -1;
            tg->reaped = true;
            return true;
        }
        if (waited >= ms)
            return false;
        sleep_ms(5);
    }
}

/* Whether a process of group pgid lives (zombies do not count: the
 * server's shell is gone, and its children are reaped by whoever adopted
 * them, which may be slow to). */
static bool group_alive(pid_t pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    bool alive = false;

    if (!d)
        return kill(-pgid, 0) == 0;
    while (!alive && (e = readdir(d))) {
        char path[288], buf[512], *p;
        long grp;
        FILE *f;

        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
        f = fopen(path, "r");
        if (!f)
            continue;
        p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
        fclose(f);
        /* After the command's name: " S ppid pgrp ...". */
        if (p && sscanf(p + 1, " %*c %*d %ld", &grp) == 1 && grp == pgid &&
            p[2] != 'Z')
            alive = true;
    }
    closedir(d);
    return alive;
}

static bool group_gone(pid_t pgid, int ms)
{
    for (int waited = 0;; waited += 5) {
        bool alive = group_alive(pgid);

        /* Ours to reap since we are their subreaper (cf_target_init). */
        while (waitpid(-pgid, NULL, WNOHANG) > 0)
            ;
        if (!alive)
            return true;
        if (waited >= ms)
            return false;
        sleep_ms(5);
    }
}

/* SIGTERM to the whole process group, SIGKILL to what is left after 2 s. */
static void stop_server(struct cf_target *tg)
{
    pid_t pgid = tg->pgid;

    if (pgid > 0)
        kill(-pgid, SIGTERM);
    if (tg->pid > 0 && !reap(tg, 2000)) {
        kill(-pgid, SIGKILL);
        reap(tg, 2000);
    }
    if (pgid > 0 && !group_gone(pgid, 2000))
        kill(-pgid, SIGKILL);
    tg->pid = -1;
    tg->pgid = -1;
    if (tg->conn_fd >= 0)
        close(tg->conn_fd);
    tg->conn_fd = -1;
    if (tg->sock[0])
        unlink(tg->sock);
}

static int start_server(struct cf_target *tg, char *why, size_t whylen)
{
    bool fd_form = strstr(tg->spawn, "{fd}") != NULL;
    int sv[2] = {-1, -1};
    char num[16];
    char *cmd;
    pid_t pid;

    stop_server(tg);
    /* A socket path of its own: a predecessor still on its way out must
     * not find its path, now someone else's, and remove it. */
    snprintf(tg->sock, sizeof(tg->sock), "%s/server-%u.sock", tg->dir,
             tg->starts);
    if (fd_form) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
            snprintf(why, whylen, "socketpair: %s", strerror(errno));
            return -errno;
        }
        snprintf(num, sizeof(num), "%d", sv[1]);
        cmd = expand(tg->spawn, num, true);
    } else {
        cmd = expand(tg->spawn, tg->sock, false);
    }
    if (!cmd) {
        snprintf(why, whylen, "out of memory");
        goto fail;
    }
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        free(cmd);
        goto fail;
    }
    if (pid == 0) {
        setpgid(0, 0);
        if (sv[1] >= 0)
            fcntl(sv[1], F_SETFD, 0); /* the server inherits its end */
        if (!tg->verbose) {
            int null = open("/dev/null", O_WRONLY);

            if (null >= 0)
                dup2(null, STDERR_FILENO);
        }
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    setpgid(pid, pid); /* both sides, so no signal can miss the group */
    free(cmd);
    tg->pid = pid;
    tg->pgid = pid;
    tg->reaped = false;
    tg->starts++;
    if (fd_form) {
        close(sv[1]);
        tg->conn_fd = sv[0];
        return 0;
    }
    /* The socket appears when the server listens (or soon after). */
    for (int waited = 0; waited < 10000; waited += 5) {
        struct stat st;

        if (stat(tg->sock, &st) == 0 && S_ISSOCK(st.st_mode))
            return 0;
        if (reap(tg, 0)) {
            snprintf(why, whylen,
                     "the spawned server exited before listening on %s",
                     tg->sock);
            return -ECHILD;
        }
        sleep_ms(5);
    }
    snprintf(why, whylen, "the spawned server did not create %s in 10 s",
             tg->sock);
    return -ETIMEDOUT;
fail:
    if (sv[0] >= 0) {
        close(sv[0]);
        close(sv[1]);
    }
    return -ENOMEM;
}

/*
 * Connect to a server just started. Some create their socket before they
 * listen on it (libvfio-user binds, then listens when it attaches): a
 * refused connection is tried again while the server lives, for @p max_ms.
 * A probe that connected would use up a server that serves one client.
 */
static int connect_new(struct cf_target *tg, int max_ms, char *why,
                       size_t whylen)
{
    for (int waited = 0;; waited += 5) {
        int fd = connect_path(tg->sock, why, whylen);

        if (fd >= 0 || (fd != -ECONNREFUSED && fd != -ENOENT) ||
            waited >= max_ms || reap(tg, 0))
            return fd;
        sleep_ms(5);
    }
}

/* The target whose server a signal must stop; one run at a time. */
static struct cf_target *signal_target;

/* SIGINT/SIGTERM/SIGHUP during a run: stop the server, remove what we
 * made, then die of the signal as we would have. Async-signal-safe. */
static void on_signal(int sig)
{
    struct cf_target *tg = signal_target;

    if (tg && tg->pgid > 0)
        kill(-tg->pgid, SIGTERM);
    if (tg && tg->sock[0])
        unlink(tg->sock);
    if (tg)
        rmdir(tg->dir);
    signal(sig, SIG_DFL);
    raise(sig);
}

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

int cf_target_init(struct cf_target *tg)
{
    struct sigaction sa = {.sa_handler = on_signal};
    int was = 0;

    if (!tg->spawn)
        return 0;
    snprintf(tg->dir, sizeof(tg->dir), "/tmp/vuc-conform-XXXXXX");
    if (!mkdtemp(tg->dir))
        return -errno;
    signal_target = tg;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < 3; i++)
        sigaction(stop_signals[i], &sa, &tg->old_actions[i]);
    /* The server's shell exits before the server it started; as their
     * subreaper we adopt such orphans and reap them, rather than leave
     * zombies to an init that may never reap them. */
    if (prctl(PR_GET_CHILD_SUBREAPER, &was) == 0)
        tg->was_subreaper = was;
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    return 0;
}

void cf_target_fini(struct cf_target *tg)
{
    if (!tg->spawn)
        return;
    stop_server(tg);
    prctl(PR_SET_CHILD_SUBREAPER, tg->was_subreaper);
    rmdir(tg->dir);
    for (size_t i = 0; i < 3; i++)
        sigaction(stop_signals[i], &tg->old_actions[i], NULL);
    signal_target = NULL;
}

bool cf_target_reconnects(const struct cf_target *tg)
{
    return tg->fd < 0;
}

bool cf_target_spawns(const struct cf_target *tg)
{
    return tg->spawn != NULL;
}

int cf_target_restart(struct cf_target *tg, char *why, size_t whylen)
{
    if (!tg->spawn) {
        snprintf(why, whylen, "needs a fresh server: run with --spawn");
        return -ENOTSUP;
    }
    return start_server(tg, why, whylen);
}

int cf_target_connect(struct cf_target *tg, char *why, size_t whylen)
{
    int fd, rc;

    if (!tg->spawn) {
        if (tg->fd >= 0) {
            if (tg->fd_used) {
                snprintf(why, whylen,
                         "--fd gives one connection, already used");
                return -EALREADY;
            }
            tg->fd_used = true;
            return tg->fd;
        }
        return connect_path(tg->path, why, whylen);
    }
    if (tg->pid > 0 && reap(tg, 0))
        tg->pid = -1;
    if (tg->pid > 0 && tg->conn_fd >= 0) {
        fd = tg->conn_fd; /* {fd}: the server's one connection */
        tg->conn_fd = -1;
        return fd;
    }
    if (tg->pid > 0 && !strstr(tg->spawn, "{fd}")) {
        /* One that served its client may live on without listening. */
        fd = connect_new(tg, 500, why, whylen);
        if (fd >= 0)
            return fd;
    }
    /* Gone, used up ({fd}) or refusing: a new one. */
    rc = start_server(tg, why, whylen);
    if (rc)
        return rc;
    if (tg->conn_fd >= 0) {
        fd = tg->conn_fd;
        tg->conn_fd = -1;
        return fd;
    }
    return connect_new(tg, 10000, why, whylen);
}

int cf_target_connect_existing(struct cf_target *tg, char *why, size_t whylen)
{
    if (!tg->spawn)
        return cf_target_connect(tg, why, whylen);
    if (tg->pid > 0 && reap(tg, 0))
        tg->pid = -1;
    if (tg->pid <= 0 || strstr(tg->spawn, "{fd}")) {
        snprintf(why, whylen, "the spawned server %s",
                 tg->pid <= 0 ? "is gone" : "serves its one {fd} connection");
        return -ECHILD;
    }
    return connect_new(tg, 500, why, whylen);
}

int cf_target_died(struct cf_target *tg, int timeout_ms, bool *exited,
                   char *how, size_t howlen)
{
    *exited = false;
    if (!tg->spawn)
        return -1;
    if (tg->pid > 0 && !reap(tg, timeout_ms))
        return 0;
    if (!tg->reaped)
        return 0;
    *exited = true;
    if (WIFSIGNALED(tg->status)) {
        snprintf(how, howlen, "the server died of signal %d (%s)",
                 WTERMSIG(tg->status), strsignal(WTERMSIG(tg->status)));
        return 1;
    }
    /* /bin/sh reports a command killed by signal N as status 128 + N. */
    if (WIFEXITED(tg->status) && WEXITSTATUS(tg->status) > 128 &&
        WEXITSTATUS(tg->status) < 128 + NSIG) {
        int sig = WEXITSTATUS(tg->status) - 128;

        snprintf(how, howlen, "the server died of signal %d (%s)", sig,
                 strsignal(sig));
        return 1;
    }
    /* Any other exit is the server's decision: one that serves one client
     * exits once it is gone (libvfio-user's samples with status 1 after a
     * failed negotiation). */
    snprintf(how, howlen, "the server exited with status %d",
             WIFEXITED(tg->status) ? WEXITSTATUS(tg->status) : -1);
    return 0;
}
