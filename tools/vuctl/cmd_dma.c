/* SPDX-License-Identifier: BSD-3-Clause */
/* The dma commands: DMA memory the device may use, and vuctl's view of it. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vuc/vuc.h>

#include "args.h"
#include "cmds.h"
#include "output.h"
#include "vuctl.h"

/* dma fill writes through a buffer of this size, whatever the length. */
#define FILL_CHUNK (64u * 1024)

/* ---- Arguments ---------------------------------------------------------- */

/* The IOVA of a map: any number but VUC_IOVA_ANY, which means "pick one". */
static int arg_iova(struct vuctl *v, const char *tok, uint64_t *iova)
{
    return vuctl_arg_u64(v, tok, VUC_IOVA_ANY - 1, iova);
}

/* r, w or rw: what the device may do. Returns false for other words. */
static bool access_word(const char *w, unsigned *access)
{
    if (!strcmp(w, "r"))
        *access = VUC_DMA_READ;
    else if (!strcmp(w, "w"))
        *access = VUC_DMA_WRITE;
    else if (!strcmp(w, "rw") || !strcmp(w, "wr"))
        *access = VUC_DMA_READ | VUC_DMA_WRITE;
    else
        return false;
    return true;
}

/*
 * The optional words of dma alloc and dma map, in any order: an access
 * word, noshare, huge (when allowed), and up to one number (the IOVA of
 * dma alloc, the offset of dma map), which goes to *num.
 */
static int map_options(struct vuctl *v, int argc, char **argv, int first,
                       bool allow_huge, const char *num_name, uint64_t num_max,
                       uint64_t *num, bool *have_num, unsigned *flags)
{
    unsigned access = 0;

    *flags = 0;
    *have_num = false;
    for (int i = first; i < argc; i++) {
        const char *w = argv[i];
        unsigned a;
        int rc;

        if (access_word(w, &a)) {
            if (access)
                return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                                  "access given twice ('%s')", w);
            access = a;
        } else if (!strcmp(w, "noshare")) {
            *flags |= VUC_DMA_NOSHARE;
        } else if (allow_huge && !strcmp(w, "huge")) {
            *flags |= VUC_DMA_HUGETLB;
        } else if (isdigit((unsigned char)w[0]) && !*have_num) {
            rc = vuctl_arg_u64(v, w, num_max, num);
            if (rc)
                return rc;
            *have_num = true;
        } else {
            return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                              "unexpected '%s' (expected %s, r, w, rw, "
                              "noshare%s)",
                              w, num_name, allow_huge ? ", huge" : "");
        }
    }
    *flags |= access ? access : VUC_DMA_READ | VUC_DMA_WRITE;
    return 0;
}

/*
 * The map that holds len bytes at iova; a failure that says so otherwise.
 * With write, also refuse a file that dma map opened read-only: its memory
 * is mapped without PROT_WRITE and a write would crash vuctl.
 */
static int dma_range(struct vuctl *v, uint64_t iova, uint64_t len, bool write,
                     struct vuc_dma_map **out)
{
    const struct vuctl_filemap *f;
    struct vuc_dma_map *m;
    int rc = vuctl_need_client(v, false);

    if (rc)
        return rc;
    m = len <= SIZE_MAX ? vuc_dma_find(v->client, iova, (size_t)len) : NULL;
    if (!m)
        return vuctl_fail(v, VUCTL_FAIL, EFAULT,
                          "0x%" PRIx64 " bytes at IOVA 0x%" PRIx64
                          " are not inside one DMA map (see 'dma list')",
                          len, iova);
    f = vuctl_dma_file(v, m);
    if (write && f && !f->writable)
        return vuctl_fail(v, VUCTL_FAIL, EACCES,
                          "the map at 0x%" PRIx64 " is '%s', opened "
                          "read-only",
                          vuc_dma_iova(m), f->path);
    *out = m;
    return 0;
}

/* ---- Handlers ----------------------------------------------------------- */

