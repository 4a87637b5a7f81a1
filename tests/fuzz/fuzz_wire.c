/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: every decoder of the codec on bytes a server could send.
 * Input: byte 0 picks the decoder, byte 1 the number of fds claimed, bytes
 * 2..5 a parameter (what the request asked for), the rest the payload. The
 * payload is copied into a buffer of exactly its size, so the sanitizers
 * catch any read past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct vuc_wire_err err;
    uint32_t param;

    if (size < 6) {
        return 0;
    }
    uint8_t which = data[0];
    unsigned nfds = data[1] % 3;
    memcpy(&param, data + 2, 4);
    size_t len = size - 6;
    uint8_t *p = malloc(len ? len : 1);
    if (p == NULL) {
        return 0;
    }
    memcpy(p, data + 6, len);

    union {
        struct vuc_wire_version v;
        struct vuc_device_info di;
        struct vuc_region_info ri;
        struct vuc_irq_info ii;
        struct vuc_wire_io_fd io[8];
        struct vfio_user_migration_info_v1 mi;
    } out;
    const uint8_t *d;
    uint64_t a, b;
    uint32_t u, n;
    size_t sz;

    switch (which % 16) {
    case 0: {
        struct vfio_user_header h;
        if (len >= sizeof(h)) {
            memcpy(&h, p, sizeof(h));
            vuc_wire_check_header(&h, param, &err);
            vuc_wire_reply_errno(&h);
        }
        break;
    }
    case 1:
        vuc_wire_dec_version_reply(p, len, 0, (uint16_t)param, &out.v, &err);
        break;
    case 2:
        vuc_wire_dec_device_info_reply(p, len, nfds, &out.di, &err);
        break;
    case 3:
        vuc_wire_dec_region_info_reply(p, len, nfds, param % 9, param >> 8,
                                       &out.ri, &u, &err);
        break;
    case 4:
        vuc_wire_dec_region_io_fds_reply(p, len, nfds, param % 9,
                                         (uint64_t)param << 4, param >> 8,
                                         out.io, 8, &n, &u, &err);
        break;
    case 5:
        vuc_wire_dec_irq_info_reply(p, len, nfds, param % 5, &out.ii, &err);
        break;
    case 6:
        vuc_wire_dec_region_read_reply(p, len, nfds, param % 9, param >> 4,
                                       param % 4097, &d, &err);
        break;
    case 7:
        vuc_wire_dec_region_write_reply(p, len, nfds, param % 9, param >> 4,
                                        param % 4097, &err);
        break;
    case 8:
        vuc_wire_dec_dma_request(param & 1 ? VFIO_USER_DMA_WRITE
                                           : VFIO_USER_DMA_READ,
                                 p, len, nfds, param >> 1, &a, &b, &d, &err);
        break;
    case 9:
        vuc_wire_dec_dma_unmap_reply(p, len, nfds, 0x10000, 0x4000, param & 1,
                                     4096, param >> 20, &d, &err);
        break;
    case 10:
        if (vuc_wire_dec_device_feature_reply(p, len, nfds, param, &d, &sz,
                                              &err) == 0) {
            vuc_wire_dec_feature_migration(d, sz, &a, &err);
            vuc_wire_dec_feature_mig_state(d, sz, &u, &err);
            vuc_wire_dec_dma_logging_report(d, sz, 0x100000, param & 0xfff000,
                                            4096, &d, &sz, &err);
        }
        break;
    case 11:
        vuc_wire_dec_mig_data_read_reply(p, len, nfds, param, &d, &u, &err);
        break;
    case 12:
        vuc_wire_dec_write_multi_reply(p, len, nfds, param % 201, &err);
        break;
    case 13:
        vuc_wire_dec_dirty_pages_reply(p, len, nfds, 0x10000, param & 0xfff000,
                                       4096, param >> 24, &d, &err);
        break;
    case 14:
        vuc_wire_dec_migration_info_v1(p, len, param, &out.mi, &err);
        break;
    case 15:
        vuc_wire_dec_empty_reply((uint16_t)param, len, nfds, &err);
        break;
    }
    free(p);
    return 0;
}
