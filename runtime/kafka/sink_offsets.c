/*
 * Offsets of sink connectors through the Admin API (see sink_offsets.h).
 */
#define _GNU_SOURCE
#include "kafka/sink_offsets.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "kafka/clients.h"

#define RDC_ADMIN_TIMEOUT_MS 10000
/* Longest wait for the group to hand our member its partitions. */
#define RDC_MEMBER_JOIN_TIMEOUT_MS 60000

/* Runs one admin request already sent to q and waits for its result.
 * @returns the event (caller destroys) or NULL with errstr. */
static rd_kafka_event_t *admin_wait(rd_kafka_queue_t *q, const char *what,
                                    char *errstr, size_t errstr_size) {
        rd_kafka_event_t *ev =
                rd_kafka_queue_poll(q, RDC_ADMIN_TIMEOUT_MS + 1000);
        if (!ev) {
                snprintf(errstr, errstr_size, "%s: no answer from Kafka", what);
                return NULL;
        }
        if (rd_kafka_event_error(ev)) {
                snprintf(errstr, errstr_size, "%s: %s", what,
                         rd_kafka_event_error_string(ev));
                rd_kafka_event_destroy(ev);
                return NULL;
        }
        return ev;
}

static rd_kafka_AdminOptions_t *admin_options(rd_kafka_t *rk,
                                              rd_kafka_admin_op_t op) {
        char kerr[256];
        rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(rk, op);
        rd_kafka_AdminOptions_set_request_timeout(opts, RDC_ADMIN_TIMEOUT_MS,
                                                  kerr, sizeof(kerr));
        return opts;
}

/*
 * The client of one offsets request: made from the config of the
 * connector's consumers, so that it talks to the cluster and names the
 * group its tasks commit to. Its log callback notes which of the admin
 * calls that remove offsets the brokers advertise (librdkafka logs every
 * broker's ApiVersions answer under the "feature" debug context and has
 * no API for it): librdkafka 2.0 can abort inside those calls when a
 * broker lacks them (issues 3663, 4605), so they are only made when the
 * brokers said they have them.
 */
typedef struct sink_client {
        rd_kafka_t *rk;
        char group[512];
        int delete_groups; /* ApiKey 42 advertised (atomic) */
        int offset_delete; /* ApiKey 47 advertised (atomic) */
} sink_client_t;

static void sink_client_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                               const char *buf) {
        sink_client_t *sc = rd_kafka_opaque(rk);
        if (sc && !strcmp(fac, "APIVERSION")) {
                if (strstr(buf, " ApiKey DeleteGroups (42) Versions"))
                        __atomic_store_n(&sc->delete_groups, 1,
                                         __ATOMIC_RELEASE);
                if (strstr(buf, " ApiKey OffsetDelete (47) Versions"))
                        __atomic_store_n(&sc->offset_delete, 1,
                                         __ATOMIC_RELEASE);
        }
        rdc_kafka_log_cb(rk, level, fac, buf);
}

/* Opens sc's client from a copy of conf (the consumers' config, borrowed).
 * @returns 0, or -1 with errstr. */
static int sink_client_open(sink_client_t *sc, const rd_kafka_conf_t *conf,
                            char *errstr, size_t errstr_size) {
        char kerr[512], debug[512] = "";
        size_t size = sizeof(sc->group);
        memset(sc, 0, sizeof(*sc));
        if (rd_kafka_conf_get(conf, "group.id", sc->group, &size) !=
            RD_KAFKA_CONF_OK) {
                snprintf(errstr, errstr_size, "The sink has no group.id");
                return -1;
        }
        rd_kafka_conf_t *mine = rd_kafka_conf_dup(conf);
        size = sizeof(debug);
        rd_kafka_conf_get(mine, "debug", debug, &size);
        if (strlen(debug) + sizeof(",feature") <= sizeof(debug))
                strcat(debug, *debug ? ",feature" : "feature");
        rd_kafka_conf_set(mine, "debug", debug, kerr, sizeof(kerr));
        rd_kafka_conf_set_log_cb(mine, sink_client_log_cb);
        rd_kafka_conf_set_opaque(mine, sc);
        sc->rk = rd_kafka_new(RD_KAFKA_CONSUMER, mine, kerr, sizeof(kerr));
        if (!sc->rk) {
                rd_kafka_conf_destroy(mine);
                snprintf(errstr, errstr_size,
                         "Cannot create a client for the sink's offsets: %s",
                         kerr);
                return -1;
        }
        return 0;
}

