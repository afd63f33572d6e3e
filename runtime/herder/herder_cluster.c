/*
 * Distributed mode on the herder thread (docs/DESIGN.md, "Distributed
 * mode"): the group consumer (cluster/member.c) proves membership; each
 * worker claims its offsets-topic partitions in the offsets topic; the
 * member set and the leader follow from the claims (cluster/view.c); the
 * leader publishes the assignment there; every worker runs what the
 * assignment gives it while it is in the group, and nothing otherwise.
 */
#define _GNU_SOURCE
#include "herder/herder_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/member.h"
#include "cluster/view.h"
#include "core/clock.h"
#include "core/log.h"

/* Claims of this generation written this long before this worker
 * joined it are of an earlier group (clocks of workers may differ by
 * less). */
#define RDC_CLAIM_SKEW_MS 30000

/* Looked at again at least this often, whatever is posted. */
#define RDC_CLUSTER_TICK_MS 1000

typedef struct rdc_cluster_state {
        rdc_member_t *member;
        rdc_offset_store_t *offsets;
        int in_group;
        int32_t generation;
        rdc_members_t view; /* the last complete member set */
        rdc_assignment_t assignment;
        int64_t rebalance_delay_ms;
        /* Workers seen gone (delay > 0): id -> since when. */
        char **gone;
        int64_t *gone_since;
        size_t gone_cnt;
        uint64_t applied; /* the assignment version carried out */
        int stale_read;   /* the offsets topic's newest assignment is an
                             older one than in force (a deposed leader's) */
        int abandon;      /* membership lost: drop unwritten offsets once
                             everything stopped */
        /* The claim last written. */
        char *claim_written;
        char writer_id[300]; /* connect-cluster-<group.id> */
        int event_queued;    /* an RDC_EV_CLUSTER is in the queue (atomic) */
} rdc_cluster_state_t;

static void post_cluster_event(rdc_herder_t *h) {
        rdc_cluster_state_t *cl = h->cluster;
        if (__atomic_exchange_n(&cl->event_queued, 1, __ATOMIC_ACQ_REL))
                return;
        rdc_cmd_t *cmd = rdc_herder_event_new(RDC_EV_CLUSTER);
        if (!cmd) {
                __atomic_store_n(&cl->event_queued, 0, __ATOMIC_RELEASE);
                return; /* the periodic tick catches up */
        }
        rdc_herder_post(h, cmd);
}

static void on_member(void *opaque) {
        post_cluster_event(opaque);
}

/* How long a joining member waits for the offsets topic's end at most
 * before it tries again. */
#define RDC_CLUSTER_SYNC_TIMEOUT_MS 5000

/* On the member's thread: the offsets topic read to its end, so that
 * the first tick in the new generation sees the newest assignment. */
static int sync_offsets(void *opaque, char *errstr, size_t errstr_size) {
        const rdc_herder_t *h = opaque;
        return rdc_offset_store_sync(h->worker->offsets,
                                     RDC_CLUSTER_SYNC_TIMEOUT_MS, errstr,
                                     errstr_size);
}

static void on_offsets(void *opaque, const char *connector,
                       const char *partition_json) {
        (void)partition_json;
        if (!connector || !strcmp(connector, RDC_CLUSTER_KEY))
                post_cluster_event(opaque);
}

static void on_flushed(void *opaque, int err, const char *errstr) {
        rdc_herder_t *h = opaque;
        if (err)
                rdc_log(RDC_LOG_WARN, "cluster", NULL,
                        "Cannot write to the offsets topic: %s (trying "
                        "again)",
                        errstr ? errstr : "unknown error");
        post_cluster_event(h);
}

