/*
 * Unit tests of the ABI growth rules on the host side
 * (runtime/plugins/abi.h and the registry's descriptor views): a plugin
 * struct smaller than the host's is read with its own size and stride,
 * arrays handed to a plugin are built in its layout, RDCP_HOST_HAS()
 * checks the host table's size, and the 1.0 test plugins (tests/abi10)
 * come out of the registry with 1.0 sizes and no 1.1 members.
 */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "plugins/abi.h"
#include "plugins/host.h"
#include "plugins/registry.h"

/* A 1.0 source record as a 1.0 plugin lays out an array of them: the
 * 1.0 fields, then the next record (no ack_opaque). */
static void test_source_records_with_10_stride(void **state) {
        unsigned char raw[3 * RDC_ABI10_SOURCE_RECORD];
        static const char *const topics[] = {"a", "b", "c"};
        (void)state;
        memset(raw, 0xee, sizeof(raw)); /* what lies past a 1.0 record */
        for (size_t i = 0; i < 3; i++) {
                rdcp_source_record_t r;
                memset(&r, 0, sizeof(r));
                r.topic = topics[i];
                r.partition = (int32_t)i;
                r.source_offset = topics[i];
                memcpy(raw + i * RDC_ABI10_SOURCE_RECORD, &r,
                       RDC_ABI10_SOURCE_RECORD);
        }
        for (size_t i = 0; i < 3; i++) {
                const rdcp_source_record_t *r =
                        rdc_abi_at(raw, RDC_ABI10_SOURCE_RECORD, i);
                assert_string_equal(r->topic, topics[i]);
                assert_int_equal(r->partition, (int32_t)i);
                assert_ptr_equal(r->source_offset, topics[i]);
                /* The 1.1 field is not the plugin's: copied, it reads 0. */
                rdcp_source_record_t copy;
                rdc_abi_copy(&copy, sizeof(copy), r, RDC_ABI10_SOURCE_RECORD);
                assert_null(copy.ack_opaque);
                assert_string_equal(copy.topic, topics[i]);
        }
        assert_true(RDC_ABI10_SOURCE_RECORD < sizeof(rdcp_source_record_t));
        assert_false(RDC_ABI_COVERS(RDC_ABI10_SOURCE_RECORD,
                                    rdcp_source_record_t, ack_opaque));
        assert_true(RDC_ABI_COVERS(sizeof(rdcp_source_record_t),
                                   rdcp_source_record_t, ack_opaque));
}

/* Host records packed for a 1.0 sink: each at the 1.0 stride, cut after
 * the 1.0 fields, nothing written past the array. */
static void test_sink_records_packed_for_10(void **state) {
        rdcp_sink_record_t host[4];
        unsigned char packed[4 * RDC_ABI10_SINK_RECORD + 16];
        (void)state;
        memset(host, 0, sizeof(host));
        for (int i = 0; i < 4; i++) {
                host[i].topic = "t";
                host[i].offset = 100 + i;
                host[i].timestamp_type = RDCP_TIMESTAMP_CREATE_TIME;
        }
        memset(packed, 0xab, sizeof(packed));
        rdc_abi_pack(packed, RDC_ABI10_SINK_RECORD, host, sizeof(host[0]), 4);
        for (int i = 0; i < 4; i++) {
                const rdcp_sink_record_t *r =
                        rdc_abi_at(packed, RDC_ABI10_SINK_RECORD, (size_t)i);
                assert_int_equal(r->offset, 100 + i);
                assert_string_equal(r->topic, "t");
        }
        for (size_t i = 4 * RDC_ABI10_SINK_RECORD; i < sizeof(packed); i++)
                assert_int_equal(packed[i], 0xab);
        /* A plugin stride larger than the host's (padding): zero after. */
        unsigned char wide[2 * (sizeof(rdcp_sink_record_t) + 8)];
        memset(wide, 0xab, sizeof(wide));
        rdc_abi_pack(wide, sizeof(rdcp_sink_record_t) + 8, host,
                     sizeof(host[0]), 2);
        for (size_t i = sizeof(rdcp_sink_record_t);
             i < sizeof(rdcp_sink_record_t) + 8; i++)
                assert_int_equal(wide[i], 0);
}

