/*
 * Unit tests of the internal-topic set-up of distributed mode
 * (kafka/internal_topics.c) on an in-process librdkafka mock cluster,
 * which has neither CreateTopics nor DescribeConfigs (both time out):
 * every call takes the warning path (logged, and read back from stderr
 * here). A topic
 * made beforehand with one partition is accepted as the config topic,
 * one with four is refused in Kafka's words; a missing topic is
 * auto-created by the mock (4 partitions): fine for the status and
 * offsets topics, refused for the config topic; replication factor and
 * partitions -1 (broker defaults) are accepted.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka/internal_topics.h"
#include "kafka/topics.h"

static rd_kafka_t *mock_owner;
static rd_kafka_mock_cluster_t *mock;
static rd_kafka_conf_t *admin_conf;
static rd_kafka_t *reader; /* consumer-type: its metadata never creates */

static int setup(void **state) {
        char errstr[256];
        (void)state;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
        mock_owner =
                rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        assert_non_null(mock_owner);
        mock = rd_kafka_mock_cluster_new(mock_owner, 1);
        assert_non_null(mock);
        admin_conf = rd_kafka_conf_new();
        assert_int_equal(
                rd_kafka_conf_set(admin_conf, "bootstrap.servers",
                                  rd_kafka_mock_cluster_bootstraps(mock),
                                  errstr, sizeof(errstr)),
                RD_KAFKA_CONF_OK);
        rd_kafka_conf_set(admin_conf, "log_level", "2", errstr, sizeof(errstr));
        rd_kafka_conf_t *rconf = rd_kafka_conf_dup(admin_conf);
        reader = rd_kafka_new(RD_KAFKA_CONSUMER, rconf, errstr, sizeof(errstr));
        assert_non_null(reader);
        return 0;
}

static int teardown(void **state) {
        (void)state;
        rd_kafka_destroy(reader);
        rd_kafka_conf_destroy(admin_conf);
        rd_kafka_mock_cluster_destroy(mock);
        rd_kafka_destroy(mock_owner);
        return 0;
}

/* The partition count metadata shows (0: missing). */
static int partitions_of(const char *topic) {
        char why[256];
        return rdc_kafka_topic_partitions(reader, topic, 5000, why,
                                          sizeof(why));
}

typedef struct outcome {
        rdc_internal_topic_result_t result;
        char errstr[2048];
        char log[8192]; /* what was logged on stderr meanwhile */
} outcome_t;

/* rdc_internal_topic_ensure() with stderr read back. */
static void ensure(outcome_t *out, const char *topic,
                   rdc_internal_topic_role_t role, int partitions,
                   int replication) {
        char path[] = "/tmp/rdc-test-itopics-XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        assert_true(dup2(fd, STDERR_FILENO) >= 0);
        memset(out, 0, sizeof(*out));
        out->result = rdc_internal_topic_ensure(
                admin_conf, topic, role, partitions, replication, 2000,
                out->errstr, sizeof(out->errstr));
        fflush(stderr);
        assert_true(dup2(saved, STDERR_FILENO) >= 0);
        close(saved);
        ssize_t n = pread(fd, out->log, sizeof(out->log) - 1, 0);
        out->log[n > 0 ? n : 0] = '\0';
        close(fd);
        unlink(path);
        /* Shown as the test runs, too. */
        fputs(out->log, stderr);
}

static void test_config_topic_one_partition(void **state) {
        outcome_t out;
        (void)state;
        assert_int_equal(rd_kafka_mock_topic_create(mock, "cfg-one", 1, 1), 0);
        ensure(&out, "cfg-one", RDC_INTERNAL_TOPIC_CONFIG, 1, 1);
        assert_string_equal(out.errstr, "");
        assert_int_equal(out.result, RDC_INTERNAL_TOPIC_FALLBACK);
        /* Both Admin calls are missing on the mock: both warnings. */
        assert_non_null(strstr(out.log, "WARN"));
        assert_non_null(strstr(out.log,
                               "Could not create topic 'cfg-one' "
                               "(config.storage.topic) with the Admin API"));
        assert_non_null(strstr(out.log, "must be created beforehand"));
        assert_non_null(strstr(out.log, "Could not check that topic 'cfg-one' "
                                        "(config.storage.topic) has "
                                        "cleanup.policy=compact"));
        assert_int_equal(partitions_of("cfg-one"), 1);
}

/* Kafka's refusal of a config topic of 4 partitions. */
static void expect_four_partitions_refused(const outcome_t *out,
                                           const char *topic) {
        char expected[512];
        snprintf(expected, sizeof(expected),
                 "Topic '%s' supplied via the 'config.storage.topic' "
                 "property is required to have a single partition in order "
                 "to guarantee consistency of connector configurations, but "
                 "found 4 partitions.",
                 topic);
        assert_int_equal(out->result, RDC_INTERNAL_TOPIC_ERROR);
        assert_string_equal(out->errstr, expected);
}

