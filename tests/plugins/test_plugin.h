/*
 * Shared parts of the test-only plugins in tests/plugins (never installed).
 *
 * Two kinds of plugins live there:
 *  - broken ones, whose code must never run: the loader has to reject them
 *    from their descriptor alone. RDCT_INERT_SOURCE_PLUGIN() builds one
 *    with the single field under test set wrong.
 *  - working ones (TestSource, TestSink) that black-box tests use to make
 *    tasks fail on purpose: the failure injection ("test.fail.on",
 *    "test.fail.after") and the connector half are shared here.
 *
 * Everything is static inline so that each plugin compiles its own copy
 * and an unused helper costs no warning.
 */
#ifndef RDCT_TEST_PLUGIN_H
#define RDCT_TEST_PLUGIN_H

#include <inttypes.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include <rdconnect/plugin.h>

/** A zeroed task of size bytes, or NULL with "out of memory" in errstr. */
static inline void *rdct_task_new(size_t size, char *errstr,
                                  size_t errstr_size) {
        void *task = calloc(1, size);
        if (!task)
                snprintf(errstr, errstr_size, "out of memory");
        return task;
}

/* ------------------------------------------------------ inert plugins */

/* The functions of an inert plugin: they only report that they ran. */
static inline rdcp_err_t rdct_inert_create(const rdcp_ctx_t *ctx,
                                           const rdcp_host_t *host,
                                           const rdcp_config_t *cfg,
                                           void **statep, char *errstr,
                                           size_t errstr_size) {
        (void)ctx;
        (void)host;
        (void)cfg;
        *statep = NULL;
        snprintf(errstr, errstr_size, "an inert test plugin was run");
        return RDCP_ERR_FATAL;
}

static inline rdcp_err_t rdct_inert_task_configs(void *conn, uint32_t max_tasks,
                                                 rdcp_config_t *const *cfgs,
                                                 uint32_t *task_cnt,
                                                 char *errstr,
                                                 size_t errstr_size) {
        (void)conn;
        (void)max_tasks;
        (void)cfgs;
        *task_cnt = 0;
        snprintf(errstr, errstr_size, "an inert test plugin was run");
        return RDCP_ERR_FATAL;
}

static inline rdcp_err_t rdct_inert_poll(void *task,
                                         const rdcp_source_record_t **records,
                                         size_t *cnt, char *errstr,
                                         size_t errstr_size) {
        (void)task;
        *records = NULL;
        *cnt = 0;
        snprintf(errstr, errstr_size, "an inert test plugin was run");
        return RDCP_ERR_FATAL;
}

static inline void rdct_inert_destroy(void *state) {
        (void)state;
}

/**
 * Defines the descriptor and entry of a source plugin whose header fields
 * are given explicitly, so that each broken plugin states the one field
 * it gets wrong (designated-initializer overrides would trip
 * -Woverride-init).
 */
#define RDCT_INERT_SOURCE_PLUGIN(magic_, abi_major_, abi_minor_, size_,        \
                                 class_name_, task_vtable_size_)               \
        static const rdcp_connector_vtable_t rdct_inert_connector = {          \
                .struct_size = sizeof(rdcp_connector_vtable_t),                \
                .create = rdct_inert_create,                                   \
                .task_configs = rdct_inert_task_configs,                       \
                .destroy = rdct_inert_destroy};                                \
        static const rdcp_source_task_vtable_t rdct_inert_source_task = {      \
                .struct_size = (task_vtable_size_),                            \
                .create = rdct_inert_create,                                   \
                .poll = rdct_inert_poll,                                       \
                .destroy = rdct_inert_destroy};                                \
        static const rdcp_descriptor_t rdct_inert_descriptor = {               \
                .magic = (magic_),                                             \
                .abi_major = (abi_major_),                                     \
                .abi_minor = (abi_minor_),                                     \
                .struct_size = (size_),                                        \
                .type = RDCP_PLUGIN_SOURCE,                                    \
                .class_name = (class_name_),                                   \
                .version = "0.0.0-test",                                       \
                .description = "Broken test plugin: must be rejected",         \
                .config_def_size = sizeof(rdcp_config_def_t),                  \
                .source_record_size = sizeof(rdcp_source_record_t),            \
                .sink_record_size = sizeof(rdcp_sink_record_t),                \
                .header_size = sizeof(rdcp_header_t),                          \
                .topic_partition_size = sizeof(rdcp_topic_partition_t),        \
                .connector = &rdct_inert_connector,                            \
                .source_task = &rdct_inert_source_task};                       \
        RDCP_PLUGIN_ENTRY(rdct_inert_descriptor)

