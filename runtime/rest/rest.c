/*
 * REST server: Kafka Connect's REST API over libmicrohttpd.
 *
 * One MHD daemon per listener, a thread per connection: connector requests
 * block on the herder (up to RDC_REST_HERDER_TIMEOUT_MS), and a blocked
 * handler must not hold up other clients, which a shared polling thread or
 * a small pool would. Connections are capped (per listener and per
 * client address), and a request must arrive whole within a deadline
 * (a reaper thread cuts slower ones), so that clients trickling bytes
 * cannot hold every thread.
 *
 * A request is routed by a table (method + path pattern). Connector
 * endpoints become one rdc_request_t for the herder and its reply is
 * written as is; plugin, logger and server-info endpoints are answered
 * here (plugins in rest_plugins.c). Every failure is Kafka's error body
 * {"error_code": <status>, "message": "..."}.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>
#include <json-c/json.h>

#include "core/clock.h"
#include "core/configdef.h"
#include "herder/herder.h"
#include "core/log.h"
#include "core/map.h"
#include "rest/rest.h"
#include "rest/rest_internal.h"
#include "core/utf8.h"

#ifndef RDC_VERSION
#define RDC_VERSION "unknown"
#endif
#ifndef RDC_GIT_COMMIT
#define RDC_GIT_COMMIT "unknown"
#endif

#define RDC_REST_LOGGER            "rest"
#define RDC_REST_DEFAULT_LISTENERS "http://127.0.0.1:8083"
/* Kafka's ConnectorsResource waits 90 s for the herder: long enough for a
 * rebalance to finish. */
#define RDC_REST_HERDER_TIMEOUT_MS         90000
#define RDC_REST_DEFAULT_MAX_REQUEST_BYTES 1048576
#define RDC_REST_MAX_LISTENERS             8
#define RDC_REST_MAX_SEGMENTS              8
#define RDC_REST_MAX_PARAMS                2
/* Far deeper than any Connect body, shallow enough for json-c's recursive
 * free and serialization to stay cheap. */
#define RDC_REST_JSON_MAX_DEPTH 64
/* Defaults of rest.connections.max, rest.connections.max.per.ip and
 * rest.request.timeout.ms: a connection costs a thread here, so the
 * limits bound threads and descriptors, and the deadline frees a slot held
 * by a request that trickles in (a steady byte resets MHD's idle timeout,
 * never this). */
#define RDC_REST_DEFAULT_CONNECTIONS_MAX        512
#define RDC_REST_DEFAULT_CONNECTIONS_MAX_PER_IP 128
#define RDC_REST_DEFAULT_REQUEST_TIMEOUT_MS     10000
/* A response the client does not read is cut after this long idle. */
#define RDC_REST_IDLE_TIMEOUT_S 30
/* Bounds the request line and headers (MHD answers 414/431 beyond). */
#define RDC_REST_CONNECTION_MEMORY     (64 * 1024)
#define RDC_REST_CLUSTER_ID_TIMEOUT_MS 1000
#define RDC_REST_JSON_FLAGS                                                    \
        (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/** Where a connection is in its current request. */
typedef enum rest_conn_state {
        RDC_REST_CONN_IDLE,      /* waiting for a request line */
        RDC_REST_CONN_RECEIVING, /* request line in, headers or body not */
        RDC_REST_CONN_BUSY,      /* whole request in: being answered */
} rest_conn_state_t;

/** An open connection, tracked for the request deadline. */
typedef struct rest_conn {
        struct rest_conn *prev, *next;
        int fd;
        rest_conn_state_t state;
        int cut;          /* the reaper has shut it down */
        int64_t deadline; /* rdc_clock_now_ms() by which a request must
                           * have arrived, unless busy */
} rest_conn_t;

struct rdc_rest {
        rdc_worker_t *worker;
        struct MHD_Daemon *daemons[RDC_REST_MAX_LISTENERS];
        size_t daemon_cnt;
        size_t max_request_bytes;
        unsigned int connections_max;        /* per listener */
        unsigned int connections_max_per_ip; /* 0 = no limit */
        int64_t request_timeout_ms;
        pthread_mutex_t lock; /* guards cluster_id */
        char *cluster_id;     /* cached once known */

        /* The reaper thread cuts connections whose request is overdue. */
        pthread_mutex_t conn_lock; /* guards conns, stopping */
        pthread_cond_t conn_cond;  /* signalled to stop the reaper */
        rest_conn_t *conns;
        int stopping;
        pthread_t reaper;
        int reaper_running;
};

typedef struct rdc_rest_call rdc_rest_call_t;

/** A route: handler is called once the whole body is in. */
typedef struct rdc_rest_route {
        const char *method;
        const char *pattern; /* "{}" segments are parameters */
        void (*handler)(rdc_rest_call_t *call);
        rdc_req_type_t req_type; /* herder routes */
        /** Fills what the path and body add to the herder request.
         *  @returns 0, or -1 after setting the error reply. */
        int (*prepare)(rdc_rest_call_t *call, rdc_request_t *req);
} rdc_rest_route_t;

/** One HTTP request, from the URI log callback to completion. */
struct rdc_rest_call {
        rdc_rest_t *rest;
        struct MHD_Connection *conn;
        char *uri;  /* raw, as received */
        char *path; /* decoded segments point into it */
        char *segments[RDC_REST_MAX_SEGMENTS];
        size_t segment_cnt;
        const char *method;
        const rdc_rest_route_t *route;
        const char *params[RDC_REST_MAX_PARAMS];
        int headers_seen;
        char *body; /* NUL-terminated, body_len bytes */
        size_t body_len;
        size_t body_size;
        int body_too_large;
        struct timespec started;

        /* Owned by the call, lent to the herder request. */
        json_object *json;
        rdc_map_t *config;
        char *name;

        /* The answer. */
        int status;
        json_object *reply;
        char *location;
};

static void rest_on_root(rdc_rest_call_t *call);
static void rest_on_health(rdc_rest_call_t *call);
static void rest_on_herder(rdc_rest_call_t *call);
static void rest_on_plugins(rdc_rest_call_t *call);
static void rest_on_plugin_config(rdc_rest_call_t *call);
static void rest_on_plugin_validate(rdc_rest_call_t *call);
static void rest_on_loggers(rdc_rest_call_t *call);
static void rest_on_logger_get(rdc_rest_call_t *call);
static void rest_on_logger_put(rdc_rest_call_t *call);
static int rest_prepare_list(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_create(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_put_config(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_patch_config(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_restart(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_task(rdc_rest_call_t *call, rdc_request_t *req);
static int rest_prepare_offsets(rdc_rest_call_t *call, rdc_request_t *req);

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
        RDC_REST_HERDER("GET", "/connectors/{}/tasks/{}/status",
                        RDC_REQ_GET_TASK_STATUS, rest_prepare_task),
        RDC_REST_HERDER("POST", "/connectors/{}/tasks/{}/restart",
                        RDC_REQ_RESTART_TASK, rest_prepare_task),
        RDC_REST_HERDER("GET", "/connectors/{}/topics", RDC_REQ_GET_TOPICS,
                        NULL),
        RDC_REST_HERDER("PUT", "/connectors/{}/topics/reset",
                        RDC_REQ_RESET_TOPICS, NULL),
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
        RDC_REST_LOCAL("GET", "/admin/loggers", rest_on_loggers),
        RDC_REST_LOCAL("GET", "/admin/loggers/{}", rest_on_logger_get),
        RDC_REST_LOCAL("PUT", "/admin/loggers/{}", rest_on_logger_put),
};

#define RDC_REST_ROUTE_CNT                                                     \
        (sizeof(rdc_rest_routes) / sizeof(rdc_rest_routes[0]))

/*
 * ---------------------------------------------------------------------
 * Replies
 * ---------------------------------------------------------------------
 */

static void rest_reply(rdc_rest_call_t *call, int status, json_object *body) {
        json_object_put(call->reply);
        call->status = status;
        call->reply = body;
}

/** Kafka's error body {"error_code": status, "message": message}. */
static json_object *rest_error_body(int status, const char *message) {
        json_object *body = json_object_new_object();

        if (body) {
                json_object_object_add(body, "error_code",
                                       json_object_new_int(status));
                json_object_object_add(body, "message",
                                       json_object_new_string(message));
        }
        return body;
}

static void rest_reply_error(rdc_rest_call_t *call, int status, const char *fmt,
                             ...) __attribute__((format(printf, 3, 4)));

static void rest_reply_error(rdc_rest_call_t *call, int status, const char *fmt,
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

        rest_reply(call, status, rest_error_body(status, message));
}

/** Kafka's wording for the errors JAX-RS produces itself. */
static void rest_reply_not_found(rdc_rest_call_t *call) {
        rest_reply_error(call, MHD_HTTP_NOT_FOUND, "HTTP 404 Not Found");
}

static void rest_reply_oom(rdc_rest_call_t *call) {
        rest_reply_error(call, MHD_HTTP_INTERNAL_SERVER_ERROR, "Out of memory");
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
                rest_reply_oom(call);
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
                        rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                         "Malformed URL path: segment %zu "
                                         "has an invalid percent-escape",
                                         call->segment_cnt + 1);
                        return -1;
                }
                /* The same check as body text: a name accepted in a
                 * body can always be named in a path again. */
                problem = rdc_utf8_check(cursor, len, &offset);
                if (problem) {
                        rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
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
static void rest_route(rdc_rest_call_t *call) {
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
                rest_reply_error(call, MHD_HTTP_METHOD_NOT_ALLOWED,
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
static json_object *rest_parse_body(rdc_rest_call_t *call) {
        struct json_tokener *tok = NULL;
        json_object *value = NULL;
        enum json_tokener_error jerr;
        const char *problem;
        size_t end;

        if (call->body_len == 0) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Request body is empty: a JSON object is "
                                 "required");
                return NULL;
        }
        /* json-c's own UTF-8 check lets overlong forms, surrogates and
         * code points above U+10FFFF through. */
        problem = rdc_utf8_check(call->body, call->body_len, &end);
        if (problem) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Malformed JSON in request body at offset "
                                 "%zu: invalid text: %s",
                                 end, problem);
                return NULL;
        }
        tok = json_tokener_new_ex(RDC_REST_JSON_MAX_DEPTH);
        if (!tok) {
                rest_reply_oom(call);
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

                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Malformed JSON in request body at offset "
                                 "%zu: %s",
                                 end, reason);
                json_object_put(value);
                value = NULL;
        } else if ((problem = rest_check_escapes(call->body, call->body_len,
                                                 &end)) != NULL) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Malformed JSON in request body at offset "
                                 "%zu: %s",
                                 end, problem);
                json_object_put(value);
                value = NULL;
        }
        json_tokener_free(tok);
        return value;
}

