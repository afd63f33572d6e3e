/*
 * mirror: clients, replication policies, topic filter and target topic
 * creation shared by the MirrorMaker connectors (see mirror_common.h).
 */
#define _GNU_SOURCE
#include "mirror_common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

char *mirror_strdup(const rdcp_host_t *host, const char *s) {
        size_t len = strlen(s) + 1;
        char *copy = host->malloc(len);
        if (copy)
                memcpy(copy, s, len);
        return copy;
}

void mirror_json_escape(const char *s, char *out, size_t size) {
        size_t o = 0;
        for (; *s && o + 7 < size; s++) {
                unsigned char ch = (unsigned char)*s;
                if (ch == '"' || ch == '\\') {
                        out[o++] = '\\';
                        out[o++] = (char)ch;
                } else if (ch < 0x20)
                        o += (size_t)snprintf(out + o, size - o, "\\u%04x", ch);
                else
                        out[o++] = (char)ch;
        }
        out[o] = '\0';
}

/* ------------------------------------------------------------ policy */

rdcp_err_t mirror_policy_init(const rdcp_host_t *host, const rdcp_config_t *cfg,
                              mirror_policy_t *p, char *errstr,
                              size_t errstr_size) {
        const char *cls = host->config_get(cfg, "replication.policy.class");
        const char *sep = host->config_get(cfg, "replication.policy.separator");
        const char *src = host->config_get(cfg, "source.cluster.alias");
        const char *tgt = host->config_get(cfg, "target.cluster.alias");
        memset(p, 0, sizeof(*p));
        if (!cls || !strcmp(cls, MIRROR_PKG "DefaultReplicationPolicy") ||
            !strcmp(cls, "DefaultReplicationPolicy"))
                p->identity = 0;
        else if (!strcmp(cls, MIRROR_PKG "IdentityReplicationPolicy") ||
                 !strcmp(cls, "IdentityReplicationPolicy"))
                p->identity = 1;
        else {
                snprintf(errstr, errstr_size,
                         "Invalid value %s for configuration "
                         "replication.policy.class: rdconnect has "
                         "DefaultReplicationPolicy and "
                         "IdentityReplicationPolicy",
                         cls);
                return RDCP_ERR_CONFIG;
        }
        if (!sep)
                sep = ".";
        if (!src)
                src = "source";
        if (!tgt)
                tgt = "target";
        if (!*sep || strlen(sep) >= sizeof(p->separator)) {
                snprintf(errstr, errstr_size,
                         "Invalid value '%s' for configuration "
                         "replication.policy.separator: 1 to %zu characters",
                         sep, sizeof(p->separator) - 1);
                return RDCP_ERR_CONFIG;
        }
        if (strlen(src) >= sizeof(p->source_alias) ||
            strlen(tgt) >= sizeof(p->target_alias)) {
                snprintf(errstr, errstr_size,
                         "Invalid value for configuration %s: longer than "
                         "%zu characters",
                         strlen(src) >= sizeof(p->source_alias)
                                 ? "source.cluster.alias"
                                 : "target.cluster.alias",
                         sizeof(p->source_alias) - 1);
                return RDCP_ERR_CONFIG;
        }
        strcpy(p->separator, sep);
        /* replication.policy.internal.topic.separator.enabled (default
         * true): internal topic names use the separator too. */
        const char *isep = host->config_get(
                cfg, "replication.policy.internal.topic.separator.enabled");
        strcpy(p->internal_sep, isep && !strcasecmp(isep, "false") ? "." : sep);
        strcpy(p->source_alias, src);
        strcpy(p->target_alias, tgt);
        return RDCP_OK;
}

static int default_names(const mirror_policy_t *p, const char *topic);

