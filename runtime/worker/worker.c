/*
 * The worker: shared context of one process (see worker.h), the
 * framework's config tables, connector config validation, and the Kafka
 * client plumbing every task uses.
 */
#define _GNU_SOURCE
#include "worker/worker.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kafka/embedded.h"
#include "plugins/host.h"
#include "core/log.h"
#include "core/utf8.h"

/* Highest tasks.max: tasks are threads of one worker. */
#define RDC_TASKS_MAX 1024

static const char *const rdc_tolerance_values[] = {"none", "all", NULL};

/* Worker keys. Kafka's names and defaults; the rdconnect extensions say so
 * in their documentation. */
const rdcp_config_def_t rdc_worker_config_defs[] = {
        {.name = "bootstrap.servers",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .default_value = "localhost:9092",
         .documentation = "Kafka brokers to connect to, or embedded[:N] for "
                          "an in-memory cluster inside the worker."},
        {.name = "key.converter",
         .type = RDCP_CFG_CLASS,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED,
         .documentation = "Converter class for record keys."},
        {.name = "value.converter",
         .type = RDCP_CFG_CLASS,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED,
         .documentation = "Converter class for record values."},
        {.name = "header.converter",
         .type = RDCP_CFG_CLASS,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value =
                 "org.apache.kafka.connect.storage.SimpleHeaderConverter",
         .documentation = "Header converter class for record header "
                          "values."},
        {.name = "plugin.path",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_LOW,
         .documentation = "Directories searched for plugin .so files, in "
                          "addition to the runtime's own plugins."},
        {.name = "offset.storage.file.filename",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .documentation = "Standalone: file that stores source offsets."},
        {.name = "offset.flush.interval.ms",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "60000",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 1,
         .documentation = "How often task offsets are committed."},
        {.name = "offset.flush.timeout.ms",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "5000",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 0,
         .documentation = "Time allowed for a commit to complete."},
        {.name = "task.shutdown.graceful.timeout.ms",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "5000",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 0,
         .documentation = "Time tasks get to stop and commit."},
        {.name = "listeners",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "http://127.0.0.1:8083",
         .documentation = "REST listeners. Loopback by default (Kafka "
                          "listens on all interfaces)."},
        {.name = "rest.advertised.host.name",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .documentation = "Host name given to other workers."},
        {.name = "rest.advertised.port",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .documentation = "Port given to other workers."},
        {.name = "rest.advertised.listener",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .documentation = "Protocol given to other workers."},
        {.name = "rest.max.request.bytes",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "1048576",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 1,
         .documentation = "rdconnect: largest REST request body (413 "
                          "beyond)."},
        {.name = "rest.request.timeout.ms",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "10000",
         .flags = RDCP_CFGF_HAS_MIN | RDCP_CFGF_HAS_MAX,
         .min = 100,
         .max = 3600000,
         .documentation = "rdconnect: time a REST request may take to "
                          "arrive (408 beyond)."},
        {.name = "rest.connections.max",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "512",
         .flags = RDCP_CFGF_HAS_MIN | RDCP_CFGF_HAS_MAX,
         .min = 1,
         .max = 100000,
         .documentation = "rdconnect: open REST connections per listener."},
        {.name = "rest.connections.max.per.ip",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "128",
         .flags = RDCP_CFGF_HAS_MIN | RDCP_CFGF_HAS_MAX,
         .min = 0,
         .max = 100000,
         .documentation = "rdconnect: open REST connections per client "
                          "address (0: no limit)."},
        {.name = "topic.creation.enable",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "true",
         .documentation = "Create missing topics of source connectors."},
        {.name = "task.restart.enable",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .default_value = "true",
         .documentation = "rdconnect: restart failed tasks automatically "
                          "with exponential backoff."},
        {.name = "task.restart.backoff.initial.ms",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "1000",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 1,
         .documentation = "rdconnect: delay before the first automatic "
                          "restart; doubles with each attempt."},
        {.name = "task.restart.backoff.max.ms",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "60000",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 1,
         .documentation = "rdconnect: longest delay between automatic "
                          "restarts; a task that ran this long without "
                          "failing starts counting again."},
        {.name = "connector.configs.file",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .documentation = "rdconnect, standalone: file that keeps "
                          "connectors created over REST across restarts."},
        {.name = "crash.record.file",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .documentation = "rdconnect: file where a crashing worker records "
                          "the task that crashed it (default: "
                          "offset.storage.file.filename + \".crashes\")."},
        {.name = "crash.task.limit",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .default_value = "3",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 0,
         .documentation = "rdconnect: a task that crashed the worker this "
                          "many times in a row is not started again until "
                          "restarted over REST; 0 never holds one back."},
};
const size_t rdc_worker_config_def_cnt =
        sizeof(rdc_worker_config_defs) / sizeof(rdc_worker_config_defs[0]);

