/*
 * mirror: what the MirrorMaker 2 connectors share (plugins/mirror/): the
 * clients of the two clusters built from Kafka's prefixed keys (Java
 * client keys mapped to librdkafka's), the replication policies, the
 * topic filter and the target topic creation.
 */
#ifndef RDC_MIRROR_COMMON_H
#define RDC_MIRROR_COMMON_H

#include <rdconnect/plugin.h>

#include <librdkafka/rdkafka.h>
#include <regex.h>

#define MIRROR_PKG "org.apache.kafka.connect.mirror."
/* Kafka's DefaultTopicFilter defaults. */
#define MIRROR_TOPICS_DEFAULT         ".*"
#define MIRROR_TOPICS_EXCLUDE_DEFAULT ".*[\\-\\.]internal, .*\\.replica, __.*"
/* Kafka's DefaultGroupFilter defaults. */
#define MIRROR_GROUPS_DEFAULT         ".*"
#define MIRROR_GROUPS_EXCLUDE_DEFAULT "console-consumer-.*, connect-.*, __.*"
/* Time given to one metadata or admin request. */
#define MIRROR_ADMIN_TIMEOUT_MS 30000
/* CreateTopics: short, as brokers without it never answer. */
#define MIRROR_CREATE_TIMEOUT_MS 5000

/** What every client's opaque points to: the owner's context and host,
 *  first in the connector's and the task's structs, so that librdkafka's
 *  log lines reach host->log. */
typedef struct mirror_owner {
        const rdcp_ctx_t *ctx;
        const rdcp_host_t *host;
} mirror_owner_t;

/* The heartbeats topic (Kafka's ReplicationPolicy.heartbeatsTopic). */
#define MIRROR_HEARTBEATS_TOPIC "heartbeats"

/** Replication policy (replication.policy.class). */
typedef struct mirror_policy {
        int identity; /**< IdentityReplicationPolicy: names kept */
        char separator[16];
        char internal_sep[16]; /**< of internal topic names: separator,
                                    or "." (internal.topic.separator
                                    .enabled=false) */
        char source_alias[128];
        char target_alias[128];
} mirror_policy_t;

/** Topic filter: Kafka's DefaultTopicFilter (topics, topics.exclude as
 *  comma-separated regular expressions, each matching whole names). */
typedef struct mirror_filter {
        regex_t include, exclude;
        int has_exclude;
} mirror_filter_t;

/**
 * @brief Reads the policy keys. @returns RDCP_OK or RDCP_ERR_CONFIG naming
 *        the key in errstr.
 */
rdcp_err_t mirror_policy_init(const rdcp_host_t *host, const rdcp_config_t *cfg,
                              mirror_policy_t *p, char *errstr,
                              size_t errstr_size);
/** Writes the target topic name of source topic into out. @returns -1 if
 *  it does not fit. */
int mirror_policy_target(const mirror_policy_t *p, const char *topic, char *out,
                         size_t size);
/** @returns 1 if topic came from the target cluster (replicating it back
 *  would loop: Kafka's isCycle), else 0. Identity names carry no source. */
int mirror_policy_cycle(const mirror_policy_t *p, const char *topic);

/** @returns 1 if topic is a heartbeats topic ("heartbeats" once its
 *  source prefixes are taken off: isHeartbeatsTopic), else 0. */
int mirror_policy_is_heartbeats(const mirror_policy_t *p, const char *topic);
/** @returns 1 for Kafka's internal topics, never mirrored whatever the
 *  filter says (ReplicationPolicy.isInternalTopic). */
int mirror_policy_is_internal(const char *topic);
/** The name on the target of a source topic that a consumer group's
 *  checkpoint names (MirrorCheckpointTask.renameTopicPartition): a topic
 *  that came from the target gets its original name back, any other the
 *  target name. @returns -1 if it does not fit. */
int mirror_policy_checkpoint_topic(const mirror_policy_t *p, const char *topic,
                                   char *out, size_t size);
/** mm2-offset-syncs<sep><alias><sep>internal. */
int mirror_policy_offset_syncs_topic(const mirror_policy_t *p,
                                     const char *alias, char *out, size_t size);
/** <source alias><sep>checkpoints<sep>internal. */
int mirror_policy_checkpoints_topic(const mirror_policy_t *p, char *out,
                                    size_t size);

/* --------------------------------------------------- record formats */

/** Kafka's protocol types as its Schema.write lays them out (big-endian
 *  INT16/INT32/INT64; STRING: INT16 length and UTF-8 bytes), into a fixed
 *  buffer; over marks an overflow. The key and value formats of
 *  Heartbeat, OffsetSync and Checkpoint (connect/mirror-client) are built
 *  from them. */
typedef struct mirror_enc {
        uint8_t *buf;
        size_t size, len;
        int over;
} mirror_enc_t;

