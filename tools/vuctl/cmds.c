/* SPDX-License-Identifier: BSD-3-Clause */
#include "cmds.h"

#include <ctype.h>
#include <errno.h>
#include <endian.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <vuc/vuc.h>

#include "output.h"
#include "parse.h"
#include "vuctl.h"

/* ---- Failure records ---------------------------------------------------- */

int vuctl_fail(struct vuctl *v, int status, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(v->err.msg, sizeof(v->err.msg), fmt, ap);
    va_end(ap);
    v->err.status = status;
    v->err.err = err;
    return status;
}

int vuctl_status_of(int rc)
{
    switch (-rc) {
    case 0:
        return VUCTL_OK;
    case ECONNRESET:
    case ECONNREFUSED:
    case EPIPE:
    case ENOTCONN:
    case EPROTO:
    case ETIMEDOUT:
        return VUCTL_CONN;
    default:
        return VUCTL_FAIL;
    }
}

int vuctl_fail_lib(struct vuctl *v, struct vuc_client *client, int rc,
                   const char *ctx)
{
    const char *text = client ? vuc_strerror(client) : "";
    int status = vuctl_status_of(rc);

    if (text && text[0])
        return vuctl_fail(v, status, -rc, "%s", text);
    if (ctx)
        return vuctl_fail(v, status, -rc, "%s: %s", ctx, strerror(-rc));
    return vuctl_fail(v, status, -rc, "%s", strerror(-rc));
}

/* ---- Argument helpers --------------------------------------------------- */

int vuctl_arg_u64(struct vuctl *v, const char *tok, uint64_t max, uint64_t *out)
{
    char err[256];
    int rc = vuctl_parse_u64(tok, max, out, err, sizeof(err));

    if (rc)
        return vuctl_fail(v, VUCTL_USAGE, -rc, "%s", err);
    return 0;
}

int vuctl_arg_width(struct vuctl *v, const char *tok, unsigned *width)
{
    uint64_t w;
    int rc = vuctl_arg_u64(v, tok, UINT64_MAX, &w);

    if (rc)
        return rc;
    if (w != 1 && w != 2 && w != 4 && w != 8)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad width '%s': expected 1, 2, 4 or 8", tok);
    *width = (unsigned)w;
    return 0;
}

int vuctl_arg_fits(struct vuctl *v, const char *tok, uint64_t value,
                   unsigned width)
{
    if (width < 8 && value >> (8 * width))
        return vuctl_fail(v, VUCTL_USAGE, ERANGE,
                          "value '%s' does not fit in %u byte%s", tok, width,
                          width == 1 ? "" : "s");
    return 0;
}

static const struct {
    const char *name;
    uint32_t index;
} region_names[] = {
    {"BAR0", VFIO_USER_PCI_BAR0_REGION_INDEX},
    {"BAR1", VFIO_USER_PCI_BAR1_REGION_INDEX},
    {"BAR2", VFIO_USER_PCI_BAR2_REGION_INDEX},
    {"BAR3", VFIO_USER_PCI_BAR3_REGION_INDEX},
    {"BAR4", VFIO_USER_PCI_BAR4_REGION_INDEX},
    {"BAR5", VFIO_USER_PCI_BAR5_REGION_INDEX},
    {"ROM", VFIO_USER_PCI_ROM_REGION_INDEX},
    {"CONFIG", VFIO_USER_PCI_CONFIG_REGION_INDEX},
    {"CFG", VFIO_USER_PCI_CONFIG_REGION_INDEX},
    {"VGA", VFIO_USER_PCI_VGA_REGION_INDEX},
};

int vuctl_arg_region(struct vuctl *v, const char *tok, uint32_t *index)
{
    uint64_t n;
    char err[256];

    for (size_t i = 0; i < sizeof(region_names) / sizeof(region_names[0]);
         i++) {
        if (!strcasecmp(tok, region_names[i].name)) {
            *index = region_names[i].index;
            return 0;
        }
    }
    if (tok[0] >= '0' && tok[0] <= '9') {
        int rc = vuctl_parse_u64(tok, UINT32_MAX, &n, err, sizeof(err));

        if (rc)
            return vuctl_fail(v, VUCTL_USAGE, -rc, "%s", err);
        *index = (uint32_t)n;
        return 0;
    }
    return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                      "bad region '%s': expected an index or one of BAR0 to "
                      "BAR5, ROM, CONFIG (CFG), VGA",
                      tok);
}

int vuctl_need_client(struct vuctl *v, bool connected)
{
    if (!v->client)
        return vuctl_fail(v, VUCTL_FAIL, ENOTCONN,
                          "not connected (use 'connect PATH' first)");
    if (connected && !vuc_is_connected(v->client))
        return vuctl_fail(v, VUCTL_CONN, ENOTCONN,
                          "not connected: the connection to %s was lost "
                          "(use 'reconnect')",
                          v->path);
    return 0;
}

int vuctl_region_get(struct vuctl *v, uint32_t index, const char *tok,
                     const struct vuc_region_info **info)
{
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    *info = vuc_get_region_info(v->client, index);
    if (*info)
        return 0;
    if (tok[0] >= '0' && tok[0] <= '9')
        return vuctl_fail(v, VUCTL_FAIL, ENODEV,
                          "region %" PRIu32 " does not exist", index);
    return vuctl_fail(v, VUCTL_FAIL, ENODEV,
                      "region %s (%" PRIu32 ") does not exist",
                      vuc_region_name(index), index);
}

/*
 * libvuc checks this too; checking here first names the region and the
 * numbers in the message instead of a bare ERANGE/EACCES.
 */
int vuctl_region_check(struct vuctl *v, const struct vuc_region_info *info,
                       uint32_t need_flag, uint64_t offset, uint64_t len)
{
    const char *name = vuc_region_name(info->index);

    if (need_flag && !(info->flags & need_flag))
        return vuctl_fail(v, VUCTL_FAIL, EACCES, "%s is not %s", name,
                          need_flag == VFIO_USER_REGION_INFO_FLAG_READ
                              ? "readable"
                              : "writeable");
    if (offset > info->size || len > info->size - offset)
        return vuctl_fail(v, VUCTL_FAIL, ERANGE,
                          "0x%" PRIx64 " bytes at offset 0x%" PRIx64
                          " are beyond the end of %s (size 0x%" PRIx64 ")",
                          len, offset, name, info->size);
    return 0;
}

