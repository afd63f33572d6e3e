/*
 * Task runtime: the thread of one source or sink task (see task.h), and
 * what both loops share: events, failure, topics, pausing, the Kafka
 * client setup (the converters are the pipeline's, pipeline.c).
 *
 * Hot-path rules kept here: no syscall, allocation or flush per record;
 * raw bytes are handed to librdkafka once (RD_KAFKA_MSG_F_COPY) and sink
 * bytes reach the plugin straight from the fetched message; offsets are
 * tracked per poll batch, not per record.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "kafka/clients.h"
#include "kafka/topics.h"
#include "plugins/crash.h"
#include "tasks/pipeline.h"
#include "tasks/task_internal.h"

static const char *const state_names[] = {
        [RDC_STATE_UNASSIGNED] = "UNASSIGNED", [RDC_STATE_RUNNING] = "RUNNING",
        [RDC_STATE_PAUSED] = "PAUSED",         [RDC_STATE_FAILED] = "FAILED",
        [RDC_STATE_RESTARTING] = "RESTARTING", [RDC_STATE_STOPPED] = "STOPPED",
};

const char *rdc_state_name(rdc_state_t state) {
        return state <= RDC_STATE_STOPPED ? state_names[state] : "UNKNOWN";
}

int32_t rdc_task_id(const rdc_task_t *task) {
        return task->id;
}

uint64_t rdc_task_tag(const rdc_task_t *task) {
        return task->tag;
}

int rdc_task_stop_requested(rdc_task_t *t) {
        return rdc_host.should_stop(&t->ctx);
}

/* ------------------------------------------------------------ events */

void rdc_task_emit(rdc_task_t *t, rdc_task_event_t ev, rdc_state_t state,
                   const char *text) {
        pthread_mutex_lock(&t->lock);
        if (!t->abandoned)
                t->on_event(t->opaque, t, ev, state, text);
        pthread_mutex_unlock(&t->lock);
}

/* Marks the task FAILED with a trace naming stage, connector and task. */
void rdc_task_fail(rdc_task_t *t, const char *stage, const char *fmt, ...) {
        char reason[2048], trace[3072];
        va_list ap;
        if (t->failed)
                return;
        t->failed = 1;
        va_start(ap, fmt);
        vsnprintf(reason, sizeof(reason), fmt, ap);
        va_end(ap);
        snprintf(trace, sizeof(trace),
                 "%s\n\tat stage: %s\n\tat connector: %s, task: %d, class: "
                 "%s",
                 reason, stage, t->connector, (int)t->id,
                 t->plugin->desc->class_name);
        rdc_log(RDC_LOG_ERROR, "task", t->ctx.scope, "Task failed in %s: %s",
                stage, reason);
        rdc_task_emit(t, RDC_TASK_EV_STATE, RDC_STATE_FAILED, trace);
}

/* Records a conversion problem. @returns 1 to skip the record (tolerated),
 * 0 if the task failed. */
int rdc_task_conversion_error(rdc_task_t *t, const char *stage,
                              const char *topic, const char *errstr) {
        if (!t->tolerate_errors) {
                rdc_task_fail(t, stage,
                              "%s (topic %s). Set errors.tolerance=all "
                              "to skip such records",
                              errstr, topic);
                return 0;
        }
        if (t->log_errors)
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "Skipping record of topic %s: %s", topic, errstr);
        return 1;
}

/* ----------------------------------------------------------- topics */

/* Tells the herder about a topic in use, once per topic after each
 * /topics/reset (Kafka records a topic again when it is used again). */
static ssize_t topic_use(rdc_task_t *t, size_t i) {
        t->last_topic = i;
        if (!t->topics[i].reported) {
                t->topics[i].reported = 1;
                rdc_task_emit(t, RDC_TASK_EV_TOPIC, RDC_STATE_RUNNING,
                              t->topics[i].name);
        }
        return (ssize_t)i;
}