void mirror_enc_i16(mirror_enc_t *e, int16_t v);
void mirror_enc_i32(mirror_enc_t *e, int32_t v);
void mirror_enc_i64(mirror_enc_t *e, int64_t v);
void mirror_enc_str(mirror_enc_t *e, const char *s);

/** Reading them back: over marks a short or bad buffer. */
typedef struct mirror_dec {
        const uint8_t *buf;
        size_t size, pos;
        int over;
} mirror_dec_t;

int64_t mirror_dec_int(mirror_dec_t *d, int bytes);
/** Copies a STRING into out (NUL-ended); over if it does not fit. */
void mirror_dec_str(mirror_dec_t *d, char *out, size_t size);

/** OffsetSync: key {topic STRING, partition INT32}, value
 *  {upstreamOffset INT64, offset INT64} (no version header). */
typedef struct mirror_offset_sync {
        char topic[256];
        int32_t partition;
        int64_t upstream, downstream;
} mirror_offset_sync_t;

/** @returns 0, or -1 if the record is not an OffsetSync. */
int mirror_offset_sync_decode(const void *key, size_t key_len,
                              const void *value, size_t value_len,
                              mirror_offset_sync_t *out);

rdcp_err_t mirror_filter_init(const rdcp_host_t *host, const rdcp_config_t *cfg,
                              mirror_filter_t *f, char *errstr,
                              size_t errstr_size);
/** The same filter from other keys (groups, groups.exclude). */
rdcp_err_t mirror_filter_init_keys(const rdcp_host_t *host,
                                   const rdcp_config_t *cfg,
                                   const char *inc_key, const char *inc_def,
                                   const char *exc_key, const char *exc_def,
                                   mirror_filter_t *f, char *errstr,
                                   size_t errstr_size);
int mirror_filter_match(const mirror_filter_t *f, const char *topic);
void mirror_filter_free(mirror_filter_t *f);

/**
 * @brief A librdkafka config from cfg's keys with each prefix of the
 *        NULL-ended prefixes in turn (later ones win), as Kafka's
 *        MirrorConnectorConfig layers source.cluster.*, consumer.* and
 *        source.consumer.*. Java client keys are mapped (class names of
 *        partition.assignment.strategy to librdkafka's names); a Java-only
 *        key is skipped with a warning naming it; a key librdkafka refuses
 *        is an error naming it.
 * @param defaults NULL-ended name, value pairs set first (may be NULL).
 */
rd_kafka_conf_t *mirror_client_conf(const mirror_owner_t *owner,
                                    const rdcp_config_t *cfg,
                                    const char *const *prefixes,
                                    const char *const *defaults, char *errstr,
                                    size_t errstr_size);

typedef void(mirror_dr_cb_t)(rd_kafka_t *rk, const rd_kafka_message_t *m,
                             void *opaque);

/**
 * @brief A client of the "source" or "target" cluster in role ("admin",
 *        "producer", "consumer"), configured from <side>.cluster.*,
 *        <role>.* and <side>.<role>.* (later wins) over defaults, as
 *        Kafka's MirrorConnectorConfig; dr (may be NULL) gets a producer's
 *        delivery reports.
 */
rd_kafka_t *mirror_side_client(const mirror_owner_t *owner,
                               const rdcp_config_t *cfg, const char *side,
                               const char *role, rd_kafka_type_t type,
                               const char *const *defaults, mirror_dr_cb_t *dr,
                               char *errstr, size_t errstr_size);

/** A metadata/admin handle (consumer type: its metadata requests never
 *  auto-create topics) of the "source" or "target" cluster. */
rd_kafka_t *mirror_admin_new(const mirror_owner_t *owner,
                             const rdcp_config_t *cfg, const char *side,
                             char *errstr, size_t errstr_size);

/**
 * @brief Refuses a source and target that are one cluster (same cluster
 *        id): mirroring a cluster into itself loops.
 */
rdcp_err_t mirror_check_distinct(rd_kafka_t *source, rd_kafka_t *target,
                                 char *errstr, size_t errstr_size);

/** Metadata of all topics, waiting up to MIRROR_ADMIN_TIMEOUT_MS unless
 *  rk's owner is asked to stop. */
rd_kafka_resp_err_t mirror_metadata(rd_kafka_t *rk,
                                    const struct rd_kafka_metadata **md);

/** The answer to an admin request on q, waiting up to timeout_ms unless
 *  rk's owner is asked to stop. NULL: none. */
rd_kafka_event_t *mirror_admin_wait(rd_kafka_t *rk, rd_kafka_queue_t *q,
                                    int timeout_ms);

/** Partition count of each of names (0: no such topic), from one metadata
 *  request for all topics. */
rdcp_err_t mirror_partition_counts(rd_kafka_t *rk, const char *const *names,
                                   size_t cnt, int32_t *counts, char *errstr,
                                   size_t errstr_size);

/**
 * @brief Creates each missing target topic with want[i] partitions
 *        (replication.factor, default the broker's) and fills have[i] with
 *        each target topic's partition count after that.
 */