uint64_t vuctl_le_get(const uint8_t *b, unsigned width)
{
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    switch (width) {
    case 1:
        return b[0];
    case 2:
        memcpy(&u16, b, 2);
        return le16toh(u16);
    case 4:
        memcpy(&u32, b, 4);
        return le32toh(u32);
    default:
        memcpy(&u64, b, 8);
        return le64toh(u64);
    }
}

void vuctl_le_put(uint8_t *b, uint64_t value, unsigned width)
{
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;

    switch (width) {
    case 1:
        b[0] = (uint8_t)value;
        break;
    case 2:
        u16 = htole16((uint16_t)value);
        memcpy(b, &u16, 2);
        break;
    case 4:
        u32 = htole32((uint32_t)value);
        memcpy(b, &u32, 4);
        break;
    default:
        u64 = htole64(value);
        memcpy(b, &u64, 8);
        break;
    }
}

bool vuctl_capture(struct vuctl *v, uint64_t value)
{
    if (!v->capture.on)
        return false;
    v->capture.value = value;
    v->capture.got = true;
    return true;
}

uint64_t vuctl_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- Connections -------------------------------------------------------- */

void vuctl_disconnect(struct vuctl *v)
{
    /* The client first: it lets go of every DMA map before vuctl unmaps
     * the files some of them point into. */
    vuc_client_free(v->client);
    v->client = NULL;
    vuctl_dma_files_release(v);
    vuctl_irq_forget(v, UINT32_MAX);
    free(v->path);
    v->path = NULL;
    free(v->sock);
    v->sock = NULL;
}

int vuctl_fence_at_exit(struct vuctl *v)
{
    if (v->client == NULL || !vuc_is_connected(v->client))
        return VUCTL_OK;
    int rc = vuc_fence(v->client);
    if (rc == 0)
        return VUCTL_OK;
    vuctl_fail_lib(v, v->client, rc, NULL);
    out_error(v, "fence", NULL);
    return VUCTL_FAIL;
}

static int connect_client(struct vuctl *v, const char *label, const char *path,
                          int fd, bool noshare, bool twin, bool *refused)
{
    int rc;

    /* The old connection goes first: vfio-user servers commonly serve one
     * client at a time, so reconnecting to the same one needs it closed. */
    vuctl_disconnect(v);
    v->path = strdup(label);
    v->sock = path ? strdup(path) : NULL;
    if (!v->path || (path && !v->sock)) {
        if (!path)
            close(fd);
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    }
    /* v->opts is the template of every connection; these two are per
     * connection, so it gets libvuc's documented defaults back at once. */
    vuc_options_set_dma_noshare(v->opts, noshare);
    vuc_options_set_twin_socket(v->opts, twin);
    v->client = vuc_client_new(v->base, v->opts);
    rc = errno;
    vuc_options_set_dma_noshare(v->opts, false);
    vuc_options_set_twin_socket(v->opts, true);
    if (!v->client) {
        if (!path)
            close(fd);
        return vuctl_fail(v, VUCTL_FAIL, rc, "cannot create a client: %s",
                          strerror(rc));
    }
    v->noshare = noshare;
    v->twin = twin;
    rc = path ? vuc_connect_path(v->client, path)
              : vuc_connect_fd(v->client, fd);
    if (rc < 0) {
        if (refused && rc == -ECONNREFUSED) {
            *refused = true;
        } else {
            vuctl_fail_lib(v, v->client, rc, label);
            v->err.status = VUCTL_CONN;
        }
        vuc_client_free(v->client);
        v->client = NULL;
        return VUCTL_CONN;
    }
    return VUCTL_OK;
}

int vuctl_connect(struct vuctl *v, const char *label, const char *path, int fd,
                  bool noshare, bool twin, bool *refused)
{
    int status = connect_client(v, label, path, fd, noshare, twin, refused);

    if (status == VUCTL_OK)
        out_connect(v);
    return status;
}

int vuctl_connect_quiet(struct vuctl *v, const char *label, const char *path,
                        bool noshare, bool twin)
{
    return connect_client(v, label, path, -1, noshare, twin, NULL);
}

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

static int cmd_irqs(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, true);

    if (rc)
        return rc;
    /* argv[0] is "info" for `irq info`, the same table. */
    out_irqs(v, strcmp(argv[0], "info") ? "irqs" : "irq info");
    return VUCTL_OK;
}

static int cmd_peek(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_region_info *info;
    uint32_t region;
    uint64_t offset, value;
    unsigned width = 4;
    uint8_t buf[8];
    int rc;

    if ((rc = vuctl_arg_region(v, argv[1], &region)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (argc > 3 && (rc = vuctl_arg_width(v, argv[3], &width))) ||
        (rc = vuctl_region_get(v, region, argv[1], &info)) ||
        (rc = vuctl_region_check(v, info, VFIO_USER_REGION_INFO_FLAG_READ,
                                 offset, width)))
        return rc;
    rc = vuc_region_read(v->client, region, offset, buf, width);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, NULL);
    value = vuctl_le_get(buf, width);
    if (!vuctl_capture(v, value))
        out_peek(v, region, offset, width, value);
    return VUCTL_OK;
}

static int cmd_poke(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_region_info *info;
    uint32_t region;
    uint64_t offset, value;
    unsigned width = 4;
    uint8_t buf[8];
    int rc;

    if ((rc = vuctl_arg_region(v, argv[1], &region)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (rc = vuctl_arg_u64(v, argv[3], UINT64_MAX, &value)) ||
        (argc > 4 && (rc = vuctl_arg_width(v, argv[4], &width))) ||
        (rc = vuctl_arg_fits(v, argv[3], value, width)) ||
        (rc = vuctl_region_get(v, region, argv[1], &info)) ||
        (rc = vuctl_region_check(v, info, VFIO_USER_REGION_INFO_FLAG_WRITE,
                                 offset, width)))
        return rc;
    vuctl_le_put(buf, value, width);
    rc = vuc_region_write(v->client, region, offset, buf, width);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, NULL);
    out_poke(v, region, offset, width, value);
    return VUCTL_OK;
}

