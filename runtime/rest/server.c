/*
 * REST server: Kafka Connect's REST API over libmicrohttpd, the transport.
 *
 * One MHD daemon per listener, whose one polling thread (epoll) accepts,
 * reads and answers every connection. Connector requests block on the
 * herder (up to RDC_REST_HERDER_TIMEOUT_MS), and a blocked handler must
 * not hold up other clients: once a request is in, its connection is
 * suspended and the call queued to a handler thread, which runs the route
 * and resumes it; the polling thread then sends the answer. Handler
 * threads are kept for the next requests (a new thread per connection
 * cost more CPU than the requests: creating, mapping and unmapping
 * stacks; bench/ REST load), and a new one is made only when none is
 * idle, so a slow handler never waits for another. (A pool of two
 * polling threads was tried: more CPU, slower writes, and MHD divides
 * its connection limits among them.) Connections are capped (per
 * listener and per client address), and a request must arrive whole
 * within a deadline (a reaper thread cuts slower ones), so that clients
 * trickling bytes cannot hold the server.
 *
 * A request's body is collected here, then rest/routes.c routes and
 * answers it; listeners are parsed and bound in rest/listeners.c. Every
 * failure is Kafka's error body {"error_code": <status>, "message": "..."},
 * libmicrohttpd's own error pages included.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <json-c/json.h>
#include <microhttpd.h>

#include "core/clock.h"
#include "core/configdef.h"
#include "core/log.h"
#include "kafka/clients.h"
#include "rest/rest_internal.h"

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
        json_object *body = rdc_rest_error_body((int)status, message);
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
        body = rdc_rest_error_body((int)status, message);
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

/** @returns 1 if MHD closes the connection after this request. */
static int rest_conn_closes(struct MHD_Connection *conn,
                            enum MHD_RequestTerminationCode toe) {
        const char *value;

        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
                return 1;
        value = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                            MHD_HTTP_HEADER_CONNECTION);
        return value && strcasestr(value, "close");
}

