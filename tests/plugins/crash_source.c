/*
 * CrashSource (com.example.test.CrashSource, alias CrashSource): a source
 * connector for tests, never installed, that crashes the whole worker the
 * way a buggy native plugin does.
 *
 * Each task returns one record per poll() to `topic` (key "T-seq", value
 * "crash-T-seq"); the poll() after `test.crash.after` records (default 5)
 * crashes with `test.crash.kind`:
 *   segv      writes to an unmapped address (SIGSEGV, the default)
 *   abort     calls abort() (SIGABRT, as a failed assert)
 *   bus       touches a mapping past the end of an empty file (SIGBUS)
 *   overflow  recurses until the thread's stack overflows (SIGSEGV on a
 *             stack with no room left for a signal handler)
 * With `test.crash.while.file` set, it crashes only while that file exists,
 * and otherwise keeps producing one record per poll: delete the file and
 * the next start of the task runs cleanly.
 * With `test.crash.in=connector` the connector instance crashes instead,
 * as it is created (on the herder's thread). With
 * RDC_TEST_CRASH_ON_LOAD=<kind> in the environment it crashes while being
 * loaded (in a constructor, inside dlopen).
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, strdup */
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test_plugin.h"

typedef enum crash_kind {
        CRASH_SEGV = 0,
        CRASH_ABORT,
        CRASH_BUS,
        CRASH_OVERFLOW
} crash_kind_t;

static const char *const crash_places[] = {"task", "connector", NULL};

static const char *const crash_kinds[] = {"segv", "abort", "bus", "overflow",
                                          NULL};

typedef struct crash_task {
        rdct_counter_t counter;
        char *topic;
        char *while_file; /* NULL: always crash */
        int64_t after;
        crash_kind_t kind;
        int crash_in_task; /* test.crash.in=task */
} crash_task_t;

static void crash_task_destroy(void *task_ptr) {
        crash_task_t *task = task_ptr;

        if (!task)
                return;
        free(task->topic);
        free(task->while_file);
        free(task);
}

static rdcp_err_t crash_task_create(const rdcp_ctx_t *ctx,
                                    const rdcp_host_t *host,
                                    const rdcp_config_t *cfg, void **taskp,
                                    char *errstr, size_t errstr_size) {
        const char *topic = host->config_get(cfg, "topic");
        const char *kind = host->config_get(cfg, "test.crash.kind");
        const char *while_file = host->config_get(cfg, "test.crash.while.file");
        crash_task_t *task;
        rdcp_err_t err;

        *taskp = NULL;
        task = rdct_task_new(sizeof(*task), errstr, errstr_size);
        if (!task)
                return RDCP_ERR_NOMEM;
        rdct_counter_init(&task->counter, ctx, host);
        err = rdct_config_int64(host, cfg, "test.crash.after", 5, &task->after,
                                errstr, errstr_size);
        if (err != RDCP_OK)
                goto fail;
        for (task->kind = CRASH_SEGV; kind && crash_kinds[task->kind];
             task->kind++)
                if (!strcmp(kind, crash_kinds[task->kind]))
                        break;
        if (kind && !crash_kinds[task->kind]) {
                snprintf(errstr, errstr_size,
                         "test.crash.kind: unknown value \"%s\"", kind);
                err = RDCP_ERR_CONFIG;
                goto fail;
        }
        const char *where = host->config_get(cfg, "test.crash.in");
        task->crash_in_task = !where || !strcmp(where, "task");
        task->topic = strdup(topic ? topic : "");
        if (while_file && *while_file)
                task->while_file = strdup(while_file);
        if (!task->topic || (while_file && *while_file && !task->while_file)) {
                snprintf(errstr, errstr_size, "out of memory");
                err = RDCP_ERR_NOMEM;
                goto fail;
        }
        *taskp = task;
        return RDCP_OK;
fail:
        crash_task_destroy(task);
        return err;
}

/* Never mapped; not NULL, so that UBSan (sanitizer builds) lets the
 * store reach the MMU instead of reporting it and exiting. */
static volatile uintptr_t crash_bad_address = 16;

/* Deeper than any thread stack; volatile, so the compiler cannot see that
 * the recursion below never ends. */
static volatile int crash_depth_limit = 1 << 30;

/* Recursion the compiler cannot turn into a loop: every frame keeps a
 * live buffer. */
static int crash_recurse(volatile char *prev, int depth) {
        volatile char frame[1024];

        frame[0] = prev ? prev[0] : (char)depth;
        if (depth >= crash_depth_limit)
                return frame[0];
        return crash_recurse(frame, depth + 1) + frame[0];
}

