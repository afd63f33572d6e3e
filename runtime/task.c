/*
 * Task runtime: the thread of one source or sink task (see task.h).
 *
 * Hot-path rules kept here: no syscall, allocation or flush per record;
 * raw bytes are handed to librdkafka once (RD_KAFKA_MSG_F_COPY) and sink
 * bytes reach the plugin straight from the fetched message; offsets are
 * tracked per poll batch, not per record.
 */
#define _GNU_SOURCE
#include "task.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "host.h"
#include "log.h"

#define RDC_SINK_BATCH   1024  /* records per consume/put */
#define RDC_IDLE_WAIT_MS 100   /* paused or retrying: wake-up period */
#define RDC_RETRY_MAX_MS 10000 /* ceiling of retriable-error backoff */
#define RDC_PRODUCE_RUN  1024  /* records per rd_kafka_produce_batch() */

typedef struct rdc_conv {
        const rdcp_converter_vtable_t *vt;
        void *state;
} rdc_conv_t;

/* A source poll batch: done when complete and every record is acked. */
typedef struct rdc_src_part {
        const char *partition; /* plugin's text while building */
        const char *offset;
        char *partition_copy;
        char *offset_copy;
} rdc_src_part_t;

typedef struct rdc_src_batch {
        struct rdc_src_batch *next;
        int64_t outstanding; /* produced, not yet acknowledged */
        int complete;        /* every record was handed to librdkafka */
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
        pthread_mutex_t lock;    /* guards exited, abandoned */
        pthread_cond_t cond;
        int exited;
        int abandoned;

        /* Task thread only. */
        void *ptask;
        rdc_conv_t key_conv, value_conv;
        rdcp_buf_t key_buf, value_buf;
        rdcp_arena_t arena;
        rd_kafka_t *rk;
        int paused;
        int failed;
        int tolerate_errors;
        int log_errors;
        int64_t next_commit_ms;
        rdc_topic_ref_t *topics;
        size_t topic_cnt;
        size_t last_topic; /* index of the last topic used */

        /* Source. */
        rdc_src_batch_t *batch_head, *batch_tail;
        char delivery_error[512];
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

        /* Sink. */
        rd_kafka_queue_t *queue;
        rd_kafka_topic_partition_list_t *pending; /* next offsets */
        int64_t pending_cnt; /* records put since the last commit */
        /* Entry of pending that the last tracked message updated: a
         * fetched batch holds long runs of one partition, and searching
         * the list per message cost more than the rest of the sink. */
        const rd_kafka_topic_t *track_rkt;
        int32_t track_partition;
        int track_idx; /* -1: none */
};

static const char *const state_names[] = {
        [RDC_STATE_UNASSIGNED] = "UNASSIGNED", [RDC_STATE_RUNNING] = "RUNNING",
        [RDC_STATE_PAUSED] = "PAUSED",         [RDC_STATE_FAILED] = "FAILED",
        [RDC_STATE_RESTARTING] = "RESTARTING", [RDC_STATE_STOPPED] = "STOPPED",
};

const char *rdc_state_name(rdc_state_t state) {
        return state <= RDC_STATE_STOPPED ? state_names[state] : "UNKNOWN";
}

int32_t rdc_task_id(const rdc_task_t *task) {
        return task->id;
}

uint64_t rdc_task_tag(const rdc_task_t *task) {
        return task->tag;
}

static int stop_requested(rdc_task_t *t) {
        return rdc_host.should_stop(&t->ctx);
}

/* ------------------------------------------------------------ events */

static void task_emit(rdc_task_t *t, rdc_task_event_t ev, rdc_state_t state,
                      const char *text) {
        pthread_mutex_lock(&t->lock);
        if (!t->abandoned)
                t->on_event(t->opaque, t, ev, state, text);
        pthread_mutex_unlock(&t->lock);
}

/* Marks the task FAILED with a trace naming stage, connector and task. */
static void task_fail(rdc_task_t *t, const char *stage, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void task_fail(rdc_task_t *t, const char *stage, const char *fmt, ...) {
        char reason[2048], trace[3072];
        va_list ap;
        if (t->failed)
                return;
        t->failed = 1;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        snprintf(trace, sizeof(trace),
                 "%s\n\tat stage: %s\n\tat connector: %s, task: %d, class: "
                 "%s",
                 reason, stage, t->connector, (int)t->id,
                 t->plugin->desc->class_name);
        rdc_log(RDC_LOG_ERROR, "task", t->ctx.scope, "Task failed in %s: %s",
                stage, reason);
        task_emit(t, RDC_TASK_EV_STATE, RDC_STATE_FAILED, trace);
}

/* -------------------------------------------------------- converters */

static rdc_map_t *converter_config(rdc_task_t *t, const char *role,
                                   const char **clsp) {
        char key[32], prefix[40];
        snprintf(key, sizeof(key), "%s.converter", role);
        snprintf(prefix, sizeof(prefix), "%s.converter.", role);
        const char *cls = rdc_map_get(t->conn_cfg, key);
        rdc_map_t *cfg;
        if (cls && *cls) {
                cfg = rdc_map_strip_prefix(t->conn_cfg, prefix);
        } else {
                /* The worker's converter with the worker's settings; a
                 * connector may still adjust them (schemas.enable). */
                cls = rdc_map_get(t->worker->config, key);
                cfg = rdc_map_strip_prefix(t->worker->config, prefix);
                rdc_map_t *mine = rdc_map_strip_prefix(t->conn_cfg, prefix);
                if (cfg && mine && rdc_map_merge(cfg, mine)) {
                        rdc_map_destroy(cfg);
                        cfg = NULL;
                }
                rdc_map_destroy(mine);
        }
        if (cfg && rdc_map_set(cfg, "converter.type", role)) {
                rdc_map_destroy(cfg);
                cfg = NULL;
        }
        *clsp = cls;
        return cfg;
}

static int converter_open(rdc_task_t *t, const char *role, rdc_conv_t *conv) {
        char errstr[2048];
        const char *cls;
        rdc_config_errors_t errs = {0};
        rdc_map_t *cfg = converter_config(t, role, &cls);
        int ret = -1;
        if (!cfg) {
                task_fail(t, "converter", "out of memory");
                return -1;
        }
        const rdc_plugin_t *plugin = rdc_registry_find(
                t->worker->registry, cls ? cls : "", RDCP_PLUGIN_CONVERTER,
                errstr, sizeof(errstr));
        if (!plugin) {
                task_fail(t, "converter", "%s.converter: %s", role, errstr);
                goto done;
        }
        const rdcp_descriptor_t *d = plugin->desc;
        if (rdc_configdef_validate(d->config_defs, d->config_def_cnt,
                                   d->config_def_size, cfg, 1, &errs)) {
                rdc_config_errors_format(&errs, errstr, sizeof(errstr));
                task_fail(t, "converter", "%s.converter %s: %s", role,
                          d->class_name, errstr);
                goto done;
        }
        errstr[0] = '\0';
        conv->vt = d->converter;
        if (conv->vt->create(&t->ctx, &rdc_host, rdc_map_as_cconfig(cfg),
                             &conv->state, errstr, sizeof(errstr))) {
                conv->vt = NULL;
                task_fail(t, "converter", "%s.converter %s: %s", role,
                          d->class_name, errstr);
                goto done;
        }
        ret = 0;
done:
        rdc_config_errors_clear(&errs);
        rdc_map_destroy(cfg);
        return ret;
}

static void converter_close(rdc_conv_t *conv) {
        if (conv->vt)
                conv->vt->destroy(conv->state);
        conv->vt = NULL;
}

/* Records a conversion problem. @returns 1 to skip the record (tolerated),
 * 0 if the task failed. */
static int conversion_error(rdc_task_t *t, const char *stage, const char *topic,
                            const char *errstr) {
        if (!t->tolerate_errors) {
                task_fail(t, stage,
                          "%s (topic %s). Set errors.tolerance=all "
                          "to skip such records",
                          errstr, topic);
                return 0;
        }
        if (t->log_errors)
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "Skipping record of topic %s: %s", topic, errstr);
        return 1;
}

