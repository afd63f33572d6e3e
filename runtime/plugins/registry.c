/*
 * Plugin registry (see registry.h): walks the plugin directories, loads
 * each candidate .so, checks its descriptor against the host ABI before
 * any other plugin code runs, and resolves class names to descriptors.
 *
 * The descriptor checks follow PostgreSQL's Pg_magic_struct and Varnish's
 * VRT rules: the fields that protect the rest (magic, ABI major, ABI minor,
 * struct size) are checked first, and nothing after them is read until
 * they pass. Every rejection names the field and both values.
 *
 * Rejected files are remembered with their size and mtime, so a rescan
 * (every find() miss triggers one) neither reloads nor re-logs them until
 * they change on disk.
 */
#define _XOPEN_SOURCE 700
#include "plugins/registry.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errstr.h"
#include "core/log.h"
#include "core/strlist.h"
#include "plugins/abi.h"
#include "plugins/crash.h"

#define RDC_LOADER_LOGGER "loader"

/* The ELF flavour this host loads. A file of another flavour, or one cut
 * short, must never reach dlopen: glibc maps PT_LOAD segments past the end
 * of a truncated file and the first touch of such a page (relocation,
 * constructors) is a SIGBUS that kills the worker. */
#if UINTPTR_MAX == 0xffffffffu
#define RDC_ELF_CLASS ELFCLASS32
typedef Elf32_Ehdr rdc_elf_ehdr_t;
typedef Elf32_Phdr rdc_elf_phdr_t;
typedef Elf32_Shdr rdc_elf_shdr_t;
#else
#define RDC_ELF_CLASS ELFCLASS64
typedef Elf64_Ehdr rdc_elf_ehdr_t;
typedef Elf64_Phdr rdc_elf_phdr_t;
typedef Elf64_Shdr rdc_elf_shdr_t;
#endif
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define RDC_ELF_DATA ELFDATA2MSB
#else
#define RDC_ELF_DATA ELFDATA2LSB
#endif
#if defined(__x86_64__)
#define RDC_ELF_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define RDC_ELF_MACHINE EM_AARCH64
#elif defined(__i386__)
#define RDC_ELF_MACHINE EM_386
#elif defined(__arm__)
#define RDC_ELF_MACHINE EM_ARM
#elif defined(__powerpc64__)
#define RDC_ELF_MACHINE EM_PPC64
#elif defined(__s390x__)
#define RDC_ELF_MACHINE EM_S390
#elif defined(__riscv)
#define RDC_ELF_MACHINE EM_RISCV
#endif

/* Minimum sizes: each struct as it was at ABI minor 0 of this major (see
 * abi.h). When a later minor appends members these stay, since plugins
 * built against the older minor declare the smaller size and remain
 * acceptable. */
#define RDC_DESC_MIN_SIZE       RDC_ABI10_DESCRIPTOR
#define RDC_CONFIG_DEF_MIN_SIZE RDC_ABI10_CONFIG_DEF

/* A function pointer of a vtable that a plugin must provide. */
typedef struct rdc_vtable_fn {
        const char *name;
        size_t offset;
} rdc_vtable_fn_t;

/* What a vtable of the descriptor must look like. All vtables start with
 * uint32_t struct_size, which is what lets one rule check them all. */
typedef struct rdc_vtable_rule {
        const char *name;            /* descriptor member name, for messages */
        size_t desc_offset;          /* offsetof(rdcp_descriptor_t, <name>) */
        size_t min_size;             /* size at ABI minor 0 */
        rdc_vtable_fn_t required[5]; /* terminated by a NULL name */
} rdc_vtable_rule_t;

