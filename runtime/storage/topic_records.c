/*
 * Internal topic records: see topic_records.h. Key parsing follows Kafka
 * Connect's backing stores (KafkaConfigBackingStore, KafkaStatusBacking
 * Store): prefixes tested in their order, a task id after the last '-'.
 */
#define _GNU_SOURCE
#include "storage/topic_records.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/errstr.h"

#define TOPIC_RECORDS_JSON_FLAGS                                               \
        (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---------------------------------------------------------- helpers */

/** @returns 1 if key (len bytes) starts with prefix. */
static int has_prefix(const char *key, size_t len, const char *prefix) {
        size_t plen = strlen(prefix);
        return len >= plen && !memcmp(key, prefix, plen);
}

/** Parses a whole JSON text of len bytes. @returns it or NULL. */
static json_object *json_parse_len(const char *text, size_t len) {
        json_tokener *tok = json_tokener_new();
        json_object *obj;
        if (!tok)
                return NULL;
        obj = json_tokener_parse_ex(tok, text, (int)len);
        if (json_tokener_get_error(tok) != json_tokener_success ||
            tok->char_offset != (int)len) {
                json_object_put(obj);
                obj = NULL;
        }
        json_tokener_free(tok);
        return obj;
}

/** The value as a JSON object, or NULL with errstr. */
static json_object *parse_object(const char *what, const char *value,
                                 size_t len, char *errstr, size_t errstr_size) {
        json_object *obj =
                len < (size_t)INT32_MAX ? json_parse_len(value, len) : NULL;
        if (!json_object_is_type(obj, json_type_object)) {
                json_object_put(obj);
                rdc_errstr_set(errstr, errstr_size,
                               "%s: the value is not a JSON object", what);
                return NULL;
        }
        return obj;
}

/** Member name of obj as a string, or NULL if absent or not a string. */
static const char *get_string(json_object *obj, const char *name) {
        json_object *member;
        if (!json_object_object_get_ex(obj, name, &member) ||
            !json_object_is_type(member, json_type_string))
                return NULL;
        return json_object_get_string(member);
}

/** Member name of obj as an int32. @returns 0 or -1. */
static int get_int32(json_object *obj, const char *name, int32_t *out) {
        json_object *member;
        int64_t v;
        if (!json_object_object_get_ex(obj, name, &member) ||
            !json_object_is_type(member, json_type_int))
                return -1;
        errno = 0;
        v = json_object_get_int64(member);
        if (errno || v < INT32_MIN || v > INT32_MAX)
                return -1;
        *out = (int32_t)v;
        return 0;
}

/** Copies text into a fixed buffer. @returns 0, or -1 if it does not fit. */
static int copy_word(char *dst, size_t size, const char *text) {
        if (!text || strlen(text) >= size)
                return -1;
        memcpy(dst, text, strlen(text) + 1);
        return 0;
}

/**
 * Splits "<name>-<n>" (len bytes): the task id after the last '-', as
 * Kafka's parseTaskId. @returns 0, or -1 when there is no number.
 */
static int split_task_id(const char *text, size_t len, char **name,
                         int32_t *task) {
        const char *dash = memrchr(text, '-', len);
        char digits[12], *end;
        size_t dlen;
        long v;
        if (!dash)
                return -1;
        dlen = len - (size_t)(dash + 1 - text);
        if (dlen == 0 || dlen >= sizeof(digits))
                return -1;
        memcpy(digits, dash + 1, dlen);
        digits[dlen] = '\0';
        if (digits[0] < '0' || digits[0] > '9')
                return -1;
        errno = 0;
        v = strtol(digits, &end, 10);
        if (errno || *end || v > INT32_MAX)
                return -1;
        *name = strndup(text, (size_t)(dash - text));
        *task = (int32_t)v;
        return *name ? 0 : -1;
}

/** Serializes obj (taking ownership) into a malloc'd text. */
static char *to_text(json_object *obj) {
        char *text = NULL;
        if (obj) {
                const char *s = json_object_to_json_string_ext(
                        obj, TOPIC_RECORDS_JSON_FLAGS);
                text = s ? strdup(s) : NULL;
        }
        json_object_put(obj);
        return text;
}

/* ------------------------------------------------------- config topic */

void rdc_config_record_clear(rdc_config_record_t *rec) {
        free(rec->name);
        rdc_map_destroy(rec->properties);
        memset(rec, 0, sizeof(*rec));
}

static int decode_properties(json_object *obj, rdc_config_record_t *rec,
                             char *errstr, size_t errstr_size) {
        json_object *props;
        if (!json_object_object_get_ex(obj, "properties", &props) ||
            !json_object_is_type(props, json_type_object))
                return rdc_errstr_set(errstr, errstr_size,
                                      "config record of '%s': no "
                                      "\"properties\" object",
                                      rec->name);
        rec->properties = rdc_map_new();
        if (!rec->properties)
                return rdc_errstr_set(errstr, errstr_size, "out of memory");
        json_object_object_foreach(props, k, v) {
                if (json_object_is_type(v, json_type_null))
                        continue;
                if (!json_object_is_type(v, json_type_string))
                        return rdc_errstr_set(errstr, errstr_size,
                                              "config record of '%s': "
                                              "property '%s' is not a "
                                              "string",
                                              rec->name, k);
                if (rdc_map_set(rec->properties, k, json_object_get_string(v)))
                        return rdc_errstr_set(errstr, errstr_size,
                                              "out of memory");
        }
        return 0;
}

/* Kafka's target states, "state.v2" first (STOPPED exists only there). */
static int decode_target_state(json_object *obj, rdc_config_record_t *rec,
                               char *errstr, size_t errstr_size) {
        static const char *const states[] = {"STARTED", "PAUSED", "STOPPED",
                                             NULL};
        const char *state = get_string(obj, "state.v2");
        if (!state)
                state = get_string(obj, "state");
        for (const char *const *s = states; state && *s; s++)
                if (!strcmp(state, *s))
                        return copy_word(rec->state, sizeof(rec->state), *s);
        return rdc_errstr_set(errstr, errstr_size,
                              "target state of '%s': no valid \"state.v2\" "
                              "or \"state\"",
                              rec->name);
}

static int decode_restart(json_object *obj, rdc_config_record_t *rec) {
        json_object *member;
        /* Kafka defaults a missing or non-boolean field to false. */
        rec->include_tasks =
                json_object_object_get_ex(obj, "include-tasks", &member) &&
                json_object_is_type(member, json_type_boolean) &&
                json_object_get_boolean(member);
        rec->only_failed =
                json_object_object_get_ex(obj, "only-failed", &member) &&
                json_object_is_type(member, json_type_boolean) &&
                json_object_get_boolean(member);
        return 0;
}

/** The kind of a config key and where its name starts. */
static int config_key_kind(const char *key, size_t len,
                           rdc_config_record_kind_t *kind, size_t *skip) {
        static const struct {
                const char *prefix;
                rdc_config_record_kind_t kind;
        } prefixes[] = {
                /* Kafka's order: "target-state-" before "task-" etc. */
                {"target-state-", RDC_CONFIG_REC_TARGET_STATE},
                {"connector-", RDC_CONFIG_REC_CONNECTOR},
                {"task-", RDC_CONFIG_REC_TASK},
                {"commit-", RDC_CONFIG_REC_COMMIT},
                {"restart-connector-", RDC_CONFIG_REC_RESTART},
                {"tasks-fencing-", RDC_CONFIG_REC_TASK_COUNT},
                {"logger-cluster-", RDC_CONFIG_REC_LOGGER},
        };
        if (len == strlen("session-key") && !memcmp(key, "session-key", len)) {
                *kind = RDC_CONFIG_REC_SESSION_KEY;
                *skip = len;
                return 0;
        }
        for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
                if (has_prefix(key, len, prefixes[i].prefix)) {
                        *kind = prefixes[i].kind;
                        *skip = strlen(prefixes[i].prefix);
                        return 0;
                }
        }
        return -1;
}

