/* SPDX-License-Identifier: BSD-3-Clause */
#include "output.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <vuc/vuc.h>

#include "output_int.h"
#include "vuctl.h"

static json_t *cmd_object(const char *name)
{
    return json_pack("{s:o}", "cmd", json_str(name));
}

/* ---- Errors ------------------------------------------------------------- */

/*
 * libvuc names the operation in its messages ("migrate load: not a libvuc
 * migration file"), and vuctl's commands are named alike: say it once.
 */
static const char *without_name(const char *msg, const char *name)
{
    size_t n = name ? strlen(name) : 0;

    if (n && !strncmp(msg, name, n) && msg[n] == ':' && msg[n + 1] == ' ')
        return msg + n + 2;
    return msg;
}

void out_error(struct vuctl *v, const char *name, const char *where)
{
    const char *msg = without_name(v->err.msg, name);

    fputs("vuctl: ", stderr);
    if (where)
        fprintf(stderr, "%s: ", where);
    if (name) {
        out_sanitized(stderr, name);
        fputs(": ", stderr);
    }
    out_sanitized(stderr, msg);
    fputc('\n', stderr);

    if (v->json) {
        json_t *o = json_object();

        if (o && name)
            json_object_set_new(o, "cmd", json_str(name));
        if (o && where)
            json_object_set_new(o, "where", json_str(where));
        if (o) {
            json_object_set_new(o, "error", json_str(msg));
            json_object_set_new(o, "errno", json_integer(v->err.err));
        }
        emit(o);
    }
    fflush(stdout);
}

/* ---- Device information ------------------------------------------------- */

/* "0x3 (reset, pci)": known bits by name, the rest in hex. */
static void flag_words(char *buf, size_t len, uint32_t flags,
                       const char *const *names, unsigned nnames)
{
    size_t n = 0;
    uint32_t rest = flags;

    buf[0] = '\0';
    for (unsigned i = 0; i < nnames && n < len; i++) {
        if (!(flags & (1u << i)))
            continue;
        rest &= ~(1u << i);
        n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", names[i]);
    }
    if (rest && n < len)
        n += (size_t)snprintf(buf + n, len - n, "%s0x%" PRIx32, n ? "," : "",
                              rest);
    if (n == 0)
        snprintf(buf, len, "-");
}

static const char *const device_flag_names[] = {"reset", "pci"};
static const char *const irq_flag_names[] = {"eventfd", "maskable",
                                             "automasked", "noresize"};

static json_t *caps_json(const struct vuc_caps *c)
{
    return json_pack(
        "{s:I,s:I,s:I,s:o,s:o,s:b,s:b}", "max_msg_fds",
        (json_int_t)c->server_max_msg_fds, "max_data_xfer_size",
        (json_int_t)c->server_max_data_xfer_size, "max_dma_maps",
        (json_int_t)c->max_dma_maps, "pgsizes", json_u64(c->pgsizes),
        "migration_pgsize", json_u64(c->migration_pgsize), "write_multiple",
        (int)c->write_multiple, "twin_socket", (int)c->twin_socket);
}

static json_t *device_json(const struct vuc_device_info *d)
{
    return json_pack("{s:I,s:b,s:b,s:I,s:I}", "flags", (json_int_t)d->flags,
                     "reset", (d->flags & VFIO_USER_DEVICE_FLAGS_RESET) != 0,
                     "pci", (d->flags & VFIO_USER_DEVICE_FLAGS_PCI) != 0,
                     "num_regions", (json_int_t)d->num_regions, "num_irqs",
                     (json_int_t)d->num_irqs);
}

