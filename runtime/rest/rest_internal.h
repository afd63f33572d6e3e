/*
 * Private to the REST room (server.c, routes.c, loggers.c, listeners.c,
 * plugins.c): the server and call structs, the route type, the replies
 * in Kafka's error shape, and the renderings of the plugin endpoints,
 * kept apart from the HTTP transport so that they read as plain "worker
 * in, Kafka JSON out" functions.
 */
#ifndef RDC_REST_INTERNAL_H
#define RDC_REST_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <json-c/json.h>
#include "core/map.h"
#include "herder/herder.h"
#include "rest/rest.h"
#include "worker/worker.h"

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
/* Bounds the request line and headers (MHD answers 414/431 beyond).
 * libmicrohttpd 0.9.75 takes a connection's memory from malloc up to
 * 32 KiB and maps it (mmap/munmap) above: with 64 KiB every connection
 * mapped, faulted in and unmapped its memory, about 30 % of the
 * polling thread's CPU under the bench/ REST load. Kafka's Jetty allows 8 KiB.
 */
#define RDC_REST_CONNECTION_MEMORY (32 * 1024)
/* Stack of a handler thread (and of MHD's polling thread). Handlers are
 * shallow (routes, JSON, a wait for the herder). */
#define RDC_REST_THREAD_STACK (512 * 1024)
/* How long the start waits for Kafka's cluster id (GET / shows it). */
#define RDC_REST_CLUSTER_ID_WAIT_MS 5000
#define RDC_REST_JSON_FLAGS                                                    \
        (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/** Where a connection is in its current request. */
typedef enum rest_conn_state {
        RDC_REST_CONN_IDLE,      /* waiting for a request line */
        RDC_REST_CONN_RECEIVING, /* request line in, headers or body not */
        RDC_REST_CONN_BUSY,      /* whole request in: being answered */
        RDC_REST_CONN_CLOSING,   /* answered, MHD closes it (set only) */
} rest_conn_state_t;

/** An open connection, tracked for the request deadline. */
typedef struct rest_conn {
        struct rest_conn *prev, *next;
        int fd;
        rest_conn_state_t state;
        int cut;          /* the reaper has shut it down */
        int64_t deadline; /* rdc_clock_now_ms() by which a request must
                           * have arrived, unless busy */
        /* Counted against the limits until its last answer is complete
         * (MHD closes it later, on its own schedule). */
        int counted;
        const struct rest_daemon_ctx *ctx;
        struct sockaddr_storage addr;
} rest_conn_t;

typedef struct rdc_rest_call rdc_rest_call_t;

/** A listener's daemon, for the callbacks. */
typedef struct rest_daemon_ctx {
        struct rdc_rest *rest;
} rest_daemon_ctx_t;

struct rdc_rest {
        rdc_worker_t *worker;
        struct MHD_Daemon *daemons[RDC_REST_MAX_LISTENERS];
        rest_daemon_ctx_t daemon_ctx[RDC_REST_MAX_LISTENERS];
        size_t daemon_cnt;
        size_t max_request_bytes;
        unsigned int connections_max;        /* per listener */
        unsigned int connections_max_per_ip; /* 0 = no limit */
        int64_t request_timeout_ms;

        /* The reaper thread cuts connections whose request is overdue. */
        pthread_mutex_t conn_lock; /* guards conns, stopping */
        pthread_cond_t conn_cond;  /* signalled to stop the reaper */
        rest_conn_t *conns;
        int stopping;
        pthread_t reaper;
        int reaper_running;

        /* Handler threads: a request whose body is in is suspended and
         * queued; a handler thread runs its route and resumes it. Threads
         * are made when none is idle and kept for the next requests. */
        pthread_mutex_t pool_lock; /* guards the fields below */
        pthread_cond_t pool_work;  /* a call queued, or stopping */
        pthread_cond_t pool_drained;
        rdc_rest_call_t *queue_head, *queue_tail;
        pthread_t *threads;
        size_t thread_cnt, thread_size;
        size_t idle;     /* threads waiting for a call */
        size_t queued;   /* calls no thread has taken yet */
        size_t inflight; /* calls queued or running */
        int pool_stopping;
};

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

        rdc_rest_call_t *queue_next; /* in the handler queue */
        int deferred; /* whole, once answered nothing (rest_on_request) */
        int handled;  /* the route ran on a handler thread */
};

/** A listener of `listeners`, parsed and bound. */
typedef struct rest_listener {
        char host[256]; /* without brackets; "" = all interfaces */
        int port;
        int fd;
        int family;
        int bound_port;
} rest_listener_t;

/*
 * Replies (routes.c). Each sets the call's answer; the transport sends it.
 */

/** Takes ownership of body (may be NULL: no body). */
void rdc_rest_reply(rdc_rest_call_t *call, int status, json_object *body);
/** Kafka's error body {"error_code": status, "message": ...}. */
json_object *rdc_rest_error_body(int status, const char *message);
void rdc_rest_reply_error(rdc_rest_call_t *call, int status, const char *fmt,
                          ...) __attribute__((format(printf, 3, 4)));
void rdc_rest_reply_oom(rdc_rest_call_t *call);
/** Parses the body as one JSON object into call->json.
 *  @returns 0, or -1 after setting the error reply. */
int rdc_rest_parse_body_object(rdc_rest_call_t *call);
/** Finds the route of call (method, decoded path) or sets 404/405. */
void rdc_rest_route(rdc_rest_call_t *call);

/* The /admin/loggers endpoints (loggers.c). */
void rdc_rest_on_loggers(rdc_rest_call_t *call);
void rdc_rest_on_logger_get(rdc_rest_call_t *call);
void rdc_rest_on_logger_put(rdc_rest_call_t *call);

/* Listeners (listeners.c). */

/** Parses and binds every entry of `listeners` (default when unset),
 *  at most RDC_REST_MAX_LISTENERS, and sets the worker's advertised
 *  URL. @returns the number bound (>= 1), or -1 with errstr (then none
 *  is left open). */
int rdc_rest_listeners_open(rdc_worker_t *worker, rest_listener_t *out,
                            char *errstr, size_t errstr_size);
/** A worker key's value, NULL when unset or empty. */
const char *rdc_rest_config(const rdc_worker_t *worker, const char *key);

/**
 * @brief Converts a JSON object whose values are scalars into a map, the
 *        way Kafka binds such bodies to Map<String, String>: strings as
 *        they are, numbers and booleans as their JSON text.
 * @param what names the object in error messages ("config", ...).
 * @returns the map, or NULL with the reason in errstr (not an object, a
 *          null/object/array value, a NUL character, out of memory).
 */
rdc_map_t *rdc_rest_json_to_map(json_object *obj, const char *what,
                                char *errstr, size_t errstr_size);

/*
 * The functions below return the HTTP status of the answer. On success
 * *out holds the body (the caller owns it); on failure *out is NULL and
 * errstr holds the message of the error body.
 */

/** GET /connector-plugins[?connectorsOnly=] */
int rdc_rest_plugins_list(rdc_worker_t *worker, int connectors_only,
                          json_object **out, char *errstr, size_t errstr_size);

/** GET /connector-plugins/{plugin}/config */
int rdc_rest_plugin_config(rdc_worker_t *worker, const char *plugin_name,
                           json_object **out, char *errstr, size_t errstr_size);

/** PUT /connector-plugins/{plugin}/config/validate; cfg may be modified
 *  (connector.class is filled in from the path when absent). */
int rdc_rest_plugin_validate(rdc_worker_t *worker, const char *plugin_name,
                             rdc_map_t *cfg, json_object **out, char *errstr,
                             size_t errstr_size);

#endif