static void rest_on_completed(void *cls, struct MHD_Connection *conn,
                              void **con_cls,
                              enum MHD_RequestTerminationCode toe) {
        rest_conn_set_state(cls, conn,
                            rest_conn_closes(conn, toe) ? RDC_REST_CONN_CLOSING
                                                        : RDC_REST_CONN_IDLE);
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
                rdc_rest_reply_error(call, MHD_HTTP_INTERNAL_SERVER_ERROR,
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
        rdc_rest_reply_error(call, MHD_HTTP_CONTENT_TOO_LARGE,
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
        rdc_rest_route(call);
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
        rest_daemon_ctx_t *ctx = cls;
        rdc_rest_t *rest = ctx->rest;
        rest_conn_t *c = *socket_context;

        if (code == MHD_CONNECTION_NOTIFY_STARTED) {
                const union MHD_ConnectionInfo *info = MHD_get_connection_info(
                        conn, MHD_CONNECTION_INFO_CONNECTION_FD);

                const union MHD_ConnectionInfo *addr = MHD_get_connection_info(
                        conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

                c = info ? calloc(1, sizeof(*c)) : NULL;
                *socket_context = c;
                if (!c)
                        return; /* untracked: MHD's idle timeout only */
                c->fd = info->connect_fd;
                c->ctx = ctx;
                c->counted = 1;
                if (addr && addr->client_addr)
                        memcpy(&c->addr, addr->client_addr,
                               addr->client_addr->sa_family == AF_INET6
                                       ? sizeof(struct sockaddr_in6)
                                       : sizeof(struct sockaddr_in));
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

/** @returns 1 if a and b are the same client address (port aside). */
static int rest_same_host(const struct sockaddr_storage *a,
                          const struct sockaddr *b) {
        if (a->ss_family != b->sa_family)
                return 0;
        if (b->sa_family == AF_INET)
                return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
                               &((const struct sockaddr_in *)b)->sin_addr,
                               sizeof(struct in_addr));
        if (b->sa_family == AF_INET6)
                return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
                               &((const struct sockaddr_in6 *)b)->sin6_addr,
                               sizeof(struct in6_addr));
        return 0;
}

/**
 * rest.connections.max (per listener) and rest.connections.max.per.ip,
 * counted here rather than by MHD. MHD counts a connection until it has
 * cleaned it up, which may be after the client has read the end of its
 * answer and connected again: a client that never held more connections
 * than the limit was refused. Here a connection that closes after its
 * answer no longer counts once that answer is complete
 * (rest_on_completed). MHD calls this and then the STARTED notification
 * on its one polling thread, so the count is exact.
 */
static enum MHD_Result rest_on_accept(void *cls, const struct sockaddr *addr,
                                      socklen_t addrlen) {
        const rest_daemon_ctx_t *ctx = cls;
        rdc_rest_t *rest = ctx->rest;
        unsigned int total = 0, same = 0;
        const rest_conn_t *c;
        const char *limit = NULL;

        (void)addrlen;
        pthread_mutex_lock(&rest->conn_lock);
        for (c = rest->conns; c; c = c->next) {
                if (!c->counted)
                        continue;
                if (c->ctx == ctx)
                        total++;
                if (addr && rest_same_host(&c->addr, addr))
                        same++;
        }
        pthread_mutex_unlock(&rest->conn_lock);
        if (total >= rest->connections_max)
                limit = "rest.connections.max";
        else if (rest->connections_max_per_ip &&
                 same >= rest->connections_max_per_ip)
                limit = "rest.connections.max.per.ip";
        if (limit)
                rdc_log_warn(RDC_REST_LOGGER,
                             "Server reached connection limit (%s). Closing "
                             "inbound connection.",
                             limit);
        return limit ? MHD_NO : MHD_YES;
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
        /* A closing connection no longer counts; should a request come
         * after all, it counts again. */
        c->counted = state != RDC_REST_CONN_CLOSING;
        if (state == RDC_REST_CONN_CLOSING)
                state = RDC_REST_CONN_IDLE;
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

/*
 * ---------------------------------------------------------------------
 * Handler threads
 * ---------------------------------------------------------------------
 */

static void *rest_handler_main(void *arg) {
        rdc_rest_t *rest = arg;

        pthread_mutex_lock(&rest->pool_lock);
        for (;;) {
                rdc_rest_call_t *call = rest->queue_head;
                struct MHD_Connection *conn;

                if (!call) {
                        if (rest->pool_stopping)
                                break;
                        rest->idle++;
                        pthread_cond_wait(&rest->pool_work, &rest->pool_lock);
                        rest->idle--;
                        continue;
                }
                rest->queue_head = call->queue_next;
                if (!rest->queue_head)
                        rest->queue_tail = NULL;
                rest->queued--;
                pthread_mutex_unlock(&rest->pool_lock);

                call->route->handler(call);
                call->handled = 1;
                /* From here on the call is the polling thread's: it
                 * answers and frees it. */
                conn = call->conn;
                MHD_resume_connection(conn);

                pthread_mutex_lock(&rest->pool_lock);
                if (--rest->inflight == 0)
                        pthread_cond_broadcast(&rest->pool_drained);
        }
        pthread_mutex_unlock(&rest->pool_lock);
        return NULL;
}

/** Starts one more handler thread. pool_lock held. @returns 0 or -1. */
static int rest_pool_grow_locked(rdc_rest_t *rest) {
        pthread_attr_t attr;
        int err;

        if (rest->thread_cnt == rest->thread_size) {
                size_t size = rest->thread_size ? rest->thread_size * 2 : 16;
                pthread_t *threads =
                        realloc(rest->threads, size * sizeof(*threads));

                if (!threads)
                        return -1;
                rest->threads = threads;
                rest->thread_size = size;
        }
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, RDC_REST_THREAD_STACK);
        err = pthread_create(&rest->threads[rest->thread_cnt], &attr,
                             rest_handler_main, rest);
        pthread_attr_destroy(&attr);
        if (err)
                return -1;
        rest->thread_cnt++;
        return 0;
}

/**
 * Hands a call whose request is in to a handler thread and suspends its
 * connection. @returns 1 if queued; 0 if the caller must run the handler
 * itself (the server is stopping, or no thread could be made), as a
 * thread per connection did.
 */
static int rest_pool_queue(rdc_rest_call_t *call) {
        rdc_rest_t *rest = call->rest;
        int queued = 0;

        pthread_mutex_lock(&rest->pool_lock);
        if (!rest->pool_stopping &&
            (rest->idle > rest->queued || rest_pool_grow_locked(rest) == 0)) {
                MHD_suspend_connection(call->conn);
                call->queue_next = NULL;
                if (rest->queue_tail)
                        rest->queue_tail->queue_next = call;
                else
                        rest->queue_head = call;
                rest->queue_tail = call;
                rest->queued++;
                rest->inflight++;
                pthread_cond_signal(&rest->pool_work);
                queued = 1;
        }
        pthread_mutex_unlock(&rest->pool_lock);
        return queued;
}

/** Lets running handlers finish (their connections resumed, as
 *  MHD_stop_daemon() requires: it must find no suspended connection),
 *  then ends the handler threads. New calls run on the polling thread. */
static void rest_pool_stop(rdc_rest_t *rest) {
        size_t i;

        pthread_mutex_lock(&rest->pool_lock);
        rest->pool_stopping = 1;
        pthread_cond_broadcast(&rest->pool_work);
        while (rest->inflight > 0)
                pthread_cond_wait(&rest->pool_drained, &rest->pool_lock);
        pthread_mutex_unlock(&rest->pool_lock);
        for (i = 0; i < rest->thread_cnt; i++)
                pthread_join(rest->threads[i], NULL);
        free(rest->threads);
        rest->threads = NULL;
        rest->thread_cnt = rest->thread_size = 0;
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
                        rdc_rest_reply_error(
                                call, MHD_HTTP_BAD_REQUEST,
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

        if (call->handled) /* resumed: the handler thread answered */
                return rest_respond(call);
        rest_conn_set_state(call->rest, conn, RDC_REST_CONN_BUSY);
        if (call->body_too_large) {
                rest_reply_too_large(call);
        } else if (call->route && call->status == 0) {
                /* The first time the request is whole, MHD still waits to
                 * read (its state is not updated while a connection is
                 * suspended), and on resume it would read first: a
                 * client that half-closed after its request (shutdown
                 * SHUT_WR) would be closed without an answer. Answering
                 * nothing now makes MHD stop reading and call again at
                 * once; the connection is suspended then. */
                if (!call->deferred) {
                        call->deferred = 1;
                        return MHD_YES;
                }
                if (rest_pool_queue(call))
                        return MHD_YES; /* until the handler is done */
                call->route->handler(call);
        }
        return rest_respond(call);
}

/** Reads an integer worker key within [min, max], dflt when unset.
 *  @returns 0 or -1 with errstr naming the key. */
static int rest_read_int(const rdc_rest_t *rest, const char *key, int64_t dflt,
                         int64_t min, int64_t max, int64_t *out, char *errstr,
                         size_t errstr_size) {
        const char *text = rdc_rest_config(rest->worker, key);

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
                                            rest_daemon_ctx_t *ctx,
                                            const rest_listener_t *l) {
        unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
                             MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC |
                             MHD_USE_ERROR_LOG;

        if (l->family == AF_INET6)
                flags |= MHD_USE_IPv6;
        return MHD_start_daemon(
                flags, 0, rest_on_accept, ctx, rest_on_request, rest,
                MHD_OPTION_EXTERNAL_LOGGER, rest_on_mhd_log, rest,
                MHD_OPTION_LISTEN_SOCKET, (MHD_socket)l->fd,
                MHD_OPTION_URI_LOG_CALLBACK, rest_on_uri, rest,
                MHD_OPTION_NOTIFY_COMPLETED, rest_on_completed, rest,
                MHD_OPTION_NOTIFY_CONNECTION, rest_on_connection, ctx,
                /* A backstop (MHD's count lags): rest_on_accept keeps
                 * the limits. At its limit MHD stops accepting, and
                 * connections would wait in the listen queue. */
                MHD_OPTION_CONNECTION_LIMIT, rest->connections_max * 2,
                MHD_OPTION_CONNECTION_TIMEOUT,
                (unsigned int)RDC_REST_IDLE_TIMEOUT_S,
                MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                (size_t)RDC_REST_CONNECTION_MEMORY,
                MHD_OPTION_THREAD_STACK_SIZE, (size_t)RDC_REST_THREAD_STACK,
                MHD_OPTION_END);
}

rdc_rest_t *rdc_rest_start(rdc_worker_t *worker, char *errstr,
                           size_t errstr_size) {
        rest_listener_t listeners[RDC_REST_MAX_LISTENERS];
        int cnt = 0, i;
        rdc_rest_t *rest;

        rest = calloc(1, sizeof(*rest));
        if (!rest) {
                snprintf(errstr, errstr_size, "Out of memory");
                return NULL;
        }
        rest->worker = worker;
        pthread_mutex_init(&rest->conn_lock, NULL);
        rdc_clock_cond_init(&rest->conn_cond);
        pthread_mutex_init(&rest->pool_lock, NULL);
        pthread_cond_init(&rest->pool_work, NULL);
        pthread_cond_init(&rest->pool_drained, NULL);
        if (rest_read_limits(rest, errstr, errstr_size) == -1)
                goto fail;
        if (pthread_create(&rest->reaper, NULL, rest_reaper_main, rest)) {
                snprintf(errstr, errstr_size,
                         "listeners: cannot start the REST reaper thread");
                goto fail;
        }
        rest->reaper_running = 1;
        /* As Kafka, whose worker looks the cluster id up before it serves
         * REST, but bounded: a worker whose Kafka is down still serves. */
        if (!rdc_kafka_cluster_id_wait(worker, RDC_REST_CLUSTER_ID_WAIT_MS))
                rdc_log_warn(RDC_REST_LOGGER,
                             "Kafka's cluster id is not known yet: GET / "
                             "shows kafka_cluster_id null until it is");
        cnt = rdc_rest_listeners_open(worker, listeners, errstr, errstr_size);
        if (cnt == -1) {
                cnt = 0;
                goto fail;
        }

        for (i = 0; i < cnt; i++) {
                rest->daemon_ctx[i].rest = rest;
                rest->daemons[i] = rest_daemon_start(rest, &rest->daemon_ctx[i],
                                                     &listeners[i]);
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
        return rest;

fail:
        for (i = 0; i < cnt; i++)
                if (listeners[i].fd != -1)
                        close(listeners[i].fd);
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
        /* Waits for the handlers, hence for requests still waiting on
         * the herder: stop REST before the herder. */
        rest_pool_stop(rest);
        for (i = 0; i < rest->daemon_cnt; i++)
                MHD_stop_daemon(rest->daemons[i]);
        pthread_cond_destroy(&rest->pool_drained);
        pthread_cond_destroy(&rest->pool_work);
        pthread_mutex_destroy(&rest->pool_lock);
        pthread_cond_destroy(&rest->conn_cond);
        pthread_mutex_destroy(&rest->conn_lock);
        free(rest);
}
