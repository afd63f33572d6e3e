/*
 * Unit tests of the file-source plugin: loads the built .so and drives its
 * vtables with the runtime's real host table and an in-memory offset
 * store, against files in a temporary directory.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugins/host.h"
#include "core/map.h"
#include "storage/offsets.h"
#include "test_util.h"

/* The plugin is dlopen'd, so its pread() resolves in the global scope,
 * where this executable comes before libc: counting here sees every
 * pread the plugin makes (how often it re-reads what it has read). */
static size_t preads;

ssize_t pread(int fd, void *buf, size_t len, off_t offset) {
        preads++;
        return syscall(SYS_pread64, fd, buf, len, offset);
}

#define TEST_CONNECTOR "fsrc-test"
#define TEST_TOPIC     "lines"
/* Upper bound for anything that waits for data; never a timing claim. */
#define TEST_DEADLINE_MS 10000
#define TEST_MAX_LINES   1024

typedef struct fixture {
        void *dl;
        const rdcp_descriptor_t *desc;
        rdc_offset_store_t *store;
        rdcp_ctx_t ctx;
        char dir[64];
        char path[128];
        char partition[192];
        void *task;
} fixture_t;

/* Lines received so far and the last offset seen. */
typedef struct collected {
        char *lines[TEST_MAX_LINES];
        size_t cnt;
        char offset[64];
} collected_t;

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int setup(void **state) {
        fixture_t *fx = calloc(1, sizeof(*fx));
        assert_non_null(fx);
        fx->desc =
                tu_load_plugin(RDC_TEST_PLUGIN_DIR "/file-source.so", &fx->dl);
        fx->store = rdc_offset_store_memory_new();
        assert_non_null(fx->store);
        assert_int_equal(
                rdc_ctx_init(&fx->ctx, TEST_CONNECTOR, 0, NULL, fx->store), 0);
        strcpy(fx->dir, "/tmp/rdc-fsrc-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        snprintf(fx->path, sizeof(fx->path), "%s/in.txt", fx->dir);
        snprintf(fx->partition, sizeof(fx->partition), "{\"filename\":\"%s\"}",
                 fx->path);
        *state = fx;
        return 0;
}

static void stop_task(fixture_t *fx) {
        if (fx->task)
                fx->desc->source_task->destroy(fx->task);
        fx->task = NULL;
}

static int teardown(void **state) {
        fixture_t *fx = *state;
        stop_task(fx);
        rdc_ctx_destroy(&fx->ctx);
        rdc_offset_store_destroy(fx->store);
        tu_remove_tree(fx->dir);
        dlclose(fx->dl);
        free(fx);
        return 0;
}

static void write_file(const char *path, const char *data, int append) {
        int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC),
                      0644);
        assert_true(fd >= 0);
        size_t len = strlen(data);
        assert_int_equal(write(fd, data, len), (ssize_t)len);
        close(fd);
}

/* file NULL: stdin. batch_size NULL: the plugin's default. extra: more
 * key, value pairs, NULL-terminated (may be NULL). */
static void start_task_with(fixture_t *fx, const char *file,
                            const char *batch_size, const char *const *extra) {
        char errstr[256] = "";
        rdc_map_t *cfg = rdc_map_new();
        assert_non_null(cfg);
        assert_int_equal(rdc_map_set(cfg, "topic", TEST_TOPIC), 0);
        if (file)
                assert_int_equal(rdc_map_set(cfg, "file", file), 0);
        if (batch_size)
                assert_int_equal(rdc_map_set(cfg, "batch.size", batch_size), 0);
        for (size_t i = 0; extra && extra[i]; i += 2)
                assert_int_equal(rdc_map_set(cfg, extra[i], extra[i + 1]), 0);
        rdcp_err_t err = fx->desc->source_task->create(
                &fx->ctx, &rdc_host, rdc_map_as_cconfig(cfg), &fx->task, errstr,
                sizeof(errstr));
        rdc_map_destroy(cfg);
        assert_int_equal(err, RDCP_OK);
}

