/*
 * TestSource (com.example.test.TestSource, alias TestSource): a source
 * connector for tests, never installed.
 *
 * Each task writes `test.records` records (default 10) to `topic`, at most
 * `test.batch.size` per poll(), then idles. Record seq (0-based) of task T
 * has key "T-seq" and value "record-T-seq", both schemaless strings, no
 * partition (the producer picks), source partition {"task":T} and source
 * offset {"position":seq+1}. A restarted task resumes after the last
 * committed offset, so a graceful restart produces no duplicates.
 *
 * Failure injection: test.fail.on = connector (connector create), create
 * (task create), poll, or never (default); with poll, the first
 * `test.fail.after` poll() calls succeed (idle ones included) and the next
 * one fails the task with RDCP_ERR_FATAL. test.fail.while.file = path:
 * every poll() fails while that file exists (delete it and the next task
 * started runs: a transient failure). test.fail.task = id: only that task
 * fails on purpose (default -1: every task).
 *
 * test.source.partitions = N (default 1) spreads the records of a task
 * over N source partitions {"task":T,"part":k}, k = seq % N (N = 1 keeps
 * {"task":T}); a restarted task resumes after the highest stored
 * position. test.hang.poll.while.file = path: poll() blocks, deaf to stop
 * requests, while that file exists (a plugin stuck in a call). A task
 * that is created while another instance of the same connector and task
 * id is still alive fails its create with "second live instance": the
 * runtime must never run two.
 *
 * test.ack.file = path: the task appends what the host acknowledged
 * (ABI 1.1): commit_record writes "ack <seq> <topic> <partition> <offset>
 * <timestamp>" or "ack <seq> null" (a skipped record); commit() writes
 * "commit <position>", the highest stored position of the task's
 * partitions as offset_read() sees it then. The file is flushed at each
 * commit() and at destroy.
 *
 * test.headers = true: each record has four headers (ABI 1.1): "seq"
 * (typed INT64 seq), "name" (typed STRING "n-seq"), "even" (typed
 * BOOLEAN) and "raw" (raw bytes "r-seq", not converted).
 */
#define _POSIX_C_SOURCE 200809L /* strdup, nanosleep */
#include "test_plugin.h"

#include <pthread.h>
#include <time.h>

#define TEST_SOURCE_MAX_BATCH 10000
#define TEST_SOURCE_MAX_LIVE  4096

/* Every live task instance of this process, to catch a second one. */
static pthread_mutex_t test_source_live_lock = PTHREAD_MUTEX_INITIALIZER;
static char *test_source_live[TEST_SOURCE_MAX_LIVE]; /* "connector/task" */

/* Registers name as live. @returns 0, or -1 if it already is. */
static int test_source_live_add(const char *name) {
        int ret = 0;
        size_t free_slot = TEST_SOURCE_MAX_LIVE;
        pthread_mutex_lock(&test_source_live_lock);
        for (size_t i = 0; i < TEST_SOURCE_MAX_LIVE; i++) {
                if (!test_source_live[i]) {
                        if (free_slot == TEST_SOURCE_MAX_LIVE)
                                free_slot = i;
                } else if (!strcmp(test_source_live[i], name)) {
                        ret = -1;
                }
        }
        if (!ret && free_slot < TEST_SOURCE_MAX_LIVE)
                test_source_live[free_slot] = strdup(name);
        pthread_mutex_unlock(&test_source_live_lock);
        return ret;
}

static void test_source_live_remove(const char *name) {
        pthread_mutex_lock(&test_source_live_lock);
        for (size_t i = 0; i < TEST_SOURCE_MAX_LIVE; i++) {
                if (test_source_live[i] && !strcmp(test_source_live[i], name)) {
                        free(test_source_live[i]);
                        test_source_live[i] = NULL;
                        break;
                }
        }
        pthread_mutex_unlock(&test_source_live_lock);
}

/* One record of the current batch and the text it points to. */
typedef struct test_source_slot {
        char key[48];
        char value[64];
        char offset[48];
        char partition[64];
        char name[48], raw[48];
        rdcp_header_t headers[4];
} test_source_slot_t;

typedef struct test_source_task {
        const rdcp_ctx_t *ctx;
        const rdcp_host_t *host;
        char *topic;
        char partition[48]; /* {"task":T} */
        int32_t task_id;
        int64_t next;  /* seq of the next record */
        int64_t total; /* test.records */
        int64_t batch_size;
        int64_t partitions; /* test.source.partitions */
        char *hang_file;    /* test.hang.poll.while.file */
        FILE *ack_file;     /* test.ack.file */
        int32_t headers;    /* test.headers */
        char live_name[300];
        int live;
        rdct_failer_t failer;
        rdcp_source_record_t *records; /* batch_size of them */
        test_source_slot_t *slots;     /* backing text of records */
} test_source_task_t;

