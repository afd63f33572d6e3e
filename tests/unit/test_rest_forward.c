/*
 * Unit tests of request forwarding (runtime/rest/forward.c and its use
 * in routes.c), the part of distributed mode's REST layer that needs no
 * real herder: the forwarded URL, the HTTP client against a scripted
 * leader (a bare libmicrohttpd server that records what it got and
 * answers what the test says), Kafka's answers on top (the two-hop
 * guard, no leader, an unreachable leader, answers passed back
 * verbatim), and end to end: a client asks an rdconnect REST server
 * whose herder (scripted, through the linker's --wrap) says "forward",
 * and the request reaches the scripted leader or a second rdconnect
 * server.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "core/map.h"
#include "herder/herder.h"
#include "rest/forward.h"
#include "rest/rest.h"
#include "worker/worker.h"

#define TIMEOUT_MS 10000

/* ------------------------------------------------- the scripted leader */

typedef struct leader {
        struct MHD_Daemon *daemon;
        int port;
        char url[64]; /* "http://127.0.0.1:<port>/" */

        /* What it answers. */
        int status;
        const char *body;
        const char *location;
        unsigned int delay_ms;

        /* What it got (one request at a time). */
        int hits;
        char method[16];
        char uri[1024];
        char body_in[4096];
        size_t body_in_len;
        char content_type[128];
        char content_length[32];
        char authorization[128];
} leader_t;

static leader_t g_leader;

typedef enum MHD_Result (*queue_fn)(struct MHD_Connection *, unsigned int,
                                    struct MHD_Response *);

/* rdconnect's server.c replaces MHD_queue_response to turn every error
 * page into Kafka's JSON: the leader answers through libmicrohttpd's own
 * function, so its bodies go out as scripted. */
static enum MHD_Result leader_queue(struct MHD_Connection *conn,
                                    unsigned int status,
                                    struct MHD_Response *response) {
        static queue_fn queue;

        if (!queue)
                queue = (queue_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
        return queue(conn, status, response);
}

static void *leader_on_uri(void *cls, const char *uri,
                           struct MHD_Connection *conn) {
        leader_t *l = cls;

        (void)conn;
        snprintf(l->uri, sizeof(l->uri), "%s", uri);
        l->body_in_len = 0;
        l->body_in[0] = '\0';
        return l;
}

static void leader_copy_header(struct MHD_Connection *conn, const char *name,
                               char *out, size_t out_size) {
        const char *v =
                MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);

        snprintf(out, out_size, "%s", v ? v : "");
}

static enum MHD_Result leader_on_request(void *cls, struct MHD_Connection *conn,
                                         const char *url, const char *method,
                                         const char *version,
                                         const char *upload_data,
                                         size_t *upload_data_size,
                                         void **con_cls) {
        leader_t *l = cls;
        struct MHD_Response *response;
        const char *body = l->body ? l->body : "";
        enum MHD_Result ret;

        (void)url;
        (void)version;
        if (*con_cls == l) { /* the headers: the body follows */
                *con_cls = &l->hits;
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                size_t room = sizeof(l->body_in) - 1 - l->body_in_len;
                size_t n = *upload_data_size < room ? *upload_data_size : room;

                memcpy(l->body_in + l->body_in_len, upload_data, n);
                l->body_in_len += n;
                l->body_in[l->body_in_len] = '\0';
                *upload_data_size = 0;
                return MHD_YES;
        }
        l->hits++;
        snprintf(l->method, sizeof(l->method), "%s", method);
        leader_copy_header(conn, "Content-Type", l->content_type,
                           sizeof(l->content_type));
        leader_copy_header(conn, "Content-Length", l->content_length,
                           sizeof(l->content_length));
        leader_copy_header(conn, "Authorization", l->authorization,
                           sizeof(l->authorization));
        if (l->delay_ms)
                usleep(l->delay_ms * 1000);
        response = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                   MHD_RESPMEM_MUST_COPY);
        if (!response)
                return MHD_NO;
        if (*body)
                MHD_add_response_header(response, "Content-Type",
                                        "application/json");
        if (l->location)
                MHD_add_response_header(response, "Location", l->location);
        ret = leader_queue(conn, (unsigned int)l->status, response);
        MHD_destroy_response(response);
        return ret;
}

