/*
 * Unit tests of the crash record side of runtime/crash.c: how records are
 * counted (in a row, reset by a long clean run or a REST restart), which
 * task is refused and with what trace, that malformed and cut records are
 * skipped, and that the file is compacted at start-up. The signal handler
 * itself is exercised end to end by tests/blackbox/test_crash.py.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plugins/crash.h"
#include "core/map.h"

#define PLUGIN "/opt/p/crash.so"

static char dir[64];
static char path[128];

static int setup(void **state) {
        (void)state;
        snprintf(dir, sizeof(dir), "/tmp/rdc-test-crash-XXXXXX");
        if (!mkdtemp(dir))
                return -1;
        snprintf(path, sizeof(path), "%s/records", dir);
        return 0;
}

static int teardown(void **state) {
        (void)state;
        rdc_crash_records_close();
        unlink(path);
        rmdir(dir);
        return 0;
}

static void write_text(const char *text) {
        FILE *f = fopen(path, "w");

        assert_non_null(f);
        fputs(text, f);
        fclose(f);
}

static char *read_text(void) {
        static char buf[8192];
        FILE *f = fopen(path, "r");
        size_t n;

        assert_non_null(f);
        n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = '\0';
        fclose(f);
        return buf;
}

/* Opens the records with limit and a clean-run reset of clean_ms. */
static void open_records_clean(const char *limit, const char *clean_ms) {
        char errstr[512];
        rdc_map_t *cfg = rdc_map_new();

        assert_non_null(cfg);
        rdc_map_set(cfg, "crash.record.file", path);
        rdc_map_set(cfg, "task.restart.backoff.max.ms", clean_ms);
        if (limit)
                rdc_map_set(cfg, "crash.task.limit", limit);
        assert_int_equal(rdc_crash_records_open(cfg, errstr, sizeof(errstr)),
                         0);
        rdc_map_destroy(cfg);
}

static void open_records(const char *limit) {
        open_records_clean(limit, "60000");
}

static int refused(const char *connector, int32_t task, char *trace,
                   size_t size) {
        return rdc_crash_task_refused(connector, task, trace, size);
}

/* "RDC-CRASH 1 <ms> <ran> <sig> <task> <len> <conn> <len> <plugin>" */
static void crash_record(char *out, size_t size, const char *conn, int task,
                         int sig, long ran_ms) {
        snprintf(out, size,
                 "RDC-CRASH 1 1700000000000 %ld %d %d %zu %s %zu %s\n", ran_ms,
                 sig, task, strlen(conn), conn, strlen(PLUGIN), PLUGIN);
}

static void test_counts_crashes_in_a_row(void **state) {
        char text[4096] = "", rec[512], trace[512];

        (void)state;
        /* "a b" crashed three times quickly (refused at the default 3);
         * task 1 of it twice; "c" three times but the second after a
         * long clean run, so it is at two. */
        for (int i = 0; i < 3; i++) {
                crash_record(rec, sizeof(rec), "a b", 0, 11, 100);
                strcat(text, rec);
        }
        for (int i = 0; i < 2; i++) {
                crash_record(rec, sizeof(rec), "a b", 1, 7, 100);
                strcat(text, rec);
        }
        crash_record(rec, sizeof(rec), "c", 0, 6, 100);
        strcat(text, rec);
        crash_record(rec, sizeof(rec), "c", 0, 6, 60000);
        strcat(text, rec);
        crash_record(rec, sizeof(rec), "c", 0, 6, 5);
        strcat(text, rec);
        write_text(text);
        open_records(NULL);

        assert_int_equal(refused("a b", 0, trace, sizeof(trace)), 1);
        assert_string_equal(trace, "crashed the worker 3 times (signal "
                                   "SIGSEGV in plugin " PLUGIN
                                   "); restart it over REST to try again");
        assert_int_equal(refused("a b", 1, trace, sizeof(trace)), 0);
        assert_int_equal(refused("c", 0, trace, sizeof(trace)), 0);
        assert_int_equal(refused("a", 0, trace, sizeof(trace)), 0);
        assert_int_equal(refused("nobody", 0, trace, sizeof(trace)), 0);

        /* At limit 2 the others are refused too. */
        open_records("2");
        assert_int_equal(refused("a b", 1, trace, sizeof(trace)), 1);
        assert_non_null(strstr(trace, "2 times (signal SIGBUS"));
        assert_int_equal(refused("c", 0, trace, sizeof(trace)), 1);
        assert_non_null(strstr(trace, "signal SIGABRT"));
        /* 0: never refused. */
        open_records("0");
        assert_int_equal(refused("a b", 0, trace, sizeof(trace)), 0);
}

