/*
 * mirror-checkpoint: Kafka's MirrorCheckpointConnector on the rdconnect
 * plugin ABI. Its tasks read the offset syncs that MirrorSourceConnector
 * writes (mm2-offset-syncs.<target>.internal, on the cluster
 * offset-syncs.topic.location names), fetch the committed offsets of the
 * source's consumer groups (groups, groups.exclude) and write, every
 * emit.checkpoints.interval.seconds, a Checkpoint for each partition whose
 * offset translates into <source>.checkpoints.internal on the worker's
 * Kafka (the target), in Kafka's record format (Checkpoint.java):
 *   key   {group STRING, topic STRING, partition INT32}
 *   value {version INT16 = 0} {upstreamOffset INT64, offset INT64,
 *          metadata STRING}
 * The topic is the target's name of the partition's topic. With
 * sync.group.offsets.enabled, every sync.group.offsets.interval.seconds the
 * translated offsets are committed into the group on the target, only
 * forwards and only where the group is not active there.
 *
 * Translation is Kafka's OffsetSyncStore.translateDownstream: nothing
 * before the syncs topic was read to its end once; the newest sync at or
 * before the group's offset gives its downstream offset when the two are
 * equal, else that plus one (the group is somewhere after the synced
 * record, and the next downstream offset is the furthest that is certain);
 * a group before every sync kept is not translated. So a translated offset
 * is never ahead of what was mirrored.
 *
 * Groups: each task lists the source's groups (ListConsumerGroups) every
 * refresh.groups.interval.seconds and takes those whose name hashes to its
 * index, so no reconfiguration is needed when groups come and go. Where
 * the broker has no ListGroups (librdkafka's mock), the names in groups
 * that are not patterns are taken as they are.
 */
#define _GNU_SOURCE
#include "mirror_common.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define MCP_CLASS     MIRROR_PKG "MirrorCheckpointConnector"
#define MCP_SYNCS     64 /* kept per partition */
#define MCP_BATCH     1024
#define MCP_COUNT_KEY "rdconnect.task.count"

typedef struct mcp_settings {
        int emit, sync, refresh;
        int64_t emit_ms, sync_ms, refresh_ms;
} mcp_settings_t;

static rdcp_err_t mcp_settings(const rdcp_host_t *host,
                               const rdcp_config_t *cfg, mcp_settings_t *s,
                               char *errstr, size_t errstr_size) {
        static const struct {
                const char *on, *secs;
                int on_def;
                int64_t secs_def;
        } keys[] = {
                {"emit.checkpoints.enabled",
                 "emit.checkpoints.interval.seconds", 1, 60},
                {"sync.group.offsets.enabled",
                 "sync.group.offsets.interval.seconds", 0, 60},
                {"refresh.groups.enabled", "refresh.groups.interval.seconds", 1,
                 600},
        };
        int *on[] = {&s->emit, &s->sync, &s->refresh};
        int64_t *ms[] = {&s->emit_ms, &s->sync_ms, &s->refresh_ms};
        for (size_t i = 0; i < 3; i++) {
                int64_t secs;
                *on[i] = mirror_cfg_bool(host, cfg, keys[i].on, keys[i].on_def,
                                         errstr, errstr_size);
                if (*on[i] < 0 ||
                    mirror_cfg_int64(host, cfg, keys[i].secs, keys[i].secs_def,
                                     &secs, errstr, errstr_size))
                        return RDCP_ERR_CONFIG;
                /* Kafka: a negative interval turns the feature off. */
                if (secs < 0)
                        *on[i] = 0;
                if (secs == 0) {
                        snprintf(errstr, errstr_size,
                                 "Invalid value 0 for configuration %s: at "
                                 "least 1 (or negative: off)",
                                 keys[i].secs);
                        return RDCP_ERR_CONFIG;
                }
                *ms[i] = secs * 1000;
        }
        return RDCP_OK;
}

/* Where the offset syncs are, as the source connector writes them. */
static rdcp_err_t mcp_syncs_topic(const rdcp_host_t *host,
                                  const rdcp_config_t *cfg,
                                  const mirror_policy_t *p, const char **side,
                                  char *topic, size_t size, char *errstr,
                                  size_t errstr_size) {
        const char *loc = host->config_get(cfg, "offset-syncs.topic.location");
        if (!loc || !strcmp(loc, "source"))
                *side = "source";
        else if (!strcmp(loc, "target"))
                *side = "target";
        else {
                snprintf(errstr, errstr_size,
                         "Invalid value %s for configuration "
                         "offset-syncs.topic.location: String must be one "
                         "of: source, target",
                         loc);
                return RDCP_ERR_CONFIG;
        }
        if (mirror_policy_offset_syncs_topic(
                    p, **side == 's' ? p->target_alias : p->source_alias, topic,
                    size)) {
                snprintf(errstr, errstr_size, "cluster alias too long");
                return RDCP_ERR_CONFIG;
        }
        return RDCP_OK;
}

/* ========================================================== connector */

typedef struct mcp_conn {
        const rdcp_ctx_t *ctx; /* first two: a mirror_owner_t */
        const rdcp_host_t *host;
        mcp_settings_t set;
} mcp_conn_t;

static void mcp_conn_destroy(void *opaque) {
        mcp_conn_t *c = opaque;
        if (c)
                c->host->free(c);
}