static int decode_config_value(json_object *obj, rdc_config_record_t *rec,
                               char *errstr, size_t errstr_size) {
        switch (rec->kind) {
        case RDC_CONFIG_REC_CONNECTOR:
        case RDC_CONFIG_REC_TASK:
                return decode_properties(obj, rec, errstr, errstr_size);
        case RDC_CONFIG_REC_COMMIT:
                if (get_int32(obj, "tasks", &rec->tasks) || rec->tasks < 0)
                        return rdc_errstr_set(errstr, errstr_size,
                                              "commit of '%s': no valid "
                                              "\"tasks\"",
                                              rec->name);
                return 0;
        case RDC_CONFIG_REC_TASK_COUNT:
                if (get_int32(obj, "task-count", &rec->tasks))
                        return rdc_errstr_set(errstr, errstr_size,
                                              "task count of '%s': no valid "
                                              "\"task-count\"",
                                              rec->name);
                return 0;
        case RDC_CONFIG_REC_TARGET_STATE:
                return decode_target_state(obj, rec, errstr, errstr_size);
        case RDC_CONFIG_REC_RESTART:
                return decode_restart(obj, rec);
        case RDC_CONFIG_REC_LOGGER:
                if (copy_word(rec->level, sizeof(rec->level),
                              get_string(obj, "level")))
                        return rdc_errstr_set(errstr, errstr_size,
                                              "logger level of '%s': no "
                                              "valid \"level\"",
                                              rec->name);
                return 0;
        case RDC_CONFIG_REC_SESSION_KEY:
                return 0;
        }
        return -1;
}

