/*
 * Unit tests of the file-sink plugin: loads the built .so and drives its
 * vtables with the runtime's real host table, writing into a temporary
 * directory.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plugins/host.h"
#include "core/map.h"
#include "test_util.h"

/* Fault injection. The plugin is dlopen'd, so its write() and fsync()
 * resolve in the global scope, where this executable comes before libc:
 * these definitions see every call the plugin makes. They pass through
 * (raw syscalls, so nothing recurses) unless armed for the file at
 * fault.path, which then takes fault.allow more bytes and fails every
 * write after that with fault.write_err, and every fsync with
 * fault.fsync_err. */
static struct {
        int armed;
        dev_t dev;
        ino_t ino;
        size_t allow;
        int write_err;
        int fsync_err;
} fault;

static int fault_hits(int fd) {
        struct stat st;
        return fault.armed && fd > 2 && syscall(SYS_fstat, fd, &st) == 0 &&
               st.st_dev == fault.dev && st.st_ino == fault.ino;
}

ssize_t write(int fd, const void *buf, size_t len) {
        if (fault_hits(fd) && fault.write_err) {
                if (fault.allow == 0) {
                        errno = fault.write_err;
                        return -1;
                }
                if (len > fault.allow)
                        len = fault.allow;
                fault.allow -= len;
        }
        return syscall(SYS_write, fd, buf, len);
}

int fsync(int fd) {
        if (fault_hits(fd) && fault.fsync_err) {
                errno = fault.fsync_err;
                return -1;
        }
        return (int)syscall(SYS_fsync, fd);
}

static void fault_arm(const char *path, size_t allow, int write_err,
                      int fsync_err) {
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        fault.dev = st.st_dev;
        fault.ino = st.st_ino;
        fault.allow = allow;
        fault.write_err = write_err;
        fault.fsync_err = fsync_err;
        fault.armed = 1;
}

static void fault_disarm(void) {
        memset(&fault, 0, sizeof(fault));
}

typedef struct fixture {
        void *dl;
        const rdcp_descriptor_t *desc;
        rdcp_ctx_t ctx;
        char dir[64];
        char path[128];
        void *task;
} fixture_t;

static int setup(void **state) {
        fixture_t *fx = calloc(1, sizeof(*fx));
        assert_non_null(fx);
        fx->desc = tu_load_plugin(RDC_TEST_PLUGIN_DIR "/file-sink.so", &fx->dl);
        assert_int_equal(rdc_ctx_init(&fx->ctx, "fsink-test", 0, NULL, NULL),
                         0);
        strcpy(fx->dir, "/tmp/rdc-fsink-XXXXXX");
        assert_non_null(mkdtemp(fx->dir));
        snprintf(fx->path, sizeof(fx->path), "%s/out.txt", fx->dir);
        *state = fx;
        return 0;
}

static int teardown(void **state) {
        fixture_t *fx = *state;
        char rotated[160];
        fault_disarm();
        if (fx->task)
                fx->desc->sink_task->destroy(fx->task);
        snprintf(rotated, sizeof(rotated), "%s.1", fx->path);
        unlink(fx->path);
        unlink(rotated);
        rmdir(fx->dir);
        rdc_ctx_destroy(&fx->ctx);
        dlclose(fx->dl);
        free(fx);
        return 0;
}

/* @returns the task's create status; path NULL: no "file" key. */
static rdcp_err_t start_task(fixture_t *fx, const char *path, char *errstr,
                             size_t errstr_size) {
        rdc_map_t *cfg = rdc_map_new();
        assert_non_null(cfg);
        if (path)
                assert_int_equal(rdc_map_set(cfg, "file", path), 0);
        rdcp_err_t err = fx->desc->sink_task->create(
                &fx->ctx, &rdc_host, rdc_map_as_cconfig(cfg), &fx->task, errstr,
                errstr_size);
        rdc_map_destroy(cfg);
        return err;
}

static void put_values(fixture_t *fx, const rdcp_data_t *values, size_t cnt) {
        rdcp_sink_record_t *recs = calloc(cnt, sizeof(*recs));
        char errstr[256] = "";
        for (size_t i = 0; i < cnt; i++) {
                recs[i].topic = "t";
                recs[i].offset = (int64_t)i;
                recs[i].timestamp = -1;
                recs[i].value = values[i];
        }
        assert_int_equal(fx->desc->sink_task->put(fx->task, recs, cnt, errstr,
                                                  sizeof(errstr)),
                         RDCP_OK);
        free(recs);
}