/* Framework keys of every connector. */
const rdcp_config_def_t rdc_connector_config_defs[] = {
        {.name = "name",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .group = "Common",
         .order = 1,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .documentation = "Globally unique name to use for this connector."},
        {.name = "connector.class",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .group = "Common",
         .order = 2,
         .flags = RDCP_CFGF_REQUIRED,
         .documentation = "Name or alias of the connector class."},
        {.name = "tasks.max",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_HIGH,
         .group = "Common",
         .order = 3,
         .default_value = "1",
         .flags = RDCP_CFGF_HAS_MIN | RDCP_CFGF_HAS_MAX,
         .min = 1,
         /* Each task is a thread of this worker, and the connector is
          * handed one config per possible task: a bound keeps a REST
          * client from exhausting the worker's memory. */
         .max = RDC_TASKS_MAX,
         .documentation = "Maximum number of tasks to use (at most 1024 "
                          "per worker in rdconnect)."},
        {.name = "key.converter",
         .type = RDCP_CFG_CLASS,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Common",
         .order = 4,
         .documentation = "Key converter; the worker's if unset."},
        {.name = "value.converter",
         .type = RDCP_CFG_CLASS,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Common",
         .order = 5,
         .documentation = "Value converter; the worker's if unset."},
        {.name = "header.converter",
         .type = RDCP_CFG_CLASS,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Common",
         .order = 6,
         .documentation = "Header converter; the worker's if unset."},
        {.name = "topics",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .group = "Common",
         .order = 7,
         .documentation = "Sinks: topics to consume."},
        {.name = "topics.regex",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .group = "Common",
         .order = 8,
         .documentation = "Sinks: regular expression of topics to consume."},
        {.name = "errors.tolerance",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 1,
         .default_value = "none",
         .valid_values = rdc_tolerance_values,
         .documentation = "none: a conversion error fails the task; all: "
                          "the record is skipped."},
        {.name = "errors.log.enable",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 2,
         .default_value = "false",
         .documentation = "Log each skipped record."},
        {.name = "errors.log.include.messages",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 3,
         .default_value = "false",
         .documentation = "Include the record in error logs."},
        {.name = "topic.creation.default.partitions",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Topic Creation",
         .order = 1,
         .default_value = "-1",
         .documentation = "Sources: partitions of topics created for this "
                          "connector (-1: broker default)."},
        {.name = "topic.creation.default.replication.factor",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Topic Creation",
         .order = 2,
         .default_value = "-1",
         .documentation = "Sources: replication factor of created topics "
                          "(-1: broker default)."},
};
const size_t rdc_connector_config_def_cnt =
        sizeof(rdc_connector_config_defs) /
        sizeof(rdc_connector_config_defs[0]);

/* ------------------------------------------------ connector validation */

typedef struct {
        rdc_config_errors_t *errs;
        size_t cnt;
} report_ctx_t;

static void report_problem(void *opaque, const char *key, const char *message) {
        report_ctx_t *rc = opaque;
        rdc_config_errors_add(rc->errs, key, "%s", message);
        rc->cnt++;
}

/* Absent, empty or whitespace only (Kafka trims values). */
static int is_blank(const char *value) {
        if (!value)
                return 1;
        while (isspace((unsigned char)*value))
                value++;
        return !*value;
}

/* ------------------------------------------- features not implemented */

/* A Kafka Connect key whose feature rdconnect does not implement. Such a
 * key is refused rather than ignored (a MaskField transform that does
 * nothing leaks the field), except with the values that mean "feature
 * off", which is how existing Kafka configs that do not use the feature
 * look. */
typedef struct {
        const char *key; /**< exact key, or a prefix when it ends in '.' */
        /** Values (trimmed, case-insensitive) that leave the feature off;
         *  blank always does unless never_off. NULL list: blank only. */
        const char *const *off_values;
        int never_off; /**< no value is "off": the key itself is refused */
        int any_value; /**< inert while the feature is off: accepted */
        const char *reason;
} unsupported_key_t;

static const char smt_reason[] =
        "Single Message Transforms are not supported by rdconnect yet";
static const char predicate_reason[] =
        "Transformation predicates are not supported by rdconnect yet";
static const char dlq_reason[] =
        "Dead letter queues are not supported by rdconnect yet";
static const char groups_reason[] =
        "Topic creation groups and patterns are not supported by rdconnect "
        "yet (every created topic gets the topic.creation.default "
        "partitions and replication factor)";
static const char version_reason[] =
        "Choosing a plugin version is not supported by rdconnect yet (each "
        "class is loaded once, from plugin.path)";
static const char *const zero_values[] = {"0", NULL};
static const char *const requested_values[] = {"requested", NULL};
static const char *const poll_values[] = {"poll", NULL};
static const char *const true_values[] = {"true", NULL};
static const char *const any_pattern_values[] = {".*", NULL};
static const char *const reload_values[] = {"restart", "none", NULL};
/* Headers pass as raw bytes, which is what these two do with bytes. */

/* Kafka's ConnectorConfig, SourceConnectorConfig and SinkConnectorConfig
 * keys that rdconnect does not implement. Exact keys come before the
 * prefixes that would also match them. */
