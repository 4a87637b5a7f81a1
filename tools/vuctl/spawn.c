/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --spawn. The server must be stopped and its directory removed however
 * vuctl ends, a fatal signal included, so the stopping code is
 * async-signal-safe and shared by the signal handler and the normal exit:
 * raw syscalls, no stdio, no malloc, state in one static record.
 */
#include "spawn.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "conn.h"
#include "cmds.h"
#include "output.h"
#include "vuctl.h"

#define SOCKET_DEADLINE_MS 10000 /* for the socket to appear */
#define STOP_DEADLINE_MS 5000    /* from SIGTERM to SIGKILL */
#define POLL_MS 10
#define SOCKET_NAME "server.sock"

/* The one spawned server of this process; the signal handler reads it. */
static struct {
    pid_t pid;      /* the shell running the server, leader of its group; 0 */
    bool reaped;    /* pid has been reaped: exited and code say how */
    bool sent_term; /* vuctl sent the server SIGTERM */
    bool stopped;   /* nothing of the server is left (or it would not go) */
    bool exited;    /* it exited with status code, else died of signal code */
    int code;
    char dir[PATH_MAX]; /* the private directory, "" when none */
} sp;

/* The signals that end vuctl and must not leave the server behind:
 * SIGPIPE too, for `vuctl --spawn ... | head`. */
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
#define NSTOP (sizeof(stop_signals) / sizeof(stop_signals[0]))

/* ---- Async-signal-safe helpers ------------------------------------------- */

static void say(const char *s)
{
    size_t len = strlen(s);

    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, s, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        s += n;
        len -= (size_t)n;
    }
}

static void say_int(int n)
{
    char buf[16], *p = buf + sizeof(buf);
    unsigned u = n < 0 ? 0u - (unsigned)n : (unsigned)n;

    *--p = '\0';
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0)
        *--p = '-';
    say(p);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000,
                          .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Record how the server's first process ended. */
static void note_exit(const siginfo_t *si)
{
    if (si->si_pid != sp.pid)
        return;
    sp.exited = si->si_code == CLD_EXITED;
    sp.code = si->si_status;
    sp.reaped = true;
}

/*
 * Reap whatever of the server has ended, and say whether anything of it is
 * left: its first process (the shell, which may have left the group), or
 * any process of its group. vuctl is a child subreaper, so the processes a
 * dying server leaves behind become vuctl's to reap, and while one of them
 * lives the group id stays reserved: signalling the group stays safe.
 */
static bool server_alive(void)
{
    siginfo_t si;

    for (;;) {
        memset(&si, 0, sizeof(si));
        if (waitid(P_PGID, (id_t)sp.pid, &si, WEXITED | WNOHANG) < 0) {
            if (errno == EINTR)
                continue;
            break; /* ECHILD: no child of vuctl is left in the group */
        }
        if (si.si_pid == 0)
            break;
        note_exit(&si);
    }
    if (!sp.reaped) {
        memset(&si, 0, sizeof(si));
        if (waitid(P_PID, (id_t)sp.pid, &si, WEXITED | WNOHANG) == 0 &&
            si.si_pid)
            note_exit(&si);
        else if (errno == ECHILD)
            sp.reaped = true; /* cannot happen: nobody else reaps it */
    }
    return !sp.reaped || kill(-sp.pid, 0) == 0;
}

static void signal_server(int sig)
{
    kill(-sp.pid, sig);
    /* A first process that left the group is signalled on its own. */
    if (!sp.reaped && getpgid(sp.pid) != sp.pid)
        kill(sp.pid, sig);
}

/* Wait until nothing of the server is left or the deadline passes. */
static bool wait_server(uint64_t deadline)
{
    while (server_alive()) {
        if (vuctl_now_ms() >= deadline)
            return false;
        sleep_ms(POLL_MS);
    }
    return true;
}

