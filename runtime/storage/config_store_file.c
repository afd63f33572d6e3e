/*
 * The memory back end of the config store (see config_store.h),
 * optionally persisted to connector.configs.file (an rdconnect extension:
 * connectors created over REST in standalone mode survive a restart,
 * with their target state; Kafka's standalone worker forgets them).
 *
 * File format, written atomically (rdc_file_write_atomic) at each change
 * of a config or target state, before the change applies:
 *   {"<name>": {"config": {...}, "target_state": "RUNNING"}, ...}
 * Task configs are not written: each start regenerates them.
 */
#define _GNU_SOURCE
#include "storage/config_snapshot.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/log.h"

typedef rdc_config_node_t file_entry_t;

typedef struct file_store {
        rdc_config_store_t base;
        char *path;                 /* NULL: memory only */
        rdc_config_snapshot_t snap; /* entries in file order */
} file_store_t;

static file_entry_t *entry_find(file_store_t *st, const char *name) {
        return rdc_config_snapshot_find(&st->snap, name);
}

static json_object *config_json(const rdc_map_t *map) {
        json_object *obj = json_object_new_object();
        for (size_t i = 0; i < rdc_map_count(map); i++)
                json_object_object_add(
                        obj, rdc_map_key_at(map, i),
                        json_object_new_string(rdc_map_value_at(map, i)));
        return obj;
}

static void doc_add(json_object *doc, const char *name, const rdc_map_t *cfg,
                    rdc_target_t target) {
        json_object *entry = json_object_new_object();
        json_object_object_add(entry, "config", config_json(cfg));
        json_object_object_add(entry, "target_state",
                               json_object_new_string(rdc_target_name(target)));
        json_object_object_add(doc, name, entry);
}

/* Writes the file as it will be once the change applies: entry `name`
 * replaced by (cfg, target), or left out when cfg is NULL.
 * @returns 0 (also without a file), -1 with errstr. Lock held. */
