/*
 * The sink loop of a task: consume, convert, put; flush and commit the
 * consumer offsets of what was flushed (see task.h).
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
#include "core/strlist.h"
#include "kafka/clients.h"
#include "plugins/abi.h"
#include "tasks/pipeline.h"
#include "tasks/task_internal.h"

/* ============================================================== sink */

char *rdc_task_sink_group_id(const char *connector) {
        char *group;
        return asprintf(&group, "connect-%s", connector) < 0 ? NULL : group;
}

/* ------------------------------------------------ status warnings */

/* Shows why the task cannot make progress (rdc_task_set_warning). */
static void sink_warn(rdc_task_t *t, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void sink_warn(rdc_task_t *t, const char *fmt, ...) {
        char text[sizeof(t->warning)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        rdc_task_set_warning(t, text);
}

/* Records flow again: the reason goes. */
static void sink_warn_clear(rdc_task_t *t) {
        rdc_task_set_warning(t, NULL);
}

/* ---------------------------------------------------- Kafka errors */

/* Errors that waiting does not heal: wrong credentials or rights, or a
 * consumer librdkafka declared unusable. Kafka Connect's task dies on
 * them too; the herder's automatic restart (task.restart.enable) retries
 * with backoff, so a fixed ACL or password brings the task back. */
static int sink_error_is_permanent(rd_kafka_resp_err_t err) {
        switch (err) {
        case RD_KAFKA_RESP_ERR__FATAL:
        case RD_KAFKA_RESP_ERR__AUTHENTICATION:
        case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
        case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
                return 1;
        default:
                return 0;
        }
}

/* One place for every consumer error, whether it came as a message or
 * through the error callback. @returns -1 if the task failed. */
static int sink_kafka_error(rdc_task_t *t, rd_kafka_resp_err_t err,
                            const char *text) {
        switch (err) {
        case RD_KAFKA_RESP_ERR__PARTITION_EOF:
                return 0;
        case RD_KAFKA_RESP_ERR__FATAL: {
                char reason[512];
                rd_kafka_resp_err_t orig =
                        rd_kafka_fatal_error(t->rk, reason, sizeof(reason));
                rdc_task_fail(t, "consumer", "Fatal consumer error: %s (%s)",
                              orig ? reason : text, rd_kafka_err2name(orig));
                return -1;
        }
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
                /* Normal in Kafka Connect: a sink may subscribe before its
                 * topic exists, and waits for it. */
                sink_warn(t,
                          "Waiting for a topic that does not exist (yet): "
                          "%s",
                          text);
                return 0;
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        case RD_KAFKA_RESP_ERR__SSL:
                sink_warn(t, "Kafka unreachable, retrying: %s", text);
                return 0;
        default:
                break;
        }
        if (sink_error_is_permanent(err) && !rdc_task_stop_requested(t)) {
                rdc_task_fail(t, "consumer", "%s (%s)", text,
                              rd_kafka_err2name(err));
                return -1;
        }
        rdc_log(RDC_LOG_WARN, "task", t->ctx.scope, "Consumer: %s", text);
        return 0;
}

/* Errors that are not about one message (brokers down, authentication,
 * fatal): served by rd_kafka_consumer_poll() on the task thread. */
static void sink_error_cb(rd_kafka_t *rk, int err, const char *reason,
                          void *opaque) {
        (void)rk;
        sink_kafka_error(opaque, (rd_kafka_resp_err_t)err, reason);
}

/* ------------------------------------------------------- offsets */

/* Starts a new list of offsets to commit. */
static void sink_pending_reset(rdc_task_t *t) {
        if (t->pending)
                rd_kafka_topic_partition_list_destroy(t->pending);
        t->pending = rd_kafka_topic_partition_list_new(16);
        t->pending_cnt = 0;
        t->track_idx = -1;
}

/* Forgets the pending offsets of parts: those partitions are gone (or
 * going) to another member, and a commit now would either be refused or
 * overwrite the new owner's progress. Their records come again from the
 * last commit (at-least-once). */
static void sink_pending_drop(rdc_task_t *t,
                              const rd_kafka_topic_partition_list_t *parts) {
        rd_kafka_topic_partition_list_t *kept =
                rd_kafka_topic_partition_list_new(t->pending->cnt + 1);
        for (int i = 0; i < t->pending->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &t->pending->elems[i];
                if (!rd_kafka_topic_partition_list_find(parts, p->topic,
                                                        p->partition))
                        rd_kafka_topic_partition_list_add(kept, p->topic,
                                                          p->partition)
                                ->offset = p->offset;
        }
        rd_kafka_topic_partition_list_destroy(t->pending);
        t->pending = kept;
        t->track_idx = -1;
        if (kept->cnt == 0)
                t->pending_cnt = 0;
}

/* ------------------------------------------ partitions to the plugin */

/* Fills the task's array of partitions in the plugin's layout
 * (topic_partition_size) from list, with offsets if with_offsets.
 * @returns the array, or NULL (out of memory: the task failed). */
static rdcp_topic_partition_t *
sink_tp_array(rdc_task_t *t, const rd_kafka_topic_partition_list_t *list,
              int with_offsets) {
        size_t stride = t->plugin->desc->topic_partition_size;
        size_t cnt = (size_t)list->cnt;
        if (cnt > t->tp_cap || !t->tp_buf) {
                size_t cap = cnt > 16 ? cnt : 16;
                void *grown = realloc(t->tp_buf, cap * stride);
                if (!grown) {
                        rdc_task_fail(t, "rebalance", "out of memory");
                        return NULL;
                }
                t->tp_buf = grown;
                t->tp_cap = cap;
        }
        for (size_t i = 0; i < cnt; i++) {
                rdcp_topic_partition_t tp = {
                        .topic = list->elems[i].topic,
                        .partition = list->elems[i].partition,
                        .offset = with_offsets ? list->elems[i].offset : -1};
                rdc_abi_copy((char *)t->tp_buf + i * stride, stride, &tp,
                             sizeof(tp));
        }
        return t->tp_buf;
}

/* Offset i of an array sink_tp_array() built, as the plugin left it. */
static int64_t sink_tp_offset(const rdc_task_t *t, size_t i) {
        const rdcp_topic_partition_t *tp =
                rdc_abi_at(t->tp_buf, t->plugin->desc->topic_partition_size, i);
        return tp->offset;
}

/* The plugin's open() for newly assigned partitions. */
static void sink_open_partitions(rdc_task_t *t,
                                 const rd_kafka_topic_partition_list_t *parts) {
        const rdcp_sink_task_vtable_t *vt = t->plugin->desc->sink_task;
        if ((!vt->open && !vt->close) || !t->ptask || !parts->cnt || t->failed)
                return;
        for (int i = 0; i < parts->cnt; i++)
                if (!rd_kafka_topic_partition_list_find(
                            t->owned, parts->elems[i].topic,
                            parts->elems[i].partition))
                        rd_kafka_topic_partition_list_add(
                                t->owned, parts->elems[i].topic,
                                parts->elems[i].partition);
        if (!vt->open)
                return;
        char errstr[2048] = "";
        const rdcp_topic_partition_t *arr = sink_tp_array(t, parts, 0);
        if (arr &&
            vt->open(t->ptask, arr, (size_t)parts->cnt, errstr, sizeof(errstr)))
                rdc_task_fail(t, "open", "%s", errstr);
}

/* The plugin's close() for partitions it no longer owns (those of parts
 * that it was told about with open). */
static void
sink_close_partitions(rdc_task_t *t,
                      const rd_kafka_topic_partition_list_t *parts) {
        const rdcp_sink_task_vtable_t *vt = t->plugin->desc->sink_task;
        if (!t->owned || !t->owned->cnt || !t->ptask)
                return;
        rd_kafka_topic_partition_list_t *closing =
                rd_kafka_topic_partition_list_new(parts->cnt + 1);
        rd_kafka_topic_partition_list_t *kept =
                rd_kafka_topic_partition_list_new(t->owned->cnt + 1);
        for (int i = 0; i < t->owned->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &t->owned->elems[i];
                rd_kafka_topic_partition_list_add(
                        rd_kafka_topic_partition_list_find(parts, p->topic,
                                                           p->partition)
                                ? closing
                                : kept,
                        p->topic, p->partition);
        }
        rd_kafka_topic_partition_list_destroy(t->owned);
        t->owned = kept;
        const rdcp_topic_partition_t *arr =
                closing->cnt && vt->close ? sink_tp_array(t, closing, 0) : NULL;
        if (arr)
                vt->close(t->ptask, arr, (size_t)closing->cnt);
        rd_kafka_topic_partition_list_destroy(closing);
}

/* Commit errors saying the group moved on without this member's
 * generation: the offsets are not ours to commit any more. */
static int sink_generation_gone(rd_kafka_resp_err_t err) {
        return err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID ||
               err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
               err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
               err == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID;
}

/* Asks a plugin with pre_commit what of pending may be committed.
 * @returns the list to commit (the caller destroys it; possibly empty),
 * or NULL if nothing may be committed now (retriable, or failed). */
static rd_kafka_topic_partition_list_t *sink_pre_commit(rdc_task_t *t) {
        char errstr[2048] = "";
        const rdcp_sink_task_vtable_t *vt = t->plugin->desc->sink_task;
        rdcp_topic_partition_t *arr = sink_tp_array(t, t->pending, 1);
        if (!arr)
                return NULL;
        rdcp_err_t err = vt->pre_commit(t->ptask, arr, (size_t)t->pending->cnt,
                                        errstr, sizeof(errstr));
        if (err == RDCP_ERR_RETRIABLE) {
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "pre_commit failed, offsets not committed, will "
                        "retry: %s",
                        errstr);
                return NULL;
        }
        if (err) {
                rdc_task_fail(t, "pre_commit", "%s", errstr);
                return NULL;
        }
        rd_kafka_topic_partition_list_t *commit =
                rd_kafka_topic_partition_list_new(t->pending->cnt);
        for (int i = 0; i < t->pending->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &t->pending->elems[i];
                int64_t offset = sink_tp_offset(t, (size_t)i);
                if (offset < 0)
                        continue; /* held back entirely */
                if (offset > p->offset) {
                        rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                                "Ignoring offset %" PRId64 " pre_commit "
                                "gave for %s [%" PRId32 "]: not yet "
                                "consumed (next is %" PRId64 ")",
                                offset, p->topic, p->partition, p->offset);
                        continue;
                }
                rd_kafka_topic_partition_list_add(commit, p->topic,
                                                  p->partition)
                        ->offset = offset;
        }
        return commit;
}

