/*
 * connect-mirror-maker: MirrorMaker's command line on rdconnect.
 *
 *   connect-mirror-maker --consumer.config consumer.properties
 *                        --producer.config producer.properties
 *                        --include 'topic-mirror'  (or --whitelist)
 *                        [--num.streams N] [--offset.commit.interval.ms MS]
 *                        [--abort.on.send.failure true|false]
 *
 * One worker process without REST: its Kafka is the producer's cluster
 * (the target), and it runs one MirrorSourceConnector (plugins/mirror/)
 * in consumer group mode: num.streams tasks join the consumer file's
 * group.id on the source, topic names are kept (IdentityReplicationPolicy)
 * and the group commits on the source only what the target acknowledged.
 * The Java client keys of both files work as they are (see the plugin and
 * kafka/clients.c for the mapping). With abort.on.send.failure=true (the
 * default, as MM1) a failed task ends the process with status 1;
 * with false, records Kafka refuses one by one are skipped
 * (errors.tolerance=all) and failed tasks are restarted.
 *
 * connect-mirror-maker mm2.properties [--clusters B]: the flows of a
 * MirrorMaker 2 file into one target cluster, configured as Kafka's
 * MirrorMakerConfig derives them (per-cluster and per-flow keys): for each
 * enabled flow a MirrorSourceConnector and a MirrorCheckpointConnector
 * (emit.checkpoints.enabled, default true), and for each pair into the
 * target with heartbeats on (emit.heartbeats.enabled, default true, even
 * where the flow itself is off, as Kafka's clusterPairs) a
 * MirrorHeartbeatConnector; source offsets in a file. Several processes
 * sharing one file's work are not built yet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/log.h"
#include "core/props.h"
#include "core/strlist.h"
#include "herder/herder.h"
#include "plugins/crash.h"
#include "worker/worker.h"

#define MM_NAME            "mirror-maker"
#define MM_REQUEST_TIMEOUT 90000
#define MM_CHECK_MS        1000
#define BYTEARRAY          "org.apache.kafka.connect.converters.ByteArrayConverter"

static void usage(FILE *out) {
        fprintf(out,
                "Usage: connect-mirror-maker --consumer.config FILE "
                "--producer.config FILE\n"
                "                            --include REGEX | --whitelist "
                "REGEX\n"
                "                            [--num.streams N] "
                "[--offset.commit.interval.ms MS]\n"
                "                            [--abort.on.send.failure "
                "true|false] [--help] [--version]\n"
                "\n"
                "Mirrors the topics matching REGEX (whole names; "
                "comma-separated alternatives)\n"
                "from the consumer's cluster to the producer's, keeping "
                "topic names, partitions,\n"
                "keys, headers and timestamps (MirrorMaker 1). The "
                "consumer group (group.id)\n"
                "commits on the source only what the target acknowledged. "
                "--num.streams consumers\n"
                "(default 1) share the partitions; offsets are committed "
                "every\n"
                "--offset.commit.interval.ms (default 60000) and at exit. "
                "With\n"
                "--abort.on.send.failure true (the default) a failed send "
                "ends the process.\n"
                "\n"
                "       connect-mirror-maker MM2.properties [--clusters "
                "TARGET[,TARGET...]]\n"
                "\n"
                "Runs the enabled flows (A->B.enabled = true) of a "
                "MirrorMaker 2 file whose target\n"
                "is one cluster (pick it with --clusters): one "
                "MirrorSourceConnector and MirrorCheckpointConnector per "
                "flow,\n"
                "and a MirrorHeartbeatConnector per pair with heartbeats.\n");
}

typedef struct mm_args {
        const char *consumer_config, *producer_config;
        const char *include, *whitelist;
        const char *num_streams, *commit_interval, *abort_on_failure;
        const char *mm2_file; /**< MirrorMaker 2 mode */
        const char *clusters; /**< --clusters: target aliases */
} mm_args_t;

