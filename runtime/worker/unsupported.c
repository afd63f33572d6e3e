/*
 * Kafka Connect keys whose feature rdconnect does not implement yet
 * (transforms, dead letter queues, exactly-once sources, ...): refused
 * with the reason instead of silently ignored, except with the values
 * that mean "feature off", which is how existing Kafka configs that do
 * not use the feature look.
 */
#define _GNU_SOURCE
#include "worker/unsupported.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "worker/worker.h"

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
/* Kafka drops "default" from topic.creation.groups: it always exists. */
static const char *const default_group_values[] = {"default", NULL};

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
         .reason = "Only restart and none are reload actions (the file, "
                   "directory and env providers never expire, so neither "
                   "ever acts)"},
        /* Kafka 4.1 (KIP-891): plugin versions pinned per connector. */
        {.key = "connector.plugin.version", .reason = version_reason},
        {.key = "key.converter.plugin.version", .reason = version_reason},
        {.key = "value.converter.plugin.version", .reason = version_reason},
        {.key = "header.converter.plugin.version", .reason = version_reason},
        {.key = "topic.creation.groups",
         .off_values = default_group_values,
         .reason = groups_reason},
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
};

static const char *const disabled_values[] = {"disabled", NULL};

/* Worker keys of Kafka whose feature rdconnect lacks and whose absence
 * changes what the worker does: start errors, not warnings. */
static const unsupported_key_t worker_unsupported[] = {
        {.key = "rest.extension.classes",
         .reason = "REST extensions are not supported by rdconnect yet "
                   "(the REST API would run without them, e.g. without "
                   "authentication)"},
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
                                   size_t table_cnt, int framework_skip,
                                   int (*handled)(void *, const char *),
                                   void *opaque, const rdc_map_t *cfg,
                                   rdc_config_errors_t *errs) {
        size_t cnt = 0;
        for (size_t i = 0; i < rdc_map_count(cfg); i++) {
                const char *key = rdc_map_key_at(cfg, i);
                const char *value = rdc_map_value_at(cfg, i);
                const unsupported_key_t *u =
                        unsupported_find(table, table_cnt, key);
                if (!u || unsupported_is_off(u, value) ||
                    (handled && handled(opaque, key)))
                        continue;
                if (u->never_off || u->key[strlen(u->key) - 1] == '.') {
                        if (framework_skip && rdc_connector_framework_def(key))
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

size_t
rdc_unsupported_check_connector(const rdc_map_t *cfg,
                                int (*handled)(void *opaque, const char *key),
                                void *opaque, rdc_config_errors_t *errs) {
        return validate_unsupported(connector_unsupported,
                                    sizeof(connector_unsupported) /
                                            sizeof(connector_unsupported[0]),
                                    1, handled, opaque, cfg, errs);
}

size_t rdc_unsupported_check_worker(const rdc_map_t *cfg,
                                    rdc_config_errors_t *errs) {
        return validate_unsupported(worker_unsupported,
                                    sizeof(worker_unsupported) /
                                            sizeof(worker_unsupported[0]),
                                    0, NULL, NULL, cfg, errs);
}

int rdc_unsupported_is_worker_key(const char *key) {
        return unsupported_find(worker_unsupported,
                                sizeof(worker_unsupported) /
                                        sizeof(worker_unsupported[0]),
                                key) != NULL;
}
