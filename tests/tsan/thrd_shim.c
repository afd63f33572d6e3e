/*
 * LD_PRELOAD shim for ThreadSanitizer runs (tests/tsan/run.sh): Debian's
 * librdkafka starts its threads and takes its locks through C11
 * <threads.h>, which TSan does not intercept. Its threads would then run
 * without TSan's per-thread state and its locks would be invisible, so
 * every hand-over through librdkafka (delivery reports, consumed
 * messages) would be reported as a race. Routing the C11 calls that
 * librdkafka.so.1 imports to pthreads, which TSan intercepts, fixes both.
 *
 * Built without -fsanitize=thread: it is preloaded into every process of
 * the run (python too), and its pthread calls bind to TSan's interceptors
 * only in the instrumented binaries. glibc's C11 types share the layout
 * of their pthread counterparts (thrd_t is pthread_t, mtx_t and cnd_t are
 * unions sized as pthread_mutex_t and pthread_cond_t, once_flag is a
 * pthread_once_t).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>
#include <time.h>

_Static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t), "mtx_t layout");
_Static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t), "cnd_t layout");
_Static_assert(sizeof(thrd_t) == sizeof(pthread_t), "thrd_t layout");
_Static_assert(sizeof(once_flag) == sizeof(pthread_once_t), "once_flag");

static int shim_result(int rc) {
        switch (rc) {
        case 0:
                return thrd_success;
        case ENOMEM:
                return thrd_nomem;
        case EBUSY:
                return thrd_busy;
        case ETIMEDOUT:
                return thrd_timedout;
        default:
                return thrd_error;
        }
}

typedef struct shim_start {
        thrd_start_t func;
        void *arg;
} shim_start_t;

static void *shim_trampoline(void *opaque) {
        shim_start_t start = *(shim_start_t *)opaque;

        free(opaque);
        return (void *)(intptr_t)start.func(start.arg);
}

int thrd_create(thrd_t *thr, thrd_start_t func, void *arg) {
        shim_start_t *start = malloc(sizeof(*start));
        int rc;

        if (!start)
                return thrd_nomem;
        start->func = func;
        start->arg = arg;
        rc = pthread_create((pthread_t *)thr, NULL, shim_trampoline, start);
        if (rc)
                free(start);
        return shim_result(rc);
}

int thrd_join(thrd_t thr, int *res) {
        void *ret = NULL;
        int rc = pthread_join((pthread_t)thr, &ret);

        if (!rc && res)
                *res = (int)(intptr_t)ret;
        return shim_result(rc);
}

int thrd_detach(thrd_t thr) {
        return shim_result(pthread_detach((pthread_t)thr));
}

_Noreturn void thrd_exit(int res) {
        pthread_exit((void *)(intptr_t)res);
}

thrd_t thrd_current(void) {
        return (thrd_t)pthread_self();
}

int thrd_equal(thrd_t a, thrd_t b) {
        return pthread_equal((pthread_t)a, (pthread_t)b);
}

int mtx_init(mtx_t *mtx, int type) {
        pthread_mutexattr_t attr;
        int rc;

        pthread_mutexattr_init(&attr);
        if (type & mtx_recursive)
                pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
        rc = pthread_mutex_init((pthread_mutex_t *)mtx, &attr);
        pthread_mutexattr_destroy(&attr);
        return shim_result(rc);
}

void mtx_destroy(mtx_t *mtx) {
        pthread_mutex_destroy((pthread_mutex_t *)mtx);
}

int mtx_lock(mtx_t *mtx) {
        return shim_result(pthread_mutex_lock((pthread_mutex_t *)mtx));
}

int mtx_trylock(mtx_t *mtx) {
        return shim_result(pthread_mutex_trylock((pthread_mutex_t *)mtx));
}

int mtx_timedlock(mtx_t *restrict mtx, const struct timespec *restrict ts) {
        return shim_result(pthread_mutex_timedlock((pthread_mutex_t *)mtx, ts));
}

int mtx_unlock(mtx_t *mtx) {
        return shim_result(pthread_mutex_unlock((pthread_mutex_t *)mtx));
}

int cnd_init(cnd_t *cnd) {
        return shim_result(pthread_cond_init((pthread_cond_t *)cnd, NULL));
}

void cnd_destroy(cnd_t *cnd) {
        pthread_cond_destroy((pthread_cond_t *)cnd);
}

int cnd_signal(cnd_t *cnd) {
        return shim_result(pthread_cond_signal((pthread_cond_t *)cnd));
}

int cnd_broadcast(cnd_t *cnd) {
        return shim_result(pthread_cond_broadcast((pthread_cond_t *)cnd));
}

int cnd_wait(cnd_t *cnd, mtx_t *mtx) {
        return shim_result(pthread_cond_wait((pthread_cond_t *)cnd,
                                             (pthread_mutex_t *)mtx));
}

/* C11 deadlines are TIME_UTC, the pthread default clock (REALTIME). */
int cnd_timedwait(cnd_t *restrict cnd, mtx_t *restrict mtx,
                  const struct timespec *restrict ts) {
        return shim_result(pthread_cond_timedwait((pthread_cond_t *)cnd,
                                                  (pthread_mutex_t *)mtx, ts));
}

void call_once(once_flag *flag, void (*func)(void)) {
        pthread_once((pthread_once_t *)flag, func);
}

int tss_create(tss_t *key, tss_dtor_t dtor) {
        return shim_result(pthread_key_create((pthread_key_t *)key, dtor));
}

void tss_delete(tss_t key) {
        pthread_key_delete((pthread_key_t)key);
}

void *tss_get(tss_t key) {
        return pthread_getspecific((pthread_key_t)key);
}

int tss_set(tss_t key, void *value) {
        return shim_result(pthread_setspecific((pthread_key_t)key, value));
}