int rdc_cluster_start(rdc_herder_t *h, rdc_cluster_conf_t *conf, char *errstr,
                      size_t errstr_size) {
        rdc_cluster_state_t *cl = calloc(1, sizeof(*cl));
        if (!cl) {
                rd_kafka_conf_destroy(conf->consumer_conf);
                snprintf(errstr, errstr_size, "out of memory");
                return -1;
        }
        cl->offsets = h->worker->offsets;
        cl->rebalance_delay_ms = conf->rebalance_delay_ms;
        /* Kafka's DistributedConfig.transactionalProducerId(). */
        snprintf(cl->writer_id, sizeof(cl->writer_id), "connect-cluster-%s",
                 conf->group_id);
        h->cluster = cl;
        /* Nothing is written to the config topic before this worker
         * leads. */
        if (h->configs->ops->set_writer &&
            h->configs->ops->set_writer(h->configs, NULL, 0)) {
                free(cl);
                h->cluster = NULL;
                rd_kafka_conf_destroy(conf->consumer_conf);
                conf->consumer_conf = NULL;
                snprintf(errstr, errstr_size,
                         "Cannot start the config topic's writer");
                return -1;
        }
        rdc_offset_store_set_listener(cl->offsets, on_offsets, h);
        cl->member = rdc_member_start(
                conf->consumer_conf, conf->group_id, conf->offsets_topic,
                conf->session_timeout_ms, conf->heartbeat_interval_ms,
                conf->rebalance_timeout_ms, on_member, sync_offsets, h, errstr,
                errstr_size);
        conf->consumer_conf = NULL;
        if (!cl->member) {
                rdc_offset_store_set_listener(cl->offsets, NULL, NULL);
                free(cl);
                h->cluster = NULL;
                return -1;
        }
        return 0;
}

/* ------------------------------------------------------------ reads */

typedef struct cluster_records {
        rdc_claim_t *claims;
        size_t cnt, size;
        char *assignment; /* value text */
} cluster_records_t;

static void collect(void *opaque, const char *partition_json,
                    const char *offset_json) {
        cluster_records_t *r = opaque;
        if (!strcmp(partition_json, RDC_CLUSTER_ASSIGNMENT_PARTITION)) {
                free(r->assignment);
                r->assignment = offset_json ? strdup(offset_json) : NULL;
                return;
        }
        if (r->cnt == r->size) {
                size_t size = r->size ? 2 * r->size : 8;
                rdc_claim_t *grown =
                        realloc(r->claims, size * sizeof(*r->claims));
                if (!grown)
                        return;
                r->claims = grown;
                r->size = size;
        }
        if (!rdc_claim_decode(partition_json, offset_json, &r->claims[r->cnt]))
                r->cnt++;
}

static void records_clear(cluster_records_t *r) {
        for (size_t i = 0; i < r->cnt; i++)
                rdc_claim_clear(&r->claims[i]);
        free(r->claims);
        free(r->assignment);
}

static const char *self_id(const rdc_herder_t *h) {
        return h->worker->worker_id;
}

static int is_leader(const rdc_herder_t *h) {
        const rdc_cluster_state_t *cl = h->cluster;
        const char *leader = rdc_members_leader(&cl->view);
        return cl->in_group && leader && !strcmp(leader, self_id(h));
}

int rdc_cluster_is_leader(const rdc_herder_t *h) {
        return h->cluster && is_leader(h);
}

int rdc_cluster_cut_off(const rdc_herder_t *h) {
        return h->cluster && !h->cluster->in_group;
}

/* ------------------------------------------------------- ownership */

int rdc_cluster_owns(const rdc_herder_t *h, const rdc_conn_t *c, int32_t task) {
        const rdc_cluster_state_t *cl = h->cluster;
        if (!cl)
                return 1;
        if (!cl->in_group || h->shutting_down)
                return 0;
        long k = rdc_assignment_find(&cl->assignment, c->name, task);
        return k >= 0 && cl->assignment.owner[k] &&
               !strcmp(cl->assignment.owner[k], self_id(h));
}

uint32_t rdc_cluster_generation(const rdc_herder_t *h) {
        return h->cluster ? (uint32_t)h->cluster->assignment.version : 0;
}

/* Nothing this worker no longer owns still runs, and no job is under way
 * (a stop in progress counts as running). */
