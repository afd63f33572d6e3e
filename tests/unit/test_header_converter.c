/*
 * Unit tests of the header converters (plugins/converters): the string
 * forms SimpleHeaderConverter writes (Kafka's Values.convertToString) and
 * the types it infers reading them back (Values.parseString), round
 * trips, and StringConverter as a header converter.
 */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "plugins/host.h"
#include "plugins/registry.h"

static rdc_registry_t *reg;

static const rdcp_header_converter_vtable_t *find(const char *name) {
        char errstr[512];
        const rdc_plugin_t *p =
                rdc_registry_find(reg, name, RDCP_PLUGIN_HEADER_CONVERTER,
                                  errstr, sizeof(errstr));
        assert_non_null(p);
        assert_non_null(p->desc->header_converter);
        return p->desc->header_converter;
}

/* from_header of data: the bytes as a NUL-terminated string ("<null>"
 * for a null header). */
static const char *write_header(const rdcp_header_converter_vtable_t *vt,
                                const rdcp_data_t *data, char *out,
                                size_t size) {
        void *conv = NULL;
        rdcp_buf_t buf;
        rdcp_bytes_t bytes;
        char errstr[256] = "";
        rdc_buf_init(&buf);
        assert_int_equal(vt->create(NULL, &rdc_host, NULL, &conv, errstr,
                                    sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(vt->from_header(conv, "t", "h", data, &buf, &bytes,
                                         errstr, sizeof(errstr)),
                         RDCP_OK);
        if (!bytes.ptr)
                snprintf(out, size, "<null>");
        else
                snprintf(out, size, "%.*s", (int)bytes.len,
                         (const char *)bytes.ptr);
        vt->destroy(conv);
        rdc_buf_destroy(&buf);
        return out;
}

static void read_header(const rdcp_header_converter_vtable_t *vt,
                        const char *text, rdcp_arena_t *arena,
                        rdcp_data_t *out) {
        void *conv = NULL;
        char errstr[256] = "";
        assert_int_equal(vt->create(NULL, &rdc_host, NULL, &conv, errstr,
                                    sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(vt->to_header(conv, "t", "h", text,
                                       text ? strlen(text) : 0, arena, out,
                                       errstr, sizeof(errstr)),
                         RDCP_OK);
        vt->destroy(conv);
}

static rdcp_data_t str(const char *s) {
        rdcp_data_t d = {.kind = RDCP_DATA_STRING};
        d.u.bytes.ptr = s;
        d.u.bytes.len = strlen(s);
        return d;
}

static void test_simple_writes_values_forms(void **state) {
        const rdcp_header_converter_vtable_t *vt =
                find("SimpleHeaderConverter");
        static const rdcp_schema_t f32 = {.type = RDCP_SCHEMA_FLOAT32};
        static const rdcp_schema_t f64 = {.type = RDCP_SCHEMA_FLOAT64};
        static const rdcp_schema_t string = {.type = RDCP_SCHEMA_STRING};
        static const rdcp_field_t fields[] = {{"a", &string}, {"b", NULL}};
        static const rdcp_schema_t st = {
                .type = RDCP_SCHEMA_STRUCT, .field_cnt = 2, .fields = fields};
        char out[256];
        (void)state;
        rdcp_data_t d = {.kind = RDCP_DATA_NULL};
        assert_string_equal(write_header(vt, &d, out, sizeof(out)), "<null>");
        d = str("plain \"text\"");
        assert_string_equal(write_header(vt, &d, out, sizeof(out)),
                            "plain \"text\"");
        d = (rdcp_data_t){.kind = RDCP_DATA_BOOL, .u.b = 1};
        assert_string_equal(write_header(vt, &d, out, sizeof(out)), "true");
        d = (rdcp_data_t){.kind = RDCP_DATA_INT, .u.i = -42};
        assert_string_equal(write_header(vt, &d, out, sizeof(out)), "-42");
        d = (rdcp_data_t){.schema = &f64, .kind = RDCP_DATA_FLOAT, .u.f = 1};
        assert_string_equal(write_header(vt, &d, out, sizeof(out)), "1.0");
        d = (rdcp_data_t){.schema = &f32, .kind = RDCP_DATA_FLOAT, .u.f = 0.1f};
        assert_string_equal(write_header(vt, &d, out, sizeof(out)), "0.1");
        d = (rdcp_data_t){.kind = RDCP_DATA_BYTES};
        d.u.bytes.ptr = "hi!?";
        d.u.bytes.len = 4;
        assert_string_equal(write_header(vt, &d, out, sizeof(out)), "aGkhPw==");
        rdcp_data_t elems[4] = {str("x\\y"),
                                {.kind = RDCP_DATA_INT, .u.i = 2},
                                {.kind = RDCP_DATA_NULL},
                                str("q\"")};
        d = (rdcp_data_t){.kind = RDCP_DATA_ARRAY};
        d.u.list.elems = elems;
        d.u.list.cnt = 3;
        assert_string_equal(write_header(vt, &d, out, sizeof(out)),
                            "[\"x\\\\y\",2,null]");
        d.kind = RDCP_DATA_MAP;
        d.u.list.cnt = 4; /* "x\y": 2, null: "q\"" */
        assert_string_equal(write_header(vt, &d, out, sizeof(out)),
                            "{\"x\\\\y\":2,null:\"q\\\"\"}");
        d = (rdcp_data_t){.schema = &st, .kind = RDCP_DATA_STRUCT};
        d.u.list.elems = elems;
        d.u.list.cnt = 2;
        assert_string_equal(write_header(vt, &d, out, sizeof(out)),
                            "{\"a\":\"x\\\\y\",\"b\":2}");
}

static void test_simple_reads_inferred_types(void **state) {
        const rdcp_header_converter_vtable_t *vt =
                find("org.apache.kafka.connect.storage.SimpleHeaderConverter");
        rdcp_arena_t arena;
        rdcp_data_t d;
        static const struct {
                const char *text;
                uint32_t kind, schema;
                int64_t i;
        } ints[] = {
                {"0", RDCP_DATA_INT, RDCP_SCHEMA_INT8, 0},
                {"-128", RDCP_DATA_INT, RDCP_SCHEMA_INT8, -128},
                {"128", RDCP_DATA_INT, RDCP_SCHEMA_INT16, 128},
                {"40000", RDCP_DATA_INT, RDCP_SCHEMA_INT32, 40000},
                {"+3000000000", RDCP_DATA_INT, RDCP_SCHEMA_INT64, 3000000000},
        };
        (void)state;
        rdc_arena_init(&arena);
        for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
                read_header(vt, ints[i].text, &arena, &d);
                assert_int_equal(d.kind, ints[i].kind);
                assert_non_null(d.schema);
                assert_int_equal(d.schema->type, ints[i].schema);
                assert_int_equal(d.u.i, ints[i].i);
        }
        read_header(vt, "1.5", &arena, &d);
        assert_int_equal(d.kind, RDCP_DATA_FLOAT);
        assert_int_equal(d.schema->type, RDCP_SCHEMA_FLOAT32); /* as Kafka */
        assert_true(d.u.f == 1.5);
        read_header(vt, "1e300", &arena, &d);
        assert_int_equal(d.schema->type, RDCP_SCHEMA_FLOAT64);
        read_header(vt, "true", &arena, &d);
        assert_int_equal(d.kind, RDCP_DATA_BOOL);
        assert_int_equal(d.u.b, 1);
        read_header(vt, "null", &arena, &d);
        assert_int_equal(d.kind, RDCP_DATA_NULL);
        read_header(vt, NULL, &arena, &d);
        assert_int_equal(d.kind, RDCP_DATA_NULL);
        static const char *const strings[] = {
                "",  "True", "12abc", "1.2.3", "99999999999999999999",
                "-", "text"};
        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
                read_header(vt, strings[i], &arena, &d);
                assert_int_equal(d.kind, RDCP_DATA_STRING);
                assert_int_equal(d.u.bytes.len, strlen(strings[i]));
                assert_memory_equal(d.u.bytes.ptr, strings[i],
                                    strlen(strings[i]));
        }
        rdc_arena_destroy(&arena);
}

/* Written and read back: the value and the inferred type survive. */
static void test_simple_round_trips(void **state) {
        const rdcp_header_converter_vtable_t *vt =
                find("SimpleHeaderConverter");
        rdcp_arena_t arena;
        char out[64];
        rdcp_data_t back;
        (void)state;
        rdc_arena_init(&arena);
        static const int64_t values[] = {
                0, 1, -1, 127, 32767, -2147483648LL, INT64_MAX, INT64_MIN};
        for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
                rdcp_data_t d = {.kind = RDCP_DATA_INT, .u.i = values[i]};
                read_header(vt, write_header(vt, &d, out, sizeof(out)), &arena,
                            &back);
                assert_int_equal(back.kind, RDCP_DATA_INT);
                assert_int_equal(back.u.i, values[i]);
        }
        rdcp_data_t b = {.kind = RDCP_DATA_BOOL, .u.b = 0};
        read_header(vt, write_header(vt, &b, out, sizeof(out)), &arena, &back);
        assert_int_equal(back.kind, RDCP_DATA_BOOL);
        assert_int_equal(back.u.b, 0);
        rdcp_data_t s = str("hello header");
        read_header(vt, write_header(vt, &s, out, sizeof(out)), &arena, &back);
        assert_int_equal(back.kind, RDCP_DATA_STRING);
        assert_memory_equal(back.u.bytes.ptr, "hello header", 12);
        rdc_arena_destroy(&arena);
}

static void test_string_converter_is_a_header_converter(void **state) {
        const rdcp_header_converter_vtable_t *vt = find("StringConverter");
        rdcp_arena_t arena;
        rdcp_data_t back;
        char out[64];
        (void)state;
        rdc_arena_init(&arena);
        rdcp_data_t d = {.kind = RDCP_DATA_INT, .u.i = 7};
        assert_string_equal(write_header(vt, &d, out, sizeof(out)), "7");
        read_header(vt, "7", &arena, &back); /* always a string */
        assert_int_equal(back.kind, RDCP_DATA_STRING);
        rdc_arena_destroy(&arena);
}

static int setup(void **state) {
        (void)state;
        reg = rdc_registry_new(RDC_TEST_PLUGIN_DIR, NULL);
        return reg ? 0 : -1;
}

static int teardown(void **state) {
        (void)state;
        rdc_registry_destroy(reg);
        return 0;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_simple_writes_values_forms),
                cmocka_unit_test(test_simple_reads_inferred_types),
                cmocka_unit_test(test_simple_round_trips),
                cmocka_unit_test(test_string_converter_is_a_header_converter),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