static void crash_now(crash_kind_t kind) {
        switch (kind) {
        case CRASH_ABORT:
                abort();
        case CRASH_BUS: {
                /* A page of an empty file: no byte of it exists. */
                FILE *empty = tmpfile();
                volatile char *page =
                        empty ? mmap(NULL, 4096, PROT_READ, MAP_PRIVATE,
                                     fileno(empty), 0)
                              : MAP_FAILED;
                if (page != MAP_FAILED)
                        (void)page[0];
                raise(SIGBUS); /* only if the mapping failed */
                break;
        }
        case CRASH_OVERFLOW:
                crash_recurse(NULL, 0);
                break;
        case CRASH_SEGV:
        default: {
                volatile int *nowhere =
                        (volatile int *)(uintptr_t)crash_bad_address;
                *nowhere = 1;
                break;
        }
        }
}

/* RDC_TEST_CRASH_ON_LOAD=<kind> in the environment crashes dlopen itself,
 * in this constructor, as a plugin with a broken static initializer does. */
__attribute__((constructor)) static void crash_on_load(void) {
        const char *kind = getenv("RDC_TEST_CRASH_ON_LOAD");
        int i;

        if (!kind || !*kind)
                return;
        for (i = 0; crash_kinds[i] && strcmp(kind, crash_kinds[i]); i++)
                ;
        crash_now(crash_kinds[i] ? (crash_kind_t)i : CRASH_SEGV);
}

static rdcp_err_t crash_task_poll(void *task_ptr,
                                  const rdcp_source_record_t **records,
                                  size_t *cnt, char *errstr,
                                  size_t errstr_size) {
        crash_task_t *task = task_ptr;

        (void)errstr;
        (void)errstr_size;
        rdct_counter_t *c = &task->counter;

        *records = &c->record;
        *cnt = 0;
        if (task->crash_in_task && c->next >= task->after &&
            (!task->while_file || access(task->while_file, F_OK) == 0))
                crash_now(task->kind);
        rdct_counter_fill(c, task->topic, "crash", 1);
        *cnt = 1;
        /* Not a busy loop: one record per 50 ms is plenty for tests. */
        c->host->wait(c->ctx, -1, 0, 50);
        return RDCP_OK;
}

static const rdcp_config_def_t crash_source_config[] = {
        RDCT_CONFIG_TOPIC,
        {.name = "test.crash.after",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .flags = RDCP_CFGF_HAS_MIN,
         .default_value = "5",
         .min = 0,
         .documentation = "Records each task produces before it crashes."},
        {.name = "test.crash.kind",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_MEDIUM,
         .default_value = "segv",
         .valid_values = crash_kinds,
         .documentation = "How it crashes: segv, abort, bus or overflow."},
        {.name = "test.crash.in",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "task",
         .valid_values = crash_places,
         .documentation = "Where it crashes: task (poll) or connector "
                          "(create, on the herder's thread)."},
        RDCT_CONFIG_STRING("test.crash.while.file",
                           "Crash only while this file exists."),
};

/* test.crash.in=connector: the connector instance crashes as it is
 * created, on the herder's thread, where no task is running. */
static rdcp_err_t crash_connector_create(const rdcp_ctx_t *ctx,
                                         const rdcp_host_t *host,
                                         const rdcp_config_t *cfg, void **connp,
                                         char *errstr, size_t errstr_size) {
        const char *where = host->config_get(cfg, "test.crash.in");
        const char *kind = host->config_get(cfg, "test.crash.kind");
        int i;

        if (where && !strcmp(where, "connector")) {
                for (i = 0;
                     kind && crash_kinds[i] && strcmp(kind, crash_kinds[i]);
                     i++)
                        ;
                crash_now(kind && crash_kinds[i] ? (crash_kind_t)i
                                                 : CRASH_SEGV);
        }
        return rdct_connector_create(ctx, host, cfg, connp, errstr,
                                     errstr_size);
}

static const rdcp_connector_vtable_t crash_source_connector = {
        .struct_size = sizeof(rdcp_connector_vtable_t),
        .create = crash_connector_create,
        .task_configs = rdct_connector_task_configs,
        .destroy = rdct_connector_destroy};

static const rdcp_source_task_vtable_t crash_source_task = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = crash_task_create,
        .poll = crash_task_poll,
        .destroy = crash_task_destroy};

RDCT_PLUGIN(crash_source, RDCP_PLUGIN_SOURCE, source_task,
            "com.example.test.CrashSource", "CrashSource",
            "Test source: crashes the worker after test.crash.after records",
            crash_source_config, crash_source_connector, crash_source_task)
