/*
 * Unit tests of runtime/props.c: Java .properties through inih (escapes,
 * continuations, comments, separators, CRLF, BOM, long lines) and
 * connector JSON in both forms, with the errors users will see.
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

#include "core/props.h"

static char errstr[512];

/** Parses text into a fresh map; fails the test if parsing fails. */
static rdc_map_t *parse_ok(const char *text) {
        rdc_map_t *map = rdc_map_new();
        errstr[0] = '\0';
        if (rdc_props_load_string(text, map, errstr, sizeof(errstr)))
                fail_msg("unexpected parse error: %s", errstr);
        return map;
}

/** Parses text expecting an error that contains want. */
static void parse_fails(const char *text, const char *want) {
        rdc_map_t *map = rdc_map_new();
        errstr[0] = '\0';
        assert_int_equal(
                rdc_props_load_string(text, map, errstr, sizeof(errstr)), -1);
        if (!strstr(errstr, want))
                fail_msg("error \"%s\" does not contain \"%s\"", errstr, want);
        /* Nothing half-parsed is left behind. */
        assert_int_equal(rdc_map_count(map), 0);
        rdc_map_destroy(map);
}

/** Writes content (len bytes) to a new temporary file with suffix. */
static char *write_temp(const char *suffix, const char *content, size_t len) {
        char *path;
        assert_true(asprintf(&path, "/tmp/rdc-test-props-XXXXXX%s", suffix) >
                    0);
        int fd = mkstemps(path, (int)strlen(suffix));
        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, len), (ssize_t)len);
        close(fd);
        return path;
}

static void remove_temp(char *path) {
        unlink(path);
        free(path);
}

static void test_basic_separators(void **state) {
        (void)state;
        rdc_map_t *map = parse_ok("a=1\n"
                                  "b = two words  \n"
                                  "  c:3\n"
                                  "d : x=y:z\n"
                                  "e=\n"
                                  "f =   \n"
                                  "g:\n");
        assert_int_equal(rdc_map_count(map), 7);
        assert_string_equal(rdc_map_get(map, "a"), "1");
        assert_string_equal(rdc_map_get(map, "b"), "two words");
        assert_string_equal(rdc_map_get(map, "c"), "3");
        assert_string_equal(rdc_map_get(map, "d"), "x=y:z");
        assert_string_equal(rdc_map_get(map, "e"), "");
        assert_string_equal(rdc_map_get(map, "f"), "");
        assert_string_equal(rdc_map_get(map, "g"), "");
        rdc_map_destroy(map);
}

static void test_comments_and_blank_lines(void **state) {
        (void)state;
        rdc_map_t *map = parse_ok("# a comment\n"
                                  "! also a comment = not a key\n"
                                  "   # indented comment\n"
                                  "\t! indented bang\n"
                                  "\n"
                                  "   \t  \n"
                                  ";semicolon.key=1\n"
                                  "key=value # not a comment\n"
                                  "# comment ending in backslash \\\n"
                                  "next=after comment\n");
        assert_int_equal(rdc_map_count(map), 3);
        assert_string_equal(rdc_map_get(map, "key"), "value # not a comment");
        assert_string_equal(rdc_map_get(map, "next"), "after comment");
        assert_non_null(rdc_map_get(map, ";semicolon.key"));
        rdc_map_destroy(map);
}

