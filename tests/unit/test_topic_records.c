/*
 * Unit tests of runtime/storage/topic_records.c against the bytes Apache
 * Kafka Connect 3.9.0 wrote to its internal topics
 * (../shared/reference/golden-internal-topics.md): decoded as Java meant
 * them, and encoded back to the same bytes where Java's field order is
 * fixed by a schema (the order of connector properties is a map's).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "storage/topic_records.h"

static void decode_config(const char *key, const char *value,
                          rdc_config_record_t *rec) {
        char errstr[256] = "";
        if (rdc_config_record_decode(key, strlen(key), value,
                                     value ? strlen(value) : 0, rec, errstr,
                                     sizeof(errstr)))
                fail_msg("%s: %s", key, errstr);
}

/* Encodes rec and checks both texts. */
static void expect_config_bytes(const rdc_config_record_t *rec, const char *key,
                                const char *value) {
        char *k, *v;
        assert_int_equal(rdc_config_record_encode(rec, &k, &v), 0);
        assert_string_equal(k, key);
        if (value)
                assert_string_equal(v, value);
        else
                assert_null(v);
        free(k);
        free(v);
}

/* Encodes a status record and checks both texts. */
static void expect_status_bytes(const rdc_status_record_t *rec, const char *key,
                                const char *value) {
        char *k, *v;
        assert_int_equal(rdc_status_record_encode(rec, &k, &v), 0);
        assert_string_equal(k, key);
        assert_string_equal(v, value);
        free(k);
        free(v);
}

static const char golden_connector[] =
        "{\"properties\":{\"connector.class\":\"FileStreamSource\","
        "\"file\":\"/data/in.txt\",\"topic\":\"gold-topic\","
        "\"tasks.max\":\"1\",\"name\":\"gold-src\"}}";
static const char golden_task[] =
        "{\"properties\":{\"connector.class\":\"FileStreamSource\","
        "\"file\":\"/data/in.txt\",\"task.class\":\"org.apache.kafka.connect."
        "file.FileStreamSourceTask\",\"tasks.max\":\"1\",\"name\":"
        "\"gold-src\",\"topic\":\"gold-topic\"}}";

static void test_golden_config_records(void **state) {
        rdc_config_record_t rec;
        (void)state;

        decode_config("connector-gold-src", golden_connector, &rec);
        assert_int_equal(rec.kind, RDC_CONFIG_REC_CONNECTOR);
        assert_string_equal(rec.name, "gold-src");
        assert_int_equal(rdc_map_count(rec.properties), 5);
        assert_string_equal(rdc_map_get(rec.properties, "file"),
                            "/data/in.txt");
        /* Written back with the same content. The order of properties
         * is the map's (sorted): Java's depends on the map it was given
         * (the REST body's order here), and readers do not care. */
        expect_config_bytes(&rec, "connector-gold-src",
                            "{\"properties\":{\"connector.class\":"
                            "\"FileStreamSource\",\"file\":\"/data/in.txt\","
                            "\"name\":\"gold-src\",\"tasks.max\":\"1\","
                            "\"topic\":\"gold-topic\"}}");
        rdc_config_record_clear(&rec);

        decode_config("task-gold-src-0", golden_task, &rec);
        assert_int_equal(rec.kind, RDC_CONFIG_REC_TASK);
        assert_string_equal(rec.name, "gold-src");
        assert_int_equal(rec.task, 0);
        assert_string_equal(rdc_map_get(rec.properties, "task.class"),
                            "org.apache.kafka.connect.file."
                            "FileStreamSourceTask");
        assert_int_equal(rdc_map_count(rec.properties), 6);
        char *k, *v;
        rdc_config_record_t back;
        assert_int_equal(rdc_config_record_encode(&rec, &k, &v), 0);
        assert_string_equal(k, "task-gold-src-0");
        decode_config(k, v, &back);
        assert_true(rdc_map_equal(back.properties, rec.properties));
        rdc_config_record_clear(&back);
        free(k);
        free(v);
        rdc_config_record_clear(&rec);

        decode_config("commit-gold-src", "{\"tasks\":1}", &rec);
        assert_int_equal(rec.kind, RDC_CONFIG_REC_COMMIT);
        assert_int_equal(rec.tasks, 1);
        expect_config_bytes(&rec, "commit-gold-src", "{\"tasks\":1}");
        rdc_config_record_clear(&rec);

        decode_config("target-state-gold-src",
                      "{\"state\":\"PAUSED\",\"state.v2\":\"PAUSED\"}", &rec);
        assert_int_equal(rec.kind, RDC_CONFIG_REC_TARGET_STATE);
        assert_string_equal(rec.name, "gold-src");
        assert_string_equal(rec.state, "PAUSED");
        expect_config_bytes(&rec, "target-state-gold-src",
                            "{\"state\":\"PAUSED\",\"state.v2\":\"PAUSED\"}");
        rdc_config_record_clear(&rec);

        decode_config("session-key",
                      "{\"key\":\"AAAA\",\"algorithm\":\"HmacSHA256\","
                      "\"creation-timestamp\":1796186093660}",
                      &rec);
        assert_int_equal(rec.kind, RDC_CONFIG_REC_SESSION_KEY);
        rdc_config_record_clear(&rec);
}