static void caps_text(const struct vuc_caps *c)
{
    printf("max_msg_fds %" PRIu32 ", max_data_xfer_size %" PRIu32
           ", max_dma_maps %" PRIu32 ", pgsizes 0x%" PRIx64,
           c->server_max_msg_fds, c->server_max_data_xfer_size, c->max_dma_maps,
           c->pgsizes);
    if (c->migration_pgsize)
        printf(", migration_pgsize 0x%" PRIx64, c->migration_pgsize);
    printf(", write_multiple %s, twin_socket %s",
           c->write_multiple ? "yes" : "no", c->twin_socket ? "yes" : "no");
}

void out_connect(struct vuctl *v)
{
    const struct vuc_caps *c = vuc_get_caps(v->client);
    const struct vuc_device_info *d = vuc_get_device_info(v->client);
    char flags[128];

    /* A connected client has both; anything else is a libvuc bug that
     * should not become a crash here. */
    if (!c || !d) {
        fputs("vuctl: connect: libvuc reports no capabilities or device "
              "info for a connected client\n",
              stderr);
        return;
    }
    if (v->json) {
        emit(json_pack("{s:s,s:o,s:{s:i,s:i},s:o,s:o}", "cmd", "connect",
                       "path", json_str(v->path), "version", "major",
                       (int)c->major, "minor", (int)c->minor, "caps",
                       caps_json(c), "device", device_json(d)));
        return;
    }
    flag_words(flags, sizeof(flags), d->flags, device_flag_names, 2);
    printf("connected to ");
    out_sanitized(stdout, v->path);
    printf("\nprotocol %u.%u; ", c->major, c->minor);
    caps_text(c);
    printf("\ndevice flags 0x%" PRIx32 " (%s), %" PRIu32 " regions, %" PRIu32
           " irqs\n",
           d->flags, flags, d->num_regions, d->num_irqs);
}

void out_reconnect(struct vuctl *v, unsigned dma_maps, unsigned vectors)
{
    if (v->json) {
        emit(json_pack("{s:s,s:o,s:i,s:i}", "cmd", "reconnect", "path",
                       json_str(v->path), "dma_maps", (int)dma_maps, "vectors",
                       (int)vectors));
        return;
    }
    printf("reconnected to ");
    out_sanitized(stdout, v->path);
    printf(": %u DMA map%s and %u vector%s set up again\n", dma_maps,
           dma_maps == 1 ? "" : "s", vectors, vectors == 1 ? "" : "s");
}

static json_t *posting_json(struct vuctl *v)
{
    struct vuc_posting_stats st;

    vuc_get_posting_stats(v->client, &st);
    return json_pack("{s:s,s:o,s:o,s:o,s:o,s:o}", "policy",
                     vuctl_posting_name(vuc_get_posting(v->client)), "posted",
                     json_u64(st.posted), "multi_msgs", json_u64(st.multi_msgs),
                     "multi_writes", json_u64(st.multi_writes), "doorbells",
                     json_u64(st.doorbells), "fences", json_u64(st.fences));
}

static void posting_text(struct vuctl *v)
{
    struct vuc_posting_stats st;

    vuc_get_posting_stats(v->client, &st);
    printf("posting             %s\n",
           vuctl_posting_name(vuc_get_posting(v->client)));
    printf("posted writes       %" PRIu64 " (%" PRIu64 " in %" PRIu64
           " WRITE_MULTI, %" PRIu64 " by doorbell), %" PRIu64 " fences\n",
           st.posted, st.multi_writes, st.multi_msgs, st.doorbells, st.fences);
}

