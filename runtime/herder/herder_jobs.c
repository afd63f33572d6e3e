/*
 * Slow work off the herder thread. A job runs on a thread of its own
 * (at most one per connector, plus one per validation a REST write
 * waits for) and reports back as an RDC_EV_JOB_DONE event; the herder
 * applies its results. Kinds:
 *  - connector work, in this order of steps: stop and join tasks (all
 *    signalled first, joined until one shared deadline: those still
 *    running are handed back as stuck), destroy the connector instance,
 *    create it, ask it for task configs. While it runs the job owns the
 *    connector's instance and context and the tasks it stops; the herder
 *    touches neither.
 *  - validation of a connector config (its plugin's validate hook);
 *  - offsets: GET/PATCH/DELETE .../offsets (sink: consumer-group admin
 *    calls; source: the offset store, flushed).
 * Plugin calls have no deadline of their own (C code cannot be
 * interrupted); the herder does not wait for them, and at shutdown a job
 * still running after the stop deadline is left running, as a stuck
 * task is.
 */
#define _GNU_SOURCE
#include "herder/herder_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include <curl/curl.h>

#include "core/log.h"
#include "core/providers.h"
#include "core/strlist.h"
#include "kafka/clients.h"
#include "kafka/sink_offsets.h"
#include "plugins/crash.h"
#include "rest/forward.h"

typedef enum rdc_job_kind {
        RDC_JOB_KIND_CONN = 1,
        RDC_JOB_KIND_VALIDATE,
        RDC_JOB_KIND_OFFSETS,
        RDC_JOB_KIND_HAND_OVER /* task configs to the leader (distributed) */
} rdc_job_kind_t;

struct rdc_job {
        rdc_job_kind_t kind;
        rdc_herder_t *h;
        rdc_conn_t *conn; /* the connector it works on, or NULL */
        uint64_t op_id;   /* the operation waiting for it, or 0 */
        char *name;
        /* RDC_JOB_KIND_CONN */
        int steps;
        int64_t deadline_ms;
        rdc_task_t **tasks; /* to stop; NULL after a join: ended */
        uint32_t *task_ids;
        size_t task_cnt;
        int restart_tasks; /* restart the stopped ones when done */
        /* The connector call the job thread is in ("create", ...; NULL:
         * none) and since when: the herder reports a call that takes
         * longer than the stop deadline (rdc_jobs_watch). Atomic. */
        const char *call;
        int64_t call_since_ms;
        int call_reported; /* herder thread only */
        /* inputs copied on the herder thread for the job's thread */
        const rdc_plugin_t *plugin;
        rdc_map_t *resolved;
        /* outputs */
        int create_err;
        int cfgs_err;
        char *trace;
        rdc_map_t **cfgs;
        uint32_t cfg_cnt;
        /* RDC_JOB_KIND_VALIDATE; RDC_JOB_KIND_CONN: the stored config
         * (as given, without defaults) for task configs */
        rdc_map_t *config;
        uint64_t config_version; /* of the stored entry it validates */
        rdc_reply_t reply;       /* also RDC_JOB_KIND_OFFSETS */
        int valid;
        /* RDC_JOB_KIND_OFFSETS */
        rdc_req_type_t req_type;
        json_object *body;
        char **topics;
        size_t topic_cnt;
        /* RDC_JOB_KIND_HAND_OVER: the leader's base URL; cfgs above */
        char *url;
};

void rdc_conn_enter(const rdc_conn_t *c) {
        rdc_crash_task_enter(c->name, -1, c->plugin->path);
}

/* Around each connector call of a job: rdc_conn_enter(), and the call
 * noted for rdc_jobs_watch(). */
static void job_call_enter(rdc_job_t *job, const char *call) {
        rdc_conn_enter(job->conn);
        __atomic_store_n(&job->call_since_ms, rdc_clock_now_ms(),
                         __ATOMIC_RELAXED);
        __atomic_store_n(&job->call, call, __ATOMIC_RELEASE);
}

static void job_call_leave(rdc_job_t *job) {
        __atomic_store_n(&job->call, NULL, __ATOMIC_RELEASE);
        rdc_crash_task_leave();
}

