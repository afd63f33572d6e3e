/*
 * The Kafka-topic back end of the config store (see config_store.h):
 * Kafka Connect's config.storage.topic, read and written in Apache Kafka
 * Connect's record format (storage/topic_records.c), so that rdconnect
 * and Java workers read each other's records.
 *
 * Writes produce records to partition 0 of the topic (the topic has one
 * partition: its order is the cluster's order of changes). Nothing is
 * applied when a write is made: a reader thread consumes the topic from
 * its beginning and applies every record it reads, this worker's and
 * every other worker's alike, as KafkaConfigBackingStore does:
 *  - connector-<c>: the config (a tombstone removes the connector, its
 *    task configs and its deferred task records); a new connector starts
 *    as STARTED unless a target-state record came first;
 *  - target-state-<c>: the target state (a tombstone: STARTED again, if
 *    the connector still has a config);
 *  - task-<c>-<n>: deferred until commit-<c> {"tasks":N}, which applies
 *    tasks 0..N-1 if all of them were read, else leaves the task configs
 *    as they were (an inconsistent set, as after compaction);
 *  - restart-connector-<c>: a restart request, passed to the restart
 *    listener when read after the store opened (older ones were acted on
 *    by the workers of their time);
 *  - fencing, session-key and logger records are read and ignored here;
 *    records Kafka would discard are logged and skipped.
 * The topic is read and written through a topic log (topic_log.c): done()
 * of a write is called once every record it produced was acknowledged by
 * Kafka and read back here, so "done" means durable and applied on this
 * worker.
 */
#define _GNU_SOURCE
#include "storage/config_store_kafka.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "storage/config_snapshot.h"
#include "storage/topic_log.h"
#include "storage/topic_records.h"

#define KS_LOGGER "config-store"

/* Task records of one connector read since its last commit. */
typedef struct ks_deferred {
        struct ks_deferred *next;
        char *name;
        rdc_map_t **tasks; /* by task id; NULL where not read */
        uint32_t cap;
} ks_deferred_t;

typedef struct kafka_store {
        rdc_config_store_t base;
        rdc_topic_log_owner_t tl;   /* tl.what is base.origin */
        rdc_config_snapshot_t snap; /* snap.lock guards deferred too */
        ks_deferred_t *deferred;
        int opened;                         /* read to its end once (atomic) */
        rdc_restart_listener_t *restart_cb; /* snap.lock */
        void *restart_opaque;
} kafka_store_t;

/* ---------------------------------------------------------- applying */

static ks_deferred_t *deferred_find(kafka_store_t *ks, const char *name,
                                    int create) {
        for (ks_deferred_t *d = ks->deferred; d; d = d->next)
                if (!strcmp(d->name, name))
                        return d;
        if (!create)
                return NULL;
        ks_deferred_t *d = calloc(1, sizeof(*d));
        if (!d || !(d->name = strdup(name))) {
                free(d);
                return NULL;
        }
        d->next = ks->deferred;
        ks->deferred = d;
        return d;
}

static void deferred_drop(kafka_store_t *ks, const char *name) {
        for (ks_deferred_t **pp = &ks->deferred; *pp; pp = &(*pp)->next) {
                ks_deferred_t *d = *pp;
                if (strcmp(d->name, name))
                        continue;
                *pp = d->next;
                rdc_task_cfgs_free(d->tasks, d->cap);
                free(d->name);
                free(d);
                return;
        }
}

/* Lock held. @returns 1 if a task record was kept. */
static int defer_task(kafka_store_t *ks, rdc_config_record_t *rec) {
        ks_deferred_t *d = deferred_find(ks, rec->name, 1);
        if (!d || rec->task < 0)
                return 0;
        if ((uint32_t)rec->task >= d->cap) {
                uint32_t cap = (uint32_t)rec->task + 1;
                rdc_map_t **grown = realloc(d->tasks, cap * sizeof(*grown));
                if (!grown)
                        return 0;
                memset(grown + d->cap, 0, (cap - d->cap) * sizeof(*grown));
                d->tasks = grown;
                d->cap = cap;
        }
        rdc_map_destroy(d->tasks[rec->task]);
        d->tasks[rec->task] = rec->properties;
        rec->properties = NULL;
        return 1;
}

