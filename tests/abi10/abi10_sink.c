/*
 * Abi10Sink (com.example.abi10.Abi10Sink), built against ABI 1.0: writes
 * one line per record to `file`:
 *   topic|partition|offset|timestamp|key|value|hkey=hvalue,hkey=null...
 * (key and value: string data as text, other kinds as "<kind N>").
 * flush() flushes the stdio buffer.
 */
#define _POSIX_C_SOURCE 200809L
#include "abi10_common.h"

#include <inttypes.h>

typedef struct abi10_sink {
        FILE *out;
} abi10_sink_t;

static rdcp_err_t abi10_sink_create(const rdcp_ctx_t *ctx,
                                    const rdcp_host_t *host,
                                    const rdcp_config_t *cfg, void **taskp,
                                    char *errstr, size_t errstr_size) {
        const char *file = host->config_get(cfg, "file");
        abi10_sink_t *t = calloc(1, sizeof(*t));
        (void)ctx;
        if (!t)
                return RDCP_ERR_NOMEM;
        t->out = fopen(file ? file : "", "a");
        if (!t->out) {
                snprintf(errstr, errstr_size, "cannot open %s", file);
                free(t);
                return RDCP_ERR_CONFIG;
        }
        *taskp = t;
        return RDCP_OK;
}

static void abi10_print(FILE *out, const rdcp_data_t *d) {
        if (d->kind == RDCP_DATA_STRING || d->kind == RDCP_DATA_BYTES)
                fprintf(out, "%.*s", (int)d->u.bytes.len,
                        (const char *)d->u.bytes.ptr);
        else
                fprintf(out, "<kind %u>", (unsigned)d->kind);
}

static rdcp_err_t abi10_sink_put(void *task, const rdcp_sink_record_t *records,
                                 size_t cnt, char *errstr, size_t errstr_size) {
        abi10_sink_t *t = task;
        (void)errstr;
        (void)errstr_size;
        /* records[i]: the 1.0 stride, sizeof as this plugin knows it. */
        for (size_t i = 0; i < cnt; i++) {
                const rdcp_sink_record_t *r = &records[i];
                fprintf(t->out, "%s|%d|%" PRId64 "|%" PRId64 "|", r->topic,
                        (int)r->partition, r->offset, r->timestamp);
                abi10_print(t->out, &r->key);
                fputc('|', t->out);
                abi10_print(t->out, &r->value);
                fputc('|', t->out);
                for (int32_t k = 0; k < r->header_cnt; k++) {
                        const rdcp_header_t *h = &r->headers[k];
                        fprintf(t->out, "%s%s=", k ? "," : "", h->key);
                        if (h->value)
                                fprintf(t->out, "%.*s", (int)h->value_len,
                                        (const char *)h->value);
                        else
                                fputs("null", t->out);
                }
                fputc('\n', t->out);
        }
        return RDCP_OK;
}

static rdcp_err_t abi10_sink_flush(void *task, char *errstr,
                                   size_t errstr_size) {
        abi10_sink_t *t = task;
        if (fflush(t->out)) {
                snprintf(errstr, errstr_size, "fflush failed");
                return RDCP_ERR_RETRIABLE;
        }
        return RDCP_OK;
}

static void abi10_sink_destroy(void *task) {
        abi10_sink_t *t = task;
        fclose(t->out);
        free(t);
}

static const rdcp_config_def_t abi10_sink_defs[] = {
        {.name = "file",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .documentation = "File the lines are appended to."},
};

static const rdcp_sink_task_vtable_t abi10_sink_task = {
        .struct_size = sizeof(rdcp_sink_task_vtable_t),
        .create = abi10_sink_create,
        .put = abi10_sink_put,
        .flush = abi10_sink_flush,
        .destroy = abi10_sink_destroy};

static const char *const abi10_sink_aliases[] = {"Abi10Sink", NULL};

static const rdcp_descriptor_t abi10_sink_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_SINK,
        .class_name = "com.example.abi10.Abi10Sink",
        .aliases = abi10_sink_aliases,
        .version = "1.0.0-abi10",
        .description = "Sink built against ABI 1.0",
        .config_defs = abi10_sink_defs,
        .config_def_cnt = 1,
        .connector = &abi10_connector,
        .sink_task = &abi10_sink_task};

RDCP_PLUGIN_ENTRY(abi10_sink_descriptor)
