/*
 * Unit tests of runtime/core/providers.c: Kafka's config providers (file,
 * directory, env), their worker keys and errors, and the references
 * Kafka's ConfigTransformer pattern finds.
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

#include "core/providers.h"

static char dir[] = "/tmp/rdc-test-providers-XXXXXX";

static void write_file(const char *name, const char *text) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs(text, fp);
        fclose(fp);
}

static rdc_providers_t *providers_of(const char *const *kv,
                                     rdc_config_errors_t *errs) {
        rdc_map_t *props = rdc_map_new();
        for (size_t i = 0; kv[i]; i += 2)
                rdc_map_set(props, kv[i], kv[i + 1]);
        rdc_providers_t *p = rdc_providers_new(props, errs);
        rdc_map_destroy(props);
        return p;
}

static rdc_providers_t *all_providers(void) {
        rdc_config_errors_t errs = {0};
        const char *const kv[] = {
                "config.providers",
                "file, dir ,env",
                "config.providers.file.class",
                "org.apache.kafka.common.config.provider.FileConfigProvider",
                "config.providers.dir.class",
                "DirectoryConfigProvider",
                "config.providers.env.class",
                "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
                "config.providers.env.param.allowlist.pattern",
                "RDC_OK_.*",
                NULL};
        rdc_providers_t *p = providers_of(kv, &errs);
        if (!p)
                fail_msg("%s", errs.cnt ? errs.items[0].message : "?");
        return p;
}

/* Resolves one value under key "k". @returns the value or NULL. */
static char *resolve(const rdc_providers_t *p, const char *value, char *why,
                     size_t why_size) {
        rdc_map_t *cfg = rdc_map_new(), *out;
        const char *bad = NULL;
        char *result = NULL;
        rdc_map_set(cfg, "k", value);
        rdc_map_set(cfg, "plain", "stays");
        out = rdc_providers_resolve(p, cfg, &bad, why, why_size);
        if (out) {
                assert_string_equal(rdc_map_get(out, "plain"), "stays");
                result = strdup(rdc_map_get(out, "k"));
        } else {
                assert_string_equal(bad, "k");
        }
        rdc_map_destroy(out);
        rdc_map_destroy(cfg);
        return result;
}

static void expect(const rdc_providers_t *p, const char *value,
                   const char *want) {
        char why[1024] = "";
        char *got = resolve(p, value, why, sizeof(why));
        if (!got)
                fail_msg("'%s' not resolved: %s", value, why);
        assert_string_equal(got, want);
        free(got);
}

static void expect_error(const rdc_providers_t *p, const char *value,
                         const char *needle) {
        char why[1024] = "";
        char *got = resolve(p, value, why, sizeof(why));
        if (got)
                fail_msg("'%s' resolved to '%s'", value, got);
        if (!strstr(why, needle) || !strstr(why, "configuration k"))
                fail_msg("'%s' not in '%s'", needle, why);
}

static void test_resolves_the_three_providers(void **state) {
        char ref[512];
        (void)state;
        rdc_providers_t *p = all_providers();
        write_file("creds.properties", "user=alice\npassword = s3cr=t\n");
        write_file("token", "abc\ndef");
        setenv("RDC_OK_TOPIC", "orders", 1);

        snprintf(ref, sizeof(ref), "${file:%s/creds.properties:password}", dir);
        expect(p, ref, "s3cr=t");
        /* Several references and text around them. */
        snprintf(ref, sizeof(ref),
                 "u=${file:%s/creds.properties:user};t=${env:RDC_OK_TOPIC}!",
                 dir);
        expect(p, ref, "u=alice;t=orders!");
        snprintf(ref, sizeof(ref), "${dir:%s:token}", dir);
        expect(p, ref, "abc\ndef");
        /* Not references, or not to a configured provider: as they are. */
        expect(p, "${unknown:x:y}", "${unknown:x:y}");
        expect(p, "${nocolon}", "${nocolon}");
        expect(p, "$ {env:RDC_OK_TOPIC}", "$ {env:RDC_OK_TOPIC}");
        expect(p, "${env:RDC_OK_TOPIC", "${env:RDC_OK_TOPIC");
        assert_true(rdc_providers_references(p, "a${env:X}b"));
        assert_false(rdc_providers_references(p, "a${other:X}b"));
        assert_false(rdc_providers_references(p, "plain"));
        rdc_providers_destroy(p);
}

