/*
 * REST requests on the herder thread. Reads (lists, info, config,
 * status, tasks, topics, health) answer at once from the herder's view,
 * whatever runs meanwhile. Everything else is an operation: operations
 * on one connector run one after the other (in arrival order), each
 * starting once the connector is settled (no job in flight, what runs
 * matches the store). An operation that writes the desired state
 * validates the config in a job, writes it to the config store, and
 * answers once the store said it is durable and reconciliation applied
 * it; a store that cannot save answers 500 with the reason and nothing
 * that runs changes. Restarts and offsets requests run as jobs and
 * answer when they are done.
 */
#define _GNU_SOURCE
#include "herder/herder_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "plugins/crash.h"

typedef enum rdc_op_phase {
        RDC_OP_QUEUED = 0, /* waits for the connector to settle */
        RDC_OP_VALIDATING, /* a validation job runs */
        RDC_OP_WRITING,    /* the config store writes */
        RDC_OP_JOB,        /* a connector or offsets job runs */
        RDC_OP_APPLYING    /* answers once the connector is settled */
} rdc_op_phase_t;

struct rdc_op {
        rdc_op_t *next;
        uint64_t id;
        rdc_cmd_t *cmd; /* the request; the herder's reference */
        char *name;
        rdc_op_phase_t phase;
        int created;         /* CREATE/PUT: the connector is new */
        rdc_target_t target; /* CREATE/PUT: its target state */
        rdc_map_t *config;   /* validated, with "name": what it writes */
        rdc_map_t *resolved; /* its resolution, until reconcile takes it */
        const rdc_plugin_t *plugin;
        int restart_conn;      /* RESTART: the instance restarted */
        uint32_t *restart_ids; /* RESTART: the tasks restarted */
        size_t restart_cnt;
        rdc_map_t **task_cfgs; /* PUT_TASK_CONFIGS: what it writes */
        uint32_t task_cfg_cnt;
};

static const rdc_request_t *op_req(const rdc_op_t *op) {
        return &op->cmd->u.request.req;
}

static rdc_reply_t *op_reply(rdc_op_t *op) {
        return &op->cmd->u.request.reply;
}

uint64_t rdc_op_id(const rdc_op_t *op) {
        return op->id;
}

const rdc_request_t *rdc_op_request(const rdc_op_t *op) {
        return op_req(op);
}

rdc_op_t *rdc_op_find(rdc_herder_t *h, uint64_t id) {
        for (rdc_op_t *op = h->ops; op; op = op->next)
                if (op->id == id)
                        return op;
        return NULL;
}

static rdc_op_t *op_first(rdc_herder_t *h, const char *name) {
        for (rdc_op_t *op = h->ops; op; op = op->next)
                if (!strcmp(op->name, name))
                        return op;
        return NULL;
}

rdc_op_t *rdc_op_writing(rdc_herder_t *h, const char *name,
                         const rdc_map_t *config) {
        rdc_op_t *op = op_first(h, name);
        if (op && op->resolved &&
            (op->phase == RDC_OP_WRITING || op->phase == RDC_OP_APPLYING) &&
            rdc_map_equal(op->config, config))
                return op;
        return NULL;
}

void rdc_op_take_resolution(rdc_op_t *op, rdc_map_t **resolved,
                            const rdc_plugin_t **plugin) {
        *resolved = op->resolved;
        *plugin = op->plugin;
        op->resolved = NULL;
}

/* Answers op (its reply is set) and forgets it. */
static void op_finish(rdc_herder_t *h, rdc_op_t *op) {
        for (rdc_op_t **pp = &h->ops; *pp; pp = &(*pp)->next) {
                if (*pp == op) {
                        *pp = op->next;
                        break;
                }
        }
        rdc_herder_request_done(h, op->cmd);
        free(op->name);
        free(op->restart_ids);
        for (uint32_t i = 0; i < op->task_cfg_cnt; i++)
                rdc_map_destroy(op->task_cfgs[i]);
        free(op->task_cfgs);
        rdc_map_destroy(op->config);
        rdc_map_destroy(op->resolved);
        free(op);
}

