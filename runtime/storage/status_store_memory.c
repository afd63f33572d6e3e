/*
 * The memory back end of the status store (see status_store.h): a list
 * of (connector, task id) -> status under one mutex; a write applies at
 * once, then notifies the listener and calls done.
 */
#define _GNU_SOURCE
#include "storage/status_store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_status {
        struct mem_status *next;
        char *connector;
        int32_t task_id;
        rdc_status_t status;
} mem_status_t;

typedef struct mem_store {
        rdc_status_store_t base;
        pthread_mutex_t lock; /* guards list and listener */
        mem_status_t *list;
        rdc_status_listener_t *listener;
        void *listener_opaque;
} mem_store_t;

void rdc_status_clear(rdc_status_t *status) {
        free(status->state);
        free(status->trace);
        free(status->worker_id);
        memset(status, 0, sizeof(*status));
}

static int status_copy(rdc_status_t *dst, const char *state, const char *trace,
                       const char *worker_id, uint32_t generation) {
        dst->state = strdup(state ? state : "UNASSIGNED");
        dst->trace = trace ? strdup(trace) : NULL;
        dst->worker_id = strdup(worker_id ? worker_id : "");
        dst->generation = generation;
        if (!dst->state || !dst->worker_id || (trace && !dst->trace)) {
                rdc_status_clear(dst);
                return -1;
        }
        return 0;
}

static mem_status_t **find(mem_store_t *st, const char *connector,
                           int32_t task_id) {
        mem_status_t **pp = &st->list;
        while (*pp && !((*pp)->task_id == task_id &&
                        !strcmp((*pp)->connector, connector)))
                pp = &(*pp)->next;
        return pp;
}

static void notify(mem_store_t *st, const char *connector, int32_t task_id,
                   rdc_store_done_cb_t *done, void *opaque, int err) {
        rdc_status_listener_t *listener = st->listener;
        void *listener_opaque = st->listener_opaque;
        pthread_mutex_unlock(&st->lock);
        if (!err && listener)
                listener(listener_opaque, connector, task_id);
        if (done)
                done(opaque, err, err ? "out of memory" : "");
}

static void ms_put(rdc_status_store_t *store, const char *connector,
                   int32_t task_id, const char *state, const char *trace,
                   const char *worker_id, uint32_t generation,
                   rdc_store_done_cb_t *done, void *opaque) {
        mem_store_t *st = (mem_store_t *)store;
        rdc_status_t fresh;
        int err = status_copy(&fresh, state, trace, worker_id, generation);
        pthread_mutex_lock(&st->lock);
        mem_status_t **pp = find(st, connector, task_id);
        if (!err && !*pp) {
                mem_status_t *ms = calloc(1, sizeof(*ms));
                if (ms && (ms->connector = strdup(connector))) {
                        ms->task_id = task_id;
                        *pp = ms;
                } else {
                        free(ms);
                        rdc_status_clear(&fresh);
                        err = -1;
                }
        }
        if (!err) {
                rdc_status_clear(&(*pp)->status);
                (*pp)->status = fresh;
        }
        notify(st, connector, task_id, done, opaque, err);
}

static void ms_remove(rdc_status_store_t *store, const char *connector,
                      int32_t first_task, rdc_store_done_cb_t *done,
                      void *opaque) {
        mem_store_t *st = (mem_store_t *)store;
        pthread_mutex_lock(&st->lock);
        mem_status_t **pp = &st->list;
        while (*pp) {
                mem_status_t *ms = *pp;
                if (ms->task_id < first_task ||
                    strcmp(ms->connector, connector)) {
                        pp = &ms->next;
                        continue;
                }
                *pp = ms->next;
                rdc_status_clear(&ms->status);
                free(ms->connector);
                free(ms);
        }
        notify(st, connector, first_task, done, opaque, 0);
}

static int ms_get(rdc_status_store_t *store, const char *connector,
                  int32_t task_id, rdc_status_t *out) {
        mem_store_t *st = (mem_store_t *)store;
        int ret = -1;
        memset(out, 0, sizeof(*out));
        pthread_mutex_lock(&st->lock);
        mem_status_t *ms = *find(st, connector, task_id);
        if (ms)
                ret = status_copy(out, ms->status.state, ms->status.trace,
                                  ms->status.worker_id, ms->status.generation);
        pthread_mutex_unlock(&st->lock);
        return ret;
}

static void ms_set_listener(rdc_status_store_t *store,
                            rdc_status_listener_t *cb, void *opaque) {
        mem_store_t *st = (mem_store_t *)store;
        pthread_mutex_lock(&st->lock);
        st->listener = cb;
        st->listener_opaque = opaque;
        pthread_mutex_unlock(&st->lock);
}

static void ms_destroy(rdc_status_store_t *store) {
        mem_store_t *st = (mem_store_t *)store;
        if (!st)
                return;
        while (st->list) {
                mem_status_t *ms = st->list;
                st->list = ms->next;
                rdc_status_clear(&ms->status);
                free(ms->connector);
                free(ms);
        }
        pthread_mutex_destroy(&st->lock);
        free(st);
}

static const rdc_status_store_ops_t mem_store_ops = {
        .put = ms_put,
        .remove = ms_remove,
        .get = ms_get,
        .set_listener = ms_set_listener,
        .destroy = ms_destroy,
};

rdc_status_store_t *rdc_status_store_memory_new(void) {
        mem_store_t *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        st->base.ops = &mem_store_ops;
        pthread_mutex_init(&st->lock, NULL);
        return &st->base;
}
