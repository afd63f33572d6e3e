/*
 * The internal topics of distributed mode (kafka/internal_topics.c): the
 * config, offsets and status topics a distributed worker makes sure of at
 * start, before it opens the stores on them (the Kafka back ends in storage/),
 * as Kafka Connect's TopicAdmin and Kafka*BackingStore do.
 */
#ifndef RDC_KAFKA_INTERNAL_TOPICS_H
#define RDC_KAFKA_INTERNAL_TOPICS_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

/** Which store a topic is for: names the worker key in messages. */
typedef enum rdc_internal_topic_role {
        RDC_INTERNAL_TOPIC_CONFIG, /**< config.storage.topic: 1 partition */
        RDC_INTERNAL_TOPIC_OFFSET, /**< offset.storage.topic */
        RDC_INTERNAL_TOPIC_STATUS, /**< status.storage.topic */
} rdc_internal_topic_role_t;

/** What rdc_internal_topic_ensure() found. */
typedef enum rdc_internal_topic_result {
        RDC_INTERNAL_TOPIC_ERROR = -1,   /**< errstr says why */
        RDC_INTERNAL_TOPIC_EXISTED = 0,  /**< it was there, and is usable */
        RDC_INTERNAL_TOPIC_CREATED = 1,  /**< this call created it */
        RDC_INTERNAL_TOPIC_FALLBACK = 2, /**< CreateTopics unavailable (a
                                          *   warning was logged); the topic
                                          *   exists after all */
} rdc_internal_topic_result_t;

/**
 * @brief Makes sure an internal topic exists and is fit for its store.
 *
 * Creates it with the Admin API when missing: compacted, partitions (1
 * for the config topic, whatever is passed), replication_factor (-1 =
 * broker default). Where the cluster has no CreateTopics, refuses it or
 * does not answer in time, logs a warning that the topic has to be
 * created beforehand and goes on if the topic exists after all (made by
 * someone else, or auto-created by the broker). A topic this call did not
 * create must have cleanup.policy=compact only (checked with
 * DescribeConfigs; where that is unavailable, a warning says the policy
 * was not checked), and the config topic a single partition.
 *
 * @param conf the admin client's config (bootstrap.servers, security):
 *        borrowed, a copy is used. The client is a producer-type handle:
 *        as with Java's clients, its metadata requests let a broker with
 *        auto.create.topics.enable create the topic.
 * @param partitions -1 = broker default; ignored for the config topic.
 * @param timeout_ms bound of the Admin requests (sent together), and of
 *        the wait for the topic to show in metadata: about twice this at
 *        most. A cluster without CreateTopics (the mock) costs one
 *        timeout_ms per call.
 * @returns what it found; RDC_INTERNAL_TOPIC_ERROR with errstr (Kafka's
 *          words where Kafka has them: it names the topic and the key).
 * @locality any thread; blocks.
 */
rdc_internal_topic_result_t
rdc_internal_topic_ensure(const rd_kafka_conf_t *conf, const char *topic,
                          rdc_internal_topic_role_t role, int partitions,
                          int replication_factor, int timeout_ms, char *errstr,
                          size_t errstr_size);

/**
 * @brief Kafka's check of an internal topic's cleanup.policy (the value
 *        DescribeConfigs gave): only compaction (items split at commas,
 *        trimmed, any case; "compact,delete" is refused).
 * @returns 1 if it is compaction only, 0 if not (errstr: Kafka's message,
 *          naming the topic, the key and the policy found), -1 if the
 *          value names no policy (the check cannot be made).
 */
int rdc_internal_topic_check_policy(const char *topic,
                                    rdc_internal_topic_role_t role,
                                    const char *policy, char *errstr,
                                    size_t errstr_size);

#endif
