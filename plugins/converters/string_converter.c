/*
 * StringConverter plugin: org.apache.kafka.connect.storage.StringConverter.
 * Strings go through without a copy in either direction; any other value
 * is written as Java's toString() of it, as Kafka does (numbers as Java
 * prints them, lists "[a, b]", maps "{k=v}", structs "Struct{f=v}").
 *
 * Differences from Kafka: bytes are written raw (Java would print an
 * array's identity, "[B@1b6d3586"), and input bytes are not checked for
 * valid UTF-8 (Java replaces malformed sequences with U+FFFD).
 */
#include <string.h>
#include <strings.h>

#include "conv_common.h"
#include "conv_out.h"
#include "javafmt.h"

#define STRING_MAX_DEPTH 1000

typedef struct string_conv {
        const rdcp_host_t *host;
} string_conv_t;

/* Java charset names and aliases of UTF-8 (case-insensitive). */
static int is_utf8_name(const char *value) {
        return !strcasecmp(value, "UTF-8") || !strcasecmp(value, "UTF8") ||
               !strcasecmp(value, "unicode-1-1-utf-8");
}

static rdcp_err_t validate_encoding(const char *name, const char *value,
                                    char *errstr, size_t errstr_size) {
        if (value && is_utf8_name(value))
                return RDCP_OK;
        conv_err(errstr, errstr_size,
                 "Invalid value %s for configuration %s: only UTF-8 is "
                 "supported by this StringConverter",
                 value ? value : "null", name);
        return RDCP_ERR_CONFIG;
}

static const rdcp_config_def_t string_config_defs[] = {
        CONV_TYPE_CONFIG_DEF,
        {
                .name = "converter.encoding",
                .type = RDCP_CFG_STRING,
                .importance = RDCP_IMPORTANCE_HIGH,
                .order = 0,
                .default_value = "UTF-8",
                .documentation = "The name of the Java character set to use "
                                 "for encoding strings as byte arrays.",
                .group = "Converter",
                .display_name = "Encoding",
                .validator = validate_encoding,
        },
};

static const rdcp_schema_t optional_string_schema = {
        .type = RDCP_SCHEMA_STRING,
        .optional = 1,
};

static rdcp_err_t string_conv_create(const rdcp_ctx_t *ctx,
                                     const rdcp_host_t *host,
                                     const rdcp_config_t *cfg, void **convp,
                                     char *errstr, size_t errstr_size) {
        const char *encoding =
                cfg ? host->config_get(cfg, "converter.encoding") : NULL;
        string_conv_t *conv;

        (void)ctx;
        *convp = NULL;
        if (encoding && validate_encoding("converter.encoding", encoding,
                                          errstr, errstr_size))
                return RDCP_ERR_CONFIG;
        conv = conv_state_new(host, sizeof(*conv));
        if (!conv) {
                conv_err(errstr, errstr_size, "StringConverter: out of memory");
                return RDCP_ERR_NOMEM;
        }
        conv->host = host;
        *convp = conv;
        return RDCP_OK;
}

static void string_conv_destroy(void *state) {
        string_conv_t *conv = state;
        if (conv)
                conv->host->free(conv);
}

static rdcp_err_t java_text(conv_out_t *o, const rdcp_schema_t *schema,
                            const rdcp_data_t *data, int depth, char *errstr,
                            size_t errstr_size);

/* A child's schema: what the parent's schema says, else its own. */
static const rdcp_schema_t *child_schema(const rdcp_schema_t *parent,
                                         const rdcp_schema_t *from_parent,
                                         const rdcp_data_t *child) {
        return parent ? from_parent : child->schema;
}

/* Java's AbstractCollection/AbstractMap/Struct toString layouts. */
static rdcp_err_t java_list_text(conv_out_t *o, const rdcp_schema_t *schema,
                                 const rdcp_data_t *data, int depth,
                                 char *errstr, size_t errstr_size) {
        const rdcp_data_t *elems = data->u.list.elems;
        size_t cnt = data->u.list.cnt;
        rdcp_err_t err = RDCP_OK;

        switch (data->kind) {
        case RDCP_DATA_ARRAY:
                conv_out_byte(o, '[');
                for (size_t i = 0; i < cnt && !err; i++) {
                        if (i)
                                conv_out_lit(o, ", ");
                        err = java_text(
                                o,
                                child_schema(schema,
                                             schema ? schema->items : NULL,
                                             &elems[i]),
                                &elems[i], depth + 1, errstr, errstr_size);
                }
                conv_out_byte(o, ']');
                return err;
        case RDCP_DATA_MAP:
                conv_out_byte(o, '{');
                for (size_t i = 0; i + 1 < cnt && !err; i += 2) {
                        if (i)
                                conv_out_lit(o, ", ");
                        err = java_text(
                                o,
                                child_schema(schema,
                                             schema ? schema->keys : NULL,
                                             &elems[i]),
                                &elems[i], depth + 1, errstr, errstr_size);
                        conv_out_byte(o, '=');
                        if (!err)
                                err = java_text(
                                        o,
                                        child_schema(schema,
                                                     schema ? schema->values
                                                            : NULL,
                                                     &elems[i + 1]),
                                        &elems[i + 1], depth + 1, errstr,
                                        errstr_size);
                }
                conv_out_byte(o, '}');
                return err;
        default:
                break;
        }
        if (!schema || schema->field_cnt != cnt) {
                conv_err(errstr, errstr_size,
                         "StringConverter: struct value does not match its "
                         "schema");
                return RDCP_ERR_DATA;
        }
        /* Struct.toString lists the non-null fields only. */
        conv_out_lit(o, "Struct{");
        for (size_t i = 0, written = 0; i < cnt && !err; i++) {
                if (elems[i].kind == RDCP_DATA_NULL)
                        continue;
                if (written++)
                        conv_out_byte(o, ',');
                conv_out_str(o, schema->fields[i].name);
                conv_out_byte(o, '=');
                err = java_text(o, schema->fields[i].schema, &elems[i],
                                depth + 1, errstr, errstr_size);
        }
        conv_out_byte(o, '}');
        return err;
}