static void test_config_topic_four_partitions(void **state) {
        outcome_t out;
        (void)state;
        assert_int_equal(rd_kafka_mock_topic_create(mock, "cfg-four", 4, 1), 0);
        ensure(&out, "cfg-four", RDC_INTERNAL_TOPIC_CONFIG, 1, 1);
        expect_four_partitions_refused(&out, "cfg-four");
}

static void test_missing_status_topic_auto_created(void **state) {
        outcome_t out;
        (void)state;
        /* Broker defaults for both. */
        ensure(&out, "status-missing", RDC_INTERNAL_TOPIC_STATUS, -1, -1);
        assert_string_equal(out.errstr, "");
        assert_int_equal(out.result, RDC_INTERNAL_TOPIC_FALLBACK);
        assert_non_null(strstr(out.log,
                               "Could not create topic 'status-missing' "
                               "(status.storage.topic) with the Admin API"));
        /* The mock auto-created it, with its default of 4. */
        assert_int_equal(partitions_of("status-missing"), 4);
}

static void test_missing_offsets_topic(void **state) {
        outcome_t out;
        (void)state;
        ensure(&out, "offsets-missing", RDC_INTERNAL_TOPIC_OFFSET, 25, -1);
        assert_int_equal(out.result, RDC_INTERNAL_TOPIC_FALLBACK);
        assert_true(partitions_of("offsets-missing") > 0);
}

static void test_missing_config_topic_refused(void **state) {
        outcome_t out;
        (void)state;
        ensure(&out, "cfg-missing", RDC_INTERNAL_TOPIC_CONFIG, 1, -1);
        /* Auto-creation cannot honour one partition: the clear error. */
        assert_non_null(strstr(out.log, "must be created beforehand"));
        expect_four_partitions_refused(&out, "cfg-missing");
}

static void test_bad_bootstrap(void **state) {
        outcome_t out;
        char errstr[256];
        (void)state;
        rd_kafka_conf_t *saved = admin_conf;
        admin_conf = rd_kafka_conf_new();
        rd_kafka_conf_set(admin_conf, "bootstrap.servers",
                          "no-such-host.invalid:9092", errstr, sizeof(errstr));
        ensure(&out, "t", RDC_INTERNAL_TOPIC_STATUS, 5, 3);
        rd_kafka_conf_destroy(admin_conf);
        admin_conf = saved;
        assert_int_equal(out.result, RDC_INTERNAL_TOPIC_ERROR);
        assert_non_null(strstr(out.errstr,
                               "Cannot create the admin client for topic "
                               "'t' (status.storage.topic)"));
}

/* The mock has no DescribeConfigs: the check of its answer, alone. */
static void test_cleanup_policy(void **state) {
        char errstr[2048] = "";
        (void)state;
        assert_int_equal(rdc_internal_topic_check_policy(
                                 "s", RDC_INTERNAL_TOPIC_STATUS, "compact",
                                 errstr, sizeof(errstr)),
                         1);
        assert_int_equal(rdc_internal_topic_check_policy(
                                 "s", RDC_INTERNAL_TOPIC_STATUS,
                                 " Compact ,, compact", errstr, sizeof(errstr)),
                         1);
        assert_string_equal(errstr, "");
        assert_int_equal(
                rdc_internal_topic_check_policy("s", RDC_INTERNAL_TOPIC_STATUS,
                                                " , ", errstr, sizeof(errstr)),
                -1);
        assert_int_equal(rdc_internal_topic_check_policy(
                                 "o", RDC_INTERNAL_TOPIC_OFFSET,
                                 "compact, Delete", errstr, sizeof(errstr)),
                         0);
        assert_string_equal(
                errstr,
                "Topic 'o' supplied via the 'offset.storage.topic' property "
                "is required to have 'cleanup.policy=compact' to guarantee "
                "consistency and durability of source connector offsets, but "
                "found the topic currently has 'cleanup.policy=compact,"
                "delete'. Continuing would likely result in eventually "
                "losing source connector offsets and problems restarting "
                "this Connect cluster in the future. Change the "
                "'offset.storage.topic' property in the Connect worker "
                "configurations to use a topic with 'cleanup.policy=compact'.");
        assert_int_equal(rdc_internal_topic_check_policy(
                                 "c", RDC_INTERNAL_TOPIC_CONFIG, "delete",
                                 errstr, sizeof(errstr)),
                         0);
        assert_non_null(strstr(errstr, "Topic 'c' supplied via the "
                                       "'config.storage.topic' property"));
        assert_non_null(strstr(errstr, "of connector configurations, but"));
        assert_int_equal(rdc_internal_topic_check_policy(
                                 "st", RDC_INTERNAL_TOPIC_STATUS, "delete",
                                 errstr, sizeof(errstr)),
                         0);
        assert_non_null(strstr(errstr, "'status.storage.topic'"));
        assert_non_null(strstr(errstr, "of connector and task statuses,"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_config_topic_one_partition),
                cmocka_unit_test(test_config_topic_four_partitions),
                cmocka_unit_test(test_missing_status_topic_auto_created),
                cmocka_unit_test(test_missing_offsets_topic),
                cmocka_unit_test(test_missing_config_topic_refused),
                cmocka_unit_test(test_bad_bootstrap),
                cmocka_unit_test(test_cleanup_policy),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
