/*
 * Fuzz target: REST request parsing and routing (runtime/rest/) up to
 * the herder request each route produces.
 *
 * The real server runs in-process on a loopback port; every input becomes
 * one HTTP request. A stand-in for rdc_herder_request() (the herder.h
 * seam: herder.c is not linked) checks that the request the REST layer
 * built is well-formed for its type and answers with a body that depends
 * on it, so the reply path runs too. The client side checks that every
 * answer is HTTP with a status in range and that a JSON error body is
 * Kafka's {"error_code": <status>, "message": ...}.
 *
 * Input: method '\n' request-target '\n' body. Bytes of the target that
 * cannot appear in an HTTP request line are sent percent-encoded, and
 * non-token bytes of the method become 'X', so inputs reach the router
 * instead of MHD's request-line errors.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <json-c/json.h>

#include "fuzz_common.h"
#include "herder/herder.h"
#include "core/log.h"
#include "core/map.h"
#include "rest/rest.h"

#define FUZZ_IO_TIMEOUT_MS 20000
#define FUZZ_MAX_REPLY     (1 << 20)
#define FUZZ_MAX_INPUT     (64 * 1024)

static rdc_worker_t *g_worker;
static int g_port;
/* Any non-NULL pointer: the REST room only passes it back to the stand-in. */
static int g_fake_herder;

static int request_needs_connector(rdc_req_type_t type) {
        return type != RDC_REQ_LIST && type != RDC_REQ_HEALTH;
}

/* The herder.h contract, checked from the herder's side. */
static void check_request(const rdc_request_t *req) {
        if (req->type < RDC_REQ_LIST || req->type >= RDC_REQ__CNT)
                rdc_fuzz_fail("request type %d", (int)req->type);
        if (request_needs_connector(req->type) &&
            (!req->connector || !*req->connector))
                rdc_fuzz_fail("type %d without a connector name", req->type);
        switch (req->type) {
        case RDC_REQ_CREATE:
        case RDC_REQ_PUT_CONFIG: {
                const char *name;

                if (!req->config)
                        rdc_fuzz_fail("type %d without a config", req->type);
                name = rdc_map_get(req->config, "name");
                if (!name || strcmp(name, req->connector))
                        rdc_fuzz_fail("config name '%s' is not the "
                                      "connector '%s'",
                                      name ? name : "(none)", req->connector);
                if (req->type == RDC_REQ_CREATE &&
                    (strchr(" \t\r\n\f\v", req->connector[0]) ||
                     strchr(" \t\r\n\f\v",
                            req->connector[strlen(req->connector) - 1])))
                        rdc_fuzz_fail("untrimmed name '%s'", req->connector);
                if (req->initial_state &&
                    strcmp(req->initial_state, "RUNNING") &&
                    strcmp(req->initial_state, "PAUSED") &&
                    strcmp(req->initial_state, "STOPPED"))
                        rdc_fuzz_fail("initial_state '%s'", req->initial_state);
                break;
        }
        case RDC_REQ_PATCH_CONFIG:
        case RDC_REQ_ALTER_OFFSETS:
                if (!json_object_is_type(req->json, json_type_object))
                        rdc_fuzz_fail("type %d without a JSON object",
                                      req->type);
                break;
        case RDC_REQ_GET_TASK_STATUS:
        case RDC_REQ_RESTART_TASK:
                if (req->task < 0)
                        rdc_fuzz_fail("task id %d", req->task);
                break;
        default:
                break;
        }
}

void rdc_herder_request(rdc_herder_t *herder, const rdc_request_t *req,
                        rdc_reply_t *reply, int timeout_ms) {
        json_object *body;

        (void)timeout_ms;
        if (herder != (rdc_herder_t *)&g_fake_herder)
                rdc_fuzz_fail("unknown herder %p", (void *)herder);
        check_request(req);
        memset(reply, 0, sizeof(*reply));
        /* A missing connector answers the way the herder does, with the
         * (user-supplied) name inside the message. */
        if (req->type == RDC_REQ_DELETE || req->type == RDC_REQ_GET_INFO) {
                reply->status = 404;
                snprintf(reply->message, sizeof(reply->message),
                         "Connector %s not found", req->connector);
                return;
        }
        body = json_object_new_object();
        json_object_object_add(body, "type", json_object_new_int(req->type));
        if (req->connector)
                json_object_object_add(body, "name",
                                       json_object_new_string(req->connector));
        if (req->json)
                json_object_object_add(body, "json",
                                       json_object_get(req->json));
        reply->status =
                req->type == RDC_REQ_CREATE || req->type == RDC_REQ_PUT_CONFIG
                        ? 201
                        : 200;
        reply->body = body;
}

