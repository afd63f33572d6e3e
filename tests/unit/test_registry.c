/*
 * Unit tests of the plugin registry (runtime/registry.c): descriptor
 * checks and their messages, rejection of every broken test plugin
 * (tests/plugins), class name resolution, and discovery of a plugin
 * dropped into plugin.path while running. The working test plugins
 * (TestSource, TestSink) are driven through the real host table here,
 * since black-box tests rely on their records and injected failures.
 *
 * The good test plugins are built into RDC_TEST_BROKEN_PLUGIN_DIR with
 * "-good" appended (see tests/plugins/CMakeLists.txt).
 */
#define _XOPEN_SOURCE 700
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugins/host.h"
#include "core/map.h"
#include "storage/offsets.h"
#include "plugins/abi.h"
#include "plugins/registry.h"
#include "test_util.h"

#define BROKEN_DIR  RDC_TEST_BROKEN_PLUGIN_DIR
#define GOOD_DIR    RDC_TEST_BROKEN_PLUGIN_DIR "-good"
#define TEST_SOURCE "com.example.test.TestSource"
#define TEST_SINK   "com.example.test.TestSink"
/* The working test plugins: CrashSource, HeaderEchoConverter,
 * TestPreCommitSink, TestSink, TestSource. */
#define CRASH_SOURCE "com.example.test.CrashSource"
#define GOOD_CNT     5

/* ------------------------------------------------------------ helpers */

/* The e_machine of the test binary itself, which is the host's. */
static uint16_t elf_host_machine(void) {
        Elf64_Ehdr ehdr;
        int fd = open("/proc/self/exe", O_RDONLY);

        assert_true(fd >= 0);
        assert_int_equal(read(fd, &ehdr, sizeof(ehdr)), sizeof(ehdr));
        close(fd);
        return ehdr.e_machine;
}

static void make_temp_dir(char *dir, size_t size) {
        snprintf(dir, size, "/tmp/rdc-test-registry-XXXXXX");
        assert_non_null(mkdtemp(dir));
}

/* Copies src to dst through a temporary name, so dst appears at once
 * (as with `mv` into plugin.path) and always as a new inode. */
static void copy_file(const char *src, const char *dst, size_t pad_to) {
        char tmp[PATH_MAX], buf[8192];
        ssize_t n;
        size_t written = 0;
        int in, out;

        snprintf(tmp, sizeof(tmp), "%s.part", dst);
        in = open(src, O_RDONLY);
        assert_true(in >= 0);
        out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        assert_true(out >= 0);
        while ((n = read(in, buf, sizeof(buf))) > 0) {
                assert_int_equal(write(out, buf, (size_t)n), n);
                written += (size_t)n;
        }
        /* Trailing bytes do not change how an ELF file loads. */
        memset(buf, 0, sizeof(buf));
        for (; written < pad_to; written++)
                assert_int_equal(write(out, buf, 1), 1);
        close(in);
        close(out);
        assert_int_equal(rename(tmp, dst), 0);
}

static off_t file_size(const char *path) {
        struct stat st;

        assert_int_equal(stat(path, &st), 0);
        return st.st_size;
}

static const char *base_name(const char *path) {
        const char *slash = strrchr(path, '/');

        return slash ? slash + 1 : path;
}

/* ------------------------------------------------- descriptor checks */

static rdcp_err_t fake_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                              const rdcp_config_t *cfg, void **statep,
                              char *errstr, size_t errstr_size) {
        (void)ctx;
        (void)host;
        (void)cfg;
        (void)statep;
        (void)errstr;
        (void)errstr_size;
        return RDCP_ERR_FATAL;
}

static rdcp_err_t fake_task_configs(void *conn, uint32_t max_tasks,
                                    rdcp_config_t *const *cfgs,
                                    uint32_t *task_cnt, char *errstr,
                                    size_t errstr_size) {
        (void)conn;
        (void)max_tasks;
        (void)cfgs;
        (void)task_cnt;
        (void)errstr;
        (void)errstr_size;
        return RDCP_ERR_FATAL;
}

static rdcp_err_t fake_poll(void *task, const rdcp_source_record_t **records,
                            size_t *cnt, char *errstr, size_t errstr_size) {
        (void)task;
        (void)records;
        (void)cnt;
        (void)errstr;
        (void)errstr_size;
        return RDCP_ERR_FATAL;
}

static rdcp_err_t fake_put(void *task, const rdcp_sink_record_t *records,
                           size_t cnt, char *errstr, size_t errstr_size) {
        (void)task;
        (void)records;
        (void)cnt;
        (void)errstr;
        (void)errstr_size;
        return RDCP_ERR_FATAL;
}

static rdcp_err_t fake_flush(void *task, char *errstr, size_t errstr_size) {
        (void)task;
        (void)errstr;
        (void)errstr_size;
        return RDCP_ERR_FATAL;
}

static rdcp_err_t fake_from_data(void *conv, const char *topic,
                                 const rdcp_data_t *data, rdcp_buf_t *scratch,
                                 rdcp_bytes_t *out, char *errstr,
                                 size_t errstr_size) {
        (void)conv;
        (void)topic;
        (void)data;
        (void)scratch;
        (void)out;
        (void)errstr;
        (void)errstr_size;
        return RDCP_ERR_DATA;
}

static rdcp_err_t fake_to_data(void *conv, const char *topic, const void *ptr,
                               size_t len, rdcp_arena_t *arena,
                               rdcp_data_t *out, char *errstr,
                               size_t errstr_size) {
        (void)conv;
        (void)topic;
        (void)ptr;
        (void)len;
        (void)arena;
        (void)out;
        (void)errstr;
        (void)errstr_size;
        return RDCP_ERR_DATA;
}

static rdcp_err_t fake_from_header(void *conv, const char *topic,
                                   const char *key, const rdcp_data_t *data,
                                   rdcp_buf_t *scratch, rdcp_bytes_t *out,
                                   char *errstr, size_t errstr_size) {
        (void)conv;
        (void)topic;
        (void)key;
        (void)data;
        (void)scratch;
        (void)out;
        (void)errstr;
        (void)errstr_size;
        return RDCP_ERR_DATA;
}

static rdcp_err_t fake_to_header(void *conv, const char *topic, const char *key,
                                 const void *ptr, size_t len,
                                 rdcp_arena_t *arena, rdcp_data_t *out,
                                 char *errstr, size_t errstr_size) {
        (void)conv;
        (void)topic;
        (void)key;
        (void)ptr;
        (void)len;
        (void)arena;
        (void)out;
        (void)errstr;
        (void)errstr_size;
        return RDCP_ERR_DATA;
}

