/*
 * The Kafka-topic back end of the config store (config_store.h):
 * Kafka Connect's config.storage.topic, in Apache Kafka Connect's record
 * format. See config_store_kafka.c for how records apply.
 */
#ifndef RDC_CONFIG_STORE_KAFKA_H
#define RDC_CONFIG_STORE_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "storage/config_store.h"

/**
 * @brief Opens the store on topic (one partition; the caller has created
 *        or checked it) and reads it to its end before returning, so the
 *        first snapshot is the cluster's state.
 * @param producer_conf the writer's client config (taken, also on
 *        failure); the store sets acks=all and idempotence.
 * @param consumer_conf the reader's client config (taken, also on
 *        failure); no group.id is needed: the reader assigns partition 0
 *        to itself and reads it from the beginning.
 * @param timeout_ms how long the first read to the end may take.
 * @returns the store, or NULL with errstr.
 */
rdc_config_store_t *rdc_config_store_kafka_open(rd_kafka_conf_t *producer_conf,
                                                rd_kafka_conf_t *consumer_conf,
                                                const char *topic,
                                                int timeout_ms, char *errstr,
                                                size_t errstr_size);

#endif
