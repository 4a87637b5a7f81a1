/* SPDX-License-Identifier: BSD-3-Clause */
/* The subcommands of vuc-nvme, one file each, on the driver in nvme_drv.h. */
#ifndef VUC_EXAMPLES_VUC_NVME_H
#define VUC_EXAMPLES_VUC_NVME_H

#include <stdbool.h>
#include <stdint.h>

#include "nvme_drv.h"

struct perf_opts {
    unsigned qd;
    uint32_t bs;
    enum { PERF_READ, PERF_WRITE, PERF_RANDREAD } rw;
    double seconds;
    bool json;
};

/* Each returns the program's exit status and prints its own errors. */
int cmd_identify(struct nvme_drv *d, bool json);
int cmd_verify(struct nvme_drv *d);
int cmd_perf(struct nvme_drv *d, const struct perf_opts *o);

#endif
