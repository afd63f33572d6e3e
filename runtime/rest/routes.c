/*
 * REST routing and the connector endpoints: the route table (method +
 * path pattern), path and body decoding (strict JSON, strict UTF-8, no
 * NUL), the replies in Kafka's error shape, the endpoints the herder
 * answers (each becomes one rdc_request_t whose reply is written as is)
 * and the ones answered here (root, health, plugins: rest/plugins.c
 * renders those). The HTTP transport is rest/server.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "core/configdef.h"
#include "core/log.h"
#include "core/map.h"
#include "core/utf8.h"
#include "herder/herder.h"
#include "kafka/clients.h"
#include "rest/forward.h"
#include "rest/rest_internal.h"

static void rest_on_root(rdc_rest_call_t *call);
static void rest_on_health(rdc_rest_call_t *call);
static void rest_on_herder(rdc_rest_call_t *call);
static void rest_on_plugins(rdc_rest_call_t *call);
static void rest_on_plugin_config(rdc_rest_call_t *call);
static void rest_on_plugin_validate(rdc_rest_call_t *call);
void rdc_rest_on_loggers(rdc_rest_call_t *call);
void rdc_rest_on_logger_get(rdc_rest_call_t *call);
void rdc_rest_on_logger_put(rdc_rest_call_t *call);
static int rest_prepare_list(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_create(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_put_config(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_patch_config(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_restart(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_task(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_offsets(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_topics(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_tasks_config(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_put_task_configs(rdc_rest_call_t *call,
                                         rdc_request_t *req);
static void rest_reply_rendered(rdc_rest_call_t *call, int status,
                                json_object *body, const char *errstr);

#define RDC_REST_HERDER(m, p, t, prep)                                         \
        { m, p, rest_on_herder, t, prep }
#define RDC_REST_LOCAL(m, p, h)                                                \
        { m, p, h, 0, NULL }

static const rdc_rest_route_t rdc_rest_routes[] = {
        RDC_REST_LOCAL("GET", "/", rest_on_root),
        /* The herder's answer, or "starting" while there is none. */
        {"GET", "/health", rest_on_health, RDC_REQ_HEALTH, NULL},
        RDC_REST_HERDER("GET", "/connectors", RDC_REQ_LIST, rest_prepare_list),
        RDC_REST_HERDER("POST", "/connectors", RDC_REQ_CREATE,
                        rest_prepare_create),
        RDC_REST_HERDER("GET", "/connectors/{}", RDC_REQ_GET_INFO, NULL),
        RDC_REST_HERDER("DELETE", "/connectors/{}", RDC_REQ_DELETE, NULL),
        RDC_REST_HERDER("GET", "/connectors/{}/config", RDC_REQ_GET_CONFIG,
                        NULL),
        RDC_REST_HERDER("PUT", "/connectors/{}/config", RDC_REQ_PUT_CONFIG,
                        rest_prepare_put_config),
        RDC_REST_HERDER("PATCH", "/connectors/{}/config", RDC_REQ_PATCH_CONFIG,
                        rest_prepare_patch_config),
        RDC_REST_HERDER("GET", "/connectors/{}/status", RDC_REQ_GET_STATUS,
                        NULL),
        RDC_REST_HERDER("POST", "/connectors/{}/restart", RDC_REQ_RESTART,
                        rest_prepare_restart),
        RDC_REST_HERDER("PUT", "/connectors/{}/pause", RDC_REQ_PAUSE, NULL),
        RDC_REST_HERDER("PUT", "/connectors/{}/resume", RDC_REQ_RESUME, NULL),
        RDC_REST_HERDER("PUT", "/connectors/{}/stop", RDC_REQ_STOP, NULL),
        RDC_REST_HERDER("GET", "/connectors/{}/tasks", RDC_REQ_GET_TASKS, NULL),
        /* Internal (between workers), as Kafka's InternalConnectResource. */
        RDC_REST_HERDER("POST", "/connectors/{}/tasks",
                        RDC_REQ_PUT_TASK_CONFIGS,
                        rest_prepare_put_task_configs),
        RDC_REST_HERDER("GET", "/connectors/{}/tasks-config",
                        RDC_REQ_GET_TASKS_CONFIG, rest_prepare_tasks_config),
        RDC_REST_HERDER("GET", "/connectors/{}/tasks/{}/status",
                        RDC_REQ_GET_TASK_STATUS, rest_prepare_task),
        RDC_REST_HERDER("POST", "/connectors/{}/tasks/{}/restart",
                        RDC_REQ_RESTART_TASK, rest_prepare_task),
        RDC_REST_HERDER("GET", "/connectors/{}/topics", RDC_REQ_GET_TOPICS,
                        rest_prepare_topics),
        RDC_REST_HERDER("PUT", "/connectors/{}/topics/reset",
                        RDC_REQ_RESET_TOPICS, rest_prepare_topics),
        RDC_REST_HERDER("GET", "/connectors/{}/offsets", RDC_REQ_GET_OFFSETS,
                        NULL),
        RDC_REST_HERDER("PATCH", "/connectors/{}/offsets",
                        RDC_REQ_ALTER_OFFSETS, rest_prepare_offsets),
        RDC_REST_HERDER("DELETE", "/connectors/{}/offsets",
                        RDC_REQ_RESET_OFFSETS, NULL),
        RDC_REST_LOCAL("GET", "/connector-plugins", rest_on_plugins),
        RDC_REST_LOCAL("GET", "/connector-plugins/{}/config",
                       rest_on_plugin_config),
        RDC_REST_LOCAL("PUT", "/connector-plugins/{}/config/validate",
                       rest_on_plugin_validate),
        RDC_REST_LOCAL("GET", "/admin/loggers", rdc_rest_on_loggers),
        RDC_REST_LOCAL("GET", "/admin/loggers/{}", rdc_rest_on_logger_get),
        RDC_REST_LOCAL("PUT", "/admin/loggers/{}", rdc_rest_on_logger_put),
};

