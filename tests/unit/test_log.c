/*
 * Unit tests of runtime/log.c: the log4j-like line layout, per-logger
 * levels with dotted ancestors, RDC_LOG_LEVEL, and whole lines from
 * concurrent threads. stderr is redirected to a file to read lines back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/log.h"
#include "test_util.h"

static char capture_path[] = "/tmp/rdc-test-log-XXXXXX";
static int saved_stderr = -1;

/** Sends stderr to a fresh capture file. */
static void capture_start(void) {
        int fd = open(capture_path, O_WRONLY | O_TRUNC | O_APPEND);
        assert_true(fd >= 0);
        saved_stderr = dup(STDERR_FILENO);
        assert_true(dup2(fd, STDERR_FILENO) >= 0);
        close(fd);
}

/** Restores stderr. @returns what was written (caller frees). */
static char *capture_end(void) {
        assert_true(dup2(saved_stderr, STDERR_FILENO) >= 0);
        close(saved_stderr);
        FILE *fp = fopen(capture_path, "r");
        assert_non_null(fp);
        size_t size = 1 << 20;
        char *text = malloc(size);
        size_t len = fread(text, 1, size - 1, fp);
        text[len] = '\0';
        fclose(fp);
        return text;
}

static int count_lines(const char *text) {
        int cnt = 0;
        for (; *text; text++)
                cnt += *text == '\n';
        return cnt;
}

static void assert_matches(const char *text, const char *pattern) {
        regex_t re;
        assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
        int rc = regexec(&re, text, 0, NULL, 0);
        regfree(&re);
        if (rc)
                fail_msg("\"%s\" does not match /%s/", text, pattern);
}

#define TIME_RE                                                                \
        "^\\[[0-9]{4}-[0-9]{2}-[0-9]{2} "                                      \
        "[0-9]{2}:[0-9]{2}:[0-9]{2},[0-9]{3}\\] "

static void test_layout(void **state) {
        (void)state;
        rdc_log_set_level("root", RDC_LOG_INFO);
        capture_start();
        rdc_log(RDC_LOG_INFO, "herder", "conn|task-0", "started %d tasks", 3);
        char *text = capture_end();
        assert_matches(text, TIME_RE "INFO \\[conn\\|task-0\\] started 3 "
                                     "tasks \\(herder\\)\n$");
        free(text);

        capture_start();
        rdc_log_warn("loader", "no scope\n");
        text = capture_end();
        /* No "[scope] " part, and the caller's newline is not doubled. */
        assert_matches(text, TIME_RE "WARN no scope \\(loader\\)\n$");
        free(text);

        capture_start();
        rdc_log(RDC_LOG_ERROR, NULL, NULL, "%s", "");
        text = capture_end();
        assert_matches(text, TIME_RE "ERROR  \\(root\\)\n$");
        free(text);
}

static void test_long_message(void **state) {
        (void)state;
        size_t len = 100 * 1024;
        char *msg = malloc(len + 1);
        memset(msg, 'x', len);
        msg[len] = '\0';
        capture_start();
        rdc_log_error("big", "<%s>", msg);
        char *text = capture_end();
        assert_int_equal(count_lines(text), 1);
        const char *open = strchr(text, '<');
        assert_non_null(open);
        assert_int_equal(strchr(open, '>') - open - 1, (long)len);
        assert_non_null(strstr(text, "> (big)\n"));
        free(text);
        free(msg);
}