/* ------------------------------------------------- failure injection */

/** Where a working test plugin fails on purpose (config test.fail.on). */
typedef enum rdct_fail_point {
        RDCT_FAIL_NEVER = 0,
        RDCT_FAIL_CONNECTOR, /**< connector create */
        RDCT_FAIL_CREATE,    /**< task create */
        RDCT_FAIL_POLL,      /**< source task poll */
        RDCT_FAIL_PUT,       /**< sink task put */
        RDCT_FAIL_FLUSH      /**< sink task flush */
} rdct_fail_point_t;

/** @returns the config value naming point, or NULL past the last one. */
static inline const char *rdct_fail_point_name(int point) {
        static const char *const names[] = {"never", "connector", "create",
                                            "poll",  "put",       "flush"};

        if (point < 0 || (size_t)point >= sizeof(names) / sizeof(names[0]))
                return NULL;
        return names[point];
}

/** Counts the calls of the failing function. */
typedef struct rdct_failer {
        rdct_fail_point_t point;
        int64_t after; /**< calls that succeed before the failing one */
        int64_t calls;
        /** test.fail.while.file: poll()/put() fail while this file exists
         *  (owned copy, NULL when unset): a failure that clears when a test
         *  deletes the file. */
        char *while_file;
        /** test.fail.task: the only task id that fails (-1: every task). */
        int64_t task;
} rdct_failer_t;

/** A LONG config value, def when unset (the host normally applies the
 *  defaults; this keeps the plugin usable if it did not). */
static inline rdcp_err_t rdct_config_int64(const rdcp_host_t *host,
                                           const rdcp_config_t *cfg,
                                           const char *key, int64_t def,
                                           int64_t *out, char *errstr,
                                           size_t errstr_size) {
        if (!host->config_get(cfg, key)) {
                *out = def;
                return RDCP_OK;
        }
        if (host->config_get_int64(cfg, key, out) == RDCP_OK)
                return RDCP_OK;
        snprintf(errstr, errstr_size, "%s must be an integer, got \"%s\"", key,
                 host->config_get(cfg, key));
        return RDCP_ERR_CONFIG;
}

static inline rdcp_err_t rdct_failer_init(rdct_failer_t *failer,
                                          const rdcp_host_t *host,
                                          const rdcp_config_t *cfg,
                                          char *errstr, size_t errstr_size) {
        const char *point = host->config_get(cfg, "test.fail.on");
        const char *name;
        int i;

        const char *while_file = host->config_get(cfg, "test.fail.while.file");
        rdcp_err_t err;

        failer->point = RDCT_FAIL_NEVER;
        failer->calls = 0;
        failer->while_file = NULL;
        failer->task = -1;
        if (point) {
                for (i = 0; (name = rdct_fail_point_name(i)); i++)
                        if (!strcmp(point, name))
                                break;
                if (!name) {
                        snprintf(errstr, errstr_size,
                                 "test.fail.on: unknown value \"%s\"", point);
                        return RDCP_ERR_CONFIG;
                }
                failer->point = (rdct_fail_point_t)i;
        }
        err = rdct_config_int64(host, cfg, "test.fail.after", 0, &failer->after,
                                errstr, errstr_size);
        if (err == RDCP_OK)
                err = rdct_config_int64(host, cfg, "test.fail.task", -1,
                                        &failer->task, errstr, errstr_size);
        if (err == RDCP_OK && while_file && *while_file &&
            !(failer->while_file = malloc(strlen(while_file) + 1))) {
                snprintf(errstr, errstr_size, "out of memory");
                err = RDCP_ERR_NOMEM;
        }
        if (failer->while_file)
                memcpy(failer->while_file, while_file, strlen(while_file) + 1);
        return err;
}