void out_info(struct vuctl *v)
{
    const struct vuc_caps *c = vuc_get_caps(v->client);
    const struct vuc_device_info *d = vuc_get_device_info(v->client);
    const char *text = vuc_server_json(v->client);
    json_t *server = NULL;
    char flags[128];

    if (!c || !d) {
        fputs("vuctl: info: libvuc reports no capabilities or device info "
              "for a connected client\n",
              stderr);
        return;
    }
    if (text && text[0])
        server = json_loads(text, JSON_DECODE_ANY, NULL);

    if (v->json) {
        json_t *o = json_pack("{s:s,s:o,s:{s:i,s:i},s:o,s:o}", "cmd", "info",
                              "path", json_str(v->path), "version", "major",
                              (int)c->major, "minor", (int)c->minor, "caps",
                              caps_json(c), "device", device_json(d));

        if (o)
            json_object_set_new(o, "client",
                                json_pack("{s:b,s:b}", "twin_socket",
                                          (int)v->twin, "dma_noshare",
                                          (int)v->noshare));
        if (o)
            json_object_set_new(o, "posting", posting_json(v));
        if (o)
            json_object_set_new(
                o, "dirty",
                json_pack("{s:s,s:o}", "mode",
                          vuctl_dirty_mode_name(vuc_dirty_get_mode(v->client)),
                          "page_size",
                          json_u64(vuc_dirty_page_size(v->client))));
        /* What the server sent, as JSON when it is JSON, else verbatim. */
        if (o && server)
            json_object_set(o, "server", server);
        else if (o && text && text[0])
            json_object_set_new(o, "server_text", json_str(text));
        else if (o)
            json_object_set_new(o, "server", json_null());
        emit(o);
        json_decref(server);
        return;
    }

    flag_words(flags, sizeof(flags), d->flags, device_flag_names, 2);
    printf("path                ");
    out_sanitized(stdout, v->path);
    printf("\nprotocol            %u.%u\n", c->major, c->minor);
    printf("device flags        0x%" PRIx32 " (%s)\n", d->flags, flags);
    printf("regions             %" PRIu32 "\n", d->num_regions);
    printf("irqs                %" PRIu32 "\n", d->num_irqs);
    printf("max_msg_fds         %" PRIu32 "\n", c->server_max_msg_fds);
    printf("max_data_xfer_size  %" PRIu32 "\n", c->server_max_data_xfer_size);
    printf("max_dma_maps        %" PRIu32 "\n", c->max_dma_maps);
    printf("pgsizes             0x%" PRIx64 "\n", c->pgsizes);
    if (c->migration_pgsize)
        printf("migration_pgsize    0x%" PRIx64 "\n", c->migration_pgsize);
    else
        printf("migration_pgsize    -\n");
    printf("write_multiple      %s\n", c->write_multiple ? "yes" : "no");
    printf("twin_socket         %s\n",
           c->twin_socket ? "yes"
           : v->twin      ? "no (asked for; the server did not grant it)"
                          : "no (not asked for)");
    printf("dma_noshare         %s\n", v->noshare ? "yes" : "no");
    posting_text(v);
    if (vuc_dirty_get_mode(v->client) == VUC_DIRTY_OFF)
        printf("dirty logging       off\n");
    else
        printf("dirty logging       %s, page size 0x%" PRIx64 "\n",
               vuctl_dirty_mode_name(vuc_dirty_get_mode(v->client)),
               vuc_dirty_page_size(v->client));
    printf("server json         ");
    if (server) {
        /* Re-encoded so that nothing the server sent reaches the terminal
         * unescaped. */
        char *s = json_dumps(server, JSON_COMPACT | JSON_ENSURE_ASCII |
                                         JSON_ENCODE_ANY);

        if (s)
            fputs(s, stdout);
        free(s);
    } else if (text && text[0]) {
        out_sanitized(stdout, text);
        fputs(" (not valid JSON)", stdout);
    } else {
        fputs("-", stdout);
    }
    fputc('\n', stdout);
    json_decref(server);
}

/* ---- Regions ------------------------------------------------------------ */

/* How many areas vuc_region_mmap() would map: the sparse ones, or one. */
static unsigned mappable_areas(const struct vuc_region_info *r)
{
    if (!(r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP))
        return 0;
    return r->sparse_cap ? r->nr_sparse : 1;
}

