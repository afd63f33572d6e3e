/*
 * The Kafka-topic back end of the status store (see status_store.h):
 * Kafka Connect's status.storage.topic, read and written in Apache Kafka
 * Connect's record format (topic_records.c), through a topic log
 * (topic_log.c): every worker reads every status, whoever wrote it, and
 * applies it to its status table as it reads it back.
 *
 * Records: status-connector-<c> and status-task-<c>-<n>, whose value is
 * {"state","trace","worker_id","generation"}; a tombstone removes the
 * status. status-topic-* records (topic tracking) are read and not kept
 * here.
 *
 * As KafkaStatusBackingStore's putSafe: a worker does not overwrite a
 * status another worker wrote in a later group generation, so a zombie
 * worker's late write cannot hide its successor's state. Such a write is
 * dropped and answered done(0): it was never meant to stand.
 */
#define _GNU_SOURCE
#include "storage/status_store_kafka.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "storage/status_table.h"
#include "storage/topic_log.h"
#include "storage/topic_records.h"

#define KSS_LOGGER "status-store"

typedef struct kafka_status_store {
        rdc_status_store_t base;
        rdc_topic_log_owner_t tl;
        rdc_status_table_t table;
} kafka_status_store_t;

/* A (connector, task) the listener is told about after a round. */
typedef struct kss_changed {
        char *connector;
        int32_t task_id;
} kss_changed_t;

static void kss_consume(void *opaque, rd_kafka_message_t *const *msgs,
                        size_t cnt) {
        kafka_status_store_t *st = opaque;
        kss_changed_t *changed = calloc(cnt, sizeof(*changed));
        size_t changed_cnt = 0;
        pthread_mutex_lock(&st->table.lock);
        for (size_t i = 0; i < cnt; i++) {
                const rd_kafka_message_t *msg = msgs[i];
                rdc_status_record_t rec;
                char errstr[512];
                if (!msg->key || rdc_status_record_decode(
                                         msg->key, msg->key_len, msg->payload,
                                         msg->payload ? msg->len : 0, &rec,
                                         errstr, sizeof(errstr))) {
                        rdc_log(RDC_LOG_ERROR, KSS_LOGGER, NULL,
                                "Discarding record at offset %" PRId64
                                " of partition %" PRId32 " of %s: %s",
                                msg->offset, msg->partition, st->tl.what,
                                msg->key ? errstr : "no key");
                        continue;
                }
                if (rec.kind != RDC_STATUS_REC_TOPIC) {
                        int32_t task_id = rec.kind == RDC_STATUS_REC_TASK
                                                  ? rec.task
                                                  : RDC_STATUS_CONNECTOR;
                        int err = 0;
                        if (rec.tombstone) {
                                rdc_status_table_unset(&st->table,
                                                       rec.connector, task_id);
                        } else {
                                err = rdc_status_table_set(
                                        &st->table, rec.connector, task_id,
                                        rec.state, rec.trace, rec.worker_id,
                                        (uint32_t)rec.generation);
                        }
                        if (!err && changed &&
                            (changed[changed_cnt].connector =
                                     strdup(rec.connector))) {
                                changed[changed_cnt].task_id = task_id;
                                changed_cnt++;
                        }
                }
                rdc_status_record_clear(&rec);
        }
        rdc_status_listener_t *listener = st->table.listener;
        void *listener_opaque = st->table.listener_opaque;
        pthread_mutex_unlock(&st->table.lock);
        for (size_t i = 0; i < changed_cnt; i++) {
                if (listener)
                        listener(listener_opaque, changed[i].connector,
                                 changed[i].task_id);
                free(changed[i].connector);
        }
        free(changed);
}

/* Encodes recs and sends them as one write; done is always called. */
static void kss_send(kafka_status_store_t *st, const rdc_status_record_t *recs,
                     size_t cnt, rdc_store_done_cb_t *done, void *opaque) {
        char **keys = calloc(cnt ? cnt : 1, sizeof(*keys));
        char **values = calloc(cnt ? cnt : 1, sizeof(*values));
        char errstr[256] = "out of memory";
        int err = keys && values ? 0 : -1;
        for (size_t i = 0; !err && i < cnt; i++)
                err = rdc_status_record_encode(&recs[i], &keys[i], &values[i]);
        if (!err && cnt)
                err = rdc_topic_log_send(st->tl.log, keys, values, cnt, done,
                                         opaque, errstr, sizeof(errstr));
        else if (!err && done)
                done(opaque, 0, "");
        if (err) {
                rdc_log(RDC_LOG_WARN, KSS_LOGGER, NULL,
                        "Cannot write a status to %s: %s", st->tl.what, errstr);
                if (done)
                        done(opaque, -1, errstr);
        }
        for (size_t i = 0; keys && values && i < cnt; i++) {
                free(keys[i]);
                free(values[i]);
        }
        free(keys);
        free(values);
}

