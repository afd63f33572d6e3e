/*
 * Unit tests of the REST server (runtime/rest/) without
 * a herder: a hand-built worker (config map, registry over the built
 * plugins) serves on a free loopback port and is driven with raw HTTP
 * over sockets. Covers routing and error bodies, body limits and hostile
 * bodies (text that is not strict UTF-8, NUL), the errors libmicrohttpd
 * answers itself, the request deadline, the plugin and logger endpoints
 * (and the logger cap), listener parsing and the advertised address, and
 * many concurrent clients. Connector endpoints
 * (herder) are covered by tests/blackbox/test_rest_*.py.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "core/log.h"
#include "core/map.h"
#include "plugins/registry.h"
#include "rest/rest.h"
#include "core/utf8.h"
#include "worker/worker.h"

#define FILE_SOURCE   "org.apache.kafka.connect.file.FileStreamSourceConnector"
#define FILE_SINK     "org.apache.kafka.connect.file.FileStreamSinkConnector"
#define MAX_BYTES     4096
#define IO_TIMEOUT_MS 10000

/* ------------------------------------------------------------ fixture */

typedef struct server {
        rdc_worker_t worker;
        rdc_rest_t *rest;
        int port;
} server_t;

static server_t g_server;

static int port_of(const rdc_worker_t *worker) {
        const char *colon = strrchr(worker->worker_id, ':');

        return colon ? atoi(colon + 1) : -1;
}

/** Starts a server on 127.0.0.1:0 with extra "key=value" settings. */
static rdc_rest_t *server_start(server_t *srv, const char *const *settings,
                                char *errstr, size_t errstr_size) {
        memset(srv, 0, sizeof(*srv));
        srv->worker.config = rdc_map_new();
        assert_non_null(srv->worker.config);
        assert_int_equal(rdc_map_set(srv->worker.config, "listeners",
                                     "http://127.0.0.1:0"),
                         0);
        for (; settings && *settings; settings += 2)
                assert_int_equal(rdc_map_set(srv->worker.config, settings[0],
                                             settings[1]),
                                 0);
        srv->worker.registry = rdc_registry_new(RDC_TEST_PLUGIN_DIR, NULL);
        assert_non_null(srv->worker.registry);
        rdc_registry_scan(srv->worker.registry);
        srv->rest = rdc_rest_start(&srv->worker, errstr, errstr_size);
        srv->port = port_of(&srv->worker);
        return srv->rest;
}

static void server_stop(server_t *srv) {
        rdc_rest_stop(srv->rest);
        rdc_registry_destroy(srv->worker.registry);
        rdc_map_destroy(srv->worker.config);
        memset(srv, 0, sizeof(*srv));
}

static int group_setup(void **state) {
        static const char *const settings[] = {"rest.max.request.bytes", "4096",
                                               NULL};
        char errstr[512];

        (void)state;
        if (!server_start(&g_server, settings, errstr, sizeof(errstr))) {
                fprintf(stderr, "server start: %s\n", errstr);
                return -1;
        }
        return 0;
}

static int group_teardown(void **state) {
        (void)state;
        server_stop(&g_server);
        return 0;
}

/* --------------------------------------------------------- raw HTTP */

typedef struct http_reply {
        int status;
        char *head; /* status line and headers */
        char *body;
        size_t body_len;
        json_object *json; /* parsed body, or NULL */
} http_reply_t;

static void http_reply_clear(http_reply_t *r) {
        free(r->head);
        json_object_put(r->json);
        memset(r, 0, sizeof(*r));
}

static int http_connect(int port) {
        struct sockaddr_in addr = {.sin_family = AF_INET,
                                   .sin_port = htons((uint16_t)port)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0)
                return -1;
        if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == -1) {
                close(fd);
                return -1;
        }
        return fd;
}

static int send_all(int fd, const char *data, size_t len) {
        while (len > 0) {
                ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                data += n;
                len -= (size_t)n;
        }
        return 0;
}

