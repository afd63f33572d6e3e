/*
 * connect-distributed: one worker of a group (group.id). Connectors,
 * target states and task configs live in config.storage.topic, source
 * offsets in offset.storage.topic, statuses in status.storage.topic, all
 * in Apache Kafka Connect's formats; the group's consumer protocol says
 * who is in and who leads (docs/DESIGN.md, "Distributed mode").
 *
 *   connect-distributed WORKER.properties
 *
 * Same argument and keys as Apache Kafka's connect-distributed.sh;
 * connectors are created over REST only.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/log.h"
#include "core/props.h"
#include "herder/herder.h"
#include "kafka/clients.h"
#include "kafka/internal_topics.h"
#include "plugins/crash.h"
#include "rest/rest.h"
#include "storage/config_store_kafka.h"
#include "storage/status_store_kafka.h"
#include "worker/worker.h"

#define RDC_STORE_READ_TIMEOUT_MS 60000
/* The Admin calls on the internal topics. */
#define RDC_TOPIC_ADMIN_TIMEOUT_MS 3000

static void usage(FILE *out) {
        fprintf(out,
                "Usage: connect-distributed [--help] [--version] "
                "WORKER.properties\n"
                "\n"
                "Runs one rdconnect worker of the group group.id: "
                "connectors, offsets and statuses\n"
                "in Kafka Connect's internal topics (config.storage.topic, "
                "offset.storage.topic,\n"
                "status.storage.topic), work shared by the group's workers, "
                "and the Kafka Connect\n"
                "REST API on `listeners` (default http://127.0.0.1:8083). "
                "Connectors are created\n"
                "over REST.\n");
}

/* Kafka requires the three topic names; rdconnect takes those of Kafka's
 * shipped connect-distributed.properties when they are missing. */
static const char *topic_name(rdc_worker_t *worker, const char *key,
                              const char *dflt) {
        const char *v = rdc_map_get(worker->config, key);
        if (v && *v)
                return v;
        rdc_log(RDC_LOG_INFO, "distributed", NULL,
                "%s is not set: using %s (the name in Kafka's "
                "connect-distributed.properties)",
                key, dflt);
        rdc_map_set(worker->config, key, dflt);
        return rdc_map_get(worker->config, key);
}

static rd_kafka_conf_t *client(rdc_worker_t *worker, const char *role,
                               const char *client_id, char *errstr,
                               size_t errstr_size) {
        /* A store's reader waits for what it wrote: a broker answers a
         * fetch as soon as records arrive, but one that holds the fetch
         * for all of fetch.wait.max.ms (librdkafka's mock) would make
         * every REST write wait for it (500 ms by default). */
        const char *const defaults[] = {
                "client.id", client_id,
                !strcmp(role, "consumer") ? "fetch.wait.max.ms" : NULL, "50",
                NULL};
        return rdc_kafka_client_conf(worker, role, NULL, defaults, errstr,
                                     errstr_size);
}

/* The writer's and the reader's configs of a store (client ids
 * "connect-<worker>-<what>"). @returns 0, or -1 with errstr. */
static int store_clients(rdc_worker_t *worker, const char *what,
                         rd_kafka_conf_t **producer, rd_kafka_conf_t **consumer,
                         char *errstr, size_t errstr_size) {
        char id[300];
        snprintf(id, sizeof(id), "connect-%s-%s", worker->worker_id, what);
        *producer = client(worker, "producer", id, errstr, errstr_size);
        *consumer =
                *producer ? client(worker, "consumer", id, errstr, errstr_size)
                          : NULL;
        if (*consumer)
                return 0;
        if (*producer)
                rd_kafka_conf_destroy(*producer);
        return -1;
}

/* One internal topic's check (each on its own thread: on a cluster
 * without the Admin calls, such as the mock, each costs a timeout). */
typedef struct topic_check {
        pthread_t thread;
        const rd_kafka_conf_t *conf;
        const char *topic;
        rdc_internal_topic_role_t role;
        int partitions, replication;
        rdc_internal_topic_result_t result;
        char errstr[1024];
} topic_check_t;

