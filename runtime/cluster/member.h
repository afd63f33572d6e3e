/*
 * Group membership of a distributed worker: one librdkafka consumer in
 * the group group.id, subscribed to the offsets topic, reading nothing
 * (its partitions are paused). Kafka's group protocol is the proof of
 * membership: the partitions it owns, in which generation, and whether
 * the session lapsed (assignment lost). A thread of its own polls it.
 */
#ifndef RDC_CLUSTER_MEMBER_H
#define RDC_CLUSTER_MEMBER_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

typedef struct rdc_member rdc_member_t;

/** The membership changed (joined, rebalanced, lost). Called on the
 *  member's thread: it must only post. */
typedef void(rdc_member_cb_t)(void *opaque);

/** Reads what the group wrote before this member joined (the offsets
 *  topic to its end), on the member's thread, before the member counts
 *  as in the group: a worker back from a lapsed session, or a new
 *  leader, must not act on an assignment older than the topic's.
 *  @returns 0, or -1 with errstr (tried again until it succeeds). */
typedef int(rdc_member_sync_cb_t)(void *opaque, char *errstr,
                                  size_t errstr_size);

typedef struct rdc_member_state {
        int in_group;       /**< owns a current assignment, not lost, and
                                 synced since it got it */
        int32_t generation; /**< of that assignment */
        int32_t *parts;     /**< the offsets-topic partitions it owns */
        size_t part_cnt;
        int32_t partition_cnt; /**< of the offsets topic */
        int64_t joined_ms;     /**< wall clock of that assignment */
        uint64_t changes;      /**< bumped by every change */
} rdc_member_state_t;

/**
 * @brief Joins the group and starts the polling thread.
 * @param conf the consumer's client config (taken, also on failure):
 *        bootstrap and security set; group.id, the session, heartbeat
 *        and poll timeouts are set here.
 * @returns NULL with errstr.
 */
rdc_member_t *rdc_member_start(rd_kafka_conf_t *conf, const char *group_id,
                               const char *topic, int session_timeout_ms,
                               int heartbeat_interval_ms,
                               int rebalance_timeout_ms, rdc_member_cb_t *cb,
                               rdc_member_sync_cb_t *sync, void *opaque,
                               char *errstr, size_t errstr_size);
/** A copy of the state (caller frees state->parts). */
void rdc_member_state(rdc_member_t *m, rdc_member_state_t *state);
/** Leaves the group (LeaveGroup) and stops the thread; frees. */
void rdc_member_stop(rdc_member_t *m);

/** The generation in a rd_kafka_consumer_group_metadata_write() buffer
 *  (librdkafka's "CGMDv2:" layout). @returns 0, or -1 if the layout is
 *  not that one. */
int rdc_member_parse_generation(const void *buf, size_t size, int32_t *gen);

#endif
