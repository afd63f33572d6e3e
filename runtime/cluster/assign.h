/*
 * The assignment of distributed mode: which worker runs which connector
 * and which task. A pure function of the group's members, the work the
 * config topic holds and the previous assignment, so that it can be
 * unit-tested and so that every worker that computed it would agree.
 */
#ifndef RDC_CLUSTER_ASSIGN_H
#define RDC_CLUSTER_ASSIGN_H

#include <stddef.h>
#include <stdint.h>

/** One unit of work: a connector instance (task -1) or one of its tasks. */
typedef struct rdc_work {
        const char *connector;
        int32_t task; /**< -1: the connector itself */
} rdc_work_t;

/**
 * @brief Computes a balanced, sticky assignment.
 *
 * Connectors and tasks are balanced separately (as Kafka Connect does):
 * each worker ends with floor(n/w) or ceil(n/w) of each kind. Work stays
 * where it was unless its worker is gone or holds more than its share;
 * the workers that hold the most keep the larger shares, so the fewest
 * items move. Work that has to move goes to the least loaded workers.
 * Ties are broken by worker id and by (connector, task), never by the
 * order of the inputs, so the result depends only on what they contain.
 *
 * @param workers     ids of the group's members (distinct).
 * @param previous    for each work item, the index in workers of the
 *                    worker that ran it, or -1 (new, or its worker left).
 * @param out         for each work item, the index of its worker (all of
 *                    them -1 when worker_cnt is 0).
 * @returns 0, or -1 when out of memory (out is then unchanged).
 */
int rdc_assign(const char *const *workers, size_t worker_cnt,
               const rdc_work_t *work, size_t work_cnt, const int *previous,
               int *out);

#endif