/* Every key's check, for validate() and create(). */
static rdcp_err_t mcp_check(const rdcp_host_t *host, const rdcp_config_t *cfg,
                            mcp_settings_t *set, const char **bad_key,
                            char *errstr, size_t errstr_size) {
        mirror_policy_t p;
        mirror_filter_t f;
        const char *side;
        char topic[512];
        *bad_key = "emit.checkpoints.enabled";
        if (mcp_settings(host, cfg, set, errstr, errstr_size))
                return RDCP_ERR_CONFIG;
        *bad_key = "replication.policy.class";
        if (mirror_policy_init(host, cfg, &p, errstr, errstr_size))
                return RDCP_ERR_CONFIG;
        *bad_key = "offset-syncs.topic.location";
        if (mcp_syncs_topic(host, cfg, &p, &side, topic, sizeof(topic), errstr,
                            errstr_size))
                return RDCP_ERR_CONFIG;
        *bad_key = "topics";
        if (mirror_filter_init(host, cfg, &f, errstr, errstr_size))
                return RDCP_ERR_CONFIG;
        mirror_filter_free(&f);
        *bad_key = "groups";
        if (mirror_filter_init_keys(host, cfg, "groups", MIRROR_GROUPS_DEFAULT,
                                    "groups.exclude",
                                    MIRROR_GROUPS_EXCLUDE_DEFAULT, &f, errstr,
                                    errstr_size))
                return RDCP_ERR_CONFIG;
        mirror_filter_free(&f);
        return RDCP_OK;
}

static rdcp_err_t mcp_conn_create(const rdcp_ctx_t *ctx,
                                  const rdcp_host_t *host,
                                  const rdcp_config_t *cfg, void **connp,
                                  char *errstr, size_t errstr_size) {
        mcp_conn_t *c = host->malloc(sizeof(*c));
        if (!c) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        memset(c, 0, sizeof(*c));
        c->ctx = ctx;
        c->host = host;
        const char *bad;
        mirror_policy_t p;
        rdcp_err_t err =
                mcp_check(host, cfg, &c->set, &bad, errstr, errstr_size);
        if (!err && c->set.emit)
                err = mirror_policy_init(host, cfg, &p, errstr, errstr_size);
        if (!err && c->set.emit) {
                rd_kafka_t *src =
                        mirror_admin_new((const mirror_owner_t *)c, cfg,
                                         "source", errstr, errstr_size);
                rd_kafka_t *tgt =
                        src ? mirror_admin_new((const mirror_owner_t *)c, cfg,
                                               "target", errstr, errstr_size)
                            : NULL;
                char topic[512];
                err = tgt ? mirror_check_distinct(src, tgt, errstr, errstr_size)
                          : RDCP_ERR_CONFIG;
                if (!err &&
                    mirror_policy_checkpoints_topic(&p, topic, sizeof(topic)))
                        err = RDCP_ERR_CONFIG;
                if (!err)
                        err = mirror_ensure_internal_topic(
                                host, ctx, cfg, tgt, topic,
                                "checkpoints.topic.replication.factor", errstr,
                                errstr_size);
                if (tgt)
                        rd_kafka_destroy(tgt);
                if (src)
                        rd_kafka_destroy(src);
        }
        if (err) {
                mcp_conn_destroy(c);
                return err;
        }
        *connp = c;
        return RDCP_OK;
}

static rdcp_err_t mcp_conn_task_configs(void *opaque, uint32_t max_tasks,
                                        rdcp_config_t *const *task_cfgs,
                                        uint32_t *task_cnt, char *errstr,
                                        size_t errstr_size) {
        mcp_conn_t *c = opaque;
        /* As Kafka: checkpoints off, no task (and no group offset sync). */
        uint32_t n = c->set.emit ? max_tasks : 0;
        char count[16];
        snprintf(count, sizeof(count), "%u", n);
        for (uint32_t i = 0; i < n; i++)
                if (c->host->config_set(task_cfgs[i], MCP_COUNT_KEY, count)) {
                        snprintf(errstr, errstr_size, "out of memory");
                        return RDCP_ERR_NOMEM;
                }
        *task_cnt = n;
        return RDCP_OK;
}

static uint32_t mcp_conn_validate(const rdcp_host_t *host,
                                  const rdcp_config_t *cfg,
                                  void (*report)(void *opaque, const char *key,
                                                 const char *message),
                                  void *opaque) {
        char errstr[512];
        mcp_settings_t set;
        const char *bad;
        if (!mcp_check(host, cfg, &set, &bad, errstr, sizeof(errstr)))
                return 0;
        /* Name the key the message is about. */
        static const char *const keys[] = {
                "emit.checkpoints.interval.seconds",
                "emit.checkpoints.enabled",
                "sync.group.offsets.interval.seconds",
                "sync.group.offsets.enabled",
                "refresh.groups.interval.seconds",
                "refresh.groups.enabled",
                "topics.exclude",
                "groups.exclude",
                NULL};
        for (const char *const *k = keys; *k; k++)
                if (strstr(errstr, *k)) {
                        bad = *k;
                        break;
                }
        report(opaque, bad, errstr);
        return 1;
}

/* =============================================================== task */

typedef struct mcp_sync {
        int64_t up, down;
} mcp_sync_t;

/* The syncs of one source partition, oldest first. */
typedef struct mcp_tp {
        char *topic;
        int32_t partition;
        mcp_sync_t syncs[MCP_SYNCS];
        int n;
} mcp_tp_t;

/* The last checkpoint emitted for a group's partition. */
typedef struct mcp_cp {
        char *group, *topic; /**< source topic */
        int32_t partition;
        int64_t up, down;
        char *metadata;
} mcp_cp_t;

