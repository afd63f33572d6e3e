/*
 * Task runtime: one thread per task running a source or sink plugin task
 * between Kafka and the plugin, with converters on the way.
 *
 *  source: poll plugin -> convert -> rd_kafka_producev; delivery reports
 *          mark poll batches done; the source offsets of the longest
 *          prefix of done batches are committed every
 *          offset.flush.interval.ms and at stop.
 *  sink:   consume batch -> convert -> put; every offset.flush.interval.ms,
 *          on partition revocation and at stop: plugin flush, then commit
 *          the consumer offsets of what was flushed.
 *
 * The task thread owns everything of the task. Other threads only signal
 * it (pause, resume, stop) and receive its events through the callback.
 */
#ifndef RDC_TASK_H
#define RDC_TASK_H

#include <stdint.h>
#include "plugins/registry.h"
#include "worker/worker.h"

typedef enum rdc_state {
        RDC_STATE_UNASSIGNED = 0,
        RDC_STATE_RUNNING,
        RDC_STATE_PAUSED,
        RDC_STATE_FAILED,
        RDC_STATE_RESTARTING,
        RDC_STATE_STOPPED
} rdc_state_t;

/** Kafka's name of a state: "RUNNING", ... */
const char *rdc_state_name(rdc_state_t state);

typedef enum rdc_task_event {
        RDC_TASK_EV_STATE = 1, /**< state changed; text: trace or NULL */
        RDC_TASK_EV_TOPIC      /**< first record to/from topic text */
} rdc_task_event_t;

typedef struct rdc_task rdc_task_t;

/** Receives a task's events. Called on the task's thread: must only
 *  enqueue (the herder's queue). text is borrowed for the call. */
typedef void(rdc_task_event_cb_t)(void *opaque, rdc_task_t *task,
                                  rdc_task_event_t event, rdc_state_t state,
                                  const char *text);

typedef struct rdc_task_spec {
        rdc_worker_t *worker;
        const char *connector; /**< copied */
        int32_t task_id;
        const rdc_plugin_t *plugin;        /**< source or sink */
        const rdc_map_t *task_config;      /**< copied */
        const rdc_map_t *connector_config; /**< resolved; copied */
        int start_paused;
        uint64_t tag; /**< caller's unique id of this
                           start (see rdc_task_tag) */
        rdc_task_event_cb_t *on_event;
        void *opaque;
} rdc_task_spec_t;

/** Starts the task thread. @returns NULL with errstr on failure. */
rdc_task_t *rdc_task_start(const rdc_task_spec_t *spec, char *errstr,
                           size_t errstr_size);
/** Pause/resume: records stop flowing; the task stays alive. Any thread. */
void rdc_task_set_paused(rdc_task_t *task, int paused);
/** After /topics/reset: the task reports each topic again on its next
 *  use. Any thread. */
void rdc_task_reset_topics(rdc_task_t *task);
/** Asks the task to stop (graceful: flush and commit). Any thread. */
void rdc_task_stop(rdc_task_t *task);
/** rdc_task_stop() with its own deadline (the task finishes its commit
 *  and drains by then) instead of task.shutdown.graceful.timeout.ms from
 *  now. */
void rdc_task_stop_by(rdc_task_t *task, int64_t deadline_ms);
/**
 * @brief Waits until deadline_ms (monotonic, see rdc_clock_now_ms) for the
 *        thread to end, and frees the task if it did. One deadline serves
 *        many tasks: signal them all with rdc_task_stop() first.
 *        A task that has not ended stays alive and owned by the caller:
 *        its events are no longer delivered (it counts as replaced), and
 *        the caller must keep what its thread uses (plugin, offset
 *        store) alive and call this again later (deadline 0: only look).
 * @returns 0 if it ended (and was freed), -1 if it is still running.
 */
int rdc_task_join_until(rdc_task_t *task, int64_t deadline_ms);

/** The consumer group of a sink connector: "connect-<connector>" as in
 *  Kafka Connect, never truncated (two long names never share a group).
 *  @returns a malloc'd string the caller frees, or NULL (out of memory). */
char *rdc_task_sink_group_id(const char *connector);

int32_t rdc_task_id(const rdc_task_t *task);
/** The spec's tag: tells this run of a task from a later one that may
 *  reuse the freed address. */
uint64_t rdc_task_tag(const rdc_task_t *task);

#endif
