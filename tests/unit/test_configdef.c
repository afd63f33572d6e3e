/*
 * Unit tests of runtime/configdef.c: strict parsers, per-type checks with
 * Kafka's messages, defaults, required keys, valid values, custom
 * validators, and walking definition tables with a plugin's def_size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/configdef.h"

static void test_parse_int64(void **state) {
        (void)state;
        int64_t v = 0;
        assert_int_equal(rdc_config_parse_int64("42", &v), 0);
        assert_int_equal(v, 42);
        assert_int_equal(rdc_config_parse_int64("  -7\t", &v), 0);
        assert_int_equal(v, -7);
        assert_int_equal(rdc_config_parse_int64("+5", &v), 0);
        assert_int_equal(v, 5);
        assert_int_equal(rdc_config_parse_int64("9223372036854775807", &v), 0);
        assert_true(v == INT64_MAX);
        assert_int_equal(rdc_config_parse_int64("-9223372036854775808", &v), 0);
        assert_true(v == INT64_MIN);
        v = 99;
        const char *bad[] = {"",
                             "  ",
                             "abc",
                             "12abc",
                             "1 2",
                             "0x10",
                             "1.0",
                             "-",
                             "+",
                             "--1",
                             "1e3",
                             "9223372036854775808",
                             "-9223372036854775809",
                             NULL};
        for (const char **b = bad; *b; b++)
                if (!rdc_config_parse_int64(*b, &v))
                        fail_msg("\"%s\" parsed as int64", *b);
        assert_int_equal(v, 99); /* untouched on failure */
        assert_int_equal(rdc_config_parse_int64(NULL, &v), -1);
}

static void test_parse_bool_double(void **state) {
        (void)state;
        int b = -1;
        assert_int_equal(rdc_config_parse_bool("true", &b), 0);
        assert_int_equal(b, 1);
        assert_int_equal(rdc_config_parse_bool(" FALSE ", &b), 0);
        assert_int_equal(b, 0);
        assert_int_equal(rdc_config_parse_bool("True", &b), 0);
        assert_int_equal(b, 1);
        assert_int_equal(rdc_config_parse_bool("yes", &b), -1);
        assert_int_equal(rdc_config_parse_bool("1", &b), -1);
        assert_int_equal(rdc_config_parse_bool("truex", &b), -1);
        assert_int_equal(rdc_config_parse_bool("", &b), -1);

        double d = 0;
        assert_int_equal(rdc_config_parse_double("1.5", &d), 0);
        assert_true(d == 1.5);
        assert_int_equal(rdc_config_parse_double(" -2e3 ", &d), 0);
        assert_true(d == -2000.0);
        assert_int_equal(rdc_config_parse_double("7", &d), 0);
        assert_true(d == 7.0);
        const char *bad[] = {"",      "abc",   "1.5x", "nan", "inf",
                             "1e999", "0x1p3", "1,5",  NULL};
        for (const char **p = bad; *p; p++)
                if (!rdc_config_parse_double(*p, &d))
                        fail_msg("\"%s\" parsed as double", *p);
}

static rdcp_err_t reject_foo(const char *name, const char *value, char *errstr,
                             size_t errstr_size) {
        (void)name;
        if (!strcmp(value, "foo")) {
                snprintf(errstr, errstr_size, "foo is not allowed here");
                return RDCP_ERR_CONFIG;
        }
        return RDCP_OK;
}

static int validator_calls;
static rdcp_err_t count_calls(const char *name, const char *value, char *errstr,
                              size_t errstr_size) {
        (void)name, (void)value, (void)errstr, (void)errstr_size;
        validator_calls++;
        return RDCP_OK;
}

static const char *const modes[] = {"a", "b", NULL};

static const rdcp_config_def_t defs[] = {
        {.name = "file", .type = RDCP_CFG_STRING, .flags = RDCP_CFGF_REQUIRED},
        {.name = "batch.size",
         .type = RDCP_CFG_INT,
         .default_value = "2000",
         .flags = RDCP_CFGF_HAS_MIN | RDCP_CFGF_HAS_MAX,
         .min = 1,
         .max = 100000},
        {.name = "big", .type = RDCP_CFG_LONG},
        {.name = "ratio",
         .type = RDCP_CFG_DOUBLE,
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 0},
        {.name = "enabled", .type = RDCP_CFG_BOOLEAN, .default_value = "false"},
        {.name = "topics", .type = RDCP_CFG_LIST, .flags = RDCP_CFGF_NON_EMPTY},
        {.name = "mode",
         .type = RDCP_CFG_STRING,
         .valid_values = modes,
         .default_value = "a"},
        {.name = "modes", .type = RDCP_CFG_LIST, .valid_values = modes},
        {.name = "secret",
         .type = RDCP_CFG_PASSWORD,
         .flags = RDCP_CFGF_NON_EMPTY},
        {.name = "custom", .type = RDCP_CFG_INT, .validator = reject_foo},
        {.name = "checked", .type = RDCP_CFG_STRING, .validator = count_calls},
};
#define DEF_CNT (sizeof(defs) / sizeof(defs[0]))