typedef struct mcp_task {
        const rdcp_ctx_t *ctx; /* first two: a mirror_owner_t */
        const rdcp_host_t *host;
        const rdcp_config_t *cfg;
        mirror_policy_t policy;
        mirror_filter_t topics, groups_filter;
        mcp_settings_t set;
        int32_t index, count;
        rd_kafka_t *syncs_rk, *src, *tgt;
        rd_kafka_queue_t *queue;
        int efd;
        char syncs_topic[512], cp_topic[512];
        int read_to_end;
        mcp_tp_t **tps;
        size_t tp_cnt, tp_cap;
        char **groups;
        size_t group_cnt;
        int listed_once, no_list;
        int64_t next_refresh, next_emit, next_sync;
        mcp_cp_t *cps;
        size_t cp_cnt, cp_cap;
        rdcp_source_record_t *recs;
        void **owned; /**< one block per record, freed at the next poll */
        size_t rec_cnt, rec_cap;
        rd_kafka_message_t *msgs[MCP_BATCH];
} mcp_task_t;

static int64_t mono(const mcp_task_t *t) {
        return t->host->time_ms(1);
}

static int owner_asked_stop(const mcp_task_t *t) {
        return t->host->should_stop(t->ctx);
}

static mcp_tp_t *tp_find(mcp_task_t *t, const char *topic, int32_t part,
                         int add) {
        for (size_t i = 0; i < t->tp_cnt; i++)
                if (t->tps[i]->partition == part &&
                    !strcmp(t->tps[i]->topic, topic))
                        return t->tps[i];
        if (!add)
                return NULL;
        const rdcp_host_t *h = t->host;
        if (t->tp_cnt == t->tp_cap) {
                size_t cap = t->tp_cap ? t->tp_cap * 2 : 16;
                mcp_tp_t **grown = h->realloc(t->tps, cap * sizeof(*grown));
                if (!grown)
                        return NULL;
                t->tps = grown;
                t->tp_cap = cap;
        }
        mcp_tp_t *tp = h->malloc(sizeof(*tp));
        if (!tp)
                return NULL;
        memset(tp, 0, sizeof(*tp));
        tp->partition = part;
        if (!(tp->topic = mirror_strdup(h, topic))) {
                h->free(tp);
                return NULL;
        }
        t->tps[t->tp_cnt++] = tp;
        return tp;
}

/* Keeps a sync: appended in order; a sync behind the newest (the source
 * connector restarted from older offsets, or the target was truncated)
 * starts the partition's history again. When full, every other one of the
 * older half goes, so that old offsets stay translatable, more coarsely. */
static void sync_store(mcp_tp_t *tp, int64_t up, int64_t down) {
        if (tp->n &&
            (up < tp->syncs[tp->n - 1].up || down < tp->syncs[tp->n - 1].down))
                tp->n = 0;
        if (tp->n && up == tp->syncs[tp->n - 1].up) {
                tp->syncs[tp->n - 1].down = down;
                return;
        }
        if (tp->n == MCP_SYNCS) {
                int o = 0;
                for (int i = 0; i < MCP_SYNCS; i++)
                        if (i >= MCP_SYNCS / 2 || i % 2 == 0)
                                tp->syncs[o++] = tp->syncs[i];
                tp->n = o;
        }
        tp->syncs[tp->n].up = up;
        tp->syncs[tp->n].down = down;
        tp->n++;
}

/* Kafka's translateDownstream. @returns the downstream offset, -1 when the
 * group is before every sync kept, -2 when there is no sync. */
static int64_t translate(const mcp_tp_t *tp, int64_t up) {
        if (!tp || !tp->n)
                return -2;
        for (int i = tp->n; i-- > 0;)
                if (tp->syncs[i].up <= up)
                        return tp->syncs[i].down +
                               (tp->syncs[i].up == up ? 0 : 1);
        return -1;
}

/* Reads what the syncs topic has now. */
static void syncs_read(mcp_task_t *t) {
        ssize_t n =
                rd_kafka_consume_batch_queue(t->queue, 0, t->msgs, MCP_BATCH);
        for (ssize_t i = 0; i < n; i++) {
                rd_kafka_message_t *m = t->msgs[i];
                mirror_offset_sync_t s;
                if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                        t->read_to_end = 1;
                else if (m->err)
                        t->host->log(t->ctx, RDCP_LOG_WARN,
                                     "Reading offset syncs from %s: %s",
                                     t->syncs_topic,
                                     rd_kafka_message_errstr(m));
                else if (mirror_offset_sync_decode(m->key, m->key_len,
                                                   m->payload, m->len, &s))
                        t->host->log(t->ctx, RDCP_LOG_WARN,
                                     "Skipping a record of %s at offset "
                                     "%" PRId64 " that is not an offset sync",
                                     t->syncs_topic, m->offset);
                else {
                        mcp_tp_t *tp = tp_find(t, s.topic, s.partition, 1);
                        if (tp)
                                sync_store(tp, s.upstream, s.downstream);
                }
                rd_kafka_message_destroy(m);
        }
}

/* ------------------------------------------------------------ groups */

static uint32_t name_hash(const char *s) {
        uint32_t h = 2166136261u;
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 16777619u;
        return h;
}

static void groups_clear(mcp_task_t *t) {
        for (size_t i = 0; i < t->group_cnt; i++)
                t->host->free(t->groups[i]);
        t->host->free(t->groups);
        t->groups = NULL;
        t->group_cnt = 0;
}

