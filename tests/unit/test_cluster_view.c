/*
 * Unit tests of runtime/cluster/view.c, the pure functions of distributed
 * mode (docs/DESIGN.md, "Distributed mode"): claims and their records,
 * the member set the claims of one generation prove, the assignment
 * record, and the leader's next assignment with its two-step moves,
 * simulated over rounds of joins, deaths, leaves and config changes.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/view.h"
#include "storage/offsets.h"

/* ============================================================ claims */

static void test_claim_round_trip(void **state) {
        int32_t parts[] = {3, 0, 24};
        rdc_claim_t claim = {.worker = "10.0.0.1:8083",
                             .url = "http://10.0.0.1:8083/",
                             .generation = 7,
                             .left = 1,
                             .applied = (uint64_t)1 << 40,
                             .parts = parts,
                             .part_cnt = 3};
        rdc_claim_t out;
        (void)state;
        char *partition = rdc_claim_partition(claim.worker);
        char *value = rdc_claim_encode(&claim);
        assert_non_null(partition);
        assert_non_null(value);
        assert_int_equal(rdc_claim_decode(partition, value, &out), 0);
        assert_string_equal(out.worker, "10.0.0.1:8083");
        assert_string_equal(out.url, "http://10.0.0.1:8083/");
        assert_int_equal(out.generation, 7);
        assert_int_equal(out.left, 1);
        assert_true(out.applied == (uint64_t)1 << 40);
        assert_int_equal(out.part_cnt, 3);
        assert_int_equal(out.parts[0], 3);
        assert_int_equal(out.parts[1], 0);
        assert_int_equal(out.parts[2], 24);
        rdc_claim_clear(&out);
        assert_null(out.worker);
        assert_null(out.parts);
        free(value);

        /* No partitions, not left, applied 0. */
        rdc_claim_t empty = {.worker = "w1", .url = "u", .generation = 1};
        value = rdc_claim_encode(&empty);
        free(partition);
        partition = rdc_claim_partition("w1");
        assert_int_equal(rdc_claim_decode(partition, value, &out), 0);
        assert_string_equal(out.worker, "w1");
        assert_string_equal(out.url, "u");
        assert_int_equal(out.generation, 1);
        assert_int_equal(out.left, 0);
        assert_true(out.applied == 0);
        assert_int_equal(out.part_cnt, 0);
        rdc_claim_clear(&out);
        free(value);
        free(partition);
}

/* Decoding refuses texts that are no claim, and leaves out cleared. */
static void assert_not_claim(const char *partition, const char *value) {
        rdc_claim_t out;
        memset(&out, 0x5a, sizeof(out));
        if (rdc_claim_decode(partition, value, &out) != -1)
                fail_msg("accepted as a claim: %s -> %s", partition,
                         value ? value : "(null)");
        assert_null(out.worker);
        assert_null(out.url);
        assert_null(out.parts);
        assert_int_equal(out.part_cnt, 0);
}

static void test_claim_decode_refuses_non_claims(void **state) {
        const char *good_p = "{\"rdconnect\":\"member\",\"worker\":\"w1\"}";
        const char *good_v = "{\"applied\":0,\"generation\":3,\"left\":false,"
                             "\"partitions\":[0,1],\"url\":\"u\"}";
        rdc_claim_t out;
        (void)state;
        /* The control: both texts as they are make a claim. */
        assert_int_equal(rdc_claim_decode(good_p, good_v, &out), 0);
        rdc_claim_clear(&out);

        /* Wrong or missing "rdconnect" value. */
        assert_not_claim("{\"rdconnect\":\"assignment\",\"worker\":\"w1\"}",
                         good_v);
        assert_not_claim(RDC_CLUSTER_ASSIGNMENT_PARTITION, good_v);
        assert_not_claim("{\"rdconnect\":\"Member\",\"worker\":\"w1\"}",
                         good_v);
        assert_not_claim("{\"rdconnect\":1,\"worker\":\"w1\"}", good_v);
        assert_not_claim("{\"worker\":\"w1\"}", good_v);
        /* No worker, or not a string. */
        assert_not_claim("{\"rdconnect\":\"member\"}", good_v);
        assert_not_claim("{\"rdconnect\":\"member\",\"worker\":5}", good_v);
        /* An ordinary connector's source partition. */
        assert_not_claim("{\"filename\":\"/tmp/in.txt\"}", good_v);
        /* Missing generation, missing or mistyped partitions. */
        assert_not_claim(good_p, "{\"applied\":0,\"left\":false,"
                                 "\"partitions\":[0],\"url\":\"u\"}");
        assert_not_claim(good_p, "{\"generation\":3,\"url\":\"u\"}");
        assert_not_claim(good_p, "{\"generation\":3,\"partitions\":0}");
        /* A tombstone, an array, not JSON. */
        assert_not_claim(good_p, NULL);
        assert_not_claim(good_p, "[3,[0,1]]");
        assert_not_claim(good_p, "{\"generation\":3,\"partitions\":[0,1]");
        assert_not_claim(good_p, "not json");
        assert_not_claim(good_p, "");
        assert_not_claim("not json", good_v);
        assert_not_claim("{\"rdconnect\":\"member\",\"worker\":", good_v);
        assert_not_claim("", good_v);
}

/* Mistyped fields are no claim (json-c's getters would read them as 0:
 * {"generation":null} a claim of generation 0, "partitions":["x"] one of
 * partition 0). */
static void test_claim_decode_refuses_mistyped_fields(void **state) {
        const char *p = "{\"rdconnect\":\"member\",\"worker\":\"w1\"}";
        (void)state;
        assert_not_claim(p, "{\"generation\":null,\"partitions\":[0]}");
        assert_not_claim(p, "{\"generation\":\"x\",\"partitions\":[0]}");
        assert_not_claim(p, "{\"generation\":1,\"partitions\":[\"x\"]}");
        assert_not_claim(p, "{\"generation\":1,\"partitions\":[null]}");
}

static void test_claim_partition_is_canonical(void **state) {
        const char *ids[] = {"10.0.0.1:8083", "[::1]:8083", "w\"q\\",
                             "h\xc3\xa9te:1", ""};
        (void)state;
        char *text = rdc_claim_partition("10.0.0.1:8083");
        assert_string_equal(text,
                            "{\"rdconnect\":\"member\",\"worker\":\"10.0.0.1:"
                            "8083\"}");
        free(text);
        /* The offset store keeps partitions in its canonical form; the
         * claim's own text is that form already, for any id. */
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
                text = rdc_claim_partition(ids[i]);
                char *canonical = rdc_json_canonical(text);
                assert_non_null(canonical);
                if (strcmp(text, canonical))
                        fail_msg("id '%s': %s is not canonical (%s)", ids[i],
                                 text, canonical);
                rdc_claim_t out;
                assert_int_equal(
                        rdc_claim_decode(text,
                                         "{\"generation\":1,\"partitions\":[]}",
                                         &out),
                        0);
                assert_string_equal(out.worker, ids[i]);
                rdc_claim_clear(&out);
                free(canonical);
                free(text);
        }
        /* The herder compares the store's partition text with this
         * constant, so it has to be canonical too. */
        char *canonical = rdc_json_canonical(RDC_CLUSTER_ASSIGNMENT_PARTITION);
        assert_string_equal(canonical, RDC_CLUSTER_ASSIGNMENT_PARTITION);
        free(canonical);
}

