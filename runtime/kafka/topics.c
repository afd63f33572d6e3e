/*
 * Topic administration: makes sure a source's topic exists, creating it
 * with the Admin API from the connector's topic.creation.default.* keys,
 * and falling back to auto-creation (with a warning) where CreateTopics
 * is unsupported or times out.
 */
#define _GNU_SOURCE
#include "kafka/topics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/configdef.h"
#include "core/log.h"
#include "kafka/clients.h"
#include "kafka/embedded.h"
#include "worker/worker.h"

int rdc_kafka_topic_partitions(rd_kafka_t *rk, const char *topic,
                               int timeout_ms, char *why, size_t why_size) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        if (!rkt) {
                snprintf(why, why_size, "%s",
                         rd_kafka_err2str(rd_kafka_last_error()));
                return -1;
        }
        rd_kafka_resp_err_t err =
                rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
        int partitions = -1;
        if (!err && md->topic_cnt == 1) {
                err = md->topics[0].err;
                if (!err && md->topics[0].partition_cnt > 0)
                        partitions = md->topics[0].partition_cnt;
                else if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                        partitions = 0;
        }
        if (partitions < 0)
                snprintf(why, why_size, "%s",
                         err ? rd_kafka_err2str(err) : "no partitions");
        if (md)
                rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        return partitions;
}

rd_kafka_resp_err_t
rdc_kafka_create_topic_send(rd_kafka_t *rk, rd_kafka_queue_t *q,
                            const char *topic, int partitions, int replication,
                            const char *const *configs, int timeout_ms,
                            char *why, size_t why_size) {
        rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(
                topic, partitions, replication, why, why_size);
        if (!nt)
                return RD_KAFKA_RESP_ERR__INVALID_ARG;
        for (size_t i = 0; configs && configs[i] && configs[i + 1]; i += 2)
                if (rd_kafka_NewTopic_set_config(nt, configs[i],
                                                 configs[i + 1])) {
                        snprintf(why, why_size, "cannot set %s=%s", configs[i],
                                 configs[i + 1]);
                        rd_kafka_NewTopic_destroy(nt);
                        return RD_KAFKA_RESP_ERR__INVALID_ARG;
                }
        char kerr[512];
        rd_kafka_AdminOptions_t *opts =
                rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, kerr,
                                                  sizeof(kerr));
        rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, kerr,
                                                    sizeof(kerr));
        /* The request keeps copies of both. */
        rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_NewTopic_destroy(nt);
        return RD_KAFKA_RESP_ERR_NO_ERROR;
}

rd_kafka_resp_err_t rdc_kafka_create_topic_result(rd_kafka_event_t *ev,
                                                  char *why, size_t why_size) {
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
        const char *reason = "no answer";
        if (ev) {
                err = rd_kafka_event_error(ev);
                reason = rd_kafka_event_error_string(ev);
                const rd_kafka_CreateTopics_result_t *res =
                        rd_kafka_event_CreateTopics_result(ev);
                size_t cnt = 0;
                const rd_kafka_topic_result_t **tres =
                        res ? rd_kafka_CreateTopics_result_topics(res, &cnt)
                            : NULL;
                if (!err && cnt == 1) {
                        err = rd_kafka_topic_result_error(tres[0]);
                        reason = rd_kafka_topic_result_error_string(tres[0]);
                }
        }
        snprintf(why, why_size, "%s", reason ? reason : rd_kafka_err2str(err));
        return err;
}

rd_kafka_resp_err_t rdc_kafka_create_topic(rd_kafka_t *rk, const char *topic,
                                           int partitions, int replication,
                                           const char *const *configs,
                                           int timeout_ms, char *why,
                                           size_t why_size) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_resp_err_t err = rdc_kafka_create_topic_send(
                rk, q, topic, partitions, replication, configs, timeout_ms, why,
                why_size);
        if (!err) {
                /* The request times out by itself: this bound is a safety
                 * net. */
                rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 2 * timeout_ms);
                err = rdc_kafka_create_topic_result(ev, why, why_size);
                if (ev)
                        rd_kafka_event_destroy(ev);
        }
        rd_kafka_queue_destroy(q);
        return err;
}