/* Called once per batch: a pending reset makes every topic unreported. */
void rdc_task_topics_check_reset(rdc_task_t *t) {
        if (!atomic_exchange(&t->topics_reset, 0))
                return;
        for (size_t i = 0; i < t->topic_cnt; i++)
                t->topics[i].reported = 0;
        t->track_idx = -1; /* sinks: next message takes the slow path */
}

/* @returns the index of topic in the task's topic list, adding it (and
 * for sources creating it) on first sight; reported as in topic_use(). */
ssize_t rdc_task_topic_ref(rdc_task_t *t, const char *topic, int is_source) {
        if (t->topic_cnt && !strcmp(t->topics[t->last_topic].name, topic))
                return topic_use(t, t->last_topic);
        for (size_t i = 0; i < t->topic_cnt; i++)
                if (!strcmp(t->topics[i].name, topic))
                        return topic_use(t, i);
        rdc_topic_ref_t *grown =
                realloc(t->topics, (t->topic_cnt + 1) * sizeof(*t->topics));
        if (!grown)
                return -1;
        t->topics = grown;
        rdc_topic_ref_t *ref = &t->topics[t->topic_cnt];
        ref->name = strdup(topic);
        ref->rkt = NULL;
        ref->reported = 0;
        if (!ref->name)
                return -1;
        if (is_source) {
                char errstr[512];
                if (rdc_kafka_ensure_topic(t->worker, topic, t->conn_cfg,
                                           errstr, sizeof(errstr)))
                        rdc_log(RDC_LOG_WARN, "task", t->ctx.scope, "%s",
                                errstr);
                ref->rkt = rd_kafka_topic_new(t->rk, topic, NULL);
                if (!ref->rkt) {
                        free(ref->name);
                        return -1;
                }
        }
        return topic_use(t, t->topic_cnt++);
}

void rdc_task_topics_free(rdc_task_t *t) {
        for (size_t i = 0; i < t->topic_cnt; i++) {
                if (t->topics[i].rkt)
                        rd_kafka_topic_destroy(t->topics[i].rkt);
                free(t->topics[i].name);
        }
        free(t->topics);
        t->topics = NULL;
        t->topic_cnt = 0;
}

/* ---------------------------------------------------- paused / idle */

/* Applies a pause/resume request. @returns 1 while paused. */
int rdc_task_pause_check(rdc_task_t *t) {
        int want = atomic_load(&t->want_paused);
        if (want != t->paused) {
                t->paused = want;
                rdc_log(RDC_LOG_INFO, "task", t->ctx.scope, "%s",
                        want ? "Paused" : "Resumed");
                rdc_task_emit(t, RDC_TASK_EV_STATE,
                              want ? RDC_STATE_PAUSED : RDC_STATE_RUNNING,
                              t->warning[0] ? t->warning : NULL);
        }
        return t->paused;
}

void rdc_task_set_warning(rdc_task_t *t, const char *reason) {
        if (!reason)
                reason = "";
        /* Stopping (errors served while clients close): the owner has the
         * task's state from now on. */
        if (t->failed || rdc_task_stop_requested(t) ||
            !strcmp(t->warning, reason))
                return;
        snprintf(t->warning, sizeof(t->warning), "%s", reason);
        if (*reason)
                rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                        "Cannot make progress: %s", reason);
        else
                rdc_log(RDC_LOG_INFO, "task", t->ctx.scope,
                        "Making progress again");
        rdc_task_emit(t, RDC_TASK_EV_STATE,
                      t->paused ? RDC_STATE_PAUSED : RDC_STATE_RUNNING,
                      *reason ? reason : NULL);
}

void rdc_task_idle_wait(rdc_task_t *t, int timeout_ms) {
        rdc_host.wait(&t->ctx, -1, 0, timeout_ms);
}

void rdc_task_set_wake_queue(rdc_task_t *t, rd_kafka_queue_t *queue) {
        pthread_mutex_lock(&t->wake_lock);
        t->wake_queue = queue;
        pthread_mutex_unlock(&t->wake_lock);
}