void rdc_herder_ops_abort(rdc_herder_t *h) {
        while (h->ops) {
                rdc_reply_error(op_reply(h->ops), 503,
                                "The worker is shutting down");
                op_finish(h, h->ops);
        }
}

/* ================================================== store callbacks */

typedef struct store_done_ctx {
        rdc_herder_t *h;
        char *connector;
        uint64_t op_id;
} store_done_ctx_t;

void *rdc_store_done_ctx(rdc_herder_t *h, const char *connector,
                         uint64_t op_id) {
        store_done_ctx_t *ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return NULL;
        ctx->h = h;
        ctx->op_id = op_id;
        if (!(ctx->connector = strdup(connector))) {
                free(ctx);
                return NULL;
        }
        return ctx;
}

void rdc_store_done_ctx_free(void *opaque) {
        store_done_ctx_t *ctx = opaque;
        if (ctx)
                free(ctx->connector);
        free(ctx);
}

/* The stores call this from any thread: it only posts. */
void rdc_store_done_post(void *opaque, int err, const char *errstr) {
        store_done_ctx_t *ctx = opaque;
        rdc_cmd_t *cmd = rdc_herder_event_new(RDC_EV_STORE_DONE);
        if (cmd) {
                cmd->u.event.u.store.op_id = ctx->op_id;
                cmd->u.event.u.store.connector = ctx->connector;
                cmd->u.event.u.store.err = err;
                cmd->u.event.u.store.errstr =
                        strdup(errstr && *errstr ? errstr : "unknown error");
                ctx->connector = NULL;
                rdc_herder_post(ctx->h, cmd);
        } else {
                rdc_log(RDC_LOG_ERROR, "herder", ctx->connector,
                        "Out of memory: a store write's completion is "
                        "lost");
        }
        rdc_store_done_ctx_free(ctx);
}

void rdc_herder_handle_store_done(rdc_herder_t *h, rdc_event_t *ev) {
        const char *name = ev->u.store.connector;
        if (!name)
                return;
        if (!ev->u.store.op_id) {
                /* A task-config write of reconciliation. */
                rdc_conn_t *c = rdc_conn_find(h, name);
                if (!c)
                        return;
                c->task_write = 0;
                if (ev->u.store.err) {
                        rdc_log(RDC_LOG_ERROR, "herder", name,
                                "Cannot store the task configs: %s",
                                ev->u.store.errstr);
                        c->tasks_failed = 1;
                }
                rdc_herder_progress(h, name);
                return;
        }
        rdc_op_t *op = rdc_op_find(h, ev->u.store.op_id);
        if (!op)
                return;
        if (ev->u.store.err) {
                rdc_log(RDC_LOG_ERROR, "herder", name, "%s",
                        ev->u.store.errstr);
                rdc_reply_error(op_reply(op), 500, "%s", ev->u.store.errstr);
                op_finish(h, op);
        } else {
                op->phase = RDC_OP_APPLYING;
        }
        rdc_herder_progress(h, name);
}

/* ======================================================= operations */

static rdc_map_t *patch_config(const rdc_map_t *cfg, json_object *patch,
                               rdc_reply_t *reply) {
        if (!json_object_is_type(patch, json_type_object)) {
                rdc_reply_error(reply, 400, "The patch must be a JSON object");
                return NULL;
        }
        rdc_map_t *out = rdc_map_dup(cfg);
        if (!out) {
                rdc_reply_error(reply, 500, "out of memory");
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
                        rdc_reply_error(reply, 400,
                                        "Value of %s must be a string", key);
                        return NULL;
                }
                rdc_map_set(out, key, json_object_get_string(val));
        }
        return out;
}

/* Starts a config store write for op. @returns 0, or -1 with the reply
 * set (nothing was written). */