/* put() of string values. @returns its status; errstr gets the text. */
static rdcp_err_t put_lines(fixture_t *fx, const char *const *lines, size_t cnt,
                            char *errstr, size_t errstr_size) {
        rdcp_sink_record_t recs[16];
        assert_true(cnt <= 16);
        memset(recs, 0, sizeof(recs));
        for (size_t i = 0; i < cnt; i++) {
                recs[i].topic = "t";
                recs[i].offset = (int64_t)i;
                recs[i].timestamp = -1;
                recs[i].value.kind = RDCP_DATA_STRING;
                recs[i].value.u.bytes.ptr = lines[i];
                recs[i].value.u.bytes.len = strlen(lines[i]);
        }
        errstr[0] = '\0';
        return fx->desc->sink_task->put(fx->task, recs, cnt, errstr,
                                        errstr_size);
}

static void stop_task(fixture_t *fx) {
        if (fx->task)
                fx->desc->sink_task->destroy(fx->task);
        fx->task = NULL;
}

static void flush(fixture_t *fx) {
        char errstr[256] = "";
        assert_int_equal(
                fx->desc->sink_task->flush(fx->task, errstr, sizeof(errstr)),
                RDCP_OK);
}

/* @returns the file's content (malloc'd) and its length in *len. */
static char *read_file(const char *path, size_t *len) {
        struct stat st;
        int fd = open(path, O_RDONLY);
        assert_true(fd >= 0);
        assert_int_equal(fstat(fd, &st), 0);
        char *data = malloc((size_t)st.st_size + 1);
        assert_int_equal(read(fd, data, (size_t)st.st_size), st.st_size);
        data[st.st_size] = '\0';
        close(fd);
        *len = (size_t)st.st_size;
        return data;
}

static off_t file_size(const char *path) {
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        return st.st_size;
}

static rdcp_data_t string_value(const char *str) {
        rdcp_data_t value = {.kind = RDCP_DATA_STRING};
        value.u.bytes.ptr = str;
        value.u.bytes.len = strlen(str);
        return value;
}

static rdcp_data_t int_value(int64_t i) {
        rdcp_data_t value = {.kind = RDCP_DATA_INT};
        value.u.i = i;
        return value;
}

static rdcp_data_t float_value(double f, const rdcp_schema_t *schema) {
        rdcp_data_t value = {.kind = RDCP_DATA_FLOAT, .schema = schema};
        value.u.f = f;
        return value;
}

static rdcp_data_t list_value(uint32_t kind, const rdcp_data_t *elems,
                              size_t cnt, const rdcp_schema_t *schema) {
        rdcp_data_t value = {.kind = kind, .schema = schema};
        value.u.list.elems = elems;
        value.u.list.cnt = cnt;
        return value;
}

/* ------------------------------------------------------------- tests */

static void test_descriptor(void **state) {
        fixture_t *fx = *state;
        const rdcp_descriptor_t *desc = fx->desc;

        assert_int_equal(desc->type, RDCP_PLUGIN_SINK);
        assert_string_equal(
                desc->class_name,
                "org.apache.kafka.connect.file.FileStreamSinkConnector");
        assert_string_equal(desc->aliases[0], "FileStreamSink");
        assert_string_equal(desc->aliases[1], "FileStreamSinkConnector");
        assert_null(desc->aliases[2]);
        assert_int_equal(desc->config_def_cnt, 1);
        assert_string_equal(desc->config_defs[0].name, "file");

        /* One task even when more are allowed: one writer per file. */
        tu_assert_one_task(desc, &fx->ctx, 3);
}

static void test_exact_bytes_after_flush(void **state) {
        fixture_t *fx = *state;
        char errstr[256] = "";
        size_t len;
        rdcp_data_t values[3] = {string_value("hello"), string_value(""),
                                 string_value("tab\there \"quoted\"")};
        rdcp_data_t raw = {.kind = RDCP_DATA_BYTES};
        raw.u.bytes.ptr = "\x00\x01\xff";
        raw.u.bytes.len = 3;

        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        put_values(fx, values, 3);
        put_values(fx, &raw, 1);
        static const char want[] =
                "hello\n\ntab\there \"quoted\"\n\x00\x01\xff\n";
        /* Visible after put() (one write per batch), durable after flush. */
        assert_int_equal(file_size(fx->path), (off_t)(sizeof(want) - 1));
        flush(fx);
        char *data = read_file(fx->path, &len);
        assert_int_equal(len, sizeof(want) - 1);
        assert_memory_equal(data, want, len);
        free(data);
        /* Appends to what is there. */
        put_values(fx, values, 1);
        flush(fx);
        assert_int_equal(file_size(fx->path), (off_t)(sizeof(want) - 1 + 6));
}