/** Parses the body, which must be a JSON object, into call->json.
 *  @returns 0, or -1 after setting a 400 reply. */
static int rest_parse_body_object(rdc_rest_call_t *call) {
        call->json = rest_parse_body(call);
        if (!call->json)
                return -1;
        if (!json_object_is_type(call->json, json_type_object)) {
                rest_reply_error(
                        call, MHD_HTTP_BAD_REQUEST,
                        "Request body must be a JSON object, not "
                        "%s",
                        json_type_to_name(json_object_get_type(call->json)));
                return -1;
        }
        return 0;
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
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST, "%s", errstr);
                return -1;
        }
        return 0;
}

/** Kafka's check that a config's "name" is the connector's: when the
 *  config has none, the name is added. */
static int rest_check_config_name(rdc_rest_call_t *call, const char *name) {
        const char *included = rdc_map_get(call->config, "name");

        if (included && strcmp(included, name)) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Connector name configuration (%s) doesn't "
                                 "match connector name in the URL (%s)",
                                 included, name);
                return -1;
        }
        if (!included && rdc_map_set(call->config, "name", name) == -1) {
                rest_reply_oom(call);
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
        /* Unknown expansions are ignored, as in Kafka. */
        if (key && value && !strcmp(key, "expand")) {
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

        if (rest_parse_body_object(call) == -1)
                return -1;
        if (!json_object_object_get_ex(call->json, "name", &name_obj) ||
            json_object_is_type(name_obj, json_type_null)) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Connector name is missing in the request "
                                 "body");
                return -1;
        }
        if (json_object_is_type(name_obj, json_type_object) ||
            json_object_is_type(name_obj, json_type_array)) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
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
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Connector name must not be empty");
                return -1;
        }
        call->name = strndup(name, len);
        if (!call->name) {
                rest_reply_oom(call);
                return -1;
        }

        if (!json_object_object_get_ex(call->json, "config", &config_obj) ||
            json_object_is_type(config_obj, json_type_null)) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
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
                        rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
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
        if (rest_parse_body_object(call) == -1 ||
            rest_body_to_config(call, call->json, "config") == -1 ||
            rest_check_config_name(call, req->connector) == -1)
                return -1;
        req->config = call->config;
        return 0;
}