static void sink_client_close(sink_client_t *sc) {
        if (sc->rk)
                rd_kafka_destroy(sc->rk);
        sc->rk = NULL;
}

/* @returns 1 if the brokers advertised the API of *flag. A broker has
 * answered ApiVersions once a metadata request came back. */
static int sink_client_supports(sink_client_t *sc, const int *flag) {
        const struct rd_kafka_metadata *md = NULL;
        if (!__atomic_load_n(flag, __ATOMIC_ACQUIRE) &&
            !rd_kafka_metadata(sc->rk, 0, NULL, &md, RDC_ADMIN_TIMEOUT_MS))
                rd_kafka_metadata_destroy(md);
        return __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/* Error of the (single) group in a group result, or of its partitions. */
static int group_result_error(const rd_kafka_group_result_t *gr,
                              const char *what, char *errstr,
                              size_t errstr_size) {
        const rd_kafka_error_t *err = rd_kafka_group_result_error(gr);
        if (err) {
                snprintf(errstr, errstr_size, "%s: %s", what,
                         rd_kafka_error_string(err));
                return -1;
        }
        const rd_kafka_topic_partition_list_t *parts =
                rd_kafka_group_result_partitions(gr);
        for (int i = 0; parts && i < parts->cnt; i++) {
                if (parts->elems[i].err) {
                        snprintf(errstr, errstr_size, "%s: %s [%d]: %s", what,
                                 parts->elems[i].topic,
                                 (int)parts->elems[i].partition,
                                 rd_kafka_err2str(parts->elems[i].err));
                        return -1;
                }
        }
        return 0;
}

static json_object *offset_entry(const char *topic, int32_t partition,
                                 int64_t offset) {
        json_object *entry = json_object_new_object();
        json_object *part = json_object_new_object();
        json_object *off = json_object_new_object();
        json_object_object_add(part, "kafka_topic",
                               json_object_new_string(topic));
        json_object_object_add(part, "kafka_partition",
                               json_object_new_int(partition));
        json_object_object_add(off, "kafka_offset",
                               json_object_new_int64(offset));
        json_object_object_add(entry, "partition", part);
        json_object_object_add(entry, "offset", off);
        return entry;
}

/* Every partition of topics, from metadata. NULL with errstr on error. */
static rd_kafka_topic_partition_list_t *
topic_partitions(rd_kafka_t *rk, const char *const *topics, size_t cnt,
                 char *errstr, size_t errstr_size) {
        rd_kafka_topic_partition_list_t *parts =
                rd_kafka_topic_partition_list_new((int)cnt * 4 + 1);
        for (size_t i = 0; i < cnt; i++) {
                const struct rd_kafka_metadata *md = NULL;
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topics[i], NULL);
                rd_kafka_resp_err_t err =
                        rkt ? rd_kafka_metadata(rk, 0, rkt, &md,
                                                RDC_ADMIN_TIMEOUT_MS)
                            : RD_KAFKA_RESP_ERR__INVALID_ARG;
                if (!err && md->topic_cnt == 1 &&
                    md->topics[0].err !=
                            RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                        err = md->topics[0].err;
                for (int p = 0; !err && p < md->topics[0].partition_cnt; p++)
                        rd_kafka_topic_partition_list_add(
                                parts, topics[i],
                                md->topics[0].partitions[p].id);
                if (md)
                        rd_kafka_metadata_destroy(md);
                if (rkt)
                        rd_kafka_topic_destroy(rkt);
                if (err) {
                        snprintf(errstr, errstr_size,
                                 "Reading metadata of topic %s: %s", topics[i],
                                 rd_kafka_err2str(err));
                        rd_kafka_topic_partition_list_destroy(parts);
                        return NULL;
                }
        }
        return parts;
}

/* The committed offsets of sc's group on parts. */
static int list_committed(sink_client_t *sc,
                          rd_kafka_topic_partition_list_t *parts,
                          json_object **out, char *errstr, size_t errstr_size);

int rdc_sink_offsets_list(const rd_kafka_conf_t *conf,
                          const char *const *topics, size_t topic_cnt,
                          json_object **out, char *errstr, size_t errstr_size) {
        sink_client_t sc;
        if (sink_client_open(&sc, conf, errstr, errstr_size))
                return -1;
        rd_kafka_topic_partition_list_t *parts =
                topic_partitions(sc.rk, topics, topic_cnt, errstr, errstr_size);
        int ret = parts ? list_committed(&sc, parts, out, errstr, errstr_size)
                        : -1;
        if (parts)
                rd_kafka_topic_partition_list_destroy(parts);
        sink_client_close(&sc);
        return ret;
}

static int list_committed(sink_client_t *sc,
                          rd_kafka_topic_partition_list_t *parts,
                          json_object **out, char *errstr, size_t errstr_size) {
        rd_kafka_t *rk = sc->rk;
        const char *group = sc->group;
        int ret = -1;
        rd_kafka_event_t *ev = NULL;
        if (!parts->cnt) {
                *out = json_object_new_array();
                return 0;
        }
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *opts =
                admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
        rd_kafka_ListConsumerGroupOffsets_t *req =
                rd_kafka_ListConsumerGroupOffsets_new(group, parts);
        rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, opts, q);
        ev = admin_wait(q, "Listing consumer group offsets", errstr,
                        errstr_size);
        if (!ev)
                goto done;
        size_t cnt = 0;
        const rd_kafka_group_result_t **groups =
                rd_kafka_ListConsumerGroupOffsets_result_groups(
                        rd_kafka_event_ListConsumerGroupOffsets_result(ev),
                        &cnt);
        const rd_kafka_error_t *gerr =
                cnt == 1 ? rd_kafka_group_result_error(groups[0]) : NULL;
        if (gerr &&
            rd_kafka_error_code(gerr) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
                /* A deleted group has no offsets. */
                *out = json_object_new_array();
                ret = 0;
                goto done;
        }
        if (cnt != 1 ||
            group_result_error(groups[0], "Listing consumer group offsets",
                               errstr, errstr_size))
                goto done;
        const rd_kafka_topic_partition_list_t *got =
                rd_kafka_group_result_partitions(groups[0]);
        *out = json_object_new_array();
        for (int i = 0; got && i < got->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &got->elems[i];
                if (p->offset >= 0)
                        json_object_array_add(*out, offset_entry(p->topic,
                                                                 p->partition,
                                                                 p->offset));
        }
        ret = 0;
done:
        if (ev)
                rd_kafka_event_destroy(ev);
        rd_kafka_ListConsumerGroupOffsets_destroy(req);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_queue_destroy(q);
        return ret;
}

