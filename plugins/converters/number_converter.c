/*
 * Number converter plugins: Short, Integer, Long, Float and Double
 * converters of org.apache.kafka.connect.converters. One source, built
 * once per type with NUMCONV_<TYPE> defined, so each .so holds exactly one
 * descriptor. Values are big-endian, as Kafka's ShortSerializer ...
 * DoubleSerializer write them; a null value is a Kafka null.
 */
#include <string.h>

#include "conv_common.h"
#include "conv_out.h"

#if defined(NUMCONV_SHORT)
#define NUMCONV_CLASS        "ShortConverter"
#define NUMCONV_TYPE_NAME    "short"
#define NUMCONV_DESERIALIZER "ShortDeserializer"
#define NUMCONV_SCHEMA       RDCP_SCHEMA_INT16
#define NUMCONV_WIDTH        2
#define NUMCONV_MIN          INT16_MIN
#define NUMCONV_MAX          INT16_MAX
#elif defined(NUMCONV_INTEGER)
#define NUMCONV_CLASS        "IntegerConverter"
#define NUMCONV_TYPE_NAME    "integer"
#define NUMCONV_DESERIALIZER "IntegerDeserializer"
#define NUMCONV_SCHEMA       RDCP_SCHEMA_INT32
#define NUMCONV_WIDTH        4
#define NUMCONV_MIN          INT32_MIN
#define NUMCONV_MAX          INT32_MAX
#elif defined(NUMCONV_LONG)
#define NUMCONV_CLASS        "LongConverter"
#define NUMCONV_TYPE_NAME    "long"
#define NUMCONV_DESERIALIZER "LongDeserializer"
#define NUMCONV_SCHEMA       RDCP_SCHEMA_INT64
#define NUMCONV_WIDTH        8
#define NUMCONV_MIN          INT64_MIN
#define NUMCONV_MAX          INT64_MAX
#elif defined(NUMCONV_FLOAT)
#define NUMCONV_CLASS        "FloatConverter"
#define NUMCONV_TYPE_NAME    "float"
#define NUMCONV_DESERIALIZER "FloatDeserializer"
#define NUMCONV_SCHEMA       RDCP_SCHEMA_FLOAT32
#define NUMCONV_WIDTH        4
#define NUMCONV_IS_FLOAT     1
#elif defined(NUMCONV_DOUBLE)
#define NUMCONV_CLASS        "DoubleConverter"
#define NUMCONV_TYPE_NAME    "double"
#define NUMCONV_DESERIALIZER "DoubleDeserializer"
#define NUMCONV_SCHEMA       RDCP_SCHEMA_FLOAT64
#define NUMCONV_WIDTH        8
#define NUMCONV_IS_FLOAT     1
#else
#error "define one of NUMCONV_SHORT, _INTEGER, _LONG, _FLOAT, _DOUBLE"
#endif

#ifndef NUMCONV_IS_FLOAT
#define NUMCONV_IS_FLOAT 0
#endif

static const rdcp_config_def_t numconv_config_defs[] = {
        CONV_TYPE_CONFIG_DEF,
};

/* Kafka answers every value with Schema.OPTIONAL_<TYPE>_SCHEMA. */
static const rdcp_schema_t numconv_schema = {
        .type = NUMCONV_SCHEMA,
        .optional = 1,
};

/* The value's bits as the serializer sees them, or NULL; otherwise what
 * the value was, for the message (Kafka: ClassCastException). */
static const char *numconv_bits(const rdcp_data_t *data, uint64_t *bits) {
        if (data->schema && data->schema->type != NUMCONV_SCHEMA)
                return conv_schema_type_name(data->schema->type);
#if NUMCONV_IS_FLOAT
        if (data->kind != RDCP_DATA_FLOAT)
                return conv_kind_name(data->kind);
#if NUMCONV_WIDTH == 4
        {
                float value = (float)data->u.f;
                uint32_t raw;
                memcpy(&raw, &value, sizeof(raw));
                *bits = raw;
        }
#else
        memcpy(bits, &data->u.f, sizeof(*bits));
#endif
#else
        if (data->kind != RDCP_DATA_INT)
                return conv_kind_name(data->kind);
        if (data->u.i < NUMCONV_MIN || data->u.i > NUMCONV_MAX)
                return "an integer out of range";
        *bits = (uint64_t)data->u.i;
#endif
        return NULL;
}

static rdcp_err_t numconv_from_data(void *conv, const char *topic,
                                    const rdcp_data_t *data,
                                    rdcp_buf_t *scratch, rdcp_bytes_t *out,
                                    char *errstr, size_t errstr_size) {
        const rdcp_host_t *host = conv;
        conv_out_t o;
        uint64_t bits = 0;
        const char *was;

        (void)topic;
        if (!data || data->kind == RDCP_DATA_NULL) {
                out->ptr = NULL;
                out->len = 0;
                return RDCP_OK;
        }
        was = numconv_bits(data, &bits);
        if (was) {
                conv_err(errstr, errstr_size,
                         "Failed to serialize to " NUMCONV_TYPE_NAME
                         " (was %s)",
                         was);
                return RDCP_ERR_DATA;
        }
        conv_out_begin(&o, host, scratch);
        if (!conv_out_need(&o, NUMCONV_WIDTH))
                for (int shift = (NUMCONV_WIDTH - 1) * 8; shift >= 0;
                     shift -= 8)
                        *o.pos++ = (char)(bits >> shift);
        if (conv_out_end(&o, out)) {
                conv_err(errstr, errstr_size, NUMCONV_CLASS ": out of memory");
                return RDCP_ERR_NOMEM;
        }
        return RDCP_OK;
}

static rdcp_err_t numconv_to_data(void *conv, const char *topic,
                                  const void *ptr, size_t len,
                                  rdcp_arena_t *arena, rdcp_data_t *out,
                                  char *errstr, size_t errstr_size) {
        const unsigned char *bytes = ptr;
        uint64_t bits = 0;

        (void)conv;
        (void)topic;
        (void)arena;
        memset(out, 0, sizeof(*out));
        out->schema = &numconv_schema;
        if (!ptr)
                return RDCP_OK;
        if (len != NUMCONV_WIDTH) {
                conv_err(errstr, errstr_size,
                         "Failed to deserialize " NUMCONV_TYPE_NAME
                         ": Size of data received by " NUMCONV_DESERIALIZER
                         " is not %d",
                         NUMCONV_WIDTH);
                return RDCP_ERR_DATA;
        }
        for (size_t i = 0; i < NUMCONV_WIDTH; i++)
                bits = bits << 8 | bytes[i];
#if NUMCONV_IS_FLOAT
        out->kind = RDCP_DATA_FLOAT;
#if NUMCONV_WIDTH == 4
        {
                uint32_t raw = (uint32_t)bits;
                float value;
                memcpy(&value, &raw, sizeof(value));
                out->u.f = value;
        }
#else
        memcpy(&out->u.f, &bits, sizeof(bits));
#endif
#else
        out->kind = RDCP_DATA_INT;
        /* Sign-extend from the wire width. */
        out->u.i = (int64_t)(bits << (64 - 8 * NUMCONV_WIDTH)) >>
                   (64 - 8 * NUMCONV_WIDTH);
#endif
        return RDCP_OK;
}

/* As in Kafka, the number converters are header converters too. */
CONV_PLUGIN(numconv, "org.apache.kafka.connect.converters." NUMCONV_CLASS,
            NUMCONV_CLASS, "Big-endian " NUMCONV_TYPE_NAME " values",
            numconv_config_defs, conv_stateless_create, numconv_from_data,
            numconv_to_data, conv_stateless_destroy);
