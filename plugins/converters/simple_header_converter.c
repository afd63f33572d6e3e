/*
 * SimpleHeaderConverter (org.apache.kafka.connect.storage.
 * SimpleHeaderConverter), the default header.converter as in Kafka: a
 * header value is written in the string form of Kafka's
 * Values.convertToString and read back with the inference of
 * Values.parseString.
 *
 * Written: null -> a null header; strings as they are; booleans
 * true/false; integers in decimal; floats as Java's Float/Double
 * toString; bytes as Base64; arrays [a,b], maps {k:v}, structs
 * {"field":v} with embedded strings quoted ("\\" and "\"" escaped).
 * Read: "" -> the empty string; null; true/false (exactly); an integer
 * -> the smallest of INT8, INT16, INT32, INT64 that holds it; a number
 * with a fraction or exponent -> FLOAT32 when finite (as Kafka), else
 * FLOAT64; anything else (arrays, maps, dates and decimals beyond a long
 * included: not inferred here) -> the string as it is.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdconnect/plugin.h>

#include "conv_common.h"
#include "conv_out.h"
#include "javafmt.h"

static const rdcp_schema_t shc_schemas[] = {
        {.type = RDCP_SCHEMA_INT8},    {.type = RDCP_SCHEMA_INT16},
        {.type = RDCP_SCHEMA_INT32},   {.type = RDCP_SCHEMA_INT64},
        {.type = RDCP_SCHEMA_FLOAT32}, {.type = RDCP_SCHEMA_FLOAT64},
        {.type = RDCP_SCHEMA_BOOLEAN}, {.type = RDCP_SCHEMA_STRING},
};
#define SHC_SCHEMA(t) (&shc_schemas[(t)-RDCP_SCHEMA_INT8])

static void shc_base64(conv_out_t *o, const unsigned char *p, size_t len) {
        static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
                                  "opqrstuvwxyz0123456789+/";
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)p[i] << 16;
                if (i + 1 < len)
                        v |= (uint32_t)p[i + 1] << 8;
                if (i + 2 < len)
                        v |= p[i + 2];
                char q[4] = {tab[v >> 18 & 63], tab[v >> 12 & 63],
                             i + 1 < len ? tab[v >> 6 & 63] : '=',
                             i + 2 < len ? tab[v & 63] : '='};
                conv_out_write(o, q, 4);
        }
}

/* A string, quoted and escaped when embedded (Values.escape). */
static void shc_text(conv_out_t *o, const char *p, size_t len, int embedded) {
        if (!embedded) {
                conv_out_write(o, p, len);
                return;
        }
        conv_out_byte(o, '"');
        for (size_t i = 0; i < len; i++) {
                if (p[i] == '\\' || p[i] == '"')
                        conv_out_byte(o, '\\');
                conv_out_byte(o, p[i]);
        }
        conv_out_byte(o, '"');
}

/* Values.append(). @returns 0, or -1 with errstr for what it cannot
 * write. */
static int shc_append(conv_out_t *o, const rdcp_data_t *d, int embedded,
                      int depth, char *errstr, size_t errstr_size) {
        char num[JAVAFMT_MAX];
        const rdcp_schema_t *s = d->schema;
        if (depth > 64) {
                snprintf(errstr, errstr_size, "header value nested too deep");
                return -1;
        }
        switch (d->kind) {
        case RDCP_DATA_NULL:
                conv_out_lit(o, "null");
                return 0;
        case RDCP_DATA_BOOL:
                if (d->u.b)
                        conv_out_lit(o, "true");
                else
                        conv_out_lit(o, "false");
                return 0;
        case RDCP_DATA_INT:
                conv_out_write(o, num, javafmt_int64(num, d->u.i));
                return 0;
        case RDCP_DATA_FLOAT:
                if (s && s->type == RDCP_SCHEMA_FLOAT32)
                        conv_out_write(o, num,
                                       javafmt_float(num, (float)d->u.f));
                else
                        conv_out_write(o, num, javafmt_double(num, d->u.f));
                return 0;
        case RDCP_DATA_STRING:
                shc_text(o, d->u.bytes.ptr, d->u.bytes.len, embedded);
                return 0;
        case RDCP_DATA_BYTES:
                if (embedded)
                        conv_out_byte(o, '"');
                shc_base64(o, d->u.bytes.ptr, d->u.bytes.len);
                if (embedded)
                        conv_out_byte(o, '"');
                return 0;
        case RDCP_DATA_ARRAY:
        case RDCP_DATA_MAP:
        case RDCP_DATA_STRUCT: {
                int is_array = d->kind == RDCP_DATA_ARRAY;
                int is_struct = d->kind == RDCP_DATA_STRUCT;
                conv_out_byte(o, is_array ? '[' : '{');
                for (size_t i = 0; i < d->u.list.cnt; i++) {
                        const rdcp_data_t *e = &d->u.list.elems[i];
                        if (i && (is_array || is_struct || i % 2 == 0))
                                conv_out_byte(o, ',');
                        if (is_struct) {
                                const char *name = s && i < s->field_cnt
                                                           ? s->fields[i].name
                                                           : "";
                                shc_text(o, name, strlen(name), 1);
                                conv_out_byte(o, ':');
                        } else if (!is_array && i % 2 == 1) {
                                conv_out_byte(o, ':');
                        }
                        if (shc_append(o, e, 1, depth + 1, errstr, errstr_size))
                                return -1;
                }
                conv_out_byte(o, is_array ? ']' : '}');
                return 0;
        }
        default:
                snprintf(errstr, errstr_size,
                         "Failed to serialize unexpected value kind %u",
                         (unsigned)d->kind);
                return -1;
        }
}

