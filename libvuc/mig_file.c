/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The migration save file: a checked, self-describing header and the
 * device state, written and read through the blocking migration calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"

/* ---- The save file ------------------------------------------------------- */

/* Little-endian on disk, like the wire. */
struct mig_file_header {
    char magic[8]; /* "VUCMIG\0\1" */
    uint32_t version;
    uint32_t header_size;
    uint16_t vendor, device, subsys_vendor, subsys;
    uint64_t page_size;
    uint64_t mig_flags;
    uint64_t data_size;
    uint32_t data_crc;
    uint32_t header_crc; /* of the header with this field 0 */
    uint8_t reserved[8];
} __attribute__((packed));
_Static_assert(sizeof(struct mig_file_header) == 64, "mig file header");

static const char mig_magic[8] = {'V', 'U', 'C', 'M', 'I', 'G', 0, 1};
#define MIG_FILE_VERSION 1u
/* Device state is registers and some memory; more than this is not a
 * file this code wrote. */
#define MIG_DATA_MAX (4ull << 30)

/* CRC-32 (IEEE 802.3), a nibble at a time: small and fast enough for
 * device state. */
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
    static const uint32_t t[16] = {
        0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac, 0x76dc4190, 0x6b6b51f4,
        0x4db26158, 0x5005713c, 0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
        0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
    };
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc = (crc >> 4) ^ t[(crc ^ p[i]) & 0xf];
        crc = (crc >> 4) ^ t[(crc ^ (p[i] >> 4)) & 0xf];
    }
    return ~crc;
}

static uint32_t header_crc(struct mig_file_header h)
{
    h.header_crc = 0;
    return crc32_update(0, (const uint8_t *)&h, sizeof(h));
}

/* The PCI ids that tie a file to a device model (zeros when the device has
 * no readable config space). */
static int read_ids(struct vuc_client *c, struct mig_file_header *h)
{
    const struct vuc_region_info *cfg =
        vuc_get_region_info(c, VFIO_USER_PCI_CONFIG_REGION_INDEX);
    if (cfg == NULL || cfg->size < 0x30 ||
        !(cfg->flags & VFIO_USER_REGION_INFO_FLAG_READ)) {
        return 0;
    }
    uint16_t id[4];
    int rc;
    if ((rc = vuc_cfg_read16(c, 0x00, &id[0])) < 0 ||
        (rc = vuc_cfg_read16(c, 0x02, &id[1])) < 0 ||
        (rc = vuc_cfg_read16(c, 0x2c, &id[2])) < 0 ||
        (rc = vuc_cfg_read16(c, 0x2e, &id[3])) < 0) {
        return rc;
    }
    h->vendor = id[0];
    h->device = id[1];
    h->subsys_vendor = id[2];
    h->subsys = id[3];
    return 0;
}

static int write_all(struct vuc_client *c, int fd, const void *p, size_t n,
                     off_t at)
{
    for (size_t done = 0; done < n;) {
        ssize_t w =
            pwrite(fd, (const uint8_t *)p + done, n - done, at + (off_t)done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return vuc_fail(c, w < 0 ? -errno : -EIO,
                            "migrate save: writing the file: %s",
                            w < 0 ? strerror(errno) : "short write");
        }
        done += (size_t)w;
    }
    return 0;
}

int vuc_mig_save(struct vuc_client *client, int fd)
{
    struct vuc_client *c = client;
    struct mig_file_header h;
    struct stat st;
    uint64_t flags;
    int rc;

    vuc_begin(c);
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        return vuc_fail(c, -EINVAL,
                        "migrate save: the output must be a regular file");
    }
    if ((rc = vuc_mig_probe(c, &flags)) < 0) {
        return rc;
    }
    if (!(flags & VFIO_USER_MIGRATION_STOP_COPY)) {
        return vuc_fail(c, -ENOTSUP,
                        "migrate save: the device has no STOP_COPY state");
    }
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, mig_magic, sizeof(h.magic));
    h.version = MIG_FILE_VERSION;
    h.header_size = sizeof(h);
    h.page_size = c->caps.migration_pgsize ? c->caps.migration_pgsize : 4096;
    h.mig_flags = flags;
    if ((rc = read_ids(c, &h)) < 0 ||
        (rc = vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_STOP_COPY)) < 0) {
        return rc;
    }
    /* Read until a short read, as "MIG_DATA_READ" says. */
    uint32_t chunk = c->xfer_chunk - 64;
    uint8_t *buf = malloc(chunk);
    if (buf == NULL) {
        return vuc_fail(c, -ENOMEM, "migrate save: out of memory");
    }
    uint32_t got;
    do {
        if ((rc = vuc_mig_read(c, buf, chunk, &got)) < 0 ||
            (rc = write_all(c, fd, buf, got,
                            (off_t)(sizeof(h) + h.data_size))) < 0) {
            break;
        }
        h.data_crc = crc32_update(h.data_crc, buf, got);
        h.data_size += got;
        if (h.data_size > MIG_DATA_MAX) {
            rc = vuc_fail(c, -EFBIG,
                          "migrate save: the device sent more than %llu bytes",
                          (unsigned long long)MIG_DATA_MAX);
            break;
        }
    } while (got == chunk);
    free(buf);
    if (rc < 0 ||
        (rc = vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_STOP)) < 0) {
        return rc;
    }
    h.header_crc = header_crc(h);
    if ((rc = write_all(c, fd, &h, sizeof(h), 0)) < 0) {
        return rc;
    }
    if (ftruncate(fd, (off_t)(sizeof(h) + h.data_size)) < 0) {
        return vuc_fail(c, -errno, "migrate save: %s", strerror(errno));
    }
    return 0;
}

