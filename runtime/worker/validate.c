/*
 * Connector config validation: UTF-8, the framework's keys, the plugin's
 * own definitions and validate() callback, converters, refused features,
 * client overrides (checked by librdkafka, the source producer built once
 * without brokers), sink topics. REST create/update/validate and
 * connector files at start go through rdc_connector_config_validate().
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/utf8.h"
#include "kafka/clients.h"
#include "plugins/host.h"
#include "worker/unsupported.h"
#include "worker/worker.h"

typedef struct {
        rdc_config_errors_t *errs;
        size_t cnt;
} report_ctx_t;

static void report_problem(void *opaque, const char *key, const char *message) {
        report_ctx_t *rc = opaque;
        rdc_config_errors_add(rc->errs, key, "%s", message);
        rc->cnt++;
}

/* The producer a source task would make with cfg, made once without
 * brokers: librdkafka checks combinations (acks with idempotence, ...)
 * only when a client is created, and a failing task later is worse than a
 * 400 now. The problem names the override key librdkafka's text names. */
static size_t validate_producer(rdc_worker_t *worker, const rdc_map_t *cfg,
                                rdc_config_errors_t *errs) {
        char errstr[1024];
        rd_kafka_conf_t *conf = rdc_kafka_producer_conf(
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

size_t rdc_worker_validate_converters(rdc_worker_t *worker,
                                      const rdc_map_t *cfg,
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
                if (rdc_config_blank(cls))
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
        if (!rdc_config_blank(topics) && !rdc_config_blank(regex)) {
                static const char msg[] =
                        "topics and topics.regex are mutually exclusive "
                        "options, but both are set.";
                rdc_config_errors_add(errs, "topics", msg);
                rdc_config_errors_add(errs, "topics.regex", msg);
                return 2;
        }
        if (rdc_config_blank(topics) && rdc_config_blank(regex)) {
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
        rdc_map_t *resolved = NULL;
        const char *bad_key = NULL;
        if (pluginp)
                *pluginp = NULL;
        if (resolvedp)
                *resolvedp = NULL;
        cnt = validate_text(cfg, errs);
        if (cnt)
                return cnt;
        /* As Kafka: the values are checked as the plugin will get them,
         * with ${provider:...} resolved. */
        resolved = rdc_providers_resolve(worker->providers, cfg, &bad_key,
                                         errstr, sizeof(errstr));
        if (!resolved) {
                rdc_config_errors_add(errs, bad_key ? bad_key : "name", "%s",
                                      errstr);
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
        if (!rdc_config_blank(cls)) {
                plugin = rdc_registry_find(worker->registry, cls,
                                           RDC_PLUGIN_ANY_CONNECTOR, errstr,
                                           sizeof(errstr));
                if (!plugin) {
                        rdc_config_errors_add(errs, "connector.class", "%s",
                                              errstr);
                        cnt++;
                }
        }
        cnt += rdc_worker_validate_converters(worker, resolved, errs);
        cnt += rdc_unsupported_check_connector(resolved, errs);
        static const char *const override_roles[] = {"producer", "consumer",
                                                     NULL};
        cnt += rdc_kafka_validate_client_keys(resolved, override_roles,
                                              ".override.", errs);
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
        /* What is kept (and shown over REST) holds the references, never
         * the values they resolve to: tasks resolve them when they start. */
        for (size_t i = 0; !cnt && i < rdc_map_count(cfg); i++)
                if (rdc_providers_references(worker->providers,
                                             rdc_map_value_at(cfg, i)) &&
                    rdc_map_set(resolved, rdc_map_key_at(cfg, i),
                                rdc_map_value_at(cfg, i))) {
                        rdc_config_errors_add(errs, "name", "out of memory");
                        cnt++;
                }
        if (!cnt && resolvedp)
                *resolvedp = resolved;
        else
                rdc_map_destroy(resolved);
        return cnt;
}