static void start_task(fixture_t *fx, const char *file,
                       const char *batch_size) {
        start_task_with(fx, file, batch_size, NULL);
}

/* One poll; checks the record contract and appends to out.
 * @returns the number of records. */
static size_t poll_once(fixture_t *fx, collected_t *out) {
        const rdcp_source_record_t *recs = NULL;
        size_t cnt = 0;
        char errstr[256] = "";
        assert_int_equal(fx->desc->source_task->poll(fx->task, &recs, &cnt,
                                                     errstr, sizeof(errstr)),
                         RDCP_OK);
        for (size_t i = 0; i < cnt; i++) {
                const rdcp_source_record_t *rec = &recs[i];
                assert_string_equal(rec->topic, TEST_TOPIC);
                assert_int_equal(rec->partition, -1);
                assert_int_equal(rec->timestamp, -1);
                assert_int_equal(rec->key.kind, RDCP_DATA_NULL);
                assert_null(rec->key.schema);
                assert_int_equal(rec->value.kind, RDCP_DATA_STRING);
                assert_non_null(rec->value.schema);
                assert_int_equal(rec->value.schema->type, RDCP_SCHEMA_STRING);
                if (rec->source_partition)
                        assert_string_equal(rec->source_partition,
                                            fx->partition);
                /* The offset rides on the last record of a batch only. */
                if (i + 1 < cnt || !rec->source_partition)
                        assert_null(rec->source_offset);
                else
                        snprintf(out->offset, sizeof(out->offset), "%s",
                                 rec->source_offset);
                assert_true(out->cnt < TEST_MAX_LINES);
                out->lines[out->cnt++] =
                        strndup(rec->value.u.bytes.ptr, rec->value.u.bytes.len);
        }
        return cnt;
}

/* Polls until want lines were received in total (bounded). */
static void collect(fixture_t *fx, collected_t *out, size_t want) {
        int64_t deadline = now_ms() + TEST_DEADLINE_MS;
        while (out->cnt < want && now_ms() < deadline)
                poll_once(fx, out);
        assert_int_equal(out->cnt, want);
}

static void collected_clear(collected_t *out) {
        for (size_t i = 0; i < out->cnt; i++)
                free(out->lines[i]);
        memset(out, 0, sizeof(*out));
}

static void assert_lines(const collected_t *got, const char *const *want,
                         size_t cnt) {
        assert_int_equal(got->cnt, cnt);
        for (size_t i = 0; i < cnt; i++)
                assert_string_equal(got->lines[i], want[i]);
}

/* ------------------------------------------------------------- tests */

static void test_descriptor(void **state) {
        fixture_t *fx = *state;
        const rdcp_descriptor_t *desc = fx->desc;

        assert_int_equal(desc->magic, RDCP_MAGIC);
        assert_int_equal(desc->type, RDCP_PLUGIN_SOURCE);
        assert_string_equal(
                desc->class_name,
                "org.apache.kafka.connect.file.FileStreamSourceConnector");
        assert_string_equal(desc->aliases[0], "FileStreamSource");
        assert_string_equal(desc->aliases[1], "FileStreamSourceConnector");
        assert_null(desc->aliases[2]);
        assert_int_equal(desc->config_def_cnt, 4);
        assert_string_equal(desc->config_defs[2].name, "batch.size");
        assert_string_equal(desc->config_defs[2].default_value, "2000");
        /* The largest value librdkafka's default message.max.bytes
         * (1000000) takes with a null key: 36 bytes of record framing. */
        assert_string_equal(desc->config_defs[3].name, "line.max.bytes");
        assert_string_equal(desc->config_defs[3].default_value, "999964");
        assert_true(desc->config_defs[3].flags & RDCP_CFGF_HAS_MIN);
        assert_true(desc->config_defs[3].flags & RDCP_CFGF_HAS_MAX);

        tu_assert_one_task(desc, &fx->ctx, 4);
}