static int op_write(rdc_herder_t *h, rdc_op_t *op) {
        char errstr[1024] = "";
        rdc_config_store_t *st = h->configs;
        const rdc_request_t *req = op_req(op);
        void *ctx = rdc_store_done_ctx(h, op->name, op->id);
        int err = -1;
        if (!ctx) {
                snprintf(errstr, sizeof(errstr), "out of memory");
        } else if (op->config) {
                err = st->ops->put_connector(st, op->name, op->config,
                                             op->target, rdc_store_done_post,
                                             ctx, errstr, sizeof(errstr));
        } else if (req->type == RDC_REQ_DELETE) {
                err = st->ops->remove(st, op->name, rdc_store_done_post, ctx,
                                      errstr, sizeof(errstr));
        } else if (req->type == RDC_REQ_PUT_TASK_CONFIGS) {
                err = st->ops->put_task_configs(
                        st, op->name, op->task_cfgs, op->task_cfg_cnt,
                        rdc_store_done_post, ctx, errstr, sizeof(errstr));
        } else if (req->type == RDC_REQ_RESTART) {
                err = st->ops->put_restart(
                        st, op->name, req->include_tasks, req->only_failed,
                        rdc_store_done_post, ctx, errstr, sizeof(errstr));
        } else {
                rdc_target_t target =
                        req->type == RDC_REQ_STOP    ? RDC_TARGET_STOPPED
                        : req->type == RDC_REQ_PAUSE ? RDC_TARGET_PAUSED
                                                     : RDC_TARGET_STARTED;
                err = st->ops->put_target(st, op->name, target,
                                          rdc_store_done_post, ctx, errstr,
                                          sizeof(errstr));
        }
        if (err) {
                rdc_store_done_ctx_free(ctx);
                rdc_reply_error(op_reply(op), 500, "%s", errstr);
                return -1;
        }
        op->phase = RDC_OP_WRITING;
        return 0;
}

/* The task configs of a PUT_TASK_CONFIGS body: a list of objects of
 * scalars. @returns 0, or -1 with the reply set. */
static int op_take_task_configs(rdc_op_t *op) {
        json_object *list = op_req(op)->json;
        size_t n = list ? json_object_array_length(list) : 0;
        op->task_cfgs = calloc(n ? n : 1, sizeof(*op->task_cfgs));
        for (size_t i = 0; op->task_cfgs && i < n; i++) {
                json_object *obj = json_object_array_get_idx(list, i);
                rdc_map_t *cfg = rdc_map_new();
                if (!cfg)
                        break;
                op->task_cfgs[op->task_cfg_cnt++] = cfg;
                json_object_object_foreach(obj, key, val) {
                        if (val &&
                            rdc_map_set(cfg, key, json_object_get_string(val)))
                                break;
                }
        }
        if (!op->task_cfgs || op->task_cfg_cnt != n) {
                rdc_reply_error(op_reply(op), 500, "out of memory");
                return -1;
        }
        return 0;
}

/* Starts the validation of config for op (the create or update). */
static void op_validate(rdc_herder_t *h, rdc_op_t *op,
                        const rdc_map_t *config) {
        if (rdc_job_validate(h, op->name, config, NULL, op)) {
                rdc_reply_error(op_reply(op), 500, "out of memory");
                op_finish(h, op);
                return;
        }
        op->phase = RDC_OP_VALIDATING;
}

static void op_start_put(rdc_herder_t *h, rdc_op_t *op, rdc_conn_t *c) {
        const rdc_request_t *req = op_req(op);
        rdc_reply_t *reply = op_reply(op);
        int exists = c && rdc_conn_visible(c);
        op->created = !exists;
        op->target = exists ? c->desired->target : RDC_TARGET_STARTED;
        if (req->type == RDC_REQ_CREATE) {
                if (exists) {
                        rdc_reply_error(reply, 409,
                                        "Connector %s already exists",
                                        op->name);
                        op_finish(h, op);
                        return;
                }
                if (rdc_target_parse(req->initial_state, &op->target)) {
                        rdc_reply_error(reply, 400,
                                        "Invalid initial state %s: must be "
                                        "RUNNING, PAUSED or STOPPED",
                                        req->initial_state);
                        op_finish(h, op);
                        return;
                }
        }
        if (req->type != RDC_REQ_PATCH_CONFIG) {
                op_validate(h, op, req->config);
                return;
        }
        if (!exists) {
                rdc_reply_error(reply, 404, "Connector %s not found", op->name);
                op_finish(h, op);
                return;
        }
        rdc_map_t *patched = patch_config(c->desired->config, req->json, reply);
        if (!patched) {
                op_finish(h, op);
                return;
        }
        op_validate(h, op, patched);
        rdc_map_destroy(patched);
}

