/*
 * JsonConverter.fromConnectData: Connect data -> JSON text, byte for byte
 * what Kafka's JsonConverter (Jackson) writes: schema keys in Kafka's order
 * (type, items | keys, values | fields, optional, name, version, doc,
 * parameters, default; struct fields end with "field"), Jackson's string
 * escapes, base64 for bytes, Java's number text.
 *
 * This is the hot path of every source task using JSON: output goes
 * straight into the scratch buffer through conv_out, with no allocation.
 */
#include "json_converter.h"

#include <stdio.h>
#include <string.h>

#include "conv_common.h"
#include "conv_out.h"
#include "javafmt.h"

/* Nesting beyond this is a cycle or abuse; Jackson stops at 1000 too. */
#define JSON_MAX_DEPTH 1000

typedef struct json_enc {
        conv_out_t out;
        const json_conv_t *conv;
        char *errstr;
        size_t errstr_size;
} json_enc_t;

/*
 * Jackson's output escapes for ASCII: 0 = copy, 'u' = \u00XX (upper-case
 * hex), anything else = backslash and that character. '/' and DEL are not
 * escaped; bytes >= 0x80 (UTF-8) are copied as they are.
 */
static const char json_escapes[256] = {
        [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u',  [0x04] = 'u',
        [0x05] = 'u', [0x06] = 'u', [0x07] = 'u', [0x08] = 'b',  [0x09] = 't',
        [0x0a] = 'n', [0x0b] = 'u', [0x0c] = 'f', [0x0d] = 'r',  [0x0e] = 'u',
        [0x0f] = 'u', [0x10] = 'u', [0x11] = 'u', [0x12] = 'u',  [0x13] = 'u',
        [0x14] = 'u', [0x15] = 'u', [0x16] = 'u', [0x17] = 'u',  [0x18] = 'u',
        [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u', [0x1c] = 'u',  [0x1d] = 'u',
        [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

/* Bytes of a word that are < 0x20 (control), '"' or '\\': non-zero if any.
 * Exact as a yes/no answer, which is all the caller needs. */
static uint64_t word_needs_escape(uint64_t w) {
        const uint64_t ones = 0x0101010101010101u;
        const uint64_t highs = 0x8080808080808080u;
        uint64_t quote = w ^ (ones * '"');
        uint64_t backslash = w ^ (ones * '\\');
        return (((w - ones * 0x20) & ~w) | ((quote - ones) & ~quote) |
                ((backslash - ones) & ~backslash)) &
               highs;
}

/* End of the run of bytes from i on that are copied unescaped: eight at a
 * time while no byte of the word needs an escape, then byte by byte. */
static size_t plain_run_end(const char *str, size_t i, size_t len) {
        while (len - i >= 8) {
                uint64_t w;
                memcpy(&w, str + i, sizeof(w));
                if (word_needs_escape(w))
                        break;
                i += 8;
        }
        while (i < len && !json_escapes[(unsigned char)str[i]])
                i++;
        return i;
}

static void enc_string(json_enc_t *e, const char *str, size_t len) {
        static const char hex[] = "0123456789ABCDEF";
        conv_out_t *o = &e->out;
        size_t i = 0;

        conv_out_byte(o, '"');
        while (i < len) {
                size_t run = i;
                char esc;
                /* Copy the longest run that needs no escape in one go. */
                run = plain_run_end(str, run, len);
                conv_out_write(o, str + i, run - i);
                if (run == len)
                        break;
                esc = json_escapes[(unsigned char)str[run]];
                if (esc == 'u') {
                        char seq[6] = {'\\',
                                       'u',
                                       '0',
                                       '0',
                                       hex[(unsigned char)str[run] >> 4],
                                       hex[str[run] & 0xf]};
                        conv_out_write(o, seq, sizeof(seq));
                } else {
                        char seq[2] = {'\\', esc};
                        conv_out_write(o, seq, sizeof(seq));
                }
                i = run + 1;
        }
        conv_out_byte(o, '"');
}

static void enc_cstring(json_enc_t *e, const char *str) {
        enc_string(e, str, strlen(str));
}

/* Jackson's default Base64 variant: standard alphabet, padded, one line. */
static void enc_base64(json_enc_t *e, const unsigned char *src, size_t len) {
        static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                       "abcdefghijklmnopqrstuvwxyz"
                                       "0123456789+/";
        conv_out_t *o = &e->out;
        size_t i = 0;
        char *dst;

        if (conv_out_need(o, (len + 2) / 3 * 4 + 2))
                return;
        dst = o->pos;
        *dst++ = '"';
        for (; i + 3 <= len; i += 3) {
                uint32_t v = (uint32_t)src[i] << 16 |
                             (uint32_t)src[i + 1] << 8 | src[i + 2];
                *dst++ = alphabet[v >> 18];
                *dst++ = alphabet[(v >> 12) & 63];
                *dst++ = alphabet[(v >> 6) & 63];
                *dst++ = alphabet[v & 63];
        }
        if (len - i == 1) {
                uint32_t v = (uint32_t)src[i] << 16;
                *dst++ = alphabet[v >> 18];
                *dst++ = alphabet[(v >> 12) & 63];
                *dst++ = '=';
                *dst++ = '=';
        } else if (len - i == 2) {
                uint32_t v = (uint32_t)src[i] << 16 | (uint32_t)src[i + 1] << 8;
                *dst++ = alphabet[v >> 18];
                *dst++ = alphabet[(v >> 12) & 63];
                *dst++ = alphabet[(v >> 6) & 63];
                *dst++ = '=';
        }
        *dst++ = '"';
        o->pos = dst;
}

static void enc_int(json_enc_t *e, int64_t value) {
        if (conv_out_need(&e->out, JAVAFMT_MAX))
                return;
        e->out.pos += javafmt_int64(e->out.pos, value);
}

/* Jackson quotes NaN and the infinities (QUOTE_NON_NUMERIC_NUMBERS). */
static void enc_float(json_enc_t *e, double value, int single) {
        int quote = javafmt_is_special(value);
        if (conv_out_need(&e->out, JAVAFMT_MAX + 2))
                return;
        if (quote)
                *e->out.pos++ = '"';
        e->out.pos += single ? javafmt_float(e->out.pos, (float)value)
                             : javafmt_double(e->out.pos, value);
        if (quote)
                *e->out.pos++ = '"';
}

static rdcp_err_t enc_too_deep(json_enc_t *e) {
        conv_err(e->errstr, e->errstr_size,
                 "Converting Kafka Connect data to byte[] failed: nesting "
                 "deeper than %d levels",
                 JSON_MAX_DEPTH);
        return RDCP_ERR_DATA;
}

static rdcp_err_t enc_schema(json_enc_t *e, const rdcp_schema_t *schema,
                             int depth);

/* Writes a schema object without its closing brace, so that a struct
 * field can append "field" after everything else, as Kafka does. */
static rdcp_err_t enc_schema_open(json_enc_t *e, const rdcp_schema_t *schema,
                                  int depth) {
        conv_out_t *o = &e->out;
        const char *type_name = json_schema_type_name(schema->type);
        rdcp_err_t err = RDCP_OK;

        if (depth > JSON_MAX_DEPTH)
                return enc_too_deep(e);
        if (!type_name) {
                conv_err(e->errstr, e->errstr_size,
                         "Couldn't translate unsupported schema type %u.",
                         (unsigned)schema->type);
                return RDCP_ERR_DATA;
        }
        conv_out_lit(o, "{\"type\":\"");
        conv_out_str(o, type_name);
        conv_out_byte(o, '"');
        switch (schema->type) {
        case RDCP_SCHEMA_ARRAY:
                conv_out_lit(o, ",\"items\":");
                err = enc_schema(e, schema->items, depth + 1);
                break;
        case RDCP_SCHEMA_MAP:
                conv_out_lit(o, ",\"keys\":");
                err = enc_schema(e, schema->keys, depth + 1);
                if (err)
                        break;
                conv_out_lit(o, ",\"values\":");
                err = enc_schema(e, schema->values, depth + 1);
                break;
        case RDCP_SCHEMA_STRUCT:
                conv_out_lit(o, ",\"fields\":[");
                for (uint32_t i = 0; i < schema->field_cnt && !err; i++) {
                        const rdcp_field_t *field = &schema->fields[i];
                        if (i)
                                conv_out_byte(o, ',');
                        if (!field->schema || !field->name) {
                                conv_err(e->errstr, e->errstr_size,
                                         "Struct field %u has no %s", i,
                                         field->name ? "schema" : "name");
                                return RDCP_ERR_DATA;
                        }
                        err = enc_schema_open(e, field->schema, depth + 1);
                        conv_out_lit(o, ",\"field\":");
                        enc_cstring(e, field->name);
                        conv_out_byte(o, '}');
                }
                conv_out_byte(o, ']');
                break;
        default:
                break;
        }
        if (err)
                return err;
        if (schema->optional)
                conv_out_lit(o, ",\"optional\":true");
        else
                conv_out_lit(o, ",\"optional\":false");
        if (schema->name) {
                conv_out_lit(o, ",\"name\":");
                enc_cstring(e, schema->name);
        }
        if (schema->version) {
                conv_out_lit(o, ",\"version\":");
                enc_int(e, schema->version);
        }
        if (schema->doc) {
                conv_out_lit(o, ",\"doc\":");
                enc_cstring(e, schema->doc);
        }
        if (schema->params) {
                conv_out_lit(o, ",\"parameters\":{");
                for (uint32_t i = 0; i < schema->param_cnt; i++) {
                        if (i)
                                conv_out_byte(o, ',');
                        enc_cstring(e, schema->params[i].key);
                        conv_out_byte(o, ':');
                        enc_cstring(e, schema->params[i].value);
                }
                conv_out_byte(o, '}');
        }
        if (schema->default_json) {
                conv_out_lit(o, ",\"default\":");
                conv_out_str(o, schema->default_json);
        }
        return RDCP_OK;
}

static rdcp_err_t enc_schema(json_enc_t *e, const rdcp_schema_t *schema,
                             int depth) {
        rdcp_err_t err;
        if (!schema) {
                conv_out_lit(&e->out, "null");
                return RDCP_OK;
        }
        err = enc_schema_open(e, schema, depth);
        conv_out_byte(&e->out, '}');
        return err;
}

static rdcp_err_t enc_value(json_enc_t *e, const rdcp_schema_t *schema,
                            const rdcp_data_t *data, int depth);

/* Which schema a child value is written with: the one its parent's schema
 * gives it, else (schemaless parent) the child's own. */
static const rdcp_schema_t *child_schema(const rdcp_schema_t *from_parent,
                                         int parent_has_schema,
                                         const rdcp_data_t *child) {
        return parent_has_schema ? from_parent : child->schema;
}

static rdcp_err_t enc_array(json_enc_t *e, const rdcp_schema_t *schema,
                            const rdcp_data_t *data, int depth) {
        rdcp_err_t err = RDCP_OK;
        conv_out_byte(&e->out, '[');
        for (size_t i = 0; i < data->u.list.cnt && !err; i++) {
                const rdcp_data_t *elem = &data->u.list.elems[i];
                if (i)
                        conv_out_byte(&e->out, ',');
                err = enc_value(e,
                                child_schema(schema ? schema->items : NULL,
                                             schema != NULL, elem),
                                elem, depth + 1);
        }
        conv_out_byte(&e->out, ']');
        return err;
}

/* String-keyed maps are JSON objects; any other key type makes a map an
 * array of [key, value] pairs. Without a schema, the keys decide. */
static rdcp_err_t enc_map(json_enc_t *e, const rdcp_schema_t *schema,
                          const rdcp_data_t *data, int depth) {
        const rdcp_data_t *elems = data->u.list.elems;
        size_t cnt = data->u.list.cnt;
        int object_mode = 1;
        rdcp_err_t err = RDCP_OK;

        if (cnt % 2) {
                conv_err(e->errstr, e->errstr_size,
                         "Invalid map value: %zu elements is not a list of "
                         "key/value pairs",
                         cnt);
                return RDCP_ERR_DATA;
        }
        if (schema)
                object_mode = schema->keys &&
                              schema->keys->type == RDCP_SCHEMA_STRING;
        else
                for (size_t i = 0; i < cnt; i += 2)
                        if (elems[i].kind != RDCP_DATA_STRING)
                                object_mode = 0;

        conv_out_byte(&e->out, object_mode ? '{' : '[');
        for (size_t i = 0; i < cnt && !err; i += 2) {
                const rdcp_data_t *key = &elems[i], *value = &elems[i + 1];
                const rdcp_schema_t *key_schema = child_schema(
                        schema ? schema->keys : NULL, schema != NULL, key);
                const rdcp_schema_t *value_schema = child_schema(
                        schema ? schema->values : NULL, schema != NULL, value);
                if (i)
                        conv_out_byte(&e->out, ',');
                if (object_mode) {
                        if (key->kind != RDCP_DATA_STRING) {
                                conv_err(e->errstr, e->errstr_size,
                                         "Invalid type for map key of "
                                         "STRING schema: %s",
                                         conv_kind_name(key->kind));
                                return RDCP_ERR_DATA;
                        }
                        enc_string(e, key->u.bytes.ptr, key->u.bytes.len);
                        conv_out_byte(&e->out, ':');
                        err = enc_value(e, value_schema, value, depth + 1);
                        continue;
                }
                conv_out_byte(&e->out, '[');
                err = enc_value(e, key_schema, key, depth + 1);
                conv_out_byte(&e->out, ',');
                if (!err)
                        err = enc_value(e, value_schema, value, depth + 1);
                conv_out_byte(&e->out, ']');
        }
        conv_out_byte(&e->out, object_mode ? '}' : ']');
        return err;
}

static rdcp_err_t enc_struct(json_enc_t *e, const rdcp_schema_t *schema,
                             const rdcp_data_t *data, int depth) {
        rdcp_err_t err = RDCP_OK;
        if (!schema) {
                conv_err(e->errstr, e->errstr_size,
                         "Mismatching schema: a struct needs a schema");
                return RDCP_ERR_DATA;
        }
        if (data->u.list.cnt != schema->field_cnt) {
                conv_err(e->errstr, e->errstr_size,
                         "Mismatching schema: struct has %zu values but its "
                         "schema has %u fields",
                         data->u.list.cnt, (unsigned)schema->field_cnt);
                return RDCP_ERR_DATA;
        }
        conv_out_byte(&e->out, '{');
        for (uint32_t i = 0; i < schema->field_cnt && !err; i++) {
                if (i)
                        conv_out_byte(&e->out, ',');
                enc_cstring(e, schema->fields[i].name);
                conv_out_byte(&e->out, ':');
                err = enc_value(e, schema->fields[i].schema,
                                &data->u.list.elems[i], depth + 1);
        }
        conv_out_byte(&e->out, '}');
        return err;
}

/* decimal.format=NUMERIC: the number itself, as BigDecimal prints it. */
static rdcp_err_t enc_decimal_numeric(json_enc_t *e,
                                      const rdcp_schema_t *schema,
                                      const rdcp_data_t *data) {
        char text[512];
        int32_t scale;
        size_t len;

        if (json_decimal_scale(schema, &scale)) {
                conv_err(e->errstr, e->errstr_size,
                         "Invalid Decimal schema: scale parameter not found.");
                return RDCP_ERR_DATA;
        }
        len = javafmt_decimal(text, sizeof(text), data->u.bytes.ptr,
                              data->u.bytes.len, scale);
        if (!len) {
                conv_err(e->errstr, e->errstr_size,
                         "Invalid Decimal value of %zu bytes",
                         data->u.bytes.len);
                return RDCP_ERR_DATA;
        }
        conv_out_write(&e->out, text, len);
        return RDCP_OK;
}

/* The data kind a schema type is written from. */
static uint32_t kind_of_type(uint32_t type) {
        switch (type) {
        case RDCP_SCHEMA_INT8:
        case RDCP_SCHEMA_INT16:
        case RDCP_SCHEMA_INT32:
        case RDCP_SCHEMA_INT64:
                return RDCP_DATA_INT;
        case RDCP_SCHEMA_FLOAT32:
        case RDCP_SCHEMA_FLOAT64:
                return RDCP_DATA_FLOAT;
        case RDCP_SCHEMA_BOOLEAN:
                return RDCP_DATA_BOOL;
        case RDCP_SCHEMA_STRING:
                return RDCP_DATA_STRING;
        case RDCP_SCHEMA_BYTES:
                return RDCP_DATA_BYTES;
        case RDCP_SCHEMA_ARRAY:
                return RDCP_DATA_ARRAY;
        case RDCP_SCHEMA_MAP:
                return RDCP_DATA_MAP;
        case RDCP_SCHEMA_STRUCT:
                return RDCP_DATA_STRUCT;
        default:
                return RDCP_DATA_NULL;
        }
}

static rdcp_err_t enc_null(json_enc_t *e, const rdcp_schema_t *schema) {
        if (schema && schema->default_json &&
            e->conv->replace_null_with_default) {
                conv_out_str(&e->out, schema->default_json);
                return RDCP_OK;
        }
        if (schema && !schema->optional) {
                conv_err(e->errstr, e->errstr_size,
                         "Conversion error: null value for field that is "
                         "required and has no default value");
                return RDCP_ERR_DATA;
        }
        conv_out_lit(&e->out, "null");
        return RDCP_OK;
}

static rdcp_err_t enc_value(json_enc_t *e, const rdcp_schema_t *schema,
                            const rdcp_data_t *data, int depth) {
        if (depth > JSON_MAX_DEPTH)
                return enc_too_deep(e);
        if (data->kind == RDCP_DATA_NULL)
                return enc_null(e, schema);
        if (schema && data->kind != kind_of_type(schema->type)) {
                conv_err(e->errstr, e->errstr_size, "Invalid type for %s: %s",
                         conv_schema_type_name(schema->type),
                         conv_kind_name(data->kind));
                return RDCP_ERR_DATA;
        }
        switch (data->kind) {
        case RDCP_DATA_BOOL:
                if (data->u.b)
                        conv_out_lit(&e->out, "true");
                else
                        conv_out_lit(&e->out, "false");
                return RDCP_OK;
        case RDCP_DATA_INT:
                enc_int(e, data->u.i);
                return RDCP_OK;
        case RDCP_DATA_FLOAT:
                enc_float(e, data->u.f,
                          schema && schema->type == RDCP_SCHEMA_FLOAT32);
                return RDCP_OK;
        case RDCP_DATA_STRING:
                enc_string(e, data->u.bytes.ptr, data->u.bytes.len);
                return RDCP_OK;
        case RDCP_DATA_BYTES:
                if (e->conv->decimal_numeric && json_is_decimal(schema))
                        return enc_decimal_numeric(e, schema, data);
                enc_base64(e, data->u.bytes.ptr, data->u.bytes.len);
                return RDCP_OK;
        case RDCP_DATA_ARRAY:
                return enc_array(e, schema, data, depth);
        case RDCP_DATA_MAP:
                return enc_map(e, schema, data, depth);
        case RDCP_DATA_STRUCT:
                return enc_struct(e, schema, data, depth);
        default:
                conv_err(e->errstr, e->errstr_size,
                         "Couldn't convert value of kind %u to JSON.",
                         (unsigned)data->kind);
                return RDCP_ERR_DATA;
        }
}

rdcp_err_t json_encode(const json_conv_t *conv, const rdcp_data_t *data,
                       rdcp_buf_t *scratch, rdcp_bytes_t *out, char *errstr,
                       size_t errstr_size) {
        static const rdcp_data_t null_data = {.kind = RDCP_DATA_NULL};
        json_enc_t e = {
                .conv = conv, .errstr = errstr, .errstr_size = errstr_size};
        const rdcp_schema_t *schema = data ? data->schema : NULL;
        rdcp_err_t err;

        if (!data)
                data = &null_data;
        /* No schema and no value: a Kafka null (tombstone), as in Kafka. */
        if (!schema && data->kind == RDCP_DATA_NULL) {
                out->ptr = NULL;
                out->len = 0;
                return RDCP_OK;
        }
        conv_out_begin(&e.out, conv->host, scratch);
        if (conv->schemas_enable) {
                conv_out_lit(&e.out, "{\"schema\":");
                err = enc_schema(&e, schema, 0);
                if (err)
                        return err;
                conv_out_lit(&e.out, ",\"payload\":");
        }
        err = enc_value(&e, schema, data, 0);
        if (err)
                return err;
        if (conv->schemas_enable)
                conv_out_byte(&e.out, '}');
        err = conv_out_end(&e.out, out);
        if (err)
                conv_err(errstr, errstr_size,
                         "Converting Kafka Connect data to byte[] failed: "
                         "out of memory");
        return err;
}