static void count_report(void *opaque, const char *key, const char *message) {
        int *reports = opaque;
        assert_string_equal(key, "file");
        assert_non_null(strstr(message, "cannot read file"));
        (*reports)++;
}

static void test_validate(void **state) {
        fixture_t *fx = *state;
        int reports = 0;
        rdc_map_t *cfg = rdc_map_new();

        /* Missing: fine, the task waits for it. */
        rdc_map_set(cfg, "file", fx->path);
        assert_int_equal(fx->desc->connector->validate(&rdc_host,
                                                       rdc_map_as_cconfig(cfg),
                                                       count_report, &reports),
                         0);
        /* A directory cannot be read as lines. */
        rdc_map_set(cfg, "file", fx->dir);
        assert_int_equal(fx->desc->connector->validate(&rdc_host,
                                                       rdc_map_as_cconfig(cfg),
                                                       count_report, &reports),
                         1);
        /* Unreadable: checked in a child without root's privileges. */
        write_file(fx->path, "x\n", 0);
        assert_int_equal(chmod(fx->path, 0), 0);
        rdc_map_set(cfg, "file", fx->path);
        pid_t child = fork();
        assert_true(child >= 0);
        if (child == 0) {
                reports = 0;
                if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
                        _exit(99);
                _exit((int)fx->desc->connector->validate(
                        &rdc_host, rdc_map_as_cconfig(cfg), count_report,
                        &reports));
        }
        int status = 0;
        assert_int_equal(waitpid(child, &status, 0), child);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 1);
        rdc_map_destroy(cfg);
}

static void test_line_terminators(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const want[] = {"a", "b", "c", "d", "", "ef"};

        write_file(fx->path, "a\nb\r\nc\rd\n\ne", 0);
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 5);
        assert_string_equal(got.offset, "{\"position\":10}");
        /* The partial last line is held back until it is complete. */
        for (int i = 0; i < 3; i++)
                assert_int_equal(poll_once(fx, &got), 0);
        write_file(fx->path, "f\n", 1);
        collect(fx, &got, 6);
        assert_lines(&got, want, 6);
        assert_string_equal(got.offset, "{\"position\":13}");
        collected_clear(&got);
}

/* A \r that ends the first read and the \n that starts the next one are
 * one line break. The plugin reads 256 KiB at a time; the line is sized so
 * that its \r is the last byte of that first read. */
static void test_crlf_split_across_reads(void **state) {
        fixture_t *fx = *state;
        size_t first_read = 256 * 1024;
        collected_t got = {0};
        char *data = malloc(first_read + 8);
        char offset[64];

        memset(data, 'x', first_read - 1);
        strcpy(data + first_read - 1, "\r\nyz\n");
        write_file(fx->path, data, 0);
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 2);
        assert_int_equal(strlen(got.lines[0]), first_read - 1);
        assert_string_equal(got.lines[1], "yz");
        snprintf(offset, sizeof(offset), "{\"position\":%zu}", first_read + 4);
        assert_string_equal(got.offset, offset);
        collected_clear(&got);
        free(data);
}

/* A \r with nothing after it ends its line once the file stays idle; a \n
 * arriving later still belongs to it, also across a restart. */
static void test_trailing_cr(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const want[] = {"x", "y"};

        write_file(fx->path, "x\r", 0);
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 1);
        assert_string_equal(got.offset, "{\"position\":2}");
        write_file(fx->path, "\ny\n", 1);
        collect(fx, &got, 2);
        assert_lines(&got, want, 2);
        assert_string_equal(got.offset, "{\"position\":5}");
        collected_clear(&got);

        /* Restart after "x\r" with the \n not consumed yet. */
        stop_task(fx);
        assert_int_equal(rdc_offset_store_put(fx->store, TEST_CONNECTOR,
                                              fx->partition,
                                              "{\"position\":2}"),
                         0);
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 1);
        assert_string_equal(got.lines[0], "y");
        assert_string_equal(got.offset, "{\"position\":5}");
        collected_clear(&got);
}