/* ----------------------------------------------------------- topics */

/* Tells the herder about a topic in use, once per topic after each
 * /topics/reset (Kafka records a topic again when it is used again). */
static ssize_t topic_use(rdc_task_t *t, size_t i) {
        t->last_topic = i;
        if (!t->topics[i].reported) {
                t->topics[i].reported = 1;
                task_emit(t, RDC_TASK_EV_TOPIC, RDC_STATE_RUNNING,
                          t->topics[i].name);
        }
        return (ssize_t)i;
}

/* Called once per batch: a pending reset makes every topic unreported. */
static void topics_check_reset(rdc_task_t *t) {
        if (!atomic_exchange(&t->topics_reset, 0))
                return;
        for (size_t i = 0; i < t->topic_cnt; i++)
                t->topics[i].reported = 0;
        t->track_idx = -1; /* sinks: next message takes the slow path */
}

/* @returns the index of topic in the task's topic list, adding it (and
 * for sources creating it) on first sight; reported as in topic_use(). */
static ssize_t topic_ref(rdc_task_t *t, const char *topic, int is_source) {
        if (t->topic_cnt && !strcmp(t->topics[t->last_topic].name, topic))
                return topic_use(t, t->last_topic);
        for (size_t i = 0; i < t->topic_cnt; i++)
                if (!strcmp(t->topics[i].name, topic))
                        return topic_use(t, i);
        rdc_topic_ref_t *grown =
                realloc(t->topics, (t->topic_cnt + 1) * sizeof(*t->topics));
        if (!grown)
                return -1;
        t->topics = grown;
        rdc_topic_ref_t *ref = &t->topics[t->topic_cnt];
        ref->name = strdup(topic);
        ref->rkt = NULL;
        ref->reported = 0;
        if (!ref->name)
                return -1;
        if (is_source) {
                char errstr[512];
                if (rdc_worker_ensure_topic(t->worker, topic, t->conn_cfg,
                                            errstr, sizeof(errstr)))
                        rdc_log(RDC_LOG_WARN, "task", t->ctx.scope, "%s",
                                errstr);
                ref->rkt = rd_kafka_topic_new(t->rk, topic, NULL);
                if (!ref->rkt) {
                        free(ref->name);
                        return -1;
                }
        }
        return topic_use(t, t->topic_cnt++);
}

static void topics_free(rdc_task_t *t) {
        for (size_t i = 0; i < t->topic_cnt; i++) {
                if (t->topics[i].rkt)
                        rd_kafka_topic_destroy(t->topics[i].rkt);
                free(t->topics[i].name);
        }
        free(t->topics);
        t->topics = NULL;
        t->topic_cnt = 0;
}

/* ---------------------------------------------------- paused / idle */

/* Applies a pause/resume request. @returns 1 while paused. */
static int pause_check(rdc_task_t *t) {
        int want = atomic_load(&t->want_paused);
        if (want != t->paused) {
                t->paused = want;
                rdc_log(RDC_LOG_INFO, "task", t->ctx.scope, "%s",
                        want ? "Paused" : "Resumed");
                task_emit(t, RDC_TASK_EV_STATE,
                          want ? RDC_STATE_PAUSED : RDC_STATE_RUNNING, NULL);
        }
        return t->paused;
}

static void idle_wait(rdc_task_t *t, int timeout_ms) {
        rdc_host.wait(&t->ctx, -1, 0, timeout_ms);
}

/* ============================================================ source */

static void batch_free(rdc_src_batch_t *b) {
        for (size_t i = 0; i < b->part_cnt; i++) {
                free(b->parts[i].partition_copy);
                free(b->parts[i].offset_copy);
        }
        free(b);
}

static void source_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                         void *opaque) {
        rdc_task_t *t = opaque;
        rdc_src_batch_t *b = msg->_private;
        (void)rk;
        if (b)
                b->outstanding--;
        t->queued_msgs--;
        t->queued_bytes -= (int64_t)(msg->len + msg->key_len);
        if (msg->err && !t->delivery_error[0])
                snprintf(t->delivery_error, sizeof(t->delivery_error),
                         "Delivery to topic %s partition %d failed: %s",
                         rd_kafka_topic_name(msg->rkt), (int)msg->partition,
                         rd_kafka_err2str(msg->err));
}