static rdcp_err_t java_text(conv_out_t *o, const rdcp_schema_t *schema,
                            const rdcp_data_t *data, int depth, char *errstr,
                            size_t errstr_size) {
        if (depth > STRING_MAX_DEPTH) {
                conv_err(errstr, errstr_size,
                         "StringConverter: nesting deeper than %d levels",
                         STRING_MAX_DEPTH);
                return RDCP_ERR_DATA;
        }
        switch (data->kind) {
        case RDCP_DATA_NULL:
                conv_out_lit(o, "null");
                return RDCP_OK;
        case RDCP_DATA_BOOL:
                if (data->u.b)
                        conv_out_lit(o, "true");
                else
                        conv_out_lit(o, "false");
                return RDCP_OK;
        case RDCP_DATA_INT:
                if (!conv_out_need(o, JAVAFMT_MAX))
                        o->pos += javafmt_int64(o->pos, data->u.i);
                return RDCP_OK;
        case RDCP_DATA_FLOAT:
                if (conv_out_need(o, JAVAFMT_MAX))
                        return RDCP_OK;
                if (schema && schema->type == RDCP_SCHEMA_FLOAT32)
                        o->pos += javafmt_float(o->pos, (float)data->u.f);
                else
                        o->pos += javafmt_double(o->pos, data->u.f);
                return RDCP_OK;
        case RDCP_DATA_STRING:
        case RDCP_DATA_BYTES:
                conv_out_write(o, data->u.bytes.ptr, data->u.bytes.len);
                return RDCP_OK;
        case RDCP_DATA_ARRAY:
        case RDCP_DATA_MAP:
        case RDCP_DATA_STRUCT:
                return java_list_text(o, schema, data, depth, errstr,
                                      errstr_size);
        default:
                conv_err(errstr, errstr_size,
                         "StringConverter: unknown data kind %u",
                         (unsigned)data->kind);
                return RDCP_ERR_DATA;
        }
}

static rdcp_err_t string_conv_from_data(void *state, const char *topic,
                                        const rdcp_data_t *data,
                                        rdcp_buf_t *scratch, rdcp_bytes_t *out,
                                        char *errstr, size_t errstr_size) {
        string_conv_t *conv = state;
        conv_out_t o;
        rdcp_err_t err;

        (void)topic;
        if (!data || data->kind == RDCP_DATA_NULL) {
                out->ptr = NULL;
                out->len = 0;
                return RDCP_OK;
        }
        if (data->kind == RDCP_DATA_STRING || data->kind == RDCP_DATA_BYTES) {
                /* Zero copy; an empty value must not turn into a null. */
                out->ptr = data->u.bytes.ptr ? data->u.bytes.ptr : "";
                out->len = data->u.bytes.len;
                return RDCP_OK;
        }
        conv_out_begin(&o, conv->host, scratch);
        err = java_text(&o, data->schema, data, 0, errstr, errstr_size);
        if (err)
                return err;
        err = conv_out_end(&o, out);
        if (err)
                conv_err(errstr, errstr_size, "StringConverter: out of memory");
        return err;
}

static rdcp_err_t string_conv_to_data(void *state, const char *topic,
                                      const void *ptr, size_t len,
                                      rdcp_arena_t *arena, rdcp_data_t *out,
                                      char *errstr, size_t errstr_size) {
        (void)state;
        (void)topic;
        (void)arena;
        (void)errstr;
        (void)errstr_size;
        conv_raw_data(out, &optional_string_schema, RDCP_DATA_STRING, ptr, len);
        return RDCP_OK;
}

/* As in Kafka, StringConverter is a header converter too. */
CONV_PLUGIN(string_conv, "org.apache.kafka.connect.storage.StringConverter",
            "StringConverter", "Values as UTF-8 text", string_config_defs,
            string_conv_create, string_conv_from_data, string_conv_to_data,
            string_conv_destroy);
