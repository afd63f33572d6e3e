/*
 * The worker: what every part of one rdconnect process shares — the
 * validated worker config, the plugin registry, the offset store, the
 * Kafka cluster it talks to (real, or embedded) — and the framework's own
 * config tables (worker keys, connector keys).
 */
#ifndef RDC_WORKER_H
#define RDC_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>
#include <rdconnect/plugin.h>
#include "core/configdef.h"
#include "core/map.h"
#include "storage/offsets.h"
#include "plugins/registry.h"

typedef struct rdc_embedded rdc_embedded_t;
typedef struct rdc_herder rdc_herder_t;

typedef struct rdc_worker {
        rdc_map_t *config; /**< worker properties, defaults set */
        rdc_registry_t *registry;
        rdc_offset_store_t *offsets; /**< source offsets */
        rdc_embedded_t *embedded;    /**< NULL unless bootstrap=embedded */
        char *bootstrap;             /**< resolved bootstrap.servers */
        rd_kafka_t *admin;           /**< metadata + topic creation; lazy */
        char worker_id[256];         /**< advertised host:port */
        char rest_url[300];          /**< advertised http://host:port/ */
        int64_t offset_flush_interval_ms;
        int64_t offset_flush_timeout_ms;
        int64_t graceful_timeout_ms;
        rdc_herder_t *herder; /**< set once started */
} rdc_worker_t;

/** Worker keys known to this runtime (for validation and docs). */
extern const rdcp_config_def_t rdc_worker_config_defs[];
extern const size_t rdc_worker_config_def_cnt;

/** Framework keys of every connector (name, connector.class, tasks.max,
 *  converters, topics, ...). */
extern const rdcp_config_def_t rdc_connector_config_defs[];
extern const size_t rdc_connector_config_def_cnt;

/**
 * @brief Validates a connector config: framework keys, then the plugin's
 *        own definitions and validate hook. Also resolves the plugin.
 * @param plugin out (may be NULL): the resolved plugin, or NULL.
 * @param resolved out (may be NULL): a copy of cfg with the plugin's and
 *        the framework's defaults applied (caller destroys); only set when
 *        there are no errors.
 * @returns the number of problems added to errs (0: valid).
 */
size_t rdc_connector_config_validate(rdc_worker_t *worker, const rdc_map_t *cfg,
                                     const rdc_plugin_t **plugin,
                                     rdc_map_t **resolved,
                                     rdc_config_errors_t *errs);

/** Creates the worker from its properties (validates, opens offsets,
 *  starts the embedded cluster if asked). @returns NULL + errstr. */
rdc_worker_t *rdc_worker_new(const rdc_map_t *props, int standalone,
                             char *errstr, size_t errstr_size);
void rdc_worker_destroy(rdc_worker_t *worker);

/** Logger of librdkafka's own lines (/admin/loggers/librdkafka). */
#define RDC_WORKER_KAFKA_LOGGER "librdkafka"

/** Routes librdkafka's log lines (syslog level mapped) and errors to the
 *  worker's logger instead of raw stderr. A later
 *  rd_kafka_conf_set_error_cb replaces the error part. */
void rdc_worker_kafka_logging(rd_kafka_conf_t *conf);

/**
 * @brief Builds a librdkafka config for a connector's client:
 *        bootstrap.servers, then worker "<role>." keys, then connector
 *        "<role>.override." keys (role: producer, consumer, admin), with
 *        rdc_worker_kafka_logging() applied. Both key sets were validated
 *        (worker start, connector create); Java-only keys (README) are
 *        skipped.
 * @returns the conf or NULL with errstr naming the key and value.
 */
rd_kafka_conf_t *rdc_worker_client_conf(rdc_worker_t *worker, const char *role,
                                        const rdc_map_t *connector_cfg,
                                        const char *const *defaults,
                                        char *errstr, size_t errstr_size);

/** The producer config of a source task: Kafka Connect's guarantees
 *  (acks=all, idempotence, the Java partitioner) and bounded queues as
 *  defaults, then rdc_worker_client_conf()'s layers. Validation makes one
 *  from every source connector config it accepts. */
rd_kafka_conf_t *rdc_worker_producer_conf(rdc_worker_t *worker,
                                          const rdc_map_t *connector_cfg,
                                          const char *client_id, char *errstr,
                                          size_t errstr_size);

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
int rdc_worker_ensure_topic(rdc_worker_t *worker, const char *topic,
                            const rdc_map_t *connector_cfg, char *errstr,
                            size_t errstr_size);

/** The worker's admin client (a consumer-type handle: its metadata
 *  requests never auto-create topics), created on first use.
 *  @returns it, or NULL with errstr. @locality any thread. */
rd_kafka_t *rdc_worker_admin(rdc_worker_t *worker, char *errstr,
                             size_t errstr_size);

/** Reads a worker key as int64 (defaults are applied at creation). */
int64_t rdc_worker_get_int(const rdc_worker_t *worker, const char *key);

#endif
