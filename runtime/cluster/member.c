/*
 * Group membership: see member.h. The eager protocol (range assignor):
 * every rebalance hands every member a fresh assignment in the new
 * generation, so every member claims again and the leader can tell when
 * a generation's claims are all in (cluster/view.h).
 */
#define _GNU_SOURCE
#include "cluster/member.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

struct rdc_member {
        rd_kafka_t *rk;
        char *topic;
        pthread_t thread;
        int stop; /* guarded by lock */
        pthread_mutex_t lock;
        rdc_member_state_t state; /* guarded by lock */
        rdc_member_cb_t *cb;
        rdc_member_sync_cb_t *sync;
        void *opaque;
        /* Joined, but the sync failed: tried again (member thread only). */
        int unsynced;
};

int rdc_member_parse_generation(const void *buf, size_t size, int32_t *gen) {
        static const char magic[] = "CGMDv2:";
        size_t mlen = sizeof(magic) - 1;
        if (size < mlen + sizeof(*gen) || memcmp(buf, magic, mlen))
                return -1;
        memcpy(gen, (const char *)buf + mlen, sizeof(*gen));
        return 0;
}

static int32_t current_generation(rd_kafka_t *rk) {
        int32_t gen = -1;
        rd_kafka_consumer_group_metadata_t *md =
                rd_kafka_consumer_group_metadata(rk);
        void *buf = NULL;
        size_t size = 0;
        rd_kafka_error_t *err =
                md ? rd_kafka_consumer_group_metadata_write(md, &buf, &size)
                   : NULL;
        if (md && !err && rdc_member_parse_generation(buf, size, &gen))
                gen = -1;
        if (err)
                rd_kafka_error_destroy(err);
        free(buf);
        if (md)
                rd_kafka_consumer_group_metadata_destroy(md);
        return gen;
}

static void notify(rdc_member_t *m) {
        pthread_mutex_lock(&m->lock);
        rdc_member_cb_t *cb = m->cb;
        pthread_mutex_unlock(&m->lock);
        if (cb)
                cb(m->opaque);
}

/* @returns whether the member has read what the group wrote. */
static int synced(rdc_member_t *m, int32_t gen) {
        char errstr[512] = "";
        if (!m->sync || !m->sync(m->opaque, errstr, sizeof(errstr)))
                return 1;
        rdc_log(RDC_LOG_WARN, "cluster", NULL,
                "Joined group generation %d but cannot read %s to its end: "
                "%s (taking no work until it has; trying again)",
                (int)gen, m->topic, errstr);
        return 0;
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
        rdc_member_t *m = opaque;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                rd_kafka_assign(rk, parts);
                /* Membership only: nothing is read. */
                rd_kafka_pause_partitions(rk, parts);
                int32_t gen = current_generation(rk);
                int32_t *owned = calloc(parts->cnt ? (size_t)parts->cnt : 1,
                                        sizeof(*owned));
                pthread_mutex_lock(&m->lock);
                free(m->state.parts);
                m->state.parts = owned;
                m->state.part_cnt = 0;
                for (int i = 0; owned && i < parts->cnt; i++)
                        owned[m->state.part_cnt++] = parts->elems[i].partition;
                m->state.generation = gen;
                m->state.joined_ms = rdc_clock_wall_ms();
                pthread_mutex_unlock(&m->lock);
                rdc_log(RDC_LOG_INFO, "cluster", NULL,
                        "Joined group generation %d with %d partition(s) of "
                        "%s",
                        (int)gen, parts->cnt, m->topic);
                if (gen < 0)
                        rdc_log(RDC_LOG_ERROR, "cluster", NULL,
                                "Cannot read the group generation from "
                                "librdkafka: this worker takes no work");
                int joined = owned && gen >= 0;
                m->unsynced = joined && !synced(m, gen);
                pthread_mutex_lock(&m->lock);
                m->state.in_group = joined && !m->unsynced;
                m->state.changes++;
                pthread_mutex_unlock(&m->lock);
        } else {
                int lost = rd_kafka_assignment_lost(rk);
                rd_kafka_assign(rk, NULL);
                m->unsynced = 0;
                pthread_mutex_lock(&m->lock);
                /* An ordinary revocation is a rebalance under way: the
                 * worker stays a member until the next assignment. A
                 * lost one means the session lapsed. */
                if (lost) {
                        m->state.in_group = 0;
                        m->state.part_cnt = 0;
                }
                m->state.changes++;
                pthread_mutex_unlock(&m->lock);
                if (lost)
                        rdc_log(RDC_LOG_WARN, "cluster", NULL,
                                "Group membership lost (session timed out "
                                "or fenced): stopping all work until the "
                                "worker rejoins");
        }
        notify(m);
}

