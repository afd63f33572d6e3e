/*
 * The record pipeline (see pipeline.h): converters between a task's
 * plugin and Kafka, for both loops.
 */
#define _GNU_SOURCE
#include "tasks/pipeline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/configdef.h"
#include "core/log.h"
#include "plugins/abi.h"
#include "tasks/task_internal.h"

#define RDC_DEFAULT_HEADER_CONVERTER                                           \
        "org.apache.kafka.connect.storage.SimpleHeaderConverter"

/* ------------------------------------------------------ converters */

/* The config of the converter of role ("key", "value", "header"): the
 * connector's class with its own settings, else the worker's with the
 * worker's settings that the connector may adjust. */
static rdc_map_t *converter_config(rdc_task_t *t, const char *role,
                                   const char **clsp) {
        char key[32], prefix[40];
        snprintf(key, sizeof(key), "%s.converter", role);
        snprintf(prefix, sizeof(prefix), "%s.converter.", role);
        const char *cls = rdc_map_get(t->conn_cfg, key);
        rdc_map_t *cfg;
        if (cls && *cls) {
                cfg = rdc_map_strip_prefix(t->conn_cfg, prefix);
        } else {
                /* As Kafka's Worker: the worker's converter with the
                 * worker's settings only. A connector's own settings
                 * (value.converter.schemas.enable alone) count only
                 * with its own converter class: said, not applied. */
                cls = rdc_map_get(t->worker->config, key);
                cfg = rdc_map_strip_prefix(t->worker->config, prefix);
                rdc_map_t *mine = rdc_map_strip_prefix(t->conn_cfg, prefix);
                if (mine && rdc_map_count(mine))
                        rdc_log(RDC_LOG_WARN, "task", t->ctx.scope,
                                "%s%s... ignored: the connector sets no %s, "
                                "so the worker's converter keeps the "
                                "worker's settings (as in Kafka)",
                                prefix, rdc_map_key_at(mine, 0), key);
                rdc_map_destroy(mine);
        }
        if (cfg && rdc_map_set(cfg, "converter.type", role)) {
                rdc_map_destroy(cfg);
                cfg = NULL;
        }
        if ((!cls || !*cls) && !strcmp(role, "header"))
                cls = RDC_DEFAULT_HEADER_CONVERTER;
        *clsp = cls;
        return cfg;
}

static int converter_open(rdc_task_t *t, const char *role, rdc_conv_t *conv) {
        char errstr[2048];
        const char *cls;
        rdc_config_errors_t errs = {0};
        rdc_map_t *cfg = converter_config(t, role, &cls);
        int header = !strcmp(role, "header");
        int ret = -1;
        if (!cfg) {
                rdc_task_fail(t, "converter", "out of memory");
                return -1;
        }
        const rdc_plugin_t *plugin = rdc_registry_find(
                t->worker->registry, cls ? cls : "",
                header ? RDCP_PLUGIN_HEADER_CONVERTER : RDCP_PLUGIN_CONVERTER,
                errstr, sizeof(errstr));
        if (!plugin) {
                rdc_task_fail(t, "converter", "%s.converter: %s", role, errstr);
                goto done;
        }
        const rdcp_descriptor_t *d = plugin->desc;
        if (rdc_configdef_validate(d->config_defs, d->config_def_cnt,
                                   d->config_def_size, cfg, 1, &errs)) {
                rdc_config_errors_format(&errs, errstr, sizeof(errstr));
                rdc_task_fail(t, "converter", "%s.converter %s: %s", role,
                              d->class_name, errstr);
                goto done;
        }
        errstr[0] = '\0';
        conv->desc = d;
        rdcp_err_t err;
        if (header) {
                conv->hvt = d->header_converter;
                err = conv->hvt->create(&t->ctx, &rdc_host,
                                        rdc_map_as_cconfig(cfg), &conv->state,
                                        errstr, sizeof(errstr));
        } else {
                conv->vt = d->converter;
                err = conv->vt->create(&t->ctx, &rdc_host,
                                       rdc_map_as_cconfig(cfg), &conv->state,
                                       errstr, sizeof(errstr));
        }
        if (err) {
                conv->vt = NULL;
                conv->hvt = NULL;
                rdc_task_fail(t, "converter", "%s.converter %s: %s", role,
                              d->class_name, errstr);
                goto done;
        }
        ret = 0;
done:
        rdc_config_errors_clear(&errs);
        rdc_map_destroy(cfg);
        return ret;
}

static void converter_close(rdc_conv_t *conv) {
        if (conv->vt)
                conv->vt->destroy(conv->state);
        if (conv->hvt)
                conv->hvt->destroy(conv->state);
        conv->vt = NULL;
        conv->hvt = NULL;
}

