/*
 * The memory back end of the status store (see status_store.h): a status
 * table (status_table.c); a write applies at once, then notifies the
 * listener and calls done.
 */
#define _GNU_SOURCE
#include "storage/status_store.h"

#include <stdlib.h>

#include "storage/status_table.h"

typedef struct mem_store {
        rdc_status_store_t base;
        rdc_status_table_t table;
} mem_store_t;

/* Unlocks, then tells the listener and done. */
static void notify(mem_store_t *st, const char *connector, int32_t task_id,
                   rdc_store_done_cb_t *done, void *opaque, int err) {
        rdc_status_listener_t *listener = st->table.listener;
        void *listener_opaque = st->table.listener_opaque;
        pthread_mutex_unlock(&st->table.lock);
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
        pthread_mutex_lock(&st->table.lock);
        int err = rdc_status_table_set(&st->table, connector, task_id, state,
                                       trace, worker_id, generation);
        notify(st, connector, task_id, done, opaque, err);
}

static void ms_remove(rdc_status_store_t *store, const char *connector,
                      int32_t first_task, rdc_store_done_cb_t *done,
                      void *opaque) {
        mem_store_t *st = (mem_store_t *)store;
        pthread_mutex_lock(&st->table.lock);
        rdc_status_table_drop(&st->table, connector, first_task);
        notify(st, connector, first_task, done, opaque, 0);
}

static int ms_get(rdc_status_store_t *store, const char *connector,
                  int32_t task_id, rdc_status_t *out) {
        return rdc_status_table_get(&((mem_store_t *)store)->table, connector,
                                    task_id, out);
}

static void ms_set_listener(rdc_status_store_t *store,
                            rdc_status_listener_t *cb, void *opaque) {
        rdc_status_table_set_listener(&((mem_store_t *)store)->table, cb,
                                      opaque);
}

static void ms_destroy(rdc_status_store_t *store) {
        mem_store_t *st = (mem_store_t *)store;
        if (!st)
                return;
        rdc_status_table_clear(&st->table);
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
        rdc_status_table_init(&st->table);
        return &st->base;
}
