/*
 * Embedded Kafka: `bootstrap.servers=embedded[:N]` runs librdkafka's
 * in-process mock cluster (N brokers, default 1) so that a worker works
 * with no Kafka installed. Data lives in memory only and is lost at exit;
 * the worker says so loudly. Nothing else in the runtime depends on it:
 * the rest of the code talks to it through the ordinary Kafka protocol.
 */
#ifndef RDC_EMBEDDED_H
#define RDC_EMBEDDED_H

#include <stddef.h>

typedef struct rdc_embedded rdc_embedded_t;

/** @returns 1 and the broker count if value is "embedded" or
 *  "embedded:N", 0 if not, -1 if malformed (errstr set). */
int rdc_embedded_parse(const char *bootstrap, int *brokers, char *errstr,
                       size_t errstr_size);

rdc_embedded_t *rdc_embedded_start(int brokers, char *errstr,
                                   size_t errstr_size);
/** @returns the cluster's bootstrap list (valid until destroy). */
const char *rdc_embedded_bootstraps(const rdc_embedded_t *emb);
/** Creates a topic (the mock has no CreateTopics); an existing topic is
 *  not an error. @returns 0 or -1 with errstr. */
int rdc_embedded_create_topic(rdc_embedded_t *emb, const char *topic,
                              int partitions, char *errstr, size_t errstr_size);
void rdc_embedded_destroy(rdc_embedded_t *emb);

#endif
