/*
 * rdconnect plugin ABI: the one door between the rdconnect runtime and the
 * connectors, converters and (later) transforms it loads with dlopen().
 *
 * A plugin is a shared object that exports exactly one symbol,
 * RDCP_ENTRY_SYMBOL ("rdconnect_plugin_entry"), a function without side
 * effects that returns a pointer to a const rdcp_descriptor_t. Everything
 * else in the .so should be hidden (-fvisibility=hidden).
 *
 * The descriptor starts with the fields that protect the rest: magic, ABI
 * major, ABI minor, struct size. The runtime accepts a plugin when
 *   magic == RDCP_MAGIC, abi_major == host major, abi_minor <= host minor,
 *   and every struct size it declares is at least the size of that struct
 *   at ABI minor 0 of this major.
 *
 * Growth rules (what keeps a plugin built against an older minor working
 * on every newer host of the same major):
 *  - Structs and tables grow only at their end; nothing is removed,
 *    reordered or retyped within a major.
 *  - Every struct that crosses the boundary on its own starts with its
 *    size (descriptor, vtables, host table, rdcp_record_metadata_t), and
 *    every array of structs has an element size (stride): config
 *    definitions (config_def_size), source records (source_record_size),
 *    sink records (sink_record_size), headers (header_size) and
 *    partition/offset lists (topic_partition_size), all in the
 *    descriptor. RDCP_DESCRIPTOR_HEADER fills them in. A descriptor too
 *    small to hold one of these (a 1.0 plugin) has the 1.0 size.
 *  - The host reads only the fields that the plugin's size covers, walks
 *    a plugin's arrays with the plugin's stride, and builds the arrays it
 *    hands to a plugin with that plugin's stride. It never calls a vtable
 *    member beyond the vtable's struct_size.
 *  - A plugin checks the host table with RDCP_HOST_HAS() before calling a
 *    member added after the minor it declares.
 *  - Value types are the exception: rdcp_data_t, rdcp_schema_t,
 *    rdcp_field_t, rdcp_param_t and rdcp_bytes_t are embedded by value in
 *    other structs and travel from one plugin to another (a source's data
 *    to a converter) without the host in between, so no size can describe
 *    them. Their layout is fixed for the whole major; new kinds of values
 *    get new rdcp_data_kind_t values within the existing union.
 *
 * Conventions that hold for every function below:
 *  - Ownership: whoever allocates frees. Pointer arguments are borrowed for
 *    the duration of the call unless the documentation says "takes
 *    ownership". Plugin state is an opaque pointer returned by a create
 *    function and released by the matching destroy function.
 *  - Errors: functions return rdcp_err_t; on failure they write one line of
 *    text (no trailing newline) into the caller-owned errstr buffer of
 *    errstr_size bytes. The first error wins: do not overwrite it.
 *  - Threads: each callback states its locality. A task's callbacks run on
 *    that task's own thread. Functions marked "any thread" may be called
 *    concurrently with the task thread and must only signal.
 *  - A plugin never writes to stdout/stderr (use host->log) and never calls
 *    exit() or abort().
 *  - Types that cross: fixed-width integers, size_t (lengths and counts,
 *    the platform's), pointers, and enums as parameters and return values
 *    (rdcp_err_t, rdcp_log_level_t; int-sized on every supported
 *    compiler). Struct members that hold enum values are uint32_t.
 *
 * ABI changelog (bump minor for additions at the end of a struct, major for
 * anything removed, reordered or changed):
 *   1.0  first release: source and sink connectors, converters, config
 *        definitions, host services (log, alloc, config access, offsets,
 *        stop/wait, arena, buffer, reconfiguration request).
 *   1.1  growth rules made true (see above):
 *        - descriptor: header_converter vtable, reserved_transform and
 *          reserved_predicate slots (always NULL until their vtables come),
 *          element sizes source_record_size, sink_record_size,
 *          header_size, topic_partition_size.
 *        - RDCP_HOST_HAS(); host: time_ms.
 *        - rdcp_source_record_t: ack_opaque. rdcp_sink_record_t:
 *          timestamp_type. rdcp_header_t: typed, data (headers converted
 *          by the header converter).
 *        - source task: commit_record (per-record delivery
 *          acknowledgement, rdcp_record_metadata_t).
 *        - sink task: open, close, pre_commit (rdcp_topic_partition_t).
 *        - converter: from_data_headers, to_data_headers (the record's
 *          headers reach the converter).
 *        - header converter plugin type (RDCP_PLUGIN_HEADER_CONVERTER,
 *          rdcp_header_converter_vtable_t); a converter may carry one
 *          too (as Kafka's StringConverter is both).
 *        - corrected documentation: types that cross, task_cnt may be 0,
 *          source commit() runs after offsets were written, wakeup is
 *          never called.
 */
