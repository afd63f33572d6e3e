/*
 * The internal topics of distributed mode (see internal_topics.h).
 *
 * As Kafka Connect: CreateTopics first (an existing topic answers
 * TOPIC_ALREADY_EXISTS, so no metadata request can auto-create it before
 * it is created right); then a topic this call did not create is checked
 * (cleanup.policy, then the config topic's partition count). The
 * DescribeConfigs for the first check goes out with the CreateTopics, so
 * a cluster that answers neither costs one timeout. Every topic is waited
 * for in metadata before the call returns, so the store opened next
 * finds its partitions.
 */
#define _GNU_SOURCE
#include "kafka/internal_topics.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "kafka/clients.h"
#include "kafka/topics.h"

#define IT_LOGGER "internal-topics"

typedef struct it_role {
        const char *key;         /* the worker key naming the topic */
        const char *purpose;     /* what the topic keeps, in Kafka's words */
        const char *replication; /* the worker keys of its creation */
        const char *partitions;  /* (the config topic has none) */
} it_role_t;

static const it_role_t roles[] = {
        [RDC_INTERNAL_TOPIC_CONFIG] = {"config.storage.topic",
                                       "connector configurations",
                                       "config.storage.replication.factor",
                                       NULL},
        [RDC_INTERNAL_TOPIC_OFFSET] = {"offset.storage.topic",
                                       "source connector offsets",
                                       "offset.storage.replication.factor",
                                       "offset.storage.partitions"},
        [RDC_INTERNAL_TOPIC_STATUS] = {"status.storage.topic",
                                       "connector and task statuses",
                                       "status.storage.replication.factor",
                                       "status.storage.partitions"},
};

static int fallback_error(rd_kafka_resp_err_t err) {
        switch (err) {
        case RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE:
        case RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION:
        case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
        case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
                return 1;
        default:
                return 0;
        }
}

/* Waits until metadata shows topic with partitions.
 * @returns its partition count, 0 if it does not exist at the deadline,
 *          -1 if metadata could not be read (why says). */
static int wait_for_topic(rd_kafka_t *rk, const char *topic, int timeout_ms,
                          char *why, size_t why_size) {
        int64_t deadline = rdc_clock_now_ms() + timeout_ms;
        for (;;) {
                int64_t left = deadline - rdc_clock_now_ms();
                int partitions = rdc_kafka_topic_partitions(
                        rk, topic, left > 0 ? (int)left : 1, why, why_size);
                if (partitions > 0 || rdc_clock_now_ms() >= deadline)
                        return partitions;
                /* Being created (no leader yet) or auto-created. */
                nanosleep(&(struct timespec){.tv_nsec = 100 * 1000000}, NULL);
        }
}

static void describe_send(rd_kafka_t *rk, rd_kafka_queue_t *q,
                          const char *topic, int timeout_ms) {
        char kerr[256];
        rd_kafka_ConfigResource_t *res =
                rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
        rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(
                rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
        rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, kerr,
                                                  sizeof(kerr));
        /* The request keeps copies of both. */
        rd_kafka_DescribeConfigs(rk, &res, 1, opts, q);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_ConfigResource_destroy(res);
}

/* The topic's cleanup.policy in a DescribeConfigs result event (NULL: no
 * answer). @returns it (malloc'd), or NULL when it is not known (why
 * says: no DescribeConfigs, not authorized, no answer). */
static char *policy_of(rd_kafka_event_t *ev, char *why, size_t why_size) {
        const char *value = NULL;
        snprintf(why, why_size, "no answer");
        if (ev && rd_kafka_event_error(ev)) {
                const char *reason = rd_kafka_event_error_string(ev);
                snprintf(why, why_size, "%s",
                         reason ? reason
                                : rd_kafka_err2str(rd_kafka_event_error(ev)));
        } else if (ev) {
                const rd_kafka_DescribeConfigs_result_t *result =
                        rd_kafka_event_DescribeConfigs_result(ev);
                size_t cnt = 0, entries = 0;
                const rd_kafka_ConfigResource_t **rs =
                        result ? rd_kafka_DescribeConfigs_result_resources(
                                         result, &cnt)
                               : NULL;
                rd_kafka_resp_err_t err =
                        cnt == 1 ? rd_kafka_ConfigResource_error(rs[0])
                                 : RD_KAFKA_RESP_ERR__BAD_MSG;
                const rd_kafka_ConfigEntry_t **es =
                        err ? NULL
                            : rd_kafka_ConfigResource_configs(rs[0], &entries);
                if (err) {
                        const char *reason =
                                cnt == 1 ? rd_kafka_ConfigResource_error_string(
                                                   rs[0])
                                         : NULL;
                        snprintf(why, why_size, "%s",
                                 reason ? reason : rd_kafka_err2str(err));
                }
                for (size_t i = 0; i < entries; i++)
                        if (!strcmp(rd_kafka_ConfigEntry_name(es[i]),
                                    "cleanup.policy"))
                                value = rd_kafka_ConfigEntry_value(es[i]);
                if (!err && !value)
                        snprintf(why, why_size, "no cleanup.policy");
        }
        return value ? strdup(value) : NULL;
}

