/* SPDX-License-Identifier: BSD-3-Clause */
#include "cmds.h"

#include <errno.h>
#include <endian.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int arg_u64(struct vuctl *v, const char *tok, uint64_t max,
                   uint64_t *out)
{
    char err[256];
    int rc = vuctl_parse_u64(tok, max, out, err, sizeof(err));

    if (rc)
        return vuctl_fail(v, VUCTL_USAGE, -rc, "%s", err);
    return 0;
}

static int arg_width(struct vuctl *v, const char *tok, unsigned *width)
{
    uint64_t w;
    int rc = arg_u64(v, tok, UINT64_MAX, &w);

    if (rc)
        return rc;
    if (w != 1 && w != 2 && w != 4 && w != 8)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad width '%s': expected 1, 2, 4 or 8", tok);
    *width = (unsigned)w;
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

/* A region index or name; whether it exists is region_get()'s business. */
static int arg_region(struct vuctl *v, const char *tok, uint32_t *index)
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

static int need_client(struct vuctl *v)
{
    if (!v->client)
        return vuctl_fail(v, VUCTL_FAIL, ENOTCONN,
                          "not connected (use 'connect PATH' first)");
    if (!vuc_is_connected(v->client))
        return vuctl_fail(v, VUCTL_CONN, ENOTCONN,
                          "not connected: the connection to %s was lost",
                          v->path);
    return 0;
}

/* The region's cached info, after checking that it exists. */
static int region_get(struct vuctl *v, uint32_t index, const char *tok,
                      const struct vuc_region_info **info)
{
    int rc = need_client(v);

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
static int region_check(struct vuctl *v, const struct vuc_region_info *info,
                        uint32_t need_flag, uint64_t offset, uint64_t len)
{
    const char *name = vuc_region_name(info->index);

    if (!(info->flags & need_flag))
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

/* ---- Handlers ----------------------------------------------------------- */

static int cmd_connect(struct vuctl *v, int argc, char **argv)
{
    const char *path = argv[1];
    struct vuc_client *old = v->client;
    int rc;

    /* The old connection goes first: vfio-user servers commonly serve one
     * client at a time, so reconnecting to the same one needs it closed. */
    v->client = NULL;
    vuc_client_free(old);
    free(v->path);
    v->path = strdup(path);
    if (!v->path)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    v->client = vuc_client_new(v->base, v->opts);
    if (!v->client) {
        rc = errno;
        return vuctl_fail(v, VUCTL_FAIL, rc, "cannot create a client: %s",
                          strerror(rc));
    }
    rc = vuc_connect_path(v->client, path);
    if (rc < 0) {
        vuctl_fail_lib(v, v->client, rc, path);
        vuc_client_free(v->client);
        v->client = NULL;
        v->err.status = VUCTL_CONN;
        return VUCTL_CONN;
    }
    out_connect(v);
    return VUCTL_OK;
}

static int cmd_info(struct vuctl *v, int argc, char **argv)
{
    int rc = need_client(v);

    if (rc)
        return rc;
    out_info(v);
    return VUCTL_OK;
}

static int cmd_regions(struct vuctl *v, int argc, char **argv)
{
    int rc = need_client(v);

    if (rc)
        return rc;
    out_regions(v);
    return VUCTL_OK;
}

static int cmd_irqs(struct vuctl *v, int argc, char **argv)
{
    int rc = need_client(v);

    if (rc)
        return rc;
    out_irqs(v);
    return VUCTL_OK;
}

/* PCI device memory is little-endian whatever the host is. */
static uint64_t from_le(const uint8_t *b, unsigned width)
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

static void to_le(uint8_t *b, uint64_t value, unsigned width)
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

static int cmd_peek(struct vuctl *v, int argc, char **argv)
{
    const struct vuc_region_info *info;
    uint32_t region;
    uint64_t offset;
    unsigned width = 4;
    uint8_t buf[8];
    int rc;

    if ((rc = arg_region(v, argv[1], &region)) ||
        (rc = arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (argc > 3 && (rc = arg_width(v, argv[3], &width))) ||
        (rc = region_get(v, region, argv[1], &info)) ||
        (rc = region_check(v, info, VFIO_USER_REGION_INFO_FLAG_READ, offset,
                           width)))
        return rc;
    rc = vuc_region_read(v->client, region, offset, buf, width);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, NULL);
    out_peek(v, region, offset, width, from_le(buf, width));
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

    if ((rc = arg_region(v, argv[1], &region)) ||
        (rc = arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (rc = arg_u64(v, argv[3], UINT64_MAX, &value)) ||
        (argc > 4 && (rc = arg_width(v, argv[4], &width))))
        return rc;
    if (width < 8 && value >> (8 * width))
        return vuctl_fail(v, VUCTL_USAGE, ERANGE,
                          "value '%s' does not fit in %u byte%s", argv[3],
                          width, width == 1 ? "" : "s");
    if ((rc = region_get(v, region, argv[1], &info)) ||
        (rc = region_check(v, info, VFIO_USER_REGION_INFO_FLAG_WRITE, offset,
                           width)))
        return rc;
    to_le(buf, value, width);
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

    if ((rc = arg_region(v, argv[1], &region)) ||
        (rc = arg_u64(v, argv[2], UINT64_MAX, &offset)) ||
        (rc = arg_u64(v, argv[3], UINT64_MAX, &len)))
        return rc;
    if (len == 0 || len > VUCTL_MAX_DUMP)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad length '%s': must be 1 to 16M bytes", argv[3]);
    if ((rc = region_get(v, region, argv[1], &info)) ||
        (rc = region_check(v, info, VFIO_USER_REGION_INFO_FLAG_READ, offset,
                           len)))
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

    if (argc > 1) {
        cmd = vuctl_cmd_find(argv[1]);
        if (!cmd)
            return vuctl_fail(v, VUCTL_USAGE, EINVAL, "unknown command '%s'",
                              argv[1]);
    }
    out_help(v, cmd);
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
        .args = "PATH",
        .summary = "connect to a vfio-user server's UNIX socket",
        .help = "Connect to the server listening on the UNIX socket PATH,\n"
                "negotiate the protocol version and capabilities, and read\n"
                "the device, region and irq information. A connection that\n"
                "already exists is closed first.\n",
        .example = "connect /run/vfio-user/nvme0.sock\n",
        .fn = cmd_connect,
        .min_args = 1,
        .max_args = 1,
        .first_arg = VUCTL_ARG_FILE,
    },
    {
        .name = "info",
        .args = "",
        .summary = "show the device and negotiated capabilities",
        .help = "Show the protocol version, the capabilities both sides\n"
                "agreed on, the device flags and counts, and the JSON the\n"
                "server sent with its VERSION reply.\n",
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
                "how many of its mappable areas libvuc has mapped, and its\n"
                "capabilities (sparse mmap areas as offset+size, type,\n"
                "msix).\n",
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
                "flags (eventfd, maskable, automasked, noresize).\n",
        .example = "irqs\n",
        .fn = cmd_irqs,
        .min_args = 0,
        .max_args = 0,
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
        .name = "help",
        .args = "[COMMAND]",
        .summary = "list the commands, or explain one",
        .help = "Without an argument, list the commands with their\n"
                "arguments; with one, explain that command.\n",
        .example = "help peek\n",
        .fn = cmd_help,
        .min_args = 0,
        .max_args = 1,
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

const struct vuctl_cmd *vuctl_cmd_find(const char *name)
{
    for (size_t i = 0; i < vuctl_ncmds; i++) {
        const struct vuctl_cmd *c = &vuctl_cmds[i];

        if (!strcmp(name, c->name) || (c->alias && !strcmp(name, c->alias)))
            return c;
    }
    return NULL;
}

/* ---- Running commands --------------------------------------------------- */

int vuctl_cmd_run(struct vuctl *v, int argc, char **argv, const char *where)
{
    const struct vuctl_cmd *cmd = vuctl_cmd_find(argv[0]);
    int nargs = argc - 1;
    int status;

    if (!cmd) {
        vuctl_fail(v, VUCTL_USAGE, EINVAL, "unknown command '%s' (try 'help')",
                   argv[0]);
        out_error(v, argv[0], where);
        return VUCTL_USAGE;
    }
    if (nargs < cmd->min_args || nargs > cmd->max_args) {
        const char *sp = cmd->args[0] ? " " : "";

        if (cmd->min_args == cmd->max_args)
            vuctl_fail(v, VUCTL_USAGE, EINVAL,
                       "expected %d argument%s, got %d (usage: %s%s%s)",
                       cmd->min_args, cmd->min_args == 1 ? "" : "s", nargs,
                       argv[0], sp, cmd->args);
        else
            vuctl_fail(v, VUCTL_USAGE, EINVAL,
                       "expected %d to %d arguments, got %d (usage: %s%s%s)",
                       cmd->min_args, cmd->max_args, nargs, argv[0], sp,
                       cmd->args);
        out_error(v, argv[0], where);
        return VUCTL_USAGE;
    }
    status = cmd->fn(v, argc, argv);
    if (status != VUCTL_OK)
        out_error(v, argv[0], where);
    fflush(stdout);
    return status;
}

int vuctl_exec_line(struct vuctl *v, const char *text, const char *where)
{
    struct vuctl_line line;
    char err[256];
    int status = VUCTL_OK;
    int rc;

    rc = vuctl_parse_line(text, &line, err, sizeof(err));
    if (rc) {
        vuctl_fail(v, rc == -ENOMEM ? VUCTL_FAIL : VUCTL_USAGE, -rc, "%s", err);
        out_error(v, NULL, where);
        return v->err.status;
    }
    for (size_t i = 0; i < line.n && !v->quit; i++) {
        status = vuctl_cmd_run(v, line.cmds[i].argc, line.cmds[i].argv, where);
        if (status != VUCTL_OK)
            break;
    }
    vuctl_line_free(&line);
    return status;
}
