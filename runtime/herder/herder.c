/*
 * The herder: one thread that owns every connector and task of the worker
 * (see herder.h). Everything reaches it through its queue: requests (from
 * REST and the command line, waited on) and events (from task threads and
 * connectors, fire and forget).
 */
#define _GNU_SOURCE
#include "core/clock.h"
#include "core/fileio.h"
#include "core/log.h"
#include "core/strlist.h"
#include "herder/herder.h"
#include "kafka/clients.h"
#include "kafka/sink_offsets.h"
#include "plugins/crash.h"
#include "plugins/host.h"
#include "tasks/task.h"
#include "worker/worker.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef enum rdc_target {
        RDC_TARGET_STARTED = 0,
        RDC_TARGET_PAUSED,
        RDC_TARGET_STOPPED
} rdc_target_t;

typedef struct rdc_slot {
        rdc_task_t *task; /* NULL when not running */
        uint64_t tag;     /* rdc_task_tag() of task */
        rdc_state_t state;
        char *trace;
        int attempts;             /* automatic restarts in a row */
        int64_t restart_at_ms;    /* 0: none scheduled */
        int64_t running_since_ms; /* when it last reported RUNNING */
        int waiting; /* to start once its stuck previous instance ends */
} rdc_slot_t;

typedef struct rdc_conn {
        struct rdc_conn *next;
        char *name;
        rdc_map_t *config;   /* as submitted */
        rdc_map_t *resolved; /* defaults applied */
        const rdc_plugin_t *plugin;
        rdc_target_t target;
        rdc_state_t state;
        char *trace;
        rdcp_ctx_t ctx;
        int ctx_live;
        void *instance;
        rdc_map_t **task_cfgs;
        uint32_t task_cnt;
        rdc_slot_t *slots;
        char **topics;
        size_t topic_cnt;
        int reconfigure; /* a task reconfiguration was requested */
} rdc_conn_t;

/* A task instance that did not stop when asked (stuck in plugin code).
 * It stays here, alive, until its thread ends: what it uses is never
 * freed under it and no second instance of it starts meanwhile. */
typedef struct rdc_stuck {
        struct rdc_stuck *next;
        char *connector;
        uint32_t task_id;
        rdc_task_t *task;
} rdc_stuck_t;

typedef enum rdc_cmd_kind {
        RDC_CMD_REQUEST = 1,
        RDC_CMD_TASK_EVENT,
        RDC_CMD_RECONFIGURE
} rdc_cmd_kind_t;

/* A queued command. Requests are deep copies so that a poster that timed
 * out may leave: the last of poster and herder to let go frees it. */
typedef struct rdc_cmd {
        struct rdc_cmd *next;
        rdc_cmd_kind_t kind;
        int refs;
        int done;
        rdc_request_t req;
        char *connector;
        char *initial_state;
        rdc_map_t *config;
        rdc_reply_t reply;
        /* task events */
        rdc_task_t *task;
        uint64_t task_tag;
        int32_t task_id;
        rdc_task_event_t event;
        rdc_state_t state;
        char *text;
} rdc_cmd_t;

struct rdc_herder {
        rdc_worker_t *worker;
        pthread_t thread;
        pthread_mutex_t lock; /* guards queue, stopping, cmd refs/done */
        pthread_cond_t cond;  /* queue not empty / a request is done */
        rdc_cmd_t *head, *tail;
        int stopping;
        rdc_conn_t *conns;        /* herder thread only */
        uint64_t next_task_tag;   /* herder thread only */
        rdc_stuck_t *stuck;       /* herder thread only */
        size_t stuck_cnt;         /* herder thread; read after join */
        const char *configs_path; /* connector.configs.file, or NULL */
        /* Entries of that file that could not be restored (invalid now):
         * kept, and written back, until replaced or deleted over REST. */
        json_object *unrestored; /* herder thread only */
        /* Automatic restart of failed tasks (worker keys task.restart.*). */
        int restart_enable;
        int64_t restart_initial_ms;
        int64_t restart_max_ms;
};

static void cmd_unref(rdc_herder_t *h, rdc_cmd_t *cmd);

/* ============================================================ queue */

static void enqueue_locked(rdc_herder_t *h, rdc_cmd_t *cmd) {
        if (h->tail)
                h->tail->next = cmd;
        else
                h->head = cmd;
        h->tail = cmd;
        pthread_cond_broadcast(&h->cond);
}

static void enqueue(rdc_herder_t *h, rdc_cmd_t *cmd) {
        pthread_mutex_lock(&h->lock);
        enqueue_locked(h, cmd);
        pthread_mutex_unlock(&h->lock);
}

static void cmd_free(rdc_cmd_t *cmd) {
        free(cmd->connector);
        free(cmd->initial_state);
        rdc_map_destroy(cmd->config);
        if (cmd->req.json)
                json_object_put(cmd->req.json);
        rdc_reply_clear(&cmd->reply);
        free(cmd->text);
        free(cmd);
}

static void cmd_unref(rdc_herder_t *h, rdc_cmd_t *cmd) {
        pthread_mutex_lock(&h->lock);
        int last = --cmd->refs == 0;
        pthread_mutex_unlock(&h->lock);
        if (last)
                cmd_free(cmd);
}

/* Task threads call this; it only enqueues. */
static void on_task_event(void *opaque, rdc_task_t *task,
                          rdc_task_event_t event, rdc_state_t state,
                          const char *text) {
        rdc_herder_t *h = opaque;
        rdc_cmd_t *cmd = calloc(1, sizeof(*cmd));
        if (!cmd)
                return;
        cmd->kind = RDC_CMD_TASK_EVENT;
        cmd->refs = 1;
        cmd->task = task;
        cmd->task_id = rdc_task_id(task);
        cmd->task_tag = rdc_task_tag(task);
        cmd->event = event;
        cmd->state = state;
        cmd->text = text ? strdup(text) : NULL;
        enqueue(h, cmd);
}

/* Connectors call this (any thread) through host->request_reconfiguration.
 */
static void on_reconfigure(void *opaque, const char *connector) {
        rdc_herder_t *h = opaque;
        rdc_cmd_t *cmd = calloc(1, sizeof(*cmd));
        if (!cmd)
                return;
        cmd->kind = RDC_CMD_RECONFIGURE;
        cmd->refs = 1;
        cmd->connector = strdup(connector);
        if (!cmd->connector) {
                free(cmd);
                return;
        }
        /* Requests that pile up before the herder gets to them are one. */
        pthread_mutex_lock(&h->lock);
        rdc_cmd_t *q = h->head;
        while (q && !(q->kind == RDC_CMD_RECONFIGURE &&
                      !strcmp(q->connector, connector)))
                q = q->next;
        if (!q)
                enqueue_locked(h, cmd);
        pthread_mutex_unlock(&h->lock);
        if (q)
                cmd_free(cmd);
}

/* ========================================================== replies */

void rdc_reply_clear(rdc_reply_t *reply) {
        if (reply->body)
                json_object_put(reply->body);
        reply->body = NULL;
}

static void reply_set(rdc_reply_t *reply, int status, json_object *body) {
        reply->status = status;
        reply->body = body;
        reply->message[0] = '\0';
}