static int rest_prepare_patch_config(rdc_rest_call_t *call,
                                     rdc_request_t *req) {
        json_object *name_obj;

        if (rest_parse_body_object(call) == -1)
                return -1;
        /* Values are checked here so the herder sees strings and nulls
         * (null removes a key) only. */
        json_object_object_foreach(call->json, key, value) {
                json_type type = json_object_get_type(value);

                if (type == json_type_object || type == json_type_array) {
                        rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                         "Value of config key '%s' must be "
                                         "a string or null, not %s",
                                         key, json_type_to_name(type));
                        return -1;
                }
        }
        if (json_object_object_get_ex(call->json, "name", &name_obj) &&
            !json_object_is_type(name_obj, json_type_null) &&
            strcmp(json_object_get_string(name_obj), req->connector)) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Connector name configuration (%s) doesn't "
                                 "match connector name in the URL (%s)",
                                 json_object_get_string(name_obj),
                                 req->connector);
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

static int rest_prepare_offsets(rdc_rest_call_t *call, rdc_request_t *req) {
        if (rest_parse_body_object(call) == -1)
                return -1;
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
                rest_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE,
                                 "Request cannot be completed because the "
                                 "worker is still starting up");
                return;
        }

        memset(&reply, 0, sizeof(reply));
        rdc_herder_request(herder, &req, &reply, RDC_REST_HERDER_TIMEOUT_MS);
        if (reply.status < 100 || reply.status > 599) {
                rest_reply_error(call, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 "Invalid reply status %d from the herder",
                                 reply.status);
        } else if (reply.status >= 400 && !reply.body) {
                reply.message[sizeof(reply.message) - 1] = '\0';
                rest_reply_error(call, reply.status, "%s", reply.message);
        } else {
                rest_reply(call, reply.status, reply.body);
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
        rest_reply(call, MHD_HTTP_SERVICE_UNAVAILABLE, body);
}

/*
 * ---------------------------------------------------------------------
 * Endpoints answered without the herder
 * ---------------------------------------------------------------------
 */

/** @returns a copy of the Kafka cluster id (cached once known), or NULL
 *  when there is no admin client or the cluster did not answer. */
static char *rest_cluster_id(rdc_rest_t *rest) {
        rd_kafka_t *admin;
        char *id, *copy = NULL;

        pthread_mutex_lock(&rest->lock);
        if (rest->cluster_id)
                copy = strdup(rest->cluster_id);
        pthread_mutex_unlock(&rest->lock);
        if (copy)
                return copy;

        admin = __atomic_load_n(&rest->worker->admin, __ATOMIC_ACQUIRE);
        if (!admin)
                return NULL;
        /* Outside the lock: this may wait for metadata. */
        id = rd_kafka_clusterid(admin, RDC_REST_CLUSTER_ID_TIMEOUT_MS);
        if (!id)
                return NULL;
        copy = strdup(id);
        rd_kafka_mem_free(admin, id);
        pthread_mutex_lock(&rest->lock);
        if (!rest->cluster_id && copy)
                rest->cluster_id = strdup(copy);
        pthread_mutex_unlock(&rest->lock);
        return copy;
}

static void rest_on_root(rdc_rest_call_t *call) {
        json_object *body = json_object_new_object();
        char *cluster_id = rest_cluster_id(call->rest);

        if (!body) {
                free(cluster_id);
                rest_reply_oom(call);
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
        rest_reply(call, MHD_HTTP_OK, body);
}

/** Answers with what a rest_plugins.c function produced. */
static void rest_reply_rendered(rdc_rest_call_t *call, int status,
                                json_object *body, const char *errstr) {
        if (status >= 400)
                rest_reply_error(call, status, "%s", errstr);
        else
                rest_reply(call, status, body);
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

        if (rest_parse_body_object(call) == -1 ||
            rest_body_to_config(call, call->json, "config") == -1)
                return;
        status = rdc_rest_plugin_validate(call->rest->worker, call->params[0],
                                          call->config, &body, errstr,
                                          sizeof(errstr));
        rest_reply_rendered(call, status, body, errstr);
}

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

static void rest_on_loggers(rdc_rest_call_t *call) {
        rest_logger_list_t list;
        json_object *body;
        int has_root = 0;
        size_t i;

        if (rest_logger_snapshot(&list) == -1) {
                rest_reply_oom(call);
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
                rest_reply_oom(call);
                return;
        }
        rest_reply(call, MHD_HTTP_OK, body);
}

static const char *rest_logger_name(const char *name) {
        return strcasecmp(name, "root") ? name : "root";
}

static void rest_on_logger_get(rdc_rest_call_t *call) {
        json_object *body = rest_level_object(
                rdc_log_get_level(rest_logger_name(call->params[0])));

        if (!body) {
                rest_reply_oom(call);
                return;
        }
        rest_reply(call, MHD_HTTP_OK, body);
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

static void rest_on_logger_put(rdc_rest_call_t *call) {
        const char *namespace = rest_logger_name(call->params[0]);
        const char **names = NULL;
        json_object *level_obj, *changed = NULL;
        rest_logger_list_t list = {0};
        size_t i, name_cnt = 0;
        int level;

        if (rest_parse_body_object(call) == -1)
                return;
        if (!json_object_object_get_ex(call->json, "level", &level_obj) ||
            !json_object_is_type(level_obj, json_type_string)) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "Desired 'level' parameter was not "
                                 "specified in request.");
                return;
        }
        level = rdc_log_level_parse(json_object_get_string(level_obj));
        if (level < 0) {
                rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                 "invalid log level '%s'.",
                                 json_object_get_string(level_obj));
                return;
        }
        /* Like log4j in Kafka: the namespace and every logger below it
         * (all of them for root) take the level. */
        if (rdc_log_set_tree(namespace, level) == -1) {
                if (errno == ENOSPC)
                        rest_reply_error(call, MHD_HTTP_CONFLICT,
                                         "Cannot set the level of logger "
                                         "'%s': %d loggers have a level "
                                         "already, the most this worker "
                                         "keeps; set a common parent "
                                         "namespace instead",
                                         namespace, RDC_LOG_MAX_LOGGERS);
                else if (errno == ENAMETOOLONG)
                        rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                         "Logger name is longer than %d "
                                         "bytes",
                                         RDC_LOG_MAX_NAME_LEN);
                else
                        rest_reply_oom(call);
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
        rest_reply(call, MHD_HTTP_OK, changed);
        changed = NULL;
        goto done;

oom:
        rest_reply_oom(call);
done:
        json_object_put(changed);
        free(names);
        rest_logger_list_clear(&list);
}

/*
 * ---------------------------------------------------------------------
 * libmicrohttpd's own error answers
 * ---------------------------------------------------------------------
 *
 * MHD answers the requests it cannot parse itself (bad request line or
 * HTTP version, bad Content-Length or chunked encoding, request line or
 * headers beyond the connection memory), before any callback of
 * ours runs, with an HTML page; 0.9.75 has no option or hook to change
 * that. It builds those answers with its own public functions
 * MHD_create_response_from_buffer() and MHD_queue_response(), which
 * Debian's libmicrohttpd12 calls through its PLT. So both are defined
 * here: a definition in the executable takes precedence over the
 * library's for the library's own calls too. The page MHD passes is kept
 * (same thread, just before it queues it) and Kafka's JSON error body,
 * with the page's text as message, is queued in its place. rdconnect's own
 * answers call the library's functions directly (rest_mhd). A build that
 * binds those calls inside the library would bring MHD's HTML back;
 * tests/blackbox/test_rest_hostile.py would then fail.
 */

