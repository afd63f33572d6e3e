/*
 * The source loop of a task: poll the plugin, convert, produce; delivery
 * reports mark poll batches done and the offsets of the longest prefix of
 * done batches are stored (see task.h).
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "kafka/clients.h"
#include "plugins/abi.h"
#include "tasks/pipeline.h"
#include "tasks/task_internal.h"

/* How long a starting task waits for the offsets others committed. */
#define RDC_SOURCE_SYNC_TIMEOUT_MS 10000

/* ============================================================ source */

static void batch_free(rdc_src_batch_t *b) {
        for (size_t i = 0; i < b->part_cnt; i++) {
                free(b->parts[i].partition_copy);
                free(b->parts[i].offset_copy);
        }
        free(b);
}

/* Errors that belong to one record while the rest of the stream is fine
 * (too large, rejected as invalid). With errors.tolerance=all such a
 * record is skipped, as Kafka Connect does for producer errors (KIP-779).
 * Transport, timeout and authorization errors are never skipped: a retry
 * after a restart delivers those records, skipping them would lose them. */
static int record_error(rd_kafka_resp_err_t err) {
        switch (err) {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        case RD_KAFKA_RESP_ERR_INVALID_TIMESTAMP:
        case RD_KAFKA_RESP_ERR_INVALID_MSG:
                return 1;
        default:
                return 0;
        }
}

/* @returns 1 if the record that met err is skipped (tolerated and
 * logged), 0 if it must fail the task. */
static int source_skip_record(rdc_task_t *t, const char *topic,
                              rd_kafka_resp_err_t err, size_t len) {
        if (!t->tolerate_errors || !record_error(err))
                return 0;
        /* Logged whatever errors.log.enable says: the data is dropped. */
        rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                "Skipping a record of %zu bytes to topic %s "
                "(errors.tolerance=all): %s",
                len, topic, rd_kafka_err2str(err));
        return 1;
}

/* The text a failed record's error gets: what to change for a record
 * that is too large. */
static void record_error_text(rd_kafka_resp_err_t err, const char *topic,
                              int32_t partition, size_t len, char *out,
                              size_t size) {
        int n = snprintf(out, size,
                         "Delivery to topic %s partition %d failed: %s", topic,
                         (int)partition, rd_kafka_err2str(err));
        if (n > 0 && (size_t)n < size && record_error(err))
                snprintf(out + n, size - (size_t)n,
                         " (record of %zu bytes). Set errors.tolerance=all "
                         "to skip such records%s",
                         len,
                         err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE
                                 ? ", or raise producer.override."
                                   "message.max.bytes and the topic's "
                                   "max.message.bytes"
                                 : "");
}

/* Delivery reports, served by rd_kafka_poll() on the task thread. A
 * failed record fails its batch: no offset at or after it is stored, and
 * the task fails (see source_check_errors) so that the automatic restart
 * sends it again. */
/* Tells a plugin with commit_record about one record: metadata NULL for
 * a skipped record. */
static void source_ack(rdc_task_t *t, const rdc_src_ack_t *ack,
                       const rd_kafka_message_t *msg) {
        rdcp_record_metadata_t md;
        if (msg) {
                md.struct_size = sizeof(md);
                md.topic = rd_kafka_topic_name(msg->rkt);
                md.partition = msg->partition;
                md.offset = msg->offset;
                md.timestamp = rd_kafka_message_timestamp(msg, NULL);
        }
        t->plugin->desc->source_task->commit_record(t->ptask, ack->opaque,
                                                    msg ? &md : NULL);
}

static void source_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg,
                         void *opaque) {
        rdc_task_t *t = opaque;
        const rdc_src_ack_t *ack = t->acks ? msg->_private : NULL;
        rdc_src_batch_t *b = ack ? ack->batch : msg->_private;
        (void)rk;
        if (b)
                b->outstanding--;
        t->queued_msgs--;
        t->queued_bytes -= (int64_t)(msg->len + msg->key_len);
        if (!msg->err) {
                if (t->warning[0])
                        rdc_task_set_warning(t, NULL);
                if (ack)
                        source_ack(t, ack, msg);
                return;
        }
        const char *topic = rd_kafka_topic_name(msg->rkt);
        if (source_skip_record(t, topic, msg->err, msg->len + msg->key_len)) {
                if (ack)
                        source_ack(t, ack, NULL);
                return;
        }
        if (b)
                b->failed = 1;
        if (!t->delivery_error[0])
                record_error_text(msg->err, topic, msg->partition,
                                  msg->len + msg->key_len, t->delivery_error,
                                  sizeof(t->delivery_error));
}