static void test_source_task_destroy(void *task_ptr) {
        test_source_task_t *task = task_ptr;

        if (!task)
                return;
        rdct_failer_clear(&task->failer);
        if (task->ack_file)
                fclose(task->ack_file);
        if (task->live)
                test_source_live_remove(task->live_name);
        free(task->hang_file);
        free(task->topic);
        free(task->records);
        free(task->slots);
        free(task);
}

static void test_source_partition(const test_source_task_t *task, int64_t k,
                                  char *out, size_t size) {
        if (task->partitions <= 1)
                snprintf(out, size, "%s", task->partition);
        else
                snprintf(out, size, "{\"task\":%d,\"part\":%" PRId64 "}",
                         (int)task->task_id, k);
}

/* The highest stored position of this task's partitions (0: none). */
static rdcp_err_t test_source_position(test_source_task_t *task, int64_t *out,
                                       char *errstr, size_t errstr_size) {
        *out = 0;
        for (int64_t k = 0; k < task->partitions; k++) {
                char partition[64];
                char *offset = NULL;
                const char *position;
                test_source_partition(task, k, partition, sizeof(partition));
                rdcp_err_t err =
                        task->host->offset_read(task->ctx, partition, &offset);
                if (err != RDCP_OK) {
                        snprintf(errstr, errstr_size,
                                 "cannot read the offset of %s", partition);
                        return err;
                }
                if (!offset)
                        continue;
                position = strstr(offset, "\"position\":");
                if (position) {
                        int64_t next = strtoll(
                                position + strlen("\"position\":"), NULL, 10);
                        if (next > *out)
                                *out = next;
                }
                task->host->free(offset);
        }
        return RDCP_OK;
}

/* Continues after the highest committed offset of this task's
 * partitions. */
static rdcp_err_t test_source_resume(test_source_task_t *task, char *errstr,
                                     size_t errstr_size) {
        int64_t next;
        rdcp_err_t err = test_source_position(task, &next, errstr, errstr_size);
        if (err == RDCP_OK && next > task->next)
                task->next = next;
        return err;
}

static void test_source_task_commit_record(void *task_ptr, void *ack_opaque,
                                           const rdcp_record_metadata_t *md) {
        test_source_task_t *task = task_ptr;
        int64_t seq = (int64_t)(intptr_t)ack_opaque - 1;
        if (!task->ack_file)
                return;
        if (md)
                fprintf(task->ack_file,
                        "ack %" PRId64 " %s %d %" PRId64 " %" PRId64 "\n", seq,
                        md->topic, (int)md->partition, md->offset,
                        md->timestamp);
        else
                fprintf(task->ack_file, "ack %" PRId64 " null\n", seq);
}

static void test_source_task_commit(void *task_ptr) {
        test_source_task_t *task = task_ptr;
        char errstr[256];
        int64_t position;
        if (!task->ack_file)
                return;
        if (test_source_position(task, &position, errstr, sizeof(errstr)) ==
            RDCP_OK)
                fprintf(task->ack_file, "commit %" PRId64 "\n", position);
        fflush(task->ack_file);
}

