/* SPDX-License-Identifier: BSD-3-Clause */
/* Output of the dma commands. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <vuc/vuc.h>

#include "output.h"
#include "output_int.h"
#include "vuctl.h"

/* ---- DMA ---------------------------------------------------------------- */

/* What vuctl tells about a map: "rw", "r,huge"... and whether the server
 * got an fd. */
static void map_flags(const struct vuc_dma_map *m, char *buf, size_t len)
{
    unsigned f = vuc_dma_map_flags(m);

    snprintf(buf, len, "%s%s%s", f & VUC_DMA_READ ? "r" : "",
             f & VUC_DMA_WRITE ? "w" : "", f & VUC_DMA_HUGETLB ? ",huge" : "");
}

static bool map_shared(const struct vuc_dma_map *m)
{
    return vuc_dma_fd(m) >= 0 && !(vuc_dma_map_flags(m) & VUC_DMA_NOSHARE);
}

static json_t *map_json(struct vuctl *v, const struct vuc_dma_map *m)
{
    const struct vuctl_filemap *f = vuctl_dma_file(v, m);
    unsigned flags = vuc_dma_map_flags(m);
    json_t *o;

    o = json_pack("{s:o,s:o,s:b,s:b,s:b,s:b,s:b}", "iova",
                  json_u64(vuc_dma_iova(m)), "size", json_u64(vuc_dma_size(m)),
                  "read", (flags & VUC_DMA_READ) != 0, "write",
                  (flags & VUC_DMA_WRITE) != 0, "noshare",
                  (flags & VUC_DMA_NOSHARE) != 0, "huge",
                  (flags & VUC_DMA_HUGETLB) != 0, "shared", (int)map_shared(m));
    if (o && f) {
        json_object_set_new(o, "file", json_str(f->path ? f->path : ""));
        json_object_set_new(o, "offset", json_u64(f->offset));
    }
    return o;
}

/* "ring.bin+0x0", or "-" for memory of dma alloc. */
static void map_file(struct vuctl *v, const struct vuc_dma_map *m, char *buf,
                     size_t len)
{
    const struct vuctl_filemap *f = vuctl_dma_file(v, m);

    if (f)
        snprintf(buf, len, "%s+0x%" PRIx64, f->path ? f->path : "?", f->offset);
    else
        snprintf(buf, len, "-");
}

void out_dma_map(struct vuctl *v, const char *cmd, const struct vuc_dma_map *m)
{
    char flags[16], file[4200];
    json_t *o;

    if (v->json) {
        json_t *fields = map_json(v, m);

        /* "cmd" first, as in every other object, then the map's fields. */
        o = json_pack("{s:s}", "cmd", cmd);
        if (!o || !fields || json_object_update(o, fields) < 0) {
            json_decref(o);
            o = NULL;
        }
        json_decref(fields);
        emit(o);
        return;
    }
    map_flags(m, flags, sizeof(flags));
    map_file(v, m, file, sizeof(file));
    printf("iova 0x%" PRIx64 " size 0x%zx %s fd %s", vuc_dma_iova(m),
           vuc_dma_size(m), flags, map_shared(m) ? "shared" : "none");
    if (file[0] != '-') {
        fputs(" file ", stdout);
        out_sanitized(stdout, file);
    }
    fputc('\n', stdout);
}

void out_dma_unmap(struct vuctl *v, uint64_t iova, size_t size)
{
    /* Silent in text mode, like poke: nothing to learn from it. */
    if (v->json)
        emit(json_pack("{s:s,s:o,s:o}", "cmd", "dma unmap", "iova",
                       json_u64(iova), "size", json_u64(size)));
}

void out_dma_list(struct vuctl *v)
{
    unsigned n = vuc_dma_count(v->client);
    json_t *arr = NULL;

    if (v->json)
        arr = json_array();
    else
        printf("%-18s  %12s  %-7s  %-6s  %s\n", "IOVA", "SIZE", "FLAGS", "FD",
               "FILE");
    for (unsigned i = 0; i < n; i++) {
        const struct vuc_dma_map *m = vuc_dma_at(v->client, i);
        char iova[24], size[24], flags[16], file[4200];

        if (!m)
            break;
        if (v->json) {
            if (arr)
                json_array_append_new(arr, map_json(v, m));
            continue;
        }
        snprintf(iova, sizeof(iova), "0x%" PRIx64, vuc_dma_iova(m));
        snprintf(size, sizeof(size), "0x%zx", vuc_dma_size(m));
        map_flags(m, flags, sizeof(flags));
        map_file(v, m, file, sizeof(file));
        printf("%-18s  %12s  %-7s  %-6s  ", iova, size, flags,
               map_shared(m) ? "shared" : "none");
        out_sanitized(stdout, file);
        fputc('\n', stdout);
    }
    if (v->json)
        emit(json_pack("{s:s,s:o*}", "cmd", "dma list", "maps", arr));
}

void out_dma_access(struct vuctl *v, const char *cmd, uint64_t iova,
                    unsigned width, uint64_t value, bool print_text)
{
    if (v->json) {
        emit(json_pack("{s:s,s:o,s:i,s:o}", "cmd", cmd, "iova", json_u64(iova),
                       "width", (int)width, "value", json_u64(value)));
        return;
    }
    if (print_text)
        printf("0x%0*" PRIx64 "\n", (int)width * 2, value);
}

void out_dma_dump(struct vuctl *v, uint64_t iova, const uint8_t *data,
                  size_t len)
{
    char *hex;

    if (!v->json) {
        xxd(iova, data, len);
        return;
    }
    hex = hex_string(data, len);
    if (!hex) {
        fputs("vuctl: dma dump: out of memory\n", stderr);
        return;
    }
    emit(json_pack("{s:s,s:o,s:I,s:s}", "cmd", "dma dump", "iova",
                   json_u64(iova), "length", (json_int_t)len, "data", hex));
    free(hex);
}

void out_dma_fill(struct vuctl *v, uint64_t iova, uint64_t len, uint8_t byte)
{
    if (v->json)
        emit(json_pack("{s:s,s:o,s:o,s:i}", "cmd", "dma fill", "iova",
                       json_u64(iova), "length", json_u64(len), "byte",
                       (int)byte));
}
