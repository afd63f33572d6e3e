/*
 * The herder's thread and command queue (see herder.h, herder_internal.h).
 * Everything reaches the herder through its queue: requests (from REST
 * and the command line, waited on) and events (from task threads, job
 * threads, connectors and the stores, fire and forget). The thread takes
 * one command at a time and never blocks on plugin code: what may block
 * runs in jobs (herder_jobs.c).
 */
#define _GNU_SOURCE
#include "herder/herder_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

/* After the shared stop deadline, how long shutdown still waits for jobs
 * that are about to report (a join that ended right at the deadline). */
#define RDC_HERDER_SHUTDOWN_GRACE_MS 500

/* ============================================================ queue */

static void enqueue_locked(rdc_herder_t *h, rdc_cmd_t *cmd) {
        if (h->tail)
                h->tail->next = cmd;
        else
                h->head = cmd;
        h->tail = cmd;
        pthread_cond_broadcast(&h->cond);
}

void rdc_herder_post(rdc_herder_t *h, rdc_cmd_t *cmd) {
        pthread_mutex_lock(&h->lock);
        enqueue_locked(h, cmd);
        pthread_mutex_unlock(&h->lock);
}

rdc_cmd_t *rdc_herder_event_new(rdc_event_type_t type) {
        rdc_cmd_t *cmd = calloc(1, sizeof(*cmd));
        if (!cmd)
                return NULL;
        cmd->kind = RDC_CMD_EVENT;
        cmd->u.event.type = type;
        return cmd;
}

static void event_clear(rdc_event_t *ev) {
        switch (ev->type) {
        case RDC_EV_TASK:
                free(ev->u.task.text);
                break;
        case RDC_EV_RECONFIGURE:
                free(ev->u.reconfigure.connector);
                break;
        case RDC_EV_CONFIG_CHANGED:
                free(ev->u.config.connector);
                break;
        case RDC_EV_STORE_DONE:
                free(ev->u.store.connector);
                free(ev->u.store.errstr);
                break;
        case RDC_EV_JOB_DONE:
                break; /* the job was handled (and freed) */
        case RDC_EV_CLUSTER:
                break;
        case RDC_EV_RESTART:
                free(ev->u.restart.connector);
                break;
        }
}

static void cmd_free(rdc_cmd_t *cmd) {
        if (cmd->kind == RDC_CMD_EVENT) {
                event_clear(&cmd->u.event);
        } else {
                rdc_cmd_request_t *r = &cmd->u.request;
                free(r->connector);
                free(r->initial_state);
                rdc_map_destroy(r->config);
                if (r->req.json)
                        json_object_put(r->req.json);
                rdc_reply_clear(&r->reply);
        }
        free(cmd);
}

void rdc_herder_cmd_unref(rdc_herder_t *h, rdc_cmd_t *cmd) {
        int last = 1;
        if (cmd->kind == RDC_CMD_REQUEST) {
                pthread_mutex_lock(&h->lock);
                last = --cmd->u.request.refs == 0;
                pthread_mutex_unlock(&h->lock);
        }
        if (last)
                cmd_free(cmd);
}

void rdc_herder_request_done(rdc_herder_t *h, rdc_cmd_t *cmd) {
        pthread_mutex_lock(&h->lock);
        cmd->u.request.done = 1;
        if (cmd->u.request.waiter)
                pthread_cond_signal(cmd->u.request.waiter);
        pthread_mutex_unlock(&h->lock);
        rdc_herder_cmd_unref(h, cmd);
}

int64_t rdc_herder_stop_deadline(rdc_herder_t *h) {
        if (h->shutting_down)
                return h->shutdown_deadline;
        /* Cut off from the group: others take the work over soon, so what
         * runs here stops at once (as Kafka cancels a task: its buffered
         * records are dropped, their offsets not committed). */
        if (rdc_cluster_cut_off(h))
                return rdc_clock_now_ms() + RDC_CUT_OFF_STOP_MS;
        return rdc_clock_now_ms() + h->worker->graceful_timeout_ms;
}