static void test_escapes(void **state) {
        (void)state;
        rdc_map_t *map = parse_ok("tab=a\\tb\n"
                                  "nl=a\\nb\n"
                                  "cr=a\\rb\n"
                                  "ff=a\\fb\n"
                                  "bs=C:\\\\dir\\\\file\n"
                                  "eq=a\\=b\\:c\n"
                                  "key\\=with\\:seps=v\n"
                                  "key\\ with\\ spaces = v2\n"
                                  "lead=\\  x\n"
                                  "trail=x\\ \n"
                                  "uni=caf\\u00e9 \\u20AC\n"
                                  "emoji=\\uD83D\\uDE00\n"
                                  "other=\\q\\#\\!\n"
                                  "\\#hash=1\n"
                                  "\\!bang=2\n");
        assert_string_equal(rdc_map_get(map, "tab"), "a\tb");
        assert_string_equal(rdc_map_get(map, "nl"), "a\nb");
        assert_string_equal(rdc_map_get(map, "cr"), "a\rb");
        assert_string_equal(rdc_map_get(map, "ff"), "a\fb");
        assert_string_equal(rdc_map_get(map, "bs"), "C:\\dir\\file");
        assert_string_equal(rdc_map_get(map, "eq"), "a=b:c");
        assert_string_equal(rdc_map_get(map, "key=with:seps"), "v");
        assert_string_equal(rdc_map_get(map, "key with spaces"), "v2");
        assert_string_equal(rdc_map_get(map, "lead"), "  x");
        assert_string_equal(rdc_map_get(map, "trail"), "x ");
        assert_string_equal(rdc_map_get(map, "uni"),
                            "caf\xc3\xa9 \xe2\x82\xac");
        assert_string_equal(rdc_map_get(map, "emoji"), "\xf0\x9f\x98\x80");
        assert_string_equal(rdc_map_get(map, "other"), "q#!");
        assert_string_equal(rdc_map_get(map, "#hash"), "1");
        assert_string_equal(rdc_map_get(map, "!bang"), "2");
        rdc_map_destroy(map);
}

/* A key starting with '[' is a plain key in Java, not an INI section. */
static void test_bracket_key(void **state) {
        (void)state;
        rdc_map_t *map = parse_ok("[x]=1\n  [y] = 2\nz=[3]\n");
        assert_int_equal(rdc_map_count(map), 3);
        assert_string_equal(rdc_map_get(map, "[x]"), "1");
        assert_string_equal(rdc_map_get(map, "[y]"), "2");
        assert_string_equal(rdc_map_get(map, "z"), "[3]");
        rdc_map_destroy(map);
}

static void test_continuation(void **state) {
        (void)state;
        rdc_map_t *map = parse_ok("list=a,\\\n"
                                  "     b,\\\n"
                                  "\t# not a comment here,\\\n"
                                  "  c\n"
                                  "even=ends with escaped backslash\\\\\n"
                                  "after=1\n"
                                  "long\\\n"
                                  "key=joined key\n"
                                  "last=at end of file\\");
        assert_string_equal(rdc_map_get(map, "list"),
                            "a,b,# not a comment here,c");
        assert_string_equal(rdc_map_get(map, "even"),
                            "ends with escaped backslash\\");
        assert_string_equal(rdc_map_get(map, "after"), "1");
        assert_string_equal(rdc_map_get(map, "longkey"), "joined key");
        assert_string_equal(rdc_map_get(map, "last"), "at end of file");
        rdc_map_destroy(map);
}

/* Found by tests/fuzz (fuzz_props): a logical line that is nothing but
 * a continuation backslash used to be terminated before its buffer
 * existed (a NULL write). Java reads it as an empty line. */
static void test_lone_continuation(void **state) {
        (void)state;
        rdc_map_t *map = parse_ok("\\\n\nk=4\n");
        assert_int_equal(rdc_map_count(map), 1);
        assert_string_equal(rdc_map_get(map, "k"), "4");
        rdc_map_destroy(map);
        map = parse_ok("\\");
        assert_int_equal(rdc_map_count(map), 0);
        rdc_map_destroy(map);
}

static void test_line_endings_and_bom(void **state) {
        (void)state;
        rdc_map_t *map = parse_ok("\xef\xbb\xbf"
                                  "first=1\r\n"
                                  "cont=a\\\r\n"
                                  "  b\r\n"
                                  "# comment\r\n"
                                  "\r\n"
                                  "old.mac=x\r"
                                  "last=2\r\n");
        assert_int_equal(rdc_map_count(map), 4);
        assert_string_equal(rdc_map_get(map, "first"), "1");
        assert_string_equal(rdc_map_get(map, "cont"), "ab");
        assert_string_equal(rdc_map_get(map, "old.mac"), "x");
        assert_string_equal(rdc_map_get(map, "last"), "2");
        rdc_map_destroy(map);

        /* A BOM before a comment still leaves a comment. */
        map = parse_ok("\xef\xbb\xbf# comment\nk=v\n");
        assert_int_equal(rdc_map_count(map), 1);
        rdc_map_destroy(map);
}