/* Java's Integer/Long.parseLong of String.valueOf(value): an integer,
 * or a string holding one (optional sign, digits only). */
static int parse_java_integer(json_object *val, int64_t min, int64_t max,
                              int64_t *out) {
        if (json_object_is_type(val, json_type_int)) {
                errno = 0;
                *out = json_object_get_int64(val);
                return errno || *out < min || *out > max ? -1 : 0;
        }
        if (!json_object_is_type(val, json_type_string))
                return -1;
        const char *text = json_object_get_string(val), *digits = text;
        if (*digits == '+' || *digits == '-')
                digits++;
        if (!*digits || strspn(digits, "0123456789") != strlen(digits))
                return -1;
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        if (errno || v < min || v > max)
                return -1;
        *out = v;
        return 0;
}

/* How Java's String.valueOf shows a JSON value in Kafka's messages. */
static const char *java_text(json_object *val) {
        return val ? json_object_get_string(val) : "null";
}

/* A Kafka partition or offset number (what: "partition" or "offset"),
 * 0..max, with Kafka's message for one that does not parse. */
static int kafka_number(json_object *val, const char *what, int64_t max,
                        int64_t *out, char *errstr, size_t errstr_size) {
        if (parse_java_integer(val, INT64_MIN, max, out)) {
                snprintf(errstr, errstr_size,
                         "Failed to parse the following Kafka %s value in the "
                         "provided offsets: '%s'. %c%s values for sink "
                         "connectors need to be integers.",
                         what, java_text(val), what[0] - 'a' + 'A', what + 1);
                return -1;
        }
        if (*out < 0) {
                snprintf(errstr, errstr_size,
                         "Invalid negative Kafka %s %" PRId64
                         " in the provided offsets",
                         what, *out);
                return -1;
        }
        return 0;
}