int mirror_policy_target(const mirror_policy_t *p, const char *topic, char *out,
                         size_t size) {
        int n = !default_names(p, topic)
                        ? snprintf(out, size, "%s", topic)
                        : snprintf(out, size, "%s%s%s", p->source_alias,
                                   p->separator, topic);
        return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* IdentityReplicationPolicy keeps names, except for heartbeats topics,
 * which it names as DefaultReplicationPolicy does (looksLikeHeartbeat). */
static int looks_like_heartbeat(const char *topic) {
        size_t n = strlen(topic), h = strlen(MIRROR_HEARTBEATS_TOPIC);
        return n >= h && !strcmp(topic + n - h, MIRROR_HEARTBEATS_TOPIC);
}

static int default_names(const mirror_policy_t *p, const char *topic) {
        return !p->identity || looks_like_heartbeat(topic);
}

/* DefaultReplicationPolicy.upstreamTopic: after the first separator; NULL
 * when the topic has no source. */
static const char *upstream_of(const mirror_policy_t *p, const char *topic) {
        const char *sep = strstr(topic, p->separator);
        return sep ? sep + strlen(p->separator) : NULL;
}

int mirror_policy_is_heartbeats(const mirror_policy_t *p, const char *topic) {
        const char *t = topic;
        while (default_names(p, t)) {
                const char *up = upstream_of(p, t);
                if (!up)
                        break;
                t = up;
        }
        return !strcmp(t, MIRROR_HEARTBEATS_TOPIC);
}

int mirror_policy_is_internal(const char *topic) {
        size_t n = strlen(topic);
        return !strncmp(topic, "__", 2) || topic[0] == '.' ||
               (n >= 9 && (!strcmp(topic + n - 9, "-internal") ||
                           !strcmp(topic + n - 9, ".internal")));
}

int mirror_policy_checkpoint_topic(const mirror_policy_t *p, const char *topic,
                                   char *out, size_t size) {
        size_t alen = strlen(p->target_alias);
        int n;
        if (default_names(p, topic) && !strncmp(topic, p->target_alias, alen) &&
            !strncmp(topic + alen, p->separator, strlen(p->separator))) {
                /* Came from the target: its original name there. */
                const char *t = topic;
                for (const char *up; (up = upstream_of(p, t));)
                        t = up;
                n = snprintf(out, size, "%s", t);
        } else
                return mirror_policy_target(p, topic, out, size);
        return n < 0 || (size_t)n >= size ? -1 : 0;
}

int mirror_policy_offset_syncs_topic(const mirror_policy_t *p,
                                     const char *alias, char *out,
                                     size_t size) {
        int n = snprintf(out, size, "mm2-offset-syncs%s%s%sinternal",
                         p->internal_sep, alias, p->internal_sep);
        return n < 0 || (size_t)n >= size ? -1 : 0;
}

int mirror_policy_checkpoints_topic(const mirror_policy_t *p, char *out,
                                    size_t size) {
        int n = snprintf(out, size, "%s%scheckpoints%sinternal",
                         p->source_alias, p->internal_sep, p->internal_sep);
        return n < 0 || (size_t)n >= size ? -1 : 0;
}

int mirror_policy_cycle(const mirror_policy_t *p, const char *topic) {
        if (!default_names(p, topic))
                return 0;
        size_t alen = strlen(p->target_alias), slen = strlen(p->separator);
        /* As DefaultReplicationPolicy.topicSource/upstreamTopic, walked up:
         * "B.A.t" mirrored from A to B came from B first. */
        for (const char *t = topic;;) {
                const char *sep = strstr(t, p->separator);
                if (!sep)
                        return 0;
                if ((size_t)(sep - t) == alen &&
                    !strncmp(t, p->target_alias, alen))
                        return 1;
                t = sep + slen;
        }
}

/* ------------------------------------------------------------ filter */

/* One anchored POSIX extended expression from a comma-separated list of
 * Java patterns: ^(p1|p2|...)$. */
static int filter_compile(const char *list, regex_t *re) {
        size_t len = strlen(list);
        char *expr = malloc(2 * len + 8), *o = expr;
        if (!expr)
                return -1;
        *o++ = '^';
        *o++ = '(';
        int first = 1;
        for (const char *s = list; *s;) {
                while (*s == ' ' || *s == '\t' || *s == ',')
                        s++;
                const char *e = s;
                while (*e && *e != ',')
                        e++;
                const char *end = e;
                while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
                        end--;
                if (end > s) {
                        if (!first)
                                *o++ = '|';
                        first = 0;
                        *o++ = '(';
                        memcpy(o, s, (size_t)(end - s));
                        o += end - s;
                        *o++ = ')';
                }
                s = e;
        }
        if (first) { /* empty list: matches nothing */
                free(expr);
                return regcomp(re, "^$a", REG_EXTENDED | REG_NOSUB) ? -1 : 0;
        }
        *o++ = ')';
        *o++ = '$';
        *o = '\0';
        int rc = regcomp(re, expr, REG_EXTENDED | REG_NOSUB);
        free(expr);
        return rc ? -1 : 0;
}

rdcp_err_t mirror_filter_init_keys(const rdcp_host_t *host,
                                   const rdcp_config_t *cfg,
                                   const char *inc_key, const char *inc_def,
                                   const char *exc_key, const char *exc_def,
                                   mirror_filter_t *f, char *errstr,
                                   size_t errstr_size) {
        const char *inc = host->config_get(cfg, inc_key);
        const char *exc = host->config_get(cfg, exc_key);
        memset(f, 0, sizeof(*f));
        if (!inc)
                inc = inc_def;
        if (!exc)
                exc = exc_def;
        const char *bad_key = NULL, *bad = NULL;
        if (filter_compile(inc, &f->include)) {
                bad_key = inc_key;
                bad = inc;
        } else if (filter_compile(exc, &f->exclude)) {
                regfree(&f->include);
                bad_key = exc_key;
                bad = exc;
        }
        if (bad) {
                snprintf(errstr, errstr_size,
                         "Invalid value %s for configuration %s: not a "
                         "list of regular expressions rdconnect understands "
                         "(POSIX extended)",
                         bad, bad_key);
                return RDCP_ERR_CONFIG;
        }
        f->has_exclude = 1;
        return RDCP_OK;
}

rdcp_err_t mirror_filter_init(const rdcp_host_t *host, const rdcp_config_t *cfg,
                              mirror_filter_t *f, char *errstr,
                              size_t errstr_size) {
        return mirror_filter_init_keys(
                host, cfg, "topics", MIRROR_TOPICS_DEFAULT, "topics.exclude",
                MIRROR_TOPICS_EXCLUDE_DEFAULT, f, errstr, errstr_size);
}

int mirror_filter_match(const mirror_filter_t *f, const char *topic) {
        return !regexec(&f->include, topic, 0, NULL, 0) &&
               !(f->has_exclude && !regexec(&f->exclude, topic, 0, NULL, 0));
}

void mirror_filter_free(mirror_filter_t *f) {
        regfree(&f->include);
        if (f->has_exclude)
                regfree(&f->exclude);
        f->has_exclude = 0;
}

/* ------------------------------------------------------------ clients */

/* Java client settings without a librdkafka equivalent, common in existing
 * client files: skipped with a warning naming them. */
static const char *const java_only_keys[] = {"key.deserializer",
                                             "value.deserializer",
                                             "key.serializer",
                                             "value.serializer",
                                             "max.poll.records",
                                             "default.api.timeout.ms",
                                             "exclude.internal.topics",
                                             "interceptor.classes",
                                             "metric.reporters",
                                             "metrics.num.samples",
                                             "metrics.recording.level",
                                             "metrics.sample.window.ms",
                                             "auto.include.jmx.reporter",
                                             "retry.backoff.max.ms",
                                             "buffer.memory",
                                             "max.block.ms",
                                             "client.dns.lookup",
                                             "send.buffer.bytes",
                                             "receive.buffer.bytes",
                                             "request.timeout.ms",
                                             "max.poll.interval.ms.java",
                                             NULL};

/* Keys under a client prefix that are the connectors' own, not client
 * settings (consumer.poll.timeout.ms is MirrorSourceConfig's). */
static const char *const not_client_keys[] = {"alias", "poll.timeout.ms", NULL};

static int in_list(const char *const *list, const char *name) {
        for (; *list; list++)
                if (!strcmp(*list, name))
                        return 1;
        return 0;
}

/* Kafka's assignor class names -> librdkafka's names. */
static int map_assignors(const char *value, char *out, size_t size) {
        static const char *const map[] = {
                "org.apache.kafka.clients.consumer.RoundRobinAssignor",
                "roundrobin",
                "org.apache.kafka.clients.consumer.RangeAssignor",
                "range",
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
                "cooperative-sticky",
                "roundrobin",
                "roundrobin",
                "range",
                "range",
                "cooperative-sticky",
                "cooperative-sticky",
                NULL};
        size_t used = 0;
        out[0] = '\0';
        for (const char *s = value; *s;) {
                while (*s == ' ' || *s == ',')
                        s++;
                const char *e = s;
                while (*e && *e != ',' && *e != ' ')
                        e++;
                if (e == s)
                        break;
                const char *name = NULL;
                for (size_t i = 0; map[i]; i += 2)
                        if (strlen(map[i]) == (size_t)(e - s) &&
                            !strncmp(map[i], s, (size_t)(e - s)))
                                name = map[i + 1];
                if (!name)
                        return -1;
                int n = snprintf(out + used, size - used, "%s%s",
                                 used ? "," : "", name);
                if (n < 0 || (size_t)n >= size - used)
                        return -1;
                used += (size_t)n;
                s = e;
        }
        return used ? 0 : -1;
}

static int conf_set_mapped(const rdcp_host_t *host, const rdcp_ctx_t *ctx,
                           rd_kafka_conf_t *conf, const char *key,
                           const char *name, const char *value, char *errstr,
                           size_t errstr_size) {
        char kerr[512], mapped[256];
        if (in_list(java_only_keys, name)) {
                host->log(ctx, RDCP_LOG_WARN,
                          "%s is a Java client setting with no effect in "
                          "librdkafka; ignored",
                          key);
                return 0;
        }
        if (!strcmp(name, "partition.assignment.strategy")) {
                if (map_assignors(value, mapped, sizeof(mapped))) {
                        snprintf(errstr, errstr_size,
                                 "Invalid value %s for configuration %s: "
                                 "rdconnect has RangeAssignor, "
                                 "RoundRobinAssignor and "
                                 "CooperativeStickyAssignor",
                                 value, key);
                        return -1;
                }
                value = mapped;
        }
        if (rd_kafka_conf_set(conf, name, value, kerr, sizeof(kerr)) ==
            RD_KAFKA_CONF_OK)
                return 0;
        int secret = strstr(name, "password") || strstr(name, "secret") ||
                     strstr(name, "jaas");
        snprintf(errstr, errstr_size,
                 "Invalid value %s for configuration %s: %s",
                 secret ? "[hidden]" : value, key, kerr);
        return -1;
}

static void client_log(const rd_kafka_t *rk, int level, const char *fac,
                       const char *buf) {
        const mirror_owner_t *o = rd_kafka_opaque(rk);
        if (!o)
                return;
        rdcp_log_level_t l = level <= 3   ? RDCP_LOG_ERROR
                             : level == 4 ? RDCP_LOG_WARN
                             : level <= 6 ? RDCP_LOG_INFO
                                          : RDCP_LOG_DEBUG;
        o->host->log(o->ctx, l, "%s %s: %s", rd_kafka_name(rk), fac, buf);
}

rd_kafka_conf_t *mirror_client_conf(const mirror_owner_t *owner,
                                    const rdcp_config_t *cfg,
                                    const char *const *prefixes,
                                    const char *const *defaults, char *errstr,
                                    size_t errstr_size) {
        const rdcp_host_t *host = owner->host;
        const rdcp_ctx_t *ctx = owner->ctx;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set_opaque(conf, (void *)owner);
        rd_kafka_conf_set_log_cb(conf, client_log);
        char kerr[512];
        for (size_t i = 0; defaults && defaults[i]; i += 2)
                if (rd_kafka_conf_set(conf, defaults[i], defaults[i + 1], kerr,
                                      sizeof(kerr)) != RD_KAFKA_CONF_OK) {
                        snprintf(errstr, errstr_size, "%s", kerr);
                        rd_kafka_conf_destroy(conf);
                        return NULL;
                }
        size_t cnt = host->config_count(cfg);
        for (const char *const *pre = prefixes; *pre; pre++) {
                size_t plen = strlen(*pre);
                for (size_t i = 0; i < cnt; i++) {
                        const char *key = host->config_key_at(cfg, i);
                        if (strncmp(key, *pre, plen) || !key[plen])
                                continue;
                        const char *name = key + plen;
                        /* source.cluster.consumer.x belongs to the
                         * source.cluster.consumer. layer, not this one;
                         * consumer.override.x is the worker's. */
                        if (in_list(not_client_keys, name) ||
                            !strncmp(name, "consumer.", 9) ||
                            !strncmp(name, "producer.", 9) ||
                            !strncmp(name, "admin.", 6) ||
                            !strncmp(name, "override.", 9))
                                continue;
                        if (conf_set_mapped(host, ctx, conf, key, name,
                                            host->config_value_at(cfg, i),
                                            errstr, errstr_size)) {
                                rd_kafka_conf_destroy(conf);
                                return NULL;
                        }
                }
        }
        return conf;
}

rd_kafka_t *mirror_side_client(const mirror_owner_t *owner,
                               const rdcp_config_t *cfg, const char *side,
                               const char *role, rd_kafka_type_t type,
                               const char *const *defaults, mirror_dr_cb_t *dr,
                               char *errstr, size_t errstr_size) {
        char p1[64], p2[64], p3[64];
        snprintf(p1, sizeof(p1), "%s.cluster.", side);
        snprintf(p2, sizeof(p2), "%s.", role);
        snprintf(p3, sizeof(p3), "%s.%s.", side, role);
        const char *const prefixes[] = {p1, p2, p3, NULL};
        rd_kafka_conf_t *conf = mirror_client_conf(
                owner, cfg, prefixes, defaults, errstr, errstr_size);
        if (!conf)
                return NULL;
        if (dr)
                rd_kafka_conf_set_dr_msg_cb(conf, dr);
        char kerr[512];
        rd_kafka_t *rk = rd_kafka_new(type, conf, kerr, sizeof(kerr));
        if (!rk) {
                snprintf(errstr, errstr_size, "%s cluster %s: %s", side, role,
                         kerr);
                rd_kafka_conf_destroy(conf);
        }
        return rk;
}

rd_kafka_t *mirror_admin_new(const mirror_owner_t *owner,
                             const rdcp_config_t *cfg, const char *side,
                             char *errstr, size_t errstr_size) {
        return mirror_side_client(owner, cfg, side, "admin", RD_KAFKA_CONSUMER,
                                  NULL, NULL, errstr, errstr_size);
}

/* Stop-aware waits: Kafka is asked in steps of a second, for up to
 * MIRROR_ADMIN_TIMEOUT_MS, and a stop of the owner (every handle's opaque
 * is its mirror_owner_t) ends the wait, so that a down cluster never holds
 * a task's shutdown. */
#define MIRROR_STEP_MS 1000

static int owner_stopping(rd_kafka_t *rk) {
        const mirror_owner_t *o = rd_kafka_opaque(rk);
        return o && o->ctx && o->host->should_stop(o->ctx);
}

rd_kafka_event_t *mirror_admin_wait(rd_kafka_t *rk, rd_kafka_queue_t *q,
                                    int timeout_ms) {
        for (int waited = 0; waited < timeout_ms; waited += MIRROR_STEP_MS) {
                rd_kafka_event_t *ev = rd_kafka_queue_poll(q, MIRROR_STEP_MS);
                if (ev || owner_stopping(rk))
                        return ev;
        }
        return NULL;
}

rd_kafka_resp_err_t mirror_metadata(rd_kafka_t *rk,
                                    const struct rd_kafka_metadata **md) {
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
        for (int waited = 0; waited < MIRROR_ADMIN_TIMEOUT_MS;
             waited += MIRROR_STEP_MS) {
                err = rd_kafka_metadata(rk, 1, NULL, md, MIRROR_STEP_MS);
                if (err != RD_KAFKA_RESP_ERR__TIMED_OUT || owner_stopping(rk))
                        break;
        }
        return err;
}

static char *clusterid_wait(rd_kafka_t *rk) {
        char *id = NULL;
        for (int waited = 0;
             !id && waited < MIRROR_ADMIN_TIMEOUT_MS && !owner_stopping(rk);
             waited += MIRROR_STEP_MS)
                id = rd_kafka_clusterid(rk, MIRROR_STEP_MS);
        return id;
}

rdcp_err_t mirror_check_distinct(rd_kafka_t *source, rd_kafka_t *target,
                                 char *errstr, size_t errstr_size) {
        char *a = clusterid_wait(source);
        char *b = a ? clusterid_wait(target) : NULL;
        rdcp_err_t err = RDCP_OK;
        if (!a || !b) {
                snprintf(errstr, errstr_size,
                         "Cannot reach the %s cluster within %d ms to read "
                         "its cluster id",
                         a ? "target" : "source", MIRROR_ADMIN_TIMEOUT_MS);
                err = RDCP_ERR_RETRIABLE;
        } else if (!strcmp(a, b)) {
                snprintf(errstr, errstr_size,
                         "Refusing to mirror Kafka cluster %s into itself: "
                         "source.cluster.bootstrap.servers and "
                         "target.cluster.bootstrap.servers reach the same "
                         "cluster, and its records would loop",
                         a);
                err = RDCP_ERR_CONFIG;
        }
        free(a);
        free(b);
        return err;
}

rdcp_err_t mirror_partition_counts(rd_kafka_t *rk, const char *const *names,
                                   size_t cnt, int32_t *counts, char *errstr,
                                   size_t errstr_size) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = mirror_metadata(rk, &md);
        if (err) {
                snprintf(errstr, errstr_size, "Cannot list topics: %s",
                         rd_kafka_err2str(err));
                return RDCP_ERR_RETRIABLE;
        }
        for (size_t i = 0; i < cnt; i++) {
                counts[i] = 0;
                for (int k = 0; k < md->topic_cnt; k++)
                        if (!md->topics[k].err &&
                            !strcmp(md->topics[k].topic, names[i]))
                                counts[i] = md->topics[k].partition_cnt;
        }
        rd_kafka_metadata_destroy(md);
        return RDCP_OK;
}