static int leader_start(leader_t *l) {
        const union MHD_DaemonInfo *info;

        memset(l, 0, sizeof(*l));
        l->daemon = MHD_start_daemon(
                MHD_USE_INTERNAL_POLLING_THREAD |
                        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
                        MHD_USE_ITC,
                0, NULL, NULL, leader_on_request, l,
                MHD_OPTION_URI_LOG_CALLBACK, leader_on_uri, l,
                MHD_OPTION_SOCK_ADDR,
                (const struct sockaddr *)&(struct sockaddr_in){
                        .sin_family = AF_INET,
                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)},
                MHD_OPTION_END);
        if (!l->daemon)
                return -1;
        info = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_BIND_PORT);
        if (!info || !info->port)
                return -1;
        l->port = info->port;
        snprintf(l->url, sizeof(l->url), "http://127.0.0.1:%d/", l->port);
        return 0;
}

/** Sets what the leader answers next and forgets what it got. */
static void leader_script(int status, const char *body, const char *location) {
        g_leader.status = status;
        g_leader.body = body;
        g_leader.location = location;
        g_leader.delay_ms = 0;
        g_leader.hits = 0;
        g_leader.uri[0] = g_leader.method[0] = '\0';
}

/* ------------------------------------- rdconnect's own REST servers */

typedef struct rdc_server {
        rdc_worker_t worker;
        rdc_rest_t *rest;
} rdc_server_t;

/* g_rdc has no herder (connector writes answer 503 there); g_follower's
 * herder is the scripted one below. */
static rdc_server_t g_rdc, g_follower;

/* The herder of g_follower: the test's build links the REST layer's
 * calls of rdc_herder_request() to __wrap_rdc_herder_request()
 * (tests/unit/CMakeLists.txt). It answers "forward to g_herder_url" and
 * records the request. */
static const char *g_herder_url;
static rdc_req_type_t g_herder_req_type;
static char g_herder_req_json[1024];
static int g_herder_calls;
static int g_herder_dummy; /* what worker.herder points to */

void __wrap_rdc_herder_request(rdc_herder_t *herder, const rdc_request_t *req,
                               rdc_reply_t *reply, int timeout_ms);
void __wrap_rdc_herder_request(rdc_herder_t *herder, const rdc_request_t *req,
                               rdc_reply_t *reply, int timeout_ms) {
        (void)timeout_ms;
        assert_ptr_equal(herder, (rdc_herder_t *)&g_herder_dummy);
        g_herder_calls++;
        g_herder_req_type = req->type;
        snprintf(g_herder_req_json, sizeof(g_herder_req_json), "%s",
                 req->json ? json_object_to_json_string_ext(
                                     req->json, JSON_C_TO_STRING_PLAIN)
                           : "");
        memset(reply, 0, sizeof(*reply));
        reply->status = RDC_REPLY_FORWARD;
        snprintf(reply->message, sizeof(reply->message), "%s", g_herder_url);
}

static int rdc_server_start(rdc_server_t *srv, rdc_herder_t *herder) {
        char errstr[512];

        srv->worker.config = rdc_map_new();
        if (!srv->worker.config ||
            rdc_map_set(srv->worker.config, "listeners",
                        "http://127.0.0.1:0") == -1 ||
            rdc_map_set(srv->worker.config, "rest.max.request.bytes", "2048") ==
                    -1)
                return -1;
        srv->rest = rdc_rest_start(&srv->worker, errstr, sizeof(errstr));
        if (!srv->rest) {
                fprintf(stderr, "rdconnect REST server: %s\n", errstr);
                return -1;
        }
        srv->worker.herder = herder;
        return 0;
}

static void rdc_server_stop(rdc_server_t *srv) {
        rdc_rest_stop(srv->rest);
        rdc_map_destroy(srv->worker.config);
}

static int group_setup(void **state) {
        (void)state;
        if (leader_start(&g_leader) == -1) {
                fprintf(stderr, "scripted leader did not start\n");
                return -1;
        }
        return rdc_server_start(&g_rdc, NULL) == -1 ||
                               rdc_server_start(&g_follower,
                                                (rdc_herder_t *)&g_herder_dummy)
                       ? -1
                       : 0;
}

