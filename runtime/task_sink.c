/*
 * The sink loop of a task: consume, convert, put; flush and commit the
 * consumer offsets of what was flushed (see task.h).
 */
#define _GNU_SOURCE
#include "task_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"

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
                rdc_task_fail(t, "flush", "%s", errstr);
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
                rdc_task_fail(t, "subscribe", "%s", rd_kafka_err2str(err));
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
                rdc_task_fail(t, "consumer", "%s", errstr);
                return -1;
        }
        rd_kafka_conf_set_rebalance_cb(conf, sink_rebalance_cb);
        rd_kafka_conf_set_opaque(conf, t);
        t->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
        if (!t->rk) {
                rd_kafka_conf_destroy(conf);
                rdc_task_fail(t, "consumer", "cannot create consumer: %s",
                              kerr);
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
                rdc_task_fail(t, "create", "%s", errstr);
                return -1;
        }
        return sink_subscribe(t);
}

static void sink_apply_pause(rdc_task_t *t) {
        int was = t->paused;
        if (rdc_task_pause_check(t) == was)
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
                rdc_task_topic_ref(t, topic, 0);
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
                        if (!rdc_task_conversion_error(t, "convert", topic,
                                                       errstr))
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
                        rdc_task_fail(t, "put", "%s", errstr);
                        return -1;
                }
                backoff = backoff ? backoff * 2 : 100;
                if (backoff > RDC_RETRY_MAX_MS)
                        backoff = RDC_RETRY_MAX_MS;
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "put failed, retrying in %" PRId64 " ms: %s", backoff,
                        errstr);
                rdc_task_idle_wait(t, (int)backoff);
                if (rdc_task_stop_requested(t))
                        return -1;
        }
}

void rdc_task_sink_run(rdc_task_t *t) {
        rd_kafka_message_t *msgs[RDC_SINK_BATCH];
        rdcp_sink_record_t *recs = calloc(RDC_SINK_BATCH, sizeof(*recs));
        if (!recs) {
                rdc_task_fail(t, "create", "out of memory");
                goto out;
        }
        if (sink_open(t))
                goto out;
        rdc_task_emit(t, RDC_TASK_EV_STATE,
                      t->paused ? RDC_STATE_PAUSED : RDC_STATE_RUNNING, NULL);
        while (!rdc_task_stop_requested(t) && !t->failed) {
                sink_apply_pause(t);
                if (rdc_clock_now_ms() >= t->next_commit_ms) {
                        sink_commit(t);
                        t->next_commit_ms = rdc_clock_now_ms() +
                                            t->worker->offset_flush_interval_ms;
                }
                rdc_task_topics_check_reset(t);
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
        rdc_task_topics_free(t);
        free(recs);
}