static json_t *region_json(struct vuctl *v, const struct vuc_region_info *r)
{
    unsigned nio;
    const struct vuc_ioeventfd *io =
        vuc_region_ioeventfds(v->client, r->index, &nio);
    json_t *o, *sparse, *ioev;
    unsigned nr = r->nr_sparse < VUC_MAX_SPARSE_AREAS ? r->nr_sparse
                                                      : VUC_MAX_SPARSE_AREAS;

    o = json_pack("{s:I,s:s,s:o,s:I,s:b,s:b,s:b,s:b,s:I,s:I}", "index",
                  (json_int_t)r->index, "name", vuc_region_name(r->index),
                  "size", json_u64(r->size), "flags", (json_int_t)r->flags,
                  "read", (r->flags & VFIO_USER_REGION_INFO_FLAG_READ) != 0,
                  "write", (r->flags & VFIO_USER_REGION_INFO_FLAG_WRITE) != 0,
                  "mmap", (r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP) != 0,
                  "caps", (r->flags & VFIO_USER_REGION_INFO_FLAG_CAPS) != 0,
                  "mappable_areas", (json_int_t)mappable_areas(r),
                  "mapped_areas", (json_int_t)r->nr_mapped);
    if (!o)
        return NULL;
    if (r->has_type)
        json_object_set_new(o, "type",
                            json_pack("{s:I,s:I}", "type", (json_int_t)r->type,
                                      "subtype", (json_int_t)r->subtype));
    json_object_set_new(o, "msix_mappable", json_boolean(r->msix_mappable));
    if (r->sparse_cap) {
        sparse = json_array();
        for (unsigned i = 0; sparse && i < nr; i++)
            json_array_append_new(
                sparse,
                json_pack("{s:o,s:o}", "offset", json_u64(r->sparse[i].offset),
                          "size", json_u64(r->sparse[i].size)));
        json_object_set_new(o, "sparse", sparse);
    }
    ioev = json_array();
    for (unsigned i = 0; ioev && io && i < nio; i++) {
        json_t *e =
            json_pack("{s:o,s:o,s:b}", "offset", json_u64(io[i].offset), "size",
                      json_u64(io[i].size), "datamatch", (int)io[i].datamatch);

        if (e && io[i].datamatch)
            json_object_set_new(e, "data", json_u64(io[i].data));
        json_array_append_new(ioev, e);
    }
    json_object_set_new(o, "ioeventfds", ioev);
    return o;
}

static void region_text(struct vuctl *v, const struct vuc_region_info *r)
{
    unsigned nio;
    const struct vuc_ioeventfd *io =
        vuc_region_ioeventfds(v->client, r->index, &nio);
    unsigned nr = r->nr_sparse < VUC_MAX_SPARSE_AREAS ? r->nr_sparse
                                                      : VUC_MAX_SPARSE_AREAS;
    unsigned areas = mappable_areas(r);
    char size[24], flags[5], mmap[24];

    snprintf(size, sizeof(size), "0x%" PRIx64, r->size);
    flags[0] = r->flags & VFIO_USER_REGION_INFO_FLAG_READ ? 'r' : '-';
    flags[1] = r->flags & VFIO_USER_REGION_INFO_FLAG_WRITE ? 'w' : '-';
    flags[2] = r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP ? 'm' : '-';
    flags[3] = r->flags & VFIO_USER_REGION_INFO_FLAG_CAPS ? 'c' : '-';
    flags[4] = '\0';
    if (r->flags & VFIO_USER_REGION_INFO_FLAG_MMAP)
        snprintf(mmap, sizeof(mmap), "%u/%u", r->nr_mapped, areas);
    else
        snprintf(mmap, sizeof(mmap), "-");

    printf("%3" PRIu32 "  %-7s %12s  %-5s  %s", r->index,
           vuc_region_name(r->index), size, flags, mmap);
    /* The CAPS column, padded to only when there is something in it. */
    if (r->sparse_cap || r->has_type || r->msix_mappable || nio)
        printf("%*s", 6 - (int)strlen(mmap), "");
    if (r->sparse_cap) {
        printf(" sparse");
        for (unsigned i = 0; i < nr; i++)
            printf("%s0x%" PRIx64 "+0x%" PRIx64, i ? "," : " ",
                   r->sparse[i].offset, r->sparse[i].size);
        if (nr == 0)
            printf(" (none)");
    }
    if (r->has_type)
        printf(" type %" PRIu32 "/%" PRIu32, r->type, r->subtype);
    if (r->msix_mappable)
        printf(" msix-mappable");
    /* ioeventfds: offset/width (any: every width), =data with datamatch. */
    for (unsigned i = 0; io && i < nio; i++) {
        printf("%s0x%" PRIx64, i ? "," : " ioeventfd ", io[i].offset);
        if (io[i].size)
            printf("/%" PRIu64, io[i].size);
        else
            printf("/any");
        if (io[i].datamatch)
            printf("=0x%" PRIx64, io[i].data);
    }
    fputc('\n', stdout);
}