/**
 * Writes a whole JSON error answer straight to a connection's socket, for
 * the answers MHD's queue cannot carry: a bad Content-Length (see below)
 * and the request deadline's 408.
 */
static void rest_send_raw_error(int fd, unsigned int status,
                                const char *message) {
        json_object *body = rest_error_body((int)status, message);
        const char *text =
                body ? json_object_to_json_string_ext(body, RDC_REST_JSON_FLAGS)
                     : NULL;
        const char *reason = MHD_get_reason_phrase_for(status);
        char *answer = NULL;
        int len;

        if (text) {
                len = asprintf(&answer,
                               "HTTP/1.1 %u %s\r\nConnection: close\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: %zu\r\n\r\n%s",
                               status, reason && *reason ? reason : "Error",
                               strlen(text), text);
                if (len < 0)
                        answer = NULL;
                else /* a client gone or not reading just misses it */
                        (void)send(fd, answer, (size_t)len,
                                   MSG_NOSIGNAL | MSG_DONTWAIT);
        }
        free(answer);
        json_object_put(body);
}

typedef struct MHD_Response *(*rest_create_fn)(size_t, void *,
                                               enum MHD_ResponseMemoryMode);
typedef enum MHD_Result (*rest_queue_fn)(struct MHD_Connection *, unsigned int,
                                         struct MHD_Response *);

static struct {
        pthread_once_t once;
        rest_create_fn create;
        rest_queue_fn queue;
} rest_mhd = {.once = PTHREAD_ONCE_INIT};

/* The page MHD built last on this thread, until it queues it. */
static _Thread_local const char *rest_mhd_page;
static _Thread_local size_t rest_mhd_page_len;

