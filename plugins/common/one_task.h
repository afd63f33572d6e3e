/*
 * The connector side of plugins whose connector has no state of its own and
 * always runs one task: FileStreamSource (one file cannot be split between
 * readers) and FileStreamSink (see file_sink.c for why one task, not
 * tasks.max). Linked statically into each plugin; nothing here is exported.
 */
#ifndef RDC_ONE_TASK_H
#define RDC_ONE_TASK_H

#include <rdconnect/plugin.h>

/** create(): keeps only the host table. */
rdcp_err_t one_task_conn_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                                const rdcp_config_t *cfg, void **connp,
                                char *errstr, size_t errstr_size);

/** task_configs(): one task, whatever tasks.max says; its config is the
 *  connector's (the host copies it when the plugin adds nothing). */
rdcp_err_t one_task_conn_task_configs(void *conn, uint32_t max_tasks,
                                      rdcp_config_t *const *task_cfgs,
                                      uint32_t *task_cnt, char *errstr,
                                      size_t errstr_size);

/** destroy() matching one_task_conn_create(). */
void one_task_conn_destroy(void *conn);

/** The three members above, for a connector vtable initialiser. */
#define ONE_TASK_CONNECTOR_FUNCS                                               \
        .create = one_task_conn_create,                                        \
        .task_configs = one_task_conn_task_configs,                            \
        .destroy = one_task_conn_destroy

#endif