static const unsupported_key_t connector_unsupported[] = {
        {.key = "transforms", .reason = smt_reason},
        {.key = "transforms.", .never_off = 1, .reason = smt_reason},
        {.key = "predicates", .reason = predicate_reason},
        {.key = "predicates.", .never_off = 1, .reason = predicate_reason},
        {.key = "errors.deadletterqueue.topic.name", .reason = dlq_reason},
        {.key = "errors.deadletterqueue.topic.replication.factor",
         .any_value = 1},
        {.key = "errors.deadletterqueue.context.headers.enable",
         .any_value = 1},
        {.key = "errors.deadletterqueue.",
         .never_off = 1,
         .reason = dlq_reason},
        {.key = "errors.retry.timeout",
         .off_values = zero_values,
         .reason = "Retrying failed operations is not supported by "
                   "rdconnect yet"},
        {.key = "errors.retry.delay.max.ms", .any_value = 1},
        {.key = "exactly.once.support",
         .off_values = requested_values,
         .reason = "Exactly-once source delivery is not supported by "
                   "rdconnect yet (sources deliver at least once)"},
        {.key = "transaction.boundary",
         .off_values = poll_values,
         .reason = "Source transactions are not supported by rdconnect "
                   "yet"},
        {.key = "transaction.boundary.interval.ms", .any_value = 1},
        {.key = "offsets.storage.topic",
         .reason = "Per-connector offsets topics are not supported by "
                   "rdconnect yet (source offsets are kept in "
                   "offset.storage.file.filename)"},
        {.key = "tasks.max.enforce",
         .off_values = true_values,
         .reason = "Running more tasks than tasks.max is not supported by "
                   "rdconnect"},
        {.key = "config.action.reload",
         .off_values = reload_values,
         .reason = "Config providers are not supported by rdconnect yet, "
                   "so there is nothing to reload"},
        /* Kafka 4.1 (KIP-891): plugin versions pinned per connector. */
        {.key = "connector.plugin.version", .reason = version_reason},
        {.key = "key.converter.plugin.version", .reason = version_reason},
        {.key = "value.converter.plugin.version", .reason = version_reason},
        {.key = "header.converter.plugin.version", .reason = version_reason},
        {.key = "topic.creation.groups", .reason = groups_reason},
        {.key = "topic.creation.default.include",
         .off_values = any_pattern_values,
         .reason = groups_reason},
        {.key = "topic.creation.default.exclude", .reason = groups_reason},
        {.key = "topic.creation.",
         .never_off = 1,
         .reason = "Topic settings other than "
                   "topic.creation.default.partitions and "
                   "topic.creation.default.replication.factor are not "
                   "supported by rdconnect yet"},
        {.key = "admin.override.",
         .never_off = 1,
         .reason = "Per-connector admin clients are not supported by "
                   "rdconnect yet (topics are created with the worker's "
                   "admin.* settings)"},
};

static const char *const all_policy_values[] = {
        "All",
        "org.apache.kafka.connect.connector.policy."
        "AllConnectorClientConfigOverridePolicy",
        NULL};
static const char *const disabled_values[] = {"disabled", NULL};

/* Worker keys of Kafka whose feature rdconnect lacks and whose absence
 * changes what the worker does: start errors, not warnings. */
static const unsupported_key_t worker_unsupported[] = {
        {.key = "config.providers",
         .reason = "Config providers are not supported by rdconnect yet "
                   "(${provider:path:key} references would reach "
                   "connectors literally)"},
        {.key = "rest.extension.classes",
         .reason = "REST extensions are not supported by rdconnect yet "
                   "(the REST API would run without them, e.g. without "
                   "authentication)"},
        {.key = "connector.client.config.override.policy",
         .off_values = all_policy_values,
         .reason = "Client override policies are not supported by "
                   "rdconnect yet (every connector may override client "
                   "settings, as with All)"},
        {.key = "exactly.once.source.support",
         .off_values = disabled_values,
         .reason = "Exactly-once source delivery is not supported by "
                   "rdconnect yet (sources deliver at least once)"},
};

static const unsupported_key_t *unsupported_find(const unsupported_key_t *table,
                                                 size_t cnt, const char *key) {
        for (size_t i = 0; i < cnt; i++) {
                size_t len = strlen(table[i].key);
                int prefix = table[i].key[len - 1] == '.';
                if (prefix ? !strncmp(key, table[i].key, len)
                           : !strcmp(key, table[i].key))
                        return &table[i];
        }
        return NULL;
}

/* @returns 1 if value leaves the feature of u off. */
static int unsupported_is_off(const unsupported_key_t *u, const char *value) {
        if (u->any_value)
                return 1;
        if (u->never_off)
                return 0;
        char *trimmed = strdup(value ? value : "");
        if (!trimmed)
                return 0;
        char *start = trimmed, *end = trimmed + strlen(trimmed);
        while (isspace((unsigned char)*start))
                start++;
        while (end > start && isspace((unsigned char)end[-1]))
                *--end = '\0';
        int off = !*start;
        for (const char *const *v = u->off_values; !off && v && *v; v++)
                off = !strcasecmp(start, *v);
        free(trimmed);
        return off;
}

/* Refuses the keys of cfg that name features rdconnect lacks. Keys of
 * the skip table (implemented ones such as
 * topic.creation.default.partitions) pass even under a refused prefix.
 * @returns problems added to errs. */
static size_t validate_unsupported(const unsupported_key_t *table,
                                   size_t table_cnt,
                                   const rdcp_config_def_t *skip,
                                   size_t skip_cnt, const rdc_map_t *cfg,
                                   rdc_config_errors_t *errs) {
        size_t cnt = 0;
        for (size_t i = 0; i < rdc_map_count(cfg); i++) {
                const char *key = rdc_map_key_at(cfg, i);
                const char *value = rdc_map_value_at(cfg, i);
                const unsupported_key_t *u =
                        unsupported_find(table, table_cnt, key);
                if (!u || unsupported_is_off(u, value))
                        continue;
                if (u->never_off || u->key[strlen(u->key) - 1] == '.') {
                        if (rdc_configdef_find(skip, skip_cnt, sizeof(*skip),
                                               key))
                                continue;
                        rdc_config_errors_add(
                                errs, key,
                                "Invalid value %s for configuration %s: %s; "
                                "remove the key",
                                value, key, u->reason);
                } else if (u->off_values) {
                        rdc_config_errors_add(
                                errs, key,
                                "Invalid value %s for configuration %s: %s; "
                                "remove the key or set it to %s",
                                value, key, u->reason, u->off_values[0]);
                } else {
                        rdc_config_errors_add(
                                errs, key,
                                "Invalid value %s for configuration %s: %s; "
                                "remove the key or leave it empty",
                                value, key, u->reason);
                }
                cnt++;
        }
        return cnt;
}

/* ------------------------------------------------------ client keys */

