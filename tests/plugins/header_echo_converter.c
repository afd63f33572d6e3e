/*
 * HeaderEchoConverter (com.example.test.HeaderEchoConverter), a test
 * converter of ABI 1.1 that shows what headers reach a converter:
 *  - from_data_headers: a string value is written as
 *    "<text>|k1=v1,k2=v2" with each header's bytes (null: "null");
 *  - to_data_headers: bytes become the string
 *    "<bytes>|k1:TYPE:value,..." with each header's typed data as the
 *    header converter made it (TYPE: the schema type name, or "untyped"
 *    with the raw bytes when the header has no data).
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdconnect/plugin.h>

typedef struct echo_conv {
        const rdcp_host_t *host;
} echo_conv_t;

static rdcp_err_t echo_create(const rdcp_ctx_t *ctx, const rdcp_host_t *host,
                              const rdcp_config_t *cfg, void **convp,
                              char *errstr, size_t errstr_size) {
        echo_conv_t *c = calloc(1, sizeof(*c));
        (void)ctx;
        (void)cfg;
        (void)errstr;
        (void)errstr_size;
        if (!c)
                return RDCP_ERR_NOMEM;
        c->host = host;
        *convp = c;
        return RDCP_OK;
}

static void echo_destroy(void *conv) {
        free(conv);
}

/* Without headers (a host that does not call the 1.1 members): refused,
 * so that a test sees it. */
static rdcp_err_t echo_from_data(void *conv, const char *topic,
                                 const rdcp_data_t *data, rdcp_buf_t *scratch,
                                 rdcp_bytes_t *out, char *errstr,
                                 size_t errstr_size) {
        (void)conv;
        (void)topic;
        (void)data;
        (void)scratch;
        (void)out;
        snprintf(errstr, errstr_size, "HeaderEchoConverter needs headers");
        return RDCP_ERR_DATA;
}

static rdcp_err_t echo_to_data(void *conv, const char *topic, const void *ptr,
                               size_t len, rdcp_arena_t *arena,
                               rdcp_data_t *out, char *errstr,
                               size_t errstr_size) {
        (void)conv;
        (void)topic;
        (void)ptr;
        (void)len;
        (void)arena;
        (void)out;
        snprintf(errstr, errstr_size, "HeaderEchoConverter needs headers");
        return RDCP_ERR_DATA;
}

static rdcp_err_t echo_append(echo_conv_t *c, rdcp_buf_t *buf, const void *ptr,
                              size_t len) {
        return c->host->buf_append(buf, ptr, len);
}

static rdcp_err_t echo_from_data_headers(void *conv, const char *topic,
                                         const rdcp_header_t *headers,
                                         size_t header_cnt,
                                         const rdcp_data_t *data,
                                         rdcp_buf_t *scratch, rdcp_bytes_t *out,
                                         char *errstr, size_t errstr_size) {
        echo_conv_t *c = conv;
        size_t before, len;
        (void)topic;
        if (data->kind != RDCP_DATA_STRING) {
                snprintf(errstr, errstr_size, "not a string");
                return RDCP_ERR_DATA;
        }
        c->host->buf_data(scratch, &before);
        echo_append(c, scratch, data->u.bytes.ptr, data->u.bytes.len);
        echo_append(c, scratch, "|", 1);
        for (size_t i = 0; i < header_cnt; i++) {
                const rdcp_header_t *h = &headers[i];
                if (i)
                        echo_append(c, scratch, ",", 1);
                echo_append(c, scratch, h->key, strlen(h->key));
                echo_append(c, scratch, "=", 1);
                if (h->value)
                        echo_append(c, scratch, h->value, h->value_len);
                else
                        echo_append(c, scratch, "null", 4);
        }
        out->ptr = (const char *)c->host->buf_data(scratch, &len) + before;
        out->len = len - before;
        return RDCP_OK;
}

static const char *echo_type(const rdcp_data_t *d) {
        static const char *const names[] = {
                "?",       "INT8",    "INT16",   "INT32",  "INT64",
                "FLOAT32", "FLOAT64", "BOOLEAN", "STRING", "BYTES"};
        if (!d->schema)
                return d->kind == RDCP_DATA_NULL ? "NULL" : "SCHEMALESS";
        return d->schema->type < sizeof(names) / sizeof(names[0])
                       ? names[d->schema->type]
                       : "OTHER";
}

static rdcp_err_t echo_to_data_headers(void *conv, const char *topic,
                                       const rdcp_header_t *headers,
                                       size_t header_cnt, const void *ptr,
                                       size_t len, rdcp_arena_t *arena,
                                       rdcp_data_t *out, char *errstr,
                                       size_t errstr_size) {
        echo_conv_t *c = conv;
        char text[4096];
        size_t n = 0;
        (void)topic;
        (void)errstr;
        (void)errstr_size;
#define ECHO_PUT(...)                                                          \
        do {                                                                   \
                if (n < sizeof(text))                                          \
                        n += (size_t)snprintf(text + n, sizeof(text) - n,      \
                                              __VA_ARGS__);                    \
        } while (0)
        ECHO_PUT("%.*s|", (int)len, ptr ? (const char *)ptr : "");
        for (size_t i = 0; i < header_cnt; i++) {
                const rdcp_header_t *h = &headers[i];
                const rdcp_data_t *d = &h->data;
                ECHO_PUT("%s%s:", i ? "," : "", h->key);
                if (!h->typed)
                        ECHO_PUT("untyped:%.*s", (int)h->value_len,
                                 h->value ? (const char *)h->value : "null");
                else if (d->kind == RDCP_DATA_INT)
                        ECHO_PUT("%s:%" PRId64, echo_type(d), d->u.i);
                else if (d->kind == RDCP_DATA_BOOL)
                        ECHO_PUT("%s:%s", echo_type(d),
                                 d->u.b ? "true" : "false");
                else if (d->kind == RDCP_DATA_STRING)
                        ECHO_PUT("%s:%.*s", echo_type(d), (int)d->u.bytes.len,
                                 (const char *)d->u.bytes.ptr);
                else
                        ECHO_PUT("%s", echo_type(d));
        }
        if (n >= sizeof(text))
                n = sizeof(text) - 1;
        char *copy = c->host->arena_alloc(arena, n);
        if (!copy)
                return RDCP_ERR_NOMEM;
        memcpy(copy, text, n);
        memset(out, 0, sizeof(*out));
        out->kind = RDCP_DATA_STRING;
        out->u.bytes.ptr = copy;
        out->u.bytes.len = n;
        return RDCP_OK;
}

static const rdcp_converter_vtable_t echo_vtable = {
        .struct_size = sizeof(rdcp_converter_vtable_t),
        .create = echo_create,
        .from_data = echo_from_data,
        .to_data = echo_to_data,
        .destroy = echo_destroy,
        .from_data_headers = echo_from_data_headers,
        .to_data_headers = echo_to_data_headers,
};

static const rdcp_descriptor_t echo_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_CONVERTER,
        .class_name = "com.example.test.HeaderEchoConverter",
        .version = "1.1.0-test",
        .description = "Test converter: shows the headers it is given",
        .converter = &echo_vtable,
};

RDCP_PLUGIN_ENTRY(echo_descriptor)