static int cmd_dma_alloc(struct vuctl *v, int argc, char **argv)
{
    struct vuc_dma_map *map;
    uint64_t size, iova = VUC_IOVA_ANY;
    bool have_iova;
    unsigned flags;
    int rc;

    if ((rc = vuctl_arg_u64(v, argv[1], SIZE_MAX, &size)) ||
        (rc = map_options(v, argc, argv, 2, true, "IOVA", VUC_IOVA_ANY - 1,
                          &iova, &have_iova, &flags)))
        return rc;
    if (size == 0)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "bad size '%s': 0 bytes",
                          argv[1]);
    rc = vuctl_need_client(v, true);
    if (rc)
        return rc;
    rc = vuc_dma_alloc(v->client, (size_t)size, iova, flags, &map);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "dma alloc");
    if (!vuctl_capture(v, vuc_dma_iova(map)))
        out_dma_map(v, "dma alloc", map);
    return VUCTL_OK;
}

static int cmd_dma_map(struct vuctl *v, int argc, char **argv)
{
    const char *path = argv[1];
    struct vuctl_filemap *files, *f;
    struct vuc_dma_map *map;
    uint64_t size, iova, offset = 0;
    long page = sysconf(_SC_PAGESIZE);
    bool have_offset, writable;
    unsigned flags;
    struct stat st;
    void *addr;
    int fd, rc;

    if ((rc = vuctl_arg_u64(v, argv[2], SIZE_MAX, &size)) ||
        (rc = arg_iova(v, argv[3], &iova)) ||
        (rc = map_options(v, argc, argv, 4, false, "OFFSET", INT64_MAX, &offset,
                          &have_offset, &flags)))
        return rc;
    if (size == 0)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "bad size '%s': 0 bytes",
                          argv[2]);
    if (page > 0 && offset % (uint64_t)page)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "offset 0x%" PRIx64 " is not a multiple of the "
                          "page size 0x%lx",
                          offset, page);
    rc = vuctl_need_client(v, true);
    if (rc)
        return rc;

    /* Room for the record first: once libvuc has the map, vuctl must be
     * able to remember the memory behind it. */
    files = realloc(v->files, (v->nfiles + 1) * sizeof(*files));
    if (!files)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    v->files = files;

    /* The device writing needs the file writeable; a device that only
     * reads gets (and can get) no more than read access. */
    writable = flags & VUC_DMA_WRITE;
    fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = errno;
        return vuctl_fail(v, VUCTL_FAIL, rc, "cannot open '%s'%s: %s", path,
                          writable ? " for reading and writing" : "",
                          strerror(rc));
    }
    if (fstat(fd, &st) < 0) {
        rc = errno;
        close(fd);
        return vuctl_fail(v, VUCTL_FAIL, rc, "cannot stat '%s': %s", path,
                          strerror(rc));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return vuctl_fail(v, VUCTL_FAIL, EINVAL, "'%s' is not a regular file",
                          path);
    }
    /* Memory beyond the end of the file would fault on first touch. */
    if (offset > (uint64_t)st.st_size || size > (uint64_t)st.st_size - offset) {
        close(fd);
        return vuctl_fail(v, VUCTL_FAIL, EINVAL,
                          "'%s' has 0x%" PRIx64 " bytes, fewer than offset "
                          "0x%" PRIx64 " + size 0x%" PRIx64,
                          path, (uint64_t)st.st_size, offset, size);
    }
    addr = mmap(NULL, (size_t)size, PROT_READ | (writable ? PROT_WRITE : 0),
                MAP_SHARED, fd, (off_t)offset);
    if (addr == MAP_FAILED) {
        rc = errno;
        close(fd);
        return vuctl_fail(v, VUCTL_FAIL, rc, "cannot mmap '%s': %s", path,
                          strerror(rc));
    }
    /* libvuc duplicates the fd it keeps. */
    rc = vuc_dma_map(v->client, fd, offset, addr, (size_t)size, iova, flags,
                     &map);
    close(fd);
    if (rc < 0) {
        munmap(addr, (size_t)size);
        return vuctl_fail_lib(v, v->client, rc, "dma map");
    }
    f = &v->files[v->nfiles++];
    *f = (struct vuctl_filemap){
        .map = map,
        .addr = addr,
        .len = (size_t)size,
        .writable = writable,
        .offset = offset,
        .path = strdup(path),
    };
    if (!f->path) {
        /* Keep the record (it owns the memory); only its name is lost. */
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM, "out of memory");
    }
    if (!vuctl_capture(v, vuc_dma_iova(map)))
        out_dma_map(v, "dma map", map);
    return VUCTL_OK;
}

