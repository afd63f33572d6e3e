/*
 * JsonConverter.toConnectData: JSON text -> Connect data, as Kafka's
 * JsonConverter reads it (envelope check, asConnectSchema,
 * convertToConnect). json-c parses; the schema and data trees are built in
 * the host arena, so they live until the host resets it after the batch.
 *
 * Stricter than Kafka where Kafka silently coerces: a payload must have the
 * JSON type its schema asks for (Jackson would read a string as int 0),
 * integers must fit their width, and trailing bytes after the JSON value
 * are an error (Jackson ignores them). More lenient in one way: json-c
 * accepts single-quoted strings even in strict mode (Jackson refuses).
 */
#include "json_converter.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include <json-c/json.h>

#include "conv_common.h"
#include "javafmt.h"

#define JSON_MAX_DEPTH 1000

/* Our schema plus its default as data, which rdcp_schema_t cannot hold
 * (it keeps the default as JSON text). pub comes first: a pointer to pub
 * is a pointer to the whole. */
typedef struct json_schema {
        rdcp_schema_t pub;
        const rdcp_data_t *default_data;
} json_schema_t;

typedef struct json_dec {
        const json_conv_t *conv;
        rdcp_arena_t *arena;
        char *errstr;
        size_t errstr_size;
        const char *text; /**< the record, for dec_clamped() */
        size_t text_len;
        int clamped; /**< dec_clamped()'s answer; -1 until asked */
} json_dec_t;

static const json_schema_t *as_json_schema(const rdcp_schema_t *schema) {
        return (const json_schema_t *)(const void *)schema;
}

/* Jackson's JsonNodeType names, for messages. */
static const char *node_type_name(json_object *j) {
        switch (json_object_get_type(j)) {
        case json_type_null:
                return "NULL";
        case json_type_boolean:
                return "BOOLEAN";
        case json_type_double:
        case json_type_int:
                return "NUMBER";
        case json_type_string:
                return "STRING";
        case json_type_array:
                return "ARRAY";
        case json_type_object:
                return "OBJECT";
        }
        return "UNKNOWN";
}

static rdcp_err_t dec_fail(json_dec_t *d, const char *fmt, ...)
        RDCP_PRINTF(2, 3);

static rdcp_err_t dec_fail(json_dec_t *d, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        conv_verr(d->errstr, d->errstr_size, fmt, ap);
        va_end(ap);
        return RDCP_ERR_DATA;
}

static rdcp_err_t dec_nomem(json_dec_t *d) {
        conv_err(d->errstr, d->errstr_size,
                 "Converting byte[] to Kafka Connect data failed: out of "
                 "memory");
        return RDCP_ERR_NOMEM;
}

static void *dec_alloc(json_dec_t *d, size_t size) {
        void *ptr = d->conv->host->arena_alloc(d->arena, size ? size : 1);
        if (ptr)
                memset(ptr, 0, size);
        return ptr;
}

/* Copies len bytes and a NUL into the arena. */
static char *dec_copy(json_dec_t *d, const char *src, size_t len) {
        char *dst = d->conv->host->arena_alloc(d->arena, len + 1);
        if (dst) {
                memcpy(dst, src, len);
                dst[len] = '\0';
        }
        return dst;
}

static char *dec_copy_string(json_dec_t *d, json_object *j) {
        return dec_copy(d, json_object_get_string(j),
                        (size_t)json_object_get_string_len(j));
}

/*
 * json-c reads an integer literal beyond int64 as a uint64, and one beyond
 * uint64 or below INT64_MIN as the nearest bound, without a word. A value
 * at a bound is therefore exact only if the record holds no literal past
 * the bounds: this scan (outside strings) tells, once per record and only
 * when a value at a bound is met, so ordinary records never pay for it.
 */
static int dec_text_has_clamped_int(const char *p, size_t len) {
        static const char max_pos[] = "18446744073709551615";
        static const char max_neg[] = "9223372036854775808";
        size_t i = 0;

        while (i < len) {
                if (p[i] == '"') {
                        for (i++; i < len && p[i] != '"'; i++)
                                if (p[i] == '\\')
                                        i++;
                        i++;
                        continue;
                }
                if (p[i] != '-' && (p[i] < '0' || p[i] > '9')) {
                        i++;
                        continue;
                }
                int negative = p[i] == '-';
                size_t start = i + (size_t)negative, end = start;
                while (end < len && p[end] >= '0' && p[end] <= '9')
                        end++;
                int integer = end == len ||
                              (p[end] != '.' && p[end] != 'e' && p[end] != 'E');
                for (i = end;
                     i < len && p[i] && strchr(".eE+-0123456789", p[i]); i++)
                        ;
                if (!integer)
                        continue;
                while (end - start > 1 && p[start] == '0')
                        start++;
                const char *bound = negative ? max_neg : max_pos;
                size_t n = end - start, bound_len = strlen(bound);
                if (n > bound_len ||
                    (n == bound_len && memcmp(p + start, bound, n) > 0))
                        return 1;
        }
        return 0;
}

