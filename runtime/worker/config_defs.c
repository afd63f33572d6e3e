/*
 * The framework's config tables: the worker keys and the connector keys,
 * with Kafka's names, defaults and documentation (the rdconnect
 * extensions say so in theirs). Validation and the plugin REST endpoints
 * read them; nothing here runs.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/strlist.h"
#include "worker/worker.h"

/* Highest tasks.max: tasks are threads of one worker. */
#define RDC_TASKS_MAX 1024

static const char *const rdc_tolerance_values[] = {"none", "all", NULL};
static const char *const rdc_reload_values[] = {"none", "restart", NULL};

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
        {.name = "config.providers",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_LOW,
         .documentation = "Names of config providers; each needs "
                          "config.providers.<name>.class "
                          "(FileConfigProvider, DirectoryConfigProvider, "
                          "EnvVarConfigProvider)."},
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
        {.name = "connector.client.config.override.policy",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .default_value = "All",
         .documentation = "Which client settings connectors may override "
                          "(producer.override.*, consumer.override.*, "
                          "admin.override.*): All, None, or Principal "
                          "(security.protocol and the SASL settings); "
                          "also by class name."},
        {.name = "topic.creation.enable",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "true",
         .documentation = "Create missing topics of source connectors."},
        {.name = "topic.tracking.enable",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "true",
         .documentation = "Answer GET /connectors/{c}/topics (403 when "
                          "false)."},
        {.name = "topic.tracking.allow.reset",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "true",
         .documentation = "Allow PUT /connectors/{c}/topics/reset (403 "
                          "when false)."},
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
        /* Distributed mode (connect-distributed); the standalone worker
         * warns that they have no role there. */
        {.name = "group.id",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .documentation = "Distributed: the group of workers this one "
                          "belongs to (required)."},
        {.name = "config.storage.topic",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .documentation = "Distributed: the topic of connector and task "
                          "configs (rdconnect defaults it to "
                          "connect-configs)."},
        {.name = "offset.storage.topic",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .documentation = "Distributed: the topic of source offsets "
                          "(rdconnect defaults it to connect-offsets)."},
        {.name = "status.storage.topic",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .documentation = "Distributed: the topic of connector and task "
                          "statuses (rdconnect defaults it to "
                          "connect-status)."},
        {.name = "config.storage.replication.factor",
         .type = RDCP_CFG_SHORT,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "3",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = -1,
         .documentation = "Distributed: replication factor of the config "
                          "topic when it is created (-1: the broker's "
                          "default)."},
        {.name = "offset.storage.replication.factor",
         .type = RDCP_CFG_SHORT,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "3",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = -1,
         .documentation = "Distributed: replication factor of the offsets "
                          "topic when it is created (-1: the broker's "
                          "default)."},
        {.name = "status.storage.replication.factor",
         .type = RDCP_CFG_SHORT,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "3",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = -1,
         .documentation = "Distributed: replication factor of the status "
                          "topic when it is created (-1: the broker's "
                          "default)."},
        {.name = "offset.storage.partitions",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "25",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = -1,
         .documentation = "Distributed: partitions of the offsets topic "
                          "when it is created (-1: the broker's default); "
                          "also the most workers one group can have."},
        {.name = "status.storage.partitions",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "5",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = -1,
         .documentation = "Distributed: partitions of the status topic "
                          "when it is created (-1: the broker's default)."},
        {.name = "session.timeout.ms",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_HIGH,
         .default_value = "10000",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 1,
         .documentation = "Distributed: a worker that has not been heard "
                          "from for this long is out of the group, and a "
                          "worker cut off for this long stops its work."},
        {.name = "heartbeat.interval.ms",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_HIGH,
         .default_value = "3000",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 1,
         .documentation = "Distributed: how often a worker tells the "
                          "group coordinator it is alive."},
        {.name = "rebalance.timeout.ms",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .default_value = "60000",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 1,
         .documentation = "Distributed: how long a rebalance may wait for "
                          "a worker to rejoin."},
        {.name = "scheduled.rebalance.max.delay.ms",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "0",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 0,
         .documentation = "Distributed: how long the work of a worker that "
                          "left waits for it to come back before it moves "
                          "(rdconnect's default 0 moves it at once; Kafka's "
                          "is 5 minutes)."},
};
const size_t rdc_worker_config_def_cnt =
        sizeof(rdc_worker_config_defs) / sizeof(rdc_worker_config_defs[0]);