static void fake_destroy(void *state) {
        (void)state;
}

/* A valid descriptor of each type, with writable vtables to break. */

typedef struct fake_plugin {
        rdcp_descriptor_t desc;
        rdcp_connector_vtable_t connector;
        rdcp_source_task_vtable_t source_task;
        rdcp_sink_task_vtable_t sink_task;
        rdcp_converter_vtable_t converter;
        rdcp_header_converter_vtable_t header_converter;
        rdcp_config_def_t config_def;
} fake_plugin_t;

static void fake_plugin_init(fake_plugin_t *fake, uint32_t type) {
        static const char *const aliases[] = {"Fake", NULL};

        memset(fake, 0, sizeof(*fake));
        fake->desc = (rdcp_descriptor_t){RDCP_DESCRIPTOR_HEADER, .type = type,
                                         .class_name = "com.example.Fake",
                                         .aliases = aliases, .version = "1.0"};
        fake->connector = (rdcp_connector_vtable_t){
                .struct_size = sizeof(fake->connector),
                .create = fake_create,
                .task_configs = fake_task_configs,
                .destroy = fake_destroy};
        fake->source_task = (rdcp_source_task_vtable_t){
                .struct_size = sizeof(fake->source_task),
                .create = fake_create,
                .poll = fake_poll,
                .destroy = fake_destroy};
        fake->sink_task = (rdcp_sink_task_vtable_t){
                .struct_size = sizeof(fake->sink_task),
                .create = fake_create,
                .put = fake_put,
                .flush = fake_flush,
                .destroy = fake_destroy};
        fake->converter = (rdcp_converter_vtable_t){
                .struct_size = sizeof(fake->converter),
                .create = fake_create,
                .from_data = fake_from_data,
                .to_data = fake_to_data,
                .destroy = fake_destroy};
        fake->header_converter = (rdcp_header_converter_vtable_t){
                .struct_size = sizeof(fake->header_converter),
                .create = fake_create,
                .from_header = fake_from_header,
                .to_header = fake_to_header,
                .destroy = fake_destroy};
        fake->config_def = (rdcp_config_def_t){.name = "fake.key",
                                               .type = RDCP_CFG_STRING};
        if (type == RDCP_PLUGIN_CONVERTER) {
                fake->desc.converter = &fake->converter;
        } else {
                fake->desc.connector = &fake->connector;
                if (type == RDCP_PLUGIN_SOURCE)
                        fake->desc.source_task = &fake->source_task;
                else
                        fake->desc.sink_task = &fake->sink_task;
        }
        fake->desc.config_defs = &fake->config_def;
        fake->desc.config_def_cnt = 1;
}

static void test_check_descriptor_accepts_valid(void **state) {
        static const uint32_t types[] = {RDCP_PLUGIN_SOURCE, RDCP_PLUGIN_SINK,
                                         RDCP_PLUGIN_CONVERTER};
        fake_plugin_t fake;
        char errstr[256] = "";
        size_t i;

        (void)state;
        for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
                fake_plugin_init(&fake, types[i]);
                assert_int_equal(rdc_registry_check_descriptor(
                                         &fake.desc, errstr, sizeof(errstr)),
                                 0);
        }
        /* An older minor of the same major would be fine too: only the
         * minor-0 sizes are required, optional functions may be NULL. */
        fake_plugin_init(&fake, RDCP_PLUGIN_SOURCE);
        fake.connector.validate = NULL;
        fake.source_task.commit = NULL;
        fake.desc.aliases = NULL;
        fake.desc.config_def_cnt = 0;
        fake.desc.config_defs = NULL;
        fake.desc.config_def_size = 0;
        assert_int_equal(rdc_registry_check_descriptor(&fake.desc, errstr,
                                                       sizeof(errstr)),
                         0);
}

/* One way to break a descriptor and what the message must say. */
typedef struct breakage {
        uint32_t type;
        void (*apply)(fake_plugin_t *fake);
        const char *expected; /* printf format of the exact message */
        size_t expected_arg;  /* a size the message names, if any */
} breakage_t;

/* One breakage each: break_<name>() does the one thing that is wrong. */
#define BREAKER(name, statement)                                               \
        static void break_##name(fake_plugin_t *fake) {                        \
                statement;                                                     \
        }

BREAKER(magic, fake->desc.magic = 0xdeadbeef)
/* Everything is wrong, but only the first header field may be read. */
static void break_everything(fake_plugin_t *fake) {
        fake->desc.magic = 0x12345678;
        fake->desc.abi_major = 7;
        fake->desc.struct_size = 0;
        fake->desc.class_name = NULL;
}
BREAKER(major, fake->desc.abi_major = RDCP_ABI_MAJOR + 1)
BREAKER(minor, fake->desc.abi_minor = RDCP_ABI_MINOR + 5)
BREAKER(struct_size, fake->desc.struct_size = 8)
BREAKER(type, fake->desc.type = 99)
BREAKER(type_reserved, fake->desc.type = RDCP_PLUGIN_TRANSFORM)
BREAKER(class_name, fake->desc.class_name = NULL)
BREAKER(class_name_path, fake->desc.class_name = "../evil")
BREAKER(version, fake->desc.version = NULL)
BREAKER(config_def_size, fake->desc.config_def_size = 16)
BREAKER(config_defs, fake->desc.config_defs = NULL)
BREAKER(config_def_name, fake->config_def.name = NULL)
BREAKER(connector, fake->desc.connector = NULL)
BREAKER(source_task_size, fake->source_task.struct_size = 8)
BREAKER(source_task_poll, fake->source_task.poll = NULL)
BREAKER(connector_task_configs, fake->connector.task_configs = NULL)
BREAKER(sink_task, fake->desc.sink_task = NULL)
BREAKER(sink_task_flush, fake->sink_task.flush = NULL)
BREAKER(converter, fake->desc.converter = NULL)
BREAKER(converter_to_data, fake->converter.to_data = NULL)
BREAKER(source_record_size,
        fake->desc.source_record_size = 0); /* forgot RDCP_DESCRIPTOR_HEADER */
BREAKER(header_size, fake->desc.header_size = 16)
BREAKER(topic_partition_size, fake->desc.topic_partition_size = 8)
/* A header converter needs the 1.1 descriptor that has its slot. */
static void break_header_converter_old_desc(fake_plugin_t *fake) {
        fake->desc.type = RDCP_PLUGIN_HEADER_CONVERTER;
        fake->desc.struct_size = RDC_SIZE_THROUGH(rdcp_descriptor_t, converter);
}
static void break_header_converter_missing(fake_plugin_t *fake) {
        fake->desc.type = RDCP_PLUGIN_HEADER_CONVERTER;
        fake->desc.converter = NULL;
}
static void break_converter_header_half(fake_plugin_t *fake) {
        fake->header_converter.from_header = NULL;
        fake->desc.header_converter = &fake->header_converter;
}