#define RDC_VTABLE_FN(vtable_type, fn)                                         \
        { #fn, offsetof(vtable_type, fn) }

static const rdc_vtable_rule_t rdc_vtable_connector = {
        "connector",
        offsetof(rdcp_descriptor_t, connector),
        RDC_SIZE_THROUGH(rdcp_connector_vtable_t, validate),
        {RDC_VTABLE_FN(rdcp_connector_vtable_t, create),
         RDC_VTABLE_FN(rdcp_connector_vtable_t, task_configs),
         RDC_VTABLE_FN(rdcp_connector_vtable_t, destroy)}};

static const rdc_vtable_rule_t rdc_vtable_source_task = {
        "source_task",
        offsetof(rdcp_descriptor_t, source_task),
        RDC_SIZE_THROUGH(rdcp_source_task_vtable_t, destroy),
        {RDC_VTABLE_FN(rdcp_source_task_vtable_t, create),
         RDC_VTABLE_FN(rdcp_source_task_vtable_t, poll),
         RDC_VTABLE_FN(rdcp_source_task_vtable_t, destroy)}};

static const rdc_vtable_rule_t rdc_vtable_sink_task = {
        "sink_task",
        offsetof(rdcp_descriptor_t, sink_task),
        RDC_SIZE_THROUGH(rdcp_sink_task_vtable_t, destroy),
        {RDC_VTABLE_FN(rdcp_sink_task_vtable_t, create),
         RDC_VTABLE_FN(rdcp_sink_task_vtable_t, put),
         RDC_VTABLE_FN(rdcp_sink_task_vtable_t, flush),
         RDC_VTABLE_FN(rdcp_sink_task_vtable_t, destroy)}};

static const rdc_vtable_rule_t rdc_vtable_converter = {
        "converter",
        offsetof(rdcp_descriptor_t, converter),
        RDC_SIZE_THROUGH(rdcp_converter_vtable_t, destroy),
        {RDC_VTABLE_FN(rdcp_converter_vtable_t, create),
         RDC_VTABLE_FN(rdcp_converter_vtable_t, from_data),
         RDC_VTABLE_FN(rdcp_converter_vtable_t, to_data),
         RDC_VTABLE_FN(rdcp_converter_vtable_t, destroy)}};

/* Since 1.1; a converter may carry one too (checked when present). */
static const rdc_vtable_rule_t rdc_vtable_header_converter = {
        "header_converter",
        offsetof(rdcp_descriptor_t, header_converter),
        RDC_SIZE_THROUGH(rdcp_header_converter_vtable_t, destroy),
        {RDC_VTABLE_FN(rdcp_header_converter_vtable_t, create),
         RDC_VTABLE_FN(rdcp_header_converter_vtable_t, from_header),
         RDC_VTABLE_FN(rdcp_header_converter_vtable_t, to_header),
         RDC_VTABLE_FN(rdcp_header_converter_vtable_t, destroy)}};

/* The plugin types this host runs, with the vtables each one needs and
 * the words used in find() messages. The last two rows are find() queries
 * only: no descriptor may carry those types. */
typedef struct rdc_type_rule {
        uint32_t type;
        const char *noun;                    /* "source connector" */
        const char *plural;                  /* "source connectors" */
        const rdc_vtable_rule_t *vtables[3]; /* NULL-terminated */
} rdc_type_rule_t;

static const rdc_type_rule_t rdc_type_rules[] = {
        {RDCP_PLUGIN_SOURCE,
         "source connector",
         "source connectors",
         {&rdc_vtable_connector, &rdc_vtable_source_task, NULL}},
        {RDCP_PLUGIN_SINK,
         "sink connector",
         "sink connectors",
         {&rdc_vtable_connector, &rdc_vtable_sink_task, NULL}},
        {RDCP_PLUGIN_CONVERTER,
         "converter",
         "converters",
         {&rdc_vtable_converter, NULL}},
        {RDCP_PLUGIN_HEADER_CONVERTER,
         "header converter",
         "header converters",
         {&rdc_vtable_header_converter, NULL}},
        {RDC_PLUGIN_ANY_CONNECTOR, "connector", "connectors", {NULL}},
        {0, "plugin", "plugins", {NULL}},
};

/* The host's view of an accepted descriptor: host-sized copies of it and
 * of its vtables, zero past what the plugin's sizes cover (rdc_abi_copy),
 * so that the runtime may read every member of this host's minor and finds
 * NULL or 0 where the plugin is older. Element sizes the descriptor is too
 * old to hold are the 1.0 ones. */
typedef struct rdc_plugin_view {
        rdcp_descriptor_t desc;
        rdcp_connector_vtable_t connector;
        rdcp_source_task_vtable_t source_task;
        rdcp_sink_task_vtable_t sink_task;
        rdcp_converter_vtable_t converter;
        rdcp_header_converter_vtable_t header_converter;
} rdc_plugin_view_t;

/* One accepted plugin file; pub is what find() and list() hand out. */
typedef struct rdc_loaded {
        rdc_plugin_t pub;
        char *path; /* owned; pub.path points here */
        void *dl;
        rdc_plugin_view_t view; /* pub.desc points here */
} rdc_loaded_t;

/* One rejected file, identified by realpath and remembered until it
 * changes on disk. */
typedef struct rdc_rejected {
        char *path;
        char *reason;
        off_t size;
        struct timespec mtime;
} rdc_rejected_t;

typedef struct rdc_plugin_dir {
        char *path;
        int missing; /* last scan found no directory (warned once) */
} rdc_plugin_dir_t;

struct rdc_registry {
        /* Guards every member below, and serializes scans. */
        pthread_mutex_t lock;
        rdc_plugin_dir_t *dirs;
        size_t dir_cnt;
        size_t dir_size;
        /* Individually allocated so that handed-out pointers stay valid
         * while the array grows. */
        rdc_loaded_t **loaded;
        size_t loaded_cnt;
        size_t loaded_size;
        rdc_rejected_t *rejected;
        size_t rejected_cnt;
        size_t rejected_size;
};

/* ------------------------------------------------------------ helpers */

static void rdc_append(char *buf, size_t size, size_t *len, const char *fmt,
                       ...) __attribute__((format(printf, 4, 5)));

/* Appends to buf, keeping *len clamped so that a truncated buffer just
 * stays truncated. */
static void rdc_append(char *buf, size_t size, size_t *len, const char *fmt,
                       ...) {
        va_list ap;
        int written;

        if (*len + 1 >= size)
                return;
        va_start(ap, fmt);
        written = vsnprintf(buf + *len, size - *len, fmt, ap);
        va_end(ap);
        if (written > 0)
                *len += (size_t)written;
        if (*len >= size)
                *len = size - 1;
}

/* Makes room for one more element of elem_size in *arr. @returns 0 or -1. */
static int rdc_grow(void **arr, size_t *cap, size_t cnt, size_t elem_size) {
        size_t new_cap;
        void *grown;

        if (cnt < *cap)
                return 0;
        new_cap = *cap ? *cap * 2 : 8;
        grown = realloc(*arr, new_cap * elem_size);
        if (!grown)
                return -1;
        *arr = grown;
        *cap = new_cap;
        return 0;
}

/* Class names are dotted identifiers; anything that could be read as a
 * file path must never reach the loader. */
static int rdc_name_is_pathlike(const char *name) {
        return strchr(name, '/') != NULL || strstr(name, "..") != NULL;
}

static const rdc_type_rule_t *rdc_type_rule_find(uint32_t type) {
        size_t i;

        for (i = 0; i < sizeof(rdc_type_rules) / sizeof(rdc_type_rules[0]); i++)
                if (rdc_type_rules[i].type == type)
                        return &rdc_type_rules[i];
        return NULL;
}

/* A descriptor's names: 0 is the class name, then the aliases; NULL past
 * the end. */
static const char *rdc_desc_name_at(const rdcp_descriptor_t *desc, size_t idx) {
        size_t i;

        if (idx == 0)
                return desc->class_name;
        if (!desc->aliases)
                return NULL;
        for (i = 0; desc->aliases[i]; i++)
                if (i == idx - 1)
                        return desc->aliases[i];
        return NULL;
}

/* The part after the last dot: "FileStreamSourceConnector". */
static const char *rdc_class_short_name(const char *class_name) {
        const char *dot = strrchr(class_name, '.');

        return dot ? dot + 1 : class_name;
}

/* Whether desc serves as a plugin of type wanted: a converter with a
 * header converter vtable is a header converter too. */
static int rdc_type_matches(uint32_t wanted, const rdcp_descriptor_t *desc) {
        uint32_t type = desc->type;

        if (wanted == 0)
                return 1;
        if (wanted == RDC_PLUGIN_ANY_CONNECTOR)
                return type == RDCP_PLUGIN_SOURCE || type == RDCP_PLUGIN_SINK;
        if (wanted == RDCP_PLUGIN_HEADER_CONVERTER &&
            type == RDCP_PLUGIN_CONVERTER)
                return rdc_plugin_is_header_converter(desc);
        return wanted == type;
}

int rdc_plugin_is_header_converter(const rdcp_descriptor_t *desc) {
        /* Only views reach here: header_converter reads 0 for 1.0. */
        return desc->type == RDCP_PLUGIN_HEADER_CONVERTER ||
               (desc->type == RDCP_PLUGIN_CONVERTER &&
                desc->header_converter != NULL);
}

/* ------------------------------------------------- descriptor checks */

static int rdc_check_vtable(const rdcp_descriptor_t *desc,
                            const rdc_vtable_rule_t *rule, char *errstr,
                            size_t errstr_size) {
        const void *vtable;
        uint32_t vtable_size;
        size_t i;

        memcpy(&vtable, (const char *)desc + rule->desc_offset, sizeof(vtable));
        if (!vtable)
                return rdc_errstr_set(errstr, errstr_size,
                                      "%s vtable is missing", rule->name);
        /* struct_size first: it says how much of the vtable may be read. */
        memcpy(&vtable_size, vtable, sizeof(vtable_size));
        if (vtable_size < rule->min_size)
                return rdc_errstr_set(errstr, errstr_size,
                                      "%s.struct_size is %" PRIu32
                                      ", at least %zu required",
                                      rule->name, vtable_size, rule->min_size);
        for (i = 0; rule->required[i].name; i++) {
                void (*fn)(void);

                memcpy(&fn, (const char *)vtable + rule->required[i].offset,
                       sizeof(fn));
                if (!fn)
                        return rdc_errstr_set(errstr, errstr_size,
                                              "%s.%s is NULL but required",
                                              rule->name,
                                              rule->required[i].name);
        }
        return 0;
}

static int rdc_check_config_defs(const rdcp_descriptor_t *desc, char *errstr,
                                 size_t errstr_size) {
        uint32_t i;

        if (desc->config_def_cnt == 0)
                return 0;
        if (!desc->config_defs)
                return rdc_errstr_set(errstr, errstr_size,
                                      "config_defs is NULL, config_def_cnt is "
                                      "%" PRIu32,
                                      desc->config_def_cnt);
        if (desc->config_def_size < RDC_CONFIG_DEF_MIN_SIZE)
                return rdc_errstr_set(
                        errstr, errstr_size,
                        "config_def_size is %" PRIu32 ", at least %zu required",
                        desc->config_def_size, RDC_CONFIG_DEF_MIN_SIZE);
        /* The plugin's array stride is its config_def_size, which a newer
         * minor may make larger than ours. */
        for (i = 0; i < desc->config_def_cnt; i++) {
                const rdcp_config_def_t *def =
                        (const void *)((const char *)desc->config_defs +
                                       (size_t)i * desc->config_def_size);
                if (!def->name || !*def->name)
                        return rdc_errstr_set(
                                errstr, errstr_size,
                                "config_defs[%" PRIu32 "].name is missing", i);
        }
        return 0;
}

/* The element sizes of 1.1 descriptors: each at least its smallest size
 * (RDCP_DESCRIPTOR_HEADER sets them; 0 means the plugin forgot). */
static int rdc_check_strides(const rdcp_descriptor_t *desc, char *errstr,
                             size_t errstr_size) {
        static const struct {
                const char *name;
                size_t offset;
                size_t min;
        } strides[] = {
                {"source_record_size",
                 offsetof(rdcp_descriptor_t, source_record_size),
                 RDC_ABI10_SOURCE_RECORD},
                {"sink_record_size",
                 offsetof(rdcp_descriptor_t, sink_record_size),
                 RDC_ABI10_SINK_RECORD},
                {"header_size", offsetof(rdcp_descriptor_t, header_size),
                 RDC_ABI10_HEADER},
                {"topic_partition_size",
                 offsetof(rdcp_descriptor_t, topic_partition_size),
                 RDC_ABI11_TOPIC_PARTITION},
        };
        size_t i;

        for (i = 0; i < sizeof(strides) / sizeof(strides[0]); i++) {
                uint32_t size;

                if (desc->struct_size < strides[i].offset + sizeof(size))
                        continue; /* older descriptor: 1.0 sizes */
                memcpy(&size, (const char *)desc + strides[i].offset,
                       sizeof(size));
                if (size < strides[i].min)
                        return rdc_errstr_set(
                                errstr, errstr_size,
                                "%s is %" PRIu32 ", at least %zu required",
                                strides[i].name, size, strides[i].min);
        }
        return 0;
}

/* A vtable copied into the view: NULL stays NULL. */
static const void *view_vtable(void *dst, size_t dst_size, const void *src) {
        uint32_t src_size;

        if (!src)
                return NULL;
        memcpy(&src_size, src, sizeof(src_size));
        rdc_abi_copy(dst, dst_size, src, src_size);
        return dst;
}

/* Fills view from an accepted descriptor (see rdc_plugin_view_t). */
static void view_build(rdc_plugin_view_t *view, const rdcp_descriptor_t *desc) {
        rdcp_descriptor_t *d = &view->desc;

        rdc_abi_copy(d, sizeof(*d), desc, desc->struct_size);
        /* Members the plugin's descriptor lacks were zeroed by the copy;
         * only the plugin's own vtables are copied (the pointers of a 1.0
         * descriptor end with converter). */
        d->connector = view_vtable(&view->connector, sizeof(view->connector),
                                   d->connector);
        d->source_task = view_vtable(&view->source_task,
                                     sizeof(view->source_task), d->source_task);
        d->sink_task = view_vtable(&view->sink_task, sizeof(view->sink_task),
                                   d->sink_task);
        d->converter = view_vtable(&view->converter, sizeof(view->converter),
                                   d->converter);
        d->header_converter = view_vtable(&view->header_converter,
                                          sizeof(view->header_converter),
                                          d->header_converter);
        d->reserved_transform = NULL;
        d->reserved_predicate = NULL;
        if (!d->source_record_size)
                d->source_record_size = RDC_ABI10_SOURCE_RECORD;
        if (!d->sink_record_size)
                d->sink_record_size = RDC_ABI10_SINK_RECORD;
        if (!d->header_size)
                d->header_size = RDC_ABI10_HEADER;
        if (!d->topic_partition_size)
                d->topic_partition_size = RDC_ABI11_TOPIC_PARTITION;
}

static int rdc_check_names(const rdcp_descriptor_t *desc, char *errstr,
                           size_t errstr_size) {
        const char *name;
        size_t i;

        if (!desc->class_name || !*desc->class_name)
                return rdc_errstr_set(errstr, errstr_size,
                                      "class_name is missing");
        for (i = 0; (name = rdc_desc_name_at(desc, i)); i++) {
                const char *what = i == 0 ? "class_name" : "alias";

                if (!*name)
                        return rdc_errstr_set(errstr, errstr_size,
                                              "an alias of %s is empty",
                                              desc->class_name);
                if (rdc_name_is_pathlike(name))
                        return rdc_errstr_set(
                                errstr, errstr_size,
                                "%s \"%s\" contains '/' or \"..\"", what, name);
        }
        if (!desc->version)
                return rdc_errstr_set(errstr, errstr_size,
                                      "version of %s is missing",
                                      desc->class_name);
        return 0;
}

int rdc_registry_check_descriptor(const rdcp_descriptor_t *desc, char *errstr,
                                  size_t errstr_size) {
        const rdc_type_rule_t *type_rule;
        size_t i;

        if (!desc)
                return rdc_errstr_set(errstr, errstr_size,
                                      "descriptor is NULL");

        /* The protected header, in order: each field tells whether the
         * next one, and then the rest of the descriptor, can be read. */
        if (desc->magic != RDCP_MAGIC)
                return rdc_errstr_set(errstr, errstr_size,
                                      "magic is 0x%08" PRIx32
                                      ", expected 0x%08x",
                                      desc->magic, (unsigned)RDCP_MAGIC);
        if (desc->abi_major != RDCP_ABI_MAJOR)
                return rdc_errstr_set(errstr, errstr_size,
                                      "abi_major is %u, host supports %d",
                                      (unsigned)desc->abi_major,
                                      RDCP_ABI_MAJOR);
        if (desc->abi_minor > RDCP_ABI_MINOR)
                return rdc_errstr_set(errstr, errstr_size,
                                      "abi_minor is %u, host supports up to %d",
                                      (unsigned)desc->abi_minor,
                                      RDCP_ABI_MINOR);
        if (desc->struct_size < RDC_DESC_MIN_SIZE)
                return rdc_errstr_set(errstr, errstr_size,
                                      "struct_size is %" PRIu32
                                      ", at least %zu required",
                                      desc->struct_size, RDC_DESC_MIN_SIZE);

        type_rule = rdc_type_rule_find(desc->type);
        /* Header converters came with 1.1: a 1.0 descriptor has no slot
         * for their vtable. */
        if (!type_rule || !type_rule->vtables[0] ||
            (desc->type == RDCP_PLUGIN_HEADER_CONVERTER &&
             !RDC_ABI_COVERS(desc->struct_size, rdcp_descriptor_t,
                             header_converter)))
                return rdc_errstr_set(
                        errstr, errstr_size,
                        "type is %" PRIu32
                        ", host supports %d (source), %d (sink), "
                        "%d (converter) and %d (header converter, "
                        "since ABI 1.1)",
                        desc->type, RDCP_PLUGIN_SOURCE, RDCP_PLUGIN_SINK,
                        RDCP_PLUGIN_CONVERTER, RDCP_PLUGIN_HEADER_CONVERTER);
        if (rdc_check_names(desc, errstr, errstr_size) == -1 ||
            rdc_check_config_defs(desc, errstr, errstr_size) == -1 ||
            rdc_check_strides(desc, errstr, errstr_size) == -1)
                return -1;
        for (i = 0; type_rule->vtables[i]; i++)
                if (rdc_check_vtable(desc, type_rule->vtables[i], errstr,
                                     errstr_size) == -1)
                        return -1;
        /* A converter's optional header converter half. */
        if (desc->type == RDCP_PLUGIN_CONVERTER &&
            RDC_ABI_COVERS(desc->struct_size, rdcp_descriptor_t,
                           header_converter) &&
            desc->header_converter &&
            rdc_check_vtable(desc, &rdc_vtable_header_converter, errstr,
                             errstr_size) == -1)
                return -1;
        return 0;
}

/* ------------------------------------------------------ ELF checks */

/* @returns 1 if [offset, offset + len) lies within a file of size bytes. */
static int rdc_elf_within(uint64_t offset, uint64_t len, uint64_t size) {
        return offset <= size && len <= size - offset;
}

static int rdc_elf_read(int fd, void *buf, size_t len, uint64_t offset) {
        size_t done = 0;

        while (done < len) {
                ssize_t n = pread(fd, (char *)buf + done, len - done,
                                  (off_t)(offset + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n <= 0)
                        return -1;
                done += (size_t)n;
        }
        return 0;
}

static int rdc_elf_check_phdrs(int fd, const rdc_elf_ehdr_t *ehdr,
                               uint64_t size, char *errstr,
                               size_t errstr_size) {
        rdc_elf_phdr_t phdr;
        int loads = 0;
        uint16_t i;

        /* One header at a time: e_phnum is at most 65535, and a plugin
         * has about ten, so this is no hot path. */
        for (i = 0; i < ehdr->e_phnum; i++) {
                if (rdc_elf_read(fd, &phdr, sizeof(phdr),
                                 ehdr->e_phoff + (uint64_t)i * sizeof(phdr)))
                        return rdc_errstr_set(
                                errstr, errstr_size,
                                "cannot read program header %u: %s",
                                (unsigned)i, strerror(errno));
                if (phdr.p_type != PT_LOAD)
                        continue;
                loads++;
                if (!rdc_elf_within(phdr.p_offset, phdr.p_filesz, size))
                        return rdc_errstr_set(
                                errstr, errstr_size,
                                "segment %u (PT_LOAD, offset %" PRIu64
                                ", %" PRIu64 " bytes) extends past the end "
                                "of the file (%" PRIu64 " bytes): truncated?",
                                (unsigned)i, (uint64_t)phdr.p_offset,
                                (uint64_t)phdr.p_filesz, size);
        }
        if (!loads)
                return rdc_errstr_set(errstr, errstr_size,
                                      "no loadable (PT_LOAD) segment");
        return 0;
}

/**
 * @brief Checks what dlopen would trust blindly: that path is an ELF
 *        shared object of this host's class, byte order and machine, and
 *        that its header tables and every PT_LOAD segment lie within the
 *        file. @returns 0 or -1 with the reason in errstr.
 */
static int rdc_elf_check(const char *path, char *errstr, size_t errstr_size) {
        rdc_elf_ehdr_t ehdr;
        struct stat st;
        uint64_t size;
        int fd, ret = -1;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return rdc_errstr_set(errstr, errstr_size, "cannot open: %s",
                                      strerror(errno));
        if (fstat(fd, &st) == -1) {
                rdc_errstr_set(errstr, errstr_size, "cannot stat: %s",
                               strerror(errno));
                goto done;
        }
        size = (uint64_t)st.st_size;
        if (size < sizeof(ehdr)) {
                rdc_errstr_set(errstr, errstr_size,
                               "file is %" PRIu64 " bytes, shorter than an ELF "
                               "header (%zu bytes)",
                               size, sizeof(ehdr));
                goto done;
        }
        if (rdc_elf_read(fd, &ehdr, sizeof(ehdr), 0)) {
                rdc_errstr_set(errstr, errstr_size,
                               "cannot read the ELF header: %s",
                               strerror(errno));
                goto done;
        }
        if (memcmp(ehdr.e_ident, ELFMAG, SELFMAG)) {
                rdc_errstr_set(errstr, errstr_size,
                               "not an ELF file (bad magic)");
                goto done;
        }
        if (ehdr.e_ident[EI_CLASS] != RDC_ELF_CLASS) {
                rdc_errstr_set(
                        errstr, errstr_size, "ELF class is %s, this host is %s",
                        ehdr.e_ident[EI_CLASS] == ELFCLASS32   ? "32-bit"
                        : ehdr.e_ident[EI_CLASS] == ELFCLASS64 ? "64-bit"
                                                               : "invalid",
                        RDC_ELF_CLASS == ELFCLASS32 ? "32-bit" : "64-bit");
                goto done;
        }
        if (ehdr.e_ident[EI_DATA] != RDC_ELF_DATA) {
                rdc_errstr_set(errstr, errstr_size,
                               "ELF data encoding is %u, this host is %u (%s)",
                               (unsigned)ehdr.e_ident[EI_DATA], RDC_ELF_DATA,
                               RDC_ELF_DATA == ELFDATA2LSB ? "little-endian"
                                                           : "big-endian");
                goto done;
        }
        if (ehdr.e_type != ET_DYN) {
                rdc_errstr_set(errstr, errstr_size,
                               "ELF type is %u, a shared object (ET_DYN) is "
                               "required",
                               (unsigned)ehdr.e_type);
                goto done;
        }
#ifdef RDC_ELF_MACHINE
        if (ehdr.e_machine != RDC_ELF_MACHINE) {
                rdc_errstr_set(errstr, errstr_size,
                               "ELF machine is %u, this host is %u (built for "
                               "another architecture)",
                               (unsigned)ehdr.e_machine,
                               (unsigned)RDC_ELF_MACHINE);
                goto done;
        }
#endif
        if (ehdr.e_phentsize != sizeof(rdc_elf_phdr_t) ||
            !rdc_elf_within(ehdr.e_phoff,
                            (uint64_t)ehdr.e_phnum * ehdr.e_phentsize, size)) {
                rdc_errstr_set(
                        errstr, errstr_size,
                        "program headers (offset %" PRIu64
                        ", %u entries of %u bytes) do not fit in the file "
                        "(%" PRIu64 " bytes): truncated?",
                        (uint64_t)ehdr.e_phoff, (unsigned)ehdr.e_phnum,
                        (unsigned)ehdr.e_phentsize, size);
                goto done;
        }
        if (rdc_elf_check_phdrs(fd, &ehdr, size, errstr, errstr_size))
                goto done;
        /* dlopen never reads section headers, but a file whose table runs
         * past its end was cut short somewhere. */
        if (ehdr.e_shoff &&
            (ehdr.e_shentsize != sizeof(rdc_elf_shdr_t) ||
             !rdc_elf_within(ehdr.e_shoff,
                             (uint64_t)(ehdr.e_shnum ? ehdr.e_shnum : 1) *
                                     ehdr.e_shentsize,
                             size))) {
                rdc_errstr_set(
                        errstr, errstr_size,
                        "section headers (offset %" PRIu64
                        ", %u entries of %u bytes) do not fit in the file "
                        "(%" PRIu64 " bytes): truncated?",
                        (uint64_t)ehdr.e_shoff, (unsigned)ehdr.e_shnum,
                        (unsigned)ehdr.e_shentsize, size);
                goto done;
        }
        ret = 0;
done:
        close(fd);
        return ret;
}

/* --------------------------------------------------------- the index */

/* @returns the plugin of a wanted type whose class name or alias is name,
 * or NULL. Names are unique across types (see registry_check_duplicate). */
static const rdc_plugin_t *registry_find_name(const rdc_registry_t *reg,
                                              const char *name, uint32_t type) {
        const char *plugin_name;
        size_t i, j;

        for (i = 0; i < reg->loaded_cnt; i++) {
                const rdc_plugin_t *plugin = &reg->loaded[i]->pub;

                if (!rdc_type_matches(type, plugin->desc))
                        continue;
                for (j = 0; (plugin_name = rdc_desc_name_at(plugin->desc, j));
                     j++)
                        if (!strcmp(plugin_name, name))
                                return plugin;
        }
        return NULL;
}

/* @returns -1 with the reason when a name of desc is already taken. */
static int registry_check_duplicate(const rdc_registry_t *reg,
                                    const rdcp_descriptor_t *desc, char *errstr,
                                    size_t errstr_size) {
        const rdc_plugin_t *owner;
        const char *name;
        size_t i;

        for (i = 0; (name = rdc_desc_name_at(desc, i)); i++) {
                owner = registry_find_name(reg, name, 0);
                if (owner)
                        return rdc_errstr_set(errstr, errstr_size,
                                              "duplicate: %s %s is already "
                                              "provided by %s",
                                              i == 0 ? "class" : "alias", name,
                                              owner->path);
        }
        return 0;
}

static rdc_loaded_t *registry_loaded_find_path(const rdc_registry_t *reg,
                                               const char *path) {
        size_t i;

        for (i = 0; i < reg->loaded_cnt; i++)
                if (!strcmp(reg->loaded[i]->path, path))
                        return reg->loaded[i];
        return NULL;
}

static rdc_rejected_t *registry_rejected_find_path(const rdc_registry_t *reg,
                                                   const char *path) {
        size_t i;

        for (i = 0; i < reg->rejected_cnt; i++)
                if (!strcmp(reg->rejected[i].path, path))
                        return &reg->rejected[i];
        return NULL;
}

static void registry_rejected_forget(rdc_registry_t *reg,
                                     rdc_rejected_t *rejected) {
        size_t idx = (size_t)(rejected - reg->rejected);

        free(rejected->path);
        free(rejected->reason);
        /* Keep the rest in rejection order for rdc_registry_rejections. */
        memmove(rejected, rejected + 1,
                (reg->rejected_cnt - idx - 1) * sizeof(*rejected));
        reg->rejected_cnt--;
}

static void registry_reject(rdc_registry_t *reg, const char *path,
                            const struct stat *st, const char *reason) {
        rdc_rejected_t *rejected;

        rdc_log(RDC_LOG_ERROR, RDC_LOADER_LOGGER, NULL,
                "Rejected plugin %s: %s", path, reason);
        if (rdc_grow((void **)&reg->rejected, &reg->rejected_size,
                     reg->rejected_cnt, sizeof(*reg->rejected)) == -1)
                return; /* not remembered: retried (and re-logged) later */
        rejected = &reg->rejected[reg->rejected_cnt];
        rejected->path = strdup(path);
        rejected->reason = strdup(reason);
        if (!rejected->path || !rejected->reason) {
                free(rejected->path);
                free(rejected->reason);
                return;
        }
        rejected->size = st->st_size;
        rejected->mtime = st->st_mtim;
        reg->rejected_cnt++;
}

/* @returns 0 when the index took ownership of dl, else -1 (OOM). */
static int registry_add(rdc_registry_t *reg, const char *path, void *dl,
                        const rdcp_descriptor_t *desc) {
        rdc_loaded_t *loaded = NULL;

        if (rdc_grow((void **)&reg->loaded, &reg->loaded_size, reg->loaded_cnt,
                     sizeof(*reg->loaded)) == -1)
                goto fail;
        loaded = calloc(1, sizeof(*loaded));
        if (!loaded)
                goto fail;
        loaded->path = strdup(path);
        if (!loaded->path)
                goto fail;
        loaded->dl = dl;
        view_build(&loaded->view, desc);
        loaded->pub.desc = &loaded->view.desc;
        loaded->pub.path = loaded->path;
        reg->loaded[reg->loaded_cnt++] = loaded;
        return 0;
fail:
        free(loaded);
        return -1;
}

/* Loads and checks one file (a realpath, not seen before or changed).
 * @returns 1 if accepted, else 0. */
static int registry_load(rdc_registry_t *reg, const char *path,
                         const struct stat *st) {
        char reason[1024];
        const rdcp_descriptor_t *desc;
        rdcp_entry_fn_t entry;
        void *dl = NULL, *sym;
        size_t len;

        len = (size_t)snprintf(reason, sizeof(reason),
                               "not a loadable shared object: ");
        if (rdc_elf_check(path, reason + len, sizeof(reason) - len))
                goto reject;
        rdc_log(RDC_LOG_DEBUG, RDC_LOADER_LOGGER, NULL, "Loading plugin %s",
                path);
        /* dlopen runs the plugin's constructors and entry() its code: a
         * crash in either is reported as "loading plugin <path>". */
        rdc_crash_loading(path);
        dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                const char *why = dlerror();

                snprintf(reason, sizeof(reason),
                         "not a loadable shared object: %s",
                         why ? why : "dlopen failed");
                goto reject;
        }
        sym = dlsym(dl, RDCP_ENTRY_SYMBOL);
        if (!sym) {
                snprintf(reason, sizeof(reason),
                         "no entry symbol %s (not an rdconnect plugin?)",
                         RDCP_ENTRY_SYMBOL);
                goto reject;
        }
        /* POSIX guarantees dlsym results convert to function pointers;
         * memcpy keeps ISO C's object/function pointer rule intact. */
        memcpy(&entry, &sym, sizeof(entry));
        desc = entry();
        if (!desc) {
                snprintf(reason, sizeof(reason),
                         "entry function %s returned NULL", RDCP_ENTRY_SYMBOL);
                goto reject;
        }
        if (rdc_registry_check_descriptor(desc, reason, sizeof(reason)) == -1 ||
            registry_check_duplicate(reg, desc, reason, sizeof(reason)) == -1)
                goto reject;
        rdc_crash_loading(NULL);
        if (registry_add(reg, path, dl, desc) == -1) {
                snprintf(reason, sizeof(reason), "out of memory");
                goto reject;
        }
        rdc_crash_plugin_add(reg->loaded[reg->loaded_cnt - 1]->path, dl);
        rdc_log(RDC_LOG_INFO, RDC_LOADER_LOGGER, NULL,
                "Loaded plugin %s version %s (%s) from %s", desc->class_name,
                desc->version, rdc_type_rule_find(desc->type)->noun, path);
        return 1;
reject:
        if (dl)
                dlclose(dl); /* runs its destructors: still "loading" */
        rdc_crash_loading(NULL);
        registry_reject(reg, path, st, reason);
        return 0;
}

static int rdc_has_so_suffix(const char *name) {
        size_t len = strlen(name);

        return len > 3 && !strcmp(name + len - 3, ".so");
}

/* Decides whether a candidate needs loading. @returns 1 if accepted. */
static int registry_consider(rdc_registry_t *reg, const char *path) {
        rdc_rejected_t *rejected;
        struct stat st;
        char *real;
        int accepted = 0;

        /* realpath identifies the file whichever directory or symlink
         * led to it, so a file is loaded at most once. */
        real = realpath(path, NULL);
        if (!real || stat(real, &st) == -1)
                goto done; /* vanished since the directory was read */
        if (registry_loaded_find_path(reg, real))
                goto done;
        rejected = registry_rejected_find_path(reg, real);
        if (rejected) {
                if (rejected->size == st.st_size &&
                    rejected->mtime.tv_sec == st.st_mtim.tv_sec &&
                    rejected->mtime.tv_nsec == st.st_mtim.tv_nsec)
                        goto done;
                registry_rejected_forget(reg, rejected);
        }
        accepted = registry_load(reg, real, &st);
done:
        free(real);
        return accepted;
}

static int rdc_dirent_cmp(const struct dirent **a, const struct dirent **b) {
        /* Byte order, not the locale's: the same load order everywhere. */
        return strcmp((*a)->d_name, (*b)->d_name);
}

/* Scans dir_path's *.so files, and with descend its subdirectories' too.
 * @returns the number of plugins accepted. */
static size_t registry_scan_dir(rdc_registry_t *reg, const char *dir_path,
                                int descend) {
        struct dirent **entries = NULL;
        size_t accepted = 0;
        int cnt, i;

        cnt = scandir(dir_path, &entries, NULL, rdc_dirent_cmp);
        if (cnt < 0) {
                rdc_log(RDC_LOG_WARN, RDC_LOADER_LOGGER, NULL,
                        "Cannot read plugin directory %s: %s", dir_path,
                        strerror(errno));
                return 0;
        }
        for (i = 0; i < cnt; i++) {
                const char *name = entries[i]->d_name;
                char path[PATH_MAX];
                struct stat st;
                int len;

                if (!strcmp(name, ".") || !strcmp(name, ".."))
                        continue;
                len = snprintf(path, sizeof(path), "%s/%s", dir_path, name);
                if (len < 0 || (size_t)len >= sizeof(path) ||
                    stat(path, &st) == -1)
                        continue;
                if (S_ISDIR(st.st_mode) && descend)
                        accepted += registry_scan_dir(reg, path, 0);
                else if (S_ISREG(st.st_mode) && rdc_has_so_suffix(name))
                        accepted += (size_t)registry_consider(reg, path);
        }
        for (i = 0; i < cnt; i++)
                free(entries[i]);
        free(entries);
        return accepted;
}

static size_t registry_scan_locked(rdc_registry_t *reg) {
        size_t accepted = 0, i;

        for (i = 0; i < reg->dir_cnt; i++) {
                rdc_plugin_dir_t *dir = &reg->dirs[i];
                struct stat st;

                if (stat(dir->path, &st) == -1 || !S_ISDIR(st.st_mode)) {
                        /* Warned once per disappearance, not per rescan. */
                        if (!dir->missing)
                                rdc_log(RDC_LOG_WARN, RDC_LOADER_LOGGER, NULL,
                                        "Plugin directory %s does not exist "
                                        "or is not a directory",
                                        dir->path);
                        dir->missing = 1;
                        continue;
                }
                dir->missing = 0;
                accepted += registry_scan_dir(reg, dir->path, 1);
        }
        return accepted;
}

/* ----------------------------------------------------- public entries */

/* Adds one plugin.path entry (already trimmed; an empty one is none). */
static int registry_add_dir(rdc_registry_t *reg, const char *dir) {
        char *path;

        if (!*dir)
                return 0;
        path = strdup(dir);
        if (!path || rdc_grow((void **)&reg->dirs, &reg->dir_size, reg->dir_cnt,
                              sizeof(*reg->dirs)) == -1) {
                free(path);
                return -1;
        }
        reg->dirs[reg->dir_cnt].path = path;
        reg->dirs[reg->dir_cnt].missing = 0;
        reg->dir_cnt++;
        return 0;
}

rdc_registry_t *rdc_registry_new(const char *builtin_dir,
                                 const char *plugin_path) {
        rdc_strlist_t dirs = {0};
        rdc_registry_t *reg;

        reg = calloc(1, sizeof(*reg));
        if (!reg)
                return NULL;
        if (pthread_mutex_init(&reg->lock, NULL) != 0) {
                free(reg);
                return NULL;
        }
        if (builtin_dir && registry_add_dir(reg, builtin_dir) == -1)
                goto fail;
        if (rdc_strlist_parse(plugin_path, &dirs) == -1)
                goto fail;
        for (size_t i = 0; i < dirs.cnt; i++)
                if (registry_add_dir(reg, dirs.items[i]) == -1)
                        goto fail;
        rdc_strlist_clear(&dirs);
        return reg;
fail:
        rdc_strlist_clear(&dirs);
        rdc_registry_destroy(reg);
        return NULL;
}

void rdc_registry_destroy(rdc_registry_t *reg) {
        size_t i;

        if (!reg)
                return;
        for (i = 0; i < reg->loaded_cnt; i++) {
                rdc_crash_plugin_remove(reg->loaded[i]->path);
                dlclose(reg->loaded[i]->dl);
                free(reg->loaded[i]->path);
                free(reg->loaded[i]);
        }
        for (i = 0; i < reg->rejected_cnt; i++) {
                free(reg->rejected[i].path);
                free(reg->rejected[i].reason);
        }
        for (i = 0; i < reg->dir_cnt; i++)
                free(reg->dirs[i].path);
        free(reg->loaded);
        free(reg->rejected);
        free(reg->dirs);
        pthread_mutex_destroy(&reg->lock);
        free(reg);
}

size_t rdc_registry_scan(rdc_registry_t *reg) {
        size_t accepted;

        pthread_mutex_lock(&reg->lock);
        accepted = registry_scan_locked(reg);
        pthread_mutex_unlock(&reg->lock);
        return accepted;
}

static int rdc_short_name_matches(const rdcp_descriptor_t *desc, uint32_t type,
                                  const char *name) {
        return rdc_type_matches(type, desc) &&
               !strcmp(rdc_class_short_name(desc->class_name), name);
}

/* Looks class_name up among the plugins of a wanted type: full names and
 * aliases first, then short names, which must be unambiguous.
 * @returns the plugin, or NULL (errstr set only when ambiguous). */
static const rdc_plugin_t *registry_match(const rdc_registry_t *reg,
                                          const char *class_name, uint32_t type,
                                          char *errstr, size_t errstr_size) {
        const rdc_plugin_t *found;
        size_t i, len, short_cnt = 0;

        found = registry_find_name(reg, class_name, type);
        if (found)
                return found;
        for (i = 0; i < reg->loaded_cnt; i++) {
                const rdc_plugin_t *plugin = &reg->loaded[i]->pub;

                if (rdc_short_name_matches(plugin->desc, type, class_name)) {
                        found = plugin;
                        short_cnt++;
                }
        }
        if (short_cnt <= 1)
                return found;
        len = (size_t)snprintf(errstr, errstr_size,
                               "More than one class matches %s, use the "
                               "full class name:",
                               class_name);
        for (i = 0; i < reg->loaded_cnt; i++) {
                const rdcp_descriptor_t *desc = reg->loaded[i]->pub.desc;

                if (rdc_short_name_matches(desc, type, class_name))
                        rdc_append(errstr, errstr_size, &len, " %s",
                                   desc->class_name);
        }
        return NULL;
}

/* Kafka Connect's wording, so that users recognize the message. */
static void registry_format_miss(const rdc_registry_t *reg,
                                 const char *class_name, uint32_t type,
                                 const rdc_type_rule_t *type_rule, char *errstr,
                                 size_t errstr_size) {
        const rdc_plugin_t *other_type;
        size_t len = 0, i, listed = 0;

        if (errstr_size == 0)
                return;
        errstr[0] = '\0';
        rdc_append(errstr, errstr_size, &len,
                   "Failed to find any class that implements %s and which "
                   "name matches %s, available %s are: ",
                   type_rule->noun, class_name, type_rule->plural);
        for (i = 0; i < reg->loaded_cnt; i++) {
                const rdcp_descriptor_t *desc = reg->loaded[i]->pub.desc;

                if (!rdc_type_matches(type, desc))
                        continue;
                rdc_append(errstr, errstr_size, &len, "%s%s",
                           listed++ ? ", " : "", desc->class_name);
        }
        if (!listed)
                rdc_append(errstr, errstr_size, &len, "(none)");
        /* The commonest mistake: a sink class in a source's place. */
        other_type = registry_match(reg, class_name, 0, NULL, 0);
        if (other_type)
                rdc_append(errstr, errstr_size, &len, " (%s is a %s)",
                           other_type->desc->class_name,
                           rdc_type_rule_find(other_type->desc->type)->noun);
}

const rdc_plugin_t *rdc_registry_find(rdc_registry_t *reg,
                                      const char *class_name, uint32_t type,
                                      char *errstr, size_t errstr_size) {
        const rdc_type_rule_t *type_rule = rdc_type_rule_find(type);
        const rdc_plugin_t *found;

        if (!type_rule) {
                rdc_errstr_set(errstr, errstr_size,
                               "Unknown plugin type %" PRIu32 " looking up %s",
                               type, class_name ? class_name : "(null)");
                return NULL;
        }
        if (!class_name || !*class_name) {
                rdc_errstr_set(errstr, errstr_size, "No %s class name given",
                               type_rule->noun);
                return NULL;
        }
        /* Refused before any scan: nothing outside plugin.path is loaded,
         * and a path-like name must not even trigger a rescan. */
        if (rdc_name_is_pathlike(class_name)) {
                rdc_errstr_set(
                        errstr, errstr_size,
                        "Class name %s is not a class name: '/' and \"..\" "
                        "are not allowed; plugins are only loaded from "
                        "plugin.path",
                        class_name);
                return NULL;
        }

        pthread_mutex_lock(&reg->lock);
        found = registry_match(reg, class_name, type, NULL, 0);
        if (!found) {
                registry_scan_locked(reg);
                if (errstr_size > 0)
                        errstr[0] = '\0';
                found = registry_match(reg, class_name, type, errstr,
                                       errstr_size);
                /* errstr is set only when the short name was ambiguous. */
                if (!found && (errstr_size == 0 || !errstr[0]))
                        registry_format_miss(reg, class_name, type, type_rule,
                                             errstr, errstr_size);
        }
        pthread_mutex_unlock(&reg->lock);
        return found;
}

size_t rdc_registry_list(rdc_registry_t *reg, const rdc_plugin_t **out,
                         size_t max) {
        size_t cnt, i;

        pthread_mutex_lock(&reg->lock);
        cnt = reg->loaded_cnt;
        for (i = 0; i < cnt && i < max; i++)
                out[i] = &reg->loaded[i]->pub;
        pthread_mutex_unlock(&reg->lock);
        return cnt;
}

size_t rdc_registry_rejections(rdc_registry_t *reg,
                               void (*cb)(void *opaque, const char *path,
                                          const char *reason),
                               void *opaque) {
        size_t cnt, i;

        pthread_mutex_lock(&reg->lock);
        cnt = reg->rejected_cnt;
        for (i = 0; cb && i < cnt; i++)
                cb(opaque, reg->rejected[i].path, reg->rejected[i].reason);
        pthread_mutex_unlock(&reg->lock);
        return cnt;
}

/* ------------------------------------------------------- default dir */

static char rdc_default_dir[PATH_MAX];
static pthread_once_t rdc_default_dir_once = PTHREAD_ONCE_INIT;

static void registry_default_dir_init(void) {
        /* Relative to the binary first, so a build tree or a relocated
         * install finds its own plugins rather than a system-wide set. */
        static const char *const relative[] = {"/../plugins",
                                               "/../lib/rdconnect/plugins"};
        char exe[PATH_MAX], candidate[PATH_MAX + 32];
        ssize_t len;
        char *slash;
        size_t i;

        len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
        if (len > 0) {
                exe[len] = '\0';
                slash = strrchr(exe, '/');
                if (slash)
                        *slash = '\0';
                for (i = 0; slash && i < sizeof(relative) / sizeof(*relative);
                     i++) {
                        struct stat st;
                        int n = snprintf(candidate, sizeof(candidate), "%s%s",
                                         exe, relative[i]);

                        if (n < 0 || (size_t)n >= sizeof(candidate) ||
                            stat(candidate, &st) == -1 || !S_ISDIR(st.st_mode))
                                continue;
                        /* Normalized, for readable log lines. */
                        if (realpath(candidate, rdc_default_dir))
                                return;
                }
        }
        snprintf(rdc_default_dir, sizeof(rdc_default_dir), "%s",
                 RDC_INSTALL_PLUGINDIR_FULL);
}

const char *rdc_registry_default_dir(void) {
        pthread_once(&rdc_default_dir_once, registry_default_dir_init);
        return rdc_default_dir;
}