/* Kafka's ExactlyOnceSupportLevel and TransactionBoundary, checked
 * case-insensitively as Kafka's CaseInsensitiveValidString does; the
 * message lists them in the order Kafka's (hash set) message does. */
static rdcp_err_t check_one_of_nocase(const char *value,
                                      const char *const *valid,
                                      const char *listed, char *errstr,
                                      size_t errstr_size) {
        const char *start = value;
        size_t len = strlen(value);
        while (isspace((unsigned char)*start))
                start++, len--;
        while (len && isspace((unsigned char)start[len - 1]))
                len--;
        for (; *valid; valid++)
                if (strlen(*valid) == len && !strncasecmp(start, *valid, len))
                        return RDCP_OK;
        snprintf(errstr, errstr_size,
                 "String must be one of (case insensitive): %s", listed);
        return RDCP_ERR_CONFIG;
}

static rdcp_err_t check_exactly_once_support(const char *name,
                                             const char *value, char *errstr,
                                             size_t errstr_size) {
        static const char *const valid[] = {"requested", "required", NULL};
        (void)name;
        return check_one_of_nocase(value, valid, "REQUIRED, REQUESTED", errstr,
                                   errstr_size);
}

static rdcp_err_t check_transaction_boundary(const char *name,
                                             const char *value, char *errstr,
                                             size_t errstr_size) {
        static const char *const valid[] = {"poll", "interval", "connector",
                                            NULL};
        (void)name;
        return check_one_of_nocase(value, valid, "INTERVAL, POLL, CONNECTOR",
                                   errstr, errstr_size);
}

/* topics.regex must compile (Kafka's RegexValidator); rdconnect's
 * regular expressions are POSIX extended ones. */
static rdcp_err_t check_regex(const char *name, const char *value, char *errstr,
                              size_t errstr_size) {
        regex_t re;
        char why[256];
        int rc;
        (void)name;
        if (rdc_config_blank(value))
                return RDCP_OK;
        rc = regcomp(&re, value, REG_EXTENDED | REG_NOSUB);
        if (!rc) {
                regfree(&re);
                return RDCP_OK;
        }
        regerror(rc, &re, why, sizeof(why));
        snprintf(errstr, errstr_size, "Invalid regex: %s", why);
        return RDCP_ERR_CONFIG;
}

/* Kafka's ConnectorConfig keys, in Kafka's order, groups, types,
 * defaults and importance. The documentation is rdconnect's: it says
 * where rdconnect does less (README, "Differences from Kafka"). */