/* Wakes a task thread blocked in its consumer poll. */
static void task_yield(rdc_task_t *t) {
        pthread_mutex_lock(&t->wake_lock);
        if (t->wake_queue)
                rd_kafka_queue_yield(t->wake_queue);
        pthread_mutex_unlock(&t->wake_lock);
}

/* ------------------------------------------------------ Kafka clients */

char *rdc_task_client_id(const rdc_task_t *t, const char *role) {
        char *id;
        return asprintf(&id, "connector-%s-%s-%d", role, t->connector,
                        (int)t->id) < 0
                       ? NULL
                       : id;
}

rd_kafka_t *
rdc_task_client_new(rdc_task_t *t, rd_kafka_type_t type, rd_kafka_conf_t *conf,
                    void (*error_cb)(rd_kafka_t *, int, const char *, void *),
                    const char *stage) {
        char kerr[512];
        rd_kafka_conf_set_error_cb(conf, error_cb);
        rd_kafka_conf_set_opaque(conf, t);
        rd_kafka_t *rk = rdc_kafka_new(type, conf, kerr, sizeof(kerr));
        if (!rk) {
                rd_kafka_conf_destroy(conf);
                rdc_task_fail(t, stage, "cannot create %s: %s", stage, kerr);
        }
        return rk;
}

/* ============================================================ thread */

static void task_free(rdc_task_t *t) {
        rdc_ctx_destroy(&t->ctx);
        rdc_map_destroy(t->task_cfg);
        rdc_map_destroy(t->conn_cfg);
        rdc_buf_destroy(&t->key_buf);
        rdc_buf_destroy(&t->value_buf);
        rdc_buf_destroy(&t->hdr_buf);
        rdc_arena_destroy(&t->arena);
        pthread_mutex_destroy(&t->lock);
        pthread_mutex_destroy(&t->wake_lock);
        pthread_cond_destroy(&t->cond);
        free(t->connector);
        free(t);
}

/* Resolves ${provider:...} references on the task thread (reading files
 * is no work for the herder), as Kafka transforms configs at task start:
 * the plugin and the Kafka clients get the values, nothing else does. */
static int task_resolve_configs(rdc_task_t *t) {
        char why[1024] = "";
        rdc_map_t *task_cfg = rdc_providers_resolve(
                t->worker->providers, t->task_cfg, NULL, why, sizeof(why));
        rdc_map_t *conn_cfg =
                task_cfg ? rdc_providers_resolve(t->worker->providers,
                                                 t->conn_cfg, NULL, why,
                                                 sizeof(why))
                         : NULL;
        if (!conn_cfg) {
                rdc_map_destroy(task_cfg);
                rdc_task_fail(t, "config", "%s", why);
                return -1;
        }
        rdc_map_destroy(t->task_cfg);
        rdc_map_destroy(t->conn_cfg);
        t->task_cfg = task_cfg;
        t->conn_cfg = conn_cfg;
        return 0;
}

static void *task_main(void *arg) {
        rdc_task_t *t = arg;
        char name[16];
        snprintf(name, sizeof(name), "rdc-task-%d", (int)t->id);
        pthread_setname_np(pthread_self(), name);
        rdc_crash_task_enter(t->connector, t->id, t->plugin->path);
        rdc_config_parse_bool(rdc_map_get(t->conn_cfg, "errors.log.enable"),
                              &t->log_errors);
        const char *tol = rdc_map_get(t->conn_cfg, "errors.tolerance");
        t->tolerate_errors = tol && !strcmp(tol, "all");
        t->paused = atomic_load(&t->want_paused);
        t->next_commit_ms =
                rdc_clock_now_ms() + t->worker->offset_flush_interval_ms;

        if (!task_resolve_configs(t) && !rdc_pipeline_open(t)) {
                if (t->plugin->desc->type == RDCP_PLUGIN_SOURCE)
                        rdc_task_source_run(t);
                else
                        rdc_task_sink_run(t);
        }
        rdc_pipeline_close(t);
        rdc_log(RDC_LOG_INFO, "task", t->ctx.scope, "Task %s",
                t->failed ? "stopped after failure" : "stopped");
        rdc_crash_task_leave();

        pthread_mutex_lock(&t->lock);
        t->exited = 1;
        pthread_cond_broadcast(&t->cond);
        pthread_mutex_unlock(&t->lock);
        return NULL;
}