static int released_all(const rdc_herder_t *h) {
        for (const rdc_conn_t *c = h->conns; c; c = c->next) {
                if (c->job || (c->ctx_live && !rdc_cluster_owns(h, c, -1)))
                        return 0;
                for (uint32_t i = 0; i < c->task_cnt; i++)
                        if (c->slots[i].task &&
                            !rdc_cluster_owns(h, c, (int32_t)i))
                                return 0;
        }
        return 1;
}

/* ---------------------------------------------------------- writes */

static void put_record(rdc_cluster_state_t *cl, const char *partition,
                       const char *value) {
        if (rdc_offset_store_put(cl->offsets, RDC_CLUSTER_KEY, partition,
                                 value))
                rdc_log(RDC_LOG_ERROR, "cluster", NULL,
                        "Cannot stage a group record");
}

static void write_claim(rdc_herder_t *h, const rdc_member_state_t *st,
                        uint64_t applied, int left) {
        rdc_cluster_state_t *cl = h->cluster;
        rdc_claim_t claim = {
                .worker = (char *)self_id(h),
                .url = h->worker->rest_url,
                .generation = st->generation,
                .left = left,
                .applied = applied,
                .parts = st->parts,
                .part_cnt = st->part_cnt,
        };
        /* Compared without its time: written when something changed. */
        char *same = rdc_claim_encode(&claim);
        claim.time_ms = rdc_clock_wall_ms();
        char *value = rdc_claim_encode(&claim);
        char *partition = rdc_claim_partition(self_id(h));
        if (same && value && partition &&
            (!cl->claim_written || strcmp(same, cl->claim_written))) {
                put_record(cl, partition, value);
                free(cl->claim_written);
                cl->claim_written = same;
                same = NULL;
                if (!left)
                        rdc_offset_store_flush_async(cl->offsets, on_flushed,
                                                     h);
        }
        free(same);
        free(value);
        free(partition);
}

/* The work the config topic holds: every connector, and its tasks. */
static rdc_work_t *work_list(const rdc_herder_t *h, size_t *cnt) {
        size_t n = 0;
        for (const rdc_conn_t *c = h->conns; c; c = c->next)
                if (c->desired)
                        n += 1 + c->desired->task_cnt;
        rdc_work_t *work = calloc(n ? n : 1, sizeof(*work));
        *cnt = 0;
        for (const rdc_conn_t *c = h->conns; work && c; c = c->next) {
                if (!c->desired)
                        continue;
                work[(*cnt)++] = (rdc_work_t){c->name, -1};
                for (uint32_t i = 0; i < c->desired->task_cnt; i++)
                        work[(*cnt)++] = (rdc_work_t){c->name, (int32_t)i};
        }
        return work;
}

/* scheduled.rebalance.max.delay.ms: members the leader still counts
 * while they are gone for less than the delay (their work waits for
 * them). @returns the time they stop counting, or 0. */
static int64_t keep_gone(rdc_cluster_state_t *cl, rdc_members_t *m) {
        if (cl->rebalance_delay_ms <= 0)
                return 0;
        int64_t now = rdc_clock_now_ms(), next = 0;
        /* Owners in the assignment that are no members. */
        for (size_t i = 0; i < cl->assignment.cnt; i++) {
                const char *id = cl->assignment.owner[i];
                if (!id || rdc_members_find(m, id) >= 0)
                        continue;
                size_t g = 0;
                while (g < cl->gone_cnt && strcmp(cl->gone[g], id))
                        g++;
                if (g == cl->gone_cnt) {
                        char **ids =
                                realloc(cl->gone, (g + 1) * sizeof(*cl->gone));
                        if (ids)
                                cl->gone = ids;
                        int64_t *since =
                                realloc(cl->gone_since,
                                        (g + 1) * sizeof(*cl->gone_since));
                        if (since)
                                cl->gone_since = since;
                        if (!ids || !since || !(cl->gone[g] = strdup(id)))
                                continue;
                        cl->gone_since[g] = now;
                        cl->gone_cnt++;
                }
                int64_t until = cl->gone_since[g] + cl->rebalance_delay_ms;
                if (until <= now)
                        continue;
                if (!next || until < next)
                        next = until;
                /* Counted as a member that has applied everything. */
                rdc_members_add(m, id, "", UINT64_MAX);
        }
        /* Forget those that came back. */
        for (size_t g = 0; g < cl->gone_cnt;) {
                if (rdc_members_find(&cl->view, cl->gone[g]) >= 0) {
                        free(cl->gone[g]);
                        cl->gone[g] = cl->gone[cl->gone_cnt - 1];
                        cl->gone_since[g] = cl->gone_since[cl->gone_cnt - 1];
                        cl->gone_cnt--;
                } else {
                        g++;
                }
        }
        return next;
}