static void test_duplicates_last_wins(void **state) {
        (void)state;
        rdc_map_t *map = rdc_map_new();
        rdc_map_set(map, "kept", "from before");
        rdc_map_set(map, "k", "from before");
        assert_int_equal(rdc_props_load_string("k=1\nk=2\nk = 3\n", map, errstr,
                                               sizeof(errstr)),
                         0);
        assert_string_equal(rdc_map_get(map, "k"), "3");
        assert_string_equal(rdc_map_get(map, "kept"), "from before");
        rdc_map_destroy(map);
}

static void test_long_lines(void **state) {
        (void)state;
        size_t value_len = 50 * 1024;
        char *text = malloc(value_len * 2 + 64);
        char *p = text;
        p += sprintf(p, "short=1\nbig=");
        memset(p, 'v', value_len);
        p += value_len;
        /* The same length again through a continuation line. */
        p += sprintf(p, "\\\n   ");
        memset(p, 'w', value_len);
        p += value_len;
        sprintf(p, "\nafter=2\n");

        rdc_map_t *map = parse_ok(text);
        const char *big = rdc_map_get(map, "big");
        assert_non_null(big);
        assert_int_equal(strlen(big), value_len * 2);
        assert_int_equal(big[0], 'v');
        assert_int_equal(big[value_len - 1], 'v');
        assert_int_equal(big[value_len], 'w');
        assert_int_equal(big[value_len * 2 - 1], 'w');
        assert_string_equal(rdc_map_get(map, "after"), "2");
        assert_string_equal(rdc_map_get(map, "short"), "1");
        rdc_map_destroy(map);
        free(text);
}

static void test_property_errors(void **state) {
        (void)state;
        parse_fails("a=1\nb=2\njust a key\n", "<string>:3:");
        parse_fails("a=1\nnoseparator\n", "expected '=' or ':'");
        parse_fails("ok=1\nkey value=2\n", "<string>:2: key \"key value\"");
        parse_fails("a=1\nbad=\\u12\n", "<string>:2: malformed \\uXXXX");
        parse_fails("bad=\\uZZZZ\n", "malformed");
        parse_fails("lone=\\uDC00\n", "malformed");
        parse_fails("high=\\uD83Dx\n", "malformed");
        parse_fails("nul=\\u0000\n", "\\u0000");
        /* The line of a continued entry is where the entry starts. */
        parse_fails("a=1\ncont=x\\\n  \\u00zz\n", "<string>:2:");
}

static void test_load_file(void **state) {
        (void)state;
        static const char content[] = "name=local-file-source\n"
                                      "connector.class=FileStreamSource\n"
                                      "tasks.max=1\n";
        char *path = write_temp(".properties", content, sizeof(content) - 1);
        rdc_map_t *map = rdc_map_new();
        assert_int_equal(rdc_props_load_file(path, map, errstr, sizeof(errstr)),
                         0);
        assert_int_equal(rdc_map_count(map), 3);
        assert_string_equal(rdc_map_get(map, "connector.class"),
                            "FileStreamSource");
        remove_temp(path);

        static const char bad[] = "a=1\n\nb\n";
        path = write_temp(".properties", bad, sizeof(bad) - 1);
        assert_int_equal(rdc_props_load_file(path, map, errstr, sizeof(errstr)),
                         -1);
        char *want;
        assert_true(asprintf(&want, "%s:3:", path) > 0);
        assert_non_null(strstr(errstr, want));
        free(want);
        remove_temp(path);

        /* A NUL byte would silently cut the file short. */
        static const char nul[] = "a=1\nb=x\0y\nc=3\n";
        path = write_temp(".properties", nul, sizeof(nul) - 1);
        assert_int_equal(rdc_props_load_file(path, map, errstr, sizeof(errstr)),
                         -1);
        assert_non_null(strstr(errstr, ":2: NUL byte"));
        remove_temp(path);

        assert_int_equal(rdc_props_load_file("/nonexistent/x.properties", map,
                                             errstr, sizeof(errstr)),
                         -1);
        assert_non_null(strstr(errstr, "/nonexistent/x.properties"));
        rdc_map_destroy(map);
}

