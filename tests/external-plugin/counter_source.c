/*
 * A minimal third-party rdconnect plugin, built out of tree against the
 * installed headers only (see build.sh and the README's "Writing a
 * plugin"). It is a source connector that sends "<message> <n>" for
 * n = 1..count to `topic`, then idles.
 *
 *   cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags
 *      rdconnect-plugin) counter_source.c -o counter-source.so
 */
#include <rdconnect/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 100

typedef struct counter_task {
        const rdcp_ctx_t *ctx;
        const rdcp_host_t *host;
        char topic[256];
        char message[256];
        int64_t next;  /* next number to send */
        int64_t count; /* last number to send */
        char lines[BATCH][300];
        char offset[64];
        rdcp_source_record_t records[BATCH];
} counter_task_t;

static const rdcp_schema_t string_schema = {.type = RDCP_SCHEMA_STRING};

/* Source partition of every record: one counter. */
static const char partition[] = "{\"counter\":\"main\"}";

/* -------------------------------------------------------- connector */

static rdcp_err_t conn_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                              const rdcp_config_t *cfg, void **connp,
                              char *errstr, size_t errstr_size) {
        (void)ctx, (void)host, (void)cfg, (void)errstr, (void)errstr_size;
        *connp = NULL; /* nothing to keep */
        return RDCP_OK;
}

/* One task: the host already copied the connector config into it. */
static rdcp_err_t conn_task_configs(void *conn, uint32_t max_tasks,
                                    rdcp_config_t *const *task_cfgs,
                                    uint32_t *task_cnt, char *errstr,
                                    size_t errstr_size) {
        (void)conn, (void)max_tasks, (void)task_cfgs, (void)errstr,
                (void)errstr_size;
        *task_cnt = 1;
        return RDCP_OK;
}

static void conn_destroy(void *conn) {
        (void)conn;
}

/* ------------------------------------------------------------- task */

static rdcp_err_t task_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                              const rdcp_config_t *cfg, void **taskp,
                              char *errstr, size_t errstr_size) {
        counter_task_t *t = host->malloc(sizeof(*t));
        char *stored = NULL;
        if (!t) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        memset(t, 0, sizeof(*t));
        t->ctx = ctx;
        t->host = host;
        /* Defaults are applied and types checked by the host. */
        snprintf(t->topic, sizeof(t->topic), "%s",
                 host->config_get(cfg, "topic"));
        snprintf(t->message, sizeof(t->message), "%s",
                 host->config_get(cfg, "message"));
        host->config_get_int64(cfg, "count", &t->count);
        t->next = 1;
        /* Resume after the last number Kafka acknowledged. */
        if (host->offset_read(ctx, partition, &stored) == RDCP_OK && stored) {
                const char *n = strstr(stored, "\"next\":");
                if (n)
                        t->next = strtoll(n + 7, NULL, 10);
                host->free(stored);
        }
        host->log(ctx, RDCP_LOG_INFO, "counting from %lld to %lld",
                  (long long)t->next, (long long)t->count);
        *taskp = t;
        return RDCP_OK;
}

static rdcp_err_t task_poll(void *task, const rdcp_source_record_t **records,
                            size_t *cnt, char *errstr, size_t errstr_size) {
        counter_task_t *t = task;
        size_t n = 0;
        (void)errstr, (void)errstr_size;
        while (n < BATCH && t->next <= t->count) {
                rdcp_source_record_t *r = &t->records[n];
                int len = snprintf(t->lines[n], sizeof(t->lines[n]), "%s %lld",
                                   t->message, (long long)t->next++);
                memset(r, 0, sizeof(*r));
                r->topic = t->topic;
                r->partition = -1;
                r->timestamp = -1;
                r->value.schema = &string_schema;
                r->value.kind = RDCP_DATA_STRING;
                r->value.u.bytes.ptr = t->lines[n];
                r->value.u.bytes.len = (size_t)len;
                r->source_partition = partition;
                n++;
        }
        if (n) {
                /* Only the batch's last record needs the offset. */
                snprintf(t->offset, sizeof(t->offset), "{\"next\":%lld}",
                         (long long)t->next);
                t->records[n - 1].source_offset = t->offset;
        } else {
                /* Done: idle without spinning; stop wakes us up. */
                t->host->wait(t->ctx, -1, 0, 1000);
        }
        *records = t->records;
        *cnt = n;
        return RDCP_OK;
}

static void task_destroy(void *task) {
        counter_task_t *t = task;
        t->host->free(t);
}

/* ------------------------------------------------------- descriptor */

static const rdcp_config_def_t config_defs[] = {
        {.name = "topic",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .documentation = "Topic to write to."},
        {.name = "count",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .default_value = "10",
         .flags = RDCP_CFGF_HAS_MIN,
         .min = 0,
         .documentation = "How many records to send."},
        {.name = "message",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "hello",
         .documentation = "Text before the number."},
};

static const rdcp_connector_vtable_t connector = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        .create = conn_create,
        .task_configs = conn_task_configs,
        .destroy = conn_destroy,
};

static const rdcp_source_task_vtable_t source_task = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = task_create,
        .poll = task_poll,
        .destroy = task_destroy,
};

static const char *const aliases[] = {"CounterSource", NULL};

static const rdcp_descriptor_t descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_SOURCE,
        .class_name = "com.example.CounterSourceConnector",
        .aliases = aliases,
        .version = "1.0.0",
        .description = "Sends numbered lines: an rdconnect plugin example",
        .config_defs = config_defs,
        .config_def_cnt = sizeof(config_defs) / sizeof(config_defs[0]),
        .connector = &connector,
        .source_task = &source_task,
};

RDCP_PLUGIN_ENTRY(descriptor)