int rdc_sink_offsets_parse_entry(json_object *entry, const char **topic,
                                 int32_t *partition, int64_t *offset,
                                 char *errstr, size_t errstr_size) {
        json_object *part = NULL, *off = NULL, *tval = NULL, *pval = NULL,
                    *oval = NULL;
        int64_t value = 0;
        json_object_object_get_ex(entry, "partition", &part);
        json_object_object_get_ex(entry, "offset", &off);
        /* Kafka's texts (SinkUtils.parseSinkConnectorOffsets). */
        if (!part) {
                snprintf(errstr, errstr_size,
                         "The partition for a sink connector offset cannot "
                         "be null or missing");
                return -1;
        }
        if (!json_object_object_get_ex(part, "kafka_topic", &tval) ||
            !json_object_object_get_ex(part, "kafka_partition", &pval)) {
                snprintf(errstr, errstr_size,
                         "The partition for a sink connector offset must "
                         "contain the keys 'kafka_topic' and "
                         "'kafka_partition'");
                return -1;
        }
        /* Kafka takes any value's text as the topic; an object or array
         * never names a topic. */
        if (!tval || json_object_is_type(tval, json_type_object) ||
            json_object_is_type(tval, json_type_array)) {
                snprintf(errstr, errstr_size,
                         "Kafka topic names must be valid strings and may "
                         "not be null");
                return -1;
        }
        if (!pval) {
                snprintf(errstr, errstr_size,
                         "Kafka partitions must be valid numbers and may not "
                         "be null");
                return -1;
        }
        if (kafka_number(pval, "partition", INT32_MAX, &value, errstr,
                         errstr_size))
                return -1;
        *topic = json_object_get_string(tval);
        *partition = (int32_t)value;
        *offset = -1; /* null: the partition's offset is removed */
        if (!off)
                return 0;
        if (!json_object_object_get_ex(off, "kafka_offset", &oval)) {
                snprintf(errstr, errstr_size,
                         "The offset for a sink connector should either be "
                         "null or contain the key 'kafka_offset'");
                return -1;
        }
        if (kafka_number(oval, "offset", INT64_MAX, &value, errstr,
                         errstr_size))
                return -1;
        *offset = value;
        return 0;
}

/* The member consumer got its partitions (set by the rebalance callback;
 * everything runs on the calling thread). */
typedef struct member_state {
        int assigned;
} member_state_t;