static void stop_server(void)
{
    if (sp.pid <= 0 || sp.stopped)
        return;
    if (server_alive()) {
        signal_server(SIGTERM);
        sp.sent_term = true;
        if (!wait_server(vuctl_now_ms() + STOP_DEADLINE_MS)) {
            signal_server(SIGKILL);
            /* SIGKILL cannot be refused, but a process stuck in the kernel
             * may take its time; vuctl must end all the same. */
            wait_server(vuctl_now_ms() + STOP_DEADLINE_MS);
        }
    }
    sp.stopped = true;
}

static void report(void)
{
    if (!sp.reaped)
        return;
    say(sp.exited ? "vuctl: server exited with status "
                  : "vuctl: server killed by signal ");
    say_int(sp.code);
    say("\n");
}

/* Empty the directory (the server may have left files, vuctl knows not
 * which) and remove it. */
static void remove_dir(void)
{
    static char buf[4096] __attribute__((aligned(8)));
    int dfd;

    if (!sp.dir[0])
        return;
    dfd = open(sp.dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    /* Removing entries while reading them may skip some: read again until
     * a pass finds nothing (bounded, in case something keeps adding). */
    for (int pass = 0; dfd >= 0 && pass < 8; pass++) {
        bool any = false;
        ssize_t n;

        lseek(dfd, 0, SEEK_SET);
        while ((n = getdents64(dfd, buf, sizeof(buf))) > 0) {
            for (ssize_t off = 0; off < n;) {
                struct dirent64 *d = (struct dirent64 *)(buf + off);

                off += d->d_reclen;
                if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
                    continue;
                any = true;
                if (unlinkat(dfd, d->d_name, 0) < 0 &&
                    (errno == EISDIR || errno == EPERM))
                    unlinkat(dfd, d->d_name, AT_REMOVEDIR);
            }
        }
        if (!any)
            break;
    }
    if (dfd >= 0)
        close(dfd);
    if (rmdir(sp.dir) < 0 && errno != ENOENT) {
        say("vuctl: cannot remove the temporary directory ");
        say(sp.dir);
        say("\n");
    }
    sp.dir[0] = '\0';
}

static void on_signal(int sig)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigset_t set;

    stop_server();
    report();
    remove_dir();
    /* Die of the signal, as the caller (a shell, a CI runner) expects. */
    sigemptyset(&dfl.sa_mask);
    sigaction(sig, &dfl, NULL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    _exit(128 + sig);
}

static void block_stop_signals(int how, sigset_t *old)
{
    sigset_t set;

    sigemptyset(&set);
    for (size_t i = 0; i < NSTOP; i++)
        sigaddset(&set, stop_signals[i]);
    sigprocmask(how, &set, old);
}

/* ---- Starting ------------------------------------------------------------ */

static int fail_spawn(struct vuctl *v, int status, int err, const char *msg,
                      const char *arg)
{
    vuctl_fail(v, status, err, "%s%s", msg, arg ? arg : "");
    out_error(v, NULL, "--spawn");
    return status;
}

/* The path as one shell word: as it is when nothing in it is special. */
static char *shell_word(const char *s)
{
    size_t n = 3;
    char *q, *p;

    if (strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                  "0123456789/._-+,=@%:") == strlen(s))
        return strdup(s);
    for (const char *c = s; *c; c++)
        n += *c == '\'' ? 4 : 1;
    q = p = malloc(n);
    if (!q)
        return NULL;
    *p++ = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *s;
        }
    }
    *p++ = '\'';
    *p = '\0';
    return q;
}

/* cmd with every key replaced by value. */
static char *substitute(const char *cmd, const char *key, const char *value)
{
    size_t klen = strlen(key), vlen = strlen(value), n = 0, len = 1;
    const char *p;
    char *out, *o;

    for (p = cmd; (p = strstr(p, key)); p += klen)
        n++;
    len += strlen(cmd) + n * vlen;
    out = o = malloc(len);
    if (!out)
        return NULL;
    for (p = cmd;;) {
        const char *k = strstr(p, key);

        if (!k) {
            strcpy(o, p);
            break;
        }
        memcpy(o, p, (size_t)(k - p));
        o += k - p;
        memcpy(o, value, vlen);
        o += vlen;
        p = k + klen;
    }
    return out;
}

