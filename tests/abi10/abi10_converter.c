/*
 * Abi10Converter (com.example.abi10.Abi10Converter), built against ABI
 * 1.0: from_data writes a string value as "abi10:" + text; to_data reads
 * bytes back as a string with that prefix removed. Anything else is a
 * data error; null stays null.
 */
#define _POSIX_C_SOURCE 200809L
#include "abi10_common.h"

#define ABI10_PREFIX "abi10:"

typedef struct abi10_conv {
        const rdcp_host_t *host;
} abi10_conv_t;

static rdcp_err_t abi10_conv_create(const rdcp_ctx_t *ctx,
                                    const rdcp_host_t *host,
                                    const rdcp_config_t *cfg, void **convp,
                                    char *errstr, size_t errstr_size) {
        abi10_conv_t *c = calloc(1, sizeof(*c));
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

static rdcp_err_t abi10_from_data(void *conv, const char *topic,
                                  const rdcp_data_t *data, rdcp_buf_t *scratch,
                                  rdcp_bytes_t *out, char *errstr,
                                  size_t errstr_size) {
        abi10_conv_t *c = conv;
        size_t before, len;
        (void)topic;
        if (data->kind == RDCP_DATA_NULL) {
                out->ptr = NULL;
                out->len = 0;
                return RDCP_OK;
        }
        if (data->kind != RDCP_DATA_STRING) {
                snprintf(errstr, errstr_size, "Abi10Converter: not a string");
                return RDCP_ERR_DATA;
        }
        c->host->buf_data(scratch, &before);
        if (c->host->buf_append(scratch, ABI10_PREFIX, strlen(ABI10_PREFIX)) ||
            c->host->buf_append(scratch, data->u.bytes.ptr, data->u.bytes.len))
                return RDCP_ERR_NOMEM;
        out->ptr = (const char *)c->host->buf_data(scratch, &len) + before;
        out->len = len - before;
        return RDCP_OK;
}

static rdcp_err_t abi10_to_data(void *conv, const char *topic, const void *ptr,
                                size_t len, rdcp_arena_t *arena,
                                rdcp_data_t *out, char *errstr,
                                size_t errstr_size) {
        size_t plen = strlen(ABI10_PREFIX);
        (void)conv;
        (void)topic;
        (void)arena;
        (void)errstr;
        (void)errstr_size;
        memset(out, 0, sizeof(*out));
        if (!ptr)
                return RDCP_OK;
        if (len >= plen && !memcmp(ptr, ABI10_PREFIX, plen)) {
                ptr = (const char *)ptr + plen;
                len -= plen;
        }
        out->kind = RDCP_DATA_STRING;
        out->u.bytes.ptr = ptr;
        out->u.bytes.len = len;
        return RDCP_OK;
}

static void abi10_conv_destroy(void *conv) {
        free(conv);
}

static const rdcp_converter_vtable_t abi10_converter = {
        .struct_size = sizeof(rdcp_converter_vtable_t),
        .create = abi10_conv_create,
        .from_data = abi10_from_data,
        .to_data = abi10_to_data,
        .destroy = abi10_conv_destroy};

static const rdcp_descriptor_t abi10_converter_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_CONVERTER,
        .class_name = "com.example.abi10.Abi10Converter",
        .version = "1.0.0-abi10",
        .description = "Converter built against ABI 1.0",
        .converter = &abi10_converter};

RDCP_PLUGIN_ENTRY(abi10_converter_descriptor)