static int dec_clamped(json_dec_t *d) {
        if (d->clamped < 0)
                d->clamped = dec_text_has_clamped_int(d->text, d->text_len);
        return d->clamped;
}

/** @returns 1 if the integer j holds a value json-c may have clamped. */
static int dec_int_at_bound(json_object *j) {
        int64_t v = json_object_get_int64(j);

        return v == INT64_MIN ||
               (v == INT64_MAX && json_object_get_uint64(j) == UINT64_MAX);
}

/** The int64 value of the integer j. @returns 0, or -1 if the literal
 *  was outside int64 (a uint64, or clamped by json-c). */
static int dec_get_int64(json_dec_t *d, json_object *j, int64_t *value) {
        int64_t v = json_object_get_int64(j);

        if (v == INT64_MAX && json_object_get_uint64(j) != (uint64_t)INT64_MAX)
                return -1;
        if (v == INT64_MIN && dec_clamped(d))
                return -1;
        *value = v;
        return 0;
}

/** The literal of an integer that dec_get_int64() refused, for messages. */
static const char *dec_int_text(json_dec_t *d, json_object *j) {
        return dec_int_at_bound(j) && dec_clamped(d)
                       ? "(an integer beyond the 64-bit range)"
                       : json_object_get_string(j);
}

static json_object *get_member(json_object *obj, const char *key) {
        json_object *member = NULL;
        if (!json_object_is_type(obj, json_type_object) ||
            !json_object_object_get_ex(obj, key, &member))
                return NULL;
        return member;
}

/* ------------------------------------------------------------- values */

static rdcp_err_t dec_value(json_dec_t *d, const json_schema_t *schema,
                            json_object *j, rdcp_data_t *out, int depth);

static int base64_value(unsigned char c) {
        if (c >= 'A' && c <= 'Z')
                return c - 'A';
        if (c >= 'a' && c <= 'z')
                return c - 'a' + 26;
        if (c >= '0' && c <= '9')
                return c - '0' + 52;
        if (c == '+')
                return 62;
        if (c == '/')
                return 63;
        return -1;
}

/* Standard base64, padding optional. @returns 0 or -1 if malformed. */
static int base64_decode(json_dec_t *d, const char *src, size_t len,
                         rdcp_data_t *out) {
        unsigned char *dst;
        size_t n = 0;
        uint32_t acc = 0;
        int bits = 0;

        while (len && src[len - 1] == '=')
                len--;
        if (len % 4 == 1)
                return -1;
        dst = d->conv->host->arena_alloc(d->arena, len / 4 * 3 + 3);
        if (!dst)
                return -2;
        for (size_t i = 0; i < len; i++) {
                int v = base64_value((unsigned char)src[i]);
                if (v < 0)
                        return -1;
                acc = acc << 6 | (uint32_t)v;
                bits += 6;
                if (bits >= 8) {
                        bits -= 8;
                        dst[n++] = (unsigned char)(acc >> bits);
                }
        }
        out->kind = RDCP_DATA_BYTES;
        out->u.bytes.ptr = dst;
        out->u.bytes.len = n;
        return 0;
}

/*
 * decimal.format=NUMERIC input: a JSON number becomes the unscaled
 * two's-complement big-endian bytes at the schema's scale (minimal length,
 * as BigInteger.toByteArray). A value that needs more fraction digits than
 * the scale allows is refused rather than rounded, and so is one whose
 * unscaled value needs more than JAVAFMT_DECIMAL_MAX_BYTES, the most the
 * encoder prints: a value read here can always be written again, and
 * every value written reads back (128 bytes print as at most 309 digits).
 */
#define DECIMAL_MAX_DIGITS 310