/* Task threads call this; it only enqueues. */
static void on_task_event(void *opaque, rdc_task_t *task,
                          rdc_task_event_t event, rdc_state_t state,
                          const char *text) {
        rdc_herder_t *h = opaque;
        rdc_cmd_t *cmd = rdc_herder_event_new(RDC_EV_TASK);
        if (!cmd)
                return;
        cmd->u.event.u.task.task = task;
        cmd->u.event.u.task.id = rdc_task_id(task);
        cmd->u.event.u.task.tag = rdc_task_tag(task);
        cmd->u.event.u.task.event = event;
        cmd->u.event.u.task.state = state;
        cmd->u.event.u.task.text = text ? strdup(text) : NULL;
        rdc_herder_post(h, cmd);
}

rdc_task_event_cb_t *const rdc_herder_task_event_cb = on_task_event;

/* Connectors call this (any thread) through host->request_reconfiguration.
 * Requests that pile up before the herder gets to them are one. */
static void on_reconfigure(void *opaque, const char *connector) {
        rdc_herder_t *h = opaque;
        rdc_cmd_t *cmd = rdc_herder_event_new(RDC_EV_RECONFIGURE);
        if (!cmd)
                return;
        if (!(cmd->u.event.u.reconfigure.connector = strdup(connector))) {
                free(cmd);
                return;
        }
        pthread_mutex_lock(&h->lock);
        rdc_cmd_t *q = h->head;
        while (q && !(q->kind == RDC_CMD_EVENT &&
                      q->u.event.type == RDC_EV_RECONFIGURE &&
                      !strcmp(q->u.event.u.reconfigure.connector, connector)))
                q = q->next;
        if (!q)
                enqueue_locked(h, cmd);
        pthread_mutex_unlock(&h->lock);
        if (q)
                cmd_free(cmd);
}

void (*const rdc_herder_reconfigure_cb)(void *opaque,
                                        const char *connector) = on_reconfigure;

/* The config store's listener (any thread): only enqueues. */
static void on_config_changed(void *opaque, const char *connector) {
        rdc_herder_t *h = opaque;
        rdc_cmd_t *cmd = rdc_herder_event_new(RDC_EV_CONFIG_CHANGED);
        if (!cmd)
                return;
        if (!(cmd->u.event.u.config.connector = strdup(connector))) {
                free(cmd);
                return;
        }
        rdc_herder_post(h, cmd);
}

/* The config store's restart listener (any thread): only enqueues. */
static void on_restart(void *opaque, const char *connector, int include_tasks,
                       int only_failed) {
        rdc_herder_t *h = opaque;
        rdc_cmd_t *cmd = rdc_herder_event_new(RDC_EV_RESTART);
        if (!cmd)
                return;
        if (!(cmd->u.event.u.restart.connector = strdup(connector))) {
                free(cmd);
                return;
        }
        cmd->u.event.u.restart.include_tasks = include_tasks;
        cmd->u.event.u.restart.only_failed = only_failed;
        rdc_herder_post(h, cmd);
}

/* ============================================================ loop */

static void handle_event(rdc_herder_t *h, rdc_event_t *ev) {
        switch (ev->type) {
        case RDC_EV_TASK:
                rdc_herder_handle_task_event(h, ev);
                break;
        case RDC_EV_RECONFIGURE:
                if (!h->shutting_down)
                        rdc_herder_handle_reconfigure(
                                h, ev->u.reconfigure.connector);
                break;
        case RDC_EV_JOB_DONE:
                pthread_mutex_lock(&h->lock);
                h->jobs_live--;
                pthread_mutex_unlock(&h->lock);
                rdc_herder_handle_job_done(h, ev->u.job.job);
                break;
        case RDC_EV_CONFIG_CHANGED:
                if (!h->shutting_down)
                        rdc_herder_handle_config_changed(
                                h, ev->u.config.connector);
                break;
        case RDC_EV_STORE_DONE:
                if (!h->shutting_down)
                        rdc_herder_handle_store_done(h, ev);
                break;
        case RDC_EV_CLUSTER:
                break; /* the loop's rdc_cluster_tick() reads it all */
        case RDC_EV_RESTART:
                if (!h->shutting_down)
                        rdc_herder_handle_restart(h, ev->u.restart.connector,
                                                  ev->u.restart.include_tasks,
                                                  ev->u.restart.only_failed);
                break;
        }
}

