/*
 * Unit tests of the converter plugins (String, ByteArray, Json, numbers):
 * loads each built .so, drives it through the real host table, and checks
 * exact bytes against what Apache Kafka's converters write, plus round
 * trips, error messages and zero-copy guarantees.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins/host.h"
#include "core/map.h"

#define DECIMAL_NAME "org.apache.kafka.connect.data.Decimal"

/* One loaded converter instance with its per-record host objects. */
typedef struct conv {
        void *dl;
        const rdcp_descriptor_t *desc;
        void *inst;
        rdcp_ctx_t ctx;
        rdcp_buf_t scratch;
        rdcp_arena_t arena;
        char errstr[512];
} conv_t;

static const rdcp_descriptor_t *load_descriptor(const char *file, void **dl) {
        char path[512];
        rdcp_entry_fn_t entry;
        snprintf(path, sizeof(path), "%s/%s", RDC_TEST_PLUGIN_DIR, file);
        *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!*dl)
                fail_msg("dlopen %s: %s", path, dlerror());
        entry = (rdcp_entry_fn_t)dlsym(*dl, RDCP_ENTRY_SYMBOL);
        assert_non_null(entry);
        return entry();
}

/* Creates an instance; kv is NULL or "key", "value", ..., NULL.
 * @returns create()'s status (the instance is usable on RDCP_OK). */
static rdcp_err_t conv_try_open(conv_t *c, const char *file,
                                const char *const *kv) {
        rdc_map_t *cfg = rdc_map_new();
        rdcp_err_t err;
        memset(c, 0, sizeof(*c));
        assert_non_null(cfg);
        c->desc = load_descriptor(file, &c->dl);
        assert_int_equal(c->desc->type, RDCP_PLUGIN_CONVERTER);
        assert_int_equal(rdc_ctx_init(&c->ctx, "conv-test", -1,
                                      c->desc->class_name, NULL),
                         0);
        assert_int_equal(rdc_map_set(cfg, "converter.type", "value"), 0);
        for (; kv && kv[0]; kv += 2)
                assert_int_equal(rdc_map_set(cfg, kv[0], kv[1]), 0);
        rdc_buf_init(&c->scratch);
        rdc_arena_init(&c->arena);
        err = c->desc->converter->create(&c->ctx, &rdc_host,
                                         rdc_map_as_cconfig(cfg), &c->inst,
                                         c->errstr, sizeof(c->errstr));
        rdc_map_destroy(cfg);
        return err;
}

static void conv_open(conv_t *c, const char *file, const char *const *kv) {
        rdcp_err_t err = conv_try_open(c, file, kv);
        if (err != RDCP_OK)
                fail_msg("create %s: %s", file, c->errstr);
}

static void conv_close(conv_t *c) {
        if (c->inst)
                c->desc->converter->destroy(c->inst);
        rdc_buf_destroy(&c->scratch);
        rdc_arena_destroy(&c->arena);
        rdc_ctx_destroy(&c->ctx);
        dlclose(c->dl);
}

/* One record through from_data, with the scratch buffer reset as the host
 * does per record. */
static rdcp_err_t conv_from(conv_t *c, const rdcp_data_t *data,
                            rdcp_bytes_t *out) {
        rdc_buf_reset(&c->scratch);
        c->errstr[0] = '\0';
        return c->desc->converter->from_data(c->inst, "topic", data,
                                             &c->scratch, out, c->errstr,
                                             sizeof(c->errstr));
}

static rdcp_err_t conv_to(conv_t *c, const void *ptr, size_t len,
                          rdcp_data_t *out) {
        c->errstr[0] = '\0';
        return c->desc->converter->to_data(c->inst, "topic", ptr, len,
                                           &c->arena, out, c->errstr,
                                           sizeof(c->errstr));
}

static rdcp_err_t conv_to_text(conv_t *c, const char *text, rdcp_data_t *out) {
        return conv_to(c, text, strlen(text), out);
}

/* from_data must succeed and give exactly expected (NUL-terminated). */
static void assert_from(conv_t *c, const rdcp_data_t *data,
                        const char *expected) {
        rdcp_bytes_t out;
        rdcp_err_t err = conv_from(c, data, &out);
        if (err != RDCP_OK)
                fail_msg("from_data failed (%d): %s", err, c->errstr);
        assert_non_null(out.ptr);
        if (out.len != strlen(expected) || memcmp(out.ptr, expected, out.len))
                fail_msg("from_data wrote\n  %.*s\nexpected\n  %s",
                         (int)out.len, (const char *)out.ptr, expected);
}

/* The call must fail with RDCP_ERR_DATA and a message containing part. */
static void assert_error_contains(conv_t *c, rdcp_err_t err, const char *part) {
        assert_int_equal(err, RDCP_ERR_DATA);
        if (!strstr(c->errstr, part))
                fail_msg("error \"%s\" does not contain \"%s\"", c->errstr,
                         part);
}

static void assert_from_fails(conv_t *c, const rdcp_data_t *data,
                              const char *part) {
        rdcp_bytes_t out;
        assert_error_contains(c, conv_from(c, data, &out), part);
}

static void assert_to_fails(conv_t *c, const char *text, const char *part) {
        rdcp_data_t out;
        rdcp_err_t err = conv_to_text(c, text, &out);
        if (err != RDCP_ERR_DATA)
                fail_msg("to_data of %s returned %d, not RDCP_ERR_DATA", text,
                         err);
        assert_error_contains(c, err, part);
}

/* -------------------------------------------------- schemas and values */

#define SCHEMA(t, opt)                                                         \
        { .type = (t), .optional = (opt) }
static const rdcp_schema_t s_int8 = SCHEMA(RDCP_SCHEMA_INT8, 0);
static const rdcp_schema_t s_int16 = SCHEMA(RDCP_SCHEMA_INT16, 0);
static const rdcp_schema_t s_int32 = SCHEMA(RDCP_SCHEMA_INT32, 0);
static const rdcp_schema_t s_int64 = SCHEMA(RDCP_SCHEMA_INT64, 0);
static const rdcp_schema_t s_float32 = SCHEMA(RDCP_SCHEMA_FLOAT32, 0);
static const rdcp_schema_t s_float64 = SCHEMA(RDCP_SCHEMA_FLOAT64, 0);
static const rdcp_schema_t s_bool = SCHEMA(RDCP_SCHEMA_BOOLEAN, 0);
static const rdcp_schema_t s_string = SCHEMA(RDCP_SCHEMA_STRING, 0);
static const rdcp_schema_t s_bytes = SCHEMA(RDCP_SCHEMA_BYTES, 0);
static const rdcp_schema_t s_opt_string = SCHEMA(RDCP_SCHEMA_STRING, 1);
static const rdcp_schema_t s_opt_int32 = SCHEMA(RDCP_SCHEMA_INT32, 1);

static rdcp_data_t d_null(const rdcp_schema_t *s) {
        return (rdcp_data_t){.schema = s, .kind = RDCP_DATA_NULL};
}

static rdcp_data_t d_int(const rdcp_schema_t *s, int64_t v) {
        return (rdcp_data_t){.schema = s, .kind = RDCP_DATA_INT, .u.i = v};
}

static rdcp_data_t d_float(const rdcp_schema_t *s, double v) {
        return (rdcp_data_t){.schema = s, .kind = RDCP_DATA_FLOAT, .u.f = v};
}

static rdcp_data_t d_bool(const rdcp_schema_t *s, int v) {
        return (rdcp_data_t){.schema = s, .kind = RDCP_DATA_BOOL, .u.b = v};
}