/* json-c escapes '/' as "\/" unless told not to; the offset store's
 * canonical form (rdc_json_canonical) does not, and the claim's partition
 * text must be that form for any worker id. */
static void test_claim_partition_canonical_with_slash(void **state) {
        (void)state;
        char *text = rdc_claim_partition("a/b:80");
        char *canonical = rdc_json_canonical(text);
        assert_string_equal(text, canonical);
        assert_string_equal(text,
                            "{\"rdconnect\":\"member\",\"worker\":\"a/b:80\"}");
        free(canonical);
        free(text);
}

/* =========================================================== members */

#define CLAIM(w, g, lft, ...)                                                  \
        ((rdc_claim_t){.worker = (w),                                          \
                       .url = "http://" w "/",                                 \
                       .generation = (g),                                      \
                       .left = (lft),                                          \
                       .applied = 10 * (uint64_t)(g),                          \
                       .parts = (int32_t[]){__VA_ARGS__},                      \
                       .part_cnt = sizeof((int32_t[]){__VA_ARGS__}) /          \
                                   sizeof(int32_t)})

static void assert_members(const rdc_claim_t *claims, size_t cnt,
                           int32_t partition_cnt, int32_t generation,
                           const char *const *ids, size_t id_cnt) {
        rdc_members_t m;
        assert_int_equal(rdc_members_compute(claims, cnt, partition_cnt,
                                             generation, 0, &m),
                         1);
        assert_int_equal(m.generation, generation);
        assert_int_equal(m.cnt, id_cnt);
        for (size_t i = 0; i < id_cnt; i++) {
                assert_string_equal(m.ids[i], ids[i]);
                assert_int_equal(rdc_members_find(&m, ids[i]), (int)i);
        }
        if (id_cnt)
                assert_string_equal(rdc_members_leader(&m), ids[0]);
        else
                assert_null(rdc_members_leader(&m));
        rdc_members_clear(&m);
        assert_int_equal(m.cnt, 0);
        assert_null(m.ids);
}

/* The newest generation of the claims (the callers' own, in these
 * tests). */
static int32_t newest(const rdc_claim_t *claims, size_t cnt) {
        int32_t gen = 0;
        for (size_t i = 0; i < cnt; i++)
                if (claims[i].generation > gen)
                        gen = claims[i].generation;
        return gen;
}

static void assert_incomplete(const rdc_claim_t *claims, size_t cnt,
                              int32_t partition_cnt) {
        rdc_members_t m;
        assert_int_equal(rdc_members_compute(claims, cnt, partition_cnt,
                                             newest(claims, cnt), 0, &m),
                         0);
        assert_int_equal(m.cnt, 0);
        assert_null(m.ids);
        rdc_members_clear(&m);
}

static void test_members_complete_sorted_leader(void **state) {
        /* Given in no order; ids compare as bytes ("w10" < "w2"). */
        rdc_claim_t claims[] = {CLAIM("w2", 4, 0, 1, 4), CLAIM("w3", 4, 0, 2),
                                CLAIM("w10", 4, 0, 0, 3, 5)};
        const char *ids[] = {"w10", "w2", "w3"};
        rdc_members_t m;
        (void)state;
        assert_members(claims, 3, 6, 4, ids, 3);
        assert_int_equal(rdc_members_compute(claims, 3, 6, 4, 0, &m), 1);
        /* urls and applied follow their ids. */
        assert_string_equal(m.urls[0], "http://w10/");
        assert_string_equal(m.urls[1], "http://w2/");
        assert_string_equal(m.urls[2], "http://w3/");
        assert_true(m.applied[0] == 40 && m.applied[2] == 40);
        assert_int_equal(rdc_members_find(&m, "w1"), -1);
        assert_int_equal(rdc_members_find(&m, "w"), -1);
        assert_int_equal(rdc_members_find(&m, NULL), -1);
        rdc_members_clear(&m);
        /* The claims are not changed (the caller's array stays as it is). */
        assert_string_equal(claims[0].worker, "w2");
        assert_string_equal(claims[2].worker, "w10");
}

static void test_members_incomplete(void **state) {
        rdc_claim_t claims[] = {CLAIM("w1", 4, 0, 0, 1), CLAIM("w2", 4, 0, 2),
                                CLAIM("w3", 4, 0, 3)};
        const char *ids[] = {"w1", "w2", "w3"};
        (void)state;
        assert_members(claims, 3, 4, 4, ids, 3);
        /* One member has not claimed yet: partition 3 is not covered. */
        assert_incomplete(claims, 2, 4);
        /* More partitions than the claims cover. */
        assert_incomplete(claims, 3, 5);
        /* A partition the topic does not have. */
        rdc_claim_t beyond[] = {CLAIM("w1", 4, 0, 0, 1), CLAIM("w2", 4, 0, 2),
                                CLAIM("w3", 4, 0, 3, 4)};
        assert_incomplete(beyond, 3, 4);
        rdc_claim_t negative[] = {CLAIM("w1", 4, 0, 0, 1, -1)};
        assert_incomplete(negative, 1, 2);
        /* Nothing to go by. */
        assert_incomplete(NULL, 0, 4);
        assert_incomplete(claims, 3, 0);
}

static void test_members_overlap_is_incomplete(void **state) {
        rdc_claim_t claims[] = {CLAIM("w1", 5, 0, 0, 1, 2, 3),
                                CLAIM("w2", 5, 0, 3, 4, 5)};
        rdc_claim_t twice[] = {CLAIM("w1", 5, 0, 0, 1, 1),
                               CLAIM("w2", 5, 0, 2)};
        (void)state;
        assert_incomplete(claims, 2, 6);
        /* A left claim overlapping a member's is an overlap as well. */
        rdc_claim_t left[] = {CLAIM("w1", 5, 0, 0, 1, 2),
                              CLAIM("w2", 5, 1, 2, 3)};
        assert_incomplete(left, 2, 4);
        assert_incomplete(twice, 2, 3);
}

static void test_members_older_generation_ignored(void **state) {
        /* w3's claim is of generation 4: it overlaps and would cover,
         * but only generation 5 counts. */
        rdc_claim_t claims[] = {CLAIM("w3", 4, 0, 3, 4, 5),
                                CLAIM("w1", 5, 0, 0, 1, 2),
                                CLAIM("w2", 5, 0, 3, 4, 5)};
        const char *ids[] = {"w1", "w2"};
        (void)state;
        assert_members(claims, 3, 6, 5, ids, 2);
        /* Coverage comes from the newest generation alone. */
        rdc_claim_t partial[] = {CLAIM("w1", 5, 0, 0, 1, 2),
                                 CLAIM("w2", 4, 0, 3, 4, 5)};
        assert_incomplete(partial, 2, 6);
}

