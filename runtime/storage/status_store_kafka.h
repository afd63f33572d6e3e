/*
 * The Kafka-topic back end of the status store (status_store.h): Kafka
 * Connect's status.storage.topic, in Apache Kafka Connect's record
 * format. See status_store_kafka.c.
 */
#ifndef RDC_STATUS_STORE_KAFKA_H
#define RDC_STATUS_STORE_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "storage/status_store.h"

/**
 * @brief Opens the store on topic (any partition count; the caller has
 *        created or checked it) and reads it to its end before returning.
 * @param producer_conf, consumer_conf taken, also on failure (see
 *        rdc_topic_log_open()).
 * @returns the store, or NULL with errstr.
 */
rdc_status_store_t *rdc_status_store_kafka_open(rd_kafka_conf_t *producer_conf,
                                                rd_kafka_conf_t *consumer_conf,
                                                const char *topic,
                                                int timeout_ms, char *errstr,
                                                size_t errstr_size);

#endif
