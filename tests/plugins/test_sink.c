/*
 * TestSink (com.example.test.TestSink, alias TestDiscardSink): a sink
 * connector for tests, never installed. It counts and discards what it is
 * given.
 *
 * Failure injection: test.fail.on = connector (connector create), create
 * (task create), put, flush, or never (default); with put or flush, the
 * first `test.fail.after` calls of that function succeed and the next one
 * fails the task with RDCP_ERR_FATAL. test.fail.while.file = path: every
 * put() of records fails while that file exists. test.fail.task = id: only
 * that task fails on purpose (default -1: every task).
 * test.retry.while.file = path: every put() of records returns
 * RDCP_ERR_RETRIABLE while that file exists (a target that is down).
 *
 * test.record.file = path: each record taken by a successful put() is
 * appended there as a line "<topic> <partition> <offset>" (written before
 * put returns), so that a test can count what arrived and how often.
 *
 * Built with TEST_SINK_PRECOMMIT defined, the same source is TestPreCommit
 * Sink (com.example.test.TestPreCommitSink, precommit_sink.so), which has
 * the ABI 1.1 open, close and pre_commit: pre_commit flushes (as Kafka's
 * default preCommit) and then holds back test.precommit.hold records of
 * every partition (offset - hold, or -1 when that is not past 0);
 * test.events.file = path gets "open <topic> <partition>", "close <topic>
 * <partition>" and "precommit <topic> <partition> <offset> <returned>"
 * lines (flushed at once).
 */
#define _POSIX_C_SOURCE 200809L
#include "test_plugin.h"

#include <errno.h>
#include <unistd.h>

typedef struct test_sink_task {
        const rdcp_ctx_t *ctx;
        const rdcp_host_t *host;
        rdct_failer_t failer;
        uint64_t records_put;
        uint64_t records_flushed;
        char *retry_file;  /* test.retry.while.file, NULL when unset */
        FILE *record_file; /* test.record.file, NULL when unset */
        FILE *events_file; /* test.events.file (TestPreCommitSink) */
        int64_t hold;      /* test.precommit.hold */
} test_sink_task_t;

static void test_sink_task_destroy(void *task_ptr) {
        test_sink_task_t *task = task_ptr;

        if (!task)
                return;
        task->host->log(task->ctx, RDCP_LOG_INFO,
                        "TestSink task: %" PRIu64 " records put, %" PRIu64
                        " flushed",
                        task->records_put, task->records_flushed);
        rdct_failer_clear(&task->failer);
        if (task->record_file)
                fclose(task->record_file);
        if (task->events_file)
                fclose(task->events_file);
        free(task->retry_file);
        free(task);
}

static rdcp_err_t test_sink_task_files(test_sink_task_t *task,
                                       const rdcp_config_t *cfg, char *errstr,
                                       size_t errstr_size) {
        const char *retry =
                task->host->config_get(cfg, "test.retry.while.file");
        const char *record = task->host->config_get(cfg, "test.record.file");

        if (retry && *retry && !(task->retry_file = strdup(retry))) {
                snprintf(errstr, errstr_size, "out of memory");
                return RDCP_ERR_NOMEM;
        }
        if (record && *record && !(task->record_file = fopen(record, "a"))) {
                snprintf(errstr, errstr_size, "test.record.file %s: %s", record,
                         strerror(errno));
                return RDCP_ERR_CONFIG;
        }
        const char *events = task->host->config_get(cfg, "test.events.file");
        if (events && *events && !(task->events_file = fopen(events, "a"))) {
                snprintf(errstr, errstr_size, "test.events.file %s: %s", events,
                         strerror(errno));
                return RDCP_ERR_CONFIG;
        }
        return rdct_config_int64(task->host, cfg, "test.precommit.hold", 0,
                                 &task->hold, errstr, errstr_size);
}

static rdcp_err_t test_sink_task_create(const rdcp_ctx_t *ctx,
                                        const rdcp_host_t *host,
                                        const rdcp_config_t *cfg, void **taskp,
                                        char *errstr, size_t errstr_size) {
        test_sink_task_t *task;
        rdcp_err_t err;

        *taskp = NULL;
        task = rdct_task_new(sizeof(*task), errstr, errstr_size);
        if (!task)
                return RDCP_ERR_NOMEM;
        task->ctx = ctx;
        task->host = host;
        err = rdct_failer_start(&task->failer, host, cfg,
                                host->ctx_task_id(ctx), errstr, errstr_size);
        if (err == RDCP_OK)
                err = test_sink_task_files(task, cfg, errstr, errstr_size);
        if (err != RDCP_OK) {
                test_sink_task_destroy(task);
                return err;
        }
        *taskp = task;
        return RDCP_OK;
}