/* Java client settings with no librdkafka equivalent whose absence
 * changes nothing rdconnect promises (metrics, serializers Connect
 * replaces anyway, blocking and batching knobs of the Java API). They are
 * common in existing Kafka configs, so they are accepted with a warning;
 * README lists them. Any other key librdkafka does not know is refused. */
static const char *const java_only_client_keys[] = {"max.poll.records",
                                                    "default.api.timeout.ms",
                                                    "buffer.memory",
                                                    "max.block.ms",
                                                    "retry.backoff.max.ms",
                                                    "key.serializer",
                                                    "value.serializer",
                                                    "key.deserializer",
                                                    "value.deserializer",
                                                    "metrics.recording.level",
                                                    "metrics.num.samples",
                                                    "metrics.sample.window.ms",
                                                    "metric.reporters",
                                                    "auto.include.jmx.reporter",
                                                    NULL};

static int is_java_only_client_key(const char *name) {
        for (const char *const *k = java_only_client_keys; *k; k++)
                if (!strcmp(*k, name))
                        return 1;
        return 0;
}

/* Secrets are never echoed in an error. */
static const char *client_value_shown(const char *name, const char *value) {
        return strstr(name, "password") || strstr(name, "secret") ||
                               strstr(name, "jaas")
                       ? "[hidden]"
                       : value;
}

/* Sets every key of cfg that starts with prefix on conf. A Java-only key
 * is skipped (with a warning if warn); anything librdkafka refuses,
 * unknown names included, is a problem naming the key with librdkafka's
 * reason. @returns problems added to errs. */
static size_t conf_apply_prefixed(rd_kafka_conf_t *conf, const rdc_map_t *cfg,
                                  const char *prefix, int warn,
                                  rdc_config_errors_t *errs) {
        size_t plen = strlen(prefix), cnt = 0;
        char kerr[512];
        for (size_t i = 0; i < rdc_map_count(cfg); i++) {
                const char *key = rdc_map_key_at(cfg, i);
                if (strncmp(key, prefix, plen) || !key[plen])
                        continue;
                const char *name = key + plen;
                const char *value = rdc_map_value_at(cfg, i);
                if (is_java_only_client_key(name)) {
                        rdc_log(warn ? RDC_LOG_WARN : RDC_LOG_DEBUG, "worker",
                                NULL,
                                "%s is a Java client setting with no effect "
                                "in librdkafka; accepted and ignored",
                                key);
                        continue;
                }
                if (rd_kafka_conf_set(conf, name, value, kerr, sizeof(kerr)) ==
                    RD_KAFKA_CONF_OK)
                        continue;
                rdc_config_errors_add(errs, key,
                                      "Invalid value %s for configuration %s: "
                                      "%s",
                                      client_value_shown(name, value), key,
                                      kerr);
                cnt++;
        }
        return cnt;
}

/* Applies the "<role><infix>" keys of cfg for each role to a throwaway
 * librdkafka config, so that a value librdkafka refuses is an error now
 * and not a failing task later. */
static size_t validate_client_keys(const rdc_map_t *cfg,
                                   const char *const *roles, const char *infix,
                                   rdc_config_errors_t *errs) {
        size_t cnt = 0;
        char prefix[64];
        for (const char *const *role = roles; *role; role++) {
                rd_kafka_conf_t *conf = rd_kafka_conf_new();
                snprintf(prefix, sizeof(prefix), "%s%s", *role, infix);
                cnt += conf_apply_prefixed(conf, cfg, prefix, 1, errs);
                rd_kafka_conf_destroy(conf);
        }
        return cnt;
}

rd_kafka_conf_t *rdc_worker_producer_conf(rdc_worker_t *worker,
                                          const rdc_map_t *connector_cfg,
                                          const char *client_id, char *errstr,
                                          size_t errstr_size) {
        /* Kafka Connect's producer guarantees (no loss, per-partition
         * order), expressed the librdkafka way. The queue caps bound
         * memory: librdkafka's 100000 messages held 16 MB of JSON records
         * (peak RSS 49 MB); 8 MB and 50000 messages keep the throughput
         * of bench/ at 28-34 MB (25000 messages cost throughput).
         * murmur2 is the Java producer's partitioner: a keyed record lands
         * in the same partition as from Kafka Connect (librdkafka's own
         * default hashes with CRC32). */
        const char *const defaults[] = {"acks",
                                        "all",
                                        "enable.idempotence",
                                        "true",
                                        "partitioner",
                                        "murmur2_random",
                                        "queue.buffering.max.kbytes",
                                        "8192",
                                        "queue.buffering.max.messages",
                                        "50000",
                                        "client.id",
                                        client_id,
                                        NULL};
        return rdc_worker_client_conf(worker, "producer", connector_cfg,
                                      defaults, errstr, errstr_size);
}

/* The producer a source task would make with cfg, made once without
 * brokers: librdkafka checks combinations (acks with idempotence, ...)
 * only when a client is created, and a failing task later is worse than a
 * 400 now. The problem names the override key librdkafka's text names. */
static size_t validate_producer(rdc_worker_t *worker, const rdc_map_t *cfg,
                                rdc_config_errors_t *errs) {
        char errstr[1024];
        rd_kafka_conf_t *conf = rdc_worker_producer_conf(
                worker, cfg, "rdconnect-validate", errstr, sizeof(errstr));
        if (!conf) {
                rdc_config_errors_add(errs, "producer.override", "%s", errstr);
                return 1;
        }
        rd_kafka_conf_set(conf, "bootstrap.servers", "", NULL, 0);
        rd_kafka_t *rk =
                rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (rk) {
                rd_kafka_destroy(rk);
                return 0;
        }
        rd_kafka_conf_destroy(conf);
        const char *key = "producer.override";
        static const char prefix[] = "producer.override.";
        for (size_t i = 0; i < rdc_map_count(cfg); i++) {
                const char *k = rdc_map_key_at(cfg, i);
                if (!strncmp(k, prefix, sizeof(prefix) - 1) &&
                    strstr(errstr, k + sizeof(prefix) - 1)) {
                        key = k;
                        break;
                }
        }
        rdc_config_errors_add(errs, key, "Invalid producer configuration: %s",
                              errstr);
        return 1;
}