static void rest_mhd_resolve(void) {
        rest_mhd.create = (rest_create_fn)dlsym(
                RTLD_NEXT, "MHD_create_response_from_buffer");
        rest_mhd.queue = (rest_queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
}

static struct MHD_Response *rest_mhd_create(size_t size, void *buffer,
                                            enum MHD_ResponseMemoryMode mode) {
        pthread_once(&rest_mhd.once, rest_mhd_resolve);
        return rest_mhd.create ? rest_mhd.create(size, buffer, mode) : NULL;
}

static enum MHD_Result rest_mhd_queue(struct MHD_Connection *conn,
                                      unsigned int status,
                                      struct MHD_Response *response) {
        pthread_once(&rest_mhd.once, rest_mhd_resolve);
        return rest_mhd.queue ? rest_mhd.queue(conn, status, response) : MHD_NO;
}

/** The text of an MHD error page: its body without tags and entities. */
static void rest_mhd_page_text(const char *page, size_t len, char *out,
                               size_t out_size) {
        const char *end = page + len, *p;
        size_t n = 0;

        p = memmem(page, len, "<body>", 6);
        p = p ? p + 6 : page;
        while (p < end && n + 1 < out_size && strncmp(p, "</body>", 7)) {
                if (*p == '<') {
                        p = memchr(p, '>', (size_t)(end - p));
                        p = p ? p + 1 : end;
                } else if (*p == '&') {
                        const char *semi = memchr(p, ';', (size_t)(end - p));

                        out[n++] = !strncmp(p, "&quot;", 6) ? '"' : '?';
                        p = semi ? semi + 1 : end;
                } else {
                        out[n++] = *p++;
                }
        }
        out[n] = '\0';
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buffer,
                                enum MHD_ResponseMemoryMode mode) {
        /* Only MHD gets here: its error pages are static HTML. */
        if (mode == MHD_RESPMEM_PERSISTENT && buffer && size > 6 &&
            !strncmp(buffer, "<html>", 6)) {
                rest_mhd_page = buffer;
                rest_mhd_page_len = size;
        }
        return rest_mhd_create(size, buffer, mode);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *conn,
                                   unsigned int status,
                                   struct MHD_Response *response) {
        struct MHD_Response *json_response = NULL;
        char message[512];
        json_object *body;
        const char *text;
        size_t len = 0;
        enum MHD_Result ret;

        if (status < 400)
                return rest_mhd_queue(conn, status, response);
        if (rest_mhd_page)
                rest_mhd_page_text(rest_mhd_page, rest_mhd_page_len, message,
                                   sizeof(message));
        else
                snprintf(message, sizeof(message), "HTTP %u", status);
        rdc_log_info(RDC_REST_LOGGER, "Refused a malformed request: %u %s",
                     status, message);
        /* MHD 0.9.75 refuses a bad Content-Length (or a missing Host) in
         * parse_connection_headers(), whose caller then moves the
         * connection on as if all were well: the status line and headers
         * go out twice, a broken answer with any body. For those pages
         * the answer is written here and MHD told it could not queue one,
         * upon which it closes the connection. */
        if (rest_mhd_page &&
            (memmem(rest_mhd_page, rest_mhd_page_len, "Content-Length", 14) ||
             memmem(rest_mhd_page, rest_mhd_page_len, "Host:", 5))) {
                const union MHD_ConnectionInfo *info = MHD_get_connection_info(
                        conn, MHD_CONNECTION_INFO_CONNECTION_FD);

                rest_mhd_page = NULL;
                if (info)
                        rest_send_raw_error(info->connect_fd, status, message);
                return MHD_NO;
        }
        rest_mhd_page = NULL;
        body = rest_error_body((int)status, message);
        text = body ? json_object_to_json_string_length(
                              body, RDC_REST_JSON_FLAGS, &len)
                    : NULL;
        if (text)
                json_response = rest_mhd_create(len, (void *)text,
                                                MHD_RESPMEM_MUST_COPY);
        json_object_put(body);
        if (!json_response)
                return rest_mhd_queue(conn, status, response);
        MHD_add_response_header(json_response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "application/json");
        ret = rest_mhd_queue(conn, status, json_response);
        MHD_destroy_response(json_response);
        return ret;
}

/*
 * ---------------------------------------------------------------------
 * MHD callbacks
 * ---------------------------------------------------------------------
 */

static void rest_conn_set_state(rdc_rest_t *rest, struct MHD_Connection *conn,
                                rest_conn_state_t state);

static void rest_call_free(rdc_rest_call_t *call) {
        if (!call)
                return;
        free(call->uri);
        free(call->path);
        free(call->body);
        free(call->name);
        free(call->location);
        json_object_put(call->json);
        json_object_put(call->reply);
        if (call->config)
                rdc_map_destroy(call->config);
        free(call);
}

/** Called first, with the raw URI (MHD unescapes the one it passes to
 *  the access handler, which would turn %2F into a separator). */
static void *rest_on_uri(void *cls, const char *uri,
                         struct MHD_Connection *conn) {
        rdc_rest_call_t *call = calloc(1, sizeof(*call));

        if (!call)
                return NULL;
        call->rest = cls;
        call->conn = conn;
        rest_conn_set_state(cls, conn, RDC_REST_CONN_RECEIVING);
        clock_gettime(CLOCK_MONOTONIC, &call->started);
        call->uri = strdup(uri ? uri : "");
        if (!call->uri) {
                free(call);
                return NULL;
        }
        return call;
}

static void rest_on_completed(void *cls, struct MHD_Connection *conn,
                              void **con_cls,
                              enum MHD_RequestTerminationCode toe) {
        (void)toe;
        rest_conn_set_state(cls, conn, RDC_REST_CONN_IDLE);
        rest_call_free(*con_cls);
        *con_cls = NULL;
}

static void rest_on_mhd_log(void *cls, const char *fmt, va_list ap) {
        char line[512];
        size_t len;

        (void)cls;
        vsnprintf(line, sizeof(line), fmt, ap);
        len = strlen(line);
        while (len > 0 && line[len - 1] == '\n')
                line[--len] = '\0';
        rdc_log_warn(RDC_REST_LOGGER, "%s", line);
}

static void rest_log_access(rdc_rest_call_t *call, size_t len) {
        const union MHD_ConnectionInfo *info;
        char host[NI_MAXHOST] = "-";
        struct timespec now;
        long long ms;

        if (!rdc_log_enabled(RDC_LOG_INFO, RDC_REST_LOGGER))
                return;
        info = MHD_get_connection_info(call->conn,
                                       MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        if (info && info->client_addr)
                getnameinfo(info->client_addr,
                            info->client_addr->sa_family == AF_INET6
                                    ? sizeof(struct sockaddr_in6)
                                    : sizeof(struct sockaddr_in),
                            host, sizeof(host), NULL, 0, NI_NUMERICHOST);
        clock_gettime(CLOCK_MONOTONIC, &now);
        ms = (now.tv_sec - call->started.tv_sec) * 1000LL +
             (now.tv_nsec - call->started.tv_nsec) / 1000000;
        rdc_log_info(RDC_REST_LOGGER, "%s \"%s %s\" %d %zu %lldms", host,
                     call->method ? call->method : "-", call->uri, call->status,
                     len, ms);
}

static enum MHD_Result rest_respond(rdc_rest_call_t *call) {
        struct MHD_Response *response;
        const char *text = "";
        size_t len = 0;
        enum MHD_Result ret;

        if (call->status == 0)
                rest_reply_error(call, MHD_HTTP_INTERNAL_SERVER_ERROR,
                                 "No answer");
        if (call->reply)
                text = json_object_to_json_string_length(
                        call->reply, RDC_REST_JSON_FLAGS, &len);
        if (!text)
                len = 0;
        response = rest_mhd_create(len, (void *)text, MHD_RESPMEM_MUST_COPY);
        if (!response)
                return MHD_NO;
        if (len > 0)
                MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                                        "application/json");
        if (call->location)
                MHD_add_response_header(response, MHD_HTTP_HEADER_LOCATION,
                                        call->location);
        ret = rest_mhd_queue(call->conn, (unsigned int)call->status, response);
        MHD_destroy_response(response);
        rest_log_access(call, len);
        return ret;
}

static void rest_reply_too_large(rdc_rest_call_t *call) {
        rest_reply_error(call, MHD_HTTP_CONTENT_TOO_LARGE,
                         "Request body is larger than "
                         "rest.max.request.bytes (%zu bytes)",
                         call->rest->max_request_bytes);
}

/** Keeps body bytes up to the limit; beyond it the rest is dropped. */
static void rest_append_body(rdc_rest_call_t *call, const char *data,
                             size_t len) {
        size_t max = call->rest->max_request_bytes;

        if (call->body_too_large)
                return;
        if (len > max - call->body_len) {
                call->body_too_large = 1;
                free(call->body);
                call->body = NULL;
                call->body_len = call->body_size = 0;
                return;
        }
        if (call->body_len + len + 1 > call->body_size) {
                size_t size = call->body_size ? call->body_size : 1024;
                char *body;

                while (size < call->body_len + len + 1)
                        size *= 2;
                if (size > max + 1)
                        size = max + 1;
                body = realloc(call->body, size);
                if (!body) {
                        /* Reported as too large: it did not fit. */
                        call->body_too_large = 1;
                        return;
                }
                call->body = body;
                call->body_size = size;
        }
        memcpy(call->body + call->body_len, data, len);
        call->body_len += len;
        call->body[call->body_len] = '\0';
}

/** First call, headers only: route, and refuse a declared body that is
 *  too large before reading it. @returns 1 if an answer is ready. */
static int rest_on_headers(rdc_rest_call_t *call, const char *method) {
        const char *length;

        call->method = method;
        rest_route(call);
        length = MHD_lookup_connection_value(call->conn, MHD_HEADER_KIND,
                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length) {
                char *end;
                unsigned long long declared;

                errno = 0;
                declared = strtoull(length, &end, 10);
                if (errno || declared > call->rest->max_request_bytes) {
                        rest_reply_too_large(call);
                        return 1;
                }
        }
        return 0;
}

/*
 * The request deadline. MHD's connection timeout is an idle timeout: one
 * byte every few seconds keeps a connection, and its thread, forever.
 * Each connection gets a deadline by which its next request must have
 * fully arrived (set when it opens and when a request completes); the
 * reaper shuts overdue ones down, which makes MHD's own thread see the end
 * of the stream and close the connection. MHD calls the CLOSED
 * notification before it closes the descriptor, and both sides hold
 * conn_lock, so the reaper never touches a descriptor that was reused.
 */

static void rest_on_connection(void *cls, struct MHD_Connection *conn,
                               void **socket_context,
                               enum MHD_ConnectionNotificationCode code) {
        rdc_rest_t *rest = cls;
        rest_conn_t *c = *socket_context;

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *info = MHD_get_connection_info(
                        conn, MHD_CONNECTION_INFO_CONNECTION_FD);

                c = info ? calloc(1, sizeof(*c)) : NULL;
                *socket_context = c;
                if (!c)
                        return; /* untracked: MHD's idle timeout only */
                c->fd = info->connect_fd;
                pthread_mutex_lock(&rest->conn_lock);
                c->deadline = rdc_clock_now_ms() + rest->request_timeout_ms;
                c->next = rest->conns;
                if (rest->conns)
                        rest->conns->prev = c;
                rest->conns = c;
                pthread_mutex_unlock(&rest->conn_lock);
                return;
        }
        if (!c)
                return;
        pthread_mutex_lock(&rest->conn_lock);
        if (c->prev)
                c->prev->next = c->next;
        else
                rest->conns = c->next;
        if (c->next)
                c->next->prev = c->prev;
        pthread_mutex_unlock(&rest->conn_lock);
        free(c);
        *socket_context = NULL;
}