static void test_levels(void **state) {
        (void)state;
        rdc_log_set_level("root", RDC_LOG_INFO);
        assert_true(rdc_log_enabled(RDC_LOG_INFO, "anything"));
        assert_false(rdc_log_enabled(RDC_LOG_DEBUG, "anything"));
        assert_false(rdc_log_enabled(RDC_LOG_OFF, "anything"));

        rdc_log_set_level("org.apache.kafka", RDC_LOG_DEBUG);
        rdc_log_set_level("org.apache.kafka.connect.file", RDC_LOG_ERROR);
        /* Own level, nearest dotted ancestor, else root. */
        assert_int_equal(rdc_log_get_level("org.apache.kafka"), RDC_LOG_DEBUG);
        assert_int_equal(rdc_log_get_level("org.apache.kafka.clients"),
                         RDC_LOG_DEBUG);
        assert_int_equal(
                rdc_log_get_level("org.apache.kafka.connect.file.FileSource"),
                RDC_LOG_ERROR);
        assert_int_equal(rdc_log_get_level("org.apache.kafkaesque"),
                         RDC_LOG_INFO);
        assert_int_equal(rdc_log_get_level("org.apache"), RDC_LOG_INFO);
        assert_int_equal(rdc_log_get_level("herder"), RDC_LOG_INFO);
        assert_int_equal(rdc_log_get_level(NULL), RDC_LOG_INFO);

        assert_true(rdc_log_enabled(RDC_LOG_DEBUG, "org.apache.kafka.x"));
        assert_false(rdc_log_enabled(RDC_LOG_TRACE, "org.apache.kafka.x"));
        assert_false(rdc_log_enabled(RDC_LOG_DEBUG, "herder"));
        assert_false(rdc_log_enabled(RDC_LOG_WARN,
                                     "org.apache.kafka.connect.file.X"));
        assert_true(rdc_log_enabled(RDC_LOG_ERROR,
                                    "org.apache.kafka.connect.file.X"));

        capture_start();
        rdc_log_debug("herder", "hidden");
        rdc_log_debug("org.apache.kafka.connect", "shown");
        rdc_log_warn("org.apache.kafka.connect.file", "hidden too");
        char *text = capture_end();
        assert_int_equal(count_lines(text), 1);
        assert_non_null(strstr(text, "DEBUG shown"));
        free(text);

        rdc_log_set_level("quiet", RDC_LOG_OFF);
        assert_false(rdc_log_enabled(RDC_LOG_ERROR, "quiet"));
        rdc_log_set_level("root", RDC_LOG_TRACE);
        assert_true(rdc_log_enabled(RDC_LOG_TRACE, "herder"));
        assert_false(rdc_log_enabled(RDC_LOG_ERROR, "quiet.child"));
        /* Setting a level again replaces it. */
        rdc_log_set_level("quiet", RDC_LOG_WARN);
        assert_int_equal(rdc_log_get_level("quiet"), RDC_LOG_WARN);
        rdc_log_set_level("root", RDC_LOG_INFO);
}

typedef struct listed {
        char text[512];
} listed_t;

static void list_cb(void *opaque, const char *logger, rdc_log_level_t level,
                    int64_t modified_ms) {
        listed_t *out = opaque;
        (void)modified_ms;
        tu_appendf(out->text, sizeof(out->text), "%s=%s;", logger,
                   rdc_log_level_name(level));
}

static void test_foreach(void **state) {
        (void)state;
        rdc_log_set_level("zeta", RDC_LOG_WARN);
        rdc_log_set_level("alpha", RDC_LOG_DEBUG);
        listed_t out = {""};
        rdc_log_foreach(list_cb, &out);
        /* Root first, then the others in name order. */
        assert_string_equal(out.text,
                            "root=INFO;alpha=DEBUG;org.apache.kafka=DEBUG;"
                            "org.apache.kafka.connect.file=ERROR;"
                            "quiet=WARN;zeta=WARN;");
}