static size_t validate_converters(rdc_worker_t *worker, const rdc_map_t *cfg,
                                  rdc_config_errors_t *errs) {
        static const char *const keys[] = {"key.converter", "value.converter",
                                           "header.converter"};
        static const uint32_t types[] = {RDCP_PLUGIN_CONVERTER,
                                         RDCP_PLUGIN_CONVERTER,
                                         RDCP_PLUGIN_HEADER_CONVERTER};
        size_t cnt = 0;
        char errstr[1024];
        for (size_t i = 0; i < 3; i++) {
                const char *cls = rdc_map_get(cfg, keys[i]);
                if (is_blank(cls))
                        continue;
                if (!rdc_registry_find(worker->registry, cls, types[i], errstr,
                                       sizeof(errstr))) {
                        rdc_config_errors_add(errs, keys[i], "%s", errstr);
                        cnt++;
                }
        }
        return cnt;
}

static size_t validate_sink_topics(const rdc_map_t *cfg,
                                   rdc_config_errors_t *errs) {
        const char *topics = rdc_map_get(cfg, "topics");
        const char *regex = rdc_map_get(cfg, "topics.regex");
        if (!is_blank(topics) && !is_blank(regex)) {
                static const char msg[] =
                        "topics and topics.regex are mutually exclusive "
                        "options, but both are set.";
                rdc_config_errors_add(errs, "topics", msg);
                rdc_config_errors_add(errs, "topics.regex", msg);
                return 2;
        }
        if (is_blank(topics) && is_blank(regex)) {
                static const char msg[] =
                        "Must configure one of topics or topics.regex";
                rdc_config_errors_add(errs, "topics", msg);
                rdc_config_errors_add(errs, "topics.regex", msg);
                return 2;
        }
        return 0;
}

/* Every key and value of a connector config is strict UTF-8 without NUL
 * (rdc_utf8_check, as REST checks its input): configs also come from
 * files, and a name or value that is not would make the JSON answers
 * invalid and the connector impossible to name over REST. */
static size_t validate_text(const rdc_map_t *cfg, rdc_config_errors_t *errs) {
        size_t cnt = 0, off;
        for (size_t i = 0; i < rdc_map_count(cfg); i++) {
                const char *key = rdc_map_key_at(cfg, i);
                const char *value = rdc_map_value_at(cfg, i);
                const char *why = rdc_utf8_check(key, strlen(key), &off);
                if (why) {
                        rdc_config_errors_add(errs, "(key)",
                                              "A key is not valid UTF-8: %s "
                                              "at byte %zu",
                                              why, off);
                        cnt++;
                } else if ((why = rdc_utf8_check(value, strlen(value), &off))) {
                        rdc_config_errors_add(errs, key,
                                              "The value is not valid UTF-8: "
                                              "%s at byte %zu",
                                              why, off);
                        cnt++;
                }
        }
        return cnt;
}

size_t rdc_connector_config_validate(rdc_worker_t *worker, const rdc_map_t *cfg,
                                     const rdc_plugin_t **pluginp,
                                     rdc_map_t **resolvedp,
                                     rdc_config_errors_t *errs) {
        size_t cnt;
        char errstr[2048];
        const rdc_plugin_t *plugin = NULL;
        rdc_map_t *resolved = rdc_map_dup(cfg);
        if (pluginp)
                *pluginp = NULL;
        if (resolvedp)
                *resolvedp = NULL;
        if (!resolved) {
                rdc_config_errors_add(errs, "name", "out of memory");
                return 1;
        }
        cnt = validate_text(cfg, errs);
        if (cnt) {
                rdc_map_destroy(resolved);
                return cnt;
        }
        cnt = rdc_configdef_validate(
                rdc_connector_config_defs, rdc_connector_config_def_cnt,
                sizeof(rdcp_config_def_t), resolved, 1, errs);
        const char *name = rdc_map_get(resolved, "name");
        for (const char *p = name; p && *p; p++) {
                if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                        rdc_config_errors_add(
                                errs, "name",
                                "Connector name must not contain ISO "
                                "control characters");
                        cnt++;
                        break;
                }
        }
        const char *cls = rdc_map_get(resolved, "connector.class");
        if (!is_blank(cls)) {
                plugin = rdc_registry_find(worker->registry, cls,
                                           RDC_PLUGIN_ANY_CONNECTOR, errstr,
                                           sizeof(errstr));
                if (!plugin) {
                        rdc_config_errors_add(errs, "connector.class", "%s",
                                              errstr);
                        cnt++;
                }
        }
        cnt += validate_converters(worker, resolved, errs);
        cnt += validate_unsupported(connector_unsupported,
                                    sizeof(connector_unsupported) /
                                            sizeof(connector_unsupported[0]),
                                    rdc_connector_config_defs,
                                    rdc_connector_config_def_cnt, resolved,
                                    errs);
        static const char *const override_roles[] = {"producer", "consumer",
                                                     NULL};
        cnt += validate_client_keys(resolved, override_roles, ".override.",
                                    errs);
        if (!plugin && !cnt) {
                /* Never hand the herder a valid config without a plugin. */
                rdc_config_errors_add(errs, "connector.class",
                                      "No connector class resolved");
                cnt++;
        }
        if (plugin) {
                const rdcp_descriptor_t *d = plugin->desc;
                if (d->type == RDCP_PLUGIN_SOURCE && !cnt)
                        cnt += validate_producer(worker, resolved, errs);
                if (d->type == RDCP_PLUGIN_SINK)
                        cnt += validate_sink_topics(resolved, errs);
                cnt += rdc_configdef_validate(d->config_defs, d->config_def_cnt,
                                              d->config_def_size, resolved, 1,
                                              errs);
                if (d->connector->validate) {
                        report_ctx_t rc = {.errs = errs};
                        d->connector->validate(&rdc_host,
                                               rdc_map_as_cconfig(resolved),
                                               report_problem, &rc);
                        cnt += rc.cnt;
                }
        }
        if (pluginp)
                *pluginp = plugin;
        if (!cnt && resolvedp)
                *resolvedp = resolved;
        else
                rdc_map_destroy(resolved);
        return cnt;
}