static void kss_put(rdc_status_store_t *store, const char *connector,
                    int32_t task_id, const char *state, const char *trace,
                    const char *worker_id, uint32_t generation,
                    rdc_store_done_cb_t *done, void *opaque) {
        kafka_status_store_t *st = (kafka_status_store_t *)store;
        char other[256] = "";
        uint32_t other_generation = 0;
        pthread_mutex_lock(&st->table.lock);
        rdc_status_entry_t *e =
                rdc_status_table_find(&st->table, connector, task_id);
        if (e && strcmp(e->status.worker_id, worker_id ? worker_id : "") &&
            e->status.generation > generation) {
                snprintf(other, sizeof(other), "%s", e->status.worker_id);
                other_generation = e->status.generation;
        }
        pthread_mutex_unlock(&st->table.lock);
        if (*other) {
                rdc_log(RDC_LOG_WARN, KSS_LOGGER, connector,
                        "Not writing status %s of %s task %" PRId32
                        " (generation %" PRIu32 "): worker %s wrote it in "
                        "generation %" PRIu32,
                        state ? state : "UNASSIGNED", connector, task_id,
                        generation, other, other_generation);
                if (done)
                        done(opaque, 0, "");
                return;
        }
        rdc_status_record_t rec = {
                .kind = task_id >= 0 ? RDC_STATUS_REC_TASK
                                     : RDC_STATUS_REC_CONNECTOR,
                .connector = (char *)connector,
                .task = task_id,
                .trace = (char *)trace,
                .worker_id = (char *)(worker_id ? worker_id : ""),
                .generation = (int32_t)generation,
        };
        snprintf(rec.state, sizeof(rec.state), "%s",
                 state ? state : "UNASSIGNED");
        kss_send(st, &rec, 1, done, opaque);
}

/* Tombstones for every status of connector from first_task on that this
 * worker has read. */
static void kss_remove(rdc_status_store_t *store, const char *connector,
                       int32_t first_task, rdc_store_done_cb_t *done,
                       void *opaque) {
        kafka_status_store_t *st = (kafka_status_store_t *)store;
        size_t cnt = 0;
        pthread_mutex_lock(&st->table.lock);
        for (rdc_status_entry_t *e = st->table.list; e; e = e->next)
                cnt += e->task_id >= first_task &&
                       !strcmp(e->connector, connector);
        rdc_status_record_t *recs = calloc(cnt ? cnt : 1, sizeof(*recs));
        size_t n = 0;
        for (rdc_status_entry_t *e = st->table.list; recs && e; e = e->next) {
                if (e->task_id < first_task || strcmp(e->connector, connector))
                        continue;
                recs[n++] = (rdc_status_record_t){
                        .kind = e->task_id >= 0 ? RDC_STATUS_REC_TASK
                                                : RDC_STATUS_REC_CONNECTOR,
                        .connector = (char *)connector,
                        .task = e->task_id,
                        .tombstone = 1};
        }
        pthread_mutex_unlock(&st->table.lock);
        if (!recs) {
                if (done)
                        done(opaque, -1, "out of memory");
                return;
        }
        kss_send(st, recs, n, done, opaque);
        free(recs);
}

static int kss_get(rdc_status_store_t *store, const char *connector,
                   int32_t task_id, rdc_status_t *out) {
        return rdc_status_table_get(&((kafka_status_store_t *)store)->table,
                                    connector, task_id, out);
}

static void kss_set_listener(rdc_status_store_t *store,
                             rdc_status_listener_t *cb, void *opaque) {
        rdc_status_table_set_listener(&((kafka_status_store_t *)store)->table,
                                      cb, opaque);
}

static void kss_destroy(rdc_status_store_t *store) {
        kafka_status_store_t *st = (kafka_status_store_t *)store;
        if (!st)
                return;
        rdc_topic_log_owner_clear(&st->tl);
        rdc_status_table_clear(&st->table);
        free(st);
}

static const rdc_status_store_ops_t kafka_status_ops = {
        .put = kss_put,
        .remove = kss_remove,
        .get = kss_get,
        .set_listener = kss_set_listener,
        .destroy = kss_destroy,
};

rdc_status_store_t *rdc_status_store_kafka_open(rd_kafka_conf_t *producer_conf,
                                                rd_kafka_conf_t *consumer_conf,
                                                const char *topic,
                                                int timeout_ms, char *errstr,
                                                size_t errstr_size) {
        kafka_status_store_t *st = calloc(1, sizeof(*st));
        if (st) {
                st->base.ops = &kafka_status_ops;
                rdc_status_table_init(&st->table);
        }
        if (rdc_topic_log_owner_open(st ? &st->tl : NULL, producer_conf,
                                     consumer_conf, topic, "status",
                                     kss_consume, st, timeout_ms, errstr,
                                     errstr_size)) {
                kss_destroy(st ? &st->base : NULL);
                return NULL;
        }
        return &st->base;
}
