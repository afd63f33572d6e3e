/*
 * The worker: what every part of one rdconnect process shares — the
 * validated worker config, the plugin registry, the offset store, the
 * Kafka cluster it talks to (real, or embedded) — and the framework's own
 * config tables (worker keys, connector keys: config_defs.c).
 */
#ifndef RDC_WORKER_H
#define RDC_WORKER_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>
#include <rdconnect/plugin.h>
#include "core/configdef.h"
#include "core/map.h"
#include "core/providers.h"
#include "storage/offsets.h"
#include "plugins/registry.h"

/** Connector client override policies of Kafka
 *  (connector.client.config.override.policy). */
typedef enum rdc_override_policy {
        RDC_OVERRIDE_ALL = 0,
        RDC_OVERRIDE_NONE,
        RDC_OVERRIDE_PRINCIPAL
} rdc_override_policy_t;

typedef struct rdc_embedded rdc_embedded_t;
typedef struct rdc_herder rdc_herder_t;

typedef struct rdc_worker {
        rdc_map_t *config; /**< worker properties, defaults set */
        rdc_registry_t *registry;
        rdc_providers_t *providers; /**< config.providers; never NULL
                                         once created */
        struct rdc_cluster_id_lookup *cluster_id_lookup; /**< kafka/ */
        rdc_offset_store_t *offsets;                     /**< source offsets */
        rdc_embedded_t *embedded; /**< NULL unless bootstrap=embedded */
        char *bootstrap;          /**< resolved bootstrap.servers */
        rd_kafka_t *admin;        /**< metadata + topic creation; lazy */
        char worker_id[256];      /**< advertised host:port */
        char rest_url[300];       /**< advertised http://host:port/ */
        int64_t offset_flush_interval_ms;
        int64_t offset_flush_timeout_ms;
        int64_t graceful_timeout_ms;
        rdc_override_policy_t override_policy;
        rdc_herder_t *herder; /**< set once started */
} rdc_worker_t;

/** Worker keys known to this runtime (for validation and docs). */
extern const rdcp_config_def_t rdc_worker_config_defs[];
extern const size_t rdc_worker_config_def_cnt;

/** Framework keys of every connector (Kafka's ConnectorConfig: name,
 *  connector.class, tasks.max, converters, transforms, errors.*, ...). */
extern const rdcp_config_def_t rdc_connector_config_defs[];
extern const size_t rdc_connector_config_def_cnt;
/** Framework keys of sinks only (Kafka's SinkConnectorConfig: topics,
 *  topics.regex, errors.deadletterqueue.*). */
extern const rdcp_config_def_t rdc_sink_connector_config_defs[];
extern const size_t rdc_sink_connector_config_def_cnt;
/** Framework keys of sources only (Kafka's SourceConnectorConfig:
 *  topic.creation.groups, exactly.once.support, transaction.boundary*,
 *  offsets.storage.topic; rdconnect's topic.creation.default.*). */
extern const rdcp_config_def_t rdc_source_connector_config_defs[];
extern const size_t rdc_source_connector_config_def_cnt;

/** One framework table (host-sized definitions). */
typedef struct rdc_config_def_table {
        const rdcp_config_def_t *defs;
        size_t cnt;
} rdc_config_def_table_t;

/** The framework tables of a connector of type (RDCP_PLUGIN_SOURCE or
 *  _SINK): the common keys, then the type's own, Kafka's order.
 *  @returns how many tables were written (1 for any other type). */
size_t rdc_connector_framework_tables(uint32_t type,
                                      rdc_config_def_table_t tables[2]);

/** @returns the framework definition of name in any of the three
 *  tables, or NULL. */
const rdcp_config_def_t *rdc_connector_framework_def(const char *name);

/** The .type definitions Kafka adds for each alias of transforms and
 *  predicates in cfg (group "Transforms: <alias>", ...), in a malloc'ed
 *  table (free with rdc_connector_alias_defs_free).
 *  @returns 0, or -1 when out of memory (table empty). */
int rdc_connector_alias_defs(const rdc_map_t *cfg,
                             rdc_config_def_table_t *table);
void rdc_connector_alias_defs_free(rdc_config_def_table_t *table);

/** @returns Kafka's ConfigDef width of def, shown under name: "SHORT",
 *  "MEDIUM" or "LONG" for a framework or alias definition, "NONE" for a
 *  plugin's. */
const char *rdc_connector_config_width(const rdcp_config_def_t *def,
                                       const char *name);

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

/** @returns 1 if key is a worker key of Kafka's that is no client key:
 *  one of the worker table, a refused feature, or a prefixed key (client
 *  roles, converters). Any other worker key is an admin client setting. */
int rdc_worker_is_framework_key(const char *key);

/** Checks that the converters cfg names (key.converter,
 *  value.converter, header.converter) exist with the right type.
 *  @returns problems added to errs. */
size_t rdc_worker_validate_converters(rdc_worker_t *worker,
                                      const rdc_map_t *cfg,
                                      rdc_config_errors_t *errs);

/** Reads a worker key as int64 (defaults are applied at creation). */
int64_t rdc_worker_get_int(const rdc_worker_t *worker, const char *key);

#endif
