/*
 * Reconciliation: makes what this worker runs for a connector match its
 * entry in the config store (removed, new config, STOPPED, PAUSED,
 * RUNNING, new task configs), one step at a time. A step that may block
 * (stopping tasks, a plugin call) is a job (herder_jobs.c); when it
 * reports back, reconciliation goes on from what is now true. Also the
 * herder's handling of what tasks and connectors report (state changes,
 * topics, reconfiguration requests).
 */
#define _GNU_SOURCE
#include "herder/herder_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "plugins/crash.h"

void rdc_set_text(char **dst, const char *text) {
        char *copy = text ? strdup(text) : NULL;
        free(*dst);
        *dst = copy;
}

rdc_conn_t *rdc_conn_find(rdc_herder_t *h, const char *name) {
        for (rdc_conn_t *c = h->conns; c; c = c->next)
                if (!strcmp(c->name, name))
                        return c;
        return NULL;
}

int rdc_conn_visible(const rdc_conn_t *c) {
        return c->desired && c->resolved_version && !c->invalid;
}

int rdc_conn_running(const rdc_conn_t *c) {
        if (c->instance || c->ctx_live)
                return 1;
        for (uint32_t i = 0; i < c->task_cnt; i++)
                if (c->slots[i].task)
                        return 1;
        return 0;
}

void rdc_conn_set_state(rdc_herder_t *h, rdc_conn_t *c, rdc_state_t state,
                        const char *trace) {
        c->state = state;
        rdc_set_text(&c->trace, trace);
        rdc_status_publish(h, c, RDC_STATUS_CONNECTOR);
}

void rdc_slot_set_state(rdc_herder_t *h, rdc_conn_t *c, uint32_t i,
                        rdc_state_t state, const char *trace) {
        c->slots[i].state = state;
        rdc_set_text(&c->slots[i].trace, trace);
        rdc_status_publish(h, c, (int32_t)i);
}

void rdc_conn_free(rdc_herder_t *h, rdc_conn_t *c) {
        (void)h;
        rdc_conn_retry_clear(c);
        for (uint32_t i = 0; i < c->task_cnt; i++) {
                free(c->slots[i].trace);
                rdc_map_destroy(c->task_cfgs[i]);
        }
        free(c->slots);
        free(c->task_cfgs);
        free(c->name);
        rdc_config_entry_free(c->desired);
        rdc_map_destroy(c->resolved);
        free(c->trace);
        for (size_t i = 0; i < c->topic_cnt; i++)
                free(c->topics[i]);
        free(c->topics);
        free(c);
}

/* Forgets c: it runs nothing and the store has no entry for it. */
static void conn_remove(rdc_herder_t *h, rdc_conn_t *c) {
        for (rdc_conn_t **pp = &h->conns; *pp; pp = &(*pp)->next) {
                if (*pp == c) {
                        *pp = c->next;
                        break;
                }
        }
        h->statuses->ops->remove(h->statuses, c->name, RDC_STATUS_CONNECTOR,
                                 NULL, NULL);
        rdc_conn_free(h, c);
}

static rdc_conn_t *conn_new(rdc_herder_t *h, const char *name) {
        rdc_conn_t *c = calloc(1, sizeof(*c));
        if (!c || !(c->name = strdup(name))) {
                free(c);
                return NULL;
        }
        c->tasks_version = RDC_TASKS_NONE;
        c->state = RDC_STATE_UNASSIGNED;
        c->next = h->conns;
        h->conns = c;
        return c;
}

/* Kafka's task.class: the connector class with its "Connector" suffix
 * replaced by "Task" (FileStreamSourceConnector: FileStreamSourceTask),
 * else with "Task" added. */
