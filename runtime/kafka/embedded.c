/*
 * Embedded Kafka: an in-process librdkafka mock cluster (see embedded.h).
 */
#define _GNU_SOURCE
#include "core/log.h"
#include "kafka/clients.h"
#include "kafka/embedded.h"
#include "worker/worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

struct rdc_embedded {
        rd_kafka_t *owner; /* the mock cluster lives on this handle */
        rd_kafka_mock_cluster_t *cluster;
        char *bootstraps;
};

int rdc_embedded_parse(const char *bootstrap, int *brokers, char *errstr,
                       size_t errstr_size) {
        static const char word[] = "embedded";
        if (strncmp(bootstrap, word, sizeof(word) - 1))
                return 0;
        const char *rest = bootstrap + sizeof(word) - 1;
        *brokers = 1;
        if (!*rest)
                return 1;
        char *end;
        errno = 0;
        long n = *rest == ':' ? strtol(rest + 1, &end, 10) : -1;
        if (*rest != ':' || errno || *end || n < 1 || n > 16) {
                snprintf(errstr, errstr_size,
                         "Invalid value %s for configuration "
                         "bootstrap.servers: expected embedded or "
                         "embedded:N with N from 1 to 16",
                         bootstrap);
                return -1;
        }
        *brokers = (int)n;
        return 1;
}

rdc_embedded_t *rdc_embedded_start(int brokers, char *errstr,
                                   size_t errstr_size) {
        rdc_embedded_t *emb = calloc(1, sizeof(*emb));
        char kerr[256];
        if (!emb)
                goto nomem;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        /* The mock brokers log through this handle. */
        rdc_kafka_logging(conf);
        /* The owner handle never connects anywhere: it only hosts the
         * cluster. Keep its logs quiet. */
        rd_kafka_conf_set(conf, "log_level", "3", kerr, sizeof(kerr));
        emb->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
        if (!emb->owner) {
                rd_kafka_conf_destroy(conf);
                snprintf(errstr, errstr_size,
                         "embedded Kafka: cannot create host handle: %s", kerr);
                goto fail;
        }
        emb->cluster = rd_kafka_mock_cluster_new(emb->owner, brokers);
        if (!emb->cluster) {
                snprintf(errstr, errstr_size,
                         "embedded Kafka: cannot start %d broker(s)", brokers);
                goto fail;
        }
        emb->bootstraps =
                strdup(rd_kafka_mock_cluster_bootstraps(emb->cluster));
        if (!emb->bootstraps)
                goto nomem;
        rdc_log(RDC_LOG_WARN, "embedded", NULL,
                "bootstrap.servers=embedded: started an in-process Kafka "
                "(%d broker(s)) at %s. DATA LIVES IN MEMORY ONLY AND IS "
                "LOST WHEN THIS WORKER STOPS. Point bootstrap.servers at a "
                "real cluster for anything but trying rdconnect out.",
                brokers, emb->bootstraps);
        return emb;
nomem:
        snprintf(errstr, errstr_size, "embedded Kafka: out of memory");
fail:
        rdc_embedded_destroy(emb);
        return NULL;
}

const char *rdc_embedded_bootstraps(const rdc_embedded_t *emb) {
        return emb->bootstraps;
}

int rdc_embedded_create_topic(rdc_embedded_t *emb, const char *topic,
                              int partitions, char *errstr,
                              size_t errstr_size) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
                emb->cluster, topic, partitions > 0 ? partitions : 1, 1);
        if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                snprintf(errstr, errstr_size,
                         "embedded Kafka: cannot create topic %s: %s", topic,
                         rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

void rdc_embedded_destroy(rdc_embedded_t *emb) {
        if (!emb)
                return;
        if (emb->cluster)
                rd_kafka_mock_cluster_destroy(emb->cluster);
        if (emb->owner)
                rd_kafka_destroy(emb->owner);
        free(emb->bootstraps);
        free(emb);
}