/* ------------------------------------------------------------- worker */

int64_t rdc_worker_get_int(const rdc_worker_t *worker, const char *key) {
        int64_t value = 0;
        const char *text = rdc_map_get(worker->config, key);
        if (text)
                rdc_config_parse_int64(text, &value);
        return value;
}

static int worker_setup_kafka(rdc_worker_t *worker, char *errstr,
                              size_t errstr_size) {
        const char *bootstrap =
                rdc_map_get(worker->config, "bootstrap.servers");
        int brokers;
        int r = rdc_embedded_parse(bootstrap, &brokers, errstr, errstr_size);
        if (r < 0)
                return -1;
        if (r > 0) {
                worker->embedded =
                        rdc_embedded_start(brokers, errstr, errstr_size);
                if (!worker->embedded)
                        return -1;
                bootstrap = rdc_embedded_bootstraps(worker->embedded);
        }
        worker->bootstrap = strdup(bootstrap);
        if (!worker->bootstrap) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        return 0;
}

/* @returns 1 if key is a worker key of Kafka's that is no client key:
 * one of the worker table, a refused feature, or a prefixed key (client
 * roles, checked by librdkafka; converters, by their plugins). */
static int worker_is_framework_key(const char *key) {
        static const char *const prefixes[] = {
                "producer.",      "consumer.",        "admin.",
                "key.converter.", "value.converter.", "header.converter.",
                NULL};
        if (rdc_configdef_find(rdc_worker_config_defs,
                               rdc_worker_config_def_cnt,
                               sizeof(rdcp_config_def_t), key) ||
            unsupported_find(worker_unsupported,
                             sizeof(worker_unsupported) /
                                     sizeof(worker_unsupported[0]),
                             key))
                return 1;
        for (const char *const *p = prefixes; *p; p++)
                if (!strncmp(key, *p, strlen(*p)))
                        return 1;
        return 0;
}

/* Any other worker key is, as in Kafka, a setting of the worker's own
 * admin client (security.protocol, sasl.*, ssl.*, ...) if librdkafka
 * knows it: checked like the prefixed ones. Kafka warns about a key
 * nobody knows, and so does rdconnect: a typo must not pass unnoticed.
 * @returns problems added to errs. */
static size_t worker_check_unprefixed(const rdc_map_t *props,
                                      rdc_config_errors_t *errs) {
        size_t cnt = 0;
        char kerr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        for (size_t i = 0; i < rdc_map_count(props); i++) {
                const char *key = rdc_map_key_at(props, i);
                const char *value = rdc_map_value_at(props, i);
                if (worker_is_framework_key(key))
                        continue;
                rd_kafka_conf_res_t res =
                        is_java_only_client_key(key)
                                ? RD_KAFKA_CONF_UNKNOWN
                                : rd_kafka_conf_set(conf, key, value, kerr,
                                                    sizeof(kerr));
                if (res == RD_KAFKA_CONF_UNKNOWN) {
                        rdc_log(RDC_LOG_WARN, "worker", NULL,
                                "The configuration '%s' was supplied but "
                                "isn't a known config; ignored",
                                key);
                } else if (res != RD_KAFKA_CONF_OK) {
                        rdc_config_errors_add(
                                errs, key,
                                "Invalid value %s for configuration %s: %s",
                                client_value_shown(key, value), key, kerr);
                        cnt++;
                }
        }
        rd_kafka_conf_destroy(conf);
        return cnt;
}

/* Sets the unprefixed client keys (see worker_check_unprefixed) on the
 * admin client's conf; checked at start, so failures cannot happen. */
static void conf_apply_unprefixed(rd_kafka_conf_t *conf,
                                  const rdc_map_t *config) {
        char kerr[512];
        for (size_t i = 0; i < rdc_map_count(config); i++) {
                const char *key = rdc_map_key_at(config, i);
                if (!worker_is_framework_key(key) &&
                    !is_java_only_client_key(key))
                        rd_kafka_conf_set(conf, key,
                                          rdc_map_value_at(config, i), kerr,
                                          sizeof(kerr));
        }
}

