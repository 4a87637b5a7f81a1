/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The write-combining buffer's merge rule (wcomb.c): what joins, what the
 * bytes become, and the size limit at its exact boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wcomb.h"

static struct vuc_wc_buf b;

static bool merge(uint32_t limit, uint32_t index, uint64_t off, uint8_t byte,
                  size_t len)
{
    uint8_t data[VUC_WC_LIMIT_MAX];
    memset(data, byte, len);
    return vuc_wc_merge(&b, limit, index, off, data, len);
}

static void expect(uint64_t off, uint32_t len, const char *bytes)
{
    assert_int_equal(b.offset, off);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, bytes, len);
}

static void test_contiguous_grows_both_ways(void **state)
{
    (void)state;
    memset(&b, 0, sizeof(b));
    assert_true(merge(64, 2, 0x10, 'a', 4));
    assert_true(merge(64, 2, 0x14, 'b', 4)); /* after */
    assert_true(merge(64, 2, 0x0c, 'c', 4)); /* before: data moves up */
    expect(0x0c, 12, "ccccaaaabbbb");
}

static void test_overlap_keeps_last_value(void **state)
{
    (void)state;
    memset(&b, 0, sizeof(b));
    assert_true(merge(64, 2, 0x10, 'a', 8));
    assert_true(merge(64, 2, 0x12, 'b', 2)); /* inside */
    assert_true(merge(64, 2, 0x0e, 'c', 4)); /* over the start */
    assert_true(merge(64, 2, 0x16, 'd', 4)); /* over the end */
    expect(0x0e, 12, "ccccbbaadddd");
    assert_true(merge(64, 2, 0x0e, 'e', 12)); /* all of it */
    expect(0x0e, 12, "eeeeeeeeeeee");
}

static void test_gap_or_other_region_does_not_join(void **state)
{
    (void)state;
    memset(&b, 0, sizeof(b));
    assert_true(merge(64, 2, 0x10, 'a', 4));
    assert_false(merge(64, 2, 0x15, 'b', 4)); /* one byte after the end */
    assert_false(merge(64, 2, 0x0b, 'b', 4)); /* one byte before */
    assert_false(merge(64, 4, 0x14, 'b', 4)); /* touching, other region */
    expect(0x10, 4, "aaaa");
}

static void test_size_limit_boundary(void **state)
{
    (void)state;
    memset(&b, 0, sizeof(b));
    /* 15 four-byte writes fill 60 of 64 bytes; the 16th fills it. */
    for (uint32_t i = 0; i < 16; i++) {
        assert_true(merge(64, 2, 4 * i, (uint8_t)('a' + i), 4));
    }
    assert_int_equal(b.len, 64);
    /* A byte more does not fit; a rewrite inside does. */
    assert_false(merge(64, 2, 64, 'x', 1));
    assert_true(merge(64, 2, 60, 'z', 4));
    assert_int_equal(b.len, 64);
    assert_int_equal(b.data[63], 'z');
    /* Growing downwards is bounded the same way. */
    memset(&b, 0, sizeof(b));
    assert_true(merge(8, 2, 0x100, 'a', 4));
    assert_true(merge(8, 2, 0xfc, 'b', 4));
    assert_false(merge(8, 2, 0xfb, 'c', 1));
    expect(0xfc, 8, "bbbbaaaa");
}

static void test_write_over_the_limit_never_starts(void **state)
{
    (void)state;
    memset(&b, 0, sizeof(b));
    assert_false(merge(16, 2, 0, 'a', 17));
    assert_int_equal(b.len, 0);
    assert_true(merge(16, 2, 0, 'a', 16));
    assert_true(merge(VUC_WC_LIMIT_MAX, 2, 16, 'b', VUC_WC_LIMIT_MAX - 16));
    assert_int_equal(b.len, VUC_WC_LIMIT_MAX);
    assert_false(merge(VUC_WC_LIMIT_MAX, 2, 0, 'a', 0)); /* nothing to join */
    assert_int_equal(b.len, VUC_WC_LIMIT_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contiguous_grows_both_ways),
        cmocka_unit_test(test_overlap_keeps_last_value),
        cmocka_unit_test(test_gap_or_other_region_does_not_join),
        cmocka_unit_test(test_size_limit_boundary),
        cmocka_unit_test(test_write_over_the_limit_never_starts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