int64_t rdc_jobs_watch(rdc_herder_t *h) {
        int64_t now = rdc_clock_now_ms();
        int64_t limit = h->worker->graceful_timeout_ms;
        for (rdc_conn_t *c = h->conns; c; c = c->next) {
                rdc_job_t *job = c->job;
                if (!job || job->kind != RDC_JOB_KIND_CONN)
                        continue;
                const char *call =
                        __atomic_load_n(&job->call, __ATOMIC_ACQUIRE);
                int64_t since =
                        __atomic_load_n(&job->call_since_ms, __ATOMIC_RELAXED);
                if (!call || job->call_reported || now - since < limit)
                        continue;
                char trace[512];
                snprintf(trace, sizeof(trace),
                         "The connector's %s() has not returned after %" PRId64
                         " ms (task.shutdown.graceful.timeout.ms): it is "
                         "blocked in plugin code. The worker keeps serving; "
                         "the connector goes on when the call returns.",
                         call, now - since);
                rdc_log(RDC_LOG_WARN, "herder", c->name, "%s", trace);
                rdc_conn_set_state(h, c, RDC_STATE_UNASSIGNED, trace);
                job->call_reported = 1;
        }
        return h->jobs_live ? now + 500 : 0;
}

static void job_free(rdc_job_t *job) {
        free(job->tasks);
        free(job->task_ids);
        free(job->name);
        rdc_map_destroy(job->resolved);
        free(job->trace);
        for (uint32_t i = 0; job->cfgs && i < job->cfg_cnt; i++)
                rdc_map_destroy(job->cfgs[i]);
        free(job->cfgs);
        rdc_map_destroy(job->config);
        rdc_reply_clear(&job->reply);
        if (job->body)
                json_object_put(job->body);
        for (size_t i = 0; i < job->topic_cnt; i++)
                free(job->topics[i]);
        free(job->topics);
        free(job->url);
        free(job);
}

/* =================================================== connector work */

static void set_trace(rdc_job_t *job, const char *stage, const char *text) {
        free(job->trace);
        if (asprintf(&job->trace, "%s\n\tat stage: %s\n\tat connector: %s",
                     text, stage, job->name) < 0)
                job->trace = NULL;
}

static void step_stop_tasks(rdc_job_t *job) {
        for (size_t i = 0; i < job->task_cnt; i++)
                if (job->tasks[i])
                        rdc_task_stop_by(job->tasks[i], job->deadline_ms);
        for (size_t i = 0; i < job->task_cnt; i++)
                if (job->tasks[i] &&
                    !rdc_task_join_until(job->tasks[i], job->deadline_ms))
                        job->tasks[i] = NULL; /* ended and freed */
}

static void step_destroy(rdc_job_t *job) {
        rdc_conn_t *c = job->conn;
        if (c->instance) {
                job_call_enter(job, "destroy");
                c->plugin->desc->connector->destroy(c->instance);
                job_call_leave(job);
        }
        c->instance = NULL;
        if (c->ctx_live)
                rdc_ctx_destroy(&c->ctx);
        c->ctx_live = 0;
}

static void step_create(rdc_job_t *job) {
        rdc_conn_t *c = job->conn;
        char errstr[2048] = "";
        job->create_err = -1;
        if (rdc_crash_task_refused(c->name, -1, errstr, sizeof(errstr))) {
                job->trace = strdup(errstr);
                return;
        }
        if (rdc_ctx_init(&c->ctx, c->name, -1, c->plugin->desc->class_name,
                         job->h->worker->offsets)) {
                job->trace = strdup("out of memory");
                return;
        }
        c->ctx_live = 1;
        c->ctx.on_reconfigure = rdc_herder_reconfigure_cb;
        c->ctx.on_reconfigure_opaque = job->h;
        /* As Kafka's Worker.startConnector: the instance sees references
         * resolved. */
        rdc_map_t *live =
                rdc_providers_resolve(job->h->worker->providers, job->resolved,
                                      NULL, errstr, sizeof(errstr));
        rdcp_err_t err = RDCP_ERR_CONFIG;
        if (live) {
                job_call_enter(job, "create");
                err = c->plugin->desc->connector->create(
                        &c->ctx, &rdc_host, rdc_map_as_cconfig(live),
                        &c->instance, errstr, sizeof(errstr));
                job_call_leave(job);
                rdc_map_destroy(live);
        }
        if (err) {
                c->instance = NULL;
                set_trace(job, "create", errstr);
                rdc_log(RDC_LOG_ERROR, "herder", c->name,
                        "Connector failed to start: %s", errstr);
                rdc_ctx_destroy(&c->ctx);
                c->ctx_live = 0;
                return;
        }
        job->create_err = 0;
}