/** Releases what rdct_failer_init() allocated (safe to call twice). */
static inline void rdct_failer_clear(rdct_failer_t *failer) {
        free(failer->while_file);
        failer->while_file = NULL;
}

/** test.fail.task: a task whose id is not the one named never fails on
 *  purpose. Tasks call this right after rdct_failer_init(). */
static inline void rdct_failer_for_task(rdct_failer_t *failer,
                                        int64_t task_id) {
        if (failer->task < 0 || failer->task == task_id)
                return;
        failer->point = RDCT_FAIL_NEVER;
        rdct_failer_clear(failer);
}

/**
 * test.fail.while.file: called on entry of poll() (sources) and put()
 * (sinks). @returns RDCP_ERR_FATAL with errstr set while the file exists.
 */
static inline rdcp_err_t rdct_failer_check_file(const rdct_failer_t *failer,
                                                const char *where, char *errstr,
                                                size_t errstr_size) {
        struct stat st;

        if (!failer->while_file || stat(failer->while_file, &st) != 0)
                return RDCP_OK;
        snprintf(errstr, errstr_size,
                 "injected failure in %s while file %s exists "
                 "(test.fail.while.file)",
                 where, failer->while_file);
        return RDCP_ERR_FATAL;
}

/**
 * Called on entry of every function that can fail on purpose.
 * create and connector fail on their first call (one per instance);
 * poll, put and flush after test.fail.after successful calls.
 * @returns RDCP_ERR_FATAL with errstr set when this call is the one.
 */
static inline rdcp_err_t rdct_failer_check(rdct_failer_t *failer,
                                           rdct_fail_point_t at, char *errstr,
                                           size_t errstr_size) {
        int once = at == RDCT_FAIL_CONNECTOR || at == RDCT_FAIL_CREATE;

        if (failer->point != at)
                return RDCP_OK;
        if (!once && failer->calls++ < failer->after)
                return RDCP_OK;
        if (once)
                snprintf(errstr, errstr_size,
                         "injected failure in %s (test.fail.on=%s)",
                         rdct_fail_point_name(at), rdct_fail_point_name(at));
        else
                snprintf(errstr, errstr_size,
                         "injected failure in %s after %" PRId64
                         " successful calls (test.fail.on=%s)",
                         rdct_fail_point_name(at), failer->after,
                         rdct_fail_point_name(at));
        return RDCP_ERR_FATAL;
}

/** The failure injection of a task as it is created: rdct_failer_init(),
 *  rdct_failer_for_task() and the check of the create point. */
static inline rdcp_err_t rdct_failer_start(rdct_failer_t *failer,
                                           const rdcp_host_t *host,
                                           const rdcp_config_t *cfg,
                                           int64_t task_id, char *errstr,
                                           size_t errstr_size) {
        rdcp_err_t err =
                rdct_failer_init(failer, host, cfg, errstr, errstr_size);
        rdct_failer_for_task(failer, task_id);
        if (err == RDCP_OK)
                err = rdct_failer_check(failer, RDCT_FAIL_CREATE, errstr,
                                        errstr_size);
        return err;
}

/** Config definitions every working test plugin has. */
#define RDCT_CONFIG_FAIL_WHILE_FILE                                            \
        {                                                                      \
                .name = "test.fail.while.file", .type = RDCP_CFG_STRING,       \
                .importance = RDCP_IMPORTANCE_LOW,                             \
                .documentation =                                               \
                        "poll() (source) or put() (sink) fails while this "    \
                        "file exists; delete it and the failure clears."       \
        }
#define RDCT_CONFIG_FAIL_TASK                                                  \
        {                                                                      \
                .name = "test.fail.task", .type = RDCP_CFG_LONG,               \
                .importance = RDCP_IMPORTANCE_LOW, .flags = RDCP_CFGF_HAS_MIN, \
                .default_value = "-1", .min = -1,                              \
                .documentation = "Only the task with this id fails on "        \
                                 "purpose (create, poll, put, flush, "         \
                                 "test.fail.while.file); -1: every task."      \
        }
