/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay's loop: four directions at most (client to server and back, on
 * the main socket and on the twin), each a bounded buffer between a source
 * it reads with recvmsg and a destination it writes with sendmsg, in one
 * poll() loop. A message is passed on once it is whole and has been shown
 * (store and forward), so that the observer sees each message before the
 * peer can answer it, and fds are passed with the first byte of the message
 * they came with, as the sender sent them.
 */
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Read granularity, and what a direction holds when it is not assembling a
 * larger message. */
#define RX_CHUNK (64u * 1024u)
/* The kernel's limit of fds in one SCM_RIGHTS message (SCM_MAX_FD). */
#define SCM_MAX 253u
/* fd batches a direction holds (one per recvmsg that brought fds); when
 * full it stops reading until they are passed on. */
#define MAX_MARKS 16u
/* After one side closed its end, how long the other gets to do the same. */
#define GRACE_MS 2000

/*
 * fds that one recvmsg brought. Senders attach fds to the first byte of the
 * message they go with, and a stream recvmsg never returns fds from a
 * segment whose first byte an earlier read took. While the stream is framed
 * every read stays inside one message (the rest of a header, or the rest of
 * a message), so the fds a read brings belong to the message it read; they
 * are passed on in one sendmsg holding that message alone, which every
 * receiver then attributes to it, whether it reads header first
 * (libvfio-user) or takes the message the read ends in (libvuc).
 */
struct mark {
    uint64_t pos; /* the first byte of the bytes they go on with */
    uint64_t end; /* and the end of those bytes; 0 until known */
    unsigned n;
    int fds[SCM_MAX];
};

struct dir {
    const char *from; /* "client" or "server" */
    int src, dst;
    enum vuc_trace_dir tdir;
    bool twin, open;
    uint8_t *buf;
    size_t cap;
    /* Stream positions: buf[0] is base; [tx, rx) is held, [tx, ready) may
     * be passed on, scan is where the next message starts. */
    uint64_t base, rx, tx, ready, scan;
    uint64_t pass_end; /* a too-large message passes through until here */
    bool raw;          /* framing lost: everything passes undecoded */
    struct mark *marks;
    unsigned mhead, mcount;
    bool eof, done;
};

struct session {
    struct dir d[4]; /* main c->s, main s->c, twin c->s, twin s->c */
    const struct relay_observer *obs;
    int twin_client, twin_server; /* -1 until twin-socket mode */
    int failed;                   /* -errno of a relay failure */
    char why[256];
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void close_fds(int *fds, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
}

static int dir_init(struct dir *d, const char *from, int src, int dst,
                    enum vuc_trace_dir tdir, bool twin)
{
    memset(d, 0, sizeof(*d));
    d->from = from;
    d->src = src;
    d->dst = dst;
    d->tdir = tdir;
    d->twin = twin;
    d->cap = 2 * RX_CHUNK;
    d->buf = malloc(d->cap);
    d->marks = calloc(MAX_MARKS, sizeof(*d->marks));
    if (d->buf == NULL || d->marks == NULL) {
        free(d->buf);
        free(d->marks);
        return -ENOMEM;
    }
    d->open = true;
    return 0;
}

static void dir_free(struct dir *d)
{
    if (!d->open) {
        return;
    }
    for (unsigned i = 0; i < d->mcount; i++) {
        struct mark *m = &d->marks[(d->mhead + i) % MAX_MARKS];
        close_fds(m->fds, m->n);
    }
    free(d->buf);
    free(d->marks);
    d->open = false;
}

static struct mark *mark_at(struct dir *d, unsigned i)
{
    return &d->marks[(d->mhead + i) % MAX_MARKS];
}

static void fail(struct session *s, int err, const char *why)
{
    if (s->failed == 0 && s->why[0] == '\0') {
        s->failed = err;
        snprintf(s->why, sizeof(s->why), "%s", why);
    }
}

static void end(struct session *s, const char *why)
{
    if (s->why[0] == '\0') {
        snprintf(s->why, sizeof(s->why), "%s", why);
    }
}

/* ---- Twin-socket mode ---------------------------------------------------- */

/*
 * The server's VERSION reply passes the socket its requests will travel on.
 * The client gets one end of a pair of ours instead, and the relay serves
 * the channel between the other end and the server's socket.
 */
static void twin_substitute(struct session *s, struct dir *d, uint64_t start,
                            uint64_t end_pos)
{
    for (unsigned i = 0; i < d->mcount && s->twin_server < 0; i++) {
        struct mark *m = mark_at(d, i);
        if (m->pos != start) {
            continue;
        }
        for (unsigned k = 0; k < m->n; k++) {
            struct stat st;
            int type;
            socklen_t tlen = sizeof(type);
            int sp[2];

            if (fstat(m->fds[k], &st) < 0 || !S_ISSOCK(st.st_mode) ||
                getsockopt(m->fds[k], SOL_SOCKET, SO_TYPE, &type, &tlen) < 0) {
                continue;
            }
            if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sp) < 0) {
                fail(s, -errno,
                     "cannot make a socket pair for the twin "
                     "socket");
                return;
            }
            int server_end = m->fds[k];
            m->fds[k] = sp[0]; /* what the client gets */
            fcntl(sp[1], F_SETFL, fcntl(sp[1], F_GETFL) | O_NONBLOCK);
            fcntl(server_end, F_SETFL, fcntl(server_end, F_GETFL) | O_NONBLOCK);
            if (dir_init(&s->d[2], "client", sp[1], server_end,
                         VUC_TRACE_TO_SERVER, true) < 0 ||
                dir_init(&s->d[3], "server", server_end, sp[1],
                         VUC_TRACE_TO_CLIENT, true) < 0) {
                dir_free(&s->d[2]);
                close(sp[1]);
                close(server_end);
                fail(s, -ENOMEM, "out of memory for the twin socket");
                return;
            }
            s->twin_client = sp[1];
            s->twin_server = server_end;
            return;
        }
    }
}