#ifndef RDCONNECT_PLUGIN_H
#define RDCONNECT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RDCP_MAGIC        0x52444350u /* "RDCP" */
#define RDCP_ABI_MAJOR    1
#define RDCP_ABI_MINOR    1
#define RDCP_ENTRY_SYMBOL "rdconnect_plugin_entry"

#if defined(__GNUC__)
#define RDCP_EXPORT __attribute__((visibility("default")))
#define RDCP_PRINTF(fmt_idx, args_idx)                                         \
        __attribute__((format(printf, fmt_idx, args_idx)))
#else
#define RDCP_EXPORT
#define RDCP_PRINTF(fmt_idx, args_idx)
#endif

/**
 * @brief Defines the entry function of a plugin:
 *        RDCP_PLUGIN_ENTRY(my_descriptor)
 */
#define RDCP_PLUGIN_ENTRY(descriptor)                                          \
        RDCP_EXPORT const rdcp_descriptor_t *rdconnect_plugin_entry(void);     \
        const rdcp_descriptor_t *rdconnect_plugin_entry(void) {                \
                return &(descriptor);                                          \
        }

/** Status codes returned across the ABI. */
typedef enum rdcp_err {
        RDCP_OK = 0,
        RDCP_ERR_CONFIG = 1,    /**< invalid configuration */
        RDCP_ERR_RETRIABLE = 2, /**< transient; the host retries later */
        RDCP_ERR_FATAL = 3,     /**< the instance cannot continue */
        RDCP_ERR_NOMEM = 4,     /**< allocation failed */
        RDCP_ERR_DATA = 5,      /**< one record cannot be (de)serialized */
        RDCP_ERR_STOPPED = 6    /**< a wait ended because of stop/wake-up */
} rdcp_err_t;

/** What a plugin is. */
typedef enum rdcp_plugin_type {
        RDCP_PLUGIN_SOURCE = 1,
        RDCP_PLUGIN_SINK = 2,
        RDCP_PLUGIN_CONVERTER = 3,
        RDCP_PLUGIN_HEADER_CONVERTER = 4, /**< since 1.1 */
        RDCP_PLUGIN_TRANSFORM = 5,        /**< reserved: no vtable yet */
        RDCP_PLUGIN_PREDICATE = 6         /**< reserved: no vtable yet */
} rdcp_plugin_type_t;

typedef enum rdcp_log_level {
        RDCP_LOG_ERROR = 1,
        RDCP_LOG_WARN = 2,
        RDCP_LOG_INFO = 3,
        RDCP_LOG_DEBUG = 4,
        RDCP_LOG_TRACE = 5
} rdcp_log_level_t;

/* Opaque host objects. */
typedef struct rdcp_ctx rdcp_ctx_t;       /**< one plugin instance */
typedef struct rdcp_config rdcp_config_t; /**< string → string map */
typedef struct rdcp_arena rdcp_arena_t;   /**< per-batch allocator */
typedef struct rdcp_buf rdcp_buf_t;       /**< growable byte buffer */

/*
 * ---------------------------------------------------------------------
 * Config definitions: drive validation, defaults and the REST plugin
 * endpoints. The host applies defaults and validates types, ranges and
 * valid_values before a plugin's create function sees a config.
 * ---------------------------------------------------------------------
 */
typedef enum rdcp_config_type {
        RDCP_CFG_STRING = 1,
        RDCP_CFG_INT = 2,  /**< 32-bit */
        RDCP_CFG_LONG = 3, /**< 64-bit */
        RDCP_CFG_DOUBLE = 4,
        RDCP_CFG_BOOLEAN = 5, /**< true|false, case-insensitive */
        RDCP_CFG_LIST = 6,    /**< comma-separated */
        RDCP_CFG_CLASS = 7,
        RDCP_CFG_PASSWORD = 8, /**< shown as [hidden] by the REST API */
        RDCP_CFG_SHORT = 9     /**< 16-bit (ABI 1.x hosts that predate it
                                    refuse it as an unknown type) */
} rdcp_config_type_t;

typedef enum rdcp_importance {
        RDCP_IMPORTANCE_HIGH = 1,
        RDCP_IMPORTANCE_MEDIUM = 2,
        RDCP_IMPORTANCE_LOW = 3
} rdcp_importance_t;

/** Flags of rdcp_config_def_t. */
#define RDCP_CFGF_REQUIRED  0x1u /**< must be set (no default) */
#define RDCP_CFGF_HAS_MIN   0x2u /**< numeric value >= min */
#define RDCP_CFGF_HAS_MAX   0x4u /**< numeric value <= max */
#define RDCP_CFGF_NON_EMPTY 0x8u /**< string/list must not be empty */

/**
 * @brief Optional custom validator.
 * @returns RDCP_OK or RDCP_ERR_CONFIG with the reason in errstr.
 * @locality any thread; must be pure.
 */