static int cmd_dma_unmap(struct vuctl *v, int argc, char **argv)
{
    struct vuc_dma_map *m;
    uint64_t iova, start;
    size_t size, file = SIZE_MAX;
    int rc;

    if ((rc = arg_iova(v, argv[1], &iova)) ||
        (rc = vuctl_need_client(v, false)))
        return rc;
    m = vuc_dma_find(v->client, iova, 1);
    if (!m)
        return vuctl_fail(v, VUCTL_FAIL, ENOENT,
                          "no DMA map holds IOVA 0x%" PRIx64 " (see 'dma "
                          "list')",
                          iova);
    start = vuc_dma_iova(m);
    size = vuc_dma_size(m);
    if (start != iova)
        return vuctl_fail(v, VUCTL_FAIL, EINVAL,
                          "IOVA 0x%" PRIx64 " is inside the map at 0x%" PRIx64
                          " (size 0x%zx); unmap it by its start",
                          iova, start, size);
    for (size_t i = 0; i < v->nfiles; i++)
        if (v->files[i].map == m)
            file = i;
    rc = vuc_dma_unmap(v->client, m);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "dma unmap");
    /* Only now: the server could use the memory until its reply. */
    if (file != SIZE_MAX) {
        vuctl_filemap_free(&v->files[file]);
        v->files[file] = v->files[--v->nfiles];
    }
    out_dma_unmap(v, iova, size);
    return VUCTL_OK;
}

static int cmd_dma_list(struct vuctl *v, int argc, char **argv)
{
    int rc = vuctl_need_client(v, false);

    if (rc)
        return rc;
    out_dma_list(v);
    return VUCTL_OK;
}

static int cmd_dma_read(struct vuctl *v, int argc, char **argv)
{
    struct vuc_dma_map *m;
    uint64_t iova, value;
    unsigned width = 4;
    uint8_t buf[8];
    int rc;

    if ((rc = arg_iova(v, argv[1], &iova)) ||
        (argc > 2 && (rc = vuctl_arg_width(v, argv[2], &width))) ||
        (rc = dma_range(v, iova, width, false, &m)))
        return rc;
    rc = vuc_dma_read(v->client, iova, buf, width);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "dma read");
    value = vuctl_le_get(buf, width);
    if (!vuctl_capture(v, value))
        out_dma_access(v, "dma read", iova, width, value, true);
    return VUCTL_OK;
}

static int cmd_dma_write(struct vuctl *v, int argc, char **argv)
{
    struct vuc_dma_map *m;
    uint64_t iova, value;
    unsigned width = 4;
    uint8_t buf[8];
    int rc;

    if ((rc = arg_iova(v, argv[1], &iova)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &value)) ||
        (argc > 3 && (rc = vuctl_arg_width(v, argv[3], &width))) ||
        (rc = vuctl_arg_fits(v, argv[2], value, width)) ||
        (rc = dma_range(v, iova, width, true, &m)))
        return rc;
    vuctl_le_put(buf, value, width);
    rc = vuc_dma_write(v->client, iova, buf, width);
    if (rc < 0)
        return vuctl_fail_lib(v, v->client, rc, "dma write");
    out_dma_access(v, "dma write", iova, width, value, false);
    return VUCTL_OK;
}

