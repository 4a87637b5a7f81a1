/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The trace formatter's output: one line built field by field, either as
 * text ("BAR0+0x10 count 4") or as a JSON object ("region":"BAR0",...), so
 * that the decoding of each message is written once and the two forms cannot
 * tell different stories. Writes into a caller's buffer, cutting at its end
 * but counting the whole length, like snprintf.
 */
#ifndef VUC_TRACE_OUT_H
#define VUC_TRACE_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vuc_tout {
    char *buf;
    size_t cap;
    size_t len; /* the whole line's length, even past cap */
    bool json;
};

/* Text data shown in full up to this many bytes, then summarised. */
#define TOUT_DATA_SHOWN 16u

void vuc_tout_init(struct vuc_tout *o, char *buf, size_t cap, bool json);

/* Append literally, in both forms. */
void vuc_tout_raw(struct vuc_tout *o, const char *s);
void vuc_tout_printf(struct vuc_tout *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Append s[0, n) as a quoted, escaped JSON string (bytes that are not
 * printable ASCII become \u00XX, so any input gives valid JSON). */
void vuc_tout_json_string(struct vuc_tout *o, const char *s, size_t n);

/*
 * Fields. In text each is " label value" (" value" when label is NULL); in
 * JSON ,"key":value. Numbers are decimal in JSON whatever their text form.
 */
void vuc_tout_u64(struct vuc_tout *o, const char *key, const char *label,
                  uint64_t v);
void vuc_tout_hex(struct vuc_tout *o, const char *key, const char *label,
                  uint64_t v);
void vuc_tout_str(struct vuc_tout *o, const char *key, const char *label,
                  const char *s);
/* A bounded string from the peer (JSON capabilities): at most max bytes of
 * s[0, n), printable in text, escaped in JSON; "…" marks a cut. */
void vuc_tout_quoted(struct vuc_tout *o, const char *key, const char *label,
                     const char *s, size_t n, size_t max);
/* Flag bits by name ("READ|WRITE|0x40" for unknown bits, "0" for none). */
struct vuc_tout_flag {
    uint32_t bit;
    const char *name;
};
#define VUC_TOUT_NFLAGS(a) (sizeof(a) / sizeof((a)[0]))
void vuc_tout_flags(struct vuc_tout *o, const char *key, const char *label,
                    uint32_t v, const struct vuc_tout_flag *names, size_t n);
/* "BAR0+0x10" in text; "region":"BAR0","offset":16 in JSON. */
void vuc_tout_region_off(struct vuc_tout *o, uint32_t region, uint64_t offset);
/* Data: text " 4 bytes 44 43 55 56", summarised past TOUT_DATA_SHOWN bytes
 * as the first ones, "…" and the length; JSON "key_len":4,"key":"44435556"
 * with the same cut. */
void vuc_tout_data(struct vuc_tout *o, const char *key, const uint8_t *p,
                   size_t n);

/* Region and irq index names ("BAR0", "CONFIG", "REGION12"; "MSIX"). */
void vuc_tout_region_name(uint32_t index, char *buf, size_t cap);
const char *vuc_tout_irq_name(uint32_t index);
/* The fields "region" and "irq": by name, or "irq 7" when it has none. */
void vuc_tout_region(struct vuc_tout *o, uint32_t index);
void vuc_tout_irq(struct vuc_tout *o, uint32_t index);
/* "RUNNING": a vfio_user_device_mig_state, "UNKNOWN" beyond them. */
const char *vuc_tout_mig_state_name(uint32_t state);

/* "EINVAL", or NULL for an errno without a name here. */
const char *vuc_tout_errno_name(uint32_t err);

#endif /* VUC_TRACE_OUT_H */
