/*
 * Connector config validation: UTF-8, the framework's keys, the plugin's
 * own definitions and validate() callback, converters, refused features,
 * client overrides (checked by librdkafka, the source producer built once
 * without brokers), sink topics. REST create/update/validate and
 * connector files at start go through rdc_connector_config_validate().
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <pthread.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strlist.h"
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

/* Client configs librdkafka accepted already: making a client starts
 * and joins its threads, which is most of the CPU a create or a config
 * update costs over REST. librdkafka's verdict depends on the properties
 * only, so one seen valid is valid again. Kept as two 64-bit hashes of
 * the property dump (no secrets kept), the last RDC_VALID_CONFS. */
#define RDC_VALID_CONFS 64

static struct {
        pthread_mutex_t lock;
        uint64_t hash[RDC_VALID_CONFS][2];
        size_t next, cnt;
} valid_confs = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void conf_hash(rd_kafka_conf_t *conf, int type, uint64_t out[2]) {
        size_t cnt = 0;
        const char **kv = rd_kafka_conf_dump(conf, &cnt);
        /* FNV-1a from two bases; each string ends with its NUL. */
        uint64_t h[2] = {14695981039346656037ull ^ (uint64_t)type,
                         0x9e3779b97f4a7c15ull ^ (uint64_t)type};
        for (size_t i = 0; i < cnt; i++)
                for (const char *c = kv[i] ? kv[i] : "";; c++) {
                        h[0] = (h[0] ^ (unsigned char)*c) * 1099511628211ull;
                        h[1] = (h[1] ^ (unsigned char)*c) * 0x100000001b3ull;
                        h[1] ^= h[1] >> 29;
                        if (!*c)
                                break;
                }
        rd_kafka_conf_dump_free(kv, cnt);
        out[0] = h[0];
        out[1] = h[1];
}

static int conf_seen_valid(const uint64_t h[2]) {
        int seen = 0;
        pthread_mutex_lock(&valid_confs.lock);
        for (size_t i = 0; !seen && i < valid_confs.cnt; i++)
                seen = valid_confs.hash[i][0] == h[0] &&
                       valid_confs.hash[i][1] == h[1];
        pthread_mutex_unlock(&valid_confs.lock);
        return seen;
}

static void conf_remember_valid(const uint64_t h[2]) {
        pthread_mutex_lock(&valid_confs.lock);
        valid_confs.hash[valid_confs.next][0] = h[0];
        valid_confs.hash[valid_confs.next][1] = h[1];
        valid_confs.next = (valid_confs.next + 1) % RDC_VALID_CONFS;
        if (valid_confs.cnt < RDC_VALID_CONFS)
                valid_confs.cnt++;
        pthread_mutex_unlock(&valid_confs.lock);
}

/* The client a task would make with cfg (a source's producer, a sink's
 * consumer), made once without brokers: librdkafka checks combinations
 * (acks with idempotence, fetch.max.bytes against message.max.bytes,
 * ...) only when a client is created, and a failing task later is worse
 * than a 400 now. The problem names the override key librdkafka's text
 * names. */
static size_t validate_client(rdc_worker_t *worker, const rdc_map_t *cfg,
                              uint32_t type, rdc_config_errors_t *errs) {
        char errstr[1024], prefix[32], fallback[32];
        const char *role = type == RDCP_PLUGIN_SOURCE ? "producer" : "consumer";
        rd_kafka_conf_t *conf =
                type == RDCP_PLUGIN_SOURCE
                        ? rdc_kafka_producer_conf(worker, cfg,
                                                  "rdconnect-validate", errstr,
                                                  sizeof(errstr))
                        : rdc_kafka_client_conf(worker, "consumer", cfg, NULL,
                                                errstr, sizeof(errstr));
        snprintf(prefix, sizeof(prefix), "%s.override.", role);
        snprintf(fallback, sizeof(fallback), "%s.override", role);
        if (!conf) {
                rdc_config_errors_add(errs, fallback, "%s", errstr);
                return 1;
        }
        rd_kafka_conf_set(conf, "bootstrap.servers", "", NULL, 0);
        uint64_t hash[2];
        conf_hash(conf, (int)type, hash);
        if (conf_seen_valid(hash)) {
                rd_kafka_conf_destroy(conf);
                return 0;
        }
        rd_kafka_t *rk =
                rd_kafka_new(type == RDCP_PLUGIN_SOURCE ? RD_KAFKA_PRODUCER
                                                        : RD_KAFKA_CONSUMER,
                             conf, errstr, sizeof(errstr));
        if (rk) {
                rd_kafka_destroy(rk);
                conf_remember_valid(hash);
                return 0;
        }
        rd_kafka_conf_destroy(conf);
        const char *key = fallback;
        size_t plen = strlen(prefix);
        for (size_t i = 0; i < rdc_map_count(cfg); i++) {
                const char *k = rdc_map_key_at(cfg, i);
                if (!strncmp(k, prefix, plen) && strstr(errstr, k + plen)) {
                        key = k;
                        break;
                }
        }
        rdc_config_errors_add(errs, key, "Invalid %s configuration: %s", role,
                              errstr);
        return 1;
}