/* Kafka's semantics: the connector instance restarts unless onlyFailed
 * and it is not FAILED; with includeTasks, each task restarts unless
 * onlyFailed and it is not FAILED. Tasks are never restarted without
 * includeTasks. */
static void op_start_restart(rdc_herder_t *h, rdc_op_t *op, rdc_conn_t *c) {
        const rdc_request_t *req = op_req(op);
        uint32_t n = c->task_cnt > c->desired->task_cnt ? c->task_cnt
                                                        : c->desired->task_cnt;
        uint32_t *ids = calloc(n ? n : 1, sizeof(*ids));
        size_t cnt = 0;
        if (!ids) {
                rdc_reply_error(op_reply(op), 500, "out of memory");
                op_finish(h, op);
                return;
        }
        if (req->type == RDC_REQ_RESTART_TASK) {
                ids[cnt++] = (uint32_t)req->task;
                rdc_crash_task_forget(c->name, req->task);
        } else {
                cnt = rdc_restart_plan(h, c, req->include_tasks,
                                       req->only_failed, 0, &op->restart_conn,
                                       ids);
                for (size_t k = 0; k < cnt; k++)
                        rdc_crash_task_forget(c->name, (int32_t)ids[k]);
        }
        /* Distributed: as Kafka's leader, a restart request every worker
         * carries out for what it runs, answered with the plan once it is
         * in the topic. */
        if (h->cluster && req->type == RDC_REQ_RESTART &&
            (req->include_tasks || req->only_failed)) {
                op->restart_ids = ids;
                op->restart_cnt = cnt;
                if (!h->configs->ops->put_restart) {
                        rdc_reply_error(op_reply(op), 500,
                                        "The config store keeps no restart "
                                        "requests");
                        op_finish(h, op);
                } else if (op_write(h, op)) {
                        op_finish(h, op);
                }
                return;
        }
        int steps = cnt ? RDC_JOB_STOP_TASKS : 0;
        if (op->restart_conn) {
                rdc_crash_task_forget(c->name, -1);
                c->start_failed = 0;
                steps |= RDC_JOB_DESTROY | RDC_JOB_CREATE;
                /* As Kafka: task configs only for a running target. */
                if (c->desired->target == RDC_TARGET_STARTED)
                        steps |= RDC_JOB_TASK_CONFIGS;
        }
        op->restart_ids = ids;
        op->restart_cnt = cnt;
        if (!steps) {
                op->phase = RDC_OP_APPLYING;
        } else if (rdc_job_conn(h, c, steps, ids, cnt, op)) {
                rdc_reply_error(op_reply(op), 500, "out of memory");
                op_finish(h, op);
        } else {
                op->phase = RDC_OP_JOB;
        }
}

static void op_start_offsets(rdc_herder_t *h, rdc_op_t *op, rdc_conn_t *c) {
        const rdc_request_t *req = op_req(op);
        rdc_reply_t *reply = op_reply(op);
        json_object *list = NULL;
        if (req->type != RDC_REQ_GET_OFFSETS &&
            c->desired->target != RDC_TARGET_STOPPED) {
                rdc_reply_error(reply, 400,
                                "Connectors must be in the STOPPED state "
                                "before their offsets can be modified. This "
                                "can be done for the specified connector by "
                                "issuing a 'PUT' request to the "
                                "'/connectors/%s/stop' endpoint",
                                c->name);
                op_finish(h, op);
                return;
        }
        if (req->type == RDC_REQ_ALTER_OFFSETS &&
            (!req->json ||
             !json_object_object_get_ex(req->json, "offsets", &list) ||
             !json_object_is_type(list, json_type_array))) {
                rdc_reply_error(reply, 400,
                                "The request body must contain an 'offsets' "
                                "array");
                op_finish(h, op);
                return;
        }
        if (rdc_job_offsets(h, c, op)) {
                rdc_reply_error(reply, 500, "out of memory");
                op_finish(h, op);
                return;
        }
        op->phase = RDC_OP_JOB;
}