#define RDC_REST_ROUTE_CNT                                                     \
        (sizeof(rdc_rest_routes) / sizeof(rdc_rest_routes[0]))

/*
 * ---------------------------------------------------------------------
 * Replies
 * ---------------------------------------------------------------------
 */

void rdc_rest_reply(rdc_rest_call_t *call, int status, json_object *body) {
        json_object_put(call->reply);
        call->status = status;
        call->reply = body;
}

/** Kafka's error body {"error_code": status, "message": message}. */
json_object *rdc_rest_error_body(int status, const char *message) {
        json_object *body = json_object_new_object();

        if (body) {
                json_object_object_add(body, "error_code",
                                       json_object_new_int(status));
                json_object_object_add(body, "message",
                                       json_object_new_string(message));
        }
        return body;
}

void rdc_rest_reply_error(rdc_rest_call_t *call, int status, const char *fmt,
                          ...) __attribute__((format(printf, 3, 4)));

void rdc_rest_reply_error(rdc_rest_call_t *call, int status, const char *fmt,
                          ...) {
        char message[1024];
        size_t len, valid;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(message, sizeof(message), fmt, ap);
        va_end(ap);
        /* Cut where the text stops being UTF-8 (a long message cut inside
         * a character, a herder message quoting bad bytes): the answer
         * must stay JSON. */
        len = strlen(message);
        if (rdc_utf8_check(message, len, &valid))
                message[valid] = '\0';

        rdc_rest_reply(call, status, rdc_rest_error_body(status, message));
}

/** Kafka's wording for the errors JAX-RS produces itself. */
static void rest_reply_not_found(rdc_rest_call_t *call) {
        rdc_rest_reply_error(call, MHD_HTTP_NOT_FOUND, "HTTP 404 Not Found");
}

void rdc_rest_reply_oom(rdc_rest_call_t *call) {
        rdc_rest_reply_error(call, MHD_HTTP_INTERNAL_SERVER_ERROR,
                             "Out of memory");
}

/*
 * ---------------------------------------------------------------------
 * Path and body decoding
 * ---------------------------------------------------------------------
 */