static int group_teardown(void **state) {
        (void)state;
        MHD_stop_daemon(g_leader.daemon);
        rdc_server_stop(&g_follower);
        rdc_server_stop(&g_rdc);
        return 0;
}

/* The last forward(): the body as plain JSON text ("" for none) and
 * the error message. */
static char g_text[4096], g_errstr[1024];

/** Forwards one request with the given forward flag of its own (UNSET:
 *  a client's) and @returns the status (g_text, g_errstr: the rest). */
static int forward(const char *leader_url, const char *method, const char *uri,
                   rdc_rest_forward_flag_t flag, const char *body) {
        rdc_rest_forward_req_t req = {
                .leader_url = leader_url,
                .method = method,
                .raw_uri = uri,
                .forward = flag,
                .body = body,
                .body_len = body ? strlen(body) : 0,
                .authorization = "Basic dXNlcjpwdw==",
                .timeout_ms = TIMEOUT_MS,
        };
        json_object *json = NULL;
        int status;

        g_errstr[0] = '\0';
        status = rdc_rest_forward(&req, &json, g_errstr, sizeof(g_errstr));
        snprintf(g_text, sizeof(g_text), "%s",
                 json ? json_object_to_json_string_ext(
                                json, JSON_C_TO_STRING_PLAIN |
                                              JSON_C_TO_STRING_NOSLASHESCAPE)
                      : "");
        json_object_put(json);
        return status;
}

/* -------------------------------------------------------------- tests */

static void test_forward_url(void **state) {
        static const struct {
                const char *base, *uri;
                int flag;
                const char *want;
        } cases[] = {
                {"http://l:8083/", "/connectors", RDC_REST_FORWARD_TRUE,
                 "http://l:8083/connectors?forward=true"},
                {"http://l:8083", "/connectors/a%2Fb/config",
                 RDC_REST_FORWARD_TRUE,
                 "http://l:8083/connectors/a%2Fb/config?forward=true"},
                /* The request's own forward is replaced, every other
                 * parameter kept as received. */
                {"http://l:8083/",
                 "/connectors/c/restart?includeTasks=true&forward=true&"
                 "onlyFailed=x%20y",
                 RDC_REST_FORWARD_FALSE,
                 "http://l:8083/connectors/c/restart?forward=false&"
                 "includeTasks=true&onlyFailed=x%20y"},
                {"http://l:8083/", "/c?forw%61rd=true&&forwarded=1#frag",
                 RDC_REST_FORWARD_FALSE,
                 "http://l:8083/c?forward=false&forwarded=1"},
                {"http://l:8083/", "/c?forward", RDC_REST_FORWARD_TRUE,
                 "http://l:8083/c?forward=true"},
        };
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char *url = rdc_rest_forward_url(cases[i].base, cases[i].uri,
                                                 cases[i].flag);

                assert_non_null(url);
                assert_string_equal(url, cases[i].want);
                free(url);
        }
}