static void test_members_left_claim_covers_but_is_no_member(void **state) {
        rdc_claim_t claims[] = {CLAIM("w1", 5, 1, 0, 1, 2),
                                CLAIM("w2", 5, 0, 3, 4), CLAIM("w3", 5, 0, 5)};
        const char *ids[] = {"w2", "w3"};
        (void)state;
        /* w1 (the smallest id) left: w2 leads. */
        assert_members(claims, 3, 6, 5, ids, 2);
        /* Without w1's left claim, 0-2 are not covered. */
        assert_incomplete(claims + 1, 2, 6);
        /* Everyone left: complete, and no member, no leader. */
        rdc_claim_t all_left[] = {CLAIM("w1", 5, 1, 0), CLAIM("w2", 5, 1, 1)};
        assert_members(all_left, 2, 2, 5, NULL, 0);
}

/* A member of the generation that owns no partition (more workers than
 * the offsets topic has partitions) is no member (DESIGN.md). */
static void test_members_without_partitions(void **state) {
        rdc_claim_t claims[] = {CLAIM("w1", 5, 0, 0, 1),
                                {.worker = "w0", .url = "u", .generation = 5}};
        const char *ids[] = {"w1"};
        (void)state;
        assert_members(claims, 2, 2, 5, ids, 1);
}

static void test_members_dead_worker(void **state) {
        /* Generation 5: w1 and w2. */
        rdc_claim_t claims[] = {CLAIM("w1", 5, 0, 0, 1, 2),
                                CLAIM("w2", 5, 0, 3, 4, 5)};
        const char *both[] = {"w1", "w2"}, *w1[] = {"w1"};
        (void)state;
        assert_members(claims, 2, 6, 5, both, 2);
        /* w2 is killed: Kafka gives its partitions to w1 in generation 6;
         * w2's last claim stays in the topic and no longer counts. */
        claims[0] = CLAIM("w1", 6, 0, 0, 1, 2, 3, 4, 5);
        assert_members(claims, 2, 6, 6, w1, 1);
        /* Generation 6 with a new worker w0 that has claimed, w1 not yet:
         * incomplete (w2's stale claim of generation 5 does not help). */
        rdc_claim_t three[] = {CLAIM("w1", 5, 0, 0, 1, 2),
                               CLAIM("w2", 5, 0, 3, 4, 5),
                               CLAIM("w0", 6, 0, 3, 4, 5)};
        assert_incomplete(three, 3, 6);
        /* w1 claims generation 6 too: w0 and w1, and w0 leads. */
        three[0] = CLAIM("w1", 6, 0, 0, 1, 2);
        const char *w0w1[] = {"w0", "w1"};
        assert_members(three, 3, 6, 6, w0w1, 2);
}

/*
 * The claims are kept in a compacted topic, but group generations are not
 * monotonic over the group's life: the member group commits no offsets,
 * so once every worker has stopped the coordinator deletes the empty
 * group (GroupMetadataManager.cleanupGroupMetadata: Empty and no offsets
 * -> Dead) and the next start counts from generation 1 again. The
 * caller's own generation decides; an old group's claims of the same
 * number are told apart by their time, when they overlap.
 */
static void test_members_group_recreated(void **state) {
        const char *fresh[] = {"w1", "w2"};
        (void)state;
        /* The whole cluster stopped gracefully in generation 12. */
        rdc_claim_t left[] = {CLAIM("w2", 12, 1, 0, 1, 2, 3, 4, 5),
                              CLAIM("w1", 1, 0, 0, 1, 2),
                              CLAIM("w3", 1, 0, 3, 4, 5)};
        const char *w1w3[] = {"w1", "w3"};
        assert_members(left, 3, 6, 1, w1w3, 2);
        /* w8 and w9, the whole cluster, were killed in generation 12;
         * w1 and w2 start the group again. */
        rdc_claim_t killed[] = {
                CLAIM("w8", 12, 0, 0, 1, 2), CLAIM("w9", 12, 0, 3, 4, 5),
                CLAIM("w1", 1, 0, 0, 1, 2), CLAIM("w2", 1, 0, 3, 4, 5)};
        assert_members(killed, 4, 6, 1, fresh, 2);
        /* The old group had reached generation 1 as well, long ago: its
         * claims overlap the new ones and are older than the join. */
        rdc_claim_t same[] = {
                CLAIM("w8", 1, 0, 0, 1, 2), CLAIM("w9", 1, 0, 3, 4, 5),
                CLAIM("w1", 1, 0, 0, 1, 2, 3), CLAIM("w2", 1, 0, 4, 5)};
        same[0].time_ms = same[1].time_ms = 1000;
        same[2].time_ms = same[3].time_ms = 900000;
        rdc_members_t m;
        assert_int_equal(rdc_members_compute(same, 4, 6, 1, 0, &m), 0);
        assert_int_equal(rdc_members_compute(same, 4, 6, 1, 870000, &m), 1);
        assert_int_equal(m.cnt, 2);
        assert_string_equal(m.ids[0], "w1");
        assert_string_equal(m.ids[1], "w2");
        rdc_members_clear(&m);
}

/* ======================================================= assignments */

/* An assignment built by hand, with malloc'd fields as decode makes. */
typedef struct item {
        const char *connector;
        int32_t task;
        const char *owner, *pending;
} item_t;

static void make_assignment(rdc_assignment_t *a, uint64_t version,
                            const char *leader, const item_t *items,
                            size_t cnt) {
        memset(a, 0, sizeof(*a));
        a->version = version;
        a->leader = leader ? strdup(leader) : NULL;
        a->cnt = cnt;
        a->work = calloc(cnt + 1, sizeof(*a->work));
        a->owner = calloc(cnt + 1, sizeof(*a->owner));
        a->pending = calloc(cnt + 1, sizeof(*a->pending));
        assert_non_null(a->work);
        for (size_t i = 0; i < cnt; i++) {
                a->work[i].connector = strdup(items[i].connector);
                a->work[i].task = items[i].task;
                a->owner[i] = items[i].owner ? strdup(items[i].owner) : NULL;
                a->pending[i] =
                        items[i].pending ? strdup(items[i].pending) : NULL;
        }
}

static void assert_text_or_null(const char *got, const char *want) {
        if (want)
                assert_string_equal(got, want);
        else
                assert_null(got);
}

/* A worker keeps an assignment of its own generation against a late
 * write of a deposed leader (another generation), and takes anything
 * while it holds none of its own (a group recreated counts from 1). */
static void test_assignment_accept_fences_a_deposed_leader(void **state) {
        rdc_assignment_t cur = {.version = 7, .generation = 5};
        rdc_assignment_t old = {.version = 8, .generation = 4};
        rdc_assignment_t now = {.version = 9, .generation = 5};
        rdc_assignment_t none = {0};
        (void)state;
        assert_false(rdc_assignment_accept(&cur, &old, 5));
        assert_true(rdc_assignment_accept(&cur, &now, 5));
        assert_true(rdc_assignment_accept(&none, &old, 5));
        /* The worker moved on to generation 1 (a new group): cur is of no
         * generation of its own, so it takes the new leader's. */
        rdc_assignment_t fresh = {.version = 10, .generation = 1};
        assert_true(rdc_assignment_accept(&cur, &fresh, 1));
}

