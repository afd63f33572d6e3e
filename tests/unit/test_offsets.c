/*
 * Unit tests of runtime/offsets.c: canonical JSON, staging and removal,
 * file round trip, atomic rewrite (no temp files left, nothing written
 * when nothing changed), and rejection of corrupt files.
 */
#define _GNU_SOURCE
#include <dirent.h>
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

#include "storage/offsets.h"
#include "test_util.h"

static char errstr[512];

/** A fresh directory per test, removed (with its files) afterwards. */
static int dir_setup(void **state) {
        char *dir = strdup("/tmp/rdc-test-offsets-XXXXXX");
        if (!dir || !mkdtemp(dir))
                return -1;
        *state = dir;
        return 0;
}

static int dir_teardown(void **state) {
        char *dir = *state;
        DIR *d = opendir(dir);
        struct dirent *ent;
        while (d && (ent = readdir(d))) {
                char *path;
                if (ent->d_name[0] == '.' &&
                    (!ent->d_name[1] || !strcmp(ent->d_name, "..")))
                        continue;
                if (asprintf(&path, "%s/%s", dir, ent->d_name) > 0) {
                        unlink(path);
                        free(path);
                }
        }
        if (d)
                closedir(d);
        rmdir(dir);
        free(dir);
        return 0;
}

static char *path_in(const char *dir, const char *name) {
        char *path;
        assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
        return path;
}

/** @returns the number of entries in dir (without . and ..). */
static int count_files(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *ent;
        int cnt = 0;
        assert_non_null(d);
        while ((ent = readdir(d)))
                if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
                        cnt++;
        closedir(d);
        return cnt;
}

static char *read_all(const char *path) {
        FILE *fp = fopen(path, "r");
        assert_non_null(fp);
        char *text = calloc(1, 1 << 16);
        size_t got = fread(text, 1, (1 << 16) - 1, fp);
        text[got] = '\0';
        fclose(fp);
        return text;
}

static void write_all(const char *path, const char *text) {
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(text, fp);
        fclose(fp);
}

/** Asserts the stored offset of (connector, partition). want NULL: none. */
static void assert_offset(rdc_offset_store_t *store, const char *connector,
                          const char *partition, const char *want) {
        char *offset = (char *)"unset";
        assert_int_equal(
                rdc_offset_store_get(store, connector, partition, &offset), 0);
        if (!want) {
                assert_null(offset);
                return;
        }
        assert_non_null(offset);
        assert_string_equal(offset, want);
        free(offset);
}

/* Stores a new offset of the "src" partition of /tmp/a and flushes.
 * @returns whether the flush replaced the offsets file (a new inode). */
static int put_replaces_file(rdc_offset_store_t *store, const char *path,
                             const char *offset) {
        struct stat before, after;
        char errstr[256] = "";

        assert_int_equal(stat(path, &before), 0);
        assert_int_equal(rdc_offset_store_put(store, "src",
                                              "{\"filename\":\"/tmp/a\"}",
                                              offset),
                         0);
        assert_int_equal(rdc_offset_store_flush(store, errstr, sizeof(errstr)),
                         0);
        assert_int_equal(stat(path, &after), 0);
        return before.st_ino != after.st_ino;
}

static void test_canonical(void **state) {
        (void)state;
        char *c = rdc_json_canonical(" { \"b\" : 2, \"a\" : { \"z\": [3, "
                                     "{\"y\":1,\"x\":null}], \"m\": \"/p\" "
                                     "} } ");
        assert_non_null(c);
        assert_string_equal(c, "{\"a\":{\"m\":\"/p\",\"z\":[3,{\"x\":null,"
                               "\"y\":1}]},\"b\":2}");
        free(c);
        c = rdc_json_canonical("{}");
        assert_string_equal(c, "{}");
        free(c);
        assert_null(rdc_json_canonical("[1]"));
        assert_null(rdc_json_canonical("\"x\""));
        assert_null(rdc_json_canonical("{\"a\":"));
        assert_null(rdc_json_canonical("{} {}"));
        assert_null(rdc_json_canonical("null"));
        assert_null(rdc_json_canonical(NULL));
}

