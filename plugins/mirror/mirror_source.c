/*
 * mirror-source: Kafka's MirrorSourceConnector (MirrorMaker 2's data path)
 * on the rdconnect plugin ABI. A task consumes from the source cluster and
 * hands each record to the host, which produces it to the worker's Kafka
 * (the target): key, value and headers as raw bytes (use
 * ByteArrayConverter; the headers bypass the header converter), the
 * timestamp, and the partition when the target topic has at least as many
 * partitions as the source (else the key decides, with a warning).
 *
 * Offsets, as Kafka's: partition {"cluster":<alias>,"partition":N,
 * "topic":<source topic>}, offset {"offset":<last record's offset>}; the
 * host stores them only for records the target acknowledged, and a task
 * starts after the stored offset.
 *
 * rdconnect.source.group.id (connect-mirror-maker's MirrorMaker 1 mode):
 * the tasks instead join that consumer group on the source, subscribe to
 * the connector's topics, and commit on the source the offsets of the
 * records the target acknowledged (commit_record), every
 * rdconnect.source.group.commit.interval.ms and at a stop.
 *
 * The connector lists the source topics that match topics/topics.exclude
 * (not those that came from the target: no cycles), splits their
 * partitions over the tasks (task.assigned.partitions, Kafka's key) and
 * looks again every refresh.topics.interval.seconds, asking the host for
 * new task configs when the set changed. Target topics are created by the
 * tasks, with the source's partition count.
 */
#define _GNU_SOURCE
#include "mirror_common.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MSRC_CLASS        MIRROR_PKG "MirrorSourceConnector"
#define MSRC_BATCH        4096
#define MSRC_IDLE_WAIT_MS 500
/* Revoked partitions wait this long at most for their records in flight
 * to be acknowledged before their offsets are committed. */
#define MSRC_REVOKE_WAIT_MS 5000
#define MSRC_GROUP_KEY      "rdconnect.source.group.id"
#define MSRC_COMMIT_KEY     "rdconnect.source.group.commit.interval.ms"

/* Source connector keys of Kafka's that turn on something rdconnect does
 * not build yet: refused unless they say "off". */
static const char *const unbuilt_flags[] = {"sync.topic.configs.enabled",
                                            "sync.topic.acls.enabled", NULL};
/* At most this many offset syncs in flight (Kafka's OffsetSyncWriter). */
#define MSRC_SYNCS_OUTSTANDING 10

/* Where the offset syncs go: emit.offset-syncs.enabled (default true),
 * offset-syncs.topic.location (source or target) and the topic's name
 * there, as Kafka's MirrorConnectorConfig.offsetSyncsTopic. */
typedef struct msrc_syncs_cfg {
        int enabled;
        const char *side; /**< "source" or "target" */
        char topic[512];
        int64_t lag_max;
} msrc_syncs_cfg_t;

static rdcp_err_t syncs_cfg(const rdcp_host_t *host, const rdcp_config_t *cfg,
                            const mirror_policy_t *p, int group_mode,
                            msrc_syncs_cfg_t *out, char *errstr,
                            size_t errstr_size) {
        memset(out, 0, sizeof(*out));
        out->enabled = mirror_cfg_bool(host, cfg, "emit.offset-syncs.enabled",
                                       !group_mode, errstr, errstr_size);
        if (out->enabled < 0 ||
            mirror_cfg_int64(host, cfg, "offset.lag.max", 100, &out->lag_max,
                             errstr, errstr_size))
                return RDCP_ERR_CONFIG;
        const char *loc = host->config_get(cfg, "offset-syncs.topic.location");
        if (!loc || !strcmp(loc, "source"))
                out->side = "source";
        else if (!strcmp(loc, "target"))
                out->side = "target";
        else {
                snprintf(errstr, errstr_size,
                         "Invalid value %s for configuration "
                         "offset-syncs.topic.location: String must be one "
                         "of: source, target",
                         loc);
                return RDCP_ERR_CONFIG;
        }
        /* On the source, the topic names the target, and the reverse. */
        if (mirror_policy_offset_syncs_topic(
                    p, out->side[0] == 's' ? p->target_alias : p->source_alias,
                    out->topic, sizeof(out->topic))) {
                snprintf(errstr, errstr_size, "cluster alias too long");
                return RDCP_ERR_CONFIG;
        }
        return RDCP_OK;
}

/* ============================================================ listing */

typedef struct msrc_list {
        char **topics; /**< sorted source topic names */
        int32_t *counts;
        size_t cnt;
} msrc_list_t;

static void list_free(const rdcp_host_t *host, msrc_list_t *l) {
        for (size_t i = 0; i < l->cnt; i++)
                host->free(l->topics[i]);
        host->free(l->topics);
        host->free(l->counts);
        memset(l, 0, sizeof(*l));
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The source topics to mirror, sorted, with their partition counts. */
static rdcp_err_t list_topics(const rdcp_host_t *host, rd_kafka_t *src,
                              const mirror_filter_t *f,
                              const mirror_policy_t *p, msrc_list_t *out,
                              char *errstr, size_t errstr_size) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = mirror_metadata(src, &md);
        memset(out, 0, sizeof(*out));
        if (err) {
                snprintf(errstr, errstr_size,
                         "Cannot list the source cluster's topics: %s",
                         rd_kafka_err2str(err));
                return RDCP_ERR_RETRIABLE;
        }
        size_t n = (size_t)md->topic_cnt;
        out->topics = host->malloc((n ? n : 1) * sizeof(char *));
        out->counts = host->malloc((n ? n : 1) * sizeof(int32_t));
        if (!out->topics || !out->counts)
                goto nomem;
        for (size_t i = 0; i < n; i++) {
                const struct rd_kafka_metadata_topic *t = &md->topics[i];
                /* Kafka's shouldReplicateTopic: heartbeats whatever the
                 * filter says, never internal topics nor cycles. */
                if (t->err || t->partition_cnt <= 0 ||
                    !(mirror_filter_match(f, t->topic) ||
                      mirror_policy_is_heartbeats(p, t->topic)) ||
                    mirror_policy_is_internal(t->topic) ||
                    mirror_policy_cycle(p, t->topic))
                        continue;
                if (!(out->topics[out->cnt] = mirror_strdup(host, t->topic)))
                        goto nomem;
                out->cnt++;
        }
        qsort(out->topics, out->cnt, sizeof(char *), name_cmp);
        for (size_t i = 0; i < out->cnt; i++)
                for (size_t k = 0; k < n; k++)
                        if (!strcmp(md->topics[k].topic, out->topics[i]))
                                out->counts[i] = md->topics[k].partition_cnt;
        rd_kafka_metadata_destroy(md);
        return RDCP_OK;
nomem:
        rd_kafka_metadata_destroy(md);
        list_free(host, out);
        snprintf(errstr, errstr_size, "out of memory");
        return RDCP_ERR_NOMEM;
}

static int list_equal(const msrc_list_t *a, const msrc_list_t *b) {
        if (a->cnt != b->cnt)
                return 0;
        for (size_t i = 0; i < a->cnt; i++)
                if (strcmp(a->topics[i], b->topics[i]) ||
                    a->counts[i] != b->counts[i])
                        return 0;
        return 1;
}

/* ========================================================== connector */

typedef struct msrc_conn {
        const rdcp_ctx_t *ctx; /* first two: a mirror_owner_t */
        const rdcp_host_t *host;
        rd_kafka_t *src;
        mirror_filter_t filter;
        mirror_policy_t policy;
        int group_mode;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        int stopping;
        int refresh_started;
        pthread_t refresh;
        int64_t refresh_ms;
        msrc_list_t list; /**< guarded by lock */
} msrc_conn_t;