typedef rdcp_err_t (*rdcp_config_validator_t)(const char *name,
                                              const char *value, char *errstr,
                                              size_t errstr_size);

typedef struct rdcp_config_def {
        const char *name;
        uint32_t type;             /**< rdcp_config_type_t */
        uint32_t importance;       /**< rdcp_importance_t */
        uint32_t flags;            /**< RDCP_CFGF_* */
        uint32_t order;            /**< position within group, for REST */
        const char *default_value; /**< NULL: no default */
        const char *documentation;
        const char *group;        /**< may be NULL */
        const char *display_name; /**< may be NULL (= name) */
        int64_t min;              /**< with RDCP_CFGF_HAS_MIN */
        int64_t max;              /**< with RDCP_CFGF_HAS_MAX */
        /** NULL-terminated list of accepted values (case-sensitive), or
         *  NULL for any. */
        const char *const *valid_values;
        rdcp_config_validator_t validator; /**< may be NULL */
} rdcp_config_def_t;

/*
 * ---------------------------------------------------------------------
 * Data model: Kafka Connect's schemas and values.
 * ---------------------------------------------------------------------
 */
typedef enum rdcp_schema_type {
        RDCP_SCHEMA_INT8 = 1,
        RDCP_SCHEMA_INT16 = 2,
        RDCP_SCHEMA_INT32 = 3,
        RDCP_SCHEMA_INT64 = 4,
        RDCP_SCHEMA_FLOAT32 = 5,
        RDCP_SCHEMA_FLOAT64 = 6,
        RDCP_SCHEMA_BOOLEAN = 7,
        RDCP_SCHEMA_STRING = 8,
        RDCP_SCHEMA_BYTES = 9,
        RDCP_SCHEMA_ARRAY = 10,
        RDCP_SCHEMA_MAP = 11,
        RDCP_SCHEMA_STRUCT = 12
} rdcp_schema_type_t;

typedef struct rdcp_schema rdcp_schema_t;

typedef struct rdcp_field {
        const char *name;
        const rdcp_schema_t *schema;
} rdcp_field_t;

/** Key/value pair of rdcp_schema_t.parameters. */
typedef struct rdcp_param {
        const char *key;
        const char *value;
} rdcp_param_t;

struct rdcp_schema {
        uint32_t type;     /**< rdcp_schema_type_t */
        uint32_t optional; /**< 0 or 1 */
        const char *name;  /**< logical name, may be NULL */
        int32_t version;   /**< 0 = none */
        uint32_t field_cnt;
        const char *doc;             /**< may be NULL */
        const rdcp_schema_t *items;  /**< ARRAY element schema */
        const rdcp_schema_t *keys;   /**< MAP key schema */
        const rdcp_schema_t *values; /**< MAP value schema */
        const rdcp_field_t *fields;  /**< STRUCT fields, field_cnt */
        const char *default_json;    /**< default value as JSON, or NULL */
        const rdcp_param_t *params;  /**< param_cnt entries */
        uint32_t param_cnt;
        uint32_t reserved;
};

/** Kind of a value; RDCP_DATA_NULL is Java's null. */
typedef enum rdcp_data_kind {
        RDCP_DATA_NULL = 0,
        RDCP_DATA_BOOL = 1,
        RDCP_DATA_INT = 2,    /**< any integer width; schema tells which */
        RDCP_DATA_FLOAT = 3,  /**< float32 or float64 */
        RDCP_DATA_STRING = 4, /**< UTF-8, length-delimited, no NUL needed */
        RDCP_DATA_BYTES = 5,
        RDCP_DATA_ARRAY = 6, /**< u.list: elements */
        RDCP_DATA_MAP = 7,   /**< u.list: cnt pairs as key,value,key,... */
        RDCP_DATA_STRUCT = 8 /**< u.list: one value per schema field */
} rdcp_data_kind_t;

typedef struct rdcp_data rdcp_data_t;

/**
 * A value with its optional schema. Everything it points to is borrowed
 * from whoever built it (plugin buffer, arena, Kafka message) and lives as
 * long as documented at the function that hands it over.
 */
struct rdcp_data {
        const rdcp_schema_t *schema; /**< NULL: schemaless */
        uint32_t kind;               /**< rdcp_data_kind_t */
        uint32_t reserved;           /**< 0 */
        union {
                int64_t i; /**< INT */
                double f;  /**< FLOAT */
                int32_t b; /**< BOOL: 0 or 1 */
                struct {
                        const void *ptr;
                        size_t len;
                } bytes; /**< STRING, BYTES */
                struct {
                        const rdcp_data_t *elems;
                        size_t cnt; /**< elements (MAP: 2 x pairs) */
                } list;             /**< ARRAY, MAP, STRUCT */
        } u;
};