static void test_config_records_kafka_rules(void **state) {
        rdc_config_record_t rec;
        char errstr[256];
        (void)state;

        /* STOPPED: older workers read "state" (PAUSED); we read v2. */
        rec = (rdc_config_record_t){.kind = RDC_CONFIG_REC_TARGET_STATE,
                                    .name = "c"};
        strcpy(rec.state, "STOPPED");
        expect_config_bytes(&rec, "target-state-c",
                            "{\"state\":\"PAUSED\",\"state.v2\":\"STOPPED\"}");
        decode_config("target-state-c",
                      "{\"state\":\"PAUSED\","
                      "\"state.v2\":\"STOPPED\"}",
                      &rec);
        assert_string_equal(rec.state, "STOPPED");
        rdc_config_record_clear(&rec);
        /* A record of a worker before state.v2. */
        decode_config("target-state-c", "{\"state\":\"STARTED\"}", &rec);
        assert_string_equal(rec.state, "STARTED");
        rdc_config_record_clear(&rec);

        /* Names with dashes: the task number is after the last one. */
        decode_config("task-my-conn-12", "{\"properties\":{}}", &rec);
        assert_string_equal(rec.name, "my-conn");
        assert_int_equal(rec.task, 12);
        rdc_config_record_clear(&rec);
        /* Tombstones: a deleted connector. */
        decode_config("connector-gone", NULL, &rec);
        assert_true(rec.tombstone);
        assert_string_equal(rec.name, "gone");
        expect_config_bytes(&rec, "connector-gone", NULL);
        rdc_config_record_clear(&rec);
        /* Restart requests and cluster logger levels. */
        decode_config("restart-connector-c",
                      "{\"include-tasks\":true,\"only-failed\":false}", &rec);
        assert_int_equal(rec.kind, RDC_CONFIG_REC_RESTART);
        assert_true(rec.include_tasks);
        assert_false(rec.only_failed);
        expect_config_bytes(&rec, "restart-connector-c",
                            "{\"include-tasks\":true,\"only-failed\":false}");
        rdc_config_record_clear(&rec);
        decode_config("logger-cluster-org.apache", "{\"level\":\"DEBUG\"}",
                      &rec);
        assert_string_equal(rec.name, "org.apache");
        assert_string_equal(rec.level, "DEBUG");
        rdc_config_record_clear(&rec);
        /* Null property values are left out, as absent keys. */
        decode_config("connector-n",
                      "{\"properties\":{\"a\":null,\"b\":"
                      "\"x\"}}",
                      &rec);
        assert_int_equal(rdc_map_count(rec.properties), 1);
        rdc_config_record_clear(&rec);

        /* What Kafka discards. */
        static const char *const bad[][2] = {
                {"bogus-key", "{}"},
                {"task-nonumber", "{\"properties\":{}}"},
                {"task-c-x1", "{\"properties\":{}}"},
                {"connector-c", "[1]"},
                {"connector-c", "{\"properties\":{\"a\":1}}"},
                {"connector-c", "{\"props\":{}}"},
                {"commit-c", "{\"tasks\":\"1\"}"},
                {"commit-c", "{\"tasks\":-1}"},
                {"target-state-c", "{\"state\":\"RUNNING\"}"},
                {"connector-c", "{\"properties\":{}} trailing"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                errstr[0] = '\0';
                if (!rdc_config_record_decode(bad[i][0], strlen(bad[i][0]),
                                              bad[i][1], strlen(bad[i][1]),
                                              &rec, errstr, sizeof(errstr)))
                        fail_msg("accepted %s = %s", bad[i][0], bad[i][1]);
                assert_true(errstr[0] != '\0');
                assert_null(rec.name);
        }
}

static void test_golden_status_records(void **state) {
        static const char conn[] = "{\"state\":\"RUNNING\",\"trace\":null,"
                                   "\"worker_id\":\"127.0.0.1:38083\","
                                   "\"generation\":2}";
        static const char task[] = "{\"state\":\"PAUSED\",\"trace\":null,"
                                   "\"worker_id\":\"127.0.0.1:38083\","
                                   "\"generation\":3}";
        static const char topic[] =
                "{\"topic\":{\"name\":\"gold-topic\",\"connector\":"
                "\"gold-src\",\"task\":0,\"discoverTimestamp\":"
                "1796186097522}}";
        rdc_status_record_t rec;
        char errstr[256], *k, *v;
        (void)state;

        assert_int_equal(rdc_status_record_decode("status-connector-gold-src",
                                                  25, conn, strlen(conn), &rec,
                                                  errstr, sizeof(errstr)),
                         0);
        assert_int_equal(rec.kind, RDC_STATUS_REC_CONNECTOR);
        assert_string_equal(rec.connector, "gold-src");
        assert_string_equal(rec.state, "RUNNING");
        assert_null(rec.trace);
        assert_string_equal(rec.worker_id, "127.0.0.1:38083");
        assert_int_equal(rec.generation, 2);
        expect_status_bytes(&rec, "status-connector-gold-src", conn);
        rdc_status_record_clear(&rec);

        assert_int_equal(rdc_status_record_decode("status-task-gold-src-0", 22,
                                                  task, strlen(task), &rec,
                                                  errstr, sizeof(errstr)),
                         0);
        assert_int_equal(rec.kind, RDC_STATUS_REC_TASK);
        assert_string_equal(rec.connector, "gold-src");
        assert_int_equal(rec.task, 0);
        expect_status_bytes(&rec, "status-task-gold-src-0", task);
        rdc_status_record_clear(&rec);

        static const char tkey[] = "status-topic-gold-topic:connector-gold-src";
        assert_int_equal(rdc_status_record_decode(tkey, strlen(tkey), topic,
                                                  strlen(topic), &rec, errstr,
                                                  sizeof(errstr)),
                         0);
        assert_int_equal(rec.kind, RDC_STATUS_REC_TOPIC);
        assert_string_equal(rec.topic, "gold-topic");
        assert_string_equal(rec.connector, "gold-src");
        assert_true(rec.discover_ms == 1796186097522LL);
        expect_status_bytes(&rec, tkey, topic);
        rdc_status_record_clear(&rec);

        /* A trace with quotes and newlines survives both ways. */
        rec = (rdc_status_record_t){.kind = RDC_STATUS_REC_TASK,
                                    .connector = "c",
                                    .task = 3,
                                    .trace = "org.Ex: \"x\"\n\tat y",
                                    .worker_id = "w:1",
                                    .generation = 7};
        strcpy(rec.state, "FAILED");
        assert_int_equal(rdc_status_record_encode(&rec, &k, &v), 0);
        assert_string_equal(k, "status-task-c-3");
        rdc_status_record_t back;
        assert_int_equal(rdc_status_record_decode(k, strlen(k), v, strlen(v),
                                                  &back, errstr,
                                                  sizeof(errstr)),
                         0);
        assert_string_equal(back.trace, "org.Ex: \"x\"\n\tat y");
        assert_string_equal(back.state, "FAILED");
        rdc_status_record_clear(&back);
        free(k);
        free(v);

        assert_int_equal(rdc_status_record_decode("status-task-c", 13, "{}", 2,
                                                  &rec, errstr, sizeof(errstr)),
                         -1);
        assert_int_equal(rdc_status_record_decode("status-connector-c", 18,
                                                  NULL, 0, &rec, errstr,
                                                  sizeof(errstr)),
                         0);
        assert_true(rec.tombstone);
        rdc_status_record_clear(&rec);
}

static void test_offset_keys(void **state) {
        char errstr[256], *conn, *part;
        (void)state;
        char *key = rdc_offset_record_key("gold-src",
                                          "{\"filename\":\"/data/in.txt\"}");
        /* Java's bytes for the golden key. */
        assert_string_equal(key, "[\"gold-src\",{\"filename\":"
                                 "\"/data/in.txt\"}]");
        assert_int_equal(rdc_offset_record_key_decode(key, strlen(key), &conn,
                                                      &part, errstr,
                                                      sizeof(errstr)),
                         0);
        assert_string_equal(conn, "gold-src");
        assert_string_equal(part, "{\"filename\":\"/data/in.txt\"}");
        free(conn);
        free(part);
        free(key);
        assert_null(rdc_offset_record_key("c", "[1]"));
        assert_int_equal(rdc_offset_record_key_decode("[\"c\"]", 5, &conn,
                                                      &part, errstr,
                                                      sizeof(errstr)),
                         -1);
        assert_int_equal(rdc_offset_record_key_decode("{}", 2, &conn, &part,
                                                      errstr, sizeof(errstr)),
                         -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_golden_config_records),
                cmocka_unit_test(test_config_records_kafka_rules),
                cmocka_unit_test(test_golden_status_records),
                cmocka_unit_test(test_offset_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
