/*
 * The herder's answers: Kafka Connect's JSON bodies (connector info,
 * status, tasks, topics, lists), error replies, GET /health, and the
 * writes of connector and task states to the status store, which every
 * status read goes through (in distributed mode it also holds the states
 * of what other workers run).
 */
#define _GNU_SOURCE
#include "herder/herder_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rdc_reply_clear(rdc_reply_t *reply) {
        if (reply->body)
                json_object_put(reply->body);
        reply->body = NULL;
}

void rdc_reply_set(rdc_reply_t *reply, int status, json_object *body) {
        rdc_reply_clear(reply);
        reply->status = status;
        reply->body = body;
        reply->message[0] = '\0';
}

void rdc_reply_error(rdc_reply_t *reply, int status, const char *fmt, ...) {
        va_list ap;
        rdc_reply_clear(reply);
        reply->status = status;
        va_start(ap, fmt);
        vsnprintf(reply->message, sizeof(reply->message), fmt, ap);
        va_end(ap);
}

json_object *rdc_map_json(const rdc_map_t *map) {
        json_object *obj = json_object_new_object();
        for (size_t i = 0; map && i < rdc_map_count(map); i++)
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

static uint32_t stored_task_cnt(const rdc_conn_t *c) {
        return c->desired ? c->desired->task_cnt : 0;
}

static json_object *task_id_json(const rdc_conn_t *c, uint32_t i) {
        json_object *id = json_object_new_object();
        json_object_object_add(id, "connector",
                               json_object_new_string(c->name));
        json_object_object_add(id, "task", json_object_new_int((int)i));
        return id;
}

json_object *rdc_conn_info_json(rdc_herder_t *h, const rdc_conn_t *c) {
        (void)h;
        json_object *info = json_object_new_object();
        json_object *tasks = json_object_new_array();
        json_object_object_add(info, "name", json_object_new_string(c->name));
        json_object_object_add(
                info, "config",
                rdc_map_json(c->desired ? c->desired->config : NULL));
        for (uint32_t i = 0; i < stored_task_cnt(c); i++)
                json_object_array_add(tasks, task_id_json(c, i));
        json_object_object_add(info, "tasks", tasks);
        json_object_object_add(info, "type",
                               json_object_new_string(conn_type(c)));
        return info;
}

/* Adds Kafka's state object fields (state, worker_id, trace) to obj. */
static void state_fields(rdc_herder_t *h, json_object *obj, const rdc_conn_t *c,
                         int32_t task_id) {
        rdc_status_t st;
        int found = !h->statuses->ops->get(h->statuses, c->name, task_id, &st);
        json_object_object_add(
                obj, "state",
                json_object_new_string(found ? st.state : "UNASSIGNED"));
        json_object_object_add(
                obj, "worker_id",
                json_object_new_string(found ? st.worker_id
                                             : h->worker->worker_id));
        if (found && st.trace)
                json_object_object_add(obj, "trace",
                                       json_object_new_string(st.trace));
        if (found)
                rdc_status_clear(&st);
}

json_object *rdc_task_status_json(rdc_herder_t *h, const rdc_conn_t *c,
                                  uint32_t i) {
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "id", json_object_new_int((int)i));
        state_fields(h, obj, c, (int32_t)i);
        return obj;
}

json_object *rdc_conn_status_json(rdc_herder_t *h, const rdc_conn_t *c) {
        json_object *obj = json_object_new_object();
        json_object *conn = json_object_new_object();
        json_object *tasks = json_object_new_array();
        json_object_object_add(obj, "name", json_object_new_string(c->name));
        state_fields(h, conn, c, RDC_STATUS_CONNECTOR);
        json_object_object_add(obj, "connector", conn);
        /* The tasks that have a status: a connector being stopped or
         * started shows those that run so far. */
        uint32_t cnt = stored_task_cnt(c) > c->task_cnt ? stored_task_cnt(c)
                                                        : c->task_cnt;
        for (uint32_t i = 0; i < cnt; i++) {
                rdc_status_t st;
                if (h->statuses->ops->get(h->statuses, c->name, (int32_t)i,
                                          &st))
                        continue;
                rdc_status_clear(&st);
                json_object_array_add(tasks, rdc_task_status_json(h, c, i));
        }
        json_object_object_add(obj, "tasks", tasks);
        json_object_object_add(obj, "type",
                               json_object_new_string(conn_type(c)));
        return obj;
}

