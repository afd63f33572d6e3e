/*
 * Kafka client setup: the librdkafka config of every client the worker
 * makes (tasks' producers and consumers, the admin handle, the sink
 * offsets members), in Kafka Connect's layers (worker "<role>." keys,
 * then connector "<role>.override." keys), the source producer's
 * guarantees, the check of client keys with librdkafka, and librdkafka's
 * log and error lines routed to the worker's logger.
 */
#define _GNU_SOURCE
#include "kafka/clients.h"

#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/strlist.h"
#include "worker/worker.h"

/* Java client settings with no librdkafka equivalent whose absence
 * changes nothing rdconnect promises (metrics, serializers Connect
 * replaces anyway, blocking and batching knobs of the Java API). They are
 * common in existing Kafka configs, so they are accepted with a warning;
 * README lists them. Any other key librdkafka does not know is refused. */
static const char *const java_only_client_keys[] = {"max.poll.records",
                                                    "default.api.timeout.ms",
                                                    "buffer.memory",
                                                    "max.block.ms",
                                                    "retry.backoff.max.ms",
                                                    "key.serializer",
                                                    "value.serializer",
                                                    "key.deserializer",
                                                    "value.deserializer",
                                                    "metrics.recording.level",
                                                    "metrics.num.samples",
                                                    "metrics.sample.window.ms",
                                                    "metric.reporters",
                                                    "auto.include.jmx.reporter",
                                                    NULL};

int rdc_kafka_java_only_key(const char *name) {
        for (const char *const *k = java_only_client_keys; *k; k++)
                if (!strcmp(*k, name))
                        return 1;
        return 0;
}

/* Secrets are never echoed in an error. */
const char *rdc_kafka_value_shown(const char *name, const char *value) {
        return strstr(name, "password") || strstr(name, "secret") ||
                               strstr(name, "jaas")
                       ? "[hidden]"
                       : value;
}

/* Sets every key of cfg that starts with prefix on conf. A Java-only key
 * is skipped (with a warning if warn); anything librdkafka refuses,
 * unknown names included, is a problem naming the key with librdkafka's
 * reason. @returns problems added to errs. */
static size_t conf_apply_prefixed(rd_kafka_conf_t *conf, const rdc_map_t *cfg,
                                  const char *prefix, int warn,
                                  rdc_config_errors_t *errs) {
        size_t plen = strlen(prefix), cnt = 0;
        char kerr[512];
        for (size_t i = 0; i < rdc_map_count(cfg); i++) {
                const char *key = rdc_map_key_at(cfg, i);
                if (strncmp(key, prefix, plen) || !key[plen])
                        continue;
                const char *name = key + plen;
                const char *value = rdc_map_value_at(cfg, i);
                if (rdc_kafka_java_only_key(name)) {
                        rdc_log(warn ? RDC_LOG_WARN : RDC_LOG_DEBUG, "worker",
                                NULL,
                                "%s is a Java client setting with no effect "
                                "in librdkafka; accepted and ignored",
                                key);
                        continue;
                }
                if (rd_kafka_conf_set(conf, name, value, kerr, sizeof(kerr)) ==
                    RD_KAFKA_CONF_OK)
                        continue;
                rdc_config_errors_add(errs, key,
                                      "Invalid value %s for configuration %s: "
                                      "%s",
                                      rdc_kafka_value_shown(name, value), key,
                                      kerr);
                cnt++;
        }
        return cnt;
}

/* Applies the "<role><infix>" keys of cfg for each role to a throwaway
 * librdkafka config, so that a value librdkafka refuses is an error now
 * and not a failing task later. */
size_t rdc_kafka_validate_client_keys(const rdc_map_t *cfg,
                                      const char *const *roles,
                                      const char *infix,
                                      rdc_config_errors_t *errs) {
        size_t cnt = 0;
        char prefix[64];
        for (const char *const *role = roles; *role; role++) {
                rd_kafka_conf_t *conf = rd_kafka_conf_new();
                snprintf(prefix, sizeof(prefix), "%s%s", *role, infix);
                cnt += conf_apply_prefixed(conf, cfg, prefix, 1, errs);
                rd_kafka_conf_destroy(conf);
        }
        return cnt;
}

