/*
 * Connector and task status storage: what GET /connectors/{c}/status
 * answers. The herder of the worker that runs a connector or task writes
 * its state (RUNNING, PAUSED, FAILED with a trace, ...); every REST read
 * of a status goes through this store.
 *
 * An interface (a small vtable) with two back ends:
 *  - memory (standalone, rdc_status_store_memory_new): a write applies at
 *    once and then notifies.
 *  - Kafka topic (rdc_status_store_kafka_open, status_store_kafka.h; for
 *    distributed mode), Kafka Connect's status.storage.topic: records
 *    `status-connector-<name>` and `status-task-<name>-<n>` whose
 *    values are {"state": ..., "trace":
 *    ..., "worker_id": ..., "generation": ...}; a removal writes
 *    tombstones. A reader thread applies what it reads back, so a
 *    worker sees the states of tasks other workers run, and announces
 *    them through the listener; done comes once the write was read back.
 *    A status another worker wrote in a later generation is not
 *    overwritten (Kafka's putSafe).
 *
 * Contract: writes return at once; done (may be NULL) is called once the
 * write is durable and visible to get() (standalone: before the write
 * returns). Callbacks come from any thread, without the store's lock
 * held, and must only post. Reads return deep copies.
 * States are Kafka's names ("RUNNING", ...), as in the records.
 */
#ifndef RDC_STATUS_STORE_H
#define RDC_STATUS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "storage/config_store.h" /* rdc_store_done_cb_t */

/** task id of a connector's own status. */
#define RDC_STATUS_CONNECTOR (-1)

/** One status record, owned by the caller of get(). */
typedef struct rdc_status {
        char *state;     /**< "RUNNING", "FAILED", ... */
        char *trace;     /**< NULL when none */
        char *worker_id; /**< the worker that runs it */
        uint32_t generation;
} rdc_status_t;

void rdc_status_clear(rdc_status_t *status);

/** connector's status (task_id RDC_STATUS_CONNECTOR) or one of its
 *  tasks' changed or was removed. */
typedef void(rdc_status_listener_t)(void *opaque, const char *connector,
                                    int32_t task_id);

typedef struct rdc_status_store rdc_status_store_t;

typedef struct rdc_status_store_ops {
        /** Writes the status of a connector (task_id -1) or task. */
        void (*put)(rdc_status_store_t *store, const char *connector,
                    int32_t task_id, const char *state, const char *trace,
                    const char *worker_id, uint32_t generation,
                    rdc_store_done_cb_t *done, void *opaque);
        /** Removes task statuses from task id first_task on (the task
         *  count shrank); first_task -1 removes the connector's too. */
        void (*remove)(rdc_status_store_t *store, const char *connector,
                       int32_t first_task, rdc_store_done_cb_t *done,
                       void *opaque);
        /** @returns 0 with *out filled (caller clears), -1 if none. */
        int (*get)(rdc_status_store_t *store, const char *connector,
                   int32_t task_id, rdc_status_t *out);
        void (*set_listener)(rdc_status_store_t *store,
                             rdc_status_listener_t *cb, void *opaque);
        void (*destroy)(rdc_status_store_t *store);
} rdc_status_store_ops_t;

struct rdc_status_store {
        const rdc_status_store_ops_t *ops;
};

/** The memory back end. @returns NULL when out of memory. */
rdc_status_store_t *rdc_status_store_memory_new(void);

#endif