static int cmd_dump(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_region_info *info;
    uint32_t region;
    uint64_t offset, len;
    uint8_t *buf;
    int rc;

    if ((rc = vuctl_arg_region(v, argv[1], &region)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (rc = vuctl_arg_u64(v, argv[3], UINT64_MAX, &len)))
        return rc;
    if (len == 0 || len > VUCTL_MAX_DUMP)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad length '%s': must be 1 to 16M bytes", argv[3]);
    if ((rc = vuctl_region_get(v, region, argv[1], &info)) ||
        (rc = vuctl_region_check(v, info, VFIO_USER_REGION_INFO_FLAG_READ,
                                 offset, len)))
        return rc;
    buf = malloc(len);
    if (!buf)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM,
                          "cannot allocate %" PRIu64 " bytes", len);
    rc = vuc_region_read(v->client, region, offset, buf, len);
    if (rc < 0) {
        free(buf);
        return vuctl_fail_lib(v, v->client, rc, NULL);
    }
    out_dump(v, region, offset, buf, len);
    free(buf);
    return VUCTL_OK;
}

static int cmd_help(struct vuctl *v, int argc, char **argv)
{
    const struct vuctl_cmd *cmd = NULL;
    const char *group = NULL;

    if (argc > 1 && vuctl_cmd_is_group(argv[1])) {
        if (argc == 2) {
            group = argv[1];
        } else if (!(cmd = vuctl_cmd_find(argv[1], argv[2]))) {
            return vuctl_fail(v, VUCTL_USAGE, EINVAL, "unknown command '%s %s'",
                              argv[1], argv[2]);
        }
    } else if (argc > 1) {
        cmd = vuctl_cmd_find(argv[1], NULL);
        if (!cmd)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL, "unknown command '%s'",
                              argv[1]);
        if (argc > 2)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "'%s' has no sub-commands", argv[1]);
    }
    out_help(v, cmd, group);
    return VUCTL_OK;
}

static int cmd_quit(struct vuctl *v, int argc, char **argv)
{
    v->quit = true;
    out_quit(v, argv[0]);
    return VUCTL_OK;
}

/* ---- The table ---------------------------------------------------------- */