rdc_worker_t *rdc_worker_new(const rdc_map_t *props, int standalone,
                             char *errstr, size_t errstr_size) {
        rdc_config_errors_t errs = {0};
        rdc_worker_t *worker = calloc(1, sizeof(*worker));
        if (!worker || !(worker->config = rdc_map_dup(props))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        rdc_configdef_validate(
                rdc_worker_config_defs, rdc_worker_config_def_cnt,
                sizeof(rdcp_config_def_t), worker->config, 1, &errs);
        static const char *const client_roles[] = {"producer", "consumer",
                                                   "admin", NULL};
        validate_client_keys(worker->config, client_roles, ".", &errs);
        validate_unsupported(worker_unsupported,
                             sizeof(worker_unsupported) /
                                     sizeof(worker_unsupported[0]),
                             NULL, 0, worker->config, &errs);
        worker_check_unprefixed(props, &errs);
        const char *offsets_file =
                rdc_map_get(worker->config, "offset.storage.file.filename");
        if (standalone && is_blank(offsets_file))
                rdc_config_errors_add(
                        &errs, "offset.storage.file.filename",
                        "Missing required configuration "
                        "\"offset.storage.file.filename\" which has no "
                        "default value.");
        if (errs.cnt) {
                char joined[2048];
                rdc_config_errors_format(&errs, joined, sizeof(joined));
                snprintf(errstr, errstr_size, "Invalid worker config: %s",
                         joined);
                goto fail;
        }
        worker->offset_flush_interval_ms =
                rdc_worker_get_int(worker, "offset.flush.interval.ms");
        worker->offset_flush_timeout_ms =
                rdc_worker_get_int(worker, "offset.flush.timeout.ms");
        worker->graceful_timeout_ms =
                rdc_worker_get_int(worker, "task.shutdown.graceful.timeout.ms");

        worker->offsets =
                standalone ? rdc_offset_store_file_open(offsets_file, errstr,
                                                        errstr_size)
                           : rdc_offset_store_memory_new();
        if (!worker->offsets)
                goto fail;

        worker->registry =
                rdc_registry_new(rdc_registry_default_dir(),
                                 rdc_map_get(worker->config, "plugin.path"));
        if (!worker->registry) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        size_t plugins = rdc_registry_scan(worker->registry);
        rdc_log(RDC_LOG_INFO, "worker", NULL,
                "Loaded %zu plugin(s) from %s%s%s", plugins,
                rdc_registry_default_dir(),
                rdc_map_get(worker->config, "plugin.path") ? " and " : "",
                rdc_map_get(worker->config, "plugin.path")
                        ? rdc_map_get(worker->config, "plugin.path")
                        : "");

        /* The worker's own converters must exist before any connector
         * relies on them. */
        rdc_config_errors_clear(&errs);
        if (validate_converters(worker, worker->config, &errs)) {
                char joined[2048];
                rdc_config_errors_format(&errs, joined, sizeof(joined));
                snprintf(errstr, errstr_size, "Invalid worker config: %s",
                         joined);
                goto fail;
        }
        if (worker_setup_kafka(worker, errstr, errstr_size))
                goto fail;
        snprintf(worker->worker_id, sizeof(worker->worker_id),
                 "127.0.0.1:8083");
        rdc_config_errors_clear(&errs);
        return worker;
fail:
        rdc_config_errors_clear(&errs);
        rdc_worker_destroy(worker);
        return NULL;
}

void rdc_worker_destroy(rdc_worker_t *worker) {
        if (!worker)
                return;
        if (worker->admin)
                rd_kafka_destroy(worker->admin);
        rdc_embedded_destroy(worker->embedded);
        if (worker->offsets)
                rdc_offset_store_destroy(worker->offsets);
        if (worker->registry)
                rdc_registry_destroy(worker->registry);
        rdc_map_destroy(worker->config);
        free(worker->bootstrap);
        free(worker);
}

/* ------------------------------------------------------ Kafka clients */

/* Writes the "<connector>|task-<n>" scope of a task's client into buf,
 * from the client.id tasks give it ("connector-producer-<name>-<n>",
 * Kafka's). @returns buf, or NULL for other clients. */
static const char *kafka_client_scope(const rd_kafka_t *rk, char *buf,
                                      size_t size) {
        static const char *const prefixes[] = {"connector-producer-",
                                               "connector-consumer-", NULL};
        const char *name = rk ? rd_kafka_name(rk) : "";
        const char *hash = strrchr(name, '#');
        size_t len = hash ? (size_t)(hash - name) : strlen(name);
        for (const char *const *p = prefixes; *p; p++) {
                size_t plen = strlen(*p);
                if (len <= plen || strncmp(name, *p, plen))
                        continue;
                const char *dash = memrchr(name + plen, '-', len - plen);
                if (!dash || dash == name + plen ||
                    strspn(dash + 1, "0123456789") !=
                            (size_t)(name + len - dash - 1) ||
                    dash + 1 == name + len)
                        return NULL;
                snprintf(buf, size, "%.*s|task-%.*s", (int)(dash - name - plen),
                         name + plen, (int)(name + len - dash - 1), dash + 1);
                return buf;
        }
        return NULL;
}

/* librdkafka logs with syslog levels from its own threads; rdc_log is
 * thread-safe, so lines go straight to the worker's logger. */
static void kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                         const char *buf) {
        char scope[300];
        rdc_log_level_t mapped = level <= 3   ? RDC_LOG_ERROR
                                 : level == 4 ? RDC_LOG_WARN
                                 : level <= 6 ? RDC_LOG_INFO
                                              : RDC_LOG_DEBUG;
        if (!rdc_log_enabled(mapped, RDC_WORKER_KAFKA_LOGGER))
                return;
        rdc_log(mapped, RDC_WORKER_KAFKA_LOGGER,
                kafka_client_scope(rk, scope, sizeof(scope)), "%s %s: %s",
                rk ? rd_kafka_name(rk) : "rdkafka", fac, buf);
}

/* Only logs: librdkafka retries on its own. A task that must act on
 * errors sets its own callback over this one. */
static void kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
                           void *opaque) {
        char scope[300];
        (void)opaque;
        rdc_log(err == RD_KAFKA_RESP_ERR__FATAL ? RDC_LOG_ERROR : RDC_LOG_WARN,
                RDC_WORKER_KAFKA_LOGGER,
                kafka_client_scope(rk, scope, sizeof(scope)), "%s error %s: %s",
                rd_kafka_name(rk), rd_kafka_err2name(err), reason);
}

