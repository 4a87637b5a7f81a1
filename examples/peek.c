/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The smallest useful libvuc program: connect to a vfio-user server, print
 * the device's PCI ids and regions, and read one 32-bit register.
 *
 *   peek SOCKET [REGION OFFSET]
 *
 * It uses the blocking layer; see the header for the asynchronous calls.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <vuc/vuc.h>

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0') {
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t region = VFIO_USER_PCI_BAR0_REGION_INDEX, offset = 0;
    int status = 1;

    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: %s SOCKET [REGION OFFSET]\n", argv[0]);
        return 2;
    }
    if (argc == 4 && (parse_u64(argv[2], &region) < 0 ||
                      parse_u64(argv[3], &offset) < 0 || region > UINT32_MAX)) {
        fprintf(stderr, "%s: REGION and OFFSET must be numbers\n", argv[0]);
        return 2;
    }

    struct event_base *base = event_base_new();
    struct vuc_client *c = base ? vuc_client_new(base, NULL) : NULL;
    if (c == NULL) {
        fprintf(stderr, "%s: cannot create a client: %s\n", argv[0],
                strerror(errno));
        goto out;
    }
    if (vuc_connect_path(c, argv[1]) < 0) {
        fprintf(stderr, "%s: %s\n", argv[0], vuc_strerror(c));
        goto out;
    }

    const struct vuc_caps *caps = vuc_get_caps(c);
    printf("protocol %u.%u, max_data_xfer_size %" PRIu32 "\n", caps->major,
           caps->minor, caps->server_max_data_xfer_size);

    uint16_t ids[2];
    if (vuc_region_read(c, VFIO_USER_PCI_CONFIG_REGION_INDEX, 0, ids,
                        sizeof(ids)) == 0) {
        printf("PCI id %04x:%04x\n", ids[0], ids[1]);
    }
    for (uint32_t i = 0; i < vuc_get_device_info(c)->num_regions; i++) {
        const struct vuc_region_info *ri = vuc_get_region_info(c, i);
        if (ri->size > 0) {
            printf("%-6s size 0x%" PRIx64 "%s\n", vuc_region_name(i), ri->size,
                   ri->nr_mapped ? " (mapped)" : "");
        }
    }

    uint32_t value;
    if (vuc_region_read(c, (uint32_t)region, offset, &value, sizeof(value)) <
        0) {
        fprintf(stderr, "%s: %s\n", argv[0], vuc_strerror(c));
        goto out;
    }
    printf("%s+0x%" PRIx64 " = 0x%08" PRIx32 "\n", vuc_region_name(region),
           offset, value);
    status = 0;
out:
    vuc_client_free(c);
    if (base != NULL) {
        event_base_free(base);
    }
    return status;
}