const struct vuctl_cmd vuctl_cmds[] = {
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
    {
        .name = "irqs",
        .args = "",
        .summary = "list the device's interrupt indexes",
        .help = "List every irq index: index, name, number of vectors and\n"
                "flags (eventfd, maskable, automasked, noresize). irq info\n"
                "is the same command in the irq group.\n",
        .example = "irqs\n",
        .fn = cmd_irqs,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "irq",
        .sub = "info",
        .args = "",
        .summary = "list the device's interrupt indexes (as irqs)",
        .help = "The same table as irqs: every irq index with its name,\n"
                "number of vectors and flags.\n",
        .example = "irq info\n",
        .fn = cmd_irqs,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "irq",
        .sub = "enable",
        .args = "INDEX [VECTORS | START COUNT]",
        .summary = "give vectors eventfds that vuctl counts and waits on",
        .help = "Enable COUNT vectors from START of the irq INDEX (default:\n"
                "all of them; VECTORS alone means vectors 0 to VECTORS-1)\n"
                "with eventfds that libvuc owns and reads, so that irq wait\n"
                "and irq count see their interrupts. INDEX is a number or a\n"
                "name: INTX, MSI, MSIX, ERR, REQ, in any case. On a NORESIZE\n"
                "index (MSI, MSI-X), growing the enabled set disables the\n"
                "index and enables the new set; libvuc does that.\n",
        .example = "irq enable MSIX\nirq enable msix 4\nirq enable 2 8 2\n",
        .fn = vuctl_cmd_irq_enable,
        .min_args = 1,
        .max_args = 3,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "disable",
        .args = "INDEX",
        .summary = "disable every vector of an irq index",
        .help = "Disable all vectors of INDEX (SET_IRQS with count 0) and\n"
                "close their eventfds; their counts start again at 0 when\n"
                "enabled anew.\n",
        .example = "irq disable MSIX\n",
        .fn = vuctl_cmd_irq_disable,
        .min_args = 1,
        .max_args = 1,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "wait",
        .args = "[INDEX [VECTOR]] [TIMEOUT] [--count N]",
        .summary = "wait for an interrupt",
        .help = "Wait for an interrupt on an enabled vector: of any index\n"
                "(without INDEX, or with 'any'), of INDEX, or on VECTOR of\n"
                "INDEX, and print the index, the vector and how many\n"
                "interrupts it had since the last wait that reported it\n"
                "(an eventfd adds them up). One that came before the wait\n"
                "is reported at once. TIMEOUT (default 5s) is a number with\n"
                "the unit ms or s, which tells it from an INDEX or VECTOR; as\n"
                "the third argument the unit may be left out (then ms). No\n"
                "interrupt within it fails the command (exit status 1 in a\n"
                "script); so does waiting for vectors that are not enabled.\n"
                "--count N waits, within TIMEOUT, until VECTOR of INDEX has\n"
                "had N interrupts since it was enabled (as irq count\n"
                "prints): how many signals one wait sees depends on timing,\n"
                "the count does not, so scripts that fire several times\n"
                "should wait for the count.\n",
        .value = "the number of interrupts reported",
        .example = "irq wait\nirq wait MSIX 3\nirq wait 100ms\n"
                   "irq wait MSIX any 2s\nexpect irq wait INTX 0 == 1\n"
                   "irq wait MSIX 3 1s --count 4\n",
        .fn = vuctl_cmd_irq_wait,
        .min_args = 0,
        .max_args = 5,
        .first_arg = VUCTL_ARG_IRQ,
        .words = "any --count",
    },
    {
        .name = "irq",
        .sub = "mask",
        .args = "INDEX [START [COUNT]]",
        .summary = "mask vectors of a maskable irq index",
        .help = "Mask COUNT vectors (default 1) from START of INDEX, or every\n"
                "vector without START (SET_IRQS ACTION_MASK). Only indexes\n"
                "whose flags say maskable (usually INTX) can be masked; the\n"
                "device holds what fires meanwhile as pending.\n",
        .example = "irq mask INTX\n",
        .fn = vuctl_cmd_irq_action,
        .min_args = 1,
        .max_args = 3,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "unmask",
        .args = "INDEX [START [COUNT]]",
        .summary = "unmask vectors of a maskable irq index",
        .help = "Unmask vectors as irq mask masks them (SET_IRQS\n"
                "ACTION_UNMASK); a device signals what is pending at once.\n"
                "libvuc unmasks an automasked INTx by itself after each\n"
                "interrupt.\n",
        .example = "irq unmask INTX 0\n",
        .fn = vuctl_cmd_irq_action,
        .min_args = 1,
        .max_args = 3,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "trigger",
        .args = "INDEX [START [COUNT]]",
        .summary = "ask the device to signal vectors",
        .help = "Ask the device to raise COUNT vectors (default 1) from\n"
                "START of INDEX, or every vector without START (SET_IRQS\n"
                "ACTION_TRIGGER, no data): a loopback test of the eventfds.\n",
        .example = "irq trigger MSIX 3\n",
        .fn = vuctl_cmd_irq_action,
        .min_args = 1,
        .max_args = 3,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "irq",
        .sub = "count",
        .args = "INDEX VECTOR",
        .summary = "how many interrupts an enabled vector had",
        .help = "Print how many interrupts VECTOR of INDEX had since it was\n"
                "enabled, in decimal, whether or not irq wait reported them.\n",
        .value = "the number of interrupts",
        .example = "irq count MSIX 0\nexpect irq count MSIX 0 == 3\n",
        .fn = vuctl_cmd_irq_count,
        .min_args = 2,
        .max_args = 2,
        .first_arg = VUCTL_ARG_IRQ,
    },
    {
        .name = "peek",
        .args = "REGION OFFSET [WIDTH]",
        .summary = "read a 1, 2, 4 or 8 byte value from a region",
        .help = "Read WIDTH bytes (1, 2, 4 or 8; default 4) at OFFSET of\n"
                "REGION as one little-endian value and print it in hex.\n"
                "REGION is an index or a name: BAR0 to BAR5, ROM, CONFIG\n"
                "(or CFG), VGA, in any case. Numbers are decimal or 0x hex,\n"
                "with an optional k, m or g suffix (powers of 1024). In JSON\n"
                "a value above 2^63-1 is given as a decimal string.\n",
        .value = "the value read",
        .example = "peek BAR0 0x10\npeek config 0 2\n",
        .fn = cmd_peek,
        .min_args = 2,
        .max_args = 3,
        .first_arg = VUCTL_ARG_REGION,
    },
    {
        .name = "poke",
        .args = "REGION OFFSET VALUE [WIDTH]",
        .summary = "write a 1, 2, 4 or 8 byte value to a region",
        .help = "Write VALUE as a WIDTH-byte (1, 2, 4 or 8; default 4)\n"
                "little-endian value at OFFSET of REGION and wait until the\n"
                "server acknowledged it. VALUE must fit in WIDTH bytes.\n",
        .example = "poke BAR0 0x10 0xdeadbeef\npoke 0 0x14 0xff 1\n",
        .fn = cmd_poke,
        .min_args = 3,
        .max_args = 4,
        .first_arg = VUCTL_ARG_REGION,
    },
    {
        .name = "dump",
        .args = "REGION OFFSET LEN",
        .summary = "hexdump bytes of a region",
        .help = "Read LEN bytes (at most 16M) at OFFSET of REGION and print\n"
                "them like xxd: offset, 16 bytes in hex, the same as text.\n"
                "In JSON the bytes are one hex string, \"data\".\n",
        .example = "dump BAR1 0 256\ndump config 0 4k\n",
        .fn = cmd_dump,
        .min_args = 3,
        .max_args = 3,
        .first_arg = VUCTL_ARG_REGION,
    },
    {
        .name = "cfg",
        .args = "[--raw]",
        .summary = "show the PCI config space, decoded",
        .help = "Read the device's PCI config space and decode it: ids,\n"
                "class, header type, the command and status registers bit\n"
                "by bit, the interrupt pin, the BARs (type, width,\n"
                "prefetchable, address and the size of their region), and\n"
                "each capability by name, with what vuctl knows of it: PM,\n"
                "MSI, MSI-X, PCI Express, AER, DSN (the serial number),\n"
                "others by name or as 'capability 0xNN'. A capability list\n"
                "that loops or points off the config space fails the\n"
                "command, after what could be shown. --raw prints the bytes\n"
                "as lspci -xxx (256 bytes) or -xxxx (4096) does, which\n"
                "'lspci -F FILE -vv' decodes.\n",
        .example = "cfg\ncfg --raw\n",
        .fn = vuctl_cmd_cfg,
        .min_args = 0,
        .max_args = 1,
        .words = "--raw",
    },
    {
        .name = "reset",
        .args = "",
        .summary = "reset the device",
        .help = "Send DEVICE_RESET and wait, without a time limit, for the\n"
                "device to finish. libvuc then sets up the enabled\n"
                "interrupts again, so that they keep working; DMA maps\n"
                "stay.\n",
        .example = "reset\n",
        .fn = vuctl_cmd_reset,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "fence",
        .args = "",
        .summary = "wait until every posted write was processed",
        .help = "Make sure the device processed every write posted so far\n"
                "(one round trip, none when nothing is outstanding), and\n"
                "report the error of a posted write that failed. See set\n"
                "posting.\n",
        .example = "set posting posted; poke BAR0 0x10 1; fence\n",
        .fn = vuctl_cmd_fence,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "posted-safe",
        .args = "REGION OFFSET LEN",
        .summary = "let writes to a range be posted under every policy",
        .help = "Mark LEN bytes at OFFSET of REGION (a doorbell, say) as\n"
                "safe to post whatever the posting policy: writes there do\n"
                "not wait for the device's reply. At most 64 ranges.\n",
        .example = "posted-safe BAR0 0x114 4\n",
        .fn = vuctl_cmd_posted_safe,
        .min_args = 3,
        .max_args = 3,
        .first_arg = VUCTL_ARG_REGION,
    },
    {
        .name = "dma",
        .sub = "alloc",
        .args = "SIZE [IOVA] [r|w|rw] [noshare] [huge]",
        .summary = "allocate DMA memory and map it for the device",
        .help = "Allocate SIZE bytes (rounded up to the page size) of zeroed\n"
                "memory and announce it to the server with DMA_MAP at IOVA\n"
                "(default: a free, aligned IOVA that libvuc picks). r, w or\n"
                "rw say what the device may do with it (default rw).\n"
                "noshare keeps the memory's fd from the server, which must\n"
                "then use DMA_READ/DMA_WRITE messages; huge backs it with\n"
                "2 MiB huge pages (the size and IOVA then round to 2 MiB),\n"
                "which must be reserved: /proc/sys/vm/nr_hugepages. Prints\n"
                "the IOVA, the size, the flags and whether the server got an\n"
                "fd (shared) or not (none).\n",
        .value = "the IOVA of the new map",
        .example = "dma alloc 4k\n"
                   "dma alloc 1M 0x10000000 r noshare\n"
                   "set buf = dma alloc 64k\n",
        .fn = vuctl_cmd_dma_alloc,
        .min_args = 1,
        .max_args = 5,
    },
    {
        .name = "dma",
        .sub = "map",
        .args = "FILE SIZE IOVA [OFFSET] [r|w|rw] [noshare]",
        .summary = "map a file's contents for the device",
        .help = "Map SIZE bytes of FILE from OFFSET (default 0; both page\n"
                "aligned) for the device at IOVA: vuctl opens the file\n"
                "(read-only for r, else read-write), mmaps it shared and\n"
                "passes its fd with DMA_MAP, so the device reads and writes\n"
                "the file itself: a way to hand it a prepared buffer. FILE\n"
                "must be a regular file of at least OFFSET+SIZE bytes.\n"
                "Access and noshare as for dma alloc. Unlike memory of dma\n"
                "alloc, a file cannot be sealed: a server given its fd could\n"
                "shrink it under vuctl, so use noshare with one you do not\n"
                "trust.\n",
        .value = "the IOVA of the new map",
        .example = "dma map ring.bin 64k 0x100000\n"
                   "dma map fw.img 1M 0x200000 0 r\n",
        .fn = vuctl_cmd_dma_map,
        .min_args = 3,
        .max_args = 6,
        .first_arg = VUCTL_ARG_FILE,
    },
    {
        .name = "dma",
        .sub = "unmap",
        .args = "IOVA",
        .summary = "unmap a DMA map",
        .help = "Send DMA_UNMAP for the map that starts at IOVA and release\n"
                "it once the server has replied, since the device may use it\n"
                "until then. Memory of dma alloc is freed, a file of dma map\n"
                "unmapped. Without a connection the map is released at once.\n",
        .example = "dma unmap 0x100000000\ndma unmap $buf\n",
        .fn = vuctl_cmd_dma_unmap,
        .min_args = 1,
        .max_args = 1,
    },
    {
        .name = "dma",
        .sub = "list",
        .args = "",
        .summary = "list the DMA maps",
        .help = "List every DMA map in IOVA order: IOVA, size, flags (r and\n"
                "w for what the device may do, huge), whether the server got\n"
                "an fd for it (shared) or must use messages (none), and the\n"
                "file and offset of dma map. Maps outlive a lost connection,\n"
                "so that what the device wrote can still be read.\n",
        .example = "dma list\n",
        .fn = vuctl_cmd_dma_list,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "dma",
        .sub = "read",
        .args = "IOVA [WIDTH]",
        .summary = "read a 1, 2, 4 or 8 byte value from DMA memory",
        .help = "Read WIDTH bytes (1, 2, 4 or 8; default 4) of DMA memory at\n"
                "IOVA as one little-endian value and print it in hex: what\n"
                "the device wrote, or will read. The bytes must lie in one\n"
                "map.\n",
        .value = "the value read",
        .example = "dma read 0x100000000\ndma read $buf 8\n",
        .fn = vuctl_cmd_dma_read,
        .min_args = 1,
        .max_args = 2,
    },
    {
        .name = "dma",
        .sub = "write",
        .args = "IOVA VALUE [WIDTH]",
        .summary = "write a 1, 2, 4 or 8 byte value to DMA memory",
        .help = "Write VALUE as a WIDTH-byte (1, 2, 4 or 8; default 4)\n"
                "little-endian value to DMA memory at IOVA, for the device\n"
                "to read. VALUE must fit in WIDTH bytes; a file that dma map\n"
                "opened read-only cannot be written.\n",
        .example = "dma write 0x100000000 0x12345678\n"
                   "dma write $buf 0xff 1\n",
        .fn = vuctl_cmd_dma_write,
        .min_args = 2,
        .max_args = 3,
    },
    {
        .name = "dma",
        .sub = "dump",
        .args = "IOVA LEN",
        .summary = "hexdump DMA memory",
        .help = "Print LEN bytes (at most 16M) of DMA memory at IOVA like\n"
                "xxd, with IOVAs as addresses. The bytes must lie in one map.\n"
                "In JSON the bytes are one hex string, \"data\".\n",
        .example = "dma dump 0x100000000 64\n",
        .fn = vuctl_cmd_dma_dump,
        .min_args = 2,
        .max_args = 2,
    },
    {
        .name = "dma",
        .sub = "fill",
        .args = "IOVA LEN BYTE",
        .summary = "fill DMA memory with one byte value",
        .help = "Set LEN bytes of DMA memory at IOVA to BYTE (0 to 255). The\n"
                "bytes must lie in one map.\n",
        .example = "dma fill 0x100000000 4k 0xa5\n",
        .fn = vuctl_cmd_dma_fill,
        .min_args = 3,
        .max_args = 3,
    },
    {
        .name = "dirty",
        .sub = "start",
        .args = "[IOVA LEN ...] [--page-size N]",
        .summary = "start logging the pages the device writes",
        .help = "Start dirty page logging for the ranges IOVA LEN (default:\n"
                "all DMA memory), at page size N (a power of two of at least\n"
                "4k; default: the negotiated migration page size, else 4k;\n"
                "the device may choose another). libvuc uses the DMA logging\n"
                "features of the current specification, or the legacy\n"
                "DIRTY_PAGES command of older servers; the mode and the page\n"
                "size are printed.\n",
        .example = "dirty start\ndirty start 0x100000000 1m --page-size 4k\n",
        .fn = vuctl_cmd_dirty_start,
        .min_args = 0,
        .max_args = VUCTL_ANY_ARGS,
        .words = "--page-size",
    },
    {
        .name = "dirty",
        .sub = "stop",
        .args = "",
        .summary = "stop dirty page logging",
        .help = "Stop the logging that dirty start began.\n",
        .example = "dirty stop\n",
        .fn = vuctl_cmd_dirty_stop,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "dirty",
        .sub = "report",
        .args = "IOVA LEN [--page-size N]",
        .summary = "list the pages written since the last report",
        .help = "Print the logging mode, how many of the pages in LEN bytes\n"
                "at IOVA were written since the last report (the device's\n"
                "log and what it wrote with DMA_WRITE messages), and each\n"
                "run of them as a range of addresses. The page size\n"
                "defaults to logging's; IOVA and LEN must be multiples of\n"
                "it, and one report covers at most 128M pages. In JSON the\n"
                "runs are objects with iova, length and pages.\n",
        .value = "the number of dirty pages",
        .example = "dirty report 0x100000000 64k\n"
                   "expect dirty report $buf 4k == 1\n",
        .fn = vuctl_cmd_dirty_report,
        .min_args = 2,
        .max_args = 4,
        .words = "--page-size",
    },
    {
        .name = "migrate",
        .sub = "state",
        .args = "[STATE]",
        .summary = "show the migration state, or move to another",
        .help = "Without STATE, print the device's migration state. With\n"
                "it, move the device there through the states the\n"
                "specification requires on the way: STOP, RUNNING,\n"
                "STOP_COPY, RESUMING or PRE_COPY (when the device has it),\n"
                "in any case. ERROR and the P2P states cannot be asked for.\n",
        .value = "the state's number (STOP 1, RUNNING 2, STOP_COPY 3, "
                 "RESUMING 4, PRE_COPY 6)",
        .example = "migrate state\nmigrate state stop\n"
                   "expect migrate state == 2\n",
        .fn = vuctl_cmd_migrate_state,
        .min_args = 0,
        .max_args = 1,
        .first_arg = VUCTL_ARG_MIGSTATE,
    },
    {
        .name = "migrate",
        .sub = "save",
        .args = "FILE",
        .summary = "save the device's state to a file",
        .help = "Move the device to STOP_COPY, read all its migration data\n"
                "into FILE, and leave it in STOP. The file says what it is:\n"
                "a header with the format, the PCI ids, the page size and a\n"
                "CRC-32 of the data. It is written beside FILE first and\n"
                "renamed over it only once complete, readable by you alone;\n"
                "a failed save leaves no file behind.\n",
        .example = "migrate save dev.state\n",
        .fn = vuctl_cmd_migrate_save,
        .min_args = 1,
        .max_args = 1,
        .first_arg = VUCTL_ARG_FILE,
    },
    {
        .name = "migrate",
        .sub = "load",
        .args = "FILE",
        .summary = "load a saved state into the device",
        .help = "Check FILE completely (header, size, CRC-32, and that its\n"
                "PCI ids are this device's) before anything is sent, then\n"
                "move the device to RESUMING, send the data, and move it to\n"
                "RUNNING.\n",
        .example = "migrate load dev.state\n",
        .fn = vuctl_cmd_migrate_load,
        .min_args = 1,
        .max_args = 1,
        .first_arg = VUCTL_ARG_FILE,
    },
#ifdef VUCTL_HAVE_BENCH
    {
        .name = "bench",
        .args = "[--connected] [--quick] [--rounds N] [--iterations N] "
                "[--only LIST]",
        .summary = "measure libvuc against the server",
        .help = "Run the libvuc benchmark (as vuc-bench does) against the\n"
                "server and print each figure beside a baseline measured in\n"
                "the same run: a minimal blocking client, memcpy, an eventfd\n"
                "round trip. Nothing is asserted; --quick makes it short.\n"
                "LIST names measurements, comma-separated: read, pipeline,\n"
                "write, bulk, dma, map, irq, alloc (alloc needs vuc-bench's\n"
                "allocation counter, so vuctl reports it unavailable).\n"
                "Connected by a socket path, vuctl closes its connection for\n"
                "the run, since a server may serve one client at a time, and\n"
                "connects again after: DMA maps, enabled interrupts and the\n"
                "posting policy start afresh. With --connected, or when\n"
                "connected by fd (--spawn with {fd}), it measures on vuctl's\n"
                "own connection instead, without the blocking-client\n"
                "baselines; its irq phase then leaves MSI-X disabled. In\n"
                "JSON the benchmark's document is \"result\".\n",
        .example = "bench --quick\nbench --only read,write --rounds 3\n"
                   "bench --connected --quick --only irq\n",
        .fn = vuctl_cmd_bench,
        .min_args = 0,
        .max_args = 9,
        .words = "--connected --quick --rounds --iterations --only",
    },
#endif
    {
        .name = "set",
        .args = "{NAME = {COMMAND [ARGS...] | NUMBER} | posting MODE}",
        .summary = "store a value in a variable, or set the posting policy",
        .help = "Run COMMAND for the value it produces, printing nothing,\n"
                "and store it in the variable NAME; or store NUMBER. A\n"
                "command's help says which value it produces; one that\n"
                "produces none is an error. Variables hold unsigned 64-bit\n"
                "numbers. $NAME or ${NAME} in any later argument stands for\n"
                "the value in 0x hex, $$ for a '$'; an undefined variable is\n"
                "an error. A NAME is a letter or '_', then letters, digits\n"
                "and '_'.\n"
                "Without '=', 'set posting MODE' chooses how region writes\n"
                "are ordered (info shows it): strict (the default: PCI\n"
                "ordering; memory BAR writes are posted only while nothing\n"
                "is mapped), fenced (memory BAR writes are posted, and\n"
                "libvuc fences before anything that could see the device\n"
                "another way: mapped access, interrupts, DMA reads) or\n"
                "posted (memory BAR writes are posted, and ordering is up\n"
                "to you: see fence). A stricter policy fences first.\n"
                "'set posting = ...' is a variable named posting.\n",
        .example = "set magic = peek BAR0 0\n"
                   "set buf = dma alloc 4k\n"
                   "set n = 16\n"
                   "poke BAR0 0x10 $magic\n"
                   "set posting fenced\n",
        .fn = vuctl_cmd_set,
        .min_args = 2,
        .max_args = VUCTL_ANY_ARGS,
        .first_arg = VUCTL_ARG_SET,
    },
    {
        .name = "vars",
        .args = "",
        .summary = "list the variables",
        .help = "List every variable and its value, in the order they were\n"
                "first set.\n",
        .example = "vars\n",
        .fn = vuctl_cmd_vars,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "expect",
        .args = "COMMAND [ARGS...] [& MASK] {OP VALUE | in LO..HI}",
        .summary = "check a value; a failed check ends the script",
        .help = "Run COMMAND for its value as set does (a single NUMBER\n"
                "works too), AND it with MASK when given, and compare it:\n"
                "OP is ==, !=, <, <=, > or >=; 'in LO..HI' holds when\n"
                "LO <= value <= HI. A failed check prints where it is, the\n"
                "command and both values, and ends the run with exit status\n"
                "1. A check that holds prints nothing (in JSON an object\n"
                "with \"ok\": true).\n",
        .example = "expect peek BAR0 0 == 0x56554344\n"
                   "expect peek CONFIG 0 4 & 0xffff == 0x1b36\n"
                   "expect dma read $buf in 1..100\n"
                   "expect $n != 0\n",
        .fn = vuctl_cmd_expect,
        .min_args = 3,
        .max_args = VUCTL_ANY_ARGS,
        .first_arg = VUCTL_ARG_CMDLINE,
    },
    {
        .name = "echo",
        .args = "[TEXT...]",
        .summary = "print text",
        .help = "Print the words of TEXT, after variable expansion,\n"
                "separated by single blanks: a note in a CI log.\n",
        .example = "echo magic is $magic\n",
        .fn = vuctl_cmd_echo,
        .min_args = 0,
        .max_args = VUCTL_ANY_ARGS,
    },
    {
        .name = "sleep",
        .args = "DURATION",
        .summary = "wait, serving the device's DMA requests",
        .help = "Wait for DURATION: milliseconds, or a number followed by ms\n"
                "or s; at most one day. The server's DMA requests are served\n"
                "meanwhile.\n",
        .example = "sleep 100\nsleep 2s\n",
        .fn = vuctl_cmd_sleep,
        .min_args = 1,
        .max_args = 1,
    },
    {
        .name = "help",
        .args = "[COMMAND [SUB-COMMAND]]",
        .summary = "list the commands, or explain one",
        .help = "Without an argument, list the commands with their\n"
                "arguments; with a command, explain it, with its examples;\n"
                "with a group such as dma, list its sub-commands.\n",
        .example = "help peek\nhelp dma\nhelp dma alloc\n",
        .fn = cmd_help,
        .min_args = 0,
        .max_args = 2,
        .first_arg = VUCTL_ARG_COMMAND,
    },
    {
        .name = "quit",
        .alias = "exit",
        .args = "",
        .summary = "leave vuctl",
        .help = "Stop reading commands and exit with status 0; the rest of\n"
                "a script is not run.\n",
        .example = "quit\n",
        .fn = cmd_quit,
        .min_args = 0,
        .max_args = 0,
    },
};

