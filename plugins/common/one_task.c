#include "one_task.h"

#include <stdio.h>

typedef struct one_task_conn {
        const rdcp_host_t *host;
} one_task_conn_t;

rdcp_err_t one_task_conn_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                                const rdcp_config_t *cfg, void **connp,
                                char *errstr, size_t errstr_size) {
        (void)ctx;
        (void)cfg;
        one_task_conn_t *conn = host->malloc(sizeof(*conn));
        if (!conn) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        conn->host = host;
        *connp = conn;
        return RDCP_OK;
}

rdcp_err_t one_task_conn_task_configs(void *conn, uint32_t max_tasks,
                                      rdcp_config_t *const *task_cfgs,
                                      uint32_t *task_cnt, char *errstr,
                                      size_t errstr_size) {
        (void)conn;
        (void)max_tasks;
        (void)task_cfgs;
        (void)errstr;
        (void)errstr_size;
        *task_cnt = 1;
        return RDCP_OK;
}

void one_task_conn_destroy(void *opaque) {
        one_task_conn_t *conn = opaque;
        conn->host->free(conn);
}