static void reply_error(rdc_reply_t *reply, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void reply_error(rdc_reply_t *reply, int status, const char *fmt, ...) {
        va_list ap;
        rdc_reply_clear(reply);
        reply->status = status;
        va_start(ap, fmt);
        vsnprintf(reply->message, sizeof(reply->message), fmt, ap);
        va_end(ap);
}

static void reply_not_found(rdc_reply_t *reply, const char *name) {
        reply_error(reply, 404, "Connector %s not found", name);
}

static json_object *map_json(const rdc_map_t *map) {
        json_object *obj = json_object_new_object();
        for (size_t i = 0; i < rdc_map_count(map); i++)
                json_object_object_add(
                        obj, rdc_map_key_at(map, i),
                        json_object_new_string(rdc_map_value_at(map, i)));
        return obj;
}

static const char *conn_type(const rdc_conn_t *c) {
        if (!c->plugin)
                return "unknown";
        return c->plugin->desc->type == RDCP_PLUGIN_SOURCE ? "source" : "sink";
}

static json_object *task_id_json(const rdc_conn_t *c, uint32_t i) {
        json_object *id = json_object_new_object();
        json_object_object_add(id, "connector",
                               json_object_new_string(c->name));
        json_object_object_add(id, "task", json_object_new_int((int)i));
        return id;
}

static json_object *conn_info_json(const rdc_conn_t *c) {
        json_object *info = json_object_new_object();
        json_object *tasks = json_object_new_array();
        json_object_object_add(info, "name", json_object_new_string(c->name));
        json_object_object_add(info, "config", map_json(c->config));
        for (uint32_t i = 0; i < c->task_cnt; i++)
                json_object_array_add(tasks, task_id_json(c, i));
        json_object_object_add(info, "tasks", tasks);
        json_object_object_add(info, "type",
                               json_object_new_string(conn_type(c)));
        return info;
}

static json_object *state_json(rdc_herder_t *h, rdc_state_t state,
                               const char *trace) {
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "state",
                               json_object_new_string(rdc_state_name(state)));
        json_object_object_add(obj, "worker_id",
                               json_object_new_string(h->worker->worker_id));
        if (trace)
                json_object_object_add(obj, "trace",
                                       json_object_new_string(trace));
        return obj;
}

static json_object *task_status_json(rdc_herder_t *h, const rdc_conn_t *c,
                                     uint32_t i) {
        const rdc_slot_t *s = &c->slots[i];
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "id", json_object_new_int((int)i));
        json_object *st = state_json(h, s->state, s->trace);
        json_object_object_foreach(st, key, val) {
                json_object_object_add(obj, key, json_object_get(val));
        }
        json_object_put(st);
        return obj;
}

static json_object *conn_status_json(rdc_herder_t *h, const rdc_conn_t *c) {
        json_object *obj = json_object_new_object();
        json_object *tasks = json_object_new_array();
        json_object_object_add(obj, "name", json_object_new_string(c->name));
        json_object_object_add(obj, "connector",
                               state_json(h, c->state, c->trace));
        for (uint32_t i = 0; i < c->task_cnt; i++)
                json_object_array_add(tasks, task_status_json(h, c, i));
        json_object_object_add(obj, "tasks", tasks);
        json_object_object_add(obj, "type",
                               json_object_new_string(conn_type(c)));
        return obj;
}

/* ======================================================= connectors */

static rdc_conn_t *conn_find(rdc_herder_t *h, const char *name) {
        for (rdc_conn_t *c = h->conns; c; c = c->next)
                if (!strcmp(c->name, name))
                        return c;
        return NULL;
}

static void set_text(char **dst, const char *text) {
        free(*dst);
        *dst = text ? strdup(text) : NULL;
}

static void conn_set_state(rdc_conn_t *c, rdc_state_t state,
                           const char *trace) {
        c->state = state;
        set_text(&c->trace, trace);
}

/* The deadline of a stop that starts now: one for all the tasks it
 * stops, as Kafka's task.shutdown.graceful.timeout.ms. */
static int64_t stop_deadline(rdc_herder_t *h) {
        return rdc_clock_now_ms() + h->worker->graceful_timeout_ms;
}

static rdc_stuck_t *stuck_find(rdc_herder_t *h, const char *connector,
                               uint32_t task_id) {
        for (rdc_stuck_t *st = h->stuck; st; st = st->next)
                if (st->task_id == task_id && !strcmp(st->connector, connector))
                        return st;
        return NULL;
}

/* Waits until deadline for a task that was asked to stop; one that does
 * not end is kept on the stuck list. */
static void task_join_or_keep(rdc_herder_t *h, const char *connector,
                              uint32_t task_id, rdc_task_t *task,
                              int64_t deadline) {
        if (!rdc_task_join_until(task, deadline))
                return;
        rdc_stuck_t *st = calloc(1, sizeof(*st));
        char *name = strdup(connector);
        rdc_log(RDC_LOG_ERROR, "herder", connector,
                "Task %s-%u did not stop within "
                "task.shutdown.graceful.timeout.ms (%" PRId64
                " ms): it is stuck (in plugin code or a client call). It "
                "keeps running and keeps its plugin loaded; no new instance "
                "of it starts until it ends",
                connector, task_id, h->worker->graceful_timeout_ms);
        h->stuck_cnt++;
        if (!st || !name) {
                /* Cannot track it: still never free what it uses. */
                free(st);
                free(name);
                return;
        }
        st->connector = name;
        st->task_id = task_id;
        st->task = task;
        st->next = h->stuck;
        h->stuck = st;
}

/* Stops every task of c (signal all, then join until one deadline) and
 * forgets the task configs. */
static void conn_stop_tasks(rdc_herder_t *h, rdc_conn_t *c, int64_t deadline) {
        for (uint32_t i = 0; i < c->task_cnt; i++)
                if (c->slots[i].task)
                        rdc_task_stop(c->slots[i].task);
        for (uint32_t i = 0; i < c->task_cnt; i++) {
                if (c->slots[i].task)
                        task_join_or_keep(h, c->name, i, c->slots[i].task,
                                          deadline);
                c->slots[i].task = NULL;
                free(c->slots[i].trace);
                rdc_map_destroy(c->task_cfgs[i]);
        }
        free(c->slots);
        free(c->task_cfgs);
        c->slots = NULL;
        c->task_cfgs = NULL;
        c->task_cnt = 0;
}

/* The herder thread is in c's connector instance until conn_left(): a
 * crash there names the connector and is recorded, so that a restarted
 * worker does not crash-loop on it (crash.task.limit, task id -1). */
static void conn_enter(const rdc_conn_t *c) {
        rdc_crash_task_enter(c->name, -1, c->plugin->path);
}

/* Destroys the connector instance only; its tasks are not touched. */
static void conn_destroy_instance(rdc_conn_t *c) {
        if (c->instance) {
                conn_enter(c);
                c->plugin->desc->connector->destroy(c->instance);
                rdc_crash_task_leave();
        }
        c->instance = NULL;
        if (c->ctx_live)
                rdc_ctx_destroy(&c->ctx);
        c->ctx_live = 0;
}

static void conn_stop_instance(rdc_herder_t *h, rdc_conn_t *c,
                               int64_t deadline) {
        conn_stop_tasks(h, c, deadline);
        conn_destroy_instance(c);
}

/* Starts task i of c. @returns 0, 1 if it waits for its stuck previous
 * instance to end (started then), -1 if it failed to start. */