/* @returns 1 if errs has a problem reported on key. */
static int errs_have_key(const rdc_config_errors_t *errs, const char *key) {
        for (size_t i = 0; i < errs->cnt; i++)
                if (errs->items[i].key && !strcmp(errs->items[i].key, key))
                        return 1;
        return 0;
}

/* @returns 1 if desc serves as a plugin of type (header converters
 * include the converters that are header converters too). */
static int plugin_is_of_type(const rdcp_descriptor_t *desc, uint32_t type) {
        if (type == RDCP_PLUGIN_HEADER_CONVERTER)
                return rdc_plugin_is_header_converter(desc);
        return desc->type == type;
}

/* The class a CLASS key names must exist and be of type, checked as
 * Kafka's ConfigDef (the class must load) and ConcreteSubClassValidator
 * (it must implement iface) check it, with their messages.
 * @returns problems added to errs (0 or 1). */
static size_t validate_class_key(rdc_worker_t *worker, const char *key,
                                 const char *cls, uint32_t type,
                                 const char *iface, rdc_config_errors_t *errs) {
        char errstr[1024];
        const rdc_plugin_t *plugin = rdc_registry_find(worker->registry, cls, 0,
                                                       errstr, sizeof(errstr));
        if (!plugin) {
                rdc_config_errors_add(errs, key,
                                      "Invalid value %s for configuration %s: "
                                      "Class %s could not be found.",
                                      cls, key, cls);
                return 1;
        }
        if (plugin_is_of_type(plugin->desc, type))
                return 0;
        rdc_config_errors_add(errs, key,
                              "Class class %s does not implement the %s "
                              "interface",
                              plugin->desc->class_name, iface);
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
        static const char *const ifaces[] = {"Converter", "Converter",
                                             "HeaderConverter"};
        size_t cnt = 0;
        for (size_t i = 0; i < 3; i++) {
                const char *cls = rdc_map_get(cfg, keys[i]);
                if (rdc_config_blank(cls) || errs_have_key(errs, keys[i]))
                        continue;
                cnt += validate_class_key(worker, keys[i], cls, types[i],
                                          ifaces[i], errs);
        }
        return cnt;
}

/* Writes list as Java prints a List ("[a, b]"). */
static void java_list(const rdc_strlist_t *list, char *buf, size_t size) {
        size_t off = (size_t)snprintf(buf, size, "[");
        for (size_t i = 0; i < list->cnt && off < size; i++)
                off += (size_t)snprintf(buf + off, size - off, "%s%s",
                                        i ? ", " : "", list->items[i]);
        if (off < size)
                snprintf(buf + off, size - off, "]");
}

/* A LIST key of aliases (transforms, predicates, topic.creation.groups)
 * must not name one twice (Kafka's alias validator). The parsed list is
 * left in list. @returns problems added to errs (0 or 1). */
static size_t validate_aliases(const rdc_map_t *cfg, const char *key,
                               rdc_strlist_t *list, rdc_config_errors_t *errs) {
        char shown[1024];
        if (rdc_strlist_parse(rdc_map_get(cfg, key), list))
                return 0;
        for (size_t i = 0; i < list->cnt; i++)
                for (size_t j = 0; j < i; j++)
                        if (!strcmp(list->items[i], list->items[j])) {
                                java_list(list, shown, sizeof(shown));
                                rdc_config_errors_add(
                                        errs, key,
                                        "Invalid value %s for configuration "
                                        "%s: Duplicate alias provided.",
                                        shown, key);
                                return 1;
                        }
        return 0;
}

/* Transformations and predicates as Kafka's ConnectorConfig enriches
 * them: each alias needs <key>.<alias>.type, a class of that kind. Other
 * keys of a listed alias are the plugin's; rdconnect has none, and the
 * list itself is refused (unsupported.c) while it is not empty. */