/* Starts op on its settled connector: it moves to another phase or is
 * answered. */
static void op_start(rdc_herder_t *h, rdc_op_t *op) {
        const rdc_request_t *req = op_req(op);
        rdc_reply_t *reply = op_reply(op);
        rdc_conn_t *c = rdc_conn_find(h, op->name);
        switch (req->type) {
        case RDC_REQ_CREATE:
        case RDC_REQ_PUT_CONFIG:
        case RDC_REQ_PATCH_CONFIG:
                op_start_put(h, op, c);
                return;
        case RDC_REQ_DELETE:
                /* Also an entry whose stored config does not validate. */
                if (c && c->desired) {
                        if (op_write(h, op))
                                op_finish(h, op);
                        return;
                }
                break;
        default:
                if (c && rdc_conn_visible(c))
                        break;
                c = NULL;
                break;
        }
        if (!c) {
                rdc_reply_error(reply, 404, "Connector %s not found", op->name);
                op_finish(h, op);
                return;
        }
        switch (req->type) {
        case RDC_REQ_PAUSE:
        case RDC_REQ_RESUME:
        case RDC_REQ_STOP:
                if (op_write(h, op))
                        op_finish(h, op);
                return;
        case RDC_REQ_RESTART:
                if (c->desired->target == RDC_TARGET_STOPPED) {
                        rdc_reply_error(reply, 409,
                                        "Cannot restart connector %s: it is "
                                        "STOPPED",
                                        c->name);
                        op_finish(h, op);
                        return;
                }
                op_start_restart(h, op, c);
                return;
        case RDC_REQ_RESTART_TASK:
                if (req->task < 0 || (uint32_t)req->task >= c->task_cnt ||
                    (uint32_t)req->task >= c->desired->task_cnt) {
                        rdc_reply_error(reply, 404, "Task %s-%d not found",
                                        c->name, req->task);
                        op_finish(h, op);
                        return;
                }
                op_start_restart(h, op, c);
                return;
        case RDC_REQ_GET_OFFSETS:
        case RDC_REQ_ALTER_OFFSETS:
        case RDC_REQ_RESET_OFFSETS:
                op_start_offsets(h, op, c);
                return;
        case RDC_REQ_PUT_TASK_CONFIGS:
                /* Distributed, on the leader: a connector's worker hands
                 * over its task configs (the REST layer checked the
                 * list's shape). */
                if (op_take_task_configs(op) || op_write(h, op))
                        op_finish(h, op);
                return;
        default:
                rdc_reply_error(reply, 500, "unknown request %d",
                                (int)req->type);
                op_finish(h, op);
        }
}

/* Kafka's answer to a restart with includeTasks or onlyFailed: the
 * status, with what the plan restarted (the connector instance, the
 * tasks) shown RESTARTING whatever state it has reached since. */
static json_object *restart_status_json(rdc_herder_t *h, const rdc_op_t *op,
                                        const rdc_conn_t *c) {
        json_object *status = rdc_conn_status_json(h, c);
        json_object *tasks = json_object_object_get(status, "tasks");
        if (op->restart_conn)
                json_object_object_add(
                        json_object_object_get(status, "connector"), "state",
                        json_object_new_string("RESTARTING"));
        for (size_t i = 0; i < json_object_array_length(tasks); i++) {
                json_object *t = json_object_array_get_idx(tasks, i);
                int id = json_object_get_int(json_object_object_get(t, "id"));
                for (size_t k = 0; k < op->restart_cnt; k++)
                        if ((int)op->restart_ids[k] == id)
                                json_object_object_add(
                                        t, "state",
                                        json_object_new_string("RESTARTING"));
        }
        return status;
}

