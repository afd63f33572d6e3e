/*
 * REST renderings of the plugin endpoints: the plugin list, a plugin's
 * config definitions (Kafka's ConfigKeyInfo) and config validation
 * (Kafka's ConfigInfos), all built from the descriptors' config tables
 * and the framework's connector keys (worker.h).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "core/configdef.h"
#include "plugins/registry.h"
#include "rest/rest_internal.h"

/* Kafka's plugin types, in the order Kafka lists them. */
static const struct {
        uint32_t type;
        const char *name;
} rest_plugin_types[] = {
        {RDCP_PLUGIN_SINK, "sink"},
        {RDCP_PLUGIN_SOURCE, "source"},
        {RDCP_PLUGIN_TRANSFORM, "transformation"},
        {RDCP_PLUGIN_PREDICATE, "predicate"},
        {RDCP_PLUGIN_CONVERTER, "converter"},
        {RDCP_PLUGIN_HEADER_CONVERTER, "header_converter"},
};

#define REST_PLUGIN_TYPE_CNT                                                   \
        (sizeof(rest_plugin_types) / sizeof(rest_plugin_types[0]))

/** One table of definitions: the stride is the declared struct size, which
 *  for a plugin may be larger than this host's. */
typedef struct rest_def_table {
        const rdcp_config_def_t *defs;
        size_t cnt;
        size_t size;
} rest_def_table_t;

/** Definitions in rendering order, without duplicate names. */
typedef struct rest_def_list {
        const rdcp_config_def_t **items;
        size_t cnt;
} rest_def_list_t;

static size_t rest_type_rank(uint32_t type) {
        size_t i;

        for (i = 0; i < REST_PLUGIN_TYPE_CNT; i++)
                if (rest_plugin_types[i].type == type)
                        return i;
        return REST_PLUGIN_TYPE_CNT;
}

static const char *rest_type_name(uint32_t type) {
        size_t rank = rest_type_rank(type);

        return rank < REST_PLUGIN_TYPE_CNT ? rest_plugin_types[rank].name
                                           : "unknown";
}

static int rest_is_connector(const rdc_plugin_t *plugin) {
        return plugin->desc->type == RDCP_PLUGIN_SOURCE ||
               plugin->desc->type == RDCP_PLUGIN_SINK;
}

/*
 * ---------------------------------------------------------------------
 * GET /connector-plugins
 * ---------------------------------------------------------------------
 */

/* One row of the listing: a converter that is a header converter too
 * (StringConverter) has two, as in Kafka. */
typedef struct rest_plugin_row {
        const rdcp_descriptor_t *desc;
        uint32_t type;
} rest_plugin_row_t;

static int rest_plugin_cmp(const void *a, const void *b) {
        const rest_plugin_row_t *pa = a;
        const rest_plugin_row_t *pb = b;
        size_t ra = rest_type_rank(pa->type);
        size_t rb = rest_type_rank(pb->type);

        if (ra != rb)
                return ra < rb ? -1 : 1;
        return strcmp(pa->desc->class_name, pb->desc->class_name);
}

/** @returns a malloc'ed snapshot of the registry's plugins, or NULL
 *  (*cnt = 0 and no error when there are none). */
static const rdc_plugin_t **rest_plugins_snapshot(rdc_registry_t *reg,
                                                  size_t *cnt, int *oom) {
        const rdc_plugin_t **plugins = NULL;
        size_t size = 0, total;

        *cnt = 0;
        *oom = 0;
        if (!reg)
                return NULL;
        /* Plugins may be added between two calls: retry until it fits. */
        while ((total = rdc_registry_list(reg, plugins, size)) > size) {
                const rdc_plugin_t **grown;

                size = total + 8;
                grown = realloc(plugins, size * sizeof(*plugins));
                if (!grown) {
                        free(plugins);
                        *oom = 1;
                        return NULL;
                }
                plugins = grown;
        }
        *cnt = total;
        return plugins;
}

