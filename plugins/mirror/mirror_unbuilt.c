/*
 * mirror-checkpoint / mirror-heartbeat: Kafka's MirrorCheckpointConnector
 * and MirrorHeartbeatConnector are not built yet. Each is registered
 * under Kafka's class name so that a config naming it is refused with
 * that reason (validation fails on connector.class), never accepted and
 * left doing nothing. Compiled once per connector with MIRROR_UNBUILT
 * set to its short name.
 */
#include <rdconnect/plugin.h>

#include <stdio.h>

#define MU_STR2(x) #x
#define MU_STR(x)  MU_STR2(x)
#define MU_NAME    MU_STR(MIRROR_UNBUILT)
#define MU_REASON                                                              \
        MU_NAME " is not built in rdconnect yet: only "                        \
                "MirrorSourceConnector is (README, MirrorMaker)"

static uint32_t mu_validate(const rdcp_host_t *host, const rdcp_config_t *cfg,
                            void (*report)(void *opaque, const char *key,
                                           const char *message),
                            void *opaque) {
        (void)host;
        (void)cfg;
        report(opaque, "connector.class", MU_REASON);
        return 1;
}

static rdcp_err_t mu_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                            const rdcp_config_t *cfg, void **connp,
                            char *errstr, size_t errstr_size) {
        (void)ctx;
        (void)host;
        (void)cfg;
        *connp = NULL;
        snprintf(errstr, errstr_size, "%s", MU_REASON);
        return RDCP_ERR_CONFIG;
}

static rdcp_err_t mu_task_configs(void *conn, uint32_t max_tasks,
                                  rdcp_config_t *const *task_cfgs,
                                  uint32_t *task_cnt, char *errstr,
                                  size_t errstr_size) {
        (void)conn;
        (void)max_tasks;
        (void)task_cfgs;
        *task_cnt = 0;
        snprintf(errstr, errstr_size, "%s", MU_REASON);
        return RDCP_ERR_CONFIG;
}

static void mu_destroy(void *conn) {
        (void)conn;
}

static rdcp_err_t mu_task_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                                 const rdcp_config_t *cfg, void **taskp,
                                 char *errstr, size_t errstr_size) {
        return mu_create(ctx, host, cfg, taskp, errstr, errstr_size);
}

static rdcp_err_t mu_poll(void *task, const rdcp_source_record_t **records,
                          size_t *cnt, char *errstr, size_t errstr_size) {
        (void)task;
        *records = NULL;
        *cnt = 0;
        snprintf(errstr, errstr_size, "%s", MU_REASON);
        return RDCP_ERR_FATAL;
}

static const char *const mu_aliases[] = {MU_NAME, NULL};

static const rdcp_connector_vtable_t mu_connector = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        .create = mu_create,
        .task_configs = mu_task_configs,
        .destroy = mu_destroy,
        .validate = mu_validate,
};

static const rdcp_source_task_vtable_t mu_task = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = mu_task_create,
        .poll = mu_poll,
        .destroy = mu_destroy,
};

static const rdcp_descriptor_t mu_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_SOURCE,
        .class_name = "org.apache.kafka.connect.mirror." MU_NAME,
        .aliases = mu_aliases,
        .version = "0.0.0",
        .description = "Not built yet: refuses every config",
        .connector = &mu_connector,
        .source_task = &mu_task,
};

RDCP_PLUGIN_ENTRY(mu_descriptor)
