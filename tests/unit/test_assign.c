/*
 * Unit tests of runtime/cluster/assign.c, the assignment of distributed
 * mode: balance, stickiness (only what must move moves), determinism,
 * and the cases a cluster lives through (joins, leaves, connectors added
 * and deleted, tasks.max changed, uneven counts, many workers).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/assign.h"

#define MAX_WORK    4096
#define MAX_WORKERS 128

typedef struct cluster {
        char names[MAX_WORKERS][16];
        const char *workers[MAX_WORKERS];
        size_t worker_cnt;
        char conn_names[MAX_WORK][16];
        rdc_work_t work[MAX_WORK];
        size_t work_cnt;
        int owner[MAX_WORK]; /* current assignment, -1: none */
} cluster_t;

static cluster_t *cluster_new(size_t workers) {
        cluster_t *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        for (size_t i = 0; i < workers; i++) {
                snprintf(c->names[i], sizeof(c->names[i]), "w%03zu", i);
                c->workers[i] = c->names[i];
        }
        c->worker_cnt = workers;
        return c;
}

/* Adds connector name with its tasks; unassigned. */
static void add_connector(cluster_t *c, const char *name, int tasks) {
        size_t slot = c->work_cnt;
        snprintf(c->conn_names[slot], sizeof(c->conn_names[slot]), "%s", name);
        for (int t = -1; t < tasks; t++) {
                c->work[c->work_cnt] = (rdc_work_t){
                        .connector = c->conn_names[slot], .task = t};
                c->owner[c->work_cnt++] = -1;
        }
}

static void remove_connector(cluster_t *c, const char *name) {
        size_t kept = 0;
        for (size_t i = 0; i < c->work_cnt; i++) {
                if (!strcmp(c->work[i].connector, name))
                        continue;
                c->work[kept] = c->work[i];
                c->owner[kept++] = c->owner[i];
        }
        c->work_cnt = kept;
}

/* Runs the assignment; returns how many items changed owner (an item
 * that had none counts as moved). */
static size_t reassign(cluster_t *c) {
        int out[MAX_WORK];
        size_t moved = 0;
        assert_int_equal(rdc_assign(c->workers, c->worker_cnt, c->work,
                                    c->work_cnt, c->owner, out),
                         0);
        for (size_t i = 0; i < c->work_cnt; i++) {
                moved += out[i] != c->owner[i];
                c->owner[i] = out[i];
        }
        return moved;
}

/* Each worker has floor or ceil of the connectors and of the tasks. */
static void assert_balanced(const cluster_t *c) {
        size_t conns[MAX_WORKERS] = {0}, tasks[MAX_WORKERS] = {0};
        size_t conn_total = 0, task_total = 0;
        for (size_t i = 0; i < c->work_cnt; i++) {
                assert_true(c->owner[i] >= 0 &&
                            (size_t)c->owner[i] < c->worker_cnt);
                if (c->work[i].task < 0) {
                        conns[c->owner[i]]++;
                        conn_total++;
                } else {
                        tasks[c->owner[i]]++;
                        task_total++;
                }
        }
        for (size_t w = 0; w < c->worker_cnt; w++) {
                if (conns[w] < conn_total / c->worker_cnt ||
                    conns[w] > (conn_total + c->worker_cnt - 1) / c->worker_cnt)
                        fail_msg("worker %zu: %zu of %zu connectors", w,
                                 conns[w], conn_total);
                if (tasks[w] < task_total / c->worker_cnt ||
                    tasks[w] > (task_total + c->worker_cnt - 1) / c->worker_cnt)
                        fail_msg("worker %zu: %zu of %zu tasks", w, tasks[w],
                                 task_total);
        }
}

/* Removes worker w: its work is unassigned, later indices shift down. */
static void worker_leaves(cluster_t *c, size_t w) {
        for (size_t i = 0; i < c->work_cnt; i++) {
                if (c->owner[i] == (int)w)
                        c->owner[i] = -1;
                else if (c->owner[i] > (int)w)
                        c->owner[i]--;
        }
        memmove(&c->workers[w], &c->workers[w + 1],
                (c->worker_cnt - w - 1) * sizeof(c->workers[0]));
        c->worker_cnt--;
}

static void worker_joins(cluster_t *c, const char *name) {
        snprintf(c->names[c->worker_cnt], sizeof(c->names[0]), "%s", name);
        c->workers[c->worker_cnt] = c->names[c->worker_cnt];
        c->worker_cnt++;
}

static void test_first_assignment_is_balanced(void **state) {
        cluster_t *c = cluster_new(3);
        (void)state;
        add_connector(c, "a", 4);
        add_connector(c, "b", 2);
        add_connector(c, "c", 1);
        assert_int_equal(reassign(c), c->work_cnt);
        assert_balanced(c);
        /* A second run with nothing changed moves nothing. */
        assert_int_equal(reassign(c), 0);
        free(c);
}

static void test_join_moves_only_to_the_new_worker(void **state) {
        cluster_t *c = cluster_new(3);
        int before[MAX_WORK];
        (void)state;
        for (int i = 0; i < 6; i++) {
                char name[8];
                snprintf(name, sizeof(name), "c%d", i);
                add_connector(c, name, 5);
        }
        reassign(c);
        memcpy(before, c->owner, sizeof(before));
        worker_joins(c, "w999");
        size_t moved = reassign(c);
        assert_balanced(c);
        /* 6 connectors, 30 tasks over 4: the new worker gets 1-2 and 7-8;
         * nothing moves between the old ones. */
        for (size_t i = 0; i < c->work_cnt; i++)
                if (c->owner[i] != before[i])
                        assert_int_equal(c->owner[i], 3);
        assert_true(moved >= 1 + 7 && moved <= 2 + 8);
        free(c);
}