static int set_task_class(rdc_map_t *cfg, const char *connector_class) {
        static const char suffix[] = "Connector";
        size_t len = strlen(connector_class), slen = sizeof(suffix) - 1;
        if (len > slen && !strcmp(connector_class + len - slen, suffix))
                len -= slen;
        char *task_class = malloc(len + sizeof("Task"));
        if (!task_class)
                return -1;
        memcpy(task_class, connector_class, len);
        memcpy(task_class + len, "Task", sizeof("Task"));
        int err = rdc_map_set(cfg, "task.class", task_class);
        free(task_class);
        return err;
}

int rdc_task_config_for_store(rdc_map_t *cfg, const rdc_map_t *raw,
                              const rdc_map_t *resolved,
                              const rdc_plugin_t *plugin) {
        for (size_t i = rdc_map_count(cfg); i-- > 0;) {
                const char *key = rdc_map_key_at(cfg, i);
                const char *dflt = rdc_map_get(resolved, key);
                if (!rdc_map_get(raw, key) && dflt &&
                    !strcmp(dflt, rdc_map_value_at(cfg, i)))
                        rdc_map_unset(cfg, key);
        }
        /* As Kafka's Worker: a sink task gets the connector's topics. */
        static const char *const sink_keys[] = {"topics", "topics.regex", NULL};
        for (const char *const *k = sink_keys;
             plugin->desc->type == RDCP_PLUGIN_SINK && *k; k++)
                if (rdc_map_get(raw, *k) &&
                    rdc_map_set(cfg, *k, rdc_map_get(raw, *k)))
                        return -1;
        return set_task_class(cfg, plugin->desc->class_name);
}

rdc_map_t *rdc_task_config_for_run(const rdc_map_t *stored,
                                   const rdc_map_t *raw,
                                   const rdc_map_t *resolved) {
        rdc_map_t *cfg = rdc_map_dup(stored);
        for (size_t i = 0; cfg && i < rdc_map_count(resolved); i++) {
                const char *key = rdc_map_key_at(resolved, i);
                if (!rdc_map_get(raw, key) && !rdc_map_get(cfg, key) &&
                    rdc_map_set(cfg, key, rdc_map_value_at(resolved, i))) {
                        rdc_map_destroy(cfg);
                        return NULL;
                }
        }
        return cfg;
}

int rdc_task_slot_start(rdc_herder_t *h, rdc_conn_t *c, uint32_t i) {
        char errstr[512];
        rdc_slot_t *s = &c->slots[i];
        if (rdc_stuck_has(h, c->name, i)) {
                s->task = NULL;
                s->waiting = 1;
                s->restart_at_ms = 0;
                snprintf(errstr, sizeof(errstr),
                         "Waiting for the previous instance of this task to "
                         "end: it did not stop within "
                         "task.shutdown.graceful.timeout.ms (%" PRId64
                         " ms) and is stuck in plugin code or a client call",
                         h->worker->graceful_timeout_ms);
                rdc_slot_set_state(h, c, i, RDC_STATE_UNASSIGNED, errstr);
                return 1;
        }
        s->waiting = 0;
        rdc_map_t *task_cfg = rdc_task_config_for_run(
                c->task_cfgs[i], c->desired ? c->desired->config : c->resolved,
                c->resolved);
        if (!task_cfg) {
                rdc_slot_set_state(h, c, i, RDC_STATE_FAILED, "out of memory");
                return -1;
        }
        rdc_task_spec_t spec = {
                .worker = h->worker,
                .connector = c->name,
                .task_id = (int32_t)i,
                .plugin = c->plugin,
                .task_config = task_cfg,
                .connector_config = c->resolved,
                .start_paused = c->applied_target == RDC_TARGET_PAUSED,
                .on_event = rdc_herder_task_event_cb,
                .opaque = h,
                .tag = ++h->next_task_tag,
        };
        s->attempts = 0;
        s->restart_at_ms = 0;
        s->running_since_ms = 0;
        s->tag = spec.tag;
        /* A task that crashed the worker too often stays FAILED. */
        s->task = rdc_crash_task_refused(c->name, (int32_t)i, errstr,
                                         sizeof(errstr))
                          ? NULL
                          : rdc_task_start(&spec, errstr, sizeof(errstr));
        rdc_map_destroy(task_cfg);
        if (!s->task) {
                rdc_slot_set_state(h, c, i, RDC_STATE_FAILED, errstr);
                return -1;
        }
        rdc_slot_set_state(h, c, i, RDC_STATE_UNASSIGNED, NULL);
        return 0;
}