int rdc_config_record_decode(const char *key, size_t key_len, const char *value,
                             size_t value_len, rdc_config_record_t *rec,
                             char *errstr, size_t errstr_size) {
        json_object *obj = NULL;
        size_t skip;
        int ret = -1;

        memset(rec, 0, sizeof(*rec));
        if (!key || config_key_kind(key, key_len, &rec->kind, &skip))
                return rdc_errstr_set(errstr, errstr_size,
                                      "config record with an unknown key "
                                      "'%.*s'",
                                      (int)(key ? key_len : 0), key ? key : "");
        if (rec->kind == RDC_CONFIG_REC_TASK) {
                if (split_task_id(key + skip, key_len - skip, &rec->name,
                                  &rec->task))
                        return rdc_errstr_set(errstr, errstr_size,
                                              "task config key '%.*s' has "
                                              "no task number",
                                              (int)key_len, key);
        } else {
                rec->name = strndup(key + skip, key_len - skip);
                if (!rec->name)
                        return rdc_errstr_set(errstr, errstr_size,
                                              "out of memory");
        }
        if (!value) {
                rec->tombstone = 1;
                return 0;
        }
        obj = parse_object(rec->name, value, value_len, errstr, errstr_size);
        if (obj)
                ret = decode_config_value(obj, rec, errstr, errstr_size);
        json_object_put(obj);
        if (ret)
                rdc_config_record_clear(rec);
        return ret;
}

static char *config_key(const rdc_config_record_t *rec) {
        static const char *const prefixes[] = {
                [RDC_CONFIG_REC_CONNECTOR] = "connector-",
                [RDC_CONFIG_REC_TASK] = "task-",
                [RDC_CONFIG_REC_COMMIT] = "commit-",
                [RDC_CONFIG_REC_TARGET_STATE] = "target-state-",
                [RDC_CONFIG_REC_RESTART] = "restart-connector-",
                [RDC_CONFIG_REC_TASK_COUNT] = "tasks-fencing-",
                [RDC_CONFIG_REC_LOGGER] = "logger-cluster-",
        };
        char *key = NULL;
        int n;
        if (rec->kind == RDC_CONFIG_REC_TASK)
                n = asprintf(&key, "task-%s-%d", rec->name, rec->task);
        else
                n = asprintf(&key, "%s%s", prefixes[rec->kind], rec->name);
        return n < 0 ? NULL : key;
}

static json_object *config_value(const rdc_config_record_t *rec) {
        json_object *obj = json_object_new_object(), *props;
        switch (rec->kind) {
        case RDC_CONFIG_REC_CONNECTOR:
        case RDC_CONFIG_REC_TASK:
                props = json_object_new_object();
                for (size_t i = 0; props && rec->properties &&
                                   i < rdc_map_count(rec->properties);
                     i++)
                        json_object_object_add(
                                props, rdc_map_key_at(rec->properties, i),
                                json_object_new_string(
                                        rdc_map_value_at(rec->properties, i)));
                json_object_object_add(obj, "properties", props);
                break;
        case RDC_CONFIG_REC_COMMIT:
                json_object_object_add(obj, "tasks",
                                       json_object_new_int(rec->tasks));
                break;
        case RDC_CONFIG_REC_TASK_COUNT:
                json_object_object_add(obj, "task-count",
                                       json_object_new_int(rec->tasks));
                break;
        case RDC_CONFIG_REC_TARGET_STATE:
                /* Older workers know no STOPPED: they read PAUSED. */
                json_object_object_add(
                        obj, "state",
                        json_object_new_string(strcmp(rec->state, "STOPPED")
                                                       ? rec->state
                                                       : "PAUSED"));
                json_object_object_add(obj, "state.v2",
                                       json_object_new_string(rec->state));
                break;
        case RDC_CONFIG_REC_RESTART:
                json_object_object_add(
                        obj, "include-tasks",
                        json_object_new_boolean(rec->include_tasks));
                json_object_object_add(
                        obj, "only-failed",
                        json_object_new_boolean(rec->only_failed));
                break;
        case RDC_CONFIG_REC_LOGGER:
                json_object_object_add(obj, "level",
                                       json_object_new_string(rec->level));
                break;
        case RDC_CONFIG_REC_SESSION_KEY:
                json_object_put(obj);
                return NULL;
        }
        return obj;
}