const rdcp_config_def_t rdc_connector_config_defs[] = {
        {.name = "name",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .group = "Common",
         .order = 1,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .display_name = "Connector name",
         .documentation = "Unique name of the connector on this worker or "
                          "cluster."},
        {.name = "connector.class",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .group = "Common",
         .order = 2,
         .flags = RDCP_CFGF_REQUIRED,
         .display_name = "Connector class",
         .documentation = "The connector's class: its full name, its last "
                          "dot-separated part (FileStreamSinkConnector) or "
                          "that without the Connector suffix "
                          "(FileStreamSink)."},
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
         .display_name = "Tasks max",
         .documentation = "Most tasks the connector may run (at most 1024 "
                          "per worker in rdconnect)."},
        {.name = "tasks.max.enforce",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Common",
         .order = 4,
         .default_value = "true",
         .display_name = "Enforce tasks max",
         .documentation = "Deprecated in Kafka. rdconnect always enforces "
                          "tasks.max: only true is accepted."},
        {.name = "key.converter",
         .type = RDCP_CFG_CLASS,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Common",
         .order = 5,
         .display_name = "Key converter class",
         .documentation = "Converter between record keys and Kafka's "
                          "bytes; the worker's when unset."},
        {.name = "value.converter",
         .type = RDCP_CFG_CLASS,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Common",
         .order = 6,
         .display_name = "Value converter class",
         .documentation = "Converter between record values and Kafka's "
                          "bytes; the worker's when unset."},
        {.name = "header.converter",
         .type = RDCP_CFG_CLASS,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Common",
         .order = 7,
         .display_name = "Header converter class",
         .documentation = "Converter between record header values and "
                          "Kafka's bytes; the worker's when unset."},
        {.name = "transforms",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Transforms",
         .order = 8,
         .default_value = "",
         .display_name = "Transforms",
         .documentation = "Aliases of the transformations applied to "
                          "records. rdconnect has no transformations yet: "
                          "only an empty list is accepted."},
        {.name = "predicates",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Predicates",
         .order = 9,
         .default_value = "",
         .display_name = "Predicates",
         .documentation = "Aliases of the predicates transformations use. "
                          "rdconnect has no predicates yet: only an empty "
                          "list is accepted."},
        {.name = "config.action.reload",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Common",
         .order = 10,
         .default_value = "restart",
         .valid_values = rdc_reload_values,
         .display_name = "Reload Action",
         .documentation = "What happens when a config provider's values "
                          "change: restart the connector, or none. "
                          "rdconnect's providers never expire, so neither "
                          "ever acts."},
        {.name = "errors.retry.timeout",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 1,
         .default_value = "0",
         .display_name = "Retry Timeout for Errors",
         .documentation = "How long a failed operation is retried, in "
                          "milliseconds. rdconnect does not retry yet: "
                          "only 0 is accepted."},
        {.name = "errors.retry.delay.max.ms",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 2,
         .default_value = "60000",
         .display_name = "Maximum Delay Between Retries for Errors",
         .documentation = "Longest wait between two retries, in "
                          "milliseconds (no effect while "
                          "errors.retry.timeout is 0)."},
        {.name = "errors.tolerance",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 3,
         .default_value = "none",
         .valid_values = rdc_tolerance_values,
         .display_name = "Error Tolerance",
         .documentation = "none: a record that cannot be converted fails "
                          "the task; all: it is skipped."},
        {.name = "errors.log.enable",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 4,
         .default_value = "false",
         .display_name = "Log Errors",
         .documentation = "Log every error and skipped record, not only "
                          "the ones that fail the task."},
        {.name = "errors.log.include.messages",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 5,
         .default_value = "false",
         .display_name = "Log Error Details",
         .documentation = "Put the record's coordinates and contents in "
                          "those log lines."},
};
const size_t rdc_connector_config_def_cnt =
        sizeof(rdc_connector_config_defs) /
        sizeof(rdc_connector_config_defs[0]);

/* Kafka's SinkConnectorConfig keys, after the common ones. */
const rdcp_config_def_t rdc_sink_connector_config_defs[] = {
        {.name = "topics",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .group = "Common",
         .order = 4,
         .default_value = "",
         .display_name = "Topics",
         .documentation = "Comma-separated topics to consume."},
        {.name = "topics.regex",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .group = "Common",
         .order = 4,
         .default_value = "",
         .validator = check_regex,
         .display_name = "Topics regex",
         .documentation = "Regular expression (POSIX extended in "
                          "rdconnect) of the topics to consume; set this "
                          "or topics, not both."},
        {.name = "errors.deadletterqueue.topic.name",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 6,
         .default_value = "",
         .display_name = "Dead Letter Queue Topic Name",
         .documentation = "Topic that receives the records this sink "
                          "cannot process. rdconnect has no dead letter "
                          "queues yet: only an empty name is accepted."},
        {.name = "errors.deadletterqueue.topic.replication.factor",
         .type = RDCP_CFG_SHORT,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 7,
         .default_value = "3",
         .display_name = "Dead Letter Queue Topic Replication Factor",
         .documentation = "Replication factor of the dead letter queue "
                          "topic when it is created (no effect without "
                          "one)."},
        {.name = "errors.deadletterqueue.context.headers.enable",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Error Handling",
         .order = 8,
         .default_value = "false",
         .display_name = "Enable Error Context Headers",
         .documentation = "Add __connect.errors.* headers describing the "
                          "error to dead letter queue records (no effect "
                          "without one)."},
};
const size_t rdc_sink_connector_config_def_cnt =
        sizeof(rdc_sink_connector_config_defs) /
        sizeof(rdc_sink_connector_config_defs[0]);

/* Kafka's SourceConnectorConfig keys, after the common ones, then
 * rdconnect's topic creation settings. */