void out_regions(struct vuctl *v)
{
    const struct vuc_device_info *d = vuc_get_device_info(v->client);
    uint32_t n = d ? d->num_regions : 0;
    json_t *arr = NULL;

    if (v->json)
        arr = json_array();
    else
        printf("IDX  NAME            SIZE  FLAGS  MMAP   CAPS\n");
    for (uint32_t i = 0; i < n; i++) {
        const struct vuc_region_info *r = vuc_get_region_info(v->client, i);

        if (!r)
            continue;
        if (arr)
            json_array_append_new(arr, region_json(v, r));
        else if (!v->json)
            region_text(v, r);
    }
    if (v->json)
        emit(json_pack("{s:s,s:o*}", "cmd", "regions", "regions", arr));
}

/* ---- Irqs --------------------------------------------------------------- */

void out_irqs(struct vuctl *v, const char *name)
{
    const struct vuc_device_info *d = vuc_get_device_info(v->client);
    uint32_t n = d ? d->num_irqs : 0;
    json_t *arr = NULL;
    char flags[96];

    if (v->json)
        arr = json_array();
    else
        printf("IDX  NAME   COUNT  FLAGS\n");
    for (uint32_t i = 0; i < n; i++) {
        const struct vuc_irq_info *q = vuc_get_irq_info(v->client, i);

        if (!q)
            continue;
        if (v->json) {
            json_array_append_new(
                arr,
                json_pack(
                    "{s:I,s:s,s:I,s:I,s:b,s:b,s:b,s:b}", "index",
                    (json_int_t)q->index, "name", vuc_irq_name(q->index),
                    "count", (json_int_t)q->count, "flags",
                    (json_int_t)q->flags, "eventfd",
                    (q->flags & VFIO_USER_IRQ_INFO_EVENTFD) != 0, "maskable",
                    (q->flags & VFIO_USER_IRQ_INFO_MASKABLE) != 0, "automasked",
                    (q->flags & VFIO_USER_IRQ_INFO_AUTOMASKED) != 0, "noresize",
                    (q->flags & VFIO_USER_IRQ_INFO_NORESIZE) != 0));
            continue;
        }
        flag_words(flags, sizeof(flags), q->flags, irq_flag_names, 4);
        printf("%3" PRIu32 "  %-5s %6" PRIu32 "  %s\n", q->index,
               vuc_irq_name(q->index), q->count, flags);
    }
    if (v->json)
        emit(json_pack("{s:s,s:o*}", "cmd", name, "irqs", arr));
}

/* ---- Region I/O --------------------------------------------------------- */

static void out_access(struct vuctl *v, const char *cmd, uint32_t region,
                       uint64_t offset, unsigned width, uint64_t value,
                       bool print_text)
{
    if (v->json) {
        emit(json_pack("{s:s,s:I,s:o,s:i,s:o}", "cmd", cmd, "region",
                       (json_int_t)region, "offset", json_u64(offset), "width",
                       (int)width, "value", json_u64(value)));
        return;
    }
    if (print_text)
        printf("0x%0*" PRIx64 "\n", (int)width * 2, value);
}