static rdcp_data_t d_bytes_kind(const rdcp_schema_t *s, uint32_t kind,
                                const void *p, size_t len) {
        rdcp_data_t d = {.schema = s, .kind = kind};
        d.u.bytes.ptr = p;
        d.u.bytes.len = len;
        return d;
}

static rdcp_data_t d_str(const rdcp_schema_t *s, const char *str) {
        return d_bytes_kind(s, RDCP_DATA_STRING, str, strlen(str));
}

static rdcp_data_t d_bytes(const rdcp_schema_t *s, const void *p, size_t len) {
        return d_bytes_kind(s, RDCP_DATA_BYTES, p, len);
}

static rdcp_data_t d_list(const rdcp_schema_t *s, uint32_t kind,
                          const rdcp_data_t *elems, size_t cnt) {
        rdcp_data_t d = {.schema = s, .kind = kind};
        d.u.list.elems = elems;
        d.u.list.cnt = cnt;
        return d;
}

/* ------------------------------------------------------- deep equality */

static int str_eq(const char *a, const char *b) {
        return (!a && !b) || (a && b && !strcmp(a, b));
}

static int schema_equal(const rdcp_schema_t *a, const rdcp_schema_t *b) {
        if (!a || !b)
                return a == b;
        if (a->type != b->type || a->optional != b->optional ||
            !str_eq(a->name, b->name) || a->version != b->version ||
            !str_eq(a->doc, b->doc) || a->field_cnt != b->field_cnt ||
            a->param_cnt != b->param_cnt ||
            !str_eq(a->default_json, b->default_json) ||
            !schema_equal(a->items, b->items) ||
            !schema_equal(a->keys, b->keys) ||
            !schema_equal(a->values, b->values))
                return 0;
        for (uint32_t i = 0; i < a->field_cnt; i++)
                if (strcmp(a->fields[i].name, b->fields[i].name) ||
                    !schema_equal(a->fields[i].schema, b->fields[i].schema))
                        return 0;
        for (uint32_t i = 0; i < a->param_cnt; i++)
                if (strcmp(a->params[i].key, b->params[i].key) ||
                    strcmp(a->params[i].value, b->params[i].value))
                        return 0;
        return 1;
}

static int data_equal(const rdcp_data_t *a, const rdcp_data_t *b) {
        if (a->kind != b->kind || !schema_equal(a->schema, b->schema))
                return 0;
        switch (a->kind) {
        case RDCP_DATA_NULL:
                return 1;
        case RDCP_DATA_BOOL:
                return a->u.b == b->u.b;
        case RDCP_DATA_INT:
                return a->u.i == b->u.i;
        case RDCP_DATA_FLOAT:
                return a->u.f == b->u.f || (isnan(a->u.f) && isnan(b->u.f));
        case RDCP_DATA_STRING:
        case RDCP_DATA_BYTES:
                return a->u.bytes.len == b->u.bytes.len &&
                       (a->u.bytes.len == 0 ||
                        !memcmp(a->u.bytes.ptr, b->u.bytes.ptr,
                                a->u.bytes.len));
        default:
                if (a->u.list.cnt != b->u.list.cnt)
                        return 0;
                for (size_t i = 0; i < a->u.list.cnt; i++)
                        if (!data_equal(&a->u.list.elems[i],
                                        &b->u.list.elems[i]))
                                return 0;
                return 1;
        }
}

/* to_data(from_data(data)) must give data back. */
static void assert_round_trip(conv_t *c, const rdcp_data_t *data) {
        rdcp_bytes_t bytes;
        rdcp_data_t back;
        assert_int_equal(conv_from(c, data, &bytes), RDCP_OK);
        if (conv_to(c, bytes.ptr, bytes.len, &back) != RDCP_OK)
                fail_msg("to_data of %.*s: %s", (int)bytes.len,
                         (const char *)bytes.ptr, c->errstr);
        if (!data_equal(data, &back))
                fail_msg("round trip through %.*s changed the data",
                         (int)bytes.len, (const char *)bytes.ptr);
}

/* from_data(to_data(text)) must give text back, byte for byte. */
static void assert_text_round_trip(conv_t *c, const char *text) {
        rdcp_data_t data;
        if (conv_to_text(c, text, &data) != RDCP_OK)
                fail_msg("to_data of %s: %s", text, c->errstr);
        assert_from(c, &data, text);
}

static const char *const schemas_off[] = {"schemas.enable", "false", NULL};

/* Round trip through a JsonConverter with schemas, which keeps them. */
static void assert_json_round_trip(const rdcp_data_t *data) {
        conv_t c;
        conv_open(&c, "json-converter.so", NULL);
        assert_round_trip(&c, data);
        conv_close(&c);
}

/* ------------------------------------------------------------- plugins */

static void test_descriptors(void **state) {
        static const struct {
                const char *file, *class_name, *alias;
        } plugins[] = {
                {"string-converter.so",
                 "org.apache.kafka.connect.storage.StringConverter",
                 "StringConverter"},
                {"json-converter.so",
                 "org.apache.kafka.connect.json.JsonConverter",
                 "JsonConverter"},
                {"bytearray-converter.so",
                 "org.apache.kafka.connect.converters.ByteArrayConverter",
                 "ByteArrayConverter"},
                {"short-converter.so",
                 "org.apache.kafka.connect.converters.ShortConverter",
                 "ShortConverter"},
                {"integer-converter.so",
                 "org.apache.kafka.connect.converters.IntegerConverter",
                 "IntegerConverter"},
                {"long-converter.so",
                 "org.apache.kafka.connect.converters.LongConverter",
                 "LongConverter"},
                {"float-converter.so",
                 "org.apache.kafka.connect.converters.FloatConverter",
                 "FloatConverter"},
                {"double-converter.so",
                 "org.apache.kafka.connect.converters.DoubleConverter",
                 "DoubleConverter"},
        };
        (void)state;
        for (size_t i = 0; i < sizeof(plugins) / sizeof(plugins[0]); i++) {
                void *dl;
                const rdcp_descriptor_t *d =
                        load_descriptor(plugins[i].file, &dl);
                assert_int_equal(d->magic, RDCP_MAGIC);
                assert_int_equal(d->abi_major, RDCP_ABI_MAJOR);
                assert_int_equal(d->type, RDCP_PLUGIN_CONVERTER);
                assert_string_equal(d->class_name, plugins[i].class_name);
                assert_string_equal(d->aliases[0], plugins[i].alias);
                assert_null(d->aliases[1]);
                assert_non_null(d->converter);
                assert_true(d->config_def_cnt >= 1);
                assert_string_equal(d->config_defs[0].name, "converter.type");
                dlclose(dl);
        }
}

static const rdcp_config_def_t *find_def(const rdcp_descriptor_t *d,
                                         const char *name) {
        for (uint32_t i = 0; i < d->config_def_cnt; i++)
                if (!strcmp(d->config_defs[i].name, name))
                        return &d->config_defs[i];
        fail_msg("no config definition %s", name);
        return NULL;
}

static void test_config_defs(void **state) {
        static const struct {
                const char *name, *dflt;
                uint32_t type;
        } json_defs[] = {
                {"schemas.enable", "true", RDCP_CFG_BOOLEAN},
                {"schemas.cache.size", "1000", RDCP_CFG_INT},
                {"decimal.format", "BASE64", RDCP_CFG_STRING},
                {"replace.null.with.default", "true", RDCP_CFG_BOOLEAN},
        };
        void *dl;
        const rdcp_descriptor_t *d;
        const rdcp_config_def_t *def;
        char errstr[256];
        (void)state;

        d = load_descriptor("json-converter.so", &dl);
        for (size_t i = 0; i < sizeof(json_defs) / sizeof(json_defs[0]); i++) {
                def = find_def(d, json_defs[i].name);
                assert_string_equal(def->default_value, json_defs[i].dflt);
                assert_int_equal(def->type, json_defs[i].type);
        }
        def = find_def(d, "decimal.format");
        assert_non_null(def->validator);
        assert_int_equal(
                def->validator(def->name, "numeric", errstr, sizeof(errstr)),
                RDCP_OK);
        assert_int_equal(
                def->validator(def->name, "HEX", errstr, sizeof(errstr)),
                RDCP_ERR_CONFIG);
        dlclose(dl);

        d = load_descriptor("string-converter.so", &dl);
        def = find_def(d, "converter.encoding");
        assert_string_equal(def->default_value, "UTF-8");
        dlclose(dl);
}

