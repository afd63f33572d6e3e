/*
 * A compacted Kafka topic read by every worker and written by any
 * (Kafka Connect's KafkaBasedLog): the transport under the Kafka-topic
 * store back ends (config, status and offsets).
 *
 * A reader thread reads every partition of the topic from its beginning,
 * without a consumer group, and hands each record to the owner's consume
 * callback. Writes produce records with Java's partitioner (murmur2, so a
 * key lands in the partition a Java worker would write it to and one
 * key's records stay in order), and complete once Kafka acknowledged
 * every record and the reader has read past each of them: done() means
 * durable, and already applied by this worker's consume callback.
 */
#ifndef RDC_TOPIC_LOG_H
#define RDC_TOPIC_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "storage/config_store.h"

typedef struct rdc_topic_log rdc_topic_log_t;

/**
 * Called on the reader thread with each round's records in topic order
 * per partition (errors and partition ends are not passed). The owner
 * applies them under its own lock and tells its listeners, without that
 * lock; the dones of the writes those records complete follow the call.
 */
typedef void(rdc_topic_log_consume_cb_t)(void *opaque,
                                         rd_kafka_message_t *const *msgs,
                                         size_t cnt);

/**
 * @brief Opens the log on topic (it exists: the caller created or checked
 *        it) and returns once everything it held at open was consumed.
 * @param producer_conf, consumer_conf taken, also on failure. The log
 *        sets acks=all, idempotence and the murmur2 partitioner.
 * @param what names the topic in messages ("config topic connect-configs").
 * @returns the log, or NULL with errstr.
 */
rdc_topic_log_t *rdc_topic_log_open(rd_kafka_conf_t *producer_conf,
                                    rd_kafka_conf_t *consumer_conf,
                                    const char *topic, const char *what,
                                    rdc_topic_log_consume_cb_t *consume,
                                    void *opaque, int timeout_ms, char *errstr,
                                    size_t errstr_size);

/** What a Kafka-topic store keeps of its topic (embedded in the store). */
typedef struct rdc_topic_log_owner {
        char *topic;
        char *what; /**< "<kind> topic <topic>": names it in messages */
        rdc_topic_log_t *log;
} rdc_topic_log_owner_t;

/**
 * @brief The open shared by the Kafka-topic stores: fills owner's topic
 *        and what ("<kind> topic <topic>"), then opens owner->log with
 *        rdc_topic_log_open(), whose consume callback may read them.
 * @param owner inside the store, which is ready for consume(opaque, ...);
 *        NULL when allocating the store failed (out of memory).
 * @param producer_conf, consumer_conf taken, also on failure.
 * @returns 0, or -1 with errstr: the caller destroys its store, which
 *          calls rdc_topic_log_owner_clear().
 */
int rdc_topic_log_owner_open(rdc_topic_log_owner_t *owner,
                             rd_kafka_conf_t *producer_conf,
                             rd_kafka_conf_t *consumer_conf, const char *topic,
                             const char *kind,
                             rdc_topic_log_consume_cb_t *consume, void *opaque,
                             int timeout_ms, char *errstr, size_t errstr_size);

/** Closes owner's log (if open) and frees its names. */
void rdc_topic_log_owner_clear(rdc_topic_log_owner_t *owner);

/**
 * @brief Produces keys[i] → values[i] (a NULL value is a tombstone) as one
 *        write. done(opaque, err, errstr) is called later on the reader
 *        thread, never before this returns.
 * @returns 0, or -1 with errstr when nothing could be queued (done is not
 *          called then).
 */
int rdc_topic_log_send(rdc_topic_log_t *log, char *const *keys,
                       char *const *values, size_t cnt,
                       rdc_store_done_cb_t *done, void *opaque, char *errstr,
                       size_t errstr_size);

/**
 * @brief Makes the log a fenced one: from now on only a claimed writer
 *        writes, in transactions of Kafka's transactional.id id, which
 *        fence every earlier producer of id (a deposed leader's writes
 *        then fail, and are never read as committed).
 * @param id the transactional.id to claim (Kafka Connect's
 *        "connect-cluster-<group.id>"), or NULL: this worker does not
 *        write (its writes fail at once).
 * @param term the caller's leadership term (its group generation): a
 *        writer fenced in one term claims again only in a later one.
 *        A cluster that refuses transactions (unsupported, not
 *        authorized) is written without them, with a warning.
 * @returns 0, or -1 (out of memory, no thread). Never blocks: the claim
 *        and the writes run on the log's writer thread; writes wait for
 *        the claim.
 */
int rdc_topic_log_set_writer(rdc_topic_log_t *log, const char *id,
                             int64_t term);

/**
 * @brief Drops the records not acknowledged yet (queued or in flight):
 *        their writes fail, and none is sent later. Unfenced writes.
 */
void rdc_topic_log_purge(rdc_topic_log_t *log);

/**
 * @brief Waits until the reader has read every partition to its end as
 *        it is now (Kafka's readToEnd).
 * @returns 0, or -1 with errstr when that took longer than timeout_ms.
 * @locality a thread that may block (never the herder's).
 */
int rdc_topic_log_sync(rdc_topic_log_t *log, int timeout_ms, char *errstr,
                       size_t errstr_size);

/**
 * @brief Stops the reader and frees the log. Writes not complete yet are
 *        answered with an error (they may still land).
 */
void rdc_topic_log_close(rdc_topic_log_t *log);

#endif