/* Check a save file completely; on success *data holds its data. */
static int check_file(struct vuc_client *c, int fd, struct mig_file_header *h,
                      uint8_t **data)
{
    struct stat st;

    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        return vuc_fail(c, -EINVAL, "migrate load: not a regular file");
    }
    if ((uint64_t)st.st_size < sizeof(*h) ||
        pread(fd, h, sizeof(*h), 0) != (ssize_t)sizeof(*h) ||
        memcmp(h->magic, mig_magic, sizeof(h->magic)) != 0) {
        return vuc_fail(c, -EINVAL,
                        "migrate load: not a libvuc migration "
                        "file (bad magic)");
    }
    if (h->version != MIG_FILE_VERSION || h->header_size != sizeof(*h)) {
        return vuc_fail(c, -EINVAL,
                        "migrate load: file format %u (header %u bytes); "
                        "this libvuc reads format %u",
                        h->version, h->header_size, MIG_FILE_VERSION);
    }
    if (header_crc(*h) != h->header_crc) {
        return vuc_fail(c, -EINVAL,
                        "migrate load: the header is corrupt "
                        "(CRC mismatch)");
    }
    if (h->data_size != (uint64_t)st.st_size - sizeof(*h) ||
        h->data_size > MIG_DATA_MAX) {
        return vuc_fail(
            c, -EINVAL,
            "migrate load: the header says %llu bytes of data, "
            "the file holds %llu: truncated or padded",
            (unsigned long long)h->data_size,
            (unsigned long long)((uint64_t)st.st_size - sizeof(*h)));
    }
    *data = malloc(h->data_size ? h->data_size : 1);
    if (*data == NULL) {
        return vuc_fail(c, -ENOMEM, "migrate load: out of memory");
    }
    for (uint64_t done = 0; done < h->data_size;) {
        ssize_t r = pread(fd, *data + done, h->data_size - done,
                          (off_t)(sizeof(*h) + done));
        if (r <= 0) {
            free(*data);
            return vuc_fail(c, -EIO, "migrate load: reading the file failed");
        }
        done += (uint64_t)r;
    }
    if (crc32_update(0, *data, h->data_size) != h->data_crc) {
        free(*data);
        return vuc_fail(c, -EINVAL,
                        "migrate load: the data is corrupt (CRC mismatch)");
    }
    return 0;
}

int vuc_mig_load(struct vuc_client *client, int fd)
{
    struct vuc_client *c = client;
    struct mig_file_header h, mine;
    uint8_t *data = NULL;
    int rc;

    vuc_begin(c);
    if (!c->connected) {
        return vuc_fail(c, -ENOTCONN, "migrate load: not connected");
    }
    /* Everything about the file is known to be right before a message
     * goes out. */
    if ((rc = check_file(c, fd, &h, &data)) < 0) {
        return rc;
    }
    memset(&mine, 0, sizeof(mine));
    if ((rc = read_ids(c, &mine)) < 0) {
        goto out;
    }
    if (h.vendor != mine.vendor || h.device != mine.device ||
        h.subsys_vendor != mine.subsys_vendor || h.subsys != mine.subsys) {
        rc =
            vuc_fail(c, -EINVAL,
                     "migrate load: the file is from a %04x:%04x (%04x:%04x) "
                     "device, this one is %04x:%04x (%04x:%04x)",
                     h.vendor, h.device, h.subsys_vendor, h.subsys, mine.vendor,
                     mine.device, mine.subsys_vendor, mine.subsys);
        goto out;
    }
    if ((rc = vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_RESUMING)) < 0 ||
        (h.data_size > 0 && (rc = vuc_mig_write(c, data, h.data_size)) < 0) ||
        (rc = vuc_mig_set_state(c, VFIO_USER_DEVICE_STATE_RUNNING)) < 0) {
        goto out;
    }
out:
    free(data);
    return rc;
}
