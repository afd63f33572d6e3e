/*
 * The applied state every config store back end keeps (config_store.h):
 * the entries in creation order, their versions and the change listener,
 * behind one lock. The file back end applies a write at once; the Kafka
 * back end applies each record as its reader reads it back. Both answer
 * get() and names() from here.
 */
#ifndef RDC_CONFIG_SNAPSHOT_H
#define RDC_CONFIG_SNAPSHOT_H

#include <pthread.h>

#include "storage/config_store.h"

typedef struct rdc_config_node {
        struct rdc_config_node *next;
        rdc_config_entry_t e; /**< e.config NULL: not visible (a target
                                   state read before its connector) */
} rdc_config_node_t;

typedef struct rdc_config_snapshot {
        pthread_mutex_t lock; /**< guards all below */
        rdc_config_node_t *entries;
        uint64_t next_version;
        rdc_config_listener_t *listener;
        void *listener_opaque;
} rdc_config_snapshot_t;

void rdc_config_snapshot_init(rdc_config_snapshot_t *snap);
void rdc_config_snapshot_clear(rdc_config_snapshot_t *snap);

/** Lock held: name's node, or NULL. */
rdc_config_node_t *rdc_config_snapshot_find(rdc_config_snapshot_t *snap,
                                            const char *name);
/** Lock held: name's node, appended empty if absent. NULL: out of memory. */
rdc_config_node_t *rdc_config_snapshot_add(rdc_config_snapshot_t *snap,
                                           const char *name);
/** Lock held: removes and frees node. */
void rdc_config_snapshot_unlink(rdc_config_snapshot_t *snap,
                                rdc_config_node_t *node);
/** Lock held: replaces node's task configs (taking cfgs) and bumps its
 *  task version. */
void rdc_config_snapshot_set_tasks(rdc_config_snapshot_t *snap,
                                   rdc_config_node_t *node, rdc_map_t **cfgs,
                                   uint32_t cnt);

/** The get() and names() of config_store.h: deep copies of the visible
 *  entries. They take the lock. */
rdc_config_entry_t *rdc_config_snapshot_get(rdc_config_snapshot_t *snap,
                                            const char *name);
size_t rdc_config_snapshot_names(rdc_config_snapshot_t *snap, char ***names);
void rdc_config_snapshot_set_listener(rdc_config_snapshot_t *snap,
                                      rdc_config_listener_t *cb, void *opaque);

/** Frees cnt task configs and the array (NULL is fine). */
void rdc_task_cfgs_free(rdc_map_t **cfgs, uint32_t cnt);
/** @returns a copy of cnt configs in *out (cnt 0: NULL), or -1 out of
 *  memory. */
int rdc_task_cfgs_dup(rdc_map_t *const *cfgs, uint32_t cnt, rdc_map_t ***out);

#endif
