/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vuc-bench's heap allocation counter. alloc_count.c replaces the C
 * library's allocator entry points in the vuc-bench executable (glibc
 * supports replacing malloc, and calls the replacement from inside the
 * library too), so it counts the allocations of the whole process:
 * libvuc, libevent, jansson and libc alike.
 */
#ifndef VUC_BENCH_ALLOC_COUNT_H
#define VUC_BENCH_ALLOC_COUNT_H

#include <stdbool.h>
#include <stdint.h>

/* False where the counter is not built: non-glibc systems and sanitizer
 * builds, whose runtime owns malloc. */
bool bench_alloc_counter_available(void);

/* malloc, calloc, realloc, reallocarray and memalign-family calls so far. */
uint64_t bench_alloc_count(void);

#endif /* VUC_BENCH_ALLOC_COUNT_H */