/* After a commit of what pre_commit allowed: the partitions committed up
 * to what was put leave pending; those held back stay, so the next
 * pre_commit is offered them again (as Kafka's currentOffsets). */
static void sink_pending_release(rdc_task_t *t,
                                 const rd_kafka_topic_partition_list_t *done) {
        rd_kafka_topic_partition_list_t *kept =
                rd_kafka_topic_partition_list_new(t->pending->cnt + 1);
        for (int i = 0; i < t->pending->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &t->pending->elems[i];
                const rd_kafka_topic_partition_t *c =
                        rd_kafka_topic_partition_list_find(done, p->topic,
                                                           p->partition);
                if (!c || c->offset < p->offset)
                        rd_kafka_topic_partition_list_add(kept, p->topic,
                                                          p->partition)
                                ->offset = p->offset;
        }
        rd_kafka_topic_partition_list_destroy(t->pending);
        t->pending = kept;
        t->pending_cnt = 0;
        t->track_idx = -1;
}

/* Flushes the plugin (or asks its pre_commit), then commits the offsets
 * of everything it had (or allowed).
 * @returns 0, or -1 if nothing could be committed. */
static int sink_commit(rdc_task_t *t) {
        char errstr[2048] = "";
        if (!t->pending || t->pending->cnt == 0 || !t->ptask)
                return 0;
        rd_kafka_topic_partition_list_t *allowed = NULL;
        if (t->plugin->desc->sink_task->pre_commit) {
                allowed = sink_pre_commit(t);
                if (!allowed)
                        return -1;
                if (!allowed->cnt) {
                        rd_kafka_topic_partition_list_destroy(allowed);
                        return 0; /* everything held back */
                }
        } else {
                rdcp_err_t err = t->plugin->desc->sink_task->flush(
                        t->ptask, errstr, sizeof(errstr));
                if (err == RDCP_ERR_RETRIABLE) {
                        rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                                "flush failed, offsets not committed, will "
                                "retry: %s",
                                errstr);
                        return -1;
                }
                if (err) {
                        rdc_task_fail(t, "flush", "%s", errstr);
                        return -1;
                }
        }
        rd_kafka_resp_err_t kerr =
                rd_kafka_commit(t->rk, allowed ? allowed : t->pending, 0);
        if (sink_generation_gone(kerr)) {
                /* Retrying them forever kept the task RUNNING with nothing
                 * moving; librdkafka rejoins, and the new assignment starts
                 * from the last commit. */
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "Committing consumer offsets failed (%s): the group "
                        "moved on without this member; dropping them, "
                        "records since the last commit will come again",
                        rd_kafka_err2str(kerr));
                sink_pending_reset(t);
        } else if (kerr && kerr != RD_KAFKA_RESP_ERR__NO_OFFSET) {
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "Committing consumer offsets failed (%s); they will "
                        "be committed with the next flush",
                        rd_kafka_err2str(kerr));
        } else if (allowed) {
                sink_pending_release(t, allowed);
        } else {
                sink_pending_reset(t);
        }
        if (allowed)
                rd_kafka_topic_partition_list_destroy(allowed);
        return kerr && kerr != RD_KAFKA_RESP_ERR__NO_OFFSET ? -1 : 0;
}