void rdc_worker_kafka_logging(rd_kafka_conf_t *conf) {
        rd_kafka_conf_set_log_cb(conf, kafka_log_cb);
        rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
}

rd_kafka_conf_t *rdc_worker_client_conf(rdc_worker_t *worker, const char *role,
                                        const rdc_map_t *connector_cfg,
                                        const char *const *defaults,
                                        char *errstr, size_t errstr_size) {
        char prefix[64], kerr[512];
        rdc_config_errors_t errs = {0};
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rdc_worker_kafka_logging(conf);
        if (rd_kafka_conf_set(conf, "bootstrap.servers", worker->bootstrap,
                              kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
                snprintf(errstr, errstr_size,
                         "Invalid value %s for configuration "
                         "bootstrap.servers: %s",
                         worker->bootstrap, kerr);
                goto fail;
        }
        for (size_t i = 0; defaults && defaults[i]; i += 2) {
                if (rd_kafka_conf_set(conf, defaults[i], defaults[i + 1], kerr,
                                      sizeof(kerr)) != RD_KAFKA_CONF_OK) {
                        snprintf(errstr, errstr_size, "%s", kerr);
                        goto fail;
                }
        }
        /* Both sources were validated (worker start, connector create):
         * a problem here means a config that bypassed validation. */
        if (!strcmp(role, "admin"))
                conf_apply_unprefixed(conf, worker->config);
        snprintf(prefix, sizeof(prefix), "%s.", role);
        conf_apply_prefixed(conf, worker->config, prefix, 0, &errs);
        if (connector_cfg) {
                snprintf(prefix, sizeof(prefix), "%s.override.", role);
                conf_apply_prefixed(conf, connector_cfg, prefix, 0, &errs);
        }
        if (errs.cnt) {
                snprintf(errstr, errstr_size, "%s", errs.items[0].message);
                goto fail;
        }
        return conf;
fail:
        rdc_config_errors_clear(&errs);
        rd_kafka_conf_destroy(conf);
        return NULL;
}

/* The admin handle is a consumer-type client: its metadata requests never
 * auto-create topics, so "missing" really means missing. */
rd_kafka_t *rdc_worker_admin(rdc_worker_t *worker, char *errstr,
                             size_t errstr_size) {
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&lock);
        if (!worker->admin) {
                static const char *const defaults[] = {"client.id",
                                                       "rdconnect-admin", NULL};
                rd_kafka_conf_t *conf = rdc_worker_client_conf(
                        worker, "admin", NULL, defaults, errstr, errstr_size);
                if (conf) {
                        char kerr[512];
                        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf,
                                                      kerr, sizeof(kerr));
                        /* REST threads read it without the lock. */
                        __atomic_store_n(&worker->admin, rk, __ATOMIC_RELEASE);
                        if (!rk) {
                                rd_kafka_conf_destroy(conf);
                                snprintf(errstr, errstr_size,
                                         "cannot create admin client: %s",
                                         kerr);
                        }
                }
        }
        pthread_mutex_unlock(&lock);
        return worker->admin;
}

/* @returns 1 if the topic exists, 0 if not, -1 if unknown (error). */
static int topic_exists(rd_kafka_t *rk, const char *topic) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        if (!rkt)
                return -1;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
        int exists = -1;
        if (!err && md->topic_cnt == 1) {
                rd_kafka_resp_err_t terr = md->topics[0].err;
                if (!terr && md->topics[0].partition_cnt > 0)
                        exists = 1;
                else if (terr == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                        exists = 0;
        }
        if (md)
                rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        return exists;
}

static void create_topic(rd_kafka_t *rk, const char *topic, int partitions,
                         int replication) {
        char kerr[512];
        rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(
                topic, partitions, replication, kerr, sizeof(kerr));
        if (!nt) {
                rdc_log(RDC_LOG_WARN, "worker", NULL,
                        "Cannot describe topic %s for creation: %s", topic,
                        kerr);
                return;
        }
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *opts =
                rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_request_timeout(opts, 5000, kerr,
                                                  sizeof(kerr));
        rd_kafka_AdminOptions_set_operation_timeout(opts, 5000, kerr,
                                                    sizeof(kerr));
        rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10000);
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
        const char *why = "no answer";
        if (ev) {
                err = rd_kafka_event_error(ev);
                why = rd_kafka_event_error_string(ev);
                const rd_kafka_CreateTopics_result_t *res =
                        rd_kafka_event_CreateTopics_result(ev);
                size_t cnt = 0;
                const rd_kafka_topic_result_t **tres =
                        res ? rd_kafka_CreateTopics_result_topics(res, &cnt)
                            : NULL;
                if (!err && cnt == 1) {
                        err = rd_kafka_topic_result_error(tres[0]);
                        why = rd_kafka_topic_result_error_string(tres[0]);
                }
        }
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
                        topic, rd_kafka_err2name(err), why ? why : "");
        if (ev)
                rd_kafka_event_destroy(ev);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy(nt);
}

int rdc_worker_ensure_topic(rdc_worker_t *worker, const char *topic,
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
        rd_kafka_t *rk = rdc_worker_admin(worker, errstr, errstr_size);
        if (!rk)
                return -1;
        int exists = topic_exists(rk, topic);
        if (exists == 0)
                create_topic(rk, topic, (int)partitions, (int)replication);
        else if (exists < 0)
                rdc_log(RDC_LOG_WARN, "worker", NULL,
                        "Could not read metadata of topic %s; producing "
                        "without checking that it exists",
                        topic);
        return 0;
}