void rdc_reply_clear(rdc_reply_t *reply) {
        json_object_put(reply->body);
        reply->body = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        static const char *const settings[] = {
                "listeners", "http://127.0.0.1:0", "rest.max.request.bytes",
                "16384", NULL};
        char errstr[512];
        const char *colon;

        (void)argc;
        (void)argv;
        g_worker = rdc_fuzz_worker(settings);
        if (!rdc_rest_start(g_worker, errstr, sizeof(errstr)))
                rdc_fuzz_fail("REST start: %s", errstr);
        __atomic_store_n(&g_worker->herder, (rdc_herder_t *)&g_fake_herder,
                         __ATOMIC_RELEASE);
        colon = strrchr(g_worker->worker_id, ':');
        g_port = colon ? atoi(colon + 1) : 0;
        if (g_port <= 0)
                rdc_fuzz_fail("no port in '%s'", g_worker->worker_id);
        return 0;
}

/* ------------------------------------------------------------ client */

static int is_tchar(unsigned char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
               (c >= '0' && c <= '9') || (c && strchr("!#$&'*+-.^_`|~", c));
}

typedef struct fuzz_buf {
        char *data;
        size_t len;
        size_t size;
} fuzz_buf_t;

static void buf_add(fuzz_buf_t *b, const void *data, size_t len) {
        if (b->len + len + 1 > b->size) {
                size_t size = b->size ? b->size * 2 : 4096;

                while (size < b->len + len + 1)
                        size *= 2;
                b->data = realloc(b->data, size);
                if (!b->data)
                        rdc_fuzz_fail("out of memory");
                b->size = size;
        }
        memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
}