/* Stages the offsets of every finished batch at the head of the queue and
 * writes the store when the flush interval is due (or force). */
static void source_commit(rdc_task_t *t, int force) {
        rdc_src_batch_t *b;
        while ((b = t->batch_head) && b->complete && b->outstanding == 0) {
                for (size_t i = 0; i < b->part_cnt; i++)
                        rdc_offset_store_put(t->worker->offsets, t->connector,
                                             b->parts[i].partition_copy,
                                             b->parts[i].offset_copy);
                t->batch_head = b->next;
                if (!t->batch_head)
                        t->batch_tail = NULL;
                batch_free(b);
                if (t->plugin->desc->source_task->commit)
                        t->plugin->desc->source_task->commit(t->ptask);
        }
        int64_t now = rdc_clock_now_ms();
        if (!force && now < t->next_commit_ms)
                return;
        t->next_commit_ms = now + t->worker->offset_flush_interval_ms;
        char errstr[512];
        if (rdc_offset_store_flush(t->worker->offsets, errstr, sizeof(errstr)))
                rdc_log(RDC_LOG_ERROR, "task", t->ctx.scope,
                        "Failed to flush offsets: %s", errstr);
}

/* Collects the distinct source partitions of a batch with the offset of
 * their last record; pointer equality first, the plugin usually reuses
 * one string per partition. */
static size_t batch_collect_parts(const rdcp_source_record_t *recs, size_t cnt,
                                  rdc_src_part_t *parts, size_t max) {
        size_t n = 0;
        for (size_t i = 0; i < cnt; i++) {
                const char *p = recs[i].source_partition;
                size_t j;
                if (!p)
                        continue;
                for (j = 0; j < n; j++)
                        if (parts[j].partition == p ||
                            !strcmp(parts[j].partition, p))
                                break;
                if (j == n) {
                        if (n == max)
                                continue; /* bounded; see max */
                        parts[n].partition = p;
                        parts[n].offset = NULL;
                        n++;
                }
                if (recs[i].source_offset)
                        parts[j].offset = recs[i].source_offset;
        }
        return n;
}

static rdc_src_batch_t *batch_new(const rdcp_source_record_t *recs,
                                  size_t cnt) {
        size_t max = cnt < 64 ? cnt : 64;
        rdc_src_part_t parts[64];
        size_t n = batch_collect_parts(recs, cnt, parts, max);
        rdc_src_batch_t *b = calloc(1, sizeof(*b) + n * sizeof(parts[0]));
        if (!b)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (!parts[i].offset)
                        continue;
                b->parts[b->part_cnt].partition_copy =
                        strdup(parts[i].partition);
                b->parts[b->part_cnt].offset_copy = strdup(parts[i].offset);
                b->part_cnt++;
                if (!b->parts[b->part_cnt - 1].partition_copy ||
                    !b->parts[b->part_cnt - 1].offset_copy) {
                        batch_free(b);
                        return NULL;
                }
        }
        return b;
}

static rd_kafka_headers_t *headers_build(const rdcp_source_record_t *r) {
        if (r->header_cnt <= 0)
                return NULL;
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(r->header_cnt);
        for (int32_t i = 0; i < r->header_cnt; i++)
                rd_kafka_header_add(hdrs, r->headers[i].key, -1,
                                    r->headers[i].value,
                                    (ssize_t)r->headers[i].value_len);
        return hdrs;
}

/* Produces one record, waiting on a full queue. @returns 0, 1 if the
 * task is stopping (record not produced), -1 on error (task failed). */
static int source_produce(rdc_task_t *t, rd_kafka_topic_t *rkt,
                          const rdcp_source_record_t *r,
                          const rdcp_bytes_t *key, const rdcp_bytes_t *value,
                          rdc_src_batch_t *b) {
        rd_kafka_resp_err_t err;
        for (;;) {
                rd_kafka_headers_t *hdrs = headers_build(r);
                err = rd_kafka_producev(
                        t->rk, RD_KAFKA_V_RKT(rkt),
                        RD_KAFKA_V_PARTITION(r->partition >= 0
                                                     ? r->partition
                                                     : RD_KAFKA_PARTITION_UA),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_VALUE((void *)value->ptr, value->len),
                        RD_KAFKA_V_KEY(key->ptr, key->len),
                        RD_KAFKA_V_TIMESTAMP(r->timestamp > 0 ? r->timestamp
                                                              : 0),
                        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(b),
                        RD_KAFKA_V_END);
                if (!err) {
                        b->outstanding++;
                        t->queued_msgs++;
                        t->queued_bytes += (int64_t)(value->len + key->len);
                        return 0;
                }
                if (hdrs)
                        rd_kafka_headers_destroy(hdrs);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                        break;
                /* Backpressure: serve delivery reports until there is
                 * room again. */
                rd_kafka_poll(t->rk, 50);
                if (stop_requested(t))
                        return 1;
        }
        task_fail(t, "produce", "Failed to send record to topic %s: %s",
                  r->topic, rd_kafka_err2str(err));
        return -1;
}

/* Converts one record, appending to the scratch buffers.
 * @returns 0 ok, 1 skip (tolerated), -1 failed. */
static int source_convert(rdc_task_t *t, const rdcp_source_record_t *r,
                          rdcp_bytes_t *key, rdcp_bytes_t *value) {
        char errstr[1024];
        errstr[0] = '\0'; /* not = "": that clears 1 KiB per record */
        if (t->key_conv.vt->from_data(t->key_conv.state, r->topic, &r->key,
                                      &t->key_buf, key, errstr,
                                      sizeof(errstr)) ||
            t->value_conv.vt->from_data(t->value_conv.state, r->topic,
                                        &r->value, &t->value_buf, value, errstr,
                                        sizeof(errstr)))
                return conversion_error(t, "convert", r->topic, errstr) ? 1
                                                                        : -1;
        return 0;
}

