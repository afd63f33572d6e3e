/*
 * Unit tests of the Kafka-topic stores (storage/config_store_kafka.c,
 * status_store_kafka.c, topic_log.c)
 * on an in-process librdkafka mock cluster: records a Java worker wrote
 * (produced here byte for byte, not by the store) are read at open; two
 * stores on one topic, as two workers, see each other's writes; done()
 * means acknowledged and applied; incomplete task commits change nothing;
 * a write Kafka never acknowledges fails and changes nothing. And the
 * topic log under it on a topic of several partitions (as the status and
 * offsets topics): one write of many keys is done only once each of its
 * records was read back, from whichever partition its key went to.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "storage/config_store_kafka.h"
#include "storage/offsets.h"
#include "storage/status_store_kafka.h"
#include "storage/topic_log.h"
#include "test_util.h"

#define TOPIC "connect-configs"

typedef struct fixture {
        rd_kafka_t *mock_owner;
        rd_kafka_mock_cluster_t *mock;
        char bootstrap[256];
} fixture_t;

static fixture_t fx;

static rd_kafka_conf_t *client_conf(int timeout_ms) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[256];
        char value[32];
        assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers",
                                           fx.bootstrap, errstr,
                                           sizeof(errstr)),
                         RD_KAFKA_CONF_OK);
        rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof(errstr));
        snprintf(value, sizeof(value), "%d", timeout_ms);
        rd_kafka_conf_set(conf, "message.timeout.ms", value, errstr,
                          sizeof(errstr));
        return conf;
}

static rd_kafka_conf_t *consumer_conf(void) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char errstr[256];
        rd_kafka_conf_set(conf, "bootstrap.servers", fx.bootstrap, errstr,
                          sizeof(errstr));
        rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof(errstr));
        rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", errstr,
                          sizeof(errstr));
        return conf;
}

static int setup(void **state) {
        char errstr[256];
        (void)state;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
        fx.mock_owner =
                rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        assert_non_null(fx.mock_owner);
        fx.mock = rd_kafka_mock_cluster_new(fx.mock_owner, 1);
        assert_non_null(fx.mock);
        snprintf(fx.bootstrap, sizeof(fx.bootstrap), "%s",
                 rd_kafka_mock_cluster_bootstraps(fx.mock));
        return 0;
}

static int teardown(void **state) {
        (void)state;
        rd_kafka_mock_cluster_destroy(fx.mock);
        rd_kafka_destroy(fx.mock_owner);
        return 0;
}

/* Produces key/value (NULL value: tombstone) to partition 0 of topic, as
 * a Java worker would have. */
static void produce_raw(const char *topic, const char *key, const char *value) {
        char errstr[256];
        rd_kafka_t *p = rd_kafka_new(RD_KAFKA_PRODUCER, client_conf(5000),
                                     errstr, sizeof(errstr));
        assert_non_null(p);
        assert_int_equal(
                rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
                                  RD_KAFKA_V_PARTITION(0),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_KEY(key, strlen(key)),
                                  RD_KAFKA_V_VALUE((void *)value,
                                                   value ? strlen(value) : 0),
                                  RD_KAFKA_V_END),
                0);
        assert_int_equal(rd_kafka_flush(p, 5000), 0);
        rd_kafka_destroy(p);
}

static rdc_config_store_t *open_store(const char *topic, int timeout_ms) {
        char errstr[512] = "";
        rdc_config_store_t *store = rdc_config_store_kafka_open(
                client_conf(timeout_ms), consumer_conf(), topic, 10000, errstr,
                sizeof(errstr));
        if (!store)
                fail_msg("open: %s", errstr);
        return store;
}

/* What done() and the listener saw. */
typedef struct seen {
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int done_cnt;
        int last_err;
        char log[2048];
        /* At done time: was the write already visible in get()? */
        rdc_config_store_t *store;
        const char *expect_name;
        int visible_at_done;
        char last_errstr[512];
} seen_t;

static void seen_init(seen_t *s, rdc_config_store_t *store) {
        memset(s, 0, sizeof(*s));
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->cond, NULL);
        s->store = store;
}