/* Lists again every refresh.topics.interval.seconds; a change asks the
 * host for new task configs. */
static void *msrc_refresh_main(void *opaque) {
        msrc_conn_t *c = opaque;
        pthread_mutex_lock(&c->lock);
        while (!c->stopping) {
                struct timespec ts;
                clock_gettime(CLOCK_REALTIME, &ts);
                ts.tv_sec += c->refresh_ms / 1000;
                ts.tv_nsec += (c->refresh_ms % 1000) * 1000000;
                if (ts.tv_nsec >= 1000000000) {
                        ts.tv_sec++;
                        ts.tv_nsec -= 1000000000;
                }
                while (!c->stopping &&
                       pthread_cond_timedwait(&c->cond, &c->lock, &ts) !=
                               ETIMEDOUT)
                        ;
                if (c->stopping)
                        break;
                pthread_mutex_unlock(&c->lock);
                msrc_list_t fresh;
                char errstr[512];
                rdcp_err_t err =
                        list_topics(c->host, c->src, &c->filter, &c->policy,
                                    &fresh, errstr, sizeof(errstr));
                pthread_mutex_lock(&c->lock);
                if (err) {
                        c->host->log(c->ctx, RDCP_LOG_WARN,
                                     "Topic refresh failed: %s", errstr);
                        continue;
                }
                if (list_equal(&fresh, &c->list)) {
                        list_free(c->host, &fresh);
                        continue;
                }
                c->host->log(c->ctx, RDCP_LOG_INFO,
                             "Source topics changed (%zu -> %zu topics); "
                             "reconfiguring the tasks",
                             c->list.cnt, fresh.cnt);
                list_free(c->host, &c->list);
                c->list = fresh;
                c->host->request_reconfiguration(c->ctx);
        }
        pthread_mutex_unlock(&c->lock);
        return NULL;
}

static void msrc_conn_destroy(void *opaque) {
        msrc_conn_t *c = opaque;
        if (!c)
                return;
        if (c->refresh_started) {
                pthread_mutex_lock(&c->lock);
                c->stopping = 1;
                pthread_cond_signal(&c->cond);
                pthread_mutex_unlock(&c->lock);
                pthread_join(c->refresh, NULL);
        }
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->cond);
        list_free(c->host, &c->list);
        mirror_filter_free(&c->filter);
        if (c->src)
                rd_kafka_destroy(c->src);
        c->host->free(c);
}

static rdcp_err_t msrc_conn_create(const rdcp_ctx_t *ctx,
                                   const rdcp_host_t *host,
                                   const rdcp_config_t *cfg, void **connp,
                                   char *errstr, size_t errstr_size) {
        msrc_conn_t *c = host->malloc(sizeof(*c));
        if (!c) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        memset(c, 0, sizeof(*c));
        c->ctx = ctx;
        c->host = host;
        pthread_mutex_init(&c->lock, NULL);
        pthread_cond_init(&c->cond, NULL);
        c->group_mode = host->config_get(cfg, MSRC_GROUP_KEY) != NULL;
        rdcp_err_t err =
                mirror_policy_init(host, cfg, &c->policy, errstr, errstr_size);
        if (!err)
                err = mirror_filter_init(host, cfg, &c->filter, errstr,
                                         errstr_size);
        if (err) {
                msrc_conn_destroy(c);
                return err;
        }
        c->src = mirror_admin_new((const mirror_owner_t *)c, cfg, "source",
                                  errstr, errstr_size);
        rd_kafka_t *tgt =
                c->src ? mirror_admin_new((const mirror_owner_t *)c, cfg,
                                          "target", errstr, errstr_size)
                       : NULL;
        if (!tgt) {
                msrc_conn_destroy(c);
                return RDCP_ERR_CONFIG;
        }
        err = mirror_check_distinct(c->src, tgt, errstr, errstr_size);
        msrc_syncs_cfg_t sc;
        if (!err)
                err = syncs_cfg(host, cfg, &c->policy, c->group_mode, &sc,
                                errstr, errstr_size);
        if (!err && sc.enabled)
                err = mirror_ensure_internal_topic(
                        host, ctx, cfg, sc.side[0] == 's' ? c->src : tgt,
                        sc.topic, "offset-syncs.topic.replication.factor",
                        errstr, errstr_size);
        rd_kafka_destroy(tgt);
        if (!err)
                err = list_topics(host, c->src, &c->filter, &c->policy,
                                  &c->list, errstr, errstr_size);
        if (err) {
                msrc_conn_destroy(c);
                return err;
        }
        int64_t secs = 600;
        int32_t enabled = 1;
        if (host->config_get(cfg, "refresh.topics.interval.seconds"))
                host->config_get_int64(cfg, "refresh.topics.interval.seconds",
                                       &secs);
        if (host->config_get(cfg, "refresh.topics.enabled"))
                host->config_get_bool(cfg, "refresh.topics.enabled", &enabled);
        c->refresh_ms = secs * 1000;
        if (enabled && secs > 0) {
                if (pthread_create(&c->refresh, NULL, msrc_refresh_main, c)) {
                        snprintf(errstr, errstr_size,
                                 "cannot start the topic refresh thread");
                        msrc_conn_destroy(c);
                        return RDCP_ERR_FATAL;
                }
                c->refresh_started = 1;
        }
        /* validate() refused any other converter; an unset one is the
         * worker's, which this plugin cannot see. */
        static const char *const conv_keys[] = {"key.converter",
                                                "value.converter", NULL};
        for (const char *const *k = conv_keys; *k; k++)
                if (!host->config_get(cfg, *k))
                        host->log(ctx, RDCP_LOG_WARN,
                                  "%s is not set on the connector: the "
                                  "worker's converter applies, and records "
                                  "are copied unchanged only if it is "
                                  "ByteArrayConverter",
                                  *k);
        host->log(ctx, RDCP_LOG_INFO, "Mirroring %zu topic(s) from %s to %s%s",
                  c->list.cnt, c->policy.source_alias, c->policy.target_alias,
                  c->group_mode ? " (consumer group mode)" : "");
        *connp = c;
        return RDCP_OK;
}

/* Appends text to a growing host buffer. */
typedef struct strbuf {
        const rdcp_host_t *host;
        char *s;
        size_t len, cap;
        int oom;
} strbuf_t;

static void sb_add(strbuf_t *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void sb_add(strbuf_t *b, const char *fmt, ...) {
        va_list ap;
        for (;;) {
                if (b->oom)
                        return;
                size_t room = b->cap - b->len;
                va_start(ap, fmt);
                int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        b->oom = 1;
                        return;
                }
                if ((size_t)n < room) {
                        b->len += (size_t)n;
                        return;
                }
                size_t cap = (b->cap ? b->cap * 2 : 256) + (size_t)n;
                char *grown = b->host->realloc(b->s, cap);
                if (!grown) {
                        b->oom = 1;
                        return;
                }
                b->s = grown;
                b->cap = cap;
        }
}

