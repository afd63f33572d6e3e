/*
 * The herder owns every connector and task this worker runs. It is a
 * reconciler: the config store holds the desired state (configs, target
 * states, task configs), the status store what runs; the herder makes
 * what this worker runs match the config store. It is one thread with a
 * command queue: REST handlers and the command line post requests and
 * wait for the reply; task threads, job threads and the stores post
 * events. No other thread touches herder state.
 *
 * A REST write (create, config, pause, resume, stop, delete) goes to the
 * config store and is answered once the store said it is durable and the
 * herder applied it (standalone: at once; distributed: once read back).
 * Plugin calls that may block, task stops and joins and offsets admin
 * run on job threads: the herder keeps answering meanwhile. Writes about
 * one connector are done one after the other; reads answer at once with
 * the state so far.
 *
 * Replies carry an HTTP-like status and a JSON body shaped exactly as
 * Kafka Connect's REST API answers, so the REST layer is transport only.
 */
#ifndef RDC_HERDER_H
#define RDC_HERDER_H

#include <json-c/json.h>
#include <librdkafka/rdkafka.h>
#include "core/map.h"
#include "storage/config_store.h"
#include "storage/status_store.h"

typedef struct rdc_herder rdc_herder_t;
typedef struct rdc_worker rdc_worker_t;

typedef enum rdc_req_type {
        RDC_REQ_LIST = 1,         /**< GET /connectors[?expand=] */
        RDC_REQ_CREATE,           /**< POST /connectors */
        RDC_REQ_GET_INFO,         /**< GET /connectors/{c} */
        RDC_REQ_GET_CONFIG,       /**< GET /connectors/{c}/config */
        RDC_REQ_PUT_CONFIG,       /**< PUT /connectors/{c}/config */
        RDC_REQ_PATCH_CONFIG,     /**< PATCH /connectors/{c}/config */
        RDC_REQ_GET_STATUS,       /**< GET /connectors/{c}/status */
        RDC_REQ_RESTART,          /**< POST /connectors/{c}/restart */
        RDC_REQ_PAUSE,            /**< PUT /connectors/{c}/pause */
        RDC_REQ_RESUME,           /**< PUT /connectors/{c}/resume */
        RDC_REQ_STOP,             /**< PUT /connectors/{c}/stop */
        RDC_REQ_GET_TASKS,        /**< GET /connectors/{c}/tasks */
        RDC_REQ_GET_TASK_STATUS,  /**< GET /connectors/{c}/tasks/{t}/status */
        RDC_REQ_RESTART_TASK,     /**< POST /connectors/{c}/tasks/{t}/restart */
        RDC_REQ_DELETE,           /**< DELETE /connectors/{c} */
        RDC_REQ_GET_TOPICS,       /**< GET /connectors/{c}/topics */
        RDC_REQ_RESET_TOPICS,     /**< PUT /connectors/{c}/topics/reset */
        RDC_REQ_GET_OFFSETS,      /**< GET /connectors/{c}/offsets */
        RDC_REQ_ALTER_OFFSETS,    /**< PATCH /connectors/{c}/offsets */
        RDC_REQ_RESET_OFFSETS,    /**< DELETE /connectors/{c}/offsets */
        RDC_REQ_HEALTH,           /**< GET /health */
        RDC_REQ_GET_TASKS_CONFIG, /**< GET /connectors/{c}/tasks-config */
        RDC_REQ_PUT_TASK_CONFIGS, /**< POST /connectors/{c}/tasks (internal:
                                       a connector's worker hands its task
                                       configs to the leader; json: the
                                       list of config maps) */
        RDC_REQ__CNT
} rdc_req_type_t;

/** A request. Everything is borrowed for the duration of the call. */
typedef struct rdc_request {
        rdc_req_type_t type;
        const char *connector;     /**< {c} */
        int task;                  /**< {t} */
        const rdc_map_t *config;   /**< CREATE, PUT_CONFIG */
        json_object *json;         /**< PATCH_CONFIG map (null values
                                        remove), ALTER_OFFSETS body */
        const char *initial_state; /**< CREATE: RUNNING|PAUSED|STOPPED or
                                        NULL */
        int include_tasks;         /**< RESTART */
        int only_failed;           /**< RESTART */
        int expand;                /**< LIST: any expand= given */
        int expand_status;         /**< LIST */
        int expand_info;           /**< LIST */
} rdc_request_t;

/**
 * reply.status of a request this worker does not answer itself
 * (distributed mode): a write while it is not the leader. reply.message
 * holds the base REST URL of the worker that answers it
 * ("http://host:port/"), or "" when none is known now (a rebalance is
 * under way). Not an HTTP status: the REST layer forwards the request
 * there, as Kafka does, or answers 409.
 */
#define RDC_REPLY_FORWARD 1

/** A reply: the REST answer. */
typedef struct rdc_reply {
        int status;         /**< 200, 201, 202, 204, 400, 404, 409, 500 */
        json_object *body;  /**< owned by the receiver; NULL when empty or
                                 on error */
        char message[1024]; /**< error text when status >= 400 */
} rdc_reply_t;

/** Distributed mode: the group this worker joins (cluster/member.h) and
 *  the offsets topic the group's records go to (worker->offsets must be
 *  that topic's store). */
typedef struct rdc_cluster_conf {
        rd_kafka_conf_t *consumer_conf; /**< the group consumer's; taken */
        const char *group_id;
        const char *offsets_topic;
        int session_timeout_ms;
        int heartbeat_interval_ms;
        int rebalance_timeout_ms;
        int64_t rebalance_delay_ms; /**< scheduled.rebalance.max.delay.ms */
} rdc_cluster_conf_t;

/**
 * @brief As rdc_herder_start(), in a cluster: this worker runs what the
 *        group's leader assigns it and forwards the writes it cannot do.
 * @param cluster NULL: standalone (rdc_herder_start()).
 */
rdc_herder_t *rdc_herder_start_cluster(rdc_worker_t *worker,
                                       rdc_config_store_t *configs,
                                       rdc_status_store_t *statuses,
                                       rdc_cluster_conf_t *cluster,
                                       char *errstr, size_t errstr_size);

/**
 * @brief Starts the herder thread, which brings up the connectors that
 *        configs already holds.
 * @param configs, statuses the stores the mode chose (borrowed: they
 *        outlive the herder).
 * @returns NULL with errstr on failure.
 */
rdc_herder_t *rdc_herder_start(rdc_worker_t *worker,
                               rdc_config_store_t *configs,
                               rdc_status_store_t *statuses, char *errstr,
                               size_t errstr_size);
/** Starts the shutdown: requests answer 503 from now on, also those that
 *  wait (so that the REST server can stop before the herder). Any
 *  thread. */
void rdc_herder_begin_shutdown(rdc_herder_t *herder);
/**
 * @brief Stops every connector (gracefully: all tasks within one
 *        task.shutdown.graceful.timeout.ms), then the thread; frees.
 * @returns the number of tasks (and connector jobs) that did not stop
 *          (stuck in plugin code): they still run, so the caller must not
 *          unload plugins or free the stores; it should end the process
 *          instead.
 */
size_t rdc_herder_stop(rdc_herder_t *herder);

/**
 * @brief Runs a request on the herder thread and waits for the reply.
 * @param timeout_ms after this the reply is 500 "Request timed out" (the
 *        request still completes on the herder thread).
 * @locality any thread but the herder's.
 */
void rdc_herder_request(rdc_herder_t *herder, const rdc_request_t *req,
                        rdc_reply_t *reply, int timeout_ms);

/** Releases reply->body. */
void rdc_reply_clear(rdc_reply_t *reply);

#endif