static void test_http_request(void **state) {
        rdc_rest_http_response_t resp;
        char url[128];

        (void)state;
        leader_script(201, "{\"name\":\"a\"}", "http://leader/connectors/a");
        snprintf(url, sizeof(url), "%sconnectors?forward=true", g_leader.url);
        assert_int_equal(rdc_rest_http_request(url, "POST", "{\"x\":1}", 7,
                                               "Bearer t", TIMEOUT_MS, 1024,
                                               &resp),
                         0);
        assert_int_equal(resp.status, 201);
        assert_string_equal(resp.body, "{\"name\":\"a\"}");
        assert_int_equal(resp.body_len, 12);
        assert_string_equal(resp.location, "http://leader/connectors/a");
        rdc_rest_http_response_clear(&resp);
        assert_string_equal(g_leader.method, "POST");
        assert_string_equal(g_leader.uri, "/connectors?forward=true");
        assert_string_equal(g_leader.body_in, "{\"x\":1}");
        assert_string_equal(g_leader.content_type, "application/json");
        assert_string_equal(g_leader.authorization, "Bearer t");

        /* A bodiless PUT still says Content-Length: 0; a GET sends none. */
        leader_script(204, NULL, NULL);
        assert_int_equal(rdc_rest_http_request(url, "PUT", NULL, 0, NULL,
                                               TIMEOUT_MS, 1024, &resp),
                         0);
        assert_int_equal(resp.status, 204);
        assert_null(resp.body);
        assert_null(resp.location);
        rdc_rest_http_response_clear(&resp);
        assert_string_equal(g_leader.method, "PUT");
        assert_string_equal(g_leader.content_length, "0");
        assert_string_equal(g_leader.content_type, "");
        assert_string_equal(g_leader.authorization, "");

        leader_script(200, "[]", NULL);
        assert_int_equal(rdc_rest_http_request(url, "DELETE", NULL, 0, NULL,
                                               TIMEOUT_MS, 1024, &resp),
                         0);
        assert_string_equal(g_leader.method, "DELETE");
        rdc_rest_http_response_clear(&resp);

        /* Bounded: an answer over the cap is an error, not a body. */
        leader_script(200, "[\"0123456789\",\"0123456789\"]", NULL);
        assert_int_equal(rdc_rest_http_request(url, "GET", NULL, 0, NULL,
                                               TIMEOUT_MS, 16, &resp),
                         -1);
        assert_int_equal(resp.status, 0);
        assert_null(resp.body);
        assert_string_equal(resp.error, "the answer is larger than 16 bytes");
        rdc_rest_http_response_clear(&resp);

        /* The timeout covers the whole exchange. */
        leader_script(200, "[]", NULL);
        g_leader.delay_ms = 1500;
        assert_int_equal(rdc_rest_http_request(url, "GET", NULL, 0, NULL, 100,
                                               1024, &resp),
                         -1);
        assert_non_null(strstr(resp.error, "timed out"));
        rdc_rest_http_response_clear(&resp);
}

/* Kafka's HerderRequestHandler: the first worker adds forward=true, the
 * second forward=false, a third hop is refused. */
static void test_forward_hops(void **state) {
        (void)state;
        leader_script(201, "{\"name\":\"a\",\"config\":{},\"tasks\":[]}", NULL);
        assert_int_equal(forward(g_leader.url, "POST", "/connectors",
                                 RDC_REST_FORWARD_UNSET, "{\"name\":\"a\"}"),
                         201);
        assert_string_equal(g_text,
                            "{\"name\":\"a\",\"config\":{},\"tasks\":[]}");
        assert_string_equal(g_leader.uri, "/connectors?forward=true");
        assert_string_equal(g_leader.body_in, "{\"name\":\"a\"}");
        assert_string_equal(g_leader.authorization, "Basic dXNlcjpwdw==");

        leader_script(202, "{\"name\":\"c\"}", NULL);
        assert_int_equal(forward(g_leader.url, "POST",
                                 "/connectors/c/restart?forward=true&"
                                 "includeTasks=true",
                                 RDC_REST_FORWARD_TRUE, NULL),
                         202);
        assert_string_equal(g_leader.uri, "/connectors/c/restart?forward=false&"
                                          "includeTasks=true");
        assert_string_equal(g_leader.content_length, "0");

        leader_script(204, NULL, NULL);
        assert_int_equal(forward(g_leader.url, "PUT", "/connectors/c/stop",
                                 RDC_REST_FORWARD_FALSE, NULL),
                         409);
        assert_string_equal(g_text, "");
        assert_string_equal(g_errstr, "Cannot complete request because of a "
                                      "conflicting operation (e.g. worker "
                                      "rebalance)");
        /* forward=false wins over an unknown leader, as in Kafka. */
        assert_int_equal(forward("", "PUT", "/connectors/c/stop",
                                 RDC_REST_FORWARD_FALSE, NULL),
                         409);
        assert_string_equal(g_errstr, "Cannot complete request because of a "
                                      "conflicting operation (e.g. worker "
                                      "rebalance)");
        assert_int_equal(g_leader.hits, 0);

        assert_int_equal(forward("", "PUT", "/connectors/c/stop",
                                 RDC_REST_FORWARD_UNSET, NULL),
                         409);
        assert_string_equal(g_errstr, "Cannot complete request momentarily due "
                                      "to no known leader URL, likely because "
                                      "a rebalance was underway.");
        assert_int_equal(g_leader.hits, 0);
}