static void member_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                                rd_kafka_topic_partition_list_t *parts,
                                void *opaque) {
        member_state_t *st = opaque;
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                rd_kafka_assign(rk, parts);
                /* Nothing is read: only the commit matters. */
                rd_kafka_pause_partitions(rk, parts);
                st->assigned = 1;
        } else {
                rd_kafka_assign(rk, NULL);
                st->assigned = 0;
        }
}

/* Joins the (stopped) connector's group with a short-lived consumer made
 * from conf (taken), and commits parts as a member. An admin commit
 * (AlterConsumerGroupOffsets) is refused while a dead worker's member is
 * still registered (UNKNOWN_MEMBER_ID until its session expires); joining
 * waits that out through the ordinary rebalance. */
static int commit_as_member(rd_kafka_conf_t *conf,
                            rd_kafka_topic_partition_list_t *parts,
                            char *errstr, size_t errstr_size) {
        char kerr[512];
        member_state_t st = {0};
        int ret = -1;
        rd_kafka_conf_set_rebalance_cb(conf, member_rebalance_cb);
        rd_kafka_conf_set_opaque(conf, &st);
        rd_kafka_t *rk =
                rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
        if (!rk) {
                rd_kafka_conf_destroy(conf);
                snprintf(errstr, errstr_size,
                         "Cannot create a consumer to commit offsets: %s",
                         kerr);
                return -1;
        }
        rd_kafka_poll_set_consumer(rk);
        rd_kafka_topic_partition_list_t *topics =
                rd_kafka_topic_partition_list_new(parts->cnt);
        for (int i = 0; i < parts->cnt; i++)
                if (!rd_kafka_topic_partition_list_find(topics,
                                                        parts->elems[i].topic,
                                                        RD_KAFKA_PARTITION_UA))
                        rd_kafka_topic_partition_list_add(
                                topics, parts->elems[i].topic,
                                RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
        rd_kafka_topic_partition_list_destroy(topics);
        for (int waited = 0;
             !err && !st.assigned && waited < RDC_MEMBER_JOIN_TIMEOUT_MS;
             waited += 100) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                if (m)
                        rd_kafka_message_destroy(m);
        }
        if (err)
                snprintf(errstr, errstr_size,
                         "Cannot join the connector's group: %s",
                         rd_kafka_err2str(err));
        else if (!st.assigned)
                snprintf(errstr, errstr_size,
                         "The connector's consumer group did not assign "
                         "partitions within %d ms; is another consumer "
                         "still in it?",
                         RDC_MEMBER_JOIN_TIMEOUT_MS);
        else if ((err = rd_kafka_commit(rk, parts, 0)))
                snprintf(errstr, errstr_size,
                         "Committing consumer group offsets: %s",
                         rd_kafka_err2str(err));
        else
                ret = 0;
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return ret;
}

/* Sets every partition of parts to its first retained offset. */
static int rewind_to_start(rd_kafka_t *rk,
                           rd_kafka_topic_partition_list_t *parts, char *errstr,
                           size_t errstr_size) {
        for (int i = 0; i < parts->cnt; i++) {
                int64_t low = 0, high = 0;
                rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                        rk, parts->elems[i].topic, parts->elems[i].partition,
                        &low, &high, RDC_ADMIN_TIMEOUT_MS);
                if (err) {
                        snprintf(errstr, errstr_size,
                                 "Reading the start of %s [%d]: %s",
                                 parts->elems[i].topic,
                                 (int)parts->elems[i].partition,
                                 rd_kafka_err2str(err));
                        return -1;
                }
                parts->elems[i].offset = low;
        }
        return 0;
}

/* Kafka's answer when the group refuses a change because a member is
 * still in it (Worker.alterSinkConnectorOffsets / resetSinkConnector
 * Offsets). */