static void test_memory_store(void **state) {
        (void)state;
        rdc_offset_store_t *store = rdc_offset_store_memory_new();
        assert_non_null(store);
        assert_int_equal(rdc_offset_store_put(store, "c",
                                              "{\"filename\":\"/a\"}",
                                              "{\"position\":12}"),
                         0);
        /* Same partition, other key order and spacing. */
        assert_offset(store, "c", " {  \"filename\" : \"/a\" } ",
                      "{\"position\":12}");
        assert_offset(store, "other", "{\"filename\":\"/a\"}", NULL);
        assert_offset(store, "c", "{\"filename\":\"/b\"}", NULL);

        assert_int_equal(rdc_offset_store_put(store, "c", "{\"b\":1,\"a\":2}",
                                              "{\"y\":1,\"x\":2}"),
                         0);
        assert_offset(store, "c", "{\"a\":2,\"b\":1}", "{\"x\":2,\"y\":1}");

        /* Errors: not objects. */
        char *offset = NULL;
        assert_int_equal(rdc_offset_store_get(store, "c", "[1]", &offset), -1);
        assert_int_equal(rdc_offset_store_put(store, "c", "oops", "{}"), -1);
        assert_int_equal(rdc_offset_store_put(store, "c", "{}", "[1]"), -1);
        assert_int_equal(rdc_offset_store_put(store, "c", "{}", "{"), -1);

        /* Removal with NULL and with a JSON null. */
        assert_int_equal(
                rdc_offset_store_put(store, "c", "{\"filename\":\"/a\"}", NULL),
                0);
        assert_offset(store, "c", "{\"filename\":\"/a\"}", NULL);
        assert_int_equal(
                rdc_offset_store_put(store, "c", "{\"a\":2,\"b\":1}", " null "),
                0);
        assert_offset(store, "c", "{\"a\":2,\"b\":1}", NULL);
        /* Removing what is not there is fine. */
        assert_int_equal(rdc_offset_store_put(store, "c", "{\"q\":1}", NULL),
                         0);
        assert_int_equal(rdc_offset_store_flush(store, errstr, sizeof(errstr)),
                         0);
        rdc_offset_store_destroy(store);
}

typedef struct collected {
        char text[4096];
        int cnt;
} collected_t;

static void collect(void *opaque, const char *partition, const char *offset) {
        collected_t *out = opaque;
        tu_appendf(out->text, sizeof(out->text), "%s=%s;", partition, offset);
        out->cnt++;
}

static void test_foreach_and_remove_connector(void **state) {
        (void)state;
        rdc_offset_store_t *store = rdc_offset_store_memory_new();
        /* Names chosen to sit next to each other in sort order. */
        const char *connectors[] = {"a", "a-b", "a\"q", "ab", "b"};
        for (size_t i = 0; i < 5; i++) {
                assert_int_equal(rdc_offset_store_put(store, connectors[i],
                                                      "{\"p\":2}", "{\"o\":2}"),
                                 0);
                assert_int_equal(rdc_offset_store_put(store, connectors[i],
                                                      "{\"p\":1}", "{\"o\":1}"),
                                 0);
        }
        collected_t got = {.cnt = 0};
        rdc_offset_store_foreach(store, "a", collect, &got);
        assert_int_equal(got.cnt, 2);
        assert_string_equal(got.text,
                            "{\"p\":1}={\"o\":1};{\"p\":2}={\"o\":2};");

        memset(&got, 0, sizeof(got));
        rdc_offset_store_foreach(store, "a\"q", collect, &got);
        assert_int_equal(got.cnt, 2);

        memset(&got, 0, sizeof(got));
        rdc_offset_store_foreach(store, "nobody", collect, &got);
        assert_int_equal(got.cnt, 0);

        rdc_offset_store_remove_connector(store, "a");
        assert_offset(store, "a", "{\"p\":1}", NULL);
        assert_offset(store, "a", "{\"p\":2}", NULL);
        assert_offset(store, "a-b", "{\"p\":1}", "{\"o\":1}");
        assert_offset(store, "a\"q", "{\"p\":2}", "{\"o\":2}");
        assert_offset(store, "ab", "{\"p\":2}", "{\"o\":2}");
        assert_offset(store, "b", "{\"p\":1}", "{\"o\":1}");
        rdc_offset_store_destroy(store);
}