/* Lock held: commit-<c> {"tasks":N}. @returns 1 if the tasks changed. */
static int commit_tasks(kafka_store_t *ks, const char *name, int32_t cnt) {
        rdc_config_node_t *node = rdc_config_snapshot_find(&ks->snap, name);
        ks_deferred_t *d = deferred_find(ks, name, 0);
        int changed = 0;
        if (!node || !node->e.config) {
                /* Its connector was deleted (and compacted away). */
                deferred_drop(ks, name);
                return 0;
        }
        uint32_t n = cnt > 0 ? (uint32_t)cnt : 0;
        uint32_t have = 0, read_cnt = 0;
        while (d && have < n && have < d->cap && d->tasks[have])
                have++;
        for (uint32_t i = 0; d && i < d->cap && i < n; i++)
                read_cnt += d->tasks[i] != NULL;
        if (have == n) {
                rdc_map_t **tasks = n ? calloc(n, sizeof(*tasks)) : NULL;
                if (!n || tasks) {
                        for (uint32_t i = 0; i < n; i++) {
                                tasks[i] = d->tasks[i];
                                d->tasks[i] = NULL;
                        }
                        rdc_config_snapshot_set_tasks(&ks->snap, node, tasks,
                                                      n);
                        changed = 1;
                }
        } else {
                rdc_log(RDC_LOG_WARN, KS_LOGGER, name,
                        "Incomplete task configs for connector %s in topic "
                        "%s: commit of %" PRId32
                        " tasks, %u of them read; keeping the previous task "
                        "configs "
                        "until a complete commit",
                        name, ks->tl.topic, cnt, read_cnt);
        }
        deferred_drop(ks, name);
        return changed;
}

/* Lock held: applies one record. @returns 1 if rec->name's visible entry
 * changed (the listener is told). */
static int apply(kafka_store_t *ks, rdc_config_record_t *rec) {
        rdc_config_node_t *node;
        rdc_target_t target;
        switch (rec->kind) {
        case RDC_CONFIG_REC_CONNECTOR:
                node = rdc_config_snapshot_find(&ks->snap, rec->name);
                if (rec->tombstone) {
                        deferred_drop(ks, rec->name);
                        if (!node)
                                return 0;
                        int was_visible = node->e.config != NULL;
                        rdc_config_snapshot_unlink(&ks->snap, node);
                        return was_visible;
                }
                if (!node &&
                    !(node = rdc_config_snapshot_add(&ks->snap, rec->name)))
                        return 0;
                if (!node->e.config)
                        node->e.target = node->e.config_version
                                                 ? node->e.target
                                                 : RDC_TARGET_STARTED;
                rdc_map_destroy(node->e.config);
                node->e.config = rec->properties;
                rec->properties = NULL;
                node->e.config_version = ++ks->snap.next_version;
                return 1;
        case RDC_CONFIG_REC_TARGET_STATE:
                node = rdc_config_snapshot_find(&ks->snap, rec->name);
                if (rec->tombstone) {
                        if (!node || !node->e.config)
                                return 0;
                        target = RDC_TARGET_STARTED;
                } else if (!strcmp(rec->state, "STARTED")) {
                        target = RDC_TARGET_STARTED;
                } else if (!strcmp(rec->state, "PAUSED")) {
                        target = RDC_TARGET_PAUSED;
                } else if (!strcmp(rec->state, "STOPPED")) {
                        target = RDC_TARGET_STOPPED;
                } else {
                        rdc_log(RDC_LOG_ERROR, KS_LOGGER, rec->name,
                                "Invalid target state for connector '%s': "
                                "%s",
                                rec->name, rec->state);
                        return 0;
                }
                if (!node &&
                    !(node = rdc_config_snapshot_add(&ks->snap, rec->name)))
                        return 0;
                if (!node->e.config) {
                        /* Read before its connector: kept for it. A
                         * nonzero config_version marks "target set". */
                        node->e.target = target;
                        node->e.config_version = ++ks->snap.next_version;
                        return 0;
                }
                if (node->e.target == target)
                        return 0;
                node->e.target = target;
                return 1;
        case RDC_CONFIG_REC_TASK:
                defer_task(ks, rec);
                return 0;
        case RDC_CONFIG_REC_COMMIT:
                return commit_tasks(ks, rec->name, rec->tasks);
        default:
                return 0;
        }
}