/** Moves the connection's request on; once answered (idle again), the
 *  next request's deadline starts. */
static void rest_conn_set_state(rdc_rest_t *rest, struct MHD_Connection *conn,
                                rest_conn_state_t state) {
        const union MHD_ConnectionInfo *info = MHD_get_connection_info(
                conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
        rest_conn_t *c = info ? info->socket_context : NULL;

        if (!c)
                return;
        pthread_mutex_lock(&rest->conn_lock);
        c->state = state;
        if (state == RDC_REST_CONN_IDLE)
                c->deadline = rdc_clock_now_ms() + rest->request_timeout_ms;
        pthread_mutex_unlock(&rest->conn_lock);
}

/**
 * Ends an overdue connection. A client whose request line came in is told
 * why (best effort: nothing else writes to a connection whose request has
 * not arrived); an idle keep-alive connection is closed without a word,
 * or its client could read the 408 as the answer to its next request.
 */
static void rest_conn_cut(const rdc_rest_t *rest, rest_conn_t *c) {
        char message[128];

        if (c->state == RDC_REST_CONN_RECEIVING) {
                snprintf(message, sizeof(message),
                         "Request not received within "
                         "rest.request.timeout.ms (%" PRId64 " ms)",
                         rest->request_timeout_ms);
                rest_send_raw_error(c->fd, MHD_HTTP_REQUEST_TIMEOUT, message);
        }
        shutdown(c->fd, SHUT_RDWR);
        c->cut = 1;
}

static void *rest_reaper_main(void *arg) {
        rdc_rest_t *rest = arg;
        /* Checks a few times per deadline, at least once a second. */
        int64_t period = rest->request_timeout_ms / 4 < 1000
                                 ? rest->request_timeout_ms / 4
                                 : 1000;

        pthread_mutex_lock(&rest->conn_lock);
        while (!rest->stopping) {
                struct timespec wake = rdc_clock_deadline(period);
                int64_t now = rdc_clock_now_ms();
                size_t cut = 0;
                rest_conn_t *c;

                for (c = rest->conns; c; c = c->next) {
                        if (c->state == RDC_REST_CONN_BUSY || c->cut ||
                            now < c->deadline)
                                continue;
                        rest_conn_cut(rest, c);
                        cut++;
                }
                if (cut)
                        rdc_log_warn(RDC_REST_LOGGER,
                                     "Closed %zu connection(s) whose request "
                                     "did not arrive within "
                                     "rest.request.timeout.ms (%" PRId64 " ms)",
                                     cut, rest->request_timeout_ms);
                pthread_cond_timedwait(&rest->conn_cond, &rest->conn_lock,
                                       &wake);
        }
        pthread_mutex_unlock(&rest->conn_lock);
        return NULL;
}

/**
 * MHD hands the request target over as a C string, so a raw NUL in it
 * would cut "/connectors/a\0b" to "/connectors/a" and answer for "a".
 * MHD parses the request line in place: the target starts at url and the
 * version follows it after one separator, so a target longer than the
 * string rest_on_uri saw holds a NUL.
 */
static int rest_target_has_nul(const rdc_rest_call_t *call, const char *url,
                               const char *version) {
        size_t seen = strlen(call->uri);

        if (!url || !version || !*version || version <= url ||
            (size_t)(version - url) > RDC_REST_CONNECTION_MEMORY)
                return 0; /* not that layout: nothing to conclude */
        return (size_t)(version - url) > seen + 1;
}

static enum MHD_Result rest_on_request(void *cls, struct MHD_Connection *conn,
                                       const char *url, const char *method,
                                       const char *version,
                                       const char *upload_data,
                                       size_t *upload_data_size,
                                       void **con_cls) {
        rdc_rest_call_t *call = *con_cls;

        (void)cls;
        if (!call)
                return MHD_NO; /* out of memory in rest_on_uri */
        call->conn = conn;

        if (!call->headers_seen) {
                call->headers_seen = 1;
                if (rest_target_has_nul(call, url, version)) {
                        call->method = method;
                        rest_reply_error(call, MHD_HTTP_BAD_REQUEST,
                                         "Malformed URL path: NUL character "
                                         "in the request target");
                        rest_conn_set_state(call->rest, conn,
                                            RDC_REST_CONN_BUSY);
                        return rest_respond(call);
                }
                if (rest_on_headers(call, method)) {
                        rest_conn_set_state(call->rest, conn,
                                            RDC_REST_CONN_BUSY);
                        return rest_respond(call);
                }
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                rest_append_body(call, upload_data, *upload_data_size);
                *upload_data_size = 0;
                return MHD_YES;
        }

        rest_conn_set_state(call->rest, conn, RDC_REST_CONN_BUSY);
        if (call->body_too_large)
                rest_reply_too_large(call);
        else if (call->route && call->status == 0)
                call->route->handler(call);
        return rest_respond(call);
}

/*
 * ---------------------------------------------------------------------
 * Listeners and start-up
 * ---------------------------------------------------------------------
 */

typedef struct rest_listener {
        char host[256]; /* without brackets; "" = all interfaces */
        int port;
        int fd;
        int family;
        int bound_port;
} rest_listener_t;

/** Parses "http://host:port" (host may be empty or [IPv6]).
 *  @returns 0 or -1 with errstr. */
static int rest_listener_parse(const char *url, rest_listener_t *out,
                               char *errstr, size_t errstr_size) {
        const char *p, *host, *host_end, *port_text;
        char *end;
        long port;

        memset(out, 0, sizeof(*out));
        out->fd = -1;
        p = strstr(url, "://");
        if (!p) {
                snprintf(errstr, errstr_size,
                         "listeners: invalid listener '%s': expected "
                         "http://host:port",
                         url);
                return -1;
        }
        if ((size_t)(p - url) != 4 || strncasecmp(url, "http", 4)) {
                snprintf(errstr, errstr_size,
                         "listeners: unsupported listener '%s': only http "
                         "is supported%s",
                         url,
                         !strncasecmp(url, "https://", 8)
                                 ? " (https is not implemented yet)"
                                 : "");
                return -1;
        }
        host = p + 3;
        if (*host == '[') {
                host_end = strchr(host, ']');
                if (!host_end || host_end[1] != ':')
                        goto bad;
                host++;
                port_text = host_end + 2;
        } else {
                host_end = strrchr(host, ':');
                if (!host_end || memchr(host, ':', host_end - host))
                        goto bad;
                port_text = host_end + 1;
        }
        if ((size_t)(host_end - host) >= sizeof(out->host))
                goto bad;
        memcpy(out->host, host, host_end - host);
        errno = 0;
        port = strtol(port_text, &end, 10);
        if (end == port_text || errno || port < 0 || port > 65535 ||
            (*end && strcmp(end, "/")))
                goto bad;
        out->port = (int)port;
        return 0;

bad:
        snprintf(errstr, errstr_size,
                 "listeners: invalid listener '%s': expected "
                 "http://host:port with a port 0-65535",
                 url);
        return -1;
}

/** Opens one listening socket on addr. @returns fd or -1 (errno set). */
static int rest_socket_listen(const struct sockaddr *addr, socklen_t len,
                              int dual_stack) {
        int fd, one = 1, zero = 0;

        fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd == -1)
                return -1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (addr->sa_family == AF_INET6)
                setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY,
                           dual_stack ? &zero : &one, sizeof(int));
        if (bind(fd, addr, len) == -1 || listen(fd, 128) == -1 ||
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
                int saved = errno;

                close(fd);
                errno = saved;
                return -1;
        }
        return fd;
}

