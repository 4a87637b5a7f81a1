/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the codec's files share and nobody else needs: the failure that
 * reports an errno other than -EPROTO, and the small checks every message
 * family makes (inline, so that the hot encoders stay free of calls).
 */
#ifndef VUC_WIRE_INTERNAL_H
#define VUC_WIRE_INTERNAL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "wire.h"

/* Largest payload whose message still fits the header's 32-bit msg_size. */
#define WIRE_MAX_PAYLOAD ((uint64_t)UINT32_MAX - VFIO_USER_HDR_SIZE)

/* As vuc_wire_fail() for the few checks that report another errno. */
int vuc_wire_fail_code(struct vuc_wire_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline const char *wire_fd_word(unsigned n)
{
    return n == 1 ? "fd" : "fds";
}

/* Shared by every message that may not carry fds. `what` is "reply" or
 * "request". */
static inline int wire_no_fds(uint16_t cmd, const char *what, unsigned nfds,
                              struct vuc_wire_err *err)
{
    if (nfds == 0)
        return 0;
    return vuc_wire_fail(err, "%s %s carried %u %s, none belong",
                         vuc_wire_cmd_name(cmd), what, nfds,
                         wire_fd_word(nfds));
}

/* ---- Encoding helpers ---------------------------------------------------- */

/*
 * Check that an encoder may write `need` bytes: the whole message must be
 * describable by the 32-bit msg_size, and the caller's buffer must hold it.
 */
static inline ssize_t wire_room(size_t cap, uint64_t need)
{
    if (need > WIRE_MAX_PAYLOAD)
        return -EMSGSIZE;
    if (need > cap)
        return -ENOSPC;
    return (ssize_t)need;
}

/* Fits argsz, a u32 that covers a reply payload. */
static inline bool wire_u32_sum(uint64_t a, uint64_t b, uint32_t *out)
{
    uint64_t sum;

    if (__builtin_add_overflow(a, b, &sum) || sum > UINT32_MAX)
        return false;
    *out = (uint32_t)sum;
    return true;
}

static inline bool wire_is_pow2(uint64_t v)
{
    return v != 0 && (v & (v - 1)) == 0;
}

#endif /* VUC_WIRE_INTERNAL_H */
