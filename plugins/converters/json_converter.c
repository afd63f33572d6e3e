/*
 * JsonConverter plugin: org.apache.kafka.connect.json.JsonConverter.
 * Instance state, config and the descriptor; the conversions themselves
 * live in json_encode.c and json_decode.c.
 */
#include "json_converter.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "conv_common.h"

/* json-c's default depth (32) is too shallow for an envelope around a
 * nested schema; decoding bounds its own recursion as well. */
#define JSON_TOKENER_DEPTH 256

const char *json_schema_type_name(uint32_t type) {
        static const char *const names[] = {
                [RDCP_SCHEMA_INT8] = "int8",
                [RDCP_SCHEMA_INT16] = "int16",
                [RDCP_SCHEMA_INT32] = "int32",
                [RDCP_SCHEMA_INT64] = "int64",
                [RDCP_SCHEMA_FLOAT32] = "float",
                [RDCP_SCHEMA_FLOAT64] = "double",
                [RDCP_SCHEMA_BOOLEAN] = "boolean",
                [RDCP_SCHEMA_STRING] = "string",
                [RDCP_SCHEMA_BYTES] = "bytes",
                [RDCP_SCHEMA_ARRAY] = "array",
                [RDCP_SCHEMA_MAP] = "map",
                [RDCP_SCHEMA_STRUCT] = "struct",
        };
        if (type < sizeof(names) / sizeof(names[0]))
                return names[type];
        return NULL;
}

int json_is_decimal(const rdcp_schema_t *schema) {
        return schema && schema->type == RDCP_SCHEMA_BYTES && schema->name &&
               !strcmp(schema->name, JSON_DECIMAL_NAME);
}

int json_decimal_scale(const rdcp_schema_t *schema, int32_t *scale) {
        for (uint32_t i = 0; schema->params && i < schema->param_cnt; i++) {
                char *end;
                long value;
                if (strcmp(schema->params[i].key, "scale"))
                        continue;
                value = strtol(schema->params[i].value, &end, 10);
                if (*end || end == schema->params[i].value ||
                    value < INT32_MIN || value > INT32_MAX)
                        return -1;
                *scale = (int32_t)value;
                return 0;
        }
        return -1;
}

/* decimal.format is case-insensitive in Kafka, which valid_values (exact
 * match) cannot express. */
static rdcp_err_t validate_decimal_format(const char *name, const char *value,
                                          char *errstr, size_t errstr_size) {
        if (value &&
            (!strcasecmp(value, "BASE64") || !strcasecmp(value, "NUMERIC")))
                return RDCP_OK;
        conv_err(errstr, errstr_size,
                 "Invalid value %s for configuration %s: String must be one "
                 "of (case insensitive): BASE64, NUMERIC",
                 value ? value : "null", name);
        return RDCP_ERR_CONFIG;
}

static const rdcp_config_def_t json_config_defs[] = {
        CONV_TYPE_CONFIG_DEF,
        {
                .name = "schemas.enable",
                .type = RDCP_CFG_BOOLEAN,
                .importance = RDCP_IMPORTANCE_HIGH,
                .order = 0,
                .default_value = "true",
                .documentation = "Include schemas within each of the "
                                 "serialized values and keys.",
                .group = "Schemas",
                .display_name = "Enable Schemas",
        },
        {
                .name = "schemas.cache.size",
                .type = RDCP_CFG_INT,
                .importance = RDCP_IMPORTANCE_HIGH,
                .order = 1,
                .default_value = "1000",
                .documentation = "The maximum number of schemas that can be "
                                 "cached in this converter instance.",
                .group = "Schemas",
                .display_name = "Schema Cache Size",
        },
        {
                .name = "decimal.format",
                .type = RDCP_CFG_STRING,
                .importance = RDCP_IMPORTANCE_LOW,
                .order = 0,
                .default_value = "BASE64",
                .documentation = "Controls which format this converter will "
                                 "serialize decimals in. This value is case "
                                 "insensitive and can be either 'BASE64' "
                                 "(default) or 'NUMERIC'",
                .group = "Serialization",
                .display_name = "Decimal Format",
                .validator = validate_decimal_format,
        },
        {
                .name = "replace.null.with.default",
                .type = RDCP_CFG_BOOLEAN,
                .importance = RDCP_IMPORTANCE_LOW,
                .order = 1,
                .default_value = "true",
                .documentation = "Whether to replace fields that have a "
                                 "default value and that are null to the "
                                 "default value. When set to true, the "
                                 "default value is used, otherwise null is "
                                 "used.",
                .group = "Serialization",
                .display_name = "Replace null with default",
        },
};