/* What runs: one worker config and its connectors. */
#define MM_MAX_FLOWS 16
typedef struct mm_plan {
        rdc_map_t *worker;
        rdc_map_t *conns[3 * MM_MAX_FLOWS]; /**< 3 connectors a flow */
        size_t conn_cnt;
        int abort_on_task_failure;
        char offsets_path[4096];
        int remove_offsets; /**< a throwaway file (MM1: the group holds
                                 the progress) */
} mm_plan_t;

/* @returns 0, 1 for --help/--version (done), -1 on a usage error. */
static int parse_args(int argc, char **argv, mm_args_t *a) {
        static const struct {
                const char *name;
                size_t off;
        } opts[] = {
                {"consumer.config", offsetof(mm_args_t, consumer_config)},
                {"producer.config", offsetof(mm_args_t, producer_config)},
                {"include", offsetof(mm_args_t, include)},
                {"whitelist", offsetof(mm_args_t, whitelist)},
                {"num.streams", offsetof(mm_args_t, num_streams)},
                {"offset.commit.interval.ms",
                 offsetof(mm_args_t, commit_interval)},
                {"abort.on.send.failure",
                 offsetof(mm_args_t, abort_on_failure)},
                {"clusters", offsetof(mm_args_t, clusters)},
        };
        memset(a, 0, sizeof(*a));
        for (int i = 1; i < argc; i++) {
                const char *arg = argv[i];
                if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
                        usage(stdout);
                        return 1;
                }
                if (!strcmp(arg, "--version")) {
                        printf("rdconnect %s\n", RDC_VERSION);
                        return 1;
                }
                if (strncmp(arg, "--", 2)) {
                        if (a->mm2_file) {
                                fprintf(stderr,
                                        "connect-mirror-maker: one "
                                        "MirrorMaker 2 file, not %s too\n",
                                        arg);
                                return -1;
                        }
                        a->mm2_file = arg;
                        continue;
                }
                if (!strcmp(arg, "--new.consumer"))
                        continue; /* MM1's deprecated no-op */
                const char *name = arg + 2, *eq = strchr(name, '=');
                size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
                size_t k = 0;
                while (k < sizeof(opts) / sizeof(opts[0]) &&
                       (strlen(opts[k].name) != nlen ||
                        strncmp(opts[k].name, name, nlen)))
                        k++;
                if (k == sizeof(opts) / sizeof(opts[0])) {
                        fprintf(stderr,
                                "connect-mirror-maker: %s is not an option "
                                "rdconnect has (consumer.rebalance.listener "
                                "and message.handler are Java classes)\n",
                                arg);
                        return -1;
                }
                const char *value = eq ? eq + 1 : NULL;
                if (!value) {
                        if (i + 1 >= argc) {
                                fprintf(stderr,
                                        "connect-mirror-maker: %s needs a "
                                        "value\n",
                                        arg);
                                return -1;
                        }
                        value = argv[++i];
                }
                *(const char **)((char *)a + opts[k].off) = value;
        }
        if (a->mm2_file) {
                if (a->consumer_config || a->producer_config || a->include ||
                    a->whitelist || a->num_streams || a->commit_interval ||
                    a->abort_on_failure) {
                        fprintf(stderr, "connect-mirror-maker: a MirrorMaker 2 "
                                        "file takes only --clusters\n");
                        return -1;
                }
                return 0;
        }
        if (a->clusters) {
                fprintf(stderr, "connect-mirror-maker: --clusters needs a "
                                "MirrorMaker 2 properties file\n");
                return -1;
        }
        if (!a->consumer_config || !a->producer_config) {
                fprintf(stderr, "connect-mirror-maker: Missing required "
                                "argument \"[consumer.config, "
                                "producer.config]\"\n");
                return -1;
        }
        if (!a->include && !a->whitelist) {
                fprintf(stderr, "connect-mirror-maker: include list must be "
                                "specified\n");
                return -1;
        }
        if (a->abort_on_failure && strcmp(a->abort_on_failure, "true") &&
            strcmp(a->abort_on_failure, "false")) {
                fprintf(stderr,
                        "connect-mirror-maker: --abort.on.send.failure "
                        "takes true or false, not %s\n",
                        a->abort_on_failure);
                return -1;
        }
        const char *nums[] = {a->num_streams, a->commit_interval};
        for (size_t i = 0; i < 2; i++) {
                char *end;
                long v = nums[i] ? strtol(nums[i], &end, 10) : 1;
                if (nums[i] && (*end || v < 1 || v > 1000000000)) {
                        fprintf(stderr,
                                "connect-mirror-maker: --%s takes a positive "
                                "integer, not %s\n",
                                i ? "offset.commit.interval.ms" : "num.streams",
                                nums[i]);
                        return -1;
                }
        }
        return 0;
}