int rdc_internal_topic_check_policy(const char *topic,
                                    rdc_internal_topic_role_t role,
                                    const char *policy, char *errstr,
                                    size_t errstr_size) {
        /* Kafka's reading: split at commas, trimmed, lower case, empty
         * items dropped; the set must be {compact}. */
        char *found = calloc(1, strlen(policy) + 1);
        char *copy = strdup(policy), *save = NULL, *out = found;
        int only_compact = 1;
        if (!found || !copy) {
                free(found);
                free(copy);
                snprintf(errstr, errstr_size, "out of memory");
                return 0;
        }
        for (char *item = strtok_r(copy, ",", &save); item;
             item = strtok_r(NULL, ",", &save)) {
                while (isspace((unsigned char)*item))
                        item++;
                size_t len = strlen(item);
                while (len && isspace((unsigned char)item[len - 1]))
                        len--;
                if (!len)
                        continue;
                if (out != found)
                        *out++ = ',';
                char *start = out;
                for (size_t i = 0; i < len; i++)
                        *out++ = (char)tolower((unsigned char)item[i]);
                *out = '\0';
                only_compact &= !strcmp(start, "compact");
        }
        int ret = !*found ? -1 : only_compact;
        const it_role_t *r = &roles[role];
        if (ret == 0)
                snprintf(errstr, errstr_size,
                         "Topic '%s' supplied via the '%s' property is "
                         "required to have 'cleanup.policy=compact' to "
                         "guarantee consistency and durability of %s, but "
                         "found the topic currently has 'cleanup.policy=%s'. "
                         "Continuing would likely result in eventually "
                         "losing %s and problems restarting this Connect "
                         "cluster in the future. Change the '%s' property "
                         "in the Connect worker configurations to use a "
                         "topic with 'cleanup.policy=compact'.",
                         topic, r->key, r->purpose, found, r->purpose, r->key);
        free(copy);
        free(found);
        return ret;
}

/* Kafka's check of a topic it did not create: only compaction. described
 * is the DescribeConfigs answer (NULL: none came). */
static int check_policy(rd_kafka_event_t *described, const char *topic,
                        rdc_internal_topic_role_t role, char *errstr,
                        size_t errstr_size) {
        char why[256];
        char *policy = policy_of(described, why, sizeof(why));
        int ok = policy ? rdc_internal_topic_check_policy(topic, role, policy,
                                                          errstr, errstr_size)
                        : -1;
        if (ok < 0)
                rdc_log(RDC_LOG_WARN, IT_LOGGER, NULL,
                        "Could not check that topic '%s' (%s) has "
                        "cleanup.policy=compact (%s%s; the cluster may be "
                        "too old, or the admin client not allowed to "
                        "describe topic configs): going on without the check",
                        topic, roles[role].key,
                        policy ? "it is empty" : "DescribeConfigs: ",
                        policy ? "" : why);
        free(policy);
        return ok ? 0 : -1;
}

/* Sends CreateTopics and DescribeConfigs at once (the second answer is
 * only needed when the topic was there: waiting for both together costs
 * one timeout, not two, where a cluster answers neither) and collects
 * both answers into *created and *described (NULL: none came). */
static rd_kafka_resp_err_t ask_both(rd_kafka_t *rk, const char *topic,
                                    int partitions, int replication_factor,
                                    int timeout_ms, rd_kafka_event_t **created,
                                    rd_kafka_event_t **described, char *why,
                                    size_t why_size) {
        static const char *const compacted[] = {"cleanup.policy", "compact",
                                                NULL};
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        *created = *described = NULL;
        rd_kafka_resp_err_t err = rdc_kafka_create_topic_send(
                rk, q, topic, partitions, replication_factor, compacted,
                timeout_ms, why, why_size);
        if (err) {
                rd_kafka_queue_destroy(q);
                return err;
        }
        describe_send(rk, q, topic, timeout_ms);
        /* Both requests time out by themselves: this bound is a safety
         * net. */
        int64_t deadline = rdc_clock_now_ms() + 2 * (int64_t)timeout_ms;
        while (!*created || !*described) {
                int64_t left = deadline - rdc_clock_now_ms();
                rd_kafka_event_t *ev =
                        left > 0 ? rd_kafka_queue_poll(q, (int)left) : NULL;
                if (!ev)
                        break;
                if (rd_kafka_event_type(ev) ==
                            RD_KAFKA_EVENT_CREATETOPICS_RESULT &&
                    !*created)
                        *created = ev;
                else if (rd_kafka_event_type(ev) ==
                                 RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT &&
                         !*described)
                        *described = ev;
                else
                        rd_kafka_event_destroy(ev);
        }
        rd_kafka_queue_destroy(q);
        return rdc_kafka_create_topic_result(*created, why, why_size);
}