/* ------------------------------------------------------- JsonConverter */

static void test_json_string_envelope(void **state) {
        conv_t c;
        rdcp_data_t d = d_str(&s_string, "hello");
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        assert_from(&c, &d,
                    "{\"schema\":{\"type\":\"string\",\"optional\":false},"
                    "\"payload\":\"hello\"}");
        conv_close(&c);

        conv_open(&c, "json-converter.so", schemas_off);
        assert_from(&c, &d, "\"hello\"");
        conv_close(&c);
}

static void test_json_primitives(void **state) {
        static const uint8_t raw[] = {'h', 'e', 'l', 'l', 'o', 0xff};
        const struct {
                rdcp_data_t data;
                const char *schema, *payload;
        } cases[] = {
                {d_int(&s_int8, -128), "int8", "-128"},
                {d_int(&s_int16, 32767), "int16", "32767"},
                {d_int(&s_int32, -2147483648LL), "int32", "-2147483648"},
                {d_int(&s_int64, INT64_MIN), "int64", "-9223372036854775808"},
                {d_float(&s_float32, 1.5), "float", "1.5"},
                {d_float(&s_float32, (float)0.1), "float", "0.1"},
                {d_float(&s_float64, 0.1), "double", "0.1"},
                {d_float(&s_float64, 1.0), "double", "1.0"},
                {d_bool(&s_bool, 1), "boolean", "true"},
                {d_bool(&s_bool, 0), "boolean", "false"},
                {d_bytes(&s_bytes, raw, 6), "bytes", "\"aGVsbG//\""},
                {d_bytes(&s_bytes, raw, 5), "bytes", "\"aGVsbG8=\""},
                {d_bytes(&s_bytes, raw, 4), "bytes", "\"aGVsbA==\""},
                {d_bytes(&s_bytes, "", 0), "bytes", "\"\""},
                {d_str(&s_string, ""), "string", "\"\""},
        };
        conv_t c;
        char expected[256];
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                snprintf(expected, sizeof(expected),
                         "{\"schema\":{\"type\":\"%s\",\"optional\":false},"
                         "\"payload\":%s}",
                         cases[i].schema, cases[i].payload);
                assert_from(&c, &cases[i].data, expected);
                assert_round_trip(&c, &cases[i].data);
        }
        conv_close(&c);
}

static void test_json_floats(void **state) {
        const struct {
                double value;
                int single;
                const char *text;
        } cases[] = {
                {1.0, 0, "1.0"},
                {0.1, 0, "0.1"},
                {100.0, 0, "100.0"},
                {-2.5, 0, "-2.5"},
                {0.001, 0, "0.001"},
                {0.0001, 0, "1.0E-4"},
                {1234567.0, 0, "1234567.0"},
                {1e7, 0, "1.0E7"},
                {12345678.9, 0, "1.23456789E7"},
                {1.0 / 3, 0, "0.3333333333333333"},
                {2.0 / 3, 0, "0.6666666666666666"},
                {1.7976931348623157e308, 0, "1.7976931348623157E308"},
                {123456789012.0, 0, "1.23456789012E11"},
                {1e-10, 0, "1.0E-10"},
                {0.0, 0, "0.0"},
                {-0.0, 0, "-0.0"},
                {(float)0.1, 0, "0.10000000149011612"},
                {NAN, 0, "\"NaN\""},
                {INFINITY, 0, "\"Infinity\""},
                {-INFINITY, 0, "\"-Infinity\""},
                {(float)0.1, 1, "0.1"},
                {(float)3.4028234663852886e38, 1, "3.4028235E38"},
                {(float)1e10, 1, "1.0E10"},
                {(float)123.456, 1, "123.456"},
                {(float)1.17549435e-38, 1, "1.1754944E-38"},
        };
        conv_t c;
        (void)state;
        conv_open(&c, "json-converter.so", schemas_off);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                rdcp_data_t d =
                        d_float(cases[i].single ? &s_float32 : &s_float64,
                                cases[i].value);
                assert_from(&c, &d, cases[i].text);
        }
        conv_close(&c);
}

