/*
 * Connector config storage: the desired state the herder reconciles to.
 * Per connector: its config (as submitted), its target state (STARTED,
 * PAUSED, STOPPED) and the task configs its connector last generated.
 *
 * An interface (a small vtable) so that the herder never knows which back
 * end it talks to:
 *  - memory (standalone), optionally persisted to connector.configs.file
 *    (rdc_config_store_file_open): a write is applied at once; a change
 *    of a config or target state is durable once the file is rewritten.
 *    Task configs stay in memory (as Kafka's standalone worker).
 *  - Kafka topic (rdc_config_store_kafka_open, config_store_kafka.h; for
 *    distributed mode), Kafka Connect's config.storage.topic: records
 * `connector-<name>` (config), `target-state-<name>`, `task-<name>-<n>`
 * followed by `commit-<name>` (task configs become visible at the commit), a
 *    tombstone of `connector-<name>` for a removal. A write produces the
 *    record(s); a reader thread consumes the topic and applies what it
 *    reads back, for every worker alike. done() of a write is called once
 *    the record was acknowledged AND read back (the reader passed its
 *    offset), so "done" always means "durable and visible".
 *
 * Contract of every back end:
 *  - Writes are asynchronous: they return at once (0 accepted, -1 refused
 *    with errstr, done not called) and call done(opaque, err, errstr)
 *    later, from any thread (standalone: before the write returns).
 *  - A write that fails changes nothing: neither the snapshot nor the
 *    listener sees it.
 *  - Applied changes are announced through the listener, for each changed
 *    connector, before done() of the write that caused them; changes made
 *    by other writers (other workers) arrive through the listener alone.
 *  - Callbacks may come from any thread and must only post (the herder
 *    posts an event to its queue). They are called without the store's
 *    lock held, so a callback may read the store.
 *  - Reads (get, names) return deep copies of the applied state.
 */
#ifndef RDC_CONFIG_STORE_H
#define RDC_CONFIG_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/map.h"

typedef enum rdc_target {
        RDC_TARGET_STARTED = 0,
        RDC_TARGET_PAUSED,
        RDC_TARGET_STOPPED
} rdc_target_t;

/** Kafka's names in REST bodies and records: RUNNING, PAUSED, STOPPED. */
const char *rdc_target_name(rdc_target_t target);
/** Parses RUNNING|PAUSED|STOPPED (NULL: RUNNING). @returns 0 or -1. */
int rdc_target_parse(const char *text, rdc_target_t *target);

/** One connector's desired state: a deep copy owned by the caller. */
typedef struct rdc_config_entry {
        char *name;
        rdc_map_t *config; /**< as submitted, "name" included */
        rdc_target_t target;
        rdc_map_t **task_cfgs; /**< task_cnt configs */
        uint32_t task_cnt;
        /** Bumped by each applied change of config, resp. task configs:
         *  the herder compares them with what it runs. */
        uint64_t config_version;
        uint64_t task_version;
} rdc_config_entry_t;

void rdc_config_entry_free(rdc_config_entry_t *entry);

/** Completion of a write. err 0: durable and visible; else errstr says
 *  why (borrowed for the call). */
typedef void(rdc_store_done_cb_t)(void *opaque, int err, const char *errstr);
/** connector's entry changed (or was removed): read it with get(). */
typedef void(rdc_config_listener_t)(void *opaque, const char *connector);
/** A restart request was read (distributed: Kafka's restart-connector-<c>
 *  records, which every worker acts on for what it runs). */
typedef void(rdc_restart_listener_t)(void *opaque, const char *connector,
                                     int include_tasks, int only_failed);

typedef struct rdc_config_store rdc_config_store_t;

typedef struct rdc_config_store_ops {
        /** Creates or replaces a connector's config and target state. */
        int (*put_connector)(rdc_config_store_t *store, const char *name,
                             const rdc_map_t *config, rdc_target_t target,
                             rdc_store_done_cb_t *done, void *opaque,
                             char *errstr, size_t errstr_size);
        int (*put_target)(rdc_config_store_t *store, const char *name,
                          rdc_target_t target, rdc_store_done_cb_t *done,
                          void *opaque, char *errstr, size_t errstr_size);
        /** Replaces the task configs (cnt 0: none, as after a stop). */
        int (*put_task_configs)(rdc_config_store_t *store, const char *name,
                                rdc_map_t *const *cfgs, uint32_t cnt,
                                rdc_store_done_cb_t *done, void *opaque,
                                char *errstr, size_t errstr_size);
        /** Removes the connector with its task configs. */
        int (*remove)(rdc_config_store_t *store, const char *name,
                      rdc_store_done_cb_t *done, void *opaque, char *errstr,
                      size_t errstr_size);
        /** @returns a copy of name's entry, or NULL if there is none. */
        rdc_config_entry_t *(*get)(rdc_config_store_t *store, const char *name);
        /** The names of every entry (caller frees each and the array).
         *  @returns their count. */
        size_t (*names)(rdc_config_store_t *store, char ***names);
        /** Sets the change listener (one; NULL removes it). */
        void (*set_listener)(rdc_config_store_t *store,
                             rdc_config_listener_t *cb, void *opaque);
        void (*destroy)(rdc_config_store_t *store);
        /** Optional (NULL: the store keeps no restart requests, as the
         *  standalone one). Writes a restart request of name. */
        int (*put_restart)(rdc_config_store_t *store, const char *name,
                           int include_tasks, int only_failed,
                           rdc_store_done_cb_t *done, void *opaque,
                           char *errstr, size_t errstr_size);
        /** Optional, with put_restart: the restart listener (one), told
         *  of the requests read after the store opened. */
        void (*set_restart_listener)(rdc_config_store_t *store,
                                     rdc_restart_listener_t *cb, void *opaque);
        /** Optional (NULL: every writer may write, as the standalone
         *  one). Makes the store fenced: only the writer that claimed
         *  writer_id (the group's leader) writes, and a later claim of
         *  the same id fences it; NULL: this worker writes nothing
         *  (see rdc_topic_log_set_writer). Never blocks. */
        int (*set_writer)(rdc_config_store_t *store, const char *writer_id,
                          int64_t term);
} rdc_config_store_ops_t;

/** The base every back end starts with. */
struct rdc_config_store {
        const rdc_config_store_ops_t *ops;
        /** Where the configs live, for log lines ("/x/connectors.json",
         *  "memory", "topic connect-configs"). */
        const char *origin;
};

/**
 * @brief The memory back end, persisted to path when path is not NULL.
 *        Reads path if it exists: a corrupt file or entry is logged and
 *        skipped (the worker starts without it; the next change rewrites
 *        the file).
 * @returns the store, or NULL (out of memory).
 */
rdc_config_store_t *rdc_config_store_file_open(const char *path);

#endif
