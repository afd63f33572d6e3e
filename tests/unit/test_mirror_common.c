/*
 * Unit tests of plugins/mirror/mirror_common.c, compiled in: the
 * replication policies (names, Kafka's cycle rule), the topic filter with
 * Kafka's default excludes, and the Java client key mapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/map.h"
#include "mirror_common.h"
#include "plugins/host.h"

static const mirror_owner_t owner = {.ctx = NULL, .host = &rdc_host};

static rdc_map_t *cfg_of(const char *const *kv) {
        rdc_map_t *m = rdc_map_new();
        for (size_t i = 0; kv && kv[i]; i += 2)
                assert_int_equal(rdc_map_set(m, kv[i], kv[i + 1]), 0);
        return m;
}

static void test_default_policy(void **state) {
        (void)state;
        const char *kv[] = {"source.cluster.alias", "A", "target.cluster.alias",
                            "B", NULL};
        rdc_map_t *m = cfg_of(kv);
        mirror_policy_t p;
        char err[256], out[64];
        assert_int_equal(mirror_policy_init(&rdc_host, rdc_map_as_cconfig(m),
                                            &p, err, sizeof(err)),
                         RDCP_OK);
        assert_int_equal(mirror_policy_target(&p, "orders", out, sizeof(out)),
                         0);
        assert_string_equal(out, "A.orders");
        /* Came from B (directly or through C): mirroring it back loops. */
        assert_int_equal(mirror_policy_cycle(&p, "B.orders"), 1);
        assert_int_equal(mirror_policy_cycle(&p, "C.B.orders"), 1);
        assert_int_equal(mirror_policy_cycle(&p, "C.orders"), 0);
        assert_int_equal(mirror_policy_cycle(&p, "orders"), 0);
        assert_int_equal(mirror_policy_cycle(&p, "Bx.orders"), 0);
        assert_int_equal(mirror_policy_target(&p, "orders", out, 5), -1);
        rdc_map_destroy(m);
}

static void test_identity_and_bad_policy(void **state) {
        (void)state;
        const char *kv[] = {"replication.policy.class",
                            "org.apache.kafka.connect.mirror."
                            "IdentityReplicationPolicy",
                            "replication.policy.separator", "_", NULL};
        rdc_map_t *m = cfg_of(kv);
        mirror_policy_t p;
        char err[256], out[64];
        assert_int_equal(mirror_policy_init(&rdc_host, rdc_map_as_cconfig(m),
                                            &p, err, sizeof(err)),
                         RDCP_OK);
        assert_int_equal(mirror_policy_target(&p, "t", out, sizeof(out)), 0);
        assert_string_equal(out, "t");
        assert_int_equal(mirror_policy_cycle(&p, "target_t"), 0);
        rdc_map_set(m, "replication.policy.class", "com.example.Mine");
        assert_int_equal(mirror_policy_init(&rdc_host, rdc_map_as_cconfig(m),
                                            &p, err, sizeof(err)),
                         RDCP_ERR_CONFIG);
        assert_non_null(strstr(err, "replication.policy.class"));
        rdc_map_destroy(m);
}

static void test_filter(void **state) {
        (void)state;
        const char *kv[] = {"topics", "orders, logs-.*", NULL};
        rdc_map_t *m = cfg_of(kv);
        mirror_filter_t f;
        char err[256];
        assert_int_equal(mirror_filter_init(&rdc_host, rdc_map_as_cconfig(m),
                                            &f, err, sizeof(err)),
                         RDCP_OK);
        assert_int_equal(mirror_filter_match(&f, "orders"), 1);
        assert_int_equal(mirror_filter_match(&f, "orders2"), 0); /* whole */
        assert_int_equal(mirror_filter_match(&f, "logs-1"), 1);
        /* Kafka's default excludes. */
        assert_int_equal(mirror_filter_match(&f, "logs-x.internal"), 0);
        assert_int_equal(mirror_filter_match(&f, "logs-x.replica"), 0);
        mirror_filter_free(&f);
        const char *all[] = {NULL};
        rdc_map_t *d = cfg_of(all);
        assert_int_equal(mirror_filter_init(&rdc_host, rdc_map_as_cconfig(d),
                                            &f, err, sizeof(err)),
                         RDCP_OK);
        assert_int_equal(mirror_filter_match(&f, "anything"), 1);
        assert_int_equal(mirror_filter_match(&f, "__consumer_offsets"), 0);
        assert_int_equal(mirror_filter_match(&f, "mm2-offsets.B.internal"), 0);
        mirror_filter_free(&f);
        rdc_map_set(m, "topics", "(unclosed");
        assert_int_equal(mirror_filter_init(&rdc_host, rdc_map_as_cconfig(m),
                                            &f, err, sizeof(err)),
                         RDCP_ERR_CONFIG);
        assert_non_null(strstr(err, "configuration topics"));
        rdc_map_destroy(m);
        rdc_map_destroy(d);
}