static void group_add(mcp_task_t *t, const char *name, size_t len) {
        char buf[512];
        if (!len || len >= sizeof(buf))
                return;
        memcpy(buf, name, len);
        buf[len] = '\0';
        if (!mirror_filter_match(&t->groups_filter, buf) ||
            name_hash(buf) % (uint32_t)t->count != (uint32_t)t->index)
                return;
        for (size_t i = 0; i < t->group_cnt; i++)
                if (!strcmp(t->groups[i], buf))
                        return;
        char **grown = t->host->realloc(t->groups,
                                        (t->group_cnt + 1) * sizeof(*grown));
        if (!grown)
                return;
        t->groups = grown;
        if ((grown[t->group_cnt] = mirror_strdup(t->host, buf)))
                t->group_cnt++;
}

/* Calls fn for each entry of groups that is a name, not a pattern.
 * @returns the number of entries that are patterns. */
static size_t groups_literal(mcp_task_t *t,
                             void (*fn)(mcp_task_t *, const char *, size_t)) {
        const char *list = t->host->config_get(t->cfg, "groups");
        size_t patterns = 0;
        if (!list)
                return 1; /* the default, .* */
        for (const char *s = list; *s;) {
                while (*s == ' ' || *s == ',')
                        s++;
                size_t len = strcspn(s, ",");
                size_t end = len;
                while (end && s[end - 1] == ' ')
                        end--;
                if (strcspn(s, ".*+?[](){}|^$\\") < end)
                        patterns++;
                else if (end && fn)
                        fn(t, s, end);
                s += len;
        }
        return patterns;
}

/* The groups of the source this task checkpoints: with only names in
 * groups, those (a group without offsets gives no checkpoint); else the
 * source's groups that match. */
static void groups_refresh(mcp_task_t *t) {
        groups_clear(t);
        if (!t->no_list && !groups_literal(t, NULL))
                t->no_list = 1;
        else if (!t->no_list) {
                rd_kafka_queue_t *q = rd_kafka_queue_new(t->src);
                rd_kafka_ListConsumerGroups(t->src, NULL, q);
                rd_kafka_event_t *ev =
                        mirror_admin_wait(t->src, q, MIRROR_ADMIN_TIMEOUT_MS);
                const rd_kafka_ListConsumerGroups_result_t *res =
                        ev ? rd_kafka_event_ListConsumerGroups_result(ev)
                           : NULL;
                size_t cnt = 0, ecnt = 0;
                const rd_kafka_ConsumerGroupListing_t **l =
                        res ? rd_kafka_ListConsumerGroups_result_valid(res,
                                                                       &cnt)
                            : NULL;
                if (res)
                        rd_kafka_ListConsumerGroups_result_errors(res, &ecnt);
                if (!res || rd_kafka_event_error(ev) || (ecnt && !cnt)) {
                        t->no_list = 1;
                        t->host->log(
                                t->ctx, RDCP_LOG_WARN,
                                "Cannot list the source cluster's consumer "
                                "groups (%s): checkpointing the names in "
                                "groups that are not patterns",
                                ev && rd_kafka_event_error(ev)
                                        ? rd_kafka_event_error_string(ev)
                                        : "no ListGroups");
                } else
                        for (size_t i = 0; i < cnt; i++) {
                                const char *g =
                                        rd_kafka_ConsumerGroupListing_group_id(
                                                l[i]);
                                group_add(t, g, strlen(g));
                        }
                if (ev)
                        rd_kafka_event_destroy(ev);
                rd_kafka_queue_destroy(q);
        }
        if (t->no_list)
                groups_literal(t, group_add);
        t->listed_once = 1;
}

/* ------------------------------------------------------- checkpoints */

static mcp_cp_t *cp_find(mcp_task_t *t, const char *group, const char *topic,
                         int32_t part) {
        for (size_t i = 0; i < t->cp_cnt; i++)
                if (t->cps[i].partition == part &&
                    !strcmp(t->cps[i].topic, topic) &&
                    !strcmp(t->cps[i].group, group))
                        return &t->cps[i];
        if (t->cp_cnt == t->cp_cap) {
                size_t cap = t->cp_cap ? t->cp_cap * 2 : 16;
                mcp_cp_t *grown =
                        t->host->realloc(t->cps, cap * sizeof(*grown));
                if (!grown)
                        return NULL;
                t->cps = grown;
                t->cp_cap = cap;
        }
        mcp_cp_t *cp = &t->cps[t->cp_cnt];
        memset(cp, 0, sizeof(*cp));
        cp->group = mirror_strdup(t->host, group);
        cp->topic = mirror_strdup(t->host, topic);
        if (!cp->group || !cp->topic) {
                t->host->free(cp->group);
                t->host->free(cp->topic);
                return NULL;
        }
        cp->partition = part;
        cp->up = cp->down = -1;
        t->cp_cnt++;
        return cp;
}

static void outputs_free(mcp_task_t *t) {
        for (size_t i = 0; i < t->rec_cnt; i++)
                t->host->free(t->owned[i]);
        t->rec_cnt = 0;
}