/* Creates the missing topics of names; rf_key names their replication
 * factor; compact: cleanup.policy=compact (the internal topics). */
static rdcp_err_t ensure_topics(const rdcp_host_t *host, const rdcp_ctx_t *ctx,
                                const rdcp_config_t *cfg, rd_kafka_t *target,
                                const char *const *names, const int32_t *want,
                                int32_t *have, size_t cnt, const char *rf_key,
                                int compact, char *errstr, size_t errstr_size) {
        rdcp_err_t err = mirror_partition_counts(target, names, cnt, have,
                                                 errstr, errstr_size);
        if (err)
                return err;
        int64_t rf = -1;
        if (host->config_get(cfg, rf_key) &&
            host->config_get_int64(cfg, rf_key, &rf)) {
                snprintf(errstr, errstr_size,
                         "Invalid value for configuration %s", rf_key);
                return RDCP_ERR_CONFIG;
        }
        size_t missing = 0;
        for (size_t i = 0; i < cnt; i++)
                missing += have[i] == 0 && want[i] > 0;
        if (!missing)
                return RDCP_OK;
        rd_kafka_NewTopic_t **nts = host->malloc(missing * sizeof(*nts));
        if (!nts)
                return RDCP_ERR_NOMEM;
        size_t n = 0;
        char kerr[512];
        for (size_t i = 0; i < cnt; i++) {
                if (have[i] != 0 || want[i] <= 0)
                        continue;
                nts[n] = rd_kafka_NewTopic_new(names[i], want[i], (int)rf, kerr,
                                               sizeof(kerr));
                if (!nts[n])
                        continue;
                if (compact)
                        rd_kafka_NewTopic_set_config(nts[n], "cleanup.policy",
                                                     "compact");
                n++;
        }
        rd_kafka_queue_t *q = rd_kafka_queue_new(target);
        rd_kafka_AdminOptions_t *opts = rd_kafka_AdminOptions_new(
                target, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_AdminOptions_set_request_timeout(
                opts, MIRROR_CREATE_TIMEOUT_MS, kerr, sizeof(kerr));
        rd_kafka_AdminOptions_set_operation_timeout(
                opts, MIRROR_CREATE_TIMEOUT_MS, kerr, sizeof(kerr));
        rd_kafka_CreateTopics(target, nts, n, opts, q);
        rd_kafka_event_t *ev =
                rd_kafka_queue_poll(q, 2 * MIRROR_CREATE_TIMEOUT_MS);
        err = RDCP_OK;
        if (!ev || rd_kafka_event_error(ev)) {
                /* No Admin API (librdkafka's mock has no CreateTopics):
                 * as the worker does, the broker's automatic creation,
                 * with its partition count. */
                host->log(ctx, RDCP_LOG_WARN,
                          "Could not create target topics with the Admin API "
                          "(%s); relying on the target broker's automatic "
                          "topic creation (its default partition count)",
                          ev ? rd_kafka_event_error_string(ev) : "no answer");
                for (size_t i = 0; i < cnt; i++) {
                        if (have[i] != 0 || want[i] <= 0)
                                continue;
                        const struct rd_kafka_metadata *md = NULL;
                        rd_kafka_topic_t *rkt =
                                rd_kafka_topic_new(target, names[i], NULL);
                        if (rkt && !rd_kafka_metadata(target, 0, rkt, &md,
                                                      MIRROR_CREATE_TIMEOUT_MS))
                                rd_kafka_metadata_destroy(md);
                        if (rkt)
                                rd_kafka_topic_destroy(rkt);
                }
                if (ev)
                        rd_kafka_event_destroy(ev);
                ev = NULL;
        } else {
                size_t rcnt = 0;
                const rd_kafka_topic_result_t **res =
                        rd_kafka_CreateTopics_result_topics(
                                rd_kafka_event_CreateTopics_result(ev), &rcnt);
                for (size_t i = 0; i < rcnt; i++) {
                        rd_kafka_resp_err_t e =
                                rd_kafka_topic_result_error(res[i]);
                        const char *name = rd_kafka_topic_result_name(res[i]);
                        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                                snprintf(errstr, errstr_size,
                                         "Cannot create target topic %s: %s",
                                         name,
                                         rd_kafka_topic_result_error_string(
                                                 res[i]));
                                err = RDCP_ERR_RETRIABLE;
                                break;
                        }
                        if (!e)
                                host->log(ctx, RDCP_LOG_INFO,
                                          "Created target topic %s", name);
                }
        }
        if (ev)
                rd_kafka_event_destroy(ev);
        rd_kafka_AdminOptions_destroy(opts);
        rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy_array(nts, n);
        host->free(nts);
        if (err)
                return err;
        /* Metadata may lag behind a creation just answered: wait a little
         * for every topic to show. */
        for (int round = 0; round < 20; round++) {
                err = mirror_partition_counts(target, names, cnt, have, errstr,
                                              errstr_size);
                size_t shown = 0;
                for (size_t i = 0; i < cnt; i++)
                        shown += have[i] > 0 || want[i] <= 0;
                if (err || shown == cnt)
                        break;
                struct timespec ts = {0, 250 * 1000000};
                nanosleep(&ts, NULL);
        }
        for (size_t i = 0; !err && i < cnt; i++)
                if (have[i] == 0 && want[i] > 0) {
                        snprintf(errstr, errstr_size,
                                 "Target topic %s does not exist and could "
                                 "not be created",
                                 names[i]);
                        err = RDCP_ERR_RETRIABLE;
                }
        return err;
}