static int load(const char *path, const char *what, rdc_map_t *out) {
        char errstr[1024];
        if (rdc_props_load_file(path, out, errstr, sizeof(errstr))) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "Cannot read the %s config: %s", what, errstr);
                return -1;
        }
        return 0;
}

/* Producer keys that also describe the connection to the target cluster
 * (its admin client needs them too). */
static int connection_key(const char *key) {
        static const char *const prefixes[] = {
                "security.",       "ssl.", "sasl.", "socket.", "client.dns.",
                "broker.address.", NULL};
        for (const char *const *p = prefixes; *p; p++)
                if (!strncmp(key, *p, strlen(*p)))
                        return 1;
        return 0;
}

static int set(rdc_map_t *m, const char *k, const char *v) {
        return rdc_map_set(m, k, v);
}

static int set_prefixed(rdc_map_t *m, const char *prefix, const char *k,
                        const char *v) {
        char key[512];
        snprintf(key, sizeof(key), "%s%s", prefix, k);
        return rdc_map_set(m, key, v);
}

/* Worker keys every mode sets: raw bytes through ByteArrayConverter. */
static int worker_common(rdc_map_t *worker) {
        int rc = set(worker, "key.converter", BYTEARRAY);
        rc |= set(worker, "value.converter", BYTEARRAY);
        return rc;
}

static int conn_common(rdc_map_t *conn, const char *name, const char *cls) {
        char full[128];
        snprintf(full, sizeof(full), "org.apache.kafka.connect.mirror.%s", cls);
        int rc = set(conn, "name", name);
        rc |= set(conn, "connector.class", full);
        rc |= set(conn, "key.converter", BYTEARRAY);
        rc |= set(conn, "value.converter", BYTEARRAY);
        return rc;
}

/* MirrorMaker 1: the worker's config and the connector's from the two
 * client files. @returns 0, or -1 after logging why. */