/**
 * A record header. Arrays of headers have the stride header_size of the
 * plugin they belong to (the source plugin that returned them, or the
 * plugin the host hands them to).
 *
 * From a source task: typed 0 (and every 1.0 plugin) sends value as raw
 * bytes, bypassing the header converter; typed 1 has the header
 * converter (header.converter) serialize data.
 * To a sink task and to converters: value/value_len are the bytes in
 * Kafka. On the sink side typed is 1 and data holds what the header
 * converter made of them, when the sink plugin is of 1.1 or later (for a
 * 1.0 sink the header converter is not run: typed 0). On the source side
 * converters get the serialized headers, typed ones with their data.
 */
typedef struct rdcp_header {
        const char *key;   /**< NUL-terminated */
        const void *value; /**< NULL: null header */
        size_t value_len;
        /* 1.1 */
        uint32_t typed; /**< 1: data is set */
        uint32_t reserved;
        rdcp_data_t data; /**< the value as connect data */
} rdcp_header_t;

/** A record produced by a source task. Arrays of them have the stride
 *  source_record_size. */
typedef struct rdcp_source_record {
        const char *topic; /**< NUL-terminated, required */
        int32_t partition; /**< -1: let the producer partition */
        int32_t header_cnt;
        int64_t timestamp; /**< ms since epoch, -1: none */
        rdcp_data_t key;
        rdcp_data_t value;
        const rdcp_header_t *headers;
        /** Source partition as a JSON object text, e.g.
         *  {"filename":"/tmp/a"}; NULL if the record has no offset. */
        const char *source_partition;
        /** Source offset as JSON object text, e.g. {"position":12}.
         *  May be NULL when a later record of the same poll() batch with
         *  the same source_partition carries an offset: the host stores
         *  offsets per batch and keeps the last one of each partition. */
        const char *source_offset;
        /* 1.1 */
        /** Handed back to commit_record() for this record; the plugin's,
         *  never read by the host. */
        void *ack_opaque;
} rdcp_source_record_t;

/** Kafka's timestamp types (rdcp_sink_record_t.timestamp_type). */
typedef enum rdcp_timestamp_type {
        RDCP_TIMESTAMP_NONE = 0,
        RDCP_TIMESTAMP_CREATE_TIME = 1,
        RDCP_TIMESTAMP_LOG_APPEND_TIME = 2
} rdcp_timestamp_type_t;

/** A record handed to a sink task. Arrays of them have the stride
 *  sink_record_size of the sink plugin. */
typedef struct rdcp_sink_record {
        const char *topic; /**< NUL-terminated */
        int32_t partition;
        int32_t header_cnt;
        int64_t offset;
        int64_t timestamp; /**< -1: none */
        rdcp_data_t key;
        rdcp_data_t value;
        const rdcp_header_t *headers;
        /* 1.1 */
        uint32_t timestamp_type; /**< rdcp_timestamp_type_t */
        uint32_t reserved;
} rdcp_sink_record_t;

/** A topic partition, with an offset where the call says so. Arrays of
 *  them have the stride topic_partition_size of the plugin. (1.1) */
typedef struct rdcp_topic_partition {
        const char *topic; /**< NUL-terminated */
        int32_t partition;
        int32_t reserved;
        int64_t offset; /**< -1 where the call has no offset */
} rdcp_topic_partition_t;

/** What Kafka said about a produced record (commit_record). Starts with
 *  its size: read only what it covers. (1.1) */
typedef struct rdcp_record_metadata {
        uint32_t struct_size;
        int32_t partition;
        const char *topic; /**< NUL-terminated */
        int64_t offset;
        int64_t timestamp; /**< ms since epoch, -1: none */
} rdcp_record_metadata_t;

/** Output of a converter's from_data: the serialized bytes. */
typedef struct rdcp_bytes {
        const void *ptr; /**< NULL: Kafka null (tombstone) */
        size_t len;
} rdcp_bytes_t;

/*
 * ---------------------------------------------------------------------
 * Host services: a const table the runtime hands to every create
 * function. Valid until the matching destroy returns. Append-only.
 * ---------------------------------------------------------------------
 */