const rdcp_config_def_t rdc_source_connector_config_defs[] = {
        {.name = "topic.creation.groups",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Topic Creation",
         .order = 1,
         .default_value = "",
         .display_name = "Topic Creation Groups",
         .documentation = "Groups of settings for the topics the "
                          "connector creates. rdconnect has the default "
                          "group only: only an empty list is accepted."},
        {.name = "exactly.once.support",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Exactly Once Support",
         .order = 2,
         .default_value = "requested",
         .validator = check_exactly_once_support,
         .display_name = "Exactly once support",
         .documentation = "requested or required. rdconnect delivers at "
                          "least once: required is refused."},
        {.name = "transaction.boundary",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .group = "Exactly Once Support",
         .order = 3,
         .default_value = "poll",
         .validator = check_transaction_boundary,
         .display_name = "Transaction Boundary",
         .documentation = "poll, interval or connector: where producer "
                          "transactions end. rdconnect has no source "
                          "transactions: only poll is accepted."},
        {.name = "transaction.boundary.interval.ms",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Exactly Once Support",
         .order = 4,
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 0,
         .display_name = "Transaction boundary interval",
         .documentation = "Time between commits with transaction.boundary "
                          "interval (no effect otherwise)."},
        {.name = "offsets.storage.topic",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "offsets.topic",
         .order = 1,
         .flags = RDCP_CFGF_NON_EMPTY,
         .display_name = "Offsets topic",
         .documentation = "A topic of this connector's own for its "
                          "offsets. rdconnect keeps source offsets in "
                          "offset.storage.file.filename: refused."},
        {.name = "topic.creation.default.partitions",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Topic Creation",
         .order = 5,
         .default_value = "-1",
         .display_name = "Default partitions",
         .documentation = "rdconnect: partitions of topics created for "
                          "this connector (-1: the broker's default)."},
        {.name = "topic.creation.default.replication.factor",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .group = "Topic Creation",
         .order = 6,
         .default_value = "-1",
         .display_name = "Default replication factor",
         .documentation = "rdconnect: replication factor of created "
                          "topics (-1: the broker's default)."},
};
const size_t rdc_source_connector_config_def_cnt =
        sizeof(rdc_source_connector_config_defs) /
        sizeof(rdc_source_connector_config_defs[0]);

size_t rdc_connector_framework_tables(uint32_t type,
                                      rdc_config_def_table_t tables[2]) {
        tables[0] = (rdc_config_def_table_t){rdc_connector_config_defs,
                                             rdc_connector_config_def_cnt};
        if (type == RDCP_PLUGIN_SINK) {
                tables[1] = (rdc_config_def_table_t){
                        rdc_sink_connector_config_defs,
                        rdc_sink_connector_config_def_cnt};
                return 2;
        }
        if (type == RDCP_PLUGIN_SOURCE) {
                tables[1] = (rdc_config_def_table_t){
                        rdc_source_connector_config_defs,
                        rdc_source_connector_config_def_cnt};
                return 2;
        }
        return 1;
}

const rdcp_config_def_t *rdc_connector_framework_def(const char *name) {
        static const rdc_config_def_table_t all[] = {
                {rdc_connector_config_defs,
                 sizeof(rdc_connector_config_defs) / sizeof(rdcp_config_def_t)},
                {rdc_sink_connector_config_defs,
                 sizeof(rdc_sink_connector_config_defs) /
                         sizeof(rdcp_config_def_t)},
                {rdc_source_connector_config_defs,
                 sizeof(rdc_source_connector_config_defs) /
                         sizeof(rdcp_config_def_t)}};
        for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
                const rdcp_config_def_t *def =
                        rdc_configdef_find(all[i].defs, all[i].cnt,
                                           sizeof(rdcp_config_def_t), name);
                if (def)
                        return def;
        }
        return NULL;
}

/* @returns 1 if name is "<list>.<alias>.type" of transforms or
 * predicates. */
static int alias_type_key(const char *name) {
        static const char *const lists[] = {"transforms.", "predicates.", NULL};
        size_t len = strlen(name);
        for (const char *const *l = lists; *l; l++) {
                size_t plen = strlen(*l);
                if (len > plen + 5 && !strncmp(name, *l, plen) &&
                    !strcmp(name + len - 5, ".type"))
                        return 1;
        }
        return 0;
}