/* Starts the task set of the store's entry (nothing runs now). */
static void tasks_start_all(rdc_herder_t *h, rdc_conn_t *c) {
        const rdc_config_entry_t *e = c->desired;
        uint32_t cnt = e->task_cnt;
        /* The arrays of an empty task set before (nothing in them). */
        free(c->slots);
        free(c->task_cfgs);
        c->slots = calloc(cnt ? cnt : 1, sizeof(*c->slots));
        c->task_cfgs = calloc(cnt ? cnt : 1, sizeof(*c->task_cfgs));
        if (!c->slots || !c->task_cfgs) {
                free(c->slots);
                free(c->task_cfgs);
                c->slots = NULL;
                c->task_cfgs = NULL;
                rdc_conn_set_state(h, c, RDC_STATE_FAILED, "out of memory");
                return;
        }
        c->task_cnt = cnt;
        for (uint32_t i = 0; i < cnt; i++)
                c->task_cfgs[i] = rdc_map_dup(e->task_cfgs[i]);
        uint32_t here = 0;
        for (uint32_t i = 0; i < cnt; i++) {
                /* Distributed: another worker's task waits here. */
                if (!rdc_cluster_owns(h, c, (int32_t)i)) {
                        c->slots[i].remote = 1;
                        c->slots[i].state = RDC_STATE_UNASSIGNED;
                        continue;
                }
                here++;
                if (c->task_cfgs[i])
                        rdc_task_slot_start(h, c, i);
                else
                        rdc_slot_set_state(h, c, i, RDC_STATE_FAILED,
                                           "out of memory");
        }
        if (!h->cluster)
                rdc_log(RDC_LOG_INFO, "herder", c->name,
                        "Connector %s started with %u task(s)",
                        c->plugin->desc->class_name, c->task_cnt);
        else if (here)
                rdc_log(RDC_LOG_INFO, "herder", c->name,
                        "Connector %s: %u of its %u task(s) run here",
                        c->plugin->desc->class_name, here, c->task_cnt);
}

/* PAUSED <-> RUNNING: signals only, nothing blocks. */
static void apply_target(rdc_herder_t *h, rdc_conn_t *c, rdc_target_t target) {
        if (c->applied_target == target)
                return;
        c->applied_target = target;
        int paused = target == RDC_TARGET_PAUSED;
        if (c->state == RDC_STATE_RUNNING || c->state == RDC_STATE_PAUSED)
                rdc_conn_set_state(
                        h, c, paused ? RDC_STATE_PAUSED : RDC_STATE_RUNNING,
                        NULL);
        for (uint32_t i = 0; i < c->task_cnt; i++)
                if (c->slots[i].task)
                        rdc_task_set_paused(c->slots[i].task, paused);
}

void rdc_conn_write_task_configs(rdc_herder_t *h, rdc_conn_t *c,
                                 rdc_map_t *const *cfgs, uint32_t cnt) {
        const char *leader = rdc_cluster_leader_url(h);
        if (!leader) {
                /* Standalone, or this worker leads. */
                rdc_conn_write_task_configs_here(h, c, cfgs, cnt);
                return;
        }
        /* Only the leader writes the config topic (fenced): no leader
         * known, or the hand-over cannot start, is tried again. */
        if (!*leader || rdc_job_hand_over(h, c, cfgs, cnt, leader))
                rdc_conn_retry_task_configs(h, c, cfgs, cnt);
}

