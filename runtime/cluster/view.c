/*
 * Claims, member sets and assignments: see view.h.
 */
#define _GNU_SOURCE
#include "cluster/view.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s) {
        return s ? strdup(s) : NULL;
}

static int same_text(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return !strcmp(a, b);
}

static char *json_text(json_object *obj) {
        char *text = obj ? dup_or_null(json_object_to_json_string_ext(
                                   obj, JSON_C_TO_STRING_PLAIN |
                                                JSON_C_TO_STRING_NOSLASHESCAPE))
                         : NULL;
        json_object_put(obj);
        return text;
}

static const char *get_string(json_object *obj, const char *key) {
        json_object *v;
        if (!json_object_object_get_ex(obj, key, &v) ||
            !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

/* ============================================================ claims */

void rdc_claim_clear(rdc_claim_t *claim) {
        free(claim->worker);
        free(claim->url);
        free(claim->parts);
        memset(claim, 0, sizeof(*claim));
}

char *rdc_claim_partition(const char *worker) {
        /* Sorted keys, compact: the offset store's canonical form. */
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "rdconnect",
                               json_object_new_string("member"));
        json_object_object_add(obj, "worker", json_object_new_string(worker));
        return json_text(obj);
}

char *rdc_claim_encode(const rdc_claim_t *claim) {
        json_object *obj = json_object_new_object();
        json_object *parts = json_object_new_array();
        for (size_t i = 0; i < claim->part_cnt; i++)
                json_object_array_add(parts,
                                      json_object_new_int(claim->parts[i]));
        json_object_object_add(obj, "applied",
                               json_object_new_int64((int64_t)claim->applied));
        json_object_object_add(obj, "generation",
                               json_object_new_int(claim->generation));
        json_object_object_add(obj, "left",
                               json_object_new_boolean(claim->left));
        json_object_object_add(obj, "partitions", parts);
        json_object_object_add(obj, "time",
                               json_object_new_int64(claim->time_ms));
        json_object_object_add(
                obj, "url",
                json_object_new_string(claim->url ? claim->url : ""));
        return json_text(obj);
}

int rdc_claim_decode(const char *partition_json, const char *offset_json,
                     rdc_claim_t *out) {
        memset(out, 0, sizeof(*out));
        json_object *p = json_tokener_parse(partition_json);
        json_object *v = offset_json ? json_tokener_parse(offset_json) : NULL;
        json_object *gen, *parts, *applied, *left, *time;
        const char *kind = p ? get_string(p, "rdconnect") : NULL;
        const char *worker = p ? get_string(p, "worker") : NULL;
        int ok = kind && !strcmp(kind, "member") && worker && v &&
                 json_object_object_get_ex(v, "generation", &gen) &&
                 json_object_is_type(gen, json_type_int) &&
                 json_object_object_get_ex(v, "partitions", &parts) &&
                 json_object_is_type(parts, json_type_array);
        if (ok) {
                out->worker = strdup(worker);
                out->url = dup_or_null(get_string(v, "url"));
                out->generation = json_object_get_int(gen);
                if (json_object_object_get_ex(v, "applied", &applied) &&
                    json_object_is_type(applied, json_type_int))
                        out->applied = (uint64_t)json_object_get_int64(applied);
                if (json_object_object_get_ex(v, "left", &left))
                        out->left = json_object_get_boolean(left);
                if (json_object_object_get_ex(v, "time", &time) &&
                    json_object_is_type(time, json_type_int))
                        out->time_ms = json_object_get_int64(time);
                out->part_cnt = json_object_array_length(parts);
                out->parts = calloc(out->part_cnt ? out->part_cnt : 1,
                                    sizeof(*out->parts));
                for (size_t i = 0; out->parts && i < out->part_cnt; i++) {
                        json_object *e = json_object_array_get_idx(parts, i);
                        if (!json_object_is_type(e, json_type_int))
                                ok = 0;
                        out->parts[i] = json_object_get_int(e);
                }
                ok = ok && out->worker && out->parts;
        }
        json_object_put(p);
        json_object_put(v);
        if (!ok) {
                rdc_claim_clear(out);
                return -1;
        }
        return 0;
}

/* =========================================================== members */

void rdc_members_clear(rdc_members_t *m) {
        for (size_t i = 0; i < m->cnt; i++) {
                free(m->ids[i]);
                free(m->urls[i]);
        }
        free(m->ids);
        free(m->urls);
        free(m->applied);
        memset(m, 0, sizeof(*m));
}

static int claim_ptr_cmp(const void *a, const void *b) {
        const rdc_claim_t *x = *(const rdc_claim_t *const *)a;
        const rdc_claim_t *y = *(const rdc_claim_t *const *)b;
        return strcmp(x->worker, y->worker);
}

/* The claims of generation gen (from min_time_ms on, when not 0) own
 * disjoint sets covering every partition: collects the members in in
 * (unsorted). @returns 1 if complete, 0 if not, -1 out of memory. */
static int members_collect(const rdc_claim_t *claims, size_t cnt,
                           int32_t partition_cnt, int32_t gen,
                           int64_t min_time_ms, const rdc_claim_t **in,
                           size_t *in_cnt) {
        unsigned char *seen = calloc((size_t)partition_cnt, 1);
        if (!seen)
                return -1;
        size_t covered = 0;
        int disjoint = 1;
        *in_cnt = 0;
        for (size_t i = 0; i < cnt; i++) {
                if (claims[i].generation != gen ||
                    (min_time_ms && claims[i].time_ms < min_time_ms))
                        continue;
                for (size_t k = 0; k < claims[i].part_cnt; k++) {
                        int32_t p = claims[i].parts[k];
                        if (p < 0 || p >= partition_cnt || seen[p]) {
                                disjoint = 0;
                                continue;
                        }
                        seen[p] = 1;
                        covered++;
                }
                if (!claims[i].left && claims[i].part_cnt)
                        in[(*in_cnt)++] = &claims[i];
        }
        free(seen);
        return disjoint && covered == (size_t)partition_cnt;
}

int rdc_members_compute(const rdc_claim_t *claims, size_t cnt,
                        int32_t partition_cnt, int32_t generation,
                        int64_t min_time_ms, rdc_members_t *out) {
        memset(out, 0, sizeof(*out));
        if (partition_cnt <= 0)
                return 0;
        const rdc_claim_t **in = calloc(cnt ? cnt : 1, sizeof(*in));
        size_t in_cnt = 0;
        if (!in)
                return -1;
        int complete = members_collect(claims, cnt, partition_cnt, generation,
                                       0, in, &in_cnt);
        /* Claims of an earlier group of the same name that reached this
         * generation number too (a group is deleted once empty, and its
         * generations start again): only older ones overlap. */
        if (!complete && min_time_ms)
                complete =
                        members_collect(claims, cnt, partition_cnt, generation,
                                        min_time_ms, in, &in_cnt);
        if (complete != 1) {
                free(in);
                return complete;
        }
        qsort(in, in_cnt, sizeof(*in), claim_ptr_cmp);
        out->generation = generation;
        out->ids = calloc(in_cnt ? in_cnt : 1, sizeof(*out->ids));
        out->urls = calloc(in_cnt ? in_cnt : 1, sizeof(*out->urls));
        out->applied = calloc(in_cnt ? in_cnt : 1, sizeof(*out->applied));
        int ok = out->ids && out->urls && out->applied;
        for (size_t i = 0; ok && i < in_cnt; i++) {
                out->ids[i] = strdup(in[i]->worker);
                out->urls[i] = strdup(in[i]->url ? in[i]->url : "");
                out->applied[i] = in[i]->applied;
                out->cnt = i + 1;
                ok = out->ids[i] && out->urls[i];
        }
        free(in);
        if (!ok) {
                rdc_members_clear(out);
                return -1;
        }
        return 1;
}

int rdc_members_add(rdc_members_t *m, const char *id, const char *url,
                    uint64_t applied) {
        size_t n = m->cnt + 1;
        char **ids = realloc(m->ids, n * sizeof(*ids));
        if (ids)
                m->ids = ids;
        char **urls = realloc(m->urls, n * sizeof(*urls));
        if (urls)
                m->urls = urls;
        uint64_t *app = realloc(m->applied, n * sizeof(*app));
        if (app)
                m->applied = app;
        char *id_copy = ids && urls && app ? strdup(id) : NULL;
        char *url_copy = id_copy ? strdup(url ? url : "") : NULL;
        if (!url_copy) {
                free(id_copy);
                return -1;
        }
        m->ids[m->cnt] = id_copy;
        m->urls[m->cnt] = url_copy;
        m->applied[m->cnt] = applied;
        m->cnt = n;
        return 0;
}

int rdc_members_find(const rdc_members_t *m, const char *id) {
        for (size_t i = 0; id && i < m->cnt; i++)
                if (!strcmp(m->ids[i], id))
                        return (int)i;
        return -1;
}

const char *rdc_members_leader(const rdc_members_t *m) {
        return m->cnt ? m->ids[0] : NULL;
}

/* ======================================================= assignments */

void rdc_assignment_clear(rdc_assignment_t *a) {
        for (size_t i = 0; i < a->cnt; i++) {
                free((char *)a->work[i].connector);
                free(a->owner[i]);
                free(a->pending[i]);
        }
        free(a->work);
        free(a->owner);
        free(a->pending);
        free(a->leader);
        memset(a, 0, sizeof(*a));
}

static int assignment_alloc(rdc_assignment_t *a, size_t cnt) {
        a->work = calloc(cnt ? cnt : 1, sizeof(*a->work));
        a->owner = calloc(cnt ? cnt : 1, sizeof(*a->owner));
        a->pending = calloc(cnt ? cnt : 1, sizeof(*a->pending));
        return a->work && a->owner && a->pending ? 0 : -1;
}

static json_object *string_or_null(const char *s) {
        return s ? json_object_new_string(s) : NULL;
}

char *rdc_assignment_encode(const rdc_assignment_t *a) {
        json_object *obj = json_object_new_object();
        json_object *work = json_object_new_array();
        for (size_t i = 0; i < a->cnt; i++) {
                json_object *item = json_object_new_array();
                json_object_array_add(
                        item, json_object_new_string(a->work[i].connector));
                json_object_array_add(item,
                                      json_object_new_int(a->work[i].task));
                json_object_array_add(item, string_or_null(a->owner[i]));
                json_object_array_add(item, string_or_null(a->pending[i]));
                json_object_array_add(work, item);
        }
        json_object_object_add(obj, "generation",
                               json_object_new_int(a->generation));
        json_object_object_add(obj, "leader", string_or_null(a->leader));
        json_object_object_add(obj, "version",
                               json_object_new_int64((int64_t)a->version));
        json_object_object_add(obj, "work", work);
        return json_text(obj);
}

static char *item_string(json_object *item, size_t idx) {
        json_object *v = json_object_array_get_idx(item, idx);
        return v && json_object_is_type(v, json_type_string)
                       ? strdup(json_object_get_string(v))
                       : NULL;
}

int rdc_assignment_decode(const char *offset_json, rdc_assignment_t *out) {
        memset(out, 0, sizeof(*out));
        json_object *v = offset_json ? json_tokener_parse(offset_json) : NULL;
        json_object *work, *version;
        int ok = v && json_object_object_get_ex(v, "work", &work) &&
                 json_object_is_type(work, json_type_array) &&
                 json_object_object_get_ex(v, "version", &version);
        size_t cnt = ok ? json_object_array_length(work) : 0;
        if (ok && !assignment_alloc(out, cnt)) {
                out->version = (uint64_t)json_object_get_int64(version);
                json_object *gen;
                if (json_object_object_get_ex(v, "generation", &gen) &&
                    json_object_is_type(gen, json_type_int))
                        out->generation = json_object_get_int(gen);
                out->leader = dup_or_null(get_string(v, "leader"));
                for (size_t i = 0; ok && i < cnt; i++) {
                        json_object *item = json_object_array_get_idx(work, i);
                        char *name = json_object_is_type(item, json_type_array)
                                             ? item_string(item, 0)
                                             : NULL;
                        if (!name) {
                                ok = 0;
                                break;
                        }
                        out->work[i].connector = name;
                        out->work[i].task = json_object_get_int(
                                json_object_array_get_idx(item, 1));
                        out->owner[i] = item_string(item, 2);
                        out->pending[i] = item_string(item, 3);
                        out->cnt = i + 1;
                }
        } else {
                ok = 0;
        }
        json_object_put(v);
        if (!ok) {
                rdc_assignment_clear(out);
                return -1;
        }
        return 0;
}

long rdc_assignment_find(const rdc_assignment_t *a, const char *connector,
                         int32_t task) {
        for (size_t i = 0; i < a->cnt; i++)
                if (a->work[i].task == task &&
                    !strcmp(a->work[i].connector, connector))
                        return (long)i;
        return -1;
}

int rdc_assignment_same(const rdc_assignment_t *a, const rdc_assignment_t *b) {
        if (a->cnt != b->cnt)
                return 0;
        for (size_t i = 0; i < a->cnt; i++) {
                long k = rdc_assignment_find(b, a->work[i].connector,
                                             a->work[i].task);
                if (k < 0 || !same_text(a->owner[i], b->owner[k]) ||
                    !same_text(a->pending[i], b->pending[k]))
                        return 0;
        }
        return 1;
}

int rdc_assignment_accept(const rdc_assignment_t *cur,
                          const rdc_assignment_t *read, int32_t generation) {
        return !cur->version || cur->generation != generation ||
               read->generation == generation;
}

/* The member index of id, or -1 (NULL, or not a member). */
static int member_of(const rdc_members_t *m, const char *id) {
        return id ? rdc_members_find(m, id) : -1;
}

int rdc_assignment_next(const rdc_assignment_t *cur, const rdc_members_t *m,
                        const rdc_work_t *work, size_t work_cnt,
                        const char *leader, rdc_assignment_t *next) {
        memset(next, 0, sizeof(*next));
        int *previous = calloc(work_cnt ? work_cnt : 1, sizeof(*previous));
        int *target = calloc(work_cnt ? work_cnt : 1, sizeof(*target));
        if (!previous || !target || assignment_alloc(next, work_cnt))
                goto fail;
        /* Sticky to where each item runs, or goes once revoked. */
        for (size_t i = 0; i < work_cnt; i++) {
                long k = rdc_assignment_find(cur, work[i].connector,
                                             work[i].task);
                previous[i] = -1;
                if (k >= 0) {
                        previous[i] = member_of(m, cur->owner[k]);
                        if (previous[i] < 0)
                                previous[i] = member_of(m, cur->pending[k]);
                }
        }
        if (rdc_assign((const char *const *)m->ids, m->cnt, work, work_cnt,
                       previous, target))
                goto fail;
        /* Every member carried out cur's revocations. */
        int settled = 1;
        for (size_t i = 0; i < m->cnt; i++)
                settled &= m->applied[i] >= cur->version;
        for (size_t i = 0; i < work_cnt; i++) {
                long k = rdc_assignment_find(cur, work[i].connector,
                                             work[i].task);
                const char *to = target[i] >= 0 ? m->ids[target[i]] : NULL;
                const char *owner = k >= 0 && member_of(m, cur->owner[k]) >= 0
                                            ? cur->owner[k]
                                            : NULL;
                int was_pending = k >= 0 && !cur->owner[k] && cur->pending[k];
                const char *place = NULL, *pending = NULL;
                if (owner && to && strcmp(owner, to))
                        pending = to; /* step one: revoke */
                else if (owner)
                        place = owner;
                else if (was_pending && !settled)
                        pending = to; /* its old owner may still run it */
                else
                        place = to;
                if (!(next->work[i].connector = strdup(work[i].connector)))
                        goto fail;
                next->work[i].task = work[i].task;
                next->cnt = i + 1;
                if ((place && !(next->owner[i] = strdup(place))) ||
                    (pending && !(next->pending[i] = strdup(pending))))
                        goto fail;
        }
        next->version = cur->version + 1;
        next->generation = m->generation;
        if (leader && !(next->leader = strdup(leader)))
                goto fail;
        free(previous);
        free(target);
        return 0;
fail:
        free(previous);
        free(target);
        rdc_assignment_clear(next);
        return -1;
}