static void test_check_descriptor_messages(void **state) {
        const breakage_t breakages[] = {
                {RDCP_PLUGIN_SOURCE, break_magic,
                 "magic is 0xdeadbeef, expected 0x52444350", 0},
                {RDCP_PLUGIN_SOURCE, break_everything,
                 "magic is 0x12345678, expected 0x52444350", 0},
                {RDCP_PLUGIN_SOURCE, break_major,
                 "abi_major is 2, host supports 1", 0},
                {RDCP_PLUGIN_SOURCE, break_minor,
                 "abi_minor is 6, host supports up to 1", 0},
                {RDCP_PLUGIN_SOURCE, break_struct_size,
                 "struct_size is 8, at least %zu required",
                 RDC_SIZE_THROUGH(rdcp_descriptor_t, converter)},
                {RDCP_PLUGIN_SOURCE, break_type,
                 "type is 99, host supports 1 (source), 2 (sink), 3 "
                 "(converter) and 4 (header converter, since ABI 1.1)",
                 0},
                {RDCP_PLUGIN_SOURCE, break_type_reserved,
                 "type is 5, host supports 1 (source), 2 (sink), 3 "
                 "(converter) and 4 (header converter, since ABI 1.1)",
                 0},
                {RDCP_PLUGIN_CONVERTER, break_header_converter_old_desc,
                 "type is 4, host supports 1 (source), 2 (sink), 3 "
                 "(converter) and 4 (header converter, since ABI 1.1)",
                 0},
                {RDCP_PLUGIN_CONVERTER, break_header_converter_missing,
                 "header_converter vtable is missing", 0},
                {RDCP_PLUGIN_CONVERTER, break_converter_header_half,
                 "header_converter.from_header is NULL but required", 0},
                {RDCP_PLUGIN_SOURCE, break_source_record_size,
                 "source_record_size is 0, at least %zu required",
                 RDC_SIZE_THROUGH(rdcp_source_record_t, source_offset)},
                {RDCP_PLUGIN_SINK, break_header_size,
                 "header_size is 16, at least %zu required",
                 RDC_SIZE_THROUGH(rdcp_header_t, value_len)},
                {RDCP_PLUGIN_SINK, break_topic_partition_size,
                 "topic_partition_size is 8, at least %zu required",
                 sizeof(rdcp_topic_partition_t)},
                {RDCP_PLUGIN_SOURCE, break_class_name, "class_name is missing",
                 0},
                {RDCP_PLUGIN_SOURCE, break_class_name_path,
                 "class_name \"../evil\" contains '/' or \"..\"", 0},
                {RDCP_PLUGIN_SOURCE, break_version,
                 "version of com.example.Fake is missing", 0},
                {RDCP_PLUGIN_SOURCE, break_config_def_size,
                 "config_def_size is 16, at least %zu required",
                 sizeof(rdcp_config_def_t)},
                {RDCP_PLUGIN_SOURCE, break_config_defs,
                 "config_defs is NULL, config_def_cnt is 1", 0},
                {RDCP_PLUGIN_SOURCE, break_config_def_name,
                 "config_defs[0].name is missing", 0},
                {RDCP_PLUGIN_SOURCE, break_connector,
                 "connector vtable is missing", 0},
                {RDCP_PLUGIN_SOURCE, break_source_task_size,
                 "source_task.struct_size is 8, at least %zu required",
                 RDC_SIZE_THROUGH(rdcp_source_task_vtable_t, destroy)},
                {RDCP_PLUGIN_SOURCE, break_source_task_poll,
                 "source_task.poll is NULL but required", 0},
                {RDCP_PLUGIN_SINK, break_connector_task_configs,
                 "connector.task_configs is NULL but required", 0},
                {RDCP_PLUGIN_SINK, break_sink_task,
                 "sink_task vtable is missing", 0},
                {RDCP_PLUGIN_SINK, break_sink_task_flush,
                 "sink_task.flush is NULL but required", 0},
                {RDCP_PLUGIN_CONVERTER, break_converter,
                 "converter vtable is missing", 0},
                {RDCP_PLUGIN_CONVERTER, break_converter_to_data,
                 "converter.to_data is NULL but required", 0},
        };
        fake_plugin_t fake;
        char errstr[256], expected[256];
        size_t i;

        (void)state;
        /* The literal numbers above assume ABI 1.1. */
        assert_int_equal(RDCP_ABI_MAJOR, 1);
        assert_int_equal(RDCP_ABI_MINOR, 1);
        for (i = 0; i < sizeof(breakages) / sizeof(breakages[0]); i++) {
                fake_plugin_init(&fake, breakages[i].type);
                breakages[i].apply(&fake);
                snprintf(expected, sizeof(expected), breakages[i].expected,
                         breakages[i].expected_arg);
                errstr[0] = '\0';
                assert_int_equal(rdc_registry_check_descriptor(
                                         &fake.desc, errstr, sizeof(errstr)),
                                 -1);
                assert_string_equal(errstr, expected);
        }
        assert_int_equal(
                rdc_registry_check_descriptor(NULL, errstr, sizeof(errstr)),
                -1);
        /* A tiny errstr is truncated, never overrun. */
        fake_plugin_init(&fake, RDCP_PLUGIN_SOURCE);
        break_magic(&fake);
        assert_int_equal(rdc_registry_check_descriptor(&fake.desc, errstr, 6),
                         -1);
        assert_string_equal(errstr, "magic");
}

/* --------------------------------------------------- broken plugins */

typedef struct rejection_list {
        size_t cnt;
        char files[32][64];
        char reasons[32][512];
} rejection_list_t;

static void collect_rejection(void *opaque, const char *path,
                              const char *reason) {
        rejection_list_t *list = opaque;

        assert_true(list->cnt < 32);
        snprintf(list->files[list->cnt], sizeof(list->files[0]), "%s",
                 base_name(path));
        snprintf(list->reasons[list->cnt], sizeof(list->reasons[0]), "%s",
                 reason);
        list->cnt++;
}

static const char *rejection_reason(const rejection_list_t *list,
                                    const char *file) {
        size_t i;

        for (i = 0; i < list->cnt; i++)
                if (!strcmp(list->files[i], file))
                        return list->reasons[i];
        return NULL;
}