static void step_task_configs(rdc_job_t *job) {
        rdc_conn_t *c = job->conn;
        char errstr[2048] = "";
        int64_t max = 1;
        job->cfgs_err = -1;
        rdc_config_parse_int64(rdc_map_get(job->resolved, "tasks.max"), &max);
        rdc_map_t **cfgs = calloc((size_t)max, sizeof(*cfgs));
        rdcp_config_t **views = calloc((size_t)max, sizeof(*views));
        uint32_t cnt = (uint32_t)max;
        /* The connector builds task configs from what it saw: the resolved
         * config. */
        rdc_map_t *live =
                rdc_providers_resolve(job->h->worker->providers, job->resolved,
                                      NULL, errstr, sizeof(errstr));
        if (!live) {
                set_trace(job, "task_configs", errstr);
                goto done;
        }
        if (!cfgs || !views)
                goto done;
        for (int64_t i = 0; i < max; i++) {
                if (!(cfgs[i] = rdc_map_dup(live)))
                        goto done;
                views[i] = rdc_map_as_config(cfgs[i]);
        }
        job_call_enter(job, "task_configs");
        rdcp_err_t err = c->plugin->desc->connector->task_configs(
                c->instance, (uint32_t)max, views, &cnt, errstr,
                sizeof(errstr));
        job_call_leave(job);
        if (err || cnt > (uint32_t)max) {
                set_trace(job, "task_configs",
                          errstr[0] ? errstr : "invalid task count");
                goto done;
        }
        for (uint32_t i = 0; i < cnt; i++)
                if (rdc_providers_unresolve(job->h->worker->providers, cfgs[i],
                                            job->resolved, live) ||
                    rdc_task_config_for_store(cfgs[i], job->config,
                                              job->resolved, job->plugin))
                        goto done;
        job->cfgs_err = 0;
done:
        rdc_map_destroy(live);
        for (uint32_t i = job->cfgs_err ? 0 : cnt; cfgs && i < (uint32_t)max;
             i++) {
                rdc_map_destroy(cfgs[i]);
                cfgs[i] = NULL;
        }
        free(views);
        if (job->cfgs_err) {
                free(cfgs);
                if (!job->trace)
                        set_trace(job, "task_configs", "out of memory");
                return;
        }
        job->cfgs = cfgs;
        job->cfg_cnt = cnt;
}

static void run_conn(rdc_job_t *job) {
        if (job->steps & RDC_JOB_STOP_TASKS)
                step_stop_tasks(job);
        if (job->steps & RDC_JOB_DESTROY)
                step_destroy(job);
        if (job->steps & RDC_JOB_CREATE)
                step_create(job);
        if ((job->steps & RDC_JOB_TASK_CONFIGS) && !job->create_err &&
            job->conn->ctx_live)
                step_task_configs(job);
}

/* ======================================================= validation */

/* Validates the config for connector name. Sets job->valid, or the 400
 * reply in Kafka's wording. */
static void run_validate(rdc_job_t *job) {
        rdc_config_errors_t errs = {0};
        rdc_reply_t *reply = &job->reply;
        const char *cfg_name = rdc_map_get(job->config, "name");
        if (cfg_name && strcmp(cfg_name, job->name)) {
                rdc_reply_error(reply, 400,
                                "Connector name configuration (%s) doesn't "
                                "match connector name in the URL (%s)",
                                cfg_name, job->name);
                return;
        }
        if (rdc_map_set(job->config, "name", job->name)) {
                rdc_reply_error(reply, 500, "out of memory");
                return;
        }
        size_t cnt = rdc_connector_config_validate(job->h->worker, job->config,
                                                   &job->plugin, &job->resolved,
                                                   &errs);
        if (!cnt) {
                job->valid = 1;
                return;
        }
        size_t off = (size_t)snprintf(
                reply->message, sizeof(reply->message),
                "Connector configuration is invalid and contains the "
                "following %zu error(s):",
                errs.cnt);
        for (size_t i = 0; i < errs.cnt && off < sizeof(reply->message); i++)
                off += (size_t)snprintf(
                        reply->message + off, sizeof(reply->message) - off,
                        "\n%s: %s", errs.items[i].key, errs.items[i].message);
        if (off < sizeof(reply->message))
                snprintf(reply->message + off, sizeof(reply->message) - off,
                         "\nYou can also find the above list of errors at "
                         "the endpoint `/connector-plugins/{connectorType}/"
                         "config/validate`");
        reply->status = 400;
        rdc_config_errors_clear(&errs);
}

/* ========================================================== offsets */

static void offsets_collect(void *opaque, const char *partition,
                            const char *offset) {
        json_object *arr = opaque;
        json_object *entry = json_object_new_object();
        json_object_object_add(entry, "partition",
                               json_tokener_parse(partition));
        json_object_object_add(entry, "offset", json_tokener_parse(offset));
        json_object_array_add(arr, entry);
}

static void reply_offsets_changed(rdc_reply_t *reply, rdc_req_type_t type) {
        json_object *body = json_object_new_object();
        json_object_object_add(
                body, "message",
                json_object_new_string(
                        type == RDC_REQ_RESET_OFFSETS
                                ? "The offsets for this connector have been "
                                  "reset successfully"
                                : "The offsets for this connector have been "
                                  "altered successfully"));
        rdc_reply_set(reply, 200, body);
}

/* Config of a consumer in the sink's group, as its tasks have it (worker
 * consumer.* and the connector's consumer.override.* keys, references
 * resolved as a task resolves them): its cluster and its group.id. */
