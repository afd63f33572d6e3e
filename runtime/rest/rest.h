/*
 * REST server: Kafka Connect's REST API over libmicrohttpd. Transport
 * only: parses requests, maps them to herder requests (herder.h) or to the
 * registry (plugins) and the log module (loggers), and writes Kafka's JSON
 * bodies and status codes.
 */
#ifndef RDC_REST_H
#define RDC_REST_H

#include <stddef.h>
#include "worker/worker.h"

typedef struct rdc_rest rdc_rest_t;

/**
 * @brief Binds the worker's `listeners` (default http://127.0.0.1:8083)
 *        and starts serving. Sets worker->worker_id and worker->rest_url
 *        from rest.advertised.* or the bound address (port 0 = any free
 *        port, the bound one is advertised). Requests that need the
 *        herder answer 503 until worker->herder is set.
 * @returns NULL with errstr naming the listener on failure.
 */
rdc_rest_t *rdc_rest_start(rdc_worker_t *worker, char *errstr,
                           size_t errstr_size);
void rdc_rest_stop(rdc_rest_t *rest);

#endif