static int file_save(file_store_t *st, const char *name, const rdc_map_t *cfg,
                     rdc_target_t target, char *errstr, size_t errstr_size) {
        if (!st->path)
                return 0;
        json_object *doc = json_object_new_object();
        int seen = 0;
        for (file_entry_t *fe = st->snap.entries; fe; fe = fe->next) {
                if (strcmp(fe->e.name, name)) {
                        doc_add(doc, fe->e.name, fe->e.config, fe->e.target);
                        continue;
                }
                seen = 1;
                if (cfg)
                        doc_add(doc, name, cfg, target);
        }
        if (!seen && cfg)
                doc_add(doc, name, cfg, target);
        const char *text = json_object_to_json_string_ext(
                doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        char why[1024];
        int ret = text ? rdc_file_write_atomic(st->path, text, why, sizeof(why))
                       : -1;
        if (!text)
                snprintf(why, sizeof(why), "out of memory");
        if (ret)
                snprintf(errstr, errstr_size,
                         "Cannot save connector configs to %s "
                         "(connector.configs.file): %s",
                         st->path, why);
        json_object_put(doc);
        return ret;
}

/* Ends a write: notifies the listener, then done, without the lock. */
static int finish(file_store_t *st, const char *name, int err,
                  const char *errstr, rdc_store_done_cb_t *done, void *opaque) {
        rdc_config_listener_t *listener = st->snap.listener;
        void *listener_opaque = st->snap.listener_opaque;
        pthread_mutex_unlock(&st->snap.lock);
        if (!err && listener)
                listener(listener_opaque, name);
        if (done)
                done(opaque, err, errstr);
        return 0;
}

static int fs_put_connector(rdc_config_store_t *store, const char *name,
                            const rdc_map_t *config, rdc_target_t target,
                            rdc_store_done_cb_t *done, void *opaque,
                            char *errstr, size_t errstr_size) {
        file_store_t *st = (file_store_t *)store;
        char why[1200] = "";
        rdc_map_t *copy = rdc_map_dup(config);
        if (!copy) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        pthread_mutex_lock(&st->snap.lock);
        file_entry_t *fe = entry_find(st, name);
        int err = file_save(st, name, config, target, why, sizeof(why));
        if (!err && !fe && !(fe = rdc_config_snapshot_add(&st->snap, name))) {
                snprintf(why, sizeof(why), "out of memory");
                err = -1;
        }
        if (err) {
                rdc_map_destroy(copy);
        } else {
                rdc_map_destroy(fe->e.config);
                fe->e.config = copy;
                fe->e.target = target;
                fe->e.config_version = ++st->snap.next_version;
        }
        return finish(st, name, err, why, done, opaque);
}

/* Takes the lock and finds name's entry. @returns the entry with the lock
 * held (finish() releases it), or NULL, unlocked, with "not found" in
 * errstr. */
static file_entry_t *entry_lock(file_store_t *st, const char *name,
                                char *errstr, size_t errstr_size) {
        pthread_mutex_lock(&st->snap.lock);
        file_entry_t *fe = entry_find(st, name);
        if (!fe) {
                pthread_mutex_unlock(&st->snap.lock);
                snprintf(errstr, errstr_size, "Connector %s not found", name);
        }
        return fe;
}

static int fs_put_target(rdc_config_store_t *store, const char *name,
                         rdc_target_t target, rdc_store_done_cb_t *done,
                         void *opaque, char *errstr, size_t errstr_size) {
        file_store_t *st = (file_store_t *)store;
        char why[1200] = "";
        file_entry_t *fe = entry_lock(st, name, errstr, errstr_size);
        if (!fe)
                return -1;
        int err = file_save(st, name, fe->e.config, target, why, sizeof(why));
        if (!err)
                fe->e.target = target;
        return finish(st, name, err, why, done, opaque);
}

static int fs_put_task_configs(rdc_config_store_t *store, const char *name,
                               rdc_map_t *const *cfgs, uint32_t cnt,
                               rdc_store_done_cb_t *done, void *opaque,
                               char *errstr, size_t errstr_size) {
        file_store_t *st = (file_store_t *)store;
        rdc_map_t **copy;
        if (rdc_task_cfgs_dup(cfgs, cnt, &copy)) {
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        file_entry_t *fe = entry_lock(st, name, errstr, errstr_size);
        if (!fe) {
                rdc_task_cfgs_free(copy, cnt);
                return -1;
        }
        rdc_config_snapshot_set_tasks(&st->snap, fe, copy, cnt);
        return finish(st, name, 0, "", done, opaque);
}

static int fs_remove(rdc_config_store_t *store, const char *name,
                     rdc_store_done_cb_t *done, void *opaque, char *errstr,
                     size_t errstr_size) {
        file_store_t *st = (file_store_t *)store;
        char why[1200] = "";
        file_entry_t *fe = entry_lock(st, name, errstr, errstr_size);
        if (!fe)
                return -1;
        int err =
                file_save(st, name, NULL, RDC_TARGET_STARTED, why, sizeof(why));
        if (!err)
                rdc_config_snapshot_unlink(&st->snap, fe);
        return finish(st, name, err, why, done, opaque);
}

static rdc_config_entry_t *fs_get(rdc_config_store_t *store, const char *name) {
        return rdc_config_snapshot_get(&((file_store_t *)store)->snap, name);
}

static size_t fs_names(rdc_config_store_t *store, char ***names) {
        return rdc_config_snapshot_names(&((file_store_t *)store)->snap, names);
}

static void fs_set_listener(rdc_config_store_t *store,
                            rdc_config_listener_t *cb, void *opaque) {
        rdc_config_snapshot_set_listener(&((file_store_t *)store)->snap, cb,
                                         opaque);
}

static void fs_destroy(rdc_config_store_t *store) {
        file_store_t *st = (file_store_t *)store;
        if (!st)
                return;
        rdc_config_snapshot_clear(&st->snap);
        free(st->path);
        free(st);
}

static const rdc_config_store_ops_t file_store_ops = {
        .put_connector = fs_put_connector,
        .put_target = fs_put_target,
        .put_task_configs = fs_put_task_configs,
        .remove = fs_remove,
        .get = fs_get,
        .names = fs_names,
        .set_listener = fs_set_listener,
        .destroy = fs_destroy,
};

static void load_entry(file_store_t *st, const char *name, json_object *obj) {
        json_object *cfg_json = NULL, *state = NULL;
        rdc_target_t target = RDC_TARGET_STARTED;
        if (!json_object_object_get_ex(obj, "config", &cfg_json) ||
            !json_object_is_type(cfg_json, json_type_object)) {
                rdc_log(RDC_LOG_ERROR, "herder", name,
                        "Ignoring entry %s of %s: no \"config\" object", name,
                        st->path);
                return;
        }
        json_object_object_get_ex(obj, "target_state", &state);
        if (state && rdc_target_parse(json_object_get_string(state), &target)) {
                rdc_log(RDC_LOG_WARN, "herder", name,
                        "Entry %s of %s: invalid target_state %s, using "
                        "RUNNING",
                        name, st->path, json_object_get_string(state));
                target = RDC_TARGET_STARTED;
        }
        rdc_map_t *cfg = rdc_map_new();
        json_object_object_foreach(cfg_json, key, val) {
                rdc_map_set(cfg, key, json_object_get_string(val));
        }
        file_entry_t *fe =
                cfg ? rdc_config_snapshot_add(&st->snap, name) : NULL;
        if (!fe) {
                rdc_map_destroy(cfg);
                return;
        }
        fe->e.config = cfg;
        fe->e.target = target;
        fe->e.config_version = ++st->snap.next_version;
}

static void file_load(file_store_t *st) {
        if (access(st->path, F_OK))
                return;
        json_object *doc = json_object_from_file(st->path);
        if (!json_object_is_type(doc, json_type_object)) {
                rdc_log(RDC_LOG_ERROR, "herder", NULL,
                        "Ignoring %s (connector.configs.file): not a JSON "
                        "object: %s",
                        st->path, json_util_get_last_err());
                json_object_put(doc);
                return;
        }
        json_object_object_foreach(doc, name, entry) {
                load_entry(st, name, entry);
        }
        json_object_put(doc);
        rdc_log(RDC_LOG_INFO, "herder", NULL, "Restored connectors from %s",
                st->path);
}

rdc_config_store_t *rdc_config_store_file_open(const char *path) {
        file_store_t *st = calloc(1, sizeof(*st));
        if (!st)
                return NULL;
        st->base.ops = &file_store_ops;
        st->base.origin = "memory";
        rdc_config_snapshot_init(&st->snap);
        if (path && *path) {
                if (!(st->path = strdup(path))) {
                        fs_destroy(&st->base);
                        return NULL;
                }
                st->base.origin = st->path;
                file_load(st);
        }
        return &st->base;
}
