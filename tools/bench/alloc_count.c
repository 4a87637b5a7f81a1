/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The allocator replacement behind bench_alloc_count(): every entry point
 * counts, then forwards to glibc's own implementation (the __libc_*
 * aliases glibc exports for exactly this purpose). free() is replaced too,
 * as glibc requires of a replacement, though it counts nothing.
 */
#include "alloc_count.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#if defined(__GLIBC__) && !defined(VUC_BENCH_NO_ALLOC_COUNT)

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

static uint64_t allocs;

static inline void count(void)
{
    /* Relaxed: a tally read between measured windows, never a lock. */
    __atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t size)
{
    count();
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
    count();
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
    /* realloc(p, 0) frees; everything else may allocate. */
    if (p == NULL || size != 0)
        count();
    return __libc_realloc(p, size);
}

void *reallocarray(void *p, size_t n, size_t size)
{
    size_t bytes;

    /* glibc's own reallocarray would reach its realloc directly, past
     * ours, so it is replaced as well. */
    if (__builtin_mul_overflow(n, size, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, bytes);
}

void free(void *p)
{
    __libc_free(p);
}

void *memalign(size_t align, size_t size)
{
    count();
    return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
    count();
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
    void *p;

    if (align == 0 || align % sizeof(void *) != 0 || (align & (align - 1)))
        return EINVAL;
    count();
    p = __libc_memalign(align, size);
    if (p == NULL)
        return ENOMEM;
    *out = p;
    return 0;
}

void *valloc(size_t size)
{
    count();
    return __libc_valloc(size);
}

void *pvalloc(size_t size)
{
    count();
    return __libc_pvalloc(size);
}

bool bench_alloc_counter_available(void)
{
    return true;
}

uint64_t bench_alloc_count(void)
{
    return __atomic_load_n(&allocs, __ATOMIC_RELAXED);
}

#else

bool bench_alloc_counter_available(void)
{
    return false;
}

uint64_t bench_alloc_count(void)
{
    return 0;
}

#endif
