/*
 * Unit tests of runtime/core/strlist.c (Kafka's LIST parsing, one way for
 * every list key) and runtime/core/errstr.c (the errstr convention).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/errstr.h"
#include "core/strlist.h"

/* Parses text and checks the items against the NULL-ended want. */
static void expect_list(const char *text, const char *const *want) {
        rdc_strlist_t list;
        size_t cnt = 0;

        assert_int_equal(rdc_strlist_parse(text, &list), 0);
        while (want[cnt])
                cnt++;
        if (list.cnt != cnt)
                fail_msg("'%s': %zu items, want %zu", text ? text : "(null)",
                         list.cnt, cnt);
        for (size_t i = 0; i < cnt; i++)
                assert_string_equal(list.items[i], want[i]);
        rdc_strlist_clear(&list);
        assert_int_equal(list.cnt, 0);
        assert_null(list.items);
}

#define LIST(text, ...)                                                        \
        expect_list(text, (const char *const[]){__VA_ARGS__, NULL})
#define EMPTY(text) expect_list(text, (const char *const[]){NULL})

static void test_blank_is_empty(void **state) {
        (void)state;
        EMPTY(NULL);
        EMPTY("");
        EMPTY("   ");
        EMPTY("\t \n");
}

static void test_items_are_trimmed(void **state) {
        (void)state;
        LIST("a", "a");
        LIST("a,b,c", "a", "b", "c");
        LIST(" a , b\t,\tc ", "a", "b", "c");
        LIST("  orders  ", "orders");
        /* A space inside an item is part of it, as in Kafka (the herder
         * once split "a b" into two topics while the task did not). */
        LIST("a b,c", "a b", "c");
}

static void test_empty_items_are_kept(void **state) {
        (void)state;
        LIST("a,,b", "a", "", "b");
        LIST("a,", "a", "");
        LIST(",a", "", "a");
        LIST(" , ", "", "");
}

static void test_errstr(void **state) {
        char buf[8];

        (void)state;
        assert_int_equal(rdc_errstr_set(buf, sizeof(buf), "%s %d", "key", 42),
                         -1);
        assert_string_equal(buf, "key 42");
        /* Truncated to the buffer, always terminated. */
        assert_int_equal(
                rdc_errstr_set(buf, sizeof(buf), "%s", "a longer reason"), -1);
        assert_string_equal(buf, "a longe");
        /* No buffer: nothing written, still -1. */
        assert_int_equal(rdc_errstr_set(NULL, 0, "%s", "x"), -1);
        buf[0] = 'z';
        assert_int_equal(rdc_errstr_set(buf, 0, "%s", "x"), -1);
        assert_int_equal(buf[0], 'z');
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_blank_is_empty),
                cmocka_unit_test(test_items_are_trimmed),
                cmocka_unit_test(test_empty_items_are_kept),
                cmocka_unit_test(test_errstr),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