static void group_busy_error(const char *connector, const char *what,
                             const char *cause, char *errstr,
                             size_t errstr_size) {
        snprintf(errstr, errstr_size,
                 "Failed to %s consumer group offsets for connector %s "
                 "either because its tasks haven't stopped completely yet or "
                 "the connector was resumed before the request to %s its "
                 "offsets could be successfully completed. If the connector "
                 "is in a stopped state, this operation can be safely "
                 "retried. If it doesn't eventually succeed, the Connect "
                 "cluster may need to be restarted to get rid of the zombie "
                 "sink tasks. (%s)",
                 what, connector, what, cause);
}

/* DeleteConsumerGroupOffsets (OffsetDelete) of parts. @returns 0 or -1. */
static int delete_offsets(sink_client_t *sc, const char *connector,
                          const rd_kafka_topic_partition_list_t *parts,
                          char *errstr, size_t errstr_size) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(sc->rk);
        rd_kafka_AdminOptions_t *opts = admin_options(
                sc->rk, RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS);
        rd_kafka_DeleteConsumerGroupOffsets_t *req =
                rd_kafka_DeleteConsumerGroupOffsets_new(sc->group, parts);
        rd_kafka_DeleteConsumerGroupOffsets(sc->rk, &req, 1, opts, q);
        int ret = -1;
        rd_kafka_event_t *ev = admin_wait(q, "Deleting consumer group offsets",
                                          errstr, errstr_size);
        if (ev) {
                size_t cnt = 0;
                const rd_kafka_group_result_t **groups =
                        rd_kafka_DeleteConsumerGroupOffsets_result_groups(
                                rd_kafka_event_DeleteConsumerGroupOffsets_result(
                                        ev),
                                &cnt);
                char cause[512];
                if (cnt != 1)
                        snprintf(errstr, errstr_size,
                                 "Deleting consumer group offsets: no result");
                else if (!group_result_error(groups[0],
                                             "Deleting consumer group offsets",
                                             cause, sizeof(cause)))
                        ret = 0;
                else if (strstr(cause, "subscribed") ||
                         strstr(cause, "nknown member"))
                        group_busy_error(connector, "alter", cause, errstr,
                                         errstr_size);
                else
                        snprintf(errstr, errstr_size, "%s", cause);
                rd_kafka_event_destroy(ev);
        }
        rd_kafka_DeleteConsumerGroupOffsets_destroy(req);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_queue_destroy(q);
        return ret;
}

/* DeleteGroups of sc's group; a group that does not exist is deleted
 * already (as Kafka: a reset is idempotent). @returns 0 or -1. */
static int delete_group(sink_client_t *sc, const char *connector, char *errstr,
                        size_t errstr_size) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(sc->rk);
        rd_kafka_AdminOptions_t *opts =
                admin_options(sc->rk, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
        rd_kafka_DeleteGroup_t *req = rd_kafka_DeleteGroup_new(sc->group);
        rd_kafka_DeleteGroups(sc->rk, &req, 1, opts, q);
        int ret = -1;
        rd_kafka_event_t *ev = admin_wait(q, "Deleting the consumer group",
                                          errstr, errstr_size);
        if (ev) {
                size_t cnt = 0;
                const rd_kafka_group_result_t **groups =
                        rd_kafka_DeleteGroups_result_groups(
                                rd_kafka_event_DeleteGroups_result(ev), &cnt);
                const rd_kafka_error_t *err =
                        cnt == 1 ? rd_kafka_group_result_error(groups[0])
                                 : NULL;
                rd_kafka_resp_err_t code = err ? rd_kafka_error_code(err)
                                               : RD_KAFKA_RESP_ERR_NO_ERROR;
                if (cnt != 1)
                        snprintf(errstr, errstr_size,
                                 "Deleting the consumer group: no result");
                else if (!code || code == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND)
                        ret = 0;
                else if (code == RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP)
                        group_busy_error(connector, "reset",
                                         rd_kafka_error_string(err), errstr,
                                         errstr_size);
                else
                        snprintf(errstr, errstr_size,
                                 "Failed to reset consumer group offsets for "
                                 "sink connector %s: %s",
                                 connector, rd_kafka_error_string(err));
                rd_kafka_event_destroy(ev);
        }
        rd_kafka_DeleteGroup_destroy(req);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_queue_destroy(q);
        return ret;
}

