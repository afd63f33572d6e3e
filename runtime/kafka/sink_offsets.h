/*
 * Offsets of sink connectors: they live in the consumer group
 * connect-<name>, read and changed through the Admin API, in the shapes of
 * Kafka Connect's /connectors/{c}/offsets endpoint:
 *   {"partition":{"kafka_topic":"t","kafka_partition":0},
 *    "offset":{"kafka_offset":42}}
 *
 * Changes are committed by a short-lived member of the group (the
 * connector is STOPPED, so the group is ours): unlike an admin commit, a
 * member is not refused while a dead worker's member is still registered.
 *
 * Removing offsets (PATCH with a null offset, DELETE) rewinds the group to
 * the first retained offset of each partition, instead of Kafka's
 * DeleteGroups / OffsetDelete: librdkafka 2.0 can abort
 * the whole process inside those calls when a broker does not support them
 * (librdkafka issues 3663, 4605), and a worker must never die of a REST
 * call. With Connect's default auto.offset.reset=earliest the outcome is
 * the same: the connector starts again from the beginning.
 */
#ifndef RDC_SINK_OFFSETS_H
#define RDC_SINK_OFFSETS_H

#include <stddef.h>
#include <json-c/json.h>
#include <librdkafka/rdkafka.h>

/**
 * @brief Reads the committed offsets of group on every partition of the
 *        given topics (named explicitly: some brokers, the mock among them,
 *        answer "all partitions" with nothing).
 * @returns 0 with *out = the "offsets" array, or -1 with errstr.
 */
int rdc_sink_offsets_list(rd_kafka_t *admin, const char *group,
                          const char *const *topics, size_t topic_cnt,
                          json_object **out, char *errstr, size_t errstr_size);

/**
 * @brief Applies a PATCH body's "offsets" array: an offset sets the
 *        group's committed offset, a null offset rewinds the partition.
 *        member_conf: config of a consumer in the connector's group
 *        (taken, always).
 * @returns 0, 400 for a malformed entry, or 500 for a Kafka error, with
 *          errstr set.
 */
int rdc_sink_offsets_alter(rd_kafka_t *admin, rd_kafka_conf_t *member_conf,
                           json_object *offsets, char *errstr,
                           size_t errstr_size);

/** Rewinds the group to the start of every partition of topics.
 *  member_conf: config of a consumer in the connector's group (taken).
 *  @returns 0 or -1 with errstr. */
int rdc_sink_offsets_reset(rd_kafka_t *admin, rd_kafka_conf_t *member_conf,
                           const char *const *topics, size_t topic_cnt,
                           char *errstr, size_t errstr_size);

#endif