const size_t vuctl_ncmds = sizeof(vuctl_cmds) / sizeof(vuctl_cmds[0]);

const struct vuctl_cmd *vuctl_cmd_find(const char *name, const char *sub)
{
    for (size_t i = 0; i < vuctl_ncmds; i++) {
        const struct vuctl_cmd *c = &vuctl_cmds[i];

        if (strcmp(name, c->name) && !(c->alias && !strcmp(name, c->alias)))
            continue;
        if (!sub && !c->sub)
            return c;
        if (sub && c->sub && !strcmp(sub, c->sub))
            return c;
    }
    return NULL;
}

bool vuctl_cmd_is_group(const char *name)
{
    for (size_t i = 0; i < vuctl_ncmds; i++)
        if (vuctl_cmds[i].sub && !strcmp(name, vuctl_cmds[i].name))
            return true;
    return false;
}

const char *vuctl_cmd_fullname(const struct vuctl_cmd *c, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s", c->name, c->sub ? " " : "",
             c->sub ? c->sub : "");
    return buf;
}

/* "alloc, map, ...": the sub-commands of group, for messages. */
static void sub_list(const char *group, char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < vuctl_ncmds && n < len; i++)
        if (vuctl_cmds[i].sub && !strcmp(vuctl_cmds[i].name, group))
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
                                  vuctl_cmds[i].sub);
}

