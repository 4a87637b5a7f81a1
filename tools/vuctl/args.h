/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The argument helpers every command file shares: numbers, widths,
 * regions, the checks before an access, and little-endian values.
 */
#ifndef VUCTL_ARGS_H
#define VUCTL_ARGS_H

#include <stdbool.h>
#include <stdint.h>

struct vuctl;

/* A number of at most max; a usage failure naming tok otherwise. */
int vuctl_arg_u64(struct vuctl *v, const char *tok, uint64_t max,
                  uint64_t *out);

/* An access width: 1, 2, 4 or 8. */
int vuctl_arg_width(struct vuctl *v, const char *tok, unsigned *width);

/* Fail unless value fits in width bytes (tok is how the user wrote it). */
int vuctl_arg_fits(struct vuctl *v, const char *tok, uint64_t value,
                   unsigned width);

/* Fail unless a client exists; with connected, unless it is connected. */
int vuctl_need_client(struct vuctl *v, bool connected);

struct vuc_region_info;

/* A region index or name (BAR0, CONFIG, ...); a usage failure otherwise.
 * Whether the region exists is vuctl_region_get()'s business. */
int vuctl_arg_region(struct vuctl *v, const char *tok, uint32_t *index);

/* The connected device's region index, after checking that it exists; tok
 * is how the user named it. */
int vuctl_region_get(struct vuctl *v, uint32_t index, const char *tok,
                     const struct vuc_region_info **info);

/* Fail unless len bytes at offset lie inside the region and it has
 * need_flag (VFIO_USER_REGION_INFO_FLAG_READ or _WRITE; 0 for neither). */
int vuctl_region_check(struct vuctl *v, const struct vuc_region_info *info,
                       uint32_t need_flag, uint64_t offset, uint64_t len);

/* Little-endian values of 1, 2, 4 or 8 bytes (PCI and DMA memory are
 * little-endian whatever the host is). */
uint64_t vuctl_le_get(const uint8_t *b, unsigned width);
void vuctl_le_put(uint8_t *b, uint64_t value, unsigned width);

#endif /* VUCTL_ARGS_H */