/* The answer of a settled operation. */
static void op_answer(rdc_herder_t *h, rdc_op_t *op) {
        const rdc_request_t *req = op_req(op);
        rdc_reply_t *reply = op_reply(op);
        rdc_conn_t *c = rdc_conn_find(h, op->name);
        switch (req->type) {
        case RDC_REQ_CREATE:
        case RDC_REQ_PUT_CONFIG:
        case RDC_REQ_PATCH_CONFIG:
                if (!c) {
                        rdc_reply_error(reply, 500,
                                        "Connector %s was removed meanwhile",
                                        op->name);
                        break;
                }
                rdc_reply_set(reply,
                              req->type == RDC_REQ_PATCH_CONFIG ? 200
                              : op->created                     ? 201
                                                                : 200,
                              rdc_conn_info_json(h, c));
                break;
        case RDC_REQ_PAUSE:
        case RDC_REQ_RESUME:
                rdc_reply_set(reply, 202, NULL);
                break;
        case RDC_REQ_RESTART: {
                if (!req->include_tasks && !req->only_failed) {
                        rdc_reply_set(reply, 204, NULL);
                        break;
                }
                if (!c) {
                        rdc_reply_error(reply, 404, "Connector %s not found",
                                        op->name);
                        break;
                }
                rdc_reply_set(reply, 202, restart_status_json(h, op, c));
                break;
        }
        default: /* STOP, DELETE, RESTART_TASK */
                rdc_reply_set(reply, 204, NULL);
                break;
        }
        op_finish(h, op);
}

void rdc_op_job_done(rdc_herder_t *h, rdc_op_t *op, rdc_job_t *job) {
        rdc_reply_t *reply = op_reply(op);
        if (op->phase == RDC_OP_JOB && op_req(op)->type != RDC_REQ_RESTART &&
            op_req(op)->type != RDC_REQ_RESTART_TASK) {
                /* Offsets: the job's answer is the reply. */
                *reply = *rdc_job_reply(job);
                rdc_job_reply(job)->body = NULL;
                op_finish(h, op);
                return;
        }
        if (op->phase == RDC_OP_JOB) {
                op->phase = RDC_OP_APPLYING;
                return;
        }
        /* A validation. */
        if (!rdc_job_valid(job)) {
                *reply = *rdc_job_reply(job);
                rdc_job_reply(job)->body = NULL;
                op_finish(h, op);
                return;
        }
        rdc_job_take_resolution(job, &op->config, &op->resolved, &op->plugin);
        if (op_write(h, op))
                op_finish(h, op);
}

void rdc_herder_progress(rdc_herder_t *h, const char *name) {
        char *key = strdup(name); /* name may die with its connector */
        if (!key)
                return;
        for (;;) {
                rdc_conn_t *c = rdc_conn_find(h, key);
                int settled = c ? rdc_conn_reconcile(h, c) : 1;
                rdc_op_t *op = op_first(h, key);
                if (!op || !settled)
                        break;
                if (op->phase == RDC_OP_QUEUED)
                        op_start(h, op);
                else if (op->phase == RDC_OP_APPLYING)
                        op_answer(h, op);
                else
                        break;
        }
        free(key);
}

/* ========================================================= requests */

static int is_read(rdc_req_type_t type) {
        switch (type) {
        case RDC_REQ_LIST:
        case RDC_REQ_HEALTH:
        case RDC_REQ_GET_INFO:
        case RDC_REQ_GET_CONFIG:
        case RDC_REQ_GET_STATUS:
        case RDC_REQ_GET_TASKS:
        case RDC_REQ_GET_TASK_STATUS:
        case RDC_REQ_GET_TOPICS:
        case RDC_REQ_RESET_TOPICS:
        case RDC_REQ_GET_TASKS_CONFIG:
                return 1;
        default:
                return 0;
        }
}