static void test_broken_plugins_rejected(void **state) {
        static const struct {
                const char *file;
                const char *reason; /* substring */
        } expected[] = {
                {"bad_magic.so", "magic is 0xdeadbeef, expected 0x52444350"},
                {"newer_minor.so", "abi_minor is 6, host supports up to 1"},
                {"other_major.so", "abi_major is 2, host supports 1"},
                {"small_struct.so", "struct_size is 8, at least "},
                {"short_vtable.so", "source_task.struct_size is 8, at least "},
                {"no_entry.so", "no entry symbol rdconnect_plugin_entry"},
                {"notaplugin.so", "not a loadable shared object: "},
                {"null_entry.so",
                 "entry function rdconnect_plugin_entry returned NULL"},
                {"dup_source.so",
                 "duplicate: class " TEST_SOURCE " is already provided by "},
                {"dup_source_twin.so",
                 "duplicate: class " TEST_SOURCE " is already provided by "},
        };
        static const char *const broken_classes[] = {
                "com.example.broken.BadMagic",
                "com.example.broken.NewerMinor",
                "com.example.broken.OtherMajor",
                "com.example.broken.SmallStruct",
                "com.example.broken.ShortVtable",
                "ShortVtable"};
        rejection_list_t rejections = {0};
        const rdc_plugin_t *plugin;
        char errstr[1024], good_source[PATH_MAX];
        rdc_registry_t *reg;
        const char *reason;
        size_t i;

        (void)state;
        assert_non_null(realpath(GOOD_DIR "/test_source.so", good_source));
        /* Good plugins first: they win over the duplicate. */
        reg = rdc_registry_new(NULL, GOOD_DIR "," BROKEN_DIR);
        assert_non_null(reg);
        assert_int_equal(rdc_registry_scan(reg), GOOD_CNT);
        assert_int_equal(
                rdc_registry_rejections(reg, collect_rejection, &rejections),
                sizeof(expected) / sizeof(expected[0]));
        for (i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
                reason = rejection_reason(&rejections, expected[i].file);
                if (!reason || !strstr(reason, expected[i].reason))
                        fail_msg("%s: expected \"%s\", got \"%s\"",
                                 expected[i].file, expected[i].reason,
                                 reason ? reason : "(not rejected)");
        }
        /* The duplicate message names the file that won. */
        reason = rejection_reason(&rejections, "dup_source.so");
        assert_non_null(strstr(reason, good_source));

        for (i = 0; i < sizeof(broken_classes) / sizeof(broken_classes[0]); i++)
                assert_null(rdc_registry_find(reg, broken_classes[i], 0, errstr,
                                              sizeof(errstr)));
        plugin = rdc_registry_find(reg, TEST_SOURCE, RDCP_PLUGIN_SOURCE, errstr,
                                   sizeof(errstr));
        assert_non_null(plugin);
        assert_string_equal(plugin->path, good_source);

        /* Rescans (explicit, and the ones find() misses triggered) added
         * nothing and kept each rejection once. */
        assert_int_equal(rdc_registry_scan(reg), 0);
        assert_int_equal(rdc_registry_rejections(reg, NULL, NULL),
                         sizeof(expected) / sizeof(expected[0]));
        rdc_registry_destroy(reg);

        /* On its own the broken directory holds a duplicate pair: the
         * first file wins, the twin is rejected naming it. */
        memset(&rejections, 0, sizeof(rejections));
        reg = rdc_registry_new(NULL, BROKEN_DIR);
        assert_non_null(reg);
        assert_int_equal(rdc_registry_scan(reg), 1);
        rdc_registry_rejections(reg, collect_rejection, &rejections);
        assert_null(rejection_reason(&rejections, "dup_source.so"));
        reason = rejection_reason(&rejections, "dup_source_twin.so");
        assert_non_null(reason);
        assert_non_null(strstr(reason, "/dup_source.so"));
        rdc_registry_destroy(reg);
}

/* A rejected file is not loaded again until its size or mtime changes. */
static void test_rejected_file_retried_only_when_changed(void **state) {
        char dir[64], plugin_path[PATH_MAX], errstr[512];
        struct timespec times[2];
        rdc_registry_t *reg;
        struct stat st;
        off_t size;

        (void)state;
        make_temp_dir(dir, sizeof(dir));
        snprintf(plugin_path, sizeof(plugin_path), "%s/plugin.so", dir);
        /* Both versions get the same size, so only mtime tells them apart. */
        size = file_size(BROKEN_DIR "/bad_magic.so");
        if (file_size(GOOD_DIR "/test_source.so") > size)
                size = file_size(GOOD_DIR "/test_source.so");
        copy_file(BROKEN_DIR "/bad_magic.so", plugin_path, (size_t)size);
        assert_int_equal(stat(plugin_path, &st), 0);

        reg = rdc_registry_new(NULL, dir);
        assert_non_null(reg);
        assert_int_equal(rdc_registry_scan(reg), 0);
        assert_int_equal(rdc_registry_rejections(reg, NULL, NULL), 1);

        /* Swap in a good plugin but keep size and mtime: still the same
         * rejected file as far as the registry can tell. */
        copy_file(GOOD_DIR "/test_source.so", plugin_path, (size_t)size);
        times[0] = st.st_atim;
        times[1] = st.st_mtim;
        assert_int_equal(utimensat(AT_FDCWD, plugin_path, times, 0), 0);
        assert_null(rdc_registry_find(reg, "TestSource", 0, errstr,
                                      sizeof(errstr)));
        assert_int_equal(rdc_registry_rejections(reg, NULL, NULL), 1);

        /* A new mtime: retried, accepted, and no longer listed rejected. */
        times[1].tv_sec -= 10;
        assert_int_equal(utimensat(AT_FDCWD, plugin_path, times, 0), 0);
        assert_non_null(rdc_registry_find(reg, "TestSource", 0, errstr,
                                          sizeof(errstr)));
        assert_int_equal(rdc_registry_rejections(reg, NULL, NULL), 0);

        rdc_registry_destroy(reg);
        tu_remove_tree(dir);
}

/* ---------------------------------------------- ELF checks (dlopen) */

/* The ELF header of a real plugin, and where its parts end. */
typedef struct elf_layout {
        Elf64_Ehdr ehdr;
        off_t size;
        off_t phdrs_end;
        size_t load_cnt;
        off_t load_mid[16]; /* a byte inside each PT_LOAD past phdrs_end */
} elf_layout_t;