static int plan_mm1(const mm_args_t *a, mm_plan_t *plan) {
        rdc_map_t *consumer = rdc_map_new(), *producer = rdc_map_new();
        rdc_map_t *worker = plan->worker, *conn = rdc_map_new();
        int rc = -1;
        plan->conns[plan->conn_cnt++] = conn;
        if (!consumer || !producer || !conn ||
            load(a->consumer_config, "consumer", consumer) ||
            load(a->producer_config, "producer", producer))
                goto out;
        const char *target = rdc_map_get(producer, "bootstrap.servers");
        const char *source = rdc_map_get(consumer, "bootstrap.servers");
        const char *group = rdc_map_get(consumer, "group.id");
        if (!target || !*target || !source || !*source) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "bootstrap.servers must be set in %s",
                        !source || !*source ? a->consumer_config
                                            : a->producer_config);
                goto out;
        }
        if (!group || !*group) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "group.id must be set in %s: the mirror commits "
                        "its progress in that group on the source",
                        a->consumer_config);
                goto out;
        }
        rc = set(worker, "bootstrap.servers", target);
        for (size_t i = 0; i < rdc_map_count(producer); i++) {
                const char *k = rdc_map_key_at(producer, i);
                const char *v = rdc_map_value_at(producer, i);
                if (strcmp(k, "bootstrap.servers"))
                        rc |= set_prefixed(worker, "producer.", k, v);
                if (connection_key(k))
                        rc |= set_prefixed(conn, "target.cluster.", k, v);
        }
        rc |= worker_common(worker);
        /* The group holds the progress; the worker's store stays empty
         * but wants a file (removed at exit). */
        const char *tmp = getenv("TMPDIR");
        snprintf(plan->offsets_path, sizeof(plan->offsets_path),
                 "%s/connect-mirror-maker.%ld.offsets",
                 tmp && *tmp ? tmp : "/tmp", (long)getpid());
        plan->remove_offsets = 1;
        rc |= set(worker, "offset.storage.file.filename", plan->offsets_path);

        rc |= conn_common(conn, MM_NAME, "MirrorSourceConnector");
        rc |= set(conn, "tasks.max", a->num_streams ? a->num_streams : "1");
        rc |= set(conn, "source.cluster.alias", "source");
        rc |= set(conn, "target.cluster.alias", "target");
        rc |= set(conn, "target.cluster.bootstrap.servers", target);
        rc |= set(conn, "replication.policy.class",
                  "org.apache.kafka.connect.mirror.IdentityReplicationPolicy");
        /* --include wins over --whitelist, as in MM1. */
        rc |= set(conn, "topics", a->include ? a->include : a->whitelist);
        /* MM1's consumer skipped internal topics (exclude.internal.topics). */
        rc |= set(conn, "topics.exclude", "__.*");
        rc |= set(conn, "rdconnect.source.group.id", group);
        rc |= set(conn, "rdconnect.source.group.commit.interval.ms",
                  a->commit_interval ? a->commit_interval : "60000");
        /* MM1's consumer is the Java consumer: latest unless told. */
        rc |= set(conn, "source.cluster.auto.offset.reset", "latest");
        plan->abort_on_task_failure =
                !a->abort_on_failure || !strcmp(a->abort_on_failure, "true");
        if (!plan->abort_on_task_failure)
                rc |= set(conn, "errors.tolerance", "all");
        else /* a failed send stays failed: the run ends on it */
                rc |= set(worker, "task.restart.enable", "false");
        /* New topics that match: as often as MM1's consumer metadata
         * refresh (metadata.max.age.ms, 5 minutes by default). */
        const char *age = rdc_map_get(consumer, "metadata.max.age.ms");
        char secs[32] = "300";
        if (age && atol(age) >= 1000)
                snprintf(secs, sizeof(secs), "%ld", atol(age) / 1000);
        rc |= set(conn, "refresh.topics.interval.seconds", secs);
        for (size_t i = 0; i < rdc_map_count(consumer); i++) {
                const char *k = rdc_map_key_at(consumer, i);
                if (strcmp(k, "group.id") &&
                    strcmp(k, "enable.auto.commit") /* never: acks commit */)
                        rc |= set_prefixed(conn, "source.cluster.", k,
                                           rdc_map_value_at(consumer, i));
        }
        if (rc)
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL, "out of memory");
out:
        rdc_map_destroy(consumer);
        rdc_map_destroy(producer);
        return rc ? -1 : 0;
}

/* Top-level MirrorMaker 2 keys that are not connector settings. */
static int mm2_framework_key(const char *k) {
        static const char *const keys[] = {"clusters",
                                           "dedicated.mode."
                                           "enable.internal.rest",
                                           NULL};
        for (const char *const *p = keys; *p; p++)
                if (!strcmp(k, *p))
                        return 1;
        return !strncmp(k, "offset.storage.", 15) ||
               !strncmp(k, "config.storage.", 15) ||
               !strncmp(k, "status.storage.", 15) ||
               !strncmp(k, "key.converter", 13) ||
               !strncmp(k, "value.converter", 15) ||
               !strncmp(k, "header.converter", 16);
}

static int listed(const rdc_strlist_t *l, const char *s, size_t len) {
        for (size_t i = 0; i < l->cnt; i++)
                if (strlen(l->items[i]) == len && !strncmp(l->items[i], s, len))
                        return 1;
        return 0;
}

/* @returns the alias of cl that key starts with followed by '.', and its
 * length in *len; NULL if none. */