static void test_json_escaping(void **state) {
        conv_t c;
        rdcp_data_t d = d_str(&s_string, "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f"
                                         "\xc3\xa9\xe2\x82\xac"
                                         "\xf0\x9f\x98\x80");
        (void)state;
        conv_open(&c, "json-converter.so", schemas_off);
        assert_from(&c, &d,
                    "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001F\x7f"
                    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
        conv_close(&c);
        assert_json_round_trip(&d);
}

/* Jackson's escape of one byte, the reference for the test below. */
static size_t jackson_escape(unsigned char c, char *out) {
        static const char hex[] = "0123456789ABCDEF";
        const char *two = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                                      : NULL;
        if (two) {
                memcpy(out, two, 2);
                return 2;
        }
        if (c < 0x20) {
                memcpy(out, "\\u00", 4);
                out[4] = hex[c >> 4];
                out[5] = hex[c & 0xf];
                return 6;
        }
        out[0] = (char)c;
        return 1;
}

/* Every byte value at every position of a word-sized window: the encoder
 * skips plain text eight bytes at a time and must not miss one. */
static void test_json_escaping_every_byte(void **state) {
        enum { LEN = 19 };
        char text[LEN], expected[LEN * 6 + 3];
        conv_t c;
        (void)state;
        conv_open(&c, "json-converter.so", schemas_off);
        for (int byte = 0; byte < 256; byte++) {
                for (size_t at = 0; at < LEN; at++) {
                        size_t n = 0;
                        memset(text, 'a' + (int)(at % 26), LEN);
                        text[at] = (char)byte;
                        expected[n++] = '"';
                        for (size_t i = 0; i < LEN; i++)
                                n += jackson_escape((unsigned char)text[i],
                                                    expected + n);
                        expected[n++] = '"';
                        expected[n] = '\0';
                        rdcp_data_t d = d_bytes_kind(
                                &s_string, RDCP_DATA_STRING, text, LEN);
                        assert_from(&c, &d, expected);
                }
        }
        conv_close(&c);
}

/* Strings longer than the writer's chunk, with escapes spread over it. */
static void test_json_long_string(void **state) {
        enum { LEN = 10000 };
        char *text = malloc(LEN + 1), *expected = malloc(2 * LEN + 3);
        size_t n = 0;
        conv_t c;
        rdcp_data_t d;
        (void)state;
        assert_non_null(text);
        assert_non_null(expected);
        expected[n++] = '"';
        for (size_t i = 0; i < LEN; i++) {
                text[i] = i % 97 == 0 ? '"' : (char)('a' + i % 26);
                if (text[i] == '"')
                        expected[n++] = '\\';
                expected[n++] = text[i];
        }
        text[LEN] = '\0';
        expected[n++] = '"';
        expected[n] = '\0';
        d = d_str(&s_string, text);
        conv_open(&c, "json-converter.so", schemas_off);
        assert_from(&c, &d, expected);
        conv_close(&c);
        assert_json_round_trip(&d);
        free(text);
        free(expected);
}

static void test_json_nulls(void **state) {
        static const rdcp_schema_t with_default = {.type = RDCP_SCHEMA_INT32,
                                                   .default_json = "42"};
        static const char *const no_replace[] = {"replace.null.with.default",
                                                 "false", NULL};
        conv_t c;
        rdcp_bytes_t out;
        rdcp_data_t d;
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        /* No schema, no value: a Kafka null (tombstone). */
        d = d_null(NULL);
        assert_int_equal(conv_from(&c, &d, &out), RDCP_OK);
        assert_null(out.ptr);
        assert_int_equal(conv_from(&c, NULL, &out), RDCP_OK);
        assert_null(out.ptr);
        d = d_null(&s_opt_string);
        assert_from(&c, &d,
                    "{\"schema\":{\"type\":\"string\",\"optional\":true},"
                    "\"payload\":null}");
        assert_round_trip(&c, &d);
        d = d_null(&s_string);
        assert_from_fails(&c, &d, "null value for field that is required");
        d = d_null(&with_default);
        assert_from(&c, &d,
                    "{\"schema\":{\"type\":\"int32\",\"optional\":false,"
                    "\"default\":42},\"payload\":42}");
        conv_close(&c);

        conv_open(&c, "json-converter.so", no_replace);
        assert_from_fails(&c, &d, "required");
        conv_close(&c);

        conv_open(&c, "json-converter.so", schemas_off);
        d = d_null(&s_opt_string);
        assert_from(&c, &d, "null");
        conv_close(&c);
}

/* A struct with every kind of child, named, versioned and documented. */
static const rdcp_schema_t s_tags = {.type = RDCP_SCHEMA_ARRAY,
                                     .items = &s_int64};
static const rdcp_schema_t s_attrs = {
        .type = RDCP_SCHEMA_MAP, .keys = &s_string, .values = &s_bool};
static const rdcp_schema_t s_ids = {
        .type = RDCP_SCHEMA_MAP, .keys = &s_int32, .values = &s_string};
static const rdcp_field_t person_fields[] = {
        {"name", &s_string}, {"age", &s_opt_int32}, {"tags", &s_tags},
        {"attrs", &s_attrs}, {"ids", &s_ids},
};
static const rdcp_param_t person_params[] = {{"k", "v"}, {"a", "b"}};
static const rdcp_schema_t s_person = {
        .type = RDCP_SCHEMA_STRUCT,
        .name = "com.example.Person",
        .version = 2,
        .doc = "A \"person\"",
        .fields = person_fields,
        .field_cnt = 5,
        .params = person_params,
        .param_cnt = 2,
};

#define PERSON_SCHEMA_JSON                                                     \
        "{\"type\":\"struct\",\"fields\":["                                    \
        "{\"type\":\"string\",\"optional\":false,\"field\":\"name\"},"         \
        "{\"type\":\"int32\",\"optional\":true,\"field\":\"age\"},"            \
        "{\"type\":\"array\",\"items\":{\"type\":\"int64\","                   \
        "\"optional\":false},\"optional\":false,\"field\":\"tags\"},"          \
        "{\"type\":\"map\",\"keys\":{\"type\":\"string\",\"optional\":false}," \
        "\"values\":{\"type\":\"boolean\",\"optional\":false},"                \
        "\"optional\":false,\"field\":\"attrs\"},"                             \
        "{\"type\":\"map\",\"keys\":{\"type\":\"int32\",\"optional\":false},"  \
        "\"values\":{\"type\":\"string\",\"optional\":false},"                 \
        "\"optional\":false,\"field\":\"ids\"}],"                              \
        "\"optional\":false,\"name\":\"com.example.Person\",\"version\":2,"    \
        "\"doc\":\"A "                                                         \
        "\\\"person\\\"\",\"parameters\":{\"k\":\"v\",\"a\":\"b\"}}"

static void test_json_nested(void **state) {
        const rdcp_data_t tags[] = {d_int(&s_int64, 1), d_int(&s_int64, 2)};
        const rdcp_data_t attrs[] = {d_str(&s_string, "x"), d_bool(&s_bool, 1)};
        const rdcp_data_t ids[] = {d_int(&s_int32, 7),
                                   d_str(&s_string, "seven")};
        const rdcp_data_t fields[] = {
                d_str(&s_string, "Ann"),
                d_null(&s_opt_int32),
                d_list(&s_tags, RDCP_DATA_ARRAY, tags, 2),
                d_list(&s_attrs, RDCP_DATA_MAP, attrs, 2),
                d_list(&s_ids, RDCP_DATA_MAP, ids, 2),
        };
        rdcp_data_t person = d_list(&s_person, RDCP_DATA_STRUCT, fields, 5);
        conv_t c;
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        assert_from(&c, &person,
                    "{\"schema\":" PERSON_SCHEMA_JSON ",\"payload\":"
                    "{\"name\":\"Ann\",\"age\":null,\"tags\":[1,2],"
                    "\"attrs\":{\"x\":true},\"ids\":[[7,\"seven\"]]}}");
        assert_round_trip(&c, &person);
        conv_close(&c);

        conv_open(&c, "json-converter.so", schemas_off);
        assert_from(&c, &person,
                    "{\"name\":\"Ann\",\"age\":null,\"tags\":[1,2],"
                    "\"attrs\":{\"x\":true},\"ids\":[[7,\"seven\"]]}");
        conv_close(&c);
}

static void test_json_schemaless(void **state) {
        const rdcp_data_t list[] = {d_bool(NULL, 1), d_null(NULL),
                                    d_float(NULL, 2.5)};
        const rdcp_data_t map[] = {
                d_str(NULL, "a"),
                d_int(NULL, 1),
                d_str(NULL, "b"),
                d_list(NULL, RDCP_DATA_ARRAY, list, 3),
        };
        const rdcp_data_t int_keys[] = {d_int(NULL, 1), d_str(NULL, "x")};
        const rdcp_data_t no_schema_struct =
                d_list(NULL, RDCP_DATA_STRUCT, list, 3);
        rdcp_data_t d;
        conv_t c;
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        d = d_list(NULL, RDCP_DATA_MAP, map, 4);
        assert_from(&c, &d,
                    "{\"schema\":null,\"payload\":"
                    "{\"a\":1,\"b\":[true,null,2.5]}}");
        assert_round_trip(&c, &d);
        d = d_list(NULL, RDCP_DATA_MAP, int_keys, 2);
        assert_from(&c, &d, "{\"schema\":null,\"payload\":[[1,\"x\"]]}");
        d = d_bytes(NULL, "hi", 2);
        assert_from(&c, &d, "{\"schema\":null,\"payload\":\"aGk=\"}");
        assert_from_fails(&c, &no_schema_struct, "Mismatching schema");
        conv_close(&c);

        conv_open(&c, "json-converter.so", schemas_off);
        d = d_list(NULL, RDCP_DATA_MAP, map, 4);
        assert_from(&c, &d, "{\"a\":1,\"b\":[true,null,2.5]}");
        assert_round_trip(&c, &d);
        d = d_int(NULL, -7);
        assert_from(&c, &d, "-7");
        assert_round_trip(&c, &d);
        conv_close(&c);
}

static void test_json_type_mismatch(void **state) {
        rdcp_data_t d = d_str(&s_int32, "12");
        conv_t c;
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        assert_from_fails(&c, &d, "Invalid type for INT32: string");
        d = d_int(&s_string, 1);
        assert_from_fails(&c, &d, "Invalid type for STRING: integer");
        conv_close(&c);
}

static const rdcp_param_t scale2[] = {{"scale", "2"}};
static const rdcp_param_t scale10[] = {{"scale", "10"}};
static const rdcp_schema_t s_decimal2 = {.type = RDCP_SCHEMA_BYTES,
                                         .name = DECIMAL_NAME,
                                         .version = 1,
                                         .params = scale2,
                                         .param_cnt = 1};
static const rdcp_schema_t s_decimal10 = {.type = RDCP_SCHEMA_BYTES,
                                          .name = DECIMAL_NAME,
                                          .params = scale10,
                                          .param_cnt = 1};

static void test_json_decimal(void **state) {
        static const uint8_t v256[] = {0x01, 0x00};
        static const uint8_t minus1[] = {0xff};
        static const uint8_t v123[] = {0x7b};
        static const uint8_t big[] = {0x00, 0x80, 0, 0, 0, 0, 0, 0, 0};
        static const char *const numeric[] = {"decimal.format", "NUMERIC",
                                              NULL};
        static const char *const numeric_off[] = {
                "decimal.format", "numeric", "schemas.enable", "false", NULL};
        rdcp_data_t d = d_bytes(&s_decimal2, v256, 2), back;
        conv_t c;
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        assert_from(&c, &d,
                    "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
                    "\"name\":\"" DECIMAL_NAME "\",\"version\":1,"
                    "\"parameters\":{\"scale\":\"2\"}},\"payload\":\"AQA=\"}");
        assert_round_trip(&c, &d);
        conv_close(&c);

        conv_open(&c, "json-converter.so", numeric);
        assert_from(&c, &d,
                    "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
                    "\"name\":\"" DECIMAL_NAME "\",\"version\":1,"
                    "\"parameters\":{\"scale\":\"2\"}},\"payload\":2.56}");
        assert_round_trip(&c, &d);
        conv_close(&c);

        conv_open(&c, "json-converter.so", numeric_off);
        d = d_bytes(&s_decimal2, minus1, 1);
        assert_from(&c, &d, "-0.01");
        d = d_bytes(&s_decimal10, v123, 1);
        assert_from(&c, &d, "1.23E-8");
        d = d_bytes(&s_decimal2, big, sizeof(big));
        assert_from(&c, &d, "92233720368547758.08");
        conv_close(&c);

        /* Numbers in, at the schema's scale. */
        conv_open(&c, "json-converter.so", numeric);
        assert_text_round_trip(
                &c, "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
                    "\"name\":\"" DECIMAL_NAME "\",\"parameters\":"
                    "{\"scale\":\"2\"}},\"payload\":-0.01}");
        assert_text_round_trip(
                &c, "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
                    "\"name\":\"" DECIMAL_NAME "\",\"parameters\":"
                    "{\"scale\":\"2\"}},\"payload\":-128.00}");
        assert_to_fails(&c,
                        "{\"schema\":{\"type\":\"bytes\",\"optional\":false,"
                        "\"name\":\"" DECIMAL_NAME "\",\"parameters\":"
                        "{\"scale\":\"2\"}},\"payload\":1.234}",
                        "cannot be represented with scale 2");
        /* 1.5 at scale 2 is 150: 0x00 0x96 (0x96 alone would be < 0). */
        assert_int_equal(
                conv_to_text(&c,
                             "{\"schema\":{\"type\":\"bytes\",\"name\":"
                             "\"" DECIMAL_NAME "\",\"parameters\":"
                             "{\"scale\":\"2\"}},\"payload\":1.5}",
                             &back),
                RDCP_OK);
        assert_int_equal(back.kind, RDCP_DATA_BYTES);
        assert_int_equal(back.u.bytes.len, 2);
        assert_memory_equal(back.u.bytes.ptr, "\x00\x96", 2);
        conv_close(&c);

        /* What NUMERIC writes, it reads: the extremes of the 128-byte
         * unscaled range print with 308 and 309 digits (found by
         * tests/fuzz/fuzz_json: the reader stopped at 300). */
        conv_open(&c, "json-converter.so", numeric);
        {
                uint8_t extreme[128];

                extreme[0] = 0x7f;
                memset(extreme + 1, 0xff, sizeof(extreme) - 1);
                d = d_bytes(&s_decimal2, extreme, sizeof(extreme));
                assert_round_trip(&c, &d);
                extreme[0] = 0x80;
                memset(extreme + 1, 0, sizeof(extreme) - 1);
                d = d_bytes(&s_decimal2, extreme, sizeof(extreme));
                assert_round_trip(&c, &d);
                /* Exponents past any long (found by tests/fuzz: the
                 * scale was added to a saturated strtol result). */
                assert_to_fails(&c,
                                "{\"schema\":{\"type\":\"bytes\",\"name\":"
                                "\"" DECIMAL_NAME "\",\"parameters\":"
                                "{\"scale\":\"8\"}},\"payload\":"
                                "1e39223372036854775808094}",
                                "has more than 310 digits");
                assert_to_fails(&c,
                                "{\"schema\":{\"type\":\"bytes\",\"name\":"
                                "\"" DECIMAL_NAME "\",\"parameters\":"
                                "{\"scale\":\"-8\"}},\"payload\":"
                                "1e-39223372036854775808094}",
                                "cannot be represented with scale -8");
                /* 10^308 is past the largest 128-byte value (about
                 * 8.99E+307): refused on input. */
                assert_to_fails(&c,
                                "{\"schema\":{\"type\":\"bytes\",\"name\":"
                                "\"" DECIMAL_NAME "\",\"parameters\":"
                                "{\"scale\":\"0\"}},\"payload\":1E+308}",
                                "more than 128 bytes");
        }
        conv_close(&c);

        /* As Kafka's Decimal.toLogical: without a valid scale there is no
         * value, whatever the format (found by tests/fuzz/fuzz_json: the
         * value was accepted and could not be written again). */
        conv_open(&c, "json-converter.so", NULL);
        assert_to_fails(&c,
                        "{\"schema\":{\"type\":\"bytes\",\"name\":"
                        "\"" DECIMAL_NAME "\"},\"payload\":\"AHs=\"}",
                        "scale parameter not found");
        assert_to_fails(&c,
                        "{\"schema\":{\"type\":\"bytes\",\"name\":"
                        "\"" DECIMAL_NAME "\",\"parameters\":"
                        "{\"scale\":\"two\"}},\"payload\":\"AHs=\"}",
                        "scale parameter not found");
        conv_close(&c);
}

static void test_json_to_data(void **state) {
        static const char *const no_replace[] = {"replace.null.with.default",
                                                 "false", NULL};
        conv_t c;
        rdcp_data_t d;
        const rdcp_data_t *e;
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        assert_int_equal(
                conv_to_text(&c,
                             "{\"schema\":{\"type\":\"string\","
                             "\"optional\":false},\"payload\":\"hello\"}",
                             &d),
                RDCP_OK);
        assert_int_equal(d.kind, RDCP_DATA_STRING);
        assert_non_null(d.schema);
        assert_int_equal(d.schema->type, RDCP_SCHEMA_STRING);
        assert_false(d.schema->optional);
        assert_int_equal(d.u.bytes.len, 5);
        assert_memory_equal(d.u.bytes.ptr, "hello", 5);

        /* Kafka null in, null data without schema out. */
        assert_int_equal(conv_to(&c, NULL, 0, &d), RDCP_OK);
        assert_int_equal(d.kind, RDCP_DATA_NULL);
        assert_null(d.schema);

        /* A missing struct field reads as its default. */
        assert_int_equal(
                conv_to_text(&c,
                             "{\"schema\":{\"type\":\"struct\",\"fields\":["
                             "{\"type\":\"int32\",\"optional\":false,"
                             "\"default\":5,\"field\":\"n\"}],"
                             "\"optional\":false},\"payload\":{}}",
                             &d),
                RDCP_OK);
        assert_int_equal(d.kind, RDCP_DATA_STRUCT);
        assert_int_equal(d.u.list.cnt, 1);
        assert_int_equal(d.u.list.elems[0].kind, RDCP_DATA_INT);
        assert_int_equal(d.u.list.elems[0].u.i, 5);
        assert_string_equal(d.schema->fields[0].schema->default_json, "5");
        /* Envelope with null schema and null payload: null data. */
        assert_int_equal(
                conv_to_text(&c, "{\"schema\":null,\"payload\":null}", &d),
                RDCP_OK);
        assert_int_equal(d.kind, RDCP_DATA_NULL);
        assert_null(d.schema);
        conv_close(&c);

        /* Without replacement, a null optional field with a default stays
         * null. */
        conv_open(&c, "json-converter.so", no_replace);
        assert_int_equal(
                conv_to_text(&c,
                             "{\"schema\":{\"type\":\"int32\",\"optional\":"
                             "true,\"default\":5},\"payload\":null}",
                             &d),
                RDCP_OK);
        assert_int_equal(d.kind, RDCP_DATA_NULL);
        conv_close(&c);

        conv_open(&c, "json-converter.so", schemas_off);
        assert_int_equal(conv_to_text(&c,
                                      " {\"a\":1,\"b\":[1.5,\"x\",null],"
                                      "\"c\":{\"d\":true}} \n",
                                      &d),
                         RDCP_OK);
        assert_int_equal(d.kind, RDCP_DATA_MAP);
        assert_null(d.schema);
        assert_int_equal(d.u.list.cnt, 6);
        e = d.u.list.elems;
        assert_memory_equal(e[0].u.bytes.ptr, "a", 1);
        assert_int_equal(e[1].kind, RDCP_DATA_INT);
        assert_int_equal(e[3].kind, RDCP_DATA_ARRAY);
        assert_int_equal(e[3].u.list.cnt, 3);
        assert_int_equal(e[3].u.list.elems[0].kind, RDCP_DATA_FLOAT);
        assert_true(e[3].u.list.elems[0].u.f == 1.5);
        assert_int_equal(e[3].u.list.elems[2].kind, RDCP_DATA_NULL);
        assert_int_equal(e[5].kind, RDCP_DATA_MAP);
        /* A bare number at the very end of the input. */
        assert_int_equal(conv_to_text(&c, "123", &d), RDCP_OK);
        assert_int_equal(d.kind, RDCP_DATA_INT);
        assert_int_equal(d.u.i, 123);
        /* No JSON value at all: null, as Jackson's missing node. */
        assert_int_equal(conv_to_text(&c, "", &d), RDCP_OK);
        assert_int_equal(d.kind, RDCP_DATA_NULL);
        conv_close(&c);
}

static void test_json_text_round_trips(void **state) {
        static const char *const texts[] = {
                "{\"schema\":" PERSON_SCHEMA_JSON ",\"payload\":"
                "{\"name\":\"Ann\",\"age\":31,\"tags\":[],"
                "\"attrs\":{},\"ids\":[[1,\"a\"],[-2,\"\\u0000\"]]}}",
                "{\"schema\":{\"type\":\"array\",\"items\":{\"type\":"
                "\"double\",\"optional\":true},\"optional\":true,"
                "\"default\":[1.5,null]},\"payload\":[0.1,null,1.0E-7]}",
                "{\"schema\":{\"type\":\"float\",\"optional\":false},"
                "\"payload\":3.4028235E38}",
                "{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":"
                "\"string\",\"optional\":true,\"default\":\"d\","
                "\"field\":\"s\"}],\"optional\":false,\"version\":7},"
                "\"payload\":{\"s\":\"d\"}}",
                "{\"schema\":null,\"payload\":{\"k\":[1,2.5,\"x\",false]}}",
                "{\"schema\":{\"type\":\"int64\",\"optional\":false,"
                "\"name\":\"org.apache.kafka.connect.data.Timestamp\","
                "\"version\":1},\"payload\":1700000000000}",
        };
        conv_t c;
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
                assert_text_round_trip(&c, texts[i]);
        conv_close(&c);
}

static void test_json_to_data_errors(void **state) {
        static const char *const envelope_msg =
                "JsonConverter with schemas.enable requires \"schema\" and "
                "\"payload\" fields and may not contain additional fields. "
                "If you are trying to deserialize plain JSON data, set "
                "schemas.enable=false in your converter configuration.";
        static const struct {
                const char *text, *part;
        } cases[] = {
                {"{\"payload\":1}", "requires \"schema\" and \"payload\""},
                {"{\"schema\":null,\"payload\":1,\"x\":2}", "additional"},
                {"[1,2]", "requires \"schema\""},
                {"\"plain\"", "requires \"schema\""},
                {"", "requires \"schema\""},
                {"{\"schema\":", "Converting byte[] to Kafka Connect data "
                                 "failed due to serialization error: "},
                {"{\"schema\":null,\"payload\":1} x", "serialization error"},
                {"{\"schema\":null,\"payload\":\"\xff\"}",
                 "serialization error"},
                {"{\"schema\":{\"type\":\"int32\",\"optional\":false},"
                 "\"payload\":\"x\"}",
                 "Invalid JSON value for INT32 schema: found STRING"},
                {"{\"schema\":{\"type\":\"int8\",\"optional\":false},"
                 "\"payload\":300}",
                 "out of range for INT8"},
                {"{\"schema\":{\"type\":\"string\",\"optional\":false},"
                 "\"payload\":null}",
                 "Invalid null value for required STRING field"},
                {"{\"schema\":{\"type\":\"bytes\",\"optional\":false},"
                 "\"payload\":\"!!\"}",
                 "Invalid bytes field"},
                {"{\"schema\":{\"optional\":false},\"payload\":1}",
                 "Schema must contain 'type' field"},
                {"{\"schema\":{\"type\":\"int128\"},\"payload\":1}",
                 "Unknown schema type: int128"},
                {"{\"schema\":{\"type\":\"array\"},\"payload\":[]}",
                 "Array schema did not specify the element type"},
                {"{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":"
                 "\"string\"}},\"payload\":{}}",
                 "Map schema did not specify the value type"},
                {"{\"schema\":{\"type\":\"struct\",\"fields\":{}},"
                 "\"payload\":{}}",
                 "\"fields\" argument is not an array"},
                {"{\"schema\":{\"type\":\"struct\",\"fields\":[{\"type\":"
                 "\"int8\"}]},\"payload\":{}}",
                 "field name not specified properly"},
                {"{\"schema\":{\"type\":\"struct\",\"fields\":[]},"
                 "\"payload\":[]}",
                 "Structs should be encoded as JSON objects, but found "
                 "ARRAY"},
                {"{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":"
                 "\"string\"},\"values\":{\"type\":\"int8\"}},"
                 "\"payload\":[]}",
                 "Maps with string fields should be encoded as JSON "
                 "objects"},
                {"{\"schema\":{\"type\":\"map\",\"keys\":{\"type\":"
                 "\"int8\"},\"values\":{\"type\":\"int8\"}},"
                 "\"payload\":[[1]]}",
                 "expected length 2"},
                {"{\"schema\":{\"type\":\"string\",\"parameters\":"
                 "{\"a\":1}},\"payload\":\"x\"}",
                 "Schema parameters must have string values."},
        };
        conv_t c;
        (void)state;
        conv_open(&c, "json-converter.so", NULL);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                assert_to_fails(&c, cases[i].text, cases[i].part);
        assert_to_fails(&c, "{}", envelope_msg);
        conv_close(&c);

        conv_open(&c, "json-converter.so", schemas_off);
        assert_to_fails(&c, "{\"a\":", "serialization error");
        assert_to_fails(&c, "nul", "serialization error");
        conv_close(&c);
}

/* NaN and the infinities are written as Jackson writes them, quoted; the
 * reader takes those three strings back for float schemas (found by
 * tests/fuzz/fuzz_json: 1.5E+400 read as a float is Infinity, which was
 * written as "Infinity" and then refused). */
static void test_json_non_finite_floats(void **state) {
        rdcp_data_t d;
        conv_t c;
        (void)state;

        conv_open(&c, "json-converter.so", NULL);
        d = d_float(&s_float32, INFINITY);
        assert_round_trip(&c, &d);
        d = d_float(&s_float64, -INFINITY);
        assert_round_trip(&c, &d);
        assert_int_equal(conv_to_text(&c,
                                      "{\"schema\":{\"type\":\"double\"},"
                                      "\"payload\":\"NaN\"}",
                                      &d),
                         RDCP_OK);
        assert_true(isnan(d.u.f));
        assert_int_equal(conv_to_text(&c,
                                      "{\"schema\":{\"type\":\"float\"},"
                                      "\"payload\":1.5E+400}",
                                      &d),
                         RDCP_OK);
        assert_true(isinf(d.u.f) && d.u.f > 0);
        assert_to_fails(&c,
                        "{\"schema\":{\"type\":\"float\"},"
                        "\"payload\":\"infinity\"}",
                        "Invalid JSON value for FLOAT32 schema: found STRING");
        conv_close(&c);
}

/* json-c reads an integer literal beyond int64 as a uint64 and one beyond
 * that (or below INT64_MIN) as the nearest bound, without a word: such a
 * value must be refused, never stored as a different number. */
static void test_json_integers_beyond_64_bits(void **state) {
        static const char *const numeric[] = {"decimal.format", "NUMERIC",
                                              NULL};
        static const char *const too_big[] = {
                "9223372036854775808", "18446744073709551615",
                "99999999999999999999999", "-9223372036854775809"};
        char text[256];
        rdcp_data_t d;
        conv_t c;
        (void)state;

        conv_open(&c, "json-converter.so", NULL);
        for (size_t i = 0; i < sizeof(too_big) / sizeof(too_big[0]); i++) {
                snprintf(text, sizeof(text),
                         "{\"schema\":{\"type\":\"int64\"},\"payload\":%s}",
                         too_big[i]);
                assert_to_fails(&c, text, "out of range for INT64");
        }
        assert_int_equal(conv_to_text(&c,
                                      "{\"schema\":{\"type\":\"int64\"},"
                                      "\"payload\":-9223372036854775808}",
                                      &d),
                         RDCP_OK);
        assert_true(d.u.i == INT64_MIN);
        conv_close(&c);

        conv_open(&c, "json-converter.so", schemas_off);
        assert_to_fails(&c, "[1, 9223372036854775808]",
                        "out of range for INT64");
        assert_to_fails(&c, "{\"a\": -99999999999999999999}",
                        "out of range for INT64");
        assert_int_equal(conv_to_text(&c, "[-9223372036854775808]", &d),
                         RDCP_OK);
        assert_true(d.u.list.elems[0].u.i == INT64_MIN);
        conv_close(&c);

        /* Decimals as numbers: exact up to the 64-bit range and with a
         * fraction; an integer literal beyond it cannot be read exactly. */
        conv_open(&c, "json-converter.so", numeric);
        assert_int_equal(conv_to_text(&c,
                                      "{\"schema\":{\"type\":\"bytes\","
                                      "\"name\":\"" DECIMAL_NAME
                                      "\",\"parameters\":{\"scale\":\"0\"}},"
                                      "\"payload\":18446744073709551614}",
                                      &d),
                         RDCP_OK);
        assert_int_equal(d.u.bytes.len, 9);
        assert_memory_equal(d.u.bytes.ptr,
                            "\x00\xff\xff\xff\xff\xff\xff\xff\xfe", 9);
        assert_int_equal(conv_to_text(&c,
                                      "{\"schema\":{\"type\":\"bytes\","
                                      "\"name\":\"" DECIMAL_NAME
                                      "\",\"parameters\":{\"scale\":\"0\"}},"
                                      "\"payload\":18446744073709551616.0}",
                                      &d),
                         RDCP_OK);
        assert_int_equal(d.u.bytes.len, 9);
        assert_memory_equal(d.u.bytes.ptr, "\x01\0\0\0\0\0\0\0\0", 9);
        assert_to_fails(
                &c,
                "{\"schema\":{\"type\":\"bytes\",\"name\":\"" DECIMAL_NAME
                "\",\"parameters\":{\"scale\":\"0\"}},"
                "\"payload\":18446744073709551616}",
                "beyond the 64-bit range");
        conv_close(&c);
}

static void test_json_config_errors(void **state) {
        static const char *const bad_bool[] = {"schemas.enable", "maybe", NULL};
        static const char *const bad_format[] = {"decimal.format", "HEX", NULL};
        conv_t c;
        (void)state;
        assert_int_equal(conv_try_open(&c, "json-converter.so", bad_bool),
                         RDCP_ERR_CONFIG);
        assert_non_null(strstr(c.errstr, "schemas.enable"));
        conv_close(&c);
        assert_int_equal(conv_try_open(&c, "json-converter.so", bad_format),
                         RDCP_ERR_CONFIG);
        assert_non_null(strstr(c.errstr, "BASE64, NUMERIC"));
        conv_close(&c);
}

/* ----------------------------------------------------- StringConverter */

static void test_string_converter(void **state) {
        static const char text[] = "zero copy";
        const rdcp_data_t list[] = {d_int(NULL, 1), d_str(NULL, "b"),
                                    d_null(NULL)};
        const rdcp_data_t map[] = {d_str(NULL, "k"), d_float(NULL, 1.0)};
        const rdcp_data_t fields[] = {d_str(&s_string, "Ann"),
                                      d_null(&s_opt_int32),
                                      d_list(&s_tags, RDCP_DATA_ARRAY, list, 0),
                                      d_list(&s_attrs, RDCP_DATA_MAP, map, 0),
                                      d_list(&s_ids, RDCP_DATA_MAP, map, 0)};
        rdcp_data_t d = d_str(&s_string, text), back;
        rdcp_bytes_t out;
        conv_t c;
        (void)state;
        conv_open(&c, "string-converter.so", NULL);
        assert_int_equal(conv_from(&c, &d, &out), RDCP_OK);
        assert_ptr_equal(out.ptr, text);
        assert_int_equal(out.len, strlen(text));
        assert_int_equal(conv_to(&c, text, 4, &back), RDCP_OK);
        assert_int_equal(back.kind, RDCP_DATA_STRING);
        assert_ptr_equal(back.u.bytes.ptr, text);
        assert_int_equal(back.u.bytes.len, 4);
        assert_int_equal(back.schema->type, RDCP_SCHEMA_STRING);
        assert_true(back.schema->optional);

        d = d_null(&s_opt_string);
        assert_int_equal(conv_from(&c, &d, &out), RDCP_OK);
        assert_null(out.ptr);
        assert_int_equal(conv_to(&c, NULL, 0, &back), RDCP_OK);
        assert_int_equal(back.kind, RDCP_DATA_NULL);
        assert_int_equal(back.schema->type, RDCP_SCHEMA_STRING);

        d = d_str(&s_string, "");
        assert_int_equal(conv_from(&c, &d, &out), RDCP_OK);
        assert_non_null(out.ptr);
        assert_int_equal(out.len, 0);

        d = d_int(&s_int64, -42);
        assert_from(&c, &d, "-42");
        d = d_bool(NULL, 1);
        assert_from(&c, &d, "true");
        d = d_float(&s_float64, 1.0);
        assert_from(&c, &d, "1.0");
        d = d_float(&s_float32, (float)0.1);
        assert_from(&c, &d, "0.1");
        d = d_bytes(NULL, "raw", 3);
        assert_from(&c, &d, "raw");
        d = d_list(NULL, RDCP_DATA_ARRAY, list, 3);
        assert_from(&c, &d, "[1, b, null]");
        d = d_list(NULL, RDCP_DATA_MAP, map, 2);
        assert_from(&c, &d, "{k=1.0}");
        d = d_list(&s_person, RDCP_DATA_STRUCT, fields, 5);
        assert_from(&c, &d, "Struct{name=Ann,tags=[],attrs={},ids={}}");
        conv_close(&c);
}

static void test_string_converter_encoding(void **state) {
        static const char *const utf8[] = {"converter.encoding", "utf8", NULL};
        static const char *const latin1[] = {"converter.encoding", "ISO-8859-1",
                                             NULL};
        conv_t c;
        (void)state;
        conv_open(&c, "string-converter.so", utf8);
        conv_close(&c);
        assert_int_equal(conv_try_open(&c, "string-converter.so", latin1),
                         RDCP_ERR_CONFIG);
        assert_non_null(strstr(c.errstr, "ISO-8859-1"));
        assert_non_null(strstr(c.errstr, "only UTF-8"));
        conv_close(&c);
}

/* -------------------------------------------------- ByteArrayConverter */

static void test_bytearray_converter(void **state) {
        static const uint8_t raw[] = {0, 1, 2, 0xff};
        rdcp_data_t d = d_bytes(&s_bytes, raw, sizeof(raw)), back;
        rdcp_bytes_t out;
        conv_t c;
        (void)state;
        conv_open(&c, "bytearray-converter.so", NULL);
        assert_int_equal(conv_from(&c, &d, &out), RDCP_OK);
        assert_ptr_equal(out.ptr, raw);
        assert_int_equal(out.len, sizeof(raw));
        d = d_str(NULL, "text");
        assert_int_equal(conv_from(&c, &d, &out), RDCP_OK);
        assert_ptr_equal(out.ptr, d.u.bytes.ptr);
        d = d_null(NULL);
        assert_int_equal(conv_from(&c, &d, &out), RDCP_OK);
        assert_null(out.ptr);

        d = d_int(NULL, 1);
        assert_from_fails(&c, &d,
                          "ByteArrayConverter is not compatible with "
                          "objects of type integer");
        d = d_int(&s_int32, 1);
        assert_from_fails(&c, &d,
                          "Invalid schema type for ByteArrayConverter: "
                          "INT32");

        assert_int_equal(conv_to(&c, raw, sizeof(raw), &back), RDCP_OK);
        assert_int_equal(back.kind, RDCP_DATA_BYTES);
        assert_ptr_equal(back.u.bytes.ptr, raw);
        assert_int_equal(back.u.bytes.len, sizeof(raw));
        assert_int_equal(back.schema->type, RDCP_SCHEMA_BYTES);
        assert_true(back.schema->optional);
        assert_int_equal(conv_to(&c, NULL, 0, &back), RDCP_OK);
        assert_int_equal(back.kind, RDCP_DATA_NULL);
        conv_close(&c);
}

/* ---------------------------------------------------- number converters */

static void test_number_converters(void **state) {
        const struct {
                const char *file;
                rdcp_data_t value;
                const char *wire;
                size_t width;
                uint32_t schema_type;
        } cases[] = {
                {"short-converter.so", d_int(NULL, -2), "\xff\xfe", 2,
                 RDCP_SCHEMA_INT16},
                {"integer-converter.so", d_int(&s_int32, 0x01020304),
                 "\x01\x02\x03\x04", 4, RDCP_SCHEMA_INT32},
                {"long-converter.so", d_int(NULL, -1),
                 "\xff\xff\xff\xff\xff\xff\xff\xff", 8, RDCP_SCHEMA_INT64},
                {"float-converter.so", d_float(NULL, 1.5), "\x3f\xc0\x00\x00",
                 4, RDCP_SCHEMA_FLOAT32},
                {"double-converter.so", d_float(NULL, -2.0),
                 "\xc0\x00\x00\x00\x00\x00\x00\x00", 8, RDCP_SCHEMA_FLOAT64},
        };
        (void)state;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                rdcp_data_t back, d;
                rdcp_bytes_t out;
                conv_t c;
                conv_open(&c, cases[i].file, NULL);
                assert_int_equal(conv_from(&c, &cases[i].value, &out), RDCP_OK);
                assert_int_equal(out.len, cases[i].width);
                assert_memory_equal(out.ptr, cases[i].wire, cases[i].width);
                assert_int_equal(
                        conv_to(&c, cases[i].wire, cases[i].width, &back),
                        RDCP_OK);
                assert_int_equal(back.kind, cases[i].value.kind);
                assert_int_equal(back.schema->type, cases[i].schema_type);
                assert_true(back.schema->optional);
                if (back.kind == RDCP_DATA_INT)
                        assert_int_equal(back.u.i, cases[i].value.u.i);
                else
                        assert_true(back.u.f == cases[i].value.u.f);
                /* Null both ways. */
                d = d_null(NULL);
                assert_int_equal(conv_from(&c, &d, &out), RDCP_OK);
                assert_null(out.ptr);
                assert_int_equal(conv_to(&c, NULL, 0, &back), RDCP_OK);
                assert_int_equal(back.kind, RDCP_DATA_NULL);
                /* Wrong size and wrong type. */
                assert_error_contains(&c, conv_to(&c, "\x01\x02\x03", 3, &back),
                                      "Size of data received by");
                d = d_str(NULL, "1");
                assert_from_fails(&c, &d, "Failed to serialize to");
                conv_close(&c);
        }
}

