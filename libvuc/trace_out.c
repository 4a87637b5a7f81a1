/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Text or JSON for the trace formatter, one field at a time, into a bounded
 * buffer.
 */
#include "trace_out.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <vuc/protocol.h>

void vuc_tout_init(struct vuc_tout *o, char *buf, size_t cap, bool json)
{
    o->buf = buf;
    o->cap = cap;
    o->len = 0;
    o->json = json;
    if (cap > 0) {
        buf[0] = '\0';
    }
}

static void vuc_tout_put(struct vuc_tout *o, const char *s, size_t n)
{
    if (o->len + 1 < o->cap) {
        size_t room = o->cap - 1 - o->len;
        size_t take = n < room ? n : room;
        memcpy(o->buf + o->len, s, take);
        o->buf[o->len + take] = '\0';
    }
    o->len += n;
}

void vuc_tout_raw(struct vuc_tout *o, const char *s)
{
    vuc_tout_put(o, s, strlen(s));
}

void vuc_tout_printf(struct vuc_tout *o, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;

    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n > 0) {
        vuc_tout_put(o, tmp,
                     (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
    }
}

void vuc_tout_json_string(struct vuc_tout *o, const char *s, size_t n)
{
    vuc_tout_put(o, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            char esc[2] = {'\\', (char)ch};
            vuc_tout_put(o, esc, 2);
        } else if (ch < 0x20 || ch >= 0x7f) {
            /* Bytes, not characters: the peer's text need not be UTF-8. */
            vuc_tout_printf(o, "\\u%04x", ch);
        } else {
            vuc_tout_put(o, (const char *)&ch, 1);
        }
    }
    vuc_tout_put(o, "\"", 1);
}

static void vuc_tout_key(struct vuc_tout *o, const char *key, const char *label)
{
    if (o->json) {
        vuc_tout_put(o, ",", 1);
        vuc_tout_json_string(o, key, strlen(key));
        vuc_tout_put(o, ":", 1);
    } else {
        vuc_tout_put(o, " ", 1);
        if (label != NULL) {
            vuc_tout_raw(o, label);
            vuc_tout_put(o, " ", 1);
        }
    }
}

/* JSON parsers commonly hold integers in an int64 (or a double): above
 * INT64_MAX the number goes as a decimal string, as vuctl's output does. */
static void vuc_tout_json_u64(struct vuc_tout *o, uint64_t v)
{
    vuc_tout_printf(o, v > INT64_MAX ? "\"%" PRIu64 "\"" : "%" PRIu64, v);
}

void vuc_tout_u64(struct vuc_tout *o, const char *key, const char *label,
                  uint64_t v)
{
    vuc_tout_key(o, key, label);
    if (o->json) {
        vuc_tout_json_u64(o, v);
    } else {
        vuc_tout_printf(o, "%" PRIu64, v);
    }
}

void vuc_tout_hex(struct vuc_tout *o, const char *key, const char *label,
                  uint64_t v)
{
    vuc_tout_key(o, key, label);
    if (o->json) {
        vuc_tout_json_u64(o, v);
    } else {
        vuc_tout_printf(o, "%#" PRIx64, v);
    }
}

void vuc_tout_str(struct vuc_tout *o, const char *key, const char *label,
                  const char *s)
{
    vuc_tout_key(o, key, label);
    if (o->json) {
        vuc_tout_json_string(o, s, strlen(s));
    } else {
        vuc_tout_raw(o, s);
    }
}

void vuc_tout_quoted(struct vuc_tout *o, const char *key, const char *label,
                     const char *s, size_t n, size_t max)
{
    size_t shown = n < max ? n : max;

    vuc_tout_key(o, key, label);
    if (o->json) {
        vuc_tout_json_string(o, s, shown);
        if (shown < n) {
            vuc_tout_printf(o, ",\"%s_len\":%zu", key, n);
        }
        return;
    }
    for (size_t i = 0; i < shown; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x7f) {
            vuc_tout_printf(o, "\\x%02x", ch);
        } else {
            vuc_tout_put(o, (const char *)&ch, 1);
        }
    }
    if (shown < n) {
        vuc_tout_printf(o, "… (%zu bytes)", n);
    }
}

void vuc_tout_flags(struct vuc_tout *o, const char *key, const char *label,
                    uint32_t v, const struct vuc_tout_flag *names, size_t n)
{
    char text[256];
    size_t len = 0;
    uint32_t left = v;

    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if ((v & names[i].bit) == 0) {
            continue;
        }
        left &= ~names[i].bit;
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s",
                                len ? "|" : "", names[i].name);
        if (len >= sizeof(text)) {
            len = sizeof(text) - 1;
        }
    }
    if (v == 0) {
        snprintf(text, sizeof(text), "none");
    } else if (left != 0) {
        snprintf(text + len, sizeof(text) - len, "%s%#" PRIx32, len ? "|" : "",
                 left);
    }
    vuc_tout_str(o, key, label, text);
}