static const char *cluster_of(const rdc_strlist_t *cl, const char *key,
                              size_t *len) {
        for (size_t i = 0; i < cl->cnt; i++) {
                size_t n = strlen(cl->items[i]);
                if (n && !strncmp(key, cl->items[i], n) && key[n] == '.') {
                        *len = n;
                        return cl->items[i];
                }
        }
        return NULL;
}

/* One flow's connector, as Kafka's MirrorMakerConfig.connectorBaseConfig:
 * top-level keys, <A>.x as source.cluster.x (<A>.consumer.x as
 * source.consumer.x), <B>.x as target.cluster.x, then <A>-><B>.x. */
static int mm2_flow(const rdc_map_t *props, const rdc_strlist_t *cl,
                    const char *src, const char *tgt, const char *cls,
                    rdc_map_t *conn) {
        char flow[1100], name[1200];
        snprintf(flow, sizeof(flow), "%s->%s.", src, tgt);
        snprintf(name, sizeof(name), "%s->%s.%s", src, tgt, cls);
        int rc = conn_common(conn, name, cls);
        rc |= set(conn, "source.cluster.alias", src);
        rc |= set(conn, "target.cluster.alias", tgt);
        for (size_t i = 0; i < rdc_map_count(props); i++) {
                const char *k = rdc_map_key_at(props, i);
                const char *v = rdc_map_value_at(props, i);
                size_t n = 0;
                const char *alias = cluster_of(cl, k, &n);
                if (strstr(k, "->") || mm2_framework_key(k) ||
                    !strcmp(k, "enabled"))
                        continue;
                if (!alias) {
                        rc |= set(conn, k, v);
                        continue;
                }
                const char *side = !strcmp(alias, src)   ? "source"
                                   : !strcmp(alias, tgt) ? "target"
                                                         : NULL;
                if (!side)
                        continue;
                const char *rest = k + n + 1;
                char key[512];
                if (!strncmp(rest, "consumer.", 9) ||
                    !strncmp(rest, "producer.", 9) ||
                    !strncmp(rest, "admin.", 6))
                        snprintf(key, sizeof(key), "%s.%s", side, rest);
                else
                        snprintf(key, sizeof(key), "%s.cluster.%s", side, rest);
                rc |= set(conn, key, v);
        }
        size_t flen = strlen(flow);
        for (size_t i = 0; i < rdc_map_count(props); i++) {
                const char *k = rdc_map_key_at(props, i);
                if (!strncmp(k, flow, flen) && k[flen] &&
                    strcmp(k + flen, "enabled"))
                        rc |= set(conn, k + flen, rdc_map_value_at(props, i));
        }
        return rc;
}

/* A boolean of flow src->tgt: <src>-><tgt>.key, else the top-level key,
 * else def (Kafka's MirrorMakerConfig precedence). */
static int flow_bool(const rdc_map_t *props, const char *src, const char *tgt,
                     const char *key, int def) {
        char k[1200];
        snprintf(k, sizeof(k), "%s->%s.%s", src, tgt, key);
        const char *v = rdc_map_get(props, k);
        if (!v)
                v = rdc_map_get(props, key);
        return v ? !strcasecmp(v, "true") : def;
}

/* Adds the connector cls of flow src->tgt to the plan. @returns 0, or -1
 * after logging why. */
static int plan_add(mm_plan_t *plan, const rdc_map_t *props,
                    const rdc_strlist_t *cl, const char *src, const char *tgt,
                    const char *cls, const char *file) {
        if (plan->conn_cnt == 3 * MM_MAX_FLOWS) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "%s: more than %d flows", file, MM_MAX_FLOWS);
                return -1;
        }
        rdc_map_t *conn = rdc_map_new();
        if (!conn)
                return -1;
        plan->conns[plan->conn_cnt++] = conn;
        return mm2_flow(props, cl, src, tgt, cls, conn) ? -1 : 0;
}

/* MirrorMaker 2: the flows of the file into one target cluster.
 * @returns 0, or -1 after logging why. */
