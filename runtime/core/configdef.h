/*
 * Config validation driven by rdcp_config_def_t tables: applies defaults,
 * checks required keys, types, ranges, valid values and custom validators.
 * Used for plugin configs (connector, converter) and for the worker's and
 * the framework's own keys (tables in worker.c).
 */
#ifndef RDC_CONFIGDEF_H
#define RDC_CONFIGDEF_H

#include <stddef.h>
#include <rdconnect/plugin.h>
#include "core/map.h"

/** One problem found: key and message (both owned by the result). */
typedef struct rdc_config_error {
        char *key;
        char *message;
} rdc_config_error_t;

typedef struct rdc_config_errors {
        rdc_config_error_t *items;
        size_t cnt;
        size_t size;
} rdc_config_errors_t;

/** Adds one problem (copies key and message). @returns 0 or -1 on OOM. */
int rdc_config_errors_add(rdc_config_errors_t *errs, const char *key,
                          const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
void rdc_config_errors_clear(rdc_config_errors_t *errs);
/** Joins all problems as "key: message; key: message" into buf. */
void rdc_config_errors_format(const rdc_config_errors_t *errs, char *buf,
                              size_t size);

/**
 * @brief Validates cfg against defs[0..def_cnt) and, if apply_defaults,
 *        sets every absent key that has a default. A required key that
 *        is empty or whitespace only counts as missing. Keys not in defs
 *        are ignored (they may belong to the framework or to prefixes).
 *        def_size is the plugin's sizeof(rdcp_config_def_t) (>= minor 0).
 * @returns the number of problems appended to errs.
 */
size_t rdc_configdef_validate(const rdcp_config_def_t *defs, size_t def_cnt,
                              size_t def_size, rdc_map_t *cfg,
                              int apply_defaults, rdc_config_errors_t *errs);

/** Checks one value against one definition. @returns 0 or -1 with the
 *  reason (no key name in it) in errstr. */
int rdc_configdef_check_value(const rdcp_config_def_t *def, const char *value,
                              char *errstr, size_t errstr_size);

/** Parsers shared with the host's typed getters. @returns 0 or -1. */
int rdc_config_parse_int64(const char *value, int64_t *out);
int rdc_config_parse_bool(const char *value, int *out);
int rdc_config_parse_double(const char *value, double *out);

/** Definition lookup by name; def_size as above. */
const rdcp_config_def_t *rdc_configdef_find(const rdcp_config_def_t *defs,
                                            size_t def_cnt, size_t def_size,
                                            const char *name);
/** Type name as Kafka prints it: "STRING", "INT", "LONG", ... */
const char *rdc_configdef_type_name(uint32_t type);
/** "HIGH", "MEDIUM", "LOW". */
const char *rdc_configdef_importance_name(uint32_t importance);

/** @returns 1 if value is absent, empty or whitespace only (Kafka trims
 *  values, so such a value is "not set"). */
int rdc_config_blank(const char *value);

#endif