/* Move fd to 3 or above, so that setting up 0-2 in the child spares it. */
static int above_stdio(int fd)
{
    int moved;

    if (fd < 0 || fd > 2)
        return fd;
    moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    return moved;
}

static void __attribute__((noreturn))
child(const char *cmd, int devnull, int keep)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigset_t none;

    sigemptyset(&dfl.sa_mask);
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);

    /* The specification's backend conventions want fds 0-2 to exist;
     * the server's stdout must not mix into vuctl's (JSON) output. */
    dup2(devnull, STDIN_FILENO);
    dup2(STDERR_FILENO, STDOUT_FILENO);
    /* Nothing of vuctl's but the one socket: not the event loop's fds,
     * not a script being read. */
    if (keep >= 0) {
        fcntl(keep, F_SETFD, 0);
        if ((keep > 3 && close_range(3, (unsigned)keep - 1, 0) < 0) ||
            close_range((unsigned)keep + 1, ~0u, 0) < 0)
            for (int fd = 3; fd < 65536; fd++)
                if (fd != keep)
                    close(fd);
    } else if (close_range(3, ~0u, 0) < 0) {
        for (int fd = 3; fd < 65536; fd++)
            close(fd);
    }
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    say("vuctl: --spawn: cannot run /bin/sh\n");
    _exit(127);
}

/* Connect to the socket once it appears; the server must not die first. */
static int wait_and_connect(struct vuctl *v, const char *sock, bool noshare,
                            bool twin)
{
    uint64_t deadline = vuctl_now_ms() + SOCKET_DEADLINE_MS;
    bool refused = false;

    for (;;) {
        struct stat st;
        int status;

        if (!server_alive() || sp.reaped)
            return fail_spawn(
                v, VUCTL_CONN, ECHILD, "the server exited before ",
                refused ? "accepting a connection" : "creating its socket");
        if (lstat(sock, &st) == 0) {
            /* Some servers create the socket before they listen on it. */
            refused = false;
            status = vuctl_connect(v, sock, sock, -1, noshare, twin, &refused);
            if (!refused) {
                if (status != VUCTL_OK)
                    out_error(v, "connect", NULL);
                return status;
            }
        }
        if (vuctl_now_ms() >= deadline)
            return fail_spawn(v, VUCTL_CONN, ETIMEDOUT,
                              refused ? "the server accepted no connection "
                                        "within 10 s"
                                      : "the server created no socket "
                                        "within 10 s",
                              NULL);
        sleep_ms(POLL_MS);
    }
}

