/*
 * Unit tests of the config and status stores' memory back ends
 * (runtime/storage/config_store_file.c, status_store_memory.c): the
 * contract every back end keeps (listener before done, a failed write
 * changes nothing and notifies nobody, versions bump per change, reads
 * are copies) and connector.configs.file's round trip.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "storage/config_store.h"
#include "storage/status_store.h"
#include "test_util.h"

/* What the callbacks saw, in order: "L:<name>" and "D:<err>". */
typedef struct seen {
        char log[1024];
} seen_t;

static void on_change(void *opaque, const char *connector) {
        seen_t *seen = opaque;
        tu_appendf(seen->log, sizeof(seen->log), "L:%s ", connector);
}

static void on_done(void *opaque, int err, const char *errstr) {
        seen_t *seen = opaque;
        (void)errstr;
        tu_appendf(seen->log, sizeof(seen->log), "D:%d ", err);
}

static rdc_map_t *config(const char *name, const char *topic) {
        rdc_map_t *cfg = rdc_map_new();
        rdc_map_set(cfg, "name", name);
        rdc_map_set(cfg, "connector.class", "FileStreamSource");
        rdc_map_set(cfg, "topic", topic);
        return cfg;
}

static void test_memory_contract(void **state) {
        (void)state;
        char errstr[256];
        seen_t seen = {{0}};
        rdc_config_store_t *st = rdc_config_store_file_open(NULL);
        assert_non_null(st);
        st->ops->set_listener(st, on_change, &seen);
        rdc_map_t *cfg = config("a", "t1");
        assert_int_equal(st->ops->put_connector(st, "a", cfg, RDC_TARGET_PAUSED,
                                                on_done, &seen, errstr,
                                                sizeof(errstr)),
                         0);
        /* Applied and announced before done. */
        assert_string_equal(seen.log, "L:a D:0 ");
        rdc_config_entry_t *e = st->ops->get(st, "a");
        assert_non_null(e);
        assert_int_equal(e->target, RDC_TARGET_PAUSED);
        assert_true(rdc_map_equal(e->config, cfg));
        assert_int_equal(e->task_cnt, 0);
        uint64_t version = e->config_version;
        rdc_config_entry_free(e);

        rdc_map_t *tasks[2] = {config("a", "t1"), config("a", "t1")};
        rdc_map_set(tasks[1], "task.id", "1");
        assert_int_equal(st->ops->put_task_configs(st, "a", tasks, 2, NULL,
                                                   NULL, errstr,
                                                   sizeof(errstr)),
                         0);
        e = st->ops->get(st, "a");
        assert_int_equal(e->task_cnt, 2);
        assert_string_equal(rdc_map_get(e->task_cfgs[1], "task.id"), "1");
        /* Task configs do not change the config's version. */
        assert_int_equal(e->config_version, version);
        assert_true(e->task_version > version);
        rdc_config_entry_free(e);

        /* Writes about a connector that does not exist are refused. */
        seen.log[0] = '\0';
        assert_int_equal(st->ops->put_target(st, "nosuch", RDC_TARGET_STOPPED,
                                             on_done, &seen, errstr,
                                             sizeof(errstr)),
                         -1);
        assert_string_equal(seen.log, "");

        char **names = NULL;
        assert_int_equal(st->ops->names(st, &names), 1);
        assert_string_equal(names[0], "a");
        free(names[0]);
        free(names);

        assert_int_equal(st->ops->remove(st, "a", on_done, &seen, errstr,
                                         sizeof(errstr)),
                         0);
        assert_string_equal(seen.log, "L:a D:0 ");
        assert_null(st->ops->get(st, "a"));
        rdc_map_destroy(tasks[0]);
        rdc_map_destroy(tasks[1]);
        rdc_map_destroy(cfg);
        st->ops->destroy(st);
}