static void test_errors_name_the_key(void **state) {
        char ref[512];
        (void)state;
        rdc_providers_t *p = all_providers();
        snprintf(ref, sizeof(ref), "${file:%s/creds.properties:nokey}", dir);
        expect_error(p, ref, "has no key 'nokey'");
        snprintf(ref, sizeof(ref), "${file:%s/missing.properties:k}", dir);
        expect_error(p, ref, "missing.properties");
        expect_error(p, "${file:relative.properties:k}", "not an absolute");
        expect_error(p, "${file:k}", "needs a file path");
        expect_error(p, "${env:RDC_OK_UNSET_VARIABLE}", "is not set");
        /* Outside allowlist.pattern. */
        setenv("RDC_SECRET", "x", 1);
        expect_error(p, "${env:RDC_SECRET}", "allowlist.pattern");
        snprintf(ref, sizeof(ref), "${dir:%s:../etc}", dir);
        expect_error(p, ref, "not a file name");
        snprintf(ref, sizeof(ref), "${dir:%s:absent}", dir);
        expect_error(p, ref, "not a readable file");
        /* The message shows the reference, never a resolved value. */
        char why[1024];
        snprintf(ref, sizeof(ref),
                 "${file:%s/creds.properties:password}${env:RDC_SECRET}", dir);
        assert_null(resolve(p, ref, why, sizeof(why)));
        assert_null(strstr(why, "s3cr=t"));
        rdc_providers_destroy(p);
}

static void test_allowed_paths(void **state) {
        rdc_config_errors_t errs = {0};
        char allowed[300], ref[600];
        (void)state;
        snprintf(allowed, sizeof(allowed), "/nonexistent/a, %s/sub", dir);
        const char *const kv[] = {"config.providers",
                                  "file",
                                  "config.providers.file.class",
                                  "FileConfigProvider",
                                  "config.providers.file.param.allowed.paths",
                                  allowed,
                                  NULL};
        rdc_providers_t *p = providers_of(kv, &errs);
        assert_non_null(p);
        char sub[300];
        snprintf(sub, sizeof(sub), "%s/sub", dir);
        mkdir(sub, 0700);
        write_file("sub/in.properties", "a=1\n");
        snprintf(ref, sizeof(ref), "${file:%s/sub/in.properties:a}", dir);
        expect(p, ref, "1");
        /* ".." cannot step out of an allowed path. */
        snprintf(ref, sizeof(ref), "${file:%s/sub/../creds.properties:user}",
                 dir);
        expect_error(p, ref, "allowed.paths");
        /* A sibling whose name starts the same is not inside. */
        snprintf(ref, sizeof(ref), "${file:%s/subway/x.properties:a}", dir);
        expect_error(p, ref, "allowed.paths");
        rdc_providers_destroy(p);
        rdc_config_errors_clear(&errs);
}

static void test_worker_keys(void **state) {
        rdc_config_errors_t errs = {0};
        (void)state;
        /* None configured: an empty set, references stay. */
        const char *const none[] = {NULL};
        rdc_providers_t *p = providers_of(none, &errs);
        assert_non_null(p);
        expect(p, "${env:HOME}", "${env:HOME}");
        rdc_providers_destroy(p);

        static const struct {
                const char *kv[9];
                const char *key, *needle;
        } bad[] = {
                {{"config.providers", "file", NULL},
                 "config.providers.file.class",
                 "Missing required configuration"},
                {{"config.providers", "file", "config.providers.file.class",
                  "com.example.VaultConfigProvider", NULL},
                 "config.providers.file.class",
                 "not a config provider"},
                {{"config.providers", "env", "config.providers.env.class",
                  "EnvVarConfigProvider",
                  "config.providers.env.param.allowed.paths", "/x", NULL},
                 "config.providers.env.param.allowed.paths",
                 "is not a setting"},
                {{"config.providers", "file", "config.providers.file.class",
                  "FileConfigProvider",
                  "config.providers.file.param.allowed.paths", "rel/dir", NULL},
                 "config.providers.file.param.allowed.paths",
                 "not an absolute path"},
                {{"config.providers", "env", "config.providers.env.class",
                  "EnvVarConfigProvider",
                  "config.providers.env.param.allowlist.pattern", "(", NULL},
                 "config.providers.env.param.allowlist.pattern",
                 "not a regular expression"},
                {{"config.providers", "a,a", "config.providers.a.class",
                  "FileConfigProvider", NULL},
                 "config.providers",
                 "not a distinct"},
                {{"config.providers.other.class", "FileConfigProvider", NULL},
                 "config.providers.other.class",
                 "is not a setting"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                assert_null(providers_of(bad[i].kv, &errs));
                assert_true(errs.cnt >= 1);
                assert_string_equal(errs.items[0].key, bad[i].key);
                if (!strstr(errs.items[0].message, bad[i].needle))
                        fail_msg("case %zu: '%s' not in '%s'", i, bad[i].needle,
                                 errs.items[0].message);
                rdc_config_errors_clear(&errs);
        }
}

static int setup(void **state) {
        (void)state;
        return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
        char cmd[300];
        (void)state;
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        return system(cmd) == 0 ? 0 : -1;
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_resolves_the_three_providers),
                cmocka_unit_test(test_errors_name_the_key),
                cmocka_unit_test(test_allowed_paths),
                cmocka_unit_test(test_worker_keys),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