int vuctl_spawn_start(struct vuctl *v, const char *cmd, bool noshare, bool twin)
{
    bool by_fd = strstr(cmd, "{fd}") != NULL;
    bool by_path = strstr(cmd, "{}") != NULL;
    char sock[sizeof(((struct sockaddr_un *)NULL)->sun_path)];
    char dir[PATH_MAX], fdnum[16];
    struct sigaction sa = {.sa_handler = on_signal};
    int sv[2] = {-1, -1}, devnull, err;
    const char *tmp;
    char *word = NULL, *full;
    sigset_t old;
    pid_t pid;

    if (by_fd == by_path)
        return fail_spawn(v, VUCTL_USAGE, EINVAL,
                          by_fd ? "the command has both {} and {fd}; use one"
                                : "the command must contain {} (it becomes "
                                  "a socket path) or {fd} (the number of an "
                                  "inherited socket)",
                          NULL);

    /* What the server leaves behind when it dies is then vuctl's to reap
     * and to stop, not init's. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    /* Installed before anything exists that they must clean up. */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NSTOP; i++)
        sigaddset(&sa.sa_mask, stop_signals[i]);
    for (size_t i = 0; i < NSTOP; i++)
        sigaction(stop_signals[i], &sa, NULL);

    devnull = above_stdio(open("/dev/null", O_RDWR | O_CLOEXEC));
    if (devnull < 0) {
        err = errno;
        return fail_spawn(v, VUCTL_FAIL, err,
                          "cannot open /dev/null: ", strerror(err));
    }

    if (by_path) {
        tmp = getenv("TMPDIR");
        if (!tmp || !tmp[0])
            tmp = "/tmp";
        if ((size_t)snprintf(dir, sizeof(dir), "%s/vuctl-XXXXXX", tmp) >=
            sizeof(dir)) {
            close(devnull);
            return fail_spawn(v, VUCTL_FAIL, ENAMETOOLONG,
                              "TMPDIR is too long: ", tmp);
        }
        block_stop_signals(SIG_BLOCK, &old);
        if (mkdtemp(dir))
            memcpy(sp.dir, dir, sizeof(dir));
        err = errno;
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (!sp.dir[0]) {
            close(devnull);
            vuctl_fail(v, VUCTL_FAIL, err,
                       "cannot create a directory in %s: %s", tmp,
                       strerror(err));
            out_error(v, NULL, "--spawn");
            return VUCTL_FAIL;
        }
        if ((size_t)snprintf(sock, sizeof(sock), "%s/" SOCKET_NAME, dir) >=
            sizeof(sock)) {
            close(devnull);
            return fail_spawn(v, VUCTL_FAIL, ENAMETOOLONG,
                              "the socket path would be too long for "
                              "AF_UNIX; set TMPDIR to a shorter directory "
                              "than ",
                              tmp);
        }
        word = shell_word(sock);
        full = word ? substitute(cmd, "{}", word) : NULL;
    } else {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
            err = errno;
            close(devnull);
            return fail_spawn(v, VUCTL_FAIL, err,
                              "socketpair: ", strerror(err));
        }
        sv[1] = above_stdio(sv[1]);
        snprintf(fdnum, sizeof(fdnum), "%d", sv[1]);
        full = sv[1] >= 0 ? substitute(cmd, "{fd}", fdnum) : NULL;
    }
    free(word);
    if (!full) {
        close(devnull);
        if (sv[0] >= 0)
            close(sv[0]);
        if (sv[1] >= 0)
            close(sv[1]);
        return fail_spawn(v, VUCTL_FAIL, ENOMEM, "out of memory", NULL);
    }

    /* Blocked until sp.pid is set: a signal in between would leave the
     * server running. */
    block_stop_signals(SIG_BLOCK, &old);
    pid = fork();
    if (pid == 0)
        child(full, devnull, sv[1]);
    err = errno;
    if (pid > 0) {
        setpgid(pid, pid); /* as the child does: whoever runs first */
        sp.pid = pid;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(full);
    close(devnull);
    if (sv[1] >= 0)
        close(sv[1]);
    if (pid < 0) {
        if (sv[0] >= 0)
            close(sv[0]);
        return fail_spawn(v, VUCTL_FAIL, err, "fork: ", strerror(err));
    }

    if (by_fd) {
        int status = vuctl_connect(v, "spawned server", NULL, sv[0], noshare,
                                   twin, NULL);

        if (status != VUCTL_OK)
            out_error(v, "connect", NULL);
        return status;
    }
    return wait_and_connect(v, sock, noshare, twin);
}

int vuctl_spawn_stop(void)
{
    sigset_t old;
    bool failed;

    if (sp.pid <= 0 && !sp.dir[0])
        return VUCTL_OK;
    /* The handler must not start the same work half-way through ours; a
     * signal that comes meanwhile stays pending and ends vuctl after. */
    block_stop_signals(SIG_BLOCK, &old);
    stop_server();
    report();
    remove_dir();
    failed =
        sp.pid > 0 &&
        (!sp.reaped ||
         (sp.exited ? sp.code != 0 : !(sp.code == SIGTERM && sp.sent_term)));
    sp.pid = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    return failed ? VUCTL_CONN : VUCTL_OK;
}
