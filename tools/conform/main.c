/* SPDX-License-Identifier: BSD-3-Clause */
/* vuc-conform: the conformance suite of tools/conform as a program. */
#include <stdio.h>
#include <string.h>

#include <vuc/vuc.h>

#include "conform.h"

int main(int argc, char **argv)
{
    /* --version is the program's own: the rest of the command line is
     * shared with vuctl's conform command (cli.c). */
    if (argc == 2 &&
        (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
        printf("vuc-conform %d.%d.%d (libvuc %s, vfio-user %d.%d)\n",
               VUC_VERSION_MAJOR, VUC_VERSION_MINOR, VUC_VERSION_PATCH,
               vuc_version(), VUC_PROTO_MAJOR, VUC_PROTO_MINOR);
        return 0;
    }
    return vuc_conform_main(argc, argv);
}
