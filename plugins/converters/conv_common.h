/*
 * Helpers shared by the converter plugins (String, ByteArray, Json and the
 * number converters): error text, names of kinds and schema types as Kafka
 * prints them, typed config reads with defaults, and the "converter.type"
 * definition every Kafka converter carries (ConverterConfig).
 *
 * Linked statically into each converter .so; nothing here is exported.
 */
#ifndef RDC_CONV_COMMON_H
#define RDC_CONV_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <rdconnect/plugin.h>

#ifndef RDC_CONV_VERSION
#define RDC_CONV_VERSION "0.0.0"
#endif

/** Values accepted by "converter.type" (Kafka's ConverterType). */
extern const char *const conv_type_values[];

/** The ConverterConfig definition of "converter.type". The host sets it;
 *  it has no default, as in Kafka. */
#define CONV_TYPE_CONFIG_DEF                                                   \
        {                                                                      \
                .name = "converter.type", .type = RDCP_CFG_STRING,             \
                .importance = RDCP_IMPORTANCE_LOW,                             \
                .documentation = "How this converter will be used.",           \
                .valid_values = conv_type_values,                              \
        }

/** Writes one line of error text into errstr (NULL or size 0: ignored). */
void conv_err(char *errstr, size_t errstr_size, const char *fmt, ...)
        RDCP_PRINTF(3, 4);

/** conv_err() with a va_list. */
void conv_verr(char *errstr, size_t errstr_size, const char *fmt, va_list ap);

/** "null", "boolean", "integer", ... for an rdcp_data_kind_t. */
const char *conv_kind_name(uint32_t kind);
/** Kafka's Schema.Type name: "INT32", "STRING", ... */
const char *conv_schema_type_name(uint32_t type);

/**
 * @brief Reads a BOOLEAN config key; an absent key yields dflt (the host
 *        applies defaults, but a converter must not depend on it).
 * @returns RDCP_OK or RDCP_ERR_CONFIG with the reason in errstr.
 */
rdcp_err_t conv_cfg_bool(const rdcp_host_t *host, const rdcp_config_t *cfg,
                         const char *key, int dflt, int *out, char *errstr,
                         size_t errstr_size);

/** Same for INT keys, with an inclusive range. */
rdcp_err_t conv_cfg_int(const rdcp_host_t *host, const rdcp_config_t *cfg,
                        const char *key, int64_t dflt, int64_t min, int64_t max,
                        int64_t *out, char *errstr, size_t errstr_size);

/** create() of converters without configuration or state: *convp gets
 *  a pointer to host (the only thing they need). */
rdcp_err_t conv_stateless_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                                 const rdcp_config_t *cfg, void **convp,
                                 char *errstr, size_t errstr_size);
/** destroy() matching conv_stateless_create(). */
void conv_stateless_destroy(void *conv);

/** Allocates a zeroed instance of size bytes with host->malloc. */
void *conv_state_new(const rdcp_host_t *host, size_t size);

/**
 * @brief Points out at the bytes ptr..ptr+len as a value of the given kind
 *        (RDCP_DATA_BYTES or RDCP_DATA_STRING) and schema, without a copy;
 *        a NULL ptr is a null value of that schema. The to_data of the
 *        String and ByteArray converters.
 */
void conv_raw_data(rdcp_data_t *out, const rdcp_schema_t *schema, uint32_t kind,
                   const void *ptr, size_t len);

/**
 * Defines the whole plugin of a converter that is also a header converter,
 * with header values written and read as record values are (Kafka's
 * StringConverter, ByteArrayConverter, JsonConverter and the number
 * converters implement HeaderConverter that way): the converter vtable, the
 * header converter vtable, the descriptor and the entry point. class_name_ is
 * the Java class name, alias_ the short name, the functions the converter's
 * own create, from_data, to_data and destroy.
 */
#define CONV_PLUGIN(name, class_name_, alias_, description_, defs, create_fn,  \
                    from_fn, to_fn, destroy_fn)                                \
        static rdcp_err_t name##_from_header(                                  \
                void *state, const char *topic, const char *key,               \
                const rdcp_data_t *data, rdcp_buf_t *scratch,                  \
                rdcp_bytes_t *out, char *errstr, size_t errstr_size) {         \
                (void)key;                                                     \
                return from_fn(state, topic, data, scratch, out, errstr,       \
                               errstr_size);                                   \
        }                                                                      \
        static rdcp_err_t name##_to_header(                                    \
                void *state, const char *topic, const char *key,               \
                const void *ptr, size_t len, rdcp_arena_t *arena,              \
                rdcp_data_t *out, char *errstr, size_t errstr_size) {          \
                (void)key;                                                     \
                return to_fn(state, topic, ptr, len, arena, out, errstr,       \
                             errstr_size);                                     \
        }                                                                      \
        static const rdcp_header_converter_vtable_t name##_header_vtable = {   \
                .struct_size = sizeof(rdcp_header_converter_vtable_t),         \
                .create = create_fn,                                           \
                .from_header = name##_from_header,                             \
                .to_header = name##_to_header,                                 \
                .destroy = destroy_fn,                                         \
        };                                                                     \
        static const rdcp_converter_vtable_t name##_vtable = {                 \
                .struct_size = sizeof(rdcp_converter_vtable_t),                \
                .create = create_fn,                                           \
                .from_data = from_fn,                                          \
                .to_data = to_fn,                                              \
                .destroy = destroy_fn,                                         \
        };                                                                     \
        static const char *const name##_aliases[] = {alias_, NULL};            \
        static const rdcp_descriptor_t name##_descriptor = {                   \
                RDCP_DESCRIPTOR_HEADER,                                        \
                .type = RDCP_PLUGIN_CONVERTER,                                 \
                .class_name = class_name_,                                     \
                .aliases = name##_aliases,                                     \
                .version = RDC_CONV_VERSION,                                   \
                .description = description_,                                   \
                .config_defs = defs,                                           \
                .config_def_cnt = sizeof(defs) / sizeof((defs)[0]),            \
                .converter = &name##_vtable,                                   \
                .header_converter = &name##_header_vtable,                     \
        };                                                                     \
        RDCP_PLUGIN_ENTRY(name##_descriptor)

#endif