int rdc_config_record_encode(const rdc_config_record_t *rec, char **key,
                             char **value) {
        *key = *value = NULL;
        if (rec->kind == RDC_CONFIG_REC_SESSION_KEY || !rec->name)
                return -1;
        if (!(*key = config_key(rec)))
                return -1;
        if (rec->tombstone)
                return 0;
        if (!(*value = to_text(config_value(rec)))) {
                free(*key);
                *key = NULL;
                return -1;
        }
        return 0;
}

/* ------------------------------------------------------- status topic */

void rdc_status_record_clear(rdc_status_record_t *rec) {
        free(rec->connector);
        free(rec->topic);
        free(rec->trace);
        free(rec->worker_id);
        memset(rec, 0, sizeof(*rec));
}

/* "status-topic-<topic>:connector-<c>": the topic's name has no ':'. */
static int status_topic_key(const char *name, size_t len,
                            rdc_status_record_t *rec) {
        static const char sep[] = ":connector-";
        const char *at = memmem(name, len, sep, sizeof(sep) - 1);
        if (!at || at == name || at + sizeof(sep) - 1 == name + len)
                return -1;
        rec->topic = strndup(name, (size_t)(at - name));
        rec->connector = strndup(at + sizeof(sep) - 1,
                                 len - (size_t)(at - name) - (sizeof(sep) - 1));
        return rec->topic && rec->connector ? 0 : -1;
}

static int decode_status_value(json_object *obj, rdc_status_record_t *rec,
                               char *errstr, size_t errstr_size) {
        const char *text;
        json_object *member;
        if (rec->kind == RDC_STATUS_REC_TOPIC) {
                json_object *topic;
                if (!json_object_object_get_ex(obj, "topic", &topic) ||
                    !json_object_is_type(topic, json_type_object) ||
                    get_int32(topic, "task", &rec->task) ||
                    !json_object_object_get_ex(topic, "discoverTimestamp",
                                               &member) ||
                    !json_object_is_type(member, json_type_int))
                        return rdc_errstr_set(errstr, errstr_size,
                                              "topic status of '%s': not "
                                              "{\"topic\": {...}}",
                                              rec->connector);
                rec->discover_ms = json_object_get_int64(member);
                return 0;
        }
        if (copy_word(rec->state, sizeof(rec->state), get_string(obj, "state")))
                return rdc_errstr_set(errstr, errstr_size,
                                      "status of '%s': no valid \"state\"",
                                      rec->connector);
        if ((text = get_string(obj, "trace")) && !(rec->trace = strdup(text)))
                return rdc_errstr_set(errstr, errstr_size, "out of memory");
        text = get_string(obj, "worker_id");
        if (!text || !(rec->worker_id = strdup(text)))
                return rdc_errstr_set(errstr, errstr_size,
                                      "status of '%s': no \"worker_id\"",
                                      rec->connector);
        if (get_int32(obj, "generation", &rec->generation))
                return rdc_errstr_set(errstr, errstr_size,
                                      "status of '%s': no valid "
                                      "\"generation\"",
                                      rec->connector);
        return 0;
}

int rdc_status_record_decode(const char *key, size_t key_len, const char *value,
                             size_t value_len, rdc_status_record_t *rec,
                             char *errstr, size_t errstr_size) {
        static const char conn[] = "status-connector-", task[] = "status-task-",
                          topic[] = "status-topic-";
        json_object *obj = NULL;
        int bad = 0, ret = -1;

        memset(rec, 0, sizeof(*rec));
        if (key && has_prefix(key, key_len, conn)) {
                rec->kind = RDC_STATUS_REC_CONNECTOR;
                rec->connector = strndup(key + sizeof(conn) - 1,
                                         key_len - (sizeof(conn) - 1));
                bad = !rec->connector || !*rec->connector;
        } else if (key && has_prefix(key, key_len, task)) {
                rec->kind = RDC_STATUS_REC_TASK;
                bad = split_task_id(key + sizeof(task) - 1,
                                    key_len - (sizeof(task) - 1),
                                    &rec->connector, &rec->task);
        } else if (key && has_prefix(key, key_len, topic)) {
                rec->kind = RDC_STATUS_REC_TOPIC;
                bad = status_topic_key(key + sizeof(topic) - 1,
                                       key_len - (sizeof(topic) - 1), rec);
        } else {
                bad = 1;
        }
        if (bad) {
                rdc_status_record_clear(rec);
                return rdc_errstr_set(errstr, errstr_size,
                                      "status record with an invalid key "
                                      "'%.*s'",
                                      (int)(key ? key_len : 0), key ? key : "");
        }
        if (!value) {
                rec->tombstone = 1;
                return 0;
        }
        obj = parse_object(rec->connector, value, value_len, errstr,
                           errstr_size);
        if (obj)
                ret = decode_status_value(obj, rec, errstr, errstr_size);
        json_object_put(obj);
        if (ret)
                rdc_status_record_clear(rec);
        return ret;
}