static rdc_out_ref_t out_ref(const rdcp_buf_t *scratch, size_t before,
                             const rdcp_bytes_t *out) {
        rdc_out_ref_t ref = {out->ptr, out->len, SIZE_MAX};
        uintptr_t p = (uintptr_t)out->ptr, base = (uintptr_t)scratch->data;
        if (out->ptr && scratch->data && p >= base + before &&
            p <= base + scratch->len)
                ref.off = (size_t)(p - base);
        return ref;
}

static void *out_ptr(const rdcp_buf_t *scratch, const rdc_out_ref_t *ref) {
        return (void *)(ref->off == SIZE_MAX ? (const char *)ref->ptr
                                             : scratch->data + ref->off);
}

/* How many of msgs fit in the producer queue now (at least one when the
 * queue is empty, so that librdkafka itself judges an oversized one). */
static size_t source_room(const rdc_task_t *t, const rd_kafka_message_t *msgs,
                          size_t cnt) {
        int64_t bytes = t->queued_bytes;
        size_t n = 0;
        while (n < cnt && t->queued_msgs + (int64_t)n < t->queue_max_msgs) {
                bytes += (int64_t)(msgs[n].len + msgs[n].key_len);
                if (bytes > t->queue_max_bytes && (t->queued_msgs || n))
                        break;
                n++;
        }
        return n;
}

/* Produces the pending run with rd_kafka_produce_batch(): one clock read
 * and one topic lock per run instead of per record (producev() was most
 * of the task thread). Waits for room in the queue first, so that either
 * the whole slice is enqueued or an error fails the task.
 * @returns 0, or -1 if the task failed or is stopping. */
static int source_flush_run(rdc_task_t *t, rdc_src_batch_t *b) {
        rd_kafka_message_t *msgs = t->run_msgs;
        size_t cnt = t->run_cnt, done = 0;
        for (size_t i = 0; i < cnt; i++) {
                const rdc_run_entry_t *e = &t->run[i];
                memset(&msgs[i], 0, sizeof(msgs[i]));
                msgs[i].partition = e->partition;
                msgs[i].payload = out_ptr(&t->value_buf, &e->value);
                msgs[i].len = e->value.len;
                msgs[i].key = out_ptr(&t->key_buf, &e->key);
                msgs[i].key_len = e->key.len;
                msgs[i]._private = b;
        }
        while (done < cnt) {
                size_t n = source_room(t, msgs + done, cnt - done);
                int good = n ? rd_kafka_produce_batch(
                                       t->topics[t->run_topic].rkt,
                                       RD_KAFKA_PARTITION_UA,
                                       RD_KAFKA_MSG_F_COPY |
                                               RD_KAFKA_MSG_F_PARTITION,
                                       msgs + done, (int)n)
                             : 0;
                size_t first_err = n;
                for (size_t i = done; i < done + n; i++) {
                        if (msgs[i].err) {
                                if (first_err == n)
                                        first_err = i - done;
                                continue;
                        }
                        b->outstanding++;
                        t->queued_msgs++;
                        t->queued_bytes +=
                                (int64_t)(msgs[i].len + msgs[i].key_len);
                }
                if ((size_t)good == n) {
                        done += n;
                        if (n)
                                continue;
                } else if (msgs[done + first_err].err ==
                                   RD_KAFKA_RESP_ERR__QUEUE_FULL &&
                           (size_t)good == first_err && t->queued_msgs) {
                        /* The queue was fuller than mirrored (another
                         * limit); everything after the first refusal was
                         * refused too, so order holds: retry from it. */
                        done += first_err;
                } else {
                        t->run_cnt = 0;
                        task_fail(t, "produce",
                                  "Failed to send record to topic %s: %s",
                                  t->topics[t->run_topic].name,
                                  rd_kafka_err2str(msgs[done + first_err].err));
                        return -1;
                }
                /* Backpressure: serve delivery reports until there is
                 * room again. */
                rd_kafka_poll(t->rk, 50);
                if (stop_requested(t)) {
                        t->run_cnt = 0;
                        return -1;
                }
        }
        t->run_cnt = 0;
        return 0;
}

/* Hands one poll batch to librdkafka. @returns 0, or -1 if the task
 * failed or is stopping (the batch then never commits). */
static int source_send_batch(rdc_task_t *t, const rdcp_source_record_t *recs,
                             size_t cnt) {
        rdc_src_batch_t *b = batch_new(recs, cnt);
        if (!b) {
                task_fail(t, "poll", "out of memory");
                return -1;
        }
        topics_check_reset(t);
        if (t->batch_tail)
                t->batch_tail->next = b;
        else
                t->batch_head = b;
        t->batch_tail = b;
        for (size_t i = 0; i < cnt; i++) {
                const rdcp_source_record_t *r = &recs[i];
                rdcp_bytes_t key, value;
                if (!r->topic || !*r->topic) {
                        task_fail(t, "poll", "record %zu has no topic", i);
                        return -1;
                }
                ssize_t ti = topic_ref(t, r->topic, 1);
                if (ti < 0) {
                        task_fail(t, "produce", "cannot use topic %s",
                                  r->topic);
                        return -1;
                }
                /* Headers and own timestamps need producev(). */
                int batchable = r->header_cnt <= 0 && r->timestamp <= 0;
                if (t->run_cnt &&
                    (!batchable || (size_t)ti != t->run_topic ||
                     t->run_cnt == RDC_PRODUCE_RUN) &&
                    source_flush_run(t, b))
                        return -1;
                if (!t->run_cnt) {
                        /* Nothing waiting to be produced points here. */
                        rdc_buf_reset(&t->key_buf);
                        rdc_buf_reset(&t->value_buf);
                }
                size_t key_mark = t->key_buf.len;
                size_t value_mark = t->value_buf.len;
                int c = source_convert(t, r, &key, &value);
                if (c < 0)
                        return -1;
                if (c > 0)
                        continue;
                if (batchable) {
                        rdc_run_entry_t *e = &t->run[t->run_cnt++];
                        e->key = out_ref(&t->key_buf, key_mark, &key);
                        e->value = out_ref(&t->value_buf, value_mark, &value);
                        e->partition = r->partition >= 0
                                               ? r->partition
                                               : RD_KAFKA_PARTITION_UA;
                        t->run_topic = (size_t)ti;
                        continue;
                }
                if (source_produce(t, t->topics[ti].rkt, r, &key, &value, b))
                        return -1;
        }
        if (t->run_cnt && source_flush_run(t, b))
                return -1;
        b->complete = 1;
        return 0;
}