static void test_assignment_round_trip(void **state) {
        const item_t items[] = {{"a", -1, "w1", NULL},
                                {"a", 0, NULL, "w2"},
                                {"a", 1, NULL, NULL},
                                {"b \"x\"", -1, "w2", NULL},
                                {"b \"x\"", 0, "w1", "w2"}};
        rdc_assignment_t a, out;
        (void)state;
        make_assignment(&a, 9, "w1", items, 5);
        a.generation = 4;
        char *text = rdc_assignment_encode(&a);
        assert_string_equal(text, "{\"generation\":4,\"leader\":\"w1\","
                                  "\"version\":9,\"work\":["
                                  "[\"a\",-1,\"w1\",null],"
                                  "[\"a\",0,null,\"w2\"],"
                                  "[\"a\",1,null,null],"
                                  "[\"b \\\"x\\\"\",-1,\"w2\",null],"
                                  "[\"b \\\"x\\\"\",0,\"w1\",\"w2\"]]}");
        assert_int_equal(rdc_assignment_decode(text, &out), 0);
        assert_true(out.version == 9);
        assert_int_equal(out.generation, 4);
        assert_string_equal(out.leader, "w1");
        assert_int_equal(out.cnt, 5);
        for (size_t i = 0; i < 5; i++) {
                assert_string_equal(out.work[i].connector, items[i].connector);
                assert_int_equal(out.work[i].task, items[i].task);
                assert_text_or_null(out.owner[i], items[i].owner);
                assert_text_or_null(out.pending[i], items[i].pending);
        }
        assert_true(rdc_assignment_same(&a, &out));
        assert_int_equal(rdc_assignment_find(&out, "a", 1), 2);
        assert_int_equal(rdc_assignment_find(&out, "b \"x\"", 0), 4);
        assert_int_equal(rdc_assignment_find(&out, "a", 2), -1);
        assert_int_equal(rdc_assignment_find(&out, "b", -1), -1);
        rdc_assignment_clear(&out);
        assert_int_equal(out.cnt, 0);
        assert_null(out.leader);
        free(text);
        rdc_assignment_clear(&a);

        /* Empty, no leader: the state before the first assignment. */
        make_assignment(&a, 0, NULL, NULL, 0);
        text = rdc_assignment_encode(&a);
        assert_string_equal(text,
                            "{\"generation\":0,\"leader\":null,\"version\":0,"
                            "\"work\":[]}");
        assert_int_equal(rdc_assignment_decode(text, &out), 0);
        assert_true(out.version == 0);
        assert_null(out.leader);
        assert_int_equal(out.cnt, 0);
        assert_true(rdc_assignment_same(&a, &out));
        rdc_assignment_clear(&out);
        rdc_assignment_clear(&a);
        free(text);
}

static void test_assignment_decode_refuses(void **state) {
        const char *bad[] = {
                NULL,
                "",
                "not json",
                "[]",
                "{\"version\":1}",
                "{\"work\":[]}",
                "{\"version\":1,\"work\":{}}",
                "{\"version\":1,\"work\":[\"a\"]}",
                "{\"version\":1,\"work\":[[1,-1,null,null]]}",
                "{\"version\":1,\"work\":[[\"a\",-1,null,null],[]]}",
                "{\"version\":1,\"work\":[[\"a\",-1,null,null]",
        };
        (void)state;
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                rdc_assignment_t out;
                memset(&out, 0x5a, sizeof(out));
                if (rdc_assignment_decode(bad[i], &out) != -1)
                        fail_msg("accepted: %s", bad[i] ? bad[i] : "(null)");
                assert_int_equal(out.cnt, 0);
                assert_null(out.work);
                assert_null(out.leader);
        }
}

static void test_assignment_same(void **state) {
        const item_t base[] = {{"a", -1, "w1", NULL},
                               {"a", 0, NULL, "w2"},
                               {"b", -1, "w2", NULL}};
        /* The same items in another order, another version and leader. */
        const item_t reordered[] = {{"b", -1, "w2", NULL},
                                    {"a", 0, NULL, "w2"},
                                    {"a", -1, "w1", NULL}};
        const item_t other_owner[] = {{"a", -1, "w2", NULL},
                                      {"a", 0, NULL, "w2"},
                                      {"b", -1, "w2", NULL}};
        const item_t placed[] = {{"a", -1, "w1", NULL},
                                 {"a", 0, "w2", NULL},
                                 {"b", -1, "w2", NULL}};
        const item_t other_pending[] = {{"a", -1, "w1", NULL},
                                        {"a", 0, NULL, "w3"},
                                        {"b", -1, "w2", NULL}};
        const item_t other_task[] = {{"a", -1, "w1", NULL},
                                     {"a", 1, NULL, "w2"},
                                     {"b", -1, "w2", NULL}};
        rdc_assignment_t a, b;
        (void)state;
        make_assignment(&a, 3, "w1", base, 3);
        assert_true(rdc_assignment_same(&a, &a));

        make_assignment(&b, 8, "w2", reordered, 3);
        assert_true(rdc_assignment_same(&a, &b));
        assert_true(rdc_assignment_same(&b, &a));
        rdc_assignment_clear(&b);

        const item_t *differ[] = {other_owner, placed, other_pending,
                                  other_task};
        for (size_t i = 0; i < 4; i++) {
                make_assignment(&b, 3, "w1", differ[i], 3);
                if (rdc_assignment_same(&a, &b) || rdc_assignment_same(&b, &a))
                        fail_msg("variant %zu said the same", i);
                rdc_assignment_clear(&b);
        }
        /* One item fewer. */
        make_assignment(&b, 3, "w1", base, 2);
        assert_false(rdc_assignment_same(&a, &b));
        assert_false(rdc_assignment_same(&b, &a));
        rdc_assignment_clear(&b);
        rdc_assignment_clear(&a);
}

/* ==================================================== the simulation */

/*
 * A group as the herder drives it: every worker claims its offsets-topic
 * partitions for the generation; the leader publishes the next
 * assignment when it differs from the one in force (as lead() does);
 * each worker, once it has stopped what it no longer owns, claims the
 * version it applied. Dead and left workers' last claims stay in the
 * topic.
 */
#define PARTS       25
#define MAX_WORKERS PARTS
#define MAX_CONNS   64
#define MAX_WORK    1024

typedef struct sim {
        /* Workers, by index; ids as given. */
        char ids[MAX_WORKERS][16];
        char urls[MAX_WORKERS][32];
        size_t worker_cnt;
        int alive[MAX_WORKERS]; /* in the group */
        int left[MAX_WORKERS];  /* its last claim says left */
        uint64_t applied[MAX_WORKERS];
        int32_t claim_gen[MAX_WORKERS];
        int32_t parts[MAX_WORKERS][PARTS];
        size_t part_cnt[MAX_WORKERS];
        int32_t generation;
        /* The config topic: connectors and their task counts. */
        char conns[MAX_CONNS][16];
        int tasks[MAX_CONNS]; /* -1: deleted */
        size_t conn_cnt;
        rdc_work_t work[MAX_WORK];
        size_t work_cnt;
        /* The assignment in force. */
        rdc_assignment_t cur;
} sim_t;