static rdcp_err_t shc_from_header(void *conv, const char *topic,
                                  const char *key, const rdcp_data_t *data,
                                  rdcp_buf_t *scratch, rdcp_bytes_t *out,
                                  char *errstr, size_t errstr_size) {
        conv_out_t o;
        (void)topic;
        (void)key;
        if (!data || data->kind == RDCP_DATA_NULL) {
                out->ptr = NULL;
                out->len = 0;
                return RDCP_OK;
        }
        if (data->kind == RDCP_DATA_STRING) { /* no copy */
                out->ptr = data->u.bytes.len ? data->u.bytes.ptr : "";
                out->len = data->u.bytes.len;
                return RDCP_OK;
        }
        conv_out_begin(&o, conv, scratch);
        if (shc_append(&o, data, 0, 0, errstr, errstr_size))
                return RDCP_ERR_DATA;
        return conv_out_end(&o, out);
}

/* Whether text[0..len) is a Java BigDecimal literal (sign, digits with at
 * most one '.', optional exponent); *integral: no '.' and no exponent. */
static int shc_is_number(const char *p, size_t len, int *integral) {
        size_t i = 0, digits = 0;
        *integral = 1;
        if (i < len && (p[i] == '+' || p[i] == '-'))
                i++;
        for (; i < len && p[i] >= '0' && p[i] <= '9'; i++)
                digits++;
        if (i < len && p[i] == '.') {
                *integral = 0;
                for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++)
                        digits++;
        }
        if (!digits)
                return 0;
        if (i < len && (p[i] == 'e' || p[i] == 'E')) {
                size_t exp_digits = 0;
                *integral = 0;
                i++;
                if (i < len && (p[i] == '+' || p[i] == '-'))
                        i++;
                for (; i < len && p[i] >= '0' && p[i] <= '9'; i++)
                        exp_digits++;
                if (!exp_digits)
                        return 0;
        }
        return i == len;
}

/* Values.parseString() for a number: 0 if text is none (or out of what
 * this converter infers). */
static int shc_parse_number(const char *p, size_t len, rdcp_data_t *out) {
        char buf[128];
        int integral;
        while (len && (*p == ' ' || *p == '\t'))
                p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                len--;
        if (!len || len >= sizeof(buf) || !shc_is_number(p, len, &integral))
                return 0;
        memcpy(buf, p, len);
        buf[len] = '\0';
        errno = 0;
        if (integral) {
                long long v = strtoll(buf, NULL, 10);
                if (errno == ERANGE)
                        return 0; /* a decimal beyond long: a string here */
                out->kind = RDCP_DATA_INT;
                out->u.i = v;
                out->schema = SHC_SCHEMA(v == (int8_t)v    ? RDCP_SCHEMA_INT8
                                         : v == (int16_t)v ? RDCP_SCHEMA_INT16
                                         : v == (int32_t)v ? RDCP_SCHEMA_INT32
                                                           : RDCP_SCHEMA_INT64);
                return 1;
        }
        /* Kafka: FLOAT32 whenever the float is finite, else FLOAT64. */
        float f = strtof(buf, NULL);
        double d = strtod(buf, NULL);
        out->kind = RDCP_DATA_FLOAT;
        if (isfinite(f)) {
                out->u.f = f;
                out->schema = SHC_SCHEMA(RDCP_SCHEMA_FLOAT32);
        } else if (isfinite(d)) {
                out->u.f = d;
                out->schema = SHC_SCHEMA(RDCP_SCHEMA_FLOAT64);
        } else {
                return 0;
        }
        return 1;
}

static rdcp_err_t shc_to_header(void *conv, const char *topic, const char *key,
                                const void *ptr, size_t len,
                                rdcp_arena_t *arena, rdcp_data_t *out,
                                char *errstr, size_t errstr_size) {
        const char *p = ptr;
        (void)conv;
        (void)topic;
        (void)key;
        (void)arena;
        (void)errstr;
        (void)errstr_size;
        memset(out, 0, sizeof(*out));
        if (!ptr)
                return RDCP_OK; /* null */
        if (len == 4 && !memcmp(p, "null", 4))
                return RDCP_OK;
        if ((len == 4 && !memcmp(p, "true", 4)) ||
            (len == 5 && !memcmp(p, "false", 5))) {
                out->kind = RDCP_DATA_BOOL;
                out->u.b = len == 4;
                out->schema = SHC_SCHEMA(RDCP_SCHEMA_BOOLEAN);
                return RDCP_OK;
        }
        if (shc_parse_number(p, len, out))
                return RDCP_OK;
        out->kind = RDCP_DATA_STRING;
        out->schema = SHC_SCHEMA(RDCP_SCHEMA_STRING);
        out->u.bytes.ptr = ptr;
        out->u.bytes.len = len;
        return RDCP_OK;
}

static const rdcp_header_converter_vtable_t shc_vtable = {
        .struct_size = sizeof(rdcp_header_converter_vtable_t),
        .create = conv_stateless_create,
        .from_header = shc_from_header,
        .to_header = shc_to_header,
        .destroy = conv_stateless_destroy,
};

static const char *const shc_aliases[] = {"SimpleHeaderConverter", NULL};

static const rdcp_descriptor_t shc_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_HEADER_CONVERTER,
        .class_name = "org.apache.kafka.connect.storage.SimpleHeaderConverter",
        .aliases = shc_aliases,
        .version = RDC_CONV_VERSION,
        .description = "Header values in Kafka's Values string form",
        .header_converter = &shc_vtable,
};

RDCP_PLUGIN_ENTRY(shc_descriptor)