static void test_level_names(void **state) {
        (void)state;
        assert_int_equal(rdc_log_level_parse("debug"), RDC_LOG_DEBUG);
        assert_int_equal(rdc_log_level_parse("Info"), RDC_LOG_INFO);
        assert_int_equal(rdc_log_level_parse("WARNING"), RDC_LOG_WARN);
        assert_int_equal(rdc_log_level_parse("warn"), RDC_LOG_WARN);
        assert_int_equal(rdc_log_level_parse("FATAL"), RDC_LOG_ERROR);
        assert_int_equal(rdc_log_level_parse("off"), RDC_LOG_OFF);
        assert_int_equal(rdc_log_level_parse("TRACE"), RDC_LOG_TRACE);
        assert_int_equal(rdc_log_level_parse("verbose"), -1);
        assert_int_equal(rdc_log_level_parse(""), -1);
        assert_int_equal(rdc_log_level_parse(NULL), -1);
        assert_string_equal(rdc_log_level_name(RDC_LOG_ERROR), "ERROR");
        assert_string_equal(rdc_log_level_name(RDC_LOG_TRACE), "TRACE");
}

#define THREADS          8
#define LINES_PER_THREAD 500

static void *log_many(void *arg) {
        long id = (long)(intptr_t)arg;
        for (int i = 0; i < LINES_PER_THREAD; i++)
                rdc_log(RDC_LOG_INFO, "worker", "c|task-1",
                        "thread %ld line %d %s", id, i,
                        "padding padding padding padding padding padding");
        return NULL;
}

static void test_concurrent_lines_stay_whole(void **state) {
        (void)state;
        pthread_t threads[THREADS];
        capture_start();
        for (long i = 0; i < THREADS; i++)
                assert_int_equal(pthread_create(&threads[i], NULL, log_many,
                                                (void *)(intptr_t)i),
                                 0);
        /* Levels change while others log: no crash, no torn lines. */
        for (int i = 0; i < 100; i++)
                rdc_log_set_level("worker.sub",
                                  i % 2 ? RDC_LOG_DEBUG : RDC_LOG_WARN);
        for (int i = 0; i < THREADS; i++)
                pthread_join(threads[i], NULL);
        char *text = capture_end();
        assert_int_equal(count_lines(text), THREADS * LINES_PER_THREAD);
        regex_t re;
        assert_int_equal(regcomp(&re,
                                 TIME_RE "INFO \\[c\\|task-1\\] thread [0-9] "
                                         "line [0-9]+ (padding ?)+ "
                                         "\\(worker\\)$",
                                 REG_EXTENDED | REG_NOSUB),
                         0);
        char *save, *line = strtok_r(text, "\n", &save);
        int cnt = 0;
        for (; line; line = strtok_r(NULL, "\n", &save), cnt++)
                if (regexec(&re, line, 0, NULL, 0))
                        fail_msg("torn line: \"%s\"", line);
        regfree(&re);
        assert_int_equal(cnt, THREADS * LINES_PER_THREAD);
        free(text);
}

/* A namespace and everything below it, nothing beside it. */
static void test_set_tree(void **state) {
        (void)state;
        rdc_log_set_level("tree.a", RDC_LOG_WARN);
        rdc_log_set_level("tree.a.b", RDC_LOG_WARN);
        rdc_log_set_level("tree-x", RDC_LOG_WARN);
        rdc_log_set_level("treex", RDC_LOG_WARN);
        rdc_log_set_level("tre", RDC_LOG_WARN);
        assert_int_equal(rdc_log_set_tree("tree", RDC_LOG_ERROR, NULL, NULL),
                         0);
        assert_int_equal(rdc_log_get_level("tree"), RDC_LOG_ERROR);
        assert_int_equal(rdc_log_get_level("tree.a"), RDC_LOG_ERROR);
        assert_int_equal(rdc_log_get_level("tree.a.b"), RDC_LOG_ERROR);
        assert_int_equal(rdc_log_get_level("tree-x"), RDC_LOG_WARN);
        assert_int_equal(rdc_log_get_level("treex"), RDC_LOG_WARN);
        assert_int_equal(rdc_log_get_level("tre"), RDC_LOG_WARN);
        /* Root: every logger. */
        assert_int_equal(rdc_log_set_tree("root", RDC_LOG_DEBUG, NULL, NULL),
                         0);
        assert_int_equal(rdc_log_get_level("treex"), RDC_LOG_DEBUG);
        assert_int_equal(rdc_log_get_level("tree.a.b"), RDC_LOG_DEBUG);
        assert_int_equal(rdc_log_get_level("root"), RDC_LOG_DEBUG);
        assert_int_equal(rdc_log_set_tree("root", RDC_LOG_INFO, NULL, NULL), 0);
}