typedef struct rdcp_host {
        uint32_t struct_size;
        uint16_t abi_major;
        uint16_t abi_minor;

        /** Log one line; the host prefixes time, level, connector and task.
         *  @locality any thread. ctx may be NULL. */
        void (*log)(const rdcp_ctx_t *ctx, rdcp_log_level_t level,
                    const char *fmt, ...) RDCP_PRINTF(3, 4);

        /** Allocation; memory from these is freed with host->free. */
        void *(*malloc)(size_t size);
        void *(*realloc)(void *ptr, size_t size);
        void (*free)(void *ptr);

        /** @returns the value of key (borrowed, valid while cfg lives and
         *  the key is not set again) or NULL. Defaults are already applied.
         *  @locality any thread, no concurrent writers. */
        const char *(*config_get)(const rdcp_config_t *cfg, const char *key);
        /** Sets key to a copy of value (NULL removes the key).
         *  @locality the thread that owns cfg. */
        rdcp_err_t (*config_set)(rdcp_config_t *cfg, const char *key,
                                 const char *value);
        /** Iteration in key order: index 0 .. config_count()-1. */
        size_t (*config_count)(const rdcp_config_t *cfg);
        const char *(*config_key_at)(const rdcp_config_t *cfg, size_t idx);
        const char *(*config_value_at)(const rdcp_config_t *cfg, size_t idx);
        /** Typed getters; RDCP_ERR_CONFIG if absent or malformed. */
        rdcp_err_t (*config_get_int64)(const rdcp_config_t *cfg,
                                       const char *key, int64_t *out);
        rdcp_err_t (*config_get_bool)(const rdcp_config_t *cfg, const char *key,
                                      int32_t *out);

        /** Reads the last committed offset of a source partition.
         *  @param partition_json JSON object text, as in source records.
         *  @param offset_json out: offset JSON text (caller frees with
         *         host->free) or NULL when none is stored.
         *  @locality the task's thread (or connector create). */
        rdcp_err_t (*offset_read)(const rdcp_ctx_t *ctx,
                                  const char *partition_json,
                                  char **offset_json);

        /** @returns 1 once the instance has been asked to stop, else 0.
         *  @locality any thread. */
        int32_t (*should_stop)(const rdcp_ctx_t *ctx);

        /** Blocks until fd has one of events (poll(2) flags; fd -1: none),
         *  timeout_ms passes (-1: forever), or the instance is asked to
         *  stop or is woken. Use it for every idle wait.
         *  @returns 1 fd ready, 0 timeout, -1 asked to stop or woken.
         *  @locality the task's thread. */
        int32_t (*wait)(const rdcp_ctx_t *ctx, int32_t fd, int16_t events,
                        int32_t timeout_ms);

        /** Allocates size bytes (8-byte aligned) that live until the host
         *  resets the arena (after the batch is done). NULL on OOM. */
        void *(*arena_alloc)(rdcp_arena_t *arena, size_t size);

        /** Returns a pointer to at least size writable bytes after the end
         *  of buf's content, or NULL on OOM. Does not change the length. */
        void *(*buf_reserve)(rdcp_buf_t *buf, size_t size);
        /** Adds size bytes (written through buf_reserve) to the length. */
        void (*buf_commit)(rdcp_buf_t *buf, size_t size);
        /** Appends a copy of size bytes. */
        rdcp_err_t (*buf_append)(rdcp_buf_t *buf, const void *ptr, size_t size);
        /** @returns the content (valid until the next reserve/append). */
        const void *(*buf_data)(const rdcp_buf_t *buf, size_t *len);

        /** Asks the host to call task_configs() again (e.g. the set of
         *  inputs changed). @locality any thread. */
        void (*request_reconfiguration)(const rdcp_ctx_t *ctx);

        /** Connector name and task id (-1 for the connector itself). */
        const char *(*ctx_connector)(const rdcp_ctx_t *ctx);
        int32_t (*ctx_task_id)(const rdcp_ctx_t *ctx);

        /* 1.1 */
        /** @returns milliseconds: since the epoch (monotonic 0), or of a
         *  monotonic clock (monotonic 1). @locality any thread. */
        int64_t (*time_ms)(int32_t monotonic);
} rdcp_host_t;

/**
 * @brief 1 if the host table has member (the host's table is at least as
 *        new as the minor that added it), else 0. A host never loads a
 *        plugin of a newer minor than its own, so the members of the minor
 *        a plugin declares are always there; check before calling one of a
 *        later minor (code shared by plugins of several minors, or a
 *        plugin that declares an older minor than its header's).
 *        Example: if (RDCP_HOST_HAS(host, time_ms)) now = host->time_ms(0);
 */
#define RDCP_HOST_HAS(host, member)                                            \
        ((host)->struct_size >=                                                \
         offsetof(rdcp_host_t, member) + sizeof(((rdcp_host_t *)0)->member))

/*
 * ---------------------------------------------------------------------
 * Connector: validates its config and splits the work into task configs.
 * ---------------------------------------------------------------------
 */
