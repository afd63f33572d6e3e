/*
 * rdc_map: the string → string map behind every configuration (worker,
 * connector, task, converter). Keys are kept sorted, so iteration order and
 * every JSON rendering of a config are deterministic.
 *
 * Not thread-safe: a map has one owner; share copies (rdc_map_dup).
 * The public ABI sees an rdc_map_t as an opaque rdcp_config_t.
 */
#ifndef RDC_MAP_H
#define RDC_MAP_H

#include <stddef.h>

typedef struct rdc_map rdc_map_t;

/** @returns an empty map, or NULL on OOM. */
rdc_map_t *rdc_map_new(void);
void rdc_map_destroy(rdc_map_t *map);
/** @returns a deep copy, or NULL on OOM. */
rdc_map_t *rdc_map_dup(const rdc_map_t *map);

/** Sets key to a copy of value; value NULL removes key.
 *  @returns 0, or -1 on OOM. */
int rdc_map_set(rdc_map_t *map, const char *key, const char *value);
/** @returns the value (borrowed until the key is set again) or NULL. */
const char *rdc_map_get(const rdc_map_t *map, const char *key);
/** @returns 1 if the key was there and is now removed, else 0. */
int rdc_map_unset(rdc_map_t *map, const char *key);

size_t rdc_map_count(const rdc_map_t *map);
const char *rdc_map_key_at(const rdc_map_t *map, size_t idx);
const char *rdc_map_value_at(const rdc_map_t *map, size_t idx);

/** Copies every entry of src into dst (overwriting). @returns 0 or -1. */
int rdc_map_merge(rdc_map_t *dst, const rdc_map_t *src);
/** @returns a new map with the entries whose key starts with prefix, the
 *  prefix removed from the keys; NULL on OOM. */
rdc_map_t *rdc_map_strip_prefix(const rdc_map_t *map, const char *prefix);
/** @returns 1 if both maps hold exactly the same entries. */
int rdc_map_equal(const rdc_map_t *a, const rdc_map_t *b);

#endif