static rdcp_err_t dec_decimal_number(json_dec_t *d, const json_schema_t *schema,
                                     json_object *j, rdcp_data_t *out) {
        const char *text = json_object_get_string(j), *p = text;
        char digits[DECIMAL_MAX_DIGITS + 1];
        unsigned char mag[DECIMAL_MAX_DIGITS / 2 + 2];
        size_t n = 0, frac = 0, len = sizeof(mag), first;
        int64_t exp10 = 0, shift;
        int negative = 0, seen_point = 0;
        int32_t scale;
        unsigned char *dst;

        if (json_decimal_scale(&schema->pub, &scale))
                return dec_fail(d, "Invalid Decimal schema: scale parameter "
                                   "not found.");
        /* A double keeps its literal; an integer json-c clamped does not. */
        if (json_object_is_type(j, json_type_int) && dec_int_at_bound(j) &&
            dec_clamped(d))
                return dec_fail(d, "Decimal value beyond the 64-bit range "
                                   "cannot be read exactly as a JSON "
                                   "integer: write it with a fraction "
                                   "(.0)");
        if (*p == '-') {
                negative = 1;
                p++;
        }
        for (; *p && *p != 'e' && *p != 'E'; p++) {
                if (*p == '.') {
                        seen_point = 1;
                        continue;
                }
                if (n == DECIMAL_MAX_DIGITS)
                        goto too_big;
                frac += seen_point;
                if (n || *p != '0')
                        digits[n++] = *p;
        }
        if (*p)
                exp10 = strtol(p + 1, NULL, 10);
        /* Any exponent this large gives too many digits or too few; the
         * bound keeps the sum below from overflowing. */
        if (exp10 > INT32_MAX)
                exp10 = INT32_MAX;
        if (exp10 < INT32_MIN)
                exp10 = INT32_MIN;
        shift = exp10 - (int64_t)frac + scale;
        if (shift >= 0) {
                if (n && n + (size_t)shift > DECIMAL_MAX_DIGITS)
                        goto too_big;
                for (; n && shift > 0; shift--)
                        digits[n++] = '0';
        } else {
                for (; shift < 0 && n; shift++, n--)
                        if (digits[n - 1] != '0')
                                return dec_fail(d,
                                                "Decimal value %s cannot be "
                                                "represented with scale %d",
                                                text, (int)scale);
        }
        /* Decimal digits -> big-endian magnitude. */
        memset(mag, 0, sizeof(mag));
        for (size_t i = 0; i < n; i++) {
                unsigned carry = (unsigned)(digits[i] - '0');
                for (size_t k = sizeof(mag); k-- > 0;) {
                        unsigned v = mag[k] * 10u + carry;
                        mag[k] = (unsigned char)v;
                        carry = v >> 8;
                }
        }
        if (negative) {
                unsigned carry = 1;
                for (size_t k = sizeof(mag); k-- > 0;) {
                        unsigned v = (unsigned char)~mag[k] + carry;
                        mag[k] = (unsigned char)v;
                        carry = v >> 8;
                }
        }
        /* Drop sign-extension bytes, keeping the sign bit right. */
        first = 0;
        while (len - first > 1 &&
               ((mag[first] == 0 && !(mag[first + 1] & 0x80)) ||
                (mag[first] == 0xff && (mag[first + 1] & 0x80))))
                first++;
        if (len - first > JAVAFMT_DECIMAL_MAX_BYTES)
                return dec_fail(d,
                                "Decimal value %s is out of range: more "
                                "than %d bytes unscaled",
                                text, JAVAFMT_DECIMAL_MAX_BYTES);
        dst = d->conv->host->arena_alloc(d->arena, len - first);
        if (!dst)
                return dec_nomem(d);
        memcpy(dst, mag + first, len - first);
        out->kind = RDCP_DATA_BYTES;
        out->u.bytes.ptr = dst;
        out->u.bytes.len = len - first;
        return RDCP_OK;
too_big:
        return dec_fail(d, "Decimal value %s has more than %d digits", text,
                        DECIMAL_MAX_DIGITS);
}

static rdcp_err_t dec_type_error(json_dec_t *d, const json_schema_t *schema,
                                 json_object *j) {
        return dec_fail(d, "Invalid JSON value for %s schema: found %s",
                        conv_schema_type_name(schema->pub.type),
                        node_type_name(j));
}

static rdcp_err_t dec_int(json_dec_t *d, const json_schema_t *schema,
                          json_object *j, rdcp_data_t *out) {
        static const int64_t limits[][2] = {
                [RDCP_SCHEMA_INT8] = {INT8_MIN, INT8_MAX},
                [RDCP_SCHEMA_INT16] = {INT16_MIN, INT16_MAX},
                [RDCP_SCHEMA_INT32] = {INT32_MIN, INT32_MAX},
                [RDCP_SCHEMA_INT64] = {INT64_MIN, INT64_MAX},
        };
        int64_t value;
        if (!json_object_is_type(j, json_type_int))
                return dec_type_error(d, schema, j);
        if (dec_get_int64(d, j, &value) ||
            value < limits[schema->pub.type][0] ||
            value > limits[schema->pub.type][1])
                return dec_fail(d, "Value %s is out of range for %s",
                                dec_int_text(d, j),
                                conv_schema_type_name(schema->pub.type));
        out->kind = RDCP_DATA_INT;
        out->u.i = value;
        return RDCP_OK;
}