static void sim_work(sim_t *s) {
        s->work_cnt = 0;
        for (size_t c = 0; c < s->conn_cnt; c++)
                for (int t = -1; s->tasks[c] >= 0 && t < s->tasks[c]; t++)
                        s->work[s->work_cnt++] = (rdc_work_t){
                                .connector = s->conns[c], .task = t};
}

static void sim_connector(sim_t *s, const char *name, int tasks) {
        size_t c = 0;
        while (c < s->conn_cnt && strcmp(s->conns[c], name))
                c++;
        if (c == s->conn_cnt) {
                assert_true(c < MAX_CONNS);
                snprintf(s->conns[c], sizeof(s->conns[c]), "%s", name);
                s->conn_cnt++;
        }
        s->tasks[c] = tasks;
        sim_work(s);
}

/* A rebalance of the group: a new generation; every live worker claims
 * its share of the partitions (the others' claims stay as they were). */
static void sim_regroup(sim_t *s) {
        size_t live[MAX_WORKERS], n = 0;
        s->generation++;
        for (size_t w = 0; w < s->worker_cnt; w++)
                if (s->alive[w])
                        live[n++] = w;
        for (size_t i = 0; i < n; i++) {
                s->part_cnt[live[i]] = 0;
                s->claim_gen[live[i]] = s->generation;
                s->left[live[i]] = 0;
        }
        for (int32_t p = 0; n && p < PARTS; p++) {
                size_t w = live[(size_t)p % n];
                s->parts[w][s->part_cnt[w]++] = p;
        }
}

static size_t sim_add_worker(sim_t *s, const char *id) {
        size_t w = s->worker_cnt++;
        assert_true(w < MAX_WORKERS);
        snprintf(s->ids[w], sizeof(s->ids[w]), "%s", id);
        snprintf(s->urls[w], sizeof(s->urls[w]), "http://%s/", id);
        s->alive[w] = 1;
        s->applied[w] = 0;
        return w;
}

static size_t sim_find_worker(const sim_t *s, const char *id) {
        for (size_t w = 0; w < s->worker_cnt; w++)
                if (!strcmp(s->ids[w], id))
                        return w;
        fail_msg("no worker %s", id);
        return 0;
}

static sim_t *sim_new(size_t workers) {
        sim_t *s = calloc(1, sizeof(*s));
        assert_non_null(s);
        for (size_t i = 0; i < workers; i++) {
                char id[16];
                snprintf(id, sizeof(id), "w%02u", (unsigned)(i + 1) % 100);
                sim_add_worker(s, id);
        }
        sim_regroup(s);
        return s;
}

static void sim_free(sim_t *s) {
        rdc_assignment_clear(&s->cur);
        free(s);
}

/* New workers join (then the group rebalances: sim_regroup). */
static void sim_join(sim_t *s, const char *id) {
        sim_add_worker(s, id);
}

/* kill -9: no last word; Kafka evicts it, the others rebalance. */
static void sim_kill(sim_t *s, const char *id) {
        s->alive[sim_find_worker(s, id)] = 0;
        sim_regroup(s);
}

/* Graceful stop: its claim says left, in the generation it was in; the
 * group's rebalance comes later (sim_regroup). */
static void sim_leave(sim_t *s, const char *id) {
        size_t w = sim_find_worker(s, id);
        s->alive[w] = 0;
        s->left[w] = 1;
}

/* Every worker in the group stopped what the assignment in force took
 * from it, and claims its version. */
static void sim_apply_all(sim_t *s) {
        for (size_t w = 0; w < s->worker_cnt; w++)
                if (s->alive[w])
                        s->applied[w] = s->cur.version;
}

static void sim_apply(sim_t *s, const char *id) {
        s->applied[sim_find_worker(s, id)] = s->cur.version;
}

/* The member set, from the claims in the topic (every worker that ever
 * claimed has its last claim there). */
static void sim_members(const sim_t *s, rdc_members_t *m) {
        rdc_claim_t claims[MAX_WORKERS];
        for (size_t w = 0; w < s->worker_cnt; w++)
                claims[w] = (rdc_claim_t){
                        .worker = (char *)s->ids[w],
                        .url = (char *)s->urls[w],
                        .generation = s->claim_gen[w],
                        .left = s->left[w],
                        .applied = s->applied[w],
                        .parts = (int32_t *)s->parts[w],
                        .part_cnt = s->part_cnt[w],
                };
        assert_int_equal(rdc_members_compute(claims, s->worker_cnt, PARTS,
                                             newest(claims, s->worker_cnt), 0,
                                             m),
                         1);
        size_t live = 0;
        for (size_t w = 0; w < s->worker_cnt; w++)
                live += s->alive[w];
        assert_int_equal(m->cnt, live);
}

static const char *owner_in(const rdc_assignment_t *a, const char *connector,
                            int32_t task, const char **pending) {
        long k = rdc_assignment_find(a, connector, task);
        if (pending)
                *pending = k >= 0 ? a->pending[k] : NULL;
        return k >= 0 ? a->owner[k] : NULL;
}

static int same_text(const char *a, const char *b) {
        return a && b ? !strcmp(a, b) : a == b;
}

/* What every next assignment must hold, whatever the round. */
static void check_next(const sim_t *s, const rdc_members_t *m,
                       const rdc_assignment_t *next) {
        const rdc_assignment_t *cur = &s->cur;
        int settled = 1;
        for (size_t i = 0; i < m->cnt; i++)
                settled &= m->applied[i] >= cur->version;
        assert_true(next->version == cur->version + 1);
        assert_string_equal(next->leader, rdc_members_leader(m));
        /* Exactly the work of the config topic, once each. */
        assert_int_equal(next->cnt, s->work_cnt);
        for (size_t i = 0; i < s->work_cnt; i++) {
                long k = rdc_assignment_find(next, s->work[i].connector,
                                             s->work[i].task);
                assert_true(k >= 0);
                for (size_t j = (size_t)k + 1; j < next->cnt; j++)
                        assert_false(next->work[j].task == s->work[i].task &&
                                     !strcmp(next->work[j].connector,
                                             s->work[i].connector));
        }
        for (size_t k = 0; k < next->cnt; k++) {
                const char *owner = next->owner[k];
                const char *pending = next->pending[k];
                const char *was_pending;
                const char *was = owner_in(cur, next->work[k].connector,
                                           next->work[k].task, &was_pending);
                /* Placed or pending on members only, never both. */
                assert_false(owner && pending);
                if (owner)
                        assert_true(rdc_members_find(m, owner) >= 0);
                if (pending)
                        assert_true(rdc_members_find(m, pending) >= 0);
                /* Never straight from one live member to another. */
                if (was && rdc_members_find(m, was) >= 0 && owner &&
                    strcmp(was, owner))
                        fail_msg("%s/%d moved from %s to %s in one step",
                                 next->work[k].connector, next->work[k].task,
                                 was, owner);
                /* A revoked item is placed only once every member has
                 * applied the revocation. */
                if (!was && was_pending && owner && !settled)
                        fail_msg("%s/%d placed on %s before every member "
                                 "applied version %llu",
                                 next->work[k].connector, next->work[k].task,
                                 owner, (unsigned long long)cur->version);
                /* An item whose owner stays a member and which has no
                 * reason to move keeps it. */
                if (!owner && !pending && m->cnt)
                        fail_msg("%s/%d left unplaced with nowhere to go",
                                 next->work[k].connector, next->work[k].task);
        }
}