static void test_file_round_trip(void **state) {
        const char *dir = *state;
        char *path = path_in(dir, "offsets.json");
        rdc_offset_store_t *store =
                rdc_offset_store_file_open(path, errstr, sizeof(errstr));
        assert_non_null(store);
        /* Nothing staged: flush writes nothing. */
        assert_int_equal(rdc_offset_store_flush(store, errstr, sizeof(errstr)),
                         0);
        assert_int_equal(count_files(dir), 0);

        assert_int_equal(rdc_offset_store_put(store, "src",
                                              "{\"filename\":\"/tmp/a\"}",
                                              "{\"position\":42}"),
                         0);
        assert_int_equal(rdc_offset_store_put(store, "mirror",
                                              "{\"topic\":\"t\",\"cluster\":"
                                              "\"A\",\"partition\":0}",
                                              "{\"offset\":7}"),
                         0);
        assert_int_equal(rdc_offset_store_flush(store, errstr, sizeof(errstr)),
                         0);
        /* Only the file itself: the temp file was renamed over it. */
        assert_int_equal(count_files(dir), 1);
        char *text = read_all(path);
        assert_string_equal(text, "{\n"
                                  "  \"mirror\":[\n"
                                  "    {\n"
                                  "      \"partition\":{\n"
                                  "        \"cluster\":\"A\",\n"
                                  "        \"partition\":0,\n"
                                  "        \"topic\":\"t\"\n"
                                  "      },\n"
                                  "      \"offset\":{\n"
                                  "        \"offset\":7\n"
                                  "      }\n"
                                  "    }\n"
                                  "  ],\n"
                                  "  \"src\":[\n"
                                  "    {\n"
                                  "      \"partition\":{\n"
                                  "        \"filename\":\"/tmp/a\"\n"
                                  "      },\n"
                                  "      \"offset\":{\n"
                                  "        \"position\":42\n"
                                  "      }\n"
                                  "    }\n"
                                  "  ]\n"
                                  "}\n");
        free(text);
        rdc_offset_store_destroy(store);

        /* Reopen: everything is back, found in canonical form. */
        store = rdc_offset_store_file_open(path, errstr, sizeof(errstr));
        assert_non_null(store);
        assert_offset(store, "src", "{ \"filename\": \"/tmp/a\" }",
                      "{\"position\":42}");
        assert_offset(store, "mirror",
                      "{\"partition\":0,\"topic\":\"t\",\"cluster\":\"A\"}",
                      "{\"offset\":7}");

        /* Rewriting the same value is no change: the file stays as is. */
        assert_false(put_replaces_file(store, path, "{ \"position\" : 42 }"));

        /* A real change replaces the file (new inode: renamed over). */
        chmod(path, 0640);
        assert_true(put_replaces_file(store, path, "{\"position\":43}"));
        struct stat after;
        assert_int_equal(stat(path, &after), 0);
        assert_int_equal(after.st_mode & 0777, 0640);
        assert_int_equal(count_files(dir), 1);

        /* Removing a connector and flushing drops it from the file. */
        rdc_offset_store_remove_connector(store, "mirror");
        assert_int_equal(rdc_offset_store_flush(store, errstr, sizeof(errstr)),
                         0);
        rdc_offset_store_destroy(store);
        text = read_all(path);
        assert_null(strstr(text, "mirror"));
        assert_non_null(strstr(text, "\"position\":43"));
        free(text);
        free(path);
}

static void test_flush_failure_keeps_data(void **state) {
        const char *dir = *state;
        char *sub = path_in(dir, "sub");
        assert_int_equal(mkdir(sub, 0755), 0);
        char *path = path_in(sub, "offsets.json");
        rdc_offset_store_t *store =
                rdc_offset_store_file_open(path, errstr, sizeof(errstr));
        assert_non_null(store);
        assert_int_equal(
                rdc_offset_store_put(store, "c", "{\"p\":1}", "{\"o\":1}"), 0);
        /* The directory is gone: the write fails, naming the file. */
        assert_int_equal(rmdir(sub), 0);
        assert_int_equal(rdc_offset_store_flush(store, errstr, sizeof(errstr)),
                         -1);
        assert_non_null(strstr(errstr, path));
        /* Once it is back, the staged data is written. */
        assert_int_equal(mkdir(sub, 0755), 0);
        assert_int_equal(rdc_offset_store_flush(store, errstr, sizeof(errstr)),
                         0);
        rdc_offset_store_destroy(store);
        store = rdc_offset_store_file_open(path, errstr, sizeof(errstr));
        assert_non_null(store);
        assert_offset(store, "c", "{\"p\":1}", "{\"o\":1}");
        rdc_offset_store_destroy(store);
        unlink(path);
        rmdir(sub);
        free(path);
        free(sub);
}