void rdc_status_publish(rdc_herder_t *h, const rdc_conn_t *c, int32_t task_id) {
        rdc_state_t state = c->state;
        const char *trace = c->trace;
        int remote = c->remote;
        if (task_id >= 0) {
                state = c->slots[task_id].state;
                trace = c->slots[task_id].trace;
                remote = c->slots[task_id].remote;
        }
        /* Distributed: what another worker runs (or may run now: this
         * worker does not own it) is its to report. */
        if (remote || !rdc_cluster_owns(h, c, task_id))
                return;
        h->statuses->ops->put(
                h->statuses, c->name, task_id, rdc_state_name(state), trace,
                h->worker->worker_id, rdc_cluster_generation(h), NULL, NULL);
}

/* {"<name>":{"topics":[...]}}; c may be NULL (an unknown connector has
 * no topics, as in Kafka, whose status store answers an empty set). */
json_object *rdc_topics_json(const char *name, const rdc_conn_t *c) {
        json_object *obj = json_object_new_object();
        json_object *inner = json_object_new_object();
        json_object *arr = json_object_new_array();
        for (size_t i = 0; c && i < c->topic_cnt; i++)
                json_object_array_add(arr,
                                      json_object_new_string(c->topics[i]));
        json_object_object_add(inner, "topics", arr);
        json_object_object_add(obj, name, inner);
        return obj;
}

json_object *rdc_list_json(rdc_herder_t *h, const rdc_request_t *req) {
        if (!req->expand) {
                json_object *arr = json_object_new_array();
                for (rdc_conn_t *c = h->conns; c; c = c->next)
                        if (rdc_conn_visible(c))
                                json_object_array_add(
                                        arr, json_object_new_string(c->name));
                return arr;
        }
        json_object *obj = json_object_new_object();
        for (rdc_conn_t *c = h->conns; c; c = c->next) {
                if (!rdc_conn_visible(c))
                        continue;
                json_object *entry = json_object_new_object();
                if (req->expand_status)
                        json_object_object_add(entry, "status",
                                               rdc_conn_status_json(h, c));
                if (req->expand_info)
                        json_object_object_add(entry, "info",
                                               rdc_conn_info_json(h, c));
                json_object_object_add(obj, c->name, entry);
        }
        return obj;
}

/* GET .../tasks-config (deprecated in Kafka 3.x): {"<c>-<t>": config}. */
json_object *rdc_tasks_config_json(const rdc_conn_t *c) {
        json_object *obj = json_object_new_object();
        for (uint32_t i = 0; i < stored_task_cnt(c); i++) {
                char id[32];
                snprintf(id, sizeof(id), "-%u", i);
                size_t len = strlen(c->name) + strlen(id) + 1;
                char *key = malloc(len);
                if (!key)
                        continue;
                snprintf(key, len, "%s%s", c->name, id);
                json_object_object_add(obj, key,
                                       rdc_map_json(c->desired->task_cfgs[i]));
                free(key);
        }
        return obj;
}

json_object *rdc_tasks_json(const rdc_conn_t *c) {
        json_object *arr = json_object_new_array();
        for (uint32_t i = 0; i < stored_task_cnt(c); i++) {
                json_object *t = json_object_new_object();
                json_object_object_add(t, "id", task_id_json(c, i));
                json_object_object_add(t, "config",
                                       rdc_map_json(c->desired->task_cfgs[i]));
                json_object_array_add(arr, t);
        }
        return arr;
}

/* GET /health. The worker is healthy while the herder answers, as in
 * Kafka; beyond Kafka, the message names the tasks that run but cannot
 * make progress (their trace says why) and those stuck in plugin code.
 * They keep the status "healthy": restarting the worker would not help
 * them (Kafka unreachable, a full disk) and would stop everything else. */
json_object *rdc_health_json(rdc_herder_t *h) {
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