static size_t validate_enrichable(rdc_worker_t *worker, const rdc_map_t *cfg,
                                  const char *key, uint32_t type,
                                  const char *iface,
                                  rdc_config_errors_t *errs) {
        rdc_strlist_t list;
        size_t cnt = validate_aliases(cfg, key, &list, errs);
        for (size_t i = 0; i < list.cnt; i++) {
                char type_key[512];
                int dup = 0;
                for (size_t j = 0; j < i && !dup; j++)
                        dup = !strcmp(list.items[i], list.items[j]);
                if (dup)
                        continue;
                snprintf(type_key, sizeof(type_key), "%s.%s.type", key,
                         list.items[i]);
                const char *cls = rdc_map_get(cfg, type_key);
                if (!cls) {
                        rdc_config_errors_add(errs, type_key,
                                              "Missing required "
                                              "configuration \"%s\" which "
                                              "has no default value.",
                                              type_key);
                        cnt++;
                } else if (rdc_config_blank(cls)) {
                        rdc_config_errors_add(errs, type_key,
                                              "Missing required "
                                              "configuration \"%s\" which "
                                              "has no default value (the "
                                              "value given is blank).",
                                              type_key);
                        cnt++;
                } else {
                        cnt += validate_class_key(worker, type_key, cls, type,
                                                  iface, errs);
                }
        }
        rdc_strlist_clear(&list);
        return cnt;
}

/* The unsupported-key check leaves alone the keys reported on already
 * and the keys of listed transformation and predicate aliases (the list
 * is what is refused; its aliases' keys were checked as Kafka checks
 * them). */
typedef struct {
        const rdc_map_t *cfg;
        const rdc_config_errors_t *errs;
} handled_ctx_t;

static int alias_key_listed(const rdc_map_t *cfg, const char *list_key,
                            const char *key) {
        size_t len = strlen(list_key);
        rdc_strlist_t list;
        int listed = 0;
        if (strncmp(key, list_key, len) || key[len] != '.')
                return 0;
        if (rdc_strlist_parse(rdc_map_get(cfg, list_key), &list))
                return 0;
        for (size_t i = 0; i < list.cnt && !listed; i++) {
                size_t alen = strlen(list.items[i]);
                listed = !strncmp(key + len + 1, list.items[i], alen) &&
                         key[len + 1 + alen] == '.';
        }
        rdc_strlist_clear(&list);
        return listed;
}

static int key_handled(void *opaque, const char *key) {
        const handled_ctx_t *hc = opaque;
        return errs_have_key(hc->errs, key) ||
               alias_key_listed(hc->cfg, "transforms", key) ||
               alias_key_listed(hc->cfg, "predicates", key);
}

/* Kafka's SinkConnectorConfig check: the dead letter queue topic must not
 * be one the sink consumes (the problem is reported on topics or
 * topics.regex). */
static size_t validate_dlq_topic(const rdc_map_t *cfg,
                                 rdc_config_errors_t *errs) {
        const char *raw = rdc_map_get(cfg, "errors.deadletterqueue.topic.name");
        const char *topics = rdc_map_get(cfg, "topics");
        const char *regex = rdc_map_get(cfg, "topics.regex");
        rdc_strlist_t list;
        size_t cnt = 0;
        char dlq[512], shown[1024];
        if (rdc_config_blank(raw))
                return 0;
        while (isspace((unsigned char)*raw))
                raw++;
        snprintf(dlq, sizeof(dlq), "%s", raw);
        for (size_t n = strlen(dlq); n && isspace((unsigned char)dlq[n - 1]);)
                dlq[--n] = '\0';
        if (!rdc_config_blank(topics) && !rdc_strlist_parse(topics, &list)) {
                /* Kafka's parseTopicsList: no empty names, no repeats. */
                size_t kept = 0, found = 0;
                for (size_t i = 0; i < list.cnt; i++) {
                        int seen = !list.items[i][0];
                        for (size_t j = 0; j < kept && !seen; j++)
                                seen = !strcmp(list.items[j], list.items[i]);
                        if (seen) {
                                free(list.items[i]);
                                continue;
                        }
                        found |= !strcmp(list.items[i], dlq);
                        list.items[kept++] = list.items[i];
                }
                list.cnt = kept;
                if (found) {
                        java_list(&list, shown, sizeof(shown));
                        rdc_config_errors_add(
                                errs, "topics",
                                "The DLQ topic '%s' may not be included in "
                                "the list of topics ('topics=%s') consumed "
                                "by the connector",
                                dlq, shown);
                        cnt++;
                }
                rdc_strlist_clear(&list);
        }
        char *anchored = NULL;
        regex_t re;
        if (!rdc_config_blank(regex) &&
            asprintf(&anchored, "^(%s)$", regex) >= 0 &&
            !regcomp(&re, anchored, REG_EXTENDED | REG_NOSUB)) {
                if (!regexec(&re, dlq, 0, NULL, 0)) {
                        rdc_config_errors_add(
                                errs, "topics.regex",
                                "The DLQ topic '%s' may not be matched by "
                                "the regex for the topics "
                                "('topics.regex=%s') consumed by the "
                                "connector",
                                dlq, regex);
                        cnt++;
                }
                regfree(&re);
        }
        free(anchored);
        return cnt;
}