/* Waits for in-flight records, commits what was delivered, and drops the
 * rest: their offsets are not committed, so they are sent again after a
 * restart (at least once). */
static void source_drain(rdc_task_t *t) {
        if (!t->rk)
                return;
        rd_kafka_flush(t->rk, (int)t->worker->graceful_timeout_ms);
        source_commit(t, 1);
        if (rd_kafka_outq_len(t->rk) > 0) {
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "%d record(s) not acknowledged within "
                        "task.shutdown.graceful.timeout.ms; their offsets "
                        "are not committed and they will be sent again",
                        rd_kafka_outq_len(t->rk));
                rd_kafka_purge(t->rk, RD_KAFKA_PURGE_F_QUEUE |
                                              RD_KAFKA_PURGE_F_INFLIGHT);
                for (int i = 0; i < 20 && rd_kafka_outq_len(t->rk) > 0; i++)
                        rd_kafka_poll(t->rk, 50);
        }
        while (t->batch_head) {
                rdc_src_batch_t *b = t->batch_head;
                t->batch_head = b->next;
                batch_free(b);
        }
        t->batch_tail = NULL;
}

/* A positive integer property of conf (librdkafka fills in defaults), or
 * INT64_MAX / 1024 if it cannot be read: then librdkafka alone judges. */
static int64_t conf_get_int64(const rd_kafka_conf_t *conf, const char *name) {
        char value[32];
        size_t size = sizeof(value);
        long long parsed = 0;
        if (rd_kafka_conf_get(conf, name, value, &size) == RD_KAFKA_CONF_OK)
                parsed = strtoll(value, NULL, 10);
        return parsed > 0 ? parsed : INT64_MAX / 1024;
}

static int source_open(rdc_task_t *t) {
        char errstr[1024], kerr[512], client_id[300];
        snprintf(client_id, sizeof(client_id), "connector-producer-%s-%d",
                 t->connector, (int)t->id);
        /* Kafka Connect's producer guarantees (no loss, per-partition
         * order), expressed the librdkafka way. The queue caps bound
         * memory: librdkafka's 100000 messages held 16 MB of JSON records
         * (peak RSS 49 MB); 8 MB and 50000 messages keep the throughput
         * of bench/ at 28-34 MB (25000 messages cost throughput).
         * murmur2 is the Java producer's partitioner: a keyed record lands
         * in the same partition as from Kafka Connect (librdkafka's own
         * default hashes with CRC32). */
        const char *const defaults[] = {"acks",
                                        "all",
                                        "enable.idempotence",
                                        "true",
                                        "partitioner",
                                        "murmur2_random",
                                        "queue.buffering.max.kbytes",
                                        "8192",
                                        "queue.buffering.max.messages",
                                        "50000",
                                        "client.id",
                                        client_id,
                                        NULL};
        rd_kafka_conf_t *conf =
                rdc_worker_client_conf(t->worker, "producer", t->conn_cfg,
                                       defaults, errstr, sizeof(errstr));
        if (!conf) {
                task_fail(t, "producer", "%s", errstr);
                return -1;
        }
        rd_kafka_conf_set_dr_msg_cb(conf, source_dr_cb);
        rd_kafka_conf_set_opaque(conf, t);
        t->queue_max_msgs =
                conf_get_int64(conf, "queue.buffering.max.messages");
        t->queue_max_bytes =
                conf_get_int64(conf, "queue.buffering.max.kbytes") * 1024;
        t->run = calloc(RDC_PRODUCE_RUN, sizeof(*t->run));
        t->run_msgs = calloc(RDC_PRODUCE_RUN, sizeof(*t->run_msgs));
        if (!t->run || !t->run_msgs) {
                rd_kafka_conf_destroy(conf);
                task_fail(t, "producer", "out of memory");
                return -1;
        }
        t->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
        if (!t->rk) {
                rd_kafka_conf_destroy(conf);
                task_fail(t, "producer", "cannot create producer: %s", kerr);
                return -1;
        }
        errstr[0] = '\0';
        if (t->plugin->desc->source_task->create(
                    &t->ctx, &rdc_host, rdc_map_as_cconfig(t->task_cfg),
                    &t->ptask, errstr, sizeof(errstr))) {
                t->ptask = NULL;
                task_fail(t, "create", "%s", errstr);
                return -1;
        }
        return 0;
}

static void source_run(rdc_task_t *t) {
        const rdcp_source_task_vtable_t *vt = t->plugin->desc->source_task;
        int64_t backoff = 0;
        if (source_open(t))
                goto out;
        task_emit(t, RDC_TASK_EV_STATE,
                  t->paused ? RDC_STATE_PAUSED : RDC_STATE_RUNNING, NULL);
        while (!stop_requested(t) && !t->failed) {
                rd_kafka_poll(t->rk, 0);
                source_commit(t, 0);
                if (t->delivery_error[0]) {
                        task_fail(t, "produce", "%s", t->delivery_error);
                        break;
                }
                if (pause_check(t)) {
                        idle_wait(t, RDC_IDLE_WAIT_MS);
                        continue;
                }
                const rdcp_source_record_t *recs = NULL;
                size_t cnt = 0;
                char errstr[2048] = "";
                rdcp_err_t err =
                        vt->poll(t->ptask, &recs, &cnt, errstr, sizeof(errstr));
                if (err == RDCP_ERR_RETRIABLE) {
                        backoff = backoff ? backoff * 2 : 100;
                        if (backoff > RDC_RETRY_MAX_MS)
                                backoff = RDC_RETRY_MAX_MS;
                        rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                                "poll failed, retrying in %" PRId64 " ms: %s",
                                backoff, errstr);
                        idle_wait(t, (int)backoff);
                        continue;
                }
                if (err) {
                        task_fail(t, "poll", "%s", errstr);
                        break;
                }
                backoff = 0;
                if (cnt && source_send_batch(t, recs, cnt))
                        break;
        }
