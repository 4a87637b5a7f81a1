/* SPDX-License-Identifier: BSD-3-Clause */
/* Connecting, and what the connected device is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <vuc/vuc.h>

#include "args.h"
#include "cmds.h"
#include "conn.h"
#include "output.h"
#include "vuctl.h"

/* ---- Handlers ----------------------------------------------------------- */

static int cmd_connect(struct vuctl *v, int argc, char **argv)
{
    bool noshare = v->all_noshare, twin = !v->all_notwin;

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--no-share"))
            noshare = true;
        else if (!strcmp(argv[i], "--no-twin"))
            twin = false;
        else
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "unknown option '%s' (expected --no-share or "
                              "--no-twin)",
                              argv[i]);
    }
    return vuctl_connect(v, argv[1], argv[1], -1, noshare, twin, NULL);
}

/* Vectors with an eventfd, over every irq index of the device. */
static unsigned enabled_vectors(struct vuc_client *c)
{
    const struct vuc_device_info *d = vuc_get_device_info(c);
    unsigned n = 0;

    for (uint32_t i = 0; d && i < d->num_irqs; i++) {
        const struct vuc_irq_info *info = vuc_get_irq_info(c, i);

        for (uint32_t k = 0; info && k < info->count; k++)
            n += vuc_irq_enabled(c, i, k);
    }
    return n;
}

static int cmd_reconnect(struct vuctl *v, int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : v->sock;
    char *name, *sock;
    int rc;

    if (!v->client)
        return vuctl_fail(v, VUCTL_FAIL, ENOTCONN,
                          "nothing to reconnect (use 'connect PATH' first)");
    if (!path)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "%s came as an fd, not a socket path: give the PATH "
                          "to reconnect to",
                          v->path);
    if (vuc_is_connected(v->client)) {
        /* Closing drops what is still queued: posted writes go first. A
         * server that does not answer is a reason to reconnect, so its
         * failure is reported, not fatal. */
        if (vuc_fence(v->client) < 0)
            fprintf(stderr, "vuctl: reconnect: %s; reconnecting anyway\n",
                    vuc_strerror(v->client));
        vuc_disconnect(v->client);
    }
    /* path may be v->sock itself, which changes only on success: a
     * failed reconnect to another PATH leaves the last one to retry. */
    name = strdup(path);
    sock = strdup(path);
    if (!name || !sock) {
        free(name);
        free(sock);
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    }
    rc = vuc_reconnect_path(v->client, sock);
    if (rc < 0) {
        free(name);
        free(sock);
        vuctl_fail_lib(v, v->client, rc, "reconnect");
        v->err.status = VUCTL_CONN;
        return VUCTL_CONN;
    }
    free(v->path);
    free(v->sock);
    v->path = name;
    v->sock = sock;
    out_reconnect(v, vuc_dma_count(v->client), enabled_vectors(v->client));
    return VUCTL_OK;
}

static int cmd_info(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    out_info(v);
    return VUCTL_OK;
}

static int cmd_regions(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    out_regions(v);
    return VUCTL_OK;
}

/* Connecting, and what the connected device is. */
static const struct vuctl_cmd conn_cmds[] = {
    {
        .name = "connect",
        .args = "PATH [--no-share] [--no-twin]",
        .summary = "connect to a vfio-user server's UNIX socket",
        .help = "Connect to the server listening on the UNIX socket PATH,\n"
                "negotiate the protocol version and capabilities, and read\n"
                "the device, region and irq information. A connection that\n"
                "already exists is closed first, and its DMA maps with it\n"
                "(reconnect keeps them).\n"
                "--no-share passes the server no fd with any DMA map, so it\n"
                "must use DMA_READ/DMA_WRITE messages; --no-twin does not\n"
                "ask for a socket of its own for the server's requests. The\n"
                "options of the same names on vuctl's command line apply to\n"
                "every connection.\n",
        .example = "connect /run/vfio-user/nvme0.sock\n"
                   "connect dev.sock --no-share --no-twin\n",
        .fn = cmd_connect,
        .min_args = 1,
        .max_args = 3,
        .first_arg = VUCTL_ARG_FILE,
    },
    {
        .name = "reconnect",
        .args = "[PATH]",
        .summary = "connect again, setting DMA maps and interrupts up again",
        .help = "Connect again to the socket of the last connection, or to\n"
                "PATH, after the server dropped the connection or restarted\n"
                "(an open connection is fenced and closed first). Unlike\n"
                "connect it keeps what the session set up and gives it to\n"
                "the server again, as the specification expects of a\n"
                "returning client: every DMA map (DMA_MAP, with its fd\n"
                "unless noshare) and every enabled vector's eventfd\n"
                "(SET_IRQS), with their counts. The device must be the same\n"
                "one (flags, regions, irq indexes); another, or a server\n"
                "that refuses part of it, fails the command and closes the\n"
                "connection, and what was held stays for another reconnect.\n"
                "Dirty page logging does not carry over. Prints the number\n"
                "of DMA maps and vectors set up again.\n",
        .example = "reconnect\nreconnect /run/vfio-user/nvme0.sock\n",
        .fn = cmd_reconnect,
        .min_args = 0,
        .max_args = 1,
        .first_arg = VUCTL_ARG_FILE,
    },
    {
        .name = "info",
        .args = "",
        .summary = "show the device and negotiated capabilities",
        .help = "Show the protocol version, the capabilities both sides\n"
                "agreed on (twin_socket says whether it was asked for and\n"
                "granted), whether DMA maps pass no fd (dma_noshare), the\n"
                "device flags and counts, the posting policy (see set\n"
                "posting) with how many writes libvuc posted, carried in\n"
                "REGION_WRITE_MULTI or delivered by doorbell ioeventfd and\n"
                "how many fences took a round trip, whether dirty page\n"
                "logging runs, and the JSON the server sent with its VERSION\n"
                "reply.\n",
        .example = "info\n",
        .fn = cmd_info,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "regions",
        .args = "",
        .summary = "list the device's regions",
        .help = "List every region: index, name, size, access flags (r\n"
                "readable, w writeable, m mappable, c has capabilities),\n"
                "how many of its mappable areas libvuc has mapped, its\n"
                "capabilities (sparse mmap areas as offset+size, type,\n"
                "msix) and the ioeventfds the server gave for it (offset/\n"
                "width, any for every width, =data when only that value\n"
                "signals it): writes there are doorbells, delivered without\n"
                "a message when they may be posted.\n",
        .example = "regions\n",
        .fn = cmd_regions,
        .min_args = 0,
        .max_args = 0,
    },
};

const struct vuctl_cmd_table vuctl_conn_table = {
    conn_cmds, sizeof(conn_cmds) / sizeof(conn_cmds[0])};