static void *topic_check_main(void *arg) {
        topic_check_t *t = arg;
        t->result = rdc_internal_topic_ensure(
                t->conf, t->topic, t->role, t->partitions, t->replication,
                RDC_TOPIC_ADMIN_TIMEOUT_MS, t->errstr, sizeof(t->errstr));
        return NULL;
}

/* The internal topics exist (created when missing) and fit their
 * stores. */
static int internal_topics(rdc_worker_t *worker, const char *const *topics,
                           char *errstr, size_t errstr_size) {
        static const struct {
                rdc_internal_topic_role_t role;
                const char *partitions, *replication;
        } keys[3] = {
                {RDC_INTERNAL_TOPIC_CONFIG, NULL,
                 "config.storage.replication.factor"},
                {RDC_INTERNAL_TOPIC_OFFSET, "offset.storage.partitions",
                 "offset.storage.replication.factor"},
                {RDC_INTERNAL_TOPIC_STATUS, "status.storage.partitions",
                 "status.storage.replication.factor"},
        };
        rd_kafka_conf_t *conf = rdc_kafka_client_conf(
                worker, "admin", NULL, NULL, errstr, errstr_size);
        if (!conf)
                return -1;
        topic_check_t checks[3];
        int started[3] = {0};
        for (int i = 0; i < 3; i++) {
                checks[i] = (topic_check_t){
                        .conf = conf,
                        .topic = topics[i],
                        .role = keys[i].role,
                        .partitions =
                                keys[i].partitions
                                        ? (int)rdc_worker_get_int(
                                                  worker, keys[i].partitions)
                                        : 1,
                        .replication = (int)rdc_worker_get_int(
                                worker, keys[i].replication),
                };
                started[i] = !pthread_create(&checks[i].thread, NULL,
                                             topic_check_main, &checks[i]);
                if (!started[i])
                        topic_check_main(&checks[i]);
        }
        int ret = 0;
        for (int i = 0; i < 3; i++) {
                if (started[i])
                        pthread_join(checks[i].thread, NULL);
                if (checks[i].result == RDC_INTERNAL_TOPIC_ERROR && !ret) {
                        snprintf(errstr, errstr_size, "%s", checks[i].errstr);
                        ret = -1;
                }
        }
        rd_kafka_conf_destroy(conf);
        return ret;
}

