/*
 * Unit tests of rdc_map (runtime/map.c): ordering, replacement, removal,
 * prefix extraction, copies and comparison.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/map.h"

static void test_set_get_sorted(void **state) {
        (void)state;
        rdc_map_t *map = rdc_map_new();
        assert_non_null(map);
        assert_int_equal(rdc_map_set(map, "b", "2"), 0);
        assert_int_equal(rdc_map_set(map, "a", "1"), 0);
        assert_int_equal(rdc_map_set(map, "c", "3"), 0);
        assert_int_equal(rdc_map_set(map, "", "empty key"), 0);
        assert_int_equal(rdc_map_count(map), 4);
        assert_string_equal(rdc_map_key_at(map, 0), "");
        assert_string_equal(rdc_map_key_at(map, 1), "a");
        assert_string_equal(rdc_map_key_at(map, 2), "b");
        assert_string_equal(rdc_map_key_at(map, 3), "c");
        assert_string_equal(rdc_map_value_at(map, 3), "3");
        assert_null(rdc_map_key_at(map, 4));
        assert_null(rdc_map_value_at(map, 4));
        assert_string_equal(rdc_map_get(map, "b"), "2");
        assert_null(rdc_map_get(map, "d"));
        assert_null(rdc_map_get(map, "b "));
        rdc_map_destroy(map);
}

static void test_overwrite_and_remove(void **state) {
        (void)state;
        rdc_map_t *map = rdc_map_new();
        assert_int_equal(rdc_map_set(map, "k", "v1"), 0);
        assert_int_equal(rdc_map_set(map, "k", "v2"), 0);
        assert_int_equal(rdc_map_count(map), 1);
        assert_string_equal(rdc_map_get(map, "k"), "v2");
        /* Setting a key to its own current value must not read freed
         * memory. */
        assert_int_equal(rdc_map_set(map, "k", rdc_map_get(map, "k")), 0);
        assert_string_equal(rdc_map_get(map, "k"), "v2");
        assert_int_equal(rdc_map_set(map, "k", ""), 0);
        assert_string_equal(rdc_map_get(map, "k"), "");
        assert_int_equal(rdc_map_set(map, "k", NULL), 0);
        assert_int_equal(rdc_map_count(map), 0);
        assert_int_equal(rdc_map_unset(map, "k"), 0);
        assert_int_equal(rdc_map_set(map, "x", "1"), 0);
        assert_int_equal(rdc_map_unset(map, "x"), 1);
        assert_null(rdc_map_get(map, "x"));
        rdc_map_destroy(map);
        rdc_map_destroy(NULL);
}

/* Many keys inserted in a scrambled order come out sorted, and removing
 * every other one keeps the rest findable. */
static void test_many_keys(void **state) {
        (void)state;
        rdc_map_t *map = rdc_map_new();
        char key[32], value[32];
        const int cnt = 1000;
        for (int i = 0; i < cnt; i++) {
                int n = (i * 7919) % cnt; /* 7919 is prime: a permutation */
                snprintf(key, sizeof(key), "key.%04d", n);
                snprintf(value, sizeof(value), "%d", n);
                assert_int_equal(rdc_map_set(map, key, value), 0);
        }
        assert_int_equal(rdc_map_count(map), cnt);
        for (size_t i = 1; i < rdc_map_count(map); i++)
                assert_true(strcmp(rdc_map_key_at(map, i - 1),
                                   rdc_map_key_at(map, i)) < 0);
        for (int i = 0; i < cnt; i += 2) {
                snprintf(key, sizeof(key), "key.%04d", i);
                assert_int_equal(rdc_map_unset(map, key), 1);
        }
        assert_int_equal(rdc_map_count(map), cnt / 2);
        for (int i = 0; i < cnt; i++) {
                snprintf(key, sizeof(key), "key.%04d", i);
                snprintf(value, sizeof(value), "%d", i);
                if (i % 2)
                        assert_string_equal(rdc_map_get(map, key), value);
                else
                        assert_null(rdc_map_get(map, key));
        }
        rdc_map_destroy(map);
}

static void test_dup_equal_merge(void **state) {
        (void)state;
        rdc_map_t *a = rdc_map_new();
        rdc_map_set(a, "x", "1");
        rdc_map_set(a, "y", "2");
        rdc_map_t *b = rdc_map_dup(a);
        assert_non_null(b);
        assert_true(rdc_map_equal(a, b));
        /* The copy is deep: changing it leaves the original alone. */
        rdc_map_set(b, "x", "changed");
        assert_string_equal(rdc_map_get(a, "x"), "1");
        assert_false(rdc_map_equal(a, b));
        rdc_map_set(b, "x", "1");
        assert_true(rdc_map_equal(a, b));
        rdc_map_set(b, "z", "3");
        assert_false(rdc_map_equal(a, b));

        rdc_map_t *src = rdc_map_new();
        rdc_map_set(src, "y", "override");
        rdc_map_set(src, "w", "new");
        assert_int_equal(rdc_map_merge(a, src), 0);
        assert_int_equal(rdc_map_count(a), 3);
        assert_string_equal(rdc_map_get(a, "y"), "override");
        assert_string_equal(rdc_map_get(a, "w"), "new");
        assert_string_equal(rdc_map_get(a, "x"), "1");

        rdc_map_t *empty = rdc_map_new();
        rdc_map_t *empty_copy = rdc_map_dup(empty);
        assert_true(rdc_map_equal(empty, empty_copy));
        rdc_map_destroy(empty);
        rdc_map_destroy(empty_copy);
        rdc_map_destroy(src);
        rdc_map_destroy(a);
        rdc_map_destroy(b);
}

static void test_strip_prefix(void **state) {
        (void)state;
        rdc_map_t *map = rdc_map_new();
        rdc_map_set(map, "value.converter", "Json");
        rdc_map_set(map, "value.converter.schemas.enable", "false");
        rdc_map_set(map, "value.converter.a", "1");
        rdc_map_set(map, "value.convertera", "not under the prefix");
        rdc_map_set(map, "key.converter.x", "2");
        rdc_map_set(map, "value.converter.", "empty rest");
        rdc_map_set(map, "value.converter/", "sorts after the run");

        rdc_map_t *sub = rdc_map_strip_prefix(map, "value.converter.");
        assert_non_null(sub);
        assert_int_equal(rdc_map_count(sub), 3);
        assert_string_equal(rdc_map_key_at(sub, 0), "");
        assert_string_equal(rdc_map_value_at(sub, 0), "empty rest");
        assert_string_equal(rdc_map_key_at(sub, 1), "a");
        assert_string_equal(rdc_map_key_at(sub, 2), "schemas.enable");
        assert_string_equal(rdc_map_get(sub, "schemas.enable"), "false");
        rdc_map_destroy(sub);

        sub = rdc_map_strip_prefix(map, "nothing.");
        assert_non_null(sub);
        assert_int_equal(rdc_map_count(sub), 0);
        rdc_map_destroy(sub);

        sub = rdc_map_strip_prefix(map, "");
        assert_true(rdc_map_equal(sub, map));
        rdc_map_destroy(sub);
        rdc_map_destroy(map);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_set_get_sorted),
                cmocka_unit_test(test_overwrite_and_remove),
                cmocka_unit_test(test_many_keys),
                cmocka_unit_test(test_dup_equal_merge),
                cmocka_unit_test(test_strip_prefix),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