static rdcp_err_t msrc_conn_task_configs(void *opaque, uint32_t max_tasks,
                                         rdcp_config_t *const *task_cfgs,
                                         uint32_t *task_cnt, char *errstr,
                                         size_t errstr_size) {
        msrc_conn_t *c = opaque;
        const rdcp_host_t *host = c->host;
        rdcp_err_t err = RDCP_OK;
        pthread_mutex_lock(&c->lock);
        size_t parts = 0;
        for (size_t i = 0; i < c->list.cnt; i++)
                parts += (size_t)c->list.counts[i];
        uint32_t n = max_tasks;
        if (c->group_mode) {
                /* Every task subscribes to all topics; the group shares
                 * the partitions out (num.streams consumers). */
                if (!c->list.cnt)
                        n = 0;
        } else if (parts < n)
                n = (uint32_t)parts;
        for (uint32_t k = 0; k < n && !err; k++) {
                strbuf_t b = {.host = host};
                if (c->group_mode) {
                        for (size_t i = 0; i < c->list.cnt; i++)
                                sb_add(&b, "%s%s", i ? "," : "",
                                       c->list.topics[i]);
                } else {
                        /* Round-robin over all partitions, as Kafka's
                         * MirrorSourceConnector.taskConfigs. */
                        size_t idx = 0;
                        for (size_t i = 0; i < c->list.cnt; i++)
                                for (int32_t p = 0; p < c->list.counts[i];
                                     p++, idx++)
                                        if (idx % n == k)
                                                sb_add(&b, "%s%s-%d",
                                                       b.len ? "," : "",
                                                       c->list.topics[i], p);
                }
                sb_add(&b, "%s", "");
                if (b.oom ||
                    host->config_set(task_cfgs[k],
                                     c->group_mode ? "task.assigned.topics"
                                                   : "task.assigned.partitions",
                                     b.s)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        err = RDCP_ERR_NOMEM;
                }
                host->free(b.s);
        }
        pthread_mutex_unlock(&c->lock);
        if (!err)
                *task_cnt = n;
        return err;
}

static uint32_t msrc_conn_validate(const rdcp_host_t *host,
                                   const rdcp_config_t *cfg,
                                   void (*report)(void *opaque, const char *key,
                                                  const char *message),
                                   void *opaque) {
        uint32_t cnt = 0;
        char errstr[512];
        mirror_policy_t p;
        mirror_filter_t f;
        if (mirror_policy_init(host, cfg, &p, errstr, sizeof(errstr))) {
                report(opaque, "replication.policy.class", errstr);
                cnt++;
        }
        if (mirror_filter_init(host, cfg, &f, errstr, sizeof(errstr))) {
                report(opaque,
                       strstr(errstr, "topics.exclude") ? "topics.exclude"
                                                        : "topics",
                       errstr);
                cnt++;
        } else
                mirror_filter_free(&f);
        msrc_syncs_cfg_t sc;
        if (syncs_cfg(host, cfg, &p, 0, &sc, errstr, sizeof(errstr))) {
                report(opaque,
                       strstr(errstr, "location") ? "offset-syncs.topic."
                                                    "location"
                       : strstr(errstr, "lag")    ? "offset.lag.max"
                                                  : "emit.offset-syncs.enabled",
                       errstr);
                cnt++;
        }
        for (const char *const *k = unbuilt_flags; *k; k++) {
                const char *v = host->config_get(cfg, *k);
                if (v && strcasecmp(v, "false")) {
                        snprintf(errstr, sizeof(errstr),
                                 "%s=%s is not supported by rdconnect yet "
                                 "(only false)",
                                 *k, v);
                        report(opaque, *k, errstr);
                        cnt++;
                }
        }
        /* Raw bytes must stay raw: a converter that re-encodes them would
         * change every record. */
        static const char *const conv_keys[] = {"key.converter",
                                                "value.converter", NULL};
        for (const char *const *k = conv_keys; *k; k++) {
                const char *v = host->config_get(cfg, *k);
                if (v &&
                    strcmp(v, "org.apache.kafka.connect.converters."
                              "ByteArrayConverter") &&
                    strcmp(v, "ByteArrayConverter")) {
                        snprintf(errstr, sizeof(errstr),
                                 "%s must be "
                                 "org.apache.kafka.connect.converters."
                                 "ByteArrayConverter for %s (records are "
                                 "copied as raw bytes)",
                                 *k, MSRC_CLASS);
                        report(opaque, *k, errstr);
                        cnt++;
                }
        }
        return cnt;
}

/* =============================================================== task */

/* One source partition of a task. In group mode a ring of the offsets in
 * flight (in poll order) with their acknowledgements: the committable
 * offset is one past the longest acknowledged prefix. */
typedef struct msrc_part {
        int32_t partition;
        uint32_t idx;           /**< in task->parts */
        uint32_t stamp;         /**< last poll that gave it an offset */
        char *src_json;         /**< the source partition */
        const char *topic_name; /**< the source topic's */
        char off_json[48];      /**< this poll's last offset */
        int assigned;
        int revoking; /**< revoked, unassigned once acknowledged */
        int64_t *ring;
        uint8_t *done;
        uint64_t cap, head, tail; /**< sequence numbers */
        int64_t acked_next;       /**< -1: nothing acknowledged */
        int64_t committed;        /**< what we last committed */
        /* Offset syncs (Kafka's OffsetSyncWriter.PartitionState). */
        int keyed; /**< target partition by key */
        int64_t prev_up, prev_down, last_sync_down;
        int should_sync;
        int pending, delayed;         /**< a sync waits in */
        int64_t pend_up, pend_down;   /**< ... pending (sent next) */
        int64_t delay_up, delay_down; /**< ... delayed (at commit) */
} msrc_part_t;

typedef struct msrc_topic {
        char *name;
        char *target;
        const rd_kafka_topic_t *rkt; /**< seen on messages (may be NULL) */
        int32_t src_parts, tgt_parts;
        int keyed; /**< target has fewer partitions: the key decides */
        msrc_part_t **parts;
        int32_t part_cap;
} msrc_topic_t;

typedef struct msrc_task {
        const rdcp_ctx_t *ctx; /* first two: a mirror_owner_t */
        const rdcp_host_t *host;
        const rdcp_config_t *cfg;
        mirror_policy_t policy;
        rd_kafka_t *rk;
        rd_kafka_t *target; /**< admin handle of the target */
        rd_kafka_queue_t *queue;
        int efd;
        int group_mode;
        int cooperative;
        int64_t commit_interval_ms, next_commit_ms;
        msrc_topic_t **topics;
        size_t topic_cnt;
        size_t last_topic;
        msrc_part_t **parts; /**< every partition state, by idx */
        size_t part_cnt, part_cap;
        uint32_t stamp;
        rd_kafka_message_t *msgs[MSRC_BATCH];
        size_t msg_cnt;
        rdcp_source_record_t *recs;
        msrc_part_t *rec_part[MSRC_BATCH]; /**< partition of recs[i] */
        int64_t rec_off[MSRC_BATCH];       /**< source offset of recs[i] */
        rdcp_header_t *hdrs;
        size_t hdr_cap;
        char fatal[512];
        /* Offset syncs: their own producer to syncs.side's cluster. */
        msrc_syncs_cfg_t syncs;
        rd_kafka_t *sync_rk;
        int sync_outstanding;
        size_t sync_pending; /**< partitions with a pending sync */
        /* Group mode: a revocation waiting for its records in flight. */
        rd_kafka_topic_partition_list_t *revoking;
        int64_t revoke_deadline;
} msrc_task_t;

static int64_t now_ms(const msrc_task_t *t) {
        return t->host->time_ms(1);
}

static msrc_topic_t *topic_find(msrc_task_t *t, const char *name) {
        for (size_t i = 0; i < t->topic_cnt; i++)
                if (!strcmp(t->topics[i]->name, name))
                        return t->topics[i];
        return NULL;
}

static msrc_topic_t *topic_add(msrc_task_t *t, const char *name) {
        msrc_topic_t *tp = topic_find(t, name);
        if (tp)
                return tp;
        const rdcp_host_t *h = t->host;
        char target[512];
        if (mirror_policy_target(&t->policy, name, target, sizeof(target)))
                return NULL;
        msrc_topic_t **grown =
                h->realloc(t->topics, (t->topic_cnt + 1) * sizeof(*grown));
        if (!grown)
                return NULL;
        t->topics = grown;
        tp = h->malloc(sizeof(*tp));
        if (!tp)
                return NULL;
        memset(tp, 0, sizeof(*tp));
        tp->name = mirror_strdup(h, name);
        tp->target = mirror_strdup(h, target);
        if (!tp->name || !tp->target) {
                h->free(tp->name);
                h->free(tp->target);
                h->free(tp);
                return NULL;
        }
        t->topics[t->topic_cnt++] = tp;
        return tp;
}

