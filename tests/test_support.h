/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the unit and integration fixtures share: fd accounting, and a log
 * callback that keeps libvuc's lines for the test to search.
 */
#ifndef VUC_TEST_SUPPORT_H
#define VUC_TEST_SUPPORT_H

#include <stddef.h>

#include <vuc/vuc.h>

/* Entries in /proc/self/fd: compared before and after to catch leaks. */
int count_fds(void);

/* A vuc_log_fn: appends each line to the char[] that arg points at, whose
 * size the caller passes through a struct test_log. */
struct test_log {
    char *buf;
    size_t size;
};
void test_log_line(void *arg, enum vuc_log_level level, const char *msg);

/* Skip the current cmocka test because the machine lacks hardware or
 * kernel support it needs (huge pages, a byte order), printing the line
 * "vuc-skip: hardware: REASON" that tools/check-skips.py looks for. That is
 * the only skip CI accepts: a test that needs a program or a library from a
 * package fails without it (tools/setup-debian.sh installs them all), and
 * a skip that prints no such line fails CI too. Use inside a test function
 * of a file that includes cmocka.h. */
#define VUC_SKIP_HARDWARE(...)                                                 \
    do {                                                                       \
        print_message("vuc-skip: hardware: " __VA_ARGS__);                     \
        print_message("\n");                                                   \
        skip();                                                                \
    } while (0)

#endif /* VUC_TEST_SUPPORT_H */
