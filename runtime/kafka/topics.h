/*
 * Topic administration (kafka/topics.c).
 */
#ifndef RDC_KAFKA_TOPICS_H
#define RDC_KAFKA_TOPICS_H

#include <stddef.h>
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

#endif
