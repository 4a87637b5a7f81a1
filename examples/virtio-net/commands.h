/* SPDX-License-Identifier: BSD-3-Clause */
/* The commands of vuc-vnet, each on a device vnet_open() brought up. Each
 * returns the program's exit status and prints its own errors. */
#ifndef VNET_COMMANDS_H
#define VNET_COMMANDS_H

#include <stdbool.h>
#include <stdint.h>

#include "vnet.h"

struct cmd_args {
    const char *file; /* send FILE */
    const char *out;  /* recv -o FILE */
    uint32_t count;   /* ping, recv: 0 for recv means until interrupted */
    uint32_t my_ip, target_ip;
    uint32_t interval_ms;
    uint32_t seconds, size;
};

int cmd_info(struct vnet *n, struct cmd_args *a);
int cmd_ping(struct vnet *n, struct cmd_args *a);
int cmd_send(struct vnet *n, struct cmd_args *a);
int cmd_recv(struct vnet *n, struct cmd_args *a);
int cmd_perf(struct vnet *n, struct cmd_args *a);

/** SIGINT/SIGTERM set a flag that cmd_interrupted() reports. */
void cmd_install_signals(void);
bool cmd_interrupted(void);

/** Monotonic time in nanoseconds. */
uint64_t cmd_now_ns(void);

#endif