static void answer_read(rdc_herder_t *h, const rdc_request_t *req,
                        rdc_reply_t *reply) {
        rdc_conn_t *c = NULL;
        if (req->type == RDC_REQ_LIST) {
                rdc_reply_set(reply, 200, rdc_list_json(h, req));
                return;
        }
        if (req->type == RDC_REQ_HEALTH) {
                rdc_reply_set(reply, 200, rdc_health_json(h));
                return;
        }
        if (req->connector && (c = rdc_conn_find(h, req->connector)) &&
            !rdc_conn_visible(c))
                c = NULL;
        /* As Kafka: topic tracking reads the status store, where an
         * unknown connector simply has no topics. */
        if (!c && req->connector && req->type == RDC_REQ_GET_TOPICS) {
                rdc_reply_set(reply, 200,
                              rdc_topics_json(req->connector, NULL));
                return;
        }
        if (!c && req->connector && req->type == RDC_REQ_RESET_TOPICS) {
                rdc_reply_set(reply, 202, NULL);
                return;
        }
        /* Kafka's standalone herder answers an empty task set as an
         * unknown connector here. */
        if (c && req->type == RDC_REQ_GET_TASKS_CONFIG && !c->desired->task_cnt)
                c = NULL;
        if (!c) {
                rdc_reply_error(reply, 404, "Connector %s not found",
                                req->connector ? req->connector : "");
                return;
        }
        switch (req->type) {
        case RDC_REQ_GET_INFO:
                rdc_reply_set(reply, 200, rdc_conn_info_json(h, c));
                break;
        case RDC_REQ_GET_CONFIG:
                rdc_reply_set(reply, 200, rdc_map_json(c->desired->config));
                break;
        case RDC_REQ_GET_STATUS:
                rdc_reply_set(reply, 200, rdc_conn_status_json(h, c));
                break;
        case RDC_REQ_GET_TASKS:
                rdc_reply_set(reply, 200, rdc_tasks_json(c));
                break;
        case RDC_REQ_GET_TASK_STATUS:
                if (req->task < 0 ||
                    (uint32_t)req->task >= c->desired->task_cnt) {
                        rdc_reply_error(reply, 404, "Task %s-%d not found",
                                        c->name, req->task);
                        break;
                }
                rdc_reply_set(reply, 200,
                              rdc_task_status_json(h, c, (uint32_t)req->task));
                break;
        case RDC_REQ_GET_TOPICS:
                rdc_reply_set(reply, 200, rdc_topics_json(c->name, c));
                break;
        case RDC_REQ_GET_TASKS_CONFIG:
                rdc_reply_set(reply, 200, rdc_tasks_config_json(c));
                break;
        case RDC_REQ_RESET_TOPICS:
                for (size_t i = 0; i < c->topic_cnt; i++)
                        free(c->topics[i]);
                c->topic_cnt = 0;
                for (uint32_t i = 0; i < c->task_cnt; i++)
                        if (c->slots[i].task)
                                rdc_task_reset_topics(c->slots[i].task);
                rdc_reply_set(reply, 202, NULL);
                break;
        default:
                break;
        }
}

void rdc_herder_handle_request(rdc_herder_t *h, rdc_cmd_t *cmd) {
        const rdc_request_t *req = &cmd->u.request.req;
        rdc_reply_t *reply = &cmd->u.request.reply;
        if (req->type == RDC_REQ_PUT_TASK_CONFIGS && !h->cluster) {
                /* As Kafka's StandaloneHerder, whose exception the REST
                 * layer answers as 500, whatever the connector. */
                rdc_reply_error(reply, 500,
                                "Kafka Connect in standalone mode does not "
                                "support externally setting task "
                                "configurations.");
                rdc_herder_request_done(h, cmd);
                return;
        }
        if (is_read(req->type) || !req->connector) {
                if (!is_read(req->type))
                        rdc_reply_error(reply, 404, "Connector  not found");
                else
                        answer_read(h, req, reply);
                rdc_herder_request_done(h, cmd);
                return;
        }
        /* Distributed: a write another worker does is forwarded there. */
        const char *url = rdc_cluster_forward_url(h, req);
        if (url) {
                rdc_reply_clear(reply);
                reply->status = RDC_REPLY_FORWARD;
                snprintf(reply->message, sizeof(reply->message), "%s", url);
                rdc_herder_request_done(h, cmd);
                return;
        }
        rdc_op_t *op = calloc(1, sizeof(*op));
        if (!op || !(op->name = strdup(req->connector))) {
                free(op);
                rdc_reply_error(reply, 500, "out of memory");
                rdc_herder_request_done(h, cmd);
                return;
        }
        op->id = ++h->next_op_id;
        op->cmd = cmd;
        rdc_op_t **pp = &h->ops;
        while (*pp)
                pp = &(*pp)->next;
        *pp = op;
        rdc_herder_progress(h, op->name);
}
