/*
 * rdc_map: a sorted array of owned key/value strings (see map.h).
 *
 * Configs are small (tens to a few hundred keys) and read far more often
 * than written, so a sorted array with binary search beats a hash table:
 * lookups are cache-friendly, iteration is in key order for free, and
 * prefix ranges (converter.*, producer.*) are contiguous.
 */
#define _POSIX_C_SOURCE 200809L
#include "core/map.h"

#include <stdlib.h>
#include <string.h>

typedef struct rdc_map_entry {
        char *key;
        char *value;
} rdc_map_entry_t;

struct rdc_map {
        rdc_map_entry_t *entries; /**< sorted by strcmp of key */
        size_t cnt;
        size_t size; /**< allocated entries */
};

rdc_map_t *rdc_map_new(void) {
        return calloc(1, sizeof(rdc_map_t));
}

static void map_entry_free(rdc_map_entry_t *entry) {
        free(entry->key);
        free(entry->value);
}

void rdc_map_destroy(rdc_map_t *map) {
        if (!map)
                return;
        for (size_t i = 0; i < map->cnt; i++)
                map_entry_free(&map->entries[i]);
        free(map->entries);
        free(map);
}

/**
 * @brief Binary search for key.
 * @returns the index of key if *found, else the index where it would be
 *          inserted to keep the array sorted.
 */
static size_t map_search(const rdc_map_t *map, const char *key, int *found) {
        size_t lo = 0, hi = map->cnt;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                int cmp = strcmp(map->entries[mid].key, key);
                if (cmp == 0) {
                        *found = 1;
                        return mid;
                }
                if (cmp < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *found = 0;
        return lo;
}

static int map_reserve(rdc_map_t *map, size_t want) {
        if (want <= map->size)
                return 0;
        size_t size = map->size ? map->size * 2 : 16;
        while (size < want)
                size *= 2;
        rdc_map_entry_t *grown = realloc(map->entries, size * sizeof(*grown));
        if (!grown)
                return -1;
        map->entries = grown;
        map->size = size;
        return 0;
}

/** Appends an entry that sorts after every present key (no search). */
static int map_append_sorted(rdc_map_t *map, const char *key,
                             const char *value) {
        if (map_reserve(map, map->cnt + 1))
                return -1;
        char *key_copy = strdup(key);
        char *value_copy = strdup(value);
        if (!key_copy || !value_copy) {
                free(key_copy);
                free(value_copy);
                return -1;
        }
        map->entries[map->cnt].key = key_copy;
        map->entries[map->cnt].value = value_copy;
        map->cnt++;
        return 0;
}

rdc_map_t *rdc_map_dup(const rdc_map_t *map) {
        rdc_map_t *copy = rdc_map_new();
        if (!copy)
                return NULL;
        if (map_reserve(copy, map->cnt))
                goto fail;
        for (size_t i = 0; i < map->cnt; i++)
                if (map_append_sorted(copy, map->entries[i].key,
                                      map->entries[i].value))
                        goto fail;
        return copy;
fail:
        rdc_map_destroy(copy);
        return NULL;
}

int rdc_map_set(rdc_map_t *map, const char *key, const char *value) {
        if (!value) {
                rdc_map_unset(map, key);
                return 0;
        }
        int found;
        size_t idx = map_search(map, key, &found);
        char *value_copy = strdup(value);
        if (!value_copy)
                return -1;
        if (found) {
                free(map->entries[idx].value);
                map->entries[idx].value = value_copy;
                return 0;
        }
        char *key_copy = strdup(key);
        if (!key_copy || map_reserve(map, map->cnt + 1)) {
                free(key_copy);
                free(value_copy);
                return -1;
        }
        memmove(&map->entries[idx + 1], &map->entries[idx],
                (map->cnt - idx) * sizeof(map->entries[0]));
        map->entries[idx].key = key_copy;
        map->entries[idx].value = value_copy;
        map->cnt++;
        return 0;
}

const char *rdc_map_get(const rdc_map_t *map, const char *key) {
        int found;
        size_t idx = map_search(map, key, &found);
        return found ? map->entries[idx].value : NULL;
}

int rdc_map_unset(rdc_map_t *map, const char *key) {
        int found;
        size_t idx = map_search(map, key, &found);
        if (!found)
                return 0;
        map_entry_free(&map->entries[idx]);
        memmove(&map->entries[idx], &map->entries[idx + 1],
                (map->cnt - idx - 1) * sizeof(map->entries[0]));
        map->cnt--;
        return 1;
}

size_t rdc_map_count(const rdc_map_t *map) {
        return map->cnt;
}

const char *rdc_map_key_at(const rdc_map_t *map, size_t idx) {
        return idx < map->cnt ? map->entries[idx].key : NULL;
}

const char *rdc_map_value_at(const rdc_map_t *map, size_t idx) {
        return idx < map->cnt ? map->entries[idx].value : NULL;
}

int rdc_map_merge(rdc_map_t *dst, const rdc_map_t *src) {
        for (size_t i = 0; i < src->cnt; i++)
                if (rdc_map_set(dst, src->entries[i].key,
                                src->entries[i].value))
                        return -1;
        return 0;
}

rdc_map_t *rdc_map_strip_prefix(const rdc_map_t *map, const char *prefix) {
        rdc_map_t *stripped = rdc_map_new();
        if (!stripped)
                return NULL;
        size_t prefix_len = strlen(prefix);
        int found;
        /* Keys with the prefix form one contiguous run starting where the
         * prefix itself would sort; cutting a common prefix keeps the run
         * sorted, so entries can be appended without searching. */
        for (size_t i = map_search(map, prefix, &found); i < map->cnt; i++) {
                const rdc_map_entry_t *entry = &map->entries[i];
                if (strncmp(entry->key, prefix, prefix_len))
                        break;
                if (map_append_sorted(stripped, entry->key + prefix_len,
                                      entry->value)) {
                        rdc_map_destroy(stripped);
                        return NULL;
                }
        }
        return stripped;
}

int rdc_map_equal(const rdc_map_t *a, const rdc_map_t *b) {
        if (a->cnt != b->cnt)
                return 0;
        for (size_t i = 0; i < a->cnt; i++)
                if (strcmp(a->entries[i].key, b->entries[i].key) ||
                    strcmp(a->entries[i].value, b->entries[i].value))
                        return 0;
        return 1;
}