static rdcp_err_t test_source_task_create(const rdcp_ctx_t *ctx,
                                          const rdcp_host_t *host,
                                          const rdcp_config_t *cfg,
                                          void **taskp, char *errstr,
                                          size_t errstr_size) {
        test_source_task_t *task;
        const char *topic = host->config_get(cfg, "topic");
        rdcp_err_t err;

        *taskp = NULL;
        task = rdct_task_new(sizeof(*task), errstr, errstr_size);
        if (!task)
                return RDCP_ERR_NOMEM;
        task->ctx = ctx;
        task->host = host;
        task->task_id = host->ctx_task_id(ctx);
        snprintf(task->partition, sizeof(task->partition), "{\"task\":%d}",
                 (int)task->task_id);

        err = rdct_failer_start(&task->failer, host, cfg, task->task_id, errstr,
                                errstr_size);
        if (err == RDCP_OK)
                err = rdct_config_int64(host, cfg, "test.records", 10,
                                        &task->total, errstr, errstr_size);
        if (err == RDCP_OK)
                err = rdct_config_int64(host, cfg, "test.batch.size", 10,
                                        &task->batch_size, errstr, errstr_size);
        if (err == RDCP_OK)
                err = rdct_config_int64(host, cfg, "test.source.partitions", 1,
                                        &task->partitions, errstr, errstr_size);
        if (err != RDCP_OK)
                goto fail;
        snprintf(task->live_name, sizeof(task->live_name), "%s/%d",
                 host->ctx_connector(ctx), (int)task->task_id);
        if (test_source_live_add(task->live_name)) {
                snprintf(errstr, errstr_size, "second live instance of task %s",
                         task->live_name);
                err = RDCP_ERR_FATAL;
                goto fail;
        }
        task->live = 1;
        const char *hang = host->config_get(cfg, "test.hang.poll.while.file");
        if (hang && *hang && !(task->hang_file = strdup(hang))) {
                snprintf(errstr, errstr_size, "out of memory");
                err = RDCP_ERR_NOMEM;
                goto fail;
        }
        const char *with_headers = host->config_get(cfg, "test.headers");
        task->headers = with_headers && !strcmp(with_headers, "true");
        const char *ack = host->config_get(cfg, "test.ack.file");
        if (ack && *ack && !(task->ack_file = fopen(ack, "a"))) {
                snprintf(errstr, errstr_size, "cannot open %s", ack);
                err = RDCP_ERR_CONFIG;
                goto fail;
        }
        if (!topic || !*topic) {
                snprintf(errstr, errstr_size, "topic is required");
                err = RDCP_ERR_CONFIG;
                goto fail;
        }
        if (task->batch_size < 1 || task->batch_size > TEST_SOURCE_MAX_BATCH) {
                snprintf(errstr, errstr_size,
                         "test.batch.size must be 1..%d, got %" PRId64,
                         TEST_SOURCE_MAX_BATCH, task->batch_size);
                err = RDCP_ERR_CONFIG;
                goto fail;
        }
        task->topic = strdup(topic);
        task->records =
                calloc((size_t)task->batch_size, sizeof(*task->records));
        task->slots = calloc((size_t)task->batch_size, sizeof(*task->slots));
        if (!task->topic || !task->records || !task->slots) {
                snprintf(errstr, errstr_size, "out of memory");
                err = RDCP_ERR_NOMEM;
                goto fail;
        }
        err = test_source_resume(task, errstr, errstr_size);
        if (err != RDCP_OK)
                goto fail;
        host->log(ctx, RDCP_LOG_INFO,
                  "TestSource task %d: records %" PRId64 "..%" PRId64
                  " to topic %s",
                  (int)task->task_id, task->next, task->total, task->topic);
        *taskp = task;
        return RDCP_OK;
fail:
        test_source_task_destroy(task);
        return err;
}

static void test_source_string(rdcp_data_t *data, const char *text) {
        memset(data, 0, sizeof(*data));
        data->kind = RDCP_DATA_STRING;
        data->u.bytes.ptr = text;
        data->u.bytes.len = strlen(text);
}

static void test_source_headers(rdcp_source_record_t *record,
                                test_source_slot_t *slot, int64_t seq) {
        rdcp_header_t *h = slot->headers;
        memset(h, 0, sizeof(slot->headers));
        snprintf(slot->name, sizeof(slot->name), "n-%" PRId64, seq);
        snprintf(slot->raw, sizeof(slot->raw), "r-%" PRId64, seq);
        h[0].key = "seq";
        h[0].typed = 1;
        h[0].data.kind = RDCP_DATA_INT;
        h[0].data.u.i = seq;
        h[1].key = "name";
        h[1].typed = 1;
        test_source_string(&h[1].data, slot->name);
        h[2].key = "even";
        h[2].typed = 1;
        h[2].data.kind = RDCP_DATA_BOOL;
        h[2].data.u.b = seq % 2 == 0;
        h[3].key = "raw";
        h[3].value = slot->raw;
        h[3].value_len = strlen(slot->raw);
        record->headers = h;
        record->header_cnt = 4;
}

