/*
 * Helpers shared by the converter plugins (see conv_common.h).
 */
#include "conv_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *const conv_type_values[] = {"key", "value", "header", NULL};

void conv_verr(char *errstr, size_t errstr_size, const char *fmt, va_list ap) {
        if (errstr && errstr_size)
                vsnprintf(errstr, errstr_size, fmt, ap);
}

void conv_err(char *errstr, size_t errstr_size, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        conv_verr(errstr, errstr_size, fmt, ap);
        va_end(ap);
}

const char *conv_kind_name(uint32_t kind) {
        static const char *const names[] = {
                [RDCP_DATA_NULL] = "null",     [RDCP_DATA_BOOL] = "boolean",
                [RDCP_DATA_INT] = "integer",   [RDCP_DATA_FLOAT] = "float",
                [RDCP_DATA_STRING] = "string", [RDCP_DATA_BYTES] = "bytes",
                [RDCP_DATA_ARRAY] = "array",   [RDCP_DATA_MAP] = "map",
                [RDCP_DATA_STRUCT] = "struct",
        };
        if (kind < sizeof(names) / sizeof(names[0]) && names[kind])
                return names[kind];
        return "unknown kind";
}

const char *conv_schema_type_name(uint32_t type) {
        static const char *const names[] = {
                [RDCP_SCHEMA_INT8] = "INT8",
                [RDCP_SCHEMA_INT16] = "INT16",
                [RDCP_SCHEMA_INT32] = "INT32",
                [RDCP_SCHEMA_INT64] = "INT64",
                [RDCP_SCHEMA_FLOAT32] = "FLOAT32",
                [RDCP_SCHEMA_FLOAT64] = "FLOAT64",
                [RDCP_SCHEMA_BOOLEAN] = "BOOLEAN",
                [RDCP_SCHEMA_STRING] = "STRING",
                [RDCP_SCHEMA_BYTES] = "BYTES",
                [RDCP_SCHEMA_ARRAY] = "ARRAY",
                [RDCP_SCHEMA_MAP] = "MAP",
                [RDCP_SCHEMA_STRUCT] = "STRUCT",
        };
        if (type < sizeof(names) / sizeof(names[0]) && names[type])
                return names[type];
        return "UNKNOWN";
}

rdcp_err_t conv_cfg_bool(const rdcp_host_t *host, const rdcp_config_t *cfg,
                         const char *key, int dflt, int *out, char *errstr,
                         size_t errstr_size) {
        int32_t value;
        *out = dflt;
        if (!cfg || !host->config_get(cfg, key))
                return RDCP_OK;
        if (host->config_get_bool(cfg, key, &value) != RDCP_OK) {
                conv_err(errstr, errstr_size,
                         "Invalid value %s for configuration %s: Expected "
                         "value to be either true or false",
                         host->config_get(cfg, key), key);
                return RDCP_ERR_CONFIG;
        }
        *out = value != 0;
        return RDCP_OK;
}

rdcp_err_t conv_cfg_int(const rdcp_host_t *host, const rdcp_config_t *cfg,
                        const char *key, int64_t dflt, int64_t min, int64_t max,
                        int64_t *out, char *errstr, size_t errstr_size) {
        int64_t value;
        *out = dflt;
        if (!cfg || !host->config_get(cfg, key))
                return RDCP_OK;
        if (host->config_get_int64(cfg, key, &value) != RDCP_OK ||
            value < min || value > max) {
                conv_err(errstr, errstr_size,
                         "Invalid value %s for configuration %s: Expected an "
                         "integer between %lld and %lld",
                         host->config_get(cfg, key), key, (long long)min,
                         (long long)max);
                return RDCP_ERR_CONFIG;
        }
        *out = value;
        return RDCP_OK;
}

void *conv_state_new(const rdcp_host_t *host, size_t size) {
        void *state = host->malloc(size);
        if (state)
                memset(state, 0, size);
        return state;
}

rdcp_err_t conv_stateless_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                                 const rdcp_config_t *cfg, void **convp,
                                 char *errstr, size_t errstr_size) {
        (void)ctx;
        (void)cfg;
        (void)errstr;
        (void)errstr_size;
        /* The host table outlives the instance; nothing to allocate. */
        *convp = (void *)host;
        return RDCP_OK;
}

void conv_stateless_destroy(void *conv) {
        (void)conv;
}

void conv_raw_data(rdcp_data_t *out, const rdcp_schema_t *schema, uint32_t kind,
                   const void *ptr, size_t len) {
        memset(out, 0, sizeof(*out));
        out->schema = schema;
        if (!ptr)
                return;
        out->kind = kind;
        out->u.bytes.ptr = ptr;
        out->u.bytes.len = len;
}
