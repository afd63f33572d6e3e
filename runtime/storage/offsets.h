/*
 * Source offset storage: (connector, source partition) -> source offset,
 * both JSON object texts. Partitions are compared in canonical form
 * (re-serialized with sorted keys, no spaces), so {"a":1,"b":2} and
 * { "b":2, "a":1 } are the same partition.
 *
 * Back ends: a JSON file (standalone: offset.storage.file.filename) now,
 * a Kafka topic later (distributed). Writers stage values in memory; flush
 * makes them durable. Thread-safe (one internal mutex, not on a per-record
 * path: tasks call put once per partition per batch).
 *
 * File format (human-readable, the same shape as GET .../offsets):
 *   {"<connector>": [{"partition": {...}, "offset": {...}}, ...], ...}
 * Written atomically: temp file in the same directory, fsync, rename,
 * fsync of the directory.
 */
#ifndef RDC_OFFSETS_H
#define RDC_OFFSETS_H

#include <stddef.h>

typedef struct rdc_offset_store rdc_offset_store_t;

/** Opens (and reads, if it exists) the offsets file. A missing file is
 *  an empty store; an unreadable or corrupt one is an error.
 *  @returns the store or NULL with the reason in errstr. */
rdc_offset_store_t *rdc_offset_store_file_open(const char *path, char *errstr,
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
/** Writes staged changes durably (no-op if nothing changed or memory).
 *  @returns 0, or -1 with the reason in errstr (staged data kept). */
int rdc_offset_store_flush(rdc_offset_store_t *store, char *errstr,
                           size_t errstr_size);

/** Canonical form of a JSON object text (sorted keys, compact).
 *  @returns a malloc'd string, or NULL if text is not a JSON object. */
char *rdc_json_canonical(const char *text);

#endif