void rdc_conn_retry_clear(rdc_conn_t *c) {
        for (uint32_t i = 0; i < c->retry_cnt; i++)
                rdc_map_destroy(c->retry_cfgs[i]);
        free(c->retry_cfgs);
        c->retry_cfgs = NULL;
        c->retry_cnt = 0;
        c->retry_ms = 0;
}

void rdc_conn_retry_task_configs(rdc_herder_t *h, rdc_conn_t *c,
                                 rdc_map_t *const *cfgs, uint32_t cnt) {
        (void)h;
        rdc_conn_retry_clear(c);
        c->retry_cfgs = calloc(cnt ? cnt : 1, sizeof(*c->retry_cfgs));
        for (uint32_t i = 0; c->retry_cfgs && i < cnt; i++) {
                if (!(c->retry_cfgs[i] = rdc_map_dup(cfgs[i]))) {
                        rdc_conn_retry_clear(c);
                        break;
                }
                c->retry_cnt = i + 1;
        }
        if (!c->retry_cfgs) {
                /* Out of memory: the connector regenerates them. */
                c->tasks_failed = 1;
                rdc_log(RDC_LOG_ERROR, "herder", c->name,
                        "Cannot keep the task configs to hand them to the "
                        "leader: out of memory");
                return;
        }
        c->retry_ms = rdc_clock_now_ms() + RDC_HAND_OVER_RETRY_MS;
        c->retry_version = c->desired ? c->desired->config_version : 0;
        c->task_write = 1;
}

void rdc_conn_write_task_configs_here(rdc_herder_t *h, rdc_conn_t *c,
                                      rdc_map_t *const *cfgs, uint32_t cnt) {
        char errstr[512];
        void *ctx = rdc_store_done_ctx(h, c->name, 0);
        if (!ctx || h->configs->ops->put_task_configs(
                            h->configs, c->name, cfgs, cnt, rdc_store_done_post,
                            ctx, errstr, sizeof(errstr))) {
                rdc_store_done_ctx_free(ctx);
                rdc_log(RDC_LOG_ERROR, "herder", c->name,
                        "Cannot store the task configs: %s",
                        ctx ? errstr : "out of memory");
                c->tasks_failed = 1;
                return;
        }
        c->task_write = 1;
}

/* Takes the resolution of the stored config: from the REST write that
 * validated it, else from a validation job. @returns 1 when resolved
 * (valid or not), 0 when a job runs. */
static int resolve(rdc_herder_t *h, rdc_conn_t *c) {
        rdc_op_t *op = rdc_op_writing(h, c->name, c->desired->config);
        if (op) {
                rdc_map_t *resolved = NULL;
                const rdc_plugin_t *plugin = NULL;
                rdc_op_take_resolution(op, &resolved, &plugin);
                if (resolved) {
                        rdc_map_destroy(c->resolved);
                        c->resolved = resolved;
                        c->plugin = plugin;
                        c->invalid = 0;
                        c->resolved_version = c->desired->config_version;
                        return 1;
                }
        }
        if (rdc_job_validate(h, c->name, c->desired->config, c, NULL))
                return 1; /* out of memory: tried again at the next event */
        return 0;
}

/* Distributed: starts the tasks of c that moved here and stops those
 * that moved away (same task set). @returns 1 when nothing was to do,
 * 0 when a stop job runs. */