rd_kafka_conf_t *rdc_kafka_producer_conf(rdc_worker_t *worker,
                                         const rdc_map_t *connector_cfg,
                                         const char *client_id, char *errstr,
                                         size_t errstr_size) {
        /* Kafka Connect's producer guarantees (no loss, per-partition
         * order), expressed the librdkafka way. The queue caps bound
         * memory: librdkafka's 100000 messages held 16 MB of JSON records
         * (peak RSS 49 MB); 8 MB and 50000 messages keep the throughput
         * of bench/ at 28-34 MB (25000 messages cost throughput).
         * murmur2 is the Java producer's partitioner: a keyed record lands
         * in the same partition as from Kafka Connect (librdkafka's own
         * default hashes with CRC32). */
        const char *const defaults[] = {"acks",
                                        "all",
                                        "enable.idempotence",
                                        "true",
                                        "partitioner",
                                        "murmur2_random",
                                        "queue.buffering.max.kbytes",
                                        "8192",
                                        "queue.buffering.max.messages",
                                        "50000",
                                        "client.id",
                                        client_id,
                                        NULL};
        return rdc_kafka_client_conf(worker, "producer", connector_cfg,
                                     defaults, errstr, errstr_size);
}

/* Sets the unprefixed client keys (checked at worker start) on the
 * admin client's conf; checked at start, so failures cannot happen. */
static void conf_apply_unprefixed(rd_kafka_conf_t *conf,
                                  const rdc_map_t *config) {
        char kerr[512];
        for (size_t i = 0; i < rdc_map_count(config); i++) {
                const char *key = rdc_map_key_at(config, i);
                if (!rdc_worker_is_framework_key(key) &&
                    !rdc_kafka_java_only_key(key))
                        rd_kafka_conf_set(conf, key,
                                          rdc_map_value_at(config, i), kerr,
                                          sizeof(kerr));
        }
}

/* Writes the "<connector>|task-<n>" scope of a task's client into buf,
 * from the client.id tasks give it ("connector-producer-<name>-<n>",
 * Kafka's). @returns buf, or NULL for other clients. */
static const char *kafka_client_scope(const rd_kafka_t *rk, char *buf,
                                      size_t size) {
        static const char *const prefixes[] = {"connector-producer-",
                                               "connector-consumer-", NULL};
        const char *name = rk ? rd_kafka_name(rk) : "";
        const char *hash = strrchr(name, '#');
        size_t len = hash ? (size_t)(hash - name) : strlen(name);
        for (const char *const *p = prefixes; *p; p++) {
                size_t plen = strlen(*p);
                if (len <= plen || strncmp(name, *p, plen))
                        continue;
                const char *dash = memrchr(name + plen, '-', len - plen);
                if (!dash || dash == name + plen ||
                    strspn(dash + 1, "0123456789") !=
                            (size_t)(name + len - dash - 1) ||
                    dash + 1 == name + len)
                        return NULL;
                snprintf(buf, size, "%.*s|task-%.*s", (int)(dash - name - plen),
                         name + plen, (int)(name + len - dash - 1), dash + 1);
                return buf;
        }
        return NULL;
}

/* librdkafka logs with syslog levels from its own threads; rdc_log is
 * thread-safe, so lines go straight to the worker's logger. */
void rdc_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                      const char *buf) {
        char scope[300];
        rdc_log_level_t mapped = level <= 3   ? RDC_LOG_ERROR
                                 : level == 4 ? RDC_LOG_WARN
                                 : level <= 6 ? RDC_LOG_INFO
                                              : RDC_LOG_DEBUG;
        if (!rdc_log_enabled(mapped, RDC_KAFKA_LOGGER))
                return;
        rdc_log(mapped, RDC_KAFKA_LOGGER,
                kafka_client_scope(rk, scope, sizeof(scope)), "%s %s: %s",
                rk ? rd_kafka_name(rk) : "rdkafka", fac, buf);
}

/* Only logs: librdkafka retries on its own. A task that must act on
 * errors sets its own callback over this one. */
static void kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
                           void *opaque) {
        char scope[300];
        (void)opaque;
        rdc_log(err == RD_KAFKA_RESP_ERR__FATAL ? RDC_LOG_ERROR : RDC_LOG_WARN,
                RDC_KAFKA_LOGGER, kafka_client_scope(rk, scope, sizeof(scope)),
                "%s error %s: %s", rd_kafka_name(rk), rd_kafka_err2name(err),
                reason);
}

void rdc_kafka_logging(rd_kafka_conf_t *conf) {
        rd_kafka_conf_set_log_cb(conf, rdc_kafka_log_cb);
        rd_kafka_conf_set_error_cb(conf, kafka_error_cb);
}