static int task_start(rdc_herder_t *h, rdc_conn_t *c, uint32_t i) {
        char errstr[512];
        rdc_slot_t *s = &c->slots[i];
        if (stuck_find(h, c->name, i)) {
                s->task = NULL;
                s->state = RDC_STATE_UNASSIGNED;
                s->waiting = 1;
                s->restart_at_ms = 0;
                snprintf(errstr, sizeof(errstr),
                         "Waiting for the previous instance of this task to "
                         "end: it did not stop within "
                         "task.shutdown.graceful.timeout.ms (%" PRId64
                         " ms) and is stuck in plugin code or a client call",
                         h->worker->graceful_timeout_ms);
                set_text(&s->trace, errstr);
                return 1;
        }
        s->waiting = 0;
        rdc_task_spec_t spec = {
                .worker = h->worker,
                .connector = c->name,
                .task_id = (int32_t)i,
                .plugin = c->plugin,
                .task_config = c->task_cfgs[i],
                .connector_config = c->resolved,
                .start_paused = c->target == RDC_TARGET_PAUSED,
                .on_event = on_task_event,
                .opaque = h,
                .tag = ++h->next_task_tag,
        };
        c->slots[i].state = RDC_STATE_UNASSIGNED;
        c->slots[i].attempts = 0;
        c->slots[i].restart_at_ms = 0;
        c->slots[i].running_since_ms = 0;
        set_text(&c->slots[i].trace, NULL);
        c->slots[i].tag = spec.tag;
        /* A task that crashed the worker too often stays FAILED. */
        c->slots[i].task =
                rdc_crash_task_refused(c->name, (int32_t)i, errstr,
                                       sizeof(errstr))
                        ? NULL
                        : rdc_task_start(&spec, errstr, sizeof(errstr));
        if (!c->slots[i].task) {
                c->slots[i].state = RDC_STATE_FAILED;
                set_text(&c->slots[i].trace, errstr);
                return -1;
        }
        return 0;
}

/* Asks the connector for its task configs. @returns 0 or -1 (connector
 * FAILED). */
static int conn_compute_tasks(rdc_conn_t *c, rdc_map_t ***cfgsp,
                              uint32_t *cntp) {
        char errstr[2048] = "";
        int64_t max = 1;
        rdc_config_parse_int64(rdc_map_get(c->resolved, "tasks.max"), &max);
        rdc_map_t **cfgs = calloc((size_t)max, sizeof(*cfgs));
        rdcp_config_t **views = calloc((size_t)max, sizeof(*views));
        uint32_t cnt = (uint32_t)max;
        int ret = -1;
        if (!cfgs || !views)
                goto done;
        for (int64_t i = 0; i < max; i++) {
                if (!(cfgs[i] = rdc_map_dup(c->resolved)))
                        goto done;
                views[i] = rdc_map_as_config(cfgs[i]);
        }
        conn_enter(c);
        rdcp_err_t err = c->plugin->desc->connector->task_configs(
                c->instance, (uint32_t)max, views, &cnt, errstr,
                sizeof(errstr));
        rdc_crash_task_leave();
        if (err || cnt > (uint32_t)max) {
                char trace[2300];
                snprintf(trace, sizeof(trace),
                         "%s\n\tat stage: task_configs\n\tat connector: %s",
                         errstr[0] ? errstr : "invalid task count", c->name);
                conn_set_state(c, RDC_STATE_FAILED, trace);
                goto done;
        }
        ret = 0;
done:
        for (uint32_t i = ret ? 0 : cnt; cfgs && i < (uint32_t)max; i++)
                rdc_map_destroy(cfgs[i]);
        free(views);
        if (ret) {
                free(cfgs);
                cfgs = NULL;
                cnt = 0;
        }
        *cfgsp = cfgs;
        *cntp = cnt;
        return ret;
}

/* Starts c's tasks with cfgs (taken over). */
static void conn_start_tasks_with(rdc_herder_t *h, rdc_conn_t *c,
                                  rdc_map_t **cfgs, uint32_t cnt) {
        c->task_cfgs = cfgs;
        c->task_cnt = cnt;
        c->slots = calloc(c->task_cnt ? c->task_cnt : 1, sizeof(*c->slots));
        for (uint32_t i = 0; c->slots && i < c->task_cnt; i++)
                task_start(h, c, i);
}

static void conn_start_tasks(rdc_herder_t *h, rdc_conn_t *c) {
        rdc_map_t **cfgs;
        uint32_t cnt;
        if (!conn_compute_tasks(c, &cfgs, &cnt))
                conn_start_tasks_with(h, c, cfgs, cnt);
}

/* Creates the connector instance. @returns 0, or -1 (state FAILED). */
static int conn_start_instance(rdc_herder_t *h, rdc_conn_t *c) {
        char errstr[2048] = "";
        if (rdc_crash_task_refused(c->name, -1, errstr, sizeof(errstr))) {
                conn_set_state(c, RDC_STATE_FAILED, errstr);
                return -1;
        }
        if (rdc_ctx_init(&c->ctx, c->name, -1, c->plugin->desc->class_name,
                         h->worker->offsets)) {
                conn_set_state(c, RDC_STATE_FAILED, "out of memory");
                return -1;
        }
        c->ctx_live = 1;
        c->ctx.on_reconfigure = on_reconfigure;
        c->ctx.on_reconfigure_opaque = h;
        conn_enter(c);
        rdcp_err_t err = c->plugin->desc->connector->create(
                &c->ctx, &rdc_host, rdc_map_as_cconfig(c->resolved),
                &c->instance, errstr, sizeof(errstr));
        rdc_crash_task_leave();
        if (err) {
                char trace[2300];
                c->instance = NULL;
                snprintf(trace, sizeof(trace),
                         "%s\n\tat stage: create\n\tat connector: %s", errstr,
                         c->name);
                rdc_log(RDC_LOG_ERROR, "herder", c->name,
                        "Connector failed to start: %s", errstr);
                conn_set_state(c, RDC_STATE_FAILED, trace);
                return -1;
        }
        conn_set_state(c,
                       c->target == RDC_TARGET_PAUSED ? RDC_STATE_PAUSED
                                                      : RDC_STATE_RUNNING,
                       NULL);
        return 0;
}

/* Starts the connector instance and, unless STOPPED, its tasks. */
static void conn_start(rdc_herder_t *h, rdc_conn_t *c) {
        conn_set_state(c, RDC_STATE_UNASSIGNED, NULL);
        if (c->target == RDC_TARGET_STOPPED) {
                conn_set_state(c, RDC_STATE_STOPPED, NULL);
                return;
        }
        if (conn_start_instance(h, c))
                return;
        conn_start_tasks(h, c);
        rdc_log(RDC_LOG_INFO, "herder", c->name,
                "Connector %s started with %u task(s)",
                c->plugin->desc->class_name, c->task_cnt);
}

static void conn_free(rdc_conn_t *c) {
        free(c->name);
        rdc_map_destroy(c->config);
        rdc_map_destroy(c->resolved);
        free(c->trace);
        for (size_t i = 0; i < c->topic_cnt; i++)
                free(c->topics[i]);
        free(c->topics);
        free(c);
}

static void conn_remove(rdc_herder_t *h, rdc_conn_t *c, int64_t deadline) {
        conn_stop_instance(h, c, deadline);
        for (rdc_conn_t **pp = &h->conns; *pp; pp = &(*pp)->next) {
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        }
        conn_free(c);
}

/* ========================================================= requests */

/* Validates cfg for connector name. @returns 0 with *plugin and *resolved
 * set, or -1 with a 400 reply in Kafka's wording. */
static int validate_or_reply(rdc_herder_t *h, const char *name,
                             const rdc_map_t *cfg, const rdc_plugin_t **plugin,
                             rdc_map_t **resolved, rdc_reply_t *reply) {
        rdc_config_errors_t errs = {0};
        const char *cfg_name = rdc_map_get(cfg, "name");
        if (cfg_name && strcmp(cfg_name, name)) {
                reply_error(reply, 400,
                            "Connector name configuration (%s) doesn't match "
                            "connector name in the URL (%s)",
                            cfg_name, name);
                return -1;
        }
        rdc_map_t *named = rdc_map_dup(cfg);
        if (!named || rdc_map_set(named, "name", name)) {
                rdc_map_destroy(named);
                reply_error(reply, 500, "out of memory");
                return -1;
        }
        size_t cnt = rdc_connector_config_validate(h->worker, named, plugin,
                                                   resolved, &errs);
        rdc_map_destroy(named);
        if (!cnt)
                return 0;
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
        return -1;
}