/* Client-level errors, served by rd_kafka_poll() on the task thread.
 * A fatal error (idempotence broken, fenced, ...) ends the producer for
 * good; anything else (brokers down, ...) is transient, but shown in the
 * status while records wait, until one is delivered or none waits. */
static void source_error_cb(rd_kafka_t *rk, int err, const char *reason,
                            void *opaque) {
        rdc_task_t *t = opaque;
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                char fatal[400];
                rd_kafka_resp_err_t ferr =
                        rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
                if (!t->fatal_error[0])
                        snprintf(t->fatal_error, sizeof(t->fatal_error),
                                 "Fatal producer error %s: %s",
                                 rd_kafka_err2name(ferr), fatal);
                return;
        }
        if (!t->queued_msgs)
                return; /* nothing waits on it: not a reason to show */
        char text[sizeof(t->warning)];
        snprintf(text, sizeof(text), "Kafka producer: %s: %s",
                 rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
        rdc_task_set_warning(t, text);
}

/* Fails the task on a record librdkafka refused to enqueue. */
static void source_fail_record(rdc_task_t *t, const char *topic,
                               int32_t partition, rd_kafka_resp_err_t err,
                               size_t len) {
        char text[sizeof(t->delivery_error)];
        record_error_text(err, topic, partition, len, text, sizeof(text));
        rdc_task_fail(t, "produce", "%s", text);
}

/* @returns 0, or -1 after failing the task on a delivery or fatal error
 * (called after every rd_kafka_poll() of the loop). */
static int source_check_errors(rdc_task_t *t) {
        if (t->fatal_error[0])
                rdc_task_fail(t, "produce", "%s", t->fatal_error);
        else if (t->delivery_error[0])
                rdc_task_fail(t, "produce", "%s", t->delivery_error);
        else
                return 0;
        return -1;
}

/* Stages the offsets of every finished batch at the head of the queue and
 * writes the store when the flush interval is due (or force). */
static void source_commit(rdc_task_t *t, int force) {
        rdc_src_batch_t *b;
        int staged = t->ctx.wake_at_ms != 0;
        while ((b = t->batch_head) && b->complete && b->outstanding == 0 &&
               !b->failed) {
                staged = 1;
                t->staged = 1;
                for (size_t i = 0; i < b->part_cnt; i++)
                        rdc_offset_store_put(t->worker->offsets, t->connector,
                                             b->parts[i].partition_copy,
                                             b->parts[i].offset_copy);
                t->batch_head = b->next;
                if (!t->batch_head)
                        t->batch_tail = NULL;
                batch_free(b);
        }
        int64_t now = rdc_clock_now_ms();
        if (!force && now < t->next_commit_ms) {
                /* Staged offsets: a plugin idling in host->wait() hands
                 * control back when their flush is due. */
                if (staged)
                        t->ctx.wake_at_ms = t->next_commit_ms;
                return;
        }
        t->ctx.wake_at_ms = 0;
        t->next_commit_ms = now + t->worker->offset_flush_interval_ms;
        char errstr[512];
        /* As Kafka's commitOffsets: bounded by offset.flush.timeout.ms
         * (and, stopping, by the stop deadline), so a task cut off from
         * Kafka still sees its stop. */
        int64_t wait_ms = t->worker->offset_flush_timeout_ms;
        int64_t left = rdc_task_finish_by(t) - rdc_clock_now_ms();
        if (force && wait_ms > left)
                wait_ms = left > 0 ? left : 0;
        if (rdc_offset_store_flush_timed(t->worker->offsets, wait_ms, errstr,
                                         sizeof(errstr))) {
                rdc_log(RDC_LOG_ERROR, "task", t->ctx.scope,
                        "Failed to flush offsets: %s", errstr);
                return;
        }
        /* As Kafka's SourceTask.commit(): once the offsets are written. */
        if (t->staged && t->ptask && t->plugin->desc->source_task->commit)
                t->plugin->desc->source_task->commit(t->ptask);
        t->staged = 0;
}

