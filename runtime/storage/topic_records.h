/*
 * The records of Kafka Connect's internal topics, as Apache Kafka Connect
 * writes and reads them (JsonConverter without schemas; keys are plain
 * strings): the config topic (connector-<c>, task-<c>-<n>, commit-<c>,
 * target-state-<c>, restart-connector-<c>, tasks-fencing-<c>,
 * session-key, logger-cluster-<ns>), the status topic
 * (status-connector-<c>, status-task-<c>-<n>,
 * status-topic-<topic>:connector-<c>) and the offsets topic (key
 * ["<c>",{partition}], value {offset}). Pure encoding and decoding, so
 * that the Kafka-topic store back ends of distributed mode and their tests
 * share one definition, checked against the bytes a Java worker wrote.
 */
#ifndef RDC_STORAGE_TOPIC_RECORDS_H
#define RDC_STORAGE_TOPIC_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include "core/map.h"

/* ------------------------------------------------------- config topic */

typedef enum rdc_config_record_kind {
        RDC_CONFIG_REC_CONNECTOR = 1, /**< connector-<c>: properties */
        RDC_CONFIG_REC_TASK,          /**< task-<c>-<n>: properties */
        RDC_CONFIG_REC_COMMIT,        /**< commit-<c>: {"tasks":N} */
        RDC_CONFIG_REC_TARGET_STATE,  /**< target-state-<c> */
        RDC_CONFIG_REC_RESTART,       /**< restart-connector-<c> */
        RDC_CONFIG_REC_TASK_COUNT,    /**< tasks-fencing-<c> */
        RDC_CONFIG_REC_SESSION_KEY,   /**< session-key (REST signing) */
        RDC_CONFIG_REC_LOGGER,        /**< logger-cluster-<namespace> */
} rdc_config_record_kind_t;

typedef struct rdc_config_record {
        rdc_config_record_kind_t kind;
        char *name;            /**< connector, or the logger namespace */
        int32_t task;          /**< TASK */
        int tombstone;         /**< a null value (connector or target state
                                    removed) */
        rdc_map_t *properties; /**< CONNECTOR, TASK (not tombstone); keys
                                    whose value is null are left out */
        int32_t tasks;         /**< COMMIT: tasks; TASK_COUNT: task-count */
        char state[16];        /**< TARGET_STATE: STARTED, PAUSED, STOPPED
                                    (state.v2, else state) */
        int include_tasks;     /**< RESTART */
        int only_failed;       /**< RESTART */
        char level[16];        /**< LOGGER */
} rdc_config_record_t;

/**
 * @brief Decodes a config topic record.
 * @param value NULL (with value_len 0) for a tombstone.
 * @returns 0, or -1 with the reason in errstr for a record Kafka Connect
 *          would discard (unknown key, wrong value shape): log and skip
 *          it, as Kafka does. *rec is then cleared.
 */
int rdc_config_record_decode(const char *key, size_t key_len, const char *value,
                             size_t value_len, rdc_config_record_t *rec,
                             char *errstr, size_t errstr_size);
void rdc_config_record_clear(rdc_config_record_t *rec);

/**
 * @brief Encodes rec: *key and *value are malloc'd, NUL-terminated
 *        texts (*value NULL for a tombstone). Connector and task
 *        properties are written in the map's order.
 * @returns 0, or -1 when out of memory or rec cannot be written (a
 *          session key, whose bytes only Java's REST signing uses).
 */
int rdc_config_record_encode(const rdc_config_record_t *rec, char **key,
                             char **value);

/* ------------------------------------------------------- status topic */

typedef enum rdc_status_record_kind {
        RDC_STATUS_REC_CONNECTOR = 1, /**< status-connector-<c> */
        RDC_STATUS_REC_TASK,          /**< status-task-<c>-<n> */
        RDC_STATUS_REC_TOPIC,         /**< status-topic-<t>:connector-<c> */
} rdc_status_record_kind_t;

typedef struct rdc_status_record {
        rdc_status_record_kind_t kind;
        char *connector;
        int32_t task;        /**< TASK; TOPIC: the task that used the topic */
        char *topic;         /**< TOPIC */
        int tombstone;       /**< null value: the status is removed */
        char state[16];      /**< RUNNING, PAUSED, FAILED, ... */
        char *trace;         /**< NULL when none */
        char *worker_id;     /**< "host:port" */
        int32_t generation;  /**< of the group when written */
        int64_t discover_ms; /**< TOPIC: discoverTimestamp */
} rdc_status_record_t;

/** Decodes a status topic record, as rdc_config_record_decode(). */
int rdc_status_record_decode(const char *key, size_t key_len, const char *value,
                             size_t value_len, rdc_status_record_t *rec,
                             char *errstr, size_t errstr_size);
void rdc_status_record_clear(rdc_status_record_t *rec);
/** Encodes rec, as rdc_config_record_encode(). */
int rdc_status_record_encode(const rdc_status_record_t *rec, char **key,
                             char **value);

/* ------------------------------------------------------ offsets topic */

/**
 * @brief The key of a source offset: ["<connector>",<partition>], with
 *        the partition object's members in the order given.
 * @returns a malloc'd text, or NULL if partition_json is not a JSON
 *          object (or out of memory).
 */
char *rdc_offset_record_key(const char *connector, const char *partition_json);

/**
 * @brief Splits an offsets topic key.
 * @param connector out: malloc'd name.
 * @param partition_json out: malloc'd compact text of the partition.
 * @returns 0, or -1 with errstr for a key Kafka Connect would skip.
 */
int rdc_offset_record_key_decode(const char *key, size_t key_len,
                                 char **connector, char **partition_json,
                                 char *errstr, size_t errstr_size);

#endif
