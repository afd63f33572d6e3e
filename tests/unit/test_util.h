/*
 * Helpers several unit tests share. Static inline: each test program
 * compiles its own copy. Include after <cmocka.h>.
 */
#ifndef RDC_TEST_UTIL_H
#define RDC_TEST_UTIL_H

#include <dlfcn.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/map.h"
#include "plugins/host.h"

/** Appends printf-style text to the string in buf (size bytes). */
__attribute__((format(printf, 3, 4))) static inline void
tu_appendf(char *buf, size_t size, const char *fmt, ...) {
        size_t len = strlen(buf);
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(buf + len, size - len, fmt, ap);
        va_end(ap);
}

static inline int tu_remove_entry(const char *path, const struct stat *st,
                                  int flag, struct FTW *ftw) {
        (void)st;
        (void)flag;
        (void)ftw;
        return remove(path);
}

/** rm -rf dir. */
static inline void tu_remove_tree(const char *dir) {
        nftw(dir, tu_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/** The connector of desc, created with an empty config, asks for one task
 *  when max_tasks (at most 8) are allowed. */
static inline void tu_assert_one_task(const rdcp_descriptor_t *desc,
                                      const rdcp_ctx_t *ctx,
                                      uint32_t max_tasks) {
        rdc_map_t *cfg = rdc_map_new();
        rdc_map_t *task_cfgs[8];
        char errstr[256] = "";
        uint32_t task_cnt = 0;
        void *conn = NULL;

        assert_true(max_tasks <= 8);
        for (uint32_t i = 0; i < max_tasks; i++)
                task_cfgs[i] = rdc_map_new();
        assert_int_equal(desc->connector->create(ctx, &rdc_host,
                                                 rdc_map_as_cconfig(cfg), &conn,
                                                 errstr, sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(desc->connector->task_configs(
                                 conn, max_tasks,
                                 (rdcp_config_t *const *)task_cfgs, &task_cnt,
                                 errstr, sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(task_cnt, 1);
        desc->connector->destroy(conn);
        for (uint32_t i = 0; i < max_tasks; i++)
                rdc_map_destroy(task_cfgs[i]);
        rdc_map_destroy(cfg);
}

/** dlopens the plugin file and returns its descriptor; *dl gets the
 *  handle to dlclose. */
static inline const rdcp_descriptor_t *tu_load_plugin(const char *path,
                                                      void **dl) {
        *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        assert_non_null(*dl);
        rdcp_entry_fn_t entry = (rdcp_entry_fn_t)dlsym(*dl, RDCP_ENTRY_SYMBOL);
        assert_non_null(entry);
        return entry();
}

#endif