/* Kafka's Width of each framework key (ConfigKeyInfo.width). */
const char *rdc_connector_config_width(const rdcp_config_def_t *def,
                                       const char *name) {
        if (alias_type_key(name))
                return "LONG";
        if (!def || rdc_connector_framework_def(name) != def)
                return "NONE"; /* a plugin's: no width, Kafka's default */
        static const char *const widths[] = {
                "name",
                "MEDIUM",
                "connector.class",
                "LONG",
                "transforms",
                "LONG",
                "predicates",
                "LONG",
                "config.action.reload",
                "MEDIUM",
                "errors.retry.timeout",
                "MEDIUM",
                "errors.retry.delay.max.ms",
                "MEDIUM",
                "topics",
                "LONG",
                "topics.regex",
                "LONG",
                "errors.deadletterqueue.topic.name",
                "MEDIUM",
                "errors.deadletterqueue.topic.replication.factor",
                "MEDIUM",
                "errors.deadletterqueue.context.headers.enable",
                "MEDIUM",
                "topic.creation.groups",
                "LONG",
                "offsets.storage.topic",
                "LONG",
                NULL};
        for (size_t i = 0; widths[i]; i += 2)
                if (!strcmp(widths[i], name))
                        return widths[i + 1];
        return "SHORT";
}

/* One .type definition per alias of a LIST key, as Kafka's
 * ConnectorConfig.enrich() adds them (its other keys come from the
 * class, which rdconnect never has). */
static int alias_defs_add(rdc_config_def_table_t *table, size_t *size,
                          const char *key, const char *kind, const char *label,
                          const char *value) {
        rdc_strlist_t list;
        if (rdc_strlist_parse(value, &list))
                return -1;
        for (size_t i = 0; i < list.cnt; i++) {
                rdcp_config_def_t def = {.type = RDCP_CFG_CLASS,
                                         .importance = RDCP_IMPORTANCE_HIGH,
                                         .flags = RDCP_CFGF_REQUIRED,
                                         .order = 0};
                int dup = 0;
                for (size_t j = 0; j < i && !dup; j++)
                        dup = !strcmp(list.items[i], list.items[j]);
                if (dup)
                        continue;
                if (table->cnt == *size) {
                        size_t grown_size = *size ? *size * 2 : 4;
                        rdcp_config_def_t *grown =
                                realloc((void *)table->defs,
                                        grown_size * sizeof(*grown));
                        if (!grown)
                                goto oom;
                        table->defs = grown;
                        *size = grown_size;
                }
                char *name = NULL, *group = NULL, *doc = NULL, *display = NULL;
                if (asprintf(&name, "%s.%s.type", key, list.items[i]) < 0)
                        name = NULL;
                if (asprintf(&group, "%s: %s", label, list.items[i]) < 0)
                        group = NULL;
                if (asprintf(&doc,
                             "Class of the %s '%s' (rdconnect has none "
                             "yet).",
                             kind, list.items[i]) < 0)
                        doc = NULL;
                if (asprintf(&display, "%s type for %s",
                             label[0] == 'T' ? "Transformation" : "Predicate",
                             list.items[i]) < 0)
                        display = NULL;
                if (!name || !group || !doc || !display) {
                        free(name);
                        free(group);
                        free(doc);
                        free(display);
                        goto oom;
                }
                def.name = name;
                def.group = group;
                def.documentation = doc;
                def.display_name = display;
                ((rdcp_config_def_t *)table->defs)[table->cnt++] = def;
        }
        rdc_strlist_clear(&list);
        return 0;
oom:
        rdc_strlist_clear(&list);
        return -1;
}

int rdc_connector_alias_defs(const rdc_map_t *cfg,
                             rdc_config_def_table_t *table) {
        size_t size = 0;
        table->defs = NULL;
        table->cnt = 0;
        if (alias_defs_add(table, &size, "transforms", "transformation",
                           "Transforms", rdc_map_get(cfg, "transforms")) ||
            alias_defs_add(table, &size, "predicates", "predicate",
                           "Predicates", rdc_map_get(cfg, "predicates"))) {
                rdc_connector_alias_defs_free(table);
                return -1;
        }
        return 0;
}

void rdc_connector_alias_defs_free(rdc_config_def_table_t *table) {
        for (size_t i = 0; i < table->cnt; i++) {
                const rdcp_config_def_t *def = &table->defs[i];
                free((char *)def->name);
                free((char *)def->group);
                free((char *)def->documentation);
                free((char *)def->display_name);
        }
        free((void *)table->defs);
        table->defs = NULL;
        table->cnt = 0;
}