static int plan_mm2(const mm_args_t *a, mm_plan_t *plan) {
        rdc_map_t *props = rdc_map_new();
        rdc_strlist_t cl = {0}, only = {0};
        int rc = -1;
        if (!props || load(a->mm2_file, "MirrorMaker 2", props))
                goto out;
        const char *clusters = rdc_map_get(props, "clusters");
        if (!clusters || rdc_strlist_parse(clusters, &cl) || !cl.cnt) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "%s: Missing required configuration \"clusters\" "
                        "which has no default value.",
                        a->mm2_file);
                goto out;
        }
        if (a->clusters && rdc_strlist_parse(a->clusters, &only))
                goto out;
        const char *target = NULL;
        char target_buf[256];
        for (size_t i = 0; i < rdc_map_count(props); i++) {
                const char *k = rdc_map_key_at(props, i);
                const char *arrow = strstr(k, "->");
                const char *dot = arrow ? strchr(arrow + 2, '.') : NULL;
                if (!dot || strcmp(dot, ".enabled") ||
                    strcasecmp(rdc_map_value_at(props, i), "true"))
                        continue;
                char src[256], tgt[256];
                size_t sl = (size_t)(arrow - k), tl = (size_t)(dot - arrow - 2);
                if (sl >= sizeof(src) || tl >= sizeof(tgt) ||
                    !listed(&cl, k, sl) || !listed(&cl, arrow + 2, tl)) {
                        rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                                "%s: %s names a cluster that \"clusters\" "
                                "does not list",
                                a->mm2_file, k);
                        goto out;
                }
                memcpy(src, k, sl);
                src[sl] = '\0';
                memcpy(tgt, arrow + 2, tl);
                tgt[tl] = '\0';
                if (a->clusters && !listed(&only, tgt, tl))
                        continue;
                if (!strcmp(src, tgt)) {
                        rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                                "%s: %s mirrors a cluster into itself",
                                a->mm2_file, k);
                        goto out;
                }
                if (target && strcmp(target, tgt)) {
                        rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                                "%s: enabled flows into %s and %s: rdconnect "
                                "runs the flows into one target cluster per "
                                "process; start one per target with "
                                "--clusters",
                                a->mm2_file, target, tgt);
                        goto out;
                }
                target = strcpy(target_buf, tgt);
        }
        /* --clusters X with no enabled flow into X still runs the
         * heartbeats into X of the pairs that have them. */
        if (!target && a->clusters && only.cnt == 1 &&
            listed(&cl, only.items[0], strlen(only.items[0])))
                target = strcpy(target_buf, only.items[0]);
        for (size_t i = 0; target && i < cl.cnt; i++) {
                const char *src = cl.items[i];
                char key[600];
                snprintf(key, sizeof(key), "%s->%s.enabled", src, target);
                const char *en = rdc_map_get(props, key);
                int enabled = en && !strcasecmp(en, "true");
                if (!strcmp(src, target))
                        continue;
                if (enabled &&
                    (plan_add(plan, props, &cl, src, target,
                              "MirrorSourceConnector", a->mm2_file) ||
                     (flow_bool(props, src, target, "emit.checkpoints.enabled",
                                1) &&
                      plan_add(plan, props, &cl, src, target,
                               "MirrorCheckpointConnector", a->mm2_file))))
                        goto out;
                if (flow_bool(props, src, target, "emit.heartbeats.enabled",
                              1) &&
                    plan_add(plan, props, &cl, src, target,
                             "MirrorHeartbeatConnector", a->mm2_file))
                        goto out;
        }
        int flows = 0;
        for (size_t i = 0; i < plan->conn_cnt; i++)
                flows += strstr(rdc_map_get(plan->conns[i], "connector.class"),
                                "MirrorHeartbeat") == NULL;
        if (!plan->conn_cnt || (!flows && !a->clusters)) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "%s: no enabled flow%s (set <source>-><target>."
                        "enabled = true)",
                        a->mm2_file, a->clusters ? " into --clusters" : "");
                goto out;
        }
        char key[300];
        snprintf(key, sizeof(key), "%s.bootstrap.servers", target);
        const char *bootstrap = rdc_map_get(props, key);
        if (!bootstrap || !*bootstrap) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "%s: Missing required configuration \"%s\"",
                        a->mm2_file, key);
                goto out;
        }
        rc = set(plan->worker, "bootstrap.servers", bootstrap);
        rc |= worker_common(plan->worker);
        snprintf(key, sizeof(key), "%s.producer.", target);
        for (size_t i = 0; i < rdc_map_count(props); i++) {
                const char *k = rdc_map_key_at(props, i);
                if (!strncmp(k, key, strlen(key)))
                        rc |= set_prefixed(plan->worker, "producer.",
                                           k + strlen(key),
                                           rdc_map_value_at(props, i));
        }
        /* Source offsets: Kafka's dedicated mode keeps them in the topic
         * mm2-offsets.<target>.internal; here in a file of that name in
         * the working directory unless offset.storage.file.filename. */
        const char *file = rdc_map_get(props, "offset.storage.file.filename");
        snprintf(plan->offsets_path, sizeof(plan->offsets_path), "%s",
                 file ? file : "");
        if (!file)
                snprintf(plan->offsets_path, sizeof(plan->offsets_path),
                         "mm2-offsets.%s.internal", target);
        rc |= set(plan->worker, "offset.storage.file.filename",
                  plan->offsets_path);
        plan->abort_on_task_failure = 0;
