/*
 * The record pipeline of a task, shared by the source and the sink loop:
 * the key, value and header converters (opened from the connector's and
 * the worker's config), and what happens to one record between the plugin
 * and Kafka. Transforms and predicates go here too when they come: for a
 * source between poll() and conversion (rdc_pipeline_source), for a sink
 * between conversion and put() (rdc_pipeline_sink).
 *
 * Hot-path rules: nothing per record beyond the converters themselves;
 * records without headers never touch the header converter; converters
 * see headers only through their 1.1 members.
 */
#ifndef RDC_PIPELINE_H
#define RDC_PIPELINE_H

#include <librdkafka/rdkafka.h>
#include <rdconnect/plugin.h>

typedef struct rdc_task rdc_task_t;

/** Opens the key, value and header converters of t (task thread).
 *  @returns 0, or -1 after failing the task. */
int rdc_pipeline_open(rdc_task_t *t);
void rdc_pipeline_close(rdc_task_t *t);

/**
 * @brief Source: converts r (a record of the plugin, read with its
 *        strides) into key and value bytes, appending to the task's
 *        scratch buffers, and its headers into t->src_hdrs (host layout,
 *        serialized by the header converter when typed), valid until the
 *        next call.
 * @returns 0 ok, 1 skip (tolerated), -1 failed.
 */
int rdc_pipeline_source(rdc_task_t *t, const rdcp_source_record_t *r,
                        rdcp_bytes_t *key, rdcp_bytes_t *value);

/**
 * @brief Sink: converts message m into r (host layout; its headers in
 *        the sink plugin's layout, typed by the header converter), with
 *        memory from the task's arena.
 * @returns 0 ok, 1 skip (tolerated), -1 failed.
 */
int rdc_pipeline_sink(rdc_task_t *t, const rd_kafka_message_t *m,
                      rdcp_sink_record_t *r);

#endif