out:
        source_drain(t);
        if (t->ptask)
                vt->destroy(t->ptask);
        t->ptask = NULL;
        topics_free(t);
        if (t->rk)
                rd_kafka_destroy(t->rk);
        t->rk = NULL;
        free(t->run);
        free(t->run_msgs);
        t->run = NULL;
        t->run_msgs = NULL;
}

/* ============================================================== sink */

/* Starts a new list of offsets to commit. */
static void sink_pending_reset(rdc_task_t *t) {
        if (t->pending)
                rd_kafka_topic_partition_list_destroy(t->pending);
        t->pending = rd_kafka_topic_partition_list_new(16);
        t->pending_cnt = 0;
        t->track_idx = -1;
}

/* Flushes the plugin, then commits the offsets of everything it had.
 * @returns 0, or -1 if nothing could be committed. */
static int sink_commit(rdc_task_t *t) {
        char errstr[2048] = "";
        if (!t->pending || t->pending->cnt == 0 || !t->ptask)
                return 0;
        rdcp_err_t err = t->plugin->desc->sink_task->flush(t->ptask, errstr,
                                                           sizeof(errstr));
        if (err == RDCP_ERR_RETRIABLE) {
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "flush failed, offsets not committed, will retry: "
                        "%s",
                        errstr);
                return -1;
        }
        if (err) {
                task_fail(t, "flush", "%s", errstr);
                return -1;
        }
        rd_kafka_resp_err_t kerr = rd_kafka_commit(t->rk, t->pending, 0);
        if (kerr && kerr != RD_KAFKA_RESP_ERR__NO_OFFSET) {
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "Committing consumer offsets failed (%s); they will "
                        "be committed with the next flush",
                        rd_kafka_err2str(kerr));
                return -1;
        }
        sink_pending_reset(t);
        return 0;
}

static void sink_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                              rd_kafka_topic_partition_list_t *parts,
                              void *opaque) {
        rdc_task_t *t = opaque;
        int cooperative =
                !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                if (cooperative)
                        rd_kafka_error_destroy(
                                rd_kafka_incremental_assign(rk, parts));
                else
                        rd_kafka_assign(rk, parts);
                if (t->paused)
                        rd_kafka_pause_partitions(rk, parts);
                return;
        }
        /* Losing partitions: what was put must be flushed and committed
         * now, or the next owner re-delivers it. */
        sink_commit(t);
        if (cooperative)
                rd_kafka_error_destroy(
                        rd_kafka_incremental_unassign(rk, parts));
        else
                rd_kafka_assign(rk, NULL);
}

static int sink_subscribe(rdc_task_t *t) {
        const char *topics = rdc_map_get(t->conn_cfg, "topics");
        const char *regex = rdc_map_get(t->conn_cfg, "topics.regex");
        rd_kafka_topic_partition_list_t *subs =
                rd_kafka_topic_partition_list_new(4);
        if (regex && *regex) {
                /* librdkafka reads a leading ^ as "this is a regex". */
                char *pattern;
                if (asprintf(&pattern, "%s%s", regex[0] == '^' ? "" : "^",
                             regex) < 0) {
                        rd_kafka_topic_partition_list_destroy(subs);
                        return -1;
                }
                rd_kafka_topic_partition_list_add(subs, pattern,
                                                  RD_KAFKA_PARTITION_UA);
                free(pattern);
        } else {
                char *copy = strdup(topics ? topics : ""), *save = NULL;
                for (char *tok = strtok_r(copy, ",", &save); tok;
                     tok = strtok_r(NULL, ",", &save)) {
                        while (*tok == ' ' || *tok == '\t')
                                tok++;
                        char *end = tok + strlen(tok);
                        while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
                                *--end = '\0';
                        if (*tok)
                                rd_kafka_topic_partition_list_add(
                                        subs, tok, RD_KAFKA_PARTITION_UA);
                }
                free(copy);
        }
        rd_kafka_resp_err_t err = rd_kafka_subscribe(t->rk, subs);
        rd_kafka_topic_partition_list_destroy(subs);
        if (err) {
                task_fail(t, "subscribe", "%s", rd_kafka_err2str(err));
                return -1;
        }
        return 0;
}

static int sink_open(rdc_task_t *t) {
        char errstr[1024], kerr[512], group[300], client_id[300];
        snprintf(group, sizeof(group), "connect-%s", t->connector);
        snprintf(client_id, sizeof(client_id), "connector-consumer-%s-%d",
                 t->connector, (int)t->id);
        const char *const defaults[] = {"group.id",
                                        group,
                                        "client.id",
                                        client_id,
                                        "enable.auto.commit",
                                        "false",
                                        "enable.auto.offset.store",
                                        "false",
                                        "auto.offset.reset",
                                        "earliest",
                                        NULL};
        rd_kafka_conf_t *conf =
                rdc_worker_client_conf(t->worker, "consumer", t->conn_cfg,
                                       defaults, errstr, sizeof(errstr));
        if (!conf) {
                task_fail(t, "consumer", "%s", errstr);
                return -1;
        }
        rd_kafka_conf_set_rebalance_cb(conf, sink_rebalance_cb);
        rd_kafka_conf_set_opaque(conf, t);
        t->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
        if (!t->rk) {
                rd_kafka_conf_destroy(conf);
                task_fail(t, "consumer", "cannot create consumer: %s", kerr);
                return -1;
        }
        rd_kafka_poll_set_consumer(t->rk);
        t->queue = rd_kafka_queue_get_consumer(t->rk);
        sink_pending_reset(t);
        errstr[0] = '\0';
        if (t->plugin->desc->sink_task->create(
                    &t->ctx, &rdc_host, rdc_map_as_cconfig(t->task_cfg),
                    &t->ptask, errstr, sizeof(errstr))) {
                t->ptask = NULL;
                task_fail(t, "create", "%s", errstr);
                return -1;
        }
        return sink_subscribe(t);
}

