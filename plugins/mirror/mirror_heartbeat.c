/*
 * mirror-heartbeat: Kafka's MirrorHeartbeatConnector on the rdconnect
 * plugin ABI. Its one task writes a heartbeat into the topic "heartbeats"
 * of the worker's Kafka (the target) every emit.heartbeats.interval.seconds,
 * in Kafka's record format (connect/mirror-client Heartbeat.java):
 *   key   {sourceClusterAlias STRING, targetClusterAlias STRING}
 *   value {version INT16 = 0} {timestamp INT64}
 * partition 0, the record's timestamp the heartbeat's. Source partition
 * {"sourceClusterAlias","targetClusterAlias"}, offset {"offset":0}, as
 * Kafka's. A MirrorSourceConnector from this cluster onwards copies the
 * topic as <alias>.heartbeats (whatever its topic filter says), so that
 * the heartbeats show how far a replication path reaches.
 * emit.heartbeats.enabled=false: no task. The connector creates the topic
 * (one partition, compacted) on the target at start, as Kafka's.
 */
#define _GNU_SOURCE
#include "mirror_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MHB_CLASS MIRROR_PKG "MirrorHeartbeatConnector"

typedef struct mhb_conn {
        const rdcp_ctx_t *ctx; /* first two: a mirror_owner_t */
        const rdcp_host_t *host;
        int enabled;
} mhb_conn_t;

/* emit.heartbeats.enabled and the interval, checked. */
static rdcp_err_t mhb_settings(const rdcp_host_t *host,
                               const rdcp_config_t *cfg, int *enabled,
                               int64_t *interval_ms, char *errstr,
                               size_t errstr_size) {
        int64_t secs;
        *enabled = mirror_cfg_bool(host, cfg, "emit.heartbeats.enabled", 1,
                                   errstr, errstr_size);
        if (*enabled < 0 ||
            mirror_cfg_int64(host, cfg, "emit.heartbeats.interval.seconds", 1,
                             &secs, errstr, errstr_size))
                return RDCP_ERR_CONFIG;
        /* Kafka: a negative interval turns heartbeats off. */
        if (secs < 0)
                *enabled = 0;
        if (secs == 0) {
                snprintf(errstr, errstr_size,
                         "Invalid value 0 for configuration "
                         "emit.heartbeats.interval.seconds: at least 1 (or "
                         "negative: off)");
                return RDCP_ERR_CONFIG;
        }
        *interval_ms = secs * 1000;
        return RDCP_OK;
}

static void mhb_conn_destroy(void *opaque) {
        mhb_conn_t *c = opaque;
        if (c)
                c->host->free(c);
}

static rdcp_err_t mhb_conn_create(const rdcp_ctx_t *ctx,
                                  const rdcp_host_t *host,
                                  const rdcp_config_t *cfg, void **connp,
                                  char *errstr, size_t errstr_size) {
        mhb_conn_t *c = host->malloc(sizeof(*c));
        if (!c) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        memset(c, 0, sizeof(*c));
        c->ctx = ctx;
        c->host = host;
        int64_t interval;
        rdcp_err_t err = mhb_settings(host, cfg, &c->enabled, &interval, errstr,
                                      errstr_size);
        if (!err && c->enabled) {
                rd_kafka_t *tgt =
                        mirror_admin_new((const mirror_owner_t *)c, cfg,
                                         "target", errstr, errstr_size);
                if (!tgt)
                        err = RDCP_ERR_CONFIG;
                else {
                        err = mirror_ensure_internal_topic(
                                host, ctx, cfg, tgt, MIRROR_HEARTBEATS_TOPIC,
                                "heartbeats.topic.replication.factor", errstr,
                                errstr_size);
                        rd_kafka_destroy(tgt);
                }
        }
        if (err) {
                mhb_conn_destroy(c);
                return err;
        }
        *connp = c;
        return RDCP_OK;
}

static rdcp_err_t mhb_conn_task_configs(void *opaque, uint32_t max_tasks,
                                        rdcp_config_t *const *task_cfgs,
                                        uint32_t *task_cnt, char *errstr,
                                        size_t errstr_size) {
        mhb_conn_t *c = opaque;
        (void)task_cfgs;
        (void)errstr;
        (void)errstr_size;
        /* One task, whatever tasks.max says (as Kafka). */
        *task_cnt = c->enabled && max_tasks > 0 ? 1 : 0;
        return RDCP_OK;
}

static uint32_t mhb_conn_validate(const rdcp_host_t *host,
                                  const rdcp_config_t *cfg,
                                  void (*report)(void *opaque, const char *key,
                                                 const char *message),
                                  void *opaque) {
        char errstr[512];
        int enabled;
        int64_t interval;
        mirror_policy_t p;
        uint32_t cnt = 0;
        if (mhb_settings(host, cfg, &enabled, &interval, errstr,
                         sizeof(errstr))) {
                report(opaque,
                       strstr(errstr, "interval") ? "emit.heartbeats."
                                                    "interval.seconds"
                                                  : "emit.heartbeats.enabled",
                       errstr);
                cnt++;
        }
        if (mirror_policy_init(host, cfg, &p, errstr, sizeof(errstr))) {
                report(opaque, "source.cluster.alias", errstr);
                cnt++;
        }
        return cnt;
}

/* =============================================================== task */

typedef struct mhb_task {
        const rdcp_ctx_t *ctx;
        const rdcp_host_t *host;
        int64_t interval_ms, next_ms;
        rdcp_source_record_t rec;
        uint8_t key[600], value[16];
        char part_json[700];
} mhb_task_t;

static void mhb_task_destroy(void *opaque) {
        mhb_task_t *t = opaque;
        if (t)
                t->host->free(t);
}

