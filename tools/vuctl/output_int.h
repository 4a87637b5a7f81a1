/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the output files share: JSON building blocks. Private to the
 * output*.c files, which are the only ones that know about jansson.
 */
#ifndef VUCTL_OUTPUT_INT_H
#define VUCTL_OUTPUT_INT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/*
 * A JSON number of v, or a decimal string above 2^63-1, which jansson's
 * signed integers cannot hold.
 */
json_t *json_u64(uint64_t v);

/* A JSON string of s, with bytes that are not UTF-8 as '?'. */
json_t *json_str(const char *s);

/* Print obj as one line on stdout and release it; NULL reports that
 * building it ran out of memory. */
void emit(json_t *obj);

/* The bytes as one hex string (NULL when out of memory; free() it). */
char *hex_string(const uint8_t *data, size_t len);

/* The bytes on stdout in xxd's layout, the first at address addr. */
void xxd(uint64_t addr, const uint8_t *data, size_t len);

#endif /* VUCTL_OUTPUT_INT_H */