/* --------------------------------------------------------- the reader */

/* A change to tell the listener about, collected under the lock; a
 * restart request (flags: 1 include tasks, 2 only failed) keeps every
 * one, in order. */
typedef struct ks_changed {
        char **names;
        size_t cnt, cap;
        char **restarts;
        int *flags;
        size_t restart_cnt;
} ks_changed_t;

static void restart_add(ks_changed_t *ch, const rdc_config_record_t *rec) {
        char **names =
                realloc(ch->restarts, (ch->restart_cnt + 1) * sizeof(*names));
        if (names)
                ch->restarts = names;
        int *flags = realloc(ch->flags, (ch->restart_cnt + 1) * sizeof(*flags));
        if (flags)
                ch->flags = flags;
        if (!names || !flags ||
            !(ch->restarts[ch->restart_cnt] = strdup(rec->name)))
                return;
        ch->flags[ch->restart_cnt++] =
                (rec->include_tasks ? 1 : 0) | (rec->only_failed ? 2 : 0);
}

static void changed_add(ks_changed_t *ch, const char *name) {
        for (size_t i = 0; i < ch->cnt; i++)
                if (!strcmp(ch->names[i], name))
                        return;
        if (ch->cnt == ch->cap) {
                size_t cap = ch->cap ? ch->cap * 2 : 8;
                char **grown = realloc(ch->names, cap * sizeof(*grown));
                if (!grown)
                        return;
                ch->names = grown;
                ch->cap = cap;
        }
        if ((ch->names[ch->cnt] = strdup(name)))
                ch->cnt++;
}

/* Lock held: one record read back. */
static void read_one(kafka_store_t *ks, const rd_kafka_message_t *msg,
                     ks_changed_t *changed) {
        if (!msg->key) {
                rdc_log(RDC_LOG_ERROR, KS_LOGGER, NULL,
                        "Discarding a record without key at offset %" PRId64
                        " of config topic %s",
                        msg->offset, ks->tl.topic);
                return;
        }
        rdc_config_record_t rec;
        char errstr[512];
        if (rdc_config_record_decode(msg->key, msg->key_len, msg->payload,
                                     msg->payload ? msg->len : 0, &rec, errstr,
                                     sizeof(errstr))) {
                rdc_log(RDC_LOG_ERROR, KS_LOGGER, NULL,
                        "Discarding record at offset %" PRId64
                        " of config topic %s: %s",
                        msg->offset, ks->tl.topic, errstr);
                return;
        }
        if (rec.kind == RDC_CONFIG_REC_RESTART && !rec.tombstone &&
            __atomic_load_n(&ks->opened, __ATOMIC_ACQUIRE))
                restart_add(changed, &rec);
        else if (apply(ks, &rec))
                changed_add(changed, rec.name);
        rdc_config_record_clear(&rec);
}

/* The topic log's consume callback, on its reader thread. */
static void ks_consume(void *opaque, rd_kafka_message_t *const *msgs,
                       size_t cnt) {
        kafka_store_t *ks = opaque;
        ks_changed_t changed = {0};
        pthread_mutex_lock(&ks->snap.lock);
        for (size_t i = 0; i < cnt; i++)
                read_one(ks, msgs[i], &changed);
        rdc_config_listener_t *listener = ks->snap.listener;
        void *listener_opaque = ks->snap.listener_opaque;
        rdc_restart_listener_t *restart = ks->restart_cb;
        void *restart_opaque = ks->restart_opaque;
        pthread_mutex_unlock(&ks->snap.lock);
        for (size_t i = 0; i < changed.cnt; i++) {
                if (listener)
                        listener(listener_opaque, changed.names[i]);
                free(changed.names[i]);
        }
        free(changed.names);
        for (size_t i = 0; i < changed.restart_cnt; i++) {
                if (restart)
                        restart(restart_opaque, changed.restarts[i],
                                changed.flags[i] & 1, !!(changed.flags[i] & 2));
                free(changed.restarts[i]);
        }
        free(changed.restarts);
        free(changed.flags);
}