static void on_change(void *opaque, const char *connector) {
        seen_t *s = opaque;
        pthread_mutex_lock(&s->lock);
        tu_appendf(s->log, sizeof(s->log), "L:%s ", connector);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
}

static void on_done(void *opaque, int err, const char *errstr) {
        seen_t *s = opaque;
        rdc_config_entry_t *e =
                s->expect_name ? s->store->ops->get(s->store, s->expect_name)
                               : NULL;
        pthread_mutex_lock(&s->lock);
        s->visible_at_done = e != NULL;
        s->done_cnt++;
        s->last_err = err;
        snprintf(s->last_errstr, sizeof(s->last_errstr), "%s",
                 errstr ? errstr : "");
        tu_appendf(s->log, sizeof(s->log), "D:%d ", err);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        rdc_config_entry_free(e);
}

/* Waits until the log contains text (at most 15 s). */
static int seen_wait(seen_t *s, const char *text) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 15;
        pthread_mutex_lock(&s->lock);
        while (!strstr(s->log, text) &&
               pthread_cond_timedwait(&s->cond, &s->lock, &ts) == 0)
                ;
        int found = strstr(s->log, text) != NULL;
        pthread_mutex_unlock(&s->lock);
        return found;
}

static int seen_done(seen_t *s, int cnt) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 15;
        pthread_mutex_lock(&s->lock);
        while (s->done_cnt < cnt &&
               pthread_cond_timedwait(&s->cond, &s->lock, &ts) == 0)
                ;
        int ok = s->done_cnt >= cnt;
        pthread_mutex_unlock(&s->lock);
        return ok;
}

/* Polls until caught_up(arg) says the other store caught up (every
 * 10 ms, at most 15 s). @returns its last answer. */
static int poll_until(int (*caught_up)(void *arg), void *arg) {
        for (int i = 0; i < 1500; i++) {
                if (caught_up(arg))
                        return 1;
                usleep(10000);
        }
        return caught_up(arg);
}

static void test_reads_java_records(void **state) {
        (void)state;
        const char *topic = "java-configs";
        assert_int_equal(rd_kafka_mock_topic_create(fx.mock, topic, 1, 1), 0);
        /* Apache Kafka Connect's own bytes. */
        produce_raw(topic, "target-state-gold-src",
                    "{\"state\":\"PAUSED\",\"state.v2\":\"PAUSED\"}");
        produce_raw(topic, "connector-gold-src",
                    "{\"properties\":{\"connector.class\":"
                    "\"FileStreamSource\",\"file\":\"/data/in.txt\","
                    "\"topic\":\"gold-topic\",\"tasks.max\":\"1\","
                    "\"name\":\"gold-src\"}}");
        produce_raw(topic, "task-gold-src-0",
                    "{\"properties\":{\"connector.class\":"
                    "\"FileStreamSource\",\"file\":\"/data/in.txt\","
                    "\"task.class\":\"org.apache.kafka.connect.file."
                    "FileStreamSourceTask\",\"tasks.max\":\"1\",\"name\":"
                    "\"gold-src\",\"topic\":\"gold-topic\"}}");
        produce_raw(topic, "commit-gold-src", "{\"tasks\":1}");
        /* Discarded, as Kafka discards them. */
        produce_raw(topic, "no-such-key", "{}");
        produce_raw(topic, "connector-broken", "[1,2]");
        /* A second connector, later deleted. */
        produce_raw(topic, "connector-gone",
                    "{\"properties\":{\"name\":\"gone\"}}");
        produce_raw(topic, "connector-gone", NULL);
        produce_raw(topic, "target-state-gone", NULL);

        rdc_config_store_t *store = open_store(topic, 5000);
        char **names = NULL;
        assert_int_equal(store->ops->names(store, &names), 1);
        assert_string_equal(names[0], "gold-src");
        free(names[0]);
        free(names);
        rdc_config_entry_t *e = store->ops->get(store, "gold-src");
        assert_non_null(e);
        assert_int_equal(e->target, RDC_TARGET_PAUSED);
        assert_string_equal(rdc_map_get(e->config, "file"), "/data/in.txt");
        assert_string_equal(rdc_map_get(e->config, "name"), "gold-src");
        assert_int_equal(e->task_cnt, 1);
        assert_string_equal(rdc_map_get(e->task_cfgs[0], "task.class"),
                            "org.apache.kafka.connect.file."
                            "FileStreamSourceTask");
        rdc_config_entry_free(e);
        assert_null(store->ops->get(store, "gone"));
        assert_null(store->ops->get(store, "broken"));
        store->ops->destroy(store);
}