/* The leader's status and body come back as they are. */
static void test_forward_answers(void **state) {
        static const char *const conflict =
                "{\"error_code\":409,\"message\":\"Connector a already "
                "exists\"}";
        char want[256];

        (void)state;
        leader_script(409, conflict, NULL);
        assert_int_equal(forward(g_leader.url, "POST", "/connectors",
                                 RDC_REST_FORWARD_UNSET, "{}"),
                         409);
        assert_string_equal(g_text, conflict);

        leader_script(204, NULL, NULL);
        assert_int_equal(forward(g_leader.url, "DELETE", "/connectors/a",
                                 RDC_REST_FORWARD_UNSET, NULL),
                         204);
        assert_string_equal(g_text, "");
        assert_string_equal(g_leader.method, "DELETE");
        assert_string_equal(g_leader.uri, "/connectors/a?forward=true");

        leader_script(202, NULL, NULL);
        assert_int_equal(forward(g_leader.url, "PUT", "/connectors/a/pause",
                                 RDC_REST_FORWARD_UNSET, NULL),
                         202);
        assert_string_equal(g_text, "");

        /* What Kafka's RestClient refuses: a status outside 2xx/4xx/5xx,
         * a body that is not JSON (or not an error body for an error). */
        leader_script(302, NULL, "http://elsewhere/");
        assert_int_equal(forward(g_leader.url, "DELETE", "/connectors/a",
                                 RDC_REST_FORWARD_UNSET, NULL),
                         500);
        assert_string_equal(g_text, "");
        assert_string_equal(g_errstr, "Unexpected status code when handling "
                                      "forwarded request: 302");
        leader_script(200, "<html>", NULL);
        assert_int_equal(forward(g_leader.url, "DELETE", "/connectors/a",
                                 RDC_REST_FORWARD_UNSET, NULL),
                         500);
        snprintf(want, sizeof(want),
                 "IO Error trying to forward REST request: the 200 answer "
                 "of %sconnectors/a?forward=true is not JSON",
                 g_leader.url);
        assert_string_equal(g_errstr, want);
        leader_script(500, "[1]", NULL);
        assert_int_equal(forward(g_leader.url, "DELETE", "/connectors/a",
                                 RDC_REST_FORWARD_UNSET, NULL),
                         500);
        assert_string_equal(g_text, "");
        snprintf(want, sizeof(want),
                 "IO Error trying to forward REST request: the 500 answer "
                 "of %sconnectors/a?forward=true is not a JSON error body",
                 g_leader.url);
        assert_string_equal(g_errstr, want);
}

static void test_forward_unreachable(void **state) {
        const char *prefix = "IO Error trying to forward REST request: ";

        (void)state;
        /* Port 1 on loopback: nobody listens there. */
        assert_int_equal(forward("http://127.0.0.1:1/", "POST", "/connectors",
                                 RDC_REST_FORWARD_UNSET, "{}"),
                         500);
        assert_string_equal(g_text, "");
        assert_int_equal(strncmp(g_errstr, prefix, strlen(prefix)), 0);
        assert_non_null(strstr(g_errstr, "127.0.0.1 port 1"));
}

/* A real rdconnect server as the leader (it has no herder: connector
 * writes answer 503 there, the logger endpoints work). */
static void test_forward_to_rdconnect(void **state) {
        char big[3000];

        (void)state;
        assert_int_equal(
                forward(g_rdc.worker.rest_url, "PUT", "/admin/loggers/rdc.fwd",
                        RDC_REST_FORWARD_UNSET, "{\"level\":\"DEBUG\"}"),
                200);
        assert_string_equal(g_text, "[\"rdc.fwd\"]");

        assert_int_equal(forward(g_rdc.worker.rest_url, "POST", "/connectors",
                                 RDC_REST_FORWARD_UNSET,
                                 "{\"name\":\"a\",\"config\":{}}"),
                         503);
        assert_string_equal(g_text, "{\"error_code\":503,\"message\":\"Request "
                                    "cannot be completed because the worker "
                                    "is still starting up\"}");

        /* Its own limits hold for forwarded requests. */
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        memcpy(big, "{\"a\":\"", 6);
        memcpy(big + sizeof(big) - 3, "\"}", 2);
        assert_int_equal(forward(g_rdc.worker.rest_url, "PUT",
                                 "/connectors/a/config", RDC_REST_FORWARD_TRUE,
                                 big),
                         413);
        assert_string_equal(g_text, "{\"error_code\":413,\"message\":\"Request "
                                    "body is larger than "
                                    "rest.max.request.bytes (2048 bytes)\"}");
}