/* ----------------------------------------------------- held batch */

static void sink_held_clear(rdc_task_t *t) {
        for (size_t i = 0; i < t->held_cnt; i++)
                rd_kafka_message_destroy(t->held[i]);
        t->held_cnt = 0;
        t->held_rec_cnt = 0;
        t->retry_backoff_ms = 0; /* the next refusal starts over */
        rdc_arena_reset(&t->arena);
        if (t->rewound)
                rd_kafka_topic_partition_list_destroy(t->rewound);
        t->rewound = NULL;
}

/* Takes the records of parts out of the held batch: their partitions
 * belong to another member now, which will get them again. */
static void sink_held_drop(rdc_task_t *t,
                           const rd_kafka_topic_partition_list_t *parts) {
        size_t kept = 0, kept_recs = 0;
        for (size_t i = 0; i < t->held_rec_cnt; i++) {
                const rdcp_sink_record_t *r = &t->held_recs[i];
                if (!rd_kafka_topic_partition_list_find(parts, r->topic,
                                                        r->partition))
                        t->held_recs[kept_recs++] = *r;
        }
        /* Records point into their messages: messages go after them. */
        for (size_t i = 0; i < t->held_cnt; i++) {
                rd_kafka_message_t *m = t->held[i];
                if (rd_kafka_topic_partition_list_find(
                            parts, rd_kafka_topic_name(m->rkt), m->partition))
                        rd_kafka_message_destroy(m);
                else
                        t->held[kept++] = m;
        }
        if (kept < t->held_cnt)
                rdc_log(RDC_LOG_INFO, "task", t->ctx.scope,
                        "%zu record(s) waiting for put() belong to revoked "
                        "partitions: left to their next owner",
                        t->held_rec_cnt - kept_recs);
        t->held_cnt = kept;
        t->held_rec_cnt = kept_recs;
        if (!kept)
                sink_held_clear(t);
}