#define RDCT_CONFIG_FAIL_ON(valid_values_)                                     \
        {                                                                      \
                .name = "test.fail.on", .type = RDCP_CFG_STRING,               \
                .importance = RDCP_IMPORTANCE_LOW, .default_value = "never",   \
                .documentation = "Where to fail on purpose.",                  \
                .valid_values = (valid_values_)                                \
        }
#define RDCT_CONFIG_FAIL_AFTER                                                 \
        {                                                                      \
                .name = "test.fail.after", .type = RDCP_CFG_LONG,              \
                .importance = RDCP_IMPORTANCE_LOW, .flags = RDCP_CFGF_HAS_MIN, \
                .default_value = "0",                                          \
                .documentation =                                               \
                        "Calls of the failing function (poll, put or "         \
                        "flush) that succeed before it fails.",                \
                .min = 0                                                       \
        }

/* ------------------------------------------------ the connector half */

/* TestSource and TestSink connectors only check for the injected failure
 * and hand every task a copy of their own config. */
static inline rdcp_err_t rdct_connector_create(const rdcp_ctx_t *ctx,
                                               const rdcp_host_t *host,
                                               const rdcp_config_t *cfg,
                                               void **connp, char *errstr,
                                               size_t errstr_size) {
        rdct_failer_t failer;
        rdcp_err_t err;

        *connp = NULL;
        err = rdct_failer_init(&failer, host, cfg, errstr, errstr_size);
        if (err == RDCP_OK)
                err = rdct_failer_check(&failer, RDCT_FAIL_CONNECTOR, errstr,
                                        errstr_size);
        rdct_failer_clear(&failer);
        if (err != RDCP_OK)
                return err;
        /* test.connector.echo.key = K: the connector writes the value of K
         * as it sees it into test.connector.echo.file. */
        const char *echo_key = host->config_get(cfg, "test.connector.echo.key");
        const char *echo_file =
                host->config_get(cfg, "test.connector.echo.file");
        if (echo_key && echo_file) {
                FILE *fp = fopen(echo_file, "w");
                if (fp) {
                        const char *seen = host->config_get(cfg, echo_key);
                        fputs(seen ? seen : "(unset)", fp);
                        fclose(fp);
                }
        }
        /* test.reconfigure.requests = N: asks for a task reconfiguration
         * N times in a row (the task configs do not change). */
        const char *requests =
                host->config_get(cfg, "test.reconfigure.requests");
        for (long i = requests ? strtol(requests, NULL, 10) : 0; i > 0; i--)
                host->request_reconfiguration(ctx);
        /* No per-connector state, but a NULL instance would read as
         * "not created" to a careful host. */
        *connp = malloc(1);
        if (!*connp) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        return RDCP_OK;
}

static inline rdcp_err_t
rdct_connector_task_configs(void *conn, uint32_t max_tasks,
                            rdcp_config_t *const *task_cfgs, uint32_t *task_cnt,
                            char *errstr, size_t errstr_size) {
        (void)conn;
        (void)task_cfgs;
        (void)errstr;
        (void)errstr_size;
        *task_cnt = max_tasks;
        return RDCP_OK;
}

static inline void rdct_connector_destroy(void *conn) {
        free(conn);
}

#define RDCT_CONNECTOR_VTABLE                                                  \
        {                                                                      \
                .struct_size = sizeof(rdcp_connector_vtable_t),                \
                .create = rdct_connector_create,                               \
                .task_configs = rdct_connector_task_configs,                   \
                .destroy = rdct_connector_destroy                              \
        }

/* ------------------------------------------- one record at a time */

/**
 * The record of sources that produce one numbered record per poll
 * (CrashSource, BlockingSource): record n has the value
 * "<prefix>-<task>-<n>", optionally the key "<task>-<n>", the source
 * partition {"task":<task>} and the source offset {"position":n+1}.
 */
