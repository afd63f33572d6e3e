/*
 * Forwarding a REST request to another worker (distributed mode), as
 * Kafka's HerderRequestHandler and RestClient do: a worker that cannot
 * answer a write itself (it is not the leader) sends it on to the one
 * that can, and passes that worker's answer back.
 *
 * The HTTP client is libcurl and blocks: it runs on the REST
 * connection's own thread (rest/server.c), never on the herder's.
 * Everything here is private to the REST room.
 */
#ifndef RDC_REST_FORWARD_H
#define RDC_REST_FORWARD_H

#include <stddef.h>
#include <json-c/json.h>

/* The most of another worker's answer that is read: a write's answer
 * echoes one connector's config, far below this. */
#define RDC_REST_FORWARD_MAX_RESPONSE_BYTES (16 * 1024 * 1024)

/** The request's own `forward` query parameter, as Kafka's Boolean. */
typedef enum rdc_rest_forward_flag {
        RDC_REST_FORWARD_UNSET = -1, /* absent: a client's request */
        RDC_REST_FORWARD_FALSE = 0,  /* anything but "true" (any case) */
        RDC_REST_FORWARD_TRUE = 1,
} rdc_rest_forward_flag_t;

/** What another worker answered. */
typedef struct rdc_rest_http_response {
        int status; /**< its HTTP status; 0 when there was none */
        char *body; /**< NUL-terminated, body_len bytes; NULL when
                         empty */
        size_t body_len;
        char *location;  /**< its Location header, or NULL */
        char error[512]; /**< status 0: why (no connection, timeout, an
                              answer over the size cap, ...) */
} rdc_rest_http_response_t;

/**
 * @brief Sends one HTTP request and reads the whole answer (blocking).
 * @param url absolute http:// or https:// URL, path and query included.
 * @param body sent with Content-Type: application/json when body_len > 0.
 * @param authorization the value of an Authorization header to send, or
 *        NULL (Kafka passes the client's on).
 * @param timeout_ms for the whole exchange, connection included.
 * @param max_bytes an answer body beyond this is an error.
 * @returns 0 with out->status set, or -1 with out->error (out->status
 *          0). Either way rdc_rest_http_response_clear(out) after.
 * @locality any thread but the herder's.
 */
int rdc_rest_http_request(const char *url, const char *method, const char *body,
                          size_t body_len, const char *authorization,
                          long timeout_ms, size_t max_bytes,
                          rdc_rest_http_response_t *out);
void rdc_rest_http_response_clear(rdc_rest_http_response_t *resp);

/**
 * @brief The URL a request goes on to: base_url (its trailing '/'
 *        dropped) + the request's raw path + "?forward=<flag>" + the
 *        request's other query parameters, as received. Every `forward`
 *        parameter of the request itself is dropped.
 * @param raw_uri the request target as received ("/connectors?x=y").
 * @returns the URL (caller frees), or NULL when out of memory.
 */
char *rdc_rest_forward_url(const char *base_url, const char *raw_uri,
                           int forward);

/** A request to forward. */
typedef struct rdc_rest_forward_req {
        const char *leader_url; /**< the herder's RDC_REPLY_FORWARD
                                     message: "" when none is known */
        const char *method;
        const char *raw_uri;             /**< as received, query included */
        rdc_rest_forward_flag_t forward; /**< the request's own flag */
        const char *body;                /**< NULL or body_len bytes */
        size_t body_len;
        const char *authorization; /**< NULL or the client's header */
        long timeout_ms;
} rdc_rest_forward_req_t;

/**
 * @brief Answers a request the herder said another worker answers, as
 *        Kafka does: 409 when the request already came from a worker
 *        with forward=false (two hops between workers are the most) or
 *        when no leader is known; else the request goes on (with
 *        forward=true from the first worker, forward=false from the
 *        second) and that worker's status and JSON body come back; 500
 *        "IO Error trying to forward REST request: ..." when it cannot
 *        be reached or its answer is not JSON.
 * @returns the HTTP status. *body is the JSON body (caller owns; NULL
 *          for none); when it is NULL and the status is >= 400, errstr
 *          holds the message of the error body to answer.
 */
int rdc_rest_forward(const rdc_rest_forward_req_t *req, json_object **body,
                     char *errstr, size_t errstr_size);

#endif
