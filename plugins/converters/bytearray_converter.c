/*
 * ByteArrayConverter plugin:
 * org.apache.kafka.connect.converters.ByteArrayConverter. Pass-through:
 * bytes are never copied in either direction (the data path rule for
 * unconverted records).
 *
 * Difference from Kafka: a STRING value is passed through as its UTF-8
 * bytes instead of being refused.
 */
#include <string.h>

#include "conv_common.h"

static const rdcp_config_def_t bytearray_config_defs[] = {
        CONV_TYPE_CONFIG_DEF,
};

static const rdcp_schema_t optional_bytes_schema = {
        .type = RDCP_SCHEMA_BYTES,
        .optional = 1,
};

static rdcp_err_t bytearray_from_data(void *conv, const char *topic,
                                      const rdcp_data_t *data,
                                      rdcp_buf_t *scratch, rdcp_bytes_t *out,
                                      char *errstr, size_t errstr_size) {
        const rdcp_schema_t *schema = data ? data->schema : NULL;

        (void)conv;
        (void)topic;
        (void)scratch;
        if (schema && schema->type != RDCP_SCHEMA_BYTES &&
            schema->type != RDCP_SCHEMA_STRING) {
                conv_err(errstr, errstr_size,
                         "Invalid schema type for ByteArrayConverter: %s",
                         conv_schema_type_name(schema->type));
                return RDCP_ERR_DATA;
        }
        if (!data || data->kind == RDCP_DATA_NULL) {
                out->ptr = NULL;
                out->len = 0;
                return RDCP_OK;
        }
        if (data->kind != RDCP_DATA_BYTES && data->kind != RDCP_DATA_STRING) {
                conv_err(errstr, errstr_size,
                         "ByteArrayConverter is not compatible with objects "
                         "of type %s",
                         conv_kind_name(data->kind));
                return RDCP_ERR_DATA;
        }
        /* An empty value stays an empty value, not a Kafka null. */
        out->ptr = data->u.bytes.ptr ? data->u.bytes.ptr : "";
        out->len = data->u.bytes.len;
        return RDCP_OK;
}

static rdcp_err_t bytearray_to_data(void *conv, const char *topic,
                                    const void *ptr, size_t len,
                                    rdcp_arena_t *arena, rdcp_data_t *out,
                                    char *errstr, size_t errstr_size) {
        (void)conv;
        (void)topic;
        (void)arena;
        (void)errstr;
        (void)errstr_size;
        conv_raw_data(out, &optional_bytes_schema, RDCP_DATA_BYTES, ptr, len);
        return RDCP_OK;
}

/* As in Kafka, ByteArrayConverter is a header converter too. */
CONV_PLUGIN(bytearray, "org.apache.kafka.connect.converters.ByteArrayConverter",
            "ByteArrayConverter", "Raw bytes, passed through without a copy",
            bytearray_config_defs, conv_stateless_create, bytearray_from_data,
            bytearray_to_data, conv_stateless_destroy);
