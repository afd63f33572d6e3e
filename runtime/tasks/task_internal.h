/*
 * Task runtime internals shared by task.c (the thread, events, topics,
 * Kafka clients), pipeline.c (converters), task_source.c (the source
 * loop) and task_sink.c (the sink loop). Nothing outside these files
 * includes this header.
 */
#ifndef RDC_TASK_INTERNAL_H
#define RDC_TASK_INTERNAL_H

#include <stdatomic.h>
#include <pthread.h>
#include <sys/types.h>
#include "plugins/host.h"
#include "tasks/task.h"

#define RDC_SINK_BATCH   1024  /* records per consume/put */
#define RDC_IDLE_WAIT_MS 100   /* paused or retrying: wake-up period */
#define RDC_RETRY_MAX_MS 10000 /* ceiling of retriable-error backoff */
#define RDC_PRODUCE_RUN  1024  /* records per rd_kafka_produce_batch() */

/* An open converter: vt for key and value, hvt for headers. */
typedef struct rdc_conv {
        const rdcp_descriptor_t *desc;
        const rdcp_converter_vtable_t *vt;
        const rdcp_header_converter_vtable_t *hvt;
        void *state;
} rdc_conv_t;

/* A source poll batch: done when complete and every record is acked. */
typedef struct rdc_src_part {
        const char *partition; /* plugin's text while building */
        const char *offset;
        char *partition_copy;
        char *offset_copy;
} rdc_src_part_t;

/* What a produced message's opaque points to when the plugin has
 * commit_record: its batch and the record's ack_opaque. (Without
 * commit_record the opaque is the batch itself: nothing per record.) */
typedef struct rdc_src_ack {
        struct rdc_src_batch *batch;
        void *opaque;
} rdc_src_ack_t;

typedef struct rdc_src_batch {
        struct rdc_src_batch *next;
        int64_t outstanding; /* produced, not yet acknowledged */
        int complete;        /* every record was handed to librdkafka */
        int failed;          /* a record's delivery failed: never commits */
        rdc_src_ack_t *acks; /* one per record with commit_record, else
                                NULL; in the batch's own allocation */
        size_t part_cnt;
        rdc_src_part_t parts[];
} rdc_src_batch_t;

/* A converter's output while a run of records waits to be produced: its
 * own pointer, or an offset into the scratch buffer it was written to
 * (which may move as the run grows). */
typedef struct rdc_out_ref {
        const void *ptr;
        size_t len;
        size_t off; /* SIZE_MAX: ptr holds the bytes */
} rdc_out_ref_t;

typedef struct rdc_run_entry {
        rdc_out_ref_t key, value;
        int32_t partition;
        void *opaque; /* the message's: batch or ack (rdc_src_ack_t) */
} rdc_run_entry_t;

typedef struct rdc_topic_ref {
        char *name;
        rd_kafka_topic_t *rkt; /* source only */
        int reported;          /* told the herder since the last reset */
} rdc_topic_ref_t;

struct rdc_task {
        /* Set at start, then read-only. */
        rdc_worker_t *worker;
        char *connector;
        int32_t id;
        uint64_t tag;
        const rdc_plugin_t *plugin;
        rdc_map_t *task_cfg;
        rdc_map_t *conn_cfg;
        rdc_task_event_cb_t *on_event;
        void *opaque;
        rdcp_ctx_t ctx;
        pthread_t thread;

        /* Signalled by other threads. */
        atomic_int want_paused;
        atomic_int topics_reset; /* /topics/reset: report topics again */
        /* When a stopping task must be done (monotonic ms): the owner's
         * join gives up then. 0 until rdc_task_stop(). */
        _Atomic int64_t stop_deadline_ms;
        pthread_mutex_t lock; /* guards exited, abandoned (events muted:
                                 the owner gave up waiting for it) */
        pthread_cond_t cond;
        int exited;
        int abandoned;
        /* A sink's consumer queue while it exists: pause, resume and stop
         * yield it, so a task blocked in rd_kafka_consumer_poll() sees
         * them at once rather than after RDC_IDLE_WAIT_MS. */
        pthread_mutex_t wake_lock;
        rd_kafka_queue_t *wake_queue;

        /* Task thread only. */
        void *ptask;
        rdc_conv_t key_conv, value_conv, header_conv;
        rdcp_buf_t key_buf, value_buf;
        /* Source: the current record's headers in the host layout, and
         * the header converter's output they point into. */
        rdcp_buf_t hdr_buf;
        rdcp_header_t *src_hdrs;
        size_t src_hdr_cap, src_hdr_cnt;
        int sink_typed_headers; /* the sink plugin reads typed headers */
        rdcp_arena_t arena;
        rd_kafka_t *rk;
        int paused;
        int failed;
        int tolerate_errors;
        int log_errors;
        int64_t next_commit_ms;
        /* Why the task cannot make progress while it stays RUNNING (Kafka
         * unreachable, ...), shown in its status trace; "" when none. */
        char warning[512];
        rdc_topic_ref_t *topics;
        size_t topic_cnt;
        size_t last_topic; /* index of the last topic used */