static void handle(rdc_herder_t *h, rdc_cmd_t *cmd) {
        if (cmd->kind == RDC_CMD_EVENT) {
                handle_event(h, &cmd->u.event);
                rdc_herder_cmd_unref(h, cmd);
                return;
        }
        if (h->shutting_down) {
                rdc_reply_error(&cmd->u.request.reply, 503,
                                "The worker is shutting down");
                rdc_herder_request_done(h, cmd);
                return;
        }
        rdc_herder_handle_request(h, cmd); /* takes the herder's ref */
}

/* Takes the next command, waiting until wake_at_ms (0: no timer) at
 * most. @returns it, or NULL when the wait ended without one. */
static rdc_cmd_t *next_cmd(rdc_herder_t *h, int64_t wake_at_ms) {
        pthread_mutex_lock(&h->lock);
        while (!h->head && !(h->stopping && !h->shutting_down)) {
                if (!wake_at_ms) {
                        pthread_cond_wait(&h->cond, &h->lock);
                        continue;
                }
                int64_t wait = wake_at_ms - rdc_clock_now_ms();
                struct timespec until = rdc_clock_deadline(wait > 0 ? wait : 0);
                if (wait <= 0 || pthread_cond_timedwait(&h->cond, &h->lock,
                                                        &until) == ETIMEDOUT)
                        break;
        }
        rdc_cmd_t *cmd = h->head;
        if (cmd) {
                h->head = cmd->next;
                if (!h->head)
                        h->tail = NULL;
                cmd->next = NULL;
        }
        pthread_mutex_unlock(&h->lock);
        return cmd;
}

static int stopping(rdc_herder_t *h) {
        pthread_mutex_lock(&h->lock);
        int stop = h->stopping;
        pthread_mutex_unlock(&h->lock);
        return stop;
}

/* Shut down: every connector stops (its tasks signalled at once, all
 * within one deadline, off this thread); what has not reported by then
 * is stuck and left running. */
static void shutdown_all(rdc_herder_t *h) {
        int64_t deadline = rdc_herder_stop_deadline(h);
        h->shutdown_deadline = deadline;
        h->shutting_down = 1;
        rdc_herder_ops_abort(h);
        for (rdc_conn_t *c = h->conns; c; c = c->next)
                for (uint32_t i = 0; i < c->task_cnt; i++)
                        if (c->slots[i].task)
                                rdc_task_stop(c->slots[i].task);
        for (;;) {
                size_t busy = 0;
                rdc_conn_t *next;
                for (rdc_conn_t *c = h->conns; c; c = next) {
                        next = c->next;
                        if (c->job) {
                                busy++;
                        } else if (rdc_conn_running(c)) {
                                if (!rdc_job_conn(h, c,
                                                  RDC_JOB_STOP_TASKS |
                                                          RDC_JOB_DESTROY,
                                                  NULL, 0, NULL))
                                        busy++;
                        }
                }
                pthread_mutex_lock(&h->lock);
                size_t live = h->jobs_live;
                pthread_mutex_unlock(&h->lock);
                if (!busy && !live)
                        break;
                int64_t until = deadline + RDC_HERDER_SHUTDOWN_GRACE_MS;
                if (rdc_clock_now_ms() >= until)
                        break;
                rdc_cmd_t *cmd = next_cmd(h, until);
                if (cmd)
                        handle(h, cmd);
        }
        /* Connectors whose job still runs keep what the job uses. */
        rdc_conn_t **pp = &h->conns;
        while (*pp) {
                rdc_conn_t *c = *pp;
                if (c->job) {
                        rdc_log(RDC_LOG_ERROR, "herder", c->name,
                                "Connector %s is still in plugin code "
                                "(create, task_configs or destroy) after "
                                "task.shutdown.graceful.timeout.ms: it is "
                                "left running",
                                c->name);
                        pp = &c->next;
                        continue;
                }
                *pp = c->next;
                rdc_conn_free(h, c);
        }
        rdc_stuck_reap(h, deadline, 0);
}