/* Encodes records[0..n-1] and sends them as one write. */
static int ks_write(kafka_store_t *ks, const rdc_config_record_t *records,
                    size_t n, rdc_store_done_cb_t *done, void *opaque,
                    char *errstr, size_t errstr_size) {
        char **keys = calloc(n, sizeof(*keys));
        char **values = calloc(n, sizeof(*values));
        int ret = keys && values ? 0 : -1;
        for (size_t i = 0; !ret && i < n; i++)
                ret = rdc_config_record_encode(&records[i], &keys[i],
                                               &values[i]);
        if (ret)
                snprintf(errstr, errstr_size, "out of memory");
        else
                ret = rdc_topic_log_send(ks->tl.log, keys, values, n, done,
                                         opaque, errstr, errstr_size);
        for (size_t i = 0; keys && values && i < n; i++) {
                free(keys[i]);
                free(values[i]);
        }
        free(keys);
        free(values);
        return ret;
}

static const char *target_state_name(rdc_target_t target) {
        return target == RDC_TARGET_PAUSED    ? "PAUSED"
               : target == RDC_TARGET_STOPPED ? "STOPPED"
                                              : "STARTED";
}

/* Writes are checked against the applied state, as the herder sees it. */
static int ks_known(kafka_store_t *ks, const char *name, char *errstr,
                    size_t errstr_size) {
        pthread_mutex_lock(&ks->snap.lock);
        rdc_config_node_t *node = rdc_config_snapshot_find(&ks->snap, name);
        int known = node && node->e.config;
        pthread_mutex_unlock(&ks->snap.lock);
        if (!known)
                snprintf(errstr, errstr_size, "Connector %s not found", name);
        return known;
}

static int ks_put_connector(rdc_config_store_t *store, const char *name,
                            const rdc_map_t *config, rdc_target_t target,
                            rdc_store_done_cb_t *done, void *opaque,
                            char *errstr, size_t errstr_size) {
        /* As Kafka: the target state first, then the config. */
        rdc_config_record_t recs[2] = {
                {.kind = RDC_CONFIG_REC_TARGET_STATE, .name = (char *)name},
                {.kind = RDC_CONFIG_REC_CONNECTOR,
                 .name = (char *)name,
                 .properties = (rdc_map_t *)config},
        };
        snprintf(recs[0].state, sizeof(recs[0].state), "%s",
                 target_state_name(target));
        return ks_write((kafka_store_t *)store, recs, 2, done, opaque, errstr,
                        errstr_size);
}

static int ks_put_target(rdc_config_store_t *store, const char *name,
                         rdc_target_t target, rdc_store_done_cb_t *done,
                         void *opaque, char *errstr, size_t errstr_size) {
        kafka_store_t *ks = (kafka_store_t *)store;
        if (!ks_known(ks, name, errstr, errstr_size))
                return -1;
        rdc_config_record_t rec = {.kind = RDC_CONFIG_REC_TARGET_STATE,
                                   .name = (char *)name};
        snprintf(rec.state, sizeof(rec.state), "%s", target_state_name(target));
        return ks_write(ks, &rec, 1, done, opaque, errstr, errstr_size);
}

static int ks_put_task_configs(rdc_config_store_t *store, const char *name,
                               rdc_map_t *const *cfgs, uint32_t cnt,
                               rdc_store_done_cb_t *done, void *opaque,
                               char *errstr, size_t errstr_size) {
        kafka_store_t *ks = (kafka_store_t *)store;
        if (!ks_known(ks, name, errstr, errstr_size))
                return -1;
        rdc_config_record_t *recs = calloc(cnt + 1, sizeof(*recs));
        if (!recs) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        for (uint32_t i = 0; i < cnt; i++)
                recs[i] = (rdc_config_record_t){.kind = RDC_CONFIG_REC_TASK,
                                                .name = (char *)name,
                                                .task = (int32_t)i,
                                                .properties = cfgs[i]};
        recs[cnt] = (rdc_config_record_t){.kind = RDC_CONFIG_REC_COMMIT,
                                          .name = (char *)name,
                                          .tasks = (int32_t)cnt};
        int ret =
                ks_write(ks, recs, cnt + 1, done, opaque, errstr, errstr_size);
        free(recs);
        return ret;
}

