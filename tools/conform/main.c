/* SPDX-License-Identifier: BSD-3-Clause */
/* vuc-conform: the conformance suite of tools/conform as a program. */
#include "conform.h"

int main(int argc, char **argv)
{
    return vuc_conform_main(argc, argv);
}