/* One leader round: computes next, checks it, publishes it if it differs
 * (or the leader changed). @returns 1 if it published. */
static int sim_round(sim_t *s) {
        rdc_members_t m;
        rdc_assignment_t next;
        sim_members(s, &m);
        const char *leader = rdc_members_leader(&m);
        assert_int_equal(rdc_assignment_next(&s->cur, &m, s->work, s->work_cnt,
                                             leader, &next),
                         0);
        check_next(s, &m, &next);
        int publish = !rdc_assignment_same(&next, &s->cur) ||
                      !same_text(s->cur.leader, leader);
        rdc_members_clear(&m);
        if (publish) {
                rdc_assignment_clear(&s->cur);
                s->cur = next;
        } else {
                rdc_assignment_clear(&next);
        }
        return publish;
}

/* Every worker applies the assignment in force, then rounds (each
 * followed by every worker applying it) until nothing changes.
 * @returns how many assignments were published. */
static int sim_converge(sim_t *s) {
        sim_apply_all(s);
        for (int published = 0; published < 8; published++) {
                if (!sim_round(s))
                        return published;
                sim_apply_all(s);
        }
        fail_msg("no convergence in 8 rounds");
        return -1;
}

/* Everything placed, nothing pending, each live worker with floor or
 * ceil of the connectors and of the tasks. */
static void sim_assert_balanced(const sim_t *s) {
        size_t conns[MAX_WORKERS] = {0}, tasks[MAX_WORKERS] = {0};
        size_t conn_total = 0, task_total = 0, live = 0;
        assert_int_equal(s->cur.cnt, s->work_cnt);
        for (size_t k = 0; k < s->cur.cnt; k++) {
                assert_non_null(s->cur.owner[k]);
                assert_null(s->cur.pending[k]);
                size_t w = sim_find_worker(s, s->cur.owner[k]);
                assert_true(s->alive[w]);
                if (s->cur.work[k].task < 0) {
                        conns[w]++;
                        conn_total++;
                } else {
                        tasks[w]++;
                        task_total++;
                }
        }
        for (size_t w = 0; w < s->worker_cnt; w++)
                live += s->alive[w];
        for (size_t w = 0; w < s->worker_cnt; w++) {
                if (!s->alive[w])
                        continue;
                if (conns[w] < conn_total / live ||
                    conns[w] > (conn_total + live - 1) / live)
                        fail_msg("%s: %zu of %zu connectors over %zu",
                                 s->ids[w], conns[w], conn_total, live);
                if (tasks[w] < task_total / live ||
                    tasks[w] > (task_total + live - 1) / live)
                        fail_msg("%s: %zu of %zu tasks over %zu", s->ids[w],
                                 tasks[w], task_total, live);
        }
}

/* Balanced, and stable: once every worker has applied it, the leader
 * has nothing new to publish. */
static void sim_assert_settled(sim_t *s) {
        sim_assert_balanced(s);
        sim_apply_all(s);
        assert_int_equal(sim_round(s), 0);
}

/* A copy of the owners and pendings of the assignment in force. */
typedef struct snapshot {
        char owner[MAX_WORK][16];
        char pending[MAX_WORK][16];
        rdc_work_t work[MAX_WORK];
        size_t cnt;
} snapshot_t;

static snapshot_t *snap(const sim_t *s) {
        snapshot_t *p = calloc(1, sizeof(*p));
        assert_non_null(p);
        p->cnt = s->cur.cnt;
        for (size_t k = 0; k < s->cur.cnt; k++) {
                p->work[k] = s->cur.work[k]; /* names live in s->conns */
                for (size_t c = 0; c < s->conn_cnt; c++)
                        if (!strcmp(s->conns[c], s->cur.work[k].connector))
                                p->work[k].connector = s->conns[c];
                snprintf(p->owner[k], 16, "%s",
                         s->cur.owner[k] ? s->cur.owner[k] : "");
                snprintf(p->pending[k], 16, "%s",
                         s->cur.pending[k] ? s->cur.pending[k] : "");
        }
        return p;
}

static const char *snap_owner(const snapshot_t *p, const char *connector,
                              int32_t task) {
        for (size_t k = 0; k < p->cnt; k++)
                if (p->work[k].task == task &&
                    !strcmp(p->work[k].connector, connector))
                        return p->owner[k];
        return NULL;
}

/* Adds connectors <prefix>00, <prefix>01, ... with tasks tasks each. */
static void sim_connectors(sim_t *s, const char *prefix, int count, int tasks) {
        for (int i = 0; i < count; i++) {
                char name[16];
                snprintf(name, sizeof(name), "%s%02d", prefix, i % 100);
                sim_connector(s, name, tasks);
        }
}

/* Nothing is pending: every item is placed at once. Those that had an
 * owner other than gone keep it; gone's items and new ones are placed
 * elsewhere. */
static void assert_kept_but(const sim_t *s, const snapshot_t *before,
                            const char *gone) {
        for (size_t k = 0; k < s->cur.cnt; k++) {
                const char *owner = s->cur.owner[k];
                const char *was = snap_owner(before, s->cur.work[k].connector,
                                             s->cur.work[k].task);
                assert_null(s->cur.pending[k]);
                assert_non_null(owner);
                if (was && !same_text(was, gone))
                        assert_string_equal(owner, was);
                else if (gone)
                        assert_string_not_equal(owner, gone);
        }
}

/* ====================================================== next: tests */

static void test_next_first_assignment(void **state) {
        sim_t *s = sim_new(3);
        (void)state;
        sim_connector(s, "a", 4);
        sim_connector(s, "b", 4);
        sim_connector(s, "c", 4);
        /* Version 0, empty: none yet. Everything is placed at once. */
        assert_int_equal(sim_round(s), 1);
        assert_true(s->cur.version == 1);
        assert_string_equal(s->cur.leader, "w01");
        sim_assert_settled(s); /* 1 connector and 4 tasks each */
        /* Nothing changed: the same assignment again. */
        assert_int_equal(sim_round(s), 0);
        sim_apply_all(s);
        assert_int_equal(sim_round(s), 0);
        assert_true(s->cur.version == 1);
        sim_free(s);
}

static void test_next_no_members(void **state) {
        rdc_assignment_t cur = {0}, next;
        rdc_members_t m = {0};
        rdc_work_t work[] = {{"a", -1}, {"a", 0}};
        (void)state;
        assert_int_equal(rdc_assignment_next(&cur, &m, work, 2, NULL, &next),
                         0);
        assert_true(next.version == 1);
        assert_null(next.leader);
        assert_int_equal(next.cnt, 2);
        assert_null(next.owner[0]);
        assert_null(next.owner[1]);
        assert_null(next.pending[0]);
        assert_null(next.pending[1]);
        rdc_assignment_clear(&next);
        /* No work. */
        assert_int_equal(rdc_assignment_next(&cur, &m, NULL, 0, "w1", &next),
                         0);
        assert_int_equal(next.cnt, 0);
        assert_string_equal(next.leader, "w1");
        rdc_assignment_clear(&next);
}

