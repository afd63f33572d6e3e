/*
 * Kafka client setup (kafka/clients.c): the librdkafka config of every
 * client the worker makes, in Kafka Connect's layers, and librdkafka's
 * lines routed to the worker's logger.
 */
#ifndef RDC_KAFKA_CLIENTS_H
#define RDC_KAFKA_CLIENTS_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>
#include "core/configdef.h"
#include "core/map.h"

typedef struct rdc_worker rdc_worker_t;

/** Logger of librdkafka's own lines (/admin/loggers/librdkafka). */
#define RDC_KAFKA_LOGGER "librdkafka"

/** Routes librdkafka's log lines (syslog level mapped) and errors to the
 *  worker's logger instead of raw stderr. A later
 *  rd_kafka_conf_set_error_cb replaces the error part. */
void rdc_kafka_logging(rd_kafka_conf_t *conf);
/** The log callback rdc_kafka_logging() sets, for callbacks that see a
 *  line first. */
void rdc_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf);

/**
 * @brief Builds a librdkafka config for a connector's client:
 *        bootstrap.servers, then worker "<role>." keys, then connector
 *        "<role>.override." keys (role: producer, consumer, admin), with
 *        rdc_kafka_logging() applied. Both key sets were validated
 *        (worker start, connector create); Java-only keys (README) are
 *        skipped.
 * @returns the conf or NULL with errstr naming the key and value.
 */
rd_kafka_conf_t *rdc_kafka_client_conf(rdc_worker_t *worker, const char *role,
                                       const rdc_map_t *connector_cfg,
                                       const char *const *defaults,
                                       char *errstr, size_t errstr_size);

/** The producer config of a source task: Kafka Connect's guarantees
 *  (acks=all, idempotence, the Java partitioner) and bounded queues as
 *  defaults, then rdc_kafka_client_conf()'s layers. Validation makes one
 *  from every source connector config it accepts. */
rd_kafka_conf_t *rdc_kafka_producer_conf(rdc_worker_t *worker,
                                         const rdc_map_t *connector_cfg,
                                         const char *client_id, char *errstr,
                                         size_t errstr_size);

/** rd_kafka_new() after the check Kafka's clients make when they are
 *  built: at least one bootstrap server must resolve (a client that
 *  cannot ever connect is an error now, not a task that idles). On
 *  failure conf is still the caller's, as with rd_kafka_new(). */
rd_kafka_t *rdc_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
                          char *errstr, size_t errstr_size);

/** The worker's admin client (a consumer-type handle: its metadata
 *  requests never auto-create topics), created on first use.
 *  @returns it, or NULL with errstr. @locality any thread. */
rd_kafka_t *rdc_kafka_admin(rdc_worker_t *worker, char *errstr,
                            size_t errstr_size);

/** @returns 1 if name is a Java client setting with no librdkafka
 *  equivalent (accepted with a warning and ignored; README lists them). */
int rdc_kafka_java_only_key(const char *name);

/** value, or "[hidden]" when name looks like a secret's. */
const char *rdc_kafka_value_shown(const char *name, const char *value);

/** Applies the "<role><infix>" keys of cfg for each role of the NULL-ended
 *  roles to a throwaway librdkafka config, so that a value librdkafka
 *  refuses is an error now and not a failing task later.
 *  @returns problems added to errs. */
size_t rdc_kafka_validate_client_keys(const rdc_map_t *cfg,
                                      const char *const *roles,
                                      const char *infix,
                                      rdc_config_errors_t *errs);

/**
 * @brief Starts looking up the Kafka cluster id in the background (the
 *        admin client's metadata, retried every second until Kafka
 *        answers), so that GET / carries kafka_cluster_id from the start
 *        without ever waiting for Kafka in a request.
 * @returns 0, or -1 if the lookup thread cannot start (the id then stays
 *          unknown).
 */
int rdc_kafka_cluster_id_start(rdc_worker_t *worker);
/** Waits up to timeout_ms for the cluster id. @returns 1 if it is known. */
int rdc_kafka_cluster_id_wait(rdc_worker_t *worker, int timeout_ms);
/** @returns a malloc'd copy of the cluster id, NULL while unknown. */
char *rdc_kafka_cluster_id(rdc_worker_t *worker);
/** Ends the lookup (rdc_worker_destroy calls it). */
void rdc_kafka_cluster_id_stop(rdc_worker_t *worker);

#endif