static int parse_target(const char *text, rdc_target_t *target) {
        if (!text || !strcmp(text, "RUNNING"))
                *target = RDC_TARGET_STARTED;
        else if (!strcmp(text, "PAUSED"))
                *target = RDC_TARGET_PAUSED;
        else if (!strcmp(text, "STOPPED"))
                *target = RDC_TARGET_STOPPED;
        else
                return -1;
        return 0;
}

/* Creates or replaces a connector. @returns 201 (created) or 200. */
static void do_put(rdc_herder_t *h, const char *name, const rdc_map_t *cfg,
                   int create_only, const char *initial_state,
                   rdc_reply_t *reply) {
        const rdc_plugin_t *plugin;
        rdc_map_t *resolved;
        rdc_target_t target;
        rdc_conn_t *c = conn_find(h, name);
        if (c && create_only) {
                reply_error(reply, 409, "Connector %s already exists", name);
                return;
        }
        if (parse_target(initial_state, &target)) {
                reply_error(reply, 400,
                            "Invalid initial state %s: must be RUNNING, "
                            "PAUSED or STOPPED",
                            initial_state);
                return;
        }
        if (validate_or_reply(h, name, cfg, &plugin, &resolved, reply))
                return;
        int created = !c;
        if (c) {
                conn_stop_instance(h, c, stop_deadline(h));
                target = c->target;
                rdc_map_destroy(c->config);
                rdc_map_destroy(c->resolved);
        } else {
                c = calloc(1, sizeof(*c));
                if (!c || !(c->name = strdup(name))) {
                        free(c);
                        rdc_map_destroy(resolved);
                        reply_error(reply, 500, "out of memory");
                        return;
                }
                c->next = h->conns;
                h->conns = c;
        }
        c->config = rdc_map_dup(cfg);
        rdc_map_set(c->config, "name", name);
        c->resolved = resolved;
        c->plugin = plugin;
        c->target = target;
        conn_start(h, c);
        if (h->unrestored)
                json_object_object_del(h->unrestored, name);
        reply_set(reply, created ? 201 : 200, conn_info_json(c));
}

static rdc_map_t *patch_config(const rdc_map_t *cfg, json_object *patch,
                               rdc_reply_t *reply) {
        rdc_map_t *out = rdc_map_dup(cfg);
        if (!json_object_is_type(patch, json_type_object)) {
                rdc_map_destroy(out);
                reply_error(reply, 400, "The patch must be a JSON object");
                return NULL;
        }
        json_object_object_foreach(patch, key, val) {
                if (!val) {
                        rdc_map_unset(out, key);
                        continue;
                }
                if (json_object_is_type(val, json_type_object) ||
                    json_object_is_type(val, json_type_array)) {
                        rdc_map_destroy(out);
                        reply_error(reply, 400, "Value of %s must be a string",
                                    key);
                        return NULL;
                }
                rdc_map_set(out, key, json_object_get_string(val));
        }
        return out;
}

static void do_set_target(rdc_herder_t *h, rdc_conn_t *c, rdc_target_t target) {
        rdc_target_t was = c->target;
        c->target = target;
        if (was == target)
                return;
        if (target == RDC_TARGET_STOPPED) {
                conn_stop_instance(h, c, stop_deadline(h));
                conn_set_state(c, RDC_STATE_STOPPED, NULL);
                return;
        }
        if (was == RDC_TARGET_STOPPED) {
                conn_start(h, c);
                return;
        }
        int paused = target == RDC_TARGET_PAUSED;
        if (c->state == RDC_STATE_RUNNING || c->state == RDC_STATE_PAUSED)
                conn_set_state(c, paused ? RDC_STATE_PAUSED : RDC_STATE_RUNNING,
                               NULL);
        for (uint32_t i = 0; i < c->task_cnt; i++)
                if (c->slots[i].task)
                        rdc_task_set_paused(c->slots[i].task, paused);
}

static void do_restart_task(rdc_herder_t *h, rdc_conn_t *c, uint32_t i) {
        rdc_slot_t *s = &c->slots[i];
        if (s->task) {
                rdc_task_stop(s->task);
                task_join_or_keep(h, c->name, i, s->task, stop_deadline(h));
                s->task = NULL;
        }
        /* Shown until the new task reports RUNNING (Kafka's RESTARTING). */
        if (!task_start(h, c, i))
                s->state = RDC_STATE_RESTARTING;
}

/* Kafka's semantics: the connector instance restarts unless onlyFailed
 * and it is not FAILED; with includeTasks, each task restarts unless
 * onlyFailed and it is not FAILED. Tasks are never restarted without
 * includeTasks. Restarted instances show RESTARTING in the 202 body. */
static void do_restart(rdc_herder_t *h, rdc_conn_t *c, const rdc_request_t *req,
                       rdc_reply_t *reply) {
        if (c->target == RDC_TARGET_STOPPED) {
                reply_error(reply, 409,
                            "Cannot restart connector %s: it is STOPPED",
                            c->name);
                return;
        }
        int restart_conn = !req->only_failed || c->state == RDC_STATE_FAILED;
        if (restart_conn) {
                rdc_crash_task_forget(c->name, -1);
                conn_destroy_instance(c);
                /* A connector that never got tasks (it failed to start)
                 * gets them now. */
                if (!conn_start_instance(h, c) && !c->task_cnt)
                        conn_start_tasks(h, c);
        }
        for (uint32_t i = 0; req->include_tasks && i < c->task_cnt; i++) {
                rdc_state_t st = c->slots[i].state;
                if (!req->only_failed || st == RDC_STATE_FAILED ||
                    st == RDC_STATE_RESTARTING) {
                        rdc_crash_task_forget(c->name, (int32_t)i);
                        do_restart_task(h, c, i);
                }
        }
        if (!req->include_tasks && !req->only_failed) {
                reply_set(reply, 204, NULL);
                return;
        }
        json_object *status = conn_status_json(h, c);
        if (restart_conn && c->state != RDC_STATE_FAILED)
                json_object_object_add(
                        json_object_object_get(status, "connector"), "state",
                        json_object_new_string("RESTARTING"));
        reply_set(reply, 202, status);
}

static json_object *topics_json(const rdc_conn_t *c) {
        json_object *obj = json_object_new_object();
        json_object *inner = json_object_new_object();
        json_object *arr = json_object_new_array();
        for (size_t i = 0; i < c->topic_cnt; i++)
                json_object_array_add(arr,
                                      json_object_new_string(c->topics[i]));
        json_object_object_add(inner, "topics", arr);
        json_object_object_add(obj, c->name, inner);
        return obj;
}

static json_object *list_json(rdc_herder_t *h, const rdc_request_t *req) {
        if (!req->expand_status && !req->expand_info) {
                json_object *arr = json_object_new_array();
                for (rdc_conn_t *c = h->conns; c; c = c->next)
                        json_object_array_add(arr,
                                              json_object_new_string(c->name));
                return arr;
        }
        json_object *obj = json_object_new_object();
        for (rdc_conn_t *c = h->conns; c; c = c->next) {
                json_object *entry = json_object_new_object();
                if (req->expand_status)
                        json_object_object_add(entry, "status",
                                               conn_status_json(h, c));
                if (req->expand_info)
                        json_object_object_add(entry, "info",
                                               conn_info_json(c));
                json_object_object_add(obj, c->name, entry);
        }
        return obj;
}