/* next() always bumps the version and names the given leader, changed
 * or not. */
static void test_next_version_and_leader(void **state) {
        sim_t *s = sim_new(2);
        rdc_members_t m;
        rdc_assignment_t next;
        (void)state;
        sim_connector(s, "a", 2);
        sim_converge(s);
        s->cur.version = 41;
        sim_apply_all(s);
        sim_members(s, &m);
        assert_int_equal(rdc_assignment_next(&s->cur, &m, s->work, s->work_cnt,
                                             "someone", &next),
                         0);
        assert_true(next.version == 42);
        assert_string_equal(next.leader, "someone");
        assert_true(rdc_assignment_same(&next, &s->cur));
        rdc_assignment_clear(&next);
        assert_int_equal(rdc_assignment_next(&s->cur, &m, s->work, s->work_cnt,
                                             NULL, &next),
                         0);
        assert_true(next.version == 42);
        assert_null(next.leader);
        rdc_assignment_clear(&next);
        rdc_members_clear(&m);
        sim_free(s);
}

static void test_next_join_moves_in_two_steps(void **state) {
        sim_t *s = sim_new(2);
        (void)state;
        sim_connector(s, "a", 2);
        sim_connector(s, "b", 2);
        sim_connector(s, "c", 2);
        sim_connector(s, "d", 2);
        assert_int_equal(sim_converge(s), 1);
        sim_assert_settled(s); /* 2 connectors, 4 tasks each */
        snapshot_t *before = snap(s);
        uint64_t v = s->cur.version;

        /* w03 joins (it has applied nothing). */
        sim_join(s, "w03");
        sim_regroup(s);
        assert_int_equal(sim_round(s), 1);
        assert_true(s->cur.version == v + 1);
        /* 4 connectors over 3: 2,1,1; 8 tasks: 3,3,2. w03's share leaves
         * w01 and w02 first: unplaced, pending w03. The rest stays. */
        size_t pending_conns = 0, pending_tasks = 0;
        for (size_t k = 0; k < s->cur.cnt; k++) {
                const char *was = snap_owner(before, s->cur.work[k].connector,
                                             s->cur.work[k].task);
                assert_non_null(was);
                if (s->cur.pending[k]) {
                        assert_null(s->cur.owner[k]);
                        assert_string_equal(s->cur.pending[k], "w03");
                        assert_true(!strcmp(was, "w01") || !strcmp(was, "w02"));
                        if (s->cur.work[k].task < 0)
                                pending_conns++;
                        else
                                pending_tasks++;
                } else {
                        assert_non_null(s->cur.owner[k]);
                        assert_string_equal(s->cur.owner[k], was);
                }
        }
        assert_int_equal(pending_conns, 1);
        assert_int_equal(pending_tasks, 2);
        snapshot_t *step1 = snap(s);

        /* Not every member applied v+1: it stays as it is. */
        assert_int_equal(sim_round(s), 0); /* nobody applied */
        sim_apply(s, "w01");
        sim_apply(s, "w03");
        assert_int_equal(sim_round(s), 0); /* w02 has not */
        sim_apply(s, "w02");
        s->applied[sim_find_worker(s, "w03")] = 0;
        assert_int_equal(sim_round(s), 0); /* the new worker has not */
        assert_true(s->cur.version == v + 1);
        for (size_t k = 0; k < s->cur.cnt; k++)
                assert_string_equal(s->cur.pending[k] ? s->cur.pending[k] : "",
                                    step1->pending[k]);

        /* All applied: the pending items are placed on w03. */
        sim_apply(s, "w03");
        assert_int_equal(sim_round(s), 1);
        assert_true(s->cur.version == v + 2);
        for (size_t k = 0; k < s->cur.cnt; k++)
                if (step1->pending[k][0])
                        assert_string_equal(s->cur.owner[k], "w03");
                else
                        assert_string_equal(s->cur.owner[k], step1->owner[k]);
        sim_assert_settled(s); /* no oscillation */
        assert_int_equal(sim_round(s), 0);
        assert_int_equal(sim_round(s), 0);
        free(before);
        free(step1);
        sim_free(s);
}

static void test_next_dead_worker_work_placed_at_once(void **state) {
        sim_t *s = sim_new(3);
        (void)state;
        sim_connectors(s, "c", 6, 3);
        assert_int_equal(sim_converge(s), 1);
        snapshot_t *before = snap(s);
        /* w02 is killed; w01 lags behind (it has not applied the version
         * in force): w02's work does not wait for anyone. */
        s->applied[0] = 0;
        sim_kill(s, "w02");
        assert_int_equal(sim_round(s), 1);
        assert_kept_but(s, before, "w02");
        sim_assert_settled(s);
        free(before);
        sim_free(s);
}

/* The worker that was giving items away dies before it applied the
 * revocation: its items, and those it was giving away, go at once. */
static void test_next_revoking_worker_dies(void **state) {
        sim_t *s = sim_new(1);
        (void)state;
        sim_connectors(s, "c", 4, 2);
        assert_int_equal(sim_converge(s), 1);
        sim_join(s, "w02");
        sim_regroup(s);
        assert_int_equal(sim_round(s), 1);
        size_t pending = 0;
        for (size_t k = 0; k < s->cur.cnt; k++)
                pending += s->cur.pending[k] != NULL;
        assert_int_equal(pending, 2 + 4);
        /* w02 applied, w01 dies without having applied. */
        sim_apply(s, "w02");
        sim_kill(s, "w01");
        assert_int_equal(sim_round(s), 1);
        for (size_t k = 0; k < s->cur.cnt; k++) {
                assert_null(s->cur.pending[k]);
                assert_string_equal(s->cur.owner[k], "w02");
        }
        sim_free(s);
}

static void test_next_left_worker_work_placed_at_once(void **state) {
        sim_t *s = sim_new(3);
        (void)state;
        sim_connectors(s, "c", 6, 2);
        assert_int_equal(sim_converge(s), 1);
        snapshot_t *before = snap(s);
        /* w01, the leader, stops gracefully: its claim says left before
         * the group rebalances; w02 leads and moves w01's work at once. */
        sim_leave(s, "w01");
        assert_int_equal(sim_round(s), 1);
        assert_string_equal(s->cur.leader, "w02");
        assert_kept_but(s, before, "w01");
        sim_assert_settled(s);
        /* The group's rebalance that follows changes nothing. */
        sim_apply_all(s);
        sim_regroup(s);
        assert_int_equal(sim_round(s), 0);
        free(before);
        sim_free(s);
}

static void test_next_new_connector_placed_at_once(void **state) {
        sim_t *s = sim_new(2);
        (void)state;
        sim_connector(s, "a", 2);
        sim_connector(s, "b", 2);
        assert_int_equal(sim_converge(s), 1);
        snapshot_t *before = snap(s);
        /* Nobody has applied the version in force: the new connector
         * still goes at once (nobody can be running it). */
        for (size_t w = 0; w < s->worker_cnt; w++)
                s->applied[w] = 0;
        sim_connector(s, "new", 2);
        assert_int_equal(sim_round(s), 1);
        assert_kept_but(s, before, NULL);
        assert_int_equal(s->cur.cnt, before->cnt + 3);
        sim_assert_settled(s);
        free(before);
        sim_free(s);
}