static void test_batch_size(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const offsets[] = {
                "{\"position\":6}", "{\"position\":12}", "{\"position\":18}",
                "{\"position\":20}"};
        static const size_t sizes[] = {3, 3, 3, 1};

        write_file(fx->path, "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n", 0);
        start_task(fx, fx->path, "3");
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(poll_once(fx, &got), sizes[i]);
                assert_string_equal(got.offset, offsets[i]);
        }
        assert_int_equal(got.cnt, 10);
        for (size_t i = 0; i < 10; i++)
                assert_int_equal(got.lines[i][0], '0' + (int)i);
        collected_clear(&got);
}

static void test_resume_from_offset(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const want[] = {"bbb", "ccc"};

        write_file(fx->path, "aaa\nbbb\nccc\n", 0);
        assert_int_equal(rdc_offset_store_put(fx->store, TEST_CONNECTOR,
                                              fx->partition,
                                              "{\"position\":4}"),
                         0);
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 2);
        assert_lines(&got, want, 2);
        assert_string_equal(got.offset, "{\"position\":12}");
        collected_clear(&got);
}

static void test_shrunk_file_restarts(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};

        /* Stored position beyond the end: start from 0. */
        write_file(fx->path, "one\n", 0);
        assert_int_equal(rdc_offset_store_put(fx->store, TEST_CONNECTOR,
                                              fx->partition,
                                              "{\"position\":100}"),
                         0);
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 1);
        assert_string_equal(got.lines[0], "one");
        assert_string_equal(got.offset, "{\"position\":4}");

        /* Truncated while running: start again from 0. */
        assert_int_equal(truncate(fx->path, 0), 0);
        write_file(fx->path, "2\n", 1);
        collect(fx, &got, 2);
        assert_string_equal(got.lines[1], "2");
        assert_string_equal(got.offset, "{\"position\":2}");
        collected_clear(&got);
}

static void test_missing_then_created(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};

        start_task(fx, fx->path, NULL);
        assert_int_equal(poll_once(fx, &got), 0);
        write_file(fx->path, "hello\n", 0);
        collect(fx, &got, 1);
        assert_string_equal(got.lines[0], "hello");
        assert_string_equal(got.offset, "{\"position\":6}");
        collected_clear(&got);
}

typedef struct late_writer {
        const char *path;
        int64_t written_ms;
} late_writer_t;

static void *late_writer_main(void *opaque) {
        late_writer_t *writer = opaque;
        struct timespec pause = {.tv_nsec = 100 * 1000000};
        nanosleep(&pause, NULL);
        writer->written_ms = now_ms();
        write_file(writer->path, "late\n", 1);
        return NULL;
}

/* A line appended while poll() is idle wakes it up (inotify, or the short
 * fallback timeout). The latency is printed, not asserted: machines under
 * load (sanitizers, valgrind) must not fail the test. */
static void test_append_picked_up(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        late_writer_t writer = {.path = fx->path};
        pthread_t thread;

        write_file(fx->path, "", 0);
        start_task(fx, fx->path, NULL);
        assert_int_equal(
                pthread_create(&thread, NULL, late_writer_main, &writer), 0);
        collect(fx, &got, 1);
        int64_t seen_ms = now_ms();
        pthread_join(thread, NULL);
        assert_string_equal(got.lines[0], "late");
        print_message("appended line seen after %" PRId64 " ms\n",
                      seen_ms - writer.written_ms);
        collected_clear(&got);
}

/* Rename-style rotation: the old file is read to its end, then the new
 * file at the same path is read from its start. */
static void test_rotation(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        char rotated[160];
        static const char *const want[] = {"old1", "old2", "new1"};

        snprintf(rotated, sizeof(rotated), "%s.1", fx->path);
        write_file(fx->path, "old1\n", 0);
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 1);
        assert_int_equal(rename(fx->path, rotated), 0);
        write_file(rotated, "old2\n", 1);
        collect(fx, &got, 2);
        write_file(fx->path, "new1\n", 0);
        collect(fx, &got, 3);
        assert_lines(&got, want, 3);
        assert_string_equal(got.offset, "{\"position\":5}");
        collected_clear(&got);
}