/* ---- Running commands --------------------------------------------------- */

int vuctl_cmd_resolve(struct vuctl *v, int argc, char **argv,
                      const struct vuctl_cmd **out, int *nwords)
{
    const struct vuctl_cmd *cmd;
    char subs[256], name[64];
    int nargs;

    *nwords = 1;
    if (vuctl_cmd_is_group(argv[0])) {
        sub_list(argv[0], subs, sizeof(subs));
        if (argc < 2)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "expected a sub-command: %s", subs);
        cmd = vuctl_cmd_find(argv[0], argv[1]);
        if (!cmd)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "unknown sub-command '%s' (expected %s)", argv[1],
                              subs);
        *nwords = 2;
    } else {
        cmd = vuctl_cmd_find(argv[0], NULL);
        if (!cmd)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "unknown command '%s' (try 'help')", argv[0]);
    }
    /* Set even when the count is wrong, so the caller names it. */
    *out = cmd;
    nargs = argc - *nwords;
    if (nargs < cmd->min_args || nargs > cmd->max_args) {
        const char *sp = cmd->args[0] ? " " : "";

        /* Usage as typed, so that an alias is shown as the user knows it. */
        snprintf(name, sizeof(name), "%s%s%s", argv[0], cmd->sub ? " " : "",
                 cmd->sub ? cmd->sub : "");
        if (cmd->max_args == VUCTL_ANY_ARGS)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "expected at least %d argument%s, got %d "
                              "(usage: %s%s%s)",
                              cmd->min_args, cmd->min_args == 1 ? "" : "s",
                              nargs, name, sp, cmd->args);
        if (cmd->min_args == cmd->max_args)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "expected %d argument%s, got %d (usage: %s%s%s)",
                              cmd->min_args, cmd->min_args == 1 ? "" : "s",
                              nargs, name, sp, cmd->args);
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "expected %d to %d arguments, got %d (usage: "
                          "%s%s%s)",
                          cmd->min_args, cmd->max_args, nargs, name, sp,
                          cmd->args);
    }
    return VUCTL_OK;
}