/* Adds the Checkpoint record of cp (renamed: the target's topic name). */
static void checkpoint_record(mcp_task_t *t, const mcp_cp_t *cp,
                              const char *renamed, int64_t now) {
        const rdcp_host_t *h = t->host;
        if (t->rec_cnt == t->rec_cap) {
                size_t cap = t->rec_cap ? t->rec_cap * 2 : 64;
                rdcp_source_record_t *recs =
                        h->realloc(t->recs, cap * sizeof(*recs));
                if (recs)
                        t->recs = recs;
                void **owned = recs ? h->realloc(t->owned, cap * sizeof(*owned))
                                    : NULL;
                if (!owned)
                        return;
                t->owned = owned;
                t->rec_cap = cap;
        }
        const char *meta = cp->metadata ? cp->metadata : "";
        size_t klen = 2 + strlen(cp->group) + 2 + strlen(renamed) + 4;
        size_t vlen = 2 + 8 + 8 + 2 + strlen(meta);
        size_t jlen = 2 * strlen(cp->group) + 2 * strlen(renamed) + 96;
        uint8_t *block = h->malloc(klen + vlen + jlen);
        if (!block)
                return;
        mirror_enc_t k = {.buf = block, .size = klen};
        mirror_enc_str(&k, cp->group);
        mirror_enc_str(&k, renamed);
        mirror_enc_i32(&k, cp->partition);
        mirror_enc_t v = {.buf = block + klen, .size = vlen};
        mirror_enc_i16(&v, 0); /* Checkpoint.VERSION */
        mirror_enc_i64(&v, cp->up);
        mirror_enc_i64(&v, cp->down);
        mirror_enc_str(&v, meta);
        char *json = (char *)block + klen + vlen;
        char g[1100], tp[1100];
        mirror_json_escape(cp->group, g, sizeof(g));
        mirror_json_escape(renamed, tp, sizeof(tp));
        snprintf(json, jlen,
                 "{\"group\":\"%s\",\"partition\":%d,"
                 "\"topic\":\"%s\"}",
                 g, cp->partition, tp);
        if (k.over || v.over) {
                h->free(block);
                return;
        }
        rdcp_source_record_t *r = &t->recs[t->rec_cnt];
        memset(r, 0, sizeof(*r));
        r->topic = t->cp_topic;
        r->partition = 0;
        r->timestamp = now;
        r->key.kind = RDCP_DATA_BYTES;
        r->key.u.bytes.ptr = block;
        r->key.u.bytes.len = k.len;
        r->value.kind = RDCP_DATA_BYTES;
        r->value.u.bytes.ptr = block + klen;
        r->value.u.bytes.len = v.len;
        r->source_partition = json;
        r->source_offset = "{\"offset\":0}";
        t->owned[t->rec_cnt++] = block;
}

/* A client of side's cluster in group (never joined: it only fetches and
 * commits offsets, as Kafka's admin client does). */
static rd_kafka_t *group_client(mcp_task_t *t, const char *side,
                                const char *group) {
        char errstr[512];
        const char *const defaults[] = {"enable.auto.commit", "false",
                                        "group.id", group, NULL};
        rd_kafka_t *rk = mirror_side_client(
                (const mirror_owner_t *)t, t->cfg, side, "admin",
                RD_KAFKA_CONSUMER, defaults, NULL, errstr, sizeof(errstr));
        if (!rk)
                t->host->log(t->ctx, RDCP_LOG_WARN,
                             "Cannot make a client of consumer group %s: %s",
                             group, errstr);
        return rk;
}

/* Fills parts with group's committed offsets on side's cluster (explicit
 * partitions: OffsetFetch for all of a group's is not in every broker, nor
 * in librdkafka's mock). @returns 0, or -1 after logging why. */
static int group_offsets(mcp_task_t *t, const char *side, const char *group,
                         rd_kafka_topic_partition_list_t *parts) {
        rd_kafka_t *rk = group_client(t, side, group);
        if (!rk)
                return -1;
        rd_kafka_resp_err_t err =
                rd_kafka_committed(rk, parts, MIRROR_CREATE_TIMEOUT_MS);
        if (err)
                t->host->log(t->ctx, RDCP_LOG_WARN,
                             "Cannot fetch the offsets of consumer group %s "
                             "on the %s cluster: %s",
                             group, side, rd_kafka_err2str(err));
        rd_kafka_destroy(rk);
        return err ? -1 : 0;
}

/* Kafka's sourceRecordsForGroup: a checkpoint for each partition of group
 * whose offset translates and is newer than the last one emitted. */
static void checkpoints_for_group(mcp_task_t *t, const char *group,
                                  int64_t now) {
        rd_kafka_topic_partition_list_t *parts =
                rd_kafka_topic_partition_list_new((int)t->tp_cnt + 1);
        for (size_t i = 0; i < t->tp_cnt; i++)
                if (mirror_filter_match(&t->topics, t->tps[i]->topic))
                        rd_kafka_topic_partition_list_add(
                                parts, t->tps[i]->topic, t->tps[i]->partition);
        rd_kafka_topic_partition_list_t *got =
                parts->cnt && !group_offsets(t, "source", group, parts) ? parts
                                                                        : NULL;
        for (int i = 0; got && i < got->cnt; i++) {
                const rd_kafka_topic_partition_t *o = &got->elems[i];
                if (o->err || o->offset < 0)
                        continue;
                int64_t down = translate(tp_find(t, o->topic, o->partition, 0),
                                         o->offset);
                if (down < 0)
                        continue;
                char renamed[512];
                if (mirror_policy_checkpoint_topic(&t->policy, o->topic,
                                                   renamed, sizeof(renamed)))
                        continue;
                mcp_cp_t *cp = cp_find(t, group, o->topic, o->partition);
                if (!cp)
                        continue;
                /* checkpointIsMoreRecent: the first one, an upstream
                 * rewind, or a downstream advance. */
                if (cp->up >= 0 && o->offset >= cp->up && down <= cp->down)
                        continue;
                cp->up = o->offset;
                cp->down = down;
                t->host->free(cp->metadata);
                cp->metadata = NULL;
                if (o->metadata && o->metadata_size) {
                        cp->metadata = t->host->malloc(o->metadata_size + 1);
                        if (cp->metadata) {
                                memcpy(cp->metadata, o->metadata,
                                       o->metadata_size);
                                cp->metadata[o->metadata_size] = '\0';
                        }
                }
                checkpoint_record(t, cp, renamed, now);
        }
        rd_kafka_topic_partition_list_destroy(parts);
}