rdcp_err_t mirror_ensure_topics(const rdcp_host_t *host, const rdcp_ctx_t *ctx,
                                const rdcp_config_t *cfg, rd_kafka_t *target,
                                const char *const *names, const int32_t *want,
                                int32_t *have, size_t cnt, char *errstr,
                                size_t errstr_size);

/**
 * @brief Creates the single-partition compacted internal topic name on rk's
 *        cluster if missing (MirrorUtils.createSinglePartitionCompactedTopic),
 *        with the replication factor of rf_key (unset: the broker's).
 */
rdcp_err_t mirror_ensure_internal_topic(const rdcp_host_t *host,
                                        const rdcp_ctx_t *ctx,
                                        const rdcp_config_t *cfg,
                                        rd_kafka_t *rk, const char *name,
                                        const char *rf_key, char *errstr,
                                        size_t errstr_size);

/** A producer of the "source" or "target" cluster (for the internal
 *  topics a connector writes itself: offset syncs), acks=all; dr (may
 *  be NULL) gets the delivery reports, on rd_kafka_poll(). */
rd_kafka_t *mirror_producer_new(const mirror_owner_t *owner,
                                const rdcp_config_t *cfg, const char *side,
                                mirror_dr_cb_t *dr, char *errstr,
                                size_t errstr_size);

/** Boolean key with a default; @returns -1 (errstr names it) if invalid. */
int mirror_cfg_bool(const rdcp_host_t *host, const rdcp_config_t *cfg,
                    const char *key, int def, char *errstr, size_t errstr_size);
/** Integer key with a default; @returns -1 (errstr names it) if invalid. */
int mirror_cfg_int64(const rdcp_host_t *host, const rdcp_config_t *cfg,
                     const char *key, int64_t def, int64_t *out, char *errstr,
                     size_t errstr_size);

/** JSON string body of s into out (quotes, backslashes and controls
 *  escaped; cut to fit). */
void mirror_json_escape(const char *s, char *out, size_t size);

/** The config definitions every mirror connector shares (Kafka's
 *  MirrorConnectorConfig texts). */
#define MIRROR_DEF_ALIASES                                                     \
        {.name = "source.cluster.alias",                                       \
         .type = RDCP_CFG_STRING,                                              \
         .importance = RDCP_IMPORTANCE_HIGH,                                   \
         .default_value = "source",                                            \
         .order = 1,                                                           \
         .documentation = "Alias of source cluster"},                          \
        {                                                                      \
                .name = "target.cluster.alias", .type = RDCP_CFG_STRING,       \
                .importance = RDCP_IMPORTANCE_HIGH, .default_value = "target", \
                .order = 2,                                                    \
                .documentation = "Alias of target cluster. Used in metrics "   \
                                 "reporting."                                  \
        }

/** topics, topics.exclude at orders o, o + 1. */
#define MIRROR_DEF_TOPICS(o)                                                   \
        {.name = "topics",                                                     \
         .type = RDCP_CFG_LIST,                                                \
         .importance = RDCP_IMPORTANCE_HIGH,                                   \
         .default_value = MIRROR_TOPICS_DEFAULT,                               \
         .order = (o),                                                         \
         .documentation = "Topics to replicate. Supports comma-separated "     \
                          "topic names and regexes."},                         \
        {                                                                      \
                .name = "topics.exclude", .type = RDCP_CFG_LIST,               \
                .importance = RDCP_IMPORTANCE_HIGH,                            \
                .default_value = MIRROR_TOPICS_EXCLUDE_DEFAULT,                \
                .order = (o) + 1,                                              \
                .documentation =                                               \
                        "Excluded topics. Supports comma-separated topic "     \
                        "names and regexes. Excludes take precedence "         \
                        "over includes."                                       \
        }

/** replication.policy.class and .separator at orders o, o + 1. */
#define MIRROR_DEF_POLICY(o)                                                   \
        {.name = "replication.policy.class",                                   \
         .type = RDCP_CFG_CLASS,                                               \
         .importance = RDCP_IMPORTANCE_LOW,                                    \
         .default_value = MIRROR_PKG "DefaultReplicationPolicy",               \
         .order = (o),                                                         \
         .documentation = "Class which defines the remote topic naming "       \
                          "convention: DefaultReplicationPolicy "              \
                          "(<source alias><separator><topic>) or "             \
                          "IdentityReplicationPolicy (names kept)"},           \
        {                                                                      \
                .name = "replication.policy.separator",                        \
                .type = RDCP_CFG_STRING, .importance = RDCP_IMPORTANCE_LOW,    \
                .default_value = ".", .order = (o) + 1,                        \
                .documentation = "Separator used in remote topic naming "      \
                                 "convention."                                 \
        }

/** strdup with host->malloc. */
char *mirror_strdup(const rdcp_host_t *host, const char *s);

#endif
