/* SPDX-License-Identifier: BSD-3-Clause */
/* Output of the interrupt, reset, ordering, dirty-page and migration
 * commands. */
#include <inttypes.h>
#include <stdio.h>

#include <vuc/vuc.h>

#include "output.h"
#include "output_int.h"
#include "vuctl.h"

/* ---- Interrupts ---------------------------------------------------------- */

void out_irq_set(struct vuctl *v, const char *cmd, uint32_t index,
                 uint32_t start, uint32_t count)
{
    /* Silent in text mode, like poke: success says it all. */
    if (v->json)
        emit(json_pack("{s:s,s:I,s:s,s:I,s:I}", "cmd", cmd, "index",
                       (json_int_t)index, "name", vuc_irq_name(index), "start",
                       (json_int_t)start, "count", (json_int_t)count));
}

void out_irq_event(struct vuctl *v, const struct vuc_irq_event *ev)
{
    if (v->json) {
        emit(json_pack("{s:s,s:I,s:s,s:I,s:o}", "cmd", "irq wait", "index",
                       (json_int_t)ev->index, "name", vuc_irq_name(ev->index),
                       "vector", (json_int_t)ev->vector, "count",
                       json_u64(ev->count)));
        return;
    }
    printf("%s vector %" PRIu32 ": %" PRIu64 " event%s\n",
           vuc_irq_name(ev->index), ev->vector, ev->count,
           ev->count == 1 ? "" : "s");
}

void out_irq_count(struct vuctl *v, uint32_t index, uint32_t vector,
                   uint64_t total)
{
    if (v->json) {
        emit(json_pack("{s:s,s:I,s:s,s:I,s:o}", "cmd", "irq count", "index",
                       (json_int_t)index, "name", vuc_irq_name(index), "vector",
                       (json_int_t)vector, "count", json_u64(total)));
        return;
    }
    printf("%" PRIu64 "\n", total);
}

/* ---- Reset and ordering ---------------------------------------------------
 */

void out_done(struct vuctl *v, const char *cmd)
{
    if (v->json)
        emit(json_pack("{s:s}", "cmd", cmd));
}

void out_posting(struct vuctl *v, int policy)
{
    if (v->json)
        emit(json_pack("{s:s,s:s}", "cmd", "set", "posting",
                       vuctl_posting_name(policy)));
}

void out_posted_safe(struct vuctl *v, uint32_t region, uint64_t offset,
                     uint64_t len)
{
    if (v->json)
        emit(json_pack("{s:s,s:I,s:o,s:o}", "cmd", "posted-safe", "region",
                       (json_int_t)region, "offset", json_u64(offset), "length",
                       json_u64(len)));
}

/* ---- Dirty pages ----------------------------------------------------------
 */

void out_dirty_start(struct vuctl *v)
{
    const char *mode = vuctl_dirty_mode_name(vuc_dirty_get_mode(v->client));
    uint64_t pg = vuc_dirty_page_size(v->client);

    if (v->json) {
        emit(json_pack("{s:s,s:s,s:o}", "cmd", "dirty start", "mode", mode,
                       "page_size", json_u64(pg)));
        return;
    }
    printf("dirty page logging on: %s, page size 0x%" PRIx64 "\n", mode, pg);
}

static bool bit(const uint64_t *bitmap, uint64_t i)
{
    return bitmap[i / 64] >> (i % 64) & 1;
}

void out_dirty_report(struct vuctl *v, uint64_t iova, uint64_t page_size,
                      const uint64_t *bitmap, uint64_t pages, uint64_t dirty)
{
    const char *mode = vuctl_dirty_mode_name(vuc_dirty_get_mode(v->client));
    json_t *ranges = NULL;

    if (v->json)
        ranges = json_array();
    else
        printf("%s, page size 0x%" PRIx64 ": %" PRIu64 " of %" PRIu64
               " page%s dirty\n",
               mode, page_size, dirty, pages, pages == 1 ? "" : "s");
    /* Runs of dirty pages, one range each. */
    for (uint64_t i = 0; i < pages;) {
        uint64_t j;

        if (!bit(bitmap, i)) {
            i++;
            continue;
        }
        for (j = i + 1; j < pages && bit(bitmap, j); j++)
            ;
        if (ranges)
            json_array_append_new(
                ranges, json_pack("{s:o,s:o,s:o}", "iova",
                                  json_u64(iova + i * page_size), "length",
                                  json_u64((j - i) * page_size), "pages",
                                  json_u64(j - i)));
        else if (!v->json)
            printf("0x%" PRIx64 "-0x%" PRIx64 "\n", iova + i * page_size,
                   iova + j * page_size - 1);
        i = j;
    }
    if (v->json)
        emit(json_pack("{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o*}", "cmd",
                       "dirty report", "mode", mode, "iova", json_u64(iova),
                       "length", json_u64(pages * page_size), "page_size",
                       json_u64(page_size), "pages", json_u64(pages), "dirty",
                       json_u64(dirty), "ranges", ranges));
}

/* ---- Migration ------------------------------------------------------------
 */

void out_mig_state(struct vuctl *v, uint32_t state, bool print_text)
{
    if (v->json) {
        emit(json_pack("{s:s,s:s,s:I}", "cmd", "migrate state", "state",
                       vuc_mig_state_name(state), "value", (json_int_t)state));
        return;
    }
    if (print_text)
        printf("%s\n", vuc_mig_state_name(state));
}

void out_mig_file(struct vuctl *v, bool save, const char *path, uint64_t size)
{
    if (v->json) {
        emit(json_pack("{s:s,s:o,s:o}", "cmd",
                       save ? "migrate save" : "migrate load", "file",
                       json_str(path), "size", json_u64(size)));
        return;
    }
    printf("%s ", save ? "saved" : "loaded");
    out_sanitized(stdout, path);
    printf(": %" PRIu64 " bytes\n", size);
}