int rdc_status_record_encode(const rdc_status_record_t *rec, char **key,
                             char **value) {
        json_object *obj = NULL, *inner;
        int n = -1;
        *key = *value = NULL;
        if (!rec->connector)
                return -1;
        switch (rec->kind) {
        case RDC_STATUS_REC_CONNECTOR:
                n = asprintf(key, "status-connector-%s", rec->connector);
                break;
        case RDC_STATUS_REC_TASK:
                n = asprintf(key, "status-task-%s-%d", rec->connector,
                             rec->task);
                break;
        case RDC_STATUS_REC_TOPIC:
                if (rec->topic)
                        n = asprintf(key, "status-topic-%s:connector-%s",
                                     rec->topic, rec->connector);
                break;
        }
        if (n < 0) {
                *key = NULL;
                return -1;
        }
        if (rec->tombstone)
                return 0;
        obj = json_object_new_object();
        if (rec->kind == RDC_STATUS_REC_TOPIC) {
                /* Kafka's field order: name, connector, task, timestamp. */
                inner = json_object_new_object();
                json_object_object_add(inner, "name",
                                       json_object_new_string(rec->topic));
                json_object_object_add(inner, "connector",
                                       json_object_new_string(rec->connector));
                json_object_object_add(inner, "task",
                                       json_object_new_int(rec->task));
                json_object_object_add(inner, "discoverTimestamp",
                                       json_object_new_int64(rec->discover_ms));
                json_object_object_add(obj, "topic", inner);
        } else {
                json_object_object_add(obj, "state",
                                       json_object_new_string(rec->state));
                json_object_object_add(
                        obj, "trace",
                        rec->trace ? json_object_new_string(rec->trace) : NULL);
                json_object_object_add(
                        obj, "worker_id",
                        json_object_new_string(rec->worker_id ? rec->worker_id
                                                              : ""));
                json_object_object_add(obj, "generation",
                                       json_object_new_int(rec->generation));
        }
        if (!(*value = to_text(obj))) {
                free(*key);
                *key = NULL;
                return -1;
        }
        return 0;
}

/* ------------------------------------------------------ offsets topic */

char *rdc_offset_record_key(const char *connector, const char *partition_json) {
        json_object *partition =
                            partition_json
                                    ? json_parse_len(partition_json,
                                                     strlen(partition_json))
                                    : NULL,
                    *key = NULL;
        if (!json_object_is_type(partition, json_type_object)) {
                json_object_put(partition);
                return NULL;
        }
        key = json_object_new_array();
        if (!key) {
                json_object_put(partition);
                return NULL;
        }
        json_object_array_add(key, json_object_new_string(connector));
        json_object_array_add(key, partition);
        return to_text(key);
}

int rdc_offset_record_key_decode(const char *key, size_t key_len,
                                 char **connector, char **partition_json,
                                 char *errstr, size_t errstr_size) {
        json_object *arr = key && key_len < (size_t)INT32_MAX
                                   ? json_parse_len(key, key_len)
                                   : NULL,
                    *name, *partition;
        int ret = -1;
        *connector = *partition_json = NULL;
        /* Kafka skips keys that are not [string, object]. */
        if (json_object_is_type(arr, json_type_array) &&
            json_object_array_length(arr) == 2 &&
            json_object_is_type(name = json_object_array_get_idx(arr, 0),
                                json_type_string) &&
            json_object_is_type(partition = json_object_array_get_idx(arr, 1),
                                json_type_object)) {
                const char *text = json_object_to_json_string_ext(
                        partition, TOPIC_RECORDS_JSON_FLAGS);
                *connector = strdup(json_object_get_string(name));
                *partition_json = text ? strdup(text) : NULL;
                ret = *connector && *partition_json ? 0 : -1;
                if (ret) {
                        free(*connector);
                        free(*partition_json);
                        *connector = *partition_json = NULL;
                }
        }
        json_object_put(arr);
        if (ret)
                rdc_errstr_set(errstr, errstr_size,
                               "offsets record key '%.*s' is not "
                               "[\"<connector>\", {partition}]",
                               (int)(key ? key_len : 0), key ? key : "");
        return ret;
}
