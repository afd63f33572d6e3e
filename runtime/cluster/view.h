/*
 * What the workers of one group know of each other, and the assignment
 * the leader publishes: pure functions over the records the workers
 * write to the offsets topic (docs/DESIGN.md, "Distributed mode"), so
 * that each rule is unit-tested and every worker that read the same
 * records draws the same conclusion.
 *
 *  - A claim: one per worker, key ["",{"rdconnect":"member","worker":id}],
 *    value {"generation":G,"url":U,"partitions":[...],"applied":V,
 *           "left":false,"time":T}: the offsets-topic partitions the
 *    worker owns in group generation G, the newest assignment version
 *    whose revocations it has carried out, and when it wrote this.
 *  - The assignment: key ["",{"rdconnect":"assignment"}], value
 *    {"generation":G,"leader":id,"version":V,
 *     "work":[[connector,task,owner,pending],...]}
 *    (task -1: the connector instance; owner null: not placed; pending:
 *    where an item revoked from a live worker goes once every member has
 *    applied V).
 */
#ifndef RDC_CLUSTER_VIEW_H
#define RDC_CLUSTER_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/assign.h"

/** The connector name of the cluster's own records in the offsets
 *  topic: no connector can have it, and Java workers see an offset of
 *  no connector there. */
#define RDC_CLUSTER_KEY                  ""
#define RDC_CLUSTER_ASSIGNMENT_PARTITION "{\"rdconnect\":\"assignment\"}"

typedef struct rdc_claim {
        char *worker;
        char *url;
        int32_t generation;
        int left;
        uint64_t applied;
        int64_t time_ms; /**< when it was written (wall clock) */
        int32_t *parts;
        size_t part_cnt;
} rdc_claim_t;

void rdc_claim_clear(rdc_claim_t *claim);
/** The claim's offsets-topic partition text (canonical JSON), malloc'd. */
char *rdc_claim_partition(const char *worker);
/** @returns the value text (malloc'd), or NULL when out of memory. */
char *rdc_claim_encode(const rdc_claim_t *claim);
/** @returns 0, or -1 when the texts are not a claim. */
int rdc_claim_decode(const char *partition_json, const char *offset_json,
                     rdc_claim_t *out);

/** The members of the newest generation the claims describe. */
typedef struct rdc_members {
        int32_t generation;
        size_t cnt;
        char **ids; /**< sorted */
        char **urls;
        uint64_t *applied;
} rdc_members_t;

void rdc_members_clear(rdc_members_t *m);
/**
 * @brief The member set, when the claims of generation (left ones
 *        included) own disjoint sets that cover partitions 0 ..
 *        partition_cnt-1: then every member of that generation has
 *        claimed. Left workers are no members.
 * @param generation the caller's own group generation: every member of
 *        the group shares it, and claims of other generations are ignored
 *        (a group that emptied is deleted, and a new one counts from 1
 *        again: the old one's claims may have higher numbers).
 * @param min_time_ms when the claims of generation overlap, those written
 *        before this (claims of an earlier group that reached the same
 *        number) are left out too; 0: none is.
 * @returns 1 with *out set (caller clears), 0 when incomplete, -1 when
 *          out of memory.
 */
int rdc_members_compute(const rdc_claim_t *claims, size_t cnt,
                        int32_t partition_cnt, int32_t generation,
                        int64_t min_time_ms, rdc_members_t *out);
/** Appends a member (m stays as it was when out of memory).
 *  @returns 0, or -1 when out of memory. */
int rdc_members_add(rdc_members_t *m, const char *id, const char *url,
                    uint64_t applied);
/** @returns the index of id in m, or -1. */
int rdc_members_find(const rdc_members_t *m, const char *id);
/** The leader: the member with the smallest id (the same answer on every
 *  worker that read the same claims). NULL when there is none. */
const char *rdc_members_leader(const rdc_members_t *m);

typedef struct rdc_assignment {
        uint64_t version;
        /** The group generation of the member set the leader used: a
         *  worker ignores an assignment of another generation once it
         *  holds one of its own (a deposed leader's late write). */
        int32_t generation;
        char *leader;
        size_t cnt;
        rdc_work_t *work; /**< connector names owned */
        char **owner;     /**< worker id, or NULL */
        char **pending;   /**< worker id, or NULL */
} rdc_assignment_t;

void rdc_assignment_clear(rdc_assignment_t *a);
char *rdc_assignment_encode(const rdc_assignment_t *a);
int rdc_assignment_decode(const char *offset_json, rdc_assignment_t *out);
/** @returns the index of (connector, task) in a, or -1. */
long rdc_assignment_find(const rdc_assignment_t *a, const char *connector,
                         int32_t task);
/** @returns 1 if a and b say the same (versions and leader aside). */
int rdc_assignment_same(const rdc_assignment_t *a, const rdc_assignment_t *b);

/**
 * @brief Whether a worker of group generation `generation` that holds cur
 *        takes read instead: always, unless cur is of its own generation
 *        and read is not (a deposed leader's late write).
 */
int rdc_assignment_accept(const rdc_assignment_t *cur,
                          const rdc_assignment_t *read, int32_t generation);

/**
 * @brief The leader's next assignment: rdc_assign() over the members,
 *        sticky to cur; an item leaves a live member in two steps (first
 *        unplaced with its new owner pending, placed once every member
 *        has applied cur's version); an item of a worker that is gone,
 *        or new, is placed at once.
 * @param cur the assignment in force (version 0, empty: none yet).
 * @param next out (caller clears): version cur->version + 1 and leader
 *        set, whether it differs or not (rdc_assignment_same tells).
 * @returns 0, or -1 when out of memory.
 */
int rdc_assignment_next(const rdc_assignment_t *cur, const rdc_members_t *m,
                        const rdc_work_t *work, size_t work_cnt,
                        const char *leader, rdc_assignment_t *next);

#endif