static void free_words(int argc, char **argv)
{
    if (!argv)
        return;
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(argv);
}

/* A copy of argv with variables expanded in every word but the first. */
static int expand_words(struct vuctl *v, int argc, char **argv, char ***out)
{
    char **x = calloc((size_t)argc + 1, sizeof(*x));
    char err[512];

    if (!x)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    for (int i = 0; i < argc; i++) {
        int rc;

        if (i == 0) {
            x[i] = strdup(argv[i]);
            rc = x[i] ? 0 : -ENOMEM;
            if (rc)
                snprintf(err, sizeof(err), "out of memory");
        } else {
            rc = vuctl_expand(argv[i], vuctl_var_get, v, &x[i], err,
                              sizeof(err));
        }
        if (rc) {
            free_words(argc, x);
            return vuctl_fail(v, rc == -ENOMEM ? VUCTL_FAIL : VUCTL_USAGE, -rc,
                              "%s", err);
        }
    }
    *out = x;
    return VUCTL_OK;
}

int vuctl_cmd_run(struct vuctl *v, int argc, char **argv, const char *where)
{
    const struct vuctl_cmd *cmd = NULL;
    char **x = NULL;
    char name[160];
    int nwords = 1;
    int status;

    v->where = where;
    v->err.reported = false;
    status = expand_words(v, argc, argv, &x);
    if (status == VUCTL_OK)
        status = vuctl_cmd_resolve(v, argc, x, &cmd, &nwords);
    if (status == VUCTL_OK)
        status = cmd->fn(v, argc - nwords + 1, x + nwords - 1);
    if (status != VUCTL_OK && !v->err.reported) {
        /* The name as typed: "exit", "dma alloc". */
        if (cmd && nwords == 2)
            snprintf(name, sizeof(name), "%s %s", argv[0], x[1]);
        else
            snprintf(name, sizeof(name), "%s", argv[0]);
        out_error(v, name, where);
    }
    free_words(argc, x);
    fflush(stdout);
    v->where = NULL;
    return status;
}