typedef struct rdct_counter {
        const rdcp_ctx_t *ctx;
        const rdcp_host_t *host;
        int32_t task_id;
        int64_t next; /**< number of the next record */
        rdcp_source_record_t record;
        char key[48];
        char value[64];
        char partition[48];
        char offset[48];
} rdct_counter_t;

static inline void rdct_counter_init(rdct_counter_t *c, const rdcp_ctx_t *ctx,
                                     const rdcp_host_t *host) {
        c->ctx = ctx;
        c->host = host;
        c->task_id = host->ctx_task_id(ctx);
        c->next = 0;
        snprintf(c->partition, sizeof(c->partition), "{\"task\":%d}",
                 (int)c->task_id);
}

/** Continues after the last committed record, if any. */
static inline void rdct_counter_resume(rdct_counter_t *c) {
        char *stored = NULL;

        if (c->host->offset_read(c->ctx, c->partition, &stored) != RDCP_OK ||
            !stored)
                return;
        const char *pos = strstr(stored, "\"position\":");
        if (pos)
                c->next = strtoll(pos + 11, NULL, 10);
        c->host->free(stored);
}

/** Fills c->record with the next record to topic and counts it. */
static inline void rdct_counter_fill(rdct_counter_t *c, const char *topic,
                                     const char *prefix, int with_key) {
        memset(&c->record, 0, sizeof(c->record));
        if (with_key) {
                snprintf(c->key, sizeof(c->key), "%d-%" PRId64, (int)c->task_id,
                         c->next);
                c->record.key.kind = RDCP_DATA_STRING;
                c->record.key.u.bytes.ptr = c->key;
                c->record.key.u.bytes.len = strlen(c->key);
        }
        snprintf(c->value, sizeof(c->value), "%s-%d-%" PRId64, prefix,
                 (int)c->task_id, c->next);
        snprintf(c->offset, sizeof(c->offset), "{\"position\":%" PRId64 "}",
                 c->next + 1);
        c->record.topic = topic;
        c->record.partition = -1;
        c->record.timestamp = -1;
        c->record.value.kind = RDCP_DATA_STRING;
        c->record.value.u.bytes.ptr = c->value;
        c->record.value.u.bytes.len = strlen(c->value);
        c->record.source_partition = c->partition;
        c->record.source_offset = c->offset;
        c->next++;
}

/** A STRING key of low importance: the test plugins' file and switch
 *  keys. */
#define RDCT_CONFIG_STRING(key_, doc_)                                         \
        {                                                                      \
                .name = (key_), .type = RDCP_CFG_STRING,                       \
                .importance = RDCP_IMPORTANCE_LOW, .documentation = (doc_)     \
        }

/** The "topic" definition of the test sources. */
#define RDCT_CONFIG_TOPIC                                                      \
        {                                                                      \
                .name = "topic", .type = RDCP_CFG_STRING,                      \
                .importance = RDCP_IMPORTANCE_HIGH,                            \
                .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,             \
                .documentation = "Topic the records are written to."           \
        }

/**
 * Defines the aliases, the descriptor and the entry point of a working test
 * plugin. type_ is RDCP_PLUGIN_SOURCE or RDCP_PLUGIN_SINK and task_member_
 * the matching descriptor member (source_task or sink_task).
 */
#define RDCT_PLUGIN(name, type_, task_member_, class_name_, alias_,            \
                    description_, defs, connector_vtable, task_vtable)         \
        static const char *const name##_aliases[] = {alias_, NULL};            \
        static const rdcp_descriptor_t name##_descriptor = {                   \
                RDCP_DESCRIPTOR_HEADER,                                        \
                .type = type_,                                                 \
                .class_name = class_name_,                                     \
                .aliases = name##_aliases,                                     \
                .version = "1.0.0-test",                                       \
                .description = description_,                                   \
                .config_defs = defs,                                           \
                .config_def_cnt = sizeof(defs) / sizeof((defs)[0]),            \
                .connector = &(connector_vtable),                              \
                .task_member_ = &(task_vtable)};                               \
        RDCP_PLUGIN_ENTRY(name##_descriptor)

#endif /* RDCT_TEST_PLUGIN_H */