int main(int argc, char **argv) {
        char errstr[2048];
        int argi;
        int done = rdc_cli_options(argc, argv, "connect-distributed",
                                   RDC_VERSION, usage, &argi);
        if (done >= 0)
                return done;
        if (argi + 1 != argc) {
                usage(stderr);
                return 2;
        }
        sigset_t sigs;
        rdc_crash_process_setup("distributed", &sigs);

        rdc_map_t *props = rdc_cli_load_worker_props(argv[argi], "distributed");
        if (!props)
                return 1;
        static const char *const standalone_only[] = {
                "offset.storage.file.filename", "connector.configs.file", NULL};
        for (const char *const *k = standalone_only; *k; k++)
                if (rdc_map_get(props, *k))
                        rdc_log(RDC_LOG_WARN, "distributed", NULL,
                                "%s has no role in distributed mode (the "
                                "internal topics hold connectors and "
                                "offsets); ignored",
                                *k);
        const char *group = rdc_map_get(props, "group.id");
        if (!group || !*group) {
                rdc_log(RDC_LOG_ERROR, "distributed", NULL,
                        "Invalid worker config: group.id: Missing required "
                        "configuration \"group.id\" which has no default "
                        "value.");
                rdc_map_destroy(props);
                return 1;
        }
        rdc_worker_t *worker = rdc_worker_new(props, 0, errstr, sizeof(errstr));
        rdc_map_destroy(props);
        if (!worker) {
                rdc_log(RDC_LOG_ERROR, "distributed", NULL, "%s", errstr);
                return 1;
        }
        group = rdc_map_get(worker->config, "group.id");
        const char *config_topic =
                topic_name(worker, "config.storage.topic", "connect-configs");
        const char *offset_topic =
                topic_name(worker, "offset.storage.topic", "connect-offsets");
        const char *status_topic =
                topic_name(worker, "status.storage.topic", "connect-status");
        if (rdc_crash_records_open(worker->config, errstr, sizeof(errstr)))
                rdc_log(RDC_LOG_ERROR, "distributed", NULL, "%s", errstr);

        rdc_rest_t *rest = NULL;
        rdc_config_store_t *configs = NULL;
        rdc_status_store_t *statuses = NULL;
        rdc_herder_t *herder = NULL;
        const char *const topics[] = {config_topic, offset_topic, status_topic,
                                      NULL};
        int ret = 1;
        if (internal_topics(worker, topics, errstr, sizeof(errstr)))
                goto fail;
        if (!(rest = rdc_rest_start(worker, errstr, sizeof(errstr))))
                goto fail;
        rd_kafka_conf_t *p, *c;
        if (store_clients(worker, "configs", &p, &c, errstr, sizeof(errstr)) ||
            !(configs = rdc_config_store_kafka_open(p, c, config_topic,
                                                    RDC_STORE_READ_TIMEOUT_MS,
                                                    errstr, sizeof(errstr))))
                goto fail;
        if (store_clients(worker, "statuses", &p, &c, errstr, sizeof(errstr)) ||
            !(statuses = rdc_status_store_kafka_open(p, c, status_topic,
                                                     RDC_STORE_READ_TIMEOUT_MS,
                                                     errstr, sizeof(errstr))))
                goto fail;
        rdc_offset_store_t *offsets = NULL;
        if (store_clients(worker, "offsets", &p, &c, errstr, sizeof(errstr)) ||
            !(offsets = rdc_offset_store_kafka_open(p, c, offset_topic,
                                                    RDC_STORE_READ_TIMEOUT_MS,
                                                    errstr, sizeof(errstr))))
                goto fail;
        rdc_offset_store_destroy(worker->offsets);
        worker->offsets = offsets;

        char id[300];
        snprintf(id, sizeof(id), "connect-%s", worker->worker_id);
        rdc_cluster_conf_t cluster = {
                .consumer_conf =
                        client(worker, "consumer", id, errstr, sizeof(errstr)),
                .group_id = group,
                .offsets_topic = offset_topic,
                .session_timeout_ms =
                        (int)rdc_worker_get_int(worker, "session.timeout.ms"),
                .heartbeat_interval_ms = (int)rdc_worker_get_int(
                        worker, "heartbeat.interval.ms"),
                .rebalance_timeout_ms =
                        (int)rdc_worker_get_int(worker, "rebalance.timeout.ms"),
                .rebalance_delay_ms = rdc_worker_get_int(
                        worker, "scheduled.rebalance.max.delay.ms"),
        };
        if (!cluster.consumer_conf)
                goto fail;
        herder = rdc_herder_start_cluster(worker, configs, statuses, &cluster,
                                          errstr, sizeof(errstr));
        if (!herder)
                goto fail;
        rdc_log(RDC_LOG_INFO, "distributed", NULL,
                "Worker started (id %s, REST %s, group %s, topics %s, %s, "
                "%s)",
                worker->worker_id, worker->rest_url, group, config_topic,
                offset_topic, status_topic);

        int sig = 0;
        sigwait(&sigs, &sig);
        rdc_log(RDC_LOG_INFO, "distributed", NULL,
                "Received %s, stopping the worker", strsignal(sig));
        rdc_herder_begin_shutdown(herder);
        rdc_rest_stop(rest);
        rest = NULL;
        size_t stuck = rdc_herder_stop(herder);
        herder = NULL;
        if (stuck) {
                rdc_log(RDC_LOG_ERROR, "distributed", NULL,
                        "Worker stopped with %zu task(s) stuck; exiting "
                        "without unloading plugins",
                        stuck);
                _exit(0);
        }
        ret = 0;
        goto done;
fail:
        rdc_log(RDC_LOG_ERROR, "distributed", NULL, "%s", errstr);
done:
        if (rest)
                rdc_rest_stop(rest);
        if (configs)
                configs->ops->destroy(configs);
        if (statuses)
                statuses->ops->destroy(statuses);
        rdc_worker_destroy(worker);
        rdc_crash_records_close();
        if (!ret)
                rdc_log(RDC_LOG_INFO, "distributed", NULL, "Worker stopped");
        return ret;
}