static int members_copy(const rdc_members_t *src, rdc_members_t *dst) {
        memset(dst, 0, sizeof(*dst));
        dst->generation = src->generation;
        for (size_t i = 0; i < src->cnt; i++) {
                if (rdc_members_add(dst, src->ids[i], src->urls[i],
                                    src->applied[i])) {
                        rdc_members_clear(dst);
                        return -1;
                }
        }
        return 0;
}

/* As leader: publishes the next assignment if it differs. @returns when
 * to look again (a delayed move), or 0. */
static int64_t lead(rdc_herder_t *h) {
        rdc_cluster_state_t *cl = h->cluster;
        rdc_members_t m;
        if (members_copy(&cl->view, &m))
                return 0;
        int64_t again = keep_gone(cl, &m);
        size_t cnt;
        rdc_work_t *work = work_list(h, &cnt);
        rdc_assignment_t next;
        if (!work || rdc_assignment_next(&cl->assignment, &m, work, cnt,
                                         self_id(h), &next)) {
                free(work);
                rdc_members_clear(&m);
                return again;
        }
        free(work);
        rdc_members_clear(&m);
        /* Published again in each generation, so that the newest record
         * carries the current one (a deposed leader's is ignored), and
         * when the topic's newest record is not the one in force. */
        if (rdc_assignment_same(&next, &cl->assignment) &&
            cl->assignment.leader &&
            !strcmp(cl->assignment.leader, self_id(h)) &&
            cl->assignment.generation == cl->view.generation &&
            !cl->stale_read) {
                rdc_assignment_clear(&next);
                return again;
        }
        char *value = rdc_assignment_encode(&next);
        if (!value) {
                rdc_assignment_clear(&next);
                return again;
        }
        put_record(cl, RDC_CLUSTER_ASSIGNMENT_PARTITION, value);
        free(value);
        rdc_offset_store_flush_async(cl->offsets, on_flushed, h);
        rdc_log(RDC_LOG_INFO, "cluster", NULL,
                "Leader: published assignment version %llu over %zu "
                "worker(s)",
                (unsigned long long)next.version, cl->view.cnt);
        rdc_assignment_clear(&cl->assignment);
        cl->assignment = next;
        cl->stale_read = 0;
        return again;
}

/* ------------------------------------------------------------ tick */

/* Config-topic writes are the leader's, fenced as Kafka Connect fences
 * them (a transactional producer of transactional.id
 * connect-cluster-<group.id>; a new leader's claim fences the one
 * before). A worker that another worker's leadership deposed writes
 * nothing; one whose view is not of its own generation yet keeps what
 * it had (a deposed leader that does not know it is fenced by Kafka). */
static void claim_config_writes(rdc_herder_t *h, int leads) {
        rdc_cluster_state_t *cl = h->cluster;
        rdc_config_store_t *st = h->configs;
        if (!st->ops->set_writer)
                return;
        const char *leader = rdc_members_leader(&cl->view);
        int deposed = !cl->in_group || !leader || strcmp(leader, self_id(h));
        if ((leads || deposed) &&
            st->ops->set_writer(st, leads ? cl->writer_id : NULL,
                                cl->generation))
                rdc_log(RDC_LOG_ERROR, "cluster", NULL,
                        "Cannot start the config topic's writer");
}

/* Task configs no leader took: handed over again when due, unless the
 * connector's config changed meanwhile (its new tasks come from it). */