static void test_number_converter_range(void **state) {
        rdcp_data_t d = d_int(NULL, 40000);
        conv_t c;
        (void)state;
        conv_open(&c, "short-converter.so", NULL);
        assert_from_fails(&c, &d, "Failed to serialize to short");
        d = d_int(&s_int32, 1);
        assert_from_fails(&c, &d, "(was INT32)");
        conv_close(&c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_descriptors),
                cmocka_unit_test(test_config_defs),
                cmocka_unit_test(test_json_string_envelope),
                cmocka_unit_test(test_json_primitives),
                cmocka_unit_test(test_json_floats),
                cmocka_unit_test(test_json_escaping),
                cmocka_unit_test(test_json_escaping_every_byte),
                cmocka_unit_test(test_json_long_string),
                cmocka_unit_test(test_json_nulls),
                cmocka_unit_test(test_json_nested),
                cmocka_unit_test(test_json_schemaless),
                cmocka_unit_test(test_json_type_mismatch),
                cmocka_unit_test(test_json_decimal),
                cmocka_unit_test(test_json_to_data),
                cmocka_unit_test(test_json_text_round_trips),
                cmocka_unit_test(test_json_to_data_errors),
                cmocka_unit_test(test_json_integers_beyond_64_bits),
                cmocka_unit_test(test_json_non_finite_floats),
                cmocka_unit_test(test_json_config_errors),
                cmocka_unit_test(test_string_converter),
                cmocka_unit_test(test_string_converter_encoding),
                cmocka_unit_test(test_bytearray_converter),
                cmocka_unit_test(test_number_converters),
                cmocka_unit_test(test_number_converter_range),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