static void test_client_keys(void **state) {
        (void)state;
        const char *kv[] = {
                "source.cluster.bootstrap.servers",
                "h:1",
                "source.cluster.alias",
                "A", /* not a client key */
                "source.cluster.partition.assignment.strategy",
                "org.apache.kafka.clients.consumer.RoundRobinAssignor,"
                "org.apache.kafka.clients.consumer.RangeAssignor",
                "source.cluster.key.deserializer",
                "x.Y", /* Java only */
                "consumer.poll.timeout.ms",
                "1000", /* the connector's */
                "source.consumer.client.id",
                "later-wins",
                "source.cluster.client.id",
                "first",
                NULL};
        rdc_map_t *m = cfg_of(kv);
        const char *const prefixes[] = {"source.cluster.", "consumer.",
                                        "source.consumer.", NULL};
        char err[256], value[128];
        size_t size = sizeof(value);
        rd_kafka_conf_t *conf =
                mirror_client_conf(&owner, rdc_map_as_cconfig(m), prefixes,
                                   NULL, err, sizeof(err));
        assert_non_null(conf);
        assert_int_equal(rd_kafka_conf_get(conf,
                                           "partition.assignment.strategy",
                                           value, &size),
                         RD_KAFKA_CONF_OK);
        assert_string_equal(value, "roundrobin,range");
        size = sizeof(value);
        rd_kafka_conf_get(conf, "client.id", value, &size);
        assert_string_equal(value, "later-wins");
        rd_kafka_conf_destroy(conf);

        rdc_map_set(m, "source.cluster.partition.assignment.strategy",
                    "org.apache.kafka.clients.consumer.StickyAssignor");
        assert_null(mirror_client_conf(&owner, rdc_map_as_cconfig(m), prefixes,
                                       NULL, err, sizeof(err)));
        assert_non_null(
                strstr(err, "source.cluster.partition.assignment.strategy"));
        rdc_map_set(m, "source.cluster.partition.assignment.strategy", "range");
        rdc_map_set(m, "source.cluster.no.such.key", "1");
        assert_null(mirror_client_conf(&owner, rdc_map_as_cconfig(m), prefixes,
                                       NULL, err, sizeof(err)));
        assert_non_null(strstr(err, "source.cluster.no.such.key"));
        rdc_map_destroy(m);
}