static msrc_part_t *part_get(msrc_task_t *t, msrc_topic_t *tp,
                             int32_t partition) {
        if (partition < 0)
                return NULL;
        const rdcp_host_t *h = t->host;
        if (partition >= tp->part_cap) {
                int32_t cap = partition + 1;
                msrc_part_t **grown =
                        h->realloc(tp->parts, (size_t)cap * sizeof(*grown));
                if (!grown)
                        return NULL;
                for (int32_t i = tp->part_cap; i < cap; i++)
                        grown[i] = NULL;
                tp->parts = grown;
                tp->part_cap = cap;
        }
        if (tp->parts[partition])
                return tp->parts[partition];
        if (t->part_cnt == t->part_cap) {
                size_t cap = t->part_cap ? t->part_cap * 2 : 16;
                msrc_part_t **grown =
                        h->realloc(t->parts, cap * sizeof(*grown));
                if (!grown)
                        return NULL;
                t->parts = grown;
                t->part_cap = cap;
        }
        msrc_part_t *p = h->malloc(sizeof(*p));
        if (!p)
                return NULL;
        memset(p, 0, sizeof(*p));
        char alias[300], topic[600];
        mirror_json_escape(t->policy.source_alias, alias, sizeof(alias));
        mirror_json_escape(tp->name, topic, sizeof(topic));
        size_t len = strlen(alias) + strlen(topic) + 64;
        p->src_json = h->malloc(len);
        if (!p->src_json) {
                h->free(p);
                return NULL;
        }
        snprintf(p->src_json, len,
                 "{\"cluster\":\"%s\",\"partition\":%d,\"topic\":\"%s\"}",
                 alias, partition, topic);
        p->partition = partition;
        p->topic_name = tp->name;
        p->idx = (uint32_t)t->part_cnt;
        p->acked_next = -1;
        p->committed = -1;
        p->prev_up = p->prev_down = p->last_sync_down = -1;
        p->keyed = tp->keyed;
        t->parts[t->part_cnt++] = p;
        tp->parts[partition] = p;
        return p;
}

/* Target topics for tp..: created with the source's partition count when
 * missing; keyed when the target has fewer partitions. */
static rdcp_err_t topics_prepare(msrc_task_t *t, msrc_topic_t **tps, size_t cnt,
                                 char *errstr, size_t errstr_size) {
        const rdcp_host_t *h = t->host;
        if (!cnt)
                return RDCP_OK;
        const char **names = h->malloc(cnt * sizeof(*names));
        int32_t *want = h->malloc(cnt * sizeof(*want));
        int32_t *have = h->malloc(cnt * sizeof(*have));
        rdcp_err_t err = RDCP_ERR_NOMEM;
        if (!names || !want || !have)
                goto out;
        for (size_t i = 0; i < cnt; i++)
                names[i] = tps[i]->name;
        err = mirror_partition_counts(t->rk, names, cnt, want, errstr,
                                      errstr_size);
        if (err)
                goto out;
        for (size_t i = 0; i < cnt; i++)
                names[i] = tps[i]->target;
        err = mirror_ensure_topics(h, t->ctx, t->cfg, t->target, names, want,
                                   have, cnt, errstr, errstr_size);
        if (err)
                goto out;
        for (size_t i = 0; i < cnt; i++) {
                msrc_topic_t *tp = tps[i];
                tp->src_parts = want[i];
                tp->tgt_parts = have[i];
                tp->keyed = have[i] < want[i];
                for (int32_t k = 0; k < tp->part_cap; k++)
                        if (tp->parts[k])
                                tp->parts[k]->keyed = tp->keyed;
                if (tp->keyed)
                        h->log(t->ctx, RDCP_LOG_WARN,
                               "Target topic %s has %d partition(s), fewer "
                               "than source topic %s (%d): the record key "
                               "decides the target partition",
                               tp->target, have[i], tp->name, want[i]);
        }
out:
        if (err == RDCP_ERR_NOMEM)
                snprintf(errstr, errstr_size, "out of memory");
        h->free(names);
        h->free(want);
        h->free(have);
        return err;
}

/* ----------------------------------------------------- group mode */

/* An asynchronous commit that failed (e.g. "rebalance in progress") is
 * sent again at the next interval: forget that it was committed. On the
 * task thread, which serves the consumer queue. */
static void group_committed(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *offsets,
                            void *opaque) {
        msrc_task_t *t = opaque;
        (void)rk;
        for (int i = 0; offsets && i < offsets->cnt; i++) {
                const rd_kafka_topic_partition_t *o = &offsets->elems[i];
                if (!err && !o->err)
                        continue;
                msrc_topic_t *tp = topic_find(t, o->topic);
                if (tp && o->partition >= 0 && o->partition < tp->part_cap &&
                    tp->parts[o->partition] &&
                    tp->parts[o->partition]->committed == o->offset)
                        tp->parts[o->partition]->committed = -1;
        }
}

static void group_commit(msrc_task_t *t, int sync) {
        rd_kafka_topic_partition_list_t *l =
                rd_kafka_topic_partition_list_new(16);
        for (size_t i = 0; i < t->topic_cnt; i++) {
                msrc_topic_t *tp = t->topics[i];
                for (int32_t k = 0; k < tp->part_cap; k++) {
                        msrc_part_t *p = tp->parts[k];
                        if (!p || !p->assigned || p->acked_next < 0 ||
                            p->acked_next == p->committed)
                                continue;
                        rd_kafka_topic_partition_list_add(l, tp->name, k)
                                ->offset = p->acked_next;
                        p->committed = p->acked_next;
                }
        }
        if (l->cnt) {
                rd_kafka_resp_err_t err = rd_kafka_commit(t->rk, l, !sync);
                if (sync || err)
                        group_committed(t->rk, err, l, t);
                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        t->host->log(t->ctx, RDCP_LOG_WARN,
                                     "Committing offsets on the source "
                                     "failed: %s",
                                     rd_kafka_err2str(err));
        }
        rd_kafka_topic_partition_list_destroy(l);
}

static void unassign(msrc_task_t *t, rd_kafka_topic_partition_list_t *parts);
static void revoke_finish(msrc_task_t *t, int force);