static uint32_t part_hash(const char *s) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 16777619u;
        return h;
}

/* Makes the scratch of batch_collect_parts() hold cnt records' worth. */
static int part_scratch_reserve(rdc_task_t *t, size_t cnt) {
        if (cnt > t->part_cap) {
                rdc_src_part_t *grown =
                        realloc(t->part_scratch, cnt * sizeof(*grown));
                if (!grown)
                        return -1;
                t->part_scratch = grown;
                t->part_cap = cnt;
        }
        size_t want = 16;
        while (want < 2 * cnt)
                want <<= 1;
        if (want > t->index_cap) {
                free(t->part_index);
                t->part_index = calloc(want, sizeof(*t->part_index));
                t->index_cap = t->part_index ? want : 0;
                t->part_gen = 0;
                if (!t->part_index)
                        return -1;
        }
        if (++t->part_gen == 0) { /* wrapped: stale stamps could match */
                memset(t->part_index, 0, t->index_cap * sizeof(*t->part_index));
                t->part_gen = 1;
        }
        return 0;
}

/* Collects the distinct source partitions of a batch into the task's
 * scratch, each with the offset of its last record: any number of them.
 * The plugin usually repeats one string per partition in runs, so the
 * previous record's partition is tried first (pointer equality); a hash
 * index finds the others. @returns the count, or -1 (out of memory). */
static ssize_t batch_collect_parts(rdc_task_t *t,
                                   const rdcp_source_record_t *recs,
                                   size_t cnt) {
        if (part_scratch_reserve(t, cnt))
                return -1;
        rdc_src_part_t *parts = t->part_scratch;
        size_t n = 0, last = SIZE_MAX, mask = t->index_cap - 1;
        size_t stride = t->plugin->desc->source_record_size;
        for (size_t i = 0; i < cnt; i++) {
                const rdcp_source_record_t *r = rdc_abi_at(recs, stride, i);
                const char *p = r->source_partition;
                size_t j;
                if (!p)
                        continue;
                if (last != SIZE_MAX && parts[last].partition == p) {
                        j = last;
                } else {
                        size_t h = part_hash(p) & mask;
                        struct rdc_part_slot *slot;
                        while ((slot = &t->part_index[h])->gen == t->part_gen &&
                               strcmp(parts[slot->idx].partition, p))
                                h = (h + 1) & mask;
                        if (slot->gen != t->part_gen) {
                                slot->gen = t->part_gen;
                                slot->idx = (uint32_t)n;
                                parts[n].partition = p;
                                parts[n].offset = NULL;
                                n++;
                        }
                        j = slot->idx;
                }
                last = j;
                if (r->source_offset)
                        parts[j].offset = r->source_offset;
        }
        return (ssize_t)n;
}

static rdc_src_batch_t *
batch_new(rdc_task_t *t, const rdcp_source_record_t *recs, size_t cnt) {
        ssize_t n = batch_collect_parts(t, recs, cnt);
        if (n < 0)
                return NULL;
        const rdc_src_part_t *parts = t->part_scratch;
        size_t acks = t->acks ? cnt : 0;
        rdc_src_batch_t *b =
                calloc(1, sizeof(*b) + (size_t)n * sizeof(parts[0]) +
                                  acks * sizeof(rdc_src_ack_t));
        if (!b)
                return NULL;
        if (acks) {
                size_t stride = t->plugin->desc->source_record_size;
                b->acks = (rdc_src_ack_t *)(void *)&b->parts[n];
                for (size_t i = 0; i < cnt; i++) {
                        const rdcp_source_record_t *r =
                                rdc_abi_at(recs, stride, i);
                        b->acks[i].batch = b;
                        b->acks[i].opaque = r->ack_opaque;
                }
        }
        for (ssize_t i = 0; i < n; i++) {
                if (!parts[i].offset)
                        continue;
                rdc_src_part_t *dst = &b->parts[b->part_cnt++];
                dst->partition_copy = strdup(parts[i].partition);
                dst->offset_copy = strdup(parts[i].offset);
                if (!dst->partition_copy || !dst->offset_copy) {
                        batch_free(b);
                        return NULL;
                }
        }
        return b;
}