static void retry_task_configs(rdc_herder_t *h) {
        int64_t now = rdc_clock_now_ms();
        for (rdc_conn_t *c = h->conns; c; c = c->next) {
                if (!c->retry_cfgs || now < c->retry_ms)
                        continue;
                rdc_map_t **cfgs = c->retry_cfgs;
                uint32_t cnt = c->retry_cnt;
                int same = c->desired &&
                           c->desired->config_version == c->retry_version;
                c->retry_cfgs = NULL;
                c->retry_cnt = 0;
                c->retry_ms = 0;
                c->task_write = 0;
                if (same && c->ctx_live)
                        rdc_conn_write_task_configs(h, c, cfgs, cnt);
                else
                        rdc_herder_progress(h, c->name);
                for (uint32_t i = 0; i < cnt; i++)
                        rdc_map_destroy(cfgs[i]);
                free(cfgs);
        }
}

int64_t rdc_cluster_tick(rdc_herder_t *h) {
        rdc_cluster_state_t *cl = h->cluster;
        if (!cl || h->shutting_down)
                return 0;
        __atomic_store_n(&cl->event_queued, 0, __ATOMIC_RELEASE);
        rdc_member_state_t st;
        rdc_member_state(cl->member, &st);
        int was_in = cl->in_group;
        cl->in_group = st.in_group;
        cl->generation = st.generation;

        cluster_records_t r = {0};
        rdc_offset_store_foreach(cl->offsets, RDC_CLUSTER_KEY, collect, &r);
        rdc_members_t m;
        if (st.in_group &&
            rdc_members_compute(r.claims, r.cnt, st.partition_cnt,
                                st.generation, st.joined_ms - RDC_CLAIM_SKEW_MS,
                                &m) == 1) {
                const char *was = rdc_members_leader(&cl->view);
                const char *now = rdc_members_leader(&m);
                if (m.generation != cl->view.generation ||
                    m.cnt != cl->view.cnt || !was != !now ||
                    (was && strcmp(was, now)))
                        rdc_log(RDC_LOG_INFO, "cluster", NULL,
                                "Group generation %d: %zu worker(s), leader "
                                "%s",
                                (int)m.generation, m.cnt, now ? now : "none");
                rdc_members_clear(&cl->view);
                cl->view = m;
        }
        int changed = was_in != cl->in_group;
        if (was_in && !cl->in_group)
                cl->abandon = 1;
        rdc_assignment_t read;
        if (r.assignment && !rdc_assignment_decode(r.assignment, &read)) {
                if ((read.version != cl->assignment.version ||
                     !rdc_assignment_same(&read, &cl->assignment)) &&
                    rdc_assignment_accept(&cl->assignment, &read,
                                          cl->generation)) {
                        rdc_assignment_clear(&cl->assignment);
                        cl->assignment = read;
                        changed = 1;
                } else {
                        /* The topic's newest is not the one in force. */
                        cl->stale_read = read.version != cl->assignment.version;
                        rdc_assignment_clear(&read);
                }
        }
        records_clear(&r);

        int64_t again = 0;
        /* Led from the member set of this worker's own generation only:
         * one it had before its session lapsed may name it leader still,
         * and the assignment it held then is not the newest. */
        int leads = is_leader(h) && cl->view.generation == cl->generation &&
                    rdc_members_find(&cl->view, self_id(h)) >= 0;
        if (leads) {
                uint64_t before = cl->assignment.version;
                again = lead(h);
                changed |= cl->assignment.version != before;
        }
        claim_config_writes(h, leads);
        /* Task configs handed to the leader that never came back (it
         * wrote what was there already): go on. */
        for (rdc_conn_t *c = h->conns; c; c = c->next)
                if (c->handed_over_ms &&
                    rdc_clock_now_ms() - c->handed_over_ms >
                            RDC_HAND_OVER_TIMEOUT_MS) {
                        c->handed_over_ms = 0;
                        c->task_write = 0;
                        changed = 1;
                }
        retry_task_configs(h);
        if (changed) {
                char **names = NULL;
                size_t cnt = 0;
                for (rdc_conn_t *c = h->conns; c; c = c->next)
                        cnt++;
                names = calloc(cnt ? cnt : 1, sizeof(*names));
                cnt = 0;
                for (rdc_conn_t *c = h->conns; names && c; c = c->next)
                        if ((names[cnt] = strdup(c->name)))
                                cnt++;
                for (size_t i = 0; i < cnt; i++) {
                        rdc_herder_progress(h, names[i]);
                        free(names[i]);
                }
                free(names);
        }
        /* Cut off, and its tasks stopped: a commit they could not write
         * must not land after the next owner's (it would move the
         * position back). Nothing claimed before is taken as written. */
        if (cl->abandon && !cl->in_group && released_all(h)) {
                cl->abandon = 0;
                rdc_offset_store_abandon(cl->offsets);
                free(cl->claim_written);
                cl->claim_written = NULL;
        }
        /* The claim says which revocations this worker carried out. */
        if (cl->in_group) {
                if (released_all(h))
                        cl->applied = cl->assignment.version;
                write_claim(h, &st, cl->applied, 0);
        }
        free(st.parts);
        int64_t look = rdc_clock_now_ms() + RDC_CLUSTER_TICK_MS;
        return again && again < look ? again : look;
}

