/*
 * The worker: shared context of one process (see worker.h), the
 * framework's config tables, connector config validation, and the Kafka
 * client plumbing every task uses.
 */
#define _GNU_SOURCE
#include "worker.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "host.h"
#include "log.h"

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
         .documentation = "Header converter (headers pass as raw bytes)."},
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

static int is_blank(const char *value) {
        return !value || !*value;
}

static size_t validate_converters(rdc_worker_t *worker, const rdc_map_t *cfg,
                                  rdc_config_errors_t *errs) {
        static const char *const keys[] = {"key.converter", "value.converter"};
        size_t cnt = 0;
        char errstr[1024];
        for (size_t i = 0; i < 2; i++) {
                const char *cls = rdc_map_get(cfg, keys[i]);
                if (is_blank(cls))
                        continue;
                if (!rdc_registry_find(worker->registry, cls,
                                       RDCP_PLUGIN_CONVERTER, errstr,
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
        if (plugin) {
                const rdcp_descriptor_t *d = plugin->desc;
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

/* Sets every key of cfg that starts with prefix on conf. Unknown keys are
 * Java client settings librdkafka has no equivalent for: skipped with a
 * warning rather than failing the connector. */
static int conf_apply_prefixed(rd_kafka_conf_t *conf, const rdc_map_t *cfg,
                               const char *prefix, const char *origin,
                               char *errstr, size_t errstr_size) {
        size_t plen = strlen(prefix);
        char kerr[512];
        for (size_t i = 0; i < rdc_map_count(cfg); i++) {
                const char *key = rdc_map_key_at(cfg, i);
                if (strncmp(key, prefix, plen) || !key[plen])
                        continue;
                const char *value = rdc_map_value_at(cfg, i);
                rd_kafka_conf_res_t res = rd_kafka_conf_set(
                        conf, key + plen, value, kerr, sizeof(kerr));
                if (res == RD_KAFKA_CONF_UNKNOWN) {
                        rdc_log(RDC_LOG_WARN, "worker", NULL,
                                "%s config %s is not a librdkafka setting; "
                                "ignored",
                                origin, key);
                } else if (res != RD_KAFKA_CONF_OK) {
                        snprintf(errstr, errstr_size,
                                 "Invalid value %s for configuration %s: %s",
                                 value, key, kerr);
                        return -1;
                }
        }
        return 0;
}

rd_kafka_conf_t *rdc_worker_client_conf(rdc_worker_t *worker, const char *role,
                                        const rdc_map_t *connector_cfg,
                                        const char *const *defaults,
                                        char *errstr, size_t errstr_size) {
        char prefix[64], kerr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
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
        snprintf(prefix, sizeof(prefix), "%s.", role);
        if (conf_apply_prefixed(conf, worker->config, prefix, "Worker", errstr,
                                errstr_size))
                goto fail;
        if (connector_cfg) {
                snprintf(prefix, sizeof(prefix), "%s.override.", role);
                if (conf_apply_prefixed(conf, connector_cfg, prefix,
                                        "Connector", errstr, errstr_size))
                        goto fail;
        }
        return conf;
fail:
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
