#define _GNU_SOURCE
#include "storage/config_snapshot.h"

#include <stdlib.h>
#include <string.h>

static const char *const target_names[] = {
        [RDC_TARGET_STARTED] = "RUNNING",
        [RDC_TARGET_PAUSED] = "PAUSED",
        [RDC_TARGET_STOPPED] = "STOPPED",
};

const char *rdc_target_name(rdc_target_t target) {
        return target_names[target];
}

int rdc_target_parse(const char *text, rdc_target_t *target) {
        if (!text || !strcmp(text, "RUNNING"))
                *target = RDC_TARGET_STARTED;
        else if (!strcmp(text, "PAUSED"))
                *target = RDC_TARGET_PAUSED;
        else if (!strcmp(text, "STOPPED"))
                *target = RDC_TARGET_STOPPED;
        else
                return -1;
        return 0;
}

void rdc_task_cfgs_free(rdc_map_t **cfgs, uint32_t cnt) {
        for (uint32_t i = 0; cfgs && i < cnt; i++)
                rdc_map_destroy(cfgs[i]);
        free(cfgs);
}

int rdc_task_cfgs_dup(rdc_map_t *const *cfgs, uint32_t cnt, rdc_map_t ***out) {
        *out = NULL;
        if (!cnt)
                return 0;
        rdc_map_t **copy = calloc(cnt, sizeof(*copy));
        for (uint32_t i = 0; copy && i < cnt; i++) {
                if (!(copy[i] = rdc_map_dup(cfgs[i]))) {
                        rdc_task_cfgs_free(copy, cnt);
                        return -1;
                }
        }
        *out = copy;
        return copy ? 0 : -1;
}

void rdc_config_entry_free(rdc_config_entry_t *entry) {
        if (!entry)
                return;
        free(entry->name);
        rdc_map_destroy(entry->config);
        rdc_task_cfgs_free(entry->task_cfgs, entry->task_cnt);
        free(entry);
}

void rdc_config_snapshot_init(rdc_config_snapshot_t *snap) {
        memset(snap, 0, sizeof(*snap));
        pthread_mutex_init(&snap->lock, NULL);
}

void rdc_config_snapshot_clear(rdc_config_snapshot_t *snap) {
        while (snap->entries)
                rdc_config_snapshot_unlink(snap, snap->entries);
        pthread_mutex_destroy(&snap->lock);
}

rdc_config_node_t *rdc_config_snapshot_find(rdc_config_snapshot_t *snap,
                                            const char *name) {
        for (rdc_config_node_t *n = snap->entries; n; n = n->next)
                if (!strcmp(n->e.name, name))
                        return n;
        return NULL;
}

rdc_config_node_t *rdc_config_snapshot_add(rdc_config_snapshot_t *snap,
                                           const char *name) {
        rdc_config_node_t *node = rdc_config_snapshot_find(snap, name);
        if (node)
                return node;
        if (!(node = calloc(1, sizeof(*node))) ||
            !(node->e.name = strdup(name))) {
                free(node);
                return NULL;
        }
        rdc_config_node_t **pp = &snap->entries;
        while (*pp)
                pp = &(*pp)->next;
        *pp = node;
        return node;
}

void rdc_config_snapshot_unlink(rdc_config_snapshot_t *snap,
                                rdc_config_node_t *node) {
        for (rdc_config_node_t **pp = &snap->entries; *pp; pp = &(*pp)->next) {
                if (*pp == node) {
                        *pp = node->next;
                        break;
                }
        }
        free(node->e.name);
        rdc_map_destroy(node->e.config);
        rdc_task_cfgs_free(node->e.task_cfgs, node->e.task_cnt);
        free(node);
}

void rdc_config_snapshot_set_tasks(rdc_config_snapshot_t *snap,
                                   rdc_config_node_t *node, rdc_map_t **cfgs,
                                   uint32_t cnt) {
        rdc_task_cfgs_free(node->e.task_cfgs, node->e.task_cnt);
        node->e.task_cfgs = cfgs;
        node->e.task_cnt = cnt;
        node->e.task_version = ++snap->next_version;
}

rdc_config_entry_t *rdc_config_snapshot_get(rdc_config_snapshot_t *snap,
                                            const char *name) {
        rdc_config_entry_t *out = NULL;
        pthread_mutex_lock(&snap->lock);
        rdc_config_node_t *node = rdc_config_snapshot_find(snap, name);
        if (node && node->e.config && (out = calloc(1, sizeof(*out)))) {
                *out = node->e;
                out->name = strdup(node->e.name);
                out->config = rdc_map_dup(node->e.config);
                int bad = rdc_task_cfgs_dup(node->e.task_cfgs, node->e.task_cnt,
                                            &out->task_cfgs);
                if (bad || !out->name || !out->config) {
                        if (bad)
                                out->task_cnt = 0;
                        rdc_config_entry_free(out);
                        out = NULL;
                }
        }
        pthread_mutex_unlock(&snap->lock);
        return out;
}

size_t rdc_config_snapshot_names(rdc_config_snapshot_t *snap, char ***names) {
        size_t cnt = 0, i = 0;
        pthread_mutex_lock(&snap->lock);
        for (rdc_config_node_t *n = snap->entries; n; n = n->next)
                cnt++;
        char **out = calloc(cnt + 1, sizeof(*out));
        for (rdc_config_node_t *n = snap->entries; out && n; n = n->next)
                if (n->e.config && (out[i] = strdup(n->e.name)))
                        i++;
        pthread_mutex_unlock(&snap->lock);
        *names = out;
        return out ? i : 0;
}

void rdc_config_snapshot_set_listener(rdc_config_snapshot_t *snap,
                                      rdc_config_listener_t *cb, void *opaque) {
        pthread_mutex_lock(&snap->lock);
        snap->listener = cb;
        snap->listener_opaque = opaque;
        pthread_mutex_unlock(&snap->lock);
}