static void elf_layout_read(const char *path, elf_layout_t *layout) {
        Elf64_Phdr phdr;
        int fd = open(path, O_RDONLY);
        uint16_t i;

        assert_true(fd >= 0);
        memset(layout, 0, sizeof(*layout));
        layout->size = file_size(path);
        assert_int_equal(pread(fd, &layout->ehdr, sizeof(layout->ehdr), 0),
                         sizeof(layout->ehdr));
        layout->phdrs_end = (off_t)(layout->ehdr.e_phoff +
                                    (uint64_t)layout->ehdr.e_phnum *
                                            layout->ehdr.e_phentsize);
        for (i = 0; i < layout->ehdr.e_phnum && layout->load_cnt < 16; i++) {
                assert_int_equal(pread(fd, &phdr, sizeof(phdr),
                                       (off_t)(layout->ehdr.e_phoff +
                                               (uint64_t)i * sizeof(phdr))),
                                 sizeof(phdr));
                off_t mid = (off_t)(phdr.p_offset + phdr.p_filesz / 2);
                if (phdr.p_type == PT_LOAD && phdr.p_filesz > 1 &&
                    mid > layout->phdrs_end)
                        layout->load_mid[layout->load_cnt++] = mid;
        }
        close(fd);
}

/* Writes the first len bytes of src to dst. */
static void copy_prefix(const char *src, const char *dst, off_t len) {
        char tmp[600];

        snprintf(tmp, sizeof(tmp), "%s.tmp", dst);
        copy_file(src, tmp, 0);
        assert_int_equal(truncate(tmp, len), 0);
        assert_int_equal(rename(tmp, dst), 0);
}

/* Writes src to dst with bytes at offset replaced by patch. */
static void copy_patched(const char *src, const char *dst, off_t offset,
                         const void *patch, size_t len) {
        int fd;

        copy_file(src, dst, 0);
        fd = open(dst, O_WRONLY);
        assert_true(fd >= 0);
        assert_int_equal(pwrite(fd, patch, len, offset), (ssize_t)len);
        close(fd);
}

/* Truncated or foreign .so files are rejected before dlopen, which would
 * otherwise map pages past the end of the file and die of SIGBUS while
 * relocating them. The test process surviving is half of the check. */
static void test_truncated_and_foreign_elf_rejected(void **state) {
        const char *src = GOOD_DIR "/test_sink.so";
        struct {
                char file[64];
                char reason[128];
        } cases[32];
        rejection_list_t rejections = {0};
        char dir[64], path[512];
        elf_layout_t elf;
        size_t cnt = 0, i;
        uint16_t machine =
                elf_host_machine() == EM_AARCH64 ? EM_X86_64 : EM_AARCH64;
        uint16_t exec_type = ET_EXEC;
        unsigned char class32 = ELFCLASS32;
        rdc_registry_t *reg;

        (void)state;
        elf_layout_read(src, &elf);
        assert_true(elf.load_cnt > 0);
        make_temp_dir(dir, sizeof(dir));
#define ADD_CASE(reason_)                                                      \
        do {                                                                   \
                assert_true(cnt < 32);                                         \
                snprintf(cases[cnt].file, sizeof(cases[cnt].file),             \
                         "case%02zu.so", cnt);                                 \
                snprintf(cases[cnt].reason, sizeof(cases[cnt].reason), "%s",   \
                         reason_);                                             \
                snprintf(path, sizeof(path), "%s/case%02zu.so", dir, cnt);     \
                cnt++;                                                         \
        } while (0)

        /* Inside the ELF header. */
        ADD_CASE("shorter than an ELF header");
        copy_prefix(src, path, 0);
        ADD_CASE("shorter than an ELF header");
        copy_prefix(src, path, 20);
        ADD_CASE("shorter than an ELF header");
        copy_prefix(src, path, (off_t)sizeof(Elf64_Ehdr) - 1);
        /* Inside the program headers. */
        ADD_CASE("program headers");
        copy_prefix(src, path, (off_t)elf.ehdr.e_phoff + 10);
        ADD_CASE("program headers");
        copy_prefix(src, path, elf.phdrs_end - 1);
        /* Inside each loadable segment. */
        for (i = 0; i < elf.load_cnt; i++) {
                ADD_CASE("PT_LOAD");
                copy_prefix(src, path, elf.load_mid[i]);
        }
        /* Only the section headers at the end are cut. */
        ADD_CASE("section headers");
        copy_prefix(src, path, elf.size - 1);
        /* Whole, but not for this host. */
        ADD_CASE("machine is");
        copy_patched(src, path, offsetof(Elf64_Ehdr, e_machine), &machine,
                     sizeof(machine));
        ADD_CASE("class is 32-bit");
        copy_patched(src, path, EI_CLASS, &class32, 1);
        ADD_CASE("ET_DYN");
        copy_patched(src, path, offsetof(Elf64_Ehdr, e_type), &exec_type,
                     sizeof(exec_type));
#undef ADD_CASE
        /* A good plugin next to them still loads. */
        snprintf(path, sizeof(path), "%s/zz_good.so", dir);
        copy_file(GOOD_DIR "/test_source.so", path, 0);

        reg = rdc_registry_new(NULL, dir);
        assert_non_null(reg);
        assert_int_equal(rdc_registry_scan(reg), 1);
        assert_int_equal(
                rdc_registry_rejections(reg, collect_rejection, &rejections),
                cnt);
        for (i = 0; i < cnt; i++) {
                const char *reason =
                        rejection_reason(&rejections, cases[i].file);

                if (!reason || !strstr(reason, cases[i].reason) ||
                    !strstr(reason, "not a loadable shared object: "))
                        fail_msg("%s: expected \"%s\", got \"%s\"",
                                 cases[i].file, cases[i].reason,
                                 reason ? reason : "(not rejected)");
        }
        assert_non_null(rdc_registry_find(reg, TEST_SOURCE, RDCP_PLUGIN_SOURCE,
                                          path, sizeof(path)));
        rdc_registry_destroy(reg);
        tu_remove_tree(dir);
}

/* ------------------------------------------------------- resolution */