static rdcp_err_t mhb_task_create(const rdcp_ctx_t *ctx,
                                  const rdcp_host_t *host,
                                  const rdcp_config_t *cfg, void **taskp,
                                  char *errstr, size_t errstr_size) {
        if (!RDCP_HOST_HAS(host, time_ms)) {
                snprintf(errstr, errstr_size, "needs an ABI 1.1 host");
                return RDCP_ERR_FATAL;
        }
        mirror_policy_t p;
        int enabled;
        int64_t interval;
        rdcp_err_t err = mirror_policy_init(host, cfg, &p, errstr, errstr_size);
        if (!err)
                err = mhb_settings(host, cfg, &enabled, &interval, errstr,
                                   errstr_size);
        if (err)
                return err;
        mhb_task_t *t = host->malloc(sizeof(*t));
        if (!t) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        memset(t, 0, sizeof(*t));
        t->ctx = ctx;
        t->host = host;
        t->interval_ms = interval;
        t->next_ms = host->time_ms(1) + interval;
        mirror_enc_t k = {.buf = t->key, .size = sizeof(t->key)};
        mirror_enc_str(&k, p.source_alias);
        mirror_enc_str(&k, p.target_alias);
        char src[300], tgt[300];
        mirror_json_escape(p.source_alias, src, sizeof(src));
        mirror_json_escape(p.target_alias, tgt, sizeof(tgt));
        snprintf(t->part_json, sizeof(t->part_json),
                 "{\"sourceClusterAlias\":\"%s\",\"targetClusterAlias\":"
                 "\"%s\"}",
                 src, tgt);
        rdcp_source_record_t *r = &t->rec;
        r->topic = MIRROR_HEARTBEATS_TOPIC;
        r->partition = 0;
        r->key.kind = RDCP_DATA_BYTES;
        r->key.u.bytes.ptr = t->key;
        r->key.u.bytes.len = k.len;
        r->value.kind = RDCP_DATA_BYTES;
        r->value.u.bytes.ptr = t->value;
        r->value.u.bytes.len = 10;
        r->source_partition = t->part_json;
        r->source_offset = "{\"offset\":0}";
        *taskp = t;
        return RDCP_OK;
}

static rdcp_err_t mhb_task_poll(void *opaque,
                                const rdcp_source_record_t **records,
                                size_t *cnt, char *errstr, size_t errstr_size) {
        mhb_task_t *t = opaque;
        const rdcp_host_t *h = t->host;
        (void)errstr;
        (void)errstr_size;
        *cnt = 0;
        *records = &t->rec;
        int64_t left = t->next_ms - h->time_ms(1);
        if (left > 0) {
                h->wait(t->ctx, -1, 0, left > 1000 ? 1000 : (int32_t)left);
                if (t->next_ms > h->time_ms(1))
                        return RDCP_OK;
        }
        t->next_ms += t->interval_ms;
        if (t->next_ms < h->time_ms(1))
                t->next_ms = h->time_ms(1) + t->interval_ms;
        int64_t now = h->time_ms(0);
        mirror_enc_t v = {.buf = t->value, .size = sizeof(t->value)};
        mirror_enc_i16(&v, 0); /* Heartbeat.VERSION */
        mirror_enc_i64(&v, now);
        t->rec.timestamp = now;
        *cnt = 1;
        return RDCP_OK;
}

/* ========================================================= descriptor */

static const rdcp_config_def_t mhb_config_defs[] = {
        MIRROR_DEF_ALIASES,
        {.name = "target.cluster.bootstrap.servers",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .order = 3,
         .documentation = "The target cluster's bootstrap servers (the "
                          "heartbeats topic is created there; records go "
                          "through the worker's producer, whose cluster "
                          "must be this one)"},
        {.name = "source.cluster.bootstrap.servers",
         .type = RDCP_CFG_LIST,
         .importance = RDCP_IMPORTANCE_LOW,
         .order = 4,
         .documentation = "The source cluster's bootstrap servers (not "
                          "used by this connector)"},
        {.name = "emit.heartbeats.enabled",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "true",
         .order = 5,
         .documentation = "Whether to emit heartbeats to target cluster."},
        {.name = "emit.heartbeats.interval.seconds",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "1",
         .order = 6,
         .documentation = "Frequency of heartbeats."},
        {.name = "heartbeats.topic.replication.factor",
         .type = RDCP_CFG_SHORT,
         .importance = RDCP_IMPORTANCE_LOW,
         .order = 7,
         .documentation = "Replication factor for heartbeats topic (unset: "
                          "the target broker's default; Kafka's default is "
                          "3)"},
};

static const char *const mhb_aliases[] = {"MirrorHeartbeatConnector",
                                          "MirrorHeartbeat", NULL};

static const rdcp_connector_vtable_t mhb_connector_vtable = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        .create = mhb_conn_create,
        .task_configs = mhb_conn_task_configs,
        .destroy = mhb_conn_destroy,
        .validate = mhb_conn_validate,
};

static const rdcp_source_task_vtable_t mhb_task_vtable = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = mhb_task_create,
        .poll = mhb_task_poll,
        .destroy = mhb_task_destroy,
};

static const rdcp_descriptor_t mhb_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_SOURCE,
        .class_name = MHB_CLASS,
        .aliases = mhb_aliases,
        .version = "0.1.0",
        .description = "Emits heartbeats into the worker's (target) "
                       "cluster, as MirrorMaker 2",
        .config_defs = mhb_config_defs,
        .config_def_cnt = sizeof(mhb_config_defs) / sizeof(mhb_config_defs[0]),
        .connector = &mhb_connector_vtable,
        .source_task = &mhb_task_vtable,
};

RDCP_PLUGIN_ENTRY(mhb_descriptor)