/* Pauses or resumes the whole assignment.
 *
 * librdkafka 2.0 resumes a partition without waking the broker thread
 * that fetches it: that thread fetches only when its I/O wait ends, up to
 * 1 s later (seen with strace: resume at 0.536 s, the next Fetch at
 * 1.429 s, the broker thread's poll() having run its full 1000 ms). A
 * seek does wake it ("seek done"), so each resumed partition is sought
 * to its position, the offset resume fetches from anyway (the last
 * consumed + 1). Partitions without a position (nothing consumed, or
 * sought back by sink_rewind) are left to resume as they are. */
static void sink_pause_assignment(rdc_task_t *t, int pause) {
        rd_kafka_topic_partition_list_t *parts = NULL;
        if (rd_kafka_assignment(t->rk, &parts) || !parts)
                return;
        if (pause) {
                rd_kafka_pause_partitions(t->rk, parts);
        } else {
                rd_kafka_resume_partitions(t->rk, parts);
                rd_kafka_position(t->rk, parts);
                rd_kafka_topic_partition_list_t *seek =
                        rd_kafka_topic_partition_list_new(parts->cnt + 1);
                for (int i = 0; i < parts->cnt; i++)
                        if (parts->elems[i].offset >= 0)
                                rd_kafka_topic_partition_list_add(
                                        seek, parts->elems[i].topic,
                                        parts->elems[i].partition)
                                        ->offset = parts->elems[i].offset;
                if (seek->cnt)
                        rd_kafka_error_destroy(
                                rd_kafka_seek_partitions(t->rk, seek, 0));
                rd_kafka_topic_partition_list_destroy(seek);
        }
        rd_kafka_topic_partition_list_destroy(parts);
}