rdcp_err_t mirror_ensure_topics(const rdcp_host_t *host, const rdcp_ctx_t *ctx,
                                const rdcp_config_t *cfg, rd_kafka_t *target,
                                const char *const *names, const int32_t *want,
                                int32_t *have, size_t cnt, char *errstr,
                                size_t errstr_size) {
        return ensure_topics(host, ctx, cfg, target, names, want, have, cnt,
                             "replication.factor", 0, errstr, errstr_size);
}

rdcp_err_t mirror_ensure_internal_topic(const rdcp_host_t *host,
                                        const rdcp_ctx_t *ctx,
                                        const rdcp_config_t *cfg,
                                        rd_kafka_t *rk, const char *name,
                                        const char *rf_key, char *errstr,
                                        size_t errstr_size) {
        const int32_t want = 1;
        int32_t have = 0;
        return ensure_topics(host, ctx, cfg, rk, &name, &want, &have, 1, rf_key,
                             1, errstr, errstr_size);
}

rd_kafka_t *mirror_producer_new(const mirror_owner_t *owner,
                                const rdcp_config_t *cfg, const char *side,
                                mirror_dr_cb_t *dr, char *errstr,
                                size_t errstr_size) {
        static const char *const defaults[] = {"acks", "all", "linger.ms", "5",
                                               NULL};
        return mirror_side_client(owner, cfg, side, "producer",
                                  RD_KAFKA_PRODUCER, defaults, dr, errstr,
                                  errstr_size);
}

