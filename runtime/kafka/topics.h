/*
 * Topic administration (kafka/topics.c).
 */
#ifndef RDC_KAFKA_TOPICS_H
#define RDC_KAFKA_TOPICS_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>
#include "core/map.h"

typedef struct rdc_worker rdc_worker_t;

/**
 * @brief Makes sure topic exists: creates it with the Admin API
 *        (partitions/replication from the connector's
 *        topic.creation.default.* keys, else broker defaults) when
 *        metadata says it is missing. If CreateTopics is unsupported or
 *        times out, logs a warning and relies on auto-creation.
 * @returns 0 (exists or creation attempted), -1 with errstr on a hard
 *          error (e.g. authorization).
 * @locality any thread.
 */
int rdc_kafka_ensure_topic(rdc_worker_t *worker, const char *topic,
                           const rdc_map_t *connector_cfg, char *errstr,
                           size_t errstr_size);

/**
 * @brief Reads topic's metadata through rk (a consumer-type handle never
 *        makes a broker auto-create the topic; a producer-type one may).
 * @returns its partition count (> 0), 0 if Kafka says it does not exist,
 *          or -1 if that is unknown (why says: no answer, no leader yet).
 */
int rdc_kafka_topic_partitions(rd_kafka_t *rk, const char *topic,
                               int timeout_ms, char *why, size_t why_size);

/**
 * @brief Sends CreateTopics for topic (as rdc_kafka_create_topic()); its
 *        result event comes on q (read it with
 *        rdc_kafka_create_topic_result()).
 * @returns 0, or _INVALID_ARG (why says) when nothing could be sent.
 */
rd_kafka_resp_err_t
rdc_kafka_create_topic_send(rd_kafka_t *rk, rd_kafka_queue_t *q,
                            const char *topic, int partitions, int replication,
                            const char *const *configs, int timeout_ms,
                            char *why, size_t why_size);

/** @returns the topic's error in a CreateTopics result event (NULL: no
 *  answer, _TIMED_OUT), as rdc_kafka_create_topic(). */
rd_kafka_resp_err_t rdc_kafka_create_topic_result(rd_kafka_event_t *ev,
                                                  char *why, size_t why_size);

/**
 * @brief Creates topic with the Admin API (CreateTopics) and waits for
 *        the answer. partitions, replication: -1 = broker default.
 * @param configs NULL-ended name, value pairs of topic configs, or NULL.
 * @returns Kafka's error for the topic: 0 created, TOPIC_ALREADY_EXISTS,
 *          _UNSUPPORTED_FEATURE where the broker has no CreateTopics,
 *          _TIMED_OUT without an answer, ...; why says more.
 */
rd_kafka_resp_err_t rdc_kafka_create_topic(rd_kafka_t *rk, const char *topic,
                                           int partitions, int replication,
                                           const char *const *configs,
                                           int timeout_ms, char *why,
                                           size_t why_size);

#endif