/** Reads until the server closes, bounded in time. */
static char *recv_all(int fd, size_t *len) {
        size_t size = 4096;
        char *buf = malloc(size);

        *len = 0;
        while (buf) {
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                ssize_t n;

                if (poll(&pfd, 1, IO_TIMEOUT_MS) <= 0)
                        break;
                if (*len + 1024 > size) {
                        char *grown = realloc(buf, size * 2);

                        if (!grown)
                                break;
                        buf = grown;
                        size *= 2;
                }
                n = recv(fd, buf + *len, size - *len - 1, 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                *len += (size_t)n;
        }
        if (buf)
                buf[*len] = '\0';
        return buf;
}

/** Sends raw bytes (a whole request) and parses the answer. */
static void http_raw(int port, const char *request, size_t len,
                     http_reply_t *r) {
        int fd = http_connect(port);
        size_t got;
        char *sep;

        memset(r, 0, sizeof(*r));
        assert_true(fd >= 0);
        /* The server may answer early (413) and close: not a failure. */
        send_all(fd, request, len);
        shutdown(fd, SHUT_WR);
        r->head = recv_all(fd, &got);
        close(fd);
        assert_non_null(r->head);
        assert_int_equal(sscanf(r->head, "HTTP/1.%*d %d", &r->status), 1);
        sep = strstr(r->head, "\r\n\r\n");
        assert_non_null(sep);
        *sep = '\0';
        r->body = sep + 4;
        r->body_len = got - (size_t)(r->body - r->head);
        if (r->body_len > 0)
                r->json = json_tokener_parse(r->body);
}

static void http(const char *method, const char *path, const char *body,
                 http_reply_t *r) {
        char *request = NULL;
        int len;

        if (body)
                len = asprintf(&request,
                               "%s %s HTTP/1.1\r\nHost: localhost\r\n"
                               "Connection: close\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: %zu\r\n\r\n%s",
                               method, path, strlen(body), body);
        else
                len = asprintf(&request,
                               "%s %s HTTP/1.1\r\nHost: localhost\r\n"
                               "Connection: close\r\n\r\n",
                               method, path);
        assert_true(len > 0);
        http_raw(g_server.port, request, (size_t)len, r);
        free(request);
}

/** @returns the value of a response header (static buffer) or NULL. */
static const char *header(const http_reply_t *r, const char *name) {
        static char value[512];
        const char *line = r->head;

        while ((line = strstr(line, "\r\n")) != NULL) {
                line += 2;
                if (!strncasecmp(line, name, strlen(name)) &&
                    line[strlen(name)] == ':') {
                        const char *v = line + strlen(name) + 1;
                        size_t n;

                        v += strspn(v, " ");
                        n = strcspn(v, "\r\n");
                        snprintf(value, sizeof(value), "%.*s", (int)n, v);
                        return value;
                }
        }
        return NULL;
}

static const char *jstr(json_object *obj, const char *key) {
        json_object *v;

        if (!json_object_object_get_ex(obj, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/** Asserts Kafka's error body {"error_code": status, "message": ...}
 *  and returns the message. */
static const char *assert_error(const http_reply_t *r, int status) {
        json_object *code;

        assert_int_equal(r->status, status);
        assert_null(rdc_utf8_check(r->body, r->body_len, NULL));
        assert_non_null(r->json);
        assert_int_equal(json_object_object_length(r->json), 2);
        assert_true(json_object_object_get_ex(r->json, "error_code", &code));
        assert_int_equal(json_object_get_int(code), status);
        assert_non_null(jstr(r->json, "message"));
        assert_string_equal(header(r, "Content-Type"), "application/json");
        return jstr(r->json, "message");
}

/* -------------------------------------------------------------- tests */

static void test_root(void **state) {
        http_reply_t r;
        json_object *cid;

        (void)state;
        http("GET", "/", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(header(&r, "Content-Type"), "application/json");
        assert_non_null(jstr(r.json, "version"));
        assert_non_null(jstr(r.json, "commit"));
        assert_true(
                json_object_object_get_ex(r.json, "kafka_cluster_id", &cid));
        assert_null(cid); /* no admin client in this worker */
        http_reply_clear(&r);
}

static void test_not_found_and_method(void **state) {
        static const char *const missing[] = {"/nope", "/connectors/a/b/c/d/e",
                                              "//connectors",
                                              "/connector-plugins/x", "/admin"};
        http_reply_t r;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
                http("GET", missing[i], NULL, &r);
                assert_string_equal(assert_error(&r, 404),
                                    "HTTP 404 Not Found");
                http_reply_clear(&r);
        }
        http("DELETE", "/connector-plugins", NULL, &r);
        assert_string_equal(assert_error(&r, 405),
                            "HTTP 405 Method Not Allowed");
        http_reply_clear(&r);
        http("POST", "/connectors/x/config", "{}", &r);
        assert_string_equal(assert_error(&r, 405),
                            "HTTP 405 Method Not Allowed");
        http_reply_clear(&r);
        /* Trailing slash: same resource. */
        http("GET", "/connector-plugins/", NULL, &r);
        assert_int_equal(r.status, 200);
        http_reply_clear(&r);
        /* A bad percent escape is a client error. */
        http("GET", "/connectors/a%zz", NULL, &r);
        assert_error(&r, 400);
        http_reply_clear(&r);
        http("GET", "/connectors/a%00b", NULL, &r);
        assert_error(&r, 400);
        http_reply_clear(&r);
        /* HEAD is GET without the body. */
        http("HEAD", "/connector-plugins", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, 0);
        http_reply_clear(&r);
}

static void test_oversized_head(void **state) {
        size_t len = 200 * 1024;
        char *path = malloc(len + 2);
        http_reply_t r;

        (void)state;
        assert_non_null(path);
        path[0] = '/';
        memset(path + 1, 'a', len);
        path[len + 1] = '\0';
        /* MHD refuses a request line beyond the connection memory. */
        http("GET", path, NULL, &r);
        assert_true(r.status == 414 || r.status == 431);
        assert_error(&r, r.status);
        http_reply_clear(&r);
        free(path);
        /* The server still answers. */
        http("GET", "/", NULL, &r);
        assert_int_equal(r.status, 200);
        http_reply_clear(&r);
}

/* Requests MHD refuses before any callback of ours runs still get
 * Kafka's JSON error body, once (MHD 0.9.75 itself would send the status
 * line and headers of a bad Content-Length twice). */
static void test_mhd_errors(void **state) {
        static const struct {
                const char *request;
                int status;
                const char *needle;
        } cases[] = {
                {"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505, "version"},
                {"GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505, "version"},
                {"GET / XTTP/1.1\r\nHost: x\r\n\r\n", 400, "syntactically"},
                {"PUT /admin/loggers/x HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: 12z\r\n\r\n",
                 400, "Content-Length"},
                {"PUT /admin/loggers/x HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: 123456789012345678901234567890\r\n\r\n",
                 413, "Content-Length"},
                {"PUT /admin/loggers/x HTTP/1.1\r\nHost: x\r\n"
                 "Transfer-Encoding: chunked\r\n\r\nxyz\r\n",
                 400, "chunked"},
        };
        http_reply_t r;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *message;

                http_raw(g_server.port, cases[i].request,
                         strlen(cases[i].request), &r);
                message = assert_error(&r, cases[i].status);
                if (!strstr(message, cases[i].needle) || strchr(message, '<'))
                        fail_msg("%s: '%s'", cases[i].request, message);
                assert_null(strstr(r.body, "HTTP/1.1"));
                http_reply_clear(&r);
        }
        http("GET", "/", NULL, &r);
        assert_int_equal(r.status, 200);
        http_reply_clear(&r);
}

static void test_no_herder(void **state) {
        static const char *const paths[][2] = {
                {"GET", "/connectors"},
                {"GET", "/connectors/a%2Fb/status"},
                {"DELETE", "/connectors/x"},
                {"PUT", "/connectors/x/pause"},
        };
        http_reply_t r;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                http(paths[i][0], paths[i][1], NULL, &r);
                assert_error(&r, 503);
                http_reply_clear(&r);
        }
        http("GET", "/health", NULL, &r);
        assert_int_equal(r.status, 503);
        assert_string_equal(jstr(r.json, "status"), "starting");
        assert_non_null(jstr(r.json, "message"));
        http_reply_clear(&r);
}

/** @returns the entry of list whose "class" is cls, or NULL. */
static json_object *find_plugin(json_object *list, const char *cls) {
        size_t i;

        for (i = 0; i < json_object_array_length(list); i++) {
                json_object *p = json_object_array_get_idx(list, i);

                if (jstr(p, "class") && !strcmp(jstr(p, "class"), cls))
                        return p;
        }
        return NULL;
}

static void test_plugins_list(void **state) {
        http_reply_t r;
        json_object *p;
        size_t i;

        (void)state;
        http("GET", "/connector-plugins", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_true(json_object_is_type(r.json, json_type_array));
        for (i = 0; i < json_object_array_length(r.json); i++) {
                p = json_object_array_get_idx(r.json, i);
                assert_int_equal(json_object_object_length(p), 3);
                assert_true(!strcmp(jstr(p, "type"), "source") ||
                            !strcmp(jstr(p, "type"), "sink"));
                assert_non_null(jstr(p, "version"));
        }
        p = find_plugin(r.json, FILE_SOURCE);
        assert_non_null(p);
        assert_string_equal(jstr(p, "type"), "source");
        p = find_plugin(r.json, FILE_SINK);
        assert_non_null(p);
        assert_string_equal(jstr(p, "type"), "sink");
        /* Kafka's order: sinks first. */
        assert_string_equal(jstr(json_object_array_get_idx(r.json, 0), "type"),
                            "sink");
        http_reply_clear(&r);

        http("GET", "/connector-plugins?connectorsOnly=false", NULL, &r);
        assert_int_equal(r.status, 200);
        p = find_plugin(r.json, "org.apache.kafka.connect.json.JsonConverter");
        assert_non_null(p);
        assert_string_equal(jstr(p, "type"), "converter");
        assert_non_null(find_plugin(r.json, FILE_SOURCE));
        http_reply_clear(&r);
}

/** @returns the ConfigKeyInfo named name in a list, or NULL. */
static json_object *find_key(json_object *list, const char *name) {
        size_t i;

        for (i = 0; i < json_object_array_length(list); i++) {
                json_object *k = json_object_array_get_idx(list, i);
                json_object *def;

                if (json_object_object_get_ex(k, "definition", &def))
                        k = def;
                if (!strcmp(jstr(k, "name"), name))
                        return json_object_array_get_idx(list, i);
        }
        return NULL;
}

static void assert_key_info(json_object *k) {
        static const char *const keys[] = {
                "name",       "type",          "required",  "default_value",
                "importance", "documentation", "group",     "order",
                "width",      "display_name",  "dependents"};
        json_object *v;
        size_t i;

        assert_int_equal(json_object_object_length(k), 11);
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                assert_true(json_object_object_get_ex(k, keys[i], &v));
        json_object_object_get_ex(k, "required", &v);
        assert_true(json_object_is_type(v, json_type_boolean));
        json_object_object_get_ex(k, "order", &v);
        assert_true(json_object_is_type(v, json_type_int));
        json_object_object_get_ex(k, "dependents", &v);
        assert_true(json_object_is_type(v, json_type_array));
}

static void test_plugin_config(void **state) {
        http_reply_t r;
        json_object *k, *v;
        size_t i;

        (void)state;
        http("GET", "/connector-plugins/FileStreamSource/config", NULL, &r);
        assert_int_equal(r.status, 200);
        for (i = 0; i < json_object_array_length(r.json); i++)
                assert_key_info(json_object_array_get_idx(r.json, i));
        /* The plugin's keys first. */
        assert_string_equal(jstr(json_object_array_get_idx(r.json, 0), "name"),
                            "file");
        k = find_key(r.json, "topic");
        assert_non_null(k);
        assert_string_equal(jstr(k, "type"), "STRING");
        assert_string_equal(jstr(k, "importance"), "HIGH");
        json_object_object_get_ex(k, "required", &v);
        assert_true(json_object_get_boolean(v));
        k = find_key(r.json, "batch.size");
        assert_string_equal(jstr(k, "type"), "INT");
        assert_string_equal(jstr(k, "default_value"), "2000");
        /* Framework keys of a source, not a sink's topics. */
        assert_non_null(find_key(r.json, "tasks.max"));
        assert_non_null(find_key(r.json, "connector.class"));
        assert_null(find_key(r.json, "topics"));
        http_reply_clear(&r);

        http("GET", "/connector-plugins/" FILE_SINK "/config", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_non_null(find_key(r.json, "topics"));
        assert_null(find_key(r.json, "topic.creation.default.partitions"));
        http_reply_clear(&r);

        http("GET", "/connector-plugins/StringConverter/config", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_null(find_key(r.json, "tasks.max"));
        http_reply_clear(&r);

        http("GET", "/connector-plugins/NoSuchPlugin/config", NULL, &r);
        assert_non_null(strstr(assert_error(&r, 404), "NoSuchPlugin"));
        http_reply_clear(&r);
}

/** @returns the errors array of key in a ConfigInfos body. */
static json_object *value_errors(json_object *infos, const char *key) {
        json_object *configs, *entry, *value, *errors;

        assert_true(json_object_object_get_ex(infos, "configs", &configs));
        entry = find_key(configs, key);
        assert_non_null(entry);
        assert_true(json_object_object_get_ex(entry, "value", &value));
        assert_int_equal(json_object_object_length(value), 5);
        assert_true(json_object_object_get_ex(value, "errors", &errors));
        return errors;
}

static int error_count(json_object *infos) {
        json_object *v;

        assert_true(json_object_object_get_ex(infos, "error_count", &v));
        return json_object_get_int(v);
}

static void test_validate(void **state) {
        http_reply_t r;
        json_object *groups, *configs, *entry, *def;
        size_t i;

        (void)state;
        http("PUT", "/connector-plugins/FileStreamSource/config/validate",
             "{\"name\":\"a\",\"topic\":\"t\",\"file\":\"/tmp/x\","
             "\"tasks.max\":1}",
             &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(jstr(r.json, "name"), FILE_SOURCE);
        assert_int_equal(error_count(r.json), 0);
        assert_true(json_object_object_get_ex(r.json, "groups", &groups));
        assert_string_equal(
                json_object_get_string(json_object_array_get_idx(groups, 0)),
                "Common");
        assert_true(json_object_object_get_ex(r.json, "configs", &configs));
        for (i = 0; i < json_object_array_length(configs); i++) {
                entry = json_object_array_get_idx(configs, i);
                assert_int_equal(json_object_object_length(entry), 2);
                assert_true(
                        json_object_object_get_ex(entry, "definition", &def));
                assert_key_info(def);
        }
        /* Framework keys come first. */
        entry = json_object_array_get_idx(configs, 0);
        json_object_object_get_ex(entry, "definition", &def);
        assert_string_equal(jstr(def, "name"), "name");
        assert_int_equal(
                json_object_array_length(value_errors(r.json, "topic")), 0);
        http_reply_clear(&r);

        /* Missing name and topic, bad tasks.max. */
        http("PUT", "/connector-plugins/FileStreamSource/config/validate",
             "{\"connector.class\":\"FileStreamSource\",\"tasks.max\":\"x\"}",
             &r);
        assert_int_equal(r.status, 200);
        assert_true(error_count(r.json) >= 3);
        assert_true(json_object_array_length(value_errors(r.json, "name")) >=
                    1);
        assert_true(json_object_array_length(value_errors(r.json, "topic")) >=
                    1);
        assert_true(json_object_array_length(
                            value_errors(r.json, "tasks.max")) >= 1);
        http_reply_clear(&r);

        /* connector.class must name the path's plugin. */
        http("PUT", "/connector-plugins/FileStreamSource/config/validate",
             "{\"connector.class\":\"FileStreamSink\"}", &r);
        assert_string_equal(assert_error(&r, 400),
                            "Included connector type FileStreamSink does not "
                            "match request type FileStreamSource");
        http_reply_clear(&r);

        http("PUT", "/connector-plugins/Nope/config/validate", "{}", &r);
        assert_error(&r, 404);
        http_reply_clear(&r);

        http("PUT", "/connector-plugins/FileStreamSource/config/validate",
             "{\"name\":{\"nested\":1}}", &r);
        assert_error(&r, 400);
        http_reply_clear(&r);
}

static void test_bad_bodies(void **state) {
        static const char *const bodies[] = {
                "",
                "{",
                "{\"a\":}",
                "[1,2",
                "{\"a\":1} x",
                "{'a':1}",
                "{\"a\":\"\xff\xfe\"}",
                "nul",
                "{\"a\":1,}",
        };
        char deep[400];
        http_reply_t r;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
                http("PUT", "/admin/loggers/x", bodies[i], &r);
                assert_error(&r, 400);
                http_reply_clear(&r);
        }
        /* Deeper than the parser allows. */
        memset(deep, '[', 200);
        memset(deep + 200, ']', 200);
        deep[sizeof(deep) - 1] = '\0';
        deep[199] = '1';
        http("PUT", "/admin/loggers/x", deep, &r);
        assert_error(&r, 400);
        http_reply_clear(&r);
        /* A NUL byte inside the body. */
        {
                static const char req[] =
                        "PUT /admin/loggers/x HTTP/1.1\r\nHost: x\r\n"
                        "Connection: close\r\nContent-Length: 16\r\n\r\n"
                        "{\"level\":\"I\0FO\"}";

                http_raw(g_server.port, req, sizeof(req) - 1, &r);
                assert_non_null(strstr(assert_error(&r, 400), "NUL"));
                http_reply_clear(&r);
        }
        /* Huge number: parsed, refused as a level. */
        http("PUT", "/admin/loggers/x",
             "{\"level\":1e999999999999999999999999999}", &r);
        assert_error(&r, 400);
        http_reply_clear(&r);
        /* A body that is JSON but not an object. */
        http("PUT", "/admin/loggers/x", "[1]", &r);
        assert_non_null(strstr(assert_error(&r, 400), "JSON object"));
        http_reply_clear(&r);
}

/* Text the worker would store or echo must be strict UTF-8 without NUL,
 * in bodies (json-c accepts overlong forms and surrogates, and turns a
 * lone "\ud800" escape into U+FFFD) and in path segments alike. */
static void test_hostile_text(void **state) {
        static const struct {
                const char *name; /* JSON text of the "name" value */
                const char *needle;
        } bad_names[] = {
                {"\"\xc0\xaf\"", "overlong"},
                {"\"a\xe0\x80\xaf\"", "overlong"},
                {"\"\xed\xa0\x80\"", "surrogate"},
                {"\"\xf4\x90\x80\x80\"", "U+10FFFF"},
                {"\"\\ud800\"", "surrogate"},
                {"\"\\udc00x\"", "surrogate"},
                {"\"a\\ud800\\u0041\"", "surrogate"},
                {"\"\\ud83d\"", "surrogate"},
                {"\"a\\u0000b\"", "NUL"},
        };
        static const char *const bad_configs[] = {
                "{\"name\":\"x\",\"config\":{\"k\\u0000ey\":\"v\"}}",
                "{\"name\":\"x\",\"config\":{\"k\":\"v\\u0000\"}}",
                "{\"name\":\"x\",\"config\":{\"k\\udfff\":\"v\"}}",
                "{\"name\":\"x\",\"config\":{\"k\":\"\xed\xbf\xbf\"}}",
        };
        static const char *const good_names[] = {
                "\"\\ud83d\\ude00\"", /* a valid pair */
                "\"\\\\ud800\"",      /* an escaped backslash, then text */
                "\"caf\xc3\xa9\"",
                "\"\xef\xbf\xbd\"",
        };
        static const char *const bad_paths[] = {
                "/connectors/%C0%AF",       "/connectors/%ED%A0%80",
                "/connectors/%F4%90%80%80", "/connectors/a%00b",
                "/connectors/\xc0\xaf",     "/connectors/%FF/config",
        };
        char body[256];
        http_reply_t r;
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++) {
                const char *message;

                snprintf(body, sizeof(body), "{\"name\":%s,\"config\":{}}",
                         bad_names[i].name);
                http("POST", "/connectors", body, &r);
                message = assert_error(&r, 400);
                if (!strstr(message, bad_names[i].needle))
                        fail_msg("%s: '%s' not in '%s'", bad_names[i].name,
                                 bad_names[i].needle, message);
                http_reply_clear(&r);
                /* Same check for bodies answered without the herder. */
                snprintf(body, sizeof(body), "{\"level\":%s}",
                         bad_names[i].name);
                http("PUT", "/admin/loggers/x", body, &r);
                assert_non_null(
                        strstr(assert_error(&r, 400), bad_names[i].needle));
                http_reply_clear(&r);
        }
        for (i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
                http("POST", "/connectors", bad_configs[i], &r);
                assert_error(&r, 400);
                http_reply_clear(&r);
        }
        /* Valid text passes the checks and reaches the herder (none). */
        for (i = 0; i < sizeof(good_names) / sizeof(good_names[0]); i++) {
                snprintf(body, sizeof(body), "{\"name\":%s,\"config\":{}}",
                         good_names[i]);
                http("POST", "/connectors", body, &r);
                assert_error(&r, 503);
                http_reply_clear(&r);
        }
        for (i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
                http("GET", bad_paths[i], NULL, &r);
                assert_non_null(strstr(assert_error(&r, 400), "URL path"));
                http_reply_clear(&r);
        }
        /* A raw NUL in the request line must not answer for "a". */
        {
                static const char req[] = "GET /connectors/a\0b HTTP/1.1\r\n"
                                          "Host: x\r\nConnection: close\r\n"
                                          "\r\n";

                http_raw(g_server.port, req, sizeof(req) - 1, &r);
                assert_int_equal(r.status, 400);
                http_reply_clear(&r);
        }
}

static void test_too_large(void **state) {
        char *big = malloc(MAX_BYTES + 100);
        char *request = NULL;
        const char *message;
        http_reply_t r;
        int len;

        (void)state;
        assert_non_null(big);
        memset(big, ' ', MAX_BYTES + 99);
        big[0] = '{';
        big[MAX_BYTES + 98] = '}';
        big[MAX_BYTES + 99] = '\0';
        http("PUT", "/admin/loggers/x", big, &r);
        message = assert_error(&r, 413);
        assert_non_null(strstr(message, "rest.max.request.bytes"));
        http_reply_clear(&r);

        /* Chunked: no length announced, refused once the limit is hit. */
        len = asprintf(&request,
                       "PUT /admin/loggers/x HTTP/1.1\r\nHost: x\r\n"
                       "Connection: close\r\nTransfer-Encoding: chunked\r\n"
                       "\r\n%x\r\n%s\r\n0\r\n\r\n",
                       (unsigned)strlen(big), big);
        assert_true(len > 0);
        http_raw(g_server.port, request, (size_t)len, &r);
        assert_error(&r, 413);
        http_reply_clear(&r);
        free(request);

        /* Exactly at the limit is fine (and then a JSON error). */
        big[MAX_BYTES - 1] = '}';
        big[MAX_BYTES] = '\0';
        http("PUT", "/admin/loggers/x", big, &r);
        assert_string_equal(assert_error(&r, 400),
                            "Desired 'level' parameter was not specified in "
                            "request.");
        http_reply_clear(&r);
        free(big);
}

static void test_loggers(void **state) {
        http_reply_t r;
        json_object *entry;

        (void)state;
        http("PUT", "/admin/loggers/rdc.test", "{\"level\":\"DEBUG\"}", &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(json_object_to_json_string(r.json),
                            "[ \"rdc.test\" ]");
        http_reply_clear(&r);
        assert_int_equal(rdc_log_get_level("rdc.test"), RDC_LOG_DEBUG);
        /* Effective level of a child without its own. */
        assert_int_equal(rdc_log_get_level("rdc.test.child"), RDC_LOG_DEBUG);

        http("PUT", "/admin/loggers/rdc.test.child", "{\"level\":\"trace\"}",
             &r);
        assert_int_equal(r.status, 200);
        http_reply_clear(&r);
        /* Setting the parent sets the subtree; the answer is sorted. */
        http("PUT", "/admin/loggers/rdc.test", "{\"level\":\"WARN\"}", &r);
        assert_string_equal(
                json_object_to_json_string_ext(r.json, JSON_C_TO_STRING_PLAIN),
                "[\"rdc.test\",\"rdc.test.child\"]");
        http_reply_clear(&r);
        assert_int_equal(rdc_log_get_level("rdc.test.child"), RDC_LOG_WARN);

        http("GET", "/admin/loggers/rdc.test.child", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_string_equal(jstr(r.json, "level"), "WARN");
        assert_true(json_object_object_get_ex(r.json, "last_modified", &entry));
        assert_true(json_object_is_type(entry, json_type_int));
        http_reply_clear(&r);
        http("GET", "/admin/loggers/rdc.nobody", NULL, &r);
        assert_string_equal(assert_error(&r, 404),
                            "Logger rdc.nobody not found.");
        http_reply_clear(&r);

        http("GET", "/admin/loggers", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_true(json_object_object_get_ex(r.json, "root", &entry));
        assert_non_null(jstr(entry, "level"));
        assert_true(json_object_object_get_ex(r.json, "rdc.test", &entry));
        assert_string_equal(jstr(entry, "level"), "WARN");
        assert_int_equal(json_object_object_length(entry), 2);
        http_reply_clear(&r);

        http("PUT", "/admin/loggers/rdc.test", "{\"level\":\"LOUD\"}", &r);
        assert_string_equal(assert_error(&r, 404), "invalid log level 'LOUD'.");
        http_reply_clear(&r);
        http("PUT", "/admin/loggers/rdc.test", "{}", &r);
        assert_error(&r, 400);
        http_reply_clear(&r);
}

/* PUT /admin/loggers/{new name} adds to a bounded table: beyond it a
 * clear refusal, and root (which lists every logger) still answers. */
static void test_logger_flood(void **state) {
        char path[400], name[300];
        const char *message = NULL;
        http_reply_t r;
        int i;

        (void)state;
        memset(name, 'n', RDC_LOG_MAX_NAME_LEN + 1);
        name[RDC_LOG_MAX_NAME_LEN + 1] = '\0';
        snprintf(path, sizeof(path), "/admin/loggers/%s", name);
        http("PUT", path, "{\"level\":\"DEBUG\"}", &r);
        assert_non_null(strstr(assert_error(&r, 400), "255"));
        http_reply_clear(&r);

        for (i = 0; i <= RDC_LOG_MAX_LOGGERS; i++) {
                snprintf(path, sizeof(path), "/admin/loggers/flood.%04d", i);
                http("PUT", path, "{\"level\":\"DEBUG\"}", &r);
                if (r.status != 200)
                        break;
                http_reply_clear(&r);
        }
        assert_true(i > 0 && i < RDC_LOG_MAX_LOGGERS);
        message = assert_error(&r, 409);
        if (!strstr(message, "1024"))
                fail_msg("no limit in '%s'", message);
        http_reply_clear(&r);
        /* A known logger can still change. */
        http("PUT", "/admin/loggers/flood.0000", "{\"level\":\"WARN\"}", &r);
        assert_int_equal(r.status, 200);
        http_reply_clear(&r);

        http("PUT", "/admin/loggers/root", "{\"level\":\"INFO\"}", &r);
        assert_int_equal(r.status, 200);
        /* root, every named logger (flood.* among them) and every
         * logger that only exists (rest, which logged). */
        assert_true(json_object_array_length(r.json) >=
                    RDC_LOG_MAX_LOGGERS + 1);
        http_reply_clear(&r);
        assert_int_equal(rdc_log_get_level("flood.0000"), RDC_LOG_INFO);
        http("GET", "/admin/loggers", NULL, &r);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_object_object_length(r.json),
                         RDC_LOG_MAX_LOGGERS + 1);
        http_reply_clear(&r);
}

/* Many clients at once: each thread runs several requests. */
#define CLIENTS 50

static void *client_main(void *arg) {
        int *failures = arg;
        int i;

        for (i = 0; i < 5; i++) {
                static const char req[] =
                        "GET /connector-plugins HTTP/1.1\r\nHost: x\r\n"
                        "Connection: close\r\n\r\n";
                int fd = http_connect(g_server.port);
                size_t len;
                char *answer;

                if (fd < 0 || send_all(fd, req, sizeof(req) - 1) == -1) {
                        (*failures)++;
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                answer = recv_all(fd, &len);
                close(fd);
                if (!answer || strncmp(answer, "HTTP/1.1 200", 12))
                        (*failures)++;
                free(answer);
        }
        return NULL;
}

static void test_concurrent(void **state) {
        pthread_t threads[CLIENTS];
        int failures[CLIENTS] = {0};
        int i;

        (void)state;
        for (i = 0; i < CLIENTS; i++)
                assert_int_equal(pthread_create(&threads[i], NULL, client_main,
                                                &failures[i]),
                                 0);
        for (i = 0; i < CLIENTS; i++) {
                pthread_join(threads[i], NULL);
                assert_int_equal(failures[i], 0);
        }
}

static void test_keep_alive(void **state) {
        static const char req[] =
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        int fd = http_connect(g_server.port);
        size_t len;
        char *answer;

        (void)state;
        assert_true(fd >= 0);
        assert_int_equal(send_all(fd, req, sizeof(req) - 1), 0);
        answer = recv_all(fd, &len);
        close(fd);
        assert_non_null(answer);
        assert_non_null(strstr(answer, "HTTP/1.1 200"));
        assert_non_null(strstr(answer, "HTTP/1.1 404"));
        free(answer);
}

/* A request that trickles in, a byte at a time, is cut at
 * rest.request.timeout.ms with a JSON 408; MHD's idle timeout alone would
 * keep it (and its thread) forever. */
static void test_request_deadline(void **state) {
        static const char *const settings[] = {"rest.request.timeout.ms", "200",
                                               NULL};
        static const char prefix[] = "GET / HTTP/1.1\r\nHost: x\r\nX-A: ";
        server_t srv;
        char errstr[512], answer[1024] = "";
        json_object *body;
        const char *sep;
        size_t got = 0;
        int fd, i;

        (void)state;
        assert_non_null(server_start(&srv, settings, errstr, sizeof(errstr)));
        fd = http_connect(srv.port);
        assert_true(fd >= 0);
        assert_int_equal(send_all(fd, prefix, sizeof(prefix) - 1), 0);
        /* Bounded: 200 bytes, one per 50 ms, far beyond the deadline. */
        for (i = 0; i < 200 && got == 0; i++) {
                struct pollfd pfd = {.fd = fd, .events = POLLIN};
                ssize_t n;

                if (send(fd, "a", 1, MSG_NOSIGNAL) != 1)
                        break;
                if (poll(&pfd, 1, 50) != 1)
                        continue;
                n = recv(fd, answer, sizeof(answer) - 1, 0);
                if (n <= 0)
                        break;
                got = (size_t)n;
        }
        close(fd);
        assert_true(i < 200);
        answer[got] = '\0';
        assert_int_equal(strncmp(answer, "HTTP/1.1 408 ", 13), 0);
        sep = strstr(answer, "\r\n\r\n");
        assert_non_null(sep);
        body = json_tokener_parse(sep + 4);
        assert_non_null(body);
        assert_non_null(strstr(jstr(body, "message"), "rest.request.timeout"));
        json_object_put(body);

        /* An idle keep-alive connection is closed too, without a 408 its
         * client could take for the answer to its next request. */
        {
                static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
                char *all;

                fd = http_connect(srv.port);
                assert_true(fd >= 0);
                assert_int_equal(send_all(fd, req, sizeof(req) - 1), 0);
                all = recv_all(fd, &got); /* until the server closes */
                close(fd);
                assert_non_null(all);
                assert_int_equal(strncmp(all, "HTTP/1.1 200 ", 13), 0);
                assert_null(strstr(all, "408"));
                free(all);
        }
        server_stop(&srv);
}

/* ------------------------------------------------------------ start-up */

static void expect_start_error(const char *const *settings,
                               const char *needle) {
        server_t srv;
        char errstr[512] = "";

        assert_null(server_start(&srv, settings, errstr, sizeof(errstr)));
        if (!strstr(errstr, needle))
                fail_msg("'%s' not in '%s'", needle, errstr);
        server_stop(&srv);
}

static void test_listener_errors(void **state) {
        static const char *const https[] = {"listeners", "https://127.0.0.1:0",
                                            NULL};
        static const char *const noport[] = {"listeners", "http://127.0.0.1",
                                             NULL};
        static const char *const badport[] = {"listeners",
                                              "http://127.0.0.1:70000", NULL};
        static const char *const garbage[] = {"listeners", "localhost:8083",
                                              NULL};
        static const char *const adv[] = {"rest.advertised.listener", "https",
                                          NULL};
        static const char *const maxb[] = {"rest.max.request.bytes", "-1",
                                           NULL};
        static const char *const limits[][3] = {
                {"rest.request.timeout.ms", "abc", NULL},
                {"rest.request.timeout.ms", "99", NULL},
                {"rest.connections.max", "0", NULL},
                {"rest.connections.max", "1e3", NULL},
                {"rest.connections.max.per.ip", "-1", NULL},
        };
        size_t i;
        char spec[64];
        const char *inuse[] = {"listeners", spec, NULL};

        (void)state;
        expect_start_error(https, "listeners");
        expect_start_error(https, "https");
        expect_start_error(noport, "listeners");
        expect_start_error(badport, "listeners");
        expect_start_error(garbage, "listeners");
        expect_start_error(adv, "rest.advertised.listener");
        expect_start_error(maxb, "rest.max.request.bytes");
        for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
                expect_start_error(limits[i], limits[i][0]);
        /* The shared server's port is taken. */
        snprintf(spec, sizeof(spec), "http://127.0.0.1:%d", g_server.port);
        expect_start_error(inuse, "cannot bind");
}

static void test_advertised(void **state) {
        static const char *const adv[] = {"rest.advertised.host.name",
                                          "connect.example",
                                          "rest.advertised.port", "9999", NULL};
        static const char *const multi[] = {
                "listeners", " http://127.0.0.1:0 , http://[::1]:0 ", NULL};
        static const char *const any[] = {"listeners", "http://:0", NULL};
        char hostname[256], expect[300];
        server_t srv;
        char errstr[512];

        (void)state;
        assert_non_null(server_start(&srv, adv, errstr, sizeof(errstr)));
        assert_string_equal(srv.worker.worker_id, "connect.example:9999");
        assert_string_equal(srv.worker.rest_url,
                            "http://connect.example:9999/");
        server_stop(&srv);

        /* Every interface: this host's name is advertised. */
        assert_non_null(server_start(&srv, any, errstr, sizeof(errstr)));
        gethostname(hostname, sizeof(hostname));
        snprintf(expect, sizeof(expect), "%s:", hostname);
        assert_int_equal(strncmp(srv.worker.worker_id, expect, strlen(expect)),
                         0);
        assert_true(srv.port > 0);
        server_stop(&srv);

        /* Two listeners (IPv6 loopback may be missing: then it fails
         * with a bind error naming the listener). */
        if (server_start(&srv, multi, errstr, sizeof(errstr))) {
                assert_int_equal(
                        strncmp(srv.worker.worker_id, "127.0.0.1:", 10), 0);
                assert_int_equal(
                        strncmp(srv.worker.rest_url, "http://127.0.0.1:", 17),
                        0);
        } else {
                assert_non_null(strstr(errstr, "[::1]"));
        }
        server_stop(&srv);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_root),
                cmocka_unit_test(test_not_found_and_method),
                cmocka_unit_test(test_oversized_head),
                cmocka_unit_test(test_mhd_errors),
                cmocka_unit_test(test_no_herder),
                cmocka_unit_test(test_plugins_list),
                cmocka_unit_test(test_plugin_config),
                cmocka_unit_test(test_validate),
                cmocka_unit_test(test_bad_bodies),
                cmocka_unit_test(test_hostile_text),
                cmocka_unit_test(test_too_large),
                cmocka_unit_test(test_loggers),
                cmocka_unit_test(test_logger_flood),
                cmocka_unit_test(test_concurrent),
                cmocka_unit_test(test_keep_alive),
                cmocka_unit_test(test_request_deadline),
                cmocka_unit_test(test_listener_errors),
                cmocka_unit_test(test_advertised),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