static int rest_hex_value(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

/** Decodes %XX in place (the result may hold NUL bytes).
 *  @returns the decoded length, or -1 on a malformed escape. */
static ssize_t rest_percent_decode(char *s) {
        char *out = s, *start = s;

        for (; *s; s++) {
                int hi, lo;

                if (*s != '%') {
                        *out++ = *s;
                        continue;
                }
                hi = rest_hex_value(s[1]);
                lo = hi < 0 ? -1 : rest_hex_value(s[2]);
                if (lo < 0)
                        return -1;
                *out++ = (char)(hi * 16 + lo);
                s += 2;
        }
        *out = '\0';
        return out - start;
}

/**
 * Splits the raw path into decoded segments. Segments are decoded one by
 * one so that an encoded '/' stays inside a connector name.
 * @returns 0, 1 when the path cannot match any route (too many or empty
 *          segments), or -1 after setting a 400 reply.
 */
static int rest_split_path(rdc_rest_call_t *call) {
        size_t len = strcspn(call->uri, "?#"), offset;
        char *cursor, *end;
        const char *problem;

        if (call->uri[0] != '/')
                return 1;
        call->path = strndup(call->uri + 1, len - 1);
        if (!call->path) {
                rdc_rest_reply_oom(call);
                return -1;
        }
        len = strlen(call->path);
        /* A trailing slash names the same resource, as in Kafka. */
        if (len > 0 && call->path[len - 1] == '/')
                call->path[len - 1] = '\0';
        if (!*call->path)
                return 0;

        for (cursor = call->path; cursor; cursor = end) {
                end = strchr(cursor, '/');
                if (end)
                        *end++ = '\0';
                if (!*cursor || call->segment_cnt == RDC_REST_MAX_SEGMENTS)
                        return 1;
                len = (size_t)rest_percent_decode(cursor);
                if (len == (size_t)-1) {
                        rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                             "Malformed URL path: segment %zu "
                                             "has an invalid percent-escape",
                                             call->segment_cnt + 1);
                        return -1;
                }
                /* The same check as body text: a name accepted in a
                 * body can always be named in a path again. */
                problem = rdc_utf8_check(cursor, len, &offset);
                if (problem) {
                        rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                             "Malformed URL path: segment %zu "
                                             "at decoded byte %zu: %s",
                                             call->segment_cnt + 1, offset,
                                             problem);
                        return -1;
                }
                call->segments[call->segment_cnt++] = cursor;
        }
        return 0;
}

/** @returns 1 if the segments match pattern, filling params. */
static int rest_route_matches(const rdc_rest_route_t *route,
                              rdc_rest_call_t *call, const char **params) {
        const char *p = route->pattern + 1;
        size_t seg = 0, param_cnt = 0;

        while (*p) {
                size_t len = strcspn(p, "/");

                if (seg == call->segment_cnt)
                        return 0;
                if (len == 2 && !strncmp(p, "{}", 2)) {
                        if (param_cnt < RDC_REST_MAX_PARAMS)
                                params[param_cnt++] = call->segments[seg];
                } else if (strlen(call->segments[seg]) != len ||
                           strncmp(p, call->segments[seg], len)) {
                        return 0;
                }
                seg++;
                p += len;
                if (*p == '/')
                        p++;
        }
        return seg == call->segment_cnt;
}

/** Finds the route; sets a 404/405/400 reply when there is none. */
void rdc_rest_route(rdc_rest_call_t *call) {
        /* HEAD is GET without a body: MHD drops the body itself. */
        const char *method =
                strcmp(call->method, "HEAD") ? call->method : "GET";
        int path_known = 0;
        size_t i;
        int rc;

        rc = rest_split_path(call);
        if (rc == -1)
                return;
        if (rc == 1) {
                rest_reply_not_found(call);
                return;
        }
        for (i = 0; i < RDC_REST_ROUTE_CNT; i++) {
                const char *params[RDC_REST_MAX_PARAMS] = {NULL};

                if (!rest_route_matches(&rdc_rest_routes[i], call, params))
                        continue;
                path_known = 1;
                if (strcmp(rdc_rest_routes[i].method, method))
                        continue;
                call->route = &rdc_rest_routes[i];
                memcpy(call->params, params, sizeof(params));
                return;
        }
        if (path_known)
                rdc_rest_reply_error(call, MHD_HTTP_METHOD_NOT_ALLOWED,
                                     "HTTP 405 Method Not Allowed");
        else
                rest_reply_not_found(call);
}

static int rest_hex4(const char *s, uint32_t *out) {
        uint32_t value = 0;
        int i;

        for (i = 0; i < 4; i++) {
                int digit = rest_hex_value(s[i]);

                if (digit < 0)
                        return -1;
                value = value * 16 + (uint32_t)digit;
        }
        *out = value;
        return 0;
}

/**
 * Checks the \u escapes of a body json-c has accepted: json-c turns an
 * unpaired surrogate into U+FFFD without a word and cuts keys at an
 * escaped NUL, so both are refused here, from the text. In valid JSON a
 * backslash only ever starts an escape inside a string, so no string
 * tracking is needed.
 * @returns NULL, or the problem with *offset at its escape.
 */
static const char *rest_check_escapes(const char *json, size_t len,
                                      size_t *offset) {
        size_t i;

        for (i = 0; i + 1 < len; i++) {
                uint32_t cp, low;

                if (json[i] != '\\')
                        continue;
                if (json[i + 1] != 'u' || i + 6 > len ||
                    rest_hex4(json + i + 2, &cp) == -1) {
                        i++; /* a one-character escape */
                        continue;
                }
                *offset = i;
                if (cp >= 0xd800 && cp <= 0xdbff && i + 12 <= len &&
                    json[i + 6] == '\\' && json[i + 7] == 'u' &&
                    rest_hex4(json + i + 8, &low) == 0 && low >= 0xdc00 &&
                    low <= 0xdfff) {
                        i += 11;
                        continue;
                }
                if (rdc_utf8_codepoint_problem(cp))
                        return cp ? "unpaired UTF-16 surrogate escape "
                                    "(U+D800..U+DFFF are not characters)"
                                  : "escaped NUL character (\\u0000)";
                i += 5;
        }
        return NULL;
}