        /* Source. */
        rdc_src_batch_t *batch_head, *batch_tail;
        int acks;   /* the plugin has commit_record */
        int staged; /* offsets staged since the last store write */
        char delivery_error[512];
        char fatal_error[512];        /* the producer's fatal error */
        rd_kafka_queue_t *main_queue; /* delivery reports wake the task */
        /* Scratch of batch_collect_parts(), kept between poll batches:
         * the distinct partitions of a batch and a hash index of them
         * whose slots are valid only when stamped with the current
         * generation (so nothing is cleared per batch). */
        rdc_src_part_t *part_scratch;
        struct rdc_part_slot {
                uint32_t gen, idx;
        } * part_index;
        size_t part_cap, index_cap;
        uint32_t part_gen;
        /* Records converted but not yet produced: one topic, no headers,
         * no timestamp of their own (see source_flush_run). */
        rdc_run_entry_t *run;
        rd_kafka_message_t *run_msgs;
        size_t run_cnt;
        size_t run_topic;
        /* The producer queue, mirrored so that a batch never meets
         * QUEUE_FULL halfway (which could reorder records). */
        int64_t queue_max_msgs, queue_max_bytes;
        int64_t queued_msgs, queued_bytes;
        int64_t max_msg_bytes; /* the producer's message.max.bytes */

        /* Sink. */
        rd_kafka_queue_t *queue;
        rd_kafka_topic_partition_list_t *pending; /* next offsets */
        /* Partitions the plugin was told about with open() and not yet
         * with close() (only when it has open or close), and the array
         * in its layout that open/close/pre_commit get (tp_cap slots). */
        rd_kafka_topic_partition_list_t *owned;
        void *tp_buf;
        size_t tp_cap;
        int64_t pending_cnt; /* records put since the last commit */
        /* Entry of pending that the last tracked message updated: a
         * fetched batch holds long runs of one partition, and searching
         * the list per message cost more than the rest of the sink. */
        const rd_kafka_topic_t *track_rkt;
        int32_t track_partition;
        int track_idx; /* -1: none */
        /* A batch that put() refused with RDCP_ERR_RETRIABLE, offered
         * again after a backoff while the assignment is paused and the
         * consumer keeps polling (membership). A rebalance drops the
         * records of revoked partitions from it (see sink_held_drop). */
        rd_kafka_message_t **held; /* RDC_SINK_BATCH slots */
        rdcp_sink_record_t *held_recs;
        /* held_recs in the plugin's layout when its sink_record_size is
         * not the host's (RDC_SINK_BATCH of them), else NULL. */
        void *put_recs;
        size_t held_cnt;     /* messages held; 0: not retrying */
        size_t held_rec_cnt; /* records converted from them */
        int64_t retry_backoff_ms;
        int64_t retry_at_ms;
        /* Partitions sought back to a message that arrived while paused
         * (each only once per retry: later ones are further on). */
        rd_kafka_topic_partition_list_t *rewound;
};

/* -- task.c: shared by both loops; task thread only unless noted. */

/** Whether a stop was requested (any thread may request it). */
int rdc_task_stop_requested(rdc_task_t *t);
/** Delivers an event to the owner unless the task was abandoned. */
void rdc_task_emit(rdc_task_t *t, rdc_task_event_t ev, rdc_state_t state,
                   const char *text);
/** Marks the task FAILED with a trace naming stage, connector and task;
 *  the first failure wins. */
void rdc_task_fail(rdc_task_t *t, const char *stage, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/** Records a conversion problem. @returns 1 to skip the record
 *  (tolerated), 0 if the task failed. */
int rdc_task_conversion_error(rdc_task_t *t, const char *stage,
                              const char *topic, const char *errstr);
/** Called once per batch: a pending /topics/reset makes every topic
 *  unreported. */
void rdc_task_topics_check_reset(rdc_task_t *t);
/** @returns the index of topic in the task's topic list, adding it (and
 *  for sources creating it) on first sight, or -1. */
ssize_t rdc_task_topic_ref(rdc_task_t *t, const char *topic, int is_source);
void rdc_task_topics_free(rdc_task_t *t);
/** Applies a pause/resume request. @returns 1 while paused. */
int rdc_task_pause_check(rdc_task_t *t);
/** Shows why the task cannot make progress while it keeps running
 *  (reason NULL or "" clears it): the status trace of the RUNNING (or
 *  PAUSED) task and /health carry it. Emits only on a change. */
void rdc_task_set_warning(rdc_task_t *t, const char *reason);
/** The time (monotonic ms) by which the task's own ending work (drain,
 *  commit, client close) must be over so that its owner's join, which
 *  waits task.shutdown.graceful.timeout.ms from the stop, sees it end:
 *  the stop's deadline less a margin, or that much from now if the task
 *  ends by itself (failure). */
int64_t rdc_task_finish_by(rdc_task_t *t);
/** Sleeps up to timeout_ms; a stop, pause or resume wakes it. */
void rdc_task_idle_wait(rdc_task_t *t, int timeout_ms);
/** Sets (or with NULL clears, before destroying it) the queue a stop,
 *  pause or resume yields (wake_queue). */
void rdc_task_set_wake_queue(rdc_task_t *t, rd_kafka_queue_t *queue);

/** The Kafka client of the task (producer or consumer) from conf (taken
 *  over, also on failure) with the task as opaque and error_cb; stage
 *  names it in a failure. @returns the client, or NULL (task failed). */
rd_kafka_t *
rdc_task_client_new(rdc_task_t *t, rd_kafka_type_t type, rd_kafka_conf_t *conf,
                    void (*error_cb)(rd_kafka_t *, int, const char *, void *),
                    const char *stage);
/** "connector-<role>-<connector>-<task>" as Kafka Connect names a task's
 *  clients. @returns a malloc'd string, or NULL (out of memory). */
char *rdc_task_client_id(const rdc_task_t *t, const char *role);

/* -- The loops: each runs the whole life of its task on the thread. */
void rdc_task_source_run(rdc_task_t *t);
void rdc_task_sink_run(rdc_task_t *t);

#endif