typedef struct rdcp_connector_vtable {
        uint32_t struct_size;
        uint32_t reserved;

        /** Starts the connector instance. cfg has defaults applied and
         *  passed definition-level validation.
         *  @locality a herder job thread (one call at a time per
         *  connector; never the herder thread itself). */
        rdcp_err_t (*create)(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                             const rdcp_config_t *cfg, void **connp,
                             char *errstr, size_t errstr_size);

        /** Fills the task configs. The host passes max_tasks configs, each
         *  already a copy of the connector config; the connector edits
         *  the first *task_cnt of them and sets *task_cnt (0..max_tasks;
         *  0: the connector runs without tasks for now, as a Kafka
         *  connector whose taskConfigs() is empty).
         *  @locality as create. */
        rdcp_err_t (*task_configs)(void *conn, uint32_t max_tasks,
                                   rdcp_config_t *const *task_cfgs,
                                   uint32_t *task_cnt, char *errstr,
                                   size_t errstr_size);

        /** Stops and frees the instance. @locality as create. */
        void (*destroy)(void *conn);

        /** Optional (may be NULL): checks across keys that definitions
         *  cannot express. Reports each problem through report(); returns
         *  the number of problems reported.
         *  @locality any thread; must not keep cfg. */
        uint32_t (*validate)(const rdcp_host_t *host, const rdcp_config_t *cfg,
                             void (*report)(void *opaque, const char *key,
                                            const char *message),
                             void *opaque);
} rdcp_connector_vtable_t;

/*
 * ---------------------------------------------------------------------
 * Source task: polls records from an external system.
 * ---------------------------------------------------------------------
 */
typedef struct rdcp_source_task_vtable {
        uint32_t struct_size;
        uint32_t reserved;

        /** @locality the task's thread. */
        rdcp_err_t (*create)(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                             const rdcp_config_t *task_cfg, void **taskp,
                             char *errstr, size_t errstr_size);

        /** Returns the next batch. *records points to *cnt records owned by
         *  the task that stay valid until the next poll() or destroy().
         *  Return RDCP_OK with *cnt = 0 when idle; block only through
         *  host->wait() so that stop and wake-up are honoured.
         *  RDCP_ERR_RETRIABLE: the host calls poll() again later.
         *  Any other error fails the task with errstr as its trace.
         *  @locality the task's thread. */
        rdcp_err_t (*poll)(void *task, const rdcp_source_record_t **records,
                           size_t *cnt, char *errstr, size_t errstr_size);

        /** Optional: called after the host wrote source offsets of this
         *  task to the offset store (every offset.flush.interval.ms and at
         *  a graceful stop), as Kafka's SourceTask.commit(). The written
         *  offsets are those of the records Kafka acknowledged, which are
         *  not necessarily all that poll() returned so far.
         *  (1.0 said "committed" per batch while the offsets were only
         *  staged; since 1.1 this runs once per write of the store.)
         *  @locality the task's thread. */
        void (*commit)(void *task);

        /** Reserved: the host never calls it. A stop reaches a task
         *  through host->should_stop() and host->wait(), which is why
         *  every idle wait must use host->wait(). */
        void (*wakeup)(void *task);

        /** @locality the task's thread. */
        void (*destroy)(void *task);

        /* 1.1 */
        /**
         * Optional: the per-record acknowledgement, as Kafka's
         * SourceTask.commitRecord(record, metadata). Called once for each
         * record poll() returned that Kafka acknowledged, with the record's
         * ack_opaque and metadata naming where it was written (topic,
         * partition, offset, timestamp). A record that was skipped
         * (errors.tolerance=all: conversion failed, or Kafka refused that
         * one record) is acknowledged with metadata NULL, as Kafka does for
         * filtered and dropped records. A record whose delivery failed
         * otherwise is never acknowledged: the task fails and, after a
         * restart, poll() sends it again from the stored offsets. Records
         * still in flight at a stop are not acknowledged either.
         * Acknowledgements come in delivery order per Kafka partition, not
         * necessarily in poll() order across partitions, and before the
         * offsets of their batch are stored. A task without this member
         * costs nothing per record.
         * @locality the task's thread (between poll() calls or inside
         *           host->wait()); never librdkafka's threads.
         */
        void (*commit_record)(void *task, void *ack_opaque,
                              const rdcp_record_metadata_t *metadata);
} rdcp_source_task_vtable_t;

/*
 * ---------------------------------------------------------------------
 * Sink task: writes records consumed from Kafka to an external system.
 * ---------------------------------------------------------------------
 */
