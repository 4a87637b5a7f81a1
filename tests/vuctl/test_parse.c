/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of vuctl's tokenizer and number parser (tools/vuctl/parse.c). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

/* ---- Durations ---------------------------------------------------------- */

static void test_durations(void **state)
{
    char err[256] = "";
    uint64_t ms = 0;

    assert_int_equal(vuctl_parse_duration("0", 1000, &ms, err, sizeof(err)), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(vuctl_parse_duration("250", 1000, &ms, err, sizeof(err)),
                     0);
    assert_int_equal(ms, 250);
    assert_int_equal(vuctl_parse_duration("250ms", 1000, &ms, err, sizeof(err)),
                     0);
    assert_int_equal(ms, 250);
    assert_int_equal(vuctl_parse_duration("1s", 1000, &ms, err, sizeof(err)),
                     0);
    assert_int_equal(ms, 1000);
    /* What a variable expands to. */
    assert_int_equal(vuctl_parse_duration("0x64", 1000, &ms, err, sizeof(err)),
                     0);
    assert_int_equal(ms, 100);

    ms = 7;
    assert_int_equal(vuctl_parse_duration("2s", 1000, &ms, err, sizeof(err)),
                     -ERANGE);
    assert_string_equal(err, "bad duration '2s': longer than the maximum of "
                             "1000 ms");
    /* k/m/g are sizes: "1m" must not read as a mebibyte of milliseconds. */
    assert_int_equal(vuctl_parse_duration("1m", 1000, &ms, err, sizeof(err)),
                     -EINVAL);
    assert_string_equal(err, "bad duration '1m': expected milliseconds, or a "
                             "number followed by ms or s");
    assert_int_equal(vuctl_parse_duration("", 1000, &ms, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(vuctl_parse_duration("s", 1000, &ms, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(vuctl_parse_duration("1.5s", 1000, &ms, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(vuctl_parse_duration("5msx", 1000, &ms, err, sizeof(err)),
                     -EINVAL);
    assert_int_equal(vuctl_parse_duration("99999999999999999999", UINT64_MAX,
                                          &ms, err, sizeof(err)),
                     -ERANGE);
    assert_string_equal(err, "bad duration '99999999999999999999': too long");
    assert_int_equal(ms, 7); /* untouched on failure */
}

/* ---- Variables ---------------------------------------------------------- */

static int lookup(void *ctx, const char *name, uint64_t *value)
{
    if (!strcmp(name, "a")) {
        *value = 0x10;
        return 0;
    }
    if (!strcmp(name, "long_name_9")) {
        *value = 0xdeadbeefcafe;
        return 0;
    }
    return -ENOENT;
}

static void expand_ok(const char *word, const char *want)
{
    char err[256], *out = NULL;

    assert_int_equal(vuctl_expand(word, lookup, NULL, &out, err, sizeof(err)),
                     0);
    assert_string_equal(out, want);
    free(out);
}

static void expand_bad(const char *word, int rc, const char *msg)
{
    char err[256], *out = (char *)"untouched";

    assert_int_equal(vuctl_expand(word, lookup, NULL, &out, err, sizeof(err)),
                     rc);
    assert_string_equal(err, msg);
    assert_string_equal(out, "untouched");
}

static void test_expand(void **state)
{
    expand_ok("", "");
    expand_ok("plain", "plain");
    expand_ok("$a", "0x10");
    expand_ok("${a}", "0x10");
    expand_ok("x$a.y", "x0x10.y");
    expand_ok("${a}b", "0x10b");
    expand_ok("$a$a", "0x100x10");
    expand_ok("$long_name_9", "0xdeadbeefcafe");
    expand_ok("$$a", "$a");
    expand_ok("cost: $$", "cost: $");
    /* A name ends at the first character that cannot be in one. */
    expand_ok("$a-1", "0x10-1");

    expand_bad("$b", -ENOENT, "undefined variable 'b'");
    expand_bad("x${nope}", -ENOENT, "undefined variable 'nope'");
    expand_bad("${a", -EINVAL, "bad '${' in '${a': no closing '}'");
    expand_bad("$", -EINVAL,
               "bad '$' in '$': expected $NAME, ${NAME} or $$ (a name is a "
               "letter or '_', then letters, digits and '_', at most 64 of "
               "them)");
    expand_bad("$1", -EINVAL,
               "bad '$' in '$1': expected $NAME, ${NAME} or $$ (a name is a "
               "letter or '_', then letters, digits and '_', at most 64 of "
               "them)");
    expand_bad("${}", -EINVAL,
               "bad '$' in '${}': expected $NAME, ${NAME} or $$ (a name is a "
               "letter or '_', then letters, digits and '_', at most 64 of "
               "them)");
    expand_bad("${a b}", -EINVAL,
               "bad '$' in '${a b}': expected $NAME, ${NAME} or $$ (a name "
               "is a letter or '_', then letters, digits and '_', at most 64 "
               "of them)");
}

static void test_var_names(void **state)
{
    char longest[VUCTL_VAR_NAME_MAX + 2];

    assert_true(vuctl_var_name_ok("a", 1));
    assert_true(vuctl_var_name_ok("_x9", 3));
    assert_true(vuctl_var_name_ok("Buf_2", 5));
    assert_false(vuctl_var_name_ok("", 0));
    assert_false(vuctl_var_name_ok("9a", 2));
    assert_false(vuctl_var_name_ok("a-b", 3));
    assert_false(vuctl_var_name_ok("a b", 3));
    memset(longest, 'v', sizeof(longest));
    assert_true(vuctl_var_name_ok(longest, VUCTL_VAR_NAME_MAX));
    assert_false(vuctl_var_name_ok(longest, VUCTL_VAR_NAME_MAX + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words),     cmocka_unit_test(test_separators),
        cmocka_unit_test(test_empty),     cmocka_unit_test(test_comments),
        cmocka_unit_test(test_quotes),    cmocka_unit_test(test_unterminated),
        cmocka_unit_test(test_numbers),   cmocka_unit_test(test_number_errors),
        cmocka_unit_test(test_durations), cmocka_unit_test(test_expand),
        cmocka_unit_test(test_var_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