int rdc_pipeline_open(rdc_task_t *t) {
        if (converter_open(t, "key", &t->key_conv) ||
            converter_open(t, "value", &t->value_conv) ||
            converter_open(t, "header", &t->header_conv))
                return -1;
        /* A sink of an older minor sees raw header bytes only: converting
         * them would be work nobody reads. */
        t->sink_typed_headers = RDC_ABI_COVERS(t->plugin->desc->header_size,
                                               rdcp_header_t, data);
        return 0;
}

void rdc_pipeline_close(rdc_task_t *t) {
        converter_close(&t->key_conv);
        converter_close(&t->value_conv);
        converter_close(&t->header_conv);
        free(t->src_hdrs);
        t->src_hdrs = NULL;
        t->src_hdr_cap = 0;
        t->src_hdr_cnt = 0;
}

/* ----------------------------------------------------------- source */

/* The record's headers in t->src_hdrs (host layout): raw ones as they
 * are, typed ones serialized by the header converter into t->hdr_buf
 * (offsets first: the buffer may move while it grows).
 * @returns 0, 1 skip, -1 failed. */
static int source_headers(rdc_task_t *t, const rdcp_source_record_t *r) {
        size_t cnt = (size_t)r->header_cnt;
        size_t stride = t->plugin->desc->header_size;
        if (cnt > t->src_hdr_cap) {
                rdcp_header_t *grown =
                        realloc(t->src_hdrs, cnt * sizeof(*grown));
                if (!grown) {
                        rdc_task_fail(t, "header converter", "out of memory");
                        return -1;
                }
                t->src_hdrs = grown;
                t->src_hdr_cap = cnt;
        }
        rdc_buf_reset(&t->hdr_buf);
        char errstr[1024];
        for (size_t i = 0; i < cnt; i++) {
                rdcp_header_t *h = &t->src_hdrs[i];
                rdc_abi_header_get(h, r->headers, stride, i);
                if (!h->typed)
                        continue;
                rdcp_bytes_t out = {NULL, 0};
                size_t mark = t->hdr_buf.len;
                errstr[0] = '\0';
                if (t->header_conv.hvt->from_header(
                            t->header_conv.state, r->topic, h->key, &h->data,
                            &t->hdr_buf, &out, errstr, sizeof(errstr)))
                        return rdc_task_conversion_error(t, "header converter",
                                                         r->topic, errstr)
                                       ? 1
                                       : -1;
                uintptr_t p = (uintptr_t)out.ptr;
                uintptr_t base = (uintptr_t)t->hdr_buf.data;
                int in_buf = out.ptr && t->hdr_buf.data && p >= base + mark &&
                             p <= base + t->hdr_buf.len;
                /* In the buffer, which may still move: its offset + 1 for
                 * now, marked in reserved (the host's own copy; cleared
                 * below before anyone sees it). */
                h->value = in_buf ? (const void *)(p - base + 1) : out.ptr;
                h->reserved = (uint32_t)in_buf;
                h->value_len = out.len;
        }
        for (size_t i = 0; i < cnt; i++) {
                rdcp_header_t *h = &t->src_hdrs[i];
                if (h->typed && h->reserved) {
                        h->value = t->hdr_buf.data + ((uintptr_t)h->value - 1);
                        h->reserved = 0;
                }
        }
        t->src_hdr_cnt = cnt;
        return 0;
}

int rdc_pipeline_source(rdc_task_t *t, const rdcp_source_record_t *r,
                        rdcp_bytes_t *key, rdcp_bytes_t *value) {
        char errstr[1024];
        const rdcp_converter_vtable_t *kv = t->key_conv.vt;
        const rdcp_converter_vtable_t *vv = t->value_conv.vt;
        t->src_hdr_cnt = 0;
        /* (Transforms will run here, on the plugin's record.) */
        if (r->header_cnt > 0) {
                int c = source_headers(t, r);
                if (c)
                        return c;
        }
        errstr[0] = '\0'; /* not = "": that clears 1 KiB per record */
        rdcp_err_t err =
                kv->from_data_headers
                        ? kv->from_data_headers(t->key_conv.state, r->topic,
                                                t->src_hdrs, t->src_hdr_cnt,
                                                &r->key, &t->key_buf, key,
                                                errstr, sizeof(errstr))
                        : kv->from_data(t->key_conv.state, r->topic, &r->key,
                                        &t->key_buf, key, errstr,
                                        sizeof(errstr));
        if (!err)
                err = vv->from_data_headers
                              ? vv->from_data_headers(t->value_conv.state,
                                                      r->topic, t->src_hdrs,
                                                      t->src_hdr_cnt, &r->value,
                                                      &t->value_buf, value,
                                                      errstr, sizeof(errstr))
                              : vv->from_data(t->value_conv.state, r->topic,
                                              &r->value, &t->value_buf, value,
                                              errstr, sizeof(errstr));
        if (err)
                return rdc_task_conversion_error(t, "convert", r->topic, errstr)
                               ? 1
                               : -1;
        return 0;
}

