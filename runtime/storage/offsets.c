/*
 * The back ends of the source offset store (see offsets.h): memory, the
 * file of standalone mode (offset.storage.file.filename) and Kafka
 * Connect's offsets topic (offset.storage.topic, through a topic log).
 *
 * Entries live in one rdc_map keyed by Kafka Connect's offset-topic key,
 * ["<connector>",{canonical partition}], with the canonical offset as
 * value. The key is unique per (connector, partition) and, being sorted,
 * keeps each connector's partitions in one contiguous run: everything that
 * starts with ["<connector>", belongs to it (a JSON string token ends at
 * its closing quote, so no other connector's key shares that prefix).
 *
 * store->lock guards the map and the dirty flag; flush_lock serializes
 * flushes so that an older snapshot never renames over a newer one, while
 * puts only wait for the snapshot, not for the disk.
 *
 * The Kafka back end keeps the same map, plus the changes staged since
 * the last flush (key -> offset, "" for a removal) and those a flush has
 * sent and not yet seen acknowledged (in flight). A flush produces the
 * staged records (a removal is a tombstone); done comes once Kafka
 * acknowledged them and they were read back. Records read back (also
 * other workers' and those there before this worker started) apply to
 * the map, except for keys this worker has staged or in flight: its own
 * newer value stands. A failed flush puts its records back to be staged
 * again, unless a newer change came since.
 */
#define _GNU_SOURCE
#include "storage/offsets.h"
#include "core/errstr.h"
#include "core/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <libgen.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/map.h"
#include "storage/topic_log.h"
#include "storage/topic_records.h"