/** Validates cfg; @returns the joined messages (static buffer). */
static const char *validate(rdc_map_t *cfg, size_t want_cnt) {
        static char joined[2048];
        rdc_config_errors_t errs = {0};
        size_t cnt = rdc_configdef_validate(defs, DEF_CNT, sizeof(defs[0]), cfg,
                                            1, &errs);
        rdc_config_errors_format(&errs, joined, sizeof(joined));
        if (cnt != want_cnt || errs.cnt != want_cnt)
                fail_msg("%zu problems, want %zu: %s", cnt, want_cnt, joined);
        rdc_config_errors_clear(&errs);
        assert_null(errs.items);
        return joined;
}

static void assert_contains(const char *text, const char *want) {
        if (!strstr(text, want))
                fail_msg("\"%s\" does not contain \"%s\"", text, want);
}

static void test_defaults_and_required(void **state) {
        (void)state;
        rdc_map_t *cfg = rdc_map_new();
        const char *msg = validate(cfg, 1);
        assert_string_equal(msg, "file: Missing required configuration "
                                 "\"file\" which has no default value.");
        /* Defaults were applied; keys without default stay absent. */
        assert_string_equal(rdc_map_get(cfg, "batch.size"), "2000");
        assert_string_equal(rdc_map_get(cfg, "enabled"), "false");
        assert_string_equal(rdc_map_get(cfg, "mode"), "a");
        assert_null(rdc_map_get(cfg, "big"));
        assert_null(rdc_map_get(cfg, "topics"));

        rdc_map_set(cfg, "file", "/tmp/x");
        rdc_map_set(cfg, "unknown.key", "ignored");
        validate(cfg, 0);

        /* Without apply_defaults nothing is added. */
        rdc_map_t *bare = rdc_map_new();
        rdc_map_set(bare, "file", "f");
        rdc_config_errors_t errs = {0};
        assert_int_equal(rdc_configdef_validate(defs, DEF_CNT, sizeof(defs[0]),
                                                bare, 0, &errs),
                         0);
        assert_int_equal(rdc_map_count(bare), 1);
        rdc_map_destroy(bare);
        rdc_map_destroy(cfg);
}

static void test_type_errors(void **state) {
        (void)state;
        rdc_map_t *cfg = rdc_map_new();
        rdc_map_set(cfg, "file", "f");
        rdc_map_set(cfg, "batch.size", "abc");
        rdc_map_set(cfg, "big", "12x");
        rdc_map_set(cfg, "ratio", "half");
        rdc_map_set(cfg, "enabled", "yes");
        const char *msg = validate(cfg, 4);
        assert_contains(msg, "Invalid value abc for configuration batch.size: "
                             "Not a number of type INT");
        assert_contains(msg, "Invalid value 12x for configuration big: Not a "
                             "number of type LONG");
        assert_contains(msg, "Invalid value half for configuration ratio: Not "
                             "a number of type DOUBLE");
        assert_contains(msg, "Invalid value yes for configuration enabled: "
                             "Expected value to be either true or false");
        /* INT is 32-bit; LONG takes what INT cannot. */
        rdc_map_set(cfg, "batch.size", "4294967297");
        rdc_map_set(cfg, "big", " 4294967297 ");
        rdc_map_set(cfg, "ratio", "0.5");
        rdc_map_set(cfg, "enabled", "TRUE");
        msg = validate(cfg, 1);
        assert_contains(msg, "Not a number of type INT");
        rdc_map_destroy(cfg);
}

static void test_ranges(void **state) {
        (void)state;
        rdc_map_t *cfg = rdc_map_new();
        rdc_map_set(cfg, "file", "f");
        rdc_map_set(cfg, "batch.size", "0");
        assert_string_equal(validate(cfg, 1),
                            "batch.size: Invalid value 0 for configuration "
                            "batch.size: Value must be at least 1");
        rdc_map_set(cfg, "batch.size", "100001");
        assert_contains(validate(cfg, 1), "Value must be no more than 100000");
        rdc_map_set(cfg, "batch.size", "1");
        validate(cfg, 0);
        rdc_map_set(cfg, "batch.size", "100000");
        validate(cfg, 0);
        rdc_map_set(cfg, "ratio", "-0.1");
        assert_contains(validate(cfg, 1), "ratio: Invalid value -0.1 for "
                                          "configuration ratio: Value must "
                                          "be at least 0");
        rdc_map_destroy(cfg);
}