/* ------------------------------------ end to end: client, follower,
 * leader */

/** Sends a client's request to g_follower (the scripted herder says
 *  "forward to g_herder_url") and reads its answer. */
static void client(const char *method, const char *path, const char *body,
                   rdc_rest_http_response_t *resp) {
        char url[1200];

        /* rest_url ends with '/', path starts with one. */
        snprintf(url, sizeof(url), "%s%s", g_follower.worker.rest_url,
                 path + 1);
        assert_int_equal(rdc_rest_http_request(
                                 url, method, body, body ? strlen(body) : 0,
                                 "Basic YTpi", TIMEOUT_MS, 65536, resp),
                         0);
}

static void test_follower_forwards(void **state) {
        static const char *const info =
                "{\"name\":\"a\",\"config\":{\"connector.class\":\"X\","
                "\"name\":\"a\"},\"tasks\":[],\"type\":\"source\"}";
        static const char *const create =
                "{\"name\": \"a\", \"config\": {\"connector.class\": \"X\"}}";
        rdc_rest_http_response_t resp;
        char want[512];

        (void)state;
        g_herder_url = g_leader.url;
        leader_script(201, info, "http://leader:8083/connectors/a");
        client("POST", "/connectors", create, &resp);
        /* The leader got the client's request, as sent, plus forward. */
        assert_int_equal(g_herder_req_type, RDC_REQ_CREATE);
        assert_int_equal(g_leader.hits, 1);
        assert_string_equal(g_leader.method, "POST");
        assert_string_equal(g_leader.uri, "/connectors?forward=true");
        assert_string_equal(g_leader.body_in, create);
        assert_string_equal(g_leader.content_type, "application/json");
        assert_string_equal(g_leader.authorization, "Basic YTpi");
        /* The client got the leader's answer; Location names the worker
         * it asked, as in Kafka. */
        assert_int_equal(resp.status, 201);
        assert_string_equal(resp.body, info);
        snprintf(want, sizeof(want), "%sconnectors/a",
                 g_follower.worker.rest_url);
        assert_string_equal(resp.location, want);
        rdc_rest_http_response_clear(&resp);

        /* From another worker (forward=true): on with forward=false, the
         * raw path and the other parameters kept; no body sent for a
         * route that reads none. */
        leader_script(202, "{\"name\":\"a/b\"}", NULL);
        client("POST",
               "/connectors/a%2Fb/restart?includeTasks=true&forward=true&"
               "onlyFailed=false",
               "{\"ignored\": 1}", &resp);
        assert_int_equal(g_herder_req_type, RDC_REQ_RESTART);
        assert_string_equal(g_leader.uri, "/connectors/a%2Fb/restart?"
                                          "forward=false&includeTasks=true&"
                                          "onlyFailed=false");
        assert_string_equal(g_leader.body_in, "");
        assert_string_equal(g_leader.content_length, "0");
        assert_int_equal(resp.status, 202);
        assert_string_equal(resp.body, "{\"name\":\"a/b\"}");
        assert_null(resp.location);
        rdc_rest_http_response_clear(&resp);

        leader_script(204, NULL, NULL);
        client("DELETE", "/connectors/a", NULL, &resp);
        assert_string_equal(g_leader.method, "DELETE");
        assert_int_equal(resp.status, 204);
        assert_null(resp.body);
        rdc_rest_http_response_clear(&resp);

        leader_script(404,
                      "{\"error_code\":404,\"message\":\"Connector "
                      "b not found\"}",
                      NULL);
        client("PUT", "/connectors/b/stop", NULL, &resp);
        assert_int_equal(resp.status, 404);
        assert_string_equal(resp.body, "{\"error_code\":404,\"message\":"
                                       "\"Connector b not found\"}");
        rdc_rest_http_response_clear(&resp);

        /* The internal task-configs request: the list reaches the herder
         * and the leader as sent. */
        leader_script(204, NULL, NULL);
        client("POST", "/connectors/a/tasks", "[{\"k\": \"v\"}, {}]", &resp);
        assert_int_equal(g_herder_req_type, RDC_REQ_PUT_TASK_CONFIGS);
        assert_string_equal(g_herder_req_json, "[{\"k\":\"v\"},{}]");
        assert_string_equal(g_leader.uri, "/connectors/a/tasks?forward=true");
        assert_string_equal(g_leader.body_in, "[{\"k\": \"v\"}, {}]");
        assert_int_equal(resp.status, 204);
        rdc_rest_http_response_clear(&resp);
}

