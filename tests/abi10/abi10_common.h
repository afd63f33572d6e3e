/*
 * Shared parts of the ABI 1.0 test plugins (tests/abi10): built against
 * the 1.0 copy of plugin.h only. The connector half hands each task a copy
 * of the connector config.
 */
#ifndef ABI10_COMMON_H
#define ABI10_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdconnect/plugin.h>

#if RDCP_ABI_MINOR != 0
#error "tests/abi10 must build against the ABI 1.0 header"
#endif

static inline rdcp_err_t abi10_conn_create(const rdcp_ctx_t *ctx,
                                           const rdcp_host_t *host,
                                           const rdcp_config_t *cfg,
                                           void **connp, char *errstr,
                                           size_t errstr_size) {
        (void)ctx;
        (void)host;
        (void)cfg;
        *connp = malloc(1);
        if (!*connp) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        return RDCP_OK;
}

static inline rdcp_err_t abi10_conn_task_configs(void *conn, uint32_t max,
                                                 rdcp_config_t *const *cfgs,
                                                 uint32_t *cnt, char *errstr,
                                                 size_t errstr_size) {
        (void)conn;
        (void)cfgs;
        (void)errstr;
        (void)errstr_size;
        *cnt = max;
        return RDCP_OK;
}

static inline void abi10_conn_destroy(void *conn) {
        free(conn);
}

static const rdcp_connector_vtable_t abi10_connector = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        .create = abi10_conn_create,
        .task_configs = abi10_conn_task_configs,
        .destroy = abi10_conn_destroy};

#endif