/* An array's elements, each decoded with elem_schema. */
static rdcp_err_t dec_list(json_dec_t *d, const json_schema_t *elem_schema,
                           json_object *j, rdcp_data_t *out, int depth) {
        size_t cnt = json_object_array_length(j);
        rdcp_data_t *elems = dec_alloc(d, cnt * sizeof(*elems));
        rdcp_err_t err = RDCP_OK;
        if (!elems)
                return dec_nomem(d);
        for (size_t i = 0; i < cnt && !err; i++)
                err = dec_value(d, elem_schema, json_object_array_get_idx(j, i),
                                &elems[i], depth + 1);
        out->kind = RDCP_DATA_ARRAY;
        out->u.list.elems = elems;
        out->u.list.cnt = cnt;
        return err;
}

/* A JSON object as a string-keyed map. */
static rdcp_err_t dec_object_map(json_dec_t *d, const json_schema_t *schema,
                                 json_object *j, rdcp_data_t *out, int depth) {
        size_t cnt = (size_t)json_object_object_length(j), i = 0;
        rdcp_data_t *elems = dec_alloc(d, 2 * cnt * sizeof(*elems));
        struct json_object_iterator it = json_object_iter_begin(j);
        struct json_object_iterator end = json_object_iter_end(j);
        rdcp_err_t err = RDCP_OK;

        if (!elems)
                return dec_nomem(d);
        for (; !err && !json_object_iter_equal(&it, &end);
             json_object_iter_next(&it), i += 2) {
                const char *key = json_object_iter_peek_name(&it);
                rdcp_data_t *k = &elems[i];
                k->schema = schema ? schema->pub.keys : NULL;
                k->kind = RDCP_DATA_STRING;
                k->u.bytes.len = strlen(key);
                k->u.bytes.ptr = dec_copy(d, key, k->u.bytes.len);
                if (!k->u.bytes.ptr)
                        return dec_nomem(d);
                err = dec_value(
                        d, schema ? as_json_schema(schema->pub.values) : NULL,
                        json_object_iter_peek_value(&it), &elems[i + 1],
                        depth + 1);
        }
        out->kind = RDCP_DATA_MAP;
        out->u.list.elems = elems;
        out->u.list.cnt = 2 * cnt;
        return err;
}

/* A map with non-string keys: [[key, value], ...]. */
static rdcp_err_t dec_pair_map(json_dec_t *d, const json_schema_t *schema,
                               json_object *j, rdcp_data_t *out, int depth) {
        size_t cnt = json_object_array_length(j);
        rdcp_data_t *elems = dec_alloc(d, 2 * cnt * sizeof(*elems));
        rdcp_err_t err = RDCP_OK;

        if (!elems)
                return dec_nomem(d);
        for (size_t i = 0; i < cnt && !err; i++) {
                json_object *pair = json_object_array_get_idx(j, i);
                if (!json_object_is_type(pair, json_type_array))
                        return dec_fail(d,
                                        "Found invalid map entry instead of "
                                        "array tuple: %s",
                                        node_type_name(pair));
                if (json_object_array_length(pair) != 2)
                        return dec_fail(d, "Found invalid map entry, expected "
                                           "length 2");
                err = dec_value(d, as_json_schema(schema->pub.keys),
                                json_object_array_get_idx(pair, 0),
                                &elems[2 * i], depth + 1);
                if (!err)
                        err = dec_value(d, as_json_schema(schema->pub.values),
                                        json_object_array_get_idx(pair, 1),
                                        &elems[2 * i + 1], depth + 1);
        }
        out->kind = RDCP_DATA_MAP;
        out->u.list.elems = elems;
        out->u.list.cnt = 2 * cnt;
        return err;
}

static rdcp_err_t dec_struct(json_dec_t *d, const json_schema_t *schema,
                             json_object *j, rdcp_data_t *out, int depth) {
        uint32_t cnt = schema->pub.field_cnt;
        rdcp_data_t *elems;
        rdcp_err_t err = RDCP_OK;

        if (!json_object_is_type(j, json_type_object))
                return dec_fail(d,
                                "Structs should be encoded as JSON objects, "
                                "but found %s",
                                node_type_name(j));
        elems = dec_alloc(d, cnt * sizeof(*elems));
        if (!elems)
                return dec_nomem(d);
        /* A field missing from the object reads as null, as in Kafka. */
        for (uint32_t i = 0; i < cnt && !err; i++)
                err = dec_value(d, as_json_schema(schema->pub.fields[i].schema),
                                get_member(j, schema->pub.fields[i].name),
                                &elems[i], depth + 1);
        out->kind = RDCP_DATA_STRUCT;
        out->u.list.elems = elems;
        out->u.list.cnt = cnt;
        return err;
}