static int cmd_dma_dump(struct vuctl *v, int argc, char **argv)
{
    struct vuc_dma_map *m;
    uint64_t iova, len;
    uint8_t *buf;
    int rc;

    if ((rc = arg_iova(v, argv[1], &iova)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &len)))
        return rc;
    if (len == 0 || len > VUCTL_MAX_DUMP)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL,
                          "bad length '%s': must be 1 to 16M bytes", argv[2]);
    rc = dma_range(v, iova, len, false, &m);
    if (rc)
        return rc;
    buf = malloc(len);
    if (!buf)
        return vuctl_fail(v, VUCTL_FAIL, ENOMEM,
                          "cannot allocate %" PRIu64 " bytes", len);
    rc = vuc_dma_read(v->client, iova, buf, len);
    if (rc < 0) {
        free(buf);
        return vuctl_fail_lib(v, v->client, rc, "dma dump");
    }
    out_dma_dump(v, iova, buf, len);
    free(buf);
    return VUCTL_OK;
}

static int cmd_dma_fill(struct vuctl *v, int argc, char **argv)
{
    struct vuc_dma_map *m;
    uint64_t iova, len, byte;
    uint8_t buf[FILL_CHUNK];
    int rc;

    if ((rc = arg_iova(v, argv[1], &iova)) ||
        (rc = vuctl_arg_u64(v, argv[2], UINT64_MAX, &len)) ||
        (rc = vuctl_arg_u64(v, argv[3], UINT8_MAX, &byte)))
        return rc;
    if (len == 0)
        return vuctl_fail(v, VUCTL_USAGE, EINVAL, "bad length '%s': 0 bytes",
                          argv[2]);
    rc = dma_range(v, iova, len, true, &m);
    if (rc)
        return rc;
    memset(buf, (int)byte, sizeof(buf));
    for (uint64_t done = 0; done < len;) {
        size_t n = len - done < FILL_CHUNK ? (size_t)(len - done) : FILL_CHUNK;

        rc = vuc_dma_write(v->client, iova + done, buf, n);
        if (rc < 0)
            return vuctl_fail_lib(v, v->client, rc, "dma fill");
        done += n;
    }
    out_dma_fill(v, iova, len, (uint8_t)byte);
    return VUCTL_OK;
}