int mirror_cfg_bool(const rdcp_host_t *host, const rdcp_config_t *cfg,
                    const char *key, int def, char *errstr,
                    size_t errstr_size) {
        const char *v = host->config_get(cfg, key);
        if (!v)
                return def;
        if (!strcasecmp(v, "true"))
                return 1;
        if (!strcasecmp(v, "false"))
                return 0;
        snprintf(errstr, errstr_size,
                 "Invalid value %s for configuration %s: Expected value to "
                 "be either true or false",
                 v, key);
        return -1;
}

int mirror_cfg_int64(const rdcp_host_t *host, const rdcp_config_t *cfg,
                     const char *key, int64_t def, int64_t *out, char *errstr,
                     size_t errstr_size) {
        const char *v = host->config_get(cfg, key);
        *out = def;
        if (!v)
                return 0;
        char *end;
        errno = 0;
        long long n = strtoll(v, &end, 10);
        if (end == v || *end || errno) {
                snprintf(errstr, errstr_size,
                         "Invalid value %s for configuration %s: Not a "
                         "number of type LONG",
                         v, key);
                return -1;
        }
        *out = (int64_t)n;
        return 0;
}

/* ---------------------------------------------------- record formats */

static void enc_put(mirror_enc_t *e, uint64_t v, int bytes) {
        if (e->over || e->len + (size_t)bytes > e->size) {
                e->over = 1;
                return;
        }
        for (int i = bytes - 1; i >= 0; i--)
                e->buf[e->len++] = (uint8_t)(v >> (8 * i));
}