static void test_follower_refuses(void **state) {
        static const char *const two_hops =
                "{\"error_code\":409,\"message\":\"Cannot complete request "
                "because of a conflicting operation (e.g. worker "
                "rebalance)\"}";
        rdc_rest_http_response_t resp;
        const char *prefix = "{\"error_code\":500,\"message\":\"IO Error "
                             "trying to forward REST request: Failed to "
                             "connect to 127.0.0.1 port 1 ";

        (void)state;
        g_herder_url = g_leader.url;
        leader_script(204, NULL, NULL);
        client("PUT", "/connectors/a/stop?forward=false", NULL, &resp);
        assert_int_equal(resp.status, 409);
        assert_string_equal(resp.body, two_hops);
        rdc_rest_http_response_clear(&resp);
        /* Jersey's Boolean: anything but "true" is false. */
        client("PUT", "/connectors/a/stop?forward=yes", NULL, &resp);
        assert_int_equal(resp.status, 409);
        assert_string_equal(resp.body, two_hops);
        rdc_rest_http_response_clear(&resp);
        assert_int_equal(g_leader.hits, 0);

        g_herder_url = "";
        client("PUT", "/connectors/a/stop", NULL, &resp);
        assert_int_equal(resp.status, 409);
        assert_string_equal(resp.body,
                            "{\"error_code\":409,\"message\":\"Cannot "
                            "complete request momentarily due to no known "
                            "leader URL, likely because a rebalance was "
                            "underway.\"}");
        rdc_rest_http_response_clear(&resp);

        g_herder_url = "http://127.0.0.1:1/";
        client("DELETE", "/connectors/a", NULL, &resp);
        assert_int_equal(resp.status, 500);
        assert_int_equal(strncmp(resp.body, prefix, strlen(prefix)), 0);
        rdc_rest_http_response_clear(&resp);

        /* A bad body is refused before the herder is asked. */
        g_herder_calls = 0;
        client("POST", "/connectors/a/tasks", "[1]", &resp);
        assert_int_equal(resp.status, 400);
        assert_string_equal(resp.body,
                            "{\"error_code\":400,\"message\":\"task config 0 "
                            "must be a JSON object of strings, not int\"}");
        rdc_rest_http_response_clear(&resp);
        assert_int_equal(g_herder_calls, 0);
}

/* Two rdconnect servers: the follower's forwarded request is read by the
 * leader as a client's (here: refused, it has no herder). */
static void test_follower_to_rdconnect(void **state) {
        rdc_rest_http_response_t resp;

        (void)state;
        g_herder_url = g_rdc.worker.rest_url;
        client("PUT", "/connectors/a/config",
               "{\"connector.class\": \"X\", \"name\": \"a\"}", &resp);
        assert_int_equal(resp.status, 503);
        assert_string_equal(resp.body, "{\"error_code\":503,\"message\":"
                                       "\"Request cannot be completed because "
                                       "the worker is still starting up\"}");
        rdc_rest_http_response_clear(&resp);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_forward_url),
                cmocka_unit_test(test_http_request),
                cmocka_unit_test(test_forward_hops),
                cmocka_unit_test(test_forward_answers),
                cmocka_unit_test(test_forward_unreachable),
                cmocka_unit_test(test_forward_to_rdconnect),
                cmocka_unit_test(test_follower_forwards),
                cmocka_unit_test(test_follower_refuses),
                cmocka_unit_test(test_follower_to_rdconnect),
        };

        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
