/*
 * Source offset storage: (connector, source partition) -> source offset,
 * both JSON object texts. Partitions are compared in canonical form
 * (re-serialized with sorted keys, no spaces), so {"a":1,"b":2} and
 * { "b":2, "a":1 } are the same partition.
 *
 * An interface (a small vtable): tasks, host services and the herder
 * call the rdc_offset_store_*() functions below and never know the back
 * end.
 *  - file (standalone: offset.storage.file.filename) and memory, in
 *    offsets.c. File format (human-readable, the shape of GET
 *    .../offsets), written atomically (temp file, fsync, rename, fsync of
 *    the directory):
 *      {"<connector>": [{"partition": {...}, "offset": {...}}, ...], ...}
 *  - Kafka topic (rdc_offset_store_kafka_open; for distributed mode),
 *    Kafka Connect's offset.storage.topic: key ["<connector>",{partition}],
 * value the offset (null removes), the same canonical texts this store keeps.
 *    put() stages in memory as here; flush() produces the staged records
 *    and calls done once they are acknowledged; a reader thread applies
 *    what it reads back (also other workers' writes) and calls the
 *    listener, so get()/foreach() see records written before this worker
 *    started once the reader has caught up.
 *
 * Contract: put/remove stage and are visible to get() at once on this
 * worker; flush() makes what was staged durable, asynchronously: done
 * is called once it is (file back end: before flush returns), from any
 * thread, and must only post or signal. Staged data survives a failed
 * flush (the next flush writes it). Thread-safe: tasks call put once per
 * partition per batch, never per record.
 */
#ifndef RDC_OFFSETS_H
#define RDC_OFFSETS_H

#include <stddef.h>
#include <librdkafka/rdkafka.h>

#include "storage/config_store.h" /* rdc_store_done_cb_t */

typedef struct rdc_offset_store rdc_offset_store_t;

/** An offset of connector changed (partition_json NULL: all of them).
 *  Called from any thread, without the store's lock. */
typedef void(rdc_offsets_listener_t)(void *opaque, const char *connector,
                                     const char *partition_json);

typedef struct rdc_offset_store_ops {
        int (*get)(rdc_offset_store_t *store, const char *connector,
                   const char *partition_json, char **offset_json);
        int (*put)(rdc_offset_store_t *store, const char *connector,
                   const char *partition_json, const char *offset_json);
        void (*remove_connector)(rdc_offset_store_t *store,
                                 const char *connector);
        void (*foreach)(rdc_offset_store_t *store, const char *connector,
                        void (*cb)(void *opaque, const char *partition_json,
                                   const char *offset_json),
                        void *opaque);
        void (*flush)(rdc_offset_store_t *store, rdc_store_done_cb_t *done,
                      void *opaque);
        void (*set_listener)(rdc_offset_store_t *store,
                             rdc_offsets_listener_t *cb, void *opaque);
        /** Reads what others wrote up to now (NULL: nobody else writes). */
        int (*sync)(rdc_offset_store_t *store, int timeout_ms, char *errstr,
                    size_t errstr_size);
        /** Optional: drops what is staged or in flight (NULL: no-op). */
        void (*abandon)(rdc_offset_store_t *store);
        void (*destroy)(rdc_offset_store_t *store);
} rdc_offset_store_ops_t;

/** The base every back end starts with. */
struct rdc_offset_store {
        const rdc_offset_store_ops_t *ops;
};

/** Opens (and reads, if it exists) the offsets file. A missing file is
 *  an empty store; an unreadable or corrupt one is an error.
 *  @returns the store or NULL with the reason in errstr. */
rdc_offset_store_t *rdc_offset_store_file_open(const char *path, char *errstr,
                                               size_t errstr_size);
/** Opens the offsets topic store (see rdc_topic_log_open() for the
 *  configs, both taken) and reads the topic to its end.
 *  @returns the store or NULL with the reason in errstr. */
rdc_offset_store_t *rdc_offset_store_kafka_open(rd_kafka_conf_t *producer_conf,
                                                rd_kafka_conf_t *consumer_conf,
                                                const char *topic,
                                                int timeout_ms, char *errstr,
                                                size_t errstr_size);
/** An in-memory store (tests, and sinks that keep no source offsets). */
rdc_offset_store_t *rdc_offset_store_memory_new(void);
void rdc_offset_store_destroy(rdc_offset_store_t *store);

/** @param offset_json out: a malloc'd copy (caller frees) or NULL if none.
 *  @returns 0, or -1 if partition_json is not a JSON object. */
int rdc_offset_store_get(rdc_offset_store_t *store, const char *connector,
                         const char *partition_json, char **offset_json);
/** Stages an offset; offset_json NULL removes the partition.
 *  @returns 0, or -1 if either text is not a JSON object (or null). */
int rdc_offset_store_put(rdc_offset_store_t *store, const char *connector,
                         const char *partition_json, const char *offset_json);
/** Removes every partition of a connector (staged). */
void rdc_offset_store_remove_connector(rdc_offset_store_t *store,
                                       const char *connector);
/** Calls cb for every (partition, offset) of a connector, canonical JSON
 *  texts, in partition order. */
void rdc_offset_store_foreach(rdc_offset_store_t *store, const char *connector,
                              void (*cb)(void *opaque,
                                         const char *partition_json,
                                         const char *offset_json),
                              void *opaque);
/** Starts making staged changes durable; done(opaque, err, errstr) says
 *  when they are (see the contract above). */
void rdc_offset_store_flush_async(rdc_offset_store_t *store,
                                  rdc_store_done_cb_t *done, void *opaque);
/** Writes staged changes durably and waits (no-op if nothing changed or
 *  memory). @returns 0, or -1 with the reason in errstr (staged data
 *  kept). @locality a thread that may block (a task's, a job's). */
int rdc_offset_store_flush(rdc_offset_store_t *store, char *errstr,
                           size_t errstr_size);
/** rdc_offset_store_flush() waiting timeout_ms at most (-1: no limit).
 *  @returns -1 when the write did not complete in time (it may still,
 *  later; the staged data is kept until it does). */
int rdc_offset_store_flush_timed(rdc_offset_store_t *store, int64_t timeout_ms,
                                 char *errstr, size_t errstr_size);
void rdc_offset_store_set_listener(rdc_offset_store_t *store,
                                   rdc_offsets_listener_t *cb, void *opaque);
/** Waits until the store holds every offset written to it (by any
 *  worker) before the call: a no-op for a file or memory; the offsets
 *  topic read to its end. @returns 0, or -1 with errstr after
 *  timeout_ms. @locality a thread that may block (never the herder's). */
int rdc_offset_store_sync(rdc_offset_store_t *store, int timeout_ms,
                          char *errstr, size_t errstr_size);
/** Drops every offset staged or sent and not acknowledged yet, and the
 *  sends still queued, so that none lands later (distributed: a worker
 *  that lost its group membership, once its tasks stopped, so that a
 *  commit stuck in its producer does not land after the new owner's and
 *  move the position back). A no-op for a file or memory. */
void rdc_offset_store_abandon(rdc_offset_store_t *store);

/** Canonical form of a JSON object text (sorted keys, compact).
 *  @returns a malloc'd string, or NULL if text is not a JSON object. */
char *rdc_json_canonical(const char *text);

#endif