static rd_kafka_conf_t *sink_member_conf(rdc_job_t *job, const char *group,
                                         char *errstr, size_t errstr_size) {
        char *client_id = NULL;
        rdc_map_t *cfg =
                rdc_providers_resolve(job->h->worker->providers, job->resolved,
                                      NULL, errstr, errstr_size);
        if (!cfg)
                return NULL;
        if (asprintf(&client_id, "connector-offsets-%s", job->name) < 0) {
                rdc_map_destroy(cfg);
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        const char *const defaults[] = {
                "group.id",           group,   "client.id", client_id,
                "enable.auto.commit", "false", NULL};
        rd_kafka_conf_t *conf = rdc_kafka_client_conf(
                job->h->worker, "consumer", cfg, defaults, errstr, errstr_size);
        free(client_id);
        rdc_map_destroy(cfg);
        return conf;
}

/* Sink offsets are the committed offsets of the group of its consumers,
 * on the cluster they use. */
static void run_sink_offsets(rdc_job_t *job, json_object *list) {
        char errstr[2048];
        rdc_reply_t *reply = &job->reply;
        /* The whole name: a cut one could be another connector's group. */
        char *group = rdc_task_sink_group_id(job->name);
        snprintf(errstr, sizeof(errstr), "out of memory");
        rd_kafka_conf_t *conf =
                group ? sink_member_conf(job, group, errstr, sizeof(errstr))
                      : NULL;
        free(group);
        if (!conf) {
                rdc_reply_error(reply, 500, "%s", errstr);
                return;
        }
        const char *const *names = (const char *const *)job->topics;
        json_object *arr = NULL;
        int status;
        if (job->req_type == RDC_REQ_GET_OFFSETS)
                status = rdc_sink_offsets_list(conf, names, job->topic_cnt,
                                               &arr, errstr, sizeof(errstr))
                                 ? 500
                                 : 0;
        else if (job->req_type == RDC_REQ_RESET_OFFSETS)
                status = rdc_sink_offsets_reset(conf, job->name, names,
                                                job->topic_cnt, errstr,
                                                sizeof(errstr))
                                 ? 500
                                 : 0;
        else
                status = rdc_sink_offsets_alter(conf, job->name, list, errstr,
                                                sizeof(errstr));
        rd_kafka_conf_destroy(conf);
        if (status) {
                rdc_reply_error(reply, status, "%s", errstr);
        } else if (arr) {
                json_object *body = json_object_new_object();
                json_object_object_add(body, "offsets", arr);
                rdc_reply_set(reply, 200, body);
        } else {
                reply_offsets_changed(reply, job->req_type);
        }
}

static void run_source_offsets(rdc_job_t *job, json_object *list) {
        rdc_offset_store_t *store = job->h->worker->offsets;
        rdc_reply_t *reply = &job->reply;
        char errstr[512];
        if (job->req_type == RDC_REQ_GET_OFFSETS) {
                json_object *body = json_object_new_object();
                json_object *arr = json_object_new_array();
                rdc_offset_store_foreach(store, job->name, offsets_collect,
                                         arr);
                json_object_object_add(body, "offsets", arr);
                rdc_reply_set(reply, 200, body);
                return;
        }
        if (job->req_type == RDC_REQ_RESET_OFFSETS) {
                rdc_offset_store_remove_connector(store, job->name);
        } else {
                for (size_t i = 0; i < json_object_array_length(list); i++) {
                        json_object *e = json_object_array_get_idx(list, i);
                        json_object *p = NULL, *o = NULL;
                        json_object_object_get_ex(e, "partition", &p);
                        json_object_object_get_ex(e, "offset", &o);
                        if (!json_object_is_type(p, json_type_object) ||
                            rdc_offset_store_put(
                                    store, job->name,
                                    json_object_to_json_string(p),
                                    o ? json_object_to_json_string(o) : NULL)) {
                                rdc_reply_error(reply, 400,
                                                "Invalid partition or "
                                                "offset at index %zu",
                                                i);
                                return;
                        }
                }
        }
        if (rdc_offset_store_flush(store, errstr, sizeof(errstr))) {
                rdc_reply_error(reply, 500, "%s", errstr);
                return;
        }
        reply_offsets_changed(reply, job->req_type);
}

/* Kafka's checks of the offsets a PATCH gives (sinks: SinkUtils; sources:
 * OffsetUtils.validateFormat of partition and offset), in Kafka's words.
 * A source partition that is null or missing is refused too (Kafka would
 * store an offset without a partition). @returns 0, or -1 with errstr. */
static int offsets_check(json_object *list, int sink, char *errstr,
                         size_t errstr_size) {
        static const char *const fields[] = {"partition", "offset"};
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                json_object *entry = json_object_array_get_idx(list, i);
                const char *topic;
                int32_t partition;
                int64_t offset;
                if (sink) {
                        if (rdc_sink_offsets_parse_entry(entry, &topic,
                                                         &partition, &offset,
                                                         errstr, errstr_size))
                                return -1;
                        continue;
                }
                for (int k = 0; k < 2; k++) {
                        json_object *map = NULL;
                        json_object_object_get_ex(entry, fields[k], &map);
                        if (!map && k == 0) {
                                snprintf(errstr, errstr_size,
                                         "The partition for a source "
                                         "connector offset cannot be null or "
                                         "missing");
                                return -1;
                        }
                        if (!map)
                                continue; /* a null offset: removal */
                        json_object_object_foreach(map, key, value) {
                                if (!json_object_is_type(value,
                                                         json_type_object) &&
                                    !json_object_is_type(value,
                                                         json_type_array))
                                        continue;
                                snprintf(errstr, errstr_size,
                                         "Offsets may only contain primitive "
                                         "types as values, but field %s "
                                         "contains %s",
                                         key,
                                         json_object_is_type(value,
                                                             json_type_object)
                                                 ? "MAP"
                                                 : "ARRAY");
                                return -1;
                        }
                }
        }
        return 0;
}