static void test_find_resolves_names(void **state) {
        const rdc_plugin_t *source, *sink;
        char errstr[1024];
        rdc_registry_t *reg;

        (void)state;
        reg = rdc_registry_new(NULL, GOOD_DIR);
        assert_non_null(reg);

        /* No explicit scan: find() scans on a miss. */
        source = rdc_registry_find(reg, TEST_SOURCE, RDCP_PLUGIN_SOURCE, errstr,
                                   sizeof(errstr));
        assert_non_null(source);
        assert_string_equal(source->desc->class_name, TEST_SOURCE);
        assert_ptr_equal(
                rdc_registry_find(reg, "TestSource", 0, errstr, sizeof(errstr)),
                source);
        assert_ptr_equal(rdc_registry_find(reg, "TestSource",
                                           RDC_PLUGIN_ANY_CONNECTOR, errstr,
                                           sizeof(errstr)),
                         source);

        /* TestSink: short name and alias are different names. */
        sink = rdc_registry_find(reg, "TestSink", RDCP_PLUGIN_SINK, errstr,
                                 sizeof(errstr));
        assert_non_null(sink);
        assert_string_equal(sink->desc->class_name, TEST_SINK);
        assert_ptr_equal(rdc_registry_find(reg, "TestDiscardSink",
                                           RDCP_PLUGIN_SINK, errstr,
                                           sizeof(errstr)),
                         sink);
        assert_ptr_equal(rdc_registry_find(reg, TEST_SINK,
                                           RDC_PLUGIN_ANY_CONNECTOR, errstr,
                                           sizeof(errstr)),
                         sink);

        /* Only whole names match. */
        assert_null(rdc_registry_find(reg, "Sink", 0, errstr, sizeof(errstr)));
        assert_null(rdc_registry_find(reg, "test.TestSink", 0, errstr,
                                      sizeof(errstr)));
        assert_null(
                rdc_registry_find(reg, "testsink", 0, errstr, sizeof(errstr)));

        /* The wrong type: Kafka Connect's message, listing that type. */
        assert_null(rdc_registry_find(reg, "TestSource", RDCP_PLUGIN_SINK,
                                      errstr, sizeof(errstr)));
        assert_string_equal(errstr,
                            "Failed to find any class that implements sink "
                            "connector and which name matches TestSource, "
                            "available sink connectors are: "
                            "com.example.test.TestPreCommitSink, " TEST_SINK
                            " (" TEST_SOURCE " is a source connector)");
        assert_null(rdc_registry_find(reg, "Nope", RDCP_PLUGIN_CONVERTER,
                                      errstr, sizeof(errstr)));
        assert_string_equal(errstr, "Failed to find any class that implements "
                                    "converter and which name matches Nope, "
                                    "available converters are: "
                                    "com.example.test.HeaderEchoConverter");
        /* Listed in file name order: crash_source.so, precommit_sink.so,
         * test_sink.so, test_source.so. */
        assert_null(rdc_registry_find(reg, "Nope", RDC_PLUGIN_ANY_CONNECTOR,
                                      errstr, sizeof(errstr)));
        assert_string_equal(errstr, "Failed to find any class that implements "
                                    "connector and which name matches Nope, "
                                    "available connectors are: " CRASH_SOURCE
                                    ", com.example.test.TestPreCommitSink"
                                    ", " TEST_SINK ", " TEST_SOURCE);
        /* A short errstr is truncated, never overrun. */
        assert_null(rdc_registry_find(reg, "Nope", 0, errstr, 10));
        assert_string_equal(errstr, "Failed to");
        assert_null(rdc_registry_find(reg, "TestSource", 42, errstr,
                                      sizeof(errstr)));
        assert_non_null(strstr(errstr, "Unknown plugin type 42"));
        assert_null(rdc_registry_find(reg, "", 0, errstr, sizeof(errstr)));
        rdc_registry_destroy(reg);
}

static void test_find_refuses_paths(void **state) {
        static const char *const names[] = {
                "../test-plugins/bad_magic", BROKEN_DIR "/dup_source.so",
                "com.example..TestSource", "TestSource/", ".."};
        char errstr[512];
        rdc_registry_t *reg;
        size_t i;

        (void)state;
        reg = rdc_registry_new(NULL, GOOD_DIR "," BROKEN_DIR);
        assert_non_null(reg);
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
                errstr[0] = '\0';
                assert_null(rdc_registry_find(reg, names[i], 0, errstr,
                                              sizeof(errstr)));
                assert_non_null(strstr(errstr, "are not allowed"));
                assert_non_null(strstr(errstr, names[i]));
        }
        /* Refused before any scan: nothing was loaded or even looked at. */
        assert_int_equal(rdc_registry_list(reg, NULL, 0), 0);
        assert_int_equal(rdc_registry_rejections(reg, NULL, NULL), 0);
        rdc_registry_destroy(reg);
}

/* ------------------------------------------------------- discovery */

static void test_plugin_dropped_in_is_found(void **state) {
        char dir[64], path[PATH_MAX], plugin_path[PATH_MAX + 64];
        const rdc_plugin_t *plugin;
        char errstr[512];
        rdc_registry_t *reg;

        (void)state;
        make_temp_dir(dir, sizeof(dir));
        /* Blanks trimmed, empty entries skipped, a missing directory only
         * warned about. */
        snprintf(plugin_path, sizeof(plugin_path),
                 " , %s ,, /nonexistent/rdc-plugins ", dir);
        reg = rdc_registry_new(NULL, plugin_path);
        assert_non_null(reg);
        assert_int_equal(rdc_registry_scan(reg), 0);
        assert_null(rdc_registry_find(reg, "TestSource", 0, errstr,
                                      sizeof(errstr)));
        assert_non_null(strstr(errstr, "available plugins are: (none)"));

        /* One level of subdirectories is searched, not two. */
        snprintf(path, sizeof(path), "%s/test-source", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/test-source/deeper", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/test-source/deeper/test_sink.so", dir);
        copy_file(GOOD_DIR "/test_sink.so", path, 0);
        snprintf(path, sizeof(path), "%s/test-source/test_source.so", dir);
        copy_file(GOOD_DIR "/test_source.so", path, 0);

        plugin = rdc_registry_find(reg, "TestSource", RDCP_PLUGIN_SOURCE,
                                   errstr, sizeof(errstr));
        assert_non_null(plugin);
        assert_string_equal(base_name(plugin->path), "test_source.so");
        assert_non_null(strstr(plugin->path, "/test-source/"));
        assert_null(
                rdc_registry_find(reg, "TestSink", 0, errstr, sizeof(errstr)));

        /* Files not named *.so are not candidates. */
        snprintf(path, sizeof(path), "%s/test_sink.so.disabled", dir);
        copy_file(GOOD_DIR "/test_sink.so", path, 0);
        assert_int_equal(rdc_registry_scan(reg), 0);
        rdc_registry_destroy(reg);
        tu_remove_tree(dir);
}