#define OFFSETS_JSON_FLAGS                                                     \
        (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

typedef struct file_offsets {
        rdc_offset_store_t base;
        pthread_mutex_t lock; /**< guards entries, dirty, listener */
        pthread_mutex_t flush_lock;
        rdc_map_t *entries;       /**< offset key -> canonical offset */
        int dirty;                /**< entries differ from the file */
        char *path;               /**< NULL: memory only */
        rdc_topic_log_owner_t tl; /**< the Kafka back end's topic */
        rdc_map_t *staged;        /**< Kafka: changed since the last flush */
        rdc_map_t *inflight;      /**< Kafka: sent, not acknowledged yet */
        uint64_t epoch; /**< Kafka: bumped by abandon: older sends that
                             fail are not staged again */
        rdc_offsets_listener_t *listener;
        void *listener_opaque;
} file_offsets_t;

/* --------------------------------------------------------- canonical */

static int offsets_key_cmp(const void *a, const void *b) {
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/** @returns a copy of obj with every object's keys in sorted order (json-c
 *          serializes keys in insertion order), or NULL on OOM. */
static json_object *offsets_sorted_copy(json_object *obj) {
        json_object *copy = NULL;
        const char **keys = NULL;

        switch (json_object_get_type(obj)) {
        case json_type_object: {
                size_t cnt = (size_t)json_object_object_length(obj), i = 0;
                keys = malloc((cnt ? cnt : 1) * sizeof(*keys));
                copy = json_object_new_object();
                if (!keys || !copy)
                        goto fail;
                json_object_object_foreach(obj, key, value) {
                        (void)value;
                        keys[i++] = key;
                }
                qsort(keys, cnt, sizeof(*keys), offsets_key_cmp);
                for (i = 0; i < cnt; i++) {
                        json_object *child = offsets_sorted_copy(
                                json_object_object_get(obj, keys[i]));
                        if (!child && json_object_object_get(obj, keys[i]))
                                goto fail;
                        if (json_object_object_add(copy, keys[i], child)) {
                                json_object_put(child);
                                goto fail;
                        }
                }
                free(keys);
                return copy;
        }
        case json_type_array: {
                size_t cnt = json_object_array_length(obj);
                copy = json_object_new_array_ext((int)cnt);
                if (!copy)
                        return NULL;
                for (size_t i = 0; i < cnt; i++) {
                        json_object *item = json_object_array_get_idx(obj, i);
                        json_object *child = offsets_sorted_copy(item);
                        if (!child && item)
                                goto fail;
                        if (json_object_array_add(copy, child)) {
                                json_object_put(child);
                                goto fail;
                        }
                }
                return copy;
        }
        default:
                /* Scalars (and null, which is NULL) are shared. */
                return json_object_get(obj);
        }
fail:
        free(keys);
        json_object_put(copy);
        return NULL;
}

/** @returns the canonical text of obj (malloc'd) or NULL on OOM. */
static char *offsets_canonical_obj(json_object *obj) {
        json_object *sorted = offsets_sorted_copy(obj);
        if (!sorted)
                return NULL;
        char *text = strdup(
                json_object_to_json_string_ext(sorted, OFFSETS_JSON_FLAGS));
        json_object_put(sorted);
        return text;
}

/**
 * @brief Parses text as one JSON value, trailing whitespace allowed.
 * @returns 0 with the value in *objp (NULL for JSON null), or -1.
 */
static int offsets_parse(const char *text, json_object **objp) {
        json_tokener *tok = json_tokener_new();
        size_t len = strlen(text);
        *objp = NULL;
        if (!tok)
                return -1;
        json_object *obj = json_tokener_parse_ex(tok, text, (int)len);
        size_t end = json_tokener_get_parse_end(tok);
        int ok = json_tokener_get_error(tok) == json_tokener_success &&
                 strspn(text + end, " \t\r\n") == len - end;
        json_tokener_free(tok);
        if (!ok) {
                json_object_put(obj);
                return -1;
        }
        *objp = obj;
        return 0;
}

char *rdc_json_canonical(const char *text) {
        json_object *obj;
        char *canonical = NULL;
        if (!text || offsets_parse(text, &obj))
                return NULL;
        if (json_object_is_type(obj, json_type_object))
                canonical = offsets_canonical_obj(obj);
        json_object_put(obj);
        return canonical;
}

/* ------------------------------------------------------------- keys */

/** @returns "[<connector as JSON>," (malloc'd), the key prefix shared by
 *          all of a connector's partitions. */
static char *offsets_connector_prefix(const char *connector) {
        json_object *name = json_object_new_string(connector);
        char *prefix = NULL;
        if (!name)
                return NULL;
        if (asprintf(&prefix, "[%s,",
                     json_object_to_json_string_ext(name, OFFSETS_JSON_FLAGS)) <
            0)
                prefix = NULL;
        json_object_put(name);
        return prefix;
}

/** @returns the offset key of (connector, canonical partition). */
static char *offsets_key(const char *connector, const char *partition) {
        char *prefix = offsets_connector_prefix(connector);
        char *key = NULL;
        if (prefix && asprintf(&key, "%s%s]", prefix, partition) < 0)
                key = NULL;
        free(prefix);
        return key;
}

/** @returns the index of the first key >= prefix (map keys are sorted). */
static size_t offsets_lower_bound(const rdc_map_t *map, const char *prefix) {
        size_t lo = 0, hi = rdc_map_count(map);
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(rdc_map_key_at(map, mid), prefix) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo;
}

/* ------------------------------------------------------------ store */

static void fo_destroy(rdc_offset_store_t *base);
static const rdc_offset_store_ops_t file_offsets_ops;

static file_offsets_t *offsets_new(const char *path) {
        file_offsets_t *store = calloc(1, sizeof(*store));
        if (!store)
                return NULL;
        store->base.ops = &file_offsets_ops;
        pthread_mutex_init(&store->lock, NULL);
        pthread_mutex_init(&store->flush_lock, NULL);
        store->entries = rdc_map_new();
        if (!store->entries || (path && !(store->path = strdup(path)))) {
                fo_destroy(&store->base);
                return NULL;
        }
        return store;
}

rdc_offset_store_t *rdc_offset_store_memory_new(void) {
        file_offsets_t *store = offsets_new(NULL);
        return store ? &store->base : NULL;
}

static void fo_destroy(rdc_offset_store_t *base) {
        file_offsets_t *store = (file_offsets_t *)base;
        if (!store)
                return;
        rdc_topic_log_owner_clear(&store->tl);
        rdc_map_destroy(store->entries);
        rdc_map_destroy(store->staged);
        rdc_map_destroy(store->inflight);
        free(store->path);
        pthread_mutex_destroy(&store->lock);
        pthread_mutex_destroy(&store->flush_lock);
        free(store);
}

/**
 * @brief Sets (offset non-NULL) or removes one entry.
 * @returns 0, or -1 on OOM. Marks the store dirty only on a real change.
 * @locks store->lock
 */
static int offsets_set_locked(file_offsets_t *store, const char *key,
                              const char *offset) {
        const char *old = rdc_map_get(store->entries, key);
        if (offset ? old && !strcmp(old, offset) : !old)
                return 0;
        if (rdc_map_set(store->entries, key, offset))
                return -1;
        store->dirty = 1;
        if (store->staged &&
            rdc_map_set(store->staged, key, offset ? offset : ""))
                return -1;
        return 0;
}

static int fo_get(rdc_offset_store_t *base, const char *connector,
                  const char *partition_json, char **offset_json) {
        file_offsets_t *store = (file_offsets_t *)base;
        *offset_json = NULL;
        char *partition = rdc_json_canonical(partition_json);
        char *key = partition && connector ? offsets_key(connector, partition)
                                           : NULL;
        int ret = -1;
        if (!key)
                goto done;
        pthread_mutex_lock(&store->lock);
        const char *offset = rdc_map_get(store->entries, key);
        if (offset)
                *offset_json = strdup(offset);
        ret = offset && !*offset_json ? -1 : 0;
        pthread_mutex_unlock(&store->lock);
done:
        free(partition);
        free(key);
        return ret;
}

static int fo_put(rdc_offset_store_t *base, const char *connector,
                  const char *partition_json, const char *offset_json) {
        file_offsets_t *store = (file_offsets_t *)base;
        char *partition = rdc_json_canonical(partition_json);
        char *offset = NULL, *key = NULL;
        json_object *parsed = NULL;
        int ret = -1;
        if (!partition || !connector)
                goto done;
        /* A JSON null offset removes, as a null value in the offsets
         * topic and "offset": null in PATCH .../offsets do. */
        if (offset_json) {
                if (offsets_parse(offset_json, &parsed))
                        goto done;
                if (parsed && (!json_object_is_type(parsed, json_type_object) ||
                               !(offset = offsets_canonical_obj(parsed))))
                        goto done;
        }
        if (!(key = offsets_key(connector, partition)))
                goto done;
        pthread_mutex_lock(&store->lock);
        ret = offsets_set_locked(store, key, offset);
        rdc_offsets_listener_t *listener = store->listener;
        void *listener_opaque = store->listener_opaque;
        pthread_mutex_unlock(&store->lock);
        if (!ret && listener)
                listener(listener_opaque, connector, partition);
done:
        json_object_put(parsed);
        free(partition);
        free(offset);
        free(key);
        return ret;
}

static void fo_remove_connector(rdc_offset_store_t *base,
                                const char *connector) {
        file_offsets_t *store = (file_offsets_t *)base;
        char *prefix = offsets_connector_prefix(connector);
        if (!prefix)
                return;
        size_t prefix_len = strlen(prefix);
        pthread_mutex_lock(&store->lock);
        size_t idx = offsets_lower_bound(store->entries, prefix);
        const char *key;
        while ((key = rdc_map_key_at(store->entries, idx)) &&
               !strncmp(key, prefix, prefix_len)) {
                if (store->staged)
                        rdc_map_set(store->staged, key, "");
                rdc_map_unset(store->entries, key);
                store->dirty = 1;
        }
        rdc_offsets_listener_t *listener = store->listener;
        void *listener_opaque = store->listener_opaque;
        pthread_mutex_unlock(&store->lock);
        if (listener)
                listener(listener_opaque, connector, NULL);
        free(prefix);
}

static void fo_foreach(rdc_offset_store_t *base, const char *connector,
                       void (*cb)(void *opaque, const char *partition_json,
                                  const char *offset_json),
                       void *opaque) {
        file_offsets_t *store = (file_offsets_t *)base;
        char *prefix = offsets_connector_prefix(connector);
        if (!prefix)
                return;
        /* The callback runs on a copy, outside the lock, so that it may
         * use the store itself. */
        pthread_mutex_lock(&store->lock);
        rdc_map_t *run = rdc_map_strip_prefix(store->entries, prefix);
        pthread_mutex_unlock(&store->lock);
        if (!run)
                goto done;
        for (size_t i = 0; i < rdc_map_count(run); i++) {
                /* Key left: "{partition}]"; the bracket closes the key. */
                const char *rest = rdc_map_key_at(run, i);
                size_t partition_len = strlen(rest) - 1;
                char *partition = strndup(rest, partition_len);
                if (!partition)
                        break;
                cb(opaque, partition, rdc_map_value_at(run, i));
                free(partition);
        }
        rdc_map_destroy(run);
done:
        free(prefix);
}

/* ------------------------------------------------------- file format */

/**
 * @brief Adds one entry to the file document: {"partition", "offset"} at
 *        the end of its connector's array (entries come sorted, so each
 *        array is in partition order and connectors in name order).
 * @returns 0, or -1 on OOM or an unparsable entry.
 */
static int offsets_document_add(json_object *doc, const char *key,
                                const char *offset_text) {
        json_object *parsed = json_tokener_parse(key);
        json_object *array, *entry = NULL, *offset = NULL;
        int ret = -1;
        if (!parsed || !json_object_is_type(parsed, json_type_array) ||
            json_object_array_length(parsed) != 2)
                goto done;
        const char *connector =
                json_object_get_string(json_object_array_get_idx(parsed, 0));
        json_object *partition = json_object_array_get_idx(parsed, 1);
        if (!json_object_object_get_ex(doc, connector, &array)) {
                if (!(array = json_object_new_array()))
                        goto done;
                if (json_object_object_add(doc, connector, array)) {
                        json_object_put(array);
                        goto done;
                }
        }
        entry = json_object_new_object();
        offset = json_tokener_parse(offset_text);
        if (!entry || !offset ||
            json_object_object_add(entry, "partition",
                                   json_object_get(partition))) {
                json_object_put(offset);
                goto done;
        }
        if (json_object_object_add(entry, "offset", offset)) {
                json_object_put(offset);
                goto done;
        }
        if (json_object_array_add(array, entry))
                goto done;
        entry = NULL; /* owned by the array now */
        ret = 0;
done:
        json_object_put(entry);
        json_object_put(parsed);
        return ret;
}

/** @returns the file text of every entry, or NULL on OOM.
 *  @locks store->lock */
static char *offsets_render_locked(file_offsets_t *store) {
        json_object *doc = json_object_new_object();
        char *text = NULL;
        if (!doc)
                return NULL;
        for (size_t i = 0; i < rdc_map_count(store->entries); i++)
                if (offsets_document_add(doc, rdc_map_key_at(store->entries, i),
                                         rdc_map_value_at(store->entries, i)))
                        goto done;
        if (asprintf(&text, "%s\n",
                     json_object_to_json_string_ext(
                             doc, JSON_C_TO_STRING_PRETTY |
                                          JSON_C_TO_STRING_NOSLASHESCAPE)) < 0)
                text = NULL;
done:
        json_object_put(doc);
        return text;
}

static int fo_write(rdc_offset_store_t *base, char *errstr,
                    size_t errstr_size) {
        file_offsets_t *store = (file_offsets_t *)base;
        int ret = 0;
        if (!store->path)
                return 0;
        pthread_mutex_lock(&store->flush_lock);
        pthread_mutex_lock(&store->lock);
        char *text = store->dirty ? offsets_render_locked(store) : NULL;
        if (store->dirty && !text) {
                rdc_errstr_set(errstr, errstr_size,
                               "%s: out of memory rendering offsets",
                               store->path);
                ret = -1;
        }
        if (text)
                store->dirty = 0;
        pthread_mutex_unlock(&store->lock);

        if (text &&
            rdc_file_write_atomic(store->path, text, errstr, errstr_size)) {
                /* Whatever changed since is in entries too: write it all
                 * next time. */
                pthread_mutex_lock(&store->lock);
                store->dirty = 1;
                pthread_mutex_unlock(&store->lock);
                ret = -1;
        }
        pthread_mutex_unlock(&store->flush_lock);
        free(text);
        return ret;
}

/* The file back end writes on the caller's thread: done is called before
 * flush returns. */
static void fo_flush(rdc_offset_store_t *base, rdc_store_done_cb_t *done,
                     void *opaque) {
        char errstr[1024] = "";
        int err = fo_write(base, errstr, sizeof(errstr));
        if (done)
                done(opaque, err, errstr);
}

static void fo_set_listener(rdc_offset_store_t *base,
                            rdc_offsets_listener_t *cb, void *opaque) {
        file_offsets_t *store = (file_offsets_t *)base;
        pthread_mutex_lock(&store->lock);
        store->listener = cb;
        store->listener_opaque = opaque;
        pthread_mutex_unlock(&store->lock);
}

static const rdc_offset_store_ops_t file_offsets_ops = {
        .get = fo_get,
        .put = fo_put,
        .remove_connector = fo_remove_connector,
        .foreach = fo_foreach,
        .flush = fo_flush,
        .set_listener = fo_set_listener,
        .destroy = fo_destroy,
};

/* ------------------------------------------------------------ loading */

/** Adds one {"partition", "offset"} entry read from the file. */
static int offsets_load_entry(file_offsets_t *store, const char *connector,
                              json_object *entry, char *errstr,
                              size_t errstr_size) {
        json_object *partition, *offset;
        char *partition_text = NULL, *offset_text = NULL, *key = NULL;
        const char *why = NULL;
        int ret = -1;
        if (!json_object_is_type(entry, json_type_object))
                why = "is not a JSON object";
        else if (!json_object_object_get_ex(entry, "partition", &partition) ||
                 !json_object_is_type(partition, json_type_object))
                why = "has no \"partition\" object";
        else if (!json_object_object_get_ex(entry, "offset", &offset) ||
                 !(json_object_is_type(offset, json_type_object) ||
                   json_object_is_type(offset, json_type_null)))
                why = "has no \"offset\" object";
        if (why) {
                rdc_errstr_set(errstr, errstr_size, "%s", why);
                return -1;
        }
        if (!offset)
                return 0; /* a removed partition */
        partition_text = offsets_canonical_obj(partition);
        offset_text = offsets_canonical_obj(offset);
        key = partition_text ? offsets_key(connector, partition_text) : NULL;
        if (!key || !offset_text ||
            rdc_map_set(store->entries, key, offset_text)) {
                rdc_errstr_set(errstr, errstr_size, "out of memory");
                goto done;
        }
        ret = 0;
done:
        free(partition_text);
        free(offset_text);
        free(key);
        return ret;
}

/** Fills the store from the parsed file document. */
static int offsets_load_document(file_offsets_t *store, json_object *doc,
                                 char *errstr, size_t errstr_size) {
        char reason[256];
        if (!json_object_is_type(doc, json_type_object)) {
                rdc_errstr_set(errstr, errstr_size,
                               "%s: corrupt offsets file: expected a JSON "
                               "object of connectors",
                               store->path);
                return -1;
        }
        json_object_object_foreach(doc, connector, entries) {
                if (!json_object_is_type(entries, json_type_array)) {
                        rdc_errstr_set(errstr, errstr_size,
                                       "%s: corrupt offsets file: connector "
                                       "\"%s\": expected an array of "
                                       "{\"partition\", \"offset\"} entries",
                                       store->path, connector);
                        return -1;
                }
                for (size_t i = 0; i < json_object_array_length(entries); i++) {
                        if (!offsets_load_entry(
                                    store, connector,
                                    json_object_array_get_idx(entries, i),
                                    reason, sizeof(reason)))
                                continue;
                        rdc_errstr_set(errstr, errstr_size,
                                       "%s: corrupt offsets file: connector "
                                       "\"%s\", entry %zu %s",
                                       store->path, connector, i + 1, reason);
                        return -1;
                }
        }
        return 0;
}

/** @returns 1 if text[0..len) is only JSON whitespace. */
static int offsets_is_blank(const char *text, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (!strchr(" \t\r\n", text[i]) || !text[i])
                        return 0;
        return 1;
}

/** @returns the newlines in text[0..len). */
static int offsets_count_lines(const char *text, size_t len) {
        int lines = 0;
        for (size_t i = 0; i < len; i++)
                lines += text[i] == '\n';
        return lines;
}

/**
 * @brief Reads the file through json-c's incremental tokener (the file
 *        is never held whole), then checks that only whitespace follows.
 *        A missing, empty or blank file is an empty store.
 */
static int offsets_load_file(file_offsets_t *store, char *errstr,
                             size_t errstr_size) {
        FILE *fp = fopen(store->path, "re");
        json_tokener *tok = NULL;
        json_object *doc = NULL;
        char chunk[65536];
        size_t got, end = 0;
        int line = 1, blank = 1, ret = -1;
        enum json_tokener_error jerr = json_tokener_continue;

        if (!fp) {
                if (errno == ENOENT)
                        return 0;
                rdc_errstr_set(errstr, errstr_size, "%s: cannot open: %s",
                               store->path, strerror(errno));
                return -1;
        }
        if (!(tok = json_tokener_new())) {
                rdc_errstr_set(errstr, errstr_size, "%s: out of memory",
                               store->path);
                goto done;
        }
        while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
                end = got;
                if (!doc) {
                        blank = blank && offsets_is_blank(chunk, got);
                        doc = json_tokener_parse_ex(tok, chunk, (int)got);
                        jerr = json_tokener_get_error(tok);
                        end = json_tokener_get_parse_end(tok);
                        if (jerr != json_tokener_success &&
                            jerr != json_tokener_continue)
                                goto syntax;
                }
                if (doc && !offsets_is_blank(chunk + end, got - end)) {
                        end += strspn(chunk + end, " \t\r\n");
                        jerr = json_tokener_error_parse_unexpected;
                        goto syntax;
                }
                line += offsets_count_lines(chunk, got);
        }
        if (ferror(fp)) {
                rdc_errstr_set(errstr, errstr_size, "%s: cannot read: %s",
                               store->path, strerror(errno));
                goto done;
        }
        if (!doc && blank) {
                ret = 0;
                goto done;
        }
        if (!doc) {
                rdc_errstr_set(errstr, errstr_size,
                               "%s:%d: corrupt offsets file: unexpected end "
                               "of file",
                               store->path, line);
                goto done;
        }
        ret = offsets_load_document(store, doc, errstr, errstr_size);
        goto done;
syntax:
        rdc_errstr_set(errstr, errstr_size, "%s:%d: corrupt offsets file: %s",
                       store->path, line + offsets_count_lines(chunk, end),
                       json_tokener_error_desc(jerr));
done:
        json_object_put(doc);
        if (tok)
                json_tokener_free(tok);
        fclose(fp);
        return ret;
}

rdc_offset_store_t *rdc_offset_store_file_open(const char *path, char *errstr,
                                               size_t errstr_size) {
        file_offsets_t *store = offsets_new(path);
        if (!store) {
                rdc_errstr_set(errstr, errstr_size, "%s: out of memory", path);
                return NULL;
        }
        if (offsets_load_file(store, errstr, errstr_size)) {
                fo_destroy(&store->base);
                return NULL;
        }
        return &store->base;
}

/* ------------------------------------------------------ Kafka topic */

/* A flush on its way: the user's done, and the store to settle. */
typedef struct kafka_flush {
        file_offsets_t *store;
        rdc_map_t *sent; /* key -> value sent ("" a tombstone) */
        uint64_t epoch;  /* the store's when sent */
        rdc_store_done_cb_t *done;
        void *opaque;
} kafka_flush_t;

/* On the topic log's reader thread. */
static void kafka_flush_done(void *opaque, int err, const char *errstr) {
        kafka_flush_t *kf = opaque;
        file_offsets_t *store = kf->store;
        pthread_mutex_lock(&store->lock);
        for (size_t i = 0; i < rdc_map_count(kf->sent); i++) {
                const char *key = rdc_map_key_at(kf->sent, i);
                const char *value = rdc_map_value_at(kf->sent, i);
                const char *flying = rdc_map_get(store->inflight, key);
                if (flying && !strcmp(flying, value))
                        rdc_map_unset(store->inflight, key);
                /* Not landed: send it again next time, unless a newer
                 * change is staged. */
                if (err && kf->epoch == store->epoch &&
                    !rdc_map_get(store->staged, key))
                        rdc_map_set(store->staged, key, value);
        }
        pthread_mutex_unlock(&store->lock);
        if (kf->done)
                kf->done(kf->opaque, err, errstr);
        rdc_map_destroy(kf->sent);
        free(kf);
}

static void kafka_flush(rdc_offset_store_t *base, rdc_store_done_cb_t *done,
                        void *opaque) {
        file_offsets_t *store = (file_offsets_t *)base;
        char errstr[512] = "out of memory";
        kafka_flush_t *kf = calloc(1, sizeof(*kf));
        rdc_map_t *fresh = rdc_map_new();
        if (!kf || !fresh) {
                free(kf);
                rdc_map_destroy(fresh);
                if (done)
                        done(opaque, -1, errstr);
                return;
        }
        pthread_mutex_lock(&store->lock);
        kf->sent = store->staged;
        kf->epoch = store->epoch;
        store->staged = fresh;
        size_t cnt = rdc_map_count(kf->sent);
        char **keys = calloc(cnt ? cnt : 1, sizeof(*keys));
        char **values = calloc(cnt ? cnt : 1, sizeof(*values));
        int err = !keys || !values;
        for (size_t i = 0; !err && i < cnt; i++) {
                const char *value = rdc_map_value_at(kf->sent, i);
                keys[i] = (char *)rdc_map_key_at(kf->sent, i);
                values[i] = *value ? (char *)value : NULL;
                err = rdc_map_set(store->inflight, keys[i], value);
        }
        pthread_mutex_unlock(&store->lock);
        kf->store = store;
        kf->done = done;
        kf->opaque = opaque;
        if (!err && cnt)
                err = rdc_topic_log_send(store->tl.log, keys, values, cnt,
                                         kafka_flush_done, kf, errstr,
                                         sizeof(errstr));
        free(keys);
        free(values);
        if (err || !cnt)
                kafka_flush_done(kf, err ? -1 : 0, err ? errstr : "");
}

/* The topic log's consume callback: records read back. */
static void kafka_consume(void *opaque, rd_kafka_message_t *const *msgs,
                          size_t cnt) {
        file_offsets_t *store = opaque;
        for (size_t i = 0; i < cnt; i++) {
                const rd_kafka_message_t *msg = msgs[i];
                char *connector = NULL, *partition = NULL, *canonical = NULL;
                char *key = NULL, *offset = NULL;
                char errstr[256];
                if (!msg->key || rdc_offset_record_key_decode(
                                         msg->key, msg->key_len, &connector,
                                         &partition, errstr, sizeof(errstr))) {
                        rdc_log(RDC_LOG_ERROR, "offsets", NULL,
                                "Discarding record at offset %" PRId64
                                " of the offsets topic: %s",
                                msg->offset, msg->key ? errstr : "no key");
                        continue;
                }
                if (msg->payload) {
                        char *text = strndup(msg->payload, msg->len);
                        offset = text ? rdc_json_canonical(text) : NULL;
                        free(text);
                }
                canonical = rdc_json_canonical(partition);
                key = canonical ? offsets_key(connector, canonical) : NULL;
                if (key && (offset || !msg->payload)) {
                        pthread_mutex_lock(&store->lock);
                        int mine = rdc_map_get(store->staged, key) ||
                                   rdc_map_get(store->inflight, key);
                        if (!mine)
                                rdc_map_set(store->entries, key, offset);
                        rdc_offsets_listener_t *listener = store->listener;
                        void *listener_opaque = store->listener_opaque;
                        pthread_mutex_unlock(&store->lock);
                        if (!mine && listener)
                                listener(listener_opaque, connector, canonical);
                } else if (key) {
                        rdc_log(RDC_LOG_ERROR, "offsets", connector,
                                "Discarding the offset of %s at offset "
                                "%" PRId64
                                " of the offsets topic: not a JSON object",
                                connector, msg->offset);
                }
                free(connector);
                free(partition);
                free(canonical);
                free(key);
                free(offset);
        }
}

static void kafka_abandon(rdc_offset_store_t *base) {
        file_offsets_t *store = (file_offsets_t *)base;
        rdc_map_t *staged = rdc_map_new(), *inflight = rdc_map_new();
        if (!staged || !inflight) {
                rdc_map_destroy(staged);
                rdc_map_destroy(inflight);
                return;
        }
        pthread_mutex_lock(&store->lock);
        size_t cnt =
                rdc_map_count(store->staged) + rdc_map_count(store->inflight);
        rdc_map_destroy(store->staged);
        rdc_map_destroy(store->inflight);
        store->staged = staged;
        store->inflight = inflight;
        store->epoch++;
        pthread_mutex_unlock(&store->lock);
        /* Their failures come back to kafka_flush_done, which now drops
         * them. */
        rdc_topic_log_purge(store->tl.log);
        if (cnt)
                rdc_log(RDC_LOG_WARN, "offsets", NULL,
                        "Dropped %zu record(s) not yet written to %s: this "
                        "worker lost its group membership and runs nothing "
                        "(the next owner of a task reads its records again "
                        "from the offset written before)",
                        cnt, store->tl.what);
}

static int kafka_sync(rdc_offset_store_t *base, int timeout_ms, char *errstr,
                      size_t errstr_size) {
        file_offsets_t *store = (file_offsets_t *)base;
        return rdc_topic_log_sync(store->tl.log, timeout_ms, errstr,
                                  errstr_size);
}

static const rdc_offset_store_ops_t kafka_offsets_ops = {
        .get = fo_get,
        .put = fo_put,
        .remove_connector = fo_remove_connector,
        .foreach = fo_foreach,
        .flush = kafka_flush,
        .set_listener = fo_set_listener,
        .sync = kafka_sync,
        .abandon = kafka_abandon,
        .destroy = fo_destroy,
};

rdc_offset_store_t *rdc_offset_store_kafka_open(rd_kafka_conf_t *producer_conf,
                                                rd_kafka_conf_t *consumer_conf,
                                                const char *topic,
                                                int timeout_ms, char *errstr,
                                                size_t errstr_size) {
        file_offsets_t *store = offsets_new(NULL);
        if (store) {
                store->base.ops = &kafka_offsets_ops;
                store->staged = rdc_map_new();
                store->inflight = rdc_map_new();
        }
        if (rdc_topic_log_owner_open(
                    store && store->staged && store->inflight ? &store->tl
                                                              : NULL,
                    producer_conf, consumer_conf, topic, "offsets",
                    kafka_consume, store, timeout_ms, errstr, errstr_size)) {
                fo_destroy(store ? &store->base : NULL);
                return NULL;
        }
        return &store->base;
}