static void test_file_round_trip_and_failed_save(void **state) {
        (void)state;
        char dir[] = "/tmp/rdc-test-stores-XXXXXX";
        char errstr[256], path[256], blocked[300];
        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/connectors.json", dir);
        seen_t seen = {{0}};
        rdc_config_store_t *st = rdc_config_store_file_open(path);
        st->ops->set_listener(st, on_change, &seen);
        rdc_map_t *cfg = config("kept", "t");
        assert_int_equal(st->ops->put_connector(st, "kept", cfg,
                                                RDC_TARGET_STOPPED, on_done,
                                                &seen, errstr, sizeof(errstr)),
                         0);
        assert_int_equal(access(path, F_OK), 0);

        /* The file cannot be replaced (it is a directory now): the write
         * fails, nothing changes, nobody is told but done. */
        assert_int_equal(unlink(path), 0);
        assert_int_equal(mkdir(path, 0700), 0);
        snprintf(blocked, sizeof(blocked), "%s/x", path);
        assert_int_equal(mkdir(blocked, 0700), 0);
        seen.log[0] = '\0';
        assert_int_equal(st->ops->put_target(st, "kept", RDC_TARGET_STARTED,
                                             on_done, &seen, errstr,
                                             sizeof(errstr)),
                         0);
        assert_string_equal(seen.log, "D:-1 ");
        rdc_config_entry_t *e = st->ops->get(st, "kept");
        assert_int_equal(e->target, RDC_TARGET_STOPPED);
        rdc_config_entry_free(e);
        assert_int_equal(st->ops->remove(st, "kept", on_done, &seen, errstr,
                                         sizeof(errstr)),
                         0);
        assert_non_null(e = st->ops->get(st, "kept"));
        rdc_config_entry_free(e);

        /* Writable again: the next change rewrites the file, and a new
         * store reads it back. */
        rmdir(blocked);
        rmdir(path);
        assert_int_equal(st->ops->put_target(st, "kept", RDC_TARGET_PAUSED,
                                             NULL, NULL, errstr,
                                             sizeof(errstr)),
                         0);
        st->ops->destroy(st);
        st = rdc_config_store_file_open(path);
        e = st->ops->get(st, "kept");
        assert_non_null(e);
        assert_int_equal(e->target, RDC_TARGET_PAUSED);
        assert_true(rdc_map_equal(e->config, cfg));
        rdc_config_entry_free(e);
        st->ops->destroy(st);
        rdc_map_destroy(cfg);
        unlink(path);
        rmdir(dir);
}

static void test_status_memory(void **state) {
        (void)state;
        rdc_status_store_t *st = rdc_status_store_memory_new();
        rdc_status_t got;
        st->ops->put(st, "c", RDC_STATUS_CONNECTOR, "RUNNING", NULL, "w:1", 0,
                     NULL, NULL);
        st->ops->put(st, "c", 0, "FAILED", "boom", "w:1", 0, NULL, NULL);
        st->ops->put(st, "c", 1, "RUNNING", NULL, "w:1", 0, NULL, NULL);
        assert_int_equal(st->ops->get(st, "c", 0, &got), 0);
        assert_string_equal(got.state, "FAILED");
        assert_string_equal(got.trace, "boom");
        assert_string_equal(got.worker_id, "w:1");
        rdc_status_clear(&got);
        /* The task count shrank to 1. */
        st->ops->remove(st, "c", 1, NULL, NULL);
        assert_int_equal(st->ops->get(st, "c", 1, &got), -1);
        assert_int_equal(st->ops->get(st, "c", RDC_STATUS_CONNECTOR, &got), 0);
        rdc_status_clear(&got);
        st->ops->remove(st, "c", RDC_STATUS_CONNECTOR, NULL, NULL);
        assert_int_equal(st->ops->get(st, "c", RDC_STATUS_CONNECTOR, &got), -1);
        assert_int_equal(st->ops->get(st, "c", 0, &got), -1);
        st->ops->destroy(st);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_memory_contract),
                cmocka_unit_test(test_file_round_trip_and_failed_save),
                cmocka_unit_test(test_status_memory),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