static void test_lists_and_valid_values(void **state) {
        (void)state;
        rdc_map_t *cfg = rdc_map_new();
        rdc_map_set(cfg, "file", "f");
        rdc_map_set(cfg, "topics", "  ");
        rdc_map_set(cfg, "mode", "c");
        rdc_map_set(cfg, "modes", " a , b,c ");
        const char *msg = validate(cfg, 3);
        assert_contains(msg, "topics: Invalid value    for configuration "
                             "topics: List must be non-empty");
        assert_contains(msg, "Invalid value c for configuration mode: String "
                             "must be one of: a, b");
        assert_contains(msg, "configuration modes: String must be one of: "
                             "a, b");
        rdc_map_set(cfg, "topics", "t1, t2");
        rdc_map_set(cfg, "mode", "b");
        rdc_map_set(cfg, "modes", " a , b,a ");
        validate(cfg, 0);
        /* valid_values are case-sensitive. */
        rdc_map_set(cfg, "mode", "A");
        validate(cfg, 1);
        rdc_map_destroy(cfg);
}

/* A required key set to an empty or whitespace-only value is as missing as
 * an absent one: "connector.class": "" must not pass validation. */
static void test_blank_required(void **state) {
        (void)state;
        static const char *const blanks[] = {"", "   ", "\t \n", NULL};
        for (const char *const *b = blanks; *b; b++) {
                rdc_map_t *cfg = rdc_map_new();
                rdc_map_set(cfg, "file", *b);
                const char *msg = validate(cfg, 1);
                assert_string_equal(msg, "file: Missing required "
                                         "configuration \"file\" which has "
                                         "no default value (the value given "
                                         "is blank).");
                rdc_map_destroy(cfg);
        }
        char reason[256];
        const rdcp_config_def_t *file =
                rdc_configdef_find(defs, DEF_CNT, sizeof(defs[0]), "file");
        assert_int_equal(
                rdc_configdef_check_value(file, " ", reason, sizeof(reason)),
                -1);
        assert_string_equal(reason, "Missing required configuration which has "
                                    "no default value (the value given is "
                                    "blank)");
        /* Every type: a blank required INT says "missing", not "Not a
         * number". */
        static const rdcp_config_def_t int_def = {
                .name = "n", .type = RDCP_CFG_INT, .flags = RDCP_CFGF_REQUIRED};
        assert_int_equal(
                rdc_configdef_check_value(&int_def, "", reason, sizeof(reason)),
                -1);
        assert_contains(reason, "Missing required configuration");
        /* Optional keys may stay blank. */
        rdc_map_t *cfg = rdc_map_new();
        rdc_map_set(cfg, "file", "f");
        rdc_map_set(cfg, "checked", "  ");
        validate(cfg, 0);
        rdc_map_destroy(cfg);
}

static void test_password_and_non_empty(void **state) {
        (void)state;
        rdc_map_t *cfg = rdc_map_new();
        rdc_map_set(cfg, "file", "f");
        rdc_map_set(cfg, "secret", " ");
        const char *msg = validate(cfg, 1);
        /* A password is never echoed back. */
        assert_string_equal(msg, "secret: Invalid value [hidden] for "
                                 "configuration secret: String must be "
                                 "non-empty");
        rdc_map_set(cfg, "secret", "s3cret");
        validate(cfg, 0);
        rdc_map_destroy(cfg);
}

static void test_custom_validator(void **state) {
        (void)state;
        char reason[256];
        const rdcp_config_def_t *custom =
                rdc_configdef_find(defs, DEF_CNT, sizeof(defs[0]), "custom");
        assert_non_null(custom);
        /* Type checks come first: the validator only sees good values. */
        assert_int_equal(rdc_configdef_check_value(custom, "foo", reason,
                                                   sizeof(reason)),
                         -1);
        assert_string_equal(reason, "Not a number of type INT");

        const rdcp_config_def_t *checked =
                rdc_configdef_find(defs, DEF_CNT, sizeof(defs[0]), "checked");
        validator_calls = 0;
        assert_int_equal(
                rdc_configdef_check_value(checked, "x", reason, sizeof(reason)),
                0);
        assert_int_equal(validator_calls, 1);

        static const rdcp_config_def_t str_def = {
                .name = "s", .type = RDCP_CFG_STRING, .validator = reject_foo};
        assert_int_equal(rdc_configdef_check_value(&str_def, "foo", reason,
                                                   sizeof(reason)),
                         -1);
        assert_string_equal(reason, "foo is not allowed here");
        assert_int_equal(rdc_configdef_check_value(&str_def, "bar", reason,
                                                   sizeof(reason)),
                         0);

        rdc_map_t *cfg = rdc_map_new();
        rdc_map_set(cfg, "file", "f");
        rdc_map_set(cfg, "custom", "12");
        validate(cfg, 0);
        rdc_map_destroy(cfg);
}