static void test_same_file_loaded_once(void **state) {
        char dir[64], link_path[PATH_MAX], plugin_path[PATH_MAX + 64];
        const rdc_plugin_t *plugins[5];
        rdc_registry_t *reg;

        (void)state;
        make_temp_dir(dir, sizeof(dir));
        snprintf(link_path, sizeof(link_path), "%s/link.so", dir);
        assert_int_equal(symlink(GOOD_DIR "/test_source.so", link_path), 0);
        snprintf(plugin_path, sizeof(plugin_path), "%s,%s/,%s", GOOD_DIR,
                 GOOD_DIR, dir);
        reg = rdc_registry_new(GOOD_DIR, plugin_path);
        assert_non_null(reg);
        assert_int_equal(rdc_registry_scan(reg), GOOD_CNT);
        assert_int_equal(rdc_registry_rejections(reg, NULL, NULL), 0);

        /* The list is a snapshot in load order (sorted file names). */
        assert_int_equal(rdc_registry_list(reg, plugins, 1), GOOD_CNT);
        assert_string_equal(plugins[0]->desc->class_name, CRASH_SOURCE);
        assert_int_equal(rdc_registry_list(reg, plugins, 5), GOOD_CNT);
        assert_string_equal(plugins[1]->desc->class_name,
                            "com.example.test.HeaderEchoConverter");
        assert_string_equal(plugins[2]->desc->class_name,
                            "com.example.test.TestPreCommitSink");
        assert_string_equal(plugins[3]->desc->class_name, TEST_SINK);
        assert_string_equal(plugins[4]->desc->class_name, TEST_SOURCE);
        rdc_registry_destroy(reg);
        tu_remove_tree(dir);
}

/* ------------------------------------------------------ concurrency */

static void *find_repeatedly(void *opaque) {
        rdc_registry_t *reg = opaque;
        const char *names[] = {"TestSource", TEST_SINK, "NotThere"};
        char errstr[256];
        int i;

        for (i = 0; i < 150; i++) {
                const rdc_plugin_t *plugin = rdc_registry_find(
                        reg, names[i % 3], 0, errstr, sizeof(errstr));
                if ((plugin == NULL) != (i % 3 == 2))
                        return (void *)1;
        }
        return NULL;
}

static void test_concurrent_finds(void **state) {
        pthread_t threads[4];
        rdc_registry_t *reg;
        void *failed;
        int i;

        (void)state;
        reg = rdc_registry_new(NULL, GOOD_DIR "," BROKEN_DIR);
        assert_non_null(reg);
        for (i = 0; i < 4; i++)
                assert_int_equal(
                        pthread_create(&threads[i], NULL, find_repeatedly, reg),
                        0);
        for (i = 0; i < 4; i++) {
                assert_int_equal(pthread_join(threads[i], &failed), 0);
                assert_null(failed);
        }
        assert_int_equal(rdc_registry_list(reg, NULL, 0), GOOD_CNT);
        rdc_registry_destroy(reg);
}

/* ------------------------------------------- the working test plugins */

/* A task config plus the instance context a task runs with. */
typedef struct plugin_run {
        rdc_registry_t *reg;
        const rdcp_descriptor_t *desc;
        rdc_map_t *cfg;
        rdcp_ctx_t ctx;
        rdc_offset_store_t *offsets;
        char errstr[512];
} plugin_run_t;

/* key=value pairs, NULL-terminated. */
static void plugin_run_init(plugin_run_t *run, const char *class_name,
                            const char *const *settings) {
        const rdc_plugin_t *plugin;
        size_t i;

        memset(run, 0, sizeof(*run));
        run->reg = rdc_registry_new(NULL, GOOD_DIR);
        assert_non_null(run->reg);
        plugin = rdc_registry_find(run->reg, class_name, 0, run->errstr,
                                   sizeof(run->errstr));
        assert_non_null(plugin);
        run->desc = plugin->desc;
        run->cfg = rdc_map_new();
        assert_non_null(run->cfg);
        for (i = 0; settings[i]; i += 2)
                assert_int_equal(
                        rdc_map_set(run->cfg, settings[i], settings[i + 1]), 0);
        run->offsets = rdc_offset_store_memory_new();
        assert_non_null(run->offsets);
        assert_int_equal(rdc_ctx_init(&run->ctx, "test-conn", 0, class_name,
                                      run->offsets),
                         0);
}

static void plugin_run_destroy(plugin_run_t *run) {
        rdc_ctx_destroy(&run->ctx);
        rdc_offset_store_destroy(run->offsets);
        rdc_map_destroy(run->cfg);
        rdc_registry_destroy(run->reg);
}

static rdcp_err_t plugin_run_create_task(plugin_run_t *run, void **taskp) {
        const rdcp_config_t *cfg = rdc_map_as_cconfig(run->cfg);

        run->errstr[0] = '\0';
        if (run->desc->type == RDCP_PLUGIN_SOURCE)
                return run->desc->source_task->create(&run->ctx, &rdc_host, cfg,
                                                      taskp, run->errstr,
                                                      sizeof(run->errstr));
        return run->desc->sink_task->create(&run->ctx, &rdc_host, cfg, taskp,
                                            run->errstr, sizeof(run->errstr));
}

static size_t source_poll(plugin_run_t *run, void *task,
                          const rdcp_source_record_t **records) {
        size_t cnt = 99;

        assert_int_equal(run->desc->source_task->poll(task, records, &cnt,
                                                      run->errstr,
                                                      sizeof(run->errstr)),
                         RDCP_OK);
        return cnt;
}

static void assert_data_string(const rdcp_data_t *data, const char *text) {
        assert_int_equal(data->kind, RDCP_DATA_STRING);
        assert_null(data->schema);
        assert_int_equal(data->u.bytes.len, strlen(text));
        assert_memory_equal(data->u.bytes.ptr, text, strlen(text));
}

static void test_test_source_records(void **state) {
        static const char *const settings[] = {
                "topic", "t1", "test.records", "25", "test.batch.size",
                "10",    NULL};
        const rdcp_source_record_t *records;
        plugin_run_t run;
        void *task = NULL;

        (void)state;
        plugin_run_init(&run, "TestSource", settings);
        assert_int_equal(plugin_run_create_task(&run, &task), RDCP_OK);
        assert_int_equal(source_poll(&run, task, &records), 10);
        assert_string_equal(records[0].topic, "t1");
        assert_int_equal(records[0].partition, -1);
        assert_data_string(&records[0].key, "0-0");
        assert_data_string(&records[0].value, "record-0-0");
        assert_string_equal(records[0].source_partition, "{\"task\":0}");
        assert_string_equal(records[9].source_offset, "{\"position\":10}");
        assert_int_equal(source_poll(&run, task, &records), 10);
        assert_int_equal(source_poll(&run, task, &records), 5);
        assert_data_string(&records[4].value, "record-0-24");
        /* Done: idle polls (stopped, so the idle wait returns at once). */
        rdc_ctx_stop(&run.ctx);
        assert_int_equal(source_poll(&run, task, &records), 0);
        run.desc->source_task->destroy(task);

        /* A new task resumes after the committed offset. */
        assert_int_equal(rdc_offset_store_put(run.offsets, "test-conn",
                                              "{\"task\":0}",
                                              "{\"position\":20}"),
                         0);
        assert_int_equal(plugin_run_create_task(&run, &task), RDCP_OK);
        assert_int_equal(source_poll(&run, task, &records), 5);
        assert_data_string(&records[0].key, "0-20");
        run.desc->source_task->destroy(task);
        plugin_run_destroy(&run);
}