/* ---- Framing ------------------------------------------------------------- */

/* The fds of the message at start, which ends at end_pos: how many. */
static unsigned fds_of(struct dir *d, uint64_t start, uint64_t end_pos)
{
    unsigned n = 0;
    for (unsigned i = 0; i < d->mcount; i++) {
        struct mark *m = mark_at(d, i);
        if (m->pos == start) {
            m->end = end_pos;
            n += m->n;
        }
    }
    return n;
}

/* Show every whole message held, and let it be passed on. */
static void frame(struct session *s, struct dir *d)
{
    while (!d->raw) {
        if (d->pass_end > d->scan) {
            d->ready = d->rx < d->pass_end ? d->rx : d->pass_end;
            if (d->ready < d->pass_end) {
                return;
            }
            d->scan = d->pass_end;
            continue;
        }
        if (d->rx - d->scan < VFIO_USER_HDR_SIZE) {
            break;
        }
        struct vfio_user_header h;
        uint8_t *at = d->buf + (d->scan - d->base);
        memcpy(&h, at, sizeof(h));
        if (h.msg_size < VFIO_USER_HDR_SIZE) {
            char why[160];
            snprintf(why, sizeof(why),
                     "message size %u is below the 16-byte header: the rest "
                     "of this stream is passed on undecoded",
                     h.msg_size);
            s->obs->undecoded(s->obs->arg, d->tdir, d->twin, &h, why);
            d->raw = true;
            break;
        }
        if (h.msg_size > RELAY_DECODE_MAX) {
            char why[160];
            snprintf(why, sizeof(why),
                     "%u bytes, more than vuc-trace decodes (%u): passed on "
                     "undecoded",
                     h.msg_size, RELAY_DECODE_MAX);
            s->obs->undecoded(s->obs->arg, d->tdir, d->twin, &h, why);
            d->pass_end = d->scan + h.msg_size;
            fds_of(d, d->scan, d->pass_end);
            continue;
        }
        if (d->rx - d->scan < h.msg_size) {
            break;
        }
        uint64_t end_pos = d->scan + h.msg_size;
        unsigned nfds = fds_of(d, d->scan, end_pos);
        if (d->tdir == VUC_TRACE_TO_CLIENT && !d->twin &&
            h.cmd == VFIO_USER_VERSION &&
            (h.flags & VFIO_USER_F_TYPE_MASK) == VFIO_USER_F_TYPE_REPLY &&
            s->twin_server < 0) {
            twin_substitute(s, d, d->scan, end_pos);
        }
        struct vuc_trace_msg m = {
            .dir = d->tdir,
            .twin = d->twin,
            .hdr = &h,
            .payload = at + VFIO_USER_HDR_SIZE,
            .len = h.msg_size - VFIO_USER_HDR_SIZE,
            .nfds = nfds,
            .time_ns = now_ns(),
        };
        s->obs->msg(s->obs->arg, &m);
        d->scan = d->ready = end_pos;
    }
    if (d->raw || (d->eof && d->ready < d->rx)) {
        /* Nothing more will complete it: pass on what there is. */
        if (!d->raw && d->rx > d->scan) {
            s->obs->undecoded(s->obs->arg, d->tdir, d->twin, NULL,
                              "the stream ended inside a message");
        }
        d->ready = d->scan = d->rx;
    }
}

