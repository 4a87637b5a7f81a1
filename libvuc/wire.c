/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vfio-user codec. Every decoder copies fixed-size parts of the payload
 * into local structs with memcpy (the payload may sit at any alignment) and
 * checks each length against what is left before it looks at the bytes, so
 * that nothing outside [payload, payload + len) is ever read.
 */
#include "wire.h"
#include "wire_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define WIRE_KNOWN_HDR_FLAGS                                                   \
    (VFIO_USER_F_TYPE_MASK | VFIO_USER_F_NO_REPLY | VFIO_USER_F_ERROR)

/* ---- Errors and names ---------------------------------------------------- */

static void wire_vfail(struct vuc_wire_err *err, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void wire_vfail(struct vuc_wire_err *err, const char *fmt, va_list ap)
{
    if (err != NULL)
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
}

int vuc_wire_fail(struct vuc_wire_err *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    wire_vfail(err, fmt, ap);
    va_end(ap);
    return -EPROTO;
}

int vuc_wire_fail_code(struct vuc_wire_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    wire_vfail(err, fmt, ap);
    va_end(ap);
    return code;
}

const char *vuc_wire_cmd_name(uint16_t cmd)
{
    const char *name = vfio_user_command_name(cmd);
    return name != NULL ? name : "UNKNOWN";
}

/* ---- Header -------------------------------------------------------------- */

void vuc_wire_put_header(struct vfio_user_header *hdr, uint16_t id,
                         uint16_t cmd, uint32_t msg_size, uint32_t flags,
                         uint32_t error_no)
{
    struct vfio_user_header h = {
        .msg_id = id,
        .cmd = cmd,
        .msg_size = msg_size,
        .flags = flags,
        .error_no = error_no,
    };

    memcpy(hdr, &h, sizeof(h));
}

int vuc_wire_check_header(const struct vfio_user_header *hdr, size_t max_size,
                          struct vuc_wire_err *err)
{
    struct vfio_user_header h;
    uint32_t type;

    memcpy(&h, hdr, sizeof(h));
    type = h.flags & VFIO_USER_F_TYPE_MASK;

    if (h.msg_size < VFIO_USER_HDR_SIZE)
        return vuc_wire_fail(
            err, "message size %" PRIu32 " is below the %u-byte header",
            h.msg_size, VFIO_USER_HDR_SIZE);
    if (h.msg_size > max_size)
        return vuc_wire_fail(
            err, "message size %" PRIu32 " exceeds the limit of %zu",
            h.msg_size, max_size);
    if (type != VFIO_USER_F_TYPE_COMMAND && type != VFIO_USER_F_TYPE_REPLY)
        return vuc_wire_fail(err,
                             "%s message %u has type %" PRIu32
                             " in its flags 0x%" PRIx32
                             ", neither command (0) nor reply (1)",
                             vuc_wire_cmd_name(h.cmd), h.msg_id, type, h.flags);
    if (h.flags & ~WIRE_KNOWN_HDR_FLAGS)
        return vuc_wire_fail(err,
                             "%s message %u has unknown flag bits 0x%" PRIx32
                             " in its flags 0x%" PRIx32,
                             vuc_wire_cmd_name(h.cmd), h.msg_id,
                             h.flags & ~WIRE_KNOWN_HDR_FLAGS, h.flags);
    if (type == VFIO_USER_F_TYPE_COMMAND && (h.flags & VFIO_USER_F_ERROR))
        return vuc_wire_fail(err,
                             "%s command %u has the error flag set, which "
                             "only a reply may carry",
                             vuc_wire_cmd_name(h.cmd), h.msg_id);
    return 0;
}

int vuc_wire_reply_errno(const struct vfio_user_header *hdr)
{
    struct vfio_user_header h;

    memcpy(&h, hdr, sizeof(h));
    if (!(h.flags & VFIO_USER_F_ERROR))
        return 0;
    /* "Header": the errno may be zero even with the error bit set; anything
     * past the kernel's MAX_ERRNO is not an errno we could report. */
    if (h.error_no == 0 || h.error_no > 4095)
        return -EIO;
    return -(int)h.error_no;
}

int vuc_wire_dec_empty_reply(uint16_t cmd, size_t len, unsigned nfds,
                             struct vuc_wire_err *err)
{
    if (len != 0)
        return vuc_wire_fail(err,
                             "%s reply has %zu bytes of payload, expected "
                             "none",
                             vuc_wire_cmd_name(cmd), len);
    return wire_no_fds(cmd, "reply", nfds, err);
}

/* ---- VERSION ------------------------------------------------------------- */

ssize_t vuc_wire_enc_version(void *buf, size_t cap, uint16_t major,
                             uint16_t minor, const char *json)
{
    struct vfio_user_version v = {.major = major, .minor = minor};
    size_t json_size = json != NULL ? strlen(json) + 1 : 0;
    ssize_t n = wire_room(cap, (uint64_t)sizeof(v) + json_size);

    if (n < 0)
        return n;
    memcpy(buf, &v, sizeof(v));
    if (json_size > 0)
        memcpy((uint8_t *)buf + sizeof(v), json, json_size);
    return n;
}

int vuc_wire_dec_version_reply(const void *payload, size_t len,
                               uint16_t want_major, uint16_t want_minor,
                               struct vuc_wire_version *out,
                               struct vuc_wire_err *err)
{
    const char *p = payload;
    struct vfio_user_version v;
    const char *nul;
    size_t json_size;

    if (len < sizeof(v))
        return vuc_wire_fail(err,
                             "VERSION reply has %zu bytes, expected at "
                             "least %zu",
                             len, sizeof(v));
    memcpy(&v, p, sizeof(v));
    if (v.major != want_major)
        return vuc_wire_fail(err,
                             "VERSION reply has major version %u, we "
                             "proposed %u",
                             v.major, want_major);
    if (v.minor > want_minor)
        return vuc_wire_fail(err,
                             "VERSION reply has minor version %u, above the "
                             "%u we proposed",
                             v.minor, want_minor);

    out->major = v.major;
    out->minor = v.minor;
    out->json = NULL;
    out->json_len = 0;
    json_size = len - sizeof(v);
    if (json_size == 0)
        return 0;

    if (p[len - 1] != '\0')
        return vuc_wire_fail(err,
                             "VERSION reply: the %zu bytes of JSON do not "
                             "end with a NUL",
                             json_size);
    nul = memchr(p + sizeof(v), '\0', json_size - 1);
    if (nul != NULL)
        return vuc_wire_fail(err,
                             "VERSION reply: the JSON has a NUL at byte %zu "
                             "of %zu, before its end",
                             (size_t)(nul - (p + sizeof(v))), json_size);
    /* A lone NUL carries no capabilities; report it as no JSON at all. */
    if (json_size > 1) {
        out->json = p + sizeof(v);
        out->json_len = json_size - 1;
    }
    return 0;
}
