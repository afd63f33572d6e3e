/*
 * rdc_assign(): see assign.h. O((w + n) log(w + n)) per kind of work.
 */
#include "cluster/assign.h"

#include <stdlib.h>
#include <string.h>

typedef struct assign_ctx {
        const char *const *workers;
        const rdc_work_t *work;
        size_t worker_cnt;
        size_t *load;  /* per worker: items of the kind being balanced */
        size_t *quota; /* per worker: its share */
} assign_ctx_t;

/* qsort has no context argument: the comparators read this one, set by
 * rdc_assign() for the duration of the call (one per thread). */
static _Thread_local const assign_ctx_t *g_ctx;

static int work_cmp(const rdc_work_t *a, const rdc_work_t *b) {
        int cmp = strcmp(a->connector, b->connector);
        if (cmp)
                return cmp;
        return (a->task > b->task) - (a->task < b->task);
}

/* Work indices in (connector, task) order. */
static int work_index_cmp(const void *a, const void *b) {
        return work_cmp(&g_ctx->work[*(const size_t *)a],
                        &g_ctx->work[*(const size_t *)b]);
}

/* Workers by load, highest first, then by id. */
static int worker_load_cmp(const void *a, const void *b) {
        size_t x = *(const size_t *)a, y = *(const size_t *)b;
        if (g_ctx->load[x] != g_ctx->load[y])
                return g_ctx->load[x] > g_ctx->load[y] ? -1 : 1;
        return strcmp(g_ctx->workers[x], g_ctx->workers[y]);
}

/* The worker furthest below its quota, lowest load first, then by id. */
static size_t assign_pick(const assign_ctx_t *ctx) {
        size_t best = (size_t)-1;
        for (size_t w = 0; w < ctx->worker_cnt; w++) {
                if (ctx->load[w] >= ctx->quota[w])
                        continue;
                if (best == (size_t)-1 || ctx->load[w] < ctx->load[best] ||
                    (ctx->load[w] == ctx->load[best] &&
                     strcmp(ctx->workers[w], ctx->workers[best]) < 0))
                        best = w;
        }
        return best;
}

/* Balances the items of one kind (idx, cnt of them, sorted). */
static void assign_kind(assign_ctx_t *ctx, const size_t *idx, size_t cnt,
                        const int *previous, int *out, size_t *by_load) {
        size_t w, i, base = cnt / ctx->worker_cnt,
                     extra = cnt % ctx->worker_cnt;

        memset(ctx->load, 0, ctx->worker_cnt * sizeof(*ctx->load));
        for (i = 0; i < cnt; i++) {
                int p = previous ? previous[idx[i]] : -1;
                out[idx[i]] = p >= 0 && (size_t)p < ctx->worker_cnt ? p : -1;
                if (out[idx[i]] >= 0)
                        ctx->load[out[idx[i]]]++;
        }
        /* The larger shares go to those that hold the most already. */
        for (w = 0; w < ctx->worker_cnt; w++)
                by_load[w] = w;
        qsort(by_load, ctx->worker_cnt, sizeof(*by_load), worker_load_cmp);
        for (w = 0; w < ctx->worker_cnt; w++)
                ctx->quota[by_load[w]] = base + (w < extra);
        /* Over its share: give back the last items (in work order). */
        for (i = cnt; i-- > 0;) {
                int o = out[idx[i]];
                if (o >= 0 && ctx->load[o] > ctx->quota[o]) {
                        ctx->load[o]--;
                        out[idx[i]] = -1;
                }
        }
        for (i = 0; i < cnt; i++) {
                if (out[idx[i]] >= 0)
                        continue;
                w = assign_pick(ctx);
                out[idx[i]] = (int)w;
                ctx->load[w]++;
        }
}

int rdc_assign(const char *const *workers, size_t worker_cnt,
               const rdc_work_t *work, size_t work_cnt, const int *previous,
               int *out) {
        size_t *idx, *load, *quota, *by_load, conn_cnt = 0, i;
        int ret = -1;

        if (worker_cnt == 0) {
                for (i = 0; i < work_cnt; i++)
                        out[i] = -1;
                return 0;
        }
        idx = calloc(work_cnt ? work_cnt : 1, sizeof(*idx));
        load = calloc(worker_cnt, sizeof(*load));
        quota = calloc(worker_cnt, sizeof(*quota));
        by_load = calloc(worker_cnt, sizeof(*by_load));
        if (!idx || !load || !quota || !by_load)
                goto done;
        assign_ctx_t ctx = {.workers = workers,
                            .work = work,
                            .worker_cnt = worker_cnt,
                            .load = load,
                            .quota = quota};
        g_ctx = &ctx;
        /* Connectors first, then tasks, each in (connector, task) order. */
        for (i = 0; i < work_cnt; i++)
                if (work[i].task < 0)
                        idx[conn_cnt++] = i;
        size_t task_cnt = 0;
        for (i = 0; i < work_cnt; i++)
                if (work[i].task >= 0)
                        idx[conn_cnt + task_cnt++] = i;
        qsort(idx, conn_cnt, sizeof(*idx), work_index_cmp);
        qsort(idx + conn_cnt, task_cnt, sizeof(*idx), work_index_cmp);
        assign_kind(&ctx, idx, conn_cnt, previous, out, by_load);
        assign_kind(&ctx, idx + conn_cnt, task_cnt, previous, out, by_load);
        g_ctx = NULL;
        ret = 0;
done:
        free(idx);
        free(load);
        free(quota);
        free(by_load);
        return ret;
}