static int ks_remove(rdc_config_store_t *store, const char *name,
                     rdc_store_done_cb_t *done, void *opaque, char *errstr,
                     size_t errstr_size) {
        kafka_store_t *ks = (kafka_store_t *)store;
        if (!ks_known(ks, name, errstr, errstr_size))
                return -1;
        /* As Kafka: tombstones of the config and of the target state. */
        rdc_config_record_t recs[2] = {
                {.kind = RDC_CONFIG_REC_CONNECTOR,
                 .name = (char *)name,
                 .tombstone = 1},
                {.kind = RDC_CONFIG_REC_TARGET_STATE,
                 .name = (char *)name,
                 .tombstone = 1},
        };
        return ks_write(ks, recs, 2, done, opaque, errstr, errstr_size);
}

static rdc_config_entry_t *ks_get(rdc_config_store_t *store, const char *name) {
        return rdc_config_snapshot_get(&((kafka_store_t *)store)->snap, name);
}

static size_t ks_names(rdc_config_store_t *store, char ***names) {
        return rdc_config_snapshot_names(&((kafka_store_t *)store)->snap,
                                         names);
}

static void ks_set_listener(rdc_config_store_t *store,
                            rdc_config_listener_t *cb, void *opaque) {
        rdc_config_snapshot_set_listener(&((kafka_store_t *)store)->snap, cb,
                                         opaque);
}

static int ks_put_restart(rdc_config_store_t *store, const char *name,
                          int include_tasks, int only_failed,
                          rdc_store_done_cb_t *done, void *opaque, char *errstr,
                          size_t errstr_size) {
        kafka_store_t *ks = (kafka_store_t *)store;
        if (!ks_known(ks, name, errstr, errstr_size))
                return -1;
        rdc_config_record_t rec = {.kind = RDC_CONFIG_REC_RESTART,
                                   .name = (char *)name,
                                   .include_tasks = include_tasks,
                                   .only_failed = only_failed};
        return ks_write(ks, &rec, 1, done, opaque, errstr, errstr_size);
}

static void ks_set_restart_listener(rdc_config_store_t *store,
                                    rdc_restart_listener_t *cb, void *opaque) {
        kafka_store_t *ks = (kafka_store_t *)store;
        pthread_mutex_lock(&ks->snap.lock);
        ks->restart_cb = cb;
        ks->restart_opaque = opaque;
        pthread_mutex_unlock(&ks->snap.lock);
}

static void ks_destroy(rdc_config_store_t *store) {
        kafka_store_t *ks = (kafka_store_t *)store;
        if (!ks)
                return;
        rdc_topic_log_owner_clear(&ks->tl);
        while (ks->deferred)
                deferred_drop(ks, ks->deferred->name);
        rdc_config_snapshot_clear(&ks->snap);
        free(ks);
}

static int ks_set_writer(rdc_config_store_t *base, const char *writer_id,
                         int64_t term) {
        kafka_store_t *ks = (kafka_store_t *)base;
        return rdc_topic_log_set_writer(ks->tl.log, writer_id, term);
}

static const rdc_config_store_ops_t kafka_store_ops = {
        .put_connector = ks_put_connector,
        .put_target = ks_put_target,
        .put_task_configs = ks_put_task_configs,
        .remove = ks_remove,
        .get = ks_get,
        .names = ks_names,
        .set_listener = ks_set_listener,
        .destroy = ks_destroy,
        .put_restart = ks_put_restart,
        .set_restart_listener = ks_set_restart_listener,
        .set_writer = ks_set_writer,
};

/* ------------------------------------------------------------ opening */

rdc_config_store_t *rdc_config_store_kafka_open(rd_kafka_conf_t *producer_conf,
                                                rd_kafka_conf_t *consumer_conf,
                                                const char *topic,
                                                int timeout_ms, char *errstr,
                                                size_t errstr_size) {
        kafka_store_t *ks = calloc(1, sizeof(*ks));
        if (ks) {
                ks->base.ops = &kafka_store_ops;
                rdc_config_snapshot_init(&ks->snap);
        }
        if (rdc_topic_log_owner_open(ks ? &ks->tl : NULL, producer_conf,
                                     consumer_conf, topic, "config", ks_consume,
                                     ks, timeout_ms, errstr, errstr_size)) {
                ks_destroy(ks ? &ks->base : NULL);
                return NULL;
        }
        ks->base.origin = ks->tl.what;
        __atomic_store_n(&ks->opened, 1, __ATOMIC_RELEASE);
        return &ks->base;
}