/* Kafka's convertToConnect without a schema: the JSON type decides. */
static rdcp_err_t dec_schemaless(json_dec_t *d, json_object *j,
                                 rdcp_data_t *out, int depth) {
        switch (json_object_get_type(j)) {
        case json_type_null:
                out->kind = RDCP_DATA_NULL;
                return RDCP_OK;
        case json_type_boolean:
                out->kind = RDCP_DATA_BOOL;
                out->u.b = json_object_get_boolean(j) ? 1 : 0;
                return RDCP_OK;
        case json_type_int:
                out->kind = RDCP_DATA_INT;
                if (dec_get_int64(d, j, &out->u.i))
                        return dec_fail(
                                d, "Value %s is out of range for %s",
                                dec_int_text(d, j),
                                conv_schema_type_name(RDCP_SCHEMA_INT64));
                return RDCP_OK;
        case json_type_double:
                out->kind = RDCP_DATA_FLOAT;
                out->u.f = json_object_get_double(j);
                return RDCP_OK;
        case json_type_string:
                out->kind = RDCP_DATA_STRING;
                out->u.bytes.len = (size_t)json_object_get_string_len(j);
                out->u.bytes.ptr = dec_copy_string(d, j);
                return out->u.bytes.ptr ? RDCP_OK : dec_nomem(d);
        case json_type_array:
                return dec_list(d, NULL, j, out, depth);
        case json_type_object:
                return dec_object_map(d, NULL, j, out, depth);
        }
        return dec_fail(d, "Unknown JSON node type");
}

/* The encoder writes NaN and the infinities as Jackson does, quoted
 * (QUOTE_NON_NUMERIC_NUMBERS): exactly those strings read back. */
static rdcp_err_t dec_non_finite(json_dec_t *d, const json_schema_t *schema,
                                 json_object *j, rdcp_data_t *out) {
        const char *text = json_object_get_string(j);

        if (!strcmp(text, "NaN"))
                out->u.f = NAN;
        else if (!strcmp(text, "Infinity"))
                out->u.f = INFINITY;
        else if (!strcmp(text, "-Infinity"))
                out->u.f = -INFINITY;
        else
                return dec_type_error(d, schema, j);
        return RDCP_OK;
}

static rdcp_err_t dec_typed(json_dec_t *d, const json_schema_t *schema,
                            json_object *j, rdcp_data_t *out, int depth) {
        const rdcp_schema_t *s = &schema->pub;
        json_type type = json_object_get_type(j);
        int32_t scale;

        switch (s->type) {
        case RDCP_SCHEMA_BOOLEAN:
                if (type != json_type_boolean)
                        return dec_type_error(d, schema, j);
                out->kind = RDCP_DATA_BOOL;
                out->u.b = json_object_get_boolean(j) ? 1 : 0;
                return RDCP_OK;
        case RDCP_SCHEMA_INT8:
        case RDCP_SCHEMA_INT16:
        case RDCP_SCHEMA_INT32:
        case RDCP_SCHEMA_INT64:
                return dec_int(d, schema, j, out);
        case RDCP_SCHEMA_FLOAT32:
        case RDCP_SCHEMA_FLOAT64:
                out->kind = RDCP_DATA_FLOAT;
                if (type == json_type_string)
                        return dec_non_finite(d, schema, j, out);
                if (type != json_type_int && type != json_type_double)
                        return dec_type_error(d, schema, j);
                out->u.f = json_object_get_double(j);
                if (s->type == RDCP_SCHEMA_FLOAT32)
                        out->u.f = (float)out->u.f;
                return RDCP_OK;
        case RDCP_SCHEMA_STRING:
                if (type != json_type_string)
                        return dec_type_error(d, schema, j);
                return dec_schemaless(d, j, out, depth);
        case RDCP_SCHEMA_BYTES:
                if (json_is_decimal(s) &&
                    (type == json_type_int || type == json_type_double))
                        return dec_decimal_number(d, schema, j, out);
                /* Kafka's Decimal.toLogical needs the scale for base64
                 * bytes too; without it the value could not be written
                 * again. */
                if (json_is_decimal(s) && json_decimal_scale(s, &scale))
                        return dec_fail(d, "Invalid Decimal schema: scale "
                                           "parameter not found.");
                if (type != json_type_string)
                        return dec_type_error(d, schema, j);
                switch (base64_decode(d, json_object_get_string(j),
                                      (size_t)json_object_get_string_len(j),
                                      out)) {
                case 0:
                        return RDCP_OK;
                case -1:
                        return dec_fail(d, "Invalid bytes field: not base64");
                default:
                        return dec_nomem(d);
                }
        case RDCP_SCHEMA_ARRAY:
                if (type != json_type_array)
                        return dec_type_error(d, schema, j);
                return dec_list(d, as_json_schema(s->items), j, out, depth);
        case RDCP_SCHEMA_MAP:
                if (s->keys->type == RDCP_SCHEMA_STRING) {
                        if (type != json_type_object)
                                return dec_fail(d,
                                                "Maps with string fields "
                                                "should be encoded as JSON "
                                                "objects, but found %s",
                                                node_type_name(j));
                        return dec_object_map(d, schema, j, out, depth);
                }
                if (type != json_type_array)
                        return dec_fail(d,
                                        "Maps with non-string fields should "
                                        "be encoded as JSON array of tuples, "
                                        "but found %s",
                                        node_type_name(j));
                return dec_pair_map(d, schema, j, out, depth);
        case RDCP_SCHEMA_STRUCT:
                return dec_struct(d, schema, j, out, depth);
        }
        return dec_fail(d, "Unknown schema type");
}

