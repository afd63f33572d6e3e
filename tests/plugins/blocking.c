/*
 * BlockingSource (com.example.test.BlockingSource, alias BlockingSource):
 * a source connector for tests, never installed, whose calls block the
 * way a plugin stuck in a network call does: they ignore stop and wake-up
 * and return only when a marker file is gone. Black-box tests use it to
 * show that the herder keeps answering while plugin code hangs.
 *
 * Config keys (each names a marker file; unset or absent file: no block):
 *   test.block.create.while.file        connector create()
 *   test.block.task.configs.while.file  connector task_configs()
 *   test.block.destroy.while.file       connector destroy()
 *   test.block.poll.while.file          task poll(), before each record
 *   test.block.stop.while.file          task destroy(), which the host
 *                                       calls as the task stops
 * Each task produces test.records records (default 5, -1: no end) to
 * `topic`, one per 50 ms, values "block-<task>-<seq>".
 */
#define _GNU_SOURCE /* strdup */
#include <time.h>
#include <unistd.h>

#include "test_plugin.h"

#define BLOCK_CREATE       "test.block.create.while.file"
#define BLOCK_TASK_CONFIGS "test.block.task.configs.while.file"
#define BLOCK_DESTROY      "test.block.destroy.while.file"
#define BLOCK_POLL         "test.block.poll.while.file"
#define BLOCK_STOP         "test.block.stop.while.file"

/* Sleeps while path names an existing file (path NULL or "": returns). */
static void block_while(const char *path) {
        const struct timespec pause = {.tv_sec = 0, .tv_nsec = 20000000};

        while (path && *path && access(path, F_OK) == 0)
                nanosleep(&pause, NULL);
}

static char *copy_key(const rdcp_host_t *host, const rdcp_config_t *cfg,
                      const char *key) {
        const char *value = host->config_get(cfg, key);

        return value && *value ? strdup(value) : NULL;
}

typedef struct block_conn {
        char *destroy_file;
        char *task_configs_file;
} block_conn_t;

static rdcp_err_t block_conn_create(const rdcp_ctx_t *ctx,
                                    const rdcp_host_t *host,
                                    const rdcp_config_t *cfg, void **connp,
                                    char *errstr, size_t errstr_size) {
        block_conn_t *conn;

        (void)ctx;
        *connp = NULL;
        block_while(host->config_get(cfg, BLOCK_CREATE));
        conn = calloc(1, sizeof(*conn));
        if (!conn) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        conn->destroy_file = copy_key(host, cfg, BLOCK_DESTROY);
        conn->task_configs_file = copy_key(host, cfg, BLOCK_TASK_CONFIGS);
        *connp = conn;
        return RDCP_OK;
}

static rdcp_err_t block_conn_task_configs(void *conn_ptr, uint32_t max_tasks,
                                          rdcp_config_t *const *task_cfgs,
                                          uint32_t *task_cnt, char *errstr,
                                          size_t errstr_size) {
        block_conn_t *conn = conn_ptr;

        block_while(conn->task_configs_file);
        return rdct_connector_task_configs(conn, max_tasks, task_cfgs, task_cnt,
                                           errstr, errstr_size);
}

static void block_conn_destroy(void *conn_ptr) {
        block_conn_t *conn = conn_ptr;

        if (!conn)
                return;
        block_while(conn->destroy_file);
        free(conn->destroy_file);
        free(conn->task_configs_file);
        free(conn);
}

typedef struct block_task {
        rdct_counter_t counter;
        char *topic;
        char *poll_file;
        char *stop_file;
        int64_t records; /* -1: no end */
} block_task_t;

static void block_task_destroy(void *task_ptr) {
        block_task_t *task = task_ptr;

        if (!task)
                return;
        block_while(task->stop_file);
        free(task->topic);
        free(task->poll_file);
        free(task->stop_file);
        free(task);
}

static rdcp_err_t block_task_create(const rdcp_ctx_t *ctx,
                                    const rdcp_host_t *host,
                                    const rdcp_config_t *cfg, void **taskp,
                                    char *errstr, size_t errstr_size) {
        block_task_t *task;
        rdcp_err_t err;

        *taskp = NULL;
        task = rdct_task_new(sizeof(*task), errstr, errstr_size);
        if (!task)
                return RDCP_ERR_NOMEM;
        rdct_counter_init(&task->counter, ctx, host);
        err = rdct_config_int64(host, cfg, "test.records", 5, &task->records,
                                errstr, errstr_size);
        if (err != RDCP_OK) {
                block_task_destroy(task);
                return err;
        }
        task->topic = copy_key(host, cfg, "topic");
        task->poll_file = copy_key(host, cfg, BLOCK_POLL);
        task->stop_file = copy_key(host, cfg, BLOCK_STOP);
        rdct_counter_resume(&task->counter);
        *taskp = task;
        return RDCP_OK;
}

static rdcp_err_t block_task_poll(void *task_ptr,
                                  const rdcp_source_record_t **records,
                                  size_t *cnt, char *errstr,
                                  size_t errstr_size) {
        block_task_t *task = task_ptr;

        (void)errstr;
        (void)errstr_size;
        rdct_counter_t *c = &task->counter;

        *records = &c->record;
        *cnt = 0;
        block_while(task->poll_file);
        if (!task->topic || (task->records >= 0 && c->next >= task->records)) {
                c->host->wait(c->ctx, -1, 0, 100);
                return RDCP_OK;
        }
        rdct_counter_fill(c, task->topic, "block", 0);
        *cnt = 1;
        c->host->wait(c->ctx, -1, 0, 50);
        return RDCP_OK;
}

static const rdcp_config_def_t block_source_config[] = {
        RDCT_CONFIG_TOPIC,
        {.name = "test.records",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .flags = RDCP_CFGF_HAS_MIN,
         .default_value = "5",
         .min = -1,
         .documentation = "Records each task produces (-1: no end)."},
        RDCT_CONFIG_STRING(BLOCK_CREATE,
                           "Connector create() blocks while this file exists."),
        RDCT_CONFIG_STRING(BLOCK_TASK_CONFIGS,
                           "Connector task_configs() "
                           "blocks while this file exists."),
        RDCT_CONFIG_STRING(
                BLOCK_DESTROY,
                "Connector destroy() blocks while this file exists."),
        RDCT_CONFIG_STRING(BLOCK_POLL,
                           "Task poll() blocks while this file exists."),
        RDCT_CONFIG_STRING(BLOCK_STOP, "Task destroy() (its stop) blocks while "
                                       "this file exists."),
};

static const rdcp_connector_vtable_t block_source_connector = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        .create = block_conn_create,
        .task_configs = block_conn_task_configs,
        .destroy = block_conn_destroy};

static const rdcp_source_task_vtable_t block_source_task = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = block_task_create,
        .poll = block_task_poll,
        .destroy = block_task_destroy};

RDCT_PLUGIN(block_source, RDCP_PLUGIN_SOURCE, source_task,
            "com.example.test.BlockingSource", "BlockingSource",
            "Test source: its calls block while marker files exist",
            block_source_config, block_source_connector, block_source_task)