/* DMA memory. */
static const struct vuctl_cmd dma_cmds[] = {
    {
        .name = "dma",
        .sub = "alloc",
        .args = "SIZE [IOVA] [r|w|rw] [noshare] [huge]",
        .summary = "allocate DMA memory and map it for the device",
        .help = "Allocate SIZE bytes (rounded up to the page size) of zeroed\n"
                "memory and announce it to the server with DMA_MAP at IOVA\n"
                "(default: a free, aligned IOVA that libvuc picks). r, w or\n"
                "rw say what the device may do with it (default rw).\n"
                "noshare keeps the memory's fd from the server, which must\n"
                "then use DMA_READ/DMA_WRITE messages; huge backs it with\n"
                "2 MiB huge pages (the size and IOVA then round to 2 MiB),\n"
                "which must be reserved: /proc/sys/vm/nr_hugepages. Prints\n"
                "the IOVA, the size, the flags and whether the server got an\n"
                "fd (shared) or not (none).\n",
        .value = "the IOVA of the new map",
        .example = "dma alloc 4k\n"
                   "dma alloc 1M 0x10000000 r noshare\n"
                   "set buf = dma alloc 64k\n",
        .fn = cmd_dma_alloc,
        .min_args = 1,
        .max_args = 5,
    },
    {
        .name = "dma",
        .sub = "map",
        .args = "FILE SIZE IOVA [OFFSET] [r|w|rw] [noshare]",
        .summary = "map a file's contents for the device",
        .help = "Map SIZE bytes of FILE from OFFSET (default 0; both page\n"
                "aligned) for the device at IOVA: vuctl opens the file\n"
                "(read-only for r, else read-write), mmaps it shared and\n"
                "passes its fd with DMA_MAP, so the device reads and writes\n"
                "the file itself: a way to hand it a prepared buffer. FILE\n"
                "must be a regular file of at least OFFSET+SIZE bytes.\n"
                "Access and noshare as for dma alloc. Unlike memory of dma\n"
                "alloc, a file cannot be sealed: a server given its fd could\n"
                "shrink it under vuctl, so use noshare with one you do not\n"
                "trust.\n",
        .value = "the IOVA of the new map",
        .example = "dma map ring.bin 64k 0x100000\n"
                   "dma map fw.img 1M 0x200000 0 r\n",
        .fn = cmd_dma_map,
        .min_args = 3,
        .max_args = 6,
        .first_arg = VUCTL_ARG_FILE,
    },
    {
        .name = "dma",
        .sub = "unmap",
        .args = "IOVA",
        .summary = "unmap a DMA map",
        .help = "Send DMA_UNMAP for the map that starts at IOVA and release\n"
                "it once the server has replied, since the device may use it\n"
                "until then. Memory of dma alloc is freed, a file of dma map\n"
                "unmapped. Without a connection the map is released at once.\n",
        .example = "dma unmap 0x100000000\ndma unmap $buf\n",
        .fn = cmd_dma_unmap,
        .min_args = 1,
        .max_args = 1,
    },
    {
        .name = "dma",
        .sub = "list",
        .args = "",
        .summary = "list the DMA maps",
        .help = "List every DMA map in IOVA order: IOVA, size, flags (r and\n"
                "w for what the device may do, huge), whether the server got\n"
                "an fd for it (shared) or must use messages (none), and the\n"
                "file and offset of dma map. Maps outlive a lost connection,\n"
                "so that what the device wrote can still be read.\n",
        .example = "dma list\n",
        .fn = cmd_dma_list,
        .min_args = 0,
        .max_args = 0,
    },
    {
        .name = "dma",
        .sub = "read",
        .args = "IOVA [WIDTH]",
        .summary = "read a 1, 2, 4 or 8 byte value from DMA memory",
        .help = "Read WIDTH bytes (1, 2, 4 or 8; default 4) of DMA memory at\n"
                "IOVA as one little-endian value and print it in hex: what\n"
                "the device wrote, or will read. The bytes must lie in one\n"
                "map.\n",
        .value = "the value read",
        .example = "dma read 0x100000000\ndma read $buf 8\n",
        .fn = cmd_dma_read,
        .min_args = 1,
        .max_args = 2,
    },
    {
        .name = "dma",
        .sub = "write",
        .args = "IOVA VALUE [WIDTH]",
        .summary = "write a 1, 2, 4 or 8 byte value to DMA memory",
        .help = "Write VALUE as a WIDTH-byte (1, 2, 4 or 8; default 4)\n"
                "little-endian value to DMA memory at IOVA, for the device\n"
                "to read. VALUE must fit in WIDTH bytes; a file that dma map\n"
                "opened read-only cannot be written.\n",
        .example = "dma write 0x100000000 0x12345678\n"
                   "dma write $buf 0xff 1\n",
        .fn = cmd_dma_write,
        .min_args = 2,
        .max_args = 3,
    },
    {
        .name = "dma",
        .sub = "dump",
        .args = "IOVA LEN",
        .summary = "hexdump DMA memory",
        .help = "Print LEN bytes (at most 16M) of DMA memory at IOVA like\n"
                "xxd, with IOVAs as addresses. The bytes must lie in one map.\n"
                "In JSON the bytes are one hex string, \"data\".\n",
        .example = "dma dump 0x100000000 64\n",
        .fn = cmd_dma_dump,
        .min_args = 2,
        .max_args = 2,
    },
    {
        .name = "dma",
        .sub = "fill",
        .args = "IOVA LEN BYTE",
        .summary = "fill DMA memory with one byte value",
        .help = "Set LEN bytes of DMA memory at IOVA to BYTE (0 to 255). The\n"
                "bytes must lie in one map.\n",
        .example = "dma fill 0x100000000 4k 0xa5\n",
        .fn = cmd_dma_fill,
        .min_args = 3,
        .max_args = 3,
    },
};

const struct vuctl_cmd_table vuctl_dma_table = {
    dma_cmds, sizeof(dma_cmds) / sizeof(dma_cmds[0])};