static rdcp_err_t test_sink_task_put(void *task_ptr,
                                     const rdcp_sink_record_t *records,
                                     size_t cnt, char *errstr,
                                     size_t errstr_size) {
        test_sink_task_t *task = task_ptr;
        rdcp_err_t err;

        err = rdct_failer_check(&task->failer, RDCT_FAIL_PUT, errstr,
                                errstr_size);
        if (err == RDCP_OK && cnt > 0)
                err = rdct_failer_check_file(&task->failer, "put", errstr,
                                             errstr_size);
        if (err != RDCP_OK)
                return err;
        if (cnt > 0 && task->retry_file &&
            access(task->retry_file, F_OK) == 0) {
                snprintf(errstr, errstr_size,
                         "injected retriable failure in put while file %s "
                         "exists (test.retry.while.file)",
                         task->retry_file);
                return RDCP_ERR_RETRIABLE;
        }
        if (task->record_file) {
                for (size_t i = 0; i < cnt; i++)
                        fprintf(task->record_file,
                                "%s %" PRId32 " %" PRId64 "\n",
                                records[i].topic, records[i].partition,
                                records[i].offset);
                if (fflush(task->record_file)) {
                        snprintf(errstr, errstr_size, "test.record.file: %s",
                                 strerror(errno));
                        return RDCP_ERR_FATAL;
                }
        }
        task->records_put += cnt;
        return RDCP_OK;
}

static rdcp_err_t test_sink_task_flush(void *task_ptr, char *errstr,
                                       size_t errstr_size) {
        test_sink_task_t *task = task_ptr;
        rdcp_err_t err;

        err = rdct_failer_check(&task->failer, RDCT_FAIL_FLUSH, errstr,
                                errstr_size);
        if (err != RDCP_OK)
                return err;
        task->records_flushed = task->records_put;
        return RDCP_OK;
}

#ifdef TEST_SINK_PRECOMMIT
static void test_sink_event(test_sink_task_t *task, const char *what,
                            const rdcp_topic_partition_t *parts, size_t cnt) {
        if (!task->events_file)
                return;
        for (size_t i = 0; i < cnt; i++)
                fprintf(task->events_file, "%s %s %" PRId32 "\n", what,
                        parts[i].topic, parts[i].partition);
        fflush(task->events_file);
}

static rdcp_err_t test_sink_task_open(void *task_ptr,
                                      const rdcp_topic_partition_t *parts,
                                      size_t cnt, char *errstr,
                                      size_t errstr_size) {
        (void)errstr;
        (void)errstr_size;
        test_sink_event(task_ptr, "open", parts, cnt);
        return RDCP_OK;
}

static void test_sink_task_close(void *task_ptr,
                                 const rdcp_topic_partition_t *parts,
                                 size_t cnt) {
        test_sink_event(task_ptr, "close", parts, cnt);
}

static rdcp_err_t test_sink_task_pre_commit(void *task_ptr,
                                            rdcp_topic_partition_t *offsets,
                                            size_t cnt, char *errstr,
                                            size_t errstr_size) {
        test_sink_task_t *task = task_ptr;
        rdcp_err_t err = test_sink_task_flush(task, errstr, errstr_size);
        if (err != RDCP_OK)
                return err;
        for (size_t i = 0; i < cnt; i++) {
                int64_t offset = offsets[i].offset;
                offsets[i].offset =
                        offset - task->hold > 0 ? offset - task->hold : -1;
                if (task->events_file)
                        fprintf(task->events_file,
                                "precommit %s %" PRId32 " %" PRId64 " %" PRId64
                                "\n",
                                offsets[i].topic, offsets[i].partition, offset,
                                offsets[i].offset);
        }
        if (task->events_file)
                fflush(task->events_file);
        return RDCP_OK;
}
#endif

static const char *const test_sink_fail_points[] = {
        "never", "connector", "create", "put", "flush", NULL};

static const rdcp_config_def_t test_sink_config[] = {
        RDCT_CONFIG_FAIL_ON(test_sink_fail_points),
        RDCT_CONFIG_FAIL_AFTER,
        RDCT_CONFIG_FAIL_WHILE_FILE,
        RDCT_CONFIG_FAIL_TASK,
        RDCT_CONFIG_STRING("test.retry.while.file",
                           "put() returns RETRIABLE while this file exists."),
        {.name = "test.record.file",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .documentation = "Appends \"<topic> <partition> <offset>\" per "
                          "record put."},
        RDCT_CONFIG_STRING("test.events.file",
                           "TestPreCommitSink: appends open, close and "
                           "precommit events."),
        {.name = "test.precommit.hold",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "0",
         .documentation = "TestPreCommitSink: records of each partition "
                          "that pre_commit holds back."},
};

static const rdcp_connector_vtable_t test_sink_connector =
        RDCT_CONNECTOR_VTABLE;

static const rdcp_sink_task_vtable_t test_sink_task = {
        .struct_size = sizeof(rdcp_sink_task_vtable_t),
        .create = test_sink_task_create,
        .put = test_sink_task_put,
        .flush = test_sink_task_flush,
        .destroy = test_sink_task_destroy,
#ifdef TEST_SINK_PRECOMMIT
        .open = test_sink_task_open,
        .close = test_sink_task_close,
        .pre_commit = test_sink_task_pre_commit,
#endif
};

#ifdef TEST_SINK_PRECOMMIT
#define TEST_SINK_CLASS "com.example.test.TestPreCommitSink"
#define TEST_SINK_ALIAS "TestPreCommitSink"
#else
#define TEST_SINK_CLASS "com.example.test.TestSink"
#define TEST_SINK_ALIAS "TestDiscardSink"
#endif

RDCT_PLUGIN(test_sink, RDCP_PLUGIN_SINK, sink_task, TEST_SINK_CLASS,
            TEST_SINK_ALIAS, "Test sink: discards records, can fail on purpose",
            test_sink_config, test_sink_connector, test_sink_task)