static void test_stdin(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        int pipe_fds[2];
        static const char *const want[] = {"s1", "s2"};

        int saved_stdin = dup(STDIN_FILENO);
        assert_true(saved_stdin >= 0);
        assert_int_equal(pipe(pipe_fds), 0);
        assert_int_equal(dup2(pipe_fds[0], STDIN_FILENO), STDIN_FILENO);
        close(pipe_fds[0]);
        start_task(fx, NULL, NULL);
        assert_int_equal(write(pipe_fds[1], "s1\r\ns2\npartial", 14), 14);
        close(pipe_fds[1]);
        collect(fx, &got, 2);
        assert_lines(&got, want, 2);
        /* stdin has no offsets. */
        assert_string_equal(got.offset, "");
        /* At its end stdin just idles. */
        assert_int_equal(poll_once(fx, &got), 0);
        stop_task(fx);
        dup2(saved_stdin, STDIN_FILENO);
        close(saved_stdin);
        collected_clear(&got);
}

/* A stop request ends an idle poll instead of letting it block. */
static void test_stop_ends_wait(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};

        start_task(fx, fx->path, NULL);
        rdc_ctx_stop(&fx->ctx);
        assert_int_equal(poll_once(fx, &got), 0);
}

/* logrotate's copytruncate: same inode, size set to 0, and the writer
 * goes on; here the file regrew past the read position while the task
 * waited at its end, so only its changed first bytes tell. Every new line
 * arrives whole, with offsets of the new content. */
static void test_copytruncate_regrown(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        char line[64], offset[64];
        size_t new_size = 0;
        struct stat before, after;

        write_file(fx->path, "", 0);
        for (int i = 0; i < 100; i++) {
                snprintf(line, sizeof(line), "s-%03d\n", i);
                write_file(fx->path, line, 1);
        }
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 100);
        assert_string_equal(got.offset, "{\"position\":600}");
        /* Caught up: the task waits at the end of the file. */
        assert_int_equal(poll_once(fx, &got), 0);
        assert_int_equal(stat(fx->path, &before), 0);

        int fd = open(fx->path, O_WRONLY);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 0), 0);
        for (int i = 0; i < 300; i++) {
                int n = snprintf(line, sizeof(line), "line-v%04d-%s\n", i,
                                 "longer than before");
                assert_int_equal(write(fd, line, (size_t)n), n);
                new_size += (size_t)n;
        }
        close(fd);
        assert_int_equal(stat(fx->path, &after), 0);
        assert_int_equal(before.st_ino, after.st_ino);

        collect(fx, &got, 400);
        for (int i = 0; i < 300; i++) {
                snprintf(line, sizeof(line), "line-v%04d-%s", i,
                         "longer than before");
                assert_string_equal(got.lines[100 + i], line);
        }
        snprintf(offset, sizeof(offset), "{\"position\":%zu}", new_size);
        assert_string_equal(got.offset, offset);
        collected_clear(&got);
}

/* A file shorter than the compared prefix, rewritten in place with other
 * content that is longer than what was read. */
static void test_small_file_rewritten_in_place(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const want[] = {"a", "b", "xyz", "uvw"};

        write_file(fx->path, "a\nb\n", 0);
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 2);
        assert_int_equal(poll_once(fx, &got), 0);
        int fd = open(fx->path, O_WRONLY);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, "xyz\nuvw\n", 8, 0), 8);
        close(fd);
        collect(fx, &got, 4);
        assert_lines(&got, want, 4);
        assert_string_equal(got.offset, "{\"position\":8}");
        collected_clear(&got);
}

