/*
 * Abi10Source (com.example.abi10.Abi10Source), built against ABI 1.0: each
 * task writes test.records records (default 100) to `topic`, 7 per poll(),
 * in 1.0-sized records. Record seq: key "k-seq", value "v-seq" (strings),
 * partition seq % 2, timestamp 1600000000000 + seq, headers "seq" = "seq"
 * and "none" = null, source partition {"abi10":T}, offset {"seq":seq+1}.
 * A restarted task resumes after its stored offset.
 */
#define _POSIX_C_SOURCE 200809L
#include "abi10_common.h"

#include <inttypes.h>

#define ABI10_BATCH 7

typedef struct abi10_slot {
        char key[32], value[32], seq[32], offset[48];
        rdcp_header_t headers[2];
} abi10_slot_t;

typedef struct abi10_source {
        const rdcp_ctx_t *ctx;
        const rdcp_host_t *host;
        char topic[256];
        char partition[48];
        int64_t next, total;
        rdcp_source_record_t records[ABI10_BATCH];
        abi10_slot_t slots[ABI10_BATCH];
} abi10_source_t;

static rdcp_err_t abi10_source_create(const rdcp_ctx_t *ctx,
                                      const rdcp_host_t *host,
                                      const rdcp_config_t *cfg, void **taskp,
                                      char *errstr, size_t errstr_size) {
        abi10_source_t *t = calloc(1, sizeof(*t));
        const char *topic = host->config_get(cfg, "topic");
        char *offset = NULL;
        if (!t)
                return RDCP_ERR_NOMEM;
        t->ctx = ctx;
        t->host = host;
        snprintf(t->topic, sizeof(t->topic), "%s", topic ? topic : "");
        snprintf(t->partition, sizeof(t->partition), "{\"abi10\":%d}",
                 (int)host->ctx_task_id(ctx));
        if (host->config_get_int64(cfg, "test.records", &t->total))
                t->total = 100;
        if (host->offset_read(ctx, t->partition, &offset)) {
                snprintf(errstr, errstr_size, "cannot read offsets");
                free(t);
                return RDCP_ERR_FATAL;
        }
        if (offset) {
                const char *p = strstr(offset, "\"seq\":");
                if (p)
                        t->next = strtoll(p + 6, NULL, 10);
                host->free(offset);
        }
        *taskp = t;
        return RDCP_OK;
}

static void abi10_string(rdcp_data_t *d, const char *text) {
        memset(d, 0, sizeof(*d));
        d->kind = RDCP_DATA_STRING;
        d->u.bytes.ptr = text;
        d->u.bytes.len = strlen(text);
}

static rdcp_err_t abi10_source_poll(void *task,
                                    const rdcp_source_record_t **records,
                                    size_t *cnt, char *errstr,
                                    size_t errstr_size) {
        abi10_source_t *t = task;
        size_t n = 0;
        (void)errstr;
        (void)errstr_size;
        *records = t->records;
        for (; n < ABI10_BATCH && t->next < t->total; n++, t->next++) {
                rdcp_source_record_t *r = &t->records[n];
                abi10_slot_t *s = &t->slots[n];
                snprintf(s->key, sizeof(s->key), "k-%" PRId64, t->next);
                snprintf(s->value, sizeof(s->value), "v-%" PRId64, t->next);
                snprintf(s->seq, sizeof(s->seq), "%" PRId64, t->next);
                snprintf(s->offset, sizeof(s->offset), "{\"seq\":%" PRId64 "}",
                         t->next + 1);
                s->headers[0].key = "seq";
                s->headers[0].value = s->seq;
                s->headers[0].value_len = strlen(s->seq);
                s->headers[1].key = "none";
                s->headers[1].value = NULL;
                s->headers[1].value_len = 0;
                memset(r, 0, sizeof(*r));
                r->topic = t->topic;
                r->partition = (int32_t)(t->next % 2);
                r->timestamp = 1600000000000 + t->next;
                abi10_string(&r->key, s->key);
                abi10_string(&r->value, s->value);
                r->headers = s->headers;
                r->header_cnt = 2;
                r->source_partition = t->partition;
                r->source_offset = s->offset;
        }
        *cnt = n;
        if (!n)
                t->host->wait(t->ctx, -1, 0, 100);
        return RDCP_OK;
}

static void abi10_source_destroy(void *task) {
        free(task);
}

static const rdcp_config_def_t abi10_source_defs[] = {
        {.name = "topic",
         .type = RDCP_CFG_STRING,
         .importance = RDCP_IMPORTANCE_HIGH,
         .flags = RDCP_CFGF_REQUIRED | RDCP_CFGF_NON_EMPTY,
         .documentation = "Topic to write to."},
        {.name = "test.records",
         .type = RDCP_CFG_LONG,
         .importance = RDCP_IMPORTANCE_LOW,
         .default_value = "100",
         .documentation = "Records per task."},
};

static const rdcp_source_task_vtable_t abi10_source_task = {
        .struct_size = sizeof(rdcp_source_task_vtable_t),
        .create = abi10_source_create,
        .poll = abi10_source_poll,
        .destroy = abi10_source_destroy};

static const char *const abi10_source_aliases[] = {"Abi10Source", NULL};

static const rdcp_descriptor_t abi10_source_descriptor = {
        RDCP_DESCRIPTOR_HEADER,
        .type = RDCP_PLUGIN_SOURCE,
        .class_name = "com.example.abi10.Abi10Source",
        .aliases = abi10_source_aliases,
        .version = "1.0.0-abi10",
        .description = "Source built against ABI 1.0",
        .config_defs = abi10_source_defs,
        .config_def_cnt = 2,
        .connector = &abi10_connector,
        .source_task = &abi10_source_task};

RDCP_PLUGIN_ENTRY(abi10_source_descriptor)