/* --------------------------------------------------------- rebalance */

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
                /* Paused by REST, or waiting for put() to accept the held
                 * batch: new partitions wait too. Otherwise resumed
                 * explicitly: librdkafka keeps a partition's pause flag
                 * across unassign and assign, so one paused for a held
                 * batch that a rebalance dropped came back paused. */
                if (t->paused || t->held_cnt)
                        rd_kafka_pause_partitions(rk, parts);
                else
                        rd_kafka_resume_partitions(rk, parts);
                sink_warn_clear(t);
                sink_open_partitions(t, parts);
                return;
        }
        if (t->held_cnt)
                sink_held_drop(t, parts);
        if (rd_kafka_assignment_lost(rk)) {
                /* The group already gave these partitions away (session
                 * timed out, or fenced): neither flush nor commit for
                 * them; their records come again from the last commit. */
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "Partition assignment lost (the group moved on "
                        "without this member): offsets not committed, "
                        "records since the last commit will come again");
        } else {
                /* Revoked in order: what was put must be flushed and
                 * committed now, or the next owner gets it again. */
                sink_commit(t);
        }
        /* As Kafka's SinkTask.close(): after the commit (none when the
         * assignment was lost). */
        sink_close_partitions(t, parts);
        /* Whatever the commit did: these offsets are no longer ours. */
        sink_pending_drop(t, parts);
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
                rdc_strlist_t list;
                if (rdc_strlist_parse(topics, &list) == -1) {
                        rd_kafka_topic_partition_list_destroy(subs);
                        rdc_task_fail(t, "subscribe", "out of memory");
                        return -1;
                }
                for (size_t i = 0; i < list.cnt; i++)
                        if (*list.items[i])
                                rd_kafka_topic_partition_list_add(
                                        subs, list.items[i],
                                        RD_KAFKA_PARTITION_UA);
                rdc_strlist_clear(&list);
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
        char errstr[1024];
        char *group = rdc_task_sink_group_id(t->connector);
        char *client_id = rdc_task_client_id(t, "consumer");
        if (!group || !client_id) {
                free(group);
                free(client_id);
                rdc_task_fail(t, "consumer", "out of memory");
                return -1;
        }
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
                rdc_kafka_client_conf(t->worker, "consumer", t->conn_cfg,
                                      defaults, errstr, sizeof(errstr));
        free(group);
        free(client_id);
        if (!conf) {
                rdc_task_fail(t, "consumer", "%s", errstr);
                return -1;
        }
        rd_kafka_conf_set_rebalance_cb(conf, sink_rebalance_cb);
        t->rk = rdc_task_client_new(t, RD_KAFKA_CONSUMER, conf, sink_error_cb,
                                    "consumer");
        if (!t->rk)
                return -1;
        rd_kafka_poll_set_consumer(t->rk);
        t->queue = rd_kafka_queue_get_consumer(t->rk);
        rdc_task_set_wake_queue(t, t->queue);
        sink_pending_reset(t);
        t->owned = rd_kafka_topic_partition_list_new(4);
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

/* A pause or resume over REST. While a held batch waits for put() the
 * assignment stays paused whatever REST says: it resumes once put()
 * took the batch. */