static void *member_main(void *arg) {
        rdc_member_t *m = arg;
        pthread_setname_np(pthread_self(), "rdc-member");
        for (;;) {
                pthread_mutex_lock(&m->lock);
                int stop = m->stop;
                pthread_mutex_unlock(&m->lock);
                if (stop)
                        break;
                if (m->unsynced && synced(m, m->state.generation)) {
                        m->unsynced = 0;
                        pthread_mutex_lock(&m->lock);
                        m->state.in_group = 1;
                        m->state.changes++;
                        pthread_mutex_unlock(&m->lock);
                        rdc_log(RDC_LOG_INFO, "cluster", NULL,
                                "Read %s to its end: taking work", m->topic);
                        notify(m);
                }
                rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->rk, 100);
                if (!msg)
                        continue;
                if (msg->err && msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        rdc_log(RDC_LOG_DEBUG, "cluster", NULL,
                                "Group consumer: %s",
                                rd_kafka_message_errstr(msg));
                rd_kafka_message_destroy(msg);
        }
        return NULL;
}

static int conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                    char *errstr, size_t errstr_size) {
        return rd_kafka_conf_set(conf, key, value, errstr, errstr_size) ==
                               RD_KAFKA_CONF_OK
                       ? 0
                       : -1;
}

static int32_t topic_partition_cnt(rd_kafka_t *rk, const char *topic) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        const struct rd_kafka_metadata *md = NULL;
        int32_t cnt = -1;
        if (rkt && !rd_kafka_metadata(rk, 0, rkt, &md, 10000) && md &&
            md->topic_cnt == 1 && !md->topics[0].err)
                cnt = md->topics[0].partition_cnt;
        if (md)
                rd_kafka_metadata_destroy(md);
        if (rkt)
                rd_kafka_topic_destroy(rkt);
        return cnt;
}

rdc_member_t *rdc_member_start(rd_kafka_conf_t *conf, const char *group_id,
                               const char *topic, int session_timeout_ms,
                               int heartbeat_interval_ms,
                               int rebalance_timeout_ms, rdc_member_cb_t *cb,
                               rdc_member_sync_cb_t *sync, void *opaque,
                               char *errstr, size_t errstr_size) {
        char num[3][32];
        snprintf(num[0], sizeof(num[0]), "%d", session_timeout_ms);
        snprintf(num[1], sizeof(num[1]), "%d", heartbeat_interval_ms);
        snprintf(num[2], sizeof(num[2]), "%d", rebalance_timeout_ms);
        rdc_member_t *m = calloc(1, sizeof(*m));
        if (!m || !(m->topic = strdup(topic))) {
                snprintf(errstr, errstr_size, "out of memory");
                goto fail;
        }
        pthread_mutex_init(&m->lock, NULL);
        m->cb = cb;
        m->sync = sync;
        m->opaque = opaque;
        if (conf_set(conf, "group.id", group_id, errstr, errstr_size) ||
            conf_set(conf, "session.timeout.ms", num[0], errstr, errstr_size) ||
            conf_set(conf, "heartbeat.interval.ms", num[1], errstr,
                     errstr_size) ||
            conf_set(conf, "max.poll.interval.ms", num[2], errstr,
                     errstr_size) ||
            conf_set(conf, "partition.assignment.strategy", "range", errstr,
                     errstr_size) ||
            conf_set(conf, "enable.auto.commit", "false", errstr,
                     errstr_size) ||
            conf_set(conf, "enable.partition.eof", "false", errstr,
                     errstr_size))
                goto fail;
        rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
        rd_kafka_conf_set_opaque(conf, m);
        m->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
        if (!m->rk)
                goto fail;
        conf = NULL;
        m->state.partition_cnt = topic_partition_cnt(m->rk, topic);
        if (m->state.partition_cnt <= 0) {
                snprintf(errstr, errstr_size,
                         "Cannot read the partition count of %s", topic);
                goto fail;
        }
        rd_kafka_topic_partition_list_t *sub =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t err = rd_kafka_subscribe(m->rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (err) {
                snprintf(errstr, errstr_size, "Cannot join group %s: %s",
                         group_id, rd_kafka_err2str(err));
                goto fail;
        }
        if (pthread_create(&m->thread, NULL, member_main, m)) {
                snprintf(errstr, errstr_size, "cannot start member thread");
                goto fail;
        }
        return m;
fail:
        if (conf)
                rd_kafka_conf_destroy(conf);
        if (m) {
                if (m->rk)
                        rd_kafka_destroy(m->rk);
                pthread_mutex_destroy(&m->lock);
                free(m->topic);
                free(m->state.parts);
                free(m);
        }
        return NULL;
}

void rdc_member_state(rdc_member_t *m, rdc_member_state_t *state) {
        pthread_mutex_lock(&m->lock);
        *state = m->state;
        state->parts = calloc(m->state.part_cnt ? m->state.part_cnt : 1,
                              sizeof(*state->parts));
        if (!state->parts)
                state->part_cnt = 0;
        else if (m->state.part_cnt)
                memcpy(state->parts, m->state.parts,
                       m->state.part_cnt * sizeof(*state->parts));
        pthread_mutex_unlock(&m->lock);
}

void rdc_member_stop(rdc_member_t *m) {
        if (!m)
                return;
        pthread_mutex_lock(&m->lock);
        m->stop = 1;
        m->cb = NULL;
        pthread_mutex_unlock(&m->lock);
        pthread_join(m->thread, NULL);
        rd_kafka_consumer_close(m->rk);
        rd_kafka_destroy(m->rk);
        pthread_mutex_destroy(&m->lock);
        free(m->topic);
        free(m->state.parts);
        free(m);
}
