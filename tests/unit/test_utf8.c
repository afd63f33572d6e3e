/*
 * Unit tests of runtime/utf8.c: the strict UTF-8 check shared by REST path
 * segments and bodies. Every class of bad input names its problem and
 * where it starts; the edges of each valid range pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/utf8.h"

static void expect_valid(const char *s, size_t len) {
        size_t offset = 0;

        if (rdc_utf8_check(s, len, &offset))
                fail_msg("valid input refused at %zu: %s", offset,
                         rdc_utf8_check(s, len, NULL));
        assert_int_equal(offset, len);
}

static void expect_invalid(const char *s, size_t len, size_t at,
                           const char *needle) {
        size_t offset = 0;
        const char *problem = rdc_utf8_check(s, len, &offset);

        assert_non_null(problem);
        if (!strstr(problem, needle))
                fail_msg("'%s' not in '%s'", needle, problem);
        assert_int_equal(offset, at);
}

#define VALID(lit) expect_valid(lit, sizeof(lit) - 1)
#define INVALID(lit, at, needle)                                               \
        expect_invalid(lit, sizeof(lit) - 1, at, needle)

static void test_valid(void **state) {
        (void)state;
        VALID("");
        VALID("plain-ascii name.1");
        VALID("\x7f");
        VALID("\xc2\x80");         /* U+0080, smallest 2-byte */
        VALID("\xdf\xbf");         /* U+07FF */
        VALID("\xe0\xa0\x80");     /* U+0800, smallest 3-byte */
        VALID("\xed\x9f\xbf");     /* U+D7FF, just below surrogates */
        VALID("\xee\x80\x80");     /* U+E000, just above */
        VALID("\xef\xbf\xbd");     /* U+FFFD itself is fine */
        VALID("\xf0\x90\x80\x80"); /* U+10000 */
        VALID("\xf4\x8f\xbf\xbf"); /* U+10FFFF, the last one */
        VALID("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
}

static void test_invalid(void **state) {
        (void)state;
        INVALID("ab\xc0\xaf", 2, "overlong");       /* '/' in 2 bytes */
        INVALID("\xc1\xbf", 0, "overlong");         /* U+007F */
        INVALID("\xe0\x80\xaf", 0, "overlong");     /* '/' in 3 bytes */
        INVALID("\xe0\x9f\xbf", 0, "overlong");     /* U+07FF in 3 */
        INVALID("\xf0\x8f\xbf\xbf", 0, "overlong"); /* U+FFFF in 4 */
        INVALID("x\xed\xa0\x80", 1, "surrogate");   /* U+D800 */
        INVALID("\xed\xbf\xbf", 0, "surrogate");    /* U+DFFF */
        INVALID("\xf4\x90\x80\x80", 0, "U+10FFFF"); /* U+110000 */
        INVALID("\xf7\xbf\xbf\xbf", 0, "U+10FFFF"); /* U+1FFFFF */
        INVALID("\xf8\x88\x80\x80\x80", 0, "invalid byte");
        INVALID("\xff", 0, "invalid byte");
        INVALID("a\x80", 1, "continuation");
        INVALID("\xc3", 0, "truncated");
        INVALID("\xe2\x82", 0, "truncated");
        INVALID("\xe2\x82z", 0, "truncated");
        INVALID("a\0b", 1, "NUL");
        /* The length is the caller's: a NUL inside it counts. */
        expect_invalid("ab\0", 3, 2, "NUL");
        expect_valid("ab\0", 2);
}

static void test_codepoints(void **state) {
        (void)state;
        assert_null(rdc_utf8_codepoint_problem('a'));
        assert_null(rdc_utf8_codepoint_problem(0xfffd));
        assert_null(rdc_utf8_codepoint_problem(0x10ffff));
        assert_non_null(rdc_utf8_codepoint_problem(0));
        assert_non_null(rdc_utf8_codepoint_problem(0xd800));
        assert_non_null(rdc_utf8_codepoint_problem(0xdfff));
        assert_non_null(rdc_utf8_codepoint_problem(0x110000));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_invalid),
                cmocka_unit_test(test_codepoints),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
