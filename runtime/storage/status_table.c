#define _GNU_SOURCE
#include "storage/status_table.h"

#include <stdlib.h>
#include <string.h>

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

void rdc_status_table_init(rdc_status_table_t *t) {
        memset(t, 0, sizeof(*t));
        pthread_mutex_init(&t->lock, NULL);
}

static void entry_free(rdc_status_entry_t *e) {
        rdc_status_clear(&e->status);
        free(e->connector);
        free(e);
}

void rdc_status_table_clear(rdc_status_table_t *t) {
        while (t->list) {
                rdc_status_entry_t *e = t->list;
                t->list = e->next;
                entry_free(e);
        }
        pthread_mutex_destroy(&t->lock);
}

static rdc_status_entry_t **find(rdc_status_table_t *t, const char *connector,
                                 int32_t task_id) {
        rdc_status_entry_t **pp = &t->list;
        while (*pp && !((*pp)->task_id == task_id &&
                        !strcmp((*pp)->connector, connector)))
                pp = &(*pp)->next;
        return pp;
}

rdc_status_entry_t *rdc_status_table_find(rdc_status_table_t *t,
                                          const char *connector,
                                          int32_t task_id) {
        return *find(t, connector, task_id);
}

int rdc_status_table_set(rdc_status_table_t *t, const char *connector,
                         int32_t task_id, const char *state, const char *trace,
                         const char *worker_id, uint32_t generation) {
        rdc_status_t fresh;
        if (status_copy(&fresh, state, trace, worker_id, generation))
                return -1;
        rdc_status_entry_t **pp = find(t, connector, task_id);
        if (!*pp) {
                rdc_status_entry_t *e = calloc(1, sizeof(*e));
                if (!e || !(e->connector = strdup(connector))) {
                        free(e);
                        rdc_status_clear(&fresh);
                        return -1;
                }
                e->task_id = task_id;
                *pp = e;
        }
        rdc_status_clear(&(*pp)->status);
        (*pp)->status = fresh;
        return 0;
}

void rdc_status_table_drop(rdc_status_table_t *t, const char *connector,
                           int32_t first) {
        rdc_status_entry_t **pp = &t->list;
        while (*pp) {
                rdc_status_entry_t *e = *pp;
                if (e->task_id < first || strcmp(e->connector, connector)) {
                        pp = &e->next;
                        continue;
                }
                *pp = e->next;
                entry_free(e);
        }
}

void rdc_status_table_unset(rdc_status_table_t *t, const char *connector,
                            int32_t task_id) {
        rdc_status_entry_t **pp = find(t, connector, task_id);
        rdc_status_entry_t *e = *pp;
        if (!e)
                return;
        *pp = e->next;
        entry_free(e);
}

int rdc_status_table_get(rdc_status_table_t *t, const char *connector,
                         int32_t task_id, rdc_status_t *out) {
        int ret = -1;
        memset(out, 0, sizeof(*out));
        pthread_mutex_lock(&t->lock);
        rdc_status_entry_t *e = *find(t, connector, task_id);
        if (e)
                ret = status_copy(out, e->status.state, e->status.trace,
                                  e->status.worker_id, e->status.generation);
        pthread_mutex_unlock(&t->lock);
        return ret;
}

void rdc_status_table_set_listener(rdc_status_table_t *t,
                                   rdc_status_listener_t *cb, void *opaque) {
        pthread_mutex_lock(&t->lock);
        t->listener = cb;
        t->listener_opaque = opaque;
        pthread_mutex_unlock(&t->lock);
}