typedef struct affected {
        char text[512];
} affected_t;

static void affected_cb(void *opaque, const char *logger) {
        affected_t *out = opaque;
        tu_appendf(out->text, sizeof(out->text), "%s;", logger);
}

/* Kafka's PUT /admin/loggers semantics: who exists, who gets a level of
 * its own, who is stamped, and the answer's names. */
static void test_rest_semantics(void **state) {
        rdc_log_level_t level;
        int64_t modified = 0;
        affected_t out = {""};
        (void)state;

        rdc_log_set_level("root", RDC_LOG_INFO);
        /* Unknown until declared or written to. */
        assert_false(rdc_log_lookup("sem.unknown", &level, &modified));
        assert_true(rdc_log_lookup("root", &level, &modified));
        rdc_log_declare("sem.declared");
        assert_true(rdc_log_lookup("sem.declared", &level, &modified));
        assert_int_equal(level, RDC_LOG_INFO);
        assert_int_equal(modified, -1);
        capture_start();
        rdc_log(RDC_LOG_ERROR, "sem.writer", NULL, "a line");
        free(capture_end());
        assert_true(rdc_log_lookup("sem.writer", &level, &modified));

        /* The level it has already: known, but no level of its own. */
        assert_int_equal(
                rdc_log_set_tree("sem.same", RDC_LOG_INFO, affected_cb, &out),
                0);
        assert_string_equal(out.text, "sem.same;");
        assert_true(rdc_log_lookup("sem.same", &level, &modified));
        assert_int_equal(modified, -1);
        listed_t listed = {""};
        rdc_log_foreach(list_cb, &listed);
        assert_null(strstr(listed.text, "sem.same"));

        /* A new level: its own, stamped with the wall clock. */
        int64_t before = (int64_t)time(NULL) * 1000 - 1000;
        out.text[0] = '\0';
        assert_int_equal(
                rdc_log_set_tree("sem", RDC_LOG_DEBUG, affected_cb, &out), 0);
        /* Itself and everything below it that exists, sorted, once. */
        assert_string_equal(out.text, "sem;sem.declared;sem.same;sem.writer;");
        assert_true(rdc_log_lookup("sem", &level, &modified));
        assert_int_equal(level, RDC_LOG_DEBUG);
        assert_true(modified >= before);
        assert_true(rdc_log_lookup("sem.same", &level, &modified));
        assert_int_equal(level, RDC_LOG_DEBUG);
        /* The same level again changes nothing, so no new stamp. */
        int64_t stamp;
        rdc_log_lookup("sem", &level, &stamp);
        assert_int_equal(rdc_log_set_tree("sem", RDC_LOG_DEBUG, NULL, NULL), 0);
        rdc_log_lookup("sem", &level, &modified);
        assert_int_equal(modified, stamp);
        assert_int_equal(rdc_log_level_parse("all"), RDC_LOG_TRACE);
        assert_int_equal(rdc_log_set_tree("sem", RDC_LOG_INFO, NULL, NULL), 0);
}

static void count_cb(void *opaque, const char *logger, rdc_log_level_t level,
                     int64_t modified_ms) {
        (void)logger;
        (void)level;
        (void)modified_ms;
        (*(size_t *)opaque)++;
}

static size_t logger_count(void) {
        size_t cnt = 0;
        rdc_log_foreach(count_cb, &cnt);
        return cnt - 1; /* root */
}

/* The table of named loggers is bounded (REST clients fill it), and
 * lookups in a full table still find the right ancestor. */