static void group_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *parts,
                            void *opaque) {
        msrc_task_t *t = opaque;
        char errstr[512];
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                msrc_topic_t **fresh = t->host->malloc(
                        (size_t)(parts->cnt + 1) * sizeof(*fresh));
                size_t fresh_cnt = 0;
                for (int i = 0; fresh && i < parts->cnt; i++) {
                        const rd_kafka_topic_partition_t *tpp =
                                &parts->elems[i];
                        msrc_topic_t *tp = topic_find(t, tpp->topic);
                        if (!tp)
                                continue;
                        msrc_part_t *p = part_get(t, tp, tpp->partition);
                        if (p)
                                p->assigned = 1;
                        if (tp->tgt_parts == 0) {
                                size_t k = 0;
                                while (k < fresh_cnt && fresh[k] != tp)
                                        k++;
                                if (k == fresh_cnt)
                                        fresh[fresh_cnt++] = tp;
                        }
                }
                if (fresh &&
                    topics_prepare(t, fresh, fresh_cnt, errstr,
                                   sizeof(errstr)) &&
                    !t->fatal[0])
                        snprintf(t->fatal, sizeof(t->fatal), "%s", errstr);
                t->host->free(fresh);
                if (t->cooperative)
                        rd_kafka_error_destroy(
                                rd_kafka_incremental_assign(rk, parts));
                else
                        rd_kafka_assign(rk, parts);
                return;
        }
        /* Revoked: as MirrorMaker 1's rebalance listener (the producer
         * flushed, then the offsets committed), the partitions are
         * given up once the target acknowledged their records in flight
         * (from poll(): the host serves the acknowledgements between
         * polls), so that the next owner starts after them. */
        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS &&
            !rd_kafka_assignment_lost(rk) && !t->revoking &&
            (t->revoking = rd_kafka_topic_partition_list_copy(parts))) {
                for (int i = 0; i < parts->cnt; i++) {
                        msrc_topic_t *tp = topic_find(t, parts->elems[i].topic);
                        int32_t k = parts->elems[i].partition;
                        if (tp && k < tp->part_cap && tp->parts[k])
                                tp->parts[k]->revoking = 1;
                }
                rd_kafka_pause_partitions(rk, t->revoking);
                t->revoke_deadline = now_ms(t) + MSRC_REVOKE_WAIT_MS;
                revoke_finish(t, 0);
                return;
        }
        unassign(t, parts);
}

/* Gives up parts (their offsets committed first, unless lost). */
static void unassign(msrc_task_t *t, rd_kafka_topic_partition_list_t *parts) {
        rd_kafka_t *rk = t->rk;
        if (!rd_kafka_assignment_lost(rk))
                group_commit(t, 1);
        for (int i = 0; i < parts->cnt; i++) {
                msrc_topic_t *tp = topic_find(t, parts->elems[i].topic);
                int32_t k = parts->elems[i].partition;
                if (tp && k < tp->part_cap && tp->parts[k]) {
                        tp->parts[k]->assigned = 0;
                        tp->parts[k]->revoking = 0;
                }
        }
        if (t->cooperative)
                rd_kafka_error_destroy(
                        rd_kafka_incremental_unassign(rk, parts));
        else
                rd_kafka_assign(rk, NULL);
}

/* Ends a revocation once nothing of it is in flight (or force, or its
 * time is up). */
static void revoke_finish(msrc_task_t *t, int force) {
        rd_kafka_topic_partition_list_t *parts = t->revoking;
        if (!parts)
                return;
        int in_flight = 0;
        for (int i = 0; !in_flight && i < parts->cnt; i++) {
                msrc_topic_t *tp = topic_find(t, parts->elems[i].topic);
                int32_t k = parts->elems[i].partition;
                msrc_part_t *p = tp && k < tp->part_cap ? tp->parts[k] : NULL;
                in_flight = p && p->head != p->tail;
        }
        if (in_flight && !force && now_ms(t) < t->revoke_deadline)
                return;
        t->revoking = NULL;
        unassign(t, parts);
        rd_kafka_topic_partition_list_destroy(parts);
}

/* Room for one more sequence in p's ring. */
static int ring_push(const rdcp_host_t *h, msrc_part_t *p, int64_t offset,
                     uint64_t *seq) {
        if (p->tail - p->head == p->cap) {
                uint64_t cap = p->cap ? p->cap * 2 : 1024;
                int64_t *ring = h->malloc(cap * sizeof(*ring));
                uint8_t *done = h->malloc(cap);
                if (!ring || !done) {
                        h->free(ring);
                        h->free(done);
                        return -1;
                }
                for (uint64_t s = p->head; s < p->tail; s++) {
                        ring[s & (cap - 1)] = p->ring[s & (p->cap - 1)];
                        done[s & (cap - 1)] = p->done[s & (p->cap - 1)];
                }
                h->free(p->ring);
                h->free(p->done);
                p->ring = ring;
                p->done = done;
                p->cap = cap;
        }
        *seq = p->tail++;
        p->ring[*seq & (p->cap - 1)] = offset;
        p->done[*seq & (p->cap - 1)] = 0;
        return 0;
}

/* ack_opaque of a record in group mode: partition index and sequence. */
#define ACK_SEQ_BITS 40
static void *ack_encode(uint32_t idx, uint64_t seq) {
        return (void *)(uintptr_t)(((uint64_t)idx << ACK_SEQ_BITS) |
                                   (seq & ((1ull << ACK_SEQ_BITS) - 1)));
}

/* ------------------------------------------------------ offset syncs */

/* Kafka's OffsetSyncWriter.maybeQueueOffsetSyncs: a sync is sent at once
 * when the partition has none yet this task's life, when the translated
 * offset would lag by offset.lag.max or more, when upstream offsets skip
 * (compaction, transactions) or the target was truncated; else it waits
 * for the next offset commit (delayed). */
static void sync_send(msrc_task_t *t, msrc_part_t *p);

static void sync_queue(msrc_task_t *t, msrc_part_t *p, int64_t up,
                       int64_t down) {
        if (p->last_sync_down == -1 ||
            down - (p->last_sync_down + 1) >= t->syncs.lag_max ||
            up - p->prev_up != 1 || down < p->prev_down) {
                p->last_sync_down = down;
                p->should_sync = 1;
        }
        p->prev_up = up;
        p->prev_down = down;
        if (p->should_sync) {
                p->delayed = 0;
                if (!p->pending)
                        t->sync_pending++;
                p->pending = 1;
                p->pend_up = up;
                p->pend_down = down;
                p->should_sync = 0;
                sync_send(t, p);
        } else {
                p->delayed = 1;
                p->delay_up = up;
                p->delay_down = down;
        }
}

static void sync_delivered(rd_kafka_t *rk, const rd_kafka_message_t *m,
                           void *opaque) {
        msrc_task_t *t = opaque;
        (void)rk;
        t->sync_outstanding--;
        if (m->err)
                t->host->log(t->ctx, RDCP_LOG_ERROR,
                             "Failure sending offset sync: %s",
                             rd_kafka_err2str(m->err));
}

/* Sends p's pending sync unless MSRC_SYNCS_OUTSTANDING are in flight. */
static void sync_send(msrc_task_t *t, msrc_part_t *p) {
        if (!p->pending || t->sync_outstanding >= MSRC_SYNCS_OUTSTANDING)
                return;
        uint8_t key[600], value[16];
        mirror_enc_t k = {.buf = key, .size = sizeof(key)};
        mirror_enc_t v = {.buf = value, .size = sizeof(value)};
        mirror_enc_str(&k, p->topic_name);
        mirror_enc_i32(&k, p->partition);
        mirror_enc_i64(&v, p->pend_up);
        mirror_enc_i64(&v, p->pend_down);
        p->pending = 0;
        t->sync_pending--;
        if (k.over)
                return;
        rd_kafka_resp_err_t err = rd_kafka_producev(
                t->sync_rk, RD_KAFKA_V_TOPIC(t->syncs.topic),
                RD_KAFKA_V_PARTITION(0),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_KEY(key, k.len), RD_KAFKA_V_VALUE(value, v.len),
                RD_KAFKA_V_END);
        if (err)
                t->host->log(t->ctx, RDCP_LOG_ERROR,
                             "Failure sending offset sync: %s",
                             rd_kafka_err2str(err));
        else
                t->sync_outstanding++;
}

/* Sends the pending syncs that room allows (Kafka's
 * firePendingOffsetSyncs), after serving the delivery reports. */
static void sync_fire(msrc_task_t *t) {
        if (!t->sync_rk)
                return;
        rd_kafka_poll(t->sync_rk, 0);
        for (size_t i = 0; i < t->part_cnt && t->sync_pending &&
                           t->sync_outstanding < MSRC_SYNCS_OUTSTANDING;
             i++)
                sync_send(t, t->parts[i]);
}