static int follow_assignment(rdc_herder_t *h, rdc_conn_t *c) {
        uint32_t *away = calloc(c->task_cnt ? c->task_cnt : 1, sizeof(*away));
        size_t away_cnt = 0;
        if (!away)
                return 1;
        for (uint32_t i = 0; i < c->task_cnt; i++) {
                rdc_slot_t *s = &c->slots[i];
                int mine = rdc_cluster_owns(h, c, (int32_t)i);
                if (mine && s->remote) {
                        s->remote = 0;
                        rdc_set_text(&s->trace, NULL);
                        rdc_log(RDC_LOG_INFO, "herder", c->name,
                                "Task %u is assigned to this worker", i);
                        if (c->task_cfgs[i])
                                rdc_task_slot_start(h, c, i);
                } else if (!mine && !s->remote) {
                        rdc_log(RDC_LOG_INFO, "herder", c->name,
                                "Task %u is no longer assigned to this "
                                "worker",
                                i);
                        if (s->task) {
                                away[away_cnt++] = i;
                        } else {
                                s->restart_at_ms = 0;
                                s->waiting = 0;
                                rdc_slot_set_state(h, c, i,
                                                   RDC_STATE_UNASSIGNED, NULL);
                                s->remote = 1;
                        }
                }
        }
        int settled = 1;
        if (away_cnt &&
            !rdc_job_conn(h, c, RDC_JOB_STOP_TASKS | RDC_JOB_RELEASE, away,
                          away_cnt, NULL))
                settled = 0;
        free(away);
        return settled;
}

static int stop_all(rdc_herder_t *h, rdc_conn_t *c) {
        if (rdc_job_conn(h, c, RDC_JOB_STOP_TASKS | RDC_JOB_DESTROY, NULL, 0,
                         NULL))
                return 1;
        return 0;
}

int rdc_conn_reconcile(rdc_herder_t *h, rdc_conn_t *c) {
        if (c->job || c->task_write)
                return 0;
        if (rdc_restart_requested(h, c))
                return 0;
        const rdc_config_entry_t *e = c->desired;
        if (!e) {
                if (rdc_conn_running(c))
                        return stop_all(h, c);
                conn_remove(h, c);
                return 1;
        }
        if (c->resolved_version != e->config_version) {
                /* A new config: what runs stops first (as Kafka). */
                if (rdc_conn_running(c))
                        return stop_all(h, c);
                if (!resolve(h, c))
                        return 0;
                c->start_failed = 0;
                c->tasks_failed = 0;
                c->resolved_version = e->config_version;
        }
        if (c->invalid)
                return 1;
        /* Distributed: the instance runs where the assignment says. */
        int here = rdc_cluster_owns(h, c, -1);
        if (!here)
                c->remote = h->cluster != NULL;
        if (e->target == RDC_TARGET_STOPPED) {
                if (rdc_conn_running(c))
                        return stop_all(h, c);
                if (e->task_cnt) {
                        /* As Kafka: a stopped connector has no tasks
                         * (written by the worker that runs it). */
                        if (!here)
                                return 1;
                        rdc_conn_write_task_configs(h, c, NULL, 0);
                        return !c->task_write;
                }
                c->applied_target = RDC_TARGET_STOPPED;
                c->start_failed = 0;
                if (c->state != RDC_STATE_STOPPED || c->trace)
                        rdc_conn_set_state(h, c, RDC_STATE_STOPPED, NULL);
                return 1;
        }
        if (c->ctx_live && !here)
                return rdc_job_conn(h, c, RDC_JOB_DESTROY, NULL, 0, NULL) ? 1
                                                                          : 0;
        /* Created, whatever the state pointer it gave (NULL is fine). */
        if (!c->ctx_live && here) {
                c->remote = 0;
                if (c->start_failed)
                        return 1; /* FAILED until a restart */
                if (c->applied_target == RDC_TARGET_STOPPED)
                        c->applied_target = e->target;
                if (c->state != RDC_STATE_UNASSIGNED || c->trace)
                        rdc_conn_set_state(h, c, RDC_STATE_UNASSIGNED, NULL);
                /* As Kafka: a connector asked for task configs only
                 * when its target is STARTED (one created PAUSED, or
                 * paused while STOPPED, has no tasks until resumed).
                 * One restored PAUSED gets them, as the tasks it had
                 * (Kafka keeps them in its config topic). */
                int steps = RDC_JOB_CREATE;
                if (e->target == RDC_TARGET_STARTED || c->restored)
                        steps |= RDC_JOB_TASK_CONFIGS;
                c->restored = 0;
                if (rdc_job_conn(h, c, steps, NULL, 0, NULL))
                        return 1;
                return 0;
        }
        if (e->target == RDC_TARGET_STARTED &&
            c->applied_target == RDC_TARGET_PAUSED) {
                /* A resume: as Kafka, the tasks resume and the connector
                 * is asked for its task configs again. */
                apply_target(h, c, e->target);
                c->reconfigure = 1;
        }
        if (c->reconfigure && e->target == RDC_TARGET_STARTED && c->ctx_live) {
                c->reconfigure = 0;
                if (!rdc_job_conn(h, c, RDC_JOB_TASK_CONFIGS, NULL, 0, NULL))
                        return 0;
        }
        uint64_t want = c->tasks_failed ? RDC_TASKS_NONE : e->task_version;
        if (c->tasks_version != want) {
                int any = 0;
                for (uint32_t i = 0; i < c->task_cnt; i++)
                        any |= c->slots[i].task != NULL;
                if (any || c->task_cnt) {
                        if (!rdc_job_conn(h, c, RDC_JOB_STOP_TASKS, NULL, 0,
                                          NULL))
                                return 0;
                        return 1;
                }
                c->applied_target = e->target;
                if (want != RDC_TASKS_NONE)
                        tasks_start_all(h, c);
                c->tasks_version = want;
        } else if (h->cluster && !follow_assignment(h, c)) {
                return 0;
        }
        apply_target(h, c, e->target);
        return 1;
}