static void test_rendering(void **state) {
        fixture_t *fx = *state;
        char errstr[256] = "";
        size_t len;
        static const rdcp_schema_t f32 = {.type = RDCP_SCHEMA_FLOAT32};
        static const rdcp_schema_t str = {.type = RDCP_SCHEMA_STRING};
        static const rdcp_schema_t i32 = {.type = RDCP_SCHEMA_INT32};
        static const rdcp_field_t fields[] = {{"name", &str}, {"n", &i32}};
        static const rdcp_schema_t person = {
                .type = RDCP_SCHEMA_STRUCT, .field_cnt = 2, .fields = fields};
        rdcp_data_t null_value = {.kind = RDCP_DATA_NULL};
        rdcp_data_t yes = {.kind = RDCP_DATA_BOOL, .u.b = 1};
        rdcp_data_t bytes = {.kind = RDCP_DATA_BYTES};
        bytes.u.bytes.ptr = "hi!?";
        bytes.u.bytes.len = 4;
        rdcp_data_t array_elems[] = {int_value(1), string_value("a\"b\n"),
                                     null_value, bytes};
        rdcp_data_t map_elems[] = {string_value("k"), int_value(1),
                                   int_value(2), yes};
        rdcp_data_t struct_elems[] = {string_value("x"), int_value(3)};
        rdcp_data_t values[] = {
                null_value,
                yes,
                int_value(-42),
                float_value(1.5, NULL),
                float_value(1.0, NULL),
                float_value(0.1, NULL),
                float_value((float)0.1, &f32),
                float_value(NAN, NULL),
                float_value(-INFINITY, NULL),
                list_value(RDCP_DATA_ARRAY, array_elems, 4, NULL),
                list_value(RDCP_DATA_MAP, map_elems, 4, NULL),
                list_value(RDCP_DATA_STRUCT, struct_elems, 2, &person),
                list_value(RDCP_DATA_STRUCT, struct_elems, 2, NULL),
        };
        static const char want[] = "null\n"
                                   "true\n"
                                   "-42\n"
                                   "1.5\n"
                                   "1.0\n"
                                   "0.1\n"
                                   "0.1\n"
                                   "NaN\n"
                                   "-Infinity\n"
                                   "[1,\"a\\\"b\\n\",null,\"aGkhPw==\"]\n"
                                   "{\"k\":1,\"2\":true}\n"
                                   "{\"name\":\"x\",\"n\":3}\n"
                                   "[\"x\",3]\n";

        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        put_values(fx, values, sizeof(values) / sizeof(values[0]));
        flush(fx);
        char *data = read_file(fx->path, &len);
        assert_string_equal(data, want);
        free(data);
}

static void test_bad_map_rejected(void **state) {
        fixture_t *fx = *state;
        char errstr[256] = "";
        rdcp_data_t odd[] = {string_value("k")};
        rdcp_sink_record_t recs[2] = {
                {.value = string_value("kept")},
                {.value = list_value(RDCP_DATA_MAP, odd, 1, NULL)}};

        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(fx->desc->sink_task->put(fx->task, recs, 2, errstr,
                                                  sizeof(errstr)),
                         RDCP_ERR_DATA);
        assert_non_null(strstr(errstr, "MAP"));
        /* A refused batch leaves nothing behind. */
        flush(fx);
        assert_int_equal(file_size(fx->path), 0);
}

static void test_large_batch_written_before_flush(void **state) {
        fixture_t *fx = *state;
        char errstr[256] = "";
        size_t line_len = 1023, cnt = 512;
        char *line = malloc(line_len + 1);
        rdcp_data_t *values = calloc(cnt, sizeof(*values));

        memset(line, 'L', line_len);
        line[line_len] = '\0';
        for (size_t i = 0; i < cnt; i++)
                values[i] = string_value(line);
        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        put_values(fx, values, cnt);
        /* Bounded buffering: 512 KiB of lines do not wait for flush. */
        assert_int_equal(file_size(fx->path), (off_t)(cnt * (line_len + 1)));
        flush(fx);
        free(values);
        free(line);
}

static void test_reopen_after_rotation(void **state) {
        fixture_t *fx = *state;
        char errstr[256] = "";
        char rotated[160];
        size_t len;
        rdcp_data_t first = string_value("first");
        rdcp_data_t second = string_value("second");

        snprintf(rotated, sizeof(rotated), "%s.1", fx->path);
        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        put_values(fx, &first, 1);
        flush(fx);
        assert_int_equal(rename(fx->path, rotated), 0);
        put_values(fx, &second, 1);
        flush(fx);
        char *data = read_file(fx->path, &len);
        assert_string_equal(data, "second\n");
        free(data);
        data = read_file(rotated, &len);
        assert_string_equal(data, "first\n");
        free(data);
}