/* j NULL means absent (a missing struct field). */
static rdcp_err_t dec_value(json_dec_t *d, const json_schema_t *schema,
                            json_object *j, rdcp_data_t *out, int depth) {
        memset(out, 0, sizeof(*out));
        if (depth > JSON_MAX_DEPTH)
                return dec_fail(d, "JSON nesting deeper than %d levels",
                                JSON_MAX_DEPTH);
        out->schema = schema ? &schema->pub : NULL;
        if (!schema)
                return j ? dec_schemaless(d, j, out, depth) : RDCP_OK;
        if (!j || json_object_is_type(j, json_type_null)) {
                if (schema->default_data &&
                    d->conv->replace_null_with_default) {
                        *out = *schema->default_data;
                        return RDCP_OK;
                }
                if (schema->pub.optional)
                        return RDCP_OK;
                return dec_fail(d, "Invalid null value for required %s field",
                                conv_schema_type_name(schema->pub.type));
        }
        return dec_typed(d, schema, j, out, depth);
}

/* ------------------------------------------------------------ schemas */

static rdcp_err_t dec_schema(json_dec_t *d, json_object *j,
                             const json_schema_t **out, int depth);

static int parse_type(const char *name, uint32_t *type) {
        for (uint32_t t = RDCP_SCHEMA_INT8; t <= RDCP_SCHEMA_STRUCT; t++) {
                if (!strcmp(name, json_schema_type_name(t))) {
                        *type = t;
                        return 0;
                }
        }
        return -1;
}

/* A nested schema that must be present and not null. */
static rdcp_err_t dec_sub_schema(json_dec_t *d, json_object *j,
                                 const char *missing_msg,
                                 const rdcp_schema_t **out, int depth) {
        const json_schema_t *sub;
        rdcp_err_t err;
        if (!j || json_object_is_type(j, json_type_null))
                return dec_fail(d, "%s", missing_msg);
        err = dec_schema(d, j, &sub, depth + 1);
        if (!err)
                *out = &sub->pub;
        return err;
}

static rdcp_err_t dec_fields(json_dec_t *d, json_object *j, rdcp_schema_t *s,
                             int depth) {
        rdcp_field_t *fields;
        size_t cnt;
        if (!json_object_is_type(j, json_type_array))
                return dec_fail(d, "Struct schema's \"fields\" argument is not "
                                   "an array.");
        cnt = json_object_array_length(j);
        fields = dec_alloc(d, cnt * sizeof(*fields));
        if (!fields)
                return dec_nomem(d);
        for (size_t i = 0; i < cnt; i++) {
                json_object *field = json_object_array_get_idx(j, i);
                json_object *name = get_member(field, "field");
                const json_schema_t *sub;
                rdcp_err_t err;
                if (!name || !json_object_is_type(name, json_type_string))
                        return dec_fail(d, "Struct schema's field name not "
                                           "specified properly");
                for (size_t k = 0; k < i; k++)
                        if (!strcmp(fields[k].name,
                                    json_object_get_string(name)))
                                return dec_fail(d,
                                                "Cannot create field because "
                                                "of field name duplication "
                                                "%s",
                                                fields[k].name);
                fields[i].name = dec_copy_string(d, name);
                if (!fields[i].name)
                        return dec_nomem(d);
                err = dec_schema(d, field, &sub, depth + 1);
                if (err)
                        return err;
                fields[i].schema = &sub->pub;
        }
        s->fields = fields;
        s->field_cnt = (uint32_t)cnt;
        return RDCP_OK;
}