static void run_offsets(rdc_job_t *job) {
        char errstr[1024];
        json_object *list = NULL;
        int sink = job->plugin->desc->type == RDCP_PLUGIN_SINK;
        if (job->body)
                json_object_object_get_ex(job->body, "offsets", &list);
        if (job->req_type == RDC_REQ_ALTER_OFFSETS &&
            offsets_check(list, sink, errstr, sizeof(errstr))) {
                rdc_reply_error(&job->reply, 400, "%s", errstr);
                return;
        }
        if (sink)
                run_sink_offsets(job, list);
        else
                run_source_offsets(job, list);
}

/* ========================================================== threads */

/* As Kafka's worker that runs a connector: its task configs go to the
 * leader (POST /connectors/{c}/tasks), which writes them. */
static void run_hand_over(rdc_job_t *job) {
        json_object *list = json_object_new_array();
        for (uint32_t i = 0; list && i < job->cfg_cnt; i++)
                json_object_array_add(list, rdc_map_json(job->cfgs[i]));
        const char *body = list ? json_object_to_json_string_ext(
                                          list, JSON_C_TO_STRING_PLAIN)
                                : NULL;
        char *name = curl_easy_escape(NULL, job->name, 0);
        char *url = NULL;
        size_t base = strlen(job->url);
        if (name &&
            asprintf(&url, "%s%sconnectors/%s/tasks?forward=true", job->url,
                     base && job->url[base - 1] == '/' ? "" : "/", name) < 0)
                url = NULL;
        rdc_rest_http_response_t resp;
        memset(&resp, 0, sizeof(resp));
        if (!body || !url) {
                job->create_err = 1;
                set_trace(job, "hand-over", "out of memory");
        } else if (rdc_rest_http_request(url, "POST", body, strlen(body), NULL,
                                         RDC_HAND_OVER_TIMEOUT_MS, 1 << 20,
                                         &resp) ||
                   resp.status < 200 || resp.status > 299) {
                char why[1024];
                snprintf(why, sizeof(why), "%s answered %d: %.900s", url,
                         resp.status,
                         resp.status ? (resp.body ? resp.body : "")
                                     : resp.error);
                job->create_err = 1;
                set_trace(job, "hand-over", why);
        }
        rdc_rest_http_response_clear(&resp);
        free(url);
        curl_free(name);
        json_object_put(list);
}

static void *job_main(void *arg) {
        rdc_job_t *job = arg;
        pthread_setname_np(pthread_self(), "rdc-herder-job");
        switch (job->kind) {
        case RDC_JOB_KIND_CONN:
                run_conn(job);
                break;
        case RDC_JOB_KIND_VALIDATE:
                run_validate(job);
                break;
        case RDC_JOB_KIND_OFFSETS:
                run_offsets(job);
                break;
        case RDC_JOB_KIND_HAND_OVER:
                run_hand_over(job);
                break;
        }
        /* Reported even when out of memory: the herder must learn that
         * the job ended. The event lives in the job. */
        rdc_cmd_t *cmd = rdc_herder_event_new(RDC_EV_JOB_DONE);
        while (!cmd) {
                struct timespec pause = {.tv_sec = 0, .tv_nsec = 10000000};
                nanosleep(&pause, NULL);
                cmd = rdc_herder_event_new(RDC_EV_JOB_DONE);
        }
        cmd->u.event.u.job.job = job;
        rdc_herder_post(job->h, cmd);
        return NULL;
}