/* --------------------------------------------------------------- JSON */

static rdc_map_t *json_ok(const char *text) {
        rdc_map_t *map = rdc_map_new();
        errstr[0] = '\0';
        if (rdc_props_load_json_string(text, map, errstr, sizeof(errstr)))
                fail_msg("unexpected JSON error: %s", errstr);
        return map;
}

static void json_fails(const char *text, const char *want) {
        rdc_map_t *map = rdc_map_new();
        errstr[0] = '\0';
        assert_int_equal(
                rdc_props_load_json_string(text, map, errstr, sizeof(errstr)),
                -1);
        if (!strstr(errstr, want))
                fail_msg("error \"%s\" does not contain \"%s\"", errstr, want);
        assert_int_equal(rdc_map_count(map), 0);
        rdc_map_destroy(map);
}

static void test_json_request_form(void **state) {
        (void)state;
        rdc_map_t *map = json_ok("{\"name\": \"src\", \"config\": {"
                                 "\"connector.class\": \"FileStreamSource\","
                                 "\"tasks.max\": 2, \"batch.size\": 2000,"
                                 "\"ratio\": 1.50, \"flag\": true,"
                                 "\"file\": \"/tmp/a b\"}}");
        assert_int_equal(rdc_map_count(map), 7);
        assert_string_equal(rdc_map_get(map, "name"), "src");
        assert_string_equal(rdc_map_get(map, "tasks.max"), "2");
        assert_string_equal(rdc_map_get(map, "batch.size"), "2000");
        assert_string_equal(rdc_map_get(map, "ratio"), "1.50");
        assert_string_equal(rdc_map_get(map, "flag"), "true");
        assert_string_equal(rdc_map_get(map, "file"), "/tmp/a b");
        rdc_map_destroy(map);

        /* The same name in both places is fine; initial_state is valid. */
        map = json_ok("{\"name\":\"c\",\"initial_state\":\"PAUSED\","
                      "\"config\":{\"name\":\"c\",\"k\":\"v\"}}");
        assert_string_equal(rdc_map_get(map, "name"), "c");
        assert_string_equal(rdc_map_get(map, "k"), "v");
        rdc_map_destroy(map);

        /* No top-level name: config.name is used as is. */
        map = json_ok("{\"config\":{\"name\":\"only-inner\"}}");
        assert_string_equal(rdc_map_get(map, "name"), "only-inner");
        rdc_map_destroy(map);
}

static void test_json_flat_form(void **state) {
        (void)state;
        rdc_map_t *map = json_ok("  {\"name\":\"flat\",\"tasks.max\":-1,"
                                 "\"k\":false,\"u\":\"\\u00e9\"}\n\n");
        assert_int_equal(rdc_map_count(map), 4);
        assert_string_equal(rdc_map_get(map, "name"), "flat");
        assert_string_equal(rdc_map_get(map, "tasks.max"), "-1");
        assert_string_equal(rdc_map_get(map, "k"), "false");
        assert_string_equal(rdc_map_get(map, "u"), "\xc3\xa9");
        rdc_map_destroy(map);

        map = json_ok("{}");
        assert_int_equal(rdc_map_count(map), 0);
        rdc_map_destroy(map);
}