/* What the answers of ask_both() mean for the topic. */
static rdc_internal_topic_result_t
judge(rd_kafka_t *rk, const char *topic, rdc_internal_topic_role_t role,
      int partitions, int replication_factor, int timeout_ms,
      rd_kafka_resp_err_t err, const char *why, rd_kafka_event_t *described,
      char *errstr, size_t errstr_size) {
        const char *key = roles[role].key;
        char mwhy[256];
        rdc_internal_topic_result_t result = RDC_INTERNAL_TOPIC_EXISTED;
        if (!err) {
                rdc_log(RDC_LOG_INFO, IT_LOGGER, NULL,
                        "Created topic '%s' (%s) with %d partitions, "
                        "replication factor %d (-1: the broker's default), "
                        "cleanup.policy=compact",
                        topic, key, partitions, replication_factor);
                result = RDC_INTERNAL_TOPIC_CREATED;
        } else if (fallback_error(err)) {
                rdc_log(RDC_LOG_WARN, IT_LOGGER, NULL,
                        "Could not create topic '%s' (%s) with the Admin "
                        "API (%s: %s). Where the cluster does not allow it, "
                        "the topic must be created beforehand (compacted%s); "
                        "going on if it exists",
                        topic, key, rd_kafka_err2name(err), why,
                        role == RDC_INTERNAL_TOPIC_CONFIG ? ", one partition"
                                                          : "");
                result = RDC_INTERNAL_TOPIC_FALLBACK;
        } else if (err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                /* Name the key to change where Kafka says which. */
                const char *hint =
                        err == RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR
                                ? roles[role].replication
                        : err == RD_KAFKA_RESP_ERR_INVALID_PARTITIONS
                                ? roles[role].partitions
                                : NULL;
                snprintf(errstr, errstr_size,
                         "Unable to create topic '%s' (%s): %s%s%s%s", topic,
                         key, why, hint ? " (check " : "", hint ? hint : "",
                         hint ? ")" : "");
                return RDC_INTERNAL_TOPIC_ERROR;
        }
        int found = wait_for_topic(rk, topic, timeout_ms, mwhy, sizeof(mwhy));
        if (found <= 0) {
                if (result == RDC_INTERNAL_TOPIC_FALLBACK)
                        snprintf(errstr, errstr_size,
                                 "Topic '%s' supplied via the '%s' property "
                                 "does not exist and could not be created "
                                 "(%s: %s): create it beforehand",
                                 topic, key, rd_kafka_err2name(err), why);
                else
                        snprintf(errstr, errstr_size,
                                 "Topic '%s' supplied via the '%s' property "
                                 "did not show in metadata within %d ms: %s",
                                 topic, key, timeout_ms,
                                 found < 0 ? mwhy : "it does not exist");
                return RDC_INTERNAL_TOPIC_ERROR;
        }
        if (result == RDC_INTERNAL_TOPIC_CREATED)
                return result;
        if (check_policy(described, topic, role, errstr, errstr_size))
                return RDC_INTERNAL_TOPIC_ERROR;
        if (role == RDC_INTERNAL_TOPIC_CONFIG && found > 1) {
                snprintf(errstr, errstr_size,
                         "Topic '%s' supplied via the '%s' property is "
                         "required to have a single partition in order to "
                         "guarantee consistency of connector configurations, "
                         "but found %d partitions.",
                         topic, key, found);
                return RDC_INTERNAL_TOPIC_ERROR;
        }
        return result;
}

rdc_internal_topic_result_t
rdc_internal_topic_ensure(const rd_kafka_conf_t *conf, const char *topic,
                          rdc_internal_topic_role_t role, int partitions,
                          int replication_factor, int timeout_ms, char *errstr,
                          size_t errstr_size) {
        if ((unsigned)role >= sizeof(roles) / sizeof(roles[0]) || !topic ||
            !*topic) {
                snprintf(errstr, errstr_size, "no internal topic named");
                return RDC_INTERNAL_TOPIC_ERROR;
        }
        if (role == RDC_INTERNAL_TOPIC_CONFIG)
                partitions = 1;
        char why[512] = "";
        rd_kafka_conf_t *copy = rd_kafka_conf_dup(conf);
        rd_kafka_t *rk =
                rdc_kafka_new(RD_KAFKA_PRODUCER, copy, why, sizeof(why));
        if (!rk) {
                rd_kafka_conf_destroy(copy);
                snprintf(errstr, errstr_size,
                         "Cannot create the admin client for topic '%s' "
                         "(%s): %s",
                         topic, roles[role].key, why);
                return RDC_INTERNAL_TOPIC_ERROR;
        }
        rd_kafka_event_t *created, *described;
        rd_kafka_resp_err_t err =
                ask_both(rk, topic, partitions, replication_factor, timeout_ms,
                         &created, &described, why, sizeof(why));
        rdc_internal_topic_result_t result =
                judge(rk, topic, role, partitions, replication_factor,
                      timeout_ms, err, why, described, errstr, errstr_size);
        if (created)
                rd_kafka_event_destroy(created);
        if (described)
                rd_kafka_event_destroy(described);
        rd_kafka_destroy(rk);
        return result;
}