static void test_header_get_10(void **state) {
        unsigned char raw[2 * RDC_ABI10_HEADER];
        rdcp_header_t h10 = {.key = "k", .value = "v", .value_len = 1};
        rdcp_header_t out;
        (void)state;
        memset(raw, 0xff, sizeof(raw));
        memcpy(raw + RDC_ABI10_HEADER, &h10, RDC_ABI10_HEADER);
        rdc_abi_header_get(&out, raw, RDC_ABI10_HEADER, 1);
        assert_string_equal(out.key, "k");
        assert_int_equal(out.value_len, 1);
        assert_int_equal(out.typed, 0); /* a 1.0 header is raw bytes */
        assert_int_equal(out.data.kind, RDCP_DATA_NULL);
}

static void test_host_has(void **state) {
        rdcp_host_t old;
        (void)state;
        assert_true(RDCP_HOST_HAS(&rdc_host, log));
        assert_true(RDCP_HOST_HAS(&rdc_host, time_ms));
        assert_non_null(rdc_host.time_ms);
        assert_true(rdc_host.time_ms(0) > 1600000000000);
        /* A 1.0 host's table ends with ctx_task_id. */
        memset(&old, 0, sizeof(old));
        old.struct_size = (uint32_t)RDC_SIZE_THROUGH(rdcp_host_t, ctx_task_id);
        assert_true(RDCP_HOST_HAS(&old, ctx_task_id));
        assert_false(RDCP_HOST_HAS(&old, time_ms));
        old.struct_size -= 1;
        assert_false(RDCP_HOST_HAS(&old, ctx_task_id));
}

/* The registry's views of the 1.0 plugins: 1.0 strides, 1.1 members NULL
 * (their vtables end where 1.0 ended), and the 1.1 plugins' own sizes. */
static void test_registry_views_of_10_plugins(void **state) {
        char errstr[1024];
        (void)state;
        rdc_registry_t *reg =
                rdc_registry_new(RDC_TEST_PLUGIN_DIR, RDC_TEST_ABI10_DIR);
        assert_non_null(reg);
        rdc_registry_scan(reg);
        const rdc_plugin_t *src = rdc_registry_find(
                reg, "Abi10Source", RDCP_PLUGIN_SOURCE, errstr, sizeof(errstr));
        assert_non_null(src);
        assert_int_equal(src->desc->source_record_size,
                         RDC_ABI10_SOURCE_RECORD);
        assert_int_equal(src->desc->header_size, RDC_ABI10_HEADER);
        assert_null(src->desc->source_task->commit_record);
        assert_null(src->desc->header_converter);
        const rdc_plugin_t *sink = rdc_registry_find(
                reg, "Abi10Sink", RDCP_PLUGIN_SINK, errstr, sizeof(errstr));
        assert_non_null(sink);
        assert_int_equal(sink->desc->sink_record_size, RDC_ABI10_SINK_RECORD);
        assert_null(sink->desc->sink_task->open);
        assert_null(sink->desc->sink_task->close);
        assert_null(sink->desc->sink_task->pre_commit);
        const rdc_plugin_t *conv = rdc_registry_find(
                reg, "com.example.abi10.Abi10Converter", RDCP_PLUGIN_CONVERTER,
                errstr, sizeof(errstr));
        assert_non_null(conv);
        assert_null(conv->desc->converter->from_data_headers);
        assert_null(conv->desc->converter->to_data_headers);
        /* A 1.0 converter cannot be a header converter. */
        assert_null(rdc_registry_find(reg, "com.example.abi10.Abi10Converter",
                                      RDCP_PLUGIN_HEADER_CONVERTER, errstr,
                                      sizeof(errstr)));
        /* A 1.1 plugin: its own sizes. */
        const rdc_plugin_t *fs =
                rdc_registry_find(reg, "FileStreamSource", RDCP_PLUGIN_SOURCE,
                                  errstr, sizeof(errstr));
        assert_non_null(fs);
        assert_int_equal(fs->desc->source_record_size,
                         sizeof(rdcp_source_record_t));
        rdc_registry_destroy(reg);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_source_records_with_10_stride),
                cmocka_unit_test(test_sink_records_packed_for_10),
                cmocka_unit_test(test_header_get_10),
                cmocka_unit_test(test_host_has),
                cmocka_unit_test(test_registry_views_of_10_plugins),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