static void test_json_errors(void **state) {
        (void)state;
        json_fails("{\"name\":\"a\",\"config\":{\"name\":\"b\"}}",
                   "connector name \"a\" differs from config.name \"b\"");
        json_fails("{\"config\":{\"nested\":{\"x\":1}}}",
                   "config key \"nested\" has a nested object");
        json_fails("{\"topics\":[\"a\",\"b\"]}",
                   "config key \"topics\" has a nested array");
        json_fails("{\"k\":null}", "config key \"k\" is null");
        json_fails("{\"config\":\"x\"}", "\"config\" must be a JSON object");
        json_fails("{\"name\":5,\"config\":{}}", "\"name\" must be");
        json_fails("{\"name\":\"a\",\"cofnig\":{},\"config\":{}}",
                   "unknown top-level field \"cofnig\"");
        json_fails("{\"initial_state\":\"SLEEPING\",\"config\":{}}",
                   "initial_state");
        json_fails("[1,2]", "expected a JSON object, got array");
        /* Found by tests/fuzz: json-c parses "null" to NULL, which was
         * taken for a parse error and reported without a reason. */
        json_fails("\t null \n", "expected a JSON object, got null");
        json_fails("{\"a\":\"b\"", "unexpected end of input");
        json_fails("{\"a\":\"b\"}\n{", "line 2: unexpected text");
        json_fails("{\n\"a\": \"b\",\n\"c\" \"d\"}", "line 3");
        json_fails("", "invalid JSON");
}

static void test_connector_file_detection(void **state) {
        (void)state;
        static const char json_text[] = "\n  {\"name\":\"j\",\"config\":"
                                        "{\"connector.class\":\"X\"}}\n";
        static const char props_text[] = "name=p\nconnector.class=Y\n";
        rdc_map_t *map = rdc_map_new();

        /* JSON content without the .json suffix: detected by '{'. */
        char *path = write_temp(".conf", json_text, sizeof(json_text) - 1);
        assert_int_equal(rdc_props_load_connector_file(path, map, errstr,
                                                       sizeof(errstr)),
                         0);
        assert_string_equal(rdc_map_get(map, "name"), "j");
        remove_temp(path);

        path = write_temp(".properties", props_text, sizeof(props_text) - 1);
        assert_int_equal(rdc_props_load_connector_file(path, map, errstr,
                                                       sizeof(errstr)),
                         0);
        assert_string_equal(rdc_map_get(map, "name"), "p");
        assert_string_equal(rdc_map_get(map, "connector.class"), "Y");
        remove_temp(path);

        /* A .json name forces JSON, and errors name the file. */
        path = write_temp(".json", props_text, sizeof(props_text) - 1);
        assert_int_equal(rdc_props_load_connector_file(path, map, errstr,
                                                       sizeof(errstr)),
                         -1);
        assert_non_null(strstr(errstr, path));
        assert_non_null(strstr(errstr, "invalid JSON"));
        remove_temp(path);

        static const char bad_json[] = "{\"config\":{\"a\":[1]}}";
        path = write_temp(".json", bad_json, sizeof(bad_json) - 1);
        assert_int_equal(rdc_props_load_connector_file(path, map, errstr,
                                                       sizeof(errstr)),
                         -1);
        assert_non_null(strstr(errstr, path));
        assert_non_null(strstr(errstr, "\"a\""));
        remove_temp(path);

        static const char bom_json[] = "\xef\xbb\xbf{\"k\":\"bom\"}";
        path = write_temp(".txt", bom_json, sizeof(bom_json) - 1);
        assert_int_equal(rdc_props_load_connector_file(path, map, errstr,
                                                       sizeof(errstr)),
                         0);
        assert_string_equal(rdc_map_get(map, "k"), "bom");
        remove_temp(path);
        rdc_map_destroy(map);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_basic_separators),
                cmocka_unit_test(test_comments_and_blank_lines),
                cmocka_unit_test(test_escapes),
                cmocka_unit_test(test_bracket_key),
                cmocka_unit_test(test_continuation),
                cmocka_unit_test(test_lone_continuation),
                cmocka_unit_test(test_line_endings_and_bom),
                cmocka_unit_test(test_duplicates_last_wins),
                cmocka_unit_test(test_long_lines),
                cmocka_unit_test(test_property_errors),
                cmocka_unit_test(test_load_file),
                cmocka_unit_test(test_json_request_form),
                cmocka_unit_test(test_json_flat_form),
                cmocka_unit_test(test_json_errors),
                cmocka_unit_test(test_connector_file_detection),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