/**
 * Parses the body as one JSON value: strict grammar, strict UTF-8 without
 * NUL (raw or escaped), bounded depth, nothing but whitespace after it.
 * @returns the value, or NULL after setting a 400 reply.
 */
static json_object *rest_parse_body(rdc_rest_call_t *call, const char *what) {
        struct json_tokener *tok = NULL;
        json_object *value = NULL;
        enum json_tokener_error jerr;
        const char *problem;
        size_t end;

        if (call->body_len == 0) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Request body is empty: %s is required",
                                     what);
                return NULL;
        }
        /* json-c's own UTF-8 check lets overlong forms, surrogates and
         * code points above U+10FFFF through. */
        problem = rdc_utf8_check(call->body, call->body_len, &end);
        if (problem) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Malformed JSON in request body at offset "
                                     "%zu: invalid text: %s",
                                     end, problem);
                return NULL;
        }
        tok = json_tokener_new_ex(RDC_REST_JSON_MAX_DEPTH);
        if (!tok) {
                rdc_rest_reply_oom(call);
                return NULL;
        }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                                            JSON_TOKENER_VALIDATE_UTF8);
        /* The terminating NUL is passed too: it ends a top-level number
         * that would otherwise wait for more input. */
        value = json_tokener_parse_ex(tok, call->body, (int)call->body_len + 1);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (jerr == json_tokener_success && end < call->body_len)
                end += strspn(call->body + end, " \t\r\n");
        if (jerr != json_tokener_success || !value || end < call->body_len) {
                const char *reason =
                        jerr == json_tokener_continue
                                ? "unexpected end of input"
                        : jerr != json_tokener_success
                                ? json_tokener_error_desc(jerr)
                                : "unexpected data after the JSON value";

                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Malformed JSON in request body at offset "
                                     "%zu: %s",
                                     end, reason);
                json_object_put(value);
                value = NULL;
        } else if ((problem = rest_check_escapes(call->body, call->body_len,
                                                 &end)) != NULL) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Malformed JSON in request body at offset "
                                     "%zu: %s",
                                     end, problem);
                json_object_put(value);
                value = NULL;
        }
        json_tokener_free(tok);
        return value;
}

/** Parses the body, which must be JSON of the given type (what names
 *  it: "a JSON object"), into call->json.
 *  @returns 0, or -1 after setting a 400 reply. */
static int rest_parse_body_as(rdc_rest_call_t *call, json_type type,
                              const char *what) {
        call->json = rest_parse_body(call, what);
        if (!call->json)
                return -1;
        if (!json_object_is_type(call->json, type)) {
                rdc_rest_reply_error(
                        call, MHD_HTTP_BAD_REQUEST,
                        "Request body must be %s, not %s", what,
                        json_type_to_name(json_object_get_type(call->json)));
                return -1;
        }
        return 0;
}

int rdc_rest_parse_body_object(rdc_rest_call_t *call) {
        return rest_parse_body_as(call, json_type_object, "a JSON object");
}

rdc_map_t *rdc_rest_json_to_map(json_object *obj, const char *what,
                                char *errstr, size_t errstr_size) {
        rdc_map_t *map;

        if (!json_object_is_type(obj, json_type_object)) {
                snprintf(errstr, errstr_size,
                         "%s must be a JSON object of strings, not %s", what,
                         json_type_to_name(json_object_get_type(obj)));
                return NULL;
        }
        map = rdc_map_new();
        if (!map) {
                snprintf(errstr, errstr_size, "Out of memory");
                return NULL;
        }
        json_object_object_foreach(obj, key, value) {
                json_type type = json_object_get_type(value);
                const char *text;

                if (type == json_type_null || type == json_type_object ||
                    type == json_type_array) {
                        snprintf(errstr, errstr_size,
                                 "Value of %s key '%s' must be a string, "
                                 "not %s",
                                 what, key, json_type_to_name(type));
                        goto fail;
                }
                text = json_object_get_string(value);
                if (type == json_type_string &&
                    strlen(text) != (size_t)json_object_get_string_len(value)) {
                        snprintf(errstr, errstr_size,
                                 "Value of %s key '%s' contains a NUL "
                                 "character",
                                 what, key);
                        goto fail;
                }
                if (rdc_map_set(map, key, text) == -1) {
                        snprintf(errstr, errstr_size, "Out of memory");
                        goto fail;
                }
        }
        return map;

fail:
        rdc_map_destroy(map);
        return NULL;
}