typedef struct rdcp_sink_task_vtable {
        uint32_t struct_size;
        uint32_t reserved;

        /** @locality the task's thread. */
        rdcp_err_t (*create)(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                             const rdcp_config_t *task_cfg, void **taskp,
                             char *errstr, size_t errstr_size);

        /** Takes a batch. Records (and all they point to) are valid only
         *  during the call: copy what must outlive it.
         *  RDCP_ERR_RETRIABLE: the host offers the same batch again later,
         *  less the records of partitions revoked meanwhile.
         *  @locality the task's thread. */
        rdcp_err_t (*put)(void *task, const rdcp_sink_record_t *records,
                          size_t cnt, char *errstr, size_t errstr_size);

        /** Makes every record put so far durable. The host commits the
         *  consumer offsets of those records only after RDCP_OK. Not
         *  called when the task has pre_commit (1.1), which decides then.
         *  @locality the task's thread. */
        rdcp_err_t (*flush)(void *task, char *errstr, size_t errstr_size);

        /** Reserved: the host never calls it (see the source task's). */
        void (*wakeup)(void *task);

        /** @locality the task's thread. */
        void (*destroy)(void *task);

        /* 1.1: as Kafka's SinkTask.open/close/preCommit. */
        /** Optional: the task now owns these partitions (assignment),
         *  before any of their records is put. RDCP_OK or an error that
         *  fails the task. @locality the task's thread. */
        rdcp_err_t (*open)(void *task, const rdcp_topic_partition_t *parts,
                           size_t cnt, char *errstr, size_t errstr_size);
        /** Optional: the task no longer owns these partitions (revoked,
         *  lost, or the task stops): drop what is buffered for them. On
         *  revocation and stop the host committed what pre_commit (or
         *  flush) allowed first; on a lost assignment nothing is
         *  committed (the group gave them away already).
         *  @locality the task's thread. */
        void (*close)(void *task, const rdcp_topic_partition_t *parts,
                      size_t cnt);
        /**
         * Optional: decides what is committed, in place of flush. Called
         * every offset.flush.interval.ms, before partitions are revoked and
         * at a stop, with the next offset of each partition whose records
         * were put since its last commit (offsets[i].offset: last put + 1).
         * The task writes into offsets[i].offset what may be committed:
         * leave it (all durable), lower it (hold records back: they are
         * offered again by the next pre_commit and, after a restart,
         * consumed again), or set -1 (commit nothing for it now). The
         * host never commits more than was put: a larger offset is
         * ignored (logged), as Kafka does. RDCP_ERR_RETRIABLE: nothing is
         * committed now; another error fails the task.
         * @locality the task's thread.
         */
        rdcp_err_t (*pre_commit)(void *task, rdcp_topic_partition_t *offsets,
                                 size_t cnt, char *errstr, size_t errstr_size);
} rdcp_sink_task_vtable_t;

/*
 * ---------------------------------------------------------------------
 * Converter: Kafka bytes <-> rdcp_data_t, as Kafka's Converter.
 * ---------------------------------------------------------------------
 */
typedef struct rdcp_converter_vtable {
        uint32_t struct_size;
        uint32_t reserved;

        /** cfg holds the converter's own keys with the role prefix
         *  removed (value.converter.schemas.enable -> schemas.enable) and
         *  "converter.type" = "key" or "value".
         *  @locality any thread; one instance is used by one thread. */
        rdcp_err_t (*create)(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                             const rdcp_config_t *cfg, void **convp,
                             char *errstr, size_t errstr_size);

        /** Serializes data. out may point into data (no copy: raw bytes
         *  and strings), into scratch (reset by the host per record), or
         *  be {NULL, 0} for a Kafka null.
         *  @returns RDCP_OK or RDCP_ERR_DATA. @locality caller's thread. */
        rdcp_err_t (*from_data)(void *conv, const char *topic,
                                const rdcp_data_t *data, rdcp_buf_t *scratch,
                                rdcp_bytes_t *out, char *errstr,
                                size_t errstr_size);

        /** Deserializes bytes (ptr NULL: Kafka null). out may point into
         *  bytes (they outlive the batch) or into memory from arena.
         *  @returns RDCP_OK or RDCP_ERR_DATA. @locality caller's thread. */
        rdcp_err_t (*to_data)(void *conv, const char *topic, const void *ptr,
                              size_t len, rdcp_arena_t *arena, rdcp_data_t *out,
                              char *errstr, size_t errstr_size);

        void (*destroy)(void *conv);

        /* 1.1: Kafka's fromConnectData/toConnectData with headers. */
        /** Optional: from_data with the record's headers (source: the
         *  headers as they will be written, already serialized by the
         *  header converter; read-only). When set, the host calls it
         *  instead of from_data. @locality caller's thread. */
        rdcp_err_t (*from_data_headers)(void *conv, const char *topic,
                                        const rdcp_header_t *headers,
                                        size_t header_cnt,
                                        const rdcp_data_t *data,
                                        rdcp_buf_t *scratch, rdcp_bytes_t *out,
                                        char *errstr, size_t errstr_size);
        /** Optional: to_data with the message's headers (the bytes from
         *  Kafka, typed as for the sink: see rdcp_header_t). When set, the
         *  host calls it instead of to_data. @locality caller's thread. */
        rdcp_err_t (*to_data_headers)(void *conv, const char *topic,
                                      const rdcp_header_t *headers,
                                      size_t header_cnt, const void *ptr,
                                      size_t len, rdcp_arena_t *arena,
                                      rdcp_data_t *out, char *errstr,
                                      size_t errstr_size);
} rdcp_converter_vtable_t;