/* A plugin built against a later minor has bigger definitions: the table
 * must be walked with its def_size, not with sizeof(rdcp_config_def_t). */
struct bigger_def {
        rdcp_config_def_t def;
        uint64_t added_by_a_later_minor[3];
};

static void test_def_size_stride(void **state) {
        (void)state;
        static const struct bigger_def table[] = {
                {.def = {.name = "first",
                         .type = RDCP_CFG_INT,
                         .default_value = "1"},
                 .added_by_a_later_minor = {~0ull, ~0ull, ~0ull}},
                {.def = {.name = "second",
                         .type = RDCP_CFG_BOOLEAN,
                         .flags = RDCP_CFGF_REQUIRED}},
        };
        rdc_map_t *cfg = rdc_map_new();
        rdc_map_set(cfg, "second", "maybe");
        rdc_config_errors_t errs = {0};
        assert_int_equal(rdc_configdef_validate(&table[0].def, 2,
                                                sizeof(table[0]), cfg, 1,
                                                &errs),
                         1);
        assert_string_equal(errs.items[0].key, "second");
        assert_string_equal(rdc_map_get(cfg, "first"), "1");
        rdc_config_errors_clear(&errs);

        const rdcp_config_def_t *found = rdc_configdef_find(
                &table[0].def, 2, sizeof(table[0]), "second");
        assert_ptr_equal(found, &table[1].def);
        assert_null(rdc_configdef_find(&table[0].def, 2, sizeof(table[0]),
                                       "third"));

        /* A table smaller than ABI 1.0's definition is refused. */
        assert_int_equal(
                rdc_configdef_validate(&table[0].def, 2,
                                       offsetof(rdcp_config_def_t, validator),
                                       cfg, 1, &errs),
                1);
        assert_contains(errs.items[0].message, "at least");
        rdc_config_errors_clear(&errs);
        rdc_map_destroy(cfg);
}

static void test_errors_list_and_names(void **state) {
        (void)state;
        rdc_config_errors_t errs = {0};
        char buf[64];
        assert_int_equal(rdc_config_errors_add(&errs, "a", "first %d", 1), 0);
        assert_int_equal(rdc_config_errors_add(&errs, NULL, "global"), 0);
        for (int i = 0; i < 20; i++)
                assert_int_equal(rdc_config_errors_add(&errs, "k", "m%d", i),
                                 0);
        assert_int_equal(errs.cnt, 22);
        rdc_config_errors_format(&errs, buf, sizeof(buf));
        /* Truncated, but still terminated. */
        assert_int_equal(strlen(buf), sizeof(buf) - 1);
        assert_memory_equal(buf, "a: first 1; global; k: m0", 25);
        rdc_config_errors_clear(&errs);
        assert_int_equal(errs.cnt, 0);
        rdc_config_errors_format(&errs, buf, sizeof(buf));
        assert_string_equal(buf, "");

        assert_string_equal(rdc_configdef_type_name(RDCP_CFG_LONG), "LONG");
        assert_string_equal(rdc_configdef_type_name(RDCP_CFG_PASSWORD),
                            "PASSWORD");
        assert_string_equal(rdc_configdef_type_name(RDCP_CFG_SHORT), "SHORT");
        assert_string_equal(rdc_configdef_type_name(99), "UNKNOWN");

        /* SHORT: Kafka's 16-bit type. */
        const rdcp_config_def_t short_def = {.name = "rf",
                                             .type = RDCP_CFG_SHORT};
        char reason[128];
        assert_int_equal(rdc_configdef_check_value(&short_def, "-32768", reason,
                                                   sizeof(reason)),
                         0);
        assert_int_equal(rdc_configdef_check_value(&short_def, "32767", reason,
                                                   sizeof(reason)),
                         0);
        assert_int_equal(rdc_configdef_check_value(&short_def, "32768", reason,
                                                   sizeof(reason)),
                         -1);
        assert_string_equal(reason, "Not a number of type SHORT");
        assert_string_equal(
                rdc_configdef_importance_name(RDCP_IMPORTANCE_MEDIUM),
                "MEDIUM");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_parse_int64),
                cmocka_unit_test(test_parse_bool_double),
                cmocka_unit_test(test_defaults_and_required),
                cmocka_unit_test(test_type_errors),
                cmocka_unit_test(test_ranges),
                cmocka_unit_test(test_lists_and_valid_values),
                cmocka_unit_test(test_password_and_non_empty),
                cmocka_unit_test(test_blank_required),
                cmocka_unit_test(test_custom_validator),
                cmocka_unit_test(test_def_size_stride),
                cmocka_unit_test(test_errors_list_and_names),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