static void test_leave_moves_only_the_leavers_work(void **state) {
        cluster_t *c = cluster_new(4);
        int before[MAX_WORK];
        (void)state;
        for (int i = 0; i < 8; i++) {
                char name[8];
                snprintf(name, sizeof(name), "c%d", i);
                add_connector(c, name, 3);
        }
        reassign(c);
        worker_leaves(c, 1);
        memcpy(before, c->owner, sizeof(before));
        size_t orphans = 0;
        for (size_t i = 0; i < c->work_cnt; i++)
                orphans += before[i] == -1;
        assert_int_equal(reassign(c), orphans);
        assert_balanced(c);
        for (size_t i = 0; i < c->work_cnt; i++)
                if (before[i] != -1)
                        assert_int_equal(c->owner[i], before[i]);
        free(c);
}

static void test_connectors_added_and_deleted(void **state) {
        cluster_t *c = cluster_new(3);
        int before[MAX_WORK];
        (void)state;
        add_connector(c, "a", 3);
        add_connector(c, "b", 3);
        reassign(c);
        memcpy(before, c->owner, sizeof(before));
        add_connector(c, "c", 3);
        /* The new connector's 4 items only; the others stay (balance
         * allows it: 3 connectors and 9 tasks over 3 workers). */
        assert_int_equal(reassign(c), 4);
        for (size_t i = 0; i < 8; i++)
                assert_int_equal(c->owner[i], before[i]);
        assert_balanced(c);
        remove_connector(c, "a");
        reassign(c);
        assert_balanced(c);
        remove_connector(c, "b");
        remove_connector(c, "c");
        assert_int_equal(reassign(c), 0);
        assert_int_equal(c->work_cnt, 0);
        free(c);
}

static void test_tasks_max_changed(void **state) {
        cluster_t *c = cluster_new(2);
        (void)state;
        add_connector(c, "a", 2);
        reassign(c);
        /* tasks.max 2 -> 7: the task list is replaced, old tasks keep
         * their owners. */
        int owners[3] = {c->owner[0], c->owner[1], c->owner[2]};
        remove_connector(c, "a");
        add_connector(c, "a", 7);
        for (int i = 0; i < 3; i++)
                c->owner[i] = owners[i];
        reassign(c);
        assert_balanced(c);
        for (int i = 0; i < 3; i++)
                assert_int_equal(c->owner[i], owners[i]);
        /* 7 -> 1: balance holds with what is left. */
        remove_connector(c, "a");
        add_connector(c, "a", 1);
        reassign(c);
        assert_balanced(c);
        free(c);
}

static void test_uneven_and_empty(void **state) {
        cluster_t *c = cluster_new(5);
        int out[4];
        (void)state;
        add_connector(c, "only", 1); /* 2 items over 5 workers */
        reassign(c);
        assert_balanced(c);
        assert_int_not_equal(c->owner[0], -1);
        /* Tasks with connector 0 tasks: just the connector. */
        add_connector(c, "none", 0);
        reassign(c);
        assert_balanced(c);
        /* No worker: nothing is assigned. */
        assert_int_equal(rdc_assign(NULL, 0, c->work, 3, NULL, out), 0);
        assert_int_equal(out[0], -1);
        assert_int_equal(out[2], -1);
        free(c);
}

static void test_many_workers(void **state) {
        cluster_t *c = cluster_new(100);
        (void)state;
        for (int i = 0; i < 150; i++) {
                char name[12];
                snprintf(name, sizeof(name), "conn%03d", i);
                add_connector(c, name, i % 17);
        }
        reassign(c);
        assert_balanced(c);
        /* Ten leave, five join: balanced again, survivors keep what fits. */
        for (int i = 0; i < 10; i++)
                worker_leaves(c, (size_t)(i * 7));
        for (int i = 0; i < 5; i++) {
                char name[8];
                snprintf(name, sizeof(name), "n%d", i);
                worker_joins(c, name);
        }
        reassign(c);
        assert_balanced(c);
        assert_int_equal(reassign(c), 0);
        free(c);
}

/* The same members in another order give each item the same worker. */
static void test_inputs_order_does_not_matter(void **state) {
        cluster_t *a = cluster_new(4), *b = cluster_new(4);
        (void)state;
        for (int i = 0; i < 5; i++) {
                char name[8];
                snprintf(name, sizeof(name), "c%d", i);
                add_connector(a, name, 3);
        }
        for (int i = 4; i >= 0; i--) {
                char name[8];
                snprintf(name, sizeof(name), "c%d", i);
                add_connector(b, name, 3);
        }
        /* b lists the workers reversed. */
        for (size_t w = 0; w < 4; w++)
                b->workers[w] = a->names[3 - w];
        reassign(a);
        reassign(b);
        for (size_t i = 0; i < a->work_cnt; i++)
                for (size_t j = 0; j < b->work_cnt; j++)
                        if (!strcmp(a->work[i].connector,
                                    b->work[j].connector) &&
                            a->work[i].task == b->work[j].task)
                                assert_string_equal(a->workers[a->owner[i]],
                                                    b->workers[b->owner[j]]);
        free(a);
        free(b);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_first_assignment_is_balanced),
                cmocka_unit_test(test_join_moves_only_to_the_new_worker),
                cmocka_unit_test(test_leave_moves_only_the_leavers_work),
                cmocka_unit_test(test_connectors_added_and_deleted),
                cmocka_unit_test(test_tasks_max_changed),
                cmocka_unit_test(test_uneven_and_empty),
                cmocka_unit_test(test_many_workers),
                cmocka_unit_test(test_inputs_order_does_not_matter),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