/* Kafka's MirrorSourceTask.commit(): the delayed syncs are sent now. */
static void msrc_task_commit(void *opaque) {
        msrc_task_t *t = opaque;
        for (size_t i = 0; t->syncs.enabled && i < t->part_cnt; i++) {
                msrc_part_t *p = t->parts[i];
                if (!p->delayed)
                        continue;
                p->delayed = 0;
                if (!p->pending)
                        t->sync_pending++;
                p->pending = 1;
                p->pend_up = p->delay_up;
                p->pend_down = p->delay_down;
        }
        sync_fire(t);
}

static void msrc_task_commit_record(void *opaque, void *ack_opaque,
                                    const rdcp_record_metadata_t *md) {
        msrc_task_t *t = opaque;
        /* Skipped records (md NULL) count as done, as in Kafka. */
        if (!t->group_mode && !t->syncs.enabled)
                return;
        uint64_t v = (uint64_t)(uintptr_t)ack_opaque;
        uint32_t idx = (uint32_t)(v >> ACK_SEQ_BITS);
        if (idx >= t->part_cnt)
                return;
        msrc_part_t *p = t->parts[idx];
        uint64_t low = v & ((1ull << ACK_SEQ_BITS) - 1);
        /* The full sequence: the one in the ring with these low bits. */
        uint64_t seq = (p->head & ~((1ull << ACK_SEQ_BITS) - 1)) | low;
        if (seq < p->head)
                seq += 1ull << ACK_SEQ_BITS;
        if (seq >= p->tail)
                return;
        p->done[seq & (p->cap - 1)] = 1;
        if (t->syncs.enabled && md && md->offset >= 0 && !p->keyed)
                sync_queue(t, p, p->ring[seq & (p->cap - 1)], md->offset);
        while (p->head < p->tail && p->done[p->head & (p->cap - 1)]) {
                p->acked_next = p->ring[p->head & (p->cap - 1)] + 1;
                p->head++;
        }
}

/* ------------------------------------------------------- task life */

static void msrc_task_destroy(void *opaque) {
        msrc_task_t *t = opaque;
        if (!t)
                return;
        const rdcp_host_t *h = t->host;
        for (size_t i = 0; i < t->msg_cnt; i++)
                rd_kafka_message_destroy(t->msgs[i]);
        if (t->rk && t->group_mode) {
                revoke_finish(t, 1);
                group_commit(t, 1);
                rd_kafka_consumer_close(t->rk);
        }
        if (t->sync_rk) {
                msrc_task_commit(t);
                rd_kafka_flush(t->sync_rk, 5000);
                rd_kafka_destroy(t->sync_rk);
        }
        if (t->queue) {
                rd_kafka_queue_io_event_enable(t->queue, -1, NULL, 0);
                rd_kafka_queue_destroy(t->queue);
        }
        if (t->rk)
                rd_kafka_destroy(t->rk);
        if (t->target)
                rd_kafka_destroy(t->target);
        if (t->efd >= 0)
                close(t->efd);
        for (size_t i = 0; i < t->part_cnt; i++) {
                h->free(t->parts[i]->src_json);
                h->free(t->parts[i]->ring);
                h->free(t->parts[i]->done);
                h->free(t->parts[i]);
        }
        for (size_t i = 0; i < t->topic_cnt; i++) {
                h->free(t->topics[i]->name);
                h->free(t->topics[i]->target);
                h->free(t->topics[i]->parts);
                h->free(t->topics[i]);
        }
        h->free(t->parts);
        h->free(t->topics);
        h->free(t->recs);
        h->free(t->hdrs);
        h->free(t);
}

/* {"offset":N} -> N, or -1. */
static int64_t offset_parse(const char *json) {
        const char *p = json ? strstr(json, "\"offset\"") : NULL;
        if (!p || !(p = strchr(p, ':')))
                return -1;
        char *end;
        long long v = strtoll(p + 1, &end, 10);
        return end == p + 1 ? -1 : (int64_t)v;
}

/* Assign mode: task.assigned.partitions ("topic-N,..."), each from its
 * stored offset + 1 (none: auto.offset.reset's end). */
static rdcp_err_t assign_start(msrc_task_t *t, const char *list, int64_t reset,
                               char *errstr, size_t errstr_size) {
        const rdcp_host_t *h = t->host;
        rd_kafka_topic_partition_list_t *tpl =
                rd_kafka_topic_partition_list_new(16);
        rdcp_err_t err = RDCP_OK;
        char item[600];
        for (const char *s = list; *s && !err;) {
                const char *e = strchr(s, ',');
                size_t len = e ? (size_t)(e - s) : strlen(s);
                if (len && len < sizeof(item)) {
                        memcpy(item, s, len);
                        item[len] = '\0';
                        char *dash = strrchr(item, '-');
                        char *end = NULL;
                        long part = dash ? strtol(dash + 1, &end, 10) : -1;
                        if (!dash || end == dash + 1 || *end || part < 0) {
                                snprintf(errstr, errstr_size,
                                         "Invalid task.assigned.partitions "
                                         "entry %s",
                                         item);
                                err = RDCP_ERR_CONFIG;
                                break;
                        }
                        *dash = '\0';
                        msrc_topic_t *tp = topic_add(t, item);
                        msrc_part_t *p =
                                tp ? part_get(t, tp, (int32_t)part) : NULL;
                        if (!p) {
                                err = RDCP_ERR_NOMEM;
                                snprintf(errstr, errstr_size, "out of memory");
                                break;
                        }
                        p->assigned = 1;
                        char *stored = NULL;
                        int64_t off = -1;
                        if (!h->offset_read(t->ctx, p->src_json, &stored) &&
                            stored)
                                off = offset_parse(stored);
                        h->free(stored);
                        rd_kafka_topic_partition_list_add(tpl, item,
                                                          (int32_t)part)
                                ->offset = off >= 0 ? off + 1 : reset;
                }
                s += len + (e ? 1 : 0);
        }
        if (!err)
                err = topics_prepare(t, t->topics, t->topic_cnt, errstr,
                                     errstr_size);
        if (!err) {
                rd_kafka_resp_err_t kerr = rd_kafka_assign(t->rk, tpl);
                if (kerr) {
                        snprintf(errstr, errstr_size, "assign: %s",
                                 rd_kafka_err2str(kerr));
                        err = RDCP_ERR_FATAL;
                }
        }
        rd_kafka_topic_partition_list_destroy(tpl);
        return err;
}

static rdcp_err_t group_start(msrc_task_t *t, const char *list, char *errstr,
                              size_t errstr_size) {
        rd_kafka_topic_partition_list_t *tpl =
                rd_kafka_topic_partition_list_new(16);
        char item[600];
        rdcp_err_t err = RDCP_OK;
        for (const char *s = list; *s;) {
                const char *e = strchr(s, ',');
                size_t len = e ? (size_t)(e - s) : strlen(s);
                if (len && len < sizeof(item)) {
                        memcpy(item, s, len);
                        item[len] = '\0';
                        if (!topic_add(t, item)) {
                                snprintf(errstr, errstr_size, "out of memory");
                                err = RDCP_ERR_NOMEM;
                                break;
                        }
                        rd_kafka_topic_partition_list_add(
                                tpl, item, RD_KAFKA_PARTITION_UA);
                }
                s += len + (e ? 1 : 0);
        }
        if (!err) {
                rd_kafka_resp_err_t kerr = rd_kafka_subscribe(t->rk, tpl);
                if (kerr) {
                        snprintf(errstr, errstr_size, "subscribe: %s",
                                 rd_kafka_err2str(kerr));
                        err = RDCP_ERR_FATAL;
                }
        }
        rd_kafka_topic_partition_list_destroy(tpl);
        return err;
}