/* The current record's headers for librdkafka, as the pipeline left
 * them (serialized, host layout). */
static rd_kafka_headers_t *headers_build(const rdc_task_t *t) {
        if (!t->src_hdr_cnt)
                return NULL;
        rd_kafka_headers_t *hdrs = rd_kafka_headers_new(t->src_hdr_cnt);
        for (size_t i = 0; i < t->src_hdr_cnt; i++) {
                const rdcp_header_t *h = &t->src_hdrs[i];
                rd_kafka_header_add(hdrs, h->key, -1, h->value,
                                    h->value ? (ssize_t)h->value_len : 0);
        }
        return hdrs;
}

/* Produces one record, waiting on a full queue. @returns 0, 1 if the
 * task is stopping (record not produced), -1 on error (task failed). */
static int source_produce(rdc_task_t *t, rd_kafka_topic_t *rkt,
                          const rdcp_source_record_t *r,
                          const rdcp_bytes_t *key, const rdcp_bytes_t *value,
                          rdc_src_batch_t *b, void *opaque) {
        rd_kafka_resp_err_t err;
        for (;;) {
                rd_kafka_headers_t *hdrs = headers_build(t);
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
                        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque),
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
                if (source_check_errors(t))
                        return -1;
                if (rdc_task_stop_requested(t))
                        return 1;
        }
        if (source_skip_record(t, r->topic, err, value->len + key->len)) {
                if (t->acks) /* skipped: acknowledged with null */
                        source_ack(t, opaque, NULL);
                return 0;
        }
        source_fail_record(t, r->topic, r->partition, err,
                           value->len + key->len);
        return -1;
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
                msgs[i]._private = e->opaque;
        }
        while (done < cnt) {
                size_t n = source_room(t, msgs + done, cnt - done);
                if (n)
                        rd_kafka_produce_batch(t->topics[t->run_topic].rkt,
                                               RD_KAFKA_PARTITION_UA,
                                               RD_KAFKA_MSG_F_COPY |
                                                       RD_KAFKA_MSG_F_PARTITION,
                                               msgs + done, (int)n);
                const char *topic = t->topics[t->run_topic].name;
                size_t full_at = n;    /* first QUEUE_FULL refusal */
                size_t after_full = 0; /* enqueued after it */
                for (size_t k = 0; k < n; k++) {
                        rd_kafka_message_t *m = &msgs[done + k];
                        size_t len = m->len + m->key_len;
                        if (!m->err) {
                                after_full += full_at < n;
                                b->outstanding++;
                                t->queued_msgs++;
                                t->queued_bytes += (int64_t)len;
                        } else if (m->err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                                if (full_at == n)
                                        full_at = k;
                        } else if (full_at == n &&
                                   !source_skip_record(t, topic, m->err, len)) {
                                /* (after a refusal: tried again below) */
                                t->run_cnt = 0;
                                source_fail_record(t, topic, m->partition,
                                                   m->err, len);
                                return -1;
                        } else if (full_at == n && t->acks) {
                                source_ack(t, m->_private, NULL); /* skipped */
                        }
                }
                if (full_at == n) {
                        done += n;
                        if (n)
                                continue;
                } else if (!after_full && t->queued_msgs) {
                        /* The queue was fuller than mirrored (another
                         * limit); nothing after the first refusal was
                         * enqueued, so order holds: retry from it. */
                        done += full_at;
                } else {
                        t->run_cnt = 0;
                        rdc_task_fail(t, "produce",
                                      "Failed to send record to topic %s: "
                                      "%s",
                                      topic,
                                      rd_kafka_err2str(
                                              RD_KAFKA_RESP_ERR__QUEUE_FULL));
                        return -1;
                }
                /* Backpressure: serve delivery reports until there is
                 * room again. */
                rd_kafka_poll(t->rk, 50);
                if (source_check_errors(t) || rdc_task_stop_requested(t)) {
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
        rdc_src_batch_t *b = batch_new(t, recs, cnt);
        if (!b) {
                rdc_task_fail(t, "poll", "out of memory");
                return -1;
        }
        rdc_task_topics_check_reset(t);
        if (t->batch_tail)
                t->batch_tail->next = b;
        else
                t->batch_head = b;
        t->batch_tail = b;
        /* The plugin's stride: a record of an older minor is smaller. */
        size_t stride = t->plugin->desc->source_record_size;
        for (size_t i = 0; i < cnt; i++) {
                const rdcp_source_record_t *r = rdc_abi_at(recs, stride, i);
                rdcp_bytes_t key, value;
                if (!r->topic || !*r->topic) {
                        rdc_task_fail(t, "poll", "record %zu has no topic", i);
                        return -1;
                }
                ssize_t ti = rdc_task_topic_ref(t, r->topic, 1);
                if (ti < 0) {
                        rdc_task_fail(t, "produce", "cannot use topic %s",
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
                void *opaque = b->acks ? (void *)&b->acks[i] : (void *)b;
                int c = rdc_pipeline_source(t, r, &key, &value);
                if (c < 0)
                        return -1;
                if (c > 0) {
                        if (b->acks) /* skipped: Kafka acks it with null */
                                source_ack(t, &b->acks[i], NULL);
                        continue;
                }
                size_t len = key.len + value.len;
                if ((int64_t)len > t->max_msg_bytes) {
                        /* Refused here rather than by librdkafka halfway
                         * through a run, which would send the records
                         * after it ahead of a restart that sends them
                         * again. */
                        if (t->run_cnt && source_flush_run(t, b))
                                return -1;
                        rd_kafka_resp_err_t big =
                                RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;
                        if (source_skip_record(t, r->topic, big, len)) {
                                if (b->acks)
                                        source_ack(t, &b->acks[i], NULL);
                                continue;
                        }
                        source_fail_record(t, r->topic, r->partition, big, len);
                        return -1;
                }
                if (batchable) {
                        rdc_run_entry_t *e = &t->run[t->run_cnt++];
                        e->key = out_ref(&t->key_buf, key_mark, &key);
                        e->value = out_ref(&t->value_buf, value_mark, &value);
                        e->partition = r->partition >= 0
                                               ? r->partition
                                               : RD_KAFKA_PARTITION_UA;
                        e->opaque = opaque;
                        t->run_topic = (size_t)ti;
                        continue;
                }
                if (source_produce(t, t->topics[ti].rkt, r, &key, &value, b,
                                   opaque))
                        return -1;
        }
        if (t->run_cnt && source_flush_run(t, b))
                return -1;
        b->complete = 1;
        return 0;
}

/* Waits for in-flight records (offset.flush.timeout.ms, as Kafka
 * Connect's final offset commit, within the graceful stop), commits what
 * was delivered, and drops the rest: their offsets are not committed, so
 * they are sent again after a restart (at least once). */
static void source_drain(rdc_task_t *t) {
        if (!t->rk)
                return;
        int64_t wait_ms = t->worker->offset_flush_timeout_ms;
        int64_t left = rdc_task_finish_by(t) - rdc_clock_now_ms();
        if (wait_ms > left)
                wait_ms = left > 0 ? left : 0;
        rd_kafka_flush(t->rk, (int)wait_ms);
        source_commit(t, 1);
        if (rd_kafka_outq_len(t->rk) > 0) {
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "%d record(s) not acknowledged within %" PRId64
                        " ms (offset.flush.timeout.ms); their offsets "
                        "are not committed and they will be sent again",
                        rd_kafka_outq_len(t->rk), wait_ms);
                rd_kafka_purge(t->rk, RD_KAFKA_PURGE_F_QUEUE |
                                              RD_KAFKA_PURGE_F_INFLIGHT);
                /* Their (failed) reports, briefly: all that is left of
                 * them to wait for. */
                for (int i = 0; i < 10 && rd_kafka_outq_len(t->rk) > 0; i++)
                        rd_kafka_poll(t->rk, 20);
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
        char errstr[1024];
        char *client_id = rdc_task_client_id(t, "producer");
        rd_kafka_conf_t *conf =
                client_id ? rdc_kafka_producer_conf(t->worker, t->conn_cfg,
                                                    client_id, errstr,
                                                    sizeof(errstr))
                          : NULL;
        if (!client_id)
                snprintf(errstr, sizeof(errstr), "out of memory");
        free(client_id);
        if (!conf) {
                rdc_task_fail(t, "producer", "%s", errstr);
                return -1;
        }
        t->acks = t->plugin->desc->source_task->commit_record != NULL;
        rd_kafka_conf_set_dr_msg_cb(conf, source_dr_cb);
        t->queue_max_msgs =
                conf_get_int64(conf, "queue.buffering.max.messages");
        t->queue_max_bytes =
                conf_get_int64(conf, "queue.buffering.max.kbytes") * 1024;
        t->max_msg_bytes = conf_get_int64(conf, "message.max.bytes");
        t->run = calloc(RDC_PRODUCE_RUN, sizeof(*t->run));
        t->run_msgs = calloc(RDC_PRODUCE_RUN, sizeof(*t->run_msgs));
        if (!t->run || !t->run_msgs) {
                rd_kafka_conf_destroy(conf);
                rdc_task_fail(t, "producer", "out of memory");
                return -1;
        }
        t->rk = rdc_task_client_new(t, RD_KAFKA_PRODUCER, conf, source_error_cb,
                                    "producer");
        if (!t->rk)
                return -1;
        /* A delivery report wakes a plugin idling in host->wait(), so
         * that offsets are stored when due even while it has no data. */
        static const uint64_t one = 1;
        t->main_queue = rd_kafka_queue_get_main(t->rk);
        rd_kafka_queue_io_event_enable(t->main_queue, t->ctx.wake_fd, &one,
                                       sizeof(one));
        /* As Kafka's offset reader: the offsets the task starts from
         * include those its previous owner (another worker) committed
         * just before it stopped. Stale ones only send records again. */
        if (rdc_offset_store_sync(t->worker->offsets,
                                  RDC_SOURCE_SYNC_TIMEOUT_MS, errstr,
                                  sizeof(errstr)))
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "%s: starting from the offsets read so far (records "
                        "after them are sent again)",
                        errstr);
        errstr[0] = '\0';
        if (t->plugin->desc->source_task->create(
                    &t->ctx, &rdc_host, rdc_map_as_cconfig(t->task_cfg),
                    &t->ptask, errstr, sizeof(errstr))) {
                t->ptask = NULL;
                rdc_task_fail(t, "create", "%s", errstr);
                return -1;
        }
        return 0;
}

void rdc_task_source_run(rdc_task_t *t) {
        const rdcp_source_task_vtable_t *vt = t->plugin->desc->source_task;
        int64_t backoff = 0;
        if (source_open(t))
                goto out;
        rdc_task_emit(t, RDC_TASK_EV_STATE,
                      t->paused ? RDC_STATE_PAUSED : RDC_STATE_RUNNING, NULL);
        while (!rdc_task_stop_requested(t) && !t->failed) {
                rd_kafka_poll(t->rk, 0);
                source_commit(t, 0);
                if (source_check_errors(t))
                        break;
                if (t->warning[0] && !t->queued_msgs)
                        rdc_task_set_warning(t, NULL); /* nothing stuck */
                if (rdc_task_pause_check(t)) {
                        rdc_task_idle_wait(t, RDC_IDLE_WAIT_MS);
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
                        rdc_task_idle_wait(t, (int)backoff);
                        continue;
                }
                if (err) {
                        rdc_task_fail(t, "poll", "%s", errstr);
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
        rdc_task_topics_free(t);
        if (t->main_queue) {
                rd_kafka_queue_io_event_enable(t->main_queue, -1, NULL, 0);
                rd_kafka_queue_destroy(t->main_queue);
                t->main_queue = NULL;
        }
        if (t->rk)
                rd_kafka_destroy(t->rk);
        t->rk = NULL;
        free(t->run);
        free(t->run_msgs);
        free(t->part_scratch);
        free(t->part_index);
        t->run = NULL;
        t->run_msgs = NULL;
        t->part_scratch = NULL;
        t->part_index = NULL;
}
