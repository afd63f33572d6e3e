/*
 * Keys of features rdconnect does not implement: refused, never ignored
 * (worker/unsupported.c has the tables and the reasons).
 */
#ifndef RDC_UNSUPPORTED_H
#define RDC_UNSUPPORTED_H

#include <stddef.h>
#include "core/configdef.h"
#include "core/map.h"

/** Refuses the connector keys of cfg that turn on a missing feature,
 *  except those handled(opaque, key) says were checked otherwise
 *  (handled may be NULL). @returns problems added to errs. */
size_t rdc_unsupported_check_connector(const rdc_map_t *cfg,
                                       int (*handled)(void *opaque,
                                                      const char *key),
                                       void *opaque, rdc_config_errors_t *errs);
/** The same for worker keys. */
size_t rdc_unsupported_check_worker(const rdc_map_t *cfg,
                                    rdc_config_errors_t *errs);
/** @returns 1 if key is a worker key of such a feature. */
int rdc_unsupported_is_worker_key(const char *key);

#endif
