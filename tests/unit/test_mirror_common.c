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

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_default_policy),
                cmocka_unit_test(test_identity_and_bad_policy),
                cmocka_unit_test(test_filter),
                cmocka_unit_test(test_client_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