/** Writes text as the offsets file and expects open to fail with want. */
static void assert_corrupt(const char *dir, const char *text,
                           const char *want) {
        char *path = path_in(dir, "bad.json");
        write_all(path, text);
        errstr[0] = '\0';
        assert_null(rdc_offset_store_file_open(path, errstr, sizeof(errstr)));
        if (!strstr(errstr, path) || !strstr(errstr, want))
                fail_msg("error \"%s\" lacks the path or \"%s\"", errstr, want);
        unlink(path);
        free(path);
}

static void test_corrupt_files(void **state) {
        const char *dir = *state;
        assert_corrupt(dir, "{\"c\": [", "unexpected end of file");
        assert_corrupt(dir, "{\n\"c\": [\n}", ":3: corrupt offsets file");
        assert_corrupt(dir, "{} trailing", "corrupt offsets file");
        assert_corrupt(dir, "[]", "expected a JSON object");
        assert_corrupt(dir, "{\"c\": {}}",
                       "connector \"c\": expected an array");
        assert_corrupt(dir, "{\"c\": [{\"offset\": {}}]}",
                       "entry 1 has no \"partition\"");
        assert_corrupt(dir,
                       "{\"c\": [{\"partition\": {}, \"offset\": {}}, "
                       "{\"partition\": {}, \"offset\": 5}]}",
                       "entry 2 has no \"offset\"");
        assert_corrupt(dir, "\x01garbage", "corrupt offsets file");

        /* Empty and blank files are an empty store (e.g. touch). */
        char *path = path_in(dir, "empty.json");
        write_all(path, "  \n");
        rdc_offset_store_t *store =
                rdc_offset_store_file_open(path, errstr, sizeof(errstr));
        assert_non_null(store);
        assert_offset(store, "c", "{}", NULL);
        rdc_offset_store_destroy(store);
        unlink(path);
        free(path);

        /* A file that cannot be read is an error, not an empty store. */
        path = path_in(dir, "is-a-dir");
        assert_int_equal(mkdir(path, 0700), 0);
        assert_null(rdc_offset_store_file_open(path, errstr, sizeof(errstr)));
        assert_non_null(strstr(errstr, path));
        rmdir(path);
        free(path);
}

static void test_null_offset_in_file_skipped(void **state) {
        const char *dir = *state;
        char *path = path_in(dir, "nulls.json");
        write_all(path, "{\"c\": [{\"partition\": {\"b\":1,\"a\":2}, "
                        "\"offset\": null}, {\"partition\": {\"p\":1}, "
                        "\"offset\": {\"o\":1}}]}");
        rdc_offset_store_t *store =
                rdc_offset_store_file_open(path, errstr, sizeof(errstr));
        assert_non_null(store);
        assert_offset(store, "c", "{\"a\":2,\"b\":1}", NULL);
        assert_offset(store, "c", "{\"p\":1}", "{\"o\":1}");
        rdc_offset_store_destroy(store);
        free(path);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_canonical),
                cmocka_unit_test(test_memory_store),
                cmocka_unit_test(test_foreach_and_remove_connector),
                cmocka_unit_test_setup_teardown(test_file_round_trip, dir_setup,
                                                dir_teardown),
                cmocka_unit_test_setup_teardown(test_flush_failure_keeps_data,
                                                dir_setup, dir_teardown),
                cmocka_unit_test_setup_teardown(test_corrupt_files, dir_setup,
                                                dir_teardown),
                cmocka_unit_test_setup_teardown(
                        test_null_offset_in_file_skipped, dir_setup,
                        dir_teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