static void test_internal_names_and_heartbeats(void **state) {
        (void)state;
        const char *kv[] = {"source.cluster.alias", "A", "target.cluster.alias",
                            "B", NULL};
        rdc_map_t *m = cfg_of(kv);
        mirror_policy_t p;
        char err[256], out[128];
        assert_int_equal(mirror_policy_init(&rdc_host, rdc_map_as_cconfig(m),
                                            &p, err, sizeof(err)),
                         RDCP_OK);
        /* Kafka's DefaultReplicationPolicy names. */
        assert_int_equal(
                mirror_policy_offset_syncs_topic(&p, "B", out, sizeof(out)), 0);
        assert_string_equal(out, "mm2-offset-syncs.B.internal");
        assert_int_equal(mirror_policy_checkpoints_topic(&p, out, sizeof(out)),
                         0);
        assert_string_equal(out, "A.checkpoints.internal");
        assert_int_equal(mirror_policy_is_heartbeats(&p, "heartbeats"), 1);
        assert_int_equal(mirror_policy_is_heartbeats(&p, "C.heartbeats"), 1);
        assert_int_equal(mirror_policy_is_heartbeats(&p, "C.D.heartbeats"), 1);
        assert_int_equal(mirror_policy_is_heartbeats(&p, "myheartbeats"), 0);
        assert_int_equal(mirror_policy_is_internal("__consumer_offsets"), 1);
        assert_int_equal(mirror_policy_is_internal("x.checkpoints.internal"),
                         1);
        assert_int_equal(mirror_policy_is_internal("connect-offsets-internal"),
                         1);
        assert_int_equal(mirror_policy_is_internal("orders"), 0);
        /* A checkpoint names the target's topic; one that came from the
         * target gets its original name back. */
        assert_int_equal(
                mirror_policy_checkpoint_topic(&p, "orders", out, sizeof(out)),
                0);
        assert_string_equal(out, "A.orders");
        assert_int_equal(mirror_policy_checkpoint_topic(&p, "B.orders", out,
                                                        sizeof(out)),
                         0);
        assert_string_equal(out, "orders");
        rdc_map_destroy(m);

        /* Identity keeps names, except heartbeats (looksLikeHeartbeat). */
        const char *kv2[] = {"source.cluster.alias",
                             "A",
                             "target.cluster.alias",
                             "B",
                             "replication.policy.class",
                             "IdentityReplicationPolicy",
                             "replication.policy.separator",
                             "_",
                             NULL};
        m = cfg_of(kv2);
        assert_int_equal(mirror_policy_init(&rdc_host, rdc_map_as_cconfig(m),
                                            &p, err, sizeof(err)),
                         RDCP_OK);
        assert_int_equal(
                mirror_policy_target(&p, "heartbeats", out, sizeof(out)), 0);
        assert_string_equal(out, "A_heartbeats");
        assert_int_equal(mirror_policy_target(&p, "orders", out, sizeof(out)),
                         0);
        assert_string_equal(out, "orders");
        assert_int_equal(mirror_policy_cycle(&p, "B_heartbeats"), 1);
        assert_int_equal(mirror_policy_cycle(&p, "B_orders"), 0);
        assert_int_equal(
                mirror_policy_offset_syncs_topic(&p, "B", out, sizeof(out)), 0);
        assert_string_equal(out, "mm2-offset-syncs_B_internal");
        rdc_map_destroy(m);
}

static void test_record_formats(void **state) {
        (void)state;
        /* Heartbeat key {A, B}: Kafka's STRING is INT16 length + bytes. */
        uint8_t buf[32];
        mirror_enc_t e = {.buf = buf, .size = sizeof(buf)};
        mirror_enc_str(&e, "A");
        mirror_enc_str(&e, "Bc");
        mirror_enc_i16(&e, 0);
        mirror_enc_i32(&e, -2);
        mirror_enc_i64(&e, 0x0102030405060708LL);
        static const uint8_t want[] = {0, 1, 'A',  0,    2,    'B',  'c',
                                       0, 0, 0xff, 0xff, 0xff, 0xfe, 1,
                                       2, 3, 4,    5,    6,    7,    8};
        assert_int_equal(e.over, 0);
        assert_int_equal(e.len, sizeof(want));
        assert_memory_equal(buf, want, sizeof(want));
        /* Overflow is marked, never written past. */
        mirror_enc_t small = {.buf = buf, .size = 3};
        mirror_enc_str(&small, "AB");
        assert_int_equal(small.over, 1);

        /* OffsetSync: key {topic, partition}, value {upstream, offset}. */
        uint8_t key[32], value[16];
        mirror_enc_t k = {.buf = key, .size = sizeof(key)};
        mirror_enc_t v = {.buf = value, .size = sizeof(value)};
        mirror_enc_str(&k, "orders");
        mirror_enc_i32(&k, 3);
        mirror_enc_i64(&v, 150);
        mirror_enc_i64(&v, 42);
        mirror_offset_sync_t s;
        assert_int_equal(
                mirror_offset_sync_decode(key, k.len, value, v.len, &s), 0);
        assert_string_equal(s.topic, "orders");
        assert_int_equal(s.partition, 3);
        assert_int_equal(s.upstream, 150);
        assert_int_equal(s.downstream, 42);
        /* Short or missing parts are not offset syncs. */
        assert_int_equal(
                mirror_offset_sync_decode(key, k.len - 1, value, v.len, &s),
                -1);
        assert_int_equal(mirror_offset_sync_decode(key, k.len, value, 15, &s),
                         -1);
        assert_int_equal(mirror_offset_sync_decode(NULL, 0, value, 16, &s), -1);
        static const uint8_t huge[] = {0x7f, 0xff, 'x'};
        assert_int_equal(
                mirror_offset_sync_decode(huge, sizeof(huge), value, 16, &s),
                -1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_policy),
                cmocka_unit_test(test_identity_and_bad_policy),
                cmocka_unit_test(test_filter),
                cmocka_unit_test(test_client_keys),
                cmocka_unit_test(test_internal_names_and_heartbeats),
                cmocka_unit_test(test_record_formats),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