static void json_conv_destroy(void *state) {
        json_conv_t *conv = state;
        if (!conv)
                return;
        if (conv->tok)
                json_tokener_free(conv->tok);
        conv->host->free(conv);
}

static rdcp_err_t json_conv_configure(json_conv_t *conv,
                                      const rdcp_config_t *cfg, char *errstr,
                                      size_t errstr_size) {
        const rdcp_host_t *host = conv->host;
        const char *decimal_format =
                cfg ? host->config_get(cfg, "decimal.format") : NULL;
        int64_t cache_size;
        rdcp_err_t err;

        err = conv_cfg_bool(host, cfg, "schemas.enable", 1,
                            &conv->schemas_enable, errstr, errstr_size);
        if (!err)
                err = conv_cfg_bool(host, cfg, "replace.null.with.default", 1,
                                    &conv->replace_null_with_default, errstr,
                                    errstr_size);
        /* Read for validation only: schemas are rendered per record, there
         * is no cache to size. */
        if (!err)
                err = conv_cfg_int(host, cfg, "schemas.cache.size", 1000,
                                   INT32_MIN, INT32_MAX, &cache_size, errstr,
                                   errstr_size);
        if (!err && decimal_format)
                err = validate_decimal_format("decimal.format", decimal_format,
                                              errstr, errstr_size);
        conv->decimal_numeric =
                decimal_format && !strcasecmp(decimal_format, "NUMERIC");
        return err;
}

static rdcp_err_t json_conv_create(const rdcp_ctx_t *ctx,
                                   const rdcp_host_t *host,
                                   const rdcp_config_t *cfg, void **convp,
                                   char *errstr, size_t errstr_size) {
        json_conv_t *conv = conv_state_new(host, sizeof(*conv));
        rdcp_err_t err;

        *convp = NULL;
        if (!conv) {
                conv_err(errstr, errstr_size, "JsonConverter: out of memory");
                return RDCP_ERR_NOMEM;
        }
        conv->host = host;
        conv->ctx = ctx;
        err = json_conv_configure(conv, cfg, errstr, errstr_size);
        if (err)
                goto fail;
        conv->tok = json_tokener_new_ex(JSON_TOKENER_DEPTH);
        if (!conv->tok) {
                conv_err(errstr, errstr_size, "JsonConverter: out of memory");
                err = RDCP_ERR_NOMEM;
                goto fail;
        }
        /* Strict RFC 8259 input, and only valid UTF-8, like Jackson. */
        json_tokener_set_flags(conv->tok, JSON_TOKENER_STRICT |
                                                  JSON_TOKENER_VALIDATE_UTF8);
        *convp = conv;
        return RDCP_OK;
fail:
        json_conv_destroy(conv);
        return err;
}

static rdcp_err_t json_conv_from_data(void *state, const char *topic,
                                      const rdcp_data_t *data,
                                      rdcp_buf_t *scratch, rdcp_bytes_t *out,
                                      char *errstr, size_t errstr_size) {
        (void)topic;
        return json_encode(state, data, scratch, out, errstr, errstr_size);
}

static rdcp_err_t json_conv_to_data(void *state, const char *topic,
                                    const void *ptr, size_t len,
                                    rdcp_arena_t *arena, rdcp_data_t *out,
                                    char *errstr, size_t errstr_size) {
        (void)topic;
        return json_decode(state, ptr, len, arena, out, errstr, errstr_size);
}

/* As in Kafka, JsonConverter is a header converter too. */
CONV_PLUGIN(json_conv, "org.apache.kafka.connect.json.JsonConverter",
            "JsonConverter",
            "Kafka Connect data as JSON, optionally in a "
            "{\"schema\",\"payload\"} envelope",
            json_config_defs, json_conv_create, json_conv_from_data,
            json_conv_to_data, json_conv_destroy);