rd_kafka_conf_t *rdc_kafka_client_conf(rdc_worker_t *worker, const char *role,
                                       const rdc_map_t *connector_cfg,
                                       const char *const *defaults,
                                       char *errstr, size_t errstr_size) {
        char prefix[64], kerr[512];
        rdc_config_errors_t errs = {0};
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rdc_kafka_logging(conf);
        if (rd_kafka_conf_set(conf, "bootstrap.servers", worker->bootstrap,
                              kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
                snprintf(errstr, errstr_size,
                         "Invalid value %s for configuration "
                         "bootstrap.servers: %s",
                         worker->bootstrap, kerr);
                goto fail;
        }
        for (size_t i = 0; defaults && defaults[i]; i += 2) {
                if (rd_kafka_conf_set(conf, defaults[i], defaults[i + 1], kerr,
                                      sizeof(kerr)) != RD_KAFKA_CONF_OK) {
                        snprintf(errstr, errstr_size, "%s", kerr);
                        goto fail;
                }
        }
        /* Both sources were validated (worker start, connector create):
         * a problem here means a config that bypassed validation. */
        if (!strcmp(role, "admin"))
                conf_apply_unprefixed(conf, worker->config);
        snprintf(prefix, sizeof(prefix), "%s.", role);
        conf_apply_prefixed(conf, worker->config, prefix, 0, &errs);
        if (connector_cfg) {
                snprintf(prefix, sizeof(prefix), "%s.override.", role);
                conf_apply_prefixed(conf, connector_cfg, prefix, 0, &errs);
        }
        if (errs.cnt) {
                snprintf(errstr, errstr_size, "%s", errs.items[0].message);
                goto fail;
        }
        return conf;
fail:
        rdc_config_errors_clear(&errs);
        rd_kafka_conf_destroy(conf);
        return NULL;
}

/* Splits one bootstrap.servers entry ("[proto://]host[:port]", IPv6 in
 * brackets) into host and port. @returns 0, or -1 if it has no host. */
static int bootstrap_split(const char *entry, char *host, size_t host_size,
                           char *port, size_t port_size) {
        const char *p = strstr(entry, "://");
        const char *end;
        p = p ? p + 3 : entry;
        snprintf(port, port_size, "9092");
        if (*p == '[') {
                end = strchr(p, ']');
                if (!end || end == p + 1)
                        return -1;
                snprintf(host, host_size, "%.*s", (int)(end - p - 1), p + 1);
                if (end[1] == ':')
                        snprintf(port, port_size, "%s", end + 2);
                return 0;
        }
        end = strrchr(p, ':');
        if (end && strchr(p, ':') != end)
                end = NULL; /* a bare IPv6 address */
        if (end) {
                snprintf(port, port_size, "%s", end + 1);
        } else {
                end = p + strlen(p);
        }
        if (end == p)
                return -1;
        snprintf(host, host_size, "%.*s", (int)(end - p), p);
        return 0;
}

/* As Kafka's clients at construction: at least one bootstrap server must
 * resolve, else the client cannot ever work ("No resolvable bootstrap
 * urls given in bootstrap.servers"); librdkafka would retry for ever and
 * leave the task RUNNING with nothing to do. */
static int bootstrap_check(rd_kafka_conf_t *conf, char *errstr,
                           size_t errstr_size) {
        char servers[4096], host[1024], port[64];
        size_t size = sizeof(servers);
        rdc_strlist_t list;
        int resolved = 0;
        if (rd_kafka_conf_get(conf, "bootstrap.servers", servers, &size) !=
                    RD_KAFKA_CONF_OK ||
            rdc_config_blank(servers))
                return 0; /* librdkafka's own answer applies */
        if (rdc_strlist_parse(servers, &list))
                return 0;
        for (size_t i = 0; i < list.cnt && !resolved; i++) {
                struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
                if (!list.items[i][0] ||
                    bootstrap_split(list.items[i], host, sizeof(host), port,
                                    sizeof(port)))
                        continue;
                if (getaddrinfo(host, port, &hints, &res) == 0) {
                        freeaddrinfo(res);
                        resolved = 1;
                } else {
                        rdc_log(RDC_LOG_WARN, "worker", NULL,
                                "Couldn't resolve server %s from "
                                "bootstrap.servers as DNS resolution failed "
                                "for %s",
                                list.items[i], host);
                }
        }
        rdc_strlist_clear(&list);
        if (resolved)
                return 0;
        snprintf(errstr, errstr_size,
                 "No resolvable bootstrap urls given in bootstrap.servers "
                 "(%s)",
                 servers);
        return -1;
}

rd_kafka_t *rdc_kafka_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
                          char *errstr, size_t errstr_size) {
        if (bootstrap_check(conf, errstr, errstr_size))
                return NULL;
        return rd_kafka_new(type, conf, errstr, errstr_size);
}