static rdc_job_t *job_new(rdc_herder_t *h, rdc_job_kind_t kind,
                          const char *name, const rdc_op_t *op) {
        rdc_job_t *job = calloc(1, sizeof(*job));
        if (!job)
                return NULL;
        job->kind = kind;
        job->h = h;
        job->op_id = op ? rdc_op_id(op) : 0;
        if (!(job->name = strdup(name))) {
                free(job);
                return NULL;
        }
        return job;
}

static int job_launch(rdc_herder_t *h, rdc_job_t *job) {
        pthread_attr_t attr;
        pthread_t thread;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_mutex_lock(&h->lock);
        h->jobs_live++;
        pthread_mutex_unlock(&h->lock);
        int err = pthread_create(&thread, &attr, job_main, job);
        pthread_attr_destroy(&attr);
        if (err) {
                pthread_mutex_lock(&h->lock);
                h->jobs_live--;
                pthread_mutex_unlock(&h->lock);
                rdc_log(RDC_LOG_ERROR, "herder", job->name,
                        "Cannot start a herder job thread: %s", strerror(err));
                return -1;
        }
        if (job->conn)
                job->conn->job = job;
        return 0;
}

int rdc_job_conn(rdc_herder_t *h, rdc_conn_t *c, int steps, const uint32_t *ids,
                 size_t cnt, rdc_op_t *op) {
        rdc_job_t *job = job_new(h, RDC_JOB_KIND_CONN, c->name, op);
        if (!job)
                return -1;
        job->conn = c;
        job->steps = steps;
        job->plugin = c->plugin;
        job->deadline_ms = rdc_herder_stop_deadline(h);
        if ((steps & (RDC_JOB_CREATE | RDC_JOB_TASK_CONFIGS)) &&
            !(job->resolved = rdc_map_dup(c->resolved))) {
                job_free(job);
                return -1;
        }
        if ((steps & RDC_JOB_TASK_CONFIGS) &&
            !(job->config = rdc_map_dup(c->desired->config))) {
                job_free(job);
                return -1;
        }
        if (steps & RDC_JOB_STOP_TASKS) {
                size_t n = ids ? cnt : c->task_cnt;
                job->tasks = calloc(n ? n : 1, sizeof(*job->tasks));
                job->task_ids = calloc(n ? n : 1, sizeof(*job->task_ids));
                if (!job->tasks || !job->task_ids) {
                        job_free(job);
                        return -1;
                }
                for (size_t k = 0; k < n; k++) {
                        job->task_ids[k] = ids ? ids[k] : (uint32_t)k;
                        job->tasks[k] = c->slots[job->task_ids[k]].task;
                }
                job->task_cnt = n;
                job->restart_tasks = ids && !(steps & RDC_JOB_RELEASE);
        }
        if (job_launch(h, job)) {
                job_free(job);
                return -1;
        }
        /* The tasks are the job's now; a stop of all of them forgets the
         * slots (a removal, a new config, a new task set, a stop). */
        for (size_t k = 0; k < job->task_cnt; k++)
                c->slots[job->task_ids[k]].task = NULL;
        if ((steps & RDC_JOB_STOP_TASKS) && !ids) {
                for (uint32_t i = 0; i < c->task_cnt; i++) {
                        free(c->slots[i].trace);
                        rdc_map_destroy(c->task_cfgs[i]);
                }
                free(c->slots);
                free(c->task_cfgs);
                c->slots = NULL;
                c->task_cfgs = NULL;
                c->task_cnt = 0;
                c->tasks_version = RDC_TASKS_NONE;
                /* Distributed: other workers' tasks report their own. */
                if (!h->cluster)
                        h->statuses->ops->remove(h->statuses, c->name, 0, NULL,
                                                 NULL);
        }
        return 0;
}

int rdc_job_hand_over(rdc_herder_t *h, rdc_conn_t *c, rdc_map_t *const *cfgs,
                      uint32_t cnt, const char *leader_url) {
        rdc_job_t *job = job_new(h, RDC_JOB_KIND_HAND_OVER, c->name, NULL);
        if (!job)
                return -1;
        job->conn = c;
        job->cfgs = calloc(cnt ? cnt : 1, sizeof(*job->cfgs));
        int ok = job->cfgs && (job->url = strdup(leader_url));
        for (uint32_t i = 0; ok && i < cnt; i++) {
                ok = (job->cfgs[i] = rdc_map_dup(cfgs[i])) != NULL;
                job->cfg_cnt = i + 1;
        }
        if (!ok || job_launch(h, job)) {
                job_free(job);
                return -1;
        }
        return 0;
}

