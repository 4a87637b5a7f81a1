/* SPDX-License-Identifier: BSD-3-Clause */
/* What the output files share: escaping, JSON building blocks, hex, and
 * the names of libvuc's enums. */
#include "output_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vuc/vuc.h>

#include "output.h"

/* ---- Helpers ------------------------------------------------------------ */

void out_sanitized(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", f);
        else if (*p >= 0x20 && *p < 0x7f)
            fputc(*p, f);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else
            fprintf(f, "\\x%02x", *p);
    }
}

/*
 * jansson integers are signed 64-bit; a larger value (a width-8 peek, or a
 * size a hostile server made up) goes out as a decimal string rather than
 * wrapping to a negative number.
 */
json_t *json_u64(uint64_t v)
{
    char s[24];

    if (v <= INT64_MAX)
        return json_integer((json_int_t)v);
    snprintf(s, sizeof(s), "%" PRIu64, v);
    return json_string(s);
}

/*
 * A JSON string of s. jansson rejects invalid UTF-8, and s may hold bytes a
 * user typed or a server sent; those bytes become '?' rather than costing
 * the whole object.
 */
json_t *json_str(const char *s)
{
    json_t *j = json_string(s);
    char *copy;

    if (j)
        return j;
    copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *p = copy; *p; p++)
        if ((unsigned char)*p >= 0x80)
            *p = '?';
    j = json_string(copy);
    free(copy);
    return j;
}

/* Print obj as one line on stdout and release it. */
void emit(json_t *obj)
{
    if (!obj) {
        fputs("vuctl: out of memory building JSON output\n", stderr);
        return;
    }
    if (json_dumpf(obj, stdout, JSON_COMPACT) == 0)
        fputc('\n', stdout);
    json_decref(obj);
}

static const char hexdigits[] = "0123456789abcdef";

/* The bytes as one hex string (NULL when out of memory). */
char *hex_string(const uint8_t *data, size_t len)
{
    char *hex = malloc(len * 2 + 1);

    if (!hex)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = hexdigits[data[i] >> 4];
        hex[2 * i + 1] = hexdigits[data[i] & 0xf];
    }
    hex[len * 2] = '\0';
    return hex;
}

/* xxd's layout: address, eight groups of two bytes, two blanks, text. */
void xxd(uint64_t addr, const uint8_t *data, size_t len)
{
    for (size_t line = 0; line < len; line += 16) {
        char hexpart[40], text[17];
        size_t n = len - line < 16 ? len - line : 16;
        size_t h = 0;

        for (size_t i = 0; i < 16; i++) {
            if (i < n) {
                uint8_t b = data[line + i];

                hexpart[h++] = hexdigits[b >> 4];
                hexpart[h++] = hexdigits[b & 0xf];
                text[i] = b >= 0x20 && b < 0x7f ? (char)b : '.';
            } else {
                hexpart[h++] = ' ';
                hexpart[h++] = ' ';
            }
            if (i % 2 == 1 && i != 15)
                hexpart[h++] = ' ';
        }
        hexpart[h] = '\0';
        text[n] = '\0';
        printf("%08" PRIx64 ": %s  %s\n", addr + line, hexpart, text);
    }
}

static const char *const posting_names[] = {
    [VUC_POSTING_STRICT] = "strict",
    [VUC_POSTING_FENCED] = "fenced",
    [VUC_POSTING_POSTED] = "posted",
};

const char *vuctl_posting_name(int policy)
{
    if (policy < 0 ||
        (size_t)policy >= sizeof(posting_names) / sizeof(posting_names[0]))
        return "unknown";
    return posting_names[policy];
}

const char *vuctl_dirty_mode_name(int mode)
{
    switch (mode) {
    case VUC_DIRTY_OFF:
        return "off";
    case VUC_DIRTY_LOGGING:
        return "logging";
    case VUC_DIRTY_LEGACY:
        return "legacy";
    default:
        return "unknown";
    }
}