/** Binds a listener: an empty host is every interface (IPv6 dual stack,
 *  else IPv4); a name binds its first address that works. */
static int rest_listener_bind(rest_listener_t *l, const char *url, char *errstr,
                              size_t errstr_size) {
        struct addrinfo hints = {0}, *res = NULL, *ai;
        struct sockaddr_storage bound;
        socklen_t bound_len = sizeof(bound);
        char port[16];
        int rc, saved = 0;

        snprintf(port, sizeof(port), "%d", l->port);
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        if (!*l->host)
                hints.ai_family = AF_INET6;
        rc = getaddrinfo(*l->host ? l->host : NULL, port, &hints, &res);
        if (rc != 0 && !*l->host) {
                hints.ai_family = AF_INET;
                rc = getaddrinfo(NULL, port, &hints, &res);
        }
        if (rc != 0) {
                snprintf(errstr, errstr_size,
                         "listeners: cannot resolve host of '%s': %s", url,
                         gai_strerror(rc));
                return -1;
        }
        for (ai = res; ai && l->fd == -1; ai = ai->ai_next) {
                l->fd = rest_socket_listen(ai->ai_addr, ai->ai_addrlen,
                                           !*l->host);
                if (l->fd == -1)
                        saved = errno;
                else
                        l->family = ai->ai_family;
        }
        freeaddrinfo(res);
        if (l->fd == -1 && !*l->host) {
                /* No IPv6 on this host: every IPv4 interface instead. */
                struct sockaddr_in any4 = {.sin_family = AF_INET,
                                           .sin_port = htons(l->port)};

                any4.sin_addr.s_addr = htonl(INADDR_ANY);
                l->fd = rest_socket_listen((struct sockaddr *)&any4,
                                           sizeof(any4), 0);
                if (l->fd == -1)
                        saved = errno;
                else
                        l->family = AF_INET;
        }
        if (l->fd == -1) {
                snprintf(errstr, errstr_size, "listeners: cannot bind '%s': %s",
                         url, strerror(saved));
                return -1;
        }
        if (getsockname(l->fd, (struct sockaddr *)&bound, &bound_len) == 0)
                l->bound_port = ntohs(
                        bound.ss_family == AF_INET6
                                ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                : ((struct sockaddr_in *)&bound)->sin_port);
        return 0;
}

static const char *rest_config(const rdc_worker_t *worker, const char *key) {
        const char *value =
                worker->config ? rdc_map_get(worker->config, key) : NULL;

        return value && *value ? value : NULL;
}

/**
 * Sets worker_id and rest_url: rest.advertised.host.name/port if set,
 * else the first listener's host (every interface: this host's name) and
 * the port it is bound to.
 */
static int rest_advertise(rdc_worker_t *worker, const rest_listener_t *l,
                          char *errstr, size_t errstr_size) {
        const char *host = rest_config(worker, "rest.advertised.host.name");
        const char *port_text = rest_config(worker, "rest.advertised.port");
        const char *scheme = rest_config(worker, "rest.advertised.listener");
        char hostname[256];
        int64_t port = l->bound_port;
        int bracket;

        if (scheme && strcasecmp(scheme, "http")) {
                snprintf(errstr, errstr_size,
                         "rest.advertised.listener: '%s' is not supported: "
                         "only http listeners exist",
                         scheme);
                return -1;
        }
        if (port_text && (rdc_config_parse_int64(port_text, &port) == -1 ||
                          port < 1 || port > 65535)) {
                snprintf(errstr, errstr_size,
                         "rest.advertised.port: invalid port '%s'", port_text);
                return -1;
        }
        if (!host) {
                host = l->host;
                if (!*host || !strcmp(host, "0.0.0.0") || !strcmp(host, "::")) {
                        if (gethostname(hostname, sizeof(hostname)) == -1)
                                snprintf(hostname, sizeof(hostname),
                                         "localhost");
                        hostname[sizeof(hostname) - 1] = '\0';
                        host = hostname;
                }
        }
        bracket = strchr(host, ':') != NULL && host[0] != '[';
        if ((size_t)snprintf(worker->worker_id, sizeof(worker->worker_id),
                             "%s%s%s:%" PRId64, bracket ? "[" : "", host,
                             bracket ? "]" : "",
                             port) >= sizeof(worker->worker_id)) {
                snprintf(errstr, errstr_size,
                         "rest.advertised.host.name: host name too long");
                return -1;
        }
        snprintf(worker->rest_url, sizeof(worker->rest_url), "http://%s/",
                 worker->worker_id);
        return 0;
}

/** Reads an integer worker key within [min, max], dflt when unset.
 *  @returns 0 or -1 with errstr naming the key. */
static int rest_read_int(const rdc_rest_t *rest, const char *key, int64_t dflt,
                         int64_t min, int64_t max, int64_t *out, char *errstr,
                         size_t errstr_size) {
        const char *text = rest_config(rest->worker, key);

        *out = dflt;
        if (text && (rdc_config_parse_int64(text, out) == -1 || *out < min ||
                     *out > max)) {
                snprintf(errstr, errstr_size,
                         "%s: invalid value '%s': expected an integer from "
                         "%" PRId64 " to %" PRId64,
                         key, text, min, max);
                return -1;
        }
        return 0;
}