static rdc_map_t *config(const char *name, const char *topic) {
        rdc_map_t *m = rdc_map_new();
        rdc_map_set(m, "name", name);
        rdc_map_set(m, "connector.class", "FileStreamSource");
        rdc_map_set(m, "topic", topic);
        return m;
}

/* Two workers' stores on a new one-partition topic, with what they
 * saw. */
static void two_stores(const char *topic, rdc_config_store_t **a,
                       rdc_config_store_t **b, seen_t *sa, seen_t *sb) {
        assert_int_equal(rd_kafka_mock_topic_create(fx.mock, topic, 1, 1), 0);
        *a = open_store(topic, 5000);
        *b = open_store(topic, 5000);
        seen_init(sa, *a);
        seen_init(sb, *b);
}

static void test_two_workers(void **state) {
        char errstr[256];
        (void)state;
        rdc_config_store_t *a, *b;
        seen_t sa, sb;
        two_stores(TOPIC, &a, &b, &sa, &sb);
        a->ops->set_listener(a, on_change, &sa);
        b->ops->set_listener(b, on_change, &sb);

        /* Create on a: done only once applied there; b hears of it. */
        rdc_map_t *cfg = config("c1", "t1");
        sa.expect_name = "c1";
        assert_int_equal(a->ops->put_connector(a, "c1", cfg, RDC_TARGET_STARTED,
                                               on_done, &sa, errstr,
                                               sizeof(errstr)),
                         0);
        rdc_map_destroy(cfg);
        assert_true(seen_done(&sa, 1));
        assert_int_equal(sa.last_err, 0);
        assert_true(sa.visible_at_done);
        /* The listener came before done. */
        assert_string_equal(sa.log, "L:c1 D:0 ");
        assert_true(seen_wait(&sb, "L:c1 "));
        rdc_config_entry_t *e = b->ops->get(b, "c1");
        assert_non_null(e);
        assert_string_equal(rdc_map_get(e->config, "topic"), "t1");
        assert_int_equal(e->target, RDC_TARGET_STARTED);
        assert_int_equal(e->task_cnt, 0);
        uint64_t v1 = e->config_version;
        rdc_config_entry_free(e);

        /* Task configs from a: b sees both tasks at the commit. */
        rdc_map_t *tasks[2] = {config("c1", "t1"), config("c1", "t1")};
        rdc_map_set(tasks[1], "task.id", "1");
        assert_int_equal(a->ops->put_task_configs(a, "c1", tasks, 2, on_done,
                                                  &sa, errstr, sizeof(errstr)),
                         0);
        rdc_map_destroy(tasks[0]);
        rdc_map_destroy(tasks[1]);
        assert_true(seen_done(&sa, 2));
        assert_int_equal(sa.last_err, 0);
        assert_true(seen_wait(&sb, "L:c1 L:c1 "));
        e = b->ops->get(b, "c1");
        assert_int_equal(e->task_cnt, 2);
        assert_string_equal(rdc_map_get(e->task_cfgs[1], "task.id"), "1");
        assert_true(e->config_version == v1);
        rdc_config_entry_free(e);

        /* Target state from b, seen by a. */
        sb.expect_name = "c1";
        assert_int_equal(b->ops->put_target(b, "c1", RDC_TARGET_STOPPED,
                                            on_done, &sb, errstr,
                                            sizeof(errstr)),
                         0);
        assert_true(seen_done(&sb, 1));
        assert_true(seen_wait(&sa, "L:c1 D:0 L:c1 D:0 L:c1 "));
        e = a->ops->get(a, "c1");
        assert_int_equal(e->target, RDC_TARGET_STOPPED);
        rdc_config_entry_free(e);

        /* Unknown connectors are refused at once, done is not called. */
        assert_int_equal(a->ops->put_target(a, "nope", RDC_TARGET_PAUSED,
                                            on_done, &sa, errstr,
                                            sizeof(errstr)),
                         -1);
        assert_string_equal(errstr, "Connector nope not found");

        /* Remove from a: gone on both. */
        sa.expect_name = NULL;
        assert_int_equal(
                a->ops->remove(a, "c1", on_done, &sa, errstr, sizeof(errstr)),
                0);
        assert_true(seen_done(&sa, 3));
        assert_int_equal(sa.last_err, 0);
        assert_null(a->ops->get(a, "c1"));
        assert_true(seen_wait(&sb, "D:0 L:c1 "));
        assert_null(b->ops->get(b, "c1"));
        char **names = NULL;
        assert_int_equal(b->ops->names(b, &names), 0);
        free(names);

        /* A third worker starting now reads the same state. */
        rdc_config_store_t *c = open_store(TOPIC, 5000);
        assert_null(c->ops->get(c, "c1"));
        c->ops->destroy(c);
        a->ops->destroy(a);
        b->ops->destroy(b);
}