static void test_forget_holds_across_restarts(void **state) {
        char text[4096] = "", rec[512], trace[512];

        (void)state;
        for (int i = 0; i < 3; i++) {
                crash_record(rec, sizeof(rec), "x", 2, 11, 100);
                strcat(text, rec);
        }
        write_text(text);
        open_records(NULL);
        assert_int_equal(refused("x", 2, trace, sizeof(trace)), 1);
        rdc_crash_task_forget("x", 2);
        assert_int_equal(refused("x", 2, trace, sizeof(trace)), 0);
        assert_non_null(strstr(read_text(), "RDC-CLEAR 1 "));
        /* Reopened (a worker restart): still cleared, and the file holds
         * nothing any more. */
        open_records(NULL);
        assert_int_equal(refused("x", 2, trace, sizeof(trace)), 0);
        assert_string_equal(read_text(), "");
        /* Forgetting a task without records writes nothing. */
        rdc_crash_task_forget("x", 2);
        assert_string_equal(read_text(), "");
}

static void test_malformed_records_skipped_and_compacted(void **state) {
        char text[4096] = "", rec[512], trace[512], expected[2048] = "";

        (void)state;
        crash_record(rec, sizeof(rec), "y", 0, 11, 100);
        strcat(text, rec);
        strcat(text, "garbage line\n");
        strcat(text, "RDC-CRASH 1 12 x 11 0 1 y 3 abc\n");  /* not a number */
        strcat(text, "RDC-CRASH 1 12 1 11 0 -1 y 3 abc\n"); /* bad length */
        /* Counted, then superseded by a long clean run. */
        crash_record(rec, sizeof(rec), "y", 0, 11, 100);
        strcat(text, rec);
        crash_record(rec, sizeof(rec), "y", 0, 11, 70000);
        strcat(text, rec);
        strcat(expected, rec);
        crash_record(rec, sizeof(rec), "y", 0, 11, 100);
        strcat(text, rec);
        strcat(expected, rec);
        /* A record cut by a dying process, without its newline. */
        crash_record(rec, sizeof(rec), "y", 0, 11, 100);
        rec[strlen(rec) / 2] = '\0';
        strcat(text, rec);
        write_text(text);
        open_records("2");
        assert_int_equal(refused("y", 0, trace, sizeof(trace)), 1);
        assert_non_null(strstr(trace, "crashed the worker 2 times"));
        /* Only the two records that count are left. */
        assert_string_equal(read_text(), expected);
}

/* A task that stops after a clean run has its count cleared; one that
 * stops sooner keeps it. */
static void test_clean_run_clears(void **state) {
        char text[4096] = "", rec[512], trace[512];

        (void)state;
        for (int i = 0; i < 2; i++) {
                crash_record(rec, sizeof(rec), "q", 0, 11, 1);
                strcat(text, rec);
                crash_record(rec, sizeof(rec), "q", 1, 11, 1);
                strcat(text, rec);
        }
        write_text(text);
        open_records_clean("2", "60000");
        assert_int_equal(refused("q", 0, trace, sizeof(trace)), 1);
        assert_int_equal(refused("q", 1, trace, sizeof(trace)), 1);
        /* Task 1 stops well before a clean run: still counted. */
        rdc_crash_task_enter("q", 1, PLUGIN);
        rdc_crash_task_leave();
        assert_int_equal(refused("q", 1, trace, sizeof(trace)), 1);
        /* Task 0 runs longer than the clean-run time (sleeping over it is
         * a lower bound, not a timing assertion). */
        open_records_clean("2", "50");
        rdc_crash_task_enter("q", 0, PLUGIN);
        usleep(120 * 1000);
        rdc_crash_task_leave();
        assert_int_equal(refused("q", 0, trace, sizeof(trace)), 0);
        open_records_clean("2", "50");
        assert_int_equal(refused("q", 0, trace, sizeof(trace)), 0);
        assert_int_equal(refused("q", 1, trace, sizeof(trace)), 1);
}

static void test_no_file_yet(void **state) {
        char trace[512];

        (void)state;
        open_records(NULL);
        assert_int_equal(refused("z", 0, trace, sizeof(trace)), 0);
        assert_int_equal(access(path, F_OK), 0); /* created, empty */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_counts_crashes_in_a_row,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_forget_holds_across_restarts, setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_malformed_records_skipped_and_compacted, setup,
                        teardown),
                cmocka_unit_test_setup_teardown(test_clean_run_clears, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_no_file_yet, setup,
                                                teardown),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