static void create_topic(rd_kafka_t *rk, const char *topic, int partitions,
                         int replication) {
        char why[512];
        rd_kafka_resp_err_t err =
                rdc_kafka_create_topic(rk, topic, partitions, replication, NULL,
                                       5000, why, sizeof(why));
        if (!err || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
                rdc_log(RDC_LOG_INFO, "worker", NULL,
                        "Created topic %s (partitions %d, replication "
                        "factor %d; -1 = broker default)",
                        topic, partitions, replication);
        else
                rdc_log(RDC_LOG_WARN, "worker", NULL,
                        "Could not create topic %s with the Admin API (%s: "
                        "%s); relying on the broker's automatic topic "
                        "creation",
                        topic, rd_kafka_err2name(err), why);
}

/* The admin client of a connector with admin.override.* keys (as Kafka's
 * per-connector admin clients), made for one call; NULL when it has none
 * (or it cannot be made: errstr says why, and the worker's is used). */
static rd_kafka_t *connector_admin(rdc_worker_t *worker,
                                   const rdc_map_t *connector_cfg, char *errstr,
                                   size_t errstr_size) {
        int has = 0;
        for (size_t i = 0; connector_cfg && i < rdc_map_count(connector_cfg);
             i++)
                has |= !strncmp(rdc_map_key_at(connector_cfg, i),
                                "admin.override.", 15);
        if (!has)
                return NULL;
        static const char *const defaults[] = {"client.id", "rdconnect-admin",
                                               NULL};
        rd_kafka_conf_t *conf = rdc_kafka_client_conf(
                worker, "admin", connector_cfg, defaults, errstr, errstr_size);
        char kerr[512];
        rd_kafka_t *rk =
                conf ? rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr))
                     : NULL;
        if (conf && !rk) {
                rd_kafka_conf_destroy(conf);
                snprintf(errstr, errstr_size,
                         "cannot create the connector's admin client: %s",
                         kerr);
        }
        if (!rk)
                rdc_log(RDC_LOG_WARN, "worker", NULL,
                        "%s; using the worker's admin client", errstr);
        return rk;
}

int rdc_kafka_ensure_topic(rdc_worker_t *worker, const char *topic,
                           const rdc_map_t *connector_cfg, char *errstr,
                           size_t errstr_size) {
        int64_t partitions = -1, replication = -1;
        const char *value;
        int enabled = 1;
        rdc_config_parse_bool(
                rdc_map_get(worker->config, "topic.creation.enable"), &enabled);
        if (!enabled)
                return 0;
        if (connector_cfg &&
            (value = rdc_map_get(connector_cfg,
                                 "topic.creation.default.partitions")))
                rdc_config_parse_int64(value, &partitions);
        if (connector_cfg &&
            (value = rdc_map_get(connector_cfg,
                                 "topic.creation.default.replication.factor")))
                rdc_config_parse_int64(value, &replication);
        if (worker->embedded)
                return rdc_embedded_create_topic(worker->embedded, topic,
                                                 (int)partitions, errstr,
                                                 errstr_size);
        rd_kafka_t *own =
                connector_admin(worker, connector_cfg, errstr, errstr_size);
        rd_kafka_t *rk =
                own ? own : rdc_kafka_admin(worker, errstr, errstr_size);
        if (!rk)
                return -1;
        char why[256];
        int exists =
                rdc_kafka_topic_partitions(rk, topic, 5000, why, sizeof(why));
        if (exists == 0)
                create_topic(rk, topic, (int)partitions, (int)replication);
        else if (exists < 0)
                rdc_log(RDC_LOG_WARN, "worker", NULL,
                        "Could not read metadata of topic %s (%s); "
                        "producing without checking that it exists",
                        topic, why);
        if (own)
                rd_kafka_destroy(own);
        return 0;
}
