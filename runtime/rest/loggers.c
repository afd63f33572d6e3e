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

/* Loggers: log.c knows the loggers with an explicit level and those that
 * exist without one; Kafka's endpoints list the former, read either by
 * name and set whole subtrees. */

typedef struct rest_logger {
        char *name;
        rdc_log_level_t level;
        int64_t modified_ms;
} rest_logger_t;

typedef struct rest_logger_list {
        rest_logger_t *items;
        size_t cnt;
        size_t size;
        int oom;
} rest_logger_list_t;

static void rest_logger_collect(void *opaque, const char *logger,
                                rdc_log_level_t level, int64_t modified_ms) {
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
        list->items[list->cnt].level = level;
        list->items[list->cnt++].modified_ms = modified_ms;
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

/** Kafka's LoggerLevel: {"level": ..., "last_modified": ms or null}. */
static json_object *rest_level_object(rdc_log_level_t level,
                                      int64_t modified_ms) {
        json_object *obj = json_object_new_object();

        if (!obj)
                return NULL;
        json_object_object_add(
                obj, "level",
                json_object_new_string(rdc_log_level_name(level)));
        json_object_object_add(
                obj, "last_modified",
                modified_ms < 0 ? NULL : json_object_new_int64(modified_ms));
        return obj;
}

void rdc_rest_on_loggers(rdc_rest_call_t *call) {
        rest_logger_list_t list = {0};
        json_object *body;
        size_t i;

        /* Copied out first: the callback runs on log.c's snapshot. */
        rdc_log_foreach(rest_logger_collect, &list);
        if (list.oom) {
                rest_logger_list_clear(&list);
                rdc_rest_reply_oom(call);
                return;
        }
        /* Kafka answers a sorted map, root among the others. */
        if (list.cnt > 1)
                qsort(list.items, list.cnt, sizeof(*list.items),
                      rest_logger_cmp);
        body = json_object_new_object();
        for (i = 0; body && i < list.cnt; i++)
                json_object_object_add(
                        body, list.items[i].name,
                        rest_level_object(list.items[i].level,
                                          list.items[i].modified_ms));
        rest_logger_list_clear(&list);
        if (!body) {
                rdc_rest_reply_oom(call);
                return;
        }
        rdc_rest_reply(call, MHD_HTTP_OK, body);
}

/* log4j's root logger answers to any case of "root". */
static const char *rest_logger_name(const char *name) {
        return strcasecmp(name, "root") ? name : "root";
}

void rdc_rest_on_logger_get(rdc_rest_call_t *call) {
        const char *name = rest_logger_name(call->params[0]);
        rdc_log_level_t level;
        int64_t modified_ms;
        json_object *body;

        if (!rdc_log_lookup(name, &level, &modified_ms)) {
                rdc_rest_reply_error(call, MHD_HTTP_NOT_FOUND,
                                     "Logger %s not found.", name);
                return;
        }
        body = rest_level_object(level, modified_ms);
        if (!body) {
                rdc_rest_reply_oom(call);
                return;
        }
        rdc_rest_reply(call, MHD_HTTP_OK, body);
}

static void rest_logger_affected(void *opaque, const char *logger) {
        json_object_array_add(opaque, json_object_new_string(logger));
}

void rdc_rest_on_logger_put(rdc_rest_call_t *call) {
        const char *namespace = rest_logger_name(call->params[0]);
        const char *scope = MHD_lookup_connection_value(
                call->conn, MHD_GET_ARGUMENT_KIND, "scope");
        json_object *level_obj, *changed;
        int level, cluster = 0;

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
                /* Kafka's status for it (a NotFoundException). */
                rdc_rest_reply_error(call, MHD_HTTP_NOT_FOUND,
                                     "invalid log level '%s'.",
                                     json_object_get_string(level_obj));
                return;
        }
        if (scope && !strcasecmp(scope, "cluster")) {
                cluster = 1;
        } else if (scope && strcasecmp(scope, "worker")) {
                rdc_log_warn(RDC_REST_LOGGER,
                             "Received invalid scope '%s' in request to "
                             "adjust logging level; will default to worker",
                             scope);
        }
        changed = json_object_new_array();
        if (!changed) {
                rdc_rest_reply_oom(call);
                return;
        }
        /* Like log4j in Kafka: the namespace and every logger below it
         * (all of them for root) take the level. */
        if (rdc_log_set_tree(namespace, level, rest_logger_affected, changed) ==
            -1) {
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
                json_object_put(changed);
                return;
        }
        rdc_log_info(RDC_REST_LOGGER, "Log level of %s set to %s%s", namespace,
                     rdc_log_level_name(level),
                     cluster ? " (scope cluster: this worker is the whole "
                               "cluster)"
                             : "");
        if (cluster) {
                /* Kafka answers 204 for the cluster scope. */
                json_object_put(changed);
                rdc_rest_reply(call, MHD_HTTP_NO_CONTENT, NULL);
                return;
        }
        rdc_rest_reply(call, MHD_HTTP_OK, changed);
}
