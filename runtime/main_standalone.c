/*
 * connect-standalone: one worker process, offsets in a file, connectors
 * from the command line (and the REST API).
 *
 *   connect-standalone WORKER.properties [CONNECTOR.properties|.json ...]
 *
 * Same arguments and keys as Apache Kafka's connect-standalone.sh.
 * A connector whose config is invalid is reported and skipped; the worker
 * keeps running the others (Kafka's standalone worker exits instead).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins/crash.h"
#include "herder/herder.h"
#include "core/cli.h"
#include "core/log.h"
#include "core/props.h"
#include "rest/rest.h"
#include "worker/worker.h"

#define RDC_CLI_REQUEST_TIMEOUT_MS 90000

static void usage(FILE *out) {
        fprintf(out,
                "Usage: connect-standalone [--help] [--version] "
                "WORKER.properties [CONNECTOR.properties|CONNECTOR.json "
                "...]\n"
                "\n"
                "Runs a standalone rdconnect worker: source offsets in "
                "offset.storage.file.filename,\n"
                "connectors from the given files (Kafka's .properties, or "
                "JSON as in POST /connectors)\n"
                "and the Kafka Connect REST API on `listeners` (default "
                "http://127.0.0.1:8083).\n"
                "bootstrap.servers=embedded runs an in-memory Kafka inside "
                "the worker.\n");
}

/* Creates one connector from a file through the same path as REST. */
static void start_connector_file(rdc_herder_t *herder, const char *path) {
        char errstr[1024];
        rdc_map_t *cfg = rdc_map_new();
        if (!cfg ||
            rdc_props_load_connector_file(path, cfg, errstr, sizeof(errstr))) {
                rdc_log(RDC_LOG_ERROR, "standalone", NULL,
                        "Skipping connector file %s: %s", path,
                        cfg ? errstr : "out of memory");
                rdc_map_destroy(cfg);
                return;
        }
        const char *name = rdc_map_get(cfg, "name");
        if (!name || !*name) {
                rdc_log(RDC_LOG_ERROR, "standalone", NULL,
                        "Skipping connector file %s: Missing required "
                        "configuration \"name\" which has no default value.",
                        path);
                rdc_map_destroy(cfg);
                return;
        }
        /* Create or replace: the connector may already be back from
         * connector.configs.file. */
        rdc_request_t req = {
                .type = RDC_REQ_PUT_CONFIG, .connector = name, .config = cfg};
        rdc_reply_t reply;
        rdc_herder_request(herder, &req, &reply, RDC_CLI_REQUEST_TIMEOUT_MS);
        if (reply.status >= 400) {
                /* One log line per failure: the REST message lists its
                 * errors on separate lines. */
                rdc_log_flatten(reply.message);
                rdc_log(RDC_LOG_ERROR, "standalone", name,
                        "Failed to create connector %s from %s: %s", name, path,
                        reply.message);
        } else
                rdc_log(RDC_LOG_INFO, "standalone", name,
                        "Created connector %s from %s", name, path);
        rdc_reply_clear(&reply);
        rdc_map_destroy(cfg);
}

int main(int argc, char **argv) {
        char errstr[2048];
        int argi;
        int done = rdc_cli_options(argc, argv, "connect-standalone",
                                   RDC_VERSION, usage, &argi);
        if (done >= 0)
                return done;
        if (argi >= argc) {
                usage(stderr);
                return 2;
        }

        /* First of all, so that a plugin crashing while it loads (in
         * rdc_worker_new) is named too. */
        sigset_t sigs;
        rdc_crash_process_setup("standalone", &sigs);

        rdc_map_t *props = rdc_cli_load_worker_props(argv[argi], "standalone");
        if (!props)
                return 1;
        rdc_worker_t *worker = rdc_worker_new(props, 1, errstr, sizeof(errstr));
        rdc_map_destroy(props);
        if (!worker) {
                rdc_log(RDC_LOG_ERROR, "standalone", NULL, "%s", errstr);
                return 1;
        }
        /* Before the herder starts tasks: it asks which ones crashed the
         * worker too often. Without records the worker still runs. */
        if (rdc_crash_records_open(worker->config, errstr, sizeof(errstr)))
                rdc_log(RDC_LOG_ERROR, "standalone", NULL, "%s", errstr);
        rdc_rest_t *rest = rdc_rest_start(worker, errstr, sizeof(errstr));
        if (!rest) {
                rdc_log(RDC_LOG_ERROR, "standalone", NULL, "%s", errstr);
                rdc_worker_destroy(worker);
                return 1;
        }
        /* Standalone's stores: configs in memory (and in
         * connector.configs.file when set), statuses in memory. */
        rdc_config_store_t *configs = rdc_config_store_file_open(
                rdc_map_get(worker->config, "connector.configs.file"));
        rdc_status_store_t *statuses = rdc_status_store_memory_new();
        rdc_herder_t *herder =
                configs && statuses
                        ? rdc_herder_start(worker, configs, statuses, errstr,
                                           sizeof(errstr))
                        : NULL;
        if (!herder) {
                rdc_log(RDC_LOG_ERROR, "standalone", NULL, "%s",
                        configs && statuses ? errstr : "out of memory");
                rdc_rest_stop(rest);
                if (configs)
                        configs->ops->destroy(configs);
                if (statuses)
                        statuses->ops->destroy(statuses);
                rdc_worker_destroy(worker);
                return 1;
        }
        for (int i = argi + 1; i < argc; i++)
                start_connector_file(herder, argv[i]);
        rdc_log(RDC_LOG_INFO, "standalone", NULL,
                "Worker started (id %s, REST %s)", worker->worker_id,
                worker->rest_url);

        int sig = 0;
        sigwait(&sigs, &sig);
        rdc_log(RDC_LOG_INFO, "standalone", NULL,
                "Received %s, stopping the worker", strsignal(sig));
        /* Requests still waiting answer 503 now: the REST server waits
         * for its handlers as it stops. */
        rdc_herder_begin_shutdown(herder);
        rdc_rest_stop(rest);
        size_t stuck = rdc_herder_stop(herder);
        if (stuck) {
                /* Their threads still run plugin code: unloading plugins
                 * or freeing the offset store under them could crash. */
                rdc_log(RDC_LOG_ERROR, "standalone", NULL,
                        "Worker stopped with %zu task(s) stuck; exiting "
                        "without unloading plugins",
                        stuck);
                _exit(0);
        }
        configs->ops->destroy(configs);
        statuses->ops->destroy(statuses);
        rdc_worker_destroy(worker);
        rdc_crash_records_close();
        rdc_log(RDC_LOG_INFO, "standalone", NULL, "Worker stopped");
        return 0;
}