static void sink_apply_pause(rdc_task_t *t) {
        int was = t->paused;
        if (rdc_task_pause_check(t) == was)
                return;
        if (t->paused || !t->held_cnt)
                sink_pause_assignment(t, t->paused);
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
 * -1 if the task failed. Skipped and error messages count as processed;
 * nothing is tracked here: a skipped record's offset must not be committed
 * before the records ahead of it in the batch were put. */
static ssize_t sink_convert(rdc_task_t *t, rd_kafka_message_t **msgs,
                            size_t cnt, rdcp_sink_record_t *recs) {
        size_t n = 0;
        for (size_t i = 0; i < cnt; i++) {
                rd_kafka_message_t *m = msgs[i];
                if (m->err) {
                        if (sink_kafka_error(t, m->err,
                                             rd_kafka_message_errstr(m)))
                                return -1;
                        continue;
                }
                int c = rdc_pipeline_sink(t, m, &recs[n]);
                if (c < 0)
                        return -1;
                if (c > 0)
                        continue;
                n++;
        }
        return (ssize_t)n;
}

/* The held records in the sink plugin's layout: as they are when its
 * sink_record_size is the host's, else a copy with its stride (a plugin
 * of an older minor knows fewer fields). */
static const rdcp_sink_record_t *sink_records_for_plugin(rdc_task_t *t) {
        size_t stride = t->plugin->desc->sink_record_size;
        if (stride == sizeof(rdcp_sink_record_t))
                return t->held_recs;
        rdc_abi_pack(t->put_recs, stride, t->held_recs,
                     sizeof(rdcp_sink_record_t), t->held_rec_cnt);
        return (const rdcp_sink_record_t *)(void *)t->put_recs;
}

/* Offers the held batch to put(). @returns 0 when it was taken (its
 * offsets are tracked and it is released), 1 to try again later, -1 if
 * the task failed. */
static int sink_put(rdc_task_t *t) {
        char errstr[2048] = "";
        rdcp_err_t err = RDCP_OK;
        if (t->held_rec_cnt)
                err = t->plugin->desc->sink_task->put(
                        t->ptask, sink_records_for_plugin(t), t->held_rec_cnt,
                        errstr, sizeof(errstr));
        if (err == RDCP_ERR_RETRIABLE) {
                t->retry_backoff_ms =
                        t->retry_backoff_ms ? t->retry_backoff_ms * 2 : 100;
                if (t->retry_backoff_ms > RDC_RETRY_MAX_MS)
                        t->retry_backoff_ms = RDC_RETRY_MAX_MS;
                t->retry_at_ms = rdc_clock_now_ms() + t->retry_backoff_ms;
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "put failed, retrying in %" PRId64
                        " ms (partitions paused meanwhile): %s",
                        t->retry_backoff_ms, errstr);
                return 1;
        }
        if (err) {
                rdc_task_fail(t, "put", "%s", errstr);
                return -1;
        }
        for (size_t i = 0; i < t->held_cnt; i++)
                if (!t->held[i]->err)
                        sink_track(t, t->held[i]);
        t->pending_cnt += (int64_t)t->held_rec_cnt;
        sink_held_clear(t);
        return 0;
}

/* A message that arrived while the assignment was paused for a retry
 * (already fetched when the pause came): its partition is sought back to
 * it, so that it comes again after the held batch. */
static void sink_rewind(rdc_task_t *t, rd_kafka_message_t *m) {
        const char *topic = rd_kafka_topic_name(m->rkt);
        if (!t->rewound)
                t->rewound = rd_kafka_topic_partition_list_new(4);
        if (!rd_kafka_topic_partition_list_find(t->rewound, topic,
                                                m->partition)) {
                rd_kafka_topic_partition_list_add(t->rewound, topic,
                                                  m->partition);
                rd_kafka_resp_err_t err =
                        rd_kafka_seek(m->rkt, m->partition, m->offset, 0);
                if (err)
                        rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                                "Cannot seek %s [%" PRId32 "] back to %" PRId64
                                ": %s",
                                topic, m->partition, m->offset,
                                rd_kafka_err2str(err));
        }
        rd_kafka_message_destroy(m);
}

/* One turn while a batch is held: poll (keeps the group membership and
 * serves rebalances, which may shrink the batch), then put() again once
 * the backoff is over. Paused over REST: no put() until resumed. */