void vuc_tout_region_name(uint32_t index, char *buf, size_t cap)
{
    static const char *const names[VFIO_USER_PCI_NUM_REGIONS] = {
        "BAR0", "BAR1", "BAR2", "BAR3", "BAR4", "BAR5", "ROM", "CONFIG", "VGA",
    };
    if (index < VFIO_USER_PCI_NUM_REGIONS) {
        snprintf(buf, cap, "%s", names[index]);
    } else {
        snprintf(buf, cap, "REGION%" PRIu32, index);
    }
}

const char *vuc_tout_irq_name(uint32_t index)
{
    static const char *const names[VFIO_USER_PCI_NUM_IRQS] = {
        "INTX", "MSI", "MSIX", "ERR", "REQ",
    };
    return index < VFIO_USER_PCI_NUM_IRQS ? names[index] : NULL;
}

void vuc_tout_region(struct vuc_tout *o, uint32_t index)
{
    char name[32];

    vuc_tout_region_name(index, name, sizeof(name));
    vuc_tout_str(o, "region", NULL, name);
}

void vuc_tout_irq(struct vuc_tout *o, uint32_t index)
{
    const char *name = vuc_tout_irq_name(index);

    if (name != NULL) {
        vuc_tout_str(o, "irq", NULL, name);
    } else {
        vuc_tout_u64(o, "irq", "irq", index);
    }
}

const char *vuc_tout_mig_state_name(uint32_t state)
{
    static const char *const names[VFIO_USER_DEVICE_NUM_STATES] = {
        "ERROR",    "STOP",        "RUNNING",  "STOP_COPY",
        "RESUMING", "RUNNING_P2P", "PRE_COPY", "PRE_COPY_P2P",
    };
    return state < VFIO_USER_DEVICE_NUM_STATES ? names[state] : "UNKNOWN";
}

void vuc_tout_region_off(struct vuc_tout *o, uint32_t region, uint64_t offset)
{
    char name[32];

    vuc_tout_region_name(region, name, sizeof(name));
    if (o->json) {
        vuc_tout_str(o, "region", NULL, name);
        vuc_tout_u64(o, "offset", NULL, offset);
    } else {
        vuc_tout_printf(o, " %s+%#" PRIx64, name, offset);
    }
}

void vuc_tout_data(struct vuc_tout *o, const char *key, const uint8_t *p,
                   size_t n)
{
    size_t shown = n < TOUT_DATA_SHOWN ? n : TOUT_DATA_SHOWN;

    if (o->json) {
        vuc_tout_printf(o, ",\"%s_len\":%zu,\"%s\":\"", key, n, key);
        for (size_t i = 0; i < shown; i++) {
            vuc_tout_printf(o, "%02x", p[i]);
        }
        vuc_tout_raw(o, "\"");
        return;
    }
    vuc_tout_printf(o, " %zu %s", n, n == 1 ? "byte" : "bytes");
    for (size_t i = 0; i < shown; i++) {
        vuc_tout_printf(o, " %02x", p[i]);
    }
    if (shown < n) {
        vuc_tout_raw(o, " …");
    }
}

const char *vuc_tout_errno_name(uint32_t err)
{
    /* The errnos a vfio-user server plausibly replies with; the rest are
     * shown by number. Linux values: the protocol carries Linux errnos. */
    static const struct {
        int code;
        const char *name;
    } names[] = {
        {EPERM, "EPERM"},
        {ENOENT, "ENOENT"},
        {ESRCH, "ESRCH"},
        {EINTR, "EINTR"},
        {EIO, "EIO"},
        {ENXIO, "ENXIO"},
        {E2BIG, "E2BIG"},
        {EBADF, "EBADF"},
        {EAGAIN, "EAGAIN"},
        {ENOMEM, "ENOMEM"},
        {EACCES, "EACCES"},
        {EFAULT, "EFAULT"},
        {EBUSY, "EBUSY"},
        {EEXIST, "EEXIST"},
        {ENODEV, "ENODEV"},
        {EINVAL, "EINVAL"},
        {ENFILE, "ENFILE"},
        {EMFILE, "EMFILE"},
        {ENOTTY, "ENOTTY"},
        {EFBIG, "EFBIG"},
        {ENOSPC, "ENOSPC"},
        {ESPIPE, "ESPIPE"},
        {EROFS, "EROFS"},
        {EPIPE, "EPIPE"},
        {ERANGE, "ERANGE"},
        {ENOSYS, "ENOSYS"},
        {ENOTSUP, "ENOTSUP"},
        {EPROTO, "EPROTO"},
        {EBADMSG, "EBADMSG"},
        {EOVERFLOW, "EOVERFLOW"},
        {EMSGSIZE, "EMSGSIZE"},
        {ENOBUFS, "ENOBUFS"},
        {ECONNRESET, "ECONNRESET"},
        {ETIMEDOUT, "ETIMEDOUT"},
        {ECANCELED, "ECANCELED"},
        {EALREADY, "EALREADY"},
        {EINPROGRESS, "EINPROGRESS"},
        {ENOTCONN, "ENOTCONN"},
        {EDEADLK, "EDEADLK"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if ((uint32_t)names[i].code == err) {
            return names[i].name;
        }
    }
    return NULL;
}
