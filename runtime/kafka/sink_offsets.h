/*
 * Offsets of sink connectors: they live in the consumer group of the
 * connector's consumers (group.id, by default connect-<name>), read and
 * changed in the shapes of Kafka Connect's /connectors/{c}/offsets
 * endpoint:
 *   {"partition":{"kafka_topic":"t","kafka_partition":0},
 *    "offset":{"kafka_offset":42}}
 *
 * Every call takes the config of the connector's consumers (worker
 * consumer.*, connector consumer.override.*), so that it reads and writes
 * the cluster and group the tasks use (Kafka's offsets endpoints use the
 * admin client's config instead).
 *
 * Offsets are set by a short-lived member of the group (the connector is
 * STOPPED, so the group is ours): unlike an admin commit, a member is not
 * refused while a dead worker's member is still registered.
 *
 * Offsets are removed as Kafka does (a null offset: OffsetDelete; a
 * reset: DeleteGroups) when the brokers advertise those APIs. A broker
 * without them gets the fallback: the partitions are rewound to their
 * first retained offset (librdkafka 2.0 can abort the whole process
 * inside those calls when a broker lacks them, issues 3663 and 4605, and
 * a worker must never die of a REST call). With Connect's default
 * auto.offset.reset=earliest the outcome is the same: the connector
 * starts again from the beginning.
 */
#ifndef RDC_SINK_OFFSETS_H
#define RDC_SINK_OFFSETS_H

#include <stddef.h>
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

/**
 * @brief Reads the committed offsets on every partition of the given
 *        topics (named explicitly: some brokers, the mock among them,
 *        answer "all partitions" with nothing). conf: the consumers'
 *        config (borrowed).
 * @returns 0 with *out = the "offsets" array, or -1 with errstr.
 */
int rdc_sink_offsets_list(const rd_kafka_conf_t *conf,
                          const char *const *topics, size_t topic_cnt,
                          json_object **out, char *errstr, size_t errstr_size);

/**
 * @brief Reads one entry of a PATCH body's "offsets" array, with Kafka's
 *        messages for a bad one (SinkUtils): *offset is -1 for a null
 *        offset (removal). Numbers may be given as strings, as in Kafka.
 * @returns 0, or -1 with errstr.
 */
int rdc_sink_offsets_parse_entry(json_object *entry, const char **topic,
                                 int32_t *partition, int64_t *offset,
                                 char *errstr, size_t errstr_size);

/**
 * @brief Applies a PATCH body's "offsets" array: an offset sets the
 *        group's committed offset, a null offset removes it. conf: the
 *        consumers' config (borrowed); connector names it in messages.
 * @returns 0, 400 for a malformed entry, or 500 for a Kafka error, with
 *          errstr set.
 */
int rdc_sink_offsets_alter(const rd_kafka_conf_t *conf, const char *connector,
                           json_object *offsets, char *errstr,
                           size_t errstr_size);

/** Removes the group's offsets (of every partition of topics, in the
 *  fallback). conf: the consumers' config (borrowed).
 *  @returns 0 or -1 with errstr. */
int rdc_sink_offsets_reset(const rd_kafka_conf_t *conf, const char *connector,
                           const char *const *topics, size_t topic_cnt,
                           char *errstr, size_t errstr_size);

#endif