int rdc_job_validate(rdc_herder_t *h, const char *name, const rdc_map_t *config,
                     rdc_conn_t *c, rdc_op_t *op) {
        rdc_job_t *job = job_new(h, RDC_JOB_KIND_VALIDATE, name, op);
        if (!job)
                return -1;
        job->conn = c;
        if (c && c->desired)
                job->config_version = c->desired->config_version;
        if (!(job->config = rdc_map_dup(config)) || job_launch(h, job)) {
                job_free(job);
                return -1;
        }
        return 0;
}

/* The topics a sink's offsets can be on: its `topics` list and every topic
 * it actually consumed (which covers topics.regex). */
static int sink_topics(rdc_job_t *job, const rdc_conn_t *c) {
        rdc_strlist_t list;
        size_t cnt = 0;
        char **topics = NULL;
        if (rdc_strlist_parse(rdc_map_get(c->resolved, "topics"), &list) == 0)
                topics = calloc(c->topic_cnt + list.cnt + 1, sizeof(*topics));
        for (size_t i = 0; topics && i < list.cnt; i++)
                if (*list.items[i] && (topics[cnt] = strdup(list.items[i])))
                        cnt++;
        for (size_t i = 0; topics && i < c->topic_cnt; i++) {
                size_t j = 0;
                while (j < cnt && strcmp(topics[j], c->topics[i]))
                        j++;
                if (j == cnt && (topics[cnt] = strdup(c->topics[i])))
                        cnt++;
        }
        rdc_strlist_clear(&list);
        job->topics = topics;
        job->topic_cnt = topics ? cnt : 0;
        return topics ? 0 : -1;
}

int rdc_job_offsets(rdc_herder_t *h, rdc_conn_t *c, rdc_op_t *op) {
        const rdc_request_t *req = rdc_op_request(op);
        rdc_job_t *job = job_new(h, RDC_JOB_KIND_OFFSETS, c->name, op);
        if (!job)
                return -1;
        job->conn = c;
        job->plugin = c->plugin;
        job->req_type = req->type;
        if (!(job->resolved = rdc_map_dup(c->resolved)) ||
            (req->json &&
             json_object_deep_copy(req->json, &job->body, NULL) != 0) ||
            (c->plugin->desc->type == RDCP_PLUGIN_SINK &&
             sink_topics(job, c)) ||
            job_launch(h, job)) {
                job_free(job);
                return -1;
        }
        return 0;
}

/* ===================================================== job results */

static void conn_job_done(rdc_herder_t *h, rdc_job_t *job) {
        rdc_conn_t *c = job->conn;
        for (size_t k = 0; k < job->task_cnt; k++)
                if (job->tasks[k])
                        rdc_stuck_keep(h, c->name, job->task_ids[k],
                                       job->tasks[k]);
        if (job->steps & RDC_JOB_CREATE) {
                if (job->create_err) {
                        c->start_failed = 1;
                        rdc_conn_set_state(h, c, RDC_STATE_FAILED, job->trace);
                } else {
                        c->start_failed = 0;
                        c->applied_target = c->desired ? c->desired->target
                                                       : RDC_TARGET_STARTED;
                        rdc_conn_set_state(h, c,
                                           c->applied_target ==
                                                           RDC_TARGET_PAUSED
                                                   ? RDC_STATE_PAUSED
                                                   : RDC_STATE_RUNNING,
                                           NULL);
                }
        }
        if ((job->steps & RDC_JOB_TASK_CONFIGS) && !job->create_err &&
            c->ctx_live) {
                if (job->cfgs_err) {
                        c->tasks_failed = 1;
                        rdc_conn_set_state(h, c, RDC_STATE_FAILED, job->trace);
                } else {
                        c->tasks_failed = 0;
                }
        }
        if ((job->steps & RDC_JOB_RELEASE) && !h->shutting_down) {
                /* Moved: UNASSIGNED here until the new owner reports. */
                for (size_t k = 0; k < job->task_cnt; k++) {
                        uint32_t i = job->task_ids[k];
                        if (i >= c->task_cnt)
                                continue;
                        c->slots[i].restart_at_ms = 0;
                        rdc_slot_set_state(h, c, i, RDC_STATE_UNASSIGNED, NULL);
                        c->slots[i].remote = 1;
                }
        }
        if ((job->steps & RDC_JOB_DESTROY) && !job->create_err && c->desired &&
            h->cluster && !h->shutting_down && !rdc_cluster_owns(h, c, -1)) {
                rdc_conn_set_state(h, c, RDC_STATE_UNASSIGNED, NULL);
                c->remote = 1;
        }
        if (job->restart_tasks && !h->shutting_down) {
                /* Shown until the new task reports RUNNING (Kafka's
                 * RESTARTING); an automatic restart keeps its count. */
                for (size_t k = 0; k < job->task_cnt; k++) {
                        uint32_t i = job->task_ids[k];
                        if (i >= c->task_cnt)
                                continue;
                        int attempts = c->slots[i].attempts;
                        if (!rdc_task_slot_start(h, c, i))
                                rdc_slot_set_state(h, c, i,
                                                   RDC_STATE_RESTARTING, NULL);
                        if (!job->op_id)
                                c->slots[i].attempts = attempts;
                }
        }
}