static void sink_apply_pause(rdc_task_t *t) {
        int was = t->paused;
        if (pause_check(t) == was)
                return;
        rd_kafka_topic_partition_list_t *parts = NULL;
        if (rd_kafka_assignment(t->rk, &parts) || !parts)
                return;
        if (t->paused)
                rd_kafka_pause_partitions(t->rk, parts);
        else
                rd_kafka_resume_partitions(t->rk, parts);
        rd_kafka_topic_partition_list_destroy(parts);
}

/* Remembers the next offset to commit for msg's partition. */
static void sink_track(rdc_task_t *t, const rd_kafka_message_t *msg) {
        rd_kafka_topic_partition_t *p;
        if (t->track_idx >= 0 && t->track_rkt == msg->rkt &&
            t->track_partition == msg->partition) {
                p = &t->pending->elems[t->track_idx];
        } else {
                const char *topic = rd_kafka_topic_name(msg->rkt);
                /* A new partition run: also where sinks record topics. */
                topic_ref(t, topic, 0);
                p = rd_kafka_topic_partition_list_find(t->pending, topic,
                                                       msg->partition);
                if (!p)
                        p = rd_kafka_topic_partition_list_add(t->pending, topic,
                                                              msg->partition);
                t->track_rkt = msg->rkt;
                t->track_partition = msg->partition;
                t->track_idx = (int)(p - t->pending->elems);
        }
        p->offset = msg->offset + 1;
}

/* Converts consumed messages into records. @returns the record count, or
 * -1 if the task failed. Skipped and error messages count as processed. */
static ssize_t sink_convert(rdc_task_t *t, rd_kafka_message_t **msgs,
                            size_t cnt, rdcp_sink_record_t *recs) {
        size_t n = 0;
        char errstr[1024];
        for (size_t i = 0; i < cnt; i++) {
                rd_kafka_message_t *m = msgs[i];
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                                        "Consumer: %s",
                                        rd_kafka_message_errstr(m));
                        continue;
                }
                const char *topic = rd_kafka_topic_name(m->rkt);
                rdcp_sink_record_t *r = &recs[n];
                memset(r, 0, sizeof(*r));
                errstr[0] = '\0';
                if (t->key_conv.vt->to_data(t->key_conv.state, topic, m->key,
                                            m->key_len, &t->arena, &r->key,
                                            errstr, sizeof(errstr)) ||
                    t->value_conv.vt->to_data(
                            t->value_conv.state, topic, m->payload, m->len,
                            &t->arena, &r->value, errstr, sizeof(errstr))) {
                        if (!conversion_error(t, "convert", topic, errstr))
                                return -1;
                        sink_track(t, m);
                        continue;
                }
                r->topic = topic;
                r->partition = m->partition;
                r->offset = m->offset;
                rd_kafka_timestamp_type_t tstype;
                r->timestamp = rd_kafka_message_timestamp(m, &tstype);
                rd_kafka_headers_t *hdrs = NULL;
                if (!rd_kafka_message_headers(m, &hdrs) && hdrs) {
                        size_t hc = rd_kafka_header_cnt(hdrs);
                        rdcp_header_t *h =
                                rdc_arena_alloc(&t->arena, hc * sizeof(*h));
                        for (size_t k = 0; h && k < hc; k++)
                                rd_kafka_header_get_all(hdrs, k, &h[k].key,
                                                        &h[k].value,
                                                        &h[k].value_len);
                        r->headers = h;
                        r->header_cnt = h ? (int32_t)hc : 0;
                }
                n++;
        }
        return (ssize_t)n;
}

/* put() with retries on RDCP_ERR_RETRIABLE. @returns 0, or -1 if the task
 * failed or is stopping before the batch was taken. */
static int sink_put(rdc_task_t *t, const rdcp_sink_record_t *recs, size_t cnt) {
        int64_t backoff = 0;
        for (;;) {
                char errstr[2048] = "";
                rdcp_err_t err = t->plugin->desc->sink_task->put(
                        t->ptask, recs, cnt, errstr, sizeof(errstr));
                if (!err)
                        return 0;
                if (err != RDCP_ERR_RETRIABLE) {
                        task_fail(t, "put", "%s", errstr);
                        return -1;
                }
                backoff = backoff ? backoff * 2 : 100;
                if (backoff > RDC_RETRY_MAX_MS)
                        backoff = RDC_RETRY_MAX_MS;
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "put failed, retrying in %" PRId64 " ms: %s", backoff,
                        errstr);
                idle_wait(t, (int)backoff);
                if (stop_requested(t))
                        return -1;
        }
}