/* ---- I/O ----------------------------------------------------------------- */

/* What the direction may hold: a chunk, or the message it is assembling. */
static uint64_t hold_limit(const struct dir *d)
{
    uint64_t limit = RX_CHUNK;
    if (!d->raw && d->pass_end <= d->scan &&
        d->rx - d->scan >= VFIO_USER_HDR_SIZE) {
        struct vfio_user_header h;
        memcpy(&h, d->buf + (d->scan - d->base), sizeof(h));
        if (h.msg_size <= RELAY_DECODE_MAX &&
            h.msg_size + (d->scan - d->tx) > limit) {
            limit = h.msg_size + (d->scan - d->tx);
        }
    }
    return limit;
}

static bool can_read(const struct dir *d)
{
    return d->open && !d->eof && d->mcount < MAX_MARKS &&
           d->rx - d->tx < hold_limit(d);
}

/* How much the next read may take: never past the message it is in, while
 * the stream is framed (see struct mark). */
static size_t read_size(const struct dir *d)
{
    size_t want = (size_t)(hold_limit(d) - (d->rx - d->tx));
    uint64_t stop = UINT64_MAX;

    if (d->raw || d->eof) {
        return want;
    }
    if (d->pass_end > d->scan) {
        stop = d->pass_end;
    } else if (d->rx - d->scan < VFIO_USER_HDR_SIZE) {
        stop = d->scan + VFIO_USER_HDR_SIZE;
    } else {
        struct vfio_user_header h;
        memcpy(&h, d->buf + (d->scan - d->base), sizeof(h));
        stop = d->scan + h.msg_size;
    }
    return stop - d->rx < want ? (size_t)(stop - d->rx) : want;
}

static void dir_read(struct session *s, struct dir *d)
{
    size_t want = read_size(d);

    /* Drop what was passed on, then make room. */
    if (d->tx > d->base) {
        memmove(d->buf, d->buf + (d->tx - d->base), d->rx - d->tx);
        d->base = d->tx;
    }
    if (d->cap - (d->rx - d->base) < want) {
        size_t cap = d->cap;
        while (cap - (d->rx - d->base) < want) {
            cap *= 2;
        }
        uint8_t *nb = realloc(d->buf, cap);
        if (nb == NULL) {
            fail(s, -ENOMEM, "out of memory for a message");
            return;
        }
        d->buf = nb;
        d->cap = cap;
    }
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int) * SCM_MAX)];
    } cbuf;
    struct iovec iov = {d->buf + (d->rx - d->base), want};
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cbuf.buf,
                        .msg_controllen = sizeof(cbuf.buf)};
    ssize_t n = recvmsg(d->src, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c != NULL;
         c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        unsigned nfd = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        if (d->mcount == MAX_MARKS) {
            /* One recvmsg brings one batch; a second cannot be placed. */
            close_fds((int *)CMSG_DATA(c), nfd);
            fail(s, -EPROTO, "more fd batches than one read can carry");
            continue;
        }
        struct mark *m = mark_at(d, d->mcount++);
        bool framed = !d->raw && d->pass_end <= d->scan;
        /* Framed: the message being read; else the read's own bytes. */
        m->pos = framed ? d->scan : d->rx;
        m->end = framed ? 0 : d->rx + (n > 0 ? (uint64_t)n : 1);
        m->n = nfd;
        memcpy(m->fds, CMSG_DATA(c), nfd * sizeof(int));
    }
    if (n > 0 && (mh.msg_flags & MSG_CTRUNC)) {
        fail(s, -EPROTO,
             "fds were lost in transit (more than one recvmsg "
             "takes)");
        return;
    }
    if (n <= 0) {
        d->eof = true; /* closed, or broken: either way nothing more */
    } else {
        d->rx += (size_t)n;
    }
    frame(s, d);
}