static json_object *tasks_json(const rdc_conn_t *c) {
        json_object *arr = json_object_new_array();
        for (uint32_t i = 0; i < c->task_cnt; i++) {
                json_object *t = json_object_new_object();
                json_object_object_add(t, "id", task_id_json(c, i));
                json_object_object_add(t, "config", map_json(c->task_cfgs[i]));
                json_object_array_add(arr, t);
        }
        return arr;
}

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
        reply_set(reply, 200, body);
}

/* The topics a sink's offsets can be on: its `topics` list and every topic
 * it actually consumed (which covers topics.regex). Caller frees the
 * array and its strings. */
static size_t sink_topics(const rdc_conn_t *c, char ***out) {
        rdc_strlist_t list;
        size_t cnt = 0;
        char **topics = NULL;
        if (rdc_strlist_parse(rdc_map_get(c->resolved, "topics"), &list) == 0)
                topics = calloc(c->topic_cnt + list.cnt + 1, sizeof(*topics));
        for (size_t i = 0; topics && i < list.cnt; i++)
                if (*list.items[i])
                        topics[cnt++] = strdup(list.items[i]);
        for (size_t i = 0; topics && i < c->topic_cnt; i++) {
                size_t j = 0;
                while (j < cnt && strcmp(topics[j], c->topics[i]))
                        j++;
                if (j == cnt)
                        topics[cnt++] = strdup(c->topics[i]);
        }
        rdc_strlist_clear(&list);
        *out = topics;
        return topics ? cnt : 0;
}

/* Config of a consumer in the sink's group, as its tasks have it (worker
 * consumer.* and the connector's consumer.override.* keys). */
static rd_kafka_conf_t *sink_member_conf(rdc_herder_t *h, rdc_conn_t *c,
                                         const char *group, char *errstr,
                                         size_t errstr_size) {
        char *client_id = NULL;
        if (asprintf(&client_id, "connector-offsets-%s", c->name) < 0) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        const char *const defaults[] = {
                "group.id",           group,   "client.id", client_id,
                "enable.auto.commit", "false", NULL};
        rd_kafka_conf_t *conf =
                rdc_kafka_client_conf(h->worker, "consumer", c->resolved,
                                      defaults, errstr, errstr_size);
        free(client_id);
        return conf;
}

/* Sink offsets are the committed offsets of group connect-<name>. */
static void do_sink_offsets(rdc_herder_t *h, rdc_conn_t *c, rdc_req_type_t type,
                            json_object *list, rdc_reply_t *reply) {
        char errstr[1024];
        rd_kafka_t *rk = rdc_kafka_admin(h->worker, errstr, sizeof(errstr));
        if (!rk) {
                reply_error(reply, 500, "%s", errstr);
                return;
        }
        /* The whole name: a cut one could be another connector's group. */
        char *group = rdc_task_sink_group_id(c->name);
        if (!group) {
                reply_error(reply, 500, "out of memory");
                return;
        }
        char **topics = NULL;
        size_t topic_cnt = sink_topics(c, &topics);
        const char *const *names = (const char *const *)topics;
        json_object *arr = NULL;
        rd_kafka_conf_t *member = NULL;
        int status;
        if (type == RDC_REQ_GET_OFFSETS)
                status = rdc_sink_offsets_list(rk, group, names, topic_cnt,
                                               &arr, errstr, sizeof(errstr))
                                 ? 500
                                 : 0;
        else if (!(member = sink_member_conf(h, c, group, errstr,
                                             sizeof(errstr))))
                status = 500;
        else if (type == RDC_REQ_RESET_OFFSETS)
                status = rdc_sink_offsets_reset(rk, member, names, topic_cnt,
                                                errstr, sizeof(errstr))
                                 ? 500
                                 : 0;
        else
                status = rdc_sink_offsets_alter(rk, member, list, errstr,
                                                sizeof(errstr));
        for (size_t i = 0; i < topic_cnt; i++)
                free(topics[i]);
        free(topics);
        free(group);
        if (status) {
                reply_error(reply, status, "%s", errstr);
        } else if (arr) {
                json_object *body = json_object_new_object();
                json_object_object_add(body, "offsets", arr);
                reply_set(reply, 200, body);
        } else {
                reply_offsets_changed(reply, type);
        }
}

static void do_offsets(rdc_herder_t *h, rdc_conn_t *c, const rdc_request_t *req,
                       rdc_reply_t *reply) {
        if (req->type != RDC_REQ_GET_OFFSETS &&
            c->target != RDC_TARGET_STOPPED) {
                reply_error(reply, 400,
                            "Connectors must be in the STOPPED state before "
                            "their offsets can be modified. This can be done "
                            "for the specified connector by issuing a 'PUT' "
                            "request to the '/connectors/%s/stop' endpoint",
                            c->name);
                return;
        }
        char errstr[512];
        json_object *list = NULL;
        if (req->type == RDC_REQ_ALTER_OFFSETS &&
            (!req->json ||
             !json_object_object_get_ex(req->json, "offsets", &list) ||
             !json_object_is_type(list, json_type_array))) {
                reply_error(reply, 400,
                            "The request body must contain an 'offsets' "
                            "array");
                return;
        }
        if (c->plugin->desc->type == RDCP_PLUGIN_SINK) {
                do_sink_offsets(h, c, req->type, list, reply);
                return;
        }
        if (req->type == RDC_REQ_RESET_OFFSETS) {
                rdc_offset_store_remove_connector(h->worker->offsets, c->name);
        } else if (req->type == RDC_REQ_ALTER_OFFSETS) {
                for (size_t i = 0; i < json_object_array_length(list); i++) {
                        json_object *e = json_object_array_get_idx(list, i);
                        json_object *p = NULL, *o = NULL;
                        json_object_object_get_ex(e, "partition", &p);
                        json_object_object_get_ex(e, "offset", &o);
                        if (!json_object_is_type(p, json_type_object) ||
                            rdc_offset_store_put(
                                    h->worker->offsets, c->name,
                                    json_object_to_json_string(p),
                                    o ? json_object_to_json_string(o) : NULL)) {
                                reply_error(reply, 400,
                                            "Invalid partition or offset at "
                                            "index %zu",
                                            i);
                                return;
                        }
                }
        } else {
                json_object *body = json_object_new_object();
                json_object *arr = json_object_new_array();
                rdc_offset_store_foreach(h->worker->offsets, c->name,
                                         offsets_collect, arr);
                json_object_object_add(body, "offsets", arr);
                reply_set(reply, 200, body);
                return;
        }
        if (rdc_offset_store_flush(h->worker->offsets, errstr,
                                   sizeof(errstr))) {
                reply_error(reply, 500, "%s", errstr);
                return;
        }
        reply_offsets_changed(reply, req->type);
}

/* ====================================================== persistence */

static const char *const target_names[] = {
        [RDC_TARGET_STARTED] = "RUNNING",
        [RDC_TARGET_PAUSED] = "PAUSED",
        [RDC_TARGET_STOPPED] = "STOPPED",
};

/* rdconnect extension (connector.configs.file): connectors created over
 * REST in standalone mode survive a restart, with their target state.
 * Kafka's standalone worker forgets them. Written after every change. */