void out_peek(struct vuctl *v, uint32_t region, uint64_t offset, unsigned width,
              uint64_t value)
{
    out_access(v, "peek", region, offset, width, value, true);
}

void out_poke(struct vuctl *v, uint32_t region, uint64_t offset, unsigned width,
              uint64_t value)
{
    /* Silent in text mode: the value is the one the user just typed. */
    out_access(v, "poke", region, offset, width, value, false);
}
void out_dump(struct vuctl *v, uint32_t region, uint64_t offset,
              const uint8_t *data, size_t len)
{
    char *hex;

    if (!v->json) {
        xxd(offset, data, len);
        return;
    }
    hex = hex_string(data, len);
    if (!hex) {
        fputs("vuctl: dump: out of memory\n", stderr);
        return;
    }
    emit(json_pack("{s:s,s:I,s:o,s:I,s:s}", "cmd", "dump", "region",
                   (json_int_t)region, "offset", json_u64(offset), "length",
                   (json_int_t)len, "data", hex));
    free(hex);
}

/* ---- Scripts ------------------------------------------------------------ */

void out_set(struct vuctl *v, const char *name, uint64_t value)
{
    if (v->json)
        emit(json_pack("{s:s,s:s,s:o}", "cmd", "set", "name", name, "value",
                       json_u64(value)));
}

void out_vars(struct vuctl *v)
{
    json_t *vars = NULL;

    if (v->json)
        vars = json_object();
    for (size_t i = 0; i < v->nvars; i++) {
        if (!v->json)
            printf("%s = 0x%" PRIx64 "\n", v->vars[i].name, v->vars[i].value);
        else if (vars)
            json_object_set_new(vars, v->vars[i].name,
                                json_u64(v->vars[i].value));
    }
    if (v->json)
        emit(json_pack("{s:s,s:o*}", "cmd", "vars", "vars", vars));
}

void out_expect(struct vuctl *v, const struct vuctl_expect *e)
{
    json_t *o;

    if (!e->ok) {
        fputs("vuctl: ", stderr);
        if (v->where)
            fprintf(stderr, "%s: ", v->where);
        out_sanitized(stderr, v->err.msg);
        fputc('\n', stderr);
    }
    if (!v->json)
        return;
    o = json_pack("{s:s,s:b,s:o,s:o}", "cmd", "expect", "ok", (int)e->ok,
                  "command", json_str(e->command), "value", json_u64(e->value));
    if (!o) {
        emit(NULL);
        return;
    }
    if (e->has_mask)
        json_object_set_new(o, "mask", json_u64(e->mask));
    json_object_set_new(o, "op", json_string(e->op));
    if (!strcmp(e->op, "in")) {
        json_object_set_new(o, "low", json_u64(e->low));
        json_object_set_new(o, "high", json_u64(e->high));
    } else {
        json_object_set_new(o, "expected", json_u64(e->expected));
    }
    if (!e->ok) {
        if (v->where)
            json_object_set_new(o, "where", json_str(v->where));
        json_object_set_new(o, "error", json_str(v->err.msg));
    }
    emit(o);
}

void out_echo(struct vuctl *v, const char *text)
{
    if (v->json) {
        emit(json_pack("{s:s,s:o}", "cmd", "echo", "text", json_str(text)));
        return;
    }
    puts(text);
}

void out_sleep(struct vuctl *v, uint64_t ms)
{
    if (v->json)
        emit(json_pack("{s:s,s:o}", "cmd", "sleep", "ms", json_u64(ms)));
}

void out_quit(struct vuctl *v, const char *name)
{
    if (v->json)
        emit(cmd_object(name));
}