static void dir_write(struct session *s, struct dir *d)
{
    while (d->tx < d->ready) {
        uint64_t end_pos = d->ready;
        struct mark *m = d->mcount ? mark_at(d, 0) : NULL;
        bool with_fds = m != NULL && m->pos == d->tx;

        /* fds go with their message, and with no other byte. */
        if (with_fds && m->end > m->pos && m->end < end_pos) {
            end_pos = m->end;
        } else if (!with_fds && m != NULL && m->pos < end_pos) {
            end_pos = m->pos;
        }
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(int) * SCM_MAX)];
        } cbuf;
        struct iovec iov = {d->buf + (d->tx - d->base),
                            (size_t)(end_pos - d->tx)};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
        if (with_fds && m->n > 0) {
            mh.msg_control = cbuf.buf;
            mh.msg_controllen = CMSG_SPACE(sizeof(int) * m->n);
            struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int) * m->n);
            memcpy(CMSG_DATA(c), m->fds, sizeof(int) * m->n);
        }
        ssize_t n = sendmsg(d->dst, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        }
        if (n < 0) {
            char why[128];
            snprintf(why, sizeof(why), "the %s went away (%s)",
                     d->from[0] == 'c' ? "server" : "client", strerror(errno));
            if (d->twin) {
                d->done = d->eof = true; /* the main socket decides */
                return;
            }
            end(s, why);
            return;
        }
        if (with_fds) {
            close_fds(m->fds, m->n);
            d->mhead = (d->mhead + 1) % MAX_MARKS;
            d->mcount--;
        }
        d->tx += (size_t)n;
    }
    if (d->eof && d->tx == d->rx && !d->done) {
        shutdown(d->dst, SHUT_WR);
        d->done = true;
    }
}

/* ---- The loop ------------------------------------------------------------ */

static void add_poll(struct pollfd *p, unsigned *n, int fd, short ev)
{
    for (unsigned i = 0; i < *n; i++) {
        if (p[i].fd == fd) {
            p[i].events |= ev;
            return;
        }
    }
    p[(*n)++] = (struct pollfd){.fd = fd, .events = ev};
}

static short revents_of(const struct pollfd *p, unsigned n, int fd)
{
    for (unsigned i = 0; i < n; i++) {
        if (p[i].fd == fd) {
            return p[i].revents;
        }
    }
    return 0;
}

int relay_session(int client, int server, const struct relay_observer *obs,
                  volatile sig_atomic_t *stop, char *ended, size_t ended_len)
{
    struct session *s = calloc(1, sizeof(*s));
    uint64_t grace_end = 0;
    int rc = 0;

    if (s == NULL) {
        close(client);
        close(server);
        return -ENOMEM;
    }
    s->obs = obs;
    s->twin_client = s->twin_server = -1;
    fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK);
    fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK);
    if (dir_init(&s->d[0], "client", client, server, VUC_TRACE_TO_SERVER,
                 false) < 0 ||
        dir_init(&s->d[1], "server", server, client, VUC_TRACE_TO_CLIENT,
                 false) < 0) {
        fail(s, -ENOMEM, "out of memory");
    }

    while (s->why[0] == '\0' && !*stop) {
        struct pollfd p[4];
        unsigned np = 0;

        if (s->d[0].done && s->d[1].done) {
            end(s, "both sides closed the connection");
            break;
        }
        if ((s->d[0].done || s->d[1].done) && grace_end == 0) {
            grace_end = now_ns() + (uint64_t)GRACE_MS * 1000000u;
        }
        if (grace_end != 0 && now_ns() >= grace_end) {
            end(s, s->d[0].done ? "the client closed the connection"
                                : "the server closed the connection");
            break;
        }
        for (unsigned i = 0; i < 4; i++) {
            struct dir *d = &s->d[i];
            if (!d->open) {
                continue;
            }
            if (can_read(d)) {
                add_poll(p, &np, d->src, POLLIN);
            }
            if (d->tx < d->ready) {
                add_poll(p, &np, d->dst, POLLOUT);
            }
        }
        if (poll(p, np, 100) < 0 && errno != EINTR) {
            fail(s, -errno, "poll failed");
            break;
        }
        for (unsigned i = 0; i < 4 && s->why[0] == '\0'; i++) {
            struct dir *d = &s->d[i];
            if (!d->open) {
                continue;
            }
            short rs = revents_of(p, np, d->src);
            if (can_read(d) && (rs & (POLLIN | POLLHUP | POLLERR))) {
                dir_read(s, d);
            }
            short ws = revents_of(p, np, d->dst);
            if (ws & (POLLOUT | POLLERR | POLLHUP) || d->eof) {
                dir_write(s, d);
            }
        }
        if (s->d[2].open && s->d[2].done && s->d[3].done) {
            dir_free(&s->d[2]);
            dir_free(&s->d[3]);
            close(s->twin_client);
            close(s->twin_server);
            s->twin_client = s->twin_server = -2; /* used, now closed */
        }
    }
    if (s->why[0] == '\0') {
        end(s, "stopped");
    }
    rc = s->failed;
    snprintf(ended, ended_len, "%s", s->why);
    for (unsigned i = 0; i < 4; i++) {
        dir_free(&s->d[i]);
    }
    if (s->twin_client >= 0) {
        close(s->twin_client);
        close(s->twin_server);
    }
    close(client);
    close(server);
    free(s);
    return rc;
}