/* /dev/full fails every write with ENOSPC: put() refuses the batch
 * (nothing of it is taken, so the host's retry does not duplicate it) and
 * says which file and which error. */
static void test_disk_full_refuses_batch(void **state) {
        fixture_t *fx = *state;
        char errstr[512] = "";
        static const char *const lines[] = {"small"};

        assert_int_equal(start_task(fx, "/dev/full", errstr, sizeof(errstr)),
                         RDCP_OK);
        for (int attempt = 0; attempt < 3; attempt++) {
                assert_int_equal(
                        put_lines(fx, lines, 1, errstr, sizeof(errstr)),
                        RDCP_ERR_RETRIABLE);
                assert_non_null(strstr(errstr, "/dev/full"));
                assert_non_null(strstr(errstr, strerror(ENOSPC)));
                assert_non_null(strstr(errstr, "ENOSPC"));
        }
        /* Nothing was taken, so nothing is pending: flush vouches for an
         * empty set. */
        flush(fx);
}

/* A short write, then ENOSPC until space is freed: the batch is taken
 * (part of it is in the file), the next batch is refused until the rest
 * is out, flush() fails meanwhile (no offsets commit), and afterwards the
 * file holds every line exactly once, none torn. */
static void test_partial_write_resumes(void **state) {
        fixture_t *fx = *state;
        char errstr[512] = "";
        size_t len;
        static const char *const batch1[] = {"line-0", "line-1", "line-2",
                                             "line-3", "line-4"};
        static const char *const batch2[] = {"line-5"};

        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        fault_arm(fx->path, 10, ENOSPC, 0);
        assert_int_equal(put_lines(fx, batch1, 5, errstr, sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(file_size(fx->path), 10);
        for (int attempt = 0; attempt < 2; attempt++) {
                assert_int_equal(
                        put_lines(fx, batch2, 1, errstr, sizeof(errstr)),
                        RDCP_ERR_RETRIABLE);
                assert_non_null(strstr(errstr, fx->path));
                assert_non_null(strstr(errstr, "ENOSPC"));
                assert_int_equal(fx->desc->sink_task->flush(fx->task, errstr,
                                                            sizeof(errstr)),
                                 RDCP_ERR_RETRIABLE);
                assert_non_null(strstr(errstr, strerror(ENOSPC)));
        }
        fault_disarm();
        assert_int_equal(put_lines(fx, batch2, 1, errstr, sizeof(errstr)),
                         RDCP_OK);
        flush(fx);
        char *data = read_file(fx->path, &len);
        assert_string_equal(data, "line-0\nline-1\nline-2\nline-3\nline-4\n"
                                  "line-5\n");
        free(data);
}

/* EDQUOT is a full disk too. */
static void test_quota_is_retriable(void **state) {
        fixture_t *fx = *state;
        char errstr[512] = "";
        static const char *const lines[] = {"q"};

        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        fault_arm(fx->path, 0, EDQUOT, 0);
        assert_int_equal(put_lines(fx, lines, 1, errstr, sizeof(errstr)),
                         RDCP_ERR_RETRIABLE);
        assert_non_null(strstr(errstr, "EDQUOT"));
        fault_disarm();
        assert_int_equal(put_lines(fx, lines, 1, errstr, sizeof(errstr)),
                         RDCP_OK);
        flush(fx);
        assert_int_equal(file_size(fx->path), 2);
}

/* Errors that waiting does not clear fail the task at once, naming the
 * file and the error; when the task ends, what was written after the last
 * flush (here a torn line) is cut off: those records come again. */
static void test_fatal_write_errors(void **state) {
        fixture_t *fx = *state;
        char errstr[512] = "";
        size_t len;
        static const int errs[] = {EROFS, EBADF, EFBIG, EIO};
        static const char *const names[] = {"EROFS", "EBADF", "EFBIG", "EIO"};
        static const char *const flushed[] = {"kept"};
        static const char *const batch[] = {"gone-1", "gone-2"};

        for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
                assert_int_equal(
                        start_task(fx, fx->path, errstr, sizeof(errstr)),
                        RDCP_OK);
                assert_int_equal(
                        put_lines(fx, flushed, 1, errstr, sizeof(errstr)),
                        RDCP_OK);
                flush(fx);
                fault_arm(fx->path, 3, errs[i], 0);
                assert_int_equal(
                        put_lines(fx, batch, 2, errstr, sizeof(errstr)),
                        RDCP_ERR_FATAL);
                assert_non_null(strstr(errstr, fx->path));
                assert_non_null(strstr(errstr, strerror(errs[i])));
                assert_non_null(strstr(errstr, names[i]));
                fault_disarm();
                stop_task(fx);
                char *data = read_file(fx->path, &len);
                assert_string_equal(data, "kept\n");
                free(data);
                assert_int_equal(unlink(fx->path), 0);
        }
}

/* A failed fsync may have dropped the data: fatal, never retried into a
 * commit; the unsynced lines are cut off when the task ends. */
static void test_sync_failure_is_fatal(void **state) {
        fixture_t *fx = *state;
        char errstr[512] = "";
        size_t len;
        static const char *const flushed[] = {"synced"};
        static const char *const batch[] = {"unsynced"};

        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(put_lines(fx, flushed, 1, errstr, sizeof(errstr)),
                         RDCP_OK);
        flush(fx);
        assert_int_equal(put_lines(fx, batch, 1, errstr, sizeof(errstr)),
                         RDCP_OK);
        fault_arm(fx->path, 0, 0, EIO);
        assert_int_equal(
                fx->desc->sink_task->flush(fx->task, errstr, sizeof(errstr)),
                RDCP_ERR_FATAL);
        assert_non_null(strstr(errstr, "sync"));
        assert_non_null(strstr(errstr, fx->path));
        assert_non_null(strstr(errstr, strerror(EIO)));
        fault_disarm();
        stop_task(fx);
        char *data = read_file(fx->path, &len);
        assert_string_equal(data, "synced\n");
        free(data);
}

/* A file system that cannot sync at all (EINVAL) is not an error: the
 * lines are written and count as flushed. */
static void test_sync_unsupported_is_flushed(void **state) {
        fixture_t *fx = *state;
        char errstr[512] = "";
        size_t len;
        static const char *const lines[] = {"x", "y"};

        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        fault_arm(fx->path, 0, 0, EINVAL);
        for (int i = 0; i < 2; i++) {
                assert_int_equal(
                        put_lines(fx, lines + i, 1, errstr, sizeof(errstr)),
                        RDCP_OK);
                flush(fx);
        }
        fault_disarm();
        stop_task(fx);
        char *data = read_file(fx->path, &len);
        assert_string_equal(data, "x\ny\n");
        free(data);
}

/* A task that ends without a last good flush (it failed, or flush could
 * not write) leaves no line of uncommitted records behind; what another
 * writer appended meanwhile is not touched. */
static void test_unflushed_lines_cut_at_end(void **state) {
        fixture_t *fx = *state;
        char errstr[512] = "";
        size_t len;
        static const char *const first[] = {"a"};
        static const char *const second[] = {"b", "c"};

        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(put_lines(fx, first, 1, errstr, sizeof(errstr)),
                         RDCP_OK);
        flush(fx);
        assert_int_equal(put_lines(fx, second, 2, errstr, sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(file_size(fx->path), 6);
        stop_task(fx);
        char *data = read_file(fx->path, &len);
        assert_string_equal(data, "a\n");
        free(data);

        /* Someone else appended: keep everything. */
        assert_int_equal(start_task(fx, fx->path, errstr, sizeof(errstr)),
                         RDCP_OK);
        assert_int_equal(put_lines(fx, second, 2, errstr, sizeof(errstr)),
                         RDCP_OK);
        int fd = open(fx->path, O_WRONLY | O_APPEND);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, "other\n", 6), 6);
        close(fd);
        stop_task(fx);
        data = read_file(fx->path, &len);
        assert_string_equal(data, "a\nb\nc\nother\n");
        free(data);
}

static void test_open_failure(void **state) {
        fixture_t *fx = *state;
        char errstr[256] = "";
        char path[192];

        snprintf(path, sizeof(path), "%s/no/such/dir/out.txt", fx->dir);
        assert_int_not_equal(start_task(fx, path, errstr, sizeof(errstr)),
                             RDCP_OK);
        assert_null(fx->task);
        assert_non_null(strstr(errstr, path));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_descriptor, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_exact_bytes_after_flush,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_rendering, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_bad_map_rejected, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(
                        test_large_batch_written_before_flush, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reopen_after_rotation,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_disk_full_refuses_batch,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_partial_write_resumes,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_quota_is_retriable, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_fatal_write_errors, setup,
                                                teardown),
                cmocka_unit_test_setup_teardown(test_sync_failure_is_fatal,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(
                        test_sync_unsupported_is_flushed, setup, teardown),
                cmocka_unit_test_setup_teardown(test_unflushed_lines_cut_at_end,
                                                setup, teardown),
                cmocka_unit_test_setup_teardown(test_open_failure, setup,
                                                teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