/* One put_connector of name on st, waited for. @returns its err. */
static int put_and_wait(rdc_config_store_t *st, seen_t *s, const char *name) {
        char errstr[256];
        int before = s->done_cnt;
        rdc_map_t *cfg = config(name, "t");
        int rc = st->ops->put_connector(st, name, cfg, RDC_TARGET_STARTED,
                                        on_done, s, errstr, sizeof(errstr));
        rdc_map_destroy(cfg);
        assert_int_equal(rc, 0);
        assert_true(seen_done(s, before + 1));
        return s->last_err;
}

static int has(rdc_config_store_t *st, const char *name) {
        rdc_config_entry_t *e = st->ops->get(st, name);
        rdc_config_entry_free(e);
        return e != NULL;
}

/* Fenced writes (distributed mode's config topic): only the claimed
 * writer writes; a fenced one's write fails and never lands, and it
 * claims again only in a later term. The mock (librdkafka 2.0.2) gives
 * each InitProducerId a new producer id instead of bumping the epoch of
 * the transactional id's producer, so there a second claim does not
 * fence the first as a broker does: the broker's answer to the fenced
 * producer's next transaction is injected instead. */
static void test_fenced_writes(void **state) {
        (void)state;
        const char *id = "connect-cluster-g";
        rdc_config_store_t *a, *b;
        seen_t sa, sb;
        two_stores("fenced-configs", &a, &b, &sa, &sb);

        /* Not the writer: refused, nothing written. */
        assert_int_equal(a->ops->set_writer(a, NULL, 1), 0);
        assert_int_not_equal(put_and_wait(a, &sa, "c0"), 0);
        assert_non_null(strstr(sa.last_errstr, "Only the leader"));
        assert_false(has(a, "c0"));

        /* a claims and writes in a transaction; b reads it. */
        assert_int_equal(a->ops->set_writer(a, id, 1), 0);
        assert_int_equal(put_and_wait(a, &sa, "c1"), 0);
        assert_true(has(a, "c1"));

        /* Another leader claimed the id: a's next write is fenced. */
        rd_kafka_mock_push_request_errors(fx.mock, 24 /* AddPartitionsToTxn */,
                                          1, RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
        assert_int_not_equal(put_and_wait(a, &sa, "c3"), 0);
        /* Asked again in the same term (a deposed leader that does not
         * know it yet), a writes nothing and claims nothing. */
        assert_int_equal(a->ops->set_writer(a, id, 1), 0);
        assert_int_not_equal(put_and_wait(a, &sa, "c4"), 0);
        assert_non_null(strstr(sa.last_errstr, "writes were fenced"));
        assert_int_equal(b->ops->set_writer(b, id, 2), 0);
        assert_int_equal(put_and_wait(b, &sb, "c5"), 0);
        assert_true(has(b, "c1") && has(b, "c5"));
        assert_false(has(b, "c3") || has(b, "c4"));
        assert_false(has(a, "c3") || has(a, "c4"));

        /* a leads again in a later term: it claims again and writes. */
        assert_int_equal(a->ops->set_writer(a, id, 3), 0);
        assert_int_equal(put_and_wait(a, &sa, "c6"), 0);
        assert_true(has(a, "c5") && has(a, "c6"));
        /* And when it no longer leads, it writes nothing. */
        assert_int_equal(a->ops->set_writer(a, NULL, 4), 0);
        assert_int_not_equal(put_and_wait(a, &sa, "c7"), 0);
        assert_false(has(a, "c7"));

        a->ops->destroy(a);
        b->ops->destroy(b);
}

static void test_incomplete_commit(void **state) {
        char errstr[256];
        (void)state;
        const char *topic = "partial-configs";
        assert_int_equal(rd_kafka_mock_topic_create(fx.mock, topic, 1, 1), 0);
        rdc_config_store_t *store = open_store(topic, 5000);
        seen_t s;
        seen_init(&s, store);
        rdc_map_t *cfg = config("p", "t");
        assert_int_equal(store->ops->put_connector(store, "p", cfg,
                                                   RDC_TARGET_STARTED, on_done,
                                                   &s, errstr, sizeof(errstr)),
                         0);
        rdc_map_destroy(cfg);
        assert_true(seen_done(&s, 1));
        /* Task 1 of 2 and a commit: task 0 is missing (compacted away). */
        produce_raw(topic, "task-p-1", "{\"properties\":{\"k\":\"v\"}}");
        produce_raw(topic, "commit-p", "{\"tasks\":2}");
        /* A write after them: its done() means both were read. */
        assert_int_equal(store->ops->put_target(store, "p", RDC_TARGET_PAUSED,
                                                on_done, &s, errstr,
                                                sizeof(errstr)),
                         0);
        assert_true(seen_done(&s, 2));
        rdc_config_entry_t *e = store->ops->get(store, "p");
        assert_int_equal(e->task_cnt, 0);
        assert_int_equal(e->target, RDC_TARGET_PAUSED);
        rdc_config_entry_free(e);
        store->ops->destroy(store);
}

static void test_unacknowledged_write_fails(void **state) {
        char errstr[256];
        (void)state;
        const char *topic = "down-configs";
        assert_int_equal(rd_kafka_mock_topic_create(fx.mock, topic, 1, 1), 0);
        rdc_config_store_t *store = open_store(topic, 1500);
        seen_t s;
        seen_init(&s, store);
        store->ops->set_listener(store, on_change, &s);
        rd_kafka_mock_broker_set_down(fx.mock, 1);
        rdc_map_t *cfg = config("lost", "t");
        assert_int_equal(store->ops->put_connector(store, "lost", cfg,
                                                   RDC_TARGET_STARTED, on_done,
                                                   &s, errstr, sizeof(errstr)),
                         0);
        rdc_map_destroy(cfg);
        assert_true(seen_done(&s, 1));
        rd_kafka_mock_broker_set_up(fx.mock, 1);
        assert_int_equal(s.last_err, 1);
        assert_string_equal(s.log, "D:1 ");
        assert_null(store->ops->get(store, "lost"));
        store->ops->destroy(store);
}

typedef struct counted {
        size_t records;
        int partitions_seen[8];
        size_t records_at_done;
        int done_err;
        int dones;
} counted_t;

static void count_records(void *opaque, rd_kafka_message_t *const *msgs,
                          size_t cnt) {
        counted_t *c = opaque;
        for (size_t i = 0; i < cnt; i++) {
                c->records++;
                if (msgs[i]->partition >= 0 && msgs[i]->partition < 8)
                        c->partitions_seen[msgs[i]->partition] = 1;
        }
}

static void count_done(void *opaque, int err, const char *errstr) {
        counted_t *c = opaque;
        (void)errstr;
        c->records_at_done = c->records;
        c->done_err = err;
        __atomic_add_fetch(&c->dones, 1, __ATOMIC_SEQ_CST);
}

static int log_done(void *arg) {
        counted_t *c = arg;
        return __atomic_load_n(&c->dones, __ATOMIC_SEQ_CST) != 0;
}

static void test_topic_log_partitions(void **state) {
        char errstr[256] = "";
        char *keys[50], *values[50];
        counted_t c = {0};
        (void)state;
        const char *topic = "status-like";
        assert_int_equal(rd_kafka_mock_topic_create(fx.mock, topic, 5, 1), 0);
        produce_raw(topic, "before", "{}");
        rdc_topic_log_t *log = rdc_topic_log_open(
                client_conf(5000), consumer_conf(), topic, "status-like topic",
                count_records, &c, 10000, errstr, sizeof(errstr));
        if (!log)
                fail_msg("open: %s", errstr);
        /* Open read what was there. */
        assert_int_equal(c.records, 1);
        for (int i = 0; i < 50; i++) {
                assert_true(asprintf(&keys[i], "status-task-c-%d", i) > 0);
                values[i] = i % 10 ? "{\"state\":\"RUNNING\"}" : NULL;
        }
        assert_int_equal(rdc_topic_log_send(log, keys, values, 50, count_done,
                                            &c, errstr, sizeof(errstr)),
                         0);
        for (int i = 0; i < 50; i++)
                free(keys[i]);
        assert_true(poll_until(log_done, &c));
        assert_int_equal(c.dones, 1);
        assert_int_equal(c.done_err, 0);
        assert_int_equal(c.records_at_done, 51);
        int partitions = 0;
        for (int p = 0; p < 8; p++)
                partitions += c.partitions_seen[p];
        /* murmur2 spreads 50 keys over more than one of 5 partitions. */
        assert_true(partitions > 1);
        rdc_topic_log_close(log);
}

/* Status listener: "S:<connector>/<task> " per change. */
static void on_status(void *opaque, const char *connector, int32_t task_id) {
        seen_t *s = opaque;
        pthread_mutex_lock(&s->lock);
        tu_appendf(s->log, sizeof(s->log), "S:%s/%d ", connector, task_id);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
}

static rdc_status_store_t *open_status(const char *topic) {
        char errstr[512] = "";
        rdc_status_store_t *store = rdc_status_store_kafka_open(
                client_conf(5000), consumer_conf(), topic, 10000, errstr,
                sizeof(errstr));
        if (!store)
                fail_msg("open: %s", errstr);
        return store;
}

/* Poll condition: store b has no status of connector c or its tasks 0
 * and 1. */
static int statuses_of_c_gone(void *arg) {
        rdc_status_store_t *b = arg;
        rdc_status_t st;
        for (int32_t t = RDC_STATUS_CONNECTOR; t <= 1; t++) {
                if (b->ops->get(b, "c", t, &st) == 0) {
                        rdc_status_clear(&st);
                        return 0;
                }
        }
        return 1;
}

static void test_status_store(void **state) {
        rdc_status_t st;
        (void)state;
        const char *topic = "connect-status";
        assert_int_equal(rd_kafka_mock_topic_create(fx.mock, topic, 5, 1), 0);
        /* A Java worker's bytes. */
        produce_raw(topic, "status-connector-gold-src",
                    "{\"state\":\"RUNNING\",\"trace\":null,"
                    "\"worker_id\":\"127.0.0.1:38083\",\"generation\":2}");
        produce_raw(topic, "status-topic-gold-topic:connector-gold-src",
                    "{\"topic\":{\"name\":\"gold-topic\",\"connector\":"
                    "\"gold-src\",\"task\":0,\"discoverTimestamp\":"
                    "1796186097522}}");
        rdc_status_store_t *a = open_status(topic);
        rdc_status_store_t *b = open_status(topic);
        assert_int_equal(a->ops->get(a, "gold-src", RDC_STATUS_CONNECTOR, &st),
                         0);
        assert_string_equal(st.state, "RUNNING");
        assert_string_equal(st.worker_id, "127.0.0.1:38083");
        assert_int_equal(st.generation, 2);
        assert_null(st.trace);
        rdc_status_clear(&st);

        seen_t sa, sb;
        seen_init(&sa, NULL);
        seen_init(&sb, NULL);
        b->ops->set_listener(b, on_status, &sb);
        /* a runs task 0 in generation 3; b reads it. */
        a->ops->put(a, "c", 0, "FAILED", "boom\n\tat x", "w1:8083", 3, on_done,
                    &sa);
        assert_true(seen_done(&sa, 1));
        assert_int_equal(sa.last_err, 0);
        assert_int_equal(a->ops->get(a, "c", 0, &st), 0);
        rdc_status_clear(&st);
        assert_true(seen_wait(&sb, "S:c/0 "));
        assert_int_equal(b->ops->get(b, "c", 0, &st), 0);
        assert_string_equal(st.state, "FAILED");
        assert_string_equal(st.trace, "boom\n\tat x");
        assert_string_equal(st.worker_id, "w1:8083");
        rdc_status_clear(&st);

        /* A zombie of generation 2 cannot overwrite it... */
        b->ops->put(b, "c", 0, "RUNNING", NULL, "w2:8083", 2, on_done, &sb);
        assert_true(seen_done(&sb, 1));
        /* ...but the owner of a later generation can. */
        b->ops->put(b, "c", 1, "RUNNING", NULL, "w2:8083", 4, on_done, &sb);
        assert_true(seen_done(&sb, 2));
        assert_int_equal(a->ops->get(a, "c", 0, &st), 0);
        assert_string_equal(st.worker_id, "w1:8083");
        rdc_status_clear(&st);

        /* Removal: tombstones, seen by both. */
        a->ops->put(a, "c", RDC_STATUS_CONNECTOR, "RUNNING", NULL, "w1:8083", 3,
                    on_done, &sa);
        assert_true(seen_done(&sa, 2));
        a->ops->remove(a, "c", RDC_STATUS_CONNECTOR, on_done, &sa);
        assert_true(seen_done(&sa, 3));
        assert_int_equal(sa.last_err, 0);
        assert_int_equal(a->ops->get(a, "c", 0, &st), -1);
        assert_int_equal(a->ops->get(a, "c", 1, &st), -1);
        assert_int_equal(a->ops->get(a, "c", RDC_STATUS_CONNECTOR, &st), -1);
        /* The tombstones may sit in different partitions: wait for all. */
        assert_true(poll_until(statuses_of_c_gone, b));
        assert_true(seen_wait(&sb, "S:c/-1 "));
        a->ops->destroy(a);
        b->ops->destroy(b);
}

static void on_offset(void *opaque, const char *connector,
                      const char *partition) {
        seen_t *s = opaque;
        pthread_mutex_lock(&s->lock);
        tu_appendf(s->log, sizeof(s->log), "O:%s%s ", connector,
                   partition ? partition : "*");
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
}

static rdc_offset_store_t *open_offsets(const char *topic) {
        char errstr[512] = "";
        rdc_offset_store_t *store = rdc_offset_store_kafka_open(
                client_conf(5000), consumer_conf(), topic, 10000, errstr,
                sizeof(errstr));
        if (!store)
                fail_msg("open: %s", errstr);
        return store;
}

static void count_offset(void *opaque, const char *partition,
                         const char *offset) {
        (void)partition;
        (void)offset;
        (*(int *)opaque)++;
}

static void expect_offset(rdc_offset_store_t *store, const char *connector,
                          const char *partition, const char *offset) {
        char *got = NULL;
        assert_int_equal(
                rdc_offset_store_get(store, connector, partition, &got), 0);
        if (offset)
                assert_string_equal(got, offset);
        else
                assert_null(got);
        free(got);
}

/* Poll condition: store b has no offset of connector c. */
static int offsets_of_c_gone(void *arg) {
        int left = 0;
        rdc_offset_store_foreach(arg, "c", count_offset, &left);
        return left == 0;
}

static void test_offset_store(void **state) {
        char errstr[256] = "";
        (void)state;
        const char *topic = "connect-offsets";
        assert_int_equal(rd_kafka_mock_topic_create(fx.mock, topic, 5, 1), 0);
        /* A Java worker's records: its key order, a removed partition. */
        produce_raw(topic, "[\"gold-src\",{\"filename\":\"/data/in.txt\"}]",
                    "{\"position\":42}");
        produce_raw(topic, "[\"gold-src\",{\"filename\":\"/data/old.txt\"}]",
                    "{\"position\":7}");
        produce_raw(topic, "[\"gold-src\",{\"filename\":\"/data/old.txt\"}]",
                    NULL);
        rdc_offset_store_t *a = open_offsets(topic);
        rdc_offset_store_t *b = open_offsets(topic);
        expect_offset(a, "gold-src", "{\"filename\":\"/data/in.txt\"}",
                      "{\"position\":42}");
        expect_offset(a, "gold-src", "{\"filename\":\"/data/old.txt\"}", NULL);

        seen_t sa, sb;
        seen_init(&sa, NULL);
        seen_init(&sb, NULL);
        rdc_offset_store_set_listener(a, on_offset, &sa);
        rdc_offset_store_set_listener(b, on_offset, &sb);
        /* Staged on a: visible there at once, on b only after a flush. */
        assert_int_equal(rdc_offset_store_put(a, "c", "{\"p\":1}", "{\"o\":5}"),
                         0);
        expect_offset(a, "c", "{\"p\":1}", "{\"o\":5}");
        expect_offset(b, "c", "{\"p\":1}", NULL);
        assert_int_equal(rdc_offset_store_flush(a, errstr, sizeof(errstr)), 0);
        assert_true(seen_wait(&sb, "O:c{\"p\":1} "));
        expect_offset(b, "c", "{\"p\":1}", "{\"o\":5}");

        /* a's newer staged value stands against an older one read back. */
        assert_int_equal(rdc_offset_store_put(a, "c", "{\"p\":1}", "{\"o\":9}"),
                         0);
        assert_int_equal(rdc_offset_store_put(b, "c", "{\"p\":1}", "{\"o\":6}"),
                         0);
        assert_int_equal(rdc_offset_store_put(b, "c", "{\"p\":2}", "{\"o\":1}"),
                         0);
        assert_int_equal(rdc_offset_store_flush(b, errstr, sizeof(errstr)), 0);
        assert_true(seen_wait(&sa, "O:c{\"p\":2} "));
        expect_offset(a, "c", "{\"p\":1}", "{\"o\":9}");
        assert_int_equal(rdc_offset_store_flush(a, errstr, sizeof(errstr)), 0);
        expect_offset(a, "c", "{\"p\":1}", "{\"o\":9}");

        /* Removal: tombstones; b ends with nothing of c. */
        rdc_offset_store_remove_connector(a, "c");
        assert_int_equal(rdc_offset_store_flush(a, errstr, sizeof(errstr)), 0);
        assert_true(poll_until(offsets_of_c_gone, b));
        rdc_offset_store_destroy(a);
        rdc_offset_store_destroy(b);

        /* A worker starting now reads the same. */
        rdc_offset_store_t *c = open_offsets(topic);
        int left = 0;
        rdc_offset_store_foreach(c, "c", count_offset, &left);
        assert_int_equal(left, 0);
        expect_offset(c, "gold-src", "{\"filename\":\"/data/in.txt\"}",
                      "{\"position\":42}");
        rdc_offset_store_destroy(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reads_java_records),
                cmocka_unit_test(test_two_workers),
                cmocka_unit_test(test_incomplete_commit),
                cmocka_unit_test(test_fenced_writes),
                cmocka_unit_test(test_unacknowledged_write_fails),
                cmocka_unit_test(test_topic_log_partitions),
                cmocka_unit_test(test_status_store),
                cmocka_unit_test(test_offset_store),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