static rdcp_err_t dec_params(json_dec_t *d, json_object *j, rdcp_schema_t *s) {
        size_t cnt = (size_t)json_object_object_length(j), i = 0;
        rdcp_param_t *params = dec_alloc(d, cnt * sizeof(*params));
        struct json_object_iterator it = json_object_iter_begin(j);
        struct json_object_iterator end = json_object_iter_end(j);

        if (!params)
                return dec_nomem(d);
        for (; !json_object_iter_equal(&it, &end);
             json_object_iter_next(&it), i++) {
                const char *key = json_object_iter_peek_name(&it);
                json_object *value = json_object_iter_peek_value(&it);
                if (!json_object_is_type(value, json_type_string))
                        return dec_fail(d, "Schema parameters must have string "
                                           "values.");
                params[i].key = dec_copy(d, key, strlen(key));
                params[i].value = dec_copy_string(d, value);
                if (!params[i].key || !params[i].value)
                        return dec_nomem(d);
        }
        s->params = params;
        s->param_cnt = (uint32_t)cnt;
        return RDCP_OK;
}

/* The default both as data (for null payloads) and as compact JSON text
 * (for rdcp_schema_t.default_json and re-serialization). */
static rdcp_err_t dec_default(json_dec_t *d, json_object *j,
                              json_schema_t *schema, int depth) {
        rdcp_data_t *value;
        const char *text;
        rdcp_err_t err;

        /* A null default is no default (it must still suit the schema). */
        if (json_object_is_type(j, json_type_null)) {
                if (schema->pub.optional)
                        return RDCP_OK;
                return dec_fail(d, "Invalid null value for required %s field",
                                conv_schema_type_name(schema->pub.type));
        }
        value = dec_alloc(d, sizeof(*value));
        if (!value)
                return dec_nomem(d);
        err = dec_value(d, schema, j, value, depth + 1);
        if (err)
                return err;
        text = json_object_to_json_string_ext(
                j, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
        schema->pub.default_json = dec_copy(d, text, strlen(text));
        if (!schema->pub.default_json)
                return dec_nomem(d);
        schema->default_data = value;
        return RDCP_OK;
}

/* Kafka's asConnectSchema. j is a JSON object (or null: no schema). */
static rdcp_err_t dec_schema(json_dec_t *d, json_object *j,
                             const json_schema_t **out, int depth) {
        json_object *type = get_member(j, "type"), *member;
        json_schema_t *schema;
        rdcp_schema_t *s;
        rdcp_err_t err = RDCP_OK;

        *out = NULL;
        if (depth > JSON_MAX_DEPTH)
                return dec_fail(d, "Schema nesting deeper than %d levels",
                                JSON_MAX_DEPTH);
        if (!type || !json_object_is_type(type, json_type_string))
                return dec_fail(d, "Schema must contain 'type' field");
        schema = dec_alloc(d, sizeof(*schema));
        if (!schema)
                return dec_nomem(d);
        s = &schema->pub;
        if (parse_type(json_object_get_string(type), &s->type))
                return dec_fail(d, "Unknown schema type: %s",
                                json_object_get_string(type));
        switch (s->type) {
        case RDCP_SCHEMA_ARRAY:
                err = dec_sub_schema(d, get_member(j, "items"),
                                     "Array schema did not specify the "
                                     "element type",
                                     &s->items, depth);
                break;
        case RDCP_SCHEMA_MAP:
                err = dec_sub_schema(d, get_member(j, "keys"),
                                     "Map schema did not specify the key type",
                                     &s->keys, depth);
                if (!err)
                        err = dec_sub_schema(d, get_member(j, "values"),
                                             "Map schema did not specify the "
                                             "value type",
                                             &s->values, depth);
                break;
        case RDCP_SCHEMA_STRUCT:
                err = dec_fields(d, get_member(j, "fields"), s, depth);
                break;
        default:
                break;
        }
        if (err)
                return err;

        member = get_member(j, "optional");
        s->optional = member &&
                      json_object_is_type(member, json_type_boolean) &&
                      json_object_get_boolean(member);
        member = get_member(j, "name");
        if (member && json_object_is_type(member, json_type_string) &&
            !(s->name = dec_copy_string(d, member)))
                return dec_nomem(d);
        member = get_member(j, "version");
        if (member && json_object_is_type(member, json_type_int))
                s->version = (int32_t)json_object_get_int64(member);
        member = get_member(j, "doc");
        if (member && json_object_is_type(member, json_type_string) &&
            !(s->doc = dec_copy_string(d, member)))
                return dec_nomem(d);
        member = get_member(j, "parameters");
        if (member && json_object_is_type(member, json_type_object) &&
            (err = dec_params(d, member, s)))
                return err;
        /* Last: the default is read with the schema complete. */
        member = get_member(j, "default");
        if (member && (err = dec_default(d, member, schema, depth)))
                return err;
        *out = schema;
        return RDCP_OK;
}

/* ---------------------------------------------------------- top level */

static int only_whitespace(const char *p, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
                        return 0;
        return 1;
}

/* Parses the whole input as one JSON value. *root is NULL for an input
 * without any value (empty or blank), which Jackson reads as "missing". */
static rdcp_err_t dec_parse(json_conv_t *conv, const char *ptr, size_t len,
                            json_object **root, char *errstr,
                            size_t errstr_size) {
        enum json_tokener_error jerr;
        size_t end;

        *root = NULL;
        if (only_whitespace(ptr, len))
                return RDCP_OK;
        if (len > INT_MAX) {
                conv_err(errstr, errstr_size,
                         "Converting byte[] to Kafka Connect data failed due "
                         "to serialization error: input of %zu bytes is too "
                         "large",
                         len);
                return RDCP_ERR_DATA;
        }
        json_tokener_reset(conv->tok);
        *root = json_tokener_parse_ex(conv->tok, ptr, (int)len);
        jerr = json_tokener_get_error(conv->tok);
        end = json_tokener_get_parse_end(conv->tok);
        if (jerr == json_tokener_continue) {
                /* A bare number may go on: a NUL tells json-c it ended. */
                *root = json_tokener_parse_ex(conv->tok, "", 1);
                jerr = json_tokener_get_error(conv->tok);
                end = len;
        }
        if (jerr == json_tokener_success &&
            !only_whitespace(ptr + end, len - end)) {
                json_object_put(*root);
                *root = NULL;
                conv_err(errstr, errstr_size,
                         "Converting byte[] to Kafka Connect data failed due "
                         "to serialization error: unexpected data after the "
                         "JSON value at offset %zu",
                         end);
                return RDCP_ERR_DATA;
        }
        if (jerr != json_tokener_success) {
                json_object_put(*root);
                *root = NULL;
                conv_err(errstr, errstr_size,
                         "Converting byte[] to Kafka Connect data failed due "
                         "to serialization error: %s at offset %zu",
                         json_tokener_error_desc(jerr),
                         json_tokener_get_parse_end(conv->tok));
                return RDCP_ERR_DATA;
        }
        return RDCP_OK;
}

rdcp_err_t json_decode(json_conv_t *conv, const void *ptr, size_t len,
                       rdcp_arena_t *arena, rdcp_data_t *out, char *errstr,
                       size_t errstr_size) {
        json_dec_t d = {.conv = conv,
                        .arena = arena,
                        .errstr = errstr,
                        .errstr_size = errstr_size,
                        .text = ptr,
                        .text_len = len,
                        .clamped = -1};
        const json_schema_t *schema = NULL;
        json_object *root = NULL, *payload = NULL, *schema_json;
        rdcp_err_t err;

        memset(out, 0, sizeof(*out));
        /* A tombstone is null data without a schema. */
        if (!ptr)
                return RDCP_OK;
        err = dec_parse(conv, ptr, len, &root, errstr, errstr_size);
        if (err)
                return err;
        if (conv->schemas_enable) {
                if (!root || !json_object_is_type(root, json_type_object) ||
                    json_object_object_length(root) != 2 ||
                    !json_object_object_get_ex(root, "schema", NULL) ||
                    !json_object_object_get_ex(root, "payload", &payload)) {
                        err = dec_fail(&d,
                                       "JsonConverter with schemas.enable "
                                       "requires \"schema\" and \"payload\" "
                                       "fields and may not contain additional "
                                       "fields. If you are trying to "
                                       "deserialize plain JSON data, set "
                                       "schemas.enable=false in your "
                                       "converter configuration.");
                        goto done;
                }
                /* json-c represents a JSON null as NULL. */
                schema_json = get_member(root, "schema");
                if (schema_json &&
                    !json_object_is_type(schema_json, json_type_null))
                        err = dec_schema(&d, schema_json, &schema, 0);
        } else {
                payload = root;
        }
        if (!err)
                err = dec_value(&d, schema, payload, out, 0);
done:
        json_object_put(root);
        return err;
}