static void sink_run(rdc_task_t *t) {
        rd_kafka_message_t *msgs[RDC_SINK_BATCH];
        rdcp_sink_record_t *recs = calloc(RDC_SINK_BATCH, sizeof(*recs));
        if (!recs) {
                task_fail(t, "create", "out of memory");
                goto out;
        }
        if (sink_open(t))
                goto out;
        task_emit(t, RDC_TASK_EV_STATE,
                  t->paused ? RDC_STATE_PAUSED : RDC_STATE_RUNNING, NULL);
        while (!stop_requested(t) && !t->failed) {
                sink_apply_pause(t);
                if (rdc_clock_now_ms() >= t->next_commit_ms) {
                        sink_commit(t);
                        t->next_commit_ms = rdc_clock_now_ms() +
                                            t->worker->offset_flush_interval_ms;
                }
                topics_check_reset(t);
                /* Block for the first message only, then take what is
                 * already fetched: low latency when idle, full batches
                 * under load. */
                rd_kafka_message_t *first =
                        rd_kafka_consumer_poll(t->rk, RDC_IDLE_WAIT_MS);
                if (!first)
                        continue;
                msgs[0] = first;
                ssize_t got = rd_kafka_consume_batch_queue(
                        t->queue, 0, msgs + 1, RDC_SINK_BATCH - 1);
                size_t cnt = 1 + (got > 0 ? (size_t)got : 0);
                ssize_t n = sink_convert(t, msgs, cnt, recs);
                int ok = n >= 0 && (n == 0 || !sink_put(t, recs, (size_t)n));
                if (ok)
                        for (size_t i = 0; i < cnt; i++)
                                if (!msgs[i]->err)
                                        sink_track(t, msgs[i]);
                for (size_t i = 0; i < cnt; i++)
                        rd_kafka_message_destroy(msgs[i]);
                rdc_arena_reset(&t->arena);
                if (!ok)
                        break;
                t->pending_cnt += n;
        }
out:
        if (t->rk) {
                if (!t->failed)
                        sink_commit(t);
                if (t->queue)
                        rd_kafka_queue_destroy(t->queue);
                rd_kafka_consumer_close(t->rk);
        }
        if (t->ptask)
                t->plugin->desc->sink_task->destroy(t->ptask);
        t->ptask = NULL;
        if (t->rk)
                rd_kafka_destroy(t->rk);
        t->rk = NULL;
        if (t->pending)
                rd_kafka_topic_partition_list_destroy(t->pending);
        t->pending = NULL;
        topics_free(t);
        free(recs);
}

/* ============================================================ thread */

static void task_free(rdc_task_t *t) {
        rdc_ctx_destroy(&t->ctx);
        rdc_map_destroy(t->task_cfg);
        rdc_map_destroy(t->conn_cfg);
        rdc_buf_destroy(&t->key_buf);
        rdc_buf_destroy(&t->value_buf);
        rdc_arena_destroy(&t->arena);
        pthread_mutex_destroy(&t->lock);
        pthread_cond_destroy(&t->cond);
        free(t->connector);
        free(t);
}

static void *task_main(void *arg) {
        rdc_task_t *t = arg;
        char name[16];
        snprintf(name, sizeof(name), "rdc-task-%d", (int)t->id);
        pthread_setname_np(pthread_self(), name);
        rdc_config_parse_bool(rdc_map_get(t->conn_cfg, "errors.log.enable"),
                              &t->log_errors);
        const char *tol = rdc_map_get(t->conn_cfg, "errors.tolerance");
        t->tolerate_errors = tol && !strcmp(tol, "all");
        t->paused = atomic_load(&t->want_paused);
        t->next_commit_ms =
                rdc_clock_now_ms() + t->worker->offset_flush_interval_ms;

        if (!converter_open(t, "key", &t->key_conv) &&
            !converter_open(t, "value", &t->value_conv)) {
                if (t->plugin->desc->type == RDCP_PLUGIN_SOURCE)
                        source_run(t);
                else
                        sink_run(t);
        }
        converter_close(&t->key_conv);
        converter_close(&t->value_conv);
        rdc_log(RDC_LOG_INFO, "task", t->ctx.scope, "Task %s",
                t->failed ? "stopped after failure" : "stopped");

        pthread_mutex_lock(&t->lock);
        int abandoned = t->abandoned;
        t->exited = 1;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        if (abandoned)
                task_free(t);
        return NULL;
}

rdc_task_t *rdc_task_start(const rdc_task_spec_t *spec, char *errstr,
                           size_t errstr_size) {
        rdc_task_t *t = calloc(1, sizeof(*t));
        if (!t)
                goto nomem;
        pthread_mutex_init(&t->lock, NULL);
        rdc_clock_cond_init(&t->cond);
        rdc_buf_init(&t->key_buf);
        rdc_buf_init(&t->value_buf);
        rdc_arena_init(&t->arena);
        t->worker = spec->worker;
        t->id = spec->task_id;
        t->tag = spec->tag;
        t->plugin = spec->plugin;
        t->on_event = spec->on_event;
        t->opaque = spec->opaque;
        atomic_init(&t->want_paused, spec->start_paused ? 1 : 0);
        t->connector = strdup(spec->connector);
        t->task_cfg = rdc_map_dup(spec->task_config);
        t->conn_cfg = rdc_map_dup(spec->connector_config);
        if (!t->connector || !t->task_cfg || !t->conn_cfg)
                goto nomem;
        if (rdc_ctx_init(&t->ctx, spec->connector, spec->task_id,
                         spec->plugin->desc->class_name, spec->worker->offsets))
                goto nomem;
        int err = pthread_create(&t->thread, NULL, task_main, t);
        if (err) {
                snprintf(errstr, errstr_size, "cannot start task thread: %s",
                         strerror(err));
                task_free(t);
                return NULL;
        }
        return t;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        if (t)
                task_free(t);
        return NULL;
}

void rdc_task_set_paused(rdc_task_t *task, int paused) {
        atomic_store(&task->want_paused, paused ? 1 : 0);
        rdc_ctx_wake(&task->ctx);
}

void rdc_task_reset_topics(rdc_task_t *task) {
        atomic_store(&task->topics_reset, 1);
}

void rdc_task_stop(rdc_task_t *task) {
        /* Wakes host->wait(); the task thread sees the flag within
         * RDC_IDLE_WAIT_MS when it is blocked in librdkafka instead. */
        rdc_ctx_stop(&task->ctx);
}

int rdc_task_join(rdc_task_t *task, int64_t timeout_ms) {
        struct timespec deadline = rdc_clock_deadline(timeout_ms);
        pthread_mutex_lock(&task->lock);
        while (!task->exited) {
                if (pthread_cond_timedwait(&task->cond, &task->lock,
                                           &deadline) == ETIMEDOUT)
                        break;
        }
        if (!task->exited) {
                task->abandoned = 1;
                pthread_detach(task->thread);
                pthread_mutex_unlock(&task->lock);
                rdc_log(RDC_LOG_ERROR, "task", task->ctx.scope,
                        "Task did not stop within %" PRId64
                        " ms; abandoning it",
                        timeout_ms);
                return -1;
        }
        pthread_mutex_unlock(&task->lock);
        pthread_join(task->thread, NULL);
        task_free(task);
        return 0;
}