/*
 * ---------------------------------------------------------------------
 * Header converter (1.1): one header value <-> rdcp_data_t, as Kafka's
 * HeaderConverter (header.converter, default SimpleHeaderConverter).
 * ---------------------------------------------------------------------
 */
typedef struct rdcp_header_converter_vtable {
        uint32_t struct_size;
        uint32_t reserved;

        /** cfg holds the header.converter.* keys with that prefix removed
         *  and "converter.type" = "header". @locality as converters. */
        rdcp_err_t (*create)(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                             const rdcp_config_t *cfg, void **convp,
                             char *errstr, size_t errstr_size);

        /** Serializes one header value; out as in from_data ({NULL, 0}:
         *  a null header). @returns RDCP_OK or RDCP_ERR_DATA. */
        rdcp_err_t (*from_header)(void *conv, const char *topic,
                                  const char *header_key,
                                  const rdcp_data_t *data, rdcp_buf_t *scratch,
                                  rdcp_bytes_t *out, char *errstr,
                                  size_t errstr_size);

        /** Deserializes one header value (ptr NULL: a null header); out as
         *  in to_data. @returns RDCP_OK or RDCP_ERR_DATA. */
        rdcp_err_t (*to_header)(void *conv, const char *topic,
                                const char *header_key, const void *ptr,
                                size_t len, rdcp_arena_t *arena,
                                rdcp_data_t *out, char *errstr,
                                size_t errstr_size);

        void (*destroy)(void *conv);
} rdcp_header_converter_vtable_t;

/*
 * ---------------------------------------------------------------------
 * The descriptor.
 * ---------------------------------------------------------------------
 */
typedef struct rdcp_descriptor {
        /* These four protect the rest: checked before anything else. */
        uint32_t magic;       /**< RDCP_MAGIC */
        uint16_t abi_major;   /**< RDCP_ABI_MAJOR the plugin was built with */
        uint16_t abi_minor;   /**< RDCP_ABI_MINOR the plugin was built with */
        uint32_t struct_size; /**< sizeof(rdcp_descriptor_t) */

        uint32_t type; /**< rdcp_plugin_type_t */
        /** Full class name, e.g.
         *  "org.apache.kafka.connect.file.FileStreamSourceConnector". */
        const char *class_name;
        /** NULL-terminated aliases, e.g. {"FileStreamSource", NULL}. */
        const char *const *aliases;
        const char *version;
        const char *description;

        const rdcp_config_def_t *config_defs;
        uint32_t config_def_cnt;
        uint32_t config_def_size; /**< sizeof(rdcp_config_def_t) */

        /** Set according to type: source = connector + source_task,
         *  sink = connector + sink_task, converter = converter (and
         *  optionally header_converter), header converter =
         *  header_converter. */
        const rdcp_connector_vtable_t *connector;
        const rdcp_source_task_vtable_t *source_task;
        const rdcp_sink_task_vtable_t *sink_task;
        const rdcp_converter_vtable_t *converter;

        /* 1.1 */
        /** A converter that has one is also listed and usable as a
         *  header converter. */
        const rdcp_header_converter_vtable_t *header_converter;
        /** Reserved for the transform and predicate vtables: NULL. */
        const void *reserved_transform;
        const void *reserved_predicate;
        /** Element sizes of the arrays this plugin exchanges with the
         *  host: sizeof() of each struct as the plugin was built. */
        uint32_t source_record_size;   /**< sizeof(rdcp_source_record_t) */
        uint32_t sink_record_size;     /**< sizeof(rdcp_sink_record_t) */
        uint32_t header_size;          /**< sizeof(rdcp_header_t) */
        uint32_t topic_partition_size; /**< sizeof(rdcp_topic_partition_t) */
} rdcp_descriptor_t;

/** Signature of the exported entry function. */
typedef const rdcp_descriptor_t *(*rdcp_entry_fn_t)(void);

/** Initializers for the protected header and the element sizes. */
#define RDCP_DESCRIPTOR_HEADER                                                 \
        .magic = RDCP_MAGIC, .abi_major = RDCP_ABI_MAJOR,                      \
        .abi_minor = RDCP_ABI_MINOR, .struct_size = sizeof(rdcp_descriptor_t), \
        .config_def_size = sizeof(rdcp_config_def_t),                          \
        .source_record_size = sizeof(rdcp_source_record_t),                    \
        .sink_record_size = sizeof(rdcp_sink_record_t),                        \
        .header_size = sizeof(rdcp_header_t),                                  \
        .topic_partition_size = sizeof(rdcp_topic_partition_t)

#ifdef __cplusplus
}
#endif
#endif /* RDCONNECT_PLUGIN_H */
