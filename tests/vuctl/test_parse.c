/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of vuctl's tokenizer and number parser (tools/vuctl/parse.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "parse.h"

/* ---- Tokenizer ---------------------------------------------------------- */

/* Parse text and compare with want: commands separated by NULL entries,
 * the list ended by two NULLs. */
static void check_line(const char *text, const char *const *want)
{
    struct vuctl_line line;
    char err[256];
    size_t c = 0, i = 0;

    assert_int_equal(vuctl_parse_line(text, &line, err, sizeof(err)), 0);
    while (want[i]) {
        int a = 0;

        assert_true(c < line.n);
        for (; want[i]; i++, a++) {
            assert_true(a < line.cmds[c].argc);
            assert_string_equal(line.cmds[c].argv[a], want[i]);
        }
        assert_int_equal(line.cmds[c].argc, a);
        assert_null(line.cmds[c].argv[a]);
        c++;
        i++;
    }
    assert_int_equal(line.n, c);
    vuctl_line_free(&line);
}

static void test_words(void **state)
{
    static const char *const want[] = {"peek", "BAR0", "0x10", NULL, NULL};

    check_line("peek BAR0 0x10", want);
    check_line("  peek\tBAR0   0x10  \n", want);
    check_line("peek BAR0 0x10\r\n", want);
}

static void test_separators(void **state)
{
    static const char *const want[] = {"a",  NULL, "b",  "c",
                                       NULL, "d",  NULL, NULL};

    check_line("a; b c;;d", want);
    check_line("a\nb c\n\nd;", want);
    check_line(";a;b c;d;", want);
}

static void test_empty(void **state)
{
    static const char *const none[] = {NULL, NULL};

    check_line("", none);
    check_line("   \t ", none);
    check_line(";;\n;", none);
    check_line("# only a comment; really", none);
}

static void test_comments(void **state)
{
    static const char *const one[] = {"a", "b", NULL, NULL};
    static const char *const two[] = {"a", NULL, "b", NULL, NULL};

    check_line("a b # c; d", one);
    check_line("a b#c", one);
    check_line("a # x\nb", two);
    check_line("a \"#\"", (const char *const[]){"a", "#", NULL, NULL});
}

static void test_quotes(void **state)
{
    check_line(
        "connect \"/tmp/my dir/x.sock\"",
        (const char *const[]){"connect", "/tmp/my dir/x.sock", NULL, NULL});
    check_line("x \"a;b#c\"", (const char *const[]){"x", "a;b#c", NULL, NULL});
    check_line("x \"\" y", (const char *const[]){"x", "", "y", NULL, NULL});
    check_line("x a\"b c\"d", (const char *const[]){"x", "ab cd", NULL, NULL});
    check_line("x \"q\\\"uote\\\\\"",
               (const char *const[]){"x", "q\"uote\\", NULL, NULL});
    /* Other backslashes are kept, so Windows-ish text survives. */
    check_line("x \"a\\nb\"", (const char *const[]){"x", "a\\nb", NULL, NULL});
    /* Outside quotes a backslash is an ordinary character. */
    check_line("x a\\b", (const char *const[]){"x", "a\\b", NULL, NULL});
}