out:
        rdc_strlist_clear(&cl);
        rdc_strlist_clear(&only);
        rdc_map_destroy(props);
        return rc ? -1 : 0;
}

/* @returns 2 if the connector is FAILED, 1 if one of its tasks is (trace
 * in why), 0 if none, -1 if the status is unknown. */
static int mirror_failed(rdc_herder_t *herder, const char *name, char *why,
                         size_t size) {
        rdc_request_t req = {.type = RDC_REQ_GET_STATUS, .connector = name};
        rdc_reply_t reply;
        rdc_herder_request(herder, &req, &reply, MM_REQUEST_TIMEOUT);
        int failed = -1;
        if (reply.status == 200 && reply.body) {
                failed = 0;
                json_object *c, *state, *trace, *tasks;
                if (json_object_object_get_ex(reply.body, "connector", &c) &&
                    json_object_object_get_ex(c, "state", &state) &&
                    !strcmp(json_object_get_string(state), "FAILED")) {
                        failed = 2;
                        snprintf(why, size, "%s",
                                 json_object_object_get_ex(c, "trace", &trace)
                                         ? json_object_get_string(trace)
                                         : "connector failed");
                }
                if (!failed &&
                    json_object_object_get_ex(reply.body, "tasks", &tasks))
                        for (size_t i = 0;
                             i < json_object_array_length(tasks) && !failed;
                             i++) {
                                json_object *t =
                                        json_object_array_get_idx(tasks, i);
                                if (json_object_object_get_ex(t, "state",
                                                              &state) &&
                                    !strcmp(json_object_get_string(state),
                                            "FAILED")) {
                                        failed = 1;
                                        snprintf(
                                                why, size, "%s",
                                                json_object_object_get_ex(
                                                        t, "trace", &trace)
                                                        ? json_object_get_string(
                                                                  trace)
                                                        : "task failed");
                                }
                        }
        }
        rdc_reply_clear(&reply);
        return failed;
}