/** Converts a JSON object to call->config (400 reply on failure). */
static int rest_body_to_config(rdc_rest_call_t *call, json_object *obj,
                               const char *what) {
        char errstr[512];

        call->config = rdc_rest_json_to_map(obj, what, errstr, sizeof(errstr));
        if (!call->config) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST, "%s", errstr);
                return -1;
        }
        return 0;
}

/** Kafka's check that a config's "name" is the connector's: when the
 *  config has none, the name is added. */
static int rest_check_config_name(rdc_rest_call_t *call, const char *name) {
        const char *included = rdc_map_get(call->config, "name");

        if (included && strcmp(included, name)) {
                rdc_rest_reply_error(
                        call, MHD_HTTP_BAD_REQUEST,
                        "Connector name configuration (%s) doesn't "
                        "match connector name in the URL (%s)",
                        included, name);
                return -1;
        }
        if (!included && rdc_map_set(call->config, "name", name) == -1) {
                rdc_rest_reply_oom(call);
                return -1;
        }
        return 0;
}

/** @returns the query parameter as a boolean, Jersey-style: "true" in any
 *  case is true, anything else (or absent) is false. */
static int rest_query_bool(rdc_rest_call_t *call, const char *key, int dflt) {
        const char *value = MHD_lookup_connection_value(
                call->conn, MHD_GET_ARGUMENT_KIND, key);

        if (!value)
                return dflt;
        return !strcasecmp(value, "true");
}

/*
 * ---------------------------------------------------------------------
 * Connector endpoints: the herder answers
 * ---------------------------------------------------------------------
 */

static enum MHD_Result rest_collect_expand(void *opaque,
                                           enum MHD_ValueKind kind,
                                           const char *key, const char *value) {
        rdc_request_t *req = opaque;

        (void)kind;
        /* Unknown expansions are ignored, as in Kafka: with any expand
         * the answer is a map (of empty objects for unknown ones). */
        if (key && !strcmp(key, "expand")) {
                req->expand = 1;
                if (!value)
                        return MHD_YES;
                if (!strcmp(value, "status"))
                        req->expand_status = 1;
                else if (!strcmp(value, "info"))
                        req->expand_info = 1;
        }
        return MHD_YES;
}

static int rest_prepare_list(rdc_rest_call_t *call, rdc_request_t *req) {
        MHD_get_connection_values(call->conn, MHD_GET_ARGUMENT_KIND,
                                  rest_collect_expand, req);
        return 0;
}

static int rest_prepare_create(rdc_rest_call_t *call, rdc_request_t *req) {
        static const char *const states[] = {"RUNNING", "PAUSED", "STOPPED"};
        json_object *name_obj, *config_obj, *state_obj;
        const char *name;
        size_t i, len;

        if (rdc_rest_parse_body_object(call) == -1)
                return -1;
        if (!json_object_object_get_ex(call->json, "name", &name_obj) ||
            json_object_is_type(name_obj, json_type_null)) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Connector name is missing in the request "
                                     "body");
                return -1;
        }
        if (json_object_is_type(name_obj, json_type_object) ||
            json_object_is_type(name_obj, json_type_array)) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Connector name must be a string");
                return -1;
        }
        /* Kafka trims the name before anything else. */
        name = json_object_get_string(name_obj);
        name += strspn(name, " \t\r\n\f\v");
        len = strlen(name);
        while (len > 0 && strchr(" \t\r\n\f\v", name[len - 1]))
                len--;
        if (len == 0) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Connector name must not be empty");
                return -1;
        }
        call->name = strndup(name, len);
        if (!call->name) {
                rdc_rest_reply_oom(call);
                return -1;
        }

        if (!json_object_object_get_ex(call->json, "config", &config_obj) ||
            json_object_is_type(config_obj, json_type_null)) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Connector config is missing in the "
                                     "request body");
                return -1;
        }
        if (rest_body_to_config(call, config_obj, "config") == -1 ||
            rest_check_config_name(call, call->name) == -1)
                return -1;

        if (json_object_object_get_ex(call->json, "initial_state",
                                      &state_obj) &&
            !json_object_is_type(state_obj, json_type_null)) {
                const char *state = json_object_get_string(state_obj);

                for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
                        if (!strcasecmp(state, states[i]))
                                req->initial_state = states[i];
                if (!req->initial_state ||
                    !json_object_is_type(state_obj, json_type_string)) {
                        rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                             "Invalid initial_state '%s': "
                                             "expected RUNNING, PAUSED or "
                                             "STOPPED",
                                             state);
                        return -1;
                }
        }
        req->connector = call->name;
        req->config = call->config;
        return 0;
}