static rdcp_err_t msrc_task_create(const rdcp_ctx_t *ctx,
                                   const rdcp_host_t *host,
                                   const rdcp_config_t *cfg, void **taskp,
                                   char *errstr, size_t errstr_size) {
        if (!RDCP_HOST_HAS(host, time_ms)) {
                snprintf(errstr, errstr_size, "needs an ABI 1.1 host");
                return RDCP_ERR_FATAL;
        }
        msrc_task_t *t = host->malloc(sizeof(*t));
        if (!t) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        memset(t, 0, sizeof(*t));
        t->ctx = ctx;
        t->host = host;
        t->cfg = cfg;
        t->efd = -1;
        const char *group = host->config_get(cfg, MSRC_GROUP_KEY);
        t->group_mode = group != NULL;
        t->commit_interval_ms = 60000;
        if (host->config_get(cfg, MSRC_COMMIT_KEY))
                host->config_get_int64(cfg, MSRC_COMMIT_KEY,
                                       &t->commit_interval_ms);
        rdcp_err_t err =
                mirror_policy_init(host, cfg, &t->policy, errstr, errstr_size);
        if (!err)
                err = syncs_cfg(host, cfg, &t->policy, t->group_mode, &t->syncs,
                                errstr, errstr_size);
        if (err)
                goto fail;
        if (t->syncs.enabled) {
                t->sync_rk = mirror_producer_new((const mirror_owner_t *)t, cfg,
                                                 t->syncs.side, sync_delivered,
                                                 errstr, errstr_size);
                if (!t->sync_rk) {
                        err = RDCP_ERR_CONFIG;
                        goto fail;
                }
        }
        t->recs = host->malloc(MSRC_BATCH * sizeof(*t->recs));
        t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (!t->recs || t->efd < 0) {
                snprintf(errstr, errstr_size, "out of memory");
                err = RDCP_ERR_NOMEM;
                goto fail;
        }
        const char *const prefixes[] = {"source.cluster.", "consumer.",
                                        "source.consumer.", NULL};
        /* Kafka's MirrorSourceTask: no auto commit, earliest by default. */
        const char *const defaults[] = {"enable.auto.commit",
                                        "false",
                                        "auto.offset.reset",
                                        "earliest",
                                        "enable.partition.eof",
                                        "false",
                                        "allow.auto.create.topics",
                                        "false",
                                        NULL};
        rd_kafka_conf_t *conf =
                mirror_client_conf((const mirror_owner_t *)t, cfg, prefixes,
                                   defaults, errstr, errstr_size);
        if (!conf) {
                err = RDCP_ERR_CONFIG;
                goto fail;
        }
        char kerr[512], own_group[300];
        if (t->group_mode) {
                rd_kafka_conf_set(conf, "group.id", group, kerr, sizeof(kerr));
                rd_kafka_conf_set_rebalance_cb(conf, group_rebalance);
                rd_kafka_conf_set_offset_commit_cb(conf, group_committed);
        } else {
                /* librdkafka assigns partitions only with a group.id; this
                 * one never joins and never commits (offsets live in the
                 * worker's offset store). */
                snprintf(own_group, sizeof(own_group), "rdconnect-mirror-%s",
                         host->ctx_connector(ctx));
                rd_kafka_conf_set(conf, "group.id", own_group, kerr,
                                  sizeof(kerr));
        }
        char value[64];
        size_t vsize = sizeof(value);
        int64_t reset = RD_KAFKA_OFFSET_BEGINNING;
        if (rd_kafka_conf_get(conf, "auto.offset.reset", value, &vsize) ==
                    RD_KAFKA_CONF_OK &&
            (!strcmp(value, "latest") || !strcmp(value, "largest") ||
             !strcmp(value, "end")))
                reset = RD_KAFKA_OFFSET_END;
        vsize = sizeof(value);
        if (rd_kafka_conf_get(conf, "partition.assignment.strategy", value,
                              &vsize) == RD_KAFKA_CONF_OK)
                t->cooperative = strstr(value, "cooperative") != NULL;
        t->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
        if (!t->rk) {
                rd_kafka_conf_destroy(conf);
                snprintf(errstr, errstr_size, "source consumer: %s", kerr);
                err = RDCP_ERR_CONFIG;
                goto fail;
        }
        rd_kafka_poll_set_consumer(t->rk);
        t->queue = rd_kafka_queue_get_consumer(t->rk);
        static const uint64_t one = 1;
        rd_kafka_queue_io_event_enable(t->queue, t->efd, &one, sizeof(one));
        t->target = mirror_admin_new((const mirror_owner_t *)t, cfg, "target",
                                     errstr, errstr_size);
        if (!t->target) {
                err = RDCP_ERR_CONFIG;
                goto fail;
        }
        err = mirror_check_distinct(t->rk, t->target, errstr, errstr_size);
        if (err)
                goto fail;
        const char *list = host->config_get(
                cfg, t->group_mode ? "task.assigned.topics"
                                   : "task.assigned.partitions");
        err = t->group_mode
                      ? group_start(t, list ? list : "", errstr, errstr_size)
                      : assign_start(t, list ? list : "", reset, errstr,
                                     errstr_size);
        if (err)
                goto fail;
        t->next_commit_ms = now_ms(t) + t->commit_interval_ms;
        *taskp = t;
        return RDCP_OK;
fail:
        msrc_task_destroy(t);
        return err;
}

/* Finds the partition state of a message (topics repeat in runs). */
static msrc_part_t *msg_part(msrc_task_t *t, const rd_kafka_message_t *m,
                             msrc_topic_t **tpp) {
        msrc_topic_t *tp = NULL;
        if (t->last_topic < t->topic_cnt &&
            t->topics[t->last_topic]->rkt == m->rkt)
                tp = t->topics[t->last_topic];
        for (size_t i = 0; !tp && i < t->topic_cnt; i++) {
                msrc_topic_t *c = t->topics[i];
                if (c->rkt == m->rkt ||
                    (!c->rkt &&
                     !strcmp(c->name, rd_kafka_topic_name(m->rkt)))) {
                        c->rkt = m->rkt;
                        tp = c;
                        t->last_topic = i;
                }
        }
        *tpp = tp;
        return tp ? part_get(t, tp, m->partition) : NULL;
}

static void bytes_data(rdcp_data_t *d, const void *ptr, size_t len) {
        memset(d, 0, sizeof(*d));
        if (!ptr) {
                d->kind = RDCP_DATA_NULL;
                return;
        }
        d->kind = RDCP_DATA_BYTES;
        d->u.bytes.ptr = ptr;
        d->u.bytes.len = len;
}

