/*
 * Helpers shared by the fuzz targets (see fuzz_common.h).
 */
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/log.h"
#include "core/map.h"
#include "plugins/registry.h"

void rdc_fuzz_fail(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fputs("fuzz: broken guarantee: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        abort();
}

rdc_worker_t *rdc_fuzz_worker(const char *const *settings) {
        rdc_worker_t *worker = calloc(1, sizeof(*worker));

        /* Plugin loading and REST access lines would drown the fuzzer's
         * own output. */
        rdc_log_set_level("root", RDC_LOG_ERROR);
        if (!worker || !(worker->config = rdc_map_new()))
                rdc_fuzz_fail("out of memory in setup");
        for (; settings && settings[0]; settings += 2)
                if (rdc_map_set(worker->config, settings[0], settings[1]))
                        rdc_fuzz_fail("out of memory in setup");
        worker->registry = rdc_registry_new(RDC_FUZZ_PLUGIN_DIR, NULL);
        if (!worker->registry || rdc_registry_scan(worker->registry) == 0)
                rdc_fuzz_fail("no plugins in %s", RDC_FUZZ_PLUGIN_DIR);
        return worker;
}