static int rest_prepare_put_config(rdc_rest_call_t *call, rdc_request_t *req) {
        if (rdc_rest_parse_body_object(call) == -1 ||
            rest_body_to_config(call, call->json, "config") == -1 ||
            rest_check_config_name(call, req->connector) == -1)
                return -1;
        req->config = call->config;
        return 0;
}

static int rest_prepare_patch_config(rdc_rest_call_t *call,
                                     rdc_request_t *req) {
        json_object *name_obj;

        if (rdc_rest_parse_body_object(call) == -1)
                return -1;
        /* Values are checked here so the herder sees strings and nulls
         * (null removes a key) only. */
        json_object_object_foreach(call->json, key, value) {
                json_type type = json_object_get_type(value);

                if (type == json_type_object || type == json_type_array) {
                        rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                             "Value of config key '%s' must be "
                                             "a string or null, not %s",
                                             key, json_type_to_name(type));
                        return -1;
                }
        }
        if (json_object_object_get_ex(call->json, "name", &name_obj) &&
            !json_object_is_type(name_obj, json_type_null) &&
            strcmp(json_object_get_string(name_obj), req->connector)) {
                rdc_rest_reply_error(
                        call, MHD_HTTP_BAD_REQUEST,
                        "Connector name configuration (%s) doesn't "
                        "match connector name in the URL (%s)",
                        json_object_get_string(name_obj), req->connector);
                return -1;
        }
        req->json = call->json;
        return 0;
}

static int rest_prepare_restart(rdc_rest_call_t *call, rdc_request_t *req) {
        req->include_tasks = rest_query_bool(call, "includeTasks", 0);
        req->only_failed = rest_query_bool(call, "onlyFailed", 0);
        return 0;
}

static int rest_prepare_task(rdc_rest_call_t *call, rdc_request_t *req) {
        const char *text = call->params[1];
        char *end;
        long task;

        /* A task id that is not an int matches no resource in Kafka. */
        errno = 0;
        task = strtol(text, &end, 10);
        if (!*text || *end || errno || task < 0 || task > INT32_MAX ||
            *text == '+' || *text == '-' || *text == ' ') {
                rest_reply_not_found(call);
                return -1;
        }
        req->task = (int)task;
        return 0;
}

/** The body of PATCH .../offsets has Kafka's ConnectorOffsets shape:
 *  {"offsets": [{"partition": {...}|null, "offset": {...}|null}, ...]}
 *  (a shape Kafka's JSON mapping refuses is 400 here, not 500), and at
 *  least one entry (Kafka's check, in ConnectorsResource). */
static int rest_prepare_offsets(rdc_rest_call_t *call, rdc_request_t *req) {
        static const char *const fields[] = {"partition", "offset"};
        json_object *list = NULL;
        size_t i, k;

        if (rdc_rest_parse_body_object(call) == -1)
                return -1;
        json_object_object_get_ex(call->json, "offsets", &list);
        if (list && !json_object_is_type(list, json_type_array)) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Cannot deserialize the request body: "
                                     "'offsets' must be an array");
                return -1;
        }
        for (i = 0; list && i < json_object_array_length(list); i++) {
                json_object *entry = json_object_array_get_idx(list, i);

                if (!json_object_is_type(entry, json_type_object)) {
                        rdc_rest_reply_error(
                                call, MHD_HTTP_BAD_REQUEST,
                                "Cannot deserialize the request body: "
                                "'offsets' entry %zu must be an object",
                                i);
                        return -1;
                }
                for (k = 0; k < 2; k++) {
                        json_object *value = NULL;

                        if (json_object_object_get_ex(entry, fields[k],
                                                      &value) &&
                            value &&
                            !json_object_is_type(value, json_type_object)) {
                                rdc_rest_reply_error(
                                        call, MHD_HTTP_BAD_REQUEST,
                                        "Cannot deserialize the request "
                                        "body: the %s of 'offsets' entry %zu "
                                        "must be an object or null",
                                        fields[k], i);
                                return -1;
                        }
                }
        }
        if (!list || !json_object_array_length(list)) {
                rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                     "Partitions / offsets need to be provided "
                                     "for an alter offsets request");
                return -1;
        }
        req->json = call->json;
        return 0;
}

/** A worker key that is a boolean, default true (checked at start). */
static int rest_worker_flag(rdc_rest_call_t *call, const char *key) {
        int value = 1;

        rdc_config_parse_bool(rdc_map_get(call->rest->worker->config, key),
                              &value);
        return value;
}