/* ---------------------------------------------- group offsets sync */

/* Kafka's syncGroupOffset: the checkpoints of group committed into its
 * group on the target where that moves the group forwards. The commit is
 * made as a client outside the group (generation -1, no member id), which
 * a broker refuses for a group with members (UNKNOWN_MEMBER_ID), so a
 * group active on the target keeps its own offsets; Kafka asks
 * DescribeConsumerGroups first, whose failure on a broker without it
 * (librdkafka 2.0.2 against its mock) trips an assertion in librdkafka. */
static void sync_group(mcp_task_t *t, const char *group) {
        rd_kafka_topic_partition_list_t *want =
                rd_kafka_topic_partition_list_new(16);
        for (size_t i = 0; i < t->cp_cnt; i++) {
                const mcp_cp_t *cp = &t->cps[i];
                char renamed[512];
                if (strcmp(cp->group, group) || cp->down < 0 ||
                    mirror_policy_checkpoint_topic(&t->policy, cp->topic,
                                                   renamed, sizeof(renamed)))
                        continue;
                rd_kafka_topic_partition_t *p =
                        rd_kafka_topic_partition_list_add(want, renamed,
                                                          cp->partition);
                p->offset = cp->down;
                if (cp->metadata && *cp->metadata) {
                        p->metadata = strdup(cp->metadata);
                        p->metadata_size =
                                p->metadata ? strlen(cp->metadata) : 0;
                }
        }
        if (!want->cnt) {
                rd_kafka_topic_partition_list_destroy(want);
                return;
        }
        rd_kafka_topic_partition_list_t *have =
                rd_kafka_topic_partition_list_copy(want);
        if (group_offsets(t, "target", group, have)) {
                rd_kafka_topic_partition_list_destroy(have);
                rd_kafka_topic_partition_list_destroy(want);
                return;
        }
        rd_kafka_topic_partition_list_t *todo =
                rd_kafka_topic_partition_list_new(want->cnt);
        for (int i = 0; i < want->cnt; i++) {
                rd_kafka_topic_partition_t *w = &want->elems[i];
                rd_kafka_topic_partition_t *cur =
                        rd_kafka_topic_partition_list_find(have, w->topic,
                                                           w->partition);
                if (cur && !cur->err && cur->offset >= w->offset)
                        continue; /* never backwards */
                rd_kafka_topic_partition_t *p =
                        rd_kafka_topic_partition_list_add(todo, w->topic,
                                                          w->partition);
                p->offset = w->offset;
                if (w->metadata) {
                        p->metadata = malloc(w->metadata_size);
                        if (p->metadata)
                                memcpy(p->metadata, w->metadata,
                                       w->metadata_size);
                        p->metadata_size = p->metadata ? w->metadata_size : 0;
                }
        }
        rd_kafka_t *rk = todo->cnt ? group_client(t, "target", group) : NULL;
        if (rk) {
                rd_kafka_resp_err_t err = rd_kafka_commit(rk, todo, 0);
                for (int i = 0; !err && i < todo->cnt; i++)
                        err = todo->elems[i].err;
                if (err)
                        t->host->log(t->ctx, RDCP_LOG_INFO,
                                     "Consumer group %s not synced to the "
                                     "target cluster (active there?): %s",
                                     group, rd_kafka_err2str(err));
                else
                        t->host->log(t->ctx, RDCP_LOG_DEBUG,
                                     "Synced %d offset(s) of consumer group "
                                     "%s to the target cluster",
                                     todo->cnt, group);
                rd_kafka_destroy(rk);
        }
        rd_kafka_topic_partition_list_destroy(todo);
        rd_kafka_topic_partition_list_destroy(have);
        rd_kafka_topic_partition_list_destroy(want);
}

/* ------------------------------------------------------- task life */

static void mcp_task_destroy(void *opaque) {
        mcp_task_t *t = opaque;
        if (!t)
                return;
        const rdcp_host_t *h = t->host;
        outputs_free(t);
        if (t->queue) {
                rd_kafka_queue_io_event_enable(t->queue, -1, NULL, 0);
                rd_kafka_queue_destroy(t->queue);
        }
        if (t->syncs_rk) {
                rd_kafka_consumer_close(t->syncs_rk);
                rd_kafka_destroy(t->syncs_rk);
        }
        if (t->src)
                rd_kafka_destroy(t->src);
        if (t->tgt)
                rd_kafka_destroy(t->tgt);
        if (t->efd >= 0)
                close(t->efd);
        for (size_t i = 0; i < t->tp_cnt; i++) {
                h->free(t->tps[i]->topic);
                h->free(t->tps[i]);
        }
        for (size_t i = 0; i < t->cp_cnt; i++) {
                h->free(t->cps[i].group);
                h->free(t->cps[i].topic);
                h->free(t->cps[i].metadata);
        }
        groups_clear(t);
        mirror_filter_free(&t->topics);
        mirror_filter_free(&t->groups_filter);
        h->free(t->tps);
        h->free(t->cps);
        h->free(t->recs);
        h->free(t->owned);
        h->free(t);
}