int main(int argc, char **argv) {
        mm_args_t args;
        int parsed = parse_args(argc, argv, &args);
        if (parsed)
                return parsed > 0 ? 0 : 2;
        sigset_t sigs;
        rdc_crash_process_setup("mirror-maker", &sigs);

        mm_plan_t plan;
        memset(&plan, 0, sizeof(plan));
        plan.worker = rdc_map_new();
        int rc = 1;
        rdc_worker_t *worker = NULL;
        rdc_herder_t *herder = NULL;
        rdc_config_store_t *configs = NULL;
        rdc_status_store_t *statuses = NULL;
        char errstr[2048];
        if (!plan.worker ||
            (args.mm2_file ? plan_mm2(&args, &plan) : plan_mm1(&args, &plan)))
                goto out;
        worker = rdc_worker_new(plan.worker, 1, errstr, sizeof(errstr));
        if (!worker) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL, "%s", errstr);
                goto out;
        }
        configs = rdc_config_store_file_open(NULL);
        statuses = rdc_status_store_memory_new();
        herder = configs && statuses
                         ? rdc_herder_start(worker, configs, statuses, errstr,
                                            sizeof(errstr))
                         : NULL;
        if (!herder) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL, "%s",
                        configs && statuses ? errstr : "out of memory");
                goto out;
        }
        for (size_t i = 0; i < plan.conn_cnt; i++) {
                const char *name = rdc_map_get(plan.conns[i], "name");
                rdc_request_t req = {.type = RDC_REQ_PUT_CONFIG,
                                     .connector = name,
                                     .config = plan.conns[i]};
                rdc_reply_t reply;
                rdc_herder_request(herder, &req, &reply, MM_REQUEST_TIMEOUT);
                if (reply.status >= 400) {
                        rdc_log_flatten(reply.message);
                        rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                                "Invalid mirror configuration of %s: %s", name,
                                reply.message);
                        rdc_reply_clear(&reply);
                        goto out;
                }
                rdc_reply_clear(&reply);
                if (!strstr(rdc_map_get(plan.conns[i], "connector.class"),
                            "MirrorSource")) {
                        rdc_log(RDC_LOG_INFO, "mirror-maker", NULL,
                                "Running %s", name);
                        continue;
                }
                rdc_log(RDC_LOG_INFO, "mirror-maker", NULL,
                        "Mirroring '%s' from %s to %s with %s task(s) (%s)",
                        rdc_map_get(plan.conns[i], "topics")
                                ? rdc_map_get(plan.conns[i], "topics")
                                : ".*",
                        rdc_map_get(plan.conns[i],
                                    "source.cluster.bootstrap.servers"),
                        rdc_map_get(plan.worker, "bootstrap.servers"),
                        rdc_map_get(plan.conns[i], "tasks.max")
                                ? rdc_map_get(plan.conns[i], "tasks.max")
                                : "1",
                        name);
        }
        struct timespec tick = {MM_CHECK_MS / 1000,
                                (MM_CHECK_MS % 1000) * 1000000L};
        rc = 0;
        for (;;) {
                siginfo_t info;
                int sig = sigtimedwait(&sigs, &info, &tick);
                if (sig > 0) {
                        rdc_log(RDC_LOG_INFO, "mirror-maker", NULL,
                                "Received %s, stopping", strsignal(sig));
                        break;
                }
                char why[4096];
                int failed = 0;
                for (size_t i = 0; i < plan.conn_cnt && failed <= 0; i++)
                        failed = mirror_failed(
                                herder, rdc_map_get(plan.conns[i], "name"), why,
                                sizeof(why));
                /* The connector itself failing (configuration, a
                 * self-mirror) always ends the run; a task only with
                 * abort.on.send.failure (MM1; restarted otherwise). */
                if (failed == 2 ||
                    (failed == 1 && plan.abort_on_task_failure)) {
                        rdc_log_flatten(why);
                        rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                                "Mirror failed, exiting: %s", why);
                        rc = 1;
                        break;
                }
        }
out:
        if (herder) {
                rdc_herder_begin_shutdown(herder);
                if (rdc_herder_stop(herder)) {
                        rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                                "Tasks stuck at exit; exiting without "
                                "unloading plugins");
                        _exit(rc);
                }
        }
        if (configs)
                configs->ops->destroy(configs);
        if (statuses)
                statuses->ops->destroy(statuses);
        if (worker)
                rdc_worker_destroy(worker);
        rdc_map_destroy(plan.worker);
        for (size_t i = 0; i < plan.conn_cnt; i++)
                rdc_map_destroy(plan.conns[i]);
        if (plan.remove_offsets)
                unlink(plan.offsets_path);
        rdc_log(RDC_LOG_INFO, "mirror-maker", NULL, "Stopped");
        return rc;
}