static void test_unterminated(void **state)
{
    struct vuctl_line line;
    char err[256];

    assert_int_equal(vuctl_parse_line("peek \"abc", &line, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "unterminated string: no closing '\"' for the "
                             "one at column 6");
    assert_int_equal(line.n, 0);
    assert_null(line.cmds);

    /* A quote does not run past the end of its line, and the commands
     * before it on that text are not kept either. */
    assert_int_equal(vuctl_parse_line("a; b \"c\nd\"", &line, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "unterminated string: no closing '\"' for the "
                             "one at column 6");
    assert_int_equal(line.n, 0);

    /* A dangling escape does not hide the end of the text. */
    assert_int_equal(vuctl_parse_line("x \"ab\\", &line, err, sizeof(err)),
                     -EINVAL);
}

/* ---- Numbers ------------------------------------------------------------ */

static uint64_t num_ok(const char *tok, uint64_t max)
{
    char err[256] = "";
    uint64_t v = 0xa5a5;

    assert_int_equal(vuctl_parse_u64(tok, max, &v, err, sizeof(err)), 0);
    return v;
}

static void num_bad(const char *tok, uint64_t max, int rc, const char *msg)
{
    char err[256] = "";
    uint64_t v = 0xa5a5;

    assert_int_equal(vuctl_parse_u64(tok, max, &v, err, sizeof(err)), rc);
    assert_string_equal(err, msg);
    assert_int_equal(v, 0xa5a5); /* untouched on failure */
}

static void test_numbers(void **state)
{
    assert_int_equal(num_ok("0", UINT64_MAX), 0);
    assert_int_equal(num_ok("4096", UINT64_MAX), 4096);
    assert_int_equal(num_ok("007", UINT64_MAX), 7);
    assert_int_equal(num_ok("0x10", UINT64_MAX), 16);
    assert_int_equal(num_ok("0XfF", UINT64_MAX), 255);
    assert_int_equal(num_ok("4k", UINT64_MAX), 4096);
    assert_int_equal(num_ok("4K", UINT64_MAX), 4096);
    assert_int_equal(num_ok("1m", UINT64_MAX), 1024 * 1024);
    assert_int_equal(num_ok("16M", UINT64_MAX), 16 * 1024 * 1024);
    assert_int_equal(num_ok("2g", UINT64_MAX), 2ull << 30);
    assert_int_equal(num_ok("0x1k", UINT64_MAX), 1024);
    assert_int_equal(num_ok("18446744073709551615", UINT64_MAX), UINT64_MAX);
    assert_int_equal(num_ok("0xffffffffffffffff", UINT64_MAX), UINT64_MAX);
    assert_int_equal(num_ok("17179869183g", UINT64_MAX), 17179869183ull << 30);
    assert_int_equal(num_ok("255", 255), 255);
}

static void test_number_errors(void **state)
{
    num_bad("", UINT64_MAX, -EINVAL, "bad number '': empty");
    num_bad("0x", UINT64_MAX, -EINVAL,
            "bad number '0x': no hex digits after '0x'");
    num_bad("-1", UINT64_MAX, -EINVAL, "bad number '-1': not a number");
    num_bad(" 1", UINT64_MAX, -EINVAL, "bad number ' 1': not a number");
    num_bad("BAR0", UINT64_MAX, -EINVAL, "bad number 'BAR0': not a number");
    num_bad("12q", UINT64_MAX, -EINVAL,
            "bad number '12q': unexpected 'q' (suffixes are k, m and g)");
    num_bad("1.5", UINT64_MAX, -EINVAL,
            "bad number '1.5': unexpected '.' (suffixes are k, m and g)");
    num_bad("4kk", UINT64_MAX, -EINVAL,
            "bad number '4kk': unexpected 'k' (suffixes are k, m and g)");
    num_bad("0x1g0", UINT64_MAX, -EINVAL,
            "bad number '0x1g0': unexpected '0' (suffixes are k, m and g)");
    num_bad("12\x01", UINT64_MAX, -EINVAL,
            "bad number '12\x01': unexpected byte 0x01");
    num_bad("18446744073709551616", UINT64_MAX, -ERANGE,
            "bad number '18446744073709551616': does not fit in 64 bits");
    num_bad("0x10000000000000000", UINT64_MAX, -ERANGE,
            "bad number '0x10000000000000000': does not fit in 64 bits");
    num_bad("17179869184g", UINT64_MAX, -ERANGE,
            "bad number '17179869184g': does not fit in 64 bits");
    num_bad("0x400000000000000k", UINT64_MAX, -ERANGE,
            "bad number '0x400000000000000k': does not fit in 64 bits");
    num_bad("256", 255, -ERANGE,
            "bad number '256': 256 is above the maximum 255");
    num_bad("0x100", 0xff, -ERANGE,
            "bad number '0x100': 0x100 is above the maximum 0xff");
    num_bad("1k", 1000, -ERANGE,
            "bad number '1k': 1024 is above the maximum 1000");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),   cmocka_unit_test(test_separators),
        cmocka_unit_test(test_empty),   cmocka_unit_test(test_comments),
        cmocka_unit_test(test_quotes),  cmocka_unit_test(test_unterminated),
        cmocka_unit_test(test_numbers), cmocka_unit_test(test_number_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
