/*
 * Shared by the fuzz targets of tests/fuzz: a worker good enough for
 * config validation and the REST server (config map and a registry over
 * the plugins of the fuzz build), and the abort-with-message used when a
 * target finds an input that breaks a documented guarantee.
 */
#ifndef RDC_FUZZ_COMMON_H
#define RDC_FUZZ_COMMON_H

#include <stddef.h>
#include "worker/worker.h"

/** A worker with `settings` ("key", "value", ..., NULL) as its config
 *  and a scanned registry over RDC_FUZZ_PLUGIN_DIR. Never freed: it
 *  lives as long as the fuzzing process. Aborts on failure. */
rdc_worker_t *rdc_fuzz_worker(const char *const *settings);

/** Reports a broken guarantee and aborts, which libFuzzer records as a
 *  crash with the input that caused it. */
void rdc_fuzz_fail(const char *fmt, ...)
        __attribute__((format(printf, 1, 2), noreturn));

#endif