static rdcp_err_t test_source_task_poll(void *task_ptr,
                                        const rdcp_source_record_t **records,
                                        size_t *cnt, char *errstr,
                                        size_t errstr_size) {
        test_source_task_t *task = task_ptr;
        rdcp_err_t err;
        size_t i;

        *records = task->records;
        *cnt = 0;
        err = rdct_failer_check(&task->failer, RDCT_FAIL_POLL, errstr,
                                errstr_size);
        if (err == RDCP_OK)
                err = rdct_failer_check_file(&task->failer, "poll", errstr,
                                             errstr_size);
        if (err != RDCP_OK)
                return err;
        struct stat st;
        while (task->hang_file && stat(task->hang_file, &st) == 0) {
                /* Stuck: deaf to stop requests on purpose. */
                struct timespec nap = {0, 50 * 1000 * 1000};
                nanosleep(&nap, NULL);
        }
        if (task->next >= task->total) {
                /* Done: idle without spinning, as the ABI asks. */
                task->host->wait(task->ctx, -1, 0, 100);
                return RDCP_OK;
        }
        for (i = 0; i < (size_t)task->batch_size && task->next < task->total;
             i++, task->next++) {
                rdcp_source_record_t *record = &task->records[i];
                test_source_slot_t *slot = &task->slots[i];

                snprintf(slot->key, sizeof(slot->key), "%d-%" PRId64,
                         (int)task->task_id, task->next);
                snprintf(slot->value, sizeof(slot->value), "record-%d-%" PRId64,
                         (int)task->task_id, task->next);
                snprintf(slot->offset, sizeof(slot->offset),
                         "{\"position\":%" PRId64 "}", task->next + 1);
                memset(record, 0, sizeof(*record));
                record->topic = task->topic;
                record->partition = -1;
                record->timestamp = -1;
                test_source_string(&record->key, slot->key);
                test_source_string(&record->value, slot->value);
                test_source_partition(task, task->next % task->partitions,
                                      slot->partition, sizeof(slot->partition));
                record->source_partition = slot->partition;
                record->source_offset = slot->offset;
                record->ack_opaque = (void *)(intptr_t)(task->next + 1);
                if (task->headers)
                        test_source_headers(record, slot, task->next);
        }
        *cnt = i;
        return RDCP_OK;
}

static const char *const test_source_fail_points[] = {"never", "connector",
                                                      "create", "poll", NULL};

static const rdcp_config_def_t test_source_config[] = {
        RDCT_CONFIG_TOPIC,
        {.name = "test.records",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .flags = RDCP_CFGF_HAS_MIN,
         .default_value = "10",
         .documentation = "Records each task produces.",
         .min = 0},
        {.name = "test.batch.size",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .flags = RDCP_CFGF_HAS_MIN | RDCP_CFGF_HAS_MAX,
         .default_value = "10",
         .documentation = "Most records returned by one poll().",
         .min = 1,
         .max = TEST_SOURCE_MAX_BATCH},
        {.name = "test.source.partitions",
         .type = RDCP_CFG_INT,
         .importance = RDCP_IMPORTANCE_LOW,
         .flags = RDCP_CFGF_HAS_MIN | RDCP_CFGF_HAS_MAX,
         .default_value = "1",
         .documentation = "Source partitions the records are spread over.",
         .min = 1,
         .max = TEST_SOURCE_MAX_BATCH},
        {.name = "test.headers",
         .type = RDCP_CFG_BOOLEAN,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "false",
         .documentation = "Records carry typed and raw headers."},
        RDCT_CONFIG_STRING("test.ack.file",
                           "File the acknowledgements (commit_record, "
                           "commit) are appended to."),
        RDCT_CONFIG_STRING("test.hang.poll.while.file",
                           "poll() blocks, ignoring stop, while this file "
                           "exists."),
        RDCT_CONFIG_STRING("test.connector.echo.key",
                           "The connector writes the value of this key, as "
                           "it sees it, to test.connector.echo.file."),
        RDCT_CONFIG_STRING("test.connector.echo.file",
                           "See test.connector.echo.key."),
        RDCT_CONFIG_FAIL_ON(test_source_fail_points),
        RDCT_CONFIG_FAIL_AFTER,
        RDCT_CONFIG_FAIL_WHILE_FILE,
        RDCT_CONFIG_FAIL_TASK,
};

static const rdcp_connector_vtable_t test_source_connector =
        RDCT_CONNECTOR_VTABLE;

static const rdcp_source_task_vtable_t test_source_task = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = test_source_task_create,
        .poll = test_source_task_poll,
        .commit = test_source_task_commit,
        .destroy = test_source_task_destroy,
        .commit_record = test_source_task_commit_record};

RDCT_PLUGIN(test_source, RDCP_PLUGIN_SOURCE, source_task,
            "com.example.test.TestSource", "TestSource",
            "Test source: produces test.records records, can fail on purpose",
            test_source_config, test_source_connector, test_source_task)