int rdc_sink_offsets_alter(const rd_kafka_conf_t *conf, const char *connector,
                           json_object *offsets, char *errstr,
                           size_t errstr_size) {
        rd_kafka_topic_partition_list_t *set =
                rd_kafka_topic_partition_list_new(8);
        rd_kafka_topic_partition_list_t *remove =
                rd_kafka_topic_partition_list_new(8);
        sink_client_t sc = {0};
        int ret = 400;
        for (size_t i = 0; i < json_object_array_length(offsets); i++) {
                const char *topic;
                int32_t partition;
                int64_t offset;
                if (rdc_sink_offsets_parse_entry(
                            json_object_array_get_idx(offsets, i), &topic,
                            &partition, &offset, errstr, errstr_size))
                        goto done;
                if (offset >= 0)
                        rd_kafka_topic_partition_list_add(set, topic, partition)
                                ->offset = offset;
                else
                        rd_kafka_topic_partition_list_add(remove, topic,
                                                          partition);
        }
        ret = 500;
        if (sink_client_open(&sc, conf, errstr, errstr_size))
                goto done;
        if (remove->cnt && sink_client_supports(&sc, &sc.offset_delete)) {
                /* As Kafka: the offsets are deleted (before the member
                 * below joins the group, which would block the delete). */
                if (delete_offsets(&sc, connector, remove, errstr, errstr_size))
                        goto done;
        } else if (remove->cnt) {
                rdc_log(RDC_LOG_WARN, "herder", connector,
                        "Kafka does not support OffsetDelete (KIP-496): %d "
                        "partition(s) are rewound to their first retained "
                        "offset instead of losing their committed offset",
                        remove->cnt);
                if (rewind_to_start(sc.rk, remove, errstr, errstr_size))
                        goto done;
                for (int i = 0; i < remove->cnt; i++)
                        rd_kafka_topic_partition_list_add(
                                set, remove->elems[i].topic,
                                remove->elems[i].partition)
                                ->offset = remove->elems[i].offset;
        }
        ret = set->cnt && commit_as_member(rd_kafka_conf_dup(conf), set, errstr,
                                           errstr_size)
                      ? 500
                      : 0;
done:
        sink_client_close(&sc);
        rd_kafka_topic_partition_list_destroy(set);
        rd_kafka_topic_partition_list_destroy(remove);
        return ret;
}

int rdc_sink_offsets_reset(const rd_kafka_conf_t *conf, const char *connector,
                           const char *const *topics, size_t topic_cnt,
                           char *errstr, size_t errstr_size) {
        sink_client_t sc;
        if (sink_client_open(&sc, conf, errstr, errstr_size))
                return -1;
        int ret = -1;
        if (sink_client_supports(&sc, &sc.delete_groups)) {
                /* As Kafka: the group goes, and its offsets with it. */
                ret = delete_group(&sc, connector, errstr, errstr_size);
                sink_client_close(&sc);
                return ret;
        }
        rdc_log(RDC_LOG_WARN, "herder", connector,
                "Kafka does not support DeleteGroups: the group's partitions "
                "are rewound to their first retained offset instead of "
                "deleting group %s",
                sc.group);
        rd_kafka_topic_partition_list_t *parts =
                topic_partitions(sc.rk, topics, topic_cnt, errstr, errstr_size);
        if (parts && !rewind_to_start(sc.rk, parts, errstr, errstr_size))
                ret = parts->cnt ? commit_as_member(rd_kafka_conf_dup(conf),
                                                    parts, errstr, errstr_size)
                                 : 0;
        if (parts)
                rd_kafka_topic_partition_list_destroy(parts);
        sink_client_close(&sc);
        return ret;
}