void mirror_enc_i16(mirror_enc_t *e, int16_t v) {
        enc_put(e, (uint16_t)v, 2);
}

void mirror_enc_i32(mirror_enc_t *e, int32_t v) {
        enc_put(e, (uint32_t)v, 4);
}

void mirror_enc_i64(mirror_enc_t *e, int64_t v) {
        enc_put(e, (uint64_t)v, 8);
}

void mirror_enc_str(mirror_enc_t *e, const char *s) {
        size_t n = strlen(s);
        if (n > 32767) {
                e->over = 1;
                return;
        }
        enc_put(e, (uint16_t)n, 2);
        if (e->over || e->len + n > e->size) {
                e->over = 1;
                return;
        }
        memcpy(e->buf + e->len, s, n);
        e->len += n;
}

int64_t mirror_dec_int(mirror_dec_t *d, int bytes) {
        if (d->over || d->pos + (size_t)bytes > d->size) {
                d->over = 1;
                return 0;
        }
        uint64_t v = 0;
        for (int i = 0; i < bytes; i++)
                v = (v << 8) | d->buf[d->pos++];
        if (bytes == 2)
                return (int16_t)v;
        if (bytes == 4)
                return (int32_t)v;
        return (int64_t)v;
}

void mirror_dec_str(mirror_dec_t *d, char *out, size_t size) {
        int64_t n = mirror_dec_int(d, 2);
        if (d->over || n < 0 || (size_t)n >= size ||
            d->pos + (size_t)n > d->size) {
                d->over = 1;
                if (size)
                        out[0] = '\0';
                return;
        }
        memcpy(out, d->buf + d->pos, (size_t)n);
        out[n] = '\0';
        d->pos += (size_t)n;
}

int mirror_offset_sync_decode(const void *key, size_t key_len,
                              const void *value, size_t value_len,
                              mirror_offset_sync_t *out) {
        if (!key || !value)
                return -1;
        mirror_dec_t k = {.buf = key, .size = key_len};
        mirror_dec_str(&k, out->topic, sizeof(out->topic));
        out->partition = (int32_t)mirror_dec_int(&k, 4);
        mirror_dec_t v = {.buf = value, .size = value_len};
        out->upstream = mirror_dec_int(&v, 8);
        out->downstream = mirror_dec_int(&v, 8);
        return k.over || v.over ? -1 : 0;
}
