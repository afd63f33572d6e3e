/*
 * The worker: the shared context of one process (see worker.h), made
 * from the validated worker properties: the plugin registry, the offset
 * store, the Kafka cluster (real or embedded). Its config tables are in
 * config_defs.c, connector validation in validate.c, the Kafka client
 * setup in kafka/clients.c.
 */
#define _GNU_SOURCE
#include "worker/worker.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "kafka/clients.h"
#include "kafka/embedded.h"
#include "worker/unsupported.h"

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
int rdc_worker_is_framework_key(const char *key) {
        static const char *const prefixes[] = {"producer.",
                                               "consumer.",
                                               "admin.",
                                               "key.converter.",
                                               "value.converter.",
                                               "header.converter.",
                                               "config.providers.",
                                               NULL};
        if (rdc_configdef_find(rdc_worker_config_defs,
                               rdc_worker_config_def_cnt,
                               sizeof(rdcp_config_def_t), key) ||
            rdc_unsupported_is_worker_key(key))
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
                if (rdc_worker_is_framework_key(key))
                        continue;
                rd_kafka_conf_res_t res =
                        rdc_kafka_java_only_key(key)
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
                                rdc_kafka_value_shown(key, value), key, kerr);
                        cnt++;
                }
        }
        rd_kafka_conf_destroy(conf);
        return cnt;
}

/* Kafka's policies by alias, simple and full class name. */
static int worker_parse_policy(const char *value, rdc_override_policy_t *out) {
        static const char *const aliases[] = {"All", "None", "Principal"};
        static const char pkg[] = "org.apache.kafka.connect.connector.policy.";
        static const char suffix[] = "ConnectorClientConfigOverridePolicy";
        char name[256];
        const char *v = value ? value : "All";
        size_t len;
        while (isspace((unsigned char)*v))
                v++;
        len = strlen(v);
        while (len && isspace((unsigned char)v[len - 1]))
                len--;
        if (len >= sizeof(name))
                return -1;
        memcpy(name, v, len);
        name[len] = '\0';
        const char *simple = name;
        if (!strncmp(simple, pkg, sizeof(pkg) - 1))
                simple += sizeof(pkg) - 1;
        for (size_t i = 0; i < 3; i++) {
                size_t alen = strlen(aliases[i]);
                if (strncmp(simple, aliases[i], alen))
                        continue;
                /* The full name needs the suffix; the alias may have it. */
                if ((simple == name && !simple[alen]) ||
                    !strcmp(simple + alen, suffix)) {
                        *out = (rdc_override_policy_t)i;
                        return 0;
                }
        }
        return -1;
}

rdc_worker_t *rdc_worker_new(const rdc_map_t *props, int standalone,
                             char *errstr, size_t errstr_size) {
        rdc_config_errors_t errs = {0};
        rdc_worker_t *worker = calloc(1, sizeof(*worker));
        if (!worker || !(worker->config = rdc_map_dup(props))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        /* As Kafka's WorkerConfig: ${provider:...} in worker keys are
         * resolved before anything reads them. */
        worker->providers = rdc_providers_new(props, &errs);
        if (worker->providers) {
                const char *bad = NULL;
                char why[1024];
                rdc_map_t *resolved = rdc_providers_resolve(
                        worker->providers, props, &bad, why, sizeof(why));
                if (resolved) {
                        rdc_map_destroy(worker->config);
                        worker->config = resolved;
                } else {
                        rdc_config_errors_add(&errs, bad, "%s", why);
                }
        }
        rdc_configdef_validate(
                rdc_worker_config_defs, rdc_worker_config_def_cnt,
                sizeof(rdcp_config_def_t), worker->config, 1, &errs);
        static const char *const client_roles[] = {"producer", "consumer",
                                                   "admin", NULL};
        rdc_kafka_validate_client_keys(worker->config, client_roles, ".",
                                       &errs);
        rdc_unsupported_check_worker(worker->config, &errs);
        worker_check_unprefixed(props, &errs);
        /* As Kafka's standalone worker, which does not know them. */
        static const char *const distributed_keys[] = {
                "group.id",
                "config.storage.topic",
                "offset.storage.topic",
                "status.storage.topic",
                "config.storage.replication.factor",
                "offset.storage.replication.factor",
                "status.storage.replication.factor",
                "offset.storage.partitions",
                "status.storage.partitions",
                "session.timeout.ms",
                "heartbeat.interval.ms",
                "rebalance.timeout.ms",
                "scheduled.rebalance.max.delay.ms",
                NULL};
        for (const char *const *k = distributed_keys; standalone && *k; k++)
                if (rdc_map_get(props, *k))
                        rdc_log(RDC_LOG_WARN, "worker", NULL,
                                "The configuration '%s' was supplied but "
                                "has no role in standalone mode; ignored",
                                *k);
        const char *offsets_file =
                rdc_map_get(worker->config, "offset.storage.file.filename");
        if (standalone && rdc_config_blank(offsets_file))
                rdc_config_errors_add(
                        &errs, "offset.storage.file.filename",
                        "Missing required configuration "
                        "\"offset.storage.file.filename\" which has no "
                        "default value.");
        const char *policy = rdc_map_get(
                worker->config, "connector.client.config.override.policy");
        if (worker_parse_policy(policy, &worker->override_policy))
                rdc_config_errors_add(
                        &errs, "connector.client.config.override.policy",
                        "Invalid value %s for configuration "
                        "connector.client.config.override.policy: Failed to "
                        "find any class that implements "
                        "ConnectorClientConfigOverridePolicy and which name "
                        "matches %s (All, None and Principal are known)",
                        policy, policy);
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
        if (rdc_worker_validate_converters(worker, worker->config, &errs)) {
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
        /* GET / shows it; the REST start waits a little for it. */
        if (rdc_kafka_cluster_id_start(worker))
                rdc_log(RDC_LOG_WARN, "worker", NULL,
                        "Cannot start the Kafka cluster id lookup");
        return worker;
fail:
        rdc_config_errors_clear(&errs);
        rdc_worker_destroy(worker);
        return NULL;
}

void rdc_worker_destroy(rdc_worker_t *worker) {
        if (!worker)
                return;
        rdc_kafka_cluster_id_stop(worker);
        if (worker->admin)
                rd_kafka_destroy(worker->admin);
        rdc_embedded_destroy(worker->embedded);
        if (worker->offsets)
                rdc_offset_store_destroy(worker->offsets);
        if (worker->registry)
                rdc_registry_destroy(worker->registry);
        rdc_map_destroy(worker->config);
        rdc_providers_destroy(worker->providers);
        free(worker->bootstrap);
        free(worker);
}