/* Idle polls of a file that does not change read nothing again. */
static void test_unchanged_file_not_reread(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};

        write_file(fx->path, "one\ntwo\n", 0);
        start_task(fx, fx->path, NULL);
        collect(fx, &got, 2);
        assert_int_equal(poll_once(fx, &got), 0);
        size_t before = preads;
        for (int i = 0; i < 5; i++)
                assert_int_equal(poll_once(fx, &got), 0);
        assert_int_equal(preads, before);
        /* Appends are not mistaken for a replacement. */
        write_file(fx->path, "three\n", 1);
        collect(fx, &got, 3);
        assert_string_equal(got.lines[2], "three");
        assert_string_equal(got.offset, "{\"position\":14}");
        collected_clear(&got);
}

/* errors.tolerance=all: a line over line.max.bytes is skipped whole (any
 * terminator), and the next record's offset covers it. */
static void test_overlong_line_skipped(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const extra[] = {"line.max.bytes", "100",
                                            "errors.tolerance", "all", NULL};
        static const char *const want[] = {"a", "b", "exactly", "c"};
        static const char *const offsets[] = {
                "{\"position\":2}", "{\"position\":5006}",
                "{\"position\":5107}", "{\"position\":5410}"};
        char *data = malloc(6000);

        /* a, 5000 x + CRLF, b, 100 e's (at the limit: kept), 300 y + CR, c */
        strcpy(data, "a\n");
        memset(data + 2, 'x', 5000);
        strcpy(data + 5002, "\r\nb\n");
        memset(data + 5006, 'e', 100);
        strcpy(data + 5106, "\n");
        write_file(fx->path, data, 0);
        memset(data, 'y', 300);
        strcpy(data + 300, "\rc\n");
        write_file(fx->path, data, 1);
        start_task_with(fx, fx->path, "1", extra);
        for (size_t i = 0; i < 4; i++) {
                size_t cnt = 0;
                int64_t deadline = now_ms() + TEST_DEADLINE_MS;
                while (cnt == 0 && now_ms() < deadline)
                        cnt = poll_once(fx, &got);
                assert_int_equal(cnt, 1);
                if (i == 2) {
                        assert_int_equal(strlen(got.lines[2]), 100);
                        free(got.lines[2]);
                        got.lines[2] = strdup("exactly");
                }
                assert_string_equal(got.offset, offsets[i]);
        }
        assert_lines(&got, want, 4);
        collected_clear(&got);
        free(data);
}

/* A skipped line whose \r is the last byte read: a \n arriving later is
 * the rest of its terminator, not an empty line. */
static void test_overlong_line_cr_then_lf(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const extra[] = {"line.max.bytes", "10",
                                            "errors.tolerance", "all", NULL};
        static const char *const want[] = {"a", "b"};
        char data[64];

        strcpy(data, "a\n");
        memset(data + 2, 'x', 50);
        strcpy(data + 52, "\r");
        write_file(fx->path, data, 0);
        start_task_with(fx, fx->path, NULL, extra);
        collect(fx, &got, 1);
        assert_int_equal(poll_once(fx, &got), 0);
        write_file(fx->path, "\nb\n", 1);
        collect(fx, &got, 2);
        assert_int_equal(poll_once(fx, &got), 0);
        assert_lines(&got, want, 2);
        assert_string_equal(got.offset, "{\"position\":56}");
        collected_clear(&got);
}

/* A line longer than a read, arriving in parts, is skipped without being
 * buffered; its end may come much later. */
static void test_overlong_line_across_reads(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const extra[] = {"line.max.bytes", "1000",
                                            "errors.tolerance", "all", NULL};
        size_t big = 600 * 1024;
        char *data = malloc(big + 1);
        char offset[64];

        memset(data, 'x', big);
        data[big] = '\0';
        write_file(fx->path, "first\n", 0);
        write_file(fx->path, data, 1);
        start_task_with(fx, fx->path, NULL, extra);
        collect(fx, &got, 1);
        assert_int_equal(poll_once(fx, &got), 0);
        write_file(fx->path, data, 1);
        assert_int_equal(poll_once(fx, &got), 0);
        write_file(fx->path, "\nnext\n", 1);
        collect(fx, &got, 2);
        assert_string_equal(got.lines[1], "next");
        snprintf(offset, sizeof(offset), "{\"position\":%zu}", 6 + 2 * big + 6);
        assert_string_equal(got.offset, offset);
        collected_clear(&got);
        free(data);
}