static void *herder_main(void *arg) {
        rdc_herder_t *h = arg;
        pthread_setname_np(pthread_self(), "rdc-herder");
        /* The stored connectors come up as if each had just changed. */
        char **names = NULL;
        size_t cnt = h->configs->ops->names(h->configs, &names);
        for (size_t i = 0; i < cnt; i++) {
                rdc_herder_handle_config_changed(h, names[i]);
                free(names[i]);
        }
        free(names);
        int64_t wake_at = 0, cluster_at = h->cluster ? 1 : 0;
        while (!stopping(h)) {
                rdc_cmd_t *cmd = next_cmd(h, wake_at);
                /* Reads do not change what the cluster decides. */
                int tick = h->cluster && (!cmd || cmd->kind == RDC_CMD_EVENT ||
                                          rdc_clock_now_ms() >= cluster_at);
                if (cmd)
                        handle(h, cmd);
                if (tick)
                        cluster_at = rdc_cluster_tick(h);
                if (h->stuck)
                        rdc_stuck_reap(h, 0, 1);
                wake_at = rdc_restart_run_due(h);
                /* Stuck tasks and jobs are looked at twice a second. */
                int64_t look = rdc_clock_now_ms() + 500;
                if (h->stuck && (!wake_at || wake_at > look))
                        wake_at = look;
                int64_t jobs = rdc_jobs_watch(h);
                if (jobs && (!wake_at || wake_at > jobs))
                        wake_at = jobs;
                if (cluster_at && (!wake_at || wake_at > cluster_at))
                        wake_at = cluster_at;
        }
        shutdown_all(h);
        rdc_cluster_stop(h);
        return NULL;
}

/* ============================================================ API */

rdc_herder_t *rdc_herder_start(rdc_worker_t *worker,
                               rdc_config_store_t *configs,
                               rdc_status_store_t *statuses, char *errstr,
                               size_t errstr_size) {
        return rdc_herder_start_cluster(worker, configs, statuses, NULL, errstr,
                                        errstr_size);
}

rdc_herder_t *rdc_herder_start_cluster(rdc_worker_t *worker,
                                       rdc_config_store_t *configs,
                                       rdc_status_store_t *statuses,
                                       rdc_cluster_conf_t *cluster,
                                       char *errstr, size_t errstr_size) {
        rdc_herder_t *h = calloc(1, sizeof(*h));
        if (!h) {
                snprintf(errstr, errstr_size, "out of memory");
                return NULL;
        }
        h->worker = worker;
        h->configs = configs;
        h->statuses = statuses;
        pthread_mutex_init(&h->lock, NULL);
        rdc_clock_cond_init(&h->cond);
        int enable = 1;
        rdc_config_parse_bool(
                rdc_map_get(worker->config, "task.restart.enable"), &enable);
        h->restart_enable = enable;
        h->restart_initial_ms =
                rdc_worker_get_int(worker, "task.restart.backoff.initial.ms");
        h->restart_max_ms =
                rdc_worker_get_int(worker, "task.restart.backoff.max.ms");
        if (cluster && rdc_cluster_start(h, cluster, errstr, errstr_size)) {
                pthread_mutex_destroy(&h->lock);
                pthread_cond_destroy(&h->cond);
                free(h);
                return NULL;
        }
        configs->ops->set_listener(configs, on_config_changed, h);
        if (configs->ops->set_restart_listener)
                configs->ops->set_restart_listener(configs, on_restart, h);
        int err = pthread_create(&h->thread, NULL, herder_main, h);
        if (err) {
                configs->ops->set_listener(configs, NULL, NULL);
                if (configs->ops->set_restart_listener)
                        configs->ops->set_restart_listener(configs, NULL, NULL);
                rdc_cluster_stop(h);
                snprintf(errstr, errstr_size, "cannot start herder thread: %s",
                         strerror(err));
                pthread_mutex_destroy(&h->lock);
                pthread_cond_destroy(&h->cond);
                free(h);
                return NULL;
        }
        __atomic_store_n(&worker->herder, h, __ATOMIC_RELEASE);
        return h;
}