static rdcp_err_t mcp_task_create(const rdcp_ctx_t *ctx,
                                  const rdcp_host_t *host,
                                  const rdcp_config_t *cfg, void **taskp,
                                  char *errstr, size_t errstr_size) {
        if (!RDCP_HOST_HAS(host, time_ms)) {
                snprintf(errstr, errstr_size, "needs an ABI 1.1 host");
                return RDCP_ERR_FATAL;
        }
        mcp_task_t *t = host->malloc(sizeof(*t));
        if (!t) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        memset(t, 0, sizeof(*t));
        t->ctx = ctx;
        t->host = host;
        t->cfg = cfg;
        t->efd = -1;
        int64_t count = 1;
        const char *side;
        rdcp_err_t err = RDCP_ERR_CONFIG;
        if (mcp_settings(host, cfg, &t->set, errstr, errstr_size) ||
            mirror_policy_init(host, cfg, &t->policy, errstr, errstr_size) ||
            mcp_syncs_topic(host, cfg, &t->policy, &side, t->syncs_topic,
                            sizeof(t->syncs_topic), errstr, errstr_size) ||
            mirror_policy_checkpoints_topic(&t->policy, t->cp_topic,
                                            sizeof(t->cp_topic)) ||
            mirror_cfg_int64(host, cfg, MCP_COUNT_KEY, 1, &count, errstr,
                             errstr_size)) {
                host->free(t);
                return RDCP_ERR_CONFIG;
        }
        if (mirror_filter_init(host, cfg, &t->topics, errstr, errstr_size)) {
                host->free(t);
                return RDCP_ERR_CONFIG;
        }
        if (mirror_filter_init_keys(host, cfg, "groups", MIRROR_GROUPS_DEFAULT,
                                    "groups.exclude",
                                    MIRROR_GROUPS_EXCLUDE_DEFAULT,
                                    &t->groups_filter, errstr, errstr_size)) {
                mirror_filter_free(&t->topics);
                host->free(t);
                return RDCP_ERR_CONFIG;
        }
        t->count = count > 0 ? (int32_t)count : 1;
        t->index = host->ctx_task_id(ctx);
        if (t->index < 0 || t->index >= t->count)
                t->index = 0;
        t->src = mirror_admin_new((const mirror_owner_t *)t, cfg, "source",
                                  errstr, errstr_size);
        t->tgt = t->src ? mirror_admin_new((const mirror_owner_t *)t, cfg,
                                           "target", errstr, errstr_size)
                        : NULL;
        if (!t->tgt)
                goto fail;
        char group[400];
        /* librdkafka assigns only with a group.id; never joined nor
         * committed. */
        snprintf(group, sizeof(group), "rdconnect-mirror-checkpoint-%s",
                 host->ctx_connector(ctx));
        const char *const defaults[] = {"enable.auto.commit",
                                        "false",
                                        "enable.partition.eof",
                                        "true",
                                        "allow.auto.create.topics",
                                        "false",
                                        "group.id",
                                        group,
                                        NULL};
        t->syncs_rk = mirror_side_client((const mirror_owner_t *)t, cfg, side,
                                         "consumer", RD_KAFKA_CONSUMER,
                                         defaults, NULL, errstr, errstr_size);
        if (!t->syncs_rk)
                goto fail;
        rd_kafka_poll_set_consumer(t->syncs_rk);
        t->queue = rd_kafka_queue_get_consumer(t->syncs_rk);
        t->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (t->efd < 0) {
                snprintf(errstr, errstr_size, "eventfd: %s", strerror(errno));
                goto fail;
        }
        static const uint64_t one = 1;
        rd_kafka_queue_io_event_enable(t->queue, t->efd, &one, sizeof(one));
        rd_kafka_topic_partition_list_t *tpl =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(tpl, t->syncs_topic, 0)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_resp_err_t kr = rd_kafka_assign(t->syncs_rk, tpl);
        rd_kafka_topic_partition_list_destroy(tpl);
        if (kr) {
                snprintf(errstr, errstr_size, "assign %s: %s", t->syncs_topic,
                         rd_kafka_err2str(kr));
                err = RDCP_ERR_FATAL;
                goto fail;
        }
        int64_t now = mono(t);
        /* As Kafka: the first checkpoints after one interval. */
        t->next_emit = now + t->set.emit_ms;
        t->next_sync = now + t->set.sync_ms;
        t->next_refresh = now;
        *taskp = t;
        return RDCP_OK;
fail:
        mcp_task_destroy(t);
        return err;
}