static void configs_save(rdc_herder_t *h) {
        char errstr[1024];
        if (!h->configs_path)
                return;
        json_object *doc = json_object_new_object();
        if (h->unrestored) {
                json_object_object_foreach(h->unrestored, name, entry) {
                        json_object_object_add(doc, name,
                                               json_object_get(entry));
                }
        }
        for (rdc_conn_t *c = h->conns; c; c = c->next) {
                json_object *entry = json_object_new_object();
                json_object_object_add(entry, "config", map_json(c->config));
                json_object_object_add(
                        entry, "target_state",
                        json_object_new_string(target_names[c->target]));
                json_object_object_add(doc, c->name, entry);
        }
        const char *text = json_object_to_json_string_ext(
                doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (rdc_file_write_atomic(h->configs_path, text, errstr,
                                  sizeof(errstr)))
                rdc_log(RDC_LOG_ERROR, "herder", NULL,
                        "Cannot save connector configs: %s", errstr);
        json_object_put(doc);
}

static int configs_load_entry(rdc_herder_t *h, const char *name,
                              json_object *entry) {
        json_object *cfg_json = NULL, *state = NULL;
        rdc_reply_t reply = {0};
        if (!json_object_object_get_ex(entry, "config", &cfg_json) ||
            !json_object_is_type(cfg_json, json_type_object))
                return -1;
        json_object_object_get_ex(entry, "target_state", &state);
        rdc_map_t *cfg = rdc_map_new();
        json_object_object_foreach(cfg_json, key, val) {
                rdc_map_set(cfg, key, json_object_get_string(val));
        }
        do_put(h, name, cfg, 1, state ? json_object_get_string(state) : NULL,
               &reply);
        rdc_map_destroy(cfg);
        if (reply.status >= 400) {
                rdc_log_flatten(reply.message);
                rdc_log(RDC_LOG_ERROR, "herder", name,
                        "Cannot restore connector %s from %s: %s. Its entry "
                        "is kept in the file until the connector is "
                        "created anew or deleted over REST",
                        name, h->configs_path, reply.message);
                if (!h->unrestored)
                        h->unrestored = json_object_new_object();
                json_object_object_add(h->unrestored, name,
                                       json_object_get(entry));
        }
        rdc_reply_clear(&reply);
        return 0;
}

static void configs_load(rdc_herder_t *h) {
        if (!h->configs_path || access(h->configs_path, F_OK))
                return;
        json_object *doc = json_object_from_file(h->configs_path);
        if (!json_object_is_type(doc, json_type_object)) {
                rdc_log(RDC_LOG_ERROR, "herder", NULL,
                        "Ignoring %s (connector.configs.file): not a JSON "
                        "object: %s",
                        h->configs_path, json_util_get_last_err());
                json_object_put(doc);
                return;
        }
        json_object_object_foreach(doc, name, entry) {
                if (configs_load_entry(h, name, entry))
                        rdc_log(RDC_LOG_ERROR, "herder", name,
                                "Ignoring entry %s of %s: no \"config\" "
                                "object",
                                name, h->configs_path);
        }
        json_object_put(doc);
        rdc_log(RDC_LOG_INFO, "herder", NULL, "Restored connectors from %s",
                h->configs_path);
}

/* Requests after which the saved configs must be rewritten. */
static int request_changes_configs(rdc_req_type_t type) {
        switch (type) {
        case RDC_REQ_CREATE:
        case RDC_REQ_PUT_CONFIG:
        case RDC_REQ_PATCH_CONFIG:
        case RDC_REQ_PAUSE:
        case RDC_REQ_RESUME:
        case RDC_REQ_STOP:
        case RDC_REQ_DELETE:
                return 1;
        default:
                return 0;
        }
}

/* GET /health. The worker is healthy while the herder answers, as in
 * Kafka; beyond Kafka, the message names the tasks that run but cannot
 * make progress (their trace says why) and those stuck in plugin code.
 * They keep the status "healthy": restarting the worker would not help
 * them (Kafka unreachable, a full disk) and would stop everything else. */
static json_object *health_json(rdc_herder_t *h) {
        char msg[2048];
        size_t off = (size_t)snprintf(msg, sizeof(msg),
                                      "Worker has completed startup and is "
                                      "ready to handle requests.");
        size_t degraded = 0;
        for (rdc_conn_t *c = h->conns; c; c = c->next) {
                for (uint32_t i = 0; i < c->task_cnt; i++) {
                        const rdc_slot_t *s = &c->slots[i];
                        if ((s->state != RDC_STATE_RUNNING &&
                             s->state != RDC_STATE_PAUSED) ||
                            !s->trace)
                                continue;
                        if (!degraded++ && off < sizeof(msg))
                                off += (size_t)snprintf(
                                        msg + off, sizeof(msg) - off,
                                        " Tasks that cannot make "
                                        "progress:");
                        if (off < sizeof(msg))
                                off += (size_t)snprintf(
                                        msg + off, sizeof(msg) - off,
                                        " %s-%u (%s);", c->name, i, s->trace);
                }
        }
        if (h->stuck_cnt && off < sizeof(msg))
                snprintf(msg + off, sizeof(msg) - off,
                         " %zu task(s) stuck after a stop.", h->stuck_cnt);
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "status",
                               json_object_new_string("healthy"));
        json_object_object_add(obj, "message", json_object_new_string(msg));
        return obj;
}

static void handle_request(rdc_herder_t *h, const rdc_request_t *req,
                           rdc_reply_t *reply) {
        rdc_conn_t *c = NULL;
        reply_set(reply, 200, NULL);
        switch (req->type) {
        case RDC_REQ_LIST:
                reply_set(reply, 200, list_json(h, req));
                return;
        case RDC_REQ_HEALTH:
                reply_set(reply, 200, health_json(h));
                return;
        case RDC_REQ_CREATE:
                do_put(h, req->connector, req->config, 1, req->initial_state,
                       reply);
                return;
        case RDC_REQ_PUT_CONFIG:
                do_put(h, req->connector, req->config, 0, NULL, reply);
                return;
        default:
                break;
        }
        if (req->connector && req->type == RDC_REQ_DELETE &&
            !conn_find(h, req->connector) && h->unrestored &&
            json_object_object_get_ex(h->unrestored, req->connector, NULL)) {
                /* The entry of connector.configs.file that did not load. */
                json_object_object_del(h->unrestored, req->connector);
                reply_set(reply, 204, NULL);
                return;
        }
        if (!req->connector || !(c = conn_find(h, req->connector))) {
                reply_not_found(reply, req->connector ? req->connector : "");
                return;
        }
        if ((req->type == RDC_REQ_GET_TASK_STATUS ||
             req->type == RDC_REQ_RESTART_TASK) &&
            (req->task < 0 || (uint32_t)req->task >= c->task_cnt)) {
                reply_error(reply, 404, "Task %s-%d not found", c->name,
                            req->task);
                return;
        }
        switch (req->type) {
        case RDC_REQ_GET_INFO:
                reply_set(reply, 200, conn_info_json(c));
                break;
        case RDC_REQ_GET_CONFIG:
                reply_set(reply, 200, map_json(c->config));
                break;
        case RDC_REQ_PATCH_CONFIG: {
                rdc_map_t *patched = patch_config(c->config, req->json, reply);
                if (!patched)
                        break;
                do_put(h, c->name, patched, 0, NULL, reply);
                rdc_map_destroy(patched);
                if (reply->status == 200 || reply->status == 201)
                        reply->status = 200;
                break;
        }
        case RDC_REQ_GET_STATUS:
                reply_set(reply, 200, conn_status_json(h, c));
                break;
        case RDC_REQ_RESTART:
                do_restart(h, c, req, reply);
                break;
        case RDC_REQ_PAUSE:
        case RDC_REQ_RESUME:
                do_set_target(h, c,
                              req->type == RDC_REQ_PAUSE ? RDC_TARGET_PAUSED
                                                         : RDC_TARGET_STARTED);
                reply_set(reply, 202, NULL);
                break;
        case RDC_REQ_STOP:
                do_set_target(h, c, RDC_TARGET_STOPPED);
                reply_set(reply, 204, NULL);
                break;
        case RDC_REQ_GET_TASKS:
                reply_set(reply, 200, tasks_json(c));
                break;
        case RDC_REQ_GET_TASK_STATUS:
                reply_set(reply, 200,
                          task_status_json(h, c, (uint32_t)req->task));
                break;
        case RDC_REQ_RESTART_TASK:
                rdc_crash_task_forget(c->name, req->task);
                do_restart_task(h, c, (uint32_t)req->task);
                reply_set(reply, 204, NULL);
                break;
        case RDC_REQ_DELETE:
                conn_remove(h, c, stop_deadline(h));
                reply_set(reply, 204, NULL);
                break;
        case RDC_REQ_GET_TOPICS:
                reply_set(reply, 200, topics_json(c));
                break;
        case RDC_REQ_RESET_TOPICS:
                for (size_t i = 0; i < c->topic_cnt; i++)
                        free(c->topics[i]);
                c->topic_cnt = 0;
                for (uint32_t i = 0; i < c->task_cnt; i++)
                        if (c->slots[i].task)
                                rdc_task_reset_topics(c->slots[i].task);
                reply_set(reply, 202, NULL);
                break;
        case RDC_REQ_GET_OFFSETS:
        case RDC_REQ_ALTER_OFFSETS:
        case RDC_REQ_RESET_OFFSETS:
                do_offsets(h, c, req, reply);
                break;
        default:
                reply_error(reply, 500, "unknown request %d", (int)req->type);
        }
}