void rdc_herder_begin_shutdown(rdc_herder_t *h) {
        if (!h)
                return;
        pthread_mutex_lock(&h->lock);
        h->stopping = 1;
        pthread_cond_broadcast(&h->cond);
        for (rdc_cmd_request_t *r = h->waiting; r; r = r->wait_next)
                pthread_cond_signal(r->waiter);
        pthread_mutex_unlock(&h->lock);
}

size_t rdc_herder_stop(rdc_herder_t *h) {
        if (!h)
                return 0;
        rdc_herder_begin_shutdown(h);
        pthread_join(h->thread, NULL);
        h->configs->ops->set_listener(h->configs, NULL, NULL);
        if (h->configs->ops->set_restart_listener)
                h->configs->ops->set_restart_listener(h->configs, NULL, NULL);
        /* Events that arrived after the last loop. */
        while (h->head) {
                rdc_cmd_t *cmd = h->head;
                h->head = cmd->next;
                if (cmd->kind == RDC_CMD_REQUEST) {
                        rdc_reply_error(&cmd->u.request.reply, 503,
                                        "The worker is shutting down");
                        rdc_herder_request_done(h, cmd);
                } else {
                        rdc_herder_cmd_unref(h, cmd);
                }
        }
        h->tail = NULL;
        __atomic_store_n(&h->worker->herder, NULL, __ATOMIC_RELEASE);
        pthread_mutex_lock(&h->lock);
        size_t live = h->jobs_live;
        pthread_mutex_unlock(&h->lock);
        /* Stuck tasks are left running: their memory is theirs. */
        size_t stuck = h->stuck_cnt + live;
        while (h->stuck) {
                rdc_stuck_t *st = h->stuck;
                h->stuck = st->next;
                free(st->connector);
                free(st);
        }
        if (live)
                return stuck; /* live jobs post to h: it stays */
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
        rdc_cmd_request_t *r = &cmd->u.request;
        r->refs = 2;
        r->req = *req;
        if (req->connector && !(r->connector = strdup(req->connector)))
                goto nomem;
        if (req->initial_state &&
            !(r->initial_state = strdup(req->initial_state)))
                goto nomem;
        if (req->config && !(r->config = rdc_map_dup(req->config)))
                goto nomem;
        r->req.connector = r->connector;
        r->req.initial_state = r->initial_state;
        r->req.config = r->config;
        /* A copy of its own: json-c's reference counts are not atomic, so
         * the poster's and the herder's threads never share an object. */
        r->req.json = NULL;
        if (req->json &&
            json_object_deep_copy(req->json, &r->req.json, NULL) != 0)
                goto nomem;
        rdc_herder_post(h, cmd);

        struct timespec deadline = rdc_clock_deadline(timeout_ms);
        pthread_cond_t done_cond;
        rdc_clock_cond_init(&done_cond);
        pthread_mutex_lock(&h->lock);
        r->waiter = &done_cond;
        r->wait_prev = NULL;
        r->wait_next = h->waiting;
        if (h->waiting)
                h->waiting->wait_prev = r;
        h->waiting = r;
        /* A shutdown answers at once: the REST server waits for its
         * handlers before the herder can stop. */
        while (!r->done && !h->stopping)
                if (pthread_cond_timedwait(&done_cond, &h->lock, &deadline) ==
                    ETIMEDOUT)
                        break;
        if (r->wait_prev)
                r->wait_prev->wait_next = r->wait_next;
        else
                h->waiting = r->wait_next;
        if (r->wait_next)
                r->wait_next->wait_prev = r->wait_prev;
        r->waiter = NULL;
        if (r->done) {
                *reply = r->reply;
                r->reply.body = NULL; /* moved to the caller */
        } else {
                reply->status = h->stopping ? 503 : 500;
                snprintf(reply->message, sizeof(reply->message), "%s",
                         h->stopping ? "The worker is shutting down"
                                     : "Request timed out");
        }
        pthread_mutex_unlock(&h->lock);
        pthread_cond_destroy(&done_cond);
        rdc_herder_cmd_unref(h, cmd);
        return;
nomem:
        if (cmd)
                cmd_free(cmd);
        reply->status = 500;
        snprintf(reply->message, sizeof(reply->message), "out of memory");
}
