/*
 * connect-mirror-maker: MirrorMaker 1's command line on rdconnect.
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
 * MirrorMaker 2 properties files (connect-mirror-maker mm2.properties) are
 * refused with that reason: not built yet.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "core/log.h"
#include "core/props.h"
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
                "MirrorMaker 2 properties files are not supported yet.\n");
}

typedef struct mm_args {
        const char *consumer_config, *producer_config;
        const char *include, *whitelist;
        const char *num_streams, *commit_interval, *abort_on_failure;
} mm_args_t;

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
                        fprintf(stderr,
                                "connect-mirror-maker: MirrorMaker 2 "
                                "properties files (%s) are not supported "
                                "by rdconnect yet; use the MirrorMaker 1 "
                                "flags, or run MirrorSourceConnector in "
                                "connect-standalone\n",
                                arg);
                        return -1;
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

/* The worker's config and the connector's from the two client files.
 * @returns 0, or -1 after logging why. */
static int build_configs(const mm_args_t *a, const rdc_map_t *consumer,
                         const rdc_map_t *producer, const char *offsets_path,
                         rdc_map_t *worker, rdc_map_t *conn) {
        const char *target = rdc_map_get(producer, "bootstrap.servers");
        const char *source = rdc_map_get(consumer, "bootstrap.servers");
        const char *group = rdc_map_get(consumer, "group.id");
        if (!target || !*target || !source || !*source) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "bootstrap.servers must be set in %s",
                        !source || !*source ? a->consumer_config
                                            : a->producer_config);
                return -1;
        }
        if (!group || !*group) {
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "group.id must be set in %s: the mirror commits "
                        "its progress in that group on the source",
                        a->consumer_config);
                return -1;
        }
        int rc = 0;
        rc |= set(worker, "bootstrap.servers", target);
        for (size_t i = 0; i < rdc_map_count(producer); i++) {
                const char *k = rdc_map_key_at(producer, i);
                const char *v = rdc_map_value_at(producer, i);
                if (strcmp(k, "bootstrap.servers"))
                        rc |= set_prefixed(worker, "producer.", k, v);
                if (connection_key(k))
                        rc |= set_prefixed(conn, "target.cluster.", k, v);
        }
        rc |= set(worker, "key.converter", BYTEARRAY);
        rc |= set(worker, "value.converter", BYTEARRAY);
        rc |= set(worker, "offset.flush.interval.ms", "60000");
        /* The group holds the progress; the worker's store stays empty
         * but wants a file (removed at exit). */
        rc |= set(worker, "offset.storage.file.filename", offsets_path);

        rc |= set(conn, "name", MM_NAME);
        rc |= set(conn, "connector.class",
                  "org.apache.kafka.connect.mirror.MirrorSourceConnector");
        rc |= set(conn, "tasks.max", a->num_streams ? a->num_streams : "1");
        rc |= set(conn, "key.converter", BYTEARRAY);
        rc |= set(conn, "value.converter", BYTEARRAY);
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
        if (a->abort_on_failure && !strcmp(a->abort_on_failure, "false"))
                rc |= set(conn, "errors.tolerance", "all");
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
        return rc ? -1 : 0;
}

/* @returns 2 if the connector is FAILED, 1 if one of its tasks is (trace
 * in why), 0 if none, -1 if the status is unknown. */
static int mirror_failed(rdc_herder_t *herder, char *why, size_t size) {
        rdc_request_t req = {.type = RDC_REQ_GET_STATUS, .connector = MM_NAME};
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
        if (rdc_crash_install())
                rdc_log(RDC_LOG_WARN, "mirror-maker", NULL,
                        "Cannot install the crash handler: %s",
                        strerror(errno));
        sigset_t sigs;
        sigemptyset(&sigs);
        sigaddset(&sigs, SIGINT);
        sigaddset(&sigs, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &sigs, NULL);
        signal(SIGPIPE, SIG_IGN);

        rdc_map_t *consumer = rdc_map_new(), *producer = rdc_map_new();
        rdc_map_t *wprops = rdc_map_new(), *conn = rdc_map_new();
        int rc = 1;
        rdc_worker_t *worker = NULL;
        rdc_herder_t *herder = NULL;
        rdc_config_store_t *configs = NULL;
        rdc_status_store_t *statuses = NULL;
        char errstr[2048], offsets_path[4096] = "";
        const char *tmp = getenv("TMPDIR");
        snprintf(offsets_path, sizeof(offsets_path),
                 "%s/connect-mirror-maker.%ld.offsets",
                 tmp && *tmp ? tmp : "/tmp", (long)getpid());
        if (!consumer || !producer || !wprops || !conn ||
            load(args.consumer_config, "consumer", consumer) ||
            load(args.producer_config, "producer", producer) ||
            build_configs(&args, consumer, producer, offsets_path, wprops,
                          conn))
                goto out;
        worker = rdc_worker_new(wprops, 1, errstr, sizeof(errstr));
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
        rdc_request_t req = {.type = RDC_REQ_PUT_CONFIG,
                             .connector = MM_NAME,
                             .config = conn};
        rdc_reply_t reply;
        rdc_herder_request(herder, &req, &reply, MM_REQUEST_TIMEOUT);
        if (reply.status >= 400) {
                rdc_log_flatten(reply.message);
                rdc_log(RDC_LOG_ERROR, "mirror-maker", NULL,
                        "Invalid mirror configuration: %s", reply.message);
                rdc_reply_clear(&reply);
                goto out;
        }
        rdc_reply_clear(&reply);
        rdc_log(RDC_LOG_INFO, "mirror-maker", NULL,
                "Mirroring '%s' from %s to %s with %s stream(s)",
                rdc_map_get(conn, "topics"),
                rdc_map_get(consumer, "bootstrap.servers"),
                rdc_map_get(producer, "bootstrap.servers"),
                rdc_map_get(conn, "tasks.max"));
        int abort_on_failure = !args.abort_on_failure ||
                               !strcmp(args.abort_on_failure, "true");
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
                int failed = mirror_failed(herder, why, sizeof(why));
                /* The connector itself failing (configuration, a
                 * self-mirror) always ends the run; a task only with
                 * abort.on.send.failure. */
                if (failed == 2 || (failed == 1 && abort_on_failure)) {
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
        rdc_map_destroy(consumer);
        rdc_map_destroy(producer);
        rdc_map_destroy(wprops);
        rdc_map_destroy(conn);
        unlink(offsets_path);
        rdc_log(RDC_LOG_INFO, "mirror-maker", NULL, "Stopped");
        return rc;
}