static int rest_read_limits(rdc_rest_t *rest, char *errstr,
                            size_t errstr_size) {
        int64_t bytes, conns, per_ip;

        if (rest_read_int(rest, "rest.max.request.bytes",
                          RDC_REST_DEFAULT_MAX_REQUEST_BYTES, 1, INT32_MAX,
                          &bytes, errstr, errstr_size) == -1 ||
            rest_read_int(rest, "rest.connections.max",
                          RDC_REST_DEFAULT_CONNECTIONS_MAX, 1, 100000, &conns,
                          errstr, errstr_size) == -1 ||
            rest_read_int(rest, "rest.connections.max.per.ip",
                          RDC_REST_DEFAULT_CONNECTIONS_MAX_PER_IP, 0, 100000,
                          &per_ip, errstr, errstr_size) == -1 ||
            rest_read_int(rest, "rest.request.timeout.ms",
                          RDC_REST_DEFAULT_REQUEST_TIMEOUT_MS, 100, 3600000,
                          &rest->request_timeout_ms, errstr, errstr_size) == -1)
                return -1;
        rest->max_request_bytes = (size_t)bytes;
        rest->connections_max = (unsigned int)conns;
        rest->connections_max_per_ip = (unsigned int)per_ip;
        return 0;
}

static struct MHD_Daemon *rest_daemon_start(rdc_rest_t *rest,
                                            const rest_listener_t *l) {
        unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
                             MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                             MHD_USE_ITC | MHD_USE_ERROR_LOG;

        if (l->family == AF_INET6)
                flags |= MHD_USE_IPv6;
        return MHD_start_daemon(
                flags, 0, NULL, NULL, rest_on_request, rest,
                MHD_OPTION_EXTERNAL_LOGGER, rest_on_mhd_log, rest,
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket)l->fd,
                MHD_OPTION_URI_LOG_CALLBACK, rest_on_uri, rest,
                MHD_OPTION_NOTIFY_COMPLETED, rest_on_completed, rest,
                MHD_OPTION_NOTIFY_CONNECTION, rest_on_connection, rest,
                MHD_OPTION_CONNECTION_LIMIT, rest->connections_max,
                MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                rest->connections_max_per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned int)RDC_REST_IDLE_TIMEOUT_S,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                (size_t)RDC_REST_CONNECTION_MEMORY, MHD_OPTION_END);
}

rdc_rest_t *rdc_rest_start(rdc_worker_t *worker, char *errstr,
                           size_t errstr_size) {
        rest_listener_t listeners[RDC_REST_MAX_LISTENERS];
        const char *spec = rest_config(worker, "listeners");
        size_t cnt = 0, i;
        rdc_rest_t *rest;
        char *copy = NULL, *item, *save = NULL;

        rest = calloc(1, sizeof(*rest));
        if (!rest) {
                snprintf(errstr, errstr_size, "Out of memory");
                return NULL;
        }
        rest->worker = worker;
        pthread_mutex_init(&rest->lock, NULL);
        pthread_mutex_init(&rest->conn_lock, NULL);
        rdc_clock_cond_init(&rest->conn_cond);
        if (rest_read_limits(rest, errstr, errstr_size) == -1)
                goto fail;
        if (pthread_create(&rest->reaper, NULL, rest_reaper_main, rest)) {
                snprintf(errstr, errstr_size,
                         "listeners: cannot start the REST reaper thread");
                goto fail;
        }
        rest->reaper_running = 1;

        copy = strdup(spec ? spec : RDC_REST_DEFAULT_LISTENERS);
        if (!copy) {
                snprintf(errstr, errstr_size, "Out of memory");
                goto fail;
        }
        for (item = strtok_r(copy, ",", &save); item;
             item = strtok_r(NULL, ",", &save)) {
                size_t len;

                item += strspn(item, " \t");
                len = strlen(item);
                while (len > 0 && strchr(" \t", item[len - 1]))
                        item[--len] = '\0';
                if (!*item)
                        continue;
                if (cnt == RDC_REST_MAX_LISTENERS) {
                        snprintf(errstr, errstr_size,
                                 "listeners: more than %d listeners",
                                 RDC_REST_MAX_LISTENERS);
                        goto fail;
                }
                if (rest_listener_parse(item, &listeners[cnt], errstr,
                                        errstr_size) == -1)
                        goto fail;
                cnt++;
                if (rest_listener_bind(&listeners[cnt - 1], item, errstr,
                                       errstr_size) == -1)
                        goto fail;
        }
        if (cnt == 0) {
                snprintf(errstr, errstr_size, "listeners: no listener in '%s'",
                         spec ? spec : "");
                goto fail;
        }
        /* Advertised before serving: a 201 answer's Location needs it. */
        if (rest_advertise(worker, &listeners[0], errstr, errstr_size) == -1)
                goto fail;

        for (i = 0; i < cnt; i++) {
                rest->daemons[i] = rest_daemon_start(rest, &listeners[i]);
                if (!rest->daemons[i]) {
                        snprintf(errstr, errstr_size,
                                 "listeners: cannot start the HTTP server "
                                 "on port %d",
                                 listeners[i].bound_port);
                        goto fail;
                }
                /* MHD closes the socket when the daemon stops. */
                listeners[i].fd = -1;
                rest->daemon_cnt++;
                rdc_log_info(RDC_REST_LOGGER,
                             "REST server listening on http://%s%s%s:%d/",
                             listeners[i].family == AF_INET6 ? "[" : "",
                             *listeners[i].host ? listeners[i].host
                             : listeners[i].family == AF_INET6 ? "::"
                                                               : "0.0.0.0",
                             listeners[i].family == AF_INET6 ? "]" : "",
                             listeners[i].bound_port);
        }
        rdc_log_info(RDC_REST_LOGGER, "Advertised URI: %s", worker->rest_url);
        free(copy);
        return rest;

fail:
        for (i = 0; i < cnt; i++)
                if (listeners[i].fd != -1)
                        close(listeners[i].fd);
        free(copy);
        rdc_rest_stop(rest);
        return NULL;
}

void rdc_rest_stop(rdc_rest_t *rest) {
        size_t i;

        if (!rest)
                return;
        if (rest->reaper_running) {
                pthread_mutex_lock(&rest->conn_lock);
                rest->stopping = 1;
                pthread_cond_signal(&rest->conn_cond);
                pthread_mutex_unlock(&rest->conn_lock);
                pthread_join(rest->reaper, NULL);
        }
        /* Waits for the connection threads, hence for requests still
         * waiting on the herder: stop REST before the herder. */
        for (i = 0; i < rest->daemon_cnt; i++)
                MHD_stop_daemon(rest->daemons[i]);
        pthread_cond_destroy(&rest->conn_cond);
        pthread_mutex_destroy(&rest->conn_lock);
        pthread_mutex_destroy(&rest->lock);
        free(rest->cluster_id);
        free(rest);
}