/* The store's entry of c holds exactly cfgs as task configs. */
static int task_configs_in(const rdc_conn_t *c, rdc_map_t *const *cfgs,
                           uint32_t cnt) {
        const rdc_config_entry_t *e = c->desired;
        int same = e && e->task_cnt == cnt;
        for (uint32_t i = 0; same && i < cnt; i++)
                same = rdc_map_equal(cfgs[i], e->task_cfgs[i]);
        return same;
}

/* Writes the task configs the connector gave if they differ from the
 * stored ones (Kafka restarts tasks only then). */
static void conn_job_task_configs(rdc_herder_t *h, rdc_job_t *job) {
        rdc_conn_t *c = job->conn;
        const rdc_config_entry_t *e = c->desired;
        if (!(job->steps & RDC_JOB_TASK_CONFIGS) || job->create_err ||
            job->cfgs_err || !c->ctx_live || !e)
                return;
        if (task_configs_in(c, job->cfgs, job->cfg_cnt)) {
                rdc_log(RDC_LOG_DEBUG, "herder", c->name,
                        "Task configs unchanged");
                return;
        }
        if (!(job->steps & RDC_JOB_CREATE))
                rdc_log(RDC_LOG_INFO, "herder", c->name,
                        "Reconfiguring tasks on the connector's request");
        rdc_conn_write_task_configs(h, c, job->cfgs, job->cfg_cnt);
}

void rdc_herder_handle_job_done(rdc_herder_t *h, rdc_job_t *job) {
        rdc_conn_t *c = job->conn;
        if (c)
                c->job = NULL;
        rdc_op_t *op = job->op_id ? rdc_op_find(h, job->op_id) : NULL;
        switch (job->kind) {
        case RDC_JOB_KIND_CONN:
                conn_job_done(h, job);
                if (!h->shutting_down)
                        conn_job_task_configs(h, job);
                break;
        case RDC_JOB_KIND_VALIDATE:
                if (c && job->valid) {
                        rdc_map_destroy(c->resolved);
                        c->resolved = job->resolved;
                        job->resolved = NULL;
                        c->plugin = job->plugin;
                        c->invalid = 0;
                } else if (c) {
                        rdc_log_flatten(job->reply.message);
                        rdc_log(RDC_LOG_ERROR, "herder", c->name,
                                "Cannot restore connector %s from %s: %s. "
                                "Its entry is kept until the connector is "
                                "created anew or deleted over REST",
                                c->name, h->configs->origin,
                                job->reply.message);
                        c->invalid = 1;
                }
                if (c)
                        c->resolved_version = job->config_version;
                break;
        case RDC_JOB_KIND_OFFSETS:
                break;
        case RDC_JOB_KIND_HAND_OVER:
                /* Written by the leader, read back through the config
                 * topic. A leader that cannot take them (a rebalance,
                 * gone, fenced): handed over again, to the leader then
                 * (only the leader writes the config topic). */
                if (c && job->create_err && !h->shutting_down) {
                        rdc_log(RDC_LOG_WARN, "herder", c->name,
                                "The leader did not take the task configs "
                                "(%s); handing them over again in %d ms",
                                job->trace ? job->trace : "unknown error",
                                RDC_HAND_OVER_RETRY_MS);
                        rdc_conn_retry_task_configs(h, c, job->cfgs,
                                                    job->cfg_cnt);
                } else if (c && !h->shutting_down &&
                           !task_configs_in(c, job->cfgs, job->cfg_cnt)) {
                        /* Written: nothing goes on until this worker has
                         * read them back (or a while has passed). */
                        c->task_write = 1;
                        c->handed_over_ms = rdc_clock_now_ms();
                }
                break;
        }
        if (op && !h->shutting_down)
                rdc_op_job_done(h, op, job);
        char *name = strdup(job->name);
        job_free(job);
        if (name && !h->shutting_down)
                rdc_herder_progress(h, name);
        free(name);
}

/* For the operations: what a validation or offsets job produced. */
int rdc_job_valid(const rdc_job_t *job) {
        return job->valid;
}

rdc_reply_t *rdc_job_reply(rdc_job_t *job) {
        return &job->reply;
}

void rdc_job_take_resolution(rdc_job_t *job, rdc_map_t **config,
                             rdc_map_t **resolved,
                             const rdc_plugin_t **plugin) {
        *config = job->config;
        *resolved = job->resolved;
        *plugin = job->plugin;
        job->config = NULL;
        job->resolved = NULL;
}