static rdcp_err_t msrc_task_poll(void *opaque,
                                 const rdcp_source_record_t **records,
                                 size_t *cnt, char *errstr,
                                 size_t errstr_size) {
        msrc_task_t *t = opaque;
        const rdcp_host_t *h = t->host;
        *cnt = 0;
        *records = t->recs;
        for (size_t i = 0; i < t->msg_cnt; i++)
                rd_kafka_message_destroy(t->msgs[i]);
        t->msg_cnt = 0;
        sync_fire(t);
        revoke_finish(t, 0);
        if (t->group_mode && now_ms(t) >= t->next_commit_ms) {
                group_commit(t, 0);
                t->next_commit_ms = now_ms(t) + t->commit_interval_ms;
        }
        ssize_t n =
                rd_kafka_consume_batch_queue(t->queue, 0, t->msgs, MSRC_BATCH);
        if (n <= 0) {
                /* A revocation waits for acknowledgements: soon back. */
                int timeout = t->revoking ? 5 : MSRC_IDLE_WAIT_MS;
                if (t->group_mode) {
                        int64_t left = t->next_commit_ms - now_ms(t);
                        if (left < timeout)
                                timeout = left > 0 ? (int)left : 0;
                }
                h->wait(t->ctx, t->efd, POLLIN, timeout);
                uint64_t drain;
                if (read(t->efd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
                        (void)0;
                n = rd_kafka_consume_batch_queue(t->queue, 0, t->msgs,
                                                 MSRC_BATCH);
        }
        if (t->fatal[0]) {
                snprintf(errstr, errstr_size, "%s", t->fatal);
                return RDCP_ERR_FATAL;
        }
        if (n <= 0)
                return RDCP_OK;
        t->msg_cnt = (size_t)n;
        /* Headers first, so that the array does not move under records. */
        size_t hdr_total = 0;
        for (size_t i = 0; i < t->msg_cnt; i++) {
                rd_kafka_headers_t *hs = NULL;
                if (!t->msgs[i]->err &&
                    !rd_kafka_message_headers(t->msgs[i], &hs))
                        hdr_total += rd_kafka_header_cnt(hs);
        }
        if (hdr_total > t->hdr_cap) {
                rdcp_header_t *grown =
                        h->realloc(t->hdrs, hdr_total * sizeof(*grown));
                if (!grown) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return RDCP_ERR_NOMEM;
                }
                t->hdrs = grown;
                t->hdr_cap = hdr_total;
        }
        size_t hdr_used = 0, out = 0;
        uint32_t stamp = ++t->stamp;
        for (size_t i = 0; i < t->msg_cnt; i++) {
                rd_kafka_message_t *m = t->msgs[i];
                if (m->err) {
                        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                continue;
                        if (m->err == RD_KAFKA_RESP_ERR__FATAL ||
                            m->err ==
                                    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED) {
                                snprintf(errstr, errstr_size,
                                         "Source consumer: %s",
                                         rd_kafka_message_errstr(m));
                                return RDCP_ERR_FATAL;
                        }
                        h->log(t->ctx, RDCP_LOG_WARN, "Source consumer: %s",
                               rd_kafka_message_errstr(m));
                        continue;
                }
                msrc_topic_t *tp;
                msrc_part_t *p = msg_part(t, m, &tp);
                if (!p) {
                        snprintf(errstr, errstr_size,
                                 "out of memory (or a record of topic %s "
                                 "the task was not given)",
                                 rd_kafka_topic_name(m->rkt));
                        return RDCP_ERR_FATAL;
                }
                if (p->revoking)
                        continue; /* its next owner reads it */
                rdcp_source_record_t *r = &t->recs[out++];
                memset(r, 0, sizeof(*r));
                r->topic = tp->target;
                r->partition = tp->keyed ? -1 : m->partition;
                rd_kafka_timestamp_type_t tstype;
                r->timestamp = rd_kafka_message_timestamp(m, &tstype);
                bytes_data(&r->key, m->key, m->key_len);
                bytes_data(&r->value, m->payload, m->len);
                rd_kafka_headers_t *hs = NULL;
                if (!rd_kafka_message_headers(m, &hs)) {
                        size_t hc = rd_kafka_header_cnt(hs);
                        r->headers = &t->hdrs[hdr_used];
                        r->header_cnt = (int32_t)hc;
                        for (size_t k = 0; k < hc; k++) {
                                rdcp_header_t *hd = &t->hdrs[hdr_used++];
                                const void *val;
                                size_t size;
                                memset(hd, 0, sizeof(*hd));
                                rd_kafka_header_get_all(hs, k, &hd->key, &val,
                                                        &size);
                                hd->value = val;
                                hd->value_len = val ? size : 0;
                        }
                }
                t->rec_part[out - 1] = p;
                t->rec_off[out - 1] = m->offset;
                if (!t->group_mode)
                        r->source_partition = p->src_json;
                if (t->group_mode || t->syncs.enabled) {
                        uint64_t seq;
                        if (ring_push(h, p, m->offset, &seq)) {
                                snprintf(errstr, errstr_size, "out of memory");
                                return RDCP_ERR_NOMEM;
                        }
                        r->ack_opaque = ack_encode(p->idx, seq);
                }
        }
        /* The offset of each partition on its last record of the batch
         * (the host keeps the last one per partition). Group mode keeps
         * its offsets in the source's group instead. */
        for (size_t i = out; !t->group_mode && i-- > 0;) {
                msrc_part_t *p = t->rec_part[i];
                if (p->stamp == stamp)
                        continue;
                p->stamp = stamp;
                snprintf(p->off_json, sizeof(p->off_json),
                         "{\"offset\":%" PRId64 "}", t->rec_off[i]);
                t->recs[i].source_offset = p->off_json;
        }
        *cnt = out;
        return RDCP_OK;
}

/* ========================================================= descriptor */

static const rdcp_config_def_t msrc_config_defs[] = {
        MIRROR_DEF_ALIASES,
        {.name = "source.cluster.bootstrap.servers",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .order = 3,
         .documentation = "The source cluster's bootstrap servers; every "
                          "source.cluster.<key> is a client setting of the "
                          "source cluster's clients"},
        {.name = "target.cluster.bootstrap.servers",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .order = 4,
         .documentation = "The target cluster's bootstrap servers (for "
                          "topic creation; records go through the worker's "
                          "producer, whose cluster must be this one)"},
        MIRROR_DEF_TOPICS(5),
        MIRROR_DEF_POLICY(7),
        {.name = "refresh.topics.enabled",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "true",
         .order = 9,
         .documentation = "Whether to periodically check for new topics "
                          "and partitions."},
        {.name = "refresh.topics.interval.seconds",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 1,
         .default_value = "600",
         .order = 10,
         .documentation = "Frequency of topic refresh."},
        {.name = "replication.factor",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .order = 11,
         .documentation = "Replication factor for newly created remote "
                          "topics (unset: the target broker's default; "
                          "Kafka's default is 2)"},
        {.name = MSRC_GROUP_KEY,
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .order = 12,
         .documentation = "rdconnect: when set, tasks join this consumer "
                          "group on the source and commit there the offsets "
                          "of the records the target acknowledged "
                          "(MirrorMaker 1's semantics, used by "
                          "connect-mirror-maker) instead of storing source "
                          "offsets in the worker"},
        {.name = MSRC_COMMIT_KEY,
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 1,
         .default_value = "60000",
         .order = 13,
         .documentation = "rdconnect: how often the group mode commits "
                          "acknowledged offsets on the source (MirrorMaker "
                          "1's offset.commit.interval.ms)"},
};

static const char *const msrc_aliases[] = {"MirrorSourceConnector",
                                           "MirrorSource", NULL};

static const rdcp_connector_vtable_t msrc_connector_vtable = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        .create = msrc_conn_create,
        .task_configs = msrc_conn_task_configs,
        .destroy = msrc_conn_destroy,
        .validate = msrc_conn_validate,
};

static const rdcp_source_task_vtable_t msrc_task_vtable = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = msrc_task_create,
        .poll = msrc_task_poll,
        .destroy = msrc_task_destroy,
        .commit_record = msrc_task_commit_record,
        .commit = msrc_task_commit,
};

static const rdcp_descriptor_t msrc_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_SOURCE,
        .class_name = MSRC_CLASS,
        .aliases = msrc_aliases,
        .version = "0.1.0",
        .description = "Copies topics from a source Kafka cluster to the "
                       "worker's (target) cluster, as MirrorMaker 2",
        .config_defs = msrc_config_defs,
        .config_def_cnt =
                sizeof(msrc_config_defs) / sizeof(msrc_config_defs[0]),
        .connector = &msrc_connector_vtable,
        .source_task = &msrc_task_vtable,
};

RDCP_PLUGIN_ENTRY(msrc_descriptor)