static void sink_retry(rdc_task_t *t) {
        int64_t wait = t->retry_at_ms - rdc_clock_now_ms();
        if (t->paused || wait > RDC_IDLE_WAIT_MS)
                wait = RDC_IDLE_WAIT_MS;
        rd_kafka_message_t *m =
                rd_kafka_consumer_poll(t->rk, wait > 0 ? (int)wait : 0);
        if (m && m->err) {
                sink_kafka_error(t, m->err, rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
        } else if (m) {
                sink_rewind(t, m);
        }
        if (t->failed || t->paused || rdc_task_stop_requested(t))
                return;
        if (t->held_cnt && rdc_clock_now_ms() < t->retry_at_ms)
                return;
        if (t->held_cnt && sink_put(t))
                return;
        /* Taken, or every record went with revoked partitions. */
        sink_held_clear(t);
        sink_pause_assignment(t, 0);
}

void rdc_task_sink_run(rdc_task_t *t) {
        t->held = calloc(RDC_SINK_BATCH, sizeof(*t->held));
        t->held_recs = calloc(RDC_SINK_BATCH, sizeof(*t->held_recs));
        if (t->plugin->desc->sink_record_size != sizeof(*t->held_recs))
                t->put_recs = calloc(RDC_SINK_BATCH,
                                     t->plugin->desc->sink_record_size);
        if (!t->held || !t->held_recs ||
            (t->plugin->desc->sink_record_size != sizeof(*t->held_recs) &&
             !t->put_recs)) {
                rdc_task_fail(t, "create", "out of memory");
                goto out;
        }
        if (sink_open(t))
                goto out;
        rdc_task_emit(t, RDC_TASK_EV_STATE,
                      t->paused ? RDC_STATE_PAUSED : RDC_STATE_RUNNING, NULL);
        int retrying = 0;
        while (!rdc_task_stop_requested(t) && !t->failed) {
                sink_apply_pause(t);
                if (rdc_clock_now_ms() >= t->next_commit_ms) {
                        sink_commit(t);
                        t->next_commit_ms = rdc_clock_now_ms() +
                                            t->worker->offset_flush_interval_ms;
                }
                rdc_task_topics_check_reset(t);
                if (retrying) {
                        sink_retry(t);
                        retrying = t->held_cnt > 0;
                        continue;
                }
                /* Block for the first message only, then take what is
                 * already fetched: low latency when idle, full batches
                 * under load. */
                rd_kafka_message_t *first =
                        rd_kafka_consumer_poll(t->rk, RDC_IDLE_WAIT_MS);
                if (!first)
                        continue;
                t->held[0] = first;
                ssize_t got = rd_kafka_consume_batch_queue(
                        t->queue, 0, t->held + 1, RDC_SINK_BATCH - 1);
                t->held_cnt = 1 + (got > 0 ? (size_t)got : 0);
                ssize_t n = sink_convert(t, t->held, t->held_cnt, t->held_recs);
                if (n < 0)
                        break;
                if (n > 0 || t->held[0]->err == RD_KAFKA_RESP_ERR_NO_ERROR)
                        sink_warn_clear(t);
                t->held_rec_cnt = (size_t)n;
                int put = sink_put(t);
                if (put < 0)
                        break;
                if (put > 0) {
                        /* Keep polling while put() is refused: a loop that
                         * stopped polling exceeded max.poll.interval.ms and
                         * was evicted from the group. */
                        sink_pause_assignment(t, 1);
                        retrying = 1;
                }
        }
out:
        if (t->rk) {
                /* A held batch was never put: not committed, it comes
                 * again with the next start. */
                sink_held_clear(t);
                if (!t->failed)
                        sink_commit(t);
                if (t->queue) {
                        rdc_task_set_wake_queue(t, NULL);
                        rd_kafka_queue_destroy(t->queue);
                }
                rd_kafka_consumer_close(t->rk);
        }
        /* The close() of partitions the revocation in consumer_close did
         * not cover (it is skipped when the consumer has left already). */
        if (t->owned && t->owned->cnt)
                sink_close_partitions(t, t->owned);
        if (t->owned)
                rd_kafka_topic_partition_list_destroy(t->owned);
        t->owned = NULL;
        free(t->tp_buf);
        t->tp_buf = NULL;
        t->tp_cap = 0;
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
        free(t->held);
        free(t->held_recs);
        free(t->put_recs);
        t->held = NULL;
        t->held_recs = NULL;
        t->put_recs = NULL;
}