/* =========================================================== events */

/* The connector whose slot id runs exactly this start of the task: the
 * tag tells a replaced task (whose address a new one may reuse) from the
 * current one, so a late event of the old one is dropped. */
static rdc_conn_t *conn_of_task(rdc_herder_t *h, const rdc_task_t *task,
                                uint64_t tag, int32_t id) {
        for (rdc_conn_t *c = h->conns; c; c = c->next)
                if (id >= 0 && (uint32_t)id < c->task_cnt &&
                    c->slots[id].task == task && c->slots[id].tag == tag)
                        return c;
        return NULL;
}

static void conn_add_topic(rdc_conn_t *c, const char *topic) {
        for (size_t i = 0; i < c->topic_cnt; i++)
                if (!strcmp(c->topics[i], topic))
                        return;
        char **grown =
                realloc(c->topics, (c->topic_cnt + 1) * sizeof(*c->topics));
        if (!grown)
                return;
        c->topics = grown;
        if ((c->topics[c->topic_cnt] = strdup(topic)))
                c->topic_cnt++;
}

/* Beyond Kafka: a failed task comes back by itself after an exponential
 * backoff, so a transient outage needs no human. Its status says
 * RESTARTING, with the attempt number and the failure in the trace. */
static void schedule_restart(rdc_herder_t *h, rdc_conn_t *c, rdc_slot_t *s) {
        if (!h->restart_enable || c->target == RDC_TARGET_STOPPED)
                return;
        int64_t now = rdc_clock_now_ms();
        /* A task that ran well for a full backoff period starts over. */
        if (s->running_since_ms &&
            now - s->running_since_ms >= h->restart_max_ms)
                s->attempts = 0;
        s->running_since_ms = 0;
        s->attempts++;
        int64_t delay = h->restart_initial_ms;
        for (int i = 1; i < s->attempts && delay < h->restart_max_ms; i++)
                delay *= 2;
        if (delay > h->restart_max_ms)
                delay = h->restart_max_ms;
        s->restart_at_ms = now + delay;
        char trace[4096];
        snprintf(trace, sizeof(trace),
                 "Restarting automatically in %" PRId64
                 " ms (attempt %d) after failure:\n%s",
                 delay, s->attempts, s->trace ? s->trace : "");
        s->state = RDC_STATE_RESTARTING;
        set_text(&s->trace, trace);
        rdc_log(RDC_LOG_WARN, "herder", c->name,
                "Task %ld failed; restart attempt %d in %" PRId64 " ms",
                (long)(s - c->slots), s->attempts, delay);
}

/* Restarts the tasks whose backoff has passed. @returns the time of the
 * next scheduled restart, or 0 if none. */
static int64_t run_due_restarts(rdc_herder_t *h) {
        int64_t now = rdc_clock_now_ms(), next = 0;
        for (rdc_conn_t *c = h->conns; c; c = c->next) {
                for (uint32_t i = 0; i < c->task_cnt; i++) {
                        rdc_slot_t *s = &c->slots[i];
                        if (!s->restart_at_ms)
                                continue;
                        if (s->restart_at_ms <= now) {
                                int attempts = s->attempts;
                                do_restart_task(h, c, i);
                                s->attempts = attempts;
                        } else if (!next || s->restart_at_ms < next) {
                                next = s->restart_at_ms;
                        }
                }
        }
        return next;
}

static void handle_task_event(rdc_herder_t *h, rdc_cmd_t *cmd) {
        rdc_conn_t *c = conn_of_task(h, cmd->task, cmd->task_tag, cmd->task_id);
        if (!c)
                return; /* a task that was replaced or removed */
        if (cmd->event == RDC_TASK_EV_TOPIC) {
                conn_add_topic(c, cmd->text);
                return;
        }
        rdc_slot_t *s = &c->slots[cmd->task_id];
        /* A RUNNING task that reports a reason (or its end) keeps its
         * running time: only a start of running counts for the backoff. */
        if (cmd->state == RDC_STATE_RUNNING && s->state != RDC_STATE_RUNNING)
                s->running_since_ms = rdc_clock_now_ms();
        s->state = cmd->state;
        set_text(&s->trace, cmd->text);
        if (cmd->state == RDC_STATE_FAILED)
                schedule_restart(h, c, s);
}

/* A connector asked for new task configs: as Kafka, its tasks restart
 * only if the configs it now gives differ from those they run with. */
static void handle_reconfigure(rdc_herder_t *h, const char *name) {
        rdc_conn_t *c = conn_find(h, name);
        if (!c || !c->instance || c->target == RDC_TARGET_STOPPED)
                return;
        rdc_map_t **cfgs;
        uint32_t cnt;
        if (conn_compute_tasks(c, &cfgs, &cnt)) {
                conn_stop_tasks(h, c, stop_deadline(h));
                return; /* the connector is FAILED with the reason */
        }
        int same = cnt == c->task_cnt;
        for (uint32_t i = 0; same && i < cnt; i++)
                same = rdc_map_equal(cfgs[i], c->task_cfgs[i]);
        if (same) {
                for (uint32_t i = 0; i < cnt; i++)
                        rdc_map_destroy(cfgs[i]);
                free(cfgs);
                rdc_log(RDC_LOG_DEBUG, "herder", c->name,
                        "Reconfiguration requested; task configs unchanged");
                return;
        }
        rdc_log(RDC_LOG_INFO, "herder", c->name,
                "Reconfiguring tasks on the connector's request");
        conn_stop_tasks(h, c, stop_deadline(h));
        conn_start_tasks_with(h, c, cfgs, cnt);
}

/* Frees the stuck tasks whose threads ended (waiting until deadline for
 * them) and, with start_waiting, starts the instances that waited. */