rdc_task_t *rdc_task_start(const rdc_task_spec_t *spec, char *errstr,
                           size_t errstr_size) {
        rdc_task_t *t = calloc(1, sizeof(*t));
        if (!t)
                goto nomem;
        pthread_mutex_init(&t->lock, NULL);
        pthread_mutex_init(&t->wake_lock, NULL);
        rdc_clock_cond_init(&t->cond);
        rdc_buf_init(&t->key_buf);
        rdc_buf_init(&t->value_buf);
        rdc_buf_init(&t->hdr_buf);
        rdc_arena_init(&t->arena);
        t->worker = spec->worker;
        t->id = spec->task_id;
        t->tag = spec->tag;
        t->plugin = spec->plugin;
        t->on_event = spec->on_event;
        t->opaque = spec->opaque;
        atomic_init(&t->want_paused, spec->start_paused ? 1 : 0);
        t->connector = strdup(spec->connector);
        t->task_cfg = rdc_map_dup(spec->task_config);
        t->conn_cfg = rdc_map_dup(spec->connector_config);
        if (!t->connector || !t->task_cfg || !t->conn_cfg)
                goto nomem;
        if (rdc_ctx_init(&t->ctx, spec->connector, spec->task_id,
                         spec->plugin->desc->class_name, spec->worker->offsets))
                goto nomem;
        int err = pthread_create(&t->thread, NULL, task_main, t);
        if (err) {
                snprintf(errstr, errstr_size, "cannot start task thread: %s",
                         strerror(err));
                task_free(t);
                return NULL;
        }
        return t;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
        if (t)
                task_free(t);
        return NULL;
}

void rdc_task_set_paused(rdc_task_t *task, int paused) {
        atomic_store(&task->want_paused, paused ? 1 : 0);
        rdc_ctx_wake(&task->ctx);
        task_yield(task);
}

void rdc_task_reset_topics(rdc_task_t *task) {
        atomic_store(&task->topics_reset, 1);
}

int64_t rdc_task_finish_by(rdc_task_t *t) {
        int64_t graceful = t->worker->graceful_timeout_ms;
        int64_t deadline = atomic_load(&t->stop_deadline_ms);
        if (!deadline)
                deadline = rdc_clock_now_ms() + graceful;
        /* Left for what follows the wait: purging, destroying clients. */
        int64_t margin = graceful / 5 < 500 ? graceful / 5 : 500;
        return deadline - margin;
}

void rdc_task_stop(rdc_task_t *task) {
        rdc_task_stop_by(task, rdc_clock_now_ms() +
                                       task->worker->graceful_timeout_ms);
}

void rdc_task_stop_by(rdc_task_t *task, int64_t deadline_ms) {
        int64_t none = 0;
        atomic_compare_exchange_strong(&task->stop_deadline_ms, &none,
                                       deadline_ms);
        /* Wakes host->wait(); a sink blocked in its consumer poll is
         * woken through its queue. */
        rdc_ctx_stop(&task->ctx);
        task_yield(task);
}

int rdc_task_join_until(rdc_task_t *task, int64_t deadline_ms) {
        int64_t left = deadline_ms - rdc_clock_now_ms();
        struct timespec deadline = rdc_clock_deadline(left > 0 ? left : 0);
        pthread_mutex_lock(&task->lock);
        while (!task->exited) {
                if (pthread_cond_timedwait(&task->cond, &task->lock,
                                           &deadline) == ETIMEDOUT)
                        break;
        }
        if (!task->exited) {
                task->abandoned = 1; /* its events are muted from now on */
                pthread_mutex_unlock(&task->lock);
                return -1;
        }
        pthread_mutex_unlock(&task->lock);
        pthread_join(task->thread, NULL);
        task_free(task);
        return 0;
}