/* -------------------------------------------------------- requests */

static const char *member_url(const rdc_cluster_state_t *cl, const char *id) {
        int i = id ? rdc_members_find(&cl->view, id) : -1;
        return i >= 0 ? cl->view.urls[i] : "";
}

const char *rdc_cluster_leader_url(rdc_herder_t *h) {
        rdc_cluster_state_t *cl = h->cluster;
        if (!cl || is_leader(h))
                return NULL;
        return member_url(cl, rdc_members_leader(&cl->view));
}

const char *rdc_cluster_forward_url(rdc_herder_t *h, const rdc_request_t *req) {
        rdc_cluster_state_t *cl = h->cluster;
        if (!cl)
                return NULL;
        switch (req->type) {
        case RDC_REQ_GET_OFFSETS:
                return NULL; /* the offsets topic is read here too */
        case RDC_REQ_RESTART:
                /* A plan is the leader's: it writes a restart request
                 * every worker carries out (as Kafka). */
                if (req->include_tasks || req->only_failed)
                        break;
                /* FALLTHRU */
        case RDC_REQ_RESTART_TASK: {
                /* Done by the worker that runs it (as Kafka). */
                int32_t task = req->type == RDC_REQ_RESTART ? -1 : req->task;
                long k = rdc_assignment_find(&cl->assignment, req->connector,
                                             task);
                if (k < 0)
                        break; /* unknown: the leader answers 404 */
                const char *owner = cl->assignment.owner[k];
                if (owner && !strcmp(owner, self_id(h)) && cl->in_group)
                        return NULL;
                return member_url(cl, owner);
        }
        default:
                break;
        }
        if (is_leader(h))
                return NULL;
        return member_url(cl, rdc_members_leader(&cl->view));
}

/* ------------------------------------------------------------ stop */

void rdc_cluster_stop(rdc_herder_t *h) {
        rdc_cluster_state_t *cl = h->cluster;
        if (!cl)
                return;
        rdc_member_state_t st;
        rdc_member_state(cl->member, &st);
        char errstr[512];
        if (st.in_group) {
                /* Everything stopped: the leader may move it all now. */
                free(cl->claim_written);
                cl->claim_written = NULL;
                write_claim(h, &st, cl->applied, 1);
                if (rdc_offset_store_flush(cl->offsets, errstr, sizeof(errstr)))
                        rdc_log(RDC_LOG_WARN, "cluster", NULL,
                                "Cannot say that this worker leaves: %s "
                                "(its work moves once the group notices)",
                                errstr);
        }
        free(st.parts);
        rdc_offset_store_set_listener(cl->offsets, NULL, NULL);
        rdc_member_stop(cl->member);
        rdc_members_clear(&cl->view);
        rdc_assignment_clear(&cl->assignment);
        for (size_t g = 0; g < cl->gone_cnt; g++)
                free(cl->gone[g]);
        free(cl->gone);
        free(cl->gone_since);
        free(cl->claim_written);
        free(cl);
        h->cluster = NULL;
}