/* Kafka's connector.client.config.override.policy, applied as Kafka's
 * AbstractHerder applies it: to the overrides of the clients the
 * connector uses (sources: the producer, and the admin client when it
 * sets topic.creation.* keys; sinks: the consumer, and the producer and
 * admin client when it has a dead letter queue). */
static size_t validate_override_policy(const rdc_worker_t *worker,
                                       const rdc_map_t *cfg, uint32_t type,
                                       rdc_config_errors_t *errs) {
        /* Principal: Kafka's three keys, and librdkafka's spellings of
         * the same principal (its SASL credentials replace the JAAS
         * config, which it does not have). */
        static const char *const principal_keys[] = {"sasl.jaas.config",
                                                     "sasl.mechanism",
                                                     "security.protocol",
                                                     "sasl.mechanisms",
                                                     "sasl.username",
                                                     "sasl.password",
                                                     NULL};
        static const char *const names[] = {"All", "None", "Principal"};
        int topic_creation = 0, dlq = !rdc_config_blank(rdc_map_get(
                                        cfg, "errors.deadletterqueue.topic."
                                             "name"));
        size_t cnt = 0;
        if (worker->override_policy == RDC_OVERRIDE_ALL)
                return 0;
        for (size_t i = 0; i < rdc_map_count(cfg); i++)
                topic_creation |=
                        !strncmp(rdc_map_key_at(cfg, i), "topic.creation.", 15);
        const struct {
                const char *prefix;
                int used;
        } clients[] = {
                {"producer.override.", type == RDCP_PLUGIN_SOURCE || dlq},
                {"admin.override.",
                 type == RDCP_PLUGIN_SOURCE ? topic_creation : dlq},
                {"consumer.override.", type == RDCP_PLUGIN_SINK},
        };
        for (size_t c = 0; c < sizeof(clients) / sizeof(clients[0]); c++) {
                size_t plen = strlen(clients[c].prefix);
                if (!clients[c].used)
                        continue;
                for (size_t i = 0; i < rdc_map_count(cfg); i++) {
                        const char *key = rdc_map_key_at(cfg, i);
                        int allowed = 0;
                        if (strncmp(key, clients[c].prefix, plen))
                                continue;
                        for (const char *const *p = principal_keys;
                             worker->override_policy ==
                                     RDC_OVERRIDE_PRINCIPAL &&
                             *p && !allowed;
                             p++)
                                allowed = !strcmp(key + plen, *p);
                        if (allowed)
                                continue;
                        rdc_config_errors_add(
                                errs, key,
                                "The '%s' policy does not allow '%s' to be "
                                "overridden in the connector configuration.",
                                names[worker->override_policy], key + plen);
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
        /* The plugin first: its type decides which of Kafka's framework
         * tables apply (sinks and sources differ). */
        const char *cls = rdc_map_get(resolved, "connector.class");
        if (!rdc_config_blank(cls))
                plugin = rdc_registry_find(worker->registry, cls,
                                           RDC_PLUGIN_ANY_CONNECTOR, errstr,
                                           sizeof(errstr));
        uint32_t type = plugin ? plugin->desc->type : 0;
        rdc_config_def_table_t tables[2];
        size_t table_cnt = rdc_connector_framework_tables(type, tables);
        cnt = 0;
        for (size_t t = 0; t < table_cnt; t++)
                cnt += rdc_configdef_validate(tables[t].defs, tables[t].cnt,
                                              sizeof(rdcp_config_def_t),
                                              resolved, 1, errs);
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
        if (!rdc_config_blank(cls) && !plugin) {
                rdc_config_errors_add(errs, "connector.class", "%s", errstr);
                cnt++;
        }
        cnt += rdc_worker_validate_converters(worker, resolved, errs);
        cnt += validate_enrichable(worker, resolved, "transforms",
                                   RDCP_PLUGIN_TRANSFORM, "Transformation",
                                   errs);
        cnt += validate_enrichable(worker, resolved, "predicates",
                                   RDCP_PLUGIN_PREDICATE, "Predicate", errs);
        if (type == RDCP_PLUGIN_SOURCE) {
                rdc_strlist_t groups;
                cnt += validate_aliases(resolved, "topic.creation.groups",
                                        &groups, errs);
                rdc_strlist_clear(&groups);
        }
        if (type == RDCP_PLUGIN_SINK) {
                cnt += validate_sink_topics(resolved, errs);
                cnt += validate_dlq_topic(resolved, errs);
        }
        cnt += validate_override_policy(worker, resolved, type, errs);
        handled_ctx_t hc = {resolved, errs};
        cnt += rdc_unsupported_check_connector(resolved, key_handled, &hc,
                                               errs);
        static const char *const override_roles[] = {"producer", "consumer",
                                                     "admin", NULL};
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
                if (!cnt)
                        cnt += validate_client(worker, resolved, d->type, errs);
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