static void test_next_deleted_connector(void **state) {
        sim_t *s = sim_new(3);
        (void)state;
        sim_connector(s, "a", 5);
        sim_connector(s, "b", 1);
        sim_connector(s, "c", 3);
        assert_int_equal(sim_converge(s), 1);
        sim_connector(s, "a", -1);
        assert_int_equal(sim_round(s), 1);
        assert_int_equal(s->cur.cnt, 2 + 4);
        for (int t = -1; t < 5; t++)
                assert_int_equal(rdc_assignment_find(&s->cur, "a", t), -1);
        sim_apply_all(s);
        assert_true(sim_converge(s) <= 1);
        sim_assert_settled(s);

        /* A connector deleted while some of its items are pending. */
        sim_connector(s, "d", 6);
        assert_true(sim_converge(s) <= 2);
        sim_join(s, "w04");
        sim_regroup(s);
        assert_int_equal(sim_round(s), 1);
        long pending_d = 0;
        for (size_t k = 0; k < s->cur.cnt; k++)
                pending_d += s->cur.pending[k] &&
                             !strcmp(s->cur.work[k].connector, "d");
        assert_true(pending_d > 0);
        sim_connector(s, "d", -1);
        assert_int_equal(sim_round(s), 1);
        for (int t = -1; t < 6; t++)
                assert_int_equal(rdc_assignment_find(&s->cur, "d", t), -1);
        assert_true(sim_converge(s) <= 2);
        sim_assert_settled(s);
        sim_free(s);
}

static void test_next_tasks_max_changed(void **state) {
        sim_t *s = sim_new(2);
        (void)state;
        sim_connector(s, "a", 2);
        sim_connector(s, "b", 2);
        assert_int_equal(sim_converge(s), 1);
        snapshot_t *before = snap(s);
        /* 2 -> 6 tasks: the new ones are placed at once, the old keep
         * their owners (10 tasks over 2: room for 5 each). */
        sim_connector(s, "a", 6);
        assert_int_equal(sim_round(s), 1);
        assert_kept_but(s, before, NULL);
        assert_int_equal(rdc_assignment_find(&s->cur, "a", 5) >= 0, 1);
        sim_assert_settled(s);
        /* 6 -> 1: tasks 1-5 are gone; balance comes back within two. */
        sim_connector(s, "a", 1);
        assert_true(sim_converge(s) <= 2);
        assert_int_equal(s->cur.cnt, 2 + 1 + 2);
        for (int t = 1; t < 6; t++)
                assert_int_equal(rdc_assignment_find(&s->cur, "a", t), -1);
        assert_true(rdc_assignment_find(&s->cur, "a", 0) >= 0);
        sim_assert_settled(s);
        free(before);
        sim_free(s);
}

static void test_next_many_workers(void **state) {
        sim_t *s = sim_new(5);
        (void)state;
        sim_connectors(s, "conn", 50, 4);
        /* 50 connectors and 200 tasks over 5: 10 and 40 each, at once. */
        assert_int_equal(sim_converge(s), 1);
        sim_assert_settled(s);

        /* A sixth joins: 8-9 connectors, 33-34 tasks each, in two. */
        sim_join(s, "w06");
        sim_regroup(s);
        assert_int_equal(sim_converge(s), 2);
        sim_assert_settled(s);

        /* One is killed: its work goes at once. */
        sim_kill(s, "w03");
        assert_int_equal(sim_converge(s), 1);
        sim_assert_settled(s);

        /* One stops gracefully, then the group rebalances. */
        sim_leave(s, "w05");
        assert_int_equal(sim_converge(s), 1);
        sim_regroup(s);
        assert_int_equal(sim_converge(s), 0);
        sim_assert_settled(s);

        /* Two join at once, one with the smallest id (it leads). */
        sim_join(s, "a00");
        sim_join(s, "w07");
        sim_regroup(s);
        assert_int_equal(sim_converge(s), 2);
        assert_string_equal(s->cur.leader, "a00");
        sim_assert_settled(s);

        /* Connectors come and go while a join is under way. */
        sim_join(s, "w08");
        sim_regroup(s);
        assert_int_equal(sim_round(s), 1);
        sim_connector(s, "conn07", -1);
        sim_connector(s, "conn08", 9);
        sim_connector(s, "late", 2);
        assert_true(sim_converge(s) <= 2);
        sim_assert_settled(s);
        sim_free(s);
}

/* One worker holds everything, four more join at once. */
static void test_next_from_one_worker(void **state) {
        sim_t *s = sim_new(1);
        (void)state;
        sim_connectors(s, "conn", 50, 4);
        assert_int_equal(sim_converge(s), 1);
        for (int i = 2; i <= 5; i++) {
                char id[16];
                snprintf(id, sizeof(id), "w%02d", i);
                sim_join(s, id);
        }
        sim_regroup(s);
        assert_int_equal(sim_converge(s), 2);
        sim_assert_settled(s);
        /* The leader lags on purpose: nothing moves, nothing flaps. */
        s->applied[0] = 0;
        for (int i = 0; i < 3; i++)
                assert_int_equal(sim_round(s), 0);
        sim_free(s);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_claim_round_trip),
                cmocka_unit_test(test_claim_decode_refuses_non_claims),
                cmocka_unit_test(test_claim_decode_refuses_mistyped_fields),
                cmocka_unit_test(test_claim_partition_is_canonical),
                cmocka_unit_test(test_claim_partition_canonical_with_slash),
                cmocka_unit_test(test_members_complete_sorted_leader),
                cmocka_unit_test(test_members_incomplete),
                cmocka_unit_test(test_members_overlap_is_incomplete),
                cmocka_unit_test(test_members_older_generation_ignored),
                cmocka_unit_test(
                        test_members_left_claim_covers_but_is_no_member),
                cmocka_unit_test(test_members_without_partitions),
                cmocka_unit_test(test_members_dead_worker),
                cmocka_unit_test(test_members_group_recreated),
                cmocka_unit_test(
                        test_assignment_accept_fences_a_deposed_leader),
                cmocka_unit_test(test_assignment_round_trip),
                cmocka_unit_test(test_assignment_decode_refuses),
                cmocka_unit_test(test_assignment_same),
                cmocka_unit_test(test_next_first_assignment),
                cmocka_unit_test(test_next_no_members),
                cmocka_unit_test(test_next_version_and_leader),
                cmocka_unit_test(test_next_join_moves_in_two_steps),
                cmocka_unit_test(test_next_dead_worker_work_placed_at_once),
                cmocka_unit_test(test_next_revoking_worker_dies),
                cmocka_unit_test(test_next_left_worker_work_placed_at_once),
                cmocka_unit_test(test_next_new_connector_placed_at_once),
                cmocka_unit_test(test_next_deleted_connector),
                cmocka_unit_test(test_next_tasks_max_changed),
                cmocka_unit_test(test_next_many_workers),
                cmocka_unit_test(test_next_from_one_worker),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