/* Heap bytes in use, including chunks malloc got by mmap(). */
static size_t heap_in_use(void) {
        struct mallinfo2 mi = mallinfo2();
        return mi.uordblks + mi.hblkhd;
}

/* 20 MB without a newline: the line buffer stays at its bound (default
 * line.max.bytes) instead of growing with the line. */
static void test_no_newline_memory_bounded(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const extra[] = {"errors.tolerance", "all", NULL};
        size_t chunk = 1024 * 1024, total = 20 * chunk;
        char *data = malloc(chunk + 1);
        char offset[64];

        memset(data, 'z', chunk);
        data[chunk] = '\0';
        write_file(fx->path, "", 0);
        for (size_t i = 0; i < total / chunk; i++)
                write_file(fx->path, data, 1);
        free(data);
        size_t heap_before = heap_in_use();
        start_task_with(fx, fx->path, NULL, extra);
        for (int i = 0; i < 3; i++)
                assert_int_equal(poll_once(fx, &got), 0);
        size_t heap_during = heap_in_use();
        print_message("heap: %zu bytes before, %zu while skipping\n",
                      heap_before, heap_during);
        assert_true(heap_during < heap_before + 3 * chunk);
        write_file(fx->path, "\nafter\n", 1);
        collect(fx, &got, 1);
        assert_string_equal(got.lines[0], "after");
        snprintf(offset, sizeof(offset), "{\"position\":%zu}", total + 7);
        assert_string_equal(got.offset, offset);
        collected_clear(&got);
}

/* errors.tolerance=none (the default): the lines before arrive, then
 * poll() fails naming the key to raise, the file and the position; again
 * on every later poll (the task fails there, nothing is skipped). */
static void test_overlong_line_fails(void **state) {
        fixture_t *fx = *state;
        collected_t got = {0};
        static const char *const extra[] = {"line.max.bytes", "100", NULL};
        char *data = malloc(600);
        char errstr[512];
        const rdcp_source_record_t *recs;
        size_t cnt;

        strcpy(data, "a\n");
        memset(data + 2, 'x', 500);
        strcpy(data + 502, "\nb\n");
        write_file(fx->path, data, 0);
        free(data);
        start_task_with(fx, fx->path, NULL, extra);
        collect(fx, &got, 1);
        assert_string_equal(got.offset, "{\"position\":2}");
        for (int i = 0; i < 2; i++) {
                errstr[0] = '\0';
                assert_int_equal(fx->desc->source_task->poll(fx->task, &recs,
                                                             &cnt, errstr,
                                                             sizeof(errstr)),
                                 RDCP_ERR_DATA);
                print_message("%s\n", errstr);
                assert_non_null(strstr(errstr, "line.max.bytes"));
                assert_non_null(strstr(errstr, "errors.tolerance=all"));
                assert_non_null(strstr(errstr, fx->path));
                assert_non_null(strstr(errstr, "position 2"));
        }
        collected_clear(&got);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_descriptor, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_validate, setup, teardown),
                cmocka_unit_test_setup_teardown(test_line_terminators, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_crlf_split_across_reads,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_trailing_cr, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_batch_size, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_resume_from_offset, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_shrunk_file_restarts,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_missing_then_created,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_append_picked_up, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stdin, setup, teardown),
                cmocka_unit_test_setup_teardown(test_stop_ends_wait, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_copytruncate_regrown,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_small_file_rewritten_in_place, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unchanged_file_not_reread,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_overlong_line_skipped,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_overlong_line_cr_then_lf,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_overlong_line_across_reads,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_no_newline_memory_bounded,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_overlong_line_fails, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