static void test_test_source_failures(void **state) {
        static const char *const fail_poll[] = {"topic",
                                                "t1",
                                                "test.batch.size",
                                                "1",
                                                "test.fail.on",
                                                "poll",
                                                "test.fail.after",
                                                "2",
                                                NULL};
        static const char *const fail_create[] = {"topic", "t1", "test.fail.on",
                                                  "create", NULL};
        static const char *const fail_connector[] = {
                "topic", "t1", "test.fail.on", "connector", NULL};
        static const char *const no_topic[] = {NULL};
        const rdcp_source_record_t *records;
        rdcp_config_t *task_cfgs[3] = {NULL};
        uint32_t task_cnt = 0;
        plugin_run_t run;
        void *task = NULL, *conn = NULL;
        size_t cnt;

        (void)state;
        plugin_run_init(&run, "TestSource", fail_poll);
        assert_int_equal(plugin_run_create_task(&run, &task), RDCP_OK);
        assert_int_equal(source_poll(&run, task, &records), 1);
        assert_int_equal(source_poll(&run, task, &records), 1);
        assert_int_equal(run.desc->source_task->poll(task, &records, &cnt,
                                                     run.errstr,
                                                     sizeof(run.errstr)),
                         RDCP_ERR_FATAL);
        assert_non_null(strstr(run.errstr, "injected failure in poll"));
        run.desc->source_task->destroy(task);
        /* The connector itself is fine and splits into max_tasks. */
        assert_int_equal(
                run.desc->connector->create(&run.ctx, &rdc_host,
                                            rdc_map_as_cconfig(run.cfg), &conn,
                                            run.errstr, sizeof(run.errstr)),
                RDCP_OK);
        assert_int_equal(run.desc->connector->task_configs(
                                 conn, 3, task_cfgs, &task_cnt, run.errstr,
                                 sizeof(run.errstr)),
                         RDCP_OK);
        assert_int_equal(task_cnt, 3);
        run.desc->connector->destroy(conn);
        plugin_run_destroy(&run);

        plugin_run_init(&run, "TestSource", fail_create);
        assert_int_equal(plugin_run_create_task(&run, &task), RDCP_ERR_FATAL);
        assert_non_null(strstr(run.errstr, "injected failure in create"));
        plugin_run_destroy(&run);

        plugin_run_init(&run, "TestSource", fail_connector);
        assert_int_equal(
                run.desc->connector->create(&run.ctx, &rdc_host,
                                            rdc_map_as_cconfig(run.cfg), &conn,
                                            run.errstr, sizeof(run.errstr)),
                RDCP_ERR_FATAL);
        assert_non_null(strstr(run.errstr, "injected failure in connector"));
        plugin_run_destroy(&run);

        plugin_run_init(&run, "TestSource", no_topic);
        assert_int_equal(plugin_run_create_task(&run, &task), RDCP_ERR_CONFIG);
        assert_string_equal(run.errstr, "topic is required");
        plugin_run_destroy(&run);
}

static void test_test_sink_failures(void **state) {
        static const char *const fail_flush[] = {"test.fail.on", "flush",
                                                 "test.fail.after", "1", NULL};
        static const char *const fail_put[] = {"test.fail.on", "put", NULL};
        static const char *const bad_point[] = {"test.fail.on", "later", NULL};
        rdcp_sink_record_t records[2];
        plugin_run_t run;
        void *task = NULL;

        (void)state;
        memset(records, 0, sizeof(records));
        records[0].topic = records[1].topic = "t1";
        plugin_run_init(&run, "TestDiscardSink", fail_flush);
        assert_int_equal(plugin_run_create_task(&run, &task), RDCP_OK);
        assert_int_equal(run.desc->sink_task->put(task, records, 2, run.errstr,
                                                  sizeof(run.errstr)),
                         RDCP_OK);
        assert_int_equal(run.desc->sink_task->flush(task, run.errstr,
                                                    sizeof(run.errstr)),
                         RDCP_OK);
        assert_int_equal(run.desc->sink_task->flush(task, run.errstr,
                                                    sizeof(run.errstr)),
                         RDCP_ERR_FATAL);
        assert_non_null(strstr(run.errstr, "injected failure in flush"));
        run.desc->sink_task->destroy(task);
        plugin_run_destroy(&run);

        plugin_run_init(&run, "TestSink", fail_put);
        assert_int_equal(plugin_run_create_task(&run, &task), RDCP_OK);
        assert_int_equal(run.desc->sink_task->put(task, records, 2, run.errstr,
                                                  sizeof(run.errstr)),
                         RDCP_ERR_FATAL);
        run.desc->sink_task->destroy(task);
        plugin_run_destroy(&run);

        plugin_run_init(&run, "TestSink", bad_point);
        assert_int_equal(plugin_run_create_task(&run, &task), RDCP_ERR_CONFIG);
        assert_string_equal(run.errstr,
                            "test.fail.on: unknown value \"later\"");
        plugin_run_destroy(&run);
}

static void test_default_dir(void **state) {
        const char *dir = rdc_registry_default_dir();

        (void)state;
        assert_non_null(dir);
        assert_int_equal(dir[0], '/');
        assert_ptr_equal(rdc_registry_default_dir(), dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_check_descriptor_accepts_valid),
                cmocka_unit_test(test_check_descriptor_messages),
                cmocka_unit_test(test_broken_plugins_rejected),
                cmocka_unit_test(test_rejected_file_retried_only_when_changed),
                cmocka_unit_test(test_truncated_and_foreign_elf_rejected),
                cmocka_unit_test(test_find_resolves_names),
                cmocka_unit_test(test_find_refuses_paths),
                cmocka_unit_test(test_plugin_dropped_in_is_found),
                cmocka_unit_test(test_same_file_loaded_once),
                cmocka_unit_test(test_concurrent_finds),
                cmocka_unit_test(test_test_source_records),
                cmocka_unit_test(test_test_source_failures),
                cmocka_unit_test(test_test_sink_failures),
                cmocka_unit_test(test_default_dir),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