static rdcp_err_t mcp_task_poll(void *opaque,
                                const rdcp_source_record_t **records,
                                size_t *cnt, char *errstr, size_t errstr_size) {
        mcp_task_t *t = opaque;
        const rdcp_host_t *h = t->host;
        (void)errstr;
        (void)errstr_size;
        outputs_free(t);
        *cnt = 0;
        *records = t->recs;
        syncs_read(t);
        int64_t now = mono(t);
        if (t->set.refresh ? now >= t->next_refresh : !t->listed_once) {
                groups_refresh(t);
                t->next_refresh = mono(t) + t->set.refresh_ms;
        }
        if (t->read_to_end && now >= t->next_emit) {
                int64_t wall = h->time_ms(0);
                for (size_t i = 0; i < t->group_cnt && !owner_asked_stop(t);
                     i++)
                        checkpoints_for_group(t, t->groups[i], wall);
                t->next_emit = mono(t) + t->set.emit_ms;
        }
        if (t->set.sync && t->read_to_end && now >= t->next_sync) {
                for (size_t i = 0; i < t->group_cnt && !owner_asked_stop(t);
                     i++)
                        sync_group(t, t->groups[i]);
                t->next_sync = mono(t) + t->set.sync_ms;
        }
        if (t->rec_cnt) {
                *records = t->recs; /* may have moved */
                *cnt = t->rec_cnt;
                return RDCP_OK;
        }
        int64_t due = t->next_emit;
        if (t->set.sync && t->next_sync < due)
                due = t->next_sync;
        int64_t left = due - mono(t);
        if (left > 1000 || !t->read_to_end)
                left = 1000;
        if (left > 0) {
                h->wait(t->ctx, t->efd, POLLIN, (int32_t)left);
                uint64_t drain;
                if (read(t->efd, &drain, sizeof(drain)) < 0 && errno != EAGAIN)
                        (void)0;
        }
        return RDCP_OK;
}

/* ========================================================= descriptor */

#define MCP_BOOL(n, d, o, doc)                                                 \
        {                                                                      \
                .name = n, .type = RDCP_CFG_BOOLEAN,                           \
                .importance = RDCP_IMPORTANCE_LOW, .default_value = d,         \
                .order = o, .documentation = doc                               \
        }
#define MCP_SECS(n, d, o, doc)                                                 \
        {                                                                      \
                .name = n, .type = RDCP_CFG_LONG,                              \
                .importance = RDCP_IMPORTANCE_LOW, .default_value = d,         \
                .order = o, .documentation = doc                               \
        }

static const rdcp_config_def_t mcp_config_defs[] = {
        MIRROR_DEF_ALIASES,
        {.name = "source.cluster.bootstrap.servers",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .order = 3,
         .documentation = "The source cluster's bootstrap servers"},
        {.name = "target.cluster.bootstrap.servers",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .order = 4,
         .documentation = "The target cluster's bootstrap servers (records "
                          "go through the worker's producer, whose cluster "
                          "must be this one)"},
        {.name = "groups",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .default_value = MIRROR_GROUPS_DEFAULT,
         .order = 5,
         .documentation = "Consumer groups to replicate. Supports "
                          "comma-separated group IDs and regexes."},
        {.name = "groups.exclude",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .default_value = MIRROR_GROUPS_EXCLUDE_DEFAULT,
         .order = 6,
         .documentation = "Exclude groups. Supports comma-separated group "
                          "IDs and regexes. Excludes take precedence over "
                          "includes."},
        MIRROR_DEF_TOPICS(7),
        MCP_BOOL("emit.checkpoints.enabled", "true", 9,
                 "Whether to replicate consumer offsets to target cluster."),
        MCP_SECS("emit.checkpoints.interval.seconds", "60", 10,
                 "Frequency of checkpoints."),
        MCP_BOOL("sync.group.offsets.enabled", "false", 11,
                 "Whether to periodically write the translated offsets to "
                 "__consumer_offsets topic in target cluster, as long as no "
                 "active consumers in that group are connected to the "
                 "target cluster"),
        MCP_SECS("sync.group.offsets.interval.seconds", "60", 12,
                 "Frequency of consumer group offset sync."),
        MCP_BOOL("refresh.groups.enabled", "true", 13,
                 "Whether to periodically check for new consumer groups."),
        MCP_SECS("refresh.groups.interval.seconds", "600", 14,
                 "Frequency of group refresh."),
        {.name = "offset-syncs.topic.location",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "source",
         .order = 15,
         .documentation = "The location (source/target) of the offset-syncs "
                          "topic."},
        {.name = "checkpoints.topic.replication.factor",
         .type = RDCP_CFG_SHORT,
         .importance = RDCP_IMPORTANCE_LOW,
         .order = 16,
         .documentation = "Replication factor for checkpoints topic (unset: "
                          "the target broker's default; Kafka's is 3)"},
        MIRROR_DEF_POLICY(17),
};

static const char *const mcp_aliases[] = {"MirrorCheckpointConnector",
                                          "MirrorCheckpoint", NULL};

static const rdcp_connector_vtable_t mcp_connector_vtable = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        .create = mcp_conn_create,
        .task_configs = mcp_conn_task_configs,
        .destroy = mcp_conn_destroy,
        .validate = mcp_conn_validate,
};

static const rdcp_source_task_vtable_t mcp_task_vtable = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = mcp_task_create,
        .poll = mcp_task_poll,
        .destroy = mcp_task_destroy,
};

static const rdcp_descriptor_t mcp_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_SOURCE,
        .class_name = MCP_CLASS,
        .aliases = mcp_aliases,
        .version = "0.1.0",
        .description = "Translates the source's consumer group offsets into "
                       "checkpoints on the worker's (target) cluster, as "
                       "MirrorMaker 2",
        .config_defs = mcp_config_defs,
        .config_def_cnt = sizeof(mcp_config_defs) / sizeof(mcp_config_defs[0]),
        .connector = &mcp_connector_vtable,
        .source_task = &mcp_task_vtable,
};

RDCP_PLUGIN_ENTRY(mcp_descriptor)