int rdc_rest_plugins_list(rdc_worker_t *worker, int connectors_only,
                          json_object **out, char *errstr, size_t errstr_size) {
        const rdc_plugin_t **plugins;
        rest_plugin_row_t *rows;
        json_object *list;
        size_t cnt, row_cnt = 0, i;
        int oom;

        *out = NULL;
        plugins = rest_plugins_snapshot(worker->registry, &cnt, &oom);
        rows = calloc(2 * cnt + 1, sizeof(*rows));
        list = json_object_new_array();
        if (oom || !list || !rows) {
                free(plugins);
                free(rows);
                json_object_put(list);
                snprintf(errstr, errstr_size, "Out of memory");
                return MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
        for (i = 0; i < cnt; i++) {
                const rdcp_descriptor_t *desc = plugins[i]->desc;

                if (connectors_only && !rest_is_connector(plugins[i]))
                        continue;
                rows[row_cnt++] = (rest_plugin_row_t){desc, desc->type};
                if (desc->type == RDCP_PLUGIN_CONVERTER &&
                    rdc_plugin_is_header_converter(desc))
                        rows[row_cnt++] = (rest_plugin_row_t){
                                desc, RDCP_PLUGIN_HEADER_CONVERTER};
        }
        free(plugins);
        if (row_cnt > 1)
                qsort(rows, row_cnt, sizeof(*rows), rest_plugin_cmp);
        for (i = 0; i < row_cnt; i++) {
                const rdcp_descriptor_t *desc = rows[i].desc;
                json_object *info;

                info = json_object_new_object();
                if (!info)
                        continue;
                json_object_object_add(
                        info, "class",
                        json_object_new_string(desc->class_name));
                json_object_object_add(
                        info, "type",
                        json_object_new_string(rest_type_name(rows[i].type)));
                /* Kafka's placeholder for a plugin without a version. */
                json_object_object_add(
                        info, "version",
                        json_object_new_string(desc->version ? desc->version
                                                             : "undefined"));
                json_object_array_add(list, info);
        }
        free(rows);
        *out = list;
        return MHD_HTTP_OK;
}

/*
 * ---------------------------------------------------------------------
 * Definitions
 * ---------------------------------------------------------------------
 */

static const rdcp_config_def_t *rest_def_at(const rest_def_table_t *table,
                                            size_t i) {
        return (const rdcp_config_def_t *)((const char *)table->defs +
                                           i * table->size);
}

static const rdcp_config_def_t *rest_def_list_find(const rest_def_list_t *l,
                                                   const char *name) {
        size_t i;

        for (i = 0; i < l->cnt; i++)
                if (!strcmp(l->items[i]->name, name))
                        return l->items[i];
        return NULL;
}

/**
 * Builds the list of definitions from tables, in order; the first table
 * that defines a name wins.
 * @returns 0 or -1 on OOM.
 */
static int rest_def_list_build(rest_def_list_t *list,
                               const rest_def_table_t *tables,
                               size_t table_cnt) {
        size_t total = 0, t, i;

        for (t = 0; t < table_cnt; t++)
                total += tables[t].cnt;
        list->cnt = 0;
        list->items = calloc(total ? total : 1, sizeof(*list->items));
        if (!list->items)
                return -1;
        for (t = 0; t < table_cnt; t++) {
                for (i = 0; i < tables[t].cnt; i++) {
                        const rdcp_config_def_t *def =
                                rest_def_at(&tables[t], i);

                        if (!def->name || rest_def_list_find(list, def->name))
                                continue;
                        list->items[list->cnt++] = def;
                }
        }
        return 0;
}

static rest_def_table_t rest_plugin_table(const rdc_plugin_t *plugin) {
        rest_def_table_t table = {plugin->desc->config_defs,
                                  plugin->desc->config_def_cnt,
                                  plugin->desc->config_def_size};

        if (!table.defs || table.size == 0)
                table.cnt = 0;
        return table;
}

/** Kafka's framework tables of a connector type (common, then sink or
 *  source keys) into tables. @returns how many. */
static size_t rest_framework_tables(uint32_t type, rest_def_table_t *tables) {
        rdc_config_def_table_t framework[2];
        size_t cnt = rdc_connector_framework_tables(type, framework), i;

        for (i = 0; i < cnt; i++)
                tables[i] =
                        (rest_def_table_t){framework[i].defs, framework[i].cnt,
                                           sizeof(rdcp_config_def_t)};
        return cnt;
}

static json_object *rest_string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

/** Kafka's ConfigKeyInfo of def, under name; def NULL gives a minimal
 *  one. */
static json_object *rest_key_info(const rdcp_config_def_t *def,
                                  const char *name) {
        json_object *info = json_object_new_object();
        const char *dflt = def ? def->default_value : NULL;
        int order = def ? (int)def->order : -1;

        if (!info)
                return NULL;
        if (dflt && def->type == RDCP_CFG_PASSWORD)
                dflt = "[hidden]";
        /* Kafka's "no position" for keys outside any group. */
        if (def && !def->group && def->order == 0)
                order = -1;
        json_object_object_add(info, "name", json_object_new_string(name));
        json_object_object_add(
                info, "type",
                json_object_new_string(def ? rdc_configdef_type_name(def->type)
                                           : "STRING"));
        json_object_object_add(
                info, "required",
                json_object_new_boolean(def &&
                                        (def->flags & RDCP_CFGF_REQUIRED)));
        json_object_object_add(info, "default_value",
                               rest_string_or_null(dflt));
        json_object_object_add(
                info, "importance",
                json_object_new_string(
                        def ? rdc_configdef_importance_name(def->importance)
                            : "LOW"));
        json_object_object_add(
                info, "documentation",
                json_object_new_string(
                        def && def->documentation ? def->documentation : ""));
        json_object_object_add(info, "group",
                               rest_string_or_null(def ? def->group : NULL));
        json_object_object_add(info, "order", json_object_new_int(order));
        json_object_object_add(
                info, "width",
                json_object_new_string(rdc_connector_config_width(def, name)));
        json_object_object_add(
                info, "display_name",
                json_object_new_string(
                        def && def->display_name ? def->display_name : name));
        json_object_object_add(info, "dependents", json_object_new_array());
        return info;
}

/** Resolves a plugin named in a path; 404 with the registry's message. */
static const rdc_plugin_t *rest_resolve(rdc_worker_t *worker, const char *name,
                                        uint32_t type, int *status,
                                        char *errstr, size_t errstr_size) {
        const rdc_plugin_t *plugin = NULL;

        if (worker->registry)
                plugin = rdc_registry_find(worker->registry, name, type, errstr,
                                           errstr_size);
        else
                snprintf(errstr, errstr_size, "Unknown plugin %s.", name);
        *status = plugin ? MHD_HTTP_OK : MHD_HTTP_NOT_FOUND;
        return plugin;
}

int rdc_rest_plugin_config(rdc_worker_t *worker, const char *plugin_name,
                           json_object **out, char *errstr,
                           size_t errstr_size) {
        rest_def_table_t tables[3];
        rest_def_list_t list = {0};
        const rdc_plugin_t *plugin;
        json_object *body = NULL;
        size_t table_cnt = 1, i;
        int status;

        *out = NULL;
        plugin = rest_resolve(worker, plugin_name, 0, &status, errstr,
                              errstr_size);
        if (!plugin)
                return status;
        /* As Kafka: the plugin's keys first, then the framework's for
         * connectors; a key both define is the plugin's. */
        tables[0] = rest_plugin_table(plugin);
        if (rest_is_connector(plugin))
                table_cnt +=
                        rest_framework_tables(plugin->desc->type, tables + 1);
        if (rest_def_list_build(&list, tables, table_cnt) == -1)
                goto oom;
        body = json_object_new_array();
        if (!body)
                goto oom;
        for (i = 0; i < list.cnt; i++)
                json_object_array_add(body, rest_key_info(list.items[i],
                                                          list.items[i]->name));
        free(list.items);
        *out = body;
        return MHD_HTTP_OK;

oom:
        free(list.items);
        snprintf(errstr, errstr_size, "Out of memory");
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

/*
 * ---------------------------------------------------------------------
 * PUT /connector-plugins/{plugin}/config/validate
 * ---------------------------------------------------------------------
 */

/** Kafka's ConfigValueInfo of one key, with the errors reported on it
 *  (marked used in err_used). */
static json_object *rest_value_info(const rdcp_config_def_t *def,
                                    const char *name, const rdc_map_t *cfg,
                                    const rdc_config_errors_t *errs,
                                    char *err_used) {
        json_object *info = json_object_new_object();
        json_object *errors = json_object_new_array();
        json_object *recommended = json_object_new_array();
        const char *value = rdc_map_get(cfg, name);
        size_t i;

        if (!info || !errors || !recommended) {
                json_object_put(info);
                json_object_put(errors);
                json_object_put(recommended);
                return NULL;
        }
        /* Kafka shows the value validation used: the default when unset. */
        if (!value && def)
                value = def->default_value;
        if (value && def && def->type == RDCP_CFG_PASSWORD)
                value = "[hidden]";
        for (i = 0; i < errs->cnt; i++) {
                if (!errs->items[i].key || strcmp(errs->items[i].key, name))
                        continue;
                err_used[i] = 1;
                json_object_array_add(
                        errors,
                        json_object_new_string(errs->items[i].message
                                                       ? errs->items[i].message
                                                       : ""));
        }
        for (i = 0; def && def->valid_values && def->valid_values[i]; i++)
                json_object_array_add(
                        recommended,
                        json_object_new_string(def->valid_values[i]));
        json_object_object_add(info, "name", json_object_new_string(name));
        json_object_object_add(info, "value", rest_string_or_null(value));
        json_object_object_add(info, "recommended_values", recommended);
        json_object_object_add(info, "errors", errors);
        json_object_object_add(info, "visible", json_object_new_boolean(1));
        return info;
}

static int rest_add_config(json_object *configs, const rdcp_config_def_t *def,
                           const char *name, const rdc_map_t *cfg,
                           const rdc_config_errors_t *errs, char *err_used) {
        json_object *entry = json_object_new_object();
        /* As Kafka: a key no definition covers has a null definition. */
        json_object *definition = def ? rest_key_info(def, name) : NULL;
        json_object *value = rest_value_info(def, name, cfg, errs, err_used);

        if (!entry || (def && !definition) || !value) {
                json_object_put(entry);
                json_object_put(definition);
                json_object_put(value);
                return -1;
        }
        json_object_object_add(entry, "definition", definition);
        json_object_object_add(entry, "value", value);
        json_object_array_add(configs, entry);
        return 0;
}

/** Group names in order of first appearance, as Kafka lists them. */
static json_object *rest_groups(const rest_def_list_t *list) {
        json_object *groups = json_object_new_array();
        size_t i, j;

        for (i = 0; groups && i < list->cnt; i++) {
                const char *group = list->items[i]->group;
                int seen = 0;

                if (!group)
                        continue;
                for (j = 0; j < i && !seen; j++)
                        seen = list->items[j]->group &&
                               !strcmp(list->items[j]->group, group);
                if (!seen)
                        json_object_array_add(groups,
                                              json_object_new_string(group));
        }
        return groups;
}

/** Checks the body's connector.class against the path's plugin (Kafka
 *  refuses a mismatch) and fills it in when absent. */
static int rest_check_connector_class(rdc_worker_t *worker,
                                      const rdc_plugin_t *plugin,
                                      const char *plugin_name, rdc_map_t *cfg,
                                      int *status, char *errstr,
                                      size_t errstr_size) {
        const char *included = rdc_map_get(cfg, "connector.class");
        char ignored[512];

        if (!included) {
                if (rdc_map_set(cfg, "connector.class", plugin_name) == -1) {
                        snprintf(errstr, errstr_size, "Out of memory");
                        *status = MHD_HTTP_INTERNAL_SERVER_ERROR;
                        return -1;
                }
                return 0;
        }
        if (rdc_registry_find(worker->registry, included,
                              RDC_PLUGIN_ANY_CONNECTOR, ignored,
                              sizeof(ignored)) != plugin) {
                snprintf(errstr, errstr_size,
                         "Included connector type %s does not match request "
                         "type %s",
                         included, plugin_name);
                *status = MHD_HTTP_BAD_REQUEST;
                return -1;
        }
        return 0;
}

int rdc_rest_plugin_validate(rdc_worker_t *worker, const char *plugin_name,
                             rdc_map_t *cfg, json_object **out, char *errstr,
                             size_t errstr_size) {
        rdc_config_errors_t errs = {0};
        rdc_config_def_table_t aliases = {0};
        rest_def_table_t tables[4];
        rest_def_list_t list = {0};
        const rdc_plugin_t *plugin;
        json_object *body = NULL, *configs = NULL, *groups = NULL;
        char *err_used = NULL;
        size_t i, table_cnt;
        int status;

        *out = NULL;
        plugin = rest_resolve(worker, plugin_name, RDC_PLUGIN_ANY_CONNECTOR,
                              &status, errstr, errstr_size);
        if (!plugin)
                return status;
        if (rest_check_connector_class(worker, plugin, plugin_name, cfg,
                                       &status, errstr, errstr_size) == -1)
                return status;

        rdc_connector_config_validate(worker, cfg, NULL, NULL, &errs);

        /* As Kafka: the framework's keys first, then those of the
         * transformation and predicate aliases, then the plugin's. */
        table_cnt = rest_framework_tables(plugin->desc->type, tables);
        if (rdc_connector_alias_defs(cfg, &aliases) == -1)
                goto oom;
        tables[table_cnt++] = (rest_def_table_t){aliases.defs, aliases.cnt,
                                                 sizeof(rdcp_config_def_t)};
        tables[table_cnt++] = rest_plugin_table(plugin);
        if (rest_def_list_build(&list, tables, table_cnt) == -1)
                goto oom;
        err_used = calloc(errs.cnt + 1, 1);
        body = json_object_new_object();
        configs = json_object_new_array();
        groups = rest_groups(&list);
        if (!err_used || !body || !configs || !groups)
                goto oom;
        /* As Kafka's generateResult: the problems on keys no definition
         * covers first, then every definition in order. */
        for (i = 0; i < errs.cnt; i++)
                if (!err_used[i] &&
                    !rest_def_list_find(&list, errs.items[i].key
                                                       ? errs.items[i].key
                                                       : "") &&
                    rest_add_config(configs, NULL,
                                    errs.items[i].key ? errs.items[i].key : "",
                                    cfg, &errs, err_used) == -1)
                        goto oom;
        for (i = 0; i < list.cnt; i++)
                if (rest_add_config(configs, list.items[i], list.items[i]->name,
                                    cfg, &errs, err_used) == -1)
                        goto oom;

        json_object_object_add(
                body, "name", json_object_new_string(plugin->desc->class_name));
        json_object_object_add(body, "error_count",
                               json_object_new_int((int)errs.cnt));
        json_object_object_add(body, "groups", groups);
        json_object_object_add(body, "configs", configs);
        *out = body;
        status = MHD_HTTP_OK;
        goto done;

oom:
        json_object_put(body);
        json_object_put(configs);
        json_object_put(groups);
        snprintf(errstr, errstr_size, "Out of memory");
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
done:
        free(err_used);
        free(list.items);
        rdc_connector_alias_defs_free(&aliases);
        rdc_config_errors_clear(&errs);
        return status;
}