static void test_logger_cap(void **state) {
        (void)state;
        char name[RDC_LOG_MAX_NAME_LEN + 2];

        memset(name, 'n', sizeof(name) - 1);
        name[sizeof(name) - 1] = '\0';
        errno = 0;
        assert_int_equal(rdc_log_set_level(name, RDC_LOG_DEBUG), -1);
        assert_int_equal(errno, ENAMETOOLONG);
        errno = 0;
        assert_int_equal(rdc_log_set_level("", RDC_LOG_DEBUG), -1);
        assert_int_equal(errno, EINVAL);
        name[RDC_LOG_MAX_NAME_LEN] = '\0';
        assert_int_equal(rdc_log_set_level(name, RDC_LOG_DEBUG), 0);

        size_t before = logger_count(), added = 0;
        /* Descending, so that every insertion lands in front. */
        for (int i = RDC_LOG_MAX_LOGGERS; i >= 0; i--) {
                char cap[32];
                snprintf(cap, sizeof(cap), "cap.%04d", i);
                errno = 0;
                if (rdc_log_set_level(cap, i % 2 ? RDC_LOG_DEBUG
                                                 : RDC_LOG_ERROR) == -1) {
                        assert_int_equal(errno, ENOSPC);
                        break;
                }
                added++;
        }
        assert_int_equal(before + added, RDC_LOG_MAX_LOGGERS);
        assert_int_equal(logger_count(), RDC_LOG_MAX_LOGGERS);
        /* Full: new names are refused, known ones and root still change. */
        errno = 0;
        assert_int_equal(rdc_log_set_level("one.more", RDC_LOG_WARN), -1);
        assert_int_equal(errno, ENOSPC);
        char last[32];
        snprintf(last, sizeof(last), "cap.%04d",
                 RDC_LOG_MAX_LOGGERS - (int)added + 1);
        assert_int_equal(rdc_log_set_level(last, RDC_LOG_TRACE), 0);
        assert_int_equal(rdc_log_get_level(last), RDC_LOG_TRACE);
        assert_int_equal(rdc_log_set_level("root", RDC_LOG_WARN), 0);
        assert_int_equal(rdc_log_get_level("root"), RDC_LOG_WARN);
        assert_int_equal(logger_count(), RDC_LOG_MAX_LOGGERS);
        /* Dotted ancestors among many neighbours. */
        assert_int_equal(rdc_log_get_level("cap.1023.child"), RDC_LOG_DEBUG);
        assert_int_equal(rdc_log_get_level("cap.1022.a.b"), RDC_LOG_ERROR);
        assert_int_equal(rdc_log_get_level("cap.10220"), RDC_LOG_WARN);
        assert_int_equal(rdc_log_get_level("cap"), RDC_LOG_WARN);
        assert_true(rdc_log_enabled(RDC_LOG_DEBUG, "cap.1023.x"));
        assert_false(rdc_log_enabled(RDC_LOG_WARN, "cap.1022.x"));
        rdc_log_set_level("root", RDC_LOG_INFO);
}

int main(void) {
        /* RDC_LOG_LEVEL sets the root level at first use. */
        setenv("RDC_LOG_LEVEL", "error", 1);
        int fd = mkstemp(capture_path);
        if (fd < 0)
                return 1;
        close(fd);
        int env_ok = rdc_log_get_level("root") == RDC_LOG_ERROR &&
                     !rdc_log_enabled(RDC_LOG_WARN, "herder");
        if (!env_ok)
                fprintf(stderr, "RDC_LOG_LEVEL=error was not applied\n");

        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_layout),
                cmocka_unit_test(test_long_message),
                cmocka_unit_test(test_levels),
                cmocka_unit_test(test_foreach),
                cmocka_unit_test(test_level_names),
                cmocka_unit_test(test_concurrent_lines_stay_whole),
                cmocka_unit_test(test_set_tree),
                cmocka_unit_test(test_rest_semantics),
                /* Last: it fills the table. */
                cmocka_unit_test(test_logger_cap),
        };
        int failed = cmocka_run_group_tests(tests, NULL, NULL);
        unlink(capture_path);
        return failed || !env_ok;
}