/* ------------------------------------------------------------- sink */

/* The message's headers in the host layout (arena), typed by the header
 * converter when the sink reads typed headers. @returns 0, 1 skip, -1
 * failed; *out NULL with *cnt 0 when there are none. */
static int sink_headers(rdc_task_t *t, const rd_kafka_message_t *m,
                        const char *topic, rdcp_header_t **out, size_t *cnt) {
        rd_kafka_headers_t *hdrs = NULL;
        *out = NULL;
        *cnt = 0;
        if (rd_kafka_message_headers(m, &hdrs) || !hdrs)
                return 0;
        size_t hc = rd_kafka_header_cnt(hdrs);
        rdcp_header_t *h = rdc_arena_alloc(&t->arena, hc * sizeof(*h));
        if (!h)
                return 0; /* out of memory: as before, without headers */
        char errstr[1024];
        for (size_t k = 0; k < hc; k++) {
                memset(&h[k], 0, sizeof(h[k]));
                rd_kafka_header_get_all(hdrs, k, &h[k].key, &h[k].value,
                                        &h[k].value_len);
                if (!t->sink_typed_headers)
                        continue;
                errstr[0] = '\0';
                if (t->header_conv.hvt->to_header(
                            t->header_conv.state, topic, h[k].key, h[k].value,
                            h[k].value_len, &t->arena, &h[k].data, errstr,
                            sizeof(errstr)))
                        return rdc_task_conversion_error(t, "header converter",
                                                         topic, errstr)
                                       ? 1
                                       : -1;
                h[k].typed = 1;
        }
        *out = h;
        *cnt = hc;
        return 0;
}

int rdc_pipeline_sink(rdc_task_t *t, const rd_kafka_message_t *m,
                      rdcp_sink_record_t *r) {
        const char *topic = rd_kafka_topic_name(m->rkt);
        const rdcp_converter_vtable_t *kv = t->key_conv.vt;
        const rdcp_converter_vtable_t *vv = t->value_conv.vt;
        rdcp_header_t *hdrs;
        size_t hc;
        char errstr[1024];
        memset(r, 0, sizeof(*r));
        int c = sink_headers(t, m, topic, &hdrs, &hc);
        if (c)
                return c;
        errstr[0] = '\0';
        rdcp_err_t err =
                kv->to_data_headers
                        ? kv->to_data_headers(t->key_conv.state, topic, hdrs,
                                              hc, m->key, m->key_len, &t->arena,
                                              &r->key, errstr, sizeof(errstr))
                        : kv->to_data(t->key_conv.state, topic, m->key,
                                      m->key_len, &t->arena, &r->key, errstr,
                                      sizeof(errstr));
        if (!err)
                err = vv->to_data_headers
                              ? vv->to_data_headers(
                                        t->value_conv.state, topic, hdrs, hc,
                                        m->payload, m->len, &t->arena,
                                        &r->value, errstr, sizeof(errstr))
                              : vv->to_data(t->value_conv.state, topic,
                                            m->payload, m->len, &t->arena,
                                            &r->value, errstr, sizeof(errstr));
        if (err)
                return rdc_task_conversion_error(t, "convert", topic, errstr)
                               ? 1
                               : -1;
        r->topic = topic;
        r->partition = m->partition;
        r->offset = m->offset;
        rd_kafka_timestamp_type_t tstype;
        r->timestamp = rd_kafka_message_timestamp(m, &tstype);
        r->timestamp_type = tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME
                                    ? RDCP_TIMESTAMP_CREATE_TIME
                            : tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME
                                    ? RDCP_TIMESTAMP_LOG_APPEND_TIME
                                    : RDCP_TIMESTAMP_NONE;
        if (hc) {
                /* In the sink plugin's layout (header_size). */
                size_t stride = t->plugin->desc->header_size;
                if (stride != sizeof(*hdrs)) {
                        void *packed = rdc_arena_alloc(&t->arena, hc * stride);
                        if (!packed)
                                return 0; /* without headers, as before */
                        rdc_abi_pack(packed, stride, hdrs, sizeof(*hdrs), hc);
                        hdrs = packed;
                }
                r->headers = hdrs;
                r->header_cnt = (int32_t)hc;
        }
        /* (Transforms will run here, before put().) */
        return 0;
}