/** Kafka's ConnectorsResource refuses topic tracking requests itself when
 *  the worker turned tracking (or its reset) off. */
static int rest_prepare_topics(rdc_rest_call_t *call, rdc_request_t *req) {
        if (!rest_worker_flag(call, "topic.tracking.enable")) {
                rdc_rest_reply_error(call, MHD_HTTP_FORBIDDEN,
                                     "Topic tracking is disabled.");
                return -1;
        }
        if (req->type == RDC_REQ_RESET_TOPICS &&
            !rest_worker_flag(call, "topic.tracking.allow.reset")) {
                rdc_rest_reply_error(call, MHD_HTTP_FORBIDDEN,
                                     "Topic tracking reset is disabled.");
                return -1;
        }
        return 0;
}

static int rest_prepare_tasks_config(rdc_rest_call_t *call,
                                     rdc_request_t *req) {
        (void)call;
        (void)req;
        rdc_log(RDC_LOG_WARN, "rest", NULL,
                "The 'GET /connectors/{connector}/tasks-config' endpoint is "
                "deprecated and will be removed in the next major release. "
                "Please use the 'GET /connectors/{connector}/tasks' endpoint "
                "instead.");
        return 0;
}

/** The body of the internal POST /connectors/{c}/tasks, which Kafka
 *  reads as a List<Map<String, String>>: a list of objects whose values
 *  are scalars. Any other body is 400 (Kafka: 500 from its JSON
 *  mapping). */
static int rest_prepare_put_task_configs(rdc_rest_call_t *call,
                                         rdc_request_t *req) {
        char errstr[512], what[64];
        size_t i, cnt;

        if (rest_parse_body_as(call, json_type_array,
                               "a JSON array of task configs") == -1)
                return -1;
        cnt = json_object_array_length(call->json);
        for (i = 0; i < cnt; i++) {
                rdc_map_t *map;

                snprintf(what, sizeof(what), "task config %zu", i);
                map = rdc_rest_json_to_map(
                        json_object_array_get_idx(call->json, i), what, errstr,
                        sizeof(errstr));
                if (!map) {
                        rdc_rest_reply_error(call, MHD_HTTP_BAD_REQUEST, "%s",
                                             errstr);
                        return -1;
                }
                rdc_map_destroy(map);
        }
        req->json = call->json;
        return 0;
}

/** Percent-encodes a path segment (RFC 3986 unreserved kept). */
static char *rest_encode_segment(const char *s) {
        static const char hex[] = "0123456789ABCDEF";
        char *out = malloc(strlen(s) * 3 + 1), *p = out;

        if (!out)
                return NULL;
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;

                if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || strchr("-._~", c)) {
                        *p++ = (char)c;
                } else {
                        *p++ = '%';
                        *p++ = hex[c >> 4];
                        *p++ = hex[c & 15];
                }
        }
        *p = '\0';
        return out;
}

static rdc_herder_t *rest_herder(rdc_rest_call_t *call) {
        /* Set once by the main thread while requests may be running. */
        return __atomic_load_n(&call->rest->worker->herder, __ATOMIC_ACQUIRE);
}

/** Answers a request the herder said another worker answers (its base
 *  URL, "" when none is known): forward.c does what Kafka does. The
 *  body goes on as received, if the route read one. */
static void rest_forward(rdc_rest_call_t *call, const char *leader_url) {
        rdc_rest_forward_req_t fwd = {
                .leader_url = leader_url,
                .method = strcmp(call->method, "HEAD") ? call->method : "GET",
                .raw_uri = call->uri,
                .forward = rest_query_bool(call, "forward",
                                           RDC_REST_FORWARD_UNSET),
                .body = call->json ? call->body : NULL,
                .body_len = call->json ? call->body_len : 0,
                .authorization = MHD_lookup_connection_value(
                        call->conn, MHD_HEADER_KIND,
                        MHD_HTTP_HEADER_AUTHORIZATION),
                .timeout_ms = RDC_REST_HERDER_TIMEOUT_MS,
        };
        char errstr[1024] = "";
        json_object *body = NULL;
        int status;

        status = rdc_rest_forward(&fwd, &body, errstr, sizeof(errstr));
        rest_reply_rendered(call, status, body, errstr);
}

