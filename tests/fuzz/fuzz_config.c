/*
 * Fuzz target: connector and worker config validation.
 *  - runtime/configdef.c rdc_configdef_validate() over the framework's
 *    own tables (worker keys, connector keys), defaults applied;
 *  - runtime/worker.c rdc_connector_config_validate() with a registry
 *    over the plugins of the fuzz build, so the connector.class and
 *    converter lookups, the plugins' own tables and validate hooks run.
 *
 * Input: one "key=value" per line (split at the first '='; a line
 * without '=' is a key with an empty value).
 *
 * Checked: the count returned is the number of problems added, and every
 * problem names a key and says something; a valid config resolves to a
 * map that still holds every key given.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/configdef.h"
#include "fuzz_common.h"
#include "core/map.h"
#include "worker/worker.h"

static rdc_worker_t *g_worker;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        (void)argc;
        (void)argv;
        g_worker = rdc_fuzz_worker(NULL);
        return 0;
}

static rdc_map_t *parse_input(const uint8_t *data, size_t size) {
        rdc_map_t *map = rdc_map_new();
        char *text = malloc(size + 1), *line, *save = NULL;

        if (!map || !text)
                rdc_fuzz_fail("out of memory");
        memcpy(text, data, size);
        text[size] = '\0';
        for (line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');

                if (eq)
                        *eq = '\0';
                if (rdc_map_set(map, line, eq ? eq + 1 : ""))
                        rdc_fuzz_fail("out of memory");
        }
        free(text);
        return map;
}

static void check_errors(const char *what, size_t cnt,
                         const rdc_config_errors_t *errs) {
        size_t i;

        if (cnt != errs->cnt)
                rdc_fuzz_fail("%s: returned %zu problems, added %zu", what, cnt,
                              errs->cnt);
        for (i = 0; i < errs->cnt; i++)
                if (!errs->items[i].key || !errs->items[i].message ||
                    !*errs->items[i].message)
                        rdc_fuzz_fail("%s: problem %zu without key or "
                                      "message",
                                      what, i);
}

static void validate_table(const char *what, const rdcp_config_def_t *defs,
                           size_t def_cnt, const rdc_map_t *cfg) {
        rdc_config_errors_t errs = {0};
        rdc_map_t *copy = rdc_map_dup(cfg);
        size_t cnt;

        if (!copy)
                rdc_fuzz_fail("out of memory");
        cnt = rdc_configdef_validate(defs, def_cnt, sizeof(*defs), copy, 1,
                                     &errs);
        check_errors(what, cnt, &errs);
        rdc_config_errors_clear(&errs);
        rdc_map_destroy(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        rdc_map_t *cfg = parse_input(data, size), *resolved = NULL;
        rdc_config_errors_t errs = {0};
        const rdc_plugin_t *plugin = NULL;
        size_t cnt, i;

        validate_table("worker keys", rdc_worker_config_defs,
                       rdc_worker_config_def_cnt, cfg);
        validate_table("connector keys", rdc_connector_config_defs,
                       rdc_connector_config_def_cnt, cfg);
        validate_table("sink keys", rdc_sink_connector_config_defs,
                       rdc_sink_connector_config_def_cnt, cfg);
        validate_table("source keys", rdc_source_connector_config_defs,
                       rdc_source_connector_config_def_cnt, cfg);

        cnt = rdc_connector_config_validate(g_worker, cfg, &plugin, &resolved,
                                            &errs);
        check_errors("connector config", cnt, &errs);
        if (cnt == 0) {
                if (!resolved || !plugin)
                        rdc_fuzz_fail("valid config without resolved map or "
                                      "plugin");
                for (i = 0; i < rdc_map_count(cfg); i++)
                        if (!rdc_map_get(resolved, rdc_map_key_at(cfg, i)))
                                rdc_fuzz_fail("resolved config lost '%s'",
                                              rdc_map_key_at(cfg, i));
        } else if (resolved) {
                rdc_fuzz_fail("invalid config with a resolved map");
        }
        rdc_map_destroy(resolved);
        rdc_config_errors_clear(&errs);
        rdc_map_destroy(cfg);
        return 0;
}
