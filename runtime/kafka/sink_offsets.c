/*
 * Offsets of sink connectors through the Admin API (see sink_offsets.h).
 */
#define _GNU_SOURCE
#include "kafka/sink_offsets.h"

#include <stdio.h>
#include <string.h>

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

int rdc_sink_offsets_list(rd_kafka_t *rk, const char *group,
                          const char *const *topics, size_t topic_cnt,
                          json_object **out, char *errstr, size_t errstr_size) {
        int ret = -1;
        rd_kafka_event_t *ev = NULL;
        rd_kafka_topic_partition_list_t *parts =
                topic_partitions(rk, topics, topic_cnt, errstr, errstr_size);
        if (!parts)
                return -1;
        if (!parts->cnt) {
                *out = json_object_new_array();
                rd_kafka_topic_partition_list_destroy(parts);
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
        rd_kafka_topic_partition_list_destroy(parts);
        return ret;
}

/* Reads one PATCH entry. @returns 0, or -1 with errstr naming the entry.
 * *offset is -1 for a null offset (removal). */
static int parse_entry(json_object *entry, size_t idx, const char **topic,
                       int32_t *partition, int64_t *offset, char *errstr,
                       size_t errstr_size) {
        json_object *part = NULL, *off = NULL, *val = NULL;
        json_object_object_get_ex(entry, "partition", &part);
        int has_offset = json_object_object_get_ex(entry, "offset", &off);
        if (!json_object_is_type(part, json_type_object) ||
            !json_object_object_get_ex(part, "kafka_topic", &val) ||
            !json_object_is_type(val, json_type_string) ||
            !*(*topic = json_object_get_string(val)) ||
            !json_object_object_get_ex(part, "kafka_partition", &val) ||
            !json_object_is_type(val, json_type_int) ||
            (*partition = json_object_get_int(val)) < 0) {
                snprintf(errstr, errstr_size,
                         "Offsets entry %zu: a sink partition must be "
                         "{\"kafka_topic\": <string>, \"kafka_partition\": "
                         "<non-negative integer>}",
                         idx);
                return -1;
        }
        *offset = -1;
        if (!has_offset || !off)
                return 0;
        if (!json_object_is_type(off, json_type_object) ||
            !json_object_object_get_ex(off, "kafka_offset", &val) ||
            !json_object_is_type(val, json_type_int) ||
            (*offset = json_object_get_int64(val)) < 0) {
                snprintf(errstr, errstr_size,
                         "Offsets entry %zu: a sink offset must be "
                         "{\"kafka_offset\": <non-negative integer>} or "
                         "null",
                         idx);
                return -1;
        }
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

int rdc_sink_offsets_alter(rd_kafka_t *rk, rd_kafka_conf_t *member_conf,
                           json_object *offsets, char *errstr,
                           size_t errstr_size) {
        rd_kafka_topic_partition_list_t *set =
                rd_kafka_topic_partition_list_new(8);
        rd_kafka_topic_partition_list_t *remove =
                rd_kafka_topic_partition_list_new(8);
        int ret = 400;
        for (size_t i = 0; i < json_object_array_length(offsets); i++) {
                const char *topic;
                int32_t partition;
                int64_t offset;
                if (parse_entry(json_object_array_get_idx(offsets, i), i,
                                &topic, &partition, &offset, errstr,
                                errstr_size))
                        goto done;
                if (offset >= 0)
                        rd_kafka_topic_partition_list_add(set, topic, partition)
                                ->offset = offset;
                else
                        rd_kafka_topic_partition_list_add(remove, topic,
                                                          partition);
        }
        ret = 500;
        if (remove->cnt && rewind_to_start(rk, remove, errstr, errstr_size))
                goto done;
        for (int i = 0; i < remove->cnt; i++)
                rd_kafka_topic_partition_list_add(set, remove->elems[i].topic,
                                                  remove->elems[i].partition)
                        ->offset = remove->elems[i].offset;
        ret = set->cnt
                      ? (commit_as_member(member_conf, set, errstr, errstr_size)
                                 ? 500
                                 : 0)
                      : 0;
        member_conf = NULL; /* taken */
done:
        if (member_conf)
                rd_kafka_conf_destroy(member_conf);
        rd_kafka_topic_partition_list_destroy(set);
        rd_kafka_topic_partition_list_destroy(remove);
        return ret;
}

int rdc_sink_offsets_reset(rd_kafka_t *rk, rd_kafka_conf_t *member_conf,
                           const char *const *topics, size_t topic_cnt,
                           char *errstr, size_t errstr_size) {
        rd_kafka_topic_partition_list_t *parts =
                topic_partitions(rk, topics, topic_cnt, errstr, errstr_size);
        int ret = -1;
        if (parts && !rewind_to_start(rk, parts, errstr, errstr_size)) {
                ret = parts->cnt ? commit_as_member(member_conf, parts, errstr,
                                                    errstr_size)
                                 : 0;
                member_conf = NULL; /* taken, or unused */
        }
        if (member_conf)
                rd_kafka_conf_destroy(member_conf);
        if (parts)
                rd_kafka_topic_partition_list_destroy(parts);
        return ret;
}
