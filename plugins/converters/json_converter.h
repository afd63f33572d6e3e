/*
 * JsonConverter internals shared by its three files: the instance state
 * (json_converter.c), Connect data -> JSON (json_encode.c) and JSON ->
 * Connect data (json_decode.c).
 */
#ifndef RDC_JSON_CONVERTER_H
#define RDC_JSON_CONVERTER_H

#include <rdconnect/plugin.h>

struct json_tokener;

/** Logical type whose JSON form decimal.format selects. */
#define JSON_DECIMAL_NAME "org.apache.kafka.connect.data.Decimal"

typedef struct json_conv {
        const rdcp_host_t *host;
        const rdcp_ctx_t *ctx;
        int schemas_enable;
        int replace_null_with_default;
        int decimal_numeric;      /**< decimal.format=NUMERIC */
        struct json_tokener *tok; /**< reused by every to_data() */
} json_conv_t;

/** Schema type name as JsonConverter spells it ("int32", "float", ...),
 *  or NULL for an unknown type. */
const char *json_schema_type_name(uint32_t type);

/** The "scale" parameter of a Decimal schema. @returns 0 or -1. */
int json_decimal_scale(const rdcp_schema_t *schema, int32_t *scale);

/** @returns 1 if schema is the Decimal logical type. */
int json_is_decimal(const rdcp_schema_t *schema);

rdcp_err_t json_encode(const json_conv_t *conv, const rdcp_data_t *data,
                       rdcp_buf_t *scratch, rdcp_bytes_t *out, char *errstr,
                       size_t errstr_size);

rdcp_err_t json_decode(json_conv_t *conv, const void *ptr, size_t len,
                       rdcp_arena_t *arena, rdcp_data_t *out, char *errstr,
                       size_t errstr_size);

#endif