static void stuck_reap(rdc_herder_t *h, int64_t deadline, int start_waiting) {
        rdc_stuck_t **pp = &h->stuck;
        while (*pp) {
                rdc_stuck_t *st = *pp;
                if (rdc_task_join_until(st->task, deadline)) {
                        pp = &st->next;
                        continue;
                }
                *pp = st->next;
                h->stuck_cnt--;
                rdc_log(RDC_LOG_INFO, "herder", st->connector,
                        "Stuck task %s-%u has ended", st->connector,
                        st->task_id);
                rdc_conn_t *c = conn_find(h, st->connector);
                if (start_waiting && c && st->task_id < c->task_cnt &&
                    c->slots[st->task_id].waiting)
                        task_start(h, c, st->task_id);
                free(st->connector);
                free(st);
        }
}

/* =========================================================== thread */

static void *herder_main(void *arg) {
        rdc_herder_t *h = arg;
        pthread_setname_np(pthread_self(), "rdc-herder");
        configs_load(h);
        int64_t next_restart = 0;
        for (;;) {
                pthread_mutex_lock(&h->lock);
                while (!h->head && !h->stopping) {
                        int64_t next = next_restart;
                        /* Stuck tasks are looked at twice a second. */
                        if (h->stuck &&
                            (!next || next > rdc_clock_now_ms() + 500))
                                next = rdc_clock_now_ms() + 500;
                        if (!next) {
                                pthread_cond_wait(&h->cond, &h->lock);
                                continue;
                        }
                        int64_t wait = next - rdc_clock_now_ms();
                        struct timespec until =
                                rdc_clock_deadline(wait > 0 ? wait : 0);
                        if (wait <= 0 ||
                            pthread_cond_timedwait(&h->cond, &h->lock,
                                                   &until) == ETIMEDOUT)
                                break;
                }
                rdc_cmd_t *cmd = h->head;
                if (cmd) {
                        h->head = cmd->next;
                        if (!h->head)
                                h->tail = NULL;
                }
                int stopping = h->stopping;
                pthread_mutex_unlock(&h->lock);
                if (!cmd && stopping)
                        break;
                if (!cmd) {
                        stuck_reap(h, 0, 1);
                        next_restart = run_due_restarts(h);
                        continue;
                }
                switch (cmd->kind) {
                case RDC_CMD_REQUEST:
                        if (stopping)
                                reply_error(&cmd->reply, 503,
                                            "The worker is shutting down");
                        else
                                handle_request(h, &cmd->req, &cmd->reply);
                        if (cmd->reply.status < 300 &&
                            request_changes_configs(cmd->req.type))
                                configs_save(h);
                        pthread_mutex_lock(&h->lock);
                        cmd->done = 1;
                        pthread_cond_broadcast(&h->cond);
                        pthread_mutex_unlock(&h->lock);
                        break;
                case RDC_CMD_TASK_EVENT:
                        handle_task_event(h, cmd);
                        break;
                case RDC_CMD_RECONFIGURE:
                        handle_reconfigure(h, cmd->connector);
                        break;
                }
                cmd_unref(h, cmd);
                if (h->stuck)
                        stuck_reap(h, 0, 1);
                next_restart = run_due_restarts(h);
        }
        /* Shut down: signal every task first so that they all stop in
         * parallel, within one deadline. */
        int64_t deadline = stop_deadline(h);
        for (rdc_conn_t *c = h->conns; c; c = c->next)
                for (uint32_t i = 0; i < c->task_cnt; i++)
                        if (c->slots[i].task)
                                rdc_task_stop(c->slots[i].task);
        while (h->conns)
                conn_remove(h, h->conns, deadline);
        stuck_reap(h, deadline, 0);
        return NULL;
}

rdc_herder_t *rdc_herder_start(rdc_worker_t *worker, char *errstr,
                               size_t errstr_size) {
        rdc_herder_t *h = calloc(1, sizeof(*h));
        if (!h) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        h->worker = worker;
        pthread_mutex_init(&h->lock, NULL);
        rdc_clock_cond_init(&h->cond);
        int enable = 1;
        rdc_config_parse_bool(
                rdc_map_get(worker->config, "task.restart.enable"), &enable);
        h->restart_enable = enable;
        h->configs_path = rdc_map_get(worker->config, "connector.configs.file");
        if (h->configs_path && !*h->configs_path)
                h->configs_path = NULL;
        h->restart_initial_ms =
                rdc_worker_get_int(worker, "task.restart.backoff.initial.ms");
        h->restart_max_ms =
                rdc_worker_get_int(worker, "task.restart.backoff.max.ms");
        int err = pthread_create(&h->thread, NULL, herder_main, h);
        if (err) {
                snprintf(errstr, errstr_size, "cannot start herder thread: %s",
                         strerror(err));
                free(h);
                return NULL;
        }
        __atomic_store_n(&worker->herder, h, __ATOMIC_RELEASE);
        return h;
}

size_t rdc_herder_stop(rdc_herder_t *h) {
        if (!h)
                return 0;
        pthread_mutex_lock(&h->lock);
        h->stopping = 1;
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
        pthread_join(h->thread, NULL);
        /* Events that arrived after the last loop. */
        while (h->head) {
                rdc_cmd_t *cmd = h->head;
                h->head = cmd->next;
                cmd_free(cmd);
        }
        __atomic_store_n(&h->worker->herder, NULL, __ATOMIC_RELEASE);
        /* Stuck tasks are left running: their memory is theirs. */
        size_t stuck = h->stuck_cnt;
        while (h->stuck) {
                rdc_stuck_t *st = h->stuck;
                h->stuck = st->next;
                free(st->connector);
                free(st);
        }
        if (h->unrestored)
                json_object_put(h->unrestored);
        pthread_mutex_destroy(&h->lock);
        pthread_cond_destroy(&h->cond);
        free(h);
        return stuck;
}

void rdc_herder_request(rdc_herder_t *h, const rdc_request_t *req,
                        rdc_reply_t *reply, int timeout_ms) {
        rdc_cmd_t *cmd = calloc(1, sizeof(*cmd));
        memset(reply, 0, sizeof(*reply));
        if (!cmd)
                goto nomem;
        cmd->kind = RDC_CMD_REQUEST;
        cmd->refs = 2;
        cmd->req = *req;
        if (req->connector && !(cmd->connector = strdup(req->connector)))
                goto nomem;
        if (req->initial_state &&
            !(cmd->initial_state = strdup(req->initial_state)))
                goto nomem;
        if (req->config && !(cmd->config = rdc_map_dup(req->config)))
                goto nomem;
        cmd->req.connector = cmd->connector;
        cmd->req.initial_state = cmd->initial_state;
        cmd->req.config = cmd->config;
        /* A copy of its own: json-c's reference counts are not atomic, so
         * the poster's and the herder's threads never share an object. */
        cmd->req.json = NULL;
        if (req->json &&
            json_object_deep_copy(req->json, &cmd->req.json, NULL) != 0)
                goto nomem;
        enqueue(h, cmd);

        struct timespec deadline = rdc_clock_deadline(timeout_ms);
        pthread_mutex_lock(&h->lock);
        while (!cmd->done)
                if (pthread_cond_timedwait(&h->cond, &h->lock, &deadline) ==
                    ETIMEDOUT)
                        break;
        if (cmd->done) {
                *reply = cmd->reply;
                cmd->reply.body = NULL; /* moved to the caller */
        } else {
                reply->status = 500;
                snprintf(reply->message, sizeof(reply->message),
                         "Request timed out");
        }
        pthread_mutex_unlock(&h->lock);
        cmd_unref(h, cmd);
        return;
nomem:
        if (cmd)
                cmd_free(cmd);
        reply->status = 500;
        snprintf(reply->message, sizeof(reply->message), "out of memory");
}
