/*
 * The applied statuses every status store back end keeps
 * (status_store.h): (connector, task id) -> status, the listener, one
 * lock. The memory back end applies a write at once; the Kafka back end
 * applies each record as its reader reads it back.
 */
#ifndef RDC_STATUS_TABLE_H
#define RDC_STATUS_TABLE_H

#include <pthread.h>

#include "storage/status_store.h"

typedef struct rdc_status_entry {
        struct rdc_status_entry *next;
        char *connector;
        int32_t task_id;
        rdc_status_t status;
} rdc_status_entry_t;

typedef struct rdc_status_table {
        pthread_mutex_t lock; /**< guards list and listener */
        rdc_status_entry_t *list;
        rdc_status_listener_t *listener;
        void *listener_opaque;
} rdc_status_table_t;

void rdc_status_table_init(rdc_status_table_t *t);
void rdc_status_table_clear(rdc_status_table_t *t);

/** Lock held: sets a status. @returns 0, -1 out of memory (no change). */
int rdc_status_table_set(rdc_status_table_t *t, const char *connector,
                         int32_t task_id, const char *state, const char *trace,
                         const char *worker_id, uint32_t generation);
/** Lock held: removes the statuses of connector with task id >= first
 *  (first -1: the connector's too). */
void rdc_status_table_drop(rdc_status_table_t *t, const char *connector,
                           int32_t first);
/** Lock held: removes one status, if there. */
void rdc_status_table_unset(rdc_status_table_t *t, const char *connector,
                            int32_t task_id);
/** Lock held: the entry, or NULL. */
rdc_status_entry_t *rdc_status_table_find(rdc_status_table_t *t,
                                          const char *connector,
                                          int32_t task_id);

/** The get() and set_listener() of status_store.h (take the lock). */
int rdc_status_table_get(rdc_status_table_t *t, const char *connector,
                         int32_t task_id, rdc_status_t *out);
void rdc_status_table_set_listener(rdc_status_table_t *t,
                                   rdc_status_listener_t *cb, void *opaque);

#endif
