/*
 * Automatic restarts of failed tasks with exponential backoff (worker
 * keys task.restart.*), and the list of stuck tasks: instances that did
 * not stop within task.shutdown.graceful.timeout.ms and are kept, alive,
 * until their threads end.
 */
#define _GNU_SOURCE
#include "herder/herder_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"

/* Beyond Kafka: a failed task comes back by itself after an exponential
 * backoff, so a transient outage needs no human. Its status says
 * RESTARTING, with the attempt number and the failure in the trace. */
void rdc_restart_schedule(rdc_herder_t *h, rdc_conn_t *c, uint32_t i) {
        rdc_slot_t *s = &c->slots[i];
        if (!h->restart_enable ||
            (c->desired && c->desired->target == RDC_TARGET_STOPPED))
                return;
        int64_t now = rdc_clock_now_ms();
        /* A task that ran well for a full backoff period starts over. */
        if (s->running_since_ms &&
            now - s->running_since_ms >= h->restart_max_ms)
                s->attempts = 0;
        s->running_since_ms = 0;
        s->attempts++;
        int64_t delay = h->restart_initial_ms;
        for (int n = 1; n < s->attempts && delay < h->restart_max_ms; n++)
                delay *= 2;
        if (delay > h->restart_max_ms)
                delay = h->restart_max_ms;
        s->restart_at_ms = now + delay;
        char trace[4096];
        snprintf(trace, sizeof(trace),
                 "Restarting automatically in %" PRId64
                 " ms (attempt %d) after failure:\n%s",
                 delay, s->attempts, s->trace ? s->trace : "");
        rdc_slot_set_state(h, c, i, RDC_STATE_RESTARTING, trace);
        rdc_log(RDC_LOG_WARN, "herder", c->name,
                "Task %u failed; restart attempt %d in %" PRId64 " ms", i,
                s->attempts, delay);
}

int64_t rdc_restart_run_due(rdc_herder_t *h) {
        int64_t now = rdc_clock_now_ms(), next = 0;
        if (h->shutting_down)
                return 0;
        for (rdc_conn_t *c = h->conns; c; c = c->next) {
                uint32_t due[64];
                size_t due_cnt = 0;
                for (uint32_t i = 0; i < c->task_cnt; i++) {
                        rdc_slot_t *s = &c->slots[i];
                        if (!s->restart_at_ms)
                                continue;
                        if (s->restart_at_ms <= now && !c->job &&
                            due_cnt < sizeof(due) / sizeof(due[0]))
                                due[due_cnt++] = i;
                        else if (!next || s->restart_at_ms < next)
                                next = s->restart_at_ms;
                }
                /* One job stops them all (their threads are ending);
                 * it starts them again when done. */
                if (due_cnt &&
                    rdc_job_conn(h, c, RDC_JOB_STOP_TASKS, due, due_cnt, NULL))
                        next = now + 100; /* out of memory: retry */
                for (size_t k = 0; k < due_cnt; k++)
                        c->slots[due[k]].restart_at_ms = 0;
        }
        return next;
}

int rdc_stuck_has(rdc_herder_t *h, const char *connector, uint32_t task_id) {
        for (rdc_stuck_t *st = h->stuck; st; st = st->next)
                if (st->task_id == task_id && !strcmp(st->connector, connector))
                        return 1;
        return 0;
}

void rdc_stuck_keep(rdc_herder_t *h, const char *connector, uint32_t task_id,
                    rdc_task_t *task) {
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

void rdc_stuck_reap(rdc_herder_t *h, int64_t deadline, int start_waiting) {
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
                rdc_conn_t *c = rdc_conn_find(h, st->connector);
                if (start_waiting && c && st->task_id < c->task_cnt &&
                    c->slots[st->task_id].waiting)
                        rdc_task_slot_start(h, c, st->task_id);
                free(st->connector);
                free(st);
        }
}

/* The state a restart plan looks at: this worker's own for what it runs
 * (and in standalone), else the status store's (the worker that runs it
 * wrote it). */
static int plan_state_failed(rdc_herder_t *h, const rdc_conn_t *c, int32_t task,
                             int mine_only) {
        if (!h->cluster || mine_only) {
                rdc_state_t st = task < 0 ? c->state : c->slots[task].state;
                return st == RDC_STATE_FAILED ||
                       (task >= 0 && st == RDC_STATE_RESTARTING);
        }
        rdc_status_t status;
        if (h->statuses->ops->get(h->statuses, c->name, task, &status))
                return 0;
        int failed = !strcmp(status.state, "FAILED") ||
                     (task >= 0 && !strcmp(status.state, "RESTARTING"));
        rdc_status_clear(&status);
        return failed;
}

size_t rdc_restart_plan(rdc_herder_t *h, const rdc_conn_t *c, int include_tasks,
                        int only_failed, int mine_only, int *restart_conn,
                        uint32_t *ids) {
        size_t cnt = 0;
        int conn_here = !mine_only || rdc_cluster_owns(h, c, -1);
        *restart_conn = conn_here && (!only_failed ||
                                      plan_state_failed(h, c, -1, mine_only));
        uint32_t tasks =
                mine_only || !h->cluster ? c->task_cnt : c->desired->task_cnt;
        for (uint32_t i = 0; include_tasks && i < tasks; i++) {
                if (mine_only && (i >= c->task_cnt || c->slots[i].remote))
                        continue;
                if (only_failed &&
                    !plan_state_failed(h, c, (int32_t)i, mine_only))
                        continue;
                ids[cnt++] = i;
        }
        return cnt;
}

void rdc_herder_handle_restart(rdc_herder_t *h, const char *name,
                               int include_tasks, int only_failed) {
        rdc_conn_t *c = rdc_conn_find(h, name);
        if (!c || !rdc_conn_visible(c))
                return;
        /* Requests that meet before they are carried out: the widest. */
        if (c->restart_req) {
                include_tasks |= c->restart_include_tasks;
                only_failed &= c->restart_only_failed;
        }
        c->restart_req = 1;
        c->restart_include_tasks = include_tasks;
        c->restart_only_failed = only_failed;
        rdc_herder_progress(h, name);
}

int rdc_restart_requested(rdc_herder_t *h, rdc_conn_t *c) {
        if (!c->restart_req || c->job)
                return 0;
        c->restart_req = 0;
        if (!c->desired || c->desired->target == RDC_TARGET_STOPPED)
                return 0;
        uint32_t *ids = calloc(c->task_cnt ? c->task_cnt : 1, sizeof(*ids));
        int restart_conn = 0;
        if (!ids)
                return 0;
        size_t cnt =
                rdc_restart_plan(h, c, c->restart_include_tasks,
                                 c->restart_only_failed, 1, &restart_conn, ids);
        int steps = cnt ? RDC_JOB_STOP_TASKS : 0;
        if (restart_conn && c->ctx_live) {
                c->start_failed = 0;
                steps |= RDC_JOB_DESTROY | RDC_JOB_CREATE;
                if (c->desired->target == RDC_TARGET_STARTED)
                        steps |= RDC_JOB_TASK_CONFIGS;
        }
        for (size_t k = 0; k < cnt; k++)
                c->slots[ids[k]].state = RDC_STATE_RESTARTING;
        int started = steps && !rdc_job_conn(h, c, steps, ids, cnt, NULL);
        free(ids);
        if (started)
                rdc_log(RDC_LOG_INFO, "herder", c->name,
                        "Restarting what this worker runs of the connector "
                        "(a restart request)");
        return started;
}