/* The admin handle is a consumer-type client: its metadata requests never
 * auto-create topics, so "missing" really means missing. */
rd_kafka_t *rdc_kafka_admin(rdc_worker_t *worker, char *errstr,
                            size_t errstr_size) {
        static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        pthread_mutex_lock(&lock);
        if (!worker->admin) {
                static const char *const defaults[] = {"client.id",
                                                       "rdconnect-admin", NULL};
                rd_kafka_conf_t *conf = rdc_kafka_client_conf(
                        worker, "admin", NULL, defaults, errstr, errstr_size);
                if (conf) {
                        char kerr[256];
                        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf,
                                                      kerr, sizeof(kerr));
                        /* REST threads read it without the lock. */
                        __atomic_store_n(&worker->admin, rk, __ATOMIC_RELEASE);
                        if (!rk) {
                                rd_kafka_conf_destroy(conf);
                                snprintf(errstr, errstr_size,
                                         "cannot create admin client: %s",
                                         kerr);
                        }
                }
        }
        pthread_mutex_unlock(&lock);
        return worker->admin;
}

/* ------------------------------------------------------ cluster id */

struct rdc_cluster_id_lookup {
        pthread_mutex_t lock; /* guards id and stopping */
        pthread_cond_t cond;  /* id found, or stopping */
        char *id;
        int stopping;
        pthread_t thread;
};

static void *cluster_id_main(void *arg) {
        rdc_worker_t *worker = arg;
        struct rdc_cluster_id_lookup *l = worker->cluster_id_lookup;
        char errstr[512];
        for (;;) {
                rd_kafka_t *admin =
                        rdc_kafka_admin(worker, errstr, sizeof(errstr));
                char *id = admin ? rd_kafka_clusterid(admin, 1000) : NULL;
                pthread_mutex_lock(&l->lock);
                if (id) {
                        l->id = strdup(id);
                        rd_kafka_mem_free(admin, id);
                }
                if (l->id || l->stopping) {
                        pthread_cond_broadcast(&l->cond);
                        pthread_mutex_unlock(&l->lock);
                        return NULL;
                }
                if (!admin) {
                        /* Cannot happen with a validated config; retry. */
                        struct timespec at = rdc_clock_deadline(1000);
                        pthread_cond_timedwait(&l->cond, &l->lock, &at);
                }
                pthread_mutex_unlock(&l->lock);
        }
}

int rdc_kafka_cluster_id_start(rdc_worker_t *worker) {
        struct rdc_cluster_id_lookup *l = calloc(1, sizeof(*l));
        if (!l)
                return -1;
        pthread_mutex_init(&l->lock, NULL);
        rdc_clock_cond_init(&l->cond);
        worker->cluster_id_lookup = l;
        if (pthread_create(&l->thread, NULL, cluster_id_main, worker)) {
                worker->cluster_id_lookup = NULL;
                pthread_cond_destroy(&l->cond);
                pthread_mutex_destroy(&l->lock);
                free(l);
                return -1;
        }
        return 0;
}

int rdc_kafka_cluster_id_wait(rdc_worker_t *worker, int timeout_ms) {
        struct rdc_cluster_id_lookup *l = worker->cluster_id_lookup;
        struct timespec at = rdc_clock_deadline(timeout_ms);
        int known;
        if (!l)
                return 0;
        pthread_mutex_lock(&l->lock);
        while (!l->id && !l->stopping &&
               pthread_cond_timedwait(&l->cond, &l->lock, &at) == 0)
                ;
        known = l->id != NULL;
        pthread_mutex_unlock(&l->lock);
        return known;
}

char *rdc_kafka_cluster_id(rdc_worker_t *worker) {
        struct rdc_cluster_id_lookup *l = worker->cluster_id_lookup;
        char *copy = NULL;
        if (!l)
                return NULL;
        pthread_mutex_lock(&l->lock);
        if (l->id)
                copy = strdup(l->id);
        pthread_mutex_unlock(&l->lock);
        return copy;
}

void rdc_kafka_cluster_id_stop(rdc_worker_t *worker) {
        struct rdc_cluster_id_lookup *l = worker->cluster_id_lookup;
        if (!l)
                return;
        pthread_mutex_lock(&l->lock);
        l->stopping = 1;
        pthread_cond_broadcast(&l->cond);
        pthread_mutex_unlock(&l->lock);
        /* At most one metadata wait (1 s) away. */
        pthread_join(l->thread, NULL);
        pthread_cond_destroy(&l->cond);
        pthread_mutex_destroy(&l->lock);
        free(l->id);
        free(l);
        worker->cluster_id_lookup = NULL;
}