static void rest_on_herder(rdc_rest_call_t *call) {
        const rdc_rest_route_t *route = call->route;
        rdc_request_t req = {.type = route->req_type,
                             .connector = call->params[0],
                             .task = -1};
        rdc_herder_t *herder = rest_herder(call);
        rdc_reply_t reply;

        /* A bad request is refused first: only a good one waits for the
         * herder. */
        if (route->prepare && route->prepare(call, &req) == -1)
                return;
        if (!herder) {
                rdc_rest_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE,
                                     "Request cannot be completed because the "
                                     "worker is still starting up");
                return;
        }

        memset(&reply, 0, sizeof(reply));
        rdc_herder_request(herder, &req, &reply, RDC_REST_HERDER_TIMEOUT_MS);
        if (reply.status == RDC_REPLY_FORWARD) {
                reply.message[sizeof(reply.message) - 1] = '\0';
                rest_forward(call, reply.message);
        } else if (reply.status < 100 || reply.status > 599) {
                rdc_rest_reply_error(call, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                     "Invalid reply status %d from the herder",
                                     reply.status);
        } else if (reply.status >= 400 && !reply.body) {
                reply.message[sizeof(reply.message) - 1] = '\0';
                rdc_rest_reply_error(call, reply.status, "%s", reply.message);
        } else {
                rdc_rest_reply(call, reply.status, reply.body);
                reply.body = NULL;
        }
        rdc_reply_clear(&reply);

        if (call->status == MHD_HTTP_CREATED && req.connector &&
            (req.type == RDC_REQ_CREATE || req.type == RDC_REQ_PUT_CONFIG)) {
                char *encoded = rest_encode_segment(req.connector);

                if (encoded &&
                    asprintf(&call->location, "%sconnectors/%s",
                             call->rest->worker->rest_url, encoded) == -1)
                        call->location = NULL;
                free(encoded);
        }
}

static void rest_on_health(rdc_rest_call_t *call) {
        json_object *body;

        if (rest_herder(call)) {
                rest_on_herder(call);
                return;
        }
        body = json_object_new_object();
        if (body) {
                json_object_object_add(body, "status",
                                       json_object_new_string("starting"));
                json_object_object_add(
                        body, "message",
                        json_object_new_string("Worker is still starting "
                                               "up."));
        }
        rdc_rest_reply(call, MHD_HTTP_SERVICE_UNAVAILABLE, body);
}

/*
 * ---------------------------------------------------------------------
 * Endpoints answered without the herder
 * ---------------------------------------------------------------------
 */

/** @returns a copy of the Kafka cluster id (cached once known), or NULL
 *  when there is no admin client or the cluster did not answer. */
static void rest_on_root(rdc_rest_call_t *call) {
        json_object *body = json_object_new_object();
        char *cluster_id = rdc_kafka_cluster_id(call->rest->worker);

        if (!body) {
                free(cluster_id);
                rdc_rest_reply_oom(call);
                return;
        }
        json_object_object_add(body, "version",
                               json_object_new_string(RDC_VERSION));
        json_object_object_add(body, "commit",
                               json_object_new_string(RDC_GIT_COMMIT));
        json_object_object_add(body, "kafka_cluster_id",
                               cluster_id ? json_object_new_string(cluster_id)
                                          : NULL);
        free(cluster_id);
        rdc_rest_reply(call, MHD_HTTP_OK, body);
}

/** Answers with what a rest/plugins.c or rest/forward.c function
 *  produced: a body as it is (a forwarded error body too), else the
 *  error message for a status >= 400. */
static void rest_reply_rendered(rdc_rest_call_t *call, int status,
                                json_object *body, const char *errstr) {
        if (status >= 400 && !body)
                rdc_rest_reply_error(call, status, "%s", errstr);
        else
                rdc_rest_reply(call, status, body);
}

static void rest_on_plugins(rdc_rest_call_t *call) {
        char errstr[512] = "";
        json_object *body = NULL;
        int status;

        status = rdc_rest_plugins_list(
                call->rest->worker, rest_query_bool(call, "connectorsOnly", 1),
                &body, errstr, sizeof(errstr));
        rest_reply_rendered(call, status, body, errstr);
}

static void rest_on_plugin_config(rdc_rest_call_t *call) {
        char errstr[1024] = "";
        json_object *body = NULL;
        int status;

        status = rdc_rest_plugin_config(call->rest->worker, call->params[0],
                                        &body, errstr, sizeof(errstr));
        rest_reply_rendered(call, status, body, errstr);
}

static void rest_on_plugin_validate(rdc_rest_call_t *call) {
        char errstr[1024] = "";
        json_object *body = NULL;
        int status;

        if (rdc_rest_parse_body_object(call) == -1 ||
            rest_body_to_config(call, call->json, "config") == -1)
                return;
        status = rdc_rest_plugin_validate(call->rest->worker, call->params[0],
                                          call->config, &body, errstr,
                                          sizeof(errstr));
        rest_reply_rendered(call, status, body, errstr);
}