int vuctl_cmd_value(struct vuctl *v, int argc, char **argv, uint64_t *value)
{
    const struct vuctl_cmd *cmd;
    char name[64];
    int nwords, status;

    if (isdigit((unsigned char)argv[0][0])) {
        if (argc > 1)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "expected a command or one number, not the "
                              "number '%s' and %d more word%s",
                              argv[0], argc - 1, argc == 2 ? "" : "s");
        return vuctl_arg_u64(v, argv[0], UINT64_MAX, value);
    }
    status = vuctl_cmd_resolve(v, argc, argv, &cmd, &nwords);
    if (status)
        return status;
    if (!cmd->value)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "%s produces no value",
                          vuctl_cmd_fullname(cmd, name, sizeof(name)));
    v->capture.on = true;
    v->capture.got = false;
    status = cmd->fn(v, argc - nwords + 1, argv + nwords - 1);
    v->capture.on = false;
    if (status == VUCTL_OK && !v->capture.got)
        return vuctl_fail(v, VUCTL_FAIL, EIO,
                          "%s succeeded but gave no value (a vuctl bug)",
                          vuctl_cmd_fullname(cmd, name, sizeof(name)));
    *value = v->capture.value;
    return status;
}

int vuctl_exec_line(struct vuctl *v, const char *text, const char *where,
                    unsigned long *cmdno)
{
    struct vuctl_line line;
    char err[256], here[32];
    int status = VUCTL_OK;
    int rc;

    rc = vuctl_parse_line(text, &line, err, sizeof(err));
    if (rc) {
        vuctl_fail(v, rc == -ENOMEM ? VUCTL_FAIL : VUCTL_USAGE, -rc, "%s", err);
        out_error(v, NULL, cmdno ? "-c" : where);
        return v->err.status;
    }
    for (size_t i = 0; i < line.n && !v->quit; i++) {
        if (cmdno) {
            snprintf(here, sizeof(here), "-c:%lu", ++*cmdno);
            where = here;
        }
        status = vuctl_cmd_run(v, line.cmds[i].argc, line.cmds[i].argv, where);
        if (status != VUCTL_OK)
            break;
    }
    vuctl_line_free(&line);
    return status;
}
