/*
 * The /admin/loggers endpoints: list the loggers with an explicit level,
 * read one logger's effective level, set a whole subtree's level (Kafka's
 * LoggingResource), over core/log.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/log.h"
#include "rest/rest_internal.h"

/* Loggers: log.c knows the loggers with an explicit level; Kafka's
 * endpoints list those, read effective levels and set whole subtrees. */

typedef struct rest_logger {
        char *name;
        rdc_log_level_t level;
} rest_logger_t;

typedef struct rest_logger_list {
        rest_logger_t *items;
        size_t cnt;
        size_t size;
        int oom;
} rest_logger_list_t;

static void rest_logger_collect(void *opaque, const char *logger,
                                rdc_log_level_t level) {
        rest_logger_list_t *list = opaque;

        if (list->oom)
                return;
        if (list->cnt == list->size) {
                size_t size = list->size ? list->size * 2 : 16;
                rest_logger_t *items =
                        realloc(list->items, size * sizeof(*items));

                if (!items) {
                        list->oom = 1;
                        return;
                }
                list->items = items;
                list->size = size;
        }
        list->items[list->cnt].name = strdup(logger);
        if (!list->items[list->cnt].name) {
                list->oom = 1;
                return;
        }
        list->items[list->cnt++].level = level;
}

static int rest_logger_cmp(const void *a, const void *b) {
        return strcmp(((const rest_logger_t *)a)->name,
                      ((const rest_logger_t *)b)->name);
}

static void rest_logger_list_clear(rest_logger_list_t *list) {
        size_t i;

        for (i = 0; i < list->cnt; i++)
                free(list->items[i].name);
        free(list->items);
        memset(list, 0, sizeof(*list));
}

/** Snapshot of the explicit loggers, sorted by name (Kafka's order).
 *  @returns 0 or -1 on OOM. */
static int rest_logger_snapshot(rest_logger_list_t *list) {
        memset(list, 0, sizeof(*list));
        /* Copied out first: the callback runs under log.c's lock, where
         * setting a level would deadlock. */
        rdc_log_foreach(rest_logger_collect, list);
        if (list->oom) {
                rest_logger_list_clear(list);
                return -1;
        }
        if (list->cnt > 1)
                qsort(list->items, list->cnt, sizeof(*list->items),
                      rest_logger_cmp);
        return 0;
}

static json_object *rest_level_object(rdc_log_level_t level) {
        json_object *obj = json_object_new_object();

        if (obj)
                json_object_object_add(
                        obj, "level",
                        json_object_new_string(rdc_log_level_name(level)));
        return obj;
}

void rdc_rest_on_loggers(rdc_rest_call_t *call) {
        rest_logger_list_t list;
        json_object *body;
        int has_root = 0;
        size_t i;

        if (rest_logger_snapshot(&list) == -1) {
                rdc_rest_reply_oom(call);
                return;
        }
        body = json_object_new_object();
        for (i = 0; body && i < list.cnt; i++) {
                has_root |= !strcmp(list.items[i].name, "root");
                /* Kafka leaves out loggers that are switched off. */
                if (list.items[i].level != RDC_LOG_OFF)
                        json_object_object_add(
                                body, list.items[i].name,
                                rest_level_object(list.items[i].level));
        }
        if (body && !has_root && rdc_log_get_level("root") != RDC_LOG_OFF)
                json_object_object_add(
                        body, "root",
                        rest_level_object(rdc_log_get_level("root")));
        rest_logger_list_clear(&list);
        if (!body) {
                rdc_rest_reply_oom(call);
                return;
        }
        rdc_rest_reply(call, MHD_HTTP_OK, body);
}

static const char *rest_logger_name(const char *name) {
        return strcasecmp(name, "root") ? name : "root";
}

void rdc_rest_on_logger_get(rdc_rest_call_t *call) {
        json_object *body = rest_level_object(
                rdc_log_get_level(rest_logger_name(call->params[0])));

        if (!body) {
                rdc_rest_reply_oom(call);
                return;
        }
        rdc_rest_reply(call, MHD_HTTP_OK, body);
}

/** @returns 1 if logger is namespace or one of its descendants. */
static int rest_logger_in(const char *logger, const char *namespace) {
        size_t len = strlen(namespace);

        if (!strcmp(namespace, "root"))
                return 1;
        return !strncmp(logger, namespace, len) &&
               (logger[len] == '\0' || logger[len] == '.');
}

static int rest_name_cmp(const void *a, const void *b) {
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void rdc_rest_on_logger_put(rdc_rest_call_t *call) {
        const char *namespace = rest_logger_name(call->params[0]);
        const char **names = NULL;
        json_object *level_obj, *changed = NULL;
        rest_logger_list_t list = {0};
        size_t i, name_cnt = 0;
        int level;

        if (rdc_rest_parse_body_object(call) == -1)
                return;
        if (!json_object_object_get_ex(call->json, "level", &level_obj) ||
            !json_object_is_type(level_obj, json_type_string)) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Desired 'level' parameter was not "
                                 "specified in request.");
                return;
        }
        level = rdc_log_level_parse(json_object_get_string(level_obj));
        if (level < 0) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "invalid log level '%s'.",
                                 json_object_get_string(level_obj));
                return;
        }
        /* Like log4j in Kafka: the namespace and every logger below it
         * (all of them for root) take the level. */
        if (rdc_log_set_tree(namespace, level) == -1) {
                if (errno == ENOSPC)
                        rdc_rest_reply_error(call, MHD_HTTP_CONFLICT,
                                         "Cannot set the level of logger "
                                         "'%s': %d loggers have a level "
                                         "already, the most this worker "
                                         "keeps; set a common parent "
                                         "namespace instead",
                                         namespace, RDC_LOG_MAX_LOGGERS);
                else if (errno == ENAMETOOLONG)
                        rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                         "Logger name is longer than %d "
                                         "bytes",
                                         RDC_LOG_MAX_NAME_LEN);
                else
                        rdc_rest_reply_oom(call);
                return;
        }
        if (rest_logger_snapshot(&list) == -1)
                goto oom;
        names = calloc(list.cnt + 1, sizeof(*names));
        changed = json_object_new_array();
        if (!names || !changed)
                goto oom;
        names[name_cnt++] = namespace;
        for (i = 0; i < list.cnt; i++)
                if (strcmp(list.items[i].name, namespace) &&
                    rest_logger_in(list.items[i].name, namespace))
                        names[name_cnt++] = list.items[i].name;
        qsort(names, name_cnt, sizeof(*names), rest_name_cmp);
        for (i = 0; i < name_cnt; i++)
                json_object_array_add(changed,
                                      json_object_new_string(names[i]));
        rdc_log_info(RDC_REST_LOGGER, "Log level of %s set to %s", namespace,
                     rdc_log_level_name(level));
        rdc_rest_reply(call, MHD_HTTP_OK, changed);
        changed = NULL;
        goto done;

oom:
        rdc_rest_reply_oom(call);
done:
        json_object_put(changed);
        free(names);
        rest_logger_list_clear(&list);
}