static void buf_addf(fuzz_buf_t *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void buf_addf(fuzz_buf_t *b, const char *fmt, ...) {
        char tmp[256];
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
        va_end(ap);
        buf_add(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

static const uint8_t *next_line(const uint8_t **p, const uint8_t *end,
                                size_t *len) {
        const uint8_t *start = *p;
        const uint8_t *nl = memchr(start, '\n', (size_t)(end - start));

        *len = (size_t)((nl ? nl : end) - start);
        *p = nl ? nl + 1 : end;
        return start;
}

static void build_request(const uint8_t *data, size_t size, fuzz_buf_t *req,
                          int *is_head) {
        static const char hex[] = "0123456789ABCDEF";
        const uint8_t *p = data, *end = data + size, *s;
        size_t len, i;

        s = next_line(&p, end, &len);
        if (len == 0) {
                buf_add(req, "GET", 3);
        } else {
                for (i = 0; i < len; i++) {
                        char c = is_tchar(s[i]) ? (char)s[i] : 'X';

                        buf_add(req, &c, 1);
                }
        }
        *is_head = !strcmp(req->data, "HEAD");
        buf_add(req, " ", 1);
        s = next_line(&p, end, &len);
        if (len == 0)
                buf_add(req, "/", 1);
        for (i = 0; i < len; i++) {
                if (s[i] <= 0x20 || s[i] >= 0x7f) {
                        char enc[3] = {'%', hex[s[i] >> 4], hex[s[i] & 15]};

                        buf_add(req, enc, 3);
                } else {
                        buf_add(req, &s[i], 1);
                }
        }
        buf_addf(req,
                 " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 (size_t)(end - p));
        buf_add(req, p, (size_t)(end - p));
}

static int wait_fd(int fd, short events) {
        struct pollfd pfd = {.fd = fd, .events = events};
        int rc;

        do
                rc = poll(&pfd, 1, FUZZ_IO_TIMEOUT_MS);
        while (rc < 0 && errno == EINTR);
        return rc;
}

static int connect_server(void) {
        struct sockaddr_in addr = {.sin_family = AF_INET,
                                   .sin_port = htons((uint16_t)g_port)};
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), err = 0;
        socklen_t len = sizeof(err);

        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd < 0)
                rdc_fuzz_fail("socket: %s", strerror(errno));
        if (!connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
                return fd;
        /* libFuzzer's timers interrupt; the connect goes on regardless. */
        if (errno != EINTR || wait_fd(fd, POLLOUT) <= 0 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
                rdc_fuzz_fail("connect: %s", strerror(err ? err : errno));
        return fd;
}

/** Sends the request and reads the answer until the server closes. A
 *  server that stops reading or never answers is a hang: that fails. */
static void exchange(const fuzz_buf_t *req, fuzz_buf_t *reply) {
        int fd = connect_server();
        size_t off = 0;
        char chunk[4096];

        while (off < req->len) {
                ssize_t n;

                if (wait_fd(fd, POLLOUT) <= 0)
                        rdc_fuzz_fail("server stopped reading the request");
                n = send(fd, req->data + off, req->len - off, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break; /* answered early and closed: read it */
                off += (size_t)n;
        }
        for (;;) {
                ssize_t n;

                if (wait_fd(fd, POLLIN) <= 0)
                        rdc_fuzz_fail("no answer within %d ms",
                                      FUZZ_IO_TIMEOUT_MS);
                n = recv(fd, chunk, sizeof(chunk), 0);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        break;
                if (reply->len + (size_t)n > FUZZ_MAX_REPLY)
                        rdc_fuzz_fail("answer larger than %d bytes",
                                      FUZZ_MAX_REPLY);
                buf_add(reply, chunk, (size_t)n);
        }
        close(fd);
}

/* A 201 names the new connector: the advertised URL, then the name as
 * one percent-encoded path segment (so it cannot add a segment). */
static void check_location(const char *head, const char *head_end, int status) {
        const char *loc = strcasestr(head, "\r\nLocation: ");
        char prefix[320];
        size_t len;

        if (loc && loc > head_end)
                loc = NULL;
        if (status != 201) {
                if (loc)
                        rdc_fuzz_fail("Location on a %d answer", status);
                return;
        }
        snprintf(prefix, sizeof(prefix), "%sconnectors/", g_worker->rest_url);
        if (!loc || strncmp(loc + 12, prefix, strlen(prefix)))
                rdc_fuzz_fail("201 without a Location under %s", prefix);
        loc += 12 + strlen(prefix);
        len = strcspn(loc, "\r");
        if (len == 0 || strspn(loc, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                    "opqrstuvwxyz0123456789-._~%") < len)
                rdc_fuzz_fail("Location segment not encoded: %.*s", (int)len,
                              loc);
}

static void check_reply(const fuzz_buf_t *reply, int is_head) {
        const char *head_end, *body;
        int status;
        json_object *json, *code;

        if (reply->len == 0)
                rdc_fuzz_fail("empty answer");
        if (sscanf(reply->data, "HTTP/1.1 %d ", &status) != 1 || status < 100 ||
            status > 599)
                rdc_fuzz_fail("bad status line: %.80s", reply->data);
        head_end = strstr(reply->data, "\r\n\r\n");
        if (!head_end)
                rdc_fuzz_fail("answer without end of headers");
        body = head_end + 4;
        check_location(reply->data, head_end, status);
        if (is_head || !strcasestr(reply->data, "application/json") ||
            strcasestr(reply->data, "application/json") > head_end)
                return; /* MHD's own error pages are not JSON */
        json = json_tokener_parse(body);
        if (!json)
                rdc_fuzz_fail("JSON content type, body not JSON: %.200s", body);
        if (status >= 400) {
                if (!json_object_object_get_ex(json, "error_code", &code) ||
                    json_object_get_int(code) != status ||
                    !json_object_object_get_ex(json, "message", NULL))
                        rdc_fuzz_fail("error %d with body %.200s", status,
                                      body);
        }
        json_object_put(json);
}

/* Levels set through PUT /admin/loggers would make the server log every
 * request; each input starts from quiet again. */
static void collect_logger(void *opaque, const char *logger,
                           rdc_log_level_t level, int64_t modified_ms) {
        fuzz_buf_t *names = opaque;

        (void)level;
        (void)modified_ms;
        buf_add(names, logger, strlen(logger) + 1);
}

static void quiet_loggers(void) {
        fuzz_buf_t names = {0};
        size_t off;

        rdc_log_foreach(collect_logger, &names);
        for (off = 0; off < names.len; off += strlen(names.data + off) + 1)
                rdc_log_set_level(names.data + off, RDC_LOG_ERROR);
        free(names.data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_buf_t req = {0}, reply = {0};
        int is_head;

        if (size > FUZZ_MAX_INPUT)
                return -1;
        build_request(data, size, &req, &is_head);
        exchange(&req, &reply);
        check_reply(&reply, is_head);
        free(req.data);
        free(reply.data);
        quiet_loggers();
        return 0;
}