void rdc_herder_handle_config_changed(rdc_herder_t *h, const char *name) {
        rdc_config_entry_t *e = h->configs->ops->get(h->configs, name);
        rdc_conn_t *c = rdc_conn_find(h, name);
        int is_new = !c && e;
        if (is_new && !(c = conn_new(h, name))) {
                rdc_config_entry_free(e);
                return;
        }
        /* An entry no REST write is creating: restored from the store
         * (connector.configs.file keeps no task configs). */
        if (is_new)
                c->restored = !rdc_op_writing(h, name, e->config);
        if (c) {
                /* Task configs the leader wrote for this worker are in. */
                if (c->handed_over_ms &&
                    (!e || !c->desired ||
                     e->task_version != c->desired->task_version)) {
                        c->handed_over_ms = 0;
                        c->task_write = 0;
                }
                rdc_config_entry_free(c->desired);
                c->desired = e;
        }
        rdc_herder_progress(h, name);
}

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

void rdc_herder_handle_task_event(rdc_herder_t *h, rdc_event_t *ev) {
        rdc_conn_t *c =
                conn_of_task(h, ev->u.task.task, ev->u.task.tag, ev->u.task.id);
        if (!c)
                return; /* a task that was replaced or removed */
        if (ev->u.task.event == RDC_TASK_EV_TOPIC) {
                conn_add_topic(c, ev->u.task.text);
                return;
        }
        uint32_t i = (uint32_t)ev->u.task.id;
        rdc_slot_t *s = &c->slots[i];
        /* A RUNNING task that reports a reason (or its end) keeps its
         * running time: only a start of running counts for the backoff. */
        if (ev->u.task.state == RDC_STATE_RUNNING &&
            s->state != RDC_STATE_RUNNING)
                s->running_since_ms = rdc_clock_now_ms();
        rdc_slot_set_state(h, c, i, ev->u.task.state, ev->u.task.text);
        if (ev->u.task.state == RDC_STATE_FAILED && !h->shutting_down)
                rdc_restart_schedule(h, c, i);
}

/* A connector asked for new task configs: as Kafka, its tasks restart
 * only if the configs it now gives differ from those stored. */
void rdc_herder_handle_reconfigure(rdc_herder_t *h, const char *name) {
        rdc_conn_t *c = rdc_conn_find(h, name);
        if (!c || !c->desired || c->desired->target == RDC_TARGET_STOPPED)
                return;
        c->reconfigure = 1;
        rdc_herder_progress(h, name);
}
