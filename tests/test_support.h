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

#endif /* VUC_TEST_SUPPORT_H */
